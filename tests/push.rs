//! `kg push` to real SPARQL servers (the Oxigraph server from PyPI, in the venv `.ci/setup`
//! makes, and Debian's Virtuoso, with Digest authentication): the shipped named queries answer
//! there as they do locally; a second push sends only
//! what changed; and servers that are down, refuse, fail or hang up give a clear error, after
//! which the next push resends only what did not arrive.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::Fixture;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A SPARQL server of a test's own, stopped when dropped.
struct Server {
    child: Child,
    base: String,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Oxigraph server, from the venv `.ci/setup` makes.
fn oxigraph() -> Server {
    let program = support::venv_program("oxigraph");
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new(program)
        .args(["serve", "--union-default-graph", "--location"])
        .arg(data.path())
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the Oxigraph server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Server {
        child,
        base,
        _data: data,
    }
}

/// Virtuoso (Debian's `virtuoso-opensource-7-bin`, which `.ci/setup` installs) in a database of
/// its own, on free ports of 127.0.0.1, stopped when dropped. Its graph store for writes is
/// `/sparql-graph-crud-auth`, behind Digest authentication (user `dba`, password `dba` in a new
/// database); queries go to `/sparql`.
fn virtuoso() -> Server {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().display().to_string();
    let (http, sql) = (free_port(), free_port());
    let ini = format!(
        "[Database]\nDatabaseFile = {dir}/db\nErrorLogFile = {dir}/log\nLockFile = {dir}/lck\n\
         TransactionFile = {dir}/trx\nxa_persistent_file = {dir}/pxa\nStriping = 0\n\
         TempStorage = TempDatabase\n\
         [TempDatabase]\nDatabaseFile = {dir}/temp.db\nTransactionFile = {dir}/temp.trx\n\
         [Parameters]\nServerPort = 127.0.0.1:{sql}\nDirsAllowed = ., {dir}\n\
         NumberOfBuffers = 20000\nMaxDirtyBuffers = 15000\nServerThreads = 10\n\
         [HTTPServer]\nServerPort = 127.0.0.1:{http}\nServerRoot = {dir}\nServerThreads = 10\n\
         EnabledDavVSP = 0\n\
         [SPARQL]\nResultSetMaxRows = 1000000\nMaxQueryExecutionTime = 120\n"
    );
    std::fs::write(data.path().join("virtuoso.ini"), ini).unwrap();
    let child = Command::new("virtuoso-t")
        .args(["+foreground", "+configfile"])
        .arg(data.path().join("virtuoso.ini"))
        .current_dir(data.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("virtuoso-t (Debian's virtuoso-opensource-7-bin; .ci/setup installs it) runs");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{http}"),
        _data: data,
    };
    // A new database takes some seconds to create; ready once it answers a query.
    let started = Instant::now();
    let agent = plain_agent();
    while !agent
        .get(format!("{}/sparql?query=ASK%7B%7D", server.base))
        .call()
        .is_ok_and(|r| r.status().as_u16() == 200)
    {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "Virtuoso did not start"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    server
}

fn plain_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// What Virtuoso answers a query, as sorted CSV lines, or its error.
fn virtuoso_rows(server: &Server, text: &str) -> Result<Vec<String>, String> {
    let mut declared = String::new();
    for (prefix, iri) in kg::graph::vocab::PREFIXES {
        declared.push_str(&format!("PREFIX {prefix}: <{iri}>\n"));
    }
    let mut response = plain_agent()
        .post(format!("{}/sparql", server.base))
        .header("Accept", "text/csv")
        .send_form([("query", format!("{declared}{text}"))])
        .unwrap();
    let body = response.body_mut().read_to_string().unwrap();
    match response.status().as_u16() {
        200 => Ok(rows(&body)),
        status => Err(format!("{status}: {}", body.lines().next().unwrap_or(""))),
    }
}

fn push(fixture: &Fixture, url: &str) -> support::Run {
    fixture.kg(&["push", url])
}

/// The rows a query gives, as sorted CSV lines.
/// The rows a query gives, as sorted lines of their fields' values joined by commas: the CSV
/// read as RFC 4180 writes it, so that a server that quotes every value (Virtuoso) and one that
/// quotes only where needed (Oxigraph, kg) give the same lines.
fn rows(csv: &str) -> Vec<String> {
    let mut records: Vec<Vec<String>> = vec![vec![String::new()]];
    let mut quoted = false;
    let mut chars = csv.chars().peekable();
    while let Some(c) = chars.next() {
        let record = records.last_mut().unwrap();
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                record.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => record.push(String::new()),
            ('\r', false) => {}
            ('\n', false) => records.push(vec![String::new()]),
            (c, _) => record.last_mut().unwrap().push(c),
        }
    }
    let mut lines: Vec<String> = records
        .into_iter()
        .skip(1)
        .filter(|r| r.len() > 1 || !r[0].is_empty())
        .map(|r| r.join(","))
        .collect();
    lines.sort();
    lines
}

fn remote_rows(server: &Server, text: &str) -> Vec<String> {
    let mut declared = String::new();
    for (prefix, iri) in kg::graph::vocab::PREFIXES {
        declared.push_str(&format!("PREFIX {prefix}: <{iri}>\n"));
    }
    let mut response = plain_agent()
        .post(format!("{}/query", server.base))
        .header("Content-Type", "application/sparql-query")
        .header("Accept", "text/csv")
        .send(format!("{declared}{text}"))
        .unwrap();
    let body = response.body_mut().read_to_string().unwrap();
    assert_eq!(response.status().as_u16(), 200, "{body}");
    rows(&body)
}

// verifies: share/push
#[test]
fn the_named_queries_answer_on_the_server_as_they_do_here() {
    let fixture = Fixture::from_steps("trace");
    fixture.kg(&["--quiet", "index"]).ok();
    let server = oxigraph();
    let url = format!("{}/store", server.base);
    let first = push(&fixture, &url);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stderr.contains(" unchanged, 0 deleted"),
        "{}",
        first.stderr
    );
    let mut compared = 0;
    for (name, text) in named_queries() {
        let local = fixture
            .kg(&["query", &name, "--format", "csv", "--no-refresh"])
            .ok();
        assert_eq!(rows(&local), remote_rows(&server, &text), "{name}");
        compared += 1;
    }
    assert!(compared >= 10, "{compared} queries compared");
    // Nothing changed: nothing is sent.
    let again = push(&fixture, &url);
    assert!(
        again.stderr.contains("kg push: 0 graphs sent"),
        "{}",
        again.stderr
    );
    // One file changed and one removed: its graph is sent, the other's deleted.
    let source = std::fs::read_to_string(fixture.root.join("backend/src/upload.rs")).unwrap();
    fixture.write(
        "backend/src/upload.rs",
        source.replace("if len < MAX_BYTES", "if len <= MAX_BYTES"),
    );
    std::fs::remove_file(fixture.root.join("docs/upload.md")).unwrap();
    fixture.commit_all("Change and remove", 5);
    let changed = push(&fixture, &url);
    assert_eq!(changed.code, 0, "{}", changed.stderr);
    let line = changed.stderr.lines().last().unwrap().to_owned();
    let sent: usize = line
        .strip_prefix("kg push: ")
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!((1..10).contains(&sent), "{line}");
    assert!(line.contains(", 1 deleted,"), "{line}");
    // The removed file's graph is gone there as here (its path stays in the history's graph).
    let count =
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?f a kg:File ; kg:path \"docs/upload.md\" } }";
    assert_eq!(remote_rows(&server, count), vec!["0".to_owned()]);
    let local = fixture
        .kg(&["query", "--format", "csv", "--no-refresh", count])
        .ok();
    assert_eq!(rows(&local), vec!["0".to_owned()]);
    let local = fixture
        .kg(&["query", "items", "--format", "csv", "--no-refresh"])
        .ok();
    let items = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries/items.rq"),
    )
    .unwrap();
    assert_eq!(rows(&local), remote_rows(&server, &items));
}

/// The shipped queries that take no parameters: name and text.
fn named_queries() -> Vec<(String, String)> {
    let mut queries = Vec::new();
    for entry in
        std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries")).unwrap()
    {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rq") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        if text.contains("# param ") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        queries.push((name, text));
    }
    queries.sort();
    queries
}

// verifies: share/push
#[test]
fn virtuoso_takes_the_push_with_digest_authentication_on_its_own_urls() {
    let fixture = Fixture::from_steps("trace");
    fixture.kg(&["--quiet", "index"]).ok();
    let server = virtuoso();
    let url = format!("{}/sparql-graph-crud-auth", server.base);
    // Without credentials, or with wrong ones, the server's refusal is the error.
    let run = push(&fixture, &url);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("401") && run.stderr.contains("--user"),
        "{}",
        run.stderr
    );
    let wrong = fixture.kg_env(
        &["push", "--user", "dba", &url],
        &[("KG_PUSH_PASSWORD", "nope")],
    );
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    assert!(wrong.stderr.contains("401"), "{}", wrong.stderr);
    let with = |args: &[&str]| fixture.kg_env(args, &[("KG_PUSH_PASSWORD", "dba")]);
    let run = with(&["push", "--user", "dba", &url]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut differ = Vec::new();
    let queries = named_queries();
    for (name, text) in &queries {
        let local = fixture
            .kg(&["query", name, "--format", "csv", "--no-refresh"])
            .ok();
        let remote = virtuoso_rows(&server, text);
        // Virtuoso keeps xsd:boolean as an integer, and writes false as 0 and true as 1.
        let mut here: Vec<String> = rows(&local)
            .iter()
            .map(|row| {
                row.split(',')
                    .map(|field| match field {
                        "false" => "0",
                        "true" => "1",
                        other => other,
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        here.sort();
        if remote.as_ref() != Ok(&here) {
            differ.push(format!("{name}: here {:?}, there {remote:?}", rows(&local)));
        }
    }
    assert!(queries.len() >= 10);
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    let again = with(&["push", "--user", "dba", &url]);
    assert!(
        again.stderr.contains("kg push: 0 graphs sent"),
        "{}",
        again.stderr
    );
}

/// A server that answers every request with what `reply` says for the n-th one (from 0): a
/// status, or `None` to hang up after reading the request line.
fn fake_server(
    reply: impl Fn(usize) -> Option<u16> + Send + 'static,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/store", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let Some(status) = reply(n) else {
                continue; // hang up
            };
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: 5\r\nConnection: close\r\n\r\nnope\n"
            );
        }
    });
    (url, seen)
}

// verifies: share/push
#[test]
fn a_server_that_is_down_refuses_or_fails_is_an_error_and_the_rest_is_resent() {
    let fixture = Fixture::from_steps("trace");
    fixture.kg(&["--quiet", "index"]).ok();
    let down = format!("http://127.0.0.1:{}/store", free_port());
    let run = push(&fixture, &down);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&down) && run.stderr.contains("cannot reach the server"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("(graph urn:kg:"), "{}", run.stderr);
    let (refusing, _) = fake_server(|_| Some(401));
    let run = push(&fixture, &refusing);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("401") && run.stderr.contains("KG_PUSH_PASSWORD"),
        "{}",
        run.stderr
    );
    let (hanging, _) = fake_server(|_| None);
    let run = push(&fixture, &hanging);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(&hanging), "{}", run.stderr);
    // Three graphs arrive, then the server fails; the next push sends only the others.
    let flaky_round = Arc::new(AtomicUsize::new(0));
    let round = flaky_round.clone();
    let (flaky, seen) = fake_server(move |n| {
        Some(if n == 3 && round.load(Ordering::SeqCst) == 0 {
            500
        } else {
            200
        })
    });
    let run = push(&fixture, &flaky);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("500") && run.stderr.contains("3 graphs arrived"),
        "{}",
        run.stderr
    );
    flaky_round.store(1, Ordering::SeqCst);
    let before = seen.load(Ordering::SeqCst);
    let run = push(&fixture, &flaky);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let resent = seen.load(Ordering::SeqCst) - before;
    let all = push(&fixture, &format!("{flaky}?x=1"));
    let total = seen.load(Ordering::SeqCst) - before - resent;
    assert_eq!(all.code, 0);
    assert_eq!(resent, total - 3, "resent {resent} of {total}");
}

// verifies: share/repositories
#[test]
fn two_repositories_meet_in_one_graph_by_id() {
    // A spec repository (OpenFastTrace items in AsciiDoc) and a code repository whose tags name
    // them, with design items of its own, as eclipse-uprotocol's up-spec and up-rust are.
    let source = support::fixture_dir("openfasttrace");
    let specs = Fixture::empty();
    support::copy_tree(&source.join("spec"), &specs.root.join("spec"));
    specs.commit_all("The specification", 0);
    let code = Fixture::empty();
    support::copy_tree(&source.join("rust"), &code.root.join("rust"));
    support::copy_tree(&source.join("doc"), &code.root.join("doc"));
    code.commit_all("The implementation", 1);
    for fixture in [&specs, &code] {
        fixture.kg(&["--quiet", "index"]).ok();
    }
    let query = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries/across-repositories.rq"),
    )
    .unwrap();
    // Apart, each repository has nothing to meet.
    let alone = code
        .kg(&[
            "query",
            "across-repositories",
            "--format",
            "csv",
            "--no-refresh",
        ])
        .ok();
    assert_eq!(rows(&alone), Vec::<String>::new());
    let server = oxigraph();
    let url = format!("{}/store", server.base);
    for fixture in [&specs, &code] {
        let run = push(fixture, &url);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let met = remote_rows(&server, &query);
    assert_eq!(
        met,
        vec![
            "spec.basics.error_model/dsn~status-mapping,impl,http://open-services.net/ns/rm#implementedBy,rust/src/lib.rs,4".to_owned(),
            "spec.basics.error_model/req~status-codes,utest,http://open-services.net/ns/rm#validatedBy,rust/src/lib.rs,11".to_owned(),
        ],
        "{met:?}"
    );
}
