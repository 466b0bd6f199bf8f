//! Spec-driven repositories read as they are, with no kg.toml: GitHub Spec Kit
//! (`fixtures/speckit`: `specs/NNN-slug/spec.md` with its user stories, acceptance scenarios,
//! requirements and success criteria) and Kiro (`fixtures/kiro`: `.kiro/specs/<feature>/
//! requirements.md` with its requirements and numbered criteria).

mod support;

use support::Fixture;

/// The fixture `name`, indexed, after checking the index summary's counts.
fn indexed(name: &str, counts: &str) -> Fixture {
    let fixture = Fixture::from_dir(name);
    let index = fixture.kg(&["index"]);
    assert_eq!(index.code, 0, "{}", index.stderr);
    assert!(index.stderr.contains(counts), "{}", index.stderr);
    fixture
}

// verifies: index/specs, trace/report
#[test]
fn a_spec_kit_feature_is_traced_with_no_configuration() {
    let fixture = indexed("speckit", "1 features, 9 items");
    insta::assert_snapshot!("trace", fixture.kg(&["trace"]).ok());
    let question = fixture
        .kg(&[
            "query",
            "--format",
            "csv",
            "SELECT ?id ?kind WHERE { ?r dcterms:identifier ?id ; kg:attribute [ kg:key \"kind\" ; rdf:value ?kind ] } ORDER BY ?id",
        ])
        .ok();
    insta::assert_snapshot!("kinds", question.replace("\r\n", "\n"));
}

// verifies: index/specs, trace/report
#[test]
fn a_kiro_feature_is_traced_with_no_configuration() {
    let fixture = indexed("kiro", "1 features, 6 items");
    insta::assert_snapshot!("kiro_trace", fixture.kg(&["trace"]).ok());
}
