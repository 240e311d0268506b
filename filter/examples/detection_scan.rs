//! Runs piiguard's value and free-text detectors over texts, for the
//! detection report (`make detection-report`, see `bench/detection/`).
//!
//! stdin: one JSON object per line with a `text` member; stdout: one JSON
//! object per line, `{"findings":[{"detector","category","start","end"}]}`
//! (byte offsets). `--detectors` prints the detector list instead.
use std::io::{BufRead, Write};

use piiguard::detect::{RawMatch, Scratch};
use piiguard::policy::Policy;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policy = Policy::from_json(br#"{"version":1}"#).map_err(|e| e.to_string())?;
    let set = &policy.detectors;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if std::env::args().any(|a| a == "--detectors") {
        let list: Vec<_> = set
            .info
            .iter()
            .map(|i| serde_json::json!({"id": i.id, "category": i.category}))
            .collect();
        writeln!(out, "{}", serde_json::Value::Array(list))?;
        return Ok(());
    }
    let mut scratch = Scratch::default();
    let mut matches: Vec<RawMatch> = Vec::new();
    if std::env::args().any(|a| a == "--throughput") {
        return throughput(set, &mut out);
    }
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&line)?;
        let text = v.get("text").and_then(|t| t.as_str()).unwrap_or("");
        matches.clear();
        set.scan_text(text.as_bytes(), &mut scratch, &mut matches);
        let findings: Vec<_> = matches
            .iter()
            .map(|m| {
                let info = &set.info[m.detector as usize];
                serde_json::json!({"detector": info.id, "category": info.category, "start": m.start, "end": m.end})
            })
            .collect();
        writeln!(out, "{}", serde_json::json!({ "findings": findings }))?;
    }
    Ok(())
}

/// Cost of the free-text pass on clean text: `scan` (value detectors only)
/// against `scan_text` (plus prose), interleaved so machine load hits both
/// alike; best of 15 rounds over 1 MB each.
fn throughput(set: &piiguard::detect::DetectorSet, out: &mut impl Write) -> Result<(), Box<dyn std::error::Error>> {
    let sentences = [
        "The quick brown fox jumps over the lazy dog while the team ships release 42 on time. ",
        "Hi team, the Berlin office moves to the new building on Monday; please update the Wiki and Jira boards. ",
        "Thanks for your order! Your Blue Widget ships from our Paris warehouse within 3 business days. ",
        "Street Food Festival: 40 vendors, live music and the best of Italian, French and Spanish cuisine. ",
    ];
    let mut text = String::new();
    while text.len() < 1 << 20 {
        for s in sentences {
            text.push_str(s);
        }
    }
    // short JSON-like string values, scanned one by one
    let values: Vec<&str> = text.split(". ").collect();
    let mut scratch = Scratch::default();
    let mut m: Vec<RawMatch> = Vec::new();
    let mut best = [f64::MAX; 4];
    for _ in 0..15 {
        for (k, best) in best.iter_mut().enumerate() {
            let t = std::time::Instant::now();
            match k {
                0 => {
                    m.clear();
                    set.scan(text.as_bytes(), &mut scratch, &mut m);
                }
                1 => {
                    m.clear();
                    set.scan_text(text.as_bytes(), &mut scratch, &mut m);
                }
                2 => {
                    for v in &values {
                        m.clear();
                        set.scan(v.as_bytes(), &mut scratch, &mut m);
                    }
                }
                _ => {
                    for v in &values {
                        m.clear();
                        set.scan_text(v.as_bytes(), &mut scratch, &mut m);
                    }
                }
            }
            *best = best.min(t.elapsed().as_secs_f64());
        }
    }
    let mb = text.len() as f64 / 1e6;
    writeln!(
        out,
        "clean text, 1 MB body: value detectors {:.0} MB/s, with free text {:.0} MB/s",
        mb / best[0],
        mb / best[1]
    )?;
    writeln!(
        out,
        "clean text, {} string values: value detectors {:.0} MB/s, with free text {:.0} MB/s",
        values.len(),
        mb / best[2],
        mb / best[3]
    )?;
    Ok(())
}
