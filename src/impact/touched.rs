//! From changed lines to the definitions and doc sections they touch, on both sides of a file.

use super::*;

/// A definition or section the change touched, with what encloses it.
#[derive(Debug, Clone)]
pub(super) struct Touched {
    pub(super) iri: String,
    pub(super) node: Node,
    pub(super) change: &'static str,
    pub(super) lines: Vec<u32>,
    /// Enclosing definitions or sections, innermost first, then the file.
    pub(super) enclosing: Vec<(String, Node)>,
    /// The bare name, for callers found by name and docs that name it.
    pub(super) bare_name: Option<String>,
    /// Doc sections are reported but reach items only through their own links.
    pub(super) is_doc: bool,
    /// Not in the indexed tree: only links and callers by name can be found for it.
    pub(super) removed: bool,
}

impl Touched {
    /// `src/upload.rs:42 fn check_size (lines 45-47 changed)`.
    pub(super) fn head(&self) -> String {
        let what = match self.change {
            "removed" => "removed".to_owned(),
            "added" => "added".to_owned(),
            _ => format!("{} changed", plural_lines(&self.lines)),
        };
        format!("{} ({what})", self.node.label())
    }
}

pub(super) fn plural_lines(lines: &[u32]) -> String {
    let ranges = ranges(lines);
    if lines.len() == 1 {
        format!("line {ranges}")
    } else {
        format!("lines {ranges}")
    }
}

/// A definition or section of one side of a file, by key (qualified name or heading key).
pub(super) struct Unit {
    pub(super) key: String,
    pub(super) node: Node,
    /// Indexes of enclosing units, innermost first.
    pub(super) ancestors: Vec<usize>,
    pub(super) start: u32,
    pub(super) end: u32,
    pub(super) name: String,
}

/// The units of one side of a file. `text` is that side's text: a definition's unit starts at
/// the comments and attributes right above it (doc comments, markers, `#[test]`, decorators).
pub(super) fn units(facts: &FileFacts, text: &str) -> Vec<Unit> {
    let language = match facts.kind {
        FileKind::Code(language) => Some(language.tag().to_owned()),
        _ => None,
    };
    let ancestors = |mut parent: Option<usize>, parent_of: &dyn Fn(usize) -> Option<usize>| {
        let mut chain = Vec::new();
        while let Some(p) = parent {
            chain.push(p);
            parent = parent_of(p);
        }
        chain
    };
    if facts.kind == FileKind::Doc {
        let keys = section_keys(&facts.sections);
        return facts
            .sections
            .iter()
            .zip(keys)
            .map(|(s, key)| Unit {
                node: Node {
                    path: facts.path.clone(),
                    line: Some(s.start_line),
                    name: Some(s.heading_path.join(" > ")),
                    kind: "section".to_owned(),
                    is_test: false,
                    language: None,
                },
                key,
                ancestors: ancestors(s.parent, &|i| facts.sections[i].parent),
                start: s.start_line,
                end: s.end_line,
                name: s.title.clone(),
            })
            .collect();
    }
    let lines: Vec<&str> = text.lines().collect();
    facts
        .definitions
        .iter()
        .map(|d| Unit {
            key: d.qualified_name.clone(),
            node: Node {
                path: facts.path.clone(),
                line: Some(d.start_line),
                name: Some(d.qualified_name.clone()),
                kind: d.kind.as_str().to_owned(),
                is_test: d.is_test || matches!(d.kind, DefKind::TestCase),
                language: language.clone(),
            },
            ancestors: ancestors(d.parent, &|i| facts.definitions[i].parent),
            start: lead_in(&lines, d.start_line),
            end: d.end_line,
            name: d.name.clone(),
        })
        .collect()
}

/// The first line of the comments and attributes directly above line `start`.
pub(super) fn lead_in(lines: &[&str], start: u32) -> u32 {
    let mut first = start;
    while first > 1 {
        let above = lines.get(first as usize - 2).map_or("", |l| l.trim_start());
        let attached = ["//", "/*", "*", "#[", "@"]
            .iter()
            .any(|p| above.starts_with(p));
        if !attached {
            break;
        }
        first -= 1;
    }
    first
}

/// Those of `lines` that hold more than white space in a side's text (a change on a blank line
/// touches nothing), in one pass over the text.
fn not_blank(text: Option<&String>, lines: &[u32]) -> Vec<u32> {
    let blank: Vec<bool> = text
        .map(|t| t.lines().map(|l| l.trim().is_empty()).collect())
        .unwrap_or_default();
    lines
        .iter()
        .copied()
        .filter(|&l| {
            !l.checked_sub(1)
                .and_then(|i| blank.get(i as usize))
                .is_some_and(|b| *b)
        })
        .collect()
}

/// The innermost unit holding each of `lines`.
pub(super) fn innermost_each(units: &[Unit], lines: &[u32]) -> Vec<Option<usize>> {
    let spans: Vec<(usize, usize)> = lines.iter().map(|&l| (l as usize, l as usize)).collect();
    Nesting::of(units.iter().map(|u| (u.start as usize, u.end as usize))).innermost_each(&spans)
}

/// The definitions (or sections) of one changed file that the changed lines fall in, on both
/// sides, and the file itself for lines outside any.
pub(super) fn touched_in(
    iris: &Iris,
    change: &FileDiff,
    old: Option<&FileFacts>,
    new: Option<&FileFacts>,
) -> Vec<Touched> {
    let (old_units, new_units) = (
        old.map(|f| units(f, change.old_text.as_deref().unwrap_or("")))
            .unwrap_or_default(),
        new.map(|f| units(f, change.new_text.as_deref().unwrap_or("")))
            .unwrap_or_default(),
    );
    let file_node = |path: &str| Node {
        path: path.to_owned(),
        line: None,
        name: None,
        kind: "file".to_owned(),
        is_test: false,
        language: None,
    };
    let Some(facts) = new.or(old) else {
        // Neither side could be read: the change maps to its file.
        let path = change.path();
        let lines = if change.added.is_empty() {
            &change.removed
        } else {
            &change.added
        };
        return vec![Touched {
            iri: iris.file(path).as_str().to_owned(),
            node: file_node(path),
            change: "modified",
            lines: lines.clone(),
            enclosing: Vec::new(),
            bare_name: None,
            is_doc: false,
            removed: false,
        }];
    };
    let is_doc = facts.kind == FileKind::Doc;
    let language = match facts.kind {
        FileKind::Code(language) => language.tag(),
        _ => "",
    };
    let iri_of = |path: &str, unit: &Unit| {
        if is_doc {
            iris.section(path, &unit.key).as_str().to_owned()
        } else {
            iris.symbol(language, path, &unit.key).as_str().to_owned()
        }
    };
    // Changed lines by the key of the unit holding them; None for lines outside any.
    let mut new_hits: BTreeMap<Option<usize>, Vec<u32>> = BTreeMap::new();
    let mut old_hits: BTreeMap<Option<usize>, Vec<u32>> = BTreeMap::new();
    if new.is_some() {
        let holders = innermost_each(&new_units, &change.added);
        for (&line, unit) in change.added.iter().zip(holders) {
            new_hits.entry(unit).or_default().push(line);
        }
    }
    let mut old_lines = change.removed.clone();
    if new.is_none() && change.new_path.is_some() {
        // The patch did not apply: place its added lines where they sit in the old text.
        old_lines.extend(&change.added_at_old);
    }
    let holders = innermost_each(&old_units, &old_lines);
    for (line, unit) in old_lines.into_iter().zip(holders) {
        old_hits.entry(unit).or_default().push(line);
    }
    let old_keys: HashMap<&str, usize> = old_units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.key.as_str(), i))
        .collect();
    let new_keys: HashMap<&str, usize> = new_units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.key.as_str(), i))
        .collect();
    let enclosing = |path: &str, units: &[Unit], unit: &Unit| -> Vec<(String, Node)> {
        let mut chain: Vec<(String, Node)> = unit
            .ancestors
            .iter()
            .map(|&a| (iri_of(path, &units[a]), units[a].node.clone()))
            .collect();
        chain.push((iris.file(path).as_str().to_owned(), file_node(path)));
        chain
    };
    // A touched unit of one side's units.
    let touched = |path: &str, units: &[Unit], unit: &Unit, kind, lines: &[u32]| Touched {
        iri: iri_of(path, unit),
        node: unit.node.clone(),
        change: kind,
        lines: lines.to_vec(),
        enclosing: enclosing(path, units, unit),
        bare_name: Some(unit.name.clone()),
        is_doc,
        removed: kind == "removed",
    };
    let mut out: BTreeMap<(u8, String), Touched> = BTreeMap::new();
    let mut file_lines: Vec<u32> = Vec::new();
    if let (Some(_), Some(path)) = (new, change.new_path.as_deref()) {
        for (unit, lines) in &new_hits {
            let Some(i) = unit else {
                file_lines.extend(not_blank(change.new_text.as_ref(), lines));
                continue;
            };
            let unit = &new_units[*i];
            let existed = old.is_some() && old_keys.contains_key(unit.key.as_str());
            let kind = if existed { "modified" } else { "added" };
            out.insert(
                (1, unit.key.clone()),
                touched(path, &new_units, unit, kind, lines),
            );
        }
    }
    if let Some(path) = change.old_path.as_deref() {
        for (unit, lines) in &old_hits {
            let Some(i) = unit else {
                if file_lines.is_empty() {
                    file_lines.extend(not_blank(change.old_text.as_ref(), lines));
                }
                continue;
            };
            let unit = &old_units[*i];
            if let Some(&now) = new_keys.get(unit.key.as_str()) {
                // Modified: reported on the new side; lines only removed there count too.
                let entry = out.entry((1, unit.key.clone())).or_insert_with(|| {
                    let path = change.new_path.as_deref().unwrap_or(path);
                    touched(path, &new_units, &new_units[now], "modified", &[])
                });
                if entry.lines.is_empty() {
                    entry.lines = lines.clone();
                }
                continue;
            }
            // Without the new text (a patch that did not apply) the definition is still there.
            let moved = change.new_path.is_some() && new.is_none();
            let kind = if moved { "modified" } else { "removed" };
            out.insert(
                (0, unit.key.clone()),
                touched(path, &old_units, unit, kind, lines),
            );
        }
    }
    let mut touched: Vec<Touched> = out.into_values().collect();
    if !file_lines.is_empty() {
        let path = change.path();
        let change_kind = match (&change.old_path, &change.new_path) {
            (None, _) => "added",
            (_, None) => "removed",
            _ => "modified",
        };
        touched.push(Touched {
            iri: iris.file(path).as_str().to_owned(),
            node: file_node(path),
            change: change_kind,
            lines: file_lines,
            enclosing: Vec::new(),
            bare_name: None,
            is_doc,
            removed: change_kind == "removed",
        });
    }
    touched.sort_by(|a, b| {
        (&a.node.path, a.node.line, &a.node.name).cmp(&(&b.node.path, b.node.line, &b.node.name))
    });
    touched
}
