//! SPARQL for users: the named queries shipped in `queries/`, and parsing any query with kg's
//! usual prefixes already declared.

// implements: query/named, query/prefixes

use oxigraph::sparql::{PreparedSparqlQuery, SparqlEvaluator};

use crate::graph::vocab::PREFIXES;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/named_queries.rs"));
}

/// A query shipped with kg.
#[derive(Debug, Clone, Copy)]
pub struct NamedQuery {
    pub name: &'static str,
    /// The first comment line of the file.
    pub description: &'static str,
    pub text: &'static str,
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
    })
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
    let mut evaluator = SparqlEvaluator::new();
    for (prefix, iri) in PREFIXES {
        evaluator = evaluator
            .with_prefix(*prefix, *iri)
            .expect("the built-in prefixes are valid IRIs");
    }
    evaluator.parse_query(text).map_err(|err| QuerySyntaxError {
        source_name: source_name.to_owned(),
        message: err.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
