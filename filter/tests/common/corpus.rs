//! The texts the equivalence tests compare a fast path with its reference
//! on: every string of the case tables, the case-table files as they are,
//! the prose samples and the benchmark bodies. Each piece is named by where
//! it came from, so that a failure says which file to look at.

use base64::Engine as _;
use std::path::{Path, PathBuf};

#[path = "../../benches/inputs.rs"]
pub mod inputs;

/// A text and where it came from.
pub type Named = (String, Vec<u8>);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The JSON files under `tests/cases`, in a stable order.
fn case_paths() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![root().join("tests/cases")];
    while let Some(dir) = dirs.pop() {
        for f in std::fs::read_dir(&dir).unwrap() {
            let path = f.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Every JSON file under `tests/cases`, raw (JSON-escaped text, as string
/// values reach a scan).
pub fn case_files() -> Vec<Named> {
    case_paths()
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect()
}

/// Every key and string value of every case table, each `body_base64`
/// decoded, and the strings of a string that is itself JSON (a body or a
/// header value written as JSON); those of at least `min_len` bytes.
pub fn case_strings(min_len: usize) -> Vec<Named> {
    fn walk(v: &serde_json::Value, out: &mut Vec<Vec<u8>>) {
        match v {
            serde_json::Value::String(s) => {
                out.push(s.as_bytes().to_vec());
                if let Ok(inner) = serde_json::from_str::<serde_json::Value>(s) {
                    if inner.is_object() || inner.is_array() {
                        walk(&inner, out);
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(o) => {
                for (k, x) in o {
                    out.push(k.as_bytes().to_vec());
                    if k == "body_base64" {
                        let decoded = x
                            .as_str()
                            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok());
                        out.extend(decoded);
                    }
                    walk(x, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (name, raw) in case_files() {
        let v: serde_json::Value = serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut all = Vec::new();
        walk(&v, &mut all);
        out.extend(
            all.into_iter()
                .filter(|s| s.len() >= min_len)
                .map(|s| (name.clone(), s)),
        );
    }
    out
}

/// The prose samples of `tests/data/prose`, whole, and with `lines` each
/// line of at least two bytes too.
pub fn prose(lines: bool) -> Vec<Named> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("tests/data/prose"))
        .unwrap()
        .map(|f| f.unwrap().path())
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let raw = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        if lines {
            out.extend(
                raw.split(|c| *c == b'\n')
                    .filter(|l| l.len() >= 2)
                    .map(|l| (name.clone(), l.to_vec())),
            );
        }
        out.push((name, raw));
    }
    out
}

/// The benchmark bodies (`benches/inputs.rs`) of `size` bytes.
pub fn bench(size: usize) -> Vec<Named> {
    inputs::cases(size)
        .into_iter()
        .map(|(n, _, b)| (n.to_string(), b))
        .collect()
}

/// `texts` without repeats (the first of each kept).
pub fn unique(mut texts: Vec<Named>) -> Vec<Named> {
    let mut seen = std::collections::HashSet::new();
    texts.retain(|(_, b)| seen.insert(b.clone()));
    texts
}

/// flate2's encoders at `level`: the reference streams the decoders are
/// compared on.
pub mod flate {
    use std::io::Write;

    fn finish<W: Write>(mut e: W, plain: &[u8], done: impl FnOnce(W) -> std::io::Result<Vec<u8>>) -> Vec<u8> {
        e.write_all(plain).unwrap();
        done(e).unwrap()
    }

    /// A gzip member.
    pub fn gzip(plain: &[u8], level: u32) -> Vec<u8> {
        let e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
        finish(e, plain, |e| e.finish())
    }

    /// A zlib stream (HTTP's `deflate`).
    pub fn zlib(plain: &[u8], level: u32) -> Vec<u8> {
        let e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(level));
        finish(e, plain, |e| e.finish())
    }

    /// Raw deflate.
    pub fn raw(plain: &[u8], level: u32) -> Vec<u8> {
        let e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(level));
        finish(e, plain, |e| e.finish())
    }
}
