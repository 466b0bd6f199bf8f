//! The impact report as text, as a pull-request comment in Markdown, as JSON, or as a list of
//! tests for a runner's filter.

use super::*;

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
    /// One self-contained HTML page, each why-path drawn.
    Html,
}

/// Writes the impact report.
// implements: impact/outputs
pub fn write_impact(
    report: &crate::impact::ImpactReport,
    format: ImpactFormat,
    page: &html::Page,
    screen: &Screen,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        ImpactFormat::Html => html::write_impact_html(report, page, out),
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
        ImpactFormat::Text => write_impact_text(report, screen, out),
        ImpactFormat::Md => write_impact_md(report, out),
    }
}

/// One entry of an impact report section: its columns, and the why-path under it.
pub(super) type Entry = (Vec<String>, Option<String>);

/// The sections of the report as rows: a heading, then for each entry its columns and why.
pub(super) fn impact_sections(
    report: &crate::impact::ImpactReport,
) -> Vec<(&'static str, Vec<Entry>)> {
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

pub(super) fn write_impact_text(
    report: &crate::impact::ImpactReport,
    screen: &Screen,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_wrapped(screen, "", &report.summary(), "  ", out)?;
    if report.unselected > 0 {
        let text = format!(
            "({} changed files are not specs, code or docs kg reads; kg.toml selects them)",
            report.unselected
        );
        write_wrapped(screen, "", &text, " ", out)?;
    }
    for (heading, entries) in impact_sections(report) {
        if entries.is_empty() {
            continue;
        }
        writeln!(out)?;
        writeln!(out, "{}", screen.paint(heading, Tone::Heading))?;
        // Align the columns of all entries; each why goes under its entry.
        let rows: Vec<Vec<String>> = entries
            .iter()
            .map(|(cells, _)| {
                let mut row = cells.clone();
                row[0] = format!("  {}", row[0]);
                row
            })
            .collect();
        let widths = screen.fit(&rows);
        for (row, (_, why)) in rows.iter().zip(&entries) {
            for line in screen.row(row, &widths) {
                writeln!(out, "{line}")?;
            }
            if let Some(why) = why {
                write_wrapped(screen, "      ", why, "        ", out)?;
            }
        }
    }
    Ok(())
}

pub(super) fn write_impact_md(
    report: &crate::impact::ImpactReport,
    out: &mut dyn Write,
) -> io::Result<()> {
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
