//! Stage timings and progress bars for long runs. Each stage of an index run is timed (wall time
//! and items, for `kg index --timings`) and shows a progress bar on stderr while it runs, when
//! stderr is a terminal and kg is not `--quiet`.

// implements: index/timings, index/progress

use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What a long loop reports as it goes; `()` reports nothing.
pub trait Tick: Sync {
    /// The number of steps, once known.
    fn total(&self, _steps: u64) {}
    /// `steps` more are done.
    fn inc(&self, _steps: u64) {}
}

impl Tick for () {}

/// One finished stage.
#[derive(Debug, Clone, PartialEq)]
pub struct StageTime {
    pub name: &'static str,
    pub wall: Duration,
    pub items: u64,
    /// What the items are: files, commits, quads, calls.
    pub unit: &'static str,
}

impl StageTime {
    /// Items per second, when there are items and time to divide by.
    pub fn rate(&self) -> Option<f64> {
        let seconds = self.wall.as_secs_f64();
        (self.items > 0 && seconds > 0.0).then(|| self.items as f64 / seconds)
    }
}

/// The stages of one run.
pub struct Stages {
    show: bool,
    done: Mutex<Vec<StageTime>>,
}

impl Stages {
    /// `show`: draw progress bars (they are drawn only when stderr is a terminal).
    pub fn new(show: bool) -> Self {
        Stages {
            show,
            done: Mutex::new(Vec::new()),
        }
    }

    /// Starts a stage; `total` is its number of steps when known.
    pub fn start(&self, name: &'static str, unit: &'static str, total: Option<u64>) -> Stage<'_> {
        let target = if self.show {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(total, target);
        bar.set_prefix(name);
        bar.set_style(style(total.is_some(), unit));
        if total.is_none() {
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        Stage {
            stages: self,
            name,
            unit,
            started: Instant::now(),
            bar,
        }
    }

    /// Records a stage timed elsewhere.
    pub fn record(&self, name: &'static str, unit: &'static str, wall: Duration, items: u64) {
        if let Ok(mut done) = self.done.lock() {
            done.push(StageTime {
                name,
                wall,
                items,
                unit,
            });
        }
    }

    /// The finished stages, in order.
    pub fn times(&self) -> Vec<StageTime> {
        self.done.lock().map(|d| d.clone()).unwrap_or_default()
    }
}

fn style(counted: bool, unit: &str) -> ProgressStyle {
    let template = if counted {
        format!("{{prefix:>14}} [{{bar:30}}] {{pos}}/{{len}} {unit} ({{per_sec}}, {{eta}} left)")
    } else {
        format!("{{prefix:>14}} {{spinner}} {{pos}} {unit} ({{per_sec}})")
    };
    ProgressStyle::with_template(&template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// A running stage: a progress bar and a clock.
pub struct Stage<'a> {
    stages: &'a Stages,
    name: &'static str,
    unit: &'static str,
    started: Instant,
    bar: ProgressBar,
}

impl Tick for Stage<'_> {
    fn total(&self, steps: u64) {
        self.bar.set_length(steps);
        self.bar.set_style(style(true, self.unit));
        self.bar.disable_steady_tick();
    }

    fn inc(&self, steps: u64) {
        self.bar.inc(steps);
    }
}

impl Stage<'_> {
    /// Ends the stage, having done `items`.
    pub fn finish(self, items: u64) {
        self.finish_without(items, Duration::ZERO);
    }

    /// Ends the stage, having done `items`, leaving out `elsewhere`: time spent inside it on
    /// another stage's work (loading what it built).
    pub fn finish_without(self, items: u64, elsewhere: Duration) {
        self.bar.finish_and_clear();
        let wall = self.started.elapsed().saturating_sub(elsewhere);
        self.stages.record(self.name, self.unit, wall, items);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // verifies: index/timings
    #[test]
    fn stages_are_timed_in_order_with_their_items() {
        let stages = Stages::new(false);
        let parse = stages.start("parse", "files", Some(3));
        parse.inc(3);
        parse.finish(3);
        let walk = stages.start("history walk", "commits", None);
        walk.total(10);
        walk.finish(10);
        let times = stages.times();
        let names: Vec<(&str, u64, &str)> =
            times.iter().map(|t| (t.name, t.items, t.unit)).collect();
        assert_eq!(
            names,
            vec![("parse", 3, "files"), ("history walk", 10, "commits")]
        );
        let empty = StageTime {
            name: "x",
            wall: Duration::ZERO,
            items: 5,
            unit: "files",
        };
        assert_eq!(empty.rate(), None);
    }
}
