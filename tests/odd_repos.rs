//! Odd repositories: shallow clones, detached HEADs, submodules, symbolic links and file names that
//! are not UTF-8 (unborn HEADs are in bad_input.rs).

mod support;

use std::os::unix::ffi::OsStrExt;

use support::{Fixture, git, kg_in};

fn ask(fixture: &Fixture, query: &str) -> String {
    fixture
        .kg(&["--quiet", "query", query, "--format", "table"])
        .ok()
        .trim()
        .to_owned()
}

// verifies: history/odd-repositories
#[test]
fn a_shallow_clone_indexes_what_exists_and_says_so() {
    let fixture = Fixture::from_steps("history");
    let clone = fixture.scratch.join("shallow");
    let url = format!("file://{}", fixture.root.display());
    git(
        &fixture.scratch,
        &["clone", "-q", "--depth", "2", &url, clone.to_str().unwrap()],
    );
    let run = kg_in(&clone, &["index"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(": 2 commits (shallow clone: history is cut off)"),
        "{}",
        run.stderr
    );
    let shallow = kg_in(
        &clone,
        &["query", "ASK { ?r kg:shallow true }", "--format", "table"],
    )
    .ok();
    assert_eq!(shallow.trim(), "true");
    // The boundary commit is diffed against nothing: everything in it counts as added.
    let added = kg_in(
        &clone,
        &[
            "query",
            "SELECT (COUNT(?c) AS ?n) WHERE { ?c kg:added ?p }",
            "--format",
            "csv",
        ],
    )
    .ok();
    assert_eq!(added, "n\r\n3\r\n");
}

// verifies: history/odd-repositories
#[test]
fn a_detached_head_is_indexed_at_its_commit() {
    let fixture = Fixture::from_steps("history");
    git(&fixture.root, &["checkout", "-q", "--detach", "HEAD~2"]);
    let text = ask(
        &fixture,
        "SELECT ?t WHERE { ?r dcterms:identifier \"upload/size-limit\" ; dcterms:description ?t }",
    );
    assert_eq!(text.lines().last(), Some("Files must be smaller than 5MB."));
    assert_eq!(
        ask(
            &fixture,
            "SELECT (COUNT(?c) AS ?n) WHERE { ?c a kg:Commit }"
        )
        .lines()
        .last(),
        Some("3")
    );
}

// verifies: history/odd-repositories
#[test]
fn submodules_and_symbolic_links_are_recorded_not_followed() {
    let fixture = Fixture::empty();
    fixture.write("README.md", "# Project\n\n<!-- documents: a/AC-1 -->\n");
    fixture.write("specs/a.yaml", "feature: a\nacceptance: [\"x\"]\n");
    std::fs::create_dir_all(fixture.root.join("docs")).unwrap();
    std::os::unix::fs::symlink("../README.md", fixture.root.join("docs/link.md")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", fixture.root.join("escape.md")).unwrap();
    std::os::unix::fs::symlink("../../outside.rs", fixture.root.join("docs/up.rs")).unwrap();
    std::fs::create_dir_all(fixture.root.join("vendor/lib")).unwrap();
    git(&fixture.root, &["add", "-A"]);
    git(
        &fixture.root,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            "160000,1234567890123456789012345678901234567890,vendor/lib",
        ],
    );
    fixture.commit_all("Odd entries", 0);

    let run = fixture.kg(&["index"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("files 1 doc, 1 spec "),
        "links must not be read as files: {}",
        run.stderr
    );
    let entries = fixture.kg(&["--quiet", "query", "SELECT ?path ?type ?target ?outside WHERE { ?e kg:path ?path ; a ?type . FILTER(?type IN (kg:Symlink, kg:Submodule)) OPTIONAL { ?e kg:linkTarget ?target ; kg:pointsOutside ?outside } OPTIONAL { ?e kg:submoduleCommit ?target } } ORDER BY ?path", "--format", "csv"]).ok();
    assert_eq!(
        entries,
        "path,type,target,outside\r\n\
         docs/link.md,https://w3id.org/kg/vocab#Symlink,../README.md,false\r\n\
         docs/up.rs,https://w3id.org/kg/vocab#Symlink,../../outside.rs,true\r\n\
         escape.md,https://w3id.org/kg/vocab#Symlink,/etc/passwd,true\r\n\
         vendor/lib,https://w3id.org/kg/vocab#Submodule,1234567890123456789012345678901234567890,\r\n"
    );
}

// verifies: history/odd-repositories
#[test]
fn file_names_that_are_not_utf8_are_indexed_and_reported() {
    let fixture = Fixture::empty();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.rs");
    std::fs::create_dir_all(fixture.root.join("src")).unwrap();
    std::fs::write(fixture.root.join("src").join(name), "pub fn latin() {}\n").unwrap();
    fixture.commit_all("Latin-1 name", 0);
    let run = fixture.kg(&["index"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("src/caf\u{fffd}.rs: warning: file name is not valid UTF-8"),
        "{}",
        run.stderr
    );
    assert_eq!(
        ask(&fixture, "SELECT ?n WHERE { ?d kg:qualifiedName ?n }")
            .lines()
            .last(),
        Some("latin")
    );
}
