//! The audit record: one JSON object per request, written into Envoy's
//! access log through filter state. It names what was found where and what
//! was done — never a value.

use crate::config::LegalBasis;
use crate::model::{ConsentState, Decision, Direction, Finding, Inspection, Uninspected};
use crate::policy::NotInspected;
use serde::Serialize;

#[derive(Debug, Serialize, Default)]
pub struct DirectionRecord {
    pub decision: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<FindingRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uninspected: Option<Uninspected>,
    /// The direction was not inspected at all, by policy: `policy_allows_all`
    /// (every action `allow`: nothing found could be logged, redacted or
    /// blocked, so nothing is read) or `inspection_off` (`headers`, `query`
    /// and `body` all `false`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_inspected: Option<NotInspected>,
}

#[derive(Debug, Serialize)]
pub struct FindingRecord {
    pub detector: String,
    pub category: String,
    pub location: String,
    pub count: u32,
    pub action: &'static str,
}

impl From<&Finding> for FindingRecord {
    fn from(f: &Finding) -> Self {
        FindingRecord {
            detector: f.detector.clone(),
            category: f.category.clone(),
            location: f.location.clone(),
            count: f.count,
            action: f.action.as_str(),
        }
    }
}

impl DirectionRecord {
    pub fn from_inspection(i: &Inspection, shadow: bool) -> DirectionRecord {
        DirectionRecord {
            decision: i.decision(shadow).as_str(),
            findings: i.findings.iter().map(FindingRecord::from).collect(),
            uninspected: i.uninspected.clone(),
            not_inspected: None,
        }
    }
}

#[derive(Debug, Serialize, Default)]
pub struct AuditRecord {
    pub piiguard: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ts_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    pub route: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envoy_route: Option<String>,
    pub method: String,
    pub authority: String,
    /// The path without its query and matrix parameters, each segment
    /// percent-decoded and replaced by its tag (`[EMAIL]`) when a detector
    /// finds personal data in it.
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_key_id: Option<String>,
    /// `allowed`, `logged`, `shadow`, `redacted`, `blocked`, or `incomplete`
    /// (the exchange ended before every part was decided; see `incomplete`).
    pub decision: &'static str,
    /// Why the exchange is incomplete: `request_aborted`, `upstream_failure`,
    /// `no_response`, `response_aborted`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<String>,
    pub request: DirectionRecord,
    pub response: DirectionRecord,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<LegalBasis>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub shadow: bool,
    /// Consent to the route's purpose: `given`, `missing`, `objected`, `restricted`, `not_required`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentState>,
    /// The recipient's region label (third-country transfers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The Envoy upstream cluster the request went to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
}

impl AuditRecord {
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }
}

/// The body of piiguard's block reply (JSON): why, which direction, which
/// categories, and the request id — never a value. The CLI prints the same.
pub fn block_reply(error: &str, direction: Direction, categories: &[String], request_id: Option<&str>) -> Vec<u8> {
    let body = serde_json::json!({
        "error": error,
        "direction": direction.as_str(),
        "categories": categories,
        "request_id": request_id,
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The final decision of a request from both directions.
pub fn overall(req: Decision, resp: Decision) -> Decision {
    req.max(resp)
}

/// Removes query values (and fragments) from a path: `/a?x=1&y` -> `/a?x=&y=`.
pub fn path_without_query_values(path: &str) -> String {
    let path = path.split('#').next().unwrap_or("");
    match path.split_once('?') {
        None => path.to_string(),
        Some((p, q)) => {
            let names: Vec<String> = q
                .split('&')
                .filter(|s| !s.is_empty())
                .map(|kv| {
                    let k = kv.split('=').next().unwrap_or("");
                    let k = crate::http::percent_decode(k.as_bytes(), true);
                    format!("{}=", crate::http::safe_name(&String::from_utf8_lossy(&k)))
                })
                .collect();
            format!("{p}?{}", names.join("&"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_dropped() {
        assert_eq!(
            path_without_query_values("/a?email=jane%40x.com&page=2#f"),
            "/a?email=&page="
        );
        assert_eq!(path_without_query_values("/a"), "/a");
        assert_eq!(path_without_query_values("/a?jane%40x.com=1"), "/a?*=");
    }
}
