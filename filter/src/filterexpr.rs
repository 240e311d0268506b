//! Field names in a query language, which send a value beside the
//! attribute that says what it is, as a JSON key does:
//! - OData's `$filter` (`LastName eq 'Quispe'`, `contains(LastName,'Qui')`,
//!   `BirthDate eq 1970-01-02`) and SCIM's `filter` (`name.familyName eq
//!   "Quispe"`, RFC 7644 3.4.2.2): an attribute path, a comparison operator
//!   and a literal, or a string function of an attribute and a literal;
//! - Lucene's query syntax (Elasticsearch's `q` and `query_string`, Solr's
//!   `q` and `fq`): `lastName:Quispe`, `surname:"Quispe Mamani"`,
//!   `birthDate:[1970-01-01 TO 1970-12-31]`, `lastName:(Quispe OR Mamani)`;
//! - RSQL/FIQL (rsql-parser, Apache CXF): `lastName==Quispe;age=gt=30`,
//!   `lastName=in=(Quispe,Mamani)`.
//!
//! Which grammars a parameter's value is read in depends on its name
//! ([`langs_of_key`]); each is one linear pass over the bytes, and Lucene
//! and RSQL only run where their operator (`:`, `=`) occurs. The class of
//! the attribute's words classifies the literal.

use crate::fields::{FieldClass, Words};

/// The comparison operators of OData and SCIM (any case).
const OPERATORS: &[&[u8]] = &[
    b"eq", b"ne", b"gt", b"ge", b"lt", b"le", b"co", b"sw", b"ew", b"has", b"in",
];

/// String functions of an attribute and a literal, in either order.
const FUNCTIONS: &[&[u8]] = &[
    b"contains",
    b"startswith",
    b"endswith",
    b"substringof",
    b"indexof",
    b"matchespattern",
];

/// The query languages a value may be written in (a set).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Langs(u8);

impl Langs {
    pub const NONE: Langs = Langs(0);
    /// OData `$filter`, SCIM `filter`.
    pub const ODATA: Langs = Langs(1);
    /// Lucene query syntax (`field:term`).
    pub const LUCENE: Langs = Langs(2);
    /// RSQL / FIQL (`field==arg`, `field=op=arg`).
    pub const RSQL: Langs = Langs(4);

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn has(self, l: Langs) -> bool {
        self.0 & l.0 != 0
    }
}

/// The query languages the value of `key` (a query, form or cookie name, or
/// a JSON member's name; decoded) is read in: `$filter` and `filter` (OData,
/// SCIM, and the others' filter parameters), `where`; `q`, `fq`, `bq`,
/// `query`, `search`, `_s` (Elasticsearch, Solr, Spring and CXF search).
#[inline]
pub fn langs_of_key(key: &[u8]) -> Langs {
    // (most names are none of these: their length and first byte say so)
    if !matches!(key.len(), 1..=7)
        || !matches!(
            key[0].to_ascii_lowercase(),
            b'$' | b'_' | b'b' | b'f' | b'q' | b's' | b'w'
        )
    {
        return Langs::NONE;
    }
    langs_of_short_key(key)
}

#[inline(never)]
fn langs_of_short_key(key: &[u8]) -> Langs {
    const ALL: Langs = Langs(Langs::ODATA.0 | Langs::LUCENE.0 | Langs::RSQL.0);
    const TEXT: Langs = Langs(Langs::LUCENE.0 | Langs::RSQL.0);
    const KEYS: &[(&[u8], Langs)] = &[
        (b"$filter", ALL),
        (b"filter", ALL),
        (b"filters", ALL),
        (b"where", ALL),
        (b"q", TEXT),
        (b"fq", TEXT),
        (b"bq", TEXT),
        (b"query", TEXT),
        (b"search", TEXT),
        (b"_s", TEXT),
    ];
    KEYS.iter()
        .find(|(k, _)| key.eq_ignore_ascii_case(k))
        .map_or(Langs::NONE, |&(_, l)| l)
}

fn path_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'/' | b':' | b'$')
}

/// A literal at `i`: a quoted string (`'…'` with `''` inside, `"…"` with
/// `\"` inside) as its content's range, or a bare token (a number, a date,
/// a GUID) up to white space, `)`, `,` or `]`. `(end, start, stop)`.
fn literal(v: &[u8], i: usize) -> Option<(usize, usize, usize)> {
    match *v.get(i)? {
        q @ (b'\'' | b'"') => {
            let mut j = i + 1;
            while j < v.len() {
                if q == b'"' && v[j] == b'\\' {
                    j += 2;
                    continue;
                }
                if v[j] == q {
                    if q == b'\'' && v.get(j + 1) == Some(&b'\'') {
                        j += 2;
                        continue;
                    }
                    return Some((j + 1, i + 1, j));
                }
                j += 1;
            }
            None
        }
        _ => {
            let e = v[i..]
                .iter()
                .position(|&c| c.is_ascii_whitespace() || matches!(c, b')' | b',' | b']' | b'('))
                .map_or(v.len(), |p| i + p);
            (e > i).then_some((e, i, e))
        }
    }
}

fn spaces(v: &[u8], mut i: usize) -> usize {
    while i < v.len() && v[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The literals (start, end, class) that an attribute classifies in `v`
/// read in each of `langs`, in order, none overlapping another.
pub fn field_values(
    v: &[u8],
    langs: Langs,
    classify: &mut dyn FnMut(&Words) -> Option<FieldClass>,
) -> Vec<(usize, usize, FieldClass)> {
    let mut out = Vec::new();
    if langs.has(Langs::ODATA) {
        odata_values(v, classify, &mut out);
    }
    if langs.has(Langs::LUCENE) && memchr::memchr(b':', v).is_some() {
        lucene_values(v, classify, &mut out);
    }
    if langs.has(Langs::RSQL) && memchr::memchr(b'=', v).is_some() {
        rsql_values(v, classify, &mut out);
    }
    out.sort_by_key(|&(s, e, _)| (s, std::cmp::Reverse(e)));
    let mut end = 0;
    out.retain(|&(s, e, _)| {
        let keep = s >= end;
        end = end.max(e);
        keep
    });
    out
}

/// OData and SCIM: comparisons and string functions.
fn odata_values(
    v: &[u8],
    classify: &mut dyn FnMut(&Words) -> Option<FieldClass>,
    out: &mut Vec<(usize, usize, FieldClass)>,
) {
    let mut i = 0;
    while i < v.len() {
        let c = v[i];
        if c == b'\'' || c == b'"' {
            // a literal outside a comparison: stepped over whole
            i = literal(v, i).map_or(v.len(), |l| l.0);
            continue;
        }
        if !(c.is_ascii_alphabetic() || c == b'_') || (i > 0 && path_char(v[i - 1])) {
            i += 1;
            continue;
        }
        let a = i;
        while i < v.len() && path_char(v[i]) {
            i += 1;
        }
        let path = &v[a..i];
        // a function: `contains(LastName,'Qui')`, `substringof('Qui',LastName)`
        if v.get(i) == Some(&b'(') && FUNCTIONS.iter().any(|f| path.eq_ignore_ascii_case(f)) {
            let x = spaces(v, i + 1);
            let (first_end, first_is_path) = match v.get(x) {
                Some(b'\'' | b'"') => (literal(v, x).map_or(v.len(), |l| l.0), false),
                _ => (x + v[x..].iter().take_while(|&&c| path_char(c)).count(), true),
            };
            let comma = spaces(v, first_end);
            if v.get(comma) == Some(&b',') {
                let s = spaces(v, comma + 1);
                let (attr, lit) = if first_is_path {
                    ((x, first_end), literal(v, s))
                } else {
                    let pe = s + v[s..].iter().take_while(|&&c| path_char(c)).count();
                    ((s, pe), literal(v, x))
                };
                if let Some((_, ls, le)) = lit {
                    if let Some(cls) = classify(&Words::split(&v[attr.0..attr.1])) {
                        if le > ls {
                            out.push((ls, le, cls));
                        }
                    }
                }
            }
            i += 1;
            continue;
        }
        // a comparison: `LastName eq 'Quispe'`, `name.familyName sw "Qui"`
        let o = spaces(v, i);
        if o == i {
            continue;
        }
        let oe = o + v[o..].iter().take_while(|c| c.is_ascii_alphabetic()).count();
        if !OPERATORS.iter().any(|op| v[o..oe].eq_ignore_ascii_case(op)) {
            continue;
        }
        let l = spaces(v, oe);
        if l == oe {
            continue;
        }
        // (`in ('a','b')`: every literal of the list)
        let lits: Vec<(usize, usize, usize)> = if v.get(l) == Some(&b'(') {
            let mut k = l + 1;
            let mut lits = Vec::new();
            while let Some(lit) = literal(v, spaces(v, k)) {
                lits.push(lit);
                k = spaces(v, lit.0);
                if v.get(k) != Some(&b',') {
                    break;
                }
                k += 1;
            }
            lits
        } else {
            literal(v, l).into_iter().collect()
        };
        if let Some(&(end, _, _)) = lits.last() {
            if let Some(cls) = classify(&Words::split(path)) {
                out.extend(lits.iter().filter(|l| l.2 > l.1).map(|l| (l.1, l.2, cls)));
            }
            i = end;
        }
    }
}

/// A character of a Lucene field name (Elasticsearch's `name.*`, `\ `
/// escapes aside).
fn lucene_field_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'*' | b'@' | b'$')
}

/// Where a Lucene term that starts at `i` ends: white space or a `)` that
/// no `\` escapes.
fn lucene_term_end(v: &[u8], mut i: usize) -> usize {
    while i < v.len() {
        match v[i] {
            b'\\' => i += 2,
            c if c.is_ascii_whitespace() || c == b')' => break,
            _ => i += 1,
        }
    }
    i.min(v.len())
}

/// A quoted run at `i` (`"…"` or `/…/`, `\` escaping): `(end, start,
/// stop)` of its content; an unclosed one runs to the end.
fn quoted(v: &[u8], i: usize) -> (usize, usize, usize) {
    let q = v[i];
    let mut j = i + 1;
    while j < v.len() {
        if v[j] == b'\\' {
            j += 2;
            continue;
        }
        if v[j] == q {
            return (j + 1, i + 1, j);
        }
        j += 1;
    }
    (v.len(), i + 1, v.len())
}

/// A Lucene term's bytes without its boost or fuzziness (`Quispe^2`,
/// `Quispe~1`) and without a comparison before it (`>=1970-01-01`);
/// `None` for `*` alone, an operator or nothing.
fn lucene_term(v: &[u8], s: usize, e: usize) -> Option<(usize, usize)> {
    let mut s = s;
    while s < e && matches!(v[s], b'>' | b'<' | b'=' | b'+' | b'-' | b'!') {
        s += 1;
    }
    let mut t = s;
    while t < e {
        match v[t] {
            b'\\' => t += 2,
            b'^' | b'~' => break,
            _ => t += 1,
        }
    }
    let t = t.min(e);
    let w = &v[s..t];
    let op = [&b"AND"[..], b"OR", b"NOT", b"TO", b"&&", b"||"].contains(&w);
    (!op && w.iter().any(|&c| c != b'*' && c != b'?')).then_some((s, t))
}

/// Lucene: `field:term`, `field:"phrase"`, `field:[a TO b]`,
/// `field:(a OR b)`, `field:/regex/`, `field:>=a`.
fn lucene_values(
    v: &[u8],
    classify: &mut dyn FnMut(&Words) -> Option<FieldClass>,
    out: &mut Vec<(usize, usize, FieldClass)>,
) {
    let mut i = 0;
    while i < v.len() {
        let c = v[i];
        if c.is_ascii_whitespace() || matches!(c, b'(' | b')' | b'+' | b'-' | b'!') {
            i += 1;
            continue;
        }
        if c == b'"' || c == b'/' {
            // a phrase or a regular expression of the default field
            i = quoted(v, i).0;
            continue;
        }
        if c == b'[' || c == b'{' {
            i = v[i..]
                .iter()
                .position(|&c| c == b']' || c == b'}')
                .map_or(v.len(), |p| i + p + 1);
            continue;
        }
        // a token: a field name and `:`, or a term of the default field
        let a = i;
        while i < v.len() && (lucene_field_char(v[i]) || (v[i] == b'\\' && i + 1 < v.len())) {
            i += if v[i] == b'\\' { 2 } else { 1 };
        }
        if i == a || v.get(i) != Some(&b':') || !(v[a].is_ascii_alphabetic() || v[a] == b'_') {
            i = lucene_term_end(v, i.max(a + 1));
            continue;
        }
        let cls = classify(&Words::split(&v[a..i]));
        let l = spaces(v, i + 1);
        let Some(&open) = v.get(l) else { break };
        let mut push = |s: usize, e: usize| {
            if let (Some(cls), Some((s, e))) = (cls, lucene_term(v, s, e)) {
                out.push((s, e, cls));
            }
        };
        match open {
            b'"' | b'/' => {
                let (end, s, e) = quoted(v, l);
                if let Some(cls) = cls.filter(|_| e > s) {
                    out.push((s, e, cls));
                }
                i = end;
            }
            b'[' | b'{' | b'(' => {
                // a range's bounds or a group's terms and phrases
                let close: &[u8] = if open == b'(' { b")" } else { b"]}" };
                let mut k = l + 1;
                while k < v.len() && !close.contains(&v[k]) {
                    match v[k] {
                        c if c.is_ascii_whitespace() || c == b'(' => k += 1,
                        b'"' => {
                            let (end, s, e) = quoted(v, k);
                            if e > s {
                                push(s, e);
                            }
                            k = end;
                        }
                        _ => {
                            let mut e = k;
                            while e < v.len() && !v[e].is_ascii_whitespace() && !close.contains(&v[e]) {
                                e += if v[e] == b'\\' { 2 } else { 1 };
                            }
                            let e = e.min(v.len());
                            push(k, e);
                            k = e;
                        }
                    }
                }
                i = k + 1;
            }
            _ => {
                let e = lucene_term_end(v, l);
                push(l, e);
                i = e;
            }
        }
    }
}

/// A character of an RSQL selector.
fn rsql_selector_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')
}

/// An RSQL argument at `i`: a quoted string's content (`"…"`, `'…'`, `\`
/// escaping) or an unreserved run. `(end, start, stop)`.
fn rsql_arg(v: &[u8], i: usize) -> Option<(usize, usize, usize)> {
    match *v.get(i)? {
        b'"' | b'\'' => Some(quoted(v, i)),
        _ => {
            let e = v[i..]
                .iter()
                .position(|&c| c.is_ascii_whitespace() || matches!(c, b';' | b',' | b'(' | b')' | b'"' | b'\''))
                .map_or(v.len(), |p| i + p);
            (e > i).then_some((e, i, e))
        }
    }
}

/// RSQL / FIQL: `selector==arg`, `selector!=arg`, `selector=op=arg`,
/// `selector=in=(a,b)`.
fn rsql_values(
    v: &[u8],
    classify: &mut dyn FnMut(&Words) -> Option<FieldClass>,
    out: &mut Vec<(usize, usize, FieldClass)>,
) {
    let mut i = 0;
    while i < v.len() {
        if !(v[i].is_ascii_alphabetic() || v[i] == b'_') || (i > 0 && rsql_selector_char(v[i - 1])) {
            i += 1;
            continue;
        }
        let a = i;
        while i < v.len() && rsql_selector_char(v[i]) {
            i += 1;
        }
        // the operator: `==`, `!=`, `=name=`
        let o = match v.get(i..i + 2) {
            Some(b"==" | b"!=") => i + 2,
            Some([b'=', c]) if c.is_ascii_alphabetic() => {
                let n = v[i + 1..].iter().take_while(|c| c.is_ascii_alphabetic()).count();
                if v.get(i + 1 + n) != Some(&b'=') {
                    continue;
                }
                i + 2 + n
            }
            _ => continue,
        };
        let Some(cls) = classify(&Words::split(&v[a..i])) else {
            i = o;
            continue;
        };
        let mut args = Vec::new();
        if v.get(o) == Some(&b'(') {
            let mut k = o + 1;
            while let Some(arg) = rsql_arg(v, spaces(v, k)) {
                args.push(arg);
                k = spaces(v, arg.0);
                if v.get(k) != Some(&b',') {
                    break;
                }
                k += 1;
            }
            i = k;
        } else if let Some(arg) = rsql_arg(v, o) {
            args.push(arg);
            i = arg.0;
        } else {
            i = o;
        }
        out.extend(args.iter().filter(|l| l.2 > l.1).map(|l| (l.1, l.2, cls)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::FieldKind::{self, *};

    fn found(q: &str) -> Vec<(String, FieldKind)> {
        field_values(q.as_bytes(), Langs::ODATA, &mut |w| crate::fields::classify(w))
            .into_iter()
            .map(|(s, e, c)| (q[s..e].to_string(), c.kind))
            .collect()
    }

    #[test]
    fn comparisons_and_functions_name_their_literals() {
        assert_eq!(found("LastName eq 'Quispe'"), [("Quispe".to_string(), PersonName)]);
        assert_eq!(
            found("name.familyName eq \"Quispe\" and birthDate ge 1970-01-02"),
            [
                ("Quispe".to_string(), PersonName),
                ("1970-01-02".to_string(), BirthDate)
            ]
        );
        assert_eq!(found("contains(LastName,'Qui')"), [("Qui".to_string(), PersonName)]);
        assert_eq!(
            found("substringof('O''Neil', Surname)"),
            [("O''Neil".to_string(), PersonName)]
        );
        assert_eq!(found("LastName in ('Quispe','Mamani')").len(), 2);
        // neither a product's fields nor words in a literal
        assert!(found("Name eq 'Widget' and Price lt 10").len() <= 1);
        assert!(found("Category eq 'lastName eq x' and Price lt 10").is_empty());
        assert!(found("ProductName eq 'Widget'").is_empty());
        assert!(found("status eq 'open'").is_empty());
        assert!(found("LastName eq").is_empty());
    }

    fn found_in(langs: Langs, q: &str) -> Vec<(String, FieldKind)> {
        field_values(q.as_bytes(), langs, &mut |w| crate::fields::classify(w))
            .into_iter()
            .map(|(s, e, c)| (q[s..e].to_string(), c.kind))
            .collect()
    }

    #[test]
    fn lucene_fields_name_their_terms() {
        let l = |q| found_in(Langs::LUCENE, q);
        assert_eq!(l("lastName:Quispe"), [("Quispe".to_string(), PersonName)]);
        assert_eq!(
            l("lastName:\"Quispe Mamani\" AND city:Lima").first(),
            Some(&("Quispe Mamani".to_string(), PersonName))
        );
        assert_eq!(
            l("+last_name:Quispe^2 -status:closed"),
            [("Quispe".to_string(), PersonName)]
        );
        assert_eq!(
            l("surname:(Quispe OR Mamani~1)"),
            [("Quispe".to_string(), PersonName), ("Mamani".to_string(), PersonName)]
        );
        assert_eq!(
            l("birthDate:[1970-01-01 TO *]"),
            [("1970-01-01".to_string(), BirthDate)]
        );
        assert_eq!(l("birthDate:>=1970-01-01"), [("1970-01-01".to_string(), BirthDate)]);
        assert_eq!(l("surname: /Quis.*/"), [("Quis.*".to_string(), PersonName)]);
        assert_eq!(l("email:jane\\@x.org").len(), 1);
        // not a field: words, URLs, times, a phrase's words, a default field's terms
        assert!(l("hello world").is_empty());
        assert!(l("http://x.example/lastName:a").is_empty());
        assert!(l("at 10:30 today").is_empty());
        assert!(l("\"lastName:Quispe\" title:rust").is_empty());
        assert!(l("title:rust AND tags:(wasm OR envoy) AND price:[10 TO 20]").is_empty());
        assert!(l("lastName:* AND lastName:").is_empty());
    }

    #[test]
    fn rsql_selectors_name_their_arguments() {
        let r = |q| found_in(Langs::RSQL, q);
        assert_eq!(r("lastName==Quispe;age=gt=30"), [("Quispe".to_string(), PersonName)]);
        assert_eq!(
            r("lastName==\"Quispe Mamani\""),
            [("Quispe Mamani".to_string(), PersonName)]
        );
        assert_eq!(
            r("lastName=in=(Quispe, 'Mamani')"),
            [("Quispe".to_string(), PersonName), ("Mamani".to_string(), PersonName)]
        );
        assert_eq!(r("dateOfBirth=ge=1970-01-02"), [("1970-01-02".to_string(), BirthDate)]);
        assert!(r("status==open;price=lt=10;tags=in=(a,b)").is_empty());
        assert!(r("token=abc==").is_empty());
        assert!(r("a=b&c=d").is_empty());
    }

    #[test]
    fn parameter_names_choose_the_languages() {
        assert_eq!(langs_of_key(b"q"), Langs(Langs::LUCENE.0 | Langs::RSQL.0));
        assert!(langs_of_key(b"$FILTER").has(Langs::ODATA));
        assert!(langs_of_key(b"Filter").has(Langs::LUCENE));
        assert!(!langs_of_key(b"search").has(Langs::ODATA));
        assert!(langs_of_key(b"_s").has(Langs::RSQL));
        assert!(langs_of_key(b"qq").is_empty());
        assert!(langs_of_key(b"lastName").is_empty());
        assert!(langs_of_key(b"").is_empty());
        // every language in one value: the literals do not overlap
        let all = langs_of_key(b"filter");
        let f = found_in(all, "surname:Quispe and lastName==Mamani or LastName eq 'Ticona'");
        assert_eq!(f.len(), 3, "{f:?}");
    }
}
