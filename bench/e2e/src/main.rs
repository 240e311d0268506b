//! `make bench` (second half): the same POSTed JSON bodies through four Envoys
//! side by side, interleaved rounds, Envoy pinned to core 0 (`--concurrency 1`)
//! and this load generator (and the upstream) to core 1:
//!   A no filter, B an empty Rust proxy-wasm filter, C piiguard redacting both
//!   directions, D an Envoy Lua filter redacting e-mails and cards with Lua patterns.
//! Primary figure: Envoy CPU time per request (sum of its threads' schedstat
//! run time), reported as the increase over A. Secondary: requests/s with 2
//! connections, and p50/p99 latency at a fixed rate below saturation.
//! Writes BENCHMARKS.md (with the criterion figures of `cargo bench`, if present).

use integration_tests::{read_response, upstream, wasm_path, write_config};
use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const LUA: &str = r#"
local function scrub(s)
  s = string.gsub(s, "[%w%._%%+%-]+@[%w%-]+%.[%w%.%-]*%a", "[EMAIL]")
  s = string.gsub(s, "%d%d%d%d[ %-]?%d%d%d%d[ %-]?%d%d%d%d[ %-]?%d%d%d%d", "[CARD]")
  return s
end
local function rewrite(h)
  local b = h:body()
  if b and b:length() > 0 then
    b:setBytes(scrub(b:getBytes(0, b:length())))
  end
end
function envoy_on_request(h) rewrite(h) end
function envoy_on_response(h) rewrite(h) end
"#;

const POLICY: &str =
    r#"{"version":1,"default":{"request":{"actions":{"*":"redact"}},"response":{"actions":{"*":"redact"}}}}"#;

struct Variant {
    key: &'static str,
    name: &'static str,
    child: Child,
    port: u16,
    pid: u32,
}

impl Drop for Variant {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn envoy_bin() -> PathBuf {
    integration_tests::envoy_bin()
}

fn start(key: &'static str, name: &'static str, up: u16) -> Variant {
    let empty = root().join("target/wasm32-wasip1/release/empty_filter.wasm");
    let (path, port, admin) = write_config(&format!("bench-{key}"), Some(POLICY), up, &[], &|cfg| {
        let filters = &mut cfg["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
            ["http_filters"];
        let seq = filters.as_sequence_mut().expect("http_filters");
        match key {
            "A" => {
                seq.remove(0);
            }
            "B" => {
                seq[0]["typed_config"]["config"]["vm_config"]["code"]["local"]["filename"] =
                    empty.display().to_string().into();
                if let Some(m) = seq[0]["typed_config"]["config"].as_mapping_mut() {
                    m.remove("configuration");
                }
            }
            "D" => {
                seq[0] = serde_norway::from_str(&format!(
                    "name: envoy.filters.http.lua\ntyped_config:\n  \"@type\": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua\n  default_source_code:\n    inline_string: {}\n",
                    serde_json::to_string(LUA).unwrap_or_default()
                ))
                .expect("lua filter");
            }
            _ => {}
        }
        // no access log in the measurement
        cfg["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]["access_log"] =
            serde_norway::Value::Sequence(vec![]);
    });
    let _ = wasm_path();
    let child = Command::new("taskset")
        .args(["-c", "0"])
        .arg(envoy_bin())
        .args([
            "-c",
            &path.display().to_string(),
            "--concurrency",
            "1",
            "--use-dynamic-base-id",
            "--log-level",
            "error",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn envoy");
    let deadline = Instant::now() + Duration::from_secs(30);
    while integration_tests::get(admin, "/ready").ok().map(|r| r.status) != Some(200) {
        assert!(Instant::now() < deadline, "envoy {key} not ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = child.id();
    Variant {
        key,
        name,
        child,
        port,
        pid,
    }
}

/// CPU time of all of a process's threads, in ns.
fn cpu_ns(pid: u32) -> u64 {
    let mut total = 0;
    if let Ok(rd) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in rd.flatten() {
            if let Ok(s) = std::fs::read_to_string(t.path().join("schedstat")) {
                total += s
                    .split_whitespace()
                    .next()
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
    }
    total
}

struct Conn {
    s: TcpStream,
}

impl Conn {
    fn new(port: u16) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_nodelay(true).ok();
        s.set_read_timeout(Some(Duration::from_secs(10))).ok();
        Conn { s }
    }
    fn post(&mut self, body: &[u8]) -> integration_tests::Response {
        let mut msg = format!(
            "POST /echo HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        msg.extend_from_slice(body);
        self.s.write_all(&msg).expect("write");
        read_response(&mut self.s).expect("response")
    }
}

fn body(size: usize) -> Vec<u8> {
    let mut s = String::from("{\"customers\":[");
    let mut i = 0;
    while s.len() < size - 200 {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"id":{i},"name":"Jane Doe","email":"jane.doe{i}@example.com","card":"4111 1111 1111 1111","note":"order {i} shipped","sku":"W-{i}","qty":2}}"#
        ));
        i += 1;
    }
    s.push_str("]}");
    s.into_bytes()
}

struct Sample {
    cpu_us_per_req: f64,
    rps: f64,
}

fn closed_loop(v: &Variant, body: &[u8], secs: f64) -> Sample {
    let stop = Instant::now() + Duration::from_secs_f64(secs);
    let c0 = cpu_ns(v.pid);
    let t0 = Instant::now();
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let port = v.port;
            let b = body.to_vec();
            std::thread::spawn(move || {
                let mut c = Conn::new(port);
                let mut n = 0u64;
                while Instant::now() < stop {
                    let r = c.post(&b);
                    assert_eq!(r.status, 200);
                    n += 1;
                }
                n
            })
        })
        .collect();
    let n: u64 = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    let el = t0.elapsed().as_secs_f64();
    let c1 = cpu_ns(v.pid);
    Sample {
        cpu_us_per_req: (c1 - c0) as f64 / 1000.0 / n.max(1) as f64,
        rps: n as f64 / el,
    }
}

fn fixed_rate(v: &Variant, body: &[u8], rate: f64, secs: f64) -> (f64, f64) {
    let mut c = Conn::new(v.port);
    let n = (rate * secs) as usize;
    let mut lat = Vec::with_capacity(n);
    let start = Instant::now();
    for i in 0..n {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        if let Some(w) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(w);
        }
        let t = Instant::now();
        let r = c.post(body);
        assert_eq!(r.status, 200);
        lat.push(t.elapsed().as_secs_f64() * 1e6);
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p) as usize];
    (pct(0.50), pct(0.99))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn sh(cmd: &str) -> String {
    Command::new("sh")
        .args(["-c", cmd])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn criterion_table() -> String {
    let mut rows = Vec::new();
    let dir = root().join("target/criterion/engine");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return "(run `cargo bench -p piiguard --bench engine` first)\n".into();
    };
    let mut names: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.ends_with("report"))
        .collect();
    names.sort();
    for n in names {
        let Ok(sizes) = std::fs::read_dir(&n) else { continue };
        let mut sizes: Vec<PathBuf> = sizes
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.join("new/estimates.json").exists())
            .collect();
        sizes.sort_by_key(|p| {
            p.file_name()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0)
        });
        for s in sizes {
            let est: serde_json::Value = std::fs::read_to_string(s.join("new/estimates.json"))
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default();
            let bench: serde_json::Value = std::fs::read_to_string(s.join("new/benchmark.json"))
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default();
            let ns = est["mean"]["point_estimate"].as_f64().unwrap_or(0.0);
            let bytes = bench["throughput"]["Bytes"].as_f64().unwrap_or(0.0);
            let mbs = if ns > 0.0 { bytes / (ns / 1e9) / 1e6 } else { 0.0 };
            rows.push(format!(
                "| {} | {} | {:.1} µs | {:.0} MB/s |",
                n.file_name().and_then(|s| s.to_str()).unwrap_or(""),
                s.file_name().and_then(|s| s.to_str()).unwrap_or(""),
                ns / 1000.0,
                mbs
            ));
        }
    }
    format!(
        "| case | body bytes | time | throughput |\n|---|---|---|---|\n{}\n",
        rows.join("\n")
    )
}

fn main() {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let secs: f64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2.0);
    let up = upstream();
    let variants = [
        start("A", "no filter", up),
        start("B", "empty Rust proxy-wasm filter", up),
        start("C", "piiguard (redact both directions)", up),
        start("D", "Lua filter (e-mails + cards, Lua patterns)", up),
    ];
    let sizes = [1024usize, 16 * 1024, 256 * 1024];
    let mut table = String::from("| body | variant | Envoy CPU µs/req | ×A | Δ vs A µs/req | Δ ns/byte | Δ vs Lua Δ | req/s (2 conns) | p50 µs | p99 µs | fixed rate |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    for &size in &sizes {
        let b = body(size);
        // sanity: C and D really redact
        for v in &variants {
            let r = Conn::new(v.port).post(&b);
            let t = r.text();
            let redacted = !t.contains("jane.doe1@example.com");
            eprintln!(
                "{} {} bytes: status {} redacted={redacted} ({} bytes back)",
                v.key,
                b.len(),
                r.status,
                r.body.len()
            );
            assert_eq!(redacted, v.key == "C" || v.key == "D", "variant {} redaction", v.key);
            for _ in 0..50 {
                Conn::new(v.port).post(&b);
            }
        }
        let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); 4];
        let mut rps: Vec<Vec<f64>> = vec![Vec::new(); 4];
        for _ in 0..rounds {
            for (i, v) in variants.iter().enumerate() {
                let s = closed_loop(v, &b, secs);
                cpu[i].push(s.cpu_us_per_req);
                rps[i].push(s.rps);
            }
        }
        let cpu: Vec<f64> = cpu.into_iter().map(median).collect();
        let rps: Vec<f64> = rps.into_iter().map(median).collect();
        let slowest = rps.iter().cloned().fold(f64::INFINITY, f64::min);
        let rate = (slowest * 0.5).clamp(5.0, 500.0).floor();
        for (i, v) in variants.iter().enumerate() {
            let (p50, p99) = fixed_rate(v, &b, rate, secs);
            let delta = cpu[i] - cpu[0];
            table.push_str(&format!(
                "| {:.1} KB | {} {} | {:.1} | {:.2} | {} | {} | {} | {:.0} | {:.0} | {:.0} | {:.0}/s |\n",
                b.len() as f64 / 1024.0,
                v.key,
                v.name,
                cpu[i],
                cpu[i] / cpu[0],
                if i == 0 { "—".into() } else { format!("{delta:+.1}") },
                if i == 0 {
                    "—".into()
                } else {
                    format!("{:.2}", delta * 1000.0 / b.len() as f64)
                },
                if i == 0 {
                    "—".into()
                } else {
                    format!("{:.2}×", delta / (cpu[3] - cpu[0]).max(0.001))
                },
                rps[i],
                p50,
                p99,
                rate
            ));
            eprintln!(
                "{} KB {}: {:.1} µs/req, {:.0} req/s, p50 {:.0} µs, p99 {:.0} µs",
                b.len() / 1024,
                v.key,
                cpu[i],
                rps[i],
                p50,
                p99
            );
        }
    }
    let machine = format!(
        "- CPU: {} ({} cores)\n- kernel: {}\n- Envoy: {}\n- piiguard.wasm: {} bytes\n- rounds: {rounds} interleaved × {secs} s per variant and size; figures are medians\n",
        sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"),
        sh("grep -c ^processor /proc/cpuinfo"),
        sh("uname -r"),
        sh(&format!("{} --version 2>/dev/null | awk '{{print $NF}}' | cut -d/ -f2", envoy_bin().display())),
        std::fs::metadata(wasm_path()).map(|m| m.len()).unwrap_or(0)
    );
    let report = format!(
        "# piiguard benchmarks\n\nGenerated by `make bench` on {}.\n\n## Machine\n\n{machine}\n## End to end, in a real Envoy\n\nPOSTed JSON bodies full of personal data (names, e-mails, cards) to `/echo`, whose upstream answers with the same body; every variant's Envoy runs `--concurrency 1` pinned to core 0, the load generator and upstream on core 1. CPU is the Envoy process's own accounting (`/proc/<pid>/task/*/schedstat`).\n\n{table}\n## Native engine (criterion, `cargo bench -p piiguard --bench engine`)\n\n{}",
        sh("date -u +%Y-%m-%dT%H:%MZ"),
        criterion_table()
    );
    let out = root().join("BENCHMARKS.md");
    std::fs::write(&out, report).expect("write BENCHMARKS.md");
    eprintln!("wrote {}", out.display());
}
