//! kg: a git-native knowledge-graph indexer for spec-driven development.
//!
//! The pipeline, one module a stage: [`git`] reads the repository, [`parse`] turns files into
//! [`facts`], [`graph`] turns facts into RDF quads, [`history`] tells how specs changed between versions, [`calls`] resolves calls by name, [`store`] keeps them in oxigraph, [`query`] and
//! [`report`] answer questions, and [`cli`] ties it together. [`index`] drives the stages and
//! [`config`] reads `kg.toml`.

pub mod cli;
pub mod config;
pub mod facts;
pub mod git;
pub mod graph;
pub mod impact;
pub mod index;
pub mod link;
pub mod parse;
pub mod progress;
pub mod query;
pub mod report;
pub mod store;
pub mod trace;
