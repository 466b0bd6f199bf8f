//! Reads OpenSpec capability specs (`openspec/specs/<capability>/spec.md`): each
//! `### Requirement: <name>` under `## Requirements` is the item `<name>` (the name is the id, as
//! OpenSpec's own tools treat it), and each `#### Scenario: <name>` in it the item
//! `<requirement>/<scenario>`, its WHEN/THEN bullets kept as its text.
//!
//! Only the capability specs are features. Delta specs under `openspec/changes/` are proposals,
//! not the current truth, and the archive is history that git already keeps.

// implements: index/specs

use super::markdown::{Reader, heading, outside_fences, plain};
use crate::facts::FileFacts;

/// Parses an OpenSpec capability spec and adds its feature, items and diagnostics to `facts`.
pub fn parse(text: &str, facts: &mut FileFacts) {
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
                        .insert(crate::link::ids::SCENARIO.to_owned(), name.to_owned());
                    open = Some(item);
                }
            }
            _ => {}
        }
    }
    reader.finish(facts, "an OpenSpec spec with no requirements");
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
