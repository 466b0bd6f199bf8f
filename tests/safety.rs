//! Safety: a `kg index` killed at any point leaves the previous index usable and the next run
//! repairs it; a second writer waits and says for whom; queries answer during an index.

mod support;

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::Fixture;

/// A repository large enough that indexing it takes a while: specs, and code that references
/// them, rewritten at each commit with a different twist.
fn write_project(fixture: &Fixture, version: u32) {
    for f in 0..10 {
        let mut spec = format!("feature: f{f}\nacceptance:\n");
        for c in 0..10 {
            spec.push_str(&format!(
                "  - \"Criterion {c} of feature {f}, version {}.\"\n",
                if c == 0 { version } else { 0 }
            ));
        }
        fixture.write(&format!("specs/f{f}.yaml"), spec);
    }
    for file in 0..150 {
        let mut text = String::new();
        for n in 0..12 {
            text.push_str(&format!(
                "/// implements: f{}/AC-{}\npub fn f{file}_{n}(x: u32) -> u32 {{ helper_{n}(x + {version}) }}\n\n",
                file % 10,
                n % 10 + 1
            ));
        }
        fixture.write(&format!("src/m{file}.rs"), text);
    }
}

fn kg(fixture: &Fixture, store: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kg"));
    command
        .arg("--store")
        .arg(fixture.scratch.join(store))
        .args(args)
        .current_dir(&fixture.root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn run(fixture: &Fixture, store: &str, args: &[&str]) -> String {
    let output = kg(fixture, store, args).output().unwrap();
    assert!(
        output.status.success(),
        "kg {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn export(fixture: &Fixture, store: &str) -> Vec<String> {
    let mut lines: Vec<String> = run(fixture, store, &["export", "--no-refresh"])
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

/// Two commits; returns the fixture and the exports of full indexes of the first and second.
fn two_versions() -> (Fixture, Vec<String>, Vec<String>) {
    let fixture = Fixture::empty();
    write_project(&fixture, 1);
    fixture.commit_all("First", 0);
    run(&fixture, "main", &["--quiet", "index"]);
    let first = export(&fixture, "main");
    write_project(&fixture, 2);
    fixture.commit_all("Second", 1);
    run(&fixture, "reference", &["--quiet", "index"]);
    let second = export(&fixture, "reference");
    assert_ne!(first, second);
    (fixture, first, second)
}

fn kill_after(mut child: Child, delay: Duration) {
    std::thread::sleep(delay);
    let _ = child.kill();
    let _ = child.wait();
}

fn killed_runs_leave_a_usable_index(args: &[&str]) {
    let (fixture, first, second) = two_versions();
    let started = Instant::now();
    run(&fixture, "timing", &["--quiet", "index"]);
    let full_run = started.elapsed();
    // Kill at several points of a run: early, in the middle, near the end.
    for percent in [1, 10, 25, 50, 75, 90] {
        let child = kg(&fixture, "main", args).spawn().unwrap();
        kill_after(child, full_run * percent / 100);
        let now = export(&fixture, "main");
        assert!(
            now == first || now == second,
            "killed at {percent}%: the index is neither the old nor the new one"
        );
    }
    // The next run repairs whatever was left, and leaves no half-written store behind.
    run(&fixture, "main", &["--quiet", "index"]);
    assert!(
        export(&fixture, "main") == second,
        "the repaired index differs from a full build"
    );
    assert_eq!(support::store_count(&fixture.scratch.join("main")), 1);
}

// verifies: history/safety
#[test]
fn a_killed_full_build_leaves_the_previous_index() {
    killed_runs_leave_a_usable_index(&["--quiet", "index", "--force"]);
}

// verifies: history/safety
#[test]
fn a_killed_incremental_run_leaves_the_previous_index() {
    killed_runs_leave_a_usable_index(&["--quiet", "index"]);
}

/// Holds the write lock as another kg process would, with `pid` written in the lock file.
fn hold_lock(fixture: &Fixture, store: &str, pid: &str) -> std::fs::File {
    let path = fixture.scratch.join(store).join("lock");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .unwrap();
    file.lock().unwrap();
    file.write_all(pid.as_bytes()).unwrap();
    file
}

// verifies: history/safety
#[test]
fn a_second_writer_waits_and_says_for_whom() {
    let (fixture, _, second) = two_versions();
    let lock = hold_lock(&fixture, "main", "4242");
    let mut child = kg(&fixture, "main", &["index"]).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "kg did not wait for the lock"
    );
    // Meanwhile the index can still be read, consistently.
    let during = run(
        &fixture,
        "main",
        &["query", "--no-refresh", "features", "--format", "csv"],
    );
    assert!(during.lines().count() == 11, "{during}");
    drop(lock);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("kg: waiting for kg process 4242, which is writing the index in "),
        "{stderr}"
    );
    assert!(export(&fixture, "main") == second);
}

// verifies: history/safety
#[test]
fn concurrent_runs_and_queries_do_not_corrupt_the_store() {
    let (fixture, first, second) = two_versions();
    let writers: Vec<Child> = (0..2)
        .map(|_| {
            kg(&fixture, "main", &["--quiet", "index", "--force"])
                .spawn()
                .unwrap()
        })
        .collect();
    // Queries during the runs answer from a complete index, old or new.
    let mut answers = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut writers: Vec<Child> = writers;
    while writers.iter_mut().any(|w| w.try_wait().unwrap().is_none()) && Instant::now() < deadline {
        let output = kg(
            &fixture,
            "main",
            &["query", "--no-refresh", "features", "--format", "csv"],
        )
        .output()
        .unwrap();
        assert!(
            output.status.success(),
            "a query during an index failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 11);
        answers += 1;
    }
    for mut writer in writers {
        let status = writer.wait().unwrap();
        let mut stderr = String::new();
        writer
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert!(status.success(), "{stderr}");
    }
    assert!(answers > 0);
    let now = export(&fixture, "main");
    assert!(now == second && now != first);
}

/// The number of commits the index holds, as a reader asks it.
const COMMITS: &str = "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a kg:Commit }";

// verifies: history/safety
#[test]
fn readers_never_see_a_store_being_written() {
    let fixture = Fixture::empty();
    fixture.write(
        "specs/f.yaml",
        "feature: f\nacceptance:\n  - \"It works.\"\n",
    );
    fixture.write("src/m0.rs", "// implements: f/AC-1\npub fn m0() {}\n");
    fixture.commit_all("Start", 0);
    run(&fixture, "main", &["--quiet", "index"]);
    let store = kg::store::StoreDir::new(fixture.scratch.join("main"));
    // A reader that keeps one store open across all the writer's runs (as `kg mcp` will).
    let held = store.open_read().unwrap().unwrap();
    let count = |rows: kg::store::Rows| -> u64 {
        rows.first()
            .and_then(|row| kg::store::cell(&row[0]))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let first = count(held.select(COMMITS, "commits").unwrap());
    assert_eq!(first, 1);
    // Readers in a loop, in processes of their own, while the writer indexes commit after
    // commit: each answer a complete index, and never fewer commits than the one before.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let stop = stop.clone();
            let root = fixture.root.clone();
            let scratch = fixture.scratch.clone();
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let deadline = Instant::now() + Duration::from_secs(240);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) && Instant::now() < deadline
                {
                    let output = Command::new(env!("CARGO_BIN_EXE_kg"))
                        .arg("--store")
                        .arg(scratch.join("main"))
                        .args(["query", "--no-refresh", "--format", "csv", COMMITS])
                        .current_dir(&root)
                        .env("GIT_CONFIG_NOSYSTEM", "1")
                        .env("GIT_CONFIG_GLOBAL", "/dev/null")
                        .output()
                        .unwrap();
                    assert!(
                        output.status.success(),
                        "a reader failed while the index was written: {}",
                        String::from_utf8_lossy(&output.stderr)
                    );
                    let text = String::from_utf8_lossy(&output.stdout).into_owned();
                    let n: u64 = text
                        .lines()
                        .nth(1)
                        .and_then(|l| l.trim().parse().ok())
                        .unwrap();
                    if let Some(last) = seen.last() {
                        assert!(n >= *last, "the commit count went down: {seen:?} then {n}");
                    }
                    seen.push(n);
                }
                seen
            })
        })
        .collect();
    for n in 1..=15u32 {
        fixture.write(
            &format!("src/m{n}.rs"),
            format!("// implements: f/AC-1\npub fn m{n}() {{ crate::m0::m0() }}\n"),
        );
        fixture.commit_all(&format!("Add m{n}"), n);
        run(&fixture, "main", &["--quiet", "index"]);
        // The held store answers as it did: nobody writes it.
        assert_eq!(count(held.select(COMMITS, "commits").unwrap()), first);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut answers = 0;
    for reader in readers {
        let seen = reader.join().unwrap();
        answers += seen.len();
    }
    assert!(answers > 0);
    assert_eq!(count(held.select(COMMITS, "commits").unwrap()), first);
    drop(held);
    // Once nobody holds them, the replaced stores go with the next run.
    fixture.write("src/last.rs", "pub fn last() {}\n");
    fixture.commit_all("Last", 16);
    run(&fixture, "main", &["--quiet", "index"]);
    let stores = std::fs::read_dir(fixture.scratch.join("main"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("store-")
        })
        .count();
    assert_eq!(stores, 1);
    let now = run(
        &fixture,
        "main",
        &["query", "--no-refresh", "--format", "csv", COMMITS],
    );
    assert_eq!(now.lines().nth(1), Some("17"));
}

/// Damages every store in `dir` as `how` says, file by file.
fn damage(dir: &std::path::Path, how: impl Fn(&std::path::Path)) {
    for store in std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()) {
        if store.is_dir()
            && store
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("store-")
        {
            for file in std::fs::read_dir(&store)
                .unwrap()
                .map(|e| e.unwrap().path())
            {
                how(&file);
            }
        }
    }
}

// verifies: history/safety
#[test]
fn a_damaged_store_is_an_error_named_and_rebuilt() {
    let fixture = Fixture::empty();
    fixture.write(
        "specs/f.yaml",
        "feature: f\nacceptance:\n  - \"It works.\"\n",
    );
    fixture.write("src/lib.rs", "// implements: f/AC-1\npub fn f() {}\n");
    fixture.commit_all("Start", 0);
    run(&fixture, "main", &["--quiet", "index"]);
    let count = "SELECT (COUNT(*) AS ?n) WHERE { ?s a kg:Definition }";
    let store = fixture.scratch.join("main");
    // Its manifest gone, as a cut-short copy leaves it: a query rebuilds, and says why.
    damage(&store, |file| {
        if file
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("MANIFEST")
        {
            std::fs::remove_file(file).unwrap();
        }
    });
    let output = kg(&fixture, "main", &["query", "--format", "csv", count])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("could not be read"), "{stderr}");
    assert!(stderr.contains("rebuilding it"), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).lines().nth(1),
        Some("1")
    );
    // Its table files cut short, then a new commit: the incremental run rebuilds instead.
    damage(&store, |file| {
        if file.extension().is_some_and(|e| e == "sst") {
            let bytes = std::fs::read(file).unwrap();
            std::fs::write(file, &bytes[..bytes.len() / 2]).unwrap();
        }
    });
    fixture.write("src/more.rs", "// implements: f/AC-1\npub fn g() {}\n");
    fixture.commit_all("More", 1);
    let output = kg(&fixture, "main", &["index"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("could not be read"), "{stderr}");
    assert_eq!(
        run(&fixture, "main", &["query", "--format", "csv", count])
            .lines()
            .nth(1),
        Some("2")
    );
}

// verifies: history/safety
#[test]
fn a_store_of_another_format_is_rebuilt_saying_so_once() {
    let fixture = Fixture::empty();
    fixture.write(
        "specs/f.yaml",
        "feature: f\nacceptance:\n  - \"It works.\"\n",
    );
    fixture.commit_all("Start", 0);
    run(&fixture, "main", &["--quiet", "index"]);
    // The pointer records the format the store was written in: make it an older one.
    let pointer = fixture.scratch.join("main/current");
    let text = std::fs::read_to_string(&pointer).unwrap();
    let format = text
        .lines()
        .find(|l| l.starts_with("format "))
        .unwrap()
        .to_owned();
    std::fs::write(&pointer, text.replace(&format, "format 1")).unwrap();
    // That version's facts cache is never read again: it goes.
    let old_cache = fixture.scratch.join("main/facts/0.0.1-1");
    std::fs::create_dir_all(&old_cache).unwrap();
    std::fs::write(old_cache.join("1.pack"), "old facts").unwrap();
    let output = kg(&fixture, "main", &["index"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("in index format 1; rebuilding it for kg"),
        "{stderr}"
    );
    assert!(stderr.contains("indexed "), "a full build: {stderr}");
    assert!(!old_cache.exists());
    let caches = std::fs::read_dir(fixture.scratch.join("main/facts"))
        .unwrap()
        .count();
    assert_eq!(caches, 1);
    let again = kg(&fixture, "main", &["index", "--force"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(!stderr.contains("rebuilding it"), "{stderr}");
}

// verifies: index/bad-input
#[test]
fn nothing_the_repository_names_runs() {
    let fixture = Fixture::empty();
    fixture.write(
        "specs/f.yaml",
        "feature: f\nacceptance:\n  - \"It works.\"\n",
    );
    fixture.write("src/lib.rs", "// implements: f/AC-1\npub fn f() {}\n");
    fixture.write("src/other.rs", "pub fn other() {}\n");
    fixture.commit_all("Start", 0);
    // Every command a repository's configuration can name, each leaving a file if it runs.
    let ran = fixture.scratch.join("ran");
    std::fs::create_dir_all(&ran).unwrap();
    let leave = |name: &str| format!("touch {}", ran.join(name).display());
    let hooks = fixture.scratch.join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    for hook in [
        "pre-commit",
        "post-checkout",
        "post-index-change",
        "reference-transaction",
        "fsmonitor-watchman",
    ] {
        let path = hooks.join(hook);
        std::fs::write(&path, format!("#!/bin/sh\n{}\n", leave(hook))).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    for (key, value) in [
        ("filter.evil.clean", leave("clean")),
        ("filter.evil.smudge", leave("smudge")),
        ("filter.evil.process", leave("process")),
        ("filter.evil.required", "true".to_owned()),
        ("diff.evil.textconv", leave("textconv")),
        ("core.fsmonitor", leave("fsmonitor")),
        ("core.hooksPath", hooks.display().to_string()),
    ] {
        support::git(&fixture.root, &["config", key, &value]);
    }
    fixture.write(".gitattributes", "* filter=evil diff=evil\n");
    // A change in the work tree, and a file whose stat changed but not its bytes: both make a
    // status look at contents, where a clean filter would run.
    fixture.write(
        "src/lib.rs",
        "// implements: f/AC-1\npub fn f() { g() }\nfn g() {}\n",
    );
    std::thread::sleep(Duration::from_millis(1100));
    fixture.write("src/other.rs", "pub fn other() {}\n");
    for args in [
        &["index"][..],
        &["trace"],
        &["impact"],
        &["impact", "--staged"],
        &["impact", "HEAD"],
        &["query", "features"],
    ] {
        let output = kg(&fixture, "main", args).output().unwrap();
        assert!(
            output.status.success(),
            "kg {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let left: Vec<String> = std::fs::read_dir(&ran)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        left.is_empty(),
        "kg ran what the repository names: {left:?}"
    );
    // The work-tree change is seen, compared byte for byte.
    let impact = run(&fixture, "main", &["impact", "--format", "json"]);
    assert!(impact.contains("f/AC-1"), "{impact}");
}

/// What one step of [`on_a_small_file_system`] left: its exit code and output.
struct Step {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `steps` (name, shell command) one after another in a new user and mount namespace in
/// which the store's directory is a tmpfs of `size`: a file system that fills up, with no root
/// needed and nothing left mounted. `$KG` runs kg on that store, `$FS` is the file system.
fn on_a_small_file_system(
    fixture: &Fixture,
    size: &str,
    steps: &[(&str, &str)],
) -> std::collections::HashMap<String, Step> {
    let fs = fixture.scratch.join("small");
    let out = fixture.scratch.join("steps");
    std::fs::create_dir_all(&fs).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    let mut script = String::from(
        "set -u\nmount -t tmpfs -o size=\"$SIZE\" tmpfs \"$FS\" || exit 97\n\
         KG=\"$KG_BIN --store $FS/store\"\n",
    );
    for (name, command) in steps {
        script.push_str(&format!(
            "( {command} ) >\"$OUT/{name}.out\" 2>\"$OUT/{name}.err\"; echo $? >\"$OUT/{name}.rc\"\n"
        ));
    }
    let status = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", &script])
        .current_dir(&fixture.root)
        .env("SIZE", size)
        .env("FS", &fs)
        .env("OUT", &out)
        .env("KG_BIN", env!("CARGO_BIN_EXE_kg"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .expect("unshare (util-linux) runs");
    assert!(
        status.success(),
        "could not make a small file system in a user and mount namespace ({status})"
    );
    steps
        .iter()
        .map(|(name, _)| {
            let read = |ext: &str| std::fs::read_to_string(out.join(format!("{name}.{ext}")));
            let step = Step {
                code: read("rc").unwrap().trim().parse().unwrap(),
                stdout: read("out").unwrap(),
                stderr: read("err").unwrap(),
            };
            (name.to_string(), step)
        })
        .collect()
}

// verifies: history/safety
#[test]
fn a_full_disk_fails_the_index_and_the_previous_one_still_answers() {
    let fixture = Fixture::empty();
    write_project(&fixture, 1);
    fixture.commit_all("First", 0);
    support::git(&fixture.root, &["tag", "first"]);
    write_project(&fixture, 2);
    fixture.commit_all("Second", 1);
    support::git(&fixture.root, &["checkout", "-q", "--detach", "first"]);
    let count =
        "$KG query --no-refresh --format csv 'SELECT (COUNT(*) AS ?n) WHERE { ?c a kg:Commit }'";
    // Fill every last page: large blocks, then small ones.
    let fill = "dd if=/dev/zero of=$FS/filler bs=64k 2>/dev/null; dd if=/dev/zero of=$FS/filler2 bs=4k 2>/dev/null; df -k $FS";
    let steps = on_a_small_file_system(
        &fixture,
        "256m",
        &[
            ("first", "$KG index"),
            ("count-first", count),
            ("fill", fill),
            ("moved", "git checkout -q main"),
            ("incremental", "$KG index"),
            ("count-incremental", count),
            ("full", "$KG index --force"),
            ("count-full", count),
            ("trace", "$KG trace --no-refresh --format json"),
            ("free", "rm $FS/filler $FS/filler2"),
            ("again", "$KG index"),
            ("count-again", count),
            ("stores", "ls -d $FS/store/store-* | wc -l"),
        ],
    );
    let step = |name: &str| &steps[name];
    for name in ["first", "moved", "free", "again"] {
        assert_eq!(step(name).code, 0, "{name}: {}", step(name).stderr);
    }
    assert!(
        step("fill").stdout.contains(" 100% "),
        "{}",
        step("fill").stdout
    );
    for name in ["incremental", "full"] {
        let run = step(name);
        assert_ne!(
            run.code, 0,
            "{name} succeeded on a full disk: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("No space left on device")
                && run.stderr.contains("the disk is full")
                && run.stderr.contains("the previous index is unchanged"),
            "{name}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
    }
    // The previous index answers throughout, and a trace can be read from it.
    for name in ["count-first", "count-incremental", "count-full"] {
        assert_eq!(step(name).code, 0, "{name}: {}", step(name).stderr);
        assert_eq!(step(name).stdout.lines().nth(1), Some("1"), "{name}");
    }
    assert_eq!(step("trace").code, 0, "trace: {}", step("trace").stderr);
    assert!(step("trace").stdout.contains("\"items\""));
    // Once there is room again, the next run brings it up to date.
    assert_eq!(step("count-again").stdout.lines().nth(1), Some("2"));
    // And what the failed runs began is gone.
    assert_eq!(step("stores").stdout.trim(), "1", "stores left behind");
}
