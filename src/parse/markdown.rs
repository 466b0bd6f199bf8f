//! Reads Markdown docs: sections by heading, reference markers, and mentions of spec ids.
//!
//! pulldown-cmark finds headings and code blocks; markers and mentions are then read from the
//! lines outside code blocks, so an example such as "// implements: x/AC-1" inside a fenced block
//! is never taken for a reference.

// implements: index/docs

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::facts::{Anchor, DocSection, FileFacts, Mention, Position, Reference, Relation};

use super::LineIndex;
use super::refs::{self, MarkerSyntax};

/// Parses `text` as Markdown and adds its sections, references and mention candidates to `facts`.
pub fn parse_markdown(text: &str, syntax: &dyn MarkerSyntax, facts: &mut FileFacts) {
    let lines = LineIndex::new(text);
    let mut code_lines: Vec<Range<u32>> = Vec::new();
    let mut headings: Vec<(u32, u32, String)> = Vec::new();
    let mut heading: Option<(u32, u32, String)> = None;
    let mut code_start = None;
    for (event, range) in Parser::new_ext(text, Options::empty()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some((level as u32, lines.line_of(range.start), String::new()));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, _, title)) = heading.as_mut() {
                    title.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, line, title)) = heading.take() {
                    headings.push((level, line, title.trim().to_owned()));
                }
            }
            Event::Start(Tag::CodeBlock(_)) => code_start = Some(lines.line_of(range.start)),
            Event::End(TagEnd::CodeBlock) => {
                if let Some(start) = code_start.take() {
                    let end = lines.line_of(range.end.saturating_sub(1));
                    code_lines.push(start..end + 1);
                }
            }
            _ => {}
        }
    }

    let last_line = lines.count();
    for (i, (level, start, title)) in headings.iter().enumerate() {
        let end = headings[i + 1..]
            .iter()
            .find(|(l, _, _)| l <= level)
            .map_or(last_line, |(_, next, _)| next - 1);
        let parent = facts
            .sections
            .iter()
            .rposition(|s| s.level < *level && s.end_line >= *start);
        let mut heading_path =
            parent.map_or_else(Vec::new, |p| facts.sections[p].heading_path.clone());
        heading_path.push(title.clone());
        facts.sections.push(DocSection {
            title: title.clone(),
            heading_path,
            level: *level,
            start_line: *start,
            end_line: end.max(*start),
            parent,
        });
    }

    let heading_lines: Vec<u32> = headings.iter().map(|(_, line, _)| *line).collect();
    // The feature whose spec directory holds this doc (`.kiro/specs/auth/design.md`).
    let feature = syntax.scope(&facts.path);
    for (n, line) in text.lines().enumerate() {
        let number = n as u32 + 1;
        if code_lines.iter().any(|r| r.contains(&number)) {
            continue;
        }
        let anchor = facts
            .sections
            .iter()
            .rposition(|s| s.start_line <= number && number <= s.end_line)
            .map_or(Anchor::File, Anchor::Section);
        // Prose cites local ids (`FR-003`) all the time; only markers declare in docs, and in a
        // feature's own design doc a `Validates:` line (Kiro's correctness properties).
        let validates = feature.is_some() && line.contains("Validates");
        let found: Vec<_> = if heading_lines.contains(&number) {
            Vec::new()
        } else {
            syntax
                .scan_line(line)
                .into_iter()
                .filter(|f| !f.local || validates)
                .collect()
        };
        let marked: Vec<usize> = found.iter().map(|f| f.offset).collect();
        for f in found {
            let relation = if f.local && f.artifact.is_none() {
                Relation::Documents
            } else {
                f.relation
            };
            facts.references.push(Reference {
                target: f.target,
                marker: relation,
                relation,
                anchor,
                position: Position {
                    line: number,
                    column: f.offset as u32 + 1,
                },
                local: f.local,
                feature: f.local.then(|| feature.clone()).flatten(),
                by_title: false,
                tool: f.tool,
                artifact: f.artifact,
                quote: None,
            });
        }
        for (offset, target) in refs::mention_candidates(line) {
            if !marked.contains(&offset) {
                facts.mentions.push(Mention {
                    target,
                    anchor,
                    position: Position {
                        line: number,
                        column: offset as u32 + 1,
                    },
                });
            }
        }
    }
    // An OpenSpec delta spec proposes changes to its capability's requirements.
    if let Some((_, capability)) = crate::parse::spec::openspec::delta_spec(&facts.path) {
        facts.proposes = crate::parse::spec::openspec::proposed(capability, text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::FileKind;
    use crate::parse::refs::NATIVE;

    const DOC: &str = "Intro mentions a/AC-9.\n\
# Upload\n\
\n\
## Formats\n\
<!-- documents: a/AC-1 -->\n\
PNG and JPG, see a/AC-1 and `a/size-limit`.\n\
\n\
```rust\n\
// implements: a/AC-2\n\
```\n\
\n\
### Limits\n\
documents: a/size-limit\n\
\n\
## Other\n\
text\n";

    // verifies: index/docs
    #[test]
    fn sections_markers_and_mentions() {
        let mut facts = FileFacts::new("docs/u.md", FileKind::Doc, "0", DOC.len() as u64);
        parse_markdown(DOC, &NATIVE, &mut facts);
        let sections: Vec<_> = facts
            .sections
            .iter()
            .map(|s| {
                format!(
                    "{} {}-{} {:?}",
                    s.heading_path.join(" > "),
                    s.start_line,
                    s.end_line,
                    s.parent
                )
            })
            .collect();
        assert_eq!(
            sections,
            vec![
                "Upload 2-16 None",
                "Upload > Formats 4-14 Some(0)",
                "Upload > Formats > Limits 12-14 Some(1)",
                "Upload > Other 15-16 Some(0)",
            ]
        );
        let references: Vec<_> = facts
            .references
            .iter()
            .map(|r| format!("{} {} {:?}", r.position.line, r.target, r.anchor))
            .collect();
        assert_eq!(
            references,
            vec!["5 a/AC-1 Section(1)", "13 a/size-limit Section(2)"]
        );
        let mentions: Vec<_> = facts
            .mentions
            .iter()
            .map(|m| {
                format!(
                    "{}:{} {} {:?}",
                    m.position.line, m.position.column, m.target, m.anchor
                )
            })
            .collect();
        assert_eq!(
            mentions,
            vec![
                "1:16 a/AC-9 File",
                "6:18 a/AC-1 Section(1)",
                "6:30 a/size-limit Section(1)"
            ]
        );
    }
}
