//! `kg impact` benchmark: the generated repository of the index benchmark (1,000 source files
//! by default, seed 42) with an up-to-date index, and a change to a method body in each of 10
//! files (6 Rust, 4 TypeScript). Times the change read as a diff file, as uncommitted work-tree
//! changes, and as a committed range.
//!
//! Run: `cargo bench --bench impact -- [FILES] [RUNS]` (defaults: 1000 source files, 7 runs).

// verifies: impact/NFR-performance-1

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "common/mod.rs"]
mod common;

use std::process::Command;

use support::{Fixture, git, median};

fn report(what: &str, samples: Vec<f64>) {
    let all: Vec<String> = samples.iter().map(|t| format!("{t:.3}")).collect();
    println!(
        "{what}, {} runs: median {:.3} s wall (runs: {})",
        samples.len(),
        median(samples.clone()),
        all.join(" ")
    );
}

fn main() {
    let numbers = common::numbers();
    let files = numbers.first().copied().unwrap_or(1000);
    let runs = numbers.get(1).copied().unwrap_or(7);
    let repo = Fixture::empty();
    common::generate(&repo, files, 42);
    common::time_kg(&repo, &["--quiet", "index"]);

    // One method body changed in each of 10 files.
    let changed: Vec<String> = [0, 1, 2, 5, 6, 7]
        .iter()
        .map(|i| format!("crates/c{}/src/m{i}.rs", i % 10))
        .chain([3, 4, 8, 9].iter().map(|i| format!("web/src/w{i}.ts")))
        .collect();
    for path in &changed {
        let text = std::fs::read_to_string(repo.root.join(path)).expect("a generated file");
        let text =
            text.replacen("unwrap_or(0)", "unwrap_or(1)", 1)
                .replacen("(a + 0)", "(a + 100)", 1);
        repo.write(path, text);
    }
    let diff = git(&repo.root, &["diff"]).stdout;
    let diff_file = repo.scratch.join("change.diff");
    std::fs::write(&diff_file, diff).expect("write the diff");
    let diff_arg = diff_file.to_str().expect("utf-8 temp path");

    let label = format!("{files} source files, a 10-file change");
    report(
        &format!("{label}: kg impact --diff FILE --format json"),
        (0..runs)
            .map(|_| common::time_kg(&repo, &["impact", "--diff", diff_arg, "--format", "json"]))
            .collect(),
    );
    report(
        &format!("{label}: kg impact (uncommitted work tree)"),
        (0..runs)
            .map(|_| common::time_kg(&repo, &["impact"]))
            .collect(),
    );
    repo.commit_all("Change 10 files", 1);
    common::time_kg(&repo, &["--quiet", "index"]);
    report(
        &format!("{label}: kg impact HEAD~1..HEAD"),
        (0..runs)
            .map(|_| common::time_kg(&repo, &["impact", "HEAD~1..HEAD"]))
            .collect(),
    );
    // What was measured: the report's summary line.
    let output = Command::new(env!("CARGO_BIN_EXE_kg"))
        .arg("--store")
        .arg(repo.scratch.join("store"))
        .args(["impact", "HEAD~1..HEAD"])
        .current_dir(&repo.root)
        .output()
        .expect("kg runs");
    let text = String::from_utf8_lossy(&output.stdout);
    println!("the report: {}", text.lines().next().unwrap_or(""));
}
