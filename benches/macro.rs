//! Macro benchmark: on one repository, in one invocation, `kg index` (full, from a cold facts
//! cache, and incremental after one commit), `kg trace`, `kg impact` on a 10-file commit, parse
//! and extract against bare tree-sitter parsing of the same files, and the baselines `git log
//! --no-renames --diff-merges=first-parent --name-status` and `ctags -R
//! --languages=Rust,TypeScript`. Prints medians and the ratios kg / baseline against the goals.
//!
//! Run: `cargo bench --bench macro -- [small|medium|large|agents] [RUNS]` (defaults: medium, 3 runs).
//! The repository is generated (deterministic, seed 42); `KG_BENCH_KEEP=DIR` generates it there
//! once and reuses it. `KG_BENCH_REPO=DIR` measures an existing repository instead (a bare one
//! is fine; `KG_BENCH_TREE=DIR` then names a checkout for ctags); nothing is committed to it, so
//! the incremental and impact runs are left out.

// verifies: index/NFR-performance-1

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use rayon::prelude::*;

use common::Size;
use support::{git, median};

/// One timed run of a command: wall seconds, peak memory, stdout and stderr.
struct Sample {
    seconds: f64,
    peak_kib: Option<u64>,
    stdout: String,
    stderr: String,
}

fn run(program: &str, args: &[&str], dir: &Path) -> Sample {
    let time = Path::new("/usr/bin/time");
    let started = Instant::now();
    let output = if time.exists() {
        Command::new(time)
            .arg("-f")
            .arg("BENCH_PEAK_KIB=%M")
            .arg(program)
            .args(args)
            .current_dir(dir)
            .output()
    } else {
        Command::new(program).args(args).current_dir(dir).output()
    }
    .unwrap_or_else(|e| panic!("{program} runs: {e}"));
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {stderr}"
    );
    let peak_kib = stderr
        .lines()
        .find_map(|l| l.strip_prefix("BENCH_PEAK_KIB=")?.trim().parse().ok());
    Sample {
        seconds,
        peak_kib,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr,
    }
}

fn kg(repo: &Path, store: &Path, args: &[&str]) -> Sample {
    let mut all = vec![
        "-C",
        repo.to_str().expect("utf-8 path"),
        "--store",
        store.to_str().expect("utf-8 path"),
    ];
    all.extend_from_slice(args);
    run(env!("CARGO_BIN_EXE_kg"), &all, repo)
}

/// The wall time of one stage in `kg index --timings` output.
fn stage_seconds(stderr: &str, stage: &str) -> Option<f64> {
    stderr.lines().find_map(|l| {
        let rest = l.strip_prefix(stage)?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

struct Row {
    what: String,
    kg: f64,
    baseline: Option<(String, f64)>,
    goal: String,
}

fn print(rows: &[Row]) {
    println!(
        "{:<44} {:>10} {:>26} {:>7}  goal",
        "measure", "kg median", "baseline median", "ratio"
    );
    for row in rows {
        let (baseline, ratio) = match &row.baseline {
            Some((name, seconds)) => (
                format!("{name} {seconds:.3} s"),
                format!("{:.2}", row.kg / seconds),
            ),
            None => (String::new(), String::new()),
        };
        println!(
            "{:<44} {:>8.3} s {:>26} {:>7}  {}",
            row.what, row.kg, baseline, ratio, row.goal
        );
    }
}

/// Parse and extract every source file with kg's parser, and parse it with bare tree-sitter,
/// both on all cores with one file a task: (kg seconds, tree-sitter seconds).
fn parse_against_tree_sitter(files: &[(String, Vec<u8>)]) -> (f64, f64) {
    use kg::facts::{FileFacts, FileKind, Language};
    use kg::parse::{CodeQueries, FileParser};
    let language = |path: &str| {
        if path.ends_with(".rs") {
            Language::Rust
        } else if path.ends_with(".tsx") {
            Language::Tsx
        } else {
            Language::TypeScript
        }
    };
    let queries = CodeQueries::shared();
    let started = Instant::now();
    let definitions: usize = files
        .par_iter()
        .with_max_len(1)
        .map_init(
            || FileParser::new(queries),
            |parser, (path, bytes)| {
                let facts = FileFacts::new(path, FileKind::Code(language(path)), "", 0);
                parser.parse(facts, bytes, u64::MAX, None).definitions.len()
            },
        )
        .sum();
    let kg_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let nodes: usize = files
        .par_iter()
        .with_max_len(1)
        .map_init(tree_sitter::Parser::new, |parser, (path, bytes)| {
            let grammar: tree_sitter::Language = match language(path) {
                Language::Rust => tree_sitter_rust::LANGUAGE.into(),
                Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
                Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            };
            parser.set_language(&grammar).expect("grammar");
            parser
                .parse(bytes, None)
                .map_or(0, |t| t.root_node().child_count() as usize)
        })
        .sum();
    let ts_seconds = started.elapsed().as_secs_f64();
    assert!(definitions > 0 && nodes > 0);
    (kg_seconds, ts_seconds)
}

/// The Rust and TypeScript files of HEAD, read through git.
fn source_files(repo: &Path) -> Vec<(String, Vec<u8>)> {
    let listing = git(repo, &["ls-tree", "-r", "HEAD"]).stdout;
    let listing = String::from_utf8_lossy(&listing);
    listing
        .lines()
        .filter_map(|line| {
            let (meta, path) = line.split_once('\t')?;
            let mut parts = meta.split_whitespace();
            let (mode, kind, id) = (parts.next()?, parts.next()?, parts.next()?);
            let wanted = kind == "blob"
                && mode != "120000"
                && (path.ends_with(".rs") || path.ends_with(".ts") || path.ends_with(".tsx"));
            wanted.then(|| (path.to_owned(), id.to_owned()))
        })
        .filter_map(|(path, id)| {
            let output = Command::new("git")
                .args(["cat-file", "blob", &id])
                .current_dir(repo)
                .output()
                .ok()?;
            output.status.success().then_some((path, output.stdout))
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size = args
        .iter()
        .find_map(|a| Size::named(a))
        .unwrap_or_else(|| Size::named("medium").expect("a size"));
    let runs = args
        .iter()
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(3)
        .max(1);
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let external = std::env::var_os("KG_BENCH_REPO").map(PathBuf::from);
    let repo: PathBuf = match (&external, std::env::var_os("KG_BENCH_KEEP")) {
        (Some(repo), _) => repo.clone(),
        (None, Some(keep)) => {
            let keep = PathBuf::from(keep);
            if !keep.join(".git").exists() {
                common::generate_history(&keep, &size, 42);
            }
            keep
        }
        (None, None) => {
            let dir = scratch.path().join("repo");
            let started = Instant::now();
            common::generate_history(&dir, &size, 42);
            eprintln!(
                "generated the {} repository in {:.1} s",
                size.name,
                started.elapsed().as_secs_f64()
            );
            dir
        }
    };
    let tree = std::env::var_os("KG_BENCH_TREE").map_or_else(|| repo.clone(), PathBuf::from);
    let label = match &external {
        Some(path) => path.display().to_string(),
        None => format!(
            "{} ({} files, {} commits, {} criteria)",
            size.name,
            size.files,
            size.commits,
            size.features * 10
        ),
    };
    println!("repository: {label}; {runs} runs each; medians");
    let store = scratch.path().join("store");
    let mut rows = Vec::new();

    // Baselines.
    let git_log: Vec<f64> = (0..runs)
        .map(|_| {
            run(
                "git",
                &[
                    "log",
                    "--no-renames",
                    "--diff-merges=first-parent",
                    "--name-status",
                    "HEAD",
                ],
                &repo,
            )
            .seconds
        })
        .collect();
    let git_log = median(git_log);
    let ctags_available = Command::new("ctags").arg("--version").output().is_ok();
    let ctags = ctags_available.then(|| {
        let tags = scratch.path().join("tags");
        let tags = tags.to_str().expect("utf-8 path").to_owned();
        median(
            (0..runs)
                .map(|_| {
                    run(
                        "ctags",
                        &["-R", "--languages=Rust,TypeScript", "-f", &tags, "."],
                        &tree,
                    )
                    .seconds
                })
                .collect(),
        )
    });

    // Full index from nothing: no store, no facts cache.
    let full: Vec<Sample> = (0..runs)
        .map(|_| {
            let _ = std::fs::remove_dir_all(&store);
            kg(&repo, &store, &["--quiet", "index", "--timings"])
        })
        .collect();
    let peak = median(
        full.iter()
            .filter_map(|s| s.peak_kib)
            .map(|k| k as f64 / 1024.0)
            .collect(),
    );
    let baseline = ctags.map_or(git_log, |c| git_log + c);
    rows.push(Row {
        what: format!("kg index, full (peak {peak:.0} MiB)"),
        kg: median(full.iter().map(|s| s.seconds).collect()),
        baseline: Some((
            if ctags.is_some() {
                "git log + ctags".to_owned()
            } else {
                "git log (no ctags)".to_owned()
            },
            baseline,
        )),
        goal: "ratio < 2.5, peak < 1024 MiB".to_owned(),
    });
    let walk: Vec<f64> = full
        .iter()
        .filter_map(|s| stage_seconds(&s.stderr, "history walk"))
        .collect();
    rows.push(Row {
        what: "  history walk stage".to_owned(),
        kg: median(walk),
        baseline: Some(("git log".to_owned(), git_log)),
        goal: "ratio <= 1".to_owned(),
    });
    if let Some(ctags) = ctags {
        let parse: Vec<f64> = full
            .iter()
            .filter_map(|s| stage_seconds(&s.stderr, "parse"))
            .collect();
        rows.push(Row {
            what: "  parse stage (blobs, facts cache writes)".to_owned(),
            kg: median(parse),
            baseline: Some(("ctags".to_owned(), ctags)),
            goal: String::new(),
        });
    }

    // Parse and extract against bare tree-sitter, in process.
    let files = source_files(&repo);
    // Once untimed: compiling the tree-sitter queries is a one-time cost of each process.
    parse_against_tree_sitter(&files[..files.len().min(10)]);
    let pairs: Vec<(f64, f64)> = (0..runs)
        .map(|_| parse_against_tree_sitter(&files))
        .collect();
    rows.push(Row {
        what: format!("parse and extract, {} files", files.len()),
        kg: median(pairs.iter().map(|p| p.0).collect()),
        baseline: Some((
            "tree-sitter".to_owned(),
            median(pairs.iter().map(|p| p.1).collect()),
        )),
        goal: "ratio < 1.2".to_owned(),
    });

    // On an up-to-date index: trace.
    let trace: Vec<f64> = (0..runs)
        .map(|_| kg(&repo, &store, &["trace", "--format", "json"]).seconds)
        .collect();
    rows.push(Row {
        what: "kg trace --format json".to_owned(),
        kg: median(trace),
        baseline: None,
        goal: "< 0.3 s".to_owned(),
    });
    // The first trace after an incremental run reads the store (and saves the cache).
    let cold: Vec<f64> = (0..runs)
        .map(|_| {
            common::drop_trace_cache(&store);
            kg(&repo, &store, &["trace", "--format", "json"]).seconds
        })
        .collect();
    rows.push(Row {
        what: "kg trace --format json, no trace cache".to_owned(),
        kg: median(cold),
        baseline: None,
        goal: "< 0.5 s".to_owned(),
    });

    if external.is_none() {
        // The generated repository links criteria from code, tests and docs alike.
        let relations = kg(
            &repo,
            &store,
            &[
                "query",
                "--no-refresh",
                "--format",
                "csv",
                "SELECT DISTINCT ?relation WHERE { ?item ?relation ?x FILTER(?relation IN (oslc_rm:implementedBy, oslc_rm:validatedBy, oslc_rm:elaboratedBy)) }",
            ],
        )
        .stdout;
        assert_eq!(relations.lines().count(), 4, "links missing: {relations}");
        // Incremental after one commit that changes one file.
        let incremental: Vec<f64> = (0..runs)
            .map(|n| {
                let path = common::source_path(1);
                let text = common::source_text(1, 1_000 + n, &size);
                std::fs::write(repo.join(&path), text).expect("write a source file");
                git(&repo, &["commit", "-q", "-am", "One file"]);
                kg(&repo, &store, &["--quiet", "index"]).seconds
            })
            .collect();
        rows.push(Row {
            what: "kg index, incremental (1 file)".to_owned(),
            kg: median(incremental),
            baseline: None,
            goal: "< 0.3 s".to_owned(),
        });
        // Impact of a commit that changes 10 files.
        for i in 0..10 {
            let i = i * (size.files / 10) + 1;
            let text = common::source_text(i, 2_000, &size);
            std::fs::write(repo.join(common::source_path(i)), text).expect("write a source file");
        }
        git(&repo, &["commit", "-q", "-am", "Ten files"]);
        kg(&repo, &store, &["--quiet", "index"]);
        let impact: Vec<f64> = (0..runs)
            .map(|_| kg(&repo, &store, &["impact", "HEAD~1..HEAD"]).seconds)
            .collect();
        rows.push(Row {
            what: "kg impact HEAD~1..HEAD (10 files)".to_owned(),
            kg: median(impact),
            baseline: None,
            goal: "< 0.3 s".to_owned(),
        });
        // Reads right after a full build, before any later write: each run rebuilds first.
        let (mut trace, mut impact) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            kg(&repo, &store, &["--quiet", "index", "--force"]);
            impact.push(kg(&repo, &store, &["impact", "HEAD~1..HEAD"]).seconds);
            common::drop_trace_cache(&store);
            trace.push(kg(&repo, &store, &["trace", "--format", "json"]).seconds);
        }
        rows.push(Row {
            what: "kg impact (10 files) right after --force".to_owned(),
            kg: median(impact),
            baseline: None,
            goal: "< 0.3 s (medium), < 1 s (large)".to_owned(),
        });
        rows.push(Row {
            what: "kg trace, no cache, right after --force".to_owned(),
            kg: median(trace),
            baseline: None,
            goal: "< 0.3 s (medium), < 1 s (large)".to_owned(),
        });
    }
    print(&rows);
}
