#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
mod common;

static ENGINE: OnceLock<piiguard::engine::Engine> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let e = ENGINE.get_or_init(common::engine);
    let r = e.inspect_body(&e.policy.default, piiguard::engine::Direction::Request, Some("application/json"), data, &mut Default::default());
    // valid JSON in, valid JSON out
    if serde_json::from_slice::<serde_json::Value>(data).is_ok() {
        if let Some(out) = &r.body {
            assert!(serde_json::from_slice::<serde_json::Value>(out).is_ok(), "redaction broke valid JSON");
        }
    }
});
