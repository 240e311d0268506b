//! Body attacks (issue 12, classes 3-5): the attack rows live in the case
//! table (`tests/cases/attacks-bodies.json`, natively and in Envoy); here,
//! that each row is a real attack, and what a row cannot say: gRPC stays
//! valid framing and protobuf, charsets survive a rewrite, clean bodies pass
//! byte for byte.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use piiguard::detect::Scratch;
use piiguard::engine::{Decision, Direction, Engine};
use piiguard::policy::Policy;
use piiguard::testing::{cases_dir, load_cases, readings};
use std::io::{Read, Write};

const CANARY: &str = "zoe.canary7@example.org";

const REDACT: &str = r#"{"version":1,"default":{"request":{"actions":{"*":"redact"}}}}"#;

fn engine(cfg: &str) -> Engine {
    Engine::new(Policy::from_json(cfg.as_bytes()).unwrap(), None).unwrap()
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

/// Every reading of the output a receiver could make.
/// The body attacks themselves are rows of the case table
/// (`tests/cases/attacks-bodies.json`, run natively by `tests/cases.rs` and in
/// Envoy over HTTP/1.1 and h2 by `integration-tests/tests/cases.rs`), where
/// the canary is searched in every reading of what leaves
/// (`piiguard::testing::readings`). Here: each of those attacks is real — its
/// canary is readable in the request as sent — and the table keeps its size.
#[test]
fn every_body_attack_row_carries_a_readable_canary() {
    let cases = load_cases(&cases_dir()).unwrap();
    let rows: Vec<_> = cases.iter().filter(|l| l.file == "attacks-bodies.json").collect();
    assert!(rows.len() >= 140, "attacks-bodies.json shrank to {} rows", rows.len());
    let (mut redact, mut block) = (0, 0);
    for l in &rows {
        assert!(!l.case.canaries.is_empty(), "{}: no canary", l.id());
        let body = l.case.request.body().unwrap();
        for c in &l.case.canaries {
            assert!(
                readings(&body).contains(c.as_str()),
                "{}: canary not in the input",
                l.id()
            );
        }
        match l.case.request.path.split('/').nth(1) {
            Some("r") => redact += 1,
            Some("b") => {
                block += 1;
                assert!(l.case.expect.status >= 400, "{}: a block route must refuse", l.id());
            }
            _ => panic!("{}: neither the redact nor the block route", l.id()),
        }
    }
    assert!(redact >= 70 && block >= 70, "{redact} redact rows, {block} block rows");
}

struct Case {
    ct: &'static str,
    grpc_encoding: Option<&'static str>,
    body: Vec<u8>,
}

fn case(ct: &'static str, body: impl Into<Vec<u8>>) -> Case {
    Case {
        ct,
        grpc_encoding: None,
        body: body.into(),
    }
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
    let c = case("application/json; charset=utf-16", utf16le(&json, true));
    let (d, out) = run(&e, &c);
    assert_eq!(d, Decision::Redacted);
    assert_eq!(out.unwrap(), utf16le(r#"{"n":"Zoë","m":"[EMAIL]"}"#, true));
    let c = case(
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
        let (d, out) = run(&e, &case(ct, body));
        assert_eq!((d, out), (Decision::Allowed, None), "{body}");
    }
}
