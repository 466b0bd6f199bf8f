//! `kg context`: what an agent needs about one item, file or symbol before it writes code, in one
//! pack that fits a token budget. For an item: its text verbatim, feature and status, the
//! implementing code as line-numbered snippets, the tests with the command that runs them, the
//! doc sections and the item's history, each with why it is there. For a file or symbol: the
//! items it serves, its callers and the tests that reach it. The pack is ranked and cut to the
//! budget, and says what it left out.

// implements: agents/context

use std::collections::{BTreeMap, BTreeSet};

use gix::ObjectId;
use serde::Serialize;

use crate::git::{GitError, Repo};
use crate::graph::Iris;
use crate::query::{iri_values, literal};
use crate::store::{ReadStore, StoreError, cell};
use crate::trace::{Link, TraceItem, short};

/// About this many tokens when none is asked for: room for the item and a few snippets, a
/// small part of an agent's context window.
pub const DEFAULT_BUDGET: usize = 4_000;

/// Snippets longer than this many lines are cut to their head.
const SNIPPET_LINES: usize = 60;

/// At most this many entries of one kind (code, tests, docs, callers) are listed.
const LIST_AT_MOST: usize = 25;

/// At most this many tests further from the code than the calls that count as verifying it.
const FAR_TESTS: usize = 5;

// implements: agents/freshness
/// How fresh an answer is: the commit the index holds, HEAD, and the files that differ from it
/// in the work tree (which the index does not see).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Freshness {
    pub indexed: String,
    pub head: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uncommitted: Vec<String>,
}

impl Freshness {
    /// Whether the index is the commit HEAD names.
    pub fn current(&self) -> bool {
        self.indexed == self.head
    }

    pub fn of(repo: &Repo, store: &ReadStore) -> Result<Freshness, ContextError> {
        let indexed = store.state()?.map(|s| s.commit).unwrap_or_default();
        let head = repo
            .head_commit()?
            .map(|c| c.to_string())
            .unwrap_or_default();
        let mut uncommitted: Vec<String> = repo
            .worktree_changes()?
            .into_iter()
            .map(|c| c.path)
            .collect();
        uncommitted.sort();
        uncommitted.dedup();
        Ok(Freshness {
            indexed: short(&indexed).to_owned(),
            head: short(&head).to_owned(),
            uncommitted,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("{0}")]
    NotFound(String),
}

/// One item in a pack.
#[derive(Debug, Clone, Serialize)]
pub struct ItemEntry {
    pub id: String,
    pub feature: String,
    pub kind: String,
    /// `path:line` of its spec.
    pub at: String,
    pub text: String,
    /// implemented, verified (declared or inferred), documented, stale: as words.
    pub status: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<String>,
}

/// A piece of code, a test, a doc section or a caller, with why it is in the pack.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// `path:start-end` (or `path:line`).
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// The item it is evidence for, when the pack is about several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    pub why: String,
    /// For a test: the command that runs it, where kg can tell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// Line-numbered source, for code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// An event of an item's history.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// introduced or reworded
    pub event: String,
    pub commit: String,
    pub date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// What an agent needs about one subject.
#[derive(Debug, Clone, Serialize)]
pub struct Pack {
    pub subject: String,
    /// item, file, line (of a file) or symbol
    pub kind: &'static str,
    pub fresh: Freshness,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub code: Vec<Entry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<Entry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub docs: Vec<Entry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub callers: Vec<Entry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<Event>,
    /// What the budget left out, in words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub omitted: Vec<String>,
    /// An estimate of the pack's size in tokens (four characters a token).
    pub tokens: usize,
}

/// Tokens in `text`, as the usual estimate has them: four characters a token.
pub fn tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

/// What a pack is read from: the index, and the repository at the indexed commit.
pub struct Sources<'a> {
    pub store: &'a ReadStore,
    pub iris: &'a Iris,
    pub repo: &'a Repo,
    /// The indexed commit, whose files the snippets come from.
    pub commit: ObjectId,
    pub inferred_distance: u32,
}

/// A definition as the index has it.
#[derive(Debug, Clone)]
struct Def {
    iri: String,
    path: String,
    name: String,
    qualified: String,
    start: u32,
    end: u32,
    is_test: bool,
}

/// Builds the pack about `subject`: an item id, a `path` or `path:line`, or a symbol name.
pub fn pack(sources: &Sources, subject: &str, budget: usize) -> Result<Pack, ContextError> {
    let fresh = Freshness::of(sources.repo, sources.store)?;
    let report = crate::trace::build(sources.store, sources.iris, &[], sources.inferred_distance)?;
    let mut pack = Pack {
        subject: subject.to_owned(),
        kind: "item",
        fresh,
        items: Vec::new(),
        code: Vec::new(),
        tests: Vec::new(),
        docs: Vec::new(),
        callers: Vec::new(),
        history: Vec::new(),
        omitted: Vec::new(),
        tokens: 0,
    };
    if let Some(item) = report.items.iter().find(|i| i.id == subject) {
        item_pack(sources, item, &mut pack)?;
    } else {
        let (path, line) = split_location(subject);
        let defs = if file_exists(sources.store, path)? {
            pack.kind = if line.is_some() { "line" } else { "file" };
            let defs = definitions_in(sources.store, path)?;
            match line {
                // The innermost definition holding the line.
                Some(line) => defs
                    .into_iter()
                    .filter(|d| d.start <= line && line <= d.end)
                    .min_by_key(|d| d.end - d.start)
                    .into_iter()
                    .collect(),
                None => defs,
            }
        } else {
            pack.kind = "symbol";
            let defs = definitions_named(sources.store, subject)?;
            if defs.is_empty() {
                return Err(ContextError::NotFound(not_found(subject, &report.items)));
            }
            defs
        };
        code_pack(sources, path, &defs, &report.items, &mut pack)?;
    }
    fit(&mut pack, budget);
    Ok(pack)
}

/// `path:line` split at its last colon when what follows is a number.
fn split_location(subject: &str) -> (&str, Option<u32>) {
    match subject.rsplit_once(':') {
        Some((path, line)) if !path.is_empty() => match line.parse() {
            Ok(n) => (path, Some(n)),
            Err(_) => (subject, None),
        },
        _ => (subject, None),
    }
}

fn not_found(subject: &str, items: &[TraceItem]) -> String {
    let lower = subject.to_lowercase();
    let near: Vec<&str> = items
        .iter()
        .map(|i| i.id.as_str())
        .filter(|id| id.to_lowercase().contains(&lower) || lower.contains(&id.to_lowercase()))
        .take(5)
        .collect();
    let mut message = format!("no item, indexed file or symbol is named `{subject}`");
    if !near.is_empty() {
        message.push_str(&format!("; items with a like id: {}", near.join(", ")));
    }
    message
}

fn status(item: &TraceItem) -> Vec<String> {
    let mut words = Vec::new();
    words.push(
        if item.is_implemented() {
            "implemented"
        } else {
            "not implemented"
        }
        .to_owned(),
    );
    let declared = item.verified_by.iter().any(|l| l.distance.is_none());
    words.push(match (item.is_verified(), declared) {
        (true, true) => "verified (declared)".to_owned(),
        (true, false) => "verified (inferred only)".to_owned(),
        _ => "not verified".to_owned(),
    });
    words.push(
        if item.is_documented() {
            "documented"
        } else {
            "not documented"
        }
        .to_owned(),
    );
    if item.stale {
        words.push("stale".to_owned());
    }
    words
}

fn stale_words(item: &TraceItem) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(e) = &item.stale_evidence {
        parts.push(format!(
            "reworded in {} ({}) after its code last changed in {} ({})",
            short(&e.reworded_in),
            e.reworded_on,
            short(&e.code_last_changed_in),
            e.code_last_changed_on
        ));
    }
    for tag in &item.stale_tags {
        parts.push(crate::trace::stale_tag_message(&item.id, tag));
    }
    for quote in &item.stale_quotes {
        parts.push(format!(
            "{}:{} quotes text the spec no longer holds",
            quote.path, quote.line
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn item_entry(item: &TraceItem) -> ItemEntry {
    ItemEntry {
        id: item.id.clone(),
        feature: item.feature.clone(),
        kind: item.kind.clone(),
        at: format!("{}:{}", item.spec.path, item.spec.line),
        text: item.text.clone(),
        status: status(item),
        stale: stale_words(item),
    }
}

/// Why a link is evidence, in words.
fn why(link: &Link, relation: &str) -> String {
    let how = match (link.via.as_str(), link.distance) {
        ("inferred", Some(1)) => "calls the implementing code directly".to_owned(),
        ("inferred", Some(n)) => format!("reaches the implementing code through {n} calls"),
        ("declared", _) => format!("declares that it {relation} the item"),
        ("trailer", _) => format!("a commit trailer says it {relation} the item"),
        ("mention", _) => "mentions the item".to_owned(),
        (other, _) => format!("{other}: {relation}"),
    };
    if link.ambiguous {
        format!("{how} (through a call whose name several definitions have)")
    } else {
        how
    }
}

fn item_pack(sources: &Sources, item: &TraceItem, pack: &mut Pack) -> Result<(), ContextError> {
    pack.items.push(item_entry(item));
    let paths: BTreeSet<&str> = item
        .implemented_by
        .iter()
        .chain(&item.verified_by)
        .map(|l| l.path.as_str())
        .collect();
    let defs = definitions_of_files(sources.store, &paths)?;
    let extent = |link: &Link| -> (u32, u32) {
        let line = link.line.unwrap_or(1);
        defs.get(link.path.as_str())
            .and_then(|ds| {
                ds.iter()
                    .filter(|d| {
                        d.start <= line
                            && line <= d.end
                            && link.symbol.as_deref().is_none_or(|s| s == d.qualified)
                    })
                    .min_by_key(|d| d.end - d.start)
            })
            .map_or((line, line), |d| (d.start, d.end))
    };
    // Declared evidence first, then trailers, then mentions.
    let rank = |link: &Link| match link.via.as_str() {
        "declared" => 0,
        "trailer" => 1,
        "inferred" => 2 + link.distance.unwrap_or(0),
        _ => 9,
    };
    let mut implemented: Vec<&Link> = item.implemented_by.iter().collect();
    implemented.sort_by_key(|l| (rank(l), l.path.clone(), l.line));
    for link in implemented {
        let (start, end) = extent(link);
        pack.code.push(Entry {
            at: location(&link.path, start, end),
            symbol: link.symbol.clone(),
            item: None,
            why: why(link, "implements"),
            run: None,
            source: snippet(sources, &link.path, start, end),
        });
    }
    let implementing: Vec<String> = item
        .implemented_by
        .iter()
        .filter_map(|link| {
            let symbol = link.symbol.as_deref()?;
            defs.get(link.path.as_str())?
                .iter()
                .find(|d| d.qualified == symbol)
                .map(|d| d.iri.clone())
        })
        .collect();
    let paths = call_paths(sources, &implementing, &item.verified_by)?;
    let mut verified: Vec<&Link> = item.verified_by.iter().collect();
    verified.sort_by_key(|l| (rank(l), l.path.clone(), l.line));
    // Tests further away than the calls that count are context, not evidence: a few of them.
    let beyond = |l: &&Link| l.distance.is_some_and(|d| d > sources.inferred_distance);
    let far = verified.iter().filter(|l| beyond(l)).count();
    if far > FAR_TESTS {
        let mut kept = 0;
        verified.retain(|l| {
            !beyond(l) || {
                kept += 1;
                kept <= FAR_TESTS
            }
        });
        pack.omitted.push(format!(
            "{} more tests that reach the code through more calls than the {} that count",
            far - FAR_TESTS,
            sources.inferred_distance
        ));
    }
    for link in verified {
        let (start, end) = extent(link);
        let why = match paths.get(&(link.path.clone(), link.symbol.clone())) {
            Some(chain) if link.via == "inferred" => {
                let mut words = why(link, "verifies");
                words.push_str(": ");
                words.push_str(&chain.join(" → "));
                words
            }
            _ => why(link, "verifies"),
        };
        let why = match link.distance {
            Some(d) if d > sources.inferred_distance => format!(
                "{why} (more calls than the {} that count as verifying it)",
                sources.inferred_distance
            ),
            _ => why,
        };
        pack.tests.push(Entry {
            at: location(&link.path, start, end),
            symbol: link.symbol.clone(),
            item: None,
            why,
            run: test_command(&link.path, link.symbol.as_deref()),
            source: None,
        });
    }
    for link in &item.documented_by {
        pack.docs.push(Entry {
            at: location(&link.path, link.line.unwrap_or(1), link.line.unwrap_or(1)),
            symbol: link.symbol.clone(),
            item: None,
            why: why(link, "documents"),
            run: None,
            source: None,
        });
    }
    pack.history = history(sources.store, &item.id)?;
    Ok(())
}

/// A test or definition by path and symbol, as trace links name them.
type Place = (String, Option<String>);

/// For each inferred test among `tests`, the calls from it to the implementing code
/// (`implementing`, IRIs): the names along the way, the test's first. One lookup of callers
/// per call level, as the trace infers them.
fn call_paths(
    sources: &Sources,
    implementing: &[String],
    tests: &[Link],
) -> Result<BTreeMap<Place, Vec<String>>, ContextError> {
    let wanted: BTreeSet<Place> = tests
        .iter()
        .filter(|l| l.via == "inferred")
        .map(|l| (l.path.clone(), l.symbol.clone()))
        .collect();
    let deepest = tests.iter().filter_map(|l| l.distance).max().unwrap_or(0);
    let mut found = BTreeMap::new();
    if wanted.is_empty() || implementing.is_empty() {
        return Ok(found);
    }
    // Who each reached node calls on the way to the code.
    let mut toward: BTreeMap<String, String> = BTreeMap::new();
    let mut frontier: Vec<String> = implementing.to_vec();
    let mut seen: BTreeSet<String> = frontier.iter().cloned().collect();
    for _ in 0..deepest {
        let callees: Vec<&str> = frontier.iter().map(String::as_str).collect();
        let mut next = Vec::new();
        for (caller, callee, _) in crate::trace::callers_of(sources.store, Some(&callees))? {
            if seen.insert(caller.clone()) {
                toward.insert(caller.clone(), callee);
                next.push(caller);
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    let name = |iri: &str| {
        sources
            .iris
            .located(iri)
            .map(|(path, symbol)| symbol.unwrap_or(path))
            .unwrap_or_else(|| iri.to_owned())
    };
    for node in toward.keys() {
        let Some((path, symbol)) = sources.iris.located(node) else {
            continue;
        };
        let key = (path, symbol);
        if !wanted.contains(&key) || found.contains_key(&key) {
            continue;
        }
        let mut chain = vec![name(node)];
        let mut at = node;
        while let Some(callee) = toward.get(at) {
            chain.push(name(callee));
            at = callee;
        }
        found.insert(key, chain);
    }
    Ok(found)
}

fn code_pack(
    sources: &Sources,
    path: &str,
    defs: &[Def],
    items: &[TraceItem],
    pack: &mut Pack,
) -> Result<(), ContextError> {
    let names: BTreeSet<(&str, &str)> = defs
        .iter()
        .map(|d| (d.path.as_str(), d.qualified.as_str()))
        .collect();
    let whole_file = pack.kind == "file" && defs.len() > 1;
    let hits = |link: &Link| {
        if whole_file || (pack.kind != "symbol" && defs.is_empty()) {
            link.path == path
        } else {
            link.symbol
                .as_deref()
                .is_some_and(|s| names.contains(&(link.path.as_str(), s)))
        }
    };
    for item in items {
        let relations = [
            ("implements", &item.implemented_by),
            ("verifies", &item.verified_by),
            ("documents", &item.documented_by),
        ];
        let how: Vec<String> = relations
            .iter()
            .filter_map(|(relation, links)| {
                let link = links.iter().find(|l| hits(l))?;
                Some(format!(
                    "{} {}",
                    link.symbol.as_deref().unwrap_or(&link.path),
                    why(link, relation)
                ))
            })
            .collect();
        if !how.is_empty() {
            let mut entry = item_entry(item);
            entry.status.push(format!("here: {}", how.join("; ")));
            pack.items.push(entry);
        }
    }
    // The definitions themselves, as code. Of a whole file, the outermost carry the source
    // (their members are in it), as far as the budget goes.
    // (The definitions come by start line: one is inside an earlier one that ends after it.)
    let mut reach = 0;
    for def in defs {
        let inner = whole_file && reach >= def.end;
        reach = reach.max(def.end);
        pack.code.push(Entry {
            at: location(&def.path, def.start, def.end),
            symbol: Some(def.qualified.clone()),
            item: None,
            why: match pack.kind {
                "line" => format!("holds the line asked about ({})", pack.subject),
                "file" => "defined in the file".to_owned(),
                kind => format!("the {kind} asked about"),
            },
            run: None,
            source: if inner {
                None
            } else {
                snippet(sources, &def.path, def.start, def.end)
            },
        });
    }
    // Callers, and the tests that reach the definitions through calls.
    let mut frontier: Vec<String> = defs.iter().map(|d| d.iri.clone()).collect();
    let mut seen: BTreeSet<String> = frontier.iter().cloned().collect();
    for distance in 1..=sources.inferred_distance.max(1) {
        let callees: Vec<&str> = frontier.iter().map(String::as_str).collect();
        let callers = crate::trace::callers_of(sources.store, Some(&callees))?;
        let fresh: Vec<String> = callers
            .into_iter()
            .map(|(caller, _, _)| caller)
            .filter(|c| seen.insert(c.clone()))
            .collect();
        if fresh.is_empty() {
            break;
        }
        for def in definitions_by_iri(sources.store, &fresh)? {
            let entry = Entry {
                at: location(&def.path, def.start, def.end),
                symbol: Some(def.qualified.clone()),
                item: None,
                why: if distance == 1 {
                    "calls it".to_owned()
                } else {
                    format!("reaches it through {distance} calls")
                },
                run: def
                    .is_test
                    .then(|| test_command(&def.path, Some(&def.qualified)))
                    .flatten(),
                source: None,
            };
            if def.is_test {
                pack.tests.push(entry);
            } else if distance == 1 {
                pack.callers.push(entry);
            }
        }
        frontier = fresh;
    }
    Ok(())
}

fn location(path: &str, start: u32, end: u32) -> String {
    if start == end {
        format!("{path}:{start}")
    } else {
        format!("{path}:{start}-{end}")
    }
}

/// Lines `start..=end` of `path` at the indexed commit, numbered; cut to [`SNIPPET_LINES`].
fn snippet(sources: &Sources, path: &str, start: u32, end: u32) -> Option<String> {
    let bytes = sources
        .repo
        .blob_reader()
        .read_path(sources.commit, path)
        .ok()??;
    let text = String::from_utf8_lossy(&bytes);
    let (start, end) = (start.max(1) as usize, end.max(start) as usize);
    let width = end.to_string().len();
    let mut out = String::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .skip(start - 1)
        .take((end - start + 1).min(SNIPPET_LINES))
    {
        out.push_str(&format!("{:>width$} | {line}\n", n + 1));
    }
    if end - start + 1 > SNIPPET_LINES {
        out.push_str(&format!(
            "{:>width$} | ... ({} more lines)\n",
            "",
            end - start + 1 - SNIPPET_LINES
        ));
    }
    (!out.is_empty()).then_some(out)
}

/// The command that runs a test, where kg can tell: `cargo test` with the test's path for
/// Rust (`--test NAME` for an integration test file), the test file for TypeScript.
pub fn test_command(path: &str, symbol: Option<&str>) -> Option<String> {
    if let Some(rest) = path.strip_suffix(".rs") {
        // A method of an impl in a test file (`<A as B>::accept`) is no test a runner names.
        let symbol = symbol.filter(|s| !s.contains(['<', ' ']))?;
        let parts: Vec<&str> = rest.split('/').collect();
        // crates/foo/tests/bar.rs, tests/bar.rs: an integration test target.
        if let Some(at) = parts.iter().rposition(|p| *p == "tests")
            && at + 2 == parts.len()
            && parts[..at].iter().all(|p| *p != "src")
        {
            return Some(format!("cargo test --test {} {symbol}", parts[at + 1]));
        }
        let module: Vec<&str> = match parts.iter().rposition(|p| *p == "src") {
            Some(at) => parts[at + 1..]
                .iter()
                .copied()
                .filter(|p| !matches!(*p, "lib" | "main" | "mod"))
                .collect(),
            None => Vec::new(),
        };
        let mut name = module.join("::");
        if !name.is_empty() {
            name.push_str("::");
        }
        name.push_str(symbol);
        return Some(format!("cargo test {name}"));
    }
    let typescript = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx"];
    typescript
        .iter()
        .any(|ext| path.ends_with(ext))
        .then(|| path.to_owned())
}

fn history(store: &ReadStore, id: &str) -> Result<Vec<Event>, ContextError> {
    let rows = store.select(
        &format!(
            "SELECT ?event ?cid ?when ?who ?title WHERE {{
               ?req a oslc_rm:Requirement ; dcterms:identifier {id} .
               {{ ?req kg:introducedIn ?c BIND(\"introduced\" AS ?event) }}
               UNION {{ ?req kg:changedIn ?c BIND(\"reworded\" AS ?event) }}
               ?c dcterms:identifier ?cid ; prov:endedAtTime ?when .
               OPTIONAL {{ ?c kg:author/kg:name ?who }}
               OPTIONAL {{ ?c dcterms:title ?title }}
             }} ORDER BY ?when ?event",
            id = literal(id)
        ),
        "context-history",
    )?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some(Event {
                event: cell(&row[0])?,
                commit: short(&cell(&row[1])?).to_owned(),
                date: cell(&row[2])?,
                by: cell(&row[3]),
                title: cell(&row[4]),
            })
        })
        .collect())
}

const DEFINITION_COLUMNS: &str = "?d ?path ?name ?qn ?start ?end ?test";

fn definition_pattern(values: &str) -> String {
    format!(
        "SELECT {DEFINITION_COLUMNS} WHERE {{ {values}
           ?d a kg:Definition ; kg:inFile/kg:path ?path ; kg:name ?name ; kg:qualifiedName ?qn ;
              kg:startLine ?start ; kg:endLine ?end .
           OPTIONAL {{ ?d a kg:Test BIND(true AS ?test) }}
         }} ORDER BY ?path ?start"
    )
}

fn definitions(store: &ReadStore, query: &str) -> Result<Vec<Def>, ContextError> {
    let rows = store.select(query, "context-definitions")?;
    let number = |t: &Option<oxigraph::model::Term>| cell(t).and_then(|v| v.parse().ok());
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some(Def {
                iri: cell(&row[0])?,
                path: cell(&row[1])?,
                name: cell(&row[2])?,
                qualified: cell(&row[3])?,
                start: number(&row[4])?,
                end: number(&row[5])?,
                is_test: cell(&row[6]).as_deref() == Some("true"),
            })
        })
        .collect())
}

fn definitions_in(store: &ReadStore, path: &str) -> Result<Vec<Def>, ContextError> {
    definitions(
        store,
        &definition_pattern(&format!("VALUES ?path {{ {} }}", literal(path))),
    )
}

fn definitions_of_files(
    store: &ReadStore,
    paths: &BTreeSet<&str>,
) -> Result<BTreeMap<String, Vec<Def>>, ContextError> {
    if paths.is_empty() {
        return Ok(BTreeMap::new());
    }
    let values = format!("VALUES ?path {{ {} }}", crate::query::literal_values(paths));
    let mut by_path: BTreeMap<String, Vec<Def>> = BTreeMap::new();
    for def in definitions(store, &definition_pattern(&values))? {
        by_path.entry(def.path.clone()).or_default().push(def);
    }
    Ok(by_path)
}

fn definitions_by_iri(store: &ReadStore, iris: &[String]) -> Result<Vec<Def>, ContextError> {
    let values = format!("VALUES ?d {{ {} }}", iri_values(iris));
    definitions(store, &definition_pattern(&values))
}

/// Definitions whose qualified name is `name` or ends with it after a `::` or `.`, or whose
/// name is `name`.
fn definitions_named(store: &ReadStore, name: &str) -> Result<Vec<Def>, ContextError> {
    let all = definitions(
        store,
        &definition_pattern(&format!(
            "{{ ?d kg:name {n} }} UNION {{ ?d kg:qualifiedName {n} }}",
            n = literal(name.rsplit(['.', ':']).next().unwrap_or(name))
        )),
    )?;
    let exact: Vec<Def> = all
        .iter()
        .filter(|d| {
            d.qualified == name
                || d.qualified.ends_with(&format!("::{name}"))
                || d.qualified.ends_with(&format!(".{name}"))
                || d.name == name
        })
        .cloned()
        .collect();
    Ok(exact)
}

fn file_exists(store: &ReadStore, path: &str) -> Result<bool, ContextError> {
    let rows = store.select(
        &format!("SELECT ?f WHERE {{ ?f kg:path {} }} LIMIT 1", literal(path)),
        "context-file",
    )?;
    Ok(!rows.is_empty())
}

/// Cuts the pack to `budget` tokens: the items always stay; then lists are capped, and snippets
/// are kept in rank order while they fit. Says what it left out.
fn fit(pack: &mut Pack, budget: usize) {
    if pack.history.len() > LIST_AT_MOST {
        let cut = pack.history.len() - LIST_AT_MOST;
        // Keep the introduction and the latest rewordings.
        pack.history.drain(1..=cut);
        pack.omitted.push(format!("{cut} older rewordings"));
    }
    for (name, list) in [
        ("code locations", &mut pack.code),
        ("tests", &mut pack.tests),
        ("doc sections", &mut pack.docs),
        ("callers", &mut pack.callers),
    ] {
        if list.len() > LIST_AT_MOST {
            let cut = list.len() - LIST_AT_MOST;
            list.truncate(LIST_AT_MOST);
            pack.omitted.push(format!("{cut} more {name}"));
        }
    }
    let entry_cost = |e: &Entry| {
        tokens(&e.at)
            + tokens(e.symbol.as_deref().unwrap_or(""))
            + tokens(&e.why)
            + tokens(e.run.as_deref().unwrap_or(""))
            + 6
    };
    let mut used: usize = 60
        + pack
            .items
            .iter()
            .map(|i| tokens(&i.text) + tokens(&i.at) + 10 * i.status.len() + 10)
            .sum::<usize>()
        + pack
            .history
            .iter()
            .map(|e| 12 + tokens(e.title.as_deref().unwrap_or("")))
            .sum::<usize>();
    used += pack
        .code
        .iter()
        .chain(&pack.tests)
        .chain(&pack.docs)
        .chain(&pack.callers)
        .map(entry_cost)
        .sum::<usize>();
    // Still over the budget: entries go from the ends of the lists (the least direct evidence
    // is last), tests first, one of each kind kept.
    for (name, list) in [
        ("tests", &mut pack.tests),
        ("callers", &mut pack.callers),
        ("doc sections", &mut pack.docs),
        ("code locations", &mut pack.code),
    ] {
        let mut cut = 0;
        while used > budget && list.len() > 1 {
            if let Some(entry) = list.pop() {
                used -= entry_cost(&entry).min(used);
                cut += 1;
            }
        }
        if cut > 0 {
            pack.omitted.push(format!(
                "{cut} more {name} (over the budget of {budget} tokens)"
            ));
        }
    }
    let mut left_out = Vec::new();
    for entry in &mut pack.code {
        let Some(source) = &entry.source else {
            continue;
        };
        let cost = tokens(source);
        if used + cost <= budget {
            used += cost;
        } else {
            left_out.push(entry.at.clone());
            entry.source = None;
        }
    }
    if !left_out.is_empty() {
        pack.omitted.push(format!(
            "the source of {} (over the budget of {budget} tokens; ask with a larger budget or read them)",
            left_out.join(", ")
        ));
    }
    pack.tokens = used;
}

/// The pack as Markdown: what an agent reads.
pub fn markdown(pack: &Pack) -> String {
    let mut out = String::new();
    out.push_str(&format!("# Context: {} ({})\n\n", pack.subject, pack.kind));
    let fresh = &pack.fresh;
    out.push_str(&format!(
        "Index at {}{}",
        fresh.indexed,
        if fresh.current() {
            " (HEAD)".to_owned()
        } else {
            format!(", HEAD is {}: run kg index", fresh.head)
        }
    ));
    if !fresh.uncommitted.is_empty() {
        out.push_str(&format!(
            "; uncommitted changes in {} the index does not see",
            fresh.uncommitted.join(", ")
        ));
    }
    out.push_str(".\n\n");
    for item in &pack.items {
        out.push_str(&format!(
            "## {} ({} of {}, {})\n\n{}\n\n{}\n",
            item.id,
            item.kind,
            item.feature,
            item.at,
            quote(&item.text),
            item.status.join(", ")
        ));
        if let Some(stale) = &item.stale {
            out.push_str(&format!("Stale: {stale}\n"));
        }
        out.push('\n');
    }
    for (title, list) in [
        ("Code", &pack.code),
        ("Tests", &pack.tests),
        ("Docs", &pack.docs),
        ("Callers", &pack.callers),
    ] {
        if list.is_empty() {
            continue;
        }
        out.push_str(&format!("## {title}\n\n"));
        for entry in list {
            out.push_str(&format!("- `{}`", entry.at));
            if let Some(symbol) = &entry.symbol {
                out.push_str(&format!(" {symbol}"));
            }
            out.push_str(&format!(": {}", entry.why));
            if let Some(run) = &entry.run {
                out.push_str(&format!("; run: `{run}`"));
            }
            out.push('\n');
            if let Some(source) = &entry.source {
                out.push_str(&format!("\n```\n{source}```\n\n"));
            }
        }
        out.push('\n');
    }
    if !pack.history.is_empty() {
        out.push_str("## History\n\n");
        for event in &pack.history {
            out.push_str(&format!(
                "- {} in {} on {}",
                event.event, event.commit, event.date
            ));
            if let Some(by) = &event.by {
                out.push_str(&format!(" by {by}"));
            }
            if let Some(title) = &event.title {
                out.push_str(&format!(": {title}"));
            }
            out.push('\n');
        }
        out.push('\n');
    }
    if !pack.omitted.is_empty() {
        out.push_str("## Left out\n\n");
        for what in &pack.omitted {
            out.push_str(&format!("- {what}\n"));
        }
        out.push('\n');
    }
    out.push_str(&format!("About {} tokens.\n", tokens(&out) + 4));
    out
}

fn quote(text: &str) -> String {
    text.lines()
        .map(|l| format!("> {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tests_are_run_by_the_command_their_place_calls_for() {
        let cases = [
            (
                "tests/cart.rs",
                Some("totals_add_up"),
                Some("cargo test --test cart totals_add_up"),
            ),
            (
                "crates/shop/tests/cart.rs",
                Some("m::totals"),
                Some("cargo test --test cart m::totals"),
            ),
            (
                "src/parse/code/mod.rs",
                Some("tests::tsx_parses"),
                Some("cargo test parse::code::tests::tsx_parses"),
            ),
            (
                "src/lib.rs",
                Some("tests::works"),
                Some("cargo test tests::works"),
            ),
            (
                "crates/shop/src/cart.rs",
                Some("tests::sums"),
                Some("cargo test cart::tests::sums"),
            ),
            (
                "web/src/cart.test.ts",
                Some("cart > sums"),
                Some("web/src/cart.test.ts"),
            ),
            ("docs/guide.md", None, None),
            ("tests/utils.rs", Some("<Echo as Acceptor>::accept"), None),
        ];
        for (path, symbol, expected) in cases {
            assert_eq!(test_command(path, symbol).as_deref(), expected, "{path}");
        }
    }

    #[test]
    fn a_location_splits_at_a_line_number_only() {
        assert_eq!(split_location("src/lib.rs:12"), ("src/lib.rs", Some(12)));
        assert_eq!(split_location("src/lib.rs"), ("src/lib.rs", None));
        assert_eq!(split_location("Cart::total"), ("Cart::total", None));
        assert_eq!(split_location("f/AC-1"), ("f/AC-1", None));
    }
}
