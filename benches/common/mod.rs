//! What the benchmarks share: the generated spec-driven repository.

use crate::support::{Fixture, Rng};

/// Writes a repository with `files` source files (60% Rust, 40% TypeScript), one feature per 20
/// files with 10 criteria each, references from code and tests, and one doc per feature.
pub fn generate(repo: &Fixture, files: usize, seed: u64) {
    let mut rng = Rng(seed);
    let features = files.div_ceil(20);
    for f in 0..features {
        let mut spec = format!("feature: feature{f}\nowner: team{}\nacceptance:\n", f % 7);
        for c in 0..10 {
            spec.push_str(&format!(
                "  - \"Criterion {c} of feature {f}: the system does thing {}.\"\n",
                rng.below(1000)
            ));
        }
        spec.push_str("nfrs:\n  performance:\n    - \"Answers within 200 ms.\"\n");
        repo.write(&format!("specs/feature{f}.yaml"), &spec);
        let mut doc = format!("# Feature {f}\n\n");
        for c in 0..10 {
            doc.push_str(&format!(
                "## Criterion {c}\n<!-- documents: feature{f}/AC-{} -->\nSee feature{f}/AC-{}.\n\n",
                c + 1,
                c + 1
            ));
        }
        repo.write(&format!("docs/feature{f}.md"), &doc);
    }
    for i in 0..files {
        let feature = i / 20;
        let criterion = rng.below(10) + 1;
        if i % 5 < 3 {
            let mut text = format!(
                "//! Module {i}.\n\nuse std::collections::HashMap;\n\npub struct Thing{i} {{ map: HashMap<u32, u32> }}\n\nimpl Thing{i} {{\n"
            );
            for m in 0..8 {
                text.push_str(&format!(
                    "    /// implements: feature{feature}/AC-{criterion}\n    pub fn method_{m}(&self, x: u32) -> u32 {{\n        let y = self.map.get(&x).copied().unwrap_or(0);\n        helper_{i}(y + {m})\n    }}\n\n"
                ));
            }
            text.push_str(&format!("}}\n\nfn helper_{i}(x: u32) -> u32 {{ x.wrapping_mul(31) }}\n\n#[cfg(test)]\nmod tests {{\n    use super::*;\n\n    // verifies: feature{feature}/AC-{criterion}\n    #[test]\n    fn works() {{ assert_eq!(helper_{i}(1), 31); }}\n}}\n"));
            repo.write(&format!("crates/c{}/src/m{i}.rs", i % 10), &text);
        } else {
            let mut text = format!("import {{ x }} from \"./x\";\n\nexport class Widget{i} {{\n");
            for m in 0..8 {
                text.push_str(&format!(
                    "  /** implements: feature{feature}/AC-{criterion} */\n  method{m}(a: number): number {{\n    return format{i}(a + {m});\n  }}\n\n"
                ));
            }
            text.push_str(&format!(
                "}}\n\nexport function format{i}(n: number): number {{ return n * 2; }}\n"
            ));
            repo.write(&format!("web/src/w{i}.ts"), &text);
            if i % 2 == 0 {
                let test = format!(
                    "import {{ describe, it }} from \"vitest\";\n\ndescribe(\"widget {i}\", () => {{\n  // verifies: feature{feature}/AC-{criterion}\n  it(\"formats\", () => {{ format{i}(1); }});\n}});\n"
                );
                repo.write(&format!("web/src/w{i}.test.ts"), &test);
            }
        }
    }
    repo.commit_all("Generated repository", 0);
}
