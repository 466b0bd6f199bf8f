//! Changes not yet committed, for `kg impact`: what the index (staged) or the work tree holds
//! that HEAD does not.

use super::*;

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

impl Repo {
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

    // implements: index/bad-input
    /// Uncommitted changes against HEAD: staged ones, files the work tree changed or deleted,
    /// and untracked files that are not ignored; new content comes from the work tree. This
    /// and [`BlobReader::read_pending`] are the only reads of the work tree. The work tree is
    /// compared byte for byte: the filters the configuration names (`filter.<name>.clean`, as
    /// `.gitattributes` applies them) are left out, so no command of the repository's runs.
    pub fn worktree_changes(&self) -> Result<Vec<PendingChange>, GitError> {
        use gix::status::index_worktree::Item;
        use gix::status::plumbing::index_as_worktree::{Change, EntryStatus};
        let mut repo = self.local();
        {
            let mut config = repo.config_snapshot_mut();
            let filters: Vec<_> = config
                .sections_and_ids_by_name("filter")
                .into_iter()
                .flatten()
                .map(|(_, id)| id)
                .collect();
            for id in filters {
                config.remove_section_by_id(id);
            }
            config.commit().map_err(|e| {
                GitError::Head(format!("cannot read the repository's configuration: {e}"))
            })?;
        }
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
}
