//! Reading the audit trail back: one subject's record of processing, and
//! breach scoping. Input: JSON lines as the access log writes them (lines of
//! Envoy's own log with `piiguard-audit: {...}` work too).

use crate::time::iso;
use crate::{outln, BreachArgs, TrailArgs};
use piiguard::redact::{subject_pseudonym, Hasher};
use std::collections::BTreeMap;

fn records(files: &[String]) -> Result<Vec<serde_json::Value>, String> {
    let mut out = Vec::new();
    for f in files {
        let text = if f == "-" {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map_err(|e| format!("stdin: {e}"))?;
            s
        } else {
            std::fs::read_to_string(f).map_err(|e| format!("{f}: {e}"))?
        };
        for line in text.lines() {
            let Some(i) = line.find('{') else { continue };
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line[i..]) {
                if v.get("piiguard").is_some() {
                    out.push(v);
                }
            }
        }
    }
    Ok(out)
}

#[derive(Default)]
struct Flow {
    requests: u64,
    values: u64,
    first: u64,
    last: u64,
    decisions: BTreeMap<String, u64>,
}

fn s(v: &serde_json::Value, k: &str) -> String {
    v.get(k).and_then(|x| x.as_str()).unwrap_or("-").to_string()
}

/// One subject's record: grouped by service (authority), route, purpose,
/// recipient and category.
pub fn trail(a: &TrailArgs) -> Result<u8, String> {
    let (since, until) = a.window.bounds()?;
    let subject = match (&a.subject, &a.id) {
        (Some(p), _) => p.clone(),
        (None, Some(raw)) => {
            let key = a.key.clone().ok_or("--id needs --key (or PIIGUARD_HASH_KEY)")?;
            let h = Hasher::new(key.as_bytes(), None).ok_or("empty key")?;
            subject_pseudonym(&h, raw)
        }
        _ => return Err("trail needs --subject PSEUDONYM or --id RAW --key KEY".into()),
    };
    let mut flows: BTreeMap<(String, String, String, String, String, String), Flow> = BTreeMap::new();
    let mut n = 0;
    for r in records(&a.files)?
        .iter()
        .filter(|r| r.get("subject").and_then(|s| s.as_str()) == Some(subject.as_str()))
    {
        let ts = r.get("ts_ms").and_then(|t| t.as_u64()).unwrap_or(0);
        if ts < since || ts > until {
            continue;
        }
        n += 1;
        let base = (
            s(r, "authority"),
            s(r, "route"),
            s(r, "purpose"),
            r.get("recipient").and_then(|x| x.as_str()).unwrap_or("-").to_string(),
        );
        let mut cats: BTreeMap<(String, String), u64> = BTreeMap::new();
        for dir in ["request", "response"] {
            for f in r[dir]["findings"].as_array().cloned().unwrap_or_default() {
                *cats.entry((dir.to_string(), s(&f, "category"))).or_default() += f["count"].as_u64().unwrap_or(1);
            }
        }
        if cats.is_empty() {
            cats.insert(("-".into(), "-".into()), 0);
        }
        for ((dir, cat), count) in cats {
            let e = flows
                .entry((base.0.clone(), base.1.clone(), base.2.clone(), base.3.clone(), dir, cat))
                .or_default();
            e.requests += 1;
            e.values += count;
            e.first = if e.first == 0 { ts } else { e.first.min(ts) };
            e.last = e.last.max(ts);
            *e.decisions.entry(s(r, "decision")).or_default() += 1;
        }
    }
    if a.json {
        let list: Vec<serde_json::Value> = flows
            .iter()
            .map(|((svc, route, purpose, rcpt, dir, cat), f)| {
                serde_json::json!({"service": svc, "route": route, "purpose": purpose, "recipient": rcpt, "direction": dir,
                    "category": cat, "requests": f.requests, "values": f.values, "first": iso(f.first), "last": iso(f.last),
                    "first_ms": f.first, "last_ms": f.last, "decisions": f.decisions})
            })
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"subject": subject, "requests": n, "flows": list}))
                .unwrap_or_default()
        );
    } else {
        outln!("subject {subject}: {n} requests");
        outln!(
            "{:<22} {:<16} {:<16} {:<18} {:<9} {:<15} {:>5} {:>6}  {:<24} {:<24}  decisions",
            "service",
            "route",
            "purpose",
            "recipient",
            "direction",
            "category",
            "reqs",
            "values",
            "first",
            "last"
        );
        for ((svc, route, purpose, rcpt, dir, cat), f) in &flows {
            let d: Vec<String> = f.decisions.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            outln!(
                "{svc:<22} {route:<16} {purpose:<16} {rcpt:<18} {dir:<9} {cat:<15} {:>5} {:>6}  {:<24} {:<24}  {}",
                f.requests,
                f.values,
                iso(f.first),
                iso(f.last),
                d.join(",")
            );
        }
    }
    Ok(0)
}

/// Which subjects and categories flowed through a route or to a recipient in
/// a time window.
pub fn breach(a: &BreachArgs) -> Result<u8, String> {
    let (since, until) = a.window.bounds()?;
    let want = |r: &serde_json::Value, k: &str, flag: &Option<String>| flag.as_ref().is_none_or(|w| s(r, k) == *w);
    let mut subjects: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut requests = 0;
    let (mut first, mut last) = (None, None);
    for r in records(&a.files)? {
        let ts = r.get("ts_ms").and_then(|t| t.as_u64()).unwrap_or(0);
        if ts < since
            || ts > until
            || !want(&r, "route", &a.route)
            || !want(&r, "recipient", &a.recipient)
            || !want(&r, "authority", &a.host)
        {
            continue;
        }
        requests += 1;
        first = Some(first.map_or(ts, |f: u64| f.min(ts)));
        last = Some(last.map_or(ts, |l: u64| l.max(ts)));
        let subject = r
            .get("subject")
            .and_then(|x| x.as_str())
            .unwrap_or("(no subject)")
            .to_string();
        let e = subjects.entry(subject).or_default();
        for dir in ["request", "response"] {
            for f in r[dir]["findings"].as_array().cloned().unwrap_or_default() {
                if f["category"] != "uninspectable" {
                    *e.entry(s(&f, "category")).or_default() += f["count"].as_u64().unwrap_or(1);
                }
            }
        }
    }
    if a.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"requests": requests, "subjects": subjects,
                "first": first.map(iso), "last": last.map(iso)}))
            .unwrap_or_default()
        );
    } else {
        outln!("{requests} requests, {} subjects", subjects.len());
        if let (Some(f), Some(l)) = (first, last) {
            outln!("from {} to {}", iso(f), iso(l));
        }
        for (subj, cats) in &subjects {
            let c: Vec<String> = cats.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            outln!("{subj:<24} {}", c.join(", "));
        }
    }
    Ok(0)
}
