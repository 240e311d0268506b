//! Folding of look-alike characters so that detectors see ASCII.
//!
//! Personal data is routinely written with characters that defeat naive
//! patterns: full-width or other-script digits, no-break and thin spaces,
//! typographic dashes, compatibility forms (`﹫`, `＠`, circled or
//! mathematical digits and letters), and invisible characters (every format
//! character of Unicode category Cf: zero-width space, soft hyphen, word
//! joiner, bidi marks, embeddings and isolates; variation selectors).
//! [`normalize`] folds them to ASCII (NFKC-like, one character to one) and keeps a map
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

/// Code points dropped before detection (generated from Unicode 14.0.0: all of
/// category Cf, variation selectors, invisible fillers), as inclusive ranges.
const DROP: &[(u32, u32)] = &[
    (0xAD, 0xAD),
    (0x34F, 0x34F),
    (0x600, 0x605),
    (0x61C, 0x61C),
    (0x6DD, 0x6DD),
    (0x70F, 0x70F),
    (0x890, 0x891),
    (0x8E2, 0x8E2),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x13438),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
    (0xE0100, 0xE01EF),
];

/// Code points folded to one ASCII character (generated from Unicode 14.0.0: category Zs
/// to space, Nd digits, and NFKC compatibility forms of letters, digits and the
/// punctuation detectors read): `(first, last, ascii of first, step)`; step 1
/// means consecutive code points map to consecutive ASCII characters.
const FOLD: &[(u32, u32, u8, u8)] = &[
    (0xA0, 0xA0, b' ', 0),
    (0xAA, 0xAA, b'a', 0),
    (0xB2, 0xB3, b'2', 1),
    (0xB9, 0xB9, b'1', 0),
    (0xBA, 0xBA, b'o', 0),
    (0x17F, 0x17F, b's', 0),
    (0x2B0, 0x2B0, b'h', 0),
    (0x2B2, 0x2B2, b'j', 0),
    (0x2B3, 0x2B3, b'r', 0),
    (0x2B7, 0x2B7, b'w', 0),
    (0x2B8, 0x2B8, b'y', 0),
    (0x2E1, 0x2E1, b'l', 0),
    (0x2E2, 0x2E2, b's', 0),
    (0x2E3, 0x2E3, b'x', 0),
    (0x58A, 0x58A, b'-', 0),
    (0x660, 0x669, b'0', 1),
    (0x6F0, 0x6F9, b'0', 1),
    (0x7C0, 0x7C9, b'0', 1),
    (0x966, 0x96F, b'0', 1),
    (0x9E6, 0x9EF, b'0', 1),
    (0xA66, 0xA6F, b'0', 1),
    (0xAE6, 0xAEF, b'0', 1),
    (0xB66, 0xB6F, b'0', 1),
    (0xBE6, 0xBEF, b'0', 1),
    (0xC66, 0xC6F, b'0', 1),
    (0xCE6, 0xCEF, b'0', 1),
    (0xD66, 0xD6F, b'0', 1),
    (0xDE6, 0xDEF, b'0', 1),
    (0xE50, 0xE59, b'0', 1),
    (0xED0, 0xED9, b'0', 1),
    (0xF20, 0xF29, b'0', 1),
    (0x1040, 0x1049, b'0', 1),
    (0x1090, 0x1099, b'0', 1),
    (0x1680, 0x1680, b' ', 0),
    (0x17E0, 0x17E9, b'0', 1),
    (0x1806, 0x1806, b'-', 0),
    (0x1810, 0x1819, b'0', 1),
    (0x1946, 0x194F, b'0', 1),
    (0x19D0, 0x19D9, b'0', 1),
    (0x1A80, 0x1A89, b'0', 1),
    (0x1A90, 0x1A99, b'0', 1),
    (0x1B50, 0x1B59, b'0', 1),
    (0x1BB0, 0x1BB9, b'0', 1),
    (0x1C40, 0x1C49, b'0', 1),
    (0x1C50, 0x1C59, b'0', 1),
    (0x1D2C, 0x1D2C, b'A', 0),
    (0x1D2E, 0x1D2E, b'B', 0),
    (0x1D30, 0x1D31, b'D', 1),
    (0x1D33, 0x1D3A, b'G', 1),
    (0x1D3C, 0x1D3C, b'O', 0),
    (0x1D3E, 0x1D3E, b'P', 0),
    (0x1D3F, 0x1D3F, b'R', 0),
    (0x1D40, 0x1D41, b'T', 1),
    (0x1D42, 0x1D42, b'W', 0),
    (0x1D43, 0x1D43, b'a', 0),
    (0x1D47, 0x1D47, b'b', 0),
    (0x1D48, 0x1D49, b'd', 1),
    (0x1D4D, 0x1D4D, b'g', 0),
    (0x1D4F, 0x1D4F, b'k', 0),
    (0x1D50, 0x1D50, b'm', 0),
    (0x1D52, 0x1D52, b'o', 0),
    (0x1D56, 0x1D56, b'p', 0),
    (0x1D57, 0x1D58, b't', 1),
    (0x1D5B, 0x1D5B, b'v', 0),
    (0x1D62, 0x1D62, b'i', 0),
    (0x1D63, 0x1D63, b'r', 0),
    (0x1D64, 0x1D65, b'u', 1),
    (0x1D9C, 0x1D9C, b'c', 0),
    (0x1DA0, 0x1DA0, b'f', 0),
    (0x1DBB, 0x1DBB, b'z', 0),
    (0x2000, 0x200A, b' ', 0),
    (0x2010, 0x2015, b'-', 0),
    (0x2024, 0x2024, b'.', 0),
    (0x2028, 0x2029, b' ', 0),
    (0x202F, 0x202F, b' ', 0),
    (0x2043, 0x2043, b'-', 0),
    (0x205F, 0x205F, b' ', 0),
    (0x2070, 0x2070, b'0', 0),
    (0x2071, 0x2071, b'i', 0),
    (0x2074, 0x2079, b'4', 1),
    (0x207A, 0x207A, b'+', 0),
    (0x207D, 0x207E, b'(', 1),
    (0x207F, 0x207F, b'n', 0),
    (0x2080, 0x2089, b'0', 1),
    (0x208A, 0x208A, b'+', 0),
    (0x208D, 0x208E, b'(', 1),
    (0x2090, 0x2090, b'a', 0),
    (0x2091, 0x2091, b'e', 0),
    (0x2092, 0x2092, b'o', 0),
    (0x2093, 0x2093, b'x', 0),
    (0x2095, 0x2095, b'h', 0),
    (0x2096, 0x2099, b'k', 1),
    (0x209A, 0x209A, b'p', 0),
    (0x209B, 0x209C, b's', 1),
    (0x2102, 0x2102, b'C', 0),
    (0x210A, 0x210A, b'g', 0),
    (0x210B, 0x210D, b'H', 0),
    (0x210E, 0x210E, b'h', 0),
    (0x2110, 0x2111, b'I', 0),
    (0x2112, 0x2112, b'L', 0),
    (0x2113, 0x2113, b'l', 0),
    (0x2115, 0x2115, b'N', 0),
    (0x2119, 0x211B, b'P', 1),
    (0x211C, 0x211D, b'R', 0),
    (0x2124, 0x2124, b'Z', 0),
    (0x2128, 0x2128, b'Z', 0),
    (0x212A, 0x212A, b'K', 0),
    (0x212C, 0x212D, b'B', 1),
    (0x212F, 0x212F, b'e', 0),
    (0x2130, 0x2131, b'E', 1),
    (0x2133, 0x2133, b'M', 0),
    (0x2134, 0x2134, b'o', 0),
    (0x2139, 0x2139, b'i', 0),
    (0x2145, 0x2145, b'D', 0),
    (0x2146, 0x2147, b'd', 1),
    (0x2148, 0x2149, b'i', 1),
    (0x2160, 0x2160, b'I', 0),
    (0x2164, 0x2164, b'V', 0),
    (0x2169, 0x2169, b'X', 0),
    (0x216C, 0x216C, b'L', 0),
    (0x216D, 0x216E, b'C', 1),
    (0x216F, 0x216F, b'M', 0),
    (0x2170, 0x2170, b'i', 0),
    (0x2174, 0x2174, b'v', 0),
    (0x2179, 0x2179, b'x', 0),
    (0x217C, 0x217C, b'l', 0),
    (0x217D, 0x217E, b'c', 1),
    (0x217F, 0x217F, b'm', 0),
    (0x2212, 0x2212, b'-', 0),
    (0x2460, 0x2468, b'1', 1),
    (0x24B6, 0x24CF, b'A', 1),
    (0x24D0, 0x24E9, b'a', 1),
    (0x24EA, 0x24EA, b'0', 0),
    (0x24F5, 0x24FD, b'1', 1),
    (0x2776, 0x277E, b'1', 1),
    (0x2780, 0x2788, b'1', 1),
    (0x278A, 0x2792, b'1', 1),
    (0x2C7C, 0x2C7C, b'j', 0),
    (0x2C7D, 0x2C7D, b'V', 0),
    (0x2E17, 0x2E17, b'-', 0),
    (0x2E3A, 0x2E3B, b'-', 0),
    (0x3000, 0x3000, b' ', 0),
    (0x3002, 0x3002, b'.', 0),
    (0xA620, 0xA629, b'0', 1),
    (0xA7F2, 0xA7F2, b'C', 0),
    (0xA7F3, 0xA7F3, b'F', 0),
    (0xA7F4, 0xA7F4, b'Q', 0),
    (0xA8D0, 0xA8D9, b'0', 1),
    (0xA900, 0xA909, b'0', 1),
    (0xA9D0, 0xA9D9, b'0', 1),
    (0xA9F0, 0xA9F9, b'0', 1),
    (0xAA50, 0xAA59, b'0', 1),
    (0xABF0, 0xABF9, b'0', 1),
    (0xFB29, 0xFB29, b'+', 0),
    (0xFE10, 0xFE10, b',', 0),
    (0xFE13, 0xFE13, b':', 0),
    (0xFE33, 0xFE34, b'_', 0),
    (0xFE35, 0xFE36, b'(', 1),
    (0xFE4D, 0xFE4F, b'_', 0),
    (0xFE50, 0xFE50, b',', 0),
    (0xFE52, 0xFE52, b'.', 0),
    (0xFE55, 0xFE55, b':', 0),
    (0xFE58, 0xFE58, b'-', 0),
    (0xFE59, 0xFE5A, b'(', 1),
    (0xFE5F, 0xFE5F, b'#', 0),
    (0xFE62, 0xFE62, b'+', 0),
    (0xFE63, 0xFE63, b'-', 0),
    (0xFE6B, 0xFE6B, b'@', 0),
    (0xFF03, 0xFF03, b'#', 0),
    (0xFF08, 0xFF09, b'(', 1),
    (0xFF0B, 0xFF1A, b'+', 1),
    (0xFF20, 0xFF3A, b'@', 1),
    (0xFF3F, 0xFF3F, b'_', 0),
    (0xFF41, 0xFF5A, b'a', 1),
    (0xFF61, 0xFF61, b'.', 0),
    (0x104A0, 0x104A9, b'0', 1),
    (0x107A5, 0x107A5, b'q', 0),
    (0x10D30, 0x10D39, b'0', 1),
    (0x11066, 0x1106F, b'0', 1),
    (0x110F0, 0x110F9, b'0', 1),
    (0x11136, 0x1113F, b'0', 1),
    (0x111D0, 0x111D9, b'0', 1),
    (0x112F0, 0x112F9, b'0', 1),
    (0x11450, 0x11459, b'0', 1),
    (0x114D0, 0x114D9, b'0', 1),
    (0x11650, 0x11659, b'0', 1),
    (0x116C0, 0x116C9, b'0', 1),
    (0x11730, 0x11739, b'0', 1),
    (0x118E0, 0x118E9, b'0', 1),
    (0x11950, 0x11959, b'0', 1),
    (0x11C50, 0x11C59, b'0', 1),
    (0x11D50, 0x11D59, b'0', 1),
    (0x11DA0, 0x11DA9, b'0', 1),
    (0x16A60, 0x16A69, b'0', 1),
    (0x16AC0, 0x16AC9, b'0', 1),
    (0x16B50, 0x16B59, b'0', 1),
    (0x1D400, 0x1D419, b'A', 1),
    (0x1D41A, 0x1D433, b'a', 1),
    (0x1D434, 0x1D44D, b'A', 1),
    (0x1D44E, 0x1D454, b'a', 1),
    (0x1D456, 0x1D467, b'i', 1),
    (0x1D468, 0x1D481, b'A', 1),
    (0x1D482, 0x1D49B, b'a', 1),
    (0x1D49C, 0x1D49C, b'A', 0),
    (0x1D49E, 0x1D49F, b'C', 1),
    (0x1D4A2, 0x1D4A2, b'G', 0),
    (0x1D4A5, 0x1D4A6, b'J', 1),
    (0x1D4A9, 0x1D4AC, b'N', 1),
    (0x1D4AE, 0x1D4B5, b'S', 1),
    (0x1D4B6, 0x1D4B9, b'a', 1),
    (0x1D4BB, 0x1D4BB, b'f', 0),
    (0x1D4BD, 0x1D4C3, b'h', 1),
    (0x1D4C5, 0x1D4CF, b'p', 1),
    (0x1D4D0, 0x1D4E9, b'A', 1),
    (0x1D4EA, 0x1D503, b'a', 1),
    (0x1D504, 0x1D505, b'A', 1),
    (0x1D507, 0x1D50A, b'D', 1),
    (0x1D50D, 0x1D514, b'J', 1),
    (0x1D516, 0x1D51C, b'S', 1),
    (0x1D51E, 0x1D537, b'a', 1),
    (0x1D538, 0x1D539, b'A', 1),
    (0x1D53B, 0x1D53E, b'D', 1),
    (0x1D540, 0x1D544, b'I', 1),
    (0x1D546, 0x1D546, b'O', 0),
    (0x1D54A, 0x1D550, b'S', 1),
    (0x1D552, 0x1D56B, b'a', 1),
    (0x1D56C, 0x1D585, b'A', 1),
    (0x1D586, 0x1D59F, b'a', 1),
    (0x1D5A0, 0x1D5B9, b'A', 1),
    (0x1D5BA, 0x1D5D3, b'a', 1),
    (0x1D5D4, 0x1D5ED, b'A', 1),
    (0x1D5EE, 0x1D607, b'a', 1),
    (0x1D608, 0x1D621, b'A', 1),
    (0x1D622, 0x1D63B, b'a', 1),
    (0x1D63C, 0x1D655, b'A', 1),
    (0x1D656, 0x1D66F, b'a', 1),
    (0x1D670, 0x1D689, b'A', 1),
    (0x1D68A, 0x1D6A3, b'a', 1),
    (0x1D7CE, 0x1D7D7, b'0', 1),
    (0x1D7D8, 0x1D7E1, b'0', 1),
    (0x1D7E2, 0x1D7EB, b'0', 1),
    (0x1D7EC, 0x1D7F5, b'0', 1),
    (0x1D7F6, 0x1D7FF, b'0', 1),
    (0x1E140, 0x1E149, b'0', 1),
    (0x1E2F0, 0x1E2F9, b'0', 1),
    (0x1E950, 0x1E959, b'0', 1),
    (0x1F12B, 0x1F12B, b'C', 0),
    (0x1F12C, 0x1F12C, b'R', 0),
    (0x1F130, 0x1F149, b'A', 1),
    (0x1FBF0, 0x1FBF9, b'0', 1),
];

enum Fold {
    Keep,
    Drop,
    Ascii(u8),
}

fn fold(c: char) -> Fold {
    let cp = c as u32;
    if DROP
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
    {
        return Fold::Drop;
    }
    match FOLD.binary_search_by(|&(lo, hi, _, _)| {
        if hi < cp {
            std::cmp::Ordering::Less
        } else if lo > cp {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    }) {
        Ok(i) => {
            let (lo, _, a, step) = FOLD[i];
            Fold::Ascii(a.wrapping_add(((cp - lo) * step as u32) as u8))
        }
        Err(_) => Fold::Keep,
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
