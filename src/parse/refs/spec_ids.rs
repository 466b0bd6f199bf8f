//! The ids spec-driven teams write in code as they are, without a marker: Spec Kit's `FR-003`,
//! `NFR-002`, `SC-002`, `US1`, `US1/AC2` and task ids `T052`, and Kiro's numbered requirements
//! after the word that names them (`Validates: Requirements 1.2, 1.3`, `_Requirements: 2.1_`).
//! Such an id names no feature, so it is *local*: `link::ids` decides which feature it means.
//!
//! A comment that names its feature qualifies every local id in it: a spec path
//! (`specs/002-sync/spec.md (FR-003)`, `.kiro/specs/auth/`, `openspec/specs/auth/`) or a Kiro
//! property test's `Feature: auth`.

// implements: index/local-ids

use super::*;

/// Spec Kit and Kiro ids in comments, read as they are written.
pub struct SpecIds;

/// The one instance in [`SYNTAXES`].
pub static SPEC_IDS: SpecIds = SpecIds;

impl MarkerSyntax for SpecIds {
    fn scan_line(&self, line: &str) -> Vec<FoundReference> {
        if !line.bytes().any(|b| b.is_ascii_digit()) {
            return Vec::new();
        }
        let mut found: Vec<FoundReference> = ids_in(line)
            .into_iter()
            .map(|(offset, target)| FoundReference {
                relation: Relation::Implements,
                target,
                offset,
                local: true,
                tool: Tool::Kg,
                artifact: None,
                whole_file: false,
            })
            .collect();
        found.extend(
            requirement_numbers(line)
                .into_iter()
                .map(|(offset, target)| FoundReference {
                    relation: Relation::Implements,
                    target,
                    offset,
                    local: true,
                    tool: Tool::Kg,
                    artifact: None,
                    whole_file: false,
                }),
        );
        found.sort_by_key(|f| f.offset);
        found
    }

    fn scope(&self, line: &str) -> Option<String> {
        for prefix in [".kiro/specs/", "openspec/specs/", "specs/"] {
            let mut from = 0;
            while let Some(at) = line[from..].find(prefix) {
                let start = from + at;
                from = start + prefix.len();
                // `specs/` inside `.kiro/specs/` was handled by the longer prefix.
                let after_word = start == 0 || !is_word(line.as_bytes()[start - 1]);
                let rest = &line[from..];
                let len = rest.find('/').unwrap_or(0);
                let name = &rest[..len];
                let spec_kit_dir =
                    prefix != "specs/" || name.starts_with(|c: char| c.is_ascii_digit());
                if after_word && len > 0 && spec_kit_dir && name.bytes().all(is_name_byte) {
                    return Some(name.to_owned());
                }
            }
        }
        let at = line.find("Feature:")?;
        let rest = line[at + "Feature:".len()..].trim_start();
        let len = rest.bytes().take_while(|b| is_name_byte(*b)).count();
        (len > 0).then(|| rest[..len].to_owned())
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// The Spec Kit ids in `text` with their byte offsets, ranges expanded (`FR-005 to FR-007`,
/// `FR-005–FR-007`, `FR1-FR3`: each id of the range, all at the first one's offset).
pub fn ids_in(text: &str) -> Vec<(usize, String)> {
    let bytes = text.as_bytes();
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let boundary = i == 0 || !(is_word(bytes[i - 1]) || matches!(bytes[i - 1], b'-' | b'/'));
        let len = if boundary { spec_id_len(&text[i..]) } else { 0 };
        if len == 0 {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
            continue;
        }
        let id = &text[i..i + len];
        let next = i + len;
        // A range to a second id of the same kind.
        let rest = &text[next..];
        let joined = [" to ", "–", "-", " - ", " – ", ".."]
            .iter()
            .find_map(|sep| rest.strip_prefix(sep).map(|r| (sep.len(), r)));
        if let Some((sep, after)) = joined {
            let end_len = spec_id_len(after);
            if let Some(all) = (end_len > 0)
                .then(|| expand(id, &after[..end_len]))
                .flatten()
            {
                out.extend(all.into_iter().map(|id| (i, id)));
                i = next + sep + end_len;
                continue;
            }
        }
        out.push((i, id.to_owned()));
        i = next;
    }
    out
}

/// The length of the Spec Kit id at the start of `text`, or 0: `FR-001`, `FR-012c`, `FR1`,
/// `NFR-002`, `SC-004`, `US2`, `US1/AC3`, `T052`.
fn spec_id_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let digits = |from: usize| {
        bytes[from.min(bytes.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let ends = |at: usize| at >= bytes.len() || !is_word(bytes[at]);
    for prefix in ["NFR", "FR", "SC"] {
        if let Some(rest) = text.strip_prefix(prefix) {
            let dash = usize::from(rest.starts_with('-'));
            let start = prefix.len() + dash;
            let n = digits(start);
            if n == 0 {
                return 0;
            }
            let mut end = start + n;
            // One lower-case letter may follow: `FR-012c`.
            if bytes.get(end).is_some_and(u8::is_ascii_lowercase) && ends(end + 1) {
                end += 1;
            }
            return if ends(end) { end } else { 0 };
        }
    }
    if let Some(rest) = text.strip_prefix("US") {
        let n = digits(2);
        if n == 0 {
            return 0;
        }
        let mut end = 2 + n;
        if rest[n..].starts_with("/AC") {
            let k = digits(end + 3);
            if k > 0 {
                end += 3 + k;
            }
        }
        return if ends(end) { end } else { 0 };
    }
    if text.starts_with('T') {
        let n = digits(1);
        return if n >= 3 && ends(1 + n) { 1 + n } else { 0 };
    }
    0
}

/// Every id from `first` to `last` when both are of one kind and width: `FR-005`..`FR-007`.
fn expand(first: &str, last: &str) -> Option<Vec<String>> {
    let split = |id: &str| {
        let at = id.find(|c: char| c.is_ascii_digit())?;
        let (head, number) = id.split_at(at);
        number
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then_some((head.to_owned(), number.to_owned()))
    };
    let (head, from) = split(first)?;
    let (last_head, to) = split(last)?;
    let (a, b): (u32, u32) = (from.parse().ok()?, to.parse().ok()?);
    if head != last_head || head.contains('/') || b < a || b - a > 200 {
        return None;
    }
    let width = from.len();
    Some((a..=b).map(|n| format!("{head}{n:0width$}")).collect())
}

/// Kiro requirement numbers after the word that names them: `Requirements 1.2, 1.3`,
/// `_Requirements: 2.1_`, `Requirement 3`, `要件 1.1`, ranges expanded (`1.1-1.3`).
pub fn requirement_numbers(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for word in [
        "Requirements",
        "Requirement",
        "requirements",
        "requirement",
        "要件",
    ] {
        let mut from = 0;
        while let Some(at) = text[from..].find(word) {
            let start = from + at;
            from = start + word.len();
            // `_Requirements: 1.1_` is Kiro's italics.
            let before_ok = start == 0 || !text.as_bytes()[start - 1].is_ascii_alphanumeric();
            // `Requirements` also contains `Requirement`: read it once.
            if !before_ok || text[from..].starts_with('s') {
                continue;
            }
            let mut i = from;
            let rest = &text[i..];
            i += rest.len() - rest.trim_start_matches([':', '_', '*', ' ', '\t']).len();
            loop {
                let len = number_len(&text[i..]);
                if len == 0 {
                    break;
                }
                let first = &text[i..i + len];
                let mut end = i + len;
                let range = ["-", "–", " - ", " – ", " to "]
                    .iter()
                    .find_map(|sep| text[end..].strip_prefix(sep).map(|r| (sep.len(), r)));
                let expanded = range.and_then(|(sep, after)| {
                    let last_len = number_len(after);
                    let all = expand_numbers(first, &after[..last_len])?;
                    end += sep + last_len;
                    Some(all)
                });
                match expanded {
                    Some(all) => out.extend(all.into_iter().map(|n| (i, n))),
                    None => out.push((i, first.to_owned())),
                }
                i = end;
                let rest = &text[i..];
                let after = rest.trim_start_matches([',', '、', ' ', '\t']);
                let after = after.strip_prefix("and ").unwrap_or(after);
                if after.len() == rest.len() {
                    break;
                }
                i += rest.len() - after.len();
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The length of `1`, `1.2` or `1.2.3` at the start of `text` (not followed by more of a word).
fn number_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    loop {
        let n = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return if i == 0 { 0 } else { i - 1 };
        }
        i += n;
        if bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
        } else {
            break;
        }
    }
    if bytes.get(i).is_some_and(u8::is_ascii_alphanumeric) {
        0
    } else {
        i
    }
}

/// `1.1`..`1.5`: the numbers between, when only the last part differs.
fn expand_numbers(first: &str, last: &str) -> Option<Vec<String>> {
    let (head, a) = first.rsplit_once('.').unwrap_or(("", first));
    let (last_head, b) = last.rsplit_once('.').unwrap_or(("", last));
    let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
    if head != last_head || b < a || b - a > 200 {
        return None;
    }
    let dot = if head.is_empty() { "" } else { "." };
    Some((a..=b).map(|n| format!("{head}{dot}{n}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(line: &str) -> Vec<String> {
        SPEC_IDS
            .scan_line(line)
            .into_iter()
            .map(|f| f.target)
            .collect()
    }

    // verifies: index/local-ids
    #[test]
    fn reads_spec_kit_ids_as_teams_write_them() {
        assert_eq!(
            ids("// FR-003, FR-012c and SC-002 (NFR-001); see US1/AC2"),
            vec!["FR-003", "FR-012c", "SC-002", "NFR-001", "US1/AC2"]
        );
        assert_eq!(ids("/// T052 [US2] Integration test"), vec!["T052", "US2"]);
        assert_eq!(
            ids("// FR-005 to FR-007, FR1-FR3"),
            vec!["FR-005", "FR-006", "FR-007", "FR1", "FR2", "FR3"]
        );
        assert_eq!(ids("// FR-00003"), vec!["FR-00003"]);
        // Not ids: parts of longer words, short task numbers, paths.
        assert!(ids("// XFR-001 FR- T12 T052x US AC1 USB3 docs/T100 a-SC-1").is_empty());
    }

    #[test]
    fn reads_kiro_requirement_numbers_after_their_word() {
        assert_eq!(
            ids("// Validates: Requirements 1.2, 1.3 and 2.1"),
            vec!["1.2", "1.3", "2.1"]
        );
        assert_eq!(
            ids("_Requirements: 1.1-1.3, 4_"),
            vec!["1.1", "1.2", "1.3", "4"]
        );
        assert_eq!(ids("// 要件 2.1、2.2"), vec!["2.1", "2.2"]);
        assert!(ids("// version 1.2 of the protocol").is_empty());
        assert!(ids("// Requirements for 1.2").is_empty());
    }

    #[test]
    fn a_comment_names_its_feature_by_a_spec_path_or_feature_line() {
        let scope = |line: &str| SPEC_IDS.scope(line);
        assert_eq!(
            scope("// specs/002-sync/spec.md (FR-003)").as_deref(),
            Some("002-sync")
        );
        assert_eq!(
            scope("// see .kiro/specs/user-auth/design.md").as_deref(),
            Some("user-auth")
        );
        assert_eq!(
            scope("// openspec/specs/auth/spec.md").as_deref(),
            Some("auth")
        );
        assert_eq!(
            scope("// Feature: user-auth, Property 1: round trip").as_deref(),
            Some("user-auth")
        );
        assert_eq!(scope("// specs/upload.yaml"), None);
        assert_eq!(scope("// nothing here"), None);
    }
}
