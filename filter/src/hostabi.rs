//! The proxy-wasm ABI's byte encodings: header maps and property paths.
//! Pure, so they are tested natively; `glue.rs` makes the calls. The SDK's
//! own wrappers panic on any host status they do not expect, and a panic
//! takes the VM down (under `FAIL_OPEN` that switches protection off), so
//! the glue calls the ABI itself and reads the host's bytes here, where a
//! malformed answer is an error, never a panic.

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
    let word = |at: usize| -> Option<usize> {
        let b = bytes.get(at..at.checked_add(4)?)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    if bytes.is_empty() {
        return Some(Vec::new());
    }
    let n = word(0)?;
    let mut text = n.checked_mul(8)?.checked_add(4)?;
    if text > bytes.len() {
        return None;
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (kl, vl) = (word(4 + 8 * i)?, word(8 + 8 * i)?);
        let key = take(bytes, &mut text, kl)?;
        let value = take(bytes, &mut text, vl)?;
        out.push((lossy(key), lossy(value)));
    }
    (text == bytes.len()).then_some(out)
}

/// `len` bytes at `*at` followed by a NUL; moves `*at` past the NUL.
fn take<'a>(bytes: &'a [u8], at: &mut usize, len: usize) -> Option<&'a [u8]> {
    let end = at.checked_add(len)?;
    let s = bytes.get(*at..end)?;
    if bytes.get(end) != Some(&0) {
        return None;
    }
    *at = end + 1;
    Some(s)
}

fn lossy(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(b).into_owned(),
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

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_map_reads_back_as_written() {
        for map in [
            vec![],
            vec![(":path", "/a?b=c")],
            vec![(":method", "POST"), ("x-empty", ""), ("", "v"), ("cookie", "a=1; b=2")],
        ] {
            let bytes = encode_pairs(&map);
            assert_eq!(decode_pairs(&bytes), Some(pairs(&map)), "{map:?}");
        }
        // the host's answer for an empty map can also be no bytes at all
        assert_eq!(decode_pairs(&[]), Some(vec![]));
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
    }

    #[test]
    fn a_malformed_map_is_an_error_never_a_panic() {
        let good = encode_pairs(&[("key", "value"), ("k2", "v2")]);
        // every truncation, and every single-byte change of a length or a NUL
        for cut in 0..good.len() {
            let r = decode_pairs(&good[..cut]);
            assert!(cut == 0 || r.is_none(), "truncated at {cut}: {r:?}");
        }
        let mut extra = good.clone();
        extra.push(b'x');
        assert_eq!(decode_pairs(&extra), None, "bytes left over");
        for at in (4..20).chain([good.len() - 1, 4 + 16 + 3]) {
            let mut bad = good.clone();
            bad[at] = bad[at].wrapping_add(1);
            assert_eq!(decode_pairs(&bad), None, "byte {at} changed");
        }
        // counts and lengths that overflow
        assert_eq!(decode_pairs(&[0xff, 0xff, 0xff, 0xff]), None);
        let mut huge = encode_pairs(&[("k", "v")]);
        huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode_pairs(&huge), None);
    }

    #[test]
    fn property_paths_join_segments_with_nul() {
        assert_eq!(property_path(&[]), b"");
        assert_eq!(property_path(&["request", "id"]), b"request\0id");
        assert_eq!(property_path(&["piiguard_audit"]), b"piiguard_audit");
    }
}
