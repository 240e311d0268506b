//! Table-driven tests of the whole engine: formats, strategies, policy.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use piiguard::config::Action;
use piiguard::detect::Scratch;
use piiguard::engine::{Decision, Direction, Engine};
use piiguard::policy::{Policy, RequestInfo};
use piiguard::redact::Hasher;

fn engine(cfg: &str) -> Engine {
    let p = match Policy::from_json(cfg.as_bytes()) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    match Engine::new(p, Hasher::new(b"test-key", Some("k1".into()))) {
        Ok(e) => e,
        Err(e) => panic!("{e}"),
    }
}

const REDACT_ALL: &str =
    r#"{"version":1,"default":{"request":{"actions":{"*":"redact"}},"response":{"actions":{"*":"redact"}}}}"#;

fn body(e: &Engine, ct: &str, input: &str) -> (String, Vec<(String, String)>, Decision) {
    let route = &e.policy.default;
    let r = e.inspect_body(
        route,
        Direction::Request,
        Some(ct),
        input.as_bytes(),
        &mut Scratch::default(),
    );
    let out = r
        .body
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|| input.to_string());
    let f = r
        .inspection
        .findings
        .iter()
        .map(|f| (f.detector.clone(), f.location.clone()))
        .collect();
    (out, f, r.inspection.decision(route.shadow))
}

fn json(s: &str) -> serde_json::Value {
    match serde_json::from_str(s) {
        Ok(v) => v,
        Err(e) => panic!("{e}: {s}"),
    }
}

#[test]
fn json_bodies_are_redacted_and_stay_valid() {
    let e = engine(REDACT_ALL);
    let (out, f, d) = body(
        &e,
        "application/json",
        r#"{"contact":{"email":"jane.doe@example.com","phone":"+44 20 7946 0958"},"note":"card 4111 1111 1111 1111","n":4111111111111111,"ok":"hello"}"#,
    );
    assert_eq!(d, Decision::Redacted);
    assert_eq!(
        json(&out),
        json(
            r#"{"contact":{"email":"[EMAIL]","phone":"[PHONE]"},"note":"card [PAYMENT_CARD]","n":"[PAYMENT_CARD]","ok":"hello"}"#
        )
    );
    assert!(f.contains(&("email".into(), "body:$.contact.email".into())), "{f:?}");
    assert!(f.contains(&("payment_card".into(), "body:$.n".into())), "{f:?}");
}

#[test]
fn escaped_json_is_decoded_before_matching() {
    let e = engine(REDACT_ALL);
    let (out, f, _) = body(
        &e,
        "application/json",
        r#"{"x":"jane\u002edoe\u0040example\u002ecom","y":"4111\u00a01111\u00a01111\u00a01111"}"#,
    );
    assert_eq!(json(&out), json(r#"{"x":"[EMAIL]","y":"[PAYMENT_CARD]"}"#));
    assert_eq!(f.len(), 2);
}

#[test]
fn field_names_find_names_addresses_birth_dates() {
    let e = engine(REDACT_ALL);
    let (out, f, _) = body(
        &e,
        "application/json",
        r#"{"customer":{"firstName":"Jane","last_name":"Doe","name":"Jane Doe","dateOfBirth":"1990-04-01","address":{"street":"1 Main St","city":"Springfield","zip":"12345"}},
            "items":[{"name":"Blue Widget","sku":"W-1"}],"product":{"name":"Gadget"},"id":"abc"}"#,
    );
    let v = json(&out);
    assert_eq!(v["customer"]["firstName"], "[PERSON_NAME]");
    assert_eq!(v["customer"]["last_name"], "[PERSON_NAME]");
    assert_eq!(v["customer"]["name"], "[PERSON_NAME]");
    assert_eq!(v["customer"]["dateOfBirth"], "[BIRTH_DATE]");
    assert_eq!(v["customer"]["address"]["street"], "[POSTAL_ADDRESS]");
    assert_eq!(v["customer"]["address"]["city"], "[POSTAL_ADDRESS]");
    assert_eq!(v["customer"]["address"]["zip"], "[POSTAL_ADDRESS]");
    assert_eq!(v["items"][0]["name"], "Blue Widget");
    assert_eq!(v["product"]["name"], "Gadget");
    assert_eq!(v["id"], "abc");
    assert!(
        f.iter().all(|(_, l)| !l.contains("items") && !l.contains("product")),
        "{f:?}"
    );
}

#[test]
fn duplicate_keys_are_all_inspected() {
    let e = engine(REDACT_ALL);
    let (out, f, _) = body(
        &e,
        "application/json",
        r#"{"email":"a@example.com","email":"b@example.com"}"#,
    );
    assert_eq!(out, r#"{"email":"[EMAIL]","email":"[EMAIL]"}"#);
    assert_eq!(f.len(), 1);
}

#[test]
fn strategies_in_json() {
    let e = engine(
        r#"{"version":1,"default":{"request":{"actions":{"*":"redact"},"strategies":{"payment_card":{"partial":{"keep_last":4}},"email":"hash","phone":"mask","person_name":"remove"}}}}"#,
    );
    let (out, _, _) = body(
        &e,
        "application/json",
        r#"{"card":"4111 1111 1111 1111","email":"Jane@Example.com","phone":"+49 30 1234567","firstName":"Jane","keep":1}"#,
    );
    let v = json(&out);
    assert_eq!(v["card"], "**** **** **** 1111");
    assert_eq!(v["phone"], "**************");
    assert!(v.get("firstName").is_none(), "{out}");
    assert_eq!(v["keep"], 1);
    let h = v["email"].as_str().unwrap_or("").to_string();
    assert!(h.starts_with("h:"), "{h}");
    // deterministic, case-insensitive for emails
    let (out2, _, _) = body(&e, "application/json", r#"{"email":"jane@example.com"}"#);
    assert_eq!(json(&out2)["email"], h.as_str());
}

#[test]
fn path_rules_force_and_exempt() {
    let e = engine(
        r#"{"version":1,"default":{"request":{"actions":{"*":"redact"},"paths":{"$.card.number":"redact","$.items[*].name":"allow","$.secret_ref":{"action":"block","category":"internal_ref"}}}}}"#,
    );
    let (out, f, _) = body(
        &e,
        "application/json",
        r#"{"card":{"number":"xx-not-a-card"},"items":[{"name":"jane@example.com"}]}"#,
    );
    let v = json(&out);
    assert_eq!(v["card"]["number"], "[CUSTOM_PATH]");
    assert_eq!(v["items"][0]["name"], "jane@example.com");
    assert_eq!(
        f,
        vec![("path:$.card.number".to_string(), "body:$.card.number".to_string())]
    );
    let (_, _, d) = body(&e, "application/json", r#"{"secret_ref":"r-1"}"#);
    assert_eq!(d, Decision::Blocked);
}

#[test]
fn form_bodies() {
    let e = engine(REDACT_ALL);
    let (out, f, _) = body(
        &e,
        "application/x-www-form-urlencoded",
        "email=jane%40example.com&qty=2&name=Jane+Doe&card=4111+1111+1111+1111&note=hi",
    );
    assert_eq!(
        out,
        "email=%5BEMAIL%5D&qty=2&name=%5BPERSON_NAME%5D&card=%5BPAYMENT_CARD%5D&note=hi"
    );
    assert_eq!(f.len(), 3);
    // twice-encoded
    let (_, f, _) = body(&e, "application/x-www-form-urlencoded", "c=jane%2540example.com");
    assert_eq!(f.len(), 1);
}

#[test]
fn text_and_sniffed_json() {
    let e = engine(REDACT_ALL);
    let (out, _, _) = body(&e, "text/plain", "Call +44 20 7946 0958 or write to jane@example.com.");
    assert_eq!(out, "Call [PHONE] or write to [EMAIL].");
    let (out, _, _) = body(&e, "text/plain", r#"{"firstName":"Jane"}"#);
    assert_eq!(json(&out)["firstName"], "[PERSON_NAME]");
    let (out, _, _) = body(&e, "application/octet-stream", r#"{"e":"a@example.com"}"#);
    assert_eq!(json(&out)["e"], "[EMAIL]");
    let (out, _, _) = body(&e, "application/vnd.api+json", r#"{"e":"a@example.com"}"#);
    assert_eq!(json(&out)["e"], "[EMAIL]");
    // broken JSON is still read as text
    let (out, f, _) = body(&e, "application/json", r#"{"e":"a@example.com""#);
    assert!(!out.contains("a@example.com"));
    assert_eq!(f.len(), 1, "{f:?}");
}

#[test]
fn clean_input_is_not_rewritten() {
    let e = engine(REDACT_ALL);
    let route = &e.policy.default;
    let input = br#"{"id":42,"items":[{"name":"Widget","price":19.99}],"created":"2026-11-23T10:00:00Z"}"#;
    let r = e.inspect_body(
        route,
        Direction::Request,
        Some("application/json"),
        input,
        &mut Scratch::default(),
    );
    assert!(r.body.is_none());
    assert!(r.inspection.findings.is_empty(), "{:?}", r.inspection.findings);
    assert_eq!(r.inspection.decision(false), Decision::Allowed);
}

#[test]
fn depth_limit_is_uninspectable() {
    let e = engine(
        r#"{"version":1,"limits":{"max_json_depth":16},"default":{"request":{"actions":{"payment_card":"block"}}}}"#,
    );
    let deep = "[".repeat(10_000) + "\"x\"" + &"]".repeat(10_000);
    let r = e.inspect_body(
        &e.policy.default,
        Direction::Request,
        Some("application/json"),
        deep.as_bytes(),
        &mut Scratch::default(),
    );
    assert_eq!(r.inspection.decision(false), Decision::Blocked);
    assert_eq!(
        r.inspection.uninspected.map(|u| u.to_string()).as_deref(),
        Some("json_depth")
    );
    let e = engine(r#"{"version":1,"limits":{"max_json_depth":16}}"#);
    let r = e.inspect_body(
        &e.policy.default,
        Direction::Request,
        Some("application/json"),
        deep.as_bytes(),
        &mut Scratch::default(),
    );
    assert_eq!(r.inspection.decision(false), Decision::Logged);
}

#[test]
fn utf16_is_read_not_passed() {
    let e = engine(r#"{"version":1,"default":{"request":{"actions":{"email":"block"}}}}"#);
    let run = |b: &[u8]| {
        e.inspect_body(
            &e.policy.default,
            Direction::Request,
            Some("text/plain; charset=utf-16"),
            b,
            &mut Scratch::default(),
        )
        .inspection
        .decision(false)
    };
    assert_eq!(run(b"\xff\xfea\x00"), Decision::Allowed);
    let mail: Vec<u8> = "\u{feff}mail jane@example.com"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert_eq!(run(&mail), Decision::Blocked);
    // an unknown charset is not read: blocked where the route enforces
    let r = e.inspect_body(
        &e.policy.default,
        Direction::Request,
        Some("text/plain; charset=utf-7"),
        b"+AGo-ane+AEA-example.com",
        &mut Scratch::default(),
    );
    assert_eq!(r.inspection.decision(false), Decision::Blocked);
}

#[test]
fn headers_cookies_and_query() {
    let e = engine(REDACT_ALL);
    let h = |n: &str, v: &str| (n.to_string(), v.to_string());
    let headers = vec![
        h(
            ":path",
            "/search?q=jane%40example.com&page=2&phone=%2B44%2020%207946%200958",
        ),
        h(":method", "GET"),
        h("authorization", "Bearer abcDEF123456ghiJKL"),
        h("x-user-email", "jane@example.com"),
        h("cookie", "sid=abc; email=jane%40example.com"),
        h("user-agent", "curl/8"),
        h("x-request-id", "4111111111111111"),
    ];
    let r = e.inspect_headers(&e.policy.default, Direction::Request, &headers, &mut Scratch::default());
    let out = match r.headers {
        Some(o) => o,
        None => panic!("no rewrite"),
    };
    let get = |n: &str| {
        out.iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(get(":path"), "/search?q=%5BEMAIL%5D&page=2&phone=%5BPHONE%5D");
    assert_eq!(get("authorization"), "[CREDENTIAL]");
    assert_eq!(get("x-user-email"), "[EMAIL]");
    assert_eq!(get("cookie"), "sid=abc; email=%5BEMAIL%5D");
    // a client-chosen id is not trusted to be an id: inspected like any header
    assert_eq!(get("x-request-id"), "[PAYMENT_CARD]");
    let locs: Vec<&str> = r.inspection.findings.iter().map(|f| f.location.as_str()).collect();
    assert_eq!(
        locs,
        [
            "query:q",
            "query:phone",
            "header:authorization",
            "header:x-user-email",
            "cookie:email",
            "header:x-request-id"
        ]
    );
}

#[test]
fn shadow_reports_but_does_not_touch() {
    let e = engine(r#"{"version":1,"default":{"shadow":true,"request":{"actions":{"email":"block","*":"redact"}}}}"#);
    let (out, _, d) = body(&e, "application/json", r#"{"e":"a@example.com"}"#);
    assert_eq!(d, Decision::Shadow);
    assert_eq!(out, r#"{"e":"a@example.com"}"#);
    let r = e.inspect_body(
        &e.policy.default,
        Direction::Request,
        Some("application/json"),
        br#"{"e":"a@example.com"}"#,
        &mut Scratch::default(),
    );
    assert_eq!(r.inspection.findings[0].action, Action::Block);
}

#[test]
fn route_policies_per_direction() {
    let e = engine(
        r#"{"version":1,"routes":[{"name":"payments","match":{"path_prefix":"/payments","methods":["POST"]},
        "request":{"actions":{"payment_card":"block","iban":"block","*":"log"}},
        "response":{"actions":{"*":"redact"}}}]}"#,
    );
    let req = RequestInfo {
        route_name: None,
        authority: "x".into(),
        path: "/payments".into(),
        method: "POST".into(),
        method_overrides: Vec::new(),
        peer: None,
        cluster: None,
    };
    let route = e.policy.route(&req);
    assert_eq!(route.name, "payments");
    let mut s = Scratch::default();
    let r = e.inspect_body(
        route,
        Direction::Request,
        Some("application/json"),
        br#"{"card":"4111111111111111","email":"a@example.com"}"#,
        &mut s,
    );
    assert_eq!(r.inspection.decision(false), Decision::Blocked);
    assert_eq!(r.inspection.categories(Action::Block), vec!["payment_card".to_string()]);
    let r = e.inspect_body(
        route,
        Direction::Response,
        Some("application/json"),
        br#"{"email":"a@example.com"}"#,
        &mut s,
    );
    assert_eq!(r.inspection.decision(false), Decision::Redacted);
    let r = e.inspect_body(
        route,
        Direction::Request,
        Some("application/json"),
        br#"{"email":"a@example.com"}"#,
        &mut s,
    );
    assert_eq!(r.inspection.decision(false), Decision::Logged);
    assert!(r.body.is_none());
}

#[test]
fn hash_policy_requires_a_key() {
    let p = match Policy::from_json(
        br#"{"version":1,"default":{"request":{"actions":{"*":"redact"},"strategies":{"*":"hash"}}}}"#,
    ) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    assert!(Engine::new(p, None).is_err());
}

#[test]
fn findings_never_hold_values() {
    let e = engine(REDACT_ALL);
    let (_, f, _) = body(
        &e,
        "application/json",
        r#"{"jane@example.com":{"4111111111111111":"x@y.io"}}"#,
    );
    let s = format!("{f:?}");
    assert!(
        !s.contains("jane@example.com") && !s.contains("4111111111111111"),
        "{s}"
    );
}

#[test]
fn findings_stay_bounded_on_huge_inputs() {
    let e = engine(REDACT_ALL);
    let form: String = (0..10_000).map(|i| format!("email{i}=a{i}%40example.com&")).collect();
    let r = e.inspect_body(
        &e.policy.default,
        Direction::Request,
        Some("application/x-www-form-urlencoded"),
        form.as_bytes(),
        &mut Scratch::default(),
    );
    assert!(
        r.inspection.findings.len() <= piiguard::engine::MAX_FINDINGS + 1,
        "{}",
        r.inspection.findings.len()
    );
    assert_eq!(r.inspection.findings.iter().map(|f| f.count).sum::<u32>(), 10_000);
    assert!(!String::from_utf8_lossy(&r.body.unwrap_or_default()).contains("@example.com"));
    // 100,000 keys and a 900 KB string: bounded, and every value read
    let mut json = String::from("{");
    for i in 0..100_000 {
        json.push_str(&format!("\"k{i}\":{i},"));
    }
    json.push_str(&format!("\"big\":\"{} jane@example.com\"}}", "x".repeat(900_000)));
    let r = e.inspect_body(
        &e.policy.default,
        Direction::Request,
        Some("application/json"),
        json.as_bytes(),
        &mut Scratch::default(),
    );
    assert_eq!(r.inspection.findings.len(), 1);
    let out = String::from_utf8(r.body.unwrap_or_default()).unwrap_or_default();
    assert!(out.ends_with("x [EMAIL]\"}"));
    assert!(serde_json::from_str::<serde_json::Value>(&out).is_ok());
}

#[test]
fn multipart_parts_are_inspected() {
    let e = engine(REDACT_ALL);
    let ct = "multipart/form-data; boundary=----b42";
    let body = "------b42\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\njane@example.com\r\n------b42\r\nContent-Disposition: form-data; name=\"firstName\"\r\n\r\nJane\r\n------b42\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n{\"card\":\"4111 1111 1111 1111\"}\r\n------b42\r\nContent-Disposition: form-data; name=\"cv\"; filename=\"cv.txt\"\r\nContent-Type: text/plain\r\n\r\ncall +44 20 7946 0958\r\n------b42\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n\x01\x02\r\n------b42--\r\n";
    let (out, f, d) = body_of(&e, ct, body);
    assert_eq!(d, Decision::Redacted);
    assert!(
        out.contains("\r\n\r\n[EMAIL]\r\n") && out.contains("\r\n\r\n[PERSON_NAME]\r\n"),
        "{out}"
    );
    assert!(
        out.contains(r#"{"card":"[PAYMENT_CARD]"}"#) && out.contains("call [PHONE]"),
        "{out}"
    );
    assert!(out.ends_with("------b42--\r\n"));
    assert_eq!(f.len(), 4, "{f:?}");
    // malformed: never passed unread; blocked where the route blocks
    let e = engine(r#"{"version":1,"default":{"request":{"actions":{"email":"block"}}}}"#);
    let (_, _, d) = body_of(
        &e,
        ct,
        "------b42\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nno end",
    );
    assert_eq!(d, Decision::Blocked);
}

fn body_of(e: &Engine, ct: &str, input: &str) -> (String, Vec<(String, String)>, Decision) {
    body(e, ct, input)
}
