//! One engine inspection of each benchmark input (`benches/inputs.rs`), for
//! profiles: `valgrind --tool=callgrind target/release/examples/scan_profile json_catalog 1048576`
//! counts instructions (stable on a loaded machine); without valgrind it
//! prints wall-clock MB/s (best of `rounds`).
//! `cargo run --release -p piiguard --example scan_profile [name|all] [size] [rounds]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use piiguard::detect::Scratch;
use piiguard::engine::{Direction, Engine};
use piiguard::policy::Policy;
use std::time::Instant;

#[path = "../benches/inputs.rs"]
mod inputs;

/// The measured inspections (`valgrind --tool=callgrind --collect-atstart=no
/// --toggle-collect='scan_profile::measured*'` counts only these).
#[inline(never)]
fn measured(e: &Engine, ct: &str, body: &[u8], s: &mut Scratch) {
    let r = e.inspect_body(&e.policy.default, Direction::Request, Some(ct), body, s);
    std::hint::black_box(r);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let only = args.get(1).cloned().unwrap_or_else(|| "all".into());
    let size: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(1 << 20);
    let rounds: usize = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(1);
    let e = Engine::new(Policy::from_json(inputs::POLICY).unwrap(), None).unwrap();
    let route = &e.policy.default;
    let mut s = Scratch::default();
    for (name, ct, body) in inputs::cases(size) {
        if only != "all" && only != name {
            continue;
        }
        // a first, unmeasured round warms the lazy DFAs' caches (as the
        // first requests do in a proxy)
        let r = e.inspect_body(route, Direction::Request, Some(ct), &body, &mut s);
        let found = r.inspection.findings.iter().map(|f| f.count).sum::<u32>();
        let mut best = f64::MAX;
        for _ in 0..rounds {
            let t = Instant::now();
            measured(&e, ct, &body, &mut s);
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!(
            "{name:<13} {:>8} B {:>8.1} MB/s  findings {found}",
            body.len(),
            body.len() as f64 / best / 1e6
        );
    }
}
