//! Disk: kg's directory stays within a small factor of one fresh full build's however many
//! incremental runs it has seen, on a busy history (every commit rewrites files whole, as coding
//! agents do, and most carry no trailer, so their old versions are no use to any later run).

mod support;

use support::{Fixture, dir_size};

fn write_version(fixture: &Fixture, version: u32) {
    let mut spec = String::from("feature: cart\nacceptance:\n");
    for c in 0..8 {
        spec.push_str(&format!(
            "  - \"Criterion {c}, wording {}.\"\n",
            if c == 0 { version / 5 } else { 0 }
        ));
    }
    fixture.write("specs/cart.yaml", spec);
    // Each commit rewrites four of the twenty files whole.
    for file in 0..20 {
        let wording = if file % 5 == version % 5 { version } else { 0 };
        let mut text = String::new();
        for n in 0..40 {
            text.push_str(&format!(
                "/// implements: cart/AC-{}\npub fn f{file}_{n}(x: u32) -> u32 {{\n    let y = x + {wording};\n    helper_{n}(y)\n}}\n\n",
                n % 8 + 1
            ));
        }
        fixture.write(&format!("src/m{file}.rs"), text);
    }
}

// verifies: index/disk
#[test]
fn the_directory_stays_near_a_fresh_builds_size_over_many_runs() {
    let fixture = Fixture::empty();
    let runs = 30;
    let store = fixture.scratch.join("store");
    for version in 0..runs {
        write_version(&fixture, version);
        let message = if version % 10 == 0 {
            format!("Version {version}\n\nImplements: cart/AC-1")
        } else {
            format!("Version {version}")
        };
        fixture.commit_all(&message, version);
        fixture.kg(&["index", "--quiet"]).ok();
    }
    let fresh = fixture.scratch.join("fresh");
    support::kg_in(
        &fixture.root,
        &["--store", fresh.to_str().unwrap(), "index", "--quiet"],
    )
    .ok();
    let (busy, once) = (dir_size(&store), dir_size(&fresh));
    let (busy_facts, once_facts) = (
        dir_size(&store.join("facts")),
        dir_size(&fresh.join("facts")),
    );
    // Without collection the facts cache holds every version of every file, and grows with
    // every run.
    assert!(
        busy_facts <= 2 * once_facts,
        "facts cache {busy_facts} bytes after {runs} runs, {once_facts} after one full build"
    );
    // The store keeps what RocksDB has not compacted yet (2.7 times here); before its write-ahead
    // logs and info logs were collected, 5.5 times after these runs and growing.
    assert!(
        busy <= 4 * once,
        "{busy} bytes after {runs} runs, {once} after one full build"
    );
    // One store, and no leftovers of replaced ones.
    let stores: Vec<String> = std::fs::read_dir(&store)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("store-") || name.starts_with("trash-"))
        .collect();
    assert_eq!(stores.len(), 1, "{stores:?}");
}
