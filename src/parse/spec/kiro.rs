//! Reads Kiro and cc-sdd requirements (`.kiro/specs/<feature>/requirements.md`): each
//! `### Requirement N[: title]` with its user story is the item `N`, and each numbered
//! acceptance criterion under its level-4 heading the item `N.M`, with the EARS text kept as
//! written.
//!
//! A bugfix spec (`bugfix.md` in place of `requirements.md`) numbers its statements as it writes
//! them, one per paragraph under the three sections of its bug analysis: `1.1 WHEN ... THEN ...`
//! is the current (defective) behavior, `2.1` the expected behavior, `3.1` behavior that must stay
//! unchanged; each statement is an item with that number.
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
        return super::tasks::parse(text, facts, super::tasks::Ids::Kiro, None);
    }
    if facts.path.ends_with("/bugfix.md") {
        return parse_bugfix(text, facts);
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

/// Reads a bugfix spec: every paragraph that opens with a number `N.M` (bold or not, in a list
/// item or not) under a section heading is a statement, its kind told by `N`; the paragraph's
/// lines are its text. The sections are the level-3 headings (`### Current Behavior` under
/// `## Bug Analysis`), or the level-2 ones in a document that has none, so that a number opening
/// a line of the introduction is not a statement.
fn parse_bugfix(text: &str, facts: &mut FileFacts) {
    let mut reader = Reader::new(&facts.path);
    let lines: Vec<&str> = text.lines().collect();
    let has_level_3 =
        outside_fences(&lines).any(|(_, l)| heading(l.trim()).is_some_and(|(level, _)| level == 3));
    let section_level = if has_level_3 { 3 } else { 2 };
    // Whether the lines stand under a section heading, or under some other heading (an
    // introduction, whose numbers are prose), or under none yet.
    let mut in_section = false;
    let mut under_heading = false;
    let mut open: Option<Statement> = None;
    let close = |reader: &mut Reader, open: &mut Option<Statement>| {
        if let Some(statement) = open.take() {
            let text = statement.text();
            reader.add(statement.id, statement.kind, text, statement.line);
        }
    };
    for (n, line) in outside_fences(&lines) {
        let number = n as u32 + 1;
        let trimmed = line.trim();
        if let Some((level, title)) = heading(trimmed) {
            close(&mut reader, &mut open);
            if level == 1 {
                reader
                    .feature
                    .description
                    .get_or_insert_with(|| title.to_owned());
            }
            in_section = level >= section_level;
            under_heading = true;
            continue;
        }
        if trimmed.is_empty() {
            close(&mut reader, &mut open);
            continue;
        }
        if let Some((id, rest, bold)) = statement_number(trimmed) {
            close(&mut reader, &mut open);
            if in_section {
                let kind = match id.split('.').next() {
                    Some("1") => "current-behavior",
                    Some("2") => "expected-behavior",
                    Some("3") => "unchanged-behavior",
                    _ => "bugfix-statement",
                };
                open = Some(Statement {
                    id,
                    kind,
                    line: number,
                    bold,
                    lines: vec![plain(rest)],
                });
            } else if !under_heading {
                reader.warn(number, format!("statement `{id}` stands before any section heading; it was not read (put it under `### Current Behavior`, `### Expected Behavior` or `### Unchanged Behavior`)"));
            }
            continue;
        }
        if let Some(statement) = &mut open {
            statement.lines.push(plain(trimmed));
        }
    }
    close(&mut reader, &mut open);
    reader.finish(
        facts,
        "a Kiro bugfix spec with no numbered statements (`1.1 WHEN ... THEN ...`)",
    );
}

/// A bugfix statement being read.
struct Statement {
    id: String,
    kind: &'static str,
    line: u32,
    /// Whether its number was bold (`**2.2** Header order`).
    bold: bool,
    lines: Vec<String>,
}

impl Statement {
    /// Its lines as one text; after a bold number, a first line followed by more is a title
    /// (`Header order: The header row SHALL ...`).
    fn text(&self) -> String {
        match &self.lines[..] {
            [title, rest @ ..]
                if self.bold && !rest.is_empty() && !title.is_empty() && !title.ends_with(':') =>
            {
                format!("{title}: {}", rest.join(" "))
            }
            lines => lines.join(" "),
        }
    }
}

/// `1.1 WHEN ...`, `**2.3** ...`, `- 3.1. WHEN ...`: the statement's number, the rest, and
/// whether the number was bold.
fn statement_number(line: &str) -> Option<(String, &str, bool)> {
    let line = line
        .strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))
        .unwrap_or(line);
    let bold = line.starts_with("**");
    let line = line.trim_start_matches("**");
    let major = line.bytes().take_while(u8::is_ascii_digit).count();
    let rest = line[major..].strip_prefix('.')?;
    let minor = rest.bytes().take_while(u8::is_ascii_digit).count();
    if major == 0 || minor == 0 {
        return None;
    }
    let id = &line[..major + 1 + minor];
    let mut rest = &rest[minor..];
    if bold {
        rest = rest.strip_prefix("**")?;
    }
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    let rest = rest.strip_prefix("**").unwrap_or(rest);
    (rest.starts_with(' ') || rest.is_empty()).then(|| (id.to_owned(), rest.trim(), bold))
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

    // verifies: index/specs
    #[test]
    fn reads_a_bugfix_spec_statement_by_statement() {
        let text = "# Bugfix Requirements Document\n\n## Introduction\n\n1.5 million rows are exported.\n\n## Bug Analysis\n\n### Current Behavior (Defect)\n\n1.1 WHEN the table is empty THEN the system exports nothing\n\n1.2 WHEN a cell holds a comma THEN the system splits it\n\n### Expected Behavior (Correct)\n\n2.1 WHEN the table is empty THEN the system SHALL export the header\n\n**2.2** Quoting\nA cell with a comma SHALL be quoted\n\n### 変更しない動作\n\n- 3.1. WHEN the table has rows THEN the system SHALL CONTINUE TO export them\n";
        let facts = read_as(parse, ".kiro/specs/empty-export/bugfix.md", text);
        assert_eq!(facts.features[0].name, "empty-export");
        assert_eq!(
            items(&facts),
            vec![
                "11:1.1 current-behavior | WHEN the table is empty THEN the system exports nothing",
                "13:1.2 current-behavior | WHEN a cell holds a comma THEN the system splits it",
                "17:2.1 expected-behavior | WHEN the table is empty THEN the system SHALL export the header",
                "19:2.2 expected-behavior | Quoting: A cell with a comma SHALL be quoted",
                "24:3.1 unchanged-behavior | WHEN the table has rows THEN the system SHALL CONTINUE TO export them",
            ]
        );
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
    }

    // verifies: index/bad-input
    #[test]
    fn bugfix_statements_outside_sections_repeated_or_missing_are_diagnostics() {
        let path = ".kiro/specs/empty-export/bugfix.md";
        let text = "1.1 WHEN x THEN y\n\n## Expected Behavior\n\n2.1 WHEN x THEN y SHALL z\n\n2.1 WHEN a THEN b SHALL c\n";
        let facts = read_as(parse, path, text);
        assert_eq!(
            diagnostic_lines(&facts),
            vec![
                "1: statement `1.1` stands before any section heading; it was not read (put it under `### Current Behavior`, `### Expected Behavior` or `### Unchanged Behavior`)",
                "7: `2.1` is declared again (first at line 5); this one was not read",
            ]
        );
        assert_eq!(items(&facts).len(), 1);
        assert_eq!(read_as(parse, path, "# Bugfix\n").diagnostics.len(), 1);
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
