//! The impact of a change: from changed lines to the definitions and sections they touch, and on
//! to the spec items, tests and docs those reach, each with the chain of links that selected it.
//!
//! Both sides of every changed file are parsed on the fly (the facts are the index's own, so the
//! names match the graph), links written in either side count, and the graph at HEAD supplies
//! the rest: trailer links, callers, the tests and docs of an item.

// implements: impact/symbols, impact/items, impact/tests, impact/docs, impact/spec-changes
// implements: impact/untraced, impact/why

use std::collections::{BTreeMap, BTreeSet, HashMap};

use oxigraph::model::Term;
use serde::Serialize;

use gix::ObjectId;

use crate::config::{Config, FileRules};
use crate::facts::{Anchor, DefKind, FileFacts, FileKind, Relation};
use crate::git::diff::{FileDiff, Patch};
use crate::git::{GitError, Repo};
use crate::graph::{Iris, section_keys};
use crate::link::history::diff_items;
use crate::parse::{CodeQueries, FileParser};
use crate::query::{iri_values, literal};
use crate::store::{ReadStore, StoreError, cell};
use crate::trace::DiagnosticRow;

/// How many calls kg follows from a changed definition to its callers.
pub const MAX_DISTANCE: u32 = 3;

/// A definition, doc section or file the change touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedSymbol {
    pub path: String,
    pub line: u32,
    /// The definition's qualified name or the section's heading path; null for a change outside
    /// any definition.
    pub symbol: Option<String>,
    /// `function`, `method`, `struct`, ..., `section`, or `file`.
    pub kind: String,
    /// `added`, `modified` or `removed`.
    pub change: String,
    /// The changed lines as ranges (`45-47, 50`), on the new side (the old one for a removal).
    pub lines: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImpactItem {
    pub id: String,
    /// 0 when a changed definition (or one enclosing it, or its file) links to the item; the
    /// number of calls otherwise.
    pub distance: u32,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImpactTest {
    pub path: String,
    pub line: Option<u32>,
    pub symbol: Option<String>,
    /// 0 for a test the change touches; calls from the test to a changed definition; or one
    /// more than the distance of the item the test verifies.
    pub distance: u32,
    pub why: String,
    /// The name a test runner's filter takes (`tests::rejects_large_file`, `upload rejects
    /// large files`).
    #[serde(skip)]
    pub filter: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImpactDoc {
    pub path: String,
    pub line: Option<u32>,
    pub section: Option<String>,
    pub why: String,
}

/// Something that links to a changed spec item and should be reviewed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ReviewLink {
    /// `implements`, `verifies`, `documents` or `mentions`.
    pub relation: String,
    pub path: String,
    pub line: Option<u32>,
    pub symbol: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecChange {
    pub id: String,
    /// `added`, `reworded`, `renumbered` or `removed`.
    pub change: String,
    pub previous_id: Option<String>,
    pub text: Option<String>,
    pub previous_text: Option<String>,
    pub path: String,
    /// What links to the item (by its id before the change) and may now be wrong.
    pub review: Vec<ReviewLink>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Untraced {
    pub path: String,
    pub line: u32,
    pub symbol: String,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImpactReport {
    pub changed_symbols: Vec<ChangedSymbol>,
    pub items: Vec<ImpactItem>,
    pub tests: Vec<ImpactTest>,
    pub docs: Vec<ImpactDoc>,
    pub spec_changes: Vec<SpecChange>,
    pub untraced: Vec<Untraced>,
    pub diagnostics: Vec<DiagnosticRow>,
    /// Changed files kg does not read (outside the specs, code and docs kg.toml selects).
    #[serde(skip)]
    pub unselected: usize,
}

impl ImpactReport {
    /// One line for the top of a pull-request comment.
    pub fn summary(&self) -> String {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        format!(
            "{} changed: {} affected, {} to run, {} to review, {}, {}",
            plural(self.changed_symbols.len(), "symbol", "symbols"),
            plural(self.items.len(), "item", "items"),
            plural(self.tests.len(), "test", "tests"),
            plural(self.docs.len(), "doc section", "doc sections"),
            plural(self.spec_changes.len(), "spec change", "spec changes"),
            plural(
                self.untraced.len(),
                "untraced definition",
                "untraced definitions"
            ),
        )
    }
}

/// A node of the graph as the report shows it.
#[derive(Debug, Clone, Default)]
struct Node {
    path: String,
    line: Option<u32>,
    /// Qualified name or heading path.
    name: Option<String>,
    /// `function`, `section`, `file`, ...
    kind: String,
    is_test: bool,
    language: Option<String>,
}

impl Node {
    /// `src/upload.rs:42 fn check_size`.
    fn label(&self) -> String {
        let place = match self.line {
            Some(line) => format!("{}:{line}", self.path),
            None => self.path.clone(),
        };
        match &self.name {
            Some(name) => format!("{place} {} {name}", short_kind(&self.kind, self.is_test)),
            None => place,
        }
    }

    /// The name a test runner's filter takes.
    fn filter(&self) -> String {
        let name = self.name.clone().unwrap_or_else(|| self.path.clone());
        match self.language.as_deref() {
            Some("rust") | None => name,
            Some(_) => name.replace(" > ", " "),
        }
    }
}

fn short_kind(kind: &str, is_test: bool) -> &str {
    match kind {
        _ if is_test => "test",
        "function" => "fn",
        other => other,
    }
}

/// A definition or section the change touched, with what encloses it.
#[derive(Debug, Clone)]
struct Touched {
    iri: String,
    node: Node,
    change: &'static str,
    lines: Vec<u32>,
    /// Enclosing definitions or sections, innermost first, then the file.
    enclosing: Vec<(String, Node)>,
    /// The bare name, for callers found by name and docs that name it.
    bare_name: Option<String>,
    /// Doc sections are reported but reach items only through their own links.
    is_doc: bool,
    /// Not in the indexed tree: only links and callers by name can be found for it.
    removed: bool,
}

impl Touched {
    /// `src/upload.rs:42 fn check_size (lines 45-47 changed)`.
    fn head(&self) -> String {
        let what = match self.change {
            "removed" => "removed".to_owned(),
            "added" => "added".to_owned(),
            _ => format!("{} changed", plural_lines(&self.lines)),
        };
        format!("{} ({what})", self.node.label())
    }
}

fn plural_lines(lines: &[u32]) -> String {
    let ranges = ranges(lines);
    if lines.len() == 1 {
        format!("line {ranges}")
    } else {
        format!("lines {ranges}")
    }
}

/// `[45, 46, 47, 50]` as `45-47, 50`.
pub fn ranges(lines: &[u32]) -> String {
    let mut sorted: Vec<u32> = lines.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(", ")
}

/// A link from a node to an item.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ItemLink {
    item: String,
    /// `implements`, `verifies`, `documents`; with ` (trailer)` when a commit trailer made it.
    verb: String,
    relation: Relation,
}

fn verb(relation: Relation) -> &'static str {
    match relation {
        Relation::Implements => "implements",
        Relation::Verifies => "verifies",
        Relation::Documents => "documents",
    }
}

/// The doc files of the index with their text, for finding the docs that name what changed.
pub fn doc_texts(store: &ReadStore, repo: &Repo) -> Result<Vec<(String, String)>, ChangeError> {
    let rows = store.select(
        "SELECT ?path ?blob WHERE { ?file a kg:DocFile ; kg:path ?path ; kg:blob ?blob } ORDER BY ?path",
        "impact docs",
    )?;
    let reader = repo.blob_reader();
    let mut docs = Vec::new();
    for row in rows {
        let (Some(path), Some(blob)) = (cell(&row[0]), cell(&row[1])) else {
            continue;
        };
        let Ok(id) = ObjectId::from_hex(blob.as_bytes()) else {
            continue;
        };
        let text = String::from_utf8_lossy(&reader.read(id)?).into_owned();
        docs.push((path, text));
    }
    Ok(docs)
}

/// Where a change comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// `BASE..HEAD` (the trees of both), `BASE...HEAD` (from their merge base), or one commit
    /// (against its first parent).
    Range(String),
    /// A unified diff, parsed (so that a malformed one is an error before any indexing).
    Patch(Patch),
    /// Uncommitted changes: the work tree (and index) against HEAD.
    WorkTree,
    /// Staged changes: the index against HEAD.
    Staged,
}

/// Why a change cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads the change as file diffs, with diagnostics for what did not map cleanly. `head` is the
/// indexed commit, the old side of a diff or of uncommitted changes. Only files `rules` selects
/// have their contents read.
// implements: impact/inputs
pub fn read_changes(
    repo: &Repo,
    head: ObjectId,
    rules: &FileRules,
    source: &Source,
) -> Result<(Vec<FileDiff>, Vec<DiagnosticRow>), ChangeError> {
    let reader = repo.blob_reader();
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    let mut diagnostics = Vec::new();
    let mut files = Vec::new();
    let unselected = |path: &str| FileDiff {
        old_path: Some(path.to_owned()),
        new_path: Some(path.to_owned()),
        ..FileDiff::default()
    };
    match source {
        Source::Range(range) => {
            let (old, new) = resolve_range(repo, range)?;
            if new != head {
                diagnostics.push(DiagnosticRow {
                    severity: "info".to_owned(),
                    path: String::new(),
                    line: None,
                    message: format!(
                        "the range ends at {}, not at the indexed HEAD {}: links and callers come from HEAD",
                        crate::trace::short(&new.to_string()),
                        crate::trace::short(&head.to_string())
                    ),
                    dangling: false,
                });
            }
            for change in repo.diff_commits(old, new)? {
                if rules.classify(&change.path).is_none() {
                    files.push(unselected(&change.path));
                    continue;
                }
                let old_text = change.before.map(|id| reader.read(id)).transpose()?;
                let new_text = change.after.map(|id| reader.read(id)).transpose()?;
                files.push(FileDiff::between(
                    change.before.map(|_| change.path.clone()),
                    change.after.map(|_| change.path.clone()),
                    old_text.map(text),
                    new_text.map(text),
                ));
            }
        }
        Source::Patch(patch) => {
            for file in &patch.files {
                let path = file
                    .new_path
                    .clone()
                    .or_else(|| file.old_path.clone())
                    .unwrap_or_default();
                if rules.classify(&path).is_none() {
                    files.push(unselected(&path));
                    continue;
                }
                if file.binary {
                    continue;
                }
                let old = match &file.old_path {
                    Some(old_path) => {
                        let found = reader.read_path(head, old_path)?.map(text);
                        if found.is_none() {
                            diagnostics.push(warning(
                                old_path,
                                "the diff changes this file, but the indexed commit does not have it; its changes are mapped to the file".to_owned(),
                            ));
                        }
                        found
                    }
                    None => None,
                };
                let known = old.is_some() || file.old_path.is_none();
                let (change, problem) = file.to_file_diff(old);
                if let (Some(problem), true) = (problem, known) {
                    diagnostics.push(warning(
                        &path,
                        format!(
                            "the diff does not apply to the indexed commit ({problem}); its changes are placed by their line numbers in the indexed version"
                        ),
                    ));
                }
                files.push(change);
            }
        }
        Source::WorkTree | Source::Staged => {
            let pending = if matches!(source, Source::Staged) {
                repo.staged_changes()?
            } else {
                repo.worktree_changes()?
            };
            for change in pending {
                if rules.classify(&change.path).is_none() {
                    files.push(unselected(&change.path));
                    continue;
                }
                let old_text = change.head.map(|id| reader.read(id)).transpose()?;
                let new_text = reader.read_pending(&change.now)?;
                files.push(FileDiff::between(
                    change.head.map(|_| change.path.clone()),
                    new_text.as_ref().map(|_| change.path.clone()),
                    old_text.map(text),
                    new_text.map(text),
                ));
            }
        }
    }
    Ok((files, diagnostics))
}

fn warning(path: &str, message: String) -> DiagnosticRow {
    DiagnosticRow {
        severity: "warning".to_owned(),
        path: path.to_owned(),
        line: None,
        message,
        dangling: false,
    }
}

/// The old and new commits of a range.
fn resolve_range(repo: &Repo, range: &str) -> Result<(Option<ObjectId>, ObjectId), GitError> {
    let side = |text: &str| repo.resolve_commit(if text.is_empty() { "HEAD" } else { text });
    if let Some((base, tip)) = range.split_once("...") {
        let (base, tip) = (side(base)?, side(tip)?);
        return Ok((Some(repo.merge_base(base, tip)?), tip));
    }
    if let Some((base, tip)) = range.split_once("..") {
        return Ok((Some(side(base)?), side(tip)?));
    }
    let commit = side(range)?;
    Ok((repo.first_parent(commit)?, commit))
}

/// Everything the analysis reads besides the change: the index and the configuration.
pub struct Context<'a> {
    pub store: &'a ReadStore,
    pub iris: &'a Iris,
    pub config: &'a Config,
    /// Doc files at HEAD with their text, searched for changed names and paths.
    pub docs: &'a [(String, String)],
}

/// Maps `changes` to the report. `diagnostics` are those of reading the change.
pub fn analyze(
    context: &Context<'_>,
    changes: &[FileDiff],
    diagnostics: Vec<DiagnosticRow>,
) -> Result<ImpactReport, StoreError> {
    let queries = CodeQueries::shared();
    let mut parser = FileParser::new(queries);
    let rules = &context.config.rules;
    let mut report = ImpactReport {
        changed_symbols: Vec::new(),
        items: Vec::new(),
        tests: Vec::new(),
        docs: Vec::new(),
        spec_changes: Vec::new(),
        untraced: Vec::new(),
        diagnostics,
        unselected: 0,
    };
    let mut touched: Vec<Touched> = Vec::new();
    // Links written in the changed files themselves, on either side.
    let mut written: BTreeMap<String, BTreeSet<ItemLink>> = BTreeMap::new();
    let mut changed_paths = Vec::new();
    for change in changes {
        let path = change.path();
        let Some(kind) = rules.classify(path) else {
            report.unselected += 1;
            continue;
        };
        changed_paths.push(path.to_owned());
        let is_test = rules.is_test_file(path);
        let mut parse = |path: Option<&String>, text: Option<&String>| -> Option<FileFacts> {
            let (path, text) = (path?, text?);
            let facts = FileFacts::new(path, kind, "", text.len() as u64);
            let mut facts = FileFacts {
                is_test_file: is_test,
                ..facts
            };
            facts = parser.parse(facts, text.as_bytes(), rules.max_file_size);
            Some(facts)
        };
        let old = parse(change.old_path.as_ref(), change.old_text.as_ref());
        let new = parse(change.new_path.as_ref(), change.new_text.as_ref());
        for facts in [&old, &new].into_iter().flatten() {
            collect_written(context.iris, facts, &mut written);
        }
        match kind {
            FileKind::Spec => {
                let old_features = old.as_ref().map_or(&[][..], |f| f.features.as_slice());
                let new_features = new.as_ref().map_or(&[][..], |f| f.features.as_slice());
                for item in diff_items(old_features, new_features) {
                    report.spec_changes.push(SpecChange {
                        id: item.id.clone(),
                        change: item.kind.as_str().to_owned(),
                        previous_id: item.previous_id.clone(),
                        text: item.text.clone(),
                        previous_text: item.previous_text.clone(),
                        path: path.to_owned(),
                        review: Vec::new(),
                    });
                }
            }
            FileKind::Code(_) | FileKind::Doc => {
                touched.extend(touched_in(context.iris, change, old.as_ref(), new.as_ref()));
            }
        }
    }

    let graph = Graph {
        store: context.store,
    };
    // Links of every touched node, what encloses it and its file: written ones and the index's.
    let mut linked: Vec<&str> = Vec::new();
    for t in &touched {
        linked.push(&t.iri);
        linked.extend(t.enclosing.iter().map(|(iri, _)| iri.as_str()));
    }
    let mut links = graph.links(&linked)?;
    for (node, set) in written {
        links.entry(node).or_default().extend(set);
    }

    // Callers of changed code, up to MAX_DISTANCE calls away.
    let code: Vec<&Touched> = touched.iter().filter(|t| !t.is_doc).collect();
    let callers = graph.callers(&code)?;
    let caller_nodes: Vec<&str> = callers.keys().map(String::as_str).collect();
    let caller_links = graph.links(&caller_nodes)?;

    let mut items: BTreeMap<String, ImpactItem> = BTreeMap::new();
    // Items reached through code that is not a test: their tests are worth running too.
    let mut through_code: BTreeSet<String> = BTreeSet::new();
    let mut tests: BTreeMap<String, ImpactTest> = BTreeMap::new();
    let offer = |map: &mut BTreeMap<String, ImpactItem>, item: ImpactItem| {
        let better = map
            .get(&item.id)
            .is_none_or(|old| (item.distance, &item.why) < (old.distance, &old.why));
        if better {
            map.insert(item.id.clone(), item);
        }
    };
    for t in &touched {
        let head = t.head();
        let mut reached = false;
        for link in links.get(&t.iri).into_iter().flatten() {
            reached = true;
            offer(
                &mut items,
                ImpactItem {
                    id: link.item.clone(),
                    distance: 0,
                    why: format!("{head} -> {} {}", link.verb, link.item),
                },
            );
            if !t.is_doc && !t.node.is_test && link.relation == Relation::Implements {
                through_code.insert(link.item.clone());
            }
        }
        for (iri, node) in &t.enclosing {
            for link in links.get(iri).into_iter().flatten() {
                reached = true;
                offer(
                    &mut items,
                    ImpactItem {
                        id: link.item.clone(),
                        distance: 0,
                        why: format!(
                            "{head} -> in {} -> {} {}",
                            node.label(),
                            link.verb,
                            link.item
                        ),
                    },
                );
                if !t.is_doc && !t.node.is_test && link.relation == Relation::Implements {
                    through_code.insert(link.item.clone());
                }
            }
        }
        if t.is_doc {
            continue;
        }
        if t.node.is_test && !t.removed {
            let why = format!("{head}: the test itself changed");
            offer_test(&mut tests, &t.iri, &t.node, 0, why);
        }
        // Through callers: items when the definition itself reaches none; tests always.
        let chains = callers_of(&t.iri, &callers);
        for chain in &chains {
            let Some((last, _)) = chain.last() else {
                continue;
            };
            let distance = chain.len() as u32;
            let path: String = chain
                .iter()
                .map(|(_, node)| format!(" -> called by {}", node.label()))
                .collect();
            let last_node = &callers[last.as_str()].node;
            if !reached {
                for link in caller_links.get(last.as_str()).into_iter().flatten() {
                    offer(
                        &mut items,
                        ImpactItem {
                            id: link.item.clone(),
                            distance,
                            why: format!("{head}{path} -> {} {}", link.verb, link.item),
                        },
                    );
                    if link.relation == Relation::Implements {
                        through_code.insert(link.item.clone());
                    }
                }
            }
            if last_node.is_test {
                offer_test(
                    &mut tests,
                    last,
                    last_node,
                    distance,
                    format!("{head}{path}"),
                );
            }
        }
        let reaches = reached
            || chains.iter().any(|chain| {
                chain
                    .last()
                    .is_some_and(|(last, _)| caller_links.contains_key(last.as_str()))
            });
        if !reaches && !t.removed && t.node.kind != "file" {
            report.untraced.push(Untraced {
                path: t.node.path.clone(),
                line: t.node.line.unwrap_or(0),
                symbol: t.node.name.clone().unwrap_or_default(),
            });
        }
    }

    // Criteria whose text the change rewords or removes are affected as they stand (a
    // renumbering is an addition plus moved ids, listed under spec changes to review).
    let mut respecified: Vec<String> = Vec::new();
    for change in &report.spec_changes {
        if matches!(change.change.as_str(), "reworded" | "removed") {
            respecified.push(change.id.clone());
            offer(
                &mut items,
                ImpactItem {
                    id: change.id.clone(),
                    distance: 0,
                    why: format!("{}: {} {}", change.path, change.id, change.change),
                },
            );
        }
    }
    // Their tests: the ones that call their implementation, within the call distance.
    let implementers = graph.linked_to(context.iris, &respecified, &["implements"])?;
    let starts: BTreeSet<String> = implementers
        .iter()
        .filter(|l| !l.node.is_test)
        .map(|l| l.iri.clone())
        .collect();
    let implementer_callers = graph.callers_from(starts, Vec::new())?;
    for linked in &implementers {
        let Some(reason) = items.get(&linked.item) else {
            continue;
        };
        for chain in callers_of(&linked.iri, &implementer_callers) {
            let Some((last, _)) = chain.last() else {
                continue;
            };
            let node = &implementer_callers[last.as_str()].node;
            if !node.is_test {
                continue;
            }
            let path: String = chain
                .iter()
                .map(|(_, node)| format!(" -> called by {}", node.label()))
                .collect();
            offer_test(
                &mut tests,
                last,
                node,
                reason.distance + 1 + chain.len() as u32,
                format!(
                    "{} -> implemented by {}{path}",
                    reason.why,
                    linked.node.label()
                ),
            );
        }
    }

    // Tests that verify an item the change reached through its implementation, or whose text
    // it changed.
    let verified: Vec<String> = through_code
        .iter()
        .chain(&respecified)
        .filter(|id| items.contains_key(*id))
        .cloned()
        .collect();
    for linked in graph.linked_to(context.iris, &verified, &["verifies"])? {
        let Some(reason) = items.get(&linked.item) else {
            continue;
        };
        let node = &linked.node;
        offer_test(
            &mut tests,
            &linked.iri,
            node,
            reason.distance + 1,
            format!("{} -> verified by {}", reason.why, node.label()),
        );
    }

    // Docs: sections that document an affected item, and sections that name what changed.
    let mut docs: BTreeMap<(String, Option<u32>, Option<String>), ImpactDoc> = BTreeMap::new();
    let ids: Vec<String> = items.keys().cloned().collect();
    for linked in graph.linked_to(context.iris, &ids, &["documents", "mentions"])? {
        let node = &linked.node;
        if changed_paths.contains(&node.path) {
            continue;
        }
        let Some(reason) = items.get(&linked.item) else {
            continue;
        };
        let key = (node.path.clone(), node.line, node.name.clone());
        docs.entry(key).or_insert_with(|| ImpactDoc {
            path: node.path.clone(),
            line: node.line,
            section: node.name.clone(),
            why: format!(
                "{} -> {} in {}",
                reason.why,
                if linked.relation == "mentions" {
                    "mentioned"
                } else {
                    "documented"
                },
                node.label()
            ),
        });
    }
    for hit in named_in_docs(&touched, &changed_paths, context) {
        let key = (hit.path.clone(), hit.line, hit.section.clone());
        docs.entry(key).or_insert(hit);
    }

    // What links to reworded, renumbered and removed items, by the id it was written against.
    let reviewed: Vec<String> = report
        .spec_changes
        .iter()
        .filter(|c| c.change != "added")
        .map(|c| c.previous_id.clone().unwrap_or_else(|| c.id.clone()))
        .collect();
    let mut review: BTreeMap<String, BTreeSet<ReviewLink>> = BTreeMap::new();
    for linked in graph.linked_to(
        context.iris,
        &reviewed,
        &["implements", "verifies", "documents", "mentions"],
    )? {
        let node = linked.node;
        review.entry(linked.item).or_default().insert(ReviewLink {
            relation: linked.relation,
            path: node.path.clone(),
            line: node.line,
            symbol: node.name.clone(),
        });
    }
    for change in &mut report.spec_changes {
        if change.change == "added" {
            continue;
        }
        let id = change.previous_id.as_ref().unwrap_or(&change.id);
        change.review = review.get(id).into_iter().flatten().cloned().collect();
    }

    report.changed_symbols = touched
        .iter()
        .map(|t| ChangedSymbol {
            path: t.node.path.clone(),
            line: t.node.line.unwrap_or(0),
            symbol: t.node.name.clone(),
            kind: if t.node.is_test {
                "test".to_owned()
            } else {
                t.node.kind.clone()
            },
            change: t.change.to_owned(),
            lines: ranges(&t.lines),
        })
        .collect();
    report.items = items.into_values().collect();
    report
        .items
        .sort_by(|a, b| (a.distance, &a.id).cmp(&(b.distance, &b.id)));
    report.tests = tests.into_values().collect();
    report.tests.sort_by(|a, b| {
        (a.distance, &a.path, a.line, &a.symbol).cmp(&(b.distance, &b.path, b.line, &b.symbol))
    });
    report.docs = docs.into_values().collect();
    report
        .untraced
        .sort_by(|a, b| (&a.path, a.line, &a.symbol).cmp(&(&b.path, b.line, &b.symbol)));
    report.untraced.dedup();
    report
        .diagnostics
        .sort_by(|a, b| (&a.path, a.line, &a.message).cmp(&(&b.path, b.line, &b.message)));
    Ok(report)
}

fn offer_test(
    tests: &mut BTreeMap<String, ImpactTest>,
    iri: &str,
    node: &Node,
    distance: u32,
    why: String,
) {
    let better = tests
        .get(iri)
        .is_none_or(|old| (distance, &why) < (old.distance, &old.why));
    if better {
        tests.insert(
            iri.to_owned(),
            ImpactTest {
                path: node.path.clone(),
                line: node.line,
                symbol: node.name.clone(),
                distance,
                why,
                filter: node.filter(),
            },
        );
    }
}

/// The links written in a file's own text, by the IRI of the node they are anchored to.
fn collect_written(iris: &Iris, facts: &FileFacts, out: &mut BTreeMap<String, BTreeSet<ItemLink>>) {
    let language = match facts.kind {
        FileKind::Code(language) => language.tag(),
        _ => "",
    };
    let keys = section_keys(&facts.sections);
    for reference in &facts.references {
        let node = match reference.anchor {
            Anchor::File => iris.file(&facts.path),
            Anchor::Definition(i) => {
                iris.symbol(language, &facts.path, &facts.definitions[i].qualified_name)
            }
            Anchor::Section(i) => iris.section(&facts.path, &keys[i]),
        };
        out.entry(node.as_str().to_owned())
            .or_default()
            .insert(ItemLink {
                item: reference.target.clone(),
                verb: verb(reference.relation).to_owned(),
                relation: reference.relation,
            });
    }
}

/// A definition or section of one side of a file, by key (qualified name or heading key).
struct Unit {
    key: String,
    node: Node,
    /// Indexes of enclosing units, innermost first.
    ancestors: Vec<usize>,
    start: u32,
    end: u32,
    name: String,
}

/// The units of one side of a file. `text` is that side's text: a definition's unit starts at
/// the comments and attributes right above it (doc comments, markers, `#[test]`, decorators).
fn units(facts: &FileFacts, text: &str) -> Vec<Unit> {
    let language = match facts.kind {
        FileKind::Code(language) => Some(language.tag().to_owned()),
        _ => None,
    };
    let ancestors = |mut parent: Option<usize>, parent_of: &dyn Fn(usize) -> Option<usize>| {
        let mut chain = Vec::new();
        while let Some(p) = parent {
            chain.push(p);
            parent = parent_of(p);
        }
        chain
    };
    if facts.kind == FileKind::Doc {
        let keys = section_keys(&facts.sections);
        return facts
            .sections
            .iter()
            .zip(keys)
            .map(|(s, key)| Unit {
                node: Node {
                    path: facts.path.clone(),
                    line: Some(s.start_line),
                    name: Some(s.heading_path.join(" > ")),
                    kind: "section".to_owned(),
                    is_test: false,
                    language: None,
                },
                key,
                ancestors: ancestors(s.parent, &|i| facts.sections[i].parent),
                start: s.start_line,
                end: s.end_line,
                name: s.title.clone(),
            })
            .collect();
    }
    let lines: Vec<&str> = text.lines().collect();
    facts
        .definitions
        .iter()
        .map(|d| Unit {
            key: d.qualified_name.clone(),
            node: Node {
                path: facts.path.clone(),
                line: Some(d.start_line),
                name: Some(d.qualified_name.clone()),
                kind: d.kind.as_str().to_owned(),
                is_test: d.is_test || matches!(d.kind, DefKind::TestCase),
                language: language.clone(),
            },
            ancestors: ancestors(d.parent, &|i| facts.definitions[i].parent),
            start: lead_in(&lines, d.start_line),
            end: d.end_line,
            name: d.name.clone(),
        })
        .collect()
}

/// The first line of the comments and attributes directly above line `start`.
fn lead_in(lines: &[&str], start: u32) -> u32 {
    let mut first = start;
    while first > 1 {
        let above = lines.get(first as usize - 2).map_or("", |l| l.trim_start());
        let attached = ["//", "/*", "*", "#[", "@"]
            .iter()
            .any(|p| above.starts_with(p));
        if !attached {
            break;
        }
        first -= 1;
    }
    first
}

/// Whether a line of a side's text is blank (a change there touches nothing).
fn is_blank(text: Option<&String>, line: u32) -> bool {
    text.and_then(|t| t.lines().nth(line as usize - 1))
        .is_some_and(|l| l.trim().is_empty())
}

/// The innermost unit holding `line`.
fn innermost(units: &[Unit], line: u32) -> Option<usize> {
    units
        .iter()
        .enumerate()
        .filter(|(_, u)| u.start <= line && line <= u.end)
        .min_by_key(|(_, u)| u.end - u.start)
        .map(|(i, _)| i)
}

/// The definitions (or sections) of one changed file that the changed lines fall in, on both
/// sides, and the file itself for lines outside any.
fn touched_in(
    iris: &Iris,
    change: &FileDiff,
    old: Option<&FileFacts>,
    new: Option<&FileFacts>,
) -> Vec<Touched> {
    let (old_units, new_units) = (
        old.map(|f| units(f, change.old_text.as_deref().unwrap_or("")))
            .unwrap_or_default(),
        new.map(|f| units(f, change.new_text.as_deref().unwrap_or("")))
            .unwrap_or_default(),
    );
    let file_node = |path: &str| Node {
        path: path.to_owned(),
        line: None,
        name: None,
        kind: "file".to_owned(),
        is_test: false,
        language: None,
    };
    let Some(facts) = new.or(old) else {
        // Neither side could be read: the change maps to its file.
        let path = change.path();
        let lines = if change.added.is_empty() {
            &change.removed
        } else {
            &change.added
        };
        return vec![Touched {
            iri: iris.file(path).as_str().to_owned(),
            node: file_node(path),
            change: "modified",
            lines: lines.clone(),
            enclosing: Vec::new(),
            bare_name: None,
            is_doc: false,
            removed: false,
        }];
    };
    let is_doc = facts.kind == FileKind::Doc;
    let language = match facts.kind {
        FileKind::Code(language) => language.tag(),
        _ => "",
    };
    let iri_of = |path: &str, unit: &Unit| {
        if is_doc {
            iris.section(path, &unit.key).as_str().to_owned()
        } else {
            iris.symbol(language, path, &unit.key).as_str().to_owned()
        }
    };
    // Changed lines by the key of the unit holding them; None for lines outside any.
    let mut new_hits: BTreeMap<Option<usize>, Vec<u32>> = BTreeMap::new();
    let mut old_hits: BTreeMap<Option<usize>, Vec<u32>> = BTreeMap::new();
    if new.is_some() {
        for &line in &change.added {
            new_hits
                .entry(innermost(&new_units, line))
                .or_default()
                .push(line);
        }
    }
    let mut old_lines = change.removed.clone();
    if new.is_none() && change.new_path.is_some() {
        // The patch did not apply: place its added lines where they sit in the old text.
        old_lines.extend(&change.added_at_old);
    }
    for line in old_lines {
        old_hits
            .entry(innermost(&old_units, line))
            .or_default()
            .push(line);
    }
    let old_keys: HashMap<&str, usize> = old_units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.key.as_str(), i))
        .collect();
    let new_keys: HashMap<&str, usize> = new_units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.key.as_str(), i))
        .collect();
    let enclosing = |path: &str, units: &[Unit], unit: &Unit| -> Vec<(String, Node)> {
        let mut chain: Vec<(String, Node)> = unit
            .ancestors
            .iter()
            .map(|&a| (iri_of(path, &units[a]), units[a].node.clone()))
            .collect();
        chain.push((iris.file(path).as_str().to_owned(), file_node(path)));
        chain
    };
    // A touched unit of one side's units.
    let touched = |path: &str, units: &[Unit], unit: &Unit, kind, lines: &[u32]| Touched {
        iri: iri_of(path, unit),
        node: unit.node.clone(),
        change: kind,
        lines: lines.to_vec(),
        enclosing: enclosing(path, units, unit),
        bare_name: Some(unit.name.clone()),
        is_doc,
        removed: kind == "removed",
    };
    let mut out: BTreeMap<(u8, String), Touched> = BTreeMap::new();
    let mut file_lines: Vec<u32> = Vec::new();
    if let (Some(_), Some(path)) = (new, change.new_path.as_deref()) {
        for (unit, lines) in &new_hits {
            let Some(i) = unit else {
                let text = change.new_text.as_ref();
                file_lines.extend(lines.iter().filter(|&&l| !is_blank(text, l)));
                continue;
            };
            let unit = &new_units[*i];
            let existed = old.is_some() && old_keys.contains_key(unit.key.as_str());
            let kind = if existed { "modified" } else { "added" };
            out.insert(
                (1, unit.key.clone()),
                touched(path, &new_units, unit, kind, lines),
            );
        }
    }
    if let Some(path) = change.old_path.as_deref() {
        for (unit, lines) in &old_hits {
            let Some(i) = unit else {
                if file_lines.is_empty() {
                    let text = change.old_text.as_ref();
                    file_lines.extend(lines.iter().filter(|&&l| !is_blank(text, l)));
                }
                continue;
            };
            let unit = &old_units[*i];
            if let Some(&now) = new_keys.get(unit.key.as_str()) {
                // Modified: reported on the new side; lines only removed there count too.
                let entry = out.entry((1, unit.key.clone())).or_insert_with(|| {
                    let path = change.new_path.as_deref().unwrap_or(path);
                    touched(path, &new_units, &new_units[now], "modified", &[])
                });
                if entry.lines.is_empty() {
                    entry.lines = lines.clone();
                }
                continue;
            }
            // Without the new text (a patch that did not apply) the definition is still there.
            let moved = change.new_path.is_some() && new.is_none();
            let kind = if moved { "modified" } else { "removed" };
            out.insert(
                (0, unit.key.clone()),
                touched(path, &old_units, unit, kind, lines),
            );
        }
    }
    let mut touched: Vec<Touched> = out.into_values().collect();
    if !file_lines.is_empty() {
        let path = change.path();
        let change_kind = match (&change.old_path, &change.new_path) {
            (None, _) => "added",
            (_, None) => "removed",
            _ => "modified",
        };
        touched.push(Touched {
            iri: iris.file(path).as_str().to_owned(),
            node: file_node(path),
            change: change_kind,
            lines: file_lines,
            enclosing: Vec::new(),
            bare_name: None,
            is_doc,
            removed: change_kind == "removed",
        });
    }
    touched.sort_by(|a, b| {
        (&a.node.path, a.node.line, &a.node.name).cmp(&(&b.node.path, b.node.line, &b.node.name))
    });
    touched
}

/// A caller found from a changed definition: how it looks and what it calls.
struct Caller {
    node: Node,
    /// The callees it was found through.
    calls: Vec<String>,
}

/// Chains of callers from `iri`, one a caller, each the shortest: `[(caller1, node), (caller2,
/// node), ...]` where caller1 calls `iri`.
fn callers_of(iri: &str, callers: &HashMap<String, Caller>) -> Vec<Vec<(String, Node)>> {
    let mut chains = Vec::new();
    let mut frontier: Vec<Vec<(String, Node)>> = vec![Vec::new()];
    let mut seen: BTreeSet<String> = BTreeSet::from([iri.to_owned()]);
    for _ in 1..=MAX_DISTANCE {
        let mut next = Vec::new();
        for chain in &frontier {
            let at = chain.last().map_or(iri, |(node, _)| node.as_str());
            let mut found: Vec<(&String, &Caller)> = callers
                .iter()
                .filter(|(caller, c)| c.calls.iter().any(|x| x == at) && !seen.contains(*caller))
                .collect();
            found.sort_by(|a, b| a.0.cmp(b.0));
            for (caller, c) in found {
                seen.insert(caller.clone());
                let mut longer = chain.clone();
                longer.push((caller.clone(), c.node.clone()));
                chains.push(longer.clone());
                next.push(longer);
            }
        }
        frontier = next;
    }
    chains
}

/// Sections of docs at HEAD that name a changed definition or a changed file's path.
fn named_in_docs(
    touched: &[Touched],
    changed_paths: &[String],
    context: &Context<'_>,
) -> Vec<ImpactDoc> {
    let names: Vec<(&str, &Touched)> = touched
        .iter()
        .filter(|t| !t.is_doc)
        .filter_map(|t| Some((t.bare_name.as_deref()?, t)))
        .filter(|(name, _)| distinctive(name))
        .collect();
    let mut out = Vec::new();
    // Every path and name in one automaton: a search per line, not one per line and name.
    let patterns = changed_paths
        .iter()
        .map(String::as_str)
        .chain(names.iter().map(|(name, _)| *name));
    let Ok(searcher) = aho_corasick::AhoCorasick::new(patterns) else {
        return out;
    };
    let mut parser = FileParser::new(CodeQueries::shared());
    for (path, text) in context.docs {
        if changed_paths.contains(path) {
            continue;
        }
        let mut hits: Vec<(u32, String)> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line_number = n as u32 + 1;
            // Paths anywhere; names as whole words.
            let found: BTreeSet<usize> = searcher
                .find_overlapping_iter(line)
                .filter(|m| {
                    let p = m.pattern().as_usize();
                    p < changed_paths.len() || is_word_at(line, m.start(), m.end())
                })
                .map(|m| m.pattern().as_usize())
                .collect();
            for p in found {
                let what = match p.checked_sub(changed_paths.len()) {
                    None => format!("{} (changed)", changed_paths[p]),
                    Some(n) => names[n].1.head(),
                };
                hits.push((line_number, what));
            }
        }
        if hits.is_empty() {
            continue;
        }
        let facts = parser.parse(
            FileFacts::new(path, FileKind::Doc, "", text.len() as u64),
            text.as_bytes(),
            context.config.rules.max_file_size,
        );
        let units = units(&facts, text);
        let mut seen = BTreeSet::new();
        for (line, what) in hits {
            let unit = innermost(&units, line).map(|i| &units[i]);
            let section = unit.and_then(|u| u.node.name.clone());
            if !seen.insert(section.clone()) {
                continue;
            }
            let place = match &section {
                Some(s) => format!("{path}:{line} ({s})"),
                None => format!("{path}:{line}"),
            };
            out.push(ImpactDoc {
                path: path.clone(),
                line: unit.map(|u| u.start).or(Some(line)),
                section,
                why: format!("{what} -> named in {place}"),
            });
        }
    }
    out
}

/// Whether a name is distinctive enough to look for in prose: `check_size`, `UploadGateway`,
/// not `new` or `run`.
fn distinctive(name: &str) -> bool {
    name.len() >= 4
        && (name.contains('_')
            || name.chars().skip(1).any(|c| c.is_ascii_uppercase())
            || name.len() >= 8)
}

/// Whether `line[start..end]` stands as a word of its own (no identifier character either side).
fn is_word_at(line: &str, start: usize, end: usize) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let before = line[..start].chars().next_back();
    let after = line[end..].chars().next();
    !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
}

/// A node linked to an item.
struct Linked {
    item: String,
    iri: String,
    /// `implements`, `verifies`, `documents` or `mentions`.
    relation: String,
    node: Node,
}

/// The index at HEAD, as the analysis asks it: every question names the nodes it is about
/// (`VALUES`), so its cost follows the size of the change, not of the repository.
// implements: impact/NFR-performance-1
struct Graph<'a> {
    store: &'a ReadStore,
}

impl Graph<'_> {
    /// The items each node links to, declared or by trailer.
    fn links(&self, nodes: &[&str]) -> Result<BTreeMap<String, BTreeSet<ItemLink>>, StoreError> {
        let mut out: BTreeMap<String, BTreeSet<ItemLink>> = BTreeMap::new();
        if nodes.is_empty() {
            return Ok(out);
        }
        let rows = self.store.select(
            &format!(
                "SELECT ?x ?item ?rel ?via WHERE {{
                   VALUES ?x {{ {} }}
                   ?ref kg:source ?x ; kg:targetId ?item ; kg:relation ?rel .
                   OPTIONAL {{ ?ref kg:via ?via }}
                 }}",
                iri_values(nodes)
            ),
            "impact links",
        )?;
        for row in rows {
            let (Some(node), Some(item), Some(Term::NamedNode(rel))) =
                (cell(&row[0]), cell(&row[1]), &row[2])
            else {
                continue;
            };
            let relation = match rel.as_str() {
                r if r.ends_with("implementedBy") => Relation::Implements,
                r if r.ends_with("validatedBy") => Relation::Verifies,
                _ => Relation::Documents,
            };
            let mut verb = verb(relation).to_owned();
            if let Some(via) = cell(&row[3]) {
                verb = format!("{verb} ({via})");
            }
            out.entry(node).or_default().insert(ItemLink {
                item,
                verb,
                relation,
            });
        }
        Ok(out)
    }

    /// How nodes look in a report.
    fn nodes(&self, iris: &[&str]) -> Result<HashMap<String, Node>, StoreError> {
        let mut out = HashMap::new();
        if iris.is_empty() {
            return Ok(out);
        }
        let rows = self.store.select(
            &format!(
                "SELECT ?x ?path ?line ?name ?heading ?kind ?test ?language WHERE {{
                   VALUES ?x {{ {} }}
                   {{ ?x kg:inFile ?file }} UNION {{ ?x a kg:File BIND(?x AS ?file) }}
                   ?file kg:path ?path .
                   OPTIONAL {{ ?file kg:language ?language }}
                   OPTIONAL {{ ?x kg:startLine ?line }}
                   OPTIONAL {{ ?x kg:qualifiedName ?name }}
                   OPTIONAL {{ ?x kg:headingPath ?heading }}
                   OPTIONAL {{ ?x kg:kind ?kind }}
                   OPTIONAL {{ ?x a kg:Test BIND(true AS ?test) }}
                 }}",
                iri_values(iris)
            ),
            "impact nodes",
        )?;
        for row in rows {
            let Some(iri) = cell(&row[0]) else { continue };
            let heading = cell(&row[4]);
            out.insert(
                iri,
                Node {
                    path: cell(&row[1]).unwrap_or_default(),
                    line: cell(&row[2]).and_then(|l| l.parse().ok()),
                    kind: cell(&row[5]).unwrap_or_else(|| {
                        if heading.is_some() { "section" } else { "file" }.to_owned()
                    }),
                    name: cell(&row[3]).or(heading),
                    is_test: cell(&row[6]).as_deref() == Some("true"),
                    language: cell(&row[7]),
                },
            );
        }
        Ok(out)
    }

    /// Callers of the changed code up to MAX_DISTANCE calls away, each with the callees it was
    /// reached through. Removed definitions are not in the index: their callers are found by
    /// the name they call.
    fn callers(&self, changed: &[&Touched]) -> Result<HashMap<String, Caller>, StoreError> {
        let frontier: BTreeSet<String> = changed
            .iter()
            .filter(|t| !t.removed && t.node.kind != "file")
            .map(|t| t.iri.clone())
            .collect();
        let removed: Vec<(&str, &str)> = changed
            .iter()
            .filter(|t| t.removed)
            .filter_map(|t| Some((t.iri.as_str(), t.bare_name.as_deref()?)))
            .collect();
        self.callers_from(frontier, removed)
    }

    /// Callers, up to MAX_DISTANCE calls away, of the nodes `frontier` and of the definitions
    /// `removed` (by IRI and bare name) that are no longer in the index.
    fn callers_from(
        &self,
        mut frontier: BTreeSet<String>,
        removed: Vec<(&str, &str)>,
    ) -> Result<HashMap<String, Caller>, StoreError> {
        let mut edges: Vec<(String, String)> = Vec::new();
        if !removed.is_empty() {
            let names: Vec<String> = removed.iter().map(|(_, n)| literal(n)).collect();
            let rows = self.store.select(
                &format!(
                    "SELECT DISTINCT ?caller ?name WHERE {{
                       VALUES ?name {{ {} }}
                       {{ ?caller kg:callsName ?name }} UNION {{ ?caller kg:callsBareName ?name }}
                     }}",
                    names.join(" ")
                ),
                "impact callers by name",
            )?;
            for row in rows {
                let (Some(caller), Some(name)) = (cell(&row[0]), cell(&row[1])) else {
                    continue;
                };
                for (iri, _) in removed.iter().filter(|(_, n)| *n == name) {
                    edges.push((caller.clone(), (*iri).to_owned()));
                    frontier.insert(caller.clone());
                }
            }
        }
        let mut seen: BTreeSet<String> = frontier.clone();
        for _ in 0..MAX_DISTANCE {
            if frontier.is_empty() {
                break;
            }
            let list: Vec<&str> = frontier.iter().map(String::as_str).collect();
            let rows = self.store.select(
                &format!(
                    "SELECT DISTINCT ?caller ?callee WHERE {{
                       VALUES ?callee {{ {} }}
                       {{ ?caller kg:calls ?callee }} UNION {{ ?caller kg:callsAmbiguous ?callee }}
                     }}",
                    iri_values(&list)
                ),
                "impact callers",
            )?;
            let mut next = BTreeSet::new();
            for row in rows {
                let (Some(caller), Some(callee)) = (cell(&row[0]), cell(&row[1])) else {
                    continue;
                };
                edges.push((caller.clone(), callee));
                if seen.insert(caller.clone()) {
                    next.insert(caller);
                }
            }
            frontier = next;
        }
        let callers: BTreeSet<&str> = edges.iter().map(|(caller, _)| caller.as_str()).collect();
        let info = self.nodes(&callers.into_iter().collect::<Vec<_>>())?;
        let mut found: HashMap<String, Caller> = HashMap::new();
        for (caller, callee) in edges {
            let Some(node) = info.get(&caller) else {
                continue;
            };
            found
                .entry(caller)
                .or_insert_with(|| Caller {
                    node: node.clone(),
                    calls: Vec::new(),
                })
                .calls
                .push(callee);
        }
        Ok(found)
    }

    /// For items by id, the nodes that link to them by one of `relations` (`implements`,
    /// `verifies`, `documents`, `mentions`).
    fn linked_to(
        &self,
        iris: &Iris,
        ids: &[String],
        relations: &[&str],
    ) -> Result<Vec<Linked>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Each item's IRI comes from its id, defined or not (removed, dangling), so the answers
        // map back to the ids asked for.
        let by_iri: HashMap<String, &String> = ids
            .iter()
            .map(|id| (iris.requirement(id).into_string(), id))
            .collect();
        let properties: Vec<(&str, &str)> = relations
            .iter()
            .map(|r| match *r {
                "implements" => ("oslc_rm:implementedBy", "implements"),
                "verifies" => ("oslc_rm:validatedBy", "verifies"),
                "documents" => ("oslc_rm:elaboratedBy", "documents"),
                _ => ("kg:mentionedIn", "mentions"),
            })
            .collect();
        let union = properties
            .iter()
            .map(|(p, name)| format!("{{ ?req {p} ?x BIND(\"{name}\" AS ?rel) }}"))
            .collect::<Vec<_>>()
            .join(" UNION ");
        let rows = self.store.select(
            &format!(
                "SELECT DISTINCT ?req ?x ?rel WHERE {{ VALUES ?req {{ {} }} {union} }}",
                iri_values(by_iri.keys())
            ),
            "impact linked",
        )?;
        let mut out = Vec::new();
        let pairs: Vec<(String, String, String)> = rows
            .iter()
            .filter_map(|row| {
                let id = by_iri.get(&cell(&row[0])?)?;
                Some(((*id).clone(), cell(&row[1])?, cell(&row[2])?))
            })
            .collect();
        let nodes: Vec<&str> = pairs.iter().map(|(_, x, _)| x.as_str()).collect();
        let info = self.nodes(&nodes)?;
        for (item, iri, relation) in pairs {
            let Some(node) = info.get(&iri) else { continue };
            out.push(Linked {
                item,
                iri,
                relation,
                node: node.clone(),
            });
        }
        out.sort_by(|a, b| {
            (&a.item, &a.node.path, a.node.line, &a.iri).cmp(&(
                &b.item,
                &b.node.path,
                b.node.line,
                &b.iri,
            ))
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_as_ranges() {
        assert_eq!(ranges(&[50, 45, 46, 47, 47]), "45-47, 50");
        assert_eq!(ranges(&[]), "");
    }

    #[test]
    fn names_are_found_as_whole_words_only() {
        let contains_word = |line: &str, word: &str| {
            line.match_indices(word)
                .any(|(at, _)| is_word_at(line, at, at + word.len()))
        };
        assert!(contains_word("call `check_size()` first", "check_size"));
        assert!(!contains_word("recheck_sizes", "check_size"));
        assert!(distinctive("check_size") && distinctive("UploadGateway"));
        assert!(!distinctive("new") && !distinctive("run") && !distinctive("check"));
    }
}
