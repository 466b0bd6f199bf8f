//! Macro benchmark of `kg index`: generates a spec-driven repository of a stated size
//! (deterministic from a seed), then times full index builds of it and of the upload fixture.
//!
//! Run: `cargo bench --bench index -- [FILES] [RUNS]` (defaults: 1000 source files, 5 runs);
//! `KG_BENCH_KEEP=DIR` keeps a copy of the generated repository for profiling.
//! Prints the median wall time and median peak memory (via /usr/bin/time when present).

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use common::generate;
use support::{Fixture, median};

struct Sample {
    seconds: f64,
    peak_kib: Option<u64>,
}

fn run_index(repo: &Path, store: &Path, force: bool) -> Sample {
    let kg = env!("CARGO_BIN_EXE_kg");
    let mut args = vec![
        "-C",
        repo.to_str().expect("utf-8"),
        "--store",
        store.to_str().expect("utf-8"),
        "--quiet",
        "index",
    ];
    if force {
        args.push("--force");
    }
    let time = Path::new("/usr/bin/time");
    let started = Instant::now();
    let output = if time.exists() {
        Command::new(time)
            .arg("-f")
            .arg("KG_PEAK_KIB=%M")
            .arg(kg)
            .args(args)
            .output()
    } else {
        Command::new(kg).args(args).output()
    }
    .expect("kg runs");
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "kg index failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let peak_kib = stderr
        .lines()
        .find_map(|l| l.strip_prefix("KG_PEAK_KIB=")?.trim().parse().ok());
    Sample { seconds, peak_kib }
}

fn measure(label: &str, repo: &Fixture, runs: usize) {
    let store = repo.scratch.join("store");
    let samples: Vec<Sample> = (0..runs)
        .map(|_| run_index(&repo.root, &store, true))
        .collect();
    report(label, "kg index --force", &samples);
}

/// Times `kg index` after each of `runs` new commits that change `paths`.
fn measure_incremental(label: &str, repo: &Fixture, paths: &[&str], runs: usize) {
    let store = repo.scratch.join("store");
    run_index(&repo.root, &store, false);
    let samples: Vec<Sample> = (0..runs)
        .map(|n| {
            for path in paths {
                let mut text =
                    std::fs::read_to_string(repo.root.join(path)).expect("read a generated file");
                text.push_str(&format!("\n// change {n}\n"));
                repo.write(path, text);
            }
            repo.commit_all(&format!("Change {n}"), n as u32 + 1);
            run_index(&repo.root, &store, false)
        })
        .collect();
    report(
        label,
        &format!("kg index after a commit changing {} files", paths.len()),
        &samples,
    );
}

fn report(label: &str, what: &str, samples: &[Sample]) {
    let wall = median(samples.iter().map(|s| s.seconds).collect());
    let peak: Vec<f64> = samples
        .iter()
        .filter_map(|s| s.peak_kib)
        .map(|k| k as f64)
        .collect();
    let peak = if peak.is_empty() {
        "n/a".to_owned()
    } else {
        format!("{:.1} MiB", median(peak) / 1024.0)
    };
    let all: Vec<String> = samples
        .iter()
        .map(|s| format!("{:.3}", s.seconds))
        .collect();
    println!(
        "{label}: {what}, {} runs: median {wall:.3} s wall, median peak {peak} (runs: {})",
        samples.len(),
        all.join(" ")
    );
}

fn main() {
    // `cargo bench` passes `--bench`; the numbers are ours.
    let numbers = common::numbers();
    let files = numbers.first().copied().unwrap_or(1000);
    let runs = numbers.get(1).copied().unwrap_or(5);

    let fixture = Fixture::from_dir("upload");
    measure("fixture upload (13 files)", &fixture, runs);

    let generated = Fixture::empty();
    let started = Instant::now();
    generate(&generated, files, 42);
    eprintln!(
        "generated {files} source files in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    measure(
        &format!("generated ({files} source files, seed 42)"),
        &generated,
        runs,
    );
    measure_incremental(
        &format!("generated ({files} source files)"),
        &generated,
        &[
            "crates/c0/src/m0.rs",
            "crates/c1/src/m1.rs",
            "web/src/w3.ts",
        ],
        runs,
    );
    // A changed spec also rewrites the graphs of all specs and of the docs that mention items.
    measure_incremental(
        &format!("generated ({files} source files), one of them a spec"),
        &generated,
        &[
            "crates/c0/src/m0.rs",
            "web/src/w3.ts",
            "specs/feature0.yaml",
        ],
        runs,
    );
    // For profiling by hand: KG_BENCH_KEEP=DIR keeps a copy of the generated repository.
    if let Some(keep) = std::env::var_os("KG_BENCH_KEEP") {
        support::copy_tree(&generated.root, Path::new(&keep));
        eprintln!(
            "kept the generated repository in {}",
            Path::new(&keep).display()
        );
    }
}
