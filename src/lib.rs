//! kg: a git-native knowledge-graph indexer for spec-driven development.
//!
//! The pipeline, one module a stage: [`git`] reads the repository, [`parse`] turns files into
//! [`facts`], [`link`] relates facts across files and versions (calls, spec history), [`graph`]
//! turns facts into RDF quads, and [`store`] keeps them in oxigraph; [`index`] drives the stages
//! ([`config`] reads `kg.toml`, [`progress`] times them). Then the answers: [`query`], [`trace`]
//! and [`impact`], written by [`report`]; and the face, [`cli`]. [`fuzz`] holds the fuzz targets'
//! entry points.

pub mod cli;
pub mod config;
pub mod context;
pub mod facts;
pub mod fuzz;
pub mod git;
pub mod graph;
pub mod impact;
pub mod index;
pub mod link;
pub mod mcp;
pub mod parse;
pub mod progress;
pub mod push;
pub mod query;
pub mod report;
pub mod serve;
pub mod store;
pub mod trace;
