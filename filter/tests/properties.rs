//! Property: for any JSON document, the redacted output is valid JSON and a
//! second pass finds nothing left.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use piiguard::detect::Scratch;
use piiguard::engine::{Direction, Engine};
use piiguard::policy::Policy;
use proptest::prelude::*;
use serde_json::Value;

const SAMPLES: &[&str] = &[
    "jane.doe@example.com",
    "4111 1111 1111 1111",
    "5555-5555-5555-4444",
    "DE89 3704 0044 0532 0130 00",
    "+44 20 7946 0958",
    "123-45-6789",
    "192.168.10.20",
    "AB 12 34 56 C",
    "AKIA2E0A8F3B244C9986",
    "４１１１１１１１１１１１１１１１",
    "jane\u{200B}@example.com",
];

const KEYS: &[&str] = &[
    "email",
    "name",
    "firstName",
    "product",
    "items",
    "note",
    "address",
    "x",
    "id",
    "dob",
    "card",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<String>().prop_map(Value::String),
        (0..SAMPLES.len(), any::<String>(), any::<String>())
            .prop_map(|(i, a, b)| Value::String(format!("{a} {} {b}", SAMPLES[i]))),
        (0..SAMPLES.len()).prop_map(|i| Value::String(SAMPLES[i].to_string())),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        Just(Value::from(4111111111111111u64)),
    ]
}

fn doc() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(((0..KEYS.len()).prop_map(|i| KEYS[i].to_string()), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn engine(strategy: &str) -> Engine {
    let cfg = format!(
        r#"{{"version":1,"default":{{"request":{{"actions":{{"*":"redact"}},"strategies":{{"*":{strategy}}}}}}}}}"#
    );
    Engine::new(
        Policy::from_json(cfg.as_bytes()).unwrap(),
        piiguard::redact::Hasher::new(b"k", None),
    )
    .unwrap()
}

proptest! {
    // PROPTEST_CASES raises the count (a longer search than CI's)
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn redacted_json_is_valid_and_clean(v in doc(), pretty in any::<bool>(), strategy in 0usize..5) {
        let strategies = ["\"tag\"", "\"mask\"", "{\"partial\":{\"keep_last\":4}}", "\"hash\"", "\"remove\""];
        let e = engine(strategies[strategy]);
        let route = &e.policy.default;
        let input = if pretty { serde_json::to_vec_pretty(&v).unwrap() } else { serde_json::to_vec(&v).unwrap() };
        let mut s = Scratch::default();
        let r = e.inspect_body(route, Direction::Request, Some("application/json"), &input, &mut s);
        let out = r.body.clone().unwrap_or(input.clone());
        let parsed: Result<Value, _> = serde_json::from_slice(&out);
        prop_assert!(parsed.is_ok(), "invalid JSON: {}", String::from_utf8_lossy(&out));
        // nothing detected is left
        let again = e.inspect_body(route, Direction::Request, Some("application/json"), &out, &mut s);
        // (field-name findings come from the key, so they are found again by design)
        let left: Vec<_> = again.inspection.findings.iter().filter(|f| !f.detector.ends_with("_field")).collect();
        prop_assert!(left.is_empty(), "left after redaction: {:?}\n{}", left, String::from_utf8_lossy(&out));
        for sample in SAMPLES {
            prop_assert!(!String::from_utf8_lossy(&out).contains(sample), "{sample} survived");
        }
        if r.inspection.findings.is_empty() {
            prop_assert!(r.body.is_none(), "clean input must not be rewritten");
        }
    }
}

/// A field-class finding (the `email` key) over a value that also holds a card
/// number (a pattern finding): found once by proptest. Every strategy, both layouts.
#[test]
fn field_class_and_pattern_overlap_leave_nothing() {
    let strategies = [
        "\"tag\"",
        "\"mask\"",
        "{\"partial\":{\"keep_last\":4}}",
        "\"hash\"",
        "\"remove\"",
    ];
    let docs = [
        r#"{"email":{"email":"@ 4111 1111 1111 1111 Σ"}}"#,
        r#"{"email":"x@4111111111111111.com"}"#,
        r#"{"note":"jane@4111111111111111.com"}"#,
        r#"{"note":"jane@4111-1111-1111-1111.example.com"}"#,
        r#"{"email":"Quispe@ home 4111 1111 1111 1111"}"#,
        r#"{"email":"jane@[192.168.10.20]"}"#,
        r#"{"name":"Quispe 4111 1111 1111 1111"}"#,
        r#"{"email":"4111 1111 1111 1111@example.com"}"#,
        r#"{"note":"+44 20 7946 0958@example.com"}"#,
        r#"{"product":[" jane.doe@example.com ¹ΣA@ጒ¡.𑣿 "]}"#,
    ];
    for st in strategies {
        let e = engine(st);
        let route = &e.policy.default;
        for d in docs {
            let v: Value = serde_json::from_str(d).unwrap();
            for pretty in [false, true] {
                let input = if pretty {
                    serde_json::to_vec_pretty(&v).unwrap()
                } else {
                    serde_json::to_vec(&v).unwrap()
                };
                let mut s = Scratch::default();
                let r = e.inspect_body(route, Direction::Request, Some("application/json"), &input, &mut s);
                let out = r.body.clone().unwrap_or(input.clone());
                let text = String::from_utf8_lossy(&out).into_owned();
                assert!(
                    serde_json::from_slice::<Value>(&out).is_ok(),
                    "{st}: invalid JSON {text}"
                );
                let again = e.inspect_body(route, Direction::Request, Some("application/json"), &out, &mut s);
                let left: Vec<_> = again
                    .inspection
                    .findings
                    .iter()
                    .filter(|f| !f.detector.ends_with("_field"))
                    .collect();
                assert!(left.is_empty(), "{st}: left {left:?} in {text} from {d}");
                for sample in SAMPLES {
                    assert!(!text.contains(sample), "{st}: {sample} survived in {text}");
                }
                assert!(
                    !text.contains("4111111111111111") && !text.contains("192.168"),
                    "{st}: {text}"
                );
            }
        }
    }
}
