//! The fuzz targets' entry points (`fuzz/`, run with `cargo fuzz`), one per input kg reads from a
//! stranger's repository: each takes arbitrary bytes, runs one reader on them as kg does, and must
//! return without a panic and in time linear in the input. `tests/fuzz.rs` runs them on every
//! file of the fuzz corpus and the crashes found, so that what a fuzzer found stays fixed.
//!
//! The first byte of an input picks the variant where a reader has several (which spec format,
//! which comment syntax, which language); the rest is the file.

use crate::config::Config;
use crate::facts::{FileFacts, FileKind, Language};
use crate::git::diff::{FileDiff, parse_patch};
use crate::parse::spec::{FORMATS, tracey};
use crate::parse::text::COMMENTS;
use crate::parse::{CodeQueries, FileParser};

/// The file size limit the targets parse under: kg's default.
const MAX_SIZE: u64 = crate::config::DEFAULT_MAX_FILE_SIZE;

// implements: index/fuzzed
/// A target: arbitrary bytes in, nothing out.
pub type Target = fn(&[u8]);

/// Every fuzz target by name, as `fuzz/fuzz_targets/` names them.
pub const TARGETS: &[(&str, Target)] = &[
    ("spec", spec),
    ("markdown", markdown),
    ("markers", markers),
    ("code", code),
    ("diff", diff),
    ("config", config),
];

/// Splits off the selector byte.
fn select(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((first, rest)) => (*first, rest),
        None => (0, data),
    }
}

fn parse(
    path: &str,
    kind: FileKind,
    bytes: &[u8],
    format: Option<&crate::parse::spec::SpecFormat>,
) {
    let mut parser = FileParser::new(CodeQueries::shared());
    let facts = FileFacts::new(path, kind, "0", bytes.len() as u64);
    parser.parse(facts, bytes, MAX_SIZE, format);
}

/// A spec in each format, the selector picking which; and OpenFastTrace's test of a document's
/// bytes.
pub fn spec(data: &[u8]) {
    let (selector, bytes) = select(data);
    let format = &FORMATS[usize::from(selector) % FORMATS.len()];
    if let Some(sniff) = format.sniff {
        sniff(bytes);
    }
    let path = format.paths.first().map_or("spec.md", |glob| {
        if glob.ends_with(".yaml") {
            "specs/f.yaml"
        } else {
            "specs/001-f/spec.md"
        }
    });
    parse(path, FileKind::Spec, bytes, Some(format));
}

/// A Markdown document: sections, mentions, markers.
pub fn markdown(data: &[u8]) {
    parse("docs/guide.md", FileKind::Doc, data, None);
}

/// A file read for tags only, in the comment syntax of the extension the selector picks: every
/// marker syntax's scanner, by line and across lines.
pub fn markers(data: &[u8]) {
    let (selector, bytes) = select(data);
    let (extension, _) = COMMENTS[usize::from(selector) % COMMENTS.len()];
    parse(
        &format!("src/file.{extension}"),
        FileKind::Text,
        bytes,
        None,
    );
}

/// Rust or TypeScript source through tree-sitter: definitions, calls, comments and where their
/// markers attach.
pub fn code(data: &[u8]) {
    let (selector, bytes) = select(data);
    let (path, language) = match selector % 3 {
        0 => ("src/lib.rs", Language::Rust),
        1 => ("src/index.ts", Language::TypeScript),
        _ => ("src/view.tsx", Language::Tsx),
    };
    parse(path, FileKind::Code(language), bytes, None);
}

/// A unified diff, applied to the text before the first NUL byte when there is one; and kg's own
/// line diff between that text and the rest.
pub fn diff(data: &[u8]) {
    let (old, rest) = match data.iter().position(|b| *b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&[][..], data),
    };
    let old = String::from_utf8_lossy(old).into_owned();
    let text = String::from_utf8_lossy(rest).into_owned();
    if let Ok(patch) = parse_patch(&text, "fuzz.diff") {
        for file in &patch.files {
            let _ = file.apply(&old);
            file.to_file_diff(Some(old.clone()));
        }
    }
    FileDiff::between(None, None, Some(old), Some(text));
}

/// `kg.toml`, and tracey's configuration (`.config/tracey/config.styx`), whose spec sets a
/// `kg.toml` is then read with.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let sets = tracey::read_config(&text).unwrap_or_default();
    let _ = Config::parse_with(&text, &sets);
}
