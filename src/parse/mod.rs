//! Parsing: from a file's path and bytes to its facts. Parsers never read the repository or touch
//! the store, and never fail as a whole: what cannot be read becomes a diagnostic.

pub mod code;
pub mod markdown;
pub(crate) mod nesting;
pub mod refs;
pub mod spec;
pub mod text;

use crate::facts::{FileFacts, FileKind, Position, Severity};

pub use code::{CodeParser, CodeQueries};
pub use refs::MarkerSyntax;

/// What a worker thread needs to parse any file.
pub struct FileParser<'q> {
    code: CodeParser<'q>,
    syntax: &'static dyn MarkerSyntax,
}

/// How much of a file's start is checked for NUL bytes to tell binary content.
const BINARY_SNIFF: usize = 8000;

impl<'q> FileParser<'q> {
    pub fn new(queries: &'q CodeQueries) -> Self {
        FileParser {
            code: CodeParser::new(queries),
            syntax: &refs::ALL,
        }
    }

    // implements: index/bad-input
    /// Parses one file. `facts` comes with path, kind, blob and test-file flag set; a spec is
    /// read with `format` (kg's own YAML when `None`).
    pub fn parse(
        &mut self,
        mut facts: FileFacts,
        bytes: &[u8],
        max_size: u64,
        format: Option<&spec::SpecFormat>,
    ) -> FileFacts {
        if bytes.len() as u64 > max_size {
            facts.skipped = true;
            let message = format!(
                "file is {} bytes, over the {max_size}-byte limit; it was not parsed (raise `files.max_size` in kg.toml)",
                bytes.len()
            );
            facts.diagnostic(Severity::Warning, None, message);
            return facts;
        }
        if bytes[..bytes.len().min(BINARY_SNIFF)].contains(&0) {
            facts.skipped = true;
            facts.diagnostic(
                Severity::Warning,
                None,
                "binary content (NUL bytes); the file was not parsed".to_owned(),
            );
            return facts;
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(err) => {
                let valid = &bytes[..err.valid_up_to()];
                let line = valid.iter().filter(|b| **b == b'\n').count() as u32 + 1;
                let column = valid.iter().rev().take_while(|b| **b != b'\n').count() as u32 + 1;
                facts.diagnostic(
                    Severity::Warning,
                    Some(Position { line, column }),
                    "not valid UTF-8; invalid bytes were replaced and the rest was read".to_owned(),
                );
                String::from_utf8_lossy(bytes)
            }
        };
        facts.lines = LineIndex::new(&text).count();
        match facts.kind {
            FileKind::Spec => (format.unwrap_or(&spec::FORMATS[0]).parse)(&text, &mut facts),
            FileKind::Doc => markdown::parse_markdown(&text, self.syntax, &mut facts),
            FileKind::Code(language) => self.code.parse(language, &text, self.syntax, &mut facts),
            FileKind::Text => text::parse_text(&text, self.syntax, &mut facts),
        }
        facts
    }
}

/// Maps byte offsets to 1-based line numbers.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        if starts.last() == Some(&text.len()) && !text.is_empty() {
            starts.pop();
        }
        LineIndex { starts }
    }

    pub fn line_of(&self, offset: usize) -> u32 {
        self.starts.partition_point(|&s| s <= offset) as u32
    }

    pub fn count(&self) -> u32 {
        self.starts.len() as u32
    }
}
