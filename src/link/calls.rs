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

/// The longest chain of calls kg follows: from a changed definition to its callers (`kg impact`)
/// and from a test to an item's code (inferred verification; `queries/trace-links.rq` has one
/// branch per call).
pub const MAX_CALL_CHAIN: u32 = 3;

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

/// Callables indexed the ways the scopes look them up, so that a call costs a few hash lookups
/// however common its name.
struct Index<'c> {
    by_name: HashMap<(&'c str, &'c str), Vec<&'c Callable>>,
    /// By language, name and file.
    by_file: HashMap<(&'c str, &'c str, &'c str), Vec<&'c Callable>>,
    /// By language, name and a scope a qualifier can name: the enclosing type or the module.
    by_scope: HashMap<(&'c str, &'c str, &'c str), Vec<&'c Callable>>,
}

impl<'c> Index<'c> {
    fn new(callables: &'c [Callable]) -> Self {
        let mut index = Index {
            by_name: HashMap::new(),
            by_file: HashMap::new(),
            by_scope: HashMap::new(),
        };
        for c in callables {
            let (language, name) = (c.language.as_str(), c.name.as_str());
            index.by_name.entry((language, name)).or_default().push(c);
            index
                .by_file
                .entry((language, name, c.path.as_str()))
                .or_default()
                .push(c);
            let (scope, module) = scopes(c);
            for key in [scope, Some(module)].into_iter().flatten() {
                let list = index.by_scope.entry((language, name, key)).or_default();
                if !list.iter().any(|other| other.id == c.id) {
                    list.push(c);
                }
            }
        }
        index
    }
}

/// The callables of a list but the caller itself (a recursive call says nothing).
fn others<'c>(list: &[&'c Callable], caller: &str) -> Vec<&'c Callable> {
    list.iter().copied().filter(|c| c.id != caller).collect()
}

fn get<'a, 'c, K: std::hash::Hash + Eq>(
    map: &'a HashMap<K, Vec<&'c Callable>>,
    key: &K,
) -> &'a [&'c Callable] {
    map.get(key).map_or(&[][..], Vec::as_slice)
}

/// Resolves every call site it can. `imports` holds each code file's imports, by path.
pub fn resolve(
    callables: &[Callable],
    calls: &[CallSite],
    imports: &HashMap<String, Vec<Import>>,
) -> BTreeSet<CallEdge> {
    let index = Index::new(callables);
    let mut edges = BTreeSet::new();
    for call in calls {
        let segments = segments(&call.callee);
        let Some((&name, qualifier)) = segments.split_last() else {
            continue;
        };
        let language = call.language.as_str();
        let others = |list| others(list, &call.caller);
        let imports = imports.get(&call.path).map_or(&[][..], Vec::as_slice);
        let qualifier = expand_qualifier(qualifier, imports);
        let in_file = get(&index.by_file, &(language, name, call.path.as_str()));
        let all = get(&index.by_name, &(language, name));
        let found: Vec<&Callable> = if let Some(c) = Some(others(in_file))
            .map(|l| {
                l.into_iter()
                    .filter(|c| c.parent.is_some() && c.parent == call.parent)
                    .collect::<Vec<_>>()
            })
            .filter(|l| !l.is_empty())
        {
            // The caller's own impl or class.
            c
        } else if let Some(last) = qualifier.last() {
            // A qualified path: `Gateway::new`, `scan::scan`, `up.check` (`up` a namespace
            // import); else a name unique in the repository.
            let scoped = others(get(&index.by_scope, &(language, name, *last)));
            if scoped.is_empty() {
                others(all)
            } else {
                scoped
            }
        } else {
            // The caller's module, its imports, then a name unique in the repository. A name
            // with more definitions than the bound (and the caller) resolves to nothing, so the
            // last list is only built when it can matter.
            let local = others(in_file);
            if !local.is_empty() {
                local
            } else {
                let through = imported(name, language, imports, &index, call);
                if !through.is_empty() {
                    through
                } else if all.len() <= AMBIGUITY_BOUND + 1 {
                    others(all)
                } else {
                    Vec::new()
                }
            }
        };
        if !found.is_empty() && found.len() <= AMBIGUITY_BOUND {
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
    language: &str,
    imports: &[Import],
    index: &Index<'c>,
    call: &CallSite,
) -> Vec<&'c Callable> {
    let mut found: Vec<&Callable> = Vec::new();
    for import in imports {
        let module = import.module_segments();
        let wanted = if import.name == "*" {
            if import.alias.is_some() || module.is_empty() {
                continue;
            }
            name
        } else if import.local_name() == name {
            import.name.as_str()
        } else {
            continue;
        };
        let candidates = match module.last() {
            Some(last) => get(&index.by_scope, &(language, wanted, *last)),
            None => get(&index.by_name, &(language, wanted)),
        };
        found.extend(candidates.iter().copied().filter(|c| c.id != call.caller));
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

/// The scopes a qualifier (`Gateway`, `scan`) can name a callable by: its enclosing type, and
/// its module, the file's stem (`src/scan.rs`, `src/scan/mod.rs`, `src/scan/index.ts`).
fn scopes(callable: &Callable) -> (Option<&str>, &str) {
    let segments: Vec<&str> = callable
        .qualified_name
        .split(['.', ':'])
        .filter(|s| !s.is_empty())
        .collect();
    let scope = (segments.len() >= 2).then(|| segments[segments.len() - 2].trim_start_matches('<'));
    let file = callable.path.rsplit('/').next().unwrap_or("");
    let stem = file.split('.').next().unwrap_or("");
    let module = match stem {
        "mod" | "index" => callable.path.rsplit('/').nth(1).unwrap_or(""),
        _ => stem,
    };
    (scope, module)
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
