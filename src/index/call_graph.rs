//! Calls in the index: the call graph's input from the facts, and re-resolving only the callers
//! a change can affect.

use super::*;

/// Definitions that calls can resolve to.
pub(super) const CALLABLE_KINDS: [DefKind; 3] =
    [DefKind::Function, DefKind::Method, DefKind::Class];

/// The callables and call sites of parsed files, for call resolution.
/// What call resolution needs: definitions that can be called, call sites, and each code file's
/// imports by path.
#[derive(Default)]
pub(super) struct CallGraphInput {
    pub(super) callables: Vec<Callable>,
    pub(super) sites: Vec<CallSite>,
    pub(super) imports: HashMap<String, Vec<Import>>,
}

pub(super) fn call_graph_input(all: &[&FileFacts], iris: &Iris) -> CallGraphInput {
    let mut callables = Vec::new();
    let mut sites = Vec::new();
    let mut imports = HashMap::new();
    for facts in all {
        let FileKind::Code(language) = facts.kind else {
            continue;
        };
        if !facts.imports.is_empty() {
            imports.insert(facts.path.clone(), facts.imports.clone());
        }
        let language = language.tag();
        let ids: Vec<String> = facts
            .definitions
            .iter()
            .map(|d| {
                iris.symbol(language, &facts.path, &d.qualified_name)
                    .as_str()
                    .to_owned()
            })
            .collect();
        for (definition, id) in facts.definitions.iter().zip(&ids) {
            if CALLABLE_KINDS.contains(&definition.kind) {
                callables.push(Callable {
                    id: id.clone(),
                    name: definition.name.clone(),
                    qualified_name: definition.qualified_name.clone(),
                    path: facts.path.clone(),
                    parent: definition.parent.map(|p| ids[p].clone()),
                    language: language.to_owned(),
                });
            }
        }
        let mut seen = BTreeSet::new();
        for call in &facts.calls {
            let caller = call.caller.map_or_else(
                || iris.file(&facts.path).as_str().to_owned(),
                |i| ids[i].clone(),
            );
            if !seen.insert((caller.clone(), call.callee.clone())) {
                continue;
            }
            sites.push(CallSite {
                parent: call
                    .caller
                    .and_then(|i| facts.definitions[i].parent)
                    .map(|p| ids[p].clone()),
                caller,
                path: facts.path.clone(),
                language: language.to_owned(),
                callee: call.callee.clone(),
            });
        }
    }
    CallGraphInput {
        callables,
        sites,
        imports,
    }
}

/// The definitions, calls and imports of the changed files before a change.
pub(super) struct CallsBefore {
    pub(super) definitions: HashSet<Signature>,
    pub(super) calls: CallsByCaller,
    pub(super) imports: HashMap<String, Vec<Import>>,
}

/// Each caller's file, parent and callees as written: with the file's imports and the
/// callables of the names it calls, all that its calls resolve from.
pub(super) type CallsByCaller = HashMap<String, (String, Option<String>, BTreeSet<String>)>;

pub(super) fn calls_by_caller(sites: &[CallSite]) -> CallsByCaller {
    let mut by_caller = CallsByCaller::new();
    for site in sites {
        by_caller
            .entry(site.caller.clone())
            .or_insert_with(|| (site.path.clone(), site.parent.clone(), BTreeSet::new()))
            .2
            .insert(site.callee.clone());
    }
    by_caller
}

/// What call resolution reads of a definition: IRI, name, qualified name, parent IRI and kind.
/// A change that leaves a file's signatures as they were cannot change how calls elsewhere
/// resolve.
pub(super) type Signature = (String, String, String, Option<String>, String);

/// The signatures of the definitions in `facts`.
pub(super) fn signatures(facts: &FileFacts, iris: &Iris) -> Vec<Signature> {
    let FileKind::Code(language) = facts.kind else {
        return Vec::new();
    };
    let iri = |d: &crate::facts::Definition| {
        iris.symbol(language.tag(), &facts.path, &d.qualified_name)
            .as_str()
            .to_owned()
    };
    facts
        .definitions
        .iter()
        .map(|d| {
            (
                iri(d),
                d.name.clone(),
                d.qualified_name.clone(),
                d.parent.map(|p| iri(&facts.definitions[p])),
                d.kind.as_str().to_owned(),
            )
        })
        .collect()
}

/// Brings the calls graph forward after an incremental change, re-resolving only the callers
/// whose resolution can have changed: the callers in changed files that call something else or
/// whose imports changed, and every caller of a name whose definitions changed (before or after
/// the change). Only the difference is written.
pub(super) fn update_calls(
    update: &mut Update<'_>,
    iris: &Iris,
    changed_facts: &[&FileFacts],
    before: &CallsBefore,
) -> Result<(), IndexError> {
    let string = cell;
    let new_input = call_graph_input(changed_facts, iris);
    let new_calls = calls_by_caller(&new_input.sites);
    // The callers in the changed files whose resolution can have changed: those that call
    // something else than before (or are new, or gone), and all those in a file whose imports
    // changed. An edit inside a body that calls the same names changes none.
    let imports_changed: HashSet<&str> = changed_facts
        .iter()
        .map(|f| f.path.as_str())
        .chain(before.imports.keys().map(String::as_str))
        .filter(|path| before.imports.get(*path) != new_input.imports.get(*path))
        .collect();
    let mut affected: HashSet<String> = before
        .calls
        .iter()
        .chain(&new_calls)
        .filter(|(caller, (path, ..))| {
            imports_changed.contains(path.as_str())
                || before.calls.get(*caller) != new_calls.get(*caller)
        })
        .map(|(caller, _)| caller.clone())
        .collect();
    // The names whose definitions changed in a way call resolution sees: added, removed,
    // renamed, moved to another parent. A change inside bodies changes none.
    let after: HashSet<Signature> = changed_facts
        .iter()
        .flat_map(|f| signatures(f, iris))
        .collect();
    let names: HashSet<String> = before
        .definitions
        .symmetric_difference(&after)
        .map(|(_, name, ..)| name.clone())
        .collect();
    // Callers anywhere that call one of those names, found through the index by name.
    if !names.is_empty() {
        let names = literal_values(&names);
        let query = format!(
            "SELECT DISTINCT ?caller WHERE {{ VALUES ?name {{ {names} }} {{ ?caller kg:callsName ?name }} UNION {{ ?caller kg:callsBareName ?name }} }}"
        );
        affected.extend(
            update
                .select(&query)?
                .iter()
                .filter_map(|row| string(&row[0])),
        );
    }
    // Their call sites, and every definition they may call.
    let sites: Vec<CallSite> = if affected.is_empty() {
        Vec::new()
    } else {
        let callers = iri_values(&affected);
        update
            .select(&format!(
                "SELECT ?caller ?callee ?path ?parent ?language WHERE {{
                   VALUES ?caller {{ {callers} }}
                   ?caller kg:callsName ?callee .
                   {{ ?caller kg:inFile ?file }} UNION {{ ?caller a kg:File BIND(?caller AS ?file) }}
                   ?file kg:path ?path ; kg:language ?language .
                   OPTIONAL {{ ?caller kg:parent ?parent }}
                 }}"
            ))?
            .iter()
            .map(|row| CallSite {
                caller: string(&row[0]).unwrap_or_default(),
                callee: string(&row[1]).unwrap_or_default(),
                path: string(&row[2]).unwrap_or_default(),
                parent: string(&row[3]),
                language: string(&row[4]).unwrap_or_default(),
            })
            .collect()
    };
    // The imports of the files those callers are in.
    let paths: BTreeSet<&str> = sites.iter().map(|s| s.path.as_str()).collect();
    let mut imports: HashMap<String, Vec<Import>> = HashMap::new();
    if !paths.is_empty() {
        let files = iri_values(paths.iter().map(|p| iris.file(p).into_string()));
        for row in update.select(&format!(
            "SELECT ?path ?import WHERE {{ VALUES ?file {{ {files} }} ?file kg:path ?path ; kg:imports ?import }}"
        ))? {
            if let (Some(path), Some(import)) = (string(&row[0]), string(&row[1]))
                && let Some(import) = Import::from_literal(&import)
            {
                imports.entry(path).or_default().push(import);
            }
        }
    }
    // The names they call, and those their aliases stand for.
    let mut called: BTreeSet<String> = BTreeSet::new();
    for site in &sites {
        let name = calls::called_name(&site.callee);
        called.insert(name.to_owned());
        let imports = imports.get(&site.path).map_or(&[][..], Vec::as_slice);
        called.extend(calls::aliased_names(&site.callee, imports).map(str::to_owned));
    }
    let callables: Vec<Callable> = if called.is_empty() {
        Vec::new()
    } else {
        let names = literal_values(&called);
        update
            .select(&format!(
                "SELECT ?def ?name ?qualified ?path ?parent ?language WHERE {{
                   VALUES ?name {{ {names} }}
                   ?def kg:name ?name ; kg:kind ?kind ; kg:qualifiedName ?qualified ;
                        kg:language ?language ; kg:inFile/kg:path ?path .
                   FILTER(?kind IN ({}))
                   OPTIONAL {{ ?def kg:parent ?parent }}
                 }}",
                CALLABLE_KINDS
                    .map(|k| format!("\"{}\"", k.as_str()))
                    .join(", ")
            ))?
            .iter()
            .map(|row| Callable {
                id: string(&row[0]).unwrap_or_default(),
                name: string(&row[1]).unwrap_or_default(),
                qualified_name: string(&row[2]).unwrap_or_default(),
                path: string(&row[3]).unwrap_or_default(),
                parent: string(&row[4]),
                language: string(&row[5]).unwrap_or_default(),
            })
            .collect()
    };
    let wanted: HashSet<Quad> = calls::resolve(&callables, &sites, &imports)
        .iter()
        .map(|edge| graph::call_quad(iris, edge))
        .collect();
    // The edges of affected callers, and of callers in the changed files as they were.
    let mut stale = Vec::new();
    let mut present = HashSet::new();
    let subjects: BTreeSet<&String> = affected.iter().collect();
    if !subjects.is_empty() {
        let query = format!(
            "SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {} }} GRAPH <{}> {{ ?s ?p ?o }} }}",
            iri_values(&subjects),
            iris.calls_graph().as_str()
        );
        for row in update.select(&query)? {
            let (Some(Term::NamedNode(s)), Some(Term::NamedNode(p)), Some(o)) =
                (&row[0], &row[1], &row[2])
            else {
                continue;
            };
            let quad = Quad::new(s.clone(), p.clone(), o.clone(), iris.calls_graph());
            if wanted.contains(&quad) {
                present.insert(quad);
            } else {
                stale.push(quad);
            }
        }
    }
    let missing: Vec<Quad> = wanted
        .into_iter()
        .filter(|q| !present.contains(q))
        .collect();
    update.remove(&stale);
    update.insert(&missing);
    Ok(())
}
