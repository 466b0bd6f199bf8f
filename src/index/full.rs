//! A full build: everything parsed (or read from the facts cache), bulk-loaded into a new store
//! in parts, compacted when it was loaded in many, and made current once complete.

use super::*;

/// A full build into a new store, made current once complete.
pub(super) fn full(
    repo: &Repo,
    store: &StoreDir,
    lock: &WriteLock,
    snapshot: &Snapshot,
    cache: &FactsCache,
    stages: &Stages,
) -> Result<Summary, IndexError> {
    let selected: Vec<&Selected> = snapshot.selected.iter().collect();
    let stage = stages.start("parse", "files", Some(selected.len() as u64));
    let (mut all, parsed) = parse_files(repo, cache, &selected, &snapshot.config.rules, &stage)?;
    stage.finish(selected.len() as u64);
    let stage = stages.start("history walk", "commits", None);
    let history = repo.history(snapshot.head, None, &stage)?;
    stage.finish(history.commits.len() as u64);
    let specs = resolve_specs(&mut all);
    let context = Context {
        iris: &snapshot.iris,
        ids: &specs.ids,
    };

    // Quads are built and loaded part by part, so that only one part is in memory; the time
    // spent loading is taken out of each stage and reported as its own.
    let target = store.create(lock)?;
    let mut loader = target.loader();
    let stage = stages.start("graph build", "quads", None);
    let mut built = 0u64;
    for part in all.chunks(PART_FILES) {
        let quads: Vec<Quad> = part
            .par_iter()
            .with_max_len(1)
            .flat_map_iter(|facts| graph::file_quads(facts, &context))
            .collect();
        built += quads.len() as u64;
        stage.inc(quads.len() as u64);
        loader.load(quads)?;
    }
    let loaded_so_far = loader.busy();
    stage.finish_without(built, loaded_so_far);
    let stage = stages.start("link inference", "calls", None);
    let input = call_graph_input(&all.iter().collect::<Vec<_>>(), &snapshot.iris);
    let edges = calls::resolve(&input.callables, &input.sites, &input.imports);
    let call_quads: Vec<Quad> = edges
        .iter()
        .map(|edge| graph::call_quad(&snapshot.iris, edge))
        .collect();
    drop(input);
    let mark = loader.busy();
    loader.load(call_quads)?;
    stage.finish_without(edges.len() as u64, loader.busy() - mark);
    let stage = stages.start("history parse", "files", None);
    let history_facts = history_facts(repo, cache, snapshot, &history.commits, true, &stage)?;
    stage.finish(history_facts.len() as u64);
    let stage = stages.start(
        "history graph",
        "commits",
        Some(history.commits.len() as u64),
    );
    let mark = loader.busy();
    let (item_changes, links) = history_quads(
        repo,
        snapshot,
        &history.commits,
        &history_facts,
        &stage,
        &mut |quads| loader.load(quads).map_err(IndexError::from),
    )?;
    drop(history_facts);
    let at_head = FactsAtHead::new(all.iter());
    let link_quads: Vec<Quad> = links
        .iter()
        .flat_map(|(link, support)| {
            graph::history::link_quads(&snapshot.iris, link, support, at_head.holds(link))
        })
        .collect();
    loader.load(link_quads)?;
    let mut lineage = Lineage::default();
    let chain = mainline(&history.commits, snapshot.head, None).unwrap_or_default();
    apply_lineage(&mut lineage, &chain, &history.commits, &item_changes);
    stage.finish_without(history.commits.len() as u64, loader.busy() - mark);
    let stage = stages.start("finish", "quads", None);
    let blobs = all
        .iter()
        .map(|f| (f.path.clone(), f.blob.clone()))
        .collect();
    let global = finish(
        snapshot,
        &specs,
        blobs,
        history.shallow,
        DanglingFrom::Facts(&all),
    )?;
    let mut quads = global.meta;
    quads.extend(global.others);
    quads.extend(graph::history::lineage_quads(&snapshot.iris, &lineage));
    let finished = quads.len() as u64;
    let mark = loader.busy();
    loader.load(quads)?;
    stage.finish_without(finished, loader.busy() - mark);
    let loaded = loader.commit()?;
    let quads_loaded = loaded.quads;
    stages.record("load", "quads", loaded.busy, quads_loaded);
    // Nobody reads the new store before it is current: compact it first, so that the first
    // reads are as fast as later ones. A load of a few batches is left as it is.
    if loaded.is_fragmented() {
        let stage = stages.start("compact", "quads", None);
        target.compact()?;
        stage.finish(quads_loaded);
    }
    store.make_current(target, &snapshot.state())?;

    let mut summary = Summary {
        commit: snapshot.head.to_string(),
        commits: history.commits.len(),
        shallow: history.shallow,
        written: all.len(),
        parsed,
        dangling: global.dangling,
        ambiguous: global.ambiguous,
        quads: quads_loaded,
        ..Summary::default()
    };
    count(&mut summary, &all, &specs.ids);
    summary.diagnostics.extend(global.diagnostics);
    summary.diagnostics.sort();
    Ok(summary)
}

/// Files whose quads are built and loaded together in a full build.
pub(super) const PART_FILES: usize = 512;
