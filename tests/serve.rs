//! `kg serve` as clients use it: the SPARQL 1.1 Protocol by hand (GET, POST, the formats chosen by
//! `Accept`, updates refused, bad queries, the time and size limits), by a real client library
//! (SPARQLWrapper from PyPI), under a bounded load of 8 clients, and beside a running `kg index`.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::Fixture;

fn fixture() -> Fixture {
    let fixture = Fixture::from_steps("trace");
    fixture.kg(&["--quiet", "index"]).ok();
    fixture
}

/// A running `kg serve` on a free port; stopped when dropped.
struct Served {
    child: Child,
    base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(fixture: &Fixture, extra: &[&str]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kg"))
        .arg("--store")
        .arg(fixture.scratch.join("store"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(extra)
        .current_dir(&fixture.root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let base = line
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .trim_end_matches('/')
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    Served { child, base }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

const ITEMS: &str =
    "SELECT ?id WHERE { ?r a oslc_rm:Requirement ; dcterms:identifier ?id } ORDER BY ?id";

fn get(served: &Served, query: &str, accept: &str) -> (u16, String, String) {
    let mut response = agent()
        .get(format!("{}/sparql", served.base))
        .query("query", query)
        .header("Accept", accept)
        .call()
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_owned())
        .unwrap_or_default();
    (
        status,
        content_type,
        response.body_mut().read_to_string().unwrap(),
    )
}

// verifies: share/serve
#[test]
fn the_sparql_protocol_is_served_read_only() {
    let fixture = fixture();
    let served = serve(&fixture, &[]);
    // GET, the formats by Accept.
    let (status, kind, body) = get(&served, ITEMS, "application/sparql-results+json");
    assert_eq!(
        (status, kind.as_str()),
        (200, "application/sparql-results+json")
    );
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["results"]["bindings"].as_array().unwrap().len(), 11);
    let (status, kind, body) = get(&served, ITEMS, "application/sparql-results+xml");
    assert_eq!(
        (status, kind.as_str()),
        (200, "application/sparql-results+xml")
    );
    assert!(body.contains("<sparql"));
    let (_, kind, body) = get(&served, ITEMS, "text/csv");
    assert!(kind.starts_with("text/csv"));
    assert_eq!(body.lines().next(), Some("id"));
    let (_, kind, _) = get(&served, ITEMS, "text/tab-separated-values");
    assert!(kind.starts_with("text/tab-separated-values"));
    let (status, _, _) = get(&served, ITEMS, "image/png");
    assert_eq!(status, 406);
    let ask = "ASK { ?r dcterms:identifier \"imageUpload/size-limit\" }";
    let (_, _, body) = get(&served, ask, "application/sparql-results+json");
    assert!(body.contains("true"), "{body}");
    // CONSTRUCT as Turtle and N-Triples.
    let construct = "CONSTRUCT { ?r dcterms:identifier ?id } WHERE { ?r a oslc_rm:Requirement ; dcterms:identifier ?id }";
    let (status, kind, body) = get(&served, construct, "text/turtle");
    assert_eq!((status, kind.as_str()), (200, "text/turtle; charset=utf-8"));
    assert!(body.contains("imageUpload/size-limit"));
    let (_, kind, body) = get(&served, construct, "application/n-triples");
    assert_eq!(kind, "application/n-triples");
    assert_eq!(body.lines().count(), 11);
    // POST: a query body and a form.
    let mut response = agent()
        .post(format!("{}/sparql", served.base))
        .header("Content-Type", "application/sparql-query")
        .header("Accept", "application/sparql-results+json")
        .send(ITEMS)
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response
            .body_mut()
            .read_to_string()
            .unwrap()
            .contains("size-limit")
    );
    let response = agent()
        .post(format!("{}/sparql", served.base))
        .send_form([("query", ITEMS)])
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    // Updates are refused however they come; a bad query is a 400 that says why.
    let update = "INSERT DATA { <http://a> <http://b> <http://c> }";
    for response in [
        agent()
            .post(format!("{}/sparql", served.base))
            .header("Content-Type", "application/sparql-update")
            .send(update),
        agent()
            .post(format!("{}/sparql", served.base))
            .send_form([("update", update)]),
        agent()
            .post(format!("{}/sparql", served.base))
            .header("Content-Type", "application/sparql-query")
            .send(update),
    ] {
        assert_eq!(response.unwrap().status().as_u16(), 403);
    }
    let (status, _, body) = get(&served, "SELECT * WHERE { ?s ?p", "");
    assert_eq!(status, 400);
    assert!(!body.is_empty());
    // The report at /.
    let mut page = agent().get(format!("{}/", served.base)).call().unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(
        page.body_mut()
            .read_to_string()
            .unwrap()
            .starts_with("<!doctype html>")
    );
    let missing = agent()
        .get(format!("{}/nothing", served.base))
        .call()
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
}

// verifies: share/serve
#[test]
fn a_result_too_large_or_too_slow_is_refused() {
    let fixture = fixture();
    let served = serve(&fixture, &["--max-rows", "5", "--timeout", "0.5"]);
    let (status, _, body) = get(&served, ITEMS, "");
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("more than 5 rows"), "{body}");
    // Every triple against every triple, five times over: far more than half a second.
    let slow =
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }";
    let started = Instant::now();
    let (status, _, body) = get(&served, slow, "");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("time limit"), "{body}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

// verifies: share/serve
#[test]
fn sparqlwrapper_reads_the_endpoint() {
    let fixture = fixture();
    let served = serve(&fixture, &[]);
    let script = format!(
        r#"
from SPARQLWrapper import SPARQLWrapper, JSON, TURTLE
sparql = SPARQLWrapper("{base}/sparql")
sparql.setQuery("""PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX oslc_rm: <http://open-services.net/ns/rm#>
SELECT ?id WHERE {{ ?r a oslc_rm:Requirement ; dcterms:identifier ?id }} ORDER BY ?id""")
sparql.setReturnFormat(JSON)
rows = sparql.query().convert()["results"]["bindings"]
print(len(rows), rows[0]["id"]["value"])
sparql.setQuery("CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }} LIMIT 3")
sparql.setReturnFormat(TURTLE)
print(len(sparql.query().convert()) > 0)
sparql.setMethod("POST")
sparql.setQuery("INSERT DATA {{ <http://a> <http://b> <http://c> }}")
try:
    sparql.query()
    print("update accepted")
except Exception as error:
    print("update refused", type(error).__name__)
"#,
        base = served.base
    );
    let output = Command::new(support::venv_program("python"))
        .args(["-c", &script])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "11 avatarHistory/AC-1");
    assert_eq!(lines[1], "True");
    assert!(lines[2].starts_with("update refused"), "{stdout}");
}

// verifies: share/serve
#[test]
fn eight_clients_for_ten_seconds_get_no_error_and_a_running_index_is_seen_when_complete() {
    let fixture = fixture();
    let served = serve(&fixture, &[]);
    let count = "SELECT (COUNT(*) AS ?n) WHERE { ?c a kg:Commit }";
    let deadline = Instant::now() + Duration::from_secs(10);
    // A writer beside the clients: a full rebuild, then a new commit indexed.
    let root = fixture.root.clone();
    let store = fixture.scratch.join("store");
    let writer = std::thread::spawn(move || {
        let kg = |args: &[&str]| {
            let status = Command::new(env!("CARGO_BIN_EXE_kg"))
                .arg("--store")
                .arg(&store)
                .args(args)
                .current_dir(&root)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert!(status.success());
        };
        kg(&["--quiet", "index", "--force"]);
    });
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let base = served.base.clone();
            std::thread::spawn(move || {
                let agent = agent();
                let mut latencies = Vec::new();
                let mut errors = Vec::new();
                let mut last = 0u64;
                while Instant::now() < deadline {
                    let started = Instant::now();
                    let response = agent
                        .get(format!("{base}/sparql"))
                        .query("query", count)
                        .header("Accept", "text/csv")
                        .call();
                    match response {
                        Ok(mut r) if r.status().as_u16() == 200 => {
                            let body = r.body_mut().read_to_string().unwrap_or_default();
                            let n: u64 = body
                                .lines()
                                .nth(1)
                                .and_then(|l| l.trim().parse().ok())
                                .unwrap_or(0);
                            if n < last || n == 0 {
                                errors.push(format!("the commit count went from {last} to {n}"));
                            }
                            last = n;
                            latencies.push(started.elapsed().as_secs_f64());
                        }
                        Ok(r) => errors.push(format!("status {}", r.status())),
                        Err(e) => errors.push(e.to_string()),
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for client in clients {
        let (mut mine, errors) = client.join().unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        latencies.append(&mut mine);
    }
    writer.join().unwrap();
    latencies.sort_by(f64::total_cmp);
    let median = latencies[latencies.len() / 2];
    let p99 = latencies[latencies.len() * 99 / 100];
    eprintln!(
        "8 clients, 10 s: {} queries, {:.0}/s, median {:.1} ms, p99 {:.1} ms, no errors",
        latencies.len(),
        latencies.len() as f64 / 10.0,
        median * 1000.0,
        p99 * 1000.0
    );
    assert!(latencies.len() > 80, "{} queries in 10 s", latencies.len());
}
