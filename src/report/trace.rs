//! The trace report as a table grouped by feature, as Markdown for a pull request, as JSON, or as
//! an HTML page (`html.rs`).

use super::*;

/// How `kg trace` writes its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceFormat {
    /// Grouped by feature, with evidence, for people.
    Table,
    /// Markdown, for documentation and pull requests.
    Md,
    /// JSON: {"items":[...],"diagnostics":[...]}.
    Json,
    /// One self-contained HTML page: coverage per feature, a filterable, sortable matrix.
    Html,
}

/// The summary line of a group of items.
pub(super) fn coverage_line(c: &Coverage) -> String {
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

pub(super) fn link_text(link: &crate::trace::Link) -> (String, String, String) {
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

pub(super) fn missing(item: &crate::trace::TraceItem) -> Vec<&'static str> {
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

/// What an item that states its needs needs, and what of it nothing covers, after `uncovered`
/// (`impl, utest; uncovered utest`); none for an item that states no needs.
fn needs_text(item: &crate::trace::TraceItem, uncovered: &str) -> Option<String> {
    let needs = item.needs.as_ref().filter(|n| !n.is_empty())?;
    let mut text = needs.join(", ");
    if !item.uncovered.is_empty() {
        text.push_str(&format!("; {uncovered} {}", item.uncovered.join(", ")));
    }
    Some(text)
}

/// Writes the trace report.
pub fn write_trace(
    report: &crate::trace::TraceReport,
    format: TraceFormat,
    page: &html::Page,
    screen: &Screen,
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
        TraceFormat::Html => html::write_trace_html(report, page, out),
        TraceFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            writeln!(out)
        }
        TraceFormat::Table => {
            for (feature, items) in &features {
                write_wrapped(
                    screen,
                    &format!("{}: ", screen.paint(feature, Tone::Heading)),
                    &coverage_line(&Coverage::of(items.iter().copied(), distance)),
                    "    ",
                    out,
                )?;
                for item in items {
                    // The text wraps under itself, unless the id leaves it too little room.
                    let first = format!("  {}  ", item.id);
                    let rest = match screen.width {
                        Some(w) if first.chars().count() > w / 3 => "      ".to_owned(),
                        _ => " ".repeat(first.chars().count()),
                    };
                    let text = format!("{}  ({}:{})", item.text, item.spec.path, item.spec.line);
                    write_wrapped(screen, &first, &text, &rest, out)?;
                    let mut rows = Vec::new();
                    for (relation, links) in [
                        ("implemented", &item.implemented_by),
                        ("verified", &item.verified_by),
                        ("documented", &item.documented_by),
                        ("covered", &item.covered_by),
                    ] {
                        for link in links {
                            let (location, symbol, how) = link_text(link);
                            rows.push(vec![format!("    {relation}"), location, symbol, how]);
                        }
                    }
                    if !screen.fits(&rows) {
                        // The symbol and how it links share the last column, which wraps.
                        for row in &mut rows {
                            let how = row.pop().unwrap_or_default();
                            if let Some(symbol) = row.last_mut() {
                                *symbol = if symbol.is_empty() {
                                    how
                                } else {
                                    format!("{symbol}  {how}")
                                };
                            }
                        }
                    }
                    write_rows(&rows, screen, out)?;
                    if let Some(needs) = needs_text(item, "uncovered") {
                        write_wrapped(screen, "    needs  ", &needs, "           ", out)?;
                    }
                    let missing = missing(item);
                    if !missing.is_empty() && item.needs.is_none() {
                        // Inferred links that are listed but too far away to count say so.
                        let beyond = !item.is_verified() && !item.verified_by.is_empty();
                        let note = if beyond {
                            format!(
                                " (the tests that reach its code are more than {distance} {} away)",
                                if distance == 1 { "call" } else { "calls" }
                            )
                        } else {
                            String::new()
                        };
                        write_wrapped(
                            screen,
                            &format!("    {}  ", screen.paint("missing", Tone::Missing)),
                            &format!("{}{note}", missing.join(", ")),
                            "             ",
                            out,
                        )?;
                    }
                    let stale = format!("    {}  ", screen.paint("stale", Tone::Stale));
                    let under = "           ";
                    for tag in &item.stale_tags {
                        let text = format!(
                            "{}:{}: {}",
                            tag.path,
                            tag.line,
                            crate::trace::stale_tag_message(&item.id, tag)
                        );
                        write_wrapped(screen, &stale, &text, under, out)?;
                    }
                    for quote in &item.stale_quotes {
                        let text = format!(
                            "{}:{}: {}: \"{}\"",
                            quote.path,
                            quote.line,
                            crate::trace::stale_quote_message(&item.id),
                            quote.quote
                        );
                        write_wrapped(screen, &stale, &text, under, out)?;
                    }
                    if let Some(evidence) = &item.stale_evidence {
                        let text = format!(
                            "reworded in {} ({}) after its code and tests last changed in {} ({})",
                            crate::trace::short(&evidence.reworded_in),
                            evidence.reworded_on,
                            crate::trace::short(&evidence.code_last_changed_in),
                            evidence.code_last_changed_on
                        );
                        write_wrapped(screen, &stale, &text, under, out)?;
                    }
                }
            }
            let overall = format!(
                "{}; inferred verification counts tests within {distance} {} of the code",
                coverage_line(overall),
                if distance == 1 { "call" } else { "calls" }
            );
            write_wrapped(screen, "overall: ", &overall, "    ", out)
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
                    let cell = |links: &[crate::trace::Link]| {
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
                    let mut stale: Vec<String> = item
                        .stale_tags
                        .iter()
                        .map(|t| {
                            format!(
                                "`{}:{}` written for version {} of {}",
                                t.path, t.line, t.written, t.current
                            )
                        })
                        .collect();
                    stale.extend(item.stale_quotes.iter().map(|q| {
                        format!("`{}:{}` quotes text no longer in the spec", q.path, q.line)
                    }));
                    stale.extend(item.stale_evidence.as_ref().map(|e| {
                        format!(
                            "reworded in `{}` after `{}`",
                            crate::trace::short(&e.reworded_in),
                            crate::trace::short(&e.code_last_changed_in)
                        )
                    }));
                    let stale = stale.join("<br>");
                    let needs = needs_text(item, "**uncovered**")
                        .map_or(String::new(), |needs| format!("<br>needs {needs}"));
                    let covered = if item.covered_by.is_empty() {
                        String::new()
                    } else {
                        format!("<br>covered by {}", cell(&item.covered_by))
                    };
                    writeln!(
                        out,
                        "| `{}` | {}{needs}{covered} | {} | {} | {} | {} |",
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
