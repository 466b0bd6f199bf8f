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

const RUST_QUERY: &str = include_str!("../../queries/tree-sitter/rust.scm");
const TYPESCRIPT_QUERY: &str = include_str!("../../queries/tree-sitter/typescript.scm");

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
        let mut comments = Vec::new();
        let mut calls: Vec<(Node, Option<Node>)> = Vec::new();
        let mut imports = Vec::new();
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
                && (facts.is_test_file || has_test_attribute(node, source));
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
        for (callee, name) in named_calls {
            // `Ok(..)`, `Some(..)`, `Point(..)`: tuple structs and variants, not functions.
            let last = name.rsplit("::").next().unwrap_or(&name);
            if language == Language::Rust && last.starts_with(|c: char| c.is_ascii_uppercase()) {
                continue;
            }
            let caller = innermost(&facts.definitions, callee.start_byte(), callee.end_byte());
            facts.calls.push(Call {
                caller,
                callee: name,
                line: callee.start_position().row as u32 + 1,
            });
        }

        for comment in comments {
            attach_comment(comment, source, language, syntax, facts);
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

/// The calls in a token tree and the token trees nested in it: each identifier whose next named
/// sibling is a token tree.
fn token_tree_calls(tokens: Node<'_>) -> Vec<Node<'_>> {
    let mut calls = Vec::new();
    let mut stack = vec![tokens];
    while let Some(tree) = stack.pop() {
        let mut cursor = tree.walk();
        let mut previous: Option<Node> = None;
        for child in tree.named_children(&mut cursor) {
            if child.kind() == "token_tree" {
                if let Some(name) = previous.filter(|p| p.kind() == "identifier") {
                    calls.push(name);
                }
                stack.push(child);
            }
            previous = Some(child);
        }
    }
    calls
}

/// `impl Gateway` / `impl Display for Gateway`, and the prefix its items get: `Gateway` or
/// `<Gateway as Display>`. Generic arguments are left out of the prefix.
fn impl_names(node: Node, source: &[u8]) -> (String, String) {
    let ty = node
        .child_by_field_name("type")
        .map_or("_", |t| node_text(t, source));
    let ty_base = strip_generics(ty);
    match node.child_by_field_name("trait") {
        Some(tr) => {
            let tr = node_text(tr, source);
            (
                format!("impl {tr} for {ty}"),
                format!("<{ty_base} as {}>", strip_generics(tr)),
            )
        }
        None => (format!("impl {ty}"), ty_base.to_owned()),
    }
}

fn strip_generics(name: &str) -> &str {
    name.find('<').map_or(name, |i| &name[..i]).trim()
}

/// Rust test attributes: `#[test]`, `#[tokio::test]`, `#[rstest]`, `#[test_case(..)]`, ...
fn has_test_attribute(function: Node, source: &[u8]) -> bool {
    let mut sibling = function.prev_named_sibling();
    while let Some(node) = sibling {
        match node.kind() {
            "attribute_item" => {
                let text = node_text(node, source);
                let path = text
                    .trim_start_matches("#[")
                    .split(['(', ']', '='])
                    .next()
                    .unwrap_or("")
                    .trim();
                let last = path.rsplit("::").next().unwrap_or(path);
                if matches!(
                    last,
                    "test"
                        | "rstest"
                        | "test_case"
                        | "quickcheck"
                        | "proptest"
                        | "wasm_bindgen_test"
                ) {
                    return true;
                }
            }
            "line_comment" | "block_comment" => {}
            _ => return false,
        }
        sibling = node.prev_named_sibling();
    }
    false
}

/// Recognises `describe("x", ...)`, `it(...)`, `test.only(...)`, `Deno.test(...)` and returns the
/// kind and name of the test definition the call makes.
fn test_call(callee: Node, arguments: Node, source: &[u8]) -> Option<(DefKind, String)> {
    let path = node_text(callee, source);
    let mut parts = path.split('.');
    let head = parts.next()?;
    let (kind, rest) = match head {
        "describe" | "suite" | "context" | "fdescribe" | "xdescribe" => (DefKind::Suite, parts),
        "it" | "test" | "fit" | "xit" => (DefKind::TestCase, parts),
        "Deno" if parts.next() == Some("test") => (DefKind::TestCase, parts),
        _ => return None,
    };
    if !rest
        .into_iter()
        .all(|p| matches!(p, "only" | "skip" | "todo" | "concurrent" | "ignore"))
    {
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

fn string_content(node: Node, source: &[u8]) -> String {
    let text = node_text(node, source);
    text.get(1..text.len().saturating_sub(1))
        .unwrap_or("")
        .to_owned()
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

/// Expands a Rust use tree (`crate::scan::{self, scan, Gateway as Gw, sub::*}`) under `prefix`
/// into imports, one a name.
fn expand_use(prefix: &[&str], text: &str, out: &mut Vec<Import>) {
    let text = text.trim();
    if let Some(open) = text.find('{') {
        let head = text[..open].trim().trim_end_matches("::");
        let inner = text[open + 1..].trim_end();
        let inner = inner.strip_suffix('}').unwrap_or(inner);
        let mut path = prefix.to_vec();
        path.extend(head.split("::").map(str::trim).filter(|s| !s.is_empty()));
        for item in split_top_level(inner) {
            expand_use(&path, item, out);
        }
        return;
    }
    let (path_text, alias) = match text.rsplit_once(" as ") {
        Some((path, alias)) => (path, Some(alias.trim())),
        None => (text, None),
    };
    let mut path = prefix.to_vec();
    path.extend(
        path_text
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty()),
    );
    // `a::{self}` imports the module `a` itself.
    if path.last() == Some(&"self") {
        path.pop();
    }
    let Some((name, module)) = path.split_last() else {
        return;
    };
    if matches!(*name, "crate" | "self" | "super") {
        return;
    }
    let module: Vec<&str> = module
        .iter()
        .copied()
        .filter(|s| !matches!(*s, "crate" | "self" | "super"))
        .collect();
    out.push(Import {
        module: module.join("/"),
        name: (*name).to_owned(),
        alias: alias.filter(|a| *a != "_" && a != name).map(str::to_owned),
    });
}

/// Splits a use list at its top-level commas.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// The imports of a TypeScript `import` statement: default, namespace and named.
fn typescript_imports(statement: Node, source: &[u8], out: &mut Vec<Import>) {
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
fn typescript_module(specifier: &str) -> String {
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

fn node_text<'s>(node: Node, source: &'s [u8]) -> &'s str {
    node.utf8_text(source).unwrap_or("")
}

/// Index of the innermost definition whose range holds `start..end`.
fn innermost(definitions: &[Definition], start: usize, end: usize) -> Option<usize> {
    definitions
        .iter()
        .enumerate()
        .filter(|(_, d)| d.start_byte <= start && end <= d.end_byte)
        .min_by_key(|(_, d)| d.end_byte - d.start_byte)
        .map(|(i, _)| i)
}

/// Finds the markers in a comment and attaches each reference: to the definition the comment
/// directly precedes (other comments, attributes and decorators may stand between, blank lines may
/// not), else to the innermost definition holding the comment, else to the file.
fn attach_comment(
    comment: Node,
    source: &[u8],
    language: Language,
    syntax: &dyn MarkerSyntax,
    facts: &mut FileFacts,
) {
    let text = node_text(comment, source);
    let start = Position {
        line: comment.start_position().row as u32 + 1,
        column: comment.start_position().column as u32 + 1,
    };
    let found = refs::scan_block(syntax, text, start);
    if found.is_empty() {
        return;
    }
    let inner_doc =
        language == Language::Rust && (text.starts_with("//!") || text.starts_with("/*!"));
    let anchor = if inner_doc {
        None
    } else {
        following_definition(comment, source, &facts.definitions)
    }
    .or_else(|| innermost(&facts.definitions, comment.start_byte(), comment.end_byte()))
    .map_or(Anchor::File, Anchor::Definition);
    let in_test = match anchor {
        Anchor::Definition(i) => facts.definitions[i].is_test,
        _ => facts.is_test_file,
    };
    for (marker, target, position) in found {
        let relation = match marker {
            Relation::Implements if in_test => Relation::Verifies,
            other => other,
        };
        facts.references.push(Reference {
            target,
            marker,
            relation,
            anchor,
            position,
        });
    }
}

fn following_definition(comment: Node, source: &[u8], definitions: &[Definition]) -> Option<usize> {
    // A comment at the end of a line of code belongs to that code, not to what follows.
    if trails_code(comment, source) {
        return comment
            .prev_sibling()
            .and_then(|previous| outermost_within(previous, definitions));
    }
    let mut previous_end = last_row(comment);
    let mut sibling = comment.next_sibling();
    while let Some(node) = sibling {
        if node.start_position().row > previous_end + 1 {
            return None;
        }
        match node.kind() {
            "line_comment" | "block_comment" | "comment" | "attribute_item" | "decorator" => {
                previous_end = last_row(node);
                sibling = node.next_sibling();
            }
            _ if !node.is_named() => sibling = node.next_sibling(),
            _ => return outermost_within(node, definitions),
        }
    }
    None
}

/// Whether code stands before `comment` on the line where it starts.
fn trails_code(comment: Node, source: &[u8]) -> bool {
    let start = comment.start_byte();
    let line_start = source[..start]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    source[line_start..start]
        .iter()
        .any(|b| !b.is_ascii_whitespace())
}

/// The last row that holds any of `node`: a Rust line comment ends with its newline, at column 0
/// of the next row, which is not a row of the comment.
fn last_row(node: Node) -> usize {
    let end = node.end_position();
    if end.column == 0 && end.row > node.start_position().row {
        end.row - 1
    } else {
        end.row
    }
}

/// The outermost definition inside `node` (an `export` statement wraps its declaration; an
/// expression statement wraps an `it(...)` call).
fn outermost_within(node: Node, definitions: &[Definition]) -> Option<usize> {
    definitions
        .iter()
        .enumerate()
        .filter(|(_, d)| node.start_byte() <= d.start_byte && d.end_byte <= node.end_byte())
        .min_by_key(|(_, d)| d.start_byte)
        .map(|(i, _)| i)
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
        assert_eq!(
            refs(&facts),
            vec!["3:16 verifies search/AC-1 -> search box > lower-cases the query"]
        );
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
}
