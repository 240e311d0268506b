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

    pub fn has(self, l: Langs) -> bool {
        self.0 & l.0 != 0
    }
}

/// The query languages the value of `key` (a query, form or cookie name, or
/// a JSON member's name; decoded) is read in: `$filter` and `filter` (OData,
/// SCIM, and the others' filter parameters), `where`; `q`, `fq`, `bq`,
/// `query`, `search`, `_s` (Elasticsearch, Solr, Spring and CXF search);
/// Solr's `q.alt`, `hl.q`, `facet.query`, `group.query`.
#[inline]
pub fn langs_of_key(key: &[u8]) -> Langs {
    // (most names are none of these: their length and first byte say so)
    if !matches!(key.len(), 1..=11)
        || !matches!(
            key[0].to_ascii_lowercase(),
            b'$' | b'_' | b'b' | b'f' | b'g' | b'h' | b'q' | b's' | b'w'
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
        // Solr's other Lucene parameters
        (b"q.alt", TEXT),
        (b"hl.q", TEXT),
        (b"facet.query", TEXT),
        (b"group.query", TEXT),
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
    if langs.has(Langs::LUCENE) && memchr::memchr2(b':', b'{', v).is_some() {
        lucene_values(v, classify, None, &mut out);
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

/// The attribute a call at `open` (its `(`) applies a function to, its
/// first argument, through nested calls (`tolower(trim(LastName))`), and
/// where the call ends (after its `)`); `None` when its first argument is
/// no attribute or the call does not close.
fn call_attr(v: &[u8], open: usize) -> Option<(usize, usize, usize)> {
    if v.get(open) != Some(&b'(') {
        return None;
    }
    let mut x = spaces(v, open + 1);
    let mut ps = x;
    let mut pe;
    loop {
        if !v.get(x).is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') {
            return None;
        }
        pe = x + v[x..].iter().take_while(|&&c| path_char(c)).count();
        if v.get(pe) != Some(&b'(') {
            break;
        }
        x = spaces(v, pe + 1);
        ps = x;
    }
    // the call's `)`, literals stepped over whole
    let mut depth = 0usize;
    let mut k = open;
    while k < v.len() {
        match v[k] {
            b'\'' | b'"' => {
                k = literal(v, k)?.0;
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some((ps, pe, k + 1));
                }
            }
            _ => {}
        }
        k += 1;
    }
    None
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
        let mut path = &v[a..i];
        // a function: `contains(LastName,'Qui')`, `substringof('Qui',LastName)`
        if v.get(i) == Some(&b'(') && FUNCTIONS.iter().any(|f| path.eq_ignore_ascii_case(f)) {
            let x = spaces(v, i + 1);
            let (first_end, first_is_path, first_attr) = match v.get(x) {
                Some(b'\'' | b'"') => (literal(v, x).map_or(v.len(), |l| l.0), false, (x, x)),
                _ => {
                    let pe = x + v[x..].iter().take_while(|&&c| path_char(c)).count();
                    match call_attr(v, pe) {
                        // `contains(tolower(LastName),'qui')`
                        Some((ps, pe2, end)) => (end, true, (ps, pe2)),
                        None => (pe, true, (x, pe)),
                    }
                }
            };
            let comma = spaces(v, first_end);
            if v.get(comma) == Some(&b',') {
                let s = spaces(v, comma + 1);
                let (attr, lit) = if first_is_path {
                    (first_attr, literal(v, s))
                } else {
                    let pe = s + v[s..].iter().take_while(|&&c| path_char(c)).count();
                    let attr = call_attr(v, pe).map_or((s, pe), |(ps, pe2, _)| (ps, pe2));
                    (attr, literal(v, x))
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
        // a function of the attribute compared: `tolower(LastName) eq 'quispe'`,
        // `trim(tolower(Surname)) eq …`
        if v.get(i) == Some(&b'(') {
            if let Some((ps, pe, end)) = call_attr(v, i) {
                path = &v[ps..pe];
                i = end;
            }
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
    let op = [&b"AND"[..], b"OR", b"NOT", b"TO", b"&&", b"||", b"and", b"or", b"not"].contains(&w);
    (!op && w.iter().any(|&c| c != b'*' && c != b'?')).then_some((s, t))
}

/// Lucene: `field:term`, `field:"phrase"`, `field:[a TO b]`,
/// `field:(a OR b)`, `field:/regex/`, `field:>=a`.
fn lucene_values(
    v: &[u8],
    classify: &mut dyn FnMut(&Words) -> Option<FieldClass>,
    default: Option<FieldClass>,
    out: &mut Vec<(usize, usize, FieldClass)>,
) {
    let mut i = 0;
    while i < v.len() {
        let c = v[i];
        if c.is_ascii_whitespace() || matches!(c, b'(' | b')' | b'+' | b'-' | b'!') {
            i += 1;
            continue;
        }
        if c == b'{' && v.get(i + 1) == Some(&b'!') {
            // Solr's local parameters: `{!term f=surname}Quispe`
            i = local_params(v, i, classify, out);
            continue;
        }
        if c == b'"' || c == b'/' {
            let (end, s, e) = quoted(v, i);
            // a quoted field name (`"lastName":Quispe`, KQL's `"lastName" : …`)
            let colon = spaces(v, end);
            if c == b'"' && v.get(colon) == Some(&b':') && e > s && is_field_name(&v[s..e]) {
                let cls = lucene_field_class(&v[s..e], classify);
                i = lucene_field_value(v, colon + 1, cls, classify, out);
                continue;
            }
            // a phrase or a regular expression of the default field
            if let Some(cls) = default.filter(|_| e > s) {
                out.push((s, e, cls));
            }
            i = end;
            continue;
        }
        if c == b'[' || c == b'{' {
            i = v[i..]
                .iter()
                .position(|&c| c == b']' || c == b'}')
                .map_or(v.len(), |p| i + p + 1);
            continue;
        }
        // a token: a field name and `:` (KQL: white space before it), or a
        // term of the default field
        let a = i;
        while i < v.len() && (lucene_field_char(v[i]) || (v[i] == b'\\' && i + 1 < v.len())) {
            i += if v[i] == b'\\' { 2 } else { 1 };
        }
        let colon = spaces(v, i);
        if i == a || v.get(colon) != Some(&b':') || !(v[a].is_ascii_alphabetic() || matches!(v[a], b'_' | b'*' | b'\\'))
        {
            let e = lucene_term_end(v, i.max(a + 1));
            if let Some((s, e)) = default.and_then(|_| lucene_term(v, a, e)) {
                if let Some(cls) = default {
                    out.push((s, e, cls));
                }
            }
            i = e;
            continue;
        }
        let cls = lucene_field_class(&v[a..i], classify);
        i = lucene_field_value(v, colon + 1, cls, classify, out);
    }
}

/// Whether a quoted run is a field's name (no white space, field
/// characters and escapes only).
fn is_field_name(f: &[u8]) -> bool {
    f.len() <= 128 && f.iter().all(|&c| lucene_field_char(c) || c == b'\\')
}

/// A Lucene field name's class: its words without `\` escapes
/// (`sur\name`, `customer\.lastName`); a wildcard name (`last*`,
/// `*name`, `last\*`: every field it matches is searched) by the personal
/// fields it matches ([`wildcard_field_class`]).
fn lucene_field_class(f: &[u8], classify: &mut dyn FnMut(&Words) -> Option<FieldClass>) -> Option<FieldClass> {
    let mut name = Vec::with_capacity(f.len());
    let mut k = 0;
    while k < f.len() {
        if f[k] == b'\\' && k + 1 < f.len() {
            k += 1;
        }
        name.push(f[k]);
        k += 1;
    }
    if name.iter().any(|&c| c == b'*' || c == b'?') {
        return wildcard_field_class(&name, classify);
    }
    classify(&Words::split(&name))
}

/// Personal fields as indexes name them, which a wildcard field name is
/// matched against (letters and digits only, case aside).
const PERSONAL_FIELDS: &[&[u8]] = &[
    b"lastName",
    b"firstName",
    b"surname",
    b"familyName",
    b"givenName",
    b"fullName",
    b"middleName",
    b"maidenName",
    b"forename",
    b"email",
    b"emailAddress",
    b"phone",
    b"phoneNumber",
    b"mobileNumber",
    b"telephone",
    b"birthDate",
    b"dateOfBirth",
    b"birthday",
    b"dob",
    b"ssn",
    b"socialSecurityNumber",
    b"nationalId",
    b"passportNumber",
    b"taxId",
    b"streetAddress",
    b"homeAddress",
    b"postalCode",
    b"zipCode",
    b"iban",
    b"cardNumber",
];

/// A wildcard field name's class: that of the first personal field it
/// matches (`*` any run, `?` one character; everything but letters,
/// digits and the wildcards set aside), when it has two letters or more
/// besides them (`*` alone is every field, as a term of no field is).
fn wildcard_field_class(name: &[u8], classify: &mut dyn FnMut(&Words) -> Option<FieldClass>) -> Option<FieldClass> {
    let pat: Vec<u8> = name
        .iter()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, b'*' | b'?'))
        .map(u8::to_ascii_lowercase)
        .collect();
    if pat.iter().filter(|c| c.is_ascii_alphanumeric()).count() < 2 {
        return None;
    }
    PERSONAL_FIELDS.iter().find_map(|f| {
        let lower: Vec<u8> = f.iter().map(u8::to_ascii_lowercase).collect();
        glob(&pat, &lower).then(|| classify(&Words::split(f))).flatten()
    })
}

/// `*`/`?` glob matching of `pat` against all of `s`.
fn glob(pat: &[u8], s: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < s.len() {
        if p < pat.len() && (pat[p] == b'?' || pat[p] == s[t]) {
            p += 1;
            t += 1;
        } else if p < pat.len() && pat[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

/// Solr's local parameters at `i` (`{!term f=surname}Quispe`, `{!field
/// f=lastName v=Quispe}`, `{!lucene df=surname}Quispe OR Mamani`,
/// `{!dismax qf="surname^2 city"}Quispe`): the field `f` names takes the
/// value after `}` whole (or `v`'s); `df` and `qf` name the default field
/// of the query after it. Where the query ends.
fn local_params(
    v: &[u8],
    i: usize,
    classify: &mut dyn FnMut(&Words) -> Option<FieldClass>,
    out: &mut Vec<(usize, usize, FieldClass)>,
) -> usize {
    let Some(close) = memchr::memchr(b'}', &v[i..]).map(|p| i + p) else {
        return v.len();
    };
    let mut field = None;
    let mut default = None;
    let mut value = None;
    let mut k = i + 2;
    while k < close {
        k = spaces(v, k);
        let a = k;
        while k < close && !v[k].is_ascii_whitespace() && v[k] != b'=' {
            k += 1;
        }
        let key = &v[a..k];
        if v.get(k) != Some(&b'=') || k >= close {
            k += 1;
            continue;
        }
        // a value: quoted, or up to white space or `}`
        let (end, s, e) = match v.get(k + 1) {
            Some(b'"' | b'\'') => {
                let (end, s, e) = quoted(v, k + 1);
                (end.min(close), s, e.min(close))
            }
            _ => {
                let e = (k + 1..close).find(|&j| v[j].is_ascii_whitespace()).unwrap_or(close);
                (e, k + 1, e)
            }
        };
        match key {
            b"f" => field = lucene_field_class(&v[s..e], classify),
            b"df" | b"qf" | b"pf" => {
                default = default.or_else(|| field_list_class(&v[s..e], &mut *classify));
            }
            b"v" => value = Some((s, e)),
            _ => {}
        }
        k = end;
    }
    let rest = (spaces(v, close + 1), v.len());
    match (field, value) {
        (Some(cls), Some((s, e))) if e > s => out.push((s, e, cls)),
        (Some(cls), None) if rest.1 > rest.0 => out.push((rest.0, rest.1, cls)),
        _ => {
            let cls = default.or(field);
            if cls.is_some() && value.is_none() {
                let mut sub = Vec::new();
                lucene_values(&v[rest.0..], classify, cls, &mut sub);
                out.extend(sub.into_iter().map(|(s, e, c)| (s + rest.0, e + rest.0, c)));
            }
        }
    }
    v.len()
}

/// The class of the first personal field of a list of field names
/// (Solr's `qf=surname^2 city`, Elasticsearch's `fields`: white space or
/// commas between, a `^boost` after each).
pub fn field_list_class(list: &[u8], classify: &mut dyn FnMut(&Words) -> Option<FieldClass>) -> Option<FieldClass> {
    list.split(|&c| c.is_ascii_whitespace() || c == b',')
        .filter(|f| !f.is_empty() && f.len() <= 128)
        .find_map(|f| {
            let f = f.split(|&c| c == b'^').next().unwrap_or(f);
            let f = f.strip_prefix(b"\"").unwrap_or(f);
            let f = f.strip_suffix(b"\"").unwrap_or(f);
            (!f.is_empty()).then(|| lucene_field_class(f, classify)).flatten()
        })
}

/// The value of a Lucene field from `l` (after its `:`): a term, a
/// phrase, a regular expression, a range or a group; where it ends.
fn lucene_field_value(
    v: &[u8],
    l: usize,
    cls: Option<FieldClass>,
    classify: &mut dyn FnMut(&Words) -> Option<FieldClass>,
    out: &mut Vec<(usize, usize, FieldClass)>,
) -> usize {
    let i;
    {
        let l = spaces(v, l);
        let Some(&open) = v.get(l) else { return v.len() };
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
            b'{' if !is_range(v, l) => {
                // KQL's nested field query: `customer:{ lastName : Quispe }`
                let close = matching_brace(v, l);
                let mut sub = Vec::new();
                lucene_values(&v[l + 1..close], classify, None, &mut sub);
                out.extend(sub.into_iter().map(|(s, e, c)| (s + l + 1, e + l + 1, c)));
                i = close + 1;
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
    i
}

/// Whether the `{` at `l` opens a range (`{a TO b}`, `{a TO b]`), not a
/// KQL nested query.
fn is_range(v: &[u8], l: usize) -> bool {
    let end = v[l + 1..]
        .iter()
        .position(|&c| matches!(c, b'}' | b']' | b'{' | b':'))
        .map_or(v.len(), |p| l + 1 + p);
    memchr::memmem::find(&v[l..end], b" TO ").is_some()
}

/// The `}` that closes the `{` at `l` (nested braces counted, quoted runs
/// stepped over), or the end.
fn matching_brace(v: &[u8], l: usize) -> usize {
    let mut depth = 0usize;
    let mut k = l;
    while k < v.len() {
        match v[k] {
            b'"' => {
                k = quoted(v, k).0;
                continue;
            }
            b'\\' => k += 1,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
        k += 1;
    }
    v.len()
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
    fn lucene_field_spellings_name_their_terms() {
        let l = |q| found_in(Langs::LUCENE, q);
        let one = |q, t: &str| assert_eq!(l(q), [(t.to_string(), PersonName)], "{q}");
        // KQL: white space before the colon; quoted field names
        one("lastName : Quispe", "Quispe");
        one("status:active and surname :Quispe", "Quispe");
        one("\"lastName\":Quispe", "Quispe");
        one("\"familyName\" : \"Quispe Mamani\"", "Quispe Mamani");
        // escaped and wildcard field names, nested ones
        one("sur\\name:Quispe", "Quispe");
        one("last\\*:Quispe", "Quispe");
        one("last*:Quispe", "Quispe");
        one("*name:Quispe", "Quispe");
        one("customer\\.lastName:Quispe", "Quispe");
        // Solr's local parameters
        one("{!term f=surname}Quispe Mamani", "Quispe Mamani");
        one("{!field f=lastName v='Quispe'}", "Quispe");
        assert_eq!(l("{!lucene df=familyName}Quispe OR Mamani").len(), 2);
        one("{!dismax qf=\"surname^2 city\"}Quispe", "Quispe");
        // KQL's nested field query; a range in braces stays a range
        one("customer:{ lastName : Quispe }", "Quispe");
        one("owner:{status:active and surname:Quispe} and x:1", "Quispe");
        assert!(l("items:{ sku : A-1 and qty > 2 }").is_empty());
        assert!(l("surname:{Quispe TO Ticona}").len() == 2);
        assert!(l("price:{10 TO 20}").is_empty());
        // not personal: other fields, a wildcard of every field, a phrase
        assert!(l("status : active and type : order").is_empty());
        assert!(l("*:Quispe AND *:*").is_empty());
        assert!(l("title*:rust").is_empty());
        assert!(l("{!term f=category}widgets").is_empty());
        assert!(l("{!lucene df=title}rust wasm").is_empty());
        assert!(l("\"a phrase\" : x").is_empty());
        assert!(l("at 10 : 30").is_empty());
    }

    #[test]
    fn odata_functions_of_the_attribute() {
        assert_eq!(
            found("tolower(LastName) eq 'quispe'"),
            [("quispe".to_string(), PersonName)]
        );
        assert_eq!(
            found("trim(toupper(Surname)) eq 'QUISPE' and Price gt 5"),
            [("QUISPE".to_string(), PersonName)]
        );
        assert_eq!(
            found("contains(tolower(LastName),'qui')"),
            [("qui".to_string(), PersonName)]
        );
        assert!(found("tolower(Category) eq 'books'").is_empty());
    }

    #[test]
    fn field_lists_name_a_default_field() {
        let c = |l: &str| field_list_class(l.as_bytes(), &mut |w| crate::fields::classify(w)).map(|c| c.kind);
        assert_eq!(c("title^2 last_name^3"), Some(PersonName));
        assert_eq!(c("title,description"), None);
        assert_eq!(c("customer.surname"), Some(PersonName));
        assert_eq!(c(""), None);
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
        assert!(langs_of_key(b"facet.query").has(Langs::LUCENE));
        assert!(langs_of_key(b"hl.q").has(Langs::LUCENE));
        assert!(langs_of_key(b"q.alt").has(Langs::LUCENE));
        assert!(langs_of_key(b"facet.field").is_empty());
        assert!(langs_of_key(b"lastName").is_empty());
        assert!(langs_of_key(b"").is_empty());
        // every language in one value: the literals do not overlap
        let all = langs_of_key(b"filter");
        let f = found_in(all, "surname:Quispe and lastName==Mamani or LastName eq 'Ticona'");
        assert_eq!(f.len(), 3, "{f:?}");
    }
}
