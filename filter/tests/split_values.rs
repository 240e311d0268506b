//! Session 7 (d): a card split over JSON values, the elements of an array or
//! the values of sibling members (`{"c":["4111","1111","1111","1111"]}`,
//! `{"c1":"4111","c2":"1111",…}`), is found on a blocking or redacting route,
//! and a redaction replaces every part. Counter-rows: rows of numbers,
//! years, pixels, ids and a card-shaped run inside a longer row stay clean,
//! and no clean corpus holds a split card (`split_cards_in_clean_corpora`).
//! Session 8: halves (8-8) and runs down a column of an array of objects
//! (`[{"p":"4111"},{"p":"1111"},…]`) are read too. Session 9: other values
//! between the parts of one container, halves holding a space or a dash,
//! parts one level deeper (`{"a":{"x":"4111"},"b":{"x":"1111"},…}`).
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use piiguard::config::Action;
use piiguard::detect::Scratch;
use piiguard::engine::{Direction, Engine};
use piiguard::json::{self, Scalar, SplitCards, Verdict};
use piiguard::policy::Policy;

fn engine(action: &str) -> Engine {
    let p = format!(r#"{{"version":1,"default":{{"request":{{"actions":{{"*":"{action}"}}}}}}}}"#);
    Engine::new(Policy::from_json(p.as_bytes()).unwrap(), None).unwrap()
}

fn inspect(action: &str, body: &str) -> (Option<Action>, Vec<String>, Option<String>) {
    let e = engine(action);
    let r = e.inspect_body(
        &e.policy.default,
        Direction::Request,
        Some("application/json"),
        body.as_bytes(),
        &mut Scratch::default(),
    );
    let dets = r.inspection.findings.iter().map(|f| f.detector.clone()).collect();
    (
        r.inspection.max_action(),
        dets,
        r.body.map(|b| String::from_utf8_lossy(&b).into_owned()),
    )
}

const ATTACKS: &[&str] = &[
    r#"{"c":["4111","1111","1111","1111"]}"#,
    r#"{"c":[4111,1111,1111,1111]}"#,
    r#"{"c1":"4111","c2":"1111","c3":"1111","c4":"1111"}"#,
    r#"{"a":1,"card":{"p1":"4111","p2":"1111","p3":"1111","p4":"1111"},"b":"x"}"#,
    r#"{"c":[4,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}"#,
    r#"{"c":["4","1","1","1","1","1","1","1","1","1","1","1","1","1","1","1"]}"#,
    r#"{"amex":["3782","822463","10005"]}"#,
    r#"{"c":["411","111","111","111","111","1"]}"#,
    r#"{"c":["41","11","11","11","11","11","11","11"]}"#,
    r#"[{"note":"x"},{"c":["5555","5555","5555","4444"]}]"#,
    // session 8: halves, and down a column of an array of objects or arrays
    r#"{"a":"41111111","b":"11111111"}"#,
    r#"{"c":[41111111,11111111]}"#,
    r#"[{"p":"4111"},{"p":"1111"},{"p":"1111"},{"p":"1111"}]"#,
    r#"{"rows":[{"n":{"v":4111}},{"n":{"v":1111}},{"n":{"v":1111}},{"n":{"v":1111}}]}"#,
    r#"[["3782"],["822463"],["10005"]]"#,
    // session 9: other values between the parts of one object or array,
    // halves holding a space or a dash, parts one level deeper
    r#"{"a":"4111","x":"hello","b":"1111","c":"1111","d":"1111"}"#,
    r#"{"a":"4111","b":"1111","n":null,"c":"1111","t":true,"d":"1111"}"#,
    r#"["4111","x","1111","1111","1111"]"#,
    r#"{"a":"4111 1111","b":"1111 1111"}"#,
    r#"{"a":"4111-1111","note":"x","b":"1111-1111"}"#,
    r#"{"a":{"x":"4111"},"b":{"x":"1111"},"c":{"x":"1111"},"d":{"x":"1111"}}"#,
    r#"{"a":{"x":[4111]},"b":{"x":[1111]},"c":{"x":[1111]},"d":{"x":[1111]}}"#,
];

#[test]
fn split_cards_are_blocked() {
    for body in ATTACKS {
        let (a, dets, _) = inspect("block", body);
        assert_eq!(a, Some(Action::Block), "{body}");
        assert!(dets.iter().any(|d| d == "payment_card"), "{body}: {dets:?}");
    }
}

#[test]
fn every_part_is_redacted() {
    let body = r#"{"name":"x","c":["4111","1111","1111","1111"],"f":{"c1":4111,"c2":"1111","c3":"1111","c4":"1111"},"z":"ok"}"#;
    let (a, _, out) = inspect("redact", body);
    assert_eq!(a, Some(Action::Redact));
    let out = out.expect("rewritten");
    assert!(!out.contains("4111") && !out.contains("1111"), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(v["z"], "ok");
    assert_eq!(v["c"].as_array().map(Vec::len), Some(4), "{out}");
}

#[test]
fn rows_of_numbers_stay_clean() {
    for body in [
        r#"{"years":[2019,2020,2021,2022]}"#,
        r#"{"rgba":[255,0,12,7],"px":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}"#,
        r#"{"row":[1234,4111,1111,1111,1111]}"#,
        r#"{"row":["4111","1111","1111","1111","1111"]}"#,
        r#"{"c":["4111","1111","1111","1112"]}"#,
        r#"{"a":"4111","b":"1111","x":{"y":1},"c":"1111","d":"1111"}"#,
        r#"{"ids":["41111111","11111112"]}"#,
        r#"{"ids":["4111111","11111111"]}"#,
        r#"{"c":[{"p":"1234"},{"p":"4111"},{"p":"1111"},{"p":"1111"},{"p":"1111"}]}"#,
        r#"{"c":[{"p":"4111","q":"x"},{"p":"1111","q":"x"},{"p":"1111","q":"x"},{"p":"1111","q":"x"}]}"#,
        r#"{"c":[{"p":"4111"},{"q":"1111"},{"p":"1111"},{"p":"1111"}]}"#,
        r#"{"ports":[8080,8443,9090,9443],"codes":["0000","1234","5678","9012"]}"#,
        r#"{"v":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}"#,
        // session 9: joined over other values only in a card's printed
        // grouping, whole segments only; deeper parts in one column only
        r#"{"a":"411","x":"hi","b":"111","c":"111","d":"111","e":"111","f":"1"}"#,
        r#"{"n":"1234","a":"4111","x":"hi","b":"1111","c":"1111","d":"1111"}"#,
        r#"{"a":{"x":"4111"},"b":{"y":"1111"},"c":{"x":"1111"},"d":{"x":"1111"}}"#,
        r#"{"a":{"x":"4111","n":"hi"},"b":{"x":"1111","n":"hi"},"c":{"x":"1111","n":"hi"},"d":{"x":"1111","n":"hi"}}"#,
        r#"{"mon":"0900 1730","note":"closed","sat":"1000 1400"}"#,
    ] {
        let (a, dets, _) = inspect("block", body);
        assert_ne!(a, Some(Action::Block), "{body}: {dets:?}");
    }
}

/// Split cards found in a document (token starts of their parts).
fn split_in(doc: &[u8]) -> Option<usize> {
    fn no_fields(_: &piiguard::fields::Words) -> Option<piiguard::fields::FieldClass> {
        None
    }
    let opts = json::Options {
        max_depth: 128,
        track_members: false,
        keys: false,
        reference: false,
    };
    let mut sp = SplitCards::default();
    json::rewrite(doc, &opts, &no_fields, &mut |v, s, _| {
        let d = match &s {
            Scalar::Str(c) => Some(c.to_vec()),
            Scalar::Num(n) if !v.lenient => Some(n.to_vec()),
            _ => None,
        };
        sp.value(v.input, v.path, v.start, d.as_deref());
        Verdict::Keep
    })
    .ok()?;
    sp.finish();
    Some(sp.found.len())
}

/// Clean JSON: every JSON document of the case tables that is not an
/// attack row, and the public benchmark documents when `DETECTION_DATA`
/// (or `/tmp/perfw`) holds them: no split card in any. The attack rows
/// above are found by the same reading (the test can fail).
#[test]
fn split_cards_in_clean_corpora() {
    for a in ATTACKS {
        assert!(split_in(a.as_bytes()).unwrap_or(0) > 0, "{a}");
    }
    let mut docs: Vec<(String, Vec<u8>)> = Vec::new();
    let cases = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    for e in std::fs::read_dir(&cases).unwrap().flatten() {
        let p = e.path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("attacks") || p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        for c in v["cases"].as_array().into_iter().flatten() {
            for side in ["request", "response"] {
                if let Some(b) = c[side]["body"].as_str() {
                    docs.push((format!("{name}: {}", c["name"]), b.as_bytes().to_vec()));
                }
            }
        }
    }
    let mut public = 0;
    let dirs = [std::env::var("DETECTION_DATA").unwrap_or_default(), "/tmp/perfw".into()];
    for d in dirs.iter().filter(|d| !d.is_empty()) {
        for f in ["citm_catalog.json", "canada.json", "twitter.json"] {
            for p in [format!("{d}/{f}"), format!("{d}/json-benchmark/data/{f}")] {
                if let Ok(b) = std::fs::read(&p) {
                    public += 1;
                    docs.push((p, b));
                }
            }
        }
    }
    let mut json_docs = 0;
    for (name, d) in &docs {
        if let Some(n) = split_in(d) {
            json_docs += 1;
            assert_eq!(n, 0, "{name}");
        }
    }
    assert!(json_docs >= 40, "{json_docs} JSON documents read");
    eprintln!("{json_docs} clean JSON documents ({public} public benchmark files), no split card");
}
