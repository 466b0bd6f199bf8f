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

    // implements: index/bounded
    // A section runs until the next heading of its level or above; the sections still open
    // (a stack, at most six deep) are the new one's ancestors. Linear in the headings.
    let last_line = lines.count();
    let mut open: Vec<usize> = Vec::new();
    for (level, start, title) in &headings {
        while let Some(&top) = open.last() {
            if facts.sections[top].level < *level {
                break;
            }
            let section = &mut facts.sections[top];
            section.end_line = (start - 1).max(section.start_line);
            open.pop();
        }
        let parent = open.last().copied();
        let mut heading_path =
            parent.map_or_else(Vec::new, |p| facts.sections[p].heading_path.clone());
        heading_path.push(title.clone());
        open.push(facts.sections.len());
        facts.sections.push(DocSection {
            title: title.clone(),
            heading_path,
            level: *level,
            start_line: *start,
            end_line: last_line.max(*start),
            parent,
        });
    }

    let heading_lines: std::collections::HashSet<u32> =
        headings.iter().map(|(_, line, _)| *line).collect();
    // Lines go in order, and so do code blocks and sections: one cursor into each.
    let (mut code, mut last_started) = (0usize, None::<usize>);
    // The feature whose spec directory holds this doc (`.kiro/specs/auth/design.md`).
    let feature = syntax.scope(&facts.path);
    for (n, line) in text.lines().enumerate() {
        let number = n as u32 + 1;
        while code_lines.get(code).is_some_and(|r| r.end <= number) {
            code += 1;
        }
        if code_lines.get(code).is_some_and(|r| r.contains(&number)) {
            continue;
        }
        // The innermost section holding the line: the last one started, or its nearest
        // ancestor that has not ended.
        let started = last_started.map_or(0, |i| i + 1);
        let more = facts.sections[started..]
            .iter()
            .take_while(|s| s.start_line <= number)
            .count();
        if more > 0 {
            last_started = Some(started + more - 1);
        }
        let mut holder = last_started;
        while let Some(i) = holder
            && facts.sections[i].end_line < number
        {
            holder = facts.sections[i].parent;
        }
        let anchor = holder.map_or(Anchor::File, Anchor::Section);
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

    // verifies: index/bounded
    #[test]
    fn many_sections_code_blocks_and_markers_take_linear_time() {
        // 20,000 sections took 36 s (every line looked for its section among all of them).
        let mut text = String::new();
        for i in 0..20_000 {
            text.push_str(&format!(
                "# h{i}\n## s{i}\nimplements: a/AC-{i}\n```\nx\n```\nFR-{i:03}\n"
            ));
        }
        let mut facts = FileFacts::new("docs/big.md", FileKind::Doc, "0", text.len() as u64);
        let started = std::time::Instant::now();
        parse_markdown(&text, &NATIVE, &mut facts);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(facts.sections.len(), 40_000);
        assert_eq!(facts.references.len(), 20_000);
        // Each marker anchors to its `##` section, whose parent is the `#` one.
        let last = facts.references.last().unwrap();
        assert_eq!(last.anchor, Anchor::Section(39_999));
        assert_eq!(facts.sections[39_999].parent, Some(39_998));
        assert_eq!(facts.sections[39_998].end_line, 7 * 20_000);
    }

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
