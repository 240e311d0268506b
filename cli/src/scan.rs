//! `scan` and `explain`: the payload goes through the filter's own state
//! machine (`piiguard::flow::Flow`) over the in-memory host, exactly as
//! Envoy drives it — headers, body, the response, the end of the stream —
//! so what the CLI prints is what the filter does: the same route, the same
//! findings (path, query and headers included), the same rewritten body and
//! the same block reply (`audit::block_reply`, written by the flow).

use crate::{check, outln, Conn, Dir, ScanArgs, EXIT_BLOCKED, EXIT_INVALID, EXIT_REDACTED};
use piiguard::engine::{Direction, Engine};
use piiguard::policy::{Policy, RequestInfo};
use piiguard::redact::Hasher;
use piiguard::testing::{exchange, flow, Forwarded, MemoryHost, Sent};
use std::io::{Read, Write};
use std::rc::Rc;

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The policy as the filter would load it; with `--route`, the named route
/// alone (as the default), so the flow cannot resolve any other.
fn load_policy(o: &ScanArgs) -> Result<Result<Policy, String>, String> {
    let input = check::read_inputs(std::slice::from_ref(&o.policy))?
        .into_iter()
        .next()
        .ok_or("no policy")?;
    let e = check::configs_in(&input)?
        .found
        .into_iter()
        .next()
        .ok_or_else(|| format!("{}: no piiguard configuration found", o.policy))?;
    let mut policy = match Policy::from_json(e.json.as_bytes()) {
        Ok(p) => p,
        Err(err) => return Ok(Err(check::describe(&input, &e, &err))),
    };
    if let Some(name) = &o.route {
        if let Some(i) = policy.routes.iter().position(|r| &r.name == name) {
            policy.default = policy.routes.remove(i);
        } else if &policy.default.name != name {
            return Err(format!("no route named {name:?}"));
        }
        policy.routes.clear();
    }
    Ok(Ok(policy))
}

pub(crate) fn scan(o: &ScanArgs, explain: bool) -> Result<u8, String> {
    let policy = match load_policy(o)? {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("{msg}");
            return Ok(EXIT_INVALID);
        }
    };
    let hasher = o.hash_key.as_deref().and_then(|k| Hasher::new(k.as_bytes(), None));
    let engine = Rc::new(Engine::new(policy, hasher).map_err(|e| e.to_string())?);
    let mut body = Vec::new();
    match o.input.as_deref() {
        Some(p) if p != "-" => body = std::fs::read(p).map_err(|e| format!("{p}: {e}"))?,
        _ => {
            std::io::stdin()
                .lock()
                .read_to_end(&mut body)
                .map_err(|e| format!("stdin: {e}"))?;
        }
    }
    let direction = match o.direction {
        Dir::Request => Direction::Request,
        Dir::Response => Direction::Response,
    };
    let method = o.method.to_ascii_uppercase();

    // The host: what Envoy would tell the filter about this request.
    let mut host = MemoryHost::new();
    fn text(s: &Option<String>) -> Option<&[u8]> {
        s.as_deref().filter(|s| !s.is_empty()).map(str::as_bytes)
    }
    for (path, value) in [
        (&["xds", "route_name"][..], text(&o.envoy_route)),
        (&["connection", "uri_san_peer_certificate"][..], text(&o.peer)),
        (&["xds", "cluster_name"][..], text(&o.cluster)),
    ] {
        if let Some(v) = value {
            host = host.with_property(path, v);
        }
    }
    if o.connection != Conn::Plaintext {
        host = host.with_property(&["connection", "tls_version"], b"TLSv1.3");
    }
    host = host.with_property(&["connection", "mtls"], &[u8::from(o.connection == Conn::Mtls)]);

    let with_body = |mut h: Vec<(String, String)>, b: &[u8]| {
        if let Some(ct) = &o.content_type {
            h.push(("content-type".into(), ct.clone()));
        }
        if !b.is_empty() {
            h.push(("content-length".into(), b.len().to_string()));
        }
        Sent::new(h, b, None)
    };
    let base = pairs(&[
        (":authority", &o.host),
        (":path", &o.path),
        (":method", &method),
        (
            ":scheme",
            if o.connection == Conn::Plaintext {
                "http"
            } else {
                "https"
            },
        ),
    ]);
    let (request, response_body) = match direction {
        Direction::Request => (with_body(base, &body), Vec::new()),
        Direction::Response => (Sent::new(base, &[], None), body.clone()),
    };
    let respond = |_: &Forwarded| match direction {
        Direction::Request => Sent::new(pairs(&[(":status", "200")]), &[], None),
        Direction::Response => with_body(pairs(&[(":status", "200")]), &response_body),
    };
    let mut f = flow(&engine);
    let ex = exchange(&mut f, &mut host, &request, &respond);
    let record = f.record(&host);
    let decision = record.decision;

    // What leaves the filter in the scanned direction: the local reply when
    // it sent one, else the (rewritten) body.
    let reply = host.replies.last();
    let out: Option<&[u8]> = match (reply, direction) {
        (Some(r), _) => Some(&r.body),
        (None, _) if ex.reset => None,
        (None, Direction::Request) => ex.upstream.as_ref().map(|u| u.body.as_slice()),
        (None, Direction::Response) => Some(&ex.client.body),
    };
    let findings: Vec<(Direction, &piiguard::engine::Finding)> = [Direction::Request, Direction::Response]
        .into_iter()
        .flat_map(|d| f.inspection(d).findings.iter().map(move |x| (d, x)))
        .collect();
    let uninspected = f.inspection(direction).uninspected.as_ref().map(|u| u.to_string());

    if explain {
        let policy = &engine.policy;
        outln!("route: {}", record.route);
        match &o.route {
            Some(_) => outln!("  chosen with --route"),
            None => {
                let info = RequestInfo {
                    route_name: o.envoy_route.clone(),
                    authority: o.host.clone(),
                    path: piiguard::urlpath::path_part(&o.path).to_string(),
                    method: method.clone(),
                    method_overrides: Vec::new(),
                    peer: o.peer.clone(),
                    cluster: o.cluster.clone(),
                };
                let (_, why) = policy.explain_route(&info);
                for (name, reason) in &why {
                    outln!("  skipped {name}: {reason}");
                }
                if record.route == policy.default.name {
                    outln!("  no route matched: default");
                } else {
                    outln!("  matched {}", record.route);
                }
            }
        }
        if record.shadow {
            outln!("  shadow: actions are reported, only logged");
        }
        if let Some(c) = record.consent {
            outln!("consent: {}", c.as_str());
        }
        outln!("direction: {}", direction.as_str());
        if findings.is_empty() {
            outln!("findings: none");
        }
        for (d, x) in &findings {
            let side = if *d == direction {
                String::new()
            } else {
                format!(" ({})", d.as_str())
            };
            outln!(
                "finding: {} ({}) at {}{side} x{} -> {} by {}",
                x.detector,
                x.category,
                x.location,
                x.count,
                x.action.as_str(),
                x.rule
            );
        }
        if let Some(u) = &uninspected {
            outln!("not inspected: {u}");
        }
        if let Some(r) = reply {
            outln!("reply: {} {}", r.status, String::from_utf8_lossy(&r.body));
        }
        if ex.reset {
            outln!("reset: the stream was reset");
        }
        outln!("decision: {decision}");
    } else if o.json {
        let list: Vec<serde_json::Value> = findings
            .iter()
            .map(|(d, x)| {
                serde_json::json!({"direction": d.as_str(), "detector": x.detector, "category": x.category,
                    "location": x.location, "count": x.count, "action": x.action.as_str(), "rule": x.rule})
            })
            .collect();
        let v = serde_json::json!({
            "route": record.route,
            "direction": direction.as_str(),
            "decision": decision,
            "status": reply.map(|r| r.status),
            "findings": list,
            "uninspected": uninspected,
        });
        outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        if let Some(b) = out {
            let mut stdout = std::io::stdout().lock();
            if stdout.write_all(b).and_then(|_| stdout.flush()).is_err() {
                std::process::exit(0);
            }
        }
        if reply.is_some() && out.is_some_and(|b| !b.ends_with(b"\n")) {
            outln!("");
        }
        if ex.reset {
            eprintln!("the filter reset the stream: nothing left it");
        }
        for (d, x) in &findings {
            let side = if *d == direction { "" } else { d.as_str() };
            eprintln!(
                "{}\t{}\t{}\tx{}\t{}{}{side}",
                x.detector,
                x.category,
                x.location,
                x.count,
                x.action.as_str(),
                if side.is_empty() { "" } else { "\t" },
            );
        }
    }
    Ok(match decision {
        "blocked" => EXIT_BLOCKED,
        "redacted" => EXIT_REDACTED,
        _ => 0,
    })
}
