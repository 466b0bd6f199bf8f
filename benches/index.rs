//! Macro benchmark of `kg index`: generates a spec-driven repository of a stated size
//! (deterministic from a seed), then times full index builds of it and of the upload fixture.
//!
//! Run: `cargo bench --bench index -- [FILES] [RUNS]` (defaults: 1000 source files, 5 runs);
//! `KG_BENCH_KEEP=DIR` keeps a copy of the generated repository for profiling.
//! Prints the median wall time and median peak memory (via /usr/bin/time when present).

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use support::{Fixture, Rng, median};

/// Writes a repository with `files` source files (60% Rust, 40% TypeScript), one feature per 20
/// files with 10 criteria each, references from code and tests, and one doc per feature.
fn generate(repo: &Fixture, files: usize, seed: u64) {
    let mut rng = Rng(seed);
    let features = files.div_ceil(20);
    for f in 0..features {
        let mut spec = format!("feature: feature{f}\nowner: team{}\nacceptance:\n", f % 7);
        for c in 0..10 {
            spec.push_str(&format!(
                "  - \"Criterion {c} of feature {f}: the system does thing {}.\"\n",
                rng.below(1000)
            ));
        }
        spec.push_str("nfrs:\n  performance:\n    - \"Answers within 200 ms.\"\n");
        repo.write(&format!("specs/feature{f}.yaml"), &spec);
        let mut doc = format!("# Feature {f}\n\n");
        for c in 0..10 {
            doc.push_str(&format!(
                "## Criterion {c}\n<!-- documents: feature{f}/AC-{} -->\nSee feature{f}/AC-{}.\n\n",
                c + 1,
                c + 1
            ));
        }
        repo.write(&format!("docs/feature{f}.md"), &doc);
    }
    for i in 0..files {
        let feature = i / 20;
        let criterion = rng.below(10) + 1;
        if i % 5 < 3 {
            let mut text = format!(
                "//! Module {i}.\n\nuse std::collections::HashMap;\n\npub struct Thing{i} {{ map: HashMap<u32, u32> }}\n\nimpl Thing{i} {{\n"
            );
            for m in 0..8 {
                text.push_str(&format!(
                    "    /// implements: feature{feature}/AC-{criterion}\n    pub fn method_{m}(&self, x: u32) -> u32 {{\n        let y = self.map.get(&x).copied().unwrap_or(0);\n        helper_{i}(y + {m})\n    }}\n\n"
                ));
            }
            text.push_str(&format!("}}\n\nfn helper_{i}(x: u32) -> u32 {{ x.wrapping_mul(31) }}\n\n#[cfg(test)]\nmod tests {{\n    use super::*;\n\n    // verifies: feature{feature}/AC-{criterion}\n    #[test]\n    fn works() {{ assert_eq!(helper_{i}(1), 31); }}\n}}\n"));
            repo.write(&format!("crates/c{}/src/m{i}.rs", i % 10), &text);
        } else {
            let mut text = format!("import {{ x }} from \"./x\";\n\nexport class Widget{i} {{\n");
            for m in 0..8 {
                text.push_str(&format!(
                    "  /** implements: feature{feature}/AC-{criterion} */\n  method{m}(a: number): number {{\n    return format{i}(a + {m});\n  }}\n\n"
                ));
            }
            text.push_str(&format!(
                "}}\n\nexport function format{i}(n: number): number {{ return n * 2; }}\n"
            ));
            repo.write(&format!("web/src/w{i}.ts"), &text);
            if i % 2 == 0 {
                let test = format!(
                    "import {{ describe, it }} from \"vitest\";\n\ndescribe(\"widget {i}\", () => {{\n  // verifies: feature{feature}/AC-{criterion}\n  it(\"formats\", () => {{ format{i}(1); }});\n}});\n"
                );
                repo.write(&format!("web/src/w{i}.test.ts"), &test);
            }
        }
    }
    repo.commit_all("Generated repository", 0);
}

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
    let numbers: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
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
