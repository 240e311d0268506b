//! Attacks on route matching, on the places a value can hide outside the
//! body (path, query names, cookie names, header names, headers once
//! skipped), on what piiguard copies into its reply and audit record, and on
//! the subject header (issue 12, classes 2, 5, 7 and 8). Each case is a
//! canary run through the whole flow against the in-memory host: the canary must
//! not reach the upstream (the headers and body the flow leaves), the
//! client (the block reply) or the audit record.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use piiguard::engine::{Direction, Engine};
use piiguard::flow::Step;
use piiguard::policy::Policy;
use piiguard::redact::Hasher;
use piiguard::testing::{flow, MemoryHost};
use std::rc::Rc;

const EMAIL: &str = "jane.canary@example.com";
const EMAIL_ENC: &str = "jane.canary%40example.com";
const CARD: &str = "4111 1111 1111 1111";

/// Routes: a blocking exact route, a blocking prefix route, a redacting
/// prefix route, a redacting regex route; the default allows everything, so
/// a request that misses its route leaks.
const POLICY: &str = r#"{"version":1,"audit":{"mode":"all"},
  "routes":[
    {"name":"charge","match":{"path_exact":"/charge","methods":["POST"]},"request":{"actions":{"*":"block"}}},
    {"name":"payments","match":{"path_prefix":"/payments"},"request":{"actions":{"*":"block"}}},
    {"name":"echo","match":{"path_prefix":"/echo/"},"request":{"actions":{"*":"redact"}}},
    {"name":"profile","match":{"path_regex":"/profile/[0-9]+"},"request":{"actions":{"*":"redact"}},
     "response":{"actions":{"*":"redact"}}}
  ],
  "default":{"request":{"actions":{"*":"allow"}},"response":{"actions":{"*":"allow"}}}}"#;

/// The in-memory host holding one request: its headers and buffered body.
fn host_with(headers: Vec<(String, String)>, body: &[u8]) -> MemoryHost {
    let mut host = MemoryHost::new();
    host.request.headers = headers;
    host.request.buffer = body.to_vec();
    host
}

/// The local reply piiguard sent, if any: status and body.
fn reply(host: &MemoryHost) -> Option<(u32, Vec<u8>)> {
    host.replies.last().map(|r| (r.status, r.body.clone()))
}

fn audit_of(host: &MemoryHost) -> serde_json::Value {
    host.audit().unwrap_or_default()
}

fn engine(cfg: &str) -> Rc<Engine> {
    let p = Policy::from_json(cfg.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    Rc::new(Engine::new(p, Hasher::new(b"test-key", Some("k1".into()))).unwrap_or_else(|e| panic!("{e}")))
}

/// What the upstream, the client and the audit saw of one exchange.
struct Outcome {
    /// `Some(status)` when piiguard replied itself.
    reply: Option<u32>,
    reply_body: String,
    /// The request as it left piiguard (headers and body), if it left.
    upstream: Option<String>,
    audit: serde_json::Value,
    audit_text: String,
}

fn run(e: &Rc<Engine>, headers: &[(&str, &str)], body: &str) -> Outcome {
    let mut host = host_with(
        headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        body.as_bytes(),
    );
    if !headers.iter().any(|(k, _)| *k == ":method") {
        host.request.headers.push((":method".into(), "POST".into()));
    }
    let mut f = flow(e);
    let eos = body.is_empty();
    let mut step = f.on_request_headers(&mut host, eos);
    if host.replies.is_empty() && !eos {
        let n = host.request.buffer.len();
        step = f.on_body(&mut host, Direction::Request, n, true);
    }
    let upstream = if host.replies.is_empty() {
        assert_eq!(step, Step::Continue, "no reply, so the request goes on");
        let mut s = String::new();
        for (k, v) in &host.request.headers {
            s.push_str(&format!("{k}: {v}\n"));
        }
        s.push('\n');
        s.push_str(&String::from_utf8_lossy(&host.request.buffer));
        host.response.headers = vec![(":status".into(), "200".into())];
        f.on_response_headers(&mut host, true);
        Some(s)
    } else {
        None
    };
    f.on_done(&mut host);
    let audit_text = host
        .audits
        .last()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .unwrap_or_default();
    let sent = reply(&host);
    Outcome {
        reply: sent.as_ref().map(|r| r.0),
        reply_body: sent
            .map(|r| String::from_utf8_lossy(&r.1).into_owned())
            .unwrap_or_default(),
        upstream,
        audit: serde_json::from_str(&audit_text).unwrap_or(serde_json::Value::Null),
        audit_text,
    }
}

/// Forms of a canary as it may travel: plain, percent-encoded, digits only.
fn leaks(text: &str, canary: &str) -> bool {
    let digits: String = canary.chars().filter(char::is_ascii_digit).collect();
    let text_digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let lower = text.to_ascii_lowercase();
    let decoded = String::from_utf8_lossy(&piiguard::urlpath::decode_until_stable(lower.as_bytes())).into_owned();
    decoded.contains(&canary.to_ascii_lowercase())
        || (digits.len() >= 12 && text_digits.contains(&digits))
        || (canary.contains('@') && decoded.contains(canary.split('@').next().unwrap_or(canary)))
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    /// piiguard replies itself (4xx) and nothing goes upstream.
    Block,
    /// The request goes on, without the canary.
    Redact,
}

struct Case {
    name: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
    canary: &'static str,
    expect: Expect,
}

fn case(
    name: &'static str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
    canary: &'static str,
    expect: Expect,
) -> Case {
    Case {
        name,
        path: path.to_string(),
        headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        body: body.to_string(),
        canary,
        expect,
    }
}

fn check(e: &Rc<Engine>, c: &Case) -> Result<(), String> {
    let mut h: Vec<(&str, &str)> = vec![(":path", c.path.as_str()), (":authority", "api.example.com")];
    let ct = !c.body.is_empty() && !c.headers.iter().any(|(k, _)| k == "content-type");
    if ct {
        h.push(("content-type", "application/json"));
    }
    for (k, v) in &c.headers {
        h.push((k.as_str(), v.as_str()));
    }
    let o = run(e, &h, &c.body);
    let what = format!("{} ({} {:?})", c.name, c.path, c.headers);
    match c.expect {
        Expect::Block => {
            let s = o
                .reply
                .ok_or_else(|| format!("{what}: not blocked; upstream got:\n{:?}", o.upstream))?;
            if !(400..500).contains(&s) {
                return Err(format!("{what}: status {s}"));
            }
        }
        Expect::Redact => {
            let up = o
                .upstream
                .as_deref()
                .ok_or_else(|| format!("{what}: blocked ({:?})", o.reply))?;
            if leaks(up, c.canary) {
                return Err(format!("{what}: the upstream got the canary:\n{up}"));
            }
        }
    }
    if leaks(&o.reply_body, c.canary) {
        return Err(format!("{what}: the reply holds the canary: {}", o.reply_body));
    }
    if leaks(&o.audit_text, c.canary) {
        return Err(format!("{what}: the audit holds the canary: {}", o.audit_text));
    }
    if o.audit["decision"] == "allowed" {
        return Err(format!("{what}: audited as allowed: {}", o.audit_text));
    }
    Ok(())
}

fn run_table(e: &Rc<Engine>, cases: &[Case]) {
    let failures: Vec<String> = cases.iter().filter_map(|c| check(e, c).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

fn card_body() -> String {
    format!(r#"{{"amount":10,"card":"{CARD}"}}"#)
}

fn email_body() -> String {
    format!(r#"{{"note":"{EMAIL}"}}"#)
}

/// Class 2: every spelling of a route's path lands on the route.
#[test]
fn route_spellings_reach_their_route() {
    let e = engine(POLICY);
    let mut cases = Vec::new();
    for p in [
        "/charge",
        "/charge/",
        "//charge",
        "///charge//",
        "/CHARGE",
        "/Charge/",
        "/./charge",
        "/x/../charge",
        "/x/y/../../charge",
        "/../charge",
        "/charge;x=1",
        "/charge;",
        "/x/..;/charge",
        "/%63harge",
        "/%2563harge",
        "/%2e/charge",
        "/x/%2e%2e/charge",
        "/x/%252e%252e/charge",
        "\\charge",
        "/charge?x=1",
        "/charge#x",
        "/charge%2F",
        "/echo%2F..%2Fcharge",
        "/echo/..%2Fcharge",
        "/echo%5C..%5Ccharge",
        "/charge%00.png",
        "/charge%20",
        "/charge.",
        "/x/.../../charge",
    ] {
        cases.push(case("exact", p, &[], &card_body(), CARD, Expect::Block));
    }
    for p in [
        "/payments/1",
        "//payments",
        "/PAYMENTS/x",
        "/payments;v=2/x",
        "/%70ayments",
        "/a/../payments",
    ] {
        cases.push(case("prefix", p, &[], &card_body(), CARD, Expect::Block));
    }
    for p in [
        "/echo",
        "/echo/",
        "//echo/x",
        "/ECHO/x",
        "/./echo/x",
        "/x/../echo",
        "/echo;a=b/x",
        "/%65cho/x",
    ] {
        cases.push(case("prefix-redact", p, &[], &email_body(), EMAIL, Expect::Redact));
    }
    for p in [
        "/profile/42",
        "/profile/42/",
        "//profile//42",
        "/PROFILE/42",
        "/profile/42;a=b",
        "/profile/%34%32",
    ] {
        cases.push(case("regex-redact", p, &[], &email_body(), EMAIL, Expect::Redact));
    }
    run_table(&e, &cases);
}

#[test]
fn route_matching_details() {
    let e = engine(
        r#"{"version":1,"routes":[
          {"name":"cs","match":{"path_exact":"/Exact","ignore_case":false}},
          {"name":"dir","match":{"path_prefix":"/api/"}},
          {"name":"re","match":{"path_regex":"/items/[a-z]+/"}}
        ]}"#,
    );
    let route = |p: &str| {
        let info = piiguard::policy::RequestInfo {
            path: p.into(),
            method: "GET".into(),
            ..Default::default()
        };
        e.policy.route(&info).name.clone()
    };
    assert_eq!(route("/Exact/"), "cs");
    assert_eq!(route("/exact"), "default", "ignore_case: false keeps case");
    assert_eq!(
        route("/api"),
        "dir",
        "a prefix ending in / matches the directory itself"
    );
    assert_eq!(route("/api/x"), "dir");
    assert_eq!(route("/apix"), "default", "... but not a longer segment");
    assert_eq!(route("/items/abc"), "re", "a regex written with a trailing slash");
    assert_eq!(route("/ITEMS/abc/"), "re");
    // unknown fields stay refused
    assert!(Policy::from_json(br#"{"version":1,"routes":[{"name":"a","match":{"ignorecase":true}}]}"#).is_err());
}

/// Class 5: places outside the body.
#[test]
fn values_outside_the_body_are_inspected() {
    let e = engine(POLICY);
    let mut cases = Vec::new();
    for (route, expect) in [("/echo/", Expect::Redact), ("/payments/", Expect::Block)] {
        let at = |s: &str| format!("{route}{s}");
        let c = |name, path: String, headers: &[(&str, &str)], canary| case(name, &path, headers, "", canary, expect);
        cases.extend([
            c("path segment", at(EMAIL_ENC), &[], EMAIL),
            c("path segment raw @", at(EMAIL), &[], EMAIL),
            c(
                "path segment double-encoded",
                at("jane.canary%2540example.com"),
                &[],
                EMAIL,
            ),
            c("path segment card", at("4111111111111111"), &[], CARD),
            c("matrix param value", at(&format!("x;e={EMAIL_ENC}")), &[], EMAIL),
            c("matrix param name", at(&format!("x;{EMAIL_ENC}")), &[], EMAIL),
            c("query value", at(&format!("x?q={EMAIL_ENC}")), &[], EMAIL),
            c("query name", at(&format!("x?{EMAIL_ENC}=1")), &[], EMAIL),
            c("query value-less", at(&format!("x?{EMAIL_ENC}")), &[], EMAIL),
            c("query value-less card", at("x?4111111111111111&a=1"), &[], CARD),
            c(
                "query triple-encoded",
                at("x?q=jane.canary%252540example.com"),
                &[],
                EMAIL,
            ),
            c("cookie name", at("x"), &[("cookie", &format!("{EMAIL}=1; a=b"))], EMAIL),
            c(
                "cookie value-less",
                at("x"),
                &[("cookie", &format!("a=b; {EMAIL}"))],
                EMAIL,
            ),
            c("header name", at("x"), &[("x-4111111111111111", "1")], CARD),
            c(
                "header name underscore",
                at("x"),
                &[("x_4111_1111_1111_1111", "1")],
                CARD,
            ),
            c("x-request-id", at("x"), &[("x-request-id", EMAIL)], EMAIL),
            c("via", at("x"), &[("via", &format!("1.1 {EMAIL}"))], EMAIL),
            c("tracestate", at("x"), &[("tracestate", &format!("v={EMAIL}"))], EMAIL),
            c("traceparent malformed", at("x"), &[("traceparent", CARD)], CARD),
            c("accept-language", at("x"), &[("accept-language", EMAIL)], EMAIL),
            c(
                "if-none-match",
                at("x"),
                &[("if-none-match", &format!("\"{EMAIL}\""))],
                EMAIL,
            ),
            c(
                "content-type parameter",
                at("x"),
                &[("content-type", &format!("text/plain; x={EMAIL}"))],
                EMAIL,
            ),
            c("x-forwarded-for", at("x"), &[("x-forwarded-for", EMAIL)], EMAIL),
            c("x-envoy header", at("x"), &[("x-envoy-original-path", EMAIL)], EMAIL),
            c(
                "cache-control",
                at("x"),
                &[("cache-control", &format!("max-age=1, {EMAIL}"))],
                EMAIL,
            ),
            c("percent-encoded header value", at("x"), &[("x-note", EMAIL_ENC)], EMAIL),
            c(
                "forwarded host",
                at("x"),
                &[("forwarded", &format!("for=1.2.3.4;host={EMAIL}"))],
                EMAIL,
            ),
            c(
                "forwarded obfuscated",
                at("x"),
                &[("forwarded", "for=_4111111111111111")],
                CARD,
            ),
            c("cdn client ip", at("x"), &[("true-client-ip", EMAIL)], EMAIL),
            c(
                "peer metadata id",
                at("x"),
                &[("x-envoy-peer-metadata-id", &format!("sidecar~1.2.3.4~{EMAIL}~x"))],
                EMAIL,
            ),
            c(
                "referer path",
                at("x"),
                &[("referer", &format!("https://a.example/u/{EMAIL_ENC}"))],
                EMAIL,
            ),
            c(
                "authority",
                at("x"),
                &[(":authority", "4111111111111111.example.com")],
                CARD,
            ),
            c("host", at("x"), &[("host", "4111-1111-1111-1111.example.com")], CARD),
        ]);
        // a method cannot be rewritten: what a route would redact there blocks
        cases.push(case(
            "method",
            &at("x"),
            &[(":method", "4111111111111111")],
            "",
            CARD,
            Expect::Block,
        ));
    }
    run_table(&e, &cases);
}

#[test]
fn well_formed_protocol_headers_pass_untouched() {
    let e = engine(POLICY);
    let tp = "00-842c68734efae6930421444586799093-369cf844e37a7ec0-01";
    let headers = [
        (":path", "/payments/x?page=2"),
        (":method", "GET"),
        (":authority", "10.0.0.7:8080"),
        ("traceparent", tp),
        ("x-request-id", "03738346-3315-4663-a4ad-4dd82a34289b"),
        ("x-b3-spanid", "4111111111111111"),
        ("x-forwarded-for", "203.0.113.7, 10.0.0.1"),
        (
            "forwarded",
            "for=203.0.113.7;proto=https, for=\"[2001:db8::1]:443\";by=_gw1",
        ),
        ("cf-connecting-ip", "203.0.113.7"),
        (
            "x-envoy-peer-metadata-id",
            "sidecar~10.0.0.7~web-7d9f.shop~shop.svc.cluster.local",
        ),
        ("content-length", "0"),
        ("accept-language", "en-US,en;q=0.9"),
        ("date", "Sun, 06 Nov 1994 08:49:37 GMT"),
    ];
    let o = run(&e, &headers, "");
    assert_eq!(o.reply, None, "{}", o.reply_body);
    let up = o.upstream.unwrap_or_default();
    assert!(up.contains(tp) && up.contains("203.0.113.7"), "{up}");
    assert_eq!(o.audit["authority"], "10.0.0.7:8080");
}

#[test]
fn redaction_keeps_a_valid_request() {
    let e = engine(POLICY);
    let path = format!("/echo/{EMAIL_ENC};m={EMAIL_ENC}?{EMAIL_ENC}&q={EMAIL_ENC}&{EMAIL_ENC}=2");
    let o = run(
        &e,
        &[
            (":path", &path),
            (":authority", "4111111111111111.example.com"),
            ("cookie", &format!("{EMAIL}; a=1")),
        ],
        "",
    );
    let up = o.upstream.unwrap_or_default();
    let line = |name: &str| {
        up.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(
        line(":path"),
        "/echo/%5BEMAIL%5D;m=%5BEMAIL%5D?%5BEMAIL%5D&q=%5BEMAIL%5D&%5BEMAIL%5D=2"
    );
    assert_eq!(line(":authority"), "payment-card.example.com");
    assert_eq!(line("cookie"), "%5BEMAIL%5D; a=1");
    // still routes to the same route
    let info = piiguard::policy::RequestInfo {
        path: line(":path"),
        ..Default::default()
    };
    assert_eq!(e.policy.route(&info).name, "echo");
}

/// Class 7: nothing client-controlled goes into the reply or the audit record unchecked.
#[test]
fn reply_and_audit_hold_only_checked_values() {
    let e = engine(POLICY);
    for rid in [
        EMAIL.to_string(),
        "4111111111111111".to_string(),
        format!("x{}", "a".repeat(200)),
        "41111111-1111-1111-1111-111111111111".to_string(),
        "<script>".to_string(),
    ] {
        let mut host = host_with(
            vec![
                (":path".into(), "/payments".into()),
                (":method".into(), "POST".into()),
                ("content-type".into(), "application/json".into()),
            ],
            card_body().as_bytes(),
        )
        .with_property(&["request", "id"], rid.as_bytes());
        let mut f = flow(&e);
        f.on_request_headers(&mut host, false);
        let n = host.request.buffer.len();
        f.on_body(&mut host, Direction::Request, n, true);
        f.on_done(&mut host);
        let (status, body) = reply(&host).unwrap_or_default();
        assert_eq!(status, 403);
        let reply: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let audit = audit_of(&host);
        let id = reply["request_id"].as_str().unwrap_or("");
        assert!(!id.is_empty() && !id.contains(&rid) && id.len() <= 64, "{rid} -> {id}");
        assert_eq!(audit["request_id"].as_str(), Some(id), "reply and audit agree");
        // stable: the same id maps to the same digest
        assert!(id.starts_with("h-"), "{id}");
    }
    // a proper id is kept, even when its digits would read as a card
    for id in [
        "868eb468-f3d5-4fd5-a0cc-c2541bc54cf1",
        "00000000-0000-4000-8001-00000000006a",
    ] {
        let mut host = host_with(
            vec![(":path".into(), "/payments".into()), (":method".into(), "GET".into())],
            b"",
        )
        .with_property(&["request", "id"], id.as_bytes());
        let mut f = flow(&e);
        f.on_request_headers(&mut host, true);
        f.on_done(&mut host);
        let audit = audit_of(&host);
        assert_eq!(audit["request_id"], id);
    }
    let mut host = host_with(
        vec![(":path".into(), "/payments".into()), (":method".into(), "GET".into())],
        b"",
    )
    .with_property(&["request", "id"], b"868eb468-f3d5-4fd5-a0cc-c2541bc54cf1");
    let mut f = flow(&e);
    f.on_request_headers(&mut host, true);
    host.response.headers = vec![(":status".into(), "200".into())];
    f.on_response_headers(&mut host, true);
    f.on_done(&mut host);
    let audit = audit_of(&host);
    assert_eq!(audit["request_id"], "868eb468-f3d5-4fd5-a0cc-c2541bc54cf1");
    assert_eq!(audit["decision"], "allowed");
    // paths are decoded before tagging; matrix parameters and the query left out
    let o = run(
        &e,
        &[
            (
                ":path",
                &format!("/x/{EMAIL_ENC}/jane.canary%2540example.com;k={EMAIL_ENC}/4111111111111111?{EMAIL_ENC}&q=1"),
            ),
            (":method", "GET"),
            (":authority", "jane.canary.4111111111111111.example.com"),
        ],
        "",
    );
    assert_eq!(o.audit["path"], "/x/[EMAIL]/[EMAIL]/[PAYMENT_CARD]");
    assert_eq!(o.audit["authority"], "*");
}

/// Class 7: an exchange that ends before piiguard decided it is `incomplete`.
#[test]
fn aborted_and_failed_exchanges_are_incomplete() {
    let e = engine(POLICY);
    // upload aborted: body never ended
    let mut host = host_with(
        vec![
            (":path".into(), "/echo/x".into()),
            (":method".into(), "POST".into()),
            ("content-type".into(), "application/json".into()),
        ],
        b"{\"a\":",
    );
    let mut f = flow(&e);
    f.on_request_headers(&mut host, false);
    f.on_body(&mut host, Direction::Request, 5, false);
    f.on_done(&mut host);
    let audit = audit_of(&host);
    assert_eq!(audit["decision"], "incomplete", "{audit}");
    assert_eq!(audit["incomplete"], "request_aborted");
    assert_eq!(audit["request"]["decision"], "incomplete");
    // upstream failure: Envoy flags the response (e.g. UF)
    for (flags, resp, why) in [(0x20u64, true, "upstream_failure"), (0, false, "no_response")] {
        let mut host = host_with(
            vec![(":path".into(), "/echo/x".into()), (":method".into(), "GET".into())],
            b"",
        )
        .with_property(&["response", "flags"], &flags.to_le_bytes());
        let mut f = flow(&e);
        f.on_request_headers(&mut host, true);
        if resp {
            host.response.headers = vec![(":status".into(), "503".into())];
            f.on_response_headers(&mut host, true);
        }
        f.on_done(&mut host);
        let audit = audit_of(&host);
        assert_eq!(audit["decision"], "incomplete", "{audit}");
        assert_eq!(audit["incomplete"], why);
        assert_eq!(audit["response"]["decision"], "incomplete");
    }
}

/// Class 8: the subject header in every spelling, configured or not.
#[test]
fn forged_subject_headers_never_reach_the_upstream() {
    let spellings = [
        "x-piiguard-subject",
        "X-PIIGUARD-SUBJECT",
        "x_piiguard_subject",
        "X_Piiguard_Subject",
        "x-piiguard_subject",
        "x.piiguard.subject",
    ];
    let configs = [
        (POLICY.to_string(), None),
        (
            POLICY.replacen(
                "{\"version\":1,",
                r#"{"version":1,"subject":{"sources":[{"header":"x-user-id"}],"header":"x-data-subject"},"#,
                1,
            ),
            Some("x-data-subject"),
        ),
        (
            POLICY.replacen(
                "{\"version\":1,",
                r#"{"version":1,"subject":{"sources":[{"header":"x-user-id"}]},"#,
                1,
            ),
            Some("x-piiguard-subject"),
        ),
    ];
    for (cfg, header) in &configs {
        let e = engine(cfg);
        let mut names: Vec<String> = spellings.iter().map(|s| s.to_string()).collect();
        if let Some(h) = header {
            names.push(h.replace('-', "_"));
            names.push(h.to_ascii_uppercase());
        }
        for n in &names {
            let o = run(
                &e,
                &[
                    (":path", "/echo/x"),
                    (":method", "GET"),
                    (n.as_str(), "forged-subject"),
                    ("x-user-id", "u-1"),
                ],
                "",
            );
            let up = o.upstream.unwrap_or_default();
            assert!(
                !up.contains("forged-subject"),
                "{n} under {header:?} reached the upstream:\n{up}"
            );
            if let Some(h) = header {
                let p = o.audit["subject"].as_str().unwrap_or("").to_string();
                assert!(!p.is_empty() && up.contains(&format!("{h}: {p}")), "{up}");
            }
        }
    }
}

/// The pseudonym survives a header rewrite (redaction replaces the whole map).
#[test]
fn subject_header_survives_header_redaction() {
    let e = engine(&POLICY.replacen(
        "{\"version\":1,",
        r#"{"version":1,"subject":{"sources":[{"header":"x-user-id"}]},"#,
        1,
    ));
    let o = run(
        &e,
        &[
            (":path", &format!("/echo/{EMAIL_ENC}")),
            (":method", "GET"),
            ("x-user-id", "u-1"),
        ],
        "",
    );
    let up = o.upstream.unwrap_or_default();
    let p = o.audit["subject"].as_str().unwrap_or("-").to_string();
    assert!(up.contains(&format!("x-piiguard-subject: {p}")), "{up}");
}
