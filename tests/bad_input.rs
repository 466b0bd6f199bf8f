//! Bad input: each problem gets a clear diagnostic naming the file (and line where there is one),
//! the rest of the repository is still indexed, and nothing panics.

mod support;

use support::{Fixture, kg_in};

fn bad_fixture() -> Fixture {
    let fixture = Fixture::empty();
    let dir = support::fixture_dir("bad");
    for entry in [
        "specs/good.yaml",
        "specs/malformed.yaml",
        "specs/nofeature.yaml",
        "specs/dupes.yaml",
        "src/broken.rs",
        "src/ok.ts",
    ] {
        fixture.write(entry, std::fs::read(dir.join(entry)).unwrap());
    }
    // Files that are awkward to keep as plain files are made here.
    fixture.write(
        "src/latin1.rs",
        b"// caf\xe9 in Latin-1\npub fn latin() {}\n",
    );
    fixture.write("src/blob.rs", b"\x7fELF\x00\x00\x01binary");
    let mut huge = String::new();
    let mut n = 0;
    while huge.len() <= 1024 * 1024 {
        huge.push_str(&format!("pub fn generated_{n}() {{}}\n"));
        n += 1;
    }
    fixture.write("src/huge.rs", huge);
    fixture.commit_all("Bad input", 0);
    fixture
}

// verifies: index/bad-input
#[test]
fn every_bad_file_is_reported_and_the_rest_is_indexed() {
    let fixture = bad_fixture();
    let run = fixture.kg(&["index"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected = [
        "specs/dupes.yaml:5:1: error: duplicate item id `dupes/same` (first defined on line 3)",
        "specs/dupes.yaml:8:1: error: duplicate item id `dupes/AC-3` (first defined on line 7)",
        "specs/malformed.yaml:5:",
        "specs/nofeature.yaml:1:1: error: spec has no `feature` key",
        "src/blob.rs: warning: binary content",
        "src/broken.rs:6:",
        "src/huge.rs: warning: file is ",
        "src/latin1.rs:1:7: warning: not valid UTF-8",
    ];
    for line in expected {
        assert!(
            run.stderr.lines().any(|l| l.starts_with(line)),
            "missing `{line}` in:\n{}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("malformed YAML"), "{}", run.stderr);
    assert!(
        run.stderr.contains("over the 1048576-byte limit"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panick"), "{}", run.stderr);

    // The rest is still there: good specs, the first items of broken ones, code around errors.
    let items = fixture
        .kg(&[
            "query",
            "SELECT ?id WHERE { ?r a oslc_rm:Requirement ; dcterms:identifier ?id } ORDER BY ?id",
            "--format",
            "csv",
        ])
        .ok();
    assert_eq!(
        items,
        "id\r\ndupes/AC-3\r\ndupes/same\r\ngood/AC-1\r\ngood/AC-2\r\n"
    );
    let defs = fixture.kg(&["query", "SELECT ?n WHERE { ?d kg:qualifiedName ?n ; kg:inFile/kg:path ?p FILTER(?p IN (\"src/broken.rs\", \"src/latin1.rs\", \"src/ok.ts\")) } ORDER BY ?n", "--format", "csv"]).ok();
    for name in ["still_found", "after_the_error", "latin", "fine"] {
        assert!(
            defs.lines().any(|l| l == name),
            "{name} missing from {defs}"
        );
    }
    let implemented = fixture
        .kg(&["query", "unimplemented", "--format", "csv"])
        .ok();
    assert!(
        !implemented.contains("good/AC-1") && !implemented.contains("good/AC-2"),
        "{implemented}"
    );
    // Skipped files are recorded as such.
    let skipped = fixture
        .kg(&[
            "query",
            "SELECT ?p WHERE { ?f kg:skipped true ; kg:path ?p } ORDER BY ?p",
            "--format",
            "csv",
        ])
        .ok();
    assert_eq!(skipped, "p\r\nsrc/blob.rs\r\nsrc/huge.rs\r\n");
    // Diagnostics are queryable too.
    let diagnostics = fixture
        .kg(&["query", "diagnostics", "--format", "csv"])
        .ok();
    assert_eq!(
        diagnostics.lines().count(),
        1 + expected.len(),
        "{diagnostics}"
    );
}

// verifies: index/bad-input
#[test]
fn a_dangling_reference_names_file_and_line_and_stays_queryable() {
    let fixture = Fixture::empty();
    fixture.write("specs/a.yaml", "feature: a\nacceptance: [\"x\"]\n");
    fixture.write(
        "src/lib.rs",
        "// implements: a/AC-1, a/AC-2, nothere/AC-1\nfn f() {}\n",
    );
    fixture.commit_all("Dangling", 0);
    let run = fixture.kg(&["index"]);
    assert!(run.stderr.contains("src/lib.rs:1:24: warning: dangling reference: `implements: a/AC-2` names an unknown id (feature `a` has no item with that id)"), "{}", run.stderr);
    assert!(run.stderr.contains("src/lib.rs:1:32: warning: dangling reference: `implements: nothere/AC-1` names an unknown id (no spec defines it)"), "{}", run.stderr);
    let dangling = fixture.kg(&["query", "dangling", "--format", "csv"]).ok();
    assert_eq!(
        dangling,
        "id,marker,location,attached_to\r\na/AC-2,implements,src/lib.rs:1:24,f\r\nnothere/AC-1,implements,src/lib.rs:1:32,f\r\n"
    );
}

// verifies: index/bad-input
#[test]
fn a_feature_defined_twice_keeps_the_first() {
    let fixture = Fixture::empty();
    fixture.write("specs/a.yaml", "feature: a\nacceptance: [\"first\"]\n");
    fixture.write(
        "specs/b.yaml",
        "---\nfeature: a\nacceptance: [\"second\"]\n",
    );
    fixture.commit_all("Twice", 0);
    let run = fixture.kg(&["index"]);
    assert!(
        run.stderr
            .contains("specs/b.yaml:2:1: error: feature `a` is already defined at specs/a.yaml:1"),
        "{}",
        run.stderr
    );
    let text = fixture
        .kg(&[
            "query",
            "SELECT ?t WHERE { ?r dcterms:identifier \"a/AC-1\" ; dcterms:description ?t }",
            "--format",
            "csv",
        ])
        .ok();
    assert_eq!(text, "t\r\nfirst\r\n");
}

// verifies: index/bad-input
#[test]
fn an_empty_repository_has_nothing_to_index() {
    let fixture = Fixture::empty();
    let run = fixture.kg(&["index"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.trim(),
        "kg: nothing to index: HEAD has no commits yet"
    );
    let query = fixture.kg(&["query", "items"]);
    assert_eq!(query.code, 2);
    assert_eq!(
        query.stderr.trim(),
        "kg: nothing to query: HEAD has no commits yet"
    );
}

// verifies: index/bad-input, query/exit-codes
#[test]
fn a_directory_that_is_not_a_repository_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = kg_in(dir.path(), &["index"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with("kg: ") && run.stderr.contains("not a git repository"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
    let missing = kg_in(dir.path(), &["-C", "does-not-exist", "index"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("does-not-exist: no such directory"),
        "{}",
        missing.stderr
    );
}

// verifies: index/files
#[test]
fn a_bad_kg_toml_is_an_error_with_its_line() {
    let fixture = Fixture::empty();
    fixture.write("kg.toml", "[files]\nspec = [\"reqs/*.yaml\"]\n");
    fixture.commit_all("Typo", 0);
    let run = fixture.kg(&["index"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("kg: kg.toml:2:1: unknown field `spec`"),
        "{}",
        run.stderr
    );
}

// verifies: index/files
#[test]
fn kg_toml_chooses_the_spec_files() {
    let fixture = Fixture::empty();
    fixture.write(
        "kg.toml",
        "[files]\nspecs = [\"reqs/**/*.yaml\"]\nexclude = [\"vendor/**\"]\n",
    );
    fixture.write("reqs/a.yaml", "feature: a\nacceptance: [\"x\"]\n");
    fixture.write("specs/b.yaml", "feature: b\nacceptance: [\"y\"]\n");
    fixture.write("vendor/lib.rs", "// implements: a/AC-1\nfn vendored() {}\n");
    fixture.commit_all("Config", 0);
    let features = fixture.kg(&["query", "features", "--format", "csv"]).ok();
    assert_eq!(
        features,
        "feature,spec,items,implemented,verified,documented\r\na,reqs/a.yaml:1,1,0,0,0\r\n"
    );
}
