//! Finds reference markers (`implements: a/AC-1, a/b`) and id mentions in comment and prose text.
//!
//! The marker syntax is a trait so that other conventions (OpenFastTrace `[impl->dsn~x~1]`, tracey,
//! duvet) can be added beside the native one without touching the language parsers: each is one
//! file here and one line in [`SYNTAXES`].

use crate::facts::{Anchor, FileFacts, Position, Reference, Relation, Severity, Tool};

mod duvet;
mod native;
mod oft;
mod spec_ids;
mod strictdoc;
mod tracey;

pub use duvet::{DUVET, DuvetAnnotations};
pub use native::{NATIVE, NativeMarkers};
pub use oft::{OFT, OftTags};
pub use spec_ids::{SPEC_IDS, SpecIds, ids_in, requirement_numbers};
pub use strictdoc::{STRICTDOC, StrictDocRelations};
pub use tracey::{TRACEY, TraceyTags, version as tag_version};

/// A reference found in one line of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundReference {
    pub relation: Relation,
    pub target: String,
    /// Byte offset of the id in the line.
    pub offset: usize,
    /// True when the id is a spec format's own, without its feature (`FR-003`).
    pub local: bool,
    /// The tool whose syntax it is.
    pub tool: Tool,
    /// The artifact type the tag names (OpenFastTrace's `impl`, `utest`): when given, the
    /// relation is the tag's own, wherever it stands.
    pub artifact: Option<String>,
    /// True when the tag says it covers its whole file (StrictDoc's `scope=file`), wherever
    /// its comment stands.
    pub whole_file: bool,
}

/// A reference found in a block of comment text, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedReference {
    pub relation: Relation,
    pub target: String,
    pub position: Position,
    pub local: bool,
    /// For a local id, the feature its comment names (`specs/002-sync/`, `Feature: auth`).
    pub feature: Option<String>,
    pub tool: Tool,
    pub artifact: Option<String>,
    pub whole_file: bool,
}

/// A way of writing references in comments and prose.
pub trait MarkerSyntax: Sync {
    /// Returns the references written in `line`, a line of comment or prose text with the comment
    /// syntax still in place.
    fn scan_line(&self, line: &str) -> Vec<FoundReference>;

    /// The feature a line of a comment names for the local ids in the whole comment, if any.
    fn scope(&self, _line: &str) -> Option<String> {
        None
    }

    /// Tags in `line` written wrong (an unknown verb, an unclosed bracket): each with its byte
    /// offset and what is wrong, for a diagnostic.
    fn problems(&self, _line: &str) -> Vec<(usize, String)> {
        Vec::new()
    }

    /// References written across lines of a whole file, whatever its comments are (duvet's
    /// annotations: lines that start with `//=` and `//#`), and the problems found.
    fn scan_file(&self, _text: &str) -> FileScan {
        FileScan::default()
    }
}

/// Adds to `facts` the references `syntax` finds across the lines of `text`
/// ([`MarkerSyntax::scan_file`]) on the lines `keep` keeps (a code file's comments), each
/// attached where `anchor` says for its line, and the problems found as warnings.
pub fn add_file_references(
    syntax: &dyn MarkerSyntax,
    text: &str,
    facts: &mut FileFacts,
    keep: impl Fn(u32) -> bool,
    anchor: impl Fn(&FileFacts, u32) -> Anchor,
) {
    let scan = syntax.scan_file(text);
    for (position, message) in scan.problems {
        if keep(position.line) {
            facts.diagnostic(Severity::Warning, Some(position), message);
        }
    }
    for (position, found, quote) in scan.references {
        if !keep(position.line) {
            continue;
        }
        let anchor = anchor(facts, position.line);
        facts.references.push(Reference {
            target: found.target,
            marker: found.relation,
            relation: found.relation,
            anchor,
            position,
            local: found.local,
            feature: None,
            by_title: false,
            tool: found.tool,
            artifact: found.artifact,
            quote,
        });
    }
}

/// What [`MarkerSyntax::scan_file`] finds in a file.
#[derive(Debug, Default)]
pub struct FileScan {
    /// Each reference at its position, with the text it quotes.
    pub references: Vec<(Position, FoundReference, Option<String>)>,
    pub problems: Vec<(Position, String)>,
}

/// Every marker syntax kg reads, one line each; a syntax is one file beside this one.
pub static SYNTAXES: &[&dyn MarkerSyntax] =
    &[&NATIVE, &SPEC_IDS, &TRACEY, &OFT, &STRICTDOC, &DUVET];

/// All of [`SYNTAXES`] at once: what the parsers scan comments and prose with.
pub struct AllSyntaxes;

/// The syntaxes kg reads.
pub static ALL: AllSyntaxes = AllSyntaxes;

impl MarkerSyntax for AllSyntaxes {
    fn scan_line(&self, line: &str) -> Vec<FoundReference> {
        match SYNTAXES {
            [only] => only.scan_line(line),
            all => all.iter().flat_map(|s| s.scan_line(line)).collect(),
        }
    }

    fn scope(&self, line: &str) -> Option<String> {
        SYNTAXES.iter().find_map(|s| s.scope(line))
    }

    fn problems(&self, line: &str) -> Vec<(usize, String)> {
        SYNTAXES.iter().flat_map(|s| s.problems(line)).collect()
    }

    fn scan_file(&self, text: &str) -> FileScan {
        let mut all = FileScan::default();
        for syntax in SYNTAXES {
            let scan = syntax.scan_file(text);
            all.references.extend(scan.references);
            all.problems.extend(scan.problems);
        }
        all
    }
}

/// The problems [`MarkerSyntax::problems`] finds in a block of comment text that starts at
/// `start`, each at its position.
pub fn block_problems(
    syntax: &dyn MarkerSyntax,
    text: &str,
    start: Position,
) -> Vec<(Position, String)> {
    let mut out = Vec::new();
    for (n, line) in text.split('\n').enumerate() {
        let first_column = if n == 0 { start.column } else { 1 };
        for (offset, message) in syntax.problems(line.trim_end_matches('\r')) {
            let position = Position {
                line: start.line + n as u32,
                column: first_column + offset as u32,
            };
            out.push((position, message));
        }
    }
    out
}

/// Length of the id-shaped token at the start of `text`: `FEATURE`, `FEATURE/ITEM` or
/// `FEATURE/ITEM/PART` (Spec Kit's `001-x/US1/AC2`), made of letters, digits, `_`, `-` and `.`,
/// each part starting with a letter, digit or `_`.
pub fn id_len(text: &str) -> usize {
    id_len_parts(text, 3)
}

/// [`id_len`] with at most `parts` parts separated by `/`.
fn id_len_parts(text: &str, parts: usize) -> usize {
    let bytes = text.as_bytes();
    let is_start = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let is_part = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    if bytes.first().is_none_or(|b| !is_start(*b)) {
        return 0;
    }
    let mut i = 1;
    while i < bytes.len() && is_part(bytes[i]) {
        i += 1;
    }
    for _ in 1..parts {
        if !(i + 1 < bytes.len() && bytes[i] == b'/' && is_start(bytes[i + 1])) {
            break;
        }
        i += 2;
        while i < bytes.len() && is_part(bytes[i]) {
            i += 1;
        }
    }
    // A trailing `.` or `-` ends the sentence or the comment (`-->`), it is not part of the id.
    i - (text[..i].len() - trim_id(&text[..i]).len())
}

fn trim_id(id: &str) -> &str {
    id.trim_end_matches(['.', '-'])
}

/// Finds `FEATURE/ITEM`-shaped tokens in prose, as candidates for mentions. Tokens that are part
/// of a longer path (`a/b/c`, `/a/b`) or a URL are left out; whether a candidate names a real item
/// is decided once all specs are known.
pub fn mention_candidates(line: &str) -> Vec<(usize, String)> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let boundary =
            i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || b"_-./:".contains(&bytes[i - 1]));
        if boundary && bytes[i].is_ascii_alphabetic() {
            let len = id_len_parts(&line[i..], 2);
            let token = &line[i..i + len];
            let continues = line[i + len..].starts_with('/');
            if len > 0 && token.contains('/') && !continues {
                out.push((i, token.to_owned()));
            }
            i += len.max(1);
        } else {
            i += 1;
        }
    }
    out
}

/// Scans a block of comment text that starts at `start` and returns each reference with its
/// position (1-based line and byte column). A feature the block names anywhere (`scope`) is
/// kept with its local ids.
pub fn scan_block(syntax: &dyn MarkerSyntax, text: &str, start: Position) -> Vec<LocatedReference> {
    let mut out = Vec::new();
    let mut scope = None;
    for (n, line) in text.split('\n').enumerate() {
        let line = line.trim_end_matches('\r');
        let first_column = if n == 0 { start.column } else { 1 };
        let found = syntax.scan_line(line);
        if scope.is_none() {
            scope = syntax.scope(line);
        }
        for found in found {
            out.push(LocatedReference {
                relation: found.relation,
                target: found.target,
                position: Position {
                    line: start.line + n as u32,
                    column: first_column + found.offset as u32,
                },
                local: found.local,
                feature: None,
                tool: found.tool,
                artifact: found.artifact,
                whole_file: found.whole_file,
            });
        }
    }
    if let Some(feature) = scope {
        for reference in out.iter_mut().filter(|r| r.local) {
            reference.feature = Some(feature.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(line: &str) -> Vec<(Relation, String)> {
        NATIVE
            .scan_line(line)
            .into_iter()
            .map(|f| (f.relation, f.target))
            .collect()
    }

    // verifies: index/references
    #[test]
    fn reads_markers_in_every_comment_style() {
        let want = vec![
            (Relation::Implements, "a/AC-1".to_owned()),
            (Relation::Implements, "a/size-limit".to_owned()),
        ];
        for line in [
            "// implements: a/AC-1, a/size-limit",
            "/// implements: a/AC-1,a/size-limit",
            "   * implements: a/AC-1 ,a/size-limit */",
            "<!-- implements: a/AC-1, a/size-limit -->",
            "/* Implements: a/AC-1, a/size-limit. */",
            "implements: a/AC-1, a/size-limit",
        ] {
            assert_eq!(ids(line), want, "{line}");
        }
        assert_eq!(
            ids("//! verifies: b")[0],
            (Relation::Verifies, "b".to_owned())
        );
        assert_eq!(
            ids("// implements: 001-photo-albums/US1/AC2, a/b")[0],
            (Relation::Implements, "001-photo-albums/US1/AC2".to_owned())
        );
        assert_eq!(
            ids("<!--documents: x/NFR-security-1-->")[0],
            (Relation::Documents, "x/NFR-security-1".to_owned())
        );
    }

    #[test]
    fn ignores_markers_inside_prose_and_stops_at_prose() {
        assert!(ids("// this is what implements: a/AC-1 means").is_empty());
        assert!(ids("// `implements:` markers are read").is_empty());
        assert!(ids("// implementsx: a").is_empty());
        assert_eq!(ids("// implements: a/AC-1 and more").len(), 1);
        assert_eq!(
            ids("// implements: a/AC-1 (partly, see b/AC-2)"),
            vec![(Relation::Implements, "a/AC-1".to_owned())]
        );
    }

    #[test]
    fn reports_the_column_of_each_id() {
        let found = scan_block(
            &NATIVE,
            "x\n  // verifies: a/b, c/d",
            Position { line: 7, column: 5 },
        );
        let cols: Vec<_> = found
            .iter()
            .map(|r| (r.target.as_str(), r.position.line, r.position.column))
            .collect();
        assert_eq!(cols, vec![("a/b", 8, 16), ("c/d", 8, 21)]);
    }

    #[test]
    fn finds_mentions_but_not_paths_or_urls() {
        let found: Vec<_> = mention_candidates(
            "See imageUpload/size-limit. Not src/a/b.rs, /abs/x, or https://h/x/y; also `f/AC-2`",
        )
        .into_iter()
        .map(|(_, t)| t)
        .collect();
        assert_eq!(found, vec!["imageUpload/size-limit", "f/AC-2"]);
    }
}
