//! E-mail addresses written with the `@` and the dots spelled out or
//! bracketed so that a pattern does not read them: `jane.doe [at] example
//! [dot] com`, `jane.doe(at)example(dot)com`, `jane{at}example{dot}com`,
//! `jane.doe@example[.]com`, `jane [ AT ] example [ DOT ] com`,
//! `jane.doe at example dot com`, `jane.doe @ example.com`.
//!
//! [`emails`] rewrites each such address the way it is meant (`local@domain`)
//! into a text of its own, one per line, with a map from every byte back
//! to the scanned text; the e-mail detector then reads that text and its
//! findings cover the whole written span, tokens included.
//!
//! What is read (a *token* is an `@` or a dot written another way):
//! - a bracketed token: `[at]`, `(at)`, `{at}`, `<at>`, `[@]`, `[dot]`,
//!   `(.)`..., any case, spaces or tabs inside and around: always (nobody
//!   writes `(at)` in prose between two words and a domain);
//! - an `@` with spaces beside it (`jane.doe @ example.com`), or `at`/`AT`
//!   as a word between spaces with a dot spelled `dot`/`DOT` as a word, or
//!   written with white space on both sides, in the domain (`jane.doe at
//!   example dot com`, `jane.doe at example . com`), or such a spaced dot
//!   in the local part (`jane . doe at example.com`): only when the local
//!   part looks like one, a letter and a digit, `.`, `_`, `%`, `+` or `-` in
//!   it (prose has `visit us at example dot com`, `meet @ cafe.com`);
//! - a real `@` with a dot spelled as a word or spaced (`jane@example dot
//!   com`, `jane . doe@example . com`; a dot with white space on both sides
//!   is not how prose ends a sentence);
//! - `at`/`AT`/`At` as a word with the domain's dots as written when the
//!   local part reads as a mailbox ([`handle`]: `jane.doe at example.com`,
//!   `jane_doe at example.com`; not `look at example.com`, `files at
//!   s3.amazonaws.com`, `check-in at hotel.com`, `README.md at github.com`,
//!   `a.m at cafe.com`, `com.example.app at play.google.com`); `At` also
//!   with a spaced dot as `at` is, never with `dot` spelled.
//!
//! `at` and `dot` are read with a tab or a line break (LF or CRLF, spaces
//! or tabs around it) in place of the space on either side (`jane.doe
//! at⏎example.com`, `example dot⏎com`: a mail client or a form wraps it
//! so; `jane.doe⇥at⇥example.com`: a TSV cell, a tab-aligned signature), as
//! they are read between spaces.
//!
//! Not read: `dot` in other cases (`Dot`), `at` after a single word (`john
//! at gmail.com`: prose writes `look at example.com`), words in other
//! languages.

/// A text of rewritten addresses, one per line, and a map from each of its
/// bytes to the scanned text (a match starts and ends on a letter or digit
/// of the address: the tokens between are inside its span).
pub use crate::normalize::Joined as Spelled;

/// Fewest bytes a text read here has (`a1 @b.cc`).
pub const MIN_LEN: usize = 8;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Word,
    Dot,
    At,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Form {
    /// `@` or `.` as written in an address
    Plain,
    /// `@` with a space or tab beside it, `.` with white space on both sides
    Spaced,
    /// `at`, `dot` as words between spaces
    Spelled,
    /// `At` as a word between spaces: read only before a mailbox ([`handle`])
    Titled,
    /// `[at]`, `(.)`...
    Bracketed,
}

#[derive(Clone, Copy, Debug)]
struct Item {
    kind: Kind,
    form: Form,
    start: usize,
    end: usize,
    /// an RFC 5322 comment was dropped just before it ([`comment`])
    after_comment: Comment,
}

/// Whether an RFC 5322 comment was dropped before an item, and how it was
/// written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Comment {
    None,
    /// touching the address on both sides (`jane.doe(x)@…`)
    Tight,
    /// with white space on a side (`jane.doe (x) @…`: RFC 5322's CFWS
    /// around an atom or the `@`): read like an `@` with spaces beside it
    Spaced,
}

/// Deepest nesting of comments read, and longest comment.
const COMMENT_DEPTH: usize = 4;
const COMMENT_MAX: usize = 64;

/// The end (after the closing parenthesis and the spaces or tabs that
/// follow) of the RFC 5322 comment whose opening parenthesis is at `i`
/// (`(x)`, `(a note)`, nested `((x))`; no line break, at most
/// [`COMMENT_MAX`] bytes) when it sits inside an address: next to an `@`
/// or a dot on one side and a part of the address on the other
/// (`jane.doe(x)@example.com`, `jane.doe@(x)example.com`,
/// `jane(x).doe@…`), with white space around it or not (RFC 5322's CFWS:
/// `jane.doe (x) @example.com`), and how it is written. A receiver that
/// parses the address drops it; the pattern stops at it.
fn comment(t: &[u8], i: usize) -> Option<(usize, Comment)> {
    let end = comment_end(t, i)?;
    let mut b = i;
    while b > 0 && is_ws(t[b - 1]) {
        b -= 1;
    }
    // (comments in a row are one: `jane (x)(y) @…`)
    let mut after_at = skip_ws(t, end);
    while t.get(after_at) == Some(&b'(') {
        match comment_end(t, after_at) {
            Some(e) => after_at = skip_ws(t, e),
            None => break,
        }
    }
    let before = *t.get(b.checked_sub(1)?)?;
    let after = *t.get(after_at)?;
    let token = |c: u8| matches!(c, b'@' | b'.');
    let form = if b == i && !is_ws(t[after_at - 1]) {
        Comment::Tight
    } else {
        Comment::Spaced
    };
    ((token(before) && (is_word(after) || token(after))) || (is_word(before) && token(after)))
        .then_some((after_at, form))
}

/// The end (after the closing parenthesis) of the comment whose opening
/// parenthesis is at `i` (nested up to [`COMMENT_DEPTH`], no line break, at
/// most [`COMMENT_MAX`] bytes).
fn comment_end(t: &[u8], i: usize) -> Option<usize> {
    let mut depth = 0;
    let mut k = i;
    loop {
        match *t.get(k)? {
            b'(' => {
                depth += 1;
                if depth > COMMENT_DEPTH {
                    return None;
                }
            }
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(k + 1);
                }
            }
            b'\n' | b'\r' => return None,
            _ => {}
        }
        k += 1;
        if k - i > COMMENT_MAX {
            return None;
        }
    }
}

/// Whether `t` has a parenthesis next to an `@` or a dot as a comment
/// inside an address has (`)@`, `).`, `@(`, `.(`, white space between
/// allowed as in [`comment`]): [`comment`]'s gate.
fn may_have_comment(t: &[u8]) -> bool {
    memchr::memchr2_iter(b'(', b')', t).any(|p| {
        if t[p] == b')' {
            matches!(t.get(skip_ws(t, p + 1)), Some(b'@' | b'.'))
        } else {
            let mut b = p;
            while b > 0 && is_ws(t[b - 1]) {
                b -= 1;
            }
            b > 0 && matches!(t[b - 1], b'@' | b'.')
        }
    })
}

/// A byte of an address's local part or domain label (`.` apart).
fn is_word(c: u8) -> bool {
    ADDR[c as usize] & WORD != 0
}

/// [`ADDR`]: a byte of a word ([`is_word`]), a dot.
const WORD: u8 = 1;
const DOT: u8 = 2;

/// What each byte is in an address: letters, digits, `_%+-` and bytes of
/// UTF-8 sequences are [`WORD`], `.` is [`DOT`].
const ADDR: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'%' | b'+' | b'-') || b >= 0x80 {
            t[c] = WORD;
        }
        c += 1;
    }
    t[b'.' as usize] = DOT;
    t
};

fn is_ws(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn skip_ws(t: &[u8], mut i: usize) -> usize {
    while t.get(i).copied().is_some_and(is_ws) {
        i += 1;
    }
    i
}

/// The bracketed token whose opening bracket is at `i`: its kind and end
/// (after the closing bracket and the spaces that follow).
fn bracketed(t: &[u8], i: usize) -> Option<(Kind, usize)> {
    let close = match t.get(i)? {
        b'[' => b']',
        b'(' => b')',
        b'{' => b'}',
        b'<' => b'>',
        _ => return None,
    };
    let j = skip_ws(t, i + 1);
    let word = |w: &[u8]| t.get(j..j + w.len()).is_some_and(|x| x.eq_ignore_ascii_case(w));
    let (kind, len) = match t.get(j)? {
        b'@' => (Kind::At, 1),
        b'.' => (Kind::Dot, 1),
        _ if word(b"at") => (Kind::At, 2),
        _ if word(b"dot") => (Kind::Dot, 3),
        _ => return None,
    };
    let k = skip_ws(t, j + len);
    (t.get(k) == Some(&close)).then(|| (kind, skip_ws(t, k + 1)))
}

/// `at`/`AT`/`At` or `dot`/`DOT` at `j` followed by spaces or tabs, or by a
/// line break (LF or CRLF) with spaces or tabs around it: its kind, form
/// and end (after the white space).
fn spelled_word(t: &[u8], j: usize) -> Option<(Kind, Form, usize)> {
    let rest = t.get(j..)?;
    let (kind, form, len) = if rest.starts_with(b"at") || rest.starts_with(b"AT") {
        (Kind::At, Form::Spelled, 2)
    } else if rest.starts_with(b"At") {
        (Kind::At, Form::Titled, 2)
    } else if rest.starts_with(b"dot") || rest.starts_with(b"DOT") {
        (Kind::Dot, Form::Spelled, 3)
    } else {
        return None;
    };
    let mut k = j + len;
    let s = skip_ws(t, k);
    match line_break(t, s) {
        Some(n) => k = skip_ws(t, s + n),
        None if s > k => k = s,
        None => return None,
    }
    Some((kind, form, k))
}

/// The length of the line break (LF or CRLF) at `i`, if one is there.
fn line_break(t: &[u8], i: usize) -> Option<usize> {
    match t.get(i)? {
        b'\n' => Some(1),
        b'\r' if t.get(i + 1) == Some(&b'\n') => Some(2),
        _ => None,
    }
}

/// The token at `i` (a space, tab, bracket, `@` or `.`), if one starts
/// there: kind, form and end.
fn token(t: &[u8], i: usize) -> Option<(Kind, Form, usize)> {
    let j = skip_ws(t, i);
    let c = *t.get(j)?;
    if matches!(c, b'[' | b'(' | b'{' | b'<') {
        return bracketed(t, j).map(|(k, e)| (k, Form::Bracketed, e));
    }
    if c == b'@' {
        let e = skip_ws(t, j + 1);
        let form = if j > i || e > j + 1 { Form::Spaced } else { Form::Plain };
        return Some((Kind::At, form, e));
    }
    // `at` or `dot` after a line break (and spaces or tabs): `jane.doe⏎at example.com`
    if let Some(n) = line_break(t, j) {
        return spelled_word(t, skip_ws(t, j + n));
    }
    if j == i {
        return (c == b'.').then_some((Kind::Dot, Form::Plain, i + 1));
    }
    // a dot with white space on both sides (`jane . doe`): not how prose
    // ends a sentence
    if c == b'.' {
        let e = skip_ws(t, j + 1);
        return (e > j + 1).then_some((Kind::Dot, Form::Spaced, e));
    }
    // a word between spaces or tabs
    spelled_word(t, j)
}

/// Whether [`emails`] can find anything in `t`: a bracketed token, a
/// comment by an `@`, an `@` with a space or tab beside it or in a chain
/// with a spaced dot, ` dot `/` DOT `, or a spelled `at` after a word
/// holding a `.`, `_` or `+` or in a chain with a spaced dot (every
/// address read has one of them). `open`, `at` and `space` say whether `t` has an
/// opening bracket, an `@`, a space, tab or line break at all (the scanner's byte
/// classes). `tests::gate_is_exact_on_corpora` and the proptest compare it
/// with [`emails`] itself.
pub fn may_have(t: &[u8], open: bool, at: bool, space: bool) -> bool {
    if t.len() < MIN_LEN {
        return false;
    }
    if open
        && t.iter()
            .enumerate()
            .any(|(i, &c)| matches!(c, b'[' | b'(' | b'{' | b'<') && bracketed(t, i).is_some())
    {
        return true;
    }
    if open && at && may_have_comment(t) {
        return true;
    }
    if !space {
        return false;
    }
    // an `@` with white space beside it, or in a chain with a spaced dot
    // (`jane . doe@example . com`)
    if at
        && memchr::memchr_iter(b'@', t).any(|p| {
            (p > 0 && is_ws(t[p - 1]))
                || t.get(p + 1).copied().is_some_and(is_ws)
                || spaced_dot_before(t, p)
                || spaced_dot_after(t, p + 1)
        })
    {
        return true;
    }
    // one walk for ` dot ` and ` at `: a spelled dot, or a spelled `at`
    // after a word that may be a mailbox ([`handle`]), in a chain with a
    // spaced dot, or in a text with a comment (looked for once)
    let mut comment = None;
    spelled_words(t, |q, e| {
        marked_word_before(t, q)
            || spaced_dot_before(t, q)
            || spaced_dot_after(t, e)
            || *comment.get_or_insert_with(|| open && may_have_comment(t))
    })
}

/// Whether the word before the spaces that end at `q` (the space before a
/// spelled `at`), read over letters, digits, `_%+-` and dots, holds a `.`,
/// `_` or `+`: what a local part [`handle`] takes has.
fn marked_word_before(t: &[u8], q: usize) -> bool {
    let mut e = gap_back(t, q);
    while e > 0 && t[e - 1] == b' ' {
        e -= 1;
    }
    let mut a = e;
    while a > 0 && ADDR[t[a - 1] as usize] != 0 {
        a -= 1;
    }
    t[a..e].iter().any(|&c| matches!(c, b'.' | b'_' | b'+'))
}

/// Whether the local part that ends at `e` (before an `@` or a spelled
/// `at`, white space skipped), words and dots, is preceded by a dot with
/// white space on both sides (`jane . doe`): the chain [`read_chain`]
/// reads back from its `@` has a spaced dot only there.
fn spaced_dot_before(t: &[u8], e: usize) -> bool {
    let mut e = gap_back(t, e);
    while e > 0 && is_ws(t[e - 1]) {
        e -= 1;
    }
    while e > 0 && ADDR[t[e - 1] as usize] != 0 {
        e -= 1;
    }
    let mut k = e;
    while k > 0 && is_ws(t[k - 1]) {
        k -= 1;
    }
    k < e && k >= 2 && t[k - 1] == b'.' && is_ws(t[k - 2])
}

/// Whether the domain that starts at `b` (after an `@` or a spelled `at`,
/// white space skipped), words and dots, is followed by a dot with white
/// space on both sides (`example . com`).
fn spaced_dot_after(t: &[u8], b: usize) -> bool {
    let mut b = b;
    while t.get(b).is_some_and(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n')) {
        b += 1;
    }
    while b < t.len() && ADDR[t[b] as usize] != 0 {
        b += 1;
    }
    let k = skip_ws(t, b);
    k > b && t.get(k) == Some(&b'.') && t.get(k + 1).copied().is_some_and(is_ws)
}

/// Where the white space and line breaks that end at `e` begin: the
/// gate's reading of the gap before a spelled `at` (wider than
/// [`token`]'s: the gate may pass more, never less).
fn gap_back(t: &[u8], mut e: usize) -> usize {
    while e > 0 && matches!(t[e - 1], b' ' | b'\t' | b'\r' | b'\n') {
        e -= 1;
    }
    e
}

/// ` at `, ` AT `, ` At `, `dot `, `DOT ` as the 4 bytes that end on a space.
const AT_LOWER: u32 = u32::from_le_bytes(*b" at ");
const AT_UPPER: u32 = u32::from_le_bytes(*b" AT ");
const AT_TITLE: u32 = u32::from_le_bytes(*b" At ");
const DOT_LOWER: u32 = u32::from_le_bytes(*b"dot ");
const DOT_UPPER: u32 = u32::from_le_bytes(*b"DOT ");

/// How far a window of 4 bytes ending on each byte may move on when it is
/// not ` at `, ` AT `, ` At ` or the end of ` dot `, ` DOT ` (Horspool):
/// each byte of the needles by its distance from their end, 4 for any
/// other.
const SHIFT: [u8; 256] = {
    let mut t = [4u8; 256];
    t[b' ' as usize] = 3;
    t[b'\t' as usize] = 3;
    t[b'\n' as usize] = 3;
    t[b'a' as usize] = 2;
    t[b'A' as usize] = 2;
    t[b'd' as usize] = 3;
    t[b'D' as usize] = 3;
    t[b'o' as usize] = 2;
    t[b'O' as usize] = 2;
    t[b't' as usize] = 1;
    t[b'T' as usize] = 1;
    t
};

/// One pass over `t` for the spelled words: true at the first ` dot ` or
/// ` DOT `, or at a ` at `, ` AT ` or ` At ` for which `at(q, e)` is true
/// (`q` the space before the word, `e` the space after it); a tab or a
/// line break (LF before, LF or CRLF after) counts as a space on either
/// side. About one look every 3.4 bytes of prose; white space is looked at
/// further only after a `t`.
fn spelled_words(t: &[u8], mut at: impl FnMut(usize, usize) -> bool) -> bool {
    let mut i = 3;
    while let Some(&c) = t.get(i) {
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r') && (t[i - 1] | 0x20) == b't' {
            // (a CR only as a CRLF's)
            if c != b'\r' || t.get(i + 1) == Some(&b'\n') {
                let ws = |b: u8| if matches!(b, b'\t' | b'\n') { b' ' } else { b };
                let w = u32::from_le_bytes([ws(t[i - 3]), t[i - 2], t[i - 1], b' ']);
                if w == AT_LOWER || w == AT_UPPER || w == AT_TITLE {
                    if at(i - 3, i) {
                        return true;
                    }
                } else if (w == DOT_LOWER || w == DOT_UPPER) && i >= 4 && matches!(t[i - 4], b' ' | b'\t' | b'\n') {
                    return true;
                }
            }
        }
        i += SHIFT[c as usize] as usize;
    }
    false
}

/// The addresses written with spelled or bracketed tokens in `t`, rewritten
/// (`None` if there are none). Addresses written plainly are left to the
/// detector.
pub fn emails(t: &[u8]) -> Option<Spelled> {
    let mut out: Option<Spelled> = None;
    let mut chain: Vec<Item> = Vec::new();
    let mut after_comment = Comment::None;
    let mut i = 0;
    while i < t.len() {
        let c = t[i];
        if is_word(c) {
            let s = i;
            while i < t.len() && is_word(t[i]) {
                i += 1;
            }
            chain.push(Item {
                kind: Kind::Word,
                form: Form::Plain,
                start: s,
                end: i,
                after_comment,
            });
            after_comment = Comment::None;
            continue;
        }
        // a comment, with white space before it or not
        let p = if is_ws(c) { skip_ws(t, i) } else { i };
        if t.get(p) == Some(&b'(') && !chain.is_empty() && bracketed(t, p).is_none() {
            if let Some((e, form)) = comment(t, p) {
                // (a comment after a comment: spaced if either is)
                after_comment = match (after_comment, form) {
                    (Comment::Spaced, _) | (_, Comment::Spaced) => Comment::Spaced,
                    _ => Comment::Tight,
                };
                i = e;
                continue;
            }
        }
        if let Some((kind, form, e)) = token(t, i) {
            // a chain alternates words and tokens, starting with a word
            if chain.last().is_some_and(|x| x.kind == Kind::Word) {
                chain.push(Item {
                    kind,
                    form,
                    start: i,
                    end: e,
                    after_comment,
                });
            } else {
                read_chain(t, &chain, &mut out);
                chain.clear();
            }
            after_comment = Comment::None;
            i = e.max(i + 1);
            continue;
        }
        read_chain(t, &chain, &mut out);
        chain.clear();
        after_comment = Comment::None;
        i += 1;
    }
    read_chain(t, &chain, &mut out);
    spaced_letters(t, &mut out);
    out
}

/// A character an address is written with, `.` included.
fn addr_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

/// Most spaces or tabs between two characters of a spaced address.
const SPACED_GAP: usize = 2;

/// Addresses written one character at a time with white space between
/// (`j a n e . d o e @ e x a m p l e . c o m`): every `@` with white space
/// on both sides is read outwards over single characters (letters,
/// digits, `.`, `_`, `%`, `+`, `-`, each alone between white space of one
/// or two spaces or tabs); the e-mail detector then checks what they spell.
/// A word of two characters or more ends the address (`mail j a n e …`).
fn spaced_letters(t: &[u8], out: &mut Option<Spelled>) {
    let single =
        |q: usize| addr_char(t[q]) && (q == 0 || !addr_char(t[q - 1])) && t.get(q + 1).is_none_or(|&c| !addr_char(c));
    for p in memchr::memchr_iter(b'@', t) {
        let mut local = Vec::new();
        let mut k = p;
        loop {
            let mut g = 0;
            while g < SPACED_GAP && k > g && is_ws(t[k - g - 1]) {
                g += 1;
            }
            if g == 0 || k < g + 1 || !single(k - g - 1) {
                break;
            }
            k -= g + 1;
            local.push(k);
        }
        let mut domain = Vec::new();
        let mut k = p;
        loop {
            let mut g = 0;
            while g < SPACED_GAP && t.get(k + 1 + g).copied().is_some_and(is_ws) {
                g += 1;
            }
            let q = k + 1 + g;
            if g == 0 || q >= t.len() || !single(q) {
                break;
            }
            k = q;
            domain.push(k);
        }
        let dot = domain.iter().any(|&q| t[q] == b'.');
        if local.len() < 2 || domain.len() < 4 || !dot {
            continue;
        }
        let o = out.get_or_insert_with(Spelled::new);
        for &q in local.iter().rev() {
            o.push(t[q], q);
        }
        o.push(b'@', p);
        for &q in &domain {
            o.push(t[q], q);
        }
        o.push(b'\n', k + 1);
    }
}

/// Every address in a chain of words and tokens (`w . w @ w . w`).
fn read_chain(t: &[u8], chain: &[Item], out: &mut Option<Spelled>) {
    for (k, at) in chain.iter().enumerate() {
        if at.kind != Kind::At || k == 0 {
            continue;
        }
        // the local part: words joined by dots, back from the `@`
        let mut a = k - 1;
        while a >= 2 && chain[a - 1].kind == Kind::Dot && chain[a - 2].kind == Kind::Word {
            a -= 2;
        }
        // the domain: two labels or more
        let mut z = k + 1;
        while z + 2 < chain.len() && chain[z + 1].kind == Kind::Dot && chain[z + 2].kind == Kind::Word {
            z += 2;
        }
        if z >= chain.len() || z < k + 3 || chain[z].kind != Kind::Word {
            continue;
        }
        let local = &chain[a..k];
        let domain = &chain[k + 1..=z];
        let dots = || local.iter().chain(domain).filter(|x| x.kind == Kind::Dot);
        let bracketed = at.form == Form::Bracketed || dots().any(|x| x.form == Form::Bracketed);
        let spelled_dot = dots().any(|x| matches!(x.form, Form::Spelled | Form::Spaced));
        let spelled_in_domain = domain
            .iter()
            .any(|x| x.kind == Kind::Dot && matches!(x.form, Form::Spelled | Form::Spaced));
        // (a dot spelled `dot` in the local part is not enough: `the dot
        // com at example.com` is prose; one with spaces around it is)
        let spaced_in_local = local.iter().any(|x| x.kind == Kind::Dot && x.form == Form::Spaced);
        let spaced_in_domain = domain.iter().any(|x| x.kind == Kind::Dot && x.form == Form::Spaced);
        let looks_local = {
            let bytes = local
                .iter()
                .filter(|x| x.kind == Kind::Word)
                .flat_map(|x| &t[x.start..x.end]);
            let letter = bytes.clone().any(u8::is_ascii_alphabetic);
            let mark = local.len() > 1
                || bytes
                    .clone()
                    .any(|&c| c.is_ascii_digit() || matches!(c, b'_' | b'%' | b'+' | b'-'));
            letter && mark
        };
        // an RFC 5322 comment inside the address: touching it, or with
        // white space around it and then read as a spaced `@` is
        let comments = || {
            local
                .iter()
                .skip(1)
                .chain(std::iter::once(at))
                .chain(domain)
                .map(|x| x.after_comment)
        };
        let commented = comments().any(|c| c == Comment::Tight);
        let spaced_comment = comments().any(|c| c == Comment::Spaced);
        let read = bracketed
            || commented
            || (spaced_comment && looks_local)
            || match at.form {
                Form::Plain => spelled_dot,
                Form::Spaced => looks_local,
                Form::Spelled => ((spelled_in_domain || spaced_in_local) && looks_local) || handle(t, local),
                Form::Titled => ((spaced_in_domain || spaced_in_local) && looks_local) || handle(t, local),
                Form::Bracketed => true,
            };
        if !read {
            continue;
        }
        let o = out.get_or_insert_with(Spelled::new);
        for x in local.iter().chain(std::iter::once(at)).chain(domain) {
            match x.kind {
                Kind::Word => o.extend_from(t, x.start, x.end),
                Kind::Dot => o.push(b'.', x.start),
                Kind::At => o.push(b'@', x.start),
            }
        }
        o.push(b'\n', domain[domain.len() - 1].end);
    }
}

/// Whether the local part before a spelled `at` whose domain is written
/// with plain dots (`jane.doe at example.com`) reads as a mailbox: words
/// that each start with a letter, joined by plain dots or holding a `_` or
/// `+` (`jane.doe`, `j.doe`, `jane_doe`, `jane+news`), one of them of two
/// letters or more (`a.m at cafe.com`, `e.g at …` are abbreviations), the
/// first not a top-level domain (`com.example.app at maven.org` is a
/// package name), the last not a file extension or a top-level domain
/// (`README.md at github.com`, `Node.js at nodejs.org`, `example.com at
/// example.org` are prose). A single word (`look at example.com`, `files
/// at s3.amazonaws.com`), a hyphenated one (`check-in at hotel.com`) or a
/// number (`5.30 at cafe.com`, `v1.2 at …`) is not.
fn handle(t: &[u8], local: &[Item]) -> bool {
    let words = || {
        local
            .iter()
            .filter(|x| x.kind == Kind::Word)
            .map(|x| &t[x.start..x.end])
    };
    let (Some(first), Some(last)) = (words().next(), words().next_back()) else {
        return false;
    };
    let marked = local.len() > 1 || words().flatten().any(|&c| matches!(c, b'_' | b'+'));
    let is = |w: &[u8], list: &[&[u8]]| list.iter().any(|e| w.eq_ignore_ascii_case(e));
    marked
        && words().all(|w| w.first().is_some_and(u8::is_ascii_alphabetic))
        && words().any(|w| w.len() >= 2)
        && local.iter().all(|x| x.kind == Kind::Word || x.form == Form::Plain)
        && !is(first, REVERSED_DOMAIN_START)
        && !is(last, NOT_A_MAILBOX_END)
}

/// First words of a reversed domain name (`com.example.app`, `org.apache`):
/// a package or bundle name, not a mailbox.
const REVERSED_DOMAIN_START: &[&[u8]] = &[b"com", b"org", b"net", b"edu", b"gov", b"io"];

/// Last words of a dotted name that is a file or a host, not a mailbox
/// (`README.md`, `Node.js`, `example.com`): file extensions and the most
/// common top-level domains.
const NOT_A_MAILBOX_END: &[&[u8]] = &[
    b"com", b"net", b"org", b"edu", b"gov", b"mil", b"int", b"io", b"co", b"uk", b"de", b"fr", b"eu", b"info", b"biz",
    b"ai", b"app", b"dev", b"md", b"js", b"mjs", b"cjs", b"ts", b"jsx", b"tsx", b"py", b"rb", b"rs", b"go", b"java",
    b"kt", b"c", b"h", b"cc", b"cpp", b"hpp", b"cs", b"php", b"pl", b"sh", b"bat", b"exe", b"dll", b"so", b"txt",
    b"html", b"htm", b"xml", b"json", b"yaml", b"yml", b"toml", b"ini", b"cfg", b"conf", b"csv", b"tsv", b"log",
    b"pdf", b"doc", b"docx", b"xls", b"xlsx", b"ppt", b"pptx", b"odt", b"png", b"jpg", b"jpeg", b"gif", b"svg",
    b"webp", b"ico", b"mp3", b"mp4", b"wav", b"mov", b"zip", b"gz", b"tgz", b"tar", b"rar", b"iso", b"dmg", b"apk",
    b"jar", b"css", b"scss", b"sql", b"db", b"lock", b"wasm", b"proto", b"tf", b"env",
];

/// The digit an English digit word stands for (`zero`/`oh` to `nine`, any case).
fn digit_word(w: &[u8]) -> Option<u8> {
    if !(2..=5).contains(&w.len()) {
        return None;
    }
    let mut b = [0u8; 5];
    for (i, c) in w.iter().enumerate() {
        b[i] = c.to_ascii_lowercase();
    }
    Some(match &b[..w.len()] {
        b"zero" | b"oh" => b'0',
        b"one" => b'1',
        b"two" => b'2',
        b"three" => b'3',
        b"four" => b'4',
        b"five" => b'5',
        b"six" => b'6',
        b"seven" => b'7',
        b"eight" => b'8',
        b"nine" => b'9',
        _ => return None,
    })
}

/// Fewest digit words a run of spelled digits needs to be read: an SSN has
/// nine digits, a phone number or a card more; a shorter run is a count
/// or a time of day in prose.
pub const DIGIT_WORDS_MIN: usize = 9;

/// Fewest bytes of such a run (nine words of two letters or more, one
/// byte between each).
pub const DIGIT_WORDS_MIN_LEN: usize = 2 * DIGIT_WORDS_MIN + DIGIT_WORDS_MIN - 1;

/// Bytes a run of digit words is written with: the letters of `zero` to
/// `nine` and `oh` (either case), digits, and the separators read
/// between words.
const DIGIT_TEXT: [bool; 256] = {
    let mut t = [false; 256];
    let letters = b"efghinorstuvwxz";
    let mut i = 0;
    while i < letters.len() {
        t[letters[i] as usize] = true;
        t[letters[i].to_ascii_uppercase() as usize] = true;
        i += 1;
    }
    let mut d = b'0';
    while d <= b'9' {
        t[d as usize] = true;
        d += 1;
    }
    t[b' ' as usize] = true;
    t[b'\t' as usize] = true;
    t[b',' as usize] = true;
    t[b'-' as usize] = true;
    t[b'.' as usize] = true;
    t[b'/' as usize] = true;
    t
};

/// Whether `t` has [`DIGIT_WORDS_MIN_LEN`] bytes in a row of [`DIGIT_TEXT`]
/// (every run [`digit_words`] reads has): one byte in 16 looked at, a
/// byte outside the set (`a`, `c`, `d`, `l`, `m`, `p`, `y`, capitals of
/// them, most punctuation) ends the look there.
pub fn may_have_digit_words(t: &[u8]) -> bool {
    const STRIDE: usize = 16;
    let n = t.len();
    let mut i = STRIDE - 1;
    while i < n {
        if !DIGIT_TEXT[t[i] as usize] {
            i += STRIDE;
            continue;
        }
        let mut a = i;
        while a > 0 && DIGIT_TEXT[t[a - 1] as usize] {
            a -= 1;
        }
        let mut b = i + 1;
        while b < n && DIGIT_TEXT[t[b] as usize] {
            b += 1;
        }
        if b - a >= DIGIT_WORDS_MIN_LEN {
            return true;
        }
        i = b + STRIDE;
    }
    false
}

/// Longest run of text kept before a run of digit words, so that the word
/// that names the number (`ssn`, `phone`, `card`) is read with it.
const DIGIT_WORDS_CONTEXT: usize = 24;

/// Digits spelled as words (`four one one one one one …`, `zero seven
/// eight - zero five - one one two zero`): runs of [`DIGIT_WORDS_MIN`]
/// digit words or more (digits written as digits may stand between them),
/// separated by white space or one of `,`, `-`, `.`, `/` (up to three
/// bytes), rewritten as the number a reader writes down: words joined, a
/// comma, dot, slash or spaced dash read as one space (the grouping the
/// number checks read). Each run is one line of the text returned, after up to
/// [`DIGIT_WORDS_CONTEXT`] bytes of the text before it on its line; the
/// second list holds, per line, where it starts and where its digits start
/// (a match must reach the digits). Each digit maps to the start of its
/// word: callers widen a span's end to the end of the word.
pub fn digit_words(t: &[u8]) -> Option<(Spelled, Vec<(usize, usize)>)> {
    let mut out: Option<(Spelled, Vec<(usize, usize)>)> = None;
    let mut run: Vec<(usize, usize)> = Vec::new();
    let mut spelled = 0;
    let mut i = 0;
    let mut prev_end = 0;
    let flush =
        |run: &mut Vec<(usize, usize)>, spelled: &mut usize, out: &mut Option<(Spelled, Vec<(usize, usize)>)>| {
            if *spelled >= DIGIT_WORDS_MIN {
                let (o, lines) = out.get_or_insert_with(|| (Spelled::new(), Vec::new()));
                let first = run[0].0;
                let line_start = t[..first]
                    .iter()
                    .rposition(|&c| c == b'\n' || c == b'\r')
                    .map_or(0, |k| k + 1);
                let ctx = line_start.max(first.saturating_sub(DIGIT_WORDS_CONTEXT));
                if !o.text.is_empty() {
                    o.push(b'\n', first);
                }
                let at = o.text.len();
                o.extend_from(t, ctx, first);
                lines.push((at, o.text.len()));
                for (k, &(a, z)) in run.iter().enumerate() {
                    // a comma, dot or slash, or a dash with spaces, ends a group
                    // (`four-one` is one group, as `forty-two` is one number)
                    let sep = &t[if k > 0 { run[k - 1].1 } else { a }..a];
                    let ends = sep.iter().any(|c| matches!(c, b',' | b'.' | b'/'))
                        || (sep.contains(&b'-') && sep.iter().any(|&c| is_ws(c)));
                    if ends {
                        o.push(b' ', a - sep.len());
                    }
                    match digit_word(&t[a..z]) {
                        Some(d) => o.push(d, a),
                        None => o.extend_from(t, a, z),
                    }
                }
            }
            run.clear();
            *spelled = 0;
        };
    while i < t.len() {
        if !t[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let a = i;
        while i < t.len() && t[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let w = &t[a..i];
        let word = digit_word(w).is_some();
        let element = word || (w.len() <= 4 && w.iter().all(u8::is_ascii_digit));
        let sep = &t[prev_end..a];
        let joined = !run.is_empty()
            && sep.len() <= 3
            && sep
                .iter()
                .all(|&c| matches!(c, b' ' | b'\t' | b',' | b'-' | b'.' | b'/'));
        if !element || !joined {
            flush(&mut run, &mut spelled, &mut out);
        }
        if element {
            run.push((a, i));
            spelled += usize::from(word);
        }
        prev_end = i;
    }
    flush(&mut run, &mut spelled, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{DetectorSet, Scratch};
    use crate::registry::Builtin;

    fn set() -> &'static DetectorSet {
        static SET: std::sync::OnceLock<DetectorSet> = std::sync::OnceLock::new();
        SET.get_or_init(|| DetectorSet::new(&[]).unwrap_or_else(|e| panic!("{e:?}")))
    }

    /// The e-mail findings (spans of `t`) of the rewritten text, with the
    /// gate (`gated`) or without.
    fn findings(t: &[u8], gated: bool) -> Vec<(usize, usize)> {
        if gated {
            let open = t.iter().any(|c| matches!(c, b'[' | b'(' | b'{' | b'<'));
            let space = t.iter().any(|&c| is_ws(c) || c == b'\n' || c == b'\r');
            if t.len() < MIN_LEN || !may_have(t, open, t.contains(&b'@'), space) {
                return Vec::new();
            }
        }
        let Some(sp) = emails(t) else { return Vec::new() };
        let mut out = Vec::new();
        set().scan(&sp.text, &mut Scratch::default(), &mut out);
        out.iter()
            .filter(|m| m.detector == Builtin::Email as u16)
            .map(|m| sp.original_span(m.start, m.end))
            .collect()
    }

    /// The gate (length, [`may_have`]) drops nothing the full pass finds,
    /// on every string of the case tables and test data, whole and cut.
    #[test]
    fn gate_is_exact_on_corpora() {
        let mut found = 0;
        for s in crate::normalize::corpus::all() {
            let n = crate::normalize::normalize(s.as_bytes());
            for t in [s.as_bytes(), &n.text[..]] {
                let want = findings(t, false);
                found += want.len();
                assert_eq!(findings(t, true), want, "{s:?}");
            }
        }
        assert!(found >= 20, "the corpus has spelled addresses ({found})");
    }

    /// What [`spelled_words`] finds, without returning at a spelled `at`:
    /// whether it found ` dot `/` DOT `, and the spelled `at`s it saw.
    fn words(t: &[u8]) -> (bool, Vec<usize>) {
        let mut ats = Vec::new();
        let dot = spelled_words(t, |q, _| {
            ats.push(q);
            false
        });
        (dot, ats)
    }

    /// A substring search for what [`spelled_words`] looks for: ` dot `
    /// or ` DOT ` anywhere, and every ` at `, ` AT `, ` At ` (before the
    /// first dot found, where the walk stops).
    fn substrings(t: &[u8]) -> (bool, Vec<usize>) {
        // (a tab or a line break for either space: LF before, LF or CRLF after)
        let before = |b: u8| matches!(b, b' ' | b'\t' | b'\n');
        let after = |q: usize| match t.get(q) {
            Some(b' ' | b'\t' | b'\n') => true,
            Some(b'\r') => t.get(q + 1) == Some(&b'\n'),
            _ => false,
        };
        let dot = t
            .windows(4)
            .enumerate()
            .position(|(q, w)| before(w[0]) && matches!(&w[1..4], b"dot" | b"DOT") && after(q + 4));
        // (overlapping: ` at at `)
        let ats = t
            .windows(4)
            .enumerate()
            .filter(|&(q, w)| before(w[0]) && matches!(&w[1..3], b"at" | b"AT" | b"At") && after(q + 3))
            .map(|(q, _)| q)
            .filter(|&q| dot.is_none_or(|d| q + 3 < d + 4))
            .collect();
        (dot.is_some(), ats)
    }

    /// The one-pass search finds what a substring search finds.
    #[test]
    fn spelled_words_is_a_substring_search() {
        let mut n = 0;
        for s in crate::normalize::corpus::all() {
            for w in [s.as_bytes(), &s.as_bytes()[s.len() / 3..]] {
                assert_eq!(words(w), substrings(w), "{s:?}");
                n += usize::from(words(w).0) + words(w).1.len();
            }
        }
        assert!(n >= 10, "{n}");
        for s in [
            "",
            " dot",
            " dot ",
            "x dot y",
            "dot dot  dot",
            "  dot  ",
            " dOt ",
            " DOT",
            "a DOT b",
            "t dott dot ",
            " at ",
            "x at y AT z At w",
            "at at  at   at",
            " aT ",
            "cat at dot at ",
            "  at dot ",
        ] {
            assert_eq!(words(s.as_bytes()), substrings(s.as_bytes()), "{s:?}");
        }
    }

    /// The shortest addresses of each form are found through the gate.
    #[test]
    fn gate_passes_the_shortest_addresses() {
        for s in [
            "a1 @b.cc",
            "a1@ b.cc",
            "a[@]b.cc",
            "a@b[.]cc",
            "a(at)b.cc",
            "a@b dot cc",
            "a.b at c dot de",
            "a1 . b@c.de",
            "ab.cd at e.fg",
            "a_b At c.de",
        ] {
            assert_eq!(findings(s.as_bytes(), true), [(0, s.len())], "{s:?}");
        }
    }

    /// Pieces of addresses, tokens and prose for the property below.
    const PIECES: &[&str] = &[
        "a",
        "b1",
        "jane",
        "x.y",
        "doe",
        "co",
        "com",
        "uk",
        "1",
        "_",
        "-",
        "+",
        ".",
        "@",
        " ",
        "  ",
        "\t",
        "[",
        "]",
        "(",
        ")",
        "{",
        "}",
        "<",
        ">",
        "at",
        "AT",
        "At",
        "dot",
        "DOT",
        "Dot",
        " at ",
        " dot ",
        " AT ",
        " DOT ",
        "[at]",
        "(at)",
        "[dot]",
        "(.)",
        "[@]",
        "[ at ]",
        " [dot] ",
        " @ ",
        "@ ",
        " @",
        "é",
        ",",
        ";",
        "\n",
        "e",
        "cc",
        "(x)",
        "(a b)",
        "((c))",
        ").",
        ".(",
        ")@",
        "@(",
        " a",
        " b ",
        " . ",
        " x",
        " c o",
        " At ",
        "x_y",
        "j.d",
        "  at  ",
        "ab",
        "e.g",
        ".com",
        "README.md",
        "\t.\t",
        "a+b",
        "\n",
        "\r\n",
        " at\n",
        "\nat ",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        /// The gate is exact: gated and ungated passes find the same.
        #[test]
        fn gate_is_exact(parts in proptest::collection::vec(0..PIECES.len(), 1..24)) {
            let s: String = parts.iter().map(|&i| PIECES[i]).collect();
            proptest::prop_assert_eq!(findings(s.as_bytes(), true), findings(s.as_bytes(), false), "{:?}", s);
        }

        /// The gate of [`digit_words`] is sound on text made of digit
        /// words, digits, separators and other words.
        #[test]
        fn digit_words_gate_is_sound_on_mixes(parts in proptest::collection::vec(0..14usize, 0..60)) {
            const P: &[&str] = &["one", "oh", "FOUR", "seven", "zero", " ", ", ", "-", "41", "x", "day", "\n", "nine", "at"];
            let s: String = parts.iter().map(|&i| P[i]).collect();
            let t = s.as_bytes();
            proptest::prop_assert!(may_have_digit_words(t) || digit_words(t).is_none(), "{:?}", s);
        }

        /// The one-pass search is a substring search, on text made of the
        /// needles' bytes.
        #[test]
        fn spelled_words_finds_what_memmem_finds(parts in proptest::collection::vec(0..16usize, 0..40)) {
            const P: &[&str] = &[" ", "d", "o", "t", "D", "O", "T", "x", " dot", "a", "A", " at", "\t", "ta", "\n", "\r"];
            let s: String = parts.iter().map(|&i| P[i]).collect();
            let t = s.as_bytes();
            proptest::prop_assert_eq!(words(t), substrings(t), "{:?}", s);
        }
    }

    fn read(s: &str) -> Vec<(String, String)> {
        let Some(sp) = emails(s.as_bytes()) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut at = 0;
        for line in sp.text.split(|&c| c == b'\n') {
            if !line.is_empty() {
                let (a, b) = sp.original_span(at, at + line.len());
                out.push((String::from_utf8_lossy(line).into_owned(), s[a..b].to_string()));
            }
            at += line.len() + 1;
        }
        out
    }

    fn one(s: &str) -> String {
        let r = read(s);
        assert_eq!(r.len(), 1, "{s:?}: {r:?}");
        r[0].0.clone()
    }

    #[test]
    fn reads_bracketed_and_spelled_tokens() {
        for s in [
            "jane.doe [at] example [dot] com",
            "jane.doe(at)example(dot)com",
            "jane.doe{at}example{dot}com",
            "jane.doe<at>example<dot>com",
            "jane.doe [@] example [.] com",
            "jane.doe[@]example[.]com",
            "jane.doe [ at ] example [ dot ] com",
            "jane.doe [AT] example [DOT] com",
            "jane.doe (At) example (Dot) com",
            "jane.doe\t[at]\texample\t[dot]\tcom",
            "jane.doe@example[.]com",
            "jane.doe [at] example.com",
            "jane.doe at example [dot] com",
            "jane [dot] doe [at] example [dot] com",
            "jane.doe at example dot com",
            "jane.doe AT example DOT com",
            "jane dot doe at example dot com",
            "jane.doe@example dot com",
            "jane.doe @ example.com",
            "jane.doe@ example.com",
            "jane.doe @example.com",
            "jane.doe  (at)  example  (dot)  com",
            "jane . doe @ example . com",
            "jane . doe@example . com",
            "jane.doe@example . com",
            "jane . doe at example . com",
            "jane.doe at example.com",
            "jane.doe AT example.com",
            "jane.doe At example.com",
            "jane.doe   at   example.com",
            "jane . doe at example.com",
            "jane.doe at example . com",
            "jane . doe At example . com",
            "jane . doe@example.com",
            "jane\t.\tdoe@example\t.\tcom",
            "jane.doe at\nexample.com",
            "jane.doe at\r\nexample.com",
            "jane.doe\nat example.com",
            "jane.doe \r\n  at example.com",
            "jane.doe\nat\nexample.com",
            "jane.doe AT \n example.com",
            "jane.doe at\nexample dot com",
            "jane.doe\tat\texample.com",
            "jane.doe\tat\texample\tdot\tcom",
            "jane.doe at example dot\ncom",
            "jane.doe at example\ndot com",
            "jane.doe at example dot\r\n  com",
            "jane.doe \t at \t example \t dot \t com",
        ] {
            let want = "jane.doe@example.com";
            assert_eq!(one(s).to_ascii_lowercase(), want, "{s:?}");
            // the span is the whole written address
            assert_eq!(read(s)[0].1, s.trim(), "{s:?}");
        }
        assert_eq!(
            one("mail: j_doe99 [at] mail [dot] example [dot] co [dot] uk."),
            "j_doe99@mail.example.co.uk"
        );
        assert_eq!(read("x (jane(at)example(dot)org) y")[0].1, "jane(at)example(dot)org");
        assert_eq!(one("mail j_doe at mail.example.co.uk now"), "j_doe@mail.example.co.uk");
        assert_eq!(one("mail jane+news at example.org."), "jane+news@example.org");
        assert_eq!(
            read("a [at] b [dot] cc, c.d at e dot fr")
                .iter()
                .map(|x| x.0.as_str())
                .collect::<Vec<_>>(),
            ["a@b.cc", "c.d@e.fr"]
        );
    }

    /// RFC 5322 comments inside an address are dropped, as a receiver
    /// that parses it does; the span is the whole written address.
    #[test]
    fn reads_addresses_with_comments() {
        for (s, want) in [
            ("mail jane.doe(x)@example.com now", "jane.doe(x)@example.com"),
            ("mail jane.doe@(x)example.com now", "jane.doe@(x)example.com"),
            ("mail jane(x).doe@example.com", "jane(x).doe@example.com"),
            ("mail jane.(x)doe@example.com", "jane.(x)doe@example.com"),
            (
                "mail jane.doe(a note)@example(y).com",
                "jane.doe(a note)@example(y).com",
            ),
            ("mail jane.doe((nested))@example.com", "jane.doe((nested))@example.com"),
            // with white space around it (RFC 5322's CFWS)
            ("mail jane.doe (work) @example.com", "jane.doe (work) @example.com"),
            ("mail jane.doe(work) @ example.com", "jane.doe(work) @ example.com"),
            ("mail jane.doe @ (work) example.com", "jane.doe @ (work) example.com"),
            ("mail jane.doe@ (c) example.com", "jane.doe@ (c) example.com"),
            ("mail jane (x) .doe@example.com", "jane (x) .doe@example.com"),
            ("mail jane.doe@example (x) .com", "jane.doe@example (x) .com"),
            ("mail jane.doe\t(a)\t@example.com", "jane.doe\t(a)\t@example.com"),
            ("mail jane.doe (x)(y) @example.com", "jane.doe (x)(y) @example.com"),
        ] {
            let r = read(s);
            assert_eq!(r.len(), 1, "{s:?}: {r:?}");
            assert_eq!(r[0].0, "jane.doe@example.com", "{s:?}");
            assert_eq!(r[0].1, want, "{s:?}");
            assert_eq!(findings(s.as_bytes(), true).len(), 1, "{s:?} passes the gate");
        }
        for s in [
            "call f(x).g and mail me@example.com",
            "a user@example.com (see above).",
            "f(x)@g",
            "jane.doe (x) @example",
            "jane.doe(x\ny)@example.com",
            "fn(a).b(c).d",
            "x @(y) z",
            // spaced: the local part has to look like one, as for `a @ b.c`
            "call me (now) @ 5pm",
            "call me (now) @ cafe.com",
            "Sam (at work) @ acme.com",
            "see f (x) .g then",
            "x (y) @ z",
        ] {
            assert!(
                read(s)
                    .iter()
                    .all(|r| r.0 == "user@example.com" || r.0 == "me@example.com"),
                "{s:?}: {:?}",
                read(s)
            );
        }
    }

    /// An address spelled one character at a time with white space between.
    #[test]
    fn reads_addresses_spaced_letter_by_letter() {
        for (s, want) in [
            (
                "mail j a n e . d o e @ e x a m p l e . c o m now",
                "j a n e . d o e @ e x a m p l e . c o m",
            ),
            (
                "j  a  n  e @ e x a m p l e . c o m",
                "j  a  n  e @ e x a m p l e . c o m",
            ),
            ("to:\tj\ta\tn\te\t@\te\tx\t.\tc\to", "j\ta\tn\te\t@\te\tx\t.\tc\to"),
            (
                "x 1 _ 2 @ m a i l . e x a m p l e . o r g",
                "x 1 _ 2 @ m a i l . e x a m p l e . o r g",
            ),
        ] {
            let r = read(s);
            assert_eq!(r.len(), 1, "{s:?}: {r:?}");
            assert_eq!(r[0].1, want, "{s:?}");
            assert!(r[0].0.contains('@') && !r[0].0.contains(' '), "{r:?}");
            assert_eq!(findings(s.as_bytes(), true).len(), 1, "{s:?} passes the gate");
        }
        for s in [
            "a @ b",
            "meet @ cafe . com",
            "x y @ z",
            "team A @ 5 p m",
            "1 2 3 @ 4 5 6 . 7",
            "score: 3 @ 2 . 5 x",
        ] {
            assert!(findings(s.as_bytes(), true).is_empty(), "{s:?}: {:?}", read(s));
        }
    }

    fn digits(s: &str) -> Vec<String> {
        let Some((j, lines)) = digit_words(s.as_bytes()) else {
            return Vec::new();
        };
        lines
            .iter()
            .map(|&(_, d)| {
                let end = j.text[d..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(j.text.len(), |k| d + k);
                String::from_utf8_lossy(&j.text[d..end]).into_owned()
            })
            .collect()
    }

    #[test]
    fn reads_digits_spelled_as_words() {
        let card = "four one one one one one one one one one one one one one one one";
        assert_eq!(digits(&format!("card: {card} thanks")), ["4111111111111111"]);
        assert_eq!(
            digits("ssn zero seven eight, zero five, one one two zero"),
            ["078 05 1120"]
        );
        assert_eq!(
            digits("FOUR-ONE-ONE-ONE one one one one 1111 one one one one"),
            ["4111111111111111"]
        );
        assert_eq!(
            digits("four one one one - one one one one - one one one one"),
            ["4111 1111 1111"]
        );
        assert_eq!(
            digits("call five five five, oh one two three four five six"),
            ["555 0123456"]
        );
        for s in [
            "one two three four five six seven eight",
            "I have one or two, maybe three",
            "at nine, then ten, then eleven",
            "",
        ] {
            assert!(digits(s).is_empty(), "{s:?}: {:?}", digits(s));
        }
    }

    /// The gate drops no text [`digit_words`] reads (corpora, and spelled
    /// runs at every offset and length of padding).
    #[test]
    fn digit_words_gate_is_sound() {
        let mut read = 0;
        let pad = [
            "",
            "x",
            "my card is ",
            "call me on\n",
            "a. b. c. d. e. f. g. h. a b c d e f g ",
        ];
        let runs = [
            "four one one one one one one one one one one one one one one one",
            "oh oh oh oh oh oh oh oh oh",
            "one two six one two six one two six",
            "zero seven eight - zero five - one one two zero",
        ];
        let mut texts: Vec<String> = crate::normalize::corpus::all();
        for p in pad {
            for r in runs {
                for q in pad {
                    texts.push(format!("{p}{r}{q}"));
                }
            }
        }
        for s in texts {
            if digit_words(s.as_bytes()).is_some() {
                read += 1;
                assert!(may_have_digit_words(s.as_bytes()), "gate drops {s:?}");
            }
        }
        assert!(read >= 40, "{read}");
    }

    #[test]
    fn leaves_prose_and_plain_addresses_alone() {
        for s in [
            "jane.doe@example.com",
            "look at example dot com",
            "visit us at example dot com",
            "sign up at acme dot com today",
            "we met at the dot com boom",
            "files at s3.amazonaws.com",
            "look at example.com",
            "meet me at example.com",
            "john at gmail.com",
            "check-in at hotel.example.com",
            "README.md at github.com",
            "Node.js at nodejs.org",
            "mirror of example.com at example.org",
            "we met at 5.30 at cafe.com",
            "v1.2 at example.com",
            "e.g. at example.com",
            "e.g at example.com",
            "at 9 a.m at cafe.com",
            "com.example.app at play.google.com",
            "org.apache at apache.org",
            "config.yaml at gitlab.com",
            "the dot com at example.com",
            "John at Acme Inc.",
            "call me at 5 p.m. today",
            "Look At Example.com",
            "Visit Us At Shop.Example.com",
            "Node.Js At Nodejs.org",
            "x.y At example dot com",
            "meet me at\nexample.com",
            "look\nat example.com",
            "jane.doe at\n\nexample.com",
            "jane.doe dot\nexample dot com",
            "see fig . 2 and p . 5",
            "end of story . Next one",
            "meet @ cafe.com",
            "ping me @ slack.com",
            "Sam (at) work",
            "see [1] and (2)",
            "the cat at home dot",
            "call (at least) once",
            "a [dot] b",
            "x at y Dot com",
            "x.y At example Dot com",
            "x.y\tAt\texample\tDot\tcom",
            "the dot\ncom era at example.com",
            "lunch\tat\tnoon",
            "2 at example dot com",
            "",
            "@ [at] (dot)",
        ] {
            assert!(read(s).is_empty(), "{s:?}: {:?}", read(s));
        }
    }
}
