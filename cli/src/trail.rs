//! Reading the audit trail back: one subject's record of processing, and
//! breach scoping. Input: JSON lines as the access log writes them (lines of
//! Envoy's own log with `piiguard-audit: {...}` work too).

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

struct Args {
    flags: BTreeMap<String, String>,
    json: bool,
    files: Vec<String>,
}

fn parse(args: &[String], with_value: &[&str]) -> Result<Args, String> {
    let mut a = Args {
        flags: BTreeMap::new(),
        json: false,
        files: Vec::new(),
    };
    let mut i = 0;
    while i < args.len() {
        let s = args[i].as_str();
        if s == "--json" {
            a.json = true;
        } else if let Some(name) = s.strip_prefix("--") {
            if !with_value.contains(&name) {
                return Err(format!("unknown option {s}"));
            }
            i += 1;
            let v = args.get(i).ok_or_else(|| format!("{s} needs a value"))?;
            a.flags.insert(name.to_string(), v.clone());
        } else {
            a.files.push(s.to_string());
        }
        i += 1;
    }
    if a.files.is_empty() {
        return Err("give the audit trail file(s) (JSON lines), or - for stdin".into());
    }
    Ok(a)
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
pub fn trail(args: &[String]) -> Result<u8, String> {
    let a = parse(args, &["subject", "id", "key"])?;
    let subject = match (a.flags.get("subject"), a.flags.get("id")) {
        (Some(p), _) => p.clone(),
        (None, Some(raw)) => {
            let key = a
                .flags
                .get("key")
                .cloned()
                .or_else(|| std::env::var("PIIGUARD_HASH_KEY").ok())
                .ok_or("--id needs --key (or PIIGUARD_HASH_KEY)")?;
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
        n += 1;
        let ts = r.get("ts_ms").and_then(|t| t.as_u64()).unwrap_or(0);
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
                    "category": cat, "requests": f.requests, "values": f.values, "first_ms": f.first, "last_ms": f.last, "decisions": f.decisions})
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"subject": subject, "requests": n, "flows": list}))
                .unwrap_or_default()
        );
    } else {
        println!("subject {subject}: {n} requests");
        println!(
            "{:<22} {:<16} {:<16} {:<18} {:<9} {:<15} {:>5} {:>6}  {:<13} {:<13}  decisions",
            "service",
            "route",
            "purpose",
            "recipient",
            "direction",
            "category",
            "reqs",
            "values",
            "first_ms",
            "last_ms"
        );
        for ((svc, route, purpose, rcpt, dir, cat), f) in &flows {
            let d: Vec<String> = f.decisions.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            println!(
                "{svc:<22} {route:<16} {purpose:<16} {rcpt:<18} {dir:<9} {cat:<15} {:>5} {:>6}  {:<13} {:<13}  {}",
                f.requests,
                f.values,
                f.first,
                f.last,
                d.join(",")
            );
        }
    }
    Ok(0)
}

/// Which subjects and categories flowed through a route or to a recipient in
/// a time window.
pub fn breach(args: &[String]) -> Result<u8, String> {
    let a = parse(args, &["route", "recipient", "host", "since", "until"])?;
    let since: u64 = a
        .flags
        .get("since")
        .map(|v| v.parse().map_err(|_| "--since: milliseconds since the epoch"))
        .transpose()?
        .unwrap_or(0);
    let until: u64 = a
        .flags
        .get("until")
        .map(|v| v.parse().map_err(|_| "--until: milliseconds since the epoch"))
        .transpose()?
        .unwrap_or(u64::MAX);
    let mut subjects: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut requests = 0;
    for r in records(&a.files)? {
        let ts = r.get("ts_ms").and_then(|t| t.as_u64()).unwrap_or(0);
        let m = |k: &str, flag: &str| a.flags.get(flag).is_none_or(|want| s(&r, k) == *want);
        if ts < since || ts > until || !m("route", "route") || !m("recipient", "recipient") || !m("authority", "host") {
            continue;
        }
        requests += 1;
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
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"requests": requests, "subjects": subjects}))
                .unwrap_or_default()
        );
    } else {
        println!("{requests} requests, {} subjects", subjects.len());
        for (subj, cats) in &subjects {
            let c: Vec<String> = cats.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            println!("{subj:<24} {}", c.join(", "));
        }
    }
    Ok(0)
}
