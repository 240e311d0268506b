#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
mod common;

static ENGINE: OnceLock<piiguard::engine::Engine> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let e = ENGINE.get_or_init(common::engine);
    let _ = e.inspect_body(&e.policy.default, piiguard::engine::Direction::Request, Some("application/x-www-form-urlencoded"), data, &mut Default::default());
});
