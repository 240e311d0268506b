//! Field names in a filter expression: OData's `$filter` (`LastName eq
//! 'Quispe'`, `contains(LastName,'Qui')`, `BirthDate eq 1970-01-02`) and
//! SCIM's `filter` (`name.familyName eq "Quispe"`, RFC 7644 3.4.2.2) send
//! a value beside the attribute that says what it is, as a JSON key does.
//! One linear pass over the tokens: an attribute path, a comparison operator
//! and a literal; or a string function of an attribute and a literal. The
//! class of the attribute path's words classifies the literal.

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

/// Whether `key` (a query, form or cookie name, decoded) holds a filter
/// expression: `$filter` (OData), `filter` (SCIM, OData 4.01 without `$`).
pub fn is_filter_key(key: &[u8]) -> bool {
    key.eq_ignore_ascii_case(b"$filter") || key.eq_ignore_ascii_case(b"filter")
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

/// The literals (start, end, class) that an attribute path classifies, in
/// order.
pub fn field_values(
    v: &[u8],
    classify: &mut dyn FnMut(&Words) -> Option<FieldClass>,
) -> Vec<(usize, usize, FieldClass)> {
    let mut out = Vec::new();
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
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::FieldKind::{self, *};

    fn found(q: &str) -> Vec<(String, FieldKind)> {
        field_values(q.as_bytes(), &mut |w| crate::fields::classify(w))
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
}
