//! The free-text pass's fast path (`Prose::find`: cue search by a pair
//! table, names by hash) finds exactly what its reference path
//! (`Prose::find_reference`: the Aho-Corasick automaton, names by binary
//! search) finds, span for span, on real text: the prose corpora under
//! `tests/data/prose/` (clean set and held-out sets, whole, per document and
//! per line), every string of the case tables (and the strings inside those
//! that are JSON bodies), and, when `PROSE_EQUIVALENCE_EXTRA` names a
//! directory, every file and line in it (e.g. the presidio-research texts
//! `make detection-report` reads, dumped one a file).
//! The generated-text proptest is in `src/prose.rs` (it draws on the cue list).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use piiguard::prose::{Kind, Prose};
use std::path::Path;

mod common;
use common::corpus;

/// Compares both paths on `text`; returns the number of spans found.
fn same(p: &Prose, text: &[u8], what: &str) -> usize {
    let (mut fast, mut slow) = (Vec::new(), Vec::new());
    p.find(text, &mut fast);
    p.find_reference(text, &mut slow);
    if fast != slow {
        let show = |v: &[(Kind, usize, usize)]| {
            v.iter()
                .map(|&(k, a, b)| format!("{k:?} {a}..{b} {:?}", String::from_utf8_lossy(&text[a..b])))
                .collect::<Vec<_>>()
        };
        panic!(
            "{what}: fast path {:#?}\nreference {:#?}\nin {:?}",
            show(&fast),
            show(&slow),
            String::from_utf8_lossy(text)
        );
    }
    fast.len()
}

/// The text whole, per `===` document, per line.
fn pieces(text: &str) -> Vec<&str> {
    let mut v = vec![text];
    v.extend(text.split("\n===\n"));
    v.extend(text.lines());
    v
}

#[test]
fn same_spans_on_the_prose_corpora() {
    let p = Prose::new().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/prose");
    let mut files = 0;
    let mut found = 0;
    for f in std::fs::read_dir(&dir).unwrap() {
        let path = f.unwrap().path();
        let raw = std::fs::read_to_string(&path).unwrap();
        // with the `[[kind:value]]` marks and without them
        let plain = strip_marks(&raw);
        for t in pieces(&raw).into_iter().chain(pieces(&plain)) {
            found += same(&p, t.as_bytes(), &path.display().to_string());
        }
        files += 1;
    }
    println!("prose corpora: {files} files, {found} spans compared");
    assert!(files >= 5, "{files} corpus files");
    // the corpora hold hundreds of names, addresses and dates of birth
    assert!(found > 1000, "only {found} spans compared");
}

fn strip_marks(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("[[") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match (after.find(':'), after.find("]]")) {
            (Some(c), Some(j)) if c < j => {
                out.push_str(&after[c + 1..j]);
                rest = &after[j + 2..];
            }
            _ => {
                out.push_str("[[");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn same_spans_on_the_case_tables() {
    let p = Prose::new().unwrap();
    let mut found = 0;
    // the raw files: JSON-escaped text, as JSON string values reach the pass
    for (name, raw) in corpus::case_files() {
        found += same(&p, &raw, &name);
    }
    let strings = corpus::case_strings(0);
    for (name, s) in &strings {
        found += same(&p, s, name);
    }
    let texts = strings.len();
    println!("case tables: {texts} strings, {found} spans compared");
    assert!(texts > 1000, "{texts} strings");
    // few cases are about prose; some are
    assert!(found >= 5, "only {found} spans compared");
}

#[test]
fn same_spans_on_extra_texts() {
    let Some(dir) = std::env::var_os("PROSE_EQUIVALENCE_EXTRA") else {
        return;
    };
    let p = Prose::new().unwrap();
    let mut files = 0;
    let mut found = 0;
    for f in std::fs::read_dir(&dir).unwrap() {
        let path = f.unwrap().path();
        let raw = std::fs::read(&path).unwrap();
        found += same(&p, &raw, &path.display().to_string());
        for line in raw.split(|&c| c == b'\n') {
            found += same(&p, line, &path.display().to_string());
        }
        files += 1;
    }
    println!("extra texts: {files} files, {found} spans compared");
    assert!(files > 0, "PROSE_EQUIVALENCE_EXTRA is empty");
}
