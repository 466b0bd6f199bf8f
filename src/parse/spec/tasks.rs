//! Task lists as Spec Kit and Kiro write them (`tasks.md` beside the spec): every checkbox line
//! with a task id is a task, with its done state, the items it serves, the tasks it depends on
//! and the repository paths it names.
//!
//! - Spec Kit: `- [X] T012 [P] [US1] Implement the queue in src/sync/queue.rs`; the items are the
//!   ids on the line (`[US1]`, `FR-003`, ranges such as `FR-005 to FR-007` expanded).
//! - Kiro and cc-sdd: `- [x] 2.1 Split the dispatch facet` with detail bullets below it, among
//!   them `_Requirements: 1.1, 2.3_` and `_Depends: 1.2_` (ranges such as `1.1-1.5` expanded).

// implements: index/tasks

use std::collections::HashMap;

use super::markdown::{feature_name, outside_fences};
use crate::facts::{FileFacts, Position, Severity, Task};
use crate::parse::refs::{ids_in, requirement_numbers};

/// How a format writes a task's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ids {
    /// `T012`.
    SpecKit,
    /// `2.1` (or `2.` for a group).
    Kiro,
}

/// Reads a task list and adds its tasks and diagnostics to `facts`: the tasks of the feature
/// whose directory holds the list, or of an OpenSpec `change`.
pub(super) fn parse(text: &str, facts: &mut FileFacts, ids: Ids, change: Option<String>) {
    let in_change = change.is_some();
    let feature = change.unwrap_or_else(|| feature_name(&facts.path));
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut tasks: Vec<(usize, Task)> = Vec::new();
    // The indentation of the task whose detail lines follow.
    let mut open: Option<usize> = None;
    let lines: Vec<&str> = text.lines().collect();
    for (n, line) in outside_fences(&lines) {
        let number = n as u32 + 1;
        let trimmed = line.trim();
        let indent = line.len() - line.trim_start().len();
        if let Some((done, rest)) = checkbox(trimmed) {
            open = None;
            let Some((id, text)) = task_id(rest, ids) else {
                continue;
            };
            if let Some(first) = seen.get(&id) {
                facts.diagnostic(
                    Severity::Warning,
                    Some(Position {
                        line: number,
                        column: 1,
                    }),
                    format!(
                        "task `{id}` is listed again (first at line {first}); this one was not read"
                    ),
                );
                continue;
            }
            seen.insert(id.clone(), number);
            let mut task = Task {
                feature: feature.clone(),
                in_change,
                id,
                text: text.to_owned(),
                done,
                line: number,
                items: Vec::new(),
                depends: Vec::new(),
                paths: Vec::new(),
            };
            read_detail(&mut task, text, ids);
            tasks.push((indent, task));
            open = Some(tasks.len() - 1);
            continue;
        }
        // A detail line: indented below its task (Kiro), or nothing.
        match open {
            Some(i) if indent > tasks[i].0 && !trimmed.is_empty() => {
                let task = &mut tasks[i].1;
                read_detail(task, trimmed, ids);
            }
            Some(_) if trimmed.is_empty() => {}
            _ => open = None,
        }
    }
    for (_, mut task) in tasks {
        // A change's task serves what the change proposes: numbers in its text
        // (`Requirement 2`, an issue's `#12`) name nothing of its own.
        if in_change {
            task.items.clear();
        }
        task.items.dedup();
        task.depends.retain(|d| *d != task.id);
        task.depends.dedup();
        task.paths.dedup();
        facts.tasks.push(task);
    }
}

/// `- [ ] rest`, `- [x] rest`, `* [X] rest`, Kiro's optional `- [ ]* rest`: done, and the rest.
fn checkbox(line: &str) -> Option<(bool, &str)> {
    let rest = line.strip_prefix(['-', '*'])?.trim_start();
    let (mark, rest) = rest.strip_prefix('[')?.split_once(']')?;
    let done = match mark {
        " " | "" => false,
        "x" | "X" => true,
        _ => return None,
    };
    let rest = rest.strip_prefix('*').unwrap_or(rest);
    Some((done, rest.trim()))
}

/// The task's id at the start of its text, and the text after it.
fn task_id(rest: &str, ids: Ids) -> Option<(String, &str)> {
    let (head, text) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let head = head.trim_matches('*');
    let valid = match ids {
        Ids::SpecKit => {
            head.len() >= 2
                && head.starts_with('T')
                && head[1..].bytes().all(|b| b.is_ascii_digit())
        }
        Ids::Kiro => {
            let head = head.trim_end_matches('.');
            !head.is_empty()
                && head
                    .split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        }
    };
    valid.then(|| (head.trim_end_matches('.').to_owned(), text.trim()))
}

/// The items, dependencies and paths one line of a task names.
fn read_detail(task: &mut Task, line: &str, ids: Ids) {
    match ids {
        Ids::SpecKit => {
            for (_, id) in ids_in(line) {
                if id.starts_with('T') {
                    task.depends.push(id);
                } else {
                    task.items.push(id);
                }
            }
        }
        Ids::Kiro => {
            let lower = line.to_lowercase();
            let numbers = requirement_numbers(line).into_iter().map(|(_, n)| n);
            if lower.contains("depends") {
                let after = &line[lower.find("depends").map_or(0, |i| i + "depends".len())..];
                task.depends.extend(numbers_after(after));
            } else {
                task.items.extend(numbers);
            }
        }
    }
    task.paths.extend(paths_in(line));
}

/// The numbers in `_Depends:_ 1.1, 2.3` after its word.
fn numbers_after(text: &str) -> Vec<String> {
    requirement_numbers(&format!(
        "Requirements {}",
        text.trim_start_matches([':', '_', '*', ' '])
    ))
    .into_iter()
    .map(|(_, n)| n)
    .collect()
}

/// File extensions that make a word without a `/` a path (`Cargo.toml`, `README.md`).
const EXTENSIONS: &[&str] = &[
    "rs", "ts", "tsx", "js", "mjs", "md", "toml", "yaml", "yml", "json", "py", "go", "java", "kt",
    "sh", "sql", "proto",
];

/// The repository paths a line names: words with a `/` or a known extension, made only of path
/// characters, not URLs.
pub(super) fn paths_in(line: &str) -> Vec<String> {
    line.split(|c: char| {
        c.is_whitespace() || matches!(c, '`' | '(' | ')' | ',' | '"' | '\'' | '[' | ']')
    })
    .map(|word| {
        word.trim_end_matches(['.', ':', ';', ','])
            .trim_start_matches("./")
    })
    .filter(|word| {
        let path_chars = word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-./".contains(&b));
        let extension = word
            .rsplit_once('.')
            .is_some_and(|(stem, ext)| !stem.is_empty() && EXTENSIONS.contains(&ext));
        let has_letter = word.bytes().any(|b| b.is_ascii_alphabetic());
        path_chars
            && has_letter
            && !word.starts_with('/')
            && !word.contains("//")
            && (extension || word.contains('/') && word.len() > 2)
    })
    .map(|word| word.trim_end_matches('/').to_owned())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::FileKind;

    fn read(path: &str, text: &str, ids: Ids) -> FileFacts {
        let mut facts = FileFacts::new(path, FileKind::Spec, "0", text.len() as u64);
        parse(text, &mut facts, ids, None);
        facts
    }

    fn lines(facts: &FileFacts) -> Vec<String> {
        facts
            .tasks
            .iter()
            .map(|t| {
                format!(
                    "{}:{} {} items={} depends={} paths={}",
                    t.line,
                    t.id,
                    if t.done { "done" } else { "open" },
                    t.items.join(","),
                    t.depends.join(","),
                    t.paths.join(",")
                )
            })
            .collect()
    }

    // verifies: index/tasks
    #[test]
    fn reads_spec_kit_tasks_with_their_stories_and_paths() {
        let text = "# Tasks\n\n## Phase 3: User Story 1\n\n- [X] T012 [P] [US1] Implement the queue in src/sync/queue.rs\n- [ ] T013 [US1] Cover FR-005 to FR-007 in `tests/queue.rs` after T012\n- [ ] not a task\n- [x] T012 again\n\n```\n- [ ] T099 in a code block\n```\n";
        let facts = read("specs/002-sync/tasks.md", text, Ids::SpecKit);
        assert_eq!(
            lines(&facts),
            vec![
                "5:T012 done items=US1 depends= paths=src/sync/queue.rs",
                "6:T013 open items=US1,FR-005,FR-006,FR-007 depends=T012 paths=tests/queue.rs",
            ]
        );
        assert_eq!(facts.tasks[0].feature, "002-sync");
        assert_eq!(
            facts.tasks[0].text,
            "[P] [US1] Implement the queue in src/sync/queue.rs"
        );
        assert_eq!(facts.diagnostics.len(), 1);
        assert!(
            facts.diagnostics[0]
                .message
                .starts_with("task `T012` is listed again (first at line 5)")
        );
    }

    #[test]
    fn reads_kiro_tasks_with_their_detail_bullets() {
        let text = "# 実装計画\n\n- [x] 1. 基盤\n- [x] 1.1 ActorCell の骨格を作る\n  - `actor_cell.rs` は leaf module のまま\n  - _Requirements:_ 2.1, 2.2-2.4, 3.1\n  - _Boundary:_ ActorCell Core\n  - _Depends:_ none\n\n- [ ]* 2.1 Dispatch を分離する\n  - _Requirements: 1.1_\n  - _Depends:_ 1.1\n";
        let facts = read(".kiro/specs/actor-cell/tasks.md", text, Ids::Kiro);
        assert_eq!(
            lines(&facts),
            vec![
                "3:1 done items= depends= paths=",
                "4:1.1 done items=2.1,2.2,2.3,2.4,3.1 depends= paths=actor_cell.rs",
                "10:2.1 open items=1.1 depends=1.1 paths=",
            ]
        );
    }

    #[test]
    fn finds_paths_but_not_urls_or_numbers() {
        assert_eq!(
            paths_in(
                "Edit crush-core/src/lib.rs, Cargo.toml and ./docs/x.md (see https://x.org/a, 1.2, e.g. src/)"
            ),
            vec!["crush-core/src/lib.rs", "Cargo.toml", "docs/x.md", "src"]
        );
    }
}
