//! Reads OpenFastTrace spec items, from Markdown and from AsciiDoc as OpenFastTrace's AsciiDoc
//! plugin reads it. No configuration names these files: a Markdown or AsciiDoc document is an
//! OpenFastTrace spec when it declares an item ([`sniff`]), and its feature is the document,
//! named by its path (`doc.spec.design`), with [`Tool::Oft`] so that only OpenFastTrace's tags name
//! its items.
//!
//! - Markdown: a line that starts with an id (`` `dsn~cli.tracing~2` ``, the backticks
//!   optional, anything after) opens an item, titled by the heading above it; its description
//!   runs to the next keyword line (`Rationale:`, `Comment:`, `Covers:`, `Depends:`, `Needs:`,
//!   `Tags:`, `Status:`), and the item to the next id, heading or forward line. `Covers:` and
//!   `Depends:` take a bullet list of ids; `Needs:` and `Tags:` a comma list or bullets. A forward
//!   line (`dsn --> impl, utest : req~x~1`) is an item of the first type that covers `req~x~1`
//!   and needs the others. `oft:off` and `oft:on` turn reading off and on.
//! - AsciiDoc: an attribute line `[.specitem,oft-sid="req~x~1",oft-needs="impl,utest",
//!   oft-covers="feat~y~1",oft-tags="A",oft-title="T"]` declares an item whose text is the
//!   delimited block (`--`, `****`, `====`) or paragraph after it.
//!
//! An item's id is `type~name` and its revision its `version`; its type is its `kind`, and its
//! needs (`needs`, comma separated, empty when it states none) say which artifact types must
//! cover it. Each id it covers is a reference of [`Relation::Covers`] with its type as artifact.

// implements: index/openfasttrace

use std::collections::BTreeMap;

use super::markdown::{Reader, heading, is_fence, path_feature};
use crate::facts::{Anchor, FileFacts, Position, Reference, Relation, Tool};

/// The files OpenFastTrace specs may be: [`sniff`] decides which are.
pub const CANDIDATES: &[&str] = &["**/*.md", "**/*.markdown", "**/*.adoc", "**/*.asciidoc"];

/// Whether `bytes` declare an OpenFastTrace spec item: an id at the start of a line outside
/// code fences (Markdown), or a `.specitem` attribute line (AsciiDoc).
pub fn sniff(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    // Cheap first: every item id has two `~`.
    if !text.contains('~') {
        return false;
    }
    let mut fence = false;
    text.lines().any(|line| {
        if code_fence(line) {
            fence = !fence;
            return false;
        }
        !fence && (id_line(line).is_some() || specitem(line).is_some())
    })
}

/// An OpenFastTrace id, parsed: `type~name~revision`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OftId<'a> {
    pub artifact: &'a str,
    pub name: &'a str,
    pub revision: u32,
}

impl OftId<'_> {
    /// The item's id without its revision (`dsn~x`), kg's local id for it.
    pub fn local(&self) -> String {
        format!("{}~{}", self.artifact, self.name)
    }
}

/// Length of the OpenFastTrace id at the start of `text`, with the id: letters, `~`, a name
/// (a letter, then word characters and `-`, in `.`-separated parts), `~`, digits.
pub fn id_at(text: &str) -> Option<(usize, OftId<'_>)> {
    let bytes = text.as_bytes();
    let artifact = bytes.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    if artifact == 0 || bytes.get(artifact) != Some(&b'~') {
        return None;
    }
    let name_start = artifact + 1;
    let name_len = name_len(&text[name_start..]);
    if name_len == 0 {
        return None;
    }
    let tilde = name_start + name_len;
    if bytes.get(tilde) != Some(&b'~') {
        return None;
    }
    let digits = bytes[tilde + 1..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 {
        return None;
    }
    let end = tilde + 1 + digits;
    // An id ends at a non-word character.
    if text[end..]
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '_')
    {
        return None;
    }
    Some((
        end,
        OftId {
            artifact: &text[..artifact],
            name: &text[name_start..tilde],
            revision: text[tilde + 1..end].parse().ok()?,
        },
    ))
}

/// Length of an item name at the start of `text`: a letter, then word characters and `-`,
/// with `.`-separated parts.
pub fn name_len(text: &str) -> usize {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let mut chars = text.char_indices().peekable();
    match chars.peek() {
        Some((_, c)) if c.is_alphabetic() => {}
        _ => return 0,
    }
    let mut end = 0;
    while let Some((i, c)) = chars.next() {
        if word(c) {
            end = i + c.len_utf8();
        } else if c == '.' && chars.peek().is_some_and(|(_, n)| word(*n)) {
            continue;
        } else {
            break;
        }
    }
    end
}

/// The id a Markdown line starts with (in backticks or not), if it opens an item.
fn id_line(line: &str) -> Option<OftId<'_>> {
    let rest = line.strip_prefix('`').unwrap_or(line);
    id_at(rest).map(|(_, id)| id)
}

/// The last id on a bullet line (`* `req~x~1``, `- Covers [req~x~1]`), as OpenFastTrace
/// takes it.
fn last_id(line: &str) -> Option<(usize, OftId<'_>)> {
    let mut last = None;
    let mut from = 0;
    while let Some(at) = line[from..].find('~') {
        let tilde = from + at;
        from = tilde + 1;
        let start = line[..tilde]
            .bytes()
            .rposition(|b| !b.is_ascii_alphabetic())
            .map_or(0, |i| i + 1);
        if start == tilde {
            continue;
        }
        if let Some((len, id)) = id_at(&line[start..]) {
            last = Some((start, id));
            from = start + len;
        }
    }
    last
}

/// A bullet line (`*`, `-`, `+`, indented at most three spaces): what follows the bullet.
fn bullet(line: &str) -> Option<&str> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let mark = rest.chars().next()?;
    matches!(mark, '*' | '-' | '+').then(|| &rest[1..])
}

/// A comma list of words (`impl, utest`).
fn words(text: &str) -> Option<Vec<String>> {
    let list: Vec<String> = text.split(',').map(|w| w.trim().to_owned()).collect();
    list.iter()
        .all(|w| !w.is_empty() && w.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .then_some(list)
}

/// Whether `line` opens or closes a code block, indented by spaces or not.
fn code_fence(line: &str) -> bool {
    is_fence(line.trim_start_matches(' '))
}

/// What the lines after a keyword add to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Description,
    Rationale,
    Comment,
    Covers,
    Depends,
    Needs,
    Tags,
}

/// An item being read.
struct Item {
    id: String,
    artifact: String,
    revision: u32,
    line: u32,
    title: Option<String>,
    description: Vec<String>,
    rationale: Vec<String>,
    comment: Vec<String>,
    /// Each id it covers, with its line and column.
    covers: Vec<(String, u32, u32)>,
    depends: Vec<String>,
    needs: Vec<String>,
    tags: Vec<String>,
    status: Option<String>,
}

impl Item {
    fn new(id: &OftId, line: u32, title: Option<String>) -> Item {
        Item {
            id: id.local(),
            artifact: id.artifact.to_owned(),
            revision: id.revision,
            line,
            title,
            description: Vec::new(),
            rationale: Vec::new(),
            comment: Vec::new(),
            covers: Vec::new(),
            depends: Vec::new(),
            needs: Vec::new(),
            tags: Vec::new(),
            status: None,
        }
    }
}

/// A spec being read: the items so far, and the covering references they make.
struct Spec {
    reader: Reader,
    references: Vec<Reference>,
}

impl Spec {
    fn new(path: &str) -> Spec {
        let mut reader = Reader::new(path);
        reader.feature.name = path_feature(path);
        reader.feature.tool = Tool::Oft;
        Spec {
            reader,
            references: Vec::new(),
        }
    }

    fn add(&mut self, item: Item) {
        let join = |lines: &[String]| {
            lines
                .join(" ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        let description = join(&item.description);
        let text = match (&description, &item.title) {
            (d, _) if !d.is_empty() => d.clone(),
            (_, Some(title)) => title.clone(),
            _ => item.id.clone(),
        };
        if !self
            .reader
            .add(item.id.clone(), &item.artifact, text, item.line)
        {
            return;
        }
        let Some(added) = self.reader.feature.items.last_mut() else {
            return;
        };
        let mut extra = BTreeMap::from([
            ("version".to_owned(), item.revision.to_string()),
            ("needs".to_owned(), item.needs.join(",")),
        ]);
        let lists = [
            ("title", item.title.iter().cloned().collect::<Vec<_>>(), " "),
            ("rationale", vec![join(&item.rationale)], " "),
            ("comment", vec![join(&item.comment)], " "),
            ("depends", item.depends, ","),
            ("tags", item.tags, ","),
            ("status", item.status.into_iter().collect(), ""),
        ];
        for (key, values, separator) in lists {
            let value = values.join(separator);
            if !value.is_empty() {
                extra.insert(key.to_owned(), value);
            }
        }
        added.extra.extend(extra);
        for (target, line, column) in item.covers {
            self.references.push(Reference {
                target,
                marker: Relation::Covers,
                relation: Relation::Covers,
                anchor: Anchor::File,
                position: Position { line, column },
                local: true,
                feature: None,
                by_title: false,
                tool: Tool::Oft,
                artifact: Some(item.artifact.clone()),
                quote: None,
            });
        }
    }

    fn finish(self, facts: &mut FileFacts) {
        facts.references.extend(self.references);
        self.reader.finish(
            facts,
            "an OpenFastTrace spec with no items (`type~name~revision` at the start of a line)",
        );
    }
}

/// Parses an OpenFastTrace spec, Markdown or AsciiDoc by its extension.
pub fn parse(text: &str, facts: &mut FileFacts) {
    let extension = facts
        .path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase());
    let mut spec = Spec::new(&facts.path);
    if matches!(extension.as_deref(), Some("adoc" | "asciidoc")) {
        asciidoc(text, &mut spec);
    } else {
        markdown(text, &mut spec);
    }
    spec.finish(facts);
}

/// A keyword line (`Needs: impl, utest`, `Covers:`): the part it starts and what follows the
/// colon.
fn keyword(line: &str) -> Option<(Part, &str)> {
    const KEYWORDS: &[(&str, Part)] = &[
        ("Description:", Part::Description),
        ("Rationale:", Part::Rationale),
        ("Comment:", Part::Comment),
        ("Covers:", Part::Covers),
        ("Depends:", Part::Depends),
        ("Needs:", Part::Needs),
        ("Tags:", Part::Tags),
    ];
    KEYWORDS
        .iter()
        .find_map(|(word, part)| line.strip_prefix(word).map(|rest| (*part, rest.trim())))
}

/// A forward line (`dsn --> impl, utest : req~x~1`, anywhere in the line): the forwarding type,
/// the types it forwards, and the id, with its column.
fn forward(line: &str) -> Option<(&str, Vec<String>, usize, OftId<'_>)> {
    let arrow = line.find("-->")?;
    let before = line[..arrow].trim_end();
    let start = before
        .bytes()
        .rposition(|b| !b.is_ascii_alphabetic())
        .map_or(0, |i| i + 1);
    let artifact = &before[start..];
    let (types, rest) = line[arrow + 3..].split_once(':')?;
    let types = words(types)?;
    let offset = line.len() - rest.trim_start().len();
    let (_, id) = id_at(rest.trim_start())?;
    (!artifact.is_empty()).then_some((artifact, types, offset, id))
}

fn markdown(text: &str, spec: &mut Spec) {
    let lines: Vec<&str> = text.lines().collect();
    let mut open: Option<Item> = None;
    let mut part = Part::Description;
    let mut title: Option<String> = None;
    let mut off = false;
    let mut fence = false;
    let mut n = 0;
    while n < lines.len() {
        let line = lines[n];
        let number = n as u32 + 1;
        n += 1;
        if let Some(switch) = oft_switch(line) {
            off = switch;
            continue;
        }
        if off {
            continue;
        }
        // A code block between items is an example; inside an item it is part of its text.
        if open.is_none() && code_fence(line) {
            fence = !fence;
            continue;
        }
        if fence {
            continue;
        }
        let trimmed = line.trim();
        let setext = lines.get(n).is_some_and(|next| is_underline(next))
            && !trimmed.is_empty()
            && bullet(line).is_none()
            && keyword(trimmed).is_none();
        if let Some((_, heading)) = heading(trimmed).filter(|_| line.starts_with('#')) {
            spec_close(spec, &mut open);
            title = Some(heading.to_owned());
            continue;
        }
        if setext && id_line(line).is_none() {
            spec_close(spec, &mut open);
            title = Some(trimmed.to_owned());
            n += 1;
            continue;
        }
        if missing_revision(line) {
            spec.reader.warn(
                number,
                format!(
                    "`{}` has no revision (write `type~name~1`); it was not read as an item",
                    trimmed.trim_matches('`')
                ),
            );
            continue;
        }
        if let Some(id) = id_line(line) {
            spec_close(spec, &mut open);
            open = Some(Item::new(&id, number, title.take()));
            part = Part::Description;
            continue;
        }
        if let Some((artifact, types, column, id)) = forward(line) {
            spec_close(spec, &mut open);
            let mut item = Item::new(
                &OftId {
                    artifact,
                    name: id.name,
                    revision: id.revision,
                },
                number,
                title.take(),
            );
            item.description.push(format!(
                "forwards {} of {}",
                types.join(", "),
                line[column..].trim()
            ));
            item.covers.push((
                format!("{}~{}~{}", id.artifact, id.name, id.revision),
                number,
                column as u32 + 1,
            ));
            item.needs = types;
            spec_close(spec, &mut Some(item));
            continue;
        }
        let Some(item) = open.as_mut() else {
            if !trimmed.is_empty() && !is_underline(line) {
                title = None;
            }
            continue;
        };
        if let Some(status) = trimmed.strip_prefix("Status:")
            && item.description.is_empty()
        {
            item.status = Some(status.trim().to_owned());
            continue;
        }
        if let Some((keyword, rest)) = keyword(trimmed) {
            match (keyword, words(rest)) {
                (Part::Needs, Some(list)) => item.needs.extend(list),
                (Part::Tags, Some(list)) => item.tags.extend(list),
                (Part::Description | Part::Rationale | Part::Comment, _) if !rest.is_empty() => {
                    // OpenFastTrace reads such a keyword only alone on its line.
                    item.description.push(trimmed.to_owned());
                    continue;
                }
                _ => {}
            }
            part = keyword;
            continue;
        }
        match part {
            Part::Covers | Part::Depends => {
                if let Some((column, id)) = bullet(line).and_then(|_| last_id(line)) {
                    let written = format!("{}~{}~{}", id.artifact, id.name, id.revision);
                    if part == Part::Covers {
                        item.covers.push((written, number, column as u32 + 1));
                    } else {
                        item.depends.push(written);
                    }
                } else if !trimmed.is_empty() {
                    part = Part::Description;
                    item.description.push(trimmed.to_owned());
                }
            }
            Part::Needs | Part::Tags => match bullet(line) {
                Some(entry) if part == Part::Needs => {
                    if let Some(word) = entry
                        .split(|c: char| !c.is_ascii_alphabetic())
                        .rfind(|w| !w.is_empty())
                    {
                        item.needs.push(word.to_owned());
                    }
                }
                Some(entry) => item.tags.extend(
                    entry
                        .split(',')
                        .map(|t| t.trim().to_owned())
                        .filter(|t| !t.is_empty()),
                ),
                None if trimmed.is_empty() => part = Part::Description,
                None => {
                    part = Part::Description;
                    item.description.push(trimmed.to_owned());
                }
            },
            Part::Description => item.description.push(trimmed.to_owned()),
            Part::Rationale => item.rationale.push(trimmed.to_owned()),
            Part::Comment => item.comment.push(trimmed.to_owned()),
        }
    }
    spec_close(spec, &mut open);
}

fn spec_close(spec: &mut Spec, open: &mut Option<Item>) {
    if let Some(item) = open.take() {
        spec.add(item);
    }
}

/// `oft:off` or `oft:on` as a word in `line`: whether reading is off after it.
fn oft_switch(line: &str) -> Option<bool> {
    let at = line.find("oft:o")?;
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let before = line[..at].chars().next_back();
    for (token, off) in [("oft:off", true), ("oft:on", false)] {
        if line[at..].starts_with(token)
            && !word(before)
            && !word(line[at + token.len()..].chars().next())
        {
            return Some(off);
        }
    }
    None
}

/// A setext underline (`===`, `---`, three or more).
fn is_underline(line: &str) -> bool {
    let t = line.trim_end();
    t.len() >= 3 && (t.bytes().all(|b| b == b'=') || t.bytes().all(|b| b == b'-'))
}

/// The attributes of an AsciiDoc `[.specitem,...]` line: each `oft-KEY="value"`, with the
/// column of each value.
fn specitem(line: &str) -> Option<Vec<(&str, &str, usize)>> {
    let inner = line.trim().strip_prefix('[')?.strip_suffix(']')?;
    if inner.split(',').next().map(str::trim) != Some(".specitem") {
        return None;
    }
    let mut out = Vec::new();
    let mut rest = inner;
    while let Some(at) = rest.find("oft-") {
        let after = &rest[at + 4..];
        let Some((key, value)) = after.split_once("=\"") else {
            break;
        };
        let Some(end) = value.find('"') else { break };
        let column = value.as_ptr() as usize - line.as_ptr() as usize;
        out.push((key, &value[..end], column));
        rest = &value[end + 1..];
    }
    Some(out)
}

/// Whether `line` delimits an AsciiDoc block (`--`, `****`, `====`, `____`).
fn is_delimiter(line: &str) -> bool {
    let t = line.trim_end();
    t == "--"
        || (t.len() >= 4
            && ["*", "=", "_"]
                .iter()
                .any(|c| t.bytes().all(|b| b == c.as_bytes()[0])))
}

fn asciidoc(text: &str, spec: &mut Spec) {
    let lines: Vec<&str> = text.lines().collect();
    let mut title: Option<String> = None;
    let mut n = 0;
    while n < lines.len() {
        let line = lines[n];
        let number = n as u32 + 1;
        n += 1;
        if let Some(rest) = line.strip_prefix('=') {
            let level = rest.bytes().take_while(|b| *b == b'=').count();
            if rest[level..].starts_with(' ') {
                title = Some(rest[level..].trim().to_owned());
                continue;
            }
        }
        let Some(attributes) = specitem(line) else {
            continue;
        };
        let Some((_, sid, _)) = attributes.iter().find(|(k, _, _)| *k == "sid") else {
            spec.reader.warn(
                number,
                "a `.specitem` with no `oft-sid`; it was not read".to_owned(),
            );
            continue;
        };
        let Some((_, id)) = id_at(sid).filter(|(len, _)| *len == sid.len()) else {
            spec.reader.warn(
                number,
                format!(
                    "`{sid}` is no OpenFastTrace id (`type~name~revision`); the item was not read"
                ),
            );
            continue;
        };
        let mut item = Item::new(&id, number, title.clone());
        for (key, value, column) in &attributes {
            let list = || {
                value
                    .split(',')
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
            };
            match *key {
                "needs" => item.needs.extend(list()),
                "tags" => item.tags.extend(list()),
                "title" => item.title = Some((*value).to_owned()),
                "depends" => item.depends.extend(list()),
                "covers" => {
                    for target in list() {
                        item.covers.push((target, number, *column as u32 + 1));
                    }
                }
                _ => {}
            }
        }
        // The text: the delimited block after the line, else the paragraph.
        if let Some(open) = lines.get(n).filter(|l| is_delimiter(l)) {
            let close = open.trim_end();
            n += 1;
            while n < lines.len() && lines[n].trim_end() != close {
                item.description.push(lines[n].trim().to_owned());
                n += 1;
            }
            n += 1;
        } else {
            while n < lines.len() && !lines[n].trim().is_empty() {
                item.description.push(lines[n].trim().to_owned());
                n += 1;
            }
        }
        spec.add(item);
    }
}

/// Reports an OpenFastTrace-shaped id with no revision (`req~name`, `req~name~`) at the start
/// of a Markdown line: probably an item whose revision was forgotten.
pub fn missing_revision(line: &str) -> bool {
    let rest = line.strip_prefix('`').unwrap_or(line);
    let artifact = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
    if artifact == 0 || !rest[artifact..].starts_with('~') {
        return false;
    }
    let name = name_len(&rest[artifact + 1..]);
    if name == 0 {
        return false;
    }
    let after = &rest[artifact + 1 + name..];
    id_at(rest).is_none()
        && (after.is_empty() || after.starts_with('`') || after == "~" || after.starts_with("~`"))
}

#[cfg(test)]
mod tests {
    use super::super::markdown::{diagnostic_lines, read_as};
    use super::*;

    fn items(facts: &FileFacts) -> Vec<String> {
        facts.features[0]
            .items
            .iter()
            .map(|i| {
                format!(
                    "{}:{} r{} needs[{}] | {}",
                    i.line, i.local_id, i.extra["version"], i.extra["needs"], i.text
                )
            })
            .collect()
    }

    fn covers(facts: &FileFacts) -> Vec<String> {
        facts
            .references
            .iter()
            .map(|r| {
                format!(
                    "{}:{} {} covers {}",
                    r.position.line,
                    r.position.column,
                    r.artifact.as_deref().unwrap_or(""),
                    r.target
                )
            })
            .collect()
    }

    const MARKDOWN: &str = "# System requirements

## Tracing
`feat~tracing~1`

kg traces requirements.

Needs: req

### Deep coverage
`req~tracing.deep-coverage~2`

An item is covered deeply when everything that covers it is covered.
Rationale:
Shallow coverage hides gaps.

Covers:
* [feat~tracing~1](#tracing)

Depends:
- `req~import~1`

Needs:
* dsn
* impl

Tags: Core, Cli
## Example
```
`req~not-an-item~1`
```

dsn --> impl, utest : req~forwarded~3
";

    // verifies: index/openfasttrace
    #[test]
    fn reads_markdown_items_with_their_needs_and_covers() {
        let facts = read_as(parse, "doc/spec/system_requirements.md", MARKDOWN);
        assert_eq!(facts.features[0].name, "doc.spec.system_requirements");
        assert_eq!(facts.features[0].tool, Tool::Oft);
        assert_eq!(
            items(&facts),
            vec![
                "4:feat~tracing r1 needs[req] | kg traces requirements.",
                "11:req~tracing.deep-coverage r2 needs[dsn,impl] | An item is covered deeply when everything that covers it is covered.",
                "33:dsn~forwarded r3 needs[impl,utest] | forwards impl, utest of req~forwarded~3",
            ]
        );
        let item = &facts.features[0].items[1];
        assert_eq!(item.extra["title"], "Deep coverage");
        assert_eq!(item.extra["rationale"], "Shallow coverage hides gaps.");
        assert_eq!(item.extra["depends"], "req~import~1");
        assert_eq!(item.extra["tags"], "Core,Cli");
        assert_eq!(item.extra["kind"], "req");
        assert_eq!(
            covers(&facts),
            vec![
                "18:4 req covers feat~tracing~1",
                "33:23 dsn covers req~forwarded~3"
            ]
        );
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
    }

    // verifies: index/openfasttrace
    #[test]
    fn reads_asciidoc_spec_items_as_up_spec_writes_them() {
        let text = "= uProtocol Error Model

== Data Model

[.specitem,oft-sid=\"req~ustatus-data-model-impl~1\",oft-needs=\"impl,utest\",oft-tags=\"LanguageLibrary\"]
--
* *MUST* implement the data model.
--

[.specitem,oft-sid=\"dsn~mqtt5-mapping~2\",oft-covers=\"req~ustatus-data-model-impl~1\",oft-needs=\"impl\",oft-title=\"Mapping\"]
****
A packet *MUST* carry
the attributes.
****

[.specitem,oft-sid=\"req~no-revision\"]
--
text
--
";
        let facts = read_as(parse, "basics/error_model.adoc", text);
        assert_eq!(
            items(&facts),
            vec![
                "5:req~ustatus-data-model-impl r1 needs[impl,utest] | * *MUST* implement the data model.",
                "10:dsn~mqtt5-mapping r2 needs[impl] | A packet *MUST* carry the attributes.",
            ]
        );
        assert_eq!(facts.features[0].items[0].extra["title"], "Data Model");
        assert_eq!(facts.features[0].items[1].extra["title"], "Mapping");
        assert_eq!(
            covers(&facts),
            vec!["10:54 dsn covers req~ustatus-data-model-impl~1"]
        );
        assert_eq!(
            diagnostic_lines(&facts),
            vec![
                "16: `req~no-revision` is no OpenFastTrace id (`type~name~revision`); the item was not read"
            ]
        );
    }

    #[test]
    fn sniffs_only_documents_that_declare_items() {
        assert!(sniff(MARKDOWN.as_bytes()));
        assert!(sniff(b"[.specitem,oft-sid=\"req~a~1\"]\n"));
        assert!(!sniff(b"See `req~a~1` in the text.\n"));
        assert!(!sniff(b"```\nreq~a~1\n```\n"));
        assert!(!sniff(b"# No items\n"));
    }

    #[test]
    fn ids_are_read_as_openfasttrace_writes_them() {
        assert_eq!(
            id_at("dsn~a.b-c_d~12`").map(|(l, i)| (l, i.local(), i.revision)),
            Some((14, "dsn~a.b-c_d".to_owned(), 12))
        );
        assert!(id_at("dsn~1a~1").is_none());
        assert!(id_at("dsn~a~").is_none());
        assert!(id_at("dsn~a~1x").is_none());
        assert_eq!(name_len("a.b.~"), 3);
        assert!(missing_revision("`req~forgotten`"));
        assert!(missing_revision("req~forgotten~"));
        assert!(!missing_revision("req~fine~1"));
    }
}
