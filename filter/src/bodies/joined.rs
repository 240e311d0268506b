//! Base64 or hex text cut into short chunks by white space (or, for hex,
//! `:` and `-`): `aGVs bG8g` ... or `34 31 31 31` ... A receiver that strips
//! the separators and decodes reads the text inside; the tokenizer of
//! [`crate::textcode`] only joins MIME lines of 16 characters or more, so a
//! client that wraps at 8 (red team) passed. Here a run is decoded across
//! its separators, quartet by quartet (hex: pair by pair), from the start
//! of each chunk, while what it decodes to is printable text; a run is kept
//! when it crosses a separator and decodes to at least [`MIN_B64_BYTES`]
//! (hex: [`MIN_HEX_BYTES`]) bytes of text. The span returned covers every
//! chunk of the run whole, separators included.
//!
//! Cost on ordinary text: a chunk start is tried only when its first
//! character can start printable text (base64: `C`, `D`, `I`-`Z`, `a`-`f`,
//! `w`-`z`, digits, `+`, `/`; hex: `2`-`7`), and most attempts stop at the
//! first quartet or pair, which is not printable.

/// Shortest base64 run read (bytes of text): a card number is 16, an
/// e-mail address about as long. Shorter runs of short words are ordinary
/// prose far more often than split base64.
pub const MIN_B64_BYTES: usize = 12;

/// Shortest hex run read (bytes of text), as for an unsplit hex token.
pub const MIN_HEX_BYTES: usize = 8;

/// Most white-space bytes between two chunks (` `, `\n`, `\r\n`, `\t`).
const MAX_GAP: usize = 2;

/// Most runs read per value.
const MAX_RUNS: usize = 64;

/// A run found: `b[start..end]` decodes to `plain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub start: usize,
    pub end: usize,
    pub plain: Vec<u8>,
}

/// The value of each character of both base64 alphabets; 0xFF otherwise.
const B64: [u8; 256] = {
    let mut t = [0xFFu8; 256];
    let mut i = 0;
    while i < 26 {
        t[b'A' as usize + i] = i as u8;
        t[b'a' as usize + i] = 26 + i as u8;
        i += 1;
    }
    let mut d = 0;
    while d < 10 {
        t[b'0' as usize + d] = 52 + d as u8;
        d += 1;
    }
    t[b'+' as usize] = 62;
    t[b'-' as usize] = 62;
    t[b'/' as usize] = 63;
    t[b'_' as usize] = 63;
    t
};

fn b64_val(c: u8) -> Option<u8> {
    let v = B64[c as usize];
    (v != 0xFF).then_some(v)
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

fn gap(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn hex_gap(c: u8) -> bool {
    gap(c) || c == b':' || c == b'-'
}

/// Reads characters of one alphabet from `b[i..]`, skipping gaps of at
/// most [`MAX_GAP`] bytes between chunks: the next `n` values, the index
/// after the last one, and how many gaps were crossed. `None` when the run
/// ends first.
#[inline(always)]
fn take(
    b: &[u8],
    mut i: usize,
    n: usize,
    val: impl Fn(u8) -> Option<u8>,
    is_gap: impl Fn(u8) -> bool,
    out: &mut [u8; 4],
) -> Option<(usize, usize)> {
    let mut got = 0;
    let mut gaps = 0;
    while got < n {
        let c = *b.get(i)?;
        if let Some(v) = val(c) {
            out[got] = v;
            got += 1;
            i += 1;
            continue;
        }
        if !is_gap(c) {
            return None;
        }
        let g0 = i;
        while b.get(i).is_some_and(|c| is_gap(*c)) {
            i += 1;
        }
        if i - g0 > MAX_GAP {
            return None;
        }
        gaps += 1;
    }
    Some((i, gaps))
}

/// The last group of a base64 run from `b[i]`: 2 or 3 characters (gaps
/// allowed before and between them), then `=` padding; the group must end
/// its chunk. (The index after it, its values with their count last, the
/// gaps crossed.)
fn tail(b: &[u8], mut i: usize) -> Option<(usize, [u8; 4], usize)> {
    let mut vals = [0u8; 4];
    let mut k = 0;
    let mut gaps = 0;
    loop {
        let g0 = i;
        while b.get(i).is_some_and(|c| gap(*c)) {
            i += 1;
        }
        if i - g0 > MAX_GAP {
            return None;
        }
        match b.get(i).and_then(|c| b64_val(*c)) {
            Some(v) if k < 3 => {
                vals[k] = v;
                k += 1;
                gaps += usize::from(i > g0);
                i += 1;
            }
            Some(_) => return None,
            None => {
                if k == 0 {
                    return None;
                }
                // a gap after the group is not part of the run
                i = g0;
                break;
            }
        }
    }
    // padding, itself perhaps cut by gaps
    let mut pads = 0;
    while pads < 2 {
        let mut j = i;
        while j - i < MAX_GAP && b.get(j).is_some_and(|c| gap(*c)) {
            j += 1;
        }
        if b.get(j) != Some(&b'=') {
            break;
        }
        i = j + 1;
        pads += 1;
    }
    vals[3] = k as u8;
    Some((i, vals, gaps))
}

/// Base64 and hex runs of `b` that cross a separator and decode to text.
/// `skip`: spans already read as one token (not read again).
///
/// The same runs as [`runs_reference`], which tries every chunk start with
/// the full walk; here:
/// - a value without a capital, a digit or `+` `/` `-` `_` ([`UPPERISH`])
///   has none: a base64 run holds a character that is not a lower-case
///   letter ([`run_b64`]: a plain word is prose), and a hex run starts with
///   a digit;
/// - a chunk start is walked only when the first quartet from it (read
///   across gaps, as [`walk_b64`] reads it) decodes to bytes that can start
///   text, or when it can start hex.
pub fn runs(b: &[u8], skip: &[(usize, usize)], out: &mut Vec<Run>) {
    out.clear();
    if b.len() < 16
        || !b.iter().any(|c| hex_gap(*c))
        || !b.iter().any(|c| CLASS[*c as usize] & UPPERISH != 0)
        || !may_have_run(b)
    {
        return;
    }
    let mut i = 0;
    let n = b.len();
    while i < n && out.len() < MAX_RUNS {
        // to the next chunk, then past it unless a run starts there
        while i < n && CLASS[b[i] as usize] & WORD == 0 {
            i += 1;
        }
        if i >= n {
            break;
        }
        let cls = CLASS[b[i] as usize];
        // hex bytes each with its own `0x` (`0x34 0x31 …`, `0x34,0x31`)
        if b[i] == b'0' && matches!(b.get(i + 1), Some(b'x' | b'X')) {
            if let Some(r) = run_hex_0x(b, i).filter(|r| !skip.iter().any(|&(s, e)| s <= r.start && r.end <= e)) {
                i = r.end.max(i + 1);
                out.push(r);
                continue;
            }
        }
        let b64 = cls & B64_START != 0 && quartet_text(b, i);
        if !b64 && cls & HEX_START == 0 {
            // most words of prose: their first quartet does not decode to text
            i += 1;
            while i < n && CLASS[b[i] as usize] & WORD != 0 {
                i += 1;
            }
            continue;
        }
        let found =
            if b64 { run_b64(b, i) } else { None }.or_else(|| if cls & HEX_START != 0 { run_hex(b, i) } else { None });
        match found {
            Some(r) if !skip.iter().any(|&(s, e)| s <= r.start && r.end <= e) => {
                i = r.end.max(i + 1);
                out.push(r);
            }
            _ => {
                i += 1;
                while i < n && CLASS[b[i] as usize] & WORD != 0 {
                    i += 1;
                }
            }
        }
    }
}

/// A necessary condition for [`runs`] to find anything, in one pass by byte
/// class ([`PRE`]), false on most values without white space (UUIDs,
/// timestamps, SKUs: `runs` walked each of their chunks):
/// - a base64 run crosses a gap, which is white space: with white space,
///   true;
/// - a `0x` run starts at `0x` (or `0X`): true there;
/// - a hex run decodes [`MIN_HEX_BYTES`] bytes or more of printable ASCII
///   (`0x20`..`0x7E`), each from a pair of hex digits whose first is `2` to
///   `7`, read across gaps (`:`, `-`; white space is answered above). So
///   the hex digits of one stretch of hex digits and gaps, numbered from its
///   start, hold eight digits `2`..`7` in a row among those of one parity
///   (a run's pairs start on one parity). A stretch ends at any other byte.
///
/// `tests/joined_equivalence.rs` compares `runs` with [`runs_reference`],
/// which has no such gate.
#[inline]
fn may_have_run(b: &[u8]) -> bool {
    let mut k = 0usize;
    let mut row = [0u8; 2];
    for (i, &c) in b.iter().enumerate() {
        let cls = PRE[c as usize];
        if cls & P_HEX != 0 {
            let p = &mut row[k & 1];
            if cls & P_HIGH != 0 {
                *p += 1;
                if usize::from(*p) >= MIN_HEX_BYTES {
                    return true;
                }
            } else {
                *p = 0;
            }
            k += 1;
        } else if cls & P_WS != 0 || (cls & P_X != 0 && i > 0 && b[i - 1] == b'0') {
            return true;
        } else if cls & P_GAP == 0 {
            k = 0;
            row = [0, 0];
        }
    }
    false
}

/// [`may_have_run`]'s byte classes.
const P_HEX: u8 = 1;
/// `2` to `7`: the first digit of a pair that decodes to printable ASCII
const P_HIGH: u8 = 2;
/// `:`, `-`: a hex gap that is not white space
const P_GAP: u8 = 4;
/// white space (a base64 or hex gap)
const P_WS: u8 = 8;
/// `x`, `X` (after `0`: a `0x` run may start)
const P_X: u8 = 16;

const PRE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_hexdigit() {
            t[c] |= P_HEX;
        }
        if b >= b'2' && b <= b'7' {
            t[c] |= P_HIGH;
        }
        if b == b':' || b == b'-' {
            t[c] |= P_GAP;
        }
        if b == b' ' || b == b'\t' || b == b'\r' || b == b'\n' {
            t[c] |= P_WS;
        }
        if b == b'x' || b == b'X' {
            t[c] |= P_X;
        }
        c += 1;
    }
    t
};

/// Whether the first quartet of a base64 run from `b[i]`, read across gaps
/// as [`walk_b64`] reads it, decodes to three bytes that can start text
/// (when it does not, [`run_b64`] finds nothing there).
#[inline(always)]
fn quartet_text(b: &[u8], i: usize) -> bool {
    let mut q = [0u8; 4];
    match b.get(i..i + 4) {
        // four base64 characters in a row (no gap): most chunk starts
        Some(&[c0, c1, c2, c3]) if (B64[c0 as usize] | B64[c1 as usize] | B64[c2 as usize] | B64[c3 as usize]) < 64 => {
            q = [B64[c0 as usize], B64[c1 as usize], B64[c2 as usize], B64[c3 as usize]];
        }
        _ => {
            if take(b, i, 4, b64_val, gap, &mut q).is_none() {
                return false;
            }
        }
    }
    starts_text([q[0] << 2 | q[1] >> 4, q[1] << 4 | q[2] >> 2, q[2] << 6 | q[3]])
}

/// [`utf8_step`] over three bytes from no pending continuation, by table.
#[inline(always)]
fn starts_text(x: [u8; 3]) -> bool {
    let mut need = 0u8;
    for c in x {
        if need > 0 {
            if c & 0xC0 != 0x80 {
                return false;
            }
            need -= 1;
        } else {
            match LEAD[c as usize] {
                0 => return false,
                k => need = k - 1,
            }
        }
    }
    true
}

/// What [`utf8_step`] makes of a byte with no continuation due: 0 not
/// text, 1 a character (printable ASCII, white space), 2 to 4 the lead
/// byte of a character of that many bytes.
const LEAD: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = match c as u8 {
            0x20..=0x7e | b'\t' | b'\n' | b'\r' => 1,
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => 0,
        };
        c += 1;
    }
    t
};

/// [`runs`] trying every chunk start with the full walk (the reference
/// the tests compare [`runs`] with).
#[doc(hidden)]
pub fn runs_reference(b: &[u8], skip: &[(usize, usize)], out: &mut Vec<Run>) {
    out.clear();
    if b.len() < 16 || !b.iter().any(|c| hex_gap(*c)) {
        return;
    }
    let mut i = 0;
    let n = b.len();
    while i < n && out.len() < MAX_RUNS {
        // to the next chunk, then past it unless a run starts there
        while i < n && CLASS[b[i] as usize] & WORD == 0 {
            i += 1;
        }
        if i >= n {
            break;
        }
        let cls = CLASS[b[i] as usize];
        // hex bytes each with its own `0x` (`0x34 0x31 …`, `0x34,0x31`)
        if b[i] == b'0' && matches!(b.get(i + 1), Some(b'x' | b'X')) {
            if let Some(r) = run_hex_0x(b, i).filter(|r| !skip.iter().any(|&(s, e)| s <= r.start && r.end <= e)) {
                i = r.end.max(i + 1);
                out.push(r);
                continue;
            }
        }
        if cls & HEX_START == 0 && !first_quartet_text(b, i) {
            // most words of prose: their first four characters are not base64 of text
            i += 1;
            while i < n && CLASS[b[i] as usize] & WORD != 0 {
                i += 1;
            }
            continue;
        }
        let found = if cls & B64_START != 0 { run_b64(b, i) } else { None }.or_else(|| {
            if cls & HEX_START != 0 {
                run_hex(b, i)
            } else {
                None
            }
        });
        match found {
            Some(r) if !skip.iter().any(|&(s, e)| s <= r.start && r.end <= e) => {
                i = r.end.max(i + 1);
                out.push(r);
            }
            _ => {
                i += 1;
                while i < n && CLASS[b[i] as usize] & WORD != 0 {
                    i += 1;
                }
            }
        }
    }
}

/// Whether the four characters at `b[i..]`, when they are all base64 (no
/// gap), decode to three bytes that can start text; `true` when they are
/// not four base64 characters (the full walk decides).
#[inline(always)]
fn first_quartet_text(b: &[u8], i: usize) -> bool {
    let Some(q) = b.get(i..i + 4) else {
        return true;
    };
    let v = [
        B64[q[0] as usize],
        B64[q[1] as usize],
        B64[q[2] as usize],
        B64[q[3] as usize],
    ];
    if v.contains(&0xFF) {
        return true;
    }
    let bytes = [v[0] << 2 | v[1] >> 4, v[1] << 4 | v[2] >> 2, v[2] << 6 | v[3]];
    let mut need = 0;
    bytes.iter().all(|c| utf8_step(&mut need, *c))
}

/// A chunk character (letters, digits, `+`, `/`, `_`).
const WORD: u8 = 1;
/// Can start base64 of text: the first byte's top six bits make a
/// printable byte, white space or a UTF-8 lead byte.
const B64_START: u8 = 2;
/// Can start hex of printable ASCII (`2` to `7`).
const HEX_START: u8 = 4;
/// A base64 character that is not a lower-case letter: a capital, a digit,
/// `+`, `/`, `-`, `_`.
const UPPERISH: u8 = 8;

const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'_' {
            t[c] |= WORD;
        }
        let v = B64[c];
        if v != 0xFF && (v == 2 || v == 3 || (v >= 8 && v <= 31) || v >= 48) {
            t[c] |= B64_START;
        }
        if b >= b'2' && b <= b'7' {
            t[c] |= HEX_START;
        }
        if v != 0xFF && !b.is_ascii_lowercase() {
            t[c] |= UPPERISH;
        }
        c += 1;
    }
    t
};

/// Incremental UTF-8 check of decoded bytes: `need` continuation bytes
/// are still due. Printable ASCII and white space, or whole characters of
/// two to four bytes; random bytes fail within a few.
fn utf8_step(need: &mut u8, c: u8) -> bool {
    if *need > 0 {
        if (0x80..0xc0).contains(&c) {
            *need -= 1;
            return true;
        }
        return false;
    }
    match c {
        0x20..=0x7e | b'\t' | b'\n' | b'\r' => true,
        0xc2..=0xdf => {
            *need = 1;
            true
        }
        0xe0..=0xef => {
            *need = 2;
            true
        }
        0xf0..=0xf4 => {
            *need = 3;
            true
        }
        _ => false,
    }
}

/// Walks a base64 run from `b[s]` quartet by quartet while it decodes to
/// text, appending what it decodes to `sink` when given: (end of the last
/// whole quartet, bytes decoded, gaps crossed).
fn walk_b64(b: &[u8], s: usize, mut sink: Option<&mut Vec<u8>>) -> (usize, usize, usize) {
    let mut i = s;
    let mut n = 0;
    let mut gaps = 0;
    let mut need = 0u8;
    let mut q = [0u8; 4];
    while let Some((next, g)) = take(b, i, 4, b64_val, gap, &mut q) {
        let bytes = [q[0] << 2 | q[1] >> 4, q[1] << 4 | q[2] >> 2, q[2] << 6 | q[3]];
        let mut ok = need;
        if !bytes.iter().all(|c| utf8_step(&mut ok, *c)) {
            break;
        }
        need = ok;
        if let Some(out) = sink.as_deref_mut() {
            out.extend_from_slice(&bytes);
        }
        n += 3;
        gaps += g;
        i = next;
    }
    (i, n, gaps)
}

/// A base64 run from `b[s]`, if it crosses a gap and holds enough text.
fn run_b64(b: &[u8], s: usize) -> Option<Run> {
    // first without keeping anything: most chunk starts of prose stop here
    let (last_end, n, gaps) = walk_b64(b, s, None);
    if n + 2 < MIN_B64_BYTES {
        return None;
    }
    let mut plain = Vec::with_capacity(n + 2);
    walk_b64(b, s, Some(&mut plain));
    // a final group of 2 or 3 characters (with its padding) that ends its chunk
    let mut end = last_end;
    let mut gaps = gaps;
    if let Some((after, vals, g)) = tail(b, last_end) {
        let extra: &[u8] = match vals {
            [a, b2, _, 2] => &[a << 2 | b2 >> 4],
            [a, b2, c, 3] => &[a << 2 | b2 >> 4, b2 << 4 | c >> 2],
            _ => &[],
        };
        if !extra.is_empty() && extra.iter().all(|c| (0x20..0x7f).contains(c) || *c >= 0x80) {
            plain.extend_from_slice(extra);
            end = after;
            gaps += g;
        }
    }
    if gaps == 0 || plain.len() < MIN_B64_BYTES {
        return None;
    }
    // a plain word (all lower-case or all capitals) is prose, not base64
    let run = &b[s..end];
    let has = |f: fn(&u8) -> bool| run.iter().any(|c| b64_val(*c).is_some() && f(c));
    if !has(|c| !c.is_ascii_lowercase()) || !has(|c| !c.is_ascii_uppercase()) {
        return None;
    }
    text(plain).map(|plain| Run { start: s, end, plain })
}

/// Walks a hex run from `b[s]` pair by pair while it decodes to printable
/// ASCII: (end, bytes, letters and digits among them, gaps crossed).
fn walk_hex(b: &[u8], s: usize, mut sink: Option<&mut Vec<u8>>) -> (usize, usize, usize, usize) {
    let mut i = s;
    let (mut n, mut alnum, mut gaps) = (0, 0, 0);
    let mut q = [0u8; 4];
    while let Some((next, g)) = take(b, i, 2, hex_val, hex_gap, &mut q) {
        let c = q[0] << 4 | q[1];
        if !(c.is_ascii_graphic() || c == b' ') {
            break;
        }
        if let Some(out) = sink.as_deref_mut() {
            out.push(c);
        }
        n += 1;
        alnum += usize::from(c.is_ascii_alphanumeric());
        gaps += g;
        i = next;
    }
    (i, n, alnum, gaps)
}

/// A hex run from `b[s]` (pairs, white space, `:` or `-` between chunks).
fn run_hex(b: &[u8], s: usize) -> Option<Run> {
    let (end, n, alnum, gaps) = walk_hex(b, s, None);
    // text, not punctuation (a list of years decodes to ` # $ % &`)
    if gaps == 0 || n < MIN_HEX_BYTES || alnum * 2 < n {
        return None;
    }
    let mut plain = Vec::with_capacity(n);
    walk_hex(b, s, Some(&mut plain));
    Some(Run { start: s, end, plain })
}

/// Most bytes between two `0x` elements (`, `, ` `, `\r\n`, `;`).
const MAX_0X_GAP: usize = 3;

/// A run of hex elements each written with its own `0x` from `b[s]`
/// (`0x34 0x31 …`, `0x34, 0x31, …` as in a C array, `0x3431 0x3131`):
/// each element an even number of hex digits, separated by white space,
/// `,`, `;`, `:` or `-`; read while it decodes to printable ASCII, and kept
/// on the terms of [`run_hex`] (two elements or more, [`MIN_HEX_BYTES`]
/// bytes, mostly letters and digits).
fn run_hex_0x(b: &[u8], s: usize) -> Option<Run> {
    let (mut i, mut end) = (s, s);
    let (mut plain, mut elems, mut alnum) = (Vec::new(), 0, 0);
    while b.get(i) == Some(&b'0') && matches!(b.get(i + 1), Some(b'x' | b'X')) {
        let d = i + 2;
        let mut k = d;
        while b.get(k).is_some_and(u8::is_ascii_hexdigit) {
            k += 1;
        }
        if k == d || !(k - d).is_multiple_of(2) || b.get(k).is_some_and(u8::is_ascii_alphanumeric) {
            break;
        }
        let before = plain.len();
        for p in b[d..k].chunks_exact(2) {
            let c = hex_val(p[0])? << 4 | hex_val(p[1])?;
            if !(c.is_ascii_graphic() || c == b' ') {
                break;
            }
            plain.push(c);
            alnum += usize::from(c.is_ascii_alphanumeric());
        }
        if plain.len() - before != (k - d) / 2 {
            // an element that is not text ends the run before it
            plain.truncate(before);
            break;
        }
        elems += 1;
        end = k;
        let mut g = k;
        while g < b.len() && g - k < MAX_0X_GAP && (hex_gap(b[g]) || matches!(b[g], b',' | b';')) {
            g += 1;
        }
        if g == k {
            break;
        }
        i = g;
    }
    let n = plain.len();
    (elems >= 2 && n >= MIN_HEX_BYTES && alnum * 2 >= n).then_some(Run { start: s, end, plain })
}

/// `plain` cut to whole UTF-8 characters, if it is text.
fn text(mut plain: Vec<u8>) -> Option<Vec<u8>> {
    while std::str::from_utf8(&plain).is_err() {
        let Err(e) = std::str::from_utf8(&plain) else {
            break;
        };
        if e.error_len().is_some() {
            return None;
        }
        plain.truncate(e.valid_up_to());
    }
    (plain.len() >= MIN_B64_BYTES).then_some(plain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn wrap(s: &str, w: usize, sep: &str) -> String {
        let b = base64::engine::general_purpose::STANDARD.encode(s);
        b.as_bytes()
            .chunks(w)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(sep)
    }

    fn found(b: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        runs(b.as_bytes(), &[], &mut out);
        out.into_iter()
            .map(|r| {
                (
                    b[r.start..r.end].to_string(),
                    String::from_utf8_lossy(&r.plain).into_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn split_base64_of_any_width() {
        let secret = "ref 4111111111111111 x";
        for w in 1..=20 {
            for sep in [" ", "\n", "\r\n", "\t", "  "] {
                let b = wrap(secret, w, sep);
                let text = format!("see: {b} thanks");
                let f = found(&text);
                if w >= 32 {
                    continue;
                }
                assert_eq!(f.len(), 1, "width {w} sep {sep:?}: {f:?}");
                assert_eq!(f[0].0, b, "width {w} sep {sep:?}");
                assert_eq!(f[0].1, secret, "width {w} sep {sep:?}");
            }
        }
    }

    #[test]
    fn split_hex() {
        let hex: Vec<String> = "jane@example.com".bytes().map(|c| format!("{c:02x}")).collect();
        for sep in [" ", ":", "-", "\n"] {
            let t = format!("x {} y", hex.join(sep));
            let f = found(&t);
            assert_eq!(f.len(), 1, "{sep:?}");
            assert_eq!(f[0].1, "jane@example.com");
            assert_eq!(f[0].0, hex.join(sep));
        }
        let four: Vec<String> = hex.chunks(2).map(|c| c.concat()).collect();
        assert_eq!(found(&format!("x {}", four.join(" ")))[0].1, "jane@example.com");
    }

    #[test]
    fn hex_bytes_each_with_0x() {
        let bytes: Vec<String> = "jane@example.com".bytes().map(|c| format!("0x{c:02x}")).collect();
        for sep in [" ", ", ", ",", "\n", "\r\n", ";", " , "] {
            let t = format!("x = {{{}}};", bytes.join(sep));
            let f = found(&t);
            assert_eq!(f.len(), 1, "{sep:?}: {f:?}");
            assert_eq!(f[0].1, "jane@example.com", "{sep:?}");
            assert_eq!(f[0].0, bytes.join(sep), "{sep:?}");
        }
        let upper: Vec<String> = "4111111111111111".bytes().map(|c| format!("0X{c:02X}")).collect();
        assert_eq!(found(&upper.join(" "))[0].1, "4111111111111111");
        let pairs: Vec<String> = "jane@example.com"
            .as_bytes()
            .chunks(2)
            .map(|p| format!("0x{:02x}{:02x}", p[0], p[1]))
            .collect();
        assert_eq!(found(&pairs.join(" "))[0].1, "jane@example.com");
        // registers, masks and colours are not text
        for t in [
            "0x00 0x01 0x02 0x03 0x04 0x05 0x06 0x07 0x08",
            "mask 0xff 0xfe 0x80 0x7f 0x3f 0x1f",
            "0x20 0x21 0x22 0x23 0x24 0x25 0x26 0x27 0x28",
            "addr 0x7ffe1234 0x7ffe1238 0x7ffe123c",
            "0x41",
            "0x4142434445464748",
        ] {
            let f = found(t);
            assert!(f.is_empty(), "{t:?}: {f:?}");
        }
    }

    #[test]
    fn ordinary_text_is_not_read() {
        for t in [
            "the quick brown fox jumps over the lazy dog and then some more words follow here",
            "Hello World This Is A Title Case Sentence With Many Words In It",
            "line one\nline two\nline three\nline four\nline five\nline six",
            "2023 2024 2025 2026 2027 2028 2029 2030",
            "550e8400-e29b-41d4-a716-446655440000 and 6ba7b810-9dad-11d1-80b4-00c04fd430c8",
            "ab cd ef 01 23 45 67 89 ab cd ef",
            "INFO request done\nWARN slow response\nINFO request done",
            "Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor",
        ] {
            let f = found(t);
            assert!(f.is_empty(), "{t:?}: {f:?}");
        }
    }
}
