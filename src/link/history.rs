//! What history means for specs and code, as plain data: how the items of a spec changed between
//! two versions of it, how each current item came to be along the first-parent chain, and which
//! lines a change touched. No I/O: `index` feeds it parsed versions and blob texts.

// implements: history/item-history

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::facts::{Feature, SpecItem};

/// How an item changed between two versions of a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ItemChangeKind {
    Added,
    /// Its text or fields changed (its id may have changed too).
    Reworded,
    /// Only its positional id changed, because items were inserted or removed before it.
    Renumbered,
    Removed,
}

impl ItemChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemChangeKind::Added => "added",
            ItemChangeKind::Reworded => "reworded",
            ItemChangeKind::Renumbered => "renumbered",
            ItemChangeKind::Removed => "removed",
        }
    }
}

/// One item's change between two versions of a spec.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ItemChange {
    pub kind: ItemChangeKind,
    /// The item's full id after the change (before it, for a removal).
    pub id: String,
    /// The full id before the change, when it differs.
    pub previous_id: Option<String>,
    pub text: Option<String>,
    pub previous_text: Option<String>,
}

/// Below this word similarity two positional items are different items.
const SIMILAR: f64 = 0.5;

/// How the items of `old` became those of `new`. Explicit ids are matched by id; positional ones
/// (`AC-n`, `NFR-<category>-n`) by text, exactly first and then by word similarity, so that
/// inserting a criterion is one addition and the items after it are renumbered, not reworded.
pub fn diff_items(old: &[Feature], new: &[Feature]) -> Vec<ItemChange> {
    let mut changes = Vec::new();
    let names: BTreeSet<&str> = old.iter().chain(new).map(|f| f.name.as_str()).collect();
    for name in names {
        let items = |features: &[Feature]| -> Vec<SpecItem> {
            features
                .iter()
                .filter(|f| f.name == name)
                .flat_map(|f| f.items.iter().cloned())
                .collect()
        };
        let (old_items, new_items) = (items(old), items(new));
        let full = |item: &SpecItem| format!("{name}/{}", item.local_id);
        let mut old_left: Vec<Option<&SpecItem>> = old_items.iter().map(Some).collect();
        let mut new_left: Vec<Option<&SpecItem>> = new_items.iter().map(Some).collect();
        let mut pairs: Vec<(&SpecItem, &SpecItem)> = Vec::new();

        // Explicit ids match by id.
        for n in new_left.iter_mut() {
            let Some(item) = *n else { continue };
            if !item.explicit_id {
                continue;
            }
            if let Some(o) = old_left
                .iter_mut()
                .find(|o| o.is_some_and(|o| o.explicit_id && o.local_id == item.local_id))
            {
                pairs.push((o.take().expect("found as Some"), item));
                *n = None;
            }
        }
        // Positional items in the same list match by text: identical, then most similar.
        let mut candidates = Vec::new();
        for (i, o) in old_left.iter().enumerate() {
            for (j, n) in new_left.iter().enumerate() {
                if let (Some(o), Some(n)) = (o, n)
                    && !o.explicit_id
                    && !n.explicit_id
                    && o.kind == n.kind
                {
                    let score = if o.text == n.text {
                        2.0
                    } else {
                        similarity(&o.text, &n.text)
                    };
                    if score >= SIMILAR {
                        // Prefer the closest position among equal scores, for stable pairing.
                        let distance = (o.position as i64 - n.position as i64).unsigned_abs();
                        candidates.push((score, std::cmp::Reverse(distance), i, j));
                    }
                }
            }
        }
        candidates.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then(b.1.cmp(&a.1))
                .then(a.2.cmp(&b.2))
                .then(a.3.cmp(&b.3))
        });
        for (_, _, i, j) in candidates {
            if let (Some(o), Some(n)) = (old_left[i], new_left[j]) {
                pairs.push((o, n));
                old_left[i] = None;
                new_left[j] = None;
            }
        }
        for (o, n) in pairs {
            let same_content = o.text == n.text && o.extra == n.extra && o.kind == n.kind;
            let (id, previous) = (full(n), full(o));
            let kind = match (same_content, id == previous) {
                (true, true) => continue,
                (true, false) => ItemChangeKind::Renumbered,
                (false, _) => ItemChangeKind::Reworded,
            };
            changes.push(ItemChange {
                kind,
                previous_id: (id != previous).then_some(previous),
                id,
                text: Some(n.text.clone()),
                previous_text: Some(o.text.clone()),
            });
        }
        for n in new_left.into_iter().flatten() {
            changes.push(ItemChange {
                kind: ItemChangeKind::Added,
                id: full(n),
                previous_id: None,
                text: Some(n.text.clone()),
                previous_text: None,
            });
        }
        for o in old_left.into_iter().flatten() {
            changes.push(ItemChange {
                kind: ItemChangeKind::Removed,
                id: full(o),
                previous_id: None,
                text: None,
                previous_text: Some(o.text.clone()),
            });
        }
    }
    changes.sort();
    changes
}

/// Word-set similarity (Jaccard) of two texts, ignoring case and punctuation.
fn similarity(a: &str, b: &str) -> f64 {
    let words = |t: &str| -> HashSet<String> {
        t.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let (a, b) = (words(a), words(b));
    let union = a.union(&b).count();
    if union == 0 {
        return 1.0;
    }
    a.intersection(&b).count() as f64 / union as f64
}

/// How each current item came to be, following the first-parent chain: the commit that
/// introduced it and the commits that reworded it; and for each file, the last commit that
/// changed it (what staleness compares a rewording with).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lineage {
    pub items: BTreeMap<String, ItemLineage>,
    /// Path to the last commit on the chain that added or modified it; deleted files drop out.
    pub files: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemLineage {
    pub introduced: Option<String>,
    pub changed: BTreeSet<String>,
}

impl Lineage {
    /// Applies `commit`, the next commit on the first-parent chain: its item changes and the
    /// files it changed (path, and whether it deleted the file).
    pub fn apply<'a>(
        &mut self,
        commit: &str,
        changes: &[ItemChange],
        files: impl IntoIterator<Item = (&'a str, bool)>,
    ) {
        let files: Vec<(&str, bool)> = files.into_iter().collect();
        // A commit that archives an OpenSpec change deletes its delta specs and applies them to
        // the capability specs: the rewording it applies was written when the delta was, so it
        // counts at the commit that last changed the delta spec.
        let applied: HashMap<&str, String> = files
            .iter()
            .filter(|(_, deleted)| *deleted)
            .filter_map(|(path, _)| {
                let (_, capability) = crate::parse::spec::openspec::delta_target(path)?;
                Some((capability, self.files.get(*path)?.clone()))
            })
            .collect();
        for (path, deleted) in files {
            if deleted {
                self.files.remove(path);
            } else {
                self.files.insert(path.to_owned(), commit.to_owned());
            }
        }
        // Take every moving item out first: renumbering shifts ids along a list.
        let mut moving = Vec::new();
        for change in changes {
            let from = change.previous_id.as_deref().unwrap_or(&change.id);
            match change.kind {
                ItemChangeKind::Removed => {
                    self.items.remove(&change.id);
                }
                ItemChangeKind::Reworded | ItemChangeKind::Renumbered => {
                    let lineage = self.items.remove(from).unwrap_or_default();
                    moving.push((change, lineage));
                }
                ItemChangeKind::Added => {}
            }
        }
        for (change, mut lineage) in moving {
            if change.kind == ItemChangeKind::Reworded {
                let feature = change.id.split_once('/').map_or("", |(f, _)| f);
                let at = applied.get(feature).map_or(commit, String::as_str);
                lineage.changed.insert(at.to_owned());
            }
            self.items.insert(change.id.clone(), lineage);
        }
        for change in changes.iter().filter(|c| c.kind == ItemChangeKind::Added) {
            self.items.insert(
                change.id.clone(),
                ItemLineage {
                    introduced: Some(commit.to_owned()),
                    changed: BTreeSet::new(),
                },
            );
        }
    }
}

/// The 1-based lines of `new` that a change from `old` added or modified.
pub fn changed_lines(old: &str, new: &str) -> Vec<u32> {
    crate::git::diff::line_hunks(old, new)
        .into_iter()
        .flat_map(|h| h.after.start + 1..h.after.end + 1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{FileFacts, FileKind};
    use crate::parse::spec::parse_spec;

    fn features(yaml: &str) -> Vec<Feature> {
        let mut facts = FileFacts::new("specs/a.yaml", FileKind::Spec, "0", 0);
        parse_spec(yaml, &mut facts);
        facts.features
    }

    fn changes(old: &str, new: &str) -> Vec<String> {
        diff_items(&features(old), &features(new))
            .iter()
            .map(|c| match &c.previous_id {
                Some(p) => format!("{} {} (was {p})", c.kind.as_str(), c.id),
                None => format!("{} {}", c.kind.as_str(), c.id),
            })
            .collect()
    }

    // verifies: history/item-history
    #[test]
    fn inserting_a_criterion_is_one_addition() {
        let old = "feature: f\nacceptance:\n  - Supports PNG and JPG formats.\n  - Shows a preview before upload.\n  - Shows a progress bar.\n";
        let new = "feature: f\nacceptance:\n  - Supports PNG and JPG formats.\n  - Rejects files over 5MB.\n  - Shows a preview before upload.\n  - Shows a progress bar.\n";
        assert_eq!(
            changes(old, new),
            vec![
                "added f/AC-2",
                "renumbered f/AC-3 (was f/AC-2)",
                "renumbered f/AC-4 (was f/AC-3)"
            ]
        );
    }

    // verifies: history/item-history
    #[test]
    fn an_inserted_kiro_criterion_renumbers_the_ones_after_it() {
        let read = |criteria: &[&str]| {
            let mut text =
                "## Requirements\n### Requirement 1: Export\n#### Acceptance Criteria\n".to_owned();
            for (i, c) in criteria.iter().enumerate() {
                text.push_str(&format!("{}. {c}\n", i + 1));
            }
            let mut facts = FileFacts::new(".kiro/specs/x/requirements.md", FileKind::Spec, "0", 0);
            crate::parse::spec::kiro::parse(&text, &mut facts);
            facts.features
        };
        let old = read(&["WHEN a THEN b SHALL c", "WHEN d THEN e SHALL f"]);
        let new = read(&[
            "WHEN n THEN o SHALL p",
            "WHEN a THEN b SHALL c",
            "WHEN d THEN e SHALL f",
        ]);
        let changes: Vec<String> = diff_items(&old, &new)
            .iter()
            .map(|c| format!("{} {} {:?}", c.kind.as_str(), c.id, c.previous_id))
            .collect();
        assert_eq!(
            changes,
            vec![
                "added x/1.1 None",
                "renumbered x/1.2 Some(\"x/1.1\")",
                "renumbered x/1.3 Some(\"x/1.2\")",
            ]
        );
    }

    #[test]
    fn rewording_removing_and_explicit_ids() {
        let old = "feature: f\nacceptance:\n  - Supports PNG and JPG formats.\n  - id: size\n    text: Under 5MB.\n  - Shows a progress bar.\nnfrs:\n  security:\n    - Scan for malware.\n";
        let new = "feature: f\nacceptance:\n  - Supports PNG, JPG and GIF formats.\n  - id: size\n    text: Under 10MB.\nnfrs:\n  security:\n    - Scan for malware.\n";
        assert_eq!(
            changes(old, new),
            vec!["reworded f/AC-1", "reworded f/size", "removed f/AC-3"]
        );
        assert!(changes(old, old).is_empty());
    }

    // verifies: history/item-history
    #[test]
    fn an_archived_openspec_change_rewords_when_its_delta_was_written() {
        let spec = |text: &str| {
            let mut facts = FileFacts::new("openspec/specs/auth/spec.md", FileKind::Spec, "0", 0);
            let text = format!("## Requirements\n### Requirement: Expiry\n{text}\n");
            crate::parse::spec::openspec::parse(&text, &mut facts);
            facts.features
        };
        let (old, new) = (spec("Ends after 30 minutes."), spec("Ends after 30 days."));
        let delta = "openspec/changes/longer/specs/auth/spec.md";
        let mut lineage = Lineage::default();
        lineage.apply(
            "c1",
            &diff_items(&[], &old),
            [("openspec/specs/auth/spec.md", false)],
        );
        lineage.apply("c2", &[], [(delta, false)]);
        lineage.apply("c3", &[], [("src/auth.rs", false)]);
        // The archive deletes the delta and applies it: the rewording counts at c2.
        lineage.apply("c4", &diff_items(&old, &new), [(delta, true)]);
        assert_eq!(
            lineage.items["auth/Expiry"].changed,
            BTreeSet::from(["c2".to_owned()])
        );
        // Any other rewording counts where it is made.
        lineage.apply(
            "c5",
            &diff_items(&new, &old),
            [("openspec/specs/auth/spec.md", false)],
        );
        assert!(lineage.items["auth/Expiry"].changed.contains("c5"));
    }

    #[test]
    fn lineage_follows_renumbering_and_rewording() {
        let v1 = "feature: f\nacceptance:\n  - Alpha beta gamma.\n  - Delta epsilon zeta.\n";
        let v2 = "feature: f\nacceptance:\n  - Inserted first.\n  - Alpha beta gamma.\n  - Delta epsilon zeta.\n";
        let v3 = "feature: f\nacceptance:\n  - Inserted first.\n  - Alpha beta gamma.\n  - Delta epsilon zeta eta.\n";
        let mut lineage = Lineage::default();
        lineage.apply("c1", &diff_items(&[], &features(v1)), [("a", false)]);
        lineage.apply(
            "c2",
            &diff_items(&features(v1), &features(v2)),
            [("b", false)],
        );
        lineage.apply(
            "c3",
            &diff_items(&features(v2), &features(v3)),
            [("a", true), ("c", false)],
        );
        let summary: Vec<String> = lineage
            .items
            .iter()
            .map(|(id, l)| {
                format!(
                    "{id} {} {:?}",
                    l.introduced.as_deref().unwrap_or("-"),
                    l.changed
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec!["f/AC-1 c2 {}", "f/AC-2 c1 {}", "f/AC-3 c1 {\"c3\"}"]
        );
        // Each file's last change; a deleted file drops out.
        let files: Vec<(&str, &str)> = lineage
            .files
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_str()))
            .collect();
        assert_eq!(files, vec![("b", "c2"), ("c", "c3")]);
    }

    #[test]
    fn changed_lines_are_those_of_the_new_side() {
        assert_eq!(changed_lines("a\nb\nc\n", "a\nB\nc\nd\n"), vec![2, 4]);
        assert_eq!(changed_lines("", "x\ny\n"), vec![1, 2]);
    }
}
