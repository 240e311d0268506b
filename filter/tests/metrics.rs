//! Counters by kind of finding: the flow names them from the finding's
//! typed kind (`model::FindingKind`), never from detector ids or location
//! text — a path rule is `detector="path_rule"` whatever its configured
//! path says, and notes (oversize, streams, host errors) have counters of
//! their own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use piiguard::engine::Engine;
use piiguard::flow::metric_name;
use piiguard::policy::Policy;
use piiguard::testing::{exchange, flow, Call, Forwarded, MemoryHost, Sent};
use std::rc::Rc;

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Plays one POST with `body` under `policy` and returns the counters.
fn counters(policy: &str, headers: &[(&str, &str)], body: &[u8], host: MemoryHost) -> Vec<(String, u64)> {
    let engine = Rc::new(Engine::new(Policy::from_json(policy.as_bytes()).unwrap(), None).unwrap());
    let mut host = host;
    let mut hs = h(&[(":method", "POST"), (":path", "/x"), (":authority", "a")]);
    hs.extend(h(headers));
    let req = Sent::new(hs, body, None);
    let resp = |_: &Forwarded| Sent::new(h(&[(":status", "200")]), b"", None);
    exchange(&mut flow(&engine), &mut host, &req, &resp);
    host.counters.into_iter().collect()
}

fn has(c: &[(String, u64)], name: &str, labels: &[(&str, &str)], n: u64) -> bool {
    let want = metric_name(name, labels);
    c.iter().any(|(k, v)| *k == want && *v == n)
}

#[test]
fn path_rules_and_detectors_are_told_apart_by_kind() {
    // The path rule's id holds its configured path (`path:$.note`); the
    // counter names the kind instead, so a path never becomes a label.
    let c = counters(
        r#"{"version":1,"hold_headers":true,"default":{"request":{"actions":{"*":"redact"},"paths":{"$.note":"redact","$.ref":{"action":"log","category":"internal_ref"}}}}}"#,
        &[("content-type", "application/json")],
        br#"{"note":"hello","ref":"r-1","mail":"jane@example.com"}"#,
        MemoryHost::new(),
    );
    let base = |cat: &'static str, det: &'static str, action: &'static str| {
        [
            ("route", "default"),
            ("category", cat),
            ("detector", det),
            ("direction", "request"),
            ("action", action),
        ]
    };
    assert!(
        has(
            &c,
            "piiguard_findings_total",
            &base("custom_path", "path_rule", "redact"),
            1
        ),
        "{c:?}"
    );
    assert!(
        has(
            &c,
            "piiguard_findings_total",
            &base("internal_ref", "path_rule", "log"),
            1
        ),
        "{c:?}"
    );
    assert!(
        has(&c, "piiguard_findings_total", &base("email", "email", "redact"), 1),
        "{c:?}"
    );
    assert!(
        c.iter().all(|(k, _)| !k.contains("path:") && !k.contains("$.")),
        "{c:?}"
    );
}

#[test]
fn notes_have_their_own_counters() {
    // over the limit
    let c = counters(
        r#"{"version":1,"hold_headers":true,"limits":{"max_body_bytes":16},"default":{"request":{"actions":{"*":"redact"}}}}"#,
        &[("content-type", "text/plain")],
        &[b'x'; 100],
        MemoryHost::new(),
    );
    let labels = [("route", "default"), ("direction", "request"), ("action", "block")];
    assert!(has(&c, "piiguard_oversize_total", &labels, 1), "{c:?}");
    assert!(c.iter().all(|(k, _)| !k.ends_with("piiguard_findings_total")), "{c:?}");
    // a stream passed unbuffered (noted as logged)
    let c = counters(
        r#"{"version":1,"default":{"on_stream":"allow","request":{"actions":{"*":"block"}}}}"#,
        &[("content-type", "text/event-stream")],
        b"data: x\n\n",
        MemoryHost::new(),
    );
    let labels = [("route", "default"), ("direction", "request"), ("action", "log")];
    assert!(has(&c, "piiguard_uninspectable_total", &labels, 1), "{c:?}");
    // a body that cannot be read
    let c = counters(
        r#"{"version":1,"hold_headers":true,"default":{"request":{"actions":{"*":"redact"}}}}"#,
        &[("content-type", "application/json")],
        br#"{"mail":"jane@example.com"}"#,
        MemoryHost::new().failing(Call::Body),
    );
    let labels = [("route", "default"), ("direction", "request")];
    assert!(has(&c, "piiguard_host_errors_total", &labels, 1), "{c:?}");
    assert!(c.iter().all(|(k, _)| !k.ends_with("piiguard_findings_total")), "{c:?}");
}
