//! `config::parse` reads the configuration with one schema-driven reader
//! (`config/read.rs`), not serde's derived `Deserialize`, which the
//! `testing` feature keeps as the reference. `config_paths.rs` compares the
//! errors (with their paths) on broken copies of the shipped policies; this
//! file compares what is read — the whole `Config`, or the error's message,
//! line and column — on a document that sets every member the JSON Schema
//! names, every enum variant in every place an enum is read (as a string and
//! in serde's `{"variant": ...}` form), structs written as arrays, and
//! wrong values of every kind in every place.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use piiguard::config::{self, Config};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The derive's reading (serde_json alone, then the version check), as
/// `(Debug of the Config)` or `(message, line, column)`.
fn reference(text: &str) -> Result<String, (String, Option<usize>, Option<usize>)> {
    match serde_json::from_str::<Config>(text) {
        Ok(c) if c.version != 1 => Err((
            format!("unsupported version {} (this build reads version 1)", c.version),
            None,
            None,
        )),
        Ok(c) => Ok(format!("{c:?}")),
        Err(e) => {
            let m = e.to_string();
            let m = m.rfind(" at line ").map_or(m.clone(), |i| m[..i].to_string());
            Err((m, Some(e.line()), Some(e.column())))
        }
    }
}

fn ours(text: &str) -> Result<String, (String, Option<usize>, Option<usize>)> {
    config::parse(text.as_bytes())
        .map(|c| format!("{c:?}"))
        .map_err(|e| (e.message, e.line, e.column))
}

fn same(text: &str) -> bool {
    let (got, want) = (ours(text), reference(text));
    assert_eq!(got, want, "{text}");
    got.is_ok()
}

/// Every member of every type set (no value equal to its default), the
/// `RequireTls` and `PathRuleConfig` forms both used. (Small: debug
/// serde_json reads it ~10,000 times; every variant is put in every place.)
fn full() -> Value {
    let direction = |n: usize| {
        json!({
            "actions": {"*": "redact", "email": "block"},
            "strategies": {"email": "tag", "payment_card": {"partial": {"keep_last": n}}},
            "paths": {"$.a": "block", "$.b[*].c": {"action": "redact", "strategy": {"partial": {"keep_last": 2}},
                      "category": "secret"}},
            "headers": false,
            "query": false,
            "body": false,
            "skip_headers": ["x-trace", "x-b3"]
        })
    };
    let route = |name: &str, basis: &str, tls: Value| {
        json!({
            "name": name,
            "match": {"route_name": "r", "hosts": ["a.example", "*.b.example"], "path_exact": "/x",
                      "path_prefix": "/api/", "path_regex": "/v[0-9]+/.*", "ignore_case": false,
                      "methods": ["GET", "POST"], "peers": ["spiffe://cluster.local/ns/a/sa/*"],
                      "peers_not": true, "clusters": ["outbound|80||x"]},
            "shadow": true,
            "request": direction(3),
            "response": direction(5),
            "on_oversize": "allow",
            "on_uninspectable": "log",
            "on_stream": "allow",
            "block_status": 451,
            "purpose": "billing",
            "legal_basis": basis,
            "retention": "30d",
            "without_consent": {"action": "redact", "categories": ["email", "contact"]},
            "require_tls": tls,
            "region": "EU"
        })
    };
    json!({
        "$schema": "https://example/schema.json",
        "version": 1,
        "policy_version": "p-7",
        "limits": {"max_body_bytes": 4096, "max_json_depth": 16},
        "detectors": {
            "disabled": ["ipv4", "contact"],
            "custom": [
                {"id": "emp", "category": "hr", "pattern": "EMP-[0-9]{4}", "validator": "luhn", "fields": ["emp_id"]},
                {"id": "acct", "category": "finance", "pattern": "AC[0-9]{6}"}
            ]
        },
        "routes": [
            route("a", "consent", json!({"on": "upstream", "clusters": ["outbound|*||*.svc"]})),
            route("b", "contract", json!(false))
        ],
        "default": route("default", "consent", json!(false)),
        "subject": {
            "sources": [{"header": "x-user"}, {"jwt_claim": "sub"}],
            "header": "x-subject",
            "verified_payload_key": "jwt_payload"
        },
        "audit": {"mode": "all", "log": true, "attributes": true},
        "consent": {
            "jwt_claim": "consents",
            "header": "x-consent",
            "objections": [{"subject": "s1", "purposes": ["marketing"]}],
            "restricted": ["s2"]
        },
        "hold_headers": true
    })
}

fn schema() -> Value {
    let t = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schema/piiguard-config.schema.json"
    ))
    .unwrap();
    serde_json::from_str(&t).unwrap()
}

fn keys(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                out.insert(k.clone());
                keys(c, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|c| keys(c, out)),
        _ => {}
    }
}

/// Every member name and every enum variant the schema knows.
fn schema_names() -> (BTreeSet<String>, BTreeSet<String>) {
    let s = schema();
    let mut members = BTreeSet::new();
    let mut variants = BTreeSet::new();
    let mut defs: Vec<&Value> = s["$defs"].as_object().unwrap().values().collect();
    defs.push(&s);
    for d in defs {
        if let Some(p) = d.get("properties").and_then(Value::as_object) {
            members.extend(p.keys().cloned());
        }
        for e in d.get("enum").and_then(Value::as_array).into_iter().flatten() {
            variants.insert(e.as_str().unwrap().to_string());
        }
        for alt in d.get("oneOf").and_then(Value::as_array).into_iter().flatten() {
            if let Some(c) = alt.get("const").and_then(Value::as_str) {
                variants.insert(c.to_string());
            }
            if let Some(p) = alt.get("properties").and_then(Value::as_object) {
                if d.get("properties").is_none() && p.len() == 1 {
                    variants.extend(p.keys().cloned());
                }
            }
        }
    }
    (members, variants)
}

#[test]
fn the_full_document_sets_every_member_the_schema_names() {
    let doc = full();
    let (members, variants) = schema_names();
    let mut used = BTreeSet::new();
    keys(&doc, &mut used);
    let missing: Vec<_> = members.difference(&used).collect();
    assert!(missing.is_empty(), "members not set in full(): {missing:?}");
    assert!(
        members.len() > 60 && variants.len() > 25,
        "{} {}",
        members.len(),
        variants.len()
    );
    // and it is read, identically
    assert!(same(&doc.to_string()));
    assert!(same(&serde_json::to_string_pretty(&doc).unwrap()));
}

/// Every place in `v`, as a path of keys and indices.
fn places(v: &Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                at.push(Step::Key(k.clone()));
                places(c, at, out);
                at.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                at.push(Step::Index(i));
                places(c, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn at<'a>(v: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(v, |v, s| match s {
        Step::Key(k) => &mut v[k.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

/// Values put in every place: wrong kinds, structs as arrays, enums in
/// serde's object form (right and wrong), every variant the schema names.
fn replacements() -> Vec<String> {
    let mut out: Vec<String> = [
        "7",
        "-1",
        "0",
        "70000",
        "4294967296",
        "1.5",
        "\"x\"",
        "\"\"",
        "true",
        "false",
        "null",
        "[]",
        "{}",
        "[1]",
        "[null]",
        "[\"x\"]",
        "[true]",
        "[[]]",
        "[{}]",
        "[null,null]",
        "[1,2,3]",
        "[\"redact\"]",
        "[\"EMAIL\",\"contact\"]",
        "[{\"header\":\"h\"}]",
        "[\"header\"]",
        "{\"a\":1}",
        "{\"on\":\"mesh\"}",
        "{\"on\":\"mesh\",\"on\":\"mesh\"}",
        "{\"action\":\"block\"}",
        "{\"action\":\"block\",\"strategy\":\"tag\"}",
        "{\"redact\":null}",
        "{\"redact\":1}",
        "{\"redact\":null,\"log\":null}",
        "{\"tag\":null}",
        "{\"partial\":{}}",
        "{\"partial\":{\"keep_last\":1}}",
        "{\"partial\":[2]}",
        "{\"partial\":null}",
        "{\"header\":\"h\"}",
        "{\"header\":1}",
        "{\"zz\":null}",
        "\"\\u00e9\"",
    ]
    .map(str::to_string)
    .to_vec();
    let (_, variants) = schema_names();
    out.extend(variants.iter().map(|v| format!("{v:?}")));
    out
}

#[test]
fn every_place_every_value_reads_as_the_derive_reads_it() {
    let doc = full();
    let mut all = Vec::new();
    places(&doc, &mut Vec::new(), &mut all);
    // one place per member of a type and shape of value (the six routes and
    // the two directions repeat each other; debug serde_json is slow)
    let mut seen = BTreeSet::new();
    all.retain(|p| {
        let mut d = doc.clone();
        let shape = match at(&mut d, p) {
            Value::Object(m) => format!("o{}", m.len()),
            Value::Array(a) => format!("a{}", a.len()),
            v => format!("{:?}", std::mem::discriminant(v)),
        };
        let key: Vec<String> = p
            .iter()
            .map(|s| match s {
                Step::Key(k) => k.clone(),
                Step::Index(_) => "*".into(),
            })
            .filter(|k| k != "request" && k != "response")
            .collect();
        seen.insert((key, shape))
    });
    let mut checked = 0;
    let mut accepted = 0;
    let mut refused = BTreeSet::new();
    let (_, variants) = schema_names();
    // the variants the full document uses (keys: the `{"variant": ...}` forms)
    assert!(same(&doc.to_string()));
    let mut read = BTreeSet::new();
    keys(&doc, &mut read);
    let mut stack = vec![&doc];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => stack.extend(m.values()),
            Value::Array(a) => stack.extend(a.iter()),
            Value::String(s) => {
                read.insert(s.clone());
            }
            _ => {}
        }
    }
    for place in &all {
        for r in replacements() {
            let mut d = doc.clone();
            *at(&mut d, place) = serde_json::from_str(&r).unwrap();
            let text = d.to_string();
            if same(&text) {
                accepted += 1;
                read.insert(r.trim_matches('"').to_string());
            } else if let Err((m, ..)) = ours(&text) {
                refused.insert(m.split('`').next().unwrap_or_default().to_string());
            }
            checked += 1;
        }
        // the member dropped (a required one is missing)
        if let Some((Step::Key(k), parent)) = place.split_last() {
            let mut d = doc.clone();
            if let Value::Object(m) = at(&mut d, parent) {
                m.remove(k);
            }
            same(&d.to_string());
            checked += 1;
        }
    }
    // both kinds of outcome happened, many times, for many reasons
    assert!(checked > 5_000, "{checked}");
    assert!(accepted > 1_000, "{accepted} of {checked}");
    assert!(refused.len() >= 8, "{refused:?}");
    // every variant the schema names was read somewhere
    let unread: Vec<_> = variants.difference(&read).collect();
    assert!(unread.is_empty(), "{unread:?}");
}

/// Objects written as arrays of their members in declaration order, short
/// arrays (defaults, or `invalid length` for a required member), and the
/// text-level forms a `Value` cannot hold (duplicate keys, keys that are
/// not strings, trailing text).
#[test]
fn text_forms_read_as_the_derive_reads_them() {
    let cases = [
        r#"{"version":1,"limits":[5]}"#,
        r#"{"version":1,"limits":[5,6]}"#,
        r#"{"version":1,"limits":[5,6,7]}"#,
        r#"{"version":1,"limits":[]}"#,
        r#"[null,1]"#,
        r#"[null]"#,
        r#"[]"#,
        r#"[null,1,"p",[1,2],[["a"],[]],[],null,null,["all",true,false],[null,null,[],[]],true]"#,
        r#"{"version":1,"detectors":{"custom":[["i","c","p","luhn",["f"]]]}}"#,
        r#"{"version":1,"detectors":{"custom":[["i","c"]]}}"#,
        r#"{"version":1,"routes":[["a",["r",["h"]],true]]}"#,
        r#"{"version":1,"routes":[{"require_tls":["mesh"]}]}"#,
        r#"{"version":1,"routes":[{"without_consent":["block"]}]}"#,
        r#"{"version":1,"routes":[{"without_consent":[]}]}"#,
        r#"{"version":1,"routes":[{"request":{"paths":{"$.a":["block"]}}}]}"#,
        r#"{"version":1,"routes":[{"request":{"strategies":{"*":{"partial":[9]}}}}]}"#,
        r#"{"version":1,"routes":[{"request":{"actions":{"*":"log","*":"block"}}}]}"#,
        r#"{"version":1,"routes":[{"request":{"actions":{"*":{1:null}}}}]}"#,
        r#"{"version":1,"routes":[{"request":{"actions":{"*":{"redact":null} }}}]}"#,
        r#"{"version":1,"routes":[{"request":{"actions":{"*":{"redact" : null , "x":1}}}}]}"#,
        r#"{"version":1,"routes":[{"name":"a","name":"b"}]}"#,
        r#"{"version":1,"subject":{"sources":[{"header":"a","cookie":"b"}]}}"#,
        r#"{"version":1,"subject":{"sources":[]},"subject":null}"#,
        r#"{"version":1,"consent":{"objections":[["s",["p"]]]}}"#,
        r#"{"version":1,"consent":{"objections":[["s"]]}}"#,
        r#"{"version":1,"audit":{"mode":{"all":null}}}"#,
        r#"{"version":2}"#,
        r#"{"version":1} "#,
        r#"{"version":1}]"#,
        r#"{"version":1,}"#,
        r#"{"version":1,"limits":[5,]}"#,
        r#"{"version":1,"limits":{"max_body_bytes":18446744073709551615}}"#,
        r#"{"version":1,"limits":{"max_body_bytes":1e3}}"#,
        r#"{"version":1,"routes":[{"block_status":65536}]}"#,
        r#"{"version":1,"routes":[{"require_tls":true}]}"#,
        r#"{"version":1,"routes":[{"require_tls":"mesh"}]}"#,
        r#"{"version":1,"routes":[{"require_tls":{"on":"mesh","zz":1}}]}"#,
        r#"{"version":1,"routes":[{"require_tls":{}}]}"#,
        "{\"version\":1,\"routes\":[{\"name\":\"\\ud800\"}]}",
        "{\"version\":1,\"routes\":[{\"na\\u006de\":\"x\"}]}",
    ];
    for c in cases {
        same(c);
    }
}

/// The shipped policies read the same, value for value.
#[test]
fn shipped_policies_read_the_same() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut n = 0;
    for dir in ["filter/tests/cases/policies", "examples"] {
        for e in std::fs::read_dir(format!("{root}/{dir}")).unwrap().flatten() {
            if e.path().extension().is_some_and(|x| x == "json") {
                let t = std::fs::read_to_string(e.path()).unwrap();
                if same(&t) {
                    n += 1;
                }
            }
        }
    }
    assert!(n >= 8, "{n} policies read");
}
