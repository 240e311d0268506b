//! `multipart/form-data` (RFC 7578): split into parts, so that each field is
//! inspected by its name and content type, and put back together.

/// One part: the byte range of its body in the whole message, and what its
/// headers say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The part's header block (without the blank line that ends it).
    pub head_start: usize,
    pub head_end: usize,
    pub body_start: usize,
    pub body_end: usize,
    pub name: Option<String>,
    pub filename: bool,
    pub content_type: Option<String>,
    /// `Content-Transfer-Encoding` the part declares (lower-case), if any.
    pub transfer: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

/// The `boundary` parameter of a multipart content type. Two different
/// `boundary` parameters give an empty one (malformed): parsers differ on
/// which they take, and a body can be built to read as different parts
/// under each.
pub fn boundary(content_type: &str) -> Option<String> {
    let lower = content_type.to_ascii_lowercase();
    if !lower.trim_start().starts_with("multipart/") {
        return None;
    }
    let mut found: Option<String> = None;
    for p in content_type.split(';').skip(1) {
        let Some((k, v)) = p.split_once('=') else {
            continue;
        };
        if !k.trim().eq_ignore_ascii_case("boundary") {
            continue;
        }
        let v = v.trim().trim_matches('"').to_string();
        match &found {
            Some(f) if *f != v => return Some(String::new()),
            _ => found = Some(v),
        }
    }
    found
}

/// Deepest nesting of multipart bodies inside parts that is read.
pub const MAX_NESTING: usize = 4;

/// Splits a multipart body by its content type: the boundary (one), a
/// charset the parts can be read in (a receiver such as Tomcat decodes the
/// fields in the request's charset: one this build cannot read makes the
/// body malformed here), then [`parse`].
pub fn split(content_type: &str, body: &[u8]) -> Result<Vec<Part>, Malformed> {
    let b = boundary(content_type).ok_or(Malformed("no boundary"))?;
    if crate::textcode::declared_charset(Some(content_type)).is_err() {
        return Err(Malformed("charset"));
    }
    parse(body, &b)
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    memchr::memmem::find(hay.get(from..)?, needle).map(|i| i + from)
}

/// Splits a multipart body. Anything that does not follow the grammar (no
/// first delimiter, unterminated part or headers, no closing delimiter) is
/// malformed: the caller treats the body as uninspectable.
pub fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, Malformed> {
    if boundary.is_empty() || boundary.len() > 70 {
        return Err(Malformed("boundary"));
    }
    let delim = format!("--{boundary}");
    let delim = delim.as_bytes();
    let mut pos = match find(body, delim, 0) {
        Some(0) => 0,
        Some(p) if body[..p].ends_with(b"\r\n") => p,
        _ => return Err(Malformed("no first delimiter")),
    };
    let mut parts = Vec::new();
    let mut next_delim = Vec::with_capacity(delim.len() + 2);
    next_delim.extend_from_slice(b"\r\n");
    next_delim.extend_from_slice(delim);
    loop {
        pos += delim.len();
        if body.get(pos..pos + 2) == Some(b"--") {
            return Ok(parts);
        }
        // transport padding, then CRLF
        while body.get(pos).is_some_and(|c| *c == b' ' || *c == b'\t') {
            pos += 1;
        }
        if body.get(pos..pos + 2) != Some(b"\r\n") {
            return Err(Malformed("delimiter line"));
        }
        pos += 2;
        let head_end = find(body, b"\r\n\r\n", pos).ok_or(Malformed("part headers"))?;
        let headers = &body[pos..head_end];
        let body_start = head_end + 4;
        let body_end = find(body, &next_delim, body_start).ok_or(Malformed("unterminated part"))?;
        let mut part = Part {
            head_start: pos,
            head_end,
            body_start,
            body_end,
            name: None,
            filename: false,
            content_type: None,
            transfer: None,
        };
        // A header given twice with different values: receivers differ on
        // which copy they take (Go the first, others the last), so the
        // part is read one way here and another way upstream.
        let mut seen: [Option<String>; 3] = [None, None, None];
        // Folded header lines: a line that starts with a space or a tab
        // continues the one before, as Go's textproto and Python's email
        // parser unfold them (red team: `name="lastName"` on a continuation
        // line left the field without its name).
        let mut lines: Vec<String> = Vec::new();
        for raw in headers.split(|c| *c == b'\n') {
            let l = String::from_utf8_lossy(raw);
            let l = l.trim_end_matches('\r');
            match lines.last_mut() {
                Some(prev) if l.starts_with([' ', '\t']) => {
                    prev.push(' ');
                    prev.push_str(l.trim_start());
                }
                _ => lines.push(l.to_string()),
            }
        }
        for line in &lines {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let slot = ["content-disposition", "content-type", "content-transfer-encoding"]
                .iter()
                .position(|h| k.trim().eq_ignore_ascii_case(h));
            if let Some(i) = slot {
                let v = v.trim();
                match &seen[i] {
                    Some(prev) if !prev.eq_ignore_ascii_case(v) => return Err(Malformed("repeated part header")),
                    _ => seen[i] = Some(v.to_string()),
                }
            }
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                for p in v.split(';').skip(1) {
                    if let Some((pk, pv)) = p.split_once('=') {
                        let pk = pk.trim().to_ascii_lowercase();
                        // RFC 2231 continuations (`filename*0="jane.doe@exa"; filename*1="mple.com"`):
                        // Go and Python join the pieces into one value, which no piece shows
                        if pk
                            .split_once('*')
                            .is_some_and(|(_, n)| n.trim_end_matches('*').bytes().any(|c| c.is_ascii_digit()))
                        {
                            return Err(Malformed("continued parameter"));
                        }
                        if pk == "name" || pk == "name*" {
                            let v = pv.trim().trim_matches('"');
                            // RFC 5987 `name*=utf-8''lastName`, which Werkzeug
                            // (Flask) decodes into the field name (red team: the
                            // field was read without its name's class)
                            let v = match (pk == "name*", v.split_once('\'')) {
                                (true, Some((_, rest))) => {
                                    let enc = rest.split_once('\'').map_or(rest, |(_, e)| e);
                                    String::from_utf8_lossy(&crate::engine::percent_decode(enc.as_bytes(), false))
                                        .into_owned()
                                }
                                _ => v.to_string(),
                            };
                            // two names (`name` and `name*`): receivers differ
                            // on which they keep, so the part is read by both
                            part.name = Some(match part.name.take() {
                                Some(prev) if prev != v => format!("{prev} {v}"),
                                _ => v,
                            });
                        } else if pk == "filename" || pk == "filename*" {
                            part.filename = true;
                        }
                    }
                }
            } else if k.trim().eq_ignore_ascii_case("content-type") {
                // a part in a charset this build cannot read (UTF-7, EBCDIC, ...)
                if crate::textcode::declared_charset(Some(v.trim())).is_err() {
                    return Err(Malformed("part charset"));
                }
                part.content_type = Some(v.trim().to_string());
            } else if k.trim().eq_ignore_ascii_case("content-transfer-encoding") {
                part.transfer = Some(v.trim().to_ascii_lowercase());
            }
        }
        parts.push(part);
        pos = body_end + 2;
    }
}

/// Why a multipart body inside a part (a `multipart/*` part, at any depth,
/// its transfer encoding decoded) cannot be read as parts, if one cannot:
/// its parser's complaint, or `too_deep` past [`MAX_NESTING`]. Such a part is
/// read as text, which its receiver does not do (an inner part in
/// quoted-printable stays encoded), so it is not passed as read.
pub fn nested_unreadable(body: &[u8], parts: &[Part]) -> Option<&'static str> {
    fn walk(body: &[u8], parts: &[Part], depth: usize) -> Option<&'static str> {
        for p in parts {
            let Some(ct) = p
                .content_type
                .as_deref()
                .filter(|c| crate::http::media_type(Some(c)).starts_with("multipart/"))
            else {
                continue;
            };
            if depth >= MAX_NESTING {
                return Some("too_deep");
            }
            let raw = body.get(p.body_start..p.body_end).unwrap_or_default();
            let decoded = transfer_decode(p.transfer.as_deref(), raw);
            let content: &[u8] = decoded.as_deref().unwrap_or(raw);
            match split(ct, content) {
                Ok(inner) => {
                    if let Some(why) = walk(content, &inner, depth + 1) {
                        return Some(why);
                    }
                }
                Err(Malformed(why)) => return Some(why),
            }
        }
        None
    }
    walk(body, parts, 0)
}

/// A part's content as a receiver that honours its `Content-Transfer-Encoding`
/// reads it (Go's `mime/multipart` decodes quoted-printable by itself; mail
/// and MIME libraries decode base64 too). `None`: no such encoding (`7bit`,
/// `8bit`, `binary`, none, or one no receiver decodes).
pub fn transfer_decode(transfer: Option<&str>, content: &[u8]) -> Option<Vec<u8>> {
    match transfer? {
        "quoted-printable" => Some(qp_decode(content)),
        "base64" => {
            use base64::Engine as _;
            // decoders of MIME base64 skip line breaks and other white space
            let clean: Vec<u8> = content.iter().copied().filter(|c| !c.is_ascii_whitespace()).collect();
            let t = clean
                .strip_suffix(b"==")
                .or_else(|| clean.strip_suffix(b"="))
                .unwrap_or(&clean);
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(t)
                .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t))
                .ok()
        }
        _ => None,
    }
}

/// Encodes a rewritten part back in its transfer encoding.
pub fn transfer_encode(transfer: Option<&str>, bytes: &[u8]) -> Vec<u8> {
    match transfer {
        Some("base64") => {
            use base64::Engine as _;
            let b = base64::engine::general_purpose::STANDARD.encode(bytes).into_bytes();
            let mut out = Vec::with_capacity(b.len() + b.len() / 38);
            for (i, line) in b.chunks(76).enumerate() {
                if i > 0 {
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(line);
            }
            out
        }
        Some("quoted-printable") => {
            let mut out = Vec::with_capacity(bytes.len());
            let mut col = 0;
            for &c in bytes {
                let lit = (c.is_ascii_graphic() && c != b'=') || c == b' ';
                let w = if lit { 1 } else { 3 };
                if col + w > 75 {
                    out.extend_from_slice(b"=\r\n");
                    col = 0;
                }
                if lit {
                    out.push(c);
                } else {
                    out.extend_from_slice(format!("={c:02X}").as_bytes());
                }
                col += w;
            }
            out
        }
        _ => bytes.to_vec(),
    }
}

/// Quoted-printable (RFC 2045 6.7), leniently: `=XX` in either case, soft
/// line breaks (`=` at the end of a line) removed, anything else kept.
fn qp_decode(b: &[u8]) -> Vec<u8> {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            if let (Some(h), Some(l)) = (b.get(i + 1).and_then(|c| hex(*c)), b.get(i + 2).and_then(|c| hex(*c))) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
            // soft line break: `=`, optional trailing white space, then CRLF or LF
            let mut j = i + 1;
            while b.get(j).is_some_and(|c| *c == b' ' || *c == b'\t') {
                j += 1;
            }
            if b.get(j) == Some(&b'\r') && b.get(j + 1) == Some(&b'\n') {
                i = j + 2;
                continue;
            }
            if b.get(j) == Some(&b'\n') {
                i = j + 1;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// Whether a file part is read (text-like files) or left alone (binary).
pub fn readable_file(content_type: Option<&str>) -> bool {
    let ct = content_type.unwrap_or("application/octet-stream").to_ascii_lowercase();
    ct.starts_with("text/")
        || ct.contains("json")
        || ct.contains("xml")
        || ct.contains("csv")
        || ct.contains("x-www-form-urlencoded")
}

/// Whether a part's bytes are text whatever its label says: a UTF-16/32 BOM
/// or the zero bytes of wide text without one, or bytes with few control
/// characters other than white space, valid UTF-8 or not — text in a
/// single-byte charset (Latin-1, windows-1252: the CSV Excel exports, which
/// browsers label `application/vnd.ms-excel`) is text to the receiver that
/// stores or imports it. Compressed and other binary data holds about one
/// control character in nine.
pub fn sniff_text(content: &[u8]) -> bool {
    if content.is_empty() {
        return false;
    }
    if crate::textcode::sniff_unicode(content).is_some_and(|(_, bom)| bom > 0) {
        return true;
    }
    let head = &content[..content.len().min(8192)];
    if memchr::memchr(0, head).is_some() && crate::textcode::sniff_wide(head).is_some() {
        return true;
    }
    head.iter()
        .filter(|&&c| c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r' | 0x0c))
        .count()
        * 20
        <= head.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body of `depth` multipart levels (each a part of the one around it),
    /// the innermost part written with `eol` line endings.
    fn nested(depth: usize, eol: &str) -> (String, Vec<u8>) {
        let mut body =
            format!("--b{depth}{eol}Content-Type: text/plain{eol}{eol}mail jane@example.com{eol}--b{depth}--{eol}");
        for d in (0..depth).rev() {
            body = format!(
                "--b{d}\r\nContent-Type: multipart/mixed; boundary=b{}\r\n\r\n{body}\r\n--b{d}--\r\n",
                d + 1
            );
        }
        ("multipart/mixed; boundary=b0".to_string(), body.into_bytes())
    }

    #[test]
    fn nested_multipart_that_cannot_be_read_as_parts_is_named() {
        for depth in 1..=MAX_NESTING {
            let (ct, body) = nested(depth, "\r\n");
            let parts = split(&ct, &body).unwrap();
            assert_eq!(nested_unreadable(&body, &parts), None, "depth {depth}");
            let (ct, body) = nested(depth, "\n");
            let parts = split(&ct, &body).unwrap();
            assert!(nested_unreadable(&body, &parts).is_some(), "LF at depth {depth}");
        }
        let (ct, body) = nested(MAX_NESTING + 1, "\r\n");
        let parts = split(&ct, &body).unwrap();
        assert_eq!(nested_unreadable(&body, &parts), Some("too_deep"));
    }

    #[test]
    fn transfer_encodings_round_trip() {
        let text = "card 4111 1111 1111 1111 = jane@example.com\r\nline two \u{e9}".repeat(3);
        for t in ["base64", "quoted-printable"] {
            let enc = transfer_encode(Some(t), text.as_bytes());
            assert!(enc.split(|c| *c == b'\n').all(|l| l.len() <= 77), "{t}: long line");
            assert_eq!(transfer_decode(Some(t), &enc).as_deref(), Some(text.as_bytes()), "{t}");
        }
        assert_eq!(
            transfer_decode(Some("quoted-printable"), b"a=3d=3Db=\r\nc= \nd").as_deref(),
            Some(&b"a==bcd"[..])
        );
        assert_eq!(
            transfer_decode(Some("base64"), b"aGVs\r\nbG8=").as_deref(),
            Some(&b"hello"[..])
        );
        assert_eq!(transfer_decode(Some("8bit"), b"x"), None);
        assert_eq!(transfer_decode(None, b"x"), None);
    }

    #[test]
    fn parts_and_malformed() {
        let b = "--XyZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\njane@example.com\r\n--XyZ\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n";
        let parts = parse(b.as_bytes(), "XyZ").unwrap_or_default();
        assert_eq!(parts.len(), 2);
        assert_eq!(&b[parts[0].body_start..parts[0].body_end], "jane@example.com");
        assert_eq!(parts[0].name.as_deref(), Some("email"));
        assert!(parts[1].filename && parts[1].content_type.as_deref() == Some("text/plain"));
        assert_eq!(
            boundary("multipart/form-data; boundary=\"XyZ\"").as_deref(),
            Some("XyZ")
        );
        // two boundaries, a charset no one here reads: malformed
        assert_eq!(
            boundary("multipart/form-data; boundary=a; boundary=b").as_deref(),
            Some("")
        );
        assert_eq!(
            boundary("multipart/form-data; boundary=a; Boundary=\"a\"").as_deref(),
            Some("a")
        );
        assert!(split("multipart/form-data; boundary=a; boundary=b", b"--a\r\n\r\n\r\n--a--").is_err());
        assert!(split("multipart/form-data; boundary=XyZ; charset=ibm037", b.as_bytes()).is_err());
        assert_eq!(
            split("multipart/form-data; boundary=XyZ; charset=UTF-8", b.as_bytes()),
            Ok(parts.clone())
        );
        for bad_head in [
            "Content-Type: text/plain; charset=utf-7",
            "Content-Type: text/plain\r\nContent-Type: application/octet-stream",
            "Content-Transfer-Encoding: base64\r\ncontent-transfer-encoding: 7bit",
            "Content-Disposition: form-data; name=\"b\"",
        ] {
            let body =
                format!("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n{bad_head}\r\n\r\nx\r\n--XyZ--\r\n");
            assert!(parse(body.as_bytes(), "XyZ").is_err(), "{bad_head}");
        }
        let continued = "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename*0=\"a\"; filename*1*=b\r\n\r\nx\r\n--XyZ--\r\n";
        assert!(parse(continued.as_bytes(), "XyZ").is_err());
        let ext = "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename*=UTF-8''a%20b\r\n\r\nx\r\n--XyZ--\r\n";
        assert!(parse(ext.as_bytes(), "XyZ").is_ok());
        let same = "--XyZ\r\nContent-Type: text/plain\r\ncontent-type: TEXT/PLAIN\r\n\r\nx\r\n--XyZ--\r\n";
        assert!(parse(same.as_bytes(), "XyZ").is_ok());
        for bad in [
            "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
            "garbage",
            "--XyZ\r\nno headers end",
        ] {
            assert!(parse(bad.as_bytes(), "XyZ").is_err(), "{bad}");
        }
    }
}
