//! Redaction strategies: how a detected value is rewritten.

use crate::config::Strategy;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Keyed HMAC-SHA256 pseudonymiser. The key comes from the host (the Wasm
/// VM environment), never from the plugin configuration.
#[derive(Clone)]
pub struct Hasher {
    key: Vec<u8>,
    key_id: Option<String>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl Hasher {
    /// `None` for an empty key.
    pub fn new(key: &[u8], key_id: Option<String>) -> Option<Hasher> {
        (!key.is_empty()).then(|| Hasher {
            key: key.to_vec(),
            key_id,
        })
    }

    pub fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    /// Truncated, URL-safe keyed digest of `domain` + `value` (`len` chars).
    pub fn token(&self, domain: &str, value: &[u8], len: usize) -> String {
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => return String::from("unavailable"),
        };
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        mac.update(value);
        let digest = mac.finalize().into_bytes();
        let mut s = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
        s.truncate(len);
        s
    }
}

/// The pseudonym of a data subject's raw identifier (what the filter
/// forwards in `x-piiguard-subject` and writes in the audit record).
pub fn subject_pseudonym(h: &Hasher, raw: &str) -> String {
    h.token("subject", raw.trim().as_bytes(), 22)
}

/// The canonical form hashed for a category (defined per detector in the registry).
fn canonical(category: &str, value: &[u8]) -> Vec<u8> {
    crate::registry::canonical(category, value)
}

fn chars(v: &[u8]) -> usize {
    String::from_utf8_lossy(v).chars().count()
}

/// Renders the replacement text of `value` (no quoting).
pub fn render(strategy: &Strategy, category: &str, value: &[u8], hasher: Option<&Hasher>) -> Vec<u8> {
    match strategy {
        Strategy::Tag => {
            let mut t = Vec::with_capacity(category.len() + 2);
            render_into(strategy, category, value, hasher, &mut t);
            t
        }
        Strategy::Mask => vec![b'*'; chars(value).max(1)],
        Strategy::Partial(o) => partial(category, value, o.keep_last),
        Strategy::Hash => match hasher {
            Some(h) => format!("h:{}", h.token(category, &canonical(category, value), 16)).into_bytes(),
            // Engine construction refuses a hash policy without a key; be safe anyway.
            None => format!("[{}]", category.to_ascii_uppercase()).into_bytes(),
        },
        Strategy::Remove => Vec::new(),
    }
}

/// [`render`], appended to `out` (a tag without a copy of its own).
pub fn render_into(strategy: &Strategy, category: &str, value: &[u8], hasher: Option<&Hasher>, out: &mut Vec<u8>) {
    match strategy {
        Strategy::Tag => {
            out.push(b'[');
            out.extend(category.bytes().map(|c| c.to_ascii_uppercase()));
            out.push(b']');
        }
        s => out.extend_from_slice(&render(s, category, value, hasher)),
    }
}

fn partial(category: &str, value: &[u8], keep: usize) -> Vec<u8> {
    let s = String::from_utf8_lossy(value);
    if category == "email" || s.contains('@') {
        // An address shows its host name: only an address's (no white
        // space, a local part, a dotted name of letters, digits and hyphens)
        // and without its digits, where a number (a card, a phone, an
        // address literal's IP) would be kept whole. An e-mail value that
        // is not one (an e-mail field holding free text) is masked whole:
        // its last characters may be an address, or another value.
        if let Some((local, domain)) = s.rsplit_once('@') {
            if !local.is_empty() && !s.chars().any(char::is_whitespace) && host_name(domain) {
                let mut out = "*".repeat(local.chars().count());
                out.push('@');
                out.extend(domain.chars().map(|c| if c.is_numeric() { '*' } else { c }));
                return out.into_bytes();
            }
        }
        if category == "email" {
            return "*".repeat(s.chars().count().max(1)).into_bytes();
        }
    }
    // keep the last `keep` alphanumerics, mask the others, keep separators
    let total = s.chars().filter(|c| c.is_alphanumeric()).count();
    let mask_upto = total.saturating_sub(keep);
    let mut seen = 0;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_alphanumeric() {
            seen += 1;
            out.push(if seen <= mask_upto { '*' } else { c });
        } else {
            out.push(c);
        }
    }
    if total <= keep {
        // Too short to show anything safely.
        return "*".repeat(s.chars().count().max(1)).into_bytes();
    }
    out.into_bytes()
}

/// A dotted host name: labels of letters, digits and inner hyphens.
fn host_name(d: &str) -> bool {
    let mut labels = 0;
    for label in d.split('.') {
        if label.is_empty()
            || label.starts_with('-')
            || label.ends_with('-')
            || !label.chars().all(|c| c.is_alphanumeric() || c == '-')
        {
            return false;
        }
        labels += 1;
    }
    labels >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appending a rendering gives the bytes `render` returns, after what
    /// was there.
    #[test]
    fn render_into_appends_what_render_returns() {
        let h = Hasher::new(b"k", None);
        let strategies = [
            Strategy::Tag,
            Strategy::Mask,
            Strategy::Hash,
            Strategy::Remove,
            Strategy::Partial(crate::config::PartialOpts { keep_last: 4 }),
        ];
        for s in &strategies {
            for (cat, v) in [
                ("email", &b"jane@example.com"[..]),
                ("payment_card", b"4111 1111 1111 1111"),
                ("x", b""),
            ] {
                let mut out = b"ab".to_vec();
                render_into(s, cat, v, h.as_ref(), &mut out);
                let mut want = b"ab".to_vec();
                want.extend_from_slice(&render(s, cat, v, h.as_ref()));
                assert_eq!(out, want, "{s:?} {cat}");
            }
        }
    }
    use crate::config::PartialOpts;

    fn r(s: Strategy, cat: &str, v: &str) -> String {
        let h = Hasher::new(b"k1", None);
        String::from_utf8_lossy(&render(&s, cat, v.as_bytes(), h.as_ref())).into_owned()
    }

    #[test]
    fn strategies() {
        assert_eq!(r(Strategy::Tag, "email", "a@b.io"), "[EMAIL]");
        assert_eq!(r(Strategy::Mask, "phone", "+49 30 1234"), "***********");
        assert_eq!(
            r(
                Strategy::Partial(PartialOpts { keep_last: 4 }),
                "payment_card",
                "4111 1111 1111 1111"
            ),
            "**** **** **** 1111"
        );
        assert_eq!(
            r(
                Strategy::Partial(PartialOpts { keep_last: 4 }),
                "email",
                "jane.doe@example.com"
            ),
            "********@example.com"
        );
        assert_eq!(
            r(Strategy::Partial(PartialOpts { keep_last: 4 }), "person_name", "Al"),
            "**"
        );
        assert_eq!(r(Strategy::Remove, "email", "x"), "");
        // an address shows its host name, never a number in it; an e-mail
        // value that is not an address shows nothing
        let p = |cat: &str, v: &str| r(Strategy::Partial(PartialOpts { keep_last: 4 }), cat, v);
        assert_eq!(p("email", "jane@mail.example.com"), "****@mail.example.com");
        assert_eq!(p("email", "x@4111111111111111.com"), "*@****************.com");
        assert_eq!(p("email", "jane@[192.168.10.20]"), "*".repeat(20));
        assert_eq!(p("email", "@ 4111 1111 1111 1111 Σ"), "*".repeat(23));
        assert_eq!(p("email", "Quispe@ home"), "*".repeat(12));
        assert_eq!(p("email", "¹ΣA@ጒ¡.𑣿"), "*".repeat(8));
        assert_eq!(p("phone", "Quispe@ home"), "******@ home");
        let a = r(Strategy::Hash, "payment_card", "4111 1111 1111 1111");
        let b = r(Strategy::Hash, "payment_card", "4111-1111-1111-1111");
        let c = r(Strategy::Hash, "payment_card", "5555555555554444");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.starts_with("h:") && a.len() == 18, "{a}");
        let other_key = Hasher::new(b"k2", None);
        let d = String::from_utf8_lossy(&render(
            &Strategy::Hash,
            "payment_card",
            b"4111111111111111",
            other_key.as_ref(),
        ))
        .into_owned();
        assert_ne!(a, d);
    }
}
