//! Writes results for people and for programs: query results in the W3C formats or as a table,
//! RDF in standard syntaxes, and the index summary.

// implements: query/formats

use std::io::{self, Write};

use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::Term;
use oxigraph::sparql::QueryResults;
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};

use crate::facts::Severity;
use crate::graph::vocab::PREFIXES;
use crate::index::Summary;
use crate::trace::Coverage;

/// How query results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ResultFormat {
    /// Aligned columns for people (SELECT and ASK).
    Table,
    /// SPARQL 1.1 Query Results JSON.
    Json,
    /// SPARQL 1.1 Query Results CSV.
    Csv,
    /// SPARQL 1.1 Query Results TSV.
    Tsv,
    /// SPARQL Query Results XML.
    Xml,
    /// Turtle (CONSTRUCT and DESCRIBE).
    Turtle,
    /// N-Triples (CONSTRUCT and DESCRIBE).
    Ntriples,
}

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

fn format_name(format: ResultFormat) -> &'static str {
    match format {
        ResultFormat::Table => "table",
        ResultFormat::Json => "json",
        ResultFormat::Csv => "csv",
        ResultFormat::Tsv => "tsv",
        ResultFormat::Xml => "xml",
        ResultFormat::Turtle => "turtle",
        ResultFormat::Ntriples => "ntriples",
    }
}

const SOLUTION_FORMATS: &str = "table, json, csv, tsv or xml";
const GRAPH_FORMATS: &str = "turtle or ntriples";

/// Writes `results` in `format`. In tables, IRIs under `base` are shown relative to it and known
/// vocabularies by prefix. `format` is `None` to choose: a table for SELECT and ASK, Turtle for
/// graphs.
pub fn write_results(
    results: QueryResults<'_>,
    format: Option<ResultFormat>,
    base: &str,
    out: &mut dyn Write,
) -> Result<(), ReportError> {
    let evaluation = |e: &dyn std::fmt::Display| ReportError::Evaluation(e.to_string());
    match results {
        QueryResults::Solutions(solutions) => {
            let format = format.unwrap_or(ResultFormat::Table);
            let w3c = match format {
                ResultFormat::Table => None,
                ResultFormat::Json => Some(QueryResultsFormat::Json),
                ResultFormat::Csv => Some(QueryResultsFormat::Csv),
                ResultFormat::Tsv => Some(QueryResultsFormat::Tsv),
                ResultFormat::Xml => Some(QueryResultsFormat::Xml),
                ResultFormat::Turtle | ResultFormat::Ntriples => {
                    return Err(ReportError::FormatMismatch {
                        format: format_name(format),
                        kind: "SELECT",
                        fits: SOLUTION_FORMATS,
                    });
                }
            };
            let variables = solutions.variables().to_vec();
            match w3c {
                Some(w3c) => {
                    let mut serializer = QueryResultsSerializer::from_format(w3c)
                        .serialize_solutions_to_writer(out, variables)?;
                    for solution in solutions {
                        let solution = solution.map_err(|e| evaluation(&e))?;
                        serializer.serialize(&solution)?;
                    }
                    serializer.finish()?;
                }
                None => {
                    let header: Vec<String> =
                        variables.iter().map(|v| v.as_str().to_owned()).collect();
                    let mut rows = Vec::new();
                    for solution in solutions {
                        let solution = solution.map_err(|e| evaluation(&e))?;
                        rows.push(
                            variables
                                .iter()
                                .map(|v| {
                                    solution
                                        .get(v)
                                        .map_or_else(String::new, |t| display_term(t, base))
                                })
                                .collect(),
                        );
                    }
                    write_table(&header, &rows, out)?;
                }
            }
        }
        QueryResults::Boolean(value) => match format.unwrap_or(ResultFormat::Table) {
            ResultFormat::Table => writeln!(out, "{value}")?,
            ResultFormat::Json => {
                QueryResultsSerializer::from_format(QueryResultsFormat::Json)
                    .serialize_boolean_to_writer(&mut *out, value)?;
                writeln!(out)?;
            }
            ResultFormat::Csv => {
                QueryResultsSerializer::from_format(QueryResultsFormat::Csv)
                    .serialize_boolean_to_writer(out, value)?;
            }
            ResultFormat::Tsv => {
                QueryResultsSerializer::from_format(QueryResultsFormat::Tsv)
                    .serialize_boolean_to_writer(out, value)?;
            }
            ResultFormat::Xml => {
                QueryResultsSerializer::from_format(QueryResultsFormat::Xml)
                    .serialize_boolean_to_writer(out, value)?;
            }
            other => {
                return Err(ReportError::FormatMismatch {
                    format: format_name(other),
                    kind: "ASK",
                    fits: SOLUTION_FORMATS,
                });
            }
        },
        QueryResults::Graph(triples) => {
            let rdf = match format.unwrap_or(ResultFormat::Turtle) {
                ResultFormat::Turtle => RdfFormat::Turtle,
                ResultFormat::Ntriples => RdfFormat::NTriples,
                other => {
                    return Err(ReportError::FormatMismatch {
                        format: format_name(other),
                        kind: "CONSTRUCT or DESCRIBE",
                        fits: GRAPH_FORMATS,
                    });
                }
            };
            let mut serializer = RdfSerializer::from_format(rdf);
            if rdf == RdfFormat::Turtle {
                for (prefix, iri) in PREFIXES {
                    serializer = serializer
                        .with_prefix(*prefix, *iri)
                        .expect("the built-in prefixes are valid IRIs");
                }
            }
            let mut serializer = serializer.for_writer(out);
            for triple in triples {
                let triple = triple.map_err(|e| evaluation(&e))?;
                serializer.serialize_triple(&triple)?;
            }
            serializer.finish()?;
        }
    }
    Ok(())
}

/// A term as people read it: literals plainly, IRIs relative to the base or by prefix.
pub fn display_term(term: &Term, base: &str) -> String {
    match term {
        Term::Literal(l) => l.value().replace(['\n', '\r', '\t'], " "),
        Term::NamedNode(n) => {
            let iri = n.as_str();
            if !base.is_empty()
                && let Some(rest) = iri.strip_prefix(base)
            {
                return rest.to_owned();
            }
            PREFIXES
                .iter()
                .find_map(|(prefix, ns)| {
                    iri.strip_prefix(ns)
                        .map(|local| format!("{prefix}:{local}"))
                })
                .unwrap_or_else(|| format!("<{iri}>"))
        }
        Term::BlankNode(b) => format!("_:{}", b.as_str()),
        #[allow(unreachable_patterns)]
        other => other.to_string(),
    }
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

/// Writes the diagnostics and the summary of an index run.
pub fn write_summary(summary: &Summary, quiet: bool, out: &mut dyn Write) -> io::Result<()> {
    for diagnostic in &summary.diagnostics {
        writeln!(out, "{diagnostic}")?;
    }
    if quiet {
        return Ok(());
    }
    let files: Vec<String> = summary
        .files
        .iter()
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect();
    let errors = summary
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = summary.diagnostics.len() - errors;
    let short = |id: &str| id[..id.len().min(12)].to_owned();
    let shallow = if summary.shallow {
        " (shallow clone: history is cut off)"
    } else {
        ""
    };
    match &summary.from {
        Some(from) => writeln!(
            out,
            "updated {}..{} in {:.2}s: {} commits{shallow} | {} files written ({} parsed) | {} dangling references | {} errors, {} warnings | {} quads",
            short(from),
            short(&summary.commit),
            summary.elapsed.as_secs_f64(),
            summary.commits,
            summary.written,
            summary.parsed,
            summary.dangling,
            errors,
            warnings,
            summary.quads,
        ),
        None => writeln!(
            out,
            "indexed {} in {:.2}s: {} commits{shallow} | files {} ({} parsed) | {} definitions, {} tests | {} features, {} items | {} references ({} dangling), {} mentions | {} errors, {} warnings | {} quads",
            short(&summary.commit),
            summary.elapsed.as_secs_f64(),
            summary.commits,
            if files.is_empty() {
                "none".to_owned()
            } else {
                files.join(", ")
            },
            summary.parsed,
            summary.definitions,
            summary.tests,
            summary.features,
            summary.items,
            summary.references,
            summary.dangling,
            summary.mentions,
            errors,
            warnings,
            summary.quads,
        ),
    }
}

/// How `kg trace` writes its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceFormat {
    /// Grouped by feature, with evidence, for people.
    Table,
    /// Markdown, for documentation and pull requests.
    Md,
    /// JSON: {"items":[...],"diagnostics":[...]}.
    Json,
}

/// The summary line of a group of items.
fn coverage_line(c: &Coverage) -> String {
    let percent = |n: usize| (n * 100).checked_div(c.items).unwrap_or(0);
    format!(
        "{} items: {} implemented ({}%), {} verified ({}%: {} declared, {} inferred), {} documented ({}%), {} stale",
        c.items,
        c.implemented,
        percent(c.implemented),
        c.verified,
        percent(c.verified),
        c.verified_declared,
        c.verified_inferred,
        c.documented,
        percent(c.documented),
        c.stale
    )
}

fn link_text(link: &crate::trace::Link) -> (String, String, String) {
    let location = place(&link.path, link.line);
    let mut how = link.via.clone();
    if let Some(distance) = link.distance {
        how.push_str(&format!(", distance {distance}"));
    }
    if link.ambiguous {
        how.push_str(", ambiguous call");
    }
    (location, link.symbol.clone().unwrap_or_default(), how)
}

fn missing(item: &crate::trace::TraceItem) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if !item.is_implemented() {
        missing.push("implemented");
    }
    if !item.is_verified() {
        missing.push("verified");
    }
    if !item.is_documented() {
        missing.push("documented");
    }
    missing
}

/// Writes the trace report.
pub fn write_trace(
    report: &crate::trace::TraceReport,
    format: TraceFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut features: std::collections::BTreeMap<&str, Vec<&crate::trace::TraceItem>> =
        std::collections::BTreeMap::new();
    for item in &report.items {
        features
            .entry(item.feature.as_str())
            .or_default()
            .push(item);
    }
    let distance = report.coverage.inferred_distance;
    let overall = &report.coverage;
    match format {
        TraceFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            writeln!(out)
        }
        TraceFormat::Table => {
            for (feature, items) in &features {
                writeln!(
                    out,
                    "{feature}: {}",
                    coverage_line(&Coverage::of(items.iter().copied(), distance))
                )?;
                for item in items {
                    writeln!(
                        out,
                        "  {}  {}  ({}:{})",
                        item.id, item.text, item.spec.path, item.spec.line
                    )?;
                    let mut rows = Vec::new();
                    for (relation, links) in [
                        ("implemented", &item.implemented_by),
                        ("verified", &item.verified_by),
                        ("documented", &item.documented_by),
                    ] {
                        for link in links {
                            let (location, symbol, how) = link_text(link);
                            rows.push(vec![format!("    {relation}"), location, symbol, how]);
                        }
                    }
                    write_rows(&rows, out)?;
                    let missing = missing(item);
                    if !missing.is_empty() {
                        writeln!(out, "    missing  {}", missing.join(", "))?;
                    }
                    if let Some(evidence) = &item.stale_evidence {
                        writeln!(
                            out,
                            "    stale  reworded in {} ({}) after its code and tests last changed in {} ({})",
                            crate::trace::short(&evidence.reworded_in),
                            evidence.reworded_on,
                            crate::trace::short(&evidence.code_last_changed_in),
                            evidence.code_last_changed_on
                        )?;
                    }
                }
            }
            writeln!(
                out,
                "overall: {}; inferred verification counts tests within {distance} {} of the code",
                coverage_line(overall),
                if distance == 1 { "call" } else { "calls" }
            )
        }
        TraceFormat::Md => {
            writeln!(out, "**Traceability**: {}", coverage_line(overall))?;
            for (feature, items) in &features {
                writeln!(out)?;
                writeln!(out, "### {feature}")?;
                writeln!(out)?;
                writeln!(
                    out,
                    "{}",
                    coverage_line(&Coverage::of(items.iter().copied(), distance))
                )?;
                writeln!(out)?;
                writeln!(
                    out,
                    "| Item | Text | Implemented by | Verified by | Documented by | Stale |"
                )?;
                writeln!(out, "|---|---|---|---|---|---|")?;
                for item in items {
                    let cell = |links: &Vec<crate::trace::Link>| {
                        links
                            .iter()
                            .map(|l| {
                                let (location, symbol, how) = link_text(l);
                                let symbol = if symbol.is_empty() {
                                    String::new()
                                } else {
                                    format!(" {}", md_escape(&symbol))
                                };
                                format!("`{location}`{symbol} ({how})")
                            })
                            .collect::<Vec<_>>()
                            .join("<br>")
                    };
                    let stale = item.stale_evidence.as_ref().map_or_else(String::new, |e| {
                        format!(
                            "reworded in `{}` after `{}`",
                            crate::trace::short(&e.reworded_in),
                            crate::trace::short(&e.code_last_changed_in)
                        )
                    });
                    writeln!(
                        out,
                        "| `{}` | {} | {} | {} | {} | {} |",
                        item.id,
                        md_escape(&item.text),
                        cell(&item.implemented_by),
                        cell(&item.verified_by),
                        cell(&item.documented_by),
                        stale
                    )?;
                }
            }
            let problems: Vec<&crate::trace::DiagnosticRow> = report.diagnostics.iter().collect();
            if !problems.is_empty() {
                writeln!(out)?;
                writeln!(
                    out,
                    "<details><summary>{} diagnostics</summary>",
                    problems.len()
                )?;
                writeln!(out)?;
                for d in problems {
                    let at = place(&d.path, d.line);
                    writeln!(out, "- `{at}` {}: {}", d.severity, md_escape(&d.message))?;
                }
                writeln!(out)?;
                writeln!(out, "</details>")?;
            }
            Ok(())
        }
    }
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

/// How `kg impact` writes its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImpactFormat {
    /// Sections with a why-path under every entry, for people.
    Text,
    /// Markdown for a pull-request comment: the summary first, the details collapsed.
    Md,
    /// JSON: {"changed_symbols":[...],"items":[...],"tests":[...],"docs":[...],...}.
    Json,
    /// The tests to run, one name a line, nearest first: a test runner's filter.
    List,
}

/// `path:line`, or the path alone.
fn place(path: &str, line: Option<u32>) -> String {
    match line {
        Some(line) => format!("{path}:{line}"),
        None => path.to_owned(),
    }
}

/// Writes the impact report.
// implements: impact/outputs
pub fn write_impact(
    report: &crate::impact::ImpactReport,
    format: ImpactFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        ImpactFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            writeln!(out)
        }
        ImpactFormat::List => {
            let mut seen = std::collections::BTreeSet::new();
            for test in &report.tests {
                if seen.insert(test.filter.as_str()) {
                    writeln!(out, "{}", test.filter)?;
                }
            }
            Ok(())
        }
        ImpactFormat::Text => write_impact_text(report, out),
        ImpactFormat::Md => write_impact_md(report, out),
    }
}

/// One entry of an impact report section: its columns, and the why-path under it.
type Entry = (Vec<String>, Option<String>);

/// The sections of the report as rows: a heading, then for each entry its columns and why.
fn impact_sections(report: &crate::impact::ImpactReport) -> Vec<(&'static str, Vec<Entry>)> {
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    vec![
        (
            "Changed",
            report
                .changed_symbols
                .iter()
                .map(|c| {
                    (
                        vec![
                            c.change.clone(),
                            place(&c.path, (c.line > 0).then_some(c.line)),
                            c.kind.clone(),
                            opt(&c.symbol),
                            if c.lines.contains(['-', ',']) {
                                format!("lines {}", c.lines)
                            } else {
                                format!("line {}", c.lines)
                            },
                        ],
                        None,
                    )
                })
                .collect(),
        ),
        (
            "Affected items",
            report
                .items
                .iter()
                .map(|i| {
                    (
                        vec![i.id.clone(), format!("distance {}", i.distance)],
                        Some(i.why.clone()),
                    )
                })
                .collect(),
        ),
        (
            "Tests to run",
            report
                .tests
                .iter()
                .map(|t| {
                    (
                        vec![
                            place(&t.path, t.line),
                            opt(&t.symbol),
                            format!("distance {}", t.distance),
                        ],
                        Some(t.why.clone()),
                    )
                })
                .collect(),
        ),
        (
            "Docs to review",
            report
                .docs
                .iter()
                .map(|d| {
                    (
                        vec![place(&d.path, d.line), opt(&d.section)],
                        Some(d.why.clone()),
                    )
                })
                .collect(),
        ),
        (
            "Spec changes",
            report
                .spec_changes
                .iter()
                .map(|c| {
                    let was = c
                        .previous_id
                        .as_ref()
                        .map_or_else(String::new, |p| format!("(was {p})"));
                    let what = vec![c.change.clone(), c.id.clone(), was, c.path.clone()];
                    let review: Vec<String> = c
                        .review
                        .iter()
                        .map(|r| {
                            let symbol = r
                                .symbol
                                .as_ref()
                                .map_or_else(String::new, |s| format!(" {s}"));
                            format!("{} {}{symbol}", r.relation, place(&r.path, r.line))
                        })
                        .collect();
                    let why =
                        (!review.is_empty()).then(|| format!("review: {}", review.join("; ")));
                    (what, why)
                })
                .collect(),
        ),
        (
            "Untraced",
            report
                .untraced
                .iter()
                .map(|u| (vec![place(&u.path, Some(u.line)), u.symbol.clone()], None))
                .collect(),
        ),
        (
            "Diagnostics",
            report
                .diagnostics
                .iter()
                .map(|d| {
                    let at = if d.path.is_empty() {
                        String::new()
                    } else {
                        format!("{}: ", place(&d.path, d.line))
                    };
                    (vec![format!("{}: {at}{}", d.severity, d.message)], None)
                })
                .collect(),
        ),
    ]
}

fn write_impact_text(report: &crate::impact::ImpactReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", report.summary())?;
    if report.unselected > 0 {
        writeln!(
            out,
            "({} changed files are not specs, code or docs kg reads; kg.toml selects them)",
            report.unselected
        )?;
    }
    for (heading, entries) in impact_sections(report) {
        if entries.is_empty() {
            continue;
        }
        writeln!(out)?;
        writeln!(out, "{heading}")?;
        // Align the columns of all entries; each why goes under its entry.
        let rows: Vec<Vec<String>> = entries
            .iter()
            .map(|(cells, _)| {
                let mut row = cells.clone();
                row[0] = format!("  {}", row[0]);
                row
            })
            .collect();
        for (line, (_, why)) in aligned(&rows).iter().zip(&entries) {
            writeln!(out, "{line}")?;
            if let Some(why) = why {
                writeln!(out, "      {why}")?;
            }
        }
    }
    Ok(())
}

fn write_impact_md(report: &crate::impact::ImpactReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "**kg impact**: {}", report.summary())?;
    for (heading, entries) in impact_sections(report) {
        if entries.is_empty() {
            continue;
        }
        writeln!(out)?;
        writeln!(
            out,
            "<details><summary>{heading} ({})</summary>",
            entries.len()
        )?;
        writeln!(out)?;
        for (cells, why) in entries {
            let mut cells = cells.into_iter().filter(|c| !c.is_empty());
            let first = cells.next().unwrap_or_default();
            let rest: Vec<String> = cells.map(|c| md_escape(&c)).collect();
            write!(out, "- `{}` {}", first, rest.join(" "))?;
            match why {
                Some(why) => writeln!(out, "<br>{}", md_escape(&why))?,
                None => writeln!(out)?,
            }
        }
        writeln!(out)?;
        writeln!(out, "</details>")?;
    }
    Ok(())
}

/// Writes each stage's wall time, items and rate, then the total.
// implements: index/timings
pub fn write_timings(
    stages: &[crate::progress::StageTime],
    total: std::time::Duration,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut rows = vec![vec![
        "stage".to_owned(),
        "wall".to_owned(),
        "items".to_owned(),
        "per second".to_owned(),
    ]];
    for stage in stages {
        rows.push(vec![
            stage.name.to_owned(),
            format!("{:.3} s", stage.wall.as_secs_f64()),
            format!("{} {}", stage.items, stage.unit),
            stage
                .rate()
                .map_or_else(String::new, |r| format!("{r:.0} {}/s", stage.unit)),
        ]);
    }
    rows.push(vec![
        "total".to_owned(),
        format!("{:.3} s", total.as_secs_f64()),
    ]);
    write_rows(&rows, out)
}
