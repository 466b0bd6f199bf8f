//! The only module that reads the repository: HEAD, the files of a commit's tree, blob contents,
//! and the remote kg derives its IRI base from. Everything is read from the object database; the
//! work tree, filters and hooks are never touched.

// implements: index/files

pub mod diff;

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

/// A file that differs between HEAD and the index or the work tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChange {
    pub path: String,
    /// Its blob at HEAD, if it is there.
    pub head: Option<ObjectId>,
    /// Where its new content is; `Gone` when the change deletes it.
    pub now: Pending,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// A blob in the index (staged).
    Blob(ObjectId),
    /// A file in the work tree.
    File(std::path::PathBuf),
    Gone,
}

/// A thread's own view of the repository, for reading blobs.
pub struct BlobReader {
    repo: gix::Repository,
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
            Ok(inner) => Ok(Repo { inner }),
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
        let repo = self.local();
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

    /// A reader for blob contents, one per thread.
    pub fn blob_reader(&self) -> BlobReader {
        BlobReader { repo: self.local() }
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

/// Who made a commit, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
    /// Seconds since the Unix epoch.
    pub seconds: i64,
    /// Offset from UTC in seconds.
    pub offset: i32,
    /// The same time as an `xsd:dateTime`, with its offset: `2026-01-01T09:30:00+02:00`.
    pub date_time: String,
}

/// How a file changed in a commit, against the commit's first parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Modified => "modified",
            ChangeKind::Deleted => "deleted",
        }
    }
}

/// A file a commit added, modified or deleted, with its blob before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub path: String,
    pub kind: ChangeKind,
    pub before: Option<ObjectId>,
    pub after: Option<ObjectId>,
}

/// A commit with what it changed against its first parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: ObjectId,
    pub parents: Vec<ObjectId>,
    pub author: Person,
    pub committer: Person,
    /// The full message.
    pub message: String,
    /// The first line of the message.
    pub summary: String,
    /// `Key: value` lines at the end of the message, in order.
    pub trailers: Vec<(String, String)>,
    pub changes: Vec<FileChange>,
}

/// The commits reachable from a tip.
#[derive(Debug, Clone)]
pub struct History {
    /// Newest first; every commit comes before its parents.
    pub commits: Vec<CommitInfo>,
    /// True when the repository is a shallow clone: history is cut off at its boundary, and the
    /// oldest commits there are diffed against nothing.
    pub shallow: bool,
}

impl Repo {
    // implements: history/commits, history/NFR-performance-1
    /// Every commit reachable from `tip` but not from `hidden`, each diffed against its first
    /// parent. The walk is sequential; reading and diffing commits runs on all cores, with a fresh
    /// tree-diff recorder per commit and an object cache per thread.
    pub fn history(
        &self,
        tip: ObjectId,
        hidden: Option<ObjectId>,
        tick: &dyn crate::progress::Tick,
    ) -> Result<History, GitError> {
        let repo = self.local();
        let walk_error =
            |e: &dyn std::fmt::Display| GitError::Head(format!("cannot walk history: {e}"));
        let shallow = repo.is_shallow().unwrap_or(false);
        let mut platform = repo.rev_walk([tip]);
        if let Some(hidden) = hidden {
            platform = platform.with_hidden([hidden]);
        }
        let mut walked = Vec::new();
        for info in platform.all().map_err(|e| walk_error(&e))? {
            let info = info.map_err(|e| walk_error(&e))?;
            walked.push((info.id, info.parent_ids.iter().copied().collect::<Vec<_>>()));
        }
        tick.total(walked.len() as u64);
        let commits = walked
            .par_iter()
            .with_min_len(64)
            .map_init(
                || (self.local(), gix::diff::tree::State::default()),
                |(repo, state), (id, parents)| {
                    let commit = read_commit(repo, state, *id, parents, shallow);
                    tick.inc(1);
                    commit
                },
            )
            .collect::<Result<Vec<_>, GitError>>()?;
        Ok(History { commits, shallow })
    }

    /// The files that differ between the trees of two commits; with no old commit, every file
    /// of the new one is added.
    pub fn diff_commits(
        &self,
        old: Option<ObjectId>,
        new: ObjectId,
    ) -> Result<Vec<FileChange>, GitError> {
        let repo = self.local();
        let tree = |id: ObjectId| {
            repo.find_commit(id)
                .and_then(|c| c.tree())
                .map_err(|e| GitError::Object {
                    id: id.to_string(),
                    message: e.to_string(),
                })
        };
        let old_tree = old.map(tree).transpose()?;
        let new_tree = tree(new)?;
        let mut state = gix::diff::tree::State::default();
        diff_trees(&repo, &mut state, old_tree.as_ref(), &new_tree).map_err(|e| GitError::Object {
            id: new.to_string(),
            message: e.to_string(),
        })
    }

    /// What the index holds that HEAD does not: staged additions, modifications and deletions,
    /// sorted by path.
    pub fn staged_changes(&self) -> Result<Vec<PendingChange>, GitError> {
        use std::cmp::Ordering;
        let repo = self.local();
        let failed =
            |e: &dyn std::fmt::Display| GitError::Head(format!("cannot read the index: {e}"));
        let index = repo.index_or_empty().map_err(|e| failed(&e))?;
        let head_tree = repo.head_tree_id_or_empty().map_err(|e| failed(&e))?;
        let head = repo.index_from_tree(&head_tree).map_err(|e| failed(&e))?;
        let (a, b) = (head.entries(), index.entries());
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        let path = |p: &gix::bstr::BStr| String::from_utf8_lossy(p).into_owned();
        while i < a.len() || j < b.len() {
            let order = match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) => x
                    .path(&head)
                    .cmp(y.path(&index))
                    .then(x.stage_raw().cmp(&y.stage_raw())),
                (Some(_), None) => Ordering::Less,
                _ => Ordering::Greater,
            };
            match order {
                Ordering::Less => {
                    out.push(PendingChange {
                        path: path(a[i].path(&head)),
                        head: Some(a[i].id),
                        now: Pending::Gone,
                    });
                    i += 1;
                }
                Ordering::Greater => {
                    let entry = &b[j];
                    if !entry
                        .flags
                        .contains(gix::index::entry::Flags::INTENT_TO_ADD)
                    {
                        out.push(PendingChange {
                            path: path(entry.path(&index)),
                            head: None,
                            now: Pending::Blob(entry.id),
                        });
                    }
                    j += 1;
                }
                Ordering::Equal => {
                    let (x, y) = (&a[i], &b[j]);
                    if x.id != y.id {
                        out.push(PendingChange {
                            path: path(y.path(&index)),
                            head: Some(x.id),
                            now: Pending::Blob(y.id),
                        });
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        out.retain(|c| c.head.is_some() || c.now != Pending::Gone);
        Ok(out)
    }

    /// Uncommitted changes against HEAD: staged ones, files the work tree changed or deleted,
    /// and untracked files that are not ignored; new content comes from the work tree. This
    /// and [`BlobReader::read_pending`] are the only reads of the work tree.
    pub fn worktree_changes(&self) -> Result<Vec<PendingChange>, GitError> {
        use gix::status::index_worktree::Item;
        use gix::status::plumbing::index_as_worktree::{Change, EntryStatus};
        let repo = self.local();
        let Some(workdir) = repo.workdir().map(Path::to_path_buf) else {
            return Err(GitError::Head(
                "a bare repository has no work tree: give a revision range or --diff".to_owned(),
            ));
        };
        let failed = |e: &dyn std::fmt::Display| {
            GitError::Head(format!("cannot compare the work tree with the index: {e}"))
        };
        let mut paths: std::collections::BTreeSet<String> =
            self.staged_changes()?.into_iter().map(|c| c.path).collect();
        let items = repo
            .status(gix::progress::Discard)
            .map_err(|e| failed(&e))?
            .untracked_files(gix::status::UntrackedFiles::Files)
            .index_worktree_rewrites(None)
            .index_worktree_submodules(gix::status::Submodule::Given {
                ignore: gix::submodule::config::Ignore::All,
                check_dirty: false,
            })
            .into_index_worktree_iter(Vec::new())
            .map_err(|e| failed(&e))?;
        for item in items {
            let item = item.map_err(|e| failed(&e))?;
            let keep = match &item {
                Item::Modification { status, .. } => matches!(
                    status,
                    EntryStatus::Change(
                        Change::Removed | Change::Type { .. } | Change::Modification { .. }
                    ) | EntryStatus::IntentToAdd
                ),
                Item::DirectoryContents { entry, .. } => {
                    entry.status == gix::dir::entry::Status::Untracked
                }
                Item::Rewrite { .. } => true,
            };
            if keep {
                paths.insert(String::from_utf8_lossy(item.rela_path()).into_owned());
            }
        }
        let head = repo
            .head_tree_id_or_empty()
            .map_err(|e| failed(&e))?
            .object()
            .map_err(|e| failed(&e))?
            .into_tree();
        let mut out = Vec::new();
        for path in paths {
            let at_head = head
                .lookup_entry_by_path(&path)
                .map_err(|e| failed(&e))?
                .filter(|e| e.mode().is_blob())
                .map(|e| e.object_id());
            let file = workdir.join(&path);
            let now = if file.is_file() {
                Pending::File(file)
            } else {
                Pending::Gone
            };
            if at_head.is_none() && now == Pending::Gone {
                continue;
            }
            out.push(PendingChange {
                path,
                head: at_head,
                now,
            });
        }
        Ok(out)
    }

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

fn person(signature: gix::actor::SignatureRef<'_>) -> Person {
    let time = signature.time().unwrap_or_default();
    Person {
        name: signature.name.to_string().trim().to_owned(),
        email: signature.email.to_string().trim().to_owned(),
        seconds: time.seconds,
        offset: time.offset,
        date_time: time.format_or_unix(gix::date::time::format::ISO8601_STRICT),
    }
}

fn read_commit(
    repo: &gix::Repository,
    state: &mut gix::diff::tree::State,
    id: ObjectId,
    parents: &[ObjectId],
    shallow: bool,
) -> Result<CommitInfo, GitError> {
    let object_error = |e: &dyn std::fmt::Display| GitError::Object {
        id: id.to_string(),
        message: e.to_string(),
    };
    let commit = repo.find_commit(id).map_err(|e| object_error(&e))?;
    let decoded = commit.decode().map_err(|e| object_error(&e))?;
    let message = decoded.message.to_string();
    let parsed = decoded.message();
    let summary = parsed.summary().to_string();
    let trailers = parsed
        .body()
        .map(|body| {
            body.trailers()
                .map(|t| (t.token.to_string(), t.value.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let author = person(decoded.author().map_err(|e| object_error(&e))?);
    let committer = person(decoded.committer().map_err(|e| object_error(&e))?);

    let tree = commit.tree().map_err(|e| object_error(&e))?;
    let parent_tree = match parents.first() {
        // At a shallow clone's boundary the parent is not there: diff against nothing.
        Some(parent) if shallow && repo.find_commit(*parent).is_err() => None,
        Some(parent) => Some(
            repo.find_commit(*parent)
                .and_then(|c| c.tree())
                .map_err(|e| object_error(&e))?,
        ),
        None => None,
    };
    let changes =
        diff_trees(repo, state, parent_tree.as_ref(), &tree).map_err(|e| object_error(&e))?;
    Ok(CommitInfo {
        id,
        parents: parents.to_vec(),
        author,
        committer,
        message,
        summary,
        trailers,
        changes,
    })
}

/// The blob changes from `old` (or the empty tree) to `new`, sorted by path. Submodules and
/// symbolic links are not files and are left out.
fn diff_trees(
    repo: &gix::Repository,
    state: &mut gix::diff::tree::State,
    old: Option<&gix::Tree<'_>>,
    new: &gix::Tree<'_>,
) -> Result<Vec<FileChange>, gix::diff::tree::Error> {
    use gix::diff::tree::recorder::Change;
    let empty = repo.empty_tree();
    let old = old.unwrap_or(&empty);
    // A fresh recorder per diff: a reused one keeps the previous path prefix.
    let mut recorder = gix::diff::tree::Recorder::default();
    gix::diff::tree(
        gix::objs::TreeRefIter::from_bytes(&old.data, old.id.kind()),
        gix::objs::TreeRefIter::from_bytes(&new.data, new.id.kind()),
        &mut *state,
        &repo.objects,
        &mut recorder,
    )?;
    let mut changes: Vec<FileChange> = recorder
        .records
        .into_iter()
        .filter_map(|change| {
            let (path, kind, before, after) = match change {
                Change::Addition {
                    entry_mode,
                    oid,
                    path,
                    ..
                } => entry_mode
                    .is_blob()
                    .then_some((path, ChangeKind::Added, None, Some(oid)))?,
                Change::Deletion {
                    entry_mode,
                    oid,
                    path,
                    ..
                } => {
                    entry_mode
                        .is_blob()
                        .then_some((path, ChangeKind::Deleted, Some(oid), None))?
                }
                Change::Modification {
                    previous_entry_mode,
                    previous_oid,
                    entry_mode,
                    oid,
                    path,
                } => match (previous_entry_mode.is_blob(), entry_mode.is_blob()) {
                    (true, true) => (path, ChangeKind::Modified, Some(previous_oid), Some(oid)),
                    (false, true) => (path, ChangeKind::Added, None, Some(oid)),
                    (true, false) => (path, ChangeKind::Deleted, Some(previous_oid), None),
                    (false, false) => return None,
                },
            };
            Some(FileChange {
                path: String::from_utf8_lossy(&path).into_owned(),
                kind,
                before,
                after,
            })
        })
        .collect();
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(changes)
}

impl BlobReader {
    /// The contents of a blob.
    pub fn read(&self, id: ObjectId) -> Result<Vec<u8>, GitError> {
        let object = self.repo.find_object(id).map_err(|e| GitError::Object {
            id: id.to_string(),
            message: e.to_string(),
        })?;
        Ok(object.detach().data)
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

    /// The contents of the file at `path` in `commit`'s tree, if there is one.
    pub fn read_path(&self, commit: ObjectId, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        let object_error = |e: &dyn std::fmt::Display| GitError::Object {
            id: commit.to_string(),
            message: e.to_string(),
        };
        let tree = self
            .repo
            .find_commit(commit)
            .map_err(|e| object_error(&e))?
            .tree()
            .map_err(|e| object_error(&e))?;
        match tree
            .lookup_entry_by_path(path)
            .map_err(|e| object_error(&e))?
        {
            Some(entry) if entry.mode().is_blob() => self.read(entry.object_id()).map(Some),
            _ => Ok(None),
        }
    }
}
