//! The case table (`filter/tests/cases/*.json`, format in its README) run in
//! a real Envoy: one Envoy per policy (and VM environment), in front of a
//! recording upstream that gives each case's response and records what it
//! received. The same table runs natively in `filter/tests/cases.rs`.

use integration_tests::recording::{Canned, Recorder};
use integration_tests::*;
use piiguard::testing::{check, load_cases, upstream_response, Loaded, Observed, Protocol, Runner, Seen};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

fn send(l: &Loaded, proto: Protocol, port: u16) -> Result<Response, String> {
    let r = &l.case.request;
    let body = r.body()?;
    let mut headers: Vec<(String, String)> = r.headers.pairs();
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("x-request-id")) {
        headers.push(("x-request-id".into(), l.request_id.clone()));
    }
    let hs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    match proto {
        Protocol::Http1 => match r.chunk {
            Some(n) if !body.is_empty() => request_chunked(port, &r.method, &r.path, &hs, &body, n),
            _ => request(
                port,
                &r.method,
                &r.path,
                &hs,
                (!body.is_empty()).then_some(body.as_slice()),
            ),
        }
        .map_err(|e| format!("http1: {e}")),
        Protocol::H2 => {
            let chunks: Vec<&[u8]> = match r.chunk {
                Some(n) => body.chunks(n.max(1)).collect(),
                None if body.is_empty() => Vec::new(),
                None => vec![body.as_slice()],
            };
            let trailers = r.trailers.pairs();
            let ts: Vec<(&str, &str)> = trailers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            h2_request(port, &r.method, &r.path, &hs, &chunks, &ts).map_err(|e| format!("h2: {e}"))
        }
    }
}

/// Runs one policy group in one Envoy; returns failures.
fn run_group(cases: &[Loaded], rec: &Recorder) -> Vec<String> {
    let first = &cases[0];
    let env: Vec<(&str, &str)> = first.case.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let name = format!("cases-{}", cases[0].file.trim_end_matches(".json"));
    let envoy = Envoy::start_with(&name, Some(&first.policy), rec.port, &env, &|_| {});
    let mut fails = Vec::new();
    // (case with its per-protocol request id, protocol, observation)
    let mut runs: Vec<(Loaded, Protocol, Observed)> = Vec::new();
    for l in cases {
        for (i, proto) in l.protocols().into_iter().enumerate() {
            let mut l = l.clone();
            if i > 0 {
                l.request_id = l.request_id.replacen("-8000-", &format!("-{:04x}-", 0x8000 + i), 1);
            }
            let a = match upstream_response(&l) {
                Ok(r) => r,
                Err(e) => {
                    fails.push(format!("{}: {e}", l.id()));
                    continue;
                }
            };
            rec.respond_with(Canned {
                status: a.status,
                headers: a.headers,
                body: a.body,
                chunk: a.chunk,
            });
            let _ = rec.take();
            let resp = send(&l, proto, envoy.port);
            let got = rec.take();
            let mut obs = Observed::default();
            match resp {
                Ok(r) => {
                    obs.status = r.status;
                    obs.client_headers = r.headers.clone();
                    obs.client_body = r.body.clone();
                }
                Err(e) => {
                    // A reset: no status. The checks below still run.
                    obs.status = 0;
                    obs.client_body = e.into_bytes();
                }
            }
            if got.len() > 1 {
                fails.push(format!(
                    "{} ({proto:?}): the upstream got {} requests",
                    l.id(),
                    got.len()
                ));
            }
            obs.upstream = got.into_iter().next().map(|g| Seen {
                path: g.path,
                headers: g.headers,
                body: g.body,
            });
            // Envoy answers a refused gRPC request as gRPC (200 and a non-zero
            // grpc-status): the refusal the case expects, if nothing went upstream.
            let grpc = l
                .case
                .request
                .headers
                .pairs()
                .iter()
                .any(|(k, v)| k.eq_ignore_ascii_case("content-type") && v.starts_with("application/grpc"));
            let grpc_refused = obs
                .client_headers
                .iter()
                .any(|(k, v)| k.eq_ignore_ascii_case("grpc-status") && v != "0");
            if grpc && obs.status == 200 && grpc_refused && obs.upstream.is_none() && l.case.expect.status >= 400 {
                obs.status = l.case.expect.status;
            }
            runs.push((l, proto, obs));
        }
    }
    // Audit records: wait for every case that expects one, then match by request id.
    let want: Vec<String> = runs
        .iter()
        .filter(|(l, _, _)| l.case.expect.audit.is_some() || l.case.expect.audit_written == Some(true))
        .map(|(l, _, _)| l.request_id.clone())
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut by_id: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    loop {
        by_id.clear();
        for rec in envoy.audit(0) {
            if let Some(id) = rec["request_id"].as_str() {
                by_id.insert(id.to_string(), rec.clone());
            }
        }
        if want.iter().all(|id| by_id.contains_key(id)) || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let log = envoy.log();
    for (l, proto, mut obs) in runs {
        obs.audit = by_id.get(&l.request_id).cloned();
        obs.logs = log.clone();
        for e in check(&l, &obs) {
            fails.push(format!("{} ({proto:?}): {e}", l.id()));
        }
    }
    fails
}

#[test]
fn case_table_in_envoy() {
    let cases = load_cases(&piiguard::testing::cases_dir()).unwrap_or_else(|e| panic!("case table: {e}"));
    let mut groups: BTreeMap<String, Vec<Loaded>> = BTreeMap::new();
    for l in cases {
        if l.case.only == Some(Runner::Native) {
            continue;
        }
        groups.entry(l.group.clone()).or_default().push(l);
    }
    let rec = Recorder::start();
    let mut fails = Vec::new();
    let mut n = 0;
    for cases in groups.values() {
        n += cases.len();
        fails.extend(run_group(cases, &rec));
    }
    assert!(n >= 20, "the case table shrank to {n} cases");
    assert!(
        fails.is_empty(),
        "{} failures in {n} cases:\n{}",
        fails.len(),
        fails.join("\n")
    );
}
