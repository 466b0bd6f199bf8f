//! Embeds the named SPARQL queries of `queries/*.rq` in the binary, so `kg query NAME` works
//! wherever kg is installed.

use std::fmt::Write;
use std::path::Path;

fn main() {
    // Read when the script runs, not when it was compiled: a build script compiled for one
    // checkout may be reused from a shared target directory for another.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("queries");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("queries/ exists")
        .filter_map(|entry| {
            let path = entry.expect("queries/ is readable").path();
            (path.extension()? == "rq").then_some(path)
        })
        .collect();
    names.sort();
    let mut out = String::from(
        "/// Named queries shipped in `queries/`: (name, SPARQL text).\npub const NAMED: &[(&str, &str)] = &[\n",
    );
    for path in names {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_stem().expect("a file name").to_string_lossy();
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("write to a string");
    }
    out.push_str("];\n");
    let target =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("named_queries.rs");
    std::fs::write(target, out).expect("OUT_DIR is writable");
}
