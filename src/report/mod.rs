//! Writes results for people and for programs: query results in the W3C formats or as a table,
//! RDF in standard syntaxes, the trace and impact reports, and the index summary. One file a
//! report; the helpers they share (tables, Markdown escapes, `path:line`) are here.

use std::io::{self, Write};

use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::Term;
use oxigraph::sparql::QueryResults;
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};

use crate::facts::Severity;
use crate::graph::vocab::PREFIXES;
use crate::index::Summary;
use crate::trace::Coverage;

mod html;
mod impact;
mod results;
mod screen;
mod summary;
mod trace;

pub use html::Page;
pub use impact::{ImpactFormat, write_impact};
pub use results::{ResultFormat, display_term, write_results};
pub use screen::{ColorChoice, Screen, Tone};
pub use summary::{write_summary, write_timings};
pub use trace::{TraceFormat, write_trace};

/// An error writing results.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("query evaluation failed: {0}")]
    Evaluation(String),
    #[error("--format {format} does not fit a {kind} query; use {fits}")]
    FormatMismatch {
        format: &'static str,
        kind: &'static str,
        fits: &'static str,
    },
}

/// Writes rows as aligned columns under a header and a rule, fitted to the screen.
pub fn write_table(
    header: &[String],
    rows: &[Vec<String>],
    screen: &Screen,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut all = Vec::with_capacity(rows.len() + 1);
    all.push(header.to_vec());
    all.extend(rows.iter().cloned());
    let widths = screen.fit(&all);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    for line in screen.row(header, &widths) {
        writeln!(out, "{}", screen.paint(&line, Tone::Heading))?;
    }
    for line in screen.row(&rule, &widths) {
        writeln!(out, "{line}")?;
    }
    for row in rows {
        for line in screen.row(row, &widths) {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

fn md_escape(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Writes rows as aligned columns, without a header, fitted to the screen.
fn write_rows(rows: &[Vec<String>], screen: &Screen, out: &mut dyn Write) -> io::Result<()> {
    for line in screen.rows(rows) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Writes `text` after `first`, wrapped to the screen with later lines after `rest`.
fn write_wrapped(
    screen: &Screen,
    first: &str,
    text: &str,
    rest: &str,
    out: &mut dyn Write,
) -> io::Result<()> {
    for line in screen.wrap(first, text, rest) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// `path:line`, or the path alone.
fn place(path: &str, line: Option<u32>) -> String {
    match line {
        Some(line) => format!("{path}:{line}"),
        None => path.to_owned(),
    }
}
