//! OpenFastTrace's coverage tags: `[impl->dsn~cli.tracing~2]` says the code around it, an
//! artifact of type `impl`, covers the spec item `dsn~cli.tracing` at revision 2. The tag may
//! name its own item (`[impl~parse-args~1->dsn~x~2]`) or forward needs
//! (`[dsn->req~x~1>>impl,utest]`); spaces are allowed between the parts. `impl` implements,
//! a test type (`utest`, `itest`, `test`) verifies, and any other type covers in its own way
//! (`Relation::Covers`); the type is kept as the reference's artifact. Ids are local: they name
//! OpenFastTrace's spec items only.

// implements: index/openfasttrace

use super::*;
use crate::parse::spec::oft::{OftId, id_at, name_len};

/// OpenFastTrace's coverage tags.
pub struct OftTags;

pub static OFT: OftTags = OftTags;

/// A tag read from a line: where its covered id starts, the artifact type, the id.
struct Tag<'a> {
    offset: usize,
    artifact: &'a str,
    id: OftId<'a>,
}

/// What stands at a `[`: a tag, a tag written wrong (with what is wrong), or nothing tag-shaped.
enum Found<'a> {
    Tag(Tag<'a>),
    Wrong(String),
    Nothing,
}

/// The relation an artifact type establishes.
pub fn relation_of(artifact: &str) -> Relation {
    match artifact {
        "impl" => Relation::Implements,
        t if t.ends_with("test") => Relation::Verifies,
        _ => Relation::Covers,
    }
}

fn skip_spaces(text: &str, at: usize) -> usize {
    at + text[at..].len() - text[at..].trim_start().len()
}

/// Reads the tag-shaped text at `open`, a `[` in `line`.
fn tag_at(line: &str, open: usize) -> Found<'_> {
    let mut at = skip_spaces(line, open + 1);
    let artifact_len = line[at..]
        .bytes()
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    if artifact_len == 0 {
        return Found::Nothing;
    }
    let artifact = &line[at..at + artifact_len];
    at += artifact_len;
    // The tag's own name and revision: `~name~1`, or `~~1`.
    if line[at..].starts_with('~') {
        at += 1 + name_len(&line[at + 1..]);
        if !line[at..].starts_with('~') {
            return Found::Nothing;
        }
        let digits = line[at + 1..]
            .bytes()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 {
            return Found::Nothing;
        }
        at += 1 + digits;
    }
    at = skip_spaces(line, at);
    if !line[at..].starts_with("->") {
        return Found::Nothing;
    }
    at = skip_spaces(line, at + 2);
    let written = line[at..]
        .split(|c: char| c.is_whitespace() || c == ']' || c == '>')
        .next()
        .unwrap_or("");
    let Some((len, id)) = id_at(&line[at..]) else {
        // An arrow in prose (`a -> b` in brackets) is no tag; an id without its revision is one
        // written wrong.
        if !written.contains('~') {
            return Found::Nothing;
        }
        return Found::Wrong(format!(
            "`{written}` is no OpenFastTrace id (`type~name~revision`); the tag covers nothing"
        ));
    };
    let offset = at;
    at = skip_spaces(line, at + len);
    if line[at..].starts_with(">>") {
        at = skip_spaces(line, at + 2);
        let types = line[at..]
            .bytes()
            .take_while(|b| b.is_ascii_alphabetic() || b.is_ascii_whitespace() || *b == b',')
            .count();
        at += types;
    }
    if !line[at..].starts_with(']') {
        return Found::Wrong(format!(
            "`{}` is not closed on its line; it covers nothing",
            line[open..].trim_end()
        ));
    }
    Found::Tag(Tag {
        offset,
        artifact,
        id,
    })
}

impl OftTags {
    fn each(line: &str) -> impl Iterator<Item = Found<'_>> {
        line.match_indices('[')
            .map(move |(open, _)| tag_at(line, open))
    }
}

impl MarkerSyntax for OftTags {
    fn scan_line(&self, line: &str) -> Vec<FoundReference> {
        if !line.contains("->") {
            return Vec::new();
        }
        Self::each(line)
            .filter_map(|found| match found {
                Found::Tag(tag) => Some(FoundReference {
                    relation: relation_of(tag.artifact),
                    target: format!("{}~{}", tag.id.local(), tag.id.revision),
                    offset: tag.offset,
                    local: true,
                    tool: Tool::Oft,
                    artifact: Some(tag.artifact.to_owned()),
                    whole_file: false,
                }),
                _ => None,
            })
            .collect()
    }

    fn problems(&self, line: &str) -> Vec<(usize, String)> {
        if !line.contains("->") {
            return Vec::new();
        }
        line.match_indices('[')
            .filter_map(|(open, _)| match tag_at(line, open) {
                Found::Wrong(message) => Some((open, message)),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(line: &str) -> Vec<String> {
        OFT.scan_line(line)
            .iter()
            .map(|r| {
                format!(
                    "{} {:?} {} {}",
                    r.offset,
                    r.relation,
                    r.artifact.as_deref().unwrap_or(""),
                    r.target
                )
            })
            .collect()
    }

    // verifies: index/openfasttrace
    #[test]
    fn reads_each_form_of_coverage_tag() {
        assert_eq!(
            tags("// [impl->dsn~cli.tracing~2] and [ utest -> dsn~cli.tracing~2 ]"),
            vec![
                "10 Implements impl dsn~cli.tracing~2",
                "44 Verifies utest dsn~cli.tracing~2"
            ]
        );
        assert_eq!(
            tags("// [impl~parse-args~1->req~x~3] [itest~~2->req~y~1]"),
            vec!["23 Implements impl req~x~3", "43 Verifies itest req~y~1"]
        );
        assert_eq!(
            tags("# [dsn->req~x~1>>impl,utest]"),
            vec!["8 Covers dsn req~x~1"]
        );
        // Not tags: a link, an array index, a tracey tag.
        assert!(tags("see [the docs](https://x) and a[i] -> b, r[impl x.y]").is_empty());
    }

    // verifies: index/bad-input
    #[test]
    fn a_tag_written_wrong_is_a_problem() {
        assert_eq!(
            OFT.problems("// [impl->dsn~no-revision] [utest->dsn~x~1"),
            vec![
                (
                    3,
                    "`dsn~no-revision` is no OpenFastTrace id (`type~name~revision`); the tag covers nothing".to_owned()
                ),
                (
                    27,
                    "`[utest->dsn~x~1` is not closed on its line; it covers nothing".to_owned()
                ),
            ]
        );
        assert!(
            OFT.problems("// [impl->dsn~x~1] fine, a -> b, [x -> y]")
                .is_empty()
        );
    }
}
