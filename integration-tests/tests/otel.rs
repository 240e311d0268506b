//! Audit shipping over OpenTelemetry: a real Envoy with piiguard and the
//! shipped OpenTelemetry access-log config (examples/otel/) sends the audit
//! record over OTLP/gRPC to a receiver written here (h2 + a minimal protobuf
//! reader of `ExportLogsServiceRequest`). The record arrives as the log body
//! and as `piiguard.*` attributes, and no personal value is in the export.

use integration_tests::*;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// ---- a minimal protobuf reader: enough of opentelemetry/proto/logs/v1 ----

fn varint(b: &[u8], i: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*i)?;
        *i += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// (field number, payload) of each length-delimited field; other wire types skipped.
fn fields(b: &[u8]) -> Vec<(u64, &[u8])> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let Some(tag) = varint(b, &mut i) else { break };
        match tag & 7 {
            0 => {
                if varint(b, &mut i).is_none() {
                    break;
                }
            }
            1 => i += 8,
            5 => i += 4,
            2 => {
                let Some(len) = varint(b, &mut i) else { break };
                let end = i + len as usize;
                let Some(payload) = b.get(i..end) else { break };
                out.push((tag >> 3, payload));
                i = end;
            }
            _ => break,
        }
    }
    out
}

/// An `AnyValue`: string_value = 1, kvlist_value = 6 (other kinds as null).
fn any_value(b: &[u8]) -> serde_json::Value {
    for (n, p) in fields(b) {
        match n {
            1 => return String::from_utf8_lossy(p).into_owned().into(),
            6 => {
                return key_values(
                    &fields(p)
                        .iter()
                        .filter(|(n, _)| *n == 1)
                        .map(|(_, p)| *p)
                        .collect::<Vec<_>>(),
                )
            }
            _ => {}
        }
    }
    serde_json::Value::Null
}

/// `KeyValue { key = 1; value = 2 }` list → JSON object.
fn key_values(kvs: &[&[u8]]) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for kv in kvs {
        let f = fields(kv);
        let key = f
            .iter()
            .find(|(n, _)| *n == 1)
            .map(|(_, p)| String::from_utf8_lossy(p).into_owned());
        let val = f.iter().find(|(n, _)| *n == 2).map(|(_, p)| any_value(p));
        if let (Some(k), Some(v)) = (key, val) {
            m.insert(k, v);
        }
    }
    serde_json::Value::Object(m)
}

/// `ExportLogsServiceRequest` → one JSON object per log record:
/// `{"resource": {...}, "body": ..., "attributes": {...}}`.
fn log_records(req: &[u8]) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for (n, resource_logs) in fields(req) {
        if n != 1 {
            continue;
        }
        let rl = fields(resource_logs);
        let resource = rl
            .iter()
            .find(|(n, _)| *n == 1)
            .map(|(_, r)| {
                key_values(
                    &fields(r)
                        .iter()
                        .filter(|(n, _)| *n == 1)
                        .map(|(_, p)| *p)
                        .collect::<Vec<_>>(),
                )
            })
            .unwrap_or_default();
        for (_, scope_logs) in rl.iter().filter(|(n, _)| *n == 2) {
            for (_, rec) in fields(scope_logs).iter().filter(|(n, _)| *n == 2) {
                let f = fields(rec);
                let body = f
                    .iter()
                    .find(|(n, _)| *n == 5)
                    .map(|(_, p)| any_value(p))
                    .unwrap_or_default();
                let attrs: Vec<&[u8]> = f.iter().filter(|(n, _)| *n == 6).map(|(_, p)| *p).collect();
                out.push(serde_json::json!({"resource": resource, "body": body, "attributes": key_values(&attrs)}));
            }
        }
    }
    out
}

// ---- the OTLP/gRPC receiver ----

/// (gRPC path, raw message) of one call.
type Call = (String, Vec<u8>);

#[derive(Clone, Default)]
struct Received {
    calls: Arc<Mutex<Vec<Call>>>,
}

fn grpc_frame(msg: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8];
    f.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    f.extend_from_slice(msg);
    f
}

async fn serve_call(
    req: http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<bytes::Bytes>,
    got: Received,
) {
    let path = req.uri().path().to_string();
    let mut body = req.into_body();
    let mut data = Vec::new();
    while let Some(chunk) = body.data().await {
        let Ok(chunk) = chunk else { return };
        let _ = body.flow_control().release_capacity(chunk.len());
        data.extend_from_slice(&chunk);
    }
    // gRPC framing: flag (uncompressed only), length, message
    let mut at = 0;
    while at + 5 <= data.len() {
        let len = u32::from_be_bytes([data[at + 1], data[at + 2], data[at + 3], data[at + 4]]) as usize;
        let end = (at + 5 + len).min(data.len());
        if let Ok(mut calls) = got.calls.lock() {
            calls.push((path.clone(), data[at + 5..end].to_vec()));
        }
        at = end;
    }
    let resp = http::Response::builder()
        .status(200)
        .header("content-type", "application/grpc")
        .body(())
        .unwrap_or_default();
    if let Ok(mut send) = respond.send_response(resp, false) {
        // an empty ExportLogsServiceResponse
        let _ = send.send_data(bytes::Bytes::from(grpc_frame(&[])), false);
        let mut t = http::HeaderMap::new();
        t.insert("grpc-status", http::HeaderValue::from_static("0"));
        let _ = send.send_trailers(t);
    }
}

/// Starts the receiver on a free port, for the life of the test process.
fn otlp_receiver() -> (u16, Received) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let _ = listener.set_nonblocking(true);
    let got = Received::default();
    let g = got.clone();
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
            return;
        };
        rt.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                return;
            };
            while let Ok((sock, _)) = listener.accept().await {
                let g = g.clone();
                tokio::spawn(async move {
                    let Ok(mut conn) = h2::server::handshake(sock).await else {
                        return;
                    };
                    while let Some(Ok((req, respond))) = conn.accept().await {
                        tokio::spawn(serve_call(req, respond, g.clone()));
                    }
                });
            }
        });
    });
    (port, got)
}

fn shipped_otel_config() -> serde_json::Value {
    let text = std::fs::read_to_string(repo_root().join("examples/otel/envoy-otel-access-log.yaml"))
        .unwrap_or_else(|e| panic!("{e}"));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("envoy-otel-access-log.yaml: {e}"))
}

/// A JSON value into whatever value type the harness edits configs with.
fn value<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
}

const POLICY: &str = r#"{
  "version": 1, "policy_version": "otel-1",
  "audit": { "attributes": true },
  "subject": { "sources": [ {"header": "x-user-id"} ] },
  "routes": [
    { "name": "echo", "match": {"path_prefix": "/echo"}, "purpose": "support", "legal_basis": "contract",
      "request": {"actions": {"email": "redact", "payment_card": "block", "*": "log"}} }
  ]
}"#;

#[test]
fn the_audit_record_arrives_over_otlp_with_its_fields_and_no_personal_value() {
    let (otlp_port, got) = otlp_receiver();
    let up = upstream();
    let otel = shipped_otel_config();
    let envoy = Envoy::start_with(
        "otel",
        Some(POLICY),
        up,
        &[("PIIGUARD_HASH_KEY", "otel-test-key")],
        &|cfg| {
            let hcm = &mut cfg["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"];
            if let Some(logs) = hcm["access_log"].as_sequence_mut() {
                logs.push(value(otel["access_log"][0].clone()));
            }
            let mut cluster = otel["clusters"][0].clone();
            cluster["type"] = "STATIC".into();
            cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["socket_address"] =
                serde_json::json!({"address": "127.0.0.1", "port_value": otlp_port});
            cluster["typed_extension_protocol_options"]["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
                ["explicit_http_config"]["http2_protocol_options"] = serde_json::json!({});
            if let Some(clusters) = cfg["static_resources"]["clusters"].as_sequence_mut() {
                clusters.push(value(cluster));
            }
        },
    );
    let email = "jane.otel-canary@example.com";
    let card = "4111 1111 1111 1111";
    let user = "user-otel-7731";
    let json = [("content-type", "application/json"), ("x-user-id", user)];
    let r = request(
        envoy.port,
        "POST",
        "/echo",
        &json,
        Some(format!(r#"{{"email":"{email}"}}"#).as_bytes()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    assert!(!r.text().contains(email), "{}", r.text());
    let r = request(
        envoy.port,
        "POST",
        "/echo",
        &json,
        Some(format!(r#"{{"card":"{card}"}}"#).as_bytes()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 403);
    // a request without findings has no record, and is not logged
    let r = request(envoy.port, "POST", "/echo", &json, Some(br#"{"ok":true}"#)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    // the file trail, for comparison
    let file = envoy.audit(2);
    assert_eq!(file.len(), 2, "{file:?}");
    // wait for the exports (the logger flushes every second)
    let deadline = Instant::now() + Duration::from_secs(15);
    let records = loop {
        let calls = got.calls.lock().map(|c| c.clone()).unwrap_or_default();
        let recs: Vec<serde_json::Value> = calls.iter().flat_map(|(_, m)| log_records(m)).collect();
        if recs.len() >= 2 || Instant::now() > deadline {
            for (path, _) in &calls {
                assert_eq!(path, "/opentelemetry.proto.collector.logs.v1.LogsService/Export");
            }
            // no personal value anywhere in what was exported
            for (_, raw) in &calls {
                let text = String::from_utf8_lossy(raw);
                for v in [email, card, "4111111111111111", user, "jane.otel"] {
                    assert!(!text.contains(v), "{v} in the OTLP export: {text}");
                }
            }
            break recs;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(records.len(), 2, "{records:#?}\n{}", envoy.log());
    for (rec, line) in records.iter().zip(&file) {
        // the body is the record, as the file has it
        let body: serde_json::Value =
            serde_json::from_str(rec["body"].as_str().unwrap_or("")).unwrap_or_else(|e| panic!("{e}: {rec}"));
        assert_eq!(&body, line);
        let a = &rec["attributes"];
        assert_eq!(a["piiguard.route"], "echo", "{rec:#}");
        assert_eq!(a["piiguard.purpose"], "support");
        assert_eq!(a["piiguard.legal_basis"], "contract");
        assert_eq!(a["piiguard.policy_version"], "otel-1");
        assert_eq!(a["piiguard.path"], "/echo");
        assert_eq!(a["piiguard.decision"], line["decision"]);
        assert_eq!(a["piiguard.subject"], line["subject"]);
        assert_eq!(a["piiguard.ts_ms"], line["ts_ms"].to_string());
        assert!(a["piiguard.subject"].as_str().is_some_and(|s| s.len() >= 16), "{a}");
        assert_eq!(rec["resource"]["service.name"], "piiguard");
    }
    let a0 = &records[0]["attributes"];
    assert_eq!(a0["piiguard.decision"], "redacted");
    assert_eq!(a0["piiguard.request_categories"], "email");
    assert_eq!(a0["piiguard.request_actions"], "redact");
    assert_eq!(a0["piiguard.request_values"], "1");
    let a1 = &records[1]["attributes"];
    assert_eq!(a1["piiguard.decision"], "blocked");
    assert_eq!(a1["piiguard.request_categories"], "payment_card");
    assert_eq!(a1["piiguard.request_actions"], "block");
}

#[test]
fn the_protobuf_reader_reads_what_it_should() {
    // hand-encoded: resource_logs { scope_logs { log_records { body {string "b"} attributes {key "k" value {string "v"}} } } }
    fn ld(field: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![(field << 3) | 2, payload.len() as u8];
        v.extend_from_slice(payload);
        v
    }
    let kv = [ld(1, b"k"), ld(2, &ld(1, b"v"))].concat();
    let rec = [vec![0x09, 1, 2, 3, 4, 5, 6, 7, 8], ld(5, &ld(1, b"b")), ld(6, &kv)].concat();
    let msg = ld(1, &ld(2, &ld(2, &rec)));
    let r = log_records(&msg);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["body"], "b");
    assert_eq!(r[0]["attributes"]["k"], "v");
}
