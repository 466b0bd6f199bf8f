//! kg's own markers: `implements:`, `verifies:`, `documents:` at the start of a comment line.

use super::*;

/// kg's own markers: `implements:`, `verifies:`, `documents:` at the start of a comment line,
/// followed by ids separated by commas or spaces. Matching ignores case, so commit-trailer style
/// `Implements:` works too. Reading stops at the first word that is not an id.
pub struct NativeMarkers;

/// The syntax kg uses unless told otherwise.
pub static NATIVE: NativeMarkers = NativeMarkers;

impl MarkerSyntax for NativeMarkers {
    fn scan_line(&self, line: &str) -> Vec<FoundReference> {
        let start = comment_body_start(line);
        let body = &line[start..];
        let Some((relation, after)) = MARKERS.iter().find_map(|(name, relation)| {
            let head = body.get(..name.len())?;
            (head.eq_ignore_ascii_case(name) && body[name.len()..].starts_with(':'))
                .then_some((*relation, start + name.len() + 1))
        }) else {
            return Vec::new();
        };
        let mut found = Vec::new();
        let mut rest = after;
        loop {
            rest += leading_blanks(&line[rest..]);
            let len = id_len(&line[rest..]);
            // An id must end at a separator or the end of the comment, not run into other text.
            let tail = &line[rest + len..];
            let ends_cleanly = tail.is_empty()
                || tail.starts_with([' ', '\t', ',', '.', ';', ')', '*'])
                || tail.starts_with("-->");
            if len == 0 || !ends_cleanly {
                break;
            }
            found.push(FoundReference {
                relation,
                target: line[rest..rest + len].to_owned(),
                offset: rest,
                local: false,
                tool: Tool::Kg,
                artifact: None,
                whole_file: false,
            });
            rest += len;
            rest += leading_blanks(&line[rest..]);
            // Ids are separated by commas; anything else after an id is prose.
            if !line[rest..].starts_with(',') {
                break;
            }
            rest += 1;
        }
        found
    }
}

pub(super) const MARKERS: [(&str, Relation); 3] = [
    ("implements", Relation::Implements),
    ("verifies", Relation::Verifies),
    ("documents", Relation::Documents),
];

/// Skips leading white space and comment syntax: `//`, `///`, `//!`, `/*`, `/**`, `*`, `<!--`.
pub(super) fn comment_body_start(line: &str) -> usize {
    let mut i = 0;
    let bytes = line.as_bytes();
    loop {
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
        let rest = &line[i..];
        let skip = ["<!--", "///", "//!", "//", "/**", "/*!", "/*", "*"]
            .iter()
            .find(|p| rest.starts_with(**p))
            .map_or(0, |p| p.len());
        if skip == 0 {
            return i;
        }
        i += skip;
    }
}

pub(super) fn leading_blanks(text: &str) -> usize {
    text.len() - text.trim_start_matches([' ', '\t']).len()
}
