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

use piiguard::bodies::sniff::{inflate, inflate_for_sniff, inflate_general, pack, Packed};
use piiguard::textcode::is_text;
use proptest::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

mod common;
use common::corpus::{self, flate};

/// Readings the sniff took in part (its text not UTF-8), over all tests.
static SHORTENED: AtomicUsize = AtomicUsize::new(0);

/// Both readings of `data` as `kind` under `limit`: equal. The sniff's
/// reading (`inflate_for_sniff`) too, but for one difference: raw deflate
/// that is not one whole stream may hold a prefix of the text, and then
/// neither that prefix nor the whole text is text (`broken` reads neither).
fn agree(kind: Packed, data: &[u8], limit: usize, what: &str) -> bool {
    let fast = inflate(kind, data, limit);
    let general = inflate_general(kind, data, limit);
    let say = || {
        format!(
            "{what} ({kind:?}, {} bytes, limit {limit}), input {:02x?}",
            data.len(),
            &data[..data.len().min(48)]
        )
    };
    assert_eq!(fast, general, "{}", say());
    let sniffed = inflate_for_sniff(kind, data, limit);
    match (&sniffed, &general) {
        (Ok(s), Ok(g)) if s != g => {
            assert!(kind == Packed::Deflate && !s.exact && !g.exact, "sniff: {}", say());
            assert!(
                s.plain.len() < g.plain.len() && g.plain.starts_with(&s.plain),
                "sniff: not a prefix: {}",
                say()
            );
            let e = std::str::from_utf8(&s.plain).expect_err("a prefix that is UTF-8");
            assert!(
                e.error_len().is_some(),
                "sniff: cut UTF-8 taken as not UTF-8: {}",
                say()
            );
            assert!(
                !is_text(&s.plain) && !is_text(&g.plain),
                "sniff: text read in part: {}",
                say()
            );
            SHORTENED.fetch_add(1, Ordering::Relaxed);
        }
        _ => assert_eq!(sniffed, general, "sniff: {}", say()),
    }
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
    let shortened = SHORTENED.load(Ordering::Relaxed);
    println!(
        "{} bodies, {fixed_starts} starting a fixed block, {broken_with_text} broken readings with 8+ bytes out, \
         {shortened} (here and in tests run alongside) read in part",
        bodies.len()
    );
    assert!(bodies.len() > 1000 && fixed_starts > 500 && broken_with_text > 500 && shortened > 500);
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
    /// the end of the block, nothing after it
    Eob,
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
            Piece::Eob => w.sym(256),
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

/// The sniff reads the output of a raw deflate stream only up to where it
/// is seen not to be UTF-8 (`fixed::first_block`'s `text_only`). An
/// attacker would want that reading to differ from a lenient inflater's
/// where it matters: a whole stream (read inside, whatever its bytes), text
/// whose only odd bytes are controls, UTF-8 cut at a look, or a sequence
/// that is not UTF-8 late in the text.
#[test]
fn the_sniff_reads_in_part_only_what_is_not_utf8() {
    use Piece::*;
    let card = b" card 4111 1111 1111 1111 jane@example.com ".repeat(8);
    let mut cases: Vec<(Vec<Piece>, bool)> = Vec::new();
    for lead in [&b"\xff"[..], b"\xc3", b"\x80abc", b"\xed\xa0\x80", b"ab\xf5"] {
        // one whole stream: read whole (a prefix would lose the card)
        cases.push((vec![Lits(lead.to_vec()), Lits(card.clone())], true));
        // matches copying the bytes that are not UTF-8
        cases.push((vec![Lits(lead.to_vec()), Match(270, 1, 0, 0), Lits(card.clone())], true));
    }
    // text with a few controls (under one in twenty): text, read whole
    let mut ctl = card.clone();
    ctl[3] = 1;
    ctl[100] = 0;
    cases.push((vec![Lits(ctl.clone())], false));
    // a run of zeros from before the start (controls, UTF-8), then text
    cases.push((vec![Match(285, 0, 29, 0), Lits(card.clone())], false));
    // a two-, three- and four-byte character cut at every look
    for ch in ["é", "€", "😀"] {
        for at in 0..80 {
            let mut t = vec![b'a'; at];
            t.extend_from_slice(ch.repeat(60).as_bytes());
            cases.push((vec![Lits(t)], false));
        }
    }
    // a sequence that is not UTF-8 after much text
    let mut late = card.repeat(4);
    late.push(0xff);
    late.extend_from_slice(&card);
    cases.push((vec![Lits(late)], false));
    let before = SHORTENED.load(Ordering::Relaxed);
    for (pieces, whole) in &cases {
        let z = &write(true, &[pieces.clone(), vec![Eob]].concat());
        // the block ends (one whole stream), broken (cut before its end),
        // with bytes after it
        let bytes_after = [z, &b"tail"[..]].concat();
        for d in [z, &z[..z.len() - 2], &bytes_after[..]] {
            for limit in [1 << 20, 300, 20] {
                agree(Packed::Deflate, d, limit, "in part");
            }
        }
        let r = inflate_for_sniff(Packed::Deflate, z, 1 << 20).unwrap();
        assert!(r.exact);
        if *whole {
            assert!(r.plain.ends_with(&card), "a whole stream is read whole");
        }
    }
    assert!(SHORTENED.load(Ordering::Relaxed) > before, "no reading in part");
}
