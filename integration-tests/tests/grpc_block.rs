//! A blocked gRPC request gets a proper gRPC error in a real Envoy (red team
//! follow-up, routes owner): HTTP 200, `content-type: application/grpc`,
//! `grpc-status: 7` (PERMISSION_DENIED) and a `grpc-message` that names no
//! value; the upstream never sees the call.

use integration_tests::recording::Recorder;
use integration_tests::*;

const POLICY: &str = r#"{"version":1,"audit":{"mode":"all"},
  "routes":[{"name":"pay","match":{"path_prefix":"/pay."},"request":{"actions":{"payment_card":"block","*":"log"}}}]}"#;

const CARD: &str = "4111111111111111";

fn varint(mut n: u64) -> Vec<u8> {
    let mut v = Vec::new();
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            v.push(b);
            return v;
        }
        v.push(b | 0x80);
    }
}

fn pb_str(n: u64, s: &[u8]) -> Vec<u8> {
    [varint(n << 3 | 2), varint(s.len() as u64), s.to_vec()].concat()
}

fn frame(m: &[u8]) -> Vec<u8> {
    [vec![0], (m.len() as u32).to_be_bytes().to_vec(), m.to_vec()].concat()
}

#[test]
fn blocked_grpc_call_gets_a_grpc_permission_denied() {
    let up = Recorder::start();
    let envoy = Envoy::start("grpc-block", Some(POLICY), up.port);
    let pb = [pb_str(1, b"order-7"), pb_str(2, &pb_str(1, CARD.as_bytes()))].concat();
    for ct in ["application/grpc", "application/grpc+proto"] {
        let r = h2_request(
            envoy.port,
            "POST",
            "/pay.v1.Payments/Charge",
            &[("content-type", ct), ("te", "trailers")],
            &[&frame(&pb)],
            &[],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status, 200, "{ct}: {:?}", r.headers);
        assert_eq!(r.header("grpc-status"), Some("7"), "{ct}: {:?}", r.headers);
        assert!(
            r.header("content-type")
                .is_some_and(|c| c.starts_with("application/grpc")),
            "{ct}: {:?}",
            r.headers
        );
        let msg = r.header("grpc-message").unwrap_or_default();
        assert!(!msg.is_empty(), "{ct}: no grpc-message");
        assert!(
            !msg.contains("4111") && !r.text().contains("4111"),
            "{ct}: value in the reply: {msg}"
        );
        assert!(up.take().is_empty(), "{ct}: the call reached the upstream");
    }
    // a clean call goes through
    up.respond_with(recording::Canned {
        status: 200,
        headers: vec![("content-type".into(), "application/grpc".into())],
        body: frame(&pb_str(1, b"ok")),
        ..Default::default()
    });
    let clean = [pb_str(1, b"order-7"), pb_str(2, b"no card here")].concat();
    let r = h2_request(
        envoy.port,
        "POST",
        "/pay.v1.Payments/Charge",
        &[("content-type", "application/grpc"), ("te", "trailers")],
        &[&frame(&clean)],
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    assert_ne!(r.header("grpc-status"), Some("7"));
    assert_eq!(up.take().len(), 1);
    assert!(!envoy.log().contains(CARD), "value in Envoy's log");
}
