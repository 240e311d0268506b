//! The scanner's regular expressions are lazy DFAs alone (`detect::compile`:
//! regex-automata's `hybrid`, no fallback engine). These tests replay the
//! searches the scanner makes (unanchored from a position, then each later
//! pattern anchored at the match's start) against a second engine, regex-
//! automata's PikeVM (a dev-dependency, never in the module), on the corpora
//! and on generated text, and check that the searches cannot fail.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::corpus;

use piiguard::detect::{compile, Regex};
use regex_automata::meta;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind, PatternID};

fn builtin_patterns() -> Vec<&'static str> {
    piiguard::registry::scanners().iter().map(|s| s.pattern).collect()
}

/// Custom patterns of the kinds a configuration holds.
const CUSTOM: &[&str] = &[
    r"\bEMP-[0-9]{6}\b",
    r"[0-9][0-9 -]{11,22}[0-9]",
    r"(?i)[a-z]{2}[0-9]{2}[a-z0-9 ]{10,30}",
    r"(?i)\b(secret|token)[:=]\s*\S+",
    r"a",
    r"(?m)^x-[a-z]+$",
    r"\B[0-9]{3}\B",
];

/// The reference: the PikeVM only, same syntax and match semantics.
fn pikevm(patterns: &[&str]) -> meta::Regex {
    match meta::Regex::builder()
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .configure(
            meta::Regex::config()
                .match_kind(MatchKind::LeftmostFirst)
                .utf8_empty(false)
                .auto_prefilter(false)
                .hybrid(false)
                .dfa(false)
                .onepass(false)
                .backtrack(false),
        )
        .build_many(patterns)
    {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

fn lazy(patterns: &[&str], per_pattern: bool) -> Regex {
    match compile(patterns, per_pattern) {
        Ok(r) => r,
        Err(e) => panic!("{e:?}"),
    }
}

/// Every search the scanner would make over `hay` with `patterns`: the
/// leftmost-first match from each resume point (the next byte after each
/// match's start, so overlapping candidates are all visited) and, at each
/// match's start, every pattern anchored alone. Returns how many searches
/// were compared.
fn replay(
    patterns: &[&str],
    dfa: &Regex,
    anchored: &Regex,
    refs: &(meta::Regex, Vec<meta::Regex>),
    hay: &[u8],
) -> usize {
    let (all, singles) = refs;
    let mut cache = dfa.create_cache();
    let mut acache = anchored.create_cache();
    let mut pos = 0;
    let mut n = 0;
    while pos <= hay.len() {
        let input = Input::new(hay).range(pos..);
        let got = match dfa.try_search(&mut cache, &input) {
            Ok(m) => m,
            Err(e) => panic!("search failed at {pos}: {e}"),
        };
        let want = all.search(&input);
        assert_eq!(
            got,
            want,
            "unanchored from {pos} in {:?}",
            String::from_utf8_lossy(&hay[pos..hay.len().min(pos + 80)])
        );
        n += 1;
        let Some(m) = got else { break };
        for (q, single) in singles.iter().enumerate().take(patterns.len()) {
            let Ok(pid) = PatternID::new(q) else { break };
            let input = Input::new(hay).range(m.start()..);
            let got = match anchored.try_search(&mut acache, &input.clone().anchored(Anchored::Pattern(pid))) {
                Ok(m) => m.map(|m| (m.start(), m.end())),
                Err(e) => panic!("anchored search failed: {e}"),
            };
            let want = single
                .search(&input.anchored(Anchored::Yes))
                .map(|m| (m.start(), m.end()));
            assert_eq!(got, want, "pattern {q} anchored at {}", m.start());
            n += 1;
        }
        pos = m.start() + 1;
    }
    n
}

fn references(patterns: &[&str]) -> (meta::Regex, Vec<meta::Regex>) {
    (pikevm(patterns), patterns.iter().map(|p| pikevm(&[p])).collect())
}

/// Texts: the benchmark bodies, the prose corpora (whole and line by line),
/// the case-table files and every key and string of them.
fn corpus() -> Vec<Vec<u8>> {
    let mut out = corpus::bench(16 << 10);
    out.extend(corpus::prose(true));
    out.extend(corpus::case_strings(0));
    out.extend(corpus::case_files());
    let out: Vec<Vec<u8>> = corpus::unique(out).into_iter().map(|(_, b)| b).collect();
    assert!(out.len() > 1000, "corpus too small: {}", out.len());
    out
}

#[test]
fn builtin_searches_agree_with_the_pikevm_on_the_corpora() {
    let pats = builtin_patterns();
    let all = lazy(&pats, true);
    let numeric = pats.len() - 1;
    let others = lazy(&pats[..numeric], false);
    let refs = references(&pats);
    let refs_others = references(&pats[..numeric]);
    let mut n = 0;
    for text in corpus() {
        n += replay(&pats, &all, &all, &refs, &text);
        // `others` is searched unanchored only (anchored: `all`)
        n += replay(&pats[..numeric], &others, &all, &refs_others, &text);
    }
    assert!(n > 10_000, "{n} searches");
}

#[test]
fn custom_searches_agree_with_the_pikevm_on_the_corpora() {
    let dfa = lazy(CUSTOM, true);
    let refs = references(CUSTOM);
    let mut n = 0;
    for text in corpus() {
        n += replay(CUSTOM, &dfa, &dfa, &refs, &text);
    }
    assert!(n > 1000, "{n} searches");
}

/// No quit byte and a cache that never gives up: the two ways a lazy DFA
/// search can fail.
#[test]
fn searches_cannot_fail() {
    let pats = builtin_patterns();
    for (re, per_pattern) in [
        (lazy(&pats, true), true),
        (lazy(&pats[..1], false), false),
        (lazy(CUSTOM, false), false),
    ] {
        for dfa in [re.forward(), re.reverse()] {
            let c = dfa.get_config();
            assert_eq!(c.get_minimum_cache_clear_count(), None);
            assert!((0..=255u8).all(|b| !c.get_quit(b)));
            assert!(!c.get_unicode_word_boundary());
        }
        assert_eq!(re.forward().get_config().get_starts_for_each_pattern(), per_pattern);
    }
    // a Unicode word boundary would need quit bytes: refused when compiled
    assert!(compile(&[r"(?u:\b)x"], false).is_err());
    assert!(piiguard::detect::DetectorSet::check_pattern(r"(?u:\b)x").is_err());
}

/// Bytes of every kind, including non-ASCII and invalid UTF-8 around word
/// characters (where a Unicode-aware engine would quit).
#[test]
fn generated_bytes_agree_with_the_pikevm() {
    let pats = builtin_patterns();
    let all = lazy(&pats, true);
    let refs = references(&pats);
    let custom = lazy(CUSTOM, true);
    let crefs = references(CUSTOM);
    let pieces: &[&[u8]] = &[
        b"a",
        b"1",
        b"0",
        b"@",
        b".",
        b"-",
        b" ",
        b"\n",
        b":",
        b"/",
        b"+",
        b"(",
        b")",
        b"_",
        b"=",
        b"\xc3\xa9",
        b"\xff",
        b"\xe2\x80\x8b",
        b"\x00",
        b"x.y@ex.com",
        b"4111 1111 1111 1111",
        b"DE89370400440532013000",
        b"192.168.0.1",
        b"::1",
        b"+49 30 1234567",
        b"EMP-123456",
        b"token=abc",
        b"1985-04-12",
        b"12345678Z",
        b"eyJhbGciOi",
        b"Bearer ",
        b"AKIA",
        b"\xc3\xa9t\xc3\xa9@x.fr",
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..400 {
        let mut hay = Vec::new();
        for _ in 0..(seed % 40) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            hay.extend_from_slice(pieces[(seed % pieces.len() as u64) as usize]);
        }
        replay(&pats, &all, &all, &refs, &hay);
        replay(CUSTOM, &custom, &custom, &crefs, &hay);
    }
}

/// Should a search fail all the same, what was scanned is not clean: the
/// body is uninspectable (the route's `on_uninspectable`, block by default
/// where it redacts) and so are the headers.
#[test]
fn a_failed_search_fails_closed() {
    use piiguard::detect::Scratch;
    use piiguard::engine::{Direction, Engine};
    use piiguard::model::Decision;
    use piiguard::policy::Policy;
    let cfg = br#"{"version":1,"default":{"request":{"actions":{"*":"redact"}}}}"#;
    let e = match Policy::from_json(cfg).map(|p| Engine::new(p, None)) {
        Ok(Ok(e)) => e,
        _ => panic!("policy"),
    };
    let route = &e.policy.default;
    let clean = br#"{"note":"nothing personal here"}"#;
    let mut scratch = Scratch::default();
    let r = e.inspect_body(route, Direction::Request, Some("application/json"), clean, &mut scratch);
    assert_eq!(
        r.inspection.decision(false),
        Decision::Allowed,
        "{:?}",
        r.inspection.findings
    );
    scratch.fail_search();
    let r = e.inspect_body(route, Direction::Request, Some("application/json"), clean, &mut scratch);
    assert_eq!(
        r.inspection.decision(false),
        Decision::Blocked,
        "{:?}",
        r.inspection.findings
    );
    assert!(!scratch.take_failed(), "the flag is consumed");
    let headers = vec![
        (":path".to_string(), "/a".to_string()),
        ("x-note".to_string(), "hello".to_string()),
    ];
    let r = e.inspect_headers(route, Direction::Request, &headers, &mut scratch);
    assert_eq!(r.inspection.decision(false), Decision::Allowed);
    scratch.fail_search();
    let r = e.inspect_headers(route, Direction::Request, &headers, &mut scratch);
    assert_eq!(
        r.inspection.decision(false),
        Decision::Blocked,
        "{:?}",
        r.inspection.findings
    );
}
