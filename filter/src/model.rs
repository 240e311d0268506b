//! The model: directions, decisions, findings and what an inspection
//! produced. Plain data; never a value.

use crate::config::Action;
use crate::policy::{Policy, Resolved};

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

/// Consent to a route's purpose (GDPR arts. 6, 7, 18, 21), as the audit record names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentState {
    Given,
    Missing,
    Objected,
    Restricted,
    NotRequired,
}

impl ConsentState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentState::Given => "given",
            ConsentState::Missing => "missing",
            ConsentState::Objected => "objected",
            ConsentState::Restricted => "restricted",
            ConsentState::NotRequired => "not_required",
        }
    }

    /// Whether the route's policy with consent applies.
    pub fn permits(self) -> bool {
        matches!(self, ConsentState::Given | ConsentState::NotRequired)
    }
}

/// What produced a finding. The flow and the metrics branch on it, never on
/// detector names or location prefixes; its serde names are those the
/// metrics use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A detector (built-in, custom, field name or free text) found personal data.
    Detector,
    /// A route's JSON path rule (`paths`) marked the value as personal data.
    PathRule,
    /// A body that could not be read (`on_uninspectable`).
    Uninspectable,
    /// A stream passed or blocked unbuffered (`on_stream`).
    Stream,
    /// A body over the limit (`on_oversize`).
    Oversize,
    /// A host call failed.
    HostError,
    /// A `%2F` path that reads as two routes.
    AmbiguousPath,
    /// A request that could mean several methods whose routes cannot be ordered.
    AmbiguousMethod,
    /// A pseudo-header a route would redact (it cannot be rewritten).
    Unrewritable,
    /// `require_tls`: personal data on a plaintext hop.
    PlaintextTransfer,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Detector => "detector",
            FindingKind::PathRule => "path_rule",
            FindingKind::Uninspectable => "uninspectable",
            FindingKind::Stream => "stream",
            FindingKind::Oversize => "oversize",
            FindingKind::HostError => "host_error",
            FindingKind::AmbiguousPath => "ambiguous_path",
            FindingKind::AmbiguousMethod => "ambiguous_method",
            FindingKind::Unrewritable => "unrewritable",
            FindingKind::PlaintextTransfer => "plaintext_transfer",
        }
    }

    /// Personal data was found (a detector or a path rule), not a note about
    /// what could not be inspected or done.
    pub fn is_personal_data(self) -> bool {
        matches!(self, FindingKind::Detector | FindingKind::PathRule)
    }
}

/// One kind of personal data found at one place. Never holds the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// What produced it.
    pub kind: FindingKind,
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

/// Findings that record what was not inspected, and why: one constructor per kind.
impl Finding {
    fn note(kind: FindingKind, detector: &str, location: String, action: Action, rule: &str) -> Finding {
        Finding {
            kind,
            detector: detector.into(),
            category: "uninspectable".into(),
            location,
            count: 1,
            action,
            rule: rule.into(),
        }
    }

    /// A body piiguard cannot read (`what`: `encoding:br`, `charset:utf-32`, ...), per `on_uninspectable`.
    pub fn uninspectable(what: &str, action: Action) -> Finding {
        Finding::note(
            FindingKind::Uninspectable,
            "uninspectable",
            format!("body:{what}"),
            action,
            "on_uninspectable",
        )
    }

    /// A body over `limits.max_body_bytes`, per `on_oversize`.
    pub fn oversize(action: Action) -> Finding {
        Finding::note(FindingKind::Oversize, "oversize", "body".into(), action, "on_oversize")
    }

    /// A stream (`kind`: `websocket`, `sse`, `grpc`, ...) passed unbuffered or blocked, per `on_stream`.
    pub fn stream(kind: &str, action: Action) -> Finding {
        Finding::note(
            FindingKind::Stream,
            "uninspectable",
            format!("body:stream:{kind}"),
            action,
            "on_stream",
        )
    }

    /// A host call (`call`) failed: the exchange was stopped.
    pub fn host_error(call: &str) -> Finding {
        Finding::note(
            FindingKind::HostError,
            "host_error",
            format!("host:{call}"),
            Action::Block,
            "host_error",
        )
    }

    /// A path whose `%2F` read as a separator and as data leads to different routes.
    pub fn ambiguous_path() -> Finding {
        Finding::note(
            FindingKind::AmbiguousPath,
            "ambiguous_path",
            "path".into(),
            Action::Block,
            "path",
        )
    }

    /// A pseudo-header (`:method`, `:scheme`, ...) the route would redact:
    /// it cannot be rewritten, so it blocks.
    pub fn unrewritable(location: String) -> Finding {
        Finding::note(
            FindingKind::Unrewritable,
            "unrewritable",
            location,
            Action::Block,
            "header",
        )
    }

    /// A request that could mean several methods (override headers, `_method`)
    /// whose routes cannot be ordered by strictness.
    pub fn ambiguous_method() -> Finding {
        Finding::note(
            FindingKind::AmbiguousMethod,
            "ambiguous_method",
            "method".into(),
            Action::Block,
            "method",
        )
    }

    /// `require_tls`: personal data on a plaintext hop (`at`: `connection` or `upstream`).
    pub fn plaintext_transfer(at: &str) -> Finding {
        Finding {
            category: "transport".into(),
            ..Finding::note(
                FindingKind::PlaintextTransfer,
                "plaintext_transfer",
                format!("transport:{at}"),
                Action::Block,
                "require_tls",
            )
        }
    }
}

/// What could not be inspected, written in the audit record as one string
/// (`oversize`, `stream:sse`, `host_error:body`, `encoding:br`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Uninspected {
    /// Over `limits.max_body_bytes`.
    Oversize,
    /// A stream (`websocket`, `sse`, `grpc`, `connect`, ...) that passed or was blocked unbuffered.
    Stream(String),
    /// A host call that failed.
    HostError(&'static str),
    /// Content the engine cannot read: `encoding:br`, `charset:utf-32`, `json_depth`, `multipart:...`, `grpc:...`.
    Content(String),
}

impl std::fmt::Display for Uninspected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Uninspected::Oversize => f.write_str("oversize"),
            Uninspected::Stream(kind) => write!(f, "stream:{kind}"),
            Uninspected::HostError(call) => write!(f, "host_error:{call}"),
            Uninspected::Content(what) => f.write_str(what),
        }
    }
}

impl serde::Serialize for Uninspected {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Inspection {
    pub findings: Vec<Finding>,
    /// What could not be inspected (the first reason noted).
    pub uninspected: Option<Uninspected>,
}

impl Inspection {
    pub(crate) fn add(&mut self, policy: &Policy, det: u16, location: &str, r: &Resolved, n: u32) {
        let detector = policy.detector_id(det);
        // Bounded: past MAX_FINDINGS distinct entries, locations fold to `kind:*`
        // (keeps the audit record small and this search short).
        let fold = self.findings.len() >= MAX_FINDINGS;
        let kind = if fold {
            location.split(':').next().unwrap_or("body")
        } else {
            ""
        };
        // `kind:*` when folded (compared without building it)
        let same_location = |l: &str| {
            if fold {
                l.len() == kind.len() + 2 && l.starts_with(kind) && l.ends_with(":*")
            } else {
                l == location
            }
        };
        for f in &mut self.findings {
            if f.action == r.action && same_location(&f.location) && f.detector == detector {
                f.count += n;
                return;
            }
        }
        let location = if fold {
            format!("{kind}:*")
        } else {
            location.to_string()
        };
        self.findings.push(Finding {
            kind: if policy.is_path_rule(det) {
                FindingKind::PathRule
            } else {
                FindingKind::Detector
            },
            detector: detector.to_string(),
            category: policy.category(det).to_string(),
            location,
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
        // a set, not sort + dedup: the same sorted distinct list without a
        // sort instantiated for `Vec<String>` (module size, bench/SIZE.md session 6)
        let mut c = std::collections::BTreeSet::new();
        for f in self.findings.iter().filter(|f| f.action >= min) {
            c.insert(f.category.clone());
        }
        c.into_iter().collect()
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
