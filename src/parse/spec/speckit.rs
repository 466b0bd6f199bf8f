//! Reads GitHub Spec Kit feature specs (`specs/<NNN>-<slug>/spec.md`): user stories (`US1`) with
//! their numbered acceptance scenarios (`US1/AC2`), functional requirements (`FR-001`),
//! non-functional requirements (`NFR-001`) and success criteria (`SC-001`), in the current
//! template and the older one (a single "Primary User Story" with "Acceptance Scenarios").
//!
//! An id is declared only inside its section: `FR-003` is a requirement under the requirements
//! heading and nothing but a mention anywhere else, so prose that cites ids invents no items.
//! `[NEEDS CLARIFICATION: ...]` stays on its item as an open question.

// implements: index/specs

use super::markdown::{Reader, heading, numbered, outside_fences, plain};
use crate::facts::FileFacts;

/// Which part of the spec a line stands in, by its headings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Other,
    /// A user story (its number), or the old template's primary story (1).
    Story(u32),
    /// The old template's acceptance scenarios, which belong to the primary story.
    Scenarios,
    Requirements,
    SuccessCriteria,
}

/// Parses a Spec Kit spec, or its task list, and adds what it declares to `facts`.
pub fn parse(text: &str, facts: &mut FileFacts) {
    if facts.path.ends_with("/tasks.md") {
        return super::tasks::parse(text, facts, super::tasks::Ids::SpecKit, None);
    }
    let mut reader = Reader::new(&facts.path);
    let mut section = Section::Other;
    // In a story, after its "Acceptance Scenarios" label: numbered lines are its scenarios.
    let mut in_scenarios = false;
    let lines: Vec<&str> = text.lines().collect();
    for (index, line) in outside_fences(&lines) {
        let number = index as u32 + 1;
        let n = index + 1;
        let trimmed = line.trim();
        if let Some((level, title)) = heading(trimmed) {
            in_scenarios = false;
            match level {
                1 => {
                    let title = title
                        .strip_prefix("Feature Specification:")
                        .unwrap_or(title)
                        .trim();
                    reader
                        .feature
                        .description
                        .get_or_insert_with(|| title.to_owned());
                    section = Section::Other;
                }
                2 => section = top_section(title),
                _ => {
                    let lower = title.to_ascii_lowercase();
                    if let Some(story) = story_number(title) {
                        section = Section::Story(story);
                        let text = story_text(title, &lines[n..]);
                        reader.add(format!("US{story}"), "user-story", text, number);
                    } else if lower.starts_with("primary user story") {
                        section = Section::Story(1);
                        let text = story_text("", &lines[n..]);
                        reader.add("US1".to_owned(), "user-story", text, number);
                    } else if lower.starts_with("acceptance scenarios") {
                        section = Section::Scenarios;
                        in_scenarios = true;
                    } else if matches!(section, Section::Story(_) | Section::Scenarios) {
                        // Edge cases and other subsections end the story.
                        section = Section::Other;
                    }
                }
            }
            continue;
        }
        if trimmed.replace('*', "").trim_end_matches(':').trim() == "Acceptance Scenarios" {
            in_scenarios = true;
            if !matches!(section, Section::Story(_)) {
                reader.warn(number, "acceptance scenarios outside any user story; they were not read (put them under a `### User Story N` heading)".to_owned(),
                );
                in_scenarios = false;
            }
            continue;
        }
        // A numbered line among a story's acceptance scenarios, or the old template's.
        let scenario = numbered(trimmed);
        let story = match section {
            _ if scenario.is_none() => None,
            Section::Story(story) if in_scenarios => Some(story),
            Section::Scenarios if reader.declared("US1") => Some(1),
            Section::Scenarios => {
                reader.warn(number, "acceptance scenarios outside any user story; they were not read (put them under a `### User Story N` heading)".to_owned(),
                );
                section = Section::Other;
                continue;
            }
            _ => None,
        };
        if let Some(story) = story {
            if let Some((k, text)) = scenario {
                reader.add_positional(
                    format!("US{story}/AC{k}"),
                    "acceptance-scenario",
                    text,
                    number,
                );
            }
            continue;
        }
        match section {
            Section::Requirements | Section::SuccessCriteria => {
                let Some((id, text)) = bold_id(trimmed) else {
                    continue;
                };
                let kind = match (section, id_prefix(&id)) {
                    (Section::Requirements, "FR") => "functional-requirement",
                    (Section::Requirements, "NFR") => "non-functional-requirement",
                    (Section::SuccessCriteria, "SC") => "success-criterion",
                    _ => continue,
                };
                reader.add(id, kind, text, number);
            }
            _ => {}
        }
    }
    reader.finish(
        facts,
        "a Spec Kit spec with no user stories, requirements or success criteria",
    );
}

/// Which top-level section a `##` heading opens.
fn top_section(title: &str) -> Section {
    let lower = title.to_ascii_lowercase();
    if lower.starts_with("requirements") || lower.contains("functional requirements") {
        Section::Requirements
    } else if lower.starts_with("success criteria") {
        Section::SuccessCriteria
    } else {
        Section::Other
    }
}

/// `User Story 2 - Share an album (Priority: P2)` is story 2.
fn story_number(title: &str) -> Option<u32> {
    let rest = title.strip_prefix("User Story")?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// A story's text: its title without the number and priority, then the paragraph after the
/// heading.
fn story_text(title: &str, after: &[&str]) -> String {
    let title = title
        .split_once(" - ")
        .map_or("", |(_, t)| t)
        .split(" (Priority")
        .next()
        .unwrap_or("")
        .trim();
    let paragraph: Vec<&str> = after
        .iter()
        .map(|l| l.trim())
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("**"))
        .collect();
    let paragraph = paragraph.join(" ");
    match (title.is_empty(), paragraph.is_empty()) {
        (false, false) => format!("{title}: {paragraph}"),
        (false, true) => title.to_owned(),
        _ => paragraph,
    }
}

/// `- **FR-001**: System MUST ...`: the id and the text.
fn bold_id(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix(['-', '*'])?.trim_start();
    let rest = rest.strip_prefix("**")?;
    let (id, text) = rest.split_once("**")?;
    let id = id.trim().trim_end_matches(':');
    let valid = id.split_once('-').is_some_and(|(prefix, number)| {
        prefix.chars().all(|c| c.is_ascii_uppercase())
            && number.starts_with(|c: char| c.is_ascii_digit())
            && number.chars().all(|c| c.is_ascii_alphanumeric())
    });
    if !valid {
        return None;
    }
    let text = text.trim_start().trim_start_matches(':').trim();
    Some((id.to_owned(), plain(text)))
}

fn id_prefix(id: &str) -> &str {
    id.split('-').next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::spec::markdown::{diagnostic_lines, item_lines as items, read_as};

    fn read(text: &str) -> FileFacts {
        read_as(parse, "specs/001-photo-albums/spec.md", text)
    }

    // verifies: index/specs
    #[test]
    fn reads_stories_scenarios_requirements_and_criteria_only_in_their_sections() {
        let text = "# Feature Specification: Photo albums\n\n## User Scenarios & Testing *(mandatory)*\n\n### User Story 1 - Create an album (Priority: P1)\n\nA user groups photos by date.\n\n**Acceptance Scenarios**:\n\n1. **Given** photos, **When** the user creates an album, **Then** it lists them\n2. **Given** an album, **When** renamed, **Then** the new name shows\n\n### Edge Cases\n\n- What happens when FR-002 fails?\n1. Not a scenario.\n\n## Requirements *(mandatory)*\n\n### Functional Requirements\n\n- **FR-001**: System MUST group photos by date.\n- **FR-002**: System MUST allow renaming [NEEDS CLARIFICATION: length limit?]\n- **NFR-001**: Albums MUST load within 1 second.\n\n## Success Criteria *(mandatory)*\n\n- **SC-001**: Users create an album in under a minute.\n- **FR-009**: cited here, not declared.\n\n```\n- **FR-010**: in a code block\n```\n";
        let facts = read(text);
        assert_eq!(facts.features[0].name, "001-photo-albums");
        assert_eq!(
            facts.features[0].description.as_deref(),
            Some("Photo albums")
        );
        assert_eq!(
            items(&facts),
            vec![
                "5:US1 user-story | Create an album: A user groups photos by date.",
                "11:US1/AC1 acceptance-scenario | Given photos, When the user creates an album, Then it lists them",
                "12:US1/AC2 acceptance-scenario | Given an album, When renamed, Then the new name shows",
                "23:FR-001 functional-requirement | System MUST group photos by date.",
                "24:FR-002 functional-requirement | System MUST allow renaming [NEEDS CLARIFICATION: length limit?]",
                "25:NFR-001 non-functional-requirement | Albums MUST load within 1 second.",
                "29:SC-001 success-criterion | Users create an album in under a minute.",
            ]
        );
        assert_eq!(
            facts.features[0].items[4].extra["open_question"],
            "length limit?"
        );
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
    }

    #[test]
    fn reads_the_older_template() {
        let text = "# Feature Specification: Login\n\n## User Scenarios & Testing\n\n### Primary User Story\nA user signs in.\n\n### Acceptance Scenarios\n1. **Given** an account, **When** the password is right, **Then** the user is in\n\n## Requirements\n- **FR-001**: System MUST check passwords\n";
        assert_eq!(
            items(&read(text)),
            vec![
                "5:US1 user-story | A user signs in.",
                "9:US1/AC1 acceptance-scenario | Given an account, When the password is right, Then the user is in",
                "12:FR-001 functional-requirement | System MUST check passwords",
            ]
        );
    }

    // verifies: index/bad-input
    #[test]
    fn repeated_ids_stray_scenarios_and_empty_specs_are_diagnostics() {
        let text = "## User Scenarios & Testing\n\n**Acceptance Scenarios**:\n1. **Given** x, **Then** y\n\n## Requirements\n- **FR-001**: One.\n- **FR-001**: Again.\n";
        let facts = read(text);
        let messages = diagnostic_lines(&facts);
        assert_eq!(
            messages,
            vec![
                "3: acceptance scenarios outside any user story; they were not read (put them under a `### User Story N` heading)",
                "8: `FR-001` is declared again (first at line 7); this one was not read",
            ]
        );
        assert_eq!(items(&facts).len(), 1);
        let stray =
            read("## User Scenarios\n\n### Acceptance Scenarios\n\n1. **Given** x, **Then** y\n");
        assert_eq!(stray.diagnostics[0].position.map(|p| p.line), Some(5));
        assert!(
            stray.diagnostics[0]
                .message
                .starts_with("acceptance scenarios outside")
        );
        let empty = read("");
        assert_eq!(empty.diagnostics.len(), 1);
        assert!(empty.diagnostics[0].message.contains("no user stories"));
    }
}
