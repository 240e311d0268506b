//! Keys and values of text formats that name their values as JSON does:
//! YAML, TOML, Java properties and `.env` files (`key: value`,
//! `key = value`), and CSV/TSV (a header row names its columns). In a text
//! scan a value such as a given name or a date of birth is only found by
//! its key (`firstName: John` found nothing before), so these formats give
//! the engine (key, value) spans and the value is read with its key's
//! field class, as a JSON value is.

/// A value and the key that names it, as byte ranges of the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Keyed {
    pub key: (usize, usize),
    pub value: (usize, usize),
}

/// The formats, by media type (lowercased, without parameters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// YAML, TOML, properties, `.env`: one `key: value` or `key = value` a line.
    Lines,
    /// CSV or TSV: a header row, then records.
    Table,
}

pub fn kind_of(media: &str) -> Option<Kind> {
    match media {
        "application/yaml"
        | "application/x-yaml"
        | "text/yaml"
        | "text/x-yaml"
        | "application/toml"
        | "text/x-toml"
        | "application/toml+text"
        | "text/x-java-properties"
        | "text/x-properties"
        | "application/x-java-properties" => Some(Kind::Lines),
        "text/csv" | "application/csv" | "text/tab-separated-values" | "text/tsv" => Some(Kind::Table),
        m if m.ends_with("+yaml") || m.ends_with("+toml") => Some(Kind::Lines),
        _ => None,
    }
}

/// Every keyed value of `doc` read as `kind`, in order.
pub fn values(kind: Kind, doc: &[u8]) -> Vec<Keyed> {
    match kind {
        Kind::Lines => lines(doc),
        Kind::Table => table(doc),
    }
}

/// The lines of `doc` as (start, end) without their line break.
fn line_spans(doc: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= doc.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', &doc[at..]).map_or(doc.len(), |i| at + i);
        let s = (
            at,
            if end > at && doc[end - 1] == b'\r' {
                end - 1
            } else {
                end
            },
        );
        at = end + 1;
        Some(s)
    })
}

fn trim(doc: &[u8], (mut a, mut b): (usize, usize)) -> (usize, usize) {
    while a < b && matches!(doc[a], b' ' | b'\t') {
        a += 1;
    }
    while b > a && matches!(doc[b - 1], b' ' | b'\t') {
        b -= 1;
    }
    (a, b)
}

/// Without one pair of matching quotes around it.
fn unquote(doc: &[u8], (a, b): (usize, usize)) -> (usize, usize) {
    if b >= a + 2 && matches!(doc[a], b'"' | b'\'') && doc[b - 1] == doc[a] {
        (a + 1, b - 1)
    } else {
        (a, b)
    }
}

/// A key: a name of letters, digits and `_ - .` (a field name, not text).
fn key_like(k: &[u8]) -> bool {
    !k.is_empty()
        && k.len() <= 64
        && k.iter().any(u8::is_ascii_alphabetic)
        && k.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b' '))
}

fn lines(doc: &[u8]) -> Vec<Keyed> {
    let mut out = Vec::new();
    for span in line_spans(doc) {
        let (mut a, b) = trim(doc, span);
        // a YAML sequence item that is a mapping: `- name: Jane`
        while b > a + 1 && doc[a] == b'-' && doc[a + 1] == b' ' {
            a = trim(doc, (a + 2, b)).0;
        }
        if a >= b || matches!(doc[a], b'#' | b';' | b'!' | b'[') {
            continue;
        }
        // the first `:` followed by white space or the end (YAML), or `=`
        let line = &doc[a..b];
        let sep = line.iter().enumerate().find_map(|(i, &c)| match c {
            b'=' => Some((i, 1)),
            b':' if line.get(i + 1).is_none_or(|n| matches!(n, b' ' | b'\t')) => Some((i, 1)),
            _ => None,
        });
        let Some((i, w)) = sep else { continue };
        let key = unquote(doc, trim(doc, (a, a + i)));
        if !key_like(&doc[key.0..key.1]) {
            continue;
        }
        let (va, mut vb) = trim(doc, (a + i + w, b));
        // a YAML/TOML comment after the value (` # ...`), outside quotes
        if va < vb && !matches!(doc[va], b'"' | b'\'') {
            if let Some(c) = memchr::memmem::find(&doc[va..vb], b" #") {
                vb = trim(doc, (va, va + c)).1;
            }
        }
        let value = unquote(doc, (va, vb));
        // nested blocks, flow collections, anchors and block scalars are
        // read as text only
        if value.0 >= value.1 || matches!(doc[value.0], b'|' | b'>' | b'{' | b'[' | b'&' | b'*') {
            continue;
        }
        out.push(Keyed { key, value });
    }
    out
}

/// Splits a CSV line at `sep` outside double quotes; cells without their
/// quotes.
fn cells(doc: &[u8], (a, b): (usize, usize), sep: u8) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let (mut start, mut quoted) = (a, false);
    for i in a..b {
        match doc[i] {
            b'"' => quoted = !quoted,
            c if c == sep && !quoted => {
                out.push(unquote(doc, trim(doc, (start, i))));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(unquote(doc, trim(doc, (start, b))));
    out
}

fn table(doc: &[u8]) -> Vec<Keyed> {
    let mut spans = line_spans(doc).filter(|&(a, b)| b > a);
    let Some(head) = spans.next() else {
        return Vec::new();
    };
    // the separator the header uses most: `,` `;` or a tab
    let h = &doc[head.0..head.1];
    let count = |c: u8| memchr::memchr_iter(c, h).count();
    let sep = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|&c| count(c))
        .unwrap_or(b',');
    if count(sep) == 0 {
        return Vec::new();
    }
    let keys = cells(doc, head, sep);
    if !keys.iter().all(|&(a, b)| a == b || key_like(&doc[a..b])) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for row in spans {
        for (i, value) in cells(doc, row, sep).into_iter().enumerate() {
            if let Some(&key) = keys.get(i) {
                if key.0 < key.1 && value.0 < value.1 {
                    out.push(Keyed { key, value });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn pairs(kind: Kind, doc: &str) -> Vec<(String, String)> {
        let d = doc.as_bytes();
        values(kind, d)
            .into_iter()
            .map(|k| {
                (
                    String::from_utf8_lossy(&d[k.key.0..k.key.1]).into_owned(),
                    String::from_utf8_lossy(&d[k.value.0..k.value.1]).into_owned(),
                )
            })
            .collect()
    }

    fn p(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn yaml_toml_properties() {
        let doc = "# people\nperson:\n  firstName: John\n  \"last_name\": 'Smith'  \n  dob: 1984-03-12 # born\n- email: a\nurl: http://x.example/a:b\nlist: [a, b]\nkey = \"v w\"\r\nport=8080\nnote: a: b\n";
        assert_eq!(
            pairs(Kind::Lines, doc),
            p(&[
                ("firstName", "John"),
                ("last_name", "Smith"),
                ("dob", "1984-03-12"),
                ("email", "a"),
                ("url", "http://x.example/a:b"),
                ("key", "v w"),
                ("port", "8080"),
                ("note", "a: b"),
            ])
        );
    }

    #[test]
    fn csv_and_tsv() {
        let doc = "first,last,\"dob\"\nJohn,Smith,1984-03-12\n\"Doe, Jane\",x\n";
        assert_eq!(
            pairs(Kind::Table, doc),
            p(&[
                ("first", "John"),
                ("last", "Smith"),
                ("dob", "1984-03-12"),
                ("first", "Doe, Jane"),
                ("last", "x")
            ])
        );
        assert_eq!(pairs(Kind::Table, "a\tb\n1\t2"), p(&[("a", "1"), ("b", "2")]));
        // a first row that is data, not names: nothing keyed
        assert!(pairs(Kind::Table, "John,4111 1111 1111 1111\n").is_empty());
        assert!(pairs(Kind::Table, "").is_empty());
    }
}
