//! Native profile of `Flow` per request shape, through a fake host that
//! counts host calls and bytes copied across the (would-be) VM boundary.
//! `cargo run --release -p piiguard --example profile_flow [shape] [iterations]`
//! (under `valgrind --tool=callgrind` for instruction counts).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use piiguard::detect::Scratch;
use piiguard::engine::{Direction, Engine};
use piiguard::flow::Flow;
use piiguard::policy::Policy;
use piiguard::testing::{exchange, MemoryHost, Sent};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

pub fn dense(size: usize) -> Vec<u8> {
    let mut s = String::from("{\"customers\":[");
    let mut i = 0;
    while s.len() < size.saturating_sub(200).max(100) {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"id":{i},"name":"Jane Doe","email":"jane.doe{i}@example.com","card":"4111 1111 1111 1111","note":"order {i} shipped","sku":"W-{i}","qty":2}}"#
        ));
        i += 1;
    }
    s.push_str("]}");
    s.into_bytes()
}

pub fn catalog(size: usize) -> Vec<u8> {
    let words = [
        "sturdy", "widget", "garden", "blue", "ships", "in", "a", "box", "for", "everyday", "use", "steel",
    ];
    let mut s = String::from("{\"items\":[");
    let mut i: u64 = 0;
    while s.len() < size.saturating_sub(300).max(100) {
        if i > 0 {
            s.push(',');
        }
        let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        s.push_str(&format!(
            r#"{{"sku":"SKU-{:08}","id":"{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}","price":{}.{:02},"updated":"2026-11-{:02}T{:02}:{:02}:{:02}Z","stock":{},"title":"{} {} {}"}}"#,
            x % 100_000_000,
            (x >> 32) as u32,
            (x >> 16) as u16,
            x % 0xfff,
            (x >> 8) % 0xfff,
            x % 0xffff_ffff_ffff,
            x % 500,
            x % 100,
            1 + i % 28,
            i % 24,
            i % 60,
            (i * 7) % 60,
            x % 1000,
            words[(i % 12) as usize],
            words[((i + 3) % 12) as usize],
            words[((i + 7) % 12) as usize]
        ));
        i += 1;
    }
    s.push_str("]}");
    s.into_bytes()
}

const REDACT_BOTH: &str =
    r#"{"version":1,"default":{"request":{"actions":{"*":"redact"}},"response":{"actions":{"*":"redact"}}}}"#;
const ALLOW: &str =
    r#"{"version":1,"default":{"request":{"actions":{"*":"allow"}},"response":{"actions":{"*":"allow"}}}}"#;
const OFF: &str = r#"{"version":1,"default":{"request":{"actions":{"*":"redact"},"body":false,"headers":false,"query":false},"response":{"actions":{"*":"redact"},"body":false,"headers":false,"query":false}}}"#;

struct Shape {
    name: &'static str,
    policy: &'static str,
    method: &'static str,
    req: Vec<u8>,
    resp: Vec<u8>,
}

fn shapes() -> Vec<Shape> {
    vec![
        Shape {
            name: "off_post_1k",
            policy: OFF,
            method: "POST",
            req: dense(1024),
            resp: dense(1024),
        },
        Shape {
            name: "allow_post_1k",
            policy: ALLOW,
            method: "POST",
            req: dense(1024),
            resp: dense(1024),
        },
        Shape {
            name: "get_clean_16k",
            policy: REDACT_BOTH,
            method: "GET",
            req: vec![],
            resp: catalog(16 * 1024),
        },
        Shape {
            name: "dense_1k",
            policy: REDACT_BOTH,
            method: "POST",
            req: dense(1024),
            resp: dense(1024),
        },
        Shape {
            name: "dense_16k",
            policy: REDACT_BOTH,
            method: "POST",
            req: dense(16 * 1024),
            resp: dense(16 * 1024),
        },
        Shape {
            name: "dense_256k",
            policy: REDACT_BOTH,
            method: "POST",
            req: dense(256 * 1024),
            resp: dense(256 * 1024),
        },
    ]
}

fn one(flow: &mut Flow, host: &mut MemoryHost, req: &Sent, resp: &Sent) {
    let r = resp.clone();
    exchange(flow, host, req, &move |_| r.clone());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let only = args.get(1).cloned().unwrap_or_default();
    if only == "engine" {
        engine_only();
        return;
    }
    let iters: u64 = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(0);
    for s in shapes() {
        if !only.is_empty() && only != "all" && only != s.name {
            continue;
        }
        let e = Rc::new(Engine::new(Policy::from_json(s.policy.as_bytes()).unwrap(), None).unwrap());
        let scratch = Rc::new(RefCell::new(Scratch::default()));
        let req = Sent::new(
            h(&[
                (":authority", "bench"),
                (":path", "/echo"),
                (":method", s.method),
                (":scheme", "http"),
                ("user-agent", "bench/1.0"),
                ("accept", "*/*"),
                ("content-type", "application/json"),
                ("content-length", &s.req.len().to_string()),
                ("x-forwarded-proto", "http"),
                ("x-request-id", "5f0c7c6e-2d7b-4f7e-9d6a-0d2b8f0e9a11"),
            ]),
            &s.req,
            None,
        );
        let resp = Sent::new(
            h(&[
                (":status", "200"),
                ("content-type", "application/json"),
                ("content-length", &s.resp.len().to_string()),
                ("server", "envoy"),
            ]),
            &s.resp,
            None,
        );
        let mut host;
        let n = if iters > 0 {
            iters
        } else {
            (2_000_000 / (s.req.len() + s.resp.len() + 1000)).clamp(20, 20000) as u64
        };
        // warm-up + host-call count of one request
        {
            let mut f = Flow::new(Rc::clone(&e), Rc::clone(&scratch));
            host = MemoryHost::new().with_property(&["xds", "route_name"], b"echo");
            one(&mut f, &mut host, &req, &resp);
        }
        let (calls, bytes) = (host.total_calls(), host.total_bytes());
        let t = Instant::now();
        for _ in 0..n {
            let mut f = Flow::new(Rc::clone(&e), Rc::clone(&scratch));
            host = MemoryHost::new().with_property(&["xds", "route_name"], b"echo");
            one(&mut f, &mut host, &req, &resp);
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
    }
}

#[allow(dead_code)]
pub fn engine_only() {
    let e = Engine::new(Policy::from_json(REDACT_BOTH.as_bytes()).unwrap(), None).unwrap();
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
