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
mod summary;
mod trace;

pub use html::Page;
pub use impact::{ImpactFormat, write_impact};
pub use results::{ResultFormat, display_term, write_results};
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

/// Writes rows as aligned columns under a header and a rule.
pub fn write_table(header: &[String], rows: &[Vec<String>], out: &mut dyn Write) -> io::Result<()> {
    let mut all = Vec::with_capacity(rows.len() + 2);
    all.push(header.to_vec());
    all.extend(rows.iter().cloned());
    let rule = column_widths(&all).iter().map(|w| "-".repeat(*w)).collect();
    all.insert(1, rule);
    write_rows(&all, out)
}

fn md_escape(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Writes rows as aligned columns, without a header.
fn write_rows(rows: &[Vec<String>], out: &mut dyn Write) -> io::Result<()> {
    for line in aligned(rows) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Rows as lines of aligned columns.
fn aligned(rows: &[Vec<String>]) -> Vec<String> {
    let widths = column_widths(rows);
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                line.push_str(cell);
                if c + 1 < row.len() {
                    line.extend(std::iter::repeat_n(
                        ' ',
                        widths[c] - cell.chars().count() + 2,
                    ));
                }
            }
            line.trim_end().to_owned()
        })
        .collect()
}

/// The width of each column, in characters.
fn column_widths(rows: &[Vec<String>]) -> Vec<usize> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    (0..columns)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect()
}

/// `path:line`, or the path alone.
fn place(path: &str, line: Option<u32>) -> String {
    match line {
        Some(line) => format!("{path}:{line}"),
        None => path.to_owned(),
    }
}
