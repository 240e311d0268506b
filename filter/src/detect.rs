//! Value detectors: one pass of a multi-pattern automaton over folded text,
//! then structure and check-digit validation of every candidate.

use crate::normalize::normalize;
use crate::validate as v;
use regex_automata::hybrid::dfa;
#[cfg(test)]
use regex_automata::hybrid::regex::Builder;
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, Match, MatchKind, PatternID};
use regex_syntax::hir::Hir;

pub use regex_automata::hybrid::regex::{Cache, Regex};

pub use crate::registry::{field_detector, Builtin, BUILTINS, CATEGORIES};

/// Validates one candidate `hay[s..e]` of a detector's pattern and emits what
/// it finds (detector, start, end); true if anything was found. Each
/// detector's check is named in [`crate::registry`].
pub type Check = fn(&DetectorSet, &[u8], usize, usize, &mut Scratch, &mut dyn FnMut(u16, usize, usize)) -> bool;

/// A custom detector compiled from the configuration.
pub struct CustomDetector {
    pub validator: Validator,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validator {
    None,
    Luhn,
    Mod97,
}

/// A match in the original (unfolded) text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawMatch {
    pub detector: u16,
    pub start: usize,
    pub end: usize,
}

/// Id and category of a detector.
#[derive(Clone, Debug)]
pub struct DetectorInfo {
    pub id: String,
    pub category: String,
}

/// All detectors, compiled once and immutable.
pub struct DetectorSet {
    /// Every built-in pattern; also searched anchored at one pattern
    /// (`Anchored::Pattern`) when a candidate of an earlier one fails.
    all: &'static Regex,
    /// Every pattern but the numeric one (for restarts inside a run of digits).
    others: &'static Regex,
    /// The validator of each pattern (pattern index = automaton pattern id).
    checks: Vec<Check>,
    /// The pattern id of the numeric runs (the last pattern).
    numeric_pid: usize,
    /// The prefilter's byte classes and keyword triggers ([`Gate`]).
    gate: Gate,
    custom: Option<Regex>,
    customs: Vec<CustomDetector>,
    /// Names, addresses and dates of birth written in prose.
    prose: &'static crate::prose::Prose,
    pub info: Vec<DetectorInfo>,
    /// Enabled flag per detector (index as in `info`).
    pub enabled: Vec<bool>,
}

/// Reusable buffers for one scanning thread.
#[derive(Default)]
pub struct Scratch {
    digits: Vec<u8>,
    groups: Vec<Group>,
    alnum: Vec<u8>,
    cache: Option<Cache>,
    others_cache: Option<Cache>,
    /// `all`'s anchored searches (their states kept apart from the
    /// unanchored scan's, so they never crowd it out).
    anchored_cache: Option<Cache>,
    custom_cache: Option<Cache>,
    /// A search reported an error (never expected: see [`find`]).
    failed: bool,
    /// A value inside a body that could not be read (an archive's member):
    /// why, made the body's by `Engine::inspect_body_with`.
    unread: Option<String>,
    validations: u64,
    work: u64,
}

impl Scratch {
    /// Candidates validated so far and bytes the scanner examined (searched
    /// or validated) so far: the scan's cost, for tests that bound it.
    pub fn cost(&self) -> (u64, u64) {
        (self.validations, self.work)
    }

    /// Heap the fuller of the two search caches holds now (each holds a
    /// lazy DFA's states, cleared and rebuilt when they would outgrow
    /// [`DFA_CACHE_CAPACITY`]).
    pub fn dfa_cache_bytes(&self) -> usize {
        [
            &self.cache,
            &self.others_cache,
            &self.anchored_cache,
            &self.custom_cache,
        ]
        .iter()
        .map(|c| c.as_ref().map_or(0, Cache::memory_usage))
        .max()
        .unwrap_or(0)
    }

    /// Whether a search failed since the last call (and clears the flag):
    /// what was scanned meanwhile must not be taken as clean.
    pub fn take_failed(&mut self) -> bool {
        std::mem::take(&mut self.failed)
    }

    /// Records a value that could not be read (the first reason is kept).
    pub fn note_unread(&mut self, why: String) {
        self.unread.get_or_insert(why);
    }

    /// Why a value could not be read since the last call (and clears it).
    pub fn take_unread(&mut self) -> Option<String> {
        self.unread.take()
    }

    /// Whether a search failed since the last [`take_failed`](Self::take_failed).
    pub fn search_failed(&self) -> bool {
        self.failed
    }

    /// Records a failed search (tests of the fail-closed path).
    #[cfg(any(test, feature = "testing"))]
    pub fn fail_search(&mut self) {
        self.failed = true;
    }
}

/// The last search for a non-numeric pattern: `(from, leftmost match at or after from)`.
type Memo = Option<(usize, Option<(usize, usize, usize)>)>;

/// Where scanning resumes after a value found at `s..z`: at its end, unless
/// the value runs into an `@` (a token or number that is also the local part
/// of an e-mail address): then at that local part, so the address is found.
fn resume_after(hay: &[u8], s: usize, z: usize) -> usize {
    // A value that ends inside a word or number (a spaced IBAN whose 1 in
    // 97 checksum holds over the words after it and the first digits of
    // an SSN: `BA2490 iban AB12CD 123-4|5-6789`) would hide the value that
    // runs on past it: read again from inside it
    // (`scanning::a_value_ending_inside_a_number_does_not_hide_it`).
    if z > s && hay.get(z).is_some_and(u8::is_ascii_alphanumeric) && hay[z - 1].is_ascii_alphanumeric() {
        return s + 1;
    }
    if hay.get(z) != Some(&b'@') {
        return z.max(s + 1);
    }
    let mut p = z;
    while p > s + 1 && is_local_part(hay[p - 1]) {
        p -= 1;
    }
    // `user:password@host`: what runs back to the colon is a password
    // inside the value, not an address's local part
    if p > s + 1 && hay[p - 1] == b':' {
        return z;
    }
    p.max(s + 1)
}

fn is_local_part(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-') || c >= 0x80
}

#[derive(Clone, Copy, Debug)]
struct Group {
    start: usize,
    end: usize,
    /// separator bytes before this group (0 if none), e.g. b' ' or b'-'
    sep: u8,
    /// this group was written in parentheses
    paren: bool,
}

#[derive(Clone, Debug)]
pub struct BuildError(pub String);

/// What every detector set holds whatever the configuration: the built-in
/// patterns' two automata and the prose finder. Built once per VM, at the
/// first configuration, and shared by every configuration loaded after it
/// (each Envoy worker's VM loads one at every configuration push): ~200 M
/// instructions natively, most of it the prose automaton's DFA (bench/SIZE.md,
/// session 12). Immutable; the searches' caches are in [`Scratch`].
struct Shared {
    all: Regex,
    others: Regex,
    prose: crate::prose::Prose,
}

static SHARED: std::sync::LazyLock<Result<Shared, BuildError>> = std::sync::LazyLock::new(|| {
    let patterns: Vec<&str> = crate::registry::scanners().iter().map(|s| s.pattern).collect();
    // the numeric runs are scanned last (`others` is every pattern before them)
    let (all, others) = compile_builtins(&patterns)?;
    Ok(Shared {
        all,
        others,
        prose: crate::prose::Prose::new().ok_or_else(|| BuildError("prose cue automaton".into()))?,
    })
});

/// The lazy DFAs' cache capacity per automaton and scanning thread
/// (`tests/dfa_cache.rs` checks ordinary bodies stay well inside it).
pub const DFA_CACHE_CAPACITY: usize = 8 << 20;

/// The regular expressions are lazy DFAs only (regex-automata's `hybrid`:
/// a forward DFA finds where the leftmost-first match ends, a reverse one
/// where it starts), with no fallback engine (the `meta` strategies and the
/// PikeVM were ~200 KB of the module, bench/SIZE.md session 5). Their
/// searches cannot fail ([`find`]): patterns are read byte by byte with
/// Unicode off (so `\b` is ASCII; a Unicode word boundary, the lazy DFA's
/// only reason to quit on a byte, is refused when the pattern is compiled),
/// no quit byte is set, and the cache never gives up (when full it is
/// cleared and rebuilt: slower on a hostile input, never wrong).
///
/// `per_pattern`: start states for each pattern (anchored searches of one
/// pattern, `Anchored::Pattern`). No prefilter: the built-in patterns' only
/// inner literals (`:`, `.`, `@`) are everywhere in JSON and prose, where
/// the plain lazy DFA reads each byte once.
#[cfg(test)]
fn builder(per_pattern: bool) -> Builder {
    let mut b = Regex::builder();
    b.syntax(syntax_config())
        .thompson(nfa_config())
        .dfa(dfa_config(per_pattern));
    b
}

fn syntax_config() -> syntax::Config {
    syntax::Config::new().unicode(false).utf8(false)
}

fn nfa_config() -> thompson::Config {
    thompson::Config::new()
        .utf8(false)
        .which_captures(WhichCaptures::None)
        .nfa_size_limit(Some(NFA_SIZE_LIMIT))
}

fn dfa_config(per_pattern: bool) -> dfa::Config {
    dfa::Config::new()
        .match_kind(MatchKind::LeftmostFirst)
        .starts_for_each_pattern(per_pattern)
        // The built-in patterns' lazy DFA outgrows the default 2 MiB on
        // clean JSON full of hex, UUIDs and SKUs: the cache was cleared
        // and rebuilt on every body (catalog JSON: 1317 instructions per
        // byte instead of 220, callgrind). It grows only as needed.
        .cache_capacity(DFA_CACHE_CAPACITY)
        .minimum_cache_clear_count(None)
}

/// The built-in patterns' two regexes, `all` (`per_pattern` starts) and
/// `others` (every pattern but the last), each pattern parsed once: two
/// [`compile`] calls parse it twice each (forward and reverse), four parses
/// that were 27 M of the 42 M instructions of compiling both at start-up
/// (bench/SIZE.md session 12).
fn compile_builtins(patterns: &[&str]) -> Result<(Regex, Regex), BuildError> {
    let hirs = parse(patterns)?;
    let others = hirs.len().saturating_sub(1);
    Ok((from_hirs(&hirs, true)?, from_hirs(&hirs[..others], false)?))
}

/// Compiles `patterns` into one regular expression the way the scanner does
/// ([`builder`]'s configuration); `per_pattern` adds each pattern's own
/// anchored start states. (Public for the tests that compare it with a
/// second engine.)
pub fn compile(patterns: &[&str], per_pattern: bool) -> Result<Regex, BuildError> {
    from_hirs(&parse(patterns)?, per_pattern)
}

/// What regex-automata's `hybrid::regex::Builder` says of a pattern it
/// cannot parse or an NFA it cannot build ([`compile`]'s errors are its).
const NFA_ERROR: &str = "error building NFA";

fn parse(patterns: &[&str]) -> Result<Vec<Hir>, BuildError> {
    syntax::parse_many_with(patterns, &syntax_config()).map_err(|_| BuildError(NFA_ERROR.into()))
}

/// The forward and reverse lazy DFAs of `hirs` as one regex, by the steps
/// of regex-automata's `hybrid::regex::Builder::build_many` (the reverse
/// automaton: no prefilter, no specialised start states, `MatchKind::All`)
/// from patterns parsed once ([`compile_builtins`] builds two regexes from
/// one parse). `tests::compiled_as_the_builder_does` checks the result is
/// `builder`'s, errors too.
#[inline(never)]
fn from_hirs(hirs: &[Hir], per_pattern: bool) -> Result<Regex, BuildError> {
    let nfa = |reverse: bool| {
        thompson::Compiler::new()
            .configure(nfa_config().reverse(reverse))
            .build_many_from_hir(hirs)
            .map_err(|_| BuildError(NFA_ERROR.into()))
    };
    let dfa = |config: dfa::Config, nfa: thompson::NFA| {
        dfa::Builder::new()
            .configure(config)
            .build_from_nfa(nfa)
            .map_err(|e| BuildError(e.to_string()))
    };
    let forward = dfa(dfa_config(per_pattern), nfa(false)?)?;
    let reverse = dfa(
        dfa_config(per_pattern)
            .prefilter(None)
            .specialize_start_states(false)
            .match_kind(MatchKind::All),
        nfa(true)?,
    )?;
    Ok(Regex::builder().build_from_dfas(forward, reverse))
}

/// The compiled NFA's size limit (regex-automata's `meta` default).
const NFA_SIZE_LIMIT: usize = 10 << 20;

/// One search of `re`. An error (impossible by construction, see
/// [`builder`]; `tests::searches_cannot_fail` checks the configuration) is
/// recorded in `failed` and ends the search as if nothing followed: the
/// engine then treats what it scanned as uninspectable (fail closed).
fn find(re: &Regex, cache: &mut Cache, input: &Input<'_>, failed: &mut bool) -> Option<Match> {
    match re.try_search(cache, input) {
        Ok(m) => m,
        Err(_) => {
            *failed = true;
            None
        }
    }
}

impl DetectorSet {
    /// Compiles the built-in detectors plus `custom` = (id, category, regex, validator).
    pub fn new(custom: &[(String, String, String, Validator)]) -> Result<DetectorSet, BuildError> {
        let shared = SHARED.as_ref().map_err(BuildError::clone)?;
        let scanners = crate::registry::scanners();
        let checks: Vec<Check> = scanners.iter().map(|s| s.check).collect();
        // the numeric runs are scanned last (`others` is every pattern before them)
        let numeric_pid = scanners.len().saturating_sub(1);
        let mut info: Vec<DetectorInfo> = BUILTINS
            .iter()
            .map(|(id, cat)| DetectorInfo {
                id: id.to_string(),
                category: cat.to_string(),
            })
            .collect();
        let mut customs = Vec::new();
        let mut pats = Vec::new();
        for (id, cat, pat, val) in custom {
            info.push(DetectorInfo {
                id: id.clone(),
                category: cat.clone(),
            });
            customs.push(CustomDetector { validator: *val });
            pats.push(pat.as_str());
        }
        let custom = if pats.is_empty() {
            None
        } else {
            Some(compile(&pats, false)?)
        };
        let enabled = vec![true; info.len()];
        Ok(DetectorSet {
            gate: Gate::new(&other_keywords()),
            all: &shared.all,
            others: &shared.others,
            checks,
            numeric_pid,
            custom,
            customs,
            prose: &shared.prose,
            info,
            enabled,
        })
    }

    /// [`scan`](Self::scan) for text-like values (JSON strings, text
    /// bodies): also finds names, addresses and dates of birth written in
    /// prose. Only text gets this pass: numbers and tokens never hold prose.
    pub fn scan_text(&self, text: &[u8], scratch: &mut Scratch, out: &mut Vec<RawMatch>) {
        let first = out.len();
        let facts = self.scan_classes(text, scratch, out, true);
        // (the classes are of the folded text: without folding, of `text`)
        self.push_prose_spans(text, facts & F_UPPER != 0, facts, first, out);
    }

    /// The prose pass of [`scan_text`](Self::scan_text) (and of the
    /// reference, [`scan_unfaceted`](Self::scan_unfaceted)): names,
    /// addresses and dates of birth in `text`, appended to `out` as
    /// findings of the enabled prose detectors, then `out[first..]`
    /// ordered. `upper` and `facts` are what the byte classes know of
    /// `text` ([`crate::prose::Prose::find_in`]; `true, u64::MAX` knows
    /// nothing).
    fn push_prose_spans(&self, text: &[u8], upper: bool, facts: u64, first: usize, out: &mut Vec<RawMatch>) {
        let ids = [Builtin::NameText, Builtin::AddressText, Builtin::BirthDateText];
        if !ids.iter().any(|&b| self.is_enabled(b as u16)) {
            return;
        }
        let mut spans = Vec::new();
        self.prose.find_in(text, upper, facts, &mut spans);
        if spans.is_empty() {
            return;
        }
        for (kind, start, end) in spans {
            let d = match kind {
                crate::prose::Kind::Name => Builtin::NameText,
                crate::prose::Kind::Address => Builtin::AddressText,
                crate::prose::Kind::BirthDate => Builtin::BirthDateText,
            } as u16;
            if self.is_enabled(d) {
                out.push(RawMatch {
                    detector: d,
                    start,
                    end,
                });
            }
        }
        order(out, first);
    }

    /// Checks one custom pattern alone (for precise config errors).
    pub fn check_pattern(pat: &str) -> Result<(), String> {
        compile(&[pat], false).map(|_| ()).map_err(|e| e.0)
    }

    pub fn custom_base(&self) -> usize {
        BUILTINS.len()
    }

    /// Appends every validated match in `text` to `out`, in order.
    pub fn scan(&self, text: &[u8], scratch: &mut Scratch, out: &mut Vec<RawMatch>) {
        self.scan_classes(text, scratch, out, true);
    }

    /// [`scan`](Self::scan) (with `prose`, [`scan_text`](Self::scan_text))
    /// without its gate: the automaton over every value, the join pass's
    /// own gate alone ([`crate::normalize::join_digit_groups`], as it reads
    /// every digit), URL hosts read in every value with a colon, given names
    /// looked for in every value. The reference the gate is compared with
    /// (`tests/gate_equivalence.rs`).
    #[cfg(any(test, feature = "testing"))]
    pub fn scan_unfaceted(&self, text: &[u8], scratch: &mut Scratch, out: &mut Vec<RawMatch>, prose: bool) {
        let first = out.len();
        self.scan_classes(text, scratch, out, false);
        if prose {
            self.push_prose_spans(text, true, u64::MAX, first, out);
        }
    }

    /// [`scan`](Self::scan); returns the facts of the byte classes
    /// ([`F_UPPER`]...) as they hold for `text` (all of them when the
    /// scanned text was folded). `gated`: whether the passes that the
    /// classes rule out are skipped (false only for the reference).
    fn scan_classes(&self, text: &[u8], scratch: &mut Scratch, out: &mut Vec<RawMatch>, gated: bool) -> u64 {
        if text.is_empty() {
            return 0;
        }
        let first = out.len();
        let norm = normalize(text);
        let hay: &[u8] = &norm.text;
        let classes = self.gate.classes(hay);
        let facts = if norm.is_folded() { u64::MAX } else { classes.mask };
        if !gated || self.might_match(hay, &classes) {
            self.scan_builtin(hay, scratch, &mut |d, s, e| {
                let (a, b) = norm.original_span(s, e);
                out.push(RawMatch {
                    detector: d,
                    start: a,
                    end: b,
                });
            });
        }
        // Digit groups split by separators no pattern reads (`:`, `|`, `•`,
        // one per line, a space after every digit): scanned again joined,
        // keeping only detectors with check digits (`normalize::join_digit_groups`).
        // (a joined run has 10 digits: most values stop at the count)
        let joined = if !gated {
            crate::normalize::join_digit_groups(hay)
        } else if classes.digits >= crate::normalize::JOIN_MIN_DIGITS && may_join(hay, &classes) {
            crate::normalize::join_digit_groups_in(hay, classes.mask & C_LINE != 0)
        } else {
            None
        };
        if let Some(j) = joined {
            self.scan_builtin(&j.text, scratch, &mut |d, s, e| {
                if JOINED_DETECTORS.iter().any(|&b| b as u16 == d) {
                    let (s, e) = j.original_span(s, e);
                    let (a, b) = norm.original_span(s, e);
                    out.push(RawMatch {
                        detector: d,
                        start: a,
                        end: b,
                    });
                }
            });
        }
        // E-mail addresses with the `@` or dots spelled out or bracketed
        // (`jane.doe [at] example [dot] com`): read again rewritten
        // (`spelled::emails`), keeping only the e-mail detector.
        if classes.mask & (C_OPEN | T_AUTH | C_LINE) != 0
            && hay.len() >= crate::spelled::MIN_LEN
            && self.is_enabled(Builtin::Email as u16)
            && crate::spelled::may_have(
                hay,
                classes.mask & C_OPEN != 0,
                classes.mask & C_AT != 0,
                classes.mask & (T_AUTH | C_LINE) != 0,
            )
        {
            if let Some(sp) = crate::spelled::emails(hay) {
                self.scan_builtin(&sp.text, scratch, &mut |d, s, e| {
                    if d == Builtin::Email as u16 {
                        let (s, e) = sp.original_span(s, e);
                        let (a, b) = norm.original_span(s, e);
                        out.push(RawMatch {
                            detector: d,
                            start: a,
                            end: b,
                        });
                    }
                });
            }
        }
        // Digits spelled as words (`four one one one …`): read as the number
        // they spell (`spelled::digit_words`), keeping the detectors of
        // numbers that a run of nine digits or more makes.
        if hay.len() >= crate::spelled::DIGIT_WORDS_MIN_LEN
            && classes.letters >= 2 * crate::spelled::DIGIT_WORDS_MIN
            && crate::spelled::may_have_digit_words(hay)
        {
            if let Some((j, lines)) = crate::spelled::digit_words(hay) {
                self.scan_builtin(&j.text, scratch, &mut |d, s, e| {
                    let line = lines.iter().rev().find(|&&(l, _)| l <= s);
                    if SPELLED_DIGIT_DETECTORS.iter().any(|&b| b as u16 == d) && line.is_some_and(|&(_, at)| e > at) {
                        let (s, e) = j.original_span(s, e);
                        // the span ends inside the last word: to its end
                        let e = e + hay[e..].iter().take_while(|c| c.is_ascii_alphabetic()).count();
                        let (a, b) = norm.original_span(s, e);
                        out.push(RawMatch {
                            detector: d,
                            start: a,
                            end: b,
                        });
                    }
                });
            }
        }
        // The host of a URL written as an IPv4 address in another form
        // (`http://3232235786/`, `http://0xC0A8010A/`): read as its dotted quad
        // (`normalize::numeric_hosts`), keeping only the IPv4 detector.
        if classes.mask & C_COLON != 0
            && (classes.mask & F_SLASH != 0 || !gated)
            && hay.len() >= 8
            && self.is_enabled(Builtin::Ipv4 as u16)
        {
            if let Some(j) = crate::normalize::numeric_hosts(hay) {
                self.scan_builtin(&j.text, scratch, &mut |d, s, e| {
                    if d == Builtin::Ipv4 as u16 {
                        let (s, e) = j.original_span(s, e);
                        let (a, b) = norm.original_span(s, e);
                        out.push(RawMatch {
                            detector: d,
                            start: a,
                            end: b,
                        });
                    }
                });
            }
        }
        if let Some(re) = &self.custom {
            let mut pos = 0;
            let cache = scratch.custom_cache.get_or_insert_with(|| re.create_cache());
            while pos <= hay.len() {
                let Some(m) = find(re, cache, &Input::new(hay).range(pos..), &mut scratch.failed) else {
                    break;
                };
                let (s, e) = (m.start(), m.end());
                let idx = m.pattern().as_usize();
                let ok = s < e
                    && match self.customs.get(idx).map(|c| c.validator) {
                        Some(Validator::Luhn) => {
                            let d: Vec<u8> = hay[s..e].iter().copied().filter(u8::is_ascii_digit).collect();
                            v::luhn(&d)
                        }
                        Some(Validator::Mod97) => {
                            let d: Vec<u8> = hay[s..e]
                                .iter()
                                .filter(|c| c.is_ascii_alphanumeric())
                                .map(u8::to_ascii_uppercase)
                                .collect();
                            v::iban_mod97(&d)
                        }
                        _ => true,
                    };
                let det = (self.custom_base() + idx) as u16;
                if ok && self.is_enabled(det) {
                    let (a, b) = norm.original_span(s, e);
                    out.push(RawMatch {
                        detector: det,
                        start: a,
                        end: b,
                    });
                }
                // After a value, go on at its end; after a rejected candidate, go on
                // inside it (a short one from the next byte, a long one from its next
                // word, so a long run of digits is not searched again and again).
                pos = if ok {
                    e.max(s + 1)
                } else if e - s <= 64 {
                    s + 1
                } else {
                    next_word(hay, s)
                };
            }
        }
        order(out, first);
        facts
    }

    /// [`might_match`](Self::might_match), classes included (for tests).
    #[cfg(test)]
    fn might_match_builtin(&self, hay: &[u8]) -> bool {
        self.might_match(hay, &self.gate.classes(hay))
    }

    /// Cheap check before the automaton: false only when no built-in
    /// detector can match anywhere in `hay`. Every condition is necessary
    /// for one family of patterns (see [`shapes`], [`Gate::keywords`]);
    /// `tests::prefilter_is_sound` checks that whatever the automaton finds
    /// passes it. `c` is `hay`'s byte classes ([`Gate::classes`]); each
    /// shape is looked for only when the classes it needs are there.
    fn might_match(&self, hay: &[u8], c: &Classes) -> bool {
        // the shortest value a built-in detector takes is a compressed IPv6
        // address such as `a::` (found by `prefilter_is_sound`)
        if hay.len() < 3 {
            return false;
        }
        // (the keywords are looked for in values of every length: the
        // shortest value a keyword detector takes, `-u a:b`, has 6 bytes, and
        // an identity document after its keyword 12; a floor of 15 bytes
        // here dropped `passport X1234` written alone)
        shapes(hay, c) || self.gate.keywords(hay, c.mask)
    }

    /// Whether the built-in or custom detector `d` is on in this policy.
    pub fn enabled(&self, d: u16) -> bool {
        self.is_enabled(d)
    }

    fn is_enabled(&self, d: u16) -> bool {
        self.enabled.get(d as usize).copied().unwrap_or(false)
    }

    fn scan_builtin(&self, hay: &[u8], scratch: &mut Scratch, emit: &mut dyn FnMut(u16, usize, usize)) {
        let mut pos = 0;
        let mut memo = None;
        while pos < hay.len() {
            let cache = scratch.cache.get_or_insert_with(|| self.all.create_cache());
            let Some(m) = find(self.all, cache, &Input::new(hay).range(pos..), &mut scratch.failed) else {
                scratch.work += (hay.len() - pos) as u64;
                break;
            };
            let (s, e) = (m.start(), m.end());
            scratch.work += (e - pos) as u64;
            if e == s {
                pos = s + 1;
                continue;
            }
            pos = self.process(m.pattern().as_usize(), hay, s, e, scratch, &mut memo, emit);
        }
    }

    /// Validates the candidate of pattern `pid` at `s..e` and, if it fails, the
    /// later patterns anchored at `s`. Returns where scanning resumes: never
    /// past text that was not examined (class "a failed candidate hides what
    /// follows it"), always after `s`.
    #[allow(clippy::too_many_arguments)]
    fn process(
        &self,
        pid: usize,
        hay: &[u8],
        s: usize,
        e: usize,
        scratch: &mut Scratch,
        memo: &mut Memo,
        emit: &mut dyn FnMut(u16, usize, usize),
    ) -> usize {
        let mut last: Option<usize> = None;
        let mut rec = |d: u16, a: usize, z: usize| {
            last = Some(last.map_or(z, |l| l.max(z)));
            emit(d, a, z);
        };
        let mut run_end = (pid == self.numeric_pid).then_some(e);
        if !self.candidate(pid, hay, s, e, scratch, &mut rec) {
            for q in pid + 1..self.checks.len() {
                if let Some(m2) = self.anchored(q, hay, s, scratch) {
                    if m2.end() > m2.start() {
                        if q == self.numeric_pid {
                            run_end = Some(m2.end());
                        }
                        if self.candidate(q, hay, m2.start(), m2.end(), scratch, &mut rec) {
                            break;
                        }
                    }
                }
            }
        }
        let Some(run_end) = run_end else {
            return match last {
                Some(z) => resume_after(hay, s, z),
                None => s + 1,
            };
        };
        // `numeric` examined every window of this run of digit groups; inside
        // it only the other detectors remain (an e-mail whose local part is
        // digits, a DNI, an IPv6 address starting at a later group...).
        let mut q = s + 1;
        while q < run_end {
            let Some((ms, me, mpid)) = self.next_other(hay, q, scratch, memo) else {
                break;
            };
            if ms >= run_end {
                break;
            }
            let mut found_end: Option<usize> = None;
            let mut rec2 = |d: u16, a: usize, z: usize| {
                found_end = Some(found_end.map_or(z, |l| l.max(z)));
                rec(d, a, z);
            };
            if !self.candidate(mpid, hay, ms, me, scratch, &mut rec2) {
                for k in mpid + 1..self.numeric_pid {
                    if let Some(m2) = self.anchored(k, hay, ms, scratch) {
                        if m2.end() > m2.start() && self.candidate(k, hay, m2.start(), m2.end(), scratch, &mut rec2) {
                            break;
                        }
                    }
                }
            }
            q = match found_end {
                Some(z) => resume_after(hay, ms, z),
                None => ms + 1,
            };
        }
        let mut resume = run_end.max(q);
        if let Some(z) = last {
            resume = resume.max(resume_after(hay, s, z));
        }
        resume
    }

    /// The match of pattern `pid` alone starting at `s`, if any.
    fn anchored(&self, pid: usize, hay: &[u8], s: usize, scratch: &mut Scratch) -> Option<Match> {
        let pid = PatternID::new(pid).ok()?;
        let input = Input::new(hay).range(s..).anchored(Anchored::Pattern(pid));
        let cache = scratch.anchored_cache.get_or_insert_with(|| self.all.create_cache());
        find(self.all, cache, &input, &mut scratch.failed)
    }

    /// The leftmost match of a non-numeric pattern at or after `q`, remembered
    /// so that many restarts inside one long run of digits cost one search.
    fn next_other(
        &self,
        hay: &[u8],
        q: usize,
        scratch: &mut Scratch,
        memo: &mut Memo,
    ) -> Option<(usize, usize, usize)> {
        if let Some((from, hit)) = *memo {
            if from <= q && hit.is_none_or(|h| q <= h.0) {
                return hit;
            }
        }
        let cache = scratch.others_cache.get_or_insert_with(|| self.others.create_cache());
        let hit = find(self.others, cache, &Input::new(hay).range(q..), &mut scratch.failed)
            .filter(|m| m.end() > m.start())
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()));
        scratch.work += (hit.map_or(hay.len(), |h| h.1) - q) as u64;
        *memo = Some((q, hit));
        hit
    }

    /// Validates one candidate; emits what it finds. True if anything was found.
    fn candidate(
        &self,
        pid: usize,
        hay: &[u8],
        s: usize,
        e: usize,
        scratch: &mut Scratch,
        emit: &mut dyn FnMut(u16, usize, usize),
    ) -> bool {
        let text = &hay[s..e];
        scratch.validations += 1;
        scratch.work += text.len() as u64;
        match self.checks.get(pid) {
            Some(check) => check(self, hay, s, e, scratch, emit),
            None => false,
        }
    }

    /// Emits `b` at `a..z` if it is enabled.
    fn found(&self, b: Builtin, a: usize, z: usize, emit: &mut dyn FnMut(u16, usize, usize)) -> bool {
        if self.is_enabled(b as u16) {
            emit(b as u16, a, z);
            true
        } else {
            false
        }
    }

    /// Splits a run of digit groups and classifies the longest valid windows.
    pub(crate) fn numeric(
        &self,
        hay: &[u8],
        s: usize,
        e: usize,
        scratch: &mut Scratch,
        emit: &mut dyn FnMut(u16, usize, usize),
    ) -> bool {
        // A run read with a country code that gives nothing is read again
        // without its `+`: a failed phone must not hide what follows it
        // (`+ 123-45-6789` is an SSN after a plus sign).
        // (only a run that starts with a `+` can be read with one: the rest
        // are split into groups once)
        self.numeric_read(hay, s, e, scratch, emit, true)
            || (matches!(&hay[s..e], [b'+', ..] | [b'(' | b'[', b'+', ..])
                && self.numeric_read(hay, s, e, scratch, emit, false))
    }

    /// [`Self::numeric`] once: `with_plus` reads a leading `+` (glued, set
    /// apart or in brackets before a country code) as the number's; without
    /// it, a leading `+` is none of the number's. Without it, a run with no
    /// `+` to read is not read again (returns false at once).
    fn numeric_read(
        &self,
        hay: &[u8],
        s: usize,
        e: usize,
        scratch: &mut Scratch,
        emit: &mut dyn FnMut(u16, usize, usize),
        with_plus: bool,
    ) -> bool {
        let text = &hay[s..e];
        let ndigits = text.iter().filter(|c| c.is_ascii_digit()).count();
        if ndigits < 7 {
            return false;
        }
        // Split into groups.
        let groups = &mut scratch.groups;
        groups.clear();
        let mut i = 0;
        let mut sep = 0u8;
        let mut paren = false;
        while i < text.len() {
            let c = text[i];
            if c.is_ascii_digit() {
                let st = i;
                while i < text.len() && text[i].is_ascii_digit() {
                    i += 1;
                }
                groups.push(Group {
                    start: s + st,
                    end: s + i,
                    sep,
                    paren,
                });
                sep = 0;
                paren = false;
                continue;
            }
            match c {
                b'(' | b'[' => paren = true,
                b')' | b']' => sep = if sep == 0 { b')' } else { sep },
                b'+' => {}
                _ => {
                    // a tab is a space, an underscore a dash
                    let c = match c {
                        b'\t' => b' ',
                        c if crate::normalize::space_control(c) => b' ',
                        b'_' => b'-',
                        c => c,
                    };
                    if sep == 0 || sep == b' ' {
                        sep = c;
                    }
                }
            }
            i += 1;
        }
        // `+44 …`, or a country code after a `+` set apart or inside
        // brackets (`+ 44 20 …`, `(+44) 20 7946 0958`, `[+ 44] …`) when it
        // is one: `1`, `7` or two or three digits not from 0 (not a count,
        // `(+5) 2024 06 20`, nor a sum, `x + 12345678`), the number going on
        // after it
        let cc_at = |at: usize| {
            groups.first().is_some_and(|g| {
                g.start == s + at
                    && matches!(
                        &hay[g.start..g.end],
                        [b'1' | b'7'] | [b'1'..=b'9', _] | [b'1'..=b'9', _, _]
                    )
            }) && groups.len() > 1
        };
        let plus = match text {
            [b'+', b' ', ..] => cc_at(2),
            [b'+', ..] => true,
            [b'(' | b'[', b'+', b' ', ..] => cc_at(3),
            [b'(' | b'[', b'+', ..] => cc_at(2),
            _ => false,
        };
        if !with_plus && !plus {
            // read once already, as it is read now
            return false;
        }
        let plus = plus && with_plus;
        // (a `+` set apart that is no country code's is not the number's)
        let s = if !plus && text.starts_with(b"+ ") {
            s + 2
        } else if !plus && text.first() == Some(&b'+') {
            s + 1
        } else {
            s
        };
        let before_ok = s == 0 || !hay[s - 1].is_ascii_alphanumeric() || plus;
        let mut any_found = false;
        let n = groups.len();
        let mut gi = 0;
        // Group index up to which a value was found: a later window must run
        // past it (so "4- 5555-5555-5555-4444" finds the card after the 13-digit
        // look-alike that took its first groups).
        let mut upto: Option<usize> = None;
        while gi < n {
            let mut matched = None;
            let min_end = upto.map_or(gi, |u| (u + 1).max(gi));
            let max_end = (gi + MAX_WINDOW).min(n);
            for gj in (min_end..max_end).rev() {
                let win = &scratch.groups[gi..=gj];
                let win_plus = plus && gi == 0;
                let a = if gi == 0 {
                    s
                } else if win[0].paren {
                    win[0].start - 1
                } else {
                    win[0].start
                };
                let z = win[win.len() - 1].end;
                let left_ok = if gi == 0 { before_ok } else { true };
                let right_ok = !hay.get(z).is_some_and(|c| c.is_ascii_alphanumeric());
                // `212-555-0123x45`: an extension glued on with `x` ends a
                // phone as a space would (and only a phone)
                let ext = !right_ok && matches!(hay.get(z), Some(b'x' | b'X')) && phone_extension(hay, z) > z;
                if let Some(b) = classify_numeric(win, hay, win_plus, &mut scratch.digits, left_ok && (right_ok || ext))
                {
                    if self.is_enabled(b as u16) && (!ext || matches!(b, Builtin::Phone | Builtin::PaymentCard)) {
                        matched = Some((b, a, z, gj));
                        break;
                    }
                }
            }
            if let Some((b, a, z, gj)) = matched {
                let z = if b == Builtin::Phone {
                    phone_extension(hay, z)
                } else {
                    z
                };
                emit(b as u16, a, z);
                any_found = true;
                upto = Some(gj);
            }
            gi += 1;
        }
        any_found
    }
}

// ----- candidate validators, one per scanner (named in `registry`) -----

type Emit<'a> = &'a mut dyn FnMut(u16, usize, usize);

pub(crate) fn check_private_key(d: &DetectorSet, hay: &[u8], s: usize, e: usize, _: &mut Scratch, emit: Emit) -> bool {
    // armour lines alone (documentation, a template) are not a key: the body
    // must carry key material
    let body = hay[s..e]
        .split(|&c| c == b'\n')
        .skip(1)
        .filter(|l| !l.contains(&b':') && !l.starts_with(b"-----"));
    let material: usize = body
        .map(|l| {
            l.iter()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/'))
                .count()
        })
        .sum();
    material >= 16 && d.found(Builtin::PrivateKey, s, e, emit)
}

pub(crate) fn check_jwt(d: &DetectorSet, hay: &[u8], s: usize, e: usize, _: &mut Scratch, emit: Emit) -> bool {
    jwt_header_ok(&hay[s..e]) && d.found(Builtin::Jwt, s, e, emit)
}

pub(crate) fn check_auth(d: &DetectorSet, hay: &[u8], s: usize, e: usize, _: &mut Scratch, emit: Emit) -> bool {
    let t = &hay[s..e];
    let lead = t.iter().take_while(|c| matches!(c, b' ' | b'\t')).count();
    if t[lead..].starts_with(b"-u") || t[lead..].starts_with(b"--user") {
        // `curl -u user:password`: the password must not be empty or a placeholder
        let Some(colon) = t.iter().position(|&c| c == b':') else {
            return false;
        };
        let pass = &t[colon + 1..];
        return !pass.is_empty()
            && pass[0] != b'$'
            && pass[0] != b'<'
            && d.found(Builtin::AuthCredential, s + lead, e, emit);
    }
    auth_ok(t) && d.found(Builtin::AuthCredential, s, e, emit)
}

pub(crate) fn check_aws(d: &DetectorSet, hay: &[u8], s: usize, e: usize, _: &mut Scratch, emit: Emit) -> bool {
    // AWS documentation placeholders (AKIAIOSFODNN7EXAMPLE) are not keys
    !hay[s..e].ends_with(b"EXAMPLE") && d.found(Builtin::AwsAccessKey, s, e, emit)
}

pub(crate) fn check_email(d: &DetectorSet, hay: &[u8], s: usize, e: usize, _: &mut Scratch, emit: Emit) -> bool {
    // an address literal must be an address (`jane@[192.0.2.1]`,
    // `jane@[IPv6:2001:db8::1]`; not `x@[999.1.2.3]`)
    if hay[e - 1] == b']' {
        let Some(open) = hay[s..e].iter().rposition(|&c| c == b'[') else {
            return false;
        };
        let lit = &hay[s + open + 1..e - 1];
        let ok = match lit.get(..5) {
            Some(p) if p.eq_ignore_ascii_case(b"ipv6:") => {
                std::str::from_utf8(&lit[5..]).is_ok_and(|t| t.parse::<std::net::Ipv6Addr>().is_ok())
            }
            _ => std::str::from_utf8(lit).is_ok_and(|t| t.parse::<std::net::Ipv4Addr>().is_ok()),
        };
        if !ok {
            return false;
        }
    }
    d.found(Builtin::Email, s, e, emit)
}

pub(crate) fn check_iban(d: &DetectorSet, hay: &[u8], s: usize, e: usize, scratch: &mut Scratch, emit: Emit) -> bool {
    let text = &hay[s..e];
    let alnum = &mut scratch.alnum;
    alnum.clear();
    let cc = [text[0].to_ascii_uppercase(), text[1].to_ascii_uppercase()];
    let Some(len) = v::iban_length(&cc) else { return false };
    let mut end = s;
    for (i, &c) in text.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            alnum.push(c.to_ascii_uppercase());
            if alnum.len() == len {
                end = s + i + 1;
                break;
            }
        }
    }
    if alnum.len() != len || hay.get(end).is_some_and(|c| c.is_ascii_alphanumeric()) && is_compact(&hay[s..end]) {
        return false;
    }
    // a UUID (8-4-4-4-12 hex) is not an IBAN whatever its first letters
    let uuid_like = hay.get(s + 8) == Some(&b'-') && hay[s..end].iter().all(|c| c.is_ascii_hexdigit() || *c == b'-');
    !uuid_like && v::iban_mod97(alnum) && v::iban_bban(alnum) && d.found(Builtin::Iban, s, end, emit)
}

pub(crate) fn check_nino(d: &DetectorSet, hay: &[u8], s: usize, e: usize, scratch: &mut Scratch, emit: Emit) -> bool {
    v::uk_nino(upper_alnum(&hay[s..e], &mut scratch.alnum)) && d.found(Builtin::UkNino, s, e, emit)
}

pub(crate) fn check_codice_fiscale(
    d: &DetectorSet,
    hay: &[u8],
    s: usize,
    e: usize,
    scratch: &mut Scratch,
    emit: Emit,
) -> bool {
    let t = &hay[s..e];
    // the pattern's other shape: a UK driving licence (a digit sixth)
    if t.get(5).is_some_and(u8::is_ascii_digit) {
        return v::uk_driving_licence(t) && d.found(Builtin::IdDocument, s, e, emit);
    }
    v::it_codice_fiscale(upper_alnum(t, &mut scratch.alnum)) && d.found(Builtin::ItCodiceFiscale, s, e, emit)
}

pub(crate) fn check_dni(d: &DetectorSet, hay: &[u8], s: usize, e: usize, scratch: &mut Scratch, emit: Emit) -> bool {
    v::es_dni_nie(upper_alnum(&hay[s..e], &mut scratch.alnum)) && d.found(Builtin::EsDni, s, e, emit)
}

pub(crate) fn check_nir_corsica(
    d: &DetectorSet,
    hay: &[u8],
    s: usize,
    e: usize,
    scratch: &mut Scratch,
    emit: Emit,
) -> bool {
    v::fr_nir_corsica(upper_alnum(&hay[s..e], &mut scratch.alnum)) && d.found(Builtin::FrNir, s, e, emit)
}

pub(crate) fn check_ipv6(d: &DetectorSet, hay: &[u8], s: usize, e: usize, scratch: &mut Scratch, emit: Emit) -> bool {
    // six colon-separated hex pairs are a MAC address (the IPv6 pattern
    // finds them, so a chain of pairs costs one candidate per start)
    if e - s == 17 && (0..6).all(|k| hay[s + 3 * k].is_ascii_hexdigit() && hay[s + 3 * k + 1].is_ascii_hexdigit()) {
        return check_mac(d, hay, s, e, scratch, emit);
    }
    // a colon that ends the address's sentence ("... 7334: down")
    let e = if hay[s..e].ends_with(b":") && !hay[s..e].ends_with(b"::") {
        e - 1
    } else {
        e
    };
    let text = &hay[s..e];
    let before = if s > 0 { hay[s - 1] } else { b' ' };
    let after = hay.get(e).copied().unwrap_or(b' ');
    if before.is_ascii_alphanumeric() || before == b':' || after.is_ascii_alphanumeric() {
        return false;
    }
    // more hex groups follow: a longer chain (a fingerprint), not an address
    if after == b':' && hay.get(e + 1).is_some_and(u8::is_ascii_hexdigit) {
        return false;
    }
    let valid = |t: &[u8]| {
        let t = match t.iter().position(|&c| c == b'%') {
            Some(p) => &t[..p],
            None => t,
        };
        std::str::from_utf8(t)
            .ok()
            .and_then(|t| t.parse::<std::net::Ipv6Addr>().ok())
            .is_some_and(|ip| !ip.is_unspecified() && !ip.is_loopback())
    };
    // an embedded IPv4 tail (`::ffff:192.0.2.1`) the automaton stopped short of
    let mut z = e;
    while z < hay.len() && (hay[z].is_ascii_digit() || hay[z] == b'.') {
        z += 1;
    }
    if z > e && !hay.get(z).is_some_and(|c| c.is_ascii_alphanumeric()) && valid(&hay[s..z]) {
        return d.found(Builtin::Ipv6, s, z, emit);
    }
    // a dotted tail that is no IPv4 address (`::ffff:256.0.0.1`,
    // `::ffff:192.168.1`): the whole is no address, not its head
    if after == b'.' && hay.get(e + 1).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    valid(text) && d.found(Builtin::Ipv6, s, e, emit)
}

pub(crate) fn check_ipv4(d: &DetectorSet, hay: &[u8], s: usize, e: usize, _: &mut Scratch, emit: Emit) -> bool {
    let groups: Vec<&[u8]> = hay[s..e].split(|&c| c == b'.').collect();
    v::ipv4(&groups) && d.found(Builtin::Ipv4, s, e, emit)
}

pub(crate) fn check_fi_hetu(
    d: &DetectorSet,
    hay: &[u8],
    s: usize,
    e: usize,
    scratch: &mut Scratch,
    emit: Emit,
) -> bool {
    v::fi_hetu(upper_alnum_keep(&hay[s..e], &mut scratch.alnum)) && d.found(Builtin::FiHetu, s, e, emit)
}

pub(crate) fn check_ie_pps(d: &DetectorSet, hay: &[u8], s: usize, e: usize, _: &mut Scratch, emit: Emit) -> bool {
    v::ie_pps(&hay[s..e]) && d.found(Builtin::IePps, s, e, emit)
}

/// MAC-48 in its three notations (`00:1a:..`, `00-1A-..`, `001a.2b3c.4d5e`):
/// one separator throughout, not part of a longer chain of hex groups (an
/// IPv6 address, a fingerprint), not all-zero or broadcast. Digits-only
/// dash and dot forms are numbers or dates far more often: not taken.
pub(crate) fn check_mac(d: &DetectorSet, hay: &[u8], s: usize, e: usize, scratch: &mut Scratch, emit: Emit) -> bool {
    let t = &hay[s..e];
    let sep = if t.len() == 14 { b'.' } else { t[2] };
    if t.iter().any(|&c| !c.is_ascii_hexdigit() && c != sep) {
        return false;
    }
    let hexn = |a: usize, n: usize| hay.get(a..a + n).is_some_and(|x| x.iter().all(u8::is_ascii_hexdigit));
    let n = if sep == b'.' { 4 } else { 2 };
    // another group before or after: a longer chain
    let before = s > n && hay[s - 1] == sep && hexn(s - 1 - n, n) && (s - 1 - n == 0 || !is_word(hay[s - 2 - n]));
    let after = hay.get(e) == Some(&sep) && hexn(e + 1, n) && !hay.get(e + 1 + n).is_some_and(|&c| is_word(c));
    if before || after {
        return false;
    }
    if sep != b':' && !t.iter().any(u8::is_ascii_alphabetic) {
        return false;
    }
    v::mac_address(upper_alnum(t, &mut scratch.alnum)) && d.found(Builtin::MacAddress, s, e, emit)
}

/// Bitcoin (base58check, bech32/bech32m) and Ethereum addresses. An
/// Ethereum address in one case has no checksum: it needs a wallet word
/// before it.
pub(crate) fn check_crypto(d: &DetectorSet, hay: &[u8], s: usize, e: usize, _: &mut Scratch, emit: Emit) -> bool {
    let t = &hay[s..e];
    match t.get(1) {
        Some(b'x' | b'X') => match v::eth_address(t) {
            Some(true) => d.found(Builtin::EthAddress, s, e, emit),
            Some(false) => wallet_word_before(hay, s) && d.found(Builtin::EthAddress, s, e, emit),
            None => false,
        },
        _ if t[0] == b'1' || t[0] == b'3' => v::btc_base58(t) && d.found(Builtin::BtcAddress, s, e, emit),
        _ => v::btc_bech32(t) && d.found(Builtin::BtcAddress, s, e, emit),
    }
}

fn wallet_word_before(hay: &[u8], at: usize) -> bool {
    let w: Vec<u8> = hay[at.saturating_sub(40)..at]
        .iter()
        .map(u8::to_ascii_lowercase)
        .collect();
    w.split(|c| !c.is_ascii_alphanumeric()).any(|t| {
        matches!(
            t,
            b"eth" | b"ether" | b"ethereum" | b"wallet" | b"metamask" | b"erc20" | b"crypto" | b"usdt" | b"usdc"
        )
    })
}

/// `scheme://user:password@host`: the user information (user and
/// password) is the credential; the scheme and host stay. Templates
/// (`user:password@`, `${PASS}`, `***`) are not credentials.
pub(crate) fn check_url_credentials(
    d: &DetectorSet,
    hay: &[u8],
    s: usize,
    e: usize,
    _: &mut Scratch,
    emit: Emit,
) -> bool {
    let t = &hay[s..e];
    let Some(at) = memchr::memmem::find(t, b"://").map(|p| s + p + 3) else {
        return false;
    };
    let z = e - 1; // the `@`
    let Some(colon) = hay[at..z].iter().position(|&c| c == b':').map(|p| at + p) else {
        return false;
    };
    let pass = &hay[colon + 1..z];
    let placeholder = pass.is_empty()
        || matches!(pass[0], b'$' | b'<' | b'{' | b'*' | b'[')
        || pass.iter().all(|&c| c == pass[0])
        || [
            &b"password"[..],
            b"pass",
            b"passwd",
            b"pwd",
            b"secret",
            b"xxx",
            b"changeme",
        ]
        .iter()
        .any(|p| pass.eq_ignore_ascii_case(p));
    !placeholder && d.found(Builtin::UrlCredentials, at, z, emit)
}

/// EU VAT number with its country prefix: the country's structure and check
/// digits (`validate::eu_vat`).
pub(crate) fn check_vat(d: &DetectorSet, hay: &[u8], s: usize, e: usize, scratch: &mut Scratch, emit: Emit) -> bool {
    // the pattern may run on into a following number: cut at the
    // country's length, at a group boundary
    let len = match &hay[s..s + 2] {
        b"DK" | b"FI" => 10,
        b"AT" | b"DE" | b"PT" | b"ES" => 11,
        b"BE" | b"PL" => 12,
        b"IT" | b"FR" => 13,
        _ => 14,
    };
    let alnum = &mut scratch.alnum;
    alnum.clear();
    let mut end = e;
    for (i, &c) in hay[s..e].iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            alnum.push(c.to_ascii_uppercase());
            if alnum.len() == len {
                end = s + i + 1;
                break;
            }
        }
    }
    if hay.get(end).is_some_and(|&c| is_word(c)) {
        return false;
    }
    v::eu_vat(alnum) && d.found(Builtin::EuVat, s, end, emit)
}

/// A passport, driving licence or identity card number after the word
/// that names the document (the pattern): the number alone is reported. It
/// must have two digits or more and not be a date or a word. The `(?i)`
/// applies to the document words only: the number is upper case.
pub(crate) fn check_id_document(d: &DetectorSet, hay: &[u8], s: usize, e: usize, _: &mut Scratch, emit: Emit) -> bool {
    let t = &hay[s..e];
    let start = e - t
        .iter()
        .rev()
        .take_while(|&&c| c.is_ascii_alphanumeric() || c == b'-')
        .count();
    let num = &hay[start..e];
    let digits = num.iter().filter(|c| c.is_ascii_digit()).count();
    num.len() >= 5
        && digits >= 2
        && num[0].is_ascii_alphanumeric()
        && !num.iter().all(|&c| c == num[0])
        && if num.iter().any(u8::is_ascii_alphabetic) {
            // written in lower case (`pasaporte es aaa123456`), a number
            // still, not a size or a time (`35x45mm`, `9am`)
            !num.iter().any(u8::is_ascii_lowercase) || digits >= 5
        } else {
            // digits only: not a date or a phone written with dashes
            digits >= 6 && !num.contains(&b'-')
        }
        && d.found(Builtin::IdDocument, start, e, emit)
}

/// Upper-cased text, separators kept (the Finnish century sign is one).
fn upper_alnum_keep<'a>(text: &[u8], buf: &'a mut Vec<u8>) -> &'a [u8] {
    buf.clear();
    buf.extend(text.iter().map(u8::to_ascii_uppercase));
    buf
}

pub(crate) fn check_numeric(
    d: &DetectorSet,
    hay: &[u8],
    s: usize,
    e: usize,
    scratch: &mut Scratch,
    emit: Emit,
) -> bool {
    d.numeric(hay, s, e, scratch, emit)
}

/// Keeps `out[first..]` ordered and non-overlapping: the earliest, then the
/// longest match wins; a later match that runs past it keeps its tail (so
/// that, e.g., the domain of an e-mail address glued to a token is covered).
/// Detectors whose validator keeps its precision on digits joined across
/// odd separators (check digits with structure: Luhn with issuer ranges,
/// mod 97 with country lengths, national ids with check digits and dates).
const JOINED_DETECTORS: &[Builtin] = &[
    Builtin::PaymentCard,
    Builtin::Iban,
    Builtin::FrNir,
    Builtin::DeSteuerId,
    Builtin::PlPesel,
    Builtin::SePersonnummer,
    Builtin::NoFnr,
    Builtin::FiHetu,
    Builtin::EsDni,
    Builtin::ItCodiceFiscale,
];

/// Detectors kept on digits spelled as words: those of joined digits
/// ([`JOINED_DETECTORS`]) and the numbers nine spelled digits or more make
/// (an SSN or ITIN with its grouping or its word, a phone number).
const SPELLED_DIGIT_DETECTORS: [Builtin; JOINED_DETECTORS.len() + 3] = {
    let mut a = [Builtin::Phone; JOINED_DETECTORS.len() + 3];
    let mut i = 0;
    while i < JOINED_DETECTORS.len() {
        a[i] = JOINED_DETECTORS[i];
        i += 1;
    }
    a[i] = Builtin::UsSsn;
    a[i + 1] = Builtin::UsItin;
    a
};

fn order(out: &mut Vec<RawMatch>, first: usize) {
    if out.len() - first > 1 {
        let tail = &mut out[first..];
        crate::sorting::spans(tail, |m| (m.start, m.end));
        let mut keep = first;
        for i in first..out.len() {
            let mut m = out[i];
            if keep > first {
                let prev_end = out[keep - 1].end;
                if m.end <= prev_end {
                    continue;
                }
                m.start = m.start.max(prev_end);
            }
            out[keep] = m;
            keep += 1;
        }
        out.truncate(keep);
    }
}

/// The start of the next word after `s` (a byte that follows a non-alphanumeric one).
fn next_word(hay: &[u8], s: usize) -> usize {
    let mut p = s + 1;
    while p < hay.len() && hay[p - 1].is_ascii_alphanumeric() {
        p += 1;
    }
    p
}

#[inline]
fn is_word(c: u8) -> bool {
    WORD[c as usize]
}

/// [`is_word`] as a table: `[A-Za-z0-9_]` (`tests::word_table`).
static WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'_';
        c += 1;
    }
    t
};

/// `[0-9LMNPQRSTUV]`: a digit of an Italian codice fiscale (omocodia letters too).
#[inline]
fn cf_digit(c: u8) -> bool {
    c.is_ascii_digit() || matches!(c.to_ascii_uppercase(), b'L' | b'M' | b'N' | b'P'..=b'V')
}

/// The shape of a codice fiscale at `i` (a word start): 6 letters, then
/// XX L XX L XXX L with X a digit or an omocodia letter, ending a word.
fn cf_shape(hay: &[u8], i: usize) -> bool {
    let Some(t) = hay.get(i..i + 16) else { return false };
    if t[5].is_ascii_digit() {
        return uk_licence_shape(hay, i);
    }
    // (the seventh byte first: a word of six letters or more rarely has
    // a digit or an omocodia letter there)
    cf_digit(t[6])
        && t[..6].iter().all(u8::is_ascii_alphabetic)
        && [6, 7, 9, 10, 12, 13, 14].iter().all(|&k| cf_digit(t[k]))
        && [8, 11, 15].iter().all(|&k| t[k].is_ascii_alphabetic())
        && !hay.get(i + 16).is_some_and(|&c| is_word(c))
}

/// The shape of a UK driving licence at `i` (a word start), the codice
/// fiscale pattern's other branch: a letter, four of letters or 9, six
/// digits, two of letters or 9, a digit, two letters, ending a word.
fn uk_licence_shape(hay: &[u8], i: usize) -> bool {
    let Some(t) = hay.get(i..i + 16) else { return false };
    let l9 = |c: &u8| c.is_ascii_alphabetic() || *c == b'9';
    t[0].is_ascii_alphabetic()
        && t[1..5].iter().all(l9)
        && t[5..11].iter().all(u8::is_ascii_digit)
        && t[11..13].iter().all(l9)
        && t[13].is_ascii_digit()
        && t[14..16].iter().all(u8::is_ascii_alphabetic)
        && !hay.get(i + 16).is_some_and(|&c| is_word(c))
}

/// One pass over `hay` for the shapes the non-keyword detectors need;
/// false means none of them can match:
/// - e-mail: an `@`;
/// - IBAN: a known country code then two digits at a word start;
/// - codice fiscale or UK driving licence: its 16-character shape at a
///   word start;
/// - IPv6: a run of hex digits and colons with two colons or more, not
///   preceded by a letter, digit or colon (the validator rejects those);
/// - every numeric detector (phones, cards, SSN/BSN/NIR/PESEL/Steuer-ID,
///   DNI, UK NINO, IPv4): a run of digits joined by gaps of at most four
///   of ` .-/()`, tab, `_`, `,` (a superset of the numeric pattern's separators) with
///   three dots (IPv4), or six digits between two letters at a word start
///   and a letter A-D (NINO), or seven digits or more unless the run is
///   nothing but a date (which the classifier rejects) or has 7-8 digits
///   and is neither `+`-prefixed (international phone), next to a DNI
///   letter, after a Corsican `2A`/`2B` nor after a phone word (every
///   other numeric detector needs nine digits or more).
///
/// `c` is `hay`'s byte classes ([`Gate::classes`]): a shape is looked
/// for only when the classes it needs are there: e-mail an `@`; a codice
/// fiscale 16 letters and digits, 3 of them letters (a UK licence has 3,
/// a codice fiscale 9: not a timestamp's `T` and `Z`); the numeric shapes
/// 7 digits, or 2 digits after 2 letters (IBAN, NINO), or 4 digits and 3
/// dots (IPv4), or a digit in 26 bytes (a wallet address); IPv6 two
/// colons; a MAC address 14 bytes and five `:` or `-` or two `.` (not a
/// UUID's four dashes).
pub(crate) fn shapes(hay: &[u8], c: &Classes) -> bool {
    let cf = hay.len() >= 16 && c.letters >= 3 && c.letters + c.digits >= 16;
    let numeric = c.mask & C_DIGIT != 0
        && (c.digits >= 7 || (c.digits >= 2 && c.letters >= 2) || (c.digits >= 4 && c.dots >= 3) || hay.len() >= 26);
    c.mask & C_AT != 0
        || ((numeric || cf) && numeric_or_word_shapes(hay, cf))
        || (c.colons >= 2 && ipv6_shape(hay))
        || (hay.len() >= 14 && (c.colons >= 5 || c.weak >= 5 || c.dots >= 2) && mac_shape(hay))
}

/// A MAC address's shape around one of its separators.
fn mac_shape(hay: &[u8]) -> bool {
    let hex = |a: usize, n: usize| hay.get(a..a + n).is_some_and(|x| x.iter().all(u8::is_ascii_hexdigit));
    let at = |p: usize| {
        let sep = hay[p];
        // the first separator of `hh:hh:hh:hh:hh:hh` or `hhhh.hhhh.hhhh`
        let (a, n, k) = if sep == b'.' {
            (p.wrapping_sub(4), 4, 3)
        } else {
            (p.wrapping_sub(2), 2, 6)
        };
        p >= n && hex(a, n) && (1..k).all(|j| hay.get(a + j * (n + 1) - 1) == Some(&sep) && hex(a + j * (n + 1), n))
    };
    // a short value is read directly (a `memchr` call costs more than it)
    if hay.len() < 64 {
        (0..hay.len()).filter(|&p| matches!(hay[p], b':' | b'-' | b'.')).any(at)
    } else {
        memchr::memchr3_iter(b':', b'-', b'.', hay).any(at)
    }
}

/// `0x` + 40 hex digits, or a base58 run of 26-35 starting with 1 or 3, at `i`.
#[inline]
fn crypto_shape(hay: &[u8], i: usize) -> bool {
    let c = hay[i];
    // (most digit runs start with another digit: one test, in place)
    if !matches!(c, b'0' | b'1' | b'3') {
        return false;
    }
    if c == b'0' && matches!(hay.get(i + 1), Some(b'x' | b'X')) {
        return hay
            .get(i + 2..i + 42)
            .is_some_and(|t| t.iter().all(u8::is_ascii_hexdigit));
    }
    if c != b'1' && c != b'3' {
        return false;
    }
    let b58 = |c: u8| c.is_ascii_alphanumeric() && !matches!(c, b'0' | b'O' | b'I' | b'l');
    let n = hay[i..].iter().take(36).take_while(|&&c| b58(c)).count();
    (26..=35).contains(&n)
}

/// The token detectors' necessary literals (the registry's `keywords`):
/// see [`Gate::keywords`].
#[cfg(test)]
pub(crate) fn keyword_shapes(hay: &[u8], gate: &Gate) -> bool {
    gate.keywords(hay, gate.classes(hay).mask)
}

/// The registry keywords [`keyword_shapes`] has no shape of its own for.
fn other_keywords() -> Vec<&'static [u8]> {
    let known = |k: &str| {
        let k = k.trim_end();
        AUTH_WORDS.contains(&k.as_bytes())
            || matches!(k, "-u" | "--user" | "eyJ" | "-----BEGIN")
            || crate::registry::AWS_PREFIXES.contains(&k)
    };
    crate::registry::scanners()
        .iter()
        .flat_map(|s| s.keywords.iter().copied())
        .filter(|k| !known(k))
        .map(str::as_bytes)
        .collect()
}

// Byte classes of the prefilter ([`Gate`]): the low bits say what a byte
// is, the next ones which keyword check it triggers, the high ones which
// keyword groups it is the rare byte of.
const C_DIGIT: u64 = 1;
const C_AT: u64 = 1 << 1;
const C_COLON: u64 = 1 << 2;
/// `\n` or `\r`: a line break ([`crate::normalize::join_digit_groups`]
/// reads a line break as a separator of its own kind, the only one that
/// joins a token of more than one character after a separator that is not
/// a line break's cells; without one its gate skips those reads).
const C_LINE: u64 = 1 << 3;
// (bit 4: free)
/// A byte [`crate::normalize::join_digit_groups`] needs one of to join
/// anything but single characters between `-`, `.`, `,` or `_`: a capital
/// (a glued IBAN's head), a space or tab, a joiner (any other ASCII
/// punctuation, a line break) or a non-ASCII lead byte (bullets, `・`,
/// Unicode bars and commas). Values of lower-case letters and digits only
/// have none: the join pass is skipped (`tests::join_gate_is_sound`).
const C_JOIN: u64 = 1 << 5;
/// `-`, `.`, `,` or `_`: separators that join only single characters
/// (`4-1-1-1…`); without a [`C_JOIN`] byte, the join needs such a run
/// (`normalize::may_join_weak_run`), which UUIDs, dates and decimals lack.
const C_JOIN_WEAK: u64 = 1 << 6;
/// `[`, `(`, `{`, `<`: may open a bracketed `[at]` or `(dot)` ([`crate::spelled`]).
const C_OPEN: u64 = 1 << 7;

/// Whether the join pass can find anything in `hay` (of classes `c`):
/// a [`C_JOIN`] byte, or only weak separators and a run of single
/// characters between them: ten tokens or more (ten digits), so nine weak
/// separators or more of one kind (a UUID has four).
fn may_join(hay: &[u8], c: &Classes) -> bool {
    c.mask & C_JOIN != 0
        || (c.mask & C_JOIN_WEAK != 0
            && c.weak >= crate::normalize::JOIN_MIN_DIGITS - 1
            && crate::normalize::may_join_weak_run(hay))
}
/// `J`: ends `eyJ`
const T_EYJ: u64 = 1 << 8;
/// `B`: starts `BEGIN` of `-----BEGIN`
const T_BEGIN: u64 = 1 << 9;
/// `-`: starts `-u`
const T_DASH_U: u64 = 1 << 10;
/// `A`: starts an AWS key prefix
const T_AWS: u64 = 1 << 11;
/// space or tab: may end an auth-scheme word
const T_AUTH: u64 = 1 << 12;
/// the rare byte of a keyword group
const T_GROUP: u64 = 1 << 13;
/// The keyword checks ([`Gate::keywords`]).
const TRIGGERS: u64 = T_EYJ | T_BEGIN | T_DASH_U | T_AWS | T_AUTH | T_GROUP;
/// `/` (a URL's `://`: [`crate::normalize::numeric_hosts`] reads nothing without one)
const F_SLASH: u64 = 1 << 16;
/// An ASCII capital or a byte `0xC3` or above (a lead byte of Latin capitals
/// and of every script with case): [`crate::prose::Prose::find`]'s given
/// names start at one.
pub(crate) const F_UPPER: u64 = 1 << 17;
// (the prose cues' byte bits, `prose::cue_bits`, share the table above these)
const _: () = assert!(F_UPPER < 1 << crate::prose::CUE_SHIFT && TRIGGERS < F_UPPER);

/// What [`Gate::classes`] found in a value: its byte classes, triggers
/// and facts, and how many digits, dots, letters, colons and weak
/// separators (`-`, `.`, `,`, `_`) it has.
pub(crate) struct Classes {
    pub(crate) mask: u64,
    digits: usize,
    dots: usize,
    letters: usize,
    colons: usize,
    weak: usize,
}

/// Width of each packed count of [`count_of`].
const COUNT_BITS: u32 = 12;
/// Bytes summed before the packed counts are unpacked: no field overflows.
const COUNT_CHUNK: usize = (1 << COUNT_BITS) - 1;

/// The per-byte counts of [`Classes`], packed in 12-bit fields (digits,
/// dots, letters, colons, weak separators): exact for up to
/// [`COUNT_CHUNK`] bytes.
const fn count_of(c: u8) -> u64 {
    let weak = if matches!(c, b'-' | b'.' | b',' | b'_') {
        1 << (4 * COUNT_BITS)
    } else {
        0
    };
    weak | match c {
        b'0'..=b'9' => 1,
        b'.' => 1 << COUNT_BITS,
        b'A'..=b'Z' | b'a'..=b'z' => 1 << (2 * COUNT_BITS),
        b':' => 1 << (3 * COUNT_BITS),
        _ => 0,
    }
}

const COUNTS: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = count_of(i as u8);
        i += 1;
    }
    t
};

/// The prefilter's byte table: for every byte, its classes (what the
/// shapes need) and the keyword checks it triggers. [`Gate::classes`] ORs
/// them over a value in one pass; [`Gate::keywords`] then reads the value
/// once more only if a trigger is there, verifying each trigger in place.
pub(crate) struct Gate {
    table: [u64; 256],
    /// The keywords without a check of their own, by rare byte: each is
    /// looked for at its rarest byte (English letter frequency) and compared
    /// there, ASCII case ignored.
    groups: Vec<KeywordGroup>,
    /// For every byte, 1 + the index of the group whose rare byte it is
    /// (either case), or 0.
    group_of: [u8; 256],
    /// The two bytes around each keyword's rare byte, in every ASCII case,
    /// as bits of [`pair_bit`]: (rare, the byte after it) in `next`, or (the
    /// byte before it, rare) in `prev` for a keyword whose rare byte ends it.
    /// A rare byte in neither pair starts no keyword: [`Gate::group_at`] is
    /// not asked (`tests::group_at_agrees_with_the_reference`).
    next: Box<[u64; 1024]>,
    prev: Box<[u64; 1024]>,
    /// a keyword of one byte: every rare byte is asked
    always: bool,
}

/// The bit of the byte pair `(a, b)` in a 65536-bit table: (word, mask).
#[inline(always)]
fn pair_bit(a: u8, b: u8) -> (usize, u64) {
    let k = (usize::from(a) << 8) | usize::from(b);
    (k >> 6, 1u64 << (k & 63))
}

/// (rare byte in lower case, [(keyword, offset of that byte in it)])
type KeywordGroup = (u8, Vec<(&'static [u8], usize)>);

impl Gate {
    /// `keywords`: the registry keywords without a check of their own.
    pub(crate) fn new(keywords: &[&'static [u8]]) -> Gate {
        // most to least frequent in English text; anything else is rarer
        // (ranking digits and `-` as common moved `bc1`/`tb1` to `b` and
        // `pass-nr` to `p`: catalog JSON -3.6% instructions, English text
        // +2.4%, callgrind; not adopted)
        const COMMON: &[u8] = b" etaoinshrdlcumwfgypbvkjxqz";
        let rarity = |c: u8| {
            COMMON
                .iter()
                .position(|&x| x == c.to_ascii_lowercase())
                .unwrap_or(COMMON.len())
        };
        let mut groups: Vec<KeywordGroup> = Vec::new();
        for &k in keywords {
            let Some((off, &b)) = k.iter().enumerate().max_by_key(|&(_, &c)| rarity(c)) else {
                continue;
            };
            let b = b.to_ascii_lowercase();
            match groups.iter_mut().find(|(x, _)| *x == b) {
                Some((_, v)) => v.push((k, off)),
                None => groups.push((b, vec![(k, off)])),
            }
        }
        let mut table = [0u64; 256];
        for (b, t) in table.iter_mut().enumerate() {
            let c = b as u8;
            let mut m = 0;
            if c.is_ascii_digit() {
                m |= C_DIGIT;
            }
            if matches!(c, b'\n' | b'\r') {
                m |= C_LINE;
            }
            if c == b'/' {
                m |= F_SLASH;
            }
            if c.is_ascii_uppercase() || c >= 0xC3 {
                m |= F_UPPER;
            }
            // (every ASCII punctuation and every non-ASCII lead byte: the
            // join reads them all as separators, `normalize::separator_at`;
            // those that join only single characters have their own class)
            if matches!(c, b'-' | b'.' | b',' | b'_') {
                m |= C_JOIN_WEAK;
            } else if c.is_ascii_uppercase()
                || c.is_ascii_punctuation()
                || matches!(c, b' ' | b'\t' | b'\n' | b'\r')
                || crate::normalize::space_control(c)
                || c >= 0xC0
            {
                m |= C_JOIN;
            }
            if matches!(c, b'[' | b'(' | b'{' | b'<') {
                m |= C_OPEN;
            }
            m |= match c {
                b'@' => C_AT,
                b':' => C_COLON,
                b'J' => T_EYJ,
                b'B' => T_BEGIN,
                b'-' => T_DASH_U,
                b'A' => T_AWS,
                b' ' | b'\t' => T_AUTH,
                _ => 0,
            };
            if groups.iter().any(|(r, _)| c.to_ascii_lowercase() == *r) {
                m |= T_GROUP;
            }
            // the prose cues' byte sets, in the bits above these
            // (`Prose::may_cue`): ORed with the classes at no cost
            m |= crate::prose::cue_bits(c);
            *t = m;
        }
        let mut group_of = [0u8; 256];
        for (c, g) in group_of.iter_mut().enumerate() {
            let c = (c as u8).to_ascii_lowercase();
            // groups are by distinct byte: fewer than 255
            if let Some(k) = groups.iter().position(|(r, _)| *r == c) {
                *g = u8::try_from(k + 1).unwrap_or(0);
            }
        }
        let mut next = Box::new([0u64; 1024]);
        let mut prev = Box::new([0u64; 1024]);
        let mut always = false;
        for (_, kws) in &groups {
            for &(k, off) in kws {
                // every case of the pair (keywords match ignoring ASCII case)
                let set = |t: &mut [u64; 1024], a: u8, b: u8| {
                    for a in [a.to_ascii_lowercase(), a.to_ascii_uppercase()] {
                        for b in [b.to_ascii_lowercase(), b.to_ascii_uppercase()] {
                            let (w, m) = pair_bit(a, b);
                            if let Some(x) = t.get_mut(w) {
                                *x |= m;
                            }
                        }
                    }
                };
                match (k.get(off), k.get(off + 1), off.checked_sub(1).and_then(|j| k.get(j))) {
                    (Some(&r), Some(&b), _) => set(&mut next, r, b),
                    (Some(&r), None, Some(&a)) => set(&mut prev, a, r),
                    // a one-byte keyword: every occurrence of its byte is asked
                    _ => always = true,
                }
            }
        }
        Gate {
            table,
            groups,
            group_of,
            next,
            prev,
            always,
        }
    }

    /// Whether a keyword can have its rare byte at `i`: the pair after it
    /// or before it is one a keyword has there ([`Gate::next`]).
    #[inline(always)]
    fn pair_at(&self, hay: &[u8], i: usize) -> bool {
        let has = |t: &[u64; 1024], a: u8, b: u8| {
            let (w, m) = pair_bit(a, b);
            t.get(w).is_some_and(|x| x & m != 0)
        };
        let c = hay[i];
        self.always
            || hay.get(i + 1).is_some_and(|&b| has(&self.next, c, b))
            || (i > 0 && has(&self.prev, hay[i - 1], c))
    }

    /// The classes, triggers and facts of every byte of `hay`, ORed, and
    /// its counts (packed, summed per chunk of [`COUNT_CHUNK`] bytes so
    /// that no count overflows its field).
    #[inline]
    pub(crate) fn classes(&self, hay: &[u8]) -> Classes {
        let mut c = Classes {
            mask: 0,
            digits: 0,
            dots: 0,
            letters: 0,
            colons: 0,
            weak: 0,
        };
        for chunk in hay.chunks(COUNT_CHUNK) {
            let (mask, n) = chunk.iter().fold((0, 0), |(m, n), &b| {
                (m | self.table[b as usize], n + COUNTS[b as usize])
            });
            let field = |k: u32| ((n >> (k * COUNT_BITS)) & ((1 << COUNT_BITS) - 1)) as usize;
            c.mask |= mask;
            c.digits += field(0);
            c.dots += field(1);
            c.letters += field(2);
            c.colons += field(3);
            c.weak += field(4);
        }
        c
    }

    /// The token detectors' necessary literals (the registry's `keywords`),
    /// without an automaton pass over the text: false means none of them
    /// can match. `mask` is [`classes`](Self::classes) of `hay`: only the
    /// triggers in it are verified, in one more pass.
    /// `tests::keyword_gate_knows_every_registry_keyword` checks that every
    /// keyword in the registry opens it.
    /// - private key: `-----BEGIN`; JWT: `eyJ` (both case-sensitive);
    /// - AWS key: an `A` that starts one of the key prefixes;
    /// - `-u`/`--user` credentials: `-u` and a colon;
    /// - `bearer`, `basic`, `token`, `apikey`, `api-key`, `digest` (any case):
    ///   the word right before a space or tab;
    /// - any other registry keyword (the groups): the literal, in any case.
    pub(crate) fn keywords(&self, hay: &[u8], mask: u64) -> bool {
        let mut active = mask & TRIGGERS;
        if mask & C_COLON == 0 {
            active &= !T_DASH_U;
        }
        if active == 0 {
            return false;
        }
        hay.iter().enumerate().any(|(i, &b)| {
            let t = self.table[b as usize] & active;
            t != 0 && self.verify(hay, i, t)
        })
    }

    /// Whether one of the checks `t` triggered at `i` holds there.
    fn verify(&self, hay: &[u8], i: usize, t: u64) -> bool {
        // the triggers of ordinary text (a space, a rare letter) are one
        // check each: made at once rather than after five tests that fail
        match t {
            T_AUTH => return auth_pair(hay, i) && auth_word_before(hay, i),
            T_GROUP => return self.pair_at(hay, i) && self.group_at(hay, i),
            _ => {}
        }
        (t & T_EYJ != 0 && i >= 2 && hay[i - 2..i] == *b"ey")
            || (t & T_BEGIN != 0 && i >= 5 && hay[i - 5..].starts_with(b"-----BEGIN"))
            || (t & T_DASH_U != 0 && hay.get(i + 1) == Some(&b'u'))
            || (t & T_AWS != 0
                && hay
                    .get(i..i + 4)
                    .is_some_and(|p| crate::registry::AWS_PREFIXES.iter().any(|k| k.as_bytes() == p)))
            || (t & T_AUTH != 0 && auth_word_before(hay, i))
            || (t & T_GROUP != 0 && self.pair_at(hay, i) && self.group_at(hay, i))
    }

    /// A keyword of the group whose rare byte is at `i` is there.
    fn group_at(&self, hay: &[u8], i: usize) -> bool {
        let hit = |(_, kws): &KeywordGroup| {
            kws.iter().any(|&(k, off)| {
                // the first byte first: most candidates differ there
                i >= off
                    && k.first().is_some_and(|f| hay[i - off].eq_ignore_ascii_case(f))
                    && hay
                        .get(i - off..i - off + k.len())
                        .is_some_and(|w| w.eq_ignore_ascii_case(k))
            })
        };
        let g = self.group_of[hay[i] as usize] as usize;
        match g.checked_sub(1).and_then(|g| self.groups.get(g)) {
            Some(group) => hit(group),
            // (a group without an index: every group of this byte)
            None => {
                let c = hay[i].to_ascii_lowercase();
                self.groups.iter().filter(|(r, _)| *r == c).any(hit)
            }
        }
    }
}

/// The auth-scheme words of the credential pattern (lower case).
const AUTH_WORDS: &[&[u8]] = &[b"bearer", b"basic", b"token", b"apikey", b"api-key", b"digest"];

/// The last two letters of an auth-scheme word end at `p` (in either case:
/// `| 0x20` maps a letter of either case to its lower case and no other
/// byte to a letter): a necessary condition of [`auth_word_before`], made
/// in place at every space (`tests::auth_word_before_agrees_with_the_reference`).
#[inline(always)]
fn auth_pair(hay: &[u8], p: usize) -> bool {
    p >= 5
        && matches!(
            [hay[p - 2] | 0x20, hay[p - 1] | 0x20],
            [b'e', b'r'] | [b'i', b'c'] | [b'e', b'n'] | [b'e', b'y'] | [b's', b't']
        )
}

/// An auth-scheme word (any case) ends at `p` (before a space or tab).
fn auth_word_before(hay: &[u8], p: usize) -> bool {
    if !auth_pair(hay, p) {
        return false;
    }
    AUTH_WORDS
        .iter()
        .any(|w| p >= w.len() && hay[p - w.len()..p].eq_ignore_ascii_case(w))
}

/// A run of hex digits and colons with two colons or more, not preceded
/// by a letter, digit or colon (the IPv6 validator rejects those). Only
/// the runs around a colon are read (a timestamp's `T00:00:00Z` costs one
/// look, not one per byte): `tests::ipv6_shape_agrees_with_the_byte_walk`.
fn ipv6_shape(hay: &[u8]) -> bool {
    let run = |c: u8| c == b':' || c.is_ascii_hexdigit();
    let mut from = 0;
    while let Some(off) = hay.get(from..).and_then(|t| memchr::memchr(b':', t)) {
        let p = from + off;
        // the run's start: no colon before `p` in it (`p` is the first
        // colon at or after `from`, and `hay[from - 1]` ends the last run)
        let mut lo = p;
        while lo > 0 && run(hay[lo - 1]) {
            lo -= 1;
        }
        let mut hi = p;
        let mut colons = 0;
        while hi < hay.len() && run(hay[hi]) {
            colons += usize::from(hay[hi] == b':');
            hi += 1;
        }
        if colons >= 2 && (lo == 0 || !hay[lo - 1].is_ascii_alphanumeric()) {
            return true;
        }
        from = hi;
    }
    false
}

/// The numeric shapes, `@` and the codice fiscale of [`shapes`]. `cf`:
/// whether a codice fiscale can be there (16 bytes and a letter); without
/// it only digits and `@` are looked at.
fn numeric_or_word_shapes(hay: &[u8], cf: bool) -> bool {
    let n = hay.len();
    let letter = |k: usize| hay.get(k).is_some_and(|c| c.is_ascii_alphabetic());
    let mut i = 0;
    while i < n {
        let c = hay[i];
        let prev = if i > 0 { hay[i - 1] } else { b' ' };
        if c.is_ascii_digit() {
            if !is_word(prev) && crypto_shape(hay, i) {
                return true;
            }
            let start = i;
            let (mut digits, mut groups, mut dots) = (0usize, 0usize, 0usize);
            // digits in the run's last group
            let mut last: usize;
            let mut lens = [0usize; 3];
            let mut gaps_date = true;
            let mut j = i;
            loop {
                let g = j;
                // a wallet address at a later group of the run (`0 1BoatSL…`,
                // `5 0x52908…`): the run is skipped as a whole below, so its
                // groups are not visited by the outer loop (found by
                // `prefilter_is_sound`)
                if g > start && !is_word(hay[g - 1]) && crypto_shape(hay, g) {
                    return true;
                }
                while j < n && hay[j].is_ascii_digit() {
                    j += 1;
                }
                if groups < 3 {
                    lens[groups] = j - g;
                }
                last = j - g;
                groups += 1;
                digits += j - g;
                let mut k = j;
                while k < n
                    && k - j < 5
                    && (matches!(hay[k], b' ' | b'.' | b'-' | b'/' | b'(' | b')' | b'\t' | b'_' | b',')
                        || crate::normalize::space_control(hay[k]))
                {
                    k += 1;
                }
                if k > j && k - j <= 4 && k < n && hay[k].is_ascii_digit() {
                    let gap = &hay[j..k];
                    dots += gap.iter().filter(|&&c| c == b'.').count();
                    gaps_date &= gap.len() == 1 && matches!(gap[0], b'-' | b'.' | b'/');
                    j = k;
                    continue;
                }
                break;
            }
            let end = j;
            // IBAN: two letters and two digits at a word start, and as
            // many digits as the country's BBAN starts with
            // ([`iban_head_digits`]: UUIDs whose group starts `de12-4…`)
            let iban = |a: u8, b: u8| {
                let cc = [a.to_ascii_uppercase(), b.to_ascii_uppercase()];
                v::iban_length(&cc).is_some() && digits >= iban_head_digits(&cc)
            };
            if start >= 2
                && lens[0] >= 2
                && letter(start - 1)
                && letter(start - 2)
                && (start == 2 || !is_word(hay[start - 3]))
                && iban(hay[start - 2], hay[start - 1])
            {
                return true;
            }
            // IBAN with a space after the country code ("DE 89 3704 ...")
            if start >= 3
                && lens[0] >= 2
                && prev == b' '
                && letter(start - 2)
                && letter(start - 3)
                && (start == 3 || !is_word(hay[start - 4]))
                && iban(hay[start - 3], hay[start - 2])
            {
                return true;
            }
            // Finnish henkilötunnus with a letter century sign: DDMMYY A NNN K
            if digits == 6
                && groups == 1
                && matches!(
                    hay.get(end),
                    Some(b'A'..=b'F' | b'U'..=b'Y' | b'a'..=b'f' | b'u'..=b'y')
                )
                && hay
                    .get(end + 1..end + 4)
                    .is_some_and(|t| t.iter().all(u8::is_ascii_digit))
            {
                return true;
            }
            if dots >= 3 {
                return true;
            }
            // NINO: two letters at a word start, then six digits (read only
            // for a run of six digits)
            if digits == 6 {
                let p = if start > 0 && matches!(prev, b' ' | b'-') {
                    start - 1
                } else {
                    start
                };
                let nino_before = p >= 2 && letter(p - 1) && letter(p - 2) && (p == 2 || !is_word(hay[p - 3]));
                let q = if matches!(hay.get(end), Some(b' ' | b'-')) {
                    end + 1
                } else {
                    end
                };
                let nino_after = matches!(hay.get(q), Some(b'A'..=b'D' | b'a'..=b'd'))
                    && !hay.get(q + 1).is_some_and(|&c| is_word(c));
                if nino_before && nino_after {
                    return true;
                }
            }
            if digits >= 7 {
                let date = groups == 3 && gaps_date && date_like(hay, start, &lens);
                // 7-8 digits: only a `+` phone or a DNI (the other numbers are longer)
                let short = digits <= 8 && {
                    let next = hay.get(end).copied().unwrap_or(b' ');
                    // the letter ends a word (`[A-Za-z]\b`), or IE PPS's two
                    // letters do (`[A-W][ABHW]?\b`): not `4785799eecb0`
                    let ends = |k: usize| !hay.get(k).is_some_and(|&c| is_word(c));
                    let id_letter = |q: usize| {
                        letter(q)
                            && (ends(q + 1)
                                || (matches!(hay.get(q + 1), Some(b'A' | b'B' | b'H' | b'W')) && ends(q + 2)))
                    };
                    let dni_after = id_letter(end) || (matches!(next, b' ' | b'-') && id_letter(end + 1));
                    let nie = |c: u8| matches!(c.to_ascii_uppercase(), b'X' | b'Y' | b'Z' | b'K' | b'L' | b'M');
                    let dni_before = nie(prev) || (matches!(prev, b' ' | b'-') && start >= 2 && nie(hay[start - 2]));
                    let plus = prev == b'+' || (prev == b'(' && start >= 2 && hay[start - 2] == b'+');
                    // DNI: 8 digits and a letter, or X/Y/Z, 7 digits and a letter
                    // (or a DNI written without its leading zero: 7 digits and a
                    // letter); IE PPS: 7 digits and a letter. Those digits are
                    // the run's last group, whatever comes before it (`0-1234567FA`:
                    // the gate asked for one group and dropped it)
                    let dni = dni_after && (last >= 7 || dni_before);
                    // Corsican NIR: the 8 digits after `2A`/`2B`
                    let a = if start > 0 && prev == b' ' { start - 1 } else { start };
                    let nir = a >= 2 && matches!(hay[a - 1], b'A' | b'B' | b'a' | b'b') && hay[a - 2] == b'2';
                    // a phone after its word (`Phone: 467 3395`)
                    !(plus || dni || nir || (!date && phone_word_before(hay, start)))
                };
                // VAT numbers of 7 or 8 digits (ATU, DK, FI, ES): after
                // their country prefix, dates included (`DK 11.01.2000`)
                if (!date && !short) || vat_before(hay, start) {
                    return true;
                }
            }
            i = end.max(i + 1);
            continue;
        }
        if c == b'@' || (cf && c.is_ascii_alphabetic() && !is_word(prev) && cf_shape(hay, i)) {
            return true;
        }
        i += 1;
        // Bytes that start nothing are skipped: only a digit, an `@` or
        // (with `cf`) a letter starting a word is read above; a letter
        // after a word byte never starts a codice fiscale
        // (`tests::shapes_agree_with_the_reference`). With `cf`, a word
        // start is seen from the byte before it: one table look per byte.
        if !cf {
            while i < n && SHAPE_START[hay[i] as usize] & START == 0 {
                i += 1;
            }
            continue;
        }
        if i < n && SHAPE_START[hay[i] as usize] == LETTER && !is_word(hay[i - 1]) {
            continue;
        }
        while i < n {
            let k = SHAPE_START[hay[i] as usize];
            if k & START != 0 {
                break;
            }
            if k & NOT_WORD != 0 && hay.get(i + 1).is_some_and(|&c| SHAPE_START[c as usize] == LETTER) {
                i += 1;
                break;
            }
            i += 1;
        }
    }
    false
}

/// The fewest digits in a row (joined as [`numeric_or_word_shapes`] joins
/// digit groups) an IBAN of country `cc` (capitals) starts with at its
/// check digits: those two and the digits its BBAN starts with
/// ([`v::bban_format`]; none for a country without a known structure).
/// `check_iban` takes a candidate only when its BBAN has its country's
/// structure, read on the letters and digits alone; the pattern allows one
/// of ` -._,\t` between two of them, and the walk joins digit groups across
/// each of those. So the run of digit groups that starts at the check
/// digits holds them all, or it ends at the BBAN's next character, a letter,
/// or where the pattern reads no further (too few characters).
/// (`tests/gate_equivalence.rs`: IBANs and their heads at every offset of
/// UUIDs and timestamps.)
fn iban_head_digits(cc: &[u8; 2]) -> usize {
    2 + v::bban_format(cc).map_or(0, |f| {
        f.iter()
            .take_while(|&&(_, kind)| kind == b'n')
            .map(|&(n, _)| usize::from(n))
            .sum()
    })
}

/// [`SHAPE_START`]: a byte [`numeric_or_word_shapes`] reads (a digit, `@`).
const START: u8 = 1;
/// [`SHAPE_START`]: an ASCII letter (read where it starts a word).
const LETTER: u8 = 2;
/// [`SHAPE_START`]: a byte that starts nothing and is not a word byte
/// ([`is_word`]): a letter after it starts a word.
const NOT_WORD: u8 = 4;

/// Per byte: [`START`], [`LETTER`], [`NOT_WORD`] or 0 (`_`, which starts
/// nothing and is a word byte).
static SHAPE_START: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = if b.is_ascii_digit() || b == b'@' {
            START
        } else if b.is_ascii_alphabetic() {
            LETTER
        } else if WORD[c] {
            0
        } else {
            NOT_WORD
        };
        c += 1;
    }
    t
};

/// Whether the run of three digit groups at `start` (lengths `lens`, each
/// gap one of `-./`) is a date the numeric classifier rejects: year
/// 1800-2200 first or last, month and day either way round. The groups are
/// read in place (this runs on every timestamp; it once collected them in
/// a `Vec`): `tests::date_like_agrees_with_split`.
fn date_like(hay: &[u8], start: usize, lens: &[usize; 3]) -> bool {
    let g1 = start + lens[0] + 1;
    let g2 = g1 + lens[1] + 1;
    let (Some(a), Some(b), Some(c)) = (
        hay.get(start..start + lens[0]),
        hay.get(g1..g1 + lens[1]),
        hay.get(g2..g2 + lens[2]),
    ) else {
        return false;
    };
    let (y, m, d) = match (lens[0], lens[1], lens[2]) {
        (4, 1..=2, 1..=2) => (num(a), num(b), num(c)),
        (1..=2, 1..=2, 4) => (num(c), num(b), num(a)),
        _ => (0, 0, 0),
    };
    (1800..=2200).contains(&y)
        && ((1..=12).contains(&m) && (1..=31).contains(&d) || (1..=12).contains(&d) && (1..=31).contains(&m))
}

/// The prefix of an EU VAT number (the `eu_vat` pattern, case-sensitive
/// as it is) ends right before the digit at `start`: `ATU`; a country code
/// of the patterns whose digits may start a number (`BE`, `DE`, `DK`, `FI`,
/// `IT`, `PL`, `PT`, `SE`, `ES`) with or without one of ` .-` after it; or
/// `ES`, maybe ` `/`-`, and a capital letter. (France and the Netherlands
/// have nine digits or more after their prefix: any such run passes.)
/// Was: any two letters before the run, but not through a separator, so
/// `DK-13585628` and dates such as `DK 11.01.2000` were dropped while the
/// automaton finds them (`tests::vat_after_its_prefix_passes_the_gate`).
fn vat_before(hay: &[u8], start: usize) -> bool {
    const CC: &[&[u8; 2]] = &[b"BE", b"DE", b"DK", b"FI", b"IT", b"PL", b"PT", b"SE", b"ES"];
    let cc_at = |q: usize| q >= 2 && CC.iter().any(|c| hay[q - 2..q] == c[..]);
    let sep = |q: usize| q >= 1 && matches!(hay[q - 1], b' ' | b'.' | b'-');
    if start >= 3 && hay[start - 3..start] == *b"ATU" {
        return true;
    }
    if cc_at(start) || (sep(start) && cc_at(start - 1)) {
        return true;
    }
    // `ES` + a letter: `ESX1234567L`, `ES-X1234567L`
    if start >= 1 && hay[start - 1].is_ascii_uppercase() {
        let q = start - 1;
        return (q >= 2 && hay[q - 2..q] == *b"ES") || (sep(q) && q >= 3 && hay[q - 3..q - 1] == *b"ES");
    }
    false
}

fn is_compact(t: &[u8]) -> bool {
    t.iter().all(u8::is_ascii_alphanumeric)
}

fn upper_alnum<'a>(text: &[u8], buf: &'a mut Vec<u8>) -> &'a [u8] {
    buf.clear();
    buf.extend(
        text.iter()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(u8::to_ascii_uppercase),
    );
    buf
}

fn jwt_header_ok(t: &[u8]) -> bool {
    use base64::Engine as _;
    let head = t.split(|&c| c == b'.').next().unwrap_or(b"");
    match base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(head.strip_suffix(b"=").unwrap_or(head)) {
        Ok(h) => {
            h.first() == Some(&b'{')
                && (memchr::memmem::find(&h, b"\"alg\"").is_some() || memchr::memmem::find(&h, b"\"typ\"").is_some())
        }
        Err(_) => false,
    }
}

fn auth_ok(t: &[u8]) -> bool {
    use base64::Engine as _;
    let mut parts = t.splitn(2, |c| *c == b' ' || *c == b'\t');
    let scheme = parts.next().unwrap_or(b"");
    let cred = parts.next().unwrap_or(b"");
    let cred = cred.trim_ascii_start();
    if scheme.eq_ignore_ascii_case(b"token") || scheme.eq_ignore_ascii_case(b"digest") {
        // ordinary words follow these in prose: demand a token-like value
        let digits = cred.iter().filter(|c| c.is_ascii_digit()).count();
        let letters = cred.iter().filter(|c| c.is_ascii_alphabetic()).count();
        if cred.len() < 16 || digits < 2 || letters < 2 {
            return false;
        }
    }
    if scheme.eq_ignore_ascii_case(b"basic") {
        return base64::engine::general_purpose::STANDARD
            .decode(cred)
            .is_ok_and(|d| d.contains(&b':'));
    }
    // digits alone are a number the text is about ("basic 4111..."), not a token
    if cred
        .iter()
        .all(|c| c.is_ascii_digit() || matches!(c, b'-' | b'.' | b'/'))
    {
        return false;
    }
    let has_digit = cred.iter().any(u8::is_ascii_digit);
    let has_upper = cred.iter().any(u8::is_ascii_uppercase);
    let has_lower = cred.iter().any(u8::is_ascii_lowercase);
    let has_sym = cred
        .iter()
        .any(|c| matches!(c, b'.' | b'_' | b'-' | b'~' | b'+' | b'/' | b'='));
    cred.len() >= 12 && (has_digit || (has_upper && has_lower) || has_sym)
}

fn num(d: &[u8]) -> u32 {
    d.iter()
        .take(9)
        .fold(0u32, |a, &c| a * 10 + (c.wrapping_sub(b'0') as u32 % 10))
}

/// Most digit groups one numeric window spans.
const MAX_WINDOW: usize = 8;

/// The lengths of a window's digit groups, without allocating.
fn group_lens<'a>(win: &[Group], buf: &'a mut [usize; MAX_WINDOW]) -> &'a [usize] {
    let n = win.len().min(MAX_WINDOW);
    for (l, g) in buf.iter_mut().zip(win) {
        *l = g.end - g.start;
    }
    &buf[..n]
}

/// Dates and times written with separators are never phones or IDs.
fn looks_like_date(win: &[Group], hay: &[u8]) -> bool {
    if win.len() < 3 {
        return false;
    }
    let g = |i: usize| &hay[win[i].start..win[i].end];
    let mut lb = [0usize; MAX_WINDOW];
    let lens = group_lens(win, &mut lb);
    let seps_ok = win[1..3].iter().all(|w| matches!(w.sep, b'-' | b'.' | b'/'));
    if !seps_ok {
        return false;
    }
    let (y, m, d) = match (lens[0], lens[1], lens[2]) {
        (4, 1..=2, 1..=2) => (num(g(0)), num(g(1)), num(g(2))),
        (1..=2, 1..=2, 4) => (num(g(2)), num(g(1)), num(g(0))),
        _ => return false,
    };
    (1800..=2200).contains(&y)
        && ((1..=12).contains(&m) && (1..=31).contains(&d) || (1..=12).contains(&d) && (1..=31).contains(&m))
}

fn classify_numeric(win: &[Group], hay: &[u8], plus: bool, digits: &mut Vec<u8>, bounded: bool) -> Option<Builtin> {
    digits.clear();
    let mut trunk_removed = false;
    for (i, g) in win.iter().enumerate() {
        let t = &hay[g.start..g.end];
        // "+49 (0)30 ...": the national trunk prefix in parentheses is not dialled.
        if g.paren && t == b"0" && i > 0 {
            trunk_removed = true;
            continue;
        }
        digits.extend_from_slice(t);
    }
    let d: &[u8] = digits;
    let l = d.len();
    if !(7..=19).contains(&l) {
        return None;
    }
    if d.iter().all(|&c| c == d[0]) {
        return None;
    }
    let n = win.len();
    let any_paren = win.iter().any(|g| g.paren);
    // Commas separate thousands (1,234,567) and list items far more often
    // than they group a personal number: a comma-grouped window is a card
    // only in a card's grouping, a phone only with its `+`.
    if win[1..].iter().any(|g| g.sep == b',') {
        let mut lb = [0usize; MAX_WINDOW];
        let lens = group_lens(win, &mut lb);
        let card_grouping = matches!(lens, [4, 6, 5] | [4, 6, 4])
            || (lens.len() >= 3
                && lens[..lens.len() - 1].iter().all(|&x| x == 4)
                && (1..=4).contains(&lens[lens.len() - 1]));
        if !plus && !any_paren && card_grouping && (l > 12 || bounded) && v::payment_card(d) {
            return Some(Builtin::PaymentCard);
        }
        return (plus && bounded && phone_international(d)).then_some(Builtin::Phone);
    }
    let seps_dot = n == 4 && win[1..].iter().all(|g| g.sep == b'.');
    if seps_dot && !plus && !any_paren {
        let groups: Vec<&[u8]> = win.iter().map(|g| &hay[g.start..g.end]).collect();
        if v::ipv4(&groups) {
            return bounded.then_some(Builtin::Ipv4);
        }
    }
    if looks_like_date(win, hay) {
        return None;
    }
    if !plus && !any_paren && (l > 12 || bounded) && v::payment_card(d) {
        // Cards are validated strongly enough to be found inside letters too
        // (Maestro's 12 digits only standing alone).
        return Some(Builtin::PaymentCard);
    }
    if !bounded {
        return None;
    }
    // A card word just before (`card`, `cc`, `Karte`, ...) names a number a
    // card whatever its issuer range: 12 to 19 digits (ISO/IEC 7812), a
    // payment industry (first digit 1 to 6: not 8, telecoms' SIM numbers)
    // and the Luhn check.
    if !plus
        && !any_paren
        && (12..=19).contains(&l)
        && (b'1'..=b'6').contains(&d[0])
        && v::luhn(d)
        && card_word_before(hay, win[0].start)
    {
        return Some(Builtin::PaymentCard);
    }
    let compact = n == 1;
    let mut lb = [0usize; MAX_WINDOW];
    let lens = group_lens(win, &mut lb);
    // one separator, ` ` or `-`, between every group (`401-023-2137`)
    let one_sep = n >= 2
        && win[1..]
            .iter()
            .all(|g| matches!(g.sep, b'-' | b' ') && g.sep == win[1].sep);
    // a word that names the number decides before anything else, a leading
    // `00` included (an NHS number may start with it)
    let intl = plus || (l > 2 && d[0] == b'0' && d[1] == b'0');
    if intl && !plus && matches!(l, 10 | 11) && !any_paren {
        match keyword_before(hay, win[0].start) {
            Some(IdWord::Nhs) if l == 10 && v::uk_nhs(d) => return Some(Builtin::UkNhs),
            Some(IdWord::SteuerId) if l == 11 && v::de_steuer_id_loose(d) => return Some(Builtin::DeSteuerId),
            _ => {}
        }
    }
    if intl {
        return phone_international(if plus { d } else { &d[2..] }).then_some(Builtin::Phone);
    }
    // AAA-GG-SSSS is an SSN before it is anything else
    let ssn_dashed = lens == [3, 2, 4]
        && win[1..]
            .iter()
            .all(|g| matches!(g.sep, b'-' | b' ' | b'.') && g.sep == win[1].sep);
    if ssn_dashed && v::us_ssn(d) {
        return Some(Builtin::UsSsn);
    }
    // 9XX-7X-XXXX: an ITIN, not an SSN (the SSN areas stop at 899)
    if ssn_dashed && v::us_itin(d) {
        return Some(Builtin::UsItin);
    }
    // a word that names the number (CPR, NHS, SIN, IMEI) decides before phones
    if matches!(l, 9 | 10 | 11 | 15) && !any_paren {
        let ctx = keyword_before(hay, win[0].start);
        let mut lb = [0usize; MAX_WINDOW];
        let lens = group_lens(win, &mut lb);
        match ctx {
            Some(IdWord::Cpr) if l == 10 && (lens == [6, 4] || compact) && v::dk_cpr(d) => {
                return Some(
                    if v::se_personnummer(d) && lens == [6, 4] && hay[win[1].start - 1] == b'-' {
                        Builtin::SePersonnummer
                    } else {
                        Builtin::DkCpr
                    },
                );
            }
            Some(IdWord::Nhs) if l == 10 && v::uk_nhs(d) => return Some(Builtin::UkNhs),
            Some(IdWord::Sin) if l == 9 && v::ca_sin(d) => return Some(Builtin::CaSin),
            Some(IdWord::Imei) if l == 15 && v::luhn(d) => return Some(Builtin::Imei),
            Some(IdWord::Fnr) if l == 11 && v::no_fnr(d) => return Some(Builtin::NoFnr),
            // with its word, the check digit and the repetition limit decide
            // (`12345678903`: no digit repeated, as test data is written)
            Some(IdWord::SteuerId) if l == 11 && v::de_steuer_id_loose(d) => return Some(Builtin::DeSteuerId),
            _ => {}
        }
    }
    // YY.MM.DD-SSS.CC is a Belgian national number before it is a phone
    if l == 11 && !any_paren && n == 5 && v::be_national_number(d) {
        let lens: Vec<usize> = win.iter().map(|g| g.end - g.start).collect();
        if lens == [2, 2, 2, 3, 2] {
            return Some(Builtin::BeNationalNumber);
        }
    }
    let phone_like = n >= 2 && d[0] == b'0';
    if phone_like && phone_national(win, d, trunk_removed) {
        return Some(Builtin::Phone);
    }
    // A country code written without `+`/`00` ("tel 49 30 1234567"): only
    // a European code as its own group, a valid length for that plan, and
    // a phone word just before.
    if n >= 3
        && win[0].end - win[0].start == 2
        && matches!(
            &d[..2],
            b"30"
                | b"31"
                | b"32"
                | b"33"
                | b"34"
                | b"39"
                | b"41"
                | b"43"
                | b"44"
                | b"45"
                | b"46"
                | b"47"
                | b"48"
                | b"49"
        )
        && d[2] != b'0'
        && phone_international(d)
        && phone_word_before(hay, win[0].start)
    {
        return Some(Builtin::Phone);
    }
    // Bare 9-digit numbers are mostly order or account numbers: as SSN or BSN
    // they need the word nearby ("SSN", "BSN", ...); under a field name the
    // field detector finds them anyway.
    let ctx = keyword_before(hay, win[0].start);
    match l {
        15 if !any_paren && ctx == Some(IdWord::Imei) && v::luhn(d) => return Some(Builtin::Imei),
        15 if !any_paren && v::fr_nir(d) => return Some(Builtin::FrNir),
        10 if !any_paren => {
            // Swedish personnummer: YYMMDD-NNNN (or + past 100 years), Luhn
            let mut lb = [0usize; MAX_WINDOW];
            let lens = group_lens(win, &mut lb);
            if lens == [6, 4] && matches!(hay[win[1].start - 1], b'-' | b'+') && v::se_personnummer(d) {
                return Some(Builtin::SePersonnummer);
            }
            if ctx == Some(IdWord::Nhs) && v::uk_nhs(d) {
                return Some(Builtin::UkNhs);
            }
            if ctx == Some(IdWord::Cpr) && (lens == [6, 4] || compact) && v::dk_cpr(d) {
                return Some(Builtin::DkCpr);
            }
            if ctx == Some(IdWord::Cpr) && v::se_personnummer(d) {
                return Some(Builtin::SePersonnummer);
            }
            // Austrian SV-Nummer: NNNC DDMMYY (compact only with its word)
            if (lens == [4, 6] || (compact && ctx == Some(IdWord::AtSvnr))) && v::at_svnr(d) {
                return Some(Builtin::AtSvnr);
            }
            // UK NHS number in its written grouping, 3-3-4 with one
            // separator, whose exchange (0 or 1 first) makes it no NANP
            // phone: the mod-11 check says which (`phone_national` takes
            // every 3-3-4 number from 2 on as a phone, so this only names
            // what was found anyway; from 0 or 1, and a real NANP number,
            // it needs its word)
            if lens == [3, 3, 4] && one_sep && d[0] >= b'2' && d[3] <= b'1' && v::uk_nhs(d) {
                return Some(Builtin::UkNhs);
            }
        }
        // Swiss AHV/AVS: 756.XXXX.XXXX.XC
        13 if !any_paren && v::ch_ahv(d) => return Some(Builtin::ChAhv),
        12 if !any_paren => {
            // Swedish personnummer with the century: YYYYMMDD-NNNN
            let mut lb = [0usize; MAX_WINDOW];
            let lens = group_lens(win, &mut lb);
            if (lens == [8, 4] || (compact && ctx == Some(IdWord::Cpr))) && v::se_personnummer(&d[2..]) {
                return Some(Builtin::SePersonnummer);
            }
            // compact with the century, no word: the century, a real date and
            // the Luhn check; a YYYYMMDDhhmm timestamp stays clean
            if compact && v::se_personnummer_century(d) && !v::hhmm(&d[8..]) {
                return Some(Builtin::SePersonnummer);
            }
        }
        11 if !any_paren => {
            // Belgian national number: YY.MM.DD-SSS.CC or YYMMDD SSS CC
            // (compact only with its word: PESEL and Steuer-ID share the shape)
            let lens: Vec<usize> = win.iter().map(|g| g.end - g.start).collect();
            let grouped = matches!(lens.as_slice(), [2, 2, 2, 3, 2] | [6, 3, 2]);
            if ((grouped && ctx.is_none_or(|c| c == IdWord::BeNn)) || (compact && ctx == Some(IdWord::BeNn)))
                && v::be_national_number(d)
            {
                return Some(Builtin::BeNationalNumber);
            }
            // PESEL is written in one piece
            if compact && v::pl_pesel(d) {
                return Some(Builtin::PlPesel);
            }
            if v::de_steuer_id(d) {
                return Some(Builtin::DeSteuerId);
            }
            // Norwegian fødselsnummer: DDMMYY NNNNN, two mod-11 check digits
            let mut lb = [0usize; MAX_WINDOW];
            let lens = group_lens(win, &mut lb);
            if (lens == [6, 5] || ctx == Some(IdWord::Fnr)) && v::no_fnr(d) {
                return Some(Builtin::NoFnr);
            }
        }
        9 if !any_paren => {
            let dotted = !compact && win[1..].iter().all(|g| matches!(g.sep, b'.' | b' '));
            if (dotted || (compact && ctx == Some(IdWord::Bsn))) && v::nl_bsn(d) {
                return Some(Builtin::NlBsn);
            }
            if compact && ctx == Some(IdWord::Ssn) && v::us_ssn(d) {
                return Some(Builtin::UsSsn);
            }
            if compact && matches!(ctx, Some(IdWord::Ssn | IdWord::Itin)) && v::us_itin(d) {
                return Some(Builtin::UsItin);
            }
            if ctx == Some(IdWord::PtNif) && v::pt_nif(d) {
                return Some(Builtin::PtNif);
            }
            if ctx == Some(IdWord::Sin) && v::ca_sin(d) {
                return Some(Builtin::CaSin);
            }
        }
        _ => {}
    }
    if phone_national(win, d, trunk_removed) {
        return Some(Builtin::Phone);
    }
    // A phone word just before (`Phone:`, `Fax`, `mobile`, ...) names a
    // number a phone in any national grouping (`467 3395`, `60-56-85-91`,
    // `(71) 4233-6306`): 7 to 12 digits (E.164 national numbers) in groups
    // of at most eight, or 7 to 11 in one piece, not part of a longer run.
    let grouped = n >= 2 && lens.iter().all(|&x| x <= 8);
    let labelled = !trunk_removed
        && (7..=12).contains(&l)
        && (grouped || (compact && l <= 11))
        && !(n == 3 && date_in_groups(win, hay));
    (labelled && run_alone(win, hay) && phone_word_before(hay, win[0].start)).then_some(Builtin::Phone)
}

/// Whether three digit groups read as a date whatever separates them
/// (`2024 06 20`, `20 06 2024`): year 1800-2200 first or last.
fn date_in_groups(win: &[Group], hay: &[u8]) -> bool {
    let g = |i: usize| &hay[win[i].start..win[i].end];
    let (y, m, d) = match (g(0).len(), g(1).len(), g(2).len()) {
        (4, 1..=2, 1..=2) => (num(g(0)), num(g(1)), num(g(2))),
        (1..=2, 1..=2, 4) => (num(g(2)), num(g(1)), num(g(0))),
        _ => return false,
    };
    (1800..=2200).contains(&y)
        && ((1..=12).contains(&m) && (1..=31).contains(&d) || (1..=12).contains(&d) && (1..=31).contains(&m))
}

/// Whether `win` is a whole run of digit groups: no digit just before or
/// after it, past three separators (not part of a longer number).
fn run_alone(win: &[Group], hay: &[u8]) -> bool {
    let sep = |c: &&u8| matches!(c, b' ' | b'.' | b'-' | b'/' | b'(' | b')' | b'\t' | b'_' | b',');
    let a = win[0].start;
    let z = win[win.len() - 1].end;
    let before = hay[a.saturating_sub(4)..a].iter().rev().find(|c| !sep(c));
    let after = hay.get(z..).unwrap_or(&[]).iter().take(4).find(|c| !sep(c));
    !before.is_some_and(u8::is_ascii_digit) && !after.is_some_and(u8::is_ascii_digit)
}

/// A payment-card word just before `at` (within 32 bytes), in the languages
/// covered.
fn card_word_before(hay: &[u8], at: usize) -> bool {
    let from = at.saturating_sub(32);
    let mut buf = [0u8; 32];
    let w = &mut buf[..at - from];
    w.copy_from_slice(&hay[from..at]);
    w.make_ascii_lowercase();
    w.split(|c| !c.is_ascii_alphanumeric()).any(|t| {
        matches!(
            t,
            b"card"
                | b"cards"
                | b"cc"
                | b"ccn"
                | b"creditcard"
                | b"debitcard"
                | b"visa"
                | b"mastercard"
                | b"amex"
                | b"maestro"
                | b"jcb"
                | b"unionpay"
                | b"diners"
                | b"karte"
                | b"kreditkarte"
                | b"tarjeta"
                | b"carte"
                | b"carta"
                | b"kaart"
                | b"creditcardnummer"
        )
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IdWord {
    Ssn,
    Bsn,
    Nhs,
    Sin,
    Imei,
    Cpr,
    Fnr,
    Itin,
    BeNn,
    AtSvnr,
    PtNif,
    SteuerId,
}

/// The identity-number words, in the order they decide when several stand
/// before a number (the first one listed wins).
const ID_WORDS: [IdWord; 12] = [
    IdWord::Itin,
    IdWord::Ssn,
    IdWord::Bsn,
    IdWord::Nhs,
    IdWord::Sin,
    IdWord::Imei,
    IdWord::Cpr,
    IdWord::BeNn,
    IdWord::AtSvnr,
    IdWord::PtNif,
    IdWord::Fnr,
    IdWord::SteuerId,
];

/// The identity-number word just before `at` (within 32 bytes), if any: a
/// whole word (`ssn`, `nhs`, ...) or a phrase anywhere in the window
/// (`social security`, `personnummer`, ...). One pass over the window; it runs
/// for every number candidate, so it reads each byte once rather than once
/// per word (`keyword_before_reference` in the tests is the plain version).
fn keyword_before(hay: &[u8], at: usize) -> Option<IdWord> {
    let from = at.saturating_sub(32);
    let mut buf = [0u8; 32];
    let w = &mut buf[..at - from];
    w.copy_from_slice(&hay[from..at]);
    w.make_ascii_lowercase();
    let w: &[u8] = w;
    // one bit per ID_WORDS entry
    let mut found = 0u16;
    let bit = |id: IdWord| 1u16 << ID_WORDS.iter().position(|&x| x == id).unwrap_or(0);
    for t in w.split(|c| !c.is_ascii_alphanumeric()) {
        let id = match t {
            b"itin" => IdWord::Itin,
            b"ssn" | b"tin" => IdWord::Ssn,
            b"bsn" | b"sofi" => IdWord::Bsn,
            b"nhs" => IdWord::Nhs,
            // French Canadian: numéro d'assurance sociale
            b"sin" | b"nas" => IdWord::Sin,
            b"imei" => IdWord::Imei,
            // Swedish `pnr` is a personnummer too (read as one, like `cpr`)
            b"cpr" | b"pnr" => IdWord::Cpr,
            b"idnr" | b"steuerid" => IdWord::SteuerId,
            b"insz" | b"niss" | b"rrn" => IdWord::BeNn,
            b"svnr" | b"vsnr" => IdWord::AtSvnr,
            b"nif" | b"nipc" => IdWord::PtNif,
            b"fnr" | b"personnr" => IdWord::Fnr,
            _ => continue,
        };
        found |= bit(id);
    }
    for i in 0..w.len() {
        let phrases: &[(&[u8], IdWord)] = match w[i] {
            b's' => &[
                (b"social security", IdWord::Ssn),
                (b"soc. sec", IdWord::Ssn),
                (b"soc sec", IdWord::Ssn),
                (b"social insurance", IdWord::Sin),
                (b"sozialversicherung", IdWord::AtSvnr),
                (b"sv-nr", IdWord::AtSvnr),
                (b"sv-nummer", IdWord::AtSvnr),
                (b"steuer-id", IdWord::SteuerId),
                (b"steuer id", IdWord::SteuerId),
                (b"steueridentifikation", IdWord::SteuerId),
                (b"steuer-identifikation", IdWord::SteuerId),
            ],
            b'b' => &[(b"burgerservice", IdWord::Bsn)],
            b'h' => &[(b"health service", IdWord::Nhs)],
            b'a' => &[(b"assurance sociale", IdWord::Sin)],
            b'p' => &[(b"personnummer", IdWord::Cpr)],
            b'i' => &[
                (b"individual taxpayer", IdWord::Itin),
                (b"identifikationsnummer", IdWord::SteuerId),
            ],
            b'c' => &[(b"cpr-nr", IdWord::Cpr), (b"contribuinte", IdWord::PtNif)],
            b'r' => &[(b"rijksregister", IdWord::BeNn), (b"registre national", IdWord::BeNn)],
            b'n' => &[
                (b"national number", IdWord::BeNn),
                (b"num\xc3\xa9ro national", IdWord::BeNn),
                (b"numero national", IdWord::BeNn),
            ],
            b'f' => &[(b"fodselsnummer", IdWord::Fnr), (b"f\xc3\xb8dselsnummer", IdWord::Fnr)],
            _ => continue,
        };
        for &(k, id) in phrases {
            if w[i..].starts_with(k) {
                found |= bit(id);
            }
        }
    }
    ID_WORDS.get(found.trailing_zeros() as usize).copied()
}

/// The end of a phone number's extension written after it at `z`
/// (` x123`, ` ext. 123`, `, extension 12`, `#12`), or `z` if there is none.
fn phone_extension(hay: &[u8], z: usize) -> usize {
    let at = |p: usize| hay.get(p).copied().unwrap_or(0);
    let mut p = z;
    if at(p) == b',' {
        p += 1;
    }
    while at(p) == b' ' && p - z < 3 {
        p += 1;
    }
    let rest = hay.get(p..).unwrap_or(&[]);
    let Some(w) = [&b"extension"[..], b"ext.", b"ext", b"x", b"#"]
        .into_iter()
        .find(|w| rest.len() > w.len() && rest[..w.len()].eq_ignore_ascii_case(w))
    else {
        return z;
    };
    p += w.len();
    if w.len() > 1 && at(p).is_ascii_alphabetic() {
        return z; // "extra", "extend", ...
    }
    // `x` and `#` take their digits directly; the words a space, dot or colon
    if w.len() > 1 {
        while matches!(at(p), b' ' | b'.' | b':') && p - z < 16 {
            p += 1;
        }
    }
    let d = hay
        .get(p..)
        .unwrap_or(&[])
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if (1..=6).contains(&d) && !is_word(at(p + d)) {
        p + d
    } else {
        z
    }
}

/// A phone word just before `at` (within 24 bytes), in the languages covered.
fn phone_word_before(hay: &[u8], at: usize) -> bool {
    let from = at.saturating_sub(24);
    let mut buf = [0u8; 24];
    let w = &mut buf[..at - from];
    w.copy_from_slice(&hay[from..at]);
    w.make_ascii_lowercase();
    w.split(|c| !c.is_ascii_alphanumeric()).any(|t| {
        matches!(
            t,
            b"tel"
                | b"phone"
                | b"telephone"
                | b"mobile"
                | b"cell"
                | b"fax"
                | b"call"
                | b"whatsapp"
                | b"telefon"
                | b"handy"
                | b"mobil"
                | b"telefono"
                | b"movil"
                | b"cellulare"
                | b"telefoon"
                | b"mobiel"
                | b"telefone"
                | b"telemovel"
                | b"portable"
                | b"gsm"
        )
    })
}

fn phone_international(d: &[u8]) -> bool {
    let l = d.len();
    if !(8..=15).contains(&l) || d[0] == b'0' {
        return false;
    }
    match (d[0], d.get(1).copied().unwrap_or(0)) {
        (b'1', _) => l == 11 && d[1] >= b'2',
        (b'4', b'4') => (11..=13).contains(&l),
        (b'4', b'9') => (9..=15).contains(&l),
        (b'3', b'3') => l == 11 && d[2] != b'0',
        (b'3', b'1') => l == 11,
        (b'3', b'4') => l == 11,
        (b'3', b'9') => (8..=13).contains(&l),
        _ => true,
    }
}

fn phone_national(win: &[Group], d: &[u8], trunk_removed: bool) -> bool {
    let l = d.len();
    let n = win.len();
    if trunk_removed {
        return false; // "(0)" only makes sense after a country code
    }
    if d[0] == b'0' {
        if d[1] == b'0' {
            return false;
        }
        return if n == 1 {
            // German mobiles (015x, 016x, 017x) have 12 digits written compact
            (10..=11).contains(&l) || (l == 12 && d[1] == b'1' && matches!(d[2], b'5'..=b'7'))
        } else {
            (9..=12).contains(&l)
        };
    }
    if n < 2 {
        return false;
    }
    let mut lb = [0usize; MAX_WINDOW];
    let lens = group_lens(win, &mut lb);
    // NANP: (212) 555-0123, 212-555-0123, 212.555.0123, 1-212-555-0123
    // area code 2-9; any exchange (555-123-4567 style numbers are common in real data)
    let nanp = |x: &[u8]| x.len() == 10 && x[0] >= b'2';
    if (l == 10 && nanp(d) && (lens == [3, 3, 4])) || (l == 11 && d[0] == b'1' && nanp(&d[1..]) && lens == [1, 3, 3, 4])
    {
        return true;
    }
    // ES: 612 345 678 / 91 123 45 67 ; IT mobile: 312 345 6789
    if l == 9 && matches!(d[0], b'6' | b'7' | b'8' | b'9') && matches!(lens, [3, 3, 3] | [3, 2, 2, 2] | [2, 3, 2, 2]) {
        return true;
    }
    if l == 10 && d[0] == b'3' && n >= 2 && lens[0] == 3 {
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    /// The plain version of `keyword_before`: one search per word.
    fn keyword_before_reference(hay: &[u8], at: usize) -> Option<IdWord> {
        let from = at.saturating_sub(32);
        let mut buf = [0u8; 32];
        let w = &mut buf[..at - from];
        w.copy_from_slice(&hay[from..at]);
        w.make_ascii_lowercase();
        let w: &[u8] = w;
        let has = |k: &[u8]| memchr::memmem::find(w, k).is_some();
        let word = |k: &[u8]| w.split(|c| !c.is_ascii_alphanumeric()).any(|t| t == k);
        if word(b"itin") || has(b"individual taxpayer") {
            Some(IdWord::Itin)
        } else if word(b"ssn") || word(b"tin") || has(b"social security") || has(b"soc. sec") || has(b"soc sec") {
            Some(IdWord::Ssn)
        } else if word(b"bsn") || word(b"sofi") || has(b"burgerservice") {
            Some(IdWord::Bsn)
        } else if word(b"nhs") || has(b"health service") {
            Some(IdWord::Nhs)
        } else if word(b"sin") || word(b"nas") || has(b"social insurance") || has(b"assurance sociale") {
            Some(IdWord::Sin)
        } else if word(b"imei") {
            Some(IdWord::Imei)
        } else if word(b"cpr") || word(b"pnr") || has(b"personnummer") || has(b"cpr-nr") {
            Some(IdWord::Cpr)
        } else if has(b"rijksregister")
            || has(b"registre national")
            || has(b"national number")
            || has(b"num\xc3\xa9ro national")
            || has(b"numero national")
            || word(b"insz")
            || word(b"niss")
            || word(b"rrn")
        {
            Some(IdWord::BeNn)
        } else if has(b"sozialversicherung") || word(b"svnr") || word(b"vsnr") || has(b"sv-nr") || has(b"sv-nummer") {
            Some(IdWord::AtSvnr)
        } else if word(b"nif") || word(b"nipc") || has(b"contribuinte") {
            Some(IdWord::PtNif)
        } else if has(b"fodselsnummer") || has(b"f\xc3\xb8dselsnummer") || word(b"fnr") || word(b"personnr") {
            Some(IdWord::Fnr)
        } else if word(b"idnr")
            || word(b"steuerid")
            || has(b"steuer-id")
            || has(b"steuer id")
            || has(b"steueridentifikation")
            || has(b"steuer-identifikation")
            || has(b"identifikationsnummer")
        {
            Some(IdWord::SteuerId)
        } else {
            None
        }
    }
    use super::*;

    /// [`compile`] and the shared built-in regexes ([`compile_builtins`]:
    /// each pattern parsed once) are what regex-automata's own builder
    /// ([`builder`]) builds: the same NFAs, byte classes, start states and
    /// configurations, forward and reverse; and a pattern it refuses is
    /// refused with its message.
    #[test]
    fn compiled_as_the_builder_does() {
        let patterns: Vec<&str> = crate::registry::scanners().iter().map(|s| s.pattern).collect();
        let (all, others) = compile_builtins(&patterns).unwrap();
        let n = patterns.len() - 1;
        let built = |p: &[&str], per: bool| format!("{:?}", builder(per).build_many(p).unwrap());
        assert_eq!(format!("{all:?}"), built(&patterns, true));
        assert_eq!(format!("{others:?}"), built(&patterns[..n], false));
        assert!(format!("{all:?}").len() > 10_000);
        let custom = [r"\bEMP-[0-9]{6}\b", r"(?i)ticket #[a-z]{2}[0-9]+", "x{3,5}y|z"];
        for per in [false, true] {
            assert_eq!(format!("{:?}", compile(&custom, per).unwrap()), built(&custom, per));
        }
        let long = "(?:[0-9a-f]{100}){5000}";
        for bad in [r"(?u:\b)x", "(", "a{2,1}", "[z-a]", r"\p{Greek}", long] {
            let lib = builder(false).build(bad).map(|_| ()).map_err(|e| e.to_string());
            assert!(lib.is_err(), "{bad}");
            assert_eq!(DetectorSet::check_pattern(bad), lib, "{bad}");
        }
    }

    /// Every file under `dir`, read whole (the case tables and test corpora).
    fn corpus_files(dir: &std::path::Path, out: &mut Vec<Vec<u8>>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                corpus_files(&p, out);
            } else if let Ok(b) = std::fs::read(&p) {
                out.push(b);
            }
        }
    }

    #[test]
    fn keyword_before_agrees_with_the_plain_version() {
        let pieces: &[&str] = &[
            "itin",
            "individual taxpayer",
            "ssn",
            "tin",
            "social security",
            "soc. sec",
            "soc sec",
            "bsn",
            "sofi",
            "burgerservice",
            "nhs",
            "sin",
            "social insurance",
            "assurance sociale",
            "imei",
            "cpr",
            "personnummer",
            "cpr-nr",
            "rijksregister",
            "registre national",
            "national number",
            "numéro national",
            "numero national",
            "insz",
            "niss",
            "rrn",
            "sozialversicherung",
            "svnr",
            "vsnr",
            "sv-nr",
            "sv-nummer",
            "nif",
            "nipc",
            "contribuinte",
            "fodselsnummer",
            "fødselsnummer",
            "fnr",
            "personnr",
            "nas",
            "pnr",
            "idnr",
            "steuerid",
            "steuer-id",
            "steuer id",
            "Steuer-IdNr",
            "steueridentifikation",
            "steuer-identifikation",
            "identifikationsnummer",
            "health service",
            "SSN",
            "Nhs",
            "Social Security",
            "FØDSELSNUMMER",
            "x",
            "7",
            " ",
            "-",
            ":",
            ".",
            "é",
            "\"",
            "phone",
            "card",
            "number",
            "social",
            "sec",
            "national",
            "soc",
            "sv",
            "nr",
        ];
        let mut checked = 0usize;
        // every position of the generated windows; in the corpora, where a
        // number starts (where the scanner asks)
        let mut same = |hay: &[u8], every: bool| {
            for at in 0..=hay.len() {
                if !every && !hay.get(at).is_some_and(u8::is_ascii_digit) {
                    continue;
                }
                assert_eq!(
                    keyword_before(hay, at),
                    keyword_before_reference(hay, at),
                    "{:?} at {at}",
                    String::from_utf8_lossy(hay)
                );
                checked += 1;
            }
        };
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut s = String::new();
            for k in 0..(x % 7) {
                s.push_str(pieces[((x >> (8 * k + 3)) % pieces.len() as u64) as usize]);
            }
            same(s.as_bytes(), true);
        }
        let mut files = Vec::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
        corpus_files(&root.join("cases"), &mut files);
        corpus_files(&root.join("data"), &mut files);
        assert!(files.len() > 10, "the case tables and corpora were not found");
        for f in &files {
            same(f, false);
        }
        assert!(checked > 200_000, "{checked}");
    }

    /// The built-in detectors, compiled once per test thread (the
    /// property tests would otherwise compile them for every case).
    fn set() -> &'static DetectorSet {
        thread_local! {
            static SET: &'static DetectorSet = match DetectorSet::new(&[]) {
                Ok(s) => Box::leak(Box::new(s)),
                Err(e) => panic!("{e:?}"),
            };
        }
        SET.with(|s| *s)
    }

    fn found(text: &str) -> Vec<(String, String)> {
        let s = set();
        let mut out = Vec::new();
        s.scan(text.as_bytes(), &mut Scratch::default(), &mut out);
        out.iter()
            .map(|m| (s.info[m.detector as usize].id.clone(), text[m.start..m.end].to_string()))
            .collect()
    }

    /// What the automaton and the validators find with no prefilter.
    fn unfiltered(s: &DetectorSet, text: &[u8]) -> usize {
        let norm = normalize(text);
        let mut n = 0;
        s.scan_builtin(&norm.text, &mut Scratch::default(), &mut |_, _, _| n += 1);
        n
    }

    const PIECES: &[&str] = &[
        "0",
        "1",
        "2",
        "4",
        "5",
        "7",
        "9",
        "00",
        "12",
        "44",
        "85",
        "123",
        "2026",
        "4111",
        "1111",
        "0958",
        "7946",
        "536225438",
        "86095742719",
        "44051401359",
        "111222333",
        "12345678",
        "1234567",
        "4111111111111111",
        " ",
        " ",
        "-",
        ".",
        "/",
        "(",
        ")",
        "+",
        ":",
        "::",
        "_",
        ",",
        "\"",
        "'",
        "@",
        "T",
        "Z",
        "X",
        "L",
        "A",
        "B",
        "C",
        "a",
        "e",
        "f",
        "x",
        "DE",
        "GB",
        "AB",
        "gb",
        "ssn ",
        "BSN ",
        "tin: ",
        "RSSMRA",
        "MRA",
        "ffff",
        "db8",
        "fe80",
        "2A",
        "é",
        "\u{ff10}",
        "\u{a0}",
        "\u{2011}",
        "eyJ",
        "AKIA",
        "bearer ",
        "-----BEGIN",
        "Q",
        "SKU-",
        "ATU",
        "DK",
        "ES",
        "MAC:",
        "1a",
        "0x",
        "bc1",
        "://",
        "u:p",
        "TW",
    ];

    const FOUND: &[&str] = &[
        "jane.doe+x@example.co.uk",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "3782 822463 10005",
        "DE89 3704 0044 0532 0130 00",
        "gb82 west 1234 5698 7654 32",
        "FR14 2004 1010 0505 0001 3M02 606",
        "123-45-6789",
        "ssn 536225438",
        "192.168.10.20",
        "2001:db8:85a3::8a2e:370:7334",
        "::ffff:192.0.2.33",
        "fe80:0:0:0:204:61ff:fe9d:f156",
        "(555) 123-4567",
        "+1-212-555-0123",
        "+44 7911 123456",
        "AB 12 34 56 C",
        "86095742719",
        "1 84 12 76 451 089 46",
        "1 84 05 2A 123 456 82",
        "BSN 111222333",
        "1112.22.333",
        "RSSMRA85T10A562S",
        "12345678Z",
        "X1234567L",
        "44051401359",
        "+49 (0)30 1234 5678",
        "0049 30 12345678",
        "212.555.0123",
        "020 7946 0958",
        "+33 6 12 34 56 78",
        "06 12 34 56 78",
        "+12125550123",
        "MAC:00:1A:2B:3C:4D:5E",
        "0d-B3-4a-6A-d9-cF",
        "aabb.ccdd.eeff",
        "16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "https://jane:Tr0ub4dor@example.org/x",
        "ATU10223006",
        "DK 13585628",
        "ESA28015865",
        "DE 136 695 976",
        "1234567FA",
        "85.07.30-033.28",
        "1237 010180",
        "756.9217.0769.85",
        "911-70-1234",
        "passport no. C01X00T47",
        "tel 49 30 12345678",
        "415-555-2671 ext. 123",
        "FR7630006000011234567890189",
        "A::",
        "1::8",
    ];

    /// A wallet address right after a number and a gap (`0 1…`, `5 0x…`):
    /// the gate once skipped the run of digit groups as a whole and never
    /// looked at the address's own start (found by `prefilter_is_sound`).
    #[test]
    fn wallet_after_a_number_passes_the_gate() {
        let s = set();
        for t in [
            "0 16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ",
            "send 0.5 1BoatSLRHtKNngkdXEeobR76b53LETtpyT now",
            "12-3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            // (an EIP-55 checksummed address: the all-caps one this row had,
            // unchecksummed and without a wallet word, was found only as
            // the 17 digits after `0x`, a card under the broad Maestro rule)
            "5 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        ] {
            assert!(s.might_match_builtin(t.as_bytes()), "gate drops {t:?}");
            assert!(!found(t).is_empty(), "nothing found in {t:?}");
        }
    }

    #[test]
    fn prefilter_passes_every_known_value() {
        let s = set();
        for v in FOUND {
            for t in [v.to_string(), format!("x {v} y"), format!("\"{v}\""), format!("T{v}Z")] {
                if unfiltered(s, t.as_bytes()) > 0 {
                    assert!(
                        s.might_match_builtin(&normalize(t.as_bytes()).text),
                        "prefilter drops {t:?}"
                    );
                }
            }
            assert!(unfiltered(s, v.as_bytes()) > 0, "{v} is found");
        }
    }

    /// Every literal the registry names for a token detector opens the
    /// keyword gate, in any case the pattern accepts (a keyword the gate
    /// does not know fails here, not silently in the prefilter).
    #[test]
    fn keyword_gate_knows_every_registry_keyword() {
        let others = Gate::new(&other_keywords());
        let mut n = 0;
        for sc in crate::registry::scanners() {
            for k in sc.keywords {
                n += 1;
                let k = k.trim_end();
                for t in [format!("x {k} AbCdEf12:345678xyz"), format!("{k}\tAbCdEf12:345678xyz")] {
                    assert!(keyword_shapes(t.as_bytes(), &others), "{t:?}");
                    // the auth words and the generic literals are matched in
                    // any case; `eyJ`, `-----BEGIN`, `-u` and the AWS prefixes as written
                    if AUTH_WORDS.contains(&k.as_bytes()) || other_keywords().contains(&k.as_bytes()) {
                        assert!(keyword_shapes(t.to_uppercase().as_bytes(), &others), "{t:?}");
                        let mixed: String = t
                            .chars()
                            .enumerate()
                            .map(|(i, c)| {
                                if i % 2 == 0 {
                                    c.to_ascii_uppercase()
                                } else {
                                    c.to_ascii_lowercase()
                                }
                            })
                            .collect();
                        assert!(keyword_shapes(mixed.as_bytes(), &others), "{mixed:?}");
                    }
                }
            }
        }
        assert!(n >= 10, "the registry's keywords are read");
        assert!(!keyword_shapes(
            b"The quick brown fox jumps over the lazy dog, 42 times. Basically tokens.",
            &others
        ));
    }

    /// Every value detector of the registry has a positive example here, so
    /// that the prefilter is checked against it: a new detector without one
    /// fails this test.
    #[test]
    fn every_value_detector_has_a_positive() {
        for spec in crate::registry::SPECS {
            let prose = matches!(spec.id, "name_text" | "address_text" | "birth_date_text");
            if spec.field.is_some() || prose {
                continue;
            }
            assert!(
                POSITIVES.iter().chain(MORE_POSITIVES).any(|(_, id)| *id == spec.id),
                "no positive example of {}",
                spec.id
            );
        }
    }

    /// Every positive example passes the prefilter as a whole value, and
    /// inside text (the prefilter is the first thing that can lose one).
    #[test]
    fn prefilter_passes_every_positive() {
        let s = set();
        for (text, id) in POSITIVES.iter().chain(MORE_POSITIVES) {
            for t in [text.to_string(), format!("see {text}."), format!("\"{text}\"")] {
                assert!(
                    s.might_match_builtin(&normalize(t.as_bytes()).text),
                    "{id}: prefilter drops {t:?}"
                );
            }
        }
    }

    /// The text of generated `parts`: indices into `PIECES`, then `FOUND`.
    fn pieces_text(parts: &[usize]) -> String {
        parts
            .iter()
            .map(|&i| {
                if i < PIECES.len() {
                    PIECES[i]
                } else {
                    FOUND[i - PIECES.len()]
                }
            })
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// Soundness: whatever the automaton and validators find, the
        /// prefilter lets through.
        #[test]
        fn prefilter_is_sound(parts in proptest::collection::vec(0..PIECES.len() + FOUND.len(), 1..24)) {
            let s = set();
            let text = pieces_text(&parts);
            let norm = normalize(text.as_bytes());
            if unfiltered(s, text.as_bytes()) > 0 {
                proptest::prop_assert!(s.might_match_builtin(&norm.text), "prefilter drops {:?}", text);
            }
        }

        /// The byte-class gate answers as the gate it replaced, on the
        /// same generated texts.
        #[test]
        fn gate_answers_as_the_reference(parts in proptest::collection::vec(0..PIECES.len() + FOUND.len(), 1..24)) {
            let s = set();
            let text = pieces_text(&parts);
            let norm = normalize(text.as_bytes());
            proptest::prop_assert_eq!(s.might_match_builtin(&norm.text), reference_gate(&norm.text, &other_keywords()), "{:?}", text);
        }
    }

    /// The prefilter as it was before the byte-class gate (one `memchr`
    /// or `memmem` pass per shape and per keyword group): the gate must
    /// answer exactly as it does.
    fn reference_gate(hay: &[u8], keywords: &[&'static [u8]]) -> bool {
        use memchr::memmem;
        if hay.len() < 3 {
            return false;
        }
        let mac = memchr::memchr3_iter(b':', b'-', b'.', hay).any(|p| {
            let hex = |a: usize, n: usize| hay.get(a..a + n).is_some_and(|x| x.iter().all(u8::is_ascii_hexdigit));
            let sep = hay[p];
            let (a, n, k) = if sep == b'.' {
                (p.wrapping_sub(4), 4, 3)
            } else {
                (p.wrapping_sub(2), 2, 6)
            };
            p >= n && hex(a, n) && (1..k).all(|j| hay.get(a + j * (n + 1) - 1) == Some(&sep) && hex(a + j * (n + 1), n))
        });
        let shapes = numeric_or_word_shapes_reference(hay, true)
            || (memchr::memchr_iter(b':', hay).nth(1).is_some() && ipv6_shape(hay))
            || mac;
        if shapes {
            return true;
        }
        if memmem::find(hay, b"eyJ").is_some() || memmem::find(hay, b"-----BEGIN").is_some() {
            return true;
        }
        if memmem::find(hay, b"-u").is_some() && memchr::memchr(b':', hay).is_some() {
            return true;
        }
        let aws = memchr::memchr_iter(b'A', hay).any(|i| {
            hay.get(i..i + 4)
                .is_some_and(|p| crate::registry::AWS_PREFIXES.iter().any(|k| k.as_bytes() == p))
        });
        aws || memchr::memchr2_iter(b' ', b'\t', hay).any(|p| auth_word_before(hay, p)) || {
            let low = hay.to_ascii_lowercase();
            keywords
                .iter()
                .any(|k| memmem::find(&low, &k.to_ascii_lowercase()).is_some())
        }
    }

    /// [`numeric_or_word_shapes`] as it was before bytes that start nothing
    /// were skipped: the reference [`reference_gate`] reads shapes with.
    #[allow(clippy::too_many_lines)]
    fn numeric_or_word_shapes_reference(hay: &[u8], cf: bool) -> bool {
        let n = hay.len();
        let letter = |k: usize| hay.get(k).is_some_and(|c| c.is_ascii_alphabetic());
        let mut i = 0;
        while i < n {
            let c = hay[i];
            let prev = if i > 0 { hay[i - 1] } else { b' ' };
            if c.is_ascii_digit() {
                if !is_word(prev) && crypto_shape(hay, i) {
                    return true;
                }
                let start = i;
                let (mut digits, mut groups, mut dots) = (0usize, 0usize, 0usize);
                // digits in the run's last group
                let mut last: usize;
                let mut lens = [0usize; 3];
                let mut gaps_date = true;
                let mut j = i;
                loop {
                    let g = j;
                    // a wallet address at a later group of the run (`0 1BoatSL…`,
                    // `5 0x52908…`): the run is skipped as a whole below, so its
                    // groups are not visited by the outer loop (found by
                    // `prefilter_is_sound`)
                    if g > start && !is_word(hay[g - 1]) && crypto_shape(hay, g) {
                        return true;
                    }
                    while j < n && hay[j].is_ascii_digit() {
                        j += 1;
                    }
                    if groups < 3 {
                        lens[groups] = j - g;
                    }
                    last = j - g;
                    groups += 1;
                    digits += j - g;
                    let mut k = j;
                    while k < n
                        && k - j < 5
                        && (matches!(hay[k], b' ' | b'.' | b'-' | b'/' | b'(' | b')' | b'\t' | b'_' | b',')
                            || crate::normalize::space_control(hay[k]))
                    {
                        k += 1;
                    }
                    if k > j && k - j <= 4 && k < n && hay[k].is_ascii_digit() {
                        let gap = &hay[j..k];
                        dots += gap.iter().filter(|&&c| c == b'.').count();
                        gaps_date &= gap.len() == 1 && matches!(gap[0], b'-' | b'.' | b'/');
                        j = k;
                        continue;
                    }
                    break;
                }
                let end = j;
                // IBAN: two letters and two digits at a word start
                if start >= 2
                    && lens[0] >= 2
                    && letter(start - 1)
                    && letter(start - 2)
                    && (start == 2 || !is_word(hay[start - 3]))
                    && v::iban_length(&[hay[start - 2].to_ascii_uppercase(), hay[start - 1].to_ascii_uppercase()])
                        .is_some()
                    && digits
                        >= iban_head_digits(&[hay[start - 2].to_ascii_uppercase(), hay[start - 1].to_ascii_uppercase()])
                {
                    return true;
                }
                // IBAN with a space after the country code ("DE 89 3704 ...")
                if start >= 3
                    && lens[0] >= 2
                    && prev == b' '
                    && letter(start - 2)
                    && letter(start - 3)
                    && (start == 3 || !is_word(hay[start - 4]))
                    && v::iban_length(&[hay[start - 3].to_ascii_uppercase(), hay[start - 2].to_ascii_uppercase()])
                        .is_some()
                    && digits
                        >= iban_head_digits(&[hay[start - 3].to_ascii_uppercase(), hay[start - 2].to_ascii_uppercase()])
                {
                    return true;
                }
                // Finnish henkilötunnus with a letter century sign: DDMMYY A NNN K
                if digits == 6
                    && groups == 1
                    && matches!(
                        hay.get(end),
                        Some(b'A'..=b'F' | b'U'..=b'Y' | b'a'..=b'f' | b'u'..=b'y')
                    )
                    && hay
                        .get(end + 1..end + 4)
                        .is_some_and(|t| t.iter().all(u8::is_ascii_digit))
                {
                    return true;
                }
                if dots >= 3 {
                    return true;
                }
                // NINO: two letters at a word start, then six digits
                let p = if start > 0 && matches!(prev, b' ' | b'-') {
                    start - 1
                } else {
                    start
                };
                let nino_before = p >= 2 && letter(p - 1) && letter(p - 2) && (p == 2 || !is_word(hay[p - 3]));
                let q = if matches!(hay.get(end), Some(b' ' | b'-')) {
                    end + 1
                } else {
                    end
                };
                let nino_after = matches!(hay.get(q), Some(b'A'..=b'D' | b'a'..=b'd'))
                    && !hay.get(q + 1).is_some_and(|&c| is_word(c));
                if digits == 6 && nino_before && nino_after {
                    return true;
                }
                if digits >= 7 {
                    let date = groups == 3 && gaps_date && date_like(hay, start, &lens);
                    // 7-8 digits: only a `+` phone or a DNI (the other numbers are longer)
                    let short = digits <= 8 && {
                        let next = hay.get(end).copied().unwrap_or(b' ');
                        // the letter ends a word (`[A-Za-z]\b`), or IE PPS's two
                        // letters do (`[A-W][ABHW]?\b`): not `4785799eecb0`
                        let ends = |k: usize| !hay.get(k).is_some_and(|&c| is_word(c));
                        let id_letter = |q: usize| {
                            letter(q)
                                && (ends(q + 1)
                                    || (matches!(hay.get(q + 1), Some(b'A' | b'B' | b'H' | b'W')) && ends(q + 2)))
                        };
                        let dni_after = id_letter(end) || (matches!(next, b' ' | b'-') && id_letter(end + 1));
                        let nie = |c: u8| matches!(c.to_ascii_uppercase(), b'X' | b'Y' | b'Z' | b'K' | b'L' | b'M');
                        let dni_before =
                            nie(prev) || (matches!(prev, b' ' | b'-') && start >= 2 && nie(hay[start - 2]));
                        let plus = prev == b'+' || (prev == b'(' && start >= 2 && hay[start - 2] == b'+');
                        // DNI: 8 digits and a letter, or X/Y/Z, 7 digits and a letter
                        // (or a DNI written without its leading zero: 7 digits and a
                        // letter); IE PPS: 7 digits and a letter. Those digits are
                        // the run's last group, whatever comes before it (`0-1234567FA`:
                        // the gate asked for one group and dropped it)
                        let dni = dni_after && (last >= 7 || dni_before);
                        // Corsican NIR: the 8 digits after `2A`/`2B`
                        let a = if start > 0 && prev == b' ' { start - 1 } else { start };
                        let nir = a >= 2 && matches!(hay[a - 1], b'A' | b'B' | b'a' | b'b') && hay[a - 2] == b'2';
                        // a phone after its word
                        !(plus || dni || nir || (!date && phone_word_before(hay, start)))
                    };
                    // VAT numbers of 7 or 8 digits (ATU, DK, FI, ES): after
                    // their country prefix, dates included (`DK 11.01.2000`)
                    if (!date && !short) || vat_before(hay, start) {
                        return true;
                    }
                }
                i = end.max(i + 1);
                continue;
            }
            if c == b'@' || (cf && c.is_ascii_alphabetic() && !is_word(prev) && cf_shape(hay, i)) {
                return true;
            }
            i += 1;
        }
        false
    }

    #[test]
    fn word_table() {
        for c in 0..=255u8 {
            assert_eq!(is_word(c), c.is_ascii_alphanumeric() || c == b'_', "{c}");
        }
    }

    /// [`numeric_or_word_shapes`] answers as its reference on every corpus
    /// string and each of its windows (from word starts and from every
    /// byte), the known values and the shaped values, with and without the
    /// codice fiscale.
    #[test]
    fn shapes_agree_with_the_reference() {
        let mut texts: Vec<String> = crate::normalize::corpus::all();
        texts.extend(FOUND.iter().chain(PIECES).map(|v| v.to_string()));
        texts.extend(POSITIVES.iter().chain(MORE_POSITIVES).map(|(v, _)| v.to_string()));
        texts.extend(
            [
                "RSSMRALTMLMALMNS",
                "x RSSMRALTMLMALMNS.",
                "xRSSMRALTMLMALMNS",
                "a@b",
                "x_RSSMRALTMLMALMNS",
                // wallet addresses at a digit run (`crypto_shape`'s first test)
                "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
                "pay 1BoatSLRHtKNngkdXEeobR76b53LETtpyT now",
                "0x52908400098527886E0F7030069857D2E4169EE7",
            ]
            .map(String::from),
        );
        let (mut yes, mut no) = (0, 0);
        for t in &texts {
            let hay = t.as_bytes();
            let windows = (0..hay.len()).flat_map(|i| {
                [3, 8, 16, 17, 26, 40]
                    .into_iter()
                    .filter_map(move |n| hay.get(i..i + n))
            });
            for w in std::iter::once(hay).chain(windows) {
                for cf in [false, true] {
                    let want = numeric_or_word_shapes_reference(w, cf);
                    assert_eq!(
                        numeric_or_word_shapes(w, cf),
                        want,
                        "{:?} cf {cf}",
                        String::from_utf8_lossy(w)
                    );
                    if want {
                        yes += 1;
                    } else {
                        no += 1;
                    }
                }
            }
        }
        assert!(yes > 10_000 && no > 10_000, "{yes} open, {no} closed");
    }

    proptest::proptest! {
        /// The same on shaped values with personal values spliced in.
        #[test]
        fn shapes_agree_with_the_reference_on_shaped_values(
            kind in 0..6usize,
            nib in proptest::collection::vec(0u8..=255, 32),
            piece in proptest::option::of(0..FOUND.len() + SHAPED_PIECES.len()),
            at in 0usize..64,
            sep in 0usize..8,
            wide in 0u8..4,
        ) {
            let v = shaped_value(kind, &nib, piece, at, sep, wide);
            let n = crate::normalize::normalize(v.as_bytes());
            for w in [v.as_bytes(), &n.text[..]] {
                for cf in [false, true] {
                    proptest::prop_assert_eq!(numeric_or_word_shapes(w, cf), numeric_or_word_shapes_reference(w, cf), "{:?}", v);
                }
            }
        }
    }

    /// The gate answers as [`reference_gate`] on every string of the
    /// corpora and on windows of them (the lengths where its conditions
    /// change: 3, 14, 16, 26 bytes), and on the examples here.
    #[test]
    fn gate_answers_as_the_reference_on_corpora() {
        let s = set();
        let kws = other_keywords();
        let mut texts: Vec<String> = crate::normalize::corpus::all();
        texts.extend(FOUND.iter().chain(PIECES).map(|v| v.to_string()));
        texts.extend(POSITIVES.iter().chain(MORE_POSITIVES).map(|(v, _)| v.to_string()));
        // shapes without a digit: a codice fiscale in omocodia letters (16
        // bytes), a MAC address of hex letters (14 bytes)
        texts.extend(
            [
                "RSSMRALTMLMALMNS",
                "x RSSMRALTMLMALMNS.",
                "aabb.ccdd.eeff",
                "abcd.efab.cdef",
                // keyword values shorter than 15 bytes
                "passport X1234",
                "id card AB123",
                "Passnr:X1234",
                "-u a:b",
                "bc1qar0srrr7xfk",
            ]
            .map(String::from),
        );
        let (mut open, mut closed) = (0, 0);
        for t in &texts {
            let norm = normalize(t.as_bytes());
            let hay: &[u8] = &norm.text;
            let starts = (0..hay.len()).filter(|&i| i == 0 || !hay[i - 1].is_ascii_alphanumeric());
            let windows = starts.flat_map(|i| {
                [3, 6, 12, 13, 14, 15, 16, 17, 25, 26, 48]
                    .into_iter()
                    .filter_map(move |n| hay.get(i..i + n))
            });
            for w in std::iter::once(hay).chain(windows) {
                let r = reference_gate(w, &kws);
                assert_eq!(s.might_match_builtin(w), r, "{:?}", String::from_utf8_lossy(w));
                if r {
                    open += 1;
                } else {
                    closed += 1;
                }
            }
        }
        assert!(
            open > 1000 && closed > 1000,
            "both answers are tested ({open} open, {closed} closed)"
        );
    }

    /// Values of 64 KiB or more are counted in chunks ([`Gate::classes`]):
    /// the gate answers as the reference on a long clean text with each
    /// example value, or none, at its end.
    #[test]
    fn gate_answers_as_the_reference_on_long_values() {
        let s = set();
        let kws = other_keywords();
        let filler = "The quick brown fox jumps. ".repeat(2500);
        let extra = ["", "RSSMRALTMLMALMNS", "aabb.ccdd.eeff", "::", "a::", "1.2.3.4", "x@y"];
        let mut open = 0;
        for v in FOUND.iter().chain(PIECES).chain(&extra) {
            let t = format!("{filler}{v}");
            let r = reference_gate(t.as_bytes(), &kws);
            assert_eq!(s.might_match_builtin(t.as_bytes()), r, "{v:?}");
            open += usize::from(r);
        }
        assert!(
            open > 50 && !reference_gate(filler.as_bytes(), &kws),
            "both answers are tested"
        );
    }

    /// EU VAT numbers of 7-8 digits after their prefix and a separator,
    /// or written like a date: the automaton finds them, so the gate lets
    /// them through (it asked for two letters right before the digits:
    /// `DK-13585628` alone was dropped, and dates never passed).
    #[test]
    fn vat_after_its_prefix_passes_the_gate() {
        let s = set();
        for t in [
            "DK-13585628",
            "DK.13585628",
            "FI-20774740",
            "ES-A12345674",
            "ES A12345674",
            "DK 11.01.2000",
            "DK 2000-01-04",
            "DK2000.01.04",
            "ATU10223006",
        ] {
            assert!(unfiltered(s, t.as_bytes()) > 0, "{t:?} is a VAT number");
            assert!(s.might_match_builtin(t.as_bytes()), "gate drops {t:?}");
            assert!(found(t).iter().any(|(id, _)| id == "eu_vat"), "{t:?}");
        }
        // the prefix is case-sensitive, as the pattern is: hex before a
        // number (`8ff34785-799e`, a UUID's groups) is no VAT prefix
        for t in ["8ff34785-799e", "dk-13585628", "xy12345678"] {
            assert!(!s.might_match_builtin(t.as_bytes()), "gate passes {t:?}");
        }
    }

    /// A DNI or IE PPS number (7-8 digits and a letter) after a short
    /// number and a gap: its digits are the last group of the run the gate
    /// reads, not the only one (found by `gate_is_sound_on_shaped_values`:
    /// the gate asked for a run of one group and dropped these).
    #[test]
    fn id_letter_after_a_short_number_passes_the_gate() {
        let s = set();
        for t in [
            "0-1234567FA",
            "5 1234567T",
            "2026-00-00T00:0-1234567FA-0:00Z",
            "1 12345678Z",
        ] {
            assert!(unfiltered(s, t.as_bytes()) > 0, "{t:?} holds an id");
            assert!(s.might_match_builtin(t.as_bytes()), "gate drops {t:?}");
        }
    }

    /// Values in the shapes of clean JSON (UUIDs, SKUs, timestamps,
    /// prices, words, numbers after a country code), some with digits
    /// only, with a known value spliced in at any offset with a
    /// separator, ASCII or full-width digits: whatever the automaton and
    /// validators find, the gate lets through (an attacker who knows which
    /// shapes the gate skips writes a card or a VAT number in them).
    fn shaped_value(kind: usize, nib: &[u8], piece: Option<usize>, at: usize, sep: usize, wide: u8) -> String {
        const SEPS: &[&str] = &["", "-", " ", ".", "_", "/", ":", "T"];
        const PREFIXES: &[&str] = &["DK", "ATU", "ES", "ESX", "FI", "+", "2A", "SKU-", "DE ", "ES-", "FI."];
        let h = |i: usize| b"0123456789abcdef"[usize::from(nib[i % nib.len()] & 15)] as char;
        let d = |i: usize| char::from(b'0' + nib[i % nib.len()] % 10);
        let hex = |a: usize, n: usize, digits: bool| -> String {
            (a..a + n).map(|i| if digits { d(i) } else { h(i) }).collect()
        };
        let digits = nib[0] & 1 == 1;
        let mut v = match kind {
            0 => format!(
                "{}-{}-4{}-a{}-{}",
                hex(0, 8, digits),
                hex(8, 4, digits),
                hex(12, 3, digits),
                hex(15, 3, digits),
                hex(18, 12, digits)
            ),
            1 => format!("SKU-{}", hex(0, 8, true)),
            2 => format!(
                "2026-{}{}-{}{}T{}{}:{}{}:{}{}Z",
                d(0) as u8 % 2,
                d(1),
                d(2) as u8 % 3,
                d(3),
                d(4) as u8 % 2,
                d(5),
                d(6) as u8 % 6,
                d(7),
                d(8) as u8 % 6,
                d(9)
            ),
            3 => format!("{}.{}", hex(0, 3, true), hex(3, 2, true)),
            4 => ["sturdy blue box", "widget ships for", "garden in everyday"][usize::from(nib[1]) % 3].to_string(),
            _ => {
                let p = PREFIXES[usize::from(nib[1]) % PREFIXES.len()];
                let g = usize::from(nib[2]) % 3;
                match g {
                    0 => format!("{p}{}", hex(0, 7 + usize::from(nib[3] & 1), true)),
                    1 => format!("{p}{}.{}.{}", hex(0, 2, true), hex(2, 2, true), hex(4, 4, true)),
                    _ => format!("{p}{}-{}-{}", hex(0, 4, true), hex(4, 2, true), hex(6, 2, true)),
                }
            }
        };
        if let Some(k) = piece {
            let s = SEPS[sep % SEPS.len()];
            let p = if k < FOUND.len() {
                FOUND[k]
            } else {
                SHAPED_PIECES[(k - FOUND.len()) % SHAPED_PIECES.len()]
            };
            let at = at % (v.len() + 1);
            v = format!("{}{s}{p}{s}{}", &v[..at], &v[at..]);
        }
        match wide {
            // full-width digits (the normaliser folds them)
            1 => v
                .chars()
                .map(|c| {
                    if c.is_ascii_digit() {
                        char::from_u32(0xFF10 + (c as u32 - 48)).unwrap_or(c)
                    } else {
                        c
                    }
                })
                .collect(),
            // Arabic-Indic digits
            2 => v
                .chars()
                .map(|c| {
                    if c.is_ascii_digit() {
                        char::from_u32(0x0660 + (c as u32 - 48)).unwrap_or(c)
                    } else {
                        c
                    }
                })
                .collect(),
            _ => v,
        }
    }

    /// Values the shaped proptest splices in besides [`FOUND`]: VAT
    /// numbers through a separator or as a date, cards and phones in UUID
    /// and SKU shapes, DNI/IE PPS with a lower-case letter.
    const SHAPED_PIECES: &[&str] = &[
        "DK-13585628",
        "FI 20774740",
        "DK 11.01.2000",
        "ES-A12345674",
        "ATU10223006",
        "41111111-1111-1111-1111-111111111111",
        "4111-1111-1111-1111",
        "5555555555554444",
        "12345678z",
        "1234567t",
        "+12-11-2020",
        "+44-20-7946-0958",
        "020-7946-0958",
        "0049-30-12345678",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1500))]
        #[test]
        fn gate_is_sound_on_shaped_values(
            kind in 0..6usize,
            nib in proptest::collection::vec(0u8..=255, 32),
            piece in proptest::option::of(0..FOUND.len() + SHAPED_PIECES.len()),
            at in 0usize..64,
            sep in 0usize..8,
            wide in 0u8..4,
        ) {
            let s = set();
            let text = shaped_value(kind, &nib, piece, at, sep, wide);
            if unfiltered(s, text.as_bytes()) > 0 {
                let norm = normalize(text.as_bytes());
                proptest::prop_assert!(s.might_match_builtin(&norm.text), "gate drops {:?}", text);
            }
        }
    }

    /// The shaped generator reaches both answers, and the clean shapes
    /// (without a spliced value) are mostly closed by the gate.
    #[test]
    fn shaped_values_reach_both_answers() {
        let s = set();
        let (mut open, mut found_n, mut closed) = (0, 0, 0);
        for i in 0..600u32 {
            let nib: Vec<u8> = (0..32u32)
                .map(|k| (i.wrapping_mul(2654435761).rotate_left(k) >> 3) as u8)
                .collect();
            let piece = (i % 3 != 0).then_some(i as usize % (FOUND.len() + SHAPED_PIECES.len()));
            let t = shaped_value(i as usize % 6, &nib, piece, i as usize, i as usize, (i % 4) as u8);
            let norm = normalize(t.as_bytes());
            if s.might_match_builtin(&norm.text) {
                open += 1;
            } else {
                closed += 1;
            }
            found_n += usize::from(unfiltered(s, t.as_bytes()) > 0);
        }
        assert!(
            open > 100 && closed > 100 && found_n > 100,
            "{open} open, {closed} closed, {found_n} found"
        );
    }

    /// [`ipv6_shape`] as it was: every byte looked at as a possible start.
    fn ipv6_shape_reference(hay: &[u8]) -> bool {
        let n = hay.len();
        let mut i = 0;
        while i < n {
            let c = hay[i];
            let prev = if i > 0 { hay[i - 1] } else { b' ' };
            if (c == b':' || c.is_ascii_hexdigit()) && !prev.is_ascii_alphanumeric() && prev != b':' {
                let mut colons = 0;
                let mut k = i;
                while k < n && (hay[k] == b':' || hay[k].is_ascii_hexdigit()) {
                    colons += (hay[k] == b':') as usize;
                    k += 1;
                }
                if colons >= 2 {
                    return true;
                }
                i = k.max(i + 1);
                continue;
            }
            i += 1;
        }
        false
    }

    /// The date test of the numeric shapes as it was: the groups split
    /// out into a `Vec`.
    fn date_like_reference(run: &[u8], lens: &[usize; 3]) -> bool {
        let g: Vec<&[u8]> = run.split(|c| !c.is_ascii_digit()).collect();
        let (y, m, d) = match (lens[0], lens[1], lens[2]) {
            (4, 1..=2, 1..=2) => (num(g[0]), num(g[1]), num(g[2])),
            (1..=2, 1..=2, 4) => (num(g[2]), num(g[1]), num(g[0])),
            _ => (0, 0, 0),
        };
        (1800..=2200).contains(&y)
            && ((1..=12).contains(&m) && (1..=31).contains(&d) || (1..=12).contains(&d) && (1..=31).contains(&m))
    }

    #[test]
    fn ipv6_shape_agrees_with_the_byte_walk_on_corpora() {
        let mut texts: Vec<String> = crate::normalize::corpus::all();
        texts.extend(FOUND.iter().chain(PIECES).chain(SHAPED_PIECES).map(|v| v.to_string()));
        let (mut open, mut closed) = (0, 0);
        for t in &texts {
            let hay = normalize(t.as_bytes()).text.to_vec();
            // every suffix: the runs at the very start of a value
            for a in 0..hay.len().min(64) {
                let w = &hay[a..];
                let r = ipv6_shape_reference(w);
                assert_eq!(ipv6_shape(w), r, "{:?}", String::from_utf8_lossy(w));
                if r {
                    open += 1;
                } else {
                    closed += 1;
                }
            }
        }
        assert!(open > 100 && closed > 1000, "{open} open, {closed} closed");
    }

    #[test]
    fn date_like_agrees_with_split() {
        for y in [1799u32, 1800, 2026, 2200, 2201, 999, 12] {
            for m in [0u32, 1, 9, 12, 13, 31, 32] {
                for d in [0u32, 1, 12, 28, 31, 32] {
                    for sep in ['-', '.', '/'] {
                        for (a, b, c) in [(y, m, d), (d, m, y), (m, d, y)] {
                            for wa in [1usize, 2, 4] {
                                for wc in [1usize, 2, 4] {
                                    let run = format!("{a:0wa$}{sep}{b:02}{sep}{c:0wc$}");
                                    let lens: Vec<usize> = run.split(sep).map(str::len).collect();
                                    let lens = [lens[0], lens[1], lens[2]];
                                    let hay = format!("x {run} y");
                                    assert_eq!(
                                        date_like(hay.as_bytes(), 2, &lens),
                                        date_like_reference(run.as_bytes(), &lens),
                                        "{run}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        #[test]
        fn ipv6_shape_agrees_with_the_byte_walk(t in "[0-9a-fA-F:gzGT .%_-]{0,40}") {
            proptest::prop_assert_eq!(ipv6_shape(t.as_bytes()), ipv6_shape_reference(t.as_bytes()), "{:?}", t);
        }
    }

    /// The join pass runs only on values with a [`C_JOIN`] byte: every
    /// value `normalize::join_digit_groups` joins has one. Checked on the
    /// corpora, the shaped values and runs of digits split by every
    /// character up to U+3100 and the full-width forms (one digit per
    /// token, card and IBAN groups, with and without spaces around), so a
    /// joiner added to the normaliser but not here fails this test.
    #[test]
    fn join_gate_is_sound() {
        let s = set();
        let check = |t: &str, joined: &mut usize| {
            let norm = normalize(t.as_bytes());
            if crate::normalize::join_digit_groups(&norm.text).is_some() {
                *joined += 1;
                assert!(
                    may_join(&norm.text, &s.gate.classes(&norm.text)),
                    "join gate drops {t:?}"
                );
            }
        };
        let mut joined = 0;
        for t in crate::normalize::corpus::all() {
            check(&t, &mut joined);
        }
        for i in 0..400u32 {
            let nib: Vec<u8> = (0..32u32)
                .map(|k| (i.wrapping_mul(2654435761).rotate_left(k) >> 3) as u8)
                .collect();
            let piece = Some(i as usize % (FOUND.len() + SHAPED_PIECES.len()));
            check(
                &shaped_value(i as usize % 6, &nib, piece, i as usize, i as usize, (i % 4) as u8),
                &mut joined,
            );
        }
        let seps = (0u32..0x3100).chain(0xFE30..0xFF70).filter_map(char::from_u32);
        for c in seps {
            if c.is_ascii_alphanumeric() {
                continue;
            }
            for t in [
                format!("1{c}2{c}3{c}4{c}5{c}6{c}7{c}8{c}9{c}0{c}1"),
                format!("4111{c}1111{c}1111{c}1111"),
                format!("4 {c} 1 {c} 1 {c} 1 {c} 1 {c} 1 {c} 1 {c} 1 {c} 1 {c} 1 {c} 1 {c} 1"),
                format!("de89{c}3704{c}0044{c}0532{c}0130{c}00"),
                format!("DE89{c}3704{c}0044{c}0532{c}0130{c}00"),
                format!("ref{c}DE89370400440532013000{c}EUR"),
            ] {
                check(&t, &mut joined);
            }
        }
        assert!(joined > 100, "the join pass is reached ({joined})");
    }

    /// Soundness on real inputs: whatever the automaton and validators find
    /// in a string of the case tables or test data passes the gate.
    #[test]
    fn prefilter_is_sound_on_corpora() {
        let s = set();
        let mut found = 0;
        for t in crate::normalize::corpus::all() {
            if unfiltered(s, t.as_bytes()) > 0 {
                found += 1;
                assert!(
                    s.might_match_builtin(&normalize(t.as_bytes()).text),
                    "prefilter drops {t:?}"
                );
            }
        }
        assert!(found > 100, "the corpus has values ({found})");
    }

    fn one(text: &str) -> Option<String> {
        let f = found(text);
        assert!(f.len() <= 1, "{text}: {f:?}");
        f.into_iter().next().map(|(id, _)| id)
    }

    /// A found value of every value detector (`positives` checks each).
    const POSITIVES: &[(&str, &str)] = &[
        ("mail jane.doe+x@example.co.uk now", "email"),
        ("4111 1111 1111 1111", "payment_card"),
        ("4111-1111-1111-1111", "payment_card"),
        ("card 4111111111111111.", "payment_card"),
        ("3782 822463 10005", "payment_card"),
        ("5555555555554444", "payment_card"),
        ("2223003122003222", "payment_card"),
        ("6011111111111117", "payment_card"),
        ("3530111333300000", "payment_card"),
        ("30569309025904", "payment_card"),
        ("DE89 3704 0044 0532 0130 00", "iban"),
        ("DE89370400440532013000", "iban"),
        ("iban: gb82 west 1234 5698 7654 32", "iban"),
        ("FR14 2004 1010 0505 0001 3M02 606", "iban"),
        ("123-45-6789", "us_ssn"),
        ("ssn 536225438", "us_ssn"),
        ("from 192.168.10.20 at", "ipv4"),
        ("2001:db8:85a3::8a2e:370:7334", "ipv6"),
        ("fe80:0:0:0:204:61ff:fe9d:f156", "ipv6"),
        ("mapped ::ffff:192.0.2.33 here", "ipv6"),
        ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "ipv6"),
        ("555-123-4567", "phone"),
        ("(555) 123-4567", "phone"),
        ("+1-212-555-0123", "phone"),
        ("+44 7911 123456", "phone"),
        ("0151 23456789", "phone"),
        ("+33 1 23 45 67 89", "phone"),
        ("AB 12 34 56 C", "uk_nino"),
        ("86095742719", "de_steuer_id"),
        ("1 84 12 76 451 089 46", "fr_nir"),
        ("1 84 05 2A 123 456 82", "fr_nir"),
        ("BSN 111222333", "nl_bsn"),
        ("1112.22.333", "nl_bsn"),
        ("RSSMRA85T10A562S", "it_codice_fiscale"),
        ("12345678Z", "es_dni"),
        ("X1234567L", "es_dni"),
        ("44051401359", "pl_pesel"),
        ("+49 30 1234567", "phone"),
        ("+49 (0)30 1234 5678", "phone"),
        ("0049 30 12345678", "phone"),
        ("+1 (212) 555-0123", "phone"),
        ("(212) 555-0123", "phone"),
        ("212-555-0123", "phone"),
        ("212.555.0123", "phone"),
        ("+44 20 7946 0958", "phone"),
        ("020 7946 0958", "phone"),
        ("07700 900123", "phone"),
        ("030 12345678", "phone"),
        ("+33 6 12 34 56 78", "phone"),
        ("06 12 34 56 78", "phone"),
        ("06-12345678", "phone"),
        ("+31 6 12345678", "phone"),
        ("612 345 678", "phone"),
        ("+34 612 34 56 78", "phone"),
        ("+39 06 6982 1234", "phone"),
        ("312 345 6789", "phone"),
        ("+4915112345678", "phone"),
        ("AKIA2E0A8F3B244C9986", "aws_access_key"),
        ("00:1a:2b:3c:4d:5e", "mac_address"),
        ("Bearer abcDEF123456ghiJKL", "auth_credential"),
        ("Basic dXNlcjpwYXNzd29yZA==", "auth_credential"),
        (
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "jwt",
        ),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA75\n-----END RSA PRIVATE KEY-----",
            "private_key",
        ),
        ("personnummer 811218-9876", "se_personnummer"),
        ("19811218-9876", "se_personnummer"),
        ("HETU 131052-308T", "fi_henkilotunnus"),
        ("131052A308T", "fi_henkilotunnus"),
        ("150385 12363", "no_fodselsnummer"),
        ("CPR 010190-1234", "dk_cpr"),
        ("NHS number 943 476 5919", "uk_nhs"),
        ("SIN: 130 692 544", "ca_sin"),
        ("IMEI 490154203237518", "imei"),
    ];

    /// More found values (each among others the text holds).
    const MORE_POSITIVES: &[(&str, &str)] = &[
        ("85.07.30-033.28", "be_national_number"),
        ("SVNR 1237 010180", "at_social_insurance"),
        ("NIF 123456789", "pt_nif"),
        ("PPS 1234567T", "ie_pps"),
        ("AHV 756.9217.0769.85", "ch_ahv"),
        ("911-70-1234", "us_itin"),
        ("16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ", "btc_address"),
        ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "btc_address"),
        ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "btc_address"),
        ("BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ", "btc_address"),
        ("to 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "eth_address"),
        ("amqp://guest:hunter2@rabbit/", "url_credentials"),
        ("USt-IdNr.: DE 136 695 976", "eu_vat"),
        ("ATU10223006", "eu_vat"),
        ("passport no. C01X00T47", "id_document_number"),
        ("Reisepass-Nr. C01X00T47", "id_document_number"),
    ];

    #[test]
    fn more_positives() {
        for (text, id) in MORE_POSITIVES {
            assert!(found(text).iter().any(|(i, _)| i == id), "{text}: {id}");
        }
    }

    #[test]
    fn positives() {
        for (text, id) in POSITIVES {
            assert_eq!(one(text).as_deref(), Some(*id), "{text}");
        }
    }

    #[test]
    fn negatives() {
        for text in [
            "4111 1111 1111 1112",
            "1234567812345678",
            "DE89370400440532013001",
            "000-12-3456",
            "666-12-3456",
            "900-12-3456",
            "123-00-6789",
            "order 2026-11-23 shipped",
            "23.11.2026",
            "version 1.2.3",
            "price 1234.56 EUR",
            "10:30:00",
            "uuid 550e8400-e29b-41d4-a716-446655440000",
            "sha 3f786850e387550fdab836ed7e6dc881de23001b",
            "86095742718",
            "AB123456E",
            "BG123456C",
            "12345678A",
            "RSSMRA85T10A562T",
            "127.0.0.1",
            "::1",
            "1700000000",
            "count 1234567",
            "Bearer token",
            "the basic idea",
            "user@localhost",
            "item 12345678",
            "order #100234567 shipped",
            "account 123456782",
            "meeting 123456789",
            "AKIAIOSFODNN7EXAMPLE",
            "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----",
        ] {
            assert_eq!(found(text), vec![], "{text}");
        }
    }

    #[test]
    fn unicode_digits_and_separators() {
        let cases = [
            ("４１１１ １１１１ １１１１ １１１１", "payment_card"),
            ("4111\u{00A0}1111\u{00A0}1111\u{00A0}1111", "payment_card"),
            ("4111\u{2009}1111\u{2009}1111\u{2009}1111", "payment_card"),
            ("4111\u{200B}1111\u{200B}1111\u{200B}1111", "payment_card"),
            ("4111\u{00AD}1111\u{00AD}1111\u{00AD}1111", "payment_card"),
            ("٤١١١١١١١١١١١١١١١", "payment_card"),
            ("४१११११११११११११११", "payment_card"),
            ("DE89\u{00A0}3704\u{00A0}0044\u{00A0}0532\u{00A0}0130\u{00A0}00", "iban"),
            ("+49\u{2009}30\u{2009}1234567", "phone"),
            ("jane\u{FF20}example.com", "email"),
        ];
        for (text, id) in cases {
            let f = found(text);
            assert_eq!(f.len(), 1, "{text}: {f:?}");
            assert_eq!(f[0].0, id, "{text}");
            // the match covers the whole original text, invisible characters included
            assert_eq!(f[0].1, text, "{text}");
        }
        // other-script digits that are not a valid number stay clean
        assert_eq!(found("٤١١١١١١١١١١١١١١٢"), vec![]);
        assert_eq!(found("४२ people"), vec![]);
    }

    #[test]
    fn several_in_one_text() {
        let f = found("call +44 20 7946 0958 or mail a@b.io, card 4111111111111111");
        let ids: Vec<&str> = f.iter().map(|(i, _)| i.as_str()).collect();
        assert_eq!(ids, ["phone", "email", "payment_card"]);
    }

    #[test]
    fn custom_detectors() {
        let s = match DetectorSet::new(&[
            (
                "employee_id".into(),
                "employee_id".into(),
                r"EMP-\d{6}".into(),
                Validator::None,
            ),
            (
                "loyalty".into(),
                "loyalty_card".into(),
                r"\b\d{16}\b".into(),
                Validator::Luhn,
            ),
        ]) {
            Ok(s) => s,
            Err(e) => panic!("{e:?}"),
        };
        let mut out = Vec::new();
        s.scan(b"id EMP-123456 and 1234567812345670", &mut Scratch::default(), &mut out);
        let ids: Vec<&str> = out.iter().map(|m| s.info[m.detector as usize].id.as_str()).collect();
        assert_eq!(ids, ["employee_id", "loyalty"]);
        out.clear();
        s.scan(b"1234567812345678", &mut Scratch::default(), &mut out);
        assert!(out.is_empty());
    }

    /// A search error (here an anchored search of one pattern on a DFA
    /// built without per-pattern starts) is recorded, never taken as "no
    /// match" silently.
    #[test]
    fn a_failed_search_is_recorded() {
        let re = compile(&["a", "b"], false).unwrap_or_else(|e| panic!("{e:?}"));
        let mut cache = re.create_cache();
        let mut failed = false;
        let input = Input::new("xab").anchored(Anchored::Pattern(PatternID::ZERO));
        assert_eq!(find(&re, &mut cache, &input, &mut failed), None);
        assert!(failed);
        let mut failed = false;
        assert!(find(&re, &mut cache, &Input::new("xab"), &mut failed).is_some());
        assert!(!failed);
    }

    /// [`Gate::group_at`] without the pair filter ([`Gate::pair_at`]): the
    /// group's keywords compared at every rare byte, as before.
    fn group_at_reference(gate: &Gate, hay: &[u8], i: usize) -> bool {
        gate.group_at(hay, i)
    }

    /// [`auth_word_before`] as it was before the two-byte filter.
    fn auth_word_before_reference(hay: &[u8], p: usize) -> bool {
        if p < 5 || !matches!(hay[p - 1] | 0x20, b'r' | b'c' | b'n' | b'y' | b't') {
            return false;
        }
        AUTH_WORDS
            .iter()
            .any(|w| p >= w.len() && hay[p - w.len()..p].eq_ignore_ascii_case(w))
    }

    /// Texts for the keyword-filter comparisons: the corpora, the bench
    /// shapes, and every keyword of the registry in text, in several cases,
    /// cut at every length (a keyword at the very end of a value).
    fn keyword_texts() -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = crate::normalize::corpus::all()
            .into_iter()
            .map(String::into_bytes)
            .collect();
        out.push(crate::testing::shapes::catalog(16 * 1024));
        out.push(crate::testing::shapes::dense(16 * 1024));
        out.push(
            "The quick brown fox jumps over the lazy dog while the team ships release 42 on time. "
                .repeat(20)
                .into_bytes(),
        );
        let words: Vec<&[u8]> = other_keywords().into_iter().chain(AUTH_WORDS.iter().copied()).collect();
        for k in words {
            let k = String::from_utf8_lossy(k).to_string();
            let mixed: String = k
                .chars()
                .enumerate()
                .map(|(i, c)| if i % 2 == 0 { c.to_ascii_uppercase() } else { c })
                .collect();
            for w in [k.clone(), k.to_uppercase(), mixed] {
                for t in [
                    format!("x {w} AB123456"),
                    format!("{w}\tno 12345"),
                    format!("({w})"),
                    w.clone(),
                ] {
                    for cut in 1..=t.len() {
                        out.push(t.as_bytes()[..cut].to_vec());
                    }
                }
            }
        }
        out
    }

    /// The pair filter drops a rare byte only where no keyword of its
    /// group is: `pair_at && group_at` answers as `group_at` at every
    /// byte of the corpora, the bench shapes and every keyword in text.
    #[test]
    fn group_at_agrees_with_the_reference() {
        let gate = Gate::new(&other_keywords());
        let (mut asked, mut hits) = (0, 0);
        for t in keyword_texts() {
            for i in 0..t.len() {
                if gate.table[t[i] as usize] & T_GROUP == 0 {
                    continue;
                }
                asked += 1;
                let want = group_at_reference(&gate, &t, i);
                hits += usize::from(want);
                assert_eq!(
                    gate.pair_at(&t, i) && gate.group_at(&t, i),
                    want,
                    "{:?} at {i}",
                    String::from_utf8_lossy(&t)
                );
            }
        }
        assert!(
            asked > 10_000 && hits > 100,
            "the filter is exercised ({asked} asked, {hits} keywords)"
        );
    }

    /// The two-byte filter of `auth_word_before` answers as the one-byte one.
    #[test]
    fn auth_word_before_agrees_with_the_reference() {
        let mut hits = 0;
        for t in keyword_texts() {
            for p in 0..t.len() {
                let want = auth_word_before_reference(&t, p);
                hits += usize::from(want);
                assert_eq!(
                    auth_word_before(&t, p),
                    want,
                    "{:?} at {p}",
                    String::from_utf8_lossy(&t)
                );
            }
        }
        assert!(hits > 50, "auth words are found ({hits})");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// Keyword pieces in random case next to random bytes: the filtered
        /// checks answer as the reference ones at every byte.
        #[test]
        fn keyword_filters_agree_on_generated_text(
            parts in proptest::collection::vec((0usize..64, proptest::bool::ANY, 0u8..=255), 1..12)
        ) {
            let gate = Gate::new(&other_keywords());
            let words: Vec<&[u8]> = other_keywords().into_iter().chain(AUTH_WORDS.iter().copied()).collect();
            let mut t = Vec::new();
            for (w, upper, b) in parts {
                match words.get(w) {
                    Some(k) if upper => t.extend(k.iter().map(u8::to_ascii_uppercase)),
                    Some(k) => t.extend_from_slice(k),
                    None => t.push(b),
                }
                if w % 3 == 0 {
                    t.push(b);
                }
            }
            for i in 0..t.len() {
                proptest::prop_assert_eq!(auth_word_before(&t, i), auth_word_before_reference(&t, i));
                if gate.table[t[i] as usize] & T_GROUP != 0 {
                    proptest::prop_assert_eq!(gate.pair_at(&t, i) && gate.group_at(&t, i), group_at_reference(&gate, &t, i));
                }
            }
        }
    }
}
