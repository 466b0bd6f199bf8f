//! History in the graph, on a scripted fixture history (`fixtures/history/NN-*`): commits as PROV
//! activities, trailers, item changes and lineage, and the named history queries.

mod support;

use support::Fixture;

fn table(fixture: &Fixture, args: &[&str]) -> String {
    let mut all = vec!["--quiet", "query"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "table"]);
    fixture.kg(&all).ok()
}

// verifies: history/commits
#[test]
fn commits_are_prov_activities_with_agents_times_trailers_and_changes() {
    let fixture = Fixture::from_steps("history");
    let commit = table(
        &fixture,
        &[
            "SELECT ?p ?o WHERE { ?c dcterms:title \"Limit the upload size\" ; ?p ?o . FILTER(?p NOT IN (kg:added, kg:modified, kg:deleted, kg:trailer, kg:itemChange)) } ORDER BY ?p ?o",
        ],
    );
    insta::assert_snapshot!("commit", commit);
    let details = table(
        &fixture,
        &["SELECT ?what ?a ?b ?c WHERE {
            ?commit dcterms:title \"Limit the upload size\" .
            { ?commit kg:author ?agent . ?agent a prov:Agent ; kg:name ?a ; kg:email ?b BIND(\"author\" AS ?what) }
            UNION { ?commit kg:committer ?agent . ?agent kg:name ?a ; kg:email ?b BIND(\"committer\" AS ?what) }
            UNION { ?commit kg:trailer [ kg:key ?a ; rdf:value ?b ] BIND(\"trailer\" AS ?what) }
            UNION { ?commit ?kind ?a VALUES (?kind ?b) { (kg:added \"added\") (kg:modified \"modified\") (kg:deleted \"deleted\") } BIND(\"change\" AS ?what) }
          } ORDER BY ?what ?a ?c"],
    );
    insta::assert_snapshot!("commit_details", details);
    let count = table(
        &fixture,
        &["SELECT (COUNT(?c) AS ?n) WHERE { ?c a prov:Activity, kg:Commit }"],
    );
    assert_eq!(count.lines().nth(2), Some("5"));
}

// verifies: history/trailers, history/item-history, history/queries
#[test]
fn named_history_queries() {
    let fixture = Fixture::from_steps("history");
    for name in [
        "item-commits",
        "last-changed",
        "removed-items",
        "item-history",
    ] {
        insta::assert_snapshot!(name.replace('-', "_"), table(&fixture, &[name]));
    }
    let all = table(
        &fixture,
        &[
            "spec-changes",
            "--param",
            "from=HEAD~4",
            "--param",
            "to=HEAD",
        ],
    );
    insta::assert_snapshot!("spec_changes_all", all);
    let last_two = table(
        &fixture,
        &[
            "spec-changes",
            "--param",
            "from=HEAD~2",
            "--param",
            "to=HEAD",
        ],
    );
    assert_eq!(last_two.lines().count(), 4, "{last_two}");
    let one_item = table(
        &fixture,
        &["item-commits", "--param", "item=upload/size-limit"],
    );
    assert!(
        one_item
            .lines()
            .skip(2)
            .all(|l| l.starts_with("upload/size-limit ")),
        "{one_item}"
    );
    // Three commits changed its code; two named it in a trailer (one of them also the code).
    assert_eq!(one_item.lines().count(), 8, "{one_item}");
    assert_eq!(one_item.matches(" trailer").count(), 3, "{one_item}");
}

// verifies: history/trailers
#[test]
fn a_trailer_links_the_item_to_what_the_commit_changed() {
    let fixture = Fixture::from_steps("history");
    // upload/size-limit has no marker in the code: only the trailer of "Limit the upload size".
    let links = table(
        &fixture,
        &[
            "SELECT ?id ?symbol ?via WHERE { ?ref kg:via ?via ; kg:targetId ?id ; kg:source/kg:qualifiedName ?symbol }",
        ],
    );
    assert_eq!(
        links
            .lines()
            .nth(2)
            .map(str::split_whitespace)
            .map(Iterator::collect::<Vec<_>>),
        Some(vec!["upload/size-limit", "check_size", "trailer"])
    );
    let implemented = table(&fixture, &["unimplemented"]);
    assert!(!implemented.contains("upload/size-limit"), "{implemented}");
}

/// Each trailer link of the store: item, symbol, commits behind it, whether it is evidence.
fn trailer_links(fixture: &Fixture) -> String {
    fixture
        .kg(&[
            "--quiet",
            "query",
            "--format",
            "csv",
            // A link that is history keeps its count; its IRI names the item and the anchor.
            "SELECT ?id ?source ?count ?evidence WHERE {
               GRAPH ?g { ?l kg:commitCount ?count } FILTER(STRENDS(STR(?g), '/kg/links'))
               BIND(REPLACE(STRBEFORE(STRAFTER(STR(?l), '/link/trailer/implements/'), '/'), '%2F', '/') AS ?id)
               BIND(STRAFTER(STR(?l), '#') AS ?source)
               BIND(EXISTS { ?l a kg:Reference ; kg:relation ?r ; kg:targetId ?id } AS ?evidence)
             } ORDER BY ?id ?source",
        ])
        .ok()
        .replace("\r\n", "\n")
}

// verifies: history/trailers
#[test]
fn trailer_links_gather_their_commits_and_count_only_at_head() {
    let fixture = Fixture::empty();
    fixture.write(
        "specs/f.yaml",
        "feature: f\nacceptance:\n  - \"Checks.\"\n  - \"Logs.\"\n",
    );
    let code = |check: Option<&str>, log: &str| {
        let check = check.map_or(String::new(), |body| {
            format!("pub fn check() {{ {body} }}\n\n")
        });
        format!("{check}pub fn log() {{ {log} }}\n")
    };
    fixture.write("src/a.rs", code(Some("1;"), "1;"));
    fixture.commit_all("Start", 0);
    fixture.kg(&["--quiet", "index"]).ok();
    // Two commits change check for f/AC-1; an agent's commit rewrites both functions for f/AC-2.
    fixture.write("src/a.rs", code(Some("2;"), "1;"));
    fixture.commit_all("Check more\n\nImplements: f/AC-1", 1);
    fixture.write("src/a.rs", code(Some("3;"), "1;"));
    fixture.commit_all("Check again\n\nImplements: f/AC-1", 2);
    fixture.write("src/a.rs", code(Some("4;"), "2;"));
    fixture.commit_all("Rewrite\n\nImplements: f/AC-2", 3);
    fixture.kg(&["--quiet", "index"]).ok();
    assert_eq!(
        trailer_links(&fixture),
        "id,source,count,evidence\nf/AC-1,check,2,true\nf/AC-2,check,1,true\nf/AC-2,log,1,true\n"
    );
    let trace = fixture.kg(&["trace", "f/AC-1"]).ok();
    assert!(trace.contains("src/a.rs:1  check  trailer"), "{trace}");
    // check goes: its links stay as history but are no evidence; it comes back: they count on,
    // the one from before it went too.
    fixture.write("src/a.rs", code(None, "2;"));
    fixture.commit_all("Drop check", 4);
    fixture.kg(&["--quiet", "index"]).ok();
    assert_eq!(
        trailer_links(&fixture),
        "id,source,count,evidence\nf/AC-1,check,2,false\nf/AC-2,check,1,false\nf/AC-2,log,1,true\n"
    );
    let trace = fixture.kg(&["trace", "f/AC-1"]).ok();
    assert!(trace.contains("missing  implemented"), "{trace}");
    fixture.write("src/a.rs", code(Some("5;"), "2;"));
    fixture.commit_all("Check is back\n\nImplements: f/AC-1", 5);
    fixture.kg(&["--quiet", "index"]).ok();
    let incremental = trailer_links(&fixture);
    assert_eq!(
        incremental,
        "id,source,count,evidence\nf/AC-1,check,3,true\nf/AC-2,check,1,true\nf/AC-2,log,1,true\n"
    );
    fixture.kg(&["--quiet", "index", "--force"]).ok();
    assert_eq!(trailer_links(&fixture), incremental);
    // The commits behind the item, trailers among them, stay queryable one by one.
    let commits = table(&fixture, &["item-commits", "--param", "item=f/AC-1"]);
    for summary in ["Check more", "Check again", "Check is back"] {
        assert!(commits.contains(summary), "{commits}");
    }
}

// verifies: history/trailers
#[test]
fn a_trailer_on_a_rewrite_links_to_the_file() {
    let fixture = Fixture::empty();
    fixture.write(
        "specs/f.yaml",
        "feature: f\nacceptance: [\"One.\", \"Two.\"]\n",
    );
    let code = |n: u32| {
        (0..4)
            .map(|i| format!("pub fn f{i}() -> u32 {{ {n} }}\n\n"))
            .collect::<String>()
            + "pub struct Keep;\n"
    };
    fixture.write("src/a.rs", code(1));
    fixture.commit_all("Start", 0);
    // All four functions change (the struct does not): the commit was for the file.
    fixture.write("src/a.rs", code(2));
    fixture.commit_all("Rewrite\n\nImplements: f/AC-1", 1);
    // Two of five: the commit was for those two.
    let text = code(2).replace("f0() -> u32 { 2 }", "f0() -> u32 { 3 }");
    fixture.write(
        "src/a.rs",
        text.replace("f1() -> u32 { 2 }", "f1() -> u32 { 3 }"),
    );
    fixture.commit_all("Touch two\n\nImplements: f/AC-2", 2);
    assert_eq!(
        trailer_links(&fixture),
        "id,source,count,evidence\nf/AC-1,,1,true\nf/AC-2,f0,1,true\nf/AC-2,f1,1,true\n"
    );
}

// verifies: history/queries
#[test]
fn parameters_are_checked() {
    let fixture = Fixture::from_steps("history");
    let missing = fixture.kg(&["query", "spec-changes", "--param", "from=HEAD~1"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("needs --param to="),
        "{}",
        missing.stderr
    );
    let unknown = fixture.kg(&["query", "spec-changes", "--param", "since=HEAD"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("has no parameter ?since; it takes ?from, ?to"),
        "{}",
        unknown.stderr
    );
    let bad_revision = fixture.kg(&[
        "query",
        "spec-changes",
        "--param",
        "from=nope",
        "--param",
        "to=HEAD",
    ]);
    assert_eq!(bad_revision.code, 2);
    assert!(
        bad_revision
            .stderr
            .contains("`nope` does not name a commit"),
        "{}",
        bad_revision.stderr
    );
}

// verifies: history/commits
#[test]
fn a_merge_is_diffed_against_its_first_parent() {
    let fixture = Fixture::empty();
    fixture.write("specs/a.yaml", "feature: a\nacceptance: [\"one\"]\n");
    fixture.commit_all("Base", 0);
    support::git(&fixture.root, &["checkout", "-q", "-b", "side"]);
    fixture.write("src/side.rs", "pub fn side() {}\n");
    fixture.commit_all("Side work", 1);
    support::git(&fixture.root, &["checkout", "-q", "main"]);
    fixture.write("src/main.rs", "pub fn main_line() {}\n");
    fixture.commit_all("Main work", 2);
    support::git(
        &fixture.root,
        &["merge", "-q", "--no-ff", "--no-edit", "side"],
    );
    let changes = table(
        &fixture,
        &["SELECT ?summary ?path ?kind ?parents WHERE {
            ?c dcterms:title ?summary ; ?change ?path .
            VALUES (?change ?kind) { (kg:added \"added\") (kg:modified \"modified\") (kg:deleted \"deleted\") }
            { SELECT ?c (COUNT(?p) AS ?parents) WHERE { ?c a kg:Commit . OPTIONAL { ?c kg:parentCommit ?p } } GROUP BY ?c }
          } ORDER BY ?parents ?summary ?path"],
    );
    insta::assert_snapshot!("merge_changes", changes);
}
