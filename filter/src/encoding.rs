//! Content-Encoding: bounded decompression for inspection and
//! re-compression of a rewritten body with the same encoding.

use flate2::read::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use std::io::{Read, Write};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Deflate,
}

#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// An encoding this build does not read (named), or several stacked.
    Unsupported(String),
    /// The decompressed body would exceed the limit (zip bomb or just big).
    TooLarge,
    /// The compressed stream is corrupt.
    Corrupt,
}

/// Most content codings undone on one body (`gzip, gzip, ...`).
pub const MAX_LAYERS: usize = 4;

/// Parses a `Content-Encoding` header value into its first coding (the only
/// one when not stacked). See [`parse_all`] for stacked codings.
pub fn parse(value: Option<&str>) -> Result<Coding, DecodeError> {
    match parse_all(value)?.as_slice() {
        [] => Ok(Coding::Identity),
        [one] => Ok(*one),
        _ => Err(DecodeError::Unsupported("stacked".into())),
    }
}

/// Every coding of a `Content-Encoding` value, in the order they were
/// applied (`identity` dropped, `x-gzip` read as `gzip`), at most
/// [`MAX_LAYERS`]. An unknown coding is `Unsupported` (named when safe).
pub fn parse_all(value: Option<&str>) -> Result<Vec<Coding>, DecodeError> {
    let v = value.unwrap_or("").trim().to_ascii_lowercase();
    let mut out = Vec::new();
    for p in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        // parameters on a coding are not defined: anything after `;` is suspect
        let c = match p {
            "identity" => continue,
            "gzip" | "x-gzip" => Coding::Gzip,
            "deflate" => Coding::Deflate,
            other => return Err(DecodeError::Unsupported(safe(other))),
        };
        out.push(c);
    }
    if out.len() > MAX_LAYERS {
        return Err(DecodeError::Unsupported("stacked".into()));
    }
    Ok(out)
}

/// Undoes every layer (last applied first), each bounded by `limit`.
pub fn decode_all(cs: &[Coding], data: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    let mut cur = std::borrow::Cow::Borrowed(data);
    for c in cs.iter().rev() {
        cur = std::borrow::Cow::Owned(decode(*c, &cur, limit)?);
    }
    Ok(cur.into_owned())
}

/// Applies every layer again, in order.
pub fn encode_all(cs: &[Coding], data: &[u8]) -> Vec<u8> {
    let mut cur = data.to_vec();
    for c in cs {
        cur = encode(*c, &cur);
    }
    cur
}

fn safe(s: &str) -> String {
    if s.len() <= 24 && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
        s.to_string()
    } else {
        "unknown".to_string()
    }
}

/// Decompresses at most `limit` bytes.
pub fn decode(c: Coding, data: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    fn read_all(mut r: impl Read, limit: usize) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        let mut taken = (&mut r).take(limit as u64 + 1);
        taken.read_to_end(&mut out).map_err(|_| DecodeError::Corrupt)?;
        if out.len() > limit {
            return Err(DecodeError::TooLarge);
        }
        Ok(out)
    }
    match c {
        Coding::Identity => Ok(data.to_vec()),
        // Every member, as common decoders read them; bytes after the last
        // member that are not another member make the body corrupt.
        Coding::Gzip => {
            if data.len() < 18 || data[..2] != [0x1f, 0x8b] {
                return Err(DecodeError::Corrupt);
            }
            read_all(MultiGzDecoder::new(data), limit)
        }
        Coding::Deflate => {
            // "deflate" is zlib-wrapped per the RFC; some senders use raw deflate.
            match read_all(ZlibDecoder::new(data), limit) {
                Err(DecodeError::Corrupt) => read_all(DeflateDecoder::new(data), limit),
                other => other,
            }
        }
    }
}

/// Compresses a rewritten body with the same coding.
pub fn encode(c: Coding, data: &[u8]) -> Vec<u8> {
    let res = match c {
        Coding::Identity => return data.to_vec(),
        Coding::Gzip => {
            let mut e = GzEncoder::new(Vec::new(), Compression::fast());
            e.write_all(data).and_then(|_| e.finish())
        }
        Coding::Deflate => {
            let mut e = ZlibEncoder::new(Vec::new(), Compression::fast());
            e.write_all(data).and_then(|_| e.finish())
        }
    };
    res.unwrap_or_default()
}

/// The `Accept-Encoding` an upstream gets where the response is read and
/// may be redacted or blocked: only the codings this build reads (gzip,
/// deflate, identity), so that a `br` or `zstd` answer (which would have to
/// fail closed as uninspectable) is never asked for. `*` goes too (it would
/// let the upstream pick any coding). `None` when the header can stay as it
/// is (absent, or every coding readable); else the value to set instead of
/// every copy of the header.
pub fn readable_accept_encoding(values: &[&str]) -> Option<String> {
    let mut kept: Vec<&str> = Vec::new();
    let (mut dropped, mut accepted) = (values.len() > 1, false);
    for part in values.iter().flat_map(|v| v.split(',')) {
        let part = part.trim_ascii();
        let (coding, params) = part.split_once(';').unwrap_or((part, ""));
        let coding = coding.trim_ascii();
        if ["gzip", "x-gzip", "deflate", "identity"]
            .iter()
            .any(|c| coding.eq_ignore_ascii_case(c))
        {
            accepted |= !refused(params);
            kept.push(part);
        } else if !part.is_empty() {
            dropped = true;
        }
    }
    if !dropped {
        return None;
    }
    let mut out = String::new();
    for p in kept {
        // Everything left refused (`q=0`): the upstream may still send identity.
        if accepted || !p.get(..8).is_some_and(|c| same_name(c, "identity")) {
            out.push_str(p);
            out.push_str(", ");
        }
    }
    if !accepted {
        out.push_str("identity, ");
    }
    out.truncate(out.len() - 2);
    Some(out)
}

/// ASCII case-insensitive equality, one out-of-line copy (inlined, each
/// comparison costs hundreds of bytes of unrolled loop in the module).
#[inline(never)]
pub fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// `q=0` among a coding's parameters. qvalue = "0" [ "." 0*3DIGIT ] /
/// "1" [ "." 0*3"0" ]: zero is `0`, `0.`, `0.0`, ...
fn refused(params: &str) -> bool {
    params.split(';').filter_map(|p| p.split_once('=')).any(|(k, v)| {
        let v = v.trim_ascii();
        let (int, frac) = v.split_once('.').unwrap_or((v, ""));
        same_name(k.trim_ascii(), "q") && int == "0" && frac.bytes().all(|b| b == b'0')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_limits() {
        let data = b"hello jane@example.com".repeat(10);
        for c in [Coding::Gzip, Coding::Deflate] {
            let z = encode(c, &data);
            assert_eq!(decode(c, &z, 1 << 20), Ok(data.clone()));
            assert_eq!(decode(c, &z, 10), Err(DecodeError::TooLarge));
        }
        let bomb = encode(Coding::Gzip, &vec![0u8; 50 << 20]);
        assert!(bomb.len() < 1 << 20);
        assert_eq!(decode(Coding::Gzip, &bomb, 1 << 20), Err(DecodeError::TooLarge));
        assert_eq!(decode(Coding::Gzip, b"not gzip", 100), Err(DecodeError::Corrupt));
        assert_eq!(parse(Some("br")), Err(DecodeError::Unsupported("br".into())));
        assert_eq!(
            parse_all(Some("gzip, identity, x-gzip")),
            Ok(vec![Coding::Gzip, Coding::Gzip])
        );
        assert_eq!(parse_all(Some("gzip, br")), Err(DecodeError::Unsupported("br".into())));
        assert!(parse_all(Some("gzip,gzip,gzip,gzip,gzip")).is_err());
        // stacked layers and every member of a multi-member body
        let two = encode_all(&[Coding::Gzip, Coding::Deflate], &data);
        assert_eq!(
            decode_all(&[Coding::Gzip, Coding::Deflate], &two, 1 << 20),
            Ok(data.clone())
        );
        let multi = [
            encode(Coding::Gzip, b"first "),
            encode(Coding::Gzip, b"jane@example.com"),
        ]
        .concat();
        assert_eq!(
            decode(Coding::Gzip, &multi, 1 << 20),
            Ok(b"first jane@example.com".to_vec())
        );
        let trailing = [encode(Coding::Gzip, b"first "), b"jane@example.com".to_vec()].concat();
        assert_eq!(decode(Coding::Gzip, &trailing, 1 << 20), Err(DecodeError::Corrupt));
        assert_eq!(parse(Some("GZIP")), Ok(Coding::Gzip));
        assert_eq!(parse(None), Ok(Coding::Identity));
    }

    #[test]
    fn accept_encoding_keeps_only_what_is_read() {
        let r = |v: &[&str]| readable_accept_encoding(v);
        assert_eq!(r(&[]), None, "absent stays absent");
        assert_eq!(r(&["gzip, deflate"]), None);
        assert_eq!(r(&["GZip;q=0.8, identity"]), None);
        assert_eq!(r(&["gzip, deflate, br, zstd"]).as_deref(), Some("gzip, deflate"));
        assert_eq!(r(&["br;q=1.0, gzip;q=0.8, *;q=0.1"]).as_deref(), Some("gzip;q=0.8"));
        assert_eq!(r(&["br"]).as_deref(), Some("identity"));
        assert_eq!(r(&["*"]).as_deref(), Some("identity"));
        assert_eq!(r(&["br, gzip;q=0"]).as_deref(), Some("gzip;q=0, identity"));
        assert_eq!(r(&["zstd, identity;q=0"]).as_deref(), Some("identity"));
        assert_eq!(r(&["zstd, identity; Q = 0.000"]).as_deref(), Some("identity"));
        assert_eq!(r(&["zstd, identity;q=0.001"]).as_deref(), Some("identity;q=0.001"));
        assert_eq!(r(&["zstd, identity;q=1"]).as_deref(), Some("identity;q=1"));
        // several copies become one, even when each is readable
        assert_eq!(r(&["gzip", "deflate"]).as_deref(), Some("gzip, deflate"));
        assert_eq!(r(&["gzip", "br"]).as_deref(), Some("gzip"));
    }
}
