//! History as RDF: commits as PROV activities with their agents, times, messages, trailers and
//! file changes, and the items their trailers name, in `<base>kg/history`; the links those
//! trailers establish, one per item and definition however many commits made it, in
//! `<base>kg/links`.

// implements: history/commits, history/trailers

use std::collections::BTreeMap;

use oxigraph::model::{Literal, NamedNode, NamedNodeRef, Quad};

use super::vocab::{dcterms, kg, oslc_rm, prov, rdf, xsd};
use super::{GraphWriter, Iris, encode};
use crate::facts::Language;
use crate::git::{ChangeKind, CommitInfo, Person};
use crate::link::history::{ItemChange, Lineage};
use crate::parse::refs;

/// What a trailer reference is linked to: a definition or doc section the commit added or
/// changed, or the file when the change lies outside any.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum LinkAnchor {
    Definition {
        language: &'static str,
        qualified_name: String,
    },
    Section {
        key: String,
    },
    File,
}

/// How a commit links a spec item to what it changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Via {
    /// The commit's `Implements:` (`Verifies:`, `Documents:`) trailer names the item.
    Trailer,
    /// The commit ticks the box of a task (`[ ]` to `[x]`) that serves the item.
    Task,
    /// The commit's message names the item or a task serving it (`T012`, `FR-003`), in the one
    /// feature whose specs the commit changed.
    Message,
}

impl Via {
    /// Every way, each with its own graph.
    pub const ALL: [Via; 3] = [Via::Trailer, Via::Task, Via::Message];

    pub fn as_str(self) -> &'static str {
        match self {
            Via::Trailer => "trailer",
            Via::Task => "task",
            Via::Message => "message",
        }
    }
}

/// A spec item linked, through a commit's trailer or ticked task, to something the commit
/// changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TrailerLink {
    pub via: Via,
    pub marker: &'static str,
    pub target: String,
    pub path: String,
    pub anchor: LinkAnchor,
}

/// The commits behind one trailer link: how many, and the latest (by commit time, then id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSupport {
    pub commits: i64,
    pub latest: String,
    pub latest_seconds: i64,
}

impl LinkSupport {
    pub fn new(commit: &CommitInfo) -> Self {
        LinkSupport {
            commits: 1,
            latest: commit.id.to_string(),
            latest_seconds: commit.committer.seconds,
        }
    }

    /// Adds the commits of `other`, which must be other commits than these.
    pub fn add(&mut self, other: &LinkSupport) {
        self.commits += other.commits;
        if (other.latest_seconds, &other.latest) > (self.latest_seconds, &self.latest) {
            self.latest = other.latest.clone();
            self.latest_seconds = other.latest_seconds;
        }
    }
}

/// Trailer links aggregated over commits.
pub type HistoryLinks = BTreeMap<TrailerLink, LinkSupport>;

/// Adds the links of one commit to `links`.
pub fn add_links(links: &mut HistoryLinks, commit: &CommitInfo, of_commit: Vec<TrailerLink>) {
    let support = LinkSupport::new(commit);
    for link in of_commit {
        links
            .entry(link)
            .and_modify(|s| s.add(&support))
            .or_insert_with(|| support.clone());
    }
}

/// What a link's anchor is in the graph: a definition, a doc section or a file.
pub fn link_source(iris: &Iris, link: &TrailerLink) -> NamedNode {
    match &link.anchor {
        LinkAnchor::Definition {
            language,
            qualified_name,
        } => iris.symbol(language, &link.path, qualified_name),
        LinkAnchor::Section { key } => iris.section(&link.path, key),
        LinkAnchor::File => iris.file(&link.path),
    }
}

/// The node of a link: `<base>link/VIA/MARKER/ITEM/SOURCE` (VIA `trailer`, `task`, `message`), SOURCE
/// being the anchor's IRI after the base, and the item's `/` escaped so that the two parts stay
/// apart.
pub fn link_node(iris: &Iris, link: &TrailerLink) -> NamedNode {
    let source = link_source(iris, link);
    let rest = source
        .as_str()
        .strip_prefix(iris.base())
        .unwrap_or(source.as_str());
    NamedNode::new_unchecked(format!(
        "{}link/{}/{}/{}/{rest}",
        iris.base(),
        link.via.as_str(),
        link.marker,
        encode(&link.target).replace('/', "%2F")
    ))
}

/// The link a stored link node stands for, from its marker, item id and source: the inverse of
/// [`link_source`], through [`Iris::located`].
pub fn stored_link(
    iris: &Iris,
    via: Via,
    marker: &str,
    target: &str,
    source: &str,
) -> Option<TrailerLink> {
    let marker = REFERENCE_TRAILERS
        .iter()
        .map(|(_, m)| *m)
        .find(|m| *m == marker)?;
    let (path, name) = iris.located(source)?;
    let rest = source.strip_prefix(iris.base())?;
    let anchor = match (rest.split_once('/')?, name) {
        (("file", _), None) => LinkAnchor::File,
        (("doc", _), Some(key)) => LinkAnchor::Section { key },
        (("sym", rest), Some(qualified_name)) => {
            let (language, _) = rest.split_once('/')?;
            let language = [Language::Rust, Language::TypeScript]
                .map(Language::tag)
                .into_iter()
                .find(|l| *l == language)?;
            LinkAnchor::Definition {
                language,
                qualified_name,
            }
        }
        _ => return None,
    };
    Some(TrailerLink {
        via,
        marker,
        target: target.to_owned(),
        path,
        anchor,
    })
}

/// The link a link node's IRI names (`<base>link/VIA/MARKER/ITEM/SOURCE`): the inverse of
/// [`link_node`].
pub fn link_of_node(iris: &Iris, via: Via, node: &str) -> Option<TrailerLink> {
    let rest = node
        .strip_prefix(iris.base())?
        .strip_prefix("link/")?
        .strip_prefix(via.as_str())?
        .strip_prefix('/')?;
    let (marker, rest) = rest.split_once('/')?;
    let (item, source) = rest.split_once('/')?;
    let source = format!("{}{source}", iris.base());
    stored_link(iris, via, marker, &super::decode(item), &source)
}

/// The quads of one aggregated link in its graph (`<base>kg/links` for trailers,
/// `<base>kg/task-links` for ticked tasks, `<base>kg/message-links` for ids a message names). A
/// link whose anchor is at HEAD is a reference and establishes its relation
/// (`oslc_rm:implementedBy` ...). One whose anchor is gone is history, no evidence: its node
/// (whose IRI names the way, marker, item and anchor) keeps only its path, its latest commit and
/// how many there are, so that the count goes on should the anchor come back.
pub fn link_quads(
    iris: &Iris,
    link: &TrailerLink,
    support: &LinkSupport,
    at_head: bool,
) -> Vec<Quad> {
    let mut w = GraphWriter::new(iris.links_graph(link.via));
    let node = link_node(iris, link);
    w.text(&node, kg::PATH, &link.path);
    w.add(&node, kg::COMMIT_PROP, iris.commit(&support.latest));
    w.number(&node, kg::COMMIT_COUNT, support.commits);
    if at_head {
        let source = link_source(iris, link);
        let target = iris.requirement(&link.target);
        w.types(&node, &[kg::REFERENCE]);
        w.add(&node, kg::SOURCE, source.clone());
        w.add(&node, kg::TARGET, target.clone());
        w.text(&node, kg::TARGET_ID, &link.target);
        w.text(&node, kg::MARKER, link.marker);
        w.text(&node, kg::VIA, link.via.as_str());
        if let Some(relation) = marker_relation(link.marker) {
            w.add(&node, kg::RELATION, relation.into_owned());
            w.add(&target, relation, source);
        }
    }
    w.quads
}

/// The link property a marker establishes, if any (`refs` only names the item).
pub fn marker_relation(marker: &str) -> Option<NamedNodeRef<'static>> {
    match marker {
        "implements" => Some(oslc_rm::IMPLEMENTED_BY),
        "verifies" => Some(oslc_rm::VALIDATED_BY),
        "documents" => Some(oslc_rm::ELABORATED_BY),
        _ => None,
    }
}

/// The trailers that name spec items, and the marker each stands for.
const REFERENCE_TRAILERS: [(&str, &str); 4] = [
    ("implements", "implements"),
    ("verifies", "verifies"),
    ("documents", "documents"),
    ("refs", "refs"),
];

/// The ids a commit's trailers name, with the marker: `("implements", "imageUpload/AC-2")`.
pub fn trailer_references(commit: &CommitInfo) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (key, value) in &commit.trailers {
        let Some((_, marker)) = REFERENCE_TRAILERS
            .iter()
            .find(|(name, _)| key.eq_ignore_ascii_case(name))
        else {
            continue;
        };
        for part in value.split(',') {
            let part = part.trim();
            let len = refs::id_len(part);
            if len > 0 {
                out.push((*marker, part[..len].to_owned()));
            }
        }
    }
    out
}

/// The quads of one commit: the commit, its agents, trailers, the items they name, file changes
/// (one quad each) and item changes.
pub fn commit_quads(iris: &Iris, commit: &CommitInfo, item_changes: &[ItemChange]) -> Vec<Quad> {
    let mut w = GraphWriter::new(iris.history_graph());
    let id = commit.id.to_string();
    let node = iris.commit(&id);
    w.types(&node, &[kg::COMMIT, prov::ACTIVITY]);
    w.text(&node, dcterms::IDENTIFIER, &id);
    w.text(&node, dcterms::TITLE, &commit.summary);
    w.text(&node, dcterms::DESCRIPTION, &commit.message);
    for (n, parent) in commit.parents.iter().enumerate() {
        let parent = iris.commit(&parent.to_string());
        if n == 0 {
            w.add(&node, kg::FIRST_PARENT, parent.clone());
        }
        w.add(&node, kg::PARENT_COMMIT, parent);
    }
    let author = agent(&mut w, iris, &commit.author);
    let committer = agent(&mut w, iris, &commit.committer);
    w.add(&node, kg::AUTHOR, author.clone());
    w.add(&node, kg::COMMITTER, committer.clone());
    w.add(&node, prov::WAS_ASSOCIATED_WITH, author);
    w.add(&node, prov::WAS_ASSOCIATED_WITH, committer);
    w.add(&node, prov::STARTED_AT_TIME, date_time(&commit.author));
    w.add(&node, prov::ENDED_AT_TIME, date_time(&commit.committer));

    for (n, (key, value)) in commit.trailers.iter().enumerate() {
        let trailer = NamedNode::new_unchecked(format!("{}#trailer-{}", node.as_str(), n + 1));
        w.types(&trailer, &[kg::TRAILER]);
        w.text(&trailer, kg::KEY, key);
        w.text(&trailer, rdf::VALUE, value);
        w.add(&node, kg::MESSAGE_TRAILER, trailer);
    }
    for (n, (marker, target)) in trailer_references(commit).into_iter().enumerate() {
        let reference = NamedNode::new_unchecked(format!("{}#reference-{}", node.as_str(), n + 1));
        let target_node = iris.requirement(&target);
        w.types(&reference, &[kg::REFERENCE]);
        w.add(&reference, kg::SOURCE, node.clone());
        w.add(&reference, kg::TARGET, target_node.clone());
        w.text(&reference, kg::TARGET_ID, &target);
        w.text(&reference, kg::MARKER, marker);
        w.text(&reference, kg::VIA, "trailer");
        w.add(&reference, kg::COMMIT_PROP, node.clone());
        w.add(&node, kg::REFERENCES, target_node);
    }
    // One quad a file change: the kind is the property, the path its value. The blobs before
    // and after are git's to tell (`git rev-parse COMMIT:PATH`).
    for change in &commit.changes {
        let kind = match change.kind {
            ChangeKind::Added => kg::ADDED,
            ChangeKind::Modified => kg::MODIFIED,
            ChangeKind::Deleted => kg::DELETED,
        };
        w.text(&node, kind, &change.path);
    }
    for change in item_changes {
        let change_node =
            NamedNode::new_unchecked(format!("{}#item-{}", node.as_str(), encode(&change.id)));
        w.types(&change_node, &[kg::ITEM_CHANGE]);
        w.add(&change_node, kg::COMMIT_PROP, node.clone());
        w.text(&change_node, kg::CHANGE_KIND, change.kind.as_str());
        w.text(&change_node, kg::ITEM_ID, &change.id);
        w.add(&change_node, kg::ITEM, iris.requirement(&change.id));
        if let Some(previous) = &change.previous_id {
            w.text(&change_node, kg::PREVIOUS_ID, previous);
        }
        if let Some(text) = &change.text {
            w.text(&change_node, dcterms::DESCRIPTION, text);
        }
        if let Some(text) = &change.previous_text {
            w.text(&change_node, kg::PREVIOUS_TEXT, text);
        }
        w.add(&node, kg::ITEM_CHANGE_PROP, change_node);
    }
    w.quads
}

/// The quads of the lineage graph: where each current item was introduced and reworded.
pub fn lineage_quads(iris: &Iris, lineage: &Lineage) -> Vec<Quad> {
    let mut w = GraphWriter::new(iris.lineage_graph());
    for (id, item) in &lineage.items {
        let node = iris.requirement(id);
        if let Some(commit) = &item.introduced {
            w.add(&node, kg::INTRODUCED_IN, iris.commit(commit));
        }
        for commit in &item.changed {
            w.add(&node, kg::CHANGED_IN, iris.commit(commit));
        }
    }
    for (path, commit) in &lineage.files {
        w.add(&iris.file(path), kg::LAST_CHANGED_IN, iris.commit(commit));
    }
    w.quads
}

fn agent(w: &mut GraphWriter, iris: &Iris, person: &Person) -> NamedNode {
    let node = iris.agent(&person.email);
    w.types(&node, &[prov::AGENT]);
    w.text(&node, kg::NAME, &person.name);
    w.text(&node, kg::EMAIL, &person.email);
    node
}

fn date_time(person: &Person) -> Literal {
    Literal::new_typed_literal(&person.date_time, xsd::DATE_TIME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_node_names_its_link() {
        let iris = Iris::new("https://example.com/r/");
        for (target, path, anchor) in [
            (
                "spec.x/req~a b~1",
                "src/a b.rs",
                LinkAnchor::Definition {
                    language: "rust",
                    qualified_name: "Gate::check<'a>".to_owned(),
                },
            ),
            (
                "upload/AC-1",
                "docs/up%load.md",
                LinkAnchor::Section {
                    key: "Upload > Size".to_owned(),
                },
            ),
            ("feat/T012", "web/x.ts", LinkAnchor::File),
        ] {
            let link = TrailerLink {
                via: Via::Task,
                marker: "implements",
                target: target.to_owned(),
                path: path.to_owned(),
                anchor,
            };
            let node = link_node(&iris, &link);
            assert_eq!(
                link_of_node(&iris, Via::Task, node.as_str()),
                Some(link.clone())
            );
            assert_eq!(link_of_node(&iris, Via::Trailer, node.as_str()), None);
        }
    }
}
