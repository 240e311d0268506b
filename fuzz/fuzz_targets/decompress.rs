#![no_main]
use libfuzzer_sys::fuzz_target;
use piiguard::encoding::{decode, Coding};

fuzz_target!(|data: &[u8]| {
    for c in [Coding::Gzip, Coding::Deflate] {
        if let Ok(out) = decode(c, data, 1 << 20) {
            assert!(out.len() <= 1 << 20);
        }
    }
});
