//! The engine: given a route, a direction and some bytes, find personal
//! data, decide, and produce the rewrite. Pure: no host calls, no I/O.

use crate::config::{Action, OnUninspectable, Strategy};
use crate::detect::{RawMatch, Scratch};
use crate::fields::{FieldClass, FieldKind, Strength, Words};
use crate::json::{self, Scalar, Seg, Verdict, Visit};
use crate::policy::{DirPolicy, PathSeg, Policy, Resolved, Route};
use crate::redact::{self, Hasher};
use std::borrow::Cow;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Request,
    Response,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Request => "request",
            Direction::Response => "response",
        }
    }
}

/// The outcome for one direction (or the whole request).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Decision {
    Allowed,
    Logged,
    Shadow,
    Redacted,
    Blocked,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::Logged => "logged",
            Decision::Shadow => "shadow",
            Decision::Redacted => "redacted",
            Decision::Blocked => "blocked",
        }
    }
}

/// One kind of personal data found at one place. Never holds the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub detector: String,
    pub category: String,
    /// `header:NAME`, `query:NAME`, `cookie:NAME`, `form:NAME`, `body:$.json.path`, `body`.
    pub location: String,
    pub count: u32,
    /// The action the policy gives (in shadow mode: what would have happened).
    pub action: Action,
    /// Which rule decided the action.
    pub rule: String,
}

#[derive(Clone, Debug, Default)]
pub struct Inspection {
    pub findings: Vec<Finding>,
    /// A note on what could not be inspected (`oversize`, `encoding:br`, `json_depth`, ...).
    pub uninspected: Option<String>,
}

impl Inspection {
    fn add(&mut self, policy: &Policy, det: u16, location: &str, r: &Resolved, n: u32) {
        let detector = policy.detector_id(det);
        // Bounded: past MAX_FINDINGS distinct entries, locations fold to `kind:*`
        // (keeps the audit record small and this search short).
        let folded;
        let location = if self.findings.len() >= MAX_FINDINGS {
            folded = format!("{}:*", location.split(':').next().unwrap_or("body"));
            folded.as_str()
        } else {
            location
        };
        for f in &mut self.findings {
            if f.detector == detector && f.location == location && f.action == r.action {
                f.count += n;
                return;
            }
        }
        self.findings.push(Finding {
            detector: detector.to_string(),
            category: policy.category(det).to_string(),
            location: location.to_string(),
            count: n,
            action: r.action,
            rule: r.source.to_string(),
        });
    }

    /// Merges another inspection into this one.
    pub fn merge(&mut self, other: Inspection) {
        for f in other.findings {
            match self
                .findings
                .iter_mut()
                .find(|g| g.detector == f.detector && g.location == f.location && g.action == f.action)
            {
                Some(g) => g.count += f.count,
                None => self.findings.push(f),
            }
        }
        if self.uninspected.is_none() {
            self.uninspected = other.uninspected;
        }
    }

    /// The strongest action found.
    pub fn max_action(&self) -> Option<Action> {
        self.findings.iter().map(|f| f.action).max()
    }

    /// Decision under `shadow`: block/redact become `Shadow`.
    pub fn decision(&self, shadow: bool) -> Decision {
        match self.max_action() {
            None | Some(Action::Allow) => Decision::Allowed,
            Some(Action::Log) => Decision::Logged,
            Some(_) if shadow => Decision::Shadow,
            Some(Action::Redact) => Decision::Redacted,
            Some(Action::Block) => Decision::Blocked,
        }
    }

    pub fn categories(&self, min: Action) -> Vec<String> {
        let mut c: Vec<String> = self
            .findings
            .iter()
            .filter(|f| f.action >= min)
            .map(|f| f.category.clone())
            .collect();
        c.sort();
        c.dedup();
        c
    }
}

/// Distinct findings kept per inspection before locations are folded.
pub const MAX_FINDINGS: usize = 64;

/// Result of inspecting headers.
#[derive(Debug, Default)]
pub struct HeaderResult {
    pub inspection: Inspection,
    /// The full new header list when something was rewritten.
    pub headers: Option<Vec<(String, String)>>,
}

/// Result of inspecting a body.
#[derive(Debug, Default)]
pub struct BodyResult {
    pub inspection: Inspection,
    /// The rewritten body, when it changed (never in shadow mode or on block).
    pub body: Option<Vec<u8>>,
}

/// The body formats the engine understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Form,
    Multipart,
    Text,
}

/// Chooses the format from the content type, sniffing JSON in text and
/// untyped bodies (`text/plain`, `application/octet-stream`, none).
pub fn format_of(content_type: Option<&str>, body: &[u8]) -> Format {
    let ct = content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if ct == "application/json" || ct.ends_with("+json") || ct == "text/json" || ct.ends_with("/json") {
        return Format::Json;
    }
    if ct == "application/x-www-form-urlencoded" {
        return Format::Form;
    }
    if ct.starts_with("multipart/") {
        return Format::Multipart;
    }
    match body.iter().find(|c| !c.is_ascii_whitespace()) {
        Some(b'{') | Some(b'[') => Format::Json,
        _ => Format::Text,
    }
}

/// A charset the engine cannot read as UTF-8/ASCII (`utf-16`, `utf-32`, ...).
pub fn unreadable_charset(content_type: Option<&str>) -> Option<String> {
    let ct = content_type?.to_ascii_lowercase();
    let cs = ct.split(';').skip(1).find_map(|p| {
        p.trim()
            .strip_prefix("charset=")
            .map(|c| c.trim_matches('"').to_string())
    })?;
    let ok = matches!(
        cs.as_str(),
        "utf-8" | "utf8" | "us-ascii" | "ascii" | "iso-8859-1" | "latin1" | "iso-8859-15" | "windows-1252"
    );
    (!ok).then_some(cs)
}

/// Detection and rewriting, built once per configuration.
pub struct Engine {
    pub policy: Policy,
    hasher: Option<Hasher>,
}

#[derive(Debug)]
pub struct EngineError(pub String);

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Headers whose value is a URL with a query to read.
const URL_HEADERS: &[&str] = &["referer", "location", "content-location", "origin"];

const HEADER_CREDENTIALS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "x-auth-token",
];

impl Engine {
    /// `hasher` is required when a route redacts with `hash`.
    pub fn new(policy: Policy, hasher: Option<Hasher>) -> Result<Engine, EngineError> {
        if policy.uses_hash && hasher.is_none() {
            return Err(EngineError(
                "the policy redacts with `hash` but no key is set: put it in the VM environment variable PIIGUARD_HASH_KEY".into(),
            ));
        }
        Ok(Engine { policy, hasher })
    }

    pub fn hasher(&self) -> Option<&Hasher> {
        self.hasher.as_ref()
    }

    /// The keyed pseudonym of a data subject's raw identifier.
    pub fn pseudonym(&self, raw: &str) -> Option<String> {
        self.hasher
            .as_ref()
            .map(|h| h.token("subject", raw.trim().as_bytes(), 22))
    }

    /// The subject from the request headers (header, JWT claim, cookie,
    /// query), following the configured order. `verified` reads a claim of
    /// the payload `jwt_authn` verified, when the host has one.
    pub fn subject_from_headers(
        &self,
        headers: &[(String, String)],
        verified: &dyn Fn(&str) -> Option<String>,
    ) -> Option<String> {
        use crate::config::SubjectSource as S;
        let cfg = self.policy.config.subject.as_ref()?;
        let get = |n: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.as_str())
        };
        for src in &cfg.sources {
            let v = match src {
                S::Header(h) => get(h).map(str::to_string),
                S::JwtClaim(c) => verified(c).or_else(|| get("authorization").and_then(|a| jwt_claim(a, c))),
                S::Cookie(name) => get("cookie").and_then(|c| {
                    c.split(';').find_map(|kv| {
                        let (k, v) = kv.trim().split_once('=')?;
                        (k == name).then(|| String::from_utf8_lossy(&percent_decode(v.as_bytes(), false)).into_owned())
                    })
                }),
                S::Query(name) => get(":path").and_then(|p| p.split_once('?')).and_then(|(_, q)| {
                    q.split('&').find_map(|kv| {
                        let (k, v) = kv.split_once('=')?;
                        (percent_decode(k.as_bytes(), true).as_ref() == name.as_bytes())
                            .then(|| String::from_utf8_lossy(&percent_decode(v.as_bytes(), true)).into_owned())
                    })
                }),
                S::RequestBody(_) | S::ResponseBody(_) => None,
            };
            if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
                return Some(v);
            }
        }
        None
    }

    /// Consent to `purpose` for this request: `given` (the consent claim or
    /// header lists it), `objected` / `restricted` (the subject is on the
    /// operator's lists), `missing`, or `not_required` (another legal basis).
    pub fn consent_state(
        &self,
        route: &Route,
        purpose: &str,
        headers: &[(String, String)],
        subject: Option<&str>,
    ) -> &'static str {
        use crate::config::LegalBasis as L;
        let c = &self.policy.config.consent;
        if let Some(s) = subject {
            if c.restricted.iter().any(|r| r == s)
                && !matches!(route.legal_basis, Some(L::LegalObligation | L::VitalInterests))
            {
                return "restricted";
            }
            if c.objections
                .iter()
                .any(|o| o.subject == s && o.purposes.iter().any(|p| p == purpose))
            {
                return "objected";
            }
        }
        if route.legal_basis != Some(L::Consent) {
            return "not_required";
        }
        let get = |n: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.as_str())
        };
        let listed = |s: &str| s.split([',', ' ']).any(|p| p.trim() == purpose);
        if let Some(h) = &c.header {
            if get(h).is_some_and(listed) {
                return "given";
            }
        }
        if let Some(claim) = &c.jwt_claim {
            if let Some(v) = get("authorization").and_then(|a| jwt_value(a, claim)) {
                let ok = match v {
                    serde_json::Value::Array(a) => a.iter().any(|x| x.as_str() == Some(purpose)),
                    serde_json::Value::String(s) => listed(&s),
                    _ => false,
                };
                if ok {
                    return "given";
                }
            }
        }
        "missing"
    }

    /// The subject from a JSON body (`request_body` / `response_body` sources).
    pub fn subject_from_body(&self, d: Direction, body: &[u8]) -> Option<String> {
        use crate::config::SubjectSource as S;
        let cfg = self.policy.config.subject.as_ref()?;
        let paths: Vec<&String> = cfg
            .sources
            .iter()
            .filter_map(|s| match (s, d) {
                (S::RequestBody(p), Direction::Request) | (S::ResponseBody(p), Direction::Response) => Some(p),
                _ => None,
            })
            .collect();
        if paths.is_empty() {
            return None;
        }
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        paths.iter().find_map(|p| json_path_scalar(&v, p))
    }

    fn dir<'r>(&self, route: &'r Route, d: Direction) -> &'r DirPolicy {
        match d {
            Direction::Request => &route.request,
            Direction::Response => &route.response,
        }
    }

    /// The request path for the audit record: query values dropped, any
    /// personal data in the path itself replaced by its tag.
    pub fn audit_path(&self, path: &str) -> String {
        let p = crate::audit::path_without_query_values(path);
        let mut m = Vec::new();
        self.policy
            .detectors
            .scan(p.as_bytes(), &mut Scratch::default(), &mut m);
        if m.is_empty() {
            return p;
        }
        let mut out = String::new();
        let mut at = 0;
        for x in &m {
            out.push_str(&p[at..x.start]);
            out.push_str(&format!("[{}]", self.policy.category(x.detector).to_ascii_uppercase()));
            at = x.end;
        }
        out.push_str(&p[at..]);
        out
    }

    /// Inspects headers (with cookies and, for requests, the query of `:path`).
    pub fn inspect_headers(
        &self,
        route: &Route,
        d: Direction,
        headers: &[(String, String)],
        scratch: &mut Scratch,
    ) -> HeaderResult {
        let dp = self.dir(route, d);
        let mut insp = Inspection::default();
        let mut out: Vec<(String, String)> = Vec::new();
        let mut changed = false;
        let redacting = !route.shadow;
        for (name, value) in headers {
            let lname = name.to_ascii_lowercase();
            let mut new_value: Option<String> = None;
            if lname == ":path" {
                if dp.query {
                    if let Some((p, q)) = value.split_once('?') {
                        if let Some(nq) =
                            self.inspect_pairs(dp, q.as_bytes(), b'&', "query", &mut insp, scratch, redacting)
                        {
                            new_value = Some(format!("{p}?{}", String::from_utf8_lossy(&nq)));
                        }
                    }
                }
            } else if dp.headers && URL_HEADERS.contains(&lname.as_str()) && value.contains('?') {
                // URLs in headers (Referer, Location): their query values are read decoded.
                if let Some((u, q)) = value.split_once('?') {
                    let kind = format!("header:{lname}?query");
                    let (q, frag) = match q.split_once('#') {
                        Some((q, f)) => (q, Some(f)),
                        None => (q, None),
                    };
                    let mut changed_q =
                        self.inspect_pairs(dp, q.as_bytes(), b'&', &kind, &mut insp, scratch, redacting);
                    // and whatever the raw URL shows (a path with an e-mail in it)
                    let loc = format!("header:{lname}");
                    if let ValueOutcome::Replace(v) =
                        self.inspect_value(dp, u.as_bytes(), None, &loc, &mut insp, scratch)
                    {
                        let nq = changed_q.take().unwrap_or_else(|| q.as_bytes().to_vec());
                        new_value = Some(format!(
                            "{}?{}",
                            String::from_utf8_lossy(&v),
                            String::from_utf8_lossy(&nq)
                        ));
                    } else if let Some(nq) = changed_q {
                        new_value = Some(format!("{u}?{}", String::from_utf8_lossy(&nq)));
                    }
                    if let (Some(nv), Some(f)) = (new_value.as_mut(), frag) {
                        nv.push('#');
                        nv.push_str(f);
                    }
                }
            } else if dp.headers
                && !dp.skip_headers.contains(&lname)
                && !lname.starts_with(":")
                && !lname.starts_with("x-envoy-")
            {
                if lname == "cookie" {
                    if let Some(nc) =
                        self.inspect_pairs(dp, value.as_bytes(), b';', "cookie", &mut insp, scratch, redacting)
                    {
                        new_value = Some(String::from_utf8_lossy(&nc).into_owned());
                    }
                } else if lname == "set-cookie" {
                    let (first, rest) = match value.find(';') {
                        Some(i) => (&value[..i], &value[i..]),
                        None => (value.as_str(), ""),
                    };
                    if let Some(nc) =
                        self.inspect_pairs(dp, first.as_bytes(), b';', "cookie", &mut insp, scratch, redacting)
                    {
                        new_value = Some(format!("{}{rest}", String::from_utf8_lossy(&nc)));
                    }
                } else {
                    let class = if HEADER_CREDENTIALS.contains(&lname.as_str()) {
                        Some(FieldClass {
                            kind: FieldKind::Credential,
                            strength: Strength::Strong,
                        })
                    } else {
                        self.policy.classify_field(&Words::split(lname.as_bytes()))
                    };
                    let loc = format!("header:{}", safe_name(&lname));
                    match self.inspect_value(dp, value.as_bytes(), class, &loc, &mut insp, scratch) {
                        ValueOutcome::Keep => {}
                        ValueOutcome::Replace(v) if redacting => {
                            new_value = Some(String::from_utf8_lossy(&v).into_owned())
                        }
                        ValueOutcome::Remove if redacting => {
                            changed = true;
                            continue;
                        }
                        _ => {}
                    }
                }
            }
            match new_value {
                Some(v) if redacting => {
                    changed = true;
                    out.push((name.clone(), v));
                }
                _ => out.push((name.clone(), value.clone())),
            }
        }
        HeaderResult {
            inspection: insp,
            headers: changed.then_some(out),
        }
    }

    /// Inspects `k=v` pairs (query, form, cookies). Returns the rewritten
    /// bytes when a value changed.
    #[allow(clippy::too_many_arguments)]
    fn inspect_pairs(
        &self,
        dp: &DirPolicy,
        raw: &[u8],
        sep: u8,
        kind: &str,
        insp: &mut Inspection,
        scratch: &mut Scratch,
        redacting: bool,
    ) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut changed = false;
        let mut first = true;
        let url_encoded = sep == b'&';
        for part in raw.split(|&c| c == sep) {
            let (lead, trimmed) = if sep == b';' {
                let n = part.iter().take_while(|c| **c == b' ').count();
                (&part[..n], &part[n..])
            } else {
                (&part[..0], part)
            };
            let (k, v) = match trimmed.iter().position(|&c| c == b'=') {
                Some(i) => (&trimmed[..i], Some(&trimmed[i + 1..])),
                None => (trimmed, None),
            };
            let mut replacement: Option<Option<Vec<u8>>> = None; // Some(None) = drop the pair
            if let Some(v) = v {
                let key = if url_encoded {
                    percent_decode(k, true)
                } else {
                    Cow::Borrowed(k)
                };
                let mut val = if url_encoded {
                    percent_decode(v, true)
                } else {
                    percent_decode(v, false)
                };
                // Values encoded twice are read through both layers.
                let twice = val
                    .windows(3)
                    .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit());
                if twice {
                    val = Cow::Owned(percent_decode(&val, false).into_owned());
                }
                let class = self.policy.classify_field(&Words::split(&key));
                let loc = format!("{kind}:{}", safe_name(&String::from_utf8_lossy(&key)));
                match self.inspect_value(dp, &val, class, &loc, insp, scratch) {
                    ValueOutcome::Keep => {}
                    ValueOutcome::Replace(nv) => {
                        let enc = if url_encoded || sep == b';' {
                            percent_encode(&nv)
                        } else {
                            nv
                        };
                        replacement = Some(Some(enc));
                    }
                    ValueOutcome::Remove => replacement = Some(None),
                }
            }
            match replacement {
                Some(rep) if redacting => {
                    changed = true;
                    if let Some(rep) = rep {
                        if !first {
                            out.push(sep);
                        }
                        out.extend_from_slice(lead);
                        out.extend_from_slice(k);
                        out.push(b'=');
                        out.extend_from_slice(&rep);
                        first = false;
                    }
                }
                _ => {
                    if !first {
                        out.push(sep);
                    }
                    out.extend_from_slice(part);
                    first = false;
                }
            }
        }
        changed.then_some(out)
    }

    /// Inspects one scalar value: value detectors first, the field name
    /// when they find nothing.
    fn inspect_value(
        &self,
        dp: &DirPolicy,
        value: &[u8],
        class: Option<FieldClass>,
        loc: &str,
        insp: &mut Inspection,
        scratch: &mut Scratch,
    ) -> ValueOutcome {
        let mut matches: Vec<RawMatch> = Vec::new();
        self.policy.detectors.scan(value, scratch, &mut matches);
        self.decide_value(dp, value, &matches, class, loc, insp)
    }

    fn decide_value(
        &self,
        dp: &DirPolicy,
        value: &[u8],
        matches: &[RawMatch],
        class: Option<FieldClass>,
        loc: &str,
        insp: &mut Inspection,
    ) -> ValueOutcome {
        if matches.is_empty() {
            let Some(det) = class.and_then(|c| self.policy.field_detector(c)) else {
                return ValueOutcome::Keep;
            };
            if value.trim_ascii().is_empty() || already_redacted(value) {
                return ValueOutcome::Keep;
            }
            let r = &dp.resolved[det as usize];
            insp.add(&self.policy, det, loc, r, 1);
            if r.action != Action::Redact {
                return ValueOutcome::Keep;
            }
            return match r.strategy {
                Strategy::Remove => ValueOutcome::Remove,
                ref s => ValueOutcome::Replace(redact::render(
                    s,
                    self.policy.category(det),
                    value,
                    self.hasher.as_ref(),
                )),
            };
        }
        let mut out: Vec<u8> = Vec::new();
        let mut at = 0;
        let mut changed = false;
        let mut remove = false;
        for m in matches {
            let r = &dp.resolved[m.detector as usize];
            insp.add(&self.policy, m.detector, loc, r, 1);
            if r.action == Action::Redact {
                if r.strategy == Strategy::Remove && m.start == 0 && m.end == value.len() {
                    remove = true;
                }
                out.extend_from_slice(&value[at..m.start]);
                out.extend_from_slice(&redact::render(
                    &r.strategy,
                    self.policy.category(m.detector),
                    &value[m.start..m.end],
                    self.hasher.as_ref(),
                ));
                at = m.end;
                changed = true;
            }
        }
        if remove && matches.len() == 1 {
            return ValueOutcome::Remove;
        }
        if !changed {
            return ValueOutcome::Keep;
        }
        out.extend_from_slice(&value[at..]);
        ValueOutcome::Replace(out)
    }

    /// Inspects a whole body.
    pub fn inspect_body(
        &self,
        route: &Route,
        d: Direction,
        content_type: Option<&str>,
        body: &[u8],
        scratch: &mut Scratch,
    ) -> BodyResult {
        let dp = self.dir(route, d);
        let mut insp = Inspection::default();
        if !dp.body || body.is_empty() {
            return BodyResult {
                inspection: insp,
                body: None,
            };
        }
        if let Some(cs) = unreadable_charset(content_type) {
            return self.uninspectable(route, format!("charset:{cs}"));
        }
        let redacting = !route.shadow;
        let rewritten = match format_of(content_type, body) {
            Format::Json => match self.scan_json(dp, body, &mut insp, scratch) {
                Ok(r) => r,
                Err(json::JsonError::TooDeep) => {
                    let mut res = self.uninspectable(route, "json_depth".into());
                    let text = self.scan_text(dp, body, &mut res.inspection, scratch);
                    if res.inspection.max_action() < Some(Action::Block) {
                        res.body = text.filter(|_| redacting);
                    }
                    return res;
                }
                // Not JSON after all: read it as text, never let it pass unread.
                Err(json::JsonError::Syntax(_)) => {
                    // Findings of the partial parse are dropped: the text scan reads it all.
                    insp = Inspection::default();
                    self.scan_text(dp, body, &mut insp, scratch)
                }
            },
            Format::Form => self.inspect_pairs(dp, body, b'&', "form", &mut insp, scratch, true),
            Format::Multipart => {
                let parts = crate::multipart::boundary(content_type.unwrap_or(""))
                    .ok_or(crate::multipart::Malformed("no boundary"))
                    .and_then(|b| crate::multipart::parse(body, &b));
                match parts {
                    Ok(parts) => self.inspect_multipart(dp, body, &parts, &mut insp, scratch),
                    // Malformed multipart is never passed unread.
                    Err(crate::multipart::Malformed(why)) => {
                        let mut res = self.uninspectable(route, format!("multipart:{}", why.replace(' ', "_")));
                        let text = self.scan_text(dp, body, &mut res.inspection, scratch);
                        if res.inspection.max_action() < Some(Action::Block) {
                            res.body = text.filter(|_| redacting);
                        }
                        return res;
                    }
                }
            }
            Format::Text => self.scan_text(dp, body, &mut insp, scratch),
        };
        let body = if redacting && insp.max_action() != Some(Action::Block) {
            rewritten
        } else {
            None
        };
        BodyResult { inspection: insp, body }
    }

    /// Each text part is inspected by its field name (JSON parts as JSON);
    /// files are read when their type is text-like, and noted otherwise.
    fn inspect_multipart(
        &self,
        dp: &DirPolicy,
        body: &[u8],
        parts: &[crate::multipart::Part],
        insp: &mut Inspection,
        scratch: &mut Scratch,
    ) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut at = 0;
        let mut changed = false;
        for p in parts {
            let content = &body[p.body_start..p.body_end];
            if p.filename && !crate::multipart::readable_file(p.content_type.as_deref()) {
                insp.uninspected.get_or_insert_with(|| "multipart:binary_file".into());
                continue;
            }
            let name = p.name.clone().unwrap_or_default();
            let is_json = p
                .content_type
                .as_deref()
                .is_some_and(|c| c.to_ascii_lowercase().contains("json"));
            let new = if is_json || (p.filename && format_of(p.content_type.as_deref(), content) == Format::Json) {
                let mut sub = Inspection::default();
                let r = self
                    .scan_json(dp, content, &mut sub, scratch)
                    .unwrap_or_else(|_| self.scan_text(dp, content, &mut sub, scratch));
                insp.merge(sub);
                r
            } else {
                let class = if p.filename {
                    None
                } else {
                    self.policy.classify_field(&Words::split(name.as_bytes()))
                };
                let loc = format!("multipart:{}", safe_name(&name));
                match self.inspect_value(dp, content, class, &loc, insp, scratch) {
                    ValueOutcome::Keep => None,
                    ValueOutcome::Replace(v) => Some(v),
                    ValueOutcome::Remove => Some(Vec::new()),
                }
            };
            if let Some(n) = new {
                out.extend_from_slice(&body[at..p.body_start]);
                out.extend_from_slice(&n);
                at = p.body_end;
                changed = true;
            }
        }
        if !changed {
            return None;
        }
        out.extend_from_slice(&body[at..]);
        Some(out)
    }

    /// The outcome for content that could not be read: the route's
    /// `on_uninspectable` rule.
    pub fn uninspectable(&self, route: &Route, what: String) -> BodyResult {
        let action = match route.on_uninspectable {
            OnUninspectable::Block => Action::Block,
            OnUninspectable::Log => Action::Log,
        };
        let insp = Inspection {
            findings: vec![Finding {
                detector: "uninspectable".into(),
                category: "uninspectable".into(),
                location: format!("body:{what}"),
                count: 1,
                action,
                rule: "on_uninspectable".into(),
            }],
            uninspected: Some(what),
        };
        BodyResult {
            inspection: insp,
            body: None,
        }
    }

    fn scan_text(&self, dp: &DirPolicy, body: &[u8], insp: &mut Inspection, scratch: &mut Scratch) -> Option<Vec<u8>> {
        let mut matches = Vec::new();
        self.policy.detectors.scan_text(body, scratch, &mut matches);
        match self.decide_value(dp, body, &matches, None, "body", insp) {
            ValueOutcome::Replace(v) => Some(v),
            ValueOutcome::Remove => Some(Vec::new()),
            ValueOutcome::Keep => None,
        }
    }

    fn scan_json(
        &self,
        dp: &DirPolicy,
        body: &[u8],
        insp: &mut Inspection,
        scratch: &mut Scratch,
    ) -> Result<Option<Vec<u8>>, json::JsonError> {
        let opts = json::Options {
            max_depth: self.policy.limits.max_json_depth,
            track_members: dp.has_remove,
        };
        let classify = |w: &Words| self.policy.classify_field(w);
        let mut matches: Vec<RawMatch> = Vec::new();
        let mut locs = LocCache::default();
        let mut visit = |v: &Visit, s: Scalar| -> Verdict {
            let val: &[u8] = match &s {
                Scalar::Str(c) => c,
                Scalar::Num(n) => n,
            };
            // Path rules first: they force or exempt a value whatever it holds.
            if !dp.paths.is_empty() {
                if let Some(rule) = dp
                    .paths
                    .iter()
                    .filter(|r| path_matches(&r.segs, v.input, v.path))
                    .max_by_key(|r| r.segs.len())
                {
                    if rule.action == Action::Allow {
                        return Verdict::Keep;
                    }
                    let loc = locs.get(v);
                    let r = &dp.resolved[rule.detector as usize];
                    insp.add(&self.policy, rule.detector, &loc, r, 1);
                    if rule.action != Action::Redact {
                        return Verdict::Keep;
                    }
                    return match &rule.strategy {
                        Strategy::Remove => Verdict::Remove,
                        s => Verdict::Replace(json::quote(&redact::render(
                            s,
                            self.policy.category(rule.detector),
                            val,
                            self.hasher.as_ref(),
                        ))),
                    };
                }
            }
            matches.clear();
            match &s {
                Scalar::Str(_) => self.policy.detectors.scan_text(val, scratch, &mut matches),
                Scalar::Num(_) => self.policy.detectors.scan(val, scratch, &mut matches),
            }
            if matches.is_empty() && v.field.is_none() {
                return Verdict::Keep;
            }
            let loc = locs.get(v);
            match self.decide_value(dp, val, &matches, v.field, &loc, insp) {
                ValueOutcome::Keep => Verdict::Keep,
                ValueOutcome::Remove => Verdict::Remove,
                // numbers become strings: the redacted value is no longer a number
                ValueOutcome::Replace(nv) => Verdict::Replace(json::quote(&nv)),
            }
        };
        json::rewrite(body, &opts, &classify, &mut visit)
    }
}

/// Reads a claim from a bearer JWT without verifying it (verification is
/// the job of Envoy's `jwt_authn` filter in front of piiguard).
pub fn jwt_claim(authorization: &str, claim: &str) -> Option<String> {
    scalar(&jwt_value(authorization, claim)?)
}

fn jwt_value(authorization: &str, claim: &str) -> Option<serde_json::Value> {
    use base64::Engine as _;
    let (scheme, token) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let payload = token.trim().split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get(claim).cloned()
}

fn scalar(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A scalar at a simple JSON path (`$.a.b[0].c`).
pub fn json_path_scalar(v: &serde_json::Value, path: &str) -> Option<String> {
    let segs = crate::policy::parse_json_path(path).ok()?;
    let mut cur = v;
    for s in segs {
        cur = match s {
            PathSeg::Key(k) => cur.get(k.as_str())?,
            PathSeg::Index(i) => cur.get(i as usize)?,
            PathSeg::AnyKey | PathSeg::AnyIndex => return None,
        };
    }
    scalar(cur)
}

/// A value that is one of our own replacements (`[EMAIL]`, `****`, `h:...`):
/// a field holding it is not personal data any more.
fn already_redacted(v: &[u8]) -> bool {
    let v = v.trim_ascii();
    (v.len() > 2
        && v[0] == b'['
        && v[v.len() - 1] == b']'
        && v[1..v.len() - 1].iter().all(|c| c.is_ascii_uppercase() || *c == b'_'))
        || v.iter().all(|c| *c == b'*')
        || (v.len() == 18 && v.starts_with(b"h:"))
}

enum ValueOutcome {
    Keep,
    Replace(Vec<u8>),
    Remove,
}

fn path_matches(rule: &[PathSeg], input: &[u8], path: &[Seg]) -> bool {
    if rule.len() > path.len() {
        return false;
    }
    rule.iter().zip(path).all(|(r, p)| match (r, p) {
        (PathSeg::AnyKey, Seg::Key { .. }) => true,
        (PathSeg::AnyIndex, Seg::Index(_)) => true,
        (PathSeg::Index(a), Seg::Index(b)) => a == b,
        (PathSeg::Key(k), Seg::Key { start, end, escaped }) => {
            *json::key_bytes(input, *start, *end, *escaped) == *k.as_bytes()
        }
        _ => false,
    })
}

/// A name from the request (header, parameter, cookie, JSON key) as it may
/// appear in findings: names that could themselves carry personal data are
/// replaced by `*`.
pub fn safe_name(name: &str) -> String {
    let simple = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'[' | b']'))
        && name.bytes().filter(u8::is_ascii_digit).count() < 4;
    if simple {
        name.to_string()
    } else {
        "*".to_string()
    }
}

/// Rendered finding locations, by path shape (indexes are folded to `[*]`,
/// so every element of an array shares one string). Few distinct shapes:
/// a short list beats a hash map.
#[derive(Default)]
struct LocCache {
    entries: Vec<(u64, std::rc::Rc<str>)>,
}

impl LocCache {
    fn get(&mut self, v: &Visit) -> std::rc::Rc<str> {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        for seg in v.path {
            match *seg {
                Seg::Key { start, end, .. } => {
                    for &b in &v.input[start..end] {
                        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
                    }
                }
                Seg::Index(_) => h = (h ^ 0x5b).wrapping_mul(0x100_0000_01b3),
            }
            h = (h ^ 0xff).wrapping_mul(0x100_0000_01b3);
        }
        if let Some((_, l)) = self.entries.iter().find(|(k, _)| *k == h) {
            return l.clone();
        }
        let l: std::rc::Rc<str> = format!("body:{}", safe_path(v)).into();
        if self.entries.len() < 256 {
            self.entries.push((h, l.clone()));
        }
        l
    }
}

fn safe_path(v: &Visit) -> String {
    let mut s = String::from("$");
    for seg in v.path {
        match *seg {
            Seg::Key { start, end, escaped } => {
                let k = json::key_bytes(v.input, start, end, escaped);
                let k = safe_name(&String::from_utf8_lossy(&k));
                s.push('.');
                s.push_str(&k);
            }
            Seg::Index(_) => s.push_str("[*]"),
        }
    }
    s
}

fn hexval(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Percent-decodes (and `+` to space when `plus`).
pub fn percent_decode(s: &[u8], plus: bool) -> Cow<'_, [u8]> {
    if !s.iter().any(|&c| c == b'%' || (plus && c == b'+')) {
        return Cow::Borrowed(s);
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' if plus => out.push(b' '),
            b'%' if i + 2 < s.len() => match (hexval(s[i + 1]), hexval(s[i + 2])) {
                (Some(a), Some(b)) => {
                    out.push(a * 16 + b);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    Cow::Owned(out)
}

/// Percent-encodes everything but unreserved characters.
pub fn percent_encode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for &c in s {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
            out.push(c);
        } else {
            out.extend_from_slice(format!("%{c:02X}").as_bytes());
        }
    }
    out
}
