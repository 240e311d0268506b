//! Folding of look-alike characters so that detectors see ASCII.
//!
//! Personal data is routinely written with characters that defeat naive
//! patterns: full-width or other-script digits, no-break and thin spaces,
//! typographic dashes, and invisible characters (zero-width space, soft
//! hyphen, word joiner). [`normalize`] folds them to ASCII and keeps a map
//! from every output byte back to the input, so a redaction covers the
//! *original* bytes, invisible characters included.
//!
//! Pure-ASCII input (the common case) is returned borrowed, without any
//! allocation.

use std::borrow::Cow;

/// The folded text and a map back to the original offsets.
pub struct Normalized<'a> {
    pub text: Cow<'a, [u8]>,
    /// `map[i]` is the byte offset in the original of the character that
    /// produced `text[i]`; `None` when the text is borrowed unchanged.
    map: Option<Vec<u32>>,
    original: &'a [u8],
}

impl Normalized<'_> {
    /// Original byte range covered by the folded range `start..end`.
    pub fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        match &self.map {
            None => (start, end),
            Some(map) => {
                if start >= end || end > map.len() {
                    return (start.min(self.original.len()), end.min(self.original.len()));
                }
                let s = map[start] as usize;
                let last = map[end - 1] as usize;
                (s, last + char_len_at(self.original, last))
            }
        }
    }

    pub fn is_folded(&self) -> bool {
        self.map.is_some()
    }
}

fn char_len_at(s: &[u8], i: usize) -> usize {
    let len = match s.get(i) {
        Some(b) if *b < 0x80 => 1,
        Some(b) if *b >= 0xF0 => 4,
        Some(b) if *b >= 0xE0 => 3,
        Some(b) if *b >= 0xC0 => 2,
        _ => 1,
    };
    len.min(s.len().saturating_sub(i)).max(1)
}

/// Zero code points of the Unicode decimal-digit (Nd) blocks folded to
/// ASCII digits. Each block is ten consecutive code points.
const DIGIT_ZEROS: &[u32] = &[
    0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50,
    0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50,
    0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x11066, 0x110F0, 0x11136, 0x111D0,
    0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0, 0x16A60, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2,
    0x1D7EC, 0x1D7F6, 0x1E950, 0x1FBF0,
];

enum Fold {
    Keep,
    Drop,
    Ascii(u8),
}

fn fold(c: char) -> Fold {
    let cp = c as u32;
    match cp {
        // soft hyphen, zero-width space/joiners, word joiner, BOM, Mongolian vowel separator,
        // invisible operators, combining grapheme joiner
        0x00AD | 0x200B..=0x200D | 0x2060..=0x2064 | 0xFEFF | 0x180E | 0x034F => Fold::Drop,
        0x00A0 | 0x1680 | 0x2000..=0x200A | 0x202F | 0x205F | 0x3000 => Fold::Ascii(b' '),
        0x2010..=0x2015 | 0x2212 | 0xFE58 | 0xFE63 => Fold::Ascii(b'-'),
        0x2024 | 0x3002 | 0xFF0E => Fold::Ascii(b'.'),
        // full-width ASCII (letters, digits, punctuation incl. the at sign)
        0xFF01..=0xFF5E => Fold::Ascii((cp - 0xFF01 + 0x21) as u8),
        _ => {
            if cp >= 0x0660 {
                for &z in DIGIT_ZEROS {
                    if cp >= z && cp < z + 10 {
                        return Fold::Ascii(b'0' + (cp - z) as u8);
                    }
                }
            }
            Fold::Keep
        }
    }
}

/// Folds `input` for detection. Borrowed when there is nothing to fold.
pub fn normalize(input: &[u8]) -> Normalized<'_> {
    if input.is_ascii() {
        return Normalized {
            text: Cow::Borrowed(input),
            map: None,
            original: input,
        };
    }
    let mut out = Vec::with_capacity(input.len());
    let mut map = Vec::with_capacity(input.len());
    let mut changed = false;
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b < 0x80 {
            out.push(b);
            map.push(i as u32);
            i += 1;
            continue;
        }
        let len = char_len_at(input, i);
        let decoded = std::str::from_utf8(&input[i..i + len])
            .ok()
            .and_then(|s| s.chars().next());
        match decoded.map(fold) {
            Some(Fold::Drop) => changed = true,
            Some(Fold::Ascii(a)) => {
                changed = true;
                out.push(a);
                map.push(i as u32);
            }
            _ => {
                // Not a character we fold (or invalid UTF-8): copy it byte by byte.
                let n = if decoded.is_some() { len } else { 1 };
                for k in 0..n {
                    out.push(input[i + k]);
                    map.push(i as u32);
                }
                i += n;
                continue;
            }
        }
        i += len;
    }
    if !changed {
        return Normalized {
            text: Cow::Borrowed(input),
            map: None,
            original: input,
        };
    }
    Normalized {
        text: Cow::Owned(out),
        map: Some(map),
        original: input,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_borrowed() {
        let n = normalize(b"4111 1111 1111 1111");
        assert!(matches!(n.text, Cow::Borrowed(_)));
        assert!(!n.is_folded());
    }

    #[test]
    fn folds_fullwidth_arabic_and_invisible() {
        let s = "４１１１\u{00A0}1111\u{200B}1111\u{2009}١١١١";
        let n = normalize(s.as_bytes());
        assert_eq!(&*n.text, b"4111 11111111 1111");
        let (a, b) = n.original_span(0, n.text.len());
        assert_eq!((a, b), (0, s.len()));
    }

    #[test]
    fn span_maps_back_through_multibyte() {
        let s = "x é ４2";
        let n = normalize(s.as_bytes());
        let t = &*n.text;
        let p = t.iter().position(|&c| c == b'4').unwrap_or(0);
        let (a, b) = n.original_span(p, p + 2);
        assert_eq!(&s[a..b], "４2");
    }
}
