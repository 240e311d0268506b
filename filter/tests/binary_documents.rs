//! MessagePack and CBOR bodies on a redact route: the rewritten document is
//! exactly the original with each replaced value written as a string of its
//! new length (the case table, `cases/attacks-lead-session9.json`, checks
//! what reaches the upstream by substrings only).
#![allow(clippy::unwrap_used, clippy::panic)]

use piiguard::detect::Scratch;
use piiguard::engine::{Direction, Engine};
use piiguard::policy::Policy;

const REDACT: &str = r#"{"version":1,"default":{"request":{"actions":{"*":"redact"}}}}"#;

fn redacted(ct: &str, body: &[u8]) -> Option<Vec<u8>> {
    let e = Engine::new(Policy::from_json(REDACT.as_bytes()).unwrap(), None).unwrap();
    e.inspect_body(
        &e.policy.default,
        Direction::Request,
        Some(ct),
        body,
        &mut Scratch::default(),
    )
    .body
}

#[test]
fn msgpack_rewritten_in_place() {
    // {"n": 1, "ref": uint64 4111111111111111, "note": "mail jane.doe@example.com"}
    let mut doc = vec![0x83, 0xa1, b'n', 0x01, 0xa3, b'r', b'e', b'f', 0xcf];
    doc.extend_from_slice(&4111111111111111u64.to_be_bytes());
    doc.extend_from_slice(&[0xa4, b'n', b'o', b't', b'e', 0xb9]);
    doc.extend_from_slice(b"mail jane.doe@example.com");
    let mut want = vec![0x83, 0xa1, b'n', 0x01, 0xa3, b'r', b'e', b'f', 0xae];
    want.extend_from_slice(b"[PAYMENT_CARD]");
    want.extend_from_slice(&[0xa4, b'n', b'o', b't', b'e', 0xac]);
    want.extend_from_slice(b"mail [EMAIL]");
    assert_eq!(redacted("application/msgpack", &doc).unwrap(), want);
    // clean: untouched
    assert_eq!(redacted("application/msgpack", &[0x81, 0xa1, b'n', 0x01]), None);
}

#[test]
fn cbor_rewritten_in_place() {
    // {"to": (_ "jane.doe@" "example.com"), "b": 2(h'0E9B08A568F1C7')}
    let mut doc = vec![0xa2, 0x62, b't', b'o', 0x7f, 0x69];
    doc.extend_from_slice(b"jane.doe@");
    doc.push(0x6b);
    doc.extend_from_slice(b"example.com");
    doc.extend_from_slice(&[0xff, 0x61, b'b', 0xc2, 0x47, 0x0e, 0x9b, 0x08, 0xa5, 0x68, 0xf1, 0xc7]);
    let mut want = vec![0xa2, 0x62, b't', b'o', 0x67];
    want.extend_from_slice(b"[EMAIL]");
    want.extend_from_slice(&[0x61, b'b', 0x6e]);
    want.extend_from_slice(b"[PAYMENT_CARD]");
    assert_eq!(redacted("application/cbor", &doc).unwrap(), want);
}
