//! What Rust needs beyond the query captures: impl names, test attributes, calls in macro
//! arguments, and use trees expanded to one import a name.

use super::*;

/// The calls in a token tree and the token trees nested in it: each identifier whose next named
/// sibling is a token tree.
pub(super) fn token_tree_calls(tokens: Node<'_>) -> Vec<Node<'_>> {
    let mut calls = Vec::new();
    let mut stack = vec![tokens];
    while let Some(tree) = stack.pop() {
        let mut cursor = tree.walk();
        let mut previous: Option<Node> = None;
        for child in tree.named_children(&mut cursor) {
            if child.kind() == "token_tree" {
                if let Some(name) = previous.filter(|p| p.kind() == "identifier") {
                    calls.push(name);
                }
                stack.push(child);
            }
            previous = Some(child);
        }
    }
    calls
}

/// `impl Gateway` / `impl Display for Gateway`, and the prefix its items get: `Gateway` or
/// `<Gateway as Display>`. Generic arguments are left out of the prefix.
pub(super) fn impl_names(node: Node, source: &[u8]) -> (String, String) {
    let ty = node
        .child_by_field_name("type")
        .map_or("_", |t| node_text(t, source));
    let ty_base = strip_generics(ty);
    match node.child_by_field_name("trait") {
        Some(tr) => {
            let tr = node_text(tr, source);
            (
                format!("impl {tr} for {ty}"),
                format!("<{ty_base} as {}>", strip_generics(tr)),
            )
        }
        None => (format!("impl {ty}"), ty_base.to_owned()),
    }
}

pub(super) fn strip_generics(name: &str) -> &str {
    name.find('<').map_or(name, |i| &name[..i]).trim()
}

// implements: index/bounded
/// The nodes (by id; the caller asks of the functions it captured) that a test attribute
/// (`#[test]`, `#[tokio::test]`, `#[rstest]`, ...) marks, with only comments and other attributes
/// between. One walk of the tree with a cursor: tree-sitter finds a node's previous sibling by
/// walking its parent's children, so asking it per function cost the square of a long file.
pub(super) fn test_functions(tree: &Tree, source: &[u8]) -> std::collections::HashSet<usize> {
    let mut tests = std::collections::HashSet::new();
    let mut cursor = tree.walk();
    // Per level of the walk: whether a test attribute stands above the next item.
    let mut pending = vec![false];
    loop {
        let node = cursor.node();
        if node.is_named() {
            let above = pending.last_mut().expect("one level per depth");
            match node.kind() {
                "attribute_item" => *above |= is_test_attribute(node_text(node, source)),
                "line_comment" | "block_comment" => {}
                _ => {
                    // Any node: the caller asks only of the functions it captured.
                    if *above {
                        tests.insert(node.id());
                    }
                    *above = false;
                }
            }
        }
        if cursor.goto_first_child() {
            pending.push(false);
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return tests;
            }
            pending.pop();
        }
    }
}

fn is_test_attribute(text: &str) -> bool {
    let path = text
        .trim_start_matches("#[")
        .split(['(', ']', '='])
        .next()
        .unwrap_or("")
        .trim();
    let last = path.rsplit("::").next().unwrap_or(path);
    matches!(
        last,
        "test" | "rstest" | "test_case" | "quickcheck" | "proptest" | "wasm_bindgen_test"
    )
}

/// Expands a Rust use tree (`crate::scan::{self, scan, Gateway as Gw, sub::*}`) under `prefix`
/// into imports, one a name.
pub(super) fn expand_use(prefix: &[&str], text: &str, out: &mut Vec<Import>) {
    let text = text.trim();
    if let Some(open) = text.find('{') {
        let head = text[..open].trim().trim_end_matches("::");
        let inner = text[open + 1..].trim_end();
        let inner = inner.strip_suffix('}').unwrap_or(inner);
        let mut path = prefix.to_vec();
        path.extend(head.split("::").map(str::trim).filter(|s| !s.is_empty()));
        for item in split_top_level(inner) {
            expand_use(&path, item, out);
        }
        return;
    }
    let (path_text, alias) = match text.rsplit_once(" as ") {
        Some((path, alias)) => (path, Some(alias.trim())),
        None => (text, None),
    };
    let mut path = prefix.to_vec();
    path.extend(
        path_text
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty()),
    );
    // `a::{self}` imports the module `a` itself.
    if path.last() == Some(&"self") {
        path.pop();
    }
    let Some((name, module)) = path.split_last() else {
        return;
    };
    if matches!(*name, "crate" | "self" | "super") {
        return;
    }
    let module: Vec<&str> = module
        .iter()
        .copied()
        .filter(|s| !matches!(*s, "crate" | "self" | "super"))
        .collect();
    out.push(Import {
        module: module.join("/"),
        name: (*name).to_owned(),
        alias: alias.filter(|a| *a != "_" && a != name).map(str::to_owned),
    });
}

/// Splits a use list at its top-level commas.
pub(super) fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}
