//! `audit.attributes`: the record's fields, one filter-state key each, only
//! when the configuration asks for them (each is a host call on every
//! audited request), and then exactly the fields of the record, with no
//! personal value.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use piiguard::audit_fields::flatten;
use piiguard::detect::Scratch;
use piiguard::engine::Engine;
use piiguard::flow::Flow;
use piiguard::policy::Policy;
use piiguard::testing::shapes::{self, dense};
use piiguard::testing::{Call, MemoryHost};
use std::cell::RefCell;
use std::rc::Rc;

fn play(policy: &str) -> MemoryHost {
    let e = Rc::new(Engine::new(Policy::from_json(policy.as_bytes()).unwrap(), None).unwrap());
    let s = shapes::Shape {
        name: "dense_1k",
        policy: "",
        method: "POST",
        req: dense(1024),
        resp: dense(1024),
    };
    let mut host = s.host();
    s.play(
        &mut Flow::new(e, Rc::new(RefCell::new(Scratch::default()))),
        &mut host,
        &s.request(),
        &s.response(),
    );
    host
}

#[test]
fn fields_are_not_published_unless_asked() {
    let host = play(shapes::REDACT_BOTH);
    assert_eq!(host.audits.len(), 1, "the record itself is always published");
    assert!(host.audit_fields.is_empty());
    assert_eq!(host.stats().get(&Call::SetAuditField).map_or(0, |s| s.calls), 0);
}

#[test]
fn asked_for_they_are_the_records_fields_and_carry_no_personal_value() {
    let policy = r#"{"version":1,"audit":{"attributes":true},"default":{"request":{"actions":{"*":"redact"}},"response":{"actions":{"*":"redact"}}}}"#;
    let host = play(policy);
    assert_eq!(host.audits.len(), 1);
    let want = flatten(&host.audits[0]);
    assert!(want.len() > 5, "{want:?}");
    assert_eq!(host.audit_fields, want);
    assert_eq!(
        host.stats().get(&Call::SetAuditField).map_or(0, |s| s.calls),
        want.len() as u64
    );
    let get = |k: &str| host.audit_fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("piiguard_a_request_decision"), Some("redacted"));
    assert!(get("piiguard_a_request_categories").is_some_and(|c| c.contains("email")));
    for (k, v) in &host.audit_fields {
        for secret in ["jane.doe", "@example.com", "4111", "Jane Doe"] {
            assert!(!v.contains(secret) && !k.contains(secret), "{k}={v}");
        }
    }
}

#[test]
fn an_unknown_audit_field_is_still_rejected() {
    let err = Policy::from_json(br#"{"version":1,"audit":{"attribute":true}}"#).unwrap_err();
    assert!(format!("{err:?}").contains("audit"), "{err:?}");
}
