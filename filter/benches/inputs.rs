//! Bodies the engine benchmark and `examples/scan_profile.rs` scan: clean
//! and PII-dense JSON, a clean catalog response (digits everywhere: SKUs,
//! UUIDs, prices, timestamps), text and forms.
#![allow(dead_code)]

pub fn clean_json(size: usize) -> Vec<u8> {
    let mut s = String::from("{\"items\":[");
    let mut i = 0;
    while s.len() < size {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"id":"a{i:06}","sku":"W-{i}","name":"Blue Widget {i}","price":19.99,"qty":{},"description":"A sturdy widget for everyday use, ships in a box.","tags":["home","garden"],"in_stock":true}}"#,
            i % 7
        ));
        i += 1;
    }
    s.push_str("]}");
    s.into_bytes()
}

/// A product catalog response without personal data.
pub fn catalog_json(size: usize) -> Vec<u8> {
    let words = [
        "sturdy", "widget", "garden", "blue", "ships", "in", "a", "box", "for", "everyday", "use", "steel",
    ];
    let mut s = String::from("{\"items\":[");
    let mut i: u64 = 0;
    while s.len() < size {
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

pub fn dense_json(size: usize) -> Vec<u8> {
    let mut s = String::from("{\"customers\":[");
    let mut i = 0;
    while s.len() < size {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"id":{i},"firstName":"Jane","lastName":"Doe","email":"jane.doe{i}@example.com","phone":"+44 20 7946 {:04}","card":"4111 1111 1111 1111","iban":"DE89 3704 0044 0532 0130 00","address":{{"street":"1 Main St","city":"London"}},"note":"call me on 020 7946 0958"}}"#,
            i % 10000
        ));
        i += 1;
    }
    s.push_str("]}");
    s.into_bytes()
}

pub fn text(size: usize, dense: bool) -> Vec<u8> {
    let mut s = String::new();
    let mut i = 0;
    while s.len() < size {
        if dense {
            s.push_str(&format!(
                "Contact jane{i}@example.com or +44 20 7946 0958, card 4111 1111 1111 1111. "
            ));
        } else {
            s.push_str("The quick brown fox jumps over the lazy dog while the team ships release 42 on time. ");
        }
        i += 1;
    }
    s.into_bytes()
}

pub fn form(size: usize) -> Vec<u8> {
    let mut s = String::new();
    let mut i = 0;
    while s.len() < size {
        s.push_str(&format!("email{i}=jane%40example.com&qty{i}=2&note{i}=hello+world&"));
        i += 1;
    }
    s.into_bytes()
}

/// (name, content type, body) of every benchmarked input of `size` bytes.
pub fn cases(size: usize) -> Vec<(&'static str, &'static str, Vec<u8>)> {
    vec![
        ("json_clean", "application/json", clean_json(size)),
        ("json_catalog", "application/json", catalog_json(size)),
        ("json_dense", "application/json", dense_json(size)),
        ("text_clean", "text/plain", text(size, false)),
        ("text_dense", "text/plain", text(size, true)),
        ("form_dense", "application/x-www-form-urlencoded", form(size)),
    ]
}

/// The policy the benchmark runs: everything redacted in requests.
pub const POLICY: &[u8] = br#"{"version":1,"default":{"request":{"actions":{"*":"redact"}}}}"#;
