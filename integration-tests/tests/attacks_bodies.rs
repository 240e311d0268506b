//! Body attacks (issue 12, classes 3-5) in a real Envoy. The attack table is
//! the case table's `filter/tests/cases/attacks-bodies.json`, which
//! `tests/cases.rs` sends over HTTP/1.1 and h2 to a redact and a block route
//! (and `filter/tests/cases.rs` runs natively). Here, what only Envoy shows: a
//! unary gRPC call split across h2 DATA frames is redacted in place, and a
//! stream the route cannot bound is refused.

use integration_tests::*;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

const CANARY: &str = "zoe.canary7@example.org";

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

const POLICY: &str = r#"{"version":1,"audit":{"mode":"all","log":true},
  "routes":[
    {"name":"redact","match":{"path_prefix":"/r/"},"request":{"actions":{"*":"redact"}},"response":{"actions":{"*":"redact"}}},
    {"name":"block","match":{"path_prefix":"/b/"},"request":{"actions":{"email":"block"}},"response":{"actions":{"email":"block"}}}
  ]}"#;

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
