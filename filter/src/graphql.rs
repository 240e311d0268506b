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
    /// an operation's variable definitions, `query Q($a: T = "x")`
    defs: bool,
}

/// The values (start, end, class) that argument and input field names
/// classify: string contents (inside the quotes) and numbers, in
/// document order; and a variable's default value (`query Q($a: String =
/// "…") { user(lastName: $a) }`) by the argument the variable is given to.
pub fn argument_values(
    v: &[u8],
    classify: &mut dyn FnMut(&Words) -> Option<FieldClass>,
) -> Vec<(usize, usize, FieldClass)> {
    let w = walk(v, classify);
    let mut out = w.values;
    let before = out.len();
    for (name, s, e) in w.defaults {
        if let Some(&(_, _, cls)) = w.uses.iter().find(|u| v[u.0..u.1] == v[name.0..name.1]) {
            out.push((s, e, cls));
        }
    }
    if out.len() > before {
        out.sort_by_key(|x| x.0);
    }
    out
}

/// The variables (name without its `$`, class) a document gives to
/// arguments or input fields that classify them: `mutation($a: String)
/// { updateUser(lastName: $a) }` sends the surname as `variables.a`, which
/// only the argument names. The first use of a name that classifies counts.
pub fn variable_classes(
    v: &[u8],
    classify: &mut dyn FnMut(&Words) -> Option<FieldClass>,
) -> Vec<(Vec<u8>, FieldClass)> {
    let mut out: Vec<(Vec<u8>, FieldClass)> = Vec::new();
    for (a, b, cls) in walk(v, classify).uses {
        if !out.iter().any(|(n, _)| n[..] == v[a..b]) {
            out.push((v[a..b].to_vec(), cls));
        }
    }
    out
}

/// What one pass over a document finds.
struct Walk {
    /// values inline (start, end, class)
    values: Vec<(usize, usize, FieldClass)>,
    /// variables given to a classified argument: (name start, name end, class)
    uses: Vec<(usize, usize, FieldClass)>,
    /// default values of variables: ((name start, name end), start, end)
    defaults: Vec<((usize, usize), usize, usize)>,
}

fn walk(v: &[u8], classify: &mut dyn FnMut(&Words) -> Option<FieldClass>) -> Walk {
    let mut out = Vec::new();
    let mut uses = Vec::new();
    let mut defaults = Vec::new();
    // in variable definitions: the variable being defined, and whether its
    // `=` was read (what follows is its default value)
    let mut def_var: Option<(usize, usize)> = None;
    let mut after_eq = false;
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
                if let Some(var) = def_var.filter(|_| after_eq && e > s) {
                    defaults.push((var, s, e));
                }
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
                // (outside every selection set only an operation's
                // variable definitions have parentheses)
                let defs = stack.is_empty() && sel.is_empty();
                stack.push(Frame {
                    open: b'(',
                    class: cls,
                    ctx,
                    defs,
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
                    defs: false,
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
                    defs: false,
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
                    if stack.pop().is_some_and(|f| f.defs) {
                        def_var = None;
                        after_eq = false;
                    }
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
                // a variable: its name is no value's; given to a classified
                // argument, its value (in `variables`, or its default) is
                // that argument's
                let a = i + 1;
                i += 1;
                while i < v.len() && is_name_char(v[i]) {
                    i += 1;
                }
                if stack.len() == 1 && stack[0].defs {
                    def_var = Some((a, i));
                    after_eq = false;
                } else if in_values && i > a {
                    if let Some(cls) = pending.or_else(|| list_class(&stack)) {
                        uses.push((a, i, cls));
                    }
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
                if let Some(var) = def_var.filter(|_| after_eq) {
                    defaults.push((var, a, i));
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
                if c == b'=' && def_var.is_some() {
                    after_eq = true;
                }
            }
        }
    }
    Walk {
        values: out,
        uses,
        defaults,
    }
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

    fn vars(q: &str) -> Vec<(String, FieldKind)> {
        variable_classes(q.as_bytes(), &mut |w| fields::classify(w))
            .into_iter()
            .map(|(n, c)| (String::from_utf8(n).unwrap_or_default(), c.kind))
            .collect()
    }

    #[test]
    fn variables_take_the_class_of_their_argument() {
        assert_eq!(
            vars("mutation($a: String!, $b: ID) { updateUser(id: $b, lastName: $a) { id } }"),
            [("a".to_string(), PersonName)]
        );
        assert_eq!(
            vars("mutation M($x: String) { u(input: {dateOfBirth: $x}) { id } }"),
            [("x".to_string(), BirthDate)]
        );
        assert_eq!(vars("{ a(surnames: [$s, \"B\"]) }"), [("s".to_string(), PersonName)]);
        // a product's name, an id, a selection's alias: no class
        assert!(vars("query($n: String) { product(name: $n) { name } }").is_empty());
        assert!(vars("query($n: ID) { jane: user(id: $n) { lastName } }").is_empty());
        // a default value is its variable's
        assert_eq!(
            found("query Q($a: String = \"Quispe\", $b: Int = 3) { user(lastName: $a, id: $b) { id } }"),
            [("Quispe".to_string(), PersonName)]
        );
        assert!(found("query Q($a: String = \"Widget\") { product(name: $a) { id } }").is_empty());
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
