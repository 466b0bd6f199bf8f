//! An incremental run: from the indexed commit to HEAD in one transaction on the current store,
//! rewriting only the graphs the change can touch.

use super::*;

// implements: history/incremental, history/NFR-performance-2
/// Brings the current store forward from `state.commit` to HEAD. Returns `None` when a full build
/// is needed instead: the indexed commit is gone or not an ancestor of HEAD (rewritten history),
/// or the configuration or IRI base changed.
pub(super) fn incremental(
    repo: &Repo,
    store: &StoreDir,
    lock: &WriteLock,
    snapshot: &Snapshot,
    cache: &FactsCache,
    state: &IndexState,
    stages: &Stages,
) -> Result<Option<Summary>, IndexError> {
    // Another base, or a submodule checked out or removed since: rebuild.
    if state.base != snapshot.iris.repository().as_str()
        || state.submodules != snapshot.submodules.join(",")
    {
        return Ok(None);
    }
    // The checks that can call for a rebuild come first, from the state the pointer records,
    // so that a run that rebuilds copies no store.
    let Ok(old) = ObjectId::from_hex(state.commit.as_bytes()) else {
        return Ok(None);
    };
    if !repo.is_ancestor(old, snapshot.head)? {
        return Ok(None);
    }
    let changes = repo.diff_commits(Some(old), snapshot.head)?;
    let configs = [CONFIG_FILE, crate::parse::spec::tracey::CONFIG_PATH];
    if changes.iter().any(|c| configs.contains(&c.path.as_str())) {
        return Ok(None);
    }
    // A submodule's specs come from the commit the superproject records: when that moves,
    // rebuild.
    let rules = &snapshot.config.rules;
    if rules.submodules && repo.submodules_changed(old, snapshot.head)? {
        return Ok(None);
    }
    // A document that starts or stops declaring OpenFastTrace items changes what kind of file
    // it is: as with a changed configuration, rebuild.
    let reader = repo.blob_reader();
    // (An added one is a spec added, as any other; a deleted one is not at HEAD to say it
    // was a spec, so it rebuilds too.)
    for change in changes.iter().filter(|c| rules.may_sniff(&c.path)) {
        // A blob the clone lacks is nobody's spec, as in a full build.
        let claims = |blob: Option<ObjectId>| {
            blob.is_some_and(|blob| {
                reader
                    .read(blob)
                    .is_ok_and(|bytes| rules.sniff(&change.path, &bytes).is_some())
            })
        };
        let modified = change.before.is_some() && change.after.is_some();
        if modified && claims(change.before) != claims(change.after)
            || change.after.is_none() && claims(change.before)
        {
            return Ok(None);
        }
    }
    let stage = stages.start("open store", "stores", None);
    let Some(target) = store.checkpoint(lock)? else {
        return Ok(None);
    };
    stage.finish(1);
    // One transaction from here on: a killed run leaves the previous index as it was. The
    // store's own record of its commit is the authority: a pointer that says otherwise
    // rebuilds.
    let mut update = target.update()?;
    if indexed_commit(&update)? != Some(old) {
        return Ok(None);
    }
    let changed: HashSet<&str> = changes.iter().map(|c| c.path.as_str()).collect();
    let spec_changed = changes
        .iter()
        .any(|c| rules.classify(&c.path) == Some(FileKind::Spec));

    // Specs are always read (from the cache) since the ids they define decide what references
    // name; every file when a spec changed, since what the references in any file resolve to
    // may have changed with it; else the rest only where it changed.
    let needed: Vec<&Selected> = snapshot
        .selected
        .iter()
        .filter(|s| {
            spec_changed || s.kind == FileKind::Spec || changed.contains(s.file.path.as_str())
        })
        .collect();
    let stage = stages.start("parse", "files", Some(needed.len() as u64));
    let (mut facts, parsed) = parse_files(repo, cache, &needed, rules, &stage)?;
    stage.finish(needed.len() as u64);
    let specs = resolve_specs(&mut facts);
    let context = Context {
        iris: &snapshot.iris,
        ids: &specs.ids,
    };
    // Besides the files that changed, a spec's graph changes when one of its features starts or
    // stops being shadowed by a definition elsewhere, and a doc's graph when an id it mentions
    // starts or stops being defined. Both are compared with what the store holds.
    let (shadowing_changed, ids_changed) = if spec_changed {
        let before = defined_in_store(&update)?;
        let now: BTreeSet<(String, String)> = facts
            .iter()
            .flat_map(|f| {
                f.features
                    .iter()
                    .map(|feature| (f.path.clone(), feature.name.clone()))
            })
            .collect();
        let shadowing: HashSet<String> = before
            .features
            .symmetric_difference(&now)
            .map(|(path, _)| path.clone())
            .collect();
        let ids: HashSet<String> = before
            .ids
            .symmetric_difference(&specs.ids.defined())
            .cloned()
            .collect();
        (shadowing, ids)
    } else {
        (HashSet::new(), HashSet::new())
    };
    // A reference's graph changes with the specs when its id is local (which feature it names
    // is decided across specs), names a task (whose items may have changed) or names an id that
    // started or stopped being defined.
    let resolves_anew =
        |r: &Reference| r.local || specs.ids.is_task(&r.target) || ids_changed.contains(&r.target);
    let rewrite: Vec<&FileFacts> = facts
        .iter()
        .filter(|f| {
            changed.contains(f.path.as_str())
                || shadowing_changed.contains(&f.path)
                || f.mentions.iter().any(|m| ids_changed.contains(&m.target))
                || spec_changed && f.references.iter().any(resolves_anew)
        })
        .collect();
    let mut remove: Vec<_> = changes
        .iter()
        .map(|c| snapshot.iris.file(&c.path))
        .collect();
    remove.extend(rewrite.iter().map(|f| snapshot.iris.file(&f.path)));
    let stage = stages.start("history walk", "commits", None);
    let history = repo.history(snapshot.head, Some(old), &stage)?;
    stage.finish(history.commits.len() as u64);
    // The lineage goes on from where it was, along the new part of the first-parent chain; when
    // the old commit is not on that chain (it came in through a merge's second parent), rebuild.
    let Some(chain) = mainline(&history.commits, snapshot.head, Some(old)) else {
        return Ok(None);
    };
    let stage = stages.start("graph build", "quads", None);
    let mut quads: Vec<Quad> = rewrite
        .par_iter()
        .flat_map_iter(|facts| graph::file_quads(facts, &context))
        .collect();
    stage.finish(quads.len() as u64);
    let history_facts = history_facts(repo, cache, snapshot, &history.commits, false, &())?;
    let (item_changes, new_links) = history_quads(
        repo,
        snapshot,
        &history.commits,
        &history_facts,
        &(),
        &mut |part| {
            quads.extend(part);
            Ok(())
        },
    )?;
    let written = quads.len() as u64;
    // What the changed code files defined and which callers they held before the change, for
    // call resolution: their old blobs' facts, from the facts cache.
    let old_code: Vec<Selected> = changes
        .iter()
        .filter_map(|c| {
            let blob = c.before?;
            let kind = rules.classify(&c.path)?;
            matches!(kind, FileKind::Code(_)).then(|| Selected {
                file: TreeFile {
                    path: c.path.clone(),
                    blob,
                    utf8_path: true,
                },
                kind,
                is_test: rules.is_test_file(&c.path),
            })
        })
        .collect();
    let (old_facts, _) = parse_files(
        repo,
        cache,
        &old_code.iter().collect::<Vec<_>>(),
        rules,
        &(),
    )?;
    let old_input = call_graph_input(&old_facts.iter().collect::<Vec<_>>(), &snapshot.iris);
    let before = CallsBefore {
        definitions: old_facts
            .iter()
            .flat_map(|f| signatures(f, &snapshot.iris))
            .collect(),
        calls: calls_by_caller(&old_input.sites),
        imports: old_input.imports,
    };
    update.remove_graphs(&remove)?;
    update.insert(&quads);
    let changed_code: Vec<&FileFacts> = facts
        .iter()
        .filter(|f| changed.contains(f.path.as_str()) && matches!(f.kind, FileKind::Code(_)))
        .collect();
    let stage = stages.start("link inference", "files", None);
    update_calls(&mut update, &snapshot.iris, &changed_code, &before)?;
    stage.finish(changed_code.len() as u64);

    let blobs = snapshot
        .selected
        .iter()
        .map(|s| (s.file.path.clone(), s.file.blob.to_string()))
        .collect();
    let changed_facts: Vec<&FileFacts> = facts
        .iter()
        .filter(|f| changed.contains(f.path.as_str()))
        .collect();
    let dangling_from = if spec_changed {
        DanglingFrom::Facts(&facts)
    } else {
        DanglingFrom::Carry {
            update: &update,
            changed_paths: &changed,
            changed: &changed_facts,
        }
    };
    let stage = stages.start("finish", "quads", None);
    let global = finish(snapshot, &specs, blobs, history.shallow, dangling_from)?;
    let global_quads = (global.meta.len() + global.others.len()) as u64;
    update_meta(&mut update, &snapshot.iris, global.meta, &changed)?;
    let iris = &snapshot.iris;
    replace_graphs(
        &mut update,
        &[iris.diagnostics_graph(), iris.tree_graph()],
        global.others,
    )?;
    update_lineage(&mut update, iris, &chain, &history.commits, &item_changes)?;
    let changed_at_head =
        FactsAtHead::new(facts.iter().filter(|f| changed.contains(f.path.as_str())));
    update_links(
        repo,
        &mut update,
        iris,
        new_links,
        &changed,
        &changed_at_head,
    )?;
    stage.finish(global_quads);
    let stage = stages.start("commit", "quads", None);
    update.commit()?;
    stage.finish(written + global_quads);
    let stage = stages.start("close store", "stores", None);
    store.make_current(target, &snapshot.state())?;
    stage.finish(1);
    let rewritten: Vec<FileFacts> = rewrite.into_iter().cloned().collect();
    let mut summary = Summary {
        commit: snapshot.head.to_string(),
        from: Some(old.to_string()),
        commits: history.commits.len(),
        shallow: history.shallow,
        written: rewritten.len(),
        parsed,
        dangling: global.dangling,
        ambiguous: global.ambiguous,
        quads: written + global_quads,
        ..Summary::default()
    };
    count(&mut summary, &rewritten, &specs.ids);
    summary.diagnostics.extend(global.diagnostics);
    summary.diagnostics.sort();
    Ok(Some(summary))
}

/// The commit the store says it holds.
pub(super) fn indexed_commit(update: &Update<'_>) -> Result<Option<ObjectId>, IndexError> {
    let rows =
        update.select("SELECT ?commit WHERE { GRAPH ?g { ?repo kg:indexedCommit ?commit } }")?;
    Ok(rows.first().and_then(|row| match &row[0] {
        Some(Term::Literal(l)) => ObjectId::from_hex(l.value().as_bytes()).ok(),
        _ => None,
    }))
}

/// What the specs in the store define: every feature and item id, and which file each feature's
/// kept definition is in.
pub(super) struct Defined {
    pub(super) ids: HashSet<String>,
    pub(super) features: BTreeSet<(String, String)>,
}

pub(super) fn defined_in_store(update: &Update<'_>) -> Result<Defined, IndexError> {
    let text = |term: &Option<Term>| cell(term).unwrap_or_default();
    let ids = update
        .select("SELECT ?id WHERE { { { ?x a oslc_rm:Requirement } UNION { ?x a kg:Feature } ?x dcterms:identifier ?id } UNION { ?t a kg:Task ; dcterms:identifier ?task ; kg:feature/dcterms:identifier ?feature BIND(CONCAT(?feature, \"/\", ?task) AS ?id) } }")?
        .iter()
        .map(|row| text(&row[0]))
        .collect();
    let features = update
        .select("SELECT ?path ?name WHERE { ?f a kg:Feature ; dcterms:identifier ?name ; kg:inFile/kg:path ?path }")?
        .iter()
        .map(|row| (text(&row[0]), text(&row[1])))
        .collect();
    Ok(Defined { ids, features })
}
