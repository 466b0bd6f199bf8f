//! `kg query` and `kg export`: inline, file and named queries, the result formats, and errors.

mod support;

use support::Fixture;

const SELECT: &str = "SELECT ?id ?text WHERE { ?r dcterms:identifier ?id ; dcterms:description ?text FILTER(STRSTARTS(?id, \"avatarHistory/\")) } ORDER BY ?id";

// verifies: query/formats
#[test]
fn select_results_in_every_format() {
    let fixture = Fixture::from_dir("upload");
    let run = |format: &str| {
        fixture
            .kg(&["--quiet", "query", SELECT, "--format", format])
            .ok()
    };
    insta::assert_snapshot!("select_table", run("table"));
    assert_eq!(
        run("csv"),
        "id,text\r\navatarHistory/AC-1,Lists the last 10 uploaded pictures.\r\navatarHistory/restore,Restoring a picture makes it the current one.\r\n"
    );
    assert_eq!(
        run("tsv"),
        "?id\t?text\n\"avatarHistory/AC-1\"\t\"Lists the last 10 uploaded pictures.\"\n\"avatarHistory/restore\"\t\"Restoring a picture makes it the current one.\"\n"
    );
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(json["head"]["vars"], serde_json::json!(["id", "text"]));
    assert_eq!(
        json["results"]["bindings"][1]["id"]["value"],
        "avatarHistory/restore"
    );
    assert!(run("xml").starts_with(
        "<?xml version=\"1.0\"?><sparql xmlns=\"http://www.w3.org/2005/sparql-results#\">"
    ));
    // Off a terminal the default is the W3C JSON format.
    let default = fixture.kg(&["--quiet", "query", SELECT]).ok();
    assert!(
        default.starts_with("{\"head\":{\"vars\":[\"id\",\"text\"]}"),
        "{default}"
    );
}

// verifies: query/formats
#[test]
fn ask_and_construct() {
    let fixture = Fixture::from_dir("upload");
    let ask = "ASK { ?r dcterms:identifier \"imageUpload/AC-1\" }";
    assert_eq!(
        fixture.kg(&["query", ask, "--format", "table"]).ok(),
        "true\n"
    );
    assert_eq!(
        fixture.kg(&["query", ask, "--format", "json"]).ok(),
        "{\"head\":{},\"boolean\":true}\n"
    );
    let construct = "CONSTRUCT { ?r dcterms:identifier ?id } WHERE { ?r dcterms:identifier ?id FILTER(?id = \"avatarHistory/restore\") }";
    let turtle = fixture.kg(&["query", construct, "--format", "turtle"]).ok();
    assert!(
        turtle.contains("dcterms:identifier \"avatarHistory/restore\""),
        "{turtle}"
    );
    let nt = fixture
        .kg(&["query", construct, "--format", "ntriples"])
        .ok();
    assert!(nt.ends_with("/req/avatarHistory/restore> <http://purl.org/dc/terms/identifier> \"avatarHistory/restore\" .\n"), "{nt}");
    // Off a terminal a graph defaults to Turtle.
    assert_eq!(fixture.kg(&["query", construct]).ok(), turtle);
}

// verifies: query/command, query/exit-codes
#[test]
fn queries_from_files_names_and_errors() {
    let fixture = Fixture::from_dir("upload");
    let file = fixture.scratch.join("q.rq");
    std::fs::write(&file, SELECT).unwrap();
    let from_file = fixture
        .kg(&["query", "-f", file.to_str().unwrap(), "--format", "csv"])
        .ok();
    assert!(
        from_file.starts_with("id,text\r\navatarHistory/AC-1,"),
        "{from_file}"
    );

    let list = fixture.kg(&["query", "--list"]).ok();
    for name in ["items", "unimplemented", "untested", "dangling"] {
        assert!(
            list.lines()
                .any(|l| l.starts_with(name) && l.len() > name.len() + 10),
            "{list}"
        );
    }

    let unknown = fixture.kg(&["query", "nosuchquery"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("no shipped query is called `nosuchquery`"),
        "{}",
        unknown.stderr
    );
    assert!(unknown.stdout.is_empty());

    let syntax = fixture.kg(&["query", "SELECT ?x WHERE { ?x"]);
    assert_eq!(syntax.code, 2);
    assert!(
        syntax.stderr.starts_with("kg: inline query: "),
        "{}",
        syntax.stderr
    );

    let mismatch = fixture.kg(&["query", SELECT, "--format", "turtle"]);
    assert_eq!(mismatch.code, 2);
    assert!(
        mismatch.stderr.contains(
            "--format turtle does not fit a SELECT query; use table, json, csv, tsv or xml"
        ),
        "{}",
        mismatch.stderr
    );

    let usage = fixture.kg(&["query"]);
    assert_eq!(usage.code, 2);
}

// verifies: query/export
#[test]
fn export_as_nquads_and_trig() {
    let fixture = Fixture::from_dir("upload");
    let nquads = fixture.kg(&["--quiet", "export"]).ok();
    let first = nquads.lines().next().unwrap();
    assert!(
        first.ends_with(" .") && first.matches('<').count() >= 3,
        "{first}"
    );
    let out = fixture.scratch.join("graph.trig");
    assert_eq!(
        fixture
            .kg(&["export", "--format", "trig", "-o", out.to_str().unwrap()])
            .ok(),
        ""
    );
    let trig = std::fs::read_to_string(&out).unwrap();
    assert!(
        trig.contains("@prefix oslc_rm: <http://open-services.net/ns/rm#> ."),
        "{}",
        &trig[..500]
    );
    // Both hold the same quads: load each into a fresh store and compare sizes.
    let count = |format, data: &str| {
        let store = oxigraph::store::Store::new().unwrap();
        store.load_from_slice(format, data.as_bytes()).unwrap();
        store.len().unwrap()
    };
    assert_eq!(
        count(oxigraph::io::RdfFormat::NQuads, &nquads),
        count(oxigraph::io::RdfFormat::TriG, &trig)
    );
    assert_eq!(
        count(oxigraph::io::RdfFormat::NQuads, &nquads),
        nquads.lines().count()
    );
}

// verifies: query/exit-codes
#[test]
fn a_closed_pipe_is_not_an_error() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let fixture = Fixture::from_dir("upload");
    fixture.kg(&["--quiet", "index"]).ok();
    let store = fixture.scratch.join("store");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kg"))
        .args(["--store", store.to_str().unwrap(), "export"])
        .current_dir(&fixture.root)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The reader is gone: kg's next writes fail with a broken pipe.
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
