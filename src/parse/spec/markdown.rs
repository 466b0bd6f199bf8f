//! What the Markdown spec formats share: headings, numbered lists, item texts, and adding an
//! item once per id (a second declaration is a diagnostic).

use std::collections::{BTreeMap, HashMap};

use crate::facts::{Feature, FileFacts, ItemKind, Position, Severity, SpecItem, Tool};

/// The feature is its directory: `specs/001-photo-albums/spec.md` is `001-photo-albums`.
pub(super) fn feature_name(path: &str) -> String {
    let mut parts = path.rsplit('/');
    parts.next();
    parts.next().unwrap_or("spec").to_owned()
}

/// The feature of a document that is a spec of its own (OpenFastTrace's, StrictDoc's): its path
/// without the extension, `.` for `/` (`doc.spec.design`), which tells where its items are and
/// never repeats.
pub(super) fn path_feature(path: &str) -> String {
    let (dir, name) = path.rsplit_once('/').map_or(("", path), |(d, n)| (d, n));
    let stem = match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => name,
    };
    let dir = dir.replace('/', ".");
    if dir.is_empty() {
        stem.to_owned()
    } else {
        format!("{dir}.{stem}")
    }
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

/// The question in `[NEEDS CLARIFICATION: ...]`.
pub(super) fn open_question(text: &str) -> Option<String> {
    let start = text.find("[NEEDS CLARIFICATION")?;
    let rest = &text[start + "[NEEDS CLARIFICATION".len()..];
    let end = rest.find(']').unwrap_or(rest.len());
    Some(rest[..end].trim_start_matches(':').trim().to_owned())
}

/// A Markdown spec being read: the feature its file declares (named by its directory), the ids
/// declared so far, and the diagnostics, each at its line.
pub(super) struct Reader {
    pub(super) feature: Feature,
    seen: HashMap<String, u32>,
    diagnostics: Vec<(u32, String)>,
}

impl Reader {
    pub(super) fn new(path: &str) -> Self {
        Reader {
            feature: Feature {
                name: feature_name(path),
                line: 1,
                spec_version: None,
                owner: None,
                description: None,
                items: Vec::new(),
                dependencies: Vec::new(),
                extra: BTreeMap::new(),
                tool: Tool::Kg,
            },
            seen: HashMap::new(),
            diagnostics: Vec::new(),
        }
    }

    /// Adds an item and returns true, or reports one that repeats an id and returns false.
    pub(super) fn add(&mut self, id: String, kind: &str, text: String, line: u32) -> bool {
        if let Some(first) = self.seen.get(&id) {
            self.warn(
                line,
                format!("`{id}` is declared again (first at line {first}); this one was not read"),
            );
            return false;
        }
        self.seen.insert(id.clone(), line);
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
        let position = self.feature.items.len() as u32 + 1;
        self.feature.items.push(SpecItem {
            local_id: id,
            explicit_id: true,
            kind: item_kind,
            text,
            position,
            line,
            extra,
        });
        true
    }

    /// [`Reader::add`] for an item whose id is its place in a numbered list (`1.2`, `US1/AC2`),
    /// which history matches by text, so that an insertion renumbers the items after it.
    pub(super) fn add_positional(&mut self, id: String, kind: &str, text: String, line: u32) {
        if self.add(id, kind, text, line)
            && let Some(item) = self.feature.items.last_mut()
        {
            item.explicit_id = false;
        }
    }

    /// Whether `id` is declared already.
    pub(super) fn declared(&self, id: &str) -> bool {
        self.seen.contains_key(id)
    }

    /// A diagnostic (a warning) at `line`.
    pub(super) fn warn(&mut self, line: u32, message: impl Into<String>) {
        self.diagnostics.push((line, message.into()));
    }

    /// Adds the feature and the diagnostics to the file's facts; a feature with no items is one
    /// more diagnostic, `empty`.
    pub(super) fn finish(mut self, facts: &mut FileFacts, empty: &str) {
        if self.feature.items.is_empty() {
            self.warn(1, empty);
        }
        for (line, message) in self.diagnostics {
            facts.diagnostic(
                Severity::Warning,
                Some(Position { line, column: 1 }),
                message,
            );
        }
        facts.features.push(self.feature);
    }
}

/// Whether `line` opens or closes a fenced code block.
pub(super) fn is_fence(line: &str) -> bool {
    line.starts_with("```") || line.starts_with("~~~")
}

/// The lines outside fenced code blocks, with their index (the fences themselves left out):
/// what a spec declares is never in an example.
pub(super) fn outside_fences<'a>(lines: &'a [&'a str]) -> impl Iterator<Item = (usize, &'a str)> {
    let mut in_fence = false;
    lines.iter().enumerate().filter_map(move |(n, line)| {
        if is_fence(line.trim()) {
            in_fence = !in_fence;
            return None;
        }
        (!in_fence).then_some((n, *line))
    })
}

/// `text` read by `parse` as the file at `path`, for tests.
#[cfg(test)]
pub(super) fn read_as(parse: fn(&str, &mut FileFacts), path: &str, text: &str) -> FileFacts {
    let kind = crate::facts::FileKind::Spec;
    let mut facts = FileFacts::new(path, kind, "0", text.len() as u64);
    parse(text, &mut facts);
    facts
}

/// Each item of the file's feature as `line:id kind | text`, for tests.
#[cfg(test)]
pub(super) fn item_lines(facts: &FileFacts) -> Vec<String> {
    facts.features[0]
        .items
        .iter()
        .map(|i| format!("{}:{} {} | {}", i.line, i.local_id, i.extra["kind"], i.text))
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_documents_feature_is_its_path() {
        assert_eq!(path_feature("doc/spec/design.md"), "doc.spec.design");
        assert_eq!(path_feature("up-l1/README.adoc"), "up-l1.README");
        assert_eq!(path_feature("README.md"), "README");
        assert_eq!(path_feature("v1.2/.hidden"), "v1.2..hidden");
    }
}
