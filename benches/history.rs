//! History walk benchmark: generates a repository with many commits (deterministic, through
//! `git fast-import`) and times kg's history walk (every commit read and diffed against its first
//! parent, on all cores) against `git log --no-renames --diff-merges=first-parent --name-status`
//! on the same repository, in one run.
//!
//! Run: `cargo bench --bench history -- [COMMITS] [RUNS]` (defaults: 10,000 commits, 5 runs);
//! `KG_BENCH_KEEP=DIR` keeps the generated repository there and reuses it.

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "common/mod.rs"]
mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use support::{Rng, median};

const FILES: usize = 2_000;

fn path(file: usize) -> String {
    format!("src/d{}/e{}/f{file}.rs", file % 20, file % 7)
}

/// An initial commit with FILES files, then `commits - 1` commits that each modify one to three
/// files (and now and then add one), as a fast-import stream.
fn stream(commits: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    let mut version = vec![0usize; FILES + commits];
    let mut files = FILES;
    for n in 0..commits {
        let time = 1_767_225_600 + n as u64 * 600;
        writeln!(out, "commit refs/heads/main\nmark :{}", n + 1).unwrap();
        writeln!(out, "author Ada Author <ada@example.com> {time} +0000").unwrap();
        writeln!(
            out,
            "committer Carl Committer <carl@example.com> {time} +0000"
        )
        .unwrap();
        let message = format!("Change {n}\n\nImplements: f{}/AC-1\n", n % 50);
        write!(out, "data {}\n{message}", message.len()).unwrap();
        if n > 0 {
            writeln!(out, "from :{n}").unwrap();
        }
        let changed: Vec<usize> = if n == 0 {
            (0..FILES).collect()
        } else {
            if rng.below(20) == 0 {
                files += 1;
            }
            (0..=rng.below(3)).map(|_| rng.below(files)).collect()
        };
        for file in changed {
            version[file] += 1;
            let content = format!(
                "pub fn f{file}() -> u32 {{ {} }}\n// version {}\n",
                file * 7,
                version[file]
            );
            write!(
                out,
                "M 100644 inline {}\ndata {}\n{content}\n",
                path(file),
                content.len()
            )
            .unwrap();
        }
    }
    out
}

fn generate(dir: &Path, commits: usize) {
    common::fast_import(dir, &[], |stdin| {
        stdin
            .write_all(&stream(commits, 42))
            .expect("write the stream")
    });
}

fn main() {
    let numbers = common::numbers();
    let commits = numbers.first().copied().unwrap_or(10_000);
    let runs = numbers.get(1).copied().unwrap_or(5);
    // For profiling by hand: KG_BENCH_KEEP=DIR generates the repository there once and reuses it.
    let temporary = tempfile::tempdir().expect("temp dir");
    let kept = std::env::var_os("KG_BENCH_KEEP").map(std::path::PathBuf::from);
    let dir = kept.as_deref().unwrap_or(temporary.path());
    if !dir.join(".git").exists() {
        std::fs::create_dir_all(dir).expect("create the repository directory");
        let started = Instant::now();
        generate(dir, commits);
        eprintln!(
            "generated {commits} commits over {FILES}+ files in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }

    let mut git_times = Vec::new();
    let mut kg_times = Vec::new();
    let repo = kg::git::Repo::discover(dir).expect("the generated repository opens");
    let head = repo.head_commit().expect("HEAD").expect("a commit");
    for _ in 0..runs {
        let started = Instant::now();
        let output = Command::new("git")
            .args([
                "log",
                "--no-renames",
                "--diff-merges=first-parent",
                "--name-status",
            ])
            .current_dir(dir)
            .stdout(Stdio::null())
            .status()
            .expect("git log runs");
        assert!(output.success());
        git_times.push(started.elapsed().as_secs_f64());

        let started = Instant::now();
        let history = repo
            .history(head, None, &())
            .expect("the history walk succeeds");
        kg_times.push(started.elapsed().as_secs_f64());
        assert_eq!(history.commits.len(), commits);
    }
    let (git, kg) = (median(git_times), median(kg_times));
    println!(
        "history of {commits} commits, {runs} runs: git log --no-renames --diff-merges=first-parent --name-status median {git:.3} s; kg history walk median {kg:.3} s; kg/git {:.2}",
        kg / git
    );
}
