//! Request paths as routes see them, and as inspection reads them.
//!
//! A client may spell one resource many ways (`/payments/`, `//payments`,
//! `/./payments`, `/x/../payments`, `/payments;x=1`, `/%70ayments`,
//! `/PAYMENTS`), and upstreams commonly fold them back into one. Route
//! matching therefore runs on a normalised path ([`normalize`]):
//!
//! 1. the query and fragment are cut off;
//! 2. percent-encodings are decoded until the text is stable (at most
//!    [`MAX_DECODE_ROUNDS`] rounds: double and triple encodings fold too);
//!    encoded slashes `%2F` and backslashes `%5C` are decoded only when asked
//!    (see below);
//! 3. a backslash is a slash (as in WHATWG URL parsing, IIS and many
//!    frameworks);
//! 4. each segment loses its matrix parameters (`;x=1`, also `..;`),
//!    anything after a NUL byte, and trailing whitespace, control
//!    characters and dots (which C string handling, Java's `trim`, Python's
//!    `strip`, Windows/IIS and some frameworks drop); letters that Unicode
//!    case mapping turns into ASCII (`ſ`, the Kelvin sign) are read as
//!    those, and an absolute-form target by its path;
//! 5. empty segments are merged and dot segments removed (RFC 3986 5.2.4);
//! 6. the trailing slash is dropped (`/payments/` is `/payments`).
//!
//! Encoded slashes are ambiguous: some upstreams decode `%2F` into a
//! separator, others keep it inside a segment. The route is resolved under
//! both readings and a request whose readings land on different routes is
//! refused (see `Policy::resolve`): neither reading can then be used to step
//! around a rule. With Envoy's `path_with_escaped_slashes_action:
//! UNESCAPE_AND_FORWARD` (Istio `pathNormalization: DECODE_AND_MERGE_SLASHES`)
//! the proxy decodes them before piiguard sees the path and the two agree.

use std::borrow::Cow;

/// Rounds of percent-decoding before a value is taken as it is.
pub const MAX_DECODE_ROUNDS: usize = 4;

fn hexval(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// One round of percent-decoding. With `keep_slashes`, `%2F` and `%5C` stay
/// encoded (written in upper case so that the next round leaves them alone).
/// IIS's `%uXXXX` form is decoded too, and the result is folded: overlong
/// UTF-8 of an ASCII character (`%c0%af` is `/` to decoders that accept it)
/// and full-width ASCII (U+FF01..U+FF5E, which best-fit mapping turns into
/// ASCII) become that character.
fn decode_round(s: &[u8], keep_slashes: bool) -> Option<Vec<u8>> {
    if !s.iter().any(|&c| c == b'%' || !c.is_ascii()) {
        return None;
    }
    let mut out = Vec::with_capacity(s.len());
    let mut changed = false;
    let mut i = 0;
    let push = |out: &mut Vec<u8>, c: u8| {
        if keep_slashes && (c == b'/' || c == b'\\') {
            out.extend_from_slice(if c == b'/' { b"%2F" } else { b"%5C" });
        } else {
            out.push(c);
        }
    };
    while i < s.len() {
        if s[i] == b'%' && i + 2 < s.len() {
            if let (Some(a), Some(b)) = (hexval(s[i + 1]), hexval(s[i + 2])) {
                let c = a * 16 + b;
                if keep_slashes && (c == b'/' || c == b'\\') {
                    let enc: &[u8] = if c == b'/' { b"%2F" } else { b"%5C" };
                    changed |= &s[i..i + 3] != enc;
                    out.extend_from_slice(enc);
                } else {
                    out.push(c);
                    changed = true;
                }
                i += 3;
                continue;
            }
            if (s[i + 1] == b'u' || s[i + 1] == b'U') && i + 5 < s.len() {
                let hex = &s[i + 2..i + 6];
                if let Some(cp) = hex
                    .iter()
                    .try_fold(0u32, |acc, &h| hexval(h).map(|d| acc * 16 + u32::from(d)))
                {
                    let ch = char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
                    if ch.is_ascii() {
                        push(&mut out, ch as u8);
                    } else {
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    }
                    changed = true;
                    i += 6;
                    continue;
                }
            }
        }
        // Overlong UTF-8 of an ASCII character: C0/C1 xx, E0 80..9F xx.
        if (s[i] == 0xC0 || s[i] == 0xC1) && s.get(i + 1).is_some_and(|&b| b & 0xC0 == 0x80) {
            let c = ((s[i] & 0x1F) << 6) | (s[i + 1] & 0x3F);
            push(&mut out, c);
            changed = true;
            i += 2;
            continue;
        }
        if s[i] == 0xE0
            && s.get(i + 1).is_some_and(|&b| (0x80..0xA0).contains(&b))
            && s.get(i + 2).is_some_and(|&b| b & 0xC0 == 0x80)
        {
            let cp = (u32::from(s[i + 1] & 0x3F) << 6) | u32::from(s[i + 2] & 0x3F);
            if let Ok(c) = u8::try_from(cp) {
                if c.is_ascii() {
                    push(&mut out, c);
                    changed = true;
                    i += 3;
                    continue;
                }
            }
        }
        // Letters that Unicode case mapping turns into ASCII ones: a
        // case-insensitive comparison (Java's `equalsIgnoreCase`, .NET's
        // `OrdinalIgnoreCase`, Unicode regex flags) takes `/paymentſ` for
        // `/payments`. U+017F long s, U+0130 and U+0131 (dotted capital and
        // dotless i), U+212A Kelvin sign.
        let folded = match (s[i], s.get(i + 1), s.get(i + 2)) {
            (0xC5, Some(0xBF), _) => Some((b's', 2)),
            (0xC4, Some(0xB0 | 0xB1), _) => Some((b'i', 2)),
            (0xE2, Some(0x84), Some(0xAA)) => Some((b'k', 3)),
            _ => None,
        };
        if let Some((c, n)) = folded {
            push(&mut out, c);
            changed = true;
            i += n;
            continue;
        }
        // Full-width ASCII: EF BC 81..BF is U+FF01..FF3F, EF BD 80..9E is U+FF40..FF5E.
        if s[i] == 0xEF && i + 2 < s.len() {
            let c = match (s[i + 1], s[i + 2]) {
                (0xBC, b @ 0x81..=0xBF) => Some(b - 0x81 + 0x21),
                (0xBD, b @ 0x80..=0x9E) => Some(b - 0x80 + 0x60),
                _ => None,
            };
            if let Some(c) = c {
                push(&mut out, c);
                changed = true;
                i += 3;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    changed.then_some(out)
}

/// Percent-decodes until stable (bounded). `+` is not a space here: this is
/// for paths; query values use [`decode_form_until_stable`].
pub fn decode_until_stable(s: &[u8]) -> Cow<'_, [u8]> {
    decode_bounded(s, false)
}

fn decode_bounded(s: &[u8], keep_slashes: bool) -> Cow<'_, [u8]> {
    let mut cur: Cow<'_, [u8]> = Cow::Borrowed(s);
    for _ in 0..MAX_DECODE_ROUNDS {
        match decode_round(&cur, keep_slashes) {
            Some(next) => cur = Cow::Owned(next),
            None => break,
        }
    }
    cur
}

/// Form/query decoding: `+` is a space in the first round, then
/// percent-decoding until stable.
pub fn decode_form_until_stable(s: &[u8]) -> Cow<'_, [u8]> {
    let first = crate::engine::percent_decode(s, true);
    match first {
        Cow::Borrowed(b) => decode_until_stable(b),
        Cow::Owned(v) => Cow::Owned(decode_until_stable(&v).into_owned()),
    }
}

/// The path part of a `:path` (query and fragment cut off).
pub fn path_part(raw: &str) -> &str {
    let end = raw.find(['?', '#']).unwrap_or(raw.len());
    &raw[..end]
}

/// The path of an absolute-form request target (`http://host/payments`,
/// which HTTP/1.1 allows and servers accept): what follows the authority.
/// Any other target is returned as it is.
fn strip_absolute_form(p: &str) -> &str {
    let Some((scheme, rest)) = p.split_once("://") else {
        return p;
    };
    let is_scheme = scheme.bytes().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
    if !is_scheme {
        return p;
    }
    match rest.find(['/', '\\']) {
        Some(i) => &rest[i..],
        None => "/",
    }
}

/// A segment without the tail that servers drop: ASCII whitespace and
/// control characters (Java's `trim` drops every byte up to 0x20), DEL,
/// dots (Windows/IIS), Unicode white space (Python's `strip`, U+00A0,
/// U+3000, ...), and a lone Latin-1 no-break space or NEL byte (a server
/// that reads the path as Latin-1, as WSGI does).
fn trim_tail(seg: &[u8]) -> &[u8] {
    let mut end = seg.len();
    while end > 0 {
        let c = seg[end - 1];
        if c <= 0x20 || c == 0x7f || c == b'.' {
            end -= 1;
            continue;
        }
        if c >= 0x80 {
            // the last UTF-8 character, if the tail is one
            let start = (end.saturating_sub(4)..end)
                .find(|&j| std::str::from_utf8(&seg[j..end]).is_ok_and(|s| s.chars().count() == 1));
            match start {
                Some(j) => {
                    let ch = std::str::from_utf8(&seg[j..end]).ok().and_then(|s| s.chars().next());
                    if ch.is_some_and(|ch| ch.is_whitespace() || ch.is_control()) {
                        end = j;
                        continue;
                    }
                }
                None if c == 0xA0 || c == 0x85 => {
                    end -= 1;
                    continue;
                }
                None => {}
            }
        }
        break;
    }
    &seg[..end]
}

/// The normalised path used for route matching (see the module docs).
/// `decode_slashes`: whether `%2F`/`%5C` are path separators. That reading
/// also ends the path at a decoded `?` or `#` (`/kyc%3Fx`), as an upstream
/// that decodes the target before splitting it reads it; the other reading
/// keeps them in the segment, so such a path has two readings too.
pub fn normalize(raw: &str, decode_slashes: bool) -> String {
    let p = strip_absolute_form(path_part(raw));
    let decoded = decode_bounded(p.as_bytes(), !decode_slashes);
    let decoded: &[u8] = match decoded.iter().position(|&c| c == b'?' || c == b'#') {
        Some(i) if decode_slashes => &decoded[..i],
        _ => &decoded,
    };
    let mut segs: Vec<&[u8]> = Vec::new();
    for seg in decoded.split(|&c| c == b'/' || c == b'\\') {
        let seg = match seg.iter().position(|&c| c == b';' || c == 0) {
            Some(i) => &seg[..i],
            None => seg,
        };
        // Trailing whitespace, control characters and dots: Windows/IIS,
        // Java's `trim` and some frameworks drop them.
        let seg = if seg == b"." || seg == b".." {
            seg
        } else {
            trim_tail(seg)
        };
        match seg {
            b"" | b"." => {}
            b".." => {
                segs.pop();
            }
            s => segs.push(s),
        }
    }
    let mut out = Vec::with_capacity(decoded.len() + 1);
    for s in &segs {
        out.push(b'/');
        out.extend_from_slice(s);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Most readings of a last segment without its extension.
const MAX_STEMS: usize = 4;

/// A normalised path without the extension of its last segment, at each
/// dot in it (`/charge.json` is `/charge`; `/a.b.json` is `/a` and `/a.b`):
/// Rails routes `/charge.json` to `/charge` (`(.:format)`), Spring's suffix
/// patterns `/charge.*` and JAX-RS extension mappings do the same. A dot
/// that starts the segment (`/.well-known`) is no extension. At most
/// [`MAX_STEMS`], shortest first; each without the tail servers drop.
pub fn extension_stems(path: &str) -> impl Iterator<Item = &str> {
    let seg = path.rfind('/').map_or(0, |i| i + 1);
    path[seg..]
        .match_indices('.')
        .filter(|&(i, _)| i > 0)
        .take(MAX_STEMS)
        .filter_map(move |(i, _)| {
            let stem = &path[..seg + i];
            let t = trim_tail(stem.as_bytes()).len();
            (t > seg).then(|| &stem[..t])
        })
}

/// Whether the path holds an encoded slash or backslash at any depth of
/// encoding (so that its two readings may differ).
pub fn has_encoded_separator(raw: &str) -> bool {
    let p = path_part(raw);
    if !p.contains('%') && p.is_ascii() {
        return false;
    }
    normalize(raw, true) != normalize(raw, false)
}

/// A normalised configured path (`path_exact`, `path_prefix`): the same
/// steps as a request path, so `/payments/` in a rule is `/payments`.
/// Returns the normalised text and whether the rule ended in `/`.
pub fn normalize_rule(rule: &str) -> (String, bool) {
    let trailing = rule.len() > 1 && (rule.ends_with('/') || rule.ends_with('\\'));
    (normalize(rule, true), trailing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_stems_of_the_last_segment() {
        fn stems(p: &str) -> Vec<&str> {
            extension_stems(p).collect()
        }
        assert_eq!(stems("/charge.json"), ["/charge"]);
        assert_eq!(stems("/a.b/c.d.e"), ["/a.b/c", "/a.b/c.d"]);
        assert_eq!(stems("/charge .json"), ["/charge"]);
        assert!(stems("/.well-known").is_empty());
        assert!(stems("/charge").is_empty());
        assert!(stems("/").is_empty());
        assert_eq!(stems("/x.1.2.3.4.5.6").len(), MAX_STEMS);
    }

    #[test]
    fn spellings_of_one_path_normalise_alike() {
        for p in [
            "/payments",
            "/payments/",
            "//payments",
            "/./payments",
            "/x/../payments",
            "/x/y/../../payments",
            "/../payments",
            "/payments;x=1",
            "/payments;",
            "/payments/;x=1",
            "/x/..;/payments",
            "/%70ayments",
            "/%2570ayments",
            "/%252570ayments",
            "/%2e/payments",
            "/x/%2e%2e/payments",
            "/x/%252e%252e/payments",
            "\\payments",
            "/payments?card=1",
            "/payments#frag",
            "/payments//",
            "/pay%6dents",
            "/payments%00.png",
            "/payments%20",
            "/payments.",
            "/payments%09/",
            "/x/.../../payments",
            "/x/...;/../payments",
            "/payments%20",
            "/payments%09",
            "/payments%0a",
            "/payments..;/",
            "/payments;",
            "/payments%00",
            "/payments%00/x/..",
            "/x/..%c0%afpayments",
            "/x%c0%af..%c0%afpayments",
            "/x/%c0%ae%c0%ae/payments",
            "/x/%e0%80%ae%e0%80%ae/payments",
            "/x/%25c0%25ae%25c0%25ae/payments",
            "/%u0070ayments",
            "/x/%u002e%u002e/payments",
            "/\u{ff50}ayments",
            "/%ef%bd%90ayments",
            "/./payments/./",
            "/x/%252e%252e/payments",
            "/x/%2E%2e/payments",
            "/payment%C5%BF",
            "/payment\u{17f}",
            "/%E2%84%AAyc/../payments",
            "/pa%C4%B1%C4%B0/../payments",
            "/payments%0b",
            "/payments%01",
            "/payments%7f",
            "/payments%a0",
            "/payments%85",
            "/payments%c2%a0",
            "/payments%e3%80%80",
            "/payments%c2%85.",
            "http://localhost/payments",
            "HTTPS://localhost:8443/payments/",
            "http://u@localhost\\payments",
            "/payments%3Fx=1",
            "/payments%23frag",
            "/payments%253Fx",
        ] {
            assert_eq!(normalize(p, true), "/payments", "{p}");
        }
        // a decoded `?` or `#` is data to the other reading, and no
        // character that is part of a longer one is dropped
        assert_eq!(normalize("/payments%3Fx=1", false), "/payments?x=1");
        assert!(has_encoded_separator("/kyc%3fx"));
        assert_eq!(normalize("/caf%c3%a0", true), "/caf\u{e0}");
        assert_eq!(normalize("/a%e2%80%8bb", true), "/a\u{200b}b");
        assert_eq!(normalize("/redirect/http://x/y", true), "/redirect/http:/x/y");
        assert_eq!(normalize("*", true), "/*");
        assert_eq!(normalize("", true), "/");
        assert_eq!(normalize("/", true), "/");
        assert_eq!(normalize("/a/b/", true), "/a/b");
        assert_eq!(normalize("/a%2Fb", true), "/a/b");
        assert_eq!(normalize("/a%2Fb", false), "/a%2Fb");
        assert_eq!(normalize("/a%252fb", false), "/a%2Fb");
        assert_eq!(normalize("/a%5cb", true), "/a/b");
        assert_eq!(normalize("/echo%2F..%2Fpayments", true), "/payments");
        assert_eq!(normalize("/echo%2F..%2Fpayments", false), "/echo%2F..%2Fpayments");
        assert!(has_encoded_separator("/echo%2F..%2Fpayments"));
        assert!(!has_encoded_separator("/echo/%41"));
        // overlong and %u slashes are encoded slashes: both readings
        assert_eq!(normalize("/a%c0%afb", false), "/a%2Fb");
        assert_eq!(normalize("/a%u002fb", false), "/a%2Fb");
        assert_eq!(normalize("/a%c0%afb", true), "/a/b");
        assert!(has_encoded_separator("/echo%c0%af..%c0%afpayments"));
        // invalid or non-ASCII sequences are kept
        assert_eq!(normalize("/caf%c3%a9", true), "/caf\u{e9}");
        assert_eq!(normalize("/a%uZZZZ", true), "/a%uZZZZ");
        assert_eq!(normalize_rule("/payments/"), ("/payments".to_string(), true));
        assert_eq!(normalize_rule("/"), ("/".to_string(), false));
    }

    #[test]
    fn decoding_is_bounded_and_total() {
        let mut s = "%41".to_string();
        for _ in 0..10 {
            s = s.replace('%', "%25");
        }
        // deeper than the bound: left partly encoded, never looping
        assert!(decode_until_stable(s.as_bytes()).contains(&b'%'));
        assert_eq!(&*decode_until_stable(b"%25%"), b"%%");
        assert_eq!(&*decode_until_stable(b"%zz%4"), b"%zz%4");
        assert_eq!(&*decode_form_until_stable(b"a+b%2540"), b"a b@");
    }
}
