//! `kg.toml`: which files are specs, docs and tests, what to leave out, and the IRI base.
//!
//! The file is optional and read from the indexed commit, like every other input. Unknown keys are
//! errors here (unlike in specs): a typo in the configuration would otherwise silently change what
//! is indexed.

// implements: index/files

use globset::{GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::facts::{FileKind, Language, Tool};
use crate::parse::spec::tracey::{TraceyImpl, TraceySpec};
use crate::parse::spec::{FORMATS, SpecFormat};

/// The configuration file's name, at the repository root.
pub const CONFIG_FILE: &str = "kg.toml";

/// Files larger than this are recorded but not parsed, unless `kg.toml` says otherwise.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 1024 * 1024;

const DEFAULT_DOCS: &[&str] = &["**/*.md", "**/*.markdown"];
const DEFAULT_TESTS: &[&str] = &[
    "**/tests/**",
    "**/test/**",
    "**/__tests__/**",
    "**/*.test.*",
    "**/*.spec.ts",
    "**/*.spec.tsx",
    "**/*.spec.mts",
    "**/*.spec.cts",
];
const DEFAULT_EXCLUDE: &[&str] = &["**/node_modules/**"];

/// An error in `kg.toml`, with its position.
#[derive(Debug, thiserror::Error)]
#[error("{CONFIG_FILE}:{line}:{column}: {message}")]
pub struct ConfigError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    base: Option<String>,
    #[serde(default)]
    files: RawFiles,
    #[serde(default)]
    trace: RawTrace,
    /// Per spec format: `false` turns it off, a list of globs moves its files.
    #[serde(default)]
    formats: std::collections::BTreeMap<String, FormatSetting>,
}

/// What `kg.toml` says of one spec format under `[formats]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum FormatSetting {
    /// `spec-kit = false` turns the format off; `true` leaves it as shipped.
    On(bool),
    /// `kiro = ["docs/kiro/*/requirements.md"]`: the files it claims instead of its own.
    Paths(Vec<String>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrace {
    require: Option<Vec<String>>,
    fail_on_stale: Option<bool>,
    inferred_distance: Option<u32>,
}

/// What `kg trace --check` requires, as `kg.toml` says (`None` where it says nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceConfig {
    /// Some of `implemented`, `verified`, `documented`.
    pub require: Option<Vec<String>>,
    pub fail_on_stale: Option<bool>,
    /// The most calls from a test to an item's implementation that count as verifying it (0:
    /// only declared verification counts).
    pub inferred_distance: Option<u32>,
}

/// The longest call chain from a test that kg follows to infer verification.
/// The deepest `kg.toml`'s arrays and inline tables may nest (kg's own keys nest two levels).
const MAX_DEPTH: usize = 32;

// implements: index/bounded
/// The line where `text`'s arrays and inline tables (outside strings and comments) first nest
/// deeper than [`MAX_DEPTH`], if they do: one pass, linear in the text.
fn too_deep(text: &str) -> Option<u32> {
    let bytes = text.as_bytes();
    let (mut depth, mut line, mut i) = (0usize, 1u32, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            quote @ (b'"' | b'\'') => {
                // A string, basic or literal, on one line or (tripled) on several.
                let triple = bytes[i..].starts_with(&[quote; 3]);
                i += if triple { 3 } else { 1 };
                while i < bytes.len() {
                    match bytes[i] {
                        b'\\' if quote == b'"' => i += 1,
                        b'\n' if triple => line += 1,
                        b'\n' => break,
                        q if q == quote && (!triple || bytes[i..].starts_with(&[quote; 3])) => {
                            i += if triple { 3 } else { 1 };
                            break;
                        }
                        _ => {}
                    }
                    i += 1;
                }
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(line);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

pub const MAX_INFERRED_DISTANCE: u32 = crate::link::calls::MAX_CALL_CHAIN;

/// The relations `require` may name.
pub const TRACE_RELATIONS: [&str; 3] = ["implemented", "verified", "documented"];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFiles {
    specs: Option<Vec<String>>,
    docs: Option<Vec<String>>,
    tests: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
    max_size: Option<u64>,
    /// Whether the spec files of checked-out submodules are read (default true).
    submodules: Option<bool>,
}

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The IRI base for this repository's resources, when set explicitly.
    pub base: Option<String>,
    pub rules: FileRules,
    pub trace: TraceConfig,
}

/// Decides what kind each path is.
#[derive(Debug, Clone)]
pub struct FileRules {
    specs: GlobSet,
    /// The spec formats that are on, in `FORMATS` order, with the files each claims.
    formats: Vec<(&'static SpecFormat, GlobSet)>,
    /// The spec sets a tool's configuration names, with their files.
    sets: Vec<(String, GlobSet)>,
    /// The files tracey's configuration reads tags in (its implementations' includes less
    /// their excludes), when there is a configuration.
    tracey_reads: Option<(GlobSet, GlobSet)>,
    docs: GlobSet,
    tests: GlobSet,
    exclude: GlobSet,
    pub max_file_size: u64,
    /// Whether the spec files of checked-out submodules are read, at the commits the
    /// superproject records.
    pub submodules: bool,
    /// The files a format claims by their content (`SpecFormat::sniff`) in the commit read,
    /// with the format: set by [`FileRules::claim`] once their bytes are read.
    sniffed: std::collections::HashMap<String, &'static SpecFormat>,
}

impl Default for Config {
    fn default() -> Self {
        Config::parse("").expect("the defaults are valid")
    }
}

impl Config {
    /// Parses the text of `kg.toml`.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse_with(text, &[])
    }

    /// Parses `kg.toml` (`text`) with the spec sets a tool's configuration names (tracey's):
    /// the `tracey` format claims their files unless `[formats]` says otherwise, and each file
    /// is in the set that names it.
    pub fn parse_with(text: &str, tracey: &[TraceySpec]) -> Result<Config, ConfigError> {
        // The TOML reader nests by recursion: refuse deep arrays and tables before it starts.
        if let Some(line) = too_deep(text) {
            return Err(ConfigError {
                line,
                column: 1,
                message: format!("arrays or tables nested deeper than {MAX_DEPTH} levels"),
            });
        }
        let raw: RawConfig = toml::from_str(text).map_err(|err| {
            let (line, column) = err
                .span()
                .map_or((1, 1), |span| line_column(text, span.start));
            ConfigError {
                line,
                column,
                message: err.message().trim_end_matches('.').to_owned(),
            }
        })?;
        // An error about `key`, at its first place in the text.
        let error_at = |key: &str, message: String| {
            let (line, column) = line_column(text, text.find(key).unwrap_or(0));
            ConfigError {
                line,
                column,
                message,
            }
        };
        let set = |key: &str, given: Option<Vec<String>>, default: &[&str]| {
            let globs: Vec<String> =
                given.unwrap_or_else(|| default.iter().map(|s| (*s).to_owned()).collect());
            glob_set(&globs).map_err(|message| error_at(key, message))
        };
        if let Some(base) = &raw.base
            && oxigraph::model::NamedNode::new(base.as_str()).is_err()
        {
            return Err(error_at(
                "base",
                format!(
                    "`base` must be an absolute IRI such as \"https://example.com/repo/\", not `{base}`"
                ),
            ));
        }
        if let Some(bad) = raw
            .trace
            .require
            .iter()
            .flatten()
            .find(|r| !TRACE_RELATIONS.contains(&r.as_str()))
        {
            return Err(error_at(
                "require",
                format!("`trace.require` takes implemented, verified and documented, not `{bad}`"),
            ));
        }
        if let Some(bad) = raw
            .trace
            .inferred_distance
            .filter(|d| *d > MAX_INFERRED_DISTANCE)
        {
            return Err(error_at(
                "inferred_distance",
                format!(
                    "`trace.inferred_distance` is at most {MAX_INFERRED_DISTANCE} (kg follows no longer call chains), not {bad}"
                ),
            ));
        }
        if let Some(unknown) = raw
            .formats
            .keys()
            .find(|name| !FORMATS.iter().any(|f| f.name == name.as_str()))
        {
            let names: Vec<&str> = FORMATS.iter().map(|f| f.name).collect();
            return Err(error_at(
                unknown,
                format!(
                    "`formats.{unknown}` is not a spec format kg reads (it reads {})",
                    names.join(", ")
                ),
            ));
        }
        let mut formats = Vec::new();
        for format in FORMATS {
            let paths = match raw.formats.get(format.name) {
                Some(FormatSetting::On(false)) => continue,
                Some(FormatSetting::Paths(paths)) => paths.clone(),
                Some(FormatSetting::On(true)) | None if format.name == "tracey" => tracey
                    .iter()
                    .flat_map(|s| s.include.iter().cloned())
                    .collect(),
                Some(FormatSetting::On(true)) | None => {
                    format.paths.iter().map(|p| (*p).to_owned()).collect()
                }
            };
            let claims = glob_set(&paths).map_err(|message| error_at(format.name, message))?;
            formats.push((format, paths, claims));
        }
        // A format that claims by content claims none of its candidates by path.
        let claimed: Vec<&str> = formats
            .iter()
            .filter(|(format, _, _)| format.sniff.is_none())
            .flat_map(|(_, paths, _)| paths.iter().map(String::as_str))
            .collect();
        let specs = set("specs", raw.files.specs, &claimed)?;
        let impls = |pick: fn(&TraceyImpl) -> &Vec<String>| {
            let globs: Vec<String> = tracey
                .iter()
                .flat_map(|s| s.impls.iter().flat_map(|i| pick(i).iter().cloned()))
                .collect();
            glob_set(&globs).map_err(|message| error_at("tracey", message))
        };
        let tracey_reads = if tracey.is_empty() {
            None
        } else {
            Some((impls(|i| &i.include)?, impls(|i| &i.exclude)?))
        };
        let mut sets = Vec::new();
        for spec in tracey {
            let claims = glob_set(&spec.include).map_err(|message| error_at("tracey", message))?;
            sets.push((spec.name.clone(), claims));
        }
        Ok(Config {
            trace: TraceConfig {
                require: raw.trace.require,
                fail_on_stale: raw.trace.fail_on_stale,
                inferred_distance: raw.trace.inferred_distance,
            },
            base: raw.base,
            rules: FileRules {
                specs,
                sets,
                tracey_reads,
                formats: formats
                    .into_iter()
                    .map(|(format, _, claims)| (format, claims))
                    .collect(),
                docs: set("docs", raw.files.docs, DEFAULT_DOCS)?,
                tests: set("tests", raw.files.tests, DEFAULT_TESTS)?,
                exclude: set("exclude", raw.files.exclude, DEFAULT_EXCLUDE)?,
                max_file_size: raw.files.max_size.unwrap_or(DEFAULT_MAX_FILE_SIZE),
                submodules: raw.files.submodules.unwrap_or(true),
                sniffed: std::collections::HashMap::new(),
            },
        })
    }
}

fn glob_set(globs: &[String]) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        let glob = globset::GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
            .map_err(|err| format!("bad glob `{glob}`: {}", err.kind()))?;
        builder.add(glob);
    }
    builder.build().map_err(|err| err.to_string())
}

fn line_column(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u32 + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1) as u32
        + 1;
    (line, column)
}

impl FileRules {
    /// The kind of `path`, or `None` when kg does not read it.
    pub fn classify(&self, path: &str) -> Option<FileKind> {
        if self.sniffed.contains_key(path) {
            return Some(FileKind::Spec);
        }
        self.classify_by_path(path)
    }

    /// The kind the path alone gives `path` (no format's claim by content).
    fn classify_by_path(&self, path: &str) -> Option<FileKind> {
        if self.exclude.is_match(path) {
            return None;
        }
        if self.specs.is_match(path) {
            return Some(FileKind::Spec);
        }
        let extension = path.rsplit_once('.').map(|(_, e)| e);
        let language = match extension {
            Some("rs") => Some(Language::Rust),
            Some("ts" | "mts" | "cts") => Some(Language::TypeScript),
            Some("tsx") => Some(Language::Tsx),
            _ => None,
        };
        if let Some(language) = language {
            return Some(FileKind::Code(language));
        }
        if self.docs.is_match(path) {
            return Some(FileKind::Doc);
        }
        crate::parse::text::comment_syntax(path).map(|_| FileKind::Text)
    }

    /// The format that reads the spec file `path`: the first format that is on and claims it,
    /// else kg's own YAML (a file `files.specs` names that no format claims).
    pub fn spec_format(&self, path: &str) -> &'static SpecFormat {
        if let Some(format) = self.sniffed.get(path) {
            return format;
        }
        self.formats
            .iter()
            .find(|(format, claims)| format.sniff.is_none() && claims.is_match(path))
            .map_or(&FORMATS[0], |(format, _)| format)
    }

    /// Whether a format that claims files by content may claim `path`: one of its candidates
    /// that no path rule makes a spec or code.
    pub fn may_sniff(&self, path: &str) -> bool {
        !matches!(
            self.classify_by_path(path),
            Some(FileKind::Spec | FileKind::Code(_))
        ) && !self.exclude.is_match(path)
            && self
                .formats
                .iter()
                .any(|(format, claims)| format.sniff.is_some() && claims.is_match(path))
    }

    /// Whether kg reads `path` as some kind of file, by its path or (a candidate of a format
    /// that claims by content) perhaps by its bytes.
    pub fn may_read(&self, path: &str) -> bool {
        self.classify(path).is_some() || self.may_sniff(path)
    }

    /// The format that claims `path` by its content `bytes`, if one does.
    pub fn sniff(&self, path: &str, bytes: &[u8]) -> Option<&'static SpecFormat> {
        // A file over the size limit is not parsed, so it is nobody's spec.
        if !self.may_sniff(path) || bytes.len() as u64 > self.max_file_size {
            return None;
        }
        self.formats
            .iter()
            .find(|(format, claims)| {
                claims.is_match(path) && format.sniff.is_some_and(|sniff| sniff(bytes))
            })
            .map(|(format, _)| *format)
    }

    /// Records that `format` claims `path` by its content: `path` is a spec from now on.
    pub fn claim(&mut self, path: &str, format: &'static SpecFormat) {
        self.sniffed.insert(path.to_owned(), format);
    }

    /// The spec set that `path` is in, if a tool's configuration names one.
    pub fn spec_set(&self, path: &str) -> Option<&str> {
        self.sets
            .iter()
            .find(|(_, claims)| claims.is_match(path))
            .map(|(name, _)| name.as_str())
    }

    /// Whether tags of `tool` in `path` are read: tracey's only in the files its
    /// configuration's implementations include (and do not exclude), as tracey reads them.
    pub fn reads_tags(&self, tool: Tool, path: &str) -> bool {
        match (tool, &self.tracey_reads) {
            (Tool::Tracey, Some((include, exclude))) => {
                include.is_match(path) && !exclude.is_match(path)
            }
            _ => true,
        }
    }

    /// Whether everything in `path` counts as a test.
    pub fn is_test_file(&self, path: &str) -> bool {
        self.tests.is_match(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // verifies: index/bounded
    #[test]
    fn deep_arrays_and_tables_are_refused_before_the_toml_reader() {
        for deep in [
            format!(
                "[trace]\nrequire = {}{}\n",
                "[".repeat(100_000),
                "]".repeat(100_000)
            ),
            format!(
                "\n\na = {}1{}\n",
                "{b = ".repeat(100_000),
                "}".repeat(100_000)
            ),
        ] {
            let Err(err) = Config::parse(&deep) else {
                panic!("refused")
            };
            assert!(
                err.message.contains("nested deeper than 32"),
                "{}",
                err.message
            );
            assert!(err.line >= 2, "line {}", err.line);
        }
        // Brackets in strings, literal strings, multi-line strings and comments are text.
        let fine = "# [[[[[[[[\n[files]\nspecs = [\"specs/[0-9]*/[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[.yaml\", '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[', \"\"\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n[[\"\"\"]\n";
        assert_eq!(too_deep(fine), None);
        assert!(too_deep(&"[".repeat(33)).is_some());
    }

    // verifies: index/files
    #[test]
    fn defaults_classify_specs_docs_code_and_tests() {
        let rules = Config::default().rules;
        let kinds: Vec<_> = [
            "specs/upload.yaml",
            "specs/nested/a.yml",
            "api/upload.spec.yaml",
            "docs/upload.md",
            "src/lib.rs",
            "web/src/a.ts",
            "web/src/A.tsx",
            "web/node_modules/x/index.ts",
            "Cargo.toml",
            "other.yaml",
            "notes.txt",
        ]
        .iter()
        .map(|p| rules.classify(p))
        .collect();
        use FileKind::*;
        assert_eq!(
            kinds,
            vec![
                Some(Spec),
                Some(Spec),
                Some(Spec),
                Some(Doc),
                Some(Code(Language::Rust)),
                Some(Code(Language::TypeScript)),
                Some(Code(Language::Tsx)),
                None,
                // Other files with comments are read for tags.
                Some(Text),
                Some(Text),
                None,
            ]
        );
        assert!(rules.is_test_file("tests/api.rs"));
        assert!(rules.is_test_file("crates/x/tests/api.rs"));
        assert!(rules.is_test_file("web/src/search.test.ts"));
        assert!(rules.is_test_file("web/src/search.spec.tsx"));
        assert!(!rules.is_test_file("src/testing.rs"));
    }

    #[test]
    fn kg_toml_overrides_the_defaults() {
        let config = Config::parse(
            "base = \"https://example.com/r/\"\n[files]\nspecs = [\"reqs/*.yaml\"]\nexclude = [\"fixtures/**\"]\nmax_size = 10\n",
        )
        .unwrap();
        assert_eq!(config.base.as_deref(), Some("https://example.com/r/"));
        assert_eq!(config.rules.classify("reqs/a.yaml"), Some(FileKind::Spec));
        assert_eq!(config.rules.classify("specs/a.yaml"), Some(FileKind::Text));
        assert_eq!(config.rules.classify("fixtures/x/src/a.rs"), None);
        assert_eq!(config.rules.max_file_size, 10);
    }

    #[test]
    fn kg_toml_turns_formats_off_and_moves_their_files() {
        let rules = Config::default().rules;
        assert_eq!(rules.spec_format("specs/001-a/spec.md").name, "spec-kit");
        assert_eq!(
            rules.spec_format(".kiro/specs/a/requirements.md").name,
            "kiro"
        );
        assert_eq!(
            rules.spec_format("openspec/specs/auth/spec.md").name,
            "openspec"
        );
        let config = Config::parse(
            "[formats]\nspec-kit = false\nkiro = [\"docs/kiro/*/requirements.md\"]\nopenspec = true\n",
        )
        .unwrap();
        let rules = config.rules;
        assert_eq!(rules.classify("specs/001-a/spec.md"), Some(FileKind::Doc));
        assert_eq!(
            rules.classify(".kiro/specs/a/requirements.md"),
            Some(FileKind::Doc)
        );
        assert_eq!(
            rules.classify("docs/kiro/a/requirements.md"),
            Some(FileKind::Spec)
        );
        assert_eq!(
            rules.spec_format("docs/kiro/a/requirements.md").name,
            "kiro"
        );
        assert_eq!(
            rules.classify("openspec/specs/auth/spec.md"),
            Some(FileKind::Spec)
        );
        assert_eq!(rules.classify("specs/a.yaml"), Some(FileKind::Spec));
        let err = Config::parse("[formats]\nspeckit = false\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "kg.toml:2:1: `formats.speckit` is not a spec format kg reads (it reads kg-yaml, spec-kit, kiro, openspec, tracey, strictdoc, duvet, openfasttrace)"
        );
    }

    #[test]
    fn bad_kg_toml_names_the_line() {
        let err = Config::parse("[files]\nspec = [\"x\"]\n").unwrap_err();
        assert_eq!((err.line, err.column), (2, 1));
        assert!(
            err.to_string()
                .starts_with("kg.toml:2:1: unknown field `spec`"),
            "{err}"
        );
        let err = Config::parse("[files]\nspecs = [\"a/**[\"]\n").unwrap_err();
        assert!(
            err.to_string().starts_with("kg.toml:2:1: bad glob `a/**[`"),
            "{err}"
        );
        let err = Config::parse("base = \"not an iri\"\n").unwrap_err();
        assert!(
            err.to_string().contains("`base` must be an absolute IRI"),
            "{err}"
        );
    }
}
