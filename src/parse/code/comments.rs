//! Where a comment's references attach: to the definition the comment block directly precedes
//! (from any of its lines, across doc comments, line comments, attributes and decorators, not
//! across a blank line), else to the innermost definition holding it, else to the file.

use super::*;

/// Finds the markers in a comment and attaches each reference: to the definition the comment
/// directly precedes (other comments, attributes and decorators may stand between, blank lines may
/// not), else to the innermost definition holding the comment, else to the file.
pub(super) fn attach_comment(
    comment: Node,
    siblings: &Siblings,
    anchor: Anchor,
    source: &[u8],
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
        && let Some(feature) = siblings
            .around(comment)
            .and_then(|(children, at)| run_scope(children, at, source, syntax))
    {
        for f in found.iter_mut().filter(|f| f.local && f.feature.is_none()) {
            f.feature = Some(feature.clone());
        }
    }
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

/// The feature that the comments directly above and below `siblings[at]` name (the nearest
/// above first), with no blank line or code between.
fn run_scope(
    siblings: &[Node],
    at: usize,
    source: &[u8],
    syntax: &dyn MarkerSyntax,
) -> Option<String> {
    let is_comment = |n: &Node| matches!(n.kind(), "line_comment" | "block_comment" | "comment");
    let scope_of = |n: &Node| {
        node_text(*n, source)
            .lines()
            .find_map(|line| syntax.scope(line))
    };
    let mut top = siblings[at].start_position().row;
    for n in siblings[..at].iter().rev() {
        if !is_comment(n) || last_row(*n) + 1 != top {
            break;
        }
        if let Some(feature) = scope_of(n) {
            return Some(feature);
        }
        top = n.start_position().row;
    }
    let mut bottom = last_row(siblings[at]);
    for n in &siblings[at + 1..] {
        if !is_comment(n) || n.start_position().row != bottom + 1 {
            break;
        }
        if let Some(feature) = scope_of(n) {
            return Some(feature);
        }
        bottom = last_row(*n);
    }
    None
}

/// Every comment's siblings, read once per parent: tree-sitter finds a node's parent or sibling
/// by walking children from the root, so asking it per comment cost the square of a long run.
pub(super) struct Siblings<'t> {
    lists: Vec<Vec<Node<'t>>>,
    /// A comment's node id: which list, at which place.
    places: HashMap<usize, (usize, usize)>,
}

impl<'t> Siblings<'t> {
    pub(super) fn of(comments: &[Node<'t>]) -> Self {
        let mut siblings = Siblings {
            lists: Vec::new(),
            places: HashMap::with_capacity(comments.len()),
        };
        let mut last: Option<(usize, usize)> = None;
        for comment in comments {
            // The next comment of a run is its predecessor's next sibling: no parent to find.
            let next = last.filter(|&(list, at)| {
                siblings.lists[list]
                    .get(at + 1)
                    .is_some_and(|n| n.id() == comment.id())
            });
            let place = match next {
                Some((list, at)) => Some((list, at + 1)),
                None => comment.parent().and_then(|parent| {
                    let mut cursor = parent.walk();
                    let children: Vec<Node> = parent.children(&mut cursor).collect();
                    let at = children.iter().position(|n| n.id() == comment.id())?;
                    siblings.lists.push(children);
                    Some((siblings.lists.len() - 1, at))
                }),
            };
            if let Some(place) = place {
                siblings.places.insert(comment.id(), place);
            }
            last = place;
        }
        siblings
    }

    /// The comment's siblings and its place among them.
    fn around(&self, comment: Node) -> Option<(&[Node<'t>], usize)> {
        let &(list, at) = self.places.get(&comment.id())?;
        Some((&self.lists[list], at))
    }
}

// implements: index/bounded
/// Where each comment's references attach (by node id): the definition it precedes, else the
/// innermost one holding it, else the file. A Rust inner doc comment (`//!`) is its module's.
/// Linear in the comments: siblings are read once per parent ([`Siblings`]), and a run of
/// comments shares one walk to what follows it. 5,000 doc comment lines above one function took
/// minutes.
pub(super) fn comment_anchors(
    comments: &[Node],
    siblings: &Siblings,
    source: &[u8],
    language: Language,
    nesting: &Nesting,
) -> HashMap<usize, Anchor> {
    let mut following: HashMap<usize, Option<usize>> = HashMap::new();
    let mut anchors = HashMap::with_capacity(comments.len());
    let spans: Vec<(usize, usize)> = comments
        .iter()
        .map(|c| (c.start_byte(), c.end_byte()))
        .collect();
    let holders = nesting.innermost_each(&spans);
    for (comment, holder) in comments.iter().zip(holders) {
        let text = node_text(*comment, source);
        let inner_doc =
            language == Language::Rust && (text.starts_with("//!") || text.starts_with("/*!"));
        let before = if inner_doc {
            None
        } else {
            siblings.around(*comment).and_then(|(children, at)| {
                following_definition(children, at, source, nesting, &mut following)
            })
        };
        let anchor = before.or(holder).map_or(Anchor::File, Anchor::Definition);
        anchors.insert(comment.id(), anchor);
    }
    anchors
}

/// The definition that `siblings[at]`, a comment, directly precedes, across other comments,
/// attributes and decorators but no blank line. `memo` keeps the answer of every comment a walk
/// passes, which is the same.
fn following_definition(
    siblings: &[Node],
    at: usize,
    source: &[u8],
    nesting: &Nesting,
    memo: &mut HashMap<usize, Option<usize>>,
) -> Option<usize> {
    let comment = siblings[at];
    // A comment at the end of a line of code belongs to that code, not to what follows.
    if trails_code(comment, source) {
        return at
            .checked_sub(1)
            .and_then(|previous| outermost_within(siblings[previous], nesting));
    }
    if let Some(known) = memo.get(&comment.id()) {
        return *known;
    }
    let mut passed = vec![comment.id()];
    let mut previous_end = last_row(comment);
    let mut found = None;
    for node in &siblings[at + 1..] {
        if node.start_position().row > previous_end + 1 {
            break;
        }
        match node.kind() {
            "line_comment" | "block_comment" | "comment" | "attribute_item" | "decorator" => {
                if let Some(known) = memo.get(&node.id()) {
                    found = *known;
                    break;
                }
                if !trails_code(*node, source) {
                    passed.push(node.id());
                }
                previous_end = last_row(*node);
            }
            _ if !node.is_named() => {}
            _ => {
                found = outermost_within(*node, nesting);
                break;
            }
        }
    }
    for id in passed {
        memo.insert(id, found);
    }
    found
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
pub(super) fn outermost_within(node: Node, nesting: &Nesting) -> Option<usize> {
    nesting.first_within(node.start_byte(), node.end_byte())
}
