//! The compiled, immutable policy: detectors built once, an action and a
//! strategy resolved per detector and direction, routes ready to match.

use crate::config::{self, Action, Config, ConfigError, OnOversize, OnUninspectable, PathRuleConfig, Strategy};
use crate::detect::{self, DetectorSet, Validator, BUILTINS, CATEGORIES};
use crate::fields::{self, FieldClass, FieldKind, Strength, Words};
use crate::urlpath;
use regex_automata::hybrid::dfa;
use regex_automata::util::pool::Pool;
use regex_automata::Input;
use std::collections::BTreeSet;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::Arc;

/// Where a resolved action came from (for `explain` and the audit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleSource {
    Detector(String),
    Category(String),
    Wildcard,
    Implicit,
    Path(String),
}

impl std::fmt::Display for RuleSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RuleSource::Detector(d) => write!(f, "actions[\"{d}\"] (detector)"),
            RuleSource::Category(c) => write!(f, "actions[\"{c}\"] (category)"),
            RuleSource::Wildcard => write!(f, "actions[\"*\"]"),
            RuleSource::Implicit => write!(f, "no rule: log (implicit default)"),
            RuleSource::Path(p) => write!(f, "paths[\"{p}\"]"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Resolved {
    pub action: Action,
    pub strategy: Strategy,
    pub source: RuleSource,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSeg {
    Key(String),
    AnyKey,
    Index(u32),
    AnyIndex,
}

#[derive(Clone, Debug)]
pub struct PathRule {
    pub text: String,
    pub segs: Vec<PathSeg>,
    pub action: Action,
    pub strategy: Strategy,
    /// Detector index used for findings forced by this rule.
    pub detector: u16,
}

#[derive(Debug)]
pub struct DirPolicy {
    /// Indexed by detector.
    pub resolved: Vec<Resolved>,
    pub paths: Vec<PathRule>,
    pub headers: bool,
    pub query: bool,
    pub body: bool,
    pub skip_headers: Vec<String>,
    pub has_remove: bool,
    pub blocks: bool,
    /// Some action or path rule redacts (the body may change).
    pub redacts: bool,
    /// Every action and path rule is `allow`: nothing found here can be
    /// logged, redacted or blocked.
    pub allows_all: bool,
}

#[derive(Debug)]
pub struct Route {
    pub name: String,
    matcher: Matcher,
    pub shadow: bool,
    pub request: DirPolicy,
    pub response: DirPolicy,
    pub on_oversize: OnOversize,
    pub on_uninspectable: OnUninspectable,
    pub on_stream: config::OnStream,
    pub block_status: u16,
    pub purpose: Option<String>,
    pub legal_basis: Option<config::LegalBasis>,
    pub retention: Option<String>,
    /// Which hop must be encrypted for personal data to pass (`require_tls`).
    pub require_tls: Option<crate::transport::TlsRequirement>,
    pub region: Option<String>,
    /// What applies without consent: `None` (nothing to check), block, or
    /// this route's alternate policy.
    pub without_consent: Option<WithoutConsent>,
    /// `on_uninspectable` / `on_stream` set to `block` in the configuration
    /// itself (not by default): then every direction is read, even one
    /// that allows everything.
    pub explicit_block_unreadable: bool,
    pub explicit_block_stream: bool,
    /// `piiguard_requests_total` with this route's labels, per overall
    /// decision (see [`Route::requests_metric`]): named once, never per request.
    requests_metrics: [String; 6],
}

/// The overall decisions `piiguard_requests_total` counts.
const REQUEST_DECISIONS: [&str; 6] = ["allowed", "logged", "shadow", "redacted", "blocked", "incomplete"];

impl Route {
    /// The `piiguard_requests_total` counter name for this route and an
    /// overall decision (`allowed` ... `incomplete`).
    pub fn requests_metric(&self, decision: &str) -> std::borrow::Cow<'_, str> {
        match REQUEST_DECISIONS.iter().position(|d| *d == decision) {
            Some(i) => std::borrow::Cow::Borrowed(self.requests_metrics[i].as_str()),
            None => std::borrow::Cow::Owned(requests_metric_name(&self.name, decision)),
        }
    }
}

fn requests_metric_name(route: &str, decision: &str) -> String {
    crate::flow::metric_name("piiguard_requests_total", &[("route", route), ("decision", decision)])
}

#[derive(Debug)]
pub enum WithoutConsent {
    Block,
    Redact(Box<Route>),
}

#[derive(Debug, Default)]
struct Matcher {
    route_name: Option<String>,
    hosts: Vec<String>,
    path: Option<PathMatch>,
    methods: Vec<String>,
    peers: Vec<String>,
    peers_not: bool,
    clusters: Vec<String>,
    /// Paths compare ignoring ASCII case (`match.ignore_case`).
    ignore_case: bool,
}

/// Path rules hold normalised text (see [`crate::urlpath`]), lower-cased
/// when the rule ignores case.
#[derive(Debug)]
enum PathMatch {
    Exact(String),
    /// `dir`: the rule ended in `/`, so only whole segments match.
    Prefix {
        text: String,
        dir: bool,
    },
    Regex(PathRegex),
}

type CacheFn = Box<dyn Fn() -> dfa::Cache + Send + Sync + UnwindSafe + RefUnwindSafe>;

/// A route's `path_regex`, anchored at both ends: only whether it matches is
/// read, so a forward lazy DFA is enough (configured as the detectors' are,
/// [`detect`]'s `builder`: no quit byte, a cache that never gives up), with
/// a pool of caches because the policy is shared.
pub struct PathRegex {
    dfa: Arc<dfa::DFA>,
    caches: Pool<dfa::Cache, CacheFn>,
}

impl std::fmt::Debug for PathRegex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PathRegex")
    }
}

impl PathRegex {
    fn new(rule: &str, ignore_case: bool) -> Result<PathRegex, String> {
        use regex_automata::nfa::thompson::{self, WhichCaptures};
        let dfa = dfa::Builder::new()
            .syntax(
                regex_automata::util::syntax::Config::new()
                    .unicode(false)
                    .utf8(false)
                    .case_insensitive(ignore_case),
            )
            .thompson(
                thompson::Config::new()
                    .utf8(false)
                    .which_captures(WhichCaptures::None)
                    .nfa_size_limit(Some(10 << 20)),
            )
            .configure(dfa::Config::new().minimum_cache_clear_count(None))
            .build(&format!("^(?:{rule})$"))
            .map_err(|e| e.to_string())?;
        let dfa = Arc::new(dfa);
        let d = Arc::clone(&dfa);
        let create: CacheFn = Box::new(move || d.create_cache());
        Ok(PathRegex {
            dfa,
            caches: Pool::new(create),
        })
    }

    /// Whether the rule matches `hay`. A search error (impossible by
    /// construction, see above) counts as a match: the rule's route is
    /// taken, never skipped for a later one the path did not choose.
    pub fn is_match(&self, hay: &[u8]) -> bool {
        let mut cache = self.caches.get();
        self.dfa
            .try_search_fwd(&mut cache, &Input::new(hay).earliest(true))
            .map_or(true, |m| m.is_some())
    }
}

/// The route a request resolves to.
#[derive(Debug)]
pub struct Resolution<'a> {
    pub route: &'a Route,
    /// Index in `Policy::routes` (`None`: the default route).
    pub index: Option<usize>,
    /// The path reads differently with encoded slashes (`%2F`, `%5C`) taken
    /// as separators or not, and the two readings select different routes:
    /// the request must be refused, as either reading could be the
    /// upstream's. Or the methods the request could mean select routes of
    /// which none is at least as strict as all the others.
    pub ambiguous: bool,
    /// What was ambiguous: `"path"` or `"method"`.
    pub ambiguity: &'static str,
}

/// What a request looks like to route matching.
#[derive(Clone, Debug, Default)]
pub struct RequestInfo {
    pub route_name: Option<String>,
    pub authority: String,
    /// Path without the query.
    pub path: String,
    pub method: String,
    /// Other methods the upstream may read the request as: method-override
    /// headers, a `_method` parameter (see [`crate::http::method_overrides`]).
    pub method_overrides: Vec<String>,
    /// The caller's mTLS identity (URI SAN), when known.
    pub peer: Option<String>,
    /// The upstream cluster (`xds.cluster_name`), when known.
    pub cluster: Option<String>,
}

pub struct Policy {
    pub version: Option<String>,
    pub limits: config::Limits,
    pub detectors: DetectorSet,
    pub routes: Vec<Route>,
    pub default: Route,
    /// Custom field hints: (joined lowercase words, custom index).
    custom_fields: Vec<(Vec<u8>, u16)>,
    /// Detectors from this index on stand for path rules (`is_path_rule`).
    path_rules_from: usize,
    pub uses_hash: bool,
    /// Hold headers while the body is decided (`hold_headers`).
    pub hold_headers: bool,
    /// Audit every request, not only those with findings (`audit.mode: all`).
    pub audit_all: bool,
    /// Also write the audit record to the proxy log (`audit.log`).
    pub audit_log: bool,
    /// Also publish the record's fields one filter-state key each (`audit.attributes`).
    pub audit_attributes: bool,
    /// The header that carries the subject pseudonym, lower-case (`subject.header`), when subjects are on.
    pub subject_header: Option<String>,
    /// The `jwt_authn` payload key whose verified claims name the subject (`subject.verified_payload_key`).
    pub verified_payload_key: Option<String>,
    /// Some route matches on the Envoy route name, the caller's identity,
    /// the upstream cluster: only then are they read before routing (else
    /// when the audit record is written).
    pub matches_route_name: bool,
    pub matches_peer: bool,
    pub matches_cluster: bool,
    /// Some route lists methods: only then can a method override change a
    /// request's route.
    pub lists_methods: bool,
    /// A subject source reads the request body / the response body.
    pub subject_from_request_body: bool,
    pub subject_from_response_body: bool,
    /// The subject header names a client could forge, folded the way
    /// backends fold names (see [`folded_header_eq`]).
    pub forgeable_subject_headers: Vec<String>,
    /// `forgeable_subject_headers` reduced for the per-request scan.
    pub subject_spellings: crate::subject::SubjectSpellings,
    pub config: Config,
}

/// Why a direction is not inspected at all: nothing is read, buffered or
/// scanned (the audit record says so).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotInspected {
    /// Every action of the direction is `allow` and nothing else needs it
    /// (no `require_tls` on requests, no subject source in its body, no
    /// `on_stream`/`on_uninspectable` set to `block`).
    PolicyAllowsAll,
    /// `headers`, `query` and `body` are all `false`.
    InspectionOff,
}

/// `name` equals `folded` (lower-case, `-` separated) once read the way
/// CGI/WSGI, nginx and many frameworks read names: `_` and `.` as `-`, any case.
pub fn folded_header_eq(name: &str, folded: &str) -> bool {
    name.len() == folded.len()
        && name.bytes().zip(folded.bytes()).all(|(a, b)| {
            let a = match a {
                b'_' | b'.' => b'-',
                a => a.to_ascii_lowercase(),
            };
            a == b
        })
}

/// A header name folded (see [`folded_header_eq`]).
pub fn folded_header_name(name: &str) -> String {
    name.bytes()
        .map(|c| match c {
            b'_' | b'.' => '-',
            c => c.to_ascii_lowercase() as char,
        })
        .collect()
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy").field("routes", &self.routes.len()).finish()
    }
}

/// Built-in header names never inspected: none. Every header a client can
/// send is inspected unless its value has the fixed syntax Envoy or the
/// mesh writes there (see `engine::structured_header_ok`); a route adds its
/// own exceptions with `skip_headers`.
pub const SKIP_HEADERS: &[&str] = &[];

impl Policy {
    /// Parses and compiles a configuration in one step.
    pub fn from_json(text: &[u8]) -> Result<Policy, ConfigError> {
        Policy::compile(config::parse(text)?)
    }

    pub fn compile(cfg: Config) -> Result<Policy, ConfigError> {
        // detectors
        let mut custom = Vec::new();
        // inserted one by one: `collect` into a set sorts a Vec<String> first, a
        // sort instantiated for this alone (module size, bench/SIZE.md session 6)
        let mut seen_ids: BTreeSet<String> = BTreeSet::new();
        for (i, _) in BUILTINS {
            seen_ids.insert(i.to_string());
        }
        let mut custom_fields = Vec::new();
        for (i, c) in cfg.detectors.custom.iter().enumerate() {
            let p = format!("$.detectors.custom[{i}]");
            if !valid_name(&c.id) {
                return Err(ConfigError::at(
                    format!("{p}.id"),
                    format!("invalid detector id {:?}: use lowercase letters, digits and _", c.id),
                ));
            }
            if !seen_ids.insert(c.id.clone()) {
                return Err(ConfigError::at(
                    format!("{p}.id"),
                    format!("duplicate detector id {:?}", c.id),
                ));
            }
            if !valid_name(&c.category) {
                return Err(ConfigError::at(
                    format!("{p}.category"),
                    format!("invalid category {:?}: use lowercase letters, digits and _", c.category),
                ));
            }
            if let Err(e) = DetectorSet::check_pattern(&c.pattern) {
                return Err(ConfigError::at(
                    format!("{p}.pattern"),
                    format!("invalid regular expression: {}", first_line(&e)),
                ));
            }
            let v = match c.validator {
                config::ValidatorName::None => Validator::None,
                config::ValidatorName::Luhn => Validator::Luhn,
                config::ValidatorName::Mod97 => Validator::Mod97,
            };
            for f in &c.fields {
                let w = Words::split(f.as_bytes());
                if w.is_empty() {
                    return Err(ConfigError::at(
                        format!("{p}.fields"),
                        format!("field name {f:?} has no letters or digits"),
                    ));
                }
                custom_fields.push((w.joined().to_vec(), i as u16));
            }
            custom.push((c.id.clone(), c.category.clone(), c.pattern.clone(), v));
        }
        let mut detectors = DetectorSet::new(&custom).map_err(|e| ConfigError::at("$.detectors.custom", e.0))?;
        // Routes' path rules add their detectors after these.
        let path_rules_from = detectors.info.len();
        for (i, d) in cfg.detectors.disabled.iter().enumerate() {
            let mut hit = false;
            for (k, info) in detectors.info.iter().enumerate() {
                if &info.id == d || &info.category == d {
                    detectors.enabled[k] = false;
                    hit = true;
                }
            }
            if !hit {
                return Err(ConfigError::at(
                    format!("$.detectors.disabled[{i}]"),
                    format!("unknown detector or category {d:?}"),
                ));
            }
        }
        let mut categories: BTreeSet<String> = BTreeSet::new();
        for s in CATEGORIES.iter() {
            categories.insert(s.to_string());
        }
        for c in &cfg.detectors.custom {
            categories.insert(c.category.clone());
        }
        // Path-rule categories become detectors of their own.
        let mut uses_hash = false;
        let mut routes = Vec::new();
        let mut names = BTreeSet::new();
        for (i, r) in cfg.routes.iter().enumerate() {
            let p = format!("$.routes[{i}]");
            let Some(name) = &r.name else {
                return Err(ConfigError::at(format!("{p}.name"), "missing field `name`"));
            };
            if name.is_empty() {
                return Err(ConfigError::at(format!("{p}.name"), "route name must not be empty"));
            }
            if !names.insert(name.clone()) {
                return Err(ConfigError::at(
                    format!("{p}.name"),
                    format!("duplicate route name {name:?}"),
                ));
            }
            let m = r.matcher.as_ref().ok_or_else(|| {
                ConfigError::at(
                    format!("{p}.match"),
                    "missing field `match` (use `default` for the catch-all)",
                )
            })?;
            let matcher = compile_matcher(m, &format!("{p}.match"))?;
            routes.push(compile_route(
                name,
                matcher,
                r,
                &p,
                &mut detectors,
                &categories,
                &mut uses_hash,
            )?);
        }
        let default = match &cfg.default {
            Some(d) => {
                if d.matcher.is_some() {
                    return Err(ConfigError::at(
                        "$.default.match",
                        "the default route matches everything; remove `match`",
                    ));
                }
                let name = d.name.clone().unwrap_or_else(|| "default".into());
                compile_route(
                    &name,
                    Matcher::default(),
                    d,
                    "$.default",
                    &mut detectors,
                    &categories,
                    &mut uses_hash,
                )?
            }
            None => compile_route(
                "default",
                Matcher::default(),
                &config::RouteConfig::default(),
                "$.default",
                &mut detectors,
                &categories,
                &mut uses_hash,
            )?,
        };
        if cfg.limits.max_body_bytes == 0 {
            return Err(ConfigError::at("$.limits.max_body_bytes", "must be greater than 0"));
        }
        if cfg.limits.max_json_depth == 0 || cfg.limits.max_json_depth > 10_000 {
            return Err(ConfigError::at(
                "$.limits.max_json_depth",
                "must be between 1 and 10000",
            ));
        }
        if let Some(s) = &cfg.subject {
            if s.sources.is_empty() {
                return Err(ConfigError::at("$.subject.sources", "at least one source is required"));
            }
            if !s
                .header
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
                || s.header.is_empty()
            {
                return Err(ConfigError::at(
                    "$.subject.header",
                    format!("invalid header name {:?}", s.header),
                ));
            }
            for (i, src) in s.sources.iter().enumerate() {
                let v = match src {
                    config::SubjectSource::Header(v)
                    | config::SubjectSource::JwtClaim(v)
                    | config::SubjectSource::Cookie(v)
                    | config::SubjectSource::Query(v) => v.is_empty(),
                    config::SubjectSource::RequestBody(p) | config::SubjectSource::ResponseBody(p) => {
                        parse_json_path(p).map_err(|e| ConfigError::at(format!("$.subject.sources[{i}]"), e))?;
                        false
                    }
                };
                if v {
                    return Err(ConfigError::at(format!("$.subject.sources[{i}]"), "must not be empty"));
                }
            }
        }
        let all_routes = || routes.iter().chain(std::iter::once(&default));
        let matches_route_name = all_routes().any(|r| r.matcher.route_name.is_some());
        let matches_peer = all_routes().any(|r| !r.matcher.peers.is_empty());
        let matches_cluster = all_routes().any(|r| !r.matcher.clusters.is_empty());
        let lists_methods = routes.iter().any(|r| !r.matcher.methods.is_empty());
        let body_source =
            |want: fn(&config::SubjectSource) -> bool| cfg.subject.as_ref().is_some_and(|s| s.sources.iter().any(want));
        let subject_from_request_body = body_source(|s| matches!(s, config::SubjectSource::RequestBody(_)));
        let subject_from_response_body = body_source(|s| matches!(s, config::SubjectSource::ResponseBody(_)));
        let subject_header = cfg.subject.as_ref().map(|s| s.header.to_ascii_lowercase());
        let mut forgeable_subject_headers = vec![folded_header_name(crate::flow::DEFAULT_SUBJECT_HEADER)];
        if let Some(h) = &subject_header {
            let f = folded_header_name(h);
            if !forgeable_subject_headers.contains(&f) {
                forgeable_subject_headers.push(f);
            }
        }
        Ok(Policy {
            version: cfg.policy_version.clone(),
            limits: cfg.limits.clone(),
            detectors,
            routes,
            default,
            custom_fields,
            path_rules_from,
            uses_hash,
            hold_headers: cfg.hold_headers,
            audit_all: cfg.audit.mode == config::AuditMode::All,
            audit_log: cfg.audit.log,
            audit_attributes: cfg.audit.attributes,
            subject_header,
            verified_payload_key: cfg.subject.as_ref().and_then(|s| s.verified_payload_key.clone()),
            matches_route_name,
            matches_peer,
            matches_cluster,
            lists_methods,
            subject_from_request_body,
            subject_from_response_body,
            subject_spellings: crate::subject::SubjectSpellings::new(&forgeable_subject_headers),
            forgeable_subject_headers,
            config: cfg,
        })
    }

    /// First matching route, else the default. Paths match in their
    /// normalised form ([`crate::urlpath::normalize`]).
    pub fn route(&self, req: &RequestInfo) -> &Route {
        self.resolve(req).route
    }

    fn at(&self, index: Option<usize>) -> &Route {
        index.and_then(|i| self.routes.get(i)).unwrap_or(&self.default)
    }

    /// Why a direction of `route` is not inspected at all, if it is not:
    /// its inspection is off, or its actions allow everything and nothing
    /// else needs its headers or body. A direction that could redact or
    /// block is always inspected, and so is one whose route explicitly
    /// blocks what cannot be read. (A request that opens a stream the
    /// route blocks is still stopped: see `Flow`.)
    pub fn not_inspected(&self, route: &Route, d: crate::model::Direction) -> Option<NotInspected> {
        use crate::model::Direction;
        let (dp, from_body) = match d {
            Direction::Request => (&route.request, self.subject_from_request_body),
            Direction::Response => (&route.response, self.subject_from_response_body),
        };
        if !dp.headers && !dp.query && !dp.body {
            return Some(NotInspected::InspectionOff);
        }
        // require_tls judges the request's findings: the request is read
        let needs_tls = d == Direction::Request && route.require_tls.is_some();
        let nothing_else = !from_body && !needs_tls && !route.explicit_block_stream && !route.explicit_block_unreadable;
        (dp.allows_all && nothing_else).then_some(NotInspected::PolicyAllowsAll)
    }

    /// The route for one reading of the path, over every method the request
    /// could mean (its `:method`, then its overrides). A method condition
    /// never lets a request fall to a laxer route: when no route at this
    /// path lists a method, the routes skipped only for their method are
    /// candidates too. Of several candidates, the first (the `:method`'s own
    /// route first) that is at least as strict as every other applies;
    /// `Err` when none is.
    ///
    /// A last segment with an extension (`/charge.json`) is read without it
    /// too, as Rails' `(.:format)` and Spring's suffix patterns route it to
    /// the `/charge` handler: the configured routes that reading selects are
    /// candidates as well (`Err(true)` when they alone make it ambiguous).
    /// The default is no candidate of that reading: a path written with its
    /// extension in a rule (`/openapi.json`) keeps its rule.
    fn select(&self, req: &RequestInfo, path: &str) -> Result<Option<usize>, bool> {
        let mut cands: Vec<Option<usize>> = Vec::new();
        self.candidates(req, path, &mut cands);
        let own = cands.len();
        for stem in urlpath::extension_stems(path) {
            let mut more = Vec::new();
            self.candidates(req, stem, &mut more);
            for c in more {
                if c.is_some() && !cands.contains(&c) {
                    cands.push(c);
                }
            }
        }
        if cands.len() <= 1 {
            return Ok(cands.first().copied().flatten());
        }
        if own == 1 && cands[0].is_none() {
            // the path as written matched no rule and its stem did: of routes
            // as strict, the stem's (`/profile/12.json` is a profile's)
            cands.rotate_left(1);
        }
        let strictest = |cands: &[Option<usize>]| {
            cands
                .iter()
                .copied()
                .find(|&c| cands.iter().all(|&o| self.at(c).at_least_as_strict(self.at(o))))
        };
        match strictest(&cands) {
            Some(c) => Ok(c),
            // ambiguous by the methods of the path as written, else by its extension
            None => Err(own < 2 || strictest(&cands[..own]).is_some()),
        }
    }

    /// The candidate routes of one reading of the path (see [`Policy::select`]).
    fn candidates(&self, req: &RequestInfo, path: &str, cands: &mut Vec<Option<usize>>) {
        let methods = std::iter::once(req.method.as_str()).chain(req.method_overrides.iter().map(String::as_str));
        for m in methods {
            if m == crate::http::ANY_METHOD {
                // every route this path reaches by some method: those that
                // list methods up to the first that lists none (the default
                // when none matches)
                let open = self
                    .routes
                    .iter()
                    .position(|r| r.matcher.matches(req, path, None) && r.matcher.methods.is_empty());
                for (i, r) in self
                    .routes
                    .iter()
                    .enumerate()
                    .take(open.map_or(self.routes.len(), |o| o + 1))
                {
                    if r.matcher.matches(req, path, None) && !cands.contains(&Some(i)) {
                        cands.push(Some(i));
                    }
                }
                if open.is_none() && !cands.contains(&None) {
                    cands.push(None);
                }
                continue;
            }
            let hit = self.routes.iter().position(|r| r.matcher.matches(req, path, Some(m)));
            if !cands.contains(&hit) {
                cands.push(hit);
            }
            let listed = hit
                .and_then(|i| self.routes.get(i))
                .is_some_and(|r| !r.matcher.methods.is_empty());
            if !listed {
                let end = hit.unwrap_or(self.routes.len());
                for (i, r) in self.routes.iter().enumerate().take(end) {
                    if !r.matcher.methods.is_empty() && r.matcher.matches(req, path, None) && !cands.contains(&Some(i))
                    {
                        cands.push(Some(i));
                    }
                }
            }
        }
    }

    /// The route of a request, under both readings of encoded slashes and
    /// every method it could mean.
    pub fn resolve(&self, req: &RequestInfo) -> Resolution<'_> {
        if self.routes.is_empty() {
            // only the default: every reading of the path and every method
            // the request could mean select it (what `select` finds, without
            // normalising the path twice)
            return Resolution {
                route: &self.default,
                index: None,
                ambiguous: false,
                ambiguity: "path",
            };
        }
        let path = urlpath::normalize(&req.path, true);
        let pick = self.select(req, &path);
        let index = pick.unwrap_or_else(|_| {
            self.routes
                .iter()
                .position(|r| r.matcher.matches(req, &path, Some(req.method.as_str())))
        });
        let (ambiguous, ambiguity) = if let Err(by_path) = pick {
            (true, if by_path { "path" } else { "method" })
        } else {
            let other = urlpath::has_encoded_separator(&req.path)
                && self.select(req, &urlpath::normalize(&req.path, false)) != pick;
            (other, "path")
        };
        Resolution {
            route: self.at(index),
            index,
            ambiguous,
            ambiguity,
        }
    }

    /// Whether a method the request's body may still name (`_method`, see
    /// [`crate::http::body_may_name_method`]) could give it another route
    /// than `res`, the route of the methods known from its headers: some
    /// route lists methods and the request read as any method resolves
    /// elsewhere (or not at all). Monotonic: when any method resolves to
    /// `res`, so does every single one.
    pub fn body_method_matters(&self, req: &RequestInfo, res: &Resolution<'_>) -> bool {
        if !self.lists_methods || req.method_overrides.iter().any(|m| m == crate::http::ANY_METHOD) {
            return false;
        }
        let mut wide = req.clone();
        wide.method_overrides.push(crate::http::ANY_METHOD.to_string());
        let w = self.resolve(&wide);
        w.ambiguous || w.index != res.index
    }

    /// Explains route matching: (route, reasons the earlier routes did not match).
    pub fn explain_route(&self, req: &RequestInfo) -> (&Route, Vec<(String, String)>) {
        let path = urlpath::normalize(&req.path, true);
        let mut skipped = Vec::new();
        for r in &self.routes {
            match r.matcher.mismatch(req, &path) {
                None => return (r, skipped),
                Some(why) => skipped.push((r.name.clone(), why)),
            }
        }
        (&self.default, skipped)
    }

    pub fn route_by_name(&self, name: &str) -> Option<&Route> {
        if name == self.default.name {
            return Some(&self.default);
        }
        self.routes.iter().find(|r| r.name == name)
    }

    /// Field classification including custom field hints.
    pub fn classify_field(&self, words: &Words) -> Option<FieldClass> {
        if !self.custom_fields.is_empty() {
            let j = words.joined();
            for (name, idx) in &self.custom_fields {
                if j.ends_with(name) {
                    return Some(FieldClass {
                        kind: FieldKind::Custom(*idx),
                        strength: Strength::Strong,
                    });
                }
            }
        }
        fields::classify(words)
    }

    /// The detector index of a field class, if that detector is enabled.
    pub fn field_detector(&self, class: FieldClass) -> Option<u16> {
        let d = detect::field_detector(class.kind, self.detectors.custom_base());
        self.detectors
            .enabled
            .get(d as usize)
            .copied()
            .unwrap_or(false)
            .then_some(d)
    }

    pub fn detector_id(&self, d: u16) -> &str {
        self.detectors
            .info
            .get(d as usize)
            .map(|i| i.id.as_str())
            .unwrap_or("unknown")
    }

    /// The detector stands for a route's JSON path rule (`paths`).
    pub fn is_path_rule(&self, d: u16) -> bool {
        usize::from(d) >= self.path_rules_from && usize::from(d) < self.detectors.info.len()
    }

    pub fn category(&self, d: u16) -> &str {
        self.detectors
            .info
            .get(d as usize)
            .map(|i| i.category.as_str())
            .unwrap_or("unknown")
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

fn compile_matcher(m: &config::MatchConfig, p: &str) -> Result<Matcher, ConfigError> {
    let n = [m.path_exact.is_some(), m.path_prefix.is_some(), m.path_regex.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if n > 1 {
        return Err(ConfigError::at(
            p,
            "use at most one of `path_exact`, `path_prefix`, `path_regex`",
        ));
    }
    let fold = |s: String| if m.ignore_case { s.to_ascii_lowercase() } else { s };
    let path = if let Some(e) = &m.path_exact {
        Some(PathMatch::Exact(fold(urlpath::normalize_rule(e).0)))
    } else if let Some(pre) = &m.path_prefix {
        let (text, dir) = urlpath::normalize_rule(pre);
        Some(PathMatch::Prefix { text: fold(text), dir })
    } else if let Some(r) = &m.path_regex {
        let re = PathRegex::new(r, m.ignore_case).map_err(|e| {
            ConfigError::at(
                format!("{p}.path_regex"),
                format!("invalid regular expression: {}", first_line(&e)),
            )
        })?;
        Some(PathMatch::Regex(re))
    } else {
        None
    };
    for (i, h) in m.hosts.iter().enumerate() {
        if h.is_empty() || h.contains('/') {
            return Err(ConfigError::at(
                format!("{p}.hosts[{i}]"),
                format!("invalid host {h:?}"),
            ));
        }
    }
    for (i, meth) in m.methods.iter().enumerate() {
        if meth.is_empty() || !meth.bytes().all(|c| c.is_ascii_alphabetic()) {
            return Err(ConfigError::at(
                format!("{p}.methods[{i}]"),
                format!("invalid method {meth:?}"),
            ));
        }
    }
    Ok(Matcher {
        route_name: m.route_name.clone(),
        hosts: m.hosts.iter().map(|h| h.to_ascii_lowercase()).collect(),
        path,
        methods: m.methods.iter().map(|s| s.to_ascii_uppercase()).collect(),
        peers: m.peers.clone(),
        peers_not: m.peers_not,
        clusters: m.clusters.clone(),
        ignore_case: m.ignore_case,
    })
}

/// Which condition of a [`Matcher`] failed (formatted only by `explain`).
#[derive(Debug, Clone, Copy)]
enum Mismatch {
    RouteName,
    Host,
    Path,
    Cluster,
    Peer,
}

/// Whether `r` matches `path` with a `/` appended (a rule written for a
/// directory matches it without its slash), on the stack for usual paths.
fn regex_matches_dir(r: &PathRegex, path: &str) -> bool {
    let p = path.as_bytes();
    let mut buf = [0u8; 512];
    match buf.get_mut(..=p.len()) {
        Some(b) => {
            b[..p.len()].copy_from_slice(p);
            b[p.len()] = b'/';
            r.is_match(&*b)
        }
        None => r.is_match(format!("{path}/").as_bytes()),
    }
}

/// The host of an `:authority`: without user information (`u@host`, which
/// RFC 3986 allows and hosts ignore), a numeric port, surrounding white
/// space and a trailing dot.
fn host_of(authority: &str) -> &str {
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h).trim();
    authority
        .rsplit_once(':')
        .filter(|(_, p)| p.bytes().all(|c| c.is_ascii_digit()))
        .map(|(h, _)| h)
        .unwrap_or(authority)
        .trim_end_matches('.')
}

impl Matcher {
    /// Whether this matcher matches, with `method` in place of the
    /// request's (`None`: whatever the method).
    fn matches(&self, req: &RequestInfo, path: &str, method: Option<&str>) -> bool {
        self.mismatch_but_method(req, path).is_none()
            && method.is_none_or(|m| self.methods.is_empty() || self.methods.iter().any(|x| x.eq_ignore_ascii_case(m)))
    }

    /// Why this matcher does not match (`None`: it matches). `path` is the
    /// request's normalised path. Only `explain` asks why, so the reason is
    /// formatted here, not while routing.
    fn mismatch(&self, req: &RequestInfo, path: &str) -> Option<String> {
        let Some(why) = self.mismatch_but_method(req, path) else {
            if !self.methods.is_empty() && !self.methods.iter().any(|m| m.eq_ignore_ascii_case(&req.method)) {
                return Some(format!("method {} not in {:?}", req.method, self.methods));
            }
            return None;
        };
        Some(match why {
            Mismatch::RouteName => format!(
                "route_name {:?} != {:?}",
                req.route_name.as_deref().unwrap_or(""),
                self.route_name.as_deref().unwrap_or("")
            ),
            Mismatch::Host => format!(
                "host {:?} not in {:?}",
                host_of(&req.authority).to_ascii_lowercase(),
                self.hosts
            ),
            Mismatch::Path => match &self.path {
                Some(PathMatch::Exact(e)) => format!("path {path:?} != {e:?}"),
                Some(PathMatch::Prefix { text, .. }) => format!("path {path:?} does not start with {text:?}"),
                _ => format!("path {path:?} does not match path_regex"),
            },
            Mismatch::Cluster => format!(
                "cluster {:?} not in {:?}",
                req.cluster.as_deref().unwrap_or(""),
                self.clusters
            ),
            Mismatch::Peer => format!(
                "peer {:?} {} {:?}",
                req.peer.as_deref().unwrap_or(""),
                if self.peers_not { "is in" } else { "not in" },
                self.peers
            ),
        })
    }

    /// The first condition other than the method that fails, without
    /// allocating: routing asks this of every route on every request.
    fn mismatch_but_method(&self, req: &RequestInfo, path: &str) -> Option<Mismatch> {
        if let Some(rn) = &self.route_name {
            if req.route_name.as_deref() != Some(rn.as_str()) {
                return Some(Mismatch::RouteName);
            }
        }
        if !self.hosts.is_empty() {
            // the configured hosts are lower case; the request's is compared ignoring case
            let host = host_of(&req.authority).as_bytes();
            let ok = self.hosts.iter().any(|h| match h.strip_prefix("*.") {
                Some(suffix) => {
                    let s = suffix.as_bytes();
                    host.len() > s.len()
                        && host[host.len() - s.len()..].eq_ignore_ascii_case(s)
                        && host[host.len() - s.len() - 1] == b'.'
                }
                None => h.as_bytes().eq_ignore_ascii_case(host),
            });
            if !ok {
                return Some(Mismatch::Host);
            }
        }
        // with `ignore_case` the rule's text was folded to lower case when
        // compiled, so comparing ignoring ASCII case is comparing the folded path
        let fold = self.ignore_case;
        let eq = |a: &str, b: &str| if fold { a.eq_ignore_ascii_case(b) } else { a == b };
        let starts = |p: &str, t: &str| p.len() >= t.len() && p.is_char_boundary(t.len()) && eq(&p[..t.len()], t);
        let ok = match &self.path {
            Some(PathMatch::Exact(e)) => eq(path, e),
            Some(PathMatch::Prefix { text, dir }) => {
                text == "/"
                    || if *dir {
                        eq(path, text) || (starts(path, text) && path[text.len()..].starts_with('/'))
                    } else {
                        starts(path, text)
                    }
            }
            Some(PathMatch::Regex(r)) => r.is_match(path.as_bytes()) || regex_matches_dir(r, path),
            None => true,
        };
        if !ok {
            return Some(Mismatch::Path);
        }
        if !self.clusters.is_empty() && !self.clusters.iter().any(|c| Some(c.as_str()) == req.cluster.as_deref()) {
            return Some(Mismatch::Cluster);
        }
        if !self.peers.is_empty() {
            let peer = req.peer.as_deref().unwrap_or("");
            let listed = self.peers.iter().any(|p| match p.strip_suffix('*') {
                Some(prefix) => !peer.is_empty() && peer.starts_with(prefix),
                None => peer == p,
            });
            if listed == self.peers_not {
                return Some(Mismatch::Peer);
            }
        }
        None
    }
}

impl DirPolicy {
    /// The weakest action this direction can take on a finding.
    fn floor(&self, shadow: bool) -> Action {
        let eff = |a: Action| if shadow { a.min(Action::Log) } else { a };
        self.resolved
            .iter()
            .map(|r| eff(r.action))
            .chain(self.paths.iter().map(|p| eff(p.action)))
            .min()
            .unwrap_or(Action::Log)
    }

    /// Whether this direction does at least what `other` does to every
    /// finding, and reads at least as much.
    fn covers(&self, shadow: bool, other: &DirPolicy, other_shadow: bool) -> bool {
        let eff = |a: Action, sh: bool| if sh { a.min(Action::Log) } else { a };
        let actions = self.resolved.len() == other.resolved.len()
            && self
                .resolved
                .iter()
                .zip(&other.resolved)
                .all(|(a, b)| eff(a.action, shadow) >= eff(b.action, other_shadow));
        let floor = self.floor(shadow);
        let paths = other.paths.iter().all(|p| eff(p.action, other_shadow) <= floor)
            && self
                .paths
                .iter()
                .all(|p| eff(p.action, shadow) >= other.ceiling(other_shadow));
        let reads = (self.headers || !other.headers)
            && (self.query || !other.query)
            && (self.body || !other.body)
            && self.skip_headers.iter().all(|h| other.skip_headers.contains(h));
        actions && paths && reads
    }

    /// The strongest action this direction can take on a finding.
    fn ceiling(&self, shadow: bool) -> Action {
        let eff = |a: Action| if shadow { a.min(Action::Log) } else { a };
        self.resolved
            .iter()
            .map(|r| eff(r.action))
            .chain(self.paths.iter().map(|p| eff(p.action)))
            .max()
            .unwrap_or(Action::Log)
    }
}

impl Route {
    /// Whether this route enforces at least what `other` does, in both
    /// directions and on every fallback (oversize, uninspectable, streams,
    /// transport, consent). Used when a request could mean several methods.
    fn at_least_as_strict(&self, other: &Route) -> bool {
        let uninspectable = |o: OnUninspectable| match o {
            OnUninspectable::Allow => 0,
            OnUninspectable::Log => 1,
            OnUninspectable::Block => 2,
        };
        self.request.covers(self.shadow, &other.request, other.shadow)
            && self.response.covers(self.shadow, &other.response, other.shadow)
            && (self.on_oversize == OnOversize::Block || other.on_oversize == OnOversize::Allow)
            && uninspectable(self.on_uninspectable) >= uninspectable(other.on_uninspectable)
            && (self.on_stream == config::OnStream::Block || other.on_stream == config::OnStream::Allow)
            && (other.require_tls.is_none() || self.require_tls == other.require_tls)
            && (other.without_consent.is_none() || self.without_consent.is_some())
    }
}

fn compile_route(
    name: &str,
    matcher: Matcher,
    r: &config::RouteConfig,
    p: &str,
    detectors: &mut DetectorSet,
    categories: &BTreeSet<String>,
    uses_hash: &mut bool,
) -> Result<Route, ConfigError> {
    let request = compile_dir(&r.request, &format!("{p}.request"), detectors, categories, uses_hash)?;
    let response = compile_dir(&r.response, &format!("{p}.response"), detectors, categories, uses_hash)?;
    let blocks = request.blocks || response.blocks;
    let enforces = blocks || request.redacts || response.redacts || r.without_consent.is_some();
    let block_status = r.block_status.unwrap_or(403);
    if !(400..=599).contains(&block_status) {
        return Err(ConfigError::at(
            format!("{p}.block_status"),
            "must be an HTTP error status (400-599)",
        ));
    }
    let without_consent = match &r.without_consent {
        None => None,
        Some(w) if w.action == Action::Block => Some(WithoutConsent::Block),
        Some(w) if w.action == Action::Redact => {
            let cats: Vec<String> = if w.categories.is_empty() {
                vec!["*".into()]
            } else {
                w.categories.clone()
            };
            let mut alt = r.clone();
            alt.without_consent = None;
            for dir in [&mut alt.request, &mut alt.response] {
                for c in &cats {
                    check_key(c, &format!("{p}.without_consent.categories"), detectors, categories)?;
                    dir.actions.insert(c.clone(), Action::Redact);
                }
                if cats.iter().any(|c| c == "*") {
                    // everything that was allowed or only logged is now redacted
                    for a in dir.actions.values_mut() {
                        if *a < Action::Redact {
                            *a = Action::Redact;
                        }
                    }
                }
            }
            let m = Matcher::default();
            Some(WithoutConsent::Redact(Box::new(compile_route(
                name, m, &alt, p, detectors, categories, uses_hash,
            )?)))
        }
        Some(_) => {
            return Err(ConfigError::at(
                format!("{p}.without_consent.action"),
                "must be `block` or `redact`",
            ));
        }
    };
    if without_consent.is_some() && r.purpose.is_none() {
        return Err(ConfigError::at(
            format!("{p}.without_consent"),
            "needs the route's `purpose`",
        ));
    }
    Ok(Route {
        name: name.to_string(),
        matcher,
        shadow: r.shadow,
        request,
        response,
        on_oversize: r.on_oversize.unwrap_or(OnOversize::Block),
        // A client-chosen label must never switch enforcement off: where the
        // route could change or stop a body, what cannot be read is stopped.
        on_uninspectable: r.on_uninspectable.unwrap_or(if enforces {
            OnUninspectable::Block
        } else {
            OnUninspectable::Log
        }),
        on_stream: r.on_stream.unwrap_or(if enforces {
            config::OnStream::Block
        } else {
            config::OnStream::Allow
        }),
        block_status,
        purpose: r.purpose.clone(),
        legal_basis: r.legal_basis,
        retention: r.retention.clone(),
        require_tls: crate::transport::compile(&r.require_tls, p)?,
        region: r.region.clone(),
        without_consent,
        explicit_block_unreadable: r.on_uninspectable == Some(OnUninspectable::Block),
        explicit_block_stream: r.on_stream == Some(config::OnStream::Block),
        requests_metrics: REQUEST_DECISIONS.map(|d| requests_metric_name(name, d)),
    })
}

fn check_key(k: &str, p: &str, detectors: &DetectorSet, categories: &BTreeSet<String>) -> Result<(), ConfigError> {
    if k == "*" || categories.contains(k) || detectors.info.iter().any(|i| i.id == k) {
        Ok(())
    } else {
        Err(ConfigError::at(
            format!("{p}[\"{k}\"]"),
            format!("unknown detector or category {k:?}"),
        ))
    }
}

fn compile_dir(
    d: &config::DirectionConfig,
    p: &str,
    detectors: &mut DetectorSet,
    categories: &BTreeSet<String>,
    uses_hash: &mut bool,
) -> Result<DirPolicy, ConfigError> {
    for k in d.actions.keys() {
        check_key(k, &format!("{p}.actions"), detectors, categories)?;
    }
    for (k, s) in &d.strategies {
        check_key(k, &format!("{p}.strategies"), detectors, categories)?;
        if let Strategy::Partial(o) = s {
            if o.keep_last > 64 {
                return Err(ConfigError::at(
                    format!("{p}.strategies[\"{k}\"].partial.keep_last"),
                    "must be at most 64",
                ));
            }
        }
    }
    let mut paths = Vec::new();
    for (text, rule) in &d.paths {
        let segs = parse_json_path(text).map_err(|e| ConfigError::at(format!("{p}.paths[\"{text}\"]"), e))?;
        let (action, strategy, category) = match rule {
            PathRuleConfig::Action(a) => (*a, None, None),
            PathRuleConfig::Full(f) => (f.action, f.strategy.clone(), f.category.clone()),
        };
        let category = category.unwrap_or_else(|| "custom_path".to_string());
        if !valid_name(&category) {
            return Err(ConfigError::at(
                format!("{p}.paths[\"{text}\"].category"),
                format!("invalid category {category:?}"),
            ));
        }
        let id = format!("path:{text}");
        let det = match detectors.info.iter().position(|i| i.id == id && i.category == category) {
            Some(i) => i as u16,
            None => {
                detectors.info.push(detect::DetectorInfo {
                    id,
                    category: category.clone(),
                });
                detectors.enabled.push(true);
                (detectors.info.len() - 1) as u16
            }
        };
        let strategy = strategy
            .or_else(|| d.strategies.get(&category).cloned())
            .or_else(|| d.strategies.get("*").cloned())
            .unwrap_or(Strategy::Tag);
        paths.push(PathRule {
            text: text.clone(),
            segs,
            action,
            strategy,
            detector: det,
        });
    }
    let mut resolved = Vec::with_capacity(detectors.info.len());
    for info in &detectors.info {
        let (action, source) = if let Some(a) = d.actions.get(&info.id) {
            (*a, RuleSource::Detector(info.id.clone()))
        } else if let Some(a) = d.actions.get(&info.category) {
            (*a, RuleSource::Category(info.category.clone()))
        } else if let Some(a) = d.actions.get("*") {
            (*a, RuleSource::Wildcard)
        } else {
            (Action::Log, RuleSource::Implicit)
        };
        let strategy = d
            .strategies
            .get(&info.id)
            .or_else(|| d.strategies.get(&info.category))
            .or_else(|| d.strategies.get("*"))
            .cloned()
            .unwrap_or(Strategy::Tag);
        resolved.push(Resolved {
            action,
            strategy,
            source,
        });
    }
    // path rules override the detector's own entry for forced findings
    for pr in &paths {
        if let Some(r) = resolved.get_mut(pr.detector as usize) {
            *r = Resolved {
                action: pr.action,
                strategy: pr.strategy.clone(),
                source: RuleSource::Path(pr.text.clone()),
            };
        }
    }
    let relevant = |r: &Resolved| matches!(r.action, Action::Redact);
    *uses_hash |= resolved.iter().any(|r| relevant(r) && r.strategy == Strategy::Hash)
        || paths
            .iter()
            .any(|p| p.action == Action::Redact && p.strategy == Strategy::Hash);
    let has_remove =
        resolved.iter().any(|r| r.strategy == Strategy::Remove) || paths.iter().any(|p| p.strategy == Strategy::Remove);
    let blocks = resolved.iter().any(|r| r.action == Action::Block) || paths.iter().any(|p| p.action == Action::Block);
    let redacts =
        resolved.iter().any(|r| r.action == Action::Redact) || paths.iter().any(|p| p.action == Action::Redact);
    let allows_all =
        resolved.iter().all(|r| r.action == Action::Allow) && paths.iter().all(|p| p.action == Action::Allow);
    let mut skip: Vec<String> = SKIP_HEADERS.iter().map(|s| s.to_string()).collect();
    skip.extend(d.skip_headers.iter().map(|s| s.to_ascii_lowercase()));
    Ok(DirPolicy {
        resolved,
        paths,
        headers: d.headers,
        query: d.query,
        body: d.body,
        skip_headers: skip,
        has_remove,
        blocks,
        redacts,
        allows_all,
    })
}

/// Parses `$.a.b[0]`, `$.items[*].name`, `$['odd key']`, `$.*`.
pub fn parse_json_path(s: &str) -> Result<Vec<PathSeg>, String> {
    let b = s.as_bytes();
    if b.first() != Some(&b'$') {
        return Err(format!("JSON path {s:?} must start with `$`"));
    }
    let mut i = 1;
    let mut segs = Vec::new();
    while i < b.len() {
        match b[i] {
            b'.' => {
                let st = i + 1;
                let mut e = st;
                while e < b.len() && b[e] != b'.' && b[e] != b'[' {
                    e += 1;
                }
                if e == st {
                    return Err(format!("JSON path {s:?}: empty key at offset {i}"));
                }
                let k = &s[st..e];
                segs.push(if k == "*" {
                    PathSeg::AnyKey
                } else {
                    PathSeg::Key(k.to_string())
                });
                i = e;
            }
            b'[' => {
                let close = s[i..]
                    .find(']')
                    .map(|c| c + i)
                    .ok_or_else(|| format!("JSON path {s:?}: missing `]`"))?;
                let inner = &s[i + 1..close];
                if inner == "*" {
                    segs.push(PathSeg::AnyIndex);
                } else if let Ok(n) = inner.parse::<u32>() {
                    segs.push(PathSeg::Index(n));
                } else if inner.len() >= 2
                    && (inner.starts_with('\'') && inner.ends_with('\'')
                        || inner.starts_with('"') && inner.ends_with('"'))
                {
                    segs.push(PathSeg::Key(inner[1..inner.len() - 1].to_string()));
                } else {
                    return Err(format!("JSON path {s:?}: bad index {inner:?}"));
                }
                i = close + 1;
            }
            _ => return Err(format!("JSON path {s:?}: unexpected {:?} at offset {i}", b[i] as char)),
        }
    }
    Ok(segs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(json: &str) -> ConfigError {
        match Policy::from_json(json.as_bytes()) {
            Ok(_) => panic!("accepted: {json}"),
            Err(e) => e,
        }
    }

    fn ok(json: &str) -> Policy {
        match Policy::from_json(json.as_bytes()) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        }
    }

    fn req(path: &str, method: &str, host: &str, rn: Option<&str>) -> RequestInfo {
        RequestInfo {
            route_name: rn.map(String::from),
            authority: host.into(),
            path: path.into(),
            method: method.into(),
            method_overrides: Vec::new(),
            peer: None,
            cluster: None,
        }
    }

    #[test]
    fn config_errors_name_path_and_reason() {
        let cases = [
            (r#"{"version":2}"#, "$.version", "unsupported version"),
            (r#"{"version":1,"routs":[]}"#, "$.routs", "unknown field `routs`"),
            (
                r#"{"version":1,"routes":[{"name":"a","match":{"path_prefix":"/"},"request":{"actions":{"emial":"block"}}}]}"#,
                "$.routes[0].request.actions[\"emial\"]",
                "unknown detector or category",
            ),
            (
                r#"{"version":1,"routes":[{"name":"a","match":{},"request":{"actions":{"email":"blok"}}}]}"#,
                "$.routes[0].request.actions.email",
                "unknown variant `blok`",
            ),
            (
                r#"{"version":1,"routes":[{"name":"a","match":{}},{"name":"a","match":{}}]}"#,
                "$.routes[1].name",
                "duplicate route name",
            ),
            (
                r#"{"version":1,"routes":[{"name":"a","match":{"path_regex":"("}}]}"#,
                "$.routes[0].match.path_regex",
                "invalid regular expression",
            ),
            (
                r#"{"version":1,"detectors":{"custom":[{"id":"x","category":"y","pattern":"[a-"}]}}"#,
                "$.detectors.custom[0].pattern",
                "invalid regular expression",
            ),
            (
                r#"{"version":1,"detectors":{"custom":[{"id":"email","category":"y","pattern":"a"}]}}"#,
                "$.detectors.custom[0].id",
                "duplicate detector id",
            ),
            (
                r#"{"version":1,"detectors":{"disabled":["nope"]}}"#,
                "$.detectors.disabled[0]",
                "unknown detector",
            ),
            (
                r#"{"version":1,"routes":[{"match":{}}]}"#,
                "$.routes[0].name",
                "missing field",
            ),
            (
                r#"{"version":1,"default":{"request":{"paths":{"card":"redact"}}}}"#,
                "$.default.request.paths[\"card\"]",
                "must start with `$`",
            ),
            (
                r#"{"version":1,"default":{"request":{"strategies":{"*":"scramble"}}}}"#,
                "$.default.request.strategies.*",
                "unknown variant",
            ),
            (
                r#"{"version":1,"default":{"block_status":200}}"#,
                "$.default.block_status",
                "400-599",
            ),
            (
                r#"{"version":1,"routes":[{"name":"a","match":{"path_exact":"/a","path_prefix":"/"}}]}"#,
                "$.routes[0].match",
                "at most one",
            ),
        ];
        for (json, path, msg) in cases {
            let e = err(json);
            assert_eq!(e.path, path, "{json}: {e}");
            assert!(e.message.contains(msg), "{json}: {e}");
        }
        let e = err("{\n  \"version\": 1,\n  \"limits\": {\"max_body_bytes\": \"big\"}\n}");
        assert_eq!(e.path, "$.limits.max_body_bytes");
        assert_eq!(e.line, Some(3));
    }

    /// Host and path conditions compared without folding copies agree with
    /// folding the request and comparing (the way they were written before
    /// routing stopped allocating), with and without `ignore_case`, over
    /// mixed-case, prefix-of, longer and non-ASCII inputs.
    #[test]
    fn matching_without_copies_agrees_with_folding() {
        let rules = [
            r#"{"path_exact":"/Users"}"#,
            r#"{"path_prefix":"/Admin/"}"#,
            r#"{"path_prefix":"/api"}"#,
            r#"{"path_regex":"/Items/[0-9]+"}"#,
            r#"{"hosts":["API.example.com"]}"#,
            r#"{"hosts":["*.Internal.example"]}"#,
        ];
        let paths = [
            "/users",
            "/Users",
            "/USERS",
            "/Users/",
            "/Users/x",
            "/admin",
            "/ADMIN/x",
            "/Admin/",
            "/adminx",
            "/api",
            "/API2",
            "/apı",
            "/é/x",
            "/items/7",
            "/ITEMS/7/",
            "/",
        ];
        let hosts = [
            "api.example.com",
            "API.EXAMPLE.COM:8080",
            "api.example.com.",
            "x.internal.example",
            "X.INTERNAL.EXAMPLE",
            "internal.example",
            "xinternal.example",
            "é.internal.example",
        ];
        let reference = |m: &serde_json::Value, ic: bool, path: &str, host: &str| -> bool {
            let fold = |s: &str| if ic { s.to_ascii_lowercase() } else { s.to_string() };
            let h = host
                .rsplit_once(':')
                .filter(|(_, p)| p.bytes().all(|c| c.is_ascii_digit()))
                .map(|(h, _)| h)
                .unwrap_or(host)
                .trim_end_matches('.')
                .to_ascii_lowercase();
            if let Some(hs) = m.get("hosts").and_then(|v| v.as_array()) {
                let ok = hs
                    .iter()
                    .filter_map(|v| v.as_str())
                    .map(str::to_ascii_lowercase)
                    .any(|hh| match hh.strip_prefix("*.") {
                        Some(suf) => {
                            h.ends_with(suf) && h.len() > suf.len() && h.as_bytes()[h.len() - suf.len() - 1] == b'.'
                        }
                        None => hh == h,
                    });
                if !ok {
                    return false;
                }
            }
            // routing compares the normalised path with the normalised rule
            let path = &urlpath::normalize(path, true);
            let p = fold(path);
            if let Some(e) = m.get("path_exact").and_then(|v| v.as_str()) {
                return p == fold(&urlpath::normalize_rule(e).0);
            }
            if let Some(t) = m.get("path_prefix").and_then(|v| v.as_str()) {
                let (t, dir) = urlpath::normalize_rule(t);
                let t = fold(&t);
                return if dir {
                    p == t || p.strip_prefix(t.as_str()).is_some_and(|r| r.starts_with('/'))
                } else {
                    p.starts_with(t.as_str())
                };
            }
            if let Some(r) = m.get("path_regex").and_then(|v| v.as_str()) {
                let re = regex_automata::meta::Regex::builder()
                    .syntax(
                        regex_automata::util::syntax::Config::new()
                            .unicode(false)
                            .utf8(false)
                            .case_insensitive(ic),
                    )
                    .build(&format!("^(?:{r})$"))
                    .unwrap();
                return re.is_match(path.as_bytes()) || re.is_match(format!("{path}/").as_bytes());
            }
            true
        };
        let mut checked = 0;
        for rule in rules {
            for ic in [false, true] {
                let mut m: serde_json::Value = serde_json::from_str(rule).unwrap();
                m["ignore_case"] = serde_json::Value::Bool(ic);
                let p = ok(&format!(r#"{{"version":1,"routes":[{{"name":"r","match":{m}}}]}}"#));
                for path in paths {
                    for host in hosts {
                        let got = p.route(&req(path, "GET", host, None)).name == "r";
                        assert_eq!(got, reference(&m, ic, path, host), "{m} {path:?} {host:?}");
                        checked += got as usize;
                    }
                }
            }
        }
        assert!(checked > 50, "the table exercises matches too ({checked})");
    }

    #[test]
    fn route_matching_first_match_wins() {
        let p = ok(r#"{"version":1,"routes":[
            {"name":"by-route","match":{"route_name":"r1"}},
            {"name":"pay","match":{"path_prefix":"/payments","methods":["post"]}},
            {"name":"exact","match":{"path_exact":"/x"}},
            {"name":"re","match":{"path_regex":"/customers/[0-9]+"}},
            {"name":"host","match":{"hosts":["*.example.com"]}}
        ]}"#);
        assert_eq!(p.route(&req("/payments/1", "POST", "a", Some("r1"))).name, "by-route");
        assert_eq!(p.route(&req("/payments/1", "POST", "a", None)).name, "pay");
        assert_eq!(p.route(&req("/payments/1", "GET", "a", None)).name, "default");
        assert_eq!(p.route(&req("/x", "GET", "a", None)).name, "exact");
        assert_eq!(p.route(&req("/x/y", "GET", "a", None)).name, "default");
        assert_eq!(p.route(&req("/customers/42", "GET", "a", None)).name, "re");
        assert_eq!(p.route(&req("/customers/42/x", "GET", "a", None)).name, "default");
        assert_eq!(p.route(&req("/", "GET", "api.example.com:8080", None)).name, "host");
        assert_eq!(p.route(&req("/", "GET", "example.com", None)).name, "default");
        // spellings of one host: case, port, trailing dot, user information, white space
        for a in [
            "API.Example.COM.:8443",
            "u@api.example.com",
            "u:p@api.example.com:80",
            " api.example.com ",
            "api.example.com:",
        ] {
            assert_eq!(p.route(&req("/", "GET", a, None)).name, "host", "{a}");
        }
        assert_eq!(
            p.route(&req("/", "GET", "api.example.com@evil.test", None)).name,
            "default"
        );
        let p2 = ok(
            r#"{"version":1,"routes":[{"name":"own","match":{"peers":["spiffe://cluster.local/ns/crm/*"]}},{"name":"others","match":{"peers":["spiffe://cluster.local/ns/crm/*"],"peers_not":true}}]}"#,
        );
        let mut r = req("/", "GET", "a", None);
        r.peer = Some("spiffe://cluster.local/ns/crm/sa/web".into());
        assert_eq!(p2.route(&r).name, "own");
        r.peer = Some("spiffe://cluster.local/ns/shop/sa/web".into());
        assert_eq!(p2.route(&r).name, "others");
        r.peer = None;
        assert_eq!(p2.route(&r).name, "others");
        let (_, why) = p.explain_route(&req("/payments/1", "GET", "a", None));
        assert!(why[1].1.contains("method GET"), "{why:?}");
    }

    #[test]
    fn methods_never_fall_to_a_laxer_route() {
        let p = ok(r#"{"version":1,"routes":[
            {"name":"customers","match":{"path_regex":"/customers/[^/]+","methods":["GET"]},
             "response":{"actions":{"*":"redact"}}},
            {"name":"payments","match":{"path_exact":"/payments","methods":["POST"]},
             "request":{"actions":{"payment_card":"block","*":"log"}}},
            {"name":"get-x","match":{"path_exact":"/x","methods":["GET"]},"response":{"actions":{"*":"redact"}}},
            {"name":"post-x","match":{"path_exact":"/x","methods":["POST"]},"request":{"actions":{"*":"block"}}}
        ]}"#);
        let pick = |path: &str, method: &str, overrides: &[&str]| {
            let mut r = req(path, method, "a", None);
            r.method_overrides = overrides.iter().map(|s| s.to_string()).collect();
            let res = p.resolve(&r);
            if res.ambiguous {
                format!("ambiguous {}", res.ambiguity)
            } else {
                res.route.name.clone()
            }
        };
        // the listed method, in any case
        assert_eq!(pick("/payments", "POST", &[]), "payments");
        assert_eq!(pick("/payments", "post", &[]), "payments");
        // a method no rule at the path lists gets the stricter rule, not the default
        for m in ["PUT", "PATCH", "DELETE", "GET", "OPTIONS", "FOO"] {
            assert_eq!(pick("/payments", m, &[]), "payments", "{m}");
            assert_eq!(pick("/customers/1", m, &[]), "customers", "{m}");
        }
        // an override cannot step around the rule either way
        assert_eq!(pick("/payments", "POST", &["PUT"]), "payments");
        assert_eq!(pick("/customers/1", "POST", &["GET"]), "customers");
        assert_eq!(pick("/customers/1", "POST", &["PUT", "PATCH", "DELETE"]), "customers");
        // per-method rules on one path: the listed method picks its rule ...
        assert_eq!(pick("/x", "GET", &[]), "get-x");
        assert_eq!(pick("/x", "POST", &[]), "post-x");
        // ... and a request that could mean both, or neither, is refused: neither rule covers the other
        assert_eq!(pick("/x", "POST", &["GET"]), "ambiguous method");
        assert_eq!(pick("/x", "PUT", &[]), "ambiguous method");
        // elsewhere nothing changes
        assert_eq!(pick("/other", "PUT", &["DELETE"]), "default");
        let strict = ok(r#"{"version":1,"routes":[
            {"name":"a","match":{"path_prefix":"/a","methods":["POST"]},"request":{"actions":{"*":"log"}}},
            {"name":"all","match":{"path_prefix":"/"},"request":{"actions":{"*":"redact"}}}
        ]}"#);
        // the route the method lands on is stricter than the one it skipped: it stays
        assert_eq!(strict.route(&req("/a", "PUT", "h", None)).name, "all");
        assert_eq!(strict.route(&req("/a", "POST", "h", None)).name, "a");
    }

    #[test]
    fn an_extension_reaches_the_route_of_its_stem() {
        let p = ok(r#"{"version":1,"routes":[
            {"name":"charge","match":{"path_exact":"/charge","methods":["POST"]},"request":{"actions":{"*":"block"}},
             "response":{"actions":{"*":"redact"}}},
            {"name":"openapi","match":{"path_exact":"/openapi.json"},"response":{"actions":{"*":"allow"}}},
            {"name":"profile","match":{"path_regex":"/profile/[0-9]+"},"request":{"actions":{"*":"redact"}},
             "response":{"actions":{"*":"redact"}}},
            {"name":"report","match":{"path_exact":"/report"},"response":{"actions":{"*":"redact"}}},
            {"name":"report-x","match":{"path_exact":"/report.csv"},"request":{"actions":{"*":"block"}}}
        ],"default":{"request":{"actions":{"*":"redact"}},"response":{"actions":{"*":"redact"}}}}"#);
        let pick = |path: &str| {
            let res = p.resolve(&req(path, "POST", "a", None));
            if res.ambiguous {
                format!("ambiguous {}", res.ambiguity)
            } else {
                res.route.name.clone()
            }
        };
        for path in [
            "/charge.json",
            "/Charge.XML",
            "/charge.json.xml",
            "/charge.json;v=1",
            "/charge%2ejson",
            "/charge.json/",
        ] {
            assert_eq!(pick(path), "charge", "{path}");
        }
        assert_eq!(pick("/profile/12.json"), "profile");
        // a rule written with its extension keeps it: the default is no candidate of the stem
        assert_eq!(pick("/openapi.json"), "openapi");
        // two rules neither of which covers the other (nor does the default, stricter on
        // responses, cover the rule of /charge)
        assert_eq!(pick("/report.csv"), "ambiguous path");
        let lax_default = ok(r#"{"version":1,"routes":[
            {"name":"charge","match":{"path_exact":"/charge"},"request":{"actions":{"*":"block"}}}
        ],"default":{"response":{"actions":{"*":"redact"}}}}"#);
        let res = lax_default.resolve(&req("/charge.json", "POST", "a", None));
        assert!(res.ambiguous && res.ambiguity == "path");
        // a dot file is no extension; nothing else changes
        assert_eq!(pick("/.charge"), "default");
        assert_eq!(pick("/charges.json"), "default");
        assert_eq!(pick("/static/app.min.js"), "default");
    }

    #[test]
    fn any_method_takes_the_strictest_route_the_path_reaches() {
        let p = ok(r#"{"version":1,"routes":[
            {"name":"get","match":{"path_exact":"/r","methods":["GET"]},"request":{"actions":{"*":"redact"}}},
            {"name":"post","match":{"path_exact":"/r","methods":["POST"]},"request":{"actions":{"*":"log"}}},
            {"name":"put","match":{"path_exact":"/r","methods":["PUT","PATCH","DELETE"]},"request":{"actions":{"*":"log"}}},
            {"name":"open","match":{"path_prefix":"/"},"request":{"actions":{"*":"log"}}},
            {"name":"never","match":{"path_exact":"/r","methods":["HEAD"]},"request":{"actions":{"*":"block"}}}
        ]}"#);
        let pick = |path: &str, overrides: &[&str]| {
            let mut r = req(path, "POST", "a", None);
            r.method_overrides = overrides.iter().map(|s| s.to_string()).collect();
            let res = p.resolve(&r);
            if res.ambiguous {
                format!("ambiguous {}", res.ambiguity)
            } else {
                res.route.name.clone()
            }
        };
        assert_eq!(pick("/r", &[]), "post");
        // PUT, PATCH and DELETE alone miss the GET rule; a body's `_method` may say GET
        assert_eq!(pick("/r", &["PUT", "PATCH", "DELETE"]), "post");
        assert_eq!(pick("/r", &[crate::http::ANY_METHOD]), "get");
        // routes after the first one without methods are never reached
        assert_eq!(pick("/r", &["PUT", crate::http::ANY_METHOD]), "get");
        // the default counts when no route without methods matches
        let q = ok(r#"{"version":1,"routes":[
            {"name":"post","match":{"path_exact":"/r","methods":["POST"]},"request":{"actions":{"*":"log"}}}
        ]}"#);
        let mut r = req("/r", "POST", "a", None);
        r.method_overrides = vec![crate::http::ANY_METHOD.to_string()];
        assert_eq!(q.resolve(&r).route.name, "post");
    }

    #[test]
    fn action_resolution_order() {
        let p = ok(
            r#"{"version":1,"default":{"request":{"actions":{"payment_card":"block","national_id":"redact","*":"allow"},"strategies":{"national_id":"mask"}}}}"#,
        );
        let d = &p.default.request;
        let idx = |id: &str| p.detectors.info.iter().position(|i| i.id == id).unwrap_or(usize::MAX);
        assert_eq!(d.resolved[idx("payment_card")].action, Action::Block);
        assert_eq!(d.resolved[idx("us_ssn")].action, Action::Redact);
        assert_eq!(d.resolved[idx("us_ssn")].strategy, Strategy::Mask);
        assert_eq!(d.resolved[idx("email")].action, Action::Allow);
        assert_eq!(p.default.response.resolved[idx("email")].action, Action::Log);
        assert!(p.default.request.blocks);
    }

    #[test]
    fn json_paths() {
        assert_eq!(
            parse_json_path("$.items[*].name"),
            Ok(vec![
                PathSeg::Key("items".into()),
                PathSeg::AnyIndex,
                PathSeg::Key("name".into())
            ])
        );
        assert_eq!(
            parse_json_path("$['a b'][2].*"),
            Ok(vec![PathSeg::Key("a b".into()), PathSeg::Index(2), PathSeg::AnyKey])
        );
        assert!(parse_json_path("$.a[").is_err());
        assert!(parse_json_path("a.b").is_err());
    }
}
