//! Spec formats: each is one file here and one line in [`FORMATS`], which says which files it
//! claims by default and how to read them. A file is read by the first format that claims it;
//! `kg.toml`'s `files.specs` replaces the claims of all formats together.

pub mod kiro;
mod markdown;
pub mod speckit;
pub mod yaml;

use std::sync::OnceLock;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::facts::FileFacts;

pub use yaml::parse_spec;

/// A way of writing specs.
pub struct SpecFormat {
    pub name: &'static str,
    /// The files it claims unless `kg.toml` says otherwise (globs from the repository root).
    pub paths: &'static [&'static str],
    /// Adds the features, items and diagnostics of one file's text to its facts.
    pub parse: fn(&str, &mut FileFacts),
}

/// Every spec format kg reads, in the order they are tried.
pub const FORMATS: &[SpecFormat] = &[
    SpecFormat {
        name: "kg-yaml",
        paths: &[
            "specs/**/*.yaml",
            "specs/**/*.yml",
            "**/*.spec.yaml",
            "**/*.spec.yml",
        ],
        parse: yaml::parse_spec,
    },
    SpecFormat {
        name: "spec-kit",
        paths: &["specs/[0-9]*-*/spec.md"],
        parse: speckit::parse,
    },
    SpecFormat {
        name: "kiro",
        paths: &[".kiro/specs/*/requirements.md"],
        parse: kiro::parse,
    },
];

/// The spec files of every format together: the default of `files.specs`.
pub fn default_paths() -> Vec<&'static str> {
    FORMATS
        .iter()
        .flat_map(|f| f.paths.iter().copied())
        .collect()
}

/// The format that reads `path`: the first that claims it, else the first (a file `kg.toml`
/// names as a spec that no format claims is read as kg's own YAML).
pub fn format_of(path: &str) -> &'static SpecFormat {
    static CLAIMS: OnceLock<Vec<GlobSet>> = OnceLock::new();
    let claims = CLAIMS.get_or_init(|| {
        FORMATS
            .iter()
            .map(|format| {
                let mut set = GlobSetBuilder::new();
                for glob in format.paths {
                    set.add(Glob::new(glob).expect("the shipped spec globs are valid"));
                }
                set.build().expect("the shipped spec globs build")
            })
            .collect()
    });
    FORMATS
        .iter()
        .zip(claims)
        .find(|(_, set)| set.is_match(path))
        .map_or(&FORMATS[0], |(format, _)| format)
}

/// Reads a spec file with the format that claims it.
pub fn parse(text: &str, facts: &mut FileFacts) {
    (format_of(&facts.path).parse)(text, facts);
}
