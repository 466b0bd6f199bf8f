//! The only module that reads the repository: HEAD, the files of a commit's tree, blob contents,
//! and the remote kg derives its IRI base from. Everything is read from the object database; the
//! work tree, filters and hooks are never touched.

// implements: index/files

pub mod diff;
mod history;
mod pending;

use history::person;
pub use history::{ChangeKind, CommitInfo, FileChange, History, Person};
pub use pending::{Pending, PendingChange};

use std::path::{Path, PathBuf};

use gix::ObjectId;
use rayon::prelude::*;

/// An error reading the repository.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{}: not a git repository (or any parent up to the root): run kg inside a clone or pass -C DIR", .0.display())]
    NotARepository(PathBuf),
    #[error("{}: cannot open the repository: {message}", path.display())]
    Open { path: PathBuf, message: String },
    #[error("cannot read HEAD: {0}")]
    Head(String),
    #[error("cannot read object {id}: {message}")]
    Object { id: String, message: String },
}

/// A repository opened for reading, shareable between threads.
pub struct Repo {
    inner: gix::ThreadSafeRepository,
    /// The checked-out submodules whose files were listed ([`Repo::submodule_files`]): blobs
    /// not in the repository's own objects are looked for in theirs.
    submodules: std::sync::RwLock<Vec<gix::ThreadSafeRepository>>,
}

/// A file in a commit's tree.
#[derive(Debug, Clone)]
pub struct TreeFile {
    pub path: String,
    pub blob: ObjectId,
    /// False when the path was not valid UTF-8 and `path` is a lossy rendering.
    pub utf8_path: bool,
}

/// What a commit's tree holds.
#[derive(Debug, Clone, Default)]
pub struct TreeListing {
    pub files: Vec<TreeFile>,
    pub special: Vec<SpecialEntry>,
}

/// A tree entry that is not a file: kg records it and never follows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SpecialEntry {
    Symlink { path: String, target: String },
    Submodule { path: String, commit: ObjectId },
}

/// A thread's own view of the repository, for reading blobs.
pub struct BlobReader {
    repo: gix::Repository,
    /// The listed submodules' repositories.
    submodules: Vec<gix::Repository>,
}

/// Object cache per thread: enough for the trees of a large repository.
const OBJECT_CACHE_BYTES: usize = 16 * 1024 * 1024;

/// Delta-base cache per thread, for packs.
const PACK_CACHE_BYTES: usize = 96 * 1024 * 1024;

impl Repo {
    /// Finds the repository that holds `dir`, as git does.
    pub fn discover(dir: &Path) -> Result<Repo, GitError> {
        use gix::discover::upwards::Error as Upwards;
        match gix::ThreadSafeRepository::discover(dir) {
            Ok(inner) => Ok(Repo {
                inner,
                submodules: Default::default(),
            }),
            Err(err) => {
                let not_found = err.downcast_any_ref::<Upwards>().is_some_and(|e| {
                    matches!(
                        e,
                        Upwards::NoGitRepository { .. }
                            | Upwards::NoGitRepositoryWithinCeiling { .. }
                            | Upwards::NoGitRepositoryWithinFs { .. }
                    )
                });
                Err(if not_found {
                    GitError::NotARepository(dir.to_owned())
                } else {
                    GitError::Open {
                        path: dir.to_owned(),
                        message: err.to_string(),
                    }
                })
            }
        }
    }

    /// The repository's git directory (`.git`, or a linked work tree's own directory).
    pub fn git_dir(&self) -> &Path {
        self.inner.git_dir()
    }

    /// The top of the work tree, if the repository has one (a bare one has not).
    pub fn work_dir(&self) -> Option<&Path> {
        self.inner.work_dir()
    }

    fn local(&self) -> gix::Repository {
        let mut repo = self.inner.to_thread_local();
        repo.object_cache_size_if_unset(OBJECT_CACHE_BYTES);
        // The default static pack cache searches its entries one by one, which showed as a
        // sixth of a history walk; a hash map capped by memory does not.
        repo.objects.set_pack_cache(|| {
            Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(
                PACK_CACHE_BYTES,
            ))
        });
        repo
    }

    /// The commit HEAD points to, or `None` when HEAD is unborn (no commits yet).
    pub fn head_commit(&self) -> Result<Option<ObjectId>, GitError> {
        let repo = self.local();
        let mut head = repo.head().map_err(|e| GitError::Head(e.to_string()))?;
        if head.is_unborn() {
            return Ok(None);
        }
        let id = head
            .try_peel_to_id()
            .map_err(|e| GitError::Head(e.to_string()))?
            .map(|id| id.detach());
        Ok(id)
    }

    // implements: history/odd-repositories
    /// The entries of the tree of `commit`, sorted by path: files (blobs) apart from symbolic links
    /// and submodules, which are recorded but never followed.
    pub fn tree(&self, commit: ObjectId) -> Result<TreeListing, GitError> {
        list_tree(&self.local(), commit, "")
    }

    // implements: index/submodules
    /// The files of the submodules of `commit` that are checked out (their objects are in the
    /// clone, under `.git/modules/NAME` or in the submodule's own `.git`), each at the commit
    /// the superproject records, with paths from the superproject's root. A submodule that is
    /// not checked out, or lacks the recorded commit, is left out. Blobs of the submodules
    /// listed are then read by every [`BlobReader`] made after. Nothing in a submodule is run:
    /// its repository is opened without its configuration's effects, for objects only.
    pub fn submodule_files(
        &self,
        commit: ObjectId,
        special: &[SpecialEntry],
    ) -> Result<Vec<TreeFile>, GitError> {
        let submodules: Vec<(&str, ObjectId)> = special
            .iter()
            .filter_map(|entry| match entry {
                SpecialEntry::Submodule { path, commit } => Some((path.as_str(), *commit)),
                SpecialEntry::Symlink { .. } => None,
            })
            .collect();
        if submodules.is_empty() {
            return Ok(Vec::new());
        }
        let names = self.submodule_names(commit)?;
        let mut files = Vec::new();
        for (path, recorded) in submodules {
            let name = names.get(path).map_or(path, String::as_str);
            let Some(repo) = self.open_submodule(name, path) else {
                continue;
            };
            let local = repo.to_thread_local();
            if local.find_commit(recorded).is_err() {
                continue;
            }
            files.extend(list_tree(&local, recorded, path)?.files);
            if let Ok(mut open) = self.submodules.write()
                && !open.iter().any(|r| r.git_dir() == repo.git_dir())
            {
                open.push(repo);
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    /// The paths of the submodules `.gitmodules` names at `commit` that are checked out here
    /// (their repository is in the clone), sorted: cheap, for telling whether an index still
    /// holds what is there to read.
    pub fn checked_out_submodules(&self, commit: ObjectId) -> Result<Vec<String>, GitError> {
        let mut out: Vec<String> = self
            .submodule_names(commit)?
            .into_iter()
            .filter(|(path, name)| self.submodule_dir(name, path).is_some())
            .map(|(path, _)| path)
            .collect();
        out.sort();
        Ok(out)
    }

    /// Submodule path to name, from the `.gitmodules` of `commit` (a name is usually its path).
    fn submodule_names(
        &self,
        commit: ObjectId,
    ) -> Result<std::collections::HashMap<String, String>, GitError> {
        let mut names = std::collections::HashMap::new();
        let Some(bytes) = self.blob_reader().read_path(commit, ".gitmodules")? else {
            return Ok(names);
        };
        let Ok(file) = gix::config::File::from_bytes_no_includes(
            &bytes,
            gix::config::file::Metadata::from(gix::config::Source::Local),
            Default::default(),
        ) else {
            return Ok(names);
        };
        for section in file.sections_by_name("submodule").into_iter().flatten() {
            let (Some(name), Some(path)) =
                (section.header().subsection_name(), section.value("path"))
            else {
                continue;
            };
            names.insert(path.to_string(), name.to_string());
        }
        Ok(names)
    }

    /// The repository of a checked-out submodule: `.git/modules/NAME`, else the submodule's own
    /// `.git` directory in the work tree.
    fn open_submodule(&self, name: &str, path: &str) -> Option<gix::ThreadSafeRepository> {
        let dir = self.submodule_dir(name, path)?;
        gix::ThreadSafeRepository::open_opts(dir, gix::open::Options::isolated()).ok()
    }

    /// Where a checked-out submodule's repository is: `.git/modules/NAME`, else the
    /// submodule's own `.git` directory in the work tree.
    fn submodule_dir(&self, name: &str, path: &str) -> Option<PathBuf> {
        // As git does: a name or path that climbs out of the repository is refused.
        let climbs = |p: &str| p.starts_with('/') || p.split(['/', '\\']).any(|part| part == "..");
        if climbs(name) || climbs(path) {
            return None;
        }
        let mut candidates = vec![self.git_dir().join("modules").join(name)];
        if let Some(workdir) = self.inner.work_dir() {
            candidates.push(workdir.join(path).join(".git"));
        }
        candidates.into_iter().find(|dir| dir.is_dir())
    }

    /// Whether a submodule was added, removed or moved to another commit from `old` to `new`.
    pub fn submodules_changed(&self, old: ObjectId, new: ObjectId) -> Result<bool, GitError> {
        use gix::diff::tree::recorder::Change;
        let repo = self.local();
        let error = |e: &dyn std::fmt::Display| GitError::Object {
            id: new.to_string(),
            message: e.to_string(),
        };
        let tree = |id: ObjectId| {
            repo.find_commit(id)
                .and_then(|c| c.tree())
                .map_err(|e| error(&e))
        };
        let (old, new) = (tree(old)?, tree(new)?);
        let mut state = gix::diff::tree::State::default();
        let changes =
            history::tree_changes(&repo, &mut state, Some(&old), &new).map_err(|e| error(&e))?;
        Ok(changes.iter().any(|change| match change {
            Change::Addition { entry_mode, .. } | Change::Deletion { entry_mode, .. } => {
                entry_mode.is_commit()
            }
            Change::Modification {
                previous_entry_mode,
                entry_mode,
                ..
            } => previous_entry_mode.is_commit() || entry_mode.is_commit(),
        }))
    }

    /// A reader for blob contents, one per thread.
    pub fn blob_reader(&self) -> BlobReader {
        let submodules = self
            .submodules
            .read()
            .map(|open| open.iter().map(|r| r.to_thread_local()).collect())
            .unwrap_or_default();
        BlobReader {
            repo: self.local(),
            submodules,
        }
    }

    /// The URL of the `origin` remote (or the only remote), if any.
    pub fn remote_url(&self) -> Option<String> {
        let repo = self.local();
        let config = repo.config_snapshot();
        let name = repo
            .remote_default_name(gix::remote::Direction::Fetch)
            .map(|n| n.to_string())
            .unwrap_or_else(|| "origin".to_owned());
        config
            .string(format!("remote.{name}.url").as_str())
            .map(|url| url.to_string())
    }

    /// The first commit of HEAD's first-parent chain: a name for the repository that does not
    /// depend on where it is cloned.
    pub fn root_commit(&self, head: ObjectId) -> Result<ObjectId, GitError> {
        let repo = self.local();
        let walk = repo
            .rev_walk([head])
            .first_parent_only()
            .all()
            .map_err(|e| GitError::Head(e.to_string()))?;
        let mut root = head;
        for info in walk {
            root = info.map_err(|e| GitError::Head(e.to_string()))?.id;
        }
        Ok(root)
    }
}

impl Repo {
    /// The first parent of a commit, if it has one.
    pub fn first_parent(&self, commit: ObjectId) -> Result<Option<ObjectId>, GitError> {
        let repo = self.local();
        let commit = repo.find_commit(commit).map_err(|e| GitError::Object {
            id: commit.to_string(),
            message: e.to_string(),
        })?;
        Ok(commit.parent_ids().next().map(|id| id.detach()))
    }

    /// A commit's committer time, in seconds since the Unix epoch.
    pub fn commit_time(&self, commit: ObjectId) -> Result<i64, GitError> {
        let object_error = |e: &dyn std::fmt::Display| GitError::Object {
            id: commit.to_string(),
            message: e.to_string(),
        };
        let repo = self.local();
        let found = repo.find_commit(commit).map_err(|e| object_error(&e))?;
        let committer = found.committer().map_err(|e| object_error(&e))?;
        Ok(person(committer).seconds)
    }

    /// The best common ancestor of two commits, as `git merge-base` finds it.
    pub fn merge_base(&self, a: ObjectId, b: ObjectId) -> Result<ObjectId, GitError> {
        match self.local().merge_base(a, b) {
            Ok(Some(base)) => Ok(base.detach()),
            Ok(None) => Err(GitError::Head(format!(
                "{a} and {b} have no common ancestor"
            ))),
            Err(e) => Err(GitError::Head(format!("no merge base of {a} and {b}: {e}"))),
        }
    }

    /// The commit a revision names (`HEAD~2`, `v1.0`, a short id, a branch).
    pub fn resolve_commit(&self, revision: &str) -> Result<ObjectId, GitError> {
        let repo = self.local();
        let unknown = |e: &dyn std::fmt::Display| {
            GitError::Head(format!("`{revision}` does not name a commit: {e}"))
        };
        let id = repo.rev_parse_single(revision).map_err(|e| unknown(&e))?;
        let commit = id
            .object()
            .map_err(|e| unknown(&e))?
            .peel_to_commit()
            .map_err(|e| unknown(&e))?;
        Ok(commit.id)
    }

    /// Whether `ancestor` is reachable from `descendant` (or equal to it).
    pub fn is_ancestor(&self, ancestor: ObjectId, descendant: ObjectId) -> Result<bool, GitError> {
        if ancestor == descendant {
            return Ok(true);
        }
        let repo = self.local();
        if repo.find_commit(ancestor).is_err() {
            return Ok(false);
        }
        let base = repo
            .merge_base(ancestor, descendant)
            .map_err(|e| GitError::Head(e.to_string()));
        Ok(base.is_ok_and(|b| b.is_some_and(|b| b.detach() == ancestor)))
    }
}
/// The entries of the tree of `commit` in `repo`, sorted by path, each path after `prefix`
/// (a submodule's path, or none).
fn list_tree(
    repo: &gix::Repository,
    commit: ObjectId,
    prefix: &str,
) -> Result<TreeListing, GitError> {
    let object_error = |e: &dyn std::fmt::Display| GitError::Object {
        id: commit.to_string(),
        message: e.to_string(),
    };
    let tree = repo
        .find_commit(commit)
        .map_err(|e| object_error(&e))?
        .tree()
        .map_err(|e| object_error(&e))?;
    let entries = tree
        .traverse()
        .breadthfirst
        .files()
        .map_err(|e| object_error(&e))?;
    let mut listing = TreeListing::default();
    for entry in entries {
        let utf8_path = std::str::from_utf8(&entry.filepath).is_ok();
        let path = String::from_utf8_lossy(&entry.filepath).into_owned();
        let path = if prefix.is_empty() {
            path
        } else {
            format!("{prefix}/{path}")
        };
        if entry.mode.is_blob() {
            listing.files.push(TreeFile {
                path,
                blob: entry.oid,
                utf8_path,
            });
        } else if entry.mode.is_link() {
            // The target is the blob's content; it is recorded, never resolved.
            let target = repo
                .find_object(entry.oid)
                .map(|o| String::from_utf8_lossy(&o.data).into_owned())
                .map_err(|e| object_error(&e))?;
            listing.special.push(SpecialEntry::Symlink { path, target });
        } else if entry.mode.is_commit() {
            listing.special.push(SpecialEntry::Submodule {
                path,
                commit: entry.oid,
            });
        }
    }
    listing.files.sort_by(|a, b| a.path.cmp(&b.path));
    listing.special.sort();
    Ok(listing)
}

impl BlobReader {
    /// The contents of a blob.
    pub fn read(&self, id: ObjectId) -> Result<Vec<u8>, GitError> {
        let error = match self.repo.find_object(id) {
            Ok(object) => return Ok(object.detach().data),
            Err(error) => error,
        };
        // A submodule's file: its blob is in the submodule's objects.
        for repo in &self.submodules {
            if let Ok(object) = repo.find_object(id) {
                return Ok(object.detach().data);
            }
        }
        Err(GitError::Object {
            id: id.to_string(),
            message: error.to_string(),
        })
    }

    /// The new content of a pending change: a blob or a work-tree file.
    pub fn read_pending(&self, pending: &Pending) -> Result<Option<Vec<u8>>, GitError> {
        match pending {
            Pending::Blob(id) => self.read(*id).map(Some),
            Pending::File(path) => std::fs::read(path).map(Some).map_err(|e| GitError::Object {
                id: path.display().to_string(),
                message: e.to_string(),
            }),
            Pending::Gone => Ok(None),
        }
    }

    /// The entry at `path` in `commit`'s tree, if there is one.
    fn entry_at(
        &self,
        commit: ObjectId,
        path: &str,
    ) -> Result<Option<gix::object::tree::Entry<'_>>, GitError> {
        let object_error = |e: &dyn std::fmt::Display| GitError::Object {
            id: commit.to_string(),
            message: e.to_string(),
        };
        self.repo
            .find_commit(commit)
            .map_err(|e| object_error(&e))?
            .tree()
            .map_err(|e| object_error(&e))?
            .lookup_entry_by_path(path)
            .map_err(|e| object_error(&e))
    }

    /// The names of the directories in the directory `dir` of `commit`'s tree (none when there
    /// is no such directory).
    pub fn subdirectories(&self, commit: ObjectId, dir: &str) -> Result<Vec<String>, GitError> {
        let Some(entry) = self.entry_at(commit, dir)?.filter(|e| e.mode().is_tree()) else {
            return Ok(Vec::new());
        };
        let object_error = |e: &dyn std::fmt::Display| GitError::Object {
            id: entry.object_id().to_string(),
            message: e.to_string(),
        };
        let subtree = entry.object().map_err(|e| object_error(&e))?.into_tree();
        let mut names = Vec::new();
        for entry in subtree.iter() {
            let entry = entry.map_err(|e| object_error(&e))?;
            if entry.mode().is_tree() {
                names.push(entry.filename().to_string());
            }
        }
        Ok(names)
    }

    /// The contents of the file at `path` in `commit`'s tree, if there is one.
    pub fn read_path(&self, commit: ObjectId, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        match self.entry_at(commit, path)? {
            Some(entry) if entry.mode().is_blob() => self.read(entry.object_id()).map(Some),
            _ => Ok(None),
        }
    }
}
