//! Spec formats: each is one file here and one line in [`FORMATS`], which says which files it
//! claims by default and how to read them. A file is read by the first format that claims it
//! (`config::FileRules::spec_format`); `kg.toml` turns formats off or moves their files under
//! `[formats]`, and `files.specs` replaces the claims of all formats together.

pub mod kiro;
mod markdown;
pub mod openspec;
pub mod speckit;
mod tasks;
pub mod tracey;
pub mod yaml;

use crate::facts::FileFacts;

pub use yaml::parse_spec;

/// A way of writing specs.
#[derive(Debug)]
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
        paths: &["specs/[0-9]*-*/spec.md", "specs/[0-9]*-*/tasks.md"],
        parse: speckit::parse,
    },
    SpecFormat {
        name: "kiro",
        paths: &[
            ".kiro/specs/*/requirements.md",
            ".kiro/specs/*/bugfix.md",
            ".kiro/specs/*/tasks.md",
        ],
        parse: kiro::parse,
    },
    SpecFormat {
        name: "openspec",
        paths: &[
            "openspec/specs/**/spec.md",
            "openspec/changes/*/tasks.md",
            "openspec/changes/archive/*/tasks.md",
        ],
        parse: openspec::parse,
    },
    // Its files are the spec sets its configuration (`.config/tracey/config.styx`) names.
    SpecFormat {
        name: "tracey",
        paths: &[],
        parse: tracey::parse,
    },
];
