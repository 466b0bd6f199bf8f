//! The repository-wide step both runs end with: diagnostics that need every file (dangling
//! references), links and submodules, the bookkeeping graph, and writing only differences.

use super::*;

/// What the repository-wide step wrote.
pub(super) struct Global {
    pub(super) diagnostics: Vec<Diagnostic>,
    pub(super) dangling: usize,
    pub(super) ambiguous: usize,
    /// The bookkeeping graph: the repository and every file's blob.
    pub(super) meta: Vec<Quad>,
    /// The diagnostics and tree graphs, small enough to be replaced whole.
    pub(super) others: Vec<Quad>,
}

/// The dangling and ambiguous references the last run found.
pub(super) const DANGLING_BEFORE: &str = "SELECT ?ref WHERE {
  ?diagnostic kg:code ?code ; kg:about ?ref
  FILTER(?code IN (\"dangling-reference\", \"ambiguous-reference\"))
}";

/// How `finish` finds the dangling references.
pub(super) enum DanglingFrom<'a> {
    /// From the facts of every file (a full build has them all in memory).
    Facts(&'a [FileFacts]),
    /// The ids did not change: the previous ones, plus those in the changed files.
    Carry {
        update: &'a Update<'a>,
        changed_paths: &'a HashSet<&'a str>,
        changed: &'a [&'a FileFacts],
    },
}

/// Where the references in `VALUES ?ref` stand (trailer references stand in no file), and the
/// local id as written.
pub(super) const REFERENCE_DETAILS: &str =
    "SELECT ?path ?line ?column ?marker ?id ?ref ?written WHERE {
  ?ref a kg:Reference ; kg:targetId ?id ; kg:marker ?marker ;
       kg:inFile/kg:path ?path ; kg:line ?line ; kg:column ?column .
  OPTIONAL { ?ref kg:writtenId ?written }
}";

/// The ids the ambiguous references in `VALUES ?ref` may name.
pub(super) const REFERENCE_CANDIDATES: &str =
    "SELECT ?ref ?candidate WHERE { ?ref kg:candidate ?candidate }";

/// A reference that names an unknown id, or a local id that several features define.
pub(super) struct Dangling {
    pub(super) path: String,
    pub(super) position: Position,
    pub(super) marker: String,
    /// The id as written.
    pub(super) id: String,
    /// Whether it is a local id (`FR-003`), written without a marker.
    pub(super) local: bool,
    /// The reference's node, which the diagnostic is about.
    pub(super) node: String,
    /// For an ambiguous reference, the ids it may name.
    pub(super) candidates: Vec<String>,
}

/// The references written in `files` that name nothing, or nothing for certain.
pub(super) fn dangling_in<'a>(
    files: impl IntoIterator<Item = &'a FileFacts>,
    iris: &Iris,
    ids: &Resolver,
) -> Vec<Dangling> {
    let mut found = Vec::new();
    for facts in files {
        let file = iris.file(&facts.path);
        for reference in &facts.references {
            let candidates = match ids.resolve(&facts.path, reference) {
                Resolution::Unknown { report: true } => Vec::new(),
                Resolution::Ambiguous(candidates) => candidates,
                _ => continue,
            };
            found.push(Dangling {
                path: facts.path.clone(),
                position: reference.position,
                marker: reference.marker.marker().to_owned(),
                id: reference.target.clone(),
                local: reference.local,
                node: graph::reference_node(&file, reference.position)
                    .as_str()
                    .to_owned(),
                candidates,
            });
        }
    }
    found
}

/// Where the stored references `nodes` (in SPARQL syntax) stand.
pub(super) fn stored_dangling(
    update: &Update<'_>,
    nodes: &[String],
) -> Result<Vec<Dangling>, IndexError> {
    if nodes.is_empty() {
        return Ok(Vec::new());
    }
    let text = |term: &Option<Term>| cell(term).unwrap_or_default();
    let values = format!("VALUES ?ref {{ {} }}", nodes.join(" "));
    let mut candidates: HashMap<String, Vec<String>> = HashMap::new();
    for row in update.select(&format!("{REFERENCE_CANDIDATES}\n{values}"))? {
        if let Some(Term::NamedNode(node)) = &row[0] {
            candidates
                .entry(node.as_str().to_owned())
                .or_default()
                .push(text(&row[1]));
        }
    }
    let rows = update.select(&format!("{REFERENCE_DETAILS}\n{values}"))?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let Some(Term::NamedNode(node)) = &row[5] else {
                return None;
            };
            let written = cell(&row[6]);
            let mut candidates = candidates.remove(node.as_str()).unwrap_or_default();
            candidates.sort();
            Some(Dangling {
                path: text(&row[0]),
                position: Position {
                    line: text(&row[1]).parse().unwrap_or(0),
                    column: text(&row[2]).parse().unwrap_or(0),
                },
                marker: text(&row[3]),
                local: written.is_some(),
                id: written.unwrap_or_else(|| text(&row[4])),
                node: node.as_str().to_owned(),
                candidates,
            })
        })
        .collect())
}

/// The last step of every run, full or incremental: repository-wide diagnostics (dangling
/// references, features defined twice, file names), links and submodules, and the bookkeeping
/// graph, in the same transaction as the file graphs of an incremental run.
pub(super) fn finish(
    snapshot: &Snapshot,
    specs: &Specs,
    blobs: Vec<(String, String)>,
    shallow: bool,
    dangling_from: DanglingFrom<'_>,
) -> Result<Global, IndexError> {
    let mut diagnostics: Vec<(Diagnostic, Option<(String, &str)>)> = snapshot
        .diagnostics
        .iter()
        .chain(&specs.diagnostics)
        .map(|d| (d.clone(), None))
        .collect();
    let found = match dangling_from {
        DanglingFrom::Facts(all) => dangling_in(all, &snapshot.iris, &specs.ids),
        // No spec changed, so the ids are the same: the dangling references are those that were
        // (the ones in changed files are gone from the store and drop out below) and those in
        // the changed files.
        DanglingFrom::Carry {
            update,
            changed_paths,
            changed,
        } => {
            // A reference node is named by its file and position, so the ones of changed files
            // may now name other references: those come from the changed files' facts instead.
            let changed_files: Vec<String> = changed_paths
                .iter()
                .map(|path| format!("<{}#", snapshot.iris.file(path).as_str()))
                .collect();
            let before: Vec<String> = update
                .select(DANGLING_BEFORE)?
                .into_iter()
                .filter_map(|row| row[0].as_ref().map(Term::to_string))
                .filter(|node| {
                    !changed_files
                        .iter()
                        .any(|prefix| node.starts_with(prefix.as_str()))
                })
                .collect();
            let mut found = stored_dangling(update, &before)?;
            found.extend(dangling_in(
                changed.iter().copied(),
                &snapshot.iris,
                &specs.ids,
            ));
            found
        }
    };
    let ambiguous = found.iter().filter(|r| !r.candidates.is_empty()).count();
    let dangling = found.len() - ambiguous;
    for reference in found {
        let id = &reference.id;
        let written = if reference.local {
            format!("`{id}`")
        } else {
            format!("`{}: {id}`", reference.marker)
        };
        let (message, code) = if reference.candidates.is_empty() {
            let feature = id.split('/').next().unwrap_or("");
            let hint = if reference.local {
                "no feature defines it as an item or a task"
            } else if id.contains('/') && specs.ids.known_ids().contains(feature) {
                &format!("feature `{feature}` has no item with that id")
            } else {
                "no spec defines it"
            };
            (
                format!("dangling reference: {written} names an unknown id ({hint})"),
                "dangling-reference",
            )
        } else {
            (
                format!(
                    "ambiguous reference: {written} may name {}; no link was made (name the feature in the same comment: a path of its spec, or `Feature: <feature>`)",
                    reference.candidates.join(" or ")
                ),
                "ambiguous-reference",
            )
        };
        let diagnostic = Diagnostic::new(
            Severity::Warning,
            &reference.path,
            Some(reference.position),
            message,
        );
        diagnostics.push((diagnostic, Some((reference.node, code))));
    }
    diagnostics.sort();
    let iris = &snapshot.iris;
    let meta = graph::meta_quads(iris, &snapshot.head.to_string(), &blobs, shallow);
    let mut others = graph::diagnostics_quads(iris, &diagnostics);
    others.extend(graph::special_quads(iris, &snapshot.special));
    Ok(Global {
        diagnostics: diagnostics.into_iter().map(|(d, _)| d).collect(),
        dangling,
        ambiguous,
        meta,
        others,
    })
}

/// Brings the bookkeeping graph forward: from one commit to the next only the repository's
/// node and the changed files' blobs can differ, so only those are read back and compared.
pub(super) fn update_meta(
    update: &mut Update<'_>,
    iris: &Iris,
    quads: Vec<Quad>,
    changed: &HashSet<&str>,
) -> Result<(), IndexError> {
    let subjects: HashSet<oxigraph::model::NamedNode> = std::iter::once(iris.repository())
        .chain(changed.iter().map(|path| iris.file(path)))
        .collect();
    let wanted: Vec<Quad> = quads
        .into_iter()
        .filter(|q| matches!(&q.subject, oxigraph::model::NamedOrBlankNode::NamedNode(n) if subjects.contains(n)))
        .collect();
    let present = update.quads_about(&iris.meta_graph(), &subjects)?;
    write_difference(update, present, wanted);
    Ok(())
}

/// Removes what is `present` but not `wanted`, and inserts what is wanted but not present.
pub(super) fn write_difference(update: &mut Update<'_>, present: Vec<Quad>, wanted: Vec<Quad>) {
    let present: HashSet<Quad> = present.into_iter().collect();
    let wanted: HashSet<Quad> = wanted.into_iter().collect();
    let stale: Vec<Quad> = present.difference(&wanted).cloned().collect();
    let missing: Vec<Quad> = wanted.difference(&present).cloned().collect();
    update.remove(&stale);
    update.insert(&missing);
}

/// Makes `graphs` hold exactly `quads`, writing only the difference.
pub(super) fn replace_graphs(
    update: &mut Update<'_>,
    graphs: &[oxigraph::model::NamedNode],
    quads: Vec<Quad>,
) -> Result<(), IndexError> {
    let mut present = Vec::new();
    for graph in graphs {
        present.extend(update.graph_quads(graph)?);
    }
    write_difference(update, present, quads);
    Ok(())
}
