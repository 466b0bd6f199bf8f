//! Call resolution: from call sites by name to the definitions they most likely call, as plain
//! data. Scoping goes from near to far: the caller's own impl or class, a qualified path
//! (`Gateway::new`, `crate::scan::scan`, through an import alias too), the caller's file, the
//! names its imports bring in (`use crate::scan::*`, `import { scan } from './scan'`), then a
//! name unique in the repository.
//! When the nearest rule that finds anything finds several definitions, all of them (up to a
//! bound) are kept and marked ambiguous.

// implements: trace/calls

use std::collections::{BTreeSet, HashMap};

use crate::facts::Import;

/// A definition that can be called.
#[derive(Debug, Clone)]
pub struct Callable {
    pub id: String,
    pub name: String,
    pub qualified_name: String,
    pub path: String,
    pub parent: Option<String>,
    pub language: String,
}

/// A call site: who calls, and the callee as written.
#[derive(Debug, Clone)]
pub struct CallSite {
    pub caller: String,
    pub path: String,
    pub parent: Option<String>,
    pub language: String,
    pub callee: String,
}

/// A resolved call.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallEdge {
    pub caller: String,
    pub callee: String,
    pub ambiguous: bool,
}

/// More candidates than this and a name is too common to say anything (`new`, `len`, `map`).
pub const AMBIGUITY_BOUND: usize = 4;

/// Resolves every call site it can. `imports` holds each code file's imports, by path.
pub fn resolve(
    callables: &[Callable],
    calls: &[CallSite],
    imports: &HashMap<String, Vec<Import>>,
) -> BTreeSet<CallEdge> {
    let mut by_name: HashMap<(&str, &str), Vec<&Callable>> = HashMap::new();
    for callable in callables {
        by_name
            .entry((callable.language.as_str(), callable.name.as_str()))
            .or_default()
            .push(callable);
    }
    let mut edges = BTreeSet::new();
    for call in calls {
        let segments = segments(&call.callee);
        let Some((name, qualifier)) = segments.split_last() else {
            continue;
        };
        let lookup = |name: &str| -> Vec<&Callable> {
            by_name
                .get(&(call.language.as_str(), name))
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .copied()
                .filter(|c| c.id != call.caller)
                .collect()
        };
        let imports = imports.get(&call.path).map_or(&[][..], Vec::as_slice);
        let qualifier = expand_qualifier(qualifier, imports);
        let by_name = lookup(name);
        let tiers = [
            // The caller's own impl or class.
            by_name
                .iter()
                .copied()
                .filter(|c| c.path == call.path && c.parent.is_some() && c.parent == call.parent)
                .collect(),
            // A qualified path: `Gateway::new`, `scan::scan`, `up.check` (`up` a namespace import).
            by_name
                .iter()
                .copied()
                .filter(|c| !qualifier.is_empty() && qualifier_matches(c, &qualifier))
                .collect(),
            // The caller's module.
            by_name
                .iter()
                .copied()
                .filter(|c| qualifier.is_empty() && c.path == call.path)
                .collect(),
            // Its imports.
            if qualifier.is_empty() {
                imported(name, imports, &lookup)
            } else {
                Vec::new()
            },
            // A name unique in the repository.
            by_name,
        ];
        let Some(found) = tiers.into_iter().find(|t| !t.is_empty()) else {
            continue;
        };
        if found.len() <= AMBIGUITY_BOUND {
            let ambiguous = found.len() > 1;
            for callee in found {
                edges.insert(CallEdge {
                    caller: call.caller.clone(),
                    callee: callee.id.clone(),
                    ambiguous,
                });
            }
        }
    }
    edges
}

/// A qualifier whose first segment is an imported name stands for what it imports:
/// `m::check` after `use crate::f1 as m` is `f1::check`; `up.check` after
/// `import * as up from './upload'` is `upload.check`.
fn expand_qualifier<'a>(qualifier: &[&'a str], imports: &'a [Import]) -> Vec<&'a str> {
    let Some((first, rest)) = qualifier.split_first() else {
        return Vec::new();
    };
    let Some(import) = imports
        .iter()
        .find(|i| i.local_name() == *first && (i.name != "*" || i.alias.is_some()))
    else {
        return qualifier.to_vec();
    };
    let mut expanded = import.module_segments();
    if import.name != "*" {
        expanded.push(&import.name);
    }
    expanded.extend(rest);
    expanded
}

/// The definitions an unqualified `name` can mean through the file's imports: a name imported
/// explicitly (under its own name or an alias), or found through a glob import of its module.
fn imported<'c>(
    name: &str,
    imports: &[Import],
    lookup: &dyn Fn(&str) -> Vec<&'c Callable>,
) -> Vec<&'c Callable> {
    let mut found: Vec<&Callable> = Vec::new();
    for import in imports {
        let module = import.module_segments();
        let candidates = if import.name == "*" {
            if import.alias.is_some() || module.is_empty() {
                continue;
            }
            lookup(name)
        } else if import.local_name() == name {
            lookup(&import.name)
        } else {
            continue;
        };
        found.extend(
            candidates
                .into_iter()
                .filter(|c| module.is_empty() || qualifier_matches(c, &module)),
        );
    }
    found.sort_by(|a, b| a.id.cmp(&b.id));
    found.dedup_by(|a, b| a.id == b.id);
    found
}

/// The path segments of a callee as written, without `self`, `this`, `crate` and `super`.
fn segments(callee: &str) -> Vec<&str> {
    callee
        .split(['.', ':'])
        .filter(|s| !s.is_empty() && !matches!(*s, "self" | "this" | "crate" | "super"))
        .collect()
}

/// The names an unqualified callee stands for through import aliases: `check` for `c` after
/// `use crate::f1::check as c`.
pub fn aliased_names<'a>(callee: &'a str, imports: &'a [Import]) -> impl Iterator<Item = &'a str> {
    imports
        .iter()
        .filter(move |i| i.name != "*" && i.alias.as_deref() == Some(callee))
        .map(|i| i.name.as_str())
}

/// The name a callee calls: the last segment (`new` for `Gateway::new`).
pub fn called_name(callee: &str) -> &str {
    segments(callee).last().copied().unwrap_or("")
}

/// Whether the qualifier (`Gateway`, `scan`) names the callable's enclosing type or its module
/// file (`src/scan.rs`, `src/scan/mod.rs`, `src/scan/index.ts`).
fn qualifier_matches(callable: &Callable, qualifier: &[&str]) -> bool {
    let Some(last) = qualifier.last() else {
        return false;
    };
    let scopes: Vec<&str> = callable
        .qualified_name
        .split(['.', ':'])
        .filter(|s| !s.is_empty())
        .collect();
    let in_scope = scopes.len() >= 2 && scopes[scopes.len() - 2].trim_start_matches('<') == *last;
    // `src/scan/mod.rs` and `src/upload/index.ts` are the modules `scan` and `upload`.
    let file = callable.path.rsplit('/').next().unwrap_or("");
    let stem = file.split('.').next().unwrap_or("");
    let stem = match stem {
        "mod" | "index" => callable.path.rsplit('/').nth(1).unwrap_or(""),
        _ => stem,
    };
    in_scope || stem == *last
}

#[cfg(test)]
mod tests {
    use super::*;

    fn callable(id: &str, qualified: &str, path: &str, parent: Option<&str>) -> Callable {
        Callable {
            id: id.to_owned(),
            name: qualified.rsplit([':', '.']).next().unwrap().to_owned(),
            qualified_name: qualified.to_owned(),
            path: path.to_owned(),
            parent: parent.map(str::to_owned),
            language: "rust".to_owned(),
        }
    }

    fn call(caller: &str, callee: &str, path: &str, parent: Option<&str>) -> CallSite {
        CallSite {
            caller: caller.to_owned(),
            path: path.to_owned(),
            parent: parent.map(str::to_owned),
            language: "rust".to_owned(),
            callee: callee.to_owned(),
        }
    }

    fn edges(callables: &[Callable], calls: &[CallSite]) -> Vec<String> {
        resolve(callables, calls, &HashMap::new())
            .into_iter()
            .map(|e| {
                format!(
                    "{} -> {}{}",
                    e.caller,
                    e.callee,
                    if e.ambiguous { " (ambiguous)" } else { "" }
                )
            })
            .collect()
    }

    // verifies: trace/calls
    #[test]
    fn nearest_scope_wins() {
        let callables = [
            callable("gw.check", "Gateway::check", "src/gw.rs", Some("gw.impl")),
            callable(
                "other.check",
                "Other::check",
                "src/other.rs",
                Some("other.impl"),
            ),
            callable("scan", "scan", "src/scan.rs", None),
            callable("util.scan", "scan", "src/util.rs", None),
            callable("gw.new", "Gateway::new", "src/gw.rs", Some("gw.impl")),
            callable("x.new", "X::new", "src/x.rs", Some("x.impl")),
            callable("unique", "unique_helper", "src/h.rs", None),
        ];
        let calls = [
            call("gw.validate", "self.check", "src/gw.rs", Some("gw.impl")),
            call("test", "crate::scan::scan", "tests/t.rs", None),
            call("test", "Gateway::new", "tests/t.rs", None),
            call("test", "unique_helper", "tests/t.rs", None),
            call("test", "check", "tests/t.rs", None),
        ];
        assert_eq!(
            edges(&callables, &calls),
            vec![
                "gw.validate -> gw.check",
                "test -> gw.check (ambiguous)",
                "test -> gw.new",
                "test -> other.check (ambiguous)",
                "test -> scan",
                "test -> unique",
            ]
        );
    }

    fn import(literal: &str) -> Import {
        Import::from_literal(literal).unwrap()
    }

    // verifies: trace/calls
    #[test]
    fn imports_come_after_the_module_and_before_the_repository() {
        // `check` is defined in five modules: too common to resolve without imports.
        let mut callables: Vec<Callable> = (0..5)
            .map(|i| {
                callable(
                    &format!("f{i}.check"),
                    "check",
                    &format!("src/f{i}.rs"),
                    None,
                )
            })
            .collect();
        callables.push(callable("t.check", "check", "tests/local.rs", None));
        callables.push(callable("up.send", "send", "src/upload/index.ts", None));
        callables[6].language = "typescript".to_owned();
        let imports: HashMap<String, Vec<Import>> = [
            ("tests/glob.rs", vec![import("f1::*")]),
            ("tests/named.rs", vec![import("f2::check as verify")]),
            ("tests/module.rs", vec![import("::f3 as m")]),
            ("tests/local.rs", vec![import("f4::*")]),
            ("src/app.ts", vec![import("upload::* as up")]),
        ]
        .into_iter()
        .map(|(path, imports)| (path.to_owned(), imports))
        .collect();
        let mut calls = vec![
            call("glob", "check", "tests/glob.rs", None),
            call("named", "verify", "tests/named.rs", None),
            call("module", "m::check", "tests/module.rs", None),
            call("local", "check", "tests/local.rs", None),
            call("none", "check", "tests/none.rs", None),
            call("ns", "up.send", "src/app.ts", None),
        ];
        calls[5].language = "typescript".to_owned();
        let found: Vec<String> = resolve(&callables, &calls, &imports)
            .into_iter()
            .map(|e| format!("{} -> {}", e.caller, e.callee))
            .collect();
        assert_eq!(
            found,
            vec![
                "glob -> f1.check",
                "local -> t.check",
                "module -> f3.check",
                "named -> f2.check",
                "ns -> up.send",
            ]
        );
    }

    #[test]
    fn too_common_names_resolve_to_nothing() {
        let callables: Vec<Callable> = (0..=AMBIGUITY_BOUND)
            .map(|i| {
                callable(
                    &format!("n{i}"),
                    &format!("T{i}::new"),
                    &format!("src/t{i}.rs"),
                    None,
                )
            })
            .collect();
        assert!(edges(&callables, &[call("c", "new", "src/c.rs", None)]).is_empty());
    }
}
