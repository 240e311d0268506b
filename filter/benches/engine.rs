//! Native throughput of the engine on clean and PII-dense JSON, form and text.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use piiguard::detect::Scratch;
use piiguard::engine::{Direction, Engine};
use piiguard::policy::Policy;

fn clean_json(size: usize) -> Vec<u8> {
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

fn dense_json(size: usize) -> Vec<u8> {
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

fn text(size: usize, dense: bool) -> Vec<u8> {
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

fn form(size: usize) -> Vec<u8> {
    let mut s = String::new();
    let mut i = 0;
    while s.len() < size {
        s.push_str(&format!("email{i}=jane%40example.com&qty{i}=2&note{i}=hello+world&"));
        i += 1;
    }
    s.into_bytes()
}

fn bench(c: &mut Criterion) {
    let cfg = br#"{"version":1,"default":{"request":{"actions":{"*":"redact"}}}}"#;
    let e = Engine::new(Policy::from_json(cfg).unwrap(), None).unwrap();
    let route = &e.policy.default;
    let mut g = c.benchmark_group("engine");
    for &size in &[1024usize, 64 * 1024, 1024 * 1024] {
        let cases: Vec<(&str, &str, Vec<u8>)> = vec![
            ("json_clean", "application/json", clean_json(size)),
            ("json_dense", "application/json", dense_json(size)),
            ("text_clean", "text/plain", text(size, false)),
            ("text_dense", "text/plain", text(size, true)),
            ("form_dense", "application/x-www-form-urlencoded", form(size)),
        ];
        for (name, ct, body) in cases {
            g.throughput(Throughput::Bytes(body.len() as u64));
            let mut s = Scratch::default();
            g.bench_with_input(BenchmarkId::new(name, size), &body, |b, body| {
                b.iter(|| e.inspect_body(route, Direction::Request, Some(ct), body, &mut s))
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
