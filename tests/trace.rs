//! `kg trace` on the upload project with one more commit that rewords a criterion after its code
//! (`fixtures/trace`): golden reports in every format, and the CI gate.

mod support;

use support::Fixture;

fn fixture() -> Fixture {
    let fixture = Fixture::from_steps("trace");
    fixture.kg(&["--quiet", "index"]).ok();
    fixture
}

// verifies: trace/report
#[test]
fn golden_reports() {
    let fixture = fixture();
    // An inferred test at distance two, a criterion reworded after its code (stale), an item
    // documented only by a mention, a dangling reference and a criterion with nothing linked.
    insta::assert_snapshot!("table", fixture.kg(&["trace"]).ok());
    insta::assert_snapshot!("md", fixture.kg(&["trace", "--format", "md"]).ok());
    let json = fixture.kg(&["trace", "--format", "json"]).ok();
    insta::assert_snapshot!("json", json);
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let item = parsed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "imageUpload/size-limit")
        .unwrap();
    assert_eq!(item["stale"], true);
    assert_eq!(item["spec"]["line"], 7);
    assert!(
        item["verified_by"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["via"] == "inferred" && l["distance"] == 2)
    );
}

// verifies: trace/report
#[test]
fn a_feature_or_items_can_be_selected() {
    let fixture = fixture();
    let out = fixture
        .kg(&["trace", "avatarHistory", "imageUpload/AC-4"])
        .ok();
    let ids: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("    "))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![
            "avatarHistory/AC-1",
            "avatarHistory/restore",
            "imageUpload/AC-4"
        ]
    );
    let unknown = fixture.kg(&["trace", "nosuch"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("no feature or item is called `nosuch`"),
        "{}",
        unknown.stderr
    );
}

// verifies: trace/gate
#[test]
fn the_gate_fails_with_file_and_line() {
    let fixture = fixture();
    let run = fixture.kg(&["trace", "--check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!("check_default", run.stderr);
    let strict = fixture.kg(&[
        "trace",
        "--check",
        "--require",
        "implemented,verified,documented",
        "--fail-on-stale",
    ]);
    assert_eq!(strict.code, 1);
    assert!(
        strict.stderr.contains(
            "specs/image-upload.yaml:7: error: imageUpload/size-limit is stale: reworded in "
        ),
        "{}",
        strict.stderr
    );
    assert!(
        strict.stderr.contains(
            "specs/image-upload.yaml:13: error: imageUpload/NFR-security-1 is not documented"
        ),
        "{}",
        strict.stderr
    );
    // The same policy can live in kg.toml.
    fixture.write(
        "kg.toml",
        "[trace]\nrequire = [\"implemented\", \"verified\"]\nfail_on_stale = true\n",
    );
    fixture.commit_all("Stricter policy", 5);
    let configured = fixture.kg(&["trace", "--check"]);
    assert_eq!(configured.code, 1);
    assert!(
        configured
            .stderr
            .contains("imageUpload/size-limit is stale"),
        "{}",
        configured.stderr
    );
    assert!(
        configured
            .stderr
            .contains("avatarHistory/AC-1 is not verified"),
        "{}",
        configured.stderr
    );
    assert!(
        !configured.stderr.contains("is not documented"),
        "{}",
        configured.stderr
    );
}

// verifies: trace/gate
#[test]
fn the_gate_passes_when_the_policy_holds() {
    let fixture = Fixture::empty();
    fixture.write("specs/a.yaml", "feature: a\nacceptance: [\"x\"]\n");
    fixture.write("src/lib.rs", "// implements: a/AC-1\npub fn f() {}\n");
    fixture.commit_all("Done", 0);
    let run = fixture.kg(&["--quiet", "trace", "--check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.ends_with(
            "overall: 1 items: 1 implemented (100%), 0 verified (0%), 0 documented (0%), 0 stale\n"
        ),
        "{}",
        run.stdout
    );
}
