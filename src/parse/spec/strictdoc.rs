//! Reads StrictDoc documents (`.sdoc`): `[DOCUMENT]` with its `TITLE:`, then nodes, each a
//! `[REQUIREMENT]` (or any node type a document's grammar adds, `[FEATURE]`, `[DESIGN]`; a
//! composite `[[NAME]]` ... `[[/NAME]]` holds others) whose fields (`UID:`, `TITLE:`,
//! `STATEMENT:`, one line or `>>>` ... `<<<`) follow one per line, and `RELATIONS:` with
//! `- TYPE: Parent` / `VALUE: UID` entries. Sections (`[[SECTION]]` ... `[[/SECTION]]`, and the
//! older `[SECTION]` ... `[/SECTION]`) only group; `[TEXT]` nodes are prose, not items; the
//! `[GRAMMAR]` is left as it is. A node covers each of its parents (a reference of
//! `Relation::Covers`, its node type the artifact). Each node is an item whose id is its `UID` (a node without one
//! is named by its place, `REQUIREMENT-3`), its text the statement, its kind the node type; the
//! document is a feature named by its path (`docs.strictdoc_01_user_guide`), with
//! [`Tool::StrictDoc`] so that only StrictDoc's `@relation(UID)` markers name its items.

// implements: index/strictdoc

use std::collections::BTreeMap;

use super::markdown::{Reader, path_feature};
use crate::facts::{Anchor, FileFacts, Position, Reference, Relation, Tool};

/// A node being read.
struct Node {
    kind: String,
    line: u32,
    fields: BTreeMap<String, String>,
    /// Each parent's UID, with the line and column of its `VALUE`.
    parents: Vec<(String, u32, u32)>,
}

/// Whether `name` is a node or field name as StrictDoc's grammar writes them (`REQUIREMENT`,
/// `COMPOSITE_REQUIREMENT`, `TITLE`).
fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `[NAME]`, `[/NAME]`, `[[NAME]]` or `[[/NAME]]` alone on a line: the name, whether it closes,
/// whether it is composite.
fn marker(line: &str) -> Option<(&str, bool, bool)> {
    let (inner, composite) = match line.strip_prefix("[[") {
        Some(rest) => (rest.strip_suffix("]]")?, true),
        None => (line.strip_prefix('[')?.strip_suffix(']')?, false),
    };
    let (name, close) = match inner.strip_prefix('/') {
        Some(name) => (name, true),
        None => (inner, false),
    };
    is_name(name).then_some((name, close, composite))
}

/// `NAME: value` (or `NAME:` alone): the field's name and value.
fn field(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once(':')?;
    is_name(name).then_some((name, value.strip_prefix(' ').unwrap_or(value)))
}

/// Parses a StrictDoc document and adds its feature, items and diagnostics to `facts`.
pub fn parse(text: &str, facts: &mut FileFacts) {
    let mut references = Vec::new();
    let mut reader = Reader::new(&facts.path);
    reader.feature.name = path_feature(&facts.path);
    reader.feature.tool = Tool::StrictDoc;
    let lines: Vec<&str> = text.lines().collect();
    let mut node: Option<Node> = None;
    // Open sections and composite nodes, by name, with their lines.
    let mut open: Vec<(String, u32)> = Vec::new();
    let mut in_grammar = false;
    let mut in_relations = false;
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    let mut seen_document = false;
    let mut n = 0;
    while n < lines.len() {
        let line = lines[n].trim_end();
        let number = n as u32 + 1;
        n += 1;
        if let Some((name, close, composite)) = marker(line) {
            close_node(&mut reader, &mut node, &mut counts, &mut references);
            in_grammar = false;
            in_relations = false;
            match (name, close) {
                ("DOCUMENT", false) => seen_document = true,
                ("GRAMMAR", false) => in_grammar = true,
                (_, true) => match open.pop() {
                    Some((opened, _)) if opened == name => {}
                    Some((opened, at)) => {
                        reader.warn(
                            number,
                            format!("`{line}` closes `{opened}` (opened at line {at}); StrictDoc reads no further than this"),
                        );
                        open.push((opened, at));
                    }
                    None => reader.warn(number, format!("`{line}` closes nothing that is open")),
                },
                ("SECTION", false) => open.push((name.to_owned(), number)),
                ("TEXT" | "DOCUMENT_FROM_FILE", false) => {}
                (_, false) => {
                    if composite {
                        open.push((name.to_owned(), number));
                    }
                    node = Some(Node {
                        kind: name.to_owned(),
                        line: number,
                        fields: BTreeMap::new(),
                        parents: Vec::new(),
                    });
                }
            }
            if !seen_document {
                reader.warn(number, "a StrictDoc document starts with `[DOCUMENT]`");
                seen_document = true;
            }
            continue;
        }
        if in_grammar || line.trim().is_empty() {
            if line.trim().is_empty() && !in_grammar {
                close_node(&mut reader, &mut node, &mut counts, &mut references);
                in_relations = false;
            }
            continue;
        }
        let Some(current) = node.as_mut() else {
            // The document's own fields, a section's title, a text node's lines.
            if let Some((_, value)) = field(line)
                && value == ">>>"
            {
                n = skip_block(&lines, n);
            }
            continue;
        };
        if in_relations {
            let entry = line.trim_start().trim_start_matches("- ");
            if let Some(("VALUE", value)) = field(entry)
                && current.fields.get("__type").is_some_and(|t| t == "Parent")
            {
                let column = line.len() - value.len() + 1;
                current
                    .parents
                    .push((value.trim().to_owned(), number, column as u32));
                continue;
            }
            if let Some(("TYPE", value)) = field(entry) {
                current
                    .fields
                    .insert("__type".to_owned(), value.trim().to_owned());
                continue;
            }
            if field(entry).is_some() {
                continue;
            }
            in_relations = false;
        }
        match field(line) {
            Some(("RELATIONS", "")) => in_relations = true,
            Some((name, ">>>")) => {
                let end = skip_block(&lines, n);
                if end > lines.len() {
                    reader.warn(
                        number,
                        format!("`{name}: >>>` is not closed by a `<<<` line; the node's text runs to the end of the file"),
                    );
                }
                let body = lines[n..end.min(lines.len())].join("\n");
                current.fields.insert(name.to_owned(), body);
                n = end.min(lines.len()) + 1;
            }
            Some((name, value)) => {
                current
                    .fields
                    .insert(name.to_owned(), value.trim().to_owned());
            }
            None => {
                reader.warn(
                    number,
                    format!("`{}` is no field of the {} node (`NAME: value`, or `NAME: >>>` ... `<<<`); the line was not read", line.trim(), current.kind),
                );
            }
        }
    }
    close_node(&mut reader, &mut node, &mut counts, &mut references);
    facts.references.extend(references);
    for (name, at) in open {
        reader.warn(at, format!("`[[{name}]]` is never closed"));
    }
    reader.finish(
        facts,
        "a StrictDoc document with no requirements (`[REQUIREMENT]` nodes)",
    );
}

/// The index of the `<<<` line that closes a `>>>` block whose text starts at `from`, or past the
/// end when none does.
fn skip_block(lines: &[&str], from: usize) -> usize {
    lines[from..]
        .iter()
        .position(|l| l.trim_end() == "<<<")
        .map_or(lines.len() + 1, |i| from + i)
}

/// Adds the node read as an item, and a reference for each of its parents: a child covers its
/// parent, with its node type as the artifact.
fn close_node(
    reader: &mut Reader,
    node: &mut Option<Node>,
    counts: &mut BTreeMap<String, u32>,
    references: &mut Vec<Reference>,
) {
    let Some(mut node) = node.take() else {
        return;
    };
    let count = counts.entry(node.kind.clone()).or_default();
    *count += 1;
    node.fields.remove("__type");
    let text = ["STATEMENT", "TITLE", "DESCRIPTION", "CONTENT"]
        .iter()
        .find_map(|f| node.fields.get(*f))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let kind = node.kind.to_ascii_lowercase();
    let added = match node.fields.get("UID").filter(|u| !u.is_empty()) {
        Some(uid) => reader.add(uid.clone(), &kind, text, node.line),
        None => {
            reader.add_positional(format!("{}-{count}", node.kind), &kind, text, node.line);
            true
        }
    };
    if !added {
        return;
    }
    if let Some(item) = reader.feature.items.last_mut() {
        for (key, value) in node.fields {
            if !matches!(key.as_str(), "UID" | "STATEMENT") && !value.is_empty() {
                item.extra.insert(key.to_ascii_lowercase(), value);
            }
        }
        if !node.parents.is_empty() {
            let parents: Vec<&str> = node.parents.iter().map(|p| p.0.as_str()).collect();
            item.extra.insert("parents".to_owned(), parents.join(","));
        }
    }
    for (parent, line, column) in node.parents {
        references.push(Reference {
            target: parent,
            marker: Relation::Covers,
            relation: Relation::Covers,
            anchor: Anchor::File,
            position: Position { line, column },
            local: true,
            feature: None,
            by_title: false,
            tool: Tool::StrictDoc,
            artifact: Some(kind.clone()),
            quote: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::markdown::{diagnostic_lines, item_lines, read_as};
    use super::*;

    const DOCUMENT: &str = "[DOCUMENT]
TITLE: StrictDoc Requirements

[GRAMMAR]
ELEMENTS:
- TAG: REQUIREMENT
  FIELDS:
  - TITLE: UID
    TYPE: String
    REQUIRED: False

[[SECTION]]
TITLE: Import

[REQUIREMENT]
UID: SDOC-SRS-26
STATUS: Active
TITLE: Import from ReqIF
STATEMENT: >>>
StrictDoc shall import requirements
from ReqIF.
<<<
RELATIONS:
- TYPE: Parent
  VALUE: SDOC-UR-1
- TYPE: File
  VALUE: strictdoc/reqif.py

[TEXT]
STATEMENT: Prose between requirements.

[REQUIREMENT]
TITLE: A requirement without a UID
STATEMENT: It is named by its place.

[[/SECTION]]

[[FEATURE]]
UID: FEAT-1
TITLE: Export
this line is not a field

[REQUIREMENT]
UID: SDOC-SRS-27
STATEMENT: >>>
Never closed.
";

    // verifies: index/strictdoc, index/bad-input
    #[test]
    fn reads_requirement_nodes_with_their_fields_and_reports_broken_grammar() {
        let facts = read_as(parse, "docs/strictdoc_01.sdoc", DOCUMENT);
        assert_eq!(facts.features[0].name, "docs.strictdoc_01");
        assert_eq!(facts.features[0].tool, Tool::StrictDoc);
        assert_eq!(
            item_lines(&facts),
            vec![
                "15:SDOC-SRS-26 requirement | StrictDoc shall import requirements from ReqIF.",
                "32:REQUIREMENT-2 requirement | It is named by its place.",
                "38:FEAT-1 feature | Export",
                "43:SDOC-SRS-27 requirement | Never closed.",
            ]
        );
        let item = &facts.features[0].items[0];
        assert_eq!(item.extra["parents"], "SDOC-UR-1");
        let parent = &facts.references[0];
        assert_eq!(
            (
                parent.target.as_str(),
                parent.position.line,
                parent.position.column
            ),
            ("SDOC-UR-1", 25, 10)
        );
        assert_eq!(item.extra["title"], "Import from ReqIF");
        assert_eq!(item.extra["status"], "Active");
        assert_eq!(
            diagnostic_lines(&facts),
            vec![
                "41: `this line is not a field` is no field of the FEATURE node (`NAME: value`, or `NAME: >>>` ... `<<<`); the line was not read",
                "45: `STATEMENT: >>>` is not closed by a `<<<` line; the node's text runs to the end of the file",
                "38: `[[FEATURE]]` is never closed",
            ]
        );
    }
}
