//! History in the index: the file versions history needs, commits and their item changes,
//! trailer links aggregated over commits and checked against HEAD, and the lineage.

use super::*;
use crate::facts::Task;
use crate::parse::spec::openspec;

/// Brings the lineage graph forward by the commits of `chain`: only the files they change and
/// the items whose ids their item changes name can differ, so only those are read back.
pub(super) fn update_lineage(
    update: &mut Update<'_>,
    iris: &Iris,
    chain: &[ObjectId],
    commits: &[CommitInfo],
    item_changes: &HashMap<ObjectId, Vec<ItemChange>>,
) -> Result<(), IndexError> {
    let on_chain: HashSet<&ObjectId> = chain.iter().collect();
    let paths: BTreeSet<&str> = commits
        .iter()
        .filter(|c| on_chain.contains(&c.id))
        .flat_map(|c| c.changes.iter().map(|f| f.path.as_str()))
        .collect();
    let ids: BTreeSet<&str> = chain
        .iter()
        .filter_map(|id| item_changes.get(id))
        .flatten()
        .flat_map(|c| std::iter::once(c.id.as_str()).chain(c.previous_id.as_deref()))
        .collect();
    let before = read_lineage(update, iris, &paths, &ids)?;
    let mut after = before.clone();
    apply_lineage(&mut after, chain, commits, item_changes);
    write_difference(
        update,
        graph::history::lineage_quads(iris, &before),
        graph::history::lineage_quads(iris, &after),
    );
    Ok(())
}

/// Which definitions, doc sections and files of some files are at HEAD: where a trailer link
/// is evidence.
pub(super) struct FactsAtHead<'f> {
    /// Per file, its facts and the names links anchor to: qualified names in code, section
    /// keys in docs.
    pub(super) by_path: HashMap<&'f str, (&'f FileFacts, HashSet<String>)>,
}

impl<'f> FactsAtHead<'f> {
    pub(super) fn new(all: impl Iterator<Item = &'f FileFacts>) -> Self {
        let by_path = all
            .map(|f| {
                let names = match f.kind {
                    FileKind::Code(_) => f
                        .definitions
                        .iter()
                        .map(|d| d.qualified_name.clone())
                        .collect(),
                    _ => graph::section_keys(&f.sections).into_iter().collect(),
                };
                (f.path.as_str(), (f, names))
            })
            .collect();
        FactsAtHead { by_path }
    }

    /// Whether the link's anchor is in these files at HEAD.
    pub(super) fn holds(&self, link: &TrailerLink) -> bool {
        let Some((facts, names)) = self.by_path.get(link.path.as_str()) else {
            return false;
        };
        match &link.anchor {
            LinkAnchor::File => true,
            LinkAnchor::Section { key } => names.contains(key),
            LinkAnchor::Definition {
                language,
                qualified_name,
            } => {
                matches!(facts.kind, FileKind::Code(l) if l.tag() == *language)
                    && names.contains(qualified_name)
            }
        }
    }
}

/// Brings the links graph forward: the links the new commits' trailers make are added to what
/// the store holds of them, and the links into changed files are checked against HEAD again.
/// Only those links are read back and rewritten.
pub(super) fn update_links(
    repo: &Repo,
    update: &mut Update<'_>,
    iris: &Iris,
    new_links: HistoryLinks,
    changed: &HashSet<&str>,
    changed_at_head: &FactsAtHead<'_>,
) -> Result<(), IndexError> {
    let mut by_via: BTreeMap<Via, HistoryLinks> = BTreeMap::new();
    for (link, support) in new_links {
        by_via.entry(link.via).or_default().insert(link, support);
    }
    for via in Via::ALL {
        let new_links = by_via.remove(&via).unwrap_or_default();
        update_links_via(repo, update, iris, via, new_links, changed, changed_at_head)?;
    }
    Ok(())
}

/// [`update_links`] for the links of one way, in its graph.
fn update_links_via(
    repo: &Repo,
    update: &mut Update<'_>,
    iris: &Iris,
    via: Via,
    new_links: HistoryLinks,
    changed: &HashSet<&str>,
    changed_at_head: &FactsAtHead<'_>,
) -> Result<(), IndexError> {
    let nodes = iri_values(
        new_links
            .keys()
            .map(|link| graph::history::link_node(iris, link).into_string()),
    );
    let paths = literal_values(changed.iter().copied());
    let rows = update.select(&format!(
        "SELECT ?link ?latest ?count ?type WHERE {{ GRAPH <{}> {{
           {{ VALUES ?link {{ {nodes} }} }} UNION {{ VALUES ?path {{ {paths} }} ?link kg:path ?path }}
           ?link kg:commit ?latest ; kg:commitCount ?count .
           OPTIONAL {{ ?link a ?type }} }} }}",
        iris.links_graph(via).as_str()
    ))?;
    let commit_prefix = format!("{}commit/", iris.base());
    let mut before: Vec<(TrailerLink, graph::history::LinkSupport, bool)> = Vec::new();
    for row in rows {
        let (Some(node), Some(latest), Some(count)) = (cell(&row[0]), cell(&row[1]), cell(&row[2]))
        else {
            continue;
        };
        let Some(link) = graph::history::link_of_node(iris, via, &node) else {
            continue;
        };
        let Some(latest) = latest.strip_prefix(&commit_prefix) else {
            continue;
        };
        let Ok(latest_id) = ObjectId::from_hex(latest.as_bytes()) else {
            continue;
        };
        let support = graph::history::LinkSupport {
            commits: count.parse().unwrap_or(0),
            latest: latest.to_owned(),
            latest_seconds: repo.commit_time(latest_id)?,
        };
        before.push((link, support, row[3].is_some()));
    }
    let mut after: BTreeMap<TrailerLink, (graph::history::LinkSupport, Option<bool>)> = before
        .iter()
        .map(|(link, support, live)| (link.clone(), (support.clone(), Some(*live))))
        .collect();
    for (link, support) in new_links {
        after
            .entry(link)
            .and_modify(|(s, _)| s.add(&support))
            .or_insert((support, None));
    }
    // Whether an anchor is at HEAD: the changed files say so for themselves; elsewhere it is as
    // the store has it (a link the store had), or as the files' graphs have it.
    let unknown: Vec<String> = after
        .iter()
        .filter(|(link, (_, live))| live.is_none() && !changed.contains(link.path.as_str()))
        .map(|(link, _)| graph::history::link_source(iris, link).into_string())
        .collect();
    let typed: HashSet<String> = if unknown.is_empty() {
        HashSet::new()
    } else {
        update
            .select(&format!(
                "SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {} }} GRAPH ?g {{ ?s a ?type }} }}",
                iri_values(unknown)
            ))?
            .iter()
            .filter_map(|row| cell(&row[0]))
            .collect()
    };
    let wanted: Vec<Quad> = after
        .iter()
        .flat_map(|(link, (support, live))| {
            let at_head = if changed.contains(link.path.as_str()) {
                changed_at_head.holds(link)
            } else {
                live.unwrap_or_else(|| {
                    typed.contains(graph::history::link_source(iris, link).as_str())
                })
            };
            graph::history::link_quads(iris, link, support, at_head)
        })
        .collect();
    let present: Vec<Quad> = before
        .iter()
        .flat_map(|(link, support, live)| graph::history::link_quads(iris, link, support, *live))
        .collect();
    write_difference(update, present, wanted);
    Ok(())
}

/// Commits on HEAD's first-parent chain, oldest first: down to the root (or a shallow boundary),
/// or down to `stop`, excluded. `None` when `stop` is given and not on the chain.
pub(super) fn mainline(
    commits: &[CommitInfo],
    head: ObjectId,
    stop: Option<ObjectId>,
) -> Option<Vec<ObjectId>> {
    let by_id: HashMap<ObjectId, &CommitInfo> = commits.iter().map(|c| (c.id, c)).collect();
    let mut chain = Vec::new();
    let mut at = Some(head);
    while let Some(id) = at {
        if Some(id) == stop {
            chain.reverse();
            return Some(chain);
        }
        let Some(commit) = by_id.get(&id) else { break };
        chain.push(id);
        at = commit.parents.first().copied();
    }
    if stop.is_some() {
        return None;
    }
    chain.reverse();
    Some(chain)
}

/// Applies the commits of `chain` (first-parent, oldest first) to the lineage.
pub(super) fn apply_lineage(
    lineage: &mut Lineage,
    chain: &[ObjectId],
    commits: &[CommitInfo],
    item_changes: &HashMap<ObjectId, Vec<ItemChange>>,
) {
    let by_id: HashMap<ObjectId, &CommitInfo> = commits.iter().map(|c| (c.id, c)).collect();
    for id in chain {
        let files = by_id.get(id).map_or(&[][..], |c| c.changes.as_slice());
        lineage.apply(
            &id.to_string(),
            item_changes.get(id).map_or(&[][..], Vec::as_slice),
            files
                .iter()
                .map(|f| (f.path.as_str(), f.kind == ChangeKind::Deleted)),
        );
    }
}

/// What the store's lineage holds of the files `paths` and the items `ids`.
pub(super) fn read_lineage(
    update: &Update<'_>,
    iris: &Iris,
    paths: &BTreeSet<&str>,
    ids: &BTreeSet<&str>,
) -> Result<Lineage, IndexError> {
    let requirements = iri_values(ids.iter().map(|id| iris.requirement(id).into_string()));
    let files = iri_values(paths.iter().map(|path| iris.file(path).into_string()));
    let query = format!(
        "SELECT ?req ?introduced ?changed ?file ?last WHERE {{ GRAPH <{}> {{
           {{ VALUES ?req {{ {requirements} }} ?req kg:introducedIn ?introduced }}
           UNION {{ VALUES ?req {{ {requirements} }} ?req kg:changedIn ?changed }}
           UNION {{ VALUES ?file {{ {files} }} ?file kg:lastChangedIn ?last }} }} }}",
        iris.lineage_graph().as_str()
    );
    let requirement = format!("{}req/", iris.base());
    let commit = format!("{}commit/", iris.base());
    let file = format!("{}file/", iris.base());
    let strip = |term: &Option<Term>, prefix: &str| match term {
        Some(Term::NamedNode(n)) => n.as_str().strip_prefix(prefix).map(graph::decode),
        _ => None,
    };
    let mut lineage = Lineage::default();
    for row in update.select(&query)? {
        if let (Some(path), Some(last)) = (strip(&row[3], &file), strip(&row[4], &commit)) {
            lineage.files.insert(path, last);
            continue;
        }
        let Some(id) = strip(&row[0], &requirement) else {
            continue;
        };
        let item = lineage.items.entry(id).or_default();
        if let Some(introduced) = strip(&row[1], &commit) {
            item.introduced = Some(introduced);
        }
        if let Some(changed) = strip(&row[2], &commit) {
            item.changed.insert(changed);
        }
    }
    Ok(lineage)
}

/// A blob read as a kind of file, in a test file or not, and for a spec at its path (the
/// Markdown formats name a feature by its directory): the key of parsed facts.
pub(super) type BlobKey = (ObjectId, FileKind, bool, Option<String>);

pub(super) fn blob_key(blob: ObjectId, kind: FileKind, is_test: bool, path: &str) -> BlobKey {
    let path = (kind == FileKind::Spec).then(|| path.to_owned());
    (blob, kind, is_test, path)
}

/// The features of a spec version, none for an absent file.
fn features(facts: Option<&FileFacts>) -> &[crate::facts::Feature] {
    facts.map_or(&[], |f| &f.features)
}

/// The spec files `commit` changed, each with its facts before and after the commit (`None` on
/// a side where the file is absent), from [`history_facts`].
pub(super) fn spec_versions<'a>(
    snapshot: &'a Snapshot,
    commit: &'a CommitInfo,
    by_key: &'a HashMap<BlobKey, FileFacts>,
) -> impl Iterator<Item = (Option<&'a FileFacts>, Option<&'a FileFacts>)> + 'a {
    let rules = &snapshot.config.rules;
    commit
        .changes
        .iter()
        .filter(|change| rules.classify(&change.path) == Some(FileKind::Spec))
        .map(move |change| {
            let is_test = rules.is_test_file(&change.path);
            let facts = |blob: Option<ObjectId>| {
                by_key.get(&blob_key(blob?, FileKind::Spec, is_test, &change.path))
            };
            (facts(change.before), facts(change.after))
        })
}

/// The facts of the blobs the history of `commits` needs: every version of every spec file, and
/// what commits with trailers changed (to find the definitions they changed), parsed once per
/// blob. `all`: `commits` are the whole history (which the facts cache then keeps).
pub(super) fn history_facts(
    repo: &Repo,
    cache: &FactsCache,
    snapshot: &Snapshot,
    commits: &[CommitInfo],
    all: bool,
    tick: &dyn Tick,
) -> Result<HashMap<BlobKey, FileFacts>, IndexError> {
    let rules = &snapshot.config.rules;
    // First every spec version and what commits with trailers changed; then, once the task
    // lists are read, what the commits that tick a task's box changed.
    let mut wanted: BTreeMap<BlobKey, Selected> = BTreeMap::new();
    for commit in commits {
        let linked = !links_wanted(commit).is_empty();
        add_blobs(snapshot, commit, linked, &mut wanted);
    }
    let list: Vec<&Selected> = wanted.values().collect();
    let (facts, _) = parse_files(repo, cache, &list, rules, tick)?;
    let mut by_key: HashMap<BlobKey, FileFacts> = wanted.keys().cloned().zip(facts).collect();
    let mut more: BTreeMap<BlobKey, Selected> = BTreeMap::new();
    for commit in commits {
        let evidence = !ticked_tasks(snapshot, commit, &by_key).is_empty()
            || !message_items(snapshot, commit, &by_key).is_empty();
        if links_wanted(commit).is_empty() && evidence {
            add_blobs(snapshot, commit, true, &mut more);
        }
    }
    more.retain(|key, _| !by_key.contains_key(key));
    let list: Vec<&Selected> = more.values().collect();
    let (facts, _) = parse_files(repo, cache, &list, rules, tick)?;
    let kept = wanted_keys(rules, wanted.values().chain(more.values()));
    cache.keep_history(kept, all);
    by_key.extend(more.into_keys().zip(facts));
    Ok(by_key)
}

/// Adds the blobs `commit` needs: both versions of its specs, and when it links items to what
/// it changed (`linked`), the new version of every other file it changed.
fn add_blobs(
    snapshot: &Snapshot,
    commit: &CommitInfo,
    linked: bool,
    wanted: &mut BTreeMap<BlobKey, Selected>,
) {
    let rules = &snapshot.config.rules;
    for change in &commit.changes {
        let Some(kind) = rules.classify(&change.path) else {
            continue;
        };
        let is_test = rules.is_test_file(&change.path);
        let blobs = match kind {
            FileKind::Spec => vec![change.before, change.after],
            _ if linked => vec![change.after],
            _ => continue,
        };
        for blob in blobs.into_iter().flatten() {
            wanted
                .entry(blob_key(blob, kind, is_test, &change.path))
                .or_insert_with(|| Selected {
                    file: TreeFile {
                        path: change.path.clone(),
                        blob,
                        utf8_path: true,
                    },
                    kind,
                    is_test,
                });
        }
    }
}

/// The tasks whose box `commit` ticks (`[ ]` to `[x]`), with the path of their task list.
pub(super) fn ticked_tasks<'a>(
    snapshot: &'a Snapshot,
    commit: &'a CommitInfo,
    by_key: &'a HashMap<BlobKey, FileFacts>,
) -> Vec<(&'a str, &'a Task)> {
    let mut ticked = Vec::new();
    for (before, after) in spec_versions(snapshot, commit, by_key) {
        let Some(after) = after else {
            continue;
        };
        // Only a box that was there unticked: a task list added with its boxes ticked (an
        // import, a copy) says nothing about what this commit did.
        let open_before: HashSet<&str> = before
            .map(|f| {
                f.tasks
                    .iter()
                    .filter(|t| !t.done)
                    .map(|t| t.id.as_str())
                    .collect()
            })
            .unwrap_or_default();
        ticked.extend(
            after
                .tasks
                .iter()
                .filter(|t| t.done && open_before.contains(t.id.as_str()))
                .map(|t| (after.path.as_str(), t)),
        );
    }
    ticked
}

/// The items served by the tasks whose box `commit` ticks, by full id: the commit implements
/// them through what else it changed. An OpenSpec change's task serves what the change's delta
/// specs propose in the commit's tree.
pub(super) fn ticked_items(
    reader: &crate::git::BlobReader,
    snapshot: &Snapshot,
    commit: &CommitInfo,
    by_key: &HashMap<BlobKey, FileFacts>,
) -> Result<Vec<String>, GitError> {
    let mut items = Vec::new();
    let mut changes = BTreeSet::new();
    for (path, task) in ticked_tasks(snapshot, commit, by_key) {
        if task.in_change {
            if let Some((dir, _)) = path.rsplit_once('/') {
                changes.insert(dir);
            }
        } else {
            items.extend(task.items.iter().map(|i| format!("{}/{i}", task.feature)));
        }
    }
    for dir in changes {
        let specs = format!("{dir}/specs");
        for capability in reader.subdirectories(commit.id, &specs)? {
            let path = format!("{specs}/{capability}/spec.md");
            if let Some(bytes) = reader.read_path(commit.id, &path)? {
                let text = String::from_utf8_lossy(&bytes);
                items.extend(openspec::proposed(&capability, &text));
            }
        }
    }
    items.sort();
    items.dedup();
    Ok(items)
}

/// The quads of `commits` with their item changes, from the facts of [`history_facts`]. Returns
/// each commit's item changes, for the lineage, and the trailer links of all of them together
/// (the definitions and sections a commit with an `Implements:`, `Verifies:` or `Documents:`
/// trailer changed), one per item and anchor.
pub(super) fn history_quads(
    repo: &Repo,
    snapshot: &Snapshot,
    commits: &[CommitInfo],
    by_key: &HashMap<BlobKey, FileFacts>,
    tick: &dyn Tick,
    sink: &mut dyn FnMut(Vec<Quad>) -> Result<(), IndexError>,
) -> Result<(HashMap<ObjectId, Vec<ItemChange>>, HistoryLinks), IndexError> {
    let mut item_changes_of = HashMap::new();
    let mut links = HistoryLinks::new();
    for part in commits.chunks(PART_COMMITS) {
        let per_commit = part
            .par_iter()
            .map_init(
                || repo.blob_reader(),
                |reader, commit| -> Result<CommitFacts, GitError> {
                    let mut item_changes = Vec::new();
                    for (before, after) in spec_versions(snapshot, commit, by_key) {
                        item_changes.extend(diff_items(features(before), features(after)));
                    }
                    item_changes.sort();
                    let links = trailer_links(reader, snapshot, commit, by_key)?;
                    let quads = graph::history::commit_quads(&snapshot.iris, commit, &item_changes);
                    tick.inc(1);
                    Ok((quads, item_changes, links))
                },
            )
            .collect::<Result<Vec<_>, GitError>>()?;
        let mut quads = Vec::new();
        for (commit, (commit_quads, item_changes, of_commit)) in part.iter().zip(per_commit) {
            quads.extend(commit_quads);
            item_changes_of.insert(commit.id, item_changes);
            graph::history::add_links(&mut links, commit, of_commit);
        }
        sink(quads)?;
    }
    Ok((item_changes_of, links))
}

/// What one commit gives the history graph: its quads, item changes and trailer links.
pub(super) type CommitFacts = (Vec<Quad>, Vec<ItemChange>, Vec<TrailerLink>);

/// Commits whose quads are built and loaded together.
pub(super) const PART_COMMITS: usize = 1024;

/// The trailer references of a commit that link items to what it changed (not `Refs:`).
pub(super) fn links_wanted(commit: &CommitInfo) -> Vec<(&'static str, String)> {
    graph::history::trailer_references(commit)
        .into_iter()
        .filter(|(marker, _)| graph::history::marker_relation(marker).is_some())
        .collect()
}

/// The items a commit's message names by a spec format's own ids (`T012`, `US1`, `FR-003`;
/// Kiro's numbers only after their word, `Requirements 2.1`), by full id, when the commit
/// changed the specs or task list of exactly one feature (or its message names the feature's
/// spec path): that feature is the one the message means. A task id stands for the task's
/// items, as the task list the commit leaves has them. Anything else names no feature for
/// certain and links nothing.
pub(super) fn message_items(
    snapshot: &Snapshot,
    commit: &CommitInfo,
    by_key: &HashMap<BlobKey, FileFacts>,
) -> Vec<String> {
    use crate::parse::refs::{MarkerSyntax, SPEC_IDS, ids_in, requirement_numbers};
    let mut local: Vec<String> = ids_in(&commit.message)
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    let named = commit.message.lines().find_map(|line| SPEC_IDS.scope(line));
    if named.is_some() {
        local.extend(
            requirement_numbers(&commit.message)
                .into_iter()
                .map(|(_, n)| n),
        );
    }
    if local.is_empty() {
        return Vec::new();
    }
    // What the commit's spec files declare, after it, by feature.
    let mut items: BTreeMap<&str, HashSet<&str>> = BTreeMap::new();
    let mut tasks: BTreeMap<(&str, &str), &[String]> = BTreeMap::new();
    for (_, facts) in spec_versions(snapshot, commit, by_key) {
        let Some(facts) = facts else {
            continue;
        };
        for feature in &facts.features {
            items
                .entry(&feature.name)
                .or_default()
                .extend(feature.items.iter().map(|i| i.local_id.as_str()));
        }
        for task in facts.tasks.iter().filter(|t| !t.in_change) {
            items.entry(&task.feature).or_default();
            tasks.insert((&task.feature, &task.id), &task.items);
        }
    }
    let feature = match (&named, items.len()) {
        (Some(named), _) if items.contains_key(named.as_str()) => named.as_str(),
        (None, 1) => items.keys().next().copied().unwrap_or_default(),
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    for id in &local {
        if let Some(served) = tasks.get(&(feature, id.as_str())) {
            out.extend(served.iter().map(|i| format!("{feature}/{i}")));
        } else if items
            .get(feature)
            .is_some_and(|defined| defined.contains(id.as_str()))
        {
            out.push(format!("{feature}/{id}"));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Links each item a commit's trailers name to the innermost definitions (or doc sections) whose
/// lines the commit added or changed, or to the file when a changed line lies outside any.
pub(super) fn trailer_links(
    reader: &crate::git::BlobReader,
    snapshot: &Snapshot,
    commit: &CommitInfo,
    by_key: &HashMap<BlobKey, FileFacts>,
) -> Result<Vec<TrailerLink>, GitError> {
    let mut wanted: Vec<(Via, &'static str, String)> = links_wanted(commit)
        .into_iter()
        .map(|(marker, target)| (Via::Trailer, marker, target))
        .collect();
    wanted.extend(
        ticked_items(reader, snapshot, commit, by_key)?
            .into_iter()
            .map(|item| (Via::Task, "implements", item)),
    );
    wanted.extend(
        message_items(snapshot, commit, by_key)
            .into_iter()
            .map(|item| (Via::Message, "implements", item)),
    );
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let rules = &snapshot.config.rules;
    let mut anchors = std::collections::BTreeSet::new();
    for change in &commit.changes {
        let (Some(after), Some(kind)) = (change.after, rules.classify(&change.path)) else {
            continue;
        };
        let key = blob_key(after, kind, rules.is_test_file(&change.path), &change.path);
        let Some(facts) = by_key.get(&key) else {
            continue;
        };
        if facts.skipped || kind == FileKind::Spec {
            continue;
        }
        let old = match change.before {
            Some(before) => String::from_utf8_lossy(&reader.read(before)?).into_owned(),
            None => String::new(),
        };
        let new = String::from_utf8_lossy(&reader.read(after)?).into_owned();
        let keys = graph::section_keys(&facts.sections);
        let lines: Vec<&str> = new.lines().collect();
        // A blank line that changed says nothing about which definition the commit was for.
        let meaningful = |line: &u32| {
            lines
                .get(*line as usize - 1)
                .is_some_and(|l| !l.trim().is_empty())
        };
        let mut in_file = BTreeSet::new();
        for line in changed_lines(&old, &new).into_iter().filter(meaningful) {
            // The anchor, and whether it is a test (the file's test flag outside definitions).
            let anchor = match kind {
                FileKind::Code(language) => facts
                    .definitions
                    .iter()
                    .filter(|d| d.start_line <= line && line <= d.end_line)
                    .min_by_key(|d| d.end_line - d.start_line)
                    .map_or((LinkAnchor::File, facts.is_test_file), |d| {
                        let anchor = LinkAnchor::Definition {
                            language: language.tag(),
                            qualified_name: d.qualified_name.clone(),
                        };
                        (anchor, d.is_test)
                    }),
                _ => {
                    let section = facts
                        .sections
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.start_line <= line && line <= s.end_line)
                        .min_by_key(|(_, s)| s.end_line - s.start_line)
                        .map_or(LinkAnchor::File, |(i, _)| LinkAnchor::Section {
                            key: keys[i].clone(),
                        });
                    (section, facts.is_test_file)
                }
            };
            in_file.insert(anchor);
        }
        // A commit that changed most of a file's definitions (a rewrite, a reformat) says which
        // file it was for, not which definition: its trailer links to the file.
        let parents: Vec<Option<usize>> = match kind {
            FileKind::Code(_) => facts.definitions.iter().map(|d| d.parent).collect(),
            _ => facts.sections.iter().map(|s| s.parent).collect(),
        };
        let touched = in_file
            .iter()
            .filter(|(a, _)| *a != LinkAnchor::File)
            .count();
        if touched >= REWRITE_MIN_DEFINITIONS && touched * 2 > leaf_count(&parents) {
            in_file = BTreeSet::from([(LinkAnchor::File, facts.is_test_file)]);
        }
        anchors.extend(
            in_file
                .into_iter()
                .map(|(anchor, in_test)| (change.path.clone(), anchor, in_test)),
        );
    }
    let mut links: Vec<TrailerLink> = wanted
        .iter()
        .flat_map(|(via, marker, target)| {
            anchors.iter().map(|(path, anchor, in_test)| TrailerLink {
                via: *via,
                // In a test, `Implements:` counts as `Verifies:`, as a marker does.
                marker: if *in_test && *marker == "implements" {
                    "verifies"
                } else {
                    marker
                },
                target: target.clone(),
                path: path.clone(),
                anchor: anchor.clone(),
            })
        })
        .collect();
    links.sort();
    links.dedup();
    Ok(links)
}

/// How many definitions (or sections) of one file a commit must change, more than half of the
/// file's innermost ones, for its trailer to link to the file instead.
pub(super) const REWRITE_MIN_DEFINITIONS: usize = 3;

/// How many of the nodes, given by their parents, hold no other node.
pub(super) fn leaf_count(parents: &[Option<usize>]) -> usize {
    let mut has_child = vec![false; parents.len()];
    for parent in parents.iter().flatten() {
        if let Some(slot) = has_child.get_mut(*parent) {
            *slot = true;
        }
    }
    has_child.iter().filter(|c| !**c).count()
}
