//! Files kg does not parse (Swift, Python, C, Go, shell, YAML workflows, ...), read for the tags
//! in their comments only: a line scanner that knows each language's comment syntax by the
//! file's extension ([`COMMENTS`]) finds the comment text on every line and scans it with the
//! marker syntaxes. Each reference attaches to the file, at its line; in a test file it
//! verifies.

// implements: index/any-language

use super::refs::{self, MarkerSyntax};
use crate::facts::{Anchor, FileFacts, Position, Reference, Relation, Severity};

/// How a language writes comments: line comment openers, and a block comment's delimiters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentSyntax {
    pub line: &'static [&'static str],
    pub block: Option<(&'static str, &'static str)>,
}

const C_LIKE: CommentSyntax = CommentSyntax {
    line: &["//"],
    block: Some(("/*", "*/")),
};
const HASH: CommentSyntax = CommentSyntax {
    line: &["#"],
    block: None,
};
/// Python: `#` comments, and docstrings, where StrictDoc's markers stand.
const PYTHON: CommentSyntax = CommentSyntax {
    line: &["#"],
    block: Some(("\"\"\"", "\"\"\"")),
};
const DASHES: CommentSyntax = CommentSyntax {
    line: &["--"],
    block: None,
};
const MARKUP: CommentSyntax = CommentSyntax {
    line: &[],
    block: Some(("<!--", "-->")),
};

/// The comment syntax of each extension kg reads this way, one line each.
pub const COMMENTS: &[(&str, CommentSyntax)] = &[
    ("swift", C_LIKE),
    ("c", C_LIKE),
    ("h", C_LIKE),
    ("cc", C_LIKE),
    ("cpp", C_LIKE),
    ("hpp", C_LIKE),
    ("cs", C_LIKE),
    ("java", C_LIKE),
    ("kt", C_LIKE),
    ("kts", C_LIKE),
    ("go", C_LIKE),
    ("js", C_LIKE),
    ("jsx", C_LIKE),
    ("mjs", C_LIKE),
    ("cjs", C_LIKE),
    ("scala", C_LIKE),
    ("dart", C_LIKE),
    ("zig", C_LIKE),
    ("proto", C_LIKE),
    ("dfy", C_LIKE),
    ("smithy", C_LIKE),
    ("py", PYTHON),
    ("rb", HASH),
    ("sh", HASH),
    ("bash", HASH),
    ("zsh", HASH),
    ("yaml", HASH),
    ("yml", HASH),
    ("toml", HASH),
    ("ttl", HASH),
    ("pl", HASH),
    ("r", HASH),
    ("tf", HASH),
    ("nix", HASH),
    ("ex", HASH),
    ("exs", HASH),
    ("sql", DASHES),
    ("lua", DASHES),
    ("hs", DASHES),
    ("html", MARKUP),
    ("xml", MARKUP),
];

/// The comment syntax of `path`, if kg reads files like it for tags.
pub fn comment_syntax(path: &str) -> Option<CommentSyntax> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let (_, extension) = name.rsplit_once('.')?;
    COMMENTS
        .iter()
        .find(|(e, _)| e.eq_ignore_ascii_case(extension))
        .map(|(_, syntax)| *syntax)
}

/// Adds the references in the comments of `text` to `facts`.
pub fn parse_text(text: &str, syntax: &dyn MarkerSyntax, facts: &mut FileFacts) {
    let Some(comments) = comment_syntax(&facts.path) else {
        return;
    };
    let mut in_block = false;
    // The lines with a comment, where references written across lines (duvet's) count.
    let mut comment_lines = std::collections::HashSet::new();
    for (n, line) in text.lines().enumerate() {
        for (start, comment) in comment_parts(line, comments, &mut in_block) {
            comment_lines.insert(n as u32 + 1);
            let at = |p: Position| Position {
                line: n as u32 + 1,
                column: (start + p.column as usize) as u32,
            };
            for (position, message) in
                refs::block_problems(syntax, comment, Position { line: 1, column: 1 })
            {
                facts.diagnostic(Severity::Warning, Some(at(position)), message);
            }
            for found in refs::scan_block(syntax, comment, Position { line: 1, column: 1 }) {
                let relation = match found.relation {
                    Relation::Implements if facts.is_test_file && found.artifact.is_none() => {
                        Relation::Verifies
                    }
                    other => other,
                };
                facts.references.push(Reference {
                    target: found.target,
                    marker: found.relation,
                    relation,
                    anchor: Anchor::File,
                    position: Position {
                        line: n as u32 + 1,
                        column: (start + found.position.column as usize) as u32,
                    },
                    local: found.local,
                    feature: found.feature,
                    by_title: false,
                    tool: found.tool,
                    artifact: found.artifact,
                    quote: None,
                });
            }
        }
    }
    let in_comment = |line: u32| comment_lines.contains(&line);
    refs::add_file_references(syntax, text, facts, in_comment, |_, _| Anchor::File);
}

/// The comment text on `line` (each part with its byte offset), given whether a block comment
/// is open at its start; `in_block` says whether one is open at its end. A comment opener inside
/// a double-quoted string is not one.
fn comment_parts<'a>(
    line: &'a str,
    syntax: CommentSyntax,
    in_block: &mut bool,
) -> Vec<(usize, &'a str)> {
    let mut parts = Vec::new();
    let mut i = 0;
    let mut in_string = false;
    while i < line.len() {
        let rest = &line[i..];
        if *in_block {
            let close = syntax.block.map_or("", |(_, close)| close);
            match rest.find(close) {
                Some(end) if !close.is_empty() => {
                    parts.push((i, &rest[..end]));
                    i += end + close.len();
                    *in_block = false;
                }
                _ => {
                    parts.push((i, rest));
                    return parts;
                }
            }
            continue;
        }
        let Some(c) = rest.chars().next() else {
            break;
        };
        if !in_string {
            // The text after the opener: a marker stands at the start of a comment's text.
            if let Some(open) = syntax.line.iter().find(|open| rest.starts_with(**open)) {
                parts.push((i + open.len(), &rest[open.len()..]));
                return parts;
            }
            // (A Python docstring opens with quotes: the opener comes before the string.)
            if let Some((open, _)) = syntax.block
                && rest.starts_with(open)
            {
                *in_block = true;
                i += open.len();
                continue;
            }
        }
        if c == '"' && (i == 0 || line.as_bytes()[i - 1] != b'\\') {
            in_string = !in_string;
        }
        i += c.len_utf8();
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::FileKind;

    fn references(path: &str, text: &str) -> Vec<String> {
        let mut facts = FileFacts::new(path, FileKind::Text, "0", 0);
        parse_text(text, &refs::ALL, &mut facts);
        facts
            .references
            .iter()
            .map(|r| {
                let p = r.position;
                format!("{}:{} {:?} {}", p.line, p.column, r.relation, r.target)
            })
            .collect()
    }

    // verifies: index/any-language
    #[test]
    fn reads_tags_in_each_languages_comments() {
        let swift = "/// r[impl rpc.channel.close] - Data after close is rejected.\nlet s = \"// r[impl not.a.comment]\"\n/* implements: a/b\n   r[verify link] */ let x = 1 // r[impl link]\n";
        assert_eq!(
            references("swift/Channel.swift", swift),
            vec![
                "1:12 Implements rpc.channel.close",
                "3:16 Implements a/b",
                "4:13 Verifies link",
                "4:42 Implements link",
            ]
        );
        assert_eq!(
            references(
                "ci/build.yml",
                "steps: # implements: ci/fast\n  - run: echo '#'\n"
            ),
            vec!["1:22 Implements ci/fast"]
        );
        assert_eq!(
            references("db/schema.sql", "-- r[impl store.schema]\nSELECT 1;\n"),
            vec!["1:11 Implements store.schema"]
        );
        // A file of no known comment syntax gives nothing.
        assert!(references("notes.txt", "// implements: a/b\n").is_empty());
    }

    // verifies: index/any-language, index/strictdoc
    #[test]
    fn python_docstrings_are_read_as_comments() {
        let py = "\"\"\"Excel import.\n@relation(SDOC-SRS-152, scope=file)\n\"\"\"\nx = \"# no\"  # implements: a/b\n";
        assert_eq!(
            references("strictdoc/excel.py", py),
            vec!["2:11 Implements SDOC-SRS-152", "4:27 Implements a/b"]
        );
    }

    // verifies: index/any-language
    #[test]
    fn in_a_test_file_a_tag_verifies() {
        let mut facts = FileFacts::new("Tests/ChannelTests.swift", FileKind::Text, "0", 0);
        facts.is_test_file = true;
        parse_text("// r[impl rpc.channel.close]\n", &refs::ALL, &mut facts);
        assert_eq!(facts.references[0].relation, Relation::Verifies);
    }
}
