//! The index at HEAD as the analysis asks it: links of nodes, callers within a few calls, and
//! what links to an item; every question names the nodes it is about.

use super::*;

/// A caller found from a changed definition: how it looks and what it calls.
pub(super) struct Caller {
    pub(super) node: Node,
    /// The callees it was found through.
    pub(super) calls: Vec<String>,
}

/// A chain of callers as the end of a why-path: ` -> called by A -> called by B`.
pub(super) fn called_by(chain: &[(String, Node)]) -> String {
    chain
        .iter()
        .map(|(_, node)| format!(" -> called by {}", node.label()))
        .collect()
}

/// Chains of callers from `iri`, one a caller, each the shortest: `[(caller1, node), (caller2,
/// node), ...]` where caller1 calls `iri`.
pub(super) fn callers_of(iri: &str, callers: &HashMap<String, Caller>) -> Vec<Vec<(String, Node)>> {
    let mut chains = Vec::new();
    let mut frontier: Vec<Vec<(String, Node)>> = vec![Vec::new()];
    let mut seen: BTreeSet<String> = BTreeSet::from([iri.to_owned()]);
    for _ in 1..=MAX_DISTANCE {
        let mut next = Vec::new();
        for chain in &frontier {
            let at = chain.last().map_or(iri, |(node, _)| node.as_str());
            let mut found: Vec<(&String, &Caller)> = callers
                .iter()
                .filter(|(caller, c)| c.calls.iter().any(|x| x == at) && !seen.contains(*caller))
                .collect();
            found.sort_by(|a, b| a.0.cmp(b.0));
            for (caller, c) in found {
                seen.insert(caller.clone());
                let mut longer = chain.clone();
                longer.push((caller.clone(), c.node.clone()));
                chains.push(longer.clone());
                next.push(longer);
            }
        }
        frontier = next;
    }
    chains
}

/// A node linked to an item.
pub(super) struct Linked {
    pub(super) item: String,
    pub(super) iri: String,
    /// `implements`, `verifies`, `documents` or `mentions`.
    pub(super) relation: String,
    pub(super) node: Node,
}

/// The index at HEAD, as the analysis asks it: every question names the nodes it is about
/// (`VALUES`), so its cost follows the size of the change, not of the repository.
// implements: impact/NFR-performance-1
pub(super) struct Graph<'a> {
    pub(super) store: &'a ReadStore,
}

impl Graph<'_> {
    /// The items each node links to, declared or by trailer.
    pub(super) fn links(
        &self,
        nodes: &[&str],
    ) -> Result<BTreeMap<String, BTreeSet<ItemLink>>, StoreError> {
        let mut out: BTreeMap<String, BTreeSet<ItemLink>> = BTreeMap::new();
        if nodes.is_empty() {
            return Ok(out);
        }
        // The nodes are given in each branch of the union, so that each starts from them: with
        // the VALUES outside, oxigraph evaluated the first branch over every reference of the
        // index (and its NOT EXISTS for each), a cost of the repository's size, not the change's.
        let values = iri_values(nodes);
        let rows = self.store.select(
            &format!(
                "SELECT ?x ?item ?rel ?via WHERE {{
                   {{
                     VALUES ?x {{ {values} }}
                     ?ref kg:source ?x ; kg:relation ?rel ; kg:targetId ?item .
                     # A task's reference links the task's items; an unresolved local id
                     # (written and target id alike) or an ambiguous one links nothing.
                     FILTER NOT EXISTS {{ ?ref kg:target/a kg:Task }}
                     FILTER NOT EXISTS {{ ?ref kg:candidate ?candidate }}
                     FILTER NOT EXISTS {{ ?ref kg:writtenId ?item }}
                   }} UNION {{
                     VALUES ?x {{ {values} }}
                     ?ref kg:source ?x ; kg:relation ?rel ; kg:target ?task .
                     ?task a kg:Task ; kg:serves/dcterms:identifier ?item .
                   }}
                   OPTIONAL {{ ?ref kg:via ?via }}
                 }}"
            ),
            "impact links",
        )?;
        for row in rows {
            let (Some(node), Some(item), Some(Term::NamedNode(rel))) =
                (cell(&row[0]), cell(&row[1]), &row[2])
            else {
                continue;
            };
            let relation = match rel.as_str() {
                r if r.ends_with("implementedBy") => Relation::Implements,
                r if r.ends_with("validatedBy") => Relation::Verifies,
                r if r.ends_with("coveredBy") => Relation::Covers,
                _ => Relation::Documents,
            };
            let mut verb = verb(relation).to_owned();
            if let Some(via) = cell(&row[3]) {
                verb = format!("{verb} ({via})");
            }
            out.entry(node).or_default().insert(ItemLink {
                item,
                verb,
                relation,
            });
        }
        Ok(out)
    }

    /// The ids the index defines (features, items, tasks), for resolving the references written
    /// in changed files as the index resolved them.
    pub(super) fn resolver(&self) -> Result<Resolver, StoreError> {
        let mut ids = Resolver::default();
        let items = self.store.select(
            "SELECT ?feature ?local ?title ?tool ?path ?test WHERE {
               ?f a kg:Feature ; dcterms:identifier ?feature .
               OPTIONAL { ?f kg:tool ?tool }
               OPTIONAL { ?f kg:inFile ?file . ?file kg:path ?path
                          OPTIONAL { ?file kg:testFile ?test } }
               OPTIONAL {
                 ?i kg:feature ?f ; kg:localId ?local
                 OPTIONAL { ?i kg:attribute [ kg:key \"scenario\" ; rdf:value ?title ] }
               }
             }",
            "impact ids",
        )?;
        for row in items {
            let Some(feature) = cell(&row[0]) else {
                continue;
            };
            ids.add_feature(&feature);
            if let Some(tool) = cell(&row[3]).and_then(|name| Tool::named(&name)) {
                ids.add_tool_feature(&feature, tool);
            }
            if let Some(path) = cell(&row[4]) {
                ids.add_home(&feature, &path, cell(&row[5]).as_deref() == Some("true"));
            }
            if let Some(local) = cell(&row[1]) {
                ids.add_item(&feature, &local, cell(&row[2]).as_deref());
            }
        }
        let tasks = self.store.select(
            "SELECT ?feature ?task (GROUP_CONCAT(DISTINCT ?item; separator=\"\\n\") AS ?items)
                    (GROUP_CONCAT(DISTINCT ?path; separator=\"\\n\") AS ?paths) WHERE {
               ?t a kg:Task ; dcterms:identifier ?task ; kg:feature/dcterms:identifier ?feature .
               OPTIONAL { ?t kg:serves/kg:localId ?item }
               OPTIONAL { ?t kg:namesPath ?path }
             } GROUP BY ?feature ?task",
            "impact tasks",
        )?;
        let list = |cell: Option<String>| -> Vec<String> {
            cell.map(|c| c.lines().map(str::to_owned).collect())
                .unwrap_or_default()
        };
        for row in tasks {
            let (Some(feature), Some(task)) = (cell(&row[0]), cell(&row[1])) else {
                continue;
            };
            ids.add_task(&feature, &task, &list(cell(&row[2])), &list(cell(&row[3])));
        }
        Ok(ids)
    }

    /// How nodes look in a report.
    pub(super) fn nodes(&self, iris: &[&str]) -> Result<HashMap<String, Node>, StoreError> {
        let mut out = HashMap::new();
        if iris.is_empty() {
            return Ok(out);
        }
        let rows = self.store.select(
            &format!(
                "SELECT ?x ?path ?line ?name ?heading ?kind ?test ?language WHERE {{
                   {{ VALUES ?x {{ {values} }} ?x kg:inFile ?file }}
                   UNION {{ VALUES ?x {{ {values} }} ?x a kg:File BIND(?x AS ?file) }}
                   ?file kg:path ?path .
                   OPTIONAL {{ ?file kg:language ?language }}
                   OPTIONAL {{ ?x kg:startLine ?line }}
                   OPTIONAL {{ ?x kg:qualifiedName ?name }}
                   OPTIONAL {{ ?x kg:headingPath ?heading }}
                   OPTIONAL {{ ?x kg:kind ?kind }}
                   OPTIONAL {{ ?x a kg:Test BIND(true AS ?test) }}
                 }}",
                values = iri_values(iris)
            ),
            "impact nodes",
        )?;
        for row in rows {
            let Some(iri) = cell(&row[0]) else { continue };
            let heading = cell(&row[4]);
            out.insert(
                iri,
                Node {
                    path: cell(&row[1]).unwrap_or_default(),
                    line: cell(&row[2]).and_then(|l| l.parse().ok()),
                    kind: cell(&row[5]).unwrap_or_else(|| {
                        if heading.is_some() { "section" } else { "file" }.to_owned()
                    }),
                    name: cell(&row[3]).or(heading),
                    is_test: cell(&row[6]).as_deref() == Some("true"),
                    language: cell(&row[7]),
                },
            );
        }
        Ok(out)
    }

    /// Callers of the changed code up to MAX_DISTANCE calls away, each with the callees it was
    /// reached through. Removed definitions are not in the index: their callers are found by
    /// the name they call.
    pub(super) fn callers(
        &self,
        changed: &[&Touched],
    ) -> Result<HashMap<String, Caller>, StoreError> {
        let frontier: BTreeSet<String> = changed
            .iter()
            .filter(|t| !t.removed && t.node.kind != "file")
            .map(|t| t.iri.clone())
            .collect();
        let removed: Vec<(&str, &str)> = changed
            .iter()
            .filter(|t| t.removed)
            .filter_map(|t| Some((t.iri.as_str(), t.bare_name.as_deref()?)))
            .collect();
        self.callers_from(frontier, removed)
    }

    /// Callers, up to MAX_DISTANCE calls away, of the nodes `frontier` and of the definitions
    /// `removed` (by IRI and bare name) that are no longer in the index.
    pub(super) fn callers_from(
        &self,
        mut frontier: BTreeSet<String>,
        removed: Vec<(&str, &str)>,
    ) -> Result<HashMap<String, Caller>, StoreError> {
        let mut edges: Vec<(String, String)> = Vec::new();
        if !removed.is_empty() {
            let names: Vec<String> = removed.iter().map(|(_, n)| literal(n)).collect();
            let rows = self.store.select(
                &format!(
                    // VALUES in each branch, so that neither scans every call (see `links`).
                    "SELECT DISTINCT ?caller ?name WHERE {{
                       {{ VALUES ?name {{ {names} }} ?caller kg:callsName ?name }}
                       UNION {{ VALUES ?name {{ {names} }} ?caller kg:callsBareName ?name }}
                     }}",
                    names = names.join(" ")
                ),
                "impact callers by name",
            )?;
            for row in rows {
                let (Some(caller), Some(name)) = (cell(&row[0]), cell(&row[1])) else {
                    continue;
                };
                for (iri, _) in removed.iter().filter(|(_, n)| *n == name) {
                    edges.push((caller.clone(), (*iri).to_owned()));
                    frontier.insert(caller.clone());
                }
            }
        }
        let mut seen: BTreeSet<String> = frontier.clone();
        for _ in 0..MAX_DISTANCE {
            if frontier.is_empty() {
                break;
            }
            let list: Vec<&str> = frontier.iter().map(String::as_str).collect();
            let mut next = BTreeSet::new();
            for (caller, callee, _) in crate::trace::callers_of(self.store, Some(&list))? {
                edges.push((caller.clone(), callee));
                if seen.insert(caller.clone()) {
                    next.insert(caller);
                }
            }
            frontier = next;
        }
        let callers: BTreeSet<&str> = edges.iter().map(|(caller, _)| caller.as_str()).collect();
        let info = self.nodes(&callers.into_iter().collect::<Vec<_>>())?;
        let mut found: HashMap<String, Caller> = HashMap::new();
        for (caller, callee) in edges {
            let Some(node) = info.get(&caller) else {
                continue;
            };
            found
                .entry(caller)
                .or_insert_with(|| Caller {
                    node: node.clone(),
                    calls: Vec::new(),
                })
                .calls
                .push(callee);
        }
        Ok(found)
    }

    /// For items by id, the nodes that link to them by one of `relations` (`implements`,
    /// `verifies`, `documents`, `mentions`).
    pub(super) fn linked_to(
        &self,
        iris: &Iris,
        ids: &[String],
        relations: &[&str],
    ) -> Result<Vec<Linked>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Each item's IRI comes from its id, defined or not (removed, dangling), so the answers
        // map back to the ids asked for.
        let by_iri: HashMap<String, &String> = ids
            .iter()
            .map(|id| (iris.requirement(id).into_string(), id))
            .collect();
        let properties: Vec<(&str, &str)> = relations
            .iter()
            .map(|r| match *r {
                "implements" => ("oslc_rm:implementedBy", "implements"),
                "verifies" => ("oslc_rm:validatedBy", "verifies"),
                "documents" => ("oslc_rm:elaboratedBy", "documents"),
                _ => ("kg:mentionedIn", "mentions"),
            })
            .collect();
        // VALUES in each branch, so that none scans every link of its kind (see `links`).
        let values = iri_values(by_iri.keys());
        let union = properties
            .iter()
            .map(|(p, name)| {
                format!("{{ VALUES ?req {{ {values} }} ?req {p} ?x BIND(\"{name}\" AS ?rel) }}")
            })
            .collect::<Vec<_>>()
            .join(" UNION ");
        let rows = self.store.select(
            &format!("SELECT DISTINCT ?req ?x ?rel WHERE {{ {union} }}"),
            "impact linked",
        )?;
        let mut out = Vec::new();
        let pairs: Vec<(String, String, String)> = rows
            .iter()
            .filter_map(|row| {
                let id = by_iri.get(&cell(&row[0])?)?;
                Some(((*id).clone(), cell(&row[1])?, cell(&row[2])?))
            })
            .collect();
        let nodes: Vec<&str> = pairs.iter().map(|(_, x, _)| x.as_str()).collect();
        let info = self.nodes(&nodes)?;
        for (item, iri, relation) in pairs {
            let Some(node) = info.get(&iri) else { continue };
            out.push(Linked {
                item,
                iri,
                relation,
                node: node.clone(),
            });
        }
        out.sort_by(|a, b| {
            (&a.item, &a.node.path, a.node.line, &a.iri).cmp(&(
                &b.item,
                &b.node.path,
                b.node.line,
                &b.iri,
            ))
        });
        Ok(out)
    }
}
