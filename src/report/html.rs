//! The trace and impact reports as one self-contained HTML page: no network, no CDN, styles and
//! script inline, readable from a file and on a phone-width screen. The matrix is plain HTML
//! (it reads without script); the script filters it (text and status, kept in the address's
//! `#q=...&status=...` so a filtered view can be linked) and sorts it by a column.

// implements: report/html

use super::*;
use crate::trace::{Link, TraceItem, TraceReport};

/// What the page says about where it comes from, and how it links to files.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The repository's name.
    pub title: String,
    /// The indexed commit (full id).
    pub commit: String,
    /// Where a file at the indexed commit is on the hosting site (`https://github.com/o/r/blob/
    /// <commit>/`), when the remote is GitHub or GitLab; else files link by relative path.
    pub blob_base: Option<String>,
}

impl Page {
    /// The page for `commit` of a repository with `remote` (its URL, if it has one).
    pub fn new(title: &str, commit: &str, remote: Option<&str>) -> Page {
        Page {
            title: title.to_owned(),
            commit: commit.to_owned(),
            blob_base: remote.and_then(|r| blob_base(r, commit)),
        }
    }

    fn href(&self, path: &str, line: Option<u32>) -> String {
        let anchor = line.map_or(String::new(), |l| format!("#L{l}"));
        match &self.blob_base {
            Some(base) => format!("{base}{}{anchor}", url_path(path)),
            None => url_path(path),
        }
    }
}

/// The blob URL prefix of a GitHub or GitLab remote (https or ssh) at `commit`.
pub fn blob_base(remote: &str, commit: &str) -> Option<String> {
    let remote = remote.trim().trim_end_matches('/');
    let rest = remote
        .strip_prefix("https://")
        .or_else(|| remote.strip_prefix("http://"))
        .or_else(|| remote.strip_prefix("ssh://"))
        .or_else(|| remote.strip_prefix("git://"))
        .unwrap_or(remote);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let (host, path) = rest.split_once([':', '/'])?;
    let path = path.trim_start_matches('/').trim_end_matches(".git");
    if path.is_empty() || path.contains(char::is_whitespace) {
        return None;
    }
    match host {
        "github.com" => Some(format!("https://github.com/{path}/blob/{commit}/")),
        "gitlab.com" => Some(format!("https://gitlab.com/{path}/-/blob/{commit}/")),
        _ => None,
    }
}

fn url_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// Text made safe for HTML, in element content and in quoted attributes alike.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --ok: #1a7f37; --miss: #cf222e; --stale: #bc4c00; --inf: #8250df; --line: #d0d7de; --dim: #57606a; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1400px; padding: 1rem; color: #1f2328; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; } h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85em; }
.dim { color: var(--dim); }
.features { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: .75rem; }
.feature { border: 1px solid var(--line); border-radius: 6px; padding: .6rem .75rem; }
.feature h3 { margin: 0 0 .4rem; font-size: 1rem; }
.bar { display: flex; height: .55rem; background: #eaeef2; border-radius: 3px; overflow: hidden; margin: .15rem 0 .35rem; }
.bar span { display: block; height: 100%; }
.b-impl { background: var(--ok); } .b-decl { background: #0969da; } .b-inf { background: var(--inf); } .b-doc { background: #6e7781; }
.legend { font-size: .8rem; color: var(--dim); }
.controls { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: .5rem 0; position: sticky; top: 0; background: #fff; padding: .4rem 0; z-index: 1; }
.controls input { flex: 1 1 16rem; padding: .35rem .5rem; font: inherit; border: 1px solid var(--line); border-radius: 6px; }
.controls select { padding: .35rem; font: inherit; }
/* The matrix is laid out as a grid a row, not as a table: a browser lays out a table of 2,000
   rows as a whole (600 ms), while grid rows off the screen are skipped until scrolled to. */
#items, #items thead, #items tbody { display: block; width: 100%; }
#items tr { display: grid; grid-template-columns: 34% 10rem 1fr 1fr 1fr; }
#items tbody tr { content-visibility: auto; contain-intrinsic-size: auto 110px; }
#items tr[hidden] { display: none; }
th, td { text-align: left; vertical-align: top; padding: .45rem .5rem; border-bottom: 1px solid var(--line); }
th { cursor: pointer; user-select: none; white-space: nowrap; background: #f6f8fa; }
th[aria-sort="ascending"]::after { content: " ▲"; } th[aria-sort="descending"]::after { content: " ▼"; }
td { overflow-wrap: anywhere; }
.text { margin-top: .2rem; }
.badge { display: inline-block; font-size: .75rem; border-radius: 1rem; padding: 0 .45rem; margin: 0 .2rem .2rem 0; border: 1px solid; white-space: nowrap; }
.ok { color: var(--ok); } .miss { color: var(--miss); } .stale { color: var(--stale); } .inferred { color: var(--inf); }
ul.ev { list-style: none; margin: 0; padding: 0; } ul.ev li { margin-bottom: .2rem; overflow-wrap: anywhere; }
.why { display: flex; flex-wrap: wrap; align-items: center; gap: .25rem; margin: .2rem 0 .5rem; }
.step { border: 1px solid var(--line); border-radius: 4px; padding: 0 .35rem; background: #f6f8fa; overflow-wrap: anywhere; }
.arrow { color: var(--dim); }
.section { margin-bottom: 1rem; } .entry { border-bottom: 1px solid var(--line); padding: .4rem 0; }
@media (max-width: 720px) {
  body { padding: .6rem; font-size: 14px; }
  #items thead { display: none; }
  #items, #items tbody, #items tr, #items td { display: block; width: 100%; }
  tr { border: 1px solid var(--line); border-radius: 6px; margin-bottom: .6rem; }
  #items td:empty { display: none; }
  td { border: 0; padding: .3rem .6rem; max-width: none; }
  #items td::before { display: block; font-size: .75rem; color: var(--dim); }
  #items td:nth-child(2)::before { content: "Status"; } #items td:nth-child(3)::before { content: "Implemented by"; }
  #items td:nth-child(4)::before { content: "Verified by"; } #items td:nth-child(5)::before { content: "Documented by"; }
}
"#;

// implements: report/browser
/// The filter (from the address too), the sorting, and the stamp of when the page was usable
/// that the browser test reads.
const SCRIPT: &str = r#"
(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll('#items tbody tr'));
  var q = document.getElementById('q'), status = document.getElementById('status'), shown = document.getElementById('shown');
  // What a filter searches: the row's text (id, text, paths, symbols), read once it is needed.
  var search = null;
  function params() {
    var out = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (pair) {
      var kv = pair.split('='); if (kv[0]) out[kv[0]] = decodeURIComponent((kv[1] || '').replace(/\+/g, ' '));
    });
    return out;
  }
  function apply() {
    var needle = q.value.trim().toLowerCase(), want = status.value, n = 0;
    if (needle && !search) search = rows.map(function (row) { return row.textContent.toLowerCase(); });
    rows.forEach(function (row, i) {
      var ok = (!needle || search[row.getAttribute('data-n')].indexOf(needle) >= 0) &&
               (want === 'all' || (' ' + row.getAttribute('data-status') + ' ').indexOf(' ' + want + ' ') >= 0);
      row.hidden = !ok; if (ok) n++;
    });
    shown.textContent = n + ' of ' + rows.length + ' items';
    var hash = [];
    if (needle) hash.push('q=' + encodeURIComponent(needle));
    if (want !== 'all') hash.push('status=' + want);
    try { history.replaceState(null, '', hash.length ? '#' + hash.join('&') : location.pathname + location.search); } catch (e) {}
  }
  var p = params();
  if (p.q) q.value = p.q;
  if (p.status && status.querySelector('option[value="' + p.status + '"]')) status.value = p.status;
  q.addEventListener('input', apply); status.addEventListener('change', apply);
  Array.prototype.forEach.call(document.querySelectorAll('#items th[data-key]'), function (th, col) {
    th.addEventListener('click', function () {
      var key = th.getAttribute('data-key'), asc = th.getAttribute('aria-sort') !== 'ascending';
      Array.prototype.forEach.call(document.querySelectorAll('#items th'), function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      var body = document.querySelector('#items tbody');
      rows.sort(function (a, b) {
        var attr = key === 'id' ? 'id' : 'data-' + key;
        var x = a.getAttribute(attr), y = b.getAttribute(attr);
        var nx = Number(x), ny = Number(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return asc ? c : -c;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  apply();
  // When the page became usable, from the start of navigation (tests read it).
  document.body.setAttribute('data-ready-ms', String(Math.round(performance.now())));
})();
"#;

fn head(out: &mut dyn Write, title: &str) -> io::Result<()> {
    write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(title)
    )
}

/// At most this many pieces of evidence a cell shows; the rest are counted.
const CELL_AT_MOST: usize = 12;

fn evidence(page: &Page, links: &[Link], distance: u32) -> String {
    if links.is_empty() {
        return String::new();
    }
    let mut out = String::from("<ul class=\"ev\">");
    for link in links.iter().take(CELL_AT_MOST) {
        let place = place(&link.path, link.line);
        let mut how = link.via.clone();
        if let Some(d) = link.distance {
            how.push_str(&format!(", {d} {}", if d == 1 { "call" } else { "calls" }));
        }
        let class = match link.distance {
            Some(d) if d > distance => " class=\"dim\"",
            Some(_) => " class=\"inferred\"",
            None => "",
        };
        out.push_str(&format!(
            "<li{class}><a class=\"mono\" href=\"{}\">{}</a> {} <span class=\"dim\">({})</span></li>",
            escape(&page.href(&link.path, link.line)),
            escape(&place),
            escape(link.symbol.as_deref().unwrap_or("")),
            escape(&how)
        ));
    }
    if links.len() > CELL_AT_MOST {
        out.push_str(&format!(
            "<li class=\"dim\">and {} more</li>",
            links.len() - CELL_AT_MOST
        ));
    }
    out.push_str("</ul>");
    out
}

fn status_words(item: &TraceItem) -> Vec<&'static str> {
    let mut words = Vec::new();
    words.push(if item.is_implemented() {
        "implemented"
    } else {
        "unimplemented"
    });
    words.push(if item.is_verified() {
        "verified"
    } else {
        "unverified"
    });
    words.push(if item.is_documented() {
        "documented"
    } else {
        "undocumented"
    });
    if item.stale {
        words.push("stale");
    }
    words
}

fn badges(item: &TraceItem) -> String {
    status_words(item)
        .iter()
        .map(|w| {
            let class = match *w {
                "stale" => "stale",
                w if w.starts_with("un") => "miss",
                _ => "ok",
            };
            format!("<span class=\"badge {class}\">{w}</span>")
        })
        .collect()
}

fn bar(c: &Coverage) -> String {
    let percent = |n: usize| (n * 100).checked_div(c.items).unwrap_or(0);
    format!(
        "<div class=\"legend\">implemented {}/{}</div><div class=\"bar\"><span class=\"b-impl\" style=\"width:{}%\"></span></div>\
         <div class=\"legend\">verified {}/{} ({} declared, {} inferred)</div><div class=\"bar\"><span class=\"b-decl\" style=\"width:{}%\"></span><span class=\"b-inf\" style=\"width:{}%\"></span></div>\
         <div class=\"legend\">documented {}/{}{}</div><div class=\"bar\"><span class=\"b-doc\" style=\"width:{}%\"></span></div>",
        c.implemented,
        c.items,
        percent(c.implemented),
        c.verified,
        c.items,
        c.verified_declared,
        c.verified_inferred,
        percent(c.verified_declared),
        percent(c.verified_inferred),
        c.documented,
        c.items,
        if c.stale > 0 {
            format!(" · <span class=\"stale\">{} stale</span>", c.stale)
        } else {
            String::new()
        },
        percent(c.documented),
    )
}

fn stale_notes(item: &TraceItem) -> String {
    let mut notes = Vec::new();
    if let Some(e) = &item.stale_evidence {
        notes.push(format!(
            "reworded in <code>{}</code> ({}) after its code and tests last changed in <code>{}</code> ({})",
            escape(crate::trace::short(&e.reworded_in)),
            escape(&e.reworded_on),
            escape(crate::trace::short(&e.code_last_changed_in)),
            escape(&e.code_last_changed_on)
        ));
    }
    for tag in &item.stale_tags {
        notes.push(escape(&format!(
            "{}:{}: {}",
            tag.path,
            tag.line,
            crate::trace::stale_tag_message(&item.id, tag)
        )));
    }
    for quote in &item.stale_quotes {
        notes.push(escape(&format!(
            "{}:{}: {}",
            quote.path,
            quote.line,
            crate::trace::stale_quote_message(&item.id)
        )));
    }
    notes
        .iter()
        .map(|n| format!("<div class=\"stale\">stale: {n}</div>"))
        .collect()
}

/// Writes the trace report as a page.
pub fn write_trace_html(report: &TraceReport, page: &Page, out: &mut dyn Write) -> io::Result<()> {
    let distance = report.coverage.inferred_distance;
    head(out, &format!("Traceability of {}", page.title))?;
    writeln!(
        out,
        "<header><h1>Traceability of {}</h1><p class=\"dim\">Index at <code>{}</code> · {} · inferred verification counts tests within {distance} {} of the code</p></header>",
        escape(&page.title),
        escape(crate::trace::short(&page.commit)),
        escape(&trace::coverage_line(&report.coverage)),
        if distance == 1 { "call" } else { "calls" }
    )?;
    let mut features: std::collections::BTreeMap<&str, Vec<&TraceItem>> =
        std::collections::BTreeMap::new();
    for item in &report.items {
        features.entry(&item.feature).or_default().push(item);
    }
    writeln!(out, "<h2>Features</h2><div class=\"features\">")?;
    for (feature, items) in &features {
        writeln!(
            out,
            "<div class=\"feature\" data-feature=\"{0}\"><h3><a href=\"#q={0}\">{0}</a></h3>{1}</div>",
            escape(feature),
            bar(&Coverage::of(items.iter().copied(), distance))
        )?;
    }
    writeln!(out, "</div>")?;
    writeln!(
        out,
        "<h2>Items</h2><div class=\"controls\"><input id=\"q\" type=\"search\" placeholder=\"Filter by id, text, path or symbol\" aria-label=\"Filter\">\
         <select id=\"status\" aria-label=\"Status\"><option value=\"all\">all</option><option value=\"unimplemented\">not implemented</option>\
         <option value=\"unverified\">not verified</option><option value=\"undocumented\">not documented</option><option value=\"stale\">stale</option></select>\
         <span id=\"shown\" class=\"dim\">{0} of {0} items</span></div>",
        report.items.len()
    )?;
    writeln!(
        out,
        "<table id=\"items\"><thead><tr><th data-key=\"id\">Item</th><th data-key=\"rank\">Status</th>\
         <th data-key=\"impl\">Implemented by</th><th data-key=\"tests\">Verified by</th><th data-key=\"docs\">Documented by</th></tr></thead><tbody>"
    )?;
    for (n, item) in report.items.iter().enumerate() {
        let words = status_words(item);
        // Worst first when sorted by status: unimplemented, then unverified, stale, ...
        let rank = u8::from(!item.is_implemented()) * 8
            + u8::from(!item.is_verified()) * 4
            + u8::from(item.stale) * 2
            + u8::from(!item.is_documented());
        writeln!(
            out,
            "<tr id=\"{id}\" data-status=\"{status}\" data-rank=\"{rank}\" data-impl=\"{impl_n}\" data-tests=\"{tests_n}\" data-docs=\"{docs_n}\" data-n=\"{n}\">\
             <td><a class=\"mono\" href=\"#{id}\">{id}</a> <a class=\"dim mono\" href=\"{spec_href}\">{spec}</a><div class=\"text\">{text}</div>{stale}</td>\
             <td>{badges}</td><td>{impl_cell}</td><td>{tests_cell}</td><td>{docs_cell}</td></tr>",
            id = escape(&item.id),
            status = words.join(" "),
            impl_n = item.implemented_by.len(),
            tests_n = item.verified_by.len(),
            docs_n = item.documented_by.len(),
            spec_href = escape(&page.href(&item.spec.path, Some(item.spec.line))),
            spec = escape(&format!("{}:{}", item.spec.path, item.spec.line)),
            text = escape(&item.text),
            stale = stale_notes(item),
            badges = badges(item),
            impl_cell = evidence(page, &item.implemented_by, distance),
            tests_cell = evidence(page, &item.verified_by, distance),
            docs_cell = evidence(page, &item.documented_by, distance),
        )?;
    }
    writeln!(out, "</tbody></table>")?;
    if !report.diagnostics.is_empty() {
        writeln!(
            out,
            "<h2>Diagnostics</h2><details><summary>{} diagnostics</summary><ul>",
            report.diagnostics.len()
        )?;
        for d in &report.diagnostics {
            writeln!(
                out,
                "<li><a class=\"mono\" href=\"{}\">{}</a> {}: {}</li>",
                escape(&page.href(&d.path, d.line)),
                escape(&place(&d.path, d.line)),
                escape(&d.severity),
                escape(&d.message)
            )?;
        }
        writeln!(out, "</ul></details>")?;
    }
    writeln!(out, "<script>{SCRIPT}</script>\n</body>\n</html>")
}

/// A why-path (`a -> b -> c`) drawn as steps with arrows between them.
fn why_path(why: &str) -> String {
    let steps: Vec<String> = why
        .split(" -> ")
        .map(|s| format!("<span class=\"step\">{}</span>", escape(s)))
        .collect();
    format!(
        "<div class=\"why\">{}</div>",
        steps.join("<span class=\"arrow\">→</span>")
    )
}

/// Writes the impact report as a page, each why-path drawn.
pub fn write_impact_html(
    report: &crate::impact::ImpactReport,
    page: &Page,
    out: &mut dyn Write,
) -> io::Result<()> {
    head(out, &format!("Impact on {}", page.title))?;
    writeln!(
        out,
        "<header><h1>Impact of a change on {}</h1><p class=\"dim\">Against the index at <code>{}</code> · {} changed definitions · {} items affected · {} tests to run · {} docs to review · {} spec changes</p></header>",
        escape(&page.title),
        escape(crate::trace::short(&page.commit)),
        report.changed_symbols.len(),
        report.items.len(),
        report.tests.len(),
        report.docs.len(),
        report.spec_changes.len()
    )?;
    for (title, entries) in impact::impact_sections(report) {
        if entries.is_empty() {
            continue;
        }
        writeln!(
            out,
            "<div class=\"section\"><h2>{} <span class=\"dim\">({})</span></h2>",
            escape(title),
            entries.len()
        )?;
        for (columns, why) in entries {
            let columns: Vec<String> = columns
                .iter()
                .filter(|c| !c.is_empty())
                .map(|c| format!("<span class=\"mono\">{}</span>", escape(c)))
                .collect();
            writeln!(
                out,
                "<div class=\"entry\">{}{}</div>",
                columns.join(" · "),
                why.as_deref().map(why_path).unwrap_or_default()
            )?;
        }
        writeln!(out, "</div>")?;
    }
    writeln!(out, "</body>\n</html>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_link_to_the_hosting_site_at_the_commit() {
        for (remote, base) in [
            (
                "https://github.com/o/r.git",
                Some("https://github.com/o/r/blob/c0/"),
            ),
            (
                "git@github.com:o/r.git",
                Some("https://github.com/o/r/blob/c0/"),
            ),
            (
                "ssh://git@github.com/o/r",
                Some("https://github.com/o/r/blob/c0/"),
            ),
            (
                "https://gitlab.com/g/sub/r.git",
                Some("https://gitlab.com/g/sub/r/-/blob/c0/"),
            ),
            ("https://example.com/o/r.git", None),
            ("/srv/git/r.git", None),
        ] {
            assert_eq!(blob_base(remote, "c0").as_deref(), base, "{remote}");
        }
        let page = Page::new("r", "c0", Some("https://github.com/o/r"));
        assert_eq!(
            page.href("src/a b.rs", Some(3)),
            "https://github.com/o/r/blob/c0/src/a%20b.rs#L3"
        );
        assert_eq!(
            Page::new("r", "c0", None).href("src/a.rs", None),
            "src/a.rs"
        );
    }

    #[test]
    fn text_is_escaped_for_elements_and_attributes() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
