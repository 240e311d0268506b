//! HTTP helpers: content types and sniffing, header syntax, names safe to
//! record, percent-coding.

use std::borrow::Cow;

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
    // compared without case and without a lower-cased copy
    let ct = content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .as_bytes();
    let ends = |s: &str| ct.len() >= s.len() && ct[ct.len() - s.len()..].eq_ignore_ascii_case(s.as_bytes());
    // `application/json` and `text/json` end with `/json`
    if ends("+json") || ends("/json") {
        return Format::Json;
    }
    if ct.eq_ignore_ascii_case(b"application/x-www-form-urlencoded") {
        return Format::Form;
    }
    if ct.len() >= 10 && ct[..10].eq_ignore_ascii_case(b"multipart/") {
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

/// The media type of a content type, lowercased, without parameters.
pub(crate) fn media_type(content_type: Option<&str>) -> String {
    content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// HTTP methods whose `:method` needs no inspection.
const METHODS: &[&str] = &[
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "DELETE",
    "CONNECT",
    "OPTIONS",
    "TRACE",
    "PATCH",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "REPORT",
    "SEARCH",
    "PURGE",
];

/// Headers left uninspected, each only while its value has the fixed syntax
/// that Envoy or the mesh writes there; any other value is inspected like
/// every header (a client can send any of these names):
/// - `:method` a standard method, `:scheme` / `x-forwarded-proto` `http` or
///   `https`, `:status` three digits: nothing else fits in them;
/// - `content-length` and Envoy's numeric headers (`x-envoy-attempt-count`,
///   `x-envoy-expected-rq-timeout-ms`, `x-envoy-upstream-service-time`): at
///   most 8 digits, too short for any identifier the detectors know;
/// - `x-forwarded-for`, `x-envoy-external-address`, `x-real-ip` and the CDN
///   client-address headers (`true-client-ip`, `cf-connecting-ip`, ...): a
///   list of IP addresses the proxies append (the client's own address,
///   which every request carries at layer 3 anyway); `forwarded` when it
///   holds only `for`/`by` addresses and `proto`;
/// - `x-envoy-peer-metadata-id`: Istio's `sidecar~IP~pod.ns~ns.svc.domain`
///   (pod names and a pod IP, the mesh's own);
/// - trace and request ids in their exact formats (`x-request-id` and
///   `x-client-trace-id` UUIDs, W3C `traceparent`, B3, Sentry, Google Cloud,
///   Datadog): random hex and decimal ids look like card and phone numbers
///   to the detectors (measured: about 1 random `traceparent` in 1,200), so
///   scanning them would block ordinary traffic. These fixed formats hold no
///   text (no `@`, no spaces, no letters beyond hex); a number hidden in one
///   is a deliberate limit, like any value a client encodes before sending.
pub fn structured_header_ok(name: &str, value: &str) -> bool {
    let digits = |max: usize| !value.is_empty() && value.len() <= max && value.bytes().all(|c| c.is_ascii_digit());
    match name {
        ":method" => METHODS.contains(&value),
        ":scheme" | "x-forwarded-proto" => value.eq_ignore_ascii_case("http") || value.eq_ignore_ascii_case("https"),
        ":status" => value.len() == 3 && digits(3),
        "content-length"
        | "x-envoy-attempt-count"
        | "x-envoy-expected-rq-timeout-ms"
        | "x-envoy-upstream-service-time" => digits(8),
        "x-forwarded-for"
        | "x-envoy-external-address"
        | "x-real-ip"
        | "x-client-ip"
        | "true-client-ip"
        | "cf-connecting-ip"
        | "fastly-client-ip"
        | "x-cluster-client-ip" => value.split(',').all(|ip| ip.trim().parse::<std::net::IpAddr>().is_ok()),
        // RFC 7239: only `for`/`by` addresses (or `unknown`/obfuscated `_x`) and `proto`.
        "forwarded" => {
            value.split([',', ';']).all(|pair| {
                let Some((k, v)) = pair.trim().split_once('=') else {
                    return false;
                };
                let v = v.trim_matches('"');
                match k.trim().to_ascii_lowercase().as_str() {
                    "proto" => v.eq_ignore_ascii_case("http") || v.eq_ignore_ascii_case("https"),
                    "for" | "by" => {
                        let host =
                            match v.strip_prefix('[') {
                                Some(r) => r.split(']').next().unwrap_or(""),
                                None => v.rsplit_once(':').map_or(v, |(h, p)| {
                                    if p.bytes().all(|c| c.is_ascii_digit()) {
                                        h
                                    } else {
                                        v
                                    }
                                }),
                            };
                        host == "unknown"
                            || host.parse::<std::net::IpAddr>().is_ok()
                            || (host.starts_with('_')
                                && host.len() <= 32
                                && host
                                    .bytes()
                                    .skip(1)
                                    .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-' || c == b'_')
                                && host.bytes().filter(u8::is_ascii_digit).count() < 4)
                    }
                    _ => false,
                }
            })
        }
        // Istio's metadata exchange: `sidecar~10.0.0.7~pod.ns~ns.svc.cluster.local`.
        "x-envoy-peer-metadata-id" => {
            let p: Vec<&str> = value.split('~').collect();
            p.len() == 4
                && matches!(p[0], "sidecar" | "router" | "ingress" | "waypoint")
                && p[1].parse::<std::net::IpAddr>().is_ok()
                && p[2..].iter().all(|s| {
                    !s.is_empty()
                        && s.bytes()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-')
                })
        }
        "x-request-id" | "x-client-trace-id" => is_uuid(value),
        "traceparent" => {
            let p: Vec<&str> = value.split('-').collect();
            p.len() == 4 && is_hex(p[0], &[2]) && is_hex(p[1], &[32]) && is_hex(p[2], &[16]) && is_hex(p[3], &[2])
        }
        "sentry-trace" => {
            let p: Vec<&str> = value.split('-').collect();
            (2..=3).contains(&p.len())
                && is_hex(p[0], &[32])
                && is_hex(p[1], &[16])
                && p.get(2).is_none_or(|s| *s == "0" || *s == "1")
        }
        "x-b3-traceid" => is_hex(value, &[16, 32]),
        "x-b3-spanid" | "x-b3-parentspanid" => is_hex(value, &[16]),
        "x-b3-sampled" => matches!(value, "0" | "1" | "d" | "true" | "false"),
        "x-b3-flags" => value == "1",
        "b3" => {
            let p: Vec<&str> = value.split('-').collect();
            match p.len() {
                1 => matches!(value, "0" | "1" | "d"),
                2..=4 => {
                    is_hex(p[0], &[16, 32])
                        && is_hex(p[1], &[16])
                        && p.get(2).is_none_or(|s| matches!(*s, "0" | "1" | "d"))
                        && p.get(3).is_none_or(|s| is_hex(s, &[16]))
                }
                _ => false,
            }
        }
        "x-cloud-trace-context" => {
            let (id, rest) = value.split_once('/').unwrap_or((value, ""));
            let (span, opt) = rest.split_once(';').unwrap_or((rest, ""));
            is_hex(id, &[32])
                && span.len() <= 20
                && span.bytes().all(|c| c.is_ascii_digit())
                && matches!(opt, "" | "o=0" | "o=1")
        }
        "x-datadog-trace-id" | "x-datadog-parent-id" => digits(20),
        "x-datadog-sampling-priority" => matches!(value, "-1" | "0" | "1" | "2"),
        _ => false,
    }
}

/// The `key=value` pairs of a value in the syntax Envoy writes in
/// `x-forwarded-client-cert` (elements separated by `,`, each `key=value`
/// pairs separated by `;`, the keys Envoy's: `By`, `Hash`, `Cert`, `Chain`,
/// `Subject`, `URI`, `DNS`; values quoted when they hold a separator),
/// values as written (quotes kept); `None` when it is not in that syntax or
/// holds no pair.
fn xfcc_pairs(value: &str) -> Option<Vec<(&str, &str)>> {
    const KEYS: [&str; 7] = ["by", "hash", "cert", "chain", "subject", "uri", "dns"];
    let b = value.as_bytes();
    let mut i = 0;
    let mut pairs = Vec::new();
    while i < b.len() {
        let key_end = i + b[i..].iter().position(|&c| c == b'=')?;
        let key = value[i..key_end].trim();
        if !KEYS.iter().any(|k| key.eq_ignore_ascii_case(k)) {
            return None;
        }
        i = key_end + 1;
        let value_start = i;
        if b.get(i) == Some(&b'"') {
            // quoted: up to the closing quote (`\"` escapes one)
            i += 1;
            loop {
                match b.get(i) {
                    None => return None,
                    Some(b'\\') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
        } else {
            while i < b.len() && b[i] != b';' && b[i] != b',' {
                if matches!(b[i], b'"' | b'=' | b'@' | b' ') {
                    return None;
                }
                i += 1;
            }
        }
        pairs.push((key, value.get(value_start..i.min(b.len()))?));
        match b.get(i) {
            None => break,
            Some(b';' | b',') => i += 1,
            Some(_) => return None,
        }
    }
    (!pairs.is_empty()).then_some(pairs)
}

/// What of an `x-forwarded-client-cert` value in Envoy's syntax is read:
/// every value but a `Hash` of exactly 64 hex digits (the certificate's
/// SHA-256, random: its digit runs look like card numbers), joined by
/// `; `. A client's copy that a `FORWARD_ONLY` proxy lets through is in
/// this syntax as easily as in any other, so the subject, names, URIs and
/// certificates in it are read like any header. `None`: not that syntax.
pub fn xfcc_readable(value: &str) -> Option<String> {
    let pairs = xfcc_pairs(value)?;
    let mut out = String::with_capacity(value.len());
    for (k, v) in pairs {
        if k.eq_ignore_ascii_case("hash") && is_hex(v, &[64]) {
            continue;
        }
        if !out.is_empty() {
            out.push_str("; ");
        }
        out.push_str(v);
    }
    Some(out)
}

/// Lower- or upper-case hex of one of the lengths.
fn is_hex(s: &str, lens: &[usize]) -> bool {
    lens.contains(&s.len()) && s.bytes().all(|c| c.is_ascii_hexdigit())
}

/// `8-4-4-4-12` hex digits.
pub fn is_uuid(s: &str) -> bool {
    // the groups' dashes at fixed places, hex digits elsewhere (no split, no allocation)
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A redacted authority as a valid host name: `[PAYMENT_CARD].example.com`
/// becomes `payment-card.example.com`.
pub(crate) fn host_safe(v: &[u8]) -> String {
    let s: String = v
        .iter()
        .filter_map(|&c| match c {
            b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b':' => Some(c as char),
            b'A'..=b'Z' => Some(c.to_ascii_lowercase() as char),
            b'_' => Some('-'),
            b'[' | b']' => None,
            _ => Some('x'),
        })
        .collect();
    if s.is_empty() {
        "redacted.invalid".into()
    } else {
        s
    }
}

/// A name from the request (header, parameter, cookie, JSON key) as it may
/// appear in findings: names that could themselves carry personal data are
/// replaced by `*`.
pub fn safe_name(name: &str) -> String {
    safe_name_str(name).to_string()
}

/// [`safe_name`] without a copy: `name` or `*`.
pub fn safe_name_str(name: &str) -> &str {
    let simple = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'[' | b']'))
        && name.bytes().filter(u8::is_ascii_digit).count() < 4;
    if simple {
        name
    } else {
        "*"
    }
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
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(s.len() + 8);
    for &c in s {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
            out.push(c);
        } else {
            out.extend_from_slice(&[b'%', HEX[(c >> 4) as usize], HEX[(c & 15) as usize]]);
        }
    }
    out
}

/// Headers that frameworks read as the request's real method (names folded:
/// lower case, `_` and `.` read as `-`).
const METHOD_OVERRIDE_HEADERS: &[&str] = &["x-http-method-override", "x-http-method", "x-method-override"];

/// The override that stands for every method: a body `_method` that could
/// not be read (see [`body_methods`]) or more overrides than are considered.
/// Routing takes every route the path reaches by some method and applies
/// the strictest ([`crate::policy::Policy::resolve`]).
pub const ANY_METHOD: &str = "*";

/// At most this many override methods are considered (bounded work; no
/// framework reads a longer list). A request with more means any method.
pub const MAX_METHOD_OVERRIDES: usize = 8;

/// Other methods the upstream may take a request for, known from its
/// headers: the values of method-override headers and of a `_method` query
/// parameter, and [`ANY_METHOD`] when there are more than
/// [`MAX_METHOD_OVERRIDES`]. A `_method` in the body ([`body_may_name_method`])
/// is read from the body itself ([`body_methods`]) before the route is final
/// (`Flow`). Upper-cased, deduplicated, bounded.
pub fn method_overrides<K: AsRef<str>, V: AsRef<str>>(headers: &[(K, V)], raw_path: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut overflow = false;
    let mut add = |v: &str| {
        for part in v.split(',') {
            let m = part.trim().to_ascii_uppercase();
            if m.is_empty() || out.contains(&m) {
                continue;
            }
            if out.len() < MAX_METHOD_OVERRIDES {
                out.push(m);
            } else {
                overflow = true;
            }
        }
    };
    // names compared as backends fold them, without a copy per header
    let is = |k: &str, name: &str| crate::policy::folded_header_eq(k, name);
    for (k, v) in headers {
        if METHOD_OVERRIDE_HEADERS.iter().any(|h| is(k.as_ref(), h)) {
            add(v.as_ref());
        }
    }
    if let Some((_, q)) = raw_path.split_once('?') {
        let q = q.split('#').next().unwrap_or("");
        for pair in q.split(['&', ';']) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if crate::urlpath::decode_form_until_stable(k.as_bytes()).eq_ignore_ascii_case(b"_method") {
                add(&String::from_utf8_lossy(&crate::urlpath::decode_form_until_stable(
                    v.as_bytes(),
                )));
            }
        }
    }
    if overflow && !out.iter().any(|m| m == ANY_METHOD) {
        out.truncate(MAX_METHOD_OVERRIDES - 1);
        out.push(ANY_METHOD.to_string());
    }
    out
}

/// Whether a framework may read the request's method from its body: a POST
/// (Rack, Symfony, Laravel and Express's method-override only override a
/// POST) whose body is a form or multipart form (Rack, Laravel, Symfony), JSON
/// (Laravel reads a JSON body's top-level `_method`; any `+json`/`/json`
/// type) or has no content type (Rack reads it as a form). Any copy of a
/// repeated content type counts.
pub fn body_may_name_method<K: AsRef<str>, V: AsRef<str>>(headers: &[(K, V)]) -> bool {
    let is = |k: &str, name: &str| crate::policy::folded_header_eq(k, name);
    let mut post = false;
    let mut typed = false;
    let mut readable = false;
    for (k, v) in headers {
        let (k, v) = (k.as_ref(), v.as_ref());
        if is(k, ":method") {
            post = v.trim().eq_ignore_ascii_case("POST");
        } else if is(k, "content-type") {
            for ct in v.split(',') {
                if ct.trim().is_empty() {
                    continue;
                }
                typed = true;
                readable |= matches!(
                    format_of(Some(ct), b""),
                    Format::Json | Format::Form | Format::Multipart
                );
            }
        }
    }
    post && (readable || !typed)
}

/// Whether a body field name is `_method` as a framework reads it: any
/// case, and with the first character `.`, ` ` or `[` (PHP turns them into
/// `_` in a top-level name before Laravel or Symfony see `$_POST`).
fn is_method_key(k: &[u8]) -> bool {
    k.len() == 7 && matches!(k[0], b'_' | b'.' | b' ' | b'[') && k[1..].eq_ignore_ascii_case(b"method")
}

/// The methods a body names in its `_method` (for [`body_may_name_method`]
/// requests): read as each of its content types says (form: every
/// `_method` field, percent-decoded until stable; JSON: every top-level
/// `_method` string, escapes decoded, duplicates too; multipart: every part
/// named `_method`; no content type: a form, and JSON when it looks like
/// it), on the bytes as sent and, under a `Content-Encoding`, decoded too.
/// `None` when the body cannot be read (an unknown or corrupt coding, a
/// multipart body that does not parse): the caller takes any method.
pub fn body_methods(headers: &[(String, String)], body: &[u8], limit: usize) -> Option<Vec<String>> {
    let is = |k: &str, name: &str| crate::policy::folded_header_eq(k, name);
    let types: Vec<&str> = headers
        .iter()
        .filter(|(k, _)| is(k, "content-type"))
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    let codings: Vec<&str> = headers
        .iter()
        .filter(|(k, _)| is(k, "content-encoding"))
        .map(|(_, v)| v.as_str())
        .collect();
    let codings = crate::encoding::parse_all(Some(&codings.join(","))).ok()?;
    let decoded = if codings.is_empty() {
        None
    } else {
        Some(crate::encoding::decode_all(&codings, body, limit).ok()?)
    };
    let mut out = Vec::new();
    for b in std::iter::once(body).chain(decoded.as_deref()) {
        if types.is_empty() {
            form_methods(b, &mut out);
            if matches!(format_of(None, b), Format::Json) {
                json_methods(b, &mut out);
            }
        }
        for ct in &types {
            match format_of(Some(ct), b"") {
                Format::Form => form_methods(b, &mut out),
                Format::Json => json_methods(b, &mut out),
                Format::Multipart => {
                    // the parts as they are, as the engine splits them
                    let parts = crate::multipart::split(ct, b).ok()?;
                    for p in parts
                        .iter()
                        // (a part named twice, `name` and `name*`, has both names)
                        .filter(|p| {
                            p.name.as_deref().is_some_and(|n| {
                                is_method_key(n.as_bytes()) || n.split(' ').any(|w| is_method_key(w.as_bytes()))
                            })
                        })
                    {
                        out.push(b.get(p.body_start..p.body_end).unwrap_or_default().to_vec());
                    }
                }
                Format::Text => {}
            }
        }
    }
    let mut methods: Vec<String> = Vec::new();
    for v in out {
        let m = String::from_utf8_lossy(&v).trim().to_ascii_uppercase();
        if !m.is_empty() && !methods.contains(&m) {
            methods.push(m);
        }
    }
    Some(methods)
}

/// Every `_method` field of a form body (`&` or `;` between fields).
fn form_methods(body: &[u8], out: &mut Vec<Vec<u8>>) {
    for pair in body.split(|c| *c == b'&' || *c == b';') {
        let (k, v) = match pair.iter().position(|c| *c == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        if k.len() < 7 {
            continue;
        }
        if is_method_key(&crate::urlpath::decode_form_until_stable(k)) {
            out.push(crate::urlpath::decode_form_until_stable(v).into_owned());
        }
    }
}

/// Every top-level `_method` string of a JSON object, read leniently (a
/// body that is not JSON yields what its top level seems to hold).
fn json_methods(body: &[u8], out: &mut Vec<Vec<u8>>) {
    let mut depth = 0usize;
    let mut i = 0;
    // the last string seen at depth 1 and whether it ended before a `:`
    let mut key: Option<(usize, usize)> = None;
    let mut after_key = false;
    while i < body.len() {
        match body[i] {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < body.len() && body[j] != b'"' {
                    j += if body[j] == b'\\' { 2 } else { 1 };
                }
                let end = j.min(body.len());
                if depth == 1 {
                    if after_key {
                        if let Some((ks, ke)) = key.take() {
                            if is_method_key(&crate::json::unescape(&body[ks..ke])) {
                                out.push(crate::json::unescape(&body[start..end]));
                            }
                        }
                        after_key = false;
                    } else {
                        key = Some((start, end));
                    }
                }
                i = end + 1;
                continue;
            }
            b':' if depth == 1 => after_key = key.is_some(),
            b'{' | b'[' => {
                depth += 1;
                key = None;
                after_key = false;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                key = None;
                after_key = false;
            }
            b',' => {
                key = None;
                after_key = false;
            }
            c if c.is_ascii_whitespace() => {}
            _ if depth == 1 => after_key = false,
            _ => {}
        }
        i += 1;
    }
}

/// Words that query languages put after a field name to say how it is
/// compared (`lastName[$eq]`, Strapi's `filters[lastName][$containsi]`, qs
/// and Rails brackets; Django's `last_name__icontains`).
const KEY_OPERATORS: &[&[u8]] = &[
    b"eq",
    b"eqi",
    b"ne",
    b"nei",
    b"neq",
    b"gt",
    b"gte",
    b"ge",
    b"lt",
    b"lte",
    b"le",
    b"in",
    b"nin",
    b"notin",
    b"like",
    b"ilike",
    b"nlike",
    b"contains",
    b"containsi",
    b"icontains",
    b"ncontains",
    b"notcontains",
    b"notcontainsi",
    b"startswith",
    b"istartswith",
    b"startswithi",
    b"endswith",
    b"iendswith",
    b"endswithi",
    b"exact",
    b"iexact",
    b"between",
    b"range",
    b"null",
    b"notnull",
    b"isnull",
    b"regex",
    b"iregex",
    b"search",
    b"not",
    b"is",
    b"match",
    b"unaccent",
    // JHipster / Spring criteria (`lastName.equals`, `surname.doesNotContain`)
    b"equals",
    b"notequals",
    b"doesnotcontain",
    b"greaterthan",
    b"lessthan",
    b"greaterthanorequal",
    b"lessthanorequal",
    b"greaterorequalthan",
    b"lessorequalthan",
    b"specified",
];

/// Ransack's predicates (`surname_eq`, `last_name_i_cont_any`,
/// `first_name_or_last_name_does_not_match`): `CORE` must end the key
/// (before `any`/`all`); `MODIFIERS` may come before them.
const RANSACK_CORE: &[&[u8]] = &[
    b"eq", b"cont", b"start", b"end", b"matches", b"match", b"lt", b"lteq", b"gt", b"gteq", b"in", b"present",
    b"blank", b"null", b"like", b"ilike", b"regex",
];
const RANSACK_MODIFIERS: &[&[u8]] = &[b"not", b"i", b"does", b"any", b"all"];

/// The length of `k` without a trailing Ransack predicate (`surname_eq`:
/// `surname`), `None` when it has none.
fn without_ransack_predicate(k: &[u8]) -> Option<usize> {
    let mut end = k.len();
    let mut core = false;
    while let Some(u) = memchr::memrchr(b'_', &k[..end]) {
        let w = &k[u + 1..end];
        if RANSACK_CORE.iter().any(|o| w.eq_ignore_ascii_case(o)) {
            core = true;
        } else if !RANSACK_MODIFIERS.iter().any(|o| w.eq_ignore_ascii_case(o)) {
            break;
        }
        end = u;
    }
    // (something must be left: `_eq` alone is no field)
    (core && end > 0 && k[..end].iter().any(u8::is_ascii_alphanumeric)).then_some(end)
}

fn is_key_operator(w: &[u8]) -> bool {
    let w = w.strip_prefix(b"$").unwrap_or(w);
    let w = w.strip_prefix(b"Op.").unwrap_or(w);
    w.is_empty() || w.iter().all(u8::is_ascii_digit) || KEY_OPERATORS.iter().any(|o| w.eq_ignore_ascii_case(o))
}

/// A form, query or cookie key without the comparison a query language
/// writes after the field name, as the receiver's parser nests it: bracket
/// segments (`lastName[$eq]`, `filters[lastName][$in][0]`: qs, Rails,
/// PHP, Strapi build `{lastName: {$eq: …}}`) and Django lookups
/// (`last_name__icontains`, `user__last_name__in`); empty and numeric
/// segments (`surname[]`, `[0]`) too; JHipster/Spring criteria
/// (`lastName.equals`, `surname.contains`) and Ransack's predicates
/// (`q[surname_eq]`, `q[last_name_i_cont]`, `last_name_cont`). The key
/// itself when it has none.
pub fn key_without_operators(key: &[u8]) -> &[u8] {
    // every operator follows a `]`, `_` or `.` (`page`, `size`, `q` have none)
    if memchr::memchr3(b']', b'_', b'.', key).is_none() {
        return key;
    }
    let mut end = key.len();
    loop {
        let k = &key[..end];
        if k.last() == Some(&b']') {
            if let Some(open) = memchr::memrchr(b'[', k) {
                let inner = &k[open + 1..k.len() - 1];
                if open > 0 && is_key_operator(inner) {
                    end = open;
                    continue;
                }
                if let Some(n) = without_ransack_predicate(inner) {
                    // `q[surname_eq]`: `q[surname`, whose last word is the field's
                    return &k[..open + 1 + n];
                }
            }
        } else if let Some(i) = memchr::memmem::rfind(k, b"__") {
            if i > 0 && is_key_operator(&k[i + 2..]) && !k[i + 2..].is_empty() {
                end = i;
                continue;
            }
        }
        if let Some(dot) = memchr::memrchr(b'.', k) {
            if dot > 0 && dot + 1 < k.len() && is_key_operator(&k[dot + 1..]) {
                end = dot;
                continue;
            }
        }
        if let Some(n) = without_ransack_predicate(k) {
            return &k[..n];
        }
        return k;
    }
}

#[cfg(test)]
mod override_tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn keys_without_their_comparison() {
        let k = |s: &str| String::from_utf8_lossy(key_without_operators(s.as_bytes())).into_owned();
        assert_eq!(k("lastName[$eq]"), "lastName");
        assert_eq!(k("filters[lastName][$containsi]"), "filters[lastName]");
        assert_eq!(k("lastName[$in][]"), "lastName");
        assert_eq!(k("dob[gte]"), "dob");
        assert_eq!(k("surname[0]"), "surname");
        assert_eq!(k("last_name__icontains"), "last_name");
        assert_eq!(k("user__last_name__in"), "user__last_name");
        assert_eq!(k("lastName.equals"), "lastName");
        assert_eq!(k("surname.doesNotContain"), "surname");
        assert_eq!(k("lastName.in[]"), "lastName");
        assert_eq!(k("q[surname_eq]"), "q[surname");
        assert_eq!(k("q[last_name_not_i_cont_any]"), "q[last_name");
        assert_eq!(k("last_name_cont"), "last_name");
        assert_eq!(k("customer.name"), "customer.name");
        assert_eq!(k("user_name"), "user_name");
        for plain in ["page", "q", "sortBy", "x-y", "a[b", "lastName$eq"] {
            assert_eq!(k(plain), plain);
        }
        assert_eq!(k("q[_eq]"), "q[_eq]");
        assert_eq!(k(".equals"), ".equals");
        // a segment that is a field is kept; no operator, no change
        assert_eq!(k("user[address][street]"), "user[address][street]");
        assert_eq!(k("__eq"), "__eq");
        assert_eq!(k("[$eq]"), "[$eq]");
        assert_eq!(k("plain"), "plain");
    }

    #[test]
    fn method_overrides_from_headers_query_and_forms() {
        assert!(method_overrides(&h(&[(":method", "POST"), ("content-type", "text/plain")]), "/p").is_empty());
        assert_eq!(
            method_overrides(
                &h(&[
                    (":method", "POST"),
                    ("content-type", "text/plain"),
                    ("X-HTTP-Method-Override", "put")
                ]),
                "/p"
            ),
            ["PUT"]
        );
        assert_eq!(
            method_overrides(
                &h(&[("x_http_method", "PATCH"), ("x-method-override", "DELETE, patch")]),
                "/p"
            ),
            ["PATCH", "DELETE"]
        );
        assert_eq!(method_overrides(&h(&[]), "/p?a=1&%5Fmethod=put"), ["PUT"]);
        assert_eq!(method_overrides(&h(&[]), "/p?_METHOD=%2570ut"), ["PUT"]);
        // a body's `_method` is read from the body (`body_methods`), not guessed
        for ct in [
            "application/x-www-form-urlencoded",
            "MULTIPART/form-data; boundary=x",
            "application/json",
        ] {
            assert!(method_overrides(&h(&[(":method", "post"), ("content-type", ct)]), "/p").is_empty());
        }
        // more overrides than are considered: any method (never the last ones dropped)
        let many: Vec<(String, String)> = (0..20)
            .map(|i| ("x-http-method".to_string(), format!("M{i}")))
            .chain([(":path".to_string(), "/p".to_string())])
            .collect();
        let got = method_overrides(&many, "/p?_method=PUT");
        assert_eq!(got.len(), MAX_METHOD_OVERRIDES);
        assert_eq!(got.last().map(String::as_str), Some(ANY_METHOD));
        let eight: Vec<(String, String)> = (0..8)
            .map(|i| ("x-method-override".to_string(), format!("M{i}")))
            .collect();
        assert_eq!(method_overrides(&eight, "/p").len(), 8);
        assert!(!method_overrides(&eight, "/p").contains(&ANY_METHOD.to_string()));
        assert_eq!(
            method_overrides(&eight, "/p?_method=put").last().map(String::as_str),
            Some(ANY_METHOD)
        );
    }

    #[test]
    fn which_bodies_may_name_a_method() {
        let post = |ct: Option<&str>| {
            let mut v = vec![(":method", "POST")];
            v.extend(ct.map(|c| ("content-type", c)));
            body_may_name_method(&h(&v))
        };
        for ct in [
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json",
            "application/vnd.api+json; charset=utf-8",
            "text/plain, application/json",
        ] {
            assert!(post(Some(ct)), "{ct}");
        }
        assert!(post(None), "untyped (Rack reads a form)");
        assert!(post(Some("")), "empty type");
        for ct in [
            "text/plain",
            "application/xml",
            "application/octet-stream",
            "application/grpc",
        ] {
            assert!(!post(Some(ct)), "{ct}");
        }
        assert!(!body_may_name_method(&h(&[
            (":method", "PUT"),
            ("content-type", "application/json")
        ])));
        assert!(!body_may_name_method(&h(&[(":method", "GET")])));
    }

    #[test]
    fn the_methods_a_body_names() {
        let read = |ct: Option<&str>, body: &[u8]| {
            let mut v = vec![(":method", "POST")];
            v.extend(ct.map(|c| ("content-type", c)));
            body_methods(&h(&v), body, 1 << 20)
        };
        let form = Some("application/x-www-form-urlencoded");
        let json = Some("application/json");
        assert_eq!(read(form, b"a=1&_method=put"), Some(vec!["PUT".to_string()]));
        assert_eq!(
            read(form, b"a=1;%5F%6Dethod=Get&_METHOD=patch"),
            Some(vec!["GET".into(), "PATCH".into()])
        );
        assert_eq!(
            read(form, b".method=DELETE&+method=GET"),
            Some(vec!["DELETE".into(), "GET".into()])
        );
        assert_eq!(read(form, b"x_method=GET&_methods=GET&method=GET"), Some(vec![]));
        assert_eq!(read(None, b"_method=GET&x=1"), Some(vec!["GET".to_string()]));
        assert_eq!(read(None, br#"{"_method":"HEAD"}"#), Some(vec!["HEAD".to_string()]));
        assert_eq!(
            read(
                json,
                br#"{"a":{"_method":"GET"},"b":["_method","GET"],"_method":"PUT"}"#
            ),
            Some(vec!["PUT".into()])
        );
        assert_eq!(
            read(
                json,
                br#"{ "\u005fmethod" : "\u0047ET", "_method":"POST", "_method" : 1}"#
            ),
            Some(vec!["GET".into(), "POST".into()])
        );
        assert_eq!(read(json, br#"[{"_method":"GET"}]"#), Some(vec![]));
        assert_eq!(
            read(json, br#"{"note":"_method","x":"\"_method\":\"GET\""}"#),
            Some(vec![])
        );
        assert_eq!(
            read(json, b"_method=GET"),
            Some(vec![]),
            "a JSON type is not read as a form"
        );
        let mp = Some("multipart/form-data; boundary=B");
        let body = b"--B\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\npatch\r\n--B--\r\n";
        assert_eq!(read(mp, body), Some(vec!["PATCH".to_string()]));
        assert_eq!(read(mp, b"not multipart"), None, "unreadable: any method");
        // under a content coding: as sent and decoded
        let gz = crate::encoding::encode_all(&[crate::encoding::Coding::Gzip], b"_method=GET");
        let v = h(&[
            (":method", "POST"),
            ("content-type", "application/x-www-form-urlencoded"),
            ("content-encoding", "gzip"),
        ]);
        assert_eq!(body_methods(&v, &gz, 1 << 20), Some(vec!["GET".to_string()]));
        assert_eq!(body_methods(&v, b"not gzip", 1 << 20), None);
        let br = h(&[(":method", "POST"), ("content-encoding", "br")]);
        assert_eq!(body_methods(&br, b"_method=GET", 1 << 20), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `format_of` compares without a lower-cased copy: it answers as the
    /// copying version did on every spelling (case, parameters, spaces,
    /// suffixes, non-ASCII bytes, near misses).
    #[test]
    fn format_of_answers_as_the_lowercasing_version() {
        fn reference(content_type: Option<&str>, body: &[u8]) -> Format {
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
        let bases = [
            "application/json",
            "APPLICATION/JSON",
            "application/problem+json",
            "application/vnd.api+JSON",
            "text/json",
            "json",
            "/json",
            "+json",
            "application/jsonx",
            "application/x-www-form-urlencoded",
            "Application/X-WWW-Form-Urlencoded",
            "application/x-www-form-urlencodedx",
            "multipart/form-data",
            "MULTIPART/mixed",
            "multipart",
            "multipart/",
            "multipar/x",
            "text/plain",
            "",
            "\u{e9}/json",
            "application/\u{c9}json",
        ];
        let mut n = 0;
        for base in bases {
            for decorated in [
                base.to_string(),
                format!("  {base}  "),
                format!("{base}; charset=utf-8"),
                format!("\u{a0}{base}\u{3000}"),
                format!("{base};boundary=x/json"),
            ] {
                for body in [&b""[..], b"  {\"a\":1}", b"[1]", b"a=b"] {
                    for ct in [Some(decorated.as_str()), None] {
                        assert_eq!(format_of(ct, body), reference(ct, body), "{ct:?} {body:?}");
                        n += 1;
                    }
                }
            }
        }
        assert!(n > 800);
    }

    /// Every byte encodes as `%XX` (upper-case hex) unless unreserved, as
    /// the formatting it replaced did.
    /// The fixed-place reading agrees with splitting at dashes.
    #[test]
    fn is_uuid_agrees_with_the_split_groups() {
        fn split_groups(s: &str) -> bool {
            let p: Vec<&str> = s.split('-').collect();
            p.len() == 5 && p.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| is_hex(g, &[n]))
        }
        let uuid = "5f0c7c6e-2d7b-4f7e-9d6a-0d2b8f0e9a11";
        assert!(is_uuid(uuid) && is_uuid(&uuid.to_ascii_uppercase()));
        let alphabet = ['a', 'F', '0', '9', '-', 'g', ' ', 'é'];
        let mut seed: u64 = 7;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % n
        };
        let mut yes = 0;
        for _ in 0..50_000 {
            // a UUID with a few characters changed, dropped or added
            let mut c: Vec<char> = uuid.chars().collect();
            for _ in 0..next(3) {
                match next(3) {
                    0 => {
                        let i = next(c.len());
                        c[i] = alphabet[next(alphabet.len())];
                    }
                    1 => {
                        c.remove(next(c.len()));
                    }
                    _ => c.insert(next(c.len() + 1), alphabet[next(alphabet.len())]),
                }
            }
            let s: String = c.into_iter().collect();
            assert_eq!(is_uuid(&s), split_groups(&s), "{s:?}");
            yes += usize::from(split_groups(&s));
        }
        assert!(yes > 5_000 && yes < 45_000, "{yes}");
    }

    #[test]
    fn xfcc_only_in_envoys_syntax() {
        for ok in [
            "By=spiffe://cluster.local/ns/a/sa/b;Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688;Subject=\"/C=US/ST=CA/L=SF/OU=Lyft/CN=Test Client\";URI=spiffe://cluster.local/ns/c/sa/d",
            "By=http://frontend.lyft.com;Hash=468e;URI=http://testclient.lyft.com,By=http://backend.lyft.com;Hash=9ba6;URI=http://frontend.lyft.com",
            "Hash=468e;Cert=\"-----BEGIN%20CERTIFICATE-----%0AMIID\";DNS=example.com;DNS=www.example.com",
        ] {
            assert!(xfcc_pairs(ok).is_some(), "{ok}");
            // never skipped: read but for a 64-digit hash
            assert!(!structured_header_ok("x-forwarded-client-cert", ok), "{ok}");
        }
        for forged in [
            "jane.doe@example.com",
            "By=jane.doe@example.com",
            "Email=jane@example.com",
            "Hash=1;4111 1111 1111 1111",
            "Subject=\"unterminated",
            "",
        ] {
            assert!(xfcc_pairs(forged).is_none(), "{forged}");
            assert!(xfcc_readable(forged).is_none(), "{forged}");
            assert!(!structured_header_ok("x-forwarded-client-cert", forged), "{forged}");
        }
        let hash = "4111111111111111a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6";
        assert_eq!(
            xfcc_readable(&format!(
                "By=spiffe://c/ns/a/sa/b;Hash={hash};Subject=\"CN=Jane,emailAddress=jane@example.com\";URI=spiffe://c/ns/d/sa/e"
            ))
            .as_deref(),
            Some("spiffe://c/ns/a/sa/b; \"CN=Jane,emailAddress=jane@example.com\"; spiffe://c/ns/d/sa/e")
        );
        // a hash of another length is a value like any
        assert_eq!(
            xfcc_readable("Hash=4111111111111111").as_deref(),
            Some("4111111111111111")
        );
    }

    #[test]
    fn percent_encode_every_byte() {
        let all: Vec<u8> = (0..=255u8).collect();
        let mut want = Vec::new();
        for &c in &all {
            if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
                want.push(c);
            } else {
                want.extend_from_slice(format!("%{c:02X}").as_bytes());
            }
        }
        assert_eq!(percent_encode(&all), want);
        assert_eq!(percent_encode(b"[EMAIL] a"), b"%5BEMAIL%5D%20a".to_vec());
        assert_eq!(safe_name("email"), "email");
        assert_eq!(safe_name("e mail"), "*");
        assert_eq!(safe_name_str("card1234"), "*");
    }
}
