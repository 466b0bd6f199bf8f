//! Where a comment's references attach: to the definition the comment block directly precedes
//! (from any of its lines, across doc comments, line comments, attributes and decorators, not
//! across a blank line), else to the innermost definition holding it, else to the file.

use super::*;

/// Finds the markers in a comment and attaches each reference: to the definition the comment
/// directly precedes (other comments, attributes and decorators may stand between, blank lines may
/// not), else to the innermost definition holding the comment, else to the file.
pub(super) fn attach_comment(
    comment: Node,
    source: &[u8],
    language: Language,
    syntax: &dyn MarkerSyntax,
    facts: &mut FileFacts,
) {
    let text = node_text(comment, source);
    let start = Position {
        line: comment.start_position().row as u32 + 1,
        column: comment.start_position().column as u32 + 1,
    };
    for (position, message) in refs::block_problems(syntax, text, start) {
        facts.diagnostic(Severity::Warning, Some(position), message);
    }
    let mut found = refs::scan_block(syntax, text, start);
    if found.is_empty() {
        return;
    }
    // Consecutive line comments are one comment to their reader: a feature named on another
    // line of the run (`// Feature: export-csv` above `// Validates: Requirements 1.2`) holds
    // for the local ids of this one.
    if found.iter().any(|f| f.local && f.feature.is_none())
        && let Some(feature) = run_scope(comment, source, syntax)
    {
        for f in found.iter_mut().filter(|f| f.local && f.feature.is_none()) {
            f.feature = Some(feature.clone());
        }
    }
    let anchor = comment_anchor(comment, source, language, &facts.definitions);
    for found in found {
        // A tag that says it covers its file does, wherever its comment stands.
        let anchor = if found.whole_file {
            Anchor::File
        } else {
            anchor
        };
        let in_test = match anchor {
            Anchor::Definition(i) => facts.definitions[i].is_test,
            _ => facts.is_test_file,
        };
        let relation = match found.relation {
            Relation::Implements if in_test && found.artifact.is_none() => Relation::Verifies,
            other => other,
        };
        facts.references.push(Reference {
            target: found.target,
            marker: found.relation,
            relation,
            anchor,
            position: found.position,
            local: found.local,
            feature: found.feature,
            tool: found.tool,
            by_title: false,
            artifact: found.artifact,
            quote: None,
        });
    }
}

/// The feature that the comments directly above and below `comment` name (the nearest above
/// first), with no blank line or code between.
fn run_scope(comment: Node, source: &[u8], syntax: &dyn MarkerSyntax) -> Option<String> {
    let is_comment = |n: &Node| matches!(n.kind(), "line_comment" | "block_comment" | "comment");
    let scope_of = |n: Node| {
        node_text(n, source)
            .lines()
            .find_map(|line| syntax.scope(line))
    };
    let (mut top, mut node) = (comment.start_position().row, comment.prev_sibling());
    while let Some(n) = node.filter(|n| is_comment(n) && last_row(*n) + 1 == top) {
        if let Some(feature) = scope_of(n) {
            return Some(feature);
        }
        top = n.start_position().row;
        node = n.prev_sibling();
    }
    let (mut bottom, mut node) = (last_row(comment), comment.next_sibling());
    while let Some(n) = node.filter(|n| is_comment(n) && n.start_position().row == bottom + 1) {
        if let Some(feature) = scope_of(n) {
            return Some(feature);
        }
        bottom = last_row(n);
        node = n.next_sibling();
    }
    None
}

/// Where a comment's references attach: the definition it precedes, else the innermost one
/// holding it, else the file. A Rust inner doc comment (`//!`) is its module's.
pub(super) fn comment_anchor(
    comment: Node,
    source: &[u8],
    language: Language,
    definitions: &[Definition],
) -> Anchor {
    let text = node_text(comment, source);
    let inner_doc =
        language == Language::Rust && (text.starts_with("//!") || text.starts_with("/*!"));
    if inner_doc {
        None
    } else {
        following_definition(comment, source, definitions)
    }
    .or_else(|| innermost(definitions, comment.start_byte(), comment.end_byte()))
    .map_or(Anchor::File, Anchor::Definition)
}

pub(super) fn following_definition(
    comment: Node,
    source: &[u8],
    definitions: &[Definition],
) -> Option<usize> {
    // A comment at the end of a line of code belongs to that code, not to what follows.
    if trails_code(comment, source) {
        return comment
            .prev_sibling()
            .and_then(|previous| outermost_within(previous, definitions));
    }
    let mut previous_end = last_row(comment);
    let mut sibling = comment.next_sibling();
    while let Some(node) = sibling {
        if node.start_position().row > previous_end + 1 {
            return None;
        }
        match node.kind() {
            "line_comment" | "block_comment" | "comment" | "attribute_item" | "decorator" => {
                previous_end = last_row(node);
                sibling = node.next_sibling();
            }
            _ if !node.is_named() => sibling = node.next_sibling(),
            _ => return outermost_within(node, definitions),
        }
    }
    None
}

/// Whether code stands before `comment` on the line where it starts.
pub(super) fn trails_code(comment: Node, source: &[u8]) -> bool {
    let start = comment.start_byte();
    let line_start = source[..start]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    source[line_start..start]
        .iter()
        .any(|b| !b.is_ascii_whitespace())
}

/// The last row that holds any of `node`: a Rust line comment ends with its newline, at column 0
/// of the next row, which is not a row of the comment.
pub(super) fn last_row(node: Node) -> usize {
    let end = node.end_position();
    if end.column == 0 && end.row > node.start_position().row {
        end.row - 1
    } else {
        end.row
    }
}

/// The outermost definition inside `node` (an `export` statement wraps its declaration; an
/// expression statement wraps an `it(...)` call).
pub(super) fn outermost_within(node: Node, definitions: &[Definition]) -> Option<usize> {
    definitions
        .iter()
        .enumerate()
        .filter(|(_, d)| node.start_byte() <= d.start_byte && d.end_byte <= node.end_byte())
        .min_by_key(|(_, d)| d.start_byte)
        .map(|(i, _)| i)
}
