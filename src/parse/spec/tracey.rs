//! Reads tracey specs: Markdown in which `r[id]` (or `r[id+2]`, version 2), standing alone as a
//! paragraph, in a block quote or not, declares the requirement `id`, the text that follows being
//! the requirement. Which files are specs, and under which name, comes from the project's tracey
//! configuration (`.config/tracey/config.styx`, [`read_config`]): each spec set is a feature named
//! as the configuration names it (`vox`), and its requirement ids are the items (`vox/link`). A
//! prefix other than `r` (`parser[...]`) is read the same way.

// implements: index/tracey

use super::markdown::{Reader, heading, outside_fences};
use crate::facts::{FileFacts, Tool};

/// Where the tracey configuration stands in a repository.
pub const CONFIG_PATH: &str = ".config/tracey/config.styx";

/// One spec set of a tracey configuration: its name and the files it includes, and its
/// implementations' files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceySpec {
    pub name: String,
    pub include: Vec<String>,
    pub impls: Vec<TraceyImpl>,
}

/// One implementation of a spec set: its name, the files tracey reads its tags in, and those
/// it leaves out of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceyImpl {
    pub name: String,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

/// A requirement being read: its id, version, line, whether it stands in a block quote, and
/// its text so far.
struct Open {
    id: String,
    version: Option<u32>,
    line: u32,
    quoted: bool,
    text: Vec<String>,
}

/// Parses a tracey spec and adds its feature, items and diagnostics to `facts`.
pub fn parse(text: &str, facts: &mut FileFacts) {
    let mut reader = Reader::new(&facts.path);
    if let Some(set) = &facts.spec_set {
        reader.feature.name = set.clone();
    }
    reader.feature.tool = Tool::Tracey;
    let lines: Vec<&str> = text.lines().collect();
    // The requirement whose text the lines continue.
    let mut open: Option<Open> = None;
    let close = |reader: &mut Reader, open: &mut Option<Open>| {
        if let Some(o) = open.take()
            && reader.add(o.id, "requirement", o.text.join(" "), o.line)
            && let (Some(version), Some(item)) = (o.version, reader.feature.items.last_mut())
        {
            item.extra.insert("version".to_owned(), version.to_string());
        }
    };
    for (n, line) in outside_fences(&lines) {
        let number = n as u32 + 1;
        let trimmed = line.trim();
        let quoted = trimmed.starts_with('>');
        let body = trimmed.trim_start_matches('>').trim();
        if heading(body).is_some() {
            close(&mut reader, &mut open);
            continue;
        }
        if let Some((id, version)) = definition(body) {
            close(&mut reader, &mut open);
            open = Some(Open {
                id,
                version,
                line: number,
                quoted,
                text: Vec::new(),
            });
            continue;
        }
        match &mut open {
            // A block quote's requirement runs to the end of the quote; a plain one to the end
            // of the paragraph after it.
            Some(o) if o.quoted => {
                if !quoted {
                    close(&mut reader, &mut open);
                } else if !body.is_empty() {
                    o.text.push(body.to_owned());
                }
            }
            Some(o) => {
                if body.is_empty() && !o.text.is_empty() {
                    close(&mut reader, &mut open);
                } else if !body.is_empty() {
                    o.text.push(body.to_owned());
                }
            }
            None => {}
        }
    }
    close(&mut reader, &mut open);
    // A file of a set may hold none (an index page): only a file no set names must have some.
    if reader.feature.items.is_empty() && facts.spec_set.is_some() {
        return;
    }
    reader.finish(
        facts,
        "a tracey spec with no requirements (`r[id]` on a line of its own)",
    );
}

/// `r[transport.memory]` or `r[link+2]` alone on its line (any lowercase prefix): the id and the
/// version.
fn definition(line: &str) -> Option<(String, Option<u32>)> {
    let open = line.find('[')?;
    let prefix = &line[..open];
    let inner = line[open + 1..].strip_suffix(']')?;
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return None;
    }
    let (id, version) = match inner.rsplit_once('+') {
        Some((id, v)) => (id, Some(v.parse().ok()?)),
        None => (inner, None),
    };
    is_id(id).then(|| (id.to_owned(), version))
}

/// A tracey id: lowercase letters, digits, `.`, `-` and `_`, starting with a letter or digit.
pub fn is_id(id: &str) -> bool {
    id.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && id.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        })
}

/// The spec sets of a tracey configuration (`specs ( { name vox include (docs/*.md) impls (...) } )`),
/// or what is wrong with it.
pub fn read_config(text: &str) -> Result<Vec<TraceySpec>, String> {
    let root = styx_tree(text)?;
    let mut specs = Vec::new();
    for spec in root.get("specs").map_or(&[][..], Styx::items) {
        let strings = |v: &Styx, key: &str| -> Vec<String> {
            v.get(key)
                .map(|s| {
                    s.items()
                        .iter()
                        .filter_map(|i| i.text())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let Some(name) = spec.get("name").and_then(Styx::text) else {
            return Err("a spec without a `name`".to_owned());
        };
        let impls = spec
            .get("impls")
            .map_or(&[][..], Styx::items)
            .iter()
            .map(|i| TraceyImpl {
                name: i.get("name").and_then(Styx::text).unwrap_or("").to_owned(),
                include: strings(i, "include"),
                exclude: strings(i, "exclude"),
            })
            .collect();
        specs.push(TraceySpec {
            name: name.to_owned(),
            include: strings(spec, "include"),
            impls,
        });
    }
    Ok(specs)
}

/// A Styx value, as much of it as the configuration needs.
#[derive(Debug)]
enum Styx {
    Scalar(String),
    Sequence(Vec<Styx>),
    Object(Vec<(Option<String>, Styx)>),
    Unit,
}

impl Styx {
    fn get(&self, key: &str) -> Option<&Styx> {
        match self {
            Styx::Object(entries) => entries
                .iter()
                .find(|(k, _)| k.as_deref() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// A sequence's items; a single value stands for a sequence of one.
    fn items(&self) -> &[Styx] {
        match self {
            Styx::Sequence(items) => items,
            Styx::Unit => &[],
            one => std::slice::from_ref(one),
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            Styx::Scalar(s) => Some(s),
            _ => None,
        }
    }
}

/// The document `text` as a tree, from the events of styx-parse.
/// The deepest a configuration may nest (tracey's own nest four levels).
const MAX_DEPTH: usize = 64;

// implements: index/bounded
/// The line where `text`'s objects and sequences (outside quoted strings and `//` comments)
/// first nest deeper than [`MAX_DEPTH`], if they do: one pass, linear in the text.
fn too_deep(text: &str) -> Option<usize> {
    let (mut depth, mut line) = (0usize, 1usize);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            '/' if chars.peek() == Some(&'/') => while chars.next_if(|c| *c != '\n').is_some() {},
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '\n' => line += 1,
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '(' | '{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(line);
                }
            }
            ')' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn styx_tree(text: &str) -> Result<Styx, String> {
    use styx_parse::{EventKind, Parser};
    // The styx reader nests by recursion: deep nesting is refused before it starts.
    if let Some(line) = too_deep(text) {
        return Err(format!(
            "nested deeper than {MAX_DEPTH} levels at line {line}"
        ));
    }
    // Open containers, each with the key its value will stand under.
    let mut stack: Vec<(Option<String>, Styx)> = Vec::new();
    let mut root = Styx::Unit;
    let mut key: Option<String> = None;
    let attach =
        |stack: &mut Vec<(Option<String>, Styx)>, key: Option<String>, value: Styx| match stack
            .last_mut()
        {
            Some((_, Styx::Object(entries))) => entries.push((key, value)),
            Some((_, Styx::Sequence(items))) => items.push(value),
            _ => {}
        };
    let mut parser = Parser::new(text);
    while let Some(event) = parser.next_event() {
        match event.kind {
            EventKind::Key { payload, .. } => key = payload.map(|p| p.into_owned()),
            EventKind::ObjectStart => stack.push((key.take(), Styx::Object(Vec::new()))),
            EventKind::SequenceStart => stack.push((key.take(), Styx::Sequence(Vec::new()))),
            EventKind::ObjectEnd | EventKind::SequenceEnd => match stack.pop() {
                Some((_, value)) if stack.is_empty() => root = value,
                Some((k, value)) => attach(&mut stack, k, value),
                None => {}
            },
            EventKind::Scalar { value, .. } => {
                let k = key.take();
                attach(&mut stack, k, Styx::Scalar(value.into_owned()));
            }
            EventKind::Unit => {
                let k = key.take();
                attach(&mut stack, k, Styx::Unit);
            }
            EventKind::Error { kind } => {
                // The span is in bytes and may fall inside a character: count bytes.
                let upto = (event.span.start as usize).min(text.len());
                let line = text.as_bytes()[..upto]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    + 1;
                return Err(format!("line {line}: {kind:?}"));
            }
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("the document ends inside a `{` or `(`".to_owned());
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::spec::markdown::{diagnostic_lines, item_lines as items};

    fn read(text: &str) -> FileFacts {
        let mut facts = FileFacts::new("docs/spec/conn.md", crate::facts::FileKind::Spec, "0", 0);
        facts.spec_set = Some("vox".to_owned());
        parse(text, &mut facts);
        facts
    }

    // verifies: index/tracey
    #[test]
    fn reads_requirements_in_block_quotes_or_not_with_their_versions() {
        let text = "# Links\n\n> r[link]\n>\n> A link sends payloads\n> between two peers.\n\nProse about r[link] is not a definition.\n\nr[transport.memory+2]\nAn in-memory transport.\n\nMore prose.\n\n```\nr[in.code]\n```\n\n> parser[entry.key-equality]\n> Keys compare by value.\n";
        let facts = read(text);
        assert_eq!(facts.features[0].name, "vox");
        assert_eq!(
            items(&facts),
            vec![
                "3:link requirement | A link sends payloads between two peers.",
                "10:transport.memory requirement | An in-memory transport.",
                "19:entry.key-equality requirement | Keys compare by value.",
            ]
        );
        assert_eq!(facts.features[0].items[1].extra["version"], "2");
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
    }

    // verifies: index/bad-input
    #[test]
    fn a_repeated_id_and_an_empty_spec_are_diagnostics() {
        let facts = read("r[a]\nOne.\n\nr[a]\nTwo.\n");
        assert_eq!(
            diagnostic_lines(&facts),
            vec!["4: `a` is declared again (first at line 1); this one was not read"]
        );
        // A file of a set may hold none; a file claimed otherwise must hold some.
        assert!(read("# Nothing\n").diagnostics.is_empty());
        let mut facts = FileFacts::new("docs/x.md", crate::facts::FileKind::Spec, "0", 0);
        parse("# Nothing\n", &mut facts);
        assert_eq!(facts.diagnostics.len(), 1);
    }

    // verifies: index/tracey
    #[test]
    fn reads_the_spec_sets_of_a_tracey_configuration() {
        let text = "@schema {id crate:tracey-config@1, cli tracey}\n\nspecs (\n    {\n        name vox\n        include (docs/content/spec/*.md)\n        impls (\n            {\n                name rust\n                include (rust/**/*.rs)\n                exclude (rust-legacy/**/*.rs)\n            }\n        )\n    }\n)\n";
        assert_eq!(
            read_config(text).unwrap(),
            vec![TraceySpec {
                name: "vox".to_owned(),
                include: vec!["docs/content/spec/*.md".to_owned()],
                impls: vec![TraceyImpl {
                    name: "rust".to_owned(),
                    include: vec!["rust/**/*.rs".to_owned()],
                    exclude: vec!["rust-legacy/**/*.rs".to_owned()],
                }],
            }]
        );
        assert!(read_config("specs ( { include (a) } )").is_err());
        assert!(read_config("specs ( {").is_err());
        // Deep nesting is refused before a deep tree is built (it overflowed the stack).
        let deep = format!("specs\n{}", "( { a ".repeat(100_000));
        let Err(err) = read_config(&deep) else {
            panic!("refused")
        };
        assert!(
            err.contains("nested deeper than 64 levels at line 2"),
            "{err}"
        );
    }
}
