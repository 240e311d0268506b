//! Native throughput of the engine on clean and PII-dense JSON, form and text.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use piiguard::detect::Scratch;
use piiguard::engine::{Direction, Engine};
use piiguard::policy::Policy;

mod inputs;

fn bench(c: &mut Criterion) {
    let e = Engine::new(Policy::from_json(inputs::POLICY).unwrap(), None).unwrap();
    let route = &e.policy.default;
    let mut g = c.benchmark_group("engine");
    for &size in &[1024usize, 64 * 1024, 1024 * 1024] {
        for (name, ct, body) in inputs::cases(size) {
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
