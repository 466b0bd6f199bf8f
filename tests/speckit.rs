//! Spec-driven repositories read as they are, with no kg.toml: GitHub Spec Kit
//! (`fixtures/speckit`: two features' `spec.md` and `tasks.md`, code citing `FR-001`, `T002` and
//! `US1` as teams do), Kiro and cc-sdd (`fixtures/kiro`: `requirements.md` in English and in
//! Japanese, `tasks.md` with `_Requirements:_`, code with `Validates: Requirements 1.2`;
//! `fixtures/kiro-bugfix`: a bugfix spec beside a feature spec that shares its numbers) and
//! OpenSpec (`fixtures/openspec`: a capability spec, a change proposal, tests named after
//! scenarios).

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

/// Every task with what it serves and names, one row per item and path (the shipped `tasks`
/// query, which lists them together, is checked to list `count` tasks).
fn tasks(fixture: &Fixture, count: usize) -> String {
    let listed = fixture.kg(&["query", "--format", "csv", "tasks"]).ok();
    assert_eq!(listed.lines().count(), count + 1, "{listed}");
    fixture
        .kg(&[
            "query",
            "--format",
            "csv",
            "SELECT ?at ?task ?done ?serves ?names WHERE { ?t a kg:Task ; dcterms:identifier ?task ; kg:done ?done ; kg:line ?line ; kg:inFile/kg:path ?path . OPTIONAL { ?t kg:serves|(kg:inChange/kg:proposes) ?s . ?s a oslc_rm:Requirement ; dcterms:identifier ?serves } OPTIONAL { ?t kg:namesPath ?names } BIND(CONCAT(?path, ':', STR(?line)) AS ?at) } ORDER BY ?path ?line ?serves ?names",
        ])
        .ok()
        .replace("\r\n", "\n")
}

// verifies: index/specs, trace/report
#[test]
fn a_spec_kit_feature_is_traced_with_no_configuration() {
    let fixture = indexed("speckit", "2 features, 15 items, 8 tasks");
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

// verifies: index/tasks
#[test]
fn spec_kit_tasks_are_nodes_and_a_task_naming_an_unknown_story_is_reported() {
    let fixture = Fixture::from_dir("speckit");
    let index = fixture.kg(&["index"]);
    assert!(
        index.stderr.contains("specs/001-photo-albums/tasks.md:14:1: warning: task `T005` names `US3`, which is not an item of feature `001-photo-albums`"),
        "{}",
        index.stderr
    );
    insta::assert_snapshot!("speckit_tasks", tasks(&fixture, 8));
}

// verifies: index/local-ids
#[test]
fn spec_kit_ids_in_code_resolve_per_feature_or_are_reported_ambiguous() {
    let fixture = Fixture::from_dir("speckit");
    let index = fixture.kg(&["index"]);
    let mut diagnostics: Vec<&str> = index
        .stderr
        .lines()
        .filter(|l| l.contains(": warning: ") && l.contains("reference"))
        .collect();
    diagnostics.sort();
    insta::assert_snapshot!("speckit_reference_diagnostics", diagnostics.join("\n"));
    let references = fixture
        .kg(&[
            "query",
            "--format",
            "csv",
            "SELECT ?at ?written ?id WHERE { ?r a kg:Reference ; kg:writtenId ?written ; kg:targetId ?id ; kg:line ?line ; kg:inFile/kg:path ?path . BIND(CONCAT(?path, ':', STR(?line)) AS ?at) } ORDER BY ?path ?line ?written",
        ])
        .ok();
    insta::assert_snapshot!("speckit_references", references.replace("\r\n", "\n"));
}

// verifies: impact/items
#[test]
fn impact_on_a_spec_kit_repository_reaches_items_through_tasks() {
    let fixture = Fixture::from_dir("speckit");
    assert_eq!(fixture.kg(&["index"]).code, 0);
    // `revoke` cites the task T002 of 002-album-sharing (its tasks name src/sharing.rs), which
    // serves US1 and FR-002.
    let text = std::fs::read_to_string(fixture.root.join("src/sharing.rs")).unwrap();
    fixture.write(
        "src/sharing.rs",
        text.replace("!link.is_empty()", "link.len() > 1"),
    );
    insta::assert_snapshot!("speckit_impact", fixture.kg(&["impact"]).ok());
}

// verifies: index/specs, trace/report
#[test]
fn a_kiro_feature_is_traced_with_no_configuration() {
    let fixture = indexed("kiro", "2 features, 9 items, 4 tasks");
    insta::assert_snapshot!("kiro_trace", fixture.kg(&["trace"]).ok());
}

// verifies: index/specs, index/local-ids
#[test]
fn a_kiro_bugfix_spec_is_traced_statement_by_statement() {
    // Its current, expected and unchanged behaviors are items; a test's `Feature:` line holds
    // for the `Validates:` line below it, and the tasks that name a file decide for the rest.
    let fixture = indexed("kiro-bugfix", "2 features, 8 items, 2 tasks");
    insta::assert_snapshot!("kiro_bugfix_trace", fixture.kg(&["trace"]).ok());
}

// verifies: index/local-ids, index/tasks
#[test]
fn kiro_requirement_numbers_in_code_resolve_by_feature_line_tasks_or_uniqueness() {
    let fixture = Fixture::from_dir("kiro");
    let index = fixture.kg(&["index"]);
    let mut diagnostics: Vec<&str> = index
        .stderr
        .lines()
        .filter(|l| l.contains(": warning: "))
        .collect();
    diagnostics.sort();
    insta::assert_snapshot!("kiro_diagnostics", diagnostics.join("\n"));
    let references = fixture
        .kg(&[
            "query",
            "--format",
            "csv",
            "SELECT ?at ?id WHERE { ?r a kg:Reference ; kg:targetId ?id ; kg:line ?line ; kg:inFile/kg:path ?path . BIND(CONCAT(?path, ':', STR(?line)) AS ?at) } ORDER BY ?path ?line ?id",
        ])
        .ok();
    insta::assert_snapshot!("kiro_references", references.replace("\r\n", "\n"));
    insta::assert_snapshot!("kiro_tasks", tasks(&fixture, 4));
}

// verifies: impact/items
#[test]
fn impact_on_a_kiro_repository_reaches_the_criteria_a_comment_names() {
    let fixture = Fixture::from_dir("kiro");
    assert_eq!(fixture.kg(&["index"]).code, 0);
    let text = std::fs::read_to_string(fixture.root.join("src/export.rs")).unwrap();
    fixture.write(
        "src/export.rs",
        text.replace("out.push('\\n');", "out.push_str(\"\\r\\n\");"),
    );
    insta::assert_snapshot!("kiro_impact", fixture.kg(&["impact"]).ok());
}

// verifies: index/specs, index/local-ids, trace/report
#[test]
fn an_openspec_capability_is_traced_through_tests_named_after_its_scenarios() {
    let fixture = indexed("openspec", "1 features, 5 items");
    insta::assert_snapshot!("openspec_trace", fixture.kg(&["trace"]).ok());
}

// verifies: index/tasks, history/trailers
#[test]
fn the_commit_that_ticks_an_openspec_task_implements_what_its_change_proposes() {
    // The second commit ticks 1.1 of `add-remember-me`, whose delta spec modifies Session
    // Expiry, and changes `expired`; the third archives the change and applies its delta. The
    // item is not stale: the rewording the archive applied was written with the delta, in the
    // first commit, before the code.
    let fixture = Fixture::from_steps("openspec-history");
    let index = fixture.kg(&["index"]);
    assert_eq!(index.code, 0, "{}", index.stderr);
    insta::assert_snapshot!(
        "openspec_task_links",
        fixture.kg(&["trace", "auth-session/Session Expiry"]).ok()
    );
    insta::assert_snapshot!("openspec_tasks", tasks(&fixture, 2));
}

// verifies: impact/items
#[test]
fn impact_on_an_openspec_repository_runs_the_scenarios_tests() {
    let fixture = Fixture::from_dir("openspec");
    assert_eq!(fixture.kg(&["index"]).code, 0);
    let text = std::fs::read_to_string(fixture.root.join("src/session.ts")).unwrap();
    fixture.write("src/session.ts", text.replace(">= IDLE_MS", "> IDLE_MS"));
    insta::assert_snapshot!("openspec_impact", fixture.kg(&["impact"]).ok());
}

// verifies: index/tasks, history/trailers
#[test]
fn the_commit_that_ticks_a_task_implements_its_items_through_what_it_changed() {
    // The second commit ticks T004 (US2, FR-002) and changes `clamp_name`, which names neither.
    let fixture = Fixture::from_steps("speckit-history");
    let index = fixture.kg(&["index"]);
    assert_eq!(index.code, 0, "{}", index.stderr);
    // Its message, "T004 is done.", names the task in the one feature whose task list it changed.
    let by_message = fixture
        .kg(&[
            "query",
            "--format",
            "csv",
            "SELECT ?id ?source WHERE { GRAPH ?g { ?l kg:via \"message\" ; kg:targetId ?id ; kg:source ?s } BIND(STRAFTER(STR(?s), '/sym/') AS ?source) } ORDER BY ?id",
        ])
        .ok();
    assert_eq!(
        by_message.replace("\r\n", "\n"),
        "id,source\n001-photo-albums/FR-002,rust/src/util.rs#clamp_name\n001-photo-albums/US2,rust/src/util.rs#clamp_name\n"
    );
    insta::assert_snapshot!(
        "speckit_task_links",
        fixture
            .kg(&["trace", "001-photo-albums/FR-002", "001-photo-albums/US2"])
            .ok()
    );
}

// verifies: impact/spec-changes
#[test]
fn impact_lists_what_an_openspec_proposal_touches_without_applying_it() {
    let fixture = Fixture::from_dir("openspec");
    assert_eq!(fixture.kg(&["index"]).code, 0);
    // The proposal now also removes a requirement: its scenario's test is to run.
    let delta = "openspec/changes/add-remember-me/specs/auth-session/spec.md";
    let text = std::fs::read_to_string(fixture.root.join(delta)).unwrap();
    fixture.write(
        delta,
        format!("{text}\n## REMOVED Requirements\n### Requirement: Sign Out\n**Reason**: sessions end on expiry only\n"),
    );
    insta::assert_snapshot!("openspec_proposal_impact", fixture.kg(&["impact"]).ok());
}
