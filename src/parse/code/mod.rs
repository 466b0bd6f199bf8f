//! Extracts definitions, tests, references and call sites from Rust and TypeScript with tree-sitter.
//!
//! The queries under `queries/tree-sitter/` say what to capture; this module turns the captures into
//! facts: nesting and qualified names come from byte ranges, comments are attached to the
//! definition they belong to, and test attributes or test calls mark tests. Trees with syntax
//! errors still yield what tree-sitter could read.

// implements: index/code, index/references

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use tree_sitter::{Node, Parser, Query, QueryCursor, StreamingIterator, Tree};

use crate::facts::{
    Anchor, Call, DefKind, Definition, FileFacts, Import, Language, Position, Reference, Relation,
    Severity,
};

use super::refs::{self, MarkerSyntax};

mod comments;
mod rust;
mod typescript;

use super::nesting::Nesting;
use comments::*;
use rust::*;
use typescript::*;

/// Compiled queries for every language, each compiled on first use (a compiled query costs tens
/// of milliseconds). Share one between threads; [`CodeQueries::shared`] is the process's own.
#[derive(Default)]
pub struct CodeQueries {
    rust: OnceLock<LanguageQuery>,
    typescript: OnceLock<LanguageQuery>,
    tsx: OnceLock<LanguageQuery>,
}

struct LanguageQuery {
    language: tree_sitter::Language,
    query: Query,
    /// What each capture index means.
    roles: Vec<Role>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    Definition(DefKind),
    Name,
    Comment,
    Call,
    CallArguments,
    /// A token tree, whose calls are found in `token_tree_calls`.
    Tokens,
    Import,
    Other,
}

const RUST_QUERY: &str = include_str!("../../../queries/tree-sitter/rust.scm");
const TYPESCRIPT_QUERY: &str = include_str!("../../../queries/tree-sitter/typescript.scm");

impl CodeQueries {
    pub fn new() -> Self {
        Self::default()
    }

    /// The queries of this process, compiled once.
    pub fn shared() -> &'static CodeQueries {
        static SHARED: OnceLock<CodeQueries> = OnceLock::new();
        SHARED.get_or_init(CodeQueries::new)
    }

    /// The shipped queries are part of the binary, so failing to compile one is a bug in kg.
    fn get(&self, language: Language) -> &LanguageQuery {
        match language {
            Language::Rust => self
                .rust
                .get_or_init(|| LanguageQuery::new(tree_sitter_rust::LANGUAGE.into(), RUST_QUERY)),
            Language::TypeScript => self.typescript.get_or_init(|| {
                LanguageQuery::new(
                    tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
                    TYPESCRIPT_QUERY,
                )
            }),
            Language::Tsx => self.tsx.get_or_init(|| {
                LanguageQuery::new(
                    tree_sitter_typescript::LANGUAGE_TSX.into(),
                    TYPESCRIPT_QUERY,
                )
            }),
        }
    }
}

impl LanguageQuery {
    fn new(language: tree_sitter::Language, source: &str) -> Self {
        let query = Query::new(&language, source).expect("the shipped tree-sitter queries compile");
        let roles = query
            .capture_names()
            .iter()
            .map(|name| match *name {
                "name" => Role::Name,
                "comment" => Role::Comment,
                "call" => Role::Call,
                "call.arguments" => Role::CallArguments,
                "tokens" => Role::Tokens,
                "import" => Role::Import,
                other => other
                    .strip_prefix("definition.")
                    .and_then(def_kind)
                    .map_or(Role::Other, Role::Definition),
            })
            .collect();
        LanguageQuery {
            language,
            query,
            roles,
        }
    }
}

fn def_kind(name: &str) -> Option<DefKind> {
    Some(match name {
        "module" => DefKind::Module,
        "function" => DefKind::Function,
        "method" => DefKind::Method,
        "struct" => DefKind::Struct,
        "enum" => DefKind::Enum,
        "union" => DefKind::Union,
        "trait" => DefKind::Trait,
        "impl" => DefKind::Impl,
        "type" => DefKind::TypeAlias,
        "const" => DefKind::Const,
        "static" => DefKind::Static,
        "macro" => DefKind::Macro,
        "class" => DefKind::Class,
        "interface" => DefKind::Interface,
        "namespace" => DefKind::Namespace,
        _ => return None,
    })
}

/// One worker's parser state: a tree-sitter parser and query cursor, reused across files.
pub struct CodeParser<'q> {
    queries: &'q CodeQueries,
    parser: Parser,
    cursor: QueryCursor,
}

/// A definition before nesting and naming are worked out.
struct RawDefinition<'t> {
    kind: DefKind,
    node: Node<'t>,
    name: String,
    /// How children are prefixed: a Rust impl's type rather than `impl Type`.
    scope_name: String,
    is_test: bool,
    pattern: usize,
}

impl<'q> CodeParser<'q> {
    pub fn new(queries: &'q CodeQueries) -> Self {
        CodeParser {
            queries,
            parser: Parser::new(),
            cursor: QueryCursor::new(),
        }
    }

    /// Parses `text` as `language` and adds definitions, references and calls to `facts`.
    pub fn parse(
        &mut self,
        language: Language,
        text: &str,
        syntax: &dyn MarkerSyntax,
        facts: &mut FileFacts,
    ) {
        let lq = self.queries.get(language);
        self.parser
            .set_language(&lq.language)
            .expect("the grammars match the tree-sitter version");
        let Some(tree) = self.parser.parse(text, None) else {
            facts.diagnostic(
                Severity::Error,
                None,
                "tree-sitter could not parse this file".to_owned(),
            );
            return;
        };
        report_syntax_errors(&tree, facts);
        let source = text.as_bytes();

        let mut raw: BTreeMap<(usize, usize), RawDefinition> = BTreeMap::new();
        // Rust functions a test attribute marks, read once when the first is asked about.
        let mut tests = None;
        let mut comments = Vec::new();
        let mut calls: Vec<(Node, Option<Node>)> = Vec::new();
        let mut imports = Vec::new();
        for region in readable_regions(&tree, source.len(), facts) {
            self.cursor.set_containing_byte_range(region);
            let mut matches = self.cursor.matches(&lq.query, tree.root_node(), source);
            while let Some(m) = matches.next() {
                let mut definition = None;
                let mut name = None;
                let mut call = None;
                let mut arguments = None;
                for capture in m.captures() {
                    match lq.roles[capture.index as usize] {
                        Role::Definition(kind) => definition = Some((kind, capture.node)),
                        Role::Name => name = Some(capture.node),
                        Role::Comment => comments.push(capture.node),
                        Role::Call => call = Some(capture.node),
                        Role::CallArguments => arguments = Some(capture.node),
                        Role::Tokens => {
                            calls.extend(
                                token_tree_calls(capture.node)
                                    .into_iter()
                                    .map(|call| (call, None)),
                            );
                        }
                        Role::Import => imports.push(capture.node),
                        Role::Other => {}
                    }
                }
                if let Some(callee) = call {
                    calls.push((callee, arguments));
                }
                let Some((kind, node)) = definition else {
                    continue;
                };
                let key = (node.start_byte(), node.end_byte());
                // The same node can match several patterns (an exported arrow function): the first
                // pattern in the query file wins.
                if raw.get(&key).is_some_and(|d| d.pattern <= m.pattern_index) {
                    continue;
                }
                let (name, scope_name) = match (kind, name) {
                    (DefKind::Impl, _) => impl_names(node, source),
                    (_, Some(n)) => {
                        let n = node_text(n, source).to_owned();
                        (n.clone(), n)
                    }
                    (_, None) => continue,
                };
                let is_test = language == Language::Rust
                    && kind == DefKind::Function
                    && (facts.is_test_file
                        || tests
                            .get_or_insert_with(|| rust::test_functions(&tree, source))
                            .contains(&node.id()));
                raw.insert(
                    key,
                    RawDefinition {
                        kind,
                        node,
                        name,
                        scope_name,
                        is_test,
                        pattern: m.pattern_index,
                    },
                );
            }
        }
        self.cursor.set_containing_byte_range(0..usize::MAX);

        // In test files, describe/it/test calls are definitions too.
        let mut plain_calls = Vec::new();
        for (callee, arguments) in calls {
            let test = match (language, arguments) {
                (Language::TypeScript | Language::Tsx, Some(args)) if facts.is_test_file => {
                    test_call(callee, args, source)
                }
                _ => None,
            };
            match test {
                Some((kind, name)) => {
                    let node = callee.parent().unwrap_or(callee);
                    let key = (node.start_byte(), node.end_byte());
                    raw.entry(key).or_insert(RawDefinition {
                        kind,
                        node,
                        scope_name: name.clone(),
                        name,
                        is_test: true,
                        pattern: usize::MAX,
                    });
                }
                None => plain_calls.push(callee),
            }
        }

        let raw: Vec<RawDefinition> = sorted_by_nesting(raw.into_values().collect());
        let separator = match language {
            Language::Rust => "::",
            _ => ".",
        };
        assemble_definitions(&raw, separator, facts);

        for node in imports {
            match language {
                Language::Rust => expand_use(&[], node_text(node, source), &mut facts.imports),
                Language::TypeScript | Language::Tsx => {
                    typescript_imports(node, source, &mut facts.imports);
                }
            }
        }
        facts.imports.sort();
        facts.imports.dedup();
        // `up.check()` names a module when `up` is a namespace import: keep the qualifier then.
        let namespaces: Vec<&str> = facts
            .imports
            .iter()
            .filter(|i| i.name == "*")
            .filter_map(|i| i.alias.as_deref())
            .collect();
        let mut named_calls = Vec::new();
        for callee in plain_calls {
            let Some(name) = callee_name(callee, source, &namespaces) else {
                continue;
            };
            named_calls.push((callee, name));
        }
        // `Ok(..)`, `Some(..)`, `Point(..)`: tuple structs and variants, not functions.
        named_calls.retain(|(_, name)| {
            let last = name.rsplit("::").next().unwrap_or(name);
            language != Language::Rust || !last.starts_with(|c: char| c.is_ascii_uppercase())
        });
        let nesting = Nesting::of(facts.definitions.iter().map(|d| (d.start_byte, d.end_byte)));
        let spans: Vec<(usize, usize)> = named_calls
            .iter()
            .map(|(callee, _)| (callee.start_byte(), callee.end_byte()))
            .collect();
        let callers = nesting.innermost_each(&spans);
        for ((callee, name), caller) in named_calls.into_iter().zip(callers) {
            facts.calls.push(Call {
                caller,
                callee: name,
                line: callee.start_position().row as u32 + 1,
            });
        }

        // References written across comment lines (duvet's) count only in comments (a string
        // that holds one is an example), and attach as the comment on their line does.
        let comment_at: HashMap<u32, Node> = comments
            .iter()
            .flat_map(|c| {
                (c.start_position().row as u32 + 1..=c.end_position().row as u32 + 1)
                    .map(move |line| (line, *c))
            })
            .collect();
        let siblings = Siblings::of(&comments);
        let anchors = comment_anchors(&comments, &siblings, source, language, &nesting);
        let anchor_of =
            |comment: &Node| anchors.get(&comment.id()).copied().unwrap_or(Anchor::File);
        for comment in &comments {
            attach_comment(
                *comment,
                &siblings,
                anchor_of(comment),
                source,
                syntax,
                facts,
            );
        }
        let in_comment = |line: u32| comment_at.contains_key(&line);
        refs::add_file_references(syntax, text, facts, in_comment, |_, line| {
            comment_at.get(&line).map_or(Anchor::File, anchor_of)
        });
        // A test case's title may be a spec scenario's name (OpenSpec teams name tests after
        // scenarios): a reference by title, which names something only if a scenario has it.
        for (i, definition) in facts.definitions.iter().enumerate() {
            if definition.kind == DefKind::TestCase {
                facts.references.push(Reference {
                    target: definition.name.clone(),
                    marker: Relation::Verifies,
                    relation: Relation::Verifies,
                    anchor: Anchor::Definition(i),
                    position: Position {
                        line: definition.start_line,
                        column: 0,
                    },
                    local: true,
                    feature: None,
                    by_title: true,
                    tool: crate::facts::Tool::Kg,
                    artifact: None,
                    quote: None,
                });
            }
        }
    }
}

/// Sorts definitions so that every definition comes after the ones that contain it.
fn sorted_by_nesting(mut raw: Vec<RawDefinition<'_>>) -> Vec<RawDefinition<'_>> {
    raw.sort_by_key(|d| (d.node.start_byte(), std::cmp::Reverse(d.node.end_byte())));
    raw
}

/// Works out parents, kinds and unique qualified names, and pushes the definitions into `facts`.
fn assemble_definitions(raw: &[RawDefinition], separator: &str, facts: &mut FileFacts) {
    let mut stack: Vec<usize> = Vec::new();
    let mut scope_paths: Vec<String> = Vec::with_capacity(raw.len());
    let mut seen: HashMap<String, u32> = HashMap::new();
    for (index, def) in raw.iter().enumerate() {
        while let Some(&top) = stack.last() {
            if raw[top].node.end_byte() >= def.node.end_byte() {
                break;
            }
            stack.pop();
        }
        let parent = stack.last().copied();
        let parent_kind = parent.map(|p| raw[p].kind);
        let kind = match (def.kind, parent_kind) {
            (DefKind::Function, Some(DefKind::Impl | DefKind::Trait)) => DefKind::Method,
            (kind, _) => kind,
        };
        let join = |prefix: &str, name: &str| match parent_kind {
            None => name.to_owned(),
            // Test names read as a chain: `search box > lower-cases the query`.
            Some(DefKind::Suite) => format!("{prefix} > {name}"),
            Some(_) => format!("{prefix}{separator}{name}"),
        };
        let prefix = parent.map_or("", |p| scope_paths[p].as_str());
        let base = join(prefix, &def.name);
        scope_paths.push(join(prefix, &def.scope_name));
        let count = seen.entry(base.clone()).or_insert(0);
        *count += 1;
        let qualified_name = if *count == 1 {
            base
        } else {
            format!("{base}~{count}")
        };
        facts.definitions.push(Definition {
            kind,
            name: def.name.clone(),
            qualified_name,
            start_line: def.node.start_position().row as u32 + 1,
            end_line: def.node.end_position().row as u32 + 1,
            start_byte: def.node.start_byte(),
            end_byte: def.node.end_byte(),
            parent,
            is_test: def.is_test,
        });
        stack.push(index);
    }
}

/// The callee as written, without `self.`/`this.` receivers or arguments: `check_size`,
/// `Gateway::new`, `crate::scan::scan_for_malware`, `render`.
/// Returns `None` for callees that are not names (`f()()`, `(a || b)()`, `it.each(t)(...)`).
fn callee_name(callee: Node, source: &[u8], namespaces: &[&str]) -> Option<String> {
    let node = match callee.kind() {
        "member_expression" => {
            let property = callee.child_by_field_name("property")?;
            let object = callee.child_by_field_name("object")?;
            let qualifier = node_text(object, source);
            if object.kind() == "identifier" && namespaces.contains(&qualifier) {
                return Some(format!("{qualifier}.{}", node_text(property, source)));
            }
            property
        }
        "identifier" | "scoped_identifier" | "field_identifier" => callee,
        _ => return None,
    };
    Some(node_text(node, source).split_whitespace().collect())
}

fn node_text<'s>(node: Node, source: &'s [u8]) -> &'s str {
    node.utf8_text(source).unwrap_or("")
}

/// Reports the first syntax error; the rest of the tree is still used.
fn report_syntax_errors(tree: &Tree, facts: &mut FileFacts) {
    let root = tree.root_node();
    if !root.has_error() {
        return;
    }
    let mut cursor = root.walk();
    let mut count = 0u32;
    let mut first = None;
    loop {
        let node = cursor.node();
        let bad = node.is_error() || node.is_missing();
        if bad {
            count += 1;
            first.get_or_insert(node.start_position());
        }
        if !bad && node.has_error() && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                let position = first.map(|p| Position {
                    line: p.row as u32 + 1,
                    column: p.column as u32 + 1,
                });
                let message = format!(
                    "syntax error ({count} in this file); definitions were still read from the parts that parse"
                );
                facts.diagnostic(Severity::Warning, position, message);
                return;
            }
        }
    }
}

/// How many unnamed tokens in a row (brackets, operators) tree-sitter's query cursor is given.
/// At every node it looks along the later siblings for a named one, so a run of n unnamed
/// siblings costs n² steps: 40,000 unclosed `(`, which error recovery leaves side by side, took
/// half a minute. Real code never has hundreds of such tokens without a name or literal between.
const MAX_UNNAMED_RUN: usize = 256;

/// How many such runs a file may have before kg stops reading it past the last.
const MAX_UNNAMED_RUNS: usize = 64;

/// A run of unnamed sibling tokens.
struct Run {
    tokens: usize,
    start: usize,
    end: usize,
    from: tree_sitter::Point,
    to: tree_sitter::Point,
}

/// The byte ranges the query reads: the whole file, or, when error recovery left more than
/// [`MAX_UNNAMED_RUN`] unnamed tokens side by side, the parts around each such run, every run
/// named in a diagnostic. Found in one walk of the parts that hold errors: only error recovery
/// lays tokens side by side without bound (a clean tree's repetitions are balanced).
fn readable_regions(tree: &Tree, len: usize, facts: &mut FileFacts) -> Vec<std::ops::Range<usize>> {
    let root = tree.root_node();
    if !root.has_error() {
        return std::iter::once(0..len).collect();
    }
    let mut runs: Vec<Run> = Vec::new();
    let close = |run: &mut Option<Run>, runs: &mut Vec<Run>| {
        if let Some(run) = run.take().filter(|r| r.tokens > MAX_UNNAMED_RUN) {
            runs.push(run);
        }
    };
    let mut cursor = root.walk();
    // The run of unnamed children at each level of the walk.
    let mut levels: Vec<Option<Run>> = vec![None];
    'walk: loop {
        let node = cursor.node();
        if let Some(level) = levels.last_mut().filter(|_| node != root) {
            if node.is_named() {
                close(level, &mut runs);
            } else {
                let run = level.get_or_insert(Run {
                    tokens: 0,
                    start: node.start_byte(),
                    end: 0,
                    from: node.start_position(),
                    to: node.end_position(),
                });
                run.tokens += 1;
                run.end = node.end_byte();
                run.to = node.end_position();
            }
        }
        if node.has_error() && cursor.goto_first_child() {
            levels.push(None);
            continue;
        }
        while !cursor.goto_next_sibling() {
            if let Some(mut level) = levels.pop() {
                close(&mut level, &mut runs);
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    runs.sort_by_key(|r| r.start);
    let mut regions = Vec::new();
    let mut start = 0;
    for (i, run) in runs.iter().take(MAX_UNNAMED_RUNS).enumerate() {
        let rest = if i + 1 == MAX_UNNAMED_RUNS {
            format!(
                "; this is the {MAX_UNNAMED_RUNS}th such run, so nothing past it was read either"
            )
        } else {
            String::new()
        };
        facts.diagnostic(
            Severity::Warning,
            Some(Position {
                line: run.from.row as u32 + 1,
                column: run.from.column as u32 + 1,
            }),
            format!(
                "{} brackets or operators in a row (lines {}-{}), more than {MAX_UNNAMED_RUN} \
                 (unclosed brackets?): definitions and references among them were not read{rest}",
                run.tokens,
                run.from.row + 1,
                run.to.row + 1,
            ),
        );
        regions.push(start..run.start);
        start = run.end;
    }
    if runs.len() < MAX_UNNAMED_RUNS {
        regions.push(start..len);
    }
    regions.retain(|r| !r.is_empty());
    regions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::FileKind;
    use crate::parse::refs::NATIVE;

    fn parse(path: &str, language: Language, is_test_file: bool, text: &str) -> FileFacts {
        let queries = CodeQueries::new();
        let mut parser = CodeParser::new(&queries);
        let mut facts = FileFacts::new(path, FileKind::Code(language), "0", text.len() as u64);
        facts.is_test_file = is_test_file;
        parser.parse(language, text, &NATIVE, &mut facts);
        facts
    }

    fn names(facts: &FileFacts) -> Vec<String> {
        facts
            .definitions
            .iter()
            .map(|d| {
                let test = if d.is_test { " test" } else { "" };
                format!(
                    "{} {} {}-{}{test}",
                    d.kind.as_str(),
                    d.qualified_name,
                    d.start_line,
                    d.end_line
                )
            })
            .collect()
    }

    fn refs(facts: &FileFacts) -> Vec<String> {
        facts
            .references
            .iter()
            .map(|r| {
                let at = match r.anchor {
                    Anchor::File => "<file>".to_owned(),
                    Anchor::Definition(i) => facts.definitions[i].qualified_name.clone(),
                    Anchor::Section(i) => format!("section {i}"),
                };
                format!(
                    "{}:{} {} {} -> {at}",
                    r.position.line,
                    r.position.column,
                    r.relation.marker(),
                    r.target
                )
            })
            .collect()
    }

    const RUST: &str = r#"//! implements: f
use std::fmt;

pub struct Gateway<T> { t: T }

impl<T> Gateway<T> {
    /// implements: f/AC-1
    #[inline]
    pub fn validate(&self) -> bool {
        self.check_size() && helper::<u8>()
    }
    fn check_size(&self) -> bool {
        // implements: f/size-limit
        true
    }
}

impl<T> fmt::Display for Gateway<T> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result { Ok(()) }
}

// not attached to anything below

fn helper<X>() -> bool { assert!(validate_all(1)); true }

#[cfg(test)]
mod tests {
    use super::*;

    // implements: f/AC-1
    #[tokio::test]
    async fn checks() { Gateway::new(); }

    fn support() {}
}
"#;

    // verifies: index/code
    #[test]
    fn rust_definitions_tests_and_qualified_names() {
        let facts = parse("src/gateway.rs", Language::Rust, false, RUST);
        assert_eq!(
            names(&facts),
            vec![
                "struct Gateway 4-4",
                "impl impl Gateway<T> 6-16",
                "method Gateway::validate 9-11",
                "method Gateway::check_size 12-15",
                "impl impl fmt::Display for Gateway<T> 18-20",
                "method <Gateway as fmt::Display>::fmt 19-19",
                "function helper 24-24",
                "module tests 27-35",
                "function tests::checks 32-32 test",
                "function tests::support 34-34",
            ]
        );
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
    }

    // verifies: index/references
    #[test]
    fn rust_comments_attach_to_the_right_definition() {
        let facts = parse("src/gateway.rs", Language::Rust, false, RUST);
        assert_eq!(
            refs(&facts),
            vec![
                "1:17 implements f -> <file>",
                "7:21 implements f/AC-1 -> Gateway::validate",
                "13:24 implements f/size-limit -> Gateway::check_size",
                "30:20 verifies f/AC-1 -> tests::checks",
            ]
        );
    }

    // verifies: index/references
    #[test]
    fn a_marker_on_any_line_of_the_block_above_attaches_to_what_follows() {
        let text = "pub struct G;\nimpl G {\n    /// Docs first.\n    /// implements: f/b\n    pub fn m(&self) {}\n}\n/// Sums the cart.\n/// implements: f/a\npub fn total() {}\n/// Docs.\n// implements: f/c\n#[inline]\nfn inlined() {}\n// implements: f/d\n\nfn after_blank() {}\n";
        let facts = parse("src/g.rs", Language::Rust, false, text);
        assert_eq!(
            refs(&facts),
            vec![
                "4:21 implements f/b -> G::m",
                "8:17 implements f/a -> total",
                "11:16 implements f/c -> inlined",
                "14:16 implements f/d -> <file>",
            ]
        );
    }

    // verifies: index/bounded
    #[test]
    fn a_long_run_of_comments_attaches_in_linear_time() {
        // 5,000 doc comment lines above one function took minutes: each line walked to the
        // function through siblings that tree-sitter finds by walking their parent.
        let mut text = String::new();
        for i in 0..20_000 {
            text.push_str(&format!("/// implements: f/AC-{i}\n"));
        }
        text.push_str("pub fn f() {}\n// implements: f/last\n\nfn g() {}\n");
        let started = std::time::Instant::now();
        let facts = parse("src/lib.rs", Language::Rust, false, &text);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(facts.references.len(), 20_001);
        assert!(
            facts.references[..20_000]
                .iter()
                .all(|r| r.anchor == Anchor::Definition(0))
        );
        // Not across a blank line.
        assert_eq!(facts.references[20_000].anchor, Anchor::File);
    }

    #[test]
    fn a_comment_after_code_on_the_same_line_belongs_to_that_code() {
        let text = "const A: u32 = 1; // implements: f/AC-1\nfn after() {}\n";
        let facts = parse("src/a.rs", Language::Rust, false, text);
        assert_eq!(refs(&facts), vec!["1:34 implements f/AC-1 -> A"]);
    }

    #[test]
    fn rust_calls_by_name_with_their_caller() {
        let facts = parse("src/gateway.rs", Language::Rust, false, RUST);
        let calls: Vec<_> = facts
            .calls
            .iter()
            .map(|c| {
                let caller = c
                    .caller
                    .map_or("<file>", |i| facts.definitions[i].qualified_name.as_str());
                format!("{caller} -> {} @{}", c.callee, c.line)
            })
            .collect();
        assert_eq!(
            calls,
            vec![
                "Gateway::validate -> check_size @10",
                "Gateway::validate -> helper @10",
                "helper -> validate_all @24",
                "tests::checks -> Gateway::new @32",
            ]
        );
    }

    fn imports(facts: &FileFacts) -> Vec<String> {
        facts.imports.iter().map(Import::to_literal).collect()
    }

    // verifies: trace/calls
    #[test]
    fn rust_use_trees_expand_to_one_import_a_name() {
        let text = "use crate::scan::{self, scan, Gateway as Gw, sub::{deep::*, x as _}};\nuse super::*;\nuse kg::calls::resolve;\nfn f() { use std::io; }\n";
        let facts = parse("tests/t.rs", Language::Rust, true, text);
        assert_eq!(
            imports(&facts),
            vec![
                "::*",
                "::scan",
                "kg/calls::resolve",
                "scan::Gateway as Gw",
                "scan::scan",
                "scan/sub::x",
                "scan/sub/deep::*",
                "std::io",
            ]
        );
    }

    // verifies: trace/calls
    #[test]
    fn typescript_imports_and_namespace_calls() {
        let text = "import check, { validate, upload as send } from '../lib/upload.js';\nimport * as gw from './gateway/index';\nimport type { T } from './types';\ngw.open();\nclient.close();\n";
        let facts = parse("src/app.ts", Language::TypeScript, false, text);
        assert_eq!(
            imports(&facts),
            vec![
                "gateway::* as gw",
                "lib/upload::check",
                "lib/upload::upload as send",
                "lib/upload::validate",
                "types::T",
            ]
        );
        let callees: Vec<&str> = facts.calls.iter().map(|c| c.callee.as_str()).collect();
        assert_eq!(callees, vec!["gw.open", "close"]);
    }

    #[test]
    fn calls_in_macro_arguments_count_and_attribute_arguments_do_not() {
        let facts = parse(
            "src/a.rs",
            Language::Rust,
            false,
            "#[cfg(any(unix, not(windows)))]\nfn t() {\n    assert_eq!(size(1), vec![limit(2)]);\n}\n",
        );
        let mut callees: Vec<&str> = facts.calls.iter().map(|c| c.callee.as_str()).collect();
        callees.sort();
        // A nested macro's name reads as a call too; it resolves to nothing.
        assert_eq!(callees, vec!["limit", "size", "vec"]);
    }

    #[test]
    fn everything_in_a_tests_file_is_a_test() {
        let facts = parse(
            "tests/api.rs",
            Language::Rust,
            true,
            "fn a() {}\nmod m { fn b() {} }\n",
        );
        assert_eq!(
            names(&facts),
            vec![
                "function a 1-1 test",
                "module m 2-2",
                "function m::b 2-2 test"
            ]
        );
    }

    const TS: &str = r#"import { x } from "y";

/** A search box. */
export class SearchBox {
  /** implements: search/AC-1 */
  submit(q: string): void { this.run(lower(q)); }
  private run = (q: string) => fetch(q);
}

export interface Options { max: number }
export const LIMIT = 10;
const local = 3;
export const lower = (s: string): string => s.toLowerCase();
// implements: search/AC-2

export function unrelated() {}
"#;

    #[test]
    fn typescript_definitions_and_references() {
        let facts = parse("src/search.ts", Language::TypeScript, false, TS);
        assert_eq!(
            names(&facts),
            vec![
                "class SearchBox 4-8",
                "method SearchBox.submit 6-6",
                "method SearchBox.run 7-7",
                "interface Options 10-10",
                "const LIMIT 11-11",
                "function lower 13-13",
                "function unrelated 16-16",
            ]
        );
        assert_eq!(
            refs(&facts),
            vec![
                "5:19 implements search/AC-1 -> SearchBox.submit",
                "14:16 implements search/AC-2 -> <file>"
            ]
        );
        let callees: Vec<_> = facts.calls.iter().map(|c| c.callee.as_str()).collect();
        assert_eq!(callees, vec!["run", "lower", "fetch", "toLowerCase"]);
    }

    #[test]
    fn typescript_tests_are_named_by_their_describe_chain() {
        let text = r#"import { describe, it, test } from "vitest";
describe("search box", () => {
  // verifies: search/AC-1
  it("lower-cases the query", () => { expect(lower("A")).toBe("a"); });
  describe.skip("errors", () => {
    test(`rejects empty`, () => {});
  });
});
Deno.test({ name: "deno style", fn() {} });
"#;
        let facts = parse("src/search.test.ts", Language::TypeScript, true, text);
        assert_eq!(
            names(&facts),
            vec![
                "suite search box 2-8 test",
                "test search box > lower-cases the query 4-4 test",
                "suite search box > errors 5-7 test",
                "test search box > errors > rejects empty 6-6 test",
                "test deno style 9-9 test",
            ]
        );
        // Each test case's title is also a reference by title, for specs that name scenarios.
        assert_eq!(
            refs(&facts),
            vec![
                "3:16 verifies search/AC-1 -> search box > lower-cases the query",
                "4:0 verifies lower-cases the query -> search box > lower-cases the query",
                "6:0 verifies rejects empty -> search box > errors > rejects empty",
                "9:0 verifies deno style -> deno style",
            ]
        );
        assert!(facts.references[1..].iter().all(|r| r.by_title && r.local));
    }

    #[test]
    fn syntax_errors_keep_the_good_parts() {
        let facts = parse(
            "src/broken.rs",
            Language::Rust,
            false,
            "fn good() {}\nfn bad( {\n\nfn also_good() {}\n",
        );
        assert!(
            names(&facts).iter().any(|n| n.starts_with("function good")),
            "{:?}",
            names(&facts)
        );
        assert_eq!(facts.diagnostics.len(), 1);
        assert!(facts.diagnostics[0].message.starts_with("syntax error"));
    }

    #[test]
    fn tsx_parses() {
        let text = "// implements: ui/AC-4\nexport function Bar(p: { n: number }) { return <div>{fmt(p.n)}</div>; }\n";
        let facts = parse("src/Bar.tsx", Language::Tsx, false, text);
        assert_eq!(names(&facts), vec!["function Bar 2-2"]);
        assert_eq!(refs(&facts), vec!["1:16 implements ui/AC-4 -> Bar"]);
        assert_eq!(facts.calls[0].callee, "fmt");
    }

    // verifies: index/bounded
    #[test]
    fn tens_of_thousands_of_unclosed_brackets_are_named_and_the_rest_is_read() {
        // Error recovery leaves the brackets as one flat node; the query cursor once took n² steps
        // on it (40,000 of them half a minute). Now the node is skipped and said to be.
        let n = 60_000;
        for (path, language, head, bracket) in [
            (
                "src/deep.rs",
                Language::Rust,
                "fn good() { helper(); }\n// implements: f/a\nfn bad() { ",
                "(",
            ),
            (
                "src/deep.ts",
                Language::TypeScript,
                "function good() { helper(); }\nconst a = ",
                "[",
            ),
        ] {
            let text = format!("{head}{}\n", bracket.repeat(n));
            let started = std::time::Instant::now();
            let facts = parse(path, language, false, &text);
            let took = started.elapsed();
            assert!(took.as_secs() < 10, "{path}: {took:?}");
            let names = names(&facts);
            assert!(
                names.iter().any(|n| n.starts_with("function good")),
                "{path}: {names:?}"
            );
            assert_eq!(facts.calls.len(), 1, "{path}: {:?}", facts.calls);
            let crowded: Vec<&str> = facts
                .diagnostics
                .iter()
                .map(|d| d.message.as_str())
                .filter(|m| m.contains("brackets or operators in a row"))
                .collect();
            assert_eq!(crowded.len(), 1, "{path}: {:?}", facts.diagnostics);
            let line = text.lines().count();
            assert!(
                crowded[0].contains(&format!("in a row (lines {line}-{line}), more than 256")),
                "{}",
                crowded[0]
            );
        }
    }

    #[test]
    fn a_thousand_operators_in_a_clean_file_are_read_as_usual() {
        // Only error recovery builds flat nodes: a long but well-formed expression is read.
        let sum = vec!["1"; 3_000].join(" + ");
        let text = format!("fn total() -> u32 {{ {sum} }}\nfn after() {{ total(); }}\n");
        let facts = parse("src/sum.rs", Language::Rust, false, &text);
        assert_eq!(
            names(&facts),
            vec!["function total 1-1", "function after 2-2"]
        );
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
        assert_eq!(facts.calls.len(), 1);
    }
}
