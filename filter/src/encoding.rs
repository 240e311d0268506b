//! Content-Encoding: bounded decompression for inspection and
//! re-compression of a rewritten body with the same encoding.

use flate2::read::{DeflateDecoder, GzDecoder, ZlibDecoder};
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

/// Parses a `Content-Encoding` header value.
pub fn parse(value: Option<&str>) -> Result<Coding, DecodeError> {
    let v = value.unwrap_or("").trim().to_ascii_lowercase();
    let parts: Vec<&str> = v
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty() && *p != "identity")
        .collect();
    match parts.as_slice() {
        [] => Ok(Coding::Identity),
        ["gzip"] | ["x-gzip"] => Ok(Coding::Gzip),
        ["deflate"] => Ok(Coding::Deflate),
        [one] => Err(DecodeError::Unsupported(safe(one))),
        _ => Err(DecodeError::Unsupported("stacked".into())),
    }
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
        Coding::Gzip => read_all(GzDecoder::new(data), limit),
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
            parse(Some("gzip, gzip")),
            Err(DecodeError::Unsupported("stacked".into()))
        );
        assert_eq!(parse(Some("GZIP")), Ok(Coding::Gzip));
        assert_eq!(parse(None), Ok(Coding::Identity));
    }
}
