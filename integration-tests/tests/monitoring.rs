//! The dashboard and the alerts against the counters the filter really emits:
//! `promtool` unit tests of the rules, the PrometheusRule equal to the rule
//! file, and a real Prometheus (Debian's `prometheus`, installed by `make
//! prometheus`) scraping a real Envoy with piiguard and one without it:
//! every dashboard query returns series, and the alerts that this traffic
//! should fire fire (and the others do not).

use integration_tests::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn tool(name: &str) -> PathBuf {
    let env = format!("{}_BIN", name.to_ascii_uppercase());
    if let Ok(p) = std::env::var(&env) {
        return PathBuf::from(p);
    }
    for dir in ["/usr/bin", "/usr/local/bin", "/bin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p;
        }
    }
    panic!("{name} not found (run `make prometheus`, which installs Debian's prometheus package, or set {env})");
}

fn monitoring() -> PathBuf {
    repo_root().join("monitoring")
}

#[test]
fn promtool_checks_and_unit_tests_the_rules() {
    let dir = monitoring().join("prometheus");
    for args in [
        vec!["check", "rules", "piiguard-alerts.yaml"],
        vec!["test", "rules", "piiguard-alerts.test.yaml"],
    ] {
        let out = Command::new(tool("promtool"))
            .args(&args)
            .current_dir(&dir)
            .output()
            .unwrap_or_else(|e| panic!("promtool: {e}"));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "promtool {args:?}:\n{text}");
        assert!(text.contains("SUCCESS"), "{text}");
    }
}

#[test]
fn prometheusrule_holds_the_same_groups_as_the_rule_file() {
    let rules = std::fs::read_to_string(monitoring().join("prometheus/piiguard-alerts.yaml")).unwrap_or_default();
    let manifest = std::fs::read_to_string(monitoring().join("kubernetes/prometheusrule.yaml")).unwrap_or_default();
    let groups = &rules[rules.find("groups:").unwrap_or(0)..];
    let spec = &manifest[manifest.find("\nspec:\n").map(|i| i + 7).unwrap_or(0)..];
    let dedented: String = spec
        .lines()
        .map(|l| l.strip_prefix("  ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        dedented.trim_end(),
        groups.trim_end(),
        "regenerate prometheusrule.yaml from the rule file"
    );
    assert!(manifest.contains("kind: PrometheusRule"));
    assert!(manifest.contains("apiVersion: monitoring.coreos.com/v1"));
}

fn dashboard() -> serde_json::Value {
    let text = std::fs::read_to_string(monitoring().join("grafana/piiguard-dashboard.json")).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("dashboard JSON: {e}"))
}

/// (panel title, PromQL) of every dashboard query.
fn dashboard_queries() -> Vec<(String, String)> {
    let d = dashboard();
    let mut out = Vec::new();
    for p in d["panels"].as_array().cloned().unwrap_or_default() {
        for t in p["targets"].as_array().cloned().unwrap_or_default() {
            out.push((
                p["title"].as_str().unwrap_or("").to_string(),
                t["expr"].as_str().unwrap_or("").to_string(),
            ));
        }
    }
    out
}

#[test]
fn dashboard_is_provisioning_ready() {
    let d = dashboard();
    assert_eq!(d["uid"], "piiguard-overview");
    assert!(
        d.get("id").is_none() || d["id"].is_null(),
        "a provisioned dashboard has no numeric id"
    );
    let vars: Vec<&str> = d["templating"]["list"]
        .as_array()
        .map(|l| l.iter().filter_map(|v| v["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(vars, ["datasource", "namespace", "workload"]);
    let panels = d["panels"].as_array().cloned().unwrap_or_default();
    let mut ids: Vec<u64> = panels.iter().filter_map(|p| p["id"].as_u64()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), panels.len(), "panel ids must be unique");
    for p in &panels {
        assert_eq!(p["datasource"]["uid"], "${datasource}", "{}", p["title"]);
        assert!(
            !p["description"].as_str().unwrap_or("").is_empty(),
            "{} has no description",
            p["title"]
        );
    }
    let all: String = dashboard_queries().iter().map(|(_, q)| q.clone()).collect();
    for metric in [
        "piiguard_requests_total",
        "piiguard_findings_total",
        "piiguard_oversize_total",
        "piiguard_uninspectable_total",
        "piiguard_config_errors_total",
    ] {
        assert!(all.contains(metric), "no panel shows {metric}");
    }
    for by in [
        "by (decision)",
        "by (route, decision)",
        "by (category)",
        "by (detector)",
        "by (direction, action)",
    ] {
        assert!(all.contains(by), "no panel {by}");
    }
    // the shipped JSON is what the generator writes
    let out = std::env::temp_dir().join(format!("piiguard-dashboard-{}.json", std::process::id()));
    let status = Command::new("python3")
        .arg("gen_dashboard.py")
        .arg(&out)
        .current_dir(monitoring())
        .status()
        .unwrap_or_else(|e| panic!("python3: {e}"));
    assert!(status.success());
    let generated = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    let shipped = std::fs::read_to_string(monitoring().join("grafana/piiguard-dashboard.json")).unwrap_or_default();
    assert!(generated == shipped, "run `cd monitoring && python3 gen_dashboard.py`");
    let prov =
        std::fs::read_to_string(monitoring().join("grafana/provisioning/dashboards/piiguard.yaml")).unwrap_or_default();
    assert!(prov.contains("apiVersion: 1") && prov.contains("type: file"), "{prov}");
}

const POLICY: &str = r#"{
  "version": 1, "policy_version": "mon-1",
  "limits": { "max_body_bytes": 2048 },
  "routes": [
    { "name": "payments", "match": {"path_prefix": "/echo/pay"}, "request": {"actions": {"payment_card": "block", "*": "redact"}} },
    { "name": "support", "match": {"path_prefix": "/echo/support"}, "shadow": true, "request": {"actions": {"payment_card": "block", "*": "redact"}} },
    { "name": "profile", "match": {"path_prefix": "/echo/profile"}, "on_oversize": "allow", "request": {"actions": {"*": "redact"}} }
  ],
  "default": { "request": {"actions": {"*": "log"}} }
}"#;

struct Prometheus {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    fn start(dir: &Path, targets: &[(u16, &str, &str)]) -> Prometheus {
        // the shipped rules, with `for:` at 0s so that a short test sees them fire
        let rules = std::fs::read_to_string(monitoring().join("prometheus/piiguard-alerts.yaml")).unwrap_or_default();
        let rules: String = rules
            .lines()
            .map(|l| match l.trim_start().strip_prefix("for: ") {
                Some(_) => format!("{}for: 0s", &l[..l.len() - l.trim_start().len()]),
                None => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(dir.join("rules.yaml"), rules).unwrap_or_else(|e| panic!("{e}"));
        let mut cfg = String::from(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nrule_files: [rules.yaml]\nscrape_configs:\n",
        );
        for (i, (admin, ns, workload)) in targets.iter().enumerate() {
            cfg.push_str(&format!(
                "  - job_name: envoy-{i}\n    metrics_path: /stats/prometheus\n    static_configs:\n      - targets: ['127.0.0.1:{admin}']\n        labels: {{namespace: {ns}, workload: {workload}, piiguard: enabled}}\n"
            ));
        }
        std::fs::write(dir.join("prometheus.yml"), cfg).unwrap_or_else(|e| panic!("{e}"));
        let port = free_port();
        let log = std::fs::File::create(dir.join("prometheus.log")).unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new(tool("prometheus"))
            .args([
                "--config.file=prometheus.yml".to_string(),
                format!("--storage.tsdb.path={}", dir.join("tsdb").display()),
                format!("--web.listen-address=127.0.0.1:{port}"),
                "--log.level=warn".to_string(),
            ])
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn prometheus: {e}"));
        let mut p = Prometheus {
            child,
            port,
            dir: dir.to_path_buf(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(s)) = p.child.try_wait() {
                panic!("prometheus exited ({s}):\n{}", p.log());
            }
            if get(port, "/-/ready").map(|r| r.status == 200).unwrap_or(false) {
                return p;
            }
            assert!(Instant::now() < deadline, "prometheus not ready:\n{}", p.log());
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default()
    }

    fn query(&self, promql: &str) -> Vec<serde_json::Value> {
        let r = get(self.port, &format!("/api/v1/query?query={}", urlencode(promql)))
            .unwrap_or_else(|e| panic!("query: {e}"));
        let v = r.json();
        assert_eq!(v["status"], "success", "{promql}: {}", r.text());
        v["data"]["result"].as_array().cloned().unwrap_or_default()
    }

    fn firing(&self) -> Vec<serde_json::Value> {
        self.query(r#"ALERTS{alertstate="firing"}"#)
            .into_iter()
            .map(|s| s["metric"].clone())
            .collect()
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A dashboard query as Grafana would send it with "All" selected.
fn instantiate(q: &str) -> String {
    q.replace("$namespace", ".*")
        .replace("$workload", ".*")
        .replace("$__rate_interval", "30s")
        .replace("$__range", "5m")
}

fn traffic(with: u16, without: u16) {
    let json = [("content-type", "application/json")];
    let card = br#"{"card":"4111 1111 1111 1111","email":"jane.doe@example.com"}"#;
    let big = format!(r#"{{"email":"a@example.com","pad":"{}"}}"#, "x".repeat(4096));
    let ok = |r: std::io::Result<Response>| r.unwrap_or_else(|e| panic!("request: {e}")).status;
    assert_eq!(ok(request(with, "POST", "/echo/pay", &json, Some(card))), 403);
    assert_eq!(ok(request(with, "POST", "/echo/support", &json, Some(card))), 200);
    assert_eq!(
        ok(request(with, "POST", "/echo/profile", &json, Some(big.as_bytes()))),
        200
    );
    let br = [("content-type", "application/json"), ("content-encoding", "br")];
    assert_eq!(
        ok(request(with, "POST", "/echo/pay", &br, Some(b"\x0b\x02\x80{}\x03"))),
        415
    );
    assert_eq!(ok(request(with, "GET", "/headers", &[], None)), 200);
    assert_eq!(ok(request(without, "POST", "/echo/pay", &json, Some(card))), 200);
}

#[test]
fn a_real_prometheus_sees_every_dashboard_query_and_the_alerts_fire() {
    let up = upstream();
    let with = Envoy::start("mon-with", Some(POLICY), up);
    // the same Envoy without the plugin: a workload that lost it
    let without = Envoy::start_with("mon-without", Some(POLICY), up, &[], &|cfg| {
        let filters = &mut cfg["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
            ["http_filters"];
        if let Some(seq) = filters.as_sequence_mut() {
            seq.remove(0);
        }
    });
    let prom = Prometheus::start(
        &with.dir,
        &[(with.admin, "shop", "payments"), (without.admin, "shop", "legacy")],
    );
    // traffic spread over several scrapes, so that rates and increases move
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(8) {
        traffic(with.port, without.port);
        std::thread::sleep(Duration::from_millis(250));
    }
    // the counters really carry the labels the dashboard groups by
    let stats: String = with
        .stats()
        .lines()
        .filter(|l| l.contains("piiguard"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        stats.contains(r#"piiguard_findings_total{route="support",category="payment_card",detector="payment_card",direction="request",action="shadow_block"}"#)
            || stats.lines().any(|l| l.starts_with("piiguard_findings_total{")
                && l.contains(r#"action="shadow_block""#)
                && l.contains(r#"category="payment_card""#)
                && l.contains(r#"route="support""#)),
        "{stats}"
    );
    assert!(
        stats
            .lines()
            .any(|l| l.starts_with("piiguard_config_errors_total") && l.ends_with(" 0")),
        "{stats}"
    );
    // every dashboard query returns series
    let deadline = Instant::now() + Duration::from_secs(30);
    let queries = dashboard_queries();
    assert!(queries.len() >= 12);
    // host errors cannot be provoked in a healthy Envoy (fault injection covers
    // them natively): that panel's query must only be valid PromQL
    let no_traffic_for = ["Host errors (failed closed)"];
    loop {
        let empty: Vec<&(String, String)> = queries
            .iter()
            .filter(|(title, q)| prom.query(&instantiate(q)).is_empty() && !no_traffic_for.contains(&title.as_str()))
            .collect();
        if empty.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "dashboard queries without series: {empty:#?}\n{}",
            prom.log()
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    // the alerts this traffic should fire, and only those
    let want = [
        ("PiiguardBlocksSpiking", "workload", "payments", "route", "payments"),
        ("PiiguardShadowWouldBlock", "workload", "payments", "route", "support"),
        (
            "PiiguardOversizeOnEnforcingRoute",
            "workload",
            "payments",
            "route",
            "profile",
        ),
        (
            "PiiguardUninspectableOnEnforcingRoute",
            "workload",
            "payments",
            "route",
            "payments",
        ),
        ("PiiguardPluginMissing", "workload", "legacy", "namespace", "shop"),
    ];
    let deadline = Instant::now() + Duration::from_secs(30);
    let firing = loop {
        let firing = prom.firing();
        let missing: Vec<&str> = want
            .iter()
            .filter(|(name, k1, v1, k2, v2)| {
                !firing
                    .iter()
                    .any(|a| a["alertname"] == *name && a[*k1] == *v1 && a[*k2] == *v2)
            })
            .map(|w| w.0)
            .collect();
        if missing.is_empty() {
            break firing;
        }
        // keep the rates up while waiting
        traffic(with.port, without.port);
        assert!(
            Instant::now() < deadline,
            "alerts not firing: {missing:?}\nfiring: {firing:#?}\n{}",
            prom.log()
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    for a in &firing {
        assert!(
            !(a["alertname"] == "PiiguardPluginMissing" && a["workload"] == "payments"),
            "the plugin runs on payments: {a}"
        );
        assert_ne!(a["alertname"], "PiiguardConfigErrors", "{a}");
        assert!(
            !(a["alertname"] == "PiiguardBlocksSpiking" && a["route"] != "payments"),
            "{a}"
        );
    }
}

/// A configuration pushed later (LDS from a file, as xDS would) and rejected by
/// the plugin moves `piiguard_config_errors_total` on the running proxy, which
/// keeps serving with the configuration it had: what PiiguardConfigErrors
/// watches.
#[test]
fn a_rejected_configuration_update_counts_a_config_error() {
    let up = upstream();
    let lds = std::sync::Mutex::new(PathBuf::new());
    let envoy = Envoy::start_with("mon-lds", None, up, &[], &|cfg| {
        let listener = cfg["static_resources"]["listeners"][0].clone();
        let mut listener: serde_json::Value = serde_json::to_value(&listener).unwrap_or_default();
        listener["@type"] = "type.googleapis.com/envoy.config.listener.v3.Listener".into();
        let path = PathBuf::from(
            listener["filter_chains"][0]["filters"][0]["typed_config"]["access_log"][0]["typed_config"]["path"]
                .as_str()
                .unwrap_or(""),
        )
        .with_file_name("lds.json");
        let text = serde_json::json!({ "resources": [listener] }).to_string();
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        if let Some(seq) = cfg["static_resources"]["listeners"].as_sequence_mut() {
            seq.clear();
        }
        cfg["node"] = value(serde_json::json!({"id": "mon-lds", "cluster": "mon"}));
        cfg["dynamic_resources"] = value(serde_json::json!({
            "lds_config": {"path_config_source": {"path": path.display().to_string()}, "resource_api_version": "V3"}
        }));
        if let Ok(mut l) = lds.lock() {
            *l = path;
        }
    });
    let lds = lds.lock().map(|l| l.clone()).unwrap_or_default();
    let errors = || -> Option<u64> {
        envoy
            .stats()
            .lines()
            .find(|l| l.starts_with("piiguard_config_errors_total"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    };
    // the listener comes up from LDS, with the plugin configured
    let deadline = Instant::now() + Duration::from_secs(20);
    while get(envoy.port, "/headers").map(|r| r.status).ok() != Some(200) {
        assert!(Instant::now() < deadline, "listener not up from LDS:\n{}", envoy.log());
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(errors(), Some(0), "{}", envoy.stats());
    // Prometheus sees the counter at 0 first
    let prom = Prometheus::start(&envoy.dir, &[(envoy.admin, "crm", "api")]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while prom.query("piiguard_config_errors_total").is_empty() {
        assert!(Instant::now() < deadline, "not scraped:\n{}", prom.log());
        std::thread::sleep(Duration::from_millis(300));
    }
    std::thread::sleep(Duration::from_secs(2));
    // push a bad policy: an unknown field
    let good = std::fs::read_to_string(&lds).unwrap_or_default();
    let mut v: serde_json::Value = serde_json::from_str(&good).unwrap_or_default();
    let w = &mut v["resources"][0]["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"][0]["typed_config"]
        ["config"]["configuration"]["value"];
    *w = r#"{"version":1,"routs":[]}"#.into();
    let tmp = lds.with_file_name("lds.json.new");
    std::fs::write(&tmp, v.to_string()).unwrap_or_else(|e| panic!("{e}"));
    std::fs::rename(&tmp, &lds).unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while errors().unwrap_or(0) < 1 {
        assert!(
            Instant::now() < deadline,
            "piiguard_config_errors_total did not move:\n{}\n{}",
            envoy
                .stats()
                .lines()
                .filter(|l| l.contains("piiguard") || l.contains("lds"))
                .collect::<Vec<_>>()
                .join("\n"),
            envoy.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        envoy.log().contains("piiguard: invalid configuration"),
        "{}",
        envoy.log()
    );
    // the proxy still serves, with the policy it had
    assert_eq!(get(envoy.port, "/headers").map(|r| r.status).ok(), Some(200));
    // and the alert fires for that workload
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let firing = prom.firing();
        if firing
            .iter()
            .any(|a| a["alertname"] == "PiiguardConfigErrors" && a["workload"] == "api" && a["namespace"] == "crm")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "PiiguardConfigErrors not firing: {firing:#?}\n{}",
            prom.log()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// A JSON value into whatever value type the harness edits configs with.
fn value<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
}
