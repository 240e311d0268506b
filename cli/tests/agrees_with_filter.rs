//! What the CLI says is what the filter does: the case table's rows that a
//! command line can express (a method, a path with its query, a content
//! type and a body, in either direction) run through `piiguard scan` and,
//! natively, through the filter's `Flow` (`piiguard::testing::run_native`,
//! the runner that `filter/tests/cases.rs` checks against the table and
//! that Envoy agrees with in `integration-tests/tests/cases.rs`). Status,
//! decision, findings, the body that leaves and the block reply must match.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use piiguard::engine::Engine;
use piiguard::testing::{cases_dir, engine_for, load_cases, run_native, Loaded, Runner};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::rc::Rc;

fn cli(args: &[String], stdin: &[u8]) -> (i32, Vec<u8>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_piiguard"))
        .args(args)
        .env_remove("PIIGUARD_HASH_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Only content type and length: everything else a command line cannot send.
fn plain_headers(h: &[(String, String)]) -> bool {
    h.iter()
        .all(|(k, _)| k.eq_ignore_ascii_case("content-type") || k.eq_ignore_ascii_case("content-length"))
}

fn content_type(h: &[(String, String)]) -> Option<String> {
    h.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.clone())
}

/// The direction the CLI scans for this row, if a command line can express it.
fn direction(l: &Loaded) -> Option<&'static str> {
    let c = &l.case;
    if c.only == Some(Runner::Envoy)
        || !plain_headers(&c.request.headers.pairs())
        || !c.request.trailers.pairs().is_empty()
        || c.env.keys().any(|k| k != "PIIGUARD_HASH_KEY")
    {
        return None;
    }
    match &c.response {
        None => Some("request"),
        // (a command line gives no response trailers)
        Some(r)
            if r.status == 200
                && plain_headers(&r.headers.pairs())
                && r.trailers.pairs().is_empty()
                && c.request.body().ok()?.is_empty() =>
        {
            Some("response")
        }
        Some(_) => None,
    }
}

/// `(direction, detector, location, count, action)`, sorted.
type Row = (String, String, String, u64, String);

fn audit_rows(audit: &Option<serde_json::Value>) -> Vec<Row> {
    let mut out = Vec::new();
    let Some(a) = audit else { return out };
    for d in ["request", "response"] {
        for f in a[d]["findings"].as_array().into_iter().flatten() {
            out.push((
                d.to_string(),
                f["detector"].as_str().unwrap_or("").to_string(),
                f["location"].as_str().unwrap_or("").to_string(),
                f["count"].as_u64().unwrap_or(0),
                f["action"].as_str().unwrap_or("").to_string(),
            ));
        }
    }
    out.sort();
    out
}

/// At most 200 characters of a body, for failure messages.
fn short(b: &[u8]) -> String {
    String::from_utf8_lossy(b).chars().take(200).collect()
}

fn without_request_id(b: &[u8]) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(b).unwrap_or(serde_json::Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.remove("request_id");
    }
    v
}

#[test]
fn cli_scan_agrees_with_the_filter_on_the_case_table() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("agrees-with-filter");
    std::fs::create_dir_all(&dir).unwrap();
    let cases = load_cases(&cases_dir()).unwrap();
    let mut failures = Vec::new();
    // Each CLI run compiles the policy afresh (a second or so in a debug
    // build on a busy machine): the table's rows are sampled, per file, the
    // first of each decision (blocked, redacted, logged, ...) and every response row.
    let mut engines: BTreeMap<String, Rc<Engine>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    let mut rows = Vec::new();
    for (n, l) in cases.iter().enumerate() {
        let Some(dir_name) = direction(l) else { continue };
        let engine = Rc::clone(
            engines
                .entry(l.group.clone())
                .or_insert_with(|| Rc::new(engine_for(l).unwrap())),
        );
        let (obs, host) = run_native(l, &engine).unwrap();
        // The filter's overall decision, from its own request counter.
        let decision = host
            .counters
            .keys()
            .find_map(|k| {
                k.strip_suffix(";.;piiguard_requests_total")
                    .and_then(|k| k.rsplit_once("decision=.="))
                    .map(|(_, d)| d.to_string())
            })
            .unwrap_or_default();
        if seen.insert((l.file.clone(), decision.clone())) || dir_name == "response" {
            rows.push((n, l, dir_name, obs, decision));
        }
    }
    let (mut ran, mut blocked, mut redacted, mut responses) = (0, 0, 0, 0);
    for (n, l, dir_name, obs, decision) in rows {
        ran += 1;
        let fail = |what: String| format!("{}: {what}", l.id());

        let policy = dir.join(format!("{n}.json"));
        std::fs::write(&policy, &l.policy).unwrap();
        let (msg, sent) = match dir_name {
            "request" => (&l.case.request.headers, l.case.request.body().unwrap()),
            _ => {
                let r = l.case.response.as_ref().unwrap();
                (&r.headers, r.body().unwrap())
            }
        };
        let mut args: Vec<String> = [
            "scan",
            "--policy",
            policy.to_str().unwrap(),
            "--path",
            &l.case.request.path,
            "--method",
            &l.case.request.method,
            "--host",
            "localhost",
            "--envoy-route",
            "demo-all",
            "--cluster",
            "demo_upstream",
            "--connection",
            "plaintext",
            "--direction",
            dir_name,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if let Some(ct) = content_type(&msg.pairs()) {
            args.push(format!("--content-type={ct}"));
        }
        if let Some(k) = l.case.env.get("PIIGUARD_HASH_KEY") {
            args.push(format!("--hash-key={k}"));
        }
        let (code, body, err) = cli(&args, &sent);
        args.push("--json".into());
        let (jcode, json, jerr) = cli(&args, &sent);
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&json) else {
            failures.push(fail(format!("--json: {} {jerr}", short(&json))));
            continue;
        };
        if code != jcode {
            failures.push(fail(format!("exit {code} plain, {jcode} with --json")));
        }
        let want_code = match decision.as_str() {
            "blocked" => 3,
            "redacted" => 2,
            _ => 0,
        };
        if code != want_code {
            failures.push(fail(format!("exit {code}, filter decided {decision} ({err})")));
        }
        if v["decision"] != decision.as_str() {
            failures.push(fail(format!("decision {}, filter {decision}", v["decision"])));
        }
        let status = v["status"].as_u64().unwrap_or(200);
        if status != u64::from(l.case.expect.status) || status != u64::from(obs.status) {
            failures.push(fail(format!(
                "status {status}, table {}, filter {}",
                l.case.expect.status, obs.status
            )));
        }
        // Findings: what the filter's audit record lists (nothing when it wrote none).
        let mut got: Vec<Row> = v["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                (
                    f["direction"].as_str().unwrap_or("").to_string(),
                    f["detector"].as_str().unwrap_or("").to_string(),
                    f["location"].as_str().unwrap_or("").to_string(),
                    f["count"].as_u64().unwrap_or(0),
                    f["action"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        got.sort();
        let want = audit_rows(&obs.audit);
        if got != want {
            failures.push(fail(format!("findings {got:?}, filter {want:?}")));
        }
        // What leaves: the block reply, or the body as the other side receives it.
        if status != 200 {
            blocked += 1;
            if without_request_id(&body) != without_request_id(&obs.client_body) {
                failures.push(fail(format!(
                    "reply {:?}, filter {:?}",
                    short(&body),
                    short(&obs.client_body)
                )));
            }
        } else {
            let left = match dir_name {
                "request" => obs.upstream.as_ref().map(|u| u.body.clone()).unwrap_or_default(),
                _ => obs.client_body.clone(),
            };
            if body != left {
                failures.push(fail(format!("body {:?}, filter {:?}", short(&body), short(&left))));
            }
        }
        redacted += usize::from(decision == "redacted");
        responses += usize::from(dir_name == "response");
        // The CLI never prints a value the table marks as one.
        for c in &l.case.canaries {
            let all = format!(
                "{}{err}{}{jerr}",
                String::from_utf8_lossy(&body),
                String::from_utf8_lossy(&json)
            );
            if all.contains(c.as_str()) {
                failures.push(fail(format!("canary {c:?} in the CLI's output")));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} rows disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The rows cover blocks, redactions and the response direction.
    assert!(
        ran >= 15 && blocked >= 5 && redacted >= 5 && responses >= 3,
        "ran {ran} rows: {blocked} blocked, {redacted} redacted, {responses} responses"
    );
    eprintln!("{ran} rows agree: {blocked} blocked, {redacted} redacted, {responses} responses");
}
