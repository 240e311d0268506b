//! Archives a receiver unpacks: a ZIP body (`.zip`, and every format built
//! on one: `.docx`, `.xlsx`, `.odt`, `.jar`, `.epub`) holds its files
//! deflated, so the text of a document reached the upstream unread whatever
//! the route said (red team, session 16: a `.docx` with a card and an
//! e-mail in `word/document.xml` passed a route that redacts everything).
//!
//! - A ZIP is recognised by a local file header at its start, or by the
//!   end-of-central-directory record near its end (where the readers that
//!   take the central directory look: a ZIP after other bytes is one too).
//! - Every member is read: those the central directory lists and every
//!   local file header in the body (a streaming reader such as Java's
//!   `ZipInputStream` reads the local headers alone). Stored members are
//!   read as they are, deflated ones inflated; any other method, an
//!   encrypted member, or more than [`MAX_MEMBERS`] is uninspectable, and
//!   so is the archive whose members inflate past `limits.max_body_bytes`.
//! - A member is not rewritten (its CRC, sizes and the directory's offsets
//!   would all change): an archive holding anything to redact is
//!   uninspectable with the members' findings (fails closed on enforcing
//!   routes); to block, it blocks.
//! - Compressed formats this build cannot read (bzip2, xz, zstd, 7z, RAR,
//!   LZ4, lzip), recognised by their magic, are uninspectable.
//!
//! Read only on a direction that redacts or blocks (elsewhere nothing a
//! member holds could change the outcome).

use crate::config::Action;
use crate::engine::{BodyResult, Direction, Engine};
use crate::policy::Route;

/// Most members read in one archive.
pub const MAX_MEMBERS: usize = 1024;

const LOCAL: &[u8; 4] = b"PK\x03\x04";
const CENTRAL: &[u8; 4] = b"PK\x01\x02";
const END: &[u8; 4] = b"PK\x05\x06";
/// The end record's fixed part; a comment of up to 65,535 bytes follows.
const END_LEN: usize = 22;

/// Compressed formats recognised by their first bytes that this build does
/// not decompress.
pub fn opaque(b: &[u8]) -> Option<&'static str> {
    Some(match b {
        [b'B', b'Z', b'h', b'1'..=b'9', 0x31, 0x41, 0x59, 0x26, 0x53, 0x59, ..] => "bzip2",
        [0xFD, b'7', b'z', b'X', b'Z', 0, ..] => "xz",
        [0x28, 0xB5, 0x2F, 0xFD, ..] => "zstd",
        [b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C, ..] => "7z",
        [b'R', b'a', b'r', b'!', 0x1A, 0x07, ..] => "rar",
        [0x04, 0x22, 0x4D, 0x18, ..] => "lz4",
        [b'L', b'Z', b'I', b'P', 1, ..] => "lzip",
        _ => return None,
    })
}

/// Whether `b` starts as an archive does (a ZIP's local header, or the
/// first bytes of an [`opaque`] format): read from its first six bytes, as
/// a base64 token's head is.
#[inline]
pub fn starts_archive(b: &[u8]) -> bool {
    const HEADS: [&[u8]; 8] = [
        LOCAL,
        b"BZh",
        b"\xFD7zXZ\x00",
        b"\x28\xB5\x2F\xFD",
        b"7z\xBC\xAF\x27\x1C",
        b"Rar!\x1A\x07",
        b"\x04\x22\x4D\x18",
        b"LZIP",
    ];
    // (one look at the first byte: most values start with none of these)
    matches!(b.first(), Some(b'P' | b'B' | 0xFD | 0x28 | b'7' | b'R' | 0x04 | b'L'))
        && HEADS.iter().any(|h| b.starts_with(h))
}

fn u16_at(b: &[u8], i: usize) -> Option<usize> {
    Some(u16::from_le_bytes([*b.get(i)?, *b.get(i + 1)?]) as usize)
}

fn u32_at(b: &[u8], i: usize) -> Option<usize> {
    Some(u32::from_le_bytes([*b.get(i)?, *b.get(i + 1)?, *b.get(i + 2)?, *b.get(i + 3)?]) as usize)
}

/// The offset of the end-of-central-directory record: in the last
/// 65,557 bytes, the last `PK\x05\x06` (found by its rarest byte first, so
/// a text body costs one `memrchr`).
fn end_record(b: &[u8]) -> Option<usize> {
    let from = b.len().saturating_sub(END_LEN + 0xFFFF);
    let tail = &b[from..];
    memchr::memrchr_iter(0x06, tail)
        .filter(|&i| i >= 3 && &tail[i - 3..=i] == END && tail.len() - (i - 3) >= END_LEN)
        .map(|i| from + i - 3)
        .next()
}

/// Whether `b` is a ZIP archive.
pub fn is_zip(b: &[u8]) -> bool {
    b.starts_with(LOCAL) || end_record(b).is_some()
}

/// A member as its local header and the central directory describe it.
#[derive(Debug, PartialEq, Eq)]
pub enum Member<'a> {
    Stored(&'a [u8]),
    Deflated(&'a [u8]),
    /// Why it cannot be read (`encrypted`, `method_12`, `truncated`).
    Unreadable(String),
}

/// Every member of the archive: one per local header found in the body (by
/// the central directory's offsets and by a search for the signature),
/// in body order, at most [`MAX_MEMBERS`] (`Err` past that).
pub fn members(b: &[u8]) -> Result<Vec<Member<'_>>, &'static str> {
    // compressed sizes the central directory gives, by local header offset
    let mut sizes: Vec<(usize, usize)> = Vec::new();
    if let Some(e) = end_record(b) {
        let count = u16_at(b, e + 10).unwrap_or(0);
        let mut at = u32_at(b, e + 16).unwrap_or(usize::MAX);
        for _ in 0..count.min(MAX_MEMBERS + 1) {
            if b.get(at..at + 4) != Some(&CENTRAL[..]) {
                break;
            }
            let (Some(csize), Some(nlen), Some(xlen), Some(clen), Some(off)) = (
                u32_at(b, at + 20),
                u16_at(b, at + 28),
                u16_at(b, at + 30),
                u16_at(b, at + 32),
                u32_at(b, at + 42),
            ) else {
                break;
            };
            sizes.push((off, csize));
            at += 46 + nlen + xlen + clen;
        }
    }
    let mut starts: Vec<usize> = memchr::memmem::find_iter(b, LOCAL).collect();
    starts.extend(
        sizes
            .iter()
            .map(|s| s.0)
            .filter(|&o| b.get(o..o + 4) == Some(&LOCAL[..])),
    );
    starts.sort_unstable();
    starts.dedup();
    if starts.len() > MAX_MEMBERS {
        return Err("members");
    }
    Ok(starts.into_iter().map(|o| member_at(b, o, &sizes)).collect())
}

fn member_at<'a>(b: &'a [u8], o: usize, sizes: &[(usize, usize)]) -> Member<'a> {
    let (Some(flags), Some(method), Some(csize), Some(nlen), Some(xlen)) = (
        u16_at(b, o + 6),
        u16_at(b, o + 8),
        u32_at(b, o + 18),
        u16_at(b, o + 26),
        u16_at(b, o + 28),
    ) else {
        return Member::Unreadable("truncated".into());
    };
    if flags & 1 != 0 {
        return Member::Unreadable("encrypted".into());
    }
    let start = o + 30 + nlen + xlen;
    let Some(rest) = b.get(start..) else {
        return Member::Unreadable("truncated".into());
    };
    // a data descriptor (flag 3) leaves the local sizes zero: the directory's
    // size, else everything up to the end (a deflate stream ends by itself)
    let size = match sizes.iter().find(|s| s.0 == o) {
        Some(&(_, s)) if s != 0xFFFF_FFFF => s,
        _ if flags & 8 == 0 && csize != 0xFFFF_FFFF => csize,
        _ => rest.len(),
    };
    let data = &rest[..size.min(rest.len())];
    match method {
        0 => Member::Stored(data),
        8 => Member::Deflated(if flags & 8 != 0 { rest } else { data }),
        m => Member::Unreadable(format!("method_{m}")),
    }
}

/// Reads the members of an archive (`Ok(false)`: `b` is none), each
/// member's bytes (stored, or inflated) given to `each`, at most `limit`
/// bytes in all. `Err` with why when some member cannot be read: an
/// opaque format, another method, encryption, a nested archive, too many
/// members or too many bytes.
pub fn read_members(b: &[u8], limit: usize, each: &mut dyn FnMut(&[u8])) -> Result<bool, String> {
    if let Some(name) = opaque(b) {
        return Err(format!("archive:{name}"));
    }
    if !is_zip(b) {
        return Ok(false);
    }
    let mut budget = limit;
    for m in members(b).map_err(|why| format!("zip:{why}"))? {
        let plain;
        let bytes: &[u8] = match m {
            Member::Stored(s) => s,
            Member::Deflated(z) => match super::sniff::inflate(super::sniff::Packed::Deflate, z, budget) {
                Ok(r) => {
                    plain = r.plain;
                    &plain
                }
                Err(super::sniff::TooLarge) => return Err("zip:oversize".into()),
            },
            Member::Unreadable(why) => return Err(format!("zip:{why}")),
        };
        budget = budget.saturating_sub(bytes.len());
        if bytes.is_empty() {
            continue;
        }
        if is_zip(bytes) || opaque(bytes).is_some() {
            return Err("zip:nested".into());
        }
        each(bytes);
    }
    Ok(true)
}

/// Reads a body that is an archive (`None`: it is not one, or nothing on
/// this direction can be redacted or blocked). `inner` reads a member's
/// bytes as a body of their own.
pub fn inspect_archive(
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
    if !(dp.blocks || dp.redacts) {
        return None;
    }
    let mut found = crate::model::Inspection::default();
    let read = read_members(body, engine.policy.limits.max_body_bytes, &mut |m| {
        found.merge(inner(m).inspection);
    });
    match read {
        Ok(false) => None,
        Err(why) => {
            let mut u = engine.uninspectable(route, why);
            u.inspection.merge(found);
            Some(u)
        }
        Ok(true) => {
            // the bytes as they are too (stored members, names, comments)
            let mut res = inner(body);
            res.inspection.merge(found);
            res.body = None;
            if res.inspection.max_action() == Some(Action::Redact) {
                // nothing in an archive is rewritten
                let mut u = engine.uninspectable(route, "zip:redaction".into());
                u.inspection.merge(res.inspection);
                return Some(u);
            }
            Some(res)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ZIP written by hand: `(name, method, data as stored)`, with a
    /// central directory.
    pub(crate) fn zip(entries: &[(&str, u16, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, method, data) in entries {
            let off = out.len() as u32;
            let head = |sig: &[u8]| {
                let mut h = sig.to_vec();
                if sig == CENTRAL {
                    h.extend_from_slice(&20u16.to_le_bytes());
                }
                h.extend_from_slice(&20u16.to_le_bytes());
                h.extend_from_slice(&0u16.to_le_bytes());
                h.extend_from_slice(&method.to_le_bytes());
                h.extend_from_slice(&[0; 8]);
                h.extend_from_slice(&(data.len() as u32).to_le_bytes());
                h.extend_from_slice(&(data.len() as u32).to_le_bytes());
                h.extend_from_slice(&(name.len() as u16).to_le_bytes());
                h.extend_from_slice(&0u16.to_le_bytes());
                h
            };
            out.extend(head(LOCAL));
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            central.extend(head(CENTRAL));
            central.extend_from_slice(&[0; 12]);
            central.extend_from_slice(&off.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let at = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(END);
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&at.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    #[test]
    fn members_are_read_by_their_method() {
        let z = miniz_oxide::deflate::compress_to_vec(b"deflated text", 6);
        let a = zip(&[("a.txt", 0, b"stored text"), ("b.xml", 8, &z), ("c", 12, b"BZh9")]);
        assert!(is_zip(&a));
        let m = members(&a).unwrap_or_default();
        assert_eq!(m.len(), 3);
        assert_eq!(m[0], Member::Stored(b"stored text"));
        assert_eq!(m[1], Member::Deflated(&z));
        assert_eq!(m[2], Member::Unreadable("method_12".into()));
    }

    /// The central directory's readers find an archive after other bytes
    /// (a self-extractor, an image before it); the text bodies they never
    /// find one in are not archives.
    #[test]
    fn an_archive_is_found_by_its_end_record() {
        let a = zip(&[("a.txt", 0, b"x")]);
        let mut after = b"GIF89a some image bytes".to_vec();
        after.extend_from_slice(&a);
        assert!(is_zip(&after));
        // an end record needs its 22 bytes
        assert!(!is_zip(b"text PK\x05\x06 and less"));
        assert!(!is_zip(b"plain text"));
        assert!(!is_zip(b""));
    }

    #[test]
    fn opaque_formats_by_magic() {
        assert_eq!(opaque(b"BZh91AY&SYrest"), Some("bzip2"));
        assert_eq!(opaque(b"\xfd7zXZ\x00rest"), Some("xz"));
        assert_eq!(opaque(b"\x28\xb5\x2f\xfdrest"), Some("zstd"));
        assert_eq!(opaque(b"BZh is a word"), None);
        assert_eq!(opaque(b"{\"a\":1}"), None);
    }

    #[test]
    fn many_members_are_refused() {
        let entries: Vec<(String, u16, &[u8])> = (0..MAX_MEMBERS + 1)
            .map(|i| (format!("{i}"), 0u16, &b"x"[..]))
            .collect();
        let refs: Vec<(&str, u16, &[u8])> = entries.iter().map(|(n, m, d)| (n.as_str(), *m, *d)).collect();
        assert_eq!(members(&zip(&refs)), Err("members"));
    }
}
