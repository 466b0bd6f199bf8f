//! The indexing pipeline: git walk, parse (in parallel, cached by blob), repository-wide checks,
//! graph, store. A full build bulk-loads a new store; an incremental one replaces exactly the
//! named graphs of the files that changed (and of the files whose graph depends on specs that
//! changed) in the current store. Both end with the same repository-wide step, so an incremental
//! index equals a full rebuild.

// implements: index/command, index/references, history/incremental

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

use gix::ObjectId;
use oxigraph::model::{Quad, Term};
use rayon::prelude::*;

use crate::store::cache::FactsCache;
use crate::link::calls::{self, CallSite, Callable};
use crate::config::{CONFIG_FILE, Config, ConfigError};
use crate::facts::{
    DefKind, Diagnostic, FileFacts, FileKind, Import, Language, Position, Severity,
};
use crate::git::{ChangeKind, CommitInfo, GitError, Repo, SpecialEntry, TreeFile};
use crate::graph::history::{HistoryLinks, LinkAnchor, TrailerLink};
use crate::graph::{self, Context, Iris};
use crate::link::history::{ItemChange, Lineage, changed_lines, diff_items};
use crate::parse::{CodeQueries, FileParser};
use crate::progress::{StageTime, Stages, Tick};
use crate::query::{iri_values, literal_values};
use crate::store::{INDEX_FORMAT, IndexState, StoreDir, StoreError, Update, WriteLock, cell};

/// An error that stops indexing. Problems in single files are diagnostics, not errors.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// Counts and diagnostics of one index run, for the summary on stderr.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub commit: String,
    /// The commit the index was brought forward from, for an incremental run.
    pub from: Option<String>,
    /// Commits added to the history graph.
    pub commits: usize,
    /// True when the history stops at a shallow clone's boundary.
    pub shallow: bool,
    pub files: BTreeMap<&'static str, usize>,
    /// Files whose graph was written, and how many of them had to be parsed (not cached).
    pub written: usize,
    pub parsed: usize,
    pub definitions: usize,
    pub tests: usize,
    pub features: usize,
    pub items: usize,
    pub references: usize,
    pub dangling: usize,
    pub mentions: usize,
    pub quads: u64,
    pub diagnostics: Vec<Diagnostic>,
    pub elapsed: Duration,
    /// Each stage's wall time and items, in order.
    pub stages: Vec<StageTime>,
}

/// What `ensure_index` did.
#[derive(Debug)]
pub enum Outcome {
    /// The index already matched HEAD.
    UpToDate(IndexState),
    /// The index was built or brought forward.
    Indexed(Summary),
    /// HEAD has no commits: there is nothing to index.
    Unborn,
}

/// The store directory: `--store DIR` when given, else `kg` inside the git directory.
pub fn store_dir(repo: &Repo, given: Option<&Path>) -> StoreDir {
    match given {
        Some(dir) => StoreDir::new(dir),
        None => StoreDir::new(repo.git_dir().join("kg")),
    }
}

/// The configuration (`kg.toml`) at HEAD, or the defaults.
pub fn head_config(repo: &Repo) -> Result<Config, IndexError> {
    let Some(head) = repo.head_commit()? else {
        return Ok(Config::default());
    };
    match repo.blob_reader().read_path(head, CONFIG_FILE)? {
        Some(bytes) => Ok(Config::parse(&String::from_utf8_lossy(&bytes))?),
        None => Ok(Config::default()),
    }
}

/// Brings the index up to date with HEAD: nothing to do when it already is (unless `force`),
/// an incremental update when the indexed commit is an ancestor of HEAD, a full build otherwise
/// (first run, rewritten history, changed `kg.toml`, another kg version). `on_wait` is told when
/// another process holds the store.
pub fn ensure_index(
    repo: &Repo,
    store: &StoreDir,
    force: bool,
    show_progress: bool,
    on_wait: impl FnOnce(&str),
) -> Result<Outcome, IndexError> {
    let Some(head) = repo.head_commit()? else {
        return Ok(Outcome::Unborn);
    };
    let head_hex = head.to_string();
    let current = |store: &StoreDir| -> Result<Option<IndexState>, IndexError> {
        Ok(store.state()?.filter(|s| s.is_current_for(&head_hex)))
    };
    if !force && let Some(state) = current(store)? {
        return Ok(Outcome::UpToDate(state));
    }
    let lock = store.lock(on_wait)?;
    // Another process may have finished the same work while this one waited.
    if !force && let Some(state) = current(store)? {
        return Ok(Outcome::UpToDate(state));
    }
    let started = Instant::now();
    let previous = if force {
        None
    } else {
        store
            .state()?
            .filter(|s| s.format == INDEX_FORMAT && s.tool_version == env!("CARGO_PKG_VERSION"))
    };
    let stages = Stages::new(show_progress);
    let stage = stages.start("read tree", "files", None);
    let snapshot = Snapshot::read(repo, head)?;
    stage.finish(snapshot.selected.len() as u64);
    let cache = FactsCache::open(&store.facts_cache());
    let updated = match previous {
        Some(state) => incremental(repo, store, &lock, &snapshot, &cache, &state, &stages)?,
        None => None,
    };
    let mut summary = match updated {
        Some(summary) => summary,
        None => full(repo, store, &lock, &snapshot, &cache, &stages)?,
    };
    let stage = stages.start("save facts", "files", None);
    let saved = cache.save();
    stage.finish(saved as u64);
    summary.stages = stages.times();
    summary.elapsed = started.elapsed();
    Ok(Outcome::Indexed(summary))
}

/// What kg reads of one commit before parsing: its files, its configuration and its IRI base.
struct Snapshot {
    head: ObjectId,
    config: Config,
    iris: Iris,
    /// The files kg reads, with their kind and whether they are test files.
    selected: Vec<Selected>,
    /// File-name diagnostics (names that are not UTF-8).
    diagnostics: Vec<Diagnostic>,
    /// Symbolic links and submodules.
    special: Vec<SpecialEntry>,
}

#[derive(Clone)]
struct Selected {
    file: TreeFile,
    kind: FileKind,
    is_test: bool,
}

impl Snapshot {
    fn read(repo: &Repo, head: ObjectId) -> Result<Snapshot, IndexError> {
        let listing = repo.tree(head)?;
        let files = listing.files;
        let reader = repo.blob_reader();
        let config_file = files.iter().find(|f| f.path == CONFIG_FILE);
        let config = match config_file {
            Some(file) => Config::parse(&String::from_utf8_lossy(&reader.read(file.blob)?))?,
            None => Config::default(),
        };
        let base = match &config.base {
            Some(base) => base.clone(),
            None => graph::derive_base(
                repo.remote_url().as_deref(),
                &repo.root_commit(head)?.to_string(),
            ),
        };
        let mut diagnostics = Vec::new();
        let selected = files
            .iter()
            .filter_map(|file| {
                let kind = config.rules.classify(&file.path)?;
                if !file.utf8_path {
                    diagnostics.push(Diagnostic::new(
                        Severity::Warning,
                        &file.path,
                        None,
                        "file name is not valid UTF-8; it is indexed under this rendering of it",
                    ));
                }
                Some(Selected {
                    file: file.clone(),
                    kind,
                    is_test: config.rules.is_test_file(&file.path),
                })
            })
            .collect();
        Ok(Snapshot {
            head,
            config,
            iris: Iris::new(base),
            selected,
            diagnostics,
            special: listing.special,
        })
    }
}

/// Parses files on all cores, one parser per worker and one file per task (rayon's default
/// splitting leaves one thread with most of the work when file sizes vary). Facts are cached by
/// blob id, so a blob parsed once is never parsed again. Returns the facts in input order and how
/// many files had to be parsed.
// implements: index/NFR-performance-1
fn parse_files(
    repo: &Repo,
    cache: &FactsCache,
    files: &[&Selected],
    max_size: u64,
    tick: &dyn Tick,
) -> Result<(Vec<FileFacts>, usize), IndexError> {
    let queries = CodeQueries::shared();
    let parsed = std::sync::atomic::AtomicUsize::new(0);
    let facts = files
        .par_iter()
        .with_max_len(1)
        .map_init(
            || (repo.blob_reader(), FileParser::new(queries)),
            |(reader, parser), selected| -> Result<FileFacts, GitError> {
                tick.inc(1);
                let key = cache_key(selected);
                if let Some(facts) = cache.get(&key) {
                    return Ok(at_path(facts, &selected.file.path));
                }
                parsed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let bytes = reader.read(selected.file.blob)?;
                let blob = selected.file.blob.to_string();
                let mut facts = FileFacts::new(
                    &selected.file.path,
                    selected.kind,
                    &blob,
                    bytes.len() as u64,
                );
                facts.is_test_file = selected.is_test;
                let facts = parser.parse(facts, &bytes, max_size);
                cache.put(key, &facts);
                Ok(facts)
            },
        )
        .collect::<Result<Vec<_>, GitError>>()?;
    Ok((facts, parsed.into_inner()))
}

/// The cache key of a blob read as a given kind (the same bytes mean different facts as a spec
/// or as code, in a test file or not).
fn cache_key(selected: &Selected) -> String {
    let kind = match selected.kind {
        FileKind::Spec => "spec",
        FileKind::Doc => "doc",
        FileKind::Code(Language::Rust) => "rust",
        FileKind::Code(Language::TypeScript) => "ts",
        FileKind::Code(Language::Tsx) => "tsx",
    };
    let test = if selected.is_test { "-test" } else { "" };
    format!("{}-{kind}{test}", selected.file.blob)
}

/// Cached facts for a blob that may now stand at another path than where it was parsed.
fn at_path(mut facts: FileFacts, path: &str) -> FileFacts {
    facts.path = path.to_owned();
    for diagnostic in &mut facts.diagnostics {
        diagnostic.path = path.to_owned();
    }
    facts
}

/// While it lives, the allocator gives freed memory back to the system at once rather than
/// 10 ms later: the bulk loader frees and takes whole batches, and with the delay a full build of
/// denoland/deno peaked at 1.05 GB instead of 0.74 GB. Only for full builds: readers pay for it
/// (every page refaulted and zeroed), `kg trace` by about a third.
struct EagerPurge;

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (mimalloc.h, v2), and its default.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
const DEFAULT_PURGE_DELAY_MS: std::ffi::c_long = 10;

impl EagerPurge {
    fn new() -> Self {
        // SAFETY: sets one of the allocator's options, which mimalloc allows at any time (and
        // which does nothing when the process allocates through another allocator).
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
        EagerPurge
    }
}

impl Drop for EagerPurge {
    fn drop(&mut self) {
        // SAFETY: as in `new`.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, DEFAULT_PURGE_DELAY_MS) };
    }
}

/// A full build into a new store, made current once complete.
fn full(
    repo: &Repo,
    store: &StoreDir,
    lock: &WriteLock,
    snapshot: &Snapshot,
    cache: &FactsCache,
    stages: &Stages,
) -> Result<Summary, IndexError> {
    let _purge = EagerPurge::new();
    let selected: Vec<&Selected> = snapshot.selected.iter().collect();
    let stage = stages.start("parse", "files", Some(selected.len() as u64));
    let (mut all, parsed) = parse_files(
        repo,
        cache,
        &selected,
        snapshot.config.rules.max_file_size,
        &stage,
    )?;
    stage.finish(selected.len() as u64);
    let stage = stages.start("history walk", "commits", None);
    let history = repo.history(snapshot.head, None, &stage)?;
    stage.finish(history.commits.len() as u64);
    let specs = resolve_specs(&mut all);
    let context = Context {
        iris: &snapshot.iris,
        known_ids: &specs.known_ids,
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
    let history_facts = history_facts(repo, cache, snapshot, &history.commits, &stage)?;
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
    let (quads_loaded, load_time) = loader.commit()?;
    stages.record("load", "quads", load_time, quads_loaded);
    // Nobody reads the new store before it is current: compact it first, so that the first
    // reads are as fast as later ones.
    let stage = stages.start("compact", "quads", None);
    target.compact()?;
    stage.finish(quads_loaded);
    let base = snapshot.iris.repository();
    store.make_current(
        target,
        &IndexState::new(&snapshot.head.to_string(), base.as_str()),
    )?;

    let mut summary = Summary {
        commit: snapshot.head.to_string(),
        commits: history.commits.len(),
        shallow: history.shallow,
        written: all.len(),
        parsed,
        dangling: global.dangling,
        quads: quads_loaded,
        ..Summary::default()
    };
    count(&mut summary, &all, &specs.known_ids);
    summary.diagnostics.extend(global.diagnostics);
    summary.diagnostics.sort();
    Ok(summary)
}

// implements: history/incremental, history/NFR-performance-2
/// Brings the current store forward from `state.commit` to HEAD. Returns `None` when a full build
/// is needed instead: the indexed commit is gone or not an ancestor of HEAD (rewritten history),
/// or the configuration or IRI base changed.
fn incremental(
    repo: &Repo,
    store: &StoreDir,
    lock: &WriteLock,
    snapshot: &Snapshot,
    cache: &FactsCache,
    state: &IndexState,
    stages: &Stages,
) -> Result<Option<Summary>, IndexError> {
    if state.base != snapshot.iris.repository().as_str() {
        return Ok(None);
    }
    let stage = stages.start("open store", "stores", None);
    let Some(target) = store.open_write(lock)? else {
        return Ok(None);
    };
    stage.finish(1);
    // One transaction from here on: a killed run leaves the previous index as it was. The
    // store's own record of its commit is the authority (the pointer file may lag behind it).
    let mut update = target.update()?;
    let Some(old) = indexed_commit(&update)? else {
        return Ok(None);
    };
    if !repo.is_ancestor(old, snapshot.head)? {
        return Ok(None);
    }
    let changes = repo.diff_commits(Some(old), snapshot.head)?;
    if changes.iter().any(|c| c.path == CONFIG_FILE) {
        return Ok(None);
    }
    let changed: HashSet<&str> = changes.iter().map(|c| c.path.as_str()).collect();
    let rules = &snapshot.config.rules;
    let spec_changed = changes
        .iter()
        .any(|c| rules.classify(&c.path) == Some(FileKind::Spec));

    // Specs are always read (from the cache) since the ids they define decide dangling
    // references; docs too when a spec changed, for their mentions; the rest only where it changed.
    let needed: Vec<&Selected> = snapshot
        .selected
        .iter()
        .filter(|s| {
            s.kind == FileKind::Spec
                || spec_changed && s.kind == FileKind::Doc
                || changed.contains(s.file.path.as_str())
        })
        .collect();
    let stage = stages.start("parse", "files", Some(needed.len() as u64));
    let (mut facts, parsed) = parse_files(repo, cache, &needed, rules.max_file_size, &stage)?;
    stage.finish(needed.len() as u64);
    let specs = resolve_specs(&mut facts);
    let context = Context {
        iris: &snapshot.iris,
        known_ids: &specs.known_ids,
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
            .symmetric_difference(&specs.known_ids)
            .cloned()
            .collect();
        (shadowing, ids)
    } else {
        (HashSet::new(), HashSet::new())
    };
    let rewrite: Vec<&FileFacts> = facts
        .iter()
        .filter(|f| {
            changed.contains(f.path.as_str())
                || shadowing_changed.contains(&f.path)
                || f.mentions.iter().any(|m| ids_changed.contains(&m.target))
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
    let history_facts = history_facts(repo, cache, snapshot, &history.commits, &())?;
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
        rules.max_file_size,
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
        DanglingFrom::Scan(&update)
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
    drop(target);
    stage.finish(1);
    let base = snapshot.iris.repository();
    store.record_state(
        lock,
        &IndexState::new(&snapshot.head.to_string(), base.as_str()),
    )?;
    let rewritten: Vec<FileFacts> = rewrite.into_iter().cloned().collect();
    let mut summary = Summary {
        commit: snapshot.head.to_string(),
        from: Some(old.to_string()),
        commits: history.commits.len(),
        shallow: history.shallow,
        written: rewritten.len(),
        parsed,
        dangling: global.dangling,
        quads: written + global_quads,
        ..Summary::default()
    };
    count(&mut summary, &rewritten, &specs.known_ids);
    summary.diagnostics.extend(global.diagnostics);
    summary.diagnostics.sort();
    Ok(Some(summary))
}

/// Adds per-file counts and diagnostics to the summary.
fn count(summary: &mut Summary, all: &[FileFacts], known_ids: &HashSet<String>) {
    for facts in all {
        let kind = match facts.kind {
            FileKind::Spec => "spec",
            FileKind::Doc => "doc",
            FileKind::Code(Language::Rust) => "rust",
            FileKind::Code(Language::TypeScript | Language::Tsx) => "typescript",
        };
        *summary.files.entry(kind).or_default() += 1;
        summary.tests += facts.definitions.iter().filter(|d| d.is_test).count();
        summary.definitions += facts.definitions.iter().filter(|d| !d.is_test).count();
        summary.features += facts.features.len();
        summary.items += facts.features.iter().map(|f| f.items.len()).sum::<usize>();
        summary.references += facts.references.len();
        summary.mentions += facts
            .mentions
            .iter()
            .filter(|m| known_ids.contains(&m.target))
            .count();
        summary
            .diagnostics
            .extend(facts.diagnostics.iter().cloned());
    }
}

/// What the specs of the whole repository define.
struct Specs {
    /// Every feature and item id.
    known_ids: HashSet<String>,
    /// Features defined more than once.
    diagnostics: Vec<Diagnostic>,
}

/// Collects every feature and item id, reporting features defined twice (the first by path
/// order wins; the later definition is dropped so that the two do not mix in the graph).
fn resolve_specs(all: &mut [FileFacts]) -> Specs {
    let mut features: HashMap<String, (String, u32)> = HashMap::new();
    let mut known_ids = HashSet::new();
    let mut diagnostics = Vec::new();
    for facts in all.iter_mut() {
        let path = facts.path.clone();
        facts.features.retain(|feature| {
            if let Some((first_path, first_line)) = features.get(&feature.name) {
                diagnostics.push(Diagnostic::new(
                    Severity::Error,
                    &path,
                    Some(Position {
                        line: feature.line,
                        column: 1,
                    }),
                    format!(
                        "feature `{}` is already defined at {first_path}:{first_line}; this definition is ignored",
                        feature.name
                    ),
                ));
                return false;
            }
            features.insert(feature.name.clone(), (path.clone(), feature.line));
            known_ids.insert(feature.name.clone());
            for item in &feature.items {
                known_ids.insert(format!("{}/{}", feature.name, item.local_id));
            }
            true
        });
    }
    Specs {
        known_ids,
        diagnostics,
    }
}

/// What the repository-wide step wrote.
struct Global {
    diagnostics: Vec<Diagnostic>,
    dangling: usize,
    /// The bookkeeping graph: the repository and every file's blob.
    meta: Vec<Quad>,
    /// The diagnostics and tree graphs, small enough to be replaced whole.
    others: Vec<Quad>,
}

/// Every id that a reference or mention names; the dangling ones are found in Rust against the
/// known ids, which is much cheaper than a negated pattern over every reference.
const TARGET_IDS: &str = "SELECT ?ref ?id WHERE { ?ref kg:targetId ?id }";

/// The dangling references the last run found.
const DANGLING_BEFORE: &str =
    "SELECT ?ref WHERE { ?diagnostic kg:code \"dangling-reference\" ; kg:about ?ref }";

/// How `finish` finds the dangling references.
enum DanglingFrom<'a> {
    /// From the facts of every file (a full build has them all in memory).
    Facts(&'a [FileFacts]),
    /// Check every reference in the store against the known ids.
    Scan(&'a Update<'a>),
    /// The ids did not change: the previous ones, plus those in the changed files.
    Carry {
        update: &'a Update<'a>,
        changed_paths: &'a HashSet<&'a str>,
        changed: &'a [&'a FileFacts],
    },
}

/// Where the references in `VALUES ?ref` stand (trailer references stand in no file).
const REFERENCE_DETAILS: &str = "SELECT ?path ?line ?column ?marker ?id ?ref WHERE {
  ?ref a kg:Reference ; kg:targetId ?id ; kg:marker ?marker ;
       kg:inFile/kg:path ?path ; kg:line ?line ; kg:column ?column .
}";

/// A reference that names an unknown id.
struct Dangling {
    path: String,
    position: Position,
    marker: String,
    id: String,
    /// The reference's node, which the diagnostic is about.
    node: String,
}

/// The dangling references written in `files`.
fn dangling_in<'a>(
    files: impl IntoIterator<Item = &'a FileFacts>,
    iris: &Iris,
    known_ids: &HashSet<String>,
) -> Vec<Dangling> {
    let mut found = Vec::new();
    for facts in files {
        let file = iris.file(&facts.path);
        for reference in &facts.references {
            if known_ids.contains(&reference.target) {
                continue;
            }
            found.push(Dangling {
                path: facts.path.clone(),
                position: reference.position,
                marker: reference.marker.marker().to_owned(),
                id: reference.target.clone(),
                node: graph::reference_node(&file, reference.position)
                    .as_str()
                    .to_owned(),
            });
        }
    }
    found
}

/// Where the stored references `nodes` (in SPARQL syntax) stand.
fn stored_dangling(update: &Update<'_>, nodes: &[String]) -> Result<Vec<Dangling>, IndexError> {
    if nodes.is_empty() {
        return Ok(Vec::new());
    }
    let text = |term: &Option<Term>| cell(term).unwrap_or_default();
    let rows = update.select(&format!(
        "{REFERENCE_DETAILS}\nVALUES ?ref {{ {} }}",
        nodes.join(" ")
    ))?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let Some(Term::NamedNode(node)) = &row[5] else {
                return None;
            };
            Some(Dangling {
                path: text(&row[0]),
                position: Position {
                    line: text(&row[1]).parse().unwrap_or(0),
                    column: text(&row[2]).parse().unwrap_or(0),
                },
                marker: text(&row[3]),
                id: text(&row[4]),
                node: node.as_str().to_owned(),
            })
        })
        .collect())
}

/// The last step of every run, full or incremental: repository-wide diagnostics (dangling
/// references, features defined twice, file names), links and submodules, and the bookkeeping
/// graph, in the same transaction as the file graphs of an incremental run.
fn finish(
    snapshot: &Snapshot,
    specs: &Specs,
    blobs: Vec<(String, String)>,
    shallow: bool,
    dangling_from: DanglingFrom<'_>,
) -> Result<Global, IndexError> {
    let mut diagnostics: Vec<(Diagnostic, Option<String>)> = snapshot
        .diagnostics
        .iter()
        .chain(&specs.diagnostics)
        .map(|d| (d.clone(), None))
        .collect();
    let text = |term: &Option<Term>| cell(term).unwrap_or_default();
    let found = match dangling_from {
        DanglingFrom::Facts(all) => dangling_in(all, &snapshot.iris, &specs.known_ids),
        DanglingFrom::Scan(update) => {
            let unknown: Vec<String> = update
                .select(TARGET_IDS)?
                .into_iter()
                .filter(|row| !specs.known_ids.contains(&text(&row[1])))
                .filter_map(|row| row[0].as_ref().map(Term::to_string))
                .collect();
            stored_dangling(update, &unknown)?
        }
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
                &specs.known_ids,
            ));
            found
        }
    };
    let dangling = found.len();
    for reference in found {
        let id = &reference.id;
        let feature = id.split('/').next().unwrap_or("");
        let hint = if id.contains('/') && specs.known_ids.contains(feature) {
            format!("feature `{feature}` has no item with that id")
        } else {
            "no spec defines it".to_owned()
        };
        let diagnostic = Diagnostic::new(
            Severity::Warning,
            &reference.path,
            Some(reference.position),
            format!(
                "dangling reference: `{}: {id}` names an unknown id ({hint})",
                reference.marker
            ),
        );
        diagnostics.push((diagnostic, Some(reference.node)));
    }
    diagnostics.sort();
    let iris = &snapshot.iris;
    let meta = graph::meta_quads(iris, &snapshot.head.to_string(), &blobs, shallow);
    let mut others = graph::diagnostics_quads(iris, &diagnostics);
    others.extend(graph::special_quads(iris, &snapshot.special));
    Ok(Global {
        diagnostics: diagnostics.into_iter().map(|(d, _)| d).collect(),
        dangling,
        meta,
        others,
    })
}

/// Brings the bookkeeping graph forward: from one commit to the next only the repository's
/// node and the changed files' blobs can differ, so only those are read back and compared.
fn update_meta(
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

/// Brings the lineage graph forward by the commits of `chain`: only the files they change and
/// the items whose ids their item changes name can differ, so only those are read back.
fn update_lineage(
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
struct FactsAtHead<'f> {
    by_path: HashMap<&'f str, (&'f FileFacts, HashSet<String>)>,
}

impl<'f> FactsAtHead<'f> {
    fn new(all: impl Iterator<Item = &'f FileFacts>) -> Self {
        let by_path = all
            .map(|f| {
                let keys = graph::section_keys(&f.sections).into_iter().collect();
                (f.path.as_str(), (f, keys))
            })
            .collect();
        FactsAtHead { by_path }
    }

    fn knows(&self, path: &str) -> bool {
        self.by_path.contains_key(path)
    }

    /// Whether the link's anchor is in these files at HEAD.
    fn holds(&self, link: &TrailerLink) -> bool {
        let Some((facts, section_keys)) = self.by_path.get(link.path.as_str()) else {
            return false;
        };
        match &link.anchor {
            LinkAnchor::File => true,
            LinkAnchor::Section { key } => section_keys.contains(key),
            LinkAnchor::Definition {
                language,
                qualified_name,
            } => {
                matches!(facts.kind, FileKind::Code(l) if l.tag() == *language)
                    && facts
                        .definitions
                        .iter()
                        .any(|d| &d.qualified_name == qualified_name)
            }
        }
    }
}

/// Brings the links graph forward: the links the new commits' trailers make are added to what
/// the store holds of them, and the links into changed files are checked against HEAD again.
/// Only those links are read back and rewritten.
fn update_links(
    repo: &Repo,
    update: &mut Update<'_>,
    iris: &Iris,
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
        "SELECT ?marker ?id ?source ?latest ?count ?type WHERE {{ GRAPH <{}> {{
           {{ VALUES ?link {{ {nodes} }} }} UNION {{ VALUES ?path {{ {paths} }} ?link kg:path ?path }}
           ?link kg:marker ?marker ; kg:targetId ?id ; kg:source ?source ;
                 kg:commit ?latest ; kg:commitCount ?count .
           OPTIONAL {{ ?link a ?type }} }} }}",
        iris.links_graph().as_str()
    ))?;
    let commit_prefix = format!("{}commit/", iris.base());
    let mut before: Vec<(TrailerLink, graph::history::LinkSupport, bool)> = Vec::new();
    for row in rows {
        let (Some(marker), Some(id), Some(source), Some(latest), Some(count)) = (
            cell(&row[0]),
            cell(&row[1]),
            cell(&row[2]),
            cell(&row[3]),
            cell(&row[4]),
        ) else {
            continue;
        };
        let Some(link) = graph::history::stored_link(iris, &marker, &id, &source) else {
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
        before.push((link, support, row[5].is_some()));
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
    let present: HashSet<String> = if unknown.is_empty() {
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
                changed_at_head.knows(&link.path) && changed_at_head.holds(link)
            } else {
                live.unwrap_or_else(|| {
                    present.contains(graph::history::link_source(iris, link).as_str())
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

/// Removes what is `present` but not `wanted`, and inserts what is wanted but not present.
fn write_difference(update: &mut Update<'_>, present: Vec<Quad>, wanted: Vec<Quad>) {
    let present: HashSet<Quad> = present.into_iter().collect();
    let wanted: HashSet<Quad> = wanted.into_iter().collect();
    let stale: Vec<Quad> = present.difference(&wanted).cloned().collect();
    let missing: Vec<Quad> = wanted.difference(&present).cloned().collect();
    update.remove(&stale);
    update.insert(&missing);
}

/// Makes `graphs` hold exactly `quads`, writing only the difference.
fn replace_graphs(
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

/// Commits on HEAD's first-parent chain, oldest first: down to the root (or a shallow boundary),
/// or down to `stop`, excluded. `None` when `stop` is given and not on the chain.
fn mainline(
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
fn apply_lineage(
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
fn read_lineage(
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

/// A blob read as a kind of file: the key of parsed facts.
type BlobKey = (ObjectId, FileKind, bool);

/// The facts of the blobs the history of `commits` needs: every version of every spec file, and
/// what commits with trailers changed (to find the definitions they changed), parsed once per
/// blob.
fn history_facts(
    repo: &Repo,
    cache: &FactsCache,
    snapshot: &Snapshot,
    commits: &[CommitInfo],
    tick: &dyn Tick,
) -> Result<HashMap<BlobKey, FileFacts>, IndexError> {
    let rules = &snapshot.config.rules;
    let mut wanted: BTreeMap<BlobKey, Selected> = BTreeMap::new();
    for commit in commits {
        let linked = !links_wanted(commit).is_empty();
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
                    .entry((blob, kind, is_test))
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
    let list: Vec<&Selected> = wanted.values().collect();
    let (facts, _) = parse_files(repo, cache, &list, rules.max_file_size, tick)?;
    Ok(wanted.into_keys().zip(facts).collect())
}

/// The quads of `commits` with their item changes, from the facts of [`history_facts`]. Returns
/// each commit's item changes, for the lineage, and the trailer links of all of them together
/// (the definitions and sections a commit with an `Implements:`, `Verifies:` or `Documents:`
/// trailer changed), one per item and anchor.
fn history_quads(
    repo: &Repo,
    snapshot: &Snapshot,
    commits: &[CommitInfo],
    by_key: &HashMap<BlobKey, FileFacts>,
    tick: &dyn Tick,
    sink: &mut dyn FnMut(Vec<Quad>) -> Result<(), IndexError>,
) -> Result<(HashMap<ObjectId, Vec<ItemChange>>, HistoryLinks), IndexError> {
    let rules = &snapshot.config.rules;
    let mut item_changes_of = HashMap::new();
    let mut links = HistoryLinks::new();
    for part in commits.chunks(PART_COMMITS) {
        let per_commit = part
            .par_iter()
            .map_init(
                || repo.blob_reader(),
                |reader, commit| -> Result<CommitFacts, GitError> {
                    let mut item_changes = Vec::new();
                    for change in &commit.changes {
                        if rules.classify(&change.path) != Some(FileKind::Spec) {
                            continue;
                        }
                        let features = |blob: Option<ObjectId>| {
                            blob.and_then(|b| {
                                by_key.get(&(b, FileKind::Spec, rules.is_test_file(&change.path)))
                            })
                            .map(|f| f.features.clone())
                            .unwrap_or_default()
                        };
                        item_changes.extend(diff_items(
                            &features(change.before),
                            &features(change.after),
                        ));
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
type CommitFacts = (Vec<Quad>, Vec<ItemChange>, Vec<TrailerLink>);

/// Files whose quads are built and loaded together in a full build.
const PART_FILES: usize = 512;

/// Commits whose quads are built and loaded together.
const PART_COMMITS: usize = 1024;

/// The trailer references of a commit that link items to what it changed (not `Refs:`).
fn links_wanted(commit: &CommitInfo) -> Vec<(&'static str, String)> {
    graph::history::trailer_references(commit)
        .into_iter()
        .filter(|(marker, _)| graph::history::marker_relation(marker).is_some())
        .collect()
}

/// Links each item a commit's trailers name to the innermost definitions (or doc sections) whose
/// lines the commit added or changed, or to the file when a changed line lies outside any.
fn trailer_links(
    reader: &crate::git::BlobReader,
    snapshot: &Snapshot,
    commit: &CommitInfo,
    by_key: &HashMap<BlobKey, FileFacts>,
) -> Result<Vec<TrailerLink>, GitError> {
    let wanted = links_wanted(commit);
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let rules = &snapshot.config.rules;
    let mut anchors = std::collections::BTreeSet::new();
    for change in &commit.changes {
        let (Some(after), Some(kind)) = (change.after, rules.classify(&change.path)) else {
            continue;
        };
        let Some(facts) = by_key.get(&(after, kind, rules.is_test_file(&change.path))) else {
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
            let anchor = match kind {
                FileKind::Code(language) => facts
                    .definitions
                    .iter()
                    .filter(|d| d.start_line <= line && line <= d.end_line)
                    .min_by_key(|d| d.end_line - d.start_line)
                    .map_or(LinkAnchor::File, |d| LinkAnchor::Definition {
                        language: language.tag(),
                        qualified_name: d.qualified_name.clone(),
                    }),
                _ => facts
                    .sections
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.start_line <= line && line <= s.end_line)
                    .min_by_key(|(_, s)| s.end_line - s.start_line)
                    .map_or(LinkAnchor::File, |(i, _)| LinkAnchor::Section {
                        key: keys[i].clone(),
                    }),
            };
            let in_test = match &anchor {
                LinkAnchor::Definition { qualified_name, .. } => facts
                    .definitions
                    .iter()
                    .any(|d| d.is_test && &d.qualified_name == qualified_name),
                _ => facts.is_test_file,
            };
            in_file.insert((anchor, in_test));
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
        .flat_map(|(marker, target)| {
            anchors.iter().map(|(path, anchor, in_test)| TrailerLink {
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
const REWRITE_MIN_DEFINITIONS: usize = 3;

/// How many of the nodes, given by their parents, hold no other node.
fn leaf_count(parents: &[Option<usize>]) -> usize {
    let mut has_child = vec![false; parents.len()];
    for parent in parents.iter().flatten() {
        if let Some(slot) = has_child.get_mut(*parent) {
            *slot = true;
        }
    }
    has_child.iter().filter(|c| !**c).count()
}

/// The commit the store says it holds.
fn indexed_commit(update: &Update<'_>) -> Result<Option<ObjectId>, IndexError> {
    let rows =
        update.select("SELECT ?commit WHERE { GRAPH ?g { ?repo kg:indexedCommit ?commit } }")?;
    Ok(rows.first().and_then(|row| match &row[0] {
        Some(Term::Literal(l)) => ObjectId::from_hex(l.value().as_bytes()).ok(),
        _ => None,
    }))
}

/// What the specs in the store define: every feature and item id, and which file each feature's
/// kept definition is in.
struct Defined {
    ids: HashSet<String>,
    features: BTreeSet<(String, String)>,
}

fn defined_in_store(update: &Update<'_>) -> Result<Defined, IndexError> {
    let text = |term: &Option<Term>| cell(term).unwrap_or_default();
    let ids = update
        .select("SELECT ?id WHERE { { ?x a oslc_rm:Requirement } UNION { ?x a kg:Feature } ?x dcterms:identifier ?id }")?
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

/// Definitions that calls can resolve to.
const CALLABLE_KINDS: [DefKind; 3] = [DefKind::Function, DefKind::Method, DefKind::Class];

/// The callables and call sites of parsed files, for call resolution.
/// What call resolution needs: definitions that can be called, call sites, and each code file's
/// imports by path.
#[derive(Default)]
struct CallGraphInput {
    callables: Vec<Callable>,
    sites: Vec<CallSite>,
    imports: HashMap<String, Vec<Import>>,
}

fn call_graph_input(all: &[&FileFacts], iris: &Iris) -> CallGraphInput {
    let mut callables = Vec::new();
    let mut sites = Vec::new();
    let mut imports = HashMap::new();
    for facts in all {
        let FileKind::Code(language) = facts.kind else {
            continue;
        };
        if !facts.imports.is_empty() {
            imports.insert(facts.path.clone(), facts.imports.clone());
        }
        let language = language.tag();
        let ids: Vec<String> = facts
            .definitions
            .iter()
            .map(|d| {
                iris.symbol(language, &facts.path, &d.qualified_name)
                    .as_str()
                    .to_owned()
            })
            .collect();
        for (definition, id) in facts.definitions.iter().zip(&ids) {
            if CALLABLE_KINDS.contains(&definition.kind) {
                callables.push(Callable {
                    id: id.clone(),
                    name: definition.name.clone(),
                    qualified_name: definition.qualified_name.clone(),
                    path: facts.path.clone(),
                    parent: definition.parent.map(|p| ids[p].clone()),
                    language: language.to_owned(),
                });
            }
        }
        let mut seen = BTreeSet::new();
        for call in &facts.calls {
            let caller = call.caller.map_or_else(
                || iris.file(&facts.path).as_str().to_owned(),
                |i| ids[i].clone(),
            );
            if !seen.insert((caller.clone(), call.callee.clone())) {
                continue;
            }
            sites.push(CallSite {
                parent: call
                    .caller
                    .and_then(|i| facts.definitions[i].parent)
                    .map(|p| ids[p].clone()),
                caller,
                path: facts.path.clone(),
                language: language.to_owned(),
                callee: call.callee.clone(),
            });
        }
    }
    CallGraphInput {
        callables,
        sites,
        imports,
    }
}

/// The definitions, calls and imports of the changed files before a change.
struct CallsBefore {
    definitions: HashSet<Signature>,
    calls: CallsByCaller,
    imports: HashMap<String, Vec<Import>>,
}

/// Each caller's file, parent and callees as written: with the file's imports and the
/// callables of the names it calls, all that its calls resolve from.
type CallsByCaller = HashMap<String, (String, Option<String>, BTreeSet<String>)>;

fn calls_by_caller(sites: &[CallSite]) -> CallsByCaller {
    let mut by_caller = CallsByCaller::new();
    for site in sites {
        by_caller
            .entry(site.caller.clone())
            .or_insert_with(|| (site.path.clone(), site.parent.clone(), BTreeSet::new()))
            .2
            .insert(site.callee.clone());
    }
    by_caller
}

/// What call resolution reads of a definition: IRI, name, qualified name, parent IRI and kind.
/// A change that leaves a file's signatures as they were cannot change how calls elsewhere
/// resolve.
type Signature = (String, String, String, Option<String>, String);

/// The signatures of the definitions in `facts`.
fn signatures(facts: &FileFacts, iris: &Iris) -> Vec<Signature> {
    let FileKind::Code(language) = facts.kind else {
        return Vec::new();
    };
    let iri = |d: &crate::facts::Definition| {
        iris.symbol(language.tag(), &facts.path, &d.qualified_name)
            .as_str()
            .to_owned()
    };
    facts
        .definitions
        .iter()
        .map(|d| {
            (
                iri(d),
                d.name.clone(),
                d.qualified_name.clone(),
                d.parent.map(|p| iri(&facts.definitions[p])),
                d.kind.as_str().to_owned(),
            )
        })
        .collect()
}

/// Brings the calls graph forward after an incremental change, re-resolving only the callers
/// whose resolution can have changed: the callers in changed files that call something else or
/// whose imports changed, and every caller of a name whose definitions changed (before or after
/// the change). Only the difference is written.
fn update_calls(
    update: &mut Update<'_>,
    iris: &Iris,
    changed_facts: &[&FileFacts],
    before: &CallsBefore,
) -> Result<(), IndexError> {
    let string = cell;
    let new_input = call_graph_input(changed_facts, iris);
    let new_calls = calls_by_caller(&new_input.sites);
    // The callers in the changed files whose resolution can have changed: those that call
    // something else than before (or are new, or gone), and all those in a file whose imports
    // changed. An edit inside a body that calls the same names changes none.
    let imports_changed: HashSet<&str> = changed_facts
        .iter()
        .map(|f| f.path.as_str())
        .chain(before.imports.keys().map(String::as_str))
        .filter(|path| before.imports.get(*path) != new_input.imports.get(*path))
        .collect();
    let mut affected: HashSet<String> = before
        .calls
        .iter()
        .chain(&new_calls)
        .filter(|(caller, (path, ..))| {
            imports_changed.contains(path.as_str())
                || before.calls.get(*caller) != new_calls.get(*caller)
        })
        .map(|(caller, _)| caller.clone())
        .collect();
    // The names whose definitions changed in a way call resolution sees: added, removed,
    // renamed, moved to another parent. A change inside bodies changes none.
    let after: HashSet<Signature> = changed_facts
        .iter()
        .flat_map(|f| signatures(f, iris))
        .collect();
    let names: HashSet<String> = before
        .definitions
        .symmetric_difference(&after)
        .map(|(_, name, ..)| name.clone())
        .collect();
    // Callers anywhere that call one of those names, found through the index by name.
    if !names.is_empty() {
        let names = literal_values(&names);
        let query = format!(
            "SELECT DISTINCT ?caller WHERE {{ VALUES ?name {{ {names} }} {{ ?caller kg:callsName ?name }} UNION {{ ?caller kg:callsBareName ?name }} }}"
        );
        affected.extend(
            update
                .select(&query)?
                .iter()
                .filter_map(|row| string(&row[0])),
        );
    }
    // Their call sites, and every definition they may call.
    let sites: Vec<CallSite> = if affected.is_empty() {
        Vec::new()
    } else {
        let callers = iri_values(&affected);
        update
            .select(&format!(
                "SELECT ?caller ?callee ?path ?parent ?language WHERE {{
                   VALUES ?caller {{ {callers} }}
                   ?caller kg:callsName ?callee .
                   {{ ?caller kg:inFile ?file }} UNION {{ ?caller a kg:File BIND(?caller AS ?file) }}
                   ?file kg:path ?path ; kg:language ?language .
                   OPTIONAL {{ ?caller kg:parent ?parent }}
                 }}"
            ))?
            .iter()
            .map(|row| CallSite {
                caller: string(&row[0]).unwrap_or_default(),
                callee: string(&row[1]).unwrap_or_default(),
                path: string(&row[2]).unwrap_or_default(),
                parent: string(&row[3]),
                language: string(&row[4]).unwrap_or_default(),
            })
            .collect()
    };
    // The imports of the files those callers are in.
    let paths: BTreeSet<&str> = sites.iter().map(|s| s.path.as_str()).collect();
    let mut imports: HashMap<String, Vec<Import>> = HashMap::new();
    if !paths.is_empty() {
        let files = iri_values(paths.iter().map(|p| iris.file(p).into_string()));
        for row in update.select(&format!(
            "SELECT ?path ?import WHERE {{ VALUES ?file {{ {files} }} ?file kg:path ?path ; kg:imports ?import }}"
        ))? {
            if let (Some(path), Some(import)) = (string(&row[0]), string(&row[1]))
                && let Some(import) = Import::from_literal(&import)
            {
                imports.entry(path).or_default().push(import);
            }
        }
    }
    // The names they call, and those their aliases stand for.
    let mut called: BTreeSet<String> = BTreeSet::new();
    for site in &sites {
        let name = calls::called_name(&site.callee);
        called.insert(name.to_owned());
        let imports = imports.get(&site.path).map_or(&[][..], Vec::as_slice);
        called.extend(calls::aliased_names(&site.callee, imports).map(str::to_owned));
    }
    let callables: Vec<Callable> = if called.is_empty() {
        Vec::new()
    } else {
        let names = literal_values(&called);
        update
            .select(&format!(
                "SELECT ?def ?name ?qualified ?path ?parent ?language WHERE {{
                   VALUES ?name {{ {names} }}
                   ?def kg:name ?name ; kg:kind ?kind ; kg:qualifiedName ?qualified ;
                        kg:language ?language ; kg:inFile/kg:path ?path .
                   FILTER(?kind IN ({}))
                   OPTIONAL {{ ?def kg:parent ?parent }}
                 }}",
                CALLABLE_KINDS
                    .map(|k| format!("\"{}\"", k.as_str()))
                    .join(", ")
            ))?
            .iter()
            .map(|row| Callable {
                id: string(&row[0]).unwrap_or_default(),
                name: string(&row[1]).unwrap_or_default(),
                qualified_name: string(&row[2]).unwrap_or_default(),
                path: string(&row[3]).unwrap_or_default(),
                parent: string(&row[4]),
                language: string(&row[5]).unwrap_or_default(),
            })
            .collect()
    };
    let wanted: HashSet<Quad> = calls::resolve(&callables, &sites, &imports)
        .iter()
        .map(|edge| graph::call_quad(iris, edge))
        .collect();
    // The edges of affected callers, and of callers in the changed files as they were.
    let mut stale = Vec::new();
    let mut present = HashSet::new();
    let subjects: BTreeSet<&String> = affected.iter().collect();
    if !subjects.is_empty() {
        let query = format!(
            "SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {} }} GRAPH <{}> {{ ?s ?p ?o }} }}",
            iri_values(&subjects),
            iris.calls_graph().as_str()
        );
        for row in update.select(&query)? {
            let (Some(Term::NamedNode(s)), Some(Term::NamedNode(p)), Some(o)) =
                (&row[0], &row[1], &row[2])
            else {
                continue;
            };
            let quad = Quad::new(s.clone(), p.clone(), o.clone(), iris.calls_graph());
            if wanted.contains(&quad) {
                present.insert(quad);
            } else {
                stale.push(quad);
            }
        }
    }
    let missing: Vec<Quad> = wanted
        .into_iter()
        .filter(|q| !present.contains(q))
        .collect();
    update.remove(&stale);
    update.insert(&missing);
    Ok(())
}
