//! Field names in XML: the name of an element that holds only text
//! (`<surname>Quispe</surname>`, CDATA too) and the name of an attribute
//! (`<customer surname="Quispe">`) say what their value is, as a JSON key
//! or a form field's name does. Namespace prefixes are dropped
//! (`<ns1:dateOfBirth>`); a class passes down to the elements inside
//! (`<billingAddress><line1>…`), and an element whose name says it is not
//! a person (`<product><name>…`) keeps weak classes out, as in JSON
//! (`fields::context`). One linear pass, bounded depth; markup that does not
//! parse ends the reading (what was found so far stays).

use crate::fields::{self, Context, FieldClass, Role, Strength, Words};

/// Deepest nesting followed; deeper elements are read as text only.
const MAX_DEPTH: usize = 256;

/// How a body is read by its field names: `Some(true)` an XML document
/// (a `<?xml` declaration or an XML media type), elements and attributes;
/// `Some(false)` a body without a text type of its own (none,
/// `text/plain`, `application/octet-stream`) that starts as markup, as an
/// XML receiver that does not check the type reads it: elements only (an
/// HTML fragment's `name=` attributes name form fields, not values);
/// `None` otherwise, and for HTML.
pub fn xml_reading(media: &str, body: &[u8]) -> Option<bool> {
    let start = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body).trim_ascii_start();
    let declared = start.len() >= 5 && start[..5].eq_ignore_ascii_case(b"<?xml");
    let typed = media.contains("xml") && !media.contains("html");
    // (after the comments, processing instructions and DOCTYPE a document
    // may start with: red team, `<!-- -->` first made it text)
    let root = prolog_end(start);
    let untyped = matches!(media, "" | "text/plain" | "application/octet-stream")
        && root.first() == Some(&b'<')
        && root.get(1).is_some_and(|c| c.is_ascii_alphabetic());
    if !(declared || typed || untyped) {
        return None;
    }
    let head = &start[..start.len().min(1024)];
    if contains_ci(head, b"<html") || contains_ci(head, b"<!doctype html") {
        return None;
    }
    Some(declared || typed)
}

/// The document after its prolog: white space, comments, processing
/// instructions and a DOCTYPE (without an internal subset).
fn prolog_end(mut b: &[u8]) -> &[u8] {
    loop {
        b = b.trim_ascii_start();
        let end: &[u8] = if b.starts_with(b"<!--") {
            b"-->"
        } else if b.starts_with(b"<?") {
            b"?>"
        } else if b.len() > 9 && b[..9].eq_ignore_ascii_case(b"<!DOCTYPE") {
            b">"
        } else {
            return b;
        };
        match memchr::memmem::find(&b[2..], end) {
            Some(e) => b = &b[2 + e + end.len()..],
            None => return b,
        }
    }
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    memchr::memmem::find(hay.get(from..)?, needle).map(|i| i + from)
}

/// Where the text that starts at `i` ends: the next `<` that is not a
/// comment, a CDATA section or a processing instruction (`None` when one
/// of those does not end).
fn text_end(body: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let lt = memchr::memchr(b'<', body.get(i..)?)? + i;
        let rest = &body[lt..];
        let end: &[u8] = if rest.starts_with(b"<!--") {
            b"-->"
        } else if rest.starts_with(b"<![CDATA[") {
            b"]]>"
        } else if rest.starts_with(b"<?") {
            b"?>"
        } else {
            return Some(lt);
        };
        i = find(body, end, lt + 2)? + end.len();
    }
}

/// The name without its namespace prefix.
fn local(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|c| *c == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

fn is_name_end(c: u8) -> bool {
    c.is_ascii_whitespace() || matches!(c, b'/' | b'>')
}

/// A weak class is no person's inside a non-person context.
fn suppress(c: Option<FieldClass>, ctx: Context) -> Option<FieldClass> {
    match c {
        Some(f) if f.strength == Strength::Weak && ctx == Context::NonPerson => None,
        other => other,
    }
}

/// The values that field names classify: (start, end, class) byte ranges of
/// text-only element contents (trimmed, inside CDATA when it is one section)
/// and attribute values, in document order. With `attributes`, an
/// element's attribute that names a field as an entity-attribute-value
/// record does (`name`, `key`, `field`: [`fields::pair_role`]) gives its
/// class to the element's text and to its named attributes (`value`):
/// `<field name="surname">Quispe</field>`, `<attribute key="ssn"
/// value="…"/>`.
pub fn field_values(
    body: &[u8],
    attributes: bool,
    classify: &mut dyn FnMut(&Words) -> Option<FieldClass>,
) -> Vec<(usize, usize, FieldClass)> {
    let mut out = Vec::new();
    // per open element: the class it passes down, its context
    let mut stack: Vec<(Option<FieldClass>, Context)> = Vec::new();
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'<', body.get(i..).unwrap_or_default()).map(|x| x + i) {
        let rest = &body[p..];
        let skip_to = |end: &[u8]| find(body, end, p).map(|e| e + end.len());
        if rest.starts_with(b"<!--") {
            let Some(e) = skip_to(b"-->") else { break };
            i = e;
            continue;
        }
        if rest.starts_with(b"<![CDATA[") {
            let Some(e) = skip_to(b"]]>") else { break };
            i = e;
            continue;
        }
        if rest.starts_with(b"<?") || rest.starts_with(b"<!") {
            let Some(e) = skip_to(b">") else { break };
            i = e;
            continue;
        }
        if rest.starts_with(b"</") {
            stack.pop();
            let Some(e) = skip_to(b">") else { break };
            i = e;
            continue;
        }
        // a start tag: its name, then attributes up to the `>` outside quotes
        let name_start = p + 1;
        let mut j = name_start;
        while j < body.len() && !is_name_end(body[j]) {
            j += 1;
        }
        let name = &body[name_start..j];
        if name.is_empty() {
            i = p + 1;
            continue;
        }
        let (parent_class, parent_ctx) = stack.last().copied().unwrap_or((None, Context::Neutral));
        let words = Words::split(local(name));
        let own_ctx = fields::context(&words);
        let ctx = if own_ctx == Context::Neutral {
            parent_ctx
        } else {
            own_ctx
        };
        let mut class = suppress(classify(&words).or(parent_class), ctx);
        // naming attributes' values (start, end, weak) and named ones (start, end, weak)
        let mut naming: Vec<(usize, usize, bool)> = Vec::new();
        let mut named: Vec<(usize, usize, bool)> = Vec::new();
        // attributes
        let mut gt = None;
        while j < body.len() {
            match body[j] {
                b'>' => {
                    gt = Some(j);
                    break;
                }
                c if c.is_ascii_whitespace() || c == b'/' => j += 1,
                _ => {
                    let a = j;
                    while j < body.len() && !(body[j] == b'=' || body[j] == b'>' || body[j].is_ascii_whitespace()) {
                        j += 1;
                    }
                    let attr = &body[a..j];
                    while j < body.len() && body[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    if body.get(j) != Some(&b'=') {
                        continue;
                    }
                    j += 1;
                    while j < body.len() && body[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    let Some(&q) = body.get(j).filter(|c| matches!(c, b'"' | b'\'')) else {
                        continue;
                    };
                    let Some(end) = memchr::memchr(q, &body[j + 1..]).map(|e| e + j + 1) else {
                        return out;
                    };
                    let local_attr = local(attr);
                    if attributes && !attr.starts_with(b"xmlns") && !local_attr.is_empty() {
                        let w = Words::split(local_attr);
                        if let Some(c) = suppress(classify(&w), ctx) {
                            if end > j + 1 {
                                out.push((j + 1, end, c));
                            }
                        }
                        if end > j + 1 {
                            match fields::pair_role(&w) {
                                Some(Role::Naming(st)) => naming.push((j + 1, end, st == Strength::Weak)),
                                Some(Role::Named(st)) => named.push((j + 1, end, st == Strength::Weak)),
                                Some(Role::Answer) => named.push((j + 1, end, false)),
                                _ => {}
                            }
                        }
                    }
                    j = end + 1;
                }
            }
        }
        let Some(gt) = gt else { break };
        i = gt + 1;
        if !naming.is_empty() {
            // the element's text is named strongly (`<field name="…">`)
            let mut given = |v: Option<&[u8]>, weak: bool| {
                let c = naming.iter().find_map(|&(s, e, w)| {
                    let c = fields::naming_value_class(&body[s..e], &mut *classify)?;
                    (c.strength == Strength::Strong || !(weak || w)).then_some(c)
                })?;
                let label = v.is_some_and(|v| fields::is_field_label(v, c.kind, &mut *classify));
                suppress((!label).then_some(c), ctx)
            };
            for &(s, e, weak) in &named {
                if let Some(c) = given(Some(&body[s..e]), weak) {
                    out.push((s, e, c));
                }
            }
            if class.is_none() && body[gt - 1] != b'/' {
                let text = text_end(body, i).map(|lt| body[i..lt].trim_ascii());
                class = given(text, false);
            }
        }
        if body[gt - 1] == b'/' {
            continue; // self-closing: nothing inside
        }
        // text-only content: the next markup other than comments, CDATA
        // sections and processing instructions closes this element (a
        // parser joins `Qui<!-- -->spe` and `<![CDATA[Qui]]>spe` into one
        // text: red team, a comment inside a surname hid it)
        if let (Some(c), Some(lt)) = (class, text_end(body, i)) {
            let (mut s, mut e, close) = (i, lt, lt);
            let inner = body[i..lt].trim_ascii();
            if inner.starts_with(b"<![CDATA[")
                && inner.ends_with(b"]]>")
                && find(inner, b"]]>", 0) == Some(inner.len() - 3)
            {
                let at = i + (inner.as_ptr() as usize - body[i..].as_ptr() as usize);
                (s, e) = (at + 9, at + inner.len() - 3);
            }
            let closes = body[close..].starts_with(b"</")
                && body[close + 2..].starts_with(name)
                && body
                    .get(close + 2 + name.len())
                    .is_some_and(|c| *c == b'>' || c.is_ascii_whitespace());
            if closes {
                while s < e && body[s].is_ascii_whitespace() {
                    s += 1;
                }
                while e > s && body[e - 1].is_ascii_whitespace() {
                    e -= 1;
                }
                if e > s {
                    out.push((s, e, c));
                }
            }
        }
        if stack.len() < MAX_DEPTH {
            stack.push((class, ctx));
        } else {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(xml: &str) -> Vec<(String, crate::fields::FieldKind)> {
        field_values(xml.as_bytes(), true, &mut |w| fields::classify(w))
            .into_iter()
            .map(|(s, e, c)| (xml[s..e].to_string(), c.kind))
            .collect()
    }

    #[test]
    fn elements_and_attributes_name_their_values() {
        use crate::fields::FieldKind::*;
        assert_eq!(
            found("<?xml version=\"1.0\"?><c><surname>Quispe</surname><id>4</id></c>"),
            [("Quispe".to_string(), PersonName)]
        );
        assert_eq!(
            found("<c><ns1:dateOfBirth> 1970-01-02 </ns1:dateOfBirth></c>")[0].0,
            "1970-01-02"
        );
        assert_eq!(found("<c><lastName><![CDATA[Quispe]]></lastName></c>")[0].0, "Quispe");
        // comments, CDATA sections and processing instructions inside the text
        assert_eq!(
            found("<c><lastName>Qui<!-- x -->spe</lastName></c>")[0].0,
            "Qui<!-- x -->spe"
        );
        assert_eq!(
            found("<c><lastName><![CDATA[Qui]]>spe<?pi?></lastName></c>")[0].0,
            "<![CDATA[Qui]]>spe<?pi?>"
        );
        assert_eq!(found("<customer surname='Quispe' id=\"4\"/>")[0].0, "Quispe");
        // a class passes down; a non-person context keeps weak ones out
        assert_eq!(
            found("<billingAddress><line1>1 Main St</line1></billingAddress>")[0].0,
            "1 Main St"
        );
        assert!(found("<product><name>Widget</name></product>").is_empty());
        assert!(found("<product name=\"Widget\"/>").is_empty());
        // elements with elements inside, comments, unclosed markup
        assert!(found("<surname><x>1</x></surname>").iter().all(|(v, _)| v == "1"));
        assert!(found("<!-- <surname>Quispe</surname> --><a/>").is_empty());
        assert!(found("<surname>Quispe").is_empty());
        assert!(found("<a b=\"unterminated").is_empty());
    }

    #[test]
    fn attributes_name_values_as_records_do() {
        use crate::fields::FieldKind::*;
        assert_eq!(
            found("<form><field name=\"surname\">Quispe</field><field name=\"color\">red</field></form>"),
            [("Quispe".to_string(), PersonName)]
        );
        assert_eq!(
            found("<attrs><attribute key=\"ssn\" value=\"EAV778\"/><attribute key=\"tier\" value=\"gold\"/></attrs>"),
            [("EAV778".to_string(), NationalId)]
        );
        assert_eq!(found("<entry value='1970-01-02' key='dateOfBirth'/>")[0].1, BirthDate);
        // a label of the field it names; a weak class under a weak key
        assert!(found("<entry key=\"label.surname\">Surname</entry>").is_empty());
        assert!(found("<item type=\"city\">Lima</item>").is_empty());
        assert!(found("<product><attr name=\"name\">Widget</attr></product>").is_empty());
    }

    #[test]
    fn xml_documents_not_html() {
        assert_eq!(xml_reading("application/xml", b"<a/>"), Some(true));
        assert_eq!(xml_reading("", b"\xEF\xBB\xBF <?xml version=\"1.0\"?><a/>"), Some(true));
        assert_eq!(xml_reading("application/soap+xml", b"<Envelope/>"), Some(true));
        assert_eq!(xml_reading("text/plain", b"<a>x</a>"), Some(false));
        assert_eq!(xml_reading("", b" <customer/>"), Some(false));
        assert_eq!(xml_reading("text/html", b"<html><input name=\"email\"></html>"), None);
        assert_eq!(xml_reading("text/html", b"<a>x</a>"), None);
        assert_eq!(xml_reading("application/xhtml+xml", b"<html/>"), None);
        assert_eq!(xml_reading("application/xml", b"<!DOCTYPE html><html></html>"), None);
        assert_eq!(xml_reading("text/plain", b"a <b>x</b>"), None);
        assert_eq!(xml_reading("text/plain", b"<3 you"), None);
        assert_eq!(xml_reading("", b"<!-- c --><!DOCTYPE a><a>x</a>"), Some(false));
        // elements only: attributes are not read
        assert!(field_values(b"<p surname=\"Quispe\"/>", false, &mut |w| fields::classify(w)).is_empty());
    }
}
