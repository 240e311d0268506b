#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
mod common;

static ENGINE: OnceLock<piiguard::engine::Engine> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let _ = piiguard::multipart::parse(data, "b0undary");
    let e = ENGINE.get_or_init(common::engine);
    let _ = e.inspect_body(&e.policy.default, piiguard::engine::Direction::Request, Some("multipart/form-data; boundary=b0undary"), data, &mut Default::default());
});
