//! Turns facts into RDF quads: stable IRIs, one named graph per file, standard vocabularies first.
//!
//! IRIs depend only on the repository's base and on paths, names and ids, never on the machine or
//! on content hashes, so the same commit always gives the same quads.

// implements: index/graph

pub mod history;
pub mod vocab;

use std::collections::{BTreeSet, HashMap};

use oxigraph::model::{GraphName, Literal, NamedNode, NamedNodeRef, Quad, Term};

use crate::facts::{Anchor, Diagnostic, FileFacts, FileKind, ItemKind, Relation, Task, Tool};
use crate::link::ids::{Resolution, Resolver};
use vocab::{dcterms, kg, oslc_qm, oslc_rm, rdf};

/// The version of the graph's shape and of the facts kg extracts. A store written with another
/// format is rebuilt, and facts cached by another are not read.
pub const INDEX_FORMAT: i64 = 14;

/// Mints the IRIs of one repository's resources.
#[derive(Debug, Clone)]
pub struct Iris {
    base: String,
}

impl Iris {
    /// `base` must be an absolute IRI; it is used as given, so it normally ends with `/`.
    pub fn new(base: impl Into<String>) -> Self {
        Iris { base: base.into() }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn node(&self, rest: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("{}{rest}", self.base))
    }

    pub fn repository(&self) -> NamedNode {
        self.node("")
    }

    pub fn file(&self, path: &str) -> NamedNode {
        self.node(&format!("file/{}", encode(path)))
    }

    pub fn symbol(&self, language: &str, path: &str, qualified_name: &str) -> NamedNode {
        self.node(&format!(
            "sym/{language}/{}#{}",
            encode(path),
            encode(qualified_name)
        ))
    }

    pub fn section(&self, path: &str, heading_path: &str) -> NamedNode {
        self.node(&format!("doc/{}#{}", encode(path), encode(heading_path)))
    }

    /// A feature (`imageUpload`) or an item (`imageUpload/AC-1`), from its id.
    /// The file path and, for a definition or a doc section, the symbol or heading path that
    /// the IRI of a node in a file names: the inverse of [`Iris::file`], [`Iris::symbol`] and
    /// [`Iris::section`].
    pub fn located(&self, iri: &str) -> Option<(String, Option<String>)> {
        let rest = iri.strip_prefix(self.base.as_str())?;
        if let Some(path) = rest.strip_prefix("file/") {
            return Some((decode(path), None));
        }
        let rest = match rest.strip_prefix("sym/") {
            Some(rest) => rest.split_once('/')?.1,
            None => rest.strip_prefix("doc/")?,
        };
        let (path, name) = rest.split_once('#')?;
        Some((decode(path), Some(decode(name))))
    }

    pub fn requirement(&self, id: &str) -> NamedNode {
        self.node(&format!("req/{}", encode(id)))
    }

    /// A task, by its full id (`002-sync/T012`).
    pub fn task(&self, id: &str) -> NamedNode {
        self.node(&format!("task/{}", encode(id)))
    }

    /// An OpenSpec change, active or archived (`add-2fa`).
    pub fn change(&self, id: &str) -> NamedNode {
        self.node(&format!("change/{}", encode(id)))
    }

    /// A task of an OpenSpec change.
    pub fn change_task(&self, change: &str, id: &str) -> NamedNode {
        self.node(&format!("change/{}/task/{}", encode(change), encode(id)))
    }

    pub fn commit(&self, id: &str) -> NamedNode {
        self.node(&format!("commit/{id}"))
    }

    pub fn agent(&self, email: &str) -> NamedNode {
        self.node(&format!("agent/{}", encode(&email.to_lowercase())))
    }

    /// The graph that holds commits and their changes.
    pub fn history_graph(&self) -> NamedNode {
        self.node("kg/history")
    }

    /// The graph that holds each current item's lineage: where it was introduced and reworded.
    pub fn lineage_graph(&self) -> NamedNode {
        self.node("kg/lineage")
    }

    /// The graph that holds the tree entries kg does not read: symbolic links and submodules.
    pub fn tree_graph(&self) -> NamedNode {
        self.node("kg/tree")
    }

    /// The graph that holds derived call links: calls by name resolved to definitions.
    pub fn calls_graph(&self) -> NamedNode {
        self.node("kg/calls")
    }

    /// The graph that holds links derived from history, one per way (`kg/links` for commit
    /// trailers, `kg/task-links` for ticked tasks, `kg/message-links` for ids a message names):
    /// one link per item and definition (or
    /// section, or file) with the commits behind it.
    pub fn links_graph(&self, via: history::Via) -> NamedNode {
        match via {
            history::Via::Trailer => self.node("kg/links"),
            history::Via::Task => self.node("kg/task-links"),
            history::Via::Message => self.node("kg/message-links"),
        }
    }

    /// The graph that holds bookkeeping: the indexed commit and each file graph's blob.
    pub fn meta_graph(&self) -> NamedNode {
        self.node("kg/meta")
    }

    /// The graph that holds diagnostics that need the whole repository (dangling references).
    pub fn diagnostics_graph(&self) -> NamedNode {
        self.node("kg/diagnostics")
    }
}

/// Percent-encodes what may not stand in an IRI path or fragment. Letters, digits and
/// `-._~!$&'()*+,;=:@/` stay as they are.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Undoes [`encode`].
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

// implements: index/NFR-portability-1
/// The IRI base of a repository: from its remote when that is a network URL
/// (`git@github.com:acme/shop.git` gives `https://github.com/acme/shop/`), otherwise from the first
/// commit, which every clone shares (`urn:kg:<sha>/`).
pub fn derive_base(remote: Option<&str>, root_commit: &str) -> String {
    remote
        .and_then(network_remote_base)
        .unwrap_or_else(|| format!("urn:kg:{root_commit}/"))
}

fn network_remote_base(url: &str) -> Option<String> {
    let url = url.trim();
    let (host, path) = if let Some((scheme, rest)) = url.split_once("://") {
        if !matches!(
            scheme,
            "http" | "https" | "ssh" | "git" | "git+ssh" | "ssh+git"
        ) {
            return None;
        }
        rest.split_once('/')?
    } else {
        // scp-like: [user@]host:path, but not a Windows or relative path.
        let (host, path) = url.split_once(':')?;
        if host.contains('/') || host.len() < 2 {
            return None;
        }
        (host, path)
    };
    let host = host.rsplit('@').next()?;
    let host = host.split(':').next()?.to_ascii_lowercase();
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    if host.is_empty() || path.is_empty() {
        return None;
    }
    let base = format!("https://{host}/{}/", encode(path));
    NamedNode::new(base.as_str()).ok().map(|_| base)
}

/// What graph building needs to know about the whole repository.
pub struct Context<'a> {
    pub iris: &'a Iris,
    /// Every feature, item and task id defined by some spec: what references name, and which
    /// mentions are real.
    pub ids: &'a Resolver,
}

struct GraphWriter {
    graph: GraphName,
    quads: Vec<Quad>,
}

impl GraphWriter {
    fn new(graph: NamedNode) -> Self {
        GraphWriter {
            graph: graph.into(),
            quads: Vec::new(),
        }
    }

    fn add(&mut self, subject: &NamedNode, predicate: NamedNodeRef<'_>, object: impl Into<Term>) {
        self.quads.push(Quad::new(
            subject.clone(),
            predicate.into_owned(),
            object.into(),
            self.graph.clone(),
        ));
    }

    fn text(&mut self, subject: &NamedNode, predicate: NamedNodeRef<'_>, value: &str) {
        self.add(subject, predicate, Literal::new_simple_literal(value));
    }

    fn number(&mut self, subject: &NamedNode, predicate: NamedNodeRef<'_>, value: impl Into<i64>) {
        self.add(subject, predicate, Literal::from(value.into()));
    }

    fn types(&mut self, subject: &NamedNode, classes: &[NamedNodeRef<'_>]) {
        for class in classes {
            self.add(subject, rdf::TYPE, class.into_owned());
        }
    }

    fn position(&mut self, subject: &NamedNode, file: &NamedNode, line: u32, column: u32) {
        self.add(subject, kg::IN_FILE, file.clone());
        self.number(subject, kg::LINE, line);
        self.number(subject, kg::COLUMN, column);
    }
}

/// The quads of one file's named graph (the graph is the file's IRI).
pub fn file_quads(facts: &FileFacts, context: &Context<'_>) -> Vec<Quad> {
    let iris = context.iris;
    let file = iris.file(&facts.path);
    let mut w = GraphWriter::new(file.clone());

    let kind_class = match facts.kind {
        FileKind::Spec => kg::SPEC_FILE,
        FileKind::Doc => kg::DOC_FILE,
        FileKind::Code(_) => kg::CODE_FILE,
        FileKind::Text => kg::TEXT_FILE,
    };
    w.types(&file, &[kg::FILE, kind_class]);
    w.text(&file, kg::PATH, &facts.path);
    w.text(&file, kg::BLOB, &facts.blob);
    w.number(&file, kg::SIZE, facts.size as i64);
    w.number(&file, kg::LINE_COUNT, facts.lines);
    if let FileKind::Code(language) = facts.kind {
        w.text(&file, kg::LANGUAGE, language.tag());
    }
    if facts.is_test_file {
        w.add(&file, kg::TEST_FILE, Literal::from(true));
    }
    if facts.skipped {
        w.add(&file, kg::SKIPPED, Literal::from(true));
    }

    write_features(&mut w, facts, &file, iris);
    let definitions = write_definitions(&mut w, facts, &file, iris);
    let sections = write_sections(&mut w, facts, &file, iris);
    let anchor = |a: Anchor| match a {
        Anchor::File => file.clone(),
        Anchor::Definition(i) => definitions[i].clone(),
        Anchor::Section(i) => sections[i].clone(),
    };

    let mut calls = BTreeSet::new();
    for call in &facts.calls {
        let caller = call
            .caller
            .map_or_else(|| file.clone(), |i| definitions[i].clone());
        if calls.insert((caller.clone(), call.callee.as_str())) {
            w.text(&caller, kg::CALLS_NAME, &call.callee);
            // A qualified callee is also findable by the name it calls.
            let name = crate::link::calls::called_name(&call.callee);
            if name != call.callee {
                w.text(&caller, kg::CALLS_BARE_NAME, name);
            }
            // So is a call through an import alias (`use a::check as c; c()`), by the name it
            // imports.
            for name in crate::link::calls::aliased_names(&call.callee, &facts.imports) {
                w.text(&caller, kg::CALLS_BARE_NAME, name);
            }
        }
    }
    for import in &facts.imports {
        w.text(&file, kg::IMPORTS, &import.to_literal());
    }

    for reference in &facts.references {
        let resolution = context.ids.resolve(&facts.path, reference);
        // The full id the reference names (as written when it names none for certain), and
        // the items it links.
        let target_id = match &resolution {
            Resolution::Unknown { report: false } => continue,
            Resolution::Item(id) | Resolution::Task { task: id, .. } => id.clone(),
            Resolution::Ambiguous(_) | Resolution::Unknown { .. } => reference.target.clone(),
        };
        let items = resolution.linked_items(reference);
        let node = reference_node(&file, reference.position);
        let source = anchor(reference.anchor);
        let link = match reference.relation {
            Relation::Implements => oslc_rm::IMPLEMENTED_BY,
            Relation::Verifies => oslc_rm::VALIDATED_BY,
            Relation::Documents => oslc_rm::ELABORATED_BY,
            Relation::Covers => kg::COVERED_BY,
        };
        w.types(&node, &[kg::REFERENCE]);
        w.add(&node, kg::SOURCE, source.clone());
        match &resolution {
            Resolution::Task { task, .. } => w.add(&node, kg::TARGET, iris.task(task)),
            Resolution::Ambiguous(candidates) => {
                for candidate in candidates {
                    w.text(&node, kg::CANDIDATE, candidate);
                }
            }
            _ => {
                for item in &items {
                    w.add(&node, kg::TARGET, iris.requirement(item));
                }
            }
        }
        w.text(&node, kg::TARGET_ID, &target_id);
        if reference.local {
            w.text(&node, kg::WRITTEN_ID, &reference.target);
        }
        // A tag written for a version of its requirement (tracey's `r[impl link+2]`,
        // OpenFastTrace's `[impl->dsn~x~2]`), and the artifact type it covers with.
        if let (_, Some(version)) = reference.tool.versioned(&reference.target) {
            w.number(&node, kg::VERSION, version);
        }
        if let Some(artifact) = &reference.artifact {
            w.text(&node, kg::ARTIFACT, artifact);
        }
        if let Some(quote) = &reference.quote {
            w.text(&node, kg::QUOTE, quote);
        }
        w.text(&node, kg::MARKER, reference.marker.marker());
        w.add(&node, kg::RELATION, link.into_owned());
        w.position(
            &node,
            &file,
            reference.position.line,
            reference.position.column,
        );
        for item in &items {
            w.add(&iris.requirement(item), link, source.clone());
        }
    }

    for task in &facts.tasks {
        write_task(&mut w, task, &file, iris);
    }
    write_proposals(&mut w, facts, iris);

    for mention in &facts.mentions {
        if !context.ids.known_ids().contains(&mention.target) {
            continue;
        }
        let node = NamedNode::new_unchecked(format!(
            "{}#mention-{}-{}",
            file.as_str(),
            mention.position.line,
            mention.position.column
        ));
        let source = anchor(mention.anchor);
        let target = iris.requirement(&mention.target);
        w.types(&node, &[kg::MENTION]);
        w.add(&node, kg::SOURCE, source.clone());
        w.add(&node, kg::TARGET, target.clone());
        w.text(&node, kg::TARGET_ID, &mention.target);
        w.position(&node, &file, mention.position.line, mention.position.column);
        w.add(&target, kg::MENTIONED_IN, source);
    }

    for (n, diagnostic) in facts.diagnostics.iter().enumerate() {
        let node = NamedNode::new_unchecked(format!("{}#diagnostic-{}", file.as_str(), n + 1));
        write_diagnostic(&mut w, &node, diagnostic, &file);
    }
    w.quads
}

/// A task: its id, text and state, its feature (or OpenSpec change), the items it serves, the
/// tasks it depends on and the paths it names. A change's task serves what the change proposes
/// (`kg:inChange`, then the change's `kg:proposes`, written by its delta specs).
fn write_task(w: &mut GraphWriter, task: &Task, file: &NamedNode, iris: &Iris) {
    let node_of = |id: &str| {
        if task.in_change {
            iris.change_task(&task.feature, id)
        } else {
            iris.task(&format!("{}/{id}", task.feature))
        }
    };
    let node = node_of(&task.id);
    w.types(&node, &[kg::TASK]);
    w.text(&node, dcterms::IDENTIFIER, &task.id);
    w.text(&node, dcterms::TITLE, &task.text);
    w.add(&node, kg::DONE, Literal::from(task.done));
    if task.in_change {
        let change = iris.change(&task.feature);
        w.types(&change, &[kg::SPEC_CHANGE]);
        w.text(&change, dcterms::IDENTIFIER, &task.feature);
        w.add(&node, kg::IN_CHANGE, change);
    } else {
        w.add(&node, kg::FEATURE_PROP, iris.requirement(&task.feature));
        for item in &task.items {
            w.add(
                &node,
                kg::SERVES,
                iris.requirement(&format!("{}/{item}", task.feature)),
            );
        }
    }
    for depends in &task.depends {
        w.add(&node, kg::DEPENDS_ON, node_of(depends));
    }
    for path in &task.paths {
        w.text(&node, kg::NAMES_PATH, path);
    }
    w.add(&node, kg::IN_FILE, file.clone());
    w.number(&node, kg::LINE, task.line);
}

/// What an OpenSpec delta spec proposes: the change `kg:proposes` each requirement it adds,
/// modifies, removes or renames.
fn write_proposals(w: &mut GraphWriter, facts: &FileFacts, iris: &Iris) {
    let Some(change) = crate::parse::spec::openspec::change_of(&facts.path) else {
        return;
    };
    if facts.proposes.is_empty() {
        return;
    }
    let node = iris.change(change);
    w.types(&node, &[kg::SPEC_CHANGE]);
    w.text(&node, dcterms::IDENTIFIER, change);
    for id in &facts.proposes {
        w.add(&node, kg::PROPOSES, iris.requirement(id));
    }
}

fn write_features(w: &mut GraphWriter, facts: &FileFacts, file: &NamedNode, iris: &Iris) {
    for feature in &facts.features {
        let node = iris.requirement(&feature.name);
        w.types(&node, &[kg::FEATURE, oslc_rm::REQUIREMENT_COLLECTION]);
        w.text(&node, dcterms::IDENTIFIER, &feature.name);
        w.text(&node, dcterms::TITLE, &feature.name);
        // A feature another tool defines (a tracey spec set, an OpenFastTrace document),
        // whose ids only that tool's tags name.
        if feature.tool != Tool::Kg {
            w.text(&node, kg::TOOL, feature.tool.name());
        }
        if let Some(description) = &feature.description {
            w.text(&node, dcterms::DESCRIPTION, description);
        }
        if let Some(version) = &feature.spec_version {
            w.text(&node, kg::SPEC_VERSION, version);
        }
        if let Some(owner) = &feature.owner {
            w.text(&node, kg::OWNER, owner);
        }
        w.add(&node, kg::IN_FILE, file.clone());
        w.number(&node, kg::LINE, feature.line);
        write_attributes(w, &node, &feature.extra);
        for (n, dependency) in feature.dependencies.iter().enumerate() {
            let dep = NamedNode::new_unchecked(format!("{}#dependency-{}", node.as_str(), n + 1));
            w.types(&dep, &[kg::DEPENDENCY]);
            w.text(&dep, kg::NAME, &dependency.name);
            if let Some(description) = &dependency.description {
                w.text(&dep, dcterms::DESCRIPTION, description);
            }
            w.add(&dep, kg::IN_FILE, file.clone());
            w.number(&dep, kg::LINE, dependency.line);
            w.add(&node, kg::DEPENDENCY_PROP, dep);
        }
        for item in &feature.items {
            let id = format!("{}/{}", feature.name, item.local_id);
            let item_node = iris.requirement(&id);
            let class = match item.kind {
                ItemKind::Acceptance => kg::ACCEPTANCE_CRITERION,
                ItemKind::Nfr { .. } => kg::NON_FUNCTIONAL_REQUIREMENT,
            };
            w.types(&item_node, &[oslc_rm::REQUIREMENT, class]);
            w.text(&item_node, dcterms::IDENTIFIER, &id);
            w.text(&item_node, dcterms::DESCRIPTION, &item.text);
            w.add(&item_node, kg::FEATURE_PROP, node.clone());
            w.text(&item_node, kg::LOCAL_ID, &item.local_id);
            w.add(&item_node, kg::EXPLICIT_ID, Literal::from(item.explicit_id));
            w.number(&item_node, kg::POSITION, item.position);
            if let ItemKind::Nfr { category } = &item.kind {
                w.text(&item_node, kg::CATEGORY, category);
            }
            w.add(&item_node, kg::IN_FILE, file.clone());
            w.number(&item_node, kg::LINE, item.line);
            write_attributes(w, &item_node, &item.extra);
            w.add(&node, oslc_rm::USES, item_node);
        }
    }
}

fn write_attributes(
    w: &mut GraphWriter,
    owner: &NamedNode,
    extra: &std::collections::BTreeMap<String, String>,
) {
    for (key, value) in extra {
        let node =
            NamedNode::new_unchecked(format!("{}#attribute-{}", owner.as_str(), encode(key)));
        w.types(&node, &[kg::ATTRIBUTE]);
        w.text(&node, kg::KEY, key);
        w.text(&node, rdf::VALUE, value);
        w.add(owner, kg::ATTRIBUTE_PROP, node);
    }
}

fn write_definitions(
    w: &mut GraphWriter,
    facts: &FileFacts,
    file: &NamedNode,
    iris: &Iris,
) -> Vec<NamedNode> {
    let language = match facts.kind {
        FileKind::Code(language) => language.tag(),
        _ => "",
    };
    let nodes: Vec<NamedNode> = facts
        .definitions
        .iter()
        .map(|d| iris.symbol(language, &facts.path, &d.qualified_name))
        .collect();
    for (definition, node) in facts.definitions.iter().zip(&nodes) {
        w.types(node, &[kg::DEFINITION]);
        if definition.is_test {
            w.types(node, &[kg::TEST, oslc_qm::TEST_CASE]);
        }
        w.text(node, kg::KIND, definition.kind.as_str());
        w.text(node, kg::NAME, &definition.name);
        w.text(node, kg::QUALIFIED_NAME, &definition.qualified_name);
        w.text(node, kg::LANGUAGE, language);
        w.add(node, kg::IN_FILE, file.clone());
        w.number(node, kg::START_LINE, definition.start_line);
        w.number(node, kg::END_LINE, definition.end_line);
        if let Some(parent) = definition.parent {
            w.add(node, kg::PARENT, nodes[parent].clone());
        }
    }
    nodes
}

fn write_sections(
    w: &mut GraphWriter,
    facts: &FileFacts,
    file: &NamedNode,
    iris: &Iris,
) -> Vec<NamedNode> {
    let nodes: Vec<NamedNode> = section_keys(&facts.sections)
        .iter()
        .map(|key| iris.section(&facts.path, key))
        .collect();
    for (section, node) in facts.sections.iter().zip(&nodes) {
        w.types(node, &[kg::DOC_SECTION]);
        w.text(node, dcterms::TITLE, &section.title);
        w.text(node, kg::HEADING_PATH, &section.heading_path.join(" > "));
        w.number(node, kg::LEVEL, section.level);
        w.add(node, kg::IN_FILE, file.clone());
        w.number(node, kg::START_LINE, section.start_line);
        w.number(node, kg::END_LINE, section.end_line);
        if let Some(parent) = section.parent {
            w.add(node, kg::PARENT, nodes[parent].clone());
        }
    }
    nodes
}

/// Each section's key within its file: its heading path, made unique with `~2`, `~3`.
pub fn section_keys(sections: &[crate::facts::DocSection]) -> Vec<String> {
    let mut seen: HashMap<String, u32> = HashMap::new();
    sections
        .iter()
        .map(|s| {
            let path = s.heading_path.join(" > ");
            let count = seen.entry(path.clone()).or_insert(0);
            *count += 1;
            if *count == 1 {
                path
            } else {
                format!("{path}~{count}")
            }
        })
        .collect()
}

fn write_diagnostic(
    w: &mut GraphWriter,
    node: &NamedNode,
    diagnostic: &Diagnostic,
    file: &NamedNode,
) {
    w.types(node, &[kg::DIAGNOSTIC]);
    w.text(node, kg::SEVERITY, diagnostic.severity.as_str());
    w.text(node, kg::MESSAGE, &diagnostic.message);
    w.add(node, kg::IN_FILE, file.clone());
    if let Some(p) = diagnostic.position {
        w.number(node, kg::LINE, p.line);
        w.number(node, kg::COLUMN, p.column);
    }
}

/// The quads of the bookkeeping graph: which commit is indexed and each file graph's blob.
pub fn meta_quads(
    iris: &Iris,
    commit: &str,
    files: &[(String, String)],
    shallow: bool,
) -> Vec<Quad> {
    let mut w = GraphWriter::new(iris.meta_graph());
    let repo = iris.repository();
    w.types(&repo, &[kg::REPOSITORY]);
    w.text(&repo, kg::INDEXED_COMMIT, commit);
    w.number(&repo, kg::INDEX_FORMAT, INDEX_FORMAT);
    w.text(&repo, kg::TOOL_VERSION, env!("CARGO_PKG_VERSION"));
    if shallow {
        w.add(&repo, kg::SHALLOW, Literal::from(true));
    }
    for (path, blob) in files {
        w.text(&iris.file(path), kg::BLOB, blob);
    }
    w.quads
}

/// The quads of symbolic links and submodules: recorded with their target or commit, never
/// followed. A link whose target leaves the repository says so.
pub fn special_quads(iris: &Iris, entries: &[crate::git::SpecialEntry]) -> Vec<Quad> {
    use crate::git::SpecialEntry;
    let mut w = GraphWriter::new(iris.tree_graph());
    for entry in entries {
        match entry {
            SpecialEntry::Symlink { path, target } => {
                let node = iris.file(path);
                w.types(&node, &[kg::SYMLINK]);
                w.text(&node, kg::PATH, path);
                w.text(&node, kg::LINK_TARGET, target);
                w.add(
                    &node,
                    kg::POINTS_OUTSIDE,
                    Literal::from(points_outside(path, target)),
                );
            }
            SpecialEntry::Submodule { path, commit } => {
                let node = iris.file(path);
                w.types(&node, &[kg::SUBMODULE]);
                w.text(&node, kg::PATH, path);
                w.text(&node, kg::SUBMODULE_COMMIT, &commit.to_string());
            }
        }
    }
    w.quads
}

/// Whether a link at `path` to `target` leaves the repository (absolute, or too many `..`).
fn points_outside(path: &str, target: &str) -> bool {
    if target.starts_with('/') {
        return true;
    }
    let mut depth = path.matches('/').count() as i64;
    for part in target.split('/') {
        match part {
            ".." => depth -= 1,
            "." | "" => {}
            _ => depth += 1,
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

/// The quad of one resolved call, in the calls graph.
pub fn call_quad(iris: &Iris, edge: &crate::link::calls::CallEdge) -> Quad {
    let predicate = if edge.ambiguous {
        kg::CALLS_AMBIGUOUS
    } else {
        kg::CALLS
    };
    Quad::new(
        NamedNode::new_unchecked(edge.caller.as_str()),
        predicate.into_owned(),
        NamedNode::new_unchecked(edge.callee.as_str()),
        iris.calls_graph(),
    )
}

/// The quads of the repository-wide diagnostics graph.
/// A diagnostic about a reference carries its `kg:code` (`dangling-reference`,
/// `ambiguous-reference`) and `kg:about` the reference node.
pub fn diagnostics_quads(
    iris: &Iris,
    diagnostics: &[(Diagnostic, Option<(String, &str)>)],
) -> Vec<Quad> {
    let mut w = GraphWriter::new(iris.diagnostics_graph());
    for (n, (diagnostic, about)) in diagnostics.iter().enumerate() {
        let node =
            NamedNode::new_unchecked(format!("{}#{}", iris.diagnostics_graph().as_str(), n + 1));
        write_diagnostic(&mut w, &node, diagnostic, &iris.file(&diagnostic.path));
        if let Some((reference, code)) = about {
            w.text(&node, kg::CODE, code);
            w.add(
                &node,
                kg::ABOUT,
                NamedNode::new_unchecked(reference.as_str()),
            );
        }
    }
    w.quads
}

/// The node of the reference written at `position` in `file`.
pub fn reference_node(file: &NamedNode, position: crate::facts::Position) -> NamedNode {
    NamedNode::new_unchecked(format!(
        "{}#ref-{}-{}",
        file.as_str(),
        position.line,
        position.column
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_in_files_are_located_from_their_iris() {
        // A base that itself holds the words kg uses in its IRIs.
        let iris = Iris::new("https://example.com/file/sym/doc/".to_owned());
        let odd = "src/a b#c/ünï.rs";
        let cases = [
            (iris.file(odd), (odd, None)),
            (
                iris.symbol("rs", odd, "<Gateway as Display>::fmt#2"),
                (odd, Some("<Gateway as Display>::fmt#2")),
            ),
            (
                iris.section("docs/x.md", "Upload > Limits"),
                ("docs/x.md", Some("Upload > Limits")),
            ),
        ];
        for (node, (path, name)) in cases {
            let want = Some((path.to_owned(), name.map(str::to_owned)));
            assert_eq!(iris.located(node.as_str()), want, "{node}");
        }
        assert_eq!(
            iris.located("https://example.com/file/sym/doc/req/a/AC-1"),
            None
        );
        assert_eq!(iris.located("https://elsewhere.org/file/a.rs"), None);
    }

    #[test]
    fn bases_from_remotes_do_not_depend_on_the_protocol() {
        for remote in [
            "https://github.com/acme/shop.git",
            "https://user:token@GitHub.com/acme/shop",
            "git@github.com:acme/shop.git",
            "ssh://git@github.com:22/acme/shop.git",
        ] {
            assert_eq!(
                derive_base(Some(remote), "abc"),
                "https://github.com/acme/shop/",
                "{remote}"
            );
        }
        for local in [
            "/srv/git/shop.git",
            "../shop",
            "file:///srv/shop",
            "C:\\x\\y",
        ] {
            assert_eq!(derive_base(Some(local), "abc"), "urn:kg:abc/", "{local}");
        }
        assert_eq!(derive_base(None, "abc"), "urn:kg:abc/");
    }

    #[test]
    fn iris_encode_what_iris_cannot_hold() {
        let iris = Iris::new("urn:kg:abc/");
        assert_eq!(
            iris.symbol("rust", "src/a b.rs", "<Gateway as fmt::Display>::fmt")
                .as_str(),
            "urn:kg:abc/sym/rust/src/a%20b.rs#%3CGateway%20as%20fmt::Display%3E::fmt"
        );
        assert_eq!(
            iris.requirement("imageUpload/AC-1").as_str(),
            "urn:kg:abc/req/imageUpload/AC-1"
        );
    }
}
