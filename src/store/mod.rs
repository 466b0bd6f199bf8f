//! The only module that touches oxigraph's `Store`: where the index lives on disk, replacing it
//! whole, reading its state, and running queries and dumps against it.
//!
//! Layout of the store directory (by default `<git dir>/kg`):
//! - `store-<pid>-<nanos>/`: a RocksDB store, one per run that wrote the index, with
//!   `kg-readers` in it, the file its readers hold a shared lock on;
//! - `current`: the name of the store that is in use, replaced atomically (write, then rename);
//! - `lock`: held by the process that is writing, with its pid inside.
//!
//! A store is written only before it becomes `current`, never after: a full build goes through
//! the bulk loader into a new directory, and an incremental run into a copy of the current store
//! (hard links to its immutable table files, copies of the rest, [`StoreDir::checkpoint`]).
//! Readers open whatever `current` names and hold `kg-readers` while they read, so no process
//! ever opens a store that another may be writing, and an interrupted run leaves the previous
//! index usable. A store that is no longer current is removed once no reader holds it.

// implements: index/store

pub mod cache;

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{NamedNode, Quad, Term};
use oxigraph::sparql::{PreparedSparqlQuery, QueryResults};
use oxigraph::store::Store;

pub use crate::graph::INDEX_FORMAT;
use crate::graph::vocab;

/// An error from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("store {}: {message}", path.display())]
    Storage { path: PathBuf, message: String },
    #[error("query failed: {0}")]
    Query(String),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What the store says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexState {
    pub base: String,
    pub commit: String,
    pub format: i64,
    pub tool_version: String,
    /// The submodules that were checked out when the index was written (their paths, `,`
    /// between), as the pointer records it: checking one out, or removing it, changes what
    /// is indexed without moving HEAD.
    pub submodules: String,
}

impl IndexState {
    /// The state this version of kg writes for `commit`, with the submodules checked out.
    pub fn new(commit: &str, base: &str, submodules: &[String]) -> Self {
        IndexState {
            base: base.to_owned(),
            commit: commit.to_owned(),
            format: INDEX_FORMAT,
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            submodules: submodules.join(","),
        }
    }

    /// Whether this index was written by this version of kg for `commit`, with these
    /// submodules checked out.
    pub fn is_current_for(&self, commit: &str, submodules: &[String]) -> bool {
        self.commit == commit
            && self.format == INDEX_FORMAT
            && self.tool_version == env!("CARGO_PKG_VERSION")
            && self.submodules == submodules.join(",")
    }
}

/// The directory that holds a repository's index.
#[derive(Debug, Clone)]
pub struct StoreDir {
    root: PathBuf,
}

/// Held while writing; released on drop.
pub struct WriteLock {
    _file: File,
}

/// A store opened for reading, with the shared lock that keeps writers from removing it.
pub struct ReadStore {
    store: Store,
    path: PathBuf,
    _reading: Option<File>,
}

/// The file in a store's directory that its readers hold a shared lock on.
const READERS_FILE: &str = "kg-readers";

/// How many times a reader looks for the current store again when a writer replaced the one it
/// found before it could hold it.
const OPEN_TRIES: usize = 20;

impl StoreDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        StoreDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn current_file(&self) -> PathBuf {
        self.root.join("current")
    }

    /// The pointer file: the name of the store in use, then the state it was last written with
    /// (`commit`, `format`, `version`, `base` lines), so that "is the index current?" needs no
    /// store opened. The store's own bookkeeping graph stays the authority: the pointer is
    /// rewritten after each commit to the store, so at worst it lags behind it.
    fn pointer(&self) -> Result<Option<(PathBuf, Option<IndexState>)>, StoreError> {
        let file = self.current_file();
        let text = match fs::read_to_string(&file) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(io_error(&file)(err)),
        };
        let mut lines = text.lines();
        let path = self.root.join(lines.next().unwrap_or("").trim());
        if !path.is_dir() {
            return Ok(None);
        }
        let fields: std::collections::HashMap<&str, &str> =
            lines.filter_map(|l| l.split_once(' ')).collect();
        let state = match (
            fields.get("commit"),
            fields.get("format"),
            fields.get("version"),
            fields.get("base"),
        ) {
            (Some(commit), Some(format), Some(version), Some(base)) => Some(IndexState {
                commit: (*commit).to_owned(),
                format: format.parse().unwrap_or(0),
                tool_version: (*version).to_owned(),
                base: (*base).to_owned(),
                submodules: fields
                    .get("submodules")
                    .map_or(String::new(), |s| (*s).to_owned()),
            }),
            _ => None,
        };
        Ok(Some((path, state)))
    }

    /// The store in use, if an index was ever completed.
    fn current(&self) -> Result<Option<PathBuf>, StoreError> {
        Ok(self.pointer()?.map(|(path, _)| path))
    }

    /// The directory of the store in use, if an index was ever completed: what a long-lived
    /// reader compares with the store it holds to tell whether a newer index is complete.
    pub fn current_path(&self) -> Result<Option<PathBuf>, StoreError> {
        self.current()
    }

    /// Points `current` at the store called `name`, with its state, atomically.
    fn write_pointer(&self, name: &str, state: &IndexState) -> Result<(), StoreError> {
        let text = format!(
            "{name}\ncommit {}\nformat {}\nversion {}\nbase {}\nsubmodules {}\n",
            state.commit, state.format, state.tool_version, state.base, state.submodules
        );
        let pointer = self.current_file();
        let temporary = self.root.join(format!("current.tmp{}", std::process::id()));
        fs::write(&temporary, text).map_err(io_error(&temporary))?;
        fs::rename(&temporary, &pointer).map_err(io_error(&pointer))
    }

    // implements: history/safety
    /// Takes the write lock, waiting for another kg process that holds it (and saying so on
    /// stderr through `on_wait`).
    pub fn lock(&self, on_wait: impl FnOnce(&str)) -> Result<WriteLock, StoreError> {
        fs::create_dir_all(&self.root).map_err(io_error(&self.root))?;
        let path = self.root.join("lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_error(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let who = if holder.is_empty() {
                    "another kg process".to_owned()
                } else {
                    format!("kg process {holder}")
                };
                on_wait(&format!(
                    "waiting for {who}, which is writing the index in {}",
                    self.root.display()
                ));
                file.lock().map_err(io_error(&path))?;
            }
            Err(fs::TryLockError::Error(err)) => return Err(io_error(&path)(err)),
        }
        file.set_len(0).map_err(io_error(&path))?;
        write!(file, "{}", std::process::id()).map_err(io_error(&path))?;
        self.remove_stale_stores()?;
        Ok(WriteLock { _file: file })
    }

    /// Creates an empty store in a new directory; it becomes current only through
    /// [`StoreDir::make_current`].
    pub fn create(&self, _lock: &WriteLock) -> Result<WriteStore, StoreError> {
        WriteStore::open(self.new_store_path())
    }

    /// A new store's directory, named by this process and the time.
    fn new_store_path(&self) -> PathBuf {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        self.root
            .join(format!("store-{}-{nanos}", std::process::id()))
    }

    // implements: history/safety
    /// A copy of the current store in a new directory, opened for writing; it becomes current
    /// only through [`StoreDir::make_current`], and the current store is never written. RocksDB's
    /// table files never change once written, so they are hard links (a copy where the file
    /// system has none); its manifest, write-ahead log and options change, so they are copied.
    /// kg's own files (the readers' lock, the trace cache) stay behind.
    pub fn checkpoint(&self, _lock: &WriteLock) -> Result<Option<WriteStore>, StoreError> {
        let Some(current) = self.current()? else {
            return Ok(None);
        };
        let target = self.new_store_path();
        fs::create_dir_all(&target).map_err(io_error(&target))?;
        for entry in fs::read_dir(&current).map_err(io_error(&current))? {
            let entry = entry.map_err(io_error(&current))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // RocksDB's own log (`LOG`, and one `LOG.old.*` for every earlier open) is no part
            // of the data, and copied along it would grow by one file a run.
            if name.starts_with("kg-")
                || name == "LOCK"
                || name.starts_with("LOG")
                || !entry.path().is_file()
            {
                continue;
            }
            let to = target.join(&*name);
            let immutable = name.ends_with(".sst") || name.ends_with(".blob");
            if !(immutable && fs::hard_link(entry.path(), &to).is_ok()) {
                fs::copy(entry.path(), &to).map_err(io_error(&to))?;
            }
        }
        WriteStore::open(target).map(Some)
    }

    /// Makes `store`, written up to `state`, the current one and removes the stores it replaces.
    pub fn make_current(&self, store: WriteStore, state: &IndexState) -> Result<(), StoreError> {
        // Every current store is flushed and closed: what its write-ahead logs held is in table
        // files, and only its newest log is live. RocksDB keeps up to ten older ones to recycle;
        // they go, or each checkpoint would copy them (5-7 MB a run on a small repository).
        store.flush()?;
        let path = store.path.clone();
        drop(store);
        remove_old_logs(&path)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.write_pointer(&name, state)?;
        self.remove_stale_stores()
    }

    /// Removes every store but the current one that no reader holds: replaced ones, and ones a
    /// killed run left half-written. Only called under the write lock, so no other process is
    /// writing one. A store is first renamed out of the way (`trash-*`), so that a reader never
    /// finds it half removed; one a reader still holds is removed by a later run.
    fn remove_stale_stores(&self) -> Result<(), StoreError> {
        let current = self.current()?;
        let Ok(entries) = fs::read_dir(&self.root) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if name.starts_with("trash-") {
                let _ = fs::remove_dir_all(&path);
                continue;
            }
            if !name.starts_with("store-") || current.as_deref() == Some(path.as_path()) {
                continue;
            }
            let Ok(readers) = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(path.join(READERS_FILE))
            else {
                continue;
            };
            // Held exclusively while it is renamed: no reader can take it meanwhile.
            if readers.try_lock().is_ok() {
                let trash = self.root.join(format!("trash-{name}"));
                if fs::rename(&path, &trash).is_ok() {
                    drop(readers);
                    let _ = fs::remove_dir_all(&trash);
                }
            }
        }
        Ok(())
    }

    /// Where parsed facts are cached by blob id, per kg version.
    pub fn facts_cache(&self) -> PathBuf {
        self.root
            .join("facts")
            .join(format!("{}-{INDEX_FORMAT}", env!("CARGO_PKG_VERSION")))
    }

    /// Removes the facts caches of other kg versions and index formats, which this one never
    /// reads. Only called under the write lock.
    pub fn remove_stale_caches(&self, _lock: &WriteLock) {
        let ours = self.facts_cache();
        let Ok(entries) = fs::read_dir(self.root.join("facts")) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.path() != ours {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }

    // implements: history/safety
    /// Opens the current store for reading, if there is one, and holds it (a shared lock on its
    /// `kg-readers`) until the returned store is dropped, so that no writer removes it
    /// meanwhile. Nobody writes a current store, so reading it is safe for as long as it is held.
    pub fn open_read(&self) -> Result<Option<ReadStore>, StoreError> {
        for _ in 0..OPEN_TRIES {
            let Some(path) = self.current()? else {
                return Ok(None);
            };
            // A writer may have replaced and removed the store since `current` was read: then
            // its directory is gone (or renamed away while its lock was held), and `current`
            // names another.
            let lock_path = path.join(READERS_FILE);
            // Made with the store; a store from before it, or in a directory this process may
            // not write, is read without it.
            let reading = File::open(&lock_path).or_else(|_| {
                OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(&lock_path)
            });
            if !path.is_dir() {
                continue;
            }
            if let Ok(file) = &reading {
                file.lock_shared().map_err(io_error(&lock_path))?;
                if !lock_path.exists() {
                    continue;
                }
            }
            return match disk::open_read_only(&path) {
                Ok(store) => Ok(Some(ReadStore {
                    store,
                    path,
                    _reading: reading.ok(),
                })),
                Err(e) => Err(StoreError::Storage {
                    path,
                    message: e.to_string(),
                }),
            };
        }
        Err(StoreError::Storage {
            path: self.root.clone(),
            message: format!(
                "the current store was replaced {OPEN_TRIES} times while kg tried to open it"
            ),
        })
    }

    /// The state of the current index as last recorded, if there is one. Reads no store.
    pub fn state(&self) -> Result<Option<IndexState>, StoreError> {
        Ok(self.pointer()?.and_then(|(_, state)| state))
    }
}

/// Removes every write-ahead log of a closed, flushed store but the newest, the only live one.
fn remove_old_logs(store: &Path) -> Result<(), StoreError> {
    let mut logs: Vec<String> = fs::read_dir(store)
        .map_err(io_error(store))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".log"))
        .collect();
    // Named by a number of six digits or more: the newest sorts last.
    logs.sort_by_key(|name| (name.len(), name.clone()));
    logs.pop();
    for name in logs {
        let path = store.join(name);
        fs::remove_file(&path).map_err(io_error(&path))?;
    }
    Ok(())
}

/// A store open for writing, held under the write lock.
pub struct WriteStore {
    store: Store,
    path: PathBuf,
}

impl WriteStore {
    /// Writes what transactions put in memory to table files, so that no write-ahead log but a
    /// new, empty one is live.
    fn flush(&self) -> Result<(), StoreError> {
        disk::flush(&self.store).map_err(|e| self.storage_error(&e))
    }

    /// Compacts the store (RocksDB's full compaction, through oxigraph's `optimize`). A bulk load
    /// leaves dozens of unmerged files, and until they merge every string a query decodes is
    /// looked for in each: `kg trace` on 2,000 criteria read 20-30% slower.
    pub fn compact(&self) -> Result<(), StoreError> {
        disk::optimize(&self.store).map_err(|e| StoreError::Storage {
            path: self.path.clone(),
            message: e.to_string(),
        })
    }

    fn open(path: PathBuf) -> Result<WriteStore, StoreError> {
        let store = disk::open(&path).map_err(|e| StoreError::Storage {
            path: path.clone(),
            message: e.to_string(),
        })?;
        // The file readers will hold, there before any reader comes.
        let readers = path.join(READERS_FILE);
        File::create(&readers).map_err(io_error(&readers))?;
        Ok(WriteStore { store, path })
    }

    fn storage_error(&self, e: &dyn std::fmt::Display) -> StoreError {
        StoreError::Storage {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    /// Starts a bulk load: quads go in part by part and are written in batches (so that memory
    /// stays bounded), and all of them become visible at `commit`.
    pub fn loader(&self) -> Loader<'_> {
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Loader {
            store: self,
            loader: self
                .store
                .bulk_loader()
                .with_num_threads(threads)
                .with_max_memory_size_in_megabytes(LOAD_MEMORY_MB),
            batch: Vec::new(),
            // The loader's own batch size for this memory and number of threads.
            largest: (LOAD_MEMORY_MB * 1000 / threads).max(4),
            sent: 0,
            batches: 0,
            count: 0,
            busy: std::time::Duration::ZERO,
            purge: None,
        }
    }

    // implements: history/safety
    /// Starts a transaction: everything done through it becomes visible at once on `commit`, or
    /// not at all.
    pub fn update(&self) -> Result<Update<'_>, StoreError> {
        let transaction = self
            .store
            .start_transaction()
            .map_err(|e| self.storage_error(&e))?;
        Ok(Update {
            transaction,
            path: &self.path,
        })
    }
}

/// Memory the bulk loader may hold in flight, which sets its batch size (this much over the
/// number of threads, in thousands of quads). On a generated repository of 2.07M quads:
/// 1024 MB took 1.4 GB and 10 s to load, 256 MB 0.65 GB and 6 s, and 128 MB left twice the
/// files (320), which made the trace after it 40% slower.
const LOAD_MEMORY_MB: usize = 256;

/// A bulk load in progress.
///
/// Parts are gathered into batches: the loader ends a batch at the end of every call, and each
/// batch becomes one file per index, which every later read has to look into until RocksDB
/// compacts them. Each full batch is written on a thread of its own while the next one is
/// built. Batches start at a quarter of the size the loader works in and grow with what was
/// sent, so that a small load still keeps every thread busy (2,000 OpenFastTrace requirements,
/// 166k quads: load 1.0 s as one large batch and a small one, 0.72 s in quarters) and a large
/// one is written in few files (fraktor-rs, 3.4M quads: quarter batches throughout loaded in
/// 12.9 s instead of 10.2 s).
pub struct Loader<'a> {
    store: &'a WriteStore,
    loader: oxigraph::store::BulkLoader<'a>,
    batch: Vec<Quad>,
    /// The loader's own batch size, the largest batch sent.
    largest: usize,
    /// Quads sent to the loader so far.
    sent: usize,
    /// Batches sent so far: the files each index is written in.
    batches: usize,
    count: u64,
    /// Time spent loading, for the stage timings.
    busy: std::time::Duration,
    /// Set once the load is large (more batches than [`L0_FILES`]).
    purge: Option<EagerPurge>,
}

/// What a bulk load wrote.
pub struct Loaded {
    pub quads: u64,
    /// The time spent loading.
    pub busy: std::time::Duration,
    batches: usize,
    /// Kept until the load's result is dropped, through the compaction.
    _purge: Option<EagerPurge>,
}

impl Loaded {
    /// Whether the load left each index in more files than RocksDB itself leaves uncompacted
    /// ([`L0_FILES`]), so that a compaction pays for itself in the reads after it. On
    /// bearcove/roam (163k quads in 4 batches) compacting took 0.34 s of a 1.9 s build and made
    /// the trace read from the store 0.10 s instead of 0.12 s.
    pub fn is_fragmented(&self) -> bool {
        self.batches > L0_FILES
    }
}

/// RocksDB's default `level0_file_num_compaction_trigger`: as many files of one index as it
/// reads without compacting them.
const L0_FILES: usize = 4;

/// While it lives, the allocator gives freed memory back to the system at once rather than
/// 10 ms later: the bulk loader frees and takes whole batches, and with the delay a full build of
/// denoland/deno peaked at 1.05 GB instead of 0.74 GB. Only for large loads: the pages are
/// refaulted and zeroed, which on bearcove/roam (4 batches) cost 0.2-0.3 s of a 1.9 s build for
/// 100 MB of peak memory saved. Readers never run with it (`kg trace` was a third slower).
struct EagerPurge;

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (mimalloc.h, v2 and v3 alike), and its
/// default.
#[cfg(feature = "rocksdb")]
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
#[cfg(feature = "rocksdb")]
const DEFAULT_PURGE_DELAY_MS: std::ffi::c_long = 10;

impl EagerPurge {
    fn new() -> Self {
        // SAFETY: sets one of the allocator's options, which mimalloc allows at any time (and
        // which does nothing when the process allocates through another allocator).
        #[cfg(feature = "rocksdb")]
        unsafe {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0)
        };
        EagerPurge
    }
}

impl Drop for EagerPurge {
    fn drop(&mut self) {
        // SAFETY: as in `new`.
        #[cfg(feature = "rocksdb")]
        unsafe {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, DEFAULT_PURGE_DELAY_MS)
        };
    }
}

impl Loader<'_> {
    /// Loads one part.
    pub fn load(&mut self, quads: Vec<Quad>) -> Result<(), StoreError> {
        self.count += quads.len() as u64;
        let mut quads = quads.into_iter();
        loop {
            let size = self.sent.clamp(self.largest / 4, self.largest);
            let room = size.saturating_sub(self.batch.len());
            self.batch.extend(quads.by_ref().take(room));
            if self.batch.len() < size {
                return Ok(());
            }
            let full = std::mem::take(&mut self.batch);
            self.send(full)?;
        }
    }

    fn send(&mut self, batch: Vec<Quad>) -> Result<(), StoreError> {
        self.sent += batch.len();
        self.batches += 1;
        if self.batches > L0_FILES && self.purge.is_none() {
            self.purge = Some(EagerPurge::new());
        }
        let started = std::time::Instant::now();
        self.loader
            .load_quads(batch)
            .map_err(|e| self.store.storage_error(&e))?;
        self.busy += started.elapsed();
        Ok(())
    }

    /// The time spent loading so far.
    pub fn busy(&self) -> std::time::Duration {
        self.busy
    }

    /// Writes everything loaded.
    pub fn commit(mut self) -> Result<Loaded, StoreError> {
        let rest = std::mem::take(&mut self.batch);
        if !rest.is_empty() {
            self.send(rest)?;
        }
        let started = std::time::Instant::now();
        self.loader
            .commit()
            .map_err(|e| self.store.storage_error(&e))?;
        Ok(Loaded {
            quads: self.count,
            busy: self.busy + started.elapsed(),
            batches: self.batches,
            _purge: self.purge.take(),
        })
    }
}

/// A write transaction on a [`WriteStore`].
pub struct Update<'a> {
    transaction: oxigraph::store::Transaction<'a>,
    path: &'a Path,
}

/// Rows of a SELECT query, in the order of its variables.
pub type Rows = Vec<Vec<Option<Term>>>;

fn rows(results: QueryResults<'_>, source_name: &str) -> Result<Rows, StoreError> {
    let QueryResults::Solutions(solutions) = results else {
        return Err(StoreError::Query(format!(
            "{source_name} is not a SELECT query"
        )));
    };
    let variables = solutions.variables().to_vec();
    let mut rows = Vec::new();
    for solution in solutions {
        let solution = solution.map_err(|e| StoreError::Query(e.to_string()))?;
        rows.push(variables.iter().map(|v| solution.get(v).cloned()).collect());
    }
    Ok(rows)
}
/// A cell of a row as text: a literal's value or an IRI, `None` when unbound (or a blank node).
pub fn cell(term: &Option<Term>) -> Option<String> {
    match term {
        Some(Term::Literal(l)) => Some(l.value().to_owned()),
        Some(Term::NamedNode(n)) => Some(n.as_str().to_owned()),
        _ => None,
    }
}

impl Update<'_> {
    fn storage_error(&self, e: &dyn std::fmt::Display) -> StoreError {
        StoreError::Storage {
            path: self.path.to_owned(),
            message: e.to_string(),
        }
    }

    /// Removes named graphs with all their quads.
    pub fn remove_graphs(&mut self, graphs: &[NamedNode]) -> Result<(), StoreError> {
        for graph in graphs {
            self.transaction
                .remove_named_graph(graph)
                .map_err(|e| self.storage_error(&e))?;
        }
        Ok(())
    }

    pub fn insert(&mut self, quads: &[Quad]) {
        self.transaction.extend(quads);
    }

    pub fn remove(&mut self, quads: &[Quad]) {
        for quad in quads {
            self.transaction.remove(quad);
        }
    }

    /// Every quad of a named graph, as this transaction sees it (no query evaluation: a plain
    /// scan, several times faster than a SELECT).
    pub fn graph_quads(&self, graph: &NamedNode) -> Result<Vec<Quad>, StoreError> {
        self.transaction
            .quads_for_pattern(None, None, None, Some(graph.as_ref().into()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Query(e.to_string()))
    }

    /// The quads of `graph` about each of `subjects`, as this transaction sees them (a seek per
    /// subject, no query evaluation).
    pub fn quads_about<'s>(
        &self,
        graph: &NamedNode,
        subjects: impl IntoIterator<Item = &'s NamedNode>,
    ) -> Result<Vec<Quad>, StoreError> {
        let mut quads = Vec::new();
        for subject in subjects {
            for quad in self.transaction.quads_for_pattern(
                Some(subject.as_ref().into()),
                None,
                None,
                Some(graph.as_ref().into()),
            ) {
                quads.push(quad.map_err(|e| StoreError::Query(e.to_string()))?);
            }
        }
        Ok(quads)
    }

    /// Runs a SELECT query over the union of all graphs, seeing this transaction's writes.
    pub fn select(&self, query: &str) -> Result<Rows, StoreError> {
        let mut prepared = crate::query::prepare(query, "kg's internal query")
            .map_err(|e| StoreError::Query(e.to_string()))?;
        prepared.dataset_mut().set_default_graph_as_union();
        let results = prepared
            .on_transaction(&self.transaction)
            .execute()
            .map_err(|e| StoreError::Query(e.to_string()))?;
        rows(results, "kg's internal query")
    }

    pub fn commit(self) -> Result<(), StoreError> {
        let error = self.storage_error(&"commit failed");
        self.transaction.commit().map_err(|e| match error {
            StoreError::Storage { path, .. } => StoreError::Storage {
                path,
                message: e.to_string(),
            },
            other => other,
        })
    }
}

impl ReadStore {
    /// The store's directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn storage_error(&self, e: &dyn std::fmt::Display) -> StoreError {
        StoreError::Storage {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    /// Reads the bookkeeping graph.
    pub fn state(&self) -> Result<Option<IndexState>, StoreError> {
        let query = format!(
            "SELECT ?repo ?commit ?format ?version WHERE {{ GRAPH ?g {{ ?repo <{}> ?commit ; <{}> ?format ; <{}> ?version }} }} LIMIT 1",
            vocab::kg::INDEXED_COMMIT.as_str(),
            vocab::kg::INDEX_FORMAT.as_str(),
            vocab::kg::TOOL_VERSION.as_str(),
        );
        let prepared = oxigraph::sparql::SparqlEvaluator::new()
            .parse_query(&query)
            .map_err(|e| StoreError::Query(e.to_string()))?;
        let QueryResults::Solutions(mut solutions) = self.evaluate(prepared)? else {
            return Ok(None);
        };
        let Some(solution) = solutions.next() else {
            return Ok(None);
        };
        let solution = solution.map_err(|e| StoreError::Query(e.to_string()))?;
        let text = |name: &str| match solution.get(name) {
            Some(Term::NamedNode(n)) => n.as_str().to_owned(),
            Some(Term::Literal(l)) => l.value().to_owned(),
            _ => String::new(),
        };
        Ok(Some(IndexState {
            base: text("repo"),
            commit: text("commit"),
            format: text("format").parse().unwrap_or(0),
            tool_version: text("version"),
            submodules: String::new(),
        }))
    }

    /// Runs a SELECT query (with kg's prefixes) and returns its rows.
    pub fn select(&self, query: &str, source_name: &str) -> Result<Rows, StoreError> {
        let prepared = crate::query::prepare(query, source_name)
            .map_err(|e| StoreError::Query(e.to_string()))?;
        rows(self.evaluate(prepared)?, source_name)
    }

    /// As [`ReadStore::select`], in whatever order the rows come (the caller orders them).
    pub fn select_unordered(&self, query: &str, source_name: &str) -> Result<Rows, StoreError> {
        let prepared = crate::query::prepare_unordered(query, source_name)
            .map_err(|e| StoreError::Query(e.to_string()))?;
        rows(self.evaluate(prepared)?, source_name)
    }

    /// Runs a prepared query with the union of all graphs as the default graph.
    pub fn evaluate(
        &self,
        mut query: PreparedSparqlQuery,
    ) -> Result<QueryResults<'static>, StoreError> {
        query.dataset_mut().set_default_graph_as_union();
        query
            .on_store(&self.store)
            .execute()
            .map_err(|e| StoreError::Query(e.to_string()))
    }

    /// The names of the named graphs, sorted.
    pub fn graph_names(&self) -> Result<Vec<String>, StoreError> {
        let mut names = Vec::new();
        for graph in self.store.named_graphs() {
            match graph.map_err(|e| self.storage_error(&e))? {
                oxigraph::model::NamedOrBlankNode::NamedNode(n) => {
                    names.push(n.into_string());
                }
                _ => continue,
            }
        }
        names.sort();
        Ok(names)
    }

    /// One named graph's triples as N-Triples, in the store's order (the same for the same
    /// triples).
    pub fn graph_ntriples(&self, graph: &str) -> Result<Vec<u8>, StoreError> {
        let name = NamedNode::new(graph).map_err(|e| self.storage_error(&e))?;
        let mut writer = RdfSerializer::from_format(RdfFormat::NTriples).for_writer(Vec::new());
        for quad in self
            .store
            .quads_for_pattern(None, None, None, Some(name.as_ref().into()))
        {
            let quad = quad.map_err(|e| self.storage_error(&e))?;
            writer
                .serialize_triple(quad.as_ref())
                .map_err(|e| self.storage_error(&e))?;
        }
        writer.finish().map_err(|e| self.storage_error(&e))
    }

    /// Writes the whole dataset in a quad format (N-Quads or TriG).
    pub fn dump(&self, format: RdfFormat, writer: &mut dyn Write) -> Result<(), StoreError> {
        let mut serializer = RdfSerializer::from_format(format);
        for (prefix, iri) in vocab::PREFIXES {
            serializer = serializer
                .with_prefix(*prefix, *iri)
                .map_err(|e| self.storage_error(&e))?;
        }
        let mut serializer = serializer.for_writer(writer);
        for quad in self.store.iter() {
            let quad = quad.map_err(|e| self.storage_error(&e))?;
            serializer
                .serialize_quad(&quad)
                .map_err(|source| StoreError::Io {
                    path: PathBuf::from("<output>"),
                    source,
                })?;
        }
        serializer.finish().map_err(|source| StoreError::Io {
            path: PathBuf::from("<output>"),
            source,
        })?;
        Ok(())
    }
}

/// oxigraph's on-disk store, which only a build with the `rocksdb` feature has. Without it (the
/// fuzz targets build kg with no C++) every store operation fails with an error saying so.
mod disk {
    use oxigraph::store::{StorageError, Store};
    use std::path::Path;

    #[cfg(feature = "rocksdb")]
    pub fn open(path: &Path) -> Result<Store, StorageError> {
        Store::open(path)
    }

    #[cfg(feature = "rocksdb")]
    pub fn open_read_only(path: &Path) -> Result<Store, StorageError> {
        Store::open_read_only(path)
    }

    #[cfg(feature = "rocksdb")]
    pub fn optimize(store: &Store) -> Result<(), StorageError> {
        store.optimize()
    }

    #[cfg(feature = "rocksdb")]
    pub fn flush(store: &Store) -> Result<(), StorageError> {
        store.flush()
    }

    #[cfg(not(feature = "rocksdb"))]
    fn unavailable() -> StorageError {
        StorageError::Other(
            "kg was built without the `rocksdb` feature: it has no on-disk store".into(),
        )
    }

    #[cfg(not(feature = "rocksdb"))]
    pub fn open(_path: &Path) -> Result<Store, StorageError> {
        Err(unavailable())
    }

    #[cfg(not(feature = "rocksdb"))]
    pub fn open_read_only(_path: &Path) -> Result<Store, StorageError> {
        Err(unavailable())
    }

    #[cfg(not(feature = "rocksdb"))]
    pub fn optimize(_store: &Store) -> Result<(), StorageError> {
        Err(unavailable())
    }

    #[cfg(not(feature = "rocksdb"))]
    pub fn flush(_store: &Store) -> Result<(), StorageError> {
        Err(unavailable())
    }
}
