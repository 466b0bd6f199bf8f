//! The facts cache: parsed facts by blob, kept between runs so that a blob is parsed once.
//!
//! Entries live in pack files, one per run that parsed anything: the facts as JSON one after
//! the other, then an index of keys and places, then a fixed-size footer. Writing one file per
//! run instead of one per blob took the cold parse stage of a 5,000-file repository from 4.3 s
//! to about 2.5 s (creating thousands of small files costs the kernel more than parsing them).
//! Packs are merged into one once there are more than [`MAX_PACKS`]. Only index runs use the
//! cache, and they hold the write lock; a pack becomes visible by rename, complete. A pack that
//! cannot be read is ignored: the cache only ever saves work.
//!
//! A merge is also when the cache is collected: it keeps only what a full build of HEAD would
//! read, the files of HEAD's snapshot and the file versions its history needs, and what this run
//! parsed. An incremental run reads the history of its new commits only, so the history's keys
//! are remembered across runs in [`HISTORY_FILE`], one a line (a full build replaces them).

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::facts::FileFacts;

/// Merge the packs into one when there are more than this.
const MAX_PACKS: usize = 8;

/// The keys of the entries the history needs, one a line.
const HISTORY_FILE: &str = "history.keys";

/// Ends every pack: the index's offset and entry count, then this.
const MAGIC: &[u8; 8] = b"kgfacts1";
const FOOTER: u64 = 8 + 4 + 8;

/// Where an entry stands: which pack, at which offset, how long.
#[derive(Clone, Copy)]
struct Place {
    pack: usize,
    offset: u64,
    len: u32,
}

pub struct FactsCache {
    dir: PathBuf,
    packs: Vec<(PathBuf, File)>,
    places: HashMap<String, Place>,
    /// Entries parsed in this run, not yet saved.
    new: Mutex<Vec<(String, Vec<u8>)>>,
    /// What a full build of HEAD reads, as this run said.
    live: Mutex<Live>,
}

/// The keys a full build of HEAD would read, which a merge keeps.
#[derive(Default)]
struct Live {
    /// HEAD's files; `None` until the run says, and then a merge keeps everything.
    snapshot: Option<HashSet<String>>,
    /// The file versions the history of this run's commits needs.
    history: Vec<String>,
    /// Whether this run's commits were all of the history (a full build).
    all_history: bool,
}

impl FactsCache {
    /// Opens the cache in `dir`, reading the index of every pack there.
    pub fn open(dir: &Path) -> FactsCache {
        let mut cache = FactsCache {
            dir: dir.to_owned(),
            packs: Vec::new(),
            places: HashMap::new(),
            new: Mutex::new(Vec::new()),
            live: Mutex::new(Live::default()),
        };
        let Ok(entries) = fs::read_dir(dir) else {
            return cache;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            if name.ends_with(".tmp") {
                // Left by a killed run.
                let _ = fs::remove_file(&path);
                continue;
            }
            if !name.ends_with(".pack") {
                continue;
            }
            let Ok(mut file) = File::open(&path) else {
                continue;
            };
            let Some(index) = read_index(&mut file) else {
                continue;
            };
            let pack = cache.packs.len();
            for (key, offset, len) in index {
                cache.places.insert(key, Place { pack, offset, len });
            }
            cache.packs.push((path, file));
        }
        cache
    }

    /// The cached facts under `key`, if any.
    pub fn get(&self, key: &str) -> Option<FileFacts> {
        let bytes = self.read(*self.places.get(key)?)?;
        serde_json::from_slice(&bytes).ok()
    }

    fn read(&self, place: Place) -> Option<Vec<u8>> {
        let (_, file) = self.packs.get(place.pack)?;
        let mut bytes = vec![0; place.len as usize];
        file.read_exact_at(&mut bytes, place.offset).ok()?;
        Some(bytes)
    }

    /// Keeps `facts` under `key`, to be written by [`FactsCache::save`].
    pub fn put(&self, key: String, facts: &FileFacts) {
        if let Ok(bytes) = serde_json::to_vec(facts)
            && let Ok(mut new) = self.new.lock()
        {
            new.push((key, bytes));
        }
    }

    /// Says which entries HEAD's snapshot reads: a merge keeps them.
    pub fn keep_snapshot(&self, keys: impl IntoIterator<Item = String>) {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.snapshot = Some(keys.into_iter().collect());
    }

    /// Says which entries the history of this run's commits reads (`all`: of every commit): a
    /// merge keeps them, in this run and every later one until a full build says again.
    pub fn keep_history(&self, keys: impl IntoIterator<Item = String>, all: bool) {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.history.extend(keys);
        live.all_history |= all;
    }

    // implements: index/disk
    /// Writes what this run parsed as one new pack (and merges the packs when there are too
    /// many); returns how many entries it wrote. A failure only costs parsing again next time.
    pub fn save(self) -> usize {
        let new = std::mem::take(&mut *self.new.lock().unwrap_or_else(|e| e.into_inner()));
        let live = std::mem::take(&mut *self.live.lock().unwrap_or_else(|e| e.into_inner()));
        let count = new.len();
        if fs::create_dir_all(&self.dir).is_err() {
            return 0;
        }
        let merging = !new.is_empty() && self.packs.len() >= MAX_PACKS;
        let history = self.save_history(&live, merging);
        if new.is_empty() {
            return 0;
        }
        if self.packs.len() < MAX_PACKS {
            return if write_pack(&self.dir, new).is_ok() {
                count
            } else {
                0
            };
        }
        // Merge: every entry still readable that a full build reads, then the new ones (which
        // win).
        let old: Vec<PathBuf> = self.packs.iter().map(|(path, _)| path.clone()).collect();
        let mut all: HashMap<String, Vec<u8>> = HashMap::new();
        let wanted = |key: &String| {
            live.snapshot
                .as_ref()
                .is_none_or(|snapshot| snapshot.contains(key) || history.contains(key))
        };
        for (key, place) in self.places.iter().filter(|(key, _)| wanted(key)) {
            if let Some(bytes) = self.read(*place) {
                all.insert(key.clone(), bytes);
            }
        }
        all.extend(new);
        let mut entries: Vec<(String, Vec<u8>)> = all.into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        drop(self.packs);
        if write_pack(&self.dir, entries).is_err() {
            return 0;
        }
        for path in old {
            let _ = fs::remove_file(path);
        }
        count
    }
}

impl FactsCache {
    /// Records the history's keys as this run leaves them. When the packs are merged (`merging`),
    /// returns them all: this run's when it read the whole history, else those recorded before
    /// and this run's.
    fn save_history(&self, live: &Live, merging: bool) -> HashSet<String> {
        let path = self.dir.join(HISTORY_FILE);
        if !live.all_history && !merging {
            // Appended; duplicates go at the next merge.
            if !live.history.is_empty()
                && let Ok(mut file) = fs::OpenOptions::new().append(true).create(true).open(&path)
            {
                let _ = file.write_all((live.history.join("\n") + "\n").as_bytes());
            }
            return HashSet::new();
        }
        let mut keys: HashSet<String> = HashSet::new();
        if !live.all_history {
            keys.extend(
                fs::read_to_string(&path)
                    .unwrap_or_default()
                    .lines()
                    .map(str::to_owned),
            );
        }
        keys.extend(live.history.iter().cloned());
        let mut lines: Vec<&str> = keys.iter().map(String::as_str).collect();
        lines.sort_unstable();
        let temporary = self.dir.join(format!("{HISTORY_FILE}.tmp"));
        if fs::write(&temporary, lines.join("\n") + "\n")
            .and_then(|()| fs::rename(&temporary, &path))
            .is_err()
        {
            let _ = fs::remove_file(&temporary);
        }
        keys
    }
}

/// The index of a pack: each key with its offset and length.
fn read_index(file: &mut File) -> Option<Vec<(String, u64, u32)>> {
    let size = file.seek(SeekFrom::End(0)).ok()?;
    if size < FOOTER {
        return None;
    }
    let mut footer = [0u8; FOOTER as usize];
    file.read_exact_at(&mut footer, size - FOOTER).ok()?;
    if &footer[12..] != MAGIC {
        return None;
    }
    let at = u64::from_le_bytes(footer[..8].try_into().ok()?);
    let count = u32::from_le_bytes(footer[8..12].try_into().ok()?);
    if at > size - FOOTER {
        return None;
    }
    let mut index = vec![0u8; (size - FOOTER - at) as usize];
    file.seek(SeekFrom::Start(at)).ok()?;
    file.read_exact(&mut index).ok()?;
    let mut entries = Vec::with_capacity(count as usize);
    let mut rest = index.as_slice();
    for _ in 0..count {
        let (len, tail) = rest.split_first_chunk::<2>()?;
        let key_len = u16::from_le_bytes(*len) as usize;
        let key = std::str::from_utf8(tail.get(..key_len)?).ok()?.to_owned();
        let tail = &tail[key_len..];
        let (offset, tail) = tail.split_first_chunk::<8>()?;
        let (len, tail) = tail.split_first_chunk::<4>()?;
        let (offset, len) = (u64::from_le_bytes(*offset), u32::from_le_bytes(*len));
        if offset.checked_add(u64::from(len))? > at {
            return None;
        }
        entries.push((key, offset, len));
        rest = tail;
    }
    Some(entries)
}

/// Writes `entries` as a new pack in `dir`, complete before it is named.
fn write_pack(dir: &Path, entries: Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name = format!("{nanos:032}-{}", std::process::id());
    let temporary = dir.join(format!("{name}.tmp"));
    let mut out = std::io::BufWriter::new(File::create(&temporary)?);
    let mut index = Vec::new();
    let mut offset = 0u64;
    let mut count = 0u32;
    for (key, bytes) in entries {
        let (Ok(key_len), Ok(len)) = (u16::try_from(key.len()), u32::try_from(bytes.len())) else {
            continue;
        };
        out.write_all(&bytes)?;
        index.extend_from_slice(&key_len.to_le_bytes());
        index.extend_from_slice(key.as_bytes());
        index.extend_from_slice(&offset.to_le_bytes());
        index.extend_from_slice(&len.to_le_bytes());
        offset += u64::from(len);
        count += 1;
    }
    out.write_all(&index)?;
    out.write_all(&offset.to_le_bytes())?;
    out.write_all(&count.to_le_bytes())?;
    out.write_all(MAGIC)?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    fs::rename(&temporary, dir.join(format!("{name}.pack")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::FileKind;

    fn facts(path: &str) -> FileFacts {
        FileFacts::new(path, FileKind::Doc, "0", 1)
    }

    #[test]
    fn entries_survive_runs_and_packs_are_merged() {
        let dir = tempfile::tempdir().unwrap();
        for run in 0..MAX_PACKS + 2 {
            let cache = FactsCache::open(dir.path());
            for earlier in 0..run {
                let got = cache.get(&format!("key{earlier}")).map(|f| f.path);
                assert_eq!(got, Some(format!("p{earlier}")), "run {run}");
            }
            assert!(cache.get(&format!("key{run}")).is_none());
            cache.put(format!("key{run}"), &facts(&format!("p{run}")));
            cache.save();
            let packs = fs::read_dir(dir.path()).unwrap().count();
            assert!(packs <= MAX_PACKS, "run {run}: {packs} packs");
        }
    }

    // verifies: index/disk
    #[test]
    fn a_merge_keeps_what_a_full_build_reads_and_drops_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let entries = |dir: &Path| {
            let cache = FactsCache::open(dir);
            let mut keys: Vec<String> = cache.places.keys().cloned().collect();
            keys.sort();
            keys
        };
        // A full build: HEAD has `a1`, the history needs `old`.
        let cache = FactsCache::open(dir.path());
        for key in ["a1", "old"] {
            cache.put(key.to_owned(), &facts(key));
        }
        cache.keep_snapshot(["a1".to_owned()]);
        cache.keep_history(["old".to_owned()], true);
        cache.save();
        // Incremental runs, each changing `a` (no longer needed once superseded) and adding a
        // history version (`h<run>`), which later runs never read again.
        let runs = 4 * MAX_PACKS;
        for run in 2..runs {
            let cache = FactsCache::open(dir.path());
            let (key, history) = (format!("a{run}"), format!("h{run}"));
            cache.put(key.clone(), &facts(&key));
            cache.put(history.clone(), &facts(&history));
            cache.keep_snapshot([key]);
            cache.keep_history([history], false);
            cache.save();
        }
        let kept = entries(dir.path());
        // Every history version stays, the old snapshots' files go (but those of the runs since
        // the last merge).
        for key in std::iter::once("old".to_owned()).chain((2..runs).map(|r| format!("h{r}"))) {
            assert!(kept.contains(&key), "{key} dropped: {kept:?}");
        }
        let snapshots = kept.iter().filter(|k| k.starts_with('a')).count();
        assert!(
            snapshots <= MAX_PACKS + 1,
            "{snapshots} snapshots kept: {kept:?}"
        );
        assert!(!kept.contains(&"a1".to_owned()), "{kept:?}");
        // A full build says the history anew: what it no longer needs goes at the next merge.
        for run in 0..=MAX_PACKS {
            let cache = FactsCache::open(dir.path());
            let key = format!("b{run}");
            cache.put(key.clone(), &facts(&key));
            cache.keep_snapshot([key]);
            cache.keep_history(["old".to_owned()], run == 0);
            cache.save();
        }
        let kept = entries(dir.path());
        assert!(kept.contains(&"old".to_owned()), "{kept:?}");
        assert!(!kept.iter().any(|k| k.starts_with('h')), "{kept:?}");
    }

    #[test]
    fn without_a_snapshot_a_merge_keeps_everything() {
        let dir = tempfile::tempdir().unwrap();
        for run in 0..=MAX_PACKS {
            let cache = FactsCache::open(dir.path());
            cache.put(format!("k{run}"), &facts("p"));
            cache.save();
        }
        let cache = FactsCache::open(dir.path());
        assert_eq!(cache.places.len(), MAX_PACKS + 1);
        assert_eq!(cache.packs.len(), 1);
    }

    #[test]
    fn a_damaged_pack_is_ignored_and_the_rest_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FactsCache::open(dir.path());
        cache.put("good".to_owned(), &facts("g"));
        cache.save();
        let cache = FactsCache::open(dir.path());
        cache.put("bad".to_owned(), &facts("b"));
        cache.save();
        let mut packs: Vec<PathBuf> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        packs.sort();
        // Cut the newer pack short, as a full disk would.
        let newer = &packs[1];
        let bytes = fs::read(newer).unwrap();
        fs::write(newer, &bytes[..bytes.len() - 3]).unwrap();
        fs::write(dir.path().join("left-by-a-killed-run.tmp"), b"x").unwrap();
        let cache = FactsCache::open(dir.path());
        assert_eq!(cache.get("good").map(|f| f.path).as_deref(), Some("g"));
        assert!(cache.get("bad").is_none());
        assert!(!dir.path().join("left-by-a-killed-run.tmp").exists());
    }
}
