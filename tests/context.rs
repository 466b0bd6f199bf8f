//! `kg context` on the upload project with a reworded criterion (`fixtures/trace`): the pack
//! about an item, a file line and a symbol, in Markdown and JSON, cut to a budget.

mod support;

use support::Fixture;

fn fixture() -> Fixture {
    let fixture = Fixture::from_steps("trace");
    fixture.kg(&["--quiet", "index"]).ok();
    fixture
}

// verifies: agents/context, agents/freshness
#[test]
fn golden_packs() {
    let fixture = fixture();
    // A stale criterion with declared code, a declared and an inferred test, a doc and a
    // history of introduction and rewording.
    insta::assert_snapshot!(
        "item_md",
        fixture.kg(&["context", "imageUpload/size-limit"]).ok()
    );
    insta::assert_snapshot!(
        "item_json",
        fixture
            .kg(&["context", "imageUpload/size-limit", "--format", "json"])
            .ok()
    );
    insta::assert_snapshot!(
        "line_md",
        fixture.kg(&["context", "backend/src/upload.rs:52"]).ok()
    );
    insta::assert_snapshot!("symbol_md", fixture.kg(&["context", "check_size"]).ok());
}

// verifies: agents/context
#[test]
fn a_small_budget_cuts_snippets_and_says_so() {
    let fixture = fixture();
    let full = fixture
        .kg(&["context", "imageUpload/size-limit", "--format", "json"])
        .ok();
    let small = fixture
        .kg(&[
            "context",
            "imageUpload/size-limit",
            "--format",
            "json",
            "--budget",
            "100",
        ])
        .ok();
    let full: serde_json::Value = serde_json::from_str(&full).unwrap();
    let small: serde_json::Value = serde_json::from_str(&small).unwrap();
    assert!(full["code"][0]["source"].is_string(), "{full}");
    assert!(full.get("omitted").is_none(), "{full}");
    assert!(small["code"][0].get("source").is_none(), "{small}");
    let omitted = small["omitted"][0].as_str().unwrap();
    assert!(
        omitted.contains("over the budget of 100 tokens"),
        "{omitted}"
    );
    // The item itself is never cut.
    assert_eq!(small["items"][0]["text"], full["items"][0]["text"]);
    assert!(small["tokens"].as_u64().unwrap() < full["tokens"].as_u64().unwrap());
}

// verifies: agents/context
#[test]
fn an_unknown_subject_is_an_error_naming_like_items() {
    let fixture = fixture();
    let run = fixture.kg(&["context", "size-limit"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("no item, indexed file or symbol is named `size-limit`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("imageUpload/size-limit"),
        "{}",
        run.stderr
    );
}

// verifies: agents/freshness
#[test]
fn a_pack_says_what_the_index_does_not_see() {
    let fixture = fixture();
    fixture.write("backend/src/upload.rs", "pub fn changed() {}\n");
    let json = fixture
        .kg(&[
            "context",
            "imageUpload/size-limit",
            "--format",
            "json",
            "--no-refresh",
        ])
        .ok();
    let pack: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(pack["fresh"]["uncommitted"][0], "backend/src/upload.rs");
    assert_eq!(pack["fresh"]["indexed"], pack["fresh"]["head"]);
    let md = fixture
        .kg(&["context", "imageUpload/size-limit", "--no-refresh"])
        .ok();
    assert!(
        md.contains("uncommitted changes in backend/src/upload.rs the index does not see"),
        "{md}"
    );
}
