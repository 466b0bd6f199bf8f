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
    let counted = links.iter().filter(|q| q.contains("#commitCount>")).count();
    assert!(
        0 < typed && typed < counted,
        "want live and dormant trailer links: {typed} typed of {counted}"
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

/// A project in the spec-driven formats: Spec Kit features with requirements and task lists,
/// Kiro features whose numbered criteria renumber when one is inserted, an OpenSpec capability,
/// and code and tests citing their ids as teams do (local ids, task ids, a spec path, test titles).
struct Formats {
    /// Per Spec Kit feature, its requirements' texts (`FR-001`, ...).
    speckit: Vec<Vec<String>>,
    /// Per Spec Kit feature, its tasks: done, and the requirement number it serves.
    tasks: Vec<Vec<(bool, usize)>>,
    /// Per Kiro feature, its criteria under requirement 1 (`1.1`, `1.2`, ...).
    kiro: Vec<Vec<String>>,
    /// The OpenSpec capability's scenario names.
    scenarios: Vec<String>,
    /// Per code file, what it cites: (kind, feature, number).
    code: BTreeMap<usize, Vec<(usize, usize, usize)>>,
    counter: usize,
    /// The capability's requirement text, the OpenSpec change proposed to it (its number and
    /// its tasks' ticks), and the changes archived.
    works: String,
    change: Option<(usize, Vec<bool>)>,
    archived: Vec<(usize, Vec<bool>)>,
}

impl Formats {
    /// One step of an OpenSpec change's life, by the step's number: proposed (a delta that
    /// modifies the requirement, two tasks), each task ticked in a commit that changes code,
    /// then archived with its delta applied.
    fn change_step(&mut self, step: usize, fixture: &Fixture) {
        match (step % 4, self.change.take()) {
            (1, None) => self.change = Some((step, vec![false, false])),
            (t @ (2 | 3), Some((id, mut ticks))) => {
                ticks[t - 2] = true;
                self.code.entry(3).or_default().push((0, 0, 1));
                self.change = Some((id, ticks));
            }
            (0, Some((id, ticks))) => {
                let dir = fixture.root.join(format!("openspec/changes/c{id}"));
                std::fs::remove_dir_all(dir).unwrap();
                self.works = format!("The system SHALL work {id}.");
                self.archived.push((id, ticks));
            }
            (_, change) => self.change = change,
        }
    }

    fn step(&mut self, rng: &mut Rng) {
        self.counter += 1;
        let n = self.counter;
        let f = rng.below(2);
        match rng.below(9) {
            0 => self.speckit[f].push(format!("System MUST do thing {n}.")),
            1 => {
                let i = rng.below(self.speckit[f].len());
                self.speckit[f][i].push_str(" Reworded.");
            }
            // A task is added, or one is ticked.
            2 => {
                let r = rng.below(self.speckit[f].len()) + 1;
                self.tasks[f].push((false, r));
            }
            // A task is ticked in the commit that writes its code, as agents do.
            3 if !self.tasks[f].is_empty() => {
                let t = rng.below(self.tasks[f].len());
                self.tasks[f][t].0 = true;
                self.code.entry(f).or_default().push((0, f, t + 1));
            }
            // A criterion inserted at the front renumbers the others.
            4 => self.kiro[f].insert(0, format!("WHEN event {n} THEN the system SHALL react")),
            5 if self.kiro[f].len() > 1 => {
                let i = rng.below(self.kiro[f].len());
                self.kiro[f].remove(i);
            }
            6 => {
                let i = rng.below(self.scenarios.len() + 1);
                self.scenarios.insert(i, format!("Scenario {n} happens"));
            }
            7 => {
                let file = rng.below(4);
                let cites = self.code.entry(file).or_default();
                cites.push((rng.below(4), f, rng.below(4) + 1));
            }
            _ => {
                let file = rng.below(4);
                self.code.remove(&file);
            }
        }
    }

    fn write(&self, fixture: &Fixture) {
        for (f, requirements) in self.speckit.iter().enumerate() {
            let mut spec = format!(
                "# Feature Specification: F{f}\n\n## User Scenarios & Testing\n\n### User Story 1 - Use it (Priority: P1)\n\nA user uses it.\n\n**Acceptance Scenarios**:\n\n1. **Given** x, **When** y, **Then** z\n\n## Requirements\n\n"
            );
            for (i, text) in requirements.iter().enumerate() {
                spec.push_str(&format!("- **FR-{:03}**: {text}\n", i + 1));
            }
            fixture.write(&format!("specs/00{f}-feature-{f}/spec.md"), spec);
            let mut tasks = format!("# Tasks: F{f}\n\n");
            for (t, (done, r)) in self.tasks[f].iter().enumerate() {
                let tick = if *done { "X" } else { " " };
                tasks.push_str(&format!(
                    "- [{tick}] T{:03} [US1] Do FR-{r:03} in src/c{f}.rs\n",
                    t + 1
                ));
            }
            fixture.write(&format!("specs/00{f}-feature-{f}/tasks.md"), tasks);
        }
        for (f, criteria) in self.kiro.iter().enumerate() {
            let mut text = format!(
                "# Requirements Document\n\n## Requirements\n\n### Requirement 1: K{f}\n\n**User Story:** As a user, I want K{f}\n\n#### Acceptance Criteria\n\n"
            );
            for (i, c) in criteria.iter().enumerate() {
                text.push_str(&format!("{}. {c}\n", i + 1));
            }
            fixture.write(&format!(".kiro/specs/k{f}/requirements.md"), text);
        }
        let mut spec = format!(
            "# cap Specification\n\n## Requirements\n### Requirement: Works\n{}\n\n",
            self.works
        );
        for s in &self.scenarios {
            spec.push_str(&format!(
                "#### Scenario: {s}\n- **WHEN** x\n- **THEN** y\n\n"
            ));
        }
        fixture.write("openspec/specs/cap/spec.md", spec);
        let change = |dir: String, id: usize, ticks: &[bool]| {
            fixture.write(
                &format!("{dir}/specs/cap/spec.md"),
                format!("## MODIFIED Requirements\n### Requirement: Works\nThe system SHALL work {id}.\n"),
            );
            let mut tasks = "## 1. Work\n".to_owned();
            for (t, done) in ticks.iter().enumerate() {
                let tick = if *done { "x" } else { " " };
                tasks.push_str(&format!(
                    "- [{tick}] 1.{} Make it work in src/c3.rs\n",
                    t + 1
                ));
            }
            fixture.write(&format!("{dir}/tasks.md"), tasks);
        };
        if let Some((id, ticks)) = &self.change {
            change(format!("openspec/changes/c{id}"), *id, ticks);
        }
        for (id, ticks) in &self.archived {
            change(
                format!("openspec/changes/archive/2026-01-{:02}-c{id}", id % 28 + 1),
                *id,
                ticks,
            );
        }
        for file in 0..4 {
            let path = fixture.root.join(format!("src/c{file}.rs"));
            match self.code.get(&file) {
                Some(cites) => {
                    let mut text = String::new();
                    for (i, (kind, f, n)) in cites.iter().enumerate() {
                        let comment = match kind {
                            0 => format!("// FR-{n:03}"),
                            1 => format!("// T{n:03} [US1]"),
                            2 => format!("// Validates: Requirements 1.{n}"),
                            _ => format!("// specs/00{f}-feature-{f}/spec.md (FR-{n:03})"),
                        };
                        text.push_str(&format!("{comment}\npub fn g{i}() {{}}\n\n"));
                    }
                    fixture.write(&format!("src/c{file}.rs"), text);
                }
                None if path.exists() => std::fs::remove_file(path).unwrap(),
                None => {}
            }
        }
        let mut tests = String::from("describe(\"cap\", () => {\n");
        for s in self.scenarios.iter().take(3) {
            tests.push_str(&format!("  it(\"{s}\", () => {{}});\n"));
        }
        tests.push_str("  it(\"Scenario 2 happens\", () => {});\n});\n");
        fixture.write("web/cap.test.ts", tests);
    }
}

// verifies: history/incremental, index/local-ids, index/tasks
#[test]
fn incremental_equals_full_rebuild_in_the_spec_driven_formats() {
    let fixture = Fixture::empty();
    let mut rng = Rng(0xF0_4A75);
    let mut model = Formats {
        speckit: (0..2)
            .map(|f| (0..3).map(|r| format!("System MUST {f}.{r}.")).collect())
            .collect(),
        tasks: vec![vec![(false, 1)], vec![(true, 2)]],
        kiro: (0..2)
            .map(|f| (0..2).map(|c| format!("WHEN {f} THEN {c} SHALL")).collect())
            .collect(),
        scenarios: vec!["Scenario 0 happens".to_owned()],
        code: BTreeMap::new(),
        counter: 0,
        works: "The system SHALL work.".to_owned(),
        change: None,
        archived: Vec::new(),
    };
    model.write(&fixture);
    fixture.commit_all("Start", 0);
    index(&fixture, "incremental");
    let steps = 14;
    let mut kinds = [0usize; 3];
    for step in 1..=steps {
        for _ in 0..=rng.below(3) {
            model.step(&mut rng);
        }
        // Every third commit works on feature 0 alone, as an agent implementing one task does,
        // and its message names the ids.
        let message = if step % 3 == 0 {
            model.speckit[0].push(format!("System MUST do step {step}."));
            model.code.entry(0).or_default().push((0, 0, 1));
            format!("Step {step}: T001 and FR-002")
        } else {
            format!("Step {step}")
        };
        model.change_step(step, &fixture);
        model.write(&fixture);
        fixture.commit_all(&message, step as u32);
        let stderr = index(&fixture, "incremental");
        assert!(stderr.contains("updated "), "step {step}:\n{stderr}");
        kinds[0] += stderr.matches("ambiguous reference").count();
        kinds[1] += usize::from(stderr.contains("dangling reference"));
        if step % 2 == 0 {
            let full = format!("full-{step}");
            index(&fixture, &full);
            let quads = export(&fixture, "incremental");
            kinds[2] += quads.iter().filter(|q| q.contains("/task/")).count();
            assert_same(&quads, &export(&fixture, &full), step);
        }
    }
    // The history must have exercised what it is for.
    let quads = export(&fixture, "incremental");
    assert!(
        quads.iter().any(|q| q.contains("writtenId")),
        "no local id was cited"
    );
    assert!(kinds[0] > 0, "no reference was ever ambiguous");
    assert!(kinds[2] > 0, "no task was ever written");
    assert!(
        quads.iter().any(|q| q.contains("/link/task/")),
        "no commit ticked a task while changing code"
    );
    assert!(
        quads.iter().any(|q| q.contains("/link/message/")),
        "no commit message named an id of the one feature it changed"
    );
    assert!(
        quads
            .iter()
            .any(|q| q.contains("validatedBy") && q.contains("cap.test.ts")),
        "no test was linked by its title"
    );
    assert!(
        quads
            .iter()
            .any(|q| q.contains("/link/task/") && q.contains("req/cap/Works")),
        "no commit ticked an OpenSpec change's task while changing code"
    );
    assert!(
        quads
            .iter()
            .any(|q| q.contains("vocab#inChange") && q.contains("/archive/")),
        "no change was archived with its tasks"
    );
}
