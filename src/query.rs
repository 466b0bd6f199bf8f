//! SPARQL for users: the named queries shipped in `queries/`, and parsing any query with kg's
//! usual prefixes already declared.

// implements: query/named, query/prefixes

use oxigraph::sparql::{PreparedSparqlQuery, SparqlEvaluator};

use crate::graph::vocab::PREFIXES;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/named_queries.rs"));
}

/// A query shipped with kg.
#[derive(Debug, Clone)]
pub struct NamedQuery {
    pub name: &'static str,
    /// The first comment line of the file.
    pub description: &'static str,
    pub text: &'static str,
    pub parameters: Vec<Parameter>,
}

/// A parameter a query declares in its header: `# param ?from (commit): the older commit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub name: String,
    /// True when the value names a commit (any revision); kg resolves it to the full id.
    pub commit: bool,
    pub description: String,
}

// implements: history/queries
/// The parameters declared in a query's header comments.
pub fn parameters(text: &str) -> Vec<Parameter> {
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| {
            let rest = l.strip_prefix('#')?.trim().strip_prefix("param ?")?;
            let (head, description) = rest.split_once(':')?;
            let (name, commit) = match head.trim().strip_suffix("(commit)") {
                Some(name) => (name.trim(), true),
                None => (head.trim(), false),
            };
            Some(Parameter {
                name: name.to_owned(),
                commit,
                description: description.trim().to_owned(),
            })
        })
        .collect()
}

/// Every named query, sorted by name.
pub fn named() -> impl Iterator<Item = NamedQuery> {
    embedded::NAMED.iter().map(|(name, text)| NamedQuery {
        name,
        description: text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix('#'))
            .map_or("", str::trim),
        text,
        parameters: parameters(text),
    })
}

/// Binds `?name` to each string value by appending a `VALUES` block to the query: the values
/// join with the whole query, so an unbound optional parameter simply does not restrict it.
pub fn bind(text: &str, values: &[(String, String)]) -> String {
    if values.is_empty() {
        return text.to_owned();
    }
    let names: Vec<String> = values.iter().map(|(n, _)| format!("?{n}")).collect();
    format!(
        "{text}\nVALUES ({}) {{ ({}) }}\n",
        names.join(" "),
        literal_values(values.iter().map(|(_, v)| v))
    )
}

/// A string as a SPARQL literal, quoted and escaped.
pub fn literal(text: &str) -> String {
    oxigraph::model::Literal::new_simple_literal(text).to_string()
}

/// Literals for a `VALUES` block, separated by spaces.
pub fn literal_values<S: AsRef<str>>(texts: impl IntoIterator<Item = S>) -> String {
    let literals: Vec<String> = texts.into_iter().map(|t| literal(t.as_ref())).collect();
    literals.join(" ")
}

/// IRIs for a `VALUES` block, each between `<>`, separated by spaces.
pub fn iri_values<S: AsRef<str>>(iris: impl IntoIterator<Item = S>) -> String {
    let iris: Vec<String> = iris
        .into_iter()
        .map(|i| format!("<{}>", i.as_ref()))
        .collect();
    iris.join(" ")
}

/// The named query called `name`.
pub fn find(name: &str) -> Option<NamedQuery> {
    named().find(|q| q.name == name)
}

/// A query that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct QuerySyntaxError {
    pub source_name: String,
    pub message: String,
}

/// Parses `text` with the usual prefixes (rdf, rdfs, xsd, dcterms, prov, oslc_rm, oslc_qm, kg)
/// declared; a query may still declare its own. `source_name` names the query in errors.
pub fn prepare(text: &str, source_name: &str) -> Result<PreparedSparqlQuery, QuerySyntaxError> {
    Ok(SparqlEvaluator::new().for_query(parse(text, source_name)?))
}

/// As [`prepare`], for a query that `token` may cancel while it runs (a time limit).
pub fn prepare_cancellable(
    text: &str,
    source_name: &str,
    token: oxigraph::sparql::CancellationToken,
) -> Result<PreparedSparqlQuery, QuerySyntaxError> {
    Ok(SparqlEvaluator::new()
        .with_cancellation_token(token)
        .for_query(parse(text, source_name)?))
}

/// As [`prepare`], without the query's outermost `ORDER BY` (one under a `LIMIT` or `OFFSET`
/// stays): for callers that order the rows themselves. oxigraph sorts by the terms' text, read
/// back from the store at each comparison, which for `needs` on 2,000 OpenFastTrace requirements
/// was 0.1-0.15 s of 0.3 s.
pub fn prepare_unordered(
    text: &str,
    source_name: &str,
) -> Result<PreparedSparqlQuery, QuerySyntaxError> {
    let query = match parse(text, source_name)? {
        spargebra::Query::Select {
            dataset,
            pattern,
            base_iri,
        } => spargebra::Query::Select {
            dataset,
            pattern: unordered(pattern),
            base_iri,
        },
        other => other,
    };
    Ok(SparqlEvaluator::new().for_query(query))
}

/// `pattern` without the `ORDER BY` its projection and `DISTINCT` or `REDUCED` wrap.
fn unordered(pattern: spargebra::algebra::GraphPattern) -> spargebra::algebra::GraphPattern {
    use spargebra::algebra::GraphPattern;
    match pattern {
        GraphPattern::OrderBy { inner, .. } => *inner,
        GraphPattern::Project { inner, variables } => GraphPattern::Project {
            inner: Box::new(unordered(*inner)),
            variables,
        },
        GraphPattern::Distinct { inner } => GraphPattern::Distinct {
            inner: Box::new(unordered(*inner)),
        },
        GraphPattern::Reduced { inner } => GraphPattern::Reduced {
            inner: Box::new(unordered(*inner)),
        },
        other => other,
    }
}

/// The algebra of `text`, parsed (by oxigraph's own parser) with kg's prefixes declared.
fn parse(text: &str, source_name: &str) -> Result<spargebra::Query, QuerySyntaxError> {
    let mut parser = spargebra::SparqlParser::new();
    for (prefix, iri) in PREFIXES {
        parser = parser
            .with_prefix(*prefix, *iri)
            .expect("the built-in prefixes are valid IRIs");
    }
    parser.parse_query(text).map_err(|err| QuerySyntaxError {
        source_name: source_name.to_owned(),
        message: err.to_string(),
    })
}

/// Whether `word` stands as a keyword in SPARQL `text`, outside strings, IRIs and comments.
pub fn has_keyword(text: &str, word: &str) -> bool {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                while let Some(d) = chars.next() {
                    if d == '\\' {
                        chars.next();
                    } else if d == c {
                        break;
                    }
                }
                plain.push(' ');
            }
            '<' if chars
                .peek()
                .is_some_and(|d| !d.is_whitespace() && *d != '=') =>
            {
                for d in chars.by_ref() {
                    if d == '>' || d.is_whitespace() {
                        break;
                    }
                }
                plain.push(' ');
            }
            '#' => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
                plain.push(' ');
            }
            c => plain.push(c),
        }
    }
    plain
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .any(|token| token.eq_ignore_ascii_case(word))
}

/// Whether `text` is a SPARQL update (or tries to be: it need not parse), by its keywords.
pub fn is_update(text: &str) -> bool {
    [
        "INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY",
    ]
    .iter()
    .any(|w| has_keyword(text, w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn algebra_unordered(text: &str) -> String {
        let Ok(spargebra::Query::Select { pattern, .. }) = parse(text, "test") else {
            panic!("a SELECT query: {text}");
        };
        spargebra::Query::Select {
            dataset: None,
            pattern: unordered(pattern),
            base_iri: None,
        }
        .to_sse()
    }

    #[test]
    fn the_outermost_order_goes_unless_a_slice_needs_it() {
        let plain = algebra_unordered("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s");
        assert!(!plain.contains("order"), "{plain}");
        let distinct = algebra_unordered("SELECT DISTINCT ?s WHERE { ?s ?p ?o } ORDER BY DESC(?s)");
        assert!(
            !distinct.contains("order") && distinct.contains("distinct"),
            "{distinct}"
        );
        let limited = algebra_unordered("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 3");
        assert!(
            limited.contains("order") && limited.contains("slice"),
            "{limited}"
        );
        // An ORDER BY inside a sub-SELECT is the sub-query's.
        let inner = algebra_unordered(
            "SELECT ?s WHERE { { SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 1 } }",
        );
        assert!(inner.contains("order"), "{inner}");
    }

    #[test]
    fn keywords_are_found_outside_strings_iris_and_comments() {
        assert!(has_keyword(
            "SELECT * { SERVICE <http://x/> { ?s ?p ?o } }",
            "SERVICE"
        ));
        assert!(has_keyword("select * { service <x> {} }", "SERVICE"));
        assert!(!has_keyword("SELECT * { ?s ?p \"SERVICE\" }", "SERVICE"));
        assert!(!has_keyword(
            "SELECT * { ?s <http://x/SERVICE> ?o }",
            "SERVICE"
        ));
        assert!(!has_keyword("# SERVICE\nSELECT * { ?s ?p ?o }", "SERVICE"));
        assert!(!has_keyword("SELECT ?service_name { }", "SERVICE"));
        assert!(has_keyword(
            "SELECT * { FILTER(?a < 3 && ?b > 2) } LOAD",
            "LOAD"
        ));
    }

    // verifies: query/named
    #[test]
    fn every_named_query_parses_and_has_a_description() {
        let names: Vec<_> = named().map(|q| q.name).collect();
        for required in ["items", "unimplemented", "untested", "dangling"] {
            assert!(
                names.contains(&required),
                "{required} missing from {names:?}"
            );
        }
        for query in named() {
            assert!(
                !query.description.is_empty(),
                "{} has no description line",
                query.name
            );
            if let Err(e) = prepare(query.text, query.name) {
                panic!("{e}");
            }
        }
    }

    // verifies: history/queries
    #[test]
    fn parameters_are_declared_in_the_header_and_bound_with_values() {
        let text = "# Changes\n# param ?from (commit): the older commit\n# param ?item: an item\nSELECT * WHERE { ?s ?p ?o }";
        let declared = parameters(text);
        assert_eq!(declared.len(), 2);
        assert!(declared[0].commit && declared[0].name == "from");
        assert!(!declared[1].commit && declared[1].description == "an item");
        let bound = bind(text, &[("item".to_owned(), "a \"b\"".to_owned())]);
        assert!(
            bound.ends_with("VALUES (?item) { (\"a \\\"b\\\"\") }\n"),
            "{bound}"
        );
        if let Err(e) = prepare(&bound, "q") {
            panic!("{e}");
        }
    }

    // verifies: query/prefixes
    #[test]
    fn prefixes_need_no_declaration_but_may_be_redeclared() {
        assert!(
            prepare(
                "SELECT * WHERE { ?s a oslc_rm:Requirement ; kg:line ?l ; dcterms:identifier ?i }",
                "q"
            )
            .is_ok()
        );
        assert!(
            prepare(
                "PREFIX kg: <http://example.com/> SELECT * WHERE { ?s kg:x ?o }",
                "q"
            )
            .is_ok()
        );
        let Err(err) = prepare("SELECT * WHERE { ?s nope:x ?o }", "inline") else {
            panic!("an undeclared prefix must not parse");
        };
        assert!(err.to_string().starts_with("inline: "), "{err}");
    }
}
