//! What TypeScript needs beyond the query captures: test calls (describe, it, test, Deno.test)
//! and import statements.

use super::*;

/// Recognises `describe("x", ...)`, `it(...)`, `test.only(...)`, `Deno.test(...)` and returns the
/// kind and name of the test definition the call makes.
pub(super) fn test_call(callee: Node, arguments: Node, source: &[u8]) -> Option<(DefKind, String)> {
    let path = node_text(callee, source);
    let mut parts = path.split('.');
    let head = parts.next()?;
    let (kind, rest) = match head {
        "describe" | "suite" | "context" | "fdescribe" | "xdescribe" => (DefKind::Suite, parts),
        "it" | "test" | "fit" | "xit" => (DefKind::TestCase, parts),
        "Deno" if parts.next() == Some("test") => (DefKind::TestCase, parts),
        _ => return None,
    };
    if !rest.into_iter().all(|p| {
        matches!(
            p,
            "only" | "skip" | "todo" | "concurrent" | "ignore" | "openspec"
        )
    }) {
        return None;
    }
    let first = arguments.named_child(0)?;
    let name = match first.kind() {
        "string" | "template_string" => string_content(first, source),
        // Deno.test({ name: "x", fn() {} })
        "object" => {
            let mut cursor = first.walk();
            let pair = first.named_children(&mut cursor).find(|pair| {
                pair.kind() == "pair"
                    && pair
                        .child_by_field_name("key")
                        .is_some_and(|k| node_text(k, source) == "name")
            })?;
            string_content(pair.child_by_field_name("value")?, source)
        }
        // Deno.test(function name() {})
        "function_expression" => node_text(first.child_by_field_name("name")?, source).to_owned(),
        _ => return None,
    };
    Some((kind, name))
}

pub(super) fn string_content(node: Node, source: &[u8]) -> String {
    let text = node_text(node, source);
    text.get(1..text.len().saturating_sub(1))
        .unwrap_or("")
        .to_owned()
}

/// The imports of a TypeScript `import` statement: default, namespace and named.
pub(super) fn typescript_imports(statement: Node, source: &[u8], out: &mut Vec<Import>) {
    let Some(from) = statement.child_by_field_name("source") else {
        return;
    };
    let module = typescript_module(&string_content(from, source));
    let import = |name: &str, alias: Option<&str>| Import {
        module: module.clone(),
        name: name.to_owned(),
        alias: alias.filter(|a| *a != name).map(str::to_owned),
    };
    let mut cursor = statement.walk();
    for clause in statement.named_children(&mut cursor) {
        if clause.kind() != "import_clause" {
            continue;
        }
        let mut parts = clause.walk();
        for part in clause.named_children(&mut parts) {
            match part.kind() {
                // A default import: its local name is the best guess at what it names.
                "identifier" => out.push(import(node_text(part, source), None)),
                "namespace_import" => {
                    let mut inner = part.walk();
                    let alias = part
                        .named_children(&mut inner)
                        .find(|n| n.kind() == "identifier")
                        .map(|n| node_text(n, source));
                    out.push(import("*", alias));
                }
                "named_imports" => {
                    let mut specs = part.walk();
                    for spec in part.named_children(&mut specs) {
                        let Some(name) = spec.child_by_field_name("name") else {
                            continue;
                        };
                        let alias = spec
                            .child_by_field_name("alias")
                            .map(|a| node_text(a, source));
                        out.push(import(node_text(name, source), alias));
                    }
                }
                _ => {}
            }
        }
    }
}

/// A module specifier as path segments: `../lib/upload.js` is `lib/upload`, `./upload/index`
/// is `upload`.
pub(super) fn typescript_module(specifier: &str) -> String {
    let mut segments: Vec<&str> = specifier
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .collect();
    if let Some(last) = segments.last_mut() {
        for extension in [".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts"] {
            if let Some(stem) = last.strip_suffix(extension) {
                *last = stem;
                break;
            }
        }
    }
    if segments.len() > 1 && segments.last() == Some(&"index") {
        segments.pop();
    }
    segments.join("/")
}
