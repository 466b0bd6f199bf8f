//! Reads Kiro and cc-sdd requirements (`.kiro/specs/<feature>/requirements.md`): each
//! `### Requirement N[: title]` with its user story is the item `N`, and each numbered
//! acceptance criterion under its level-4 heading the item `N.M`, with the EARS text kept as
//! written.
//!
//! cc-sdd writes the headings in the team's language (`### 要件 1: ...`, `#### 受け入れ基準`),
//! so the structure decides, not the words: under the requirements section, a level-3 heading
//! with a number opens a requirement, and a numbered list after a level-4 heading in it holds its
//! criteria.

// implements: index/specs

use super::markdown::{Reader, heading, numbered, outside_fences, plain};
use crate::facts::FileFacts;

/// Parses a Kiro requirements document, or its task list, and adds what it declares to `facts`.
pub fn parse(text: &str, facts: &mut FileFacts) {
    if facts.path.ends_with("/tasks.md") {
        return super::tasks::parse(text, facts, super::tasks::Ids::Kiro);
    }
    let mut reader = Reader::new(&facts.path);
    // The requirement the lines stand in, and whether its criteria list has begun.
    let mut requirement: Option<String> = None;
    let mut in_criteria = false;
    let lines: Vec<&str> = text.lines().collect();
    for (n, line) in outside_fences(&lines) {
        let number = n as u32 + 1;
        let trimmed = line.trim();
        if let Some((level, title)) = heading(trimmed) {
            match level {
                1 => {
                    reader
                        .feature
                        .description
                        .get_or_insert_with(|| title.to_owned());
                    requirement = None;
                    in_criteria = false;
                }
                2 => {
                    requirement = None;
                    in_criteria = false;
                }
                3 => {
                    in_criteria = false;
                    requirement = requirement_number(title);
                    if let Some(id) = &requirement {
                        let text = requirement_text(title, &lines[n + 1..]);
                        reader.add(id.clone(), "requirement", text, number);
                    }
                }
                _ => in_criteria = true,
            }
            continue;
        }
        let Some((m, text)) = numbered(trimmed) else {
            continue;
        };
        match (&requirement, in_criteria) {
            // A criterion's number is its place in the list: inserting one renumbers the rest.
            (Some(id), true) => {
                reader.add_positional(format!("{id}.{m}"), "acceptance-criterion", text, number);
            }
            (None, true) => reader.warn(number, "an acceptance criterion outside any requirement; it was not read (put it under a `### Requirement N` heading)".to_owned(),
            ),
            _ => {}
        }
    }
    reader.finish(facts, "a Kiro requirements document with no requirements");
}

/// The number a requirement heading carries: `Requirement 3: Export` and `要件 3` are `3`.
fn requirement_number(title: &str) -> Option<String> {
    let start = title.find(|c: char| c.is_ascii_digit())?;
    let digits: String = title[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some(digits)
}

/// A requirement's text: its title after the number, then its user story (the paragraph before
/// the next heading, without its `**User Story:**` label).
fn requirement_text(title: &str, after: &[&str]) -> String {
    let name = title
        .split_once(':')
        .map_or("", |(_, t)| t)
        .trim()
        .to_owned();
    let story: Vec<String> = after
        .iter()
        .map(|l| l.trim())
        .take_while(|l| !l.starts_with('#'))
        .filter(|l| !l.is_empty())
        .map(|l| {
            // `**User Story:** As a ...` (or its translation): the bold label goes.
            let unlabelled = l
                .strip_prefix("**")
                .and_then(|rest| rest.split_once(":**").or_else(|| rest.split_once("**:")))
                .map_or(l, |(_, rest)| rest);
            plain(unlabelled.trim())
        })
        .collect();
    let story = story.join(" ");
    match (name.is_empty(), story.is_empty()) {
        (false, false) => format!("{name}: {story}"),
        (false, true) => name,
        _ => story,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::spec::markdown::{diagnostic_lines, item_lines as items, read_as};

    fn read(text: &str) -> FileFacts {
        read_as(parse, ".kiro/specs/export-csv/requirements.md", text)
    }

    // verifies: index/specs
    #[test]
    fn reads_requirements_and_their_numbered_criteria() {
        let text = "# Requirements Document\n\n## Introduction\n\n1. Not a criterion.\n\n## Requirements\n\n### Requirement 1: Export\n\n**User Story:** As an analyst, I want a CSV export, so that I can use a spreadsheet\n\n#### Acceptance Criteria\n\n1. WHEN the user clicks export THEN the system SHALL download a CSV file\n2. IF the table is empty THEN the system SHALL export the header only\n\n### Requirement 2\n\n**User Story:** As an admin, I want exports logged\n\n#### Acceptance Criteria\n\n1. WHEN an export completes THEN the system SHALL log who made it\n";
        let facts = read(text);
        assert_eq!(facts.features[0].name, "export-csv");
        assert_eq!(
            items(&facts),
            vec![
                "9:1 requirement | Export: As an analyst, I want a CSV export, so that I can use a spreadsheet",
                "15:1.1 acceptance-criterion | WHEN the user clicks export THEN the system SHALL download a CSV file",
                "16:1.2 acceptance-criterion | IF the table is empty THEN the system SHALL export the header only",
                "18:2 requirement | As an admin, I want exports logged",
                "24:2.1 acceptance-criterion | WHEN an export completes THEN the system SHALL log who made it",
            ]
        );
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
    }

    #[test]
    fn reads_localized_headings_by_their_structure() {
        let text = "# 要件定義書\n\n## 要件\n\n### 要件 1: エクスポート\n\n**ユーザーストーリー:** 分析者として、CSV を出力したい\n\n#### 受け入れ基準\n\n1. WHEN ユーザーが出力を押す THEN システムは CSV を返す SHALL\n";
        assert_eq!(
            items(&read(text)),
            vec![
                "5:1 requirement | エクスポート: 分析者として、CSV を出力したい",
                "11:1.1 acceptance-criterion | WHEN ユーザーが出力を押す THEN システムは CSV を返す SHALL",
            ]
        );
    }

    // verifies: index/bad-input
    #[test]
    fn stray_criteria_repeated_numbers_and_empty_documents_are_diagnostics() {
        let text = "## Requirements\n\n#### Acceptance Criteria\n\n1. WHEN x THEN y SHALL z\n\n### Requirement 1\n\n### Requirement 1\n";
        let facts = read(text);
        let messages = diagnostic_lines(&facts);
        assert_eq!(
            messages,
            vec![
                "5: an acceptance criterion outside any requirement; it was not read (put it under a `### Requirement N` heading)",
                "9: `1` is declared again (first at line 7); this one was not read",
            ]
        );
        assert_eq!(read("").diagnostics.len(), 1);
    }
}
