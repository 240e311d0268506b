//! The unlabelled-compression sniffer's inflater (`bodies::sniff::inflate`:
//! miniz_oxide's core decoder over a kept buffer whose first 32 KiB stay
//! zero) reads exactly what the streaming inflater it replaced read
//! (flate2's `Decompress`, its window cleared per attempt; kept here as the
//! reference): the same text, the same "whole streams" verdict, the same
//! refusal of oversized output, on every body of the case tables, the prose
//! corpora and the benchmark inputs, each as it is and compressed (every
//! level, cut short, with a flipped bit, with bytes after it, two members),
//! on hand-made streams (a match reaching before the start of the stream,
//! stored blocks), and on random bytes (proptest).
//!
//! Two differences are allowed, both in the safe direction: a stream whose
//! output passes the limit and which then breaks is too large here (the
//! reference could call it broken after filling its room); and a stream
//! that breaks is read up to the break here, where the reference kept only
//! what fitted its output room (4 KiB, 8 KiB, ...) of the last call (a
//! prefix of it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use piiguard::bodies::sniff::{inflate, pack, Inflated, Packed, TooLarge};
use proptest::prelude::*;

mod common;
use common::corpus::{self, flate};

/// The inflater as it was before (flate2's streaming `Decompress`, a fresh
/// one per stream: what `reset` gave).
mod reference {
    use flate2::{Decompress, FlushDecompress, Status};
    use piiguard::bodies::sniff::{magic, Inflated, Packed, TooLarge};

    pub fn inflate(kind: Packed, data: &[u8], limit: usize) -> Result<Inflated, TooLarge> {
        let mut plain = Vec::new();
        let mut rest = data;
        for _ in 0..64 {
            let (ended, used) = match kind {
                Packed::Gzip => gzip_member(rest, &mut plain, limit)?,
                Packed::Zlib => stream(rest, true, &mut plain, limit)?,
                Packed::Deflate => stream(rest, false, &mut plain, limit)?,
            };
            rest = rest.get(used..).unwrap_or_default();
            if !ended {
                return Ok(Inflated { plain, exact: false });
            }
            if rest.is_empty() {
                return Ok(Inflated { plain, exact: true });
            }
            if kind == Packed::Deflate || magic(rest) != Some(kind) {
                break;
            }
        }
        Ok(Inflated { plain, exact: false })
    }

    fn stream(data: &[u8], zlib: bool, out: &mut Vec<u8>, limit: usize) -> Result<(bool, usize), TooLarge> {
        let mut d = Decompress::new(zlib);
        loop {
            if out.len() > limit {
                return Err(TooLarge);
            }
            let room = (limit + 1 - out.len()).min(out.len().clamp(4 * 1024, 64 * 1024));
            out.reserve(room);
            let (in0, out0) = (d.total_in(), d.total_out());
            let at = usize::try_from(in0).unwrap_or(usize::MAX);
            let input = data.get(at..).unwrap_or_default();
            match d.decompress_vec(input, out, FlushDecompress::None) {
                Ok(Status::StreamEnd) => {
                    if out.len() > limit {
                        return Err(TooLarge);
                    }
                    return Ok((true, usize::try_from(d.total_in()).unwrap_or(usize::MAX)));
                }
                Ok(_) => {
                    if d.total_in() == in0 && d.total_out() == out0 {
                        return Ok((false, at));
                    }
                }
                Err(_) => return Ok((false, usize::try_from(d.total_in()).unwrap_or(usize::MAX))),
            }
        }
    }

    fn gzip_member(data: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<(bool, usize), TooLarge> {
        let Some(at) = gzip_header_len(data) else {
            return Ok((false, 0));
        };
        let start = out.len();
        let (ended, used) = stream(data.get(at..).unwrap_or_default(), false, out, limit)?;
        if !ended {
            return Ok((false, at + used));
        }
        let end = at + used;
        let Some(t) = data.get(end..end + 8) else {
            return Ok((false, end));
        };
        let held = out.get(start..).unwrap_or_default();
        let mut crc = flate2::Crc::new();
        crc.update(held);
        let ok = t[..4] == crc.sum().to_le_bytes() && t[4..] == (held.len() as u32).to_le_bytes();
        Ok((ok, end + 8))
    }

    fn gzip_header_len(b: &[u8]) -> Option<usize> {
        if !b.starts_with(&[0x1f, 0x8b, 0x08]) {
            return None;
        }
        let flg = *b.get(3)?;
        let mut at = 10;
        if flg & 4 != 0 {
            let x = usize::from(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]));
            at += 2 + x;
        }
        for bit in [8u8, 16] {
            if flg & bit != 0 {
                at += memchr::memchr(0, b.get(at..)?)? + 1;
            }
        }
        if flg & 2 != 0 {
            at += 2;
        }
        (at <= b.len()).then_some(at)
    }
}

#[derive(Default)]
struct Tally {
    compared: usize,
    exact: usize,
    broken_with_text: usize,
    too_large: usize,
    stricter_at_limit: usize,
    more_before_the_break: usize,
}

/// Both inflaters on `data` as `kind` with `limit`: the same answer.
fn agree(kind: Packed, data: &[u8], limit: usize, t: &mut Tally, what: &str) {
    let new = inflate(kind, data, limit);
    let old = reference::inflate(kind, data, limit);
    t.compared += 1;
    match (&new, &old) {
        (Err(TooLarge), Ok(o)) if o.plain.len() > limit && !o.exact => t.stricter_at_limit += 1,
        // a stream that breaks after more output than the reference's
        // room (4 KiB, then doubling): the reference dropped what its
        // decoder had decoded past the room; here all of it is read
        (Ok(n), Ok(o))
            if !n.exact
                && !o.exact
                && o.plain.len() % 4096 == 0
                && n.plain.len() > o.plain.len()
                && n.plain.starts_with(&o.plain) =>
        {
            t.more_before_the_break += 1
        }
        _ => {
            if new != old {
                let show = |r: &Result<Inflated, TooLarge>| match r {
                    Ok(i) => format!(
                        "{} bytes, exact {}: {:?}",
                        i.plain.len(),
                        i.exact,
                        String::from_utf8_lossy(&i.plain[..i.plain.len().min(80)])
                    ),
                    Err(TooLarge) => "too large".into(),
                };
                panic!(
                    "{what} ({kind:?}, {} bytes, limit {limit}): new {}\nreference {}\ninput {:02x?}",
                    data.len(),
                    show(&new),
                    show(&old),
                    &data[..data.len().min(64)]
                );
            }
            match &new {
                Ok(i) if i.exact => t.exact += 1,
                Ok(i) if i.plain.len() >= 8 => t.broken_with_text += 1,
                Err(TooLarge) => t.too_large += 1,
                _ => {}
            }
        }
    }
}

fn compressed(kind: Packed, plain: &[u8], level: u32) -> Vec<u8> {
    match kind {
        Packed::Gzip => flate::gzip(plain, level),
        Packed::Zlib => flate::zlib(plain, level),
        Packed::Deflate => flate::raw(plain, level),
    }
}

const KINDS: [Packed; 3] = [Packed::Gzip, Packed::Zlib, Packed::Deflate];

/// `body` as it is, and compressed and damaged in the ways a client can
/// send it, under a large limit and ones that cut it (`n`: the body's
/// number, to vary the level and the damaged bit from body to body).
fn compare_body(body: &[u8], n: usize, t: &mut Tally, what: &str) {
    let big = 1 << 20;
    for k in KINDS {
        agree(k, body, big, t, what);
    }
    if body.is_empty() {
        return;
    }
    for (i, k) in KINDS.into_iter().enumerate() {
        let level = [0, 1, 6, 9][(n + i) % 4];
        let bit = (n + i) % 8;
        let z = compressed(k, body, level);
        agree(k, &z, big, t, what);
        agree(k, &z, body.len() / 2, t, what);
        agree(k, &z, body.len().saturating_sub(1), t, what);
        agree(k, &z, body.len(), t, what);
        for cut in [1, 3, z.len() / 2, z.len().saturating_sub(4), z.len() - 1] {
            if cut > 0 && cut < z.len() {
                agree(k, &z[..cut], big, t, what);
            }
        }
        for at in [0, 2, z.len() / 2, z.len().saturating_sub(5), z.len() - 1] {
            let mut m = z.clone();
            m[at] ^= 1 << bit;
            agree(k, &m, big, t, what);
        }
        // read as the other kinds
        for other in KINDS {
            if other != k {
                agree(other, &z, big, t, what);
            }
        }
        agree(k, &[z.as_slice(), b"tail"].concat(), big, t, what);
        agree(k, &[z.as_slice(), z.as_slice()].concat(), big, t, what);
        agree(
            k,
            &[z.as_slice(), z.as_slice()].concat(),
            body.len() + body.len() / 2,
            t,
            what,
        );
    }
}

#[test]
fn same_reading_on_the_case_tables_and_corpora() {
    let mut bodies = corpus::case_strings(2);
    let cases = bodies.len();
    bodies.extend(corpus::prose(true));
    bodies.extend(corpus::bench(16 * 1024));
    let bodies = corpus::unique(bodies);
    let mut t = Tally::default();
    for (n, (what, b)) in bodies.iter().enumerate() {
        compare_body(b, n, &mut t, what);
    }
    println!(
        "{} bodies ({cases} from the case tables): {} readings compared, {} whole, {} broken with 8+ bytes out, {} too large, {} stricter at the limit, {} more read before a break",
        bodies.len(),
        t.compared,
        t.exact,
        t.broken_with_text,
        t.too_large,
        t.stricter_at_limit,
        t.more_before_the_break
    );
    assert!(cases > 1000, "{cases} case-table strings");
    assert!(
        t.exact > 10_000 && t.broken_with_text > 10_000 && t.too_large > 1000 && t.more_before_the_break > 10,
        "too few of each outcome"
    );
}

/// A minimal fixed-Huffman deflate writer (RFC 1951 3.2.6), for streams no
/// compressor writes.
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
    /// `n` bits of `v`, least significant first (header fields, extra bits).
    fn put(&mut self, v: u32, n: u32) {
        self.acc |= u64::from(v) << self.n;
        self.n += n;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    /// A Huffman code of `len` bits, most significant first.
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
    fn lits(&mut self, b: &[u8]) {
        for c in b {
            self.sym(u32::from(*c));
        }
    }
    /// A match of 3 to 10 bytes at distance 97 to 128.
    fn copy(&mut self, len: u32, dist: u32) {
        assert!((3..=10).contains(&len) && (97..=128).contains(&dist));
        self.sym(254 + len);
        self.code(13, 5);
        self.put(dist - 97, 5);
    }
    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// A match that reaches before the start of the stream reads zeros (as
/// the streaming inflater did, and as flate2 reads it in a Rust upstream):
/// the text after it is read, not left unread as a broken stream.
#[test]
fn a_match_before_the_start_reads_zeros() {
    let mut w = Bits::new();
    w.put(1, 1); // final
    w.put(1, 2); // fixed Huffman
    w.lits(b"x");
    w.copy(4, 100);
    w.lits(b" jane.doe@example.com");
    w.sym(256);
    let z = w.finish();
    let want = || {
        Ok(Inflated {
            plain: b"x\0\0\0\0 jane.doe@example.com".to_vec(),
            exact: true,
        })
    };
    assert_eq!(inflate(Packed::Deflate, &z, 1 << 20), want());
    assert_eq!(reference::inflate(Packed::Deflate, &z, 1 << 20), want());
    // after more than a window of output, a match reads what came out
    let mut w = Bits::new();
    w.put(1, 1);
    w.put(1, 2);
    let text = b"0123456789abcdef".repeat(2100);
    w.lits(&text);
    w.copy(5, 128);
    w.sym(256);
    let z = w.finish();
    let mut want = text.clone();
    want.extend_from_slice(&text[text.len() - 128..text.len() - 123]);
    assert_eq!(inflate(Packed::Deflate, &z, 1 << 20).unwrap().plain, want);
    let mut t = Tally::default();
    agree(Packed::Deflate, &z, 1 << 20, &mut t, "window");
}

/// Hand-made stored and fixed blocks, cut at every byte.
#[test]
fn same_reading_of_hand_made_streams() {
    let mut t = Tally::default();
    let mut w = Bits::new();
    w.put(0, 1);
    w.put(1, 2);
    w.lits(b"card 4111 1111 1111 1111");
    w.copy(10, 97);
    w.sym(256);
    // a stored block after it
    w.put(1, 1);
    w.put(0, 2);
    let mut z = w.finish();
    z.extend_from_slice(&[5, 0, 0xfa, 0xff]);
    z.extend_from_slice(b"hello");
    for cut in 0..=z.len() {
        agree(Packed::Deflate, &z[..cut], 1 << 20, &mut t, "hand-made");
        agree(Packed::Deflate, &z[..cut], 20, &mut t, "hand-made");
    }
    // a stored block whose length and complement disagree
    let mut bad = z.clone();
    let n = bad.len();
    bad[n - 7] ^= 1;
    agree(Packed::Deflate, &bad, 1 << 20, &mut t, "hand-made");
    assert!(inflate(Packed::Deflate, &z, 1 << 20).unwrap().exact);
    assert!(!inflate(Packed::Deflate, &bad, 1 << 20).unwrap().exact);
}

/// A stream exactly at the limit is read; one byte more is too large.
#[test]
fn the_limit_is_the_same() {
    let plain = b"jane@example.com, ".repeat(100);
    for k in KINDS {
        let z = pack(k, &plain);
        assert!(inflate(k, &z, plain.len()).unwrap().exact, "{k:?}");
        assert_eq!(inflate(k, &z, plain.len() - 1), Err(TooLarge), "{k:?}");
        // two members: the limit counts both
        if k != Packed::Deflate {
            let two = [z.clone(), z.clone()].concat();
            assert!(inflate(k, &two, 2 * plain.len()).unwrap().exact, "{k:?}");
            assert_eq!(inflate(k, &two, 2 * plain.len() - 1), Err(TooLarge), "{k:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Random bytes, and random damage to a real stream.
    #[test]
    fn same_reading_of_random_bytes(
        b in proptest::collection::vec(any::<u8>(), 0..600),
        text in "[a-z@. 0-9{}\":,]{0,400}",
        damage in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        cut in any::<usize>(),
        limit in 0usize..2000,
    ) {
        let mut t = Tally::default();
        for k in KINDS {
            agree(k, &b, 1 << 20, &mut t, "random");
            agree(k, &b, limit, &mut t, "random");
            let mut z = pack(k, text.as_bytes());
            for (at, x) in &damage {
                let n = z.len();
                z[at % n] ^= x;
            }
            agree(k, &z, 1 << 20, &mut t, "damaged");
            agree(k, &z, limit, &mut t, "damaged");
            let c = cut % (z.len() + 1);
            agree(k, &z[..c], 1 << 20, &mut t, "cut");
        }
    }
}
