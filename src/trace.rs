//! The traceability report: for every criterion and NFR, what implements, verifies and documents
//! it, with evidence, and whether it is stale. The facts come from the shipped queries
//! `trace-items` and `trace-links`; this module only assembles, filters and checks them.

// implements: trace/report, trace/gate

use std::collections::BTreeMap;

use oxigraph::model::Term;
use serde::{Deserialize, Serialize};

use crate::graph::Iris;
use crate::query;
use crate::store::{ReadStore, Rows, StoreError};

/// One piece of evidence for a link.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Link {
    pub path: String,
    pub line: Option<u32>,
    /// The symbol (for code and tests) or heading path (for docs).
    pub symbol: Option<String>,
    /// How the link was established: declared, trailer, inferred or mention.
    pub via: String,
    /// For inferred verification: how many calls from the test to the implementing code (null
    /// for declared links).
    pub distance: Option<u32>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ambiguous: bool,
}

/// Where a spec item is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecLocation {
    pub path: String,
    pub line: u32,
}

/// A tag written for an older version of its item than the spec's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaleTag {
    pub path: String,
    pub line: u32,
    pub written: u32,
    pub current: u32,
}

/// A quote of the item's spec that the spec no longer holds (duvet's `//#` lines).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaleQuote {
    pub path: String,
    pub line: u32,
    pub quote: String,
}

/// The commits that make an item stale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staleness {
    pub reworded_in: String,
    pub reworded_on: String,
    pub code_last_changed_in: String,
    pub code_last_changed_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceItem {
    pub id: String,
    pub feature: String,
    pub kind: String,
    pub text: String,
    pub spec: SpecLocation,
    pub implemented_by: Vec<Link>,
    pub verified_by: Vec<Link>,
    /// In JSON, a doc link names its `section` (heading path) rather than a symbol.
    #[serde(serialize_with = "doc_links", deserialize_with = "doc_links_back")]
    pub documented_by: Vec<Link>,
    pub stale: bool,
    /// The two commits, when stale; null otherwise.
    pub stale_evidence: Option<Staleness>,
    /// Tags written for another version of the item than its spec's (tracey's
    /// `r[impl link+1]` against `r[link+2]`, OpenFastTrace's `[impl->dsn~x~1]` against
    /// `dsn~x~2`): they make it stale too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stale_tags: Vec<StaleTag>,
    /// Quotes of its spec's text that the spec no longer holds: they make it stale too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stale_quotes: Vec<StaleQuote>,
    /// What covers the item in another way than implementing or verifying it (an
    /// OpenFastTrace design item, `Covers:`), with the artifact type in `via`'s place.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covered_by: Vec<Link>,
    /// For an item whose spec says which artifact types must cover it (OpenFastTrace's
    /// `Needs:`), those types, in the spec's order: `kg trace --check` holds it to them
    /// instead of `--require`. Absent for other items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs: Option<Vec<String>>,
    /// The artifact types whose tags or items cover the item at its current revision.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covered: Vec<String>,
    /// The types it needs that nothing covers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uncovered: Vec<String>,
    /// How the item counts as verified: `declared` (a marker or trailer in a test), `inferred`
    /// (a test calls its implementation within the distance that counts), or null. Counted
    /// for the distance asked, so not read back from the trace cache.
    #[serde(skip_deserializing)]
    pub verification: Option<&'static str>,
}

fn doc_links<S: serde::Serializer>(links: &[Link], serializer: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct DocLink<'a> {
        path: &'a str,
        line: Option<u32>,
        section: Option<&'a str>,
        via: &'a str,
    }
    serializer.collect_seq(links.iter().map(|l| DocLink {
        path: &l.path,
        line: l.line,
        section: l.symbol.as_deref(),
        via: &l.via,
    }))
}

/// Doc links as [`doc_links`] writes them. No doc link has a distance or is ambiguous.
fn doc_links_back<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<Link>, D::Error> {
    #[derive(Deserialize)]
    struct DocLink {
        path: String,
        line: Option<u32>,
        section: Option<String>,
        via: String,
    }
    let links: Vec<DocLink> = Vec::deserialize(deserializer)?;
    Ok(links
        .into_iter()
        .map(|l| Link {
            path: l.path,
            line: l.line,
            symbol: l.section,
            via: l.via,
            distance: None,
            ambiguous: false,
        })
        .collect())
}

impl TraceItem {
    pub fn is_implemented(&self) -> bool {
        !self.implemented_by.is_empty()
    }

    pub fn is_verified(&self) -> bool {
        self.verification.is_some()
    }

    /// `declared` when a test links to the item itself, else `inferred` when a test calls its
    /// implementation within `inferred_distance` calls.
    fn verification_within(&self, inferred_distance: u32) -> Option<&'static str> {
        if self.verified_by.iter().any(|l| l.distance.is_none()) {
            Some("declared")
        } else if self
            .verified_by
            .iter()
            .any(|l| l.distance.is_some_and(|d| d <= inferred_distance))
        {
            Some("inferred")
        } else {
            None
        }
    }

    /// Documented by a marker; a mention alone is weaker evidence and does not count.
    pub fn is_documented(&self) -> bool {
        self.documented_by.iter().any(|l| l.via != "mention")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosticRow {
    pub severity: String,
    pub path: String,
    pub line: Option<u32>,
    pub message: String,
    /// Whether it is a dangling reference (`kg trace --check` fails on those). Not in the
    /// report's JSON; the trace cache keeps it apart.
    #[serde(skip)]
    pub dangling: bool,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceReport {
    pub items: Vec<TraceItem>,
    pub coverage: Coverage,
    pub diagnostics: Vec<DiagnosticRow>,
}

/// The counts of a group of items. Verified items are counted as a whole and split into those
/// a test links to itself (declared) and those only inferred through calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub items: usize,
    pub implemented: usize,
    pub verified: usize,
    pub verified_declared: usize,
    pub verified_inferred: usize,
    pub documented: usize,
    pub stale: usize,
    /// The most calls from a test to an item's implementation that count as verification.
    pub inferred_distance: u32,
}

impl Coverage {
    pub fn of<'a>(items: impl IntoIterator<Item = &'a TraceItem>, inferred_distance: u32) -> Self {
        let mut c = Coverage {
            items: 0,
            implemented: 0,
            verified: 0,
            verified_declared: 0,
            verified_inferred: 0,
            documented: 0,
            stale: 0,
            inferred_distance,
        };
        for item in items {
            c.items += 1;
            c.implemented += usize::from(item.is_implemented());
            c.verified += usize::from(item.is_verified());
            c.verified_declared += usize::from(item.verification == Some("declared"));
            c.verified_inferred += usize::from(item.verification == Some("inferred"));
            c.documented += usize::from(item.is_documented());
            c.stale += usize::from(item.stale);
        }
        c
    }
}

/// How many calls from a test to an item's implementation count as verifying it, unless
/// `kg.toml` or `--inferred-distance` say otherwise: a test that calls the implementing code
/// itself. Longer chains are listed as evidence but do not count.
pub const DEFAULT_INFERRED_DISTANCE: u32 = 1;

use crate::store::cell as text;

fn number(term: &Option<Term>) -> Option<u32> {
    text(term).and_then(|t| t.parse().ok())
}

// implements: trace/sparql
/// The rows of the shipped query `name`, unordered: the trace orders what it builds itself.
fn named(store: &ReadStore, name: &str) -> Result<Rows, StoreError> {
    let query = query::find(name)
        .ok_or_else(|| StoreError::Query(format!("the shipped query {name} is missing")))?;
    store.select_unordered(query.text, &format!("queries/{name}.rq"))
}

const DIAGNOSTICS: &str = "SELECT ?severity ?path ?line ?message ?code WHERE {
  ?d a kg:Diagnostic ; kg:severity ?severity ; kg:message ?message ; kg:inFile/kg:path ?path .
  OPTIONAL { ?d kg:line ?line } OPTIONAL { ?d kg:code ?code }
}";

// implements: trace/stale, trace/NFR-performance-1
/// Builds the report for the items selected by `filters` (feature names or item ids; all when
/// empty). Inferred verification counts up to `inferred_distance` calls. What the store holds is
/// read once per index state and kept beside the store ([`TraceCache`]): a trace of an unchanged
/// index reads no quads.
pub fn build(
    store: &ReadStore,
    iris: &Iris,
    filters: &[String],
    inferred_distance: u32,
) -> Result<TraceReport, StoreError> {
    Ok(TraceCache::of(store, iris)?.select(filters, inferred_distance))
}

/// Reads what a trace of `store` needs and keeps it beside the store, so that the first
/// `kg trace` after a full build reads no quads either.
pub fn warm(store: &ReadStore, iris: &Iris) -> Result<(), StoreError> {
    TraceCache::of(store, iris).map(drop)
}

/// Every item with all its evidence (inferred at every distance), and the diagnostics: what
/// the store says, before selecting and counting. Kept in the store's directory as JSON, under
/// the index state it was read from (commit, index format, kg version and store), so that it is
/// never read for another.
#[derive(Serialize, Deserialize)]
struct TraceCache {
    key: String,
    items: Vec<TraceItem>,
    diagnostics: Vec<DiagnosticRow>,
    /// Which diagnostics are dangling references.
    dangling: Vec<bool>,
}

/// The trace cache's file in a store's directory.
const CACHE_FILE: &str = "kg-trace.json";

impl TraceCache {
    /// The cache of `store`'s state: the one saved for it, else read from the store and saved.
    fn of(store: &ReadStore, iris: &Iris) -> Result<TraceCache, StoreError> {
        let key = Self::key(store);
        if let Some(cache) = key.as_deref().and_then(|key| Self::read(store, key)) {
            return Ok(cache);
        }
        let mut cache = assemble(store, iris)?;
        if let Some(key) = key {
            cache.save(store, key);
        }
        Ok(cache)
    }

    /// The key of the index state `store` holds.
    fn key(store: &ReadStore) -> Option<String> {
        let state = store.state().ok()??;
        Some(format!(
            "{} {} {} {}",
            state.commit,
            state.format,
            state.tool_version,
            store.path().display()
        ))
    }

    /// The cache saved under `key`, if there is one.
    fn read(store: &ReadStore, key: &str) -> Option<TraceCache> {
        let bytes = std::fs::read(store.path().join(CACHE_FILE)).ok()?;
        let mut cache: TraceCache = serde_json::from_slice(&bytes).ok()?;
        if cache.key != key || cache.dangling.len() != cache.diagnostics.len() {
            return None;
        }
        for (d, dangling) in cache.diagnostics.iter_mut().zip(&cache.dangling) {
            d.dangling = *dangling;
        }
        Some(cache)
    }

    /// Saves the cache under `key`, by rename so that no reader sees half of it. A cache that
    /// cannot be written only costs the next trace its reading.
    fn save(&mut self, store: &ReadStore, key: String) {
        self.key = key;
        self.dangling = self.diagnostics.iter().map(|d| d.dangling).collect();
        let path = store.path().join(CACHE_FILE);
        let temporary = path.with_extension(format!("{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut out = std::io::BufWriter::new(std::fs::File::create(&temporary)?);
            serde_json::to_writer(&mut out, self)?;
            std::io::Write::flush(&mut out)?;
            std::fs::rename(&temporary, &path)
        };
        if write().is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
    }

    /// The report for the items `filters` selects, verification counted up to
    /// `inferred_distance` calls.
    fn select(self, filters: &[String], inferred_distance: u32) -> TraceReport {
        let selected = |item: &TraceItem| {
            filters.is_empty() || filters.iter().any(|f| *f == item.id || *f == item.feature)
        };
        let mut items: Vec<TraceItem> = self.items.into_iter().filter(selected).collect();
        for item in &mut items {
            item.verification = item.verification_within(inferred_distance);
        }
        TraceReport {
            coverage: Coverage::of(&items, inferred_distance),
            items,
            diagnostics: self.diagnostics,
        }
    }
}

/// Reads every item, its evidence and the diagnostics from the store.
fn assemble(store: &ReadStore, iris: &Iris) -> Result<TraceCache, StoreError> {
    // The three queries are independent: run them side by side (each is one thread's work).
    let (item_rows, links, diagnostic_rows) = std::thread::scope(|scope| {
        // The written links, then the tests that reach their code through calls.
        let links = scope.spawn(|| {
            let rows = named(store, "trace-links")?;
            let implemented: Vec<(String, String)> = rows
                .iter()
                .filter(|row| text(&row[1]).as_deref() == Some("implemented"))
                .filter_map(|row| Some((text(&row[0])?, text(&row[3])?)))
                .collect();
            let inferred = inferred_links(store, &implemented)?;
            Ok::<_, StoreError>((rows, inferred))
        });
        let diagnostics = scope.spawn(|| {
            let rows = store.select(DIAGNOSTICS, "kg's diagnostics query")?;
            let needs = named(store, "needs")?;
            let quotes = named(store, "stale-quotes")?;
            Ok::<_, StoreError>((rows, named(store, "stale-tags")?, needs, quotes))
        });
        let items = named(store, "trace-items");
        (items, join(links), join(diagnostics))
    });
    let (diagnostic_rows, stale_tag_rows, needs_rows, quote_rows) = diagnostic_rows?;
    let (link_rows, inferred): (Rows, Vec<Inferred>) = links?;
    let mut items: BTreeMap<String, TraceItem> = BTreeMap::new();
    for row in item_rows? {
        let (Some(id), Some(feature)) = (text(&row[0]), text(&row[1])) else {
            continue;
        };
        let stale = text(&row[10]).as_deref() == Some("true");
        let stale_evidence = stale.then(|| Staleness {
            reworded_in: text(&row[6]).unwrap_or_default(),
            reworded_on: text(&row[7]).unwrap_or_default(),
            code_last_changed_in: text(&row[8]).unwrap_or_default(),
            code_last_changed_on: text(&row[9]).unwrap_or_default(),
        });
        items.entry(id.clone()).or_insert(TraceItem {
            id,
            feature,
            kind: text(&row[2]).unwrap_or_default(),
            text: text(&row[3]).unwrap_or_default(),
            spec: SpecLocation {
                path: text(&row[4]).unwrap_or_default(),
                line: number(&row[5]).unwrap_or(0),
            },
            implemented_by: Vec::new(),
            verified_by: Vec::new(),
            documented_by: Vec::new(),
            stale,
            stale_evidence,
            stale_tags: Vec::new(),
            stale_quotes: Vec::new(),
            covered_by: Vec::new(),
            needs: None,
            covered: Vec::new(),
            uncovered: Vec::new(),
            verification: None,
        });
    }
    for row in quote_rows {
        let Some(item) = text(&row[0]).and_then(|id| items.get_mut(&id)) else {
            continue;
        };
        let location = text(&row[2]).unwrap_or_default();
        let (path, line) = location.rsplit_once(':').unwrap_or((&location, "0"));
        item.stale = true;
        item.stale_quotes.push(StaleQuote {
            path: path.to_owned(),
            line: line.parse().unwrap_or(0),
            quote: text(&row[1]).unwrap_or_default(),
        });
    }
    for row in needs_rows {
        let Some(item) = text(&row[0]).and_then(|id| items.get_mut(&id)) else {
            continue;
        };
        item.needs.get_or_insert_with(|| {
            text(&row[1])
                .unwrap_or_default()
                .split(',')
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect()
        });
        if let Some(artifact) = text(&row[2])
            && !item.covered.contains(&artifact)
        {
            item.covered.push(artifact);
        }
    }
    for item in items.values_mut() {
        item.covered.sort();
        if let Some(needs) = &item.needs {
            item.uncovered = needs
                .iter()
                .filter(|t| !item.covered.contains(t))
                .cloned()
                .collect();
        }
    }
    for row in stale_tag_rows {
        let Some(item) = text(&row[0]).and_then(|id| items.get_mut(&id)) else {
            continue;
        };
        let location = text(&row[3]).unwrap_or_default();
        let (path, line) = location.rsplit_once(':').unwrap_or((&location, "0"));
        item.stale = true;
        item.stale_tags.push(StaleTag {
            path: path.to_owned(),
            line: line.parse().unwrap_or(0),
            written: number(&row[1]).unwrap_or(0),
            current: number(&row[2]).unwrap_or(0),
        });
    }
    for row in link_rows {
        let Some(item) = text(&row[0]).and_then(|id| items.get_mut(&id)) else {
            continue;
        };
        let Some(x) = text(&row[3]) else { continue };
        let Some((path, symbol)) = iris.located(&x) else {
            continue;
        };
        let link = Link {
            path,
            line: number(&row[4]),
            symbol,
            via: text(&row[2]).unwrap_or_default(),
            distance: number(&row[5]).filter(|d| *d > 0),
            ambiguous: text(&row[6]).as_deref() == Some("true"),
        };
        match text(&row[1]).as_deref() {
            Some("implemented") => item.implemented_by.push(link),
            Some("verified") => item.verified_by.push(link),
            Some("documented") => item.documented_by.push(link),
            Some("covered") => item.covered_by.push(link),
            _ => {}
        }
    }
    for (id, x, line, distance, ambiguous) in inferred {
        let (Some(item), Some((path, symbol))) = (items.get_mut(&id), iris.located(&x)) else {
            continue;
        };
        item.verified_by.push(Link {
            path,
            line: Some(line),
            symbol,
            via: "inferred".to_owned(),
            distance: Some(distance),
            ambiguous,
        });
    }
    for item in items.values_mut() {
        item.stale_tags
            .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        item.stale_quotes
            .sort_by(|a, b| (&a.path, a.line, &a.quote).cmp(&(&b.path, b.line, &b.quote)));
        for links in [
            &mut item.implemented_by,
            &mut item.verified_by,
            &mut item.documented_by,
            &mut item.covered_by,
        ] {
            deduplicate(links);
        }
    }
    let mut diagnostics: Vec<DiagnosticRow> = diagnostic_rows
        .iter()
        .map(|row| DiagnosticRow {
            severity: text(&row[0]).unwrap_or_default(),
            path: text(&row[1]).unwrap_or_default(),
            line: number(&row[2]),
            message: text(&row[3]).unwrap_or_default(),
            dangling: text(&row[4]).as_deref() == Some("dangling-reference"),
        })
        .collect();
    diagnostics.sort_by(|a, b| (&a.path, a.line, &a.message).cmp(&(&b.path, b.line, &b.message)));
    Ok(TraceCache {
        key: String::new(),
        items: items.into_values().collect(),
        diagnostics,
        dangling: Vec::new(),
    })
}

/// Above this many nodes to look up callers for, [`inferred_links`] reads every call at once.
const LOOKUPS_AT_MOST: usize = 1_000;

/// The callers of `callees` (IRIs; every call when `None`), each with the callee and whether
/// the call is ambiguous (the name resolved to several definitions).
pub fn callers_of(
    store: &ReadStore,
    callees: Option<&[&str]>,
) -> Result<Vec<(String, String, bool)>, StoreError> {
    let values = match callees {
        Some([]) => return Ok(Vec::new()),
        Some(callees) => format!("VALUES ?callee {{ {} }}", query::iri_values(callees)),
        None => String::new(),
    };
    let rows = store.select(
        &format!(
            "SELECT DISTINCT ?caller ?callee ?ambiguous WHERE {{
               {values}
               {{ ?caller kg:calls ?callee }}
               UNION {{ ?caller kg:callsAmbiguous ?callee BIND(true AS ?ambiguous) }}
             }}"
        ),
        "callers",
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let ambiguous = text(&row[2]).as_deref() == Some("true");
            Some((text(&row[0])?, text(&row[1])?, ambiguous))
        })
        .collect())
}

/// The results of a thread, its panic passed on.
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// A test inferred to verify an item: the item, the test, its first line, the number of calls
/// from the test to the item's code, and whether that path starts with an ambiguous call.
type Inferred = (String, String, u32, u32, bool);

/// Tests that call code implementing an item, directly or through up to
/// `link::calls::MAX_CALL_CHAIN` calls: (item, test, its first line, distance, ambiguous).
/// The call graph is followed back from the implementing code, one lookup per call level, so
/// the cost follows the links rather than the repository's calls. A test is ambiguous when its
/// only shortest path starts with a call whose name resolved to several definitions.
fn inferred_links(
    store: &ReadStore,
    implemented: &[(String, String)],
) -> Result<Vec<Inferred>, StoreError> {
    use std::collections::{BTreeSet, HashMap, VecDeque};
    let max = crate::link::calls::MAX_CALL_CHAIN;
    // Callers by callee, for every node within `max` calls of some implementation.
    let mut callers: HashMap<String, Vec<(String, bool)>> = HashMap::new();
    let mut seen: BTreeSet<String> = implemented.iter().map(|(_, c)| c.clone()).collect();
    let mut frontier: Vec<String> = seen.iter().cloned().collect();
    for _ in 0..max {
        if frontier.is_empty() {
            break;
        }
        if frontier.len() > LOOKUPS_AT_MOST {
            // Past this many nodes one scan of every call costs less than a lookup per node.
            callers.clear();
            for (caller, callee, ambiguous) in callers_of(store, None)? {
                callers.entry(callee).or_default().push((caller, ambiguous));
            }
            break;
        }
        let list: Vec<&str> = frontier.iter().map(String::as_str).collect();
        let mut next = Vec::new();
        for (caller, callee, ambiguous) in callers_of(store, Some(&list))? {
            callers
                .entry(callee)
                .or_default()
                .push((caller.clone(), ambiguous));
            if seen.insert(caller.clone()) {
                next.push(caller);
            }
        }
        frontier = next;
    }
    // From each implementation, the shortest distance to every caller within reach.
    let mut reached: Vec<(String, String, u32, bool)> = Vec::new();
    for (item, code) in implemented {
        let mut best: HashMap<&str, (u32, bool)> = HashMap::new();
        let mut queue = VecDeque::from([(code.as_str(), 0u32)]);
        while let Some((node, depth)) = queue.pop_front() {
            if depth == max {
                continue;
            }
            for (caller, ambiguous) in callers.get(node).into_iter().flatten() {
                let ambiguous = depth == 0 && *ambiguous;
                match best.get_mut(caller.as_str()) {
                    None => {
                        best.insert(caller, (depth + 1, ambiguous));
                        queue.push_back((caller, depth + 1));
                    }
                    Some(found) if found.0 == depth + 1 => found.1 &= ambiguous,
                    Some(_) => {}
                }
            }
        }
        reached.extend(
            best.into_iter()
                .map(|(x, (d, a))| (item.clone(), x.to_owned(), d, a)),
        );
    }
    let nodes: BTreeSet<&str> = reached.iter().map(|(_, x, _, _)| x.as_str()).collect();
    let mut tests: HashMap<String, u32> = HashMap::new();
    if !nodes.is_empty() {
        // Looked up node by node, or for many nodes read whole and joined by hash.
        let query = if nodes.len() > LOOKUPS_AT_MOST {
            "SELECT ?x ?line WHERE {
               { SELECT ?x WHERE { ?x a kg:Test } }
               { SELECT ?x ?line WHERE { ?x kg:startLine ?line } }
             }"
            .to_owned()
        } else {
            let list: Vec<&str> = nodes.into_iter().collect();
            format!(
                "SELECT ?x ?line WHERE {{ VALUES ?x {{ {} }} ?x a kg:Test ; kg:startLine ?line }}",
                query::iri_values(&list)
            )
        };
        let rows = store.select(&query, "tests among callers")?;
        for row in rows {
            if let (Some(x), Some(line)) = (text(&row[0]), number(&row[1])) {
                tests.insert(x, line);
            }
        }
    }
    Ok(reached
        .into_iter()
        .filter_map(|(item, x, d, a)| {
            let line = *tests.get(&x)?;
            Some((item, x, line, d, a))
        })
        .collect())
}

/// One link per place: a declared link wins over a trailer's, a trailer's over a ticked task's,
/// that over a message's, those over an inferred one, and the shortest
/// inferred distance over longer ones.
fn deduplicate(links: &mut Vec<Link>) {
    let rank = |l: &Link| match l.via.as_str() {
        "declared" => 0,
        "trailer" => 1,
        "task" => 2,
        "message" => 3,
        "inferred" => 4,
        _ => 5,
    };
    links.sort_by(|a, b| {
        (&a.path, a.line, &a.symbol, rank(a), a.distance).cmp(&(
            &b.path,
            b.line,
            &b.symbol,
            rank(b),
            b.distance,
        ))
    });
    links.dedup_by(|later, first| {
        later.path == first.path && later.line == first.line && later.symbol == first.symbol
    });
    // A file's link at no line beside its links at their lines (its tags) says nothing more.
    let lined: std::collections::HashSet<String> = links
        .iter()
        .filter(|l| l.line.is_some() && l.symbol.is_none())
        .map(|l| l.path.clone())
        .collect();
    links.retain(|l| l.line.is_some() || l.symbol.is_some() || !lined.contains(&l.path));
    links.sort_by(|a, b| {
        (rank(a), a.distance, &a.path, a.line).cmp(&(rank(b), b.distance, &b.path, b.line))
    });
}

/// What `kg trace --check` requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub implemented: bool,
    pub verified: bool,
    pub documented: bool,
    pub fail_on_stale: bool,
    pub fail_on_dangling: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            implemented: true,
            verified: false,
            documented: false,
            fail_on_stale: false,
            fail_on_dangling: true,
        }
    }
}

/// A policy failure, with where to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub path: String,
    pub line: Option<u32>,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: error: {}", self.path, self.message),
            None => write!(f, "{}: error: {}", self.path, self.message),
        }
    }
}

/// Checks the report against the policy.
pub fn check(report: &TraceReport, policy: &Policy) -> Vec<Failure> {
    let mut failures = Vec::new();
    for item in &report.items {
        // An item that says what it needs is held to that.
        if item.needs.is_some() {
            if !item.uncovered.is_empty() {
                failures.push(Failure {
                    path: item.spec.path.clone(),
                    line: Some(item.spec.line),
                    message: format!(
                        "{} is not covered by {} (its spec needs {})",
                        item.id,
                        item.uncovered.join(", nor "),
                        item.needs.as_deref().unwrap_or_default().join(", ")
                    ),
                });
            }
        } else if let Some(failure) = required(item, policy) {
            failures.push(failure);
        }
        stale_failures(item, policy, &mut failures);
    }
    if policy.fail_on_dangling {
        for diagnostic in report.diagnostics.iter().filter(|d| d.dangling) {
            failures.push(Failure {
                path: diagnostic.path.clone(),
                line: diagnostic.line,
                message: diagnostic.message.clone(),
            });
        }
    }
    failures
}

/// What `item` lacks of what the policy requires, as a failure.
fn required(item: &TraceItem, policy: &Policy) -> Option<Failure> {
    let mut missing = Vec::new();
    if policy.implemented && !item.is_implemented() {
        missing.push("implemented");
    }
    if policy.verified && !item.is_verified() {
        missing.push("verified");
    }
    if policy.documented && !item.is_documented() {
        missing.push("documented");
    }
    (!missing.is_empty()).then(|| Failure {
        path: item.spec.path.clone(),
        line: Some(item.spec.line),
        message: format!("{} is not {}", item.id, missing.join(", nor ")),
    })
}

/// The failures of a stale item, when the policy fails on them.
fn stale_failures(item: &TraceItem, policy: &Policy, failures: &mut Vec<Failure>) {
    if let (true, Some(evidence)) = (policy.fail_on_stale, &item.stale_evidence) {
        failures.push(Failure {
            path: item.spec.path.clone(),
            line: Some(item.spec.line),
            message: format!(
                "{} is stale: reworded in {} ({}) after the last change to its code and tests in {} ({})",
                item.id,
                short(&evidence.reworded_in),
                evidence.reworded_on,
                short(&evidence.code_last_changed_in),
                evidence.code_last_changed_on
            ),
        });
    }
    if policy.fail_on_stale {
        for tag in &item.stale_tags {
            failures.push(Failure {
                path: tag.path.clone(),
                line: Some(tag.line),
                message: stale_tag_message(&item.id, tag),
            });
        }
        for quote in &item.stale_quotes {
            failures.push(Failure {
                path: quote.path.clone(),
                line: Some(quote.line),
                message: stale_quote_message(&item.id),
            });
        }
    }
}

/// What a stale tag says, as the text report and the gate write it.
pub fn stale_tag_message(item: &str, tag: &StaleTag) -> String {
    format!(
        "the tag for {item} was written for version {}; the requirement is at version {}",
        tag.written, tag.current
    )
}

/// What a stale quote says, as the text report and the gate write it.
pub fn stale_quote_message(item: &str) -> String {
    format!("the quote of {item} is no longer in its section of the spec")
}

pub fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}
