//! Reads OpenSpec capability specs (`openspec/specs/<capability>/spec.md`): each
//! `### Requirement: <name>` under `## Requirements` is the item `<name>` (the name is the id, as
//! OpenSpec's own tools treat it), and each `#### Scenario: <name>` in it the item
//! `<requirement>/<scenario>`, its WHEN/THEN bullets kept as its text.
//!
//! Only the capability specs are features. Delta specs under `openspec/changes/` are proposals,
//! not the current truth, and the archive is history that git already keeps. A change's
//! `tasks.md` (`- [x] 1.1 ...`, active or archived) is read as its task list: the tasks of the
//! change, which serve what its delta specs propose ([`proposed`]).

// implements: index/specs

use super::markdown::{Reader, heading, outside_fences, plain};
use crate::facts::FileFacts;

/// Parses an OpenSpec capability spec and adds its feature, items and diagnostics to `facts`.
pub fn parse(text: &str, facts: &mut FileFacts) {
    if let Some(change) = change_of(&facts.path).filter(|_| facts.path.ends_with("/tasks.md")) {
        let change = change.to_owned();
        return super::tasks::parse(text, facts, super::tasks::Ids::Kiro, Some(change));
    }
    let mut reader = Reader::new(&facts.path);
    let mut in_requirements = false;
    // The requirement the lines stand in, and the item whose text they continue.
    let mut requirement: Option<String> = None;
    let mut open: Option<usize> = None;
    let lines: Vec<&str> = text.lines().collect();
    for (n, line) in outside_fences(&lines) {
        let number = n as u32 + 1;
        let trimmed = line.trim();
        let Some((level, title)) = heading(trimmed) else {
            if let (Some(i), false) = (open, trimmed.is_empty()) {
                let item = &mut reader.feature.items[i];
                let part = plain(trimmed.trim_start_matches(['-', '*']).trim());
                if !item.text.is_empty() {
                    item.text.push(' ');
                }
                item.text.push_str(&part);
            }
            continue;
        };
        open = None;
        match level {
            1 => {
                let title = title.strip_suffix("Specification").unwrap_or(title).trim();
                reader
                    .feature
                    .description
                    .get_or_insert_with(|| title.to_owned());
            }
            2 => {
                requirement = None;
                in_requirements = title.eq_ignore_ascii_case("requirements");
                // A delta's heading in a capability spec (a change copied rather than archived):
                // what it adds or modifies is what the spec now requires.
                let delta = ["ADDED Requirements", "MODIFIED Requirements"]
                    .iter()
                    .find(|h| title.eq_ignore_ascii_case(h));
                if let Some(delta) = delta {
                    in_requirements = true;
                    reader.warn(number, format!("`## {delta}` is a change's heading, not a capability spec's; read as its requirements (`openspec archive` writes `## Requirements`)"),
                    );
                }
            }
            3 => {
                requirement = None;
                let Some(name) = labelled(title, "Requirement:") else {
                    continue;
                };
                if !in_requirements {
                    reader.warn(number, format!("requirement `{name}` outside the `## Requirements` section; it was not read"),
                    );
                    continue;
                }
                if reader.add(name.to_owned(), "requirement", String::new(), number) {
                    requirement = Some(name.to_owned());
                    open = Some(reader.feature.items.len() - 1);
                }
            }
            4 => {
                let Some(name) = labelled(title, "Scenario:") else {
                    continue;
                };
                let Some(requirement) = &requirement else {
                    reader.warn(number, format!("scenario `{name}` outside any requirement; it was not read (put it under a `### Requirement: <name>` heading)"),
                    );
                    continue;
                };
                let id = format!("{requirement}/{name}");
                if reader.add(id, "scenario", String::new(), number) {
                    let item = reader.feature.items.len() - 1;
                    reader.feature.items[item]
                        .extra
                        .insert(crate::facts::SCENARIO.to_owned(), name.to_owned());
                    open = Some(item);
                }
            }
            _ => {}
        }
    }
    reader.finish(facts, "an OpenSpec spec with no requirements");
}

/// What a change proposal's delta spec does to one requirement of its capability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    /// `ADDED`, `MODIFIED`, `REMOVED` or `RENAMED`.
    pub operation: &'static str,
    /// The requirement's name (for a rename, the new one).
    pub name: String,
    /// For a rename, the old name.
    pub from: Option<String>,
    /// The requirement's text as the proposal has it (its block up to the next requirement).
    pub text: String,
    pub line: u32,
}

/// The change and capability of a delta spec, `openspec/changes/<change>/specs/<capability>/
/// spec.md` (not in the archive, which is history).
pub fn delta_target(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("openspec/changes/")?;
    let (change, _) = rest.split_once('/')?;
    (change != "archive").then_some(())?;
    delta_spec(path)
}

/// The change and capability of a delta spec, active or archived (its change named as
/// [`change_of`] names it).
pub fn delta_spec(path: &str) -> Option<(&str, &str)> {
    let change = change_of(path)?;
    let (dir, rest) = path.rsplit_once("/specs/")?;
    let capability = rest.strip_suffix("/spec.md")?;
    let plain = |s: &str| !s.is_empty() && !s.contains('/');
    // The change's own directory holds `specs/`: `openspec/changes/<dir>`, or in the archive
    // `openspec/changes/archive/<dir>`.
    let depth = dir.matches('/').count();
    let expected = if dir.starts_with("openspec/changes/archive/") {
        3
    } else {
        2
    };
    (plain(capability) && depth == expected).then_some((change, capability))
}

/// The change a path under `openspec/changes/` belongs to: `<change>` in
/// `openspec/changes/<change>/...`, and in the archive, `openspec/changes/archive/<date>-<change>/`,
/// the same name without its `YYYY-MM-DD-` date, so that a change keeps its tasks' ids once
/// archived.
pub fn change_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("openspec/changes/")?;
    let (dir, rest) = rest.split_once('/')?;
    if dir != "archive" {
        return Some(dir);
    }
    let (dir, _) = rest.split_once('/')?;
    let dated = dir.len() > 11
        && dir.as_bytes()[..11].iter().enumerate().all(|(i, b)| {
            if matches!(i, 4 | 7 | 10) {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    Some(if dated { &dir[11..] } else { dir })
}

/// The full ids of the requirements a delta spec of `capability` proposes to add, modify,
/// remove or rename (both names), in order.
pub fn proposed(capability: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for delta in deltas(text) {
        if let Some(from) = &delta.from {
            out.push(format!("{capability}/{from}"));
        }
        out.push(format!("{capability}/{}", delta.name));
    }
    out.dedup();
    out
}

/// What a delta spec proposes, requirement by requirement: `## ADDED Requirements`,
/// `## MODIFIED Requirements`, `## REMOVED Requirements` (each `### Requirement: <name>` under
/// them), and `## RENAMED Requirements` (`- FROM: ### Requirement: <old>` and
/// `- TO: ### Requirement: <new>`).
pub fn deltas(text: &str) -> Vec<Delta> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<Delta> = Vec::new();
    let mut operation: Option<&'static str> = None;
    let mut open = false;
    let mut from: Option<String> = None;
    for (n, line) in outside_fences(&lines) {
        let number = n as u32 + 1;
        let trimmed = line.trim();
        if let Some((level, title)) = heading(trimmed) {
            open = false;
            if level == 2 {
                operation = ["ADDED", "MODIFIED", "REMOVED", "RENAMED"]
                    .into_iter()
                    .find(|op| title.eq_ignore_ascii_case(&format!("{op} Requirements")));
            } else if let (3, Some(op), Some(name)) =
                (level, operation, labelled(title, "Requirement:"))
                && op != "RENAMED"
            {
                out.push(Delta {
                    operation: op,
                    name: name.to_owned(),
                    from: None,
                    text: String::new(),
                    line: number,
                });
                open = true;
            }
            continue;
        }
        if operation == Some("RENAMED") {
            let item = trimmed.trim_start_matches(['-', '*']).trim();
            let named = |label: &str| {
                let rest = item
                    .get(..label.len())?
                    .eq_ignore_ascii_case(label)
                    .then(|| item[label.len()..].trim())?;
                let rest = rest.trim_start_matches('`').trim_end_matches('`');
                labelled(rest.trim_start_matches('#').trim(), "Requirement:").map(str::to_owned)
            };
            if let Some(old) = named("FROM:") {
                from = Some(old);
            } else if let (Some(new), Some(old)) = (named("TO:"), from.take()) {
                out.push(Delta {
                    operation: "RENAMED",
                    name: new,
                    from: Some(old),
                    text: String::new(),
                    line: number,
                });
            }
            continue;
        }
        if let (true, Some(delta), false) = (open, out.last_mut(), trimmed.is_empty()) {
            if !delta.text.is_empty() {
                delta.text.push(' ');
            }
            delta
                .text
                .push_str(&plain(trimmed.trim_start_matches(['-', '*']).trim()));
        }
    }
    out
}

/// `Requirement: Sessions expire` is `Sessions expire` for the label `Requirement:`.
fn labelled<'a>(title: &'a str, label: &str) -> Option<&'a str> {
    let head = title.get(..label.len())?;
    let name = title[label.len()..].trim();
    (head.eq_ignore_ascii_case(label) && !name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::spec::markdown::{diagnostic_lines, item_lines as items, read_as};

    fn read(text: &str) -> FileFacts {
        read_as(parse, "openspec/specs/auth-session/spec.md", text)
    }

    // verifies: index/specs
    #[test]
    fn reads_requirements_and_their_scenarios() {
        let delta = read(
            "## ADDED Requirements\n### Requirement: New\nA.\n## REMOVED Requirements\n### Requirement: Old\n",
        );
        assert_eq!(items(&delta), vec!["2:New requirement | A."]);
        assert_eq!(delta.diagnostics.len(), 2, "{:?}", delta.diagnostics);
        let text = "# auth-session Specification\n\n## Purpose\n### Requirement: Not here\n\n## Requirements\n### Requirement: Sessions expire\nThe system SHALL end a session after 30 minutes idle.\n\n#### Scenario: Idle session\n- **WHEN** a session is idle for 30 minutes\n- **THEN** the next request is refused\n\n```\n### Requirement: In a code block\n```\n### Requirement: 日本語の名前 / with a slash\n本文（MUST）。\n";
        let facts = read(text);
        assert_eq!(facts.features[0].name, "auth-session");
        assert_eq!(
            facts.features[0].description.as_deref(),
            Some("auth-session")
        );
        assert_eq!(
            items(&facts),
            vec![
                "7:Sessions expire requirement | The system SHALL end a session after 30 minutes idle.",
                "10:Sessions expire/Idle session scenario | WHEN a session is idle for 30 minutes THEN the next request is refused",
                "17:日本語の名前 / with a slash requirement | 本文（MUST）。",
            ]
        );
        assert_eq!(
            diagnostic_lines(&facts),
            vec![
                "4: requirement `Not here` outside the `## Requirements` section; it was not read"
            ]
        );
    }

    // verifies: impact/spec-changes
    // verifies: index/tasks
    #[test]
    fn a_changes_task_list_holds_the_changes_tasks() {
        let text = "## 1. Mailbox\n- [x] 1.1 Bound the queue in `src/mailbox.rs` (Requirement 2, #611)\n- [ ] 1.2 Test it\n  - _Depends: 1.1_\n";
        let path = "openspec/changes/archive/2026-04-23-bounded-mailbox/tasks.md";
        let facts = read_as(parse, path, text);
        let tasks: Vec<String> = facts
            .tasks
            .iter()
            .map(|t| {
                let (id, done, items, depends) = (&t.id, t.done, &t.items, &t.depends);
                format!(
                    "{} {} {id} {done} {items:?} {depends:?} {:?}",
                    t.feature, t.in_change, t.paths
                )
            })
            .collect();
        assert_eq!(
            tasks,
            vec![
                "bounded-mailbox true 1.1 true [] [] [\"src/mailbox.rs\"]",
                "bounded-mailbox true 1.2 false [] [\"1.1\"] []",
            ]
        );
        assert!(facts.features.is_empty() && facts.diagnostics.is_empty());
    }

    #[test]
    fn names_the_change_of_active_and_archived_paths() {
        assert_eq!(
            change_of("openspec/changes/add-2fa/tasks.md"),
            Some("add-2fa")
        );
        assert_eq!(
            change_of("openspec/changes/archive/2026-03-18-add-2fa/specs/auth/spec.md"),
            Some("add-2fa")
        );
        assert_eq!(
            change_of("openspec/changes/archive/old-change/tasks.md"),
            Some("old-change")
        );
        assert_eq!(change_of("openspec/specs/auth/spec.md"), None);
    }

    #[test]
    fn reads_what_a_change_proposal_adds_modifies_removes_and_renames() {
        assert_eq!(
            delta_target("openspec/changes/add-2fa/specs/auth/spec.md"),
            Some(("add-2fa", "auth"))
        );
        assert_eq!(
            delta_target("openspec/changes/archive/2026-01-01-x/specs/auth/spec.md"),
            None
        );
        assert_eq!(delta_target("openspec/specs/auth/spec.md"), None);
        let text = "## ADDED Requirements\n### Requirement: Two factors\nThe system SHALL ask for a code.\n\n#### Scenario: Code asked\n- **WHEN** x\n\n## MODIFIED Requirements\n### Requirement: Session Expiry\nThe system SHALL end a session after 30 days.\n\n## REMOVED Requirements\n### Requirement: Sign Out\n**Reason**: gone\n\n## RENAMED Requirements\n- FROM: `### Requirement: Login`\n- TO: `### Requirement: Sign In`\n";
        let found: Vec<String> = deltas(text)
            .iter()
            .map(|d| {
                format!(
                    "{}:{} {} {:?} | {}",
                    d.line, d.operation, d.name, d.from, d.text
                )
            })
            .collect();
        assert_eq!(
            found,
            vec![
                "2:ADDED Two factors None | The system SHALL ask for a code.",
                "9:MODIFIED Session Expiry None | The system SHALL end a session after 30 days.",
                "13:REMOVED Sign Out None | Reason: gone",
                "18:RENAMED Sign In Some(\"Login\") | ",
            ]
        );
    }

    // verifies: index/bad-input
    #[test]
    fn repeated_names_stray_scenarios_and_empty_specs_are_diagnostics() {
        let text = "## Requirements\n#### Scenario: Lost\n- **WHEN** x\n### Requirement: Twice\nA.\n### Requirement: Twice\nB.\n#### Scenario: Under the repeat\n";
        let facts = read(text);
        assert_eq!(
            diagnostic_lines(&facts),
            vec![
                "2: scenario `Lost` outside any requirement; it was not read (put it under a `### Requirement: <name>` heading)",
                "6: `Twice` is declared again (first at line 4); this one was not read",
                "8: scenario `Under the repeat` outside any requirement; it was not read (put it under a `### Requirement: <name>` heading)",
            ]
        );
        assert_eq!(items(&facts), vec!["4:Twice requirement | A."]);
        let empty = read("");
        assert!(empty.diagnostics[0].message.contains("no requirements"));
    }
}
