//! Body attacks (issue 12, classes 3-5) in a real Envoy: one table of cases,
//! each sent over HTTP/1.1 and h2 to a redact route and to a block route. A
//! recording upstream keeps every byte it receives; the canary must not be in
//! any reading of those bytes, of the reply, of the audit records or of
//! Envoy's log. The block route must refuse every case; the redact route must
//! either rewrite it (the upstream gets the request without the canary) or
//! refuse it as uninspectable (415).

use base64::Engine as _;
use integration_tests::*;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

const CANARY: &str = "zoe.canary7@example.org";
const LOCAL: &str = "zoe.canary7";
const DOMAIN: &str = "example.org";

type Seen = Arc<Mutex<BTreeMap<String, Vec<u8>>>>;

/// An HTTP/1.1 upstream that records each request (head and body) by path.
fn recording_upstream() -> (u16, Seen) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = l.local_addr().map(|a| a.port()).unwrap_or(0);
    let seen: Seen = Arc::default();
    let s2 = seen.clone();
    std::thread::spawn(move || {
        for c in l.incoming().flatten() {
            let seen = s2.clone();
            std::thread::spawn(move || {
                let _ = serve(c, &seen);
            });
        }
    });
    (port, seen)
}

fn serve(c: TcpStream, seen: &Seen) -> std::io::Result<()> {
    let mut w = c.try_clone()?;
    let mut r = BufReader::new(c);
    loop {
        let mut head = Vec::new();
        loop {
            let mut line = Vec::new();
            if r.read_until(b'\n', &mut line)? == 0 {
                return Ok(());
            }
            head.extend_from_slice(&line);
            if line == b"\r\n" {
                break;
            }
        }
        let text = String::from_utf8_lossy(&head).to_string();
        let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
        let lower = text.to_ascii_lowercase();
        let mut body = Vec::new();
        if let Some(n) = lower
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
        {
            body = vec![0; n];
            r.read_exact(&mut body)?;
        } else if lower.contains("transfer-encoding: chunked") {
            loop {
                let mut size = String::new();
                r.read_line(&mut size)?;
                let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16).unwrap_or(0);
                if n == 0 {
                    let mut t = String::new();
                    while r.read_line(&mut t)? > 2 {
                        head.extend_from_slice(t.as_bytes());
                        t.clear();
                    }
                    break;
                }
                let mut c = vec![0; n];
                r.read_exact(&mut c)?;
                body.extend_from_slice(&c);
                let mut crlf = String::new();
                r.read_line(&mut crlf)?;
            }
        }
        let mut rec = head.clone();
        rec.extend_from_slice(&body);
        if let Ok(mut m) = seen.lock() {
            m.entry(path).or_default().extend_from_slice(&rec);
        }
        w.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{\"ok\":true}")?;
    }
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
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

fn utf16le(s: &str) -> Vec<u8> {
    format!("\u{feff}{s}")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect()
}

fn utf16be_nobom(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

fn gunzip_all(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = flate2::read::MultiGzDecoder::new(b).read_to_end(&mut out);
    out
}

/// Every reading a lenient receiver could make of some bytes.
fn readings(b: &[u8]) -> String {
    let mut layers = vec![b.to_vec()];
    for _ in 0..3 {
        let g = gunzip_all(layers.last().map(Vec::as_slice).unwrap_or(b""));
        if g.is_empty() {
            break;
        }
        layers.push(g);
    }
    let mut all = String::new();
    for l in &layers {
        all.push_str(&String::from_utf8_lossy(l));
        let u: Vec<u16> = l.chunks_exact(2).map(|p| u16::from_le_bytes([p[0], p[1]])).collect();
        all.push_str(&String::from_utf16_lossy(&u));
        let u: Vec<u16> = l.chunks_exact(2).map(|p| u16::from_be_bytes([p[0], p[1]])).collect();
        all.push_str(&String::from_utf16_lossy(&u));
    }
    let mut extra = String::new();
    for tok in all.split(|c: char| !(c.is_ascii_alphanumeric() || "+/=".contains(c))) {
        for chunk in tok.split_inclusive('=') {
            let t = chunk.trim_end_matches('=');
            for skip in 0..4 {
                if let Some(t) = t.get(skip..).filter(|t| t.len() >= 16) {
                    if let Ok(d) = base64::engine::general_purpose::STANDARD_NO_PAD.decode(t) {
                        extra.push_str(&String::from_utf8_lossy(&d));
                    }
                }
            }
        }
    }
    all.push_str(&extra);
    // escapes a lenient receiver decodes
    let mut cur = all;
    for _ in 0..5 {
        let mut next = cur
            .replace("&#64;", "@")
            .replace("&#x40;", "@")
            .replace("&commat;", "@")
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
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

fn case(name: &'static str, ct: &str, body: impl Into<Vec<u8>>) -> Case {
    Case {
        name,
        headers: vec![("content-type", ct.to_string())],
        body: body.into(),
    }
}

fn with(mut c: Case, k: &'static str, v: &str) -> Case {
    c.headers.push((k, v.to_string()));
    c
}

fn cases() -> Vec<Case> {
    let c = CANARY;
    let json = format!(r#"{{"note":"hello","contact":"{c}"}}"#);
    let pb = [vec![0x08, 0x2a], pb_str(2, &pb_str(1, c.as_bytes())), pb_str(3, b"ok")].concat();
    let gz = gzip(json.as_bytes());
    let mp = |head: &str, ct: &str, content: &str| {
        format!("--XB\r\n{head}\r\nContent-Type: {ct}\r\n\r\n{content}\r\n--XB--\r\n")
    };
    vec![
        // class 3: labels
        case("grpc label on JSON", "application/grpc", json.clone()),
        case("grpc-web+json label on JSON", "application/grpc-web+json", json.clone()),
        case("event-stream label on JSON", "text/event-stream", json.clone()),
        case("unary grpc", "application/grpc", frame(0, &pb)),
        case("grpc-web-text", "application/grpc-web-text", b64(&frame(0, &pb))),
        with(
            case("grpc gzip message", "application/grpc", frame(1, &gzip(&pb))),
            "grpc-encoding",
            "gzip",
        ),
        with(
            case("grpc unknown compression", "application/grpc", frame(1, &pb)),
            "grpc-encoding",
            "snappy",
        ),
        case("charset=utf-16", "application/json; charset=utf-16", utf16le(&json)),
        case("utf-16 without label", "application/json", utf16be_nobom(&json)),
        case(
            "utf-16 label on ASCII",
            "application/json; charset=utf-16",
            json.clone(),
        ),
        with(
            case(
                "multi-member gzip",
                "application/json",
                [gzip(b"{\"a\":"), gzip(format!("\"{c}\"}}").as_bytes())].concat(),
            ),
            "content-encoding",
            "gzip",
        ),
        with(
            case("gzip, gzip", "application/json", gzip(&gz)),
            "content-encoding",
            "gzip, gzip",
        ),
        with(
            case("identity,gzip", "application/json", gz.clone()),
            "content-encoding",
            "identity,gzip",
        ),
        with(
            case("x-gzip", "application/json", gz.clone()),
            "content-encoding",
            "x-gzip",
        ),
        with(
            case("br label on plain", "application/json", json.clone()),
            "content-encoding",
            "br",
        ),
        with(
            case("zstd label on plain", "application/json", json.clone()),
            "content-encoding",
            "zstd",
        ),
        with(
            case("gzip label on plain", "application/json", json.clone()),
            "content-encoding",
            "gzip",
        ),
        with(
            case(
                "gzip then plain bytes",
                "application/json",
                [gz.clone(), json.clone().into_bytes()].concat(),
            ),
            "content-encoding",
            "gzip",
        ),
        // class 4: decoders
        case("UTF-8 BOM", "application/json", format!("\u{feff}{json}")),
        case("NDJSON", "application/json", format!("{{\"a\":1}}\n{json}\n")),
        case(
            "JSON in a JSON string",
            "application/json",
            serde_json::json!({"p": json}).to_string(),
        ),
        case(
            "\\u escape in text fallback",
            "application/json",
            format!(r#"{{"m":"{LOCAL}\u0040{DOMAIN}""#),
        ),
        case(
            "character reference",
            "text/html",
            format!("<p>{LOCAL}&#64;{DOMAIN}</p>"),
        ),
        case(
            "named reference",
            "application/xml",
            format!("<m>{LOCAL}&commat;{DOMAIN}</m>"),
        ),
        case(
            "XML comment",
            "application/xml",
            format!("<m>{LOCAL}<!--x-->@{DOMAIN}</m>"),
        ),
        case(
            "CDATA",
            "application/xml",
            format!("<m><![CDATA[{LOCAL}]]>@{DOMAIN}</m>"),
        ),
        case(
            "base64 JSON value",
            "application/json",
            format!(r#"{{"b":"{}"}}"#, b64(json.as_bytes())),
        ),
        case(
            "triple percent form",
            "application/x-www-form-urlencoded",
            format!("m={LOCAL}%252540{DOMAIN}"),
        ),
        // class 5: places
        case("JSON key", "application/json", format!(r#"{{"{c}":true}}"#)),
        case(
            "form key",
            "application/x-www-form-urlencoded",
            format!("{}=1", c.replace('@', "%40")),
        ),
        case(
            "form value-less",
            "application/x-www-form-urlencoded",
            format!("a=1&{}", c.replace('@', "%40")),
        ),
        case(
            "multipart file name",
            "multipart/form-data; boundary=XB",
            mp(
                &format!("Content-Disposition: form-data; name=\"f\"; filename=\"{c}\""),
                "image/png",
                "\u{1}\u{0}x",
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
                &format!("to {c}"),
            ),
        ),
    ]
}

const POLICY: &str = r#"{"version":1,"audit":{"mode":"all","log":true},
  "routes":[
    {"name":"redact","match":{"path_prefix":"/r/"},"request":{"actions":{"*":"redact"}},"response":{"actions":{"*":"redact"}}},
    {"name":"block","match":{"path_prefix":"/b/"},"request":{"actions":{"email":"block"}},"response":{"actions":{"email":"block"}}}
  ]}"#;

#[test]
fn body_attacks_in_envoy() {
    let (up, seen) = recording_upstream();
    let envoy = Envoy::start("attacks-bodies", Some(POLICY), up);
    let mut failures = Vec::new();
    let mut replies = String::new();
    for (i, c) in cases().iter().enumerate() {
        // the attack is real: the canary is readable in what is sent
        assert!(
            readings(&c.body).contains(CANARY),
            "{}: canary not in the input",
            c.name
        );
        for route in ["r", "b"] {
            for proto in ["h1", "h2"] {
                let path = format!("/{route}/{i}/{proto}");
                let hs: Vec<(&str, &str)> = c.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let r = if proto == "h1" {
                    request(envoy.port, "POST", &path, &hs, Some(&c.body)).map_err(|e| e.to_string())
                } else {
                    h2_request(envoy.port, "POST", &path, &hs, &[&c.body], &[])
                };
                let r = match r {
                    Ok(r) => r,
                    Err(e) => {
                        failures.push(format!("{} {path}: {e}", c.name));
                        continue;
                    }
                };
                replies.push_str(&r.text());
                let got = seen.lock().map(|m| m.get(&path).cloned()).unwrap_or_default();
                // Envoy answers a gRPC request's local reply as gRPC: 200 with a grpc-status
                let refused = [403, 415].contains(&r.status)
                    || (r.status == 200 && r.header("grpc-status").is_some_and(|s| s != "0"));
                if route == "b" && !refused {
                    failures.push(format!("{} {path}: not refused: {} ({})", c.name, r.status, r.text()));
                }
                if route == "r" && !(refused || r.status == 200) {
                    failures.push(format!("{} {path}: status {} ({})", c.name, r.status, r.text()));
                }
                if route == "b" && got.is_some() {
                    failures.push(format!("{} {path}: reached the upstream on a block route", c.name));
                }
                if route == "r" && !refused && got.is_none() {
                    failures.push(format!("{} {path}: 200 without reaching the upstream", c.name));
                }
                if let Some(g) = got {
                    if readings(&g).contains(CANARY) {
                        failures.push(format!("{} {path}: canary reached the upstream", c.name));
                    }
                }
            }
        }
    }
    assert!(!readings(replies.as_bytes()).contains(CANARY), "canary in a reply");
    let audit = envoy.audit(cases().len() * 4);
    assert!(audit.len() >= cases().len() * 4, "audit records: {}", audit.len());
    let audit_text = envoy.audit_text();
    assert!(
        !audit_text.contains(CANARY) && !audit_text.contains(LOCAL),
        "canary in the audit trail"
    );
    let log = envoy.log();
    assert!(!log.contains(CANARY) && !log.contains(LOCAL), "canary in Envoy's log");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// gRPC over h2 with a real unary exchange: the request's message is
/// redacted in place (valid frame, valid protobuf) and the upstream gets it.
#[test]
fn unary_grpc_is_redacted_in_place() {
    let (up, seen) = recording_upstream();
    let envoy = Envoy::start("attacks-grpc", Some(POLICY), up);
    let pb = [pb_str(1, b"hello"), pb_str(2, CANARY.as_bytes())].concat();
    let r = h2_request(
        envoy.port,
        "POST",
        "/r/grpc/Svc/Call",
        &[("content-type", "application/grpc"), ("te", "trailers")],
        &[&frame(0, &pb)[..7], &frame(0, &pb)[7..]],
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    let got = seen
        .lock()
        .map(|m| m.get("/r/grpc/Svc/Call").cloned())
        .unwrap_or_default()
        .unwrap_or_default();
    let want = frame(0, &[pb_str(1, b"hello"), pb_str(2, b"[EMAIL]")].concat());
    assert!(
        got.windows(want.len()).any(|w| w == want.as_slice()),
        "upstream got {:?}",
        String::from_utf8_lossy(&got)
    );
    // streams the route cannot bound are refused where it enforces
    let r = request(
        envoy.port,
        "POST",
        "/r/sse",
        &[("content-type", "text/event-stream")],
        Some(b"data: hello\n\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 415);
}
