//! Criterion micro-benchmarks of the parse and extract stage, against bare tree-sitter parsing
//! of the same text, and of spec parsing. The inputs are files of the large generated
//! repository (`benches/common`).
//!
//! Run: `cargo bench --bench parse` (add `-- --quick` for a short run).

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "common/mod.rs"]
mod common;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use kg::facts::{FileFacts, FileKind, Language};
use kg::parse::{CodeQueries, FileParser};

fn inputs() -> Vec<(&'static str, Language, String)> {
    let size = common::Size::named("large").expect("the large size");
    vec![
        (
            "rust module",
            Language::Rust,
            common::source_text(1, 3, &size),
        ),
        (
            "rust tests",
            Language::Rust,
            common::source_text(5, 3, &size),
        ),
        (
            "typescript class",
            Language::TypeScript,
            common::source_text(3, 3, &size),
        ),
        (
            "typescript tests",
            Language::TypeScript,
            common::source_text(4, 3, &size),
        ),
    ]
}

fn grammar(language: Language) -> tree_sitter::Language {
    match language {
        Language::Rust => tree_sitter_rust::LANGUAGE.into(),
        Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
    }
}

fn parse_and_extract(c: &mut Criterion) {
    let queries = CodeQueries::shared();
    let mut group = c.benchmark_group("code");
    for (name, language, text) in inputs() {
        group.throughput(Throughput::Bytes(text.len() as u64));
        let path = if language == Language::Rust {
            "crates/c1/src/m1.rs"
        } else {
            "web/src/w3.ts"
        };
        let mut parser = FileParser::new(queries);
        group.bench_with_input(
            BenchmarkId::new("kg parse and extract", name),
            &text,
            |b, text| {
                b.iter(|| {
                    let facts = FileFacts::new(path, FileKind::Code(language), "", 0);
                    parser.parse(facts, text.as_bytes(), u64::MAX, None)
                })
            },
        );
        let mut bare = tree_sitter::Parser::new();
        bare.set_language(&grammar(language))
            .expect("the grammar loads");
        group.bench_with_input(
            BenchmarkId::new("bare tree-sitter parse", name),
            &text,
            |b, text| b.iter(|| bare.parse(text, None)),
        );
    }
    group.finish();
}

fn specs(c: &mut Criterion) {
    let text = common::spec_text(7, 3);
    let mut group = c.benchmark_group("spec");
    group.throughput(Throughput::Bytes(text.len() as u64));
    let mut parser = FileParser::new(CodeQueries::shared());
    group.bench_function("kg parse spec (10 criteria)", |b| {
        b.iter(|| {
            let facts = FileFacts::new("specs/feature7.yaml", FileKind::Spec, "", 0);
            parser.parse(facts, text.as_bytes(), u64::MAX, None)
        })
    });
    group.finish();
}

criterion_group!(benches, parse_and_extract, specs);
criterion_main!(benches);
