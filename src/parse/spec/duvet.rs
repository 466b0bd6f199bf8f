//! Reads the specs duvet cites, where a repository keeps them: Markdown under a `specification`
//! directory (as the AWS Database Encryption SDK writes its specs), and the IETF texts duvet
//! downloads (`.duvet/specifications/<host>/<path>.txt`, `specs/...`, `compliance/specs/...`).
//! Each section is read as duvet reads it (Markdown: every heading starts a flat section whose
//! id is its `{#id}` or the slug of its title, repeats numbered `-1`, `-2`; IETF: `4.1.` is
//! `section-4.1`, `Appendix A.` is `appendix-A`), and a section that states a requirement (a
//! sentence with MUST, SHALL, SHOULD, MAY, REQUIRED, RECOMMENDED or OPTIONAL) is an item: its
//! id the section's, its text those sentences, and its whole text (whitespace collapsed) kept as
//! `section_text` for the quotes that cite it. The spec is a feature named by what cites it
//! ([`target_feature`]), with [`Tool::Duvet`].

// implements: index/duvet

use std::collections::HashMap;

use super::markdown::{Reader, heading, outside_fences};
use crate::facts::{FileFacts, Tool};

/// The directories duvet downloads specs into, left out of a spec's name.
const DOWNLOADS: &[&str] = &[".duvet/specifications/", "compliance/specs/", "specs/"];

/// The feature a duvet target names, and the feature of the spec at that path: the target
/// without scheme, download directory and extension, `.` for `/`. RFCs by any of their URLs are
/// `www.rfc-editor.org.rfc.rfc9114`; `specification/decrypt.md` is `specification.decrypt`.
pub fn target_feature(target: &str) -> String {
    let mut rest = target.trim();
    let url = rest.contains("://");
    if let Some((_, after)) = rest.split_once("://") {
        rest = after;
    }
    rest = rest.trim_start_matches("./").trim_end_matches('/');
    if !url {
        for download in DOWNLOADS {
            if let Some(inner) = rest.strip_prefix(download) {
                rest = inner;
                break;
            }
        }
    }
    let name = rest.rsplit('/').next().unwrap_or(rest);
    let stem_len = match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && ["txt", "md", "html", "xml", "pdf", "markdown"].contains(&ext) =>
        {
            rest.len() - ext.len() - 1
        }
        _ => rest.len(),
    };
    let path = rfc_canonical(&rest[..stem_len]);
    path.replace('/', ".")
}

/// An RFC's path on rfc-editor.org, whichever of its hosts a URL names.
fn rfc_canonical(path: &str) -> String {
    let last = path.rsplit('/').next().unwrap_or(path);
    let is_rfc = last.len() > 3
        && last.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("rfc"))
        && last[3..].bytes().all(|b| b.is_ascii_digit());
    let host = path.split('/').next().unwrap_or("");
    let ietf = [
        "www.rfc-editor.org",
        "rfc-editor.org",
        "tools.ietf.org",
        "datatracker.ietf.org",
    ];
    if is_rfc && ietf.contains(&host) {
        format!("www.rfc-editor.org/rfc/{}", last.to_ascii_lowercase())
    } else {
        path.to_owned()
    }
}

/// Whitespace collapsed to single spaces, trimmed, and list bullets (`-`, `*`, `+` standing
/// alone) left out: how quotes and section texts compare, so that a list restyled from `*` to
/// `-` still holds its quotes.
pub fn collapse(text: &str) -> String {
    text.split_whitespace()
        .filter(|word| !matches!(*word, "-" | "*" | "+"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The RFC 2119 words duvet reads as requirement levels.
const KEYWORDS: &[&str] = &[
    "MUST",
    "SHALL",
    "SHOULD",
    "MAY",
    "REQUIRED",
    "RECOMMENDED",
    "OPTIONAL",
];

fn has_keyword(sentence: &str) -> bool {
    sentence
        .split(|c: char| !c.is_ascii_alphabetic())
        .any(|word| KEYWORDS.contains(&word))
}

/// The sentences of `text` that state a requirement.
fn requirement_sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        let ends = *b == b'.' && bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace());
        if ends || i + 1 == bytes.len() {
            let sentence = text[start..=i].trim();
            if has_keyword(sentence) {
                out.push(sentence.to_owned());
            }
            start = i + 1;
        }
    }
    out
}

/// A section: its id, title, first line and lines.
struct Section {
    id: String,
    title: String,
    line: u32,
    lines: Vec<String>,
}

/// duvet's slug of a heading: lower case, each run of other characters than letters and digits
/// one `-`, none at either end.
fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// The Markdown sections of `text`.
fn markdown_sections(text: &str) -> Vec<Section> {
    let lines: Vec<&str> = text.lines().collect();
    let mut sections: Vec<Section> = Vec::new();
    let mut seen: HashMap<String, u32> = HashMap::new();
    for (n, line) in outside_fences(&lines) {
        if let Some((_, title)) = heading(line.trim_end()) {
            let (title, id) = match title.rsplit_once("{#") {
                Some((t, id)) if id.ends_with('}') => {
                    (t.trim(), id.trim_end_matches('}').to_owned())
                }
                _ => (title, slug(title)),
            };
            let count = seen.entry(id.clone()).or_default();
            let id = if *count == 0 {
                id
            } else {
                format!("{id}-{count}")
            };
            *count += 1;
            sections.push(Section {
                id,
                title: title.to_owned(),
                line: n as u32 + 1,
                lines: Vec::new(),
            });
        } else if let Some(section) = sections.last_mut() {
            section.lines.push(line.to_owned());
        }
    }
    sections
}

/// The sections of an IETF text: `4.1.  Title` and `Appendix A.1.  Title` at the start of a line
/// (the contents, indented, are not), page headers and footers left out.
fn ietf_sections(text: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches(['\r', '\u{c}']);
        let page = line.ends_with(']') && line.contains("[Page ");
        let header = line.starts_with("RFC ") && line.split_whitespace().count() > 2;
        if page || header {
            continue;
        }
        if let Some((id, title)) = ietf_heading(line) {
            sections.push(Section {
                id,
                title: title.to_owned(),
                line: n as u32 + 1,
                lines: Vec::new(),
            });
        } else if let Some(section) = sections.last_mut() {
            section.lines.push(line.to_owned());
        }
    }
    sections
}

/// `4.1.  HTTP Message Framing` is `section-4.1`; `Appendix A.  Title` is `appendix-A`.
fn ietf_heading(line: &str) -> Option<(String, &str)> {
    let (prefix, rest) = match line.strip_prefix("Appendix ") {
        Some(rest) => ("appendix-", rest),
        None => ("section-", line),
    };
    let number_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'.')
        .count();
    let number = rest[..number_len].trim_end_matches('.');
    let title = rest[number_len..].trim();
    let numbered = match prefix {
        "section-" => number.bytes().next().is_some_and(|b| b.is_ascii_digit()),
        _ => number
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_uppercase()),
    };
    let well_formed = number
        .split('.')
        .all(|part| !part.is_empty() && part.len() <= 3);
    (numbered && well_formed && rest[number_len..].starts_with(' ') && !title.is_empty())
        .then(|| (format!("{prefix}{number}"), title))
}

/// Parses a spec duvet cites and adds its feature and items to `facts`.
pub fn parse(text: &str, facts: &mut FileFacts) {
    let mut reader = Reader::new(&facts.path);
    reader.feature.name = target_feature(&facts.path);
    reader.feature.tool = Tool::Duvet;
    let markdown = facts.path.ends_with(".md") || facts.path.ends_with(".markdown");
    let sections = if markdown {
        markdown_sections(text)
    } else {
        ietf_sections(text)
    };
    for section in sections {
        let body = collapse(&section.lines.join("\n"));
        let sentences = requirement_sentences(&body);
        if sentences.is_empty() {
            continue;
        }
        if reader.add(section.id, "requirement", sentences.join(" "), section.line)
            && let Some(item) = reader.feature.items.last_mut()
        {
            item.extra.insert("title".to_owned(), section.title);
            item.extra.insert("section_text".to_owned(), body);
        }
    }
    // A spec's pages without requirements (a change's background) are no mistake.
    if reader.feature.items.is_empty() {
        return;
    }
    reader.finish(facts, "");
}

#[cfg(test)]
mod tests {
    use super::super::markdown::{item_lines, read_as};
    use super::*;

    // verifies: index/duvet
    #[test]
    fn targets_and_spec_paths_name_the_same_feature() {
        for (target, feature) in [
            (
                "specification/dynamodb/decrypt-item.md",
                "specification.dynamodb.decrypt-item",
            ),
            (
                "https://www.rfc-editor.org/rfc/rfc9114",
                "www.rfc-editor.org.rfc.rfc9114",
            ),
            (
                "https://tools.ietf.org/html/rfc9114",
                "www.rfc-editor.org.rfc.rfc9114",
            ),
            (
                "https://datatracker.ietf.org/doc/html/rfc9114.txt",
                "www.rfc-editor.org.rfc.rfc9114",
            ),
            (
                ".duvet/specifications/www.rfc-editor.org/rfc/rfc9114.txt",
                "www.rfc-editor.org.rfc.rfc9114",
            ),
            (
                "compliance/specs/www.rfc-editor.org/rfc/rfc8446.txt",
                "www.rfc-editor.org.rfc.rfc8446",
            ),
            ("docs/αβ.md", "docs.αβ"),
        ] {
            assert_eq!(target_feature(target), feature, "{target}");
        }
    }

    // verifies: index/duvet
    #[test]
    fn markdown_sections_with_requirements_are_items() {
        let text = "# Decrypt Item

## Overview

This document describes decryption.

## Behavior

The client MUST decrypt
the item. It logs the result.
Callers SHOULD retry once.

## Behavior

Repeated heading: its id is numbered. Keys MAY rotate.

### Custom {#custom-id}

It MUST NOT fail.
";
        let facts = read_as(parse, "specification/decrypt-item.md", text);
        assert_eq!(facts.features[0].name, "specification.decrypt-item");
        assert_eq!(
            item_lines(&facts),
            vec![
                "7:behavior requirement | The client MUST decrypt the item. Callers SHOULD retry once.",
                "13:behavior-1 requirement | Keys MAY rotate.",
                "17:custom-id requirement | It MUST NOT fail.",
            ]
        );
        assert_eq!(
            facts.features[0].items[0].extra["section_text"],
            "The client MUST decrypt the item. It logs the result. Callers SHOULD retry once."
        );
    }

    // verifies: index/duvet
    #[test]
    fn ietf_sections_are_numbered() {
        let text = "Table of Contents

   4.1.  HTTP Message Framing . . . . 5

4.  Expressing HTTP Semantics

4.1.  HTTP Message Framing

   A client MUST send only a single request on a given stream.

Bishop                       Standards Track                    [Page 5]

RFC 9114                         HTTP/3                        June 2022

   A server SHOULD send a response.

Appendix A.  Considerations

   Implementations MAY ignore it.
";
        let facts = read_as(
            parse,
            ".duvet/specifications/www.rfc-editor.org/rfc/rfc9114.txt",
            text,
        );
        assert_eq!(
            item_lines(&facts),
            vec![
                "7:section-4.1 requirement | A client MUST send only a single request on a given stream. A server SHOULD send a response.",
                "17:appendix-A requirement | Implementations MAY ignore it.",
            ]
        );
    }
}
