//! `piiguard::sorting` (one instantiation of the standard sort for the whole
//! crate, for the module's size) gives exactly the order of the standard
//! library's stable `sort_by` with the comparator it replaces, ties included.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use piiguard::sorting;
use proptest::prelude::*;

/// A span with an identity the comparator does not look at: a sort that is
/// not stable reorders equal spans and the comparison sees it.
#[derive(Debug, Clone, PartialEq)]
struct Span {
    start: usize,
    end: usize,
    id: String,
}

fn spans(raw: &[(u8, u8)]) -> Vec<Span> {
    raw.iter()
        .enumerate()
        .map(|(i, &(s, l))| Span {
            start: usize::from(s % 16),
            end: usize::from(s % 16) + usize::from(l % 8),
            id: format!("#{i}"),
        })
        .collect()
}

fn std_spans(v: &mut [Span]) {
    v.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Short (insertion) and long (sorted indices) slices, many ties.
    #[test]
    fn spans_order_is_std_stable_sort_by(raw in prop::collection::vec(any::<(u8, u8)>(), 0..90)) {
        let mut want = spans(&raw);
        std_spans(&mut want);
        let mut got = spans(&raw);
        sorting::spans(&mut got, |s| (s.start, s.end));
        prop_assert_eq!(got, want);
    }

    #[test]
    fn by_key_is_std_stable_sort_by_key(raw in prop::collection::vec(any::<(u8, u8)>(), 0..90)) {
        let mut want = spans(&raw);
        want.sort_by_key(|s| (s.end, s.start));
        let mut got = spans(&raw);
        sorting::by_key(&mut got, |s| (s.end, s.start));
        prop_assert_eq!(got, want);
    }
}

/// Positions far apart (the descending end is `usize::MAX - end`), ends of
/// zero and `usize::MAX`, and lengths around the insertion sort's limit.
#[test]
fn extremes_and_every_length_around_the_switch() {
    let edge = [0, 1, 2, usize::MAX / 2, usize::MAX - 1, usize::MAX];
    for n in 0..48 {
        let mut want: Vec<Span> = (0..n)
            .map(|i| Span {
                start: edge[(i * 7 + n) % edge.len()],
                end: edge[(i * 5 + 3 * n) % edge.len()],
                id: format!("#{i}"),
            })
            .collect();
        let mut got = want.clone();
        std_spans(&mut want);
        sorting::spans(&mut got, |s| (s.start, s.end));
        assert_eq!(got, want, "n = {n}");
    }
}

/// Already sorted, reversed, all equal: the long path's permutation walks
/// one long cycle, many short ones, or none.
#[test]
fn sorted_reversed_and_equal_inputs() {
    for n in [21, 64, 1000] {
        let sorted: Vec<Span> = (0..n)
            .map(|i| Span {
                start: i,
                end: i + 1,
                id: format!("#{i}"),
            })
            .collect();
        let mut reversed = sorted.clone();
        reversed.reverse();
        let equal: Vec<Span> = (0..n)
            .map(|i| Span {
                start: 5,
                end: 9,
                id: format!("#{i}"),
            })
            .collect();
        for input in [sorted, reversed, equal] {
            let mut want = input.clone();
            std_spans(&mut want);
            let mut got = input;
            sorting::spans(&mut got, |s| (s.start, s.end));
            assert_eq!(got, want, "n = {n}");
        }
    }
}
