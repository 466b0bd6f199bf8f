//! The command line: arguments, exit codes, and which module does each command's work.
//!
//! Exit codes: 0 ok, 1 a check found problems (reserved for `kg trace --check`), 2 usage or
//! runtime error. Results go to stdout; progress, summaries and diagnostics to stderr.

// implements: index/command, query/command, query/export

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand, ValueEnum};

use crate::git::Repo;
use crate::index::{self, Outcome};
use crate::query;
use crate::report::{self, ResultFormat};
use crate::store::ReadStore;
use crate::trace::short;

/// A git-native knowledge graph of specs, code, tests and docs, queried with SPARQL.
#[derive(Debug, Parser)]
#[command(name = "kg", version, max_term_width = 100)]
pub struct Cli {
    /// Run as if kg was started in DIR
    #[arg(short = 'C', value_name = "DIR", global = true)]
    directory: Option<PathBuf>,

    /// Keep the index in DIR instead of `kg/` inside the git directory
    #[arg(long, value_name = "DIR", global = true)]
    store: Option<PathBuf>,

    /// Print no summary (diagnostics are still printed)
    #[arg(short, long, global = true)]
    quiet: bool,

    /// Colour status words: on a terminal unless NO_COLOR is set (auto), always, or never
    #[arg(long, value_name = "WHEN", value_enum, default_value_t, global = true)]
    color: report::ColorChoice,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Index the repository at HEAD (a no-op when the index is already up to date)
    Index {
        /// Rebuild even when the index is up to date
        #[arg(long)]
        force: bool,
        /// Print each stage's wall time and items per second on stderr
        #[arg(long)]
        timings: bool,
    },
    /// Run a SPARQL query: inline text, a file, or the name of a shipped query
    Query(QueryArgs),
    /// The traceability matrix: what implements, verifies and documents each item, and what is
    /// stale; with --check, a CI gate (exit 1 when the policy fails)
    Trace(TraceArgs),
    /// What a change touches: the criteria behind the changed code, the tests to run, the docs to
    /// review and the spec changes, each with the path that selected it
    Impact(ImpactArgs),
    /// What an agent needs about an item, a file (PATH[:LINE]) or a symbol: the item's text and
    /// status, its code as numbered snippets, its tests with the command to run them, its docs
    /// and history, each with why; cut to a token budget
    Context(ContextArgs),
    /// Serve MCP on stdio for coding agents: tools to find, trace, read the context of an item
    /// and see a change's impact, with answers that fit a context window
    #[command(after_help = crate::mcp::SETUP)]
    Mcp,
    /// Serve the index over HTTP: a read-only SPARQL 1.1 endpoint at /sparql, the trace report
    /// at /
    Serve(ServeArgs),
    /// Send the repository's graphs to a SPARQL 1.1 Graph Store Protocol endpoint: one PUT per
    /// graph, only those that changed since the last push there (`kg push --store URL`)
    Push(PushArgs),
    /// Write the whole graph as N-Quads or TriG
    Export {
        /// The RDF syntax
        #[arg(long, value_enum, default_value = "nquads")]
        format: ExportFormat,
        /// Write to FILE instead of stdout
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Do not bring the index up to date first
        #[arg(long)]
        no_refresh: bool,
    },
}

#[derive(Debug, clap::Args)]
struct QueryArgs {
    /// SPARQL text, or the NAME of a shipped query (see --list)
    #[arg(value_name = "QUERY|NAME", required_unless_present_any = ["file", "list"])]
    query: Option<String>,

    /// Read the query from FILE
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        conflicts_with = "query"
    )]
    file: Option<PathBuf>,

    /// List the shipped queries with a line of description each
    #[arg(long)]
    list: bool,

    /// Output format [default: table on a terminal, json otherwise; turtle for graphs]
    #[arg(long, value_enum)]
    format: Option<ResultFormat>,

    /// Bind the query's ?NAME to VALUE (a commit parameter takes any revision); repeatable
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,

    /// Do not bring the index up to date first
    #[arg(long)]
    no_refresh: bool,
}

fn parse_param(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not NAME=VALUE"))?;
    let name = name.trim().trim_start_matches('?');
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("`{name}` is not a variable name"));
    }
    Ok((name.to_owned(), value.to_owned()))
}

#[derive(Debug, clap::Args)]
struct TraceArgs {
    /// Features or items to report (all when none)
    #[arg(value_name = "FEATURE|ITEM")]
    ids: Vec<String>,

    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    format: report::TraceFormat,

    /// Write the report to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Exit 1 when the policy fails, listing each failure with file and line on stderr
    #[arg(long)]
    check: bool,

    /// What every item needs [default: implemented, or kg.toml's trace.require]
    #[arg(long, value_delimiter = ',', value_parser = ["implemented", "verified", "documented"])]
    require: Vec<String>,

    /// Also fail on items reworded after their code last changed, and on tags written for an
    /// older version of their requirement
    #[arg(long)]
    fail_on_stale: bool,

    /// The most calls from a test to an item's code that count as verifying it; 0 counts only
    /// tests that name the item [default: 1, or kg.toml's trace.inferred_distance]
    #[arg(long, value_name = "CALLS", value_parser = clap::value_parser!(u32).range(0..=i64::from(crate::config::MAX_INFERRED_DISTANCE)))]
    inferred_distance: Option<u32>,

    /// Do not bring the index up to date first
    #[arg(long)]
    no_refresh: bool,
}

#[derive(Debug, clap::Args)]
struct ContextArgs {
    /// An item id, a path (PATH or PATH:LINE) or a symbol name
    #[arg(value_name = "ID|PATH[:LINE]|SYMBOL")]
    subject: String,

    /// About how many tokens the pack may take; it says what it left out
    #[arg(long, value_name = "TOKENS", default_value_t = crate::context::DEFAULT_BUDGET)]
    budget: usize,

    /// Output format
    #[arg(long, value_enum, default_value = "md")]
    format: ContextFormat,

    /// Do not bring the index up to date first
    #[arg(long)]
    no_refresh: bool,
}

#[derive(Debug, clap::Args)]
struct PushArgs {
    /// The Graph Store Protocol endpoint (Oxigraph's `http://HOST:PORT/store`); `--store URL`
    /// says the same
    #[arg(value_name = "URL")]
    url: Option<String>,

    /// Authenticate as USER, with the password in the environment variable KG_PUSH_PASSWORD
    #[arg(long, value_name = "USER")]
    user: Option<String>,

    /// Send every graph, changed or not
    #[arg(long)]
    all: bool,

    /// Do not bring the index up to date first
    #[arg(long)]
    no_refresh: bool,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// The address to listen on (port 0: any free port, printed on stderr)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7979")]
    bind: std::net::SocketAddr,

    /// Cancel a query that runs longer than this many seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    timeout: f64,

    /// Refuse a result with more rows (or triples) than this
    #[arg(long, value_name = "ROWS", default_value_t = 100_000)]
    max_rows: usize,

    /// Requests served at once
    #[arg(long, value_name = "N", default_value_t = 8)]
    threads: usize,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ContextFormat {
    Md,
    Json,
}

#[derive(Debug, clap::Args)]
struct ImpactArgs {
    /// A revision range (BASE..HEAD, BASE...HEAD) or one commit; without one, the uncommitted
    /// changes of the work tree against HEAD
    #[arg(value_name = "RANGE")]
    range: Option<String>,

    /// Read a unified diff from FILE (`-` for stdin), against the indexed HEAD
    #[arg(long, value_name = "FILE", conflicts_with_all = ["range", "staged"])]
    diff: Option<PathBuf>,

    /// The staged changes (the index against HEAD) instead of the work tree's
    #[arg(long, conflicts_with = "range")]
    staged: bool,

    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: report::ImpactFormat,

    /// Write the report to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Exit 1 when the change has untraced definitions or changes a spec
    #[arg(long, value_delimiter = ',', value_parser = ["untraced", "spec-change"])]
    fail_on: Vec<String>,

    /// Do not bring the index up to date first
    #[arg(long)]
    no_refresh: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ExportFormat {
    Nquads,
    Trig,
}

// implements: query/exit-codes
/// Parses the arguments, runs the command and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kg: {err:#}");
            if is_disk_full(&err) {
                eprintln!(
                    "kg: the disk is full. A store becomes current only once it is complete, so \
                     the previous index is unchanged and still answers; free some space (or give \
                     --store a roomier place) and run kg index again."
                );
            }
            ExitCode::from(2)
        }
    }
}

// implements: history/safety
/// Whether the error comes from a full disk, as the OS says it (`ENOSPC`) or as RocksDB words it.
fn is_disk_full(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::StorageFull || e.raw_os_error() == Some(28))
            || cause.to_string().contains("No space left on device")
    })
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<report::ReportError>()
                .is_some_and(|e| matches!(e, report::ReportError::Io(io) if io.kind() == io::ErrorKind::BrokenPipe))
    })
}

fn run(mut cli: Cli) -> anyhow::Result<ExitCode> {
    // `kg push --store URL`: the global --store names the server then, not a local directory.
    let push_url = match (&cli.command, &cli.store) {
        (Command::Push(args), store) => match (&args.url, store) {
            (Some(url), _) => Some(url.clone()),
            (None, Some(store)) if is_url(store) => {
                let url = store.to_string_lossy().into_owned();
                cli.store = None;
                Some(url)
            }
            _ => bail!("kg push needs the server's Graph Store Protocol URL: kg push --store URL"),
        },
        _ => None,
    };
    match &cli.command {
        Command::Index { force, timings } => {
            let repo = open_repo(&cli)?;
            let store = index::store_dir(&repo, cli.store.as_deref());
            let outcome =
                index::ensure_index(&repo, &store, *force, !cli.quiet, |m| eprintln!("kg: {m}"))?;
            match outcome {
                Outcome::UpToDate(state) => {
                    if !cli.quiet {
                        eprintln!("index is up to date with {}", short(&state.commit));
                    }
                }
                Outcome::Indexed(summary) => {
                    // After a full build the first trace is read now, while the index is
                    // fresh: `kg index` then `kg trace` (as CI runs them) reads no quads twice.
                    if summary.from.is_none()
                        && let Some(read) = store.open_read()?
                    {
                        let base = read.state()?.map(|s| s.base).unwrap_or_default();
                        crate::trace::warm(&read, &crate::graph::Iris::new(base))?;
                    }
                    report::write_summary(
                        &summary,
                        cli.quiet,
                        &report::Screen::stderr(cli.color),
                        &mut io::stderr(),
                    )?;
                    if *timings {
                        report::write_timings(
                            &summary.stages,
                            summary.elapsed,
                            &report::Screen::stderr(cli.color),
                            &mut io::stderr(),
                        )?;
                    }
                }
                Outcome::Unborn => eprintln!("kg: nothing to index: HEAD has no commits yet"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Query(args) => {
            if args.list {
                let rows: Vec<Vec<String>> = query::named()
                    .map(|q| {
                        let params: Vec<String> = q
                            .parameters
                            .iter()
                            .map(|p| format!("--param {}=…", p.name))
                            .collect();
                        let description = if params.is_empty() {
                            q.description.to_owned()
                        } else {
                            format!("{} ({})", q.description, params.join(" "))
                        };
                        vec![q.name.to_owned(), description]
                    })
                    .collect();
                let mut out = io::stdout().lock();
                report::write_table(
                    &["name".to_owned(), "description".to_owned()],
                    &rows,
                    &report::Screen::stdout(cli.color),
                    &mut out,
                )?;
                return Ok(ExitCode::SUCCESS);
            }
            let (text, source_name) = match (&args.file, &args.query) {
                (Some(file), _) => (
                    std::fs::read_to_string(file)
                        .with_context(|| format!("cannot read {}", file.display()))?,
                    file.display().to_string(),
                ),
                (None, Some(q)) => match query::find(q) {
                    Some(named) => (named.text.to_owned(), format!("queries/{}.rq", named.name)),
                    None if looks_like_a_name(q) => bail!(
                        "no shipped query is called `{q}`; `kg query --list` shows them (inline SPARQL needs SELECT, ASK, CONSTRUCT or DESCRIBE)"
                    ),
                    None => (q.clone(), "inline query".to_owned()),
                },
                (None, None) => unreachable!("clap requires a query unless --list or --file"),
            };
            let text = bind_parameters(&cli, &text, &source_name, &args.params)?;
            let prepared = query::prepare(&text, &source_name)?;
            let (store, base) = open_index(&cli, !args.no_refresh)?;
            let results = store.evaluate(prepared)?;
            // People get a table (Turtle for graphs); programs get the W3C JSON format.
            let format = args.format.or_else(|| match &results {
                _ if io::stdout().is_terminal() => None,
                oxigraph::sparql::QueryResults::Graph(_) => Some(ResultFormat::Turtle),
                _ => Some(ResultFormat::Json),
            });
            let mut out = BufWriter::new(io::stdout().lock());
            report::write_results(
                results,
                format,
                &base,
                &report::Screen::stdout(cli.color),
                &mut out,
            )?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Trace(args) => trace(&cli, args),
        Command::Impact(args) => impact(&cli, args),
        Command::Context(args) => context(&cli, args),
        Command::Push(args) => {
            let url = push_url.unwrap_or_default();
            let (store, base) = open_index(&cli, !args.no_refresh)?;
            let repo = open_repo(&cli)?;
            let dir = index::store_dir(&repo, cli.store.as_deref());
            let user = match &args.user {
                Some(user) => Some((
                    user.clone(),
                    std::env::var("KG_PUSH_PASSWORD").map_err(|_| {
                        anyhow::anyhow!("--user {user}: set the password in KG_PUSH_PASSWORD")
                    })?,
                )),
                None => None,
            };
            let target = crate::push::Target {
                url: url.clone(),
                user,
                all: args.all,
            };
            let quiet = cli.quiet;
            let pushed = crate::push::push(&store, &dir, &base, &target, |m| {
                if !quiet {
                    eprintln!("kg push: {m}");
                }
            })?;
            if !cli.quiet {
                eprintln!(
                    "kg push: {} graphs sent ({} KB), {} unchanged, {} deleted, to {url} in {:.2} s ({:.2} s of it waiting for the server)",
                    pushed.sent,
                    pushed.bytes.div_ceil(1024),
                    pushed.unchanged,
                    pushed.deleted,
                    pushed.took.as_secs_f64(),
                    pushed.server.as_secs_f64()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(args) => {
            let repo = open_repo(&cli)?;
            let root = repo
                .work_dir()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| repo.git_dir().to_path_buf());
            if args.timeout.is_nan() || args.timeout <= 0.0 {
                bail!("--timeout must be a positive number of seconds");
            }
            crate::serve::serve(
                root,
                cli.store.clone(),
                crate::serve::Options {
                    bind: args.bind,
                    timeout: std::time::Duration::from_secs_f64(args.timeout),
                    max_rows: args.max_rows,
                    threads: args.threads,
                },
                |address| {
                    eprintln!(
                        "kg serve: listening on http://{address}/ (the trace report; SPARQL at http://{address}/sparql)"
                    )
                },
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Mcp => {
            let dir = cli.directory.clone().unwrap_or_else(|| PathBuf::from("."));
            crate::mcp::KgServer::new(&dir, cli.store.clone())?.serve_stdio()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            format,
            output,
            no_refresh,
        } => {
            let (store, _) = open_index(&cli, !no_refresh)?;
            let rdf = match format {
                ExportFormat::Nquads => oxigraph::io::RdfFormat::NQuads,
                ExportFormat::Trig => oxigraph::io::RdfFormat::TriG,
            };
            let (mut out, _) = self::output(output.as_deref(), cli.color)?;
            store.dump(rdf, &mut out)?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

// implements: agents/context
/// Runs `kg context`: the pack on stdout.
fn context(cli: &Cli, args: &ContextArgs) -> anyhow::Result<ExitCode> {
    let (store, base) = open_index(cli, !args.no_refresh)?;
    let repo = open_repo(cli)?;
    let Some(state) = store.state()? else {
        bail!("the index records no commit: run `kg index --force`");
    };
    let iris = crate::graph::Iris::new(base);
    let config = index::head_config(&repo)?;
    let sources = crate::context::Sources {
        store: &store,
        iris: &iris,
        repo: &repo,
        commit: repo.resolve_commit(&state.commit)?,
        inferred_distance: config
            .trace
            .inferred_distance
            .unwrap_or(crate::trace::DEFAULT_INFERRED_DISTANCE),
    };
    let pack = crate::context::pack(&sources, &args.subject, args.budget)?;
    let mut out = BufWriter::new(io::stdout().lock());
    match args.format {
        ContextFormat::Md => out.write_all(crate::context::markdown(&pack).as_bytes())?,
        ContextFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &pack)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

// implements: trace/gate
/// Runs `kg trace`: the report on stdout; with `--check`, the failures on stderr and exit 1.
fn trace(cli: &Cli, args: &TraceArgs) -> anyhow::Result<ExitCode> {
    let (store, base) = open_index(cli, !args.no_refresh)?;
    let iris = crate::graph::Iris::new(base);
    let config = index::head_config(&open_repo(cli)?)?;
    let inferred_distance = args
        .inferred_distance
        .or(config.trace.inferred_distance)
        .unwrap_or(crate::trace::DEFAULT_INFERRED_DISTANCE);
    let report = crate::trace::build(&store, &iris, &args.ids, inferred_distance)?;
    if let Some(unknown) = args.ids.iter().find(|id| {
        !report
            .items
            .iter()
            .any(|i| &i.id == *id || &i.feature == *id)
    }) {
        bail!("no feature or item is called `{unknown}`");
    }
    let page = html_page(cli, &store)?;
    let (mut out, screen) = output(args.output.as_deref(), cli.color)?;
    report::write_trace(&report, args.format, &page, &screen, &mut out)?;
    out.flush()?;
    if !args.check {
        return Ok(ExitCode::SUCCESS);
    }
    let require = if args.require.is_empty() {
        config
            .trace
            .require
            .clone()
            .unwrap_or_else(|| vec!["implemented".to_owned()])
    } else {
        args.require.clone()
    };
    let policy = crate::trace::Policy {
        implemented: require.iter().any(|r| r == "implemented"),
        verified: require.iter().any(|r| r == "verified"),
        documented: require.iter().any(|r| r == "documented"),
        fail_on_stale: args.fail_on_stale || config.trace.fail_on_stale.unwrap_or(false),
        fail_on_dangling: true,
    };
    let failures = crate::trace::check(&report, &policy);
    for failure in &failures {
        eprintln!("{failure}");
    }
    if failures.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("kg trace --check: {} failures", failures.len());
        Ok(ExitCode::from(1))
    }
}

fn impact(cli: &Cli, args: &ImpactArgs) -> anyhow::Result<ExitCode> {
    use crate::impact::Source;
    // Read the diff first: a bad one is an error before any indexing.
    let source = match (&args.diff, &args.range) {
        (Some(path), _) => {
            let name = path.display().to_string();
            let text = if name == "-" {
                let mut text = String::new();
                io::Read::read_to_string(&mut io::stdin().lock(), &mut text)
                    .context("cannot read the diff from stdin")?;
                text
            } else {
                std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?
            };
            Source::Patch(crate::git::diff::parse_patch(&text, &name)?)
        }
        (None, Some(range)) => Source::Range(range.clone()),
        (None, None) if args.staged => Source::Staged,
        (None, None) => Source::WorkTree,
    };
    let (store, base) = open_index(cli, !args.no_refresh)?;
    let repo = open_repo(cli)?;
    let Some(state) = store.state()? else {
        bail!("the index records no commit: run `kg index --force`");
    };
    let head = repo.resolve_commit(&state.commit)?;
    let config = index::head_config(&repo)?;
    let (changes, diagnostics) = crate::impact::read_changes(&repo, head, &config.rules, &source)?;
    let iris = crate::graph::Iris::new(base);
    let context = crate::impact::Context {
        store: &store,
        iris: &iris,
        config: &config,
        repo: &repo,
    };
    let report = crate::impact::analyze(&context, &changes, diagnostics)?;
    let page = html_page(cli, &store)?;
    let (mut out, screen) = output(args.output.as_deref(), cli.color)?;
    report::write_impact(&report, args.format, &page, &screen, &mut out)?;
    out.flush()?;
    let mut failures = Vec::new();
    if args.fail_on.iter().any(|f| f == "untraced") && !report.untraced.is_empty() {
        failures.push(format!("{} untraced definitions", report.untraced.len()));
    }
    if args.fail_on.iter().any(|f| f == "spec-change") && !report.spec_changes.is_empty() {
        failures.push(format!("{} spec changes", report.spec_changes.len()));
    }
    if failures.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("kg impact: {}", failures.join(", "));
        Ok(ExitCode::from(1))
    }
}

/// Checks the given parameters against those the query declares (when it declares any),
/// resolves commit parameters through git, and binds them.
fn bind_parameters(
    cli: &Cli,
    text: &str,
    source_name: &str,
    given: &[(String, String)],
) -> anyhow::Result<String> {
    let declared = query::parameters(text);
    let names = || {
        declared
            .iter()
            .map(|p| format!("?{}", p.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut values = Vec::new();
    for (name, value) in given {
        let parameter = declared.iter().find(|p| &p.name == name);
        if parameter.is_none() && !declared.is_empty() {
            bail!(
                "{source_name} has no parameter ?{name}; it takes {}",
                names()
            );
        }
        let value = if parameter.is_some_and(|p| p.commit) {
            open_repo(cli)?.resolve_commit(value)?.to_string()
        } else {
            value.clone()
        };
        values.push((name.clone(), value));
    }
    for parameter in &declared {
        let optional = parameter.description.contains("(optional)");
        if !optional && !given.iter().any(|(n, _)| n == &parameter.name) {
            bail!(
                "{source_name} needs --param {}=… ({})",
                parameter.name,
                parameter.description
            );
        }
    }
    Ok(query::bind(text, &values))
}

/// A bare word such as `untested` is meant as a query name, not as SPARQL.
fn looks_like_a_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn is_url(path: &Path) -> bool {
    let text = path.to_string_lossy();
    text.starts_with("http://") || text.starts_with("https://")
}

/// Where a report goes, FILE or stdout, and the screen it is fitted to: a file takes whole lines
/// (and colour only when `--color always` asks).
fn output(
    path: Option<&Path>,
    color: report::ColorChoice,
) -> anyhow::Result<(Box<dyn Write>, report::Screen)> {
    Ok(match path {
        Some(path) => (
            Box::new(BufWriter::new(
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
            )),
            report::Screen {
                width: None,
                color: color == report::ColorChoice::Always,
            },
        ),
        None => (
            Box::new(BufWriter::new(io::stdout().lock())),
            report::Screen::stdout(color),
        ),
    })
}

/// What an HTML report says of its repository: its name, the indexed commit, and where its
/// files are on the hosting site.
fn html_page(cli: &Cli, store: &ReadStore) -> anyhow::Result<report::Page> {
    let repo = open_repo(cli)?;
    let commit = store.state()?.map(|s| s.commit).unwrap_or_default();
    let title = repo
        .work_dir()
        .and_then(|d| d.canonicalize().ok())
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "repository".to_owned());
    Ok(report::Page::new(
        &title,
        &commit,
        repo.remote_url().as_deref(),
    ))
}

fn open_repo(cli: &Cli) -> anyhow::Result<Repo> {
    let dir = cli.directory.as_deref().unwrap_or(Path::new("."));
    if !dir.is_dir() {
        bail!("{}: no such directory", dir.display());
    }
    Ok(Repo::discover(dir)?)
}

/// Opens the index for reading, first bringing it up to date with HEAD when `refresh` is set.
/// Returns the store and the repository's IRI base.
fn open_index(cli: &Cli, refresh: bool) -> anyhow::Result<(ReadStore, String)> {
    let repo = open_repo(cli)?;
    let store_dir = index::store_dir(&repo, cli.store.as_deref());
    // Brings the index up to date (`force`: rebuilds it), printing what was done.
    let bring_up = |force: bool| -> anyhow::Result<()> {
        match index::ensure_index(&repo, &store_dir, force, !cli.quiet, |m| {
            eprintln!("kg: {m}")
        })? {
            Outcome::Indexed(summary) => report::write_summary(
                &summary,
                cli.quiet,
                &report::Screen::stderr(cli.color),
                &mut io::stderr(),
            )?,
            Outcome::UpToDate(_) => {}
            Outcome::Unborn => bail!("nothing to query: HEAD has no commits yet"),
        }
        Ok(())
    };
    if refresh {
        bring_up(false)?;
    }
    let opened = match store_dir.open_read() {
        // A current store that cannot be read (truncated, damaged) is rebuilt, saying why.
        Err(crate::store::StoreError::Storage { path, message }) if refresh => {
            eprintln!(
                "kg: the index in {} could not be read ({message}); rebuilding it",
                path.display()
            );
            bring_up(true)?;
            store_dir.open_read()?
        }
        other => other?,
    };
    let Some(store) = opened else {
        bail!(
            "no index in {}: run `kg index` first (or drop --no-refresh)",
            store_dir.root().display()
        );
    };
    let base = store.state()?.map(|s| s.base).unwrap_or_default();
    Ok((store, base))
}
