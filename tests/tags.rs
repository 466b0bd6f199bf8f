//! The tags of other traceability tools, read as their repositories write them: tracey
//! (`fixtures/tracey`: a configuration naming one spec set in two Markdown files, its
//! implementations' files, a file it leaves out, and a kg spec whose item shares an id with a
//! tracey requirement).

mod support;

use support::Fixture;

// verifies: index/specs, index/references
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
}
