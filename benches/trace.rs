//! Trace benchmark: a generated repository with 2,000 acceptance criteria, each with one
//! implementing function and one verifying test (the shape of the public OpenFastTrace and duvet
//! comparisons). Times the one-time `kg index` and `kg trace --format json` on the up-to-date
//! index, store opening included: as it runs after a full build or an earlier trace (from the
//! trace cache), and as the first trace after an incremental run does (from the store).
//!
//! Run: `cargo bench --bench trace -- [CRITERIA] [RUNS]` (defaults: 2,000 criteria, 7 runs).

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "common/mod.rs"]
mod common;

use common::list;
use support::{Fixture, median};

const PER_FEATURE: usize = 20;

fn generate(repo: &Fixture, criteria: usize) {
    for f in 0..criteria.div_ceil(PER_FEATURE) {
        let mut spec = format!("feature: f{f}\nacceptance:\n");
        let mut code = String::new();
        let mut tests = format!("use crate::f{f}::*;\n\n");
        for c in 1..=PER_FEATURE {
            spec.push_str(&format!("  - \"Criterion {c} of feature {f} holds.\"\n"));
            code.push_str(&format!(
                "// implements: f{f}/AC-{c}\npub fn check_{c}(x: u32) -> bool {{ x > {c} }}\n\n"
            ));
            tests.push_str(&format!("// verifies: f{f}/AC-{c}\n#[test]\nfn checks_{c}() {{ assert!(check_{c}({})); }}\n\n", c + 1));
        }
        repo.write(&format!("specs/f{f}.yaml"), spec);
        repo.write(&format!("src/f{f}.rs"), code);
        repo.write(&format!("tests/f{f}.rs"), tests);
    }
    repo.commit_all("Generated", 0);
}

fn main() {
    let numbers = common::numbers();
    let criteria = numbers.first().copied().unwrap_or(2_000);
    let runs = numbers.get(1).copied().unwrap_or(7);
    let repo = Fixture::empty();
    generate(&repo, criteria);
    let index = common::time_kg(&repo, &["--quiet", "index"]);
    let trace: Vec<f64> = (0..runs)
        .map(|_| common::time_kg(&repo, &["trace", "--format", "json"]))
        .collect();
    let store = repo.scratch.join("store");
    let cold: Vec<f64> = (0..runs)
        .map(|_| {
            common::drop_trace_cache(&store);
            common::time_kg(&repo, &["trace", "--format", "json"])
        })
        .collect();
    println!(
        "{criteria} criteria: kg index {index:.3} s (once); kg trace --format json, {runs} runs: median {:.3} s wall (runs: {}); reading the store (no trace cache): median {:.3} s (runs: {})",
        median(trace.clone()),
        list(&trace),
        median(cold.clone()),
        list(&cold)
    );
}
