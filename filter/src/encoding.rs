//! Content-Encoding: bounded decompression for inspection and
//! re-compression of a rewritten body with the same encoding.

use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};
use std::io::{self, Read};

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
///
/// The readers below are flate2's `MultiGzDecoder`, `ZlibDecoder` and
/// `DeflateDecoder` (1.1, miniz_oxide backend) over miniz_oxide directly:
/// the same stream inflater fed the same input chunks (flate2's 32 KiB
/// buffer) and read into the same output slices (`Read::take` and
/// `read_to_end`), so that where an error falls against the limit (too
/// large or corrupt) is decided exactly as before. `tests/gzip_equivalence.rs`
/// compares them with flate2 on corpora and mutated streams.
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
            read_all(Gunzip::new(data), limit)
        }
        Coding::Deflate => {
            // "deflate" is zlib-wrapped per the RFC; some senders use raw deflate.
            match read_all(Inflater::new(data, DataFormat::Zlib), limit) {
                Err(DecodeError::Corrupt) => read_all(Inflater::new(data, DataFormat::Raw), limit),
                other => other,
            }
        }
    }
}

/// flate2's input buffer: the inflater is fed at most this much at a time.
const IN_BUF: usize = 32 * 1024;

/// `data` read through flate2's `BufReader` (32 KiB): `data[pos..cap]` is
/// what the buffer holds; the reader under it has given out `data[..cap]`.
struct Input<'a> {
    data: &'a [u8],
    pos: usize,
    cap: usize,
}

impl<'a> Input<'a> {
    fn fill_buf(&mut self) -> &'a [u8] {
        if self.pos == self.cap {
            self.cap += (self.data.len() - self.cap).min(IN_BUF);
        }
        self.data.get(self.pos..self.cap).unwrap_or_default()
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.cap);
    }

    /// `BufReader::read`: a read of a buffer's size or more with nothing
    /// buffered bypasses the buffer.
    fn read(&mut self, buf: &mut [u8]) -> usize {
        let from = if self.pos == self.cap && buf.len() >= IN_BUF {
            let n = (self.data.len() - self.cap).min(buf.len());
            let from = self.data.get(self.cap..self.cap + n).unwrap_or_default();
            self.cap += n;
            self.pos = self.cap;
            from
        } else {
            let rem = self.fill_buf();
            let n = rem.len().min(buf.len());
            self.consume(n);
            rem.get(..n).unwrap_or_default()
        };
        if let Some(to) = buf.get_mut(..from.len()) {
            to.copy_from_slice(from);
        }
        from.len()
    }

    /// Fills `buf` (flate2's `read_into` until full): an error at the end.
    fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        let mut at = 0;
        while let Some(rest) = buf.get_mut(at..).filter(|r| !r.is_empty()) {
            match self.read(rest) {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => at += n,
            }
        }
        Ok(())
    }
}

/// flate2's `zio::read` over a `Decompress`: inflates into `dst` until
/// something comes out, the stream ends or fails.
fn inflate_into(input: &mut Input, z: &mut InflateState, dst: &mut [u8]) -> io::Result<usize> {
    loop {
        let chunk = input.fill_buf();
        let eof = chunk.is_empty();
        let flush = if eof { MZFlush::Finish } else { MZFlush::None };
        let res = inflate(z, chunk, dst, flush);
        input.consume(res.bytes_consumed);
        let read = res.bytes_written;
        match res.status {
            Ok(MZStatus::Ok) | Err(MZError::Buf) if read == 0 && !dst.is_empty() => {
                if eof {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
            }
            Ok(MZStatus::Ok | MZStatus::StreamEnd) | Err(MZError::Buf) => return Ok(read),
            Ok(MZStatus::NeedDict) | Err(_) => return Err(io::ErrorKind::InvalidData.into()),
        }
    }
}

/// One zlib or raw deflate stream (flate2's `ZlibDecoder`, `DeflateDecoder`):
/// bytes after its end are not read.
struct Inflater<'a> {
    input: Input<'a>,
    z: Box<InflateState>,
}

impl<'a> Inflater<'a> {
    fn new(data: &'a [u8], format: DataFormat) -> Self {
        Inflater {
            input: Input { data, pos: 0, cap: 0 },
            z: InflateState::new_boxed(format),
        }
    }
}

impl Read for Inflater<'_> {
    fn read(&mut self, into: &mut [u8]) -> io::Result<usize> {
        inflate_into(&mut self.input, &mut self.z, into)
    }
}

/// Where [`Gunzip`] is in the current member.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Member {
    Header,
    Body,
    Trailer,
    End,
}

/// Every gzip member of a body, one after the other (flate2's
/// `MultiGzDecoder`): each member's header (RFC 1952, reserved flags
/// refused, a name or comment of at most 65,535 bytes, its CRC-16 when
/// flagged), its deflate stream, its CRC-32 and length; after a member,
/// anything but the end of the body must be another member.
struct Gunzip<'a> {
    input: Input<'a>,
    z: Box<InflateState>,
    crc: u32,
    len: u32,
    at: Member,
}

/// flate2's bound on a header's name or comment.
const MAX_HEADER_FIELD: usize = 65535;

impl<'a> Gunzip<'a> {
    fn new(data: &'a [u8]) -> Self {
        Gunzip {
            input: Input { data, pos: 0, cap: 0 },
            z: InflateState::new_boxed(DataFormat::Raw),
            crc: 0,
            len: 0,
            at: Member::Header,
        }
    }

    fn header(&mut self) -> io::Result<()> {
        let bad = || io::Error::from(io::ErrorKind::InvalidData);
        let mut fixed = [0u8; 10];
        self.input.read_exact(&mut fixed)?;
        let flags = fixed[3];
        if fixed[..3] != [0x1f, 0x8b, 8] || flags & 0xe0 != 0 {
            return Err(bad());
        }
        // the header's own CRC (FHCRC): its low 16 bits
        let mut hcrc = crc32_update(0, &fixed);
        if flags & 4 != 0 {
            let mut xlen = [0u8; 2];
            self.input.read_exact(&mut xlen)?;
            hcrc = crc32_update(hcrc, &xlen);
            let mut extra = vec![0u8; usize::from(u16::from_le_bytes(xlen))];
            self.input.read_exact(&mut extra)?;
            hcrc = crc32_update(hcrc, &extra);
        }
        for flag in [8u8, 16] {
            if flags & flag != 0 {
                let mut n = 0;
                loop {
                    let mut b = [0u8; 1];
                    if self.input.read(&mut b) == 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                    hcrc = crc32_update(hcrc, &b);
                    if b[0] == 0 {
                        break;
                    }
                    if n == MAX_HEADER_FIELD {
                        return Err(bad());
                    }
                    n += 1;
                }
            }
        }
        if flags & 2 != 0 {
            let mut stored = [0u8; 2];
            self.input.read_exact(&mut stored)?;
            if u16::from_le_bytes(stored) != hcrc as u16 {
                return Err(bad());
            }
        }
        Ok(())
    }
}

impl Read for Gunzip<'_> {
    fn read(&mut self, into: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.at {
                Member::Header => {
                    self.header()?;
                    self.at = Member::Body;
                }
                Member::Body => {
                    if into.is_empty() {
                        return Ok(0);
                    }
                    let n = inflate_into(&mut self.input, &mut self.z, into)?;
                    let Some(out) = into.get(..n).filter(|o| !o.is_empty()) else {
                        self.at = Member::Trailer;
                        continue;
                    };
                    self.crc = crc32_update(self.crc, out);
                    self.len = self.len.wrapping_add(n as u32);
                    return Ok(n);
                }
                Member::Trailer => {
                    let mut t = [0u8; 8];
                    self.input.read_exact(&mut t)?;
                    if t[..4] != self.crc.to_le_bytes() || t[4..] != self.len.to_le_bytes() {
                        self.at = Member::End;
                        return Err(io::ErrorKind::InvalidData.into());
                    }
                    if self.input.fill_buf().is_empty() {
                        self.at = Member::End;
                    } else {
                        (self.crc, self.len) = (0, 0);
                        self.z.reset(DataFormat::Raw);
                        self.at = Member::Header;
                    }
                }
                Member::End => return Ok(0),
            }
        }
    }
}

/// CRC-32 (ISO-HDLC: gzip's and zlib's `crc32`) of `b`.
pub fn crc32(b: &[u8]) -> u32 {
    crc32_update(0, b)
}

/// The CRC-32 `crc` of some bytes continued over `b` (0 to start): eight
/// bytes at a time through eight 1 KiB tables built at compile time
/// (crc32fast's portable path has sixteen, 16 KiB, and took more
/// instructions per byte: bench/SIZE.md, session 8).
pub fn crc32_update(crc: u32, b: &[u8]) -> u32 {
    let t = &CRC_TABLES;
    let mut c = !crc;
    let mut words = b.chunks_exact(8);
    for w in &mut words {
        let lo = u32::from_le_bytes([w[0], w[1], w[2], w[3]]) ^ c;
        let hi = u32::from_le_bytes([w[4], w[5], w[6], w[7]]);
        c = t[7][(lo & 0xff) as usize]
            ^ t[6][(lo >> 8 & 0xff) as usize]
            ^ t[5][(lo >> 16 & 0xff) as usize]
            ^ t[4][(lo >> 24) as usize]
            ^ t[3][(hi & 0xff) as usize]
            ^ t[2][(hi >> 8 & 0xff) as usize]
            ^ t[1][(hi >> 16 & 0xff) as usize]
            ^ t[0][(hi >> 24) as usize];
    }
    for &x in words.remainder() {
        c = t[0][((c ^ u32::from(x)) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

/// `CRC_TABLES[0]`: the CRC of each byte (reflected polynomial
/// 0xEDB88320); `[k]`: of that byte followed by `k` zero bytes.
static CRC_TABLES: [[u32; 256]; 8] = crc_tables();

const fn crc_tables() -> [[u32; 256]; 8] {
    let mut t = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut s = 1;
    while s < 8 {
        let mut i = 0;
        while i < 256 {
            let p = t[s - 1][i];
            t[s][i] = (p >> 8) ^ t[0][(p & 0xff) as usize];
            i += 1;
        }
        s += 1;
    }
    t
}

/// Raw deflate (no header), flate2's `Compression::fast()`.
pub fn deflate_raw(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(data, 1)
}

/// Compresses a rewritten body with the same coding (flate2's
/// `GzEncoder`/`ZlibEncoder` at `Compression::fast()`: the same bytes).
pub fn encode(c: Coding, data: &[u8]) -> Vec<u8> {
    match c {
        Coding::Identity => data.to_vec(),
        Coding::Gzip => {
            // no name, no time; XFL 4 (fastest); OS 255 (unknown)
            let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255];
            out.extend_from_slice(&deflate_raw(data));
            out.extend_from_slice(&crc32(data).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out
        }
        Coding::Deflate => miniz_oxide::deflate::compress_to_vec_zlib(data, 1),
    }
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
