//! Which item or task a reference names, once every spec is known.
//!
//! A marker names a full id (`imageUpload/AC-1`, `002-sync/T012`). A spec format's own id written
//! without its feature (`FR-003`, `T052`, `1.2`: a *local* id) may be defined by several features:
//! task ids restart at T001 in every Spec Kit feature and every Kiro feature has a `1.1`. The rule,
//! in order:
//!
//! 1. the feature the comment names (a spec path or `Feature: x`, kept by the parser with the
//!    id); when that feature does not define the id, the reference is dangling;
//! 2. among the features that define the id, the one the file's path names (a path component
//!    equal to the feature's name);
//! 3. else the one whose tasks name the file;
//! 4. else the only feature that defines it.
//!
//! Anything else is ambiguous and reported so, never guessed. A local id no feature defines is
//! dangling when some feature uses ids of its shape (`FR-`, `T`, numbers), and otherwise not a
//! reference at all (a `T100` in a repository with no task lists is just text).

// implements: index/local-ids

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::facts::{FileFacts, Reference, SCENARIO, Tool};

/// What a reference names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// A feature or an item, by its full id.
    Item(String),
    /// A task (`feature/id`) and the full ids of the items it serves.
    Task { task: String, items: Vec<String> },
    /// A local id that several features define, and no rule picks one of them.
    Ambiguous(Vec<String>),
    /// An id nothing defines; `report` is false for a local id of a shape no spec uses.
    Unknown { report: bool },
}

impl Resolution {
    /// The full ids of the items `reference`, resolved so, links: the item, the task's items,
    /// or a dangling marker's own id (it stays linked to the IRI it names); none for an
    /// ambiguous or unknown local id, which names nothing for certain.
    pub fn linked_items(&self, reference: &Reference) -> Vec<String> {
        match self {
            Resolution::Item(id) => vec![id.clone()],
            Resolution::Task { items, .. } => items.clone(),
            Resolution::Unknown { report: true } if !reference.local => {
                vec![reference.target.clone()]
            }
            Resolution::Ambiguous(_) | Resolution::Unknown { .. } => Vec::new(),
        }
    }
}

/// What one task gives references to it.
#[derive(Debug, Clone, Default)]
struct TaskTargets {
    items: Vec<String>,
}

/// The ids every spec and task list defines, for resolving references.
#[derive(Debug, Clone, Default)]
pub struct Resolver {
    /// Every feature and item id, in full.
    known: HashSet<String>,
    /// Local item id to the features that define it (other tools' items apart, in
    /// `tool_items`).
    item_features: HashMap<String, BTreeSet<String>>,
    /// For another tool (tracey, OpenFastTrace), its local item ids to the features that
    /// define them: only that tool's tags name them.
    tool_items: HashMap<Tool, HashMap<String, BTreeSet<String>>>,
    /// Full task id to what it serves.
    tasks: HashMap<String, TaskTargets>,
    /// Local task id to the features whose task lists hold it.
    task_features: HashMap<String, BTreeSet<String>>,
    /// Feature to the paths its tasks name.
    task_paths: HashMap<String, Vec<String>>,
    /// The shapes of local ids some feature defines (`FR-`, `T`, `` for numbers).
    shapes: HashSet<String>,
    /// A scenario's name to the full ids of the scenarios that have it (OpenSpec).
    titles: HashMap<String, BTreeSet<String>>,
    /// The features other tools define, with the tool.
    tools: HashMap<String, Tool>,
    /// Each feature's spec directory, and whether its spec is a test file (a fixture).
    homes: HashMap<String, (String, bool)>,
}

impl Resolver {
    /// The ids of `all`'s features and tasks (features defined twice already dropped).
    pub fn new<'a>(all: impl IntoIterator<Item = &'a FileFacts>) -> Resolver {
        let mut resolver = Resolver::default();
        let mut tasks = Vec::new();
        for facts in all {
            for feature in &facts.features {
                resolver.add_feature(&feature.name);
                resolver.add_tool_feature(&feature.name, feature.tool);
                resolver.add_home(&feature.name, &facts.path, facts.is_test_file);
                for item in &feature.items {
                    let title = item.extra.get(SCENARIO).map(String::as_str);
                    resolver.add_item(&feature.name, &item.local_id, title);
                }
            }
            // A change's tasks belong to no feature: no local id stands for them.
            tasks.extend(facts.tasks.iter().filter(|t| !t.in_change));
        }
        for task in tasks {
            resolver.add_task(&task.feature, &task.id, &task.items, &task.paths);
        }
        resolver
    }

    /// Adds a feature.
    pub fn add_feature(&mut self, name: &str) {
        self.known.insert(name.to_owned());
    }

    /// Records where a feature's spec is (for a feature across files, the smallest directory,
    /// so that the order files come in does not matter) and whether that is a test file.
    pub fn add_home(&mut self, feature: &str, spec_path: &str, is_test: bool) {
        let dir = spec_path.rsplit_once('/').map_or("", |(dir, _)| dir);
        let home = self
            .homes
            .entry(feature.to_owned())
            .or_insert_with(|| (dir.to_owned(), is_test));
        if dir < home.0.as_str() {
            *home = (dir.to_owned(), is_test);
        }
    }

    /// Marks a feature as defined by `tool`, whose ids only that tool's tags name (before its
    /// items are added).
    pub fn add_tool_feature(&mut self, name: &str, tool: Tool) {
        if tool != Tool::Kg {
            self.tools.insert(name.to_owned(), tool);
            self.tool_items.entry(tool).or_default();
        }
    }

    /// Adds an item of a feature, by its local id, and the name a test may carry as its title.
    pub fn add_item(&mut self, feature: &str, local_id: &str, title: Option<&str>) {
        let full = format!("{feature}/{local_id}");
        if let Some(title) = title {
            self.titles
                .entry(title.to_owned())
                .or_default()
                .insert(full.clone());
        }
        self.known.insert(full);
        let by_id = match self.tools.get(feature) {
            Some(tool) => self.tool_items.entry(*tool).or_default(),
            None => &mut self.item_features,
        };
        by_id
            .entry(local_id.to_owned())
            .or_default()
            .insert(feature.to_owned());
        self.shapes.insert(shape(local_id).to_owned());
    }

    /// Adds a task of a feature, with the local ids of the items it serves (only those the
    /// feature defines count, so tasks come after the items) and the paths it names.
    pub fn add_task(&mut self, feature: &str, id: &str, items: &[String], paths: &[String]) {
        let items = items
            .iter()
            .map(|item| format!("{feature}/{item}"))
            .filter(|full| self.known.contains(full))
            .collect();
        self.tasks
            .insert(format!("{feature}/{id}"), TaskTargets { items });
        self.task_features
            .entry(id.to_owned())
            .or_default()
            .insert(feature.to_owned());
        self.task_paths
            .entry(feature.to_owned())
            .or_default()
            .extend(paths.iter().cloned());
        self.shapes.insert(shape(id).to_owned());
    }

    /// Every feature and item id, in full.
    pub fn known_ids(&self) -> &HashSet<String> {
        &self.known
    }

    /// Every feature, item and task id, in full.
    pub fn defined(&self) -> HashSet<String> {
        self.known
            .iter()
            .chain(self.tasks.keys())
            .cloned()
            .collect()
    }

    /// Whether `id` (in full) is a task.
    pub fn is_task(&self, id: &str) -> bool {
        self.tasks.contains_key(id)
    }

    /// What `reference`, written in the file at `path`, names.
    pub fn resolve(&self, path: &str, reference: &Reference) -> Resolution {
        // A tag's version says which text it was written for, not which item.
        let target = reference.tool.versioned(&reference.target).0;
        if reference.by_title {
            return self.by_title(path, target);
        }
        if !reference.local {
            return self
                .full(target)
                .unwrap_or(Resolution::Unknown { report: true });
        }
        // Each tool's ids name its own items only.
        let features = match reference.tool {
            Tool::Kg => self
                .item_features
                .get(target)
                .or_else(|| self.task_features.get(target)),
            tool => self.tool_items.get(&tool).and_then(|ids| ids.get(target)),
        };
        let Some(features) = features else {
            return Resolution::Unknown {
                // Another tool's unknown id is worth a warning where that tool has items.
                report: match reference.tool {
                    Tool::Kg => self.shapes.contains(shape(target)),
                    tool => self.tool_items.contains_key(&tool),
                },
            };
        };
        // The feature the comment names decides; one that does not define the id leaves it
        // unknown (a misspelt path is worth a warning, not a guess).
        if let Some(named) = &reference.feature {
            if !features.contains(named) {
                return Resolution::Unknown {
                    report: self.shapes.contains(shape(target)),
                };
            }
            return self
                .full(&format!("{named}/{target}"))
                .unwrap_or(Resolution::Unknown { report: true });
        }
        let chosen = self.choose(path, features);
        match chosen {
            Ok(feature) => self
                .full(&format!("{feature}/{target}"))
                .unwrap_or(Resolution::Unknown { report: true }),
            Err(all) => {
                Resolution::Ambiguous(all.into_iter().map(|f| format!("{f}/{target}")).collect())
            }
        }
    }

    /// The scenario a test's title names: the one of that name, or among several the one whose
    /// feature the test file's path names.
    fn by_title(&self, path: &str, title: &str) -> Resolution {
        let Some(ids) = self.titles.get(title.trim()) else {
            return Resolution::Unknown { report: false };
        };
        let feature_of = |id: &String| id.split_once('/').map_or(id.clone(), |(f, _)| f.to_owned());
        let features: BTreeSet<String> = ids.iter().map(feature_of).collect();
        let in_chosen: Vec<&String> = match self.choose(path, &features) {
            Ok(feature) => ids.iter().filter(|id| feature_of(id) == feature).collect(),
            Err(_) => ids.iter().collect(),
        };
        match in_chosen[..] {
            [one] => Resolution::Item(one.clone()),
            _ => Resolution::Ambiguous(in_chosen.into_iter().cloned().collect()),
        }
    }

    /// A full id: an item (or feature), or a task.
    fn full(&self, id: &str) -> Option<Resolution> {
        if self.known.contains(id) {
            return Some(Resolution::Item(id.to_owned()));
        }
        self.tasks.get(id).map(|t| Resolution::Task {
            task: id.to_owned(),
            items: t.items.clone(),
        })
    }

    /// The one feature of `features` the rules pick for a reference in `path`, else them all.
    fn choose<'f>(
        &self,
        path: &str,
        features: &'f BTreeSet<String>,
    ) -> Result<&'f str, Vec<&'f str>> {
        let all: Vec<&str> = features.iter().map(String::as_str).collect();
        if let [only] = all[..] {
            return Ok(only);
        }
        let by_path: Vec<&str> = all
            .iter()
            .copied()
            .filter(|f| {
                path.split('/')
                    .any(|part| part == *f || part.split('.').next() == Some(f))
            })
            .collect();
        if let [one] = by_path[..] {
            return Ok(one);
        }
        // The feature whose spec stands nearest above the referencing file: a fixture's own.
        let above: Vec<(&str, usize)> = all
            .iter()
            .filter_map(|f| {
                let (dir, _) = self.homes.get(*f)?;
                let holds = dir.is_empty() || path.strip_prefix(dir.as_str())?.starts_with('/');
                holds.then_some((*f, dir.len()))
            })
            .collect();
        if let Some(nearest) = above.iter().map(|(_, len)| *len).max()
            && let [(one, _)] = above
                .iter()
                .filter(|(_, len)| *len == nearest)
                .collect::<Vec<_>>()[..]
        {
            return Ok(one);
        }
        // The only one whose spec is not a test file: fixtures' specs are not the project's.
        let outside: Vec<&str> = all
            .iter()
            .copied()
            .filter(|f| self.homes.get(*f).is_none_or(|(_, test)| !test))
            .collect();
        if let [one] = outside[..] {
            return Ok(one);
        }
        let by_tasks: Vec<&str> = all
            .iter()
            .copied()
            .filter(|f| {
                self.task_paths
                    .get(*f)
                    .is_some_and(|paths| paths.iter().any(|p| names_file(p, path)))
            })
            .collect();
        if let [one] = by_tasks[..] {
            return Ok(one);
        }
        Err(all)
    }
}

/// Whether a path a task names (`src/commands/compress.rs`, relative to the repository or to a
/// package in it, or a directory) is the file `path`.
fn names_file(named: &str, path: &str) -> bool {
    let named = named.trim_end_matches('/');
    !named.is_empty()
        && (path == named
            || path.ends_with(&format!("/{named}")) && named.contains('/')
            || path.starts_with(&format!("{named}/")))
}

/// The part of a local id before its first digit: `FR-`, `T`, `US`, and nothing for `1.2`.
fn shape(id: &str) -> &str {
    &id[..id.find(|c: char| c.is_ascii_digit()).unwrap_or(id.len())]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{Anchor, Feature, FileKind, Position, Relation, SpecItem, Task};

    fn spec(
        path: &str,
        feature: &str,
        items: &[&str],
        tasks: &[(&str, &[&str], &[&str])],
    ) -> FileFacts {
        let mut facts = FileFacts::new(path, FileKind::Spec, "0", 0);
        facts.features.push(Feature {
            name: feature.to_owned(),
            line: 1,
            spec_version: None,
            owner: None,
            description: None,
            items: items
                .iter()
                .map(|id| SpecItem {
                    local_id: (*id).to_owned(),
                    explicit_id: true,
                    kind: crate::facts::ItemKind::Acceptance,
                    text: String::new(),
                    position: 1,
                    line: 1,
                    extra: Default::default(),
                })
                .collect(),
            dependencies: Vec::new(),
            extra: Default::default(),
            tool: Tool::Kg,
        });
        facts.tasks = tasks
            .iter()
            .map(|(id, items, paths)| Task {
                feature: feature.to_owned(),
                in_change: false,
                id: (*id).to_owned(),
                text: String::new(),
                done: false,
                line: 1,
                items: items.iter().map(|s| (*s).to_owned()).collect(),
                depends: Vec::new(),
                paths: paths.iter().map(|s| (*s).to_owned()).collect(),
            })
            .collect();
        facts
    }

    fn local(target: &str) -> Reference {
        Reference {
            target: target.to_owned(),
            marker: Relation::Implements,
            relation: Relation::Implements,
            anchor: Anchor::File,
            position: Position::default(),
            local: true,
            feature: None,
            by_title: false,
            tool: Tool::Kg,
            artifact: None,
            quote: None,
        }
    }

    // verifies: index/local-ids, index/strictdoc
    #[test]
    fn a_fixtures_spec_names_its_own_files_and_never_the_projects() {
        let mut fixture = spec(
            "tests/fixtures/a/input/doc.sdoc",
            "fixture",
            &["REQ-1"],
            &[],
        );
        fixture.is_test_file = true;
        let specs = [spec("docs/doc.sdoc", "docs", &["REQ-1"], &[]), fixture];
        let resolver = Resolver::new(&specs);
        let item = |id: &str| Resolution::Item(id.to_owned());
        // The project's code names the project's spec, not the test fixture's.
        assert_eq!(
            resolver.resolve("tool/a.py", &local("REQ-1")),
            item("docs/REQ-1")
        );
        // A file beside the fixture's spec names that spec.
        assert_eq!(
            resolver.resolve("tests/fixtures/a/input/a.py", &local("REQ-1")),
            item("fixture/REQ-1")
        );
    }

    // verifies: index/local-ids
    #[test]
    fn local_ids_resolve_by_the_stated_rule_or_are_ambiguous() {
        let specs = [
            spec(
                "specs/001-core/spec.md",
                "001-core",
                &["US1", "FR-001"],
                &[("T001", &["US1"], &["crush-core/src/lib.rs"])],
            ),
            spec(
                "specs/002-cli/spec.md",
                "002-cli",
                &["US1", "FR-002"],
                &[("T001", &["US1"], &["src/commands/compress.rs"])],
            ),
        ];
        let resolver = Resolver::new(&specs);
        let item = |id: &str| Resolution::Item(id.to_owned());
        // The only feature that defines it.
        assert_eq!(
            resolver.resolve("src/a.rs", &local("FR-002")),
            item("002-cli/FR-002")
        );
        // Two define it: the file's path names one.
        assert_eq!(
            resolver.resolve("tests/001-core/a.rs", &local("US1")),
            item("001-core/US1")
        );
        // The tasks that name the file.
        assert_eq!(
            resolver.resolve("crush-cli/src/commands/compress.rs", &local("T001")),
            Resolution::Task {
                task: "002-cli/T001".to_owned(),
                items: vec!["002-cli/US1".to_owned()]
            }
        );
        // No rule picks one.
        assert_eq!(
            resolver.resolve("src/other.rs", &local("US1")),
            Resolution::Ambiguous(vec!["001-core/US1".to_owned(), "002-cli/US1".to_owned()])
        );
        // Unknown: reported when specs use ids of that shape.
        assert_eq!(
            resolver.resolve("src/a.rs", &local("FR-009")),
            Resolution::Unknown { report: true }
        );
        assert_eq!(
            resolver.resolve("src/a.rs", &local("SC-001")),
            Resolution::Unknown { report: false }
        );
        // The feature the comment names decides, even against the path.
        let named = Reference {
            feature: Some("001-core".to_owned()),
            ..local("US1")
        };
        assert_eq!(
            resolver.resolve("tests/002-cli/a.rs", &named),
            item("001-core/US1")
        );
        let misnamed = Reference {
            feature: Some("001-core".to_owned()),
            ..local("FR-002")
        };
        assert_eq!(
            resolver.resolve("src/a.rs", &misnamed),
            Resolution::Unknown { report: true }
        );
        // A full id, from a marker.
        let full = Reference {
            local: false,
            feature: None,
            by_title: false,
            ..local("001-core/T001")
        };
        assert!(matches!(
            resolver.resolve("x.rs", &full),
            Resolution::Task { .. }
        ));
    }
}
