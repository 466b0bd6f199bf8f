//! Reads feature specs in the seed YAML format: features, acceptance criteria, NFRs, dependencies.
//!
//! serde_yaml gives the values and the error locations; a second, event-level pass with yaml-rust2
//! gives the line of every node, which serde_yaml does not expose. A malformed document is a
//! diagnostic; the documents before it are still read.

// implements: index/specs

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_yaml::{Mapping, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::facts::{Dependency, Feature, FileFacts, ItemKind, Position, Severity, SpecItem, Tool};

/// Parses `text` as a spec file and adds its features and diagnostics to `facts`.
pub fn parse_spec(text: &str, facts: &mut FileFacts) {
    // Deep nesting costs the YAML readers time that grows faster than the file: refuse it
    // before they start.
    // Block collections (`- - - x`, indented mappings) are counted by the event pass, which
    // keeps its open collections in a list, before serde_yaml builds (and drops) values by
    // recursion.
    let layout = match too_deep(text) {
        Some(line) => Err(line),
        None => Layout::read(text),
    };
    let layout = match layout {
        Ok(layout) => layout,
        Err(line) => {
            facts.diagnostic(
                Severity::Error,
                Some(Position { line, column: 1 }),
                format!("YAML nested deeper than {MAX_DEPTH} levels here; the file was not read"),
            );
            return;
        }
    };
    for (index, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let node = layout.documents.get(index);
        let value = match Value::deserialize(document) {
            Ok(value) => value,
            Err(err) => {
                let position = err.location().map(|l| Position {
                    line: l.line() as u32,
                    column: l.column() as u32,
                });
                let message = format!("malformed YAML: {}", strip_location(&err.to_string()));
                facts.diagnostic(Severity::Error, position, message);
                // libyaml cannot resynchronise after a syntax error: the rest of the stream is lost.
                break;
            }
        };
        read_document(&value, node, facts);
    }
}

/// The deepest nesting of collections a spec may have: serde_yaml's own limit.
const MAX_DEPTH: usize = 128;

// implements: index/bad-input
/// The line where `text`'s flow collections (`[ ... ]`, `{ ... }`, outside quoted scalars and
/// comments) first nest deeper than [`MAX_DEPTH`], if they do: one pass, linear in the text.
fn too_deep(text: &str) -> Option<u32> {
    let mut depth = 0usize;
    let mut line = 1u32;
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut previous = '\n';
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            line += 1;
            comment = false;
            previous = c;
            continue;
        }
        if comment {
            continue;
        }
        match quote {
            Some('"') if c == '\\' => {
                if chars.next() == Some('\n') {
                    line += 1;
                }
            }
            Some(q) if c == q => {
                // `''` inside a single-quoted scalar is a quote, not its end.
                if q == '\'' && chars.peek() == Some(&'\'') {
                    chars.next();
                } else {
                    quote = None;
                }
            }
            Some(_) => {}
            None => match c {
                '#' if previous.is_whitespace() => comment = true,
                '"' | '\'' if previous.is_whitespace() || "[{,:".contains(previous) => {
                    quote = Some(c);
                }
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Some(line);
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        previous = c;
    }
    None
}

/// serde_yaml appends " at line L column C" to its messages; kg prints positions itself.
fn strip_location(message: &str) -> &str {
    message.find(" at line ").map_or(message, |i| &message[..i])
}

fn read_document(value: &Value, node: Option<&Node>, facts: &mut FileFacts) {
    let line = node.map_or(1, Node::line);
    match value {
        Value::Null => {}
        Value::Mapping(map) if map.contains_key("features") => {
            let Some(list) = map.get("features").and_then(Value::as_sequence) else {
                let at = child(node, "features").map_or(line, |e| e.key_line);
                facts.diagnostic(
                    Severity::Error,
                    Some(Position {
                        line: at,
                        column: 1,
                    }),
                    "`features` must be a list of features".to_owned(),
                );
                return;
            };
            let list_node = value_of(child(node, "features"));
            for (i, item) in list.iter().enumerate() {
                let item_node = element(list_node, i);
                match item {
                    Value::Mapping(map) => read_feature(map, item_node, facts),
                    _ => facts.diagnostic(
                        Severity::Error,
                        Some(at_line(item_node.map_or(line, Node::line))),
                        "each entry of `features` must be a mapping with a `feature` key"
                            .to_owned(),
                    ),
                }
            }
        }
        Value::Mapping(map) => read_feature(map, node, facts),
        _ => facts.diagnostic(
            Severity::Error,
            Some(at_line(line)),
            "a spec document must be a mapping with a `feature` key".to_owned(),
        ),
    }
}

fn at_line(line: u32) -> Position {
    Position { line, column: 1 }
}

fn read_feature(map: &Mapping, node: Option<&Node>, facts: &mut FileFacts) {
    let line = child(node, "feature")
        .map(|n| n.key_line)
        .unwrap_or_else(|| node.map_or(1, Node::line));
    let Some(name) = map.get("feature").and_then(scalar_string) else {
        let message = if map.contains_key("feature") {
            "`feature` must be a name such as `imageUpload`"
        } else {
            "spec has no `feature` key: add `feature: <name>` (or list features under `features:`)"
        };
        facts.diagnostic(Severity::Error, Some(at_line(line)), message.to_owned());
        return;
    };
    if !is_valid_name(&name) {
        let message = format!(
            "feature name `{name}` must be letters, digits, `_`, `-` or `.`, starting with a letter, digit or `_`"
        );
        facts.diagnostic(Severity::Error, Some(at_line(line)), message);
        return;
    }
    let mut feature = Feature {
        name,
        line,
        spec_version: map.get("specVersion").and_then(scalar_string),
        owner: map.get("owner").and_then(scalar_string),
        description: map.get("description").and_then(scalar_string),
        items: Vec::new(),
        dependencies: Vec::new(),
        extra: BTreeMap::new(),
        tool: Tool::Kg,
    };
    for (key, value) in map {
        let key_text = scalar_string(key).unwrap_or_else(|| render(key));
        let key_node = child(node, &key_text);
        let key_line = key_node.map_or(line, |n| n.key_line);
        match key_text.as_str() {
            "feature" | "specVersion" | "owner" | "description" => {
                if !value.is_null() && scalar_string(value).is_none() {
                    let message =
                        format!("`{key_text}` must be a single value, not a list or mapping");
                    facts.diagnostic(Severity::Warning, Some(at_line(key_line)), message);
                }
            }
            "acceptance" => match value {
                Value::Sequence(entries) => {
                    let list = (key_node, key_line);
                    let items = read_items(entries, list, "AC", &ItemKind::Acceptance, facts);
                    feature.items.extend(items);
                }
                Value::Null => {}
                _ => facts.diagnostic(
                    Severity::Error,
                    Some(at_line(key_line)),
                    "`acceptance` must be a list of criteria".to_owned(),
                ),
            },
            "nfrs" => match value {
                Value::Mapping(categories) => {
                    for (category, entries) in categories {
                        let category = scalar_string(category).unwrap_or_else(|| render(category));
                        let category_node = child(value_of(key_node), &category);
                        let category_line = category_node.map_or(key_line, |n| n.key_line);
                        let Some(entries) = entries.as_sequence() else {
                            let message =
                                format!("NFR category `{category}` must be a list of requirements");
                            facts.diagnostic(
                                Severity::Error,
                                Some(at_line(category_line)),
                                message,
                            );
                            continue;
                        };
                        let prefix = format!("NFR-{category}");
                        let kind = ItemKind::Nfr { category };
                        let list = (category_node, category_line);
                        feature
                            .items
                            .extend(read_items(entries, list, &prefix, &kind, facts));
                    }
                }
                Value::Null => {}
                _ => facts.diagnostic(
                    Severity::Error,
                    Some(at_line(key_line)),
                    "`nfrs` must map categories (security, performance, ...) to lists".to_owned(),
                ),
            },
            "dependencies" => match value {
                Value::Sequence(entries) => {
                    for (i, entry) in entries.iter().enumerate() {
                        let entry_line =
                            element(value_of(key_node), i).map_or(key_line, Node::line);
                        match read_dependency(entry, entry_line) {
                            Some(dep) => feature.dependencies.push(dep),
                            None => facts.diagnostic(
                                Severity::Warning,
                                Some(at_line(entry_line)),
                                "a dependency must be a string `Name: why` or a mapping with `name`"
                                    .to_owned(),
                            ),
                        }
                    }
                }
                Value::Null => {}
                _ => facts.diagnostic(
                    Severity::Error,
                    Some(at_line(key_line)),
                    "`dependencies` must be a list".to_owned(),
                ),
            },
            _ => {
                feature.extra.insert(key_text, render(value));
            }
        }
    }
    drop_duplicate_ids(&mut feature, facts);
    facts.features.push(feature);
}

/// Keeps the first item of each id and reports the others.
fn drop_duplicate_ids(feature: &mut Feature, facts: &mut FileFacts) {
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    let mut items = Vec::with_capacity(feature.items.len());
    for item in std::mem::take(&mut feature.items) {
        if let Some(first) = seen.get(&item.local_id) {
            let message = format!(
                "duplicate item id `{}/{}` (first defined on line {first}); this one is ignored: give it another `id`",
                feature.name, item.local_id
            );
            facts.diagnostic(Severity::Error, Some(at_line(item.line)), message);
        } else {
            seen.insert(item.local_id.clone(), item.line);
            items.push(item);
        }
    }
    feature.items = items;
}

/// Reads a list of items; `list` is the list's entry in the layout and the line to fall back on.
fn read_items(
    entries: &[Value],
    (list, list_line): (Option<&Entry>, u32),
    prefix: &str,
    kind: &ItemKind,
    facts: &mut FileFacts,
) -> Vec<SpecItem> {
    entries
        .iter()
        .enumerate()
        .filter_map(|(i, entry)| {
            let line = element(value_of(list), i).map_or(list_line, Node::line);
            read_item(entry, i, prefix, kind.clone(), line, facts)
        })
        .collect()
}

fn read_item(
    entry: &Value,
    index: usize,
    prefix: &str,
    kind: ItemKind,
    line: u32,
    facts: &mut FileFacts,
) -> Option<SpecItem> {
    let position = index as u32 + 1;
    let positional = format!("{prefix}-{position}");
    match entry {
        Value::Mapping(map) => {
            let Some(text) = map.get("text").and_then(scalar_string) else {
                facts.diagnostic(
                    Severity::Error,
                    Some(at_line(line)),
                    "an item written as a mapping needs a `text` (and may have an `id`)".to_owned(),
                );
                return None;
            };
            let explicit = map.get("id").and_then(scalar_string);
            if let Some(id) = &explicit
                && (!is_valid_name(id) || id.contains('/'))
            {
                let message = format!(
                    "item id `{id}` must be letters, digits, `_`, `-` or `.`, starting with a letter, digit or `_`"
                );
                facts.diagnostic(Severity::Error, Some(at_line(line)), message);
                return None;
            }
            let extra = map
                .iter()
                .filter_map(|(k, v)| {
                    let k = scalar_string(k)?;
                    (k != "text" && k != "id").then(|| (k, render(v)))
                })
                .collect();
            Some(SpecItem {
                explicit_id: explicit.is_some(),
                local_id: explicit.unwrap_or(positional),
                kind,
                text,
                position,
                line,
                extra,
            })
        }
        _ => match scalar_string(entry) {
            Some(text) => Some(SpecItem {
                local_id: positional,
                explicit_id: false,
                kind,
                text,
                position,
                line,
                extra: BTreeMap::new(),
            }),
            None => {
                facts.diagnostic(
                    Severity::Error,
                    Some(at_line(line)),
                    "an item must be a string or a mapping with `text`".to_owned(),
                );
                None
            }
        },
    }
}

fn read_dependency(entry: &Value, line: u32) -> Option<Dependency> {
    match entry {
        Value::Mapping(map) => Some(Dependency {
            name: map.get("name").and_then(scalar_string)?,
            description: map.get("description").and_then(scalar_string),
            line,
        }),
        _ => {
            let text = scalar_string(entry)?;
            let (name, description) = match text.split_once(':') {
                Some((name, rest)) => (name.trim().to_owned(), Some(rest.trim().to_owned())),
                None => (text.trim().to_owned(), None),
            };
            Some(Dependency {
                name,
                description: description.filter(|d| !d.is_empty()),
                line,
            })
        }
    }
}

/// Feature and item names: the characters a reference can carry.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && crate::parse::refs::id_len(name) == name.len()
}

/// A scalar as text: strings as they are, numbers and booleans as YAML writes them.
fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar_string(&t.value),
        _ => None,
    }
}

/// Any value as text: scalars plainly, the rest as JSON.
fn render(value: &Value) -> String {
    scalar_string(value)
        .unwrap_or_else(|| serde_json::to_string(value).unwrap_or_else(|_| format!("{value:?}")))
}

/// The line of every node of a YAML stream, one tree per document.
#[derive(Default)]
struct Layout {
    documents: Vec<Node>,
}

/// A YAML node with the line it starts on.
#[derive(Debug)]
enum Node {
    Scalar { line: u32, text: String },
    Sequence { line: u32, items: Vec<Node> },
    Mapping { line: u32, entries: Vec<Entry> },
}

/// A mapping entry: its key, the line of the key, and the value's node.
#[derive(Debug)]
struct Entry {
    key: String,
    key_line: u32,
    node: Node,
}

impl Node {
    fn line(&self) -> u32 {
        match self {
            Node::Scalar { line, .. }
            | Node::Sequence { line, .. }
            | Node::Mapping { line, .. } => *line,
        }
    }
}

/// The entry for `key` when `node` is a mapping.
fn child<'a>(node: Option<&'a Node>, key: &str) -> Option<&'a Entry> {
    match node? {
        Node::Mapping { entries, .. } => entries.iter().find(|e| e.key == key),
        _ => None,
    }
}

/// The value node of an entry.
fn value_of(entry: Option<&Entry>) -> Option<&Node> {
    entry.map(|e| &e.node)
}

/// The `index`-th element when `node` is a sequence.
fn element(node: Option<&Node>, index: usize) -> Option<&Node> {
    match node? {
        Node::Sequence { items, .. } => items.get(index),
        _ => None,
    }
}

impl Layout {
    /// Reads the layout; on a syntax error it keeps what it had, since serde_yaml reports the
    /// error. Collections nested deeper than [`MAX_DEPTH`] are an error at the line where they
    /// do.
    fn read(text: &str) -> Result<Layout, u32> {
        let mut builder = LayoutBuilder::default();
        let mut parser = Parser::new_from_str(text);
        // Event by event: yaml-rust2's own `load` walks nested collections by recursion.
        while builder.too_deep.is_none() {
            match parser.next_token() {
                Ok((Event::StreamEnd, _)) | Err(_) => break,
                Ok((event, mark)) => builder.on_event(event, mark),
            }
        }
        match builder.too_deep {
            Some(line) => Err(line),
            None => Ok(Layout {
                documents: builder.documents,
            }),
        }
    }
}

#[derive(Default)]
struct LayoutBuilder {
    documents: Vec<Node>,
    /// Open collections; mappings alternate key and value.
    stack: Vec<(Node, Option<(String, u32)>)>,
    /// The line where collections first nested deeper than [`MAX_DEPTH`]; nothing is built after.
    too_deep: Option<u32>,
}

impl LayoutBuilder {
    fn push_value(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some((Node::Sequence { items, .. }, _)) => items.push(node),
            Some((Node::Mapping { entries, .. }, pending)) => match pending.take() {
                Some((key, key_line)) => entries.push(Entry {
                    key,
                    key_line,
                    node,
                }),
                None => {
                    let key = match &node {
                        Node::Scalar { text, .. } => text.clone(),
                        _ => String::new(),
                    };
                    *pending = Some((key, node.line()));
                }
            },
            Some((Node::Scalar { .. }, _)) => {}
        }
    }
}

impl MarkedEventReceiver for LayoutBuilder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let line = mark.line() as u32;
        if self.too_deep.is_some() {
            return;
        }
        if matches!(event, Event::SequenceStart(..) | Event::MappingStart(..))
            && self.stack.len() >= MAX_DEPTH
        {
            self.too_deep = Some(line);
            // Dropped here, by a loop: a deep tree would be dropped by recursion.
            while let Some((node, _)) = self.stack.pop() {
                drop(node);
            }
            return;
        }
        match event {
            Event::Scalar(text, ..) => {
                self.push_value(Node::Scalar { line, text });
            }
            Event::Alias(_) => self.push_value(Node::Scalar {
                line,
                text: String::new(),
            }),
            Event::SequenceStart(..) => self.stack.push((
                Node::Sequence {
                    line,
                    items: Vec::new(),
                },
                None,
            )),
            Event::MappingStart(..) => self.stack.push((
                Node::Mapping {
                    line,
                    entries: Vec::new(),
                },
                None,
            )),
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((node, _)) = self.stack.pop() {
                    self.push_value(node);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::FileKind;

    fn parse(text: &str) -> FileFacts {
        let mut facts = FileFacts::new("specs/x.yaml", FileKind::Spec, "0", text.len() as u64);
        parse_spec(text, &mut facts);
        facts
    }

    // verifies: index/bad-input
    #[test]
    fn deep_nesting_is_refused_before_the_yaml_readers_start() {
        // 200,000 levels took the YAML readers minutes; refused at once, at its line.
        let deep = format!(
            "feature: x\nacceptance:\n  - {}{}\n",
            "[".repeat(200_000),
            "]".repeat(200_000)
        );
        let started = std::time::Instant::now();
        let facts = parse(&deep);
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert!(facts.features.is_empty());
        let d = &facts.diagnostics[0];
        assert_eq!(d.position.map(|p| p.line), Some(3));
        assert!(
            d.message.contains("nested deeper than 128 levels"),
            "{}",
            d.message
        );
        // Brackets in quoted scalars and comments are text; shallow nesting reads as before.
        let fine = "feature: x  # [[[[\nacceptance:\n  - \"[[[[[[\"\n  - '{{{{ it''s'\n  - [a, [b, {c: d}]]\n";
        assert!(too_deep(&"[[[[".repeat(40)).is_some());
        assert_eq!(too_deep(fine), None);
        assert_eq!(parse(fine).features.len(), 1);
    }

    // verifies: index/bounded
    #[test]
    fn deep_block_nesting_is_refused_at_its_line_without_recursion() {
        // `- - - x` opens a block sequence per dash: 100,000 on one line overflowed the stack.
        for deep in [
            format!("feature: x\nacceptance:\n  - {}x\n", "- ".repeat(100_000)),
            (0..2_000)
                .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
                .collect::<String>(),
        ] {
            let started = std::time::Instant::now();
            let facts = parse(&deep);
            assert!(started.elapsed() < std::time::Duration::from_secs(2));
            let d = &facts.diagnostics[0];
            assert!(
                d.message.contains("nested deeper than 128 levels"),
                "{}",
                d.message
            );
            assert!(d.position.is_some_and(|p| p.line >= 3), "{d:?}");
        }
    }

    const SEED: &str = r#"feature: imageUpload
specVersion: 1.0
owner: architect
description: "As a user, I want to upload a profile picture, so I can personalize my account."
acceptance:
  - "Supports PNG, JPG formats."                 # imageUpload/AC-1 (by position)
  - id: size-limit                               # imageUpload/size-limit (explicit)
    text: "File size must be less than 5MB."
nfrs:
  security:
    - "Scan for malware upon upload."            # imageUpload/NFR-security-1
  performance:
    - "Image processing (resizing) must complete within 2 seconds."
dependencies:
  - "UserService: for associating image with user."
"#;

    // verifies: index/specs
    #[test]
    fn reads_the_seed_format_with_ids_and_lines() {
        let facts = parse(SEED);
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
        let feature = &facts.features[0];
        assert_eq!(feature.name, "imageUpload");
        assert_eq!(feature.spec_version.as_deref(), Some("1.0"));
        assert_eq!(feature.owner.as_deref(), Some("architect"));
        let items: Vec<_> = feature
            .items
            .iter()
            .map(|i| (i.local_id.as_str(), i.line, i.explicit_id))
            .collect();
        assert_eq!(
            items,
            vec![
                ("AC-1", 6, false),
                ("size-limit", 7, true),
                ("NFR-security-1", 11, false),
                ("NFR-performance-1", 13, false),
            ]
        );
        assert_eq!(feature.items[1].text, "File size must be less than 5MB.");
        assert_eq!(feature.dependencies[0].name, "UserService");
        assert_eq!(feature.dependencies[0].line, 15);
    }

    #[test]
    fn reads_several_documents_and_feature_lists() {
        let facts = parse(
            "feature: a\nacceptance: [x, y]\n---\nfeatures:\n  - feature: b\n    acceptance:\n      - z\n  - feature: c\n",
        );
        let names: Vec<_> = facts
            .features
            .iter()
            .map(|f| (f.name.as_str(), f.line))
            .collect();
        assert_eq!(names, vec![("a", 1), ("b", 5), ("c", 8)]);
        assert_eq!(facts.features[0].items[1].local_id, "AC-2");
        assert_eq!(facts.features[1].items[0].line, 7);
    }

    #[test]
    fn keeps_unknown_keys_as_data() {
        let facts = parse(
            "feature: a\npriority: high\ntags: [x, y]\nacceptance:\n  - id: k\n    text: t\n    risk: 3\n",
        );
        assert_eq!(facts.features[0].extra["priority"], "high");
        assert_eq!(facts.features[0].extra["tags"], r#"["x","y"]"#);
        assert_eq!(facts.features[0].items[0].extra["risk"], "3");
    }

    #[test]
    fn reports_bad_specs_with_lines_and_keeps_the_rest() {
        let facts = parse(
            "feature: a\nacceptance:\n  - one\n  - id: AC-1\n    text: two\n---\nowner: x\n---\nfeature: b\n",
        );
        let messages: Vec<_> = facts.diagnostics.iter().map(|d| d.to_string()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(
            messages[0].starts_with("specs/x.yaml:4:1: error: duplicate item id `a/AC-1`"),
            "{messages:?}"
        );
        assert!(
            messages[1].starts_with("specs/x.yaml:7:1: error: spec has no `feature` key"),
            "{messages:?}"
        );
        let names: Vec<_> = facts.features.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, vec!["a", "b"]);
    }

    #[test]
    fn reports_malformed_yaml_with_its_position() {
        let facts = parse("feature: a\nacceptance:\n  - \"unterminated\n  - b\n");
        assert_eq!(facts.diagnostics.len(), 1);
        let d = &facts.diagnostics[0];
        assert!(d.message.starts_with("malformed YAML"), "{d}");
        assert!(d.position.is_some_and(|p| p.line >= 3), "{d}");
    }
}
