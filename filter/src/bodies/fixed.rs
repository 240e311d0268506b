//! The first block of a raw deflate stream when it is a fixed-Huffman
//! block, decoded without building code tables. Every body on a direction
//! that redacts or blocks is tried as raw deflate ([`super::sniff`]), and a
//! JSON body's `{` or `[` starts such a block: the general decoder built its
//! tables (or copied a kept decoder that had built them, ~11 KB) per
//! attempt, then decoded a few hundred bytes before the stream broke (a
//! reserved symbol, 286/287 or distance 30/31, or the end of the input).
//!
//! This decoder reads that block the way miniz_oxide's decoder reads it
//! over an output whose 32 KiB before the stream are zeros: the same bytes
//! out, up to the same break. It decides only the two outcomes that do not
//! need another block: the block breaks (`Broken`), the output passes the
//! limit (`TooLarge`), or the block is the last one and ends (`Done`: JSON
//! text meets the end-of-block code, seven zero bits, about as often as it
//! breaks). When another block follows (`Continues`) the caller decodes the
//! stream from its start with the general decoder. `tests/sniff_fixed.rs`
//! compares the two on corpora and random streams.

/// What decoding the first block gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Fixed {
    /// The first block is not a fixed-Huffman block.
    NotFixed,
    /// The block broke: its output so far was appended.
    Broken,
    /// The output would pass the room given.
    TooLarge,
    /// The block was the stream's last and ended: its output was appended;
    /// the bytes of the input it used (the last one partly, as the general
    /// decoder counts them).
    Done(usize),
    /// The block ended and another follows: nothing decided (the output
    /// appended is to be dropped).
    Continues,
}

/// The fixed literal/length code (RFC 1951 3.2.6) by the next 9 bits of
/// the stream, first bit lowest: `symbol | bits << 9`.
const LIT: [u16; 512] = {
    let mut t = [0u16; 512];
    let mut sym = 0u32;
    while sym < 288 {
        let (code, len) = if sym < 144 {
            (0x30 + sym, 8)
        } else if sym < 256 {
            (0x190 + sym - 144, 9)
        } else if sym < 280 {
            (sym - 256, 7)
        } else {
            (0xC0 + sym - 280, 8)
        };
        // codes are sent most significant bit first
        let mut rev = 0u32;
        let mut k = 0;
        while k < len {
            rev |= ((code >> k) & 1) << (len - 1 - k);
            k += 1;
        }
        let mut x = rev;
        while x < 512 {
            t[x as usize] = (sym | len << 9) as u16;
            x += 1 << len;
        }
        sym += 1;
    }
    t
};

/// The fixed distance code (five bits, sent most significant first) by the
/// next five bits of the stream.
const DIST: [u8; 32] = {
    let mut t = [0u8; 32];
    let mut x = 0;
    while x < 32 {
        let mut rev = 0;
        let mut k = 0;
        while k < 5 {
            rev |= ((x >> k) & 1) << (4 - k);
            k += 1;
        }
        t[x] = rev as u8;
        x += 1;
    }
    t
};

/// Length symbols 257..=285: (base, extra bits).
const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];

/// Distance symbols 0..=29: (base, extra bits).
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
    8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
];

/// Deflate's largest match distance: the kept buffer's first bytes, never
/// written, are the zeros a match before the stream's start reads.
const WINDOW: usize = 32 * 1024;

/// Output room kept between attempts (beyond [`WINDOW`]).
const KEPT_ROOM: usize = 64 * 1024;

/// Decodes the first block of the raw deflate stream `data` when it is a
/// fixed-Huffman block, appending its output to `out`, at most `room`
/// bytes of it. A match reaching before the stream's start reads zeros.
///
/// `text_only`: the caller reads the output of a stream that does not end
/// exactly at the end of `data` (it broke, or bytes follow it) only if it
/// is text, and text is UTF-8 ([`crate::textcode::is_text`]). Once the
/// output holds a sequence that is not UTF-8 whatever follows it, the rest
/// of the block is decoded without output (what the block decides never
/// depends on its output bytes: only on its codes and lengths), and only
/// the output up to there is appended: `Broken` and `Done` short of the
/// end of `data` then come with that prefix, which is not UTF-8 either. A
/// block that ends exactly at the end of `data` is decoded again with all
/// its output.
pub fn first_block(data: &[u8], out: &mut Vec<u8>, room: usize, text_only: bool) -> Fixed {
    match data.first() {
        Some(&b0) if (b0 >> 1) & 3 == 1 => {}
        _ => return Fixed::NotFixed,
    }
    std::thread_local! {
        static KEPT: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    KEPT.with(|k| {
        let Ok(mut buf) = k.try_borrow_mut() else {
            // (not re-entered; the general decoder would read it)
            return Fixed::NotFixed;
        };
        if buf.len() < WINDOW {
            buf.resize(WINDOW + 4096, 0);
        }
        let (mut r, mut end) = decode(data, &mut buf, room, text_only);
        if matches!(r, Fixed::Done(used) if used >= data.len()) && end.written < end.pos {
            // one whole stream: its output is read whatever it is
            (r, end) = decode(data, &mut buf, room, false);
        }
        if !matches!(r, Fixed::Continues | Fixed::TooLarge) {
            out.extend_from_slice(buf.get(WINDOW..end.written).unwrap_or_default());
        }
        if buf.len() > WINDOW + KEPT_ROOM {
            buf.truncate(WINDOW + KEPT_ROOM);
            buf.shrink_to(WINDOW + KEPT_ROOM);
        }
        r
    })
}

/// Where [`decode`] stopped in its buffer: the end of the output, and the
/// end of what was written of it (less when writing stopped).
struct End {
    pos: usize,
    written: usize,
}

/// Output bytes before the first look for a sequence that is not UTF-8
/// (when only text is read), and between two looks: a look costs a call, a
/// byte not written a store (JSON read as a fixed block gives one at once).
const FIRST_LOOK: usize = 16;
const LOOK_EVERY: usize = 64;

/// [`first_block`] into `buf` from [`WINDOW`] on (its bytes before are
/// zeros; its bytes after are written before they are read): the outcome
/// and the end of the output. `buf` grows as needed, zero-filled once.
fn decode(data: &[u8], buf: &mut Vec<u8>, room: usize, text_only: bool) -> (Fixed, End) {
    let Some(&b0) = data.first() else {
        return (
            Fixed::NotFixed,
            End {
                pos: WINDOW,
                written: WINDOW,
            },
        );
    };
    let most = WINDOW.saturating_add(room);
    let mut pos = WINDOW;
    // Output before `written` is written (all of it until the output is
    // seen not to be UTF-8); before `valid`, UTF-8 up to a sequence cut
    // there; the next look at `next_look`.
    let mut written = usize::MAX;
    let mut valid = WINDOW;
    let mut next_look = if text_only { WINDOW + FIRST_LOOK } else { usize::MAX };
    let mut bits: u64 = 0;
    let mut n: u32 = 0;
    let mut i = 0;
    // (BFINAL and BTYPE: three bits of the first byte)
    bits |= u64::from(b0) >> 3;
    n += 5;
    i += 1;
    let r = loop {
        if pos >= next_look {
            match std::str::from_utf8(buf.get(valid..pos).unwrap_or_default()) {
                Ok(_) => valid = pos,
                // not UTF-8 whatever follows: nothing more is written
                Err(e) if e.error_len().is_some() => {
                    written = pos;
                    next_look = usize::MAX;
                    continue;
                }
                Err(e) => valid += e.valid_up_to(),
            }
            next_look = pos + LOOK_EVERY;
        }
        // 32 bits are the most one symbol takes: 9 + 5 extra + 5 + 13 extra
        if n < 32 {
            if let Some(&w) = data.get(i..).and_then(|r| r.first_chunk::<8>()) {
                // eight bytes at once: the whole ones that fit are taken;
                // the bits above `n` are the next bytes' own (or zero)
                let k = (63 - n) / 8;
                bits |= u64::from_le_bytes(w) << n;
                i += k as usize;
                n += k * 8;
            } else {
                while n <= 56 {
                    let Some(&c) = data.get(i) else { break };
                    bits |= u64::from(c) << n;
                    n += 8;
                    i += 1;
                }
            }
        }
        let e = LIT[(bits & 511) as usize];
        let len = u32::from(e >> 9);
        if len > n {
            break Fixed::Broken;
        }
        bits >>= len;
        n -= len;
        let sym = usize::from(e & 511);
        if sym < 256 {
            if pos >= most {
                break Fixed::TooLarge;
            }
            if pos < written {
                if pos >= buf.len() {
                    grow(buf, pos + 1, most);
                }
                if let Some(x) = buf.get_mut(pos) {
                    *x = sym as u8;
                }
            }
            pos += 1;
            continue;
        }
        if sym == 256 {
            if b0 & 1 == 0 {
                break Fixed::Continues;
            }
            // whole bytes left in the bit buffer are given back
            break Fixed::Done(i - (n / 8) as usize);
        }
        let Some((&lb, &lx)) = LEN_BASE.get(sym - 257).zip(LEN_EXTRA.get(sym - 257)) else {
            // 286, 287
            break Fixed::Broken;
        };
        let lx = u32::from(lx);
        if lx > n {
            break Fixed::Broken;
        }
        let length = usize::from(lb) + (bits & ((1 << lx) - 1)) as usize;
        bits >>= lx;
        n -= lx;
        if n < 5 {
            break Fixed::Broken;
        }
        let d = usize::from(DIST[(bits & 31) as usize]);
        bits >>= 5;
        n -= 5;
        let Some((&db, &dx)) = DIST_BASE.get(d).zip(DIST_EXTRA.get(d)) else {
            // 30, 31
            break Fixed::Broken;
        };
        let dx = u32::from(dx);
        if dx > n {
            break Fixed::Broken;
        }
        let dist = usize::from(db) + (bits & ((1 << dx) - 1)) as usize;
        bits >>= dx;
        n -= dx;
        if length > most - pos {
            break Fixed::TooLarge;
        }
        if pos < written {
            copy_match(buf, pos, dist, length, most);
        }
        pos += length;
    };
    (
        r,
        End {
            pos,
            written: written.min(pos),
        },
    )
}

/// Writes the match of `length` bytes at `dist` back at `pos`.
fn copy_match(buf: &mut Vec<u8>, pos: usize, dist: usize, length: usize, most: usize) {
    if pos + length > buf.len() {
        grow(buf, pos + length, most);
    }
    // (`dist` is at most WINDOW and `pos` at least: never before the buffer)
    let from = pos - dist;
    if length <= 32 {
        // short (a copy out of the module costs more in Wasm), overlapping
        // or not: each byte reads what was just written
        for k in 0..length {
            let c = buf.get(from + k).copied().unwrap_or(0);
            if let Some(x) = buf.get_mut(pos + k) {
                *x = c;
            }
        }
    } else if dist >= length {
        buf.copy_within(from..from + length, pos);
    } else {
        // overlapping: the output repeats every `dist` bytes, so what is
        // written is copied again from `from` (`dist` bytes, then twice as
        // many, ...; each copy a whole number of periods)
        let mut done = 0;
        while done < length {
            let k = (dist + done).min(length - done);
            buf.copy_within(from..from + k, pos + done);
            done += k;
        }
    }
}

/// Grows `buf` to hold at least `need` bytes (doubling, at most `most`).
fn grow(buf: &mut Vec<u8>, need: usize, most: usize) {
    let len = buf.len().saturating_mul(2).max(need).min(most.max(need));
    buf.resize(len, 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_follow_the_rfc() {
        // `0x30` (00110000, sent from its top bit) is literal 0: reversed 00001100
        assert_eq!(LIT[0b0000_1100], 8 << 9);
        // end of block: seven zero bits
        assert_eq!(LIT[0], 256 | 7 << 9);
        assert_eq!(LIT[0b1_1111_1111], 255 | 9 << 9);
        // 287 = 11000111, reversed 11100011
        assert_eq!(LIT[0b1110_0011], 287 | 8 << 9);
        assert_eq!(DIST[0b00001], 16);
        assert_eq!(DIST[0b11111], 31);
        // every symbol fills the entries its code's free bits leave
        let mut seen = [0u32; 288];
        for e in LIT {
            let (s, len) = (usize::from(e & 511), e >> 9);
            seen[s] += 1;
            assert!((7..=9).contains(&len));
            assert_eq!(LIT.iter().filter(|&&x| x == e).count(), 1 << (9 - len));
        }
        assert!(seen.iter().all(|&s| s > 0));
    }

    #[test]
    fn not_fixed_and_empty() {
        let mut out = Vec::new();
        for text_only in [false, true] {
            assert_eq!(first_block(b"", &mut out, 100, text_only), Fixed::NotFixed);
            assert_eq!(first_block(&[0x04], &mut out, 100, text_only), Fixed::NotFixed);
            assert_eq!(first_block(&[0x00, 0x01], &mut out, 100, text_only), Fixed::NotFixed);
        }
        assert!(out.is_empty());
    }
}
