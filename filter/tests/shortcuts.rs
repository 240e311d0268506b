//! The engine's shortcuts (the per-document key table and clean-key
//! memory, the escape gate of JSON scalars, ...) change nothing: on real
//! bodies (every case-table body with its policy, the prose corpus, the
//! benchmark inputs, crafted documents) and on generated ones, the engine
//! finds, decides and writes exactly what `Engine::reference()` (the same
//! engine without shortcuts) does.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use piiguard::detect::Scratch;
use piiguard::engine::{BodyResult, Direction, Engine};
use piiguard::policy::Policy;
use piiguard::testing::{engine_for, load_cases};
use proptest::prelude::*;

#[path = "../benches/inputs.rs"]
mod inputs;

fn pair(policy: &str, hash_key: Option<&[u8]>) -> (Engine, Engine) {
    let make = || {
        Engine::new(
            Policy::from_json(policy.as_bytes()).unwrap(),
            hash_key.and_then(|k| piiguard::redact::Hasher::new(k, None)),
        )
        .unwrap()
    };
    (make(), make().reference())
}

/// Every route of both engines, both directions: the same result.
fn same(fast: &Engine, slow: &Engine, ct: Option<&str>, body: &[u8]) -> Result<(), String> {
    let mut s1 = Scratch::default();
    let mut s2 = Scratch::default();
    let routes = fast.policy.routes.iter().chain([&fast.policy.default]);
    let slow_routes: Vec<_> = slow.policy.routes.iter().chain([&slow.policy.default]).collect();
    for (i, route) in routes.enumerate() {
        for d in [Direction::Request, Direction::Response] {
            let a = fast.inspect_body(route, d, ct, body, &mut s1);
            let b = slow.inspect_body(slow_routes[i], d, ct, body, &mut s2);
            if let Some(e) = differ(&a, &b) {
                return Err(format!(
                    "route {i} {d:?} {ct:?}: {e}\nbody: {}",
                    String::from_utf8_lossy(&body[..body.len().min(400)])
                ));
            }
        }
    }
    Ok(())
}

fn differ(a: &BodyResult, b: &BodyResult) -> Option<String> {
    if a.inspection.findings != b.inspection.findings {
        return Some(format!(
            "findings differ:\n fast {:?}\n reference {:?}",
            a.inspection.findings, b.inspection.findings
        ));
    }
    if a.inspection.uninspected != b.inspection.uninspected {
        return Some(format!(
            "uninspected differ: {:?} / {:?}",
            a.inspection.uninspected, b.inspection.uninspected
        ));
    }
    if a.body != b.body {
        let s = |b: &Option<Vec<u8>>| b.as_ref().map(|b| String::from_utf8_lossy(b).into_owned());
        return Some(format!(
            "bodies differ:\n fast {:?}\n reference {:?}",
            s(&a.body),
            s(&b.body)
        ));
    }
    None
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn case_table_bodies_read_alike() {
    let cases = load_cases(&piiguard::testing::cases_dir()).unwrap();
    let mut failures = Vec::new();
    let mut bodies = 0;
    let mut done = std::collections::HashSet::new();
    let mut engines: std::collections::HashMap<String, Option<(Engine, Engine)>> = std::collections::HashMap::new();
    for l in &cases {
        let built = engines
            .entry(l.group.clone())
            .or_insert_with(|| match (engine_for(l), engine_for(l)) {
                (Ok(fast), Ok(slow)) => Some((fast, slow.reference())),
                _ => None,
            });
        let Some((fast, slow)) = built.as_ref() else {
            continue;
        };
        let mut msgs: Vec<(Option<String>, Vec<u8>)> = Vec::new();
        let req = l.case.request.headers.pairs();
        msgs.push((
            header(&req, "content-type").map(str::to_string),
            l.case.request.body().unwrap(),
        ));
        if let Some(r) = &l.case.response {
            let h = r.headers.pairs();
            msgs.push((header(&h, "content-type").map(str::to_string), r.body().unwrap()));
        }
        for (ct, body) in msgs {
            if body.is_empty()
                || !done.insert((l.policy.clone(), format!("{:?}", l.case.env), ct.clone(), body.clone()))
            {
                continue;
            }
            bodies += 1;
            // as labelled, and as JSON whatever the label says
            let json = ct.as_deref().is_some_and(|c| c.contains("json"));
            for ct in [ct.as_deref(), Some("application/json")]
                .into_iter()
                .take(if json { 1 } else { 2 })
            {
                if let Err(e) = same(fast, slow, ct, &body) {
                    failures.push(format!("{}: {e}", l.id()));
                }
            }
        }
    }
    assert!(bodies >= 100, "only {bodies} bodies");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

const REDACT_ALL: &str =
    r#"{"version":1,"default":{"request":{"actions":{"*":"redact"}},"response":{"actions":{"*":"log"}}}}"#;
const PATHS: &str = r#"{"version":1,"default":{"request":{"actions":{"*":"redact"},"strategies":{"*":"remove","email":"mask"},
  "paths":{"$.items[*].secret":"redact","$.items[*].public":"allow","$.items[*].x.token":"block"}}}}"#;

fn policies() -> Vec<(Engine, Engine)> {
    vec![
        pair(REDACT_ALL, None),
        pair(PATHS, None),
        pair(
            r#"{"version":1,"default":{"request":{"actions":{"*":"redact"},"strategies":{"*":"hash"}}}}"#,
            Some(b"k"),
        ),
    ]
}

#[test]
fn benchmark_inputs_and_prose_read_alike() {
    let engines = policies();
    let mut bodies: Vec<(&str, Vec<u8>)> = inputs::cases(16 * 1024).into_iter().map(|(_, ct, b)| (ct, b)).collect();
    for f in [
        "positives.txt",
        "negatives.txt",
        "heldout_positives.txt",
        "heldout_negatives.txt",
        "clean_text.txt",
    ] {
        let path = format!("{}/tests/data/prose/{f}", env!("CARGO_MANIFEST_DIR"));
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let docs: Vec<&str> = text.split("\n===\n").collect();
        bodies.push(("text/plain", text.as_bytes().to_vec()));
        // the same documents as values of an array of objects (keys repeat)
        let items: Vec<serde_json::Value> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| serde_json::json!({"id": i, "note": d, "name": d.lines().next(), "customer": {"name": d}}))
            .collect();
        bodies.push(("application/json", serde_json::to_vec(&items).unwrap()));
    }
    assert!(bodies.len() >= 8);
    for (fast, slow) in &engines {
        for (ct, b) in &bodies {
            same(fast, slow, Some(ct), b).unwrap();
        }
    }
}

/// Documents built to trip a key memory: the same key clean here and
/// personal there (by its context), escaped spellings of one key, keys
/// whose hashes the attacker can make collide, more distinct keys than the
/// table holds, escapes in some values of a key and not in others.
#[test]
fn crafted_documents_read_alike() {
    let mut docs: Vec<String> = vec![
        r#"{"product":{"name":"Widget"},"customer":{"name":"Jane Doe"},"product":{"name":"Jane Doe"}}"#.into(),
        r#"[{"e\u006dail":"x","email":"jane@example.com"},{"email":"x","e\u006dail":"jane@example.com"}]"#.into(),
        r#"[{"note":"plain"},{"note":"jane%40example.com"},{"note":"jane&#64;example.com"},{"note":"jane\u0040example.com"}]"#.into(),
        r#"{"jane@example.com":1,"a":{"jane@example.com":2},"b":[{"jane@example.com":3}]}"#.into(),
        r#"{"items":[{"secret":"s","public":"jane@example.com","x":{"token":"t"}},{"secret":"s2","public":"p"}]}"#.into(),
        r#"{"items":[{"secret":"s"}],"other":{"secret":"jane@example.com","name":"Jane Doe"}}"#.into(),
        // values only their decoded view shows (the escape gate must not skip them)
        r#"[{"a":"clean","b":"%34111111111111111"},{"a":"&#52;111111111111111","b":"x"},{"a":"411111111111111&#49;"}]"#.into(),
    ];
    let mut many = String::from("[");
    for i in 0..700 {
        let v = if i % 7 == 0 { "jane@example.com" } else { "ok" };
        many.push_str(&format!(
            r#"{{"f{i}":"{v}","email":"{v}","k{}":{{"name":"Jane Doe"}}}},"#,
            i % 300
        ));
    }
    many.push_str("{}]");
    docs.push(many);
    // FNV-1a collisions are easy to make; the table must not care
    let mut collide = String::from("{");
    for i in 0..64u32 {
        collide.push_str(&format!(r#""k{i:04}":"4111 1111 1111 1111","#));
    }
    collide.push_str(r#""z":1}"#);
    docs.push(collide);
    // The clean-value memory (`engine::CleanValues`): a value kept clean
    // once, then under a field that classifies it, under a path rule, as a
    // number, escaped, inside embedded JSON, inside a base64 token; more
    // distinct values than it holds, then the same again.
    docs.extend(
        [
            r#"[{"product":"Widget Steel"},{"firstName":"Widget Steel"},{"product":"Widget Steel"}]"#,
            r#"[{"a":"555 0199"},{"phone":"555 0199"},{"tel":555},{"a":555},{"phone":555}]"#,
            r#"[{"items":[{"note":"s3cr3t-42"},{"secret":"s3cr3t-42"},{"public":"s3cr3t-42"},{"x":{"token":"s3cr3t-42"}}]}]"#,
            r#"[{"a":"12345"},{"a":12345},{"b":"12345"},{"b":1.2345e4},{"b":12345}]"#,
            r#"[{"a":"xAy"},{"a":"xAy"},{"a":"x%41y"},{"a":"x%41y"},{"b":"xAy"}]"#,
            r#"[{"a":"W-1"},{"b":"{"a":"W-1","email":"W-1"}"},{"a":"W-1"}]"#,
            r#"[{"a":"am9obkBleGFtcGxlLmNvbQ=="},{"a":"am9obkBleGFtcGxlLmNvbQ=="},{"c":"x am9obkBleGFtcGxlLmNvbQ== y"}]"#,
            r#"[{"a":"jane@example.com"},{"a":"jane@example.com"},{"a":"4111 1111 1111 1111"},{"a":"4111 1111 1111 1111"}]"#,
        ]
        .map(String::from),
    );
    // The same memory with hits (a string searched once per document, its
    // hits decided again at each occurrence): found values repeated under
    // keys with and without a field class, under path rules, escaped, in
    // base64 (decoded, so never remembered), as markup or GraphQL under a
    // field key and then outside one (read as a nested document there),
    // with text around them, more hits than the memory holds.
    docs.extend(
        [
            r#"[{"name":"Jane Doe"},{"note":"Jane Doe"},{"lastName":"Jane Doe"},{"name":"Jane Doe"},{"x":"Jane Doe"}]"#,
            r#"[{"a":"4111 1111 1111 1111"},{"card":"4111 1111 1111 1111"},{"surname":"4111 1111 1111 1111"},{"a":"4111 1111 1111 1111"}]"#,
            r#"[{"surname":"Quispe jane@example.com"},{"a":"Quispe jane@example.com"},{"surname":"Quispe jane@example.com"},{"a":"Quispe jane@example.com"}]"#,
            r#"[{"email":"x"},{"note":"x"},{"email":"x"},{"a":"x"},{"lastName":" "},{"a":" "},{"lastName":" "}]"#,
            r#"[{"lastName":"<surname>Quispe</surname>"},{"a":"<surname>Quispe</surname>"},{"lastName":"<surname>Quispe</surname>"}]"#,
            r#"[{"surname":"<p>Quispe</p>"},{"a":"<p>Quispe</p>"},{"b":"<p>Quispe</p>"},{"surname":"<p>Quispe</p>"}]"#,
            r#"[{"lastName":"<n>jane@example.com</n>"},{"a":"<n>jane@example.com</n>"},{"lastName":"<n>jane@example.com</n>"}]"#,
            r#"[{"lastName":"query { user(email: "jane@example.com") { id } }"},{"a":"query { user(email: "jane@example.com") { id } }"}]"#,
            r#"[{"a":"jane@example.com"},{"a":"jane@example.com"},{"surname":"jane@example.com"},{"a":"jane@example.com"}]"#,
            r#"[{"a":"am9obkBleGFtcGxlLmNvbQ== Jane Doe"},{"surname":"am9obkBleGFtcGxlLmNvbQ== Jane Doe"},{"a":"am9obkBleGFtcGxlLmNvbQ== Jane Doe"}]"#,
            r#"{"items":[{"secret":"jane@example.com","public":"jane@example.com","note":"jane@example.com"},{"public":"jane@example.com","secret":"jane@example.com"}]}"#,
            r#"[{"a":"jane@example.com"},{"a":"jane@example.com","b":{"a":"jane@example.com"}},{"b":"{"a":"jane@example.com"}"},{"a":"jane@example.com"}]"#,
            r#"[{"a":"call +44 20 7946 0958 or jane@example.com, card 4111 1111 1111 1111"},{"phone":"call +44 20 7946 0958 or jane@example.com, card 4111 1111 1111 1111"},{"a":"call +44 20 7946 0958 or jane@example.com, card 4111 1111 1111 1111"}]"#,
        ]
        .map(String::from),
    );
    let mut hits = String::from("[");
    for round in 0..3 {
        for i in 0..300 {
            let key = ["a", "email", "surname"][(i + round) % 3];
            hits.push_str(&format!(
                r#"{{"{key}":"jane{i}@example.com and 4111 1111 1111 1111, Jane Doe {}","n":{i}}},"#,
                i % 5
            ));
        }
    }
    hits.push_str("{}]");
    docs.push(hits);
    let mut full = String::from("[");
    for round in 0..2 {
        for i in 0..1200 {
            let v = if i % 97 == 0 {
                "4111111111111111".to_string()
            } else {
                format!("item {i}")
            };
            full.push_str(&format!(r#"{{"r":{round},"v":"{v}","n":{i}}},"#));
        }
    }
    full.push_str("{}]");
    docs.push(full);
    for (fast, slow) in &policies() {
        for d in &docs {
            same(fast, slow, Some("application/json"), d.as_bytes()).unwrap();
        }
    }
}

const KEYS: &[&str] = &[
    "email",
    "e\\u006dail",
    "name",
    "firstName",
    "product",
    "customer",
    "items",
    "note",
    "secret",
    "public",
    "token",
    "jane@example.com",
    "x",
];

const VALUES: &[&str] = &[
    "jane.doe@example.com",
    "jane%40example.com",
    "jane&#64;example.com",
    "jane\\u0040example.com",
    "4111 1111 1111 1111",
    "DE89 3704 0044 0532 0130 00",
    "+44 20 7946 0958",
    "Jane Doe",
    "Widget",
    "am9obkBleGFtcGxlLmNvbSBpcyBoZXJl",
    "123e4567-e89b-12d3-a456-426614174000",
    "",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        (0..VALUES.len()).prop_map(|i| format!("\"{}\"", VALUES[i])),
        (0..VALUES.len(), "[a-z %&#;@.0-9]{0,12}").prop_map(|(i, s)| format!("\"{s} {} {s}\"", VALUES[i])),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("4111111111111111".to_string()),
        Just("true".to_string()),
    ]
}

fn doc() -> impl Strategy<Value = String> {
    value().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(((0..KEYS.len()), inner), 0..6).prop_map(|kv| {
                let m: Vec<String> = kv.iter().map(|(k, v)| format!("\"{}\":{v}", KEYS[*k])).collect();
                format!("{{{}}}", m.join(","))
            }),
        ]
    })
}

thread_local! {
    static ENGINES: Vec<(Engine, Engine)> = policies();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn generated_documents_read_alike(d in doc(), n in 1usize..4) {
        // the document repeated in an array: every key occurs again
        let body = format!("[{}]", vec![d.as_str(); n].join(","));
        let r = ENGINES.with(|engines| {
            engines
                .iter()
                .try_for_each(|(fast, slow)| same(fast, slow, Some("application/json"), body.as_bytes()))
        });
        prop_assert!(r.is_ok(), "{}", r.err().unwrap_or_default());
    }
}

/// Past `MAX_FINDINGS` distinct entries, locations fold to `kind:*` (matched
/// without building the folded name): an entry already named `form:*` (a
/// key no location can show) takes the folded counts.
#[test]
fn folded_locations_count_where_they_did() {
    let (fast, _) = pair(REDACT_ALL, None);
    let mut form = String::from("%2A=jane%40example.com&");
    for i in 0..100 {
        form.push_str(&format!("email{i}=jane%40example.com&"));
    }
    let r = fast.inspect_body(
        &fast.policy.default,
        Direction::Request,
        Some("application/x-www-form-urlencoded"),
        form.as_bytes(),
        &mut Scratch::default(),
    );
    let f = &r.inspection.findings;
    let max = piiguard::engine::MAX_FINDINGS;
    assert_eq!(f.len(), max, "{f:?}");
    assert_eq!(f[0].location, "form:*");
    assert_eq!(f[0].count, 1 + (100 - (max - 1)) as u32);
    for (i, x) in f.iter().enumerate().skip(1) {
        assert_eq!(x.location, format!("form:email{}", i - 1));
        assert_eq!(x.count, 1);
    }
}
