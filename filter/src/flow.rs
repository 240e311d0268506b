//! The per-request state machine, written against a small [`Host`] trait so
//! that it runs natively against a fake host in tests and inside Envoy
//! through `glue` (the only module that talks to proxy-wasm).
//!
//! Buffering rules: when a direction has a body and the route inspects it,
//! the headers are held (not forwarded) until the whole body is decided, so
//! a block can always be a clean local reply and redacted bytes are the only
//! bytes that leave. `content-length` is removed up front whenever the body
//! may change. Streams that end with trailers are decided in the trailers
//! callback.

use crate::audit::{self, AuditRecord, DirectionRecord};
use crate::config::{Action, OnOversize};
use crate::detect::Scratch;
use crate::encoding::{self, Coding, DecodeError};
use crate::engine::{BodyResult, ConsentState, Decision, Direction, Engine, Finding, Inspection, Uninspected};
use crate::model::FindingKind;
use crate::policy::{NotInspected, RequestInfo, Route, WithoutConsent};
use crate::transport;
use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

/// What the flow asks the host to do with the current callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Continue,
    Pause,
}

/// A host call that failed. The flow never proceeds on a failed call as if
/// it had succeeded: it fails closed (see [`Flow`]'s host-error handling).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostError {
    /// The data is not available (e.g. a body buffer the host cannot give).
    Unavailable,
    /// The host refused the call in this state (e.g. a local reply after the
    /// response headers left).
    Refused,
    /// Any other failure status.
    Failed,
}

impl HostError {
    pub fn as_str(self) -> &'static str {
        match self {
            HostError::Unavailable => "unavailable",
            HostError::Refused => "refused",
            HostError::Failed => "failed",
        }
    }
}

/// The host operations the flow needs. Every call that reads or changes
/// the exchange can fail; the flow then fails closed.
pub trait Host {
    fn headers(&self, d: Direction) -> Result<Vec<(String, String)>, HostError>;
    /// The same header map in the ABI's encoding ([`crate::hostabi::encode_pairs`]),
    /// as the host hands it over: the flow reads it without a copy per name
    /// and value ([`crate::hostabi::decode_pairs_borrowed`]) and copies it
    /// only where a step needs its own.
    fn header_bytes(&self, d: Direction) -> Result<Vec<u8>, HostError> {
        Ok(crate::hostabi::encode_pairs(&self.headers(d)?))
    }
    fn set_headers(&mut self, d: Direction, headers: &[(String, String)]) -> Result<(), HostError>;
    fn remove_header(&mut self, d: Direction, name: &str) -> Result<(), HostError>;
    fn set_header(&mut self, d: Direction, name: &str, value: &str) -> Result<(), HostError>;
    /// The trailers that ended this direction's body (read in the trailers callback).
    fn trailers(&self, d: Direction) -> Result<Vec<(String, String)>, HostError>;
    fn set_trailers(&mut self, d: Direction, trailers: &[(String, String)]) -> Result<(), HostError>;
    /// The first `size` bytes of the buffered body (all of them, or an error).
    fn body(&self, d: Direction, size: usize) -> Result<Vec<u8>, HostError>;
    fn set_body(&mut self, d: Direction, size: usize, body: &[u8]) -> Result<(), HostError>;
    fn send_reply(&mut self, status: u32, headers: &[(&str, &str)], body: &[u8]) -> Result<(), HostError>;
    /// Resets the stream (when a local reply is refused).
    fn reset(&mut self) -> Result<(), HostError>;
    /// A property (`["xds", "route_name"]`, `["request", "id"]`, ...); `Ok(None)` when absent.
    fn property(&self, path: &[&str]) -> Result<Option<Vec<u8>>, HostError>;
    /// Stores the audit record where the access log can read it.
    fn set_audit(&mut self, record: &[u8]) -> Result<(), HostError>;
    /// Stores one flattened field of the audit record (`audit.attributes`):
    /// `key` is `piiguard_a_<field>` (see `audit_fields`).
    fn set_audit_field(&mut self, key: &str, value: &str) -> Result<(), HostError>;
    fn log_audit(&mut self, record: &[u8]) -> Result<(), HostError>;
    fn now_ms(&self) -> Option<u64>;
    /// Adds `delta` to a counter (names carry their labels, see `metric_name`).
    fn count(&mut self, name: &str, delta: u64);
}

/// A counter name with its labels as `label=.=value;.;label=.=value;.;name`:
/// Envoy's tag extraction (`stats_tags` in envoy-config/envoy.yaml, or
/// Istio's `extraStatTags`, which use the regex `(label=\.=(.*?);\.;)`)
/// turns them into Prometheus labels and leaves `name`. Label values come
/// only from fixed lists and from names in the configuration.
pub fn metric_name(name: &str, labels: &[(&str, &str)]) -> String {
    let mut s = String::new();
    metric_name_into(&mut s, name, labels);
    s
}

/// [`metric_name`] written into `out` (cleared first): one buffer for every
/// counter of a request, no formatting machinery.
pub fn metric_name_into(out: &mut String, name: &str, labels: &[(&str, &str)]) {
    out.clear();
    out.reserve(name.len() + labels.iter().map(|(k, v)| k.len() + v.len() + 6).sum::<usize>());
    for (k, v) in labels {
        out.push_str(k);
        out.push_str("=.=");
        out.push_str(v);
        out.push_str(";.;");
    }
    out.push_str(name);
}

#[derive(Default)]
struct Side {
    inspection: Inspection,
    content_type: Option<String>,
    /// Every `Content-Encoding` layer, in the order applied.
    coding: Option<Result<Vec<Coding>, DecodeError>>,
    /// `grpc-encoding` of compressed gRPC messages.
    grpc_encoding: Option<String>,
    /// Body decided (or not inspected): later callbacks just continue.
    done: bool,
    last_size: usize,
    may_change: bool,
    /// The headers of this direction went through the filter.
    seen: bool,
    /// Not inspected at all, and why.
    not_inspected: Option<NotInspected>,
}

pub struct Flow {
    engine: Rc<Engine>,
    route: Option<usize>,
    /// What the request headers say (routing, block replies, the audit
    /// record); see `deferred`.
    facts: Facts,
    /// The request headers as the host gave them, kept instead of `facts`
    /// when routing reads nothing of the request (a policy without routes)
    /// and the request passes untouched (no forged subject header among
    /// them): `facts` are read from them only if a block reply or an audit
    /// record needs them ([`Flow::facts`]), so such a request copies
    /// nothing out of its headers.
    deferred: Option<Vec<u8>>,
    req: Side,
    resp: Side,
    blocked: bool,
    /// The checked request id, computed when first needed (a block reply
    /// or the audit record), then the same everywhere.
    request_id: OnceCell<Option<String>>,
    /// Route name, peer and cluster were read before routing (`info`);
    /// else they are read when the audit record is written.
    props_read: [bool; 3],
    /// Shared by the flows of one VM: the automaton caches stay warm.
    scratch: Rc<RefCell<Scratch>>,
    finished: bool,
    subject: Option<String>,
    /// The request opened a stream (upgrade, CONNECT, gRPC): so is the response.
    stream: Option<&'static str>,
    /// The route's policy without consent applies.
    consent_alt: bool,
    /// Consent to the route's purpose, when it has one.
    consent: Option<ConsentState>,
    plaintext: bool,
    /// A POST whose body may still name its method (`_method`) on a path
    /// whose per-method rules differ: its route is final once the body is
    /// read ([`Flow::settle_method`]).
    method_pending: Option<Box<MethodPending>>,
    /// The request body as read for its `_method` (size, bytes): the body
    /// is not copied out of the host twice.
    prefetched: Option<(usize, Vec<u8>)>,
}

/// What a request whose route waits for its body's `_method` keeps.
struct MethodPending {
    /// The request headers (any forged subject header removed).
    headers: Vec<(String, String)>,
    /// The headers are held (`hold_headers`): the route-dependent part of
    /// the headers phase waits for the body. Otherwise it ran under the
    /// route of the methods the headers name, and the body may only
    /// confirm that route.
    held: bool,
}

/// What the request headers say that routing, block replies and the audit
/// record use (read before any header is removed).
#[derive(Clone, Default)]
struct Facts {
    info: RequestInfo,
    /// `:path` as the client sent it (with the query).
    raw_path: String,
    /// The client's `x-request-id`, for when the host has no `request.id`.
    request_id_header: Option<String>,
}

impl Facts {
    /// The facts of `headers`, with the properties routing read (`info`'s
    /// route name, peer and cluster).
    fn read<K: AsRef<str>, V: AsRef<str>>(headers: &[(K, V)], props: &RequestInfo) -> Facts {
        let path = header(headers, ":path").unwrap_or("/");
        Facts {
            info: RequestInfo {
                route_name: props.route_name.clone(),
                authority: header(headers, ":authority")
                    .or_else(|| header(headers, "host"))
                    .unwrap_or("")
                    .to_string(),
                path: crate::urlpath::path_part(path).to_string(),
                method: header(headers, ":method").unwrap_or("GET").to_string(),
                method_overrides: crate::http::method_overrides(headers, path),
                peer: props.peer.clone(),
                cluster: props.cluster.clone(),
            },
            raw_path: path.to_string(),
            request_id_header: header(headers, "x-request-id").map(str::to_string),
        }
    }
}

/// The header that carries the subject pseudonym unless configured otherwise.
pub const DEFAULT_SUBJECT_HEADER: &str = "x-piiguard-subject";

/// A request id fit to be copied into a reply or the audit record: an RFC
/// 4122 UUID, or a token of letters, digits, `-`, `_`, `.` (8 to 64
/// characters) without a long run of digits and with nothing the detectors
/// find.
fn well_formed_request_id(engine: &Engine, id: &str) -> bool {
    let clean = || {
        let mut m = Vec::new();
        let mut scratch = Scratch::default();
        engine.policy.detectors.scan(id.as_bytes(), &mut scratch, &mut m);
        // an id that could not be searched is not copied
        m.is_empty() && !scratch.take_failed()
    };
    // An RFC 4122 UUID (version 1-8, variant 10xx) is what Envoy and most
    // tracers generate: fixed hex, no text; kept as it is (the same rule as
    // the `x-request-id` header). Scanning it would replace ~1 in 1,400
    // random ids (digit runs read as cards).
    if crate::engine::is_uuid(id) {
        let b = id.as_bytes();
        let version = b.get(14).copied().unwrap_or(b'0');
        let variant = b.get(19).copied().unwrap_or(b'0').to_ascii_lowercase();
        return (b'1'..=b'8').contains(&version) && matches!(variant, b'8' | b'9' | b'a' | b'b') || clean();
    }
    let mut run = 0;
    let mut longest = 0;
    for c in id.bytes() {
        if c.is_ascii_digit() {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    (8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && longest < 9
        && clean()
}

static GENERATED_IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The request id piiguard writes: the proxy's id when well formed, else a
/// keyed digest of it (the same id always maps to the same digest), else
/// (no key) a locally generated one. Never the client's bytes unchecked.
fn checked_request_id(engine: &Engine, raw: Option<String>, now_ms: &dyn Fn() -> Option<u64>) -> Option<String> {
    let raw = raw.filter(|r| !r.is_empty())?;
    if well_formed_request_id(engine, &raw) {
        return Some(raw);
    }
    Some(match engine.hasher() {
        Some(h) => format!("h-{}", h.token("request_id", raw.as_bytes(), 22)),
        None => {
            let n = GENERATED_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            format!("piiguard-{:x}-{n:x}", now_ms().unwrap_or(0))
        }
    })
}

/// Host names are not personal data, but the header is client-controlled:
/// keep it only when it looks like a host and no detector finds anything in
/// it but an IP address (the server's).
fn safe_authority(engine: &Engine, a: &str) -> String {
    let looks_like_host = !a.is_empty()
        && a.len() <= 255
        && a.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b':' | b'[' | b']' | b'_'));
    if !looks_like_host {
        return "*".into();
    }
    let mut m = Vec::new();
    let mut scratch = Scratch::default();
    engine.policy.detectors.scan(a.as_bytes(), &mut scratch, &mut m);
    // an authority that could not be searched is not copied
    if scratch.take_failed() || m.iter().any(|x| engine.policy.category(x.detector) != "ip_address") {
        return "*".into();
    }
    a.to_ascii_lowercase()
}

/// Streams piiguard does not buffer: WebSocket and other upgrades, CONNECT,
/// server-sent events, gRPC.
fn stream_kind<K: AsRef<str>, V: AsRef<str>>(d: Direction, h: &[(K, V)]) -> Option<&'static str> {
    // any copy of a repeated content-type (an upstream may take any)
    let starts = |p: &str| {
        h.iter()
            .filter(|(k, _)| k.as_ref().eq_ignore_ascii_case("content-type"))
            .flat_map(|(_, v)| v.as_ref().split(','))
            .any(|ct| {
                let ct = ct.trim_start().as_bytes();
                ct.len() >= p.len() && ct[..p.len()].eq_ignore_ascii_case(p.as_bytes())
            })
    };
    if d == Direction::Request {
        if header(h, ":method").is_some_and(|m| m.eq_ignore_ascii_case("CONNECT")) {
            return Some("connect");
        }
        if let Some(u) = header(h, "upgrade") {
            let websocket = u.as_bytes().windows(9).any(|w| w.eq_ignore_ascii_case(b"websocket"));
            return Some(if websocket { "websocket" } else { "upgrade" });
        }
    }
    if starts("application/grpc") {
        return Some("grpc");
    }
    if starts("text/event-stream") {
        return Some("sse");
    }
    None
}

/// A property as text (`Ok(None)`: absent).
fn text_property(host: &dyn Host, path: &[&str]) -> Result<Option<String>, HostError> {
    Ok(host.property(path)?.map(|b| match String::from_utf8(b) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }))
}

const ROUTE_NAME: [&str; 2] = ["xds", "route_name"];
/// The request headers that ask for part of a response (removed where the
/// response is read and may be redacted or blocked).
const RANGE_HEADERS: [&str; 3] = ["range", "request-range", "if-range"];
const PEER: [&str; 2] = ["connection", "uri_san_peer_certificate"];
const CLUSTER: [&str; 2] = ["xds", "cluster_name"];

/// Every value of a header, any case of its name.
fn header_values<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

/// Replaces every copy of a request header (any case) by one value, or
/// removes them: at the host and in the flow's copy.
fn set_request_header(
    host: &mut dyn Host,
    headers: &mut Vec<(String, String)>,
    name: &str,
    value: Option<String>,
) -> Result<(), HostError> {
    host.remove_header(Direction::Request, name)?;
    headers.retain(|(k, _)| !crate::encoding::same_name(k, name));
    if let Some(v) = value {
        host.set_header(Direction::Request, name, &v)?;
        headers.push((name.to_string(), v));
    }
    Ok(())
}

fn route_at(engine: &Engine, idx: Option<usize>, alt: bool) -> &Route {
    let r = match idx {
        Some(i) => engine.policy.routes.get(i).unwrap_or(&engine.policy.default),
        None => &engine.policy.default,
    };
    match (&r.without_consent, alt) {
        (Some(WithoutConsent::Redact(a)), true) => a,
        _ => r,
    }
}

fn header<'a, K: AsRef<str>, V: AsRef<str>>(h: &'a [(K, V)], name: &str) -> Option<&'a str> {
    h.iter()
        .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
}

/// Every value of a repeated header joined with `,`, as Envoy joins a
/// repeated `content-type` before any filter sees it: which copy an
/// upstream takes differs (the first, the last, the join), so a body is
/// never read under one copy alone (two charsets are then a conflict).
fn joined_header(h: &[(String, String)], name: &str) -> Option<String> {
    let mut values = h
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str());
    let first = values.next()?;
    let mut out = first.to_string();
    for v in values {
        out.push(',');
        out.push_str(v);
    }
    Some(out)
}

/// Headers read in place ([`crate::hostabi::decode_pairs_borrowed`]) as
/// the flow's own copy.
fn owned_pairs(h: Vec<(Cow<'_, str>, Cow<'_, str>)>) -> Vec<(String, String)> {
    h.into_iter().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

impl Flow {
    pub fn new(engine: Rc<Engine>, scratch: Rc<RefCell<Scratch>>) -> Flow {
        Flow {
            engine,
            route: None,
            facts: Facts::default(),
            deferred: None,
            req: Side::default(),
            resp: Side::default(),
            blocked: false,
            request_id: OnceCell::new(),
            props_read: [false; 3],
            scratch,
            finished: false,
            subject: None,
            stream: None,
            consent_alt: false,
            consent: None,
            plaintext: false,
            method_pending: None,
            prefetched: None,
        }
    }

    fn route(&self) -> &Route {
        route_at(&self.engine, self.route, self.consent_alt)
    }

    /// What one direction's inspection found so far, with the rule that
    /// decided each finding (the CLI's `explain`).
    pub fn inspection(&self, d: Direction) -> &Inspection {
        match d {
            Direction::Request => &self.req.inspection,
            Direction::Response => &self.resp.inspection,
        }
    }

    fn side(&mut self, d: Direction) -> &mut Side {
        match d {
            Direction::Request => &mut self.req,
            Direction::Response => &mut self.resp,
        }
    }

    /// The checked request id (see [`checked_request_id`]), read from the
    /// host the first time it is needed.
    fn request_id(&self, host: &dyn Host) -> Option<&str> {
        self.request_id
            .get_or_init(|| {
                let raw = text_property(host, &["request", "id"])
                    .ok()
                    .flatten()
                    .or_else(|| self.facts().request_id_header.clone());
                checked_request_id(&self.engine, raw, &|| host.now_ms())
            })
            .as_deref()
    }

    /// The request's [`Facts`]: as read at the headers, or read now from
    /// the headers kept for them (`deferred`).
    fn facts(&self) -> Cow<'_, Facts> {
        match &self.deferred {
            None => Cow::Borrowed(&self.facts),
            Some(raw) => Cow::Owned(Self::kept_facts(raw, &self.facts.info)),
        }
    }

    /// The facts of the kept request headers (they decoded when kept, and
    /// no forged subject header was among them).
    fn kept_facts(raw: &[u8], props: &RequestInfo) -> Facts {
        Facts::read(&crate::hostabi::decode_pairs_borrowed(raw).unwrap_or_default(), props)
    }

    /// Reads the kept request headers' facts into the flow, once: before a
    /// reply or a record that uses them more than once.
    fn settle_facts(&mut self) {
        if let Some(raw) = self.deferred.take() {
            self.facts = Self::kept_facts(&raw, &self.facts.info);
        }
    }

    pub fn on_request_headers(&mut self, host: &mut dyn Host, end_of_stream: bool) -> Step {
        let d = Direction::Request;
        // Read in place: names and values borrow the host's bytes until a
        // step needs a copy of its own (`owned_pairs`).
        let raw = match host.header_bytes(d) {
            Ok(b) => b,
            Err(e) => return self.host_error(host, d, "headers", e),
        };
        if let Some(step) = self.request_untouched_in_place(&raw, end_of_stream) {
            self.deferred = Some(raw);
            return step;
        }
        let mut deferred = false;
        let step = self.request_headers(host, &raw, end_of_stream, &mut deferred);
        if deferred {
            self.deferred = Some(raw);
        }
        step
    }

    /// [`Flow::request_headers`] for the commonest request of a route that
    /// reads nothing (inspection off, or every action `allow`): under a
    /// policy without routes (routing reads nothing of the request), with no
    /// forged subject header among its names, passing untouched
    /// ([`Flow::request_untouched`]) and opening no stream that could matter.
    /// Its names are read where the host wrote them ([`hostabi::pairs_in_place`]):
    /// no list of the headers is built, and its facts stay in the host's
    /// bytes (kept by the caller) until a reply or a record needs them.
    /// `None` at any doubt (a forged name, a map that is malformed or not
    /// UTF-8, a stream): [`Flow::request_headers`] decides, as it always did.
    ///
    /// [`hostabi::pairs_in_place`]: crate::hostabi::pairs_in_place
    fn request_untouched_in_place(&mut self, raw: &[u8], end_of_stream: bool) -> Option<Step> {
        let policy = &self.engine.policy;
        if !policy.routes.is_empty()
            || policy.lists_methods
            || policy.matches_route_name
            || policy.matches_peer
            || policy.matches_cluster
        {
            return None;
        }
        let pairs = crate::hostabi::pairs_in_place(raw)?;
        if policy.subject_spellings.any_spelled(pairs.pairs().map(|(k, _)| k)) {
            return None;
        }
        let resolution = policy.resolve(&self.facts.info);
        if resolution.ambiguous {
            return None;
        }
        let index = resolution.index;
        let saved = std::mem::replace(&mut self.route, index);
        match self.request_untouched(end_of_stream) {
            Some((why, false)) => {
                self.skip(Direction::Request, why);
                Some(Step::Continue)
            }
            _ => {
                self.route = saved;
                None
            }
        }
    }

    /// [`Flow::on_request_headers`] on the host's bytes `raw`; `deferred`
    /// set when the request's facts are left to be read from them.
    fn request_headers(&mut self, host: &mut dyn Host, raw: &[u8], end_of_stream: bool, deferred: &mut bool) -> Step {
        let d = Direction::Request;
        let Some(mut headers) = crate::hostabi::decode_pairs_borrowed(raw) else {
            return self.host_error(host, d, "headers", HostError::Failed);
        };
        let engine = Rc::clone(&self.engine);
        let policy = &engine.policy;
        // Route identity and recipient decide the policy when a route
        // matches on them: then they are read now, and unreadable, nothing
        // is decided. Otherwise they are read for the audit record only.
        let want = [policy.matches_route_name, policy.matches_peer, policy.matches_cluster];
        let read = |host: &dyn Host, i: usize, path: &[&str]| {
            if want[i] {
                text_property(host, path)
            } else {
                Ok(None)
            }
        };
        let (route_name, peer, cluster) = match (
            read(host, 0, &ROUTE_NAME),
            read(host, 1, &PEER),
            read(host, 2, &CLUSTER),
        ) {
            (Ok(r), Ok(p), Ok(c)) => (r, p, c),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return self.host_error(host, d, "property", e),
        };
        self.props_read = want;
        let props = RequestInfo {
            route_name,
            peer: peer.filter(|s| !s.is_empty()),
            cluster,
            ..RequestInfo::default()
        };
        // Without routes, resolving reads nothing of the request (nor can a
        // body's `_method` change the route): a request that passes
        // untouched leaves its facts in the host's bytes until a reply or a
        // record needs them. Any other is read as the headers arrived.
        let mut read_now = !policy.routes.is_empty() || policy.lists_methods;
        if read_now {
            self.facts = Facts::read(&headers, &props);
        } else {
            self.facts.info = props;
        }
        let resolution = policy.resolve(&self.facts.info);
        self.route = resolution.index;
        // Data subject: a client can never claim one, so any incoming copy
        // goes, in every spelling a backend could fold to the subject header
        // (configured or default, with or without a `subject` section).
        let forged: Vec<String> = policy
            .subject_spellings
            .forged(&headers, policy.config.subject.as_ref())
            .into_iter()
            .map(str::to_string)
            .collect();
        if !forged.is_empty() {
            if !read_now {
                self.facts = Facts::read(&headers, &self.facts.info);
                read_now = true;
            }
            for k in &forged {
                if let Err(e) = host.remove_header(Direction::Request, k) {
                    return self.host_error(host, Direction::Request, "remove_header", e);
                }
            }
            headers.retain(|(k, _)| !forged.iter().any(|f| f == k));
        }
        if !read_now && resolution.ambiguous {
            self.facts = Facts::read(&headers, &self.facts.info);
            read_now = true;
        }
        if resolution.ambiguous {
            // `%2F` read as a separator and as data, or the methods the
            // request could mean, lead to routes that cannot be reconciled.
            let (finding, reason) = match resolution.ambiguity {
                "method" => (Finding::ambiguous_method(), "ambiguous_method"),
                _ => (Finding::ambiguous_path(), "ambiguous_path"),
            };
            self.req.inspection.findings.push(finding);
            self.block(host, Direction::Request, 400, reason);
            return Step::Pause;
        }
        // A POST whose body may name another method (`_method`: Laravel,
        // Rack, Symfony) on a path whose rules differ by method: the route
        // is final once the body is read. Other requests (every one where no
        // route lists methods, or the path's rules agree) cost nothing more.
        if !end_of_stream
            && policy.lists_methods
            && crate::http::body_may_name_method(&headers)
            && policy.body_method_matters(&self.facts.info, &resolution)
        {
            let headers = owned_pairs(headers);
            self.req.seen = true;
            if policy.hold_headers {
                self.method_pending = Some(Box::new(MethodPending { headers, held: true }));
                return Step::Pause;
            }
            self.method_pending = Some(Box::new(MethodPending {
                headers: headers.clone(),
                held: false,
            }));
            return self.request_phase(host, headers, end_of_stream);
        }
        if let Some((why, stream_matters)) = self.request_untouched(end_of_stream) {
            let on_stream = self.route().on_stream;
            let stream = if stream_matters {
                stream_kind(d, &headers).filter(|k| *k != "grpc" || on_stream == crate::config::OnStream::Allow)
            } else {
                None
            };
            if stream.is_none() || on_stream == crate::config::OnStream::Allow {
                self.stream = stream;
                self.skip(d, why);
                *deferred = !read_now;
                return Step::Continue;
            }
        }
        if !read_now {
            self.facts = Facts::read(&headers, &self.facts.info);
        }
        self.request_phase(host, owned_pairs(headers), end_of_stream)
    }

    /// Whether [`Flow::request_phase`] would only note the request as not
    /// inspected (inspection off, or every action `allow`): no transport
    /// rule to judge, no subject to tag, no consent to read, no range or
    /// coding to strip from the request, and the request is not read. Then
    /// its headers need no copy of their own: why it is not inspected, as
    /// [`Flow::headers_phase`] decides it, and whether a stream the request
    /// opens (upgrade, CONNECT, SSE, gRPC: [`stream_kind`]) could change
    /// that. A stream matters only to a request that allows all and goes on
    /// (its body is to come), and only where the route stops streams (the
    /// full phase then stops it) or reads the response (which is then a
    /// stream too); elsewhere it is not looked for: a route that reads
    /// neither direction and lets streams pass costs no pass over the
    /// headers. Each condition mirrors a step of `request_phase`; any doubt
    /// takes the full phase.
    fn request_untouched(&self, eos: bool) -> Option<(NotInspected, bool)> {
        let policy = &self.engine.policy;
        // `consent_alt` is only ever set by request_phase
        let route = route_at(&self.engine, self.route, false);
        let r = &route.response;
        if route.require_tls.is_some()
            || policy.subject_header.is_some()
            || (route.purpose.is_some() && route.without_consent.is_some())
            || (r.body && (r.redacts || r.blocks) && !route.shadow)
        {
            return None;
        }
        let why = policy.not_inspected(route, Direction::Request)?;
        let stream_matters = why == NotInspected::PolicyAllowsAll
            && !eos
            && (route.on_stream != crate::config::OnStream::Allow
                || policy.not_inspected(route, Direction::Response).is_none());
        Some((why, stream_matters))
    }

    /// The part of the request headers phase that depends on the route:
    /// transport, subject, consent, ranges, then the headers themselves.
    fn request_phase(&mut self, host: &mut dyn Host, mut headers: Vec<(String, String)>, end_of_stream: bool) -> Step {
        let engine = Rc::clone(&self.engine);
        // require_tls: judged on the hop the route names, from the connection
        self.plaintext = route_at(&engine, self.route, false)
            .require_tls
            .as_ref()
            .is_some_and(|req| !transport::encrypted(req, &|p| host.property(p).ok().flatten()));
        if let Some(name) = &engine.policy.subject_header {
            let verified = |claim: &str| -> Option<String> {
                let key = engine.policy.verified_payload_key.as_deref()?;
                // Unreadable, the claim is absent: no subject, no consent.
                let v = host
                    .property(&[
                        "metadata",
                        "filter_metadata",
                        "envoy.filters.http.jwt_authn",
                        key,
                        claim,
                    ])
                    .ok()
                    .flatten()?;
                Some(String::from_utf8_lossy(&v).into_owned()).filter(|s| !s.is_empty())
            };
            if let Some(raw) = engine.subject_from_headers(&headers, &verified) {
                self.subject = engine.pseudonym(&raw);
            }
            if let Some(p) = &self.subject {
                if let Err(e) = host.set_header(Direction::Request, name, p) {
                    return self.host_error(host, Direction::Request, "set_header", e);
                }
            }
        }
        // Purpose and consent (GDPR arts. 6, 7, 18, 21)
        let route = route_at(&engine, self.route, false);
        if let (Some(purpose), Some(w)) = (&route.purpose, &route.without_consent) {
            let state = engine.consent_state(route, purpose, &headers, self.subject.as_deref());
            self.consent = Some(state);
            if !state.permits() {
                match w {
                    WithoutConsent::Block => {
                        self.block(host, Direction::Request, route.block_status, "consent_required");
                        return Step::Pause;
                    }
                    WithoutConsent::Redact(_) => self.consent_alt = true,
                }
            }
        }
        // Ranges: a client could fetch a response in pieces (`range:
        // bytes=0-20`, then `21-40`) that each hold only a fragment of a
        // value, none of which a detector can recognise, and join them.
        // Where the response is read and may be redacted or blocked, the
        // upstream gets no range: it answers whole, and whole is inspected.
        // `Request-Range` too: Apache httpd's byterange filter serves it
        // when there is no `Range` (Netscape's draft spelling).
        let route = route_at(&engine, self.route, self.consent_alt);
        let r = &route.response;
        if r.body && (r.redacts || r.blocks) && !route.shadow {
            let ae = crate::encoding::readable_accept_encoding(&header_values(&headers, "accept-encoding"));
            // Nor a coding it could not read (br, zstd, `*`): such an
            // answer would have to fail closed.
            // (one pass over the headers: which of them are there)
            let mut ranged = [false; RANGE_HEADERS.len()];
            for (k, _) in &headers {
                if let Some(i) = RANGE_HEADERS.iter().position(|r| k.eq_ignore_ascii_case(r)) {
                    ranged[i] = true;
                }
            }
            let changes = [
                (RANGE_HEADERS[0], None, ranged[0]),
                (RANGE_HEADERS[1], None, ranged[1]),
                (RANGE_HEADERS[2], None, ranged[2]),
                ("accept-encoding", ae.clone(), ae.is_some()),
            ];
            for (name, value, _) in changes.into_iter().filter(|c| c.2) {
                if let Err(e) = set_request_header(host, &mut headers, name, value) {
                    return self.host_error(host, Direction::Request, "set_header", e);
                }
            }
        }
        self.headers_phase(host, Direction::Request, headers, end_of_stream)
    }

    /// A route that requires TLS blocks a plaintext request carrying personal data.
    fn plaintext_violation(&self, d: Direction) -> bool {
        d == Direction::Request
            && self.plaintext
            && self.route().require_tls.is_some()
            && self.req.inspection.findings.iter().any(|f| f.kind.is_personal_data())
    }

    fn plaintext_upstream(&self, host: &dyn Host) -> bool {
        let route = self.route();
        !route.shadow
            && route
                .require_tls
                .as_ref()
                .is_some_and(|req| transport::upstream_was_plaintext(req, &|p| host.property(p).ok().flatten()))
            && self.req.inspection.findings.iter().any(|f| f.kind.is_personal_data())
    }

    pub fn on_response_headers(&mut self, host: &mut dyn Host, end_of_stream: bool) -> Step {
        if self.blocked {
            return Step::Continue; // our own local reply
        }
        // require_tls upstream: the cluster was vouched for, but the request
        // went out over plaintext. The data has left; the response does not.
        if self.plaintext_upstream(host) {
            self.block_plaintext(host, Direction::Response, 502, "upstream");
            return Step::Pause;
        }
        // Not inspected: the headers are not even fetched.
        if let Some(why) = self.engine.policy.not_inspected(self.route(), Direction::Response) {
            self.skip(Direction::Response, why);
            return Step::Continue;
        }
        let headers = match host.headers(Direction::Response) {
            Ok(h) => h,
            Err(e) => return self.host_error(host, Direction::Response, "headers", e),
        };
        self.headers_phase(host, Direction::Response, headers, end_of_stream)
    }

    /// A direction that is not inspected at all: decided as it arrives.
    fn skip(&mut self, d: Direction, why: NotInspected) {
        let side = self.side(d);
        side.seen = true;
        side.done = true;
        side.not_inspected = Some(why);
    }

    fn headers_phase(&mut self, host: &mut dyn Host, d: Direction, headers: Vec<(String, String)>, eos: bool) -> Step {
        let engine = Rc::clone(&self.engine);
        let route = route_at(&engine, self.route, self.consent_alt);
        if let Some(why) = engine.policy.not_inspected(route, d) {
            // A request that opens a stream (upgrade, CONNECT, SSE, gRPC)
            // is handled as if read: stopped where the route blocks streams
            // (the response could not be inspected), else remembered so
            // that the response is one too.
            let stream = match (d, why) {
                (Direction::Request, NotInspected::PolicyAllowsAll) if !eos => stream_kind(d, &headers)
                    .filter(|k| *k != "grpc" || route.on_stream == crate::config::OnStream::Allow),
                _ => None,
            };
            if stream.is_none() || route.on_stream == crate::config::OnStream::Allow {
                self.stream = stream;
                self.skip(d, why);
                return Step::Continue;
            }
        }
        let res = match self.scratch.try_borrow_mut() {
            Ok(mut s) => engine.inspect_headers(route, d, &headers, &mut s),
            Err(_) => engine.inspect_headers(route, d, &headers, &mut Scratch::default()),
        };
        let dp = match d {
            Direction::Request => &route.request,
            Direction::Response => &route.response,
        };
        let body_inspected = dp.body;
        let may_change = !route.shadow && dp.redacts;
        let side = self.side(d);
        side.seen = true;
        side.inspection.merge(res.inspection);
        side.may_change = may_change;
        if side.inspection.decision(route.shadow) == Decision::Blocked {
            self.block(host, d, route.block_status, "personal_data_blocked");
            return Step::Pause;
        }
        if self.plaintext_violation(d) && !route.shadow {
            self.block_plaintext(host, d, route.block_status, "connection");
            return Step::Pause;
        }
        if let Some(h) = res.headers {
            if let Err(e) = host.set_headers(d, &h) {
                return self.host_error(host, d, "set_headers", e);
            }
            // The rewrite replaces the whole map: the pseudonym goes back on.
            if let (Direction::Request, Some(p), Some(name)) = (d, &self.subject, &engine.policy.subject_header) {
                if let Err(e) = host.set_header(d, name, p) {
                    return self.host_error(host, d, "set_header", e);
                }
            }
        }
        if eos || !body_inspected {
            self.side(d).done = true;
            return Step::Continue;
        }
        // Streams cannot be buffered: they pass or stop per the route's
        // `on_stream` (default: stop where the route enforces). gRPC is
        // buffered and inspected like any body unless the route lets
        // streams pass.
        let kind = stream_kind(d, &headers)
            .or(if d == Direction::Response { self.stream } else { None })
            .filter(|k| *k != "grpc" || route.on_stream == crate::config::OnStream::Allow);
        if let Some(kind) = kind {
            if d == Direction::Request {
                self.stream = Some(kind);
            }
            let side = self.side(d);
            side.done = true;
            side.inspection.uninspected = Some(Uninspected::Stream(kind.to_string()));
            let action = match route.on_stream {
                crate::config::OnStream::Allow => Action::Log,
                crate::config::OnStream::Block => Action::Block,
            };
            side.inspection.findings.push(Finding::stream(kind, action));
            if action == Action::Block && !route.shadow {
                let status = if d == Direction::Request { 415 } else { 502 };
                self.block(host, d, status, "content_not_inspectable");
                return Step::Pause;
            }
            return Step::Continue;
        }
        // What the body decision needs from the headers.
        let side = self.side(d);
        side.content_type = joined_header(&headers, "content-type");
        // Every content-encoding header (a repeated one is one more layer).
        let mut codings = headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("content-encoding"))
            .map(|(_, v)| v.as_str());
        side.coding = Some(match (codings.next(), codings.next()) {
            (None, _) => Ok(Vec::new()),
            (Some(one), None) => encoding::parse_all(Some(one)),
            (Some(a), Some(b)) => {
                let all: Vec<&str> = [a, b].into_iter().chain(codings).collect();
                encoding::parse_all(Some(&all.join(",")))
            }
        });
        side.grpc_encoding = header(&headers, "grpc-encoding").map(str::to_string);
        if may_change {
            if let Err(e) = host.remove_header(d, "content-length") {
                return self.host_error(host, d, "remove_header", e);
            }
        }
        // Hold the headers while the body is decided (needs Envoy's
        // `allow_on_headers_stop_iteration`), or let them go and pause the body.
        if self.engine.policy.hold_headers {
            Step::Pause
        } else {
            Step::Continue
        }
    }

    /// The step for a direction that is already decided, if it is.
    fn settled(&mut self, d: Direction) -> Option<Step> {
        if self.blocked {
            // Requests stay stopped; responses are then our own local reply.
            return Some(if d == Direction::Response {
                Step::Continue
            } else {
                Step::Pause
            });
        }
        self.side(d).done.then_some(Step::Continue)
    }

    pub fn on_body(&mut self, host: &mut dyn Host, d: Direction, size: usize, end_of_stream: bool) -> Step {
        if d == Direction::Request && self.method_pending.is_some() {
            if let Some(step) = self.settle_method(host, size, end_of_stream) {
                return step;
            }
        }
        if let Some(step) = self.settled(d) {
            return step;
        }
        self.side(d).last_size = size;
        let limit = self.engine.policy.limits.max_body_bytes;
        if size > limit {
            return self.oversize(host, d);
        }
        if !end_of_stream {
            return Step::Pause;
        }
        self.decide_body(host, d, size)
    }

    pub fn on_trailers(&mut self, host: &mut dyn Host, d: Direction) -> Step {
        if d == Direction::Request && self.method_pending.is_some() {
            let size = self.req.last_size;
            if let Some(step) = self.settle_method(host, size, true) {
                return step;
            }
        }
        if let Some(step) = self.trailers_phase(host, d) {
            return step;
        }
        if let Some(step) = self.settled(d) {
            return step;
        }
        let size = self.side(d).last_size;
        self.decide_body(host, d, size)
    }

    /// The route of a request that waited for its body's `_method`
    /// (`method_pending`): the methods the body names join those of the
    /// headers (any method when the body cannot be read: over the size
    /// limit, an unreadable coding or multipart), and the route is resolved
    /// again. Methods whose routes cannot be reconciled are refused (400
    /// `ambiguous_method`), as are headers that went on under another route
    /// (no `hold_headers`). `Some(step)`: the callback's answer; `None`: go
    /// on with the body under the final route.
    fn settle_method(&mut self, host: &mut dyn Host, size: usize, complete: bool) -> Option<Step> {
        let d = Direction::Request;
        if self.blocked {
            self.method_pending = None;
            return None;
        }
        self.req.last_size = size;
        let engine = Rc::clone(&self.engine);
        let limit = engine.policy.limits.max_body_bytes;
        if size <= limit && !complete {
            return Some(Step::Pause);
        }
        let pending = self.method_pending.take()?;
        // (a route lists methods: the facts were read at the headers)
        self.settle_facts();
        let named = if size > limit {
            None
        } else {
            let body = match host.body(d, size) {
                Ok(b) => b,
                Err(e) => return Some(self.host_error(host, d, "body", e)),
            };
            let m = crate::http::body_methods(&pending.headers, &body, limit);
            self.prefetched = Some((size, body));
            m
        };
        let known = &mut self.facts.info.method_overrides;
        let any = crate::http::ANY_METHOD;
        for m in named.unwrap_or_else(|| vec![any.to_string()]) {
            if known.contains(&m) || known.iter().any(|k| k == any) {
                continue;
            }
            if known.len() + 1 >= crate::http::MAX_METHOD_OVERRIDES && m != any {
                known.push(any.to_string());
            } else {
                known.push(m);
            }
        }
        let res = engine.policy.resolve(&self.facts.info);
        if res.ambiguous || (!pending.held && res.index != self.route) {
            let (finding, reason) = match res.ambiguity {
                "path" if res.ambiguous => (Finding::ambiguous_path(), "ambiguous_path"),
                _ => (Finding::ambiguous_method(), "ambiguous_method"),
            };
            self.req.inspection.findings.push(finding);
            self.block(host, d, 400, reason);
            return Some(Step::Pause);
        }
        if !pending.held {
            return None;
        }
        self.route = res.index;
        let step = self.request_phase(host, pending.headers, false);
        (self.blocked || self.req.done).then_some(step)
    }

    /// Trailers are headers a client or upstream sends after the body (h2,
    /// gRPC `grpc-message`, HTTP/1.1 chunked): read like headers wherever
    /// this direction's headers were read, before the body is decided, and
    /// redacted in place or blocked. `None`: go on to the body.
    fn trailers_phase(&mut self, host: &mut dyn Host, d: Direction) -> Option<Step> {
        if self.blocked || !self.side(d).seen {
            return None;
        }
        let trailers = match host.trailers(d) {
            Ok(t) => t,
            Err(e) => return Some(self.host_error(host, d, "trailers", e)),
        };
        if trailers.is_empty() {
            return None;
        }
        let engine = Rc::clone(&self.engine);
        let route = route_at(&engine, self.route, self.consent_alt);
        let res = match self.scratch.try_borrow_mut() {
            Ok(mut s) => engine.inspect_headers(route, d, &trailers, &mut s),
            Err(_) => engine.inspect_headers(route, d, &trailers, &mut Scratch::default()),
        };
        self.side(d).inspection.merge(res.inspection);
        if self.side(d).inspection.decision(route.shadow) == Decision::Blocked {
            self.block(host, d, route.block_status, "personal_data_blocked");
            return Some(Step::Pause);
        }
        if let Some(t) = res.headers {
            if let Err(e) = host.set_trailers(d, &t) {
                return Some(self.host_error(host, d, "set_trailers", e));
            }
        }
        None
    }

    fn oversize(&mut self, host: &mut dyn Host, d: Direction) -> Step {
        let block = self.route().on_oversize == OnOversize::Block;
        let side = self.side(d);
        side.done = true;
        side.inspection.uninspected = Some(Uninspected::Oversize);
        side.inspection
            .findings
            .push(Finding::oversize(if block { Action::Block } else { Action::Log }));
        if !block {
            return Step::Continue;
        }
        let status = if d == Direction::Request { 413 } else { 502 };
        self.block(host, d, status, "body_too_large_to_inspect");
        Step::Pause
    }

    fn decide_body(&mut self, host: &mut dyn Host, d: Direction, size: usize) -> Step {
        self.side(d).done = true;
        let engine = Rc::clone(&self.engine);
        let route = route_at(&engine, self.route, self.consent_alt);
        let raw = match self.prefetched.take() {
            Some((n, b)) if n == size && d == Direction::Request => b,
            _ => match host.body(d, size) {
                Ok(b) => b,
                Err(e) => return self.host_error(host, d, "body", e),
            },
        };
        let limit = engine.policy.limits.max_body_bytes;
        let coding = self.side(d).coding.take().unwrap_or(Ok(Vec::new()));
        let ct = self.side(d).content_type.take();
        let grpc_enc = self.side(d).grpc_encoding.take();
        let res: BodyResult = match coding {
            // Without a content coding the body is read where it is: no copy.
            Ok(c) => match if c.is_empty() {
                Ok(std::borrow::Cow::Borrowed(raw.as_slice()))
            } else {
                encoding::decode_all(&c, &raw, limit).map(std::borrow::Cow::Owned)
            } {
                Ok(plain) => {
                    if self.subject.is_none() {
                        if let Some(raw) = engine.subject_from_body(d, &plain) {
                            self.subject = engine.pseudonym(&raw);
                            if let (Some(p), Direction::Request, Some(name)) =
                                (&self.subject, d, &engine.policy.subject_header)
                            {
                                // The request headers are still held: the upstream gets it too.
                                if let Err(e) = host.set_header(d, name, p) {
                                    return self.host_error(host, d, "set_header", e);
                                }
                            }
                        }
                    }
                    let (ct, ge) = (ct.as_deref(), grpc_enc.as_deref());
                    let mut r = match self.scratch.try_borrow_mut() {
                        Ok(mut s) => engine.inspect_body_with(route, d, ct, ge, &plain, &mut s),
                        Err(_) => engine.inspect_body_with(route, d, ct, ge, &plain, &mut Scratch::default()),
                    };
                    if !c.is_empty() {
                        r.body = r.body.map(|b| encoding::encode_all(&c, &b));
                    }
                    r
                }
                Err(DecodeError::TooLarge) => {
                    return self.oversize(host, d);
                }
                Err(DecodeError::Corrupt) => engine.uninspectable(route, "encoding:corrupt".into()),
                Err(DecodeError::Unsupported(n)) => engine.uninspectable(route, format!("encoding:{n}")),
            },
            Err(DecodeError::Unsupported(n)) => engine.uninspectable(route, format!("encoding:{n}")),
            Err(_) => engine.uninspectable(route, "encoding:unknown".into()),
        };
        // Refused because it could not be read (not because of what was read in it).
        let uninspectable_block = res.inspection.uninspected.is_some()
            && res.inspection.max_action() == Some(Action::Block)
            && res
                .inspection
                .findings
                .iter()
                .filter(|f| f.action == Action::Block)
                .all(|f| !f.kind.is_personal_data());
        self.side(d).inspection.merge(res.inspection);
        let shadow = self.route().shadow;
        if self.plaintext_violation(d) && !shadow {
            let status = self.route().block_status;
            self.block_plaintext(host, d, status, "connection");
            return Step::Pause;
        }
        if self.side(d).inspection.decision(shadow) == Decision::Blocked {
            let status = if uninspectable_block {
                if d == Direction::Request {
                    415
                } else {
                    502
                }
            } else {
                self.route().block_status
            };
            let kind = if uninspectable_block {
                "content_not_inspectable"
            } else {
                "personal_data_blocked"
            };
            self.block(host, d, status, kind);
            return Step::Pause;
        }
        if let Some(b) = res.body {
            if let Err(e) = host.set_body(d, size, &b) {
                return self.host_error(host, d, "set_body", e);
            }
        }
        Step::Continue
    }

    /// A host call failed: this direction cannot be trusted (an unread or
    /// unrewritten body, headers that kept what they should have lost), so
    /// the exchange stops here — a local reply, or a reset if that is
    /// refused — audited as a host error.
    #[inline(never)] // the error path: one copy, not one per call site
    fn host_error(&mut self, host: &mut dyn Host, d: Direction, call: &'static str, _e: HostError) -> Step {
        let side = self.side(d);
        side.done = true;
        side.inspection.uninspected = Some(Uninspected::HostError(call));
        side.inspection.findings.push(Finding::host_error(call));
        if !self.blocked {
            self.block(host, d, 503, "host_error");
        }
        Step::Pause
    }

    /// Blocks for `require_tls`, with a finding that says so in the audit
    /// record and the metrics (`detector: plaintext_transfer`). `at`:
    /// `connection` (caught before the data left) or `upstream` (the request
    /// went out over plaintext; the response is refused).
    fn block_plaintext(&mut self, host: &mut dyn Host, d: Direction, status: u16, at: &str) {
        self.side(d).inspection.findings.push(Finding::plaintext_transfer(at));
        let error = if at == "upstream" {
            "plaintext_transfer_detected"
        } else {
            "plaintext_transfer_blocked"
        };
        self.block(host, d, status, error);
    }

    /// Sends the JSON error. It names categories, never values.
    fn block(&mut self, host: &mut dyn Host, d: Direction, status: u16, error: &str) {
        self.blocked = true;
        self.settle_facts();
        let cats = self.side(d).inspection.categories(Action::Block);
        let body = audit::block_reply(error, d, &cats, self.request_id(&*host));
        let sent = host.send_reply(
            status as u32,
            &[("content-type", "application/json"), ("x-piiguard-decision", "blocked")],
            &body,
        );
        if sent.is_err() {
            // Refused (e.g. the response headers already left): the stream is
            // reset so the body never leaves. If even that fails, the
            // direction stays paused.
            let _ = host.reset();
        }
    }

    /// Why the exchange ended before piiguard decided every part of it:
    /// `request_aborted` (the request body never ended), `upstream_failure`
    /// (Envoy flagged the response: connection failure, reset, timeout,
    /// downstream disconnect...), `no_response`, `response_aborted`.
    fn incomplete(&self, host: &dyn Host) -> Option<&'static str> {
        if self.blocked {
            return None;
        }
        if self.req.seen && !self.req.done {
            return Some("request_aborted");
        }
        // Policy read neither direction (inspection off, or every action
        // `allow`): both were decided at their headers, so nothing of the
        // exchange was left undecided. Envoy's response flags are then not
        // read (a property read is the dearest host call: ~11 K
        // instructions in Envoy, a quarter of the floor), unless every
        // exchange is audited (`audit.mode: all`), whose record says how
        // each one ended.
        if self.req.not_inspected.is_some() && self.resp.not_inspected.is_some() && !self.engine.policy.audit_all {
            return None;
        }
        let flags = host
            .property(&["response", "flags"])
            .ok()
            .flatten()
            .and_then(|b| b.get(..8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes))
            .unwrap_or(0);
        if flags != 0 {
            return Some("upstream_failure");
        }
        if !self.resp.seen {
            return Some("no_response");
        }
        if !self.resp.done {
            return Some("response_aborted");
        }
        None
    }

    /// The overall decision written to the audit record and the metrics.
    fn overall(&self, incomplete: Option<&'static str>) -> &'static str {
        let shadow = self.route().shadow;
        if self.blocked && !shadow {
            return "blocked";
        }
        if incomplete.is_some() {
            return "incomplete";
        }
        audit::overall(
            self.req.inspection.decision(shadow),
            self.resp.inspection.decision(shadow),
        )
        .as_str()
    }

    /// Builds the audit record of what is known so far.
    pub fn record(&self, host: &dyn Host) -> AuditRecord {
        self.record_with(host, self.incomplete(host))
    }

    /// A request property for the record: what routing read, else read now
    /// (absent when unreadable: the record is written anyway).
    fn late_property(&self, host: &dyn Host, i: usize, path: &[&str], known: &Option<String>) -> Option<String> {
        if self.props_read[i] {
            known.clone()
        } else {
            text_property(host, path).ok().flatten()
        }
    }

    fn record_with(&self, host: &dyn Host, incomplete: Option<&'static str>) -> AuditRecord {
        let route = self.route();
        let shadow = route.shadow;
        let mut request = DirectionRecord::from_inspection(&self.req.inspection, shadow);
        let mut response = DirectionRecord::from_inspection(&self.resp.inspection, shadow);
        request.not_inspected = self.req.not_inspected;
        response.not_inspected = self.resp.not_inspected;
        match incomplete {
            Some("request_aborted") => request.decision = "incomplete",
            Some(_) => response.decision = "incomplete",
            None => {}
        }
        let facts = self.facts();
        let info = &facts.info;
        AuditRecord {
            piiguard: 1,
            ts_ms: host.now_ms(),
            request_id: self.request_id(host).map(str::to_string),
            route: route.name.clone(),
            envoy_route: self.late_property(host, 0, &ROUTE_NAME, &info.route_name),
            method: crate::engine::safe_name(&info.method),
            authority: safe_authority(&self.engine, &info.authority),
            path: self.engine.audit_path(&facts.raw_path),
            peer: self.late_property(host, 1, &PEER, &info.peer).filter(|s| !s.is_empty()),
            subject: self.subject.clone(),
            subject_key_id: self
                .subject
                .as_ref()
                .and_then(|_| self.engine.hasher().and_then(|h| h.key_id().map(str::to_string))),
            decision: self.overall(incomplete),
            incomplete: incomplete.map(str::to_string),
            request,
            response,
            policy_version: self.engine.policy.version.clone(),
            purpose: route.purpose.clone(),
            legal_basis: route.legal_basis,
            retention: route.retention.clone(),
            shadow,
            consent: self.consent,
            region: route.region.clone(),
            recipient: self.late_property(host, 2, &CLUSTER, &info.cluster),
        }
    }

    fn has_findings(&self) -> bool {
        !self.req.inspection.findings.is_empty() || !self.resp.inspection.findings.is_empty()
    }

    /// Writes the audit record once, at the end of the stream: Envoy calls
    /// the filter's log callback before it writes its access logs. Nothing
    /// is built when nothing is to be written.
    fn publish(&mut self, host: &mut dyn Host, incomplete: Option<&'static str>) {
        let all = self.engine.policy.audit_all;
        if !(all || self.has_findings() || incomplete.is_some()) {
            return;
        }
        self.settle_facts();
        let rec = self.record_with(&*host, incomplete).to_json();
        let mut failed = host.set_audit(&rec).is_err();
        if self.engine.policy.audit_attributes {
            for (k, v) in crate::audit_fields::flatten(&rec) {
                failed |= host.set_audit_field(&k, &v).is_err();
            }
        }
        if self.engine.policy.audit_log {
            failed |= host.log_audit(&rec).is_err();
        }
        if failed {
            host.count("piiguard_audit_errors_total", 1);
        }
    }

    /// End of the stream (access-log time).
    pub fn on_done(&mut self, host: &mut dyn Host) {
        if self.finished {
            return;
        }
        self.finished = true;
        let incomplete = self.incomplete(&*host);
        self.publish(host, incomplete);
        self.metrics(host, incomplete);
    }

    fn metrics(&self, host: &mut dyn Host, incomplete: Option<&'static str>) {
        let route = self.route();
        let shadow = route.shadow;
        let decision = self.overall(incomplete);
        // named once per route and decision (policy compile time)
        host.count(&route.requests_metric(decision), 1);
        let mut name = String::new();
        for (d, side) in [(Direction::Request, &self.req), (Direction::Response, &self.resp)] {
            for f in &side.inspection.findings {
                // on a shadow route: what would have been done (`shadow_block`, `shadow_redact`)
                let action = match (shadow, f.action) {
                    (true, Action::Block) => "shadow_block",
                    (true, Action::Redact) => "shadow_redact",
                    (_, a) => a.as_str(),
                };
                let (route, dir) = (route.name.as_str(), d.as_str());
                match f.kind {
                    FindingKind::Oversize => {
                        metric_name_into(
                            &mut name,
                            "piiguard_oversize_total",
                            &[("route", route), ("direction", dir), ("action", action)],
                        );
                        host.count(&name, 1)
                    }
                    FindingKind::HostError => {
                        metric_name_into(
                            &mut name,
                            "piiguard_host_errors_total",
                            &[("route", route), ("direction", dir)],
                        );
                        host.count(&name, 1)
                    }
                    FindingKind::Uninspectable | FindingKind::Stream => {
                        metric_name_into(
                            &mut name,
                            "piiguard_uninspectable_total",
                            &[("route", route), ("direction", dir), ("action", action)],
                        );
                        host.count(&name, 1)
                    }
                    kind => {
                        // path rules are named by their kind (their ids hold the configured path)
                        let det = match kind {
                            FindingKind::PathRule => kind.as_str(),
                            _ => f.detector.as_str(),
                        };
                        metric_name_into(
                            &mut name,
                            "piiguard_findings_total",
                            &[
                                ("route", route),
                                ("category", &f.category),
                                ("detector", det),
                                ("direction", dir),
                                ("action", action),
                            ],
                        );
                        host.count(&name, f.count as u64)
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The state machine against the in-memory host: the same callbacks Envoy makes.
    use super::*;
    use crate::policy::Policy;
    use crate::testing::MemoryHost;

    /// The in-memory host holding one request.
    fn holding(headers: Vec<(String, String)>, body: &[u8]) -> MemoryHost {
        let mut host = MemoryHost::new().with_property(&["request", "id"], b"rid-1");
        host.request.headers = headers;
        host.request.buffer = body.to_vec();
        host
    }

    fn reply(host: &MemoryHost) -> Option<(u32, Vec<u8>)> {
        host.replies.last().map(|r| (r.status, r.body.clone()))
    }

    fn flow(cfg: &str) -> Flow {
        let e = Engine::new(Policy::from_json(cfg.as_bytes()).unwrap(), None).unwrap();
        Flow::new(Rc::new(e), Rc::new(RefCell::new(Scratch::default())))
    }

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn redacts_a_chunked_request_and_blocks_a_response() {
        let mut f = flow(
            r#"{"version":1,"hold_headers":true,"default":{"request":{"actions":{"*":"redact"}},"response":{"actions":{"email":"block"}}}}"#,
        );
        let mut host = holding(
            h(&[
                (":method", "POST"),
                (":path", "/x"),
                ("content-type", "application/json"),
                ("content-length", "33"),
            ]),
            br#"{"e":"jane@example.com","n":1}"#,
        );
        assert_eq!(f.on_request_headers(&mut host, false), Step::Pause);
        assert!(
            !host.request.headers.iter().any(|(k, _)| k == "content-length"),
            "framing: length dropped"
        );
        assert_eq!(f.on_body(&mut host, Direction::Request, 10, false), Step::Pause);
        let n = host.request.buffer.len();
        assert_eq!(f.on_body(&mut host, Direction::Request, n, true), Step::Continue);
        assert_eq!(host.request.buffer, br#"{"e":"[EMAIL]","n":1}"#.to_vec());
        host.response.headers = h(&[(":status", "200"), ("content-type", "application/json")]);
        host.response.buffer = br#"{"owner":"jane@example.com"}"#.to_vec();
        assert_eq!(f.on_response_headers(&mut host, false), Step::Pause);
        let n = host.response.buffer.len();
        assert_eq!(f.on_body(&mut host, Direction::Response, n, true), Step::Pause);
        let (status, body) = reply(&host).unwrap();
        assert_eq!(status, 403);
        assert!(!String::from_utf8_lossy(&body).contains("jane"));
        f.on_done(&mut host);
        let audit = host.audit().unwrap();
        assert_eq!(audit["decision"], "blocked");
        assert_eq!(audit["request"]["decision"], "redacted");
        assert!(host
            .counters
            .keys()
            .any(|n| n == "route=.=default;.;decision=.=blocked;.;piiguard_requests_total"));
    }

    #[test]
    fn trailers_end_the_body_and_oversize_blocks() {
        let mut f =
            flow(r#"{"version":1,"limits":{"max_body_bytes":64},"default":{"request":{"actions":{"*":"redact"}}}}"#);
        let mut host = holding(h(&[(":method", "POST"), (":path", "/x")]), b"mail a@example.com");
        assert_eq!(
            f.on_request_headers(&mut host, false),
            Step::Continue,
            "headers go on without hold_headers"
        );
        let n = host.request.buffer.len();
        assert_eq!(f.on_body(&mut host, Direction::Request, n, false), Step::Pause);
        assert_eq!(f.on_trailers(&mut host, Direction::Request), Step::Continue);
        assert_eq!(host.request.buffer, b"mail [EMAIL]".to_vec());
        let mut f = flow(r#"{"version":1,"limits":{"max_body_bytes":64}}"#);
        let mut host = holding(h(&[(":method", "POST"), (":path", "/x")]), &[b'x'; 100]);
        f.on_request_headers(&mut host, false);
        assert_eq!(f.on_body(&mut host, Direction::Request, 100, false), Step::Pause);
        assert_eq!(reply(&host).map(|r| r.0), Some(413));
    }

    #[test]
    fn websocket_passes_and_is_noted() {
        let mut f = flow(
            r#"{"version":1,"audit":{"mode":"all"},"default":{"on_stream":"allow","request":{"actions":{"*":"block"}}}}"#,
        );
        let mut host = holding(
            h(&[(":method", "GET"), (":path", "/ws"), ("upgrade", "websocket")]),
            &[b'x'; 10],
        );
        assert_eq!(f.on_request_headers(&mut host, false), Step::Continue);
        assert_eq!(f.on_body(&mut host, Direction::Request, 10, false), Step::Continue);
        f.on_done(&mut host);
        let audit = host.audit().unwrap();
        assert_eq!(audit["request"]["uninspected"], "stream:websocket");
    }

    #[test]
    fn require_tls_judges_the_hop_from_the_connection() {
        let cfg = |on: &str| {
            format!(
                r#"{{"version":1,"hold_headers":true,"audit":{{"mode":"all"}},"default":{{"require_tls":{on},"request":{{"actions":{{"*":"log"}}}}}}}}"#
            )
        };
        let req = |props: Vec<(&'static str, Vec<u8>)>, scheme: &str| {
            let mut host = holding(
                h(&[
                    (":method", "POST"),
                    (":path", "/x"),
                    (":scheme", scheme),
                    ("x-forwarded-proto", scheme),
                    ("content-type", "application/json"),
                ]),
                br#"{"e":"jane@example.com"}"#,
            );
            for (k, v) in props {
                let path: Vec<&str> = k.split('.').collect();
                host = host.with_property(&path, &v);
            }
            host
        };
        let run = |cfg: &str, host: &mut MemoryHost| {
            let mut f = flow(cfg);
            f.on_request_headers(host, false);
            let n = host.request.buffer.len();
            f.on_body(host, Direction::Request, n, true);
            f
        };
        // the client's word (`:scheme`/`x-forwarded-proto: https`) on a plaintext connection proves nothing
        for on in [r#"{"on":"downstream"}"#, r#"{"on":"mesh"}"#, r#"{"on":"upstream"}"#] {
            let mut host = req(vec![("xds.cluster_name", b"outbound|80||partner".to_vec())], "https");
            let mut f = run(&cfg(on), &mut host);
            let (status, body) = reply(&host).unwrap_or_else(|| panic!("{on}: not blocked"));
            assert_eq!(status, 403);
            assert!(String::from_utf8_lossy(&body).contains("plaintext_transfer_blocked"));
            assert!(!String::from_utf8_lossy(&body).contains("jane"));
            f.on_done(&mut host);
            let audit = host.audit().unwrap();
            assert_eq!(audit["request"]["decision"], "blocked", "{on}: {audit}");
        }
        // downstream TLS passes `downstream` but not `mesh` (no client certificate)
        let tls = || {
            vec![
                ("connection.tls_version", b"TLSv1.3".to_vec()),
                ("connection.mtls", vec![0]),
            ]
        };
        let mut host = req(tls(), "http");
        run(&cfg(r#"{"on":"downstream"}"#), &mut host);
        assert_eq!(reply(&host), None);
        let mut host = req(tls(), "http");
        run(&cfg(r#"{"on":"mesh"}"#), &mut host);
        assert_eq!(reply(&host).map(|r| r.0), Some(403));
        let mut host = req(
            vec![
                ("connection.tls_version", b"TLSv1.3".to_vec()),
                ("connection.mtls", vec![1]),
            ],
            "http",
        );
        run(&cfg(r#"{"on":"mesh"}"#), &mut host);
        assert_eq!(reply(&host), None);
        // upstream: a listed cluster passes; if it then turns out plaintext, the response is refused
        let mut host = req(vec![("xds.cluster_name", b"outbound|80||partner".to_vec())], "http");
        let mut f = run(
            &cfg(r#"{"on":"upstream","clusters":["outbound|*||partner"]}"#),
            &mut host,
        );
        assert_eq!(reply(&host), None);
        let mut host = host.with_property(&["upstream", "address"], b"10.0.0.9:80");
        host.response.headers = h(&[(":status", "200")]);
        assert_eq!(f.on_response_headers(&mut host, true), Step::Pause);
        let (status, body) = reply(&host).unwrap();
        assert_eq!(status, 502);
        assert!(String::from_utf8_lossy(&body).contains("plaintext_transfer_detected"));
        // no personal data: no requirement
        let mut host = req(vec![], "http");
        host.request.buffer = br#"{"qty":1}"#.to_vec();
        run(&cfg(r#"{"on":"mesh"}"#), &mut host);
        assert_eq!(reply(&host), None);
    }
}
