//! Issue 12 in a real Envoy, the parts the case table cannot express
//! (`filter/tests/cases/attacks-routes.json` holds the rest): route
//! spellings under the shipped config and with Envoy's own normalisation
//! switched off, ambiguous encoded slashes, request ids and paths copied
//! into the reply and audit, aborted uploads and upstream failures, the
//! subject header in every spelling, and the README's trail example on the
//! demo's audit file. Every case runs over HTTP/1.1 and h2 where the request
//! can be expressed in both.

use integration_tests::recording::Recorder;
use integration_tests::*;
use std::io::Write;

const CARD: &str = "4111 1111 1111 1111";

fn card_body() -> String {
    format!(r#"{{"amount":10,"card":"{CARD}"}}"#)
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Every canary form a leak could take.
fn leaked(text: &str, canary: &str) -> bool {
    let d = digits(canary);
    text.contains(canary) || (d.len() >= 12 && digits(text).contains(&d))
}

/// Status of one request over one protocol.
fn send(port: u16, h2: bool, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Response {
    let r = if h2 {
        let chunks: Vec<&[u8]> = if body.is_empty() {
            Vec::new()
        } else {
            vec![body.as_bytes()]
        };
        h2_request(port, method, path, headers, &chunks, &[])
    } else {
        request(
            port,
            method,
            path,
            headers,
            (!body.is_empty()).then_some(body.as_bytes()),
        )
        .map_err(|e| e.to_string())
    };
    r.unwrap_or_else(|e| panic!("{method} {path} (h2: {h2}): {e}"))
}

/// Removes Envoy's own path normalisation from the demo config: piiguard
/// must hold on its own (an operator may not have set it).
fn without_envoy_normalisation(cfg: &mut serde_norway::Value) {
    let hcm = &mut cfg["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"];
    if let Some(m) = hcm.as_mapping_mut() {
        for k in ["normalize_path", "merge_slashes", "path_with_escaped_slashes_action"] {
            m.remove(k);
        }
    }
}

/// The demo's `POST /payments` block under every spelling, with and without
/// Envoy's normalisation: never 2xx, never the upstream.
#[test]
fn demo_payments_route_holds_under_every_spelling() {
    let rec = Recorder::start();
    let mut spellings = vec![
        "/payments",
        "/payments/",
        "//payments",
        "/PAYMENTS",
        "/Payments/",
        "/./payments",
        "/x/../payments",
        "/payments;x=1",
        "/x/..;/payments",
        "/%70ayments",
        "/%2570ayments",
        "/%2e/payments",
        "/x/%2e%2e/payments",
        "/payments%2F",
        "/echo%2F..%2Fpayments",
        "/echo/..%2Fpayments",
        "/echo%5C..%5Cpayments",
        "/payments?x=1",
        "/payments%00.png",
        "/payments%20",
        "/payments.",
    ];
    let h1_only = ["\\payments", "/echo\\..\\payments"];
    spellings.extend(h1_only);
    for (label, edit) in [
        (
            "shipped",
            (|_: &mut serde_norway::Value| {}) as fn(&mut serde_norway::Value),
        ),
        ("no-envoy-normalisation", without_envoy_normalisation),
    ] {
        let envoy = Envoy::start_with(&format!("spell-{label}"), None, rec.port, &[], &edit);
        for p in &spellings {
            for h2 in [false, true] {
                if h2 && h1_only.contains(p) {
                    continue;
                }
                let _ = rec.take();
                let r = send(
                    envoy.port,
                    h2,
                    "POST",
                    p,
                    &[("content-type", "application/json")],
                    &card_body(),
                );
                let got = rec.take();
                assert!(
                    (400..500).contains(&r.status),
                    "{label} {p} h2={h2}: status {} {}",
                    r.status,
                    r.text()
                );
                assert!(
                    got.iter().all(|g| !leaked(&String::from_utf8_lossy(&g.body), CARD)),
                    "{label} {p} h2={h2}: the upstream got the card"
                );
                assert!(!leaked(&r.text(), CARD));
            }
        }
        let audit = envoy.audit_text();
        assert!(!leaked(&audit, CARD), "{label}: audit holds the card");
        assert!(!leaked(&envoy.log(), CARD), "{label}: Envoy's log holds the card");
    }
}

/// Class 7: a client's request id, path and authority reach the reply and
/// the audit record only when checked.
#[test]
fn reply_and_audit_hold_only_checked_values() {
    let rec = Recorder::start();
    let envoy = Envoy::start("checked-ids", None, rec.port);
    let canary = "jane.canary@example.com";
    for h2 in [false, true] {
        for rid in [canary, "4111111111111111", "41111111-1111-1111-1111-111111111111"] {
            let r = send(
                envoy.port,
                h2,
                "POST",
                "/payments",
                &[("content-type", "application/json"), ("x-request-id", rid)],
                &card_body(),
            );
            assert_eq!(r.status, 403, "{}", r.text());
            let id = r.json()["request_id"].as_str().unwrap_or("").to_string();
            assert!(!id.is_empty() && !id.contains(rid), "h2={h2}: {rid} -> {id}");
            assert!(!leaked(&r.text(), rid) && !leaked(&r.text(), CARD), "{}", r.text());
        }
        // personal data in the path (percent-encoded, in a segment) is tagged in the audit
        let r = send(
            envoy.port,
            h2,
            "GET",
            "/customers/jane.canary%40example.com;k=jane.canary%2540example.com?jane.canary%40example.com",
            &[],
            "",
        );
        assert!(r.status < 500);
    }
    let audit = envoy.audit(7);
    let text = envoy.audit_text();
    assert!(!text.contains("jane.canary") && !leaked(&text, CARD), "{text}");
    assert!(audit.iter().any(|a| a["path"] == "/customers/[EMAIL]"), "{audit:#?}");
    let log = envoy.log();
    assert!(
        !log.contains("jane.canary") && !leaked(&log, CARD),
        "Envoy's log: {log}"
    );
}

/// Class 7: an upload the client aborts and an upstream that fails are
/// audited `incomplete`, not `allowed`.
#[test]
fn aborted_uploads_and_upstream_failures_are_incomplete() {
    let rec = Recorder::start();
    let envoy = Envoy::start("incomplete", None, rec.port);
    // headers announce 1000 bytes; 20 arrive; the client goes away
    {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", envoy.port)).unwrap_or_else(|e| panic!("{e}"));
        let head =
            "POST /echo HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n";
        let _ = s.write_all(head.as_bytes());
        let _ = s.write_all(b"{\"note\":\"jane.canary");
        let _ = s.flush();
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let audit = envoy.audit(1);
    let a = audit
        .iter()
        .find(|a| a["route"] == "echo")
        .unwrap_or_else(|| panic!("{audit:#?}"));
    assert_eq!(a["decision"], "incomplete", "{a}");
    assert_eq!(a["incomplete"], "request_aborted", "{a}");
    drop(envoy);
    // an upstream that refuses connections
    let closed = free_port();
    let envoy = Envoy::start("upstream-failure", None, closed);
    for h2 in [false, true] {
        let r = send(envoy.port, h2, "GET", "/customers/42", &[], "");
        assert_eq!(r.status, 503, "{}", r.text());
    }
    let audit = envoy.audit(2);
    assert_eq!(audit.len(), 2, "{audit:#?}");
    for a in &audit {
        assert_eq!(a["decision"], "incomplete", "{a}");
        assert_eq!(a["incomplete"], "upstream_failure", "{a}");
    }
}

/// Class 8: the subject header in every spelling never reaches the upstream,
/// with the demo's `subject` section and with none; the demo shows subjects
/// (a header and the JWT `sub`) and the README's trail example works on its
/// audit file.
#[test]
fn subject_header_spellings_and_the_demo_trail() {
    let rec = Recorder::start();
    let spellings = [
        "x-piiguard-subject",
        "X-Piiguard-Subject",
        "x_piiguard_subject",
        "X_PIIGUARD_SUBJECT",
        "x-piiguard_subject",
        "x.piiguard.subject",
    ];
    let no_subject = r#"{"version":1,"audit":{"mode":"all"},"default":{"request":{"actions":{"*":"log"}}}}"#;
    for (label, policy) in [("demo", None), ("no-subject", Some(no_subject))] {
        let envoy = Envoy::start(&format!("subject-{label}"), policy, rec.port);
        for name in spellings {
            for h2 in [false, true] {
                if h2 && name.bytes().any(|c| c.is_ascii_uppercase()) {
                    continue; // h2 header names are lower case on the wire
                }
                let _ = rec.take();
                let r = send(
                    envoy.port,
                    h2,
                    "GET",
                    "/anything",
                    &[(name, "forged-subject"), ("x-user-id", "u-1")],
                    "",
                );
                assert!(r.status < 500, "{label} {name}: {}", r.status);
                let got = rec.take();
                assert_eq!(got.len(), 1, "{label} {name}");
                for (k, v) in &got[0].headers {
                    assert!(
                        !v.contains("forged-subject"),
                        "{label} {name} h2={h2}: upstream got {k}: {v}"
                    );
                }
                if policy.is_none() {
                    assert!(
                        got[0]
                            .headers
                            .iter()
                            .any(|(k, v)| k == "x-piiguard-subject" && v.len() == 22),
                        "{label}: the pseudonym goes upstream: {:?}",
                        got[0].headers
                    );
                }
            }
        }
    }
    // The demo as shipped: a header subject and a JWT `sub`, then the README's trail.
    let envoy = Envoy::start("demo-trail", None, rec.port);
    let jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1LTIifQ.";
    for (h, v) in [
        ("x-user-id", "u-1".to_string()),
        ("authorization", format!("Bearer {jwt}")),
    ] {
        let r = send(envoy.port, false, "GET", "/customers/42", &[(h, &v)], "");
        assert!(r.status < 500);
    }
    let audit = envoy.audit(2);
    let subjects: Vec<&str> = audit.iter().filter_map(|a| a["subject"].as_str()).collect();
    assert_eq!(subjects.len(), 2, "{audit:#?}");
    assert_ne!(subjects[0], subjects[1]);
    let file = envoy.dir.join("audit.jsonl");
    let cli = repo_root().join("target/debug/piiguard");
    assert!(cli.exists(), "build the CLI first: cargo build -p piiguard-cli");
    for id in ["u-1", "u-2"] {
        let out = std::process::Command::new(&cli)
            .args(["trail", "--id", id, "--key", "demo-only-change-me", "--json"])
            .arg(&file)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains("customers"), "trail of {id}: {text}");
    }
}
