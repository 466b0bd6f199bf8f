//! Spec formats: each is one file here and one line in [`FORMATS`], which says which files it
//! claims by default and how to read them. A file is read by the first format that claims it
//! (`config::FileRules::spec_format`); `kg.toml` turns formats off or moves their files under
//! `[formats]`, and `files.specs` replaces the claims of all formats together.

pub mod duvet;
pub mod kiro;
mod markdown;
pub mod oft;
pub mod openspec;
pub mod speckit;
pub mod strictdoc;
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
    /// For a format no path names (its specs are ordinary documents), whether a file of its
    /// `paths` is one of its specs, by its bytes: the format then claims only those.
    pub sniff: Option<fn(&[u8]) -> bool>,
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
        sniff: None,
    },
    SpecFormat {
        name: "spec-kit",
        paths: &["specs/[0-9]*-*/spec.md", "specs/[0-9]*-*/tasks.md"],
        parse: speckit::parse,
        sniff: None,
    },
    SpecFormat {
        name: "kiro",
        paths: &[
            ".kiro/specs/*/requirements.md",
            ".kiro/specs/*/bugfix.md",
            ".kiro/specs/*/tasks.md",
        ],
        parse: kiro::parse,
        sniff: None,
    },
    SpecFormat {
        name: "openspec",
        paths: &[
            "openspec/specs/**/spec.md",
            "openspec/changes/*/tasks.md",
            "openspec/changes/archive/*/tasks.md",
        ],
        parse: openspec::parse,
        sniff: None,
    },
    // Its files are the spec sets its configuration (`.config/tracey/config.styx`) names.
    SpecFormat {
        name: "tracey",
        paths: &[],
        parse: tracey::parse,
        sniff: None,
    },
    SpecFormat {
        name: "strictdoc",
        paths: &["**/*.sdoc"],
        parse: strictdoc::parse,
        sniff: None,
    },
    // The specs duvet cites, where repositories keep them (in-tree Markdown, downloaded RFCs).
    SpecFormat {
        name: "duvet",
        paths: &[
            "**/specification/**/*.md",
            ".duvet/specifications/**/*.txt",
            ".duvet/specifications/**/*.md",
            "compliance/specs/**/*.txt",
            "specs/**/*.txt",
        ],
        parse: duvet::parse,
        sniff: None,
    },
    // Its specs are Markdown and AsciiDoc documents that declare items (`req~name~1`).
    SpecFormat {
        name: "openfasttrace",
        paths: oft::CANDIDATES,
        parse: oft::parse,
        sniff: Some(oft::sniff),
    },
];
