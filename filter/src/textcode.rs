//! Text encodings a client can wrap personal data in, decoded for
//! inspection with a map back to the original bytes so that a redaction
//! covers exactly what was written:
//! - character sets: RFC 8259 detection (BOM, zero-byte pattern) of
//!   UTF-16/32, and declared `charset=` labels (UTF-16/32, Latin-1,
//!   windows-1252), decoded to UTF-8 and encoded back after a rewrite;
//! - escapes inside text: `\uXXXX` / `\xXX`, HTML/XML character references
//!   (`&#64;`, `&#x40;`, `&commat;`), percent-encoding (until stable, bounded),
//!   XML comments and CDATA markers between the pieces of one value;
//! - base64 tokens that decode to text.
//!
//! Pure and bounded: nothing here allocates more than a small multiple of
//! its input, and nothing runs unless its marker byte is present.

/// A character set the engine decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charset {
    Utf8,
    Latin1,
    Windows1252,
    Utf16Le,
    Utf16Be,
    Utf32Le,
    Utf32Be,
}

/// The charset a `content-type` declares: `Ok(None)` when none (or UTF-8/ASCII),
/// `Err(name)` for one this build cannot read (a safe token, never the raw value).
pub fn declared_charset(content_type: Option<&str>) -> Result<Option<Charset>, String> {
    let Some(ct) = content_type else {
        return Ok(None);
    };
    let mut found = None;
    for p in ct.split(';').skip(1) {
        let Some((k, v)) = p.split_once('=') else {
            continue;
        };
        if !k.trim().eq_ignore_ascii_case("charset") {
            continue;
        }
        let cs = charset_named(v)?;
        // Two different labels: which one the upstream reads is anyone's guess.
        if found.is_some() && found != Some(cs) {
            return Err("conflicting".into());
        }
        found = Some(cs);
    }
    Ok(found.flatten())
}

/// The charset a label names (`Ok(None)`: UTF-8/ASCII), `Err` with a safe
/// token for one this build cannot read.
fn charset_named(v: &str) -> Result<Option<Charset>, String> {
    let v = v
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .trim()
        .to_ascii_lowercase();
    Ok(match v.as_str() {
        "utf-8" | "utf8" | "us-ascii" | "ascii" | "" => None,
        "iso-8859-1" | "latin1" | "latin-1" | "iso8859-1" | "iso_8859-1" | "l1" | "iso-8859-15" | "latin9" => {
            Some(Charset::Latin1)
        }
        "windows-1252" | "cp1252" | "x-cp1252" => Some(Charset::Windows1252),
        "utf-16" | "utf16" | "utf-16be" | "unicodefffe" => Some(Charset::Utf16Be),
        "utf-16le" | "unicode" | "ucs-2" | "ucs2" => Some(Charset::Utf16Le),
        "utf-32" | "utf32" | "utf-32be" => Some(Charset::Utf32Be),
        "utf-32le" => Some(Charset::Utf32Le),
        other => {
            let safe = other.len() <= 24
                && other
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
            return Err(if safe { other.to_string() } else { "unknown".into() });
        }
    })
}

/// The charset a body declares inside itself, which XML and HTML parsers
/// honour when no `charset=` label says otherwise: the XML declaration's
/// `encoding` (`<?xml version="1.0" encoding="UTF-7"?>`), a leading
/// `<meta charset>` or `<meta http-equiv ... charset=>` (the first 1024
/// bytes, as HTML's prescan), and the signatures of encodings whose text
/// is not ASCII-compatible: EBCDIC `<?xm` (4C 6F A7 94) and the UTF-7 BOM
/// (`+/v8`). `None`: it declares nothing.
pub fn document_charset(body: &[u8]) -> Option<Result<Option<Charset>, String>> {
    let b = body.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(body);
    if b.starts_with(&[0x4C, 0x6F, 0xA7, 0x94]) {
        return Some(Err("ebcdic".into()));
    }
    if b.len() >= 4 && b.starts_with(b"+/v") && matches!(b[3], b'8' | b'9' | b'+' | b'/') {
        return Some(Err("utf-7".into()));
    }
    let b = b.trim_ascii_start();
    if b.first() != Some(&b'<') {
        return None;
    }
    let head = &b[..b.len().min(1024)];
    let lower = head.to_ascii_lowercase();
    // the value after `name` `=` (spaces allowed), quoted or not
    let value_after = |at: usize| -> Option<&[u8]> {
        let rest = head
            .get(at..)?
            .trim_ascii_start()
            .strip_prefix(b"=")?
            .trim_ascii_start();
        let (q, rest) = match rest.first() {
            Some(&q @ (b'"' | b'\'')) => (Some(q), &rest[1..]),
            _ => (None, rest),
        };
        let end = rest
            .iter()
            .position(|&c| match q {
                Some(q) => c == q,
                None => c.is_ascii_whitespace() || matches!(c, b';' | b'>' | b'"' | b'\'' | b'/'),
            })
            .unwrap_or(rest.len());
        Some(&rest[..end])
    };
    let named = |v: &[u8]| charset_named(&String::from_utf8_lossy(v));
    if lower.starts_with(b"<?xml") {
        let end = memchr::memmem::find(&lower, b"?>").unwrap_or(lower.len());
        let at = memchr::memmem::find(&lower[..end], b"encoding")?;
        return value_after(at + 8).map(named);
    }
    let mut from = 0;
    while let Some(i) = memchr::memmem::find(&lower[from..], b"<meta") {
        let tag = from + i;
        let close = lower[tag..]
            .iter()
            .position(|&c| c == b'>')
            .map_or(lower.len(), |j| tag + j);
        if let Some(j) = memchr::memmem::find(&lower[tag..close], b"charset") {
            if let Some(v) = value_after(tag + j + 7) {
                return Some(named(v));
            }
        }
        from = close;
    }
    None
}

/// The charset a body is read in from its labels: the content type's
/// `charset=` when it has one, else what the document declares inside
/// itself ([`document_charset`]). A label this build cannot read, in either
/// place, is `Err`.
pub fn declared_charset_in(content_type: Option<&str>, body: &[u8]) -> Result<Option<Charset>, String> {
    let header = declared_charset(content_type)?;
    let labelled = content_type.is_some_and(|ct| {
        ct.split(';').skip(1).any(|p| {
            p.split_once('=')
                .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
        })
    });
    match document_charset(body) {
        Some(Err(e)) => Err(e),
        Some(Ok(doc)) if !labelled => Ok(doc),
        _ => Ok(header),
    }
}

/// RFC 8259 §8.1 / RFC 4627 §3 detection: a byte order mark, or the pattern
/// of zero bytes in the first four. Returns the charset and the BOM length.
pub fn sniff_unicode(b: &[u8]) -> Option<(Charset, usize)> {
    match b {
        [0, 0, 0xFE, 0xFF, ..] => Some((Charset::Utf32Be, 4)),
        [0xFF, 0xFE, 0, 0, ..] => Some((Charset::Utf32Le, 4)),
        [0xFE, 0xFF, ..] => Some((Charset::Utf16Be, 2)),
        [0xFF, 0xFE, ..] => Some((Charset::Utf16Le, 2)),
        [0xEF, 0xBB, 0xBF, ..] => Some((Charset::Utf8, 3)),
        [0, 0, 0, x, ..] if *x != 0 => Some((Charset::Utf32Be, 0)),
        [x, 0, 0, 0, ..] if *x != 0 => Some((Charset::Utf32Le, 0)),
        // two characters of text, as a JSON or text body starts
        [0, x, 0, y, ..] if *x != 0 && *y != 0 => Some((Charset::Utf16Be, 0)),
        [x, 0, y, 0, ..] if *x != 0 && *y != 0 => Some((Charset::Utf16Le, 0)),
        _ => None,
    }
}

/// Zero bytes spread through a body: text in a 16/32-bit encoding without a
/// BOM, whatever its first bytes. Only called when a zero byte is present.
pub fn sniff_wide(b: &[u8]) -> Option<Charset> {
    let n = b.len().min(4096) & !3;
    if n < 8 {
        return None;
    }
    let zeros = |m: usize, r: usize| b[..n].iter().skip(r).step_by(m).filter(|c| **c == 0).count();
    let q = n / 4;
    let (z0, z1, z2, z3) = (zeros(4, 0), zeros(4, 1), zeros(4, 2), zeros(4, 3));
    if z1 * 10 > q * 9 && z2 * 10 > q * 9 && z3 * 10 > q * 9 {
        return Some(Charset::Utf32Le);
    }
    if z0 * 10 > q * 9 && z1 * 10 > q * 9 && z2 * 10 > q * 9 {
        return Some(Charset::Utf32Be);
    }
    let (even, odd) = (z0 + z2, z1 + z3);
    let half = n / 2;
    if odd * 10 > half * 6 && even * 10 < half {
        return Some(Charset::Utf16Le);
    }
    if even * 10 > half * 6 && odd * 10 < half {
        return Some(Charset::Utf16Be);
    }
    None
}

const W1252: [u16; 32] = [
    0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D,
    0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,
    0x017E, 0x0178,
];

/// Decodes `b` (without its BOM) to UTF-8. `None` when it is not valid in
/// that charset (odd length, lone surrogate, code point out of range).
pub fn decode(cs: Charset, b: &[u8]) -> Option<String> {
    match cs {
        Charset::Utf8 => String::from_utf8(b.to_vec()).ok(),
        Charset::Latin1 => Some(b.iter().map(|&c| c as char).collect()),
        Charset::Windows1252 => Some(
            b.iter()
                .map(|&c| match c {
                    0x80..=0x9F => char::from_u32(W1252[(c - 0x80) as usize] as u32).unwrap_or('\u{FFFD}'),
                    c => c as char,
                })
                .collect(),
        ),
        Charset::Utf16Le | Charset::Utf16Be => {
            if !b.len().is_multiple_of(2) {
                return None;
            }
            let units = b.chunks_exact(2).map(|p| {
                if cs == Charset::Utf16Le {
                    u16::from_le_bytes([p[0], p[1]])
                } else {
                    u16::from_be_bytes([p[0], p[1]])
                }
            });
            char::decode_utf16(units).collect::<Result<String, _>>().ok()
        }
        Charset::Utf32Le | Charset::Utf32Be => {
            if !b.len().is_multiple_of(4) {
                return None;
            }
            b.chunks_exact(4)
                .map(|p| {
                    let v = if cs == Charset::Utf32Le {
                        u32::from_le_bytes([p[0], p[1], p[2], p[3]])
                    } else {
                        u32::from_be_bytes([p[0], p[1], p[2], p[3]])
                    };
                    char::from_u32(v)
                })
                .collect()
        }
    }
}

/// Encodes UTF-8 text back into `cs` (characters Latin-1 cannot hold become `?`).
pub fn encode(cs: Charset, s: &str) -> Vec<u8> {
    match cs {
        Charset::Utf8 => s.as_bytes().to_vec(),
        Charset::Latin1 => s
            .chars()
            .map(|c| if (c as u32) < 256 { c as u8 } else { b'?' })
            .collect(),
        Charset::Windows1252 => s
            .chars()
            .map(|c| {
                let u = c as u32;
                if u < 0x80 || (0xA0..0x100).contains(&u) {
                    u as u8
                } else {
                    W1252
                        .iter()
                        .position(|&w| w as u32 == u)
                        .map(|i| 0x80 + i as u8)
                        .unwrap_or(b'?')
                }
            })
            .collect(),
        Charset::Utf16Le => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        Charset::Utf16Be => s.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        Charset::Utf32Le => s.chars().flat_map(|c| (c as u32).to_le_bytes()).collect(),
        Charset::Utf32Be => s.chars().flat_map(|c| (c as u32).to_be_bytes()).collect(),
    }
}

/// A decoded view of some text: `src[i]` is the original byte range that
/// produced `text[i]`.
#[derive(Debug, Clone)]
pub struct View {
    pub text: Vec<u8>,
    src: Vec<(u32, u32)>,
    /// CDATA sections (whole, markers included): a redaction that touches
    /// one takes all of it, so that the markup stays balanced.
    cdata: Vec<(usize, usize)>,
}

impl View {
    /// The original byte range of the decoded range `start..end`.
    pub fn span(&self, start: usize, end: usize) -> (usize, usize) {
        if start >= end || end > self.src.len() {
            return (0, 0);
        }
        let (mut a, mut b) = (self.src[start].0 as usize, self.src[end - 1].1 as usize);
        for &(cs, ce) in &self.cdata {
            if cs < b && a < ce {
                a = a.min(cs);
                b = b.max(ce);
            }
        }
        (a, b)
    }
}

/// Bytes that start an escape the view decodes.
#[inline]
pub fn has_markers(b: &[u8], xml: bool) -> bool {
    memchr::memchr3(b'\\', b'&', b'%', b).is_some() || (xml && memchr::memchr(b'<', b).is_some())
}

const ROUNDS: usize = 4;

/// Decoded bytes and, per byte, the original range it came from.
type Decoded = (Vec<u8>, Vec<(u32, u32)>);

/// The decoded view of `input` (escapes decoded until stable, at most four
/// rounds; XML comments and CDATA markers dropped when `xml`), or `None`
/// when there is nothing to decode.
pub fn view(input: &[u8], xml: bool) -> Option<View> {
    if !has_markers(input, xml) || input.len() >= u32::MAX as usize {
        return None;
    }
    let mut cur: Option<View> = None;
    let mut cdata = Vec::new();
    if xml {
        if let Some((t, s)) = strip_markup(input, &mut cdata) {
            cur = Some(View {
                text: t,
                src: s,
                cdata: Vec::new(),
            });
        }
    }
    for _ in 0..ROUNDS {
        let base: &[u8] = cur.as_ref().map(|v| v.text.as_slice()).unwrap_or(input);
        let Some((t, s)) = decode_escapes(base) else {
            break;
        };
        cur = Some(match cur {
            None => View {
                text: t,
                src: s,
                cdata: Vec::new(),
            },
            Some(prev) => {
                let src = s
                    .iter()
                    .map(|&(a, b)| {
                        (
                            prev.src[a as usize].0,
                            prev.src[(b as usize).saturating_sub(1).max(a as usize)].1,
                        )
                    })
                    .collect();
                View {
                    text: t,
                    src,
                    cdata: Vec::new(),
                }
            }
        });
    }
    let mut v = cur?;
    v.cdata = cdata;
    Some(v)
}

fn push(out: &mut Vec<u8>, src: &mut Vec<(u32, u32)>, bytes: &[u8], a: usize, b: usize) {
    for &c in bytes {
        out.push(c);
        src.push((a as u32, b as u32));
    }
}

fn push_char(out: &mut Vec<u8>, src: &mut Vec<(u32, u32)>, cp: u32, a: usize, b: usize) {
    let ch = char::from_u32(cp).unwrap_or('\u{FFFD}');
    let mut buf = [0u8; 4];
    push(out, src, ch.encode_utf8(&mut buf).as_bytes(), a, b);
}

/// HTML elements that render inside a run of text: a reader sees the text
/// on both sides of their tags as one word (`jane<span>@</span>example.com`).
const INLINE_TAGS: &[&[u8]] = &[
    b"a", b"abbr", b"b", b"bdi", b"bdo", b"big", b"cite", b"code", b"data", b"del", b"dfn", b"em", b"font", b"i",
    b"ins", b"kbd", b"mark", b"nobr", b"q", b"s", b"samp", b"small", b"span", b"strike", b"strong", b"sub", b"sup",
    b"time", b"tt", b"u", b"var", b"wbr",
];

/// Longest tag taken apart (attributes included); longer ones stay as text.
const MAX_TAG: usize = 512;

/// The length of the tag at the start of `rest` when it joins the text
/// around it: an inline element's opening or closing tag, any self-closing
/// tag (`<x/>`), or an empty element (`<x></x>`, both tags). `None` for
/// any other markup: block elements and elements with content separate
/// fields, and their text stays apart.
fn joining_tag(rest: &[u8]) -> Option<usize> {
    let close = rest.get(1) == Some(&b'/');
    let name_at = if close { 2 } else { 1 };
    let name_len = rest
        .get(name_at..)?
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b':' | b'.'))
        .count();
    if name_len == 0 || !rest[name_at].is_ascii_alphabetic() {
        return None;
    }
    let name = &rest[name_at..name_at + name_len];
    let window = &rest[..rest.len().min(MAX_TAG)];
    let end = window
        .iter()
        .skip(1)
        .position(|&c| c == b'>' || c == b'<')
        .map(|k| k + 1)?;
    if window[end] != b'>' {
        return None;
    }
    let after = name_at + name_len;
    if after < end && !matches!(rest[after], b' ' | b'\t' | b'\r' | b'\n' | b'/') {
        return None;
    }
    let len = end + 1;
    let self_closing = !close && rest[end - 1] == b'/';
    if self_closing || INLINE_TAGS.iter().any(|t| t.eq_ignore_ascii_case(name)) {
        return Some(len);
    }
    // `<x ...></x>`: an empty element
    if !close {
        let tail = &rest[len..];
        if tail.len() > name_len + 2
            && tail.starts_with(b"</")
            && tail[2..2 + name_len].eq_ignore_ascii_case(name)
            && tail[2 + name_len] == b'>'
        {
            return Some(len + name_len + 3);
        }
    }
    None
}

/// Drops `<!-- ... -->`, `<?...?>`, the CDATA markers and tags that join
/// the text around them ([`joining_tag`]), recording CDATA sections.
fn strip_markup(input: &[u8], cdata: &mut Vec<(usize, usize)>) -> Option<Decoded> {
    let finder = memchr::memmem::Finder::new(b"<!");
    let pi = memchr::memmem::find(input, b"<?").is_some();
    let tags = memchr::memchr_iter(b'<', input).any(|i| joining_tag(&input[i..]).is_some());
    if finder.find(input).is_none() && !pi && !tags {
        return None;
    }
    let mut out = Vec::with_capacity(input.len());
    let mut src = Vec::with_capacity(input.len());
    let mut i = 0;
    let mut changed = false;
    while i < input.len() {
        let rest = &input[i..];
        if rest.starts_with(b"<!--") {
            if let Some(e) = memchr::memmem::find(&rest[4..], b"-->") {
                i += 4 + e + 3;
                changed = true;
                continue;
            }
        } else if rest.starts_with(b"<![CDATA[") {
            if let Some(e) = memchr::memmem::find(&rest[9..], b"]]>") {
                let start = i;
                for k in 0..e {
                    let p = i + 9 + k;
                    out.push(input[p]);
                    src.push((p as u32, p as u32 + 1));
                }
                i += 9 + e + 3;
                cdata.push((start, i));
                changed = true;
                continue;
            }
        } else if rest.starts_with(b"<?") {
            if let Some(e) = memchr::memmem::find(&rest[2..], b"?>") {
                i += 2 + e + 2;
                changed = true;
                continue;
            }
        } else if rest.starts_with(b"<") {
            if let Some(n) = joining_tag(rest) {
                i += n;
                changed = true;
                continue;
            }
        }
        out.push(input[i]);
        src.push((i as u32, i as u32 + 1));
        i += 1;
    }
    changed.then_some((out, src))
}

fn hex_val(c: u8) -> Option<u32> {
    (c as char).to_digit(16)
}

fn hex_n(b: &[u8], n: usize) -> Option<u32> {
    if b.len() < n {
        return None;
    }
    b[..n].iter().try_fold(0u32, |v, &c| Some(v * 16 + hex_val(c)?))
}

/// Named character references that matter for detection (and the common
/// ones of markup). Case-sensitive, as in HTML.
const NAMED: &[(&[u8], u32)] = &[
    (b"commat", 0x40),
    (b"period", 0x2E),
    (b"amp", 0x26),
    (b"AMP", 0x26),
    (b"lt", 0x3C),
    (b"gt", 0x3E),
    (b"quot", 0x22),
    (b"apos", 0x27),
    (b"nbsp", 0xA0),
    (b"hyphen", 0x2010),
    (b"dash", 0x2010),
    (b"minus", 0x2212),
    (b"ndash", 0x2013),
    (b"mdash", 0x2014),
    (b"lowbar", 0x5F),
    (b"UnderBar", 0x5F),
    (b"plus", 0x2B),
    (b"num", 0x23),
    (b"lpar", 0x28),
    (b"rpar", 0x29),
    (b"sol", 0x2F),
    (b"bsol", 0x5C),
    (b"colon", 0x3A),
    (b"comma", 0x2C),
    (b"semi", 0x3B),
    (b"excl", 0x21),
    (b"quest", 0x3F),
    (b"percnt", 0x25),
    (b"dollar", 0x24),
    (b"ast", 0x2A),
    (b"midast", 0x2A),
    (b"equals", 0x3D),
    (b"lsqb", 0x5B),
    (b"rsqb", 0x5D),
    (b"lcub", 0x7B),
    (b"rcub", 0x7D),
    (b"verbar", 0x7C),
    (b"Tab", 0x09),
    (b"NewLine", 0x0A),
    (b"sp", 0x20),
    (b"ensp", 0x2002),
    (b"emsp", 0x2003),
    (b"thinsp", 0x2009),
    (b"zwnj", 0x200C),
    (b"zwj", 0x200D),
    (b"shy", 0xAD),
];

/// One round of `\u`/`\x` escapes, character references and percent-escapes.
fn decode_escapes(input: &[u8]) -> Option<Decoded> {
    memchr::memchr3(b'\\', b'&', b'%', input)?;
    let mut out = Vec::with_capacity(input.len());
    let mut src: Vec<(u32, u32)> = Vec::with_capacity(input.len());
    let mut i = 0;
    let mut changed = false;
    let n = input.len();
    while i < n {
        let c = input[i];
        match c {
            b'\\' if i + 1 < n => {
                let e = input[i + 1];
                if (e == b'u' || e == b'U') && input.get(i + 2) == Some(&b'{') {
                    // \u{1F600}
                    if let Some(close) = input[i + 3..].iter().take(9).position(|&c| c == b'}') {
                        if let Some(cp) = hex_n(&input[i + 3..], close).filter(|_| close > 0) {
                            push_char(&mut out, &mut src, cp, i, i + 4 + close);
                            i += 4 + close;
                            changed = true;
                            continue;
                        }
                    }
                } else if e == b'u' {
                    if let Some(hi) = hex_n(&input[i + 2..], 4) {
                        let mut end = i + 6;
                        let mut cp = hi;
                        if (0xD800..0xDC00).contains(&hi) && input.get(end..end + 2) == Some(b"\\u") {
                            if let Some(lo) = hex_n(&input[end + 2..], 4).filter(|l| (0xDC00..0xE000).contains(l)) {
                                cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                end += 6;
                            }
                        }
                        push_char(&mut out, &mut src, cp, i, end);
                        i = end;
                        changed = true;
                        continue;
                    }
                } else if e == b'x' {
                    if let Some(v) = hex_n(&input[i + 2..], 2) {
                        if v < 0x80 {
                            push(&mut out, &mut src, &[v as u8], i, i + 4);
                            i += 4;
                            changed = true;
                            continue;
                        }
                    }
                } else if e == b'\n' || (e == b'\r' && input.get(i + 2) == Some(&b'\n')) {
                    // a line continuation (JSON5 and JavaScript strings, TOML's
                    // multi-line strings, YAML's double-quoted scalars, shells,
                    // C): the backslash, the line break and, as TOML and YAML
                    // read it, the indentation after it are nothing
                    // (`"4111\⏎  1111…"` is one number)
                    let mut j = i + if e == b'\r' { 3 } else { 2 };
                    while j < n && matches!(input[j], b' ' | b'\t') {
                        j += 1;
                    }
                    i = j;
                    changed = true;
                    continue;
                } else if e == b'/' || e == b'@' || e == b'.' || e == b'-' {
                    push(&mut out, &mut src, &[e], i, i + 2);
                    i += 2;
                    changed = true;
                    continue;
                }
            }
            b'&' => {
                if let Some((cp, len)) = char_ref(&input[i..]) {
                    push_char(&mut out, &mut src, cp, i, i + len);
                    i += len;
                    changed = true;
                    continue;
                }
            }
            b'%' => {
                if let Some(v) = hex_n(&input[i + 1..], 2) {
                    push(&mut out, &mut src, &[v as u8], i, i + 3);
                    i += 3;
                    changed = true;
                    continue;
                }
                if matches!(input.get(i + 1), Some(b'u') | Some(b'U')) {
                    if let Some(v) = hex_n(&input[i + 2..], 4) {
                        push_char(&mut out, &mut src, v, i, i + 6);
                        i += 6;
                        changed = true;
                        continue;
                    }
                }
            }
            _ => {}
        }
        out.push(c);
        src.push((i as u32, i as u32 + 1));
        i += 1;
    }
    changed.then_some((out, src))
}

/// `&#64;`, `&#x40;`, `&commat;` at the start of `b`: (code point, length).
/// Numeric references are read without their `;` too, as browsers do.
fn char_ref(b: &[u8]) -> Option<(u32, usize)> {
    if b.get(1) == Some(&b'#') {
        let (hex, start) = match b.get(2) {
            Some(b'x') | Some(b'X') => (true, 3),
            _ => (false, 2),
        };
        let mut v: u32 = 0;
        let mut k = start;
        while k < b.len() && k < start + 8 {
            let d = if hex {
                hex_val(b[k])
            } else {
                (b[k] as char).to_digit(10)
            };
            match d {
                Some(d) => v = v.saturating_mul(if hex { 16 } else { 10 }).saturating_add(d),
                None => break,
            }
            k += 1;
        }
        if k == start {
            return None;
        }
        if b.get(k) == Some(&b';') {
            k += 1;
        }
        let v = if v == 0 || v > 0x10FFFF || (0xD800..0xE000).contains(&v) {
            0xFFFD
        } else {
            v
        };
        return Some((v, k));
    }
    let end = b.iter().skip(1).take(12).position(|&c| c == b';')? + 1;
    let name = &b[1..end];
    NAMED.iter().find(|(n, _)| *n == name).map(|&(_, cp)| (cp, end + 1))
}

/// Base64 alphabet (standard and URL-safe), as a table.
static B64: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'-' || b == b'_';
        c += 1;
    }
    t
};

#[inline]
fn b64(c: u8) -> bool {
    B64[c as usize]
}

/// Shortest token read as base64: 8 characters, 6 bytes of text, the
/// shortest personal value a built-in detector takes that is worth
/// encoding (an e-mail address with a domain, `a@b.co`; an IPv4 address
/// has 7 bytes or more, a DNI 9). (A compressed IPv6 address such as `a::`
/// is shorter, but is no one's personal data.) Tokens shorter than
/// [`SHORT_B64`] are read only as text, under [`short_b64_text`].
pub const MIN_B64: usize = 8;

/// Tokens from [`MIN_B64`] to this length (12 bytes of text) are short:
/// ordinary identifiers, codes and mixed-case words of that length are
/// common, so they are decoded only when they can be base64 of text
/// ([`short_b64_text`]); the engine then keeps the token only when a
/// detector finds something in what it holds.
pub const SHORT_B64: usize = 16;

/// The conditions a short token (`core` without padding, under
/// [`SHORT_B64`]) meets before it is decoded: a length base64 of text has
/// (not 1 modulo 4), a letter (a number is not base64 of text), not a
/// plain word (all lower-case or all upper-case letters), one alphabet
/// (standard or URL-safe, not both). Capitals and digits alone are base64
/// of text often: `OTE0NDM1NTBO` is the DNI `91443550N` (about 2.5% of
/// DNIs, of SSNs and of runs of digits encode without a lower-case
/// letter), so a token needs no lower-case letter.
fn short_b64_candidate(core: &[u8]) -> bool {
    short_b64_ok(core.len(), seen_in(core))
}

/// The classes ([`SHORT_CLASS`]) of the bytes of `b`, or-ed: one pass.
#[inline]
fn seen_in(b: &[u8]) -> u8 {
    b.iter().fold(0u8, |m, &c| m | SHORT_CLASS[c as usize])
}

/// [`short_b64_candidate`] of a core of `len` characters whose classes are `seen`.
#[inline]
fn short_b64_ok(len: usize, seen: u8) -> bool {
    len % 4 != 1
        && seen & S_ALPHA != 0
        && seen & S_NOT_LOWER != 0
        && seen & S_NOT_UPPER != 0
        && seen & (S_URL | S_STD) != S_URL | S_STD
}

const S_ALPHA: u8 = 1;
const S_NOT_LOWER: u8 = 2;
const S_NOT_UPPER: u8 = 4;
const S_URL: u8 = 8;
const S_STD: u8 = 16;
/// not in the base64 alphabet (standard or URL-safe)
const S_NOT_B64: u8 = 32;
/// ASCII white space
const S_SPACE: u8 = 64;
/// `A`..`D`: a zero byte of a decoding needs one (`A` first or last in its
/// quartet, or `A`..`D` third after `A`, `Q`, `g` or `w`)
const S_ZERO: u8 = 128;

/// Per byte, for [`short_b64_candidate`] and [`base64_readable`]: a
/// letter, not a lower-case letter, not a capital, a URL-safe (`-`, `_`)
/// or a standard (`+`, `/`) character, not in the base64 alphabet, white
/// space.
static SHORT_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let mut m = 0;
        if b.is_ascii_alphabetic() {
            m |= S_ALPHA;
        }
        if !b.is_ascii_lowercase() {
            m |= S_NOT_LOWER;
        }
        if !b.is_ascii_uppercase() {
            m |= S_NOT_UPPER;
        }
        if b == b'-' || b == b'_' {
            m |= S_URL;
        }
        if b == b'+' || b == b'/' {
            m |= S_STD;
        }
        if !(b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'-' || b == b'_') {
            m |= S_NOT_B64;
        }
        if b.is_ascii_whitespace() {
            m |= S_SPACE;
        }
        if matches!(b, b'A'..=b'D') {
            m |= S_ZERO;
        }
        t[c] = m;
        c += 1;
    }
    t
};

/// What a short token decodes to is read only when it is text without a
/// single control character or replacement (a few random bytes pass the
/// looser [`is_text`] too often).
fn short_b64_text(dec: &[u8]) -> bool {
    std::str::from_utf8(dec).is_ok_and(|s| !s.is_empty() && !s.chars().any(|c| c.is_control() || c == '\u{fffd}'))
}

/// Decodes a base64 token (standard or URL-safe, padded or not) when what it
/// holds is text; `None` for binary data or anything that is not base64.
pub fn base64_text(tok: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let joined: Vec<u8>;
    let t = if tok.contains(&b'\n') {
        joined = tok.iter().copied().filter(|c| !c.is_ascii_whitespace()).collect();
        &joined[..]
    } else {
        tok.trim_ascii()
    };
    let core = t.strip_suffix(b"==").or_else(|| t.strip_suffix(b"=")).unwrap_or(t);
    if core.len() < MIN_B64 || core.len() % 4 == 1 || !core.iter().all(|&c| b64(c)) {
        return None;
    }
    if core.len() < SHORT_B64 {
        return short_b64(core);
    }
    // mixed case or digits: a plain word is not base64
    if core.iter().all(|c| c.is_ascii_lowercase()) || core.iter().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let url = core.iter().any(|&c| c == b'-' || c == b'_');
    let std = core.iter().any(|&c| c == b'+' || c == b'/');
    if url && std {
        return None;
    }
    let engine = if url {
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
    } else {
        &base64::engine::general_purpose::STANDARD_NO_PAD
    };
    let out = engine.decode(core).ok()?;
    is_text(&out).then_some(out)
}

/// Decodes a base64 token whose bytes are gzip or 16/32-bit text (read
/// further by the caller); `None` for anything else.
pub fn base64_wrapped(tok: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let t: Vec<u8> = tok.iter().copied().filter(|c| !c.is_ascii_whitespace()).collect();
    let core = t.strip_suffix(b"==").or_else(|| t.strip_suffix(b"=")).unwrap_or(&t);
    // (a short token holds no gzip member and too few wide characters)
    if core.len() < SHORT_B64 || core.len() % 4 == 1 || !core.iter().all(|&c| b64(c)) {
        return None;
    }
    let url = core.iter().any(|&c| c == b'-' || c == b'_');
    let engine = if url {
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
    } else {
        &base64::engine::general_purpose::STANDARD_NO_PAD
    };
    let out = engine.decode(core).ok()?;
    let wide = match sniff_unicode(&out) {
        Some((Charset::Utf8, _)) => false,
        Some(_) => true,
        None => memchr::memchr(0, &out).is_some() && sniff_wide(&out).is_some(),
    };
    (crate::bodies::sniff::magic(&out).is_some() || wide || crate::bodies::archive::starts_archive(&out)).then_some(out)
}

/// [`base64_text`], else [`base64_wrapped`], with one decoding of the token.
/// One pass over the token says what its bytes are ([`SHORT_CLASS`]); a
/// token of up to [`STACK_B64`] characters is decoded on the stack and
/// copied out only when it is read (most are not: UUIDs, hex, identifiers).
/// `tests::readable_agrees_with_reference` checks it against the version
/// that read the token once per question ([`base64_readable_reference`]).
pub fn base64_readable(tok: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let core = tok
        .strip_suffix(b"==")
        .or_else(|| tok.strip_suffix(b"="))
        .unwrap_or(tok);
    let seen = seen_in(core);
    if seen & S_SPACE != 0 {
        // (white space is in the core whenever it is in the token: the
        // padding stripped is `=` only) wrapped lines: read joined
        let joined: Vec<u8> = tok.iter().copied().filter(|c| !c.is_ascii_whitespace()).collect();
        return base64_readable(&joined);
    }
    if core.len() < MIN_B64 || core.len() % 4 == 1 || seen & S_NOT_B64 != 0 {
        return None;
    }
    if core.len() < SHORT_B64 {
        return short_b64_seen(core, seen);
    }
    let url = seen & S_URL != 0;
    if url && seen & S_STD != 0 {
        return None;
    }
    // mixed case or digits: a plain word is not base64 text
    let word = seen & S_NOT_LOWER == 0 || seen & S_NOT_UPPER == 0;
    if seen & S_ZERO == 0 && !head_may_read(core, word) {
        return None;
    }
    if core.len() <= STACK_B64 {
        let mut buf = [0u8; STACK_B64];
        let n = decode_core(core, &mut buf)?;
        let out = buf.get(..n)?;
        return readable(out, word).then(|| out.to_vec());
    }
    let engine = if url {
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
    } else {
        &base64::engine::general_purpose::STANDARD_NO_PAD
    };
    let out = engine.decode(core).ok()?;
    readable(&out, word).then_some(out)
}

/// Tokens up to this many characters (96 bytes) are decoded on the stack.
const STACK_B64: usize = 128;

/// Whether a decoding that starts with the six bytes of `core`'s first two
/// quartets may be read ([`readable`]), for a `core` of [`SHORT_B64`]
/// characters or more (a decoding of 12 bytes or more) without a zero byte
/// in its decoding (no `A`..`D`: `S_ZERO`). Everything `readable` asks but
/// one reads the first four bytes (a compressed stream's header, a BOM or
/// two characters of 16/32-bit text); the exception, zero bytes spread
/// through the decoding (`sniff_wide`), needs a zero byte; and text must be
/// UTF-8 from its first byte, so a sequence that is not UTF-8, whole within
/// the six bytes, rules it out. False: the token is not read (UUIDs and hex
/// digests, decided from eight characters instead of all of them).
fn head_may_read(core: &[u8], word: bool) -> bool {
    let mut head = [0u8; 6];
    // (characters outside the alphabet: the whole decoding fails too)
    let Some(n) = core.get(..8).and_then(|q| decode_core(q, &mut head)) else {
        return core.len() < 8;
    };
    let head = &head[..n];
    let text = !word && std::str::from_utf8(head).map_or_else(|e| e.error_len().is_none(), |_| true);
    text || crate::bodies::sniff::magic(head).is_some()
        || crate::bodies::archive::starts_archive(head)
        || !matches!(sniff_unicode(head), None | Some((Charset::Utf8, _)))
}

/// Whether the decoding `out` of a long token is read: text (unless the
/// token is a plain `word`), gzip, an archive, or 16/32-bit text.
fn readable(out: &[u8], word: bool) -> bool {
    if !word && is_text(out) {
        return true;
    }
    let wide = match sniff_unicode(out) {
        Some((Charset::Utf8, _)) => false,
        Some(_) => true,
        None => memchr::memchr(0, out).is_some() && sniff_wide(out).is_some(),
    };
    crate::bodies::sniff::magic(out).is_some() || wide || crate::bodies::archive::starts_archive(out)
}

/// [`base64_readable`] as it was, a pass over the token per question and
/// the decoding always allocated: the reference it is tested against.
#[cfg(test)]
fn base64_readable_reference(tok: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let joined: Vec<u8>;
    let t = if tok.iter().any(u8::is_ascii_whitespace) {
        joined = tok.iter().copied().filter(|c| !c.is_ascii_whitespace()).collect();
        &joined[..]
    } else {
        tok
    };
    let core = t.strip_suffix(b"==").or_else(|| t.strip_suffix(b"=")).unwrap_or(t);
    if core.len() < MIN_B64 || core.len() % 4 == 1 || !core.iter().all(|&c| b64(c)) {
        return None;
    }
    if core.len() < SHORT_B64 {
        return short_b64(core);
    }
    let url = core.iter().any(|&c| c == b'-' || c == b'_');
    if url && core.iter().any(|&c| c == b'+' || c == b'/') {
        return None;
    }
    let engine = if url {
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
    } else {
        &base64::engine::general_purpose::STANDARD_NO_PAD
    };
    let out = engine.decode(core).ok()?;
    let word = core.iter().all(|c| c.is_ascii_lowercase()) || core.iter().all(|c| c.is_ascii_uppercase());
    if !word && is_text(&out) {
        return Some(out);
    }
    let wide = match sniff_unicode(&out) {
        Some((Charset::Utf8, _)) => false,
        Some(_) => true,
        None => memchr::memchr(0, &out).is_some() && sniff_wide(&out).is_some(),
    };
    (crate::bodies::sniff::magic(&out).is_some() || wide || crate::bodies::archive::starts_archive(&out)).then_some(out)
}

/// A short token (`core` without padding) decoded, when it is base64 of
/// text ([`short_b64_candidate`], [`short_b64_text`]).
fn short_b64(core: &[u8]) -> Option<Vec<u8>> {
    short_b64_seen(core, seen_in(core))
}

/// [`short_b64`] of a core whose classes ([`seen_in`]) are `seen`.
fn short_b64_seen(core: &[u8], seen: u8) -> Option<Vec<u8>> {
    if !short_b64_ok(core.len(), seen) {
        return None;
    }
    // (decoded on the stack: most short tokens are not text, and cost no allocation)
    let mut buf = [0u8; SHORT_B64];
    let n = decode_core(core, &mut buf)?;
    let out = buf.get(..n)?;
    short_b64_text(out).then(|| out.to_vec())
}

/// The value of each character of both base64 alphabets (`+` and `-` are
/// 62, `/` and `_` 63); 0xFF for any other byte.
static B64_VALUE: [u8; 256] = {
    let mut t = [0xFFu8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => 0xFF,
        };
        c += 1;
    }
    t
};

/// Decodes `core` (base64 without padding, of one alphabet: the callers
/// refuse a token with both `+`/`/` and `-`/`_`) into `out`, as the base64
/// crate's `STANDARD_NO_PAD` / `URL_SAFE_NO_PAD` engines do: `None` for a
/// length of 1 modulo 4, a byte of neither alphabet, a last character with
/// bits set past the data (the crate refuses those), or `out` too short.
/// Returns the decoded length. (The crate's `decode_slice` cost about twice
/// this on the short tokens every clean body is full of.)
/// `tests::decode_core_agrees_with_the_crate` checks it against the crate.
fn decode_core(core: &[u8], out: &mut [u8]) -> Option<usize> {
    let rem = core.len() % 4;
    let len = core.len() / 4 * 3 + rem.saturating_sub(1);
    if rem == 1 || out.len() < len {
        return None;
    }
    let val = |c: u8| u32::from(B64_VALUE[c as usize]);
    let mut bad = 0u32;
    let mut o = 0;
    let mut quads = core.chunks_exact(4);
    for q in &mut quads {
        let (a, b, c, d) = (val(q[0]), val(q[1]), val(q[2]), val(q[3]));
        bad |= a | b | c | d;
        let v = (a << 18) | (b << 12) | (c << 6) | d;
        out[o] = (v >> 16) as u8;
        out[o + 1] = (v >> 8) as u8;
        out[o + 2] = v as u8;
        o += 3;
    }
    match *quads.remainder() {
        [a, b] => {
            let (a, b) = (val(a), val(b));
            // the last character's low 4 bits are past the data
            bad |= a | b | ((b & 0x0F) << 8);
            out[o] = ((a << 2) | (b >> 4)) as u8;
            o += 1;
        }
        [a, b, c] => {
            let (a, b, c) = (val(a), val(b), val(c));
            // the last character's low 2 bits are past the data
            bad |= a | b | c | ((c & 0x03) << 8);
            out[o] = ((a << 2) | (b >> 4)) as u8;
            out[o + 1] = ((b << 4) | (c >> 2)) as u8;
            o += 2;
        }
        _ => {}
    }
    // 0xFF (a byte of neither alphabet) or a bit past the data: refused
    (bad & !0x3F == 0).then_some(o)
}

/// Printable UTF-8 (or UTF-16 text): what a base64 token must decode to, to be read.
pub fn is_text(b: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(b) else {
        return false;
    };
    let bad = s
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        .count();
    !s.is_empty() && bad * 20 <= s.chars().count()
}

/// Runs of the base64 alphabet long enough to hold text: (start, end),
/// padding included. One pass; tokens must stand alone (not inside a word).
pub fn base64_tokens(b: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    base64_tokens_into(b, &mut out);
    out
}

/// [`base64_tokens`] into `out` (cleared first): a buffer kept across the
/// values of a body costs no allocation per value.
pub fn base64_tokens_into(b: &[u8], out: &mut Vec<(usize, usize)>) {
    out.clear();
    let mut i = 0;
    let n = b.len();
    while i + MIN_B64 <= n {
        // A token covers b[i + MIN_B64 - 1]: look there first, and back from
        // there, so that ordinary text is skipped several bytes at a time.
        if !b64(b[i + MIN_B64 - 1]) {
            i += MIN_B64;
            continue;
        }
        if let Some(k) = (i..i + MIN_B64 - 1).rev().find(|&k| !b64(b[k])) {
            i = k + 1;
            continue;
        }
        // b[i..i + MIN_B64] is all base64, and i starts the run
        let s = i;
        let mut first_len = None;
        loop {
            let line = i;
            while i < n && b64(b[i]) {
                i += 1;
            }
            // MIME wraps base64 in lines (76 characters): a full line goes on
            let len = i - line;
            let nl = match (b.get(i), b.get(i + 1)) {
                (Some(b'\r'), Some(b'\n')) => 2,
                (Some(b'\n'), _) => 1,
                _ => 0,
            };
            let full = *first_len.get_or_insert(len) == len;
            if nl > 0 && full && len >= SHORT_B64 && len % 4 == 0 && b.get(i + nl).is_some_and(|c| b64(*c)) {
                i += nl;
                continue;
            }
            break;
        }
        let mut e = i;
        while e < n && e - i < 2 && b[e] == b'=' {
            e += 1;
        }
        // a token must stand alone: not the tail of a longer word; a short
        // one must be able to hold text (`short_b64_candidate`, as the
        // readers check it: skipped here without a call per word)
        if (s == 0 || !b64(b[s - 1])) && (i - s >= SHORT_B64 || short_b64_candidate(&b[s..i])) {
            out.push((s, e));
        }
        i = e.max(i) + 1;
        if out.len() >= 256 {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str, xml: bool) -> String {
        view(s.as_bytes(), xml)
            .map(|v| String::from_utf8_lossy(&v.text).into_owned())
            .unwrap_or_else(|| s.to_string())
    }

    #[test]
    fn escapes_decode_with_spans() {
        let cases = [
            ("jane&#64;example.com", "jane@example.com"),
            ("jane&#x40;example&period;com", "jane@example.com"),
            ("jane&commat;example.com", "jane@example.com"),
            ("jane&amp;#64;example.com", "jane@example.com"),
            ("jane\\u0040example.com", "jane@example.com"),
            ("jane%40example.com", "jane@example.com"),
            ("jane%252540example.com", "jane@example.com"),
            ("jane%2525252540example.com", "jane%40example.com"),
            ("a\\ud83d\\ude00b", "a😀b"),
            ("jane&#64example.com", "jane@example.com"),
            // line continuations: backslash, line break and indentation are nothing
            ("4111\\\n  1111\\\r\n\t1111", "411111111111"),
            ("a\\ b\\\rc", "a\\ b\\\rc"),
            ("plain", "plain"),
        ];
        for (i, o) in cases {
            assert_eq!(dec(i, false), o, "{i}");
        }
        let s = b"x jane&#64;example.com y";
        let v = view(s, false).unwrap();
        let at = memchr::memmem::find(&v.text, b"jane@example.com").unwrap();
        assert_eq!(v.span(at, at + 16), (2, 22));
    }

    #[test]
    fn xml_comments_and_cdata() {
        assert_eq!(
            dec("<e>jane<!-- x -->@example.com</e>", true),
            "<e>jane@example.com</e>"
        );
        let s = "<e><![CDATA[jane]]>@example.com</e>";
        let v = view(s.as_bytes(), true).unwrap();
        assert_eq!(String::from_utf8_lossy(&v.text), "<e>jane@example.com</e>");
        let (a, b) = v.span(3, 19);
        assert_eq!(&s[a..b], "<![CDATA[jane]]>@example.com");
        assert_eq!(dec("<e>a<!-- x -->b</e>", false), "<e>a<!-- x -->b</e>");
    }

    #[test]
    fn inline_and_empty_tags_join_the_text_around_them() {
        assert_eq!(
            dec("<p>jane<span>@</span>example.com</p>", true),
            "<p>jane@example.com</p>"
        );
        assert_eq!(dec("4111<b></b>1111<i>1111</i>1111", true), "4111111111111111");
        assert_eq!(dec("jane<wbr>.doe<br/>@x<foo></foo>.com", true), "jane.doe@x.com");
        assert_eq!(
            dec("<a href=\"/x\">jane</a>@<SPAN class=\"y\">example.com</SPAN>", true),
            "jane@example.com"
        );
        // block elements and elements with content keep their texts apart
        assert_eq!(dec("<td>4111</td><td>1111</td>", true), "<td>4111</td><td>1111</td>");
        assert_eq!(dec("<x>4111</x><y>1111</y>", true), "<x>4111</x><y>1111</y>");
        // a lone `<` or a broken tag is text
        assert_eq!(dec("a < b and <b c", true), "a < b and <b c");
        assert_eq!(dec("<b>x</b>", false), "<b>x</b>");
        // the span of a joined value covers its tags
        let s = "<p>jane<span>@</span>example.com</p>";
        let v = view(s.as_bytes(), true).unwrap();
        let p = v.text.windows(4).position(|w| w == b"jane").unwrap();
        let (a, b) = v.span(p, p + "jane@example.com".len());
        assert_eq!(&s[a..b], "jane<span>@</span>example.com");
    }

    #[test]
    fn charsets() {
        for cs in [
            Charset::Utf16Le,
            Charset::Utf16Be,
            Charset::Utf32Le,
            Charset::Utf32Be,
            Charset::Latin1,
            Charset::Windows1252,
        ] {
            let s = "{\"e\":\"jane@example.com\",\"n\":\"Zoë €\"}";
            let b = encode(cs, s);
            let want = if cs == Charset::Latin1 {
                s.replace('€', "?")
            } else {
                s.to_string()
            };
            assert_eq!(decode(cs, &b).as_deref(), Some(want.as_str()), "{cs:?}");
            if !matches!(cs, Charset::Latin1 | Charset::Windows1252) {
                assert_eq!(sniff_unicode(&b).map(|x| x.0), Some(cs), "{cs:?}");
                assert_eq!(sniff_wide(&b), Some(cs), "{cs:?}");
            }
        }
        assert_eq!(
            declared_charset(Some("application/json; charset=UTF-16")),
            Ok(Some(Charset::Utf16Be))
        );
        assert_eq!(declared_charset(Some("text/plain; charset=\"utf-8\"")), Ok(None));
        assert_eq!(
            declared_charset(Some("text/plain; charset=koi8-r")),
            Err("koi8-r".into())
        );
        assert!(declared_charset(Some("text/plain; charset=utf-8; charset=utf-16")).is_err());
        // what a document declares inside itself
        let doc = |b: &[u8]| declared_charset_in(Some("application/xml"), b);
        assert_eq!(
            doc(b"<?xml version=\"1.0\" encoding=\"UTF-7\"?><a/>"),
            Err("utf-7".into())
        );
        assert_eq!(
            doc(b"<?xml version='1.0' encoding = 'ISO-8859-1'?><a/>"),
            Ok(Some(Charset::Latin1))
        );
        assert_eq!(
            doc(b"\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?><a/>"),
            Ok(None)
        );
        assert_eq!(doc(b"<?xml version=\"1.0\"?><a encoding=\"utf-7\"/>"), Ok(None));
        assert_eq!(doc(b"<html><head><meta charset=utf-7></head>"), Err("utf-7".into()));
        assert_eq!(
            doc(b"<html><meta http-equiv=\"Content-Type\" content=\"text/html; charset=ibm037\">"),
            Err("ibm037".into())
        );
        assert_eq!(doc(b"<html><meta charset=\"utf-8\"><p>x</p>"), Ok(None));
        assert_eq!(doc(&[0x4C, 0x6F, 0xA7, 0x94, 0x93]), Err("ebcdic".into()));
        assert_eq!(doc(b"+/v8-jane"), Err("utf-7".into()));
        assert_eq!(doc(b"{\"encoding\": \"utf-7\"}"), Ok(None));
        // the content type's label wins over a readable declaration
        assert_eq!(
            declared_charset_in(
                Some("text/xml; charset=utf-8"),
                b"<?xml version=\"1.0\" encoding=\"latin1\"?>"
            ),
            Ok(None)
        );
        assert_eq!(sniff_unicode(b"{\"a\":1}"), None);
    }

    #[test]
    fn base64_values() {
        use base64::Engine as _;
        let t = base64::engine::general_purpose::STANDARD.encode(b"{\"email\":\"jane@example.com\"}");
        assert_eq!(
            base64_text(t.as_bytes()).as_deref(),
            Some(&b"{\"email\":\"jane@example.com\"}"[..])
        );
        assert_eq!(base64_text(b"123e4567-e89b-12d3-a456-426614174000"), None);
        assert_eq!(base64_readable(b"123e4567-e89b-12d3-a456-426614174000"), None);
        assert_eq!(base64_text(b"abcdefghijklmnopqrstuvwxyz"), None);
        let body = format!("note: {t} end");
        let toks = base64_tokens(body.as_bytes());
        assert_eq!(toks.len(), 1);
        assert_eq!(&body[toks[0].0..toks[0].1], t);
        // wrapped as MIME wraps it, the e-mail across the line break
        let long = base64::engine::general_purpose::STANDARD.encode(b"a longer note, written to jane@example.com");
        let lines: Vec<&str> = long
            .as_bytes()
            .chunks(16)
            .filter_map(|c| std::str::from_utf8(c).ok())
            .collect();
        let wrapped = format!("x\r\n{}\r\ny", lines.join("\r\n"));
        let toks = base64_tokens(wrapped.as_bytes());
        assert_eq!(toks.len(), 1);
        let dec = base64_text(&wrapped.as_bytes()[toks[0].0..toks[0].1]).unwrap();
        assert_eq!(dec, b"a longer note, written to jane@example.com".to_vec());
    }

    /// Tokens of 8 to 15 characters are read when they decode to text with
    /// no control character; ordinary short tokens are not decoded.
    #[test]
    fn short_base64_values() {
        use base64::Engine as _;
        let std = &base64::engine::general_purpose::STANDARD;
        let url = &base64::engine::general_purpose::URL_SAFE_NO_PAD;
        // (the last three encode without a lower-case letter)
        for v in [
            "a@b.co",
            "jo@x.io",
            "12345678Z",
            "81.2.69.160",
            "jane@x.io",
            "91443550N",
            "158-56-6901",
            "4.88.91.69",
        ] {
            for t in [std.encode(v), url.encode(v)] {
                assert_eq!(base64_readable(t.as_bytes()).as_deref(), Some(v.as_bytes()), "{t}");
                assert_eq!(base64_text(t.as_bytes()).as_deref(), Some(v.as_bytes()), "{t}");
                let body = format!("x {t} y");
                let toks = base64_tokens(body.as_bytes());
                assert_eq!(toks.iter().map(|&(a, b)| &body[a..b]).collect::<Vec<_>>(), [t.as_str()]);
            }
        }
        // 5 bytes (7 characters and padding) is below the floor
        assert_eq!(base64_readable(std.encode("a@b.c").as_bytes()), None);
        for t in [
            "abcd1234",
            "user1234",
            "ABCD1234",
            "12345678",
            "deadbeef",
            "JavaScript",
            "iPhone12",
            "SKU12345",
            "a1B2c3D4",
            "aGVs+G8_",
            "abcdefghi",
            "ABCDEFGHIJ",
        ] {
            assert_eq!(base64_readable(t.as_bytes()), None, "{t}");
        }
        // text with a control character is not read when short
        assert_eq!(base64_readable(std.encode("a@b.co\u{1}").as_bytes()), None);
        assert!(base64_readable(std.encode("a@b.co\u{1} and more text").as_bytes()).is_some());
    }

    /// The one-pass candidate check says what its definition says.
    #[test]
    fn short_candidate_is_its_definition() {
        const CH: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=.";
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = 8 + (x % 8) as usize;
            let pick = |k: usize| CH[((x >> (k * 3 + 1)) % if k.is_multiple_of(3) { 68 } else { 26 }) as usize];
            let core: Vec<u8> = (0..len).map(pick).collect();
            let want = core.len() % 4 != 1
                && core.iter().any(u8::is_ascii_alphabetic)
                && !core.iter().all(u8::is_ascii_lowercase)
                && !core.iter().all(u8::is_ascii_uppercase)
                && !(core.iter().any(|&c| c == b'-' || c == b'_') && core.iter().any(|&c| c == b'+' || c == b'/'));
            assert_eq!(short_b64_candidate(&core), want, "{}", String::from_utf8_lossy(&core));
        }
        for t in [
            &b"ABCDEFGH"[..],
            b"abcdefgh",
            b"ABCD1234",
            b"abcd1234",
            b"12345678",
            b"aB+-cdef",
            b"aB+/cdef",
        ] {
            let mixed = !t.iter().all(u8::is_ascii_lowercase) && !t.iter().all(u8::is_ascii_uppercase);
            let one_alphabet = !(t.contains(&b'+') && t.contains(&b'-'));
            let want = t.iter().any(u8::is_ascii_alphabetic) && mixed && one_alphabet;
            assert_eq!(short_b64_candidate(t), want, "{}", String::from_utf8_lossy(t));
        }
    }

    /// Short tokens decode as the base64 crate decodes them and are read
    /// when that is text without a control character, on tokens of 8 to 15
    /// characters drawn from both alphabets and some others.
    #[test]
    fn short_decoder_agrees() {
        use base64::Engine as _;
        const CH: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=.";
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let (mut both, mut none) = (0, 0);
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = 8 + (x % 8) as usize;
            let core: Vec<u8> = (0..len).map(|k| CH[((x >> (k * 4 + 3)) % 64) as usize]).collect();
            if !short_b64_candidate(&core) {
                continue;
            }
            let engine = if core.iter().any(|&c| c == b'-' || c == b'_') {
                &base64::engine::general_purpose::URL_SAFE_NO_PAD
            } else {
                &base64::engine::general_purpose::STANDARD_NO_PAD
            };
            let want = engine.decode(&core).ok().filter(|d| short_b64_text(d));
            assert_eq!(short_b64(&core), want, "{}", String::from_utf8_lossy(&core));
            if want.is_some() {
                both += 1;
            } else {
                none += 1;
            }
        }
        assert!(both > 100 && none > 1000, "{both} read, {none} not");
    }

    /// One decoding reads a token exactly as the text reading, then the
    /// wrapped (gzip, UTF-16/32) reading, would.
    #[test]
    fn base64_readable_is_text_then_wrapped() {
        use base64::Engine as _;
        let std = &base64::engine::general_purpose::STANDARD;
        let url = &base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let gz = crate::encoding::encode(crate::encoding::Coding::Gzip, b"jane@example.com and more text");
        let wide = encode(Charset::Utf16Le, "jane@example.com");
        let mut toks: Vec<Vec<u8>> = vec![
            std.encode(b"{\"email\":\"jane@example.com\"}").into_bytes(),
            url.encode(b"\xff\xfe j\x00a\x00n\x00e\x00 ??>>").into_bytes(),
            std.encode(&gz).into_bytes(),
            url.encode(&gz).into_bytes(),
            std.encode(&wide).into_bytes(),
            std.encode([0xffu8; 24]).into_bytes(),
            b"123e4567-e89b-12d3-a456-426614174000".to_vec(),
            b"abcdefghijklmnopqrstuvwxyz".to_vec(),
            b"ABCDEFGHIJKLMNOPQRSTUVWX".to_vec(),
            b"aGVsbG8gd29ybGQgaGVsbG8=".to_vec(),
            b"aGVsbG8gd29y\nbGQgaGVsbG8=".to_vec(),
            b"aGVs+G8gd29y_GQgaGVsbG8".to_vec(),
            b"short".to_vec(),
            std.encode(b"a@b.co").into_bytes(),
            url.encode(b"81.2.69.160").into_bytes(),
            std.encode([0xffu8; 9]).into_bytes(),
            std.encode(&gz[..9]).into_bytes(),
            b"abcd1234".to_vec(),
            b"JavaScript".to_vec(),
        ];
        toks.push(
            std.encode(b"plain text that is long enough")
                .to_lowercase()
                .into_bytes(),
        );
        for t in &toks {
            assert_eq!(
                base64_readable(t),
                base64_text(t).or_else(|| base64_wrapped(t)),
                "{}",
                String::from_utf8_lossy(t)
            );
        }
        assert!(base64_readable(&toks[0]).is_some() && base64_readable(&toks[2]).is_some());
        assert!(base64_readable(&toks[4]).is_some());
    }

    /// Tokens made to reach every branch of [`base64_readable`]: encodings
    /// (both alphabets, padded or not) of personal values, of UTF-16 and
    /// gzip, of random bytes; UUIDs, SKUs, random runs; mutations of them
    /// (a byte changed, white space or padding added, case folded).
    fn readable_tokens(n: usize, mut x: u64) -> Vec<Vec<u8>> {
        use base64::Engine as _;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let values: Vec<Vec<u8>> = vec![
            b"jane.doe@example.com".to_vec(),
            b"a@b.co".to_vec(),
            b"81.2.69.160".to_vec(),
            b"91443550N".to_vec(),
            b"4111 1111 1111 1111".to_vec(),
            b"+44 20 7946 0958".to_vec(),
            b"DE89370400440532013000".to_vec(),
            "j\u{FF41}ne@example.com \u{0661}\u{0662}\u{0663}".as_bytes().to_vec(),
            encode(Charset::Utf16Le, "jane@example.com"),
            encode(Charset::Utf16Be, "4111111111111111"),
            crate::encoding::encode(crate::encoding::Coding::Gzip, b"jane@example.com and more"),
            b"{\"email\":\"jane@example.com\"}".to_vec(),
            // 16-bit text after bytes that are not text: read by its zero
            // bytes alone (`sniff_wide`), whatever its first bytes
            [
                &b"\xfd\xfc\xfb\xfa\xf9\xf8\xc3\x28"[..],
                &encode(Charset::Utf16Le, "jane@example.com, 4111111111111111"),
            ]
            .concat(),
            [
                &b"\x80\x80"[..],
                &encode(Charset::Utf16Be, "jane@example.com and more text"),
            ]
            .concat(),
            // text whose first bytes are a UTF-8 sequence cut at the sixth
            "\u{10348}\u{10348}jane@example.com".as_bytes()[2..].to_vec(),
            "ab\u{20AC}\u{20AC}jane@example.com".as_bytes().to_vec(),
            b"\xef\xbb\xbfjane@example.com".to_vec(),
        ];
        let engines = [
            &base64::engine::general_purpose::STANDARD,
            &base64::engine::general_purpose::STANDARD_NO_PAD,
            &base64::engine::general_purpose::URL_SAFE,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ];
        const CH: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=. \n";
        let mut out = Vec::new();
        for i in 0..n {
            let r = next();
            let mut t: Vec<u8> = match i % 7 {
                0 => {
                    let v = &values[(r % values.len() as u64) as usize];
                    let cut = v.len() - (r >> 8) as usize % v.len().min(4);
                    engines[(r >> 16) as usize % 4].encode(&v[..cut]).into_bytes()
                }
                1 => {
                    let len = (r % 200) as usize;
                    let bytes: Vec<u8> = (0..len).map(|k| (next() >> (k % 7)) as u8).collect();
                    engines[(r >> 16) as usize % 4].encode(bytes).into_bytes()
                }
                // hex digests, either case
                2 if r & 0x300 == 0 => {
                    let h = format!("{:016x}{:016x}{:08x}", next(), next(), r >> 32);
                    let len = 16 + (r >> 12) as usize % 25;
                    let h = if r & 0x400 == 0 { h } else { h.to_ascii_uppercase() };
                    h.as_bytes()[..len].to_vec()
                }
                2 => format!(
                    "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                    r >> 32,
                    (r >> 16) & 0xffff,
                    r % 0xfff,
                    (r >> 8) % 0xfff,
                    r % 0xffff_ffff_ffff
                )
                .into_bytes(),
                3 => format!("SKU-{:08}", r % 100_000_000).into_bytes(),
                // letters of one case (a plain word is never base64 text)
                6 => {
                    let len = 8 + (r % 40) as usize;
                    let base = if r & 1 == 0 { b'a' } else { b'A' };
                    (0..len).map(|_| base + (next() % 26) as u8).collect()
                }
                4 => {
                    let len = 4 + (r % 180) as usize;
                    (0..len)
                        .map(|k| CH[((r >> (k % 50)) as usize + k * 7) % (CH.len() - 3)])
                        .collect()
                }
                _ => {
                    let len = 4 + (r % 40) as usize;
                    (0..len).map(|_| CH[(next() % CH.len() as u64) as usize]).collect()
                }
            };
            // mutations: a byte changed, white space, padding, a case fold
            match (r >> 40) % 6 {
                0 if !t.is_empty() => {
                    let k = (r >> 20) as usize % t.len();
                    t[k] = CH[(r >> 45) as usize % CH.len()];
                }
                1 if t.len() > 4 => {
                    let k = (r >> 20) as usize % t.len();
                    t.insert(k, if r & 1 == 0 { b'\n' } else { b' ' });
                }
                2 => t.extend_from_slice(if r & 1 == 0 { b"=" } else { b"==" }),
                3 => t.make_ascii_lowercase(),
                4 => t.make_ascii_uppercase(),
                _ => {}
            }
            out.push(t);
        }
        out
    }

    fn base64_text_any(t: &[u8]) -> Vec<u8> {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(t)
            .unwrap_or_default()
    }

    /// [`base64_readable`] reads every token exactly as the reference does
    /// (the version that read the token once per question): 300,000 shaped
    /// and random tokens, every corpus string and its words.
    #[test]
    fn readable_agrees_with_reference() {
        let mut toks = readable_tokens(300_000, 0x9e37_79b9_7f4a_7c15);
        // plain words of one case that decode to text (about 1 in 50,000
        // random ones does): not read
        for w in [
            "ZVZHIHFRUDZCDTRW",
            "TFRIQFFXVTZSRTJL",
            "SNWLRUBQMGNGQSJZ",
            "bkovayzmqoncinkz",
            "ayxrduizukzxrqmp",
            "zqwlbemptzcvfdey",
        ] {
            assert!(is_text(&base64_text_any(w.as_bytes())), "{w}");
            toks.push(w.as_bytes().to_vec());
        }
        for s in crate::normalize::corpus::all() {
            toks.extend(s.split([' ', ':', '"']).map(|w| w.as_bytes().to_vec()));
            toks.push(s.into_bytes());
        }
        let (mut read, mut not) = (0, 0);
        for t in &toks {
            let want = base64_readable_reference(t);
            assert_eq!(base64_readable(t), want, "{:?}", String::from_utf8_lossy(t));
            if want.is_some() {
                read += 1;
            } else {
                not += 1;
            }
        }
        assert!(read > 20_000 && not > 100_000, "{read} read, {not} not");
    }

    proptest::proptest! {
        #[test]
        fn readable_agrees_with_reference_random(seed in proptest::prelude::any::<u64>()) {
            for t in readable_tokens(200, seed | 1) {
                proptest::prop_assert_eq!(base64_readable(&t), base64_readable_reference(&t));
            }
        }
    }

    /// [`decode_core`] decodes as the base64 crate's no-padding engines do
    /// (the alphabet chosen as the readers choose it) on 400,000 random
    /// tokens of 0 to 140 characters: both alphabets, bytes of neither,
    /// every length modulo 4, last characters with bits past the data.
    #[test]
    fn decode_core_agrees_with_the_crate() {
        use base64::Engine as _;
        const CH: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=. \x00\xc3";
        let mut x: u64 = 0x1234_5678_9abc_def1;
        let (mut ok, mut refused) = (0, 0);
        for i in 0..400_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 141) as usize;
            // mostly the alphabet of one kind, sometimes anything
            let kinds = match i % 4 {
                0 => 64,
                1 => 62,
                2 => 66,
                _ => CH.len(),
            };
            let mut y = x;
            let core: Vec<u8> = (0..len)
                .map(|k| {
                    y = y.rotate_left(7) ^ (k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                    let c = CH[(y % kinds as u64) as usize];
                    // 2 in 4: a URL-safe token (`+` `/` become `-` `_`)
                    match (i % 2 == 1, c) {
                        (true, b'+') => b'-',
                        (true, b'/') => b'_',
                        _ => c,
                    }
                })
                .collect();
            let url = core.iter().any(|&c| c == b'-' || c == b'_');
            if url && core.iter().any(|&c| c == b'+' || c == b'/') {
                continue;
            }
            let engine = if url {
                &base64::engine::general_purpose::URL_SAFE_NO_PAD
            } else {
                &base64::engine::general_purpose::STANDARD_NO_PAD
            };
            let want = engine.decode(&core).ok();
            let mut buf = [0u8; 128];
            let got = decode_core(&core, &mut buf).map(|n| buf[..n].to_vec());
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&core));
            if want.is_some() {
                ok += 1;
            } else {
                refused += 1;
            }
        }
        assert!(ok > 50_000 && refused > 50_000, "{ok} decoded, {refused} refused");
        // too short a buffer: refused, never written past
        assert_eq!(decode_core(b"QUJD", &mut [0u8; 2]), None);
        assert_eq!(decode_core(b"QUJD", &mut [0u8; 3]), Some(3));
    }
}
