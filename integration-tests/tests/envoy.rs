//! piiguard in a real Envoy: every case drives the compiled wasm.

use integration_tests::*;

const EMAIL: &str = "jane.doe@example.com";
const CARD: &str = "4111 1111 1111 1111";

fn redact_all(extra: &str) -> String {
    format!(
        r#"{{"version":1,"audit":{{"mode":"all"}},{extra}"default":{{"request":{{"actions":{{"*":"redact"}}}},"response":{{"actions":{{"*":"redact"}}}}}}}}"#
    )
}

fn has_card_digits(s: &str) -> bool {
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    digits.contains("4111111111111111")
}

#[test]
fn demo_policy_as_shipped() {
    let up = upstream();
    let envoy = Envoy::start("demo", None, up);
    // GET /customers/42: the record comes back with its personal data redacted.
    let r = get(envoy.port, "/customers/42").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["email"], "[EMAIL]");
    assert_eq!(v["name"], "[PERSON_NAME]");
    assert_eq!(v["payment"]["card_number"], "**** **** **** 1111");
    assert_eq!(v["payment"]["iban"], "[BANK_ACCOUNT]");
    assert_eq!(v["date_of_birth"], "[BIRTH_DATE]");
    assert_eq!(v["address"]["street"], "[POSTAL_ADDRESS]");
    assert_eq!(
        v["orders"][0]["items"][0]["name"], "Blue Widget",
        "product names are not people"
    );
    assert!(!r.text().contains("jane.doe") && !has_card_digits(&r.text()));
    // POST /echo: the request is redacted on its way up; the echo shows it.
    let body = format!(r#"{{"contact":{{"email":"{EMAIL}"}}}}"#);
    let r = request(
        envoy.port,
        "POST",
        "/echo",
        &[("content-type", "application/json")],
        Some(body.as_bytes()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), serde_json::json!({"contact":{"email":"[EMAIL]"}}));
    // POST /payments with a card: 403, JSON error without the number.
    let body = format!(r#"{{"amount":10,"card":"{CARD}"}}"#);
    let r = request(
        envoy.port,
        "POST",
        "/payments",
        &[("content-type", "application/json")],
        Some(body.as_bytes()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"], "personal_data_blocked");
    assert_eq!(r.json()["categories"], serde_json::json!(["payment_card"]));
    assert!(!has_card_digits(&r.text()));
    // ... and without one: accepted.
    let r = request(
        envoy.port,
        "POST",
        "/payments",
        &[("content-type", "application/json")],
        Some(br#"{"amount":10,"token":"tok_1"}"#),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 201);
    // Everything else is logged, not changed.
    let r = request(envoy.port, "GET", "/headers", &[("x-user-email", EMAIL)], None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.json()["x-user-email"], EMAIL);
    let audit = envoy.audit(5);
    let decisions: Vec<&str> = audit.iter().map(|a| a["decision"].as_str().unwrap_or("")).collect();
    assert_eq!(
        decisions,
        ["redacted", "redacted", "blocked", "allowed", "logged"],
        "{audit:#?}"
    );
    let routes: Vec<&str> = audit.iter().map(|a| a["route"].as_str().unwrap_or("")).collect();
    assert_eq!(routes, ["customers", "echo", "payments", "payments", "default"]);
    assert_eq!(audit[0]["retention"], "P30D");
    assert_eq!(audit[0]["envoy_route"], "demo-all");
    assert!(audit[0]["request_id"].as_str().is_some_and(|s| !s.is_empty()));
    let text = envoy.audit_text();
    assert!(
        !text.contains("jane.doe") && !has_card_digits(&text),
        "the audit trail holds no values"
    );
}

/// Each action, in each direction, over HTTP/1.1 and HTTP/2.
#[test]
fn each_action_in_each_direction() {
    let up = upstream();
    let mut routes = Vec::new();
    for a in ["allow", "log", "redact", "block"] {
        routes.push(format!(
            r#"{{"name":"req-{a}","match":{{"path_prefix":"/echo/req-{a}"}},"request":{{"actions":{{"*":"{a}"}}}},"response":{{"actions":{{"*":"allow"}}}}}}"#
        ));
        routes.push(format!(
            r#"{{"name":"resp-{a}","match":{{"path_prefix":"/echo/resp-{a}"}},"request":{{"actions":{{"*":"allow"}}}},"response":{{"actions":{{"*":"{a}"}}}}}}"#
        ));
    }
    let policy = format!(
        r#"{{"version":1,"audit":{{"mode":"all"}},"routes":[{}]}}"#,
        routes.join(",")
    );
    let envoy = Envoy::start("actions", Some(&policy), up);
    let body = format!(r#"{{"email":"{EMAIL}","note":"card {CARD}"}}"#);
    // (path, status, raw data reaches the client)
    let cases = [
        ("/echo/req-allow", 200, true),
        ("/echo/req-log", 200, true),
        ("/echo/req-redact", 200, false),
        ("/echo/req-block", 403, false),
        ("/echo/resp-allow", 200, true),
        ("/echo/resp-log", 200, true),
        ("/echo/resp-redact", 200, false),
        ("/echo/resp-block", 403, false),
    ];
    for (path, status, raw) in cases {
        let h1 = request(
            envoy.port,
            "POST",
            path,
            &[("content-type", "application/json")],
            Some(body.as_bytes()),
        )
        .unwrap_or_else(|e| panic!("{path}: {e}"));
        let h2 = h2_request(
            envoy.port,
            "POST",
            path,
            &[("content-type", "application/json")],
            &[body.as_bytes()],
            &[],
        )
        .unwrap_or_else(|e| panic!("{path} h2: {e}"));
        for (proto, r) in [("h1", h1), ("h2", h2)] {
            assert_eq!(r.status, status, "{path} {proto}: {}", r.text());
            let t = r.text();
            assert_eq!(t.contains(EMAIL), raw, "{path} {proto}: {t}");
            assert_eq!(has_card_digits(&t), raw, "{path} {proto}: {t}");
            let v = r.json();
            if status == 403 {
                assert_eq!(v["error"], "personal_data_blocked");
            } else if !raw {
                assert_eq!(
                    v,
                    serde_json::json!({"email":"[EMAIL]","note":"card [PAYMENT_CARD]"}),
                    "{path} {proto}"
                );
            }
        }
    }
    let audit = envoy.audit(16);
    let got: Vec<(String, String)> = audit
        .iter()
        .map(|a| {
            (
                a["route"].as_str().unwrap_or("").to_string(),
                a["decision"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    for (route, decision) in [
        ("req-allow", "allowed"),
        ("req-log", "logged"),
        ("req-redact", "redacted"),
        ("req-block", "blocked"),
        ("resp-log", "logged"),
        ("resp-redact", "redacted"),
        ("resp-block", "blocked"),
    ] {
        assert_eq!(
            got.iter().filter(|(r, d)| r == route && d == decision).count(),
            2,
            "{route}: {got:?}"
        );
    }
}

#[test]
fn headers_cookies_query_and_body_formats() {
    let up = upstream();
    let envoy = Envoy::start("formats", Some(&redact_all("")), up);
    let p = envoy.port;
    // headers, cookies, query: /headers shows what the upstream received
    let r = request(
        p,
        "GET",
        "/headers?email=jane.doe%40example.com&page=2",
        &[
            ("x-user-email", EMAIL),
            ("cookie", "sid=abc123; contact=jane.doe%40example.com"),
            ("authorization", "Bearer abcDEF123456ghiJKL789"),
        ],
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let v = r.json();
    assert_eq!(v[":path"], "/headers?email=%5BEMAIL%5D&page=2");
    assert_eq!(v["x-user-email"], "[EMAIL]");
    assert_eq!(v["cookie"], "sid=abc123; contact=%5BEMAIL%5D");
    assert_eq!(v["authorization"], "[CREDENTIAL]");
    // bodies: (content type, body, expected echo)
    let cases: &[(&str, &str, &str)] = &[
        (
            "application/json",
            r#"{"e":"jane.doe\u0040example.com","n":4111111111111111}"#,
            r#"{"e":"[EMAIL]","n":"[PAYMENT_CARD]"}"#,
        ),
        (
            "application/json",
            r#"{"firstName":"Jane","items":[{"name":"Widget"}]}"#,
            r#"{"firstName":"[PERSON_NAME]","items":[{"name":"Widget"}]}"#,
        ),
        (
            "application/x-www-form-urlencoded",
            "email=jane.doe%40example.com&qty=2",
            "email=%5BEMAIL%5D&qty=2",
        ),
        ("text/plain", "call +44 20 7946 0958 now", "call [PHONE] now"),
        (
            "text/plain",
            r#"{"iban":"DE89 3704 0044 0532 0130 00"}"#,
            r#"{"iban":"[BANK_ACCOUNT]"}"#,
        ),
        ("application/json", r#"{"ok":"a@b.io"}"#, r#"{"ok":"[EMAIL]"}"#),
    ];
    for (ct, body, want) in cases {
        for proto in ["h1", "h2"] {
            let r = if proto == "h1" {
                request(p, "POST", "/echo", &[("content-type", ct)], Some(body.as_bytes()))
                    .unwrap_or_else(|e| panic!("{e}"))
            } else {
                h2_request(p, "POST", "/echo", &[("content-type", ct)], &[body.as_bytes()], &[])
                    .unwrap_or_else(|e| panic!("{e}"))
            };
            assert_eq!(r.status, 200, "{ct} {body}");
            assert_eq!(r.text(), *want, "{proto} {ct} {body}");
            if proto == "h1" {
                // the body grew or shrank: the framing still matches it (content-length was
                // dropped, so Envoy re-frames; a stale length would truncate or hang)
                assert!(
                    r.framing == "chunked" || r.header("content-length") == Some(want.len().to_string().as_str()),
                    "{r:?}"
                );
            }
        }
    }
}

#[test]
fn split_chunks_trailers_and_compression() {
    let up = upstream();
    let envoy = Envoy::start("streams", Some(&redact_all("")), up);
    let p = envoy.port;
    let body = format!(r#"{{"email":"{EMAIL}","card":"{CARD}","pad":"{}"}}"#, "x".repeat(3000));
    // HTTP/1.1 chunked upload, 3 bytes a chunk: every value is split across chunks
    let r = request_chunked(
        p,
        "POST",
        "/echo",
        &[("content-type", "application/json")],
        body.as_bytes(),
        3,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["email"], "[EMAIL]");
    assert_eq!(v["card"], "[PAYMENT_CARD]");
    // HTTP/2 in small DATA frames, ending with trailers (gRPC-style)
    let chunks: Vec<&[u8]> = body.as_bytes().chunks(7).collect();
    let r = h2_request(
        p,
        "POST",
        "/echo",
        &[("content-type", "application/json")],
        &chunks,
        &[("x-checksum", "abc")],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["email"], "[EMAIL]");
    assert!(!has_card_digits(&r.text()));
    // gzip request body: inspected, redacted and re-compressed
    let gz = gzip(body.as_bytes());
    let r = request(
        p,
        "POST",
        "/echo",
        &[
            ("content-type", "application/json"),
            ("content-encoding", "gzip"),
            ("x-echo-content-encoding", "gzip"),
        ],
        Some(&gz),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let plain = gunzip(&r.body);
    let v: serde_json::Value = serde_json::from_slice(&plain).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["email"], "[EMAIL]");
}

#[test]
fn limits_and_uninspectable_content() {
    let up = upstream();
    let policy = r#"{"version":1,"audit":{"mode":"all"},"limits":{"max_body_bytes":1024},
      "routes":[
        {"name":"big-ok","match":{"path_prefix":"/echo/big-ok"},"on_oversize":"allow","request":{"actions":{"*":"redact"}}},
        {"name":"strict","match":{"path_prefix":"/echo/strict"},"request":{"actions":{"payment_card":"block","*":"redact"}}},
        {"name":"lenient","match":{"path_prefix":"/echo/lenient"},"request":{"actions":{"*":"log"}}}
      ]}"#;
    let envoy = Envoy::start("limits", Some(policy), up);
    let p = envoy.port;
    let big = format!(r#"{{"email":"{EMAIL}","pad":"{}"}}"#, "x".repeat(4096));
    // default: over the limit is blocked with 413, never passed unread
    let r = request(
        p,
        "POST",
        "/echo/strict",
        &[("content-type", "application/json")],
        Some(big.as_bytes()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["error"], "body_too_large_to_inspect");
    let r = request_chunked(
        p,
        "POST",
        "/echo/strict",
        &[("content-type", "application/json")],
        big.as_bytes(),
        500,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 413);
    // opted in: it passes, and the audit says it was not inspected
    let r = request(
        p,
        "POST",
        "/echo/big-ok",
        &[("content-type", "application/json")],
        Some(big.as_bytes()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    // an encoding piiguard cannot read: blocked where the route blocks, logged elsewhere
    let r = request(
        p,
        "POST",
        "/echo/strict",
        &[("content-type", "application/json"), ("content-encoding", "br")],
        Some(b"\x1b\x03"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 415);
    assert_eq!(r.json()["error"], "content_not_inspectable");
    let r = request(
        p,
        "POST",
        "/echo/lenient",
        &[("content-type", "application/json"), ("content-encoding", "br")],
        Some(b"\x1b\x03"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    let audit = envoy.audit(5);
    assert_eq!(audit[2]["route"], "big-ok");
    assert_eq!(audit[2]["request"]["uninspected"], "oversize");
    assert_eq!(audit[4]["request"]["uninspected"], "encoding:br");
    assert_eq!(audit[4]["decision"], "logged");
}

#[test]
fn bad_config_is_rejected_by_envoy() {
    let cases = [
        (
            r#"{"version":1,"routes":[{"name":"a","match":{"path_prefix":"/"},"request":{"actions":{"emial":"block"}}}]}"#,
            r#"$.routes[0].request.actions["emial"]: unknown detector or category"#,
        ),
        (r#"{"version":1,"unknown":true}"#, "$.unknown: unknown field `unknown`"),
        ("not json", "$: expected ident"),
    ];
    for (policy, msg) in cases {
        let (path, _, _) = write_config("badcfg", Some(policy), 1, &[], &|_| {});
        let (ok, out) = validate(&path);
        assert!(!ok, "Envoy accepted a bad plugin config: {policy}");
        assert!(out.contains(msg), "expected {msg:?} in Envoy's output:\n{out}");
    }
    // the shipped config validates
    let (ok, out) = validate(&repo_root().join("envoy-config/envoy.yaml"));
    assert!(ok, "{out}");
}

/// Streams pass without being buffered (per `on_stream`), and the audit says
/// they were not inspected.
#[test]
fn streams_are_not_buffered() {
    use std::io::{BufRead, BufReader, Write};
    let up = upstream();
    // Enforcing routes stop streams by default (`on_stream`); this one opts in.
    let policy = redact_all("").replacen("\"default\":{", "\"default\":{\"on_stream\":\"allow\",", 1);
    let envoy = Envoy::start("streams-pass", Some(&policy), up);
    let p = envoy.port;
    // SSE: the first event arrives while the upstream still holds the stream
    // open (it only finishes once we call /release): buffering would hang here.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", p)).unwrap_or_else(|e| panic!("{e}"));
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap_or_else(|e| panic!("{e}"));
    s.write_all(b"GET /events?id=sse1 HTTP/1.1\r\nhost: x\r\n\r\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut r = BufReader::new(s);
    let mut seen = String::new();
    while !seen.contains("\"first\"") {
        let mut line = String::new();
        let n = r
            .read_line(&mut line)
            .unwrap_or_else(|e| panic!("no first event before the stream ended ({e}): {seen}"));
        assert!(n > 0, "stream closed: {seen}");
        seen.push_str(&line);
    }
    assert!(seen.contains("text/event-stream"), "{seen}");
    let _ = get(up, "/release?id=sse1");
    let mut rest = String::new();
    while !rest.contains("\"last\"") {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        rest.push_str(&line);
    }
    assert!(rest.contains("\"last\""), "{rest}");
    // WebSocket upgrade: bytes flow both ways through Envoy
    let mut ws = std::net::TcpStream::connect(("127.0.0.1", p)).unwrap_or_else(|e| panic!("{e}"));
    ws.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap_or_else(|e| panic!("{e}"));
    ws.write_all(b"GET /ws HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").unwrap_or_else(|e| panic!("{e}"));
    let mut wr = BufReader::new(ws.try_clone().unwrap_or_else(|e| panic!("{e}")));
    let mut status = String::new();
    wr.read_line(&mut status).unwrap_or_else(|e| panic!("{e}"));
    assert!(status.contains("101"), "{status}");
    loop {
        let mut l = String::new();
        wr.read_line(&mut l).unwrap_or_else(|e| panic!("{e}"));
        if l.trim().is_empty() {
            break;
        }
    }
    ws.write_all(b"ping-123\n").unwrap_or_else(|e| panic!("{e}"));
    let mut echo = String::new();
    wr.read_line(&mut echo).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(echo, "ping-123\n");
    drop(ws);
    drop(wr);
    let audit = envoy.audit(2);
    let notes: Vec<String> = audit
        .iter()
        .map(|a| {
            format!(
                "{} {}",
                a["request"]["uninspected"].as_str().unwrap_or("-"),
                a["response"]["uninspected"].as_str().unwrap_or("-")
            )
        })
        .collect();
    assert!(notes.contains(&"- stream:sse".to_string()), "{notes:?}");
    assert!(
        notes.contains(&"stream:websocket stream:websocket".to_string()),
        "{notes:?}"
    );
}

/// A bounded loop of mixed requests (small, large, compressed, malformed,
/// blocked, over the limit) while watching Envoy's memory: it must level off.
#[test]
fn soak_memory_levels_off() {
    let up = upstream();
    let envoy = Envoy::start("soak", Some(&redact_all(r#""limits":{"max_body_bytes":65536},"#)), up);
    let p = envoy.port;
    let rss = || -> u64 {
        let pid = envoy.pid();
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse().ok())
            })
            .unwrap_or(0)
    };
    let small = br#"{"email":"jane@example.com","n":1}"#.to_vec();
    let large = format!(
        r#"{{"rows":[{}]}}"#,
        vec![r#"{"email":"a@example.com","card":"4111 1111 1111 1111"}"#; 600].join(",")
    )
    .into_bytes();
    let gz = gzip(&large);
    let over = vec![b'x'; 70_000];
    let mut samples = Vec::new();
    for batch in 0..6 {
        for i in 0..120 {
            let r = match i % 5 {
                0 => request(
                    p,
                    "POST",
                    "/echo",
                    &[("content-type", "application/json")],
                    Some(&small),
                ),
                1 => request(
                    p,
                    "POST",
                    "/echo",
                    &[("content-type", "application/json")],
                    Some(&large),
                ),
                2 => request(
                    p,
                    "POST",
                    "/echo",
                    &[("content-type", "application/json"), ("content-encoding", "gzip")],
                    Some(&gz),
                ),
                3 => request(
                    p,
                    "POST",
                    "/echo",
                    &[("content-type", "application/json")],
                    Some(b"{\"e\":\"a@b.io\", ["),
                ),
                _ => request(p, "POST", "/echo", &[("content-type", "text/plain")], Some(&over)),
            }
            .unwrap_or_else(|e| panic!("batch {batch} request {i}: {e}"));
            assert!(matches!(r.status, 200 | 413), "{}", r.status);
        }
        samples.push(rss());
    }
    // after warm-up, growth between the 2nd and the last sample stays small
    let (warm, last) = (samples[1], samples[samples.len() - 1]);
    assert!(
        last <= warm + warm / 10 + 8 * 1024,
        "Envoy RSS keeps growing (kB): {samples:?}"
    );
    eprintln!("soak RSS kB per batch: {samples:?}");
}

/// The known ways around proxy-side DLP, each with its safe outcome.
#[test]
fn evasion_attempts_fail_safe() {
    let up = upstream();
    let policy = r#"{"version":1,"audit":{"mode":"all"},"limits":{"max_json_depth":64},
      "routes":[{"name":"strict","match":{"path_prefix":"/echo/strict"},"request":{"actions":{"*":"block"}}},
        {"name":"resp","match":{"path_prefix":"/echo/resp"},"request":{"body":false},"response":{"actions":{"*":"redact"}}}],
      "default":{"request":{"actions":{"*":"redact"}},"response":{"actions":{"*":"redact"}}}}"#;
    let envoy = Envoy::start("evasion", Some(policy), up);
    let p = envoy.port;
    let post = |path: &str, ct: &str, body: &[u8], extra: &[(&str, &str)]| {
        let mut h = vec![("content-type", ct)];
        h.extend_from_slice(extra);
        let h1 = request(p, "POST", path, &h, Some(body)).unwrap_or_else(|e| panic!("{e}"));
        let h2 = h2_request(p, "POST", path, &h, &[body], &[]).unwrap_or_else(|e| panic!("{e}"));
        (h1, h2)
    };
    // Unicode digits, NBSP, thin and zero-width spaces, soft hyphens, dots
    for card in [
        "４１１１ １１１１ １１１１ １１１１",
        "4111\u{00A0}1111\u{00A0}1111\u{00A0}1111",
        "4111\u{200B}1111\u{200B}1111\u{200B}1111",
        "4111\u{00AD}1111\u{00AD}1111\u{00AD}1111",
        "4111.1111.1111.1111",
        "٤١١١١١١١١١١١١١١١",
    ] {
        let body = serde_json::json!({ "note": format!("pay with {card} today") }).to_string();
        for r in <[_; 2]>::from(post("/echo", "application/json", body.as_bytes(), &[])) {
            assert_eq!(r.status, 200);
            assert_eq!(r.json()["note"], "pay with [PAYMENT_CARD] today", "{card:?}");
        }
    }
    // JSON under other content types, escapes, duplicate keys
    for (ct, body) in [
        ("application/octet-stream", r#"{"e":"jane.doe@example.com"}"#),
        ("text/plain", r#"{"e":"jane.doe@example.com"}"#),
        ("application/vnd.api+json", r#"{"e":"jane.doe@example.com"}"#),
        ("application/json", r#"{"e":"jane.doe\u0040example\u002Ecom"}"#),
        ("application/json", r#"{"e":"x","e":"jane.doe@example.com"}"#),
    ] {
        let (r, _) = post("/echo", ct, body.as_bytes(), &[]);
        assert!(
            !r.text().contains("jane.doe") && r.text().contains("[EMAIL]"),
            "{ct} {body}: {}",
            r.text()
        );
    }
    // form values encoded twice, multipart parts
    let (r, _) = post(
        "/echo",
        "application/x-www-form-urlencoded",
        b"a=jane.doe%2540example.com&b=1",
        &[],
    );
    assert!(!r.text().contains("jane.doe"), "{}", r.text());
    let mp = "--zz\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\njane.doe@example.com\r\n--zz--\r\n";
    let (r, _) = post("/echo", "multipart/form-data; boundary=zz", mp.as_bytes(), &[]);
    assert_eq!(
        r.text(),
        "--zz\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\n[EMAIL]\r\n--zz--\r\n"
    );
    // malformed multipart, UTF-16, nesting 10,000 deep, unknown encoding: blocked where the route blocks
    let deep = format!("{}\"x\"{}", "[".repeat(10_000), "]".repeat(10_000));
    let utf16: Vec<u8> = "{\"e\":\"jane.doe@example.com\"}"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    for (ct, body, ce) in [
        ("multipart/form-data; boundary=zz", b"--zz\r\nbroken".to_vec(), None),
        ("application/json; charset=utf-16", utf16.clone(), None),
        ("application/json", deep.clone().into_bytes(), None),
        ("application/json", b"{}".to_vec(), Some("zstd")),
    ] {
        let extra: Vec<(&str, &str)> = ce.map(|c| vec![("content-encoding", c)]).unwrap_or_default();
        let (h1, h2) = post("/echo/strict", ct, &body, &extra);
        assert!(
            matches!(h1.status, 403 | 415) && matches!(h2.status, 403 | 415),
            "{ct} {ce:?}: {} {}",
            h1.status,
            h2.status
        );
    }
    // ... and on a redacting route too: what the route could change but cannot read is stopped
    // (`on_uninspectable` defaults to block wherever a route redacts or blocks)
    let (r, _) = post("/echo", "application/json", deep.as_bytes(), &[]);
    assert_eq!(r.status, 415);
    // duplicate and comma-joined headers, Referer: every value is read
    let r = request(
        p,
        "GET",
        "/headers",
        &[
            ("x-user-email", "a@example.com"),
            ("x-user-email", "jane.doe@example.com"),
            ("x-contact", "x, jane.doe@example.com"),
            ("referer", "https://shop.example/?email=jane.doe%40example.com"),
        ],
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(!r.text().contains("jane.doe"), "{}", r.text());
    // compressed responses are inspected and re-compressed (gzip and deflate)
    let gz = gzip(br#"{"email":"jane.doe@example.com"}"#);
    let r = request(
        p,
        "POST",
        "/echo/resp",
        &[
            ("content-type", "application/json"),
            ("x-echo-content-encoding", "gzip"),
        ],
        Some(&gz),
    );
    // (the request itself is not declared as gzip: the upstream labels its answer;
    // this route does not read request bodies, which would find the gzip bytes too)
    let r = r.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(&r.body), br#"{"email":"[EMAIL]"}"#.to_vec());
    // and the counters moved for what was found and what could not be read
    let wants = [
        r#"piiguard_findings_total{route="default",category="payment_card",detector="payment_card",direction="request",action="redact"}"#,
        r#"piiguard_findings_total{route="resp",category="email",detector="email",direction="response",action="redact"}"#,
        r#"piiguard_uninspectable_total{route="strict",direction="request",action="block"}"#,
        r#"piiguard_requests_total{route="strict",decision="blocked"}"#,
    ];
    let count = |stats: &str, want: &str| -> u64 {
        stats
            .lines()
            .find(|l| l.starts_with(want))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let stats = envoy.stats_when(|s| wants.iter().all(|w| count(s, w) > 0));
    for want in wants {
        assert!(count(&stats, want) > 0, "{want} did not move:\n{stats}");
    }
}

/// Istio's WasmPlugin cannot set `allow_on_headers_stop_iteration`: with
/// `hold_headers: false` headers go on at once and bodies are still decided
/// before a byte of them leaves. A response blocked after its headers went
/// out is reset: the client never gets the original body.
#[test]
fn without_holding_headers_nothing_leaks() {
    let up = upstream();
    let policy = r#"{"version":1,"hold_headers":false,"routes":[
        {"name":"req-block","match":{"path_prefix":"/echo/req-block"},"request":{"actions":{"*":"block"}}},
        {"name":"resp-block","match":{"path_prefix":"/echo/resp-block"},"request":{"actions":{"*":"allow"}},"response":{"actions":{"*":"block"}}}],
      "default":{"request":{"actions":{"*":"redact"}},"response":{"actions":{"*":"redact"}}}}"#;
    let envoy = Envoy::start_with("no-hold", Some(policy), up, &[], &|cfg| {
        let w = &mut cfg["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
            ["http_filters"][0]["typed_config"]["config"];
        if let Some(m) = w.as_mapping_mut() {
            m.remove("allow_on_headers_stop_iteration");
        }
    });
    let p = envoy.port;
    let body = format!(r#"{{"email":"{EMAIL}","note":"card {CARD}"}}"#);
    let ct = [("content-type", "application/json")];
    // redaction both ways, split chunks, HTTP/2 with trailers
    let r = request(p, "POST", "/echo", &ct, Some(body.as_bytes())).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        r.json(),
        serde_json::json!({"email":"[EMAIL]","note":"card [PAYMENT_CARD]"})
    );
    let r = request_chunked(p, "POST", "/echo", &ct, body.as_bytes(), 3).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.json()["email"], "[EMAIL]");
    let chunks: Vec<&[u8]> = body.as_bytes().chunks(5).collect();
    let r = h2_request(p, "POST", "/echo", &ct, &chunks, &[("x-t", "1")]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.json()["email"], "[EMAIL]");
    // request block: a clean 403
    let r = request(p, "POST", "/echo/req-block", &ct, Some(body.as_bytes())).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 403);
    assert!(!r.text().contains(EMAIL));
    // response block after the headers went out: the stream is reset, the body never arrives
    for proto in ["h1", "h2"] {
        let got = if proto == "h1" {
            request(p, "POST", "/echo/resp-block", &ct, Some(body.as_bytes()))
                .map(|r| r.text())
                .unwrap_or_else(|e| format!("error: {e}"))
        } else {
            h2_request(p, "POST", "/echo/resp-block", &ct, &[body.as_bytes()], &[])
                .map(|r| r.text())
                .unwrap_or_else(|e| format!("error: {e}"))
        };
        assert!(!got.contains(EMAIL) && !has_card_digits(&got), "{proto}: {got}");
    }
    assert!(!envoy.log().contains("panic"), "{}", envoy.log());
}
