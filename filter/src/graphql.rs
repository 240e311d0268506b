//! Argument names in a GraphQL document: `{ user(email: "…", ssn: "…") }`
//! sends its values inline, in the `query` string of a JSON request, a
//! `query` parameter or an `application/graphql` body, and an argument's
//! name (or an input object's field, `input: {lastName: "…"}`) says what
//! its value is, as a JSON key does. The field an argument list belongs to
//! is its context (`product(name: "Widget")` is no person's, as under a
//! `product` JSON key); an input object passes its class and context down
//! to what is inside, as nested JSON does. One linear pass over the tokens;
//! a document that does not tokenise ends the reading (what was found so
//! far stays).

use crate::fields::{self, Context, FieldClass, Strength, Words};

/// Deepest nesting of argument lists and input objects followed.
const MAX_DEPTH: usize = 64;

/// Whether `v` starts as a GraphQL executable document: a selection set
/// (`{`) or an operation or fragment keyword, after white space, commas
/// and `#` comments; and has an argument list.
pub fn looks_graphql(v: &[u8]) -> bool {
    let s = skip_ignored(v, 0);
    let Some(&c) = v.get(s) else { return false };
    let start = c == b'{'
        || [&b"query"[..], b"mutation", b"subscription", b"fragment"]
            .iter()
            .any(|k| v[s..].starts_with(k) && v.get(s + k.len()).is_none_or(|n| !is_name_char(*n)));
    start && memchr::memchr(b'(', &v[s..]).is_some()
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// White space, commas, a BOM and comments are insignificant.
fn skip_ignored(v: &[u8], mut i: usize) -> usize {
    while i < v.len() {
        match v[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            0xEF if v[i..].starts_with(b"\xEF\xBB\xBF") => i += 3,
            b'#' => i = memchr::memchr2(b'\n', b'\r', &v[i..]).map_or(v.len(), |e| i + e),
            _ => break,
        }
    }
    i
}

/// The end of the string starting at `i` (a `"` or `"""`), and its
/// content's range; `None` if it is not closed.
fn string_at(v: &[u8], i: usize) -> Option<(usize, usize, usize)> {
    if v[i..].starts_with(b"\"\"\"") {
        let mut j = i + 3;
        loop {
            let e = memchr::memmem::find(&v[j..], b"\"\"\"")? + j;
            if v[e - 1] == b'\\' {
                j = e + 3; // \""" is an escaped triple quote
                continue;
            }
            return Some((e + 3, i + 3, e));
        }
    }
    let mut j = i + 1;
    while j < v.len() {
        match v[j] {
            b'\\' => j += 2,
            b'"' => return Some((j + 1, i + 1, j)),
            b'\n' | b'\r' => return None,
            _ => j += 1,
        }
    }
    None
}

fn suppress(c: Option<FieldClass>, ctx: Context) -> Option<FieldClass> {
    match c {
        Some(f) if f.strength == Strength::Weak && ctx == Context::NonPerson => None,
        other => other,
    }
}

/// What an open argument list, input object or list passes to the values
/// in it.
#[derive(Clone, Copy)]
struct Frame {
    /// `(` `{` or `[`
    open: u8,
    /// the class of the argument or field the container is the value of
    class: Option<FieldClass>,
    ctx: Context,
}

/// The values (start, end, class) that argument and input field names
/// classify: string contents (inside the quotes) and numbers, in
/// document order.
pub fn argument_values(
    v: &[u8],
    classify: &mut dyn FnMut(&Words) -> Option<FieldClass>,
) -> Vec<(usize, usize, FieldClass)> {
    let mut out = Vec::new();
    // open argument lists, input objects and lists (selection sets are not
    // kept: they hold no values); `sel` the contexts of the selection sets
    let mut stack: Vec<Frame> = Vec::new();
    let mut sel: Vec<Context> = Vec::new();
    // the last name read, and in a value container the class its `:` gives
    let mut last_name: Option<(usize, usize)> = None;
    let mut pending: Option<FieldClass> = None;
    let mut i = 0;
    loop {
        i = skip_ignored(v, i);
        let Some(&c) = v.get(i) else { break };
        let in_values = !stack.is_empty();
        match c {
            b'"' => {
                let Some((end, s, e)) = string_at(v, i) else { break };
                if in_values {
                    if let Some(cls) = pending.take().or_else(|| list_class(&stack)) {
                        if e > s {
                            out.push((s, e, cls));
                        }
                    }
                }
                i = end;
                last_name = None;
            }
            b'(' => {
                // the arguments of the field (or directive) just named
                let (cls, ctx) = match last_name {
                    Some((a, b)) => {
                        let w = Words::split(&v[a..b]);
                        let own = fields::context(&w);
                        let parent = stack
                            .last()
                            .map_or(sel.last().copied().unwrap_or(Context::Neutral), |f| f.ctx);
                        (None, if own == Context::Neutral { parent } else { own })
                    }
                    None => (None, Context::Neutral),
                };
                if stack.len() >= MAX_DEPTH {
                    break;
                }
                stack.push(Frame {
                    open: b'(',
                    class: cls,
                    ctx,
                });
                pending = None;
                last_name = None;
                i += 1;
            }
            b'{' | b'[' if in_values => {
                // an input object or a list: the value of the pending argument
                let top = stack.last().copied().unwrap_or(Frame {
                    open: b'(',
                    class: None,
                    ctx: Context::Neutral,
                });
                let (cls, ctx) = match last_name.filter(|_| pending.is_some() || c == b'{') {
                    Some((a, b)) => {
                        let own = fields::context(&Words::split(&v[a..b]));
                        (
                            pending.or(top.class),
                            if own == Context::Neutral { top.ctx } else { own },
                        )
                    }
                    None => (pending.or(top.class), top.ctx),
                };
                if stack.len() >= MAX_DEPTH {
                    break;
                }
                stack.push(Frame {
                    open: c,
                    class: cls,
                    ctx,
                });
                pending = None;
                last_name = None;
                i += 1;
            }
            b'{' => {
                // a selection set: the field just named is the context
                let own = last_name.map_or(Context::Neutral, |(a, b)| fields::context(&Words::split(&v[a..b])));
                let parent = sel.last().copied().unwrap_or(Context::Neutral);
                if sel.len() >= MAX_DEPTH {
                    break;
                }
                sel.push(if own == Context::Neutral { parent } else { own });
                last_name = None;
                i += 1;
            }
            b')' | b'}' | b']' => {
                if in_values {
                    stack.pop();
                } else {
                    sel.pop();
                }
                pending = None;
                last_name = None;
                i += 1;
            }
            b':' => {
                if in_values {
                    let top = stack[stack.len() - 1];
                    pending = last_name.and_then(|(a, b)| {
                        let w = Words::split(&v[a..b]);
                        suppress(classify(&w).or(top.class), top.ctx)
                    });
                }
                i += 1;
            }
            b'$' => {
                // a variable: its name is no value's
                i += 1;
                while i < v.len() && is_name_char(v[i]) {
                    i += 1;
                }
                pending = None;
                last_name = None;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let a = i;
                while i < v.len() && is_name_char(v[i]) {
                    i += 1;
                }
                if in_values && pending.is_some() {
                    // an enum value, true, false, null: no value of its own
                    pending = None;
                }
                last_name = Some((a, i));
            }
            c if c.is_ascii_digit() || c == b'-' || c == b'+' || c == b'.' => {
                let a = i;
                i += 1;
                while i < v.len() && (v[i].is_ascii_alphanumeric() || matches!(v[i], b'.' | b'-' | b'+' | b'_')) {
                    i += 1;
                }
                if in_values {
                    if let Some(cls) = pending.take().or_else(|| list_class(&stack)) {
                        out.push((a, i, cls));
                    }
                }
                last_name = None;
            }
            _ => {
                // `=`, `!`, `@`, `|`, `&`, `...`: punctuation without values
                i += 1;
                if in_values && c != b'=' {
                    pending = None;
                }
            }
        }
    }
    out
}

/// A value that is an item of a list gets the list's class.
fn list_class(stack: &[Frame]) -> Option<FieldClass> {
    stack
        .last()
        .filter(|f| f.open == b'[')
        .and_then(|f| suppress(f.class, f.ctx))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::FieldKind::{self, *};

    fn found(q: &str) -> Vec<(String, FieldKind)> {
        argument_values(q.as_bytes(), &mut |w| fields::classify(w))
            .into_iter()
            .map(|(s, e, c)| (q[s..e].to_string(), c.kind))
            .collect()
    }

    #[test]
    fn arguments_name_their_values() {
        assert_eq!(
            found(r#"{ user(email: "a", lastName: "Quispe", id: 4) { id } }"#),
            [("a".to_string(), Email), ("Quispe".to_string(), PersonName)]
        );
        assert_eq!(
            found("mutation M { updateUser(input: {dateOfBirth: \"1970-01-02\", tags: [\"x\"]}) { id } }"),
            [("1970-01-02".to_string(), BirthDate)]
        );
        assert_eq!(found("query { a(ssn: 123456789) { b } }")[0].0, "123456789");
        assert_eq!(found("{ a(surnames: [\"A\", \"B\"]) }").len(), 2);
        assert_eq!(found("{ a(surname: \"\"\"Qui\nspe\"\"\") }")[0].0, "Qui\nspe");
        // a product's name is not a person's; aliases, variables, enums
        assert!(found(r#"{ product(name: "Blue Widget") { name } }"#).is_empty());
        assert!(found(r#"mutation { createProduct(input: {name: "Blue Widget"}) { id } }"#).is_empty());
        assert!(found("query Q($name: String = \"x\") { jane: user(id: $name) { name } }").is_empty());
        assert!(found("{ a(lastName: SMITH, email: null) }").is_empty());
        assert!(found("{ a(note: \"# lastName: \\\"x\\\"\") }").is_empty());
        assert!(found("{ a(b: \"unterminated").is_empty());
    }

    #[test]
    fn sniffed() {
        assert!(looks_graphql(b"{ user(id: 1) { name } }"));
        assert!(looks_graphql(b"  # c\nquery Q { a(b: 1) }"));
        assert!(looks_graphql(b"mutation{a(b:1)}"));
        assert!(!looks_graphql(b"{ user { name } }"));
        assert!(!looks_graphql(b"queryX(1)"));
        assert!(!looks_graphql(b"a query (x)"));
    }
}
