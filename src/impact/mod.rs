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
use crate::facts::{Anchor, DefKind, FileFacts, FileKind, Relation, Tool};
use crate::git::diff::{FileDiff, Patch};
use crate::git::{GitError, Repo};
use crate::graph::{Iris, section_keys};
use crate::link::history::diff_items;
use crate::link::ids::Resolver;
use crate::parse::nesting::Nesting;
use crate::parse::spec::openspec;
use crate::parse::{CodeQueries, FileParser};
use crate::query::{iri_values, literal};
use crate::store::{ReadStore, StoreError, cell};
use crate::trace::DiagnosticRow;

mod changes;
mod docs;
mod links;
mod touched;

use docs::*;
use links::*;
use touched::*;

pub use changes::{ChangeError, Source, read_changes};

/// How many calls kg follows from a changed definition to its callers.
pub const MAX_DISTANCE: u32 = crate::link::calls::MAX_CALL_CHAIN;

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
    /// `added`, `reworded`, `renumbered`, `renamed` (an OpenSpec proposal's rename) or `removed`.
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
        Relation::Covers => "covers",
    }
}

/// Everything the analysis reads besides the change: the index and the configuration.
pub struct Context<'a> {
    pub store: &'a ReadStore,
    pub iris: &'a Iris,
    pub config: &'a Config,
    /// Where the docs' texts are read from, and only when a change names something to look for
    /// in them.
    pub repo: &'a Repo,
}

/// Maps `changes` to the report. `diagnostics` are those of reading the change.
pub fn analyze(
    context: &Context<'_>,
    changes: &[FileDiff],
    diagnostics: Vec<DiagnosticRow>,
) -> Result<ImpactReport, ChangeError> {
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
    let graph = Graph {
        store: context.store,
    };
    // What local ids and tasks name, read from the index only when a changed file holds one.
    let mut ids: Option<Resolver> = None;
    let mut touched: Vec<Touched> = Vec::new();
    // Links written in the changed files themselves, on either side.
    let mut written: BTreeMap<String, BTreeSet<ItemLink>> = BTreeMap::new();
    let mut changed_paths = Vec::new();
    for change in changes {
        let path = change.path();
        // A document either side of which declares OpenFastTrace items is a spec.
        let sniffed = [&change.new_text, &change.old_text]
            .into_iter()
            .flatten()
            .find_map(|text| rules.sniff(path, text.as_bytes()));
        let kind = sniffed
            .map(|_| FileKind::Spec)
            .or_else(|| rules.classify(path));
        let Some(kind) = kind else {
            report.unselected += 1;
            continue;
        };
        changed_paths.push(path.to_owned());
        let is_test = rules.is_test_file(path);
        let mut parse = |path: Option<&String>, text: Option<&String>| -> Option<FileFacts> {
            let (path, text) = (path?, text?);
            let facts = FileFacts::new(path, kind, "", text.len() as u64);
            let format = (kind == FileKind::Spec)
                .then(|| sniffed.unwrap_or_else(|| rules.spec_format(path)));
            let mut facts = FileFacts {
                is_test_file: is_test,
                spec_set: format.and(rules.spec_set(path)).map(str::to_owned),
                ..facts
            };
            facts = parser.parse(facts, text.as_bytes(), rules.max_file_size, format);
            Some(crate::index::read_tags(rules, facts))
        };
        let old = parse(change.old_path.as_ref(), change.old_text.as_ref());
        let new = parse(change.new_path.as_ref(), change.new_text.as_ref());
        for facts in [&old, &new].into_iter().flatten() {
            if ids.is_none() && !facts.references.is_empty() {
                ids = Some(graph.resolver()?);
            }
            if let Some(ids) = &ids {
                collect_written(context.iris, ids, facts, &mut written);
            }
        }
        if let Some((proposal, capability)) = openspec::delta_target(path) {
            if ids.is_none() {
                ids = Some(graph.resolver()?);
            }
            let known = ids.as_ref().map(Resolver::known_ids);
            report.spec_changes.extend(proposed_changes(
                proposal,
                capability,
                path,
                change.old_text.as_deref(),
                change.new_text.as_deref(),
                known.into_iter().flatten(),
            ));
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
            FileKind::Code(_) | FileKind::Doc | FileKind::Text => {
                touched.extend(touched_in(context.iris, change, old.as_ref(), new.as_ref()));
            }
        }
    }

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
            let path = called_by(chain);
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
            let path = called_by(&chain);
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
    for hit in named_in_docs(&touched, &changed_paths, context)? {
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

/// What an OpenSpec change proposal's delta spec at `path` proposes that its previous version
/// did not, as spec changes of its capability's items, without applying it: a modified
/// requirement is reworded and a removed one removed, each with the scenarios it has at HEAD
/// (`known` ids), a renamed one renamed, an added one added.
fn proposed_changes<'a>(
    proposal: &str,
    capability: &str,
    path: &str,
    old: Option<&str>,
    new: Option<&str>,
    known: impl Iterator<Item = &'a String>,
) -> Vec<SpecChange> {
    let old = old.map(openspec::deltas).unwrap_or_default();
    let same = |a: &openspec::Delta, b: &openspec::Delta| {
        (a.operation, &a.name, &a.from, &a.text) == (b.operation, &b.name, &b.from, &b.text)
    };
    let known: Vec<&String> = known.collect();
    let mut out = Vec::new();
    for delta in new.map(openspec::deltas).unwrap_or_default() {
        if old.iter().any(|o| same(o, &delta)) {
            continue;
        }
        let id = format!("{capability}/{}", delta.name);
        let change = match delta.operation {
            "ADDED" => "added",
            "MODIFIED" => "reworded",
            "REMOVED" => "removed",
            _ => "renamed",
        };
        let scenarios: Vec<&String> = match change {
            "reworded" | "removed" => {
                let prefix = format!("{id}/");
                let mut found: Vec<&String> = known
                    .iter()
                    .copied()
                    .filter(|k| k.starts_with(&prefix))
                    .collect();
                found.sort();
                found
            }
            _ => Vec::new(),
        };
        let entry = |id: String, text: Option<String>| SpecChange {
            id,
            change: change.to_owned(),
            previous_id: delta
                .from
                .as_ref()
                .map(|from| format!("{capability}/{from}")),
            text,
            previous_text: None,
            path: format!("{path} (proposal {proposal})"),
            review: Vec::new(),
        };
        out.push(entry(id, Some(delta.text.clone())));
        out.extend(scenarios.into_iter().map(|s| entry(s.clone(), None)));
    }
    out
}

/// The links written in a file's own text, by the IRI of the node they are anchored to.
fn collect_written(
    iris: &Iris,
    ids: &Resolver,
    facts: &FileFacts,
    out: &mut BTreeMap<String, BTreeSet<ItemLink>>,
) {
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
        let items = ids.resolve(&facts.path, reference).linked_items(reference);
        for item in items {
            out.entry(node.as_str().to_owned())
                .or_default()
                .insert(ItemLink {
                    item,
                    verb: verb(reference.relation).to_owned(),
                    relation: reference.relation,
                });
        }
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
