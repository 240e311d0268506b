//! `config::parse` finds an error's JSON path from where serde_json stopped
//! instead of tracking it while reading (serde_path_to_error). This test
//! breaks valid configurations in many ways (truncated at every byte, a
//! wrong type for every value, an unknown and a duplicate key in every
//! object, a required field dropped, stray commas) and checks that every
//! error has the path, message, line and column serde_path_to_error gives.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use piiguard::config::{self, Config, ConfigError};

/// `config::parse` as it was with serde_path_to_error (the reference).
fn reference(text: &[u8]) -> Result<Config, ConfigError> {
    let de = &mut serde_json::Deserializer::from_slice(text);
    let res: Result<Config, _> = serde_path_to_error::deserialize(de);
    match res {
        Ok(c) => {
            if c.version != 1 {
                return Err(ConfigError::at(
                    "$.version",
                    format!("unsupported version {} (this build reads version 1)", c.version),
                ));
            }
            Ok(c)
        }
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let path = if path == "." || path.is_empty() {
                "$".to_string()
            } else {
                format!("$.{path}")
            };
            let msg = inner.to_string();
            let msg = match msg.rfind(" at line ") {
                Some(i) => msg[..i].to_string(),
                None => msg,
            };
            Err(ConfigError {
                path,
                message: msg,
                line: Some(inner.line()),
                column: Some(inner.column()),
            })
        }
    }
}

/// Valid configurations: the case tables' policies, the examples, and the
/// rows of the case tables that carry their own.
fn valid() -> Vec<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut out = Vec::new();
    for dir in ["filter/tests/cases/policies", "examples"] {
        let mut files: Vec<_> = std::fs::read_dir(format!("{root}/{dir}"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for f in files {
            let t = std::fs::read_to_string(&f).unwrap();
            if config::parse(t.as_bytes()).is_ok() {
                out.push(t);
            }
        }
    }
    out.push(
        r#"{"version":1,"limits":{"max_body_bytes":1000},"detectors":{"disabled":["ipv4"],"custom":[{"id":"emp","category":"hr","pattern":"EMP-[0-9]{4}","validator":"luhn"}]},
"routes":[{"name":"a","match":{"path_regex":"/x/[0-9]+","methods":["GET"],"hosts":["h"]},"request":{"actions":{"*":"redact","email":"block"},"strategies":{"payment_card":{"partial":{"keep_last":4}}},"paths":{"$.a.b":"redact"}},"response":{"actions":{"*":"log"}}}],
"default":{"request":{"actions":{"*":"allow"}}},"audit":{"mode":"all"},"hold_headers":true}"#
            .to_string(),
    );
    assert!(out.len() >= 8, "{} valid configurations", out.len());
    out
}

/// Positions of every value (start, end) and of every object's `{`.
fn tokens(t: &[u8]) -> (Vec<(usize, usize)>, Vec<usize>) {
    let mut values = Vec::new();
    let mut objects = Vec::new();
    let mut i = 0;
    while i < t.len() {
        match t[i] {
            b'{' => objects.push(i),
            b'"' => {
                let mut j = i + 1;
                while j < t.len() && t[j] != b'"' {
                    j += if t[j] == b'\\' { 2 } else { 1 };
                }
                // a value, not a key, when a colon does not follow
                let next = t[j + 1..].iter().find(|c| !c.is_ascii_whitespace());
                if next != Some(&b':') {
                    values.push((i, j + 1));
                }
                i = j;
            }
            b'0'..=b'9' | b'-' | b't' | b'f' | b'n' => {
                let mut j = i;
                while j < t.len() && !matches!(t[j], b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                    j += 1;
                }
                values.push((i, j));
                i = j - 1;
            }
            _ => {}
        }
        i += 1;
    }
    (values, objects)
}

fn broken(t: &str) -> Vec<String> {
    let b = t.as_bytes();
    let mut out = Vec::new();
    // truncated at every byte
    for n in 0..b.len() {
        out.push(String::from_utf8_lossy(&b[..n]).into_owned());
    }
    let (values, objects) = tokens(b);
    for &(s, e) in &values {
        for wrong in [
            "7",
            "-1",
            "70000",
            "1.5",
            "\"x\"",
            "true",
            "null",
            "[]",
            "{}",
            "[1]",
            "{\"a\":1}",
            "\"\\u00e9\"",
        ] {
            out.push(format!("{}{}{}", &t[..s], wrong, &t[e..]));
        }
    }
    for &o in &objects {
        // an unknown key, a duplicate of the first key, a stray comma
        out.push(format!("{}\"zz_unknown\":1,{}", &t[..=o], &t[o + 1..]));
        if let Some((s, e)) = first_member(b, o) {
            out.push(format!("{}{},{}", &t[..=o], &t[s..e], &t[o + 1..]));
            // the member dropped (a required field missing)
            let rest = t[e..].trim_start().strip_prefix(',').unwrap_or(&t[e..]);
            out.push(format!("{}{}", &t[..=o], rest));
        }
        out.push(format!("{},{}", &t[..=o], &t[o + 1..]));
    }
    out
}

/// The first member (`"key": value`) of the object opening at `o`.
fn first_member(t: &[u8], o: usize) -> Option<(usize, usize)> {
    let s = o + 1 + t[o + 1..].iter().position(|c| !c.is_ascii_whitespace())?;
    if t[s] != b'"' {
        return None;
    }
    let mut depth = 0i32;
    let mut i = s;
    let mut in_str = false;
    while i < t.len() {
        let c = t[i];
        if in_str {
            if c == b'\\' {
                i += 1;
            } else if c == b'"' {
                in_str = false;
            }
        } else {
            match c {
                b'"' => in_str = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth == 0 => return Some((s, i)),
                b'}' | b']' => depth -= 1,
                b',' if depth == 0 => return Some((s, i)),
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// `got` (config::parse) against `want` (serde_path_to_error): the same
/// message, line and column always; the same path for every error of the
/// data (types, unknown, missing fields, values refused), except where
/// the new path is one step more precise, and checked to be: a duplicate
/// field names the key (serde_path_to_error: its object), an unknown enum
/// variant written as an object key names that key. Text after the
/// document is refused (serde_path_to_error's `deserialize` did not read it). A syntax error's path
/// (which serde_path_to_error gives as the innermost container, or `?` for
/// an unfinished key) may name the value being read inside that container.
fn same_error(text: &str, got: Option<&ConfigError>, want: Option<&ConfigError>) {
    // serde_path_to_error's `deserialize` left text after the document
    // unread: `parse` refuses it
    if let (Some(g), None) = (got, want) {
        if g.message == "trailing characters" {
            return;
        }
    }
    let (Some(g), Some(w)) = (got, want) else {
        assert_eq!(got, want, "{text}");
        return;
    };
    assert_eq!((&g.message, g.line, g.column), (&w.message, w.line, w.column), "{text}");
    if g.path == w.path {
        return;
    }
    let syntax = serde_json::from_str::<Config>(text).is_err_and(|e| e.is_syntax() || e.is_eof());
    let key = |m: &str| m.split('`').nth(1).map(str::to_string);
    let ok = if syntax {
        g.path.starts_with(w.path.trim_end_matches(".?"))
    } else if w.message.starts_with("duplicate field") || w.message.starts_with("unknown variant") {
        key(&w.message).is_some_and(|k| g.path == format!("{}.{k}", w.path))
    } else {
        false
    };
    assert!(ok, "{text}\n  got  {g}\n  want {w}");
}

#[test]
fn error_paths_are_serde_path_to_errors() {
    let mut errors = 0;
    let mut checked = 0;
    let mut paths = std::collections::BTreeSet::new();
    for t in valid() {
        for b in broken(&t) {
            let got = config::parse(b.as_bytes()).err();
            let want = reference(b.as_bytes()).err();
            same_error(&b, got.as_ref(), want.as_ref());
            checked += 1;
            if let Some(e) = got {
                errors += 1;
                paths.insert(e.path);
            }
        }
    }
    assert!(errors > 10_000, "{errors} errors of {checked}");
    assert!(paths.len() > 100, "{} distinct paths", paths.len());
}

/// Some paths written out, so a change in both (or in the reference) shows.
#[test]
fn error_paths_by_hand() {
    let cases = [
        (r#"{"version":1,"routs":[]}"#, "$.routs", "unknown field"),
        (
            r#"{"version":1,"routes":[{"name":"a","match":{"hosts":[1]}}]}"#,
            "$.routes[0].match.hosts[0]",
            "invalid type",
        ),
        (
            r#"{"version":1,"routes":[{"name":"a"},{"name":"b","match":{},"zz":1}]}"#,
            "$.routes[1].zz",
            "unknown field",
        ),
        (r#"{"version":1,"version":1}"#, "$.version", "duplicate field"),
        (
            r#"{"version":1,"limits":{"max_body_bytes":-1}}"#,
            "$.limits.max_body_bytes",
            "invalid value",
        ),
        (
            r#"{"version":1,"detectors":{"custom":[{"id":"x"}]}}"#,
            "$.detectors.custom[0]",
            "missing field",
        ),
        (
            r#"{"version":1,"default":{"request":{"actions":{"*":"blok"}}}}"#,
            "$.default.request.actions.*",
            "unknown variant",
        ),
        (
            r#"{"version":1,"detectors":{"custom":[{"id":"x\"y","category":1}]}}"#,
            "$.detectors.custom[0].category",
            "invalid type",
        ),
        (r#"{"version":1,"routes":[{"name":"a"} "#, "$.routes[0]", "EOF"),
        (r#"{"versi"#, "$", "EOF"),
        (r#"{"version":1} x"#, "$", "trailing characters"),
        (
            "{\n  \"version\": 1,\n  \"audit\": {\"mode\": 3}\n}",
            "$.audit.mode",
            "expected value",
        ),
        (
            r#"{"version":1,"default":{"request":{"paths":{"$.a":{"action":"redact","strategy":"x"}}}}}"#,
            "$.default.request.paths.$.a.strategy",
            "unknown variant",
        ),
        (
            r#"{"version":1,"default":{"request":{"paths":{"$.a":7}}}}"#,
            "$.default.request.paths.$.a",
            "expected an action",
        ),
    ];
    for (text, path, msg) in cases {
        let got = config::parse(text.as_bytes()).err();
        same_error(text, got.as_ref(), reference(text.as_bytes()).err().as_ref());
        let e = got.unwrap_or_else(|| panic!("{text} parsed"));
        assert_eq!(e.path, path, "{text}: {e}");
        assert!(e.message.contains(msg), "{text}: {e}");
    }
}
