//! Red team (session 5): trailers in a real Envoy. A response trailer (an
//! upstream's `grpc-message`, `x-note`, ...) carried a card and an e-mail
//! past a route that redacts responses: piiguard read headers and bodies,
//! never trailers. Here Envoy forwards HTTP/1.1 trailers both ways
//! (`enable_trailers` on the listener and the cluster), an upstream sends
//! them after a chunked body, and the client reads them off the wire. The
//! control route only logs: there the trailer arrives as sent, which shows
//! that this setup forwards trailers at all (so the redaction check can fail).
//! Request trailers are in the case table (`attacks-trailers.json`, over h2).

use integration_tests::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

const CARD: &str = "4111 1111 1111 1111";
const MAIL: &str = "trailer.canary@example.org";

/// An upstream that answers every request with a chunked JSON body and a trailer holding both canaries.
fn upstream() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let port = l.local_addr().map(|a| a.port()).unwrap_or_else(|e| panic!("{e}"));
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut c) = conn else { continue };
            std::thread::spawn(move || {
                let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
                loop {
                    // read one request head (GETs only: no body)
                    let mut head = Vec::new();
                    let mut b = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match c.read(&mut b) {
                            Ok(1) => head.push(b[0]),
                            _ => return,
                        }
                    }
                    let body = "{\"id\": 7}";
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\ntrailer: x-note\r\n\r\n{:x}\r\n{body}\r\n0\r\nx-note: no card {CARD} for {MAIL}\r\n\r\n",
                        body.len()
                    );
                    if c.write_all(resp.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// A GET over HTTP/1.1 that accepts trailers; the raw response as text.
fn get_raw(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("connect: {e}"));
    let _ = s.set_read_timeout(Some(Duration::from_secs(15)));
    let req = format!("GET {path} HTTP/1.1\r\nhost: localhost\r\nte: trailers\r\nconnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap_or_else(|e| panic!("write: {e}"));
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn response_trailers_are_redacted_where_responses_are() {
    let up = upstream();
    let envoy = Envoy::start_with("attacks-trailers", None, up, &[], &|cfg| {
        let hcm = &mut cfg["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"];
        hcm["http_protocol_options"]["enable_trailers"] = true.into();
        let c = &mut cfg["static_resources"]["clusters"][0];
        c["typed_extension_protocol_options"]["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"] =
            serde_norway::from_str(
                "{'@type': type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions, explicit_http_config: {http_protocol_options: {enable_trailers: true}}}",
            )
            .unwrap_or_else(|e| panic!("{e}"));
    });
    // control: the default route only logs, so the trailer is forwarded as sent
    let plain = get_raw(envoy.port, "/other");
    assert!(plain.starts_with("HTTP/1.1 200"), "{plain}");
    assert!(
        plain.contains(MAIL) && plain.contains(CARD),
        "this setup does not forward trailers: {plain}"
    );
    // the customers route redacts responses: the trailer stays, its values go
    let r = get_raw(envoy.port, "/customers/7");
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert!(r.contains("{\"id\": 7}"), "{r}");
    assert!(
        r.to_ascii_lowercase().contains("x-note:"),
        "the trailer was dropped, not redacted: {r}"
    );
    assert!(
        !r.contains(MAIL),
        "e-mail in a response trailer reached the client: {r}"
    );
    assert!(!r.contains(CARD), "card in a response trailer reached the client: {r}");
    let recs = envoy.audit(2);
    let rec = recs
        .iter()
        .find(|a| a["route"] == "customers")
        .unwrap_or_else(|| panic!("no audit record for the customers route: {recs:?}"));
    assert_eq!(rec["decision"], "redacted", "{rec}");
    let text = envoy.audit_text();
    assert!(
        !text.contains(MAIL) && !text.contains(CARD),
        "a value in the audit trail"
    );
    assert!(!envoy.log().contains(MAIL), "a value in the proxy log");
}
