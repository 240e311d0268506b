//! The native side of `run.mjs`: the same setup and loop as the module,
//! timed the same way (thread CPU time, warm-up, then best of `rounds` rounds of `iters`).
//! `bench-wasm-engine [size] [rounds] [min_ms]` prints one line per case:
//! `name bytes MB/s findings`.
use bench_wasm_engine::{bench_run, bench_setup, CASES};
use std::time::Instant;

/// CPU time of the process in seconds (as node's `process.cpuUsage()` in
/// run.mjs), so that time the shared machine gives other processes is not
/// counted; wall clock where it cannot be read.
#[cfg(unix)]
fn cpu_secs(wall: Instant) -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    if unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) } == 0 {
        ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
    } else {
        wall.elapsed().as_secs_f64()
    }
}

#[cfg(not(unix))]
fn cpu_secs(wall: Instant) -> f64 {
    wall.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let size: u32 = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(256 * 1024);
    let rounds: u32 = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(7);
    let min_ms: f64 = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(150.0);
    let only = args.get(4).cloned().unwrap_or_else(|| "all".into());
    for (i, name) in CASES.iter().enumerate() {
        if only != "all" && only != *name {
            continue;
        }
        let len = bench_setup(i as u32, size);
        if len == 0 {
            eprintln!("{name}: setup failed");
            std::process::exit(1);
        }
        // warm-up (lazy DFA caches), and enough iterations per round for min_ms
        let wall = Instant::now();
        let t = cpu_secs(wall);
        let found = bench_run(1);
        let once = (cpu_secs(wall) - t) * 1e3;
        let iters = ((min_ms / once.max(1e-3)).ceil() as u32).max(1);
        for _ in 0..3 {
            bench_run(iters);
        }
        let mut best = f64::MAX;
        for _ in 0..rounds {
            let t = cpu_secs(wall);
            bench_run(iters);
            best = best.min((cpu_secs(wall) - t) / f64::from(iters));
        }
        println!("{name} {len} {:.2} {found}", f64::from(len) / best / 1e6);
    }
}
