//! Trailers (red team, session 5) through a failing host: when reading or
//! rewriting the trailers fails, the trailer's personal data reaches
//! neither the upstream nor the client, and the audit says `host_error`.
//! Each direction's trailers hold an e-mail; the route redacts both ways.
#![allow(clippy::panic, clippy::unwrap_used)]

use piiguard::engine::Engine;
use piiguard::flow::HostError;
use piiguard::policy::Policy;
use piiguard::testing::{exchange, flow, Call, Exchange, Forwarded, MemoryHost, Sent};
use std::rc::Rc;

const EMAIL: &str = "trailer.canary@example.org";

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn run(hold: bool, fail: Option<(Call, HostError)>) -> (Exchange, MemoryHost) {
    let redact = r#"{"request":{"actions":{"*":"redact"}},"response":{"actions":{"*":"redact"}}}"#;
    let cfg = format!(r#"{{"version":1,"hold_headers":{hold},"audit":{{"mode":"all"}},"default":{redact}}}"#);
    let engine = Rc::new(Engine::new(Policy::from_json(cfg.as_bytes()).unwrap(), None).unwrap());
    let mut req = Sent::new(
        h(&[
            (":method", "POST"),
            (":path", "/echo"),
            (":authority", "localhost"),
            ("content-type", "text/plain"),
        ]),
        b"order 7",
        None,
    );
    req.trailers = h(&[("x-note", EMAIL)]);
    let resp = |_: &Forwarded| {
        let mut s = Sent::new(h(&[(":status", "200"), ("content-type", "text/plain")]), b"ok", None);
        s.trailers = h(&[("grpc-message", EMAIL)]);
        s
    };
    let mut host = MemoryHost::new();
    if let Some((call, with)) = fail {
        host = host.failing(call);
        host.fail_with = Some(with);
    }
    let mut f = flow(&engine);
    let ex = exchange(&mut f, &mut host, &req, &resp);
    (ex, host)
}

fn leaked(ex: &Exchange) -> Vec<&'static str> {
    let has = |f: &Forwarded| {
        f.headers
            .iter()
            .chain(f.trailers.iter())
            .any(|(_, v)| v.contains(EMAIL))
    };
    let mut out = Vec::new();
    if ex.upstream.as_ref().is_some_and(has) {
        out.push("upstream");
    }
    if has(&ex.client) {
        out.push("client");
    }
    out
}

#[test]
fn trailers_are_redacted_both_ways() {
    for hold in [true, false] {
        let (ex, host) = run(hold, None);
        assert!(
            leaked(&ex).is_empty(),
            "hold={hold}: leaked to {:?}: {ex:?}",
            leaked(&ex)
        );
        let up = ex.upstream.as_ref().unwrap();
        assert_eq!(up.trailers, h(&[("x-note", "[EMAIL]")]), "hold={hold}");
        assert_eq!(ex.client.trailers, h(&[("grpc-message", "[EMAIL]")]), "hold={hold}");
        let audit = host.audit().unwrap();
        assert_eq!(audit["decision"], "redacted", "{audit}");
    }
}

#[test]
fn a_failing_trailer_call_fails_closed() {
    for hold in [true, false] {
        for call in [Call::Trailers, Call::SetTrailers] {
            for with in [HostError::Failed, HostError::Unavailable, HostError::Refused] {
                let (ex, host) = run(hold, Some((call, with)));
                let what = format!("{call:?} failing ({with:?}), hold_headers={hold}");
                assert!(leaked(&ex).is_empty(), "{what}: leaked to {:?}: {ex:?}", leaked(&ex));
                assert!(ex.client_status == 503 || ex.reset, "{what}: {ex:?}");
                let audit = host.audit().unwrap_or_else(|| panic!("{what}: no audit"));
                assert!(audit.to_string().contains("host_error"), "{what}: {audit}");
                assert!(!audit.to_string().contains(EMAIL), "{what}: {audit}");
            }
        }
    }
}
