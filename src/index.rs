//! The indexing pipeline: git walk, parse (in parallel), repository-wide checks, graph, store.

// implements: index/command, index/references

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::config::{CONFIG_FILE, Config, ConfigError};
use crate::facts::{Diagnostic, FileFacts, FileKind, Language, Position, Severity};
use crate::git::{GitError, Repo};
use crate::graph::{self, Context, Iris};
use crate::parse::{CodeQueries, FileParser};
use crate::store::{IndexState, StoreDir, StoreError};

/// An error that stops indexing. Problems in single files are diagnostics, not errors.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// Counts and diagnostics of one index run, for the summary on stderr.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub commit: String,
    pub files: BTreeMap<&'static str, usize>,
    pub definitions: usize,
    pub tests: usize,
    pub features: usize,
    pub items: usize,
    pub references: usize,
    pub dangling: usize,
    pub mentions: usize,
    pub quads: u64,
    pub diagnostics: Vec<Diagnostic>,
    pub elapsed: Duration,
}

/// What `ensure_index` did.
#[derive(Debug)]
pub enum Outcome {
    /// The index already matched HEAD.
    UpToDate(IndexState),
    /// The index was (re)built.
    Indexed(Summary),
    /// HEAD has no commits: there is nothing to index.
    Unborn,
}

/// The store directory: `--store DIR` when given, else `kg` inside the git directory.
pub fn store_dir(repo: &Repo, given: Option<&Path>) -> StoreDir {
    match given {
        Some(dir) => StoreDir::new(dir),
        None => StoreDir::new(repo.git_dir().join("kg")),
    }
}

/// Brings the index up to date with HEAD: nothing to do when it already is (unless `force`),
/// a full build otherwise. `on_wait` is told when another process holds the store.
pub fn ensure_index(
    repo: &Repo,
    store: &StoreDir,
    force: bool,
    on_wait: impl FnOnce(&str),
) -> Result<Outcome, IndexError> {
    let Some(head) = repo.head_commit()? else {
        return Ok(Outcome::Unborn);
    };
    let head_hex = head.to_string();
    let current = |store: &StoreDir| -> Result<Option<IndexState>, IndexError> {
        Ok(store.state()?.filter(|s| s.is_current_for(&head_hex)))
    };
    if !force && let Some(state) = current(store)? {
        return Ok(Outcome::UpToDate(state));
    }
    let lock = store.lock(on_wait)?;
    // Another process may have finished the same work while this one waited.
    if !force && let Some(state) = current(store)? {
        return Ok(Outcome::UpToDate(state));
    }
    let started = Instant::now();
    let (quads, mut summary) = build(repo, head)?;
    summary.quads = store.replace(&lock, quads)?;
    summary.elapsed = started.elapsed();
    Ok(Outcome::Indexed(summary))
}

/// Reads the tree of `head` and returns all quads of the index with the run's summary.
pub fn build(
    repo: &Repo,
    head: gix::ObjectId,
) -> Result<(Vec<oxigraph::model::Quad>, Summary), IndexError> {
    let files = repo.tree_files(head)?;
    let reader = repo.blob_reader();
    let config = match reader.read_path(head, CONFIG_FILE)? {
        Some(bytes) => Config::parse(&String::from_utf8_lossy(&bytes))?,
        None => Config::default(),
    };
    let base = match &config.base {
        Some(base) => base.clone(),
        None => graph::derive_base(
            repo.remote_url().as_deref(),
            &repo.root_commit(head)?.to_string(),
        ),
    };
    let iris = Iris::new(base);
    let rules = &config.rules;

    let mut diagnostics = Vec::new();
    let selected: Vec<_> = files
        .iter()
        .filter_map(|file| {
            let kind = rules.classify(&file.path)?;
            if !file.utf8_path {
                diagnostics.push(Diagnostic::new(
                    Severity::Warning,
                    &file.path,
                    None,
                    "file name is not valid UTF-8; it is indexed under this rendering of it",
                ));
            }
            Some((file, kind))
        })
        .collect();

    // implements: index/NFR-performance-1
    // One parser per worker and one file per task: rayon's default splitting leaves one thread
    // with most of the work when file sizes vary.
    let queries = CodeQueries::new();
    let parsed: Vec<Result<FileFacts, GitError>> = selected
        .par_iter()
        .with_max_len(1)
        .map_init(
            || (repo.blob_reader(), FileParser::new(&queries)),
            |(reader, parser), (file, kind)| {
                let bytes = reader.read(file.blob)?;
                let mut facts = FileFacts::new(
                    &file.path,
                    *kind,
                    &file.blob.to_string(),
                    bytes.len() as u64,
                );
                facts.is_test_file = rules.is_test_file(&file.path);
                Ok(parser.parse(facts, &bytes, rules.max_file_size))
            },
        )
        .collect();
    let mut all = Vec::with_capacity(parsed.len());
    for facts in parsed {
        all.push(facts?);
    }

    let known_ids = check_specs(&mut all, &mut diagnostics);
    let dangling = dangling_references(&all, &known_ids);
    let dangling_count = dangling.len();
    diagnostics.extend(dangling);

    let context = Context {
        iris: &iris,
        known_ids: &known_ids,
    };
    let mut quads: Vec<oxigraph::model::Quad> = all
        .par_iter()
        .with_max_len(1)
        .flat_map_iter(|facts| graph::file_quads(facts, &context))
        .collect();
    let blobs: Vec<(String, String)> = all
        .iter()
        .map(|f| (f.path.clone(), f.blob.clone()))
        .collect();
    quads.extend(graph::meta_quads(&iris, &head.to_string(), &blobs));
    quads.extend(graph::diagnostics_quads(&iris, &diagnostics));

    let mut summary = Summary {
        commit: head.to_string(),
        dangling: dangling_count,
        ..Summary::default()
    };
    for facts in &all {
        let kind = match facts.kind {
            FileKind::Spec => "spec",
            FileKind::Doc => "doc",
            FileKind::Code(Language::Rust) => "rust",
            FileKind::Code(Language::TypeScript | Language::Tsx) => "typescript",
        };
        *summary.files.entry(kind).or_default() += 1;
        summary.tests += facts.definitions.iter().filter(|d| d.is_test).count();
        summary.definitions += facts.definitions.iter().filter(|d| !d.is_test).count();
        summary.features += facts.features.len();
        summary.items += facts.features.iter().map(|f| f.items.len()).sum::<usize>();
        summary.references += facts.references.len();
        summary.mentions += facts
            .mentions
            .iter()
            .filter(|m| known_ids.contains(&m.target))
            .count();
        summary
            .diagnostics
            .extend(facts.diagnostics.iter().cloned());
    }
    summary.diagnostics.extend(diagnostics);
    summary.diagnostics.sort();
    Ok((quads, summary))
}

/// Collects every feature and item id, reporting features defined twice (the first by path
/// order wins; the later definition is dropped so that the two do not mix in the graph).
fn check_specs(all: &mut [FileFacts], diagnostics: &mut Vec<Diagnostic>) -> HashSet<String> {
    let mut features: HashMap<String, (String, u32)> = HashMap::new();
    let mut ids = HashSet::new();
    for facts in all.iter_mut() {
        let path = facts.path.clone();
        facts.features.retain(|feature| {
            if let Some((first_path, first_line)) = features.get(&feature.name) {
                diagnostics.push(Diagnostic::new(
                    Severity::Error,
                    &path,
                    Some(Position {
                        line: feature.line,
                        column: 1,
                    }),
                    format!(
                        "feature `{}` is already defined at {first_path}:{first_line}; this definition is ignored",
                        feature.name
                    ),
                ));
                return false;
            }
            features.insert(feature.name.clone(), (path.clone(), feature.line));
            ids.insert(feature.name.clone());
            for item in &feature.items {
                ids.insert(format!("{}/{}", feature.name, item.local_id));
            }
            true
        });
    }
    ids
}

/// A diagnostic for every reference to an id no spec defines. The reference stays in the graph.
fn dangling_references(all: &[FileFacts], known_ids: &HashSet<String>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for facts in all {
        for reference in &facts.references {
            if known_ids.contains(&reference.target) {
                continue;
            }
            let feature = reference.target.split('/').next().unwrap_or("");
            let hint = if known_ids.contains(feature) {
                format!("feature `{feature}` has no item with that id")
            } else {
                "no spec defines it".to_owned()
            };
            out.push(Diagnostic::new(
                Severity::Warning,
                &facts.path,
                Some(reference.position),
                format!(
                    "dangling reference: `{}: {}` names an unknown id ({hint})",
                    reference.marker.marker(),
                    reference.target
                ),
            ));
        }
    }
    out
}
