#![no_main]
//! The whole inspect path: headers (with cookies and query) and a body whose
//! content type the first byte picks.
use libfuzzer_sys::fuzz_target;
use piiguard::engine::Direction;
use std::sync::OnceLock;
mod common;

static ENGINE: OnceLock<piiguard::engine::Engine> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let e = ENGINE.get_or_init(common::engine);
    let Some((&sel, rest)) = data.split_first() else { return };
    let cts = [None, Some("application/json"), Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("text/plain; charset=utf-16"), Some("application/vnd.x+json")];
    let ct = cts[sel as usize % cts.len()];
    let text = String::from_utf8_lossy(rest).into_owned();
    let mut cut = text.len() / 3;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let (h, b) = text.split_at(cut);
    let mut s = Default::default();
    let headers = vec![(":path".to_string(), format!("/p?{h}")), ("cookie".to_string(), h.to_string()), ("x-user".to_string(), h.to_string())];
    let _ = e.inspect_headers(&e.policy.default, Direction::Request, &headers, &mut s);
    let _ = e.inspect_body(&e.policy.default, Direction::Request, ct, b.as_bytes(), &mut s);
});
