//! `kg mcp`: a Model Context Protocol server on stdio (rmcp), for coding agents. Few tools,
//! answers that fit a context window, each with structured content and the same as text, how
//! fresh the index is, and an estimate of its size in tokens. Everything is read-only except
//! `kg_refresh`. The handshake needs no store: each call opens the current store, reads it and
//! lets it go, so a `kg index` beside it is seen once it is complete, never half-written.

// implements: agents/mcp, agents/mcp-root

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, ServiceExt};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::context::{self, Freshness};
use crate::git::Repo;
use crate::graph::Iris;
use crate::graph::vocab::PREFIXES;
use crate::index::{self, Outcome};
use crate::store::{ReadStore, StoreDir, cell};
use crate::trace::TraceItem;

/// The server: the repository it was started in, and the store it reads.
#[derive(Clone)]
pub struct KgServer {
    place: Arc<Place>,
}

struct Place {
    /// The top of the work tree.
    root: PathBuf,
    store: Option<PathBuf>,
}

/// Why `kg mcp` will not serve a directory.
#[derive(Debug, thiserror::Error)]
pub enum RootError {
    #[error("kg mcp serves one repository, not {0}: start it in a repository (or give -C DIR)")]
    TooWide(PathBuf),
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
    #[error("{0} is a bare repository: kg mcp needs a work tree")]
    Bare(PathBuf),
}

impl KgServer {
    /// A server for the repository `dir` is in, refusing `/` and the home directory (an agent
    /// started there would read whatever repository lies above, or none).
    pub fn new(dir: &Path, store: Option<PathBuf>) -> Result<KgServer, RootError> {
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let too_wide = |path: &Path| {
            path.parent().is_none()
                || home
                    .as_deref()
                    .is_some_and(|h| h.canonicalize().unwrap_or_else(|_| h.to_owned()) == path)
        };
        if too_wide(&dir) {
            return Err(RootError::TooWide(dir));
        }
        let repo = Repo::discover(&dir)?;
        let root = repo
            .work_dir()
            .map(|w| w.canonicalize().unwrap_or_else(|_| w.to_owned()))
            .ok_or_else(|| RootError::Bare(dir.clone()))?;
        if too_wide(&root) {
            return Err(RootError::TooWide(root));
        }
        Ok(KgServer {
            place: Arc::new(Place { root, store }),
        })
    }

    /// Serves MCP on stdin and stdout until the client closes stdin.
    pub fn serve_stdio(self) -> anyhow::Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async move {
            let service = self.serve(rmcp::transport::stdio()).await?;
            service.waiting().await?;
            anyhow::Ok(())
        })
    }
}

/// What a tool answers: structured content, and the text that says the same.
struct Answer {
    value: Value,
    /// Markdown where that reads better than JSON (a context pack).
    text: Option<String>,
}

/// About 4,000 tokens of characters: where an answer that could grow (SPARQL rows) stops.
const ANSWER_CHARS: usize = 16_000;

/// A tool's answer, or the message of an in-band error.
type Answered = Result<Answer, String>;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NoArgs {}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct FindArgs {
    /// Text or an id to look for (case does not matter)
    query: String,
    /// Which kinds: item, definition, test, doc (all when absent)
    #[serde(default)]
    kinds: Vec<String>,
    /// At most this many results (default 20)
    #[serde(default, deserialize_with = "count")]
    limit: Option<usize>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ContextArgs {
    /// An item id, a path (PATH or PATH:LINE) or a symbol
    id: String,
    /// About how many tokens the pack may take (default 4000)
    #[serde(default, deserialize_with = "count")]
    budget_tokens: Option<usize>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct TraceArgs {
    /// Features or item ids (all when absent)
    #[serde(default)]
    scope: Vec<String>,
    /// all, gaps (not implemented), unverified, undocumented or stale (default all)
    #[serde(default)]
    status: Option<String>,
    /// Items per page (default 30)
    #[serde(default, deserialize_with = "count")]
    limit: Option<usize>,
    /// The next_cursor of the previous page
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ImpactArgs {
    /// The change is BASE...HEAD (a branch or commit); without it, the uncommitted changes
    #[serde(default)]
    base: Option<String>,
    /// Only these changed files
    #[serde(default)]
    paths: Vec<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SparqlArgs {
    /// A SELECT, ASK, CONSTRUCT or DESCRIBE query; kg's prefixes need no declaration
    query: String,
    /// At most this many rows (default 100)
    #[serde(default, deserialize_with = "count")]
    limit: Option<usize>,
}

/// A count given as a number or as a string of digits (some clients, the MCP Inspector's command
/// line among them, pass every argument as a string).
fn count<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<usize>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Count {
        Number(usize),
        Text(String),
    }
    match Option::<Count>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Count::Number(n)) => Ok(Some(n)),
        Some(Count::Text(text)) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("expected a count, found `{text}`"))),
    }
}

/// The tools: name, description, input schema, whether read-only.
fn tools() -> Vec<Tool> {
    fn schema<T: JsonSchema>() -> Arc<JsonObject> {
        let mut value = serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            object.remove("$schema");
            object.remove("title");
        }
        Arc::new(match value {
            Value::Object(object) => object,
            _ => JsonObject::new(),
        })
    }
    let read_only = ToolAnnotations::new().read_only(true);
    let tool = |name: &'static str, description: &'static str, input: Arc<JsonObject>| {
        Tool::new(name, description, input).with_annotations(read_only.clone())
    };
    vec![
        tool(
            "kg_overview",
            "Counts, coverage, how item ids are written here, and the largest gaps.",
            schema::<NoArgs>(),
        ),
        tool(
            "kg_find",
            "Find items, definitions, tests and doc sections by text or id.",
            schema::<FindArgs>(),
        ),
        tool(
            "kg_context",
            "Everything about one item, file line or symbol: text, status, code snippets, tests with run commands, docs, history; cut to a token budget.",
            schema::<ContextArgs>(),
        ),
        tool(
            "kg_trace",
            "The traceability matrix, filterable: gaps, unverified, undocumented, stale.",
            schema::<TraceArgs>(),
        ),
        tool(
            "kg_impact",
            "What a change touches: items, tests to run, docs to review, spec changes.",
            schema::<ImpactArgs>(),
        ),
        tool(
            "kg_sparql",
            "Read-only SPARQL over the graph (see kg_schema); no updates, SERVICE or LOAD.",
            schema::<SparqlArgs>(),
        ),
        tool(
            "kg_schema",
            "Prefixes, classes, properties and example queries for kg_sparql.",
            schema::<NoArgs>(),
        ),
        Tool::new(
            "kg_refresh",
            "Bring the index up to date with HEAD.",
            schema::<NoArgs>(),
        )
        .with_annotations(
            ToolAnnotations::new()
                .read_only(false)
                .destructive(false)
                .idempotent(true),
        ),
    ]
}

impl ServerHandler for KgServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("kg", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "kg knows this repository's specs (features, items), the code, tests and docs \
                 that implement, verify and document them, and its history. Start with \
                 kg_overview; before changing code for an item, call kg_context with its id.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(tools()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        tools().into_iter().find(|t| t.name == name)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let name = request.name.to_string();
        if !tools().iter().any(|t| t.name == name) {
            return Err(McpError::invalid_params(
                format!("unknown tool `{name}`"),
                None,
            ));
        }
        let arguments = Value::Object(request.arguments.unwrap_or_default());
        let place = self.place.clone();
        let outcome = tokio::task::spawn_blocking(move || call(&place, &name, arguments))
            .await
            .unwrap_or_else(|e| Err(format!("the tool failed: {e}")));
        Ok(match outcome {
            Ok(answer) => {
                let mut value = without_nulls(answer.value);
                let text = answer
                    .text
                    .unwrap_or_else(|| serde_json::to_string(&value).unwrap_or_default());
                let tokens = context::tokens(&text).max(context::tokens(&value.to_string()));
                if let Some(object) = value.as_object_mut() {
                    object.insert("tokens".into(), json!(tokens));
                }
                let mut result = CallToolResult::structured(value);
                result.content = vec![ContentBlock::text(text)];
                result
            }
            Err(message) => CallToolResult::error(vec![ContentBlock::text(message)]),
        }
        .into())
    }
}

/// Parses a tool's arguments; a bad one is an answer that says so (the model can correct it).
fn args<T: serde::de::DeserializeOwned>(name: &str, arguments: Value) -> Result<T, String> {
    serde_json::from_value(arguments).map_err(|e| format!("bad arguments for {name}: {e}"))
}

fn call(place: &Place, name: &str, arguments: Value) -> Answered {
    match name {
        "kg_overview" => {
            args::<NoArgs>(name, arguments)?;
            reading(place, overview)
        }
        "kg_find" => {
            let a: FindArgs = args(name, arguments)?;
            reading(place, |r| find(r, &a))
        }
        "kg_context" => {
            let a: ContextArgs = args(name, arguments)?;
            reading(place, |r| context_pack(r, &a))
        }
        "kg_trace" => {
            let a: TraceArgs = args(name, arguments)?;
            reading(place, |r| trace(r, &a))
        }
        "kg_impact" => {
            let a: ImpactArgs = args(name, arguments)?;
            reading(place, |r| impact(r, &a))
        }
        "kg_sparql" => {
            let a: SparqlArgs = args(name, arguments)?;
            reading(place, |r| sparql(r, &a))
        }
        "kg_schema" => {
            args::<NoArgs>(name, arguments)?;
            Ok(schema_answer())
        }
        "kg_refresh" => {
            args::<NoArgs>(name, arguments)?;
            refresh(place)
        }
        other => Err(format!("unknown tool `{other}`")),
    }
}

/// What a reading tool reads: the repository, the current store (a complete index: never
/// one being written), and how fresh it is.
struct Reading {
    repo: Repo,
    store: ReadStore,
    iris: Iris,
    fresh: Freshness,
    inferred_distance: u32,
}

fn store_dir(place: &Place, repo: &Repo) -> StoreDir {
    index::store_dir(repo, place.store.as_deref())
}

/// Opens the current store and runs `f` on it, adding the freshness block to its answer.
fn reading(place: &Place, f: impl FnOnce(&Reading) -> Answered) -> Answered {
    let repo = Repo::discover(&place.root).map_err(|e| e.to_string())?;
    let Some(store) = store_dir(place, &repo)
        .open_read()
        .map_err(|e| e.to_string())?
    else {
        return Err("there is no index yet: call kg_refresh (or run `kg index`)".to_owned());
    };
    let base = store
        .state()
        .map_err(|e| e.to_string())?
        .map(|s| s.base)
        .unwrap_or_default();
    let fresh = Freshness::of(&repo, &store).map_err(|e| e.to_string())?;
    let config = index::head_config(&repo).map_err(|e| e.to_string())?;
    let reading = Reading {
        repo,
        store,
        iris: Iris::new(base),
        fresh,
        inferred_distance: config
            .trace
            .inferred_distance
            .unwrap_or(crate::trace::DEFAULT_INFERRED_DISTANCE),
    };
    let mut answer = f(&reading)?;
    if let Some(object) = answer.value.as_object_mut() {
        object.insert("fresh".into(), json!(reading.fresh));
    }
    if let Some(text) = &mut answer.text
        && !reading.fresh.current()
    {
        text.insert_str(
            0,
            &format!(
                "(The index is at {}, HEAD at {}: call kg_refresh.)\n\n",
                reading.fresh.indexed, reading.fresh.head
            ),
        );
    }
    Ok(answer)
}

fn json_answer(value: Value) -> Answer {
    Answer { value, text: None }
}

fn report(r: &Reading, scope: &[String]) -> Result<crate::trace::TraceReport, String> {
    crate::trace::build(&r.store, &r.iris, scope, r.inferred_distance).map_err(|e| e.to_string())
}

fn overview(r: &Reading) -> Answered {
    let report = report(r, &[])?;
    let c = &report.coverage;
    let mut features: Vec<(String, usize)> = Vec::new();
    for item in &report.items {
        match features.last_mut() {
            Some((f, n)) if *f == item.feature => *n += 1,
            _ => features.push((item.feature.clone(), 1)),
        }
    }
    let examples: Vec<&str> = report.items.iter().map(|i| i.id.as_str()).take(5).collect();
    let pick = |keep: &dyn Fn(&TraceItem) -> bool| -> Value {
        let ids: Vec<&str> = report
            .items
            .iter()
            .filter(|i| keep(i))
            .map(|i| i.id.as_str())
            .collect();
        json!({ "count": ids.len(), "first": ids.iter().take(10).collect::<Vec<_>>() })
    };
    let counts = r
        .store
        .select(
            "SELECT (COUNT(DISTINCT ?d) AS ?defs) (COUNT(DISTINCT ?t) AS ?tests) WHERE {
               { ?d a kg:Definition } UNION { ?t a kg:Test } }",
            "mcp-overview",
        )
        .map_err(|e| e.to_string())?;
    let number = |i: usize| {
        counts
            .first()
            .and_then(|row| cell(&row[i]))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Ok(json_answer(json!({
        "repo": r.repo.work_dir().map(|p| p.display().to_string()),
        "features": features.iter().map(|(f, n)| json!({"id": f, "items": n})).collect::<Vec<_>>(),
        "coverage": {
            "items": c.items, "implemented": c.implemented, "verified": c.verified,
            "verified_declared": c.verified_declared, "verified_inferred": c.verified_inferred,
            "documented": c.documented, "stale": c.stale, "inferred_distance": c.inferred_distance,
        },
        "code": { "definitions": number(0), "tests": number(1) },
        "ids": {
            "how": "FEATURE/ID: the feature's name, a slash, the item's own id (as written in its spec, or its place: AC-1, NFR-performance-1). kg_context, kg_trace and kg_find take them.",
            "examples": examples,
        },
        "gaps": {
            "unimplemented": pick(&|i: &TraceItem| !i.is_implemented()),
            "unverified": pick(&|i: &TraceItem| !i.is_verified()),
            "stale": pick(&|i: &TraceItem| i.stale),
        },
        "diagnostics": report.diagnostics.len(),
    })))
}

fn find(r: &Reading, a: &FindArgs) -> Answered {
    let limit = a.limit.unwrap_or(20).clamp(1, 100);
    let wanted = |kind: &str| a.kinds.is_empty() || a.kinds.iter().any(|k| k == kind);
    if let Some(bad) = a
        .kinds
        .iter()
        .find(|k| !["item", "definition", "test", "doc"].contains(&k.as_str()))
    {
        return Err(format!(
            "unknown kind `{bad}`: kinds are item, definition, test and doc"
        ));
    }
    let needle = crate::query::literal(&a.query.to_lowercase());
    let mut found: Vec<(u8, Value)> = Vec::new();
    let rank = |id: &str, text: &str| -> u8 {
        let q = a.query.to_lowercase();
        let id = id.to_lowercase();
        if id == q {
            0
        } else if id.contains(&q) {
            1
        } else if text.to_lowercase().contains(&q) {
            2
        } else {
            3
        }
    };
    let select = |query: String| {
        r.store
            .select(&query, "mcp-find")
            .map_err(|e| e.to_string())
    };
    let cap = limit * 4;
    if wanted("item") {
        for row in select(format!(
            "SELECT ?id ?text ?path ?line WHERE {{
               ?r a oslc_rm:Requirement ; dcterms:identifier ?id ; dcterms:description ?text ;
                  kg:line ?line ; kg:inFile/kg:path ?path .
               FILTER(CONTAINS(LCASE(?id), {needle}) || CONTAINS(LCASE(?text), {needle}))
             }} ORDER BY ?id LIMIT {cap}"
        ))? {
            let (id, text) = (
                cell(&row[0]).unwrap_or_default(),
                cell(&row[1]).unwrap_or_default(),
            );
            found.push((
                rank(&id, &text),
                json!({"kind": "item", "id": id, "text": clip(&text, 200),
                       "at": format!("{}:{}", cell(&row[2]).unwrap_or_default(), cell(&row[3]).unwrap_or_default())}),
            ));
        }
    }
    for (kind, class, not) in [
        (
            "definition",
            "kg:Definition",
            "FILTER NOT EXISTS { ?d a kg:Test }",
        ),
        ("test", "kg:Test", ""),
    ] {
        if !wanted(kind) {
            continue;
        }
        for row in select(format!(
            "SELECT ?qn ?path ?start ?end WHERE {{
               ?d a {class} ; kg:qualifiedName ?qn ; kg:inFile/kg:path ?path ;
                  kg:startLine ?start ; kg:endLine ?end .
               FILTER(CONTAINS(LCASE(?qn), {needle})) {not}
             }} ORDER BY ?path ?start LIMIT {cap}"
        ))? {
            let qn = cell(&row[0]).unwrap_or_default();
            let path = cell(&row[1]).unwrap_or_default();
            let at = format!(
                "{path}:{}-{}",
                cell(&row[2]).unwrap_or_default(),
                cell(&row[3]).unwrap_or_default()
            );
            let mut value = json!({"kind": kind, "symbol": qn, "at": at});
            if kind == "test"
                && let Some(run) = context::test_command(&path, Some(&qn))
            {
                value["run"] = json!(run);
            }
            found.push((rank(&qn, ""), value));
        }
    }
    if wanted("doc") {
        for row in select(format!(
            "SELECT ?heading ?path ?line WHERE {{
               ?s a kg:DocSection ; kg:headingPath ?heading ; kg:inFile/kg:path ?path ;
                  kg:startLine ?line .
               FILTER(CONTAINS(LCASE(?heading), {needle}))
             }} ORDER BY ?path ?line LIMIT {cap}"
        ))? {
            let heading = cell(&row[0]).unwrap_or_default();
            found.push((
                rank(&heading, ""),
                json!({"kind": "doc", "section": heading,
                       "at": format!("{}:{}", cell(&row[1]).unwrap_or_default(), cell(&row[2]).unwrap_or_default())}),
            ));
        }
    }
    found.sort_by_key(|(rank, _)| *rank);
    let total = found.len();
    let results: Vec<Value> = found.into_iter().take(limit).map(|(_, v)| v).collect();
    let mut value = json!({ "query": a.query, "results": results });
    if total > limit {
        value["more"] = json!(format!(
            "more than {limit} found: ask with a narrower query, kinds or a larger limit"
        ));
    }
    Ok(json_answer(value))
}

fn clip(text: &str, at: usize) -> String {
    match text.char_indices().nth(at) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

fn context_pack(r: &Reading, a: &ContextArgs) -> Answered {
    let state = r
        .store
        .state()
        .map_err(|e| e.to_string())?
        .ok_or("the index records no commit: call kg_refresh")?;
    let sources = context::Sources {
        store: &r.store,
        iris: &r.iris,
        repo: &r.repo,
        commit: r
            .repo
            .resolve_commit(&state.commit)
            .map_err(|e| e.to_string())?,
        inferred_distance: r.inferred_distance,
    };
    let pack = context::pack(
        &sources,
        &a.id,
        a.budget_tokens.unwrap_or(context::DEFAULT_BUDGET).max(200),
    )
    .map_err(|e| e.to_string())?;
    let text = context::markdown(&pack);
    let mut value = serde_json::to_value(&pack).map_err(|e| e.to_string())?;
    if let Some(object) = value.as_object_mut() {
        // The freshness block is added for every answer alike.
        object.remove("fresh");
        object.remove("tokens");
    }
    Ok(Answer {
        value,
        text: Some(text),
    })
}

fn trace(r: &Reading, a: &TraceArgs) -> Answered {
    let report = report(r, &a.scope)?;
    if let Some(unknown) = a.scope.iter().find(|id| {
        !report
            .items
            .iter()
            .any(|i| &i.id == *id || &i.feature == *id)
    }) {
        return Err(format!("no feature or item is called `{unknown}`"));
    }
    let status = a.status.as_deref().unwrap_or("all");
    let keep: fn(&TraceItem) -> bool = match status {
        "all" => |_| true,
        "gaps" => |i| !i.is_implemented(),
        "unverified" => |i| !i.is_verified(),
        "undocumented" => |i| !i.is_documented(),
        "stale" => |i| i.stale,
        other => {
            return Err(format!(
                "unknown status `{other}`: all, gaps, unverified, undocumented or stale"
            ));
        }
    };
    let selected: Vec<&TraceItem> = report.items.iter().filter(|i| keep(i)).collect();
    let limit = a.limit.unwrap_or(30).clamp(1, 200);
    let start: usize = match &a.cursor {
        Some(cursor) => cursor
            .parse()
            .map_err(|_| format!("bad cursor `{cursor}`: pass the next_cursor of a page"))?,
        None => 0,
    };
    let at = |l: &crate::trace::Link| match l.line {
        Some(line) => format!("{}:{line}", l.path),
        None => l.path.clone(),
    };
    let items: Vec<Value> = selected
        .iter()
        .skip(start)
        .take(limit)
        .map(|i| {
            let mut status = Vec::new();
            status.push(if i.is_implemented() { "implemented" } else { "not implemented" });
            status.push(if i.is_verified() { "verified" } else { "not verified" });
            status.push(if i.is_documented() { "documented" } else { "not documented" });
            if i.stale {
                status.push("stale");
            }
            json!({
                "id": i.id,
                "status": status.join(", "),
                "at": format!("{}:{}", i.spec.path, i.spec.line),
                "text": clip(&i.text, 160),
                "impl": i.implemented_by.iter().map(at).collect::<Vec<_>>(),
                "tests": i.verified_by.iter().filter(|l| l.distance.is_none_or(|d| d <= r.inferred_distance)).map(at).collect::<Vec<_>>(),
                "docs": i.documented_by.iter().map(at).collect::<Vec<_>>(),
            })
        })
        .collect();
    let c = &report.coverage;
    let mut value = json!({
        "status": status,
        "matching": selected.len(),
        "coverage": { "items": c.items, "implemented": c.implemented, "verified": c.verified,
                      "documented": c.documented, "stale": c.stale },
        "items": items,
    });
    if start + limit < selected.len() {
        value["next_cursor"] = json!((start + limit).to_string());
    }
    Ok(json_answer(value))
}

fn impact(r: &Reading, a: &ImpactArgs) -> Answered {
    use crate::impact::Source;
    let source = match &a.base {
        Some(base) => Source::Range(format!("{base}...HEAD")),
        None => Source::WorkTree,
    };
    let state = r
        .store
        .state()
        .map_err(|e| e.to_string())?
        .ok_or("the index records no commit: call kg_refresh")?;
    let head = r
        .repo
        .resolve_commit(&state.commit)
        .map_err(|e| e.to_string())?;
    let config = index::head_config(&r.repo).map_err(|e| e.to_string())?;
    let (mut changes, diagnostics) =
        crate::impact::read_changes(&r.repo, head, &config.rules, &source)
            .map_err(|e| e.to_string())?;
    if !a.paths.is_empty() {
        changes.retain(|c| a.paths.iter().any(|p| p == c.path()));
    }
    let context = crate::impact::Context {
        store: &r.store,
        iris: &r.iris,
        config: &config,
        repo: &r.repo,
    };
    let report =
        crate::impact::analyze(&context, &changes, diagnostics).map_err(|e| e.to_string())?;
    let mut value = serde_json::to_value(&report).map_err(|e| e.to_string())?;
    // Near 4k tokens: the nearest first, the rest counted.
    let mut omitted = Vec::new();
    if let Some(object) = value.as_object_mut() {
        for (key, at_most) in [
            ("changed_symbols", 40),
            ("items", 40),
            ("tests", 40),
            ("docs", 20),
            ("spec_changes", 20),
            ("untraced", 20),
            ("diagnostics", 20),
        ] {
            if let Some(list) = object.get_mut(key).and_then(Value::as_array_mut)
                && list.len() > at_most
            {
                omitted.push(format!("{} more {key}", list.len() - at_most));
                list.truncate(at_most);
            }
        }
        if !omitted.is_empty() {
            object.insert("omitted".into(), json!(omitted));
        }
    }
    Ok(json_answer(value))
}

fn sparql(r: &Reading, a: &SparqlArgs) -> Answered {
    use oxigraph::sparql::QueryResults;
    let limit = a.limit.unwrap_or(100).clamp(1, 1000);
    if crate::query::has_keyword(&a.query, "SERVICE") {
        return Err("kg_sparql reads this index only: SERVICE is refused".to_owned());
    }
    let prepared = match crate::query::prepare(&a.query, "kg_sparql") {
        Ok(prepared) => prepared,
        Err(err) => {
            return Err(if crate::query::is_update(&a.query) {
                "kg_sparql is read-only: updates (INSERT, DELETE, LOAD, ...) are refused".to_owned()
            } else {
                err.to_string()
            });
        }
    };
    let compact = |term: &oxigraph::model::Term| -> String {
        match term {
            oxigraph::model::Term::NamedNode(n) => {
                for (prefix, iri) in PREFIXES {
                    if let Some(rest) = n.as_str().strip_prefix(iri) {
                        return format!("{prefix}:{rest}");
                    }
                }
                n.as_str().to_owned()
            }
            oxigraph::model::Term::Literal(l) => l.value().to_owned(),
            other => other.to_string(),
        }
    };
    let results = r.store.evaluate(prepared).map_err(|e| e.to_string())?;
    let value = match results {
        QueryResults::Boolean(b) => json!({ "boolean": b }),
        QueryResults::Solutions(solutions) => {
            let vars: Vec<String> = solutions
                .variables()
                .iter()
                .map(|v| v.as_str().to_owned())
                .collect();
            let mut rows = Vec::new();
            let mut truncated = false;
            let mut size = 0;
            for solution in solutions {
                // The row limit, and about 4,000 tokens of values, whichever comes first.
                if rows.len() == limit || size > ANSWER_CHARS {
                    truncated = true;
                    break;
                }
                let solution = solution.map_err(|e| e.to_string())?;
                let row: Vec<Value> = solution
                    .values()
                    .iter()
                    .map(|v| {
                        v.as_ref()
                            .map_or(Value::String(String::new()), |t| json!(compact(t)))
                    })
                    .collect();
                size += row.iter().map(|v| v.to_string().len() + 1).sum::<usize>();
                rows.push(row);
            }
            let shown = rows.len();
            let mut value = json!({ "vars": vars, "rows": rows });
            if truncated {
                value["truncated"] = json!(format!(
                    "{shown} rows shown, there are more: add LIMIT or narrow the query (limit {limit})"
                ));
            }
            value
        }
        QueryResults::Graph(triples) => {
            let mut out = Vec::new();
            let mut truncated = false;
            for triple in triples {
                if out.len() == limit {
                    truncated = true;
                    break;
                }
                out.push(triple.map_err(|e| e.to_string())?.to_string());
            }
            let mut value = json!({ "triples": out });
            if truncated {
                value["truncated"] = json!(format!("more than {limit} triples"));
            }
            value
        }
    };
    Ok(json_answer(value))
}

/// The ontology's classes and properties with their labels, read from the shipped file.
fn schema_answer() -> Answer {
    use oxigraph::io::{RdfFormat, RdfParser};
    use oxigraph::model::vocab::{rdf, rdfs};
    const ONTOLOGY: &str = include_str!("../ontology/kg.ttl");
    let mut classes = Vec::new();
    let mut properties = Vec::new();
    let mut labels = std::collections::BTreeMap::new();
    let mut comments = std::collections::BTreeMap::new();
    for triple in RdfParser::from_format(RdfFormat::Turtle)
        .for_slice(ONTOLOGY.as_bytes())
        .flatten()
    {
        let subject = triple.subject.to_string();
        if triple.predicate == rdf::TYPE {
            if triple.object == rdfs::CLASS.into() {
                classes.push(subject);
            } else if triple.object == rdf::PROPERTY.into() {
                properties.push(subject);
            }
        } else if triple.predicate == rdfs::LABEL {
            labels.insert(subject, literal_value(&triple.object));
        } else if triple.predicate == rdfs::COMMENT {
            comments.insert(subject, literal_value(&triple.object));
        }
    }
    let short = |iri: &str| -> String {
        let iri = iri.trim_start_matches('<').trim_end_matches('>');
        for (prefix, base) in PREFIXES {
            if let Some(rest) = iri.strip_prefix(base) {
                return format!("{prefix}:{rest}");
            }
        }
        iri.to_owned()
    };
    let describe = |iris: &[String], with_comment: bool| -> Vec<Value> {
        iris.iter()
            .map(|iri| {
                let mut text = labels.get(iri).cloned().unwrap_or_default();
                if with_comment && let Some(comment) = comments.get(iri) {
                    text = format!("{text}: {}", clip(comment, 160));
                }
                json!({ "name": short(iri), "about": text })
            })
            .collect()
    };
    let examples: Vec<Value> = crate::query::named()
        .filter(|q| q.parameters.is_empty())
        .map(|q| json!({ "name": q.name, "about": q.description }))
        .collect();
    json_answer(json!({
        "prefixes": PREFIXES.iter().map(|(p, iri)| json!({"prefix": p, "iri": iri})).collect::<Vec<_>>(),
        "classes": describe(&classes, true),
        "properties": describe(&properties, false),
        "examples": [
            "SELECT ?id ?text WHERE { ?r a oslc_rm:Requirement ; dcterms:identifier ?id ; dcterms:description ?text } LIMIT 10",
            "SELECT ?item ?symbol ?path WHERE { ?ref a kg:Reference ; kg:relation kg:implements ; kg:target/dcterms:identifier ?item ; kg:source ?d . ?d kg:qualifiedName ?symbol ; kg:inFile/kg:path ?path }",
            "SELECT ?caller WHERE { ?c kg:calls ?d . ?d kg:name \"check_size\" . ?c kg:qualifiedName ?caller }",
        ],
        "named_queries": examples,
        "note": "The default graph is the union of all graphs. kg query NAME on the command line runs a named query; its text is in queries/NAME.rq.",
    }))
}

fn literal_value(term: &oxigraph::model::Term) -> String {
    match term {
        oxigraph::model::Term::Literal(l) => l.value().to_owned(),
        other => other.to_string(),
    }
}

fn refresh(place: &Place) -> Answered {
    let repo = Repo::discover(&place.root).map_err(|e| e.to_string())?;
    let store = store_dir(place, &repo);
    let started = std::time::Instant::now();
    // Another writer's lock is waited for; the answer says so.
    let mut waited = None;
    let outcome = index::ensure_index(&repo, &store, false, false, |m| waited = Some(m.to_owned()))
        .map_err(|e| e.to_string())?;
    let took = started.elapsed().as_millis() as u64;
    let value = match outcome {
        Outcome::Unborn => json!({ "updated": false, "note": "HEAD has no commits yet" }),
        Outcome::UpToDate(state) => {
            json!({ "updated": false, "commit": crate::trace::short(&state.commit), "took_ms": took })
        }
        Outcome::Indexed(summary) => json!({
            "updated": true,
            "commit": crate::trace::short(&summary.commit),
            "from": summary.from.as_deref().map(crate::trace::short),
            "items": summary.items,
            "definitions": summary.definitions,
            "took_ms": took,
        }),
    };
    let mut value = value;
    if let Some(waited) = waited {
        value["waited"] = json!(waited);
    }
    Ok(json_answer(value))
}

/// The value with every null (and every object left empty by that) removed: answers carry no
/// nulls.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(list) => Value::Array(list.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

// implements: agents/setup
/// The one-line setups for the usual agents, as `kg mcp --help` and the README give them. Each
/// starts the server in the project: `-C` names it where the client may start servers
/// elsewhere.
pub const SETUP: &str = "Setup, one line for each agent (run in the repository):
  Claude Code:  claude mcp add kg -- kg mcp
  Codex:        codex mcp add kg -- kg -C \"$PWD\" mcp
  Cursor, in .cursor/mcp.json:
    {\"mcpServers\":{\"kg\":{\"command\":\"kg\",\"args\":[\"-C\",\"${workspaceFolder}\",\"mcp\"]}}}
  VS Code, in .vscode/mcp.json:
    {\"servers\":{\"kg\":{\"type\":\"stdio\",\"command\":\"kg\",\"args\":[\"-C\",\"${workspaceFolder}\",\"mcp\"]}}}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tool_list_is_small() {
        let list = serde_json::to_string(&ListToolsResult::with_all_items(tools())).unwrap();
        assert!(list.len() < 16 * 1024, "{} bytes", list.len());
        assert_eq!(tools().len(), 8);
    }

    #[test]
    fn nulls_are_dropped_at_every_depth() {
        let value = json!({"a": null, "b": [{"c": null, "d": 1}], "e": {"f": null}});
        assert_eq!(without_nulls(value), json!({"b": [{"d": 1}], "e": {}}));
    }
}
