//! The HTML reports: a golden page for the trace fixture, the page opened in headless Chromium
//! (its DOM checked after the script ran, a filter applied, screenshots kept at desktop and
//! phone width), 2,000 items under 2 MB and usable within a second, and the impact page.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::Fixture;

fn fixture() -> Fixture {
    let fixture = Fixture::from_steps("trace");
    fixture.kg(&["--quiet", "index"]).ok();
    fixture
}

/// Debian's `chromium` (installed by `.ci/setup`), or another name it goes by.
fn chromium() -> PathBuf {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(output) = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            && output.status.success()
        {
            return PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        }
    }
    panic!("these tests open the report in headless Chromium: run .ci/setup, which installs it");
}

/// Chromium run headless on `page`, with `extra` arguments; returns stdout.
fn headless(page: &Path, fragment: &str, extra: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}{fragment}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The rows of the items table in a DOM dump, and how many of them the script hid.
fn rows(dom: &str) -> (usize, usize) {
    let rows: Vec<&str> = dom.split("<tr id=").skip(1).collect();
    let hidden = rows
        .iter()
        .filter(|r| r.split('>').next().unwrap_or("").contains(" hidden=\"\""))
        .count();
    (rows.len(), hidden)
}

// verifies: report/html
#[test]
fn the_trace_page_is_golden() {
    let fixture = fixture();
    let page = fixture.kg(&["trace", "--format", "html"]).ok();
    assert!(page.starts_with("<!doctype html>"));
    // Self-contained: nothing is fetched from anywhere.
    for outside in [
        "src=\"http",
        "href=\"http://",
        "<link ",
        "@import",
        "fetch(",
    ] {
        assert!(!page.contains(outside), "the page reaches out: {outside}");
    }
    insta::assert_snapshot!("trace_html", page);
}

// verifies: report/html, report/browser
#[test]
fn the_trace_page_works_in_a_browser_and_on_a_phone() {
    let fixture = fixture();
    let file = fixture.scratch.join("trace.html");
    let file = file.to_str().unwrap();
    fixture.kg(&["trace", "--format", "html", "-o", file]).ok();
    let file = Path::new(file);
    let dom = headless(file, "", &["--dump-dom"]);
    assert_eq!(rows(&dom), (11, 0), "every item shown");
    assert!(dom.contains("<span id=\"shown\" class=\"dim\">11 of 11 items</span>"));
    assert!(dom.contains("imageUpload/size-limit"));
    assert!(dom.contains(">stale</span>"));
    // A filter by text, then by status, as a link with the filter in its address gives them.
    let dom = headless(file, "#q=size-limit", &["--dump-dom"]);
    assert_eq!(rows(&dom), (11, 10), "the text filter leaves one item");
    assert!(dom.contains("1 of 11 items"));
    let dom = headless(file, "#status=unimplemented", &["--dump-dom"]);
    assert_eq!(rows(&dom), (11, 9), "two items are not implemented");
    // Screenshots, kept for people to look at: a desktop and a phone-width screen.
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR"));
    for (name, size) in [
        ("trace-desktop.png", "1280,1600"),
        ("trace-phone.png", "390,1600"),
    ] {
        let shot = artifacts.join(name);
        let _ = std::fs::remove_file(&shot);
        headless(
            file,
            "",
            &[
                &format!("--screenshot={}", shot.display()),
                &format!("--window-size={size}"),
                "--hide-scrollbars",
            ],
        );
        let bytes = std::fs::read(&shot).expect("a screenshot");
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
            "{name}"
        );
        eprintln!("screenshot: {}", shot.display());
    }
}

// verifies: report/html
#[test]
fn two_thousand_items_make_a_small_page_usable_within_a_second() {
    let fixture = Fixture::empty();
    for f in 0..40 {
        let mut spec = format!("feature: f{f}\nacceptance:\n");
        let mut code = String::new();
        for c in 1..=50 {
            spec.push_str(&format!(
                "  - \"Criterion {c} of feature {f}: the system does thing {c} in the way the users of feature {f} expect.\"\n"
            ));
            if c % 5 != 0 {
                code.push_str(&format!(
                    "/// implements: f{f}/AC-{c}\npub fn f{f}_{c}(x: u32) -> u32 {{ x + {c} }}\n\n"
                ));
            }
        }
        code.push_str(&format!(
            "#[cfg(test)]\nmod tests {{\n    #[test]\n    fn first() {{ assert_eq!(super::f{f}_1(1), 2); }}\n}}\n"
        ));
        fixture.write(&format!("specs/f{f}.yaml"), spec);
        fixture.write(&format!("src/f{f}.rs"), code);
    }
    fixture.commit_all("Two thousand items", 0);
    fixture.kg(&["--quiet", "index"]).ok();
    let file = fixture.scratch.join("large.html");
    fixture
        .kg(&["trace", "--format", "html", "-o", file.to_str().unwrap()])
        .ok();
    let size = std::fs::metadata(&file).unwrap().len();
    assert!(size < 2 * 1024 * 1024, "{size} bytes");
    let dom = headless(&file, "#status=unimplemented", &["--dump-dom"]);
    assert_eq!(rows(&dom), (2000, 1600));
    // The script stamps when it is done, counted from the start of navigation: the median of
    // three loads, unfiltered.
    let mut ready: Vec<f64> = (0..3)
        .map(|_| {
            headless(&file, "", &["--dump-dom"])
                .split("data-ready-ms=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .and_then(|ms| ms.parse().ok())
                .expect("the page says when it was ready")
        })
        .collect();
    ready.sort_by(f64::total_cmp);
    eprintln!("2,000 items: {size} bytes, ready after {ready:?} ms");
    assert!(ready[1] < 1000.0, "ready after {ready:?} ms");
}

// verifies: report/html
#[test]
fn the_impact_page_draws_each_why_path() {
    let fixture = fixture();
    let source = std::fs::read_to_string(fixture.root.join("backend/src/upload.rs")).unwrap();
    fixture.write(
        "backend/src/upload.rs",
        source.replace("if len < MAX_BYTES", "if len <= MAX_BYTES"),
    );
    let page = fixture.kg(&["impact", "--format", "html"]).ok();
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.contains("Affected items"));
    assert!(page.contains("<span class=\"arrow\">→</span>"));
    insta::assert_snapshot!("impact_html", page);
}
