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

// verifies: trace/NFR-performance-1
#[test]
fn a_trace_of_an_unchanged_index_is_read_from_its_cache_and_never_from_another() {
    let fixture = fixture();
    let json = fixture.kg(&["trace", "--format", "json"]).ok();
    // The full build left the trace of its index in the store's directory.
    let dir = fixture.scratch.join("store");
    let pointer = std::fs::read_to_string(dir.join("current")).unwrap();
    let store = dir.join(pointer.lines().next().unwrap().trim());
    let cache = store.join("kg-trace.json");
    let saved = std::fs::read_to_string(&cache).unwrap();
    assert!(saved.contains("imageUpload/size-limit"), "{saved}");
    // Selecting and counting other distances read it as the store would have answered.
    let fresh = |args: &[&str]| {
        std::fs::remove_file(&cache).unwrap();
        let out = fixture.kg(args).ok();
        assert!(cache.exists(), "a trace saves the cache it read");
        out
    };
    for args in [
        &["trace", "--format", "json"][..],
        &["trace", "--inferred-distance", "3"],
        &["trace", "imageUpload"],
    ] {
        let cached = fixture.kg(args).ok();
        assert_eq!(cached, fresh(args), "{args:?}");
    }
    assert_eq!(fixture.kg(&["trace", "--format", "json"]).ok(), json);
    // A damaged cache is read from the store again.
    std::fs::write(&cache, "{\"key\": 1").unwrap();
    assert_eq!(fixture.kg(&["trace", "--format", "json"]).ok(), json);
    // A new commit is a new index state: its trace is read anew.
    let spec = std::fs::read_to_string(fixture.root.join("specs/profile-audit.yaml"));
    let spec = spec.expect("the avatar history spec");
    fixture.write(
        "specs/profile-audit.yaml",
        spec.replacen(
            "acceptance:",
            "acceptance:\n  - Shows the date of each version.",
            1,
        ),
    );
    fixture.commit_all("Show dates", 9);
    let after = fixture.kg(&["trace", "avatarHistory"]).ok();
    assert!(after.contains("Shows the date of each version."), "{after}");
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
            "overall: 1 items: 1 implemented (100%), 0 verified (0%: 0 declared, 0 inferred), 0 documented (0%), 0 stale; inferred verification counts tests within 1 call of the code\n"
        ),
        "{}",
        run.stdout
    );
}

/// A criterion verified by a marker, one by a test that calls its code, one by a test two calls
/// away, and one whose test calls code that calls it three calls away.
fn verification_fixture() -> Fixture {
    let fixture = Fixture::empty();
    fixture.write(
        "specs/a.yaml",
        "feature: a\nacceptance: [\"Declared.\", \"Direct.\", \"Two away.\", \"Three away.\"]\n",
    );
    fixture.write(
        "src/lib.rs",
        "// implements: a/AC-1\npub fn declared() {}\n\n// implements: a/AC-2\npub fn direct() {}\n\n// implements: a/AC-3\npub fn deep() {}\n\npub fn middle() { deep(); }\n\n// implements: a/AC-4\npub fn deeper() {}\n\npub fn inner() { deeper(); }\n\npub fn outer() { inner(); }\n",
    );
    fixture.write(
        "tests/a.rs",
        "// verifies: a/AC-1\n#[test]\nfn named() { declared(); }\n\n#[test]\nfn calls() { direct(); middle(); outer(); }\n",
    );
    fixture.commit_all("Four ways", 0);
    fixture
}

fn coverage(fixture: &Fixture, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--quiet", "trace", "--format", "json"];
    all.extend_from_slice(args);
    let parsed: serde_json::Value = serde_json::from_str(&fixture.kg(&all).ok()).unwrap();
    let verification: Vec<serde_json::Value> = parsed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["verification"].clone())
        .collect();
    let c = &parsed["coverage"];
    serde_json::json!([
        c["verified"],
        c["verified_declared"],
        c["verified_inferred"],
        c["inferred_distance"],
        verification
    ])
}

// verifies: trace/report, trace/gate
#[test]
fn coverage_tells_declared_verification_from_inferred() {
    let fixture = verification_fixture();
    // By default a test that calls the code itself counts; longer chains are listed only.
    assert_eq!(
        coverage(&fixture, &[]),
        serde_json::json!([2, 1, 1, 1, ["declared", "inferred", null, null]])
    );
    let table = fixture.kg(&["--quiet", "trace"]).ok();
    assert!(
        table.contains("4 items: 4 implemented (100%), 2 verified (50%: 1 declared, 1 inferred)"),
        "{table}"
    );
    assert!(table.contains("inferred, distance 3"), "{table}");
    assert_eq!(
        coverage(&fixture, &["--inferred-distance", "3"]),
        serde_json::json!([4, 1, 3, 3, ["declared", "inferred", "inferred", "inferred"]])
    );
    assert_eq!(
        coverage(&fixture, &["--inferred-distance", "0"]),
        serde_json::json!([1, 1, 0, 0, ["declared", null, null, null]])
    );
    let gate = fixture.kg(&["--quiet", "trace", "--check", "--require", "verified"]);
    assert_eq!(gate.code, 1);
    assert!(
        gate.stderr.contains("a/AC-3 is not verified"),
        "{}",
        gate.stderr
    );
    assert!(!gate.stderr.contains("a/AC-2 is not"), "{}", gate.stderr);
    let too_far = fixture.kg(&["--quiet", "trace", "--inferred-distance", "4"]);
    assert_eq!(too_far.code, 2, "{}", too_far.stderr);
    // kg.toml sets the bar too, and says where it is wrong.
    fixture.write("kg.toml", "[trace]\ninferred_distance = 0\n");
    fixture.commit_all("Declared only", 1);
    assert_eq!(
        coverage(&fixture, &[]),
        serde_json::json!([1, 1, 0, 0, ["declared", null, null, null]])
    );
    fixture.write("kg.toml", "[trace]\n\ninferred_distance = 9\n");
    fixture.commit_all("Too far", 2);
    let bad = fixture.kg(&["--quiet", "trace"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("kg.toml:3:1") && bad.stderr.contains("at most 3"),
        "{}",
        bad.stderr
    );
}

/// The text of a terminal's output, without its colour codes.
fn plain(text: &str) -> String {
    console::strip_ansi_codes(text).into_owned()
}

// verifies: report/terminal
#[test]
fn on_a_terminal_the_report_fits_its_width_and_status_words_are_in_colour() {
    let fixture = fixture();
    let run = support::kg_on_terminal(&fixture, &["trace"], &[("COLUMNS", "60")]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let text = plain(&run.stdout);
    for line in text.lines() {
        assert!(
            console::measure_text_width(line) <= 60,
            "wider than 60: {line:?}"
        );
    }
    insta::assert_snapshot!("table_60_columns", text);
    // Status words in colour: missing in red, stale in yellow, both bold.
    assert!(
        run.stdout.contains("\u{1b}[31m\u{1b}[1mmissing"),
        "{:?}",
        run.stdout
    );
    assert!(
        run.stdout.contains("\u{1b}[33m\u{1b}[1mstale"),
        "{:?}",
        run.stdout
    );
    // Nothing is lost in the fitting but the cut columns' ends: every item is there, with its
    // words.
    let whole = fixture.kg(&["trace"]).ok();
    let words = |t: &str| t.split_whitespace().filter(|w| !w.contains('…')).count();
    assert!(words(&text) >= words(&whole) * 9 / 10, "{text}");
    assert_eq!(
        text.matches("missing").count(),
        whole.matches("missing").count()
    );

    // NO_COLOR and --color never keep colour away from a terminal, not the fitting.
    for (args, env) in [
        (&["trace"][..], &[("COLUMNS", "60"), ("NO_COLOR", "1")][..]),
        (&["--color", "never", "trace"][..], &[("COLUMNS", "60")][..]),
    ] {
        let run = support::kg_on_terminal(&fixture, args, env);
        assert!(
            !run.stdout.contains('\u{1b}'),
            "{args:?} {env:?}: {:?}",
            run.stdout
        );
        assert_eq!(run.stdout, text, "{args:?} {env:?}");
    }
    // A pipe gets whole lines and no colour, unless --color always.
    assert!(!whole.contains('\u{1b}'));
    assert!(whole.lines().any(|l| l.len() > 100));
    let forced = fixture.kg(&["--color", "always", "trace"]).ok();
    assert!(forced.contains("\u{1b}[31m\u{1b}[1mmissing"));
    assert_eq!(plain(&forced), whole);
}

// verifies: report/terminal
#[test]
fn impact_and_query_tables_fit_a_terminal_too() {
    let fixture = fixture();
    for args in [
        &["impact", "HEAD~1..HEAD"][..],
        &["query", "--list"][..],
        &["query", "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 20"][..],
    ] {
        let run = support::kg_on_terminal(&fixture, args, &[("COLUMNS", "50")]);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stdout);
        let text = plain(&run.stdout);
        assert!(text.lines().count() > 2, "{args:?}: {text}");
        for line in text.lines() {
            assert!(
                console::measure_text_width(line) <= 50,
                "{args:?}: wider than 50: {line:?}"
            );
        }
    }
}
