//! Body attacks (issue 12, classes 3-5), natively: every case on a redact
//! route and a block route. The canary must not survive in any reading of
//! what leaves (raw, and decoded the way the case encoded it), the rewrite
//! must stay valid, and the block route must block.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use piiguard::detect::Scratch;
use piiguard::engine::{Decision, Direction, Engine};
use piiguard::policy::Policy;
use std::io::{Read, Write};

const CANARY: &str = "zoe.canary7@example.org";

const REDACT: &str = r#"{"version":1,"default":{"request":{"actions":{"*":"redact"}}}}"#;
const BLOCK: &str = r#"{"version":1,"default":{"request":{"actions":{"email":"block"}}}}"#;

fn engine(cfg: &str) -> Engine {
    Engine::new(Policy::from_json(cfg.as_bytes()).unwrap(), None).unwrap()
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = flate2::read::MultiGzDecoder::new(b).read_to_end(&mut out);
    out
}

fn varint(mut v: u64) -> Vec<u8> {
    let mut o = Vec::new();
    while v >= 0x80 {
        o.push((v as u8) | 0x80);
        v >>= 7;
    }
    o.push(v as u8);
    o
}

fn pb_str(n: u64, s: &[u8]) -> Vec<u8> {
    [varint(n << 3 | 2), varint(s.len() as u64), s.to_vec()].concat()
}

fn frame(flag: u8, m: &[u8]) -> Vec<u8> {
    [vec![flag], (m.len() as u32).to_be_bytes().to_vec(), m.to_vec()].concat()
}

fn utf16le(s: &str, bom: bool) -> Vec<u8> {
    let s = if bom { format!("\u{feff}{s}") } else { s.to_string() };
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn utf16be(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

fn utf32le(s: &str) -> Vec<u8> {
    s.chars().flat_map(|c| (c as u32).to_le_bytes()).collect()
}

/// Every reading of the output a receiver could make.
fn readings(b: &[u8]) -> String {
    let mut all = one_reading(b);
    // base64 chunks (each padded), as gRPC-Web text sends them
    let clean: Vec<u8> = b.iter().copied().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut decoded = Vec::new();
    for chunk in clean.split_inclusive(|c| *c == b'=') {
        let core: Vec<u8> = chunk.iter().copied().filter(|c| *c != b'=').collect();
        if let Ok(d) = base64::engine::general_purpose::STANDARD_NO_PAD.decode(&core) {
            decoded.extend_from_slice(&d);
        }
    }
    all.push_str(&one_reading(&decoded));
    // base64 tokens anywhere
    let mut extra = String::new();
    for tok in all.split(|c: char| !(c.is_ascii_alphanumeric() || "+/-_=".contains(c))) {
        let t = tok.trim_end_matches('=').replace('-', "+").replace('_', "/");
        // a token may be glued to a length byte that reads as a letter
        for skip in 0..4 {
            let t = t.get(skip..).unwrap_or("");
            if t.len() >= 16 {
                if let Ok(d) = base64::engine::general_purpose::STANDARD_NO_PAD.decode(t) {
                    extra.push_str(&String::from_utf8_lossy(&d));
                }
            }
        }
    }
    all + &extra
}

fn one_reading(b: &[u8]) -> String {
    let mut all = String::from_utf8_lossy(b).into_owned();
    for units in [
        b.chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
            .collect::<Vec<_>>(),
        b.chunks_exact(2)
            .map(|p| u16::from_be_bytes([p[0], p[1]]))
            .collect::<Vec<_>>(),
    ] {
        all.push_str(&String::from_utf16_lossy(&units));
    }
    all.extend(
        b.chunks_exact(4)
            .filter_map(|p| char::from_u32(u32::from_le_bytes([p[0], p[1], p[2], p[3]]))),
    );
    all.push_str(&String::from_utf8_lossy(&gunzip(b)));
    let clean: Vec<u8> = b.iter().copied().filter(|c| !c.is_ascii_whitespace()).collect();
    if let Ok(d) = base64::engine::general_purpose::STANDARD.decode(&clean) {
        all.push_str(&String::from_utf8_lossy(&d));
    }
    // frames inside: gunzip every compressed payload
    let mut i = 0;
    while i + 5 <= b.len() {
        let n = u32::from_be_bytes([b[i + 1], b[i + 2], b[i + 3], b[i + 4]]) as usize;
        if i + 5 + n > b.len() {
            break;
        }
        all.push_str(&String::from_utf8_lossy(&gunzip(&b[i + 5..i + 5 + n])));
        i += 5 + n;
    }
    all
}

/// Decodes the escapes a lenient receiver would (percent until stable, references, `\u`).
fn unescaped(s: &str) -> String {
    let mut cur = s.to_string();
    for _ in 0..6 {
        let mut next = cur
            .replace("&#64;", "@")
            .replace("&#x40;", "@")
            .replace("&commat;", "@")
            .replace("&period;", ".")
            .replace("&amp;", "&")
            .replace("\\u0040", "@")
            .replace("<!--x-->", "")
            .replace("<![CDATA[", "")
            .replace("]]>", "");
        next = String::from_utf8_lossy(&piiguard::engine::percent_decode(next.as_bytes(), true)).into_owned();
        if next == cur {
            break;
        }
        cur = next;
    }
    cur
}

struct Case {
    name: &'static str,
    ct: &'static str,
    grpc_encoding: Option<&'static str>,
    body: Vec<u8>,
}

fn case(name: &'static str, ct: &'static str, body: impl Into<Vec<u8>>) -> Case {
    Case {
        name,
        ct,
        grpc_encoding: None,
        body: body.into(),
    }
}

fn cases() -> Vec<Case> {
    let c = CANARY;
    let json = format!(r#"{{"note":"hello","contact":"{c}"}}"#);
    let (local, domain) = c.split_once('@').unwrap();
    let pb = [vec![0x08, 0x2a], pb_str(2, &pb_str(1, c.as_bytes())), pb_str(3, b"ok")].concat();
    let mut v = vec![
        // class 3: client-chosen labels
        case("grpc label on JSON", "application/grpc", json.clone()),
        case("grpc-web+json label on JSON", "application/grpc-web+json", json.clone()),
        case(
            "grpc+proto label on text",
            "application/grpc+proto",
            format!("mail {c}"),
        ),
        case("unary grpc protobuf, nested", "application/grpc", frame(0, &pb)),
        case(
            "grpc two messages",
            "application/grpc",
            [frame(0, b"\x0a\x02hi"), frame(0, &pb)].concat(),
        ),
        case("grpc-web binary", "application/grpc-web+proto", frame(0, &pb)),
        case("grpc-web-text", "application/grpc-web-text", b64(&frame(0, &pb))),
        case(
            "grpc-web-text two chunks",
            "application/grpc-web-text+proto",
            format!("{}{}", b64(&frame(0, b"\x0a\x01x")), b64(&frame(0, &pb))),
        ),
        case("grpc json payload", "application/grpc+json", frame(0, json.as_bytes())),
        case(
            "grpc string field holds JSON",
            "application/grpc",
            frame(0, &pb_str(1, json.as_bytes())),
        ),
        case(
            "grpc string field holds base64",
            "application/grpc",
            frame(0, &pb_str(1, b64(json.as_bytes()).as_bytes())),
        ),
        Case {
            name: "grpc gzip message",
            ct: "application/grpc",
            grpc_encoding: Some("gzip"),
            body: frame(1, &gz(&pb)),
        },
        Case {
            name: "grpc compressed, unknown encoding",
            ct: "application/grpc",
            grpc_encoding: Some("snappy"),
            body: frame(1, &pb),
        },
        case("raw protobuf", "application/x-protobuf", pb.clone()),
        case(
            "gzip bytes without a coding label",
            "application/json",
            gz(json.as_bytes()),
        ),
        case(
            "charset=utf-16 with BOM",
            "application/json; charset=utf-16",
            utf16le(&json, true),
        ),
        case("utf-16be JSON, no label, no BOM", "application/json", utf16be(&json)),
        case(
            "utf-16le text, no label",
            "text/plain",
            utf16le(&format!("mail to {c} please"), false),
        ),
        case("utf-32le JSON, no label", "application/json", utf32le(&json)),
        case(
            "latin1 label",
            "application/json; charset=iso-8859-1",
            [
                b"{\"n\":\"Zo\xeb\",\"m\":\"".to_vec(),
                c.as_bytes().to_vec(),
                b"\"}".to_vec(),
            ]
            .concat(),
        ),
        case(
            "utf-16 label on ASCII",
            "application/json; charset=utf-16",
            json.clone(),
        ),
        case("utf-7 label", "text/plain; charset=utf-7", format!("+AGo-ane {c}")),
        case(
            "two charset labels",
            "text/plain; charset=utf-8; charset=utf-16",
            json.clone(),
        ),
        // class 4: decoders
        case("UTF-8 BOM JSON", "application/json", format!("\u{feff}{json}")),
        case("NDJSON", "application/json", format!("{{\"a\":1}}\n{json}\n")),
        case(
            "NDJSON as x-ndjson",
            "application/x-ndjson",
            format!("{{\"a\":1}}\n{json}\n"),
        ),
        case(
            "JSON in a JSON string",
            "application/json",
            serde_json::json!({"payload": json}).to_string(),
        ),
        case(
            "JSON in JSON in JSON",
            "application/json",
            serde_json::json!({"p": serde_json::json!({"q": json}).to_string()}).to_string(),
        ),
        case(
            "\\u escapes in broken JSON",
            "application/json",
            format!(r#"{{"m":"{local}\u0040{domain}""#),
        ),
        case(
            "\\u escapes in text",
            "text/plain",
            format!(r"mail {local}\u0040{domain}"),
        ),
        case(
            "decimal reference in HTML",
            "text/html",
            format!("<p>{local}&#64;{domain}</p>"),
        ),
        case(
            "hex reference in XML",
            "application/xml",
            format!("<m>{local}&#x40;{domain}</m>"),
        ),
        case(
            "named references",
            "application/xml",
            format!("<m>{local}&commat;{}</m>", domain.replace('.', "&period;")),
        ),
        case(
            "double-escaped reference",
            "text/html",
            format!("<p>{local}&amp;#64;{domain}</p>"),
        ),
        case(
            "XML comment splits",
            "application/xml",
            format!("<m>{local}<!--x-->@{domain}</m>"),
        ),
        case(
            "XML CDATA splits",
            "application/xml",
            format!("<m><![CDATA[{local}]]>@{domain}</m>"),
        ),
        case(
            "reference in JSON value",
            "application/json",
            format!(r#"{{"m":"{local}&#64;{domain}"}}"#),
        ),
        case(
            "base64 JSON value",
            "application/json",
            format!(r#"{{"blob":"{}"}}"#, b64(json.as_bytes())),
        ),
        case(
            "base64 text in text",
            "text/plain",
            format!("data: {} end", b64(format!("mail {c}").as_bytes())),
        ),
        case(
            "base64url no padding",
            "application/json",
            format!(
                r#"{{"t":"{}"}}"#,
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("to {c}??>"))
            ),
        ),
        case(
            "triple percent in form",
            "application/x-www-form-urlencoded",
            format!("x=1&m={local}%252540{domain}"),
        ),
        case(
            "triple percent in text",
            "text/plain",
            format!("mail {local}%252540{domain}"),
        ),
        case(
            "percent in JSON value",
            "application/json",
            format!(r#"{{"m":"{local}%2540{domain}"}}"#),
        ),
        // class 5: places
        case("JSON key", "application/json", format!(r#"{{"{c}":true}}"#)),
        case("JSON nested key", "application/json", format!(r#"{{"a":{{"{c}":1}}}}"#)),
        case(
            "form key",
            "application/x-www-form-urlencoded",
            format!("{}=1&b=2", c.replace('@', "%40")),
        ),
        case(
            "form value-less param",
            "application/x-www-form-urlencoded",
            format!("a=1&{}", c.replace('@', "%40")),
        ),
    ];
    let mp = |head: &str, ct: &str, content: &str| {
        format!("--XB\r\n{head}\r\nContent-Type: {ct}\r\n\r\n{content}\r\n--XB--\r\n")
    };
    v.extend([
        case(
            "multipart file name",
            "multipart/form-data; boundary=XB",
            mp(
                &format!("Content-Disposition: form-data; name=\"f\"; filename=\"{c}.txt\""),
                "image/png",
                "\u{1}\u{2}\u{3}\u{0}binary",
            ),
        ),
        case(
            "multipart filename*",
            "multipart/form-data; boundary=XB",
            mp(
                &format!(
                    "Content-Disposition: form-data; name=\"f\"; filename*=UTF-8''{}",
                    c.replace('@', "%40")
                ),
                "image/png",
                "\u{1}\u{0}",
            ),
        ),
        case(
            "multipart part name",
            "multipart/form-data; boundary=XB",
            mp(
                &format!("Content-Disposition: form-data; name=\"{c}\""),
                "text/plain",
                "x",
            ),
        ),
        case(
            "multipart part header",
            "multipart/form-data; boundary=XB",
            mp(
                &format!("Content-Disposition: form-data; name=\"a\"\r\nX-Note: {c}"),
                "text/plain",
                "x",
            ),
        ),
        case(
            "multipart octet-stream text",
            "multipart/form-data; boundary=XB",
            mp(
                "Content-Disposition: form-data; name=\"f\"; filename=\"a.bin\"",
                "application/octet-stream",
                &format!("contact {c}"),
            ),
        ),
    ]);
    v
}

fn run(e: &Engine, c: &Case) -> (Decision, Option<Vec<u8>>) {
    let r = e.inspect_body_with(
        &e.policy.default,
        Direction::Request,
        Some(c.ct),
        c.grpc_encoding,
        &c.body,
        &mut Scratch::default(),
    );
    (r.inspection.decision(false), r.body)
}

#[test]
fn body_attacks_on_redact_and_block_routes() {
    let (redact, block) = (engine(REDACT), engine(BLOCK));
    let mut failures = Vec::new();
    for c in cases() {
        // the attack is real: the canary is readable in the input
        assert!(
            unescaped(&readings(&c.body)).contains(CANARY),
            "{}: canary not in the input",
            c.name
        );
        let (d, out) = run(&redact, &c);
        match d {
            Decision::Blocked => {}
            Decision::Redacted => {
                let out = out.clone().unwrap_or_default();
                if unescaped(&readings(&out)).contains(CANARY) {
                    failures.push(format!(
                        "{}: canary left in {:?}",
                        c.name,
                        String::from_utf8_lossy(&out)
                    ));
                }
                if c.ct.contains("json") && !c.ct.contains("grpc") && c.name != "\\u escapes in broken JSON" {
                    let text = String::from_utf8_lossy(&out);
                    let t = text.trim_start_matches('\u{feff}');
                    let ok = serde_json::from_str::<serde_json::Value>(t).is_ok()
                        || t.lines()
                            .all(|l| l.trim().is_empty() || serde_json::from_str::<serde_json::Value>(l).is_ok())
                        || out.contains(&0)
                        || !out.is_ascii();
                    if !ok {
                        failures.push(format!("{}: rewrite is not JSON: {t}", c.name));
                    }
                }
            }
            other => failures.push(format!("{}: redact route gave {other:?}", c.name)),
        }
        let (d, _) = run(&block, &c);
        if d != Decision::Blocked {
            failures.push(format!("{}: block route gave {d:?}", c.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Redacted gRPC stays valid framing and protobuf, with the same fields.
#[test]
fn grpc_rewrite_stays_valid() {
    let e = engine(REDACT);
    let pb = [
        vec![0x08, 0x2a],
        pb_str(2, &pb_str(1, CANARY.as_bytes())),
        pb_str(3, b"ok"),
    ]
    .concat();
    let c = Case {
        name: "grpc",
        ct: "application/grpc",
        grpc_encoding: Some("gzip"),
        body: [frame(0, &pb), frame(1, &gz(&pb))].concat(),
    };
    let (d, out) = run(&e, &c);
    assert_eq!(d, Decision::Redacted);
    let out = out.unwrap();
    let want = [vec![0x08, 0x2a], pb_str(2, &pb_str(1, b"[EMAIL]")), pb_str(3, b"ok")].concat();
    let frames = piiguard::grpc::frames(&out).unwrap();
    assert_eq!(frames.len(), 2);
    assert_eq!(&out[frames[0].start..frames[0].end], &want[..]);
    assert_eq!(frames[1].flag, 1);
    assert_eq!(gunzip(&out[frames[1].start..frames[1].end]), want);
}

/// Charsets survive a redaction: UTF-16 stays UTF-16 (with its BOM).
#[test]
fn charset_is_preserved() {
    let e = engine(REDACT);
    let json = format!(r#"{{"n":"Zoë","m":"{CANARY}"}}"#);
    let c = case("utf16", "application/json; charset=utf-16", utf16le(&json, true));
    let (d, out) = run(&e, &c);
    assert_eq!(d, Decision::Redacted);
    assert_eq!(out.unwrap(), utf16le(r#"{"n":"Zoë","m":"[EMAIL]"}"#, true));
    let c = case(
        "latin1",
        "text/plain; charset=latin1",
        [b"Zo\xeb ".to_vec(), CANARY.as_bytes().to_vec()].concat(),
    );
    let (_, out) = run(&e, &c);
    assert_eq!(out.unwrap(), b"Zo\xeb [EMAIL]".to_vec());
}

/// What is clean stays untouched (no false rewrite from the decoders).
#[test]
fn clean_bodies_pass_unchanged() {
    let e = engine(REDACT);
    for (ct, body) in [
        (
            "application/json",
            r#"{"id":"123e4567-e89b-12d3-a456-426614174000","sku":"AB-1234","price":12.5}"#,
        ),
        (
            "application/json",
            r#"{"hash":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}"#,
        ),
        ("text/html", "<p>Tom &amp; Jerry &#169; 2024 &mdash; 50%25 off</p>"),
        ("application/x-www-form-urlencoded", "q=hello%20world&page=2&flag"),
        ("application/xml", "<a><!-- note --><![CDATA[x < y]]></a>"),
        // zero bytes that are not wide text: binary, not blocked as an undecodable charset
        (
            "application/octet-stream",
            "\u{1}\u{0}\u{2}\u{0}\u{3}\u{0}\u{0}\u{0}\u{d8}",
        ),
        ("application/octet-stream", "\u{1}\u{0}\u{0}\u{d8}\u{1}"),
    ] {
        let (d, out) = run(&e, &case("clean", ct, body));
        assert_eq!((d, out), (Decision::Allowed, None), "{body}");
    }
}
