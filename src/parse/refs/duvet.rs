//! duvet's annotations: a run of lines that start (after indentation) with `//=` or `//#` (or
//! `*=`/`*#` inside a C block comment, `##=`/`##%` in Python, as duvet's own setups write
//! them). A `//=` line holds the target, `<spec path or URL>#<section>`, or a `key=value`
//! (`type=test|implication|exception|todo|citation`, `reason=`, `level=`, ...); the `//#` lines
//! that follow quote the spec's text. A citation (the default type) implements the section, a
//! test verifies it, and an implication, exception or todo covers it in its own way (its type is
//! the reference's artifact). The target is read as a full id, `feature/section`, whose feature
//! is named as the cited spec's ([`target_feature`]). A meta line after quote lines starts the
//! next annotation, and so does any other line between.

// implements: index/duvet

use super::*;
use crate::parse::spec::duvet::{collapse, target_feature};

/// duvet's annotations.
pub struct DuvetAnnotations;

pub static DUVET: DuvetAnnotations = DuvetAnnotations;

/// The prefixes of a meta line and of a quote line, one pair per comment style.
const PREFIXES: &[(&str, &str)] = &[("//=", "//#"), ("*=", "*#"), ("##=", "##%")];

/// The keys duvet's meta lines take besides the target.
const KEYS: &[&str] = &[
    "type",
    "level",
    "format",
    "reason",
    "tracking-issue",
    "feature",
    "tags",
];

/// An annotation being read.
#[derive(Default)]
struct Annotation {
    /// The target as written, with its position.
    target: Option<(String, Position)>,
    kind: Option<(String, Position)>,
    quote: Vec<String>,
    /// Where its first line is.
    start: Option<Position>,
}

/// A line of an annotation: a meta line's text or a quote line's, with the column after the
/// prefix.
enum Line<'a> {
    Meta(&'a str, usize),
    Quote(&'a str),
    Other,
}

fn classify(line: &str) -> Line<'_> {
    let text = line.trim_start();
    let indent = line.len() - text.len();
    for (meta, quote) in PREFIXES {
        if let Some(rest) = text.strip_prefix(meta) {
            return Line::Meta(rest, indent + meta.len());
        }
        if let Some(rest) = text.strip_prefix(quote) {
            return Line::Quote(rest);
        }
    }
    Line::Other
}

impl DuvetAnnotations {
    fn finish(annotation: Annotation, scan: &mut FileScan) {
        let Some(start) = annotation.start else {
            return;
        };
        let Some((target, at)) = annotation.target else {
            if !annotation.quote.is_empty() {
                scan.problems.push((
                    start,
                    "a duvet quote with no citation above it (`//= <spec>#<section>`); it names nothing".to_owned(),
                ));
            }
            return;
        };
        let kind = annotation
            .kind
            .as_ref()
            .map_or("citation", |(k, _)| k.as_str())
            .to_ascii_lowercase();
        let relation = match kind.as_str() {
            "citation" | "implementation" => Relation::Implements,
            "test" => Relation::Verifies,
            "implication" | "exception" | "todo" => Relation::Covers,
            // A `spec` annotation states a requirement; it covers nothing.
            "spec" => return,
            other => {
                let at = annotation.kind.map_or(start, |(_, p)| p);
                scan.problems.push((
                    at,
                    format!("duvet knows no annotation type `{other}` (citation, test, implication, exception, todo, spec); it names nothing"),
                ));
                return;
            }
        };
        let Some((spec, section)) = target.split_once('#').filter(|(_, s)| !s.is_empty()) else {
            scan.problems.push((
                at,
                format!("the duvet citation `{target}` names no section (`{target}#<section>`); it names nothing"),
            ));
            return;
        };
        let quote = collapse(&annotation.quote.join(" "));
        scan.references.push((
            at,
            FoundReference {
                relation,
                target: format!("{}/{section}", target_feature(spec)),
                offset: 0,
                local: false,
                tool: Tool::Duvet,
                artifact: Some(match kind.as_str() {
                    "implementation" => "citation".to_owned(),
                    _ => kind,
                }),
                whole_file: false,
            },
            (!quote.is_empty()).then_some(quote),
        ));
    }
}

impl MarkerSyntax for DuvetAnnotations {
    fn scan_line(&self, _line: &str) -> Vec<FoundReference> {
        Vec::new()
    }

    fn scan_file(&self, text: &str) -> FileScan {
        let mut scan = FileScan::default();
        // Cheap first: most files hold no annotation.
        if !PREFIXES
            .iter()
            .any(|(meta, quote)| text.contains(meta) || text.contains(quote))
        {
            return scan;
        }
        let mut current = Annotation::default();
        for (n, line) in text.lines().enumerate() {
            let position = |column: usize| Position {
                line: n as u32 + 1,
                column: column as u32 + 1,
            };
            match classify(line) {
                Line::Meta(rest, column) => {
                    if !current.quote.is_empty() {
                        Self::finish(std::mem::take(&mut current), &mut scan);
                    }
                    let value = rest.trim();
                    let at = position(column + rest.len() - rest.trim_start().len());
                    current.start.get_or_insert(at);
                    match value.split_once('=') {
                        Some((key, kind)) if key.trim() == "type" => {
                            current.kind = Some((kind.trim().to_owned(), at));
                        }
                        Some((key, _)) if KEYS.contains(&key.trim()) => {}
                        // A target names a spec: a path or URL (`//=====` is a separator).
                        _ if value.contains(['#', '/', '.', ':']) => {
                            current.target = Some((value.to_owned(), at));
                        }
                        _ => {}
                    }
                }
                Line::Quote(rest) => {
                    let indent = line.len() - line.trim_start().len();
                    current.start.get_or_insert(position(indent));
                    current.quote.push(rest.trim().to_owned());
                }
                Line::Other => Self::finish(std::mem::take(&mut current), &mut scan),
            }
        }
        Self::finish(current, &mut scan);
        scan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> (Vec<String>, Vec<String>) {
        let scan = DUVET.scan_file(text);
        let references = scan
            .references
            .iter()
            .map(|(p, r, quote)| {
                format!(
                    "{}:{} {:?} {} {} | {}",
                    p.line,
                    p.column,
                    r.relation,
                    r.artifact.as_deref().unwrap_or(""),
                    r.target,
                    quote.as_deref().unwrap_or("")
                )
            })
            .collect();
        let problems = scan
            .problems
            .iter()
            .map(|(p, m)| format!("{}:{} {m}", p.line, p.column))
            .collect();
        (references, problems)
    }

    // verifies: index/duvet
    #[test]
    fn reads_annotations_with_their_types_and_quotes() {
        let text = "fn decrypt() {
    //= specification/decrypt-item.md#behavior
    //# The client MUST decrypt
    //# the item.
    let x = 1;
    //= https://www.rfc-editor.org/rfc/rfc9114#section-4.1
    //= type=test
    //# A client MUST send only a single request on a given stream.
    //= specification/decrypt-item.md#behavior
    //= type=implication
    //= reason=The type system does it.
    //# Callers SHOULD retry once.
}
/*
 *= compliance/specs/rfc8446.txt#section-4
 *# TLS MUST be used.
 */
";
        let (references, problems) = scan(text);
        assert_eq!(
            references,
            vec![
                "2:9 Implements citation specification.decrypt-item/behavior | The client MUST decrypt the item.",
                "6:9 Verifies test www.rfc-editor.org.rfc.rfc9114/section-4.1 | A client MUST send only a single request on a given stream.",
                "9:9 Covers implication specification.decrypt-item/behavior | Callers SHOULD retry once.",
                "15:5 Implements citation rfc8446/section-4 | TLS MUST be used.",
            ]
        );
        assert!(problems.is_empty(), "{problems:?}");
    }

    // verifies: index/bad-input
    #[test]
    fn a_quote_without_a_citation_and_a_bad_type_are_problems() {
        // A separator line is no annotation.
        assert_eq!(
            scan("//=============\nfn f() {}\n"),
            (Vec::new(), Vec::new())
        );
        let text = "//# A quote with nothing above it.

//= spec.md#s
//= type=proof
//# Text.

//= spec.md
//# Text.
";
        let (references, problems) = scan(text);
        assert!(references.is_empty(), "{references:?}");
        assert_eq!(
            problems,
            vec![
                "1:1 a duvet quote with no citation above it (`//= <spec>#<section>`); it names nothing",
                "4:5 duvet knows no annotation type `proof` (citation, test, implication, exception, todo, spec); it names nothing",
                "7:5 the duvet citation `spec.md` names no section (`spec.md#<section>`); it names nothing",
            ]
        );
    }
}
