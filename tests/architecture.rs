//! The invariants of ARCHITECTURE.md, checked against the source: which module may import what,
//! and no import circle between the top-level modules of `src/`. Test modules are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Each source file's top-level module (`index` for `src/index/full.rs`) and its text before
/// its test module.
fn modules() -> Vec<(String, String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let rel = path
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let top = rel
                .split('/')
                .next()
                .unwrap()
                .trim_end_matches(".rs")
                .to_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap().to_owned();
            (top, rel, code)
        })
        .collect()
}

/// The lines of `code` that are not comments.
fn code_lines(code: &str) -> impl Iterator<Item = &str> {
    code.lines().filter(|l| !l.trim_start().starts_with("//"))
}

/// The top-level modules a file names through `crate::`.
fn uses(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in code_lines(code) {
        for (at, _) in line.match_indices("crate::") {
            let rest = &line[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

fn offenders(allowed: &[&str], needle: &str) -> Vec<String> {
    modules()
        .into_iter()
        .filter(|(top, _, code)| {
            !allowed.contains(&top.as_str()) && code_lines(code).any(|l| l.contains(needle))
        })
        .map(|(_, rel, _)| rel)
        .collect()
}

#[test]
fn only_git_reads_the_repository() {
    // Other modules may name gix's object ids, never read through gix.
    let readers: Vec<String> = modules()
        .into_iter()
        .filter(|(top, _, code)| {
            top != "git"
                && code_lines(code).any(|l| {
                    l.contains("gix::") && l.replace("gix::ObjectId", "").contains("gix::")
                })
        })
        .map(|(_, rel, _)| rel)
        .collect();
    assert_eq!(readers, Vec::<String>::new());
}

#[test]
fn only_store_touches_the_oxigraph_store() {
    assert_eq!(
        offenders(&["store"], "oxigraph::store"),
        Vec::<String>::new()
    );
    assert_eq!(offenders(&["store"], "Store::open"), Vec::<String>::new());
}

#[test]
fn parsers_import_neither_git_nor_oxigraph_nor_the_store() {
    let bad: Vec<String> = modules()
        .into_iter()
        .filter(|(top, _, code)| {
            top == "parse"
                && (code.contains("gix::")
                    || code.contains("oxigraph::")
                    || uses(code)
                        .iter()
                        .any(|m| ["git", "store", "graph", "index"].contains(&m.as_str())))
        })
        .map(|(_, rel, _)| rel)
        .collect();
    assert_eq!(bad, Vec::<String>::new());
}

#[test]
fn only_cli_and_report_print() {
    for needle in ["println!", "eprintln!", "print!(", "eprint!("] {
        assert_eq!(
            offenders(&["cli", "report", "main"], needle),
            Vec::<String>::new(),
            "{needle}"
        );
    }
}

#[test]
fn no_import_circle_between_top_level_modules() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (top, _, code) in modules() {
        let entry = edges.entry(top.clone()).or_default();
        entry.extend(uses(&code).into_iter().filter(|m| *m != top));
    }
    // Depth-first search for a back edge; the circle found is reported.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut circle = path[at..].to_vec();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, edges, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        let circle = visit(node, &edges, &mut Vec::new(), &mut done);
        assert_eq!(circle, None, "an import circle");
    }
}
