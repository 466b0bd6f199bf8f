//! `kg push URL`: sends the repository's named graphs to a SPARQL 1.1 Graph Store Protocol
//! endpoint, one PUT per graph (never a PUT of the whole dataset, which some servers take as
//! "replace everything"), only kg's graphs for this repository (those under its IRI base), and
//! only those that changed since the last push to that URL; a graph this repository no longer
//! has is deleted there. What arrived is recorded graph by graph, so that a push that fails
//! part way resends only the rest next time.

// implements: share/push, share/repositories

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::store::{ReadStore, StoreDir};

/// Where and how to push.
#[derive(Debug, Clone)]
pub struct Target {
    /// The Graph Store Protocol endpoint (`http://host:port/store`).
    pub url: String,
    /// The user and password to answer the server's challenge with (Basic or Digest, as it asks).
    pub user: Option<(String, String)>,
    /// Send every graph, changed or not.
    pub all: bool,
}

/// What a push did.
#[derive(Debug, Clone, Default)]
pub struct Pushed {
    pub sent: usize,
    pub unchanged: usize,
    pub deleted: usize,
    pub bytes: u64,
    pub took: Duration,
    /// Of `took`, the time spent waiting for the server's answers.
    pub server: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(
        "{url}: {message} (graph {graph}); {done} graphs arrived and the next push resends the rest"
    )]
    Http {
        url: String,
        graph: String,
        message: String,
        done: usize,
    },
    #[error("{0}: not an http:// or https:// URL")]
    Url(String),
}

/// The record of what reached `url`: graph IRI to the digest of what was sent.
fn record_path(store: &StoreDir, url: &str) -> PathBuf {
    store
        .root()
        .join("pushed")
        .join(format!("{:016x}.json", digest(url.as_bytes())))
}

fn read_record(path: &Path) -> BTreeMap<String, String> {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn write_record(path: &Path, record: &BTreeMap<String, String>) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let temporary = path.with_extension("tmp");
    if let Ok(bytes) = serde_json::to_vec_pretty(record)
        && std::fs::write(&temporary, bytes).is_ok()
    {
        let _ = std::fs::rename(&temporary, path);
    }
}

/// A digest for telling a changed graph from an unchanged one (FNV-1a, 64 bits, with the
/// length): stable across runs and versions, which std's hashers are not promised to be.
fn digest(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash ^ (bytes.len() as u64).rotate_left(32)
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

/// How requests authenticate: with nothing until the server's first 401 says how
/// (`WWW-Authenticate`), then that scheme for every request after, so that a password never goes
/// to a server that did not ask for it, nor as Basic to one that asked for Digest (Virtuoso's
/// graph store).
struct Auth<'a> {
    user: Option<&'a (String, String)>,
    scheme: Scheme,
}

enum Scheme {
    Unasked,
    Basic(String),
    Digest(digest_auth::WwwAuthenticateHeader),
}

impl Auth<'_> {
    /// The `Authorization` header for a request, once the server asked for one.
    fn header(&mut self, method: &str, url: &str, body: &[u8]) -> Option<String> {
        let (user, password) = self.user?;
        match &mut self.scheme {
            Scheme::Unasked => None,
            Scheme::Basic(header) => Some(header.clone()),
            Scheme::Digest(prompt) => {
                let context = digest_auth::AuthContext::new_with_method(
                    user.as_str(),
                    password.as_str(),
                    request_target(url),
                    Some(body),
                    digest_auth::HttpMethod::from(method.to_owned()),
                );
                prompt.respond(&context).ok().map(|h| h.to_header_string())
            }
        }
    }

    /// Takes the challenge of a 401 (`WWW-Authenticate`; none is taken as Basic) and says
    /// whether the request is worth sending again: credentials were given and the challenge is
    /// new (the first, or a Digest nonce gone stale).
    fn challenge(&mut self, www_authenticate: Option<&str>) -> bool {
        let Some((user, password)) = self.user else {
            return false;
        };
        let challenge = www_authenticate.unwrap_or("Basic").trim();
        let digest = challenge
            .get(..6)
            .is_some_and(|s| s.eq_ignore_ascii_case("digest"));
        let prompt = digest.then(|| digest_auth::parse(challenge).ok()).flatten();
        let fresh = match &self.scheme {
            Scheme::Unasked => true,
            Scheme::Digest(_) => prompt.as_ref().is_some_and(|p| p.stale),
            Scheme::Basic(_) => false,
        };
        if !fresh {
            return false;
        }
        self.scheme = match prompt {
            Some(prompt) => Scheme::Digest(prompt),
            // A Digest challenge kg cannot read is not answered with a password in the clear.
            None if digest => return false,
            None => Scheme::Basic(basic(user, password)),
        };
        true
    }
}

/// The request target of a URL, as Digest signs it: its path and query.
fn request_target(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/').map_or("/", |slash| &rest[slash..])
}

/// Sends one request, answering the server's authentication challenges (at most twice: the
/// first, and a Digest nonce gone stale).
fn send(
    agent: &ureq::Agent,
    auth: &mut Auth<'_>,
    method: &str,
    url: &str,
    body: &[u8],
) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let mut request = ureq::http::Request::builder().method(method).uri(url);
        if method == "PUT" {
            request = request.header("Content-Type", "application/n-triples");
        }
        if let Some(header) = auth.header(method, url, body) {
            request = request.header("Authorization", header);
        }
        let response = if method == "PUT" {
            agent.run(request.body(body)?)?
        } else {
            agent.run(request.body(())?)?
        };
        if response.status().as_u16() == 401 && attempts < 3 {
            let challenge = response
                .headers()
                .get("WWW-Authenticate")
                .and_then(|v| v.to_str().ok());
            if auth.challenge(challenge) {
                continue;
            }
        }
        return Ok(response);
    }
}

/// `url` with `?graph=IRI` (or `&graph=` when it has a query already), the IRI escaped.
fn graph_url(url: &str, graph: &str) -> String {
    let mut escaped = String::new();
    for byte in graph.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                escaped.push(byte as char)
            }
            other => escaped.push_str(&format!("%{other:02X}")),
        }
    }
    let join = if url.contains('?') { '&' } else { '?' };
    format!("{url}{join}graph={escaped}")
}

/// Pushes the graphs of `store` (an index whose IRIs start with `base`) to `target`.
pub fn push(
    store: &ReadStore,
    dir: &StoreDir,
    base: &str,
    target: &Target,
    mut progress: impl FnMut(&str),
) -> Result<Pushed, PushError> {
    if !(target.url.starts_with("http://") || target.url.starts_with("https://")) {
        return Err(PushError::Url(target.url.clone()));
    }
    let started = Instant::now();
    let record_file = record_path(dir, &target.url);
    let mut record = if target.all {
        BTreeMap::new()
    } else {
        read_record(&record_file)
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .into();
    let mut auth = Auth {
        user: target.user.as_ref(),
        scheme: Scheme::Unasked,
    };
    let graphs: Vec<String> = store
        .graph_names()?
        .into_iter()
        .filter(|g| g.starts_with(base))
        .collect();
    let mut pushed = Pushed::default();
    let fail = |graph: &str, message: String, done: usize| PushError::Http {
        url: target.url.clone(),
        graph: graph.to_owned(),
        message,
        done,
    };
    let check = |result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
                 graph: &str,
                 done: usize|
     -> Result<(), PushError> {
        match result {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(mut response) => {
                let status = response.status();
                let body = response
                    .body_mut()
                    .read_to_string()
                    .unwrap_or_default()
                    .chars()
                    .take(300)
                    .collect::<String>();
                let hint = match (status.as_u16(), &target.user) {
                    (401 | 403, None) => {
                        "; give --user, with the password in KG_PUSH_PASSWORD".to_owned()
                    }
                    (401 | 403, Some((user, _))) => {
                        format!("; it refused {user} with the password in KG_PUSH_PASSWORD")
                    }
                    _ => String::new(),
                };
                Err(fail(
                    graph,
                    format!("the server answered {status}{hint}: {}", body.trim()),
                    done,
                ))
            }
            Err(e) => Err(fail(graph, format!("cannot reach the server: {e}"), done)),
        }
    };
    let total = graphs.len();
    let mut outcome = Ok(());
    for (n, graph) in graphs.iter().enumerate() {
        let body = store.graph_ntriples(graph)?;
        let hash = format!("{:016x}", digest(&body));
        if record.get(graph) == Some(&hash) {
            pushed.unchanged += 1;
            continue;
        }
        if n % 100 == 0 {
            progress(&format!("{n} of {total} graphs"));
        }
        let size = body.len() as u64;
        let url = graph_url(&target.url, graph);
        let asked = Instant::now();
        let result = send(&agent, &mut auth, "PUT", &url, &body);
        pushed.server += asked.elapsed();
        if let Err(e) = check(result, graph, pushed.sent) {
            outcome = Err(e);
            break;
        }
        pushed.sent += 1;
        pushed.bytes += size;
        record.insert(graph.clone(), hash);
    }
    // Graphs pushed before that this repository no longer has.
    if outcome.is_ok() {
        let gone: Vec<String> = record
            .keys()
            .filter(|g| g.starts_with(base) && graphs.binary_search(g).is_err())
            .cloned()
            .collect();
        for graph in gone {
            let url = graph_url(&target.url, &graph);
            let asked = Instant::now();
            let result = send(&agent, &mut auth, "DELETE", &url, &[]);
            pushed.server += asked.elapsed();
            match result {
                // Already gone there is as good as deleted.
                Ok(response) if response.status().as_u16() == 404 => {}
                result => {
                    if let Err(e) = check(result, &graph, pushed.sent) {
                        outcome = Err(e);
                        break;
                    }
                }
            }
            record.remove(&graph);
            pushed.deleted += 1;
        }
    }
    write_record(&record_file, &record);
    pushed.took = started.elapsed();
    outcome.map(|()| pushed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_is_base64_of_user_and_password() {
        assert_eq!(
            basic("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(basic("a", "b"), "Basic YTpi");
        assert_eq!(basic("ab", "c"), "Basic YWI6Yw==");
    }

    #[test]
    fn a_graph_is_named_in_the_query_string() {
        assert_eq!(
            graph_url("http://h/store", "https://r/file/a b#x"),
            "http://h/store?graph=https%3A%2F%2Fr%2Ffile%2Fa%20b%23x"
        );
        assert!(graph_url("http://h/s?x=1", "g").ends_with("?x=1&graph=g"));
    }

    #[test]
    fn the_digest_tells_contents_apart_and_stays_the_same() {
        assert_eq!(digest(b""), digest(b""));
        assert_ne!(digest(b"a"), digest(b"b"));
        assert_eq!(digest(b"kg"), 0x08be_4107_b562_79b7 ^ 2u64.rotate_left(32));
    }
}
