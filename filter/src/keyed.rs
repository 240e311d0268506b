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
    /// The key the value's mapping sits under (a YAML block's or flow
    /// mapping's key, a TOML table's name): it names what is inside when
    /// the key does not (`surname:` then `  value: Quispe`) and says whose
    /// it is (`product:` then `  name: Widget`), as an enclosing JSON key.
    pub parent: Option<(usize, usize)>,
}

/// The formats, by media type (lowercased, without parameters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// YAML, TOML, `.env`: one `key: value` or `key = value` a line.
    Lines,
    /// Java properties: `key=value`, `key:value` or `key value`.
    Properties,
    /// CSV or TSV: a header row, then records.
    Table,
    /// `key=value` pairs of a form in a body not labelled one (none,
    /// `text/plain`, `application/octet-stream`, ...): Rack reads an
    /// untyped POST as a form, and receivers that ignore the label parse
    /// one (`navigator.sendBeacon` sends `text/plain`). Keys may be
    /// percent-encoded: the caller decodes them before classifying.
    Pairs,
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
        | "application/x-toml"
        | "text/toml" => Some(Kind::Lines),
        "text/x-java-properties" | "text/x-properties" | "application/x-java-properties" => Some(Kind::Properties),
        // (`application/vnd.ms-excel`: the type browsers on Windows give a `.csv` file)
        "text/csv"
        | "application/csv"
        | "text/x-csv"
        | "application/x-csv"
        | "text/comma-separated-values"
        | "text/x-comma-separated-values"
        | "application/vnd.ms-excel"
        | "text/tab-separated-values"
        | "text/tsv"
        | "text/x-tsv" => Some(Kind::Table),
        m if m.ends_with("+yaml") || m.ends_with("+toml") => Some(Kind::Lines),
        _ => None,
    }
}

/// Every keyed value of `doc` read as `kind`, in order.
pub fn values(kind: Kind, doc: &[u8]) -> Vec<Keyed> {
    let mut out = match kind {
        Kind::Lines => lines(doc, false),
        Kind::Properties => lines(doc, true),
        Kind::Table => table(doc),
        Kind::Pairs => pairs(doc),
    };
    // in document order (an alias names its anchor's value, earlier)
    out.sort_by_key(|k| k.value.0);
    out
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

/// A key as its parser reads it: escapes decoded (`"sur\x6eame"` in YAML,
/// `"sur\u006Eame"` in TOML, `sur\u006eame` in Java properties are
/// `surname`); `\` then another character is that character.
pub fn unescape_key(k: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if memchr::memchr(b'\\', k).is_none() {
        return std::borrow::Cow::Borrowed(k);
    }
    let mut out = Vec::with_capacity(k.len());
    let mut i = 0;
    while i < k.len() {
        if k[i] != b'\\' || i + 1 == k.len() {
            out.push(k[i]);
            i += 1;
            continue;
        }
        let n = match k[i + 1] {
            b'x' => 2,
            b'u' => 4,
            b'U' => 8,
            _ => 0,
        };
        let c = k
            .get(i + 2..i + 2 + n)
            .filter(|_| n > 0)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32);
        match c {
            Some(c) => {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
                i += 2 + n;
            }
            None => {
                out.push(k[i + 1]);
                i += 2;
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A key: a name of letters, digits and `_ - .` (a field name, not text).
fn key_like(k: &[u8]) -> bool {
    !k.is_empty()
        && k.len() <= 64
        && k.iter().any(u8::is_ascii_alphabetic)
        && k.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b' '))
}

/// The indentation of a line: spaces and tabs before its text.
fn indent(doc: &[u8], (a, b): (usize, usize)) -> usize {
    trim(doc, (a, b)).0 - a
}

/// Skips YAML node properties before a value: anchors (`&a`, returned:
/// the value they name is an alias's too) and tags (`!!str`, `!t`).
fn properties(doc: &[u8], (mut a, b): (usize, usize)) -> (usize, Option<(usize, usize)>) {
    let mut anchor = None;
    while a < b && matches!(doc[a], b'&' | b'!') {
        let s = a;
        while a < b && !matches!(doc[a], b' ' | b'\t') {
            a += 1;
        }
        if doc[s] == b'&' {
            anchor = Some((s + 1, a));
        }
        a = trim(doc, (a, b)).0;
    }
    (a, anchor)
}

/// The end of a flow collection opened at `a` (`[` or `{`), across lines,
/// outside quotes; `None` if it does not close.
fn flow_end(doc: &[u8], a: usize) -> Option<usize> {
    let (mut depth, mut quote) = (0usize, 0u8);
    for (i, &c) in doc.iter().enumerate().skip(a) {
        match c {
            _ if quote != 0 && c == quote => quote = 0,
            _ if quote != 0 => {}
            b'"' | b'\'' => quote = c,
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// Trimmed of all white space, line breaks too.
fn trim_ws(doc: &[u8], (mut a, mut b): (usize, usize)) -> (usize, usize) {
    while a < b && doc[a].is_ascii_whitespace() {
        a += 1;
    }
    while b > a && doc[b - 1].is_ascii_whitespace() {
        b -= 1;
    }
    (a, b)
}

/// One item of a flow collection (`doc[s..e]`): a sequence's item is the
/// key's value, a mapping's `k: v` / `k = v` a value keyed under the key.
fn flow_item(
    doc: &[u8],
    (s, e): (usize, usize),
    map: bool,
    key: (usize, usize),
    parent: Option<(usize, usize)>,
    depth: usize,
    out: &mut Vec<Keyed>,
) {
    let (s, e) = trim_ws(doc, (s, e));
    if s >= e {
        return;
    }
    let (k, p, (vs, ve)) = if map {
        let sep =
            (s..e).find(|&i| doc[i] == b'=' || (doc[i] == b':' && (i + 1 == e || doc[i + 1].is_ascii_whitespace())));
        let Some(i) = sep else { return };
        let k = unquote(doc, trim_ws(doc, (s, i)));
        if !key_like(&doc[k.0..k.1]) {
            return;
        }
        (k, Some(key), trim_ws(doc, (i + 1, e)))
    } else {
        (key, parent, (s, e))
    };
    let (vs, _) = properties(doc, (vs, ve));
    if vs >= ve {
        return;
    }
    if matches!(doc[vs], b'[' | b'{') {
        if let Some(fe) = flow_end(doc, vs).filter(|&fe| fe <= ve) {
            flow(doc, (vs, fe), k, p, depth + 1, out);
        }
        return;
    }
    let value = unquote(doc, (vs, ve));
    if value.0 < value.1 {
        out.push(Keyed {
            key: k,
            value,
            parent: p,
        });
    }
}

/// The items of the flow collection `doc[a..b]` (brackets included).
fn flow(
    doc: &[u8],
    (a, b): (usize, usize),
    key: (usize, usize),
    parent: Option<(usize, usize)>,
    depth: usize,
    out: &mut Vec<Keyed>,
) {
    if depth > 16 || b < a + 2 {
        return;
    }
    let map = doc[a] == b'{';
    let (mut start, mut nest, mut quote) = (a + 1, 0usize, 0u8);
    for i in a + 1..b - 1 {
        let c = doc[i];
        match c {
            _ if quote != 0 && c == quote => quote = 0,
            _ if quote != 0 => {}
            b'"' | b'\'' => quote = c,
            b'[' | b'{' => nest += 1,
            b']' | b'}' => nest = nest.saturating_sub(1),
            b',' if nest == 0 => {
                flow_item(doc, (start, i), map, key, parent, depth, out);
                start = i + 1;
            }
            _ => {}
        }
    }
    flow_item(doc, (start, b - 1), map, key, parent, depth, out);
}

/// Whether the line at `a` is itself a `key:` or a sequence item (a nested
/// block, not a scalar's next line).
fn looks_keyed(doc: &[u8], a: usize) -> bool {
    let end = memchr::memchr(b'\n', &doc[a..]).map_or(doc.len(), |e| a + e);
    let line = doc[a..end].strip_suffix(b"\r").unwrap_or(&doc[a..end]);
    line.starts_with(b"- ")
        || line == b"-"
        || line.ends_with(b":")
        || line.windows(2).any(|w| w[0] == b':' && matches!(w[1], b' ' | b'\t'))
}

fn lines(doc: &[u8], props: bool) -> Vec<Keyed> {
    let mut out = Vec::new();
    let spans: Vec<(usize, usize)> = line_spans(doc).collect();
    // open blocks: (indentation, key); the name of the TOML table
    let mut blocks: Vec<(usize, (usize, usize))> = Vec::new();
    let mut table: Option<(usize, usize)> = None;
    let mut anchors: Vec<((usize, usize), (usize, usize))> = Vec::new();
    // what is before this was read as a value (a block scalar, a flow
    // collection, a multi-line string)
    let mut taken = 0;
    for (n, &span) in spans.iter().enumerate() {
        if span.0 < taken {
            continue;
        }
        let (mut a, b) = trim(doc, span);
        if a >= b {
            continue;
        }
        let line_indent = a - span.0;
        // a YAML sequence item that is a mapping: `- name: Jane`
        while b > a + 1 && doc[a] == b'-' && doc[a + 1] == b' ' {
            a = trim(doc, (a + 2, b)).0;
        }
        let ind = a - span.0;
        if a >= b || matches!(doc[a], b'#' | b';' | b'!') {
            continue;
        }
        if doc[a] == b'[' && !props {
            // a TOML table (`[customer]`, `[[people]]`, `[a.b]`): its keys are its
            let e = (a..b).rev().find(|&i| doc[i] == b']').unwrap_or(b);
            let s = (a..e)
                .rev()
                .find(|&i| matches!(doc[i], b'.' | b'['))
                .map_or(a, |i| i + 1);
            table = Some(unquote(
                doc,
                trim(doc, (s, (s..e).find(|&i| doc[i] == b']').unwrap_or(e))),
            ));
            blocks.clear();
            continue;
        }
        while blocks.last().is_some_and(|&(i, _)| i >= ind) {
            blocks.pop();
        }
        let parent = blocks.last().map(|&(_, k)| k).or(table);
        // the first `:` followed by white space or the end (YAML), or `=`;
        // in properties any `:`, or else the first white space
        let line = &doc[a..b];
        let mut sep = line.iter().enumerate().find_map(|(i, &c)| match c {
            b'=' => Some((i, 1)),
            b':' if props || line.get(i + 1).is_none_or(|n| matches!(n, b' ' | b'\t')) => Some((i, 1)),
            _ => None,
        });
        if props {
            let ws = line.iter().position(|c| matches!(c, b' ' | b'\t' | 0x0c));
            if let Some(w) = ws.filter(|&w| sep.is_none_or(|(i, _)| w < i)) {
                // `key value`, or `key = value` with white space before the `=`
                let after = trim(doc, (a + w, b)).0 - a;
                sep = match line.get(after) {
                    Some(b'=' | b':') => Some((after, 1)),
                    _ => Some((w, 0)),
                };
            }
        }
        let Some((i, w)) = sep else { continue };
        let key = unquote(doc, trim(doc, (a, a + i)));
        if !key_like(&unescape_key(&doc[key.0..key.1])) {
            continue;
        }
        let (va, mut vb) = trim(doc, (a + i + w, b));
        if props {
            if va < vb {
                out.push(Keyed {
                    key,
                    value: (va, vb),
                    parent: None,
                });
            }
            continue;
        }
        let (va, anchor) = properties(doc, (va, vb));
        // a YAML/TOML comment after the value (` # ...`), outside quotes
        if va < vb && !matches!(doc[va], b'"' | b'\'') {
            if let Some(c) = memchr::memmem::find(&doc[va..vb], b" #") {
                vb = trim(doc, (va, va + c)).1;
            }
        }
        // the lines after this one that are more indented than it: a block
        // scalar's text, a plain scalar's next lines, or a nested block
        let deeper = || -> Option<(usize, usize)> {
            let mut last: Option<(usize, usize)> = None;
            for &s in &spans[n + 1..] {
                let t = trim(doc, s);
                if t.0 >= t.1 {
                    continue;
                }
                if indent(doc, s) <= line_indent {
                    break;
                }
                last = Some(last.map_or(t, |(f, _)| (f, t.1)));
            }
            last
        };
        let mut record = |r: (usize, usize), out: &mut Vec<Keyed>| {
            out.push(Keyed { key, value: r, parent });
            if let Some(an) = anchor {
                anchors.push((an, r));
            }
        };
        if va >= vb {
            // a nested block, or a plain scalar on the next lines
            match deeper() {
                Some(r) if !looks_keyed(doc, r.0) && !matches!(doc[r.0], b'[' | b'{') => {
                    record(r, &mut out);
                    taken = r.1;
                }
                _ => blocks.push((ind, key)),
            }
            continue;
        }
        let value = unquote(doc, (va, vb));
        match doc[va] {
            b'|' | b'>' => {
                // a block scalar: the more indented lines after it
                if let Some(r) = deeper() {
                    record(r, &mut out);
                    taken = r.1;
                }
            }
            b'[' | b'{' => {
                if let Some(fe) = flow_end(doc, va) {
                    flow(doc, (va, fe), key, parent, 0, &mut out);
                    taken = fe;
                }
            }
            b'*' => {
                // an alias: the anchored value is this key's too
                let name = &doc[va + 1..vb];
                if let Some(&(_, r)) = anchors.iter().rev().find(|(an, _)| &doc[an.0..an.1] == name) {
                    out.push(Keyed { key, value: r, parent });
                }
            }
            b'"' | b'\'' if doc[va..].starts_with(b"\"\"\"") || doc[va..].starts_with(b"'''") => {
                // a TOML multi-line string
                let q = &doc[va..va + 3];
                if let Some(e) = memchr::memmem::find(&doc[va + 3..], q).map(|e| e + va + 3) {
                    let r = trim_ws(doc, (va + 3, e));
                    if r.0 < r.1 {
                        record(r, &mut out);
                    }
                    taken = e + 3;
                }
            }
            _ if value.0 < value.1 => {
                // a plain scalar may go on over more indented lines
                let mut r = value;
                if !matches!(doc[va], b'"' | b'\'') {
                    if let Some(more) = deeper().filter(|m| !looks_keyed(doc, m.0)) {
                        r = (value.0, more.1);
                        taken = more.1;
                    }
                }
                record(r, &mut out);
            }
            _ => {}
        }
    }
    out
}

/// One CSV record starting at `at`, read as RFC 4180 reads it: a cell
/// that starts with `"` (after spaces, when `lenient`) is quoted to the
/// next `"` not doubled, line breaks and separators inside it included;
/// a `"` elsewhere is a character (Python's `csv`, pandas, Excel). Cells
/// without their quotes and the spaces around them; the record ends at a
/// line break (LF or CRLF) outside quotes. Returns the cells and where the
/// next record starts.
fn record(doc: &[u8], at: usize, sep: u8, lenient: bool, out: &mut Vec<(usize, usize)>) -> usize {
    out.clear();
    let n = doc.len();
    let mut i = at;
    loop {
        let mut j = i;
        if lenient {
            while j < n && (doc[j] == b' ' || (doc[j] == b'\t' && sep != b'\t')) {
                j += 1;
            }
        }
        let end_of = |from: usize| {
            let mut e = from;
            while e < n && doc[e] != sep && doc[e] != b'\n' {
                e += 1;
            }
            e
        };
        if j < n && doc[j] == b'"' {
            // quoted: to the next `"` that is not doubled (or the end)
            let mut k = j + 1;
            let close = loop {
                match memchr::memchr(b'"', &doc[k.min(n)..]) {
                    None => break n,
                    Some(o) if doc.get(k + o + 1) == Some(&b'"') => k += o + 2,
                    Some(o) => break k + o,
                }
            };
            let e = end_of((close + 1).min(n));
            // text after the closing quote belongs to the cell (a reader
            // appends it): then the cell is all of it, quotes included
            let rest = trim(doc, ((close + 1).min(e), e));
            let rest_empty = rest.0 == rest.1 || (rest.1 == rest.0 + 1 && doc[rest.0] == b'\r');
            out.push(if rest_empty {
                (j + 1, close)
            } else {
                cr(doc, trim(doc, (i, e)))
            });
            i = e;
        } else {
            let e = end_of(i);
            out.push(unquote(doc, trim(doc, cr(doc, (i, e)))));
            i = e;
        }
        if i >= n {
            return n;
        }
        if doc[i] == b'\n' {
            return i + 1;
        }
        i += 1;
    }
}

/// Splits one line at `sep` outside double quotes (a quote anywhere
/// toggles): the line-by-line reading; cells without their quotes.
fn line_cells(doc: &[u8], (a, b): (usize, usize), sep: u8) -> Vec<(usize, usize)> {
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

/// Without a `\r` that ends the span (CRLF).
fn cr(doc: &[u8], (a, b): (usize, usize)) -> (usize, usize) {
    if b > a && doc[b - 1] == b'\r' {
        (a, b - 1)
    } else {
        (a, b)
    }
}

/// The records of `doc` read with `sep`, blank lines skipped; `f` gets
/// each record's cells and whether it is the first.
fn records(doc: &[u8], sep: u8, lenient: bool, mut f: impl FnMut(&[(usize, usize)], bool) -> bool) {
    let mut cells = Vec::new();
    let (mut at, mut first) = (0, true);
    while at < doc.len() {
        let start = at;
        at = record(doc, at, sep, lenient, &mut cells);
        // a blank line is no record
        if cells.len() == 1 && doc[start..at].iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if !f(&cells, first) {
            return;
        }
        first = false;
    }
}

fn table(doc: &[u8]) -> Vec<Keyed> {
    // Read with each separator the header holds (`,` `;` or a tab): the
    // receiver's is one of them (a header `surname;dob,x` is two names to
    // one reader, one to another); a column whose name is no name (`notes
    // (free)`) names nothing, the others still do. A quote after spaces
    // opens a quoted cell to some readers and not to others: both are read
    // when the document has one.
    let lenient_too = memchr::memmem::find(doc, b" \"").is_some() || memchr::memmem::find(doc, b"\t\"").is_some();
    let mut out = Vec::new();
    for sep in [b',', b';', b'\t'] {
        for lenient in [false, true] {
            if lenient && !lenient_too {
                continue;
            }
            let mut keys: Vec<(usize, usize)> = Vec::new();
            records(doc, sep, lenient, |cells, first| {
                if first {
                    // the header must hold the separator, and a name
                    if cells.len() < 2 || !cells.iter().any(|&(a, b)| key_like(&doc[a..b])) {
                        return false;
                    }
                    keys = cells.to_vec();
                    return true;
                }
                for (i, &value) in cells.iter().enumerate() {
                    if let Some(&key) = keys.get(i).filter(|k| key_like(&doc[k.0..k.1])) {
                        if value.0 < value.1 {
                            out.push(Keyed {
                                key,
                                value,
                                parent: None,
                            });
                        }
                    }
                }
                true
            });
        }
    }
    // A receiver that splits lines first (a script, `awk`) reads a quoted
    // cell across a line break as two records: read that way too when the
    // document has a quote (a value hidden in a long quoted cell is still
    // keyed under its line's header name).
    if memchr::memchr(b'"', doc).is_some() {
        let spans: Vec<(usize, usize)> = line_spans(doc).filter(|&(a, b)| b > a).collect();
        if let Some(&head) = spans.first() {
            for sep in [b',', b';', b'\t'] {
                if memchr::memchr(sep, &doc[head.0..head.1]).is_none() {
                    continue;
                }
                let keys = line_cells(doc, head, sep);
                for &row in &spans[1..] {
                    for (i, value) in line_cells(doc, row, sep).into_iter().enumerate() {
                        if let Some(&key) = keys.get(i).filter(|k| key_like(&doc[k.0..k.1])) {
                            if value.0 < value.1 {
                                out.push(Keyed {
                                    key,
                                    value,
                                    parent: None,
                                });
                            }
                        }
                    }
                }
            }
        }
    }
    // (a cell both readings split alike: once)
    out.sort_by_key(|k| (k.value, k.key));
    out.dedup();
    out
}

/// A byte of a form key as written: letters, digits, `_ - . [ ] + * $ ~`
/// and `%` (percent-encoded keys are decoded by the caller).
fn form_key_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'[' | b']' | b'%' | b'+' | b'*' | b'$' | b'~')
}

/// The form pairs of a text ([`Kind::Pairs`]): a pair starts at the start
/// of the text, after `&`, `;`, `?` or a line break, with a key of
/// [`form_key_byte`]s holding a letter or an escape, then `=`; its value
/// runs to the next `&` or line break (a `;` inside stays in it: Rack
/// splits on `&` only, so the longer reading is the one kept; the pair
/// after the `;` is read too, as older parsers split there).
fn pairs(doc: &[u8]) -> Vec<Keyed> {
    let mut out = Vec::new();
    for e in memchr::memchr_iter(b'=', doc) {
        let mut b = e;
        while b > 0 && e - b < 64 && form_key_byte(doc[b - 1]) {
            b -= 1;
        }
        let starts_pair = b == 0 || matches!(doc[b - 1], b'&' | b';' | b'?' | b'\n' | b'\r');
        let key = &doc[b..e];
        if !starts_pair || !key.iter().any(|&c| c.is_ascii_alphabetic() || c == b'%') {
            continue;
        }
        let v = e + 1;
        let end = memchr::memchr3(b'&', b'\n', b'\r', &doc[v..]).map_or(doc.len(), |i| v + i);
        let (a, z) = trim(doc, (v, end));
        if z > a {
            out.push(Keyed {
                key: (b, e),
                value: (a, z),
                parent: None,
            });
        }
    }
    out
}

/// Whether a text is a form body as a whole (one line, after white space
/// at its end, its first pair at its start or after text without white
/// space: `x&surname=…`), not pairs inside prose or a URL in a text:
/// there a key's weak class (`name`) names its value, as in a labelled
/// form; elsewhere only strong classes do.
pub fn form_shaped(doc: &[u8], first_pair_key: usize) -> bool {
    let t = doc.trim_ascii_end();
    memchr::memchr2(b'\n', b'\r', t).is_none() && !doc[..first_pair_key].iter().any(u8::is_ascii_whitespace)
}

/// Whether a text holds form pairs ([`Kind::Pairs`]).
pub fn has_pairs(doc: &[u8]) -> bool {
    memchr::memchr(b'=', doc).is_some() && !pairs(doc).is_empty()
}

/// Whether a body without a table's media type (`text/plain`, none,
/// `application/octet-stream`) starts as a table does: a first record
/// (after blank lines) of two names or more, most of its cells names
/// (letters, digits, `_ - .` and spaces, at most four words, not ending a
/// sentence), with a record after it. Which columns name personal fields
/// is for the caller's classifier ([`values`] then keys only those).
pub fn looks_like_table(doc: &[u8]) -> bool {
    // the first line, bounded: a header is short
    let doc = &doc[..doc.len().min(64 * 1024)];
    let start = doc
        .iter()
        .position(|c| !matches!(c, b'\n' | b'\r' | b' ' | b'\t'))
        .unwrap_or(doc.len());
    let line_end = memchr::memchr(b'\n', &doc[start..]).map_or(doc.len(), |i| start + i);
    if line_end >= doc.len() || line_end - start > 4096 {
        return false;
    }
    let head = &doc[start..line_end];
    let mut cells = Vec::new();
    for sep in [b',', b';', b'\t'] {
        if memchr::memchr(sep, head).is_none() {
            continue;
        }
        let next = record(doc, start, sep, false, &mut cells);
        let (mut names, mut other) = (0, 0);
        for &(a, b) in &cells {
            let c = &doc[a..b];
            if c.is_empty() {
                continue;
            }
            if key_like(c) && c.iter().filter(|&&x| x == b' ').count() < 4 && c.last() != Some(&b'.') {
                names += 1;
            } else {
                other += 1;
            }
        }
        if names >= 2 && names > other && doc[next..].iter().any(|c| !c.is_ascii_whitespace()) {
            return true;
        }
    }
    false
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
    fn form_pairs_in_text() {
        assert_eq!(
            pairs(Kind::Pairs, "a=1&last%5Fname=Q+H;x=2&&v\r\nk=z &y\nsee ?q=1&s=t x=9"),
            p(&[
                ("a", "1"),
                ("last%5Fname", "Q+H;x=2"),
                ("x", "2"),
                ("k", "z"),
                ("q", "1"),
                ("s", "t x=9")
            ])
        );
        // a key needs a letter or an escape, and a pair starts where a form's does
        assert!(pairs(Kind::Pairs, "1=2 and x = 3, a b=c").is_empty());
        assert!(has_pairs(b"surname=Q"));
        assert!(!has_pairs(b"x == y"));
        assert!(form_shaped(b"a=1&b=2\r\n", 0));
        assert!(form_shaped(b"x&b=2", 2));
        assert!(!form_shaped(b"see a=1", 4));
        assert!(!form_shaped(b"a=1\nb=2", 0));
    }

    #[test]
    fn keys_are_read_unescaped() {
        assert_eq!(&unescape_key(br"sur\x6eame")[..], b"surname");
        assert_eq!(&unescape_key(br"date_of_\u0062irth")[..], b"date_of_birth");
        assert_eq!(&unescape_key(br"first\U0000004eame")[..], b"firstName");
        assert_eq!(&unescape_key(br"a\.b\\c\x")[..], br"a.b\cx");
        assert_eq!(&unescape_key(b"plain")[..], b"plain");
        assert_eq!(
            pairs(Kind::Lines, "id: 7\n\"sur\\x6eame\": Quispe\n"),
            p(&[("id", "7"), ("sur\\x6eame", "Quispe")])
        );
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
                ("list", "a"),
                ("list", "b"),
                ("key", "v w"),
                ("port", "8080"),
                ("note", "a: b"),
            ])
        );
    }

    #[test]
    fn yaml_as_its_parser_reads_it() {
        // anchors and tags, aliases, block and multi-line scalars, flow collections
        let doc = "a: &x Quispe\nb: !!str Mamani\nc: *x\nd: |-\n  line 1\n  line 2\ne:\n  Wiremu\n  Roe\nf: {g: 1, h: [2, 3]}\ni:\n  j: k\n";
        assert_eq!(
            pairs(Kind::Lines, doc),
            p(&[
                ("a", "Quispe"),
                ("c", "Quispe"),
                ("b", "Mamani"),
                ("d", "line 1\n  line 2"),
                ("e", "Wiremu\n  Roe"),
                ("g", "1"),
                ("h", "2"),
                ("h", "3"),
                ("j", "k"),
            ])
        );
        let v = values(Kind::Lines, doc.as_bytes());
        let parent = |k: &Keyed| k.parent.map(|(a, b)| &doc[a..b]);
        assert_eq!(parent(&v[v.len() - 1]), Some("i"));
        assert_eq!(parent(&v[5]), Some("f"));
        // TOML: inline tables, multi-line strings, a table's name
        let doc = "p = { s = \"Q\" }\nm = \"\"\"\nA\nB\"\"\"\n[t.u]\nk = 1\n";
        assert_eq!(pairs(Kind::Lines, doc), p(&[("s", "Q"), ("m", "A\nB"), ("k", "1")]));
        assert_eq!(
            values(Kind::Lines, doc.as_bytes())[2].parent.map(|(a, b)| &doc[a..b]),
            Some("u")
        );
        // properties: `:` and white space separate too
        assert_eq!(
            pairs(Kind::Properties, "a:1\nb 2\nc = 3\nd=4 5\n"),
            p(&[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4 5")])
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
        // a column that is no name, and a header two separators split
        assert_eq!(pairs(Kind::Table, "a,b (c)\n1,2\n"), p(&[("a", "1")]));
        assert_eq!(pairs(Kind::Table, "a;b,c\n1;2,3\n"), p(&[("a", "1"), ("c", "3")]));
        // RFC 4180: quoted cells across line breaks, doubled quotes, CRLF; a
        // quote inside an unquoted cell is a character; and, as the document
        // has a quote, each line as a receiver splitting lines first reads it
        // (`"x`, `""y""",z` and `3"in,w`: a quote toggles)
        assert_eq!(
            pairs(Kind::Table, "a,b,c\r\n1,\"x\r\n\"\"y\"\"\",z\r\n\r\n2,3\"in,w\r\n"),
            p(&[
                ("a", "1"),
                ("b", "\"x"),
                ("b", "x\r\n\"\"y\"\""),
                ("a", "\"\"y\"\"\",z"),
                ("c", "z"),
                ("a", "2"),
                ("b", "3\"in"),
                ("b", "3\"in,w"),
                ("c", "w")
            ])
        );
        assert_eq!(
            pairs(Kind::Table, "a\tb\n\"1\n2\"\t3\n"),
            p(&[("a", "\"1"), ("a", "1\n2"), ("a", "2\"\t3"), ("b", "3")])
        );
        // a quote after a space: quoted to some readers, a character to others
        assert_eq!(
            pairs(Kind::Table, "a,b,c\n1, \"x,y\",z\n"),
            p(&[("a", "1"), ("b", "\"x"), ("b", "x,y"), ("c", "y\""), ("c", "z")])
        );
    }

    #[test]
    fn tables_without_their_type() {
        assert!(looks_like_table(b"id,surname,dob\n1,Quispe,1970-01-02\n"));
        assert!(looks_like_table(
            b"\n\"Id\";\"Last Name\";\"Date of Birth\"\r\n7;Q;1970\r\n"
        ));
        assert!(looks_like_table(b"surname,dob,notes (free)\nQ,1,x\n"));
        assert!(looks_like_table(b"a\tb\n1\t2"));
        // one line; prose; a sentence
        assert!(!looks_like_table(b"id,surname,dob\n"));
        assert!(!looks_like_table(b"Hello, my name is John and I live here\nok, thanks"));
        assert!(!looks_like_table(
            b"Name, address and phone number are optional.\nWe answer, usually.\n"
        ));
        assert!(!looks_like_table(b"see the notes (here), and there (too)\nx,y\n"));
        assert!(!looks_like_table(b"{\"a\":1,\"b\":2}\n{}"));
    }
}
