//! The terminal a report goes to: how wide it is and whether it takes colour. On a terminal,
//! tables and lines fit its width (a table's last column and prose wrap, the other columns are
//! cut with an ellipsis) and status words stand out in colour; a pipe or a file gets whole lines
//! and no colour unless `--color always` asks for it.

use std::io::IsTerminal;

use console::{Style, measure_text_width, truncate_str};

/// When to colour (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set or `TERM` is `dumb`.
    #[default]
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

/// What a word says, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Something an item lacks; an error.
    Missing,
    /// Evidence that no longer matches its item; a warning.
    Stale,
    /// A feature's name, a section's heading.
    Heading,
}

/// Where a report is written: its width in columns (none: lines are never cut) and whether it
/// takes colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Screen {
    pub width: Option<usize>,
    pub color: bool,
}

/// The narrowest width kg fits to; a narrower terminal gets lines this wide.
const MIN_WIDTH: usize = 30;
/// A cut column keeps at least this many columns (or its own width, when narrower).
const MIN_COLUMN: usize = 8;
/// Columns between two table columns.
const GAP: usize = 2;

impl Screen {
    /// Whole lines, no colour: files, pipes, tests.
    pub const PLAIN: Screen = Screen {
        width: None,
        color: false,
    };

    /// The screen of stdout.
    pub fn stdout(choice: ColorChoice) -> Screen {
        Self::of(&std::io::stdout(), choice)
    }

    /// The screen of stderr.
    pub fn stderr(choice: ColorChoice) -> Screen {
        Self::of(&std::io::stderr(), choice)
    }

    fn of(stream: &(impl IsTerminal + std::os::fd::AsFd), choice: ColorChoice) -> Screen {
        let size = terminal_size::terminal_size_of(stream).map(|(w, _)| usize::from(w.0));
        Self::decide(stream.is_terminal(), size, choice, |name| {
            std::env::var(name).ok()
        })
    }

    /// The screen of a stream, from whether it is a terminal, the terminal's size, the choice
    /// and the environment: `COLUMNS` (a terminal's width when set), `NO_COLOR` (set and not
    /// empty: no colour unless `--color always`, as no-color.org asks) and `TERM=dumb`.
    // implements: report/terminal
    pub fn decide(
        terminal: bool,
        size: Option<usize>,
        choice: ColorChoice,
        env: impl Fn(&str) -> Option<String>,
    ) -> Screen {
        let width = terminal.then(|| {
            env("COLUMNS")
                .and_then(|c| c.trim().parse::<usize>().ok())
                .filter(|&c| c > 0)
                .or(size.filter(|&s| s > 0))
                .unwrap_or(80)
                .max(MIN_WIDTH)
        });
        let no_color = env("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = env("TERM").is_some_and(|t| t == "dumb");
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && !no_color && !dumb,
        };
        Screen { width, color }
    }

    /// `text` in the colour of its tone, when the screen takes colour.
    pub fn paint(&self, text: &str, tone: Tone) -> String {
        if !self.color {
            return text.to_owned();
        }
        let style = match tone {
            Tone::Missing => Style::new().red().bold(),
            Tone::Stale => Style::new().yellow().bold(),
            Tone::Heading => Style::new().bold(),
        };
        style.force_styling(true).apply_to(text).to_string()
    }

    /// `text` after `first` (which may hold colour), wrapped at spaces to the screen's width,
    /// later lines after `rest`; one line when the screen has no width or the text fits.
    pub fn wrap(&self, first: &str, text: &str, rest: &str) -> Vec<String> {
        let whole = format!("{first}{text}");
        match self.width {
            Some(width) if measure_text_width(&whole) > width => {
                let options = wrapping(width)
                    .initial_indent(first)
                    .subsequent_indent(rest);
                textwrap::wrap(text, options)
                    .into_iter()
                    .map(|line| line.trim_end().to_owned())
                    .collect()
            }
            _ => vec![whole],
        }
    }

    /// Rows as lines of aligned columns. When they are wider than the screen, the columns but
    /// the last are cut with an ellipsis (the widest first, none below a few characters) until
    /// the last has room, and the last wraps under itself.
    pub fn rows(&self, rows: &[Vec<String>]) -> Vec<String> {
        let widths = self.fit(rows);
        rows.iter().flat_map(|row| self.row(row, &widths)).collect()
    }

    /// Whether the rows, aligned, fit the screen as they are.
    pub fn fits(&self, rows: &[Vec<String>]) -> bool {
        let widths = column_widths(rows);
        self.width.is_none_or(|screen| {
            widths.iter().sum::<usize>() + GAP * widths.len().saturating_sub(1) <= screen
        })
    }

    /// The width of each column once the rows are fitted to the screen: a row's last cell takes
    /// the rest of the line (at least a few columns) and wraps there.
    pub fn fit(&self, rows: &[Vec<String>]) -> Vec<usize> {
        let mut widths = column_widths(rows);
        let (Some(screen), Some(last)) = (self.width, widths.len().checked_sub(1)) else {
            return widths;
        };
        let used = |widths: &[usize]| widths[..last].iter().sum::<usize>() + GAP * last;
        // The last column keeps a third of the screen, or its own width when narrower.
        let keep = widths[last].min((screen / 3).max(MIN_COLUMN * 2));
        // One column at a time, the widest first, so that cuts are shared.
        while used(&widths) + keep > screen {
            let Some(widest) = widths[..last]
                .iter_mut()
                .filter(|w| **w > MIN_COLUMN)
                .max_by_key(|w| **w)
            else {
                break;
            };
            *widest -= 1;
        }
        widths[last] = widths[last].min(screen.saturating_sub(used(&widths)).max(MIN_COLUMN));
        widths
    }

    /// One row's lines at the fitted `widths`.
    pub fn row(&self, row: &[String], widths: &[usize]) -> Vec<String> {
        let mut line = String::new();
        let Some((end, cells)) = row.split_last() else {
            return vec![String::new()];
        };
        for (cell, &width) in cells.iter().zip(widths) {
            let cell = cut(cell, width);
            line.push_str(&cell);
            line.extend(std::iter::repeat_n(
                ' ',
                width.saturating_sub(measure_text_width(&cell)) + GAP,
            ));
        }
        let Some(screen) = self.width else {
            line.push_str(end);
            return vec![line.trim_end().to_owned()];
        };
        let start = measure_text_width(&line);
        let room = screen.saturating_sub(start).max(MIN_COLUMN);
        let indent = " ".repeat(start);
        let mut parts = textwrap::wrap(end, wrapping(room)).into_iter();
        line.push_str(&parts.next().unwrap_or_default());
        let mut lines = vec![line.trim_end().to_owned()];
        lines.extend(parts.map(|part| format!("{indent}{part}").trim_end().to_owned()));
        lines
    }
}

/// `cell` cut to `width` columns with an ellipsis: a path (or an IRI) keeps its end, where its
/// file name and line are, anything else its start.
fn cut(cell: &str, width: usize) -> std::borrow::Cow<'_, str> {
    if measure_text_width(cell) <= width || !cell.contains('/') {
        return truncate_str(cell, width, "…");
    }
    let mut kept = 0;
    let mut start = cell.len();
    for (at, c) in cell.char_indices().rev() {
        let w = console::measure_text_width(c.encode_utf8(&mut [0; 4]));
        if kept + w + 1 > width {
            break;
        }
        kept += w;
        start = at;
    }
    format!("…{}", &cell[start..]).into()
}

/// Wrapping at spaces only: a path's or an id's hyphen is no place to break it.
fn wrapping(width: usize) -> textwrap::Options<'static> {
    textwrap::Options::new(width).word_splitter(textwrap::WordSplitter::NoHyphenation)
}

/// The width of each column, in terminal columns.
fn column_widths(rows: &[Vec<String>]) -> Vec<usize> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    (0..columns)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| measure_text_width(s)))
                .max()
                .unwrap_or(0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    // verifies: report/terminal
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn colour_follows_the_choice_the_terminal_and_no_color() {
        let auto = ColorChoice::Auto;
        assert!(Screen::decide(true, Some(100), auto, env(&[])).color);
        assert!(!Screen::decide(false, None, auto, env(&[])).color);
        assert!(!Screen::decide(true, Some(100), auto, env(&[("NO_COLOR", "1")])).color);
        // An empty NO_COLOR does not count (no-color.org).
        assert!(Screen::decide(true, Some(100), auto, env(&[("NO_COLOR", "")])).color);
        assert!(!Screen::decide(true, Some(100), auto, env(&[("TERM", "dumb")])).color);
        let always = ColorChoice::Always;
        assert!(Screen::decide(false, None, always, env(&[("NO_COLOR", "1")])).color);
        assert!(!Screen::decide(true, Some(100), ColorChoice::Never, env(&[])).color);
    }

    #[test]
    fn width_is_the_terminal_s_and_columns_overrides_it() {
        let auto = ColorChoice::Auto;
        assert_eq!(
            Screen::decide(true, Some(100), auto, env(&[])).width,
            Some(100)
        );
        assert_eq!(Screen::decide(true, None, auto, env(&[])).width, Some(80));
        assert_eq!(
            Screen::decide(true, Some(0), auto, env(&[])).width,
            Some(80)
        );
        let columns = env(&[("COLUMNS", "64")]);
        assert_eq!(
            Screen::decide(true, Some(100), auto, columns).width,
            Some(64)
        );
        assert_eq!(
            Screen::decide(true, Some(5), auto, env(&[])).width,
            Some(MIN_WIDTH)
        );
        // A pipe gets whole lines, whatever COLUMNS says.
        assert_eq!(
            Screen::decide(false, None, auto, env(&[("COLUMNS", "64")])).width,
            None
        );
    }

    fn at(width: usize) -> Screen {
        Screen {
            width: Some(width),
            color: false,
        }
    }

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn rows_that_fit_are_only_aligned() {
        let rows = vec![row(&["a", "bb", "c"]), row(&["aaa", "b", "cc"])];
        let expected = vec!["a    bb  c", "aaa  b   cc"];
        assert_eq!(at(80).rows(&rows), expected);
        assert_eq!(Screen::PLAIN.rows(&rows), expected);
    }

    #[test]
    fn wide_rows_cut_the_widest_column_and_wrap_the_last() {
        let rows = vec![
            row(&[
                "src/a/very/long/path/to/somewhere/deep.rs:12",
                "Gateway::check",
                "trailer, 3 commits",
            ]),
            row(&[
                "src/b.rs:1",
                "f",
                "inferred through a call from tests/gateway.rs to check, distance 2",
            ]),
        ];
        let lines = at(60).rows(&rows);
        for line in &lines {
            assert!(measure_text_width(line) <= 60, "{line:?} is wider than 60");
        }
        // A path keeps its end, where its file and line are.
        assert!(
            lines[0].starts_with("…/somewhere/deep.rs:12  Gateway::check"),
            "{lines:?}"
        );
        // The last column wraps under itself, and nothing of it is lost.
        let start = lines[1].find("inferred").expect("the last column");
        assert!(lines[2..].iter().all(|l| l[..start].trim().is_empty()));
        let last: Vec<&str> = lines[1..].iter().map(|l| &l[start..]).collect();
        assert_eq!(
            last.join(" "),
            "inferred through a call from tests/gateway.rs to check, distance 2"
        );
    }

    #[test]
    fn a_narrow_screen_never_cuts_a_column_to_nothing() {
        let rows = vec![row(&[
            "abcdefghijklmnop",
            "qrstuvwxyzabcdef",
            "last words here",
        ])];
        let lines = at(30).rows(&rows);
        assert!(lines[0].starts_with("abcdefg…  qrstuvw…  "), "{lines:?}");
    }

    #[test]
    fn prose_wraps_after_its_indent_and_keeps_colour_out_of_the_count() {
        let screen = Screen {
            width: Some(30),
            color: true,
        };
        let first = format!("    {}  ", screen.paint("missing", Tone::Missing));
        let lines = screen.wrap(
            &first,
            "implemented, verified, documented and more",
            "      ",
        );
        assert!(lines[0].starts_with(&first), "{lines:?}");
        for line in &lines {
            assert!(measure_text_width(line) <= 30, "{line:?}");
        }
        assert_eq!(lines[1..], ["      verified, documented and", "      more"]);
        assert_eq!(
            Screen::PLAIN.wrap("  ", "one two three", "    "),
            vec!["  one two three"]
        );
    }

    #[test]
    fn colour_only_where_the_screen_takes_it() {
        assert_eq!(Screen::PLAIN.paint("stale", Tone::Stale), "stale");
        let painted = Screen {
            width: None,
            color: true,
        }
        .paint("stale", Tone::Stale);
        assert!(
            painted.starts_with('\u{1b}') && painted.contains("stale"),
            "{painted:?}"
        );
    }
}
