//! Native profile of `Flow` per request shape (`piiguard::testing::shapes`,
//! the shapes `filter/tests/host_budget.rs` guards), through the in-memory
//! host that counts host calls and bytes copied across the (would-be) VM
//! boundary.
//! `cargo run --release -p piiguard --example profile_flow [shape|all|engine] [iterations] [calls]`
//! (`calls`: also the host calls per kind; under `valgrind --tool=callgrind` for instruction counts).
//! `profile_flow startup [n]`: the configuration loaded `n` times (`Policy::from_json` + `Engine::new`, what
//! `on_configure` does at every configuration push), the first and the later loads timed apart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use piiguard::detect::Scratch;
use piiguard::engine::{Direction, Engine};
use piiguard::flow::Flow;
use piiguard::policy::Policy;
use piiguard::testing::shapes::{self, catalog, dense};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let only = args.get(1).cloned().unwrap_or_default();
    if only == "engine" {
        engine_only();
        return;
    }
    if only == "startup" {
        startup(args.get(2).and_then(|v| v.parse().ok()).unwrap_or(5));
        return;
    }
    let iters: u64 = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(0);
    let per_kind = args.get(3).is_some_and(|a| a == "calls");
    for s in shapes::all() {
        if !only.is_empty() && only != "all" && only != s.name {
            continue;
        }
        let e = Rc::new(Engine::new(Policy::from_json(s.policy.as_bytes()).unwrap(), None).unwrap());
        let scratch = Rc::new(RefCell::new(Scratch::default()));
        let (req, resp) = (s.request(), s.response());
        let n = if iters > 0 {
            iters
        } else {
            (2_000_000 / (s.req.len() + s.resp.len() + 1000)).clamp(20, 20000) as u64
        };
        // warm-up + host-call count of one request
        let mut host = s.host();
        s.play(
            &mut Flow::new(Rc::clone(&e), Rc::clone(&scratch)),
            &mut host,
            &req,
            &resp,
        );
        let (calls, bytes) = (host.total_calls(), host.total_bytes());
        let t = Instant::now();
        for _ in 0..n {
            let mut f = Flow::new(Rc::clone(&e), Rc::clone(&scratch));
            let mut host = s.host();
            s.play(&mut f, &mut host, &req, &resp);
        }
        let us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
        let body = (s.req.len() + s.resp.len()) as f64;
        println!(
            "{:<14} {:>9.2} µs/req  {:>7.0} MB/s  body {:>7} B  host calls {calls}, bytes across {bytes}",
            s.name,
            us,
            if body > 0.0 { body / us } else { 0.0 },
            body
        );
        if per_kind {
            for (call, st) in host.stats() {
                println!("    {call:?}: {} calls, {} bytes", st.calls, st.bytes);
            }
        }
    }
}

fn engine_only() {
    let e = Engine::new(Policy::from_json(shapes::REDACT_BOTH.as_bytes()).unwrap(), None).unwrap();
    let mut s = Scratch::default();
    for (name, body) in [("catalog", catalog(16 * 1024)), ("dense", dense(16 * 1024))] {
        for ct in ["application/json", "text/plain"] {
            let n = 300;
            let t = Instant::now();
            for _ in 0..n {
                std::hint::black_box(e.inspect_body(&e.policy.default, Direction::Response, Some(ct), &body, &mut s));
            }
            let us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
            println!("engine {name} as {ct}: {us:.1} µs, {:.0} MB/s", body.len() as f64 / us);
        }
    }
}

fn startup(n: u32) {
    for i in 0..n {
        let t = Instant::now();
        let e = Engine::new(Policy::from_json(shapes::REDACT_BOTH.as_bytes()).unwrap(), None).unwrap();
        let us = t.elapsed().as_secs_f64() * 1e6;
        println!("load {i}: {us:.0} µs ({} routes)", e.policy.routes.len());
        std::hint::black_box(e);
    }
}
