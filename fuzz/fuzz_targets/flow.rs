#![no_main]
//! The whole per-request state machine: `Flow` driven through the in-memory
//! host the way Envoy calls it (headers, body in fuzz-chosen pieces,
//! optional trailers, the response, the end of the stream), under several
//! policies, with a fuzz-chosen host call failing. A canary value is placed
//! in the request and the response. Besides not panicking, every exchange
//! must end (no direction left paused: a hang in Envoy) unless the host
//! refused both the local reply and the reset, and the canary must
//! never appear in the audit record, the logs or a block reply.
use libfuzzer_sys::fuzz_target;
use piiguard::engine::Engine;
use piiguard::flow::HostError;
use piiguard::policy::Policy;
use piiguard::testing::{exchange, flow, Call, Forwarded, MemoryHost, Sent};
use std::rc::Rc;

const CANARY: &str = "jane.doe@example.com";

const POLICIES: &[&str] = &[
    r#"{"version":1,"hold_headers":true,"audit":{"mode":"all","log":true},"default":{"request":{"actions":{"*":"redact"}},"response":{"actions":{"*":"redact"}}}}"#,
    r#"{"version":1,"hold_headers":true,"audit":{"mode":"all"},"default":{"request":{"actions":{"*":"block"}},"response":{"actions":{"*":"block"}}}}"#,
    r#"{"version":1,"hold_headers":false,"audit":{"mode":"all"},"default":{"request":{"actions":{"*":"redact"}},"response":{"actions":{"*":"block"}}}}"#,
    r#"{"version":1,"hold_headers":true,"limits":{"max_body_bytes":256},"audit":{"mode":"all"},"default":{"on_oversize":"allow","on_stream":"allow","request":{"actions":{"*":"redact"}},"response":{"actions":{"*":"log"}}}}"#,
    r#"{"version":1,"hold_headers":true,"audit":{"mode":"all"},"default":{"shadow":true,"request":{"actions":{"*":"block"}}}}"#,
];

const CALLS: &[Option<Call>] = &[
    None,
    None,
    None,
    Some(Call::Headers),
    Some(Call::SetHeaders),
    Some(Call::RemoveHeader),
    Some(Call::SetHeader),
    Some(Call::Trailers),
    Some(Call::SetTrailers),
    Some(Call::Body),
    Some(Call::SetBody),
    Some(Call::SendReply),
    Some(Call::Reset),
    Some(Call::Property),
    Some(Call::SetAudit),
];

const TYPES: &[&str] = &[
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=b",
    "application/grpc",
    "text/event-stream",
    "application/xml",
    "",
];

thread_local! {
    static ENGINES: Vec<Rc<Engine>> = POLICIES
        .iter()
        .map(|p| match Policy::from_json(p.as_bytes()).map(|p| Engine::new(p, None)) {
            Ok(Ok(e)) => Rc::new(e),
            _ => std::process::abort(),
        })
        .collect();
}

fn take<'a>(data: &mut &'a [u8], n: usize) -> &'a [u8] {
    let n = n.min(data.len());
    let (a, b) = data.split_at(n);
    *data = b;
    a
}

fn byte(data: &mut &[u8]) -> u8 {
    take(data, 1).first().copied().unwrap_or(0)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).replace(['\r', '\n', '\0'], " ")
}

fuzz_target!(|input: &[u8]| {
    let mut data = input;
    let policy = byte(&mut data) as usize % POLICIES.len();
    let fail = CALLS[byte(&mut data) as usize % CALLS.len()];
    let req_type = TYPES[byte(&mut data) as usize % TYPES.len()];
    let resp_type = TYPES[byte(&mut data) as usize % TYPES.len()];
    let flags = byte(&mut data);
    let chunk = (byte(&mut data) as usize % 64).max(1);
    let path_len = byte(&mut data) as usize % 32;
    let hdr_len = byte(&mut data) as usize % 32;
    let path = text(take(&mut data, path_len));
    let hval = text(take(&mut data, hdr_len));
    let split = data.len() / 2;
    let (a, b) = data.split_at(split);
    // the canary goes in at a fuzz-chosen point of each body
    let place = |body: &[u8], at: u8| {
        let at = (at as usize).min(body.len());
        let mut v = body[..at].to_vec();
        v.extend_from_slice(CANARY.as_bytes());
        v.extend_from_slice(&body[at..]);
        v
    };
    let req_body = if flags & 1 != 0 { place(a, flags) } else { a.to_vec() };
    let resp_body = place(b, flags.rotate_left(3));
    let mut headers = vec![
        (":method".to_string(), if flags & 2 != 0 { "POST" } else { "GET" }.to_string()),
        (":path".to_string(), format!("/{path}")),
        (":authority".to_string(), "localhost".to_string()),
        ("x-fuzz".to_string(), hval),
    ];
    if !req_type.is_empty() {
        headers.push(("content-type".to_string(), req_type.to_string()));
    }
    if flags & 4 != 0 {
        headers.push(("content-encoding".to_string(), "gzip".to_string()));
    }
    if flags & 8 != 0 {
        headers.push(("upgrade".to_string(), "websocket".to_string()));
    }
    let mut req = Sent::new(headers, &req_body, (flags & 16 != 0).then_some(chunk));
    if flags & 32 != 0 {
        req.trailers = vec![("x-t".to_string(), "1".to_string())];
    }
    let resp_headers = {
        let mut h = vec![(":status".to_string(), "200".to_string())];
        if !resp_type.is_empty() {
            h.push(("content-type".to_string(), resp_type.to_string()));
        }
        h
    };
    let resp_chunk = (flags & 64 != 0).then_some(chunk);
    let respond = |_: &Forwarded| Sent::new(resp_headers.clone(), &resp_body, resp_chunk);
    let engine = ENGINES.with(|e| Rc::clone(&e[policy]));
    let mut host = MemoryHost::new().with_property(&["xds", "route_name"], b"fuzz");
    if let Some(c) = fail {
        host = host.failing(c);
        host.fail_with = Some(if flags & 128 != 0 { HostError::Refused } else { HostError::Failed });
    }
    let mut f = flow(&engine);
    let ex = exchange(&mut f, &mut host, &req, &respond);
    // every exchange ends: nothing left paused (unless a refused local reply
    // could not even be turned into a reset: then paused is the safe end)
    assert!(!ex.client.stalled || fail == Some(Call::Reset), "stalled: {ex:?}");
    // never the value in what piiguard writes
    for a in &host.audits {
        assert!(serde_json::from_slice::<serde_json::Value>(a).is_ok(), "audit is not JSON");
        assert!(!String::from_utf8_lossy(a).contains(CANARY), "canary in the audit record");
    }
    for l in &host.logs {
        assert!(!l.contains(CANARY), "canary in the logs");
    }
    for r in &host.replies {
        assert!(!String::from_utf8_lossy(&r.body).contains(CANARY), "canary in a block reply");
    }
});
