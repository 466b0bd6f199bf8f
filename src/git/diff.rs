//! Changes as `kg impact` reads them: a unified diff (`git diff`, a code host's patch) parsed into
//! files and hunks and applied to the old side; or two versions of a file compared line by line.
//! Either way a change ends as [`FileDiff`]s: both sides' paths and texts, and the lines each side
//! changed.

// implements: impact/inputs

use std::fmt;

/// One file's change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileDiff {
    /// `None` when the change adds the file.
    pub old_path: Option<String>,
    /// `None` when the change deletes the file.
    pub new_path: Option<String>,
    pub old_text: Option<String>,
    /// `None` when the file is deleted, or when a patch did not apply to the old text.
    pub new_text: Option<String>,
    /// Old-side lines (1-based) the change removed or replaced.
    pub removed: Vec<u32>,
    /// New-side lines the change added or replaced.
    pub added: Vec<u32>,
    /// For each added line, the old-side line it follows: where the change sits in the old text,
    /// for when the new text is unknown.
    pub added_at_old: Vec<u32>,
}

impl FileDiff {
    /// The path a report names the file by: the new one, or the old one for a deletion.
    pub fn path(&self) -> &str {
        self.new_path
            .as_deref()
            .or(self.old_path.as_deref())
            .unwrap_or("")
    }

    /// The change between two versions of a file; either may be absent (added, deleted).
    pub fn between(
        old_path: Option<String>,
        new_path: Option<String>,
        old_text: Option<String>,
        new_text: Option<String>,
    ) -> FileDiff {
        let hunks = line_hunks(
            old_text.as_deref().unwrap_or(""),
            new_text.as_deref().unwrap_or(""),
        );
        let mut change = FileDiff {
            old_path,
            new_path,
            ..FileDiff::default()
        };
        for hunk in hunks {
            change
                .removed
                .extend(hunk.before.start + 1..hunk.before.end + 1);
            change
                .added
                .extend(hunk.after.start + 1..hunk.after.end + 1);
            // Replaced lines sit at the first line they replace; inserted ones after the line
            // before them.
            let anchor = if hunk.before.is_empty() {
                hunk.before.start.max(1)
            } else {
                hunk.before.start + 1
            };
            change
                .added_at_old
                .extend(hunk.after.clone().map(|_| anchor));
        }
        change.old_text = old_text;
        change.new_text = new_text;
        change
    }
}

/// A changed stretch of lines, 0-based and half-open on each side.
pub struct LineHunk {
    pub before: std::ops::Range<u32>,
    pub after: std::ops::Range<u32>,
}

/// Past this many line pairs between the first and last differing lines, two texts are not
/// diffed line by line: the whole stretch counts as changed. Diffing costs up to the product
/// (40,000 lines of few distinct values took 15 s, unoptimized), and so much changed is a
/// rewrite anyway.
const MAX_DIFF_PAIRS: u64 = 100_000_000;

// implements: index/bounded
/// The hunks between two texts, by line (histogram diff), in time bounded by
/// [`MAX_DIFF_PAIRS`].
pub fn line_hunks(old: &str, new: &str) -> Vec<LineHunk> {
    use imara_diff::{Algorithm, Diff, InternedInput};
    let input = InternedInput::new(old, new);
    let (before, after) = (&input.before, &input.after);
    let prefix = before.iter().zip(after).take_while(|(a, b)| a == b).count();
    let suffix = before[prefix..]
        .iter()
        .rev()
        .zip(after[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (middle_before, middle_after) = (
        before.len() - prefix - suffix,
        after.len() - prefix - suffix,
    );
    if middle_before as u64 * middle_after as u64 > MAX_DIFF_PAIRS {
        return vec![LineHunk {
            before: prefix as u32..(prefix + middle_before) as u32,
            after: prefix as u32..(prefix + middle_after) as u32,
        }];
    }
    Diff::compute(Algorithm::Histogram, &input)
        .hunks()
        .map(|h| LineHunk {
            before: h.before,
            after: h.after,
        })
        .collect()
}

/// A unified diff: one entry a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Patch {
    pub files: Vec<PatchFile>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatchFile {
    /// `None` for `/dev/null` (an added file).
    pub old_path: Option<String>,
    /// `None` for `/dev/null` (a deleted file).
    pub new_path: Option<String>,
    pub hunks: Vec<Hunk>,
    /// `Binary files ... differ`: the change has no lines.
    pub binary: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hunk {
    pub old_start: u32,
    pub old_len: u32,
    pub new_start: u32,
    pub new_len: u32,
    /// The hunk's lines: ' ' context, '-' removed, '+' added, without the newline.
    pub lines: Vec<(char, String)>,
    /// The line of the `@@` header in the diff, for messages.
    pub header_line: usize,
}

/// A diff kg cannot read, with the line where reading stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PatchError {
    pub source_name: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for PatchError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "{}:{}: not a unified diff kg can read: {}",
            self.source_name, self.line, self.message
        )
    }
}

/// Parses a unified diff as `git diff`, `git format-patch` or a code host write it. Text before
/// the first file (a commit message, an email header) is skipped; an empty diff has no files.
pub fn parse_patch(text: &str, source_name: &str) -> Result<Patch, PatchError> {
    let error = |line: usize, message: String| PatchError {
        source_name: source_name.to_owned(),
        line,
        message,
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut patch = Patch::default();
    let mut current: Option<PatchFile> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let number = i + 1;
        if let Some(rest) = line.strip_prefix("diff --git ") {
            patch.files.extend(current.take());
            let (old, new) = git_header_paths(rest);
            current = Some(PatchFile {
                old_path: old,
                new_path: new,
                ..PatchFile::default()
            });
        } else if line.starts_with("--- ")
            && lines.get(i + 1).is_some_and(|l| l.starts_with("+++ "))
        {
            // A diff without `diff --git` lines starts a file here; with them, this confirms
            // the paths (and says which side is /dev/null).
            let fresh = current.as_ref().is_none_or(|f| !f.hunks.is_empty());
            if fresh {
                patch.files.extend(current.take());
            }
            let file = current.get_or_insert_with(PatchFile::default);
            file.old_path = header_path(&line[4..], "a/");
            file.new_path = header_path(&lines[i + 1][4..], "b/");
            i += 1;
        } else if let Some(file) = current.as_mut().filter(|f| f.hunks.is_empty()) {
            if let Some(path) = line.strip_prefix("rename from ") {
                file.old_path = Some(unquote(path));
            } else if let Some(path) = line.strip_prefix("rename to ") {
                file.new_path = Some(unquote(path));
            } else if line.starts_with("new file mode") {
                file.old_path = None;
            } else if line.starts_with("deleted file mode") {
                file.new_path = None;
            } else if line.starts_with("Binary files ") || line == "GIT binary patch" {
                file.binary = true;
            }
        }
        if line.starts_with("@@") {
            let Some(file) = current.as_mut() else {
                return Err(error(
                    number,
                    "a hunk (`@@ ... @@`) before any file header (`--- a/...`, `+++ b/...`)"
                        .to_owned(),
                ));
            };
            let (old_start, old_len, new_start, new_len) = hunk_header(line)
                .ok_or_else(|| error(number, format!("malformed hunk header `{line}`")))?;
            let mut hunk = Hunk {
                old_start,
                old_len,
                new_start,
                new_len,
                lines: Vec::new(),
                header_line: number,
            };
            let (mut old_left, mut new_left) = (old_len, new_len);
            while old_left > 0 || new_left > 0 {
                i += 1;
                let Some(body) = lines.get(i) else {
                    return Err(error(
                        number,
                        format!(
                            "the hunk ends early: {old_left} old and {new_left} new lines are missing"
                        ),
                    ));
                };
                let (kind, content) = match body.chars().next() {
                    // Some tools strip the space of an empty context line.
                    None => (' ', ""),
                    Some(c @ (' ' | '-' | '+')) => (c, &body[1..]),
                    Some('\\') => continue,
                    Some(_) => {
                        return Err(error(
                            i + 1,
                            format!(
                                "expected a hunk line (starting with ' ', '-' or '+'), found `{body}`; {old_left} old and {new_left} new lines of the hunk at line {number} are missing"
                            ),
                        ));
                    }
                };
                let (old_use, new_use) = match kind {
                    ' ' => (1, 1),
                    '-' => (1, 0),
                    _ => (0, 1),
                };
                if old_left < old_use || new_left < new_use {
                    return Err(error(
                        i + 1,
                        format!("the hunk at line {number} has more lines than its header counts"),
                    ));
                }
                old_left -= old_use;
                new_left -= new_use;
                hunk.lines.push((kind, content.to_owned()));
            }
            file.hunks.push(hunk);
        }
        i += 1;
    }
    patch.files.extend(current);
    if patch.files.is_empty() && text.lines().any(|l| !l.trim().is_empty()) {
        return Err(error(
            1,
            "no file changes found (expected `diff --git`, `--- a/...` and `+++ b/...` lines)"
                .to_owned(),
        ));
    }
    Ok(patch)
}

/// The paths of a `diff --git a/X b/Y` line. Paths with spaces are ambiguous there; the `---`
/// and `+++` lines that follow settle them.
fn git_header_paths(rest: &str) -> (Option<String>, Option<String>) {
    if rest.starts_with('"') {
        let mut parts = rest.splitn(2, "\" ");
        let old = parts.next().map(|p| format!("{p}\""));
        let new = parts.next().map(str::to_owned);
        return (
            old.and_then(|p| header_path(&p, "a/")),
            new.and_then(|p| header_path(&p, "b/")),
        );
    }
    match rest.split_once(" b/") {
        Some((old, new)) => (
            header_path(old, "a/"),
            header_path(&format!("b/{new}"), "b/"),
        ),
        None => (None, None),
    }
}

/// A path of a `---`/`+++` line: without its `a/`/`b/` prefix and any timestamp; `None` for
/// `/dev/null`.
fn header_path(text: &str, prefix: &str) -> Option<String> {
    let text = text.split('\t').next().unwrap_or(text).trim_end();
    let text = unquote(text);
    if text == "/dev/null" {
        return None;
    }
    Some(text.strip_prefix(prefix).unwrap_or(&text).to_owned())
}

/// A path as git quotes it when it holds unusual characters: `"a/caf\303\251.rs"`.
fn unquote(text: &str) -> String {
    let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
        return text.to_owned();
    };
    let mut bytes = Vec::new();
    let mut chars = inner.bytes().peekable();
    while let Some(b) = chars.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match chars.next() {
            Some(b'n') => bytes.push(b'\n'),
            Some(b't') => bytes.push(b'\t'),
            Some(d @ b'0'..=b'7') => {
                let mut value = u32::from(d - b'0');
                for _ in 0..2 {
                    if let Some(&next @ b'0'..=b'7') = chars.peek() {
                        value = value * 8 + u32::from(next - b'0');
                        chars.next();
                    }
                }
                bytes.push(value as u8);
            }
            Some(other) => bytes.push(other),
            None => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `@@ -12,7 +12,8 @@ fn context`: old start and length, new start and length.
fn hunk_header(line: &str) -> Option<(u32, u32, u32, u32)> {
    let inner = line.strip_prefix("@@ ")?;
    let (ranges, _) = inner.split_once(" @@")?;
    let (old, new) = ranges.split_once(' ')?;
    let range = |text: &str, sign: char| -> Option<(u32, u32)> {
        let text = text.strip_prefix(sign)?;
        match text.split_once(',') {
            Some((start, len)) => Some((start.parse().ok()?, len.parse().ok()?)),
            None => Some((text.parse().ok()?, 1)),
        }
    };
    let (old_start, old_len) = range(old, '-')?;
    let (new_start, new_len) = range(new, '+')?;
    Some((old_start, old_len, new_start, new_len))
}

impl PatchFile {
    /// The file's change against `old` (its text before, when it had one). The new text is the
    /// hunks applied to `old`; when they do not apply, it is `None` and the message says where.
    pub fn to_file_diff(&self, old: Option<String>) -> (FileDiff, Option<String>) {
        let mut change = FileDiff {
            old_path: self.old_path.clone(),
            new_path: self.new_path.clone(),
            ..FileDiff::default()
        };
        for hunk in &self.hunks {
            let (mut old_line, mut new_line) = (hunk.old_start, hunk.new_start);
            // A hunk that only adds lines names the line after which they go.
            if hunk.old_len == 0 {
                old_line += 1;
            }
            if hunk.new_len == 0 {
                new_line += 1;
            }
            for (kind, _) in &hunk.lines {
                match kind {
                    '-' => {
                        change.removed.push(old_line);
                        old_line += 1;
                    }
                    '+' => {
                        change.added.push(new_line);
                        change.added_at_old.push(old_line.saturating_sub(1).max(1));
                        new_line += 1;
                    }
                    _ => {
                        old_line += 1;
                        new_line += 1;
                    }
                }
            }
        }
        let mut problem = None;
        if self.new_path.is_some() && !self.binary {
            match self.apply(old.as_deref().unwrap_or("")) {
                Ok(text) => change.new_text = Some(text),
                Err(message) => problem = Some(message),
            }
        }
        change.old_text = old;
        (change, problem)
    }

    /// The hunks applied to `old`, or where they do not apply.
    pub fn apply(&self, old: &str) -> Result<String, String> {
        let old_lines: Vec<&str> = old.lines().collect();
        let mut out: Vec<&str> = Vec::with_capacity(old_lines.len());
        let mut next = 0usize; // index of the next old line to copy
        for hunk in &self.hunks {
            let start = if hunk.old_len == 0 {
                hunk.old_start as usize
            } else {
                (hunk.old_start as usize).saturating_sub(1)
            };
            if start < next || start > old_lines.len() {
                return Err(format!(
                    "the hunk at line {} starts at line {} of a {}-line file",
                    hunk.header_line,
                    hunk.old_start,
                    old_lines.len()
                ));
            }
            out.extend(&old_lines[next..start]);
            let mut at = start;
            for (kind, content) in &hunk.lines {
                match kind {
                    '+' => out.push(content),
                    _ => {
                        let found = old_lines.get(at).map(|l| l.trim_end_matches('\r'));
                        if found != Some(content.trim_end_matches('\r')) {
                            return Err(format!(
                                "the hunk at line {} does not match line {} of the file: expected `{content}`, found `{}`",
                                hunk.header_line,
                                at + 1,
                                found.unwrap_or("end of file")
                            ));
                        }
                        if *kind == ' ' {
                            out.push(old_lines[at]);
                        }
                        at += 1;
                    }
                }
            }
            next = at;
        }
        out.extend(&old_lines[next.min(old_lines.len())..]);
        let mut text = out.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // verifies: index/bounded
    #[test]
    fn a_huge_rewrite_is_one_hunk_in_linear_time() {
        let lines = |n: usize, m: usize| {
            (0..n)
                .map(|i| format!("line {}\n", i % m))
                .collect::<String>()
        };
        let (old, new) = (
            format!("same\n{}end\n", lines(40_000, 7)),
            format!("same\n{}end\n", lines(40_000, 5)),
        );
        let started = std::time::Instant::now();
        let hunks = line_hunks(&old, &new);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(hunks.len(), 1);
        // The common lines (`same`, `line 0` to `line 4`, `end`) stay out of it.
        assert_eq!(
            (hunks[0].before.clone(), hunks[0].after.clone()),
            (6..40_001, 6..40_001)
        );
        // A small change in a big file is still diffed line by line.
        let edited = old.replacen("line 3\n", "line three\n", 1);
        let hunks = line_hunks(&old, &edited);
        assert_eq!((hunks.len(), hunks[0].before.clone()), (1, 4..5));
    }

    const GIT_DIFF: &str = "\
diff --git a/src/a.rs b/src/a.rs
index 1111111..2222222 100644
--- a/src/a.rs
+++ b/src/a.rs
@@ -1,4 +1,5 @@
 fn a() {
-    old();
+    new();
+    more();
 }
 
diff --git a/src/gone.rs b/src/gone.rs
deleted file mode 100644
--- a/src/gone.rs
+++ /dev/null
@@ -1,2 +0,0 @@
-fn gone() {}
-
diff --git a/docs/new.md b/docs/new.md
new file mode 100644
--- /dev/null
+++ b/docs/new.md
@@ -0,0 +1 @@
+# New
diff --git a/old name.rs b/new name.rs
similarity index 100%
rename from old name.rs
rename to new name.rs
diff --git a/logo.png b/logo.png
Binary files a/logo.png and b/logo.png differ
";

    // verifies: impact/inputs
    #[test]
    fn git_diffs_parse_into_files_and_hunks() {
        let patch = parse_patch(GIT_DIFF, "diff").unwrap();
        let summary: Vec<String> = patch
            .files
            .iter()
            .map(|f| {
                format!(
                    "{:?} -> {:?}, {} hunks{}",
                    f.old_path,
                    f.new_path,
                    f.hunks.len(),
                    if f.binary { ", binary" } else { "" }
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                "Some(\"src/a.rs\") -> Some(\"src/a.rs\"), 1 hunks",
                "Some(\"src/gone.rs\") -> None, 1 hunks",
                "None -> Some(\"docs/new.md\"), 1 hunks",
                "Some(\"old name.rs\") -> Some(\"new name.rs\"), 0 hunks",
                "Some(\"logo.png\") -> Some(\"logo.png\"), 0 hunks, binary",
            ]
        );
        let (change, problem) =
            patch.files[0].to_file_diff(Some("fn a() {\n    old();\n}\n\nfn b() {}\n".to_owned()));
        assert_eq!(problem, None);
        assert_eq!(change.removed, vec![2]);
        assert_eq!(change.added, vec![2, 3]);
        assert_eq!(
            change.new_text.as_deref(),
            Some("fn a() {\n    new();\n    more();\n}\n\nfn b() {}\n")
        );
        let (added, _) = patch.files[2].to_file_diff(None);
        assert_eq!(added.new_text.as_deref(), Some("# New\n"));
        assert_eq!(added.added, vec![1]);
    }

    // verifies: impact/inputs
    #[test]
    fn a_patch_that_does_not_apply_still_says_which_lines_changed() {
        let patch = parse_patch(GIT_DIFF, "diff").unwrap();
        let (change, problem) =
            patch.files[0].to_file_diff(Some("fn a() {\n    other();\n}\n".to_owned()));
        assert_eq!(change.new_text, None);
        assert_eq!(change.removed, vec![2]);
        assert_eq!(change.added_at_old, vec![2, 2]);
        assert!(
            problem
                .unwrap()
                .contains("does not match line 2 of the file"),
            "the message names the line"
        );
    }

    // verifies: impact/inputs
    #[test]
    fn malformed_diffs_are_errors_with_a_line() {
        let cases = [
            ("@@ -1 +1 @@\n-a\n+b\n", 1, "before any file header"),
            (
                "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n+b\n",
                3,
                "ends early",
            ),
            (
                "--- a/x\n+++ b/x\n@@ -1,2 +1 @@\n-a\nzzz\n",
                5,
                "expected a hunk line",
            ),
            (
                "--- a/x\n+++ b/x\n@@ -x +1 @@\n",
                3,
                "malformed hunk header",
            ),
            ("hello\nworld\n", 1, "no file changes found"),
        ];
        for (text, line, message) in cases {
            let err = parse_patch(text, "-").unwrap_err();
            assert_eq!(err.line, line, "{text:?}: {err}");
            assert!(err.to_string().contains(message), "{text:?}: {err}");
        }
        assert_eq!(parse_patch("", "-").unwrap(), Patch::default());
    }

    #[test]
    fn two_versions_compare_line_by_line() {
        let change = FileDiff::between(
            Some("a".into()),
            Some("a".into()),
            Some("x\ny\nz\n".into()),
            Some("x\nY\nz\nw\n".into()),
        );
        assert_eq!(change.removed, vec![2]);
        assert_eq!(change.added, vec![2, 4]);
        let quoted = header_path("\"b/caf\\303\\251.rs\"", "b/");
        assert_eq!(quoted.as_deref(), Some("café.rs"));
    }
}
