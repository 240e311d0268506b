//! Data subjects and consent: who a request is about (header, JWT claim,
//! cookie, query, body path), their keyed pseudonym, and consent to a
//! route's purpose (GDPR arts. 6, 7, 18, 21).

use crate::engine::Engine;
use crate::http::percent_decode;
use crate::model::{ConsentState, Direction};
use crate::policy::{PathSeg, Route};
use crate::redact;

/// Whether a request header may be read by a backend as the subject header
/// (one of `subject_names`): its name, case folded and with every character
/// other than letters and digits removed, contains the subject header's name
/// reduced the same way (without its `x-` prefix when at least 8 letters and
/// digits remain). That covers what backends fold (case, `_`, `.`,
/// doubled dashes), CGI-style prefixes (`http-x-piiguard-subject`) and
/// suffixes (`x-piiguard-subject-id`, `x-piiguard-subjectid`). A header the
/// policy names as a subject source is never one: the operator trusts it as
/// input.
pub fn spells_subject_header(
    name: &str,
    subject_names: &[String],
    subject: Option<&crate::config::SubjectConfig>,
) -> bool {
    let is_source = subject.iter().flat_map(|s| s.sources.iter()).any(|s| match s {
        crate::config::SubjectSource::Header(h) => h.eq_ignore_ascii_case(name),
        _ => false,
    });
    !is_source && subject_names.iter().any(|s| contains_squashed(name, subject_core(s)))
}

/// The part of a subject header name a spelling must contain: the name
/// without its conventional `x-` prefix (`x-forwarded-piiguard-subject`)
/// when at least 8 letters and digits are left, else the whole name.
fn subject_core(s: &str) -> &str {
    let prefixed = matches!(s.as_bytes(), [b'x' | b'X', b'-' | b'_', ..]);
    match s.get(2..) {
        Some(c) if prefixed && c.bytes().filter(|&b| SQUASH[b as usize] != 0).count() >= 8 => c,
        _ => s,
    }
}

/// The names of the request headers that spell a subject header
/// ([`spells_subject_header`]), in order.
pub fn forged_subject_headers<'h, K: AsRef<str>, V>(
    headers: &'h [(K, V)],
    subject_names: &[String],
    subject: Option<&crate::config::SubjectConfig>,
) -> Vec<&'h str> {
    SubjectSpellings::new(subject_names).forged(headers, subject)
}

/// The subject header names, reduced once (when the policy is compiled)
/// for [`SubjectSpellings::forged`].
#[derive(Clone, Debug, Default)]
pub struct SubjectSpellings {
    /// Each name's [`subject_core`], [`squashed`], with its rarest byte
    /// ([`rarest`]): a header name without that letter (in either case) or
    /// digit cannot contain the core, whatever is squashed out of it.
    cores: Vec<(Vec<u8>, u8)>,
    /// The shortest core's length (`usize::MAX` without names).
    shortest: usize,
}

/// Letters and digits, the rarest in header names first (`j` of `subject`).
const RARITY: &[u8] = b"jqzxkvwybfghmpldcusnrtoiea0123456789";

/// The byte of a squashed core that header names hold least often.
fn rarest(core: &[u8]) -> u8 {
    core.iter()
        .copied()
        .min_by_key(|b| RARITY.iter().position(|r| r == b).unwrap_or(RARITY.len()))
        .unwrap_or(0)
}

impl SubjectSpellings {
    pub fn new(subject_names: &[String]) -> SubjectSpellings {
        let cores: Vec<(Vec<u8>, u8)> = subject_names
            .iter()
            .map(|s| {
                let core: Vec<u8> = squashed(subject_core(s)).collect();
                let rare = rarest(&core);
                (core, rare)
            })
            .collect();
        let shortest = cores.iter().map(|(c, _)| c.len()).min().unwrap_or(usize::MAX);
        SubjectSpellings { cores, shortest }
    }

    /// [`forged_subject_headers`] for these names. A header name shorter
    /// than every reduced subject name cannot contain one (reducing only
    /// removes bytes), so the common headers (`:path`, `accept`,
    /// `user-agent`, ...) cost a length comparison; a longer one is reduced
    /// once for every name.
    pub fn forged<'h, K: AsRef<str>, V>(
        &self,
        headers: &'h [(K, V)],
        subject: Option<&crate::config::SubjectConfig>,
    ) -> Vec<&'h str> {
        headers
            .iter()
            .map(|(k, _)| k.as_ref())
            .filter(|k| self.forges(k, subject))
            .collect()
    }

    /// Whether any of `names` (as the host wrote them, in any encoding)
    /// spells a subject header name: a request with none has no forged
    /// subject header ([`SubjectSpellings::forged`] names a subset of these:
    /// those that are not a configured source).
    pub fn any_spelled<'n>(&self, mut names: impl Iterator<Item = &'n [u8]>) -> bool {
        names.any(|k| k.len() >= self.shortest && self.spelled_by(k))
    }

    /// Whether the header `name` is a forged subject header.
    fn forges(&self, name: &str, subject: Option<&crate::config::SubjectConfig>) -> bool {
        name.len() >= self.shortest && self.spelled_by(name.as_bytes()) && !is_source(name, subject)
    }

    /// Whether `squashed(name)` contains one of the reduced names. A name
    /// without a core's rarest byte is not reduced for it (`x-forwarded-proto`
    /// holds no `j`).
    fn spelled_by(&self, name: &[u8]) -> bool {
        let mut candidates = self
            .cores
            .iter()
            .filter(|(core, rare)| {
                !core.is_empty() && core.len() <= name.len() && name.iter().any(|&b| b | 0x20 == *rare)
            })
            .peekable();
        if candidates.peek().is_none() {
            return false;
        }
        let mut buf = [0u8; 128];
        let long: Vec<u8>;
        let hay: &[u8] = match squash_into(name, &mut buf) {
            Some(n) => &buf[..n],
            None => {
                long = name.iter().map(|&c| SQUASH[c as usize]).filter(|&k| k != 0).collect();
                &long
            }
        };
        candidates.any(|(core, _)| core.len() <= hay.len() && hay.windows(core.len()).any(|w| w == core.as_slice()))
    }
}

/// A header the policy names as a subject source (input the operator trusts).
fn is_source(name: &str, subject: Option<&crate::config::SubjectConfig>) -> bool {
    subject.iter().flat_map(|s| s.sources.iter()).any(|s| match s {
        crate::config::SubjectSource::Header(h) => h.eq_ignore_ascii_case(name),
        _ => false,
    })
}

/// Letters and digits of `s`, lower-cased (no allocation).
fn squashed(s: &str) -> impl Iterator<Item = u8> + Clone + '_ {
    s.bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
}

/// Each byte as [`squashed`] keeps it (lower-cased), 0 when it drops it.
static SQUASH: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() {
            t[c] = b.to_ascii_lowercase();
        }
        c += 1;
    }
    t
};

/// `squashed(s)` written into `buf`, its length; `None` when it does not fit.
fn squash_into(s: &[u8], buf: &mut [u8]) -> Option<usize> {
    let mut n = 0;
    for &c in s {
        let k = SQUASH[c as usize];
        if k != 0 {
            *buf.get_mut(n)? = k;
            n += 1;
        }
    }
    Some(n)
}

/// Whether `squashed(hay)` contains `squashed(needle)` (non-empty).
fn contains_squashed(hay: &str, needle: &str) -> bool {
    // names fit on the stack: squashed once, compared window by window
    let (mut hb, mut nb) = ([0u8; 128], [0u8; 64]);
    let Some(n) = squash_into(needle.as_bytes(), &mut nb) else {
        return contains_squashed_long(hay, needle);
    };
    // fewer bytes than the squashed needle: no squashing can hold it
    if n == 0 || hay.len() < n {
        return false;
    }
    match squash_into(hay.as_bytes(), &mut hb) {
        Some(h) => n <= h && hb[..h].windows(n).any(|w| w == &nb[..n]),
        None => contains_squashed_long(hay, needle),
    }
}

/// [`contains_squashed`] for names longer than its buffers.
fn contains_squashed_long(hay: &str, needle: &str) -> bool {
    if squashed(needle).next().is_none() {
        return false;
    }
    let h = hay.as_bytes();
    (0..h.len()).filter(|&i| h[i].is_ascii_alphanumeric()).any(|i| {
        let mut rest = squashed(&hay[i..]);
        squashed(needle).all(|c| rest.next() == Some(c))
    })
}

impl Engine {
    /// The keyed pseudonym of a data subject's raw identifier.
    pub fn pseudonym(&self, raw: &str) -> Option<String> {
        self.hasher().map(|h| redact::subject_pseudonym(h, raw))
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
    ) -> ConsentState {
        use crate::config::LegalBasis as L;
        let c = &self.policy.config.consent;
        if let Some(s) = subject {
            if c.restricted.iter().any(|r| r == s)
                && !matches!(route.legal_basis, Some(L::LegalObligation | L::VitalInterests))
            {
                return ConsentState::Restricted;
            }
            if c.objections
                .iter()
                .any(|o| o.subject == s && o.purposes.iter().any(|p| p == purpose))
            {
                return ConsentState::Objected;
            }
        }
        if route.legal_basis != Some(L::Consent) {
            return ConsentState::NotRequired;
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
                return ConsentState::Given;
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
                    return ConsentState::Given;
                }
            }
        }
        ConsentState::Missing
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

#[cfg(test)]
mod spelling_tests {
    use super::spells_subject_header;

    /// The stack-buffer search answers as the iterator walk does, on names
    /// that fit the buffers and on names that do not.
    #[test]
    fn squashed_search_agrees_with_the_walk() {
        use super::{contains_squashed, contains_squashed_long};
        let alphabet = b"aAbB-_. 1x";
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % n
        };
        let (mut found, mut long) = (0, 0);
        for _ in 0..20_000 {
            let hay_len = [3, 12, 40, 200][next(4)];
            let needle_len = [0, 1, 2, 3, 70][next(5)];
            let hay: String = (0..next(hay_len + 1))
                .map(|_| alphabet[next(alphabet.len())] as char)
                .collect();
            let needle: String = (0..next(needle_len + 1))
                .map(|_| alphabet[next(alphabet.len())] as char)
                .collect();
            let want = contains_squashed_long(&hay, &needle);
            assert_eq!(contains_squashed(&hay, &needle), want, "{hay:?} {needle:?}");
            found += usize::from(want);
            long += usize::from(hay.len() > 128 || needle.len() > 64);
        }
        assert!(found > 1000 && long > 100, "{found} {long}");
    }

    /// The per-request scan (names reduced once, short headers skipped by
    /// length) names exactly the headers the per-header test names, for
    /// default, long and short configured names.
    #[test]
    fn the_request_scan_agrees_with_the_per_header_test() {
        use super::forged_subject_headers;
        let alphabet = b"xX-_.piguardsubjectIDu1";
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % n
        };
        let name_sets: [Vec<String>; 3] = [
            vec!["x-piiguard-subject".into()],
            vec!["x-piiguard-subject".into(), "x-user".into()],
            vec!["x-piiguard-subject".into(), "x-acme-customer-ref".into()],
        ];
        let mut hits = 0;
        for names in &name_sets {
            for _ in 0..3_000 {
                let headers: Vec<(String, String)> = (0..next(12))
                    .map(|_| {
                        let k: String = match next(4) {
                            // a real spelling, mangled a little
                            0 => names[next(names.len())]
                                .bytes()
                                .map(|b| if next(6) == 0 { alphabet[next(alphabet.len())] } else { b } as char)
                                .collect(),
                            _ => (0..next(24)).map(|_| alphabet[next(alphabet.len())] as char).collect(),
                        };
                        (k, "v".to_string())
                    })
                    .collect();
                let want: Vec<&str> = headers
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .filter(|k| spells_subject_header(k, names, None))
                    .collect();
                hits += want.len();
                assert_eq!(forged_subject_headers(&headers, names, None), want, "{headers:?}");
                let spellings = super::SubjectSpellings::new(names);
                assert_eq!(
                    spellings.any_spelled(headers.iter().map(|(k, _)| k.as_bytes())),
                    !want.is_empty(),
                    "{headers:?}"
                );
            }
        }
        assert!(hits > 500, "the corpus exercises real spellings: {hits}");
    }

    #[test]
    fn subject_header_spellings() {
        let names = vec!["x-piiguard-subject".to_string()];
        let none = None;
        for n in [
            "x-piiguard-subject",
            "X-PiiGuard-Subject",
            "X-PIIGUARD-SUBJECT",
            "x_piiguard_subject",
            "x.piiguard.subject",
            "x--piiguard-subject",
            "xpiiguardsubject",
            "x-piiguard-subject-id",
            "x-piiguard-subjectid",
            "x-piiguard-subject ",
            "http-x-piiguard-subject",
            "x-x-piiguard-subject",
            "x-piiguard-sub-ject-2",
            "x-forwarded-piiguard-subject",
            "piiguard-subject",
        ] {
            assert!(spells_subject_header(n, &names, none), "{n:?}");
        }
        for n in [
            "x-piiguard-subjec",
            "x-user-id",
            "x-piiguard",
            "subject",
            "x-piiguard-object",
        ] {
            assert!(!spells_subject_header(n, &names, none), "{n:?}");
        }
        // names as the host wrote them (the in-place reading): any case,
        // bytes that are not UTF-8 squashed out as any other punctuation
        let spellings = super::SubjectSpellings::new(&names);
        for n in [
            &b"X-PIIGUARD-SUBJECT"[..],
            b"x-piiguard-\xffsubject",
            b"\xc3x_piiguard_subJect",
        ] {
            assert!(spellings.any_spelled([n].into_iter()), "{n:?}");
        }
        for n in [
            &b"x-forwarded-proto"[..],
            b"x-piiguard-\xffsubjec",
            b"",
            b"x-piiguard-subjeck",
        ] {
            assert!(!spellings.any_spelled([n].into_iter()), "{n:?}");
        }
        // a configured subject source is input, never forged
        let sources_cfg: Option<crate::config::SubjectConfig> =
            serde_json::from_str(r#"{"sources":[{"header":"X-PiiGuard-Subject-Raw"}]}"#).ok();
        assert!(sources_cfg.is_some());
        let sources = sources_cfg.as_ref();
        assert!(!spells_subject_header("x-piiguard-subject-raw", &names, sources));
        assert!(spells_subject_header("x-piiguard-subject-id", &names, sources));
        // a short configured name keeps its prefix: `x-user` does not take `user-agent`
        let short = vec!["x-user".to_string()];
        assert!(!spells_subject_header("user-agent", &short, none));
        assert!(spells_subject_header("x-user-id", &short, none));
    }
}
