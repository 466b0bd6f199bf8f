//! StrictDoc's markers in source files: `@relation(SDOC-SRS-26, scope=function)` says the code
//! around it serves the node `SDOC-SRS-26` of a `.sdoc` document; several UIDs may stand in one
//! marker (`@relation(REQ-1, REQ-2, scope=file)`), the braces may be curly (`@relation{REQ-1}`), and a
//! `role=` names the relation's role. `scope=file` covers the whole file wherever the marker
//! stands; `class`, `function` and `line` attach as every tag does (to the definition the
//! comment precedes, else the file); a range covers from its `range_start` marker, and its
//! `range_end` names nothing more. The UIDs are local: they name StrictDoc's nodes only. In a
//! test, a marker verifies.

// implements: index/strictdoc

use super::*;

/// StrictDoc's `@relation` markers.
pub struct StrictDocRelations;

pub static STRICTDOC: StrictDocRelations = StrictDocRelations;

const MARKER: &str = "@relation";

/// The scopes StrictDoc knows.
const SCOPES: &[&str] = &[
    "file",
    "class",
    "function",
    "line",
    "range_start",
    "range_end",
];

/// A marker read from a line: the UIDs with their offsets, and the scope.
struct Marker<'a> {
    uids: Vec<(usize, &'a str)>,
    scope: Option<&'a str>,
}

/// Whether `uid` is shaped as StrictDoc's grammar allows: a letter, then letters, digits and
/// `_/.-`.
fn is_uid(uid: &str) -> bool {
    let mut chars = uid.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && uid.len() > 1
        && chars.all(|c| c.is_ascii_alphanumeric() || "_/.-".contains(c))
}

/// Reads the marker whose `@relation` starts at `at`: the marker, or what is wrong with it.
fn marker_at(line: &str, at: usize) -> Result<Marker<'_>, String> {
    let open = at + MARKER.len();
    let close = match line[open..].chars().next() {
        Some('(') => ')',
        Some('{') => '}',
        _ => return Err(String::new()),
    };
    let Some(length) = line[open + 1..].find(close) else {
        return Err(format!(
            "`{}` is not closed on its line; it names nothing",
            line[at..].trim_end()
        ));
    };
    let inner_start = open + 1;
    let inner = &line[inner_start..inner_start + length];
    let mut marker = Marker {
        uids: Vec::new(),
        scope: None,
    };
    let mut offset = inner_start;
    for part in inner.split(',') {
        let start = offset + part.len() - part.trim_start().len();
        offset += part.len() + 1;
        let part = part.trim();
        if let Some(scope) = part.strip_prefix("scope=") {
            if !SCOPES.contains(&scope) {
                return Err(format!(
                    "`@relation` scope `{scope}` is not one StrictDoc knows ({}); the marker names nothing",
                    SCOPES.join(", ")
                ));
            }
            marker.scope = Some(scope);
        } else if part.starts_with("role=") {
        } else if is_uid(part) {
            marker.uids.push((start, part));
        } else {
            return Err(format!(
                "`{part}` in `{}` is no StrictDoc UID; the marker names nothing",
                &line[at..=inner_start + length]
            ));
        }
    }
    if marker.uids.is_empty() {
        return Err(format!(
            "`{}` names no UID",
            &line[at..=inner_start + length]
        ));
    }
    Ok(marker)
}

impl MarkerSyntax for StrictDocRelations {
    fn scan_line(&self, line: &str) -> Vec<FoundReference> {
        let mut found = Vec::new();
        for (at, _) in line.match_indices(MARKER) {
            let Ok(marker) = marker_at(line, at) else {
                continue;
            };
            // A range's end closes what its start opened.
            if marker.scope == Some("range_end") {
                continue;
            }
            for (offset, uid) in marker.uids {
                found.push(FoundReference {
                    relation: Relation::Implements,
                    target: uid.to_owned(),
                    offset,
                    local: true,
                    tool: Tool::StrictDoc,
                    artifact: None,
                    whole_file: marker.scope == Some("file"),
                });
            }
        }
        found
    }

    fn problems(&self, line: &str) -> Vec<(usize, String)> {
        line.match_indices(MARKER)
            .filter_map(|(at, _)| match marker_at(line, at) {
                Err(message) if !message.is_empty() => Some((at, message)),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn markers(line: &str) -> Vec<String> {
        STRICTDOC
            .scan_line(line)
            .iter()
            .map(|r| format!("{} {} file={}", r.offset, r.target, r.whole_file))
            .collect()
    }

    // verifies: index/strictdoc
    #[test]
    fn reads_relation_markers_with_their_scopes() {
        assert_eq!(
            markers("@relation(SDOC-SRS-72, SDOC-SRS-153, scope=file)"),
            vec!["10 SDOC-SRS-72 file=true", "23 SDOC-SRS-153 file=true"]
        );
        assert_eq!(
            markers("# @relation{REQ-1, scope=function, role=Implementation}"),
            vec!["12 REQ-1 file=false"]
        );
        // A range's end names nothing more; its start does.
        assert_eq!(
            markers("// @relation(REQ-2, scope=range_start)"),
            vec!["13 REQ-2 file=false"]
        );
        assert!(markers("// @relation(REQ-2, scope=range_end)").is_empty());
        // Without a scope (Rust doc comments, where StrictDoc infers it).
        assert_eq!(markers("/// @relation(REQ-3)"), vec!["14 REQ-3 file=false"]);
        assert!(markers("an email@relation.org").is_empty());
    }

    // verifies: index/bad-input
    #[test]
    fn a_marker_written_wrong_is_a_problem() {
        assert_eq!(
            STRICTDOC.problems("// @relation(REQ-1, scope=everything) @relation(REQ-2"),
            vec![
                (
                    3,
                    "`@relation` scope `everything` is not one StrictDoc knows (file, class, function, line, range_start, range_end); the marker names nothing".to_owned()
                ),
                (
                    38,
                    "`@relation(REQ-2` is not closed on its line; it names nothing".to_owned()
                ),
            ]
        );
        assert!(STRICTDOC.problems("email@relation.org").is_empty());
    }
}
