//! Istio manifests, docker-compose and the Envoy configs, checked offline:
//! manifests against the upstream CRD schemas (closed objects, like
//! `kubectl --validate=strict`), embedded plugin configs through piiguard's own
//! parser, every Envoy config through `envoy --mode validate`, and one
//! EnvoyFilter's configuration run for real.

use integration_tests::*;
use serde_json::Value as J;
use serde_yaml::Value as Y;

fn docs(path: &str) -> Vec<Y> {
    let text = std::fs::read_to_string(repo_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{path}: {e}")))
        .collect()
}

fn json(y: &Y) -> J {
    serde_json::to_value(y).unwrap_or(J::Null)
}

/// A Kubernetes structural schema made strict: objects with properties are
/// closed unless they preserve unknown fields; int-or-string made explicit.
fn strict(mut s: J) -> J {
    if let J::Object(m) = &mut s {
        let preserve = m.get("x-kubernetes-preserve-unknown-fields") == Some(&J::Bool(true));
        if m.get("x-kubernetes-int-or-string") == Some(&J::Bool(true)) {
            m.insert(
                "anyOf".into(),
                serde_json::json!([{"type": "integer"}, {"type": "string"}]),
            );
        }
        if m.contains_key("properties") && !m.contains_key("additionalProperties") && !preserve {
            m.insert("additionalProperties".into(), J::Bool(false));
        }
        let keys: Vec<String> = m.keys().cloned().collect();
        for k in keys {
            if k.starts_with("x-kubernetes") {
                continue;
            }
            if let Some(v) = m.remove(&k) {
                m.insert(k, strict(v));
            }
        }
    } else if let J::Array(a) = &mut s {
        let items: Vec<J> = std::mem::take(a);
        *a = items.into_iter().map(strict).collect();
    }
    s
}

fn crd_schema(kind: &str, version: &str) -> J {
    let file = match kind {
        "EnvoyFilter" => "istio/crds/envoyfilter.yaml",
        "WasmPlugin" => "istio/crds/wasmplugin.yaml",
        "Telemetry" => "istio/crds/telemetry.yaml",
        "TrafficExtension" => "istio/crds/trafficextension.yaml",
        k => panic!("no CRD for kind {k}"),
    };
    let crd = json(&docs(file)[0]);
    let v = crd["spec"]["versions"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["name"] == version))
        .cloned()
        .unwrap_or_else(|| panic!("{kind} has no version {version}"));
    let mut schema = strict(v["schema"]["openAPIV3Schema"].clone());
    // metadata is validated by the API server itself
    schema["properties"]["metadata"] = serde_json::json!({"type": "object"});
    schema["properties"]["apiVersion"] = serde_json::json!({"type": "string"});
    schema["properties"]["kind"] = serde_json::json!({"const": kind});
    schema
}

fn manifests() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(repo_root().join("istio"))
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("yaml"))
        .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(|n| format!("istio/{n}")))
        .filter(|n| !n.ends_with("kustomization.yaml") && !n.ends_with("secret-env-patch.yaml"))
        .collect();
    v.sort();
    v
}

/// Plugin configurations embedded in a manifest.
fn embedded(v: &Y, out: &mut Vec<String>) {
    out.extend(piiguard::config::embedded_configs(&json(v)).into_iter().map(|(_, c)| c));
}

#[test]
fn manifests_match_istio_crds_and_embed_valid_configs() {
    let files = manifests();
    assert!(files.len() >= 7, "{files:?}");
    let mut kinds = std::collections::BTreeSet::new();
    for f in &files {
        for d in docs(f) {
            let kind = d["kind"].as_str().unwrap_or_else(|| panic!("{f}: no kind")).to_string();
            let version = d["apiVersion"]
                .as_str()
                .unwrap_or("")
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string();
            let schema = crd_schema(&kind, &version);
            let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{kind} schema: {e}"));
            let errors: Vec<String> = validator
                .iter_errors(&json(&d))
                .map(|e| format!("{} at {}", e, e.instance_path))
                .collect();
            assert!(
                errors.is_empty(),
                "{f} ({kind}) does not match the Istio CRD: {errors:#?}"
            );
            let mut configs = Vec::new();
            embedded(&d, &mut configs);
            for c in configs {
                if let Err(e) = piiguard::policy::Policy::from_json(c.as_bytes()) {
                    panic!("{f}: embedded piiguard config rejected: {e}");
                }
            }
            kinds.insert(kind);
        }
    }
    for k in ["EnvoyFilter", "WasmPlugin", "Telemetry"] {
        assert!(kinds.contains(k), "no {k} manifest");
    }
    // a manifest Istio would reject is caught: an unknown field, a bad enum
    let mut bad = json(&docs("istio/wasmplugin.yaml")[0]);
    bad["spec"]["failStrategy"] = "FAIL_SOMETIMES".into();
    bad["spec"]["selectr"] = serde_json::json!({});
    let validator = jsonschema::validator_for(&crd_schema("WasmPlugin", "v1alpha1")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(validator.iter_errors(&bad).count(), 2);
}

/// Each EnvoyFilter's Wasm filter, dropped into the demo bootstrap, passes
/// `envoy --mode validate` (which also runs the plugin's on_configure).
#[test]
fn envoyfilter_patches_validate_in_envoy() {
    let mut n = 0;
    for f in manifests() {
        for d in docs(&f) {
            if d["kind"] != "EnvoyFilter" {
                continue;
            }
            for p in d["spec"]["configPatches"].as_sequence().cloned().unwrap_or_default() {
                let mut value = p["patch"]["value"].clone();
                if value.get("typed_config").is_none() {
                    continue; // an ECDS reference; its config is the EXTENSION_CONFIG patch
                }
                value["typed_config"]["config"]["vm_config"]["code"] =
                    serde_yaml::from_str(&format!("local: {{ filename: {} }}", wasm_path().display()))
                        .unwrap_or(Y::Null);
                let (path, _, _) = write_config("envoyfilter", None, 1, &[], &|cfg| {
                    cfg["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
                        ["http_filters"][0] = value.clone();
                });
                let (ok, out) = validate(&path);
                assert!(ok, "{f}: {out}");
                n += 1;
            }
        }
    }
    assert!(n >= 4, "validated {n} patches");
}

#[test]
fn envoyfilter_config_runs_as_promised() {
    let d = &docs("istio/envoyfilter-sidecar.yaml")[0];
    let mut configs = Vec::new();
    embedded(&d["spec"]["configPatches"][0], &mut configs);
    let up = upstream();
    let envoy = Envoy::start("envoyfilter", Some(&configs[0]), up);
    // promised: a JSON request body's e-mail reaches the application as "[EMAIL]"
    let r = request(
        envoy.port,
        "POST",
        "/echo",
        &[("content-type", "application/json")],
        Some(br#"{"customer":{"email":"jane.doe@example.com"}}"#),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), serde_json::json!({"customer":{"email":"[EMAIL]"}}));
    // and the outbound one blocks cards
    let mut configs = Vec::new();
    embedded(&d["spec"]["configPatches"][1], &mut configs);
    let envoy = Envoy::start("envoyfilter-out", Some(&configs[0]), up);
    let r = request(
        envoy.port,
        "POST",
        "/echo",
        &[("content-type", "application/json")],
        Some(br#"{"card":"4111 1111 1111 1111"}"#),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 403);
}

#[test]
fn docker_compose_mounts_what_the_tests_run() {
    let d = &docs("docker-compose.yml")[0];
    let envoy = &d["services"]["envoy"];
    assert!(
        envoy["image"]
            .as_str()
            .is_some_and(|i| i.starts_with("envoyproxy/envoy:v1.40")),
        "{envoy:?}"
    );
    let cmd: Vec<&str> = envoy["command"]
        .as_sequence()
        .map(|s| s.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let cfg = cmd
        .iter()
        .position(|a| *a == "-c")
        .and_then(|i| cmd.get(i + 1))
        .copied()
        .unwrap_or("");
    let workdir = envoy["working_dir"].as_str().unwrap_or("");
    // every host path mounted exists (target/ is created by the build), and the
    // config Envoy reads is envoy-config/envoy.yaml, the one the tests run
    let mut config_source = None;
    for vol in envoy["volumes"].as_sequence().cloned().unwrap_or_default() {
        let v = vol.as_str().unwrap_or("");
        let mut parts = v.split(':');
        let (host, inside) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        if host != "./target" {
            assert!(repo_root().join(host).exists(), "{host} does not exist");
        }
        if let Some(rest) = cfg.strip_prefix(inside) {
            config_source = Some(format!("{}{rest}", host.trim_start_matches("./")));
        }
        assert!(inside.starts_with(workdir));
    }
    assert_eq!(config_source.as_deref(), Some("envoy-config/envoy.yaml"));
    // the wasm path in that config resolves under the mounted target/
    let wasm = demo_config()["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
        ["http_filters"][0]["typed_config"]["config"]["vm_config"]["code"]["local"]["filename"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(wasm.starts_with("target/"), "{wasm}");
    let up = &d["services"]["upstream"];
    let dockerfile = up["build"]["dockerfile"].as_str().unwrap_or("");
    assert!(repo_root().join(dockerfile).exists(), "{dockerfile}");
    assert!(repo_root().join("image/Dockerfile").exists());
}
