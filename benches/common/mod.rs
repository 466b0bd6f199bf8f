//! What the benchmarks share: generated spec-driven repositories, and timing a kg run. Each
//! benchmark uses part of it, hence the allowance for the rest.

#![allow(dead_code)]

use std::process::Command;
use std::time::Instant;

use crate::support::{Fixture, Rng};

/// The numbers among the benchmark's arguments (`-- 2000 7`), in order.
pub fn numbers() -> Vec<usize> {
    std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect()
}

/// Each run's seconds, as the benchmarks print them (`0.036 0.041`).
pub fn list(runs: &[f64]) -> String {
    let all: Vec<String> = runs.iter().map(|t| format!("{t:.3}")).collect();
    all.join(" ")
}

/// Runs kg in the repository (store in its scratch directory) and returns the wall time.
pub fn time_kg(repo: &Fixture, args: &[&str]) -> f64 {
    let store = repo.scratch.join("store");
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_kg"))
        .arg("--store")
        .arg(&store)
        .args(args)
        .current_dir(&repo.root)
        .output()
        .expect("kg runs");
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "kg {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    seconds
}

/// Removes the trace cache of the current index in the store directory `store`, so that the next
/// `kg trace` reads the store (as the first trace after an incremental run does).
pub fn drop_trace_cache(store: &std::path::Path) {
    let current = std::fs::read_to_string(store.join("current")).expect("an index");
    let dir = store.join(current.lines().next().unwrap_or("").trim());
    let _ = std::fs::remove_file(dir.join("kg-trace.json"));
}

/// Writes a repository with `files` source files (60% Rust, 40% TypeScript), one feature per 20
/// files with 10 criteria each, references from code and tests, and one doc per feature.
pub fn generate(repo: &Fixture, files: usize, seed: u64) {
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

/// A generated repository's size.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub name: &'static str,
    /// Rust and TypeScript source files (tests included).
    pub files: usize,
    pub commits: usize,
    /// Features, each with 10 criteria.
    pub features: usize,
    /// Methods a source file holds: about 500 bytes each.
    pub methods: usize,
    /// Whether most commits carry an `Implements:` trailer, as coding agents write them (each
    /// commit rewrites whole files either way: every method carries the file's version).
    pub trailers: bool,
}

impl Size {
    pub fn named(name: &str) -> Option<Size> {
        Some(match name {
            "small" => Size {
                name: "small",
                files: 100,
                commits: 200,
                features: 5,
                methods: 4,
                trailers: false,
            },
            "medium" => Size {
                name: "medium",
                files: 1_000,
                commits: 2_000,
                features: 50,
                methods: 8,
                trailers: false,
            },
            // At least 20,000 commits, 5,000 Rust and TypeScript files, 30 MB, 2,000 criteria.
            "large" => Size {
                name: "large",
                files: 5_000,
                commits: 20_000,
                features: 200,
                methods: 24,
                trailers: false,
            },
            // An agent's history: a trailer on most commits, 1,500 files, 2,000 criteria.
            "agents" => Size {
                name: "agents",
                files: 1_500,
                commits: 6_000,
                features: 200,
                methods: 8,
                trailers: true,
            },
            _ => return None,
        })
    }
}

/// The path of source file `i`: 60% Rust (every fifth of those a test file), 40% TypeScript.
pub fn source_path(i: usize) -> String {
    match i % 5 {
        0 => format!("crates/c{}/tests/t{i}.rs", i % 10),
        1 | 2 => format!("crates/c{}/src/m{i}.rs", i % 10),
        3 => format!("web/src/app{}/w{i}.ts", i % 10),
        _ => format!("web/src/app{}/w{i}.test.ts", i % 10),
    }
}

/// The text of source file `i` in its `version`: `methods` methods that implement a criterion of
/// the file's feature and call a helper; test files verify it and call into the module before.
pub fn source_text(i: usize, version: usize, size: &Size) -> String {
    let feature = i % size.features;
    let criterion = (i / size.features) % 10 + 1;
    let mut text = String::new();
    match i % 5 {
        0 => {
            text.push_str(&format!("use c{}::m{}::*;\n\n", i % 10, i + 1));
            for m in 0..size.methods {
                text.push_str(&format!(
                    "// verifies: feature{feature}/AC-{criterion}\n#[test]\nfn checks_{m}() {{\n    let thing = Thing{}::default();\n    assert_eq!(thing.method_{m}({version}), helper_{}({version} + {m}));\n}}\n\n",
                    i + 1,
                    i + 1
                ));
            }
        }
        1 | 2 => {
            text.push_str(&format!(
                "//! Module {i}, version {version}.\n\nuse std::collections::HashMap;\n\n#[derive(Default)]\npub struct Thing{i} {{\n    map: HashMap<u32, u32>,\n}}\n\nimpl Thing{i} {{\n"
            ));
            for m in 0..size.methods {
                text.push_str(&format!(
                    "    /// Looks `x` up and mixes it with {m}.\n    /// implements: feature{feature}/AC-{criterion}\n    pub fn method_{m}(&self, x: u32) -> u32 {{\n        let y = self.map.get(&x).copied().unwrap_or({version});\n        let z = y.wrapping_add({m}).rotate_left(3);\n        if z % 2 == 0 {{\n            helper_{i}(z)\n        }} else {{\n            helper_{i}(z ^ 0x5bd1_e995)\n        }}\n    }}\n\n"
                ));
            }
            text.push_str(&format!(
                "}}\n\n/// A hash step shared by the methods above.\npub fn helper_{i}(x: u32) -> u32 {{\n    x.wrapping_mul(31).wrapping_add({version})\n}}\n"
            ));
        }
        3 => {
            text.push_str(&format!(
                "import {{ format }} from \"../shared/format\";\n\n/** Widget {i}, version {version}. */\nexport class Widget{i} {{\n"
            ));
            for m in 0..size.methods {
                text.push_str(&format!(
                    "  /**\n   * Scales `a` by {m}.\n   * implements: feature{feature}/AC-{criterion}\n   */\n  method{m}(a: number): string {{\n    const scaled = a * {m} + {version};\n    if (scaled > 100) {{\n      return format{i}(scaled / 2);\n    }}\n    return format{i}(scaled);\n  }}\n\n"
                ));
            }
            text.push_str(&format!(
                "}}\n\nexport function format{i}(n: number): string {{\n  return format(n.toFixed(2));\n}}\n"
            ));
        }
        _ => {
            text.push_str(&format!(
                "import {{ describe, it, expect }} from \"vitest\";\nimport {{ Widget{} }} from \"./w{}\";\n\ndescribe(\"widget {i}\", () => {{\n",
                i - 1,
                i - 1
            ));
            for m in 0..size.methods {
                text.push_str(&format!(
                    "  // verifies: feature{feature}/AC-{criterion}\n  it(\"method {m} formats\", () => {{\n    expect(new Widget{}().method{m}({version})).toBeDefined();\n  }});\n\n",
                    i - 1
                ));
            }
            text.push_str("});\n");
        }
    }
    text
}

/// The spec of feature `f` in its `version` (each version rewords one criterion).
pub fn spec_text(f: usize, version: usize) -> String {
    let mut spec = format!("feature: feature{f}\nowner: team{}\nacceptance:\n", f % 7);
    for c in 0..10 {
        let reworded = if version > 0 && c == version % 10 {
            format!(" (revision {version})")
        } else {
            String::new()
        };
        spec.push_str(&format!(
            "  - \"Criterion {c} of feature {f}: the system does thing {c}{reworded}.\"\n"
        ));
    }
    spec.push_str("nfrs:\n  performance:\n    - \"Answers within 200 ms.\"\n");
    spec
}

/// The doc of feature `f`: a section per criterion that documents it and names a method.
pub fn doc_text(f: usize, size: &Size) -> String {
    let mut doc = format!("# Feature {f}\n\n");
    for c in 0..10 {
        let i = f + c * size.features;
        doc.push_str(&format!(
            "## Criterion {}\n\n<!-- documents: feature{f}/AC-{} -->\nSee feature{f}/AC-{}; `helper_{i}` does the hashing.\n\n",
            c + 1,
            c + 1,
            c + 1
        ));
    }
    doc
}

/// A repository of `size`, deterministic from `seed`, written with `git fast-import` into `dir`
/// (which must not exist): a first commit with every file, then commits that each change one to
/// three source files, and now and then reword a criterion or edit a doc; repacked as a server
/// would pack it, with a commit graph.
pub fn generate_history(dir: &std::path::Path, size: &Size, seed: u64) {
    fast_import(dir, &["--window=10"], |stdin| {
        write_history(stdin, size, seed)
    });
}

/// Makes a repository in `dir` from the `git fast-import` stream that `write` writes (with no
/// git configuration of the machine's), checks out `main`, and repacks it as a server would
/// (`repack` adds its options to `git repack -a -d -f`), with a commit graph.
pub fn fast_import(
    dir: &std::path::Path,
    repack: &[&str],
    write: impl FnOnce(&mut dyn std::io::Write),
) {
    use std::process::{Command, Stdio};
    std::fs::create_dir_all(dir).expect("create the repository directory");
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?} failed");
    };
    git(&["init", "-q", "-b", "main"]);
    let mut import = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import runs");
    {
        let mut stdin = std::io::BufWriter::new(import.stdin.take().expect("stdin"));
        write(&mut stdin);
    }
    assert!(import.wait().expect("fast-import finishes").success());
    git(&["reset", "-q", "--hard", "main"]);
    // fast-import deltifies each version against the one before it, the reverse of what a clone
    // gets from a server (recent objects whole, older ones as deltas): repack as a server would.
    let mut args = vec!["repack", "-a", "-d", "-f", "-q"];
    args.extend_from_slice(repack);
    git(&args);
    git(&["commit-graph", "write", "--reachable"]);
}

/// The fast-import stream of [`generate_history`].
fn write_history(stdin: &mut dyn std::io::Write, size: &Size, seed: u64) {
    use std::io::Write;
    let mut rng = Rng(seed);
    let mut versions = vec![0usize; size.files];
    let mut spec_versions = vec![0usize; size.features];
    let file = |out: &mut dyn Write, path: &str, content: &str| {
        write!(
            out,
            "M 100644 inline {path}\ndata {}\n{content}\n",
            content.len()
        )
        .expect("write the stream");
    };
    for n in 0..size.commits.max(1) {
        let time = 1_767_225_600 + n as u64 * 600;
        // What this commit changes, chosen before its message so that a trailer can name it.
        let spec_change = n > 0 && rng.below(50) == 0;
        let mut changed = Vec::new();
        if spec_change {
            changed.push(rng.below(size.features));
        } else if n > 0 {
            for _ in 0..=rng.below(3) {
                changed.push(rng.below(size.files));
            }
        }
        let message = if n == 0 {
            "Generated repository\n".to_owned()
        } else if size.trailers && !spec_change && rng.below(10) < 8 {
            let i = changed[0];
            let criterion = (i / size.features) % 10 + 1;
            format!(
                "Change {n}\n\nImplements: feature{}/AC-{criterion}\n",
                i % size.features
            )
        } else {
            format!("Change {n}\n")
        };
        write!(
            stdin,
            "commit refs/heads/main\nmark :{}\nauthor Ada Author <ada@example.com> {time} +0000\ncommitter Carl Committer <carl@example.com> {time} +0000\ndata {}\n{message}",
            n + 1,
            message.len()
        )
        .expect("write the stream");
        if n > 0 {
            writeln!(stdin, "from :{n}").expect("write the stream");
        }
        if n == 0 {
            for i in 0..size.files {
                file(stdin, &source_path(i), &source_text(i, 0, size));
            }
            for f in 0..size.features {
                file(stdin, &format!("specs/feature{f}.yaml"), &spec_text(f, 0));
                file(stdin, &format!("docs/feature{f}.md"), &doc_text(f, size));
            }
            file(
                stdin,
                "web/src/shared/format.ts",
                "export function format(s: string): string {\n  return s;\n}\n",
            );
            continue;
        }
        if spec_change {
            let f = changed[0];
            spec_versions[f] += 1;
            let path = format!("specs/feature{f}.yaml");
            file(stdin, &path, &spec_text(f, spec_versions[f]));
        } else {
            for i in changed {
                versions[i] += 1;
                file(stdin, &source_path(i), &source_text(i, versions[i], size));
            }
        }
    }
}
