//! The tags of other traceability tools, read as their repositories write them: tracey
//! (`fixtures/tracey`: a configuration naming one spec set in two Markdown files, its
//! implementations' files in Rust, TypeScript and Swift (read by the line scanner), a file it
//! leaves out, and a kg spec whose item shares an id with a tracey requirement); OpenFastTrace
//! (`fixtures/openfasttrace`: system requirements and a design in Markdown as OpenFastTrace's own
//! repository writes them, an AsciiDoc spec as uProtocol's up-spec does, coverage tags in Java and
//! Rust, a tag for an old revision, tags and ids written wrong, and a kg spec beside them).

mod support;

use support::{Fixture, git};

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

// verifies: index/openfasttrace, index/bad-input
#[test]
fn an_openfasttrace_project_is_traced_by_its_needs() {
    let fixture = Fixture::from_dir("openfasttrace");
    let index = fixture.kg(&["index"]);
    assert_eq!(index.code, 0, "{}", index.stderr);
    // Three OpenFastTrace documents (two Markdown, one AsciiDoc) and kg's own spec.
    assert!(
        index.stderr.contains("4 features, 9 items"),
        "{}",
        index.stderr
    );
    // Each thing written wrong is a warning at its place; the rest is read.
    for warning in [
        "doc/spec/system_requirements.md:43:1: warning: `req~conversion.list-formats` has no revision (write `type~name~1`); it was not read as an item",
        "src/main/java/org/example/cli/CliArguments.java:17:8: warning: `dsn~cli.no-revision` is no OpenFastTrace id (`type~name~revision`); the tag covers nothing",
        "src/main/java/org/example/cli/CliArguments.java:18:35: warning: `[impl->dsn~status-mapping~1` is not closed on its line; it covers nothing",
        "doc/spec/design.md:29:16: warning: dangling reference: `req~conversion.list-formats~1` names an unknown id",
    ] {
        assert!(
            index.stderr.contains(warning),
            "{warning}\n{}",
            index.stderr
        );
    }
    insta::assert_snapshot!("openfasttrace_trace", fixture.kg(&["trace"]).ok());
    let needs = fixture.kg(&["query", "--format", "csv", "needs"]).ok();
    insta::assert_snapshot!("openfasttrace_needs", needs.replace("\r\n", "\n"));
    // The gate holds each item to its needs (not to --require): a type nothing covers, and
    // the impl tag written for revision 1 of an item at revision 2, which covers nothing.
    let gate = fixture.kg(&["trace", "--check", "--require", "implemented,verified"]);
    assert_eq!(gate.code, 1, "{}", gate.stderr);
    insta::assert_snapshot!("openfasttrace_gate", gate.stderr);
    // kg's own item stands beside them, held to --require.
    let json: serde_json::Value = serde_json::from_str(
        &fixture
            .kg(&["trace", "--format", "json", "conversion/AC-1"])
            .ok(),
    )
    .unwrap();
    assert!(json["items"][0].get("needs").is_none(), "{json}");
}

// verifies: impact/items, index/openfasttrace
#[test]
fn impact_on_an_openfasttrace_spec_reaches_the_reworded_item_and_its_tests() {
    let fixture = Fixture::from_dir("openfasttrace");
    assert_eq!(fixture.kg(&["index"]).code, 0);
    let text = std::fs::read_to_string(fixture.root.join("doc/spec/design.md")).unwrap();
    fixture.write(
        "doc/spec/design.md",
        text.replace(
            "from the `-o` parameter",
            "from the `-o` or `--output` parameter",
        ),
    );
    let impact = fixture.kg(&["impact", "--format", "json"]).ok();
    let parsed: serde_json::Value = serde_json::from_str(&impact).unwrap();
    let ids = |key: &str, field: &str| -> Vec<String> {
        parsed[key]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i[field].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        ids("items", "id"),
        vec!["doc.spec.design/dsn~cli.output-format"],
        "{impact}"
    );
    assert_eq!(
        ids("tests", "path"),
        vec!["src/test/java/org/example/cli/TestCliArguments.java"],
        "{impact}"
    );
}

// verifies: index/submodules
#[test]
fn a_checked_out_submodules_specs_are_read_at_the_commit_the_superproject_records() {
    // The spec repository, as uProtocol's up-spec: the superproject records its first commit.
    let spec = Fixture::empty();
    let item = |id: &str| {
        format!(
            "[.specitem,oft-sid=\"req~{id}~1\",oft-needs=\"impl\"]\n--\nThe {id} requirement.\n--\n\n"
        )
    };
    spec.write(
        "basics/error_model.adoc",
        format!("= Errors\n\n{}", item("status-codes")),
    );
    spec.write(
        "src/tool.rs",
        "// [impl->req~status-codes~1]\npub fn tool() {}\n",
    );
    spec.commit_all("Spec 1", 0);
    spec.write(
        "basics/error_model.adoc",
        format!("= Errors\n\n{}{}", item("status-codes"), item("later")),
    );
    spec.commit_all("Spec 2", 1);
    let fixture = Fixture::empty();
    fixture.write(
        "src/lib.rs",
        "// [impl->req~status-codes~1]\npub fn status() {}\n",
    );
    let url = spec.root.to_str().unwrap();
    git(
        &fixture.root,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            url,
            "up-spec",
        ],
    );
    git(&fixture.root.join("up-spec"), &["checkout", "-q", "HEAD~1"]);
    fixture.commit_all("Add the spec", 2);
    // Nothing the submodule's configuration names is run: a monitor that would leave a file.
    let marker = fixture.scratch.join("ran");
    git(
        &fixture.root.join(".git/modules/up-spec"),
        &[
            "config",
            "core.fsmonitor",
            &format!("touch {}", marker.display()),
        ],
    );
    let index = fixture.kg(&["index"]);
    assert_eq!(index.code, 0, "{}", index.stderr);
    assert!(
        index.stderr.contains("1 features, 1 items"),
        "{}",
        index.stderr
    );
    assert!(index.stderr.contains("0 dangling"), "{}", index.stderr);
    assert!(!marker.exists(), "kg ran the submodule's fsmonitor");
    // Only its specs: its code is not the superproject's.
    let trace = fixture.kg(&["trace"]).ok();
    assert!(
        trace.contains("up-spec.basics.error_model/req~status-codes"),
        "{trace}"
    );
    assert!(
        trace.contains("implemented  src/lib.rs:2  status"),
        "{trace}"
    );
    assert!(!trace.contains("up-spec/src/tool.rs"), "{trace}");
    // Its repository gone from the clone (as after `git submodule deinit` and removing it), and
    // back: HEAD does not move, yet what there is to read does, and the index follows.
    let modules = fixture.root.join(".git/modules/up-spec");
    let away = fixture.scratch.join("up-spec-away");
    std::fs::rename(&modules, &away).unwrap();
    let index = fixture.kg(&["index"]);
    assert!(
        index.stderr.contains("0 features, 0 items"),
        "{}",
        index.stderr
    );
    std::fs::rename(&away, &modules).unwrap();
    let index = fixture.kg(&["index"]);
    assert!(
        index.stderr.contains("1 features, 1 items"),
        "{}",
        index.stderr
    );
    // The superproject moves the submodule to its next commit: the new item is read.
    git(&fixture.root.join("up-spec"), &["checkout", "-q", "main"]);
    fixture.commit_all("Move the spec", 3);
    let index = fixture.kg(&["index"]);
    assert!(
        index.stderr.contains("1 features, 2 items"),
        "{}",
        index.stderr
    );
    // Off with kg.toml: the reference then names nothing known.
    fixture.write("kg.toml", "[files]\nsubmodules = false\n");
    fixture.commit_all("No submodules", 4);
    let index = fixture.kg(&["index"]);
    assert!(
        index.stderr.contains("0 features, 0 items"),
        "{}",
        index.stderr
    );
}

// verifies: index/strictdoc, index/bad-input
#[test]
fn a_strictdoc_project_is_traced_by_its_relation_markers() {
    let fixture = Fixture::from_dir("strictdoc");
    let index = fixture.kg(&["index"]);
    assert_eq!(index.code, 0, "{}", index.stderr);
    assert!(
        index.stderr.contains("2 features, 5 items"),
        "{}",
        index.stderr
    );
    for warning in [
        "docs/broken.sdoc:7:1: warning: `this line is no field` is no field of the REQUIREMENT node",
        "docs/broken.sdoc:9:1: warning: `[/SECTION]` closes nothing that is open",
        "c/links.c:9:4: warning: `@relation` scope `everywhere` is not one StrictDoc knows",
        "c/links.c:9:44: warning: `@relation(TOOL-SRS-3` is not closed on its line; it names nothing",
        "tool/backend/excel_import.py:9:17: warning: dangling reference: `TOOL-SRS-4` names an unknown id",
    ] {
        assert!(
            index.stderr.contains(warning),
            "{warning}\n{}",
            index.stderr
        );
    }
    insta::assert_snapshot!("strictdoc_trace", fixture.kg(&["trace"]).ok());
}

// verifies: index/duvet, index/bad-input
#[test]
fn a_duvet_project_is_traced_by_its_citations_and_stale_quotes() {
    let fixture = Fixture::from_dir("duvet");
    let index = fixture.kg(&["index"]);
    assert_eq!(index.code, 0, "{}", index.stderr);
    // The Markdown spec and the downloaded RFC: their sections with requirements.
    assert!(
        index.stderr.contains("2 features, 4 items"),
        "{}",
        index.stderr
    );
    for warning in [
        "src/decrypt.rs:26:1: warning: a duvet quote with no citation above it",
        "src/decrypt.rs:28:5: warning: the duvet citation `specification/client/decrypt-item.md` names no section",
    ] {
        assert!(
            index.stderr.contains(warning),
            "{warning}\n{}",
            index.stderr
        );
    }
    insta::assert_snapshot!("duvet_trace", fixture.kg(&["trace"]).ok());
    // The quote of the output section says "sent"; the spec now says "written".
    let stale = fixture
        .kg(&["query", "--format", "csv", "stale-quotes"])
        .ok();
    assert_eq!(
        stale.replace("\r\n", "\n"),
        "item,quote,location\nspecification.client.decrypt-item/output,\"The operation MUST return the decrypted item, with every attribute as it was sent.\",src/decrypt.rs:9\n"
    );
    let gate = fixture.kg(&[
        "trace",
        "--check",
        "--fail-on-stale",
        "specification.client.decrypt-item/output",
    ]);
    assert_eq!(gate.code, 1, "{}", gate.stderr);
    assert!(
        gate.stderr.contains("src/decrypt.rs:9: error: the quote of specification.client.decrypt-item/output is no longer in its section of the spec"),
        "{}",
        gate.stderr
    );
}
