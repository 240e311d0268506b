//! The Istio install, checked as a user would apply it: every kustomization
//! under istio/ rendered by `kubectl kustomize`, every rendered object checked
//! against the vendored Istio CRD schemas (closed objects, like
//! `kubectl --validate=strict`, plus the CRDs' CEL rules written out) or the
//! Kubernetes types of core kinds (k8s-openapi, strict by round trip), every
//! embedded piiguard config compiled by the real policy compiler, the key
//! delivered in each mode, and the Envoy-level artefacts (EnvoyFilter patches,
//! a waypoint-equivalent listener running the rendered waypoint policy) run
//! in a real Envoy. Also the release pieces: one version for module, CLI,
//! image and manifests; LICENSE; CHANGELOG; image labels; docker-compose.

use integration_tests::tls::*;
use integration_tests::*;
use serde_json::{json, Value as J};
use serde_norway::Value as Y;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn docs_of(text: &str, what: &str) -> Vec<Y> {
    serde_norway::Deserializer::from_str(text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{what}: {e}")))
        .filter(|d: &Y| !d.is_null())
        .collect()
}

fn docs(path: &str) -> Vec<Y> {
    let text = std::fs::read_to_string(repo_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    docs_of(&text, path)
}

fn json(y: &Y) -> J {
    serde_json::to_value(y).unwrap_or(J::Null)
}

fn kubectl(args: &[&str]) -> String {
    let out = Command::new("kubectl")
        .args(args)
        .current_dir(repo_root())
        .output()
        .unwrap_or_else(|e| {
            panic!("kubectl is needed (`make test` installs it with apt-get: the Debian package `kubectl`): {e}")
        });
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every directory under istio/ holding a kustomization, relative to the root.
fn kustomizations() -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
        {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.file_name().and_then(|n| n.to_str()) == Some("kustomization.yaml") {
                out.push(dir.to_path_buf());
            }
        }
    }
    let mut v = Vec::new();
    walk(&repo_root().join("istio"), &mut v);
    let root = repo_root();
    let mut v: Vec<String> = v
        .iter()
        .filter_map(|p| p.strip_prefix(&root).ok().map(|p| p.display().to_string()))
        .collect();
    v.sort();
    v
}

fn render(dir: &str) -> Vec<J> {
    let out = kubectl(&["kustomize", dir]);
    docs_of(&out, dir).iter().map(json).collect()
}

/// A Kubernetes structural schema made strict: objects with properties are
/// closed unless they preserve unknown fields; int-or-string made explicit.
fn strict(mut s: J) -> J {
    if let J::Object(m) = &mut s {
        let preserve = m.get("x-kubernetes-preserve-unknown-fields") == Some(&J::Bool(true));
        if m.get("x-kubernetes-int-or-string") == Some(&J::Bool(true)) {
            m.insert("anyOf".into(), json!([{"type": "integer"}, {"type": "string"}]));
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
    schema["properties"]["metadata"] = json!({"type": "object", "required": ["name"]});
    schema["properties"]["apiVersion"] = json!({"type": "string"});
    schema["properties"]["kind"] = json!({"const": kind});
    schema
}

fn schema_errors(d: &J) -> Vec<String> {
    let kind = d["kind"].as_str().unwrap_or("");
    let version = d["apiVersion"].as_str().unwrap_or("").rsplit('/').next().unwrap_or("");
    let schema = crd_schema(kind, version);
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{kind} schema: {e}"));
    let mut errors: Vec<String> = validator
        .iter_errors(d)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    // the CRDs' CEL rules (x-kubernetes-validations), which a JSON Schema validator skips
    let spec = &d["spec"];
    let has = |k: &str| spec.get(k).is_some();
    if ["WasmPlugin", "TrafficExtension"].contains(&kind) {
        if [has("selector"), has("targetRef"), has("targetRefs")]
            .iter()
            .filter(|b| **b)
            .count()
            > 1
        {
            errors.push("only one of targetRefs or selector can be set".into());
        }
        let url = if kind == "WasmPlugin" {
            &spec["url"]
        } else {
            &spec["wasm"]["url"]
        };
        if let Some(u) = url.as_str() {
            let scheme = u.split_once("://").map(|(s, _)| s).unwrap_or("");
            if !["", "http", "https", "oci", "file"].contains(&scheme) {
                errors.push(format!("url must have schema one of [http, https, file, oci]: {u}"));
            }
        }
    }
    if kind == "TrafficExtension" && has("wasm") == has("lua") {
        errors.push("exactly one of wasm or lua must be set".into());
    }
    errors
}

/// Strict check of a core kind: it deserializes into the Kubernetes type and
/// serializes back to the same document (an unknown or misspelt field is
/// dropped by the type, so the round trip shows it).
fn core_kind<T: serde::de::DeserializeOwned + serde::Serialize>(d: &J, what: &str) -> T {
    // nulls (kubectl's `creationTimestamp: null`) mean "unset" to the API server
    fn no_nulls(v: &J) -> J {
        match v {
            J::Object(m) => J::Object(
                m.iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), no_nulls(v)))
                    .collect(),
            ),
            J::Array(a) => J::Array(a.iter().map(no_nulls).collect()),
            v => v.clone(),
        }
    }
    fn diff(a: &J, b: &J, at: &str, out: &mut Vec<String>) {
        match (a, b) {
            (J::Object(x), J::Object(y)) => {
                for k in x.keys().chain(y.keys()).collect::<BTreeSet<_>>() {
                    match (x.get(k), y.get(k)) {
                        (Some(p), Some(q)) => diff(p, q, &format!("{at}.{k}"), out),
                        _ => out.push(format!("{at}.{k}")),
                    }
                }
            }
            (J::Array(x), J::Array(y)) if x.len() == y.len() => {
                for (i, (p, q)) in x.iter().zip(y).enumerate() {
                    diff(p, q, &format!("{at}[{i}]"), out);
                }
            }
            (p, q) if p != q => out.push(at.to_string()),
            _ => {}
        }
    }
    let d = no_nulls(d);
    let t: T = serde_json::from_value(d.clone()).unwrap_or_else(|e| panic!("{what}: not a valid object: {e}"));
    let back = serde_json::to_value(&t).unwrap_or(J::Null);
    let mut out = Vec::new();
    diff(&d, &back, "", &mut out);
    assert!(
        out.is_empty(),
        "{what}: fields the Kubernetes type does not know: {out:?}"
    );
    t
}

/// A strategic-merge patch of a Deployment's pod template: its containers
/// must be valid containers, `istio-proxy` with `image: auto`, and the key
/// from the Secret `piiguard-key`.
fn check_proxy_patch(patch: &J, what: &str) {
    let containers = patch["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no spec.template.spec.containers"));
    let proxy = containers
        .iter()
        .find(|c| c["name"] == "istio-proxy")
        .unwrap_or_else(|| panic!("{what}: no istio-proxy container"));
    let c: k8s_openapi::api::core::v1::Container = core_kind(proxy, what);
    let env = c.env.unwrap_or_default();
    for (name, key) in [("PIIGUARD_HASH_KEY", "key"), ("PIIGUARD_KEY_ID", "id")] {
        let e = env
            .iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("{what}: no {name}"));
        let r = e
            .value_from
            .as_ref()
            .and_then(|v| v.secret_key_ref.as_ref())
            .unwrap_or_else(|| panic!("{what}: {name} not from a Secret"));
        assert_eq!((r.name.as_str(), r.key.as_str()), ("piiguard-key", key), "{what}");
        assert_ne!(r.optional, Some(true), "{what}: the key must not be optional");
    }
    assert!(e_no_value(&env), "{what}: the key is never inline");
    let _ = what;
}

fn e_no_value(env: &[k8s_openapi::api::core::v1::EnvVar]) -> bool {
    env.iter().all(|e| e.value.is_none())
}

fn workspace_version() -> String {
    let text = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap_or_default();
    let mut in_pkg = false;
    for l in text.lines() {
        let l = l.trim();
        if l.starts_with('[') {
            in_pkg = l == "[workspace.package]";
        } else if in_pkg {
            if let Some(v) = l.strip_prefix("version") {
                return v.trim_start_matches([' ', '=']).trim().trim_matches('"').to_string();
            }
        }
    }
    panic!("no [workspace.package] version")
}

fn plugin_of(d: &J) -> (&J, &J) {
    // (the wasm fields, the spec) of a WasmPlugin or TrafficExtension
    if d["kind"] == "TrafficExtension" {
        (&d["spec"]["wasm"], &d["spec"])
    } else {
        (&d["spec"], &d["spec"])
    }
}

#[test]
fn every_kustomization_renders_and_matches_the_schemas() {
    let dirs = kustomizations();
    for want in [
        "istio/base",
        "istio/overlays/sidecar",
        "istio/overlays/gateway",
        "istio/overlays/waypoint",
        "istio/overlays/trafficextension",
        "istio/overlays/waypoint-trafficextension",
        "istio/examples",
    ] {
        assert!(dirs.iter().any(|d| d == want), "{want} missing: {dirs:?}");
    }
    let version = workspace_version();
    let mut seen = BTreeSet::new();
    let mut providers = BTreeSet::new();
    for dir in &dirs {
        let objs = render(dir);
        assert!(!objs.is_empty(), "{dir} renders nothing");
        for d in &objs {
            let kind = d["kind"]
                .as_str()
                .unwrap_or_else(|| panic!("{dir}: no kind"))
                .to_string();
            let what = format!("{dir}: {kind} {}", d["metadata"]["name"]);
            match kind.as_str() {
                "WasmPlugin" | "TrafficExtension" | "EnvoyFilter" | "Telemetry" => {
                    let errors = schema_errors(d);
                    assert!(errors.is_empty(), "{what} does not match the Istio CRD: {errors:#?}");
                }
                "ConfigMap" => {
                    let cm: k8s_openapi::api::core::v1::ConfigMap = core_kind(d, &what);
                    let size: usize = cm.data.iter().flatten().map(|(k, v)| k.len() + v.len()).sum::<usize>()
                        + cm.binary_data
                            .iter()
                            .flatten()
                            .map(|(k, v)| k.len() + v.0.len())
                            .sum::<usize>();
                    assert!(size <= 1 << 20, "{what}: {size} bytes, over the 1 MiB ConfigMap limit");
                }
                "Gateway" => {
                    // Gateway API (not vendored): the waypoint shape Istio expects
                    assert_eq!(d["apiVersion"], "gateway.networking.k8s.io/v1", "{what}");
                    assert_eq!(d["spec"]["gatewayClassName"], "istio-waypoint", "{what}");
                    assert_eq!(
                        d["spec"]["listeners"],
                        json!([{"name": "mesh", "port": 15008, "protocol": "HBONE"}])
                    );
                    let params = &d["spec"]["infrastructure"]["parametersRef"];
                    assert_eq!(
                        (&params["group"], &params["kind"]),
                        (&json!(""), &json!("ConfigMap")),
                        "{what}"
                    );
                    // the key reaches the waypoint's proxy through the referenced ConfigMap
                    let cm = objs
                        .iter()
                        .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == params["name"])
                        .unwrap_or_else(|| panic!("{what}: parametersRef {params} not rendered with it"));
                    let patch: Y = serde_norway::from_str(cm["data"]["deployment"].as_str().unwrap_or(""))
                        .unwrap_or_else(|e| panic!("{what}: deployment patch: {e}"));
                    check_proxy_patch(&json(&patch), &format!("{what} deployment patch"));
                }
                k => panic!("{what}: unexpected kind {k}"),
            }
            // every embedded piiguard config compiles
            for (at, cfg) in piiguard::config::embedded_configs(d) {
                if let Err(e) = piiguard::policy::Policy::from_json(cfg.as_bytes()) {
                    panic!("{what} {at}: embedded piiguard config rejected: {e}");
                }
            }
            if kind == "WasmPlugin" || kind == "TrafficExtension" {
                let (w, spec) = plugin_of(d);
                let scope = if spec.get("selector").is_some() {
                    "selector"
                } else if spec["targetRefs"][0]["kind"] == "Gateway" {
                    "targetRefs"
                } else {
                    "namespace"
                };
                seen.insert(format!("{kind}/{scope}"));
                assert_eq!(w["failStrategy"], "FAIL_CLOSE", "{what}");
                assert_eq!(spec["phase"], "AUTHZ", "{what}");
                let url = w["url"].as_str().unwrap_or("");
                assert!(
                    url.ends_with(&format!(":{version}")),
                    "{what}: {url} is not tagged {version}"
                );
                assert!(w["sha256"].is_string(), "{what}: sha256 must render as a string");
                if w["pluginConfig"].get("subject").is_some() {
                    let env = w["vmConfig"]["env"].as_array().cloned().unwrap_or_default();
                    assert!(
                        env.contains(&json!({"name": "PIIGUARD_HASH_KEY", "valueFrom": "HOST"})),
                        "{what}: uses subject but does not read the key"
                    );
                }
            }
            if kind == "Telemetry" {
                // scoped to the workloads piiguard runs on, never a mesh/namespace default
                let spec = &d["spec"];
                assert!(
                    spec.get("selector").is_some() || spec.get("targetRefs").is_some(),
                    "{what}: not scoped to workloads"
                );
                for p in spec["accessLogging"][0]["providers"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                {
                    providers.insert(p["name"].as_str().unwrap_or("").to_string());
                }
                seen.insert("Telemetry".into());
            }
            if kind == "EnvoyFilter" {
                seen.insert("EnvoyFilter".into());
            }
        }
    }
    for k in [
        "WasmPlugin/selector",
        "WasmPlugin/targetRefs",
        "TrafficExtension/selector",
        "TrafficExtension/targetRefs",
        "EnvoyFilter",
        "Telemetry",
    ] {
        assert!(seen.contains(k), "no {k} rendered: {seen:?}");
    }
    // the provider every Telemetry names is declared by the shipped mesh config
    assert_eq!(providers, BTreeSet::from(["piiguard-audit".to_string()]));
    assert!(providers.is_subset(&declared_providers()));

    // what Istio would refuse is caught: the unquoted placeholder (YAML integer
    // 0, the bug this layout fixes), an unknown field, a bad enum, selector
    // and targetRefs together
    let base = render("istio/base").remove(0);
    assert!(schema_errors(&base).is_empty());
    let mut bad = base.clone();
    bad["spec"]["sha256"] = json!(0);
    assert_eq!(schema_errors(&bad).len(), 1, "{:?}", schema_errors(&bad));
    let mut bad = base.clone();
    bad["spec"]["failStrategy"] = "FAIL_SOMETIMES".into();
    bad["spec"]["selectr"] = json!({});
    assert_eq!(schema_errors(&bad).len(), 2);
    let mut bad = base.clone();
    bad["spec"]["selector"] = json!({"matchLabels": {"app": "a"}});
    bad["spec"]["targetRefs"] = json!([{"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "w"}]);
    assert_eq!(
        schema_errors(&bad),
        vec!["only one of targetRefs or selector can be set".to_string()]
    );
}

fn declared_providers() -> BTreeSet<String> {
    let op = json(&docs("istio/mesh-config/istio-operator.yaml")[0]);
    op["spec"]["meshConfig"]["extensionProviders"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect()
}

/// Manifests outside the kustomizations (istio/*.yaml): the same schemas,
/// Telemetry scoped to workloads, providers declared in the mesh config.
#[test]
fn loose_manifests_match_the_schemas() {
    let declared = declared_providers();
    for e in std::fs::read_dir(repo_root().join("istio"))
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
    {
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some("yaml") {
            continue;
        }
        let name = format!("istio/{}", p.file_name().and_then(|n| n.to_str()).unwrap_or(""));
        for d in docs(&name).iter().map(json) {
            let errors = schema_errors(&d);
            assert!(errors.is_empty(), "{name}: {errors:#?}");
            if d["kind"] == "Telemetry" {
                let spec = &d["spec"];
                assert!(
                    spec.get("selector").is_some() || spec.get("targetRefs").is_some(),
                    "{name}: Telemetry not scoped to workloads"
                );
                for pr in spec["accessLogging"][0]["providers"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                {
                    let n = pr["name"].as_str().unwrap_or("");
                    assert!(declared.contains(n), "{name}: provider {n} not in istio/mesh-config/");
                }
            }
        }
    }
}

#[test]
fn trafficextension_forms_carry_the_same_policy_as_the_wasmplugins() {
    let plugin = |dir: &str, kind: &str| -> J {
        render(dir)
            .into_iter()
            .find(|d| d["kind"] == kind)
            .unwrap_or_else(|| panic!("{dir}: no {kind}"))
    };
    for (wp, te) in [
        ("istio/overlays/sidecar", "istio/overlays/trafficextension"),
        ("istio/overlays/waypoint", "istio/overlays/waypoint-trafficextension"),
    ] {
        let (a, b) = (plugin(wp, "WasmPlugin"), plugin(te, "TrafficExtension"));
        for f in [
            "url",
            "sha256",
            "pluginName",
            "failStrategy",
            "vmConfig",
            "pluginConfig",
            "type",
        ] {
            assert_eq!(a["spec"][f], b["spec"]["wasm"][f], "{wp} vs {te}: {f}");
        }
        for f in ["selector", "targetRefs", "match", "phase", "priority"] {
            assert_eq!(a["spec"][f], b["spec"][f], "{wp} vs {te}: {f}");
        }
    }
}

#[test]
fn the_key_is_delivered_in_each_mode() {
    // sidecar and gateway: a strategic-merge patch of the proxy container
    for p in [
        "istio/overlays/sidecar/istio-proxy-key-patch.yaml",
        "istio/overlays/gateway/istio-proxy-key-patch.yaml",
    ] {
        check_proxy_patch(&json(&docs(p)[0]), p);
        let overlay = Path::new(p)
            .parent()
            .map(|d| d.join("kustomization.yaml"))
            .unwrap_or_default();
        let text = std::fs::read_to_string(repo_root().join(&overlay)).unwrap_or_default();
        assert!(
            text.contains(&format!("--patch-file {p}")),
            "{}: does not say how to apply {p}",
            overlay.display()
        );
        assert!(
            text.contains("create secret generic piiguard-key"),
            "{}",
            overlay.display()
        );
    }
    // the Secret, made by the documented command, is a valid Secret with the keys the patches read
    let out = kubectl(&[
        "create",
        "secret",
        "generic",
        "piiguard-key",
        "--from-literal=key=0123456789abcdef0123456789abcdef",
        "--from-literal=id=k-2026-11",
        "--dry-run=client",
        "-o",
        "json",
    ]);
    let d: J = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}"));
    let s: k8s_openapi::api::core::v1::Secret = core_kind(&d, "Secret piiguard-key");
    let keys: BTreeSet<String> = s.data.unwrap_or_default().keys().cloned().collect();
    assert_eq!(keys, BTreeSet::from(["id".to_string(), "key".to_string()]));
    // a patch that Kubernetes would refuse is caught: no image, or a misspelt field
    let mut bad = json(&docs("istio/overlays/sidecar/istio-proxy-key-patch.yaml")[0]);
    bad["spec"]["template"]["spec"]["containers"][0]["envv"] = json!([]);
    let r = std::panic::catch_unwind(|| check_proxy_patch(&bad, "bad"));
    assert!(r.is_err(), "a misspelt field passes");
}

#[test]
fn mesh_config_declares_the_audit_provider_with_the_tested_format() {
    let op = json(&docs("istio/mesh-config/istio-operator.yaml")[0]);
    assert_eq!(op["kind"], "IstioOperator");
    let helm = json(&docs("istio/mesh-config/helm-values.yaml")[0]);
    let a = &op["spec"]["meshConfig"]["extensionProviders"];
    assert_eq!(
        a, &helm["meshConfig"]["extensionProviders"],
        "operator and Helm forms differ"
    );
    assert_eq!(a[0]["name"], "piiguard-audit");
    assert_eq!(a[0]["envoyFileAccessLog"]["path"], "/dev/stdout");
    // the same format the demo Envoy config prints, which the audit tests read
    let demo = demo_config();
    let fmt = &demo["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]["access_log"]
        [0]["typed_config"]["log_format"]["text_format_source"]["inline_string"];
    assert_eq!(a[0]["envoyFileAccessLog"]["logFormat"]["text"], json(fmt));
}

/// The module in a ConfigMap mount: Kubernetes caps a ConfigMap at 1 MiB.
/// While the real module is larger, no shipped manifest may rely on a mount.
#[test]
fn configmap_mount_limit_checked_against_the_real_module() {
    let wasm = wasm_path();
    let out = kubectl(&[
        "create",
        "configmap",
        "piiguard-wasm",
        &format!("--from-file=piiguard.wasm={}", wasm.display()),
        "--dry-run=client",
        "-o",
        "json",
    ]);
    let d: J = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}"));
    let cm: k8s_openapi::api::core::v1::ConfigMap = core_kind(&d, "ConfigMap piiguard-wasm");
    let size: usize = cm.binary_data.iter().flatten().map(|(_, v)| v.0.len()).sum();
    assert_eq!(size as u64, std::fs::metadata(&wasm).map(|m| m.len()).unwrap_or(0));
    let fits = size <= 1 << 20;
    eprintln!("piiguard.wasm: {size} bytes; fits a ConfigMap (1 MiB): {fits}");
    if !fits {
        for dir in kustomizations() {
            let text = serde_json::to_string(&render(&dir)).unwrap_or_default();
            assert!(
                !text.contains("userVolume") && !text.contains("\"local\""),
                "{dir} mounts the module from a ConfigMap, which cannot hold {size} bytes"
            );
        }
    }
}

fn patches(d: &J) -> Vec<J> {
    d["spec"]["configPatches"].as_array().cloned().unwrap_or_default()
}

/// The Wasm filter an EnvoyFilter HTTP_FILTER patch puts in the chain, as
/// Istio hands it to Envoy: an ECDS reference resolved to its
/// EXTENSION_CONFIG, the remote module (checked: https, sha256) swapped for
/// the local build, and the key from the proxy's environment given directly.
fn filter_from(d: &J, patch: &J) -> J {
    let mut value = patch["patch"]["value"].clone();
    if value.get("config_discovery").is_some() {
        let name = value["name"].clone();
        let ext = patches(d)
            .into_iter()
            .find(|p| p["applyTo"] == "EXTENSION_CONFIG" && p["patch"]["value"]["name"] == name)
            .unwrap_or_else(|| panic!("no EXTENSION_CONFIG named {name}"));
        value = ext["patch"]["value"].clone();
    }
    let vm = &mut value["typed_config"]["config"]["vm_config"];
    let remote = &vm["code"]["remote"];
    assert!(
        remote["http_uri"]["uri"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://")),
        "{remote}"
    );
    let sha = remote["sha256"].as_str().unwrap_or("");
    assert!(
        sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
        "sha256 {:?} is not a 64-hex string",
        remote["sha256"]
    );
    vm["code"] = json!({"local": {"filename": wasm_path().display().to_string()}});
    assert_eq!(
        vm["environment_variables"]["host_env_keys"],
        json!(["PIIGUARD_HASH_KEY", "PIIGUARD_KEY_ID"])
    );
    vm["environment_variables"] = json!({"key_values": {"PIIGUARD_HASH_KEY": "test-key", "PIIGUARD_KEY_ID": "t-1"}});
    value
}

fn envoy_filters() -> Vec<J> {
    render("istio/examples")
        .into_iter()
        .filter(|d| d["kind"] == "EnvoyFilter")
        .collect()
}

fn yv(j: &J) -> Y {
    serde_norway::to_value(j).unwrap_or(Y::Null)
}

/// Each EnvoyFilter HTTP_FILTER patch passes `envoy --mode validate` in the
/// demo bootstrap (which also runs the plugin's on_configure).
#[test]
fn envoyfilter_patches_validate_in_envoy() {
    let mut n = 0;
    for d in envoy_filters() {
        for p in patches(&d).iter().filter(|p| p["applyTo"] == "HTTP_FILTER") {
            let value = yv(&filter_from(&d, p));
            let (path, _, _) = write_config("envoyfilter", None, 1, &[], &|cfg| {
                cfg["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
                    ["http_filters"][0] = value.clone();
            });
            let (ok, out) = validate(&path);
            assert!(ok, "{}: {out}", d["metadata"]["name"]);
            n += 1;
        }
    }
    assert!(n >= 3, "validated {n} patches");
}

const EMAIL_BODY: &[u8] = br#"{"customer":{"email":"jane.doe@example.com"}}"#;

fn post(port: u16, path: &str, body: &[u8]) -> Response {
    request(port, "POST", path, &[("content-type", "application/json")], Some(body)).unwrap_or_else(|e| panic!("{e}"))
}

/// An Envoy whose listener 0 runs `filter` behind TLS (`mtls`: with a client
/// certificate required), reached through a plaintext front listener over a
/// TLS cluster; a second, plaintext listener runs the same filter (a
/// plaintext caller). `routes` replace listener 0's routes (then `/` to the
/// demo upstream); `clusters` are added. Returns (envoy, front port, plaintext port).
fn tls_envoy(name: &str, filter: &Y, mtls: bool, routes: Vec<Y>, clusters: Vec<Y>) -> (Envoy, u16, u16) {
    let certs = certs(name);
    let up = upstream();
    let (front, plain, inner) = (free_port(), free_port(), 0u16);
    let _ = inner;
    let filter = filter.clone();
    let envoy = Envoy::start_with(name, None, up, &[], &move |cfg| {
        let listeners = &mut cfg["static_resources"]["listeners"];
        let l0 = &mut listeners[0];
        l0["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"][0] = filter.clone();
        let rs =
            &mut l0["filter_chains"][0]["filters"][0]["typed_config"]["route_config"]["virtual_hosts"][0]["routes"];
        let mut all = routes.clone();
        all.extend(rs.as_sequence().cloned().unwrap_or_default());
        *rs = Y::Sequence(all);
        let mut plain_l = l0.clone();
        l0["filter_chains"][0]["transport_socket"] = downstream_tls(&certs, mtls);
        let port0 = l0["address"]["socket_address"]["port_value"].as_u64().unwrap_or(0) as u16;
        plain_l["name"] = "plain".into();
        plain_l["address"]["socket_address"]["port_value"] = plain.into();
        // front: plaintext in, TLS to listener 0, nothing else
        let mut front_l = plain_l.clone();
        front_l["name"] = "front".into();
        front_l["address"]["socket_address"]["port_value"] = front.into();
        let hcm = &mut front_l["filter_chains"][0]["filters"][0]["typed_config"];
        if let Y::Mapping(m) = hcm {
            m.remove("access_log");
        }
        if let Some(fs) = hcm["http_filters"].as_sequence_mut() {
            fs.remove(0);
        }
        hcm["route_config"]["virtual_hosts"][0]["routes"] = Y::Sequence(vec![route("^/.*", "to_listener0")]);
        if let Some(ls) = listeners.as_sequence_mut() {
            ls.push(plain_l);
            ls.push(front_l);
        }
        if let Some(cs) = cfg["static_resources"]["clusters"].as_sequence_mut() {
            cs.push(tls_cluster("to_listener0", port0, &certs, mtls, ""));
            cs.extend(clusters.iter().cloned());
        }
    });
    (envoy, front, plain)
}

#[test]
fn envoyfilter_sidecar_runs_as_promised() {
    let d = envoy_filters()
        .into_iter()
        .find(|d| d["metadata"]["name"] == "piiguard-sidecar")
        .unwrap_or_else(|| panic!("no piiguard-sidecar EnvoyFilter"));
    let http: Vec<J> = patches(&d)
        .into_iter()
        .filter(|p| p["applyTo"] == "HTTP_FILTER")
        .collect();
    let inbound = http
        .iter()
        .find(|p| p["match"]["context"] == "SIDECAR_INBOUND")
        .unwrap_or_else(|| panic!("no inbound patch"));
    let outbound = http
        .iter()
        .find(|p| p["match"]["context"] == "SIDECAR_OUTBOUND")
        .unwrap_or_else(|| panic!("no outbound patch"));
    // inbound over mesh mTLS: the application gets "[EMAIL]"
    let (envoy, front, plain) = tls_envoy("ef-inbound", &yv(&filter_from(&d, inbound)), true, vec![], vec![]);
    let r = post(front, "/echo", EMAIL_BODY);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({"customer":{"email":"[EMAIL]"}}));
    // a plaintext caller (PERMISSIVE mode) with personal data is refused
    let r = post(plain, "/echo", EMAIL_BODY);
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.json()["error"], "plaintext_transfer_blocked");
    drop(envoy);
    // outbound: cards are blocked
    let value = yv(&filter_from(&d, outbound));
    let up = upstream();
    let envoy = Envoy::start_with("ef-outbound", None, up, &[], &|cfg| {
        cfg["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"][0] =
            value.clone();
    });
    let r = post(envoy.port, "/echo", br#"{"card":"4111 1111 1111 1111"}"#);
    assert_eq!(r.status, 403, "{}", r.text());
    let r = post(envoy.port, "/echo", br#"{"qty":1}"#);
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn envoyfilter_gateway_runs_as_promised() {
    let d = envoy_filters()
        .into_iter()
        .find(|d| d["metadata"]["name"] == "piiguard-gateway")
        .unwrap_or_else(|| panic!("no piiguard-gateway EnvoyFilter"));
    let p = patches(&d)
        .into_iter()
        .find(|p| p["applyTo"] == "HTTP_FILTER")
        .unwrap_or_else(|| panic!("no HTTP_FILTER patch"));
    // TLS terminated at the gateway (no client certificate)
    let (_envoy, front, plain) = tls_envoy("ef-gateway", &yv(&filter_from(&d, &p)), false, vec![], vec![]);
    let r = get(front, "/customers/42").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(!r.text().contains("4111 1111 1111 1111"), "{}", r.text());
    assert!(r.text().contains("1111"), "keeps the last 4: {}", r.text());
    let r = post(front, "/echo", EMAIL_BODY);
    assert_eq!(r.status, 200, "{}", r.text());
    // personal data over a plaintext connection to the gateway is refused
    let r = post(plain, "/echo", EMAIL_BODY);
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.json()["error"], "plaintext_transfer_blocked");
}

/// A waypoint-equivalent Envoy: HBONE's mutual TLS in, the rendered waypoint
/// policy (WasmPlugin pluginConfig of istio/overlays/waypoint, delivered as
/// Istio does, JSON in a StringValue, headers not held), services behind
/// `inbound-vip|...` clusters over TLS, an external service over plaintext.
#[test]
fn waypoint_equivalent_listener_runs_the_rendered_policy() {
    let wp = render("istio/overlays/waypoint")
        .into_iter()
        .find(|d| d["kind"] == "WasmPlugin")
        .unwrap_or_else(|| panic!("no WasmPlugin"));
    let policy = serde_json::to_string(&wp["spec"]["pluginConfig"]).unwrap_or_default();
    let filter = yv(&json!({
        "name": "envoy.filters.http.wasm",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
            "config": {
                "name": "piiguard", "root_id": "piiguard", "failure_policy": "FAIL_CLOSED",
                "vm_config": {
                    "vm_id": "piiguard", "runtime": "envoy.wasm.runtime.v8",
                    "code": {"local": {"filename": wasm_path().display().to_string()}},
                    "environment_variables": {"key_values": {"PIIGUARD_HASH_KEY": "test-key", "PIIGUARD_KEY_ID": "t-1"}}
                },
                "configuration": {"@type": "type.googleapis.com/google.protobuf.StringValue", "value": policy}
            }
        }
    }));
    // the "ztunnel" side: a TLS listener in front of the demo upstream, reached by the VIP cluster
    let certs = certs("waypoint-ztunnel");
    let up = upstream();
    let ztunnel = Envoy::start_with("waypoint-ztunnel", Some(r#"{"version":1}"#), up, &[], &|cfg| {
        let l0 = &mut cfg["static_resources"]["listeners"][0];
        l0["filter_chains"][0]["transport_socket"] = downstream_tls(&certs, true);
    });
    let vip = "inbound-vip|8080|http|customers.default.svc.cluster.local";
    let (envoy, front, _) = tls_envoy(
        "waypoint",
        &filter,
        true,
        vec![
            route("^/echo/external.*", "outbound|80||external.example"),
            route("^/.*", vip),
        ],
        vec![
            tls_cluster(vip, ztunnel.port, &certs, true, ""),
            plain_cluster("outbound|80||external.example", up),
        ],
    );
    // to a service through the tunnel: passes, the customer record is redacted (base route)
    let r = post(front, "/echo", EMAIL_BODY);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["customer"]["email"], "jane.doe@example.com");
    let r = get(front, "/customers/42").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(!r.text().contains("4111 1111 1111 1111"), "{}", r.text());
    // to a plaintext destination: personal data does not leave
    let r = post(front, "/echo/external", EMAIL_BODY);
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.json()["error"], "plaintext_transfer_blocked");
    let audit = envoy.audit(3);
    assert!(audit.iter().any(|a| a["recipient"] == vip), "{audit:?}");
    // the module says which release it is
    let started = format!("piiguard {} VM started", workspace_version());
    assert!(envoy.log().contains(&started), "no {started:?} in the Envoy log");
}

#[test]
fn one_version_for_module_cli_image_and_manifests() {
    let version = workspace_version();
    for krate in ["filter/Cargo.toml", "cli/Cargo.toml"] {
        let text = std::fs::read_to_string(repo_root().join(krate)).unwrap_or_default();
        assert!(text.contains("version.workspace = true"), "{krate} has its own version");
    }
    // the image label and the Makefile's image tag come from the same version
    let dockerfile = std::fs::read_to_string(repo_root().join("image/Dockerfile")).unwrap_or_default();
    assert!(
        dockerfile.contains("org.opencontainers.image.version=${VERSION}"),
        "{dockerfile}"
    );
    assert!(
        dockerfile.contains("org.opencontainers.image.licenses=\"Apache-2.0\""),
        "{dockerfile}"
    );
    assert!(dockerfile.contains("org.opencontainers.image.source="), "{dockerfile}");
    let makefile = std::fs::read_to_string(repo_root().join("Makefile")).unwrap_or_default();
    assert!(
        makefile.contains("--provenance=false"),
        "image build must not add an attestation manifest"
    );
    assert!(
        makefile.contains("--build-arg VERSION=$(VERSION)"),
        "image build passes the version"
    );
    // LICENSE is the Apache-2.0 text Cargo declares; CHANGELOG has this version
    let license = std::fs::read_to_string(repo_root().join("LICENSE")).unwrap_or_default();
    assert!(license.contains("Apache License") && license.contains("Version 2.0, January 2004"));
    assert!(license.contains("END OF TERMS AND CONDITIONS"));
    let changelog = std::fs::read_to_string(repo_root().join("CHANGELOG.md")).unwrap_or_default();
    assert!(
        changelog.contains(&format!("## [{version}]")),
        "CHANGELOG.md has no {version} section"
    );
    // the build context leaves out everything but what the image copies
    let ignore = std::fs::read_to_string(repo_root().join(".dockerignore")).unwrap_or_default();
    let lines: Vec<&str> = ignore.lines().map(str::trim).collect();
    assert!(
        lines.contains(&"target"),
        ".dockerignore must leave target/ out: {ignore}"
    );
    assert!(lines.contains(&".venv") && lines.contains(&".git"), "{ignore}");
    assert!(
        lines.contains(&"!target/wasm32-wasip1/release/piiguard.wasm"),
        "{ignore}"
    );
}

#[test]
fn docker_compose_runs_the_official_image_as_documented() {
    let d = &docs("docker-compose.yml")[0];
    let envoy = &d["services"]["envoy"];
    assert!(
        envoy["image"].as_str().is_some_and(|i| i == "envoyproxy/envoy:v1.40.0"),
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
    // the config Envoy reads is envoy-config/envoy.yaml (the one the tests run);
    // the module comes from target/, read-only
    let mut config_source = None;
    let mut writable = vec![];
    for vol in envoy["volumes"].as_sequence().cloned().unwrap_or_default() {
        let v = vol.as_str().unwrap_or("");
        let parts: Vec<&str> = v.split(':').collect();
        let (host, inside, mode) = (parts[0], parts.get(1).copied().unwrap_or(""), parts.get(2).copied());
        if !host.starts_with("./target") {
            assert!(repo_root().join(host).exists(), "{host} does not exist");
        }
        if let Some(rest) = cfg.strip_prefix(inside) {
            config_source = Some(format!("{}{rest}", host.trim_start_matches("./")));
        }
        assert!(inside.starts_with(workdir), "{v}");
        if mode != Some("ro") {
            writable.push((host.to_string(), inside.to_string()));
        }
    }
    assert_eq!(config_source.as_deref(), Some("envoy-config/envoy.yaml"));
    // the official image runs as the `envoy` user (uid 101): the audit file's
    // directory is a writable mount the compose file prepares for it, and the
    // audit path of the config lands in it
    let demo = demo_config();
    let hcm = &demo["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"];
    let audit = hcm["access_log"][0]["typed_config"]["path"].as_str().unwrap_or("");
    assert!(
        writable.iter().any(|(_, inside)| {
            let rel = inside.strip_prefix(workdir).unwrap_or("").trim_start_matches('/');
            !rel.is_empty() && audit.starts_with(&format!("{rel}/"))
        }),
        "audit path {audit} is not under a writable mount: {writable:?}"
    );
    let user = envoy["user"].as_str().unwrap_or("");
    let init = &d["services"]["audit-dir"];
    assert!(
        user == "101:101" || init["command"].as_sequence().is_some(),
        "nothing makes the audit directory writable for the envoy user"
    );
    if let Some(c) = init["command"].as_sequence() {
        let c: Vec<&str> = c.iter().filter_map(|v| v.as_str()).collect();
        assert!(c.join(" ").contains("chown 101:101"), "{c:?}");
        assert_eq!(
            envoy["depends_on"]["audit-dir"]["condition"], "service_completed_successfully",
            "envoy starts before the audit directory is ready"
        );
    }
    // the wasm path in that config resolves under the mounted target/
    let wasm = hcm["http_filters"][0]["typed_config"]["config"]["vm_config"]["code"]["local"]["filename"]
        .as_str()
        .unwrap_or("");
    assert!(wasm.starts_with("target/"), "{wasm}");
    let up = &d["services"]["upstream"];
    let dockerfile = up["build"]["dockerfile"].as_str().unwrap_or("");
    assert!(repo_root().join(dockerfile).exists(), "{dockerfile}");
}
