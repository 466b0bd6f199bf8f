//! Which of a file's definitions or sections holds a span, and which is the first inside one:
//! they nest as the syntax tree does (two are nested or apart, never overlapping), so one sort
//! answers a lookup in logarithmic time and a sweep answers many at once. Asking each in turn, as
//! kg once did, made a file of 4,000 functions of ten calls each take seconds, and so it did for
//! `kg impact` on the whole-file rewrite of one.

// implements: index/bounded

/// Spans (byte or line ranges; a span holds those within it, ends included) in source order: by
/// start, the larger first where two start together, then by index.
pub(crate) struct Nesting {
    /// (start, end, index into the spans given)
    sorted: Vec<(usize, usize, usize)>,
}

impl Nesting {
    pub(crate) fn of(spans: impl IntoIterator<Item = (usize, usize)>) -> Self {
        let mut sorted: Vec<(usize, usize, usize)> = spans
            .into_iter()
            .enumerate()
            .map(|(i, (start, end))| (start, end, i))
            .collect();
        sorted.sort_by_key(|&(start, end, i)| (start, std::cmp::Reverse(end), i));
        Nesting { sorted }
    }

    /// The outermost definition inside `start..end` (an `export` statement wraps its declaration;
    /// an expression statement wraps an `it(...)` call): the one that starts first, the larger
    /// where two start together.
    pub(crate) fn first_within(&self, start: usize, end: usize) -> Option<usize> {
        let from = self.sorted.partition_point(|&(s, _, _)| s < start);
        // Those that start inside but end outside hold the span and start where it does: a
        // short chain.
        self.sorted[from..]
            .iter()
            .take_while(|&&(s, _, _)| s < end || (s == start && start == end))
            .find(|&&(_, e, _)| e <= end)
            .map(|&(_, _, i)| i)
    }

    /// For each span, the smallest one of these that holds it (the first given, of equals), if
    /// any. One sweep over both in source order, with a stack of those open there.
    pub(crate) fn innermost_each(&self, spans: &[(usize, usize)]) -> Vec<Option<usize>> {
        let mut order: Vec<usize> = (0..spans.len()).collect();
        order.sort_by_key(|&i| spans[i].0);
        let mut found = vec![None; spans.len()];
        let mut open: Vec<(usize, usize, usize)> = Vec::new();
        let mut next = 0;
        for i in order {
            let (start, end) = spans[i];
            while let Some(&definition) = self.sorted.get(next).filter(|d| d.0 <= start) {
                while open.last().is_some_and(|top| top.1 < definition.1) {
                    open.pop();
                }
                open.push(definition);
                next += 1;
            }
            // Those that ended before this span cannot hold any later one either.
            while open.last().is_some_and(|top| top.1 < start) {
                open.pop();
            }
            // One that starts with the span may lie inside it: look past those.
            found[i] = open.iter().rposition(|&(_, e, _)| end <= e).map(|mut at| {
                while at > 0 && open[at - 1].0 == open[at].0 && open[at - 1].1 == open[at].1 {
                    at -= 1;
                }
                open[at].2
            });
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The answers of a scan over every span, which `Nesting` must give in less time.
    fn innermost_by_scan(spans: &[(usize, usize)], (start, end): (usize, usize)) -> Option<usize> {
        spans
            .iter()
            .enumerate()
            .filter(|&(_, &(s, e))| s <= start && end <= e)
            .min_by_key(|&(_, &(s, e))| e - s)
            .map(|(i, _)| i)
    }

    fn first_within_by_scan(
        spans: &[(usize, usize)],
        (start, end): (usize, usize),
    ) -> Option<usize> {
        spans
            .iter()
            .enumerate()
            .filter(|&(_, &(s, e))| start <= s && e <= end)
            .min_by_key(|&(_, &(s, e))| (s, std::cmp::Reverse(e)))
            .map(|(i, _)| i)
    }

    #[test]
    fn nested_and_apart_spans_are_found_as_a_scan_finds_them() {
        // mod 0..100 { fn 10..40 { fn 20..30 } fn 50..90 { } } fn 100..120, one that shares its
        // start with its parent, and two alike (a unit and its section).
        let definitions = vec![
            (0, 100),
            (10, 40),
            (20, 30),
            (50, 90),
            (50, 60),
            (100, 120),
            (70, 80),
            (70, 80),
        ];
        let nesting = Nesting::of(definitions.iter().copied());
        let mut spans = Vec::new();
        for start in 0..125 {
            for end in start..125 {
                spans.push((start, end));
            }
        }
        let each = nesting.innermost_each(&spans);
        for (span, found) in spans.iter().zip(&each) {
            assert_eq!(
                *found,
                innermost_by_scan(&definitions, *span),
                "innermost {span:?}"
            );
            assert_eq!(
                nesting.first_within(span.0, span.1),
                first_within_by_scan(&definitions, *span),
                "first within {span:?}"
            );
        }
        assert_eq!(
            each[spans.iter().position(|s| *s == (22, 25)).unwrap()],
            Some(2)
        );
        assert_eq!(
            each[spans.iter().position(|s| *s == (72, 75)).unwrap()],
            Some(6)
        );
        assert_eq!(nesting.first_within(45, 100), Some(3));
    }
}
