//! Where a marker in a comment attaches (`fixtures/attach`): every comment shape above a Rust or
//! TypeScript definition, markers that are not markers, and what follows from each link (inferred
//! tests through the definition, impact through its callers).

mod support;

use support::Fixture;

const REFERENCES: &str = "SELECT ?at ?marker ?id ?source WHERE {
  ?r a kg:Reference ; kg:marker ?marker ; kg:targetId ?id ; kg:source ?s ;
     kg:line ?line ; kg:inFile/kg:path ?path .
  BIND(CONCAT(?path, ':', STR(?line)) AS ?at)
  BIND(STRAFTER(STR(?s), '/sym/') AS ?sym)
  BIND(IF(?sym = '', CONCAT('file ', STRAFTER(STR(?s), '/file/')), ?sym) AS ?source)
} ORDER BY ?path ?line ?id";

fn fixture() -> Fixture {
    let fixture = Fixture::from_dir("attach");
    fixture.kg(&["--quiet", "index"]).ok();
    fixture
}

// verifies: index/references
#[test]
fn markers_attach_to_the_definition_their_comment_block_precedes() {
    let fixture = fixture();
    let out = fixture.kg(&["query", REFERENCES, "--format", "csv"]).ok();
    insta::assert_snapshot!("references", out);
}

// verifies: trace/calls
#[test]
fn tests_verify_through_the_attached_definitions() {
    let fixture = fixture();
    let json = fixture.kg(&["trace", "--format", "json"]).ok();
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut links = Vec::new();
    for item in parsed["items"].as_array().unwrap() {
        for (relation, key) in [
            ("implemented", "implemented_by"),
            ("verified", "verified_by"),
        ] {
            for link in item[key].as_array().unwrap() {
                links.push(format!(
                    "{} {relation} by {} {} ({}, distance {})",
                    item["id"].as_str().unwrap(),
                    link["path"].as_str().unwrap(),
                    link["symbol"].as_str().unwrap_or("<file>"),
                    link["via"].as_str().unwrap(),
                    link["distance"]
                ));
            }
        }
    }
    insta::assert_snapshot!("trace_links", links.join("\n"));
}

// verifies: impact/items
#[test]
fn impact_reaches_items_through_the_attached_definitions() {
    let fixture = fixture();
    // `badge` implements cart/badge; `render` (cart/checkout) calls it.
    let text = std::fs::read_to_string(fixture.root.join("web/src/cart.ts")).unwrap();
    fixture.write("web/src/cart.ts", text.replace("`(${n})`", "`[${n}]`"));
    let out = fixture.kg(&["impact"]).ok();
    insta::assert_snapshot!("impact_badge", out);
}
