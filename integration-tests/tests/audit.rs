//! Data subjects, the audit trail and metrics, in a real Envoy.

use integration_tests::*;

const POLICY: &str = r#"{
  "version": 1, "policy_version": "t-1",
  "audit": { "mode": "all", "log": true },
  "subject": { "sources": [ {"header": "x-user-id"}, {"jwt_claim": "sub"}, {"request_body": "$.customer_id"}, {"response_body": "$.id"} ] },
  "limits": { "max_body_bytes": 4096 },
  "routes": [
    { "name": "echo", "match": {"path_prefix": "/echo/redact"}, "request": {"actions": {"*": "redact"}}, "purpose": "support", "legal_basis": "contract", "retention": "P90D" },
    { "name": "block", "match": {"path_prefix": "/echo/block"}, "request": {"actions": {"*": "block"}} },
    { "name": "log", "match": {"path_prefix": "/echo/log"}, "request": {"actions": {"*": "log"}} },
    { "name": "shadow", "match": {"path_prefix": "/echo/shadow"}, "shadow": true, "request": {"actions": {"*": "block"}} },
    { "name": "customers", "match": {"path_prefix": "/customers/"}, "response": {"actions": {"*": "redact"}} }
  ],
  "default": { "request": {"actions": {"*": "log"}} }
}"#;

fn jwt(sub: &str) -> String {
    use base64_url as b;
    format!(
        "{}.{}.c2ln",
        b(r#"{"alg":"HS256","typ":"JWT"}"#),
        b(&format!(r#"{{"sub":"{sub}"}}"#))
    )
}

fn base64_url(s: &str) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let b = s.as_bytes();
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..=c.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn subject_seen(port: u16, headers: &[(&str, &str)]) -> Option<String> {
    let r = request(port, "GET", "/headers", headers, None).unwrap_or_else(|e| panic!("{e}"));
    r.json()["x-piiguard-subject"].as_str().map(str::to_string)
}

#[test]
fn subjects_audit_records_and_metrics() {
    let up = upstream();
    let envoy = Envoy::start_with(
        "subjects",
        Some(POLICY),
        up,
        &[("PIIGUARD_HASH_KEY", "test-key-1"), ("PIIGUARD_KEY_ID", "k1")],
        &|_| {},
    );
    let p = envoy.port;
    // pseudonymised, stable, distinct, never the raw id
    let a1 = subject_seen(p, &[("x-user-id", "u-123")]).unwrap_or_default();
    let a2 = subject_seen(p, &[("x-user-id", "u-123")]).unwrap_or_default();
    let b = subject_seen(p, &[("x-user-id", "u-456")]).unwrap_or_default();
    assert!(
        !a1.is_empty() && a1 == a2 && a1 != b && !a1.contains("u-123"),
        "{a1} {a2} {b}"
    );
    // a client cannot claim a subject
    assert_eq!(subject_seen(p, &[("x-piiguard-subject", "someone-else")]), None);
    assert_eq!(
        subject_seen(p, &[("x-piiguard-subject", "someone-else"), ("x-user-id", "u-123")]).as_deref(),
        Some(a1.as_str())
    );
    // from a JWT claim (decoded, not verified: jwt_authn verifies in front)
    let bearer = format!("Bearer {}", jwt("u-123"));
    assert_eq!(
        subject_seen(p, &[("authorization", &bearer)]).as_deref(),
        Some(a1.as_str())
    );
    // from the request body, and the response body
    let r = request(
        p,
        "POST",
        "/echo/redact",
        &[("content-type", "application/json")],
        Some(br#"{"customer_id":"u-123","email":"x@example.com"}"#),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    let r = get(p, "/customers/u-123").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    let audit = envoy.audit(8);
    assert_eq!(audit.len(), 8, "one record per request: {audit:#?}");
    for rec in &audit {
        for field in [
            "request_id",
            "route",
            "method",
            "path",
            "decision",
            "request",
            "response",
        ] {
            assert!(rec.get(field).is_some(), "{field} missing: {rec}");
        }
        assert_eq!(rec["policy_version"], "t-1");
    }
    assert_eq!(audit[6]["subject"], a1.as_str(), "request body subject: {}", audit[6]);
    assert_eq!(audit[6]["subject_key_id"], "k1");
    assert_eq!(audit[6]["route"], "echo");
    assert_eq!(audit[6]["purpose"], "support");
    assert_eq!(audit[6]["legal_basis"], "contract");
    assert_eq!(audit[6]["retention"], "P90D");
    assert_eq!(audit[6]["request"]["findings"][0]["detector"], "email");
    assert_eq!(audit[6]["request"]["findings"][0]["location"], "body:$.email");
    assert_eq!(audit[6]["request"]["findings"][0]["action"], "redact");
    assert_eq!(audit[7]["subject"], a1.as_str(), "response body subject: {}", audit[7]);
    assert_eq!(audit[7]["decision"], "redacted");
    let want = [
        r#"piiguard_requests_total{route="echo",decision="redacted"} 1"#,
        r#"piiguard_findings_total{route="echo",category="email",detector="email",direction="request",action="redact"} 1"#,
        r#"piiguard_requests_total{route="customers",decision="redacted"} 1"#,
    ];
    let stats = envoy.stats_when(|s| want.iter().all(|w| s.contains(w)));
    assert!(
        stats.contains(r#"piiguard_requests_total{route="echo",decision="redacted"} 1"#),
        "{stats}"
    );
    assert!(
        stats.contains(r#"piiguard_findings_total{route="echo",category="email",detector="email",direction="request",action="redact"} 1"#),
        "{stats}"
    );
    assert!(
        stats.contains(r#"piiguard_requests_total{route="customers",decision="redacted"} 1"#),
        "{stats}"
    );
    // counters move (read once every earlier request was flushed: a tick later)
    let allowed = |s: &str| {
        s.lines()
            .find(|l| l.starts_with(r#"piiguard_requests_total{route="default",decision="allowed"}"#))
            .map(str::to_string)
    };
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let before = allowed(&envoy.stats());
    let _ = get(p, "/headers");
    let after = envoy.stats_when(|s| allowed(s) != before);
    let now = allowed(&after);
    assert_ne!(before, now, "{after}");
}

/// Unique personal values through every path; none may surface in Envoy's
/// log, the access log or the stats.
#[test]
fn canary_values_never_leak() {
    let up = upstream();
    let envoy = Envoy::start_with(
        "canary",
        Some(POLICY),
        up,
        &[("PIIGUARD_HASH_KEY", "test-key-2")],
        &|_| {},
    );
    let p = envoy.port;
    let canaries = [
        "zq81x.canary@example.org",
        "4000 0566 5566 5556",
        "4000056655665556",
        "+44 20 7946 0123",
        "Zorblax Quintavius",
        "GB33BUKB20201555555555",
        "canary-subject-77",
    ];
    let body = format!(
        r#"{{"email":"{}","card":"{}","phone":"{}","fullName":"{}","iban":"{}","customer_id":"{}"}}"#,
        canaries[0], canaries[1], canaries[3], canaries[4], canaries[5], canaries[6]
    );
    let ct = [("content-type", "application/json"), ("x-user-id", canaries[6])];
    for path in ["/echo/redact", "/echo/block", "/echo/log", "/echo/shadow"] {
        let _ = request(p, "POST", path, &ct, Some(body.as_bytes())).unwrap_or_else(|e| panic!("{e}"));
        let _ = h2_request(p, "POST", path, &ct, &[body.as_bytes()], &[]).unwrap_or_else(|e| panic!("{e}"));
    }
    // errors: broken JSON, over the limit, odd encodings, PII in the path, query and a cookie
    let broken = format!(r#"{{"email":"{}", "#, canaries[0]);
    let _ = request(p, "POST", "/echo/redact", &ct, Some(broken.as_bytes()));
    let big = format!("{body}{}", " ".repeat(5000));
    let r = request(p, "POST", "/echo/redact", &ct, Some(big.as_bytes())).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 413);
    let _ = request(
        p,
        "POST",
        "/echo/block",
        &[("content-type", "application/json"), ("content-encoding", "zstd")],
        Some(body.as_bytes()),
    );
    let path = format!("/echo/log/{}?email={}", canaries[0], canaries[0].replace('@', "%40"));
    let _ = request(p, "GET", &path, &[("cookie", &format!("e={}", canaries[0]))], None);
    assert_eq!(envoy.audit(12).len(), 12, "one record per request");
    let audit = envoy.audit_text();
    let log = envoy.log();
    assert!(
        log.contains("piiguard-audit:"),
        "audit log lines expected in Envoy's log"
    );
    let stats = envoy.stats();
    for c in canaries {
        let digits: String = c.chars().filter(|x| x.is_ascii_alphanumeric()).collect();
        for (name, text) in [("access log", &audit), ("envoy log", &log), ("stats", &stats)] {
            let flat: String = text.chars().filter(|x| x.is_ascii_alphanumeric()).collect();
            assert!(
                !text.contains(c) && !flat.contains(&digits),
                "{c:?} leaked into the {name}"
            );
        }
    }
}
