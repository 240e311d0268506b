//! The split base64/hex pass's first test (`bodies::joined::runs` gives up
//! on a value without white space, without `0x` and without eight pairs in
//! a row whose first hex digit can start printable ASCII) drops nothing its
//! reference (`runs_reference`, no such test) finds: hex of short texts
//! (7 to 10 bytes, around the shortest run read) cut by `:` and `-` at
//! every width, after prefixes that shift the pairs by one digit, and
//! values of the clean catalog (UUIDs, timestamps, SKUs), which the test
//! is for. (`tests/joined_equivalence.rs` compares the two on the corpora.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use piiguard::bodies::joined::{runs, runs_reference};
use proptest::prelude::*;

fn same(b: &[u8]) -> usize {
    let (mut fast, mut slow) = (Vec::new(), Vec::new());
    runs(b, &[], &mut fast);
    runs_reference(b, &[], &mut slow);
    assert_eq!(fast, slow, "in {:?}", String::from_utf8_lossy(b));
    fast.len()
}

#[test]
fn short_hex_cut_by_colons_and_dashes() {
    let mut found = 0;
    for plain in [
        "Jane Do",
        "Jane Doe",
        "JaneDoe1",
        "4111 1111",
        "jd@ex.com",
        "0123456789",
    ] {
        let hex: String = plain.bytes().map(|c| format!("{c:02x}")).collect();
        for w in 1..=hex.len() {
            for sep in [":", "-", "::", "--", ":-", ":::"] {
                let cut: Vec<&str> = hex
                    .as_bytes()
                    .chunks(w)
                    .map(|c| std::str::from_utf8(c).unwrap())
                    .collect();
                let joined = cut.join(sep);
                for t in [
                    joined.clone(),
                    joined.to_uppercase(),
                    format!("a{joined}"),
                    format!("ab-{joined}"),
                    format!("7-{joined}"),
                    format!("{joined}-z"),
                    format!("id:{joined}"),
                    format!("x{joined}0"),
                    format!("0x{joined}"),
                ] {
                    found += same(t.as_bytes());
                }
            }
        }
    }
    println!("{found} runs compared");
    assert!(found > 100, "only {found} runs compared");
}

#[test]
fn catalog_values() {
    for i in 0..3000u64 {
        let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for v in [
            format!(
                "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                (x >> 32) as u32,
                (x >> 16) as u16,
                x % 0xfff,
                (x >> 8) % 0xfff,
                x % 0xffff_ffff_ffff
            ),
            format!(
                "2026-11-{:02}T{:02}:{:02}:{:02}Z",
                1 + i % 28,
                i % 24,
                i % 60,
                (i * 7) % 60
            ),
            format!("SKU-{:08}", x % 100_000_000),
            format!("{:016x}-{:016x}", x, x.rotate_left(17)),
        ] {
            same(v.as_bytes());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    /// Hex digits (mostly `2`-`7`, where pairs decode to text) cut by `:`,
    /// `-` and other bytes, without white space.
    #[test]
    fn generated_hex_without_white_space(
        t in "(([2-7][0-9a-fA-F]){0,6}[0-9a-fA-F]{0,3}([:-]{1,3}|[.,_x/+g]|0x)?){1,8}"
    ) {
        same(t.as_bytes());
    }
}
