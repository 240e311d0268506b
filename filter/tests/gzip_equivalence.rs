//! `encoding::decode`/`encode` over miniz_oxide read and write exactly what
//! they did over flate2 (kept here as the reference: `MultiGzDecoder`,
//! `ZlibDecoder` then `DeflateDecoder`, read through `take(limit + 1)`, and
//! `GzEncoder`/`ZlibEncoder`/`DeflateEncoder` at `Compression::fast()`):
//! the same bytes out, or the same error (too large or corrupt: a bomb is
//! refused as too large, a broken stream as corrupt, and where the limit
//! falls against a break decides which, as before). Compared on the bodies
//! of the case tables, the prose corpora and the benchmark inputs, each
//! compressed (every level, headers with every optional field), cut short,
//! with flipped bits, several members, bytes after them, under limits that
//! cut them; on hand-made headers (name and comment at flate2's 65,535-byte
//! bound, an extra field larger than the 32 KiB input buffer, right and
//! wrong header CRCs, reserved flags); on streams longer than the input
//! buffer broken after the limit; and on random streams (proptest).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use piiguard::encoding::{crc32, decode, deflate_raw, encode, Coding, DecodeError};
use proptest::prelude::*;
use std::io::Read;

mod common;
use common::corpus::{self, flate, inputs};

/// `encoding::decode` as it was (flate2).
fn reference(c: Coding, data: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    fn read_all(mut r: impl Read, limit: usize) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        let mut taken = (&mut r).take(limit as u64 + 1);
        taken.read_to_end(&mut out).map_err(|_| DecodeError::Corrupt)?;
        if out.len() > limit {
            return Err(DecodeError::TooLarge);
        }
        Ok(out)
    }
    match c {
        Coding::Identity => Ok(data.to_vec()),
        Coding::Gzip => {
            if data.len() < 18 || data[..2] != [0x1f, 0x8b] {
                return Err(DecodeError::Corrupt);
            }
            read_all(flate2::read::MultiGzDecoder::new(data), limit)
        }
        Coding::Deflate => match read_all(flate2::read::ZlibDecoder::new(data), limit) {
            Err(DecodeError::Corrupt) => read_all(flate2::read::DeflateDecoder::new(data), limit),
            other => other,
        },
    }
}

#[derive(Default, Debug)]
struct Tally {
    compared: usize,
    ok: usize,
    too_large: usize,
    corrupt: usize,
}

fn agree(c: Coding, data: &[u8], limit: usize, t: &mut Tally, what: &str) {
    let new = decode(c, data, limit);
    let old = reference(c, data, limit);
    if new != old {
        let show = |r: &Result<Vec<u8>, DecodeError>| match r {
            Ok(v) => format!("{} bytes", v.len()),
            Err(e) => format!("{e:?}"),
        };
        panic!(
            "{what} ({c:?}, {} bytes, limit {limit}): new {}, flate2 {}; input {:02x?}",
            data.len(),
            show(&new),
            show(&old),
            &data[..data.len().min(48)]
        );
    }
    t.compared += 1;
    match new {
        Ok(_) => t.ok += 1,
        Err(DecodeError::TooLarge) => t.too_large += 1,
        Err(_) => t.corrupt += 1,
    }
}

fn flate2_encode(c: Coding, plain: &[u8], level: u32) -> Vec<u8> {
    match c {
        Coding::Gzip => flate::gzip(plain, level),
        Coding::Deflate => flate::zlib(plain, level),
        Coding::Identity => plain.to_vec(),
    }
}

/// A gzip member by hand: `flags` picks the optional header fields (FHCRC
/// written right unless `bad_hcrc`), then `deflated` and the trailer of `plain`.
fn member(plain: &[u8], deflated: &[u8], flags: u8, field: usize, bad_hcrc: bool) -> Vec<u8> {
    let mut h = vec![0x1f, 0x8b, 8, flags, 1, 2, 3, 4, 0, 3];
    if flags & 4 != 0 {
        h.extend_from_slice(&(field.min(65535) as u16).to_le_bytes());
        h.extend((0..field.min(65535)).map(|i| (i % 251) as u8));
    }
    if flags & 8 != 0 {
        h.extend(std::iter::repeat_n(b'n', field));
        h.push(0);
    }
    if flags & 16 != 0 {
        h.extend_from_slice(b"a comment");
        h.push(0);
    }
    if flags & 2 != 0 {
        let c = crc32(&h) as u16 ^ u16::from(bad_hcrc);
        h.extend_from_slice(&c.to_le_bytes());
    }
    h.extend_from_slice(deflated);
    h.extend_from_slice(&crc32(plain).to_le_bytes());
    h.extend_from_slice(&(plain.len() as u32).to_le_bytes());
    h
}

/// `body` compressed and damaged in the ways a client can send it.
fn compare_body(body: &[u8], n: usize, t: &mut Tally, what: &str) {
    let big = 1 << 20;
    for c in [Coding::Gzip, Coding::Deflate] {
        agree(c, body, big, t, what);
    }
    // The encoder writes what flate2 wrote, byte for byte.
    assert_eq!(
        encode(Coding::Gzip, body),
        flate2_encode(Coding::Gzip, body, 1),
        "{what}"
    );
    assert_eq!(
        encode(Coding::Deflate, body),
        flate2_encode(Coding::Deflate, body, 1),
        "{what}"
    );
    assert_eq!(deflate_raw(body), flate::raw(body, 1), "{what}");
    let mut crc = flate2::Crc::new();
    crc.update(body);
    assert_eq!(crc32(body), crc.sum(), "{what}");
    if body.is_empty() {
        return;
    }
    let level = [0, 1, 6, 9][n % 4];
    let bit = n % 8;
    let raw = flate::raw(body, level);
    let flags = [0u8, 2, 4, 8, 16, 30][n % 6];
    let streams = [
        (Coding::Gzip, flate2_encode(Coding::Gzip, body, level)),
        (Coding::Gzip, member(body, &raw, flags, n % 40, false)),
        (Coding::Deflate, flate2_encode(Coding::Deflate, body, level)),
        (Coding::Deflate, raw.clone()),
    ];
    for (c, z) in &streams {
        let (c, z) = (*c, z.as_slice());
        for limit in [0, body.len() / 2, body.len().saturating_sub(1), body.len(), big] {
            agree(c, z, limit, t, what);
        }
        let cut = [
            1,
            10,
            17,
            18,
            z.len() / 2,
            z.len().saturating_sub(8),
            z.len().saturating_sub(4),
            z.len() - 1,
        ][n % 8];
        if cut > 0 && cut < z.len() {
            agree(c, &z[..cut], big, t, what);
        }
        for at in [
            [0, 1, 2, 3, 9][n % 5],
            z.len() / 2,
            z.len().saturating_sub(8),
            z.len().saturating_sub(3),
            z.len() - 1,
        ] {
            let mut m = z.to_vec();
            m[at.min(z.len() - 1)] ^= 1 << bit;
            agree(c, &m, big, t, what);
            agree(c, &m, body.len() / 2, t, what);
        }
        let other = if c == Coding::Gzip {
            Coding::Deflate
        } else {
            Coding::Gzip
        };
        agree(other, z, big, t, what);
        // several members, bytes after, a second member cut or broken
        let after: [&[u8]; 4] = [b"tail", &[0u8; 8], &[0x1f, 0x8b], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0]];
        agree(c, &[z, after[n % 4]].concat(), big, t, what);
        agree(c, &[z, z].concat(), big, t, what);
        agree(c, &[z, z].concat(), body.len() + body.len() / 2, t, what);
        agree(c, &[z, z].concat(), 2 * body.len(), t, what);
        agree(c, &[z, &z[..z.len() / 2]].concat(), big, t, what);
        agree(c, &[z, z, z].concat(), 2 * body.len() + 1, t, what);
    }
}

#[test]
fn same_outcome_on_the_case_tables_and_corpora() {
    let mut bodies = corpus::case_strings(8);
    let cases = bodies.len();
    bodies.extend(corpus::prose(false));
    bodies.extend(corpus::bench(48 * 1024));
    bodies.push(("empty".into(), Vec::new()));
    let bodies = corpus::unique(bodies);
    let mut t = Tally::default();
    for (n, (what, b)) in bodies.iter().enumerate() {
        compare_body(b, n, &mut t, what);
    }
    println!("{} bodies ({cases} from the case tables): {t:?}", bodies.len());
    assert!(cases > 500, "{cases} case-table strings");
    assert!(
        t.ok > 5_000 && t.too_large > 2_000 && t.corrupt > 5_000,
        "too few of each outcome: {t:?}"
    );
}

/// Every optional header field, at and past flate2's bounds: a name of
/// 65,535 bytes is read, one more is refused; an extra field longer than
/// the 32 KiB input buffer (read around it); the header CRC right and
/// wrong; reserved flags; another method than deflate.
#[test]
fn headers_at_their_bounds() {
    let plain = b"jane@example.com wrote to 4111 1111 1111 1111".repeat(40);
    let raw = flate::raw(&plain, 6);
    let mut t = Tally::default();
    for flags in 0u8..32 {
        for field in [0, 1, 100, 32 * 1024 - 12, 32 * 1024, 40_000, 65_535, 65_536] {
            for bad in [false, true] {
                let z = member(&plain, &raw, flags, field, bad);
                for limit in [plain.len(), 1 << 20] {
                    agree(Coding::Gzip, &z, limit, &mut t, "header");
                }
                agree(
                    Coding::Gzip,
                    &[z.as_slice(), &z].concat(),
                    1 << 20,
                    &mut t,
                    "header twice",
                );
            }
        }
    }
    for bits in [0x20u8, 0x40, 0x80] {
        let z = member(&plain, &raw, bits, 0, false);
        agree(Coding::Gzip, &z, 1 << 20, &mut t, "reserved flag");
    }
    let mut z = member(&plain, &raw, 0, 0, false);
    z[2] = 7;
    agree(Coding::Gzip, &z, 1 << 20, &mut t, "method 7");
    // The name's bound is where flate2 put it.
    assert!(decode(Coding::Gzip, &member(&plain, &raw, 8, 65_535, false), 1 << 20).is_ok());
    assert_eq!(
        decode(Coding::Gzip, &member(&plain, &raw, 8, 65_536, false), 1 << 20),
        Err(DecodeError::Corrupt)
    );
    assert_eq!(
        decode(Coding::Gzip, &member(&plain, &raw, 2, 0, true), 1 << 20),
        Err(DecodeError::Corrupt)
    );
    println!("{t:?}");
}

/// Streams longer than the 32 KiB input buffer, broken at every kind of
/// place, under limits that fall before, at, just after and well after the
/// break: too large or corrupt as flate2 decided (its inflater decodes ahead
/// of what it hands out), and a bomb never read past its limit.
#[test]
fn breaks_against_the_limit_in_long_streams() {
    let mut t = Tally::default();
    let text = inputs::cases(120 * 1024).into_iter().map(|(_, _, b)| b).next().unwrap();
    let zeros = vec![0u8; 600 * 1024];
    let limits = |len: usize| {
        let mut l = vec![
            0,
            1,
            4096,
            32 * 1024 - 1,
            32 * 1024,
            32 * 1024 + 1,
            65_536,
            len / 3,
            len / 2,
            len - 1,
            len,
            len + 1,
        ];
        l.extend([100_000, 1 << 20]);
        l
    };
    for (name, plain) in [("text", &text), ("zeros", &zeros)] {
        for level in [0, 1, 9] {
            // the third: an extra field of 65,535 bytes, read partly around
            // flate2's input buffer, which moves where its 32 KiB chunks end
            for (c, extra) in [(Coding::Gzip, false), (Coding::Deflate, false), (Coding::Gzip, true)] {
                let z = if extra {
                    member(plain, &flate::raw(plain, level), 4, 65_535, false)
                } else {
                    flate2_encode(c, plain, level)
                };
                for limit in limits(plain.len()) {
                    agree(c, &z, limit, &mut t, name);
                }
                let places = [
                    z.len() / 5,
                    z.len() / 2,
                    (2 * z.len()) / 3,
                    z.len() - 12,
                    z.len() - 6,
                    z.len() - 2,
                ];
                for &at in &places {
                    for bit in [0, 6] {
                        let mut m = z.clone();
                        m[at] ^= 1 << bit;
                        for limit in limits(plain.len()) {
                            agree(c, &m, limit, &mut t, name);
                        }
                    }
                    for limit in limits(plain.len()) {
                        agree(c, &z[..at], limit, &mut t, name);
                    }
                }
            }
        }
    }
    // the bomb: 20 MiB of zeros in ~20 KB, refused at the limit
    let bomb = flate2_encode(Coding::Gzip, &vec![0u8; 20 << 20], 9);
    assert_eq!(decode(Coding::Gzip, &bomb, 1 << 20), Err(DecodeError::TooLarge));
    agree(Coding::Gzip, &bomb, 1 << 20, &mut t, "bomb");
    println!("{t:?}");
    assert!(t.ok > 20 && t.too_large > 200 && t.corrupt > 50, "{t:?}");
}

fn coding() -> impl Strategy<Value = Coding> {
    prop_oneof![Just(Coding::Gzip), Just(Coding::Deflate)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Random bodies compressed, then cut, bit-flipped, repeated or
    /// extended, read under random limits.
    #[test]
    fn random_streams(
        plain in proptest::collection::vec(prop_oneof![Just(b'a'), Just(0u8), any::<u8>()], 0..3000),
        c in coding(),
        level in 0u32..10,
        flags in 0u8..32,
        field in 0usize..70,
        bad_hcrc in any::<bool>(),
        members in 1usize..4,
        cut in any::<Option<proptest::sample::Index>>(),
        flips in proptest::collection::vec((any::<proptest::sample::Index>(), 0u8..8), 0..3),
        tail in proptest::collection::vec(any::<u8>(), 0..12),
        limit in prop_oneof![0usize..4000, Just(usize::MAX / 4)],
    ) {
        let one = if c == Coding::Gzip && flags != 0 {
            member(&plain, &flate::raw(&plain, level), flags, field, bad_hcrc)
        } else {
            flate2_encode(c, &plain, level)
        };
        let mut z = one.repeat(members);
        if let Some(i) = cut {
            z.truncate(i.index(z.len() + 1));
        }
        for (i, bit) in flips {
            if !z.is_empty() {
                let at = i.index(z.len());
                z[at] ^= 1 << bit;
            }
        }
        z.extend_from_slice(&tail);
        let mut t = Tally::default();
        agree(c, &z, limit, &mut t, "proptest");
    }

    /// Random bytes (mostly not a stream at all) after a gzip or zlib start.
    #[test]
    fn random_bytes(
        start in prop_oneof![Just(vec![0x1f, 0x8b, 8]), Just(vec![0x78, 0x9c]), Just(vec![])],
        rest in proptest::collection::vec(any::<u8>(), 0..200),
        c in coding(),
        limit in 0usize..300,
    ) {
        let z = [start.as_slice(), &rest].concat();
        let mut t = Tally::default();
        agree(c, &z, limit, &mut t, "random");
    }
}
