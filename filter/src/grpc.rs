//! gRPC and gRPC-Web bodies: length-prefixed messages (1 flag byte, 4 bytes
//! big-endian length), each a protocol buffer whose length-delimited fields
//! may hold text. Messages are walked without a schema: every
//! length-delimited field is tried as a nested message (bounded depth) and
//! read as text; a rewrite re-encodes every length on the way up, so the
//! output is valid framing and valid protobuf.

/// One length-prefixed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Bit 0: compressed. Bit 7 (gRPC-Web): trailers.
    pub flag: u8,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Malformed;

/// Splits a body into its frames; anything else (truncated, trailing bytes,
/// unknown flags) is malformed.
pub fn frames(body: &[u8]) -> Result<Vec<Frame>, Malformed> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < body.len() {
        let head = body.get(i..i + 5).ok_or(Malformed)?;
        let flag = head[0];
        if flag & !0x81 != 0 {
            return Err(Malformed);
        }
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let start = i + 5;
        let end = start.checked_add(len).filter(|e| *e <= body.len()).ok_or(Malformed)?;
        out.push(Frame { flag, start, end });
        i = end;
    }
    Ok(out)
}

/// Writes one frame.
pub fn put_frame(out: &mut Vec<u8>, flag: u8, payload: &[u8]) {
    out.push(flag);
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
}

fn varint(b: &[u8], i: &mut usize) -> Option<u64> {
    let mut v: u64 = 0;
    for k in 0..10 {
        let c = *b.get(*i)?;
        *i += 1;
        v |= ((c & 0x7f) as u64) << (7 * k);
        if c & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A length-delimited field of a message: where its tag starts, where its
/// content is.
struct Field {
    number: u64,
    tag_start: usize,
    start: usize,
    end: usize,
}

/// Parses a whole message; `None` unless every byte belongs to a valid field.
fn fields(b: &[u8]) -> Option<Vec<Field>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let tag_start = i;
        let key = varint(b, &mut i)?;
        let number = key >> 3;
        if number == 0 || number > 536_870_911 {
            return None;
        }
        match key & 7 {
            0 => {
                varint(b, &mut i)?;
            }
            1 => i = i.checked_add(8).filter(|e| *e <= b.len())?,
            5 => i = i.checked_add(4).filter(|e| *e <= b.len())?,
            2 => {
                let len = varint(b, &mut i)? as usize;
                let end = i.checked_add(len).filter(|e| *e <= b.len())?;
                out.push(Field {
                    number,
                    tag_start,
                    start: i,
                    end,
                });
                i = end;
            }
            _ => return None, // groups (3, 4) are deprecated; 6, 7 do not exist
        }
    }
    Some(out)
}

/// What the caller says about one length-delimited field read as text.
pub enum Leaf {
    Keep,
    Replace(Vec<u8>),
}

/// The callback for each length-delimited field: (field path, content,
/// found) -> what to do with it.
pub type LeafFn<'a> = dyn FnMut(&[u64], &[u8], &mut bool) -> Leaf + 'a;

/// Deepest nesting walked as messages.
pub const MAX_DEPTH: usize = 16;

/// Walks `msg`: `leaf(path, bytes)` is called for every length-delimited
/// field's content (as text), unless reading it as a nested message found
/// something (`found` set by the callback). Returns the rewritten message
/// when a field changed.
pub fn rewrite(msg: &[u8], path: &mut Vec<u64>, found: &mut bool, leaf: &mut LeafFn) -> Option<Vec<u8>> {
    let fs = fields(msg)?;
    let mut out: Option<Vec<u8>> = None;
    let mut at = 0;
    for f in fs {
        let content = &msg[f.start..f.end];
        path.push(f.number);
        let mut nested_found = false;
        let mut new: Option<Vec<u8>> = None;
        if path.len() < MAX_DEPTH && !content.is_empty() {
            if let Some(n) = rewrite(content, path, &mut nested_found, leaf) {
                new = Some(n);
            }
        }
        if !nested_found {
            if let Leaf::Replace(r) = leaf(path, content, &mut nested_found) {
                new = Some(r);
            }
        }
        *found |= nested_found;
        path.pop();
        if let Some(n) = new {
            let o = out.get_or_insert_with(|| Vec::with_capacity(msg.len() + 16));
            o.extend_from_slice(&msg[at..f.tag_start]);
            // the tag itself is unchanged: copy it
            let mut i = f.tag_start;
            let _ = varint(msg, &mut i);
            o.extend_from_slice(&msg[f.tag_start..i]);
            put_varint(o, n.len() as u64);
            o.extend_from_slice(&n);
            at = f.end;
        }
    }
    let mut o = out?;
    o.extend_from_slice(&msg[at..]);
    Some(o)
}

/// Whether `msg` parses as a protocol buffer message.
pub fn is_message(msg: &[u8]) -> bool {
    fields(msg).is_some()
}

/// The base64 body of `application/grpc-web-text`: concatenated base64
/// chunks (each possibly padded), whitespace ignored.
pub fn decode_web_text(b: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let clean: Vec<u8> = b.iter().copied().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    let mut i = 0;
    while i < clean.len() {
        // a chunk ends after its padding
        let mut e = i;
        while e < clean.len() && clean[e] != b'=' {
            e += 1;
        }
        while e < clean.len() && clean[e] == b'=' {
            e += 1;
        }
        let chunk = &clean[i..e];
        let core: &[u8] = {
            let mut c = chunk;
            while let Some(x) = c.strip_suffix(b"=") {
                c = x;
            }
            c
        };
        let part = base64::engine::general_purpose::STANDARD_NO_PAD.decode(core).ok()?;
        out.extend_from_slice(&part);
        i = e;
    }
    Some(out)
}

pub fn encode_web_text(b: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(n: u64, content: &[u8]) -> Vec<u8> {
        let mut o = Vec::new();
        put_varint(&mut o, n << 3 | 2);
        put_varint(&mut o, content.len() as u64);
        o.extend_from_slice(content);
        o
    }

    #[test]
    fn rewrite_fixes_lengths() {
        let inner = [field(1, b"jane@example.com"), vec![0x10, 0x96, 0x01]].concat();
        let msg = [vec![0x08, 0x01], field(2, &inner), field(3, b"ok")].concat();
        let mut framed = Vec::new();
        put_frame(&mut framed, 0, &msg);
        let fr = frames(&framed).unwrap();
        assert_eq!(fr.len(), 1);
        let mut seen = Vec::new();
        let mut found = false;
        let out = rewrite(&framed[5..], &mut Vec::new(), &mut found, &mut |p, b, f| {
            seen.push((p.to_vec(), String::from_utf8_lossy(b).into_owned()));
            if b == b"jane@example.com" {
                *f = true;
                Leaf::Replace(b"[EMAIL]".to_vec())
            } else {
                Leaf::Keep
            }
        })
        .unwrap();
        assert!(found);
        let want = [
            vec![0x08, 0x01],
            field(2, &[field(1, b"[EMAIL]"), vec![0x10, 0x96, 0x01]].concat()),
            field(3, b"ok"),
        ]
        .concat();
        assert_eq!(out, want);
        assert!(seen.iter().any(|(p, _)| p == &vec![2, 1]));
        assert!(is_message(&out));
        assert!(frames(&[0, 0, 0, 0, 9, 1]).is_err());
        assert!(frames(&[2, 0, 0, 0, 0]).is_err());
        assert_eq!(frames(b"{\"a\":1}"), Err(Malformed));
    }

    #[test]
    fn web_text() {
        let a = encode_web_text(b"\x00\x00\x00\x00\x02hi");
        let b = encode_web_text(b"\x80\x00\x00\x00\x01x");
        let both = [a, b].concat();
        assert_eq!(
            decode_web_text(&both).unwrap(),
            b"\x00\x00\x00\x00\x02hi\x80\x00\x00\x00\x01x".to_vec()
        );
    }
}
