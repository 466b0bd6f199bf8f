//! The tags of other traceability tools, read as their repositories write them: tracey
//! (`fixtures/tracey`: a configuration naming one spec set in two Markdown files, its
//! implementations' files in Rust, TypeScript and Swift (read by the line scanner), a file it
//! leaves out, and a kg spec whose item shares an id with a tracey requirement).

mod support;

use support::Fixture;

// verifies: index/tracey, index/any-language
#[test]
fn a_tracey_project_is_traced_as_its_configuration_says() {
    let fixture = Fixture::from_dir("tracey");
    let index = fixture.kg(&["index"]);
    assert_eq!(index.code, 0, "{}", index.stderr);
    // One spec set over two files, five requirements; kg's own spec beside it.
    assert!(
        index.stderr.contains("2 features, 6 items"),
        "{}",
        index.stderr
    );
    // An id defined again in another file of the set is a warning; the first definition holds.
    assert!(
        index.stderr.contains(
            "docs/spec/rpc.md:11:1: warning: `link` is declared again (first at docs/spec/conn.md:7); this one was not read"
        ),
        "{}",
        index.stderr
    );
    // A tag with a verb tracey does not know is a warning at its place.
    assert!(
        index.stderr.contains(
            "web/session.ts:8:4: warning: `r[implement rpc.error]`: tracey knows no verb `implement`"
        ),
        "{}",
        index.stderr
    );
    insta::assert_snapshot!("tracey_trace", fixture.kg(&["trace"]).ok());
    // `r[impl rpc.call]` names the tracey requirement, `implements: session/rpc.call` kg's own
    // item: the two id spaces do not mix. Tags outside the configured files are not read.
    let references = fixture
        .kg(&[
            "query",
            "--format",
            "csv",
            "SELECT ?at ?id WHERE { ?r a kg:Reference ; kg:targetId ?id ; kg:line ?line ; kg:inFile/kg:path ?path . BIND(CONCAT(?path, ':', STR(?line)) AS ?at) } ORDER BY ?path ?line",
        ])
        .ok();
    insta::assert_snapshot!("tracey_references", references.replace("\r\n", "\n"));
    // `r[impl link.framing+1]` was written for version 1 of a requirement now at version 2.
    let stale = fixture.kg(&["query", "--format", "csv", "stale-tags"]).ok();
    assert_eq!(
        stale.replace("\r\n", "\n"),
        "item,written,current,location\nwire/link.framing,1,2,src/link.rs:9\n"
    );
    // The gate holds the tag to it, at the tag's place.
    let gate = fixture.kg(&["trace", "--check", "--fail-on-stale", "wire/link.framing"]);
    assert_eq!(gate.code, 1, "{}", gate.stderr);
    assert!(
        gate.stderr.contains("src/link.rs:9: error: the tag for wire/link.framing was written for version 1; the requirement is at version 2"),
        "{}",
        gate.stderr
    );
}

// verifies: index/bad-input
#[test]
fn a_tracey_configuration_kg_cannot_read_is_a_warning_and_the_rest_is_indexed() {
    let fixture = Fixture::empty();
    fixture.write(
        ".config/tracey/config.styx",
        "specs ( { name wire include (docs/*.md)\n",
    );
    fixture.write("docs/a.md", "> r[link]\n> A link.\n");
    fixture.write("specs/s.yaml", "feature: s\nacceptance:\n  - Works.\n");
    fixture.commit_all("Start", 0);
    let index = fixture.kg(&["index"]);
    assert_eq!(index.code, 0, "{}", index.stderr);
    assert!(
        index
            .stderr
            .contains(".config/tracey/config.styx: warning: cannot read the tracey configuration"),
        "{}",
        index.stderr
    );
    assert!(
        index.stderr.contains("1 features, 1 items"),
        "{}",
        index.stderr
    );
}

// verifies: impact/items
#[test]
fn impact_on_a_tracey_project_reaches_the_requirements_its_tags_name() {
    let fixture = Fixture::from_dir("tracey");
    assert_eq!(fixture.kg(&["index"]).code, 0);
    // A changed function, and a new tag in the work tree: both name tracey's requirements.
    let text = std::fs::read_to_string(fixture.root.join("src/link.rs")).unwrap();
    fixture.write(
        "src/link.rs",
        text.replace(
            "    frame(payload)",
            "    // r[impl rpc.error]\n    frame(payload)",
        ),
    );
    let impact = fixture.kg(&["impact", "--format", "json"]).ok();
    let parsed: serde_json::Value = serde_json::from_str(&impact).unwrap();
    let mut items: Vec<&str> = parsed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect();
    items.sort();
    assert_eq!(items, vec!["wire/link", "wire/rpc.error"], "{impact}");
}
