//! Reading a change: a revision range, a unified diff or the work tree, as `FileDiff`s with both
//! sides of every changed file.

use super::*;

/// Where a change comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// `BASE..HEAD` (the trees of both), `BASE...HEAD` (from their merge base), or one commit
    /// (against its first parent).
    Range(String),
    /// A unified diff, parsed (so that a malformed one is an error before any indexing).
    Patch(Patch),
    /// Uncommitted changes: the work tree (and index) against HEAD.
    WorkTree,
    /// Staged changes: the index against HEAD.
    Staged,
}

/// Why a change cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads the change as file diffs, with diagnostics for what did not map cleanly. `head` is the
/// indexed commit, the old side of a diff or of uncommitted changes. Only files `rules` selects
/// have their contents read.
// implements: impact/inputs
pub fn read_changes(
    repo: &Repo,
    head: ObjectId,
    rules: &FileRules,
    source: &Source,
) -> Result<(Vec<FileDiff>, Vec<DiagnosticRow>), ChangeError> {
    let reader = repo.blob_reader();
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    let mut diagnostics = Vec::new();
    let mut files = Vec::new();
    let unselected = |path: &str| FileDiff {
        old_path: Some(path.to_owned()),
        new_path: Some(path.to_owned()),
        ..FileDiff::default()
    };
    match source {
        Source::Range(range) => {
            let (old, new) = resolve_range(repo, range)?;
            if new != head {
                diagnostics.push(DiagnosticRow {
                    severity: "info".to_owned(),
                    path: String::new(),
                    line: None,
                    message: format!(
                        "the range ends at {}, not at the indexed HEAD {}: links and callers come from HEAD",
                        crate::trace::short(&new.to_string()),
                        crate::trace::short(&head.to_string())
                    ),
                    dangling: false,
                });
            }
            for change in repo.diff_commits(old, new)? {
                if !rules.may_read(&change.path) {
                    files.push(unselected(&change.path));
                    continue;
                }
                let old_text = change.before.map(|id| reader.read(id)).transpose()?;
                let new_text = change.after.map(|id| reader.read(id)).transpose()?;
                files.push(FileDiff::between(
                    change.before.map(|_| change.path.clone()),
                    change.after.map(|_| change.path.clone()),
                    old_text.map(text),
                    new_text.map(text),
                ));
            }
        }
        Source::Patch(patch) => {
            for file in &patch.files {
                let path = file
                    .new_path
                    .clone()
                    .or_else(|| file.old_path.clone())
                    .unwrap_or_default();
                if !rules.may_read(&path) {
                    files.push(unselected(&path));
                    continue;
                }
                if file.binary {
                    continue;
                }
                let old = match &file.old_path {
                    Some(old_path) => {
                        let found = reader.read_path(head, old_path)?.map(text);
                        if found.is_none() {
                            diagnostics.push(warning(
                                old_path,
                                "the diff changes this file, but the indexed commit does not have it; its changes are mapped to the file".to_owned(),
                            ));
                        }
                        found
                    }
                    None => None,
                };
                let known = old.is_some() || file.old_path.is_none();
                let (change, problem) = file.to_file_diff(old);
                if let (Some(problem), true) = (problem, known) {
                    diagnostics.push(warning(
                        &path,
                        format!(
                            "the diff does not apply to the indexed commit ({problem}); its changes are placed by their line numbers in the indexed version"
                        ),
                    ));
                }
                files.push(change);
            }
        }
        Source::WorkTree | Source::Staged => {
            let pending = if matches!(source, Source::Staged) {
                repo.staged_changes()?
            } else {
                repo.worktree_changes()?
            };
            for change in pending {
                if !rules.may_read(&change.path) {
                    files.push(unselected(&change.path));
                    continue;
                }
                let old_text = change.head.map(|id| reader.read(id)).transpose()?;
                let new_text = reader.read_pending(&change.now)?;
                files.push(FileDiff::between(
                    change.head.map(|_| change.path.clone()),
                    new_text.as_ref().map(|_| change.path.clone()),
                    old_text.map(text),
                    new_text.map(text),
                ));
            }
        }
    }
    Ok((files, diagnostics))
}

pub(super) fn warning(path: &str, message: String) -> DiagnosticRow {
    DiagnosticRow {
        severity: "warning".to_owned(),
        path: path.to_owned(),
        line: None,
        message,
        dangling: false,
    }
}

/// The old and new commits of a range.
pub(super) fn resolve_range(
    repo: &Repo,
    range: &str,
) -> Result<(Option<ObjectId>, ObjectId), GitError> {
    let side = |text: &str| repo.resolve_commit(if text.is_empty() { "HEAD" } else { text });
    if let Some((base, tip)) = range.split_once("...") {
        let (base, tip) = (side(base)?, side(tip)?);
        return Ok((Some(repo.merge_base(base, tip)?), tip));
    }
    if let Some((base, tip)) = range.split_once("..") {
        return Ok((Some(side(base)?), side(tip)?));
    }
    let commit = side(range)?;
    Ok((repo.first_parent(commit)?, commit))
}
