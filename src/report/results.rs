//! Query results in the W3C formats (JSON, XML, CSV, TSV), RDF in standard syntaxes, and tables
//! for people.

// implements: query/formats

use super::*;

/// How query results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ResultFormat {
    /// Aligned columns for people (SELECT and ASK).
    Table,
    /// SPARQL 1.1 Query Results JSON.
    Json,
    /// SPARQL 1.1 Query Results CSV.
    Csv,
    /// SPARQL 1.1 Query Results TSV.
    Tsv,
    /// SPARQL Query Results XML.
    Xml,
    /// Turtle (CONSTRUCT and DESCRIBE).
    Turtle,
    /// N-Triples (CONSTRUCT and DESCRIBE).
    Ntriples,
}

pub(super) fn format_name(format: ResultFormat) -> &'static str {
    match format {
        ResultFormat::Table => "table",
        ResultFormat::Json => "json",
        ResultFormat::Csv => "csv",
        ResultFormat::Tsv => "tsv",
        ResultFormat::Xml => "xml",
        ResultFormat::Turtle => "turtle",
        ResultFormat::Ntriples => "ntriples",
    }
}

pub(super) const SOLUTION_FORMATS: &str = "table, json, csv, tsv or xml";
pub(super) const GRAPH_FORMATS: &str = "turtle or ntriples";

/// Writes `results` in `format`. In tables, IRIs under `base` are shown relative to it and known
/// vocabularies by prefix. `format` is `None` to choose: a table for SELECT and ASK, Turtle for
/// graphs.
pub fn write_results(
    results: QueryResults<'_>,
    format: Option<ResultFormat>,
    base: &str,
    screen: &Screen,
    out: &mut dyn Write,
) -> Result<(), ReportError> {
    let evaluation = |e: &dyn std::fmt::Display| ReportError::Evaluation(e.to_string());
    match results {
        QueryResults::Solutions(solutions) => {
            let format = format.unwrap_or(ResultFormat::Table);
            let w3c = match format {
                ResultFormat::Table => None,
                ResultFormat::Json => Some(QueryResultsFormat::Json),
                ResultFormat::Csv => Some(QueryResultsFormat::Csv),
                ResultFormat::Tsv => Some(QueryResultsFormat::Tsv),
                ResultFormat::Xml => Some(QueryResultsFormat::Xml),
                ResultFormat::Turtle | ResultFormat::Ntriples => {
                    return Err(ReportError::FormatMismatch {
                        format: format_name(format),
                        kind: "SELECT",
                        fits: SOLUTION_FORMATS,
                    });
                }
            };
            let variables = solutions.variables().to_vec();
            match w3c {
                Some(w3c) => {
                    let mut serializer = QueryResultsSerializer::from_format(w3c)
                        .serialize_solutions_to_writer(out, variables)?;
                    for solution in solutions {
                        let solution = solution.map_err(|e| evaluation(&e))?;
                        serializer.serialize(&solution)?;
                    }
                    serializer.finish()?;
                }
                None => {
                    let header: Vec<String> =
                        variables.iter().map(|v| v.as_str().to_owned()).collect();
                    let mut rows = Vec::new();
                    for solution in solutions {
                        let solution = solution.map_err(|e| evaluation(&e))?;
                        rows.push(
                            variables
                                .iter()
                                .map(|v| {
                                    solution
                                        .get(v)
                                        .map_or_else(String::new, |t| display_term(t, base))
                                })
                                .collect(),
                        );
                    }
                    write_table(&header, &rows, screen, out)?;
                }
            }
        }
        QueryResults::Boolean(value) => match format.unwrap_or(ResultFormat::Table) {
            ResultFormat::Table => writeln!(out, "{value}")?,
            ResultFormat::Json => {
                QueryResultsSerializer::from_format(QueryResultsFormat::Json)
                    .serialize_boolean_to_writer(&mut *out, value)?;
                writeln!(out)?;
            }
            ResultFormat::Csv => {
                QueryResultsSerializer::from_format(QueryResultsFormat::Csv)
                    .serialize_boolean_to_writer(out, value)?;
            }
            ResultFormat::Tsv => {
                QueryResultsSerializer::from_format(QueryResultsFormat::Tsv)
                    .serialize_boolean_to_writer(out, value)?;
            }
            ResultFormat::Xml => {
                QueryResultsSerializer::from_format(QueryResultsFormat::Xml)
                    .serialize_boolean_to_writer(out, value)?;
            }
            other => {
                return Err(ReportError::FormatMismatch {
                    format: format_name(other),
                    kind: "ASK",
                    fits: SOLUTION_FORMATS,
                });
            }
        },
        QueryResults::Graph(triples) => {
            let rdf = match format.unwrap_or(ResultFormat::Turtle) {
                ResultFormat::Turtle => RdfFormat::Turtle,
                ResultFormat::Ntriples => RdfFormat::NTriples,
                other => {
                    return Err(ReportError::FormatMismatch {
                        format: format_name(other),
                        kind: "CONSTRUCT or DESCRIBE",
                        fits: GRAPH_FORMATS,
                    });
                }
            };
            let mut serializer = RdfSerializer::from_format(rdf);
            if rdf == RdfFormat::Turtle {
                for (prefix, iri) in PREFIXES {
                    serializer = serializer
                        .with_prefix(*prefix, *iri)
                        .expect("the built-in prefixes are valid IRIs");
                }
            }
            let mut serializer = serializer.for_writer(out);
            for triple in triples {
                let triple = triple.map_err(|e| evaluation(&e))?;
                serializer.serialize_triple(&triple)?;
            }
            serializer.finish()?;
        }
    }
    Ok(())
}

/// A term as people read it: literals plainly, IRIs relative to the base or by prefix.
pub fn display_term(term: &Term, base: &str) -> String {
    match term {
        Term::Literal(l) => l.value().replace(['\n', '\r', '\t'], " "),
        Term::NamedNode(n) => {
            let iri = n.as_str();
            if !base.is_empty()
                && let Some(rest) = iri.strip_prefix(base)
            {
                return rest.to_owned();
            }
            PREFIXES
                .iter()
                .find_map(|(prefix, ns)| {
                    iri.strip_prefix(ns)
                        .map(|local| format!("{prefix}:{local}"))
                })
                .unwrap_or_else(|| format!("<{iri}>"))
        }
        Term::BlankNode(b) => format!("_:{}", b.as_str()),
        #[allow(unreachable_patterns)]
        other => other.to_string(),
    }
}
