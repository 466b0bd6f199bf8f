//! kg's graph against its SHACL shapes (`ontology/shapes.ttl`), checked by a third-party
//! validator, pyshacl from PyPI (installed by `.ci/setup` into `~/.cache/kg/venv`, or named by
//! `KG_PYSHACL`): the graph of every fixture and of kg's own repository conforms, and a graph
//! with a required property taken out does not.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Fixture, fixture_dir, kg_in};

/// The pyshacl command.
fn pyshacl() -> PathBuf {
    if let Some(path) = std::env::var_os("KG_PYSHACL") {
        return PathBuf::from(path);
    }
    support::venv_program("pyshacl")
}

/// The union of the store's graphs as N-Triples.
fn triples(root: &Path, store: &Path) -> String {
    let store = store.to_str().expect("utf-8 path");
    let index = kg_in(root, &["--store", store, "--quiet", "index"]);
    assert_eq!(index.code, 0, "{}", index.stderr);
    kg_in(
        root,
        &[
            "--store",
            store,
            "query",
            "--format",
            "ntriples",
            "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
        ],
    )
    .ok()
}

/// pyshacl's report on `data`: whether it conforms, and the report.
fn validate(data: &str, scratch: &Path) -> (bool, String) {
    let file = scratch.join("data.nt");
    std::fs::write(&file, data).unwrap();
    let shapes = Path::new(env!("CARGO_MANIFEST_DIR")).join("ontology/shapes.ttl");
    let output = Command::new(pyshacl())
        .arg("-s")
        .arg(&shapes)
        .args(["-df", "nt"])
        .arg(&file)
        .output()
        .expect("pyshacl runs");
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    (report.contains("Conforms: True"), report)
}

// verifies: index/shapes
#[test]
fn every_fixtures_graph_and_kgs_own_conform_to_the_shapes() {
    let scratch = tempfile::tempdir().unwrap();
    let mut all = String::new();
    let mut names: Vec<String> = std::fs::read_dir(fixture_dir(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in &names {
        // A fixture of steps is a history: each directory one commit.
        let steps = std::fs::read_dir(fixture_dir(name))
            .unwrap()
            .any(|e| e.unwrap().path().join(".message").exists());
        let fixture = if steps {
            Fixture::from_steps(name)
        } else {
            Fixture::from_dir(name)
        };
        // Fixtures that start alike have the same first commit, so the same IRI base: keep
        // each one's nodes its own.
        let data = triples(&fixture.root, &fixture.scratch.join("store"));
        all.push_str(&data.replace("<urn:kg:", &format!("<urn:kg:{name}-")));
    }
    let (conforms, report) = validate(&all, scratch.path());
    assert!(conforms, "the fixtures' graphs break the shapes:\n{report}");
    let own = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (conforms, report) = validate(&triples(own, &scratch.path().join("own")), scratch.path());
    assert!(conforms, "kg's own graph breaks the shapes:\n{report}");
}

// verifies: index/shapes
#[test]
fn a_graph_missing_what_a_shape_requires_does_not_conform() {
    let scratch = tempfile::tempdir().unwrap();
    let fixture = Fixture::from_dir("upload");
    let data = triples(&fixture.root, &fixture.scratch.join("store"));
    // Every item without its text, every reference without its line.
    let broken: String = data
        .lines()
        .filter(|l| !l.contains("<http://purl.org/dc/terms/description>"))
        .filter(|l| !l.contains("vocab#line>") || !l.contains("#ref-"))
        .map(|l| format!("{l}\n"))
        .collect();
    let (conforms, report) = validate(&broken, scratch.path());
    assert!(!conforms, "{report}");
    assert!(report.contains("description"), "{report}");
}
