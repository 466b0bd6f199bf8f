//! What `kg index` says on stderr: the summary line and, with `--timings`, each stage's time.

use super::*;

/// Writes the diagnostics and the summary of an index run.
pub fn write_summary(
    summary: &Summary,
    quiet: bool,
    screen: &Screen,
    out: &mut dyn Write,
) -> io::Result<()> {
    for diagnostic in &summary.diagnostics {
        writeln!(out, "{}", diagnostic_line(diagnostic, screen))?;
    }
    if quiet {
        return Ok(());
    }
    if let Some(why) = &summary.rebuilt {
        writeln!(out, "{why}")?;
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
    let short = crate::trace::short;
    let shallow = if summary.shallow {
        " (shallow clone: history is cut off)"
    } else {
        ""
    };
    let line = match &summary.from {
        Some(from) => format!(
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
        None => format!(
            "indexed {} in {:.2}s: {} commits{shallow} | files {} ({} parsed) | {} definitions, {} tests | {} features, {} items{} | {} references ({} dangling{}), {} mentions | {} errors, {} warnings | {} quads",
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
            if summary.tasks > 0 {
                format!(", {} tasks", summary.tasks)
            } else {
                String::new()
            },
            summary.references,
            summary.dangling,
            if summary.ambiguous > 0 {
                format!(", {} ambiguous", summary.ambiguous)
            } else {
                String::new()
            },
            summary.mentions,
            errors,
            warnings,
            summary.quads,
        ),
    };
    write_wrapped(screen, "", &line, "  ", out)
}

/// A diagnostic's line, its severity in colour.
fn diagnostic_line(diagnostic: &crate::facts::Diagnostic, screen: &Screen) -> String {
    let line = diagnostic.to_string();
    let severity = diagnostic.severity.as_str();
    let tone = match diagnostic.severity {
        Severity::Error => Tone::Missing,
        _ => Tone::Stale,
    };
    line.replacen(
        &format!(": {severity}: "),
        &format!(": {}: ", screen.paint(severity, tone)),
        1,
    )
}

/// Writes each stage's wall time, items and rate, then the total.
// implements: index/timings
pub fn write_timings(
    stages: &[crate::progress::StageTime],
    total: std::time::Duration,
    screen: &Screen,
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
    write_rows(&rows, screen, out)
}
