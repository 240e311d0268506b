//! Compressed bytes without a label. An upstream that sniffs its input
//! (or simply always inflates it) reads the text inside a gzip member, a
//! zlib stream or raw deflate whatever the headers say, so the engine reads
//! it too (red team: `zlib(card)` sent as `application/octet-stream`
//! passed a block route).
//!
//! - gzip (`1f 8b 08`) and zlib (CM 8, a window of at most 32 KiB, no
//!   preset dictionary, FCHECK) are recognised by their first bytes, on
//!   every route;
//! - raw deflate has no magic: it is tried only on a direction that
//!   redacts or blocks (on text too: printable deflate streams can be
//!   made), and taken only when it is one whole stream;
//! - a stream that ends early, is corrupt or has bytes after it is read up
//!   to where it breaks (as lenient decoders do); when that reading holds
//!   something to redact or block, the body cannot be rewritten for both
//!   readings and is uninspectable (fails closed on enforcing routes);
//! - layers are peeled up to [`crate::encoding::MAX_LAYERS`]; more is
//!   uninspectable. Every layer is bounded by `limits.max_body_bytes`.

use crate::config::Action;
use crate::engine::{BodyResult, Direction, Engine};
use crate::policy::Route;
use miniz_oxide::inflate::core::{decompress, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

/// A compressed format recognised without a label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packed {
    Gzip,
    Zlib,
    Deflate,
}

impl Packed {
    fn name(self) -> &'static str {
        match self {
            Packed::Gzip => "gzip",
            Packed::Zlib => "zlib",
            Packed::Deflate => "deflate",
        }
    }
}

/// The format `b` announces by its first bytes: gzip or zlib (raw deflate
/// has no magic).
pub fn magic(b: &[u8]) -> Option<Packed> {
    match b {
        [0x1f, 0x8b, 0x08, ..] => Some(Packed::Gzip),
        [cmf, flg, ..]
            if cmf & 0x0f == 8
                && cmf >> 4 <= 7
                && flg & 0x20 == 0
                && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0 =>
        {
            Some(Packed::Zlib)
        }
        _ => None,
    }
}

/// The decompressed output would exceed the limit.
#[derive(Debug, PartialEq, Eq)]
pub struct TooLarge;

/// What inflating gave: the text and whether the input was exactly whole
/// streams (every stream ended and checked, nothing after the last).
#[derive(Debug, PartialEq, Eq)]
pub struct Inflated {
    pub plain: Vec<u8>,
    pub exact: bool,
}

/// Most streams of one format read one after the other (concatenated
/// members, as gzip readers do).
const MAX_MEMBERS: usize = 64;

/// Inflates `data` as `kind`, member after member, at most `limit` bytes
/// of output. A stream that breaks is read up to where it breaks.
pub fn inflate(kind: Packed, data: &[u8], limit: usize) -> Result<Inflated, TooLarge> {
    inflate_with(kind, data, limit, true, false)
}

/// [`inflate`] as the sniff reads a body: raw deflate that is not one
/// whole stream is read only when its text is text ([`broken`]), so its
/// reading may hold only a prefix of the text when that prefix is already
/// not UTF-8 (the whole text is then not UTF-8 either; see
/// [`super::fixed::first_block`]). Every other reading is [`inflate`]'s.
pub fn inflate_for_sniff(kind: Packed, data: &[u8], limit: usize) -> Result<Inflated, TooLarge> {
    inflate_with(kind, data, limit, true, kind == Packed::Deflate)
}

/// [`inflate`] without [`super::fixed`]'s decoder of a first fixed-Huffman
/// block: every stream read by miniz_oxide's decoder alone (the reference
/// `tests/sniff_fixed.rs` compares the two with).
#[cfg(any(test, feature = "testing"))]
pub fn inflate_general(kind: Packed, data: &[u8], limit: usize) -> Result<Inflated, TooLarge> {
    inflate_with(kind, data, limit, false, false)
}

fn inflate_with(kind: Packed, data: &[u8], limit: usize, fast: bool, text_only: bool) -> Result<Inflated, TooLarge> {
    let mut plain = Vec::new();
    let mut rest = data;
    for _ in 0..MAX_MEMBERS {
        let (ended, used) = match kind {
            Packed::Gzip => gzip_member(rest, &mut plain, limit, fast)?,
            Packed::Zlib => stream(rest, true, &mut plain, limit, fast, false)?,
            Packed::Deflate => stream(rest, false, &mut plain, limit, fast, text_only)?,
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

/// Deflate's largest match distance. A stream is decoded after this many
/// zero bytes: a match reaching before the start of the stream reads
/// zeros, as the streaming inflater (flate2's, with its window cleared)
/// that this decoder replaces read them; a Rust upstream that inflates
/// with flate2 reads the same.
const WINDOW: usize = 32 * 1024;

/// First output room of an attempt: most attempts (a body that is not
/// deflate, a JSON body starting with `{` read as a fixed-Huffman block)
/// break within a few hundred bytes, and every byte of room is zero-filled.
const FIRST_ROOM: usize = 1024;

/// Output room kept between attempts (beyond [`WINDOW`]).
const KEPT_ROOM: usize = 64 * 1024;

/// A decompressor and its output buffer, kept between attempts: the
/// buffer's first [`WINDOW`] bytes stay zero (nothing is written there),
/// so no attempt clears a window.
struct Kept {
    d: Box<DecompressorOxide>,
    buf: Vec<u8>,
    /// A raw deflate stream's first byte when it starts a fixed-Huffman
    /// block, and the decompressor having read it (its code tables built:
    /// most of an attempt on a body that is not deflate, as every JSON
    /// body's `{` or `[` starts such a block).
    fixed: Option<(u8, Box<DecompressorOxide>)>,
}

impl Kept {
    fn new() -> Kept {
        Kept {
            d: Box::default(),
            buf: vec![0; WINDOW],
            fixed: None,
        }
    }

    /// Reads the first byte of a raw deflate stream that starts a
    /// fixed-Huffman block (from the kept decompressor when the byte is the
    /// same as last time): the bytes of `data` read (0 or 1). The state is
    /// the one reading `data` whole reaches after its first byte: the
    /// decoder is resumable byte by byte, and five bits cannot make a
    /// symbol (the shortest fixed code has seven).
    fn fixed_start(&mut self, data: &[u8], flags: u32) -> usize {
        use miniz_oxide::inflate::core::inflate_flags::TINFL_FLAG_HAS_MORE_INPUT;
        let Some(&b0) = data.first() else {
            return 0;
        };
        if b0 >> 1 & 3 != 1 {
            return 0;
        }
        if let Some((c, d)) = &self.fixed {
            if *c == b0 {
                self.d.clone_from(d);
                return 1;
            }
        }
        let (status, n_in, n_out) = decompress(
            &mut self.d,
            &data[..1],
            &mut self.buf,
            WINDOW,
            flags | TINFL_FLAG_HAS_MORE_INPUT,
        );
        if status != TINFLStatus::NeedsMoreInput || n_in != 1 || n_out != 0 {
            self.d.init();
            return 0;
        }
        match &mut self.fixed {
            Some((c, d)) => {
                *c = b0;
                d.clone_from(&self.d);
            }
            None => self.fixed = Some((b0, self.d.clone())),
        }
        1
    }
}

/// One zlib (`zlib`) or raw deflate stream at the start of `data`, appended
/// to `out`: (whether it ended, checksum included; bytes of `data` used,
/// which nothing reads when it did not end). A raw stream whose first block
/// is a fixed-Huffman block that breaks (most bodies that are not deflate)
/// is read by [`super::fixed`] (when `fast`) without the general decoder;
/// `text_only` as [`super::fixed::first_block`] takes it (a stream that is
/// the whole of `data` is read whole whatever it holds).
fn stream(
    data: &[u8],
    zlib: bool,
    out: &mut Vec<u8>,
    limit: usize,
    fast: bool,
    text_only: bool,
) -> Result<(bool, usize), TooLarge> {
    if fast && !zlib && out.len() <= limit {
        use super::fixed::{first_block, Fixed};
        let start = out.len();
        match first_block(data, out, limit - start, text_only) {
            Fixed::Broken => return Ok((false, 0)),
            Fixed::TooLarge => return Err(TooLarge),
            Fixed::Done(used) => return Ok((true, used)),
            Fixed::NotFixed => {}
            // more blocks: the stream is read again whole below
            Fixed::Continues => out.truncate(start),
        }
    }
    std::thread_local! {
        static KEPT: std::cell::RefCell<Option<Kept>> = const { std::cell::RefCell::new(None) };
    }
    KEPT.with(|k| match k.try_borrow_mut() {
        Ok(mut kept) => stream_with(kept.get_or_insert_with(Kept::new), data, zlib, out, limit),
        Err(_) => stream_with(&mut Kept::new(), data, zlib, out, limit),
    })
}

fn stream_with(
    k: &mut Kept,
    data: &[u8],
    zlib: bool,
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<(bool, usize), TooLarge> {
    use miniz_oxide::inflate::core::inflate_flags as f;
    if out.len() > limit {
        return Err(TooLarge);
    }
    // The output of this stream may reach `limit + 1` bytes in all (one
    // more than allowed: too large).
    let most = WINDOW.saturating_add((limit - out.len()).saturating_add(1));
    let flags = f::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF
        | if zlib {
            f::TINFL_FLAG_PARSE_ZLIB_HEADER | f::TINFL_FLAG_COMPUTE_ADLER32
        } else {
            f::TINFL_FLAG_IGNORE_ADLER32
        };
    k.d.init();
    k.buf.truncate(WINDOW);
    let mut room = FIRST_ROOM;
    k.buf.resize((WINDOW + room).min(most), 0);
    let mut used = if zlib { 0 } else { k.fixed_start(data, flags) };
    let mut pos = WINDOW;
    let ended = loop {
        k.buf.resize((WINDOW + room).min(most), 0);
        let input = data.get(used..).unwrap_or_default();
        let (status, n_in, n_out) = decompress(&mut k.d, input, &mut k.buf, pos, flags);
        used += n_in;
        pos += n_out;
        match status {
            TINFLStatus::Done => break true,
            TINFLStatus::HasMoreOutput if k.buf.len() < most => room = room.saturating_mul(2),
            // `limit + 1` bytes out: too large (below)
            TINFLStatus::HasMoreOutput => break false,
            // corrupt, cut short (all the input is given), bad checksum
            _ => break false,
        }
    };
    out.extend_from_slice(k.buf.get(WINDOW..pos).unwrap_or_default());
    k.buf.truncate(WINDOW);
    if k.buf.capacity() > WINDOW + KEPT_ROOM {
        k.buf.shrink_to(WINDOW + KEPT_ROOM);
    }
    if out.len() > limit {
        return Err(TooLarge);
    }
    Ok((ended, used))
}

/// One gzip member (RFC 1952): its header, a raw deflate stream, and the
/// CRC-32 and length of what it held.
fn gzip_member(data: &[u8], out: &mut Vec<u8>, limit: usize, fast: bool) -> Result<(bool, usize), TooLarge> {
    let Some(at) = gzip_header_len(data) else {
        return Ok((false, 0));
    };
    let start = out.len();
    let (ended, used) = stream(data.get(at..).unwrap_or_default(), false, out, limit, fast, false)?;
    if !ended {
        return Ok((false, at + used));
    }
    let end = at + used;
    let Some(t) = data.get(end..end + 8) else {
        return Ok((false, end));
    };
    let held = out.get(start..).unwrap_or_default();
    let ok = t[..4] == crate::encoding::crc32(held).to_le_bytes() && t[4..] == (held.len() as u32).to_le_bytes();
    Ok((ok, end + 8))
}

/// The length of the gzip header at the start of `b`, `None` if it is not one.
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

/// Compresses `plain` again in `kind`.
pub fn pack(kind: Packed, plain: &[u8]) -> Vec<u8> {
    use crate::encoding::{encode, Coding};
    match kind {
        Packed::Gzip => encode(Coding::Gzip, plain),
        Packed::Zlib => encode(Coding::Deflate, plain),
        Packed::Deflate => crate::encoding::deflate_raw(plain),
    }
}

/// Whether `b` can start a raw deflate stream: not the reserved block
/// type, and a stored block's length agrees with its complement. (A quick
/// refusal; the inflater decides the rest, most text within a few bytes.)
fn maybe_deflate(b: &[u8]) -> bool {
    match b.first().map(|c| c >> 1 & 3) {
        Some(3) | None => false,
        Some(0) => b.get(1..5).is_some_and(|l| l[0] == !l[2] && l[1] == !l[3]),
        Some(_) => b.len() >= 2,
    }
}

/// The packed format of a value's bytes and its text, for a value inside a
/// body (a part, a decoded base64 token): gzip or zlib, whole streams only.
pub fn unpack_value(value: &[u8], limit: usize) -> Option<(Packed, Vec<u8>)> {
    let kind = magic(value)?;
    let r = inflate(kind, value, limit).ok()?;
    r.exact.then_some((kind, r.plain))
}

/// Shortest broken-stream reading worth reading (shorter output of a
/// stream that breaks is noise from bytes that only look compressed).
const MIN_PREFIX: usize = 8;

/// A body whose bytes are compressed without a label: `Some` result when
/// it is (read inside, rewritten packed the same way), `None` to read it
/// as it is. `inner` reads a body that is not packed.
pub fn inspect_packed(
    engine: &Engine,
    route: &Route,
    d: Direction,
    body: &[u8],
    inner: &mut dyn FnMut(&[u8]) -> BodyResult,
) -> Option<BodyResult> {
    let dp = match d {
        Direction::Request => &route.request,
        Direction::Response => &route.response,
    };
    let enforcing = dp.blocks || dp.redacts;
    let first = match magic(body) {
        Some(k) => k,
        // (not only on binary bodies: deflate streams of printable bytes
        // alone can be made, as zlib ones were for Rosetta Flash)
        None if enforcing && maybe_deflate(body) => Packed::Deflate,
        None => return None,
    };
    let limit = engine.policy.limits.max_body_bytes;
    let mut layers = Vec::new();
    let mut cur: std::borrow::Cow<[u8]> = std::borrow::Cow::Borrowed(body);
    let mut kind = Some(first);
    while let Some(k) = kind {
        if layers.len() == crate::encoding::MAX_LAYERS {
            return Some(engine.uninspectable(route, "encoding:stacked".into()));
        }
        // (only a layer that breaks can be read in part: `broken` reads it)
        let r = match inflate_for_sniff(k, &cur, limit) {
            Ok(r) => r,
            Err(TooLarge) => return Some(engine.uninspectable(route, format!("encoding:{}_oversize", k.name()))),
        };
        if !r.exact {
            if let Some(u) = broken(engine, route, k, &r.plain, &cur, inner) {
                return Some(u);
            }
            if layers.is_empty() {
                // not compressed after all (or nothing in it): read as it is
                return None;
            }
            break;
        }
        layers.push(k);
        cur = std::borrow::Cow::Owned(r.plain);
        kind = magic(&cur);
    }
    let mut res = inner(&cur);
    res.body = res.body.map(|mut b| {
        for k in layers.iter().rev() {
            b = pack(*k, &b);
        }
        b
    });
    Some(res)
}

/// A layer that breaks (ends early, corrupt, bytes after it): what the
/// stream held up to the break is read; when that holds something to
/// redact or block, nothing can be rewritten for both readings (the layer
/// as it is, and what a lenient decoder makes of it): uninspectable, with
/// the findings of both. `None` otherwise (the caller reads the layer as
/// it is). Raw deflate that breaks is taken for what it most likely is,
/// binary data, unless what it held is text.
fn broken(
    engine: &Engine,
    route: &Route,
    k: Packed,
    prefix: &[u8],
    body: &[u8],
    inner: &mut dyn FnMut(&[u8]) -> BodyResult,
) -> Option<BodyResult> {
    if prefix.len() < MIN_PREFIX || (k == Packed::Deflate && !crate::textcode::is_text(prefix)) {
        return None;
    }
    let alt = inner(prefix);
    if alt.inspection.max_action() < Some(Action::Redact) {
        return None;
    }
    let mut u = engine.uninspectable(route, format!("encoding:{}_broken", k.name()));
    u.inspection.merge(alt.inspection);
    u.inspection.merge(inner(body).inspection);
    Some(u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zlib(b: &[u8]) -> Vec<u8> {
        pack(Packed::Zlib, b)
    }

    #[test]
    fn magic_bytes() {
        assert_eq!(magic(&zlib(b"x")), Some(Packed::Zlib));
        assert_eq!(magic(&pack(Packed::Gzip, b"x")), Some(Packed::Gzip));
        for lvl in 0..=9 {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(lvl));
            e.write_all(b"jane@example.com").unwrap();
            assert_eq!(magic(&e.finish().unwrap()), Some(Packed::Zlib), "level {lvl}");
        }
        assert_eq!(magic(b"{\"a\":1}"), None);
        assert_eq!(magic(b"x"), None);
        assert_eq!(magic(b"\x78\x9d"), None);
    }

    #[test]
    fn whole_broken_and_bounded() {
        let plain = b"card 4111111111111111 ".repeat(20);
        for k in [Packed::Gzip, Packed::Zlib, Packed::Deflate] {
            let z = pack(k, &plain);
            assert_eq!(
                inflate(k, &z, 1 << 20),
                Ok(Inflated {
                    plain: plain.clone(),
                    exact: true
                })
            );
            // two members read as one text
            let two = [z.clone(), z.clone()].concat();
            let r = inflate(k, &two, 1 << 20).unwrap();
            if k == Packed::Deflate {
                assert!(!r.exact);
            } else {
                assert_eq!(
                    r,
                    Inflated {
                        plain: plain.repeat(2),
                        exact: true
                    }
                );
            }
            // truncated: what came before the break, not exact
            let r = inflate(k, &z[..z.len() - 6], 1 << 20).unwrap();
            assert!(!r.exact, "{k:?}");
            // bytes after the stream
            let r = inflate(k, &[z.clone(), b"tail".to_vec()].concat(), 1 << 20).unwrap();
            assert!(!r.exact, "{k:?}");
            assert!(r.plain.starts_with(&plain[..100]));
            assert_eq!(inflate(k, &z, 100), Err(TooLarge));
        }
        let bomb = zlib(&vec![0u8; 8 << 20]);
        assert_eq!(inflate(Packed::Zlib, &bomb, 1 << 20), Err(TooLarge));
        // a damaged checksum is not whole
        let mut z = zlib(&plain);
        let n = z.len();
        z[n - 1] ^= 1;
        assert!(!inflate(Packed::Zlib, &z, 1 << 20).unwrap().exact);
        let mut g = pack(Packed::Gzip, &plain);
        let n = g.len();
        g[n - 5] ^= 1;
        assert!(!inflate(Packed::Gzip, &g, 1 << 20).unwrap().exact);
    }

    #[test]
    fn deflate_starts() {
        for lvl in 0..=9 {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(lvl));
            e.write_all(&b"card 4111111111111111 ".repeat(lvl as usize + 1))
                .unwrap();
            assert!(maybe_deflate(&e.finish().unwrap()), "level {lvl}");
        }
        assert!(!maybe_deflate(b"\x06abc"));
        assert!(!maybe_deflate(b"\x01\x05\x00\x05\x00"));
        assert!(!maybe_deflate(b""));
    }

    /// The decompressor kept between calls starts clean each time.
    #[test]
    fn a_kept_decompressor_is_reset() {
        let z = pack(Packed::Deflate, b"jane@example.com and more text");
        let _ = inflate(Packed::Deflate, &z[..z.len() / 2], 1 << 20);
        let _ = inflate(Packed::Deflate, b"\x05garbage that breaks", 1 << 20);
        assert_eq!(
            inflate(Packed::Deflate, &z, 1 << 20).unwrap().plain,
            b"jane@example.com and more text"
        );
        let zl = pack(Packed::Zlib, b"x");
        assert!(inflate(Packed::Zlib, &zl, 1 << 20).unwrap().exact);
    }
}
