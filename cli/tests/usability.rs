//! The CLI as a new user meets it: help, version, `--opt=value`, stdin and
//! directories, plain YAML policies, manifests without piiguard config, YAML
//! line numbers in errors, `$schema`, a closed pipe, the key warning, human
//! dates, and the shipped JSON Schema equal to the generated one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run_env(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_piiguard"));
    cmd.args(args)
        .current_dir(root())
        .env_remove("PIIGUARD_HASH_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    run_env(args, stdin, &[])
}

fn tmp(name: &str) -> PathBuf {
    let d = root()
        .join("target/cli-usability")
        .join(format!("{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn every_command_has_help_with_examples_and_version_is_the_workspace_version() {
    for cmd in ["check", "scan", "explain", "schema", "trail", "breach"] {
        let (code, out, err) = run(&[cmd, "--help"], "");
        assert_eq!(code, 0, "{cmd} --help: {err}");
        assert!(out.contains("Usage: piiguard"), "{cmd}: {out}");
        assert!(out.contains("Examples:"), "{cmd} --help has no examples: {out}");
        // `-h` too, and help as a subcommand
        let (code, short, _) = run(&[cmd, "-h"], "");
        assert_eq!(code, 0);
        assert!(short.contains("Usage: piiguard"));
        let (code, via_help, _) = run(&["help", cmd], "");
        assert_eq!(code, 0);
        assert!(via_help.contains("Usage: piiguard"));
    }
    let (code, out, _) = run(&["--help"], "");
    assert_eq!(code, 0);
    for cmd in ["check", "scan", "explain", "schema", "trail", "breach"] {
        assert!(out.contains(cmd), "{out}");
    }
    let (code, out, _) = run(&["--version"], "");
    assert_eq!(code, 0);
    assert_eq!(out.trim(), format!("piiguard {}", env!("CARGO_PKG_VERSION")));
    // an unknown option is a usage error naming it, exit 1
    let (code, _, err) = run(&["scan", "--polcy", "x"], "");
    assert_eq!(code, 1);
    assert!(err.contains("--polcy"), "{err}");
    let (code, _, err) = run(&["frobnicate"], "");
    assert_eq!(code, 1);
    assert!(err.contains("frobnicate"), "{err}");
}

#[test]
fn options_take_equals_values() {
    let body = r#"{"card":"4111 1111 1111 1111"}"#;
    let (code, out, err) = run(
        &[
            "scan",
            "--policy=examples/payments.json",
            "--path=/payments",
            "--method=POST",
            "--hash-key=k",
            "--json",
        ],
        body,
    );
    assert_eq!(code, 3, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["route"], "payments-api");
    assert_eq!(v["decision"], "blocked");
}

#[test]
fn check_reads_stdin_directories_and_plain_yaml_and_skips_other_manifests() {
    // a plain YAML policy, from stdin
    let yaml = std::fs::read_to_string(root().join("examples/policies/customers.yaml")).unwrap();
    let (code, out, err) = run(&["check", "-"], &yaml);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("<stdin>: ok (2 routes, policy_version customers-yaml-1)"),
        "{out}"
    );
    // a JSON policy from stdin
    let json = std::fs::read_to_string(root().join("examples/payments.json")).unwrap();
    let (code, out, _) = run(&["check", "-"], &json);
    assert_eq!(code, 0);
    assert!(out.contains("<stdin>: ok (3 routes"), "{out}");
    // a directory: every manifest, those without piiguard config skipped and said so
    let (code, out, err) = run(&["check", "istio"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("istio/base/kustomization.yaml: skipped (no piiguard configuration in it)"),
        "{out}"
    );
    assert!(out.contains("istio/overlays/sidecar/telemetry.yaml: skipped"), "{out}");
    assert!(out.contains("istio/crds/wasmplugin.yaml: skipped"), "{out}");
    assert!(
        out.contains("istio/base/wasmplugin.yaml[doc 0 WasmPlugin] .spec.pluginConfig: ok"),
        "{out}"
    );
    assert!(!out.contains("error"), "{out}");
    // a file with no configuration alone is an error: nothing was checked
    let (code, _, err) = run(&["check", "istio/base/kustomization.yaml"], "");
    assert_eq!(code, 1);
    assert!(err.contains("no piiguard configuration found"), "{err}");
}

#[test]
fn yaml_errors_point_at_the_yaml_line() {
    let d = tmp("yaml-lines");
    // an Istio pluginConfig: the bad value is on line 14 of the manifest
    let manifest = "\
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata:
  name: x
spec:
  url: oci://example/piiguard:1
  pluginConfig:
    version: 1
    routes:
      - name: ok
        request: {}
      - name: bad
        request:
          actions: {email: blok}
";
    let f = d.join("plugin.yaml");
    std::fs::write(&f, manifest).unwrap();
    let (code, out, _) = run(&["check", f.to_str().unwrap()], "");
    assert_eq!(code, 4, "{out}");
    assert!(
        out.contains("$.routes[1].request.actions.email: unknown variant `blok`"),
        "{out}"
    );
    assert!(out.contains("(line 14, column 11)"), "{out}");
    // an Envoy StringValue holding JSON in a block scalar: line 9 of the file
    let envoy = "\
static_resources:
  listeners:
  - name: l
    typed_config:
      configuration:
        \"@type\": type.googleapis.com/google.protobuf.StringValue
        value: |
          {\"version\": 1,
           \"default\": {\"request\": {\"actions\": {\"email\": \"blok\"}}}}
";
    let f = d.join("envoy.yaml");
    std::fs::write(&f, envoy).unwrap();
    let (code, out, _) = run(&["check", f.to_str().unwrap()], "");
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("unknown variant `blok`"), "{out}");
    assert!(out.contains("(line 9, column"), "{out}");
    assert!(!out.contains("embedded JSON"), "{out}");
    // a plain YAML policy: line 5
    let plain = "version: 1\ndefault:\n  request:\n    actions:\n      email: blok\n";
    let (code, out, _) = run(&["check", "-"], plain);
    assert_eq!(code, 4);
    assert!(out.contains("(line 5, column 7)"), "{out}");
    // YAML syntax errors give file:line:column
    let broken = "version: 1\ndefault:\n  request: [\n";
    let f = d.join("broken.yaml");
    std::fs::write(&f, broken).unwrap();
    let (code, out, _) = run(&["check", f.to_str().unwrap()], "");
    assert_eq!(code, 4, "{out}");
    assert!(
        out.contains("broken.yaml:4:") || out.contains("broken.yaml:3:"),
        "{out}"
    );
    assert!(out.contains("YAML:"), "{out}");
}

#[test]
fn schema_key_is_accepted_and_only_it() {
    let ok = r#"{"$schema": "https://example/x.json", "version": 1}"#;
    let (code, out, _) = run(&["check", "-"], ok);
    assert_eq!(code, 0, "{out}");
    let other = r#"{"$comment": "x", "version": 1}"#;
    let (code, out, _) = run(&["check", "-"], other);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("unknown field `$comment`"), "{out}");
    // the filter's own parser too
    assert!(piiguard::policy::Policy::from_json(ok.as_bytes()).is_ok());
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // many output lines, the reader gone after the first
    let d = tmp("pipe");
    for i in 0..3000 {
        std::fs::write(d.join(format!("p{i:04}.json")), r#"{"version":1}"#).unwrap();
    }
    for cmd in [
        format!("{} check {} | head -1", env!("CARGO_BIN_EXE_piiguard"), d.display()),
        format!("{} --help | head -1", env!("CARGO_BIN_EXE_piiguard")),
        format!("{} schema | head -1", env!("CARGO_BIN_EXE_piiguard")),
    ] {
        let out = Command::new("bash")
            .args(["-c", &format!("set -o pipefail; {cmd}")])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{cmd}: {err}");
        assert!(out.status.success(), "{cmd}: {:?} {err}", out.status);
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    }
}

#[test]
fn warns_when_a_policy_needs_the_key() {
    // payments.json redacts with `hash` and sets no key
    let (code, _, err) = run(&["check", "examples/payments.json"], "");
    assert_eq!(code, 0);
    assert!(err.contains("warning") && err.contains("PIIGUARD_HASH_KEY"), "{err}");
    // a subject needs it too
    let subj = r#"{"version":1,"subject":{"sources":[{"header":"x-user"}]}}"#;
    let (_, _, err) = run(&["check", "-"], subj);
    assert!(
        err.contains("uses a subject") && err.contains("PIIGUARD_HASH_KEY"),
        "{err}"
    );
    // a manifest that sets it for the VM: no warning
    let (code, _, err) = run(&["check", "istio/base/wasmplugin.yaml"], "");
    assert_eq!(code, 0);
    assert!(!err.contains("warning"), "{err}");
    // a policy without hashing or subject: no warning
    let (_, _, err) = run(&["check", "-"], r#"{"version":1}"#);
    assert!(!err.contains("warning"), "{err}");
}

fn audit_line(ts: u64, subject: &str, route: &str) -> String {
    serde_json::json!({
        "piiguard": "0.1.0", "ts_ms": ts, "subject": subject, "route": route, "authority": "crm",
        "purpose": "billing", "decision": "redacted",
        "request": {"findings": [{"detector": "email", "category": "email", "count": 1}]}
    })
    .to_string()
}

#[test]
fn trail_and_breach_take_human_dates_and_print_iso() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let h = 3_600_000;
    let lines = [
        audit_line(1_793_491_200_000 - 1, "s1", "a"), // 2026-10-31T23:59:59.999Z
        audit_line(1_793_491_200_000, "s1", "a"),     // 2026-11-01T00:00:00.000Z
        audit_line(now - 100 * h, "s1", "b"),
        audit_line(now - h, "s1", "c"),
    ]
    .join("\n");
    let d = tmp("trail");
    let f = d.join("audit.jsonl");
    std::fs::write(&f, &lines).unwrap();
    let f = f.to_str().unwrap();
    let (code, out, err) = run(
        &[
            "trail",
            "--subject",
            "s1",
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-01T00:00:00Z",
            "--json",
            f,
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["requests"], 1, "{out}");
    assert_eq!(v["flows"][0]["first"], "2026-11-01T00:00:00.000Z");
    assert_eq!(v["flows"][0]["first_ms"], 1_793_491_200_000u64);
    // 72h back from now: only the last record
    let (_, out, _) = run(&["trail", "--subject", "s1", "--since", "72h", "--json", f], "");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["requests"], 1, "{out}");
    assert_eq!(v["flows"][0]["route"], "c");
    // the table shows ISO-8601 times
    let (_, out, _) = run(&["trail", "--subject", "s1", f], "");
    assert!(out.contains("2026-10-31T23:59:59.999Z"), "{out}");
    assert!(!out.contains("1793491199999"), "{out}");
    // breach: --since=2026-11-01 (with =), window shown in ISO
    let (code, out, _) = run(&["breach", "--since=2026-11-01", "--until", "now", f], "");
    assert_eq!(code, 0);
    assert!(out.starts_with("3 requests, 1 subjects"), "{out}");
    assert!(out.contains("from 2026-11-01T00:00:00.000Z to "), "{out}");
    let (code, _, err) = run(&["breach", "--since", "last tuesday", f], "");
    assert_eq!(code, 1);
    assert!(err.contains("--since") && err.contains("2026-11-01"), "{err}");
    // stdin
    let (_, out, _) = run(&["breach", "--route", "b", "--json", "-"], &lines);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["requests"], 1);
}

#[test]
fn shipped_schema_is_the_generated_one() {
    let (code, out, _) = run(&["schema"], "");
    assert_eq!(code, 0);
    let shipped = std::fs::read_to_string(root().join("schema/piiguard-config.schema.json")).unwrap();
    assert!(
        shipped.trim_end() == out.trim_end(),
        "schema/piiguard-config.schema.json is stale: regenerate it with \
         `cargo run -q -p piiguard-cli -- schema > schema/piiguard-config.schema.json`"
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["$id"],
        "https://raw.githubusercontent.com/piiguard/piiguard/main/schema/piiguard-config.schema.json"
    );
    // the modeline in the shipped YAML policy names the same schema
    let yaml = std::fs::read_to_string(root().join("examples/policies/customers.yaml")).unwrap();
    assert!(
        yaml.starts_with(&format!(
            "# yaml-language-server: $schema={}",
            v["$id"].as_str().unwrap()
        )),
        "{yaml}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("examples/payments.json")).unwrap()).unwrap();
    assert_eq!(json["$schema"], v["$id"]);
    // the generated schema knows every top-level field the parser accepts, and no other
    let props: Vec<&String> = v["properties"].as_object().unwrap().keys().collect();
    for k in [
        "version",
        "routes",
        "default",
        "subject",
        "audit",
        "consent",
        "limits",
        "detectors",
        "$schema",
    ] {
        assert!(props.iter().any(|p| *p == k), "{k} missing from {props:?}");
    }
    assert_eq!(v["additionalProperties"], false);
}

#[test]
fn the_pre_commit_hook_checks_what_is_staged() {
    let d = tmp("hook");
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(&d)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let hook = root().join("examples/ci/pre-commit");
    let run_hook = || {
        let out = Command::new("bash")
            .arg(&hook)
            .current_dir(&d)
            .env("PIIGUARD", env!("CARGO_BIN_EXE_piiguard"))
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    git(&["init", "-q"]);
    std::fs::create_dir_all(d.join("policies")).unwrap();
    // nothing staged, or only files without piiguard configuration: passes
    assert_eq!(run_hook().0, 0);
    std::fs::write(d.join("policies/ci.yaml"), "name: ci\non: push\n").unwrap();
    git(&["add", "policies/ci.yaml"]);
    let (code, err) = run_hook();
    assert_eq!(code, 0, "{err}");
    // a bad policy staged: fails, naming the repository path and the YAML line
    std::fs::write(
        d.join("policies/p.yaml"),
        "version: 1\ndefault:\n  request:\n    actions:\n      email: blok\n",
    )
    .unwrap();
    git(&["add", "policies/p.yaml"]);
    let (code, err) = run_hook();
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("policies/p.yaml: error: $.default.request.actions.email"),
        "{err}"
    );
    assert!(err.contains("(line 5, column 7)"), "{err}");
    assert!(!err.contains("/tmp"), "{err}");
    // fixed in the working tree but not staged: still fails (the staged version is checked)
    std::fs::write(d.join("policies/p.yaml"), "version: 1\n").unwrap();
    assert_eq!(run_hook().0, 4);
    git(&["add", "policies/p.yaml"]);
    let (code, err) = run_hook();
    assert_eq!(code, 0, "{err}");
}

#[test]
fn the_ci_snippet_command_passes_on_the_repository() {
    // what examples/ci/github-actions.yaml runs, on this repository's own directories
    let ci = std::fs::read_to_string(root().join("examples/ci/github-actions.yaml")).unwrap();
    assert!(ci.contains("piiguard check "), "{ci}");
    let (code, out, err) = run(&["check", "istio", "envoy-config", "examples"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(": ok ("), "{out}");
    assert!(out.contains("skipped"), "{out}");
    // --allow-none: a change with no policy in it passes, without it nothing was checked
    let (code, _, _) = run(&["check", "--allow-none", "istio/base/kustomization.yaml"], "");
    assert_eq!(code, 0);
    let (code, _, _) = run(&["check", "istio/base/kustomization.yaml"], "");
    assert_eq!(code, 1);
}
