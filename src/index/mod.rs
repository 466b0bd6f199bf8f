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

use crate::config::{CONFIG_FILE, Config, ConfigError, FileRules};
use crate::facts::{
    DefKind, Diagnostic, FileFacts, FileKind, Import, Language, Position, Reference, Severity,
};
use crate::git::{ChangeKind, CommitInfo, GitError, Repo, SpecialEntry, TreeFile};
use crate::graph::history::{HistoryLinks, LinkAnchor, TrailerLink, Via};
use crate::graph::{self, Context, Iris};
use crate::link::calls::{self, CallSite, Callable};
use crate::link::history::{ItemChange, Lineage, changed_lines, diff_items};
use crate::link::ids::{Resolution, Resolver};
use crate::parse::spec::SpecFormat;
use crate::parse::{CodeQueries, FileParser};
use crate::progress::{StageTime, Stages, Tick};
use crate::query::{iri_values, literal_values};
use crate::store::cache::FactsCache;
use crate::store::{INDEX_FORMAT, IndexState, StoreDir, StoreError, Update, WriteLock, cell};

mod call_graph;
mod finish;
mod full;
mod history;
mod incremental;

use call_graph::*;
use finish::*;
use full::*;
use history::*;
use incremental::*;

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
    /// Why a store that was there was rebuilt rather than brought forward, when it was written
    /// by another kg version or in another index format.
    pub rebuilt: Option<String>,
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
    pub tasks: usize,
    pub references: usize,
    pub dangling: usize,
    pub ambiguous: usize,
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
    let reader = repo.blob_reader();
    let (config, _) = read_config(|path| reader.read_path(head, path))?;
    Ok(config)
}

/// The configuration from `kg.toml` and the tracey configuration, as `read` gives their files
/// (`None` for an absent one), with a diagnostic for a tracey configuration kg cannot read (its
/// spec sets are then left out; the rest is indexed).
fn read_config(
    read: impl Fn(&str) -> Result<Option<Vec<u8>>, GitError>,
) -> Result<(Config, Vec<Diagnostic>), IndexError> {
    use crate::parse::spec::tracey;
    let mut diagnostics = Vec::new();
    let sets = match read(tracey::CONFIG_PATH)? {
        Some(bytes) => match tracey::read_config(&String::from_utf8_lossy(&bytes)) {
            Ok(sets) => sets,
            Err(message) => {
                diagnostics.push(Diagnostic::new(
                    Severity::Warning,
                    tracey::CONFIG_PATH,
                    None,
                    format!("cannot read the tracey configuration ({message}); its spec sets were left out"),
                ));
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    let text = read(CONFIG_FILE)?.map(|b| String::from_utf8_lossy(&b).into_owned());
    let config = Config::parse_with(text.as_deref().unwrap_or(""), &sets)?;
    Ok((config, diagnostics))
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
    // Which submodules are checked out decides what is indexed as much as HEAD does.
    let submodules = repo.checked_out_submodules(head)?;
    let current = |store: &StoreDir| -> Result<Option<IndexState>, IndexError> {
        Ok(store
            .state()?
            .filter(|s| s.is_current_for(&head_hex, &submodules)))
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
    let recorded = store.state()?;
    // An index another kg wrote is rebuilt, and the summary says so (once: the next run finds
    // this version's).
    let mut rebuilt = recorded
        .as_ref()
        .filter(|s| s.format != INDEX_FORMAT || s.tool_version != env!("CARGO_PKG_VERSION"))
        .map(|s| {
            format!(
                "the index was written by kg {} in index format {}; rebuilding it for kg {} (format {INDEX_FORMAT})",
                s.tool_version,
                s.format,
                env!("CARGO_PKG_VERSION")
            )
        });
    let previous = if force || rebuilt.is_some() {
        None
    } else {
        recorded
    };
    let stages = Stages::new(show_progress);
    let stage = stages.start("read tree", "files", None);
    let snapshot = Snapshot::read(repo, head, submodules)?;
    stage.finish(snapshot.selected.len() as u64);
    store.remove_stale_caches(&lock);
    let cache = FactsCache::open(&store.facts_cache());
    cache.keep_snapshot(wanted_keys(
        &snapshot.config.rules,
        snapshot.selected.iter(),
    ));
    let updated = match previous {
        // A current store that cannot be read (truncated, damaged) is rebuilt, saying why.
        Some(state) => match incremental(repo, store, &lock, &snapshot, &cache, &state, &stages) {
            Err(IndexError::Store(StoreError::Storage { path, message })) => {
                rebuilt = Some(format!(
                    "the index in {} could not be read ({message}); rebuilding it",
                    path.display()
                ));
                None
            }
            result => result?,
        },
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
    summary.rebuilt = rebuilt;
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
    /// The submodules checked out, whose specs it reads (unless `kg.toml` says not to).
    submodules: Vec<String>,
}

#[derive(Clone)]
struct Selected {
    file: TreeFile,
    kind: FileKind,
    is_test: bool,
}

impl Snapshot {
    /// Reads the commit `head`, with the submodules checked out (as `ensure_index` found them).
    fn read(repo: &Repo, head: ObjectId, submodules: Vec<String>) -> Result<Snapshot, IndexError> {
        let listing = repo.tree(head)?;
        let files = listing.files;
        let reader = repo.blob_reader();
        let (mut config, mut diagnostics) =
            read_config(|path| match files.iter().find(|f| f.path == path) {
                Some(file) => reader.read(file.blob).map(Some),
                None => Ok(None),
            })?;
        let base = match &config.base {
            Some(base) => base.clone(),
            None => graph::derive_base(
                repo.remote_url().as_deref(),
                &repo.root_commit(head)?.to_string(),
            ),
        };
        // A checked-out submodule's specs are part of the graph; nothing else of it is.
        let submodule_files = if config.rules.submodules {
            repo.submodule_files(head, &listing.special)?
        } else {
            Vec::new()
        };
        for (path, format) in sniff_files(repo, &config.rules, &files)? {
            config.rules.claim(path, format);
        }
        for (path, format) in sniff_files(repo, &config.rules, &submodule_files)? {
            config.rules.claim(path, format);
        }
        let submodule_specs = submodule_files
            .iter()
            .filter(|f| config.rules.classify(&f.path) == Some(FileKind::Spec));
        let selected = files
            .iter()
            .chain(submodule_specs)
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
            submodules,
        })
    }
}

/// The files of `files` that a format claims by their content (OpenFastTrace's documents),
/// with the format: each candidate's blob read on all cores.
fn sniff_files<'f>(
    repo: &Repo,
    rules: &FileRules,
    files: &'f [TreeFile],
) -> Result<Vec<(&'f str, &'static SpecFormat)>, IndexError> {
    let candidates: Vec<&TreeFile> = files.iter().filter(|f| rules.may_sniff(&f.path)).collect();
    let claimed = candidates
        .par_iter()
        .map_init(
            || repo.blob_reader(),
            |reader, file| -> Result<_, GitError> {
                // A blob the clone lacks is reported when the file is parsed.
                let Ok(bytes) = reader.read(file.blob) else {
                    return Ok(None);
                };
                Ok(rules
                    .sniff(&file.path, &bytes)
                    .map(|format| (file.path.as_str(), format)))
            },
        )
        .collect::<Result<Vec<_>, GitError>>()?;
    Ok(claimed.into_iter().flatten().collect())
}

impl Snapshot {
    /// The state an index of this snapshot is in once written.
    fn state(&self) -> IndexState {
        IndexState::new(
            &self.head.to_string(),
            self.iris.repository().as_str(),
            &self.submodules,
        )
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
    rules: &FileRules,
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
                let (key, format, set) = cache_key(rules, selected);
                if let Some(facts) = cache.get(&key) {
                    return Ok(read_tags(rules, at_path(facts, &selected.file.path)));
                }
                parsed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let blob = selected.file.blob.to_string();
                // A blob the clone lacks (a partial or damaged clone) is that file's problem.
                let bytes = match reader.read(selected.file.blob) {
                    Ok(bytes) => bytes,
                    Err(err) => {
                        let mut facts =
                            FileFacts::new(&selected.file.path, selected.kind, &blob, 0);
                        facts.is_test_file = selected.is_test;
                        facts.skipped = true;
                        facts.diagnostic(
                            Severity::Error,
                            None,
                            format!("{err}; the file was not read (is this a partial clone?)"),
                        );
                        return Ok(facts);
                    }
                };
                let mut facts = FileFacts::new(
                    &selected.file.path,
                    selected.kind,
                    &blob,
                    bytes.len() as u64,
                );
                facts.is_test_file = selected.is_test;
                facts.spec_set = set.map(str::to_owned);
                let facts = parser.parse(facts, &bytes, rules.max_file_size, format);
                cache.put(key, &facts);
                Ok(read_tags(rules, facts))
            },
        )
        .collect::<Result<Vec<_>, GitError>>()?;
    Ok((facts, parsed.into_inner()))
}

/// `facts` without the tags the configuration leaves unread in its file (tracey's outside its
/// implementations' files). The cache keeps them all, so that the configuration decides anew.
pub(crate) fn read_tags(rules: &FileRules, mut facts: FileFacts) -> FileFacts {
    facts
        .references
        .retain(|r| rules.reads_tags(r.tool, &facts.path));
    facts
}

/// The cache key of a blob read as a given kind (the same bytes mean different facts as a spec
/// or as code, in a test file or not), with the spec format and set it is read with. A spec's key
/// also holds its format and its path, since the Markdown formats name a feature by its
/// directory.
fn cache_key<'r>(
    rules: &'r FileRules,
    selected: &Selected,
) -> (String, Option<&'static SpecFormat>, Option<&'r str>) {
    let format = (selected.kind == FileKind::Spec).then(|| rules.spec_format(&selected.file.path));
    let set = format.and_then(|_| rules.spec_set(&selected.file.path));
    let kind = match selected.kind {
        FileKind::Spec => {
            let name = format.map_or("", |f| f.name);
            let in_set = set.map_or(String::new(), |s| format!("[{s}]"));
            let key = format!(
                "{}-spec-{name}{in_set}:{}",
                selected.file.blob, selected.file.path
            );
            return (key, format, set);
        }
        FileKind::Doc => "doc",
        FileKind::Code(Language::Rust) => "rust",
        FileKind::Code(Language::TypeScript) => "ts",
        FileKind::Code(Language::Tsx) => "tsx",
        FileKind::Text => "text",
    };
    let test = if selected.is_test { "-test" } else { "" };
    (format!("{}-{kind}{test}", selected.file.blob), format, set)
}

/// The facts cache's keys of `files`.
fn wanted_keys<'a>(
    rules: &'a FileRules,
    files: impl Iterator<Item = &'a Selected> + 'a,
) -> impl Iterator<Item = String> + 'a {
    files.map(|selected| cache_key(rules, selected).0)
}

/// Cached facts for a blob that may now stand at another path than where it was parsed.
fn at_path(mut facts: FileFacts, path: &str) -> FileFacts {
    facts.path = path.to_owned();
    for diagnostic in &mut facts.diagnostics {
        diagnostic.path = path.to_owned();
    }
    facts
}

/// Adds per-file counts and diagnostics to the summary.
fn count(summary: &mut Summary, all: &[FileFacts], ids: &Resolver) {
    // A spec set's feature stands in each of its files: count it once.
    let features: HashSet<&str> = all
        .iter()
        .flat_map(|f| f.features.iter().map(|feature| feature.name.as_str()))
        .collect();
    summary.features += features.len();
    for facts in all {
        let kind = match facts.kind {
            FileKind::Spec => "spec",
            FileKind::Doc => "doc",
            FileKind::Code(Language::Rust) => "rust",
            FileKind::Code(Language::TypeScript | Language::Tsx) => "typescript",
            FileKind::Text => "other",
        };
        *summary.files.entry(kind).or_default() += 1;
        summary.tests += facts.definitions.iter().filter(|d| d.is_test).count();
        summary.definitions += facts.definitions.iter().filter(|d| !d.is_test).count();
        summary.items += facts.features.iter().map(|f| f.items.len()).sum::<usize>();
        summary.tasks += facts.tasks.len();
        // A local id of a shape no spec uses is no reference (`T100` without task lists).
        summary.references += facts
            .references
            .iter()
            .filter(|r| {
                !matches!(
                    ids.resolve(&facts.path, r),
                    Resolution::Unknown { report: false }
                )
            })
            .count();
        summary.mentions += facts
            .mentions
            .iter()
            .filter(|m| ids.known_ids().contains(&m.target))
            .count();
        summary
            .diagnostics
            .extend(facts.diagnostics.iter().cloned());
    }
}

/// What the specs of the whole repository define.
struct Specs {
    /// Every feature, item and task id, for resolving references.
    ids: Resolver,
    /// Features defined more than once.
    diagnostics: Vec<Diagnostic>,
}

/// Collects every feature and item id, reporting features defined twice (the first by path
/// order wins; the later definition is dropped so that the two do not mix in the graph).
fn resolve_specs(all: &mut [FileFacts]) -> Specs {
    let mut features: HashMap<String, (String, u32)> = HashMap::new();
    // A spec set's feature stands in every file of the set (tracey's `vox` in each of its
    // Markdown files); its ids must still be unique across them.
    let mut set_items: HashMap<String, HashMap<String, (String, u32)>> = HashMap::new();
    let mut diagnostics = Vec::new();
    for facts in all.iter_mut() {
        let path = facts.path.clone();
        let set = facts.spec_set.clone();
        for feature in facts.features.iter_mut() {
            if set.as_deref() != Some(feature.name.as_str()) {
                continue;
            }
            let seen = set_items.entry(feature.name.clone()).or_default();
            feature.items.retain(|item| {
                if let Some((first_path, first_line)) = seen.get(&item.local_id) {
                    diagnostics.push(Diagnostic::new(
                        Severity::Warning,
                        &path,
                        Some(Position {
                            line: item.line,
                            column: 1,
                        }),
                        format!(
                            "`{}` is declared again (first at {first_path}:{first_line}); this one was not read",
                            item.local_id
                        ),
                    ));
                    return false;
                }
                seen.insert(item.local_id.clone(), (path.clone(), item.line));
                true
            });
        }
        facts.features.retain(|feature| {
            if set.as_deref() == Some(feature.name.as_str()) {
                return true;
            }
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
            true
        });
    }
    let ids = Resolver::new(all.iter());
    // A task that names an item its feature does not define, or a task not in its list.
    for facts in all.iter() {
        let listed: HashSet<&str> = facts.tasks.iter().map(|t| t.id.as_str()).collect();
        for task in &facts.tasks {
            let full = |id: &str| format!("{}/{id}", task.feature);
            let unknown_items = task
                .items
                .iter()
                .filter(|i| !ids.known_ids().contains(&full(i)));
            // A change's tasks are its list's alone; a feature's may stand in another list.
            let unknown_tasks = task.depends.iter().filter(|t| {
                if task.in_change {
                    !listed.contains(t.as_str())
                } else {
                    !ids.is_task(&full(t))
                }
            });
            for (what, id) in unknown_items
                .map(|i| ("an item", i))
                .chain(unknown_tasks.map(|t| ("a task", t)))
            {
                diagnostics.push(Diagnostic::new(
                    Severity::Warning,
                    &facts.path,
                    Some(Position {
                        line: task.line,
                        column: 1,
                    }),
                    format!(
                        "task `{}` names `{id}`, which is not {what} of {} `{}`",
                        task.id,
                        if task.in_change { "change" } else { "feature" },
                        task.feature
                    ),
                ));
            }
        }
    }
    Specs { ids, diagnostics }
}
