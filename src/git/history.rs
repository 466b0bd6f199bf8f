//! The history walk: commits reachable from a tip, each with what it changed against its first
//! parent (tree diffs with a fresh recorder per commit, on all cores).

use super::*;

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
}

pub(super) fn person(signature: gix::actor::SignatureRef<'_>) -> Person {
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

/// Every entry that differs from `old` (or the empty tree) to `new`: files, links, submodules.
pub(super) fn tree_changes(
    repo: &gix::Repository,
    state: &mut gix::diff::tree::State,
    old: Option<&gix::Tree<'_>>,
    new: &gix::Tree<'_>,
) -> Result<Vec<gix::diff::tree::recorder::Change>, gix::diff::tree::Error> {
    let empty = repo.empty_tree();
    let old = old.unwrap_or(&empty);
    // A fresh recorder per diff: a reused one keeps the previous path prefix.
    let mut recorder = gix::diff::tree::Recorder::default();
    gix::diff::tree(
        gix::objs::TreeRefIter::from_bytes(&old.data, old.id.kind()),
        gix::objs::TreeRefIter::from_bytes(&new.data, new.id.kind()),
        state,
        &repo.objects,
        &mut recorder,
    )?;
    Ok(recorder.records)
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
    let mut changes: Vec<FileChange> = tree_changes(repo, state, old, new)?
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
