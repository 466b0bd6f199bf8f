//! The facts kg extracts from one file: plain data, no IRIs, no I/O.
//!
//! Parsers produce a [`FileFacts`] from a file's path and bytes alone, so facts can be cached by
//! blob id. Everything that needs the whole repository (dangling references, mentions of known ids)
//! happens later, in `index` and `graph`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// What kg makes of a file, decided by `config::FileRules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FileKind {
    Spec,
    Doc,
    Code(Language),
    /// A file kg reads only for the tags in its comments (Swift, Python, YAML, ...).
    Text,
}

/// The source languages kg parses with tree-sitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Language {
    Rust,
    TypeScript,
    Tsx,
}

impl Language {
    /// The short name used in symbol IRIs (`sym/<lang>/...`) and in the graph.
    pub fn tag(self) -> &'static str {
        match self {
            Language::Rust => "rust",
            Language::TypeScript | Language::Tsx => "ts",
        }
    }
}

/// A 1-based position in a file.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// How bad a diagnostic is. Errors mean part of a file could not be read; warnings mean kg read it
/// but something in it is probably a mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A problem found in the input, always tied to a file and, where there is one, a position.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Diagnostic {
    pub path: String,
    pub position: Option<Position>,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    pub fn new(
        severity: Severity,
        path: &str,
        position: Option<Position>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            path: path.to_owned(),
            position,
            severity,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(p) = self.position {
            write!(f, ":{}:{}", p.line, p.column)?;
        }
        write!(f, ": {}: {}", self.severity.as_str(), self.message)
    }
}

/// A feature from a spec file, with its acceptance criteria and non-functional requirements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    pub name: String,
    pub line: u32,
    pub spec_version: Option<String>,
    pub owner: Option<String>,
    pub description: Option<String>,
    pub items: Vec<SpecItem>,
    pub dependencies: Vec<Dependency>,
    /// Keys the seed format does not define, kept as data (values rendered as JSON).
    pub extra: BTreeMap<String, String>,
    /// The tool whose spec syntax defines it: only that tool's tags name its items.
    #[serde(default)]
    pub tool: Tool,
}

/// Whether an item is an acceptance criterion or a non-functional requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ItemKind {
    Acceptance,
    Nfr { category: String },
}

/// The item attribute that holds a scenario's name (OpenSpec), which a test's title may repeat.
pub const SCENARIO: &str = "scenario";

/// One acceptance criterion or NFR. Its full id is `feature/local_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpecItem {
    pub local_id: String,
    /// True when the id was written in the spec, false when it comes from the item's position.
    pub explicit_id: bool,
    pub kind: ItemKind,
    pub text: String,
    /// 1-based position in its list (acceptance, or the NFR category).
    pub position: u32,
    pub line: u32,
    pub extra: BTreeMap<String, String>,
}

/// A dependency of a feature, e.g. `"UserService: for associating image with user."`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dependency {
    pub name: String,
    pub description: Option<String>,
    pub line: u32,
}

/// The kind of a code definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DefKind {
    Module,
    Function,
    Method,
    Struct,
    Enum,
    Union,
    Trait,
    Impl,
    TypeAlias,
    Const,
    Static,
    Macro,
    Class,
    Interface,
    Namespace,
    /// A test group: a TypeScript `describe` block.
    Suite,
    /// A test case: a TypeScript `it`/`test`/`Deno.test` call.
    TestCase,
}

impl DefKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DefKind::Module => "module",
            DefKind::Function => "function",
            DefKind::Method => "method",
            DefKind::Struct => "struct",
            DefKind::Enum => "enum",
            DefKind::Union => "union",
            DefKind::Trait => "trait",
            DefKind::Impl => "impl",
            DefKind::TypeAlias => "type",
            DefKind::Const => "const",
            DefKind::Static => "static",
            DefKind::Macro => "macro",
            DefKind::Class => "class",
            DefKind::Interface => "interface",
            DefKind::Namespace => "namespace",
            DefKind::Suite => "suite",
            DefKind::TestCase => "test",
        }
    }

    /// Kinds whose names become part of the qualified names of what they contain.
    pub fn is_scope(self) -> bool {
        matches!(
            self,
            DefKind::Module
                | DefKind::Impl
                | DefKind::Trait
                | DefKind::Class
                | DefKind::Interface
                | DefKind::Namespace
                | DefKind::Suite
        )
    }
}

/// A definition found in code. Its identity is `(path, qualified_name)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Definition {
    pub kind: DefKind,
    /// The name as written (`validate`, `lower-cases the query`).
    pub name: String,
    /// The name within its file (`Gateway::validate`, `search box > lower-cases the query`),
    /// made unique within the file.
    pub qualified_name: String,
    pub start_line: u32,
    pub end_line: u32,
    /// Byte range, used to attach comments and calls; not part of the graph.
    pub start_byte: usize,
    pub end_byte: usize,
    /// Index of the enclosing definition in the file's list.
    pub parent: Option<usize>,
    pub is_test: bool,
}

/// The relation a reference marker declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Relation {
    Implements,
    Verifies,
    Documents,
    /// Covers in another way, named by the reference's artifact type (an OpenFastTrace design
    /// item covering a requirement, `Covers:` or `[dsn->req~x~1]`).
    Covers,
}

impl Relation {
    pub fn marker(self) -> &'static str {
        match self {
            Relation::Implements => "implements",
            Relation::Verifies => "verifies",
            Relation::Documents => "documents",
            Relation::Covers => "covers",
        }
    }
}

/// What a reference or mention is attached to in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Anchor {
    File,
    /// Index into `FileFacts::definitions`.
    Definition(usize),
    /// Index into `FileFacts::sections`.
    Section(usize),
}

/// A declared reference from a marker such as `// implements: imageUpload/AC-1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// The id as written: `FEATURE` or `FEATURE/ITEM`.
    pub target: String,
    /// The marker that was written.
    pub marker: Relation,
    /// The relation it establishes (an `implements:` on a test verifies).
    pub relation: Relation,
    pub anchor: Anchor,
    pub position: Position,
    /// True when the id is a spec format's own (`FR-003`, `T012`, `1.2`), written without its
    /// feature: which feature it names is decided once all specs are known (`link::ids`).
    #[serde(default)]
    pub local: bool,
    /// For a local id, the feature its comment names (a spec path, `Feature: x`).
    #[serde(default)]
    pub feature: Option<String>,
    /// True when the reference is a test case's title, which names the spec scenario of that
    /// name if there is one (a local id that names nothing is then no reference at all).
    #[serde(default)]
    pub by_title: bool,
    /// The tool whose syntax it is written in: its ids name only that tool's items.
    #[serde(default)]
    pub tool: Tool,
    /// The artifact type the tag says covers its target (OpenFastTrace's `impl`, `utest`,
    /// `dsn`), for an item whose spec says which types it needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
    /// The spec text the reference quotes (duvet's `//#` lines), whitespace collapsed: stale
    /// when the cited section no longer holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
}

/// A tool whose tags kg reads, which gives its items and references their own id space.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Tool {
    /// kg's markers and the spec formats' own ids (`FR-003`).
    #[default]
    Kg,
    /// tracey's `r[impl id]`, naming requirements of tracey's spec sets.
    Tracey,
    /// OpenFastTrace's `[impl->dsn~name~1]` and `Covers:`, naming OpenFastTrace's spec items.
    Oft,
    /// StrictDoc's `@relation(UID, scope=file)`, naming the nodes of `.sdoc` documents.
    StrictDoc,
    /// duvet's `//= spec#section` annotations, naming the sections of specs in the repository.
    Duvet,
}

impl Tool {
    /// The tool's name as the graph writes it (`kg:tool`).
    pub fn name(self) -> &'static str {
        match self {
            Tool::Kg => "kg",
            Tool::Tracey => "tracey",
            Tool::Oft => "openfasttrace",
            Tool::StrictDoc => "strictdoc",
            Tool::Duvet => "duvet",
        }
    }

    /// The tool of [`Tool::name`].
    pub fn named(name: &str) -> Option<Tool> {
        [
            Tool::Kg,
            Tool::Tracey,
            Tool::Oft,
            Tool::StrictDoc,
            Tool::Duvet,
        ]
        .into_iter()
        .find(|t| t.name() == name)
    }

    /// An id as written in this tool's tags, and the version (revision) it names: tracey's
    /// `link+2` is `link` at version 2, OpenFastTrace's `dsn~x~3` is `dsn~x` at revision 3.
    pub fn versioned(self, written: &str) -> (&str, Option<u32>) {
        let split = match self {
            Tool::Kg | Tool::StrictDoc | Tool::Duvet => return (written, None),
            Tool::Tracey => written.rsplit_once('+'),
            Tool::Oft => written.rsplit_once('~'),
        };
        match split {
            Some((id, v)) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
                (id, v.parse().ok())
            }
            _ => (written, None),
        }
    }
}

/// A task from a spec format's task list (`- [x] T012 [US1] ...`, `- [ ] 2.1 ...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// The feature whose task list holds it, or the OpenSpec change (`in_change`).
    pub feature: String,
    /// Whether it is a task of an OpenSpec change, which serves what the change's delta specs
    /// propose rather than items it names.
    #[serde(default)]
    pub in_change: bool,
    /// The id as written: `T012`, `2.1`.
    pub id: String,
    pub text: String,
    pub done: bool,
    pub line: u32,
    /// The ids of the feature's items it serves, as written and expanded (`US1`, `FR-003`, `1.1`).
    pub items: Vec<String>,
    /// The ids of the tasks it depends on.
    pub depends: Vec<String>,
    /// The repository paths it names (`src/sync/queue.rs`).
    pub paths: Vec<String>,
}

/// An id that a doc names in its prose without a marker: weaker evidence than a reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    pub target: String,
    pub anchor: Anchor,
    pub position: Position,
}

/// A call site, by the callee's name as written (`check_size`, `Gateway::new`), kept for later
/// resolution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// Index of the calling definition, or `None` at file level.
    pub caller: Option<usize>,
    pub callee: String,
    pub line: u32,
}

/// A name a code file brings into scope from another module: `use crate::scan::{scan, Gateway as
/// Gw}`, `use crate::f1::*`, `import { check } from './upload'`, `import * as up from './upload'`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Import {
    /// The module's path segments joined by `/`, without `crate`, `self`, `super`, `.` and `..`
    /// or a file extension: `scan`, `lib/upload`. Empty for the crate root.
    pub module: String,
    /// The imported name; `*` for a glob (`use m::*`) or a namespace (`import * as ns`), and the
    /// local name for a default import.
    pub name: String,
    /// The local name when it differs (`as`).
    pub alias: Option<String>,
}

impl Import {
    /// The name the importing file uses.
    pub fn local_name(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }

    /// The module's segments.
    pub fn module_segments(&self) -> Vec<&str> {
        self.module.split('/').filter(|s| !s.is_empty()).collect()
    }

    /// As stored in the graph: `module::name`, then ` as alias` when there is one.
    pub fn to_literal(&self) -> String {
        match &self.alias {
            Some(alias) => format!("{}::{} as {alias}", self.module, self.name),
            None => format!("{}::{}", self.module, self.name),
        }
    }

    /// Reads [`Import::to_literal`] back.
    pub fn from_literal(text: &str) -> Option<Import> {
        let (path, alias) = match text.split_once(" as ") {
            Some((path, alias)) => (path, Some(alias.to_owned())),
            None => (text, None),
        };
        let (module, name) = path.rsplit_once("::")?;
        Some(Import {
            module: module.to_owned(),
            name: name.to_owned(),
            alias,
        })
    }
}

/// A Markdown section: a heading and everything up to the next heading of the same or higher level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocSection {
    pub title: String,
    /// Titles from the top-level heading down to this one.
    pub heading_path: Vec<String>,
    pub level: u32,
    pub start_line: u32,
    pub end_line: u32,
    pub parent: Option<usize>,
}

/// Everything kg read from one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileFacts {
    pub path: String,
    pub kind: FileKind,
    /// Git blob id (hex).
    pub blob: String,
    pub size: u64,
    pub lines: u32,
    /// True when the file as a whole is a test file (under `tests/`, `*.test.ts`, ...).
    pub is_test_file: bool,
    /// True when kg did not parse the contents (binary, too large).
    pub skipped: bool,
    pub features: Vec<Feature>,
    pub definitions: Vec<Definition>,
    pub sections: Vec<DocSection>,
    pub references: Vec<Reference>,
    pub mentions: Vec<Mention>,
    pub calls: Vec<Call>,
    /// What a code file imports, for call resolution.
    #[serde(default)]
    pub imports: Vec<Import>,
    /// The tasks of a task list.
    #[serde(default)]
    pub tasks: Vec<Task>,
    /// For an OpenSpec delta spec (`openspec/changes/.../specs/<capability>/spec.md`), the full
    /// ids of the requirements it proposes to add, modify, remove or rename.
    #[serde(default)]
    pub proposes: Vec<String>,
    /// For a spec in a set a tool's configuration names (tracey's `specs`), the set's name,
    /// which names its feature. Set before parsing, and part of the facts' cache key.
    #[serde(default)]
    pub spec_set: Option<String>,
    pub diagnostics: Vec<Diagnostic>,
}

impl FileFacts {
    pub fn new(path: &str, kind: FileKind, blob: &str, size: u64) -> Self {
        FileFacts {
            path: path.to_owned(),
            kind,
            blob: blob.to_owned(),
            size,
            lines: 0,
            is_test_file: false,
            skipped: false,
            features: Vec::new(),
            definitions: Vec::new(),
            sections: Vec::new(),
            references: Vec::new(),
            mentions: Vec::new(),
            calls: Vec::new(),
            imports: Vec::new(),
            tasks: Vec::new(),
            proposes: Vec::new(),
            spec_set: None,
            diagnostics: Vec::new(),
        }
    }

    pub fn diagnostic(&mut self, severity: Severity, position: Option<Position>, message: String) {
        let d = Diagnostic::new(severity, &self.path, position, message);
        self.diagnostics.push(d);
    }
}
