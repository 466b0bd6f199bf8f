//! `kg index` on the fixture project: the graph checked through golden results of the named
//! queries, identical quads across clones, the no-op re-index, and reading from the object
//! database rather than the work tree.

mod support;

use support::{Fixture, git, kg_in};

fn named(fixture: &Fixture, name: &str) -> String {
    fixture.kg(&["query", name, "--format", "table"]).ok()
}

// verifies: index/specs, index/code, index/references, index/docs, index/graph, query/named
#[test]
fn golden_named_queries_on_the_upload_fixture() {
    let fixture = Fixture::from_dir("upload");
    let run = fixture.kg(&["index"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(
        "index_summary",
        run.stderr
            .lines()
            .filter(|l| !l.starts_with("indexed "))
            .collect::<Vec<_>>()
            .join("\n")
    );
    for name in [
        "items",
        "unimplemented",
        "untested",
        "dangling",
        "features",
        "tests",
        "diagnostics",
    ] {
        insta::assert_snapshot!(name, named(&fixture, name));
    }
}

// verifies: index/graph
#[test]
fn contract_terms_are_in_the_graph() {
    let fixture = Fixture::from_dir("upload");
    let ask = |q: &str| {
        fixture
            .kg(&["query", q, "--format", "table"])
            .ok()
            .trim()
            .to_owned()
    };
    // Every criterion and NFR is an oslc_rm:Requirement with identifier and description.
    assert_eq!(
        ask(
            "ASK { ?r a oslc_rm:Requirement ; dcterms:identifier \"imageUpload/size-limit\" ; dcterms:description \"File size must be less than 5MB.\" }"
        ),
        "true"
    );
    assert_eq!(
        ask(
            "ASK { ?r dcterms:identifier \"imageUpload/NFR-security-1\" ; a oslc_rm:Requirement, kg:NonFunctionalRequirement ; kg:category \"security\" }"
        ),
        "true"
    );
    // implementedBy, validatedBy (tests are oslc_qm:TestCase), elaboratedBy.
    assert_eq!(
        ask(
            "ASK { ?r dcterms:identifier \"imageUpload/size-limit\" ; oslc_rm:implementedBy ?c ; oslc_rm:validatedBy ?t ; oslc_rm:elaboratedBy ?d . ?c kg:qualifiedName \"UploadGateway::check_size\" . ?t a oslc_qm:TestCase ; kg:qualifiedName \"tests::rejects_large_file\" . ?d a kg:DocSection ; kg:headingPath \"Profile pictures > Size limit\" }"
        ),
        "true"
    );
    // One named graph per file: the quads about a file's definitions live in its graph.
    assert_eq!(
        ask(
            "ASK { GRAPH ?g { ?d kg:qualifiedName \"UploadGateway::check_size\" } ?g kg:path \"backend/src/upload.rs\" }"
        ),
        "true"
    );
    assert_eq!(
        ask("SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?f a kg:File } }")
            .lines()
            .last()
            .unwrap_or(""),
        "13"
    );
    // Call sites are kept by name for later inference, in both languages.
    assert_eq!(
        ask(
            "ASK { ?v kg:qualifiedName \"UploadGateway::validate\" ; kg:callsName \"check_size\", \"crate::scan::scan_for_malware\" . ?r kg:qualifiedName \"ImagePreview.render\" ; kg:callsName \"readAsDataUrl\" }"
        ),
        "true"
    );
    // Unknown keys are kept as data.
    assert_eq!(
        ask(
            "ASK { ?f dcterms:identifier \"imageUpload\" ; kg:attribute [ kg:key \"priority\" ; rdf:value \"high\" ] }"
        ),
        "true"
    );
    // Dangling references stay in the graph.
    assert_eq!(
        ask(
            "ASK { ?ref a kg:Reference ; kg:targetId \"imageUpload/AC-9\" ; kg:target ?t . FILTER NOT EXISTS { ?t dcterms:identifier ?i } }"
        ),
        "true"
    );
}

// verifies: index/NFR-portability-1
#[test]
fn two_clones_give_identical_quads() {
    let fixture = Fixture::from_dir("upload");
    let export = |name: &str| {
        let clone = fixture.scratch.join(name);
        git(
            &fixture.scratch,
            &[
                "clone",
                "-q",
                fixture.root.to_str().unwrap(),
                clone.to_str().unwrap(),
            ],
        );
        // The default store, inside the clone's git directory.
        kg_in(&clone, &["--quiet", "index"]).ok();
        kg_in(&clone, &["export", "--format", "nquads"]).ok()
    };
    let a = export("a");
    let b = export("b");
    assert!(a.lines().count() > 500, "suspiciously small export:\n{a}");
    assert!(a == b, "the two clones' quads differ");
    // A clone of a local path has no network remote: the base comes from the first commit.
    let root =
        String::from_utf8(git(&fixture.root, &["rev-list", "--max-parents=0", "HEAD"]).stdout)
            .unwrap();
    assert!(
        a.contains(&format!(
            "<urn:kg:{}/req/imageUpload/size-limit>",
            root.trim()
        )),
        "{}",
        &a[..300]
    );
    assert!(
        !a.contains(fixture.scratch.to_str().unwrap()),
        "a machine path leaked into the graph"
    );
}

// verifies: index/graph
#[test]
fn the_base_comes_from_a_network_remote() {
    let fixture = Fixture::from_dir("upload");
    git(
        &fixture.root,
        &["remote", "add", "origin", "git@github.com:acme/upload.git"],
    );
    let out = fixture
        .kg(&[
            "query",
            "SELECT ?r WHERE { ?r dcterms:identifier \"imageUpload/AC-1\" }",
            "--format",
            "csv",
        ])
        .ok();
    assert_eq!(
        out.lines().nth(1),
        Some("https://github.com/acme/upload/req/imageUpload/AC-1")
    );
}

// verifies: index/command
#[test]
fn indexing_an_unchanged_head_is_a_no_op_and_a_new_commit_updates() {
    let fixture = Fixture::from_dir("upload");
    let first = fixture.kg(&["index"]);
    assert!(first.stderr.contains("indexed "), "{}", first.stderr);
    let second = fixture.kg(&["index"]);
    assert_eq!(second.code, 0);
    assert!(
        second.stderr.starts_with("index is up to date with "),
        "{}",
        second.stderr
    );

    fixture.write(
        "specs/extra.yaml",
        "feature: extra\nacceptance:\n  - \"One more thing.\"\n",
    );
    fixture.commit_all("Add extra", 1);
    // A query brings the index up to date first.
    let run = fixture.kg(&["query", "unimplemented", "--format", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("updated "), "{}", run.stderr);
    assert!(
        run.stdout.contains("extra/AC-1,One more thing."),
        "{}",
        run.stdout
    );
    // ... unless told not to.
    fixture.write("specs/later.yaml", "feature: later\nacceptance: [\"x\"]\n");
    fixture.commit_all("Add later", 2);
    let stale = fixture
        .kg(&["query", "unimplemented", "--format", "csv", "--no-refresh"])
        .ok();
    assert!(!stale.contains("later/AC-1"), "{stale}");
}

// verifies: index/timings, index/progress
#[test]
fn timings_name_every_stage_and_no_progress_bar_reaches_a_pipe() {
    let fixture = Fixture::from_dir("upload");
    let run = fixture.kg(&["index", "--timings"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let stages: Vec<&str> = run
        .stderr
        .lines()
        .skip_while(|l| !l.starts_with("stage "))
        .filter_map(|l| l.split("  ").next())
        .collect();
    assert_eq!(
        stages,
        vec![
            "stage",
            "read tree",
            "parse",
            "history walk",
            "graph build",
            "link inference",
            "history parse",
            "history graph",
            "finish",
            "load",
            // No "compact": a load of a few batches is not compacted.
            "save facts",
            "total",
        ],
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(" files/s"), "{}", run.stderr);
    // stderr is a pipe here: no bars, no carriage returns or escape codes.
    assert!(
        !run.stderr.contains('\r') && !run.stderr.contains('\u{1b}'),
        "{:?}",
        run.stderr
    );
    // An incremental run times its own stages; --quiet prints the timings alone.
    fixture.write("specs/extra.yaml", "feature: extra\nacceptance: [\"x\"]\n");
    fixture.commit_all("Add extra", 1);
    let run = fixture.kg(&["--quiet", "index", "--timings"]);
    assert!(run.stderr.contains("\nstage "), "{}", run.stderr);
    assert!(run.stderr.contains("\nparse "), "{}", run.stderr);
}

// verifies: index/files
#[test]
fn reads_the_commit_not_the_work_tree() {
    let fixture = Fixture::from_dir("upload");
    fixture.write("specs/image-upload.yaml", "feature: changed\n");
    fixture.write("specs/untracked.yaml", "feature: untracked\n");
    let out = fixture.kg(&["query", "features", "--format", "csv"]).ok();
    assert!(out.contains("imageUpload,"), "{out}");
    assert!(
        !out.contains("changed") && !out.contains("untracked"),
        "{out}"
    );
}

// verifies: index/store
#[test]
fn the_default_store_lives_in_the_git_directory() {
    let fixture = Fixture::from_dir("upload");
    kg_in(&fixture.root, &["index"]).ok();
    let current =
        std::fs::read_to_string(fixture.root.join(".git/kg/current")).expect("a current store");
    let name = current.lines().next().unwrap_or("");
    assert!(
        fixture.root.join(".git/kg").join(name).is_dir(),
        "{current}"
    );
    assert!(
        current.contains("\ncommit "),
        "the pointer records the indexed commit: {current}"
    );
    // Re-indexing by force replaces the store and removes the old one.
    kg_in(&fixture.root, &["index", "--force"]).ok();
    assert_eq!(support::store_count(&fixture.root.join(".git/kg")), 1);
}

// verifies: index/NFR-performance-1, trace/gate
#[test]
fn dogfood_kg_traces_its_own_specs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let scratch = tempfile::tempdir().unwrap();
    let store = scratch.path().join("store");
    let run = |args: &[&str]| {
        let mut all = vec!["--store", store.to_str().unwrap(), "--quiet"];
        all.extend_from_slice(args);
        kg_in(root, &all).ok()
    };
    run(&["index"]);
    assert_eq!(
        run(&["query", "dangling", "--format", "csv"]).trim(),
        "id,marker,location,attached_to"
    );
    assert_eq!(
        run(&["query", "unimplemented", "--format", "csv"]).trim(),
        "item,text,spec"
    );
    let features = run(&["query", "features", "--format", "csv"]);
    assert!(features.contains("index,specs/index.yaml:1,"), "{features}");
    assert!(features.contains("query,specs/query.yaml:1,"), "{features}");
    assert!(
        features.contains("history,specs/history.yaml:1,"),
        "{features}"
    );
    assert!(features.contains("trace,specs/trace.yaml:1,"), "{features}");
    assert!(
        features.contains("impact,specs/impact.yaml:1,"),
        "{features}"
    );
    // kg's own CI gate.
    let gate = kg_in(
        root,
        &[
            "--store",
            store.to_str().unwrap(),
            "--quiet",
            "trace",
            "--check",
        ],
    );
    assert_eq!(gate.code, 0, "{}", gate.stderr);
}

// verifies: history/incremental
#[test]
fn a_blob_parsed_once_is_never_parsed_again() {
    let fixture = Fixture::from_dir("upload");
    let first = fixture.kg(&["index"]);
    assert!(first.stderr.contains("(13 parsed)"), "{}", first.stderr);
    // A full rebuild finds every blob in the cache.
    let again = fixture.kg(&["index", "--force"]);
    assert!(again.stderr.contains("(0 parsed)"), "{}", again.stderr);
    // A new commit parses only its new blob.
    fixture.write("backend/src/extra.rs", "pub fn extra() {}\n");
    fixture.commit_all("Extra", 1);
    let update = fixture.kg(&["index"]);
    assert!(
        update.stderr.contains("1 files written (1 parsed)"),
        "{}",
        update.stderr
    );
}
