//! `kg serve`: the index over HTTP. `/sparql` is a read-only SPARQL 1.1 Protocol endpoint (GET
//! and POST queries, the W3C result formats chosen by `Accept`, CONSTRUCT and DESCRIBE as Turtle
//! or N-Triples; updates get 403), with a time limit and a result-size cap; `/` is the HTML
//! trace report. Each request reads the current complete store: one `kg index` beside the
//! server is seen once it has finished, never half-written.

// implements: share/serve

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{CancellationToken, QueryResults};
use tiny_http::{Header, Method, Request, Response, Server};

use crate::git::Repo;
use crate::graph::Iris;
use crate::index;
use crate::store::{ReadStore, StoreDir};

/// How the server is run.
#[derive(Debug, Clone)]
pub struct Options {
    pub bind: SocketAddr,
    /// A query that runs longer is cancelled (503).
    pub timeout: Duration,
    /// A result with more rows (or triples) is refused (a client adds LIMIT).
    pub max_rows: usize,
    /// Requests served at once.
    pub threads: usize,
}

/// The largest query or form body read.
const MAX_BODY: u64 = 1024 * 1024;

struct State {
    root: PathBuf,
    store: StoreDir,
    options: Options,
    /// The store last opened, kept while it is current (opening one costs tens of milliseconds).
    open: Mutex<Option<Arc<Opened>>>,
    /// Queries running, those past their time limit included (oxigraph may still be working on
    /// them): at twice the threads, new queries are turned away until some finish.
    running: Arc<std::sync::atomic::AtomicUsize>,
}

struct Opened {
    path: PathBuf,
    store: ReadStore,
    base: String,
    commit: String,
    /// The report page, made on first request.
    page: Mutex<Option<Arc<Vec<u8>>>>,
}

/// Serves until the process is stopped, telling `on_listen` the address once it listens (with
/// port 0, the one the system chose).
pub fn serve(
    root: PathBuf,
    store: Option<PathBuf>,
    options: Options,
    on_listen: impl FnOnce(&str),
) -> anyhow::Result<()> {
    let repo = Repo::discover(&root)?;
    let store = index::store_dir(&repo, store.as_deref());
    let server = Server::http(options.bind)
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", options.bind))?;
    let address = server
        .server_addr()
        .to_ip()
        .map_or_else(|| options.bind.to_string(), |a| a.to_string());
    on_listen(&address);
    let server = Arc::new(server);
    let state = Arc::new(State {
        root,
        store,
        options: options.clone(),
        open: Mutex::new(None),
        running: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
    });
    let workers: Vec<_> = (0..options.threads.max(1))
        .map(|_| {
            let server = server.clone();
            let state = state.clone();
            std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    handle(&state, request);
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    Ok(())
}

/// A response ready to send: status, content type, body.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Reply {
    fn text(status: u16, message: impl Into<String>) -> Reply {
        let mut body = message.into().into_bytes();
        body.push(b'\n');
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body,
        }
    }
}

fn handle(state: &State, mut request: Request) {
    let reply = route(state, &mut request);
    let mut response = Response::from_data(reply.body).with_status_code(reply.status);
    for (name, value) in [
        ("Content-Type", reply.content_type),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ] {
        if let Ok(header) = Header::from_bytes(name, value) {
            response = response.with_header(header);
        }
    }
    let _ = request.respond(response);
}

fn route(state: &State, request: &mut Request) -> Reply {
    let url = request.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    match (request.method(), path) {
        (Method::Get | Method::Head, "/") => report_page(state),
        (Method::Get | Method::Head, "/sparql") => {
            let form = form_fields(query);
            if form.iter().any(|(k, _)| k == "update") {
                return Reply::text(403, "kg serve is read-only: updates are refused");
            }
            match form.into_iter().find(|(k, _)| k == "query") {
                Some((_, text)) => sparql(state, &text, accept(request)),
                None => Reply::text(400, "no query: pass ?query=..."),
            }
        }
        (Method::Post, "/sparql") => {
            let content_type = header(request, "Content-Type").unwrap_or_default();
            let mut body = String::new();
            if request
                .as_reader()
                .take(MAX_BODY + 1)
                .read_to_string(&mut body)
                .is_err()
            {
                return Reply::text(400, "the request body is not UTF-8 text");
            }
            if body.len() as u64 > MAX_BODY {
                return Reply::text(413, format!("the request body is over {MAX_BODY} bytes"));
            }
            let media = content_type
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            match media.as_str() {
                "application/sparql-query" => sparql(state, &body, accept(request)),
                "application/sparql-update" => {
                    Reply::text(403, "kg serve is read-only: updates are refused")
                }
                "application/x-www-form-urlencoded" => {
                    let form = form_fields(&body);
                    if form.iter().any(|(k, _)| k == "update") {
                        return Reply::text(403, "kg serve is read-only: updates are refused");
                    }
                    match form.into_iter().find(|(k, _)| k == "query") {
                        Some((_, text)) => sparql(state, &text, accept(request)),
                        None => Reply::text(400, "no query in the form"),
                    }
                }
                other => Reply::text(
                    415,
                    format!(
                        "a POST to /sparql is application/sparql-query or a form, not `{other}`"
                    ),
                ),
            }
        }
        (_, "/" | "/sparql") => Reply::text(405, "only GET and POST are served here"),
        _ => Reply::text(404, "not found: the report is at /, SPARQL at /sparql"),
    }
}

fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str().to_owned())
}

fn accept(request: &Request) -> String {
    header(request, "Accept").unwrap_or_default()
}

/// `a=1&b=2`, percent- and plus-decoded.
fn form_fields(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = text
            .get(i + 1..i + 3)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
                continue;
            }
            (b'+', _) => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The current store, opened once and kept while it stays current.
fn current(state: &State) -> Result<Arc<Opened>, Reply> {
    let unavailable =
        |e: &dyn std::fmt::Display| Reply::text(503, format!("the index cannot be read: {e}"));
    let path = state.store.current_path().map_err(|e| unavailable(&e))?;
    let Some(path) = path else {
        return Err(Reply::text(503, "there is no index yet: run `kg index`"));
    };
    let mut open = state.open.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(opened) = open.as_ref().filter(|o| o.path == path) {
        return Ok(opened.clone());
    }
    let Some(store) = state.store.open_read().map_err(|e| unavailable(&e))? else {
        return Err(Reply::text(503, "there is no index yet: run `kg index`"));
    };
    let indexed = store.state().map_err(|e| unavailable(&e))?;
    let opened = Arc::new(Opened {
        path: store.path().to_owned(),
        base: indexed.as_ref().map(|s| s.base.clone()).unwrap_or_default(),
        commit: indexed.map(|s| s.commit).unwrap_or_default(),
        store,
        page: Mutex::new(None),
    });
    *open = Some(opened.clone());
    Ok(opened)
}

fn report_page(state: &State) -> Reply {
    let opened = match current(state) {
        Ok(opened) => opened,
        Err(reply) => return reply,
    };
    let mut page = opened.page.lock().unwrap_or_else(|e| e.into_inner());
    if page.is_none() {
        let made = (|| -> anyhow::Result<Vec<u8>> {
            let repo = Repo::discover(&state.root)?;
            let config = index::head_config(&repo)?;
            let report = crate::trace::build(
                &opened.store,
                &Iris::new(opened.base.clone()),
                &[],
                config
                    .trace
                    .inferred_distance
                    .unwrap_or(crate::trace::DEFAULT_INFERRED_DISTANCE),
            )?;
            let title = state.root.file_name().map_or("repository".to_owned(), |n| {
                n.to_string_lossy().into_owned()
            });
            let meta =
                crate::report::Page::new(&title, &opened.commit, repo.remote_url().as_deref());
            let mut out = Vec::new();
            crate::report::write_trace(
                &report,
                crate::report::TraceFormat::Html,
                &meta,
                &crate::report::Screen::PLAIN,
                &mut out,
            )?;
            Ok(out)
        })();
        match made {
            Ok(bytes) => *page = Some(Arc::new(bytes)),
            Err(e) => return Reply::text(500, format!("the report could not be made: {e:#}")),
        }
    }
    Reply {
        status: 200,
        content_type: "text/html; charset=utf-8",
        body: page.as_ref().map(|p| p.to_vec()).unwrap_or_default(),
    }
}

/// The result format `accept` asks for among `offered` (media type, format), the first offered
/// when it accepts anything or says nothing; `None` when it accepts none of them.
fn negotiate<T: Copy>(accept: &str, offered: &[(&str, T)]) -> Option<T> {
    if accept.trim().is_empty() {
        return offered.first().map(|(_, f)| *f);
    }
    let mut best: Option<(f32, usize, T)> = None;
    for part in accept.split(',') {
        let mut pieces = part.split(';');
        let media = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = pieces
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        if quality <= 0.0 {
            continue;
        }
        for (rank, (offer, format)) in offered.iter().enumerate() {
            let (kind, _) = offer.split_once('/').unwrap_or((offer, ""));
            let fits = media == *offer || media == "*/*" || media == format!("{kind}/*");
            let better = best.is_none_or(|(q, r, _)| quality > q || (quality == q && rank < r));
            if fits && better {
                best = Some((quality, rank, *format));
            }
        }
    }
    best.map(|(_, _, f)| f)
}

const SOLUTION_TYPES: &[(&str, QueryResultsFormat)] = &[
    ("application/sparql-results+json", QueryResultsFormat::Json),
    ("application/sparql-results+xml", QueryResultsFormat::Xml),
    ("text/csv", QueryResultsFormat::Csv),
    ("text/tab-separated-values", QueryResultsFormat::Tsv),
    ("application/json", QueryResultsFormat::Json),
    ("application/xml", QueryResultsFormat::Xml),
];

const GRAPH_TYPES: &[(&str, RdfFormat)] = &[
    ("text/turtle", RdfFormat::Turtle),
    ("application/n-triples", RdfFormat::NTriples),
    ("application/rdf+xml", RdfFormat::RdfXml),
    ("text/plain", RdfFormat::NTriples),
];

fn content_type_of_solutions(format: QueryResultsFormat) -> &'static str {
    match format {
        QueryResultsFormat::Json => "application/sparql-results+json",
        QueryResultsFormat::Xml => "application/sparql-results+xml",
        QueryResultsFormat::Csv => "text/csv; charset=utf-8",
        QueryResultsFormat::Tsv => "text/tab-separated-values; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn content_type_of_graph(format: RdfFormat) -> &'static str {
    match format {
        RdfFormat::Turtle => "text/turtle; charset=utf-8",
        RdfFormat::RdfXml => "application/rdf+xml",
        _ => "application/n-triples",
    }
}

fn sparql(state: &State, text: &str, accept: String) -> Reply {
    let opened = match current(state) {
        Ok(opened) => opened,
        Err(reply) => return reply,
    };
    let token = CancellationToken::new();
    let prepared = match crate::query::prepare_cancellable(text, "query", token.clone()) {
        Ok(prepared) => prepared,
        Err(err) => {
            return if crate::query::is_update(text) {
                Reply::text(403, "kg serve is read-only: updates are refused")
            } else {
                Reply::text(400, err.message)
            };
        }
    };
    // The time limit: the query runs on its own thread, and at the limit the answer is a 503
    // and the query is cancelled. (oxigraph notices cancellation when it next reads the store;
    // work it does in memory, such as a path's closure, runs on to its end, but the client is
    // not kept waiting.)
    use std::sync::atomic::Ordering;
    let running = state.running.clone();
    if running.fetch_add(1, Ordering::SeqCst) >= 2 * state.options.threads.max(1) {
        running.fetch_sub(1, Ordering::SeqCst);
        return Reply::text(
            503,
            "too many queries are running (some past their time limit): try again shortly",
        );
    }
    let (send, receive) = std::sync::mpsc::channel::<Reply>();
    let timeout = state.options.timeout;
    let max_rows = state.options.max_rows;
    std::thread::spawn(move || {
        let reply = evaluate(&opened, prepared, &accept, max_rows, timeout);
        running.fetch_sub(1, Ordering::SeqCst);
        let _ = send.send(reply);
    });
    match receive.recv_timeout(timeout) {
        Ok(reply) => reply,
        Err(_) => {
            token.cancel();
            over_time(timeout)
        }
    }
}

fn over_time(timeout: Duration) -> Reply {
    Reply::text(
        503,
        format!(
            "the query ran over the time limit of {} s",
            timeout.as_secs_f32()
        ),
    )
}

fn evaluate(
    opened: &Opened,
    prepared: oxigraph::sparql::PreparedSparqlQuery,
    accept: &str,
    max_rows: usize,
    timeout: Duration,
) -> Reply {
    let failed = |e: &dyn std::fmt::Display| {
        let message = e.to_string();
        if message.to_lowercase().contains("cancel") {
            over_time(timeout)
        } else {
            Reply::text(400, format!("the query failed: {message}"))
        }
    };
    let too_many = || {
        Reply::text(
            413,
            format!(
                "the result has more than {max_rows} rows: add a LIMIT (or start kg serve with a larger --max-rows)"
            ),
        )
    };
    let results = match opened.store.evaluate(prepared) {
        Ok(results) => results,
        Err(e) => return failed(&e),
    };
    match results {
        QueryResults::Boolean(value) => {
            let Some(format) = negotiate(accept, SOLUTION_TYPES) else {
                return not_acceptable(SOLUTION_TYPES);
            };
            let mut body = Vec::new();
            if let Err(e) = QueryResultsSerializer::from_format(format)
                .serialize_boolean_to_writer(&mut body, value)
            {
                return failed(&e);
            }
            Reply {
                status: 200,
                content_type: content_type_of_solutions(format),
                body,
            }
        }
        QueryResults::Solutions(solutions) => {
            let Some(format) = negotiate(accept, SOLUTION_TYPES) else {
                return not_acceptable(SOLUTION_TYPES);
            };
            let mut body = Vec::new();
            let variables = solutions.variables().to_vec();
            let mut writer = match QueryResultsSerializer::from_format(format)
                .serialize_solutions_to_writer(&mut body, variables)
            {
                Ok(writer) => writer,
                Err(e) => return failed(&e),
            };
            for (n, solution) in solutions.enumerate() {
                if n == max_rows {
                    return too_many();
                }
                let solution = match solution {
                    Ok(solution) => solution,
                    Err(e) => return failed(&e),
                };
                if let Err(e) = writer.serialize(&solution) {
                    return failed(&e);
                }
            }
            if let Err(e) = writer.finish() {
                return failed(&e);
            }
            Reply {
                status: 200,
                content_type: content_type_of_solutions(format),
                body,
            }
        }
        QueryResults::Graph(triples) => {
            let Some(format) = negotiate(accept, GRAPH_TYPES) else {
                return not_acceptable(GRAPH_TYPES);
            };
            let mut serializer = RdfSerializer::from_format(format);
            for (prefix, iri) in crate::graph::vocab::PREFIXES {
                if let Ok(with) = serializer.clone().with_prefix(*prefix, *iri) {
                    serializer = with;
                }
            }
            let mut writer = serializer.for_writer(Vec::new());
            for (n, triple) in triples.enumerate() {
                if n == max_rows {
                    return too_many();
                }
                let triple = match triple {
                    Ok(triple) => triple,
                    Err(e) => return failed(&e),
                };
                if let Err(e) = writer.serialize_triple(&triple) {
                    return failed(&e);
                }
            }
            match writer.finish() {
                Ok(mut body) => {
                    let _ = body.flush();
                    Reply {
                        status: 200,
                        content_type: content_type_of_graph(format),
                        body,
                    }
                }
                Err(e) => failed(&e),
            }
        }
    }
}

fn not_acceptable<T>(offered: &[(&str, T)]) -> Reply {
    let types: Vec<&str> = offered.iter().map(|(t, _)| *t).collect();
    Reply::text(
        406,
        format!(
            "none of the accepted types is served here; these are: {}",
            types.join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers_choose_by_quality_then_by_our_order() {
        let pick = |accept: &str| negotiate(accept, SOLUTION_TYPES);
        assert_eq!(pick(""), Some(QueryResultsFormat::Json));
        assert_eq!(pick("*/*"), Some(QueryResultsFormat::Json));
        assert_eq!(pick("text/csv"), Some(QueryResultsFormat::Csv));
        assert_eq!(
            pick("application/sparql-results+json;q=0.5, application/sparql-results+xml"),
            Some(QueryResultsFormat::Xml)
        );
        assert_eq!(
            pick("text/*;q=0.9, */*;q=0.1"),
            Some(QueryResultsFormat::Csv)
        );
        assert_eq!(pick("image/png"), None);
        assert_eq!(
            negotiate("text/turtle", GRAPH_TYPES),
            Some(RdfFormat::Turtle)
        );
        assert_eq!(
            negotiate("application/n-triples", GRAPH_TYPES),
            Some(RdfFormat::NTriples)
        );
    }

    #[test]
    fn forms_are_decoded() {
        assert_eq!(
            form_fields("query=SELECT+*+%7B%3Fs+%3Fp+%3Fo%7D&x=%E2%9C%93&bad=%zz"),
            vec![
                ("query".to_owned(), "SELECT * {?s ?p ?o}".to_owned()),
                ("x".to_owned(), "✓".to_owned()),
                ("bad".to_owned(), "%zz".to_owned())
            ]
        );
    }
}
