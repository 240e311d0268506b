//! Test support (the `testing` feature): an in-memory [`Host`] that records
//! everything the filter does, a driver that plays one HTTP exchange
//! through [`Flow`] the way Envoy does, and the case table shared by the
//! native runner (`filter/tests/cases.rs`) and the Envoy runner
//! (`integration-tests/tests/cases.rs`). The format is documented in
//! `filter/tests/cases/README.md`.
//!
//! Never compiled into the wasm: nothing here is part of the data path.

use crate::detect::Scratch;
use crate::engine::{Direction, Engine};
use crate::flow::{Flow, Host, HostError, Step};
use crate::policy::Policy;
use crate::redact::Hasher;
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The kinds of host call, for counting calls and bytes per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Call {
    Headers,
    SetHeaders,
    RemoveHeader,
    SetHeader,
    Trailers,
    SetTrailers,
    Body,
    SetBody,
    SendReply,
    Reset,
    Property,
    SetAudit,
    SetAuditField,
    LogAudit,
    NowMs,
    Count,
}

/// Calls made and bytes copied across the host boundary for one kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallStat {
    pub calls: u64,
    pub bytes: u64,
}

/// One direction of the exchange as the host holds it.
#[derive(Clone, Debug, Default)]
pub struct Message {
    /// The live header map (pseudo-headers included), as the filter sees it.
    pub headers: Vec<(String, String)>,
    /// Bytes buffered by the host and not yet forwarded.
    pub buffer: Vec<u8>,
    pub trailers: Vec<(String, String)>,
}

/// A local reply the filter sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u32,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// An in-memory host: holds both directions, records every write, and
/// counts calls and bytes per [`Call`].
#[derive(Debug, Default)]
pub struct MemoryHost {
    pub request: Message,
    pub response: Message,
    /// Properties by path (`["xds", "route_name"]` -> bytes).
    pub properties: BTreeMap<Vec<String>, Vec<u8>>,
    pub now_ms: Option<u64>,
    /// Every local reply requested, in order.
    pub replies: Vec<Reply>,
    /// Every audit record stored (`set_audit`), in order.
    pub audits: Vec<Vec<u8>>,
    /// The flattened audit fields set (`audit.attributes`), in order.
    pub audit_fields: Vec<(String, String)>,
    /// Every line the filter logged.
    pub logs: Vec<String>,
    pub counters: BTreeMap<String, u64>,
    /// Header writes in order: `(direction, name, Some(value))` or `None` for a removal.
    pub header_writes: Vec<(Direction, String, Option<String>)>,
    /// Bodies written with `set_body`, in order.
    pub body_writes: Vec<(Direction, Vec<u8>)>,
    /// Stream resets requested.
    pub resets: u32,
    /// Calls that fail (fault injection), with `fail_with`.
    pub fail: BTreeSet<Call>,
    pub fail_with: Option<HostError>,
    /// The response headers left (set by the driver): a local reply is refused, as in Envoy.
    pub response_headers_sent: bool,
    stats: RefCell<BTreeMap<Call, CallStat>>,
}

fn header_bytes(h: &[(String, String)]) -> u64 {
    h.iter().map(|(k, v)| (k.len() + v.len()) as u64).sum()
}

impl MemoryHost {
    pub fn new() -> MemoryHost {
        MemoryHost {
            now_ms: Some(1_700_000_000_000),
            ..MemoryHost::default()
        }
    }

    pub fn with_property(mut self, path: &[&str], value: &[u8]) -> MemoryHost {
        self.properties
            .insert(path.iter().map(|s| s.to_string()).collect(), value.to_vec());
        self
    }

    pub fn message(&self, d: Direction) -> &Message {
        match d {
            Direction::Request => &self.request,
            Direction::Response => &self.response,
        }
    }

    pub fn message_mut(&mut self, d: Direction) -> &mut Message {
        match d {
            Direction::Request => &mut self.request,
            Direction::Response => &mut self.response,
        }
    }

    /// Makes `call` fail from now on.
    pub fn failing(mut self, call: Call) -> MemoryHost {
        self.fail.insert(call);
        self
    }

    fn note(&self, call: Call, bytes: u64) {
        let mut s = self.stats.borrow_mut();
        let e = s.entry(call).or_default();
        e.calls += 1;
        e.bytes += bytes;
    }

    /// Counts the call; the injected error if it is set to fail.
    fn enter(&self, call: Call, bytes: u64) -> Result<(), HostError> {
        self.note(call, bytes);
        if self.fail.contains(&call) {
            Err(self.fail_with.unwrap_or(HostError::Failed))
        } else {
            Ok(())
        }
    }

    /// Calls and bytes for one kind of call.
    pub fn stat(&self, call: Call) -> CallStat {
        self.stats.borrow().get(&call).copied().unwrap_or_default()
    }

    /// Calls and bytes for every kind of call made.
    pub fn stats(&self) -> BTreeMap<Call, CallStat> {
        self.stats.borrow().clone()
    }

    /// Total host calls of any kind.
    pub fn total_calls(&self) -> u64 {
        self.stats.borrow().values().map(|s| s.calls).sum()
    }

    /// Total bytes copied across the boundary in either direction.
    pub fn total_bytes(&self) -> u64 {
        self.stats.borrow().values().map(|s| s.bytes).sum()
    }

    pub fn reset_stats(&mut self) {
        self.stats.borrow_mut().clear();
    }

    /// The last audit record, parsed.
    pub fn audit(&self) -> Option<serde_json::Value> {
        self.audits.last().and_then(|a| serde_json::from_slice(a).ok())
    }

    pub fn header(&self, d: Direction, name: &str) -> Option<&str> {
        self.message(d)
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Host for MemoryHost {
    fn headers(&self, d: Direction) -> Result<Vec<(String, String)>, HostError> {
        let h = self.message(d).headers.clone();
        self.enter(Call::Headers, header_bytes(&h))?;
        Ok(h)
    }

    fn header_bytes(&self, d: Direction) -> Result<Vec<u8>, HostError> {
        // the map as Envoy serialises it: one buffer, as the glue receives it
        let h = &self.message(d).headers;
        self.enter(Call::Headers, header_bytes(h))?;
        Ok(crate::hostabi::encode_pairs(h))
    }

    fn set_headers(&mut self, d: Direction, headers: &[(String, String)]) -> Result<(), HostError> {
        self.enter(Call::SetHeaders, header_bytes(headers))?;
        for (k, v) in headers {
            self.header_writes.push((d, k.clone(), Some(v.clone())));
        }
        self.message_mut(d).headers = headers.to_vec();
        Ok(())
    }

    fn remove_header(&mut self, d: Direction, name: &str) -> Result<(), HostError> {
        self.enter(Call::RemoveHeader, name.len() as u64)?;
        self.header_writes.push((d, name.to_string(), None));
        self.message_mut(d)
            .headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        Ok(())
    }

    fn set_header(&mut self, d: Direction, name: &str, value: &str) -> Result<(), HostError> {
        self.enter(Call::SetHeader, (name.len() + value.len()) as u64)?;
        self.header_writes.push((d, name.to_string(), Some(value.to_string())));
        let h = &mut self.message_mut(d).headers;
        h.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        h.push((name.to_string(), value.to_string()));
        Ok(())
    }

    fn trailers(&self, d: Direction) -> Result<Vec<(String, String)>, HostError> {
        let t = self.message(d).trailers.clone();
        self.enter(Call::Trailers, header_bytes(&t))?;
        Ok(t)
    }

    fn set_trailers(&mut self, d: Direction, trailers: &[(String, String)]) -> Result<(), HostError> {
        self.enter(Call::SetTrailers, header_bytes(trailers))?;
        self.message_mut(d).trailers = trailers.to_vec();
        Ok(())
    }

    fn body(&self, d: Direction, size: usize) -> Result<Vec<u8>, HostError> {
        let b = &self.message(d).buffer;
        let out = b[..size.min(b.len())].to_vec();
        self.enter(Call::Body, out.len() as u64)?;
        Ok(out)
    }

    fn set_body(&mut self, d: Direction, size: usize, body: &[u8]) -> Result<(), HostError> {
        self.enter(Call::SetBody, body.len() as u64)?;
        self.body_writes.push((d, body.to_vec()));
        let b = &mut self.message_mut(d).buffer;
        let size = size.min(b.len());
        b.splice(..size, body.iter().copied());
        Ok(())
    }

    fn send_reply(&mut self, status: u32, headers: &[(&str, &str)], body: &[u8]) -> Result<(), HostError> {
        let hb: u64 = headers.iter().map(|(k, v)| (k.len() + v.len()) as u64).sum();
        self.enter(Call::SendReply, hb + body.len() as u64)?;
        if self.response_headers_sent {
            return Err(HostError::Refused);
        }
        self.replies.push(Reply {
            status,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: body.to_vec(),
        });
        Ok(())
    }

    fn reset(&mut self) -> Result<(), HostError> {
        self.enter(Call::Reset, 0)?;
        self.resets += 1;
        Ok(())
    }

    fn property(&self, path: &[&str]) -> Result<Option<Vec<u8>>, HostError> {
        let key: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        let v = self.properties.get(&key).cloned();
        self.enter(Call::Property, v.as_ref().map_or(0, |v| v.len() as u64))?;
        Ok(v)
    }

    fn set_audit(&mut self, record: &[u8]) -> Result<(), HostError> {
        self.enter(Call::SetAudit, record.len() as u64)?;
        self.audits.push(record.to_vec());
        Ok(())
    }

    fn set_audit_field(&mut self, key: &str, value: &str) -> Result<(), HostError> {
        self.enter(Call::SetAuditField, (key.len() + value.len()) as u64)?;
        self.audit_fields.push((key.to_string(), value.to_string()));
        Ok(())
    }

    fn log_audit(&mut self, record: &[u8]) -> Result<(), HostError> {
        self.enter(Call::LogAudit, record.len() as u64)?;
        self.logs
            .push(format!("piiguard-audit: {}", String::from_utf8_lossy(record)));
        Ok(())
    }

    fn now_ms(&self) -> Option<u64> {
        self.note(Call::NowMs, 8);
        self.now_ms
    }

    fn count(&mut self, name: &str, delta: u64) {
        self.note(Call::Count, name.len() as u64 + 8);
        *self.counters.entry(name.to_string()).or_default() += delta;
    }
}

// ---------------------------------------------------------------------------
// Playing an exchange the way Envoy does.

/// An HTTP message as a client or upstream sends it.
#[derive(Clone, Debug, Default)]
pub struct Sent {
    /// Headers, pseudo-headers included (`:method`, `:path`, `:status`, ...).
    pub headers: Vec<(String, String)>,
    /// The body, in the pieces the host delivers (each is one body callback).
    pub chunks: Vec<Vec<u8>>,
    /// Trailers; when present, the body ends with the trailers callback.
    pub trailers: Vec<(String, String)>,
}

impl Sent {
    pub fn new(headers: Vec<(String, String)>, body: &[u8], chunk: Option<usize>) -> Sent {
        let chunks = match chunk {
            _ if body.is_empty() => Vec::new(),
            Some(n) => body.chunks(n.max(1)).map(<[u8]>::to_vec).collect(),
            None => vec![body.to_vec()],
        };
        Sent {
            headers,
            chunks,
            trailers: Vec::new(),
        }
    }
}

/// What left the filter in one direction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Forwarded {
    /// Headers as they were when the filter released them.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub trailers: Vec<(String, String)>,
    /// The filter still held the message when the exchange ended (a hang in Envoy).
    pub stalled: bool,
    /// The filter reset the stream after this much had left.
    pub reset: bool,
}

impl Forwarded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The outcome of one exchange.
#[derive(Debug, Default)]
pub struct Exchange {
    /// What the upstream received (None: the request never reached it).
    pub upstream: Option<Forwarded>,
    /// The response the client saw: the local reply if the filter sent one,
    /// else the upstream's response as the filter released it.
    pub client_status: u32,
    pub client: Forwarded,
    /// The filter sent a local reply (or reset the stream).
    pub replied: bool,
    /// The filter reset the stream: the client got no response.
    pub reset: bool,
}

/// Plays one direction through the flow. Returns what was forwarded, or
/// None when the filter sent a local reply during it. A reset returns what
/// had left before it, marked `reset`.
fn play(flow: &mut Flow, host: &mut MemoryHost, d: Direction, sent: &Sent) -> Option<Forwarded> {
    let (replies, resets) = (host.replies.len(), host.resets);
    *host.message_mut(d) = Message {
        headers: sent.headers.clone(),
        buffer: Vec::new(),
        trailers: Vec::new(),
    };
    let mut out = Forwarded::default();
    let mut released = false;
    let release = |host: &mut MemoryHost, out: &mut Forwarded, released: &mut bool| {
        if !*released {
            out.headers = host.message(d).headers.clone();
            *released = true;
            if d == Direction::Response {
                host.response_headers_sent = true;
            }
        }
        out.body.append(&mut host.message_mut(d).buffer);
    };
    // After each callback: a local reply ends the exchange, a reset too.
    enum After {
        Reply,
        Reset,
        Go,
    }
    let after = |host: &MemoryHost| {
        if host.resets > resets {
            After::Reset
        } else if host.replies.len() > replies {
            After::Reply
        } else {
            After::Go
        }
    };
    let no_body = sent.chunks.is_empty() && sent.trailers.is_empty();
    let mut last = match d {
        Direction::Request => flow.on_request_headers(host, no_body),
        Direction::Response => flow.on_response_headers(host, no_body),
    };
    let n = sent.chunks.len();
    let mut i = 0;
    loop {
        match after(host) {
            After::Reply => return None,
            After::Reset => {
                out.reset = true;
                return Some(out);
            }
            After::Go => {}
        }
        if last == Step::Continue {
            release(host, &mut out, &mut released);
        }
        if i < n {
            let eos = i + 1 == n && sent.trailers.is_empty();
            host.message_mut(d).buffer.extend_from_slice(&sent.chunks[i]);
            let size = host.message(d).buffer.len();
            last = flow.on_body(host, d, size, eos);
            i += 1;
        } else if i == n && !sent.trailers.is_empty() {
            host.message_mut(d).trailers = sent.trailers.clone();
            last = flow.on_trailers(host, d);
            i += 1;
        } else {
            break;
        }
    }
    if released && last == Step::Continue {
        out.trailers = host.message(d).trailers.clone();
    }
    out.stalled = last == Step::Pause;
    Some(out)
}

/// A flow over `engine`, with a fresh scratch.
pub fn flow(engine: &Rc<Engine>) -> Flow {
    Flow::new(Rc::clone(engine), Rc::new(RefCell::new(Scratch::default())))
}

/// Plays a request and, if it reached the upstream, `response` (built from
/// what the upstream received), then ends the stream.
pub fn exchange(
    flow: &mut Flow,
    host: &mut MemoryHost,
    request: &Sent,
    response: &dyn Fn(&Forwarded) -> Sent,
) -> Exchange {
    let mut ex = Exchange::default();
    match play(flow, host, Direction::Request, request) {
        None => {
            ex.replied = true;
        }
        Some(up) if up.reset => {
            // What left before the reset (if the headers did) reached the upstream.
            if !up.headers.is_empty() {
                ex.upstream = Some(up);
            }
        }
        Some(up) if up.stalled => {
            // Envoy would wait for the body forever; nothing reached the upstream.
            ex.client_status = 0;
            ex.client.stalled = true;
        }
        Some(up) => {
            let resp = response(&up);
            ex.upstream = Some(up);
            match play(flow, host, Direction::Response, &resp) {
                None => ex.replied = true,
                Some(down) => {
                    ex.client_status = down.header(":status").and_then(|s| s.parse().ok()).unwrap_or(0);
                    ex.client = down;
                }
            }
        }
    }
    if host.resets > 0 {
        // No status reaches the client; what left before the reset stays in `client`/`upstream`.
        ex.reset = true;
        ex.client_status = 0;
    } else if ex.replied {
        if let Some(r) = host.replies.last() {
            ex.client_status = r.status;
            ex.client = Forwarded {
                headers: r.headers.clone(),
                body: r.body.clone(),
                ..Forwarded::default()
            };
        }
    }
    flow.on_done(host);
    ex
}

// ---------------------------------------------------------------------------
// The case table.

/// Headers as a JSON object (`{"name": "value"}`) or a list of pairs
/// (`[["name", "value"], ...]`, for repeated names).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Headers {
    Map(BTreeMap<String, String>),
    List(Vec<(String, String)>),
}

impl Default for Headers {
    fn default() -> Self {
        Headers::List(Vec::new())
    }
}

impl Headers {
    pub fn pairs(&self) -> Vec<(String, String)> {
        match self {
            Headers::Map(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Headers::List(l) => l.clone(),
        }
    }
}

/// A policy inline or by the name of a file in `cases/policies/`.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum PolicyRef {
    Name(String),
    Inline(serde_json::Value),
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Http1,
    H2,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Runner {
    Native,
    Envoy,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseRequest {
    #[serde(default = "get")]
    pub method: String,
    #[serde(default = "slash")]
    pub path: String,
    #[serde(default)]
    pub headers: Headers,
    /// The body as text ...
    #[serde(default)]
    pub body: Option<String>,
    /// ... or as base64.
    #[serde(default)]
    pub body_base64: Option<String>,
    /// Send the body in pieces of this many bytes (HTTP/1.1 chunked; h2 DATA frames).
    #[serde(default)]
    pub chunk: Option<usize>,
    /// Trailers end the body (sent over h2 in Envoy).
    #[serde(default)]
    pub trailers: Headers,
}

fn get() -> String {
    "GET".into()
}

fn slash() -> String {
    "/".into()
}

fn ok() -> u16 {
    200
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseResponse {
    #[serde(default = "ok")]
    pub status: u16,
    #[serde(default)]
    pub headers: Headers,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub body_base64: Option<String>,
    /// Send the body in pieces of this many bytes (chunked encoding).
    #[serde(default)]
    pub chunk: Option<usize>,
    /// Trailers after the body (the native runner only: the recording
    /// upstream sends none).
    #[serde(default)]
    pub trailers: Headers,
}

impl Default for CaseResponse {
    fn default() -> Self {
        CaseResponse {
            status: 200,
            headers: Headers::Map(BTreeMap::from([("content-type".to_string(), "text/plain".to_string())])),
            body: Some("ok".into()),
            body_base64: None,
            chunk: None,
            trailers: Headers::default(),
        }
    }
}

fn decode_body(text: &Option<String>, b64: &Option<String>) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    match (text, b64) {
        (Some(_), Some(_)) => Err("both body and body_base64".into()),
        (Some(t), None) => Ok(t.as_bytes().to_vec()),
        (None, Some(b)) => base64::engine::general_purpose::STANDARD
            .decode(b)
            .map_err(|e| format!("body_base64: {e}")),
        (None, None) => Ok(Vec::new()),
    }
}

impl CaseRequest {
    pub fn body(&self) -> Result<Vec<u8>, String> {
        decode_body(&self.body, &self.body_base64)
    }
}

impl CaseResponse {
    pub fn body(&self) -> Result<Vec<u8>, String> {
        decode_body(&self.body, &self.body_base64)
    }
}

/// Expectations on a message (what the upstream received, or what the client saw).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageExpect {
    /// For the upstream: whether the request reached it (default: when `status` is not a local reply... see README).
    #[serde(default)]
    pub reached: Option<bool>,
    /// The request path as received (upstream only).
    #[serde(default)]
    pub path: Option<String>,
    /// The body is gzip: the body checks apply to it decompressed.
    #[serde(default)]
    pub gzip: bool,
    /// The body exactly, as text.
    #[serde(default)]
    pub body: Option<String>,
    /// The body parses as JSON, or as JSON lines (NDJSON).
    #[serde(default)]
    pub json_valid: bool,
    /// The body parsed as JSON equals this.
    #[serde(default)]
    pub json: Option<serde_json::Value>,
    /// JSON fields by pointer (`/contact/email`) equal these.
    #[serde(default)]
    pub json_fields: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub contains: Vec<String>,
    #[serde(default)]
    pub not_contains: Vec<String>,
    /// Header values (`null`: the header is absent).
    #[serde(default)]
    pub headers: BTreeMap<String, Option<String>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The status the client sees.
    pub status: u16,
    #[serde(default)]
    pub upstream: Option<MessageExpect>,
    #[serde(default)]
    pub client: Option<MessageExpect>,
    /// Audit record fields by dotted path (`decision`, `request.uninspected`);
    /// `request.categories` / `response.categories` (sorted, distinct) and
    /// `request.detectors` / `response.detectors` are derived from the findings.
    /// `null`: the field is absent. Present: a record must have been written.
    #[serde(default)]
    pub audit: Option<BTreeMap<String, serde_json::Value>>,
    /// `false`: no audit record may be written.
    #[serde(default)]
    pub audit_written: Option<bool>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub policy: PolicyRef,
    /// VM environment (`PIIGUARD_HASH_KEY`, `PIIGUARD_KEY_ID`).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    pub request: CaseRequest,
    #[serde(default)]
    pub response: Option<CaseResponse>,
    pub expect: Expect,
    /// Strings that must not reach the upstream, the client, the audit record or any log.
    #[serde(default)]
    pub canaries: Vec<String>,
    /// Envoy runs the case over these (default `["http1"]`; trailers imply `h2`).
    #[serde(default)]
    pub protocols: Vec<Protocol>,
    /// Run by one runner only (with a reason in `description`).
    #[serde(default)]
    pub only: Option<Runner>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    #[serde(default)]
    pub description: Option<String>,
    pub cases: Vec<Case>,
}

/// A case ready to run: its file, its resolved policy text and the id that
/// groups cases sharing one Envoy.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub file: String,
    pub case: Case,
    /// The policy JSON as the filter receives it.
    pub policy: String,
    /// Cases with equal `group` share a policy and environment.
    pub group: String,
    /// A request id unique to this case (a well-formed UUID).
    pub request_id: String,
}

impl Loaded {
    pub fn id(&self) -> String {
        format!("{}::{}", self.file, self.case.name)
    }

    pub fn protocols(&self) -> Vec<Protocol> {
        let mut p = if self.case.protocols.is_empty() {
            vec![Protocol::Http1]
        } else {
            self.case.protocols.clone()
        };
        if !self.case.request.trailers.pairs().is_empty() {
            // HTTP/1.1 trailers are dropped by Envoy's codec unless enabled: use h2.
            p = vec![Protocol::H2];
        }
        p.sort();
        p.dedup();
        p
    }

    /// The request headers as the filter sees them (pseudo-headers first).
    pub fn request_headers(&self, protocol: Protocol) -> Vec<(String, String)> {
        let r = &self.case.request;
        let mut h = vec![
            (":authority".to_string(), "localhost".to_string()),
            (":path".to_string(), r.path.clone()),
            (":method".to_string(), r.method.clone()),
            (":scheme".to_string(), "http".to_string()),
        ];
        let user = r.headers.pairs();
        if !user.iter().any(|(k, _)| k.eq_ignore_ascii_case("x-request-id")) {
            h.push(("x-request-id".into(), self.request_id.clone()));
        }
        h.extend(user);
        let body_len = r.body().map(|b| b.len()).unwrap_or(0);
        if protocol == Protocol::Http1 && body_len > 0 && !h.iter().any(|(k, _)| k == "content-length") {
            if r.chunk.is_some() {
                h.push(("transfer-encoding".into(), "chunked".into()));
            } else {
                h.push(("content-length".into(), body_len.to_string()));
            }
        }
        h
    }
}

/// The directory of the case table (`filter/tests/cases`).
pub fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

/// Loads every `*.json` in `dir` (not `policies/`), sorted by file name.
pub fn load_cases(dir: &Path) -> Result<Vec<Loaded>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for f in files {
        let file = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{file}: {e}"))?;
        let cf: CaseFile = serde_json::from_str(&text).map_err(|e| format!("{file}: {e}"))?;
        for case in cf.cases {
            let (policy, group_name) = match &case.policy {
                PolicyRef::Name(n) => {
                    let p = dir.join("policies").join(format!("{n}.json"));
                    let t =
                        std::fs::read_to_string(&p).map_err(|e| format!("{file}: {}: policy {n}: {e}", case.name))?;
                    (t, format!("policy:{n}"))
                }
                PolicyRef::Inline(v) => {
                    let t = serde_json::to_string(v).map_err(|e| format!("{file}: {e}"))?;
                    (t.clone(), format!("inline:{t}"))
                }
            };
            let policy = with_hold_headers(&policy)?;
            let env: Vec<String> = case.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let group = format!("{group_name}|{}", env.join(","));
            let n = out.len();
            let l = Loaded {
                file: file.clone(),
                case,
                policy,
                group,
                request_id: format!("00000000-0000-4000-8000-{:012x}", n + 1),
            };
            if !names.insert(l.id()) {
                return Err(format!("duplicate case name {}", l.id()));
            }
            out.push(l);
        }
    }
    Ok(out)
}

/// Like the shipped Envoy config (`allow_on_headers_stop_iteration`), a
/// case's policy holds headers unless it says otherwise.
fn with_hold_headers(policy: &str) -> Result<String, String> {
    let mut v: serde_json::Value = serde_json::from_str(policy).map_err(|e| format!("policy: {e}"))?;
    if let Some(o) = v.as_object_mut() {
        o.entry("hold_headers").or_insert(serde_json::Value::Bool(true));
    }
    serde_json::to_string(&v).map_err(|e| e.to_string())
}

/// The engine a case's Envoy would build (policy and VM environment).
pub fn engine_for(l: &Loaded) -> Result<Engine, String> {
    let policy = Policy::from_json(l.policy.as_bytes()).map_err(|e| format!("policy: {e}"))?;
    let hasher = l
        .case
        .env
        .get("PIIGUARD_HASH_KEY")
        .and_then(|k| Hasher::new(k.as_bytes(), l.case.env.get("PIIGUARD_KEY_ID").cloned()));
    Engine::new(policy, hasher).map_err(|e| format!("engine: {}", e.0))
}

/// A request as the upstream received it (header names lower-case, no pseudo-headers).
#[derive(Clone, Debug, Default)]
pub struct Seen {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The upstream's answer for a case.
#[derive(Clone, Debug, Default)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub chunk: Option<usize>,
    pub trailers: Vec<(String, String)>,
}

/// What a runner observed for one case, in one protocol.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    pub status: u16,
    pub client_headers: Vec<(String, String)>,
    pub client_body: Vec<u8>,
    /// What the upstream received: path, headers (lower-case names, no pseudo-headers), body.
    pub upstream: Option<Seen>,
    /// The case's audit record, if one was written.
    pub audit: Option<serde_json::Value>,
    /// Everything the filter logged (native) or the proxy's log (Envoy).
    pub logs: String,
}

/// The upstream's response for a case.
pub fn upstream_response(l: &Loaded) -> Result<Answer, String> {
    let r = l.case.response.clone().unwrap_or_default();
    Ok(Answer {
        status: r.status,
        headers: r.headers.pairs(),
        body: r.body()?,
        chunk: r.chunk,
        trailers: r.trailers.pairs(),
    })
}

/// Runs a case natively through `Flow` and the in-memory host.
pub fn run_native(l: &Loaded, engine: &Rc<Engine>) -> Result<(Observed, MemoryHost), String> {
    let body = l.case.request.body()?;
    let mut req = Sent::new(l.request_headers(Protocol::Http1), &body, l.case.request.chunk);
    req.trailers = l.case.request.trailers.pairs();
    let Answer {
        status,
        headers: rh,
        body: rbody,
        chunk: rchunk,
        trailers: rtrailers,
    } = upstream_response(l)?;
    let mut host = MemoryHost::new()
        .with_property(&["request", "id"], l.request_id.as_bytes())
        .with_property(&["xds", "route_name"], b"demo-all")
        .with_property(&["xds", "cluster_name"], b"demo_upstream");
    let mut f = flow(engine);
    let respond = |_: &Forwarded| {
        let mut h = vec![(":status".to_string(), status.to_string())];
        h.extend(rh.iter().cloned());
        if !rbody.is_empty() && !h.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-length")) {
            if rchunk.is_some() {
                h.push(("transfer-encoding".into(), "chunked".into()));
            } else {
                h.push(("content-length".into(), rbody.len().to_string()));
            }
        }
        let mut s = Sent::new(h, &rbody, rchunk);
        s.trailers = rtrailers.clone();
        s
    };
    let ex = exchange(&mut f, &mut host, &req, &respond);
    if ex.client.stalled {
        return Err("the filter stalled (held a message without deciding)".into());
    }
    let upstream = ex.upstream.as_ref().map(|u| {
        let path = u.header(":path").unwrap_or("").to_string();
        // trailers reach the receiver as header fields: checked with them
        let headers = u
            .headers
            .iter()
            .chain(u.trailers.iter())
            .filter_map(|(k, v)| {
                if k == ":authority" {
                    Some(("host".to_string(), v.clone()))
                } else if k.starts_with(':') {
                    None
                } else {
                    Some((k.to_ascii_lowercase(), v.clone()))
                }
            })
            .collect();
        Seen {
            path,
            headers,
            body: u.body.clone(),
        }
    });
    let obs = Observed {
        status: ex.client_status as u16,
        client_headers: ex
            .client
            .headers
            .iter()
            .chain(ex.client.trailers.iter())
            .filter(|(k, _)| !k.starts_with(':'))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect(),
        client_body: ex.client.body.clone(),
        upstream,
        audit: host.audit(),
        logs: host.logs.join("\n"),
    };
    Ok((obs, host))
}

fn lookup<'a>(v: &'a serde_json::Value, dotted: &str) -> Option<&'a serde_json::Value> {
    let mut cur = v;
    for part in dotted.split('.') {
        cur = cur.get(part)?;
    }
    Some(cur)
}

fn derived(audit: &serde_json::Value, key: &str) -> Option<serde_json::Value> {
    let (dir, what) = key.rsplit_once('.')?;
    let field = match what {
        "categories" => "category",
        "detectors" => "detector",
        _ => return None,
    };
    if dir != "request" && dir != "response" {
        return None;
    }
    let mut names: Vec<String> = audit[dir]["findings"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f[field].as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    names.sort();
    names.dedup();
    Some(serde_json::json!(names))
}

fn header_of<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Every reading of `b` a receiver could make, joined: the bytes as UTF-8,
/// UTF-16 (both orders) and UTF-32, gunzipped (stacked and multi-member
/// layers, and every gRPC-framed message), base64 (whole, and every token
/// of 16 or more characters, standard or URL-safe, from any of its first
/// four offsets), and the escapes a lenient receiver decodes (character
/// references, `\u0040`, XML comments and CDATA, percent-encoding until
/// stable). Canaries are searched in this, so a value re-encoded on its
/// way out still counts as leaked.
pub fn readings(b: &[u8]) -> String {
    use base64::Engine as _;
    use std::io::Read;
    // gzip, else zlib, else raw deflate (each read up to where it breaks,
    // as lenient decoders do): what a receiver that inflates unlabelled bytes reads
    let gunzip = |b: &[u8]| {
        let mut out = Vec::new();
        let _ = flate2::read::MultiGzDecoder::new(b).read_to_end(&mut out);
        if out.is_empty() {
            let _ = flate2::read::ZlibDecoder::new(b).read_to_end(&mut out);
        }
        if out.is_empty() {
            let _ = flate2::read::DeflateDecoder::new(b).read_to_end(&mut out);
        }
        out
    };
    let mut layers = vec![b.to_vec()];
    for _ in 0..3 {
        let g = gunzip(layers.last().map(Vec::as_slice).unwrap_or(b""));
        if g.is_empty() {
            break;
        }
        layers.push(g);
    }
    // gRPC frames: each message, gunzipped when compressed
    let mut i = 0;
    while i + 5 <= b.len() {
        let n = u32::from_be_bytes([b[i + 1], b[i + 2], b[i + 3], b[i + 4]]) as usize;
        if i + 5 + n > b.len() {
            break;
        }
        layers.push(gunzip(&b[i + 5..i + 5 + n]));
        i += 5 + n;
    }
    let clean: Vec<u8> = b.iter().copied().filter(|c| !c.is_ascii_whitespace()).collect();
    if let Ok(d) = base64::engine::general_purpose::STANDARD.decode(&clean) {
        layers.push(d);
    }
    let mut all = String::new();
    for l in &layers {
        all.push_str(&String::from_utf8_lossy(l));
        let u: Vec<u16> = l.chunks_exact(2).map(|p| u16::from_le_bytes([p[0], p[1]])).collect();
        all.push_str(&String::from_utf16_lossy(&u));
        let u: Vec<u16> = l.chunks_exact(2).map(|p| u16::from_be_bytes([p[0], p[1]])).collect();
        all.push_str(&String::from_utf16_lossy(&u));
        all.extend(
            l.chunks_exact(4)
                .filter_map(|p| char::from_u32(u32::from_le_bytes([p[0], p[1], p[2], p[3]]))),
        );
    }
    // quoted-printable (MIME parts, mail bodies), decoded by the receiver
    let qp: Vec<String> = layers
        .iter()
        .filter_map(|l| crate::multipart::transfer_decode(Some("quoted-printable"), l))
        .map(|d| String::from_utf8_lossy(&d).into_owned())
        .collect();
    all.extend(qp);
    // base64 tokens anywhere (each padded chunk on its own, as gRPC-Web text
    // sends them), also when wrapped over lines (MIME decoders skip white space)
    let mut extra = String::new();
    let wrapped: Vec<String> = all
        .split(|c: char| !(c.is_ascii_alphanumeric() || "+/-_=".contains(c) || c.is_ascii_whitespace()))
        .map(|t| t.chars().filter(|c| !c.is_ascii_whitespace()).collect())
        .collect();
    let tokens = all
        .split(|c: char| !(c.is_ascii_alphanumeric() || "+/-_=".contains(c)))
        .chain(wrapped.iter().map(String::as_str));
    for tok in tokens {
        for chunk in tok.split_inclusive('=') {
            let t = chunk.trim_end_matches('=').replace('-', "+").replace('_', "/");
            for skip in 0..4 {
                if let Some(t) = t.get(skip..).filter(|t| t.len() >= 16) {
                    if let Ok(d) = base64::engine::general_purpose::STANDARD_NO_PAD.decode(t) {
                        extra.push_str(&String::from_utf8_lossy(&d));
                        extra.push_str(&String::from_utf8_lossy(&gunzip(&d)));
                    }
                }
            }
        }
    }
    all.push_str(&extra);
    unescaped(&all)
}

/// Decodes the escapes a lenient receiver would, until stable.
fn unescaped(s: &str) -> String {
    let mut cur = s.to_string();
    for _ in 0..6 {
        let mut next = cur
            .replace("&#64;", "@")
            .replace("&#x40;", "@")
            .replace("&commat;", "@")
            .replace("&period;", ".")
            .replace("&amp;", "&")
            .replace("\\u0040", "@")
            .replace("<!--x-->", "")
            .replace("<![CDATA[", "")
            .replace("]]>", "");
        next = String::from_utf8_lossy(&crate::http::percent_decode(next.as_bytes(), true)).into_owned();
        if next == cur {
            break;
        }
        cur = next;
    }
    cur
}

/// A body decompressed when its headers say gzip (for checks and canaries).
fn plain_body(headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    use std::io::Read;
    if header_of(headers, "content-encoding").is_some_and(|c| c.eq_ignore_ascii_case("gzip")) {
        let mut out = Vec::new();
        if flate2::read::MultiGzDecoder::new(body).read_to_end(&mut out).is_ok() {
            return out;
        }
    }
    body.to_vec()
}

fn check_message(
    what: &str,
    e: &MessageExpect,
    path: Option<&str>,
    headers: &[(String, String)],
    body: &[u8],
    errs: &mut Vec<String>,
) {
    let plain;
    let body = if e.gzip {
        if header_of(headers, "content-encoding") != Some("gzip") {
            errs.push(format!("{what}: not gzip"));
        }
        plain = plain_body(headers, body);
        plain.as_slice()
    } else {
        body
    };
    let text = String::from_utf8_lossy(body);
    if let (Some(want), Some(got)) = (&e.path, path) {
        if want != got {
            errs.push(format!("{what} path: want {want:?}, got {got:?}"));
        }
    }
    if let Some(want) = &e.body {
        if *want != text {
            errs.push(format!("{what} body: want {want:?}, got {text:?}"));
        }
    }
    if e.json_valid {
        let t = text.trim_start_matches('\u{feff}');
        let lines = || {
            t.lines()
                .all(|l| l.trim().is_empty() || serde_json::from_str::<serde_json::Value>(l).is_ok())
        };
        if serde_json::from_str::<serde_json::Value>(t).is_err() && !lines() {
            errs.push(format!("{what} body is not JSON: {text:?}"));
        }
    }
    if e.json.is_some() || !e.json_fields.is_empty() {
        match serde_json::from_slice::<serde_json::Value>(body) {
            Err(err) => errs.push(format!("{what} body is not JSON ({err}): {text:?}")),
            Ok(v) => {
                if let Some(want) = &e.json {
                    if *want != v {
                        errs.push(format!("{what} JSON: want {want}, got {v}"));
                    }
                }
                for (ptr, want) in &e.json_fields {
                    let got = v.pointer(ptr).cloned().unwrap_or(serde_json::Value::Null);
                    if got != *want {
                        errs.push(format!("{what} JSON {ptr}: want {want}, got {got}"));
                    }
                }
            }
        }
    }
    for s in &e.contains {
        if !text.contains(s.as_str()) {
            errs.push(format!("{what} body lacks {s:?}: {text:?}"));
        }
    }
    for s in &e.not_contains {
        if text.contains(s.as_str()) {
            errs.push(format!("{what} body contains {s:?}"));
        }
    }
    for (name, want) in &e.headers {
        let got = header_of(headers, name);
        if got != want.as_deref() {
            errs.push(format!("{what} header {name}: want {want:?}, got {got:?}"));
        }
    }
}

/// Checks an observation against the case; returns the failures.
pub fn check(l: &Loaded, o: &Observed) -> Vec<String> {
    let e = &l.case.expect;
    let mut errs = Vec::new();
    if o.status != e.status {
        errs.push(format!(
            "status: want {}, got {} (client body {:?})",
            e.status,
            o.status,
            String::from_utf8_lossy(&o.client_body)
        ));
    }
    if let Some(u) = &e.upstream {
        match (&o.upstream, u.reached) {
            (None, Some(false)) => {}
            (None, _) => errs.push("upstream: the request never reached it".into()),
            (Some(_), Some(false)) => errs.push("upstream: the request reached it".into()),
            (Some(s), _) => check_message("upstream", u, Some(&s.path), &s.headers, &s.body, &mut errs),
        }
    }
    if let Some(c) = &e.client {
        check_message("client", c, None, &o.client_headers, &o.client_body, &mut errs);
    }
    match (&e.audit, &o.audit, e.audit_written) {
        (_, Some(_), Some(false)) => errs.push("audit: a record was written".into()),
        (Some(_), None, _) | (None, None, Some(true)) => errs.push("audit: no record".into()),
        (Some(want), Some(rec), _) => {
            for (k, w) in want {
                let got = derived(rec, k)
                    .or_else(|| lookup(rec, k).cloned())
                    .unwrap_or(serde_json::Value::Null);
                if got != *w {
                    errs.push(format!("audit {k}: want {w}, got {got} (record {rec})"));
                }
            }
        }
        _ => {}
    }
    // every reading of the bodies (encodings, escapes), computed once
    let (upstream_read, client_read) = if l.case.canaries.is_empty() {
        (String::new(), String::new())
    } else {
        (
            o.upstream.as_ref().map(|s| readings(&s.body)).unwrap_or_default(),
            readings(&o.client_body),
        )
    };
    for c in &l.case.canaries {
        let mut places = Vec::new();
        if let Some(Seen {
            path,
            headers: h,
            body: b,
        }) = &o.upstream
        {
            if path.contains(c.as_str())
                || h.iter().any(|(k, v)| k.contains(c.as_str()) || v.contains(c.as_str()))
                || String::from_utf8_lossy(b).contains(c.as_str())
                || String::from_utf8_lossy(&plain_body(h, b)).contains(c.as_str())
                || upstream_read.contains(c.as_str())
            {
                places.push("upstream");
            }
        }
        if o.client_headers
            .iter()
            .any(|(k, v)| k.contains(c.as_str()) || v.contains(c.as_str()))
            || String::from_utf8_lossy(&o.client_body).contains(c.as_str())
            || String::from_utf8_lossy(&plain_body(&o.client_headers, &o.client_body)).contains(c.as_str())
            || client_read.contains(c.as_str())
        {
            places.push("client");
        }
        if o.audit.as_ref().is_some_and(|a| a.to_string().contains(c.as_str())) {
            places.push("audit");
        }
        if o.logs.contains(c.as_str()) {
            places.push("logs");
        }
        if !places.is_empty() {
            errs.push(format!("canary {c:?} reached {}", places.join(", ")));
        }
    }
    errs
}

/// The engine benchmark's inputs (also built into the in-V8 benchmark module,
/// which has no `testing` feature, hence the file lives under `benches/`).
#[path = "../benches/inputs.rs"]
mod bench_inputs;

/// The request shapes the fixed-cost guards (`filter/tests/host_budget.rs`)
/// and the native profile (`filter/examples/profile_flow.rs`) both play:
/// one policy, one request and one response each.
pub mod shapes {
    use super::{exchange, Exchange, MemoryHost, Sent};
    use crate::flow::Flow;

    /// Every category redacted, both ways.
    pub const REDACT_BOTH: &str =
        r#"{"version":1,"default":{"request":{"actions":{"*":"redact"}},"response":{"actions":{"*":"redact"}}}}"#;
    /// Every action `allow`, both ways: nothing can be logged, redacted or blocked.
    pub const ALLOW_BOTH: &str =
        r#"{"version":1,"default":{"request":{"actions":{"*":"allow"}},"response":{"actions":{"*":"allow"}}}}"#;
    /// Inspection off both ways (`headers`, `query`, `body` false) on a redacting route.
    pub const OFF: &str = r#"{"version":1,"default":{"request":{"actions":{"*":"redact"},"body":false,"headers":false,"query":false},"response":{"actions":{"*":"redact"},"body":false,"headers":false,"query":false}}}"#;

    pub struct Shape {
        pub name: &'static str,
        pub policy: &'static str,
        pub method: &'static str,
        pub req: Vec<u8>,
        pub resp: Vec<u8>,
    }

    /// JSON records dense with personal data (names, e-mails, cards), about `size` bytes.
    pub fn dense(size: usize) -> Vec<u8> {
        let mut s = String::from("{\"customers\":[");
        let mut i = 0;
        while s.len() < size.saturating_sub(200).max(100) {
            if i > 0 {
                s.push(',');
            }
            s.push_str(&format!(
                r#"{{"id":{i},"name":"Jane Doe","email":"jane.doe{i}@example.com","card":"4111 1111 1111 1111","note":"order {i} shipped","sku":"W-{i}","qty":2}}"#
            ));
            i += 1;
        }
        s.push_str("]}");
        s.into_bytes()
    }

    /// A product catalog without personal data (SKUs, UUIDs, prices,
    /// timestamps, words), about `size` bytes: the common clean response. The
    /// same records as the engine benchmark's `json_catalog`, generated once
    /// (`filter/benches/inputs.rs`).
    pub fn catalog(size: usize) -> Vec<u8> {
        super::bench_inputs::catalog_json(size.saturating_sub(300).max(100))
    }

    /// The shapes, cheapest first (the names `make bench` uses too).
    pub fn all() -> Vec<Shape> {
        let shape = |name, policy, method, req: Vec<u8>, resp: Vec<u8>| Shape {
            name,
            policy,
            method,
            req,
            resp,
        };
        vec![
            shape("off_post_1k", OFF, "POST", dense(1024), dense(1024)),
            shape("allow_post_1k", ALLOW_BOTH, "POST", dense(1024), dense(1024)),
            shape("get_no_body", REDACT_BOTH, "GET", Vec::new(), Vec::new()),
            shape("get_clean_16k", REDACT_BOTH, "GET", Vec::new(), catalog(16 * 1024)),
            shape("dense_1k", REDACT_BOTH, "POST", dense(1024), dense(1024)),
            shape("dense_16k", REDACT_BOTH, "POST", dense(16 * 1024), dense(16 * 1024)),
            shape("dense_256k", REDACT_BOTH, "POST", dense(256 * 1024), dense(256 * 1024)),
        ]
    }

    fn pairs(h: &[(&str, &str)]) -> Vec<(String, String)> {
        h.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    impl Shape {
        /// The request as a benchmark client sends it.
        pub fn request(&self) -> Sent {
            let mut h = pairs(&[
                (":authority", "bench"),
                (":path", "/echo"),
                (":method", self.method),
                (":scheme", "http"),
                ("user-agent", "bench/1.0"),
                ("accept", "*/*"),
                ("x-forwarded-proto", "http"),
                ("x-request-id", "5f0c7c6e-2d7b-4f7e-9d6a-0d2b8f0e9a11"),
            ]);
            if !self.req.is_empty() {
                h.push(("content-type".into(), "application/json".into()));
                h.push(("content-length".into(), self.req.len().to_string()));
            }
            Sent::new(h, &self.req, None)
        }

        /// The upstream's response.
        pub fn response(&self) -> Sent {
            let mut h = pairs(&[(":status", "200"), ("server", "envoy")]);
            if !self.resp.is_empty() {
                h.push(("content-type".into(), "application/json".into()));
            }
            h.push(("content-length".into(), self.resp.len().to_string()));
            Sent::new(h, &self.resp, None)
        }

        /// A host as Envoy's would answer (the route name is known).
        pub fn host(&self) -> MemoryHost {
            MemoryHost::new().with_property(&["xds", "route_name"], b"echo")
        }

        /// Plays the exchange through `flow`.
        pub fn play(&self, flow: &mut Flow, host: &mut MemoryHost, req: &Sent, resp: &Sent) -> Exchange {
            exchange(flow, host, req, &|_| resp.clone())
        }
    }
}
