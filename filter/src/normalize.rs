//! Folding of look-alike characters so that detectors see ASCII.
//!
//! Personal data is routinely written with characters that defeat naive
//! patterns: full-width or other-script digits, no-break and thin spaces,
//! typographic dashes, compatibility forms (`﹫`, `＠`, circled or
//! mathematical digits and letters), and invisible characters (every format
//! character of Unicode category Cf: zero-width space, soft hyphen, word
//! joiner, bidi marks, embeddings and isolates; variation selectors), and
//! combining marks, which decorate a digit without changing what it reads
//! as (`4\u{332}`, the keycap `4\u{fe0f}\u{20e3}`).
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
                (s, marks_end(self.original, last + char_len_at(self.original, last)))
            }
        }
    }

    pub fn is_folded(&self) -> bool {
        self.map.is_some()
    }
}

/// Combining marks (Unicode 14.0.0 categories Mn and Me, variation
/// selectors included; gaps of unassigned code points merged): they
/// decorate the character before them. Those of the blocks that attach to
/// a character of any script (U+0300–036F, U+20D0–20FF, ...) are in
/// [`DROP`]; the others (Arabic harakat `\u{651}`, Hebrew points,
/// Devanagari nukta, Thai tone marks, ...) are dropped after a character
/// that folds to ASCII ([`normalize`]): `4\u{651}1\u{651}1…` reads as
/// `411…`, and text of their own script is left as written.
const MARKS: &[(u32, u32)] = &[
    (0x300, 0x36F),
    (0x483, 0x489),
    (0x591, 0x5BD),
    (0x5BF, 0x5BF),
    (0x5C1, 0x5C2),
    (0x5C4, 0x5C5),
    (0x5C7, 0x5C7),
    (0x610, 0x61A),
    (0x64B, 0x65F),
    (0x670, 0x670),
    (0x6D6, 0x6DC),
    (0x6DF, 0x6E4),
    (0x6E7, 0x6E8),
    (0x6EA, 0x6ED),
    (0x711, 0x711),
    (0x730, 0x74A),
    (0x7A6, 0x7B0),
    (0x7EB, 0x7F3),
    (0x7FD, 0x7FD),
    (0x816, 0x819),
    (0x81B, 0x823),
    (0x825, 0x827),
    (0x829, 0x82D),
    (0x859, 0x85B),
    (0x898, 0x89F),
    (0x8CA, 0x8E1),
    (0x8E3, 0x902),
    (0x93A, 0x93A),
    (0x93C, 0x93C),
    (0x941, 0x948),
    (0x94D, 0x94D),
    (0x951, 0x957),
    (0x962, 0x963),
    (0x981, 0x981),
    (0x9BC, 0x9BC),
    (0x9C1, 0x9C4),
    (0x9CD, 0x9CD),
    (0x9E2, 0x9E3),
    (0x9FE, 0xA02),
    (0xA3C, 0xA3C),
    (0xA41, 0xA51),
    (0xA70, 0xA71),
    (0xA75, 0xA75),
    (0xA81, 0xA82),
    (0xABC, 0xABC),
    (0xAC1, 0xAC8),
    (0xACD, 0xACD),
    (0xAE2, 0xAE3),
    (0xAFA, 0xB01),
    (0xB3C, 0xB3C),
    (0xB3F, 0xB3F),
    (0xB41, 0xB44),
    (0xB4D, 0xB56),
    (0xB62, 0xB63),
    (0xB82, 0xB82),
    (0xBC0, 0xBC0),
    (0xBCD, 0xBCD),
    (0xC00, 0xC00),
    (0xC04, 0xC04),
    (0xC3C, 0xC3C),
    (0xC3E, 0xC40),
    (0xC46, 0xC56),
    (0xC62, 0xC63),
    (0xC81, 0xC81),
    (0xCBC, 0xCBC),
    (0xCBF, 0xCBF),
    (0xCC6, 0xCC6),
    (0xCCC, 0xCCD),
    (0xCE2, 0xCE3),
    (0xD00, 0xD01),
    (0xD3B, 0xD3C),
    (0xD41, 0xD44),
    (0xD4D, 0xD4D),
    (0xD62, 0xD63),
    (0xD81, 0xD81),
    (0xDCA, 0xDCA),
    (0xDD2, 0xDD6),
    (0xE31, 0xE31),
    (0xE34, 0xE3A),
    (0xE47, 0xE4E),
    (0xEB1, 0xEB1),
    (0xEB4, 0xEBC),
    (0xEC8, 0xECD),
    (0xF18, 0xF19),
    (0xF35, 0xF35),
    (0xF37, 0xF37),
    (0xF39, 0xF39),
    (0xF71, 0xF7E),
    (0xF80, 0xF84),
    (0xF86, 0xF87),
    (0xF8D, 0xFBC),
    (0xFC6, 0xFC6),
    (0x102D, 0x1030),
    (0x1032, 0x1037),
    (0x1039, 0x103A),
    (0x103D, 0x103E),
    (0x1058, 0x1059),
    (0x105E, 0x1060),
    (0x1071, 0x1074),
    (0x1082, 0x1082),
    (0x1085, 0x1086),
    (0x108D, 0x108D),
    (0x109D, 0x109D),
    (0x135D, 0x135F),
    (0x1712, 0x1714),
    (0x1732, 0x1733),
    (0x1752, 0x1753),
    (0x1772, 0x1773),
    (0x17B4, 0x17B5),
    (0x17B7, 0x17BD),
    (0x17C6, 0x17C6),
    (0x17C9, 0x17D3),
    (0x17DD, 0x17DD),
    (0x180B, 0x180D),
    (0x180F, 0x180F),
    (0x1885, 0x1886),
    (0x18A9, 0x18A9),
    (0x1920, 0x1922),
    (0x1927, 0x1928),
    (0x1932, 0x1932),
    (0x1939, 0x193B),
    (0x1A17, 0x1A18),
    (0x1A1B, 0x1A1B),
    (0x1A56, 0x1A56),
    (0x1A58, 0x1A60),
    (0x1A62, 0x1A62),
    (0x1A65, 0x1A6C),
    (0x1A73, 0x1A7F),
    (0x1AB0, 0x1B03),
    (0x1B34, 0x1B34),
    (0x1B36, 0x1B3A),
    (0x1B3C, 0x1B3C),
    (0x1B42, 0x1B42),
    (0x1B6B, 0x1B73),
    (0x1B80, 0x1B81),
    (0x1BA2, 0x1BA5),
    (0x1BA8, 0x1BA9),
    (0x1BAB, 0x1BAD),
    (0x1BE6, 0x1BE6),
    (0x1BE8, 0x1BE9),
    (0x1BED, 0x1BED),
    (0x1BEF, 0x1BF1),
    (0x1C2C, 0x1C33),
    (0x1C36, 0x1C37),
    (0x1CD0, 0x1CD2),
    (0x1CD4, 0x1CE0),
    (0x1CE2, 0x1CE8),
    (0x1CED, 0x1CED),
    (0x1CF4, 0x1CF4),
    (0x1CF8, 0x1CF9),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20F0),
    (0x2CEF, 0x2CF1),
    (0x2D7F, 0x2D7F),
    (0x2DE0, 0x2DFF),
    (0x302A, 0x302D),
    (0x3099, 0x309A),
    (0xA66F, 0xA672),
    (0xA674, 0xA67D),
    (0xA69E, 0xA69F),
    (0xA6F0, 0xA6F1),
    (0xA802, 0xA802),
    (0xA806, 0xA806),
    (0xA80B, 0xA80B),
    (0xA825, 0xA826),
    (0xA82C, 0xA82C),
    (0xA8C4, 0xA8C5),
    (0xA8E0, 0xA8F1),
    (0xA8FF, 0xA8FF),
    (0xA926, 0xA92D),
    (0xA947, 0xA951),
    (0xA980, 0xA982),
    (0xA9B3, 0xA9B3),
    (0xA9B6, 0xA9B9),
    (0xA9BC, 0xA9BD),
    (0xA9E5, 0xA9E5),
    (0xAA29, 0xAA2E),
    (0xAA31, 0xAA32),
    (0xAA35, 0xAA36),
    (0xAA43, 0xAA43),
    (0xAA4C, 0xAA4C),
    (0xAA7C, 0xAA7C),
    (0xAAB0, 0xAAB0),
    (0xAAB2, 0xAAB4),
    (0xAAB7, 0xAAB8),
    (0xAABE, 0xAABF),
    (0xAAC1, 0xAAC1),
    (0xAAEC, 0xAAED),
    (0xAAF6, 0xAAF6),
    (0xABE5, 0xABE5),
    (0xABE8, 0xABE8),
    (0xABED, 0xABED),
    (0xFB1E, 0xFB1E),
    (0xFE00, 0xFE0F),
    (0xFE20, 0xFE2F),
    (0x101FD, 0x101FD),
    (0x102E0, 0x102E0),
    (0x10376, 0x1037A),
    (0x10A01, 0x10A0F),
    (0x10A38, 0x10A3F),
    (0x10AE5, 0x10AE6),
    (0x10D24, 0x10D27),
    (0x10EAB, 0x10EAC),
    (0x10F46, 0x10F50),
    (0x10F82, 0x10F85),
    (0x11001, 0x11001),
    (0x11038, 0x11046),
    (0x11070, 0x11070),
    (0x11073, 0x11074),
    (0x1107F, 0x11081),
    (0x110B3, 0x110B6),
    (0x110B9, 0x110BA),
    (0x110C2, 0x110C2),
    (0x11100, 0x11102),
    (0x11127, 0x1112B),
    (0x1112D, 0x11134),
    (0x11173, 0x11173),
    (0x11180, 0x11181),
    (0x111B6, 0x111BE),
    (0x111C9, 0x111CC),
    (0x111CF, 0x111CF),
    (0x1122F, 0x11231),
    (0x11234, 0x11234),
    (0x11236, 0x11237),
    (0x1123E, 0x1123E),
    (0x112DF, 0x112DF),
    (0x112E3, 0x112EA),
    (0x11300, 0x11301),
    (0x1133B, 0x1133C),
    (0x11340, 0x11340),
    (0x11366, 0x11374),
    (0x11438, 0x1143F),
    (0x11442, 0x11444),
    (0x11446, 0x11446),
    (0x1145E, 0x1145E),
    (0x114B3, 0x114B8),
    (0x114BA, 0x114BA),
    (0x114BF, 0x114C0),
    (0x114C2, 0x114C3),
    (0x115B2, 0x115B5),
    (0x115BC, 0x115BD),
    (0x115BF, 0x115C0),
    (0x115DC, 0x115DD),
    (0x11633, 0x1163A),
    (0x1163D, 0x1163D),
    (0x1163F, 0x11640),
    (0x116AB, 0x116AB),
    (0x116AD, 0x116AD),
    (0x116B0, 0x116B5),
    (0x116B7, 0x116B7),
    (0x1171D, 0x1171F),
    (0x11722, 0x11725),
    (0x11727, 0x1172B),
    (0x1182F, 0x11837),
    (0x11839, 0x1183A),
    (0x1193B, 0x1193C),
    (0x1193E, 0x1193E),
    (0x11943, 0x11943),
    (0x119D4, 0x119DB),
    (0x119E0, 0x119E0),
    (0x11A01, 0x11A0A),
    (0x11A33, 0x11A38),
    (0x11A3B, 0x11A3E),
    (0x11A47, 0x11A47),
    (0x11A51, 0x11A56),
    (0x11A59, 0x11A5B),
    (0x11A8A, 0x11A96),
    (0x11A98, 0x11A99),
    (0x11C30, 0x11C3D),
    (0x11C3F, 0x11C3F),
    (0x11C92, 0x11CA7),
    (0x11CAA, 0x11CB0),
    (0x11CB2, 0x11CB3),
    (0x11CB5, 0x11CB6),
    (0x11D31, 0x11D45),
    (0x11D47, 0x11D47),
    (0x11D90, 0x11D91),
    (0x11D95, 0x11D95),
    (0x11D97, 0x11D97),
    (0x11EF3, 0x11EF4),
    (0x16AF0, 0x16AF4),
    (0x16B30, 0x16B36),
    (0x16F4F, 0x16F4F),
    (0x16F8F, 0x16F92),
    (0x16FE4, 0x16FE4),
    (0x1BC9D, 0x1BC9E),
    (0x1CF00, 0x1CF46),
    (0x1D167, 0x1D169),
    (0x1D17B, 0x1D182),
    (0x1D185, 0x1D18B),
    (0x1D1AA, 0x1D1AD),
    (0x1D242, 0x1D244),
    (0x1DA00, 0x1DA36),
    (0x1DA3B, 0x1DA6C),
    (0x1DA75, 0x1DA75),
    (0x1DA84, 0x1DA84),
    (0x1DA9B, 0x1DAAF),
    (0x1E000, 0x1E02A),
    (0x1E130, 0x1E136),
    (0x1E2AE, 0x1E2AE),
    (0x1E2EC, 0x1E2EF),
    (0x1E8D0, 0x1E8D6),
    (0x1E944, 0x1E94A),
    (0xE0100, 0xE01EF),
];

/// `i` moved past the marks that decorate the character ending at `i`
/// (`1\u{fe0f}\u{20e3}`, `1\u{332}`), so a redaction ending on a
/// decorated character takes its marks too.
fn marks_end(s: &[u8], mut i: usize) -> usize {
    while let Some(c) = s
        .get(i..)
        .and_then(|t| t.get(..char_len_at(s, i)))
        .and_then(|t| std::str::from_utf8(t).ok())
        .and_then(|t| t.chars().next())
    {
        if !in_ranges(MARKS, c as u32) {
            break;
        }
        i += c.len_utf8();
    }
    i
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
/// category Cf and every Default_Ignorable_Code_Point: variation selectors,
/// invisible fillers, and the unassigned ones a renderer hides too (U+2065,
/// U+FFF0–FFF8, U+E0000–E0FFF); the blocks of combining marks that attach
/// to a character of any script ([`MARKS`]), so that `4\u{332}` or the
/// keycap `4\u{fe0f}\u{20e3}` reads as `4`; and the two marks that stretch
/// a joining line between letters, Arabic tatweel U+0640 and N'Ko
/// lajanalat U+07FA, so that `4ـ1ـ1ـ1…` reads as `4111…`), as inclusive
/// ranges.
const DROP: &[(u32, u32)] = &[
    // C1 controls but NEL (white space, [`FOLD`]): nothing to the eye, and
    // stripped by the sanitisers that strip controls ([`dropped_control`])
    (0x80, 0x84),
    (0x86, 0x9F),
    (0xAD, 0xAD),
    (0x300, 0x36F),
    (0x483, 0x489),
    (0x600, 0x605),
    (0x61C, 0x61C),
    (0x640, 0x640),
    (0x6DD, 0x6DD),
    (0x70F, 0x70F),
    (0x7FA, 0x7FA),
    (0x890, 0x891),
    (0x8E2, 0x8E2),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x20D0, 0x20FF),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFE20, 0xFE2F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x13438),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
];

/// Code points folded to one ASCII character (generated from Unicode 14.0.0: category Zs
/// to space, Nd digits, and NFKC compatibility forms of letters, digits and the
/// punctuation detectors read): `(first, last, ascii of first, step)`; step 1
/// means consecutive code points map to consecutive ASCII characters.
const FOLD: &[(u32, u32, u8, u8)] = &[
    // NEL (a control character, not Zs): white space to Python's `str.split` and .NET's `\s`
    (0x85, 0x85, b' ', 0),
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
    // the blank Braille cell (a symbol, not Zs): it renders as a space
    (0x2800, 0x2800, b' ', 0),
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

/// Whether `cp` is in one of the sorted, disjoint inclusive `ranges`.
#[inline]
fn in_ranges(ranges: &[(u32, u32)], cp: u32) -> bool {
    ranges
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
}

enum Fold {
    Keep,
    Drop,
    Ascii(u8),
}

fn fold(c: char) -> Fold {
    let cp = c as u32;
    if in_ranges(DROP, cp) {
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

/// ASCII controls that are neither white space nor read as a space
/// ([`space_control`]): SOH to BS, SO to ESC and DEL. Nothing to the eye
/// and stripped by the sanitisers that strip controls, so `4111\x011111…`
/// is a card to whoever reads it: dropped, as format characters are.
#[inline(always)]
pub(crate) const fn dropped_control(b: u8) -> bool {
    matches!(b, 0x01..=0x08 | 0x0E..=0x1B | 0x7F)
}

/// ASCII without a [`dropped_control`]: the text is read as it is. Eight
/// bytes at a time (the last ones padded with spaces), one test for a byte
/// at or above 0x80, below 0x20 or DEL; only a word with one (a line
/// break, mostly) is looked at byte by byte.
#[inline]
fn plain_ascii(input: &[u8]) -> bool {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let plain = |x: u64, w: &[u8]| {
        // (a byte at or above 0x80 flags itself; below it, a borrow or a
        // carry reaches the high bit only of a byte below 0x20 or of 0x7F)
        let flags = (x | (x.wrapping_sub(ONES * 0x20) & !x) | x.wrapping_add(ONES)) & HIGH;
        flags == 0 || (x & HIGH == 0 && !w.iter().any(|&b| dropped_control(b)))
    };
    if input.len() < 8 {
        // one bit per ASCII byte that is not plain (and none at or above 0x80)
        const NOT_PLAIN: u128 = {
            let (mut m, mut b) = (0u128, 0u8);
            while b < 0x80 {
                if dropped_control(b) {
                    m |= 1 << b;
                }
                b += 1;
            }
            m
        };
        return input.iter().all(|&b| b < 0x80 && (NOT_PLAIN >> b) & 1 == 0);
    }
    let word = |w: &[u8]| u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
    let mut words = input.chunks_exact(8);
    for w in &mut words {
        if !plain(word(w), w) {
            return false;
        }
    }
    // the last eight bytes, overlapping the words before
    let last = &input[input.len() - 8..];
    words.remainder().is_empty() || plain(word(last), last)
}

/// Folds `input` for detection. Borrowed when there is nothing to fold.
pub fn normalize(input: &[u8]) -> Normalized<'_> {
    if plain_ascii(input) {
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
        if dropped_control(b) {
            changed = true;
            i += 1;
            continue;
        }
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
            // a combining mark on a character that folds to ASCII (or on
            // another mark dropped so): dropped ([`MARKS`])
            Some(Fold::Keep)
                if out.last().is_none_or(|&b| b < 0x80)
                    && decoded.is_some_and(|c| c as u32 >= 0x300 && in_ranges(MARKS, c as u32)) =>
            {
                changed = true;
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

/// Digit groups joined across separators the detectors do not read as one
/// value (`4111:1111:1111:1111`, `4111|1111|…`, `4111•1111…`, `4111/…`, one
/// group per line, `4 1 1 1 …` with a space after every digit): a text of
/// just those runs, each rewritten the way the detectors read a value
/// (groups separated by one space; single characters joined), and a map
/// from every byte of it back to the scanned text.
///
/// Only runs whose separators are all alike and whose groups have the shape
/// of a value ([`value_shaped`]) qualify: times (`12:34:56`), ratios, dates,
/// table rows, numeric paths and IPv6 addresses are never joined, and
/// what is found in the joined text still has to pass its validator
/// (callers keep only detectors with check digits).
#[derive(Default)]
pub struct Joined {
    pub text: Vec<u8>,
    map: Vec<u32>,
}

impl Joined {
    /// An empty text (filled by the readers that rewrite a value: here and
    /// [`crate::spelled`]).
    pub fn new() -> Joined {
        Joined::default()
    }

    /// Appends `byte`, which stands for the scanned text at `at`.
    pub fn push(&mut self, byte: u8, at: usize) {
        self.text.push(byte);
        self.map.push(at as u32);
    }

    /// Appends `t[a..z]` as it is.
    pub fn extend_from(&mut self, t: &[u8], a: usize, z: usize) {
        self.text.extend_from_slice(&t[a..z]);
        self.map.extend((a..z).map(|k| k as u32));
    }

    /// The range of the scanned text that `start..end` of the joined text
    /// came from.
    pub fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        match (self.map.get(start), end.checked_sub(1).and_then(|e| self.map.get(e))) {
            (Some(&a), Some(&z)) if start < end => (a as usize, z as usize + 1),
            _ => (0, 0),
        }
    }
}

/// ASCII controls that backends read as white space between digit groups:
/// VT and FF (`\s` in Python, JavaScript, Java, .NET), FS to US (Python's
/// `str.split`), and NUL (dropped by some, a gap to the eye). The numeric
/// pattern and [`separator_at`] read them as a space: cheaper than folding
/// them in [`normalize`], whose all-ASCII input is borrowed without a pass.
#[inline(always)]
pub(crate) const fn space_control(c: u8) -> bool {
    matches!(c, 0x00 | 0x0B | 0x0C | 0x1C..=0x1F)
}

/// A space, a tab or a [`space_control`]: one look (a mask of the bytes up
/// to 0x20) for [`separator_at`], which runs at every digit group's end.
#[inline(always)]
fn space_like(c: u8) -> bool {
    const MASK: u64 = 1 << 0x20 | 1 << 0x09 | 1 | 1 << 0x0B | 1 << 0x0C | 0xF << 0x1C;
    c <= 0x20 && (MASK >> c) & 1 == 1
}

/// Fewest digits in a run worth joining (a Swedish personnummer has 10).
pub const JOIN_MIN_DIGITS: usize = 10;

/// Longest token (letters and digits) inside a joined run: IBAN groups are
/// 4, card groups at most 6; a longer token is a value on its own.
const JOIN_MAX_TOKEN: usize = 8;

/// Most tokens in one run (a card with a space after every digit has 19,
/// an IBAN split per character 34).
const JOIN_MAX_TOKENS: usize = 40;

/// The separator at `i`: (its kind, its length). Kinds: `b' '` white space
/// ([`spaces`]: one byte, or two or three before a letter or digit);
/// otherwise the joiner: an ASCII punctuation character
/// (`:`, `|`, `*`, `/`, `\\`, `;`, `~`, `+`, `=`, `#`, `-`, `.`, `,`, `_`,
/// brackets, quotes, ...), `\n` for a line break (`\r\n` and `\r` too),
/// 0xB7 for a middle dot or bullet (`•`, `·`, `∙`, `⋅`, `‧`, `・`, `･`, ...),
/// or the ASCII character a Unicode form of a bar, slash or comma stands
/// for (`｜`, `∣`, `∕`, `、`, full-width punctuation), or any other Unicode
/// punctuation or symbol (`…`, `»`, `→`: a kind of their own); with optional
/// spaces around it. [`weak`] kinds join only single characters.
///
/// Two separators of fields are read too. Markup between the texts of
/// sibling elements (`4111</a><b>1111`, `</td>⏎  <td>`: tags, white space
/// between them; [`markup`]) is the joiner `<`. A line break with the
/// empty cells of a table row beside it (`4111 1111⏎,1111 1111`,
/// `…1111,,⏎;1111`: a continuation row; [`empty_cells`]) is a line break.
#[inline]
fn separator_at(t: &[u8], i: usize) -> Option<(u8, usize)> {
    let mut j = i;
    while j < t.len() && j - i < 2 && space_like(t[j]) {
        j += 1;
    }
    let lead = j - i;
    let (kind, len) = match t.get(j..) {
        Some([b'<' | b'\r' | b'\n' | b',' | b';' | b'|' | b'"' | b'\'', ..]) => match field_separator(t, j) {
            // (markup: white space after it included)
            (b'<', e) if e > j + 1 => return Some((b'<', e - i)),
            (kind, e) => (kind, e - j),
        },
        Some([c, ..]) if c.is_ascii_punctuation() => (*c, 1),
        Some([c, ..]) if *c >= 0x80 => match unicode_separator(&t[j..]) {
            Some(found) => found,
            None => return (lead == 1).then_some((b' ', 1)),
        },
        _ => {
            return spaces(t, i, lead);
        }
    };
    let mut k = j + len;
    let mut trail = 0;
    while k < t.len() && trail < 2 && matches!(t[k], b' ' | b'\t') {
        k += 1;
        trail += 1;
    }
    // more punctuation after it (`** **`, `""`, `" "`, `)) ((`, `--`):
    // one separator of a kind of its own, never weak
    if compound_byte(kind) && t.get(k).is_some_and(|c| !c.is_ascii_alphanumeric()) {
        if let Some(e) = compound(t, j, j + len) {
            return Some((kind | 0x80, e - i));
        }
    }
    Some((kind, k - i))
}

/// The separator at `i` made of white space alone ([`space_like`]; `lead`
/// bytes of it read, up to two): one byte, or two or three before a letter
/// or digit (`D E 8 9  3 7 0 4`, `4  1  1  1 …`: characters spelled out one
/// by one, groups set apart by a wider gap): the kind `b' '`, [`weak`].
#[inline]
fn spaces(t: &[u8], i: usize, lead: usize) -> Option<(u8, usize)> {
    let alnum = |k: usize| t.get(k).is_some_and(u8::is_ascii_alphanumeric);
    match lead {
        1 => Some((b' ', 1)),
        2 if alnum(i + 2) => Some((b' ', 2)),
        2 if t.get(i + 2).is_some_and(|&c| space_like(c)) && alnum(i + 3) => Some((b' ', 3)),
        _ => None,
    }
}

/// Longest compound separator ([`compound`]), spaces inside included.
const COMPOUND_MAX: usize = 8;

/// An ASCII punctuation byte a compound separator is made of: not a cell
/// separator (`,`, `;`, `|`: empty cells, [`empty_cells`]) nor markup.
fn compound_byte(c: u8) -> bool {
    c.is_ascii_punctuation() && !matches!(c, b',' | b';' | b'|' | b'<')
}

/// The end (after up to two spaces or tabs) of a separator of several
/// punctuation bytes that starts at `j` with the one before `from`, up
/// to two spaces or tabs between them, at most [`COMPOUND_MAX`] bytes:
/// what stands between the groups of `**4111** **1111**`, `"4111""1111"`,
/// `__4111__ __1111__`. `None` without a second punctuation byte.
/// (Out of line: [`separator_at`] is inlined in the join gate's walk.)
#[cold]
#[inline(never)]
fn compound(t: &[u8], j: usize, from: usize) -> Option<usize> {
    let ws = |k: usize| t.get(k).is_some_and(|c| matches!(c, b' ' | b'\t'));
    let mut k = from;
    let mut more = false;
    loop {
        let mut g = 0;
        while g < 2 && ws(k + g) {
            g += 1;
        }
        match t.get(k + g) {
            Some(&c) if compound_byte(c) && k + g + 1 - j <= COMPOUND_MAX => {
                k += g + 1;
                more = true;
            }
            _ => break,
        }
    }
    if !more {
        return None;
    }
    let mut g = 0;
    while g < 2 && ws(k + g) {
        g += 1;
    }
    Some(k + g)
}

/// The separator at `j` (after the spaces before it) when it starts with
/// a byte that may separate fields (`<`, a line break, `,`, `;`, `|`, a
/// quote): its kind and end. Markup ([`markup`]), a line break with the
/// empty cells beside it ([`empty_cells`]), the boundary of two quoted
/// cells ([`quoted_cells`]), or the byte itself (its end `j + 1`).
#[inline(never)]
fn field_separator(t: &[u8], j: usize) -> (u8, usize) {
    let c = t[j];
    if matches!(c, b'<' | b'\r' | b'\n') {
        if let Some(e) = markup(t, j) {
            return (b'<', e);
        }
    }
    match c {
        b'\r' if t.get(j + 1) == Some(&b'\n') => (b'\n', empty_cells(t, j + 2)),
        b'\r' | b'\n' => (b'\n', empty_cells(t, j + 1)),
        b',' | b';' | b'|' => match line_break_after_cells(t, j) {
            Some(b) => (b'\n', empty_cells(t, b)),
            None => (c, j + 1),
        },
        b'"' | b'\'' => (c, quoted_cells(t, j, c).unwrap_or(j + 1)),
        _ => (c, j + 1),
    }
}

/// Most bytes of empty cells beside a line break ([`empty_cells`]).
const EMPTY_CELLS: usize = 16;

/// The end of the empty cells of a table row at `k`: cell separators
/// (`,`, `;`, `|`), each with up to two spaces or tabs before it, at most
/// [`EMPTY_CELLS`] bytes (`k` itself when there are none).
fn empty_cells(t: &[u8], k: usize) -> usize {
    let mut end = k;
    let mut w = k;
    loop {
        let mut g = 0;
        while g < 2 && t.get(w + g).is_some_and(|c| matches!(c, b' ' | b'\t')) {
            g += 1;
        }
        match t.get(w + g) {
            Some(b',' | b';' | b'|') if w + g + 1 - k <= EMPTY_CELLS => {
                w += g + 1;
                end = w;
            }
            _ => return end,
        }
    }
}

/// The end of the line break after the empty cells at `j` (`,,⏎`), if
/// one follows them.
fn line_break_after_cells(t: &[u8], j: usize) -> Option<usize> {
    let e = empty_cells(t, j);
    let mut k = e;
    while k - e < 2 && t.get(k).is_some_and(|c| matches!(c, b' ' | b'\t')) {
        k += 1;
    }
    match t.get(k..) {
        Some([b'\r', b'\n', ..]) => Some(k + 2),
        Some([b'\r' | b'\n', ..]) => Some(k + 1),
        _ => None,
    }
}

/// The end of the boundary of two quoted cells at `j` (`","`, `" ; "`,
/// `'|'`, `"\t"`: the closing quote `q`, a cell separator, the opening
/// quote, up to two spaces or tabs around the separator).
fn quoted_cells(t: &[u8], j: usize, q: u8) -> Option<usize> {
    let mut k = j + 1;
    let mut g = 0;
    while g < 2 && t.get(k).is_some_and(|c| matches!(c, b' ' | b'\t')) {
        k += 1;
        g += 1;
    }
    if matches!(t.get(k), Some(b',' | b';' | b'|')) {
        k += 1;
    } else if g == 0 || t[k - 1] != b'\t' {
        // (a tab alone separates the cells of a TSV row)
        return None;
    }
    let mut g = 0;
    while g < 2 && t.get(k).is_some_and(|c| matches!(c, b' ' | b'\t')) {
        k += 1;
        g += 1;
    }
    (t.get(k) == Some(&q)).then_some(k + 1)
}

/// Longest markup read as one separator ([`markup`]).
const MARKUP_MAX: usize = 256;

/// The end of the markup at `j` between the texts of two elements: one
/// tag or more (`<x …>`, `</x>`, `<x/>`, `<!-- … -->`, `<?…?>`; no `<` inside
/// one), with white space (line breaks too) before, between and after
/// them, at most [`MARKUP_MAX`] bytes; `None` without a tag. What a
/// reader of the document sees there is the boundary of two fields.
fn markup(t: &[u8], j: usize) -> Option<usize> {
    let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let limit = t.len().min(j + MARKUP_MAX);
    let mut k = j;
    let mut tags = 0;
    loop {
        while k < limit && ws(&t[k]) {
            k += 1;
        }
        if k >= limit || t[k] != b'<' {
            break;
        }
        let Some(&c) = t.get(k + 1) else { break };
        if !(c.is_ascii_alphabetic() || matches!(c, b'/' | b'!' | b'?')) {
            break;
        }
        let Some(e) = t[k + 1..limit].iter().position(|&c| c == b'>' || c == b'<') else {
            break;
        };
        if t[k + 1 + e] != b'>' {
            break;
        }
        k += e + 2;
        tags += 1;
    }
    (tags > 0).then_some(k)
}

/// The separator kind of the (non-ASCII) character `s` starts with, and its
/// length in bytes.
#[cold]
#[inline(never)]
fn unicode_separator(s: &[u8]) -> Option<(u8, usize)> {
    let len = char_len_at(s, 0);
    let c = std::str::from_utf8(s.get(..len)?).ok()?.chars().next()? as u32;
    let kind = match c {
        // middle dots and bullets: U+00B7, Greek ano teleia, bullets, dot
        // operators, hyphenation point, word separator and raised dots,
        // katakana and half-width katakana middle dots, circles, runic and
        // Aegean word separators, Latin sinological dot
        0xB7 | 0x387 | 0x16EB | 0x1427 | 0x2022 | 0x2023 | 0x2027 | 0x2219 | 0x22C5 | 0x2981 | 0x25CF | 0x25E6
        | 0x2E31 | 0x2E33 | 0x30FB | 0xA78F | 0xFF65 | 0x10101 => 0xB7,
        // bars and slashes
        0x1C0 | 0x2016 | 0x2223 | 0x2502 | 0x2758 | 0xFFE8 => b'|',
        0x2044 | 0x2215 | 0x29F8 => b'/',
        0x29F5 | 0xFE68 => b'\\',
        // ideographic and other commas
        0x3001 | 0xFE11 | 0xFF64 | 0x60C => b',',
        // full-width ASCII punctuation (what `normalize` does not fold)
        0xFF01..=0xFF5E => {
            let a = (c - 0xFEE0) as u8;
            if !a.is_ascii_punctuation() {
                return None;
            }
            a
        }
        // any other character that is no letter, digit, white space or
        // control: punctuation and symbols a reader reads through (`…`,
        // `‥`, `»`, `→`, `★`, `¦`, ...), one kind
        _ => {
            let c = char::from_u32(c)?;
            if c.is_alphanumeric() || c.is_whitespace() || c.is_control() {
                return None;
            }
            OTHER_SEPARATOR
        }
    };
    // a Unicode comma, hyphen, dot or low line is not what the patterns
    // read between groups (`4111、1111、…`): never [`weak`]
    Some((if weak(kind) { kind | 0x80 } else { kind }, len))
}

/// The kind of the separators [`unicode_separator`] names no ASCII
/// character for (no ASCII byte, compound kind or `0xB7`).
const OTHER_SEPARATOR: u8 = 0xFF;

/// Separator kinds that join only single characters (`4 1 1 1 …`,
/// `4-1-1-1…`, `4.1.1.1…`, `4,1,1…`, `4_1_1…`): between groups of digits
/// they are read by the numeric pattern itself, or are ordinary text
/// (sentences, dates, decimals, lists).
fn weak(kind: u8) -> bool {
    matches!(kind, b' ' | b'-' | b'.' | b',' | b'_')
}

/// Whether a separator of kind `next` goes on a run of single characters
/// joined by the [`weak`] kind `k`: the same kind, or white space (groups
/// set apart: `D-E-8-9 3-7-0-4`, `4.1.1.1 1.1.1.1 …`).
#[inline]
fn same_run(k: u8, next: u8) -> bool {
    next == k || (next == b' ' && weak(k))
}

/// Whether the tokens of a run have the grouping a value is written in:
/// one character each (10 to 34), a card (4-4-4-4, 4-4-4-4-3, 4-6-5,
/// 4-6-4), an IBAN (country and check digits, groups of 4, a shorter last
/// group) or a French NIR (1-2-2-2-3-3-2). Pipe tables, numeric paths and
/// lists of numbers in other groupings are left as they are.
fn value_shaped(t: &[u8], tokens: &[(usize, usize)]) -> bool {
    let lens: Vec<usize> = tokens.iter().map(|&(a, z)| z - a).collect();
    let digits_only = tokens.iter().all(|&(a, z)| t[a..z].iter().all(u8::is_ascii_digit));
    if lens.iter().all(|&l| l == 1) {
        return (JOIN_MIN_DIGITS..=34).contains(&lens.len());
    }
    if digits_only {
        return matches!(
            lens.as_slice(),
            [4, 4, 4, 4] | [4, 4, 4, 4, 3] | [4, 6, 5] | [4, 6, 4] | [1, 2, 2, 2, 3, 3, 2]
        );
    }
    let first = &t[tokens[0].0..tokens[0].1];
    let iban_head =
        first.len() == 4 && first[..2].iter().all(u8::is_ascii_alphabetic) && first[2..].iter().all(u8::is_ascii_digit);
    let (last, middle) = match lens.split_last() {
        Some((l, m)) => (*l, m),
        None => return false,
    };
    let total: usize = lens.iter().sum();
    iban_head && middle.iter().all(|&l| l == 4) && (1..=4).contains(&last) && (15..=34).contains(&total)
}

/// Appends `t[a..z]` to the joined text as a line of its own.
fn push_line(out: &mut Option<Joined>, t: &[u8], a: usize, z: usize) {
    let o = out.get_or_insert_with(Joined::new);
    if !o.text.is_empty() {
        o.push(b'\n', a);
    }
    o.extend_from(t, a, z);
}

/// Appends a run of tokens to the joined text as a line of its own, the
/// way the detectors read a value: groups separated by one space, single
/// characters joined.
fn push_run(out: &mut Option<Joined>, t: &[u8], tokens: &[(usize, usize)]) {
    let Some(&(first, _)) = tokens.first() else {
        return;
    };
    let o = out.get_or_insert_with(Joined::new);
    if !o.text.is_empty() {
        o.push(b'\n', first);
    }
    let single = tokens.iter().all(|&(a, z)| z - a == 1);
    for (n, &(a, z)) in tokens.iter().enumerate() {
        if n > 0 && !single {
            o.push(b' ', a);
        }
        o.extend_from(t, a, z);
    }
}

/// The values inside a run that is not one as a whole because words are
/// joined to it by the same separator (`card|4111|1111|1111|1111|exp`, a
/// label line, a card one digit per line, a text line): the sub-runs that
/// have a value's shape ([`value_shaped`], 10 digits or more) between the
/// words. Single characters: each maximal block of one-character tokens.
/// Digit groups (cards, NIR): only between words or the ends of the run,
/// never next to another group of 3 to 6 digits, so a row of numbers
/// (`1234|4111|1111|1111|1111`) is still not cut into values (see the
/// README: a card inside a longer run of digits is not looked for). IBANs:
/// from two letters and two digits, to the length of that country's IBAN
/// (the longest shaped sub-run for a country not known).
fn values_in_run(t: &[u8], tokens: &[(usize, usize)], emit: &mut impl FnMut(&[(usize, usize)])) {
    let n = tokens.len();
    let tok = |k: usize| &t[tokens[k].0..tokens[k].1];
    let digits = |r: &[(usize, usize)]| -> usize {
        r.iter()
            .map(|&(a, z)| t[a..z].iter().filter(|c| c.is_ascii_digit()).count())
            .sum()
    };
    let numeric = |k: usize| tok(k).iter().all(u8::is_ascii_digit);
    let group = |k: usize| numeric(k) && (3..=6).contains(&tok(k).len());
    let mut k = 0;
    while k < n {
        if tok(k).len() != 1 {
            k += 1;
            continue;
        }
        let b = k;
        while k < n && tok(k).len() == 1 {
            k += 1;
        }
        let r = &tokens[b..k];
        if k - b < n && digits(r) >= JOIN_MIN_DIGITS && value_shaped(t, r) {
            emit(r);
        }
    }
    for s in 0..n {
        if numeric(s) && !(s > 0 && group(s - 1)) {
            for l in [7, 5, 4, 3] {
                let e = s + l;
                if e > n || (e < n && group(e)) || (s == 0 && e == n) {
                    continue;
                }
                let r = &tokens[s..e];
                if digits(r) >= JOIN_MIN_DIGITS && value_shaped(t, r) {
                    emit(r);
                    break;
                }
            }
        }
        let h = tok(s);
        if h.len() == 4 && h[..2].iter().all(u8::is_ascii_alphabetic) && h[2..].iter().all(u8::is_ascii_digit) {
            let want = crate::validate::iban_length(&h[..2].to_ascii_uppercase());
            let mut total = 4;
            let mut best = None;
            for e in s + 2..=n {
                total += tok(e - 1).len();
                if total > 34 {
                    break;
                }
                let r = &tokens[s..e];
                if (s, e) != (0, n) && digits(r) >= JOIN_MIN_DIGITS && value_shaped(t, r) {
                    best = Some(e);
                    if want == Some(total) {
                        break;
                    }
                }
            }
            if let Some(e) = best {
                emit(&tokens[s..e]);
            }
        }
    }
}

/// Longest token searched for glued values (bounded work on long tokens).
const GLUED_MAX_TOKEN: usize = 256;

/// IBANs glued to letters or digits inside one token
/// (`IBANDE89370400440532013000EUR`), found where the validator is strong:
/// a country whose BBAN structure is known, its exact length and mod 97
/// here, the BBAN structure in the detector. (A card between letters, `ref4111111111111111x`, is already
/// read by the card detector; one inside a longer run of digits is not.)
fn glued_values(t: &[u8], start: usize, end: usize, out: &mut Option<Joined>) {
    if end - start > GLUED_MAX_TOKEN {
        return;
    }
    let tok = &t[start..end];
    for p in 0..tok.len().saturating_sub(14) {
        let head = &tok[p..p + 4];
        if !(head[0].is_ascii_uppercase()
            && head[1].is_ascii_uppercase()
            && head[2].is_ascii_digit()
            && head[3].is_ascii_digit())
        {
            continue;
        }
        // only countries whose BBAN structure is known: the detector checks it
        let Some(len) =
            crate::validate::iban_length(&head[..2]).filter(|_| crate::validate::bban_format(&head[..2]).is_some())
        else {
            continue;
        };
        let Some(w) = tok.get(p..p + len) else {
            continue;
        };
        let whole = p == 0 && len == tok.len();
        if !whole && w.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) && crate::validate::iban_mod97(w) {
            push_line(out, t, start + p, start + p + len);
        }
    }
}

/// A necessary condition for [`join_digit_groups`] to find anything, in
/// one pass without allocating: false means it returns `None`
/// (`tests::join_gate_is_sound` checks it against the full pass).
///
/// It finds something only in two ways. A glued IBAN ([`glued_values`])
/// starts with two capital letters and two digits. A qualifying run has 10
/// digits or more in tokens (maximal runs of letters and digits) joined by
/// separators ([`separator_at`]), and [`value_shaped`] leaves it three
/// shapes: single characters (10 to 34 of them, so at least nine
/// one-digit tokens are followed by a separator), digit groups starting
/// with a group of 4 digits or 1 digit (the French NIR), or an IBAN whose
/// first group is two letters and two digits. Every token of a run but the
/// last is followed by a separator, and a token of more than one character
/// is joined only by a separator that is not [`weak`] (a space, `-`, `.`,
/// `,`, `_`). So a run needs a one-digit token followed by a separator
/// (when it is weak, by a one-character token and the same kind again: the
/// run's first digit has nine more after it), or a four-character token
/// ending in two digits followed by a separator that is not weak. The same
/// holds for the values [`values_in_run`] finds inside a longer run: each
/// is a sub-run of one of these shapes, with 10 digits or more.
pub fn may_join_digit_groups(t: &[u8]) -> bool {
    let n = t.len();
    let mut digits = 0usize;
    let mut candidate = false;
    let mut i = 0;
    while i < n {
        if !t[i].is_ascii_digit() {
            // (to the next digit in one tight loop)
            match t[i + 1..].iter().position(u8::is_ascii_digit) {
                Some(k) => i += k + 1,
                None => break,
            }
            continue;
        }
        digits += 1;
        if candidate {
            if digits >= JOIN_MIN_DIGITS {
                return true;
            }
            i += 1;
            continue;
        }
        let alnum = |k: usize| t.get(k).is_some_and(u8::is_ascii_alphanumeric);
        // a token that starts with a digit after a line break: a value
        // [`mixed_runs`] keeps crosses a line break next to a digit (this,
        // or the arm below); two capital letters and two digits: a glued
        // IBAN's head
        if ((i == 0 || !t[i - 1].is_ascii_alphanumeric()) && break_before(t, i))
            || (i >= 3 && t[i - 1].is_ascii_digit() && t[i - 2].is_ascii_uppercase() && t[i - 3].is_ascii_uppercase())
        {
            candidate = true;
        } else if !alnum(i + 1) {
            // a token ends at `i` with a digit
            let one = i == 0 || !t[i - 1].is_ascii_alphanumeric();
            let four = i >= 3
                && t[i - 1].is_ascii_digit()
                && t[i - 2].is_ascii_alphanumeric()
                && t[i - 3].is_ascii_alphanumeric()
                && (i == 3 || !t[i - 4].is_ascii_alphanumeric());
            candidate = match separator_at(t, i + 1) {
                // a weak separator joins only single characters: the next
                // token is one character, followed by the same kind
                Some((k, len)) if weak(k) => {
                    let x = i + 1 + len;
                    one && alnum(x) && !alnum(x + 1) && separator_at(t, x + 1).is_some_and(|(kk, _)| same_run(k, kk))
                }
                // a line break after a digit, before a token ([`mixed_runs`])
                Some((b'\n', len)) => one || four || alnum(i + 1 + len),
                Some(_) => one || four,
                None => false,
            };
        }
        i += 1;
    }
    candidate && digits >= JOIN_MIN_DIGITS
}

/// [`may_join_digit_groups`] told whether `t` holds a line break (`\n` or
/// `\r`; the caller knows it from the byte classes). Without one, a token
/// start is never after a line break ([`break_before`] is false) and a
/// separator is never one ([`separator_at`]'s kind `\n` needs a line
/// break), so the separator after a token is read only where a token of
/// one character or four ending in two digits ends, and not where a weak
/// byte then a letter or digit follows a token of more than one character
/// (`2026-11`: only a weak separator, which joins single characters):
/// the answer of the walk that reads them (`tests/gate_equivalence.rs`).
pub fn may_join_digit_groups_in(t: &[u8], lines: bool) -> bool {
    if lines {
        return may_join_digit_groups(t);
    }
    if t.len() > 64 {
        return may_join_digit_groups_walk(t);
    }
    // A value of up to 64 bytes (timestamps, identifiers) as bit masks,
    // eight bytes a step: bit `i` of `alnum`, `digit`, `upper` says what
    // `t[i]` is. The per-digit walk's two arms hold within one token (a
    // maximal run of ASCII letters and digits): a glued IBAN's head (two
    // capitals then two digits) anywhere, and a token ending in a digit,
    // read at its end as the walk reads it (one character, or four ending
    // in two digits). Its answer is "some digit started a candidate, and
    // there are 10 digits": the same
    // (`tests::join_gate_without_lines_agrees_with_the_walk`,
    // `tests/gate_equivalence.rs`; a timestamp cost ~740 instructions in the
    // walk, callgrind).
    let (alnum, digit, upper) = class_masks(t);
    let digits = digit.count_ones() as usize;
    if digits < JOIN_MIN_DIGITS {
        return false;
    }
    if upper & (upper >> 1) & (digit >> 2) & (digit >> 3) != 0 {
        return true;
    }
    let starts = alnum & !(alnum << 1);
    // tokens ending in a digit
    let mut ends = alnum & !(alnum >> 1) & digit;
    while ends != 0 {
        let e = ends.trailing_zeros() as usize;
        ends &= ends - 1;
        let below = if e == 63 { u64::MAX } else { (2u64 << e) - 1 };
        let a = 63 - (starts & below).leading_zeros() as usize;
        let len = e + 1 - a;
        let one = len == 1;
        let four = len == 4 && digit & (1 << (e - 1)) != 0;
        if !(one || four) {
            continue;
        }
        let i = e + 1;
        let alnum_at = |k: usize| t.get(k).is_some_and(u8::is_ascii_alphanumeric);
        // a weak byte then a letter or digit: a weak separator, which
        // joins only a token of one character
        let weak_next = matches!(t.get(i), Some(b'-' | b'.' | b',' | b'_')) && alnum_at(i + 1);
        if four && !one && weak_next {
            continue;
        }
        let candidate = match separator_at(t, i) {
            Some((k, len)) if weak(k) => {
                let x = i + len;
                one && alnum_at(x) && !alnum_at(x + 1) && separator_at(t, x + 1).is_some_and(|(kk, _)| same_run(k, kk))
            }
            // (never a line break's kind `\n`: there is none)
            Some(_) => true,
            None => false,
        };
        if candidate {
            return true;
        }
    }
    false
}

/// Bit masks of the ASCII letters or digits, the digits and the capitals
/// of `t` (at most 64 bytes): bit `i` for `t[i]`. Eight bytes a step, each
/// class a range test on all eight at once (a byte above 0x7F is in none).
#[inline]
fn class_masks(t: &[u8]) -> (u64, u64, u64) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // the high bit of each byte of `x` whose value is in `lo..=hi` (both
    // below 0x80): (b & 0x7F) + (0x80 - lo) reaches the high bit when
    // b >= lo, (b & 0x7F) + (0x7F - hi) when b > hi; no sum carries into
    // the next byte
    let in_range = |x: u64, lo: u8, hi: u8| {
        let x7 = x & !HIGH;
        let ge = x7 + ONES * u64::from(0x80 - lo);
        let gt = x7 + ONES * u64::from(0x7F - hi);
        ge & !gt & !x & HIGH
    };
    // one bit per byte: byte k's high bit to bit k
    let bits = |h: u64| (h >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56;
    let (mut alnum, mut digit, mut upper) = (0u64, 0u64, 0u64);
    let mut add = |k: usize, x: u64| {
        let d = in_range(x, b'0', b'9');
        // a letter of either case (`| 0x20` maps a capital to its small
        // letter, and no other byte below 0x80 to a letter); a capital
        // has bit 5 clear (moved to the byte's high bit by `<< 2`)
        let l = in_range(x | (ONES * 0x20), b'a', b'z');
        let u = l & !(x << 2);
        digit |= bits(d) << (8 * k);
        upper |= bits(u) << (8 * k);
        alnum |= bits(d | l) << (8 * k);
    };
    let mut chunks = t.chunks_exact(8);
    let mut k = 0;
    for c in chunks.by_ref() {
        add(k, u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
        k += 1;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut b = [0u8; 8];
        for (x, &c) in b.iter_mut().zip(rest) {
            *x = c;
        }
        add(k, u64::from_le_bytes(b));
    }
    (alnum, digit, upper)
}

/// [`may_join_digit_groups_in`] without a line break, digit by digit: for
/// values over 64 bytes, and the reference its test compares it with.
fn may_join_digit_groups_walk(t: &[u8]) -> bool {
    let n = t.len();
    let mut digits = 0usize;
    let mut candidate = false;
    let mut i = 0;
    while i < n {
        if !t[i].is_ascii_digit() {
            match t[i + 1..].iter().position(u8::is_ascii_digit) {
                Some(k) => i += k + 1,
                None => break,
            }
            continue;
        }
        digits += 1;
        if candidate {
            if digits >= JOIN_MIN_DIGITS {
                return true;
            }
            i += 1;
            continue;
        }
        let alnum = |k: usize| t.get(k).is_some_and(u8::is_ascii_alphanumeric);
        // (no token starts after a line break)
        if i >= 3 && t[i - 1].is_ascii_digit() && t[i - 2].is_ascii_uppercase() && t[i - 3].is_ascii_uppercase() {
            candidate = true;
        } else if !alnum(i + 1) {
            // a token ends at `i` with a digit
            let one = i == 0 || !t[i - 1].is_ascii_alphanumeric();
            let four = !one
                && i >= 3
                && t[i - 1].is_ascii_digit()
                && t[i - 2].is_ascii_alphanumeric()
                && t[i - 3].is_ascii_alphanumeric()
                && (i == 3 || !t[i - 4].is_ascii_alphanumeric());
            // a weak byte then a letter or digit: a weak separator, which
            // joins only a token of one character
            let weak_next = matches!(t.get(i + 1), Some(b'-' | b'.' | b',' | b'_')) && alnum(i + 2);
            if one || (four && !weak_next) {
                candidate = match separator_at(t, i + 1) {
                    Some((k, len)) if weak(k) => {
                        let x = i + 1 + len;
                        one && alnum(x)
                            && !alnum(x + 1)
                            && separator_at(t, x + 1).is_some_and(|(kk, _)| same_run(k, kk))
                    }
                    // (never a line break's kind `\n`: there is none)
                    Some(_) => one || four,
                    None => false,
                };
            }
        }
        i += 1;
    }
    candidate && digits >= JOIN_MIN_DIGITS
}

/// A line break (up to two spaces or tabs on each side, and the empty
/// cells of a table row, [`empty_cells`]) between `t[i]` and a letter or
/// digit before it: the backward reading of [`separator_at`]'s line break
/// (wider: any run of those bytes up to [`EMPTY_CELLS`] + 2 on each side,
/// so it passes whatever that reads). (Not inlined: called at a few token
/// starts, it would slow the gate's walk over every byte.)
#[inline(never)]
fn break_before(t: &[u8], i: usize) -> bool {
    let pad = |k: usize| matches!(t[k], b' ' | b'\t' | b',' | b';' | b'|');
    let mut k = i;
    while k > 0 && i - k < EMPTY_CELLS + 2 && pad(k - 1) {
        k -= 1;
    }
    match k.checked_sub(1).map(|p| t[p]) {
        Some(b'\n') => {
            k -= 1;
            if k > 0 && t[k - 1] == b'\r' {
                k -= 1;
            }
        }
        Some(b'\r') => k -= 1,
        _ => return false,
    }
    let e = k;
    while k > 0 && e - k < EMPTY_CELLS + 2 && pad(k - 1) {
        k -= 1;
    }
    k > 0 && t[k - 1].is_ascii_alphanumeric()
}

/// A necessary condition for [`join_digit_groups`] on a text whose only
/// separators are [`weak`] ones (no capital, space, tab, line break, other
/// punctuation or non-ASCII byte; the caller knows it from the byte
/// classes): then only a run of single characters joined by one weak byte
/// qualifies, so its first digit is a one-character token followed by that
/// byte, one character and the same byte again, or a digit is followed by
/// the byte twice (a doubled separator joins groups of any length). A few checks per `-`, `.`,
/// `,` or `_` instead of [`may_join_digit_groups`]' walk over every digit
/// (UUIDs, dates and decimals stop at the first check).
pub fn may_join_weak_run(t: &[u8]) -> bool {
    let alnum = |k: usize| t.get(k).is_some_and(u8::is_ascii_alphanumeric);
    let at = |i: usize| {
        i >= 1
            && t[i - 1].is_ascii_digit()
            && ((i < 2 || !alnum(i - 2)) && alnum(i + 1) && !alnum(i + 2) && t.get(i + 2) == Some(&t[i])
                // a doubled separator (`4111__4111`) joins groups of any
                // length (tests::weak_run_gate_is_sound)
                || t.get(i + 1) == Some(&t[i]))
    };
    // a short value is read directly (UUIDs, dates: four `memchr` calls
    // cost more than reading it); `tests::weak_run_reads_as_memchr_does`
    if t.len() < 64 {
        return (0..t.len()).any(|i| matches!(t[i], b'-' | b'.' | b'_' | b',') && at(i));
    }
    memchr::memchr3_iter(b'-', b'.', b'_', t).any(at) || memchr::memchr_iter(b',', t).any(at)
}

/// See [`Joined`]. `None` when no run qualifies (the common case, found
/// without allocating).
pub fn join_digit_groups(t: &[u8]) -> Option<Joined> {
    join_digit_groups_in(t, true)
}

/// [`join_digit_groups`] told whether `t` holds a line break
/// ([`may_join_digit_groups_in`]).
pub fn join_digit_groups_in(t: &[u8], lines: bool) -> Option<Joined> {
    if !may_join_digit_groups_in(t, lines) {
        return None;
    }
    join_runs(t)
}

/// [`join_digit_groups`] without its gate.
fn join_runs(t: &[u8]) -> Option<Joined> {
    let mut out: Option<Joined> = None;
    let mut tokens: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < t.len() {
        if !t[i].is_ascii_alphanumeric() || (i > 0 && t[i - 1].is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        let tok_end = t[i..]
            .iter()
            .position(|c| !c.is_ascii_alphanumeric())
            .map_or(t.len(), |k| i + k);
        if tok_end - i > JOIN_MAX_TOKEN {
            glued_values(t, i, tok_end, &mut out);
            i = tok_end;
            continue;
        }
        // A run starting at token `i`: tokens joined by one kind of separator.
        tokens.clear();
        let mut kind: Option<u8> = None;
        let mut j = i;
        let mut digits = 0;
        loop {
            let st = j;
            while j < t.len() && t[j].is_ascii_alphanumeric() {
                j += 1;
            }
            // a space, `-`, `.`, `,` or `_` joins only single characters
            // (`4 1 1 1 …`, `4-1-1-1…`): groups are read as they are
            if j - st > JOIN_MAX_TOKEN || tokens.len() >= JOIN_MAX_TOKENS || (kind.is_some_and(weak) && j - st != 1) {
                break;
            }
            digits += t[st..j].iter().filter(|c| c.is_ascii_digit()).count();
            tokens.push((st, j));
            // (white space between single characters joined by another
            // weak kind sets a group apart: `D-E-8-9 3-7-0-4`)
            let sep = separator_at(t, j).map(|(k, len)| match kind {
                Some(kk) if j - st == 1 && same_run(kk, k) => (kk, len),
                _ => (k, len),
            });
            match sep {
                Some((k, len))
                    if kind.is_none_or(|kk| kk == k)
                        && (!weak(k) || j - st == 1)
                        && t.get(j + len).is_some_and(u8::is_ascii_alphanumeric) =>
                {
                    kind = Some(k);
                    j += len;
                }
                _ => break,
            }
        }
        let end = tokens.last().map_or(i + 1, |&(_, e)| e);
        let qualifies = match kind {
            _ if digits < JOIN_MIN_DIGITS || tokens.len() < 2 => false,
            // IPv6 (eight groups of hex) is not one value
            Some(b':')
                if tokens.len() == 8
                    && tokens
                        .iter()
                        .all(|&(a, z)| z - a <= 4 && t[a..z].iter().all(u8::is_ascii_hexdigit)) =>
            {
                false
            }
            Some(_) => value_shaped(t, &tokens),
            None => false,
        };
        if qualifies {
            push_run(&mut out, t, &tokens);
        } else if tokens.len() > 2 && digits >= JOIN_MIN_DIGITS {
            values_in_run(t, &tokens, &mut |r| push_run(&mut out, t, r));
        }
        // A run that ends at a change of separator: its last token may
        // start the next one.
        i = match tokens.len() {
            n if n > 1 && !qualifies => tokens[n - 1].0,
            _ => end,
        }
        .max(i + 1);
    }
    if memchr::memchr2(b'\n', b'\r', t).is_some() {
        mixed_runs(t, &mut tokens, &mut out);
    }
    out
}

/// Whether the run `r` crosses a line break next to a digit (the token
/// before it ends with one, or the token after it starts with one): what
/// [`mixed_runs`] keeps, and what [`may_join_digit_groups`] looks for.
fn crosses_a_break(t: &[u8], r: &[(usize, usize)]) -> bool {
    r.windows(2).any(|w| {
        let (z, a) = (w[0].1, w[1].0);
        // (markup with line breaks is a separator of its own: the pass above's)
        t[z..a].iter().any(|c| matches!(c, b'\n' | b'\r'))
            && !t[z..a].contains(&b'<')
            && (t[z - 1].is_ascii_digit() || t[a].is_ascii_digit())
    })
}

/// Values written over lines with one separator inside each line and a
/// line break between them (`4111 1111⏎1111 1111`, `4111-1111\r\n1111-1111`,
/// `DE89 3704⏎0044 0532 …`, `4 1 1 1⏎1 1 1 1 …`): the pass above joins only
/// one separator throughout, and a pattern stops at the line break. Runs of
/// tokens joined by line breaks and one other kind are read the same way
/// (a value's shape, [`value_shaped`], whole or between words, [`values_in_run`]),
/// keeping only what crosses a line break next to a digit ([`crosses_a_break`]):
/// the rest is read by the pass above or by the patterns.
fn mixed_runs(t: &[u8], tokens: &mut Vec<(usize, usize)>, out: &mut Option<Joined>) {
    let mut i = 0;
    while i < t.len() {
        if !t[i].is_ascii_alphanumeric() || (i > 0 && t[i - 1].is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        tokens.clear();
        let mut inner: Option<u8> = None;
        let (mut j, mut digits, mut changed) = (i, 0, false);
        loop {
            let st = j;
            while j < t.len() && t[j].is_ascii_alphanumeric() {
                j += 1;
            }
            if j - st > JOIN_MAX_TOKEN || tokens.len() >= JOIN_MAX_TOKENS {
                break;
            }
            digits += t[st..j].iter().filter(|c| c.is_ascii_digit()).count();
            tokens.push((st, j));
            match separator_at(t, j) {
                Some((k, len)) if t.get(j + len).is_some_and(u8::is_ascii_alphanumeric) => {
                    if k != b'\n' {
                        if inner.is_some_and(|x| x != k) {
                            changed = true;
                            break;
                        }
                        inner = Some(k);
                    }
                    j += len;
                }
                _ => break,
            }
        }
        let n = tokens.len();
        if n >= 2 && digits >= JOIN_MIN_DIGITS {
            let mut emit = |r: &[(usize, usize)]| {
                // (one separator throughout is the pass above's)
                let inner = r
                    .windows(2)
                    .any(|w| !t[w[0].1..w[1].0].iter().any(|c| matches!(c, b'\n' | b'\r')));
                if inner && crosses_a_break(t, r) {
                    push_run(out, t, r);
                }
            };
            if value_shaped(t, tokens) {
                emit(tokens);
            } else if n > 2 {
                values_in_run(t, tokens, &mut emit);
            }
        }
        // a run that ends at a change of separator: its last token may start the next one
        i = match n {
            n if n > 1 && changed => tokens[n - 1].0,
            _ => tokens.last().map_or(i + 1, |&(_, e)| e),
        }
        .max(i + 1);
    }
}

/// The hosts of URLs written as an IPv4 address in a form other than four
/// decimal parts (`http://3232235786/`, `http://0xC0A8010A/`,
/// `http://0300.0250.1.10/`, `http://192.168.266/`): a URL parser (WHATWG,
/// `inet_aton`) reads the host as that address. Each such host becomes
/// its dotted-quad in a text of its own, one per line, mapped back to the
/// host's bytes. Only the host of a URL (after `scheme://` and any
/// `user@`) is read: a number elsewhere is a number.
pub fn numeric_hosts(t: &[u8]) -> Option<Joined> {
    let mut out: Option<Joined> = None;
    for p in scheme_seps(t) {
        let start = p + 3;
        let end = t[start..]
            .iter()
            .position(|&c| {
                matches!(c, b'/' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>' | b'\\' | b'`') || !c.is_ascii_graphic()
            })
            .map_or(t.len(), |k| start + k);
        let auth = &t[start..end];
        let h0 = start + auth.iter().rposition(|&c| c == b'@').map_or(0, |k| k + 1);
        let h1 = t[h0..end].iter().position(|&c| c == b':').map_or(end, |k| h0 + k);
        let host = &t[h0..h1];
        let Some(ip) = inet_aton(host) else {
            continue;
        };
        let o = out.get_or_insert_with(Joined::new);
        if !o.text.is_empty() {
            o.push(b'\n', h0);
        }
        let quad = format!("{}.{}.{}.{}", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
        let n = quad.len();
        for (i, c) in quad.bytes().enumerate() {
            o.push(c, if i + 1 == n { h1 - 1 } else { h0 });
        }
    }
    out
}

/// Where each `://` of `t` starts: a `:` followed by `//`. The same
/// positions as `memchr::memmem::find_iter(t, b"://")` (the needle cannot
/// overlap itself), without building a substring searcher per value: this
/// runs on every value holding a colon (timestamps), and the searcher's
/// set-up cost more than the search (callgrind, clean catalog JSON).
fn scheme_seps(t: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(b':', t).filter(move |&p| t.get(p + 1..p + 3) == Some(b"//".as_slice()))
}

/// An IPv4 address written as `inet_aton` and URL parsers read it: one to
/// four parts separated by dots, each decimal, octal (a leading `0`) or
/// hexadecimal (`0x`), the last filling the bytes left. `None` for four
/// plain decimal parts (the address as usually written, read by the
/// detector itself) and for anything else.
fn inet_aton(host: &[u8]) -> Option<u32> {
    if host.is_empty() || host.len() > 48 {
        return None;
    }
    let host = host.strip_suffix(b".").unwrap_or(host);
    let mut parts = [0u64; 4];
    let mut n = 0;
    let mut plain = true;
    for part in host.split(|&c| c == b'.') {
        if n == 4 || part.is_empty() {
            return None;
        }
        let (digits, radix) = match part {
            [b'0', b'x' | b'X', rest @ ..] => (rest, 16),
            [b'0', rest @ ..] if !rest.is_empty() => (rest, 8),
            _ => (part, 10),
        };
        plain &= radix == 10;
        if digits.is_empty() || digits.len() > 12 {
            return None;
        }
        let mut v: u64 = 0;
        for &c in digits {
            v = v * radix + (c as char).to_digit(radix as u32)? as u64;
        }
        parts[n] = v;
        n += 1;
    }
    if n == 4 && plain {
        return None;
    }
    let last_max = 1u64 << (8 * (5 - n));
    if parts[..n - 1].iter().any(|&v| v > 255) || parts[n - 1] >= last_max {
        return None;
    }
    let mut ip = parts[n - 1];
    for (i, &v) in parts[..n - 1].iter().enumerate() {
        ip |= v << (8 * (3 - i));
    }
    u32::try_from(ip).ok()
}

/// Real inputs for the tests that compare a gate with the full pass: every
/// string of the case tables (`tests/cases/**/*.json`) and every line of
/// the test data (`tests/data/**`), whole and cut at quotes, `&`, `=`,
/// commas and semicolons.
#[cfg(test)]
pub(crate) mod corpus {
    use std::path::Path;

    fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| {
                out.push(k.clone());
                strings(x, out)
            }),
            _ => {}
        }
    }

    fn walk(dir: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            if p.extension().is_some_and(|x| x == "json") {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                    strings(&v, out);
                }
            }
            out.extend(text.lines().map(str::to_string));
        }
    }

    /// The strings, deduplicated; the test fails if the files are not found.
    pub(crate) fn all() -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
        let mut whole = Vec::new();
        walk(&root.join("cases"), &mut whole);
        walk(&root.join("data"), &mut whole);
        assert!(whole.len() > 1000, "test corpus not found under {root:?}");
        let mut out = Vec::new();
        for s in whole {
            out.extend(
                s.split(['"', '&', '=', ',', ';'])
                    .filter(|p| p.len() >= 3 && p.len() < s.len())
                    .map(str::to_string),
            );
            out.push(s);
        }
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`may_join_weak_run`] as it was written first: `memchr` over the
    /// separators at every length.
    fn weak_run_reference(t: &[u8]) -> bool {
        let alnum = |k: usize| t.get(k).is_some_and(u8::is_ascii_alphanumeric);
        let at = |i: usize| {
            i >= 1
                && t[i - 1].is_ascii_digit()
                && ((i < 2 || !alnum(i - 2)) && alnum(i + 1) && !alnum(i + 2) && t.get(i + 2) == Some(&t[i])
                    || t.get(i + 1) == Some(&t[i]))
        };
        memchr::memchr3_iter(b'-', b'.', b'_', t).any(at) || memchr::memchr_iter(b',', t).any(at)
    }

    /// The same on every corpus string and each of its windows of 8 to 80 bytes.
    #[test]
    fn weak_run_reads_as_memchr_does_on_corpora() {
        let (mut yes, mut no) = (0, 0);
        for s in corpus::all() {
            let t = s.as_bytes();
            let windows =
                (0..t.len()).flat_map(|i| [8, 20, 40, 63, 64, 80].into_iter().filter_map(move |n| t.get(i..i + n)));
            for w in std::iter::once(t).chain(windows) {
                let want = weak_run_reference(w);
                assert_eq!(may_join_weak_run(w), want, "{:?}", String::from_utf8_lossy(w));
                if want {
                    yes += 1;
                } else {
                    no += 1;
                }
            }
        }
        assert!(yes > 100 && no > 10_000, "{yes} open, {no} closed");
    }

    fn hosts(s: &str) -> Vec<(String, String)> {
        let Some(j) = numeric_hosts(s.as_bytes()) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut at = 0;
        for line in j.text.split(|&c| c == b'\n') {
            let (a, b) = j.original_span(at, at + line.len());
            out.push((String::from_utf8_lossy(line).into_owned(), s[a..b].to_string()));
            at += line.len() + 1;
        }
        out
    }

    #[test]
    fn numeric_hosts_read_as_addresses() {
        for (s, ip, host) in [
            ("see http://3232235786/x", "192.168.1.10", "3232235786"),
            ("see https://0xC0A8010A:8443/x", "192.168.1.10", "0xC0A8010A"),
            ("see http://0300.0250.1.10/", "192.168.1.10", "0300.0250.1.10"),
            ("see http://192.168.266/", "192.168.1.10", "192.168.266"),
            ("see http://192.11010314/", "192.168.1.10", "192.11010314"),
            ("see http://user:pw@134744072/a", "8.8.8.8", "134744072"),
            (
                "\"url\":\"ftp://0x08.0x08.0x08.0x08\"",
                "8.8.8.8",
                "0x08.0x08.0x08.0x08",
            ),
        ] {
            assert_eq!(hosts(s), [(ip.to_string(), host.to_string())], "{s:?}");
        }
        for s in [
            "see http://192.168.1.10/",
            "see http://example.com/3232235786",
            "id 3232235786 at http://host/",
            "http://4294967296/",
            "http://256.1.1.1/",
            "http://1.2.3.4.5/",
            "http://0x/",
            "http://09/",
            "http://[::1]/",
            "http://a.b/",
        ] {
            assert!(hosts(s).is_empty(), "{s:?}: {:?}", hosts(s));
        }
    }

    #[test]
    fn ascii_is_borrowed() {
        let n = normalize(b"4111 1111 1111 1111");
        assert!(matches!(n.text, Cow::Borrowed(_)));
        assert!(!n.is_folded());
    }

    /// Controls that are neither white space nor read as a space are
    /// dropped, in ASCII text and among other characters; white space and
    /// the controls read as a space stay.
    #[test]
    fn drops_invisible_controls() {
        for c in (0u8..0x20).chain([0x7F]) {
            let s = [b'4', b'1', c, b'1', b'1'];
            let n = normalize(&s);
            let want: &[u8] = if dropped_control(c) { b"4111" } else { &s };
            assert_eq!(&*n.text, want, "{c:#x}");
            // a long ASCII text (the eight-byte words) and a folded one
            let long = [&b"card number is: 4111"[..], &[c], b"1111 and more words after it"].concat();
            let n = normalize(&long);
            assert_eq!(n.is_folded(), dropped_control(c), "{c:#x}");
            let mixed = [&b"\xc2\xa04111"[..], &[c], b"1111"].concat();
            let n = normalize(&mixed);
            assert_eq!(
                n.text.windows(8).any(|w| w == b"41111111"),
                dropped_control(c),
                "{c:#x}"
            );
        }
        for cp in 0x80u32..0xA0 {
            let s = format!("41{}11", char::from_u32(cp).unwrap_or('?'));
            let n = normalize(s.as_bytes());
            if cp == 0x85 {
                assert_eq!(&*n.text, b"41 11");
            } else {
                assert_eq!(&*n.text, b"4111", "{cp:#x}");
                assert_eq!(n.original_span(0, 4), (0, s.len()));
            }
        }
    }

    #[test]
    fn folds_fullwidth_arabic_and_invisible() {
        let s = "４１１１\u{00A0}1111\u{200B}1111\u{2009}١١١١";
        let n = normalize(s.as_bytes());
        assert_eq!(&*n.text, b"4111 11111111 1111");
        let (a, b) = n.original_span(0, n.text.len());
        assert_eq!((a, b), (0, s.len()));
    }

    /// Digits decorated with combining marks, enclosing keycaps and
    /// variation selectors read as the digits, and a span ending on a
    /// decorated digit takes its marks (nothing of the value is left).
    #[test]
    fn folds_combining_marks_and_keycaps() {
        for marks in [
            "\u{332}",
            "\u{fe0f}\u{20e3}",
            "\u{20e3}",
            "\u{301}\u{323}",
            "\u{20dd}",
            "\u{1ab0}",
            "\u{1dc0}",
            "\u{fe20}",
            "\u{489}",
            "\u{e0100}",
        ] {
            let v: String = "4111111111111111".chars().map(|c| format!("{c}{marks}")).collect();
            let s = format!("card {v} ok");
            let n = normalize(s.as_bytes());
            assert_eq!(&*n.text, b"card 4111111111111111 ok", "{marks:?}");
            let (a, b) = n.original_span(5, 21);
            assert_eq!(&s[a..b], v, "{marks:?}");
        }
        // a mark after the value's last character but before a space is its own
        let s = "x 12\u{332} \u{332}y";
        let n = normalize(s.as_bytes());
        assert_eq!(&*n.text, b"x 12 y");
        let (a, b) = n.original_span(2, 4);
        assert_eq!(&s[a..b], "12\u{332}");
        // a format character after a value is not a mark of it
        let s = "12\u{200b}x";
        let n = normalize(s.as_bytes());
        assert_eq!(n.original_span(0, 2), (0, 2));
    }

    /// The tables are sorted and disjoint (binary search), and every mark
    /// a span takes is a dropped character.
    #[test]
    fn drop_and_fold_tables_are_sorted_and_marks_are_dropped() {
        assert!(DROP.windows(2).all(|w| w[0].0 <= w[0].1 && w[0].1 < w[1].0));
        assert!(FOLD.windows(2).all(|w| w[0].0 <= w[0].1 && w[0].1 < w[1].0));
        assert!(MARKS.windows(2).all(|w| w[0].0 <= w[0].1 && w[0].1 < w[1].0));
        // every mark is dropped after a character that folds to ASCII (and
        // after another mark dropped so); those of DROP after any character
        for &(lo, hi) in MARKS {
            for cp in lo..=hi {
                let Some(c) = char::from_u32(cp) else { continue };
                let t = format!("4{c}{c}1 \u{660}{c}2");
                assert_eq!(&*normalize(t.as_bytes()).text, b"41 02", "{cp:#x}");
                let t = format!("\u{915}{c}");
                let kept = normalize(t.as_bytes()).text.len() == t.len();
                assert!(kept != matches!(fold(c), Fold::Drop), "{cp:#x}");
            }
        }
        // the class closed in session 13: tatweel, N'Ko lajanalat, harakat,
        // the blank Braille cell, unassigned default-ignorables
        let t = "4\u{640}1\u{7fa}1\u{651}1\u{2800}1\u{e0080}1\u{fff0}1";
        assert_eq!(&*normalize(t.as_bytes()).text, b"4111 111");
        // text of a script with its own marks is left as written
        let t = "\u{915}\u{93f}\u{924}\u{93e}\u{92c} \u{5e9}\u{5b8}\u{5dc}\u{5d5}\u{5b9}\u{5dd}";
        assert!(!normalize(t.as_bytes()).is_folded());
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

    fn joined(s: &str) -> Vec<String> {
        match join_digit_groups(s.as_bytes()) {
            None => Vec::new(),
            Some(j) => j
                .text
                .split(|&c| c == b'\n')
                .map(|r| String::from_utf8_lossy(r).into_owned())
                .collect(),
        }
    }

    #[test]
    fn joins_digit_groups_across_odd_separators() {
        let card = "4111 1111 1111 1111";
        for s in [
            "4111:1111:1111:1111",
            "4111|1111|1111|1111",
            "4111 | 1111 | 1111 | 1111",
            "4111*1111*1111*1111",
            "4111\u{2022}1111\u{2022}1111\u{2022}1111",
            "4111 \u{b7} 1111 \u{b7} 1111 \u{b7} 1111",
            "4111/1111/1111/1111",
            "4111\n1111\n1111\n1111",
            "4111\r\n1111\r\n1111\r\n1111",
        ] {
            assert_eq!(joined(&format!("card {s} exp")), [card], "{s:?}");
        }
        assert_eq!(joined("4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1"), ["4111111111111111"]);
        // one separator inside lines, a line break between them
        for s in [
            "4111 1111\n1111 1111",
            "4111 1111\r\n1111 1111",
            "4111-1111\n1111-1111",
            "4111 1111 1111\n1111",
            "4111\t1111 \n 1111\t1111",
        ] {
            assert_eq!(joined(&format!("card {s} exp")), [card], "{s:?}");
        }
        assert_eq!(joined("4 1 1 1\n1 1 1 1\n1 1 1 1\n1 1 1 1"), ["4111111111111111"]);
        // a continuation row of a table: empty cells beside the line break
        for s in [
            "jane,4111 1111\n,1111 1111",
            "jane;4111 1111;;\r\n;;1111 1111;x",
            "| jane | 4111 1111 |\n|  | 1111 1111 |",
            "x,4111\n,1111\n,1111\n,1111",
            // quoted cells
            "\"jane\",\"4111\",\"1111\",\"1111\",\"1111\"",
            "'4111' ; '1111' ; '1111' ; '1111'",
            "\"4111\"\t\"1111\"\t\"1111\"\t\"1111\"",
        ] {
            assert_eq!(joined(s), [card], "{s:?}");
        }
        // the texts of sibling elements: markup between them
        for s in [
            "<r><a>4111</a><b>1111</b><c>1111</c><d>1111</d></r>",
            "<r>\n  <a>4111</a>\n  <b>1111</b>\n  <c>1111</c>\n  <d>1111</d>\n</r>",
            "<tr><td>4111</td><td class=\"n\">1111</td><td>1111</td><td>1111</td></tr>",
            "<p><x>4111</x></p><p><x>1111</x></p><p><x>1111</x></p><p><x>1111</x></p>",
            "<v>\n 4111\n</v><v>\n 1111\n</v><v>1111</v><!-- x --><v>1111</v>",
        ] {
            assert_eq!(joined(s), [card], "{s:?}");
        }
        assert_eq!(
            joined("iban GB82 WEST\n1234 5698 7654 32 ok"),
            ["GB82 WEST 1234 5698 7654 32"]
        );
        assert_eq!(joined("NL91\nABNA 0417 1643 00"), ["NL91 ABNA 0417 1643 00"]);
        assert_eq!(joined("DE89|3704|0044|0532|0130|00"), ["DE89 3704 0044 0532 0130 00"]);
        // the map covers the original bytes, separators included
        let s = "pay 4111:1111:1111:1111 now";
        let j = join_digit_groups(s.as_bytes());
        let span = j.as_ref().map(|j| j.original_span(0, j.text.len()));
        assert_eq!(span.map(|(a, b)| &s[a..b]), Some("4111:1111:1111:1111"));
    }

    #[test]
    fn leaves_times_dates_tables_and_addresses_alone() {
        for s in [
            "12:34:56",
            "2024-01-01 12:34:56",
            "at 10:30:00 on 31/12/2024",
            "1|2|3",
            "| 1 | 2 | 3 | 4 |",
            "3:2",
            "2001:4860:4860:0000:0000:0000:0000:8888",
            "1 2 3 4 5",
            "4111 1111 1111 1111",
            "41111111111111111111111111",
            "a b c d e f g h i j k l m n o p",
            "",
            // lines of numbers in other groupings, and one row of a grid
            "12 34\n56 78\n90 12\n34 56",
            "2024-01-01 10:00\n2024-01-02 11:00",
            "1234 5678\n4111 1111\n1111 1111",
            "total 1234 5678\nnext 9012 3456",
            // rows of a table with content in every row, and rows of numbers
            "jane,4111 1111\njim,1111 1111",
            "a,4111 1111,x\n,1111 1111",
            "1234 5678\n,4111 1111\n,1111 1111",
            "<tr><td>1234</td><td>4111</td><td>1111</td><td>1111</td><td>1111</td></tr>",
            "<a>2019</a><a>2020</a><a>2021</a>",
            "<a>4111</a> and <b>1111</b> <c>1111</c> <d>1111</d>",
        ] {
            assert!(joined(s).is_empty(), "{s:?}: {:?}", joined(s));
        }
    }

    /// Known runs that are joined pass the gate (and are joined).
    #[test]
    fn join_gate_passes_what_is_joined() {
        for s in [
            "card 4111:1111:1111:1111 exp",
            "4111|1111|1111|1111",
            "4111 | 1111 | 1111 | 1111",
            "4111\u{2022}1111\u{2022}1111\u{2022}1111",
            "4111 \u{b7} 1111 \u{b7} 1111 \u{b7} 1111",
            "4111\r\n1111\r\n1111\r\n1111",
            "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
            "4\t1\t1\t1\t1\t1\t1\t1\t1\t1\t1\t1",
            "a 4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
            "DE89|3704|0044|0532|0130|00",
            "1:84:12:76:451:089:46",
            "3782:822463:10005",
            "IBANDE89370400440532013000EUR",
            "card|4111|1111|1111|1111|exp",
            "card\n4\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n1\nplease",
            "iban:DE89:3704:0044:0532:0130:00:EUR",
            "nir|1|84|12|76|451|089|46|x",
            "4111\u{30fb}1111\u{30fb}1111\u{30fb}1111",
            "4111'1111'1111'1111",
            "4-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1",
            "card 4 . 1 . 1 . 1 . 1 . 1 . 1 . 1 . 1 . 1 . 1 . 1",
            "x_4_1_1_1_1_1_1_1_1_1_1_1_1",
            "card 4111 1111\n1111 1111 exp",
            "4111-1111\r\n1111-1111",
            "GB82 WEST\n1234 5698 7654 32",
            "NL91\nABNA 0417 1643 00",
            "4 1 1 1\n1 1 1 1\n1 1 1 1\n1 1 1 1",
            "amex 3782 822463\n10005",
            "gb82 west\n1234 5698 7654 32",
            "xx99 a1b2\ncdef 1234 5678 12",
            "jane,4111 1111\n,1111 1111",
            "4111 1111,,\r\n;;1111 1111",
            "<a>4111</a><b>1111</b><c>1111</c><d>1111</d>",
            "<a>4111</a>\n <b>1111</b>\n <c>1111</c>\n <d>1111</d>",
        ] {
            assert!(join_runs(s.as_bytes()).is_some(), "{s:?} is joined");
            assert!(may_join_digit_groups(s.as_bytes()), "{s:?} passes the gate");
        }
    }

    /// The gate is sound on real inputs: whatever the full pass joins in
    /// the case tables and test data passes it.
    #[test]
    fn join_gate_is_sound_on_corpora() {
        let mut joined = 0;
        for s in corpus::all() {
            let t = normalize(s.as_bytes());
            if join_runs(&t.text).is_some() {
                joined += 1;
                assert!(may_join_digit_groups(&t.text), "gate drops {s:?}");
            }
        }
        assert!(joined >= 10, "the corpus has joined runs ({joined})");
    }

    /// Pieces of digit groups, letters and separators (those joined and
    /// others, ASCII and Unicode, line breaks) for the property below.
    const JOIN_PIECES: &[&str] = &[
        "4",
        "1",
        "0",
        "7",
        "12",
        "123",
        "4111",
        "1111",
        "0130",
        "822463",
        "10005",
        "4111111111111111",
        "DE89",
        "DE",
        "GB",
        "89",
        "AB",
        "X",
        "a",
        "z",
        "é",
        ":",
        "|",
        " ",
        "  ",
        "   ",
        "\u{640}",
        "\u{651}",
        "\t",
        "\n",
        "\r\n",
        "\r",
        "*",
        "/",
        "\\",
        ";",
        "~",
        "+",
        "=",
        "#",
        "-",
        ".",
        ",",
        "_",
        " | ",
        " : ",
        "\u{2022}",
        "\u{b7}",
        "\u{2219}",
        "\u{22c5}",
        "\u{2027}",
        "\u{2028}",
        "\u{a0}",
        "\u{2009}",
        "\u{ff14}",
        "card",
        "exp",
        "'",
        "^",
        "&",
        "\"",
        "(",
        " - ",
        ", ",
        " . ",
        "\u{30fb}",
        "\u{ff65}",
        "\u{ff5c}",
        "\u{3001}",
        "\u{2215}",
        "<b>",
        "</a><b>",
        "</a>\n <b>",
        "\n,",
        ",\n",
        ";;\r\n;",
        "| \n|",
        "<",
        "<!-- x -->",
        "\",\"",
        "' ; '",
        "\"\t\"",
    ];

    /// Groups of the runs generated below: card, IBAN and NIR groups,
    /// single characters, and groups of other lengths.
    const GROUPS: &[&str] = &[
        "4111", "1111", "0130", "0044", "0532", "3704", "00", "DE89", "GB82", "WEST", "822463", "10005", "3782", "1",
        "84", "12", "76", "451", "089", "46", "7", "4", "a", "X", "123", "12345", "0958", "2A", "card", "exp", "ES91",
        "EUR", "no", "3",
    ];

    /// Separators joined and not, ASCII and Unicode, with spaces around.
    const SEPARATORS: &[&str] = &[
        ":",
        "|",
        " | ",
        " :  ",
        "*",
        "/",
        "\\",
        ";",
        "~",
        "+",
        "=",
        "#",
        "\n",
        "\r\n",
        "\r",
        " ",
        "\t",
        "  ",
        "-",
        ".",
        ",",
        "_",
        "\u{2022}",
        " \u{b7} ",
        "\u{2219}",
        "\u{22c5}",
        "\u{2027}",
        "\u{2028}",
        "\u{a0}",
        "  |  ",
        "'",
        "^",
        "&",
        "\"",
        "(",
        "@",
        " - ",
        " . ",
        ", ",
        " _ ",
        "\u{30fb}",
        "\u{ff65}",
        "\u{ff5c}",
        "\u{3001}",
        "\u{2215}",
        "\u{ff1b}",
        "</a><b>",
        "</a>\n <b x=\"1\">",
        "<br/>",
        "\n,",
        ",\n,",
        " ;\r\n; ",
        "<",
        "\n<a>",
        "\",\"",
        "' | '",
        "\"\t\"",
    ];

    /// [`class_masks`] classifies every byte value at every position and
    /// length as the byte tests do.
    #[test]
    fn class_masks_agree_with_the_byte_tests() {
        for len in 0..=64usize {
            for v in 0..=255u8 {
                for at in [0, len / 2, len.saturating_sub(1)] {
                    if at >= len {
                        continue;
                    }
                    let mut t: Vec<u8> = (0..len).map(|k| [b'a', b'-', b'7', b'Q', 0x80, b'z'][k % 6]).collect();
                    t[at] = v;
                    let (a, d, u) = class_masks(&t);
                    for (k, &c) in t.iter().enumerate() {
                        assert_eq!(a >> k & 1 == 1, c.is_ascii_alphanumeric(), "{t:?} {k}");
                        assert_eq!(d >> k & 1 == 1, c.is_ascii_digit(), "{t:?} {k}");
                        assert_eq!(u >> k & 1 == 1, c.is_ascii_uppercase(), "{t:?} {k}");
                    }
                    assert!(len == 64 || a >> len == 0 && d >> len == 0 && u >> len == 0);
                }
            }
        }
    }

    /// The mask reading of [`may_join_digit_groups_in`] without line breaks
    /// answers as the per-digit walk it replaced, on the corpora, on
    /// timestamps, UUIDs and SKUs with a card, an IBAN's head or single
    /// digits written into them at every offset, and (below) on generated
    /// text.
    #[test]
    fn join_gate_without_lines_agrees_with_the_walk() {
        let check = |t: &[u8]| {
            if !t.iter().any(|&c| c == b'\n' || c == b'\r') {
                assert_eq!(
                    may_join_digit_groups_in(t, false),
                    may_join_digit_groups_walk(t),
                    "{:?}",
                    String::from_utf8_lossy(t)
                );
            }
        };
        let mut open = 0;
        for s in corpus::all() {
            check(s.as_bytes());
            check(&normalize(s.as_bytes()).text);
            open += usize::from(may_join_digit_groups_in(s.as_bytes(), false));
        }
        let hosts = [
            "2026-11-05T12:34:56Z",
            "2026-11-05T12:34:56.123+01:00",
            "3f2a9c1e-7b4d-4a1f-a2c3-9d8e7f6a5b4c",
            "SKU-12345678",
            "20261105T123456Z",
        ];
        let inserts = [
            "4111:1111:1111:1111",
            "4111|1111|1111|1111",
            "4 1 1 1 1 1 1 1 1 1 1 1",
            "4-1-1-1-1-1-1-1-1-1-1",
            "DE89370400440532013000",
            "GB82:WEST:1234:5698:7654:32",
            "1",
            "12",
            "1234",
            "AB12",
            ":",
            "-",
            "|",
        ];
        for h in hosts {
            for ins in inserts {
                for at in 0..=h.len() {
                    let t = format!("{}{ins}{}", &h[..at], &h[at..]);
                    check(t.as_bytes());
                    open += usize::from(may_join_digit_groups_in(t.as_bytes(), false));
                }
            }
        }
        assert!(open > 100, "the gate opens on some ({open})");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Soundness of the gate: when it is closed, the full pass joins
        /// nothing (raw and normalized text).
        #[test]
        fn join_gate_is_sound(parts in proptest::collection::vec(0..JOIN_PIECES.len(), 1..48)) {
            let s: String = parts.iter().map(|&i| JOIN_PIECES[i]).collect();
            let n = normalize(s.as_bytes());
            for t in [s.as_bytes(), &n.text[..]] {
                proptest::prop_assert!(may_join_digit_groups(t) || join_runs(t).is_none(), "gate drops {:?}", s);
            }
        }

        /// [`join_gate_without_lines_agrees_with_the_walk`] on generated text.
        #[test]
        fn join_gate_without_lines_agrees_with_the_walk_generated(
            parts in proptest::collection::vec(0..JOIN_PIECES.len(), 1..32),
        ) {
            let s: String = parts.iter().map(|&i| JOIN_PIECES[i]).collect();
            let n = normalize(s.as_bytes());
            for t in [s.as_bytes(), &n.text[..]] {
                if !t.iter().any(|&c| c == b'\n' || c == b'\r') {
                    proptest::prop_assert_eq!(may_join_digit_groups_in(t, false), may_join_digit_groups_walk(t), "{:?}", s);
                }
            }
        }

        /// The same over runs of digit groups (card, IBAN, NIR and other
        /// groupings) joined by one separator, some with a different
        /// separator at one place, between pieces of text.
        #[test]
        fn join_gate_is_sound_on_runs(
            prefix in proptest::collection::vec(0..JOIN_PIECES.len(), 0..4),
            groups in proptest::collection::vec(0..GROUPS.len(), 2..12),
            sep in 0..SEPARATORS.len(),
            other in proptest::option::of((0..12usize, 0..SEPARATORS.len())),
            suffix in proptest::collection::vec(0..JOIN_PIECES.len(), 0..4),
        ) {
            let mut s: String = prefix.iter().map(|&i| JOIN_PIECES[i]).collect();
            for (n, &g) in groups.iter().enumerate() {
                if n > 0 {
                    s.push_str(match other {
                        Some((at, k)) if at == n => SEPARATORS[k],
                        _ => SEPARATORS[sep],
                    });
                }
                s.push_str(GROUPS[g]);
            }
            s.extend(suffix.iter().map(|&i| JOIN_PIECES[i]));
            let n = normalize(s.as_bytes());
            for t in [s.as_bytes(), &n.text[..]] {
                proptest::prop_assert!(may_join_digit_groups(t) || join_runs(t).is_none(), "gate drops {:?}", s);
            }
        }

        /// [`may_join_weak_run`] reads a value as its `memchr` version
        /// ([`weak_run_reference`]) does, at every length (short values are
        /// read directly, long ones with `memchr`).
        #[test]
        fn weak_run_reads_as_memchr_does(
            parts in proptest::collection::vec(0..14usize, 0..60),
        ) {
            const P: &[&str] = &["0", "1", "4", "a", "x", "12", "-", ".", "_", ",", "1-2", "4,5,", "9.1.", " "];
            let s: String = parts.iter().map(|&i| P[i]).collect();
            let t = s.as_bytes();
            proptest::prop_assert_eq!(may_join_weak_run(t), weak_run_reference(t), "{:?}", s);
        }

        /// [`may_join_weak_run`] is sound on texts whose only separators
        /// are weak ones (lower-case letters, digits, `-`, `.`, `,`, `_`):
        /// whatever the full pass joins there passes it.
        #[test]
        fn weak_run_gate_is_sound(
            parts in proptest::collection::vec(0..12usize, 1..80),
            sep in 0..4usize,
        ) {
            const P: &[&str] = &["0", "1", "4", "9", "a", "x", "12", "ab", "4111", "-", ".", "_"];
            let w = ["-", ".", ",", "_"][sep];
            let s: String = parts.iter().map(|&i| if P[i] == "-" { w } else { P[i] }).collect();
            let t = s.as_bytes();
            proptest::prop_assert!(may_join_weak_run(t) || join_runs(t).is_none(), "weak gate drops {:?}", s);
        }

        /// The same over single characters (`4 1 1 …`, `4•1•1…`) joined
        /// by one separator: the run the gate reads at its one-digit tokens.
        #[test]
        fn join_gate_is_sound_on_single_characters(
            chars in proptest::collection::vec(0..12usize, 8..40),
            sep in 0..SEPARATORS.len(),
            lead in 0..JOIN_PIECES.len(),
        ) {
            const ONE: &[&str] = &["0", "1", "4", "7", "9", "a", "B", "x", "5", "3", "8", "2"];
            let body: Vec<&str> = chars.iter().map(|&c| ONE[c]).collect();
            let s = format!("{}{}", JOIN_PIECES[lead], body.join(SEPARATORS[sep]));
            let n = normalize(s.as_bytes());
            for t in [s.as_bytes(), &n.text[..]] {
                proptest::prop_assert!(may_join_digit_groups(t) || join_runs(t).is_none(), "gate drops {:?}", s);
            }
        }
    }

    proptest::proptest! {
        /// Single characters joined by one weak kind with groups set apart
        /// by white space (`D-E-8-9 3-7-0-4`, `D E 8 9  3 7 0 4`): what the
        /// full pass joins passes the gates (session 13).
        #[test]
        fn join_gate_is_sound_on_spaced_groups(
            chars in proptest::collection::vec((0..12usize, 0..5usize), 8..40),
            sep in 0..5usize,
        ) {
            const ONE: &[&str] = &["0", "1", "4", "7", "9", "a", "B", "x", "5", "3", "8", "2"];
            let k = ["-", ".", ",", "_", " "][sep];
            let mut s = String::new();
            for (n, &(c, gap)) in chars.iter().enumerate() {
                if n > 0 {
                    s.push_str([k, k, " ", "  ", "   "][gap]);
                }
                s.push_str(ONE[c]);
            }
            let t = s.as_bytes();
            proptest::prop_assert!(may_join_digit_groups(t) || join_runs(t).is_none(), "gate drops {:?}", s);
            proptest::prop_assert!(may_join_digit_groups_in(t, false) || join_runs(t).is_none(), "gate drops {:?}", s);
            proptest::prop_assert!(may_join_digit_groups_walk(t) || join_runs(t).is_none(), "walk drops {:?}", s);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// `scheme_seps` gives the positions `memmem::find_iter` gave.
        #[test]
        fn scheme_seps_are_memmem_matches(t in proptest::collection::vec(proptest::sample::select(b":/ax".to_vec()), 0..40)) {
            let want: Vec<usize> = memchr::memmem::find_iter(&t, b"://").collect();
            proptest::prop_assert_eq!(scheme_seps(&t).collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn scheme_seps_at_the_edges() {
        for (t, want) in [
            (&b"://"[..], vec![0]),
            (b":///", vec![0]),
            (b"a:/", vec![]),
            (b"a:", vec![]),
            (b"x://y://", vec![1, 5]),
            (b":://", vec![1]),
            (b"", vec![]),
        ] {
            assert_eq!(
                scheme_seps(t).collect::<Vec<_>>(),
                want,
                "{:?}",
                String::from_utf8_lossy(t)
            );
        }
    }
}
