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
}
