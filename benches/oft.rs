//! OpenFastTrace benchmark: a generated repository with 2,000 OpenFastTrace requirements in one
//! Markdown spec (`req~r1~1` ..., each `Needs: impl, utest`) and 4,000 coverage tags in Rust
//! files (an `[impl->...]` on a function and a `[utest->...]` on its test, 20 requirements to a
//! file), the shape of the comparison the issue quotes (OpenFastTrace's `trace` 1.41 s, duvet's
//! `report` 0.28 s on these machines). Times `kg index` plus `kg trace` from nothing (no store,
//! no facts cache) and `kg trace` alone on the up-to-date index, and, when
//! `KG_BENCH_OFT` names an OpenFastTrace command line (`java -cp DIR
//! org.itsallcode.openfasttrace.core.cli.CliStarter`), OpenFastTrace's own `trace` of the same
//! tree, with the ratios.
//!
//! Run: `cargo bench --bench oft -- [REQUIREMENTS] [RUNS]` (defaults: 2,000 requirements, 7 runs).

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "common/mod.rs"]
mod common;

use std::time::Instant;

use common::list;
use support::{Fixture, median};

const PER_FILE: usize = 20;

fn generate(repo: &Fixture, requirements: usize) {
    let mut spec = String::from("# System Requirements\n\n");
    for r in 1..=requirements {
        spec.push_str(&format!(
            "### Requirement {r}\n`req~r{r}~1`\n\nThe system handles case {r} within its limits.\n\nNeeds: impl, utest\n\n"
        ));
    }
    repo.write("doc/spec/system_requirements.md", spec);
    for f in 0..requirements.div_ceil(PER_FILE) {
        let mut code = String::from("//! Generated handlers.\n\n");
        let mut tests = String::from("#[cfg(test)]\nmod tests {\n    use super::*;\n\n");
        for r in f * PER_FILE + 1..=((f + 1) * PER_FILE).min(requirements) {
            code.push_str(&format!(
                "// [impl->req~r{r}~1]\npub fn handle_{r}(x: u32) -> bool {{\n    x > {r}\n}}\n\n"
            ));
            tests.push_str(&format!(
                "    // [utest->req~r{r}~1]\n    #[test]\n    fn handles_{r}() {{\n        assert!(handle_{r}({}));\n    }}\n\n",
                r + 1
            ));
        }
        tests.push_str("}\n");
        repo.write(&format!("src/handlers_{f}.rs"), code + &tests);
    }
    repo.commit_all("Generated", 0);
}

fn main() {
    let numbers = common::numbers();
    let requirements = numbers.first().copied().unwrap_or(2_000);
    let runs = numbers.get(1).copied().unwrap_or(7);
    let repo = Fixture::empty();
    generate(&repo, requirements);
    let store = repo.scratch.join("store");
    // From nothing: no store and no facts cache.
    let fresh: Vec<f64> = (0..runs)
        .map(|_| {
            let _ = std::fs::remove_dir_all(&store);
            common::time_kg(&repo, &["--quiet", "index"])
                + common::time_kg(&repo, &["trace", "--format", "json"])
        })
        .collect();
    let check = support::kg_in(
        &repo.root,
        &[
            "--store",
            store.to_str().expect("utf-8"),
            "trace",
            "--check",
        ],
    );
    assert_eq!(
        check.code, 0,
        "every requirement is covered: {}",
        check.stderr
    );
    let trace: Vec<f64> = (0..runs)
        .map(|_| common::time_kg(&repo, &["trace", "--format", "json"]))
        .collect();
    let cold: Vec<f64> = (0..runs)
        .map(|_| {
            common::drop_trace_cache(&store);
            common::time_kg(&repo, &["trace", "--format", "json"])
        })
        .collect();
    println!(
        "{requirements} OpenFastTrace requirements, {} tags: kg index + kg trace from nothing, median {:.3} s (runs: {}); kg trace on the up-to-date index, median {:.3} s (runs: {}); reading the store (no trace cache), median {:.3} s (runs: {})",
        requirements * 2,
        median(fresh.clone()),
        list(&fresh),
        median(trace.clone()),
        list(&trace),
        median(cold.clone()),
        list(&cold)
    );
    let Ok(oft) = std::env::var("KG_BENCH_OFT") else {
        println!(
            "(set KG_BENCH_OFT to an OpenFastTrace command line to time its trace of the same tree)"
        );
        return;
    };
    let words: Vec<&str> = oft.split_whitespace().collect();
    let Some((program, args)) = words.split_first() else {
        return;
    };
    let oft_runs: Vec<f64> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            let output = std::process::Command::new(program)
                .args(args)
                .args(["trace", "-o", "plain", "doc", "src"])
                .current_dir(&repo.root)
                .output()
                .expect("OpenFastTrace runs");
            assert!(
                output.status.success(),
                "OpenFastTrace: {}",
                String::from_utf8_lossy(&output.stdout)
            );
            started.elapsed().as_secs_f64()
        })
        .collect();
    let oft = median(oft_runs.clone());
    println!(
        "OpenFastTrace trace of the same tree: median {oft:.3} s (runs: {}); kg index + trace / OpenFastTrace = {:.2}; kg trace / OpenFastTrace = {:.2}",
        list(&oft_runs),
        median(fresh) / oft,
        median(trace) / oft
    );
}
