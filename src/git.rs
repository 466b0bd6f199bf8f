//! The only module that reads the repository: HEAD, the files of a commit's tree, blob contents,
//! and the remote kg derives its IRI base from. Everything is read from the object database; the
//! work tree, filters and hooks are never touched.

// implements: index/files

use std::path::{Path, PathBuf};

use gix::ObjectId;

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

/// A thread's own view of the repository, for reading blobs.
pub struct BlobReader {
    repo: gix::Repository,
}

/// Object cache per thread: enough for the trees of a large repository.
const OBJECT_CACHE_BYTES: usize = 16 * 1024 * 1024;

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

    /// Every file (blob) in the tree of `commit`, sorted by path. Submodules and symbolic links are
    /// not files and are left out.
    pub fn tree_files(&self, commit: ObjectId) -> Result<Vec<TreeFile>, GitError> {
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
        let mut files: Vec<TreeFile> = entries
            .into_iter()
            .filter(|e| e.mode.is_blob())
            .map(|e| {
                let utf8_path = std::str::from_utf8(&e.filepath).is_ok();
                TreeFile {
                    path: String::from_utf8_lossy(&e.filepath).into_owned(),
                    blob: e.oid,
                    utf8_path,
                }
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
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

impl BlobReader {
    /// The contents of a blob.
    pub fn read(&self, id: ObjectId) -> Result<Vec<u8>, GitError> {
        let object = self.repo.find_object(id).map_err(|e| GitError::Object {
            id: id.to_string(),
            message: e.to_string(),
        })?;
        Ok(object.detach().data)
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
