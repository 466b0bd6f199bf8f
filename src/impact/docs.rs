//! Docs to review: the texts of the docs at HEAD, and the sections that name a changed definition
//! or path.

use super::*;

/// The doc files of the index with their text, for finding the docs that name what changed.
fn doc_texts(store: &ReadStore, repo: &Repo) -> Result<Vec<(String, String)>, ChangeError> {
    let rows = store.select(
        "SELECT ?path ?blob WHERE { ?file a kg:DocFile ; kg:path ?path ; kg:blob ?blob } ORDER BY ?path",
        "impact docs",
    )?;
    let reader = repo.blob_reader();
    let mut docs = Vec::new();
    for row in rows {
        let (Some(path), Some(blob)) = (cell(&row[0]), cell(&row[1])) else {
            continue;
        };
        let Ok(id) = ObjectId::from_hex(blob.as_bytes()) else {
            continue;
        };
        let text = String::from_utf8_lossy(&reader.read(id)?).into_owned();
        docs.push((path, text));
    }
    Ok(docs)
}

/// Sections of docs at HEAD that name a changed definition or a changed file's path. The docs are
/// read only when there is such a name or path.
pub(super) fn named_in_docs(
    touched: &[Touched],
    changed_paths: &[String],
    context: &Context<'_>,
) -> Result<Vec<ImpactDoc>, ChangeError> {
    let names: Vec<(&str, &Touched)> = touched
        .iter()
        .filter(|t| !t.is_doc)
        .filter_map(|t| Some((t.bare_name.as_deref()?, t)))
        .filter(|(name, _)| distinctive(name))
        .collect();
    let mut out = Vec::new();
    // Every path and name in one automaton: a search per line, not one per line and name.
    let patterns = changed_paths
        .iter()
        .map(String::as_str)
        .chain(names.iter().map(|(name, _)| *name));
    if changed_paths.is_empty() && names.is_empty() {
        return Ok(out);
    }
    let Ok(searcher) = aho_corasick::AhoCorasick::new(patterns) else {
        return Ok(out);
    };
    let mut parser = FileParser::new(CodeQueries::shared());
    for (path, text) in &doc_texts(context.store, context.repo)? {
        if changed_paths.contains(path) {
            continue;
        }
        let mut hits: Vec<(u32, String)> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line_number = n as u32 + 1;
            // Paths anywhere; names as whole words.
            let found: BTreeSet<usize> = searcher
                .find_overlapping_iter(line)
                .filter(|m| {
                    let p = m.pattern().as_usize();
                    p < changed_paths.len() || is_word_at(line, m.start(), m.end())
                })
                .map(|m| m.pattern().as_usize())
                .collect();
            for p in found {
                let what = match p.checked_sub(changed_paths.len()) {
                    None => format!("{} (changed)", changed_paths[p]),
                    Some(n) => names[n].1.head(),
                };
                hits.push((line_number, what));
            }
        }
        if hits.is_empty() {
            continue;
        }
        let facts = parser.parse(
            FileFacts::new(path, FileKind::Doc, "", text.len() as u64),
            text.as_bytes(),
            context.config.rules.max_file_size,
            None,
        );
        let units = units(&facts, text);
        let mut seen = BTreeSet::new();
        let lines: Vec<u32> = hits.iter().map(|(line, _)| *line).collect();
        let holders = innermost_each(&units, &lines);
        for ((line, what), holder) in hits.into_iter().zip(holders) {
            let unit = holder.map(|i| &units[i]);
            let section = unit.and_then(|u| u.node.name.clone());
            if !seen.insert(section.clone()) {
                continue;
            }
            let place = match &section {
                Some(s) => format!("{path}:{line} ({s})"),
                None => format!("{path}:{line}"),
            };
            out.push(ImpactDoc {
                path: path.clone(),
                line: unit.map(|u| u.start).or(Some(line)),
                section,
                why: format!("{what} -> named in {place}"),
            });
        }
    }
    Ok(out)
}

/// Whether a name is distinctive enough to look for in prose: `check_size`, `UploadGateway`,
/// not `new` or `run`.
pub(super) fn distinctive(name: &str) -> bool {
    name.len() >= 4
        && (name.contains('_')
            || name.chars().skip(1).any(|c| c.is_ascii_uppercase())
            || name.len() >= 8)
}

/// Whether `line[start..end]` stands as a word of its own (no identifier character either side).
pub(super) fn is_word_at(line: &str, start: usize, end: usize) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let before = line[..start].chars().next_back();
    let after = line[end..].chars().next();
    !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
}
