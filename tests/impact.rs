//! `kg impact` on the upload project with a pixel helper two calls below the implementing
//! function (`fixtures/impact`), changed by each overlay of `fixtures/impact-changes`: golden
//! reports, every input, and the gate.

mod support;

use support::{Fixture, fixture_dir, git};

/// The base project, indexed.
fn base() -> Fixture {
    let fixture = Fixture::from_steps("impact");
    fixture.kg(&["--quiet", "index"]).ok();
    fixture
}

/// The base project with one change committed on top.
fn committed(change: &str) -> Fixture {
    let fixture = base();
    let dir = fixture_dir("impact-changes").join(change);
    let message = std::fs::read_to_string(dir.join(".message")).unwrap();
    fixture.overlay(&dir);
    fixture.commit_all(&message, 2);
    fixture
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).expect("kg impact --format json prints JSON")
}

// verifies: impact/symbols, impact/items, impact/tests, impact/why, impact/outputs
#[test]
fn a_body_change_two_calls_below_the_implementing_function() {
    let fixture = committed("body-change");
    insta::assert_snapshot!(
        "body_change",
        fixture.kg(&["--quiet", "impact", "HEAD~1..HEAD"]).ok()
    );
    let out = fixture
        .kg(&["--quiet", "impact", "HEAD~1..HEAD", "--format", "json"])
        .ok();
    insta::assert_snapshot!("body_change_json", out);
    let report = json(&out);
    assert_eq!(report["changed_symbols"][0]["symbol"], "pick");
    assert_eq!(report["changed_symbols"][0]["change"], "modified");
    let item = &report["items"][0];
    assert_eq!(item["id"], "imageUpload/NFR-performance-1");
    assert_eq!(item["distance"], 2);
    assert!(
        item["why"]
            .as_str()
            .unwrap()
            .contains("called by backend/src/scan.rs:28 fn downsample -> called by")
    );
    // The same commit named alone, and as a three-dot range, is the same change.
    let text = fixture.kg(&["--quiet", "impact", "HEAD"]).ok();
    assert_eq!(
        text,
        fixture.kg(&["--quiet", "impact", "HEAD~1...HEAD"]).ok()
    );
    // The test list is a filter for the test runner, nearest first.
    let list = fixture
        .kg(&["--quiet", "impact", "HEAD~1..HEAD", "--format", "list"])
        .ok();
    assert_eq!(list, "resizes_quickly\n");
}

// verifies: impact/spec-changes, impact/outputs
#[test]
fn a_reworded_criterion() {
    let fixture = committed("reword");
    insta::assert_snapshot!(
        "reword",
        fixture.kg(&["--quiet", "impact", "HEAD~1..HEAD"]).ok()
    );
    insta::assert_snapshot!(
        "reword_md",
        fixture
            .kg(&["--quiet", "impact", "HEAD~1..HEAD", "--format", "md"])
            .ok()
    );
}

// verifies: impact/spec-changes, impact/tests
#[test]
fn a_removed_criterion_is_affected_and_its_tests_run() {
    let fixture = base();
    let spec = std::fs::read_to_string(fixture.root.join("specs/image-upload.yaml")).unwrap();
    let start = spec.find("  - id: size-limit").unwrap();
    let end = start + spec[start..].find("MB.\"\n").unwrap() + 5;
    fixture.write(
        "specs/image-upload.yaml",
        format!("{}{}", &spec[..start], &spec[end..]),
    );
    fixture.commit_all("Drop the size limit", 2);
    let report = json(
        &fixture
            .kg(&["--quiet", "impact", "HEAD~1..HEAD", "--format", "json"])
            .ok(),
    );
    let item = &report["items"][0];
    assert_eq!(item["id"], "imageUpload/size-limit");
    assert_eq!(item["distance"], 0);
    assert_eq!(
        item["why"],
        "specs/image-upload.yaml: imageUpload/size-limit removed"
    );
    let tests: Vec<(&str, u64)> = report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["symbol"].as_str().unwrap(),
                t["distance"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(tests[0], ("tests::rejects_large_file", 1), "{tests:?}");
    assert!(tests.contains(&("accepts_png_and_jpg", 3)), "{tests:?}");
}

// verifies: impact/spec-changes
#[test]
fn an_inserted_positional_criterion_is_one_addition() {
    let fixture = committed("insert");
    let out = fixture
        .kg(&["--quiet", "impact", "HEAD~1..HEAD", "--format", "json"])
        .ok();
    insta::assert_snapshot!("insert_json", out);
    let report = json(&out);
    let changes: Vec<(&str, &str)> = report["spec_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["change"].as_str().unwrap()))
        .collect();
    assert_eq!(
        changes
            .iter()
            .filter(|(_, change)| *change == "added")
            .count(),
        1,
        "{changes:?}"
    );
    assert!(
        changes
            .iter()
            .all(|(_, c)| *c == "added" || *c == "renumbered")
    );
}

// verifies: impact/items, impact/untraced
#[test]
fn a_deleted_test() {
    let fixture = committed("delete-test");
    insta::assert_snapshot!(
        "delete_test",
        fixture.kg(&["--quiet", "impact", "HEAD~1..HEAD"]).ok()
    );
}

// verifies: impact/docs
#[test]
fn a_change_to_a_doc_only() {
    let fixture = committed("doc");
    insta::assert_snapshot!(
        "doc",
        fixture.kg(&["--quiet", "impact", "HEAD~1..HEAD"]).ok()
    );
}

// verifies: impact/inputs
#[test]
fn uncommitted_and_staged_changes() {
    let fixture = base();
    fixture.overlay(&fixture_dir("impact-changes").join("worktree"));
    let worktree = fixture.kg(&["--quiet", "impact"]).ok();
    insta::assert_snapshot!("worktree", worktree);
    // Nothing is staged yet; once it is, --staged sees the same change.
    let staged = fixture.kg(&["--quiet", "impact", "--staged"]).ok();
    assert!(staged.starts_with("0 symbols changed"), "{staged}");
    git(&fixture.root, &["add", "-A"]);
    assert_eq!(
        fixture.kg(&["--quiet", "impact", "--staged"]).ok(),
        worktree
    );
    // An untracked file counts as added; one kg does not read is counted apart.
    fixture.write("backend/src/extra.rs", "pub fn extra_helper() {}\n");
    fixture.write("notes.txt", "to do\n");
    let text = fixture.kg(&["--quiet", "impact"]).ok();
    assert!(
        text.contains("\n(1 changed files are not specs, code or docs kg reads"),
        "{text}"
    );
    let report = json(&fixture.kg(&["--quiet", "impact", "--format", "json"]).ok());
    assert!(
        report["untraced"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["symbol"] == "extra_helper"),
        "{report}"
    );
}

// verifies: impact/inputs
#[test]
fn a_diff_from_stdin_and_one_that_does_not_apply() {
    let fixture = base();
    fixture.overlay(&fixture_dir("impact-changes").join("body-change"));
    let diff = String::from_utf8(git(&fixture.root, &["diff"]).stdout).unwrap();
    git(&fixture.root, &["checkout", "--", "."]);
    let from_stdin = support::kg_stdin(&fixture, &["--quiet", "impact", "--diff", "-"], &diff);
    assert_eq!(from_stdin.code, 0, "{}", from_stdin.stderr);
    insta::assert_snapshot!("stdin", from_stdin.stdout);
    // The same diff against a file that has moved on: still mapped, by line, with a warning.
    fixture.write(
        "backend/src/scan.rs",
        std::fs::read_to_string(fixture.root.join("backend/src/scan.rs"))
            .unwrap()
            .replace("bytes[row * side + col]", "bytes[col + row * side]"),
    );
    fixture.commit_all("Swap the index terms", 3);
    let stale = support::kg_stdin(&fixture, &["--quiet", "impact", "--diff", "-"], &diff);
    assert_eq!(stale.code, 0, "{}", stale.stderr);
    insta::assert_snapshot!("stdin_not_applying", stale.stdout);
}

// verifies: impact/inputs
#[test]
fn a_malformed_diff_is_an_error_naming_its_line() {
    let fixture = base();
    let run = support::kg_stdin(
        &fixture,
        &["impact", "--diff", "-"],
        "--- a/backend/src/scan.rs\n+++ b/backend/src/scan.rs\n@@ -1,3 +1,3 @@\n fn a() {}\n-b\nthis is not a hunk line\n",
    );
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("-:6: not a unified diff kg can read"),
        "{}",
        run.stderr
    );
    let missing = fixture.kg(&["impact", "--diff", "no/such.diff"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("no/such.diff"),
        "{}",
        missing.stderr
    );
}

// verifies: impact/outputs
#[test]
fn the_gate_fails_on_untraced_code_and_spec_changes() {
    let fixture = committed("reword");
    let run = fixture.kg(&[
        "--quiet",
        "impact",
        "HEAD~1..HEAD",
        "--fail-on",
        "spec-change",
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("1 spec changes"), "{}", run.stderr);
    let run = fixture.kg(&["--quiet", "impact", "HEAD~1..HEAD", "--fail-on", "untraced"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    fixture.write("backend/src/extra.rs", "pub fn extra_helper() {}\n");
    let run = fixture.kg(&["--quiet", "impact", "--fail-on", "untraced,spec-change"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("1 untraced definitions"),
        "{}",
        run.stderr
    );
}

// verifies: impact/docs
#[test]
fn docs_that_name_a_changed_definition_or_its_path() {
    let fixture = base();
    fixture.write(
        "docs/internals.md",
        "# Internals\n\n## Scanning\n\nEvery upload goes through `scan_for_malware()`.\n\n## Layout\n\nThe scanner lives in backend/src/scan.rs.\n\n## Other\n\nNothing about scanning here: rescan_for_malware_x is another name.\n",
    );
    fixture.commit_all("Describe the internals", 2);
    let path = fixture.root.join("backend/src/scan.rs");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "return Err(UploadError::Malware);",
        "return Err(UploadError::Malware); // a signature matched",
    );
    std::fs::write(&path, text).unwrap();
    let report = json(&fixture.kg(&["--quiet", "impact", "--format", "json"]).ok());
    let named: Vec<(&str, &str)> = report["docs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["path"] == "docs/internals.md")
        .map(|d| (d["section"].as_str().unwrap(), d["why"].as_str().unwrap()))
        .collect();
    assert_eq!(named.len(), 2, "{named:?}");
    assert_eq!(named[1].0, "Internals > Layout");
    assert!(
        named[1]
            .1
            .starts_with("backend/src/scan.rs (changed) -> named in")
    );
    assert_eq!(named[0].0, "Internals > Scanning");
    assert!(
        named[0]
            .1
            .contains("fn scan_for_malware (line 12 changed) -> named in docs/internals.md:5"),
        "{named:?}"
    );
}
