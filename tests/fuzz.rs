//! The fuzz targets' inputs as regression tests: every file of the corpus the fuzzers keep
//! (`fuzz/corpus/<target>`) and every input that once crashed one (`fuzz/regressions/<target>`),
//! run through the target's entry point in `kg::fuzz`. Each must return (no panic) and in time.

use std::path::Path;
use std::time::{Duration, Instant};

/// The most one input may take here, unoptimized: the fuzzers call 10 s a hang.
const SLOWEST: Duration = Duration::from_secs(5);

fn inputs(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    paths
}

// verifies: index/fuzzed
#[test]
fn every_corpus_and_regression_input_runs_in_time() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut ran = 0;
    for (name, target) in kg::fuzz::TARGETS {
        // Every target has a corpus, and fuzz/fuzz_targets a file that runs it.
        assert!(
            root.join("fuzz_targets")
                .join(format!("{name}.rs"))
                .is_file(),
            "no fuzz/fuzz_targets/{name}.rs"
        );
        let corpus = inputs(&root.join("corpus").join(name));
        assert!(!corpus.is_empty(), "fuzz/corpus/{name} is empty");
        for path in corpus
            .iter()
            .chain(&inputs(&root.join("regressions").join(name)))
        {
            let bytes = std::fs::read(path).unwrap();
            let started = Instant::now();
            target(&bytes);
            let took = started.elapsed();
            assert!(took < SLOWEST, "{} took {took:?}", path.display());
            ran += 1;
        }
    }
    assert!(ran > 0);
}
