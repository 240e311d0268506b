//! A failing host never opens the gate: every host call that reads or
//! changes the exchange is made to fail in turn, and the personal data must
//! reach neither the upstream nor the client; the audit says `host_error`.
#![allow(clippy::panic, clippy::unwrap_used)] // test helpers outside #[test] fns

use piiguard::engine::Engine;
use piiguard::flow::HostError;
use piiguard::policy::Policy;
use piiguard::testing::{exchange, flow, Call, Exchange, Forwarded, MemoryHost, Sent};
use std::rc::Rc;

const EMAIL: &str = "jane.doe@example.com";

/// Redacts both ways. `by_route_name`: a route matches on the Envoy route
/// name, so the `xds.route_name` property decides the policy and is read
/// before routing (without such a route, properties are read only for the
/// audit record, after the data is decided).
fn engine_with(hold: bool, by_route_name: bool) -> Rc<Engine> {
    let redact = r#"{"request":{"actions":{"*":"redact"}},"response":{"actions":{"*":"redact"}}}"#;
    let routes = if by_route_name {
        format!(
            r#","routes":[{{"name":"by-route","match":{{"route_name":"r"}},{}}}]"#,
            &redact[1..redact.len() - 1]
        )
    } else {
        String::new()
    };
    let cfg = format!(r#"{{"version":1,"hold_headers":{hold},"audit":{{"mode":"all"}},"default":{redact}{routes}}}"#);
    let policy = Policy::from_json(cfg.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    Rc::new(Engine::new(policy, None).unwrap_or_else(|e| panic!("{}", e.0)))
}

fn engine(hold: bool) -> Rc<Engine> {
    engine_with(hold, true)
}

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn run(hold: bool, fail: Call, with: HostError) -> (Exchange, MemoryHost) {
    run_on(&engine(hold), fail, with)
}

fn run_on(engine: &Rc<Engine>, fail: Call, with: HostError) -> (Exchange, MemoryHost) {
    let body = format!(r#"{{"email":"{EMAIL}"}}"#);
    let req = Sent::new(
        h(&[
            (":method", "POST"),
            (":path", "/echo"),
            (":authority", "localhost"),
            ("content-type", "application/json"),
            ("content-length", &body.len().to_string()),
            ("x-contact", EMAIL),
        ]),
        body.as_bytes(),
        None,
    );
    let resp = move |_: &Forwarded| {
        Sent::new(
            h(&[
                (":status", "200"),
                ("content-type", "application/json"),
                ("x-owner", EMAIL),
            ]),
            format!(r#"{{"owner":"{EMAIL}"}}"#).as_bytes(),
            Some(7),
        )
    };
    let mut host = MemoryHost::new()
        .with_property(&["xds", "route_name"], b"r")
        .failing(fail);
    host.fail_with = Some(with);
    let mut f = flow(engine);
    let ex = exchange(&mut f, &mut host, &req, &resp);
    (ex, host)
}

fn leaked(ex: &Exchange) -> Vec<&'static str> {
    let mut out = Vec::new();
    let has = |f: &Forwarded| {
        String::from_utf8_lossy(&f.body).contains(EMAIL) || f.headers.iter().any(|(_, v)| v.contains(EMAIL))
    };
    if ex.upstream.as_ref().is_some_and(has) {
        out.push("upstream");
    }
    if has(&ex.client) {
        out.push("client");
    }
    out
}

#[test]
fn every_failing_call_fails_closed() {
    let calls = [
        Call::Headers,
        Call::SetHeaders,
        Call::RemoveHeader,
        Call::Body,
        Call::SetBody,
        Call::Property,
    ];
    for hold in [true, false] {
        for call in calls {
            for with in [HostError::Failed, HostError::Unavailable, HostError::Refused] {
                let (ex, host) = run(hold, call, with);
                let what = format!("{call:?} failing ({with:?}), hold_headers={hold}");
                assert!(leaked(&ex).is_empty(), "{what}: leaked to {:?}: {ex:?}", leaked(&ex));
                assert!(ex.client_status == 503 || ex.reset, "{what}: {ex:?}");
                let audit = host.audit().unwrap_or_else(|| panic!("{what}: no audit"));
                assert_eq!(audit["decision"], "blocked", "{what}: {audit}");
                let text = audit.to_string();
                assert!(text.contains("host_error"), "{what}: {audit}");
                assert!(!text.contains(EMAIL), "{what}: {audit}");
                assert!(
                    host.counters.keys().any(|k| k.ends_with("piiguard_host_errors_total")),
                    "{what}: {:?}",
                    host.counters
                );
            }
        }
    }
}

#[test]
fn properties_routing_does_not_need_fail_nothing_open() {
    // No route matches on a property: they are read for the audit record
    // only. Unreadable, the record lacks them; the data is still redacted.
    for with in [HostError::Failed, HostError::Unavailable] {
        let (ex, host) = run_on(&engine_with(true, false), Call::Property, with);
        assert_eq!(ex.client_status, 200, "{ex:?}");
        assert!(leaked(&ex).is_empty(), "{ex:?}");
        let audit = host.audit().unwrap();
        assert_eq!(audit["decision"], "redacted", "{audit}");
        assert!(audit.get("envoy_route").is_none(), "{audit}");
        // the same exchange with readable properties records the route name
        let (_, host) = run_on(&engine_with(true, false), Call::Count, with);
        assert_eq!(host.audit().unwrap()["envoy_route"], "r");
    }
}

#[test]
fn without_failures_the_same_exchange_is_redacted() {
    // The control: the failure, not the fixture, is what blocks above.
    let (ex, host) = run(true, Call::Count, HostError::Failed);
    assert_eq!(ex.client_status, 200, "{ex:?}");
    assert!(leaked(&ex).is_empty(), "{ex:?}");
    assert_eq!(host.audit().unwrap()["decision"], "redacted");
    assert!(host.counters.keys().all(|k| !k.contains("host_errors")));
}

#[test]
fn a_refused_local_reply_resets_the_stream() {
    // Without held headers the response headers leave first; the response
    // body then fails to be rewritten and the local reply is refused: reset.
    let req = Sent::new(h(&[(":method", "GET"), (":path", "/x")]), b"", None);
    let resp = |_: &Forwarded| {
        Sent::new(
            h(&[(":status", "200"), ("content-type", "application/json")]),
            format!(r#"{{"owner":"{EMAIL}"}}"#).as_bytes(),
            None,
        )
    };
    let mut host = MemoryHost::new().failing(Call::SetBody);
    let mut f = flow(&engine(false));
    let ex = exchange(&mut f, &mut host, &req, &resp);
    assert!(ex.reset, "{ex:?}");
    assert_eq!(host.resets, 1);
    assert!(host.response_headers_sent);
    assert!(leaked(&ex).is_empty(), "{ex:?}");
    assert_eq!(host.audit().unwrap()["response"]["uninspected"], "host_error:set_body");
}

#[test]
fn a_failed_audit_write_is_counted() {
    let (ex, host) = run(true, Call::SetAudit, HostError::Failed);
    assert_eq!(ex.client_status, 200);
    assert_eq!(host.counters.get("piiguard_audit_errors_total"), Some(&1));
}

#[test]
fn calls_and_bytes_are_counted() {
    let (_, host) = run(true, Call::Count, HostError::Failed);
    let body = host.stat(Call::Body);
    assert_eq!(body.calls, 2, "one read per direction");
    assert!(body.bytes >= 2 * EMAIL.len() as u64, "{body:?}");
    assert!(host.total_calls() > body.calls && host.total_bytes() > body.bytes);
}
