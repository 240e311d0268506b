//! `piiguard`: check a policy, scan a payload, explain each decision —
//! with the same engine the filter runs in Envoy.

use piiguard::config::{Action, ConfigError};
use piiguard::detect::Scratch;
use piiguard::engine::{Decision, Direction, Engine};
use piiguard::policy::{Policy, RequestInfo};
use piiguard::redact::Hasher;
use serde::Deserialize;
use std::io::{Read, Write};
use std::process::ExitCode;

mod trail;

const SCHEMA: &str = include_str!("../../schema/piiguard-config.schema.json");

const USAGE: &str = "usage:
  piiguard check FILE...                 validate policies (JSON, or YAML manifests with embedded configs)
  piiguard scan --policy FILE [OPTIONS] [INPUT|-]
  piiguard explain --policy FILE [OPTIONS] [INPUT|-]
  piiguard schema                        print the JSON Schema of the configuration
  piiguard trail (--subject PSEUDONYM | --id RAW [--key KEY]) [--json] AUDIT.jsonl...
                                         one subject's record of processing (art. 15, 30)
  piiguard breach [--route R] [--recipient CLUSTER] [--host H] [--since MS] [--until MS] [--json] AUDIT.jsonl...
                                         which subjects and categories flowed there (arts. 33-34)

options for scan/explain:
  --route NAME            use this config route (else matched from --path/--method/--host)
  --path /x  --method M  --host H  --envoy-route NAME  --peer spiffe://...
  --direction request|response   (default request)
  --content-type T        (default: sniffed)
  --json                  findings as JSON on stdout instead of the body
  --hash-key KEY          key for the `hash` strategy (else PIIGUARD_HASH_KEY)

exit codes: 0 allowed/logged/shadow, 2 redacted, 3 blocked, 4 invalid policy, 1 usage or I/O error";

const EXIT_REDACTED: u8 = 2;
const EXIT_BLOCKED: u8 = 3;
const EXIT_INVALID: u8 = 4;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let res = match args.first().map(String::as_str) {
        Some("check") => check(&args[1..]),
        Some("scan") => scan(&args[1..], false),
        Some("explain") => scan(&args[1..], true),
        Some("trail") => trail::trail(&args[1..]),
        Some("breach") => trail::breach(&args[1..]),
        Some("schema") => {
            println!("{SCHEMA}");
            Ok(0)
        }
        Some("-h") | Some("--help") | Some("help") => {
            println!("{USAGE}");
            Ok(0)
        }
        _ => Err(format!("unknown command\n{USAGE}")),
    };
    match res {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("piiguard: {e}");
            ExitCode::from(1)
        }
    }
}

/// A plugin configuration found in a file, with where it was found.
struct Embedded {
    origin: String,
    json: String,
    /// True when `json` is the whole file (line/column refer to it).
    whole_file: bool,
}

/// Finds plugin configurations: the file itself when it is JSON, else every
/// embedded one in YAML (Envoy `StringValue` configurations, Istio
/// WasmPlugin/TrafficExtension `pluginConfig`).
fn configs_in(path: &str) -> Result<Vec<Embedded>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    if path.ends_with(".json") || text.trim_start().starts_with('{') {
        return Ok(vec![Embedded {
            origin: path.to_string(),
            json: text,
            whole_file: true,
        }]);
    }
    let mut out = Vec::new();
    for (i, doc) in serde_yaml::Deserializer::from_str(&text).enumerate() {
        let v = serde_yaml::Value::deserialize(doc).map_err(|e| format!("{path}: YAML: {e}"))?;
        let kind = v.get("kind").and_then(|k| k.as_str()).unwrap_or("").to_string();
        let origin = if kind.is_empty() {
            format!("{path}[doc {i}]")
        } else {
            format!("{path}[doc {i} {kind}]")
        };
        let json = serde_json::to_value(&v).map_err(|e| format!("{path}: {e}"))?;
        for (at, text) in piiguard::config::embedded_configs(&json) {
            out.push(Embedded {
                origin: format!("{origin} {at}"),
                json: text,
                whole_file: false,
            });
        }
    }
    Ok(out)
}

fn check(args: &[String]) -> Result<u8, String> {
    if args.is_empty() {
        return Err(format!("check needs a file\n{USAGE}"));
    }
    let mut bad = 0;
    for path in args {
        let found = configs_in(path)?;
        if found.is_empty() {
            eprintln!("{path}: no piiguard configuration found");
            bad += 1;
        }
        for e in found {
            match Policy::from_json(e.json.as_bytes()) {
                Ok(p) => println!(
                    "{}: ok ({} routes{})",
                    e.origin,
                    p.routes.len(),
                    p.version
                        .as_ref()
                        .map(|v| format!(", policy_version {v}"))
                        .unwrap_or_default()
                ),
                Err(err) => {
                    bad += 1;
                    println!("{}: error: {}", e.origin, describe(&err, e.whole_file));
                }
            }
        }
    }
    Ok(if bad > 0 { EXIT_INVALID } else { 0 })
}

fn describe(e: &ConfigError, whole_file: bool) -> String {
    match (e.line, e.column) {
        (Some(l), Some(c)) if whole_file => format!("{}: {} (line {l}, column {c})", e.path, e.message),
        (Some(l), Some(c)) => format!("{}: {} (line {l}, column {c} of the embedded JSON)", e.path, e.message),
        _ => format!("{}: {}", e.path, e.message),
    }
}

struct Opts {
    policy: Option<String>,
    route: Option<String>,
    info: RequestInfo,
    direction: Direction,
    content_type: Option<String>,
    json: bool,
    hash_key: Option<String>,
    input: Option<String>,
}

fn parse_opts(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts {
        policy: None,
        route: None,
        info: RequestInfo {
            route_name: None,
            authority: String::new(),
            path: "/".into(),
            method: "POST".into(),
            peer: None,
            cluster: None,
        },
        direction: Direction::Request,
        content_type: None,
        json: false,
        hash_key: std::env::var("PIIGUARD_HASH_KEY").ok(),
        input: None,
    };
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let mut val = || -> Result<String, String> {
            i += 1;
            args.get(i).cloned().ok_or_else(|| format!("{a} needs a value"))
        };
        match a {
            "--policy" => o.policy = Some(val()?),
            "--route" => o.route = Some(val()?),
            "--path" => o.info.path = val()?,
            "--method" => o.info.method = val()?.to_ascii_uppercase(),
            "--host" => o.info.authority = val()?,
            "--peer" => o.info.peer = Some(val()?),
            "--envoy-route" => o.info.route_name = Some(val()?),
            "--content-type" => o.content_type = Some(val()?),
            "--hash-key" => o.hash_key = Some(val()?),
            "--direction" => {
                o.direction = match val()?.as_str() {
                    "request" => Direction::Request,
                    "response" => Direction::Response,
                    d => return Err(format!("--direction must be request or response, not {d:?}")),
                }
            }
            "--json" => o.json = true,
            "-" => o.input = None,
            s if s.starts_with("--") => return Err(format!("unknown option {s}\n{USAGE}")),
            s => o.input = Some(s.to_string()),
        }
        i += 1;
    }
    Ok(o)
}

fn scan(args: &[String], explain: bool) -> Result<u8, String> {
    let o = parse_opts(args)?;
    let policy_path = o
        .policy
        .clone()
        .ok_or_else(|| format!("--policy is required\n{USAGE}"))?;
    let found = configs_in(&policy_path)?;
    let e = found
        .into_iter()
        .next()
        .ok_or_else(|| format!("{policy_path}: no piiguard configuration found"))?;
    let policy = match Policy::from_json(e.json.as_bytes()) {
        Ok(p) => p,
        Err(err) => {
            eprintln!("{}: error: {}", e.origin, describe(&err, e.whole_file));
            return Ok(EXIT_INVALID);
        }
    };
    let hasher = o.hash_key.as_deref().and_then(|k| Hasher::new(k.as_bytes(), None));
    let engine = Engine::new(policy, hasher).map_err(|e| e.to_string())?;
    let mut body = Vec::new();
    match &o.input {
        Some(p) => body = std::fs::read(p).map_err(|e| format!("{p}: {e}"))?,
        None => {
            std::io::stdin()
                .lock()
                .read_to_end(&mut body)
                .map_err(|e| format!("stdin: {e}"))?;
        }
    }
    let (route, why) = match &o.route {
        Some(name) => (
            engine
                .policy
                .route_by_name(name)
                .ok_or_else(|| format!("no route named {name:?}"))?,
            vec![],
        ),
        None => engine.policy.explain_route(&o.info),
    };
    let res = engine.inspect_body(
        route,
        o.direction,
        o.content_type.as_deref(),
        &body,
        &mut Scratch::default(),
    );
    let decision = res.inspection.decision(route.shadow);
    let mut out = std::io::stdout().lock();
    if explain {
        let _ = writeln!(out, "route: {}", route.name);
        match &o.route {
            Some(_) => {
                let _ = writeln!(out, "  chosen with --route");
            }
            None => {
                for (name, reason) in &why {
                    let _ = writeln!(out, "  skipped {name}: {reason}");
                }
                let _ = writeln!(
                    out,
                    "  {}",
                    if route.name == engine.policy.default.name {
                        "no route matched: default".to_string()
                    } else {
                        format!("matched {}", route.name)
                    }
                );
            }
        }
        if route.shadow {
            let _ = writeln!(out, "  shadow: actions are reported, only logged");
        }
        let _ = writeln!(out, "direction: {}", o.direction.as_str());
        if res.inspection.findings.is_empty() {
            let _ = writeln!(out, "findings: none");
        }
        for f in &res.inspection.findings {
            let _ = writeln!(
                out,
                "finding: {} ({}) at {} x{} -> {} by {}",
                f.detector,
                f.category,
                f.location,
                f.count,
                f.action.as_str(),
                f.rule
            );
        }
        if let Some(u) = &res.inspection.uninspected {
            let _ = writeln!(out, "not inspected: {u}");
        }
        let _ = writeln!(out, "decision: {}", decision.as_str());
    } else if o.json {
        let findings: Vec<serde_json::Value> = res
            .inspection
            .findings
            .iter()
            .map(|f| serde_json::json!({"detector": f.detector, "category": f.category, "location": f.location, "count": f.count, "action": f.action.as_str(), "rule": f.rule}))
            .collect();
        let v = serde_json::json!({"route": route.name, "direction": o.direction.as_str(), "decision": decision.as_str(), "findings": findings, "uninspected": res.inspection.uninspected});
        let _ = writeln!(out, "{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        if decision == Decision::Blocked {
            let v = serde_json::json!({"error": "personal_data_blocked", "direction": o.direction.as_str(), "categories": res.inspection.categories(Action::Block), "status": route.block_status});
            let _ = writeln!(out, "{v}");
        } else {
            let _ = out.write_all(res.body.as_deref().unwrap_or(&body));
        }
        for f in &res.inspection.findings {
            eprintln!(
                "{}\t{}\t{}\tx{}\t{}",
                f.detector,
                f.category,
                f.location,
                f.count,
                f.action.as_str()
            );
        }
    }
    Ok(match decision {
        Decision::Blocked => EXIT_BLOCKED,
        Decision::Redacted => EXIT_REDACTED,
        _ => 0,
    })
}
