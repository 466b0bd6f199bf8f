//! Call resolution: from call sites by name to the definitions they most likely call, as plain
//! data. Scoping goes from near to far: the caller's own impl or class, a qualified path
//! (`Gateway::new`, `crate::scan::scan`), the caller's file, then a name unique in the repository.
//! When the nearest rule that finds anything finds several definitions, all of them (up to a
//! bound) are kept and marked ambiguous.

// implements: trace/calls

use std::collections::{BTreeSet, HashMap};

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

/// Resolves every call site it can.
pub fn resolve(callables: &[Callable], calls: &[CallSite]) -> BTreeSet<CallEdge> {
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
        let Some(candidates) = by_name.get(&(call.language.as_str(), name)) else {
            continue;
        };
        let candidates: Vec<&Callable> = candidates
            .iter()
            .copied()
            .filter(|c| c.id != call.caller)
            .collect();
        let rules: [&dyn Fn(&Callable) -> bool; 4] = [
            &|c| c.path == call.path && c.parent.is_some() && c.parent == call.parent,
            &|c| !qualifier.is_empty() && qualifier_matches(c, qualifier),
            &|c| qualifier.is_empty() && c.path == call.path,
            &|_| true,
        ];
        for rule in rules {
            let found: Vec<&&Callable> = candidates.iter().filter(|c| rule(c)).collect();
            if found.is_empty() {
                continue;
            }
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
            break;
        }
    }
    edges
}

/// The path segments of a callee as written, without `self`, `this`, `crate` and `super`.
fn segments(callee: &str) -> Vec<&str> {
    callee
        .split(['.', ':'])
        .filter(|s| !s.is_empty() && !matches!(*s, "self" | "this" | "crate" | "super"))
        .collect()
}

/// The name a callee calls: the last segment (`new` for `Gateway::new`).
pub fn called_name(callee: &str) -> &str {
    segments(callee).last().copied().unwrap_or("")
}

/// Whether the qualifier (`Gateway`, `scan`) names the callable's enclosing type or its module
/// file (`src/scan.rs`, `src/scan/mod.rs`).
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
    let stem = callable
        .path
        .trim_end_matches("/mod.rs")
        .rsplit('/')
        .next()
        .unwrap_or("")
        .split('.')
        .next()
        .unwrap_or("");
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
        resolve(callables, calls)
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
