//! The proxy-wasm ABI's byte encodings: header maps and property paths.
//! Pure, so they are tested natively; `glue.rs` makes the calls. The SDK's
//! own wrappers panic on any host status they do not expect, and a panic
//! takes the VM down (under `FAIL_OPEN` that switches protection off), so
//! the glue calls the ABI itself and reads the host's bytes here, where a
//! malformed answer is an error, never a panic.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A header map as the host exchanges it: the pair count, each pair's key
/// and value lengths (u32, little endian), then each key and value followed
/// by a NUL.
pub fn encode_pairs<K: AsRef<[u8]>, V: AsRef<[u8]>>(pairs: &[(K, V)]) -> Vec<u8> {
    let text: usize = pairs.iter().map(|(k, v)| k.as_ref().len() + v.as_ref().len() + 2).sum();
    let mut out = Vec::with_capacity(4 + 8 * pairs.len() + text);
    out.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
    for (k, v) in pairs {
        out.extend_from_slice(&(k.as_ref().len() as u32).to_le_bytes());
        out.extend_from_slice(&(v.as_ref().len() as u32).to_le_bytes());
    }
    for (k, v) in pairs {
        out.extend_from_slice(k.as_ref());
        out.push(0);
        out.extend_from_slice(v.as_ref());
        out.push(0);
    }
    out
}

/// Reads a header map the host serialised (see [`encode_pairs`]); names and
/// values that are not UTF-8 are read lossily (U+FFFD), as the flow reads
/// them anyway. `None` when the bytes do not describe a map exactly: a count
/// or length past the end, a missing NUL, or bytes left over.
pub fn decode_pairs(bytes: &[u8]) -> Option<Vec<(String, String)>> {
    let pairs = decode_pairs_borrowed(bytes)?;
    Some(
        pairs
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    )
}

/// [`decode_pairs`] without a copy per name and value: each borrows the
/// host's bytes, unless it is not UTF-8 (then read lossily, as
/// [`decode_pairs`] reads it). `None` exactly when [`decode_pairs`] is.
pub fn decode_pairs_borrowed(bytes: &[u8]) -> Option<Vec<(Cow<'_, str>, Cow<'_, str>)>> {
    if bytes.is_empty() {
        return Some(Vec::new());
    }
    let n = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    let head = n.checked_mul(8)?.checked_add(4)?;
    if head > bytes.len() {
        return None;
    }
    let (lens, text) = (&bytes[4..head], &bytes[head..]);
    // The text (names and values, each ended by a NUL) checked as UTF-8 at
    // once, not name by name: every piece starts after a NUL or at the
    // start and a NUL is never inside a character, so in valid text each
    // piece is a `str` of its own (the common case: header text is ASCII).
    let valid = std::str::from_utf8(text).ok();
    let piece = |at: usize, end: usize| -> Cow<'_, str> {
        match valid.and_then(|v| v.get(at..end)) {
            Some(s) => Cow::Borrowed(s),
            None => String::from_utf8_lossy(&text[at..end]),
        }
    };
    let mut out = Vec::with_capacity(n);
    let mut at = 0usize;
    for l in lens.chunks_exact(8) {
        let (kl, vl) = (
            u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize,
            u32::from_le_bytes([l[4], l[5], l[6], l[7]]) as usize,
        );
        // each name and value is followed by a NUL
        let k_end = at.checked_add(kl)?;
        let v_end = k_end.checked_add(1)?.checked_add(vl)?;
        if text.get(k_end) != Some(&0) || text.get(v_end) != Some(&0) {
            return None;
        }
        out.push((piece(at, k_end), piece(k_end + 1, v_end)));
        at = v_end + 1;
    }
    (at == text.len()).then_some(out)
}

/// A header map the host serialised, read where it lies: checked as
/// [`decode_pairs`] checks it (`None` exactly when it gives `None`), then
/// its pairs are walked in place as bytes, without a list, a copy or a
/// UTF-8 check ([`PairsInPlace::pairs`]).
pub fn pairs_in_place(bytes: &[u8]) -> Option<PairsInPlace<'_>> {
    if bytes.is_empty() {
        return Some(PairsInPlace { lens: &[], text: &[] });
    }
    let n = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    let head = n.checked_mul(8)?.checked_add(4)?;
    if head > bytes.len() {
        return None;
    }
    let (lens, text) = (&bytes[4..head], &bytes[head..]);
    let mut at = 0usize;
    for l in lens.chunks_exact(8) {
        let (kl, vl) = lengths(l);
        let k_end = at.checked_add(kl)?;
        let v_end = k_end.checked_add(1)?.checked_add(vl)?;
        if text.get(k_end) != Some(&0) || text.get(v_end) != Some(&0) {
            return None;
        }
        at = v_end + 1;
    }
    (at == text.len()).then_some(PairsInPlace { lens, text })
}

/// A key's and a value's length from one 8-byte entry of a map's head.
fn lengths(l: &[u8]) -> (usize, usize) {
    match l {
        [a, b, c, d, e, f, g, h, ..] => (
            u32::from_le_bytes([*a, *b, *c, *d]) as usize,
            u32::from_le_bytes([*e, *f, *g, *h]) as usize,
        ),
        _ => (0, 0),
    }
}

/// A header map checked by [`pairs_in_place`].
#[derive(Clone, Copy, Debug)]
pub struct PairsInPlace<'a> {
    lens: &'a [u8],
    text: &'a [u8],
}

impl<'a> PairsInPlace<'a> {
    /// Each name and value as the host wrote it, in its order (the bytes of
    /// [`decode_pairs_borrowed`]'s pairs, before any lossy reading).
    pub fn pairs(self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + Clone + 'a {
        let text = self.text;
        let mut at = 0usize;
        self.lens.chunks_exact(8).map(move |l| {
            let (kl, vl) = lengths(l);
            // in range: checked by `pairs_in_place`
            let k = text.get(at..at + kl).unwrap_or_default();
            let v = text.get(at + kl + 1..at + kl + 1 + vl).unwrap_or_default();
            at += kl + vl + 2;
            (k, v)
        })
    }
}

/// The counts of a VM between two flushes to the host's counters: a
/// request's counts are additions here, and the host call that adds them to
/// Envoy's counter (~1.2 K Envoy instructions each) is made once per counter
/// per flush (the glue flushes on the root context's tick), not once per
/// request. Nothing counted is dropped: a flush hands over every count since
/// the last one.
#[derive(Default)]
pub struct Counters {
    /// Host id and count since the last flush, by name.
    by_name: HashMap<String, (u32, u64), BuildHasherDefault<NameHash>>,
}

impl Counters {
    /// Adds `delta` to the counter `name`, defined with the host by `define`
    /// (its id) the first time. A counter the host does not define is not
    /// counted (as the host could not count it either); defining it is tried
    /// again on its next count.
    pub fn add(&mut self, name: &str, delta: u64, define: impl FnOnce(&str) -> Option<u32>) {
        match self.by_name.get_mut(name) {
            Some((_, n)) => *n += delta,
            None => {
                if let Some(id) = define(name) {
                    self.by_name.insert(name.to_string(), (id, delta));
                }
            }
        }
    }

    /// Hands every count since the last flush to `increment` (host id,
    /// count), one call per counter that moved, and starts again from 0.
    pub fn flush(&mut self, mut increment: impl FnMut(u32, u64)) {
        for (id, n) in self.by_name.values_mut() {
            if *n > 0 {
                increment(*id, *n);
                *n = 0;
            }
        }
    }
}

/// The counter lookup's hash: metric names are short, fixed and ours (no
/// hash flooding), and one is looked up per counter per request. Eight bytes
/// a step (FNV-1a's multiplier over 64-bit words, a rotation to mix the high
/// bits down), not one: names are ~60 bytes alike at both ends.
#[derive(Default)]
pub struct NameHash(u64);

impl Hasher for NameHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            h = (h ^ w).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29);
        }
        for b in chunks.remainder() {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A property path for `proxy_get_property` / `proxy_set_property`: the
/// segments joined by NUL.
pub fn property_path(path: &[&str]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.iter().map(|p| p.len() + 1).sum());
    for (i, p) in path.iter().enumerate() {
        if i > 0 {
            out.push(0);
        }
        out.extend_from_slice(p.as_bytes());
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn owned(v: Option<Vec<(Cow<'_, str>, Cow<'_, str>)>>) -> Option<Vec<(String, String)>> {
        v.map(|v| v.into_iter().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_map_reads_back_as_written() {
        for map in [
            vec![],
            vec![(":path", "/a?b=c")],
            vec![(":method", "POST"), ("x-empty", ""), ("", "v"), ("cookie", "a=1; b=2")],
            vec![("x-name", "Zoë → Ünal"), ("é", ""), ("k", "日本")],
        ] {
            let bytes = encode_pairs(&map);
            assert_eq!(decode_pairs(&bytes), Some(pairs(&map)), "{map:?}");
            assert_eq!(owned(decode_pairs_borrowed(&bytes)), Some(pairs(&map)), "{map:?}");
        }
        // the host's answer for an empty map can also be no bytes at all
        assert_eq!(decode_pairs(&[]), Some(vec![]));
    }

    /// The in-place reading is `decode_pairs_borrowed`'s, pair for pair
    /// (read lossily), and refuses exactly what it refuses.
    fn agrees(bytes: &[u8]) {
        let list = owned(decode_pairs_borrowed(bytes));
        let got: Option<Vec<(String, String)>> = pairs_in_place(bytes).map(|p| {
            p.pairs()
                .map(|(k, v)| {
                    (
                        String::from_utf8_lossy(k).into_owned(),
                        String::from_utf8_lossy(v).into_owned(),
                    )
                })
                .collect()
        });
        assert_eq!(got, list, "{bytes:?}");
    }

    #[test]
    fn a_map_read_in_place_reads_as_the_list() {
        for map in [
            vec![],
            vec![(":path", "/a?b=c")],
            vec![(":method", "POST"), ("x-empty", ""), ("", "v"), ("cookie", "a=1; b=2")],
            vec![("x-name", "Zoë → Ünal"), ("é", ""), ("k", "日本")],
        ] {
            let bytes = encode_pairs(&map);
            agrees(&bytes);
            let got: Vec<(&[u8], &[u8])> = pairs_in_place(&bytes).unwrap().pairs().collect();
            let want: Vec<(&[u8], &[u8])> = map.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())).collect();
            assert_eq!(got, want);
        }
        assert_eq!(pairs_in_place(&[]).unwrap().pairs().count(), 0);
        // not UTF-8: the bytes as they came
        let bytes = encode_pairs(&[(b"k\xff".as_slice(), b"a\xffb".as_slice())]);
        agrees(&bytes);
        let got: Vec<(&[u8], &[u8])> = pairs_in_place(&bytes).unwrap().pairs().collect();
        assert_eq!(got, [(b"k\xff".as_slice(), b"a\xffb".as_slice())]);
        // every truncation and single-byte change refused as the list is
        let good = encode_pairs(&[("key", "value"), ("k2", "v2")]);
        for cut in 0..good.len() {
            agrees(&good[..cut]);
            assert_eq!(pairs_in_place(&good[..cut]).is_some(), cut == 0, "cut at {cut}");
        }
        let mut extra = good.clone();
        extra.push(b'x');
        assert!(pairs_in_place(&extra).is_none());
        for at in 0..good.len() {
            for delta in [1u8, 0x80, 0xff] {
                let mut bad = good.clone();
                bad[at] = bad[at].wrapping_add(delta);
                agrees(&bad);
            }
        }
        assert!(pairs_in_place(&[0xff, 0xff, 0xff, 0xff]).is_none());
        let mut huge = encode_pairs(&[("k", "v")]);
        huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(pairs_in_place(&huge).is_none());
    }

    #[test]
    fn the_encoding_is_the_abis() {
        let bytes = encode_pairs(&[("ab", "c")]);
        assert_eq!(bytes, b"\x01\0\0\0\x02\0\0\0\x01\0\0\0ab\0c\0");
    }

    #[test]
    fn values_that_are_not_utf8_are_read_lossily() {
        let bytes = encode_pairs(&[(b"k".as_slice(), b"a\xffb".as_slice())]);
        assert_eq!(decode_pairs(&bytes), Some(pairs(&[("k", "a\u{fffd}b")])));
        assert_eq!(
            owned(decode_pairs_borrowed(&bytes)),
            Some(pairs(&[("k", "a\u{fffd}b")]))
        );
        // one value that is not: the others, multi-byte ones too, read as they are
        let bytes = encode_pairs(&[
            (b"a".as_slice(), "é".as_bytes()),
            (b"k", b"a\xffb"),
            ("ü".as_bytes(), b"\xe6\x97"),
            (b"z", "日本".as_bytes()),
        ]);
        let want = pairs(&[("a", "é"), ("k", "a\u{fffd}b"), ("ü", "\u{fffd}"), ("z", "日本")]);
        assert_eq!(decode_pairs(&bytes), Some(want.clone()));
        assert_eq!(owned(decode_pairs_borrowed(&bytes)), Some(want));
    }

    #[test]
    fn a_malformed_map_is_an_error_never_a_panic() {
        let good = encode_pairs(&[("key", "value"), ("k2", "v2")]);
        // every truncation, and every single-byte change of a length or a NUL
        for cut in 0..good.len() {
            let r = decode_pairs(&good[..cut]);
            assert!(cut == 0 || r.is_none(), "truncated at {cut}: {r:?}");
            assert_eq!(owned(decode_pairs_borrowed(&good[..cut])), r);
        }
        let mut extra = good.clone();
        extra.push(b'x');
        assert_eq!(decode_pairs(&extra), None, "bytes left over");
        for at in (4..20).chain([good.len() - 1, 4 + 16 + 3]) {
            let mut bad = good.clone();
            bad[at] = bad[at].wrapping_add(1);
            assert_eq!(decode_pairs(&bad), None, "byte {at} changed");
            assert_eq!(decode_pairs_borrowed(&bad), None, "byte {at} changed");
        }
        // counts and lengths that overflow
        assert_eq!(decode_pairs(&[0xff, 0xff, 0xff, 0xff]), None);
        let mut huge = encode_pairs(&[("k", "v")]);
        huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode_pairs(&huge), None);
    }

    #[test]
    fn counters_hand_over_every_count_once_per_flush() {
        let mut c = Counters::default();
        let mut defined = Vec::new();
        let names = [
            "route=.=a;.;decision=.=allowed;.;piiguard_requests_total",
            "piiguard_audit_errors_total",
            "x",
        ];
        for i in 0..1000u64 {
            let name = names[(i % 3) as usize];
            c.add(name, i % 5, |n| {
                defined.push(n.to_string());
                Some(defined.len() as u32)
            });
        }
        assert_eq!(defined, names, "each name defined once, at its first count");
        let mut got = std::collections::BTreeMap::new();
        c.flush(|id, n| *got.entry(id).or_insert(0) += n);
        let want = |k: u64| (0..1000u64).filter(|i| i % 3 == k).map(|i| i % 5).sum::<u64>();
        assert_eq!(got, [(1, want(0)), (2, want(1)), (3, want(2))].into_iter().collect());
        // nothing counted since: nothing handed over
        c.flush(|id, n| panic!("{id} {n} again"));
        // a count of 0 defines the counter (the series exists) and hands nothing over
        c.add("zero", 0, |_| Some(9));
        c.flush(|id, n| panic!("{id} {n}"));
        c.add("zero", 2, |_| panic!("defined twice"));
        let mut calls = vec![];
        c.flush(|id, n| calls.push((id, n)));
        assert_eq!(calls, [(9, 2)]);
        // a counter the host will not define is not counted, and is tried again
        c.add("refused", 1, |_| None);
        c.add("refused", 1, |_| Some(7));
        c.add("refused", 1, |_| panic!("defined twice"));
        let mut calls = vec![];
        c.flush(|id, n| calls.push((id, n)));
        assert_eq!(calls, [(7, 2)]);
    }

    #[test]
    fn property_paths_join_segments_with_nul() {
        assert_eq!(property_path(&[]), b"");
        assert_eq!(property_path(&["request", "id"]), b"request\0id");
        assert_eq!(property_path(&["piiguard_audit"]), b"piiguard_audit");
    }
}
