//! What the Markdown spec formats share: headings, numbered lists, item texts, and adding an
//! item once per id (a second declaration is a diagnostic).

use std::collections::{BTreeMap, HashMap};

use crate::facts::{Feature, FileFacts, ItemKind, Position, Severity, SpecItem};

/// The feature is its directory: `specs/001-photo-albums/spec.md` is `001-photo-albums`.
pub(super) fn feature_name(path: &str) -> String {
    let mut parts = path.rsplit('/');
    parts.next();
    parts.next().unwrap_or("spec").to_owned()
}

/// An ATX heading: its level and title.
pub(super) fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.bytes().take_while(|b| *b == b'#').count();
    if level == 0 || level > 6 || !line[level..].starts_with(' ') {
        return None;
    }
    Some((level, line[level..].trim().trim_end_matches('#').trim()))
}

/// `1. **Given** ..., **When** ..., **Then** ...`: the number and the text.
pub(super) fn numbered(line: &str) -> Option<(u32, String)> {
    let digits: String = line.chars().take_while(char::is_ascii_digit).collect();
    let rest = line[digits.len()..].strip_prefix('.')?;
    let number = digits.parse().ok()?;
    Some((number, plain(rest.trim())))
}

/// Markdown emphasis taken out of an item's text.
pub(super) fn plain(text: &str) -> String {
    text.replace("**", "")
}

/// Adds an item, or reports one that repeats an id.
pub(super) fn add(
    feature: &mut Feature,
    seen: &mut HashMap<String, u32>,
    diagnostics: &mut Vec<(u32, String)>,
    id: String,
    kind: &str,
    text: String,
    line: u32,
) {
    if let Some(first) = seen.get(&id) {
        diagnostics.push((
            line,
            format!("`{id}` is declared again (first at line {first}); this one was not read"),
        ));
        return;
    }
    seen.insert(id.clone(), line);
    let mut extra = BTreeMap::from([("kind".to_owned(), kind.to_owned())]);
    if let Some(question) = open_question(&text) {
        extra.insert("open_question".to_owned(), question);
    }
    let item_kind = match kind {
        "non-functional-requirement" => ItemKind::Nfr {
            category: "nfr".to_owned(),
        },
        "success-criterion" => ItemKind::Nfr {
            category: "success".to_owned(),
        },
        _ => ItemKind::Acceptance,
    };
    let position = feature.items.len() as u32 + 1;
    feature.items.push(SpecItem {
        local_id: id,
        explicit_id: true,
        kind: item_kind,
        text,
        position,
        line,
        extra,
    });
}

/// The question in `[NEEDS CLARIFICATION: ...]`.
pub(super) fn open_question(text: &str) -> Option<String> {
    let start = text.find("[NEEDS CLARIFICATION")?;
    let rest = &text[start + "[NEEDS CLARIFICATION".len()..];
    let end = rest.find(']').unwrap_or(rest.len());
    Some(rest[..end].trim_start_matches(':').trim().to_owned())
}

/// The feature a Markdown spec file declares: named by its directory, its items to come.
pub(super) fn new_feature(path: &str) -> Feature {
    Feature {
        name: feature_name(path),
        line: 1,
        spec_version: None,
        owner: None,
        description: None,
        items: Vec::new(),
        dependencies: Vec::new(),
        extra: BTreeMap::new(),
    }
}

/// Adds the feature and the diagnostics to the file's facts; a feature with no items is one
/// more diagnostic, `empty`.
pub(super) fn finish(
    facts: &mut FileFacts,
    feature: Feature,
    mut diagnostics: Vec<(u32, String)>,
    empty: &str,
) {
    if feature.items.is_empty() {
        diagnostics.push((1, empty.to_owned()));
    }
    for (line, message) in diagnostics {
        facts.diagnostic(
            Severity::Warning,
            Some(Position { line, column: 1 }),
            message,
        );
    }
    facts.features.push(feature);
}

/// Whether `line` opens or closes a fenced code block.
pub(super) fn is_fence(line: &str) -> bool {
    line.starts_with("```") || line.starts_with("~~~")
}

/// Each diagnostic as `line: message`, for tests.
#[cfg(test)]
pub(super) fn diagnostic_lines(facts: &FileFacts) -> Vec<String> {
    facts
        .diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.position.map_or(0, |p| p.line), d.message))
        .collect()
}
