//! The plugin configuration as it is written (JSON, version 1). Parsing is
//! strict: unknown fields are rejected and every error names its JSON path.
//! [`crate::policy::Policy::compile`] turns it into the immutable policy.

#[cfg(feature = "testing")]
use serde::Deserialize;
use serde::Serialize;

mod read;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The JSON Schema this document follows (for editors); ignored.
    #[serde(default, rename = "$schema", skip_serializing)]
    pub schema: Option<String>,
    /// Schema version of this document; must be 1.
    #[cfg_attr(feature = "schema", schemars(range(min = 1, max = 1)))]
    pub version: u32,
    /// Free label of the policy (shown in the audit record).
    #[serde(default)]
    pub policy_version: Option<String>,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub detectors: DetectorsConfig,
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
    /// Applies when no route matches.
    #[serde(default)]
    pub default: Option<RouteConfig>,
    #[serde(default)]
    pub subject: Option<SubjectConfig>,
    #[serde(default)]
    pub audit: AuditConfig,
    #[serde(default)]
    pub consent: ConsentConfig,
    /// Hold request/response headers until the body is decided, so that a
    /// block is always a clean local reply. Needs the Wasm plugin setting
    /// `allow_on_headers_stop_iteration: true` (Envoy config / EnvoyFilter);
    /// leave it off under Istio's WasmPlugin, which cannot set it: headers then
    /// go on at once and a response blocked after its headers resets the stream.
    #[serde(default)]
    pub hold_headers: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest body inspected, in bytes (default 1 MiB, Envoy's default buffer).
    #[cfg_attr(feature = "schema", schemars(range(min = 1)))]
    pub max_body_bytes: usize,
    /// Deepest JSON nesting inspected (default 128).
    #[cfg_attr(feature = "schema", schemars(range(min = 1)))]
    pub max_json_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1 << 20,
            max_json_depth: 128,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct DetectorsConfig {
    /// Built-in detector ids (or categories) that never run.
    pub disabled: Vec<String>,
    pub custom: Vec<CustomDetectorConfig>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomDetectorConfig {
    pub id: String,
    pub category: String,
    /// Regular expression (Rust `regex` syntax) matched against folded text.
    pub pattern: String,
    #[serde(default)]
    pub validator: ValidatorName,
    /// Field names (any style) whose values belong to this detector.
    #[serde(default)]
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ValidatorName {
    #[default]
    None,
    Luhn,
    Mod97,
}

#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Route name (required in `routes`, unused in `default`).
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, rename = "match")]
    pub matcher: Option<MatchConfig>,
    /// Report what would happen, but only log.
    #[serde(default)]
    pub shadow: bool,
    #[serde(default)]
    pub request: DirectionConfig,
    #[serde(default)]
    pub response: DirectionConfig,
    /// What to do with a body larger than `limits.max_body_bytes`.
    #[serde(default)]
    pub on_oversize: Option<OnOversize>,
    /// What to do with a body that cannot be inspected (unknown or stacked
    /// encoding, corrupt gzip, unknown charset, nesting too deep, compressed
    /// gRPC it cannot read). Default: `block` when the route redacts or
    /// blocks anything, else `log`; `log`/`allow` only when set explicitly.
    #[serde(default)]
    pub on_uninspectable: Option<OnUninspectable>,
    /// Streams that cannot be buffered (WebSocket/upgrades, CONNECT,
    /// `text/event-stream`): `block` (default when the route redacts or
    /// blocks anything) or `allow` (pass unread, headers inspected, the
    /// audit notes it; default on routes that only log). gRPC is buffered
    /// and inspected unless the route sets `allow`.
    #[serde(default)]
    pub on_stream: Option<OnStream>,
    /// HTTP status of a block (default 403).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(range(min = 400, max = 599)))]
    pub block_status: Option<u16>,
    /// Records of processing (GDPR art. 30): what the route is for.
    #[serde(default)]
    pub purpose: Option<String>,
    #[serde(default)]
    pub legal_basis: Option<LegalBasis>,
    #[serde(default)]
    pub retention: Option<String>,
    /// When `legal_basis` is `consent` (or the subject objected to `purpose`,
    /// or restricted processing): what applies without consent.
    #[serde(default)]
    pub without_consent: Option<WithoutConsent>,
    /// Personal data may only cross an encrypted hop: a request carrying any
    /// over a hop that is not encrypted is blocked (`plaintext_transfer_blocked`).
    /// `{"on": "downstream"}`, `{"on": "mesh"}` or `{"on": "upstream", ...}`
    /// (see [`RequireTls`]); `false` (the default) turns it off.
    #[serde(default)]
    pub require_tls: RequireTls,
    /// Where the recipient is (`EU`, `US`, ...), shown in the audit record.
    #[serde(default)]
    pub region: Option<String>,
}

/// Which hop `require_tls` judges. Every one is read from what Envoy saw on
/// the connection, never from a header the client sends (`:scheme` and
/// `x-forwarded-proto` are the client's word on a plaintext hop).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RequireTls {
    /// `false`: no requirement.
    #[default]
    Off,
    On(RequireTlsOn),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RequireTlsOn {
    pub on: TlsHop,
    /// `upstream` only: clusters known to use TLS (Istio `ISTIO_MUTUAL`
    /// DestinationRules, the HBONE tunnel of a waypoint), exact names or
    /// globs with `*` (e.g. `outbound|*||*.svc.cluster.local`,
    /// `inbound-vip|*`). Clusters Istio originates TLS to (DestinationRule
    /// `SIMPLE`/`MUTUAL`) and clusters whose metadata says `piiguard.tls: true`
    /// count without being listed.
    #[serde(default)]
    pub clusters: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TlsHop {
    /// The connection the request arrived on is TLS (`connection.tls_version`):
    /// an edge gateway that terminates TLS.
    Downstream,
    /// The connection the request arrived on is mutual TLS (`connection.mtls`):
    /// a sidecar's inbound side (WasmPlugin `mode: SERVER`) under mesh mTLS.
    Mesh,
    /// The cluster the request is routed to uses TLS (cluster name and
    /// metadata before the request leaves; `upstream.tls_version` checked on
    /// the response): a sidecar's outbound side (`mode: CLIENT`), a waypoint,
    /// egress.
    Upstream,
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for RequireTls {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RequireTls".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let on = generator.subschema_for::<RequireTlsOn>();
        schemars::json_schema!({
            "description": "Which hop must be encrypted for personal data to pass; `false`: off.",
            "oneOf": [{ "const": false }, on]
        })
    }
}

impl Serialize for RequireTls {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RequireTls::Off => s.serialize_bool(false),
            RequireTls::On(on) => on.serialize(s),
        }
    }
}

#[cfg(feature = "testing")]
impl<'de> Deserialize<'de> for RequireTls {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RequireTls;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"false or {"on": "downstream" | "mesh" | "upstream"}"#)
            }
            fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<RequireTls, E> {
                if b {
                    Err(E::custom(
                        r#"`true` does not say which hop must be encrypted: use {"on": "downstream"} (edge gateway), {"on": "mesh"} (inbound mTLS) or {"on": "upstream"} (outbound cluster)"#,
                    ))
                } else {
                    Ok(RequireTls::Off)
                }
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, m: A) -> Result<RequireTls, A::Error> {
                RequireTlsOn::deserialize(serde::de::value::MapAccessDeserializer::new(m)).map(RequireTls::On)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct WithoutConsent {
    /// `block` the request, or `redact` the listed categories in both directions.
    pub action: Action,
    /// Categories or detectors to redact (default: everything, `*`).
    #[serde(default)]
    pub categories: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct ConsentConfig {
    /// JWT claim with the consented purposes (array, or space/comma separated).
    pub jwt_claim: Option<String>,
    /// Header with the consented purposes (comma separated), set by a consent service.
    pub header: Option<String>,
    /// Subjects (pseudonyms) who objected to purposes (GDPR art. 21).
    pub objections: Vec<Objection>,
    /// Subjects (pseudonyms) whose processing is restricted (art. 18): every
    /// route except those with legal basis `legal_obligation` or `vital_interests`.
    pub restricted: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Objection {
    pub subject: String,
    pub purposes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MatchConfig {
    /// Envoy route name (`xds.route_name`).
    #[serde(default)]
    pub route_name: Option<String>,
    /// Host/authority, exact or `*.suffix` (port ignored, case-insensitive).
    #[serde(default)]
    pub hosts: Vec<String>,
    /// The whole path, after normalisation (see the README's security model:
    /// dot segments, merged slashes, percent-decoding, matrix parameters and
    /// a trailing slash do not change what matches).
    #[serde(default)]
    pub path_exact: Option<String>,
    /// A prefix of the normalised path; a prefix ending in `/` matches that
    /// path itself too (`/api/` matches `/api` and `/api/x`, not `/apix`).
    #[serde(default)]
    pub path_prefix: Option<String>,
    /// A regular expression for the whole normalised path (anchored).
    #[serde(default)]
    pub path_regex: Option<String>,
    /// Compare paths ignoring ASCII case (default true: `/PAYMENTS` is
    /// `/payments`, as case-insensitive upstreams see it). Set `false` only
    /// where the upstream is known to be case-sensitive and a differently
    /// cased path must not fall under this rule.
    #[serde(default = "default_true")]
    pub ignore_case: bool,
    #[serde(default)]
    pub methods: Vec<String>,
    /// Caller identities (mTLS URI SAN, e.g. `spiffe://cluster.local/ns/crm/sa/web`),
    /// exact or ending in `*` for a prefix.
    #[serde(default)]
    pub peers: Vec<String>,
    /// Invert `peers`: match callers *not* listed.
    #[serde(default)]
    pub peers_not: bool,
    /// Envoy upstream cluster names (`xds.cluster_name`), for egress rules.
    #[serde(default)]
    pub clusters: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct DirectionConfig {
    /// Action per detector id, category or `*`.
    pub actions: BTreeMap<String, Action>,
    /// Redaction strategy per detector id, category or `*` (default `tag`).
    pub strategies: BTreeMap<String, Strategy>,
    /// Rules per JSON path (`$.card.number`, `$.items[*].name`).
    pub paths: BTreeMap<String, PathRuleConfig>,
    /// Inspect header values (and cookies).
    pub headers: bool,
    /// Inspect query parameters (request only).
    pub query: bool,
    /// Inspect the body.
    pub body: bool,
    /// Headers never inspected, in addition to the built-in list.
    pub skip_headers: Vec<String>,
}

impl Default for DirectionConfig {
    fn default() -> Self {
        DirectionConfig {
            actions: BTreeMap::new(),
            strategies: BTreeMap::new(),
            paths: BTreeMap::new(),
            headers: true,
            query: true,
            body: true,
            skip_headers: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Allow,
    Log,
    Redact,
    Block,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Log => "log",
            Action::Redact => "redact",
            Action::Block => "block",
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Strategy {
    /// `[EMAIL]`
    Tag,
    /// Same length, every character `*`.
    Mask,
    /// Keep the last N characters (cards: last 4); emails keep their domain.
    Partial(PartialOpts),
    /// Keyed HMAC-SHA256 pseudonym (key from the VM environment).
    Hash,
    /// Drop the JSON member (elsewhere: empty value).
    Remove,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PartialOpts {
    #[serde(default = "default_keep")]
    pub keep_last: usize,
}

fn default_true() -> bool {
    true
}

impl Default for MatchConfig {
    fn default() -> Self {
        MatchConfig {
            route_name: None,
            hosts: Vec::new(),
            path_exact: None,
            path_prefix: None,
            path_regex: None,
            ignore_case: true,
            methods: Vec::new(),
            peers: Vec::new(),
            peers_not: false,
            clusters: Vec::new(),
        }
    }
}

fn default_keep() -> usize {
    4
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum PathRuleConfig {
    Action(Action),
    Full(PathRule),
}

/// An action or a [`PathRule`], read as it comes (not buffered as serde's
/// `untagged` does): an error inside the rule is reported where it is, with
/// its path (`config::parse` finds paths from serde_json's positions).
#[cfg(feature = "testing")]
impl<'de> Deserialize<'de> for PathRuleConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = PathRuleConfig;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(PATH_RULE_EXPECTED)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PathRuleConfig, E> {
                Action::deserialize(serde::de::value::StrDeserializer::<E>::new(v)).map(PathRuleConfig::Action)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, m: A) -> Result<PathRuleConfig, A::Error> {
                PathRule::deserialize(serde::de::value::MapAccessDeserializer::new(m)).map(PathRuleConfig::Full)
            }
        }
        d.deserialize_any(V)
    }
}

const PATH_RULE_EXPECTED: &str =
    r#"an action ("allow", "log", "redact", "block") or {"action": ..., "strategy": ..., "category": ...}"#;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PathRule {
    pub action: Action,
    #[serde(default)]
    pub strategy: Option<Strategy>,
    /// Category recorded for values forced by this rule (default `custom_path`).
    #[serde(default)]
    pub category: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OnOversize {
    Block,
    Allow,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OnStream {
    Allow,
    Block,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OnUninspectable {
    Block,
    Log,
    Allow,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    Consent,
    Contract,
    LegalObligation,
    VitalInterests,
    PublicTask,
    LegitimateInterests,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SubjectConfig {
    /// Ordered sources; the first that yields a value wins.
    pub sources: Vec<SubjectSource>,
    /// Header that carries the pseudonym upstream.
    #[serde(default = "default_subject_header")]
    pub header: String,
    /// `payload_in_metadata` of an Envoy `jwt_authn` filter placed before
    /// piiguard: when set, `jwt_claim` reads the verified payload first.
    #[serde(default)]
    pub verified_payload_key: Option<String>,
}

fn default_subject_header() -> String {
    "x-piiguard-subject".to_string()
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SubjectSource {
    Header(String),
    /// JWT claim from the bearer token (or the payload `jwt_authn` verified).
    JwtClaim(String),
    Cookie(String),
    Query(String),
    RequestBody(String),
    ResponseBody(String),
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// `findings` (default): only requests with findings; `all`: every request.
    pub mode: AuditMode,
    /// Also write each record as a log line (`piiguard-audit: {...}`).
    pub log: bool,
    /// Also publish each field of the record under its own filter-state key
    /// (`wasm.piiguard_a_<field>`: decision, route, subject, per direction
    /// the categories, detectors, actions, values counted), for access
    /// loggers that take one value per attribute (OpenTelemetry, Istio's
    /// `envoyOtelAls` labels). Off by default: it costs one host call per
    /// field on every audited request (about 15), and the whole record is
    /// always in `wasm.piiguard_audit`.
    pub attributes: bool,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            mode: AuditMode::Findings,
            log: false,
            attributes: false,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "testing", derive(Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditMode {
    Findings,
    All,
}

/// A configuration error: where (JSON path, and line/column when known) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: String,
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl ConfigError {
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            path: path.into(),
            message: message.into(),
            line: None,
            column: None,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, " (line {l}, column {c})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Every piiguard configuration embedded in a document (an Envoy config or
/// an Istio manifest, as JSON values): Envoy `google.protobuf.StringValue`
/// configurations holding a versioned JSON, and Istio `pluginConfig` objects.
/// Returns (where it was found, the configuration's JSON text).
pub fn embedded_configs(doc: &serde_json::Value) -> Vec<(String, String)> {
    fn walk(v: &serde_json::Value, at: &str, out: &mut Vec<(String, String)>) {
        match v {
            serde_json::Value::Object(m) => {
                let ty = m.get("@type").and_then(|t| t.as_str()).unwrap_or("");
                if ty.ends_with("google.protobuf.StringValue") {
                    if let Some(s) = m
                        .get("value")
                        .and_then(|s| s.as_str())
                        .filter(|s| s.contains("\"version\""))
                    {
                        out.push((format!("{at}.value"), s.to_string()));
                    }
                }
                for (k, child) in m {
                    if k == "pluginConfig" {
                        out.push((
                            format!("{at}.pluginConfig"),
                            serde_json::to_string_pretty(child).unwrap_or_default(),
                        ));
                    } else {
                        walk(child, &format!("{at}.{k}"), out);
                    }
                }
            }
            serde_json::Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    walk(child, &format!("{at}[{i}]"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(doc, "", &mut out);
    out
}

/// Parses the JSON text of a configuration.
///
/// serde_json reads it through one schema-driven reader (`config/read.rs`:
/// the calls and errors of serde's derived code, without its per-type
/// instantiations, ~90 KB of the module, bench/SIZE.md session 7); unknown
/// and duplicate fields are refused. An error's JSON path is then found from
/// where serde_json stopped ([`path_at`]), not tracked while reading:
/// tracking wrapped every field type's deserializer in a second generic one
/// (`serde_path_to_error`, ~60 KB of the module, bench/SIZE.md session 5).
/// `tests/config_paths.rs` checks both against the derive with
/// serde_path_to_error (the `testing` feature keeps the derive as the
/// reference), `tests/config_reader.rs` the configurations read.
pub fn parse(text: &[u8]) -> Result<Config, ConfigError> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_slice(text);
    let read = read::Seed(read::Kind::Struct(&read::CONFIG))
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    match read {
        Ok(v) => {
            let Some(c) = read::config(v) else {
                return Err(ConfigError::at("$", "internal error while reading the configuration"));
            };
            if c.version != 1 {
                return Err(ConfigError::at(
                    "$.version",
                    format!("unsupported version {} (this build reads version 1)", c.version),
                ));
            }
            Ok(c)
        }
        Err(inner) => Err(parse_error(text, &inner)),
    }
}

/// The [`ConfigError`] of a serde_json error (out of line: the same for
/// every caller).
#[inline(never)]
fn parse_error(text: &[u8], inner: &serde_json::Error) -> ConfigError {
    let msg = inner.to_string();
    // serde_json appends " at line L column C": keep them as fields.
    let msg = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    ConfigError {
        path: path_at(text, inner.line(), inner.column()),
        message: msg,
        line: Some(inner.line()),
        column: Some(inner.column()),
    }
}

/// The JSON path (`$.routes[0].match`) of the value being read where
/// serde_json reported an error at `line`/`column` (serde_json's position:
/// 1-based line, bytes read on that line): the member whose key or value was
/// read last, or that was just read whole (a missing field is reported after
/// its object's `}`), in the objects and arrays still open there. The root
/// is `$`.
fn path_at(text: &[u8], line: usize, column: usize) -> String {
    enum Frame {
        /// the member's key, once read; `want_key` until then
        Obj { key: Option<String>, want_key: bool },
        /// the element's index; `started` once it is read
        Arr { index: usize, started: bool },
    }
    // byte offset of the position
    let mut start = 0;
    for _ in 1..line {
        match text[start..].iter().position(|&c| c == b'\n') {
            Some(n) => start += n + 1,
            None => break,
        }
    }
    let end = (start + column).min(text.len());
    let mut stack: Vec<Frame> = Vec::new();
    let start_value = |stack: &mut Vec<Frame>| {
        if let Some(Frame::Arr { started, .. }) = stack.last_mut() {
            *started = true;
        }
    };
    let mut i = 0;
    while i < end {
        match text[i] {
            b'{' => {
                start_value(&mut stack);
                stack.push(Frame::Obj {
                    key: None,
                    want_key: true,
                });
            }
            b'[' => {
                start_value(&mut stack);
                stack.push(Frame::Arr {
                    index: 0,
                    started: false,
                });
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Obj { key, want_key }) => {
                    *key = None;
                    *want_key = true;
                }
                Some(Frame::Arr { index, started }) => {
                    *index += 1;
                    *started = false;
                }
                None => {}
            },
            b'"' => {
                // the string's end: the next unescaped quote
                let mut j = i + 1;
                while j < text.len() && text[j] != b'"' {
                    j += if text[j] == b'\\' { 2 } else { 1 };
                }
                let raw = &text[i..(j + 1).min(text.len())];
                match stack.last_mut() {
                    // a key still being read when the error came: its object
                    Some(Frame::Obj { .. }) if j >= end => {}
                    Some(Frame::Obj { key, want_key }) if *want_key => {
                        *key = Some(serde_json::from_slice::<String>(raw).unwrap_or_else(|_| {
                            String::from_utf8_lossy(raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default())
                                .into_owned()
                        }));
                        *want_key = false;
                    }
                    _ => start_value(&mut stack),
                }
                i = j;
            }
            b' ' | b'\t' | b'\n' | b'\r' | b':' => {}
            _ => start_value(&mut stack),
        }
        i += 1;
    }
    // an array or object refused before it is opened (where a string was
    // expected) is reported where it starts: it is the value being read
    // (a refused scalar is read first, so the position is after it)
    let next = text
        .get(end..)
        .and_then(|t| t.iter().find(|c| !c.is_ascii_whitespace()));
    if matches!(next, Some(b'{' | b'[')) {
        start_value(&mut stack);
    }
    let mut path = String::from("$");
    for f in &stack {
        match f {
            Frame::Obj { key: Some(k), .. } => {
                path.push('.');
                path.push_str(k);
            }
            Frame::Arr { index, started: true } => {
                path.push_str(&format!("[{index}]"));
            }
            _ => break,
        }
    }
    path
}
