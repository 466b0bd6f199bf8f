//! Disk benchmark: on a generated history of a named size (`benches/common`: every commit
//! rewrites whole files), a full `kg index` at an early commit, then one incremental run per
//! commit up to `main`, as a busy repository sees them; then a fresh full build of the same
//! commit. Prints the size of kg's directory (store, facts cache) every RUNS/10 runs and at the
//! end against the fresh build's, and the incremental runs' median times, first tenth and last.
//!
//! Run: `cargo bench --bench disk -- [SIZE] [RUNS]` (defaults: medium, 1000 runs).

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use support::median;

fn git(repo: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(repo)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?} failed");
    String::from_utf8(output.stdout).expect("utf-8")
}

fn index(repo: &Path, store: &Path) -> f64 {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_kg"))
        .arg("-C")
        .arg(repo)
        .arg("--store")
        .arg(store)
        .args(["--quiet", "index"])
        .output()
        .expect("kg runs");
    assert!(
        output.status.success(),
        "kg index failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    started.elapsed().as_secs_f64()
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let size = common::Size::named(args.first().map_or("medium", String::as_str))
        .expect("a size: small, medium, large or agents");
    let runs: usize = args
        .get(1)
        .map_or(1000, |n| n.parse().expect("a number of runs"));
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = dir.path().join("repo");
    common::generate_history(&repo, &size, 7);
    let commits: Vec<String> = git(&repo, &["rev-list", "--first-parent", "--reverse", "main"])
        .lines()
        .map(str::to_owned)
        .collect();
    assert!(
        commits.len() > runs,
        "{} commits, fewer than {runs} runs",
        commits.len()
    );
    let start = commits.len() - 1 - runs;
    let store = dir.path().join("store");
    let set = |commit: &str| git(&repo, &["update-ref", "refs/heads/main", commit]);
    set(&commits[start]);
    let full = index(&repo, &store);
    println!(
        "{}: full index at commit {} of {}: {full:.2} s, {} (facts {})",
        size.name,
        start + 1,
        commits.len(),
        mb(support::dir_size(&store)),
        mb(support::dir_size(&store.join("facts")))
    );
    let mut times = Vec::with_capacity(runs);
    for (run, commit) in commits[start + 1..].iter().enumerate() {
        set(commit);
        times.push(index(&repo, &store));
        if (run + 1) % (runs / 10).max(1) == 0 {
            println!(
                "after {:>5} incremental runs: {} (facts {}), last run {:.3} s",
                run + 1,
                mb(support::dir_size(&store)),
                mb(support::dir_size(&store.join("facts"))),
                times[run]
            );
        }
    }
    let fresh = dir.path().join("fresh");
    index(&repo, &fresh);
    let (busy, once) = (support::dir_size(&store), support::dir_size(&fresh));
    let tenth = (runs / 10).max(1);
    println!(
        "after {runs} runs: {} against a fresh full build's {} ({:.2}x); facts {} against {}",
        mb(busy),
        mb(once),
        busy as f64 / once as f64,
        mb(support::dir_size(&store.join("facts"))),
        mb(support::dir_size(&fresh.join("facts")))
    );
    println!(
        "incremental run, median: first {tenth} runs {:.3} s, last {tenth} runs {:.3} s",
        median(times[..tenth].to_vec()),
        median(times[runs - tenth..].to_vec())
    );
}
