//! The decoder of a first fixed-Huffman block (`bodies::fixed`, used by
//! `bodies::sniff::inflate`) reads exactly what miniz_oxide's decoder alone
//! reads (`inflate_general`): the same text, the same "whole streams"
//! verdict, the same refusal of oversized output, with no difference
//! allowed. Inputs: every body of the case tables, the prose corpora and
//! the benchmark inputs as they are (read as raw deflate, as gzip whose
//! member is the body: a JSON body's `{` starts a fixed-Huffman block),
//! compressed at level 1 (short inputs give fixed blocks) and cut or
//! damaged, under limits that cut them; hand-made fixed blocks of random
//! symbols (literals, matches of every length and distance, the reserved
//! symbols, the end of the block, more blocks after it); random bytes
//! (proptest).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use piiguard::bodies::sniff::{inflate, inflate_general, pack, Packed};
use proptest::prelude::*;

mod common;
use common::corpus::{self, flate};

/// Both readings of `data` as `kind` under `limit`: equal.
fn agree(kind: Packed, data: &[u8], limit: usize, what: &str) -> bool {
    let fast = inflate(kind, data, limit);
    let general = inflate_general(kind, data, limit);
    assert_eq!(
        fast,
        general,
        "{what} ({kind:?}, {} bytes, limit {limit}), input {:02x?}",
        data.len(),
        &data[..data.len().min(48)]
    );
    matches!(&fast, Ok(r) if !r.exact && r.plain.len() >= 8)
}

/// A gzip member header (no flags) before `body`.
fn gzip_of(body: &[u8]) -> Vec<u8> {
    let mut g = vec![0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff];
    g.extend_from_slice(body);
    g
}

/// Every body of the corpora of two bytes or more, once.
fn corpus() -> Vec<Vec<u8>> {
    let mut bodies = corpus::case_strings(2);
    bodies.extend(corpus::case_files());
    bodies.extend(corpus::prose(true));
    bodies.extend(corpus::bench(16 * 1024));
    corpus::unique(bodies).into_iter().map(|(_, b)| b).collect()
}

#[test]
fn same_reading_on_the_case_tables_and_corpora() {
    let bodies = corpus();
    let (mut fixed_starts, mut broken_with_text) = (0, 0);
    for (n, b) in bodies.iter().enumerate() {
        if b[0] >> 1 & 3 == 1 {
            fixed_starts += 1;
        }
        for limit in [1 << 20, b.len() / 2, 7, 0] {
            broken_with_text += usize::from(agree(Packed::Deflate, b, limit, "body"));
            agree(Packed::Gzip, &gzip_of(b), limit, "body in gzip");
        }
        let z = flate::raw(b, 1);
        agree(Packed::Deflate, &z, 1 << 20, "level 1");
        agree(Packed::Deflate, &z, b.len().saturating_sub(1), "level 1");
        agree(
            Packed::Deflate,
            &[z.as_slice(), b"tail"].concat(),
            1 << 20,
            "level 1 + tail",
        );
        for cut in [1, z.len() / 3, z.len() / 2, z.len() - 1] {
            agree(Packed::Deflate, &z[..cut.min(z.len())], 1 << 20, "level 1 cut");
        }
        // gzip members (their trailer is read where the stream said it
        // ended), one and two
        let g = flate::gzip(b, 1);
        agree(Packed::Gzip, &g, 1 << 20, "gzip level 1");
        agree(
            Packed::Gzip,
            &[g.as_slice(), g.as_slice()].concat(),
            1 << 20,
            "gzip level 1, two members",
        );
        let mut m = z.clone();
        let at = n % m.len();
        m[at] ^= 1 << (n % 8);
        agree(Packed::Deflate, &m, 1 << 20, "level 1 damaged");
    }
    println!(
        "{} bodies, {fixed_starts} starting a fixed block, {broken_with_text} broken readings with 8+ bytes out",
        bodies.len()
    );
    assert!(bodies.len() > 1000 && fixed_starts > 500 && broken_with_text > 500);
}

/// A fixed-Huffman stream writer (RFC 1951 3.2.6).
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn new() -> Bits {
        Bits {
            out: Vec::new(),
            acc: 0,
            n: 0,
        }
    }
    fn put(&mut self, v: u32, n: u32) {
        self.acc |= u64::from(v) << self.n;
        self.n += n;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    fn code(&mut self, code: u32, len: u32) {
        for i in (0..len).rev() {
            self.put(code >> i & 1, 1);
        }
    }
    fn sym(&mut self, s: u32) {
        match s {
            0..=143 => self.code(0x30 + s, 8),
            144..=255 => self.code(0x190 + s - 144, 9),
            256..=279 => self.code(s - 256, 7),
            _ => self.code(0xC0 + s - 280, 8),
        }
    }
    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// One piece of a hand-made block.
#[derive(Debug, Clone)]
enum Piece {
    Lits(Vec<u8>),
    /// length symbol 257..=287 (286, 287 reserved), its extra bits, distance
    /// symbol 0..=31 (30, 31 reserved), its extra bits
    Match(u32, u32, u32, u32),
    /// the end of the block, then a new block header (final, type)
    End(bool, u32),
}

fn write(first_final: bool, pieces: &[Piece]) -> Vec<u8> {
    const LEN_EXTRA: [u32; 31] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0, 0, 0,
    ];
    let mut w = Bits::new();
    w.put(u32::from(first_final), 1);
    w.put(1, 2);
    for p in pieces {
        match p {
            Piece::Lits(b) => b.iter().for_each(|c| w.sym(u32::from(*c))),
            Piece::Match(l, lx, d, dx) => {
                w.sym(*l);
                let ln = LEN_EXTRA[(*l - 257) as usize];
                w.put(lx & ((1 << ln) - 1), ln);
                w.code(*d, 5);
                let dn = if *d < 4 { 0 } else { (*d - 2) / 2 };
                w.put(dx & ((1 << dn) - 1), dn);
            }
            Piece::End(fin, ty) => {
                w.sym(256);
                w.put(u32::from(*fin), 1);
                w.put(*ty, 2);
            }
        }
    }
    w.finish()
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 1..40).prop_map(Piece::Lits),
        4 => (257u32..=287, any::<u32>(), 0u32..=31, any::<u32>()).prop_map(|(l, lx, d, dx)| Piece::Match(l, lx, d, dx)),
        1 => (any::<bool>(), 0u32..4).prop_map(|(f, t)| Piece::End(f, t)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// Hand-made fixed blocks of random symbols, cut anywhere, under any limit.
    #[test]
    fn same_reading_of_random_fixed_blocks(
        fin in any::<bool>(),
        pieces in proptest::collection::vec(piece(), 0..12),
        cut in any::<usize>(),
        limit in 0usize..3000,
        tail in proptest::collection::vec(any::<u8>(), 0..6),
    ) {
        let z = [write(fin, &pieces), tail].concat();
        agree(Packed::Deflate, &z, 1 << 20, "hand-made");
        agree(Packed::Deflate, &z, limit, "hand-made");
        agree(Packed::Deflate, &z[..cut % (z.len() + 1)], 1 << 20, "hand-made cut");
        agree(Packed::Gzip, &gzip_of(&z), limit, "hand-made in gzip");
    }

    /// Random bytes starting a fixed block, and random text.
    #[test]
    fn same_reading_of_random_bytes(
        b in proptest::collection::vec(any::<u8>(), 1..800),
        text in "[a-zA-Z@. 0-9{}\\[\\]\":,_-]{1,600}",
        limit in 0usize..4000,
    ) {
        let mut b = b;
        b[0] = (b[0] & !6) | 2;
        for d in [&b[..], text.as_bytes()] {
            agree(Packed::Deflate, d, 1 << 20, "random");
            agree(Packed::Deflate, d, limit, "random");
        }
    }
}

/// The reserved symbols and distances break the block where they stand;
/// the end of the block and a match before the start are read as the
/// general decoder reads them.
#[test]
fn hand_made_edges() {
    use Piece::*;
    let cases = [
        vec![Lits(b"jane@example.com".to_vec()), Match(286, 0, 0, 0)],
        vec![Lits(b"jane@example.com".to_vec()), Match(287, 0, 0, 0)],
        vec![Lits(b"jane@example.com".to_vec()), Match(260, 0, 30, 0)],
        vec![Lits(b"jane@example.com".to_vec()), Match(260, 0, 31, 0)],
        vec![
            Lits(b"x".to_vec()),
            Match(285, 0, 29, 8191),
            Lits(b"card 4111".to_vec()),
        ],
        vec![Match(284, 31, 0, 0), Lits(b"abc".to_vec()), Match(270, 1, 2, 0)],
        vec![
            Lits(b"abc".to_vec()),
            End(true, 1),
            Lits(b"def".to_vec()),
            End(false, 0),
        ],
        vec![
            Lits(b"abc".to_vec()),
            End(false, 1),
            Lits(b"def".to_vec()),
            End(true, 1),
        ],
    ];
    for (i, c) in cases.iter().enumerate() {
        let z = write(true, c);
        for cut in 0..=z.len() {
            for limit in [1 << 20, 40, 3, 0] {
                agree(Packed::Deflate, &z[..cut], limit, &format!("edge {i}"));
            }
        }
    }
    // every distance code, its extra bits low, high and in between, after
    // more than a window of output (and before it: zeros)
    let mut x = 0x9E37_79B9u32;
    let text: Vec<u8> = (0..33_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    for d in 0..30u32 {
        for dx in [0, 1, 0x55, u32::MAX] {
            for (l, lx) in [(257, 0), (265, 1), (284, 30), (285, 0)] {
                let m = Match(l, lx, d, dx);
                let z = write(true, &[Lits(text.clone()), m.clone(), Lits(b"end".to_vec())]);
                agree(Packed::Deflate, &z, 1 << 20, &format!("far {m:?}"));
                let z = write(true, &[Lits(text[..100].to_vec()), m.clone(), Lits(b"end".to_vec())]);
                agree(Packed::Deflate, &z, 1 << 20, &format!("near {m:?}"));
            }
        }
    }
    // a block cut short: what came before the cut, not whole
    let r = inflate(Packed::Deflate, &write(true, &[Lits(b"jane".to_vec())]), 1 << 20).unwrap();
    assert_eq!(r.plain, b"jane");
    assert!(!r.exact);
    // a whole block ending the input: whole (read by the general decoder)
    let z = pack(Packed::Deflate, b"jane@example.com");
    let r = inflate(Packed::Deflate, &z, 1 << 20).unwrap();
    assert!(r.exact);
    assert_eq!(r.plain, b"jane@example.com");
}
