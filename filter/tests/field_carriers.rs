//! Field names say what a value is wherever the name is written: a JSON key,
//! a form field, a query parameter, a header name, a multipart part name
//! (issue 14). One table over all carriers.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use piiguard::detect::Scratch;
use piiguard::engine::{Direction, Engine};
use piiguard::policy::Policy;
use piiguard::redact::Hasher;

fn engine() -> Engine {
    let cfg = r#"{"version":1,"default":{"request":{"actions":{"*":"redact"}},"response":{"actions":{"*":"redact"}}}}"#;
    let p = Policy::from_json(cfg.as_bytes()).unwrap();
    Engine::new(p, Hasher::new(b"test-key", Some("k1".into()))).unwrap()
}

/// A value no pattern matches: only its field name can make it personal.
const VALUE: &str = "Qzx Wvut";

/// (name, detector it must be reported by).
const NAMES: &[(&str, &str)] = &[
    ("taxpayerId", "national_id_field"),
    ("taxpayer_id", "national_id_field"),
    ("steuerId", "national_id_field"),
    ("SteuerID", "national_id_field"),
    ("steuer-id", "national_id_field"),
    ("passportNumber", "national_id_field"),
    ("account_holder", "name_field"),
    ("accountHolder", "name_field"),
    ("nameOnCard", "name_field"),
    ("name_on_card", "name_field"),
    ("aws_access_key_id", "credential_field"),
    ("awsSecretAccessKey", "credential_field"),
    ("date_of_birth", "birth_date_field"),
    ("ip_address", "ip_address_field"),
    ("partitaIva", "national_id_field"),
    ("Steuernummer", "national_id_field"),
    ("numeroContribuinte", "national_id_field"),
    ("bankAccountNumber", "bank_account_field"),
    ("creditCardNumber", "payment_card_field"),
    ("clientSecret", "credential_field"),
    ("refreshToken", "credential_field"),
];

fn detectors_json(e: &Engine, name: &str) -> Vec<String> {
    let body = format!("{{\"{name}\":\"{VALUE}\"}}");
    body_findings(e, "application/json", &body)
}

fn detectors_form(e: &Engine, name: &str) -> Vec<String> {
    let body = format!("{name}={}", VALUE.replace(' ', "+"));
    body_findings(e, "application/x-www-form-urlencoded", &body)
}

fn detectors_multipart(e: &Engine, name: &str) -> Vec<String> {
    let body = format!("--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{VALUE}\r\n--XyZ--\r\n");
    body_findings(e, "multipart/form-data; boundary=XyZ", &body)
}

fn body_findings(e: &Engine, ct: &str, body: &str) -> Vec<String> {
    let r = e.inspect_body(
        &e.policy.default,
        Direction::Request,
        Some(ct),
        body.as_bytes(),
        &mut Scratch::default(),
    );
    r.inspection.findings.iter().map(|f| f.detector.clone()).collect()
}

fn header_findings(e: &Engine, headers: Vec<(String, String)>) -> Vec<String> {
    let r = e.inspect_headers(&e.policy.default, Direction::Request, &headers, &mut Scratch::default());
    r.inspection.findings.iter().map(|f| f.detector.clone()).collect()
}

fn detectors_query(e: &Engine, name: &str) -> Vec<String> {
    let path = format!("/x?{name}={}", VALUE.replace(' ', "%20"));
    header_findings(e, vec![(":path".into(), path), (":method".into(), "GET".into())])
}

/// Header names arrive lower-cased (HTTP/2): `x-taxpayer-id`, `taxpayerid`.
fn detectors_header(e: &Engine, name: &str) -> Vec<String> {
    header_findings(e, vec![(format!("x-{}", name.to_ascii_lowercase()), VALUE.into())])
}

/// Finds what the engine reports for a field of that name in one carrier.
type Carrier = fn(&Engine, &str) -> Vec<String>;

#[test]
fn field_names_are_recognised_in_every_carrier() {
    let e = engine();
    let carriers: &[(&str, Carrier)] = &[
        ("json", detectors_json),
        ("form", detectors_form),
        ("multipart", detectors_multipart),
        ("query", detectors_query),
        ("header", detectors_header),
    ];
    let mut failures = Vec::new();
    for (name, want) in NAMES {
        for (carrier, f) in carriers {
            let got = f(&e, name);
            if !got.iter().any(|d| d == want) {
                failures.push(format!("{carrier} {name}: want {want}, got {got:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn ordinary_names_stay_clean_in_every_carrier() {
    let e = engine();
    for name in [
        "productName",
        "page",
        "sort_order",
        "holder",
        "card",
        "server_ip",
        "steuer",
    ] {
        for got in [
            detectors_json(&e, name),
            detectors_form(&e, name),
            detectors_multipart(&e, name),
            detectors_query(&e, name),
            detectors_header(&e, name),
        ] {
            assert!(got.is_empty(), "{name}: {got:?}");
        }
    }
}
