//! Byte-string comparison eight bytes a step: the module's `memcmp` and
//! `bcmp`.
//!
//! Every comparison of two byte or string slices whose length is not known
//! when compiling (`==` on `[u8]`/`str`, their `Ord`, `starts_with` of a
//! runtime needle) is a call to the C library's `memcmp` (or `bcmp`, which
//! calls it). In `wasm32-wasip1` that is wasi-libc's (musl's) byte-by-byte
//! loop: one load, compare and branch per byte for every finding location,
//! key and word compared. Natively the C library's is vectorised and nothing
//! here is used: the exports exist in wasm32 builds only, where a definition
//! in the module takes the place of the C library's.

/// C's `memcmp` over two slices of the same length: 0 when they are equal,
/// else the difference of the first differing bytes read as unsigned
/// (its sign is what callers read). Slices of different lengths compare
/// their common prefix.
pub fn compare(a: &[u8], b: &[u8]) -> i32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut wa = a.chunks_exact(8);
    let mut wb = b.chunks_exact(8);
    for (x, y) in (&mut wa).zip(&mut wb) {
        let (x, y) = (word(x), word(y));
        if x != y {
            // little-endian: the lowest differing byte comes first
            let shift = (x ^ y).trailing_zeros() & !7;
            return i32::from((x >> shift) as u8) - i32::from((y >> shift) as u8);
        }
    }
    for (&x, &y) in wa.remainder().iter().zip(wb.remainder()) {
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}

/// Eight bytes as a little-endian word (`chunks_exact(8)` hands over
/// exactly eight).
#[inline(always)]
fn word(c: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(c);
    u64::from_le_bytes(w)
}

/// The C ABI entry points, linked in place of wasi-libc's `memcmp`/`bcmp`.
#[cfg(target_arch = "wasm32")]
mod exports {
    /// # Safety
    /// C's contract: `a` and `b` point at `n` readable bytes each.
    #[no_mangle]
    #[inline(never)]
    pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
        if n == 0 {
            return 0;
        }
        // SAFETY: the caller's contract (above); n > 0, so neither is null.
        let (a, b) = unsafe { (core::slice::from_raw_parts(a, n), core::slice::from_raw_parts(b, n)) };
        super::compare(a, b)
    }

    /// # Safety
    /// As [`memcmp`]; only zero or not zero is meaningful.
    #[no_mangle]
    pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
        // SAFETY: the same contract as memcmp's.
        unsafe { memcmp(a, b, n) }
    }
}

#[cfg(test)]
mod tests {
    use super::compare;
    use proptest::prelude::*;

    /// What C's `memcmp` means: the sign of the first differing byte.
    fn reference(a: &[u8], b: &[u8]) -> i32 {
        let n = a.len().min(b.len());
        a[..n]
            .iter()
            .zip(&b[..n])
            .find(|(x, y)| x != y)
            .map_or(0, |(&x, &y)| i32::from(x) - i32::from(y))
    }

    #[test]
    fn every_position_and_length_of_a_difference() {
        // each length up to three words and a tail, a difference at every
        // position, both ways round, high bytes (signedness) included
        for n in 0..=27usize {
            let a: Vec<u8> = (0..n as u8).map(|i| i.wrapping_mul(37).wrapping_add(200)).collect();
            assert_eq!(compare(&a, &a), 0, "equal, length {n}");
            for at in 0..n {
                for d in [1u8, 0x80, 0xff] {
                    let mut b = a.clone();
                    b[at] = b[at].wrapping_add(d);
                    let (r, r2) = (compare(&a, &b), compare(&b, &a));
                    assert_eq!(r, reference(&a, &b), "length {n}, at {at}, +{d}");
                    assert_eq!(r2, reference(&b, &a), "length {n}, at {at}, +{d}, swapped");
                    assert!(r != 0 && r.signum() == -r2.signum());
                    // a later difference never decides
                    if at + 1 < n {
                        let mut c = b.clone();
                        c[n - 1] ^= 0x55;
                        assert_eq!(
                            compare(&a, &c).signum(),
                            r.signum(),
                            "length {n}, at {at}, later change"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn unaligned_starts() {
        let buf: Vec<u8> = (0..64u8).collect();
        let mut other = buf.clone();
        other[40] = 0;
        for s in 0..8 {
            for e in s..64 {
                assert_eq!(compare(&buf[s..e], &other[s..e]), reference(&buf[s..e], &other[s..e]));
            }
        }
    }

    proptest! {
        #[test]
        fn agrees_with_the_reference(a in proptest::collection::vec(any::<u8>(), 0..80),
                                     b in proptest::collection::vec(any::<u8>(), 0..80),
                                     common in 0usize..80) {
            // often sharing a long prefix, so that words compare equal first
            let k = common.min(a.len()).min(b.len());
            let mut b = b;
            b[..k].copy_from_slice(&a[..k]);
            prop_assert_eq!(compare(&a, &b), reference(&a, &b));
            prop_assert_eq!(compare(&a, &a), 0);
        }
    }
}
