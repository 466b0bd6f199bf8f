//! tracey's tags in comments: `r[impl id]` implements the requirement `id`, `r[verify id]`
//! verifies it, and a bare `r[id]` implements it (as tracey reads it); a version (`r[impl
//! id+2]`) stays on the id, for [`version`] to tell. The ids are local: they name no feature, and resolve to the tracey spec
//! set that defines them. Other prefixes (`parser[impl entry.key-equality]`) read the same way.
//! `depends` and `related` tags say the code depends on, or relates to, the requirement: they
//! cover it in their own way (`Relation::Covers`, the verb as the artifact), which neither
//! implements nor verifies it.

// implements: index/tracey

use super::*;

/// tracey's tags.
pub struct TraceyTags;

pub static TRACEY: TraceyTags = TraceyTags;

impl MarkerSyntax for TraceyTags {
    fn problems(&self, line: &str) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        // Only tracey's own prefix: `x[i j]` in a comment of any project is no tag written wrong.
        for (offset, prefix, inner) in Self::brackets(line).into_iter().filter(|b| b.1 == "r") {
            match inner {
                // An unknown verb: a verb-shaped word before an id-shaped one.
                Some(inner) => {
                    if let Some((verb, id)) = inner.split_once(' ')
                        && !matches!(verb, "impl" | "verify" | "depends" | "related")
                        && !verb.is_empty()
                        && verb.bytes().all(|b| b.is_ascii_lowercase())
                        && crate::parse::spec::tracey::is_id(version(id.trim()).0)
                    {
                        out.push((
                            offset,
                            format!("`{prefix}[{inner}]`: tracey knows no verb `{verb}` (it reads impl, verify, depends and related); it links nothing"),
                        ));
                    }
                }
                // `r[impl link` with no `]` on the line.
                None => {
                    let rest = &line[offset + prefix.len() + 1..];
                    if ["impl ", "verify ", "depends ", "related "]
                        .iter()
                        .any(|verb| rest.starts_with(verb))
                    {
                        out.push((
                            offset,
                            format!(
                                "`{prefix}[{}` is not closed on its line; it links nothing",
                                rest.trim_end()
                            ),
                        ));
                    }
                }
            }
        }
        out
    }

    fn scan_line(&self, line: &str) -> Vec<FoundReference> {
        let mut found = Vec::new();
        for (start, prefix, inner) in Self::brackets(line) {
            let (Some(inner), open) = (inner, start + prefix.len()) else {
                continue;
            };
            let (relation, id, offset, artifact) = match inner.split_once(' ') {
                Some(("impl", id)) => (Relation::Implements, id, open + 6, None),
                Some(("verify", id)) => (Relation::Verifies, id, open + 8, None),
                // The code depends on, or relates to, the requirement: kept as that.
                Some((verb @ ("depends" | "related"), id)) => {
                    (Relation::Covers, id, open + verb.len() + 2, Some(verb))
                }
                Some(_) => continue,
                // A bare id is an implementation only with tracey's own prefix.
                None if prefix == "r" => (Relation::Implements, inner, open + 1, None),
                None => continue,
            };
            let written = id.trim();
            let (id, _) = version(written);
            if crate::parse::spec::tracey::is_id(id) {
                found.push(FoundReference {
                    relation,
                    target: written.to_owned(),
                    offset,
                    local: true,
                    tool: Tool::Tracey,
                    artifact: artifact.map(str::to_owned),
                    whole_file: false,
                });
            }
        }
        found
    }
}

/// A tag's id and the version it names: `link+2` is `link` at version 2, `link` names none.
pub fn version(written: &str) -> (&str, Option<u32>) {
    Tool::Tracey.versioned(written)
}

impl TraceyTags {
    /// The tag-shaped brackets of `line`: the prefix's offset, the prefix, and what stands in
    /// the brackets (`None` when they are not closed on the line).
    fn brackets(line: &str) -> Vec<(usize, &str, Option<&str>)> {
        let bytes = line.as_bytes();
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(at) = line[from..].find('[') {
            let open = from + at;
            from = open + 1;
            let start = line[..open]
                .bytes()
                .rposition(|b| !(b.is_ascii_lowercase() || b == b'_'))
                .map_or(0, |i| i + 1);
            if start == open || (start > 0 && bytes[start - 1].is_ascii_alphanumeric()) {
                continue;
            }
            let inner = line[open + 1..]
                .find(']')
                .map(|i| &line[open + 1..open + 1 + i]);
            out.push((start, &line[start..open], inner));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(line: &str) -> Vec<(Relation, String, usize)> {
        TRACEY
            .scan_line(line)
            .into_iter()
            .map(|f| (f.relation, f.target, f.offset))
            .collect()
    }

    // verifies: index/tracey
    #[test]
    fn reads_impl_verify_and_bare_tags_with_any_prefix() {
        assert_eq!(
            tags("// r[impl session.handshake.cbor]"),
            vec![(
                Relation::Implements,
                "session.handshake.cbor".to_owned(),
                10
            )]
        );
        assert_eq!(
            tags("/// r[verify link.rx.eof] and r[impl link+2] - done"),
            vec![
                (Relation::Verifies, "link.rx.eof".to_owned(), 13),
                (Relation::Implements, "link+2".to_owned(), 37),
            ]
        );
        assert_eq!(
            tags("    // parser[impl entry.key-equality]"),
            vec![(Relation::Implements, "entry.key-equality".to_owned(), 19)]
        );
        assert_eq!(
            tags("// r[transport.memory], r[depends link]"),
            vec![
                (Relation::Implements, "transport.memory".to_owned(), 5),
                (Relation::Covers, "link".to_owned(), 34)
            ]
        );
        // Not tags: a space before the bracket, no prefix, an unknown verb, a capital prefix.
        for line in [
            "// a [i] = r [impl x]",
            "// see [impl link]",
            "// r[frobnicate link]",
            "// R[impl link]",
            "// r[impl Not An Id]",
        ] {
            assert_eq!(tags(line), vec![], "{line}");
        }
    }

    // verifies: index/bad-input
    #[test]
    fn an_unknown_verb_and_an_unclosed_tag_are_problems() {
        assert_eq!(
            TRACEY.problems("// r[frobnicate link] and r[impl ok]"),
            vec![(
                3,
                "`r[frobnicate link]`: tracey knows no verb `frobnicate` (it reads impl, verify, depends and related); it links nothing".to_owned()
            )]
        );
        assert_eq!(
            TRACEY.problems("// r[impl link.rx"),
            vec![(
                3,
                "`r[impl link.rx` is not closed on its line; it links nothing".to_owned()
            )]
        );
        // Indexing and prose in brackets are no tags at all.
        assert!(
            TRACEY
                .problems("// a[i] = b[j + 1]; see [the spec]; m[key value]")
                .is_empty()
        );
    }
}
