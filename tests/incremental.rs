//! An incremental index equals a full rebuild, quad for quad: a generated history (fixed seed)
//! grows commit by commit, kg brings its index forward at each step, and the result is compared
//! with fresh full builds. A rewritten history is detected and rebuilt.

mod support;

use std::collections::BTreeMap;

use support::{Fixture, Rng, git};

/// The generated project: features with criteria, code that references them, docs that mention
/// them. Files are rewritten from this model at every commit.
struct Model {
    features: Vec<Vec<String>>,
    code: BTreeMap<usize, Vec<(usize, usize)>>,
    docs: BTreeMap<usize, Vec<(usize, usize)>>,
    /// Per code file, the version of a body that is edited in place: its calls change every
    /// third edit, its import every second, and otherwise only the text does.
    bodies: BTreeMap<usize, usize>,
    duplicate: bool,
    counter: usize,
}

impl Model {
    fn step(&mut self, rng: &mut Rng) {
        self.counter += 1;
        let n = self.counter;
        let f = rng.below(self.features.len());
        match rng.below(10) {
            // Insert a criterion somewhere: positional ids after it shift.
            0 | 1 => {
                let at = rng.below(self.features[f].len() + 1);
                self.features[f].insert(at, format!("Criterion number {n} does its own thing."));
            }
            2 => {
                let i = rng.below(self.features[f].len());
                self.features[f][i].push_str(" Reworded.");
            }
            3 if self.features[f].len() > 1 => {
                let i = rng.below(self.features[f].len());
                self.features[f].remove(i);
            }
            4 | 5 => {
                let file = rng.below(6);
                let refs = self.code.entry(file).or_default();
                refs.push((f, rng.below(6) + 1));
            }
            6 => {
                let file = rng.below(6);
                self.code.remove(&file);
            }
            7 => {
                let doc = rng.below(3);
                self.docs
                    .entry(doc)
                    .or_default()
                    .push((f, rng.below(5) + 1));
            }
            8 => *self.bodies.entry(rng.below(6)).or_default() += 1,
            _ => self.duplicate = !self.duplicate,
        }
    }

    fn write(&self, fixture: &Fixture) {
        for (f, criteria) in self.features.iter().enumerate() {
            let mut text = format!("feature: f{f}\nacceptance:\n");
            for c in criteria {
                text.push_str(&format!("  - \"{c}\"\n"));
            }
            fixture.write(&format!("specs/f{f}.yaml"), text);
        }
        let duplicate = fixture.root.join("specs/dup.yaml");
        if self.duplicate {
            fixture.write(
                "specs/dup.yaml",
                "feature: f0\nacceptance: [\"Shadowed.\"]\n",
            );
        } else if duplicate.exists() {
            std::fs::remove_file(duplicate).unwrap();
        }
        for file in 0..6 {
            let path = fixture.root.join(format!("src/m{file}.rs"));
            match self.code.get(&file) {
                Some(refs) => {
                    // Each file defines h<file>; calls to h<i> resolve across files, and change
                    // when file i comes or goes. Each also defines x, too common a name to
                    // resolve unless imported, and calls the next file's x through an alias.
                    // k's body is edited in place: see `bodies`.
                    let version = self.bodies.get(&file).copied().unwrap_or(0);
                    let next = (file + 1 + version / 2) % 6;
                    let called = version / 3 % 3;
                    let mut text = format!(
                        "use crate::m{next}::x as xa;\n\npub fn h{file}() {{}}\n\npub fn x() {{}}\n\npub fn k() {{ xa(); h{called}(); /* edit {version} */ }}\n\n"
                    );
                    for (i, (f, c)) in refs.iter().enumerate() {
                        text.push_str(&format!(
                            "// implements: f{f}/AC-{c}\npub fn g{i}() {{ h{i}(); }}\n\n"
                        ));
                    }
                    fixture.write(&format!("src/m{file}.rs"), text);
                }
                None if path.exists() => std::fs::remove_file(path).unwrap(),
                None => {}
            }
        }
        for (doc, mentions) in &self.docs {
            let mut text = format!("# Doc {doc}\n\n");
            for (f, c) in mentions {
                text.push_str(&format!("See f{f}/AC-{c} for details.\n"));
            }
            fixture.write(&format!("docs/d{doc}.md"), text);
        }
    }
}

/// The dataset as sorted N-Quads lines.
fn export(fixture: &Fixture, store: &str) -> Vec<String> {
    let store = fixture.scratch.join(store);
    let out = support::kg_in(
        &fixture.root,
        &[
            "--store",
            store.to_str().unwrap(),
            "--quiet",
            "export",
            "--no-refresh",
        ],
    )
    .ok();
    let mut lines: Vec<String> = out.lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

fn index(fixture: &Fixture, store: &str) -> String {
    let store = fixture.scratch.join(store);
    let run = support::kg_in(
        &fixture.root,
        &["--store", store.to_str().unwrap(), "index"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stderr
}

fn assert_same(incremental: &[String], full: &[String], step: usize) {
    if incremental != full {
        let only_incremental: Vec<_> = incremental
            .iter()
            .filter(|q| !full.contains(q))
            .take(10)
            .collect();
        let only_full: Vec<_> = full
            .iter()
            .filter(|q| !incremental.contains(q))
            .take(10)
            .collect();
        panic!(
            "step {step}: incremental and full differ\nonly incremental: {only_incremental:#?}\nonly full: {only_full:#?}"
        );
    }
}

// verifies: history/incremental
#[test]
fn incremental_equals_full_rebuild_as_history_grows() {
    let fixture = Fixture::empty();
    let mut rng = Rng(0x5EED_CAFE);
    let mut model = Model {
        features: (0..3)
            .map(|f| {
                (0..4)
                    .map(|c| format!("Feature {f} criterion {c}."))
                    .collect()
            })
            .collect(),
        code: BTreeMap::new(),
        docs: BTreeMap::new(),
        bodies: BTreeMap::new(),
        duplicate: false,
        counter: 0,
    };
    model.write(&fixture);
    fixture.commit_all("Start", 0);
    assert!(index(&fixture, "incremental").contains("indexed "));
    let steps = 24;
    for step in 1..=steps {
        for _ in 0..=rng.below(3) {
            model.step(&mut rng);
        }
        model.write(&fixture);
        // Trailers as agents write them, on every commit: the same items again and again, so
        // that links gather commits, and their definitions come and go with the files.
        let marker = if step % 5 == 0 {
            "Verifies"
        } else {
            "Implements"
        };
        let trailer = format!("{marker}: f{}/AC-{}, f0/AC-1", step % 3, step % 4 + 1);
        fixture.commit_all(&format!("Step {step}\n\n{trailer}"), step as u32);
        let stderr = index(&fixture, "incremental");
        assert!(
            stderr.contains("updated "),
            "step {step} was not incremental:\n{stderr}"
        );
        if step % 2 == 0 {
            let full = format!("full-{step}");
            index(&fixture, &full);
            assert_same(
                &export(&fixture, "incremental"),
                &export(&fixture, &full),
                step,
            );
        }
    }
    let quads = export(&fixture, "incremental");
    assert!(
        quads.len() > 300,
        "suspiciously small graph: {} quads",
        quads.len()
    );
    assert!(
        quads.iter().any(|q| q.contains("Reworded.")),
        "the history never reworded a criterion"
    );
    // Trailer links gathered several commits, and some lost their definition along the way.
    let links: Vec<&String> = quads
        .iter()
        .filter(|q| q.contains("/link/trailer/"))
        .collect();
    assert!(
        links
            .iter()
            .any(|q| q.contains("commitCount") && !q.contains("\"1\"^^")),
        "no trailer link gathered more than one commit"
    );
    let typed = links.iter().filter(|q| q.contains("#type>")).count();
    let sources = links.iter().filter(|q| q.contains("#source>")).count();
    assert!(
        0 < typed && typed < sources,
        "want live and dormant trailer links: {typed} typed of {sources}"
    );
}

// verifies: history/incremental
#[test]
fn a_rewritten_history_is_rebuilt() {
    let fixture = Fixture::empty();
    fixture.write("specs/a.yaml", "feature: a\nacceptance: [\"one\"]\n");
    fixture.commit_all("One", 0);
    fixture.write(
        "specs/a.yaml",
        "feature: a\nacceptance: [\"one\", \"two\"]\n",
    );
    fixture.commit_all("Two", 1);
    index(&fixture, "incremental");
    // Rewrite: drop the last commit and make another in its place, as a rebase would.
    git(&fixture.root, &["reset", "-q", "--hard", "HEAD~1"]);
    fixture.write(
        "specs/a.yaml",
        "feature: a\nacceptance: [\"one\", \"three\"]\n",
    );
    fixture.commit_all("Three", 2);
    let stderr = index(&fixture, "incremental");
    assert!(
        stderr.contains("indexed "),
        "a rewritten history must be rebuilt in full:\n{stderr}"
    );
    index(&fixture, "full");
    let incremental = export(&fixture, "incremental");
    assert_same(&incremental, &export(&fixture, "full"), 0);
    assert!(
        !incremental.iter().any(|q| q.contains("\"two\"")),
        "the dropped commit's spec is still there"
    );
}

// verifies: history/incremental
#[test]
fn edits_inside_bodies_re_resolve_exactly_the_calls_they_change() {
    let fixture = Fixture::empty();
    for m in 1..=2 {
        fixture.write(&format!("src/m{m}.rs"), "pub fn x() {}\n\npub fn y() {}\n");
    }
    let caller = |import: &str, body: &str| {
        format!("use crate::{import}::x as xa;\n\npub fn k() {{\n    {body}\n}}\n")
    };
    fixture.write("src/m0.rs", caller("m1", "xa();"));
    fixture.commit_all("Start", 0);
    index(&fixture, "incremental");
    // Each step changes one thing about k: only its text, then what it calls, then only what
    // its call means (the import), each with the same definitions everywhere.
    let steps = [
        caller("m1", "xa(); // only the text"),
        caller("m1", "xa();\n    crate::m2::y();"),
        caller("m2", "xa();\n    crate::m2::y();"),
    ];
    for (step, text) in steps.iter().enumerate() {
        fixture.write("src/m0.rs", text);
        fixture.commit_all(&format!("Step {step}"), step as u32 + 1);
        assert!(index(&fixture, "incremental").contains("updated "));
        let full = format!("full-{step}");
        index(&fixture, &full);
        let incremental = export(&fixture, "incremental");
        assert_same(&incremental, &export(&fixture, &full), step);
        let target = if step == 2 { "m2.rs#x>" } else { "m1.rs#x>" };
        assert!(
            incremental
                .iter()
                .any(|q| q.contains("m0.rs#k> <https://w3id.org/kg/vocab#calls>")
                    && q.contains(target)),
            "step {step}: k does not call {target}"
        );
    }
}
