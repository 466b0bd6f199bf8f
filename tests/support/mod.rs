//! Test support: fixture git repositories built from plain files under `fixtures/`, with fixed
//! names, emails and dates and no dependence on the machine's git configuration, and a way to
//! run the `kg` binary against them.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// A repository built in a temporary directory, removed on drop.
pub struct Fixture {
    _dir: TempDir,
    pub root: PathBuf,
    /// A directory for stores and other scratch files outside the repository.
    pub scratch: PathBuf,
}

/// The fixed author and committer date of the n-th commit (2026-01-01 plus n days).
fn date(n: u32) -> String {
    format!("{} +0000", 1_767_225_600 + u64::from(n) * 86_400)
}

/// Runs git with a clean environment: no system or global config, fixed identity and dates.
pub fn git(dir: &Path, args: &[&str]) -> Output {
    git_at(dir, args, 0)
}

/// A command that sees nothing of the machine's environment or git configuration.
fn isolated(program: &str, dir: &Path) -> Command {
    let mut command = Command::new(program);
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
    command
}

fn git_at(dir: &Path, args: &[&str], n: u32) -> Output {
    let output = isolated("git", dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Ada Author")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_AUTHOR_DATE", date(n))
        .env("GIT_COMMITTER_NAME", "Carl Committer")
        .env("GIT_COMMITTER_EMAIL", "carl@example.com")
        .env("GIT_COMMITTER_DATE", date(n))
        .env("LC_ALL", "C")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The path of `fixtures/<name>`.
pub fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Copies a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

impl Fixture {
    /// An empty repository (no commits).
    pub fn empty() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("repo");
        let scratch = dir.path().join("scratch");
        std::fs::create_dir_all(&root).expect("create repo dir");
        std::fs::create_dir_all(&scratch).expect("create scratch dir");
        git(&root, &["init", "-q", "-b", "main"]);
        Fixture {
            _dir: dir,
            root,
            scratch,
        }
    }

    /// A repository with one commit holding the files of `fixtures/<name>`.
    pub fn from_dir(name: &str) -> Fixture {
        let fixture = Fixture::empty();
        copy_tree(&fixture_dir(name), &fixture.root);
        fixture.commit_all("Initial import", 0);
        fixture
    }

    /// A repository with one commit per directory of `fixtures/<name>`, in name order: the
    /// fixture its `.from` names (if any) and then each directory's files are written over the
    /// work tree, the paths listed in its `.delete` are removed, and its `.message` is the commit
    /// message. The n-th commit is dated n days after
    /// the first.
    pub fn from_steps(name: &str) -> Fixture {
        let fixture = Fixture::empty();
        let mut steps: Vec<_> = std::fs::read_dir(fixture_dir(name))
            .expect("read fixture steps")
            .map(|e| e.expect("dir entry").path())
            .collect();
        steps.sort();
        for (n, step) in steps.iter().enumerate() {
            // `.from` names another fixture to lay down first.
            if let Ok(base) = std::fs::read_to_string(step.join(".from")) {
                copy_tree(&fixture_dir(base.trim()), &fixture.root);
            }
            fixture.overlay(step);
            let message = std::fs::read_to_string(step.join(".message"))
                .unwrap_or_else(|_| step.file_name().unwrap().to_string_lossy().into_owned());
            fixture.commit_all(&message, n as u32);
        }
        fixture
    }

    /// Writes the files of `dir` over the work tree and removes the paths its `.delete` lists
    /// (without committing).
    pub fn overlay(&self, dir: &Path) {
        copy_tree(dir, &self.root);
        for meta in [".message", ".delete", ".from"] {
            let _ = std::fs::remove_file(self.root.join(meta));
        }
        if let Ok(list) = std::fs::read_to_string(dir.join(".delete")) {
            for path in list.lines().filter(|l| !l.trim().is_empty()) {
                std::fs::remove_file(self.root.join(path.trim())).expect("delete a listed path");
            }
        }
    }

    /// Writes a file (creating directories) in the work tree.
    pub fn write(&self, path: &str, contents: impl AsRef<[u8]>) {
        let path = self.root.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create dirs");
        std::fs::write(path, contents).expect("write file");
    }

    /// Commits everything in the work tree as the n-th commit (which fixes its date).
    pub fn commit_all(&self, message: &str, n: u32) {
        git(&self.root, &["add", "-A"]);
        git_at(
            &self.root,
            &["commit", "-q", "--allow-empty", "-m", message],
            n,
        );
    }

    /// Runs kg in the repository with the store in the scratch directory.
    pub fn kg(&self, args: &[&str]) -> Run {
        self.kg_env(args, &[])
    }

    /// Runs kg as `kg` does, with `env` set too.
    pub fn kg_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let store = self.scratch.join("store");
        let mut all = vec!["--store", store.to_str().expect("utf-8 temp path")];
        all.extend_from_slice(args);
        run_in(&self.root, &all, env)
    }
}

/// The output of one kg run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts that kg exited with 0 and returns stdout.
    pub fn ok(self) -> String {
        assert_eq!(self.code, 0, "kg failed:\n{}", self.stderr);
        self.stdout
    }
}

/// Runs the kg binary in `dir` with a clean environment.
pub fn kg_in(dir: &Path, args: &[&str]) -> Run {
    run_in(dir, args, &[])
}

fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = isolated(env!("CARGO_BIN_EXE_kg"), dir)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("kg runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs kg in the fixture (store in its scratch directory) with its stdout and stderr on a
/// terminal (a pseudo-terminal from util-linux's `script`), with `env` set: what kg wrote there,
/// both streams in one, with the terminal's `\r\n` line ends made `\n`.
pub fn kg_on_terminal(fixture: &Fixture, args: &[&str], env: &[(&str, &str)]) -> Run {
    let store = fixture.scratch.join("store");
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut command = vec![quote(env!("CARGO_BIN_EXE_kg")), "--store".into()];
    command.push(quote(store.to_str().expect("utf-8 temp path")));
    command.extend(args.iter().map(|a| quote(a)));
    let mut script = isolated("script", &fixture.root);
    script.args([
        "--quiet",
        "--return",
        "--command",
        &command.join(" "),
        "/dev/null",
    ]);
    script.envs(env.iter().copied());
    let output = script
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout)
            .expect("the terminal's output is UTF-8")
            .replace("\r\n", "\n"),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs kg in the fixture (store in its scratch directory) with `input` on stdin.
pub fn kg_stdin(fixture: &Fixture, args: &[&str], input: &str) -> Run {
    use std::io::Write;
    use std::process::Stdio;
    let store = fixture.scratch.join("store");
    let mut child = isolated(env!("CARGO_BIN_EXE_kg"), &fixture.root)
        .arg("--store")
        .arg(&store)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kg runs");
    child
        .stdin
        .take()
        .expect("a stdin pipe")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("kg finishes");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// The number of stores in a store directory (there should be exactly one after a run).
pub fn store_count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .expect("read the store directory")
        .filter(|e| {
            e.as_ref()
                .expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .starts_with("store-")
        })
        .count()
}

/// xorshift64*: the same seed always gives the same sequence, for generated repositories.
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    }
}

/// The median of timings (the upper one of an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Bytes in the files under `dir`, each counted once (0 for a directory that is not there).
pub fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => dir_size(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}

/// A program in the Python venv `.ci/setup` makes (`KG_VENV`, else `~/.cache/kg/venv`):
/// pyshacl, python with SPARQLWrapper, the Oxigraph server.
pub fn venv_program(name: &str) -> PathBuf {
    let venv = std::env::var_os("KG_VENV").map_or_else(
        || Path::new(&std::env::var_os("HOME").expect("HOME is set")).join(".cache/kg/venv"),
        PathBuf::from,
    );
    let program = venv.join("bin").join(name);
    assert!(
        program.exists(),
        "{} is not installed: run .ci/setup",
        program.display()
    );
    program
}
