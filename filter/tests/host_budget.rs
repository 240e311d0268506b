//! Fixed-cost guards: for a table of request shapes, the host calls and the
//! bytes copied across the host boundary per exchange stay under stated
//! ceilings. A regression of the per-request cost (an extra header fetch,
//! a property read, a body read twice, buffering a direction that cannot
//! change) fails here without timing anything.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use piiguard::engine::Engine;
use piiguard::policy::Policy;
use piiguard::testing::{exchange, flow, Call, MemoryHost, Sent};
use std::rc::Rc;

const REDACT_BOTH: &str =
    r#"{"version":1,"default":{"request":{"actions":{"*":"redact"}},"response":{"actions":{"*":"redact"}}}}"#;
const OFF: &str = r#"{"version":1,"default":{"request":{"actions":{"*":"redact"},"body":false,"headers":false,"query":false},"response":{"actions":{"*":"redact"},"body":false,"headers":false,"query":false}}}"#;

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn dense(n: usize) -> Vec<u8> {
    let mut s = String::from("{\"customers\":[");
    let mut i = 0;
    while s.len() < n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"id":{i},"email":"jane.doe{i}@example.com","card":"4111 1111 1111 1111"}}"#
        ));
        i += 1;
    }
    s.push_str("]}");
    s.into_bytes()
}

fn catalog(n: usize) -> Vec<u8> {
    let mut s = String::from("{\"items\":[");
    let mut i = 0;
    while s.len() < n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"sku":"SKU-{:08}","id":"9e3779b9-7f4a-4c15-a{:03}-0d2b8f0e9a11","price":{}.99,"updated":"2026-11-05T12:34:56Z","title":"sturdy garden widget"}}"#,
            i * 7919,
            i % 1000,
            i % 500
        ));
        i += 1;
    }
    s.push_str("]}");
    s.into_bytes()
}

struct Shape {
    name: &'static str,
    policy: &'static str,
    method: &'static str,
    req: Vec<u8>,
    resp: Vec<u8>,
    /// Ceilings per exchange (today's figures): all host calls; bytes read
    /// from body buffers (`Call::Body`; 0 = never buffered); whole header
    /// maps fetched; property reads (route name, peer, cluster, request id,
    /// transport, response flags).
    max_calls: u64,
    max_body_read: u64,
    max_header_maps: u64,
    max_properties: u64,
}

fn run(s: &Shape) -> MemoryHost {
    let engine = Rc::new(Engine::new(Policy::from_json(s.policy.as_bytes()).unwrap(), None).unwrap());
    let mut f = flow(&engine);
    let mut host = MemoryHost::new().with_property(&["xds", "route_name"], b"echo");
    let req = Sent::new(
        h(&[
            (":authority", "shop"),
            (":path", "/catalog"),
            (":method", s.method),
            (":scheme", "https"),
            ("content-type", "application/json"),
            ("x-request-id", "5f0c7c6e-2d7b-4f7e-9d6a-0d2b8f0e9a11"),
        ]),
        &s.req,
        None,
    );
    let resp_body = s.resp.clone();
    let ex = exchange(&mut f, &mut host, &req, &move |_| {
        Sent::new(
            h(&[(":status", "200"), ("content-type", "application/json")]),
            &resp_body,
            None,
        )
    });
    assert!(!ex.replied, "{}: not blocked", s.name);
    host
}

#[test]
fn host_calls_and_bytes_per_shape_stay_under_ceilings() {
    let shapes = [
        Shape {
            name: "inspection off, 1 KB POST and response",
            policy: OFF,
            method: "POST",
            req: dense(1024),
            resp: dense(1024),
            max_calls: 10,
            max_body_read: 0,
            max_header_maps: 2,
            max_properties: 6,
        },
        Shape {
            name: "GET without body, headers-only response",
            policy: REDACT_BOTH,
            method: "GET",
            req: Vec::new(),
            resp: Vec::new(),
            max_calls: 10,
            max_body_read: 0,
            max_header_maps: 2,
            max_properties: 6,
        },
        Shape {
            name: "GET, 16 KB clean JSON response",
            policy: REDACT_BOTH,
            method: "GET",
            req: Vec::new(),
            resp: catalog(16 * 1024),
            max_calls: 12,
            max_body_read: 16 * 1024 + 256,
            max_header_maps: 2,
            max_properties: 6,
        },
        Shape {
            name: "dense 16 KB both ways",
            policy: REDACT_BOTH,
            method: "POST",
            req: dense(16 * 1024),
            resp: dense(16 * 1024),
            max_calls: 24,
            max_body_read: 2 * 16 * 1024 + 512,
            max_header_maps: 2,
            max_properties: 7,
        },
    ];
    let mut failures = Vec::new();
    for s in &shapes {
        let host = run(s);
        let calls = host.total_calls();
        let body = host.stat(Call::Body).bytes;
        let maps = host.stat(Call::Headers).calls;
        let props = host.stat(Call::Property).calls;
        eprintln!(
            "{}: {calls} calls, {body} body bytes read, {maps} header maps, {props} properties",
            s.name
        );
        if calls > s.max_calls {
            failures.push(format!("{}: {calls} host calls > {}", s.name, s.max_calls));
        }
        if body > s.max_body_read {
            failures.push(format!("{}: {body} body bytes read > {}", s.name, s.max_body_read));
        }
        if maps > s.max_header_maps {
            failures.push(format!(
                "{}: {maps} header maps fetched > {}",
                s.name, s.max_header_maps
            ));
        }
        if props > s.max_properties {
            failures.push(format!("{}: {props} property reads > {}", s.name, s.max_properties));
        }
        // a body is read at most once per direction
        if host.stat(Call::Body).calls > 2 {
            failures.push(format!("{}: body read {} times", s.name, host.stat(Call::Body).calls));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
