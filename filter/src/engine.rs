//! The engine: given a route, a direction and some bytes, find personal
//! data, decide, and produce the rewrite. Pure: no host calls, no I/O.

use crate::config::{Action, OnUninspectable, Strategy};
use crate::detect::{RawMatch, Scratch};
use crate::fields::{FieldClass, FieldKind, Strength, Words};
use crate::filterexpr::Langs;
use crate::json::{self, Scalar, Seg, Verdict, Visit};
use crate::policy::{DirPolicy, PathSeg, Policy, Route};
use crate::redact::{self, Hasher};
use crate::{grpc, textcode};

pub use crate::http::{
    format_of, is_uuid, percent_decode, percent_encode, safe_name, structured_header_ok, unreadable_charset, Format,
};
use crate::http::{host_safe, media_type, safe_name_str};
use crate::model::FindingKind;
pub use crate::model::{
    BodyResult, ConsentState, Decision, Direction, Finding, HeaderResult, Inspection, Uninspected, MAX_FINDINGS,
};
pub use crate::subject::{json_path_scalar, jwt_claim};

/// Detection and rewriting, built once per configuration.
pub struct Engine {
    pub policy: Policy,
    hasher: Option<Hasher>,
    /// Take no shortcut (`Engine::reference`).
    reference: bool,
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
        Ok(Engine {
            policy,
            hasher,
            reference: false,
        })
    }

    /// The same engine without its shortcuts (the per-document key cache,
    /// the escape gate): what tests compare the fast engine against. Its
    /// findings, decisions and output must be identical.
    #[cfg(any(test, feature = "testing"))]
    pub fn reference(mut self) -> Engine {
        self.reference = true;
        self
    }

    pub fn hasher(&self) -> Option<&Hasher> {
        self.hasher.as_ref()
    }

    fn dir<'r>(&self, route: &'r Route, d: Direction) -> &'r DirPolicy {
        match d {
            Direction::Request => &route.request,
            Direction::Response => &route.response,
        }
    }

    /// The request path for the audit record: each segment percent-decoded
    /// (until stable) and replaced by its tag when a detector finds personal
    /// data in it, re-encoded otherwise; matrix parameters, the query and the
    /// fragment left out (client-chosen names and values).
    pub fn audit_path(&self, path: &str) -> String {
        let p = crate::urlpath::path_part(path);
        let mut out = String::new();
        for (i, seg) in p.split('/').enumerate() {
            if i > 0 {
                out.push('/');
            }
            let name = seg.split(';').next().unwrap_or("");
            let decoded = crate::urlpath::decode_until_stable(name.as_bytes());
            let mut m = Vec::new();
            let mut scratch = Scratch::default();
            self.policy.detectors.scan(&decoded, &mut scratch, &mut m);
            match m.first() {
                // a segment that could not be searched is not copied either
                _ if scratch.take_failed() => out.push_str("[UNINSPECTED]"),
                Some(x) => {
                    out.push_str(&format!("[{}]", self.policy.category(x.detector).to_ascii_uppercase()));
                }
                None => out.push_str(&String::from_utf8_lossy(&percent_encode(&decoded))),
            }
        }
        if out.is_empty() {
            out.push('/');
        }
        out
    }

    /// Inspects headers: names and values (cookies pair by pair), and for
    /// requests the URL in `:path` (each path segment percent-decoded, its
    /// matrix parameters, query names and values) and the authority.
    /// Headers are skipped only when their value has the fixed syntax Envoy
    /// or the mesh writes ([`structured_header_ok`]) or the route lists them
    /// in `skip_headers`.
    pub fn inspect_headers(
        &self,
        route: &Route,
        d: Direction,
        headers: &[(String, String)],
        scratch: &mut Scratch,
    ) -> HeaderResult {
        let dp = self.dir(route, d);
        let mut insp = Inspection::default();
        // Nothing to read (headers and query off): no copy, no scan.
        if !dp.headers && !dp.query {
            return HeaderResult {
                inspection: insp,
                headers: None,
            };
        }
        // the rewritten headers, from the first change on (a copy of the
        // headers before it): nothing copied while nothing changes
        let mut out: Option<Vec<(String, String)>> = None;
        let redacting = !route.shadow;
        let mut loc = String::new();
        for (i, (name, value)) in headers.iter().enumerate() {
            // Envoy hands names lower-cased: a copy only when one is not
            let lname: std::borrow::Cow<'_, str> = if name.bytes().any(|c| c.is_ascii_uppercase()) {
                std::borrow::Cow::Owned(name.to_ascii_lowercase())
            } else {
                std::borrow::Cow::Borrowed(name.as_str())
            };
            let lname: &str = &lname;
            let pseudo = lname.starts_with(':');
            let skipped = dp.skip_headers.iter().any(|h| h == lname);
            // The name itself: a header named after a value carries it.
            if dp.headers && !pseudo && !skipped {
                // read as backends fold it (`_` is `-` to CGI, WSGI, nginx)
                let folded: std::borrow::Cow<'_, str> = if lname.contains('_') {
                    std::borrow::Cow::Owned(lname.replace('_', "-"))
                } else {
                    std::borrow::Cow::Borrowed(lname)
                };
                match self.inspect_value(dp, folded.as_bytes(), None, "header-name", &mut insp, scratch) {
                    ValueOutcome::Keep => {}
                    _ if redacting => {
                        changed_from(&mut out, headers, i);
                        continue; // the name is the data: the header goes
                    }
                    _ => {}
                }
            }
            let mut new_value: Option<String> = None;
            if lname == ":path" {
                if dp.query {
                    new_value = self.inspect_url(dp, value, "path", "query", &mut insp, scratch, redacting);
                }
            } else if lname == ":authority" || lname == "host" {
                if dp.headers && !skipped {
                    new_value = self.inspect_authority(dp, value, &mut insp, scratch);
                }
            } else if let Some(read) = (lname == "x-forwarded-client-cert" && dp.headers && !skipped)
                .then(|| crate::http::xfcc_readable(value))
                .flatten()
            {
                // Envoy's syntax, which a client's copy can have as well (a
                // `FORWARD_ONLY` proxy passes it): read but for the hashes;
                // the header goes whole when something is to be redacted
                let loc = "header:x-forwarded-client-cert";
                let decoded = crate::urlpath::decode_until_stable(read.as_bytes());
                let mut outcome = self.inspect_value(dp, read.as_bytes(), None, loc, &mut insp, scratch);
                if matches!(outcome, ValueOutcome::Keep) && *decoded != *read.as_bytes() {
                    outcome = self.inspect_value(dp, &decoded, None, loc, &mut insp, scratch);
                }
                if redacting && !matches!(outcome, ValueOutcome::Keep) {
                    changed_from(&mut out, headers, i);
                    continue;
                }
            } else if !dp.headers || skipped || structured_header_ok(lname, value) {
                // not inspected
            } else if URL_HEADERS.contains(&lname) {
                // URLs in headers (Referer, Location): path segments and query read decoded.
                let loc = format!("header:{lname}");
                let qloc = format!("header:{lname}?query");
                new_value = self.inspect_url(dp, value, &loc, &qloc, &mut insp, scratch, redacting);
            } else if lname == "cookie" {
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
                let nc = self.inspect_pairs(dp, first.as_bytes(), b';', "cookie", &mut insp, scratch, redacting);
                // the attributes (Path, Domain) too
                let nr = match self.inspect_value(dp, rest.as_bytes(), None, "header:set-cookie", &mut insp, scratch) {
                    ValueOutcome::Replace(v) => Some(String::from_utf8_lossy(&v).into_owned()),
                    _ => None,
                };
                if nc.is_some() || nr.is_some() {
                    let head = nc.map(|c| String::from_utf8_lossy(&c).into_owned());
                    new_value = Some(format!(
                        "{}{}",
                        head.as_deref().unwrap_or(first),
                        nr.as_deref().unwrap_or(rest)
                    ));
                }
            } else {
                let class = if HEADER_CREDENTIALS.contains(&lname) {
                    Some(FieldClass {
                        kind: FieldKind::Credential,
                        strength: Strength::Strong,
                    })
                } else if pseudo {
                    None
                } else {
                    self.policy.classify_field(&Words::split(lname.as_bytes()))
                };
                loc.clear();
                loc.push_str("header:");
                loc.push_str(safe_name_str(lname));
                let loc = loc.as_str();
                // The value as sent, then percent-decoded if that reads differently.
                let decoded = crate::urlpath::decode_until_stable(value.as_bytes());
                let outcome = if *decoded != *value.as_bytes() {
                    let mut probe = Inspection::default();
                    let o = self.inspect_value(dp, &decoded, class, loc, &mut probe, scratch);
                    if probe.findings.is_empty() {
                        self.inspect_value(dp, value.as_bytes(), class, loc, &mut insp, scratch)
                    } else {
                        insp.merge(probe);
                        match o {
                            ValueOutcome::Replace(v) => ValueOutcome::Replace(percent_encode(&v)),
                            o => o,
                        }
                    }
                } else {
                    self.inspect_value(dp, value.as_bytes(), class, loc, &mut insp, scratch)
                };
                match outcome {
                    ValueOutcome::Keep => {}
                    // `:method`, `:scheme`, `:protocol` cannot be rewritten: what
                    // a route would redact there blocks instead.
                    _ if pseudo && redacting => insp.findings.push(Finding::unrewritable(loc.to_string())),
                    _ if pseudo => {}
                    ValueOutcome::Replace(v) if redacting => new_value = Some(String::from_utf8_lossy(&v).into_owned()),
                    ValueOutcome::Remove if redacting => {
                        changed_from(&mut out, headers, i);
                        continue;
                    }
                    _ => {}
                }
            }
            match new_value {
                Some(v) if redacting => changed_from(&mut out, headers, i).push((name.clone(), v)),
                _ => {
                    if let Some(o) = &mut out {
                        o.push((name.clone(), value.clone()));
                    }
                }
            }
        }
        // a search failed (never expected: `detect::find`): not clean
        if scratch.take_failed() {
            insp.findings
                .extend(self.uninspectable(route, "scan:headers".into()).inspection.findings);
        }
        HeaderResult {
            inspection: insp,
            headers: out,
        }
    }

    /// Inspects a URL or a `:path`: every path segment percent-decoded (until
    /// stable) with its matrix parameters, then the query (names, values,
    /// value-less parameters). Returns the rewritten URL when something
    /// changed: a redacted segment is replaced by its percent-encoded
    /// replacement, so the request stays valid and routes alike.
    #[allow(clippy::too_many_arguments)]
    fn inspect_url(
        &self,
        dp: &DirPolicy,
        url: &str,
        loc: &str,
        query_kind: &str,
        insp: &mut Inspection,
        scratch: &mut Scratch,
        redacting: bool,
    ) -> Option<String> {
        let path = crate::urlpath::path_part(url);
        let rest = &url[path.len()..];
        let (query, frag) = match rest.strip_prefix('?') {
            Some(q) => match q.split_once('#') {
                Some((q, f)) => (Some(q), Some(f)),
                None => (Some(q), None),
            },
            None => (None, rest.strip_prefix('#')),
        };
        let mut changed = false;
        let mut new_path = String::with_capacity(path.len());
        let mut param_kind = String::new();
        for (i, seg) in path.split('/').enumerate() {
            if i > 0 {
                new_path.push('/');
            }
            let (name, params) = match seg.find(';') {
                Some(j) => (&seg[..j], Some(&seg[j + 1..])),
                None => (seg, None),
            };
            let decoded = crate::urlpath::decode_until_stable(name.as_bytes());
            match self.inspect_value(dp, &decoded, None, loc, insp, scratch) {
                ValueOutcome::Keep => new_path.push_str(name),
                ValueOutcome::Replace(v) if redacting => {
                    changed = true;
                    new_path.push_str(&String::from_utf8_lossy(&percent_encode(&v)));
                }
                ValueOutcome::Remove if redacting => {
                    changed = true;
                    new_path.push_str("%5BREDACTED%5D");
                }
                _ => new_path.push_str(name),
            }
            if let Some(params) = params {
                new_path.push(';');
                if param_kind.is_empty() {
                    param_kind = format!("{loc}-param");
                }
                match self.inspect_pairs(dp, params.as_bytes(), b';', &param_kind, insp, scratch, redacting) {
                    Some(np) => {
                        changed = true;
                        new_path.push_str(&String::from_utf8_lossy(&np));
                    }
                    None => new_path.push_str(params),
                }
            }
        }
        let mut new_query = None;
        if let Some(q) = query {
            if let Some(nq) = self.inspect_pairs(dp, q.as_bytes(), b'&', query_kind, insp, scratch, redacting) {
                changed = true;
                new_query = Some(String::from_utf8_lossy(&nq).into_owned());
            }
        }
        // The fragment: a browser never sends it, but a client may, and a
        // `Referer` or `Location` URL carries it on (`#email=...`, OAuth's
        // `#access_token=...`): read like a query.
        let mut new_frag = None;
        if let Some(f) = frag.filter(|f| !f.is_empty()) {
            let kind = if loc == "path" {
                "fragment".to_string()
            } else {
                format!("{loc}#fragment")
            };
            if let Some(nf) = self.inspect_pairs(dp, f.as_bytes(), b'&', &kind, insp, scratch, redacting) {
                changed = true;
                new_frag = Some(String::from_utf8_lossy(&nf).into_owned());
            }
        }
        if !changed || !redacting {
            return None;
        }
        let mut out = new_path;
        if let Some(q) = query {
            out.push('?');
            out.push_str(new_query.as_deref().unwrap_or(q));
        }
        if let Some(f) = frag {
            out.push('#');
            out.push_str(new_frag.as_deref().unwrap_or(f));
        }
        Some(out)
    }

    /// Inspects the authority (`:authority`, `Host`). The server's own IP
    /// address is not a finding; anything else a detector finds is, and a
    /// redaction keeps the value a valid host name (`payment-card.example`).
    fn inspect_authority(
        &self,
        dp: &DirPolicy,
        value: &str,
        insp: &mut Inspection,
        scratch: &mut Scratch,
    ) -> Option<String> {
        let decoded = crate::urlpath::decode_until_stable(value.as_bytes());
        let mut matches: Vec<RawMatch> = Vec::new();
        self.policy.detectors.scan(&decoded, scratch, &mut matches);
        matches.retain(|m| self.policy.category(m.detector) != "ip_address");
        if matches.is_empty() {
            return None;
        }
        match self.decide_value(dp, &decoded, &matches, None, "header:authority", insp) {
            ValueOutcome::Keep => None,
            ValueOutcome::Replace(v) => Some(host_safe(&v)),
            ValueOutcome::Remove => Some("redacted.invalid".into()),
        }
    }

    /// Inspects `k=v` pairs (query, form, cookies, matrix parameters): the
    /// names too (a value-less parameter or cookie is all name), each read
    /// percent-decoded until stable. Returns the rewritten bytes when
    /// something changed.
    /// A card split over the short digit-only values of sibling pairs
    /// (`?a=4111&b=1111&…`) is read as in a form ([`Engine::inspect_form`]).
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
        // (one pair: no split card; most headers and URLs. Two may hold a
        // card's halves, `a=4111 1111&b=1111 1111`)
        if memchr::memchr(sep, raw).is_none() {
            return self.inspect_pairs_pass(dp, raw, sep, kind, insp, scratch, redacting, None, &[]);
        }
        self.split_card_passes(insp, |insp, split, parts| {
            self.inspect_pairs_pass(dp, raw, sep, kind, insp, scratch, redacting, split, parts)
        })
    }

    /// One reading of [`Engine::inspect_pairs`]: `split` is fed every
    /// value; the values of the pairs whose indexes are in `parts` (sorted)
    /// are read as parts of a card.
    #[allow(clippy::too_many_arguments)]
    fn inspect_pairs_pass(
        &self,
        dp: &DirPolicy,
        raw: &[u8],
        sep: u8,
        kind: &str,
        insp: &mut Inspection,
        scratch: &mut Scratch,
        redacting: bool,
        mut split: Option<&mut json::SplitCards>,
        parts: &[usize],
    ) -> Option<Vec<u8>> {
        let url_encoded = sep == b'&';
        // `a=1;password=x` in a query, `a=1, password=x` in a cookie (RFC 2109
        // separated cookies with `,`, and Java servers still split on it)
        let inner = if url_encoded { b';' } else { b',' };
        let pre = self.inner_pairs(dp, raw, sep, inner, kind, insp, scratch, redacting);
        let raw: &[u8] = pre.as_deref().unwrap_or(raw);
        // a GraphQL request as a query or form (`query=…&variables={…}`):
        // the classes its document gives to the variables
        let gql = if url_encoded {
            self.pairs_graphql_vars(raw)
        } else {
            Vec::new()
        };
        let mut out = Vec::new();
        let mut changed = pre.is_some();
        let mut first = true;
        let name_loc = format!("{kind}-name");
        let decode = |b: &[u8]| -> Vec<u8> {
            if url_encoded {
                crate::urlpath::decode_form_until_stable(b).into_owned()
            } else {
                crate::urlpath::decode_until_stable(b).into_owned()
            }
        };
        let eav = if url_encoded {
            self.eav_pairs(raw, sep, &decode)
        } else {
            Vec::new()
        };
        // the class a `df`/`qf` pair gives a query parameter's value, once looked for
        let mut default_field = None;
        for (index, part) in raw.split(|&c| c == sep).enumerate() {
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
            let key = decode(k);
            let mut drop = false;
            let mut new_key: Option<Vec<u8>> = None;
            match self.inspect_value(dp, &key, None, &name_loc, insp, scratch) {
                ValueOutcome::Keep => {}
                ValueOutcome::Replace(nk) => new_key = Some(percent_encode(&nk)),
                ValueOutcome::Remove => drop = true,
            }
            let mut new_val: Option<Vec<u8>> = None;
            let val = v.map(decode);
            if let Some(sp) = split.as_deref_mut() {
                sp.sibling(index, val.as_deref());
            }
            if let Some(val) = val {
                let class = self
                    .classify_pair_key(&key)
                    .or_else(|| eav.iter().find(|e| e.0 == index).map(|e| e.1));
                let loc = format!("{kind}:{}", safe_name(&String::from_utf8_lossy(&key)));
                let outcome = if !parts.is_empty() && parts.binary_search(&index).is_ok() {
                    self.card_part(dp, &val, class, &loc, insp)
                } else if !gql.is_empty() && key == b"variables" {
                    let vars = Vars {
                        names: &gql,
                        root: true,
                    };
                    self.inspect_value_vars(dp, &val, class, &loc, insp, scratch, vars, Langs::NONE)
                } else if let Some(langs) = url_encoded
                    .then(|| crate::filterexpr::langs_of_key(&key))
                    .filter(|l| !l.is_empty())
                {
                    let class =
                        class.or_else(|| self.default_field_class(raw, sep, &decode, langs, &val, &mut default_field));
                    self.inspect_value_vars(dp, &val, class, &loc, insp, scratch, Vars::NONE, langs)
                } else {
                    self.inspect_value(dp, &val, class, &loc, insp, scratch)
                };
                match outcome {
                    ValueOutcome::Keep => {}
                    ValueOutcome::Replace(nv) => {
                        new_val = Some(if url_encoded || sep == b';' {
                            percent_encode(&nv)
                        } else {
                            nv
                        })
                    }
                    ValueOutcome::Remove => drop = true,
                }
            }
            if redacting && (drop || new_key.is_some() || new_val.is_some()) {
                changed = true;
                if drop {
                    continue;
                }
                if !first {
                    out.push(sep);
                }
                out.extend_from_slice(lead);
                out.extend_from_slice(new_key.as_deref().unwrap_or(k));
                if let Some(v) = v {
                    out.push(b'=');
                    out.extend_from_slice(new_val.as_deref().unwrap_or(v));
                }
            } else {
                if !first {
                    out.push(sep);
                }
                out.extend_from_slice(part);
            }
            first = false;
        }
        changed.then_some(out)
    }

    /// The class a form, query or cookie key gives its value: by its words,
    /// else without the comparison a query language writes after the field
    /// name (`lastName[$eq]`, `filters[lastName][$in][0]`,
    /// `last_name__icontains`: [`crate::http::key_without_operators`]).
    fn classify_pair_key(&self, key: &[u8]) -> Option<FieldClass> {
        self.policy.classify_field(&Words::split(key)).or_else(|| {
            let k = crate::http::key_without_operators(key);
            (k.len() < key.len())
                .then(|| self.policy.classify_field(&Words::split(k)))
                .flatten()
        })
    }

    /// The pairs of a query string or form named by a sibling's value, as
    /// entity-attribute-value forms write them (`name=surname&value=…`,
    /// `field[0][name]=email&field[0][value]=…`): each named pair's index
    /// (in `raw` split at `sep`) and the class the naming pair's value
    /// gives, as in JSON ([`json::Pairs`]), among pairs whose keys are the
    /// same up to their last segment. Empty, without decoding a key, when
    /// no key can be a `val…` one.
    fn eav_pairs(&self, raw: &[u8], sep: u8, decode: &dyn Fn(&[u8]) -> Vec<u8>) -> Vec<(usize, FieldClass)> {
        if !may_name_values(raw) {
            return Vec::new();
        }
        eav_pairs_of(raw, sep, decode, &|w| self.policy.classify_field(w))
    }

    /// The class of `val`, the value of a query language's parameter
    /// (`langs`: `q`, `query`, `search`, ...) of the query string or form
    /// `raw`, that a sibling naming its default field gives it (`df=lastName`,
    /// `qf=surname^2 city`, `searchFields=`: [`default_field_class_of`]),
    /// found once per query string or form (`found`) and only when such a
    /// parameter occurs; none for a value without a letter or digit
    /// (`q=*:*`).
    fn default_field_class(
        &self,
        raw: &[u8],
        sep: u8,
        decode: &dyn Fn(&[u8]) -> Vec<u8>,
        langs: Langs,
        val: &[u8],
        found: &mut Option<Option<FieldClass>>,
    ) -> Option<FieldClass> {
        if !langs.has(Langs::LUCENE) || !val.iter().any(u8::is_ascii_alphanumeric) {
            return None;
        }
        *found.get_or_insert_with(|| default_field_class_of(raw, sep, decode, &|w| self.policy.classify_field(w)))
    }

    /// The variables a GraphQL document in the `query` pair of a query
    /// string or form gives to arguments that classify them
    /// ([`crate::graphql::variable_classes`]); none without a `$`.
    fn pairs_graphql_vars(&self, raw: &[u8]) -> Vec<(Vec<u8>, FieldClass)> {
        let dollar = memchr::memchr(b'$', raw).is_some()
            || memchr::memchr_iter(b'%', raw).any(|i| raw[i + 1..].starts_with(b"24"));
        if !dollar {
            return Vec::new();
        }
        for pair in raw.split(|&c| c == b'&') {
            let Some(eq) = memchr::memchr(b'=', pair) else { continue };
            if crate::urlpath::decode_form_until_stable(&pair[..eq]).as_ref() != b"query" {
                continue;
            }
            let doc = crate::urlpath::decode_form_until_stable(&pair[eq + 1..]);
            if crate::graphql::looks_graphql(&doc) {
                return crate::graphql::variable_classes(&doc, &mut |w| self.policy.classify_field(w));
            }
        }
        Vec::new()
    }

    /// The GraphQL step of [`Engine::scan_json_pass`]'s visit of one value
    /// `s` at `v`: collects the variables a document gives to classifying
    /// arguments into `found`, and reads a value of a variable in `vars`
    /// by its argument's class.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn graphql_visit(
        &self,
        dp: &DirPolicy,
        v: &json::Visit,
        s: &Scalar,
        vars: Vars<'_>,
        found: Option<&mut Vec<(Vec<u8>, FieldClass)>>,
        insp: &mut Inspection,
        scratch: &mut Scratch,
        depth: u8,
    ) -> GqlStep {
        if let (Some(fv), Scalar::Str(c)) = (found, s) {
            self.graphql_vars_of(c, fv);
        }
        if vars.names.is_empty() {
            return GqlStep::Read;
        }
        match vars.at(v.input, v.path) {
            VarAt::Value(cls) if v.field.is_none() => GqlStep::Field(cls),
            VarAt::Object => {
                let Scalar::Str(c) = s else { return GqlStep::Read };
                let inner = Vars {
                    names: vars.names,
                    root: true,
                };
                match self.inspect_json_vars(dp, c, insp, scratch, depth, inner) {
                    Some(ValueOutcome::Replace(n)) => GqlStep::Done(Verdict::Written, Some(n)),
                    Some(ValueOutcome::Keep) => GqlStep::Done(Verdict::Keep, None),
                    Some(ValueOutcome::Remove) => GqlStep::Done(Verdict::Remove, None),
                    None => GqlStep::Read,
                }
            }
            _ => GqlStep::Read,
        }
    }

    /// Adds the variables of `c`, if it is a GraphQL document, to `found`
    /// ([`crate::graphql::variable_classes`]).
    #[inline(never)]
    fn graphql_vars_of(&self, c: &[u8], found: &mut Vec<(Vec<u8>, FieldClass)>) {
        if matches!(
            c.first(),
            Some(b'{' | b'q' | b'm' | b's' | b'f' | b'#' | b' ' | b'\t' | b'\n' | b'\r' | b',' | 0xEF)
        ) && memchr::memchr(b'$', c).is_some()
            && crate::graphql::looks_graphql(c)
        {
            for (n, cls) in crate::graphql::variable_classes(c, &mut |w| self.policy.classify_field(w)) {
                if !found.iter().any(|(m, _)| *m == n) {
                    found.push((n, cls));
                }
            }
        }
    }

    /// A value that is a GraphQL request's `variables` object as JSON, read
    /// with the classes its document gives them; `None` if it is no JSON.
    fn inspect_json_vars(
        &self,
        dp: &DirPolicy,
        value: &[u8],
        insp: &mut Inspection,
        scratch: &mut Scratch,
        depth: u8,
        vars: Vars<'_>,
    ) -> Option<ValueOutcome> {
        if depth >= MAX_NEST || !looks_json(value) {
            return None;
        }
        let mut sub = Inspection::default();
        let r = self
            .scan_json_vars(dp, value, &mut sub, scratch, depth + 1, vars)
            .ok()?;
        insp.merge(sub);
        Some(match r {
            Some(v) => ValueOutcome::Replace(v),
            None => ValueOutcome::Keep,
        })
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
        self.inspect_value_vars(dp, value, class, loc, insp, scratch, Vars::NONE, Langs::NONE)
    }

    /// [`Engine::inspect_value`] of a value that may be a GraphQL request's
    /// `variables` object (`vars`, the classes its document gives them), or
    /// a query language's expression (`langs`: the value of `$filter`, `q`,
    /// ..., [`crate::filterexpr::langs_of_key`]).
    #[allow(clippy::too_many_arguments)]
    fn inspect_value_vars(
        &self,
        dp: &DirPolicy,
        value: &[u8],
        class: Option<FieldClass>,
        loc: &str,
        insp: &mut Inspection,
        scratch: &mut Scratch,
        vars: Vars<'_>,
        langs: Langs,
    ) -> ValueOutcome {
        // Decoded bytes that are UTF-16/32 (`%FF%FEj%00a%00…`, or by their
        // zero bytes) or gzip: read as an upstream that sniffs them would
        // (as part and body values are); the bytes as written are read too
        // when that finds nothing to rewrite (a value can mix both).
        if let Some(out) = self.inspect_wrapped(dp, value, class, loc, insp, scratch, 0) {
            if !matches!(out, ValueOutcome::Keep) {
                return out;
            }
        }
        // JSON in a query value, header or cookie (`?variables={"surname":…}`,
        // `?filter={…}`): read as JSON, its keys naming its values, as a JSON
        // value of a body is
        // A cookie `j:` + JSON is that JSON to Express's cookie-parser
        // (`res.cookie(name, object)` writes an object so; JSON.parse, strict)
        let (prefix, doc) = match value.strip_prefix(b"j:") {
            Some(rest) if loc.starts_with("cookie:") && looks_json(rest) => (&value[..2], rest),
            _ => (&value[..0], value),
        };
        let mut lenient = false;
        if looks_json(doc) {
            let mut sub = Inspection::default();
            match self.scan_json_vars(dp, doc, &mut sub, scratch, 1, vars) {
                Ok(r) => {
                    // located in this value (`query:variables$.surname`), not the body
                    for f in &mut sub.findings {
                        if let Some(rest) = f.location.strip_prefix("body:") {
                            f.location = format!("{loc}{rest}");
                        }
                    }
                    insp.merge(sub);
                    return match r {
                        Some(v) => ValueOutcome::Replace([prefix, &v].concat()),
                        None => ValueOutcome::Keep,
                    };
                }
                Err(json::JsonError::Syntax(_)) if prefix.is_empty() => lenient = true,
                Err(json::JsonError::Syntax(_)) => {}
                Err(json::JsonError::TooDeep) => {}
            }
        }
        // escapes, character references and base64 decoded as in bodies;
        // XML or a GraphQL document (`?query={user(surname:"…")}`) by its
        // names, JSON5 as a lenient receiver reads it
        let nested = if class.is_some() {
            Nested::None
        } else if lenient {
            Nested::Lenient
        } else {
            match nested_doc(value) {
                Nested::None if !langs.is_empty() => Nested::Filter(langs),
                n => n,
            }
        };
        let mut hits = self.value_hits(dp, value, loc, insp, scratch, 0, Escapes::Text, false);
        if nested != Nested::None {
            self.nested_field_hits(value, nested, scratch, &mut hits);
        }
        self.decide_hits(dp, value, &hits, class, loc, insp)
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
        let hits: Vec<Hit> = matches
            .iter()
            .map(|m| Hit {
                start: m.start,
                end: m.end,
                kind: HitKind::Det(m.detector, None),
            })
            .collect();
        self.decide_hits(dp, value, &hits, class, loc, insp)
    }

    fn decide_hits(
        &self,
        dp: &DirPolicy,
        value: &[u8],
        hits: &[Hit],
        class: Option<FieldClass>,
        loc: &str,
        insp: &mut Inspection,
    ) -> ValueOutcome {
        let mut out = Vec::new();
        match self.decide_hits_into(dp, value, hits, class, loc, insp, &mut out) {
            Rendered::Keep => ValueOutcome::Keep,
            Rendered::Remove => ValueOutcome::Remove,
            Rendered::Replace => ValueOutcome::Replace(out),
        }
    }

    /// [`Engine::decide_hits`] rendering the replacement into `out`
    /// (cleared first): one buffer for every value of a document.
    #[allow(clippy::too_many_arguments)]
    fn decide_hits_into(
        &self,
        dp: &DirPolicy,
        value: &[u8],
        hits: &[Hit],
        class: Option<FieldClass>,
        loc: &str,
        insp: &mut Inspection,
        out: &mut Vec<u8>,
    ) -> Rendered {
        out.clear();
        if !hits.is_empty() {
            let parts = self.decide_parts_into(dp, value, hits, loc, insp, out);
            // A value its field names (`surname`) is that class whole, even
            // with a detector's match inside: what the match leaves
            // (`Quispe` of `Quispe jane@example.com`) is still the field's
            // (red team: an e-mail appended to a surname let the surname
            // pass a redact route).
            let Some(det) = class.and_then(|c| self.policy.field_detector(c)) else {
                return parts;
            };
            if !text_outside(value, hits) || already_redacted(value) {
                return parts;
            }
            let r = &dp.resolved[det as usize];
            insp.add(&self.policy, det, loc, r, 1);
            if r.action != Action::Redact {
                return parts;
            }
            out.clear();
            return match r.strategy {
                Strategy::Remove => Rendered::Remove,
                // a partial rendering keeps characters: never a match's
                Strategy::Partial(_) => {
                    let masked = mask_hits(value, hits);
                    redact::render_into(
                        &r.strategy,
                        self.policy.category(det),
                        &masked,
                        self.hasher.as_ref(),
                        out,
                    );
                    Rendered::Replace
                }
                ref s => {
                    redact::render_into(s, self.policy.category(det), value, self.hasher.as_ref(), out);
                    Rendered::Replace
                }
            };
        }
        let Some(det) = class.and_then(|c| self.policy.field_detector(c)) else {
            return Rendered::Keep;
        };
        if value.trim_ascii().is_empty() || already_redacted(value) || holds_nothing(value) {
            return Rendered::Keep;
        }
        let r = &dp.resolved[det as usize];
        insp.add(&self.policy, det, loc, r, 1);
        if r.action != Action::Redact {
            return Rendered::Keep;
        }
        match r.strategy {
            Strategy::Remove => Rendered::Remove,
            ref s => {
                redact::render_into(s, self.policy.category(det), value, self.hasher.as_ref(), out);
                Rendered::Replace
            }
        }
    }

    /// The hits of a value decided one by one (recorded, rendered into `out`).
    fn decide_parts_into(
        &self,
        dp: &DirPolicy,
        value: &[u8],
        hits: &[Hit],
        loc: &str,
        insp: &mut Inspection,
        out: &mut Vec<u8>,
    ) -> Rendered {
        let mut at = 0;
        let mut changed = false;
        let mut remove = false;
        for h in hits {
            if h.start < at || h.end > value.len() {
                continue;
            }
            match &h.kind {
                HitKind::Det(det, plain) => {
                    let r = &dp.resolved[*det as usize];
                    insp.add(&self.policy, *det, loc, r, 1);
                    if r.action != Action::Redact {
                        continue;
                    }
                    if r.strategy == Strategy::Remove && h.start == 0 && h.end == value.len() {
                        remove = true;
                    }
                    let shown = plain.as_deref().unwrap_or(&value[h.start..h.end]);
                    if !changed {
                        out.reserve(value.len() + 16);
                    }
                    out.extend_from_slice(&value[at..h.start]);
                    let cat = self.policy.category(*det);
                    redact::render_into(&r.strategy, cat, shown, self.hasher.as_ref(), out);
                }
                // an encoded token whose content was inspected (and recorded) on its own
                HitKind::Whole { category, action } => {
                    if *action != Action::Redact {
                        continue;
                    }
                    if !changed {
                        out.reserve(value.len() + 16);
                    }
                    out.extend_from_slice(&value[at..h.start]);
                    redact::render_into(&Strategy::Tag, category, b"", None, out);
                }
            }
            at = h.end;
            changed = true;
        }
        if remove && hits.len() == 1 {
            out.clear();
            return Rendered::Remove;
        }
        if !changed {
            return Rendered::Keep;
        }
        out.extend_from_slice(&value[at..]);
        Rendered::Replace
    }

    /// Where detectors match in `value`, read as written and through the
    /// encodings a client can wrap text in (escapes, character references,
    /// percent-encoding, XML comments/CDATA when `xml`, base64 tokens), in
    /// `value`'s coordinates. Findings inside a base64 token are recorded
    /// here; the token comes back as one `Whole` hit. `prose` also looks for
    /// names and addresses written in prose (text values, not header or
    /// query values).
    #[allow(clippy::too_many_arguments)]
    fn value_hits(
        &self,
        dp: &DirPolicy,
        value: &[u8],
        loc: &str,
        insp: &mut Inspection,
        scratch: &mut Scratch,
        depth: u8,
        esc: Escapes,
        prose: bool,
    ) -> Vec<Hit> {
        let mut hits = HitBufs::default();
        self.value_hits_into(dp, value, loc, insp, scratch, depth, esc, prose, &mut hits);
        hits.hits
    }

    /// [`Engine::value_hits`] into `bufs.hits` (cleared first), the
    /// detectors' matches in `bufs.raw`: buffers kept for every value of a
    /// document.
    #[allow(clippy::too_many_arguments)]
    fn value_hits_into(
        &self,
        dp: &DirPolicy,
        value: &[u8],
        loc: &str,
        insp: &mut Inspection,
        scratch: &mut Scratch,
        depth: u8,
        esc: Escapes,
        prose: bool,
        bufs: &mut HitBufs,
    ) {
        let scan = |t: &[u8], scratch: &mut Scratch, out: &mut Vec<RawMatch>| {
            if prose {
                self.policy.detectors.scan_text(t, scratch, out)
            } else {
                self.policy.detectors.scan(t, scratch, out)
            }
        };
        let HitBufs {
            raw,
            hits,
            toks,
            decoded,
        } = bufs;
        raw.clear();
        hits.clear();
        *decoded = false;
        scan(value, scratch, raw);
        hits.extend(raw.iter().map(|m| Hit {
            start: m.start,
            end: m.end,
            kind: HitKind::Det(m.detector, None),
        }));
        if depth >= MAX_NEST {
            return;
        }
        let view = match esc {
            Escapes::None => None,
            Escapes::Text => textcode::view(value, false),
            Escapes::Markup => textcode::view(value, true),
        };
        if let Some(v) = &view {
            raw.clear();
            scan(&v.text, scratch, raw);
            for m in raw.iter() {
                let (a, b) = v.span(m.start, m.end);
                if a < b {
                    hits.push(Hit {
                        start: a,
                        end: b,
                        kind: HitKind::Det(m.detector, Some(v.text[m.start..m.end].to_vec())),
                    });
                }
            }
        }
        let text: &[u8] = view.as_ref().map(|v| v.text.as_slice()).unwrap_or(value);
        if text.len() >= textcode::MIN_B64 {
            textcode::base64_tokens_into(text, toks);
            let mut read = Vec::new();
            for &(s, e) in toks.iter() {
                let Some(dec) = textcode::base64_readable(&text[s..e]).or_else(|| hex_text(&text[s..e])) else {
                    continue;
                };
                read.push((s, e));
                *decoded = true;
                if let Some(kind) = self.decoded_hit(dp, &dec, loc, insp, scratch, depth) {
                    let (start, end) = view.as_ref().map_or((s, e), |v| v.span(s, e));
                    hits.push(Hit { start, end, kind });
                }
            }
            // base64 or hex cut into short chunks by white space: read joined
            if prose {
                let mut runs = Vec::new();
                crate::bodies::joined::runs(text, &read, &mut runs);
                for r in &runs {
                    *decoded = true;
                    if let Some(kind) = self.decoded_hit(dp, &r.plain, loc, insp, scratch, depth) {
                        let (start, end) = view.as_ref().map_or((r.start, r.end), |v| v.span(r.start, r.end));
                        hits.push(Hit { start, end, kind });
                    }
                }
            }
        }
        if hits.len() > 1 {
            crate::sorting::spans(hits, |h| (h.start, h.end));
            // overlapping hits (the same value seen raw and decoded): one, widened
            hits.dedup_by(|h, last| {
                if h.start >= last.end {
                    return false;
                }
                if h.end > last.end {
                    last.end = h.end;
                    if let HitKind::Det(_, plain) = &mut last.kind {
                        *plain = None;
                    }
                }
                true
            });
        }
    }

    /// What a decoded token holds, inspected (its findings recorded in
    /// `insp`): the hit that replaces the token whole, when something was found.
    fn decoded_hit(
        &self,
        dp: &DirPolicy,
        dec: &[u8],
        loc: &str,
        insp: &mut Inspection,
        scratch: &mut Scratch,
        depth: u8,
    ) -> Option<HitKind> {
        let mut sub = Inspection::default();
        let _ = self.inspect_value_d(dp, dec, None, loc, &mut sub, scratch, depth + 1, false);
        let strongest = sub
            .findings
            .iter()
            .max_by_key(|f| f.action)
            .map(|f| (f.category.clone(), f.action));
        insp.merge(sub);
        strongest.map(|(category, action)| HitKind::Whole { category, action })
    }

    /// A value whose bytes are gzip, or text in a 16/32-bit encoding (a part,
    /// a protobuf field, a decoded base64 token): read decoded, as an upstream
    /// that sniffs them would; a rewrite is encoded back the same way.
    #[allow(clippy::too_many_arguments)]
    fn inspect_wrapped(
        &self,
        dp: &DirPolicy,
        value: &[u8],
        class: Option<FieldClass>,
        loc: &str,
        insp: &mut Inspection,
        scratch: &mut Scratch,
        depth: u8,
    ) -> Option<ValueOutcome> {
        use crate::bodies::sniff;
        if crate::bodies::archive::starts_archive(value) {
            if let Some(out) = self.inspect_archive_value(dp, value, loc, insp, scratch, depth) {
                return Some(out);
            }
        }
        if let Some((kind, plain)) = sniff::unpack_value(value, self.policy.limits.max_body_bytes) {
            return Some(
                match self.inspect_value_d(dp, &plain, class, loc, insp, scratch, depth + 1, false) {
                    ValueOutcome::Replace(v) => ValueOutcome::Replace(sniff::pack(kind, &v)),
                    other => other,
                },
            );
        }
        let (cs, bom) = match textcode::sniff_unicode(value) {
            Some((textcode::Charset::Utf8, _)) => return None,
            Some(found) => found,
            None if memchr::memchr(0, value).is_some() => (textcode::sniff_wide(value)?, 0),
            None => return None,
        };
        let text = textcode::decode(cs, &value[bom..])?;
        Some(
            match self.inspect_value_d(dp, text.as_bytes(), class, loc, insp, scratch, depth + 1, false) {
                ValueOutcome::Replace(v) => {
                    let mut out = value[..bom].to_vec();
                    out.extend_from_slice(&textcode::encode(cs, &String::from_utf8_lossy(&v)));
                    ValueOutcome::Replace(out)
                }
                other => other,
            },
        )
    }

    /// A value that is an archive (a file part, a base64 token): its members
    /// read as values, on a direction that redacts or blocks. An archive is
    /// never rewritten: one holding something to redact is replaced whole;
    /// one that cannot be read makes the body uninspectable
    /// ([`Scratch::note_unread`]).
    fn inspect_archive_value(
        &self,
        dp: &DirPolicy,
        value: &[u8],
        loc: &str,
        insp: &mut Inspection,
        scratch: &mut Scratch,
        depth: u8,
    ) -> Option<ValueOutcome> {
        // (by its first bytes, [`crate::bodies::archive::starts_archive`]:
        // a value is not searched for an end record)
        if !(dp.blocks || dp.redacts) {
            return None;
        }
        let mut sub = Inspection::default();
        let mut each = |m: &[u8]| {
            let mut found = Inspection::default();
            let _ = self.inspect_value_d(dp, m, None, loc, &mut found, scratch, depth + 1, false);
            sub.merge(found);
        };
        let read = crate::bodies::archive::read_members(value, self.policy.limits.max_body_bytes, &mut each);
        match read {
            Ok(false) => None,
            Err(why) => {
                insp.merge(sub);
                scratch.note_unread(why);
                Some(ValueOutcome::Keep)
            }
            Ok(true) => {
                let redacted = sub
                    .findings
                    .iter()
                    .filter(|f| f.action == Action::Redact)
                    .map(|f| f.category.clone())
                    .next();
                insp.merge(sub);
                Some(match redacted {
                    Some(category) => {
                        let mut out = Vec::new();
                        redact::render_into(&Strategy::Tag, &category, b"", None, &mut out);
                        ValueOutcome::Replace(out)
                    }
                    None => ValueOutcome::Keep,
                })
            }
        }
    }

    /// One value of a body: embedded JSON is read as JSON (bounded), then
    /// its text through every decoding `value_hits` knows.
    #[allow(clippy::too_many_arguments)]
    fn inspect_value_d(
        &self,
        dp: &DirPolicy,
        value: &[u8],
        class: Option<FieldClass>,
        loc: &str,
        insp: &mut Inspection,
        scratch: &mut Scratch,
        depth: u8,
        xml: bool,
    ) -> ValueOutcome {
        if depth < MAX_NEST {
            if let Some(out) = self.inspect_wrapped(dp, value, class, loc, insp, scratch, depth) {
                return out;
            }
        }
        let mut lenient = false;
        if depth < MAX_NEST && looks_json(value) {
            let mut sub = Inspection::default();
            match self.scan_json_d(dp, value, &mut sub, scratch, depth + 1) {
                Ok(r) => {
                    insp.merge(sub);
                    return match r {
                        Some(v) => ValueOutcome::Replace(v),
                        None => ValueOutcome::Keep,
                    };
                }
                Err(json::JsonError::Syntax(_)) => lenient = true,
                Err(json::JsonError::TooDeep) => {}
            }
        }
        let nested = if class.is_some() {
            Nested::None
        } else if lenient {
            Nested::Lenient
        } else {
            nested_doc(value)
        };
        let esc = Escapes::text(xml || nested == Nested::Xml);
        let mut hits = self.value_hits(dp, value, loc, insp, scratch, depth, esc, true);
        if nested != Nested::None {
            self.nested_field_hits(value, nested, scratch, &mut hits);
        }
        self.decide_hits(dp, value, &hits, class, loc, insp)
    }

    /// A JSON string that a query language reads (its member's name says
    /// which, `langs`): its text as [`Engine::inspect_value_d`] reads it,
    /// and the literals its attributes name.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn inspect_query_value(
        &self,
        dp: &DirPolicy,
        value: &[u8],
        loc: &str,
        insp: &mut Inspection,
        scratch: &mut Scratch,
        depth: u8,
        langs: Langs,
    ) -> ValueOutcome {
        if let Some(out) = self.inspect_wrapped(dp, value, None, loc, insp, scratch, depth) {
            return out;
        }
        let mut hits = self.value_hits(dp, value, loc, insp, scratch, depth, Escapes::Text, true);
        self.nested_field_hits(value, Nested::Filter(langs), scratch, &mut hits);
        self.decide_hits(dp, value, &hits, None, loc, insp)
    }

    /// A value that is itself a document whose names name its values: XML
    /// (`<person><surname>…`, as a JSON string, a form field or a
    /// multipart part) by its element names ([`crate::xmlfields`]), a
    /// GraphQL document by its argument names ([`crate::graphql`]). Each
    /// value so named that no detector matched is a hit of its field's
    /// detector. (A value under a field class is that class's whole.)
    fn nested_field_hits(&self, value: &[u8], nested: Nested, scratch: &mut Scratch, hits: &mut Vec<Hit>) {
        let mut classify = |w: &Words| self.policy.classify_field(w);
        let found = match nested {
            Nested::None => return,
            Nested::Lenient => {
                self.json5_number_hits(value, scratch, hits);
                json::lenient_field_values(value, &mut classify)
            }
            Nested::Xml => match crate::xmlfields::xml_reading("", value) {
                Some(attributes) => crate::xmlfields::field_values(value, attributes, &mut classify),
                None => return,
            },
            Nested::GraphQl => crate::graphql::argument_values(value, &mut classify),
            Nested::Filter(langs) => crate::filterexpr::field_values(value, langs, &mut classify),
        };
        self.add_field_hits(value, hits, found);
    }

    /// Field values (`found`: start, end, class) as hits of their field's
    /// detector, where no detector's hit already is.
    fn add_field_hits(&self, value: &[u8], hits: &mut Vec<Hit>, found: Vec<(usize, usize, FieldClass)>) {
        let detected = hits.len();
        for (s, e, class) in found {
            let Some(det) = self.policy.field_detector(class) else {
                continue;
            };
            if already_redacted(&value[s..e])
                || holds_nothing(&value[s..e])
                || hits[..detected].iter().any(|h| h.start < e && s < h.end)
            {
                continue;
            }
            hits.push(Hit {
                start: s,
                end: e,
                kind: HitKind::Det(det, None),
            });
        }
        if hits.len() > detected {
            hits.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
        }
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
        self.inspect_body_with(route, d, content_type, None, body, scratch)
    }

    /// Inspects a whole body (after its `Content-Encoding` is undone), with
    /// the `grpc-encoding` of its gRPC messages when there is one. A failed
    /// search (never expected: `detect::find`) makes it uninspectable.
    pub fn inspect_body_with(
        &self,
        route: &Route,
        d: Direction,
        content_type: Option<&str>,
        grpc_encoding: Option<&str>,
        body: &[u8],
        scratch: &mut Scratch,
    ) -> BodyResult {
        scratch.take_unread();
        let res = self.inspect_body_scanned(route, d, content_type, grpc_encoding, body, scratch);
        if scratch.take_failed() {
            return self.uninspectable(route, "scan".into());
        }
        // a value inside it that could not be read (an archive in a part)
        if let Some(why) = scratch.take_unread() {
            let mut u = self.uninspectable(route, why);
            u.inspection.merge(res.inspection);
            return u;
        }
        res
    }

    fn inspect_body_scanned(
        &self,
        route: &Route,
        d: Direction,
        content_type: Option<&str>,
        grpc_encoding: Option<&str>,
        body: &[u8],
        scratch: &mut Scratch,
    ) -> BodyResult {
        let dp = self.dir(route, d);
        if !dp.body || body.is_empty() {
            return BodyResult::default();
        }
        let media = media_type(content_type);
        if media.starts_with("application/grpc") {
            return self.inspect_grpc(route, d, &media, grpc_encoding, body, scratch);
        }
        if media.starts_with("multipart/") {
            return self.inspect_plain(route, d, content_type, body, scratch);
        }
        if matches!(
            media.as_str(),
            "application/protobuf" | "application/x-protobuf" | "application/vnd.google.protobuf"
        ) {
            // one message without gRPC framing
            let mut insp = Inspection::default();
            let r = self.scan_protobuf(dp, body, &mut insp, scratch);
            let body = r.filter(|_| !route.shadow && insp.max_action() != Some(Action::Block));
            return BodyResult { inspection: insp, body };
        }
        if let Some(kind) = crate::binobj::kind_of(&media) {
            // MessagePack and CBOR, walked as their receiver decodes them; a
            // body that does not walk (cut, a reserved byte, bytes after a
            // document, too deep) is uninspectable, its bytes read as text
            let mut insp = Inspection::default();
            return match self.scan_binobj(dp, kind, body, &mut insp, scratch) {
                Ok(r) => {
                    let walked = BodyResult {
                        body: r.filter(|_| !route.shadow && insp.max_action() != Some(Action::Block)),
                        inspection: insp,
                    };
                    // Bytes that are text walk too (red team: every ASCII
                    // byte is a MessagePack fixint, and most are CBOR
                    // scalars or short strings, so JSON under this label
                    // walked as small integers): an upstream that ignores
                    // the label reads the text, so it is read as text too
                    if !crate::textcode::is_text(body) {
                        return walked;
                    }
                    let text = self.inspect_unpacked(route, d, None, body, scratch);
                    if text.inspection.findings.is_empty() && text.inspection.uninspected.is_none() {
                        return walked;
                    }
                    if walked.body.is_some() && text.body.as_deref() != walked.body.as_deref() {
                        // both readings rewrite, differently: nothing fits both
                        let mut u = self.uninspectable(route, format!("{}:ambiguous", kind.name()));
                        u.inspection.merge(walked.inspection);
                        u.inspection.merge(text.inspection);
                        return u;
                    }
                    let mut res = text;
                    res.inspection.merge(walked.inspection);
                    if res.inspection.max_action() == Some(Action::Block) {
                        res.body = None;
                    }
                    res
                }
                Err(e) => {
                    let why = if e == crate::binobj::Error::TooDeep {
                        "too_deep"
                    } else {
                        "invalid"
                    };
                    let mut res = self.uninspectable(route, format!("{}:{why}", kind.name()));
                    self.text_fallback(route, dp, body, &mut res, scratch);
                    res
                }
            };
        }
        // an archive (ZIP and the documents built on one), its members read
        // as bodies of their own; compressed formats not read here
        let mut member = |b: &[u8]| self.inspect_unpacked(route, d, None, b, scratch);
        if let Some(r) = crate::bodies::archive::inspect_archive(self, route, d, body, &mut member) {
            return r;
        }
        // compressed bytes without a `Content-Encoding` label (gzip, zlib,
        // raw deflate): an upstream that sniffs them reads the text inside
        let mut inner = |b: &[u8]| self.inspect_unpacked(route, d, content_type, b, scratch);
        if let Some(r) = crate::bodies::sniff::inspect_packed(self, route, d, body, &mut inner) {
            return r;
        }
        self.inspect_unpacked(route, d, content_type, body, scratch)
    }

    /// A body that is not compressed, read in the character set its bytes
    /// or its label say.
    fn inspect_unpacked(
        &self,
        route: &Route,
        d: Direction,
        content_type: Option<&str>,
        body: &[u8],
        scratch: &mut Scratch,
    ) -> BodyResult {
        let dp = self.dir(route, d);
        // Which characters the bytes are: a BOM or the zero-byte pattern
        // (RFC 8259) wins over the label; a label that does not fit the
        // bytes is read both ways.
        let declared = textcode::declared_charset_in(content_type, body);
        let declared_copy = declared.clone();
        let sniffed = textcode::sniff_unicode(body).or_else(|| {
            memchr::memchr(0, body)
                .is_some()
                .then(|| textcode::sniff_wide(body).map(|c| (c, 0)))
                .flatten()
        });
        use textcode::Charset as C;
        let (cs, bom, second) = match (declared_copy, sniffed) {
            (_, Some((cs, bom))) => (cs, bom, None),
            (Ok(None), None) => return self.inspect_plain(route, d, content_type, body, scratch),
            (Ok(Some(c @ (C::Latin1 | C::Windows1252))), None) => {
                if body.is_ascii() {
                    return self.inspect_plain(route, d, content_type, body, scratch);
                }
                // UTF-8 bytes under a Latin-1 label (`4111\u{2007}1111…`): a
                // receiver that ignores the label reads them as UTF-8
                (c, 0, std::str::from_utf8(body).is_ok().then_some(C::Utf8))
            }
            // a wide label on bytes without a zero: read as written, and as labelled
            (Ok(Some(c)), None) => (C::Utf8, 0, Some(c)),
            (Err(name), None) => {
                let mut res = self.uninspectable(route, format!("charset:{name}"));
                self.text_fallback(route, dp, body, &mut res, scratch);
                return res;
            }
        };
        let Some(text) = textcode::decode(cs, &body[bom..]) else {
            if bom == 0 && matches!(declared, Ok(None)) {
                // a guess from zero bytes that does not decode: binary, read as it is
                return self.inspect_plain(route, d, content_type, body, scratch);
            }
            let mut res = self.uninspectable(route, "charset:invalid".into());
            self.text_fallback(route, dp, body, &mut res, scratch);
            return res;
        };
        let mut res = self.inspect_plain(route, d, content_type, text.as_bytes(), scratch);
        let wide = |c: C| matches!(c, C::Utf16Le | C::Utf16Be | C::Utf32Le | C::Utf32Be);
        // The other way the bytes are read: as a wide label says; as UTF-8
        // under a Latin-1 label; and, for a body sniffed as wide (a BOM or
        // zero bytes), as a reader that skips the BOM and drops the zeros
        // does (`\xff\xfe` then UTF-8 JSON is no UTF-16 to a UTF-8 parser).
        let other = match second {
            Some(c) => textcode::decode(c, body).map(|t| (t, wide(c))),
            None if wide(cs) => {
                let kept: Vec<u8> = body[bom..].iter().copied().filter(|b| *b != 0).collect();
                Some((String::from_utf8_lossy(&kept).into_owned(), false))
            }
            None => None,
        };
        if let Some((other, any)) = other {
            let alt = self.inspect_plain(route, d, content_type, other.as_bytes(), scratch);
            // A wide label on bytes without a zero: whatever the labelled
            // reading finds is there for one reader. Otherwise the second
            // reading matters where it finds more than the first.
            if alt.inspection.max_action() >= Some(Action::Redact)
                && (any || adds_findings(&res.inspection, &alt.inspection))
            {
                // the two readings differ: nothing can be rewritten for both
                let mut u = self.uninspectable(route, "charset:ambiguous".into());
                u.inspection.merge(alt.inspection);
                u.inspection.merge(res.inspection);
                return u;
            }
        }
        res.body = res.body.map(|b| {
            let mut out = body[..bom].to_vec();
            out.extend_from_slice(&textcode::encode(cs, &String::from_utf8_lossy(&b)));
            out
        });
        res
    }

    /// Scans a body that could not be read properly as text, adding its
    /// findings to `res` (rewritten only when nothing blocks).
    fn text_fallback(&self, route: &Route, dp: &DirPolicy, body: &[u8], res: &mut BodyResult, scratch: &mut Scratch) {
        let text = self.scan_text(dp, body, &mut res.inspection, scratch, false);
        if res.inspection.max_action() < Some(Action::Block) {
            res.body = text.filter(|_| !route.shadow);
        }
    }

    /// A UTF-8 body by its format.
    fn inspect_plain(
        &self,
        route: &Route,
        d: Direction,
        content_type: Option<&str>,
        body: &[u8],
        scratch: &mut Scratch,
    ) -> BodyResult {
        let dp = self.dir(route, d);
        let mut insp = Inspection::default();
        let redacting = !route.shadow;
        let media = media_type(content_type);
        let xml = media.contains("xml") || media.contains("html") || body.trim_ascii_start().starts_with(b"<");
        // An XML parser expands the entities a document declares
        // (`<!ENTITY a "4111">` ... `&a;&b;&b;&b;`): pieces that are nothing
        // alone make a value only once expanded. Not read expanded here, so
        // never passed as read.
        // So do default attribute values (`<!ATTLIST person surname CDATA
        // "…">` then `<person/>`): Java's and .NET's parsers add the
        // attribute, named, to every such element; the value is not read
        // under its name here.
        if let Some(what) = xml.then(|| xml_declarations(body)).flatten() {
            let mut res = self.uninspectable(route, what.into());
            self.text_fallback(route, dp, body, &mut res, scratch);
            return res;
        }
        let format = match format_of(content_type, body) {
            // a TOML table (`[customer]`) or a YAML flow sequence sniffs as
            // JSON: a keyed format is read by its keys unless it is an object
            Format::Json
                if crate::keyed::kind_of(&media).is_some()
                    && body.iter().find(|c| !c.is_ascii_whitespace()) != Some(&b'{') =>
            {
                Format::Text
            }
            f => f,
        };
        let rewritten = match format {
            Format::Json => match self.scan_json_d(dp, body, &mut insp, scratch, 0) {
                Ok(r) => r,
                Err(json::JsonError::TooDeep) => {
                    let mut res = self.uninspectable(route, "json_depth".into());
                    self.text_fallback(route, dp, body, &mut res, scratch);
                    return res;
                }
                // Not one JSON document: JSON lines, else text (never unread).
                Err(json::JsonError::Syntax(_)) => {
                    // Findings of the partial parse are dropped: the next reading reads it all.
                    insp = Inspection::default();
                    match self.scan_ndjson(dp, body, &mut insp, scratch) {
                        Some(r) => r,
                        None => {
                            insp = Inspection::default();
                            self.scan_json5_text(dp, body, &mut insp, scratch, xml)
                        }
                    }
                }
            },
            Format::Form => self.inspect_form(dp, body, &mut insp, scratch),
            Format::Multipart => {
                let parts = crate::multipart::split(content_type.unwrap_or(""), body);
                match parts {
                    Ok(parts) => {
                        let r = self.split_card_passes(&mut insp, |insp, split, cards| {
                            self.inspect_multipart(dp, body, &parts, insp, scratch, 0, split, cards)
                        });
                        // a multipart part that does not parse as parts was read as text only
                        if let Some(why) = crate::multipart::nested_unreadable(body, &parts) {
                            let what = format!("multipart:nested_{}", why.replace(' ', "_"));
                            let u = self.uninspectable(route, what.clone());
                            insp.merge(u.inspection);
                            insp.uninspected = Some(Uninspected::Content(what));
                        }
                        r
                    }
                    // Malformed multipart is never passed unread.
                    Err(crate::multipart::Malformed(why)) => {
                        let mut res = self.uninspectable(route, format!("multipart:{}", why.replace(' ', "_")));
                        self.text_fallback(route, dp, body, &mut res, scratch);
                        return res;
                    }
                }
            }
            // a table sent as text/plain, octet-stream or without a type:
            // read by its header as a CSV body is (a receiver reads it as
            // CSV whatever its label)
            // form pairs in a body not labelled a form (`surname=…&amount=10`
            // as text/plain or without a type): read by their keys, as Rack
            // and receivers that ignore the label read them
            Format::Text => match crate::keyed::kind_of(&media)
                .or_else(|| (!xml && crate::keyed::looks_like_table(body)).then_some(crate::keyed::Kind::Table))
                .or_else(|| (!xml && crate::keyed::has_pairs(body)).then_some(crate::keyed::Kind::Pairs))
            {
                // YAML, TOML, properties, CSV: keys name their values first,
                // then the text (with what they replaced) is scanned as any
                Some(kind) => {
                    let keyed = self.scan_keyed(dp, kind, body, &mut insp);
                    let text = keyed.as_deref().unwrap_or(body);
                    self.scan_text_fields(dp, text, &mut insp, scratch, xml, None).or(keyed)
                }
                None => {
                    let fields = if xml {
                        crate::xmlfields::xml_reading(&media, body)
                    } else {
                        None
                    };
                    self.scan_text_fields(dp, body, &mut insp, scratch, xml, fields)
                }
            },
        };
        let body = if redacting && insp.max_action() != Some(Action::Block) {
            rewritten
        } else {
            None
        };
        BodyResult { inspection: insp, body }
    }

    /// The values of a keyed text format ([`crate::keyed`]) whose key
    /// classifies as a field, decided by that class alone (what the text
    /// scan finds in them is found by the scan after).
    fn scan_keyed(
        &self,
        dp: &DirPolicy,
        kind: crate::keyed::Kind,
        body: &[u8],
        insp: &mut Inspection,
    ) -> Option<Vec<u8>> {
        let mut out = Splice::new(body);
        let mut loc = String::new();
        let values = crate::keyed::values(kind, body);
        // a table column that names a thing (`sku`, `product`) makes its rows
        // a thing's: weak classes (`name`) are no person's, as under such a
        // JSON key (`sku,name,qty` is a price list)
        let pairs = kind == crate::keyed::Kind::Pairs;
        // a form's keys as its parser reads them (`last%5Fname`)
        let key_words = |k: &crate::keyed::Keyed| {
            let key = &body[k.key.0..k.key.1];
            if pairs {
                Words::split(&crate::urlpath::decode_form_until_stable(key))
            } else {
                Words::split(&crate::keyed::unescape_key(key))
            }
        };
        let thing = matches!(kind, crate::keyed::Kind::Table | crate::keyed::Kind::Pairs)
            && values
                .iter()
                .any(|k| crate::fields::context(&key_words(k)) == crate::fields::Context::NonPerson);
        // pairs inside a text that is not a form as a whole: strong classes only
        let strong_only = pairs && !values.first().is_some_and(|k| crate::keyed::form_shaped(body, k.key.0));
        // (a value two keys name, an anchor and its alias: read once, by the first that classifies)
        let mut done = 0;
        for k in values {
            if k.value.0 < done {
                continue;
            }
            let key = &body[k.key.0..k.key.1];
            // the key, else the key its mapping sits under; under a thing's
            // key (`product:`) weak classes are no person's
            let parent = k.parent.map(|p| Words::split(&body[p.0..p.1]));
            let own = self.policy.classify_field(&key_words(&k));
            let Some(class) = own.or_else(|| parent.as_ref().and_then(|p| self.policy.classify_field(p))) else {
                continue;
            };
            let under_thing = parent
                .as_ref()
                .is_some_and(|p| crate::fields::context(p) == crate::fields::Context::NonPerson);
            if (thing || under_thing || strong_only) && class.strength == Strength::Weak {
                continue;
            }
            done = k.value.1;
            loc.clear();
            loc.push_str("body:");
            loc.push_str(crate::http::safe_name_str(&String::from_utf8_lossy(key)));
            match self.decide_hits(dp, &body[k.value.0..k.value.1], &[], Some(class), &loc, insp) {
                ValueOutcome::Keep => {}
                ValueOutcome::Replace(n) => out.put(k.value.0, k.value.1, &n),
                ValueOutcome::Remove => out.put(k.value.0, k.value.1, b""),
            }
        }
        out.finish()
    }

    /// JSON lines: every non-empty line one JSON value. `Some` (the rewrite
    /// or not) when they all are, `None` when this is not NDJSON.
    fn scan_ndjson(
        &self,
        dp: &DirPolicy,
        body: &[u8],
        insp: &mut Inspection,
        scratch: &mut Scratch,
    ) -> Option<Option<Vec<u8>>> {
        memchr::memchr(b'\n', body)?;
        let mut out = Vec::with_capacity(body.len());
        let mut changed = false;
        for (i, line) in body.split(|c| *c == b'\n').enumerate() {
            if i > 0 {
                out.push(b'\n');
            }
            if line.trim_ascii().is_empty() {
                out.extend_from_slice(line);
                continue;
            }
            match self.scan_json_d(dp, line, insp, scratch, 0) {
                Ok(Some(n)) => {
                    out.extend_from_slice(&n);
                    changed = true;
                }
                Ok(None) => out.extend_from_slice(line),
                Err(_) => return None,
            }
        }
        Some(changed.then_some(out))
    }

    /// `application/x-www-form-urlencoded`: every key, value and value-less
    /// parameter, percent-decoded (until stable, bounded) before detection.
    /// A card split over the short digit-only values of sibling fields
    /// (`a=4111&b=1111&…`, [`json::SplitCards::sibling`]) is found while
    /// reading; when there is one (rare), the form is read again with
    /// those values as the card's parts.
    fn inspect_form(
        &self,
        dp: &DirPolicy,
        raw: &[u8],
        insp: &mut Inspection,
        scratch: &mut Scratch,
    ) -> Option<Vec<u8>> {
        self.split_card_passes(insp, |insp, split, parts| {
            self.inspect_form_pass(dp, raw, insp, scratch, split, parts)
        })
    }

    /// Reads a carrier with `pass` once, feeding a [`json::SplitCards`];
    /// when it finds a split card, reads it again (findings of the first
    /// reading dropped) with the parts found. Without the card detector,
    /// one reading.
    fn split_card_passes<R>(
        &self,
        insp: &mut Inspection,
        mut pass: impl FnMut(&mut Inspection, Option<&mut json::SplitCards>, &[usize]) -> R,
    ) -> R {
        if !self
            .policy
            .detectors
            .enabled(crate::registry::Builtin::PaymentCard as u16)
        {
            return pass(insp, None, &[]);
        }
        let before = insp.clone();
        let mut split = json::SplitCards::default();
        let r = pass(insp, Some(&mut split), &[]);
        split.finish();
        if split.found.is_empty() {
            return r;
        }
        *insp = before;
        pass(insp, None, &split.found)
    }

    /// A value read as a part of a split card (`parts`, [`json::SplitCards`]):
    /// a `payment_card` finding over the whole value.
    fn card_part(
        &self,
        dp: &DirPolicy,
        val: &[u8],
        class: Option<FieldClass>,
        loc: &str,
        insp: &mut Inspection,
    ) -> ValueOutcome {
        let card = [RawMatch {
            detector: crate::registry::Builtin::PaymentCard as u16,
            start: 0,
            end: val.len(),
        }];
        self.decide_value(dp, val, &card, class, loc, insp)
    }

    /// One reading of a form: `split` is fed every value; the values of
    /// the pairs whose indexes are in `parts` (sorted) are read as parts of
    /// a card.
    fn inspect_form_pass(
        &self,
        dp: &DirPolicy,
        raw: &[u8],
        insp: &mut Inspection,
        scratch: &mut Scratch,
        mut split: Option<&mut json::SplitCards>,
        parts: &[usize],
    ) -> Option<Vec<u8>> {
        let pre = self.inner_pairs(dp, raw, b'&', b';', "form", insp, scratch, true);
        let raw: &[u8] = pre.as_deref().unwrap_or(raw);
        // a GraphQL request as a form (express-graphql reads one)
        let gql = self.pairs_graphql_vars(raw);
        let form_decode = |b: &[u8]| crate::urlpath::decode_form_until_stable(b).into_owned();
        let eav = self.eav_pairs(raw, b'&', &form_decode);
        // the class a `df`/`qf` pair gives a query parameter's value, once looked for
        let mut default_field = None;
        let mut out = Vec::with_capacity(raw.len());
        let mut changed = false;
        // one buffer for every pair's location
        let mut loc = String::new();
        for (i, part) in raw.split(|&c| c == b'&').enumerate() {
            if i > 0 {
                out.push(b'&');
            }
            let (k, v) = match memchr::memchr(b'=', part) {
                Some(p) => (&part[..p], Some(&part[p + 1..])),
                None => (part, None),
            };
            // decoded as the query is (red team: a form value escaped as
            // overlong UTF-8, `%C1%80` for `@`, was read one round deep
            // while the same text in the query was folded)
            let key = crate::urlpath::decode_form_until_stable(k);
            loc.clear();
            loc.push_str("form:");
            loc.push_str(crate::http::safe_name_str(&String::from_utf8_lossy(&key)));
            // the key (or the whole value-less parameter) is text too
            let key_out = match self.inspect_value_d(dp, &key, None, "form:*", insp, scratch, 0, false) {
                ValueOutcome::Keep => None,
                ValueOutcome::Replace(n) => Some(percent_encode(&n)),
                ValueOutcome::Remove => Some(Vec::new()),
            };
            let val_out = v.and_then(|v| {
                let val = crate::urlpath::decode_form_until_stable(v);
                if let Some(sp) = split.as_deref_mut() {
                    sp.sibling(i, Some(&val));
                }
                let class = self
                    .classify_pair_key(&key)
                    .or_else(|| eav.iter().find(|e| e.0 == i).map(|e| e.1));
                let vars = Vars {
                    names: &gql,
                    root: true,
                };
                let outcome = if !parts.is_empty() && parts.binary_search(&i).is_ok() {
                    self.card_part(dp, &val, class, &loc, insp)
                } else if let Some(o) = (!gql.is_empty() && key.as_ref() == b"variables")
                    .then(|| self.inspect_json_vars(dp, &val, insp, scratch, 0, vars))
                    .flatten()
                {
                    o
                } else if let Some(langs) = Some(crate::filterexpr::langs_of_key(&key)).filter(|l| !l.is_empty()) {
                    let class = class
                        .or_else(|| self.default_field_class(raw, b'&', &form_decode, langs, &val, &mut default_field));
                    self.inspect_value_vars(dp, &val, class, &loc, insp, scratch, Vars::NONE, langs)
                } else {
                    self.inspect_value_d(dp, &val, class, &loc, insp, scratch, 0, false)
                };
                match outcome {
                    ValueOutcome::Keep => None,
                    ValueOutcome::Replace(n) => Some(percent_encode(&n)),
                    ValueOutcome::Remove => Some(Vec::new()),
                }
            });
            if v.is_none() {
                if let Some(sp) = split.as_deref_mut() {
                    sp.sibling(i, None);
                }
            }
            if key_out.is_none() && val_out.is_none() {
                out.extend_from_slice(part);
                continue;
            }
            changed = true;
            out.extend_from_slice(key_out.as_deref().unwrap_or(k));
            if let Some(v) = v {
                out.push(b'=');
                out.extend_from_slice(val_out.as_deref().unwrap_or(v));
            }
        }
        (changed || pre.is_some()).then_some(out)
    }

    /// Pairs that `inner` separates inside `outer`-separated ones
    /// (`a=1;password=x` in a query or form: Rack, Perl's CGI and older
    /// Python split on `;` too; `a=1, password=x` in a cookie: RFC 2109
    /// separated cookies with `,`), so `password` is a field there. The
    /// values are read by every detector as part of the outer value anyway;
    /// what the outer split loses is the field name, so each such pair whose
    /// name classifies is read with its class here. Returns `raw` with those
    /// values rewritten, if one changed.
    #[allow(clippy::too_many_arguments)]
    fn inner_pairs(
        &self,
        dp: &DirPolicy,
        raw: &[u8],
        outer: u8,
        inner: u8,
        kind: &str,
        insp: &mut Inspection,
        scratch: &mut Scratch,
        redacting: bool,
    ) -> Option<Vec<u8>> {
        memchr::memchr(inner, raw)?;
        let decode = |b: &[u8]| {
            if outer == b'&' {
                crate::urlpath::decode_form_until_stable(b).into_owned()
            } else {
                crate::urlpath::decode_until_stable(b).into_owned()
            }
        };
        let mut out = Vec::new();
        let mut at = 0;
        let mut start = 0;
        for part in raw.split(|&c| c == outer) {
            let part_start = start;
            start += part.len() + 1;
            let mut sub_start = part_start;
            for (j, sub) in part.split(|&c| c == inner).enumerate() {
                let s0 = sub_start;
                sub_start += sub.len() + 1;
                let Some(eq) = memchr::memchr(b'=', sub).filter(|_| j > 0) else {
                    continue;
                };
                let key = decode(sub[..eq].trim_ascii_start());
                let Some(class) = self.classify_pair_key(&key) else {
                    continue;
                };
                let v = &sub[eq + 1..];
                let val = decode(v);
                let loc = format!("{kind}:{}", safe_name(&String::from_utf8_lossy(&key)));
                let new = match self.inspect_value(dp, &val, Some(class), &loc, insp, scratch) {
                    ValueOutcome::Keep => continue,
                    ValueOutcome::Replace(nv) => percent_encode(&nv),
                    ValueOutcome::Remove => Vec::new(),
                };
                if redacting {
                    out.extend_from_slice(&raw[at..s0 + eq + 1]);
                    out.extend_from_slice(&new);
                    at = s0 + eq + 1 + v.len();
                }
            }
        }
        if at == 0 {
            return None;
        }
        out.extend_from_slice(&raw[at..]);
        Some(out)
    }

    /// gRPC and gRPC-Web: every message of the body, its length-delimited
    /// fields read as text (and as nested messages); compressed messages
    /// when `grpc-encoding` is one we read. A body that is not gRPC framing
    /// is read as whatever it is.
    fn inspect_grpc(
        &self,
        route: &Route,
        d: Direction,
        media: &str,
        grpc_encoding: Option<&str>,
        body: &[u8],
        scratch: &mut Scratch,
    ) -> BodyResult {
        let dp = self.dir(route, d);
        let web_text = media.starts_with("application/grpc-web-text");
        let decoded;
        let raw: &[u8] = if web_text {
            match grpc::decode_web_text(body) {
                Some(b) => {
                    decoded = b;
                    &decoded
                }
                None => return self.inspect_plain(route, d, None, body, scratch),
            }
        } else {
            body
        };
        let Ok(frames) = grpc::frames(raw) else {
            // not gRPC framing: an upstream that ignores the label reads it as it is
            return self.inspect_plain(route, d, None, raw, scratch);
        };
        let json_payload = media.contains("+json");
        let coding = grpc_encoding
            .map(|e| e.trim().to_ascii_lowercase())
            .filter(|e| !e.is_empty() && e != "identity");
        let limit = self.policy.limits.max_body_bytes;
        let mut insp = Inspection::default();
        let mut out = Vec::with_capacity(raw.len());
        let mut changed = false;
        for f in &frames {
            let mut payload = std::borrow::Cow::Borrowed(&raw[f.start..f.end]);
            let compressed = f.flag & 1 == 1;
            let mut layer = None;
            if compressed {
                let c = match coding.as_deref() {
                    Some("gzip") => crate::encoding::Coding::Gzip,
                    Some("deflate") => crate::encoding::Coding::Deflate,
                    other => {
                        let name = other.filter(|n| n.len() <= 16 && n.bytes().all(|c| c.is_ascii_alphanumeric()));
                        return self.uninspectable(route, format!("grpc:compressed:{}", name.unwrap_or("unknown")));
                    }
                };
                match crate::encoding::decode(c, &payload, limit) {
                    Ok(p) => payload = std::borrow::Cow::Owned(p),
                    Err(crate::encoding::DecodeError::TooLarge) => {
                        return self.uninspectable(route, "grpc:oversize".into())
                    }
                    Err(_) => return self.uninspectable(route, "grpc:corrupt".into()),
                }
                layer = Some(c);
            }
            let new = if f.flag & 0x80 != 0 {
                // gRPC-Web trailers: header lines
                self.scan_text(dp, &payload, &mut insp, scratch, false)
            } else if json_payload || looks_json(&payload) {
                match self.scan_json_d(dp, &payload, &mut insp, scratch, 0) {
                    Ok(r) => r,
                    Err(_) => self.scan_text(dp, &payload, &mut insp, scratch, false),
                }
            } else {
                self.scan_protobuf(dp, &payload, &mut insp, scratch)
            };
            match new {
                Some(n) => {
                    let n = match layer {
                        Some(c) => crate::encoding::encode(c, &n),
                        None => n,
                    };
                    grpc::put_frame(&mut out, f.flag, &n);
                    changed = true;
                }
                None => out.extend_from_slice(&raw[f.start - 5..f.end]),
            }
        }
        let body = if changed && !route.shadow && insp.max_action() != Some(Action::Block) {
            Some(if web_text { grpc::encode_web_text(&out) } else { out })
        } else {
            None
        };
        BodyResult { inspection: insp, body }
    }

    /// One protobuf message without its schema: every length-delimited
    /// field as text (and as a nested message); a message that does not
    /// parse is read as text.
    fn scan_protobuf(
        &self,
        dp: &DirPolicy,
        msg: &[u8],
        insp: &mut Inspection,
        scratch: &mut Scratch,
    ) -> Option<Vec<u8>> {
        if !grpc::is_message(msg) {
            return match self.inspect_value_d(dp, msg, None, "body:grpc", insp, scratch, 0, false) {
                ValueOutcome::Keep => None,
                ValueOutcome::Replace(v) => Some(v),
                ValueOutcome::Remove => Some(Vec::new()),
            };
        }
        let mut found = false;
        grpc::rewrite(msg, &mut Vec::new(), &mut found, &mut |path, bytes, found| {
            let before: u32 = insp.findings.iter().map(|f| f.count).sum();
            let loc = format!(
                "body:grpc.{}",
                path.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(".")
            );
            let r = self.inspect_value_d(dp, bytes, None, &loc, insp, scratch, 0, false);
            if insp.findings.iter().map(|f| f.count).sum::<u32>() != before {
                *found = true;
            }
            match r {
                ValueOutcome::Keep => grpc::Leaf::Keep,
                ValueOutcome::Replace(v) => grpc::Leaf::Replace(v),
                ValueOutcome::Remove => grpc::Leaf::Replace(Vec::new()),
            }
        })
    }

    /// A MessagePack or CBOR document ([`crate::binobj`]): each value by
    /// the key of its map, as a form field by its name; map keys as text.
    fn scan_binobj(
        &self,
        dp: &DirPolicy,
        kind: crate::binobj::Kind,
        doc: &[u8],
        insp: &mut Inspection,
        scratch: &mut Scratch,
    ) -> Result<Option<Vec<u8>>, crate::binobj::Error> {
        let mut loc = String::new();
        let mut sub = Inspection::default();
        // (class, context) the maps around a value give it, level by level
        // as a JSON object's keys do; kept for the levels a next value shares
        let mut levels: Vec<(Vec<u8>, Option<FieldClass>, crate::fields::Context)> = Vec::new();
        let r = crate::binobj::rewrite(kind, doc, &mut |leaf| {
            let same = levels.iter().zip(leaf.parents).take_while(|(l, p)| l.0 == **p).count();
            levels.truncate(same);
            for p in &leaf.parents[same..] {
                let (inh, ctx) = levels
                    .last()
                    .map_or((None, crate::fields::Context::Neutral), |l| (l.1, l.2));
                let w = Words::split(p);
                let c = match crate::fields::context(&w) {
                    crate::fields::Context::Neutral => ctx,
                    c => c,
                };
                let class = self.policy.classify_field(&w).or(inh);
                levels.push((p.clone(), weak_under_thing(class, c), c));
            }
            let (inh, ctx) = levels
                .last()
                .map_or((None, crate::fields::Context::Neutral), |l| (l.1, l.2));
            let class = match leaf.key {
                Some(k) if !leaf.is_key => weak_under_thing(self.policy.classify_field(&Words::split(k)).or(inh), ctx),
                _ => None,
            };
            loc.clear();
            loc.push_str("body:");
            loc.push_str(kind.name());
            loc.push(':');
            match leaf.key {
                Some(k) if !leaf.is_key => loc.push_str(crate::http::safe_name_str(&String::from_utf8_lossy(k))),
                _ => loc.push('*'),
            }
            match self.inspect_value_d(dp, leaf.text, class, &loc, &mut sub, scratch, 0, false) {
                ValueOutcome::Keep => None,
                ValueOutcome::Replace(v) => Some(v),
                ValueOutcome::Remove => Some(Vec::new()),
            }
        });
        // a document that is not one leaves no findings of its own
        if r.is_ok() {
            insp.merge(sub);
        }
        r
    }

    /// Each part is inspected: its headers (names, file names), then its
    /// content by its field name (JSON parts as JSON). Files are read when
    /// their type is text-like or their bytes are text whatever the label.
    #[allow(clippy::too_many_arguments)]
    fn inspect_multipart(
        &self,
        dp: &DirPolicy,
        body: &[u8],
        parts: &[crate::multipart::Part],
        insp: &mut Inspection,
        scratch: &mut Scratch,
        depth: usize,
        mut split: Option<&mut json::SplitCards>,
        cards: &[usize],
    ) -> Option<Vec<u8>> {
        let mut out = Splice::new(body);
        // Preamble and epilogue (around the delimiters): parsers ignore
        // them, but an upstream that reads the body as text does not.
        let first = parts.first().map_or(body.len(), |p| p.head_start);
        if let ValueOutcome::Replace(n) =
            self.inspect_value_d(dp, &body[..first], None, "multipart:preamble", insp, scratch, 0, false)
        {
            out.put(0, first, &n);
        }
        for (index, p) in parts.iter().enumerate() {
            // part headers: the field name, the file name, any other header
            let head = &body[p.head_start..p.head_end];
            if let ValueOutcome::Replace(n) =
                self.inspect_value_d(dp, head, None, "multipart:headers", insp, scratch, 0, false)
            {
                out.put(p.head_start, p.head_end, &n);
            }
            // read as the receiver decodes it (quoted-printable, base64 parts)
            let raw = &body[p.body_start..p.body_end];
            let decoded = crate::multipart::transfer_decode(p.transfer.as_deref(), raw);
            let content: &[u8] = decoded.as_deref().unwrap_or(raw);
            // a card split over the values of sibling fields (`split`,
            // `cards`: [`Engine::split_card_passes`])
            if let Some(sp) = split.as_deref_mut() {
                sp.sibling(index, (!p.filename).then_some(content));
            }
            // A file whose bytes are not text (an image, a PDF, an archive)
            // is read as a body of such bytes is: the text in it is found
            // (red team: a card after 1 KB of control bytes passed a block
            // route as a `multipart:binary_file`), as a receiver that
            // stores it keeps it.
            // a multipart body inside a part (`multipart/mixed` files):
            // its parts read as parts, transfer encodings decoded
            let nested = p
                .content_type
                .as_deref()
                .filter(|c| depth < crate::multipart::MAX_NESTING && media_type(Some(c)).starts_with("multipart/"))
                .and_then(|c| crate::multipart::split(c, content).ok());
            if let Some(inner) = nested {
                if let Some(n) = self.inspect_multipart(dp, content, &inner, insp, scratch, depth + 1, None, &[]) {
                    out.put_part(p, decoded.is_some(), &n);
                }
                continue;
            }
            let name = p.name.clone().unwrap_or_default();
            let is_json = p
                .content_type
                .as_deref()
                .is_some_and(|c| c.to_ascii_lowercase().contains("json"));
            let new = if !cards.is_empty() && cards.binary_search(&index).is_ok() {
                let class = self.policy.classify_field(&Words::split(name.as_bytes()));
                match self.card_part(dp, content, class, &format!("multipart:{}", safe_name(&name)), insp) {
                    ValueOutcome::Keep => None,
                    ValueOutcome::Replace(v) => Some(v),
                    ValueOutcome::Remove => Some(Vec::new()),
                }
            } else if is_json || (p.filename && format_of(p.content_type.as_deref(), content) == Format::Json) {
                let mut sub = Inspection::default();
                let r = match self.scan_json_d(dp, content, &mut sub, scratch, 0) {
                    Ok(r) => r,
                    // not JSON whatever its label (gzip, base64, text): read as any value is
                    Err(_) => {
                        sub = Inspection::default();
                        let loc = format!("multipart:{}", safe_name(&name));
                        match self.inspect_value_d(dp, content, None, &loc, &mut sub, scratch, 0, false) {
                            ValueOutcome::Keep => None,
                            ValueOutcome::Replace(v) => Some(v),
                            ValueOutcome::Remove => Some(Vec::new()),
                        }
                    }
                };
                insp.merge(sub);
                r
            } else if let Some(kind) = crate::keyed::kind_of(&media_type(p.content_type.as_deref())).or_else(|| {
                (p.filename
                    && !p.content_type.as_deref().is_some_and(|c| {
                        let c = c.to_ascii_lowercase();
                        c.contains("xml") || c.contains("html")
                    })
                    && crate::keyed::looks_like_table(content))
                .then_some(crate::keyed::Kind::Table)
            }) {
                // a CSV, YAML, TOML or properties part (or a file that
                // starts as a table): read by its keys, as such a body is
                let keyed = self.scan_keyed(dp, kind, content, insp);
                let text = keyed.as_deref().unwrap_or(content);
                let loc = format!("multipart:{}", safe_name(&name));
                match self.inspect_value_d(dp, text, None, &loc, insp, scratch, 0, false) {
                    ValueOutcome::Keep => keyed,
                    ValueOutcome::Replace(v) => Some(v),
                    ValueOutcome::Remove => Some(Vec::new()),
                }
            } else {
                let class = if p.filename {
                    None
                } else {
                    self.policy.classify_field(&Words::split(name.as_bytes()))
                };
                let loc = format!("multipart:{}", safe_name(&name));
                let xml = p
                    .content_type
                    .as_deref()
                    .is_some_and(|c| c.to_ascii_lowercase().contains("xml") || c.to_ascii_lowercase().contains("html"));
                match self.inspect_value_d(dp, content, class, &loc, insp, scratch, 0, xml) {
                    ValueOutcome::Keep => None,
                    ValueOutcome::Replace(v) => Some(v),
                    ValueOutcome::Remove => Some(Vec::new()),
                }
            };
            if let Some(n) = new {
                out.put_part(p, decoded.is_some(), &n);
            }
        }
        if let Some(last) = parts.last() {
            let tail = &body[last.body_end..];
            if let ValueOutcome::Replace(n) =
                self.inspect_value_d(dp, tail, None, "multipart:epilogue", insp, scratch, 0, false)
            {
                out.put(last.body_end, body.len(), &n);
            }
        }
        out.finish()
    }

    /// The outcome for content that could not be read: the route's
    /// `on_uninspectable` rule.
    pub fn uninspectable(&self, route: &Route, what: String) -> BodyResult {
        let action = match route.on_uninspectable {
            OnUninspectable::Block => Action::Block,
            OnUninspectable::Log => Action::Log,
            OnUninspectable::Allow => Action::Allow,
        };
        let insp = Inspection {
            findings: vec![Finding::uninspectable(&what, action)],
            uninspected: Some(Uninspected::Content(what)),
        };
        BodyResult {
            inspection: insp,
            body: None,
        }
    }

    fn scan_text(
        &self,
        dp: &DirPolicy,
        body: &[u8],
        insp: &mut Inspection,
        scratch: &mut Scratch,
        xml: bool,
    ) -> Option<Vec<u8>> {
        self.scan_text_fields(dp, body, insp, scratch, xml, None)
    }

    /// A text body; with `xml_fields`, an XML document whose element names
    /// (and attribute names when `Some(true)`) classify their values
    /// ([`crate::xmlfields`]) as JSON keys do: a value no detector matched
    /// is a field finding.
    fn scan_text_fields(
        &self,
        dp: &DirPolicy,
        body: &[u8],
        insp: &mut Inspection,
        scratch: &mut Scratch,
        xml: bool,
        xml_fields: Option<bool>,
    ) -> Option<Vec<u8>> {
        let mut hits = self.value_hits(dp, body, "body", insp, scratch, 0, Escapes::text(xml), true);
        if let Some(attributes) = xml_fields {
            let mut classify = |w: &Words| self.policy.classify_field(w);
            let found = crate::xmlfields::field_values(body, attributes, &mut classify);
            self.add_field_hits(body, &mut hits, found);
        } else if crate::graphql::looks_graphql(body) {
            // an `application/graphql` body (or one sniffed so)
            let mut classify = |w: &Words| self.policy.classify_field(w);
            let found = crate::graphql::argument_values(body, &mut classify);
            self.add_field_hits(body, &mut hits, found);
        }
        match self.decide_hits(dp, body, &hits, None, "body", insp) {
            ValueOutcome::Replace(v) => Some(v),
            ValueOutcome::Remove => Some(Vec::new()),
            ValueOutcome::Keep => None,
        }
    }

    /// A body declared JSON that is not JSON (nor JSON lines), read as text,
    /// its values by their keys ([`json::lenient_field_values`]), and its
    /// numbers as a JSON5 receiver reads them (`{ref: 0xE9B08A568F1C7}`
    /// is 4111111111111111, `41111111111111110E-1` too): a number whose value
    /// holds something is a finding on the number as written.
    fn scan_json5_text(
        &self,
        dp: &DirPolicy,
        body: &[u8],
        insp: &mut Inspection,
        scratch: &mut Scratch,
        xml: bool,
    ) -> Option<Vec<u8>> {
        let mut hits = self.value_hits(dp, body, "body", insp, scratch, 0, Escapes::text(xml), true);
        self.json5_number_hits(body, scratch, &mut hits);
        // and its values by their keys, as a lenient receiver reads them
        let mut classify = |w: &Words| self.policy.classify_field(w);
        let found = json::lenient_field_values(body, &mut classify);
        self.add_field_hits(body, &mut hits, found);
        match self.decide_hits(dp, body, &hits, None, "body", insp) {
            ValueOutcome::Replace(v) => Some(v),
            ValueOutcome::Remove => Some(Vec::new()),
            ValueOutcome::Keep => None,
        }
    }

    /// The numbers of a JSON5 document in values' places, as a JSON5
    /// receiver reads them (`0xE9B08A568F1C7` is 4111111111111111): a
    /// number whose value holds something is a hit on the number as
    /// written. `hits` stays sorted by start.
    fn json5_number_hits(&self, body: &[u8], scratch: &mut Scratch, hits: &mut Vec<Hit>) {
        let mut found = Vec::new();
        for (s, e) in json::number_tokens(body) {
            let tok = &body[s..e];
            let Some(val) = json::number_value(tok)
                .map(|v| expanded_number(&v).unwrap_or(v))
                .or_else(|| expanded_number(tok))
            else {
                continue;
            };
            found.clear();
            self.policy.detectors.scan(&val, scratch, &mut found);
            if let Some(m) = found.first() {
                hits.push(Hit {
                    start: s,
                    end: e,
                    kind: HitKind::Det(m.detector, Some(val[m.start..m.end].to_vec())),
                });
            }
        }
        hits.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
    }

    /// A JSON document: every value read ([`Engine::scan_json_pass`]). A
    /// card split over short digit-only values of one container
    /// ([`json::SplitCards`]) is found while reading; when there is one
    /// (rare), the document is read again with those values as the card's
    /// parts (each a `payment_card` finding, redacted whole).
    fn scan_json_d(
        &self,
        dp: &DirPolicy,
        body: &[u8],
        insp: &mut Inspection,
        scratch: &mut Scratch,
        depth: u8,
    ) -> Result<Option<Vec<u8>>, json::JsonError> {
        self.scan_json_vars(dp, body, insp, scratch, depth, Vars::NONE)
    }

    /// [`Engine::scan_json_d`] of a document whose values may be GraphQL
    /// variables that `vars` classifies. A first reading collects the
    /// variables a GraphQL document in it (`query`) gives to arguments
    /// that classify them; a second reading, only when there are any, or
    /// a card split over values, or values named by a sibling member read
    /// after them (`{"value":"Quispe","name":"surname"}`, [`json::Pairs`]),
    /// reads with them.
    fn scan_json_vars(
        &self,
        dp: &DirPolicy,
        body: &[u8],
        insp: &mut Inspection,
        scratch: &mut Scratch,
        depth: u8,
        vars: Vars<'_>,
    ) -> Result<Option<Vec<u8>>, json::JsonError> {
        let cards = self
            .policy
            .detectors
            .enabled(crate::registry::Builtin::PaymentCard as u16);
        let before = insp.clone();
        let mut split = json::SplitCards::default();
        let mut found = Vec::new();
        // (a document without a `$`, written or escaped, holds no variable)
        let gql = memchr::memchr2(b'$', b'\\', body).is_some_and(|i| {
            memchr::memchr(b'$', &body[i..]).is_some() || memchr::memmem::find(&body[i..], b"\\u0024").is_some()
        });
        let mut pairs = json::Pairs::default();
        let r = self.scan_json_pass(
            dp,
            body,
            insp,
            scratch,
            depth,
            cards.then_some(&mut split),
            &[],
            vars,
            gql.then_some(&mut found),
            &mut pairs,
        )?;
        split.finish();
        if split.found.is_empty() && found.is_empty() && pairs.late.is_empty() {
            return Ok(r);
        }
        *insp = before;
        let mut pairs = json::Pairs::given(std::mem::take(&mut pairs.late));
        let vars = if found.is_empty() {
            vars
        } else {
            Vars {
                names: &found,
                root: false,
            }
        };
        self.scan_json_pass(
            dp,
            body,
            insp,
            scratch,
            depth,
            None,
            &split.found,
            vars,
            None,
            &mut pairs,
        )
    }

    /// One reading of a JSON document: `split` is fed every value; `parts`
    /// (token starts, sorted) are read as parts of a card.
    #[allow(clippy::too_many_arguments)]
    fn scan_json_pass(
        &self,
        dp: &DirPolicy,
        body: &[u8],
        insp: &mut Inspection,
        scratch: &mut Scratch,
        depth: u8,
        mut split: Option<&mut json::SplitCards>,
        parts: &[usize],
        vars: Vars<'_>,
        mut found_vars: Option<&mut Vec<(Vec<u8>, FieldClass)>>,
        pairs: &mut json::Pairs,
    ) -> Result<Option<Vec<u8>>, json::JsonError> {
        let gql_on = found_vars.is_some() || !vars.names.is_empty();
        let opts = json::Options {
            max_depth: self.policy.limits.max_json_depth,
            track_members: dp.has_remove,
            keys: true,
            reference: self.reference,
        };
        let classify = |w: &Words| self.policy.classify_field(w);
        let mut matches: Vec<RawMatch> = Vec::new();
        let mut locs = LocCache::default();
        let mut key_locs = LocCache::default();
        // one set of buffers for every value of the document
        let mut bufs = HitBufs::default();
        // values found clean, by bytes: a repeated value is not read again
        let mut clean = CleanValues::default();
        let mut rendered: Vec<u8> = Vec::new();
        // a key named for a query language (`query`, `filter`) was seen
        let mut query_keys = false;
        let mut visit = |v: &Visit, s: Scalar, out: &mut Vec<u8>| -> Verdict {
            if let Scalar::Key(k, id) = &s {
                query_keys |= !crate::filterexpr::langs_of_key(k).is_empty();
                let before: u32 = insp.findings.iter().map(|f| f.count).sum();
                // the keys of one object share their location
                let loc = key_locs.get_at(v.input, &v.path[..v.path.len().saturating_sub(1)], ".*");
                let r = self.inspect_value_d(dp, k, None, &loc, insp, scratch, depth.max(MAX_NEST - 1), false);
                // keys repeat (arrays of objects): one found clean (nothing
                // recorded, so kept) is clean wherever it occurs
                let clean = id.is_some() && insp.findings.iter().map(|f| f.count).sum::<u32>() == before;
                return match r {
                    ValueOutcome::Keep if clean => Verdict::Clean,
                    ValueOutcome::Keep => Verdict::Keep,
                    ValueOutcome::Replace(n) => Verdict::Replace(json::quote(&n)),
                    ValueOutcome::Remove => Verdict::Replace(b"\"\"".to_vec()),
                };
            }
            // GraphQL: the variables its document gives to arguments that
            // classify them (`updateUser(lastName: $a)`, then `variables.a`);
            // a variable's value (or the `variables` object as a string,
            // which express-graphql and others parse) is its argument's
            let gql_field;
            let v = if gql_on {
                match self.graphql_visit(dp, v, &s, vars, found_vars.as_deref_mut(), insp, scratch, depth) {
                    GqlStep::Done(verdict, Some(n)) => {
                        json::quote_into(&n, out);
                        return verdict;
                    }
                    GqlStep::Done(verdict, None) => return verdict,
                    GqlStep::Field(cls) => {
                        gql_field = json::Visit { field: Some(cls), ..*v };
                        &gql_field
                    }
                    GqlStep::Read => v,
                }
            } else {
                v
            };
            // a number with an exponent, or written as a lenient receiver
            // reads it (`0x…`, `1_000`, `+1`), is read as the value it stores
            let expanded = match &s {
                Scalar::Num(n) => match v.lenient.then(|| json::number_value(n)).flatten() {
                    Some(x) => expanded_number(&x).or(Some(x)),
                    None => expanded_number(n),
                },
                _ => None,
            };
            let val: &[u8] = match &s {
                Scalar::Str(c) => c,
                Scalar::Num(n) => expanded.as_deref().unwrap_or(n),
                Scalar::Key(k, _) => k,
            };
            if let Some(sp) = split.as_deref_mut() {
                // (the tracker reads which are parts: short, digits)
                let cand = match &s {
                    Scalar::Str(c) => Some(&c[..]),
                    Scalar::Num(n) if !v.lenient => Some(*n),
                    _ => None,
                };
                sp.value(v.input, v.path, v.start, cand);
            }
            // Path rules first: they force or exempt a value whatever it holds.
            if !dp.paths.is_empty() {
                if let Some(rule) = dp
                    .paths
                    .iter()
                    .filter(|r| path_matches(&r.segs, v.input, v.path, r.action != Action::Allow))
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
            // a part of a card split over values ([`json::SplitCards`])
            if !parts.is_empty() && parts.binary_search(&v.start).is_ok() {
                let card = [RawMatch {
                    detector: crate::registry::Builtin::PaymentCard as u16,
                    start: 0,
                    end: val.len(),
                }];
                let loc = locs.get(v);
                return match self.decide_value(dp, val, &card, v.field, &loc, insp) {
                    ValueOutcome::Keep => Verdict::Keep,
                    ValueOutcome::Remove => Verdict::Remove,
                    ValueOutcome::Replace(nv) => {
                        json::quote_into(&nv, out);
                        Verdict::Written
                    }
                };
            }
            // A value read before in this document without a finding, a
            // hit or a note, outside any field class, is kept again without
            // reading: what it holds depends only on its bytes and on how
            // it was written (`plain`, `lenient`), both part of the key
            // (`tests/shortcuts.rs` compares with the engine without it).
            // A string read before is not searched again either: the hits
            // remembered with it are decided again here (its field class,
            // its location), as a new search's would be.
            // a member that holds a query language (`"query": "lastName:…"`,
            // `"filter": "name.familyName eq …"`): read in it, never remembered
            let langs = if query_keys { member_langs(v, &s) } else { Langs::NONE };
            let memo = match &s {
                _ if self.reference || val.len() > CleanValues::MAX_LEN || !langs.is_empty() => None,
                // (a nested XML or GraphQL document is never remembered,
                // so not looked for: it is looked at on a miss only)
                Scalar::Str(_) if depth < MAX_NEST && looks_json(val) => None,
                Scalar::Str(_) => Some(if v.plain { 1 } else { 2 }),
                _ if v.field.is_some() => None,
                // (a lenient spelling is read as its value: its own kind)
                Scalar::Num(_) => Some(if v.lenient { 4 } else { 3 }),
                Scalar::Key(..) => None,
            };
            // (hashed once: looked up now, remembered under the same hash)
            let memo = memo.map(|kind| (kind, CleanValues::hash(kind, val)));
            let mut known = false;
            if let Some((kind, h)) = memo {
                match clean.get(v.input, h, kind, val) {
                    Some([]) if v.field.is_none() => return Verdict::Keep,
                    // (numbers are remembered clean only, and looked for
                    // outside field classes only)
                    Some(hits) => {
                        bufs.hits.clear();
                        bufs.hits.extend(hits.iter().map(|&(d, start, end)| Hit {
                            start: start as usize,
                            end: end as usize,
                            kind: HitKind::Det(d, None),
                        }));
                        known = true;
                    }
                    None => {}
                }
            }
            let outcome = if let Scalar::Str(_) = &s {
                if !known
                    && depth < MAX_NEST
                    && (looks_json(val) || (v.field.is_none() && nested_doc(val) != Nested::None))
                {
                    let loc = locs.get(v);
                    self.inspect_value_d(dp, val, v.field, &loc, insp, scratch, depth, false)
                } else if !langs.is_empty() && depth < MAX_NEST {
                    let loc = locs.get(v);
                    self.inspect_query_value(dp, val, &loc, insp, scratch, depth, langs)
                } else {
                    if !known {
                        let esc = if v.plain { Escapes::None } else { Escapes::Text };
                        self.value_hits_into(dp, val, "body", insp, scratch, depth, esc, true, &mut bufs);
                        // Remembered when finding the hits recorded nothing
                        // (no token decoded) and no search failed; not a
                        // value that would be read as a nested document
                        // outside a field class (never looked for there).
                        if let Some((kind, h)) = memo {
                            if !bufs.decoded
                                && !scratch.search_failed()
                                && (!bufs.hits.is_empty() || v.field.is_some())
                                && (v.field.is_none() || depth >= MAX_NEST || nested_doc(val) == Nested::None)
                            {
                                clean.insert_hits(v.input, h, kind, val, &bufs.hits);
                            }
                        }
                    }
                    if bufs.hits.is_empty() && v.field.is_none() {
                        // (no hit: nothing was found inside a token either,
                        // `value_hits_into` merges a finding with its hit)
                        if let Some((kind, h)) = memo {
                            if insp.uninspected.is_none() && !scratch.search_failed() {
                                clean.insert(v.input, h, kind, val);
                            }
                        }
                        return Verdict::Keep;
                    }
                    let loc = locs.get(v);
                    return match self.decide_hits_into(dp, val, &bufs.hits, v.field, &loc, insp, &mut rendered) {
                        Rendered::Keep => Verdict::Keep,
                        Rendered::Remove => Verdict::Remove,
                        Rendered::Replace => {
                            json::quote_into(&rendered, out);
                            Verdict::Written
                        }
                    };
                }
            } else {
                matches.clear();
                self.policy.detectors.scan(val, scratch, &mut matches);
                if matches.is_empty() && v.field.is_none() {
                    if let Some((kind, h)) = memo {
                        if !scratch.search_failed() {
                            clean.insert(v.input, h, kind, val);
                        }
                    }
                    return Verdict::Keep;
                }
                let loc = locs.get(v);
                self.decide_value(dp, val, &matches, v.field, &loc, insp)
            };
            match outcome {
                ValueOutcome::Keep => Verdict::Keep,
                ValueOutcome::Remove => Verdict::Remove,
                // numbers become strings: the redacted value is no longer a number
                ValueOutcome::Replace(nv) => {
                    json::quote_into(&nv, out);
                    Verdict::Written
                }
            }
        };
        json::rewrite_pairs(body, &opts, &classify, &mut visit, pairs)
    }
}

/// GraphQL variables a document's values may be ([`Engine::scan_json_vars`]):
/// their names and the classes the arguments they are given to name; `root`
/// when the document is the `variables` object itself (a query parameter,
/// or `"variables": "{…}"`), else they are under a top-level `variables`
/// member (of the document, or of each request of a batch).
#[derive(Clone, Copy)]
struct Vars<'a> {
    names: &'a [(Vec<u8>, FieldClass)],
    root: bool,
}

/// What [`Engine::graphql_visit`] makes of a value.
enum GqlStep {
    /// the value is decided: the verdict, and the bytes it is written as
    Done(Verdict, Option<Vec<u8>>),
    /// read it under this class
    Field(FieldClass),
    /// read it as it is
    Read,
}

/// Where a value stands to [`Vars`].
enum VarAt {
    None,
    /// in the named variable's value
    Value(FieldClass),
    /// the `variables` member itself
    Object,
}

impl Vars<'_> {
    const NONE: Vars<'static> = Vars {
        names: &[],
        root: false,
    };

    fn at(&self, input: &[u8], path: &[json::Seg]) -> VarAt {
        if self.names.is_empty() {
            return VarAt::None;
        }
        let key = |seg: Option<&json::Seg>| match seg {
            Some(&json::Seg::Key {
                start, end, escaped, ..
            }) => Some(json::key_bytes(input, start, end, escaped)),
            _ => None,
        };
        let at = if self.root {
            0
        } else {
            let j = usize::from(matches!(path.first(), Some(json::Seg::Index(_))));
            if key(path.get(j)).is_none_or(|k| &k[..] != b"variables") {
                return VarAt::None;
            }
            if path.len() == j + 1 {
                return VarAt::Object;
            }
            j + 1
        };
        match key(path.get(at)) {
            Some(k) => self
                .names
                .iter()
                .find(|(n, _)| n[..] == k[..])
                .map_or(VarAt::None, |&(_, c)| VarAt::Value(c)),
            None => VarAt::None,
        }
    }
}

/// `value` with the characters of its hits (sorted by start) masked (`*` each).
fn mask_hits(value: &[u8], hits: &[Hit]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut at = 0;
    for h in hits {
        let (s, e) = (h.start.max(at).min(value.len()), h.end.min(value.len()));
        if s >= e {
            continue;
        }
        out.extend_from_slice(&value[at..s]);
        let n = value[s..e].iter().filter(|&&b| b & 0xC0 != 0x80).count();
        out.resize(out.len() + n, b'*');
        at = e;
    }
    out.extend_from_slice(&value[at..]);
    out
}

/// Whether `value` holds a letter or digit outside its hits (sorted by start).
fn text_outside(value: &[u8], hits: &[Hit]) -> bool {
    let mut at = 0;
    let word = |b: &[u8]| b.iter().any(|c| c.is_ascii_alphanumeric() || *c >= 0x80);
    for h in hits {
        if h.start > at && word(&value[at..h.start.min(value.len())]) {
            return true;
        }
        at = at.max(h.end);
    }
    at < value.len() && word(&value[at..])
}

/// The query languages a JSON string outside a field class is read in by
/// its member's name (`"query"`, `"filter"`, an array's items under it:
/// [`crate::filterexpr::langs_of_key`]).
#[inline(never)]
fn member_langs(v: &Visit, s: &Scalar) -> Langs {
    if v.field.is_some() || !matches!(s, Scalar::Str(_)) {
        return Langs::NONE;
    }
    match v.path.iter().rev().find(|s| matches!(s, Seg::Key { .. })) {
        Some(&Seg::Key {
            start, end, escaped, ..
        }) if escaped || end - start <= 7 => {
            crate::filterexpr::langs_of_key(&json::key_bytes(v.input, start, end, escaped))
        }
        _ => Langs::NONE,
    }
}

/// What kind of document a value is, by its first bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Nested {
    None,
    Xml,
    GraphQl,
    /// JSON that does not parse as JSON, read as a lenient receiver
    /// (Gson, Jackson's `ALLOW_*`, JSON5) reads it.
    Lenient,
    /// A query language's expression (OData, SCIM, Lucene, RSQL:
    /// `LastName eq 'Quispe'`, `lastName:Quispe`, `lastName==Quispe`), the
    /// value of a `$filter`, `filter`, `q`, `search`, ... parameter.
    Filter(Langs),
}

/// A value that starts as markup (`<` and a letter, `<?xml`) or as a
/// GraphQL document with arguments ([`crate::graphql::looks_graphql`]).
/// Cheap for other values: a look at the first bytes.
fn nested_doc(v: &[u8]) -> Nested {
    let t = v.trim_ascii_start();
    match t.first() {
        Some(b'<')
            if t.get(1)
                .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, b'?' | b'!')) =>
        {
            Nested::Xml
        }
        Some(b'{' | b'q' | b'm' | b's' | b'f' | b'#') if crate::graphql::looks_graphql(t) => Nested::GraphQl,
        _ => Nested::None,
    }
}

/// Whether an XML document declares entities (`<!ENTITY`, any case for
/// lenient parsers) that a parser would expand.
fn xml_declarations(body: &[u8]) -> Option<&'static str> {
    let mut attributes = false;
    for i in memchr::memmem::find_iter(body, b"<!") {
        if body
            .get(i + 2..i + 8)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"ENTITY"))
        {
            return Some("xml:entity_declarations");
        }
        // an attribute list declaration with a default value (a quoted
        // literal, `#FIXED` or not; `#REQUIRED` and `#IMPLIED` have none)
        if body
            .get(i + 2..i + 9)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"ATTLIST"))
        {
            let rest = &body[i + 9..];
            let end = memchr::memchr(b'>', rest).unwrap_or(rest.len());
            attributes |= memchr::memchr2(b'"', b'\'', &rest[..end]).is_some();
        }
    }
    attributes.then_some("xml:attribute_defaults")
}

/// A token of hex digits (`0x` optional, even length, 16 or more digits)
/// that decodes to printable text: what a receiver that hex-decodes it
/// reads (red team: `34313131...` is the card `4111...`, `6a616e65...` an
/// e-mail). Hashes and binary ids decode to bytes that are not text.
fn hex_text(tok: &[u8]) -> Option<Vec<u8>> {
    let t = tok
        .strip_prefix(b"0x")
        .or_else(|| tok.strip_prefix(b"0X"))
        .unwrap_or(tok);
    if t.len() < 16 || !t.len().is_multiple_of(2) || !t.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let val = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(t.len() / 2);
    for p in t.chunks_exact(2) {
        let b = val(p[0])? << 4 | val(p[1])?;
        // printable ASCII and white space only: random bytes stop at once
        if !(b.is_ascii_graphic() || b == b' ') {
            return None;
        }
        out.push(b);
    }
    Some(out)
}

/// A JSON number with an exponent written out as a receiver stores it once
/// parsed: `4.111111111111111e15`, `41111111111111110E-1` and
/// `0.4111111111111111E16` are all `4111111111111111` (red team: a card
/// written so passed a block route). `None` without an exponent (the text
/// is read as written) or with one too large to write out.
fn expanded_number(n: &[u8]) -> Option<Vec<u8>> {
    let e_at = n.iter().position(|c| *c == b'e' || *c == b'E')?;
    let exp: i32 = std::str::from_utf8(&n[e_at + 1..]).ok()?.parse().ok()?;
    if exp.abs() > 40 {
        return None;
    }
    let mant = &n[..e_at];
    let (neg, mant) = match mant.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, mant),
    };
    let (int, frac) = match mant.iter().position(|c| *c == b'.') {
        Some(i) => (&mant[..i], &mant[i + 1..]),
        None => (mant, &[][..]),
    };
    let digits: Vec<u8> = int.iter().chain(frac).copied().collect();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // where the decimal point falls in `digits`, padded with zeros either side
    let point = int.len() as i32 + exp;
    let mut all = vec![b'0'; (-point).max(0) as usize];
    all.extend_from_slice(&digits);
    let at = point.max(0) as usize;
    if all.len() < at {
        all.resize(at, b'0');
    }
    let (i, f) = all.split_at(at);
    let i = match i.iter().position(|c| *c != b'0') {
        Some(p) => &i[p..],
        None => &b"0"[..],
    };
    let f = match f.iter().rposition(|c| *c != b'0') {
        Some(p) => &f[..=p],
        None => &[][..],
    };
    let mut out = Vec::with_capacity(i.len() + f.len() + 2);
    if neg {
        out.push(b'-');
    }
    out.extend_from_slice(i);
    if !f.is_empty() {
        out.push(b'.');
        out.extend_from_slice(f);
    }
    Some(out)
}

/// The rewritten headers once header `i` changes: the headers before it
/// copied as they are (none of them changed) on the first change.
fn changed_from<'o>(
    out: &'o mut Option<Vec<(String, String)>>,
    headers: &[(String, String)],
    i: usize,
) -> &'o mut Vec<(String, String)> {
    out.get_or_insert_with(|| {
        let mut v = Vec::with_capacity(headers.len());
        v.extend_from_slice(&headers[..i]);
        v
    })
}

/// Deepest nesting of encodings read inside one another (base64 holding
/// JSON holding a percent-encoded value, ...).
const MAX_NEST: u8 = 3;

/// A place to rewrite in a value.
struct Hit {
    start: usize,
    end: usize,
    kind: HitKind,
}

enum HitKind {
    /// A detector's match, with the decoded text it matched when it was
    /// found through an encoding (what the redaction renders from).
    Det(u16, Option<Vec<u8>>),
    /// An encoded token (base64) whose content was inspected on its own:
    /// replaced whole by the tag of its strongest category.
    Whole { category: String, action: Action },
}

fn looks_json(v: &[u8]) -> bool {
    let t = v.trim_ascii();
    t.len() >= 2 && matches!((t[0], t[t.len() - 1]), (b'{', b'}') | (b'[', b']'))
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

/// A field's value that says only that there is one, or none: an answer
/// `yes`, a `true` (`{"name":"Phone","value":"Yes"}`, `{"question":"Do
/// you have a mobile phone?","answer":"yes"}`). No person's data, not a
/// finding. (`no` is a surname.)
fn holds_nothing(v: &[u8]) -> bool {
    let v = v.trim_ascii();
    v.len() <= 5
        && ["yes", "true", "false", "n/a", "none", "null"]
            .iter()
            .any(|w| v.eq_ignore_ascii_case(w.as_bytes()))
}

/// Which escapes `value_hits` decodes (`textcode::view`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Escapes {
    /// escapes, character references, percent-encoding
    Text,
    /// and markup: XML comments, CDATA, inline tags
    Markup,
    /// none: the value holds none of their bytes (`json::Visit::plain`)
    None,
}

impl Escapes {
    fn text(xml: bool) -> Escapes {
        if xml {
            Escapes::Markup
        } else {
            Escapes::Text
        }
    }
}

enum ValueOutcome {
    Keep,
    Replace(Vec<u8>),
    Remove,
}

/// [`ValueOutcome`] with the replacement rendered into a caller's buffer.
enum Rendered {
    Keep,
    Replace,
    Remove,
}

/// The scalars of one JSON document read before, by kind (1 a plain string,
/// 2 a string with escapes, 3 a number, 4 a number in a lenient spelling)
/// and bytes, with what the detectors found in them: nothing (a value found
/// clean: kept, nothing found, noted or recorded), or, for strings, the hits
/// [`Engine::value_hits_into`] gave (detector matches only, with nothing
/// recorded while finding them: no token decoded, no failed search), which
/// depend only on the bytes and the kind within one pass. An
/// open-addressing table of bounded size, each entry compared byte for byte
/// (a hash collision costs a read, never a skip). Entries point into the
/// document (a value decoded from escapes is not remembered): nothing is
/// copied per value, which in Wasm is a call out of the module per copy.
/// Full, it stops remembering.
#[derive(Default)]
struct CleanValues {
    /// 1 + index into `entries`, 0 empty (allocated at the first insert)
    slots: Vec<u16>,
    /// (hash, kind, offset in the document, length, first hit in `hits`,
    /// number of hits: 0 for a clean value)
    entries: Vec<(u64, u8, u32, u32, u32, u16)>,
    /// The remembered hits: (detector, start, end) in the value.
    hits: Vec<(u16, u32, u32)>,
}

impl CleanValues {
    /// Longer values are not remembered (rarely repeated; hashing them costs).
    const MAX_LEN: usize = 256;
    const SLOTS: usize = 1024;
    /// At most this many values (half the slots: probes stay short).
    const MAX_ENTRIES: usize = Self::SLOTS / 2;
    /// At most this many remembered hits in all.
    const MAX_HITS: usize = 2048;

    fn hash(kind: u8, v: &[u8]) -> u64 {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let word = |b: &[u8]| {
            let mut w = [0u8; 8];
            w.copy_from_slice(b);
            u64::from_le_bytes(w)
        };
        let half = |b: &[u8]| {
            let mut w = [0u8; 4];
            w.copy_from_slice(b);
            u64::from(u32::from_le_bytes(w))
        };
        let n = v.len();
        let mut h = (n as u64) ^ (u64::from(kind) << 56);
        let mut chunks = v.chunks_exact(8);
        for c in &mut chunks {
            h = (h.rotate_left(5) ^ word(c)).wrapping_mul(K);
        }
        // the last bytes in one or two loads (they may overlap bytes
        // already hashed: the length is in the hash, equal values still
        // hash alike)
        let w = match chunks.remainder().len() {
            0 => 0,
            _ if n >= 8 => word(&v[n - 8..]),
            4.. => half(&v[..4]) | half(&v[n - 4..]) << 32,
            _ => u64::from(v[0]) | u64::from(v[n / 2]) << 8 | u64::from(v[n - 1]) << 16,
        };
        (h.rotate_left(5) ^ w).wrapping_mul(K)
    }

    /// The slot of `(kind, v)`: where it is, or the empty slot it would take.
    fn find(&self, doc: &[u8], h: u64, kind: u8, v: &[u8]) -> Option<usize> {
        let mask = Self::SLOTS - 1;
        // (the top bits: the last multiplication mixed every byte into them)
        let mut i = (h >> (64 - Self::SLOTS.trailing_zeros())) as usize & mask;
        for _ in 0..Self::SLOTS {
            let e = *self.slots.get(i)? as usize;
            let Some(&(eh, ek, at, len, ..)) = e.checked_sub(1).and_then(|e| self.entries.get(e)) else {
                return Some(i);
            };
            if eh == h && ek == kind && doc.get(at as usize..at as usize + len as usize) == Some(v) {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
        None
    }

    /// The hits remembered for `(kind, v)` (empty: clean), if it is
    /// remembered; `h` is its [`Self::hash`].
    fn get(&self, doc: &[u8], h: u64, kind: u8, v: &[u8]) -> Option<&[(u16, u32, u32)]> {
        if self.entries.is_empty() {
            return None;
        }
        let e = *self.slots.get(self.find(doc, h, kind, v)?)? as usize;
        let &(.., from, n) = self.entries.get(e.checked_sub(1)?)?;
        self.hits.get(from as usize..from as usize + n as usize)
    }

    /// Remembers `v`, a slice of `doc` (anything else is not remembered),
    /// as clean; `h` is its [`Self::hash`].
    fn insert(&mut self, doc: &[u8], h: u64, kind: u8, v: &[u8]) {
        self.insert_hits(doc, h, kind, v, &[]);
    }

    /// Remembers `v`, a slice of `doc`, with `hits` (detector matches with
    /// no decoded text only: anything else is not remembered).
    fn insert_hits(&mut self, doc: &[u8], h: u64, kind: u8, v: &[u8], hits: &[Hit]) {
        if self.entries.len() >= Self::MAX_ENTRIES
            || v.len() > Self::MAX_LEN
            || self.hits.len() + hits.len() > Self::MAX_HITS
            || !hits.iter().all(|h| matches!(h.kind, HitKind::Det(_, None)))
        {
            return;
        }
        let at = (v.as_ptr() as usize).wrapping_sub(doc.as_ptr() as usize);
        if at > doc.len() || doc.len() - at < v.len() {
            return;
        }
        if self.slots.is_empty() {
            self.slots = vec![0; Self::SLOTS];
            self.entries = Vec::with_capacity(Self::MAX_ENTRIES);
        }
        let Some(i) = self.find(doc, h, kind, v) else { return };
        if self.slots.get(i).is_some_and(|&e| e == 0) {
            let (Ok(at), Ok(len)) = (u32::try_from(at), u32::try_from(v.len())) else {
                return;
            };
            // (bounded by MAX_HITS and MAX_LEN: they fit)
            let from = self.hits.len() as u32;
            for x in hits {
                if let HitKind::Det(d, None) = x.kind {
                    self.hits.push((d, x.start as u32, x.end as u32));
                }
            }
            self.entries.push((h, kind, at, len, from, hits.len() as u16));
            if let Some(s) = self.slots.get_mut(i) {
                // (entries are fewer than SLOTS / 2: the index fits)
                *s = self.entries.len() as u16;
            }
        }
    }
}

/// The buffers [`Engine::value_hits_into`] fills.
#[derive(Default)]
struct HitBufs {
    raw: Vec<RawMatch>,
    hits: Vec<Hit>,
    /// a value's base64 tokens (`textcode::base64_tokens_into`)
    toks: Vec<(usize, usize)>,
    /// Whether the last value had a token decoded and inspected on its own
    /// (whose findings, if any, went into the inspection, not into `hits`).
    decoded: bool,
}

/// Whether a path rule names the value at `path`. With `fold` (a rule that
/// logs, redacts or blocks) a key matches in any case, and with `ſ` for `s`
/// and the Kelvin sign for `k`, as receivers that match keys without case
/// read it (Go's encoding/json, Jackson's and .NET's case-insensitive
/// options): `{"Metadata":{"Internal_Ref":…}}` is `$.metadata.internal_ref`
/// to them. An `allow` rule exempts only the key as written.
fn path_matches(rule: &[PathSeg], input: &[u8], path: &[Seg], fold: bool) -> bool {
    if rule.len() > path.len() {
        return false;
    }
    let same = |key: &[u8], k: &str| {
        key == k.as_bytes()
            || fold
                && (key.eq_ignore_ascii_case(k.as_bytes())
                    || !key.is_ascii() && {
                        let f = |c: char| match c {
                            '\u{17F}' => 's',
                            '\u{212A}' => 'k',
                            c => c.to_ascii_lowercase(),
                        };
                        String::from_utf8_lossy(key).chars().map(f).eq(k.chars().map(f))
                    })
    };
    rule.iter().zip(path).all(|(r, p)| match (r, p) {
        (PathSeg::AnyKey, Seg::Key { .. }) => true,
        (PathSeg::AnyIndex, Seg::Index(_)) => true,
        (PathSeg::Index(a), Seg::Index(b)) => a == b,
        (
            PathSeg::Key(k),
            Seg::Key {
                start, end, escaped, ..
            },
        ) => same(&json::key_bytes(input, *start, *end, *escaped), k),
        _ => false,
    })
}

/// Rendered finding locations, by path shape: the key ids of the path
/// (equal ids, equal keys) with array indexes folded to `[*]`, so every
/// element of an array shares one string. A path with a key that has no id
/// is rendered afresh. Few distinct shapes: a short list beats a hash map.
#[derive(Default)]
struct LocCache {
    entries: Vec<(u64, Box<[u32]>, std::rc::Rc<str>)>,
    shape: Vec<u32>,
}

impl LocCache {
    fn get(&mut self, v: &Visit) -> std::rc::Rc<str> {
        self.get_at(v.input, v.path, "")
    }

    /// `body:` + the path's [`safe_path_into`] + `suffix`; one cache holds one suffix.
    fn get_at(&mut self, input: &[u8], path: &[Seg], suffix: &str) -> std::rc::Rc<str> {
        self.shape.clear();
        let mut h = 0u64;
        let mut known = true;
        for seg in path {
            let x = match *seg {
                Seg::Key { id: Some(id), .. } => id,
                Seg::Key { id: None, .. } => {
                    known = false;
                    break;
                }
                // key ids are below u32::MAX
                Seg::Index(_) => u32::MAX,
            };
            self.shape.push(x);
            h = (h ^ x as u64).wrapping_mul(0x100_0000_01b3);
        }
        if known {
            if let Some((_, _, l)) = self.entries.iter().find(|(k, s, _)| *k == h && **s == *self.shape) {
                return l.clone();
            }
        }
        let mut s = String::with_capacity(16 + 8 * path.len() + suffix.len());
        s.push_str("body:");
        safe_path_into(input, path, &mut s);
        s.push_str(suffix);
        let l: std::rc::Rc<str> = s.into();
        if known && self.entries.len() < 256 {
            self.entries.push((h, self.shape.as_slice().into(), l.clone()));
        }
        l
    }
}

/// `$.a[*].b`: keys that could carry personal data as `*` ([`safe_name_str`]).
fn safe_path_into(input: &[u8], path: &[Seg], s: &mut String) {
    s.push('$');
    for seg in path {
        match *seg {
            Seg::Key {
                start, end, escaped, ..
            } => {
                let k = json::key_bytes(input, start, end, escaped);
                // not UTF-8: its lossy reading holds U+FFFD, never a safe name
                let k = std::str::from_utf8(&k).map(safe_name_str).unwrap_or("*");
                s.push('.');
                s.push_str(k);
            }
            Seg::Index(_) => s.push_str("[*]"),
        }
    }
}

/// A multipart body rebuilt from the original with some ranges replaced, in
/// order: the bytes between replaced ranges are copied as they are.
struct Splice<'a> {
    body: &'a [u8],
    out: Vec<u8>,
    /// Where the original is copied from next.
    at: usize,
    changed: bool,
}

impl<'a> Splice<'a> {
    fn new(body: &'a [u8]) -> Self {
        Splice {
            body,
            out: Vec::new(),
            at: 0,
            changed: false,
        }
    }

    /// `body[start..end]` becomes `new` (ranges come in order).
    fn put(&mut self, start: usize, end: usize, new: &[u8]) {
        self.out
            .extend_from_slice(self.body.get(self.at..start).unwrap_or_default());
        self.out.extend_from_slice(new);
        self.at = end;
        self.changed = true;
    }

    /// A part's content becomes `new`, transfer-encoded again when the
    /// part was read decoded (quoted-printable, base64).
    fn put_part(&mut self, p: &crate::multipart::Part, was_decoded: bool, new: &[u8]) {
        if was_decoded {
            let n = crate::multipart::transfer_encode(p.transfer.as_deref(), new);
            self.put(p.body_start, p.body_end, &n);
        } else {
            self.put(p.body_start, p.body_end, new);
        }
    }

    /// The rebuilt body, or `None` when nothing was replaced.
    fn finish(mut self) -> Option<Vec<u8>> {
        if !self.changed {
            return None;
        }
        self.out.extend_from_slice(self.body.get(self.at..).unwrap_or_default());
        Some(self.out)
    }
}

/// A query string or form may have a key whose last segment is `val…`
/// (`value`, `fieldValue`, `field[0][value]`), also percent-encoded
/// (`%76alue`): the only ones [`eav_pairs_of`] is run for.
/// Whether a second reading of a body finds, for some detector, more values
/// that are redacted or blocked than the first reading does.
fn adds_findings(first: &Inspection, alt: &Inspection) -> bool {
    let total = |i: &Inspection, det: &str| -> u64 {
        i.findings
            .iter()
            .filter(|f| f.detector == det && f.action >= Action::Redact && f.kind != FindingKind::Uninspectable)
            .map(|f| u64::from(f.count))
            .sum()
    };
    alt.findings
        .iter()
        .filter(|f| f.action >= Action::Redact && f.kind != FindingKind::Uninspectable)
        .any(|f| total(alt, &f.detector) > total(first, &f.detector))
}

fn may_name_values(raw: &[u8]) -> bool {
    memchr::memchr3_iter(b'v', b'V', b'%', raw).any(|i| match raw[i] {
        b'%' => raw
            .get(i + 1..i + 3)
            .is_some_and(|h| matches!(h, b"76" | b"56" | b"25")),
        _ => matches!(raw.get(i + 1), Some(b'a' | b'A' | b'%')),
    })
}

/// The keys that name the default fields of a query parameter's query
/// (Solr's `df` and `qf`, Elasticsearch's `default_field`, Azure's
/// `searchFields`, Typesense's `query_by`), case aside.
const DEFAULT_FIELD_KEYS: &[&[u8]] = &[
    b"df",
    b"qf",
    b"default_field",
    b"defaultfield",
    b"searchfields",
    b"search_fields",
    b"query_by",
    b"queryby",
];

/// [`Engine::default_field_class`]: the class of the first personal field
/// that a [`DEFAULT_FIELD_KEYS`] pair of `raw` names (a list:
/// `qf=surname^2 city`). Keys are decoded only where they can be one of
/// them (their length, or a `%`).
#[inline(never)]
fn default_field_class_of(
    raw: &[u8],
    sep: u8,
    decode: &dyn Fn(&[u8]) -> Vec<u8>,
    classify: &dyn Fn(&Words) -> Option<FieldClass>,
) -> Option<FieldClass> {
    raw.split(|&c| c == sep).find_map(|part| {
        let eq = memchr::memchr(b'=', part)?;
        let k = &part[..eq];
        let named = match k.len() {
            2..=13 if memchr::memchr(b'%', k).is_none() => DEFAULT_FIELD_KEYS.iter().any(|d| k.eq_ignore_ascii_case(d)),
            2..=64 if memchr::memchr(b'%', k).is_some() => {
                let key = decode(k);
                DEFAULT_FIELD_KEYS.iter().any(|d| key.eq_ignore_ascii_case(d))
            }
            _ => false,
        };
        named
            .then(|| crate::filterexpr::field_list_class(&decode(&part[eq + 1..]), &mut |w| classify(w)))
            .flatten()
    })
}

/// A form or query key's last segment and what comes before it
/// (`field[0][value]`: `field[0]`, `value`; `user.value`: `user`, `value`).
fn key_segments(key: &[u8]) -> (&[u8], &[u8]) {
    if let Some(body) = key.strip_suffix(b"]") {
        if let Some(open) = memchr::memrchr(b'[', body) {
            return (&key[..open], &body[open + 1..]);
        }
    }
    match memchr::memrchr(b'.', key) {
        Some(dot) => (&key[..dot], &key[dot + 1..]),
        None => (&key[..0], key),
    }
}

/// [`Engine::eav_pairs`] once a key may be a named one.
#[inline(never)]
fn eav_pairs_of(
    raw: &[u8],
    sep: u8,
    decode: &dyn Fn(&[u8]) -> Vec<u8>,
    classify: &dyn Fn(&Words) -> Option<FieldClass>,
) -> Vec<(usize, FieldClass)> {
    use crate::fields::{pair_role, Role};
    // (prefix, value, weak role) of naming pairs; (index, prefix, weak) of named ones
    let mut naming: Vec<(Vec<u8>, Vec<u8>, bool)> = Vec::new();
    let mut named: Vec<(usize, Vec<u8>, bool)> = Vec::new();
    for (i, part) in raw.split(|&c| c == sep).enumerate() {
        let Some(eq) = memchr::memchr(b'=', part) else {
            continue;
        };
        let key = decode(&part[..eq]);
        let (prefix, last) = key_segments(&key);
        match pair_role(&Words::split(last)) {
            Some(Role::Naming(st)) => naming.push((prefix.to_vec(), decode(&part[eq + 1..]), st == Strength::Weak)),
            Some(Role::Named(st)) => named.push((i, prefix.to_vec(), st == Strength::Weak)),
            Some(Role::Answer) => named.push((i, prefix.to_vec(), false)),
            // (`_=1700000000`: jQuery's cache breaker, not a text)
            Some(Role::Holder | Role::DefaultFields(_) | Role::Query) | None => {}
        }
    }
    named
        .into_iter()
        .filter_map(|(i, prefix, weak)| {
            naming.iter().filter(|n| n.0 == prefix).find_map(|n| {
                let c = crate::fields::naming_value_class(&n.1, &mut |w| classify(w))?;
                (c.strength == Strength::Strong || !(weak || n.2)).then_some((i, c))
            })
        })
        .collect()
}

/// A weak class (`name`, `city`) under a thing's key (`product`) is no
/// person's, as under such a JSON key.
fn weak_under_thing(class: Option<FieldClass>, ctx: crate::fields::Context) -> Option<FieldClass> {
    match class {
        Some(f) if f.strength == Strength::Weak && ctx == crate::fields::Context::NonPerson => None,
        c => c,
    }
}

#[cfg(test)]
mod default_field_tests {
    use super::*;

    fn class(raw: &str) -> Option<crate::fields::FieldKind> {
        let decode = |b: &[u8]| crate::urlpath::decode_form_until_stable(b).into_owned();
        default_field_class_of(raw.as_bytes(), b'&', &decode, &|w| crate::fields::classify(w)).map(|c| c.kind)
    }

    #[test]
    fn a_default_field_names_the_query() {
        use crate::fields::FieldKind::PersonName;
        assert_eq!(class("q=Quispe&df=lastName"), Some(PersonName));
        assert_eq!(class("df=surname&rows=5&q=Quispe"), Some(PersonName));
        assert_eq!(class("q=Quispe&qf=title%5E2+last_name"), Some(PersonName));
        assert_eq!(class("search=Quispe&searchFields=familyName"), Some(PersonName));
        assert_eq!(class("q=Quispe&%64f=lastName"), Some(PersonName));
        assert_eq!(class("q=Quispe&DF=customer.surname"), Some(PersonName));
        // no personal default field; no key of the list
        assert_eq!(class("q=widget&df=title"), None);
        assert_eq!(class("q=widget&fields=name,email&sort=lastName"), None);
        assert_eq!(class("dfx=lastName&a==df&df"), None);
    }
}

#[cfg(test)]
mod number_tests {
    use super::expanded_number;

    #[test]
    fn hex_of_text_is_read_and_hashes_are_not() {
        use super::hex_text;
        let h = |t: &[u8]| t.iter().map(|b| format!("{b:02x}")).collect::<String>();
        for t in [
            "4111111111111111",
            "jane.doe@example.com",
            "DE89 3704 0044 0532 0130 00",
        ] {
            assert_eq!(
                hex_text(h(t.as_bytes()).as_bytes()).as_deref(),
                Some(t.as_bytes()),
                "{t}"
            );
            assert_eq!(
                hex_text(h(t.as_bytes()).to_uppercase().as_bytes()).as_deref(),
                Some(t.as_bytes()),
                "{t}"
            );
            assert_eq!(
                hex_text(format!("0x{}", h(t.as_bytes())).as_bytes()).as_deref(),
                Some(t.as_bytes()),
                "{t}"
            );
        }
        for t in [
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "d41d8cd98f00b204e9800998ecf8427e",
            "550e8400e29b41d4a716446655440000",
            "1234567890123456",
            "343131",
            "3431313",
        ] {
            assert_eq!(hex_text(t.as_bytes()), None, "{t}");
        }
    }

    #[test]
    fn numbers_with_exponents_are_written_out() {
        let x = |n: &str| expanded_number(n.as_bytes()).map(|v| String::from_utf8_lossy(&v).into_owned());
        for (n, want) in [
            ("4.111111111111111e15", "4111111111111111"),
            ("41111111111111110E-1", "4111111111111111"),
            ("0.4111111111111111E16", "4111111111111111"),
            ("4111111111111111e0", "4111111111111111"),
            ("4111111111111111E+0", "4111111111111111"),
            ("-4.111111111111111e+15", "-4111111111111111"),
            ("1.5e-3", "0.0015"),
            ("12e-1", "1.2"),
            ("0e5", "0"),
            ("1e2", "100"),
        ] {
            assert_eq!(x(n).as_deref(), Some(want), "{n}");
        }
        for n in ["4111111111111111", "1.5", "1e999", "1e", "e5", "1.e"] {
            assert!(x(n).is_none(), "{n}: {:?}", x(n));
        }
    }
}
