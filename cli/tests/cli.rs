//! The `piiguard` CLI on the repository's own policies and manifests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_piiguard"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every shipped policy: examples/, the Envoy configs, the Istio manifests.
fn shipped() -> Vec<String> {
    let mut v = Vec::new();
    for dir in ["examples", "envoy-config", "istio"] {
        let Ok(rd) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            let embeds =
                ext == "json" || text.contains("pluginConfig:") || text.contains("google.protobuf.StringValue");
            if matches!(ext, "json" | "yaml" | "yml") && name != "kustomization.yaml" && embeds {
                v.push(f.strip_prefix(root()).unwrap().display().to_string());
            }
        }
    }
    v
}

#[test]
fn check_accepts_every_shipped_policy() {
    let files = shipped();
    assert!(files.len() >= 2, "{files:?}");
    for f in files {
        let (code, out, err) = run(&["check", &f], "");
        assert_eq!(code, 0, "{f}: {out}{err}");
        assert!(out.contains(": ok ("), "{f}: {out}");
    }
}

#[test]
fn check_names_path_line_and_column() {
    let dir = root().join("target/cli-test");
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        "{\n  \"version\": 1,\n  \"default\": {\"request\": {\"actions\": {\"email\": \"blok\"}}}\n}\n",
    )
    .unwrap();
    let (code, out, _) = run(&["check", bad.to_str().unwrap()], "");
    assert_eq!(code, 4);
    assert!(
        out.contains("$.default.request.actions.email: unknown variant `blok`"),
        "{out}"
    );
    assert!(out.contains("(line 3, column"), "{out}");
    let (code, _, err) = run(&["check", "no/such/file.json"], "");
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn scan_redacts_blocks_and_reports() {
    let body = r#"{"card":"4111 1111 1111 1111","email":"jane@example.com","items":[{"name":"Widget"}]}"#;
    let (code, out, err) = run(
        &[
            "scan",
            "--policy",
            "examples/payments.json",
            "--path",
            "/payments",
            "--method",
            "POST",
            "--direction",
            "response",
            "--hash-key",
            "k",
        ],
        body,
    );
    assert_eq!(code, 2, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["card"], "**** **** **** 1111");
    assert_eq!(v["email"], "****@example.com");
    assert_eq!(v["items"][0]["name"], "Widget");
    assert!(
        err.contains("payment_card\tpayment_card\tbody:$.card\tx1\tredact"),
        "{err}"
    );
    let (code, out, _) = run(
        &[
            "scan",
            "--policy",
            "examples/payments.json",
            "--path",
            "/payments",
            "--method",
            "POST",
            "--hash-key",
            "k",
        ],
        body,
    );
    assert_eq!(code, 3);
    assert!(out.contains("personal_data_blocked") && !out.contains("4111"), "{out}");
    let (code, out, _) = run(
        &[
            "scan",
            "--policy",
            "envoy-config/envoy.yaml",
            "--route",
            "echo",
            "--json",
            "-",
        ],
        r#"{"e":"a@example.com"}"#,
    );
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["decision"], "redacted");
    assert_eq!(v["findings"][0]["location"], "body:$.e");
    let (code, _, _) = run(
        &["scan", "--policy", "envoy-config/envoy.yaml", "--route", "echo"],
        r#"{"ok":true}"#,
    );
    assert_eq!(code, 0);
}

#[test]
fn explain_says_which_route_and_rule() {
    let explain = |path: &str| {
        run(
            &[
                "explain",
                "--policy",
                "examples/payments.json",
                "--path",
                path,
                "--method",
                "GET",
                "--hash-key",
                "k",
            ],
            r#"{"card":"4111111111111111"}"#,
        )
    };
    let (code, out, _) = explain("/orders");
    assert_eq!(code, 0);
    assert!(
        out.contains("skipped payments-api: path \"/orders\" does not start with"),
        "{out}"
    );
    assert!(out.contains("no route matched: default"), "{out}");
    assert!(
        out.contains("finding: payment_card (payment_card) at body:$.card x1 -> log by actions[\"*\"]"),
        "{out}"
    );
    // What the filter does, not what the route list alone says: a GET to the
    // POST/PUT route's path would fall to a laxer rule, and the filter refuses it.
    let (code, out, _) = explain("/payments");
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("skipped payments-api: method GET not in"), "{out}");
    assert!(out.contains("finding: ambiguous_method"), "{out}");
    assert!(out.contains("reply: 400 "), "{out}");
    assert!(out.contains("decision: blocked"), "{out}");
}

#[test]
fn schema_validates_every_shipped_policy() {
    let (code, out, _) = run(&["schema"], "");
    assert_eq!(code, 0);
    let schema: serde_json::Value = serde_json::from_str(&out).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut checked = 0;
    for f in shipped() {
        let (_, listing, _) = run(&["check", &f], "");
        assert!(!listing.is_empty());
        // pull each embedded config out through the CLI's own scan of the file
        let text = std::fs::read_to_string(root().join(&f)).unwrap();
        let configs: Vec<serde_json::Value> = if f.ends_with(".json") {
            vec![serde_json::from_str(&text).unwrap()]
        } else {
            embedded(&text)
        };
        for c in configs {
            let errors: Vec<String> = validator
                .iter_errors(&c)
                .map(|e| format!("{} at {}", e, e.instance_path))
                .collect();
            assert!(errors.is_empty(), "{f}: {errors:?}");
            checked += 1;
        }
    }
    assert!(checked >= 2);
    // and the schema rejects what the parser rejects
    let bad: serde_json::Value = serde_json::json!({"version": 1, "routs": []});
    assert!(!validator.is_valid(&bad));
}

fn embedded(text: &str) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for doc in serde_norway::Deserializer::from_str(text) {
        let v: serde_norway::Value = serde::Deserialize::deserialize(doc).unwrap();
        for (_, c) in piiguard::config::embedded_configs(&serde_json::to_value(v).unwrap()) {
            out.push(serde_json::from_str(&c).unwrap());
        }
    }
    out
}
