//! The crate's sorts, through one instantiation of the standard library's
//! sort (module size, bench/SIZE.md session 6).
//!
//! Each `slice::sort_by` on a new element type or comparator compiled to
//! ~6 KB of wasm (driftsort: quicksort, merge, small sorts), ~70 KB for the
//! crate's eleven. Here a short slice is sorted by insertion (what the
//! standard library does below 21 elements too) and a longer one by sorting
//! `(key, index)` triples, one instantiation for every caller, then moving
//! the elements into that order: the result is the stable order the standard
//! library's `sort_by` gives for the same key (`tests/sorting.rs` compares them).

/// Longest slice sorted by insertion (the standard library's stable sort
/// switches at the same length).
const INSERTION_MAX: usize = 20;

/// Sorts `v` by `key`, ascending, keeping the order of equal keys (stable).
pub fn by_key<T>(v: &mut [T], key: impl Fn(&T) -> (usize, usize)) {
    let n = v.len();
    if n < 2 {
        return;
    }
    if n <= INSERTION_MAX {
        for i in 1..n {
            let k = key(&v[i]);
            let mut j = i;
            while j > 0 && key(&v[j - 1]) > k {
                v.swap(j - 1, j);
                j -= 1;
            }
        }
        return;
    }
    let mut keys: Vec<(usize, usize, usize)> = v
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let (a, b) = key(x);
            (a, b, i)
        })
        .collect();
    // the index makes every triple distinct: the unstable sort's order is the stable one
    keys.sort_unstable();
    let mut from: Vec<usize> = keys.into_iter().map(|(_, _, i)| i).collect();
    permute(v, &mut from);
}

/// Sorts spans by start, longer first at the same start, stably: the order of
/// `sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)))`.
pub fn spans<T>(v: &mut [T], span: impl Fn(&T) -> (usize, usize)) {
    by_key(v, |x| {
        let (s, e) = span(x);
        (s, usize::MAX - e)
    });
}

/// Puts the element at `from[i]` at `i`, for every `i` (`from` is a
/// permutation of `0..v.len()`; it is used up).
fn permute<T>(v: &mut [T], from: &mut [usize]) {
    const DONE: usize = usize::MAX;
    for i in 0..v.len() {
        let mut j = i;
        while let Some(k) = from.get_mut(j).map(|f| std::mem::replace(f, DONE)) {
            if k == DONE || k == i {
                break;
            }
            v.swap(j, k);
            j = k;
        }
    }
}
