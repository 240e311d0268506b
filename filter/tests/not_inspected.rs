//! Nothing for nothing, and nothing weakened by it: a direction whose
//! actions cannot log, redact or block anything is not read (no header map,
//! no buffering, no scan), but everything that could still change the
//! outcome keeps it read: `require_tls`, a subject read from the body, an
//! explicit `on_uninspectable`/`on_stream: block`, a stream the route
//! blocks, the consent alternative, shadow routes, and any method carrying
//! a body on a route that redacts.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use piiguard::engine::{Direction, Engine};
use piiguard::flow::Step;
use piiguard::policy::Policy;
use piiguard::redact::Hasher;
use piiguard::testing::{exchange, flow, Call, Exchange, Forwarded, MemoryHost, Sent};
use std::rc::Rc;

const EMAIL: &str = "jane.doe@example.com";

fn engine(cfg: &str) -> Rc<Engine> {
    let p = Policy::from_json(cfg.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let key = Hasher::new(b"test-key", Some("k1".into()));
    Rc::new(Engine::new(p, key).unwrap_or_else(|e| panic!("{}", e.0)))
}

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn post(method: &str, extra: &[(&str, &str)], body: &str) -> Sent {
    let mut hs = h(&[(":method", method), (":path", "/echo"), (":authority", "shop")]);
    hs.extend(h(extra));
    Sent::new(hs, body.as_bytes(), None)
}

fn json_post(body: &str) -> Sent {
    post("POST", &[("content-type", "application/json")], body)
}

fn ok_response(body: &'static str) -> impl Fn(&Forwarded) -> Sent {
    move |_| {
        Sent::new(
            h(&[(":status", "200"), ("content-type", "application/json")]),
            body.as_bytes(),
            None,
        )
    }
}

fn run(e: &Rc<Engine>, host: &mut MemoryHost, req: &Sent, resp: &dyn Fn(&Forwarded) -> Sent) -> Exchange {
    let mut f = flow(e);
    exchange(&mut f, host, req, resp)
}

fn upstream_body(ex: &Exchange) -> String {
    String::from_utf8_lossy(&ex.upstream.as_ref().expect("reached the upstream").body).into_owned()
}

/// The members of a route that allows everything both ways.
const ALLOW: &str = r#""request":{"actions":{"*":"allow"}},"response":{"actions":{"*":"allow"}}"#;

fn policy(route_extra: &str, top_extra: &str) -> String {
    format!(
        r#"{{"version":1,"hold_headers":true,"audit":{{"mode":"all"}}{top_extra},"default":{{{ALLOW}{route_extra}}}}}"#
    )
}

#[test]
fn all_allow_reads_nothing_and_says_so() {
    let e = engine(&policy("", ""));
    let mut host = MemoryHost::new();
    let body = format!(r#"{{"email":"{EMAIL}"}}"#);
    let ex = run(
        &e,
        &mut host,
        &json_post(&body),
        &ok_response(r#"{"owner":"john@example.org"}"#),
    );
    assert_eq!(ex.client_status, 200);
    assert_eq!(upstream_body(&ex), body);
    assert_eq!(host.stat(Call::Body).calls, 0, "nothing buffered");
    assert_eq!(
        host.stat(Call::Headers).calls,
        1,
        "the response headers are not fetched"
    );
    let a = host.audit().expect("still audited");
    assert_eq!(a["decision"], "allowed");
    assert_eq!(a["request"]["not_inspected"], "policy_allows_all", "{a}");
    assert_eq!(a["response"]["not_inspected"], "policy_allows_all", "{a}");
    assert!(a["request"].get("findings").is_none(), "{a}");
    // audit mode `findings`: nothing was found, so nothing is written
    let e = engine(&policy("", "").replace(r#""mode":"all""#, r#""mode":"findings""#));
    let mut host = MemoryHost::new();
    run(&e, &mut host, &json_post(&body), &ok_response("{}"));
    assert!(host.audits.is_empty());
    assert_eq!(
        host.counters
            .get("route=.=default;.;decision=.=allowed;.;piiguard_requests_total"),
        Some(&1),
        "{:?}",
        host.counters
    );
}

#[test]
fn a_method_without_a_body_by_convention_is_read_when_it_has_one() {
    let e = engine(r#"{"version":1,"hold_headers":true,"default":{"request":{"actions":{"*":"redact"}}}}"#);
    for method in ["GET", "HEAD", "DELETE", "OPTIONS"] {
        for hold in [true, false] {
            let e = if hold {
                Rc::clone(&e)
            } else {
                engine(r#"{"version":1,"default":{"request":{"actions":{"*":"redact"}}}}"#)
            };
            let mut host = MemoryHost::new();
            let ex = run(
                &e,
                &mut host,
                &post(method, &[("content-type", "text/plain")], &format!("mail {EMAIL}")),
                &ok_response("{}"),
            );
            assert_eq!(upstream_body(&ex), "mail [EMAIL]", "{method} hold={hold}");
            assert_eq!(host.audit().unwrap()["request"]["findings"][0]["category"], "email");
        }
    }
}

#[test]
fn headers_only_exchanges_never_buffer() {
    let e = engine(
        r#"{"version":1,"hold_headers":true,"default":{"request":{"actions":{"*":"redact"}},"response":{"actions":{"*":"redact"}}}}"#,
    );
    let mut f = flow(&e);
    let mut host = MemoryHost::new();
    host.request.headers = h(&[(":method", "GET"), (":path", "/items"), (":authority", "shop")]);
    assert_eq!(f.on_request_headers(&mut host, true), Step::Continue);
    host.response.headers = h(&[(":status", "204")]);
    assert_eq!(f.on_response_headers(&mut host, true), Step::Continue);
    f.on_done(&mut host);
    assert_eq!(host.stat(Call::Body).calls, 0);
    assert_eq!(host.stat(Call::RemoveHeader).calls, 0);
    // the control: the same route holds a request that has a body
    let mut f = flow(&e);
    host.request.headers = h(&[(":method", "GET"), (":path", "/items"), (":authority", "shop")]);
    assert_eq!(f.on_request_headers(&mut host, false), Step::Pause);
}

#[test]
fn require_tls_keeps_an_all_allow_request_read() {
    // plaintext connection (no TLS properties): personal data may not cross it
    let e = engine(&policy(r#","require_tls":{"on":"downstream"}"#, ""));
    let mut host = MemoryHost::new();
    let ex = run(
        &e,
        &mut host,
        &json_post(&format!(r#"{{"email":"{EMAIL}"}}"#)),
        &ok_response("{}"),
    );
    assert_eq!(ex.client_status, 403, "{ex:?}");
    assert!(ex.upstream.is_none());
    let a = host.audit().unwrap();
    assert!(a["request"].get("not_inspected").is_none(), "{a}");
    // the response allows everything and require_tls judges requests: not read
    assert_eq!(host.stat(Call::Headers).calls, 1);
    // the control: over TLS it passes
    let mut host = MemoryHost::new().with_property(&["connection", "tls_version"], b"TLSv1.3");
    let ex = run(
        &e,
        &mut host,
        &json_post(&format!(r#"{{"email":"{EMAIL}"}}"#)),
        &ok_response("{}"),
    );
    assert_eq!(ex.client_status, 200);
}

#[test]
fn a_subject_read_from_the_body_keeps_the_body_read() {
    let e = engine(&policy(
        "",
        r#","subject":{"sources":[{"request_body":"$.user"}],"header":"x-piiguard-subject"}"#,
    ));
    let mut host = MemoryHost::new();
    let ex = run(&e, &mut host, &json_post(r#"{"user":"u-1","q":1}"#), &ok_response("{}"));
    let up = ex.upstream.unwrap();
    let subject = up.header("x-piiguard-subject").expect("pseudonym set from the body");
    assert!(!subject.contains("u-1"));
    assert_eq!(host.stat(Call::Body).calls, 1, "the request body only");
    assert_eq!(host.audit().unwrap()["subject"], subject);
}

#[test]
fn explicit_blocks_of_what_cannot_be_read_keep_it_read() {
    // an unreadable coding on a route that says `on_uninspectable: block`
    let e = engine(&policy(r#","on_uninspectable":"block""#, ""));
    let mut host = MemoryHost::new();
    let req = post(
        "POST",
        &[("content-type", "text/plain"), ("content-encoding", "br")],
        "\u{1}\u{2}",
    );
    let ex = run(&e, &mut host, &req, &ok_response("{}"));
    assert_eq!(ex.client_status, 415, "{ex:?}");
    // a WebSocket on a route that says `on_stream: block`
    let e = engine(&policy(r#","on_stream":"block""#, ""));
    let mut host = MemoryHost::new();
    let ws = Sent::new(
        h(&[
            (":method", "GET"),
            (":path", "/ws"),
            ("upgrade", "websocket"),
            ("connection", "upgrade"),
        ]),
        b"frames",
        None,
    );
    let ex = run(&e, &mut host, &ws, &ok_response("{}"));
    assert_eq!(ex.client_status, 415, "{ex:?}");
    // ... and a server-sent event stream in the response
    let mut host = MemoryHost::new();
    let sse = |_: &Forwarded| {
        Sent::new(
            h(&[(":status", "200"), ("content-type", "text/event-stream")]),
            b"data: x\n\n",
            None,
        )
    };
    let ex = run(&e, &mut host, &json_post("{}"), &sse);
    assert_eq!(ex.client_status, 502, "{ex:?}");
    // the control: by default an all-allow route lets both pass unread
    let e = engine(&policy("", ""));
    let mut host = MemoryHost::new();
    let ex = run(&e, &mut host, &req, &ok_response("{}"));
    assert_eq!(ex.client_status, 200);
    let mut host = MemoryHost::new();
    let ex = run(&e, &mut host, &json_post("{}"), &sse);
    assert_eq!(ex.client_status, 200);
}

#[test]
fn a_stream_the_route_blocks_is_stopped_even_when_the_request_allows_all() {
    // requests allow everything, responses redact: a WebSocket's response
    // could not be inspected, so the route (on_stream: block by default) stops it
    let cfg = r#"{"version":1,"hold_headers":true,"default":{"request":{"actions":{"*":"allow"}},"response":{"actions":{"*":"redact"}}}}"#;
    let ws = Sent::new(
        h(&[
            (":method", "GET"),
            (":path", "/ws"),
            ("upgrade", "websocket"),
            ("connection", "upgrade"),
        ]),
        b"frames",
        None,
    );
    let mut host = MemoryHost::new();
    let ex = run(&engine(cfg), &mut host, &ws, &ok_response("{}"));
    assert_eq!(ex.client_status, 415, "{ex:?}");
    assert!(ex.upstream.is_none());
    // with `on_stream: allow` the request is not read, and the response is
    // still known to be a stream (passes unbuffered instead of hanging)
    let cfg = cfg.replace(r#""response""#, r#""on_stream":"allow","response""#);
    let mut host = MemoryHost::new();
    let mut f = flow(&engine(&cfg));
    host.request.headers = ws.headers.clone();
    assert_eq!(f.on_request_headers(&mut host, false), Step::Continue);
    host.response.headers = h(&[(":status", "101"), ("upgrade", "websocket")]);
    assert_eq!(f.on_response_headers(&mut host, false), Step::Continue);
    assert_eq!(f.on_body(&mut host, Direction::Response, 6, false), Step::Continue);
    f.on_done(&mut host);
    let a = host.audit().unwrap();
    assert_eq!(a["request"]["not_inspected"], "policy_allows_all", "{a}");
    assert_eq!(a["response"]["uninspected"], "stream:websocket", "{a}");
    // an ordinary request on that route is not read, the response is
    let mut host = MemoryHost::new();
    let ex = run(
        &engine(&cfg),
        &mut host,
        &json_post(&format!(r#"{{"email":"{EMAIL}"}}"#)),
        &ok_response(r#"{"owner":"john@example.org"}"#),
    );
    assert!(upstream_body(&ex).contains(EMAIL));
    assert_eq!(String::from_utf8_lossy(&ex.client.body), r#"{"owner":"[EMAIL]"}"#);
    assert_eq!(host.stat(Call::Body).calls, 1, "the response body only");
}

#[test]
fn without_consent_the_redacting_alternative_is_read() {
    let cfg = format!(
        r#"{{"version":1,"hold_headers":true,"audit":{{"mode":"all"}},"consent":{{"header":"x-consent"}},"default":{{"purpose":"marketing","legal_basis":"consent","without_consent":{{"action":"redact"}},{}}}}}"#,
        ALLOW
    );
    let e = engine(&cfg);
    let body = format!(r#"{{"email":"{EMAIL}"}}"#);
    let mut host = MemoryHost::new();
    let ex = run(&e, &mut host, &json_post(&body), &ok_response("{}"));
    assert_eq!(upstream_body(&ex), r#"{"email":"[EMAIL]"}"#);
    // the control: with consent the route allows everything and reads nothing
    let mut host = MemoryHost::new();
    let req = post(
        "POST",
        &[("content-type", "application/json"), ("x-consent", "marketing")],
        &body,
    );
    let ex = run(&e, &mut host, &req, &ok_response("{}"));
    assert_eq!(upstream_body(&ex), body);
    assert_eq!(host.stat(Call::Body).calls, 0);
    assert_eq!(host.audit().unwrap()["request"]["not_inspected"], "policy_allows_all");
}

#[test]
fn a_shadow_route_that_would_redact_is_read() {
    let e =
        engine(r#"{"version":1,"hold_headers":true,"default":{"shadow":true,"request":{"actions":{"*":"redact"}}}}"#);
    let mut host = MemoryHost::new();
    let body = format!(r#"{{"email":"{EMAIL}"}}"#);
    let ex = run(&e, &mut host, &json_post(&body), &ok_response("{}"));
    assert_eq!(upstream_body(&ex), body, "shadow: nothing changed");
    let a = host.audit().unwrap();
    assert_eq!(a["decision"], "shadow", "{a}");
}

#[test]
fn inspection_off_reads_nothing() {
    let e = engine(
        r#"{"version":1,"audit":{"mode":"all"},"default":{"request":{"actions":{"*":"block"},"headers":false,"query":false,"body":false},"response":{"actions":{"*":"block"},"headers":false,"query":false,"body":false}}}"#,
    );
    let mut host = MemoryHost::new();
    let ex = run(
        &e,
        &mut host,
        &json_post(&format!(r#"{{"email":"{EMAIL}"}}"#)),
        &ok_response("{}"),
    );
    assert_eq!(ex.client_status, 200);
    assert_eq!(host.stat(Call::Body).calls, 0);
    assert_eq!(host.stat(Call::Headers).calls, 1);
    let a = host.audit().unwrap();
    assert_eq!(a["request"]["not_inspected"], "inspection_off", "{a}");
    assert_eq!(a["response"]["not_inspected"], "inspection_off", "{a}");
}

/// A request that passes untouched under a policy without routes leaves its
/// facts (method, authority, path, the client's request id) in the host's
/// bytes until the audit record reads them: the record says what the same
/// request says under a route that reads them at once. With forged subject
/// headers among them, they are read before those go, and the forged headers
/// never reach the upstream either way.
#[test]
fn a_request_passing_untouched_is_recorded_as_it_came() {
    let off = r#""request":{"actions":{"*":"block"},"headers":false,"query":false,"body":false},"response":{"actions":{"*":"block"},"headers":false,"query":false,"body":false}"#;
    let forged = [
        ("x_piiguard_subject", "forged-subject"),
        ("x-forwarded-piiguard-subject-id", "forged-too"),
    ];
    for members in [ALLOW, off] {
        let direct = format!(r#"{{"version":1,"audit":{{"mode":"all"}},"default":{{{members}}}}}"#);
        let routed = format!(
            r#"{{"version":1,"audit":{{"mode":"all"}},"routes":[{{"name":"default","match":{{"path_prefix":"/"}},{members}}}],"default":{{{members}}}}}"#
        );
        for extra in [&[][..], &forged[..]] {
            let mut records = Vec::new();
            for cfg in [&direct, &routed] {
                let e = engine(cfg);
                let mut host = MemoryHost::new();
                let mut headers = vec![("content-type", "application/json"), ("x-request-id", "req-7f3a-bench")];
                headers.extend_from_slice(extra);
                let mut req = post("POST", &headers, r#"{"a":1}"#);
                req.headers[1].1 = "/echo/a?page=2".into();
                let ex = run(&e, &mut host, &req, &ok_response("{}"));
                assert_eq!(ex.client_status, 200, "{cfg}");
                let up = ex.upstream.as_ref().expect("reached the upstream");
                assert!(
                    !up.headers.iter().any(|(_, v)| v.starts_with("forged")),
                    "{cfg}: {:?}",
                    up.headers
                );
                assert_eq!(host.stat(Call::Headers).calls, 1, "{cfg}");
                let a = host.audit().expect("audited");
                assert_eq!(a["method"], "POST", "{a}");
                assert_eq!(a["authority"], "shop", "{a}");
                assert_eq!(a["request_id"], "req-7f3a-bench", "{a}");
                assert!(a["path"].as_str().unwrap_or("").starts_with("/echo/a"), "{a}");
                records.push(a);
            }
            for k in [
                "method",
                "authority",
                "path",
                "request_id",
                "decision",
                "request",
                "response",
            ] {
                assert_eq!(records[0][k], records[1][k], "{k}: {} / {}", records[0], records[1]);
            }
        }
    }
}
