//! Instructions per value kind of the clean catalog (`benches/inputs.rs`
//! `catalog_json`): one detector scan (`scan_text`, as JSON strings get it,
//! or `scan`, as numbers do) of each kind, `n` times over varied values.
//! `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='value_profile::measured*' \
//!   target/profiling/examples/value_profile <kind> 1000` (kinds: sku uuid price time stock title english)
//! With a third argument `json`, the values go through the engine as a JSON
//! response body instead (`["v1","v2",…]`, numbers bare; toggle on
//! `value_profile::measured_json*`): the JSON walk and the passes after the
//! detectors (base64 tokens, joined runs) included, per value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use piiguard::detect::{RawMatch, Scratch};
use piiguard::engine::{Direction, Engine};
use piiguard::policy::Policy;

#[path = "../benches/inputs.rs"]
mod inputs;

fn values(kind: &str, n: u64) -> (Vec<String>, bool) {
    let words = [
        "sturdy", "widget", "garden", "blue", "ships", "in", "a", "box", "for", "everyday", "use", "steel",
    ];
    let mut v = Vec::new();
    let mut text = true;
    for i in 0..n {
        let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        v.push(match kind {
            "sku" => format!("SKU-{:08}", x % 100_000_000),
            "uuid" => format!(
                "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                (x >> 32) as u32,
                (x >> 16) as u16,
                x % 0xfff,
                (x >> 8) % 0xfff,
                x % 0xffff_ffff_ffff
            ),
            "price" => {
                text = false;
                format!("{}.{:02}", x % 500, x % 100)
            }
            "time" => format!(
                "2026-11-{:02}T{:02}:{:02}:{:02}Z",
                1 + i % 28,
                i % 24,
                i % 60,
                (i * 7) % 60
            ),
            "stock" => {
                text = false;
                format!("{}", x % 1000)
            }
            "title" => format!(
                "{} {} {}",
                words[(i % 12) as usize],
                words[((i + 3) % 12) as usize],
                words[((i + 7) % 12) as usize]
            ),
            "english" => "The quick brown fox jumps over the lazy dog while the team ships release 42 on time. ".into(),
            "names" => "Widget Garden Blue Steel Everyday Ships".into(),
            _ => panic!("unknown kind"),
        });
    }
    (v, text)
}

#[inline(never)]
fn measured_json(e: &Engine, body: &[u8], s: &mut Scratch) {
    let r = e.inspect_body(
        &e.policy.default,
        Direction::Response,
        Some("application/json"),
        body,
        s,
    );
    std::hint::black_box(&r);
}

#[inline(never)]
fn measured(e: &Engine, vals: &[String], text: bool, s: &mut Scratch, out: &mut Vec<RawMatch>) {
    for v in vals {
        out.clear();
        if text {
            e.policy.detectors.scan_text(v.as_bytes(), s, out);
        } else {
            e.policy.detectors.scan(v.as_bytes(), s, out);
        }
        std::hint::black_box(&out);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let kind = args.get(1).cloned().unwrap_or_else(|| "uuid".into());
    let n: u64 = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(1000);
    let e = Engine::new(Policy::from_json(inputs::POLICY).unwrap(), None).unwrap();
    let (vals, text) = values(&kind, n);
    if args.get(3).is_some_and(|a| a == "json") {
        let e = Engine::new(
            Policy::from_json(piiguard::testing::shapes::REDACT_BOTH.as_bytes()).unwrap(),
            None,
        )
        .unwrap();
        let items: Vec<String> = vals
            .iter()
            .map(|v| if text { format!("{v:?}") } else { v.clone() })
            .collect();
        let body = format!("[{}]", items.join(","));
        let mut s = Scratch::default();
        // (warm-up: the lazy DFAs)
        let r = e.inspect_body(
            &e.policy.default,
            Direction::Response,
            Some("application/json"),
            body.as_bytes(),
            &mut s,
        );
        std::hint::black_box(&r);
        measured_json(&e, body.as_bytes(), &mut s);
        println!("{kind}: {n} values in a JSON body of {} B", body.len());
        return;
    }
    let mut s = Scratch::default();
    let mut out = Vec::new();
    // warm the lazy DFAs
    for v in &vals {
        out.clear();
        e.policy.detectors.scan_text(v.as_bytes(), &mut s, &mut out);
    }
    measured(&e, &vals, text, &mut s, &mut out);
    let bytes: usize = vals.iter().map(String::len).sum();
    println!("{kind}: {n} values, {bytes} B, {} found", out.len());
}
