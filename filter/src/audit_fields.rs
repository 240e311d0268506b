//! The audit record flattened into single values, one filter-state key each
//! (`wasm.piiguard_a_<field>`), so that access loggers that take one format
//! command per field — Envoy's OpenTelemetry access logger (`attributes`),
//! Istio's `envoyOtelAls` (`logFormat.labels`) — ship it as structured log
//! attributes. The values are those of the record: names, decisions,
//! categories and pseudonyms, never a personal value.

/// Prefix of every flattened key (`piiguard_a_decision` → `wasm.piiguard_a_decision`).
pub const PREFIX: &str = "piiguard_a_";

/// The record's fields, flattened: scalars as they are; per direction its
/// decision, the categories and detectors found (sorted, comma-separated),
/// the actions taken, the values counted, what could not be inspected and
/// why a direction was not inspected at all.
pub fn flatten(record: &[u8]) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(rec)) = serde_json::from_slice::<serde_json::Value>(record) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in &rec {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => continue,
        };
        out.push((format!("{PREFIX}{k}"), text));
    }
    for dir in ["request", "response"] {
        let Some(d) = rec.get(dir) else { continue };
        if let Some(s) = d.get("decision").and_then(|s| s.as_str()) {
            out.push((format!("{PREFIX}{dir}_decision"), s.to_string()));
        }
        if let Some(s) = d.get("uninspected").and_then(|s| s.as_str()) {
            out.push((format!("{PREFIX}{dir}_uninspected"), s.to_string()));
        }
        // why the direction was not scanned at all (its policy could not
        // change anything), as distinct from what could not be read
        if let Some(s) = d.get("not_inspected").and_then(|s| s.as_str()) {
            out.push((format!("{PREFIX}{dir}_not_inspected"), s.to_string()));
        }
        let findings = d
            .get("findings")
            .and_then(|f| f.as_array())
            .cloned()
            .unwrap_or_default();
        if findings.is_empty() {
            continue;
        }
        // sorted and distinct through the crate's one `BTreeSet<String>`, not a
        // sort of its own (module size, bench/SIZE.md session 6)
        let joined = |field: &str| {
            let v: std::collections::BTreeSet<String> = findings
                .iter()
                .filter_map(|f| Some(f.get(field)?.as_str()?.to_string()))
                .fold(std::collections::BTreeSet::new(), |mut s, x| {
                    s.insert(x);
                    s
                });
            v.into_iter().collect::<Vec<_>>().join(",")
        };
        out.push((format!("{PREFIX}{dir}_categories"), joined("category")));
        out.push((format!("{PREFIX}{dir}_detectors"), joined("detector")));
        out.push((format!("{PREFIX}{dir}_actions"), joined("action")));
        let values: u64 = findings.iter().filter_map(|f| f.get("count")?.as_u64()).sum();
        out.push((format!("{PREFIX}{dir}_values"), values.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_scalars_and_directions() {
        let rec = br#"{"piiguard":1,"ts_ms":5,"route":"echo","decision":"redacted","shadow":true,
            "request":{"decision":"redacted","findings":[
              {"detector":"email","category":"email","location":"body:$.a","count":2,"action":"redact"},
              {"detector":"iban","category":"bank_account","location":"body:$.b","count":1,"action":"redact"},
              {"detector":"email","category":"email","location":"body:$.c","count":1,"action":"log"}]},
            "response":{"decision":"allowed","uninspected":"encoding:br","not_inspected":"policy_allows_all"}}"#;
        let f: std::collections::BTreeMap<String, String> = flatten(rec).into_iter().collect();
        assert_eq!(f["piiguard_a_route"], "echo");
        assert_eq!(f["piiguard_a_ts_ms"], "5");
        assert_eq!(f["piiguard_a_shadow"], "true");
        assert_eq!(f["piiguard_a_request_categories"], "bank_account,email");
        assert_eq!(f["piiguard_a_request_detectors"], "email,iban");
        assert_eq!(f["piiguard_a_request_actions"], "log,redact");
        assert_eq!(f["piiguard_a_request_values"], "4");
        assert_eq!(f["piiguard_a_response_decision"], "allowed");
        assert_eq!(f["piiguard_a_response_uninspected"], "encoding:br");
        assert_eq!(f["piiguard_a_response_not_inspected"], "policy_allows_all");
        assert!(!f.contains_key("piiguard_a_request_not_inspected"));
        assert!(!f.contains_key("piiguard_a_response_categories"));
        // locations stay in the full record only
        assert!(!f.values().any(|v| v.contains("body:$")));
        assert!(flatten(b"not json").is_empty());
    }
}
