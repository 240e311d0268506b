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
    /// The record as JSON: the bytes `serde_json::to_vec` writes for the
    /// derived `Serialize` (same fields, order, skips and escapes; checked by
    /// `writes_what_serde_writes`), written directly into one buffer. The
    /// few enum fields go through serde.
    pub fn to_json(&self) -> Vec<u8> {
        let mut w = Obj::new(Vec::with_capacity(
            512 + (self.request.findings.len() + self.response.findings.len()) * 96,
        ));
        w.num("piiguard", u64::from(self.piiguard));
        if let Some(t) = self.ts_ms {
            w.num("ts_ms", t);
        }
        w.opt_str("request_id", &self.request_id);
        w.str("route", &self.route);
        w.opt_str("envoy_route", &self.envoy_route);
        w.str("method", &self.method);
        w.str("authority", &self.authority);
        w.str("path", &self.path);
        w.opt_str("peer", &self.peer);
        w.opt_str("subject", &self.subject);
        w.opt_str("subject_key_id", &self.subject_key_id);
        w.str("decision", self.decision);
        w.opt_str("incomplete", &self.incomplete);
        for (k, d) in [("request", &self.request), ("response", &self.response)] {
            w.key(k);
            d.write(&mut w.out);
        }
        w.opt_str("policy_version", &self.policy_version);
        w.opt_str("purpose", &self.purpose);
        if let Some(b) = &self.legal_basis {
            w.serde("legal_basis", b);
        }
        w.opt_str("retention", &self.retention);
        if self.shadow {
            w.key("shadow");
            w.out.extend_from_slice(b"true");
        }
        if let Some(c) = &self.consent {
            w.serde("consent", c);
        }
        w.opt_str("region", &self.region);
        w.opt_str("recipient", &self.recipient);
        w.end()
    }
}

impl DirectionRecord {
    fn write(&self, out: &mut Vec<u8>) {
        let mut w = Obj::new(std::mem::take(out));
        w.str("decision", self.decision);
        if !self.findings.is_empty() {
            w.key("findings");
            w.out.push(b'[');
            for (i, f) in self.findings.iter().enumerate() {
                if i > 0 {
                    w.out.push(b',');
                }
                let mut o = Obj::new(std::mem::take(&mut w.out));
                o.str("detector", &f.detector);
                o.str("category", &f.category);
                o.str("location", &f.location);
                o.num("count", u64::from(f.count));
                o.str("action", f.action);
                w.out = o.end();
            }
            w.out.push(b']');
        }
        if let Some(u) = &self.uninspected {
            w.serde("uninspected", u);
        }
        if let Some(n) = &self.not_inspected {
            w.serde("not_inspected", n);
        }
        *out = w.end();
    }
}

/// A JSON object being written: `{` on creation, `,` between members,
/// `}` at the end.
struct Obj {
    out: Vec<u8>,
    first: bool,
}

impl Obj {
    fn new(mut out: Vec<u8>) -> Obj {
        out.push(b'{');
        Obj { out, first: true }
    }

    fn key(&mut self, k: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        // our own member names: nothing to escape
        self.out.push(b'"');
        self.out.extend_from_slice(k.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    fn str(&mut self, k: &str, v: &str) {
        self.key(k);
        json_str(&mut self.out, v);
    }

    fn opt_str(&mut self, k: &str, v: &Option<String>) {
        if let Some(v) = v {
            self.str(k, v);
        }
    }

    fn num(&mut self, k: &str, v: u64) {
        self.key(k);
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut v = v;
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.out.extend_from_slice(&digits[i..]);
    }

    /// A rare member (an enum) as serde writes it.
    fn serde<T: Serialize>(&mut self, k: &str, v: &T) {
        self.key(k);
        if serde_json::to_writer(&mut self.out, v).is_err() {
            self.out.extend_from_slice(b"null");
        }
    }

    fn end(mut self) -> Vec<u8> {
        self.out.push(b'}');
        self.out
    }
}

/// A JSON string with serde_json's escapes: `\"`, `\\`, the short forms
/// of backspace, form feed, newline, carriage return and tab, `\u00xx` for
/// the other control characters; everything else as it is.
fn json_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let e = ESCAPE[c as usize];
        if e == 0 {
            continue;
        }
        out.extend_from_slice(&b[start..i]);
        if e == b'u' {
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(c >> 4) as usize], HEX[(c & 15) as usize]]);
        } else {
            out.extend_from_slice(&[b'\\', e]);
        }
        start = i + 1;
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}

/// What follows the backslash for each byte that needs an escape (`u`: `\u00xx`); 0: none.
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 0x20 {
        t[c] = b'u';
        c += 1;
    }
    t[0x08] = b'b';
    t[0x0c] = b'f';
    t[b'\n' as usize] = b'n';
    t[b'\r' as usize] = b'r';
    t[b'\t' as usize] = b't';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

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

    /// `to_json` writes byte for byte what serde_json writes for the
    /// derived `Serialize`: every optional field present and absent,
    /// findings or none, strings with quotes, backslashes, every control
    /// character, DEL and non-ASCII text, numbers at their limits.
    #[test]
    fn writes_what_serde_writes() {
        let mut seed: u64 = 0x5851_F42D_4C95_7F2D;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let pieces = [
            "a", "route-1", "\"", "\\", "\u{7f}", "é", "日本", "[EMAIL]", "/p?x=", " ", "\u{2028}",
        ];
        let text = |next: &mut dyn FnMut(u64) -> u64| -> String {
            let mut t = String::new();
            for _ in 0..next(6) {
                if next(4) == 0 {
                    t.push(char::from(next(32) as u8));
                } else {
                    t.push_str(pieces[next(pieces.len() as u64) as usize]);
                }
            }
            t
        };
        let decisions = ["allowed", "logged", "redacted", "blocked", "incomplete"];
        for round in 0..3_000 {
            let opt = |next: &mut dyn FnMut(u64) -> u64| (next(2) == 0).then(|| text(next));
            let dir = |next: &mut dyn FnMut(u64) -> u64| DirectionRecord {
                decision: decisions[next(5) as usize],
                findings: (0..next(4))
                    .map(|_| FindingRecord {
                        detector: text(next),
                        category: text(next),
                        location: text(next),
                        count: [0, 1, 7, u32::MAX][next(4) as usize],
                        action: "redact",
                    })
                    .collect(),
                uninspected: match next(4) {
                    0 => Some(Uninspected::Oversize),
                    1 => Some(Uninspected::Stream(text(next))),
                    _ => None,
                },
                not_inspected: match next(3) {
                    0 => Some(NotInspected::InspectionOff),
                    1 => Some(NotInspected::PolicyAllowsAll),
                    _ => None,
                },
            };
            let r = AuditRecord {
                piiguard: 1,
                ts_ms: [None, Some(0), Some(1_764_500_000_123), Some(u64::MAX)][next(4) as usize],
                request_id: opt(&mut next),
                route: text(&mut next),
                envoy_route: opt(&mut next),
                method: text(&mut next),
                authority: text(&mut next),
                path: text(&mut next),
                peer: opt(&mut next),
                subject: opt(&mut next),
                subject_key_id: opt(&mut next),
                decision: decisions[next(5) as usize],
                incomplete: opt(&mut next),
                request: dir(&mut next),
                response: dir(&mut next),
                policy_version: opt(&mut next),
                purpose: opt(&mut next),
                legal_basis: (next(2) == 0).then_some(LegalBasis::Consent),
                retention: opt(&mut next),
                shadow: next(2) == 0,
                consent: [None, Some(ConsentState::Given), Some(ConsentState::Objected)][next(3) as usize],
                region: opt(&mut next),
                recipient: opt(&mut next),
            };
            let want = serde_json::to_vec(&r).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&r.to_json()),
                String::from_utf8_lossy(&want),
                "round {round}"
            );
        }
        // and the empty record
        let r = AuditRecord::default();
        assert_eq!(r.to_json(), serde_json::to_vec(&r).unwrap());
    }

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
