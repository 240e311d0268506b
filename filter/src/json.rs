//! A streaming JSON scanner that visits every scalar with its path and
//! field context and applies rewrites by splicing, so that untouched bytes
//! stay exactly as they were and the output is valid JSON whenever the
//! input was. Iterative (no recursion): nesting depth is bounded by
//! configuration, not by the stack.

use crate::fields::{self, Context, FieldClass, Role, Strength, Words};
use std::borrow::Cow;

/// One step of a JSON path.
#[derive(Clone, Copy, Debug)]
pub enum Seg {
    /// Object key, as the raw bytes between the quotes.
    Key {
        start: usize,
        end: usize,
        escaped: bool,
        /// The key's id in this document ([`KeyId`]).
        id: KeyId,
    },
    Index(u32),
}

/// A distinct key of one document: two keys have the same id exactly when
/// their decoded bytes are equal (compared byte for byte, never by hash
/// alone). `None` when the document has more distinct keys than the table
/// holds: nothing is remembered about such a key.
pub type KeyId = Option<u32>;

#[derive(Debug, PartialEq, Eq)]
pub enum JsonError {
    Syntax(usize),
    TooDeep,
}

/// A scalar value as seen by the visitor.
pub enum Scalar<'a> {
    /// Decoded string contents.
    Str(Cow<'a, [u8]>),
    /// The number's text.
    Num(&'a [u8]),
    /// An object key (decoded) and its id, visited when `Options::keys` is
    /// set; the visit's path ends with this key. `Replace` rewrites the key
    /// (a JSON string); `Remove` is read as `Keep`.
    Key(Cow<'a, [u8]>, KeyId),
}

/// What to do with a scalar.
pub enum Verdict {
    Keep,
    /// For a key with an id: `Keep`, and the same key (equal bytes) need
    /// not be visited again in this document. Read as `Keep` elsewhere.
    Clean,
    /// Replace the whole token with these bytes (valid JSON).
    Replace(Vec<u8>),
    /// Replace the whole token with the bytes the visitor appended to the
    /// buffer it was given (valid JSON): no buffer of its own per value.
    Written,
    /// Drop the member (or array element) that holds it.
    Remove,
}

/// A card number split over short digit-only scalars of one container:
/// the elements of an array (`["4111","1111","1111","1111"]`, `[4,1,1,…]`),
/// the values of members of an object (`{"c1":"4111","c2":"1111",…}`,
/// also with other members between the parts: `{"a":"4111","x":"hi",
/// "b":"1111",…}`), the same member of consecutive elements of an array
/// (`[{"p":"4111"},{"p":"1111"},…]`) or of consecutive members of an
/// object (`{"a":{"x":"4111"},"b":{"x":"1111"},…}`: one level deeper). A
/// receiver that joins them reads the card; the pattern sees only pieces.
/// The same reader takes the fields of a form, query or multipart body
/// ([`SplitCards::sibling`]).
///
/// Fed every scalar value in document order ([`SplitCards::value`]), it
/// keeps runs of *parts*: scalars of 1 to 8 digits (strings without
/// escapes, plain numbers), the digits in groups joined by single spaces
/// or dashes allowed (`"4111 1111"`: a half as written on a card). A run
/// is the parts that are consecutive values of one container, or down
/// one column (a run starts at its array's first element), or the
/// same member of consecutive members of an object. Between the parts of
/// one container, values that are not parts (`"x":"hi"`, `true`, a long
/// number) may come: they cut the run into *segments* without ending it.
/// A segment, or consecutive segments joined, is a card when it has a
/// card's grouping and its digits pass the card validator (issuer ranges
/// and Luhn). A segment alone may have any of the groupings — 4-4-4-4,
/// 4-4-4-4-3, 4-6-5, 4-6-4, 8-8, or parts of one length up to 4 with a
/// shorter last one (`41111`…: 13 to 19 digits); segments joined over
/// other values only the first five (what a card is printed in). A
/// segment is never cut: a row of numbers is not cut into cards (as for
/// joined digit groups in text).
#[derive(Default)]
pub struct SplitCards {
    parent: Vec<(usize, u32)>,
    parts: Vec<(usize, usize)>,
    digits: Vec<u8>,
    /// Where each segment but the first starts in `parts`.
    segs: Vec<usize>,
    /// A value that is not a part came after the last part (siblings).
    gap: bool,
    next_index: Option<u32>,
    /// The path of the last part, and the depth of the index or key a
    /// run down a column steps ([`Self::column_step`]).
    last: Vec<Seg>,
    column: Option<usize>,
    /// Token starts ([`Self::value`]) or ids ([`Self::sibling`]) of the
    /// parts of every card found, in order.
    pub found: Vec<usize>,
}

/// Most digits in a part of a split card (`41111111`, `11111111`: halves).
pub const SPLIT_MAX_PART: usize = 8;

fn seg_key(s: &Seg) -> (usize, u32) {
    match *s {
        Seg::Key { start, .. } => (start, u32::MAX),
        Seg::Index(i) => (usize::MAX, i),
    }
}

/// The digits of `v` into `buf` when it is a part of a split card: 1 to
/// [`SPLIT_MAX_PART`] digits, groups joined by single spaces or dashes
/// (`4111 1111`, `4111-1111`); their count.
#[inline]
fn part_digits(v: &[u8], buf: &mut [u8; SPLIT_MAX_PART]) -> Option<usize> {
    // (most values: a letter first, or too long)
    if v.is_empty() || v.len() > 2 * SPLIT_MAX_PART - 1 || !v[0].is_ascii_digit() {
        return None;
    }
    let mut n = 0;
    let mut prev_digit = false;
    for &c in v {
        if c.is_ascii_digit() {
            if n == SPLIT_MAX_PART {
                return None;
            }
            buf[n] = c;
            n += 1;
            prev_digit = true;
        } else if prev_digit && matches!(c, b' ' | b'-') {
            prev_digit = false;
        } else {
            return None;
        }
    }
    prev_digit.then_some(n)
}

impl SplitCards {
    /// The next scalar value (not a key): at `path`, its token at `start`,
    /// `v` its text when it may be a part (a string's decoded content
    /// without escapes, a plain number's text; `None` otherwise).
    /// `input` is the document (key names compared by bytes).
    #[inline]
    pub fn value(&mut self, input: &[u8], path: &[Seg], start: usize, v: Option<&[u8]>) {
        let mut buf = [0u8; SPLIT_MAX_PART];
        let Some(n) = v.and_then(|v| part_digits(v, &mut buf)) else {
            // (most values: nothing to end)
            if !self.parts.is_empty() {
                self.not_a_part();
            }
            return;
        };
        let d = &buf[..n];
        let Some((last, parent)) = path.split_last() else {
            return;
        };
        let same = !self.parts.is_empty()
            && self.column.is_none()
            && self.parent.len() == parent.len()
            && self.parent.iter().zip(parent).all(|(a, b)| *a == seg_key(b))
            && match last {
                // (after a gap, a later element of the same array)
                Seg::Index(i) => self.next_index.is_some_and(|x| x == *i || (self.gap && *i > x)),
                Seg::Key { .. } => self.next_index.is_none(),
            };
        if !same && !self.gap && self.column_step(input, path) {
            self.last.clear();
            self.last.extend_from_slice(path);
            self.parts.push((start, d.len()));
            self.digits.extend_from_slice(d);
            return;
        }
        if !same {
            self.finish();
            // an array's run starts at its first element
            if matches!(last, Seg::Index(i) if *i != 0) {
                return;
            }
            self.parent.clear();
            self.parent.extend(parent.iter().map(seg_key));
        }
        self.next_index = match last {
            Seg::Index(i) => Some(i + 1),
            Seg::Key { .. } => None,
        };
        self.last.clear();
        self.last.extend_from_slice(path);
        self.push(start, d);
    }

    /// A part of the current run (after a gap: the start of a segment).
    fn push(&mut self, id: usize, d: &[u8]) {
        if self.gap {
            self.gap = false;
            self.segs.push(self.parts.len());
        }
        self.parts.push((id, d.len()));
        self.digits.extend_from_slice(d);
    }

    /// A value that is not a part, with a run open: a gap between the
    /// segments of a run of siblings; the end of a run down a column.
    fn not_a_part(&mut self) {
        if self.column.is_none() {
            self.gap = true;
        } else {
            self.finish();
        }
    }

    /// Whether the value at `path` continues the run down a column: the
    /// same member of the next element of one array (`[{"p":"4111"},
    /// {"p":"1111"},…]`, `[["4111"],["1111"],…]`) or of another member of
    /// one object (`{"a":{"x":"4111"},"b":{"x":"1111"},…}`): its path is
    /// the last part's but for one step above the value — an array index
    /// one more (the run started at that array's first element) or another
    /// key — always at the same depth. (The run is then not extended by
    /// siblings, nor continued over a value that is not a part.)
    fn column_step(&mut self, input: &[u8], path: &[Seg]) -> bool {
        if self.parts.is_empty() || path.len() != self.last.len() {
            return false;
        }
        let mut step = None;
        for (k, (a, b)) in self.last.iter().zip(path).enumerate() {
            match (a, b) {
                (Seg::Index(x), Seg::Index(y)) if x == y => {}
                (Seg::Index(x), Seg::Index(y)) if step.is_none() && *y == x + 1 => step = Some((k, Some(*x))),
                (
                    Seg::Key {
                        start: s1,
                        end: e1,
                        escaped: x1,
                        ..
                    },
                    Seg::Key {
                        start: s2,
                        end: e2,
                        escaped: x2,
                        ..
                    },
                ) => {
                    if key_bytes(input, *s1, *e1, *x1) != key_bytes(input, *s2, *e2, *x2) {
                        if step.is_some() {
                            return false;
                        }
                        step = Some((k, None));
                    }
                }
                _ => return false,
            }
        }
        let Some((k, from)) = step else {
            return false;
        };
        let ok = k + 1 < path.len()
            && match self.column {
                Some(c) => c == k,
                None => self.parts.len() == 1 && from.is_none_or(|x| x == 0),
            };
        if ok {
            self.column = Some(k);
        }
        ok
    }

    /// The next value of a carrier whose values are all siblings (the
    /// fields of a form, query, cookie or multipart body): `id` names it
    /// for the second reading (its index), `v` as for [`Self::value`].
    #[inline]
    pub fn sibling(&mut self, id: usize, v: Option<&[u8]>) {
        let mut buf = [0u8; SPLIT_MAX_PART];
        match v.and_then(|v| part_digits(v, &mut buf)) {
            Some(n) => self.push(id, &buf[..n]),
            None if !self.parts.is_empty() => self.gap = true,
            None => {}
        }
    }

    /// Ends the current run (call once more after the last value).
    pub fn finish(&mut self) {
        if self.parts.len() >= 2 {
            self.read_run();
        }
        self.parts.clear();
        self.digits.clear();
        self.segs.clear();
        self.gap = false;
        self.column = None;
    }

    /// The cards of the run: every segment, and consecutive segments
    /// joined, of 13 to 19 digits with a card's grouping.
    fn read_run(&mut self) {
        let n = self.parts.len();
        let nseg = self.segs.len() + 1;
        let bound = |k: usize| match k {
            0 => 0,
            k if k == nseg => n,
            k => self.segs[k - 1],
        };
        let before = self.found.len();
        // (digits before the segment `i` starts)
        let mut at = 0;
        for i in 0..nseg {
            let a = bound(i);
            let mut total = 0;
            for j in i..nseg {
                let b = bound(j + 1);
                total += self.parts[bound(j)..b].iter().map(|&(_, l)| l).sum::<usize>();
                if total > 19 {
                    break;
                }
                let run = &self.parts[a..b];
                if run.len() >= 2
                    && total >= 13
                    && split_card_shape(run, j > i)
                    && crate::validate::payment_card(&self.digits[at..at + total])
                {
                    self.found.extend(run.iter().map(|&(s, _)| s));
                }
            }
            at += self.parts[a..bound(i + 1)].iter().map(|&(_, l)| l).sum::<usize>();
        }
        // (overlapping cards: `found` stays sorted, for the second reading)
        if self.found.len() > before {
            self.found.sort_unstable();
            self.found.dedup();
        }
    }
}

/// Whether parts of these lengths have a card's grouping: what a card is
/// printed in, or (`joined` false: one segment) parts of one length up to
/// 4 with a shorter last one.
fn split_card_shape(parts: &[(usize, usize)], joined: bool) -> bool {
    let mut lens = [0usize; 19];
    let k = parts.len().min(19);
    for (l, p) in lens.iter_mut().zip(parts) {
        *l = p.1;
    }
    let lens = &lens[..k];
    if matches!(lens, [4, 4, 4, 4] | [4, 4, 4, 4, 3] | [4, 6, 5] | [4, 6, 4] | [8, 8]) {
        return true;
    }
    if joined {
        return false;
    }
    let total: usize = lens.iter().sum();
    let (last, rest) = match lens.split_last() {
        Some((l, r)) => (*l, r),
        None => return false,
    };
    let first = lens[0];
    (13..=19).contains(&total) && first <= 4 && rest.iter().all(|&l| l == first) && last <= first
}

/// Context of a scalar.
pub struct Visit<'a, 'b> {
    pub input: &'a [u8],
    pub path: &'b [Seg],
    pub field: Option<FieldClass>,
    /// The scalar holds none of the bytes that start an escape
    /// [`crate::textcode::view`] decodes outside markup (`\`, `&`, `%`):
    /// its view is `None`. `false` says nothing.
    pub plain: bool,
    /// A number written as only a lenient receiver reads it (`0x…`,
    /// `1_000`, `+1`, `.5`, `0755`, `Infinity`): its value is
    /// [`number_value`]. `false` for every plain JSON number.
    pub lenient: bool,
    /// Where the scalar's token starts in `input` (its quote for a string).
    pub start: usize,
}

impl Visit<'_, '_> {
    /// `$.a.b[*].c` (array indexes folded to `*` when `wild` is set).
    pub fn render_path(&self, wild: bool) -> String {
        render_path(self.input, self.path, wild)
    }
}

pub fn render_path(input: &[u8], path: &[Seg], wild: bool) -> String {
    let mut s = String::from("$");
    for seg in path {
        match *seg {
            Seg::Key {
                start, end, escaped, ..
            } => {
                let k = key_bytes(input, start, end, escaped);
                let k = String::from_utf8_lossy(&k);
                if !k.is_empty() && k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-') {
                    s.push('.');
                    s.push_str(&k);
                } else {
                    s.push_str("['");
                    s.push_str(&k.replace('\\', "\\\\").replace('\'', "\\'"));
                    s.push_str("']");
                }
            }
            Seg::Index(i) => {
                if wild {
                    s.push_str("[*]");
                } else {
                    s.push_str(&format!("[{i}]"));
                }
            }
        }
    }
    s
}

pub fn key_bytes(input: &[u8], start: usize, end: usize, escaped: bool) -> Cow<'_, [u8]> {
    let raw = &input[start..end];
    if escaped {
        Cow::Owned(unescape(raw))
    } else {
        Cow::Borrowed(raw)
    }
}

/// Classifies a key: (field class, context for the members beneath it).
pub type KeyClassifier<'c> = &'c dyn Fn(&Words) -> Option<FieldClass>;

struct Frame {
    is_obj: bool,
    /// An array's current element; an object's members read so far.
    index: u32,
    ctx: Context,
    inherited: Option<FieldClass>,
    /// class of the current member's key (objects); for a member named by a
    /// sibling's value ([`Pairs`]), the class that value gives it
    key_class: Option<FieldClass>,
    /// context of the current member's key, computed when its value is a container
    key_ctx: Option<Context>,
    member_start: usize,
    last_comma: Option<usize>,
    members: Vec<Member>,
    any_removed: bool,
    remove_current: bool,
}

struct Member {
    start: usize,
    end: usize,
    comma_before: Option<usize>,
    removed: bool,
}

pub struct Options {
    pub max_depth: usize,
    /// Track member spans so that `Verdict::Remove` can drop members.
    pub track_members: bool,
    /// Visit object keys too (`Scalar::Key`).
    pub keys: bool,
    /// Remember nothing: every key classified where it occurs (no
    /// [`KeyId`]), no scalar `plain`. What the shortcuts are checked against.
    pub reference: bool,
}

/// Members named by the value of a sibling member (entity-attribute-value
/// records: `{"name":"surname","value":"Quispe"}`): the named member's
/// value takes the class its naming member's value gives it as a key
/// would ([`fields::pair_role`], [`fields::naming_value_class`]). A value
/// read after its name gets it in the same reading; one read before it is
/// collected in `late`, for a second reading with them `given`. Kept off
/// the path of other keys: only a key with a role ([`read_key`]) and the
/// close of an object that had one do anything.
#[derive(Default)]
pub struct Pairs {
    /// Value token starts (sorted) and the class a sibling names them by.
    pub given: Vec<(usize, FieldClass)>,
    /// Values whose naming member came after them, in no order.
    pub late: Vec<(usize, FieldClass)>,
    /// The naming members' string values of the open objects, innermost last.
    names: Vec<NameRef>,
    /// Named members of the open objects read before a naming value gave
    /// them a class, innermost last: depth, value token start, weak role,
    /// an answer, a query ([`Role::Query`]).
    pending: Vec<(usize, usize, bool, bool, bool)>,
}

/// A naming member's value: the depth of its object, where its token
/// starts, whether the naming role is weak, whether it is a question's
/// text (a weakly named string) that names only an answer, whether it
/// names a query's default fields ([`Role::DefaultFields`]: a string or an
/// array) and only a query.
struct NameRef {
    depth: usize,
    at: usize,
    weak: bool,
    question: bool,
    query: bool,
}

impl Pairs {
    /// A second reading: values read with the class their siblings give.
    pub fn given(mut given: Vec<(usize, FieldClass)>) -> Self {
        given.sort_unstable_by_key(|g| g.0);
        Pairs {
            given,
            ..Pairs::default()
        }
    }

    /// The member just read of the object on top of `stack`, whose key
    /// has `role` (its value starts at `at`): a naming value is kept (a
    /// string, or an object or array whose strings name: `{"field":{"ref":
    /// "last_name"}}`, `{"name":["surname"]}`); a named member takes the
    /// class its siblings give, if they give one. A weakly named string
    /// (`text`) names an answer weakly too: FHIR's QuestionnaireResponse
    /// item names its `answer` by its `text` (`Patient's last name`), but
    /// a select option's `{"text":"Phone","value":"1"}` names nothing.
    #[inline(always)]
    fn member(&mut self, input: &[u8], at: usize, role: Role, stack: &mut [Frame], classify_key: KeyClassifier) {
        let depth = stack.len();
        let first = input.get(at).copied();
        let name = |weak: bool, question: bool| NameRef {
            depth,
            at,
            weak,
            question,
            query: false,
        };
        match role {
            Role::Naming(st) => {
                if matches!(first, Some(b'"' | b'{' | b'[')) {
                    self.names.push(name(st == Strength::Weak, false));
                }
            }
            Role::Named(st) => {
                self.named(
                    input,
                    depth,
                    at,
                    st == Strength::Weak,
                    false,
                    false,
                    stack,
                    classify_key,
                );
                if st == Strength::Weak && first == Some(b'"') {
                    self.names.push(name(true, true));
                }
            }
            Role::Answer => self.named(input, depth, at, false, true, false, stack, classify_key),
            // a converter's text (`$`, `_`) or attributes (`"$":{"name":…}`)
            Role::Holder => match first {
                Some(b'"') => self.named(input, depth, at, true, false, false, stack, classify_key),
                Some(b'{' | b'[') => self.names.push(name(false, false)),
                _ => {}
            },
            Role::DefaultFields(_) => {
                if matches!(first, Some(b'"' | b'[')) {
                    self.names.push(NameRef {
                        depth,
                        at,
                        weak: false,
                        question: false,
                        query: true,
                    });
                }
            }
            Role::Query => {
                if first == Some(b'"') {
                    self.named(input, depth, at, false, false, true, stack, classify_key)
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn named(
        &mut self,
        input: &[u8],
        depth: usize,
        at: usize,
        weak: bool,
        answer: bool,
        query: bool,
        stack: &mut [Frame],
        classify_key: KeyClassifier,
    ) {
        let given = self
            .given
            .binary_search_by_key(&at, |g| g.0)
            .ok()
            .map(|i| self.given[i].1);
        match given.or_else(|| self.class(input, depth, at, weak, answer, query, classify_key)) {
            Some(c) => {
                if let Some(f) = stack.last_mut() {
                    f.key_class = f.key_class.or(Some(c));
                }
            }
            None => self.pending.push((depth, at, weak, answer, query)),
        }
    }

    /// The class the naming values of the object at `depth` give a named
    /// member (`weak`: its role is; `answer`: an answer, which a question's
    /// text names; `query`: a query, which only its default fields name)
    /// whose value starts at `at`: the first that classifies
    /// as a key would; where either role is weak, only a strong class.
    /// None for a value that is itself a label of that class (an i18n
    /// catalogue's `{"key":"label.surname","value":"Surname"}`).
    #[allow(clippy::too_many_arguments)]
    fn class(
        &self,
        input: &[u8],
        depth: usize,
        at: usize,
        weak: bool,
        answer: bool,
        query: bool,
        classify_key: KeyClassifier,
    ) -> Option<FieldClass> {
        let from = self.names.iter().rposition(|n| n.depth != depth).map_or(0, |i| i + 1);
        if query {
            return self.names[from..]
                .iter()
                .filter(|n| n.query)
                .find_map(|n| default_fields_class(input, n.at, classify_key));
        }
        let c = self.names[from..]
            .iter()
            .filter(|n| n.at != at && !n.query && (answer || !n.question))
            .find_map(|n| {
                let c = naming_class(input, n.at, classify_key)?;
                (c.strength == Strength::Strong || !(weak || n.weak)).then_some(c)
            })?;
        if input.get(at) == Some(&b'"') {
            let (end, escaped) = string_end(input, at)?;
            if fields::is_field_label(&key_bytes(input, at + 1, end - 1, escaped), c.kind, &mut |w| {
                classify_key(w)
            }) {
                return None;
            }
        }
        Some(c)
    }

    /// The container at `depth` closed: a named member read before a later
    /// naming value is collected in `late`; its naming values are dropped.
    #[inline(always)]
    fn close(&mut self, input: &[u8], depth: usize, classify_key: KeyClassifier) {
        if self.pending.last().is_some_and(|p| p.0 == depth) {
            self.close_pending(input, depth, classify_key);
        }
        while self.names.last().is_some_and(|n| n.depth == depth) {
            self.names.pop();
        }
    }

    #[inline(never)]
    fn close_pending(&mut self, input: &[u8], depth: usize, classify_key: KeyClassifier) {
        while let Some(&(d, at, weak, answer, query)) = self.pending.last() {
            if d != depth {
                break;
            }
            self.pending.pop();
            if let Some(c) = self.class(input, depth, at, weak, answer, query, classify_key) {
                self.late.push((at, c));
            }
        }
    }
}

/// The class a naming value read before gives, its token at `at`: a
/// string ([`fields::naming_value_class`]), or the first of the strings
/// directly inside an object or array that gives one (values, not keys;
/// the first eight tokens, up to a container inside).
fn naming_class(input: &[u8], at: usize, classify_key: KeyClassifier) -> Option<FieldClass> {
    let string_class = |at: usize, end: usize, escaped: bool| {
        fields::naming_value_class(&key_bytes(input, at + 1, end - 1, escaped), &mut |w| classify_key(w))
    };
    if input.get(at) == Some(&b'"') {
        let (end, escaped) = string_end(input, at)?;
        return string_class(at, end, escaped);
    }
    let mut i = at + 1;
    for _ in 0..8 {
        i = skip_ws(input, i);
        match input.get(i)? {
            b'"' => {
                let (end, escaped) = string_end(input, i)?;
                let next = skip_ws(input, end);
                // (a key: its value is read next)
                if input.get(next) != Some(&b':') {
                    if let Some(c) = string_class(i, end, escaped) {
                        return Some(c);
                    }
                }
                i = next + usize::from(input.get(next) == Some(&b':'));
            }
            b',' => i += 1,
            b'{' | b'[' | b'}' | b']' => return None,
            // a number, true, false, null
            _ => i += 1 + input[i + 1..].iter().position(|c| matches!(c, b',' | b'}' | b']'))?,
        }
    }
    None
}

/// The class of the first personal field among default fields at `at`: a
/// string (`"lastName"`, `"surname^2 city"`) or an array of strings
/// (`["last_name^3", "first_name"]`), as [`crate::filterexpr::field_list_class`]
/// reads them.
fn default_fields_class(input: &[u8], at: usize, classify_key: KeyClassifier) -> Option<FieldClass> {
    let mut classify = |w: &Words| classify_key(w);
    let mut k = at;
    if input.get(k) == Some(&b'[') {
        k += 1;
    }
    loop {
        k = skip_ws(input, k);
        if input.get(k) != Some(&b'"') {
            return None;
        }
        let (end, escaped) = string_end(input, k)?;
        let v = key_bytes(input, k + 1, end - 1, escaped);
        if let Some(c) = crate::filterexpr::field_list_class(&v, &mut classify) {
            return Some(c);
        }
        if input.get(at) != Some(&b'[') {
            return None;
        }
        k = skip_ws(input, end);
        if input.get(k) != Some(&b',') {
            return None;
        }
        k += 1;
    }
}

/// Whether the member whose key ends `path` is in a full-text query's
/// object (`{"query_string": {"fields": …}}`, `multi_match`,
/// `simple_query_string`, `combined_fields`), where `fields` names the
/// fields its `query` searches (elsewhere it lists the fields to return).
#[inline(never)]
fn in_full_text_query(input: &[u8], path: &[Seg]) -> bool {
    match path.len().checked_sub(2).map(|i| &path[i]) {
        Some(&Seg::Key {
            start, end, escaped, ..
        }) => matches!(
            Words::split(&key_bytes(input, start, end, escaped)).joined(),
            b"querystring" | b"simplequerystring" | b"multimatch" | b"combinedfields"
        ),
        _ => false,
    }
}

/// The end (after the closing quote) of the string token at `at`, read
/// before, and whether it has escapes. (Not [`scan_string`]: a call of
/// its own, off the walk's path, keeps that one as it is compiled there.)
fn string_end(input: &[u8], at: usize) -> Option<(usize, bool)> {
    let mut i = at + 1;
    let mut escaped = false;
    loop {
        let j = i + memchr::memchr2(b'"', b'\\', input.get(i..)?)?;
        if input[j] == b'"' {
            return Some((j + 1, escaped));
        }
        escaped = true;
        i = j + 2;
    }
}

/// The visitor: a scalar in its context, and the buffer a replacement may
/// be appended to ([`Verdict::Written`]).
pub type Visitor<'v> = dyn FnMut(&Visit, Scalar, &mut Vec<u8>) -> Verdict + 'v;

/// A splice: bytes `start..end` of the input become `rep` of the replacement buffer.
struct Edit {
    start: usize,
    end: usize,
    rep: std::ops::Range<usize>,
}

/// The edits of one document and the one buffer holding every replacement.
#[derive(Default)]
struct Edits {
    list: Vec<Edit>,
    buf: Vec<u8>,
}

impl Edits {
    /// Calls `visit` and records its verdict for `start..end`.
    #[inline(always)]
    fn visit(
        &mut self,
        visit: &mut Visitor,
        v: &Visit,
        s: Scalar,
        start: usize,
        end: usize,
        stack: &mut [Frame],
    ) -> Verdict {
        let mark = self.buf.len();
        let verdict = visit(v, s, &mut self.buf);
        match verdict {
            Verdict::Written => {
                self.list.push(Edit {
                    start,
                    end,
                    rep: mark..self.buf.len(),
                });
                Verdict::Written
            }
            Verdict::Replace(r) => {
                self.buf.truncate(mark);
                self.push(start, end, &r);
                Verdict::Written
            }
            Verdict::Remove => {
                self.buf.truncate(mark);
                match stack.last_mut() {
                    Some(f) => {
                        f.remove_current = true;
                        f.any_removed = true;
                    }
                    None => self.push(start, end, b"null"),
                }
                Verdict::Remove
            }
            other => {
                self.buf.truncate(mark);
                other
            }
        }
    }

    fn push(&mut self, start: usize, end: usize, rep: &[u8]) {
        let at = self.buf.len();
        self.buf.extend_from_slice(rep);
        self.list.push(Edit {
            start,
            end,
            rep: at..self.buf.len(),
        });
    }
}

/// Scans `input`, calling `visit` for each string and number. Returns the
/// rewritten document when anything changed.
pub fn rewrite(
    input: &[u8],
    opts: &Options,
    classify_key: KeyClassifier,
    visit: &mut Visitor,
) -> Result<Option<Vec<u8>>, JsonError> {
    rewrite_pairs(input, opts, classify_key, visit, &mut Pairs::default())
}

/// [`rewrite`], members named by a sibling's value read with the class it
/// gives them ([`Pairs`]).
pub fn rewrite_pairs(
    input: &[u8],
    opts: &Options,
    classify_key: KeyClassifier,
    visit: &mut Visitor,
    pairs: &mut Pairs,
) -> Result<Option<Vec<u8>>, JsonError> {
    let mut keys = KeyTable {
        off: opts.reference,
        pairs: std::mem::take(pairs),
        ..KeyTable::default()
    };
    let r = walk(input, opts, classify_key, visit, &mut keys);
    *pairs = std::mem::take(&mut keys.pairs);
    r
}

#[inline]
fn walk(
    input: &[u8],
    opts: &Options,
    classify_key: KeyClassifier,
    visit: &mut Visitor,
    keys: &mut KeyTable,
) -> Result<Option<Vec<u8>>, JsonError> {
    let mut edits = Edits::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut path: Vec<Seg> = Vec::new();
    let mut marks = Marks {
        off: opts.reference,
        ..Marks::default()
    };
    let n = input.len();
    let mut pos = skip_ws(input, 0);
    'value: loop {
        // ---- parse one value at pos
        if pos >= n {
            return Err(JsonError::Syntax(pos));
        }
        match input[pos] {
            b'{' | b'[' => {
                if stack.len() >= opts.max_depth {
                    return Err(JsonError::TooDeep);
                }
                let is_obj = input[pos] == b'{';
                let key_ctx = match (stack.last(), path.last()) {
                    (
                        Some(f),
                        Some(&Seg::Key {
                            start,
                            end,
                            escaped,
                            id,
                        }),
                    ) if f.is_obj => keys.context(id, || key_bytes(input, start, end, escaped)),
                    _ => Context::Neutral,
                };
                let (inherited, child_ctx) = match stack.last_mut() {
                    Some(f) => {
                        f.key_ctx = Some(key_ctx);
                        let inh = if f.is_obj {
                            f.key_class.or(f.inherited)
                        } else {
                            f.inherited
                        };
                        let c = if f.is_obj && key_ctx != Context::Neutral {
                            key_ctx
                        } else {
                            f.ctx
                        };
                        (inh, c)
                    }
                    None => (None, Context::Neutral),
                };
                let inherited = suppress(inherited, child_ctx);
                stack.push(Frame {
                    is_obj,
                    index: 0,
                    ctx: child_ctx,
                    inherited,
                    key_class: None,
                    key_ctx: None,
                    member_start: 0,
                    last_comma: None,
                    members: Vec::new(),
                    any_removed: false,
                    remove_current: false,
                });
                pos = skip_ws(input, pos + 1);
                let close = if is_obj { b'}' } else { b']' };
                if input.get(pos) == Some(&close) {
                    pos += 1;
                    stack.pop();
                    // an empty container is a completed value
                } else {
                    if is_obj {
                        pos = read_key(input, pos, &mut stack, &mut path, classify_key, keys)?;
                        if opts.keys {
                            visit_key(input, &path, keys, &mut marks, visit, &mut edits);
                        }
                    } else {
                        path.push(Seg::Index(0));
                        if let Some(f) = stack.last_mut() {
                            f.member_start = pos;
                        }
                    }
                    continue 'value;
                }
            }
            b'"' => {
                let (end, escaped) = scan_string(input, pos)?;
                let raw = &input[pos + 1..end - 1];
                let val = if escaped {
                    Cow::Owned(unescape(raw))
                } else {
                    Cow::Borrowed(raw)
                };
                let (field, ctx) = current_field(&stack);
                let v = Visit {
                    input,
                    path: &path,
                    field: suppress(field, ctx),
                    plain: !escaped && marks.none_in(input, pos + 1, end - 1),
                    lenient: false,
                    start: pos,
                };
                edits.visit(visit, &v, Scalar::Str(val), pos, end, &mut stack);
                pos = end;
            }
            b'-' | b'0'..=b'9' | b'+' | b'.' | b'I' | b'N' => {
                let mut end = pos + 1;
                while end < n && matches!(input[end], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
                    end += 1;
                }
                // Numbers a lenient receiver reads (JSON5, JavaScript, YAML,
                // Python: `0x…`, `0o…`, `0b…`, `1_000`, `+1`, `.5`,
                // `Infinity`, `NaN`) are read as numbers too, so their value
                // is scanned ([`number_value`]); anything else is an error
                // (the body is then read as text).
                let lenient = if !matches!(input[pos], b'-' | b'0'..=b'9')
                    || input.get(end).is_some_and(|&c| c == b'_' || c.is_ascii_alphanumeric())
                {
                    end = lenient_number_end(input, pos).ok_or(JsonError::Syntax(pos))?;
                    true
                } else {
                    // `0755`, `-.5`, `5.`
                    let d = pos + usize::from(input[pos] == b'-');
                    (input.get(d) == Some(&b'0') && input.get(d + 1).is_some_and(u8::is_ascii_digit))
                        || input.get(d) == Some(&b'.')
                        || input[end - 1] == b'.'
                };
                let (field, ctx) = current_field(&stack);
                let v = Visit {
                    input,
                    path: &path,
                    field: suppress(field, ctx),
                    // digits, signs, `.`, `e`
                    plain: true,
                    lenient,
                    start: pos,
                };
                edits.visit(visit, &v, Scalar::Num(&input[pos..end]), pos, end, &mut stack);
                pos = end;
            }
            b't' if input[pos..].starts_with(b"true") => pos += 4,
            b'f' if input[pos..].starts_with(b"false") => pos += 5,
            b'n' if input[pos..].starts_with(b"null") => pos += 4,
            _ => return Err(JsonError::Syntax(pos)),
        }
        // ---- after a value: separators and closers
        loop {
            pos = skip_ws(input, pos);
            let Some(frame) = stack.last_mut() else {
                if pos != n {
                    return Err(JsonError::Syntax(pos));
                }
                break 'value;
            };
            if opts.track_members {
                frame.members.push(Member {
                    start: frame.member_start,
                    end: pos_trim_end(input, pos),
                    comma_before: frame.last_comma,
                    removed: frame.remove_current,
                });
            }
            frame.remove_current = false;
            match input.get(pos) {
                Some(b',') => {
                    frame.last_comma = Some(pos);
                    pos = skip_ws(input, pos + 1);
                    path.pop();
                    if frame.is_obj {
                        pos = read_key(input, pos, &mut stack, &mut path, classify_key, keys)?;
                        if opts.keys {
                            visit_key(input, &path, keys, &mut marks, visit, &mut edits);
                        }
                    } else {
                        frame.index += 1;
                        frame.member_start = pos;
                        path.push(Seg::Index(frame.index));
                    }
                    continue 'value;
                }
                Some(b'}') if frame.is_obj => {}
                Some(b']') if !frame.is_obj => {}
                _ => return Err(JsonError::Syntax(pos)),
            }
            // close the container
            pos += 1;
            path.pop();
            if let Some(f) = stack.pop() {
                if f.any_removed {
                    remove_members(&f.members, &mut edits);
                }
                keys.pairs.close(input, stack.len() + 1, classify_key);
            }
        }
    }
    let Edits { mut list, buf } = edits;
    if list.is_empty() {
        return Ok(None);
    }
    // in document order already unless members were removed
    if !list.windows(2).all(|w| w[0].start < w[1].start) {
        crate::sorting::spans(&mut list, |e| (e.start, e.end));
    }
    let mut out = Vec::with_capacity(n + buf.len());
    let mut at = 0;
    for Edit { start, end, rep } in list {
        if start < at {
            continue; // inside a removed span
        }
        out.extend_from_slice(&input[at..start]);
        out.extend_from_slice(&buf[rep]);
        at = end;
    }
    out.extend_from_slice(&input[at..]);
    Ok(Some(out))
}

/// The end of the lenient number at `pos` (see [`number_value`]), or
/// `None` if what is there is not one.
fn lenient_number_end(input: &[u8], pos: usize) -> Option<usize> {
    let mut end = pos;
    while end < input.len() && matches!(input[end], b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'.' | b'+' | b'-')
    {
        // a sign inside the token only after an exponent `e`
        if end > pos && matches!(input[end], b'+' | b'-') && !matches!(input[end - 1], b'e' | b'E') {
            break;
        }
        end += 1;
    }
    let tok = &input[pos..end];
    let body = tok.strip_prefix(b"-").or_else(|| tok.strip_prefix(b"+")).unwrap_or(tok);
    (body == b"Infinity" || body == b"NaN" || number_value(tok).is_some()).then_some(end)
}

/// The decimal value a lenient receiver reads from a number token that is
/// not plain JSON: hexadecimal `0x`, octal `0o`, binary `0b` (any case),
/// `_` between digits, a leading `+`, a leading or trailing `.`
/// (`0xE9B08A568F1C7` is `4111111111111111`); `None` for a plain JSON
/// number (read as written, or expanded when it has an exponent) and for
/// anything that is not a number. Tokens longer than 256 bytes are not read.
pub fn number_value(tok: &[u8]) -> Option<Vec<u8>> {
    // (every number of a JSON body comes here: plain ones leave at once)
    let t = tok.strip_prefix(b"-").unwrap_or(tok);
    let odd = |c: &u8| *c == b'_' || (c.is_ascii_alphabetic() && !matches!(c, b'e' | b'E'));
    let lenient = matches!(tok.first(), Some(b'+' | b'.'))
        || t.first() == Some(&b'.')
        || tok.last() == Some(&b'.')
        || (t.len() > 1 && t[0] == b'0' && t[1].is_ascii_digit())
        || tok.iter().any(odd);
    if !lenient || tok.len() > 256 {
        return None;
    }
    let (neg, body) = match tok.split_first() {
        Some((b'-', r)) => (true, r),
        Some((b'+', r)) => (false, r),
        _ => (false, tok),
    };
    let radix = match body.get(..2) {
        Some(b"0x" | b"0X") => 16,
        Some(b"0o" | b"0O") => 8,
        Some(b"0b" | b"0B") => 2,
        _ => 10,
    };
    let digits = if radix == 10 { body } else { &body[2..] };
    // `_` only between two digits
    let under_ok = |i: usize| {
        let ok = |c: Option<&u8>| c.is_some_and(|&c| (c as char).is_digit(radix));
        ok(i.checked_sub(1).and_then(|j| digits.get(j))) && ok(digits.get(i + 1))
    };
    if digits.iter().enumerate().any(|(i, &c)| c == b'_' && !under_ok(i)) {
        return None;
    }
    let clean: Vec<u8> = digits.iter().copied().filter(|&c| c != b'_').collect();
    let mut out = Vec::with_capacity(clean.len() + 2);
    if neg {
        out.push(b'-');
    }
    if radix != 10 {
        if clean.is_empty() || !clean.iter().all(|&c| (c as char).is_digit(radix)) {
            return None;
        }
        // base conversion on decimal digits (least significant first)
        let mut dec: Vec<u8> = vec![0];
        for &c in &clean {
            let mut carry = (c as char).to_digit(radix).unwrap_or(0);
            for d in dec.iter_mut() {
                let v = u32::from(*d) * radix + carry;
                *d = (v % 10) as u8;
                carry = v / 10;
            }
            while carry > 0 {
                dec.push((carry % 10) as u8);
                carry /= 10;
            }
        }
        out.extend(dec.iter().rev().map(|d| b'0' + d));
        return Some(out);
    }
    // decimal: digits, at most one `.`, an optional exponent; something
    // about it that plain JSON does not allow
    let (mant, exp) = match clean.iter().position(|&c| c == b'e' || c == b'E') {
        Some(i) => (&clean[..i], Some(&clean[i + 1..])),
        None => (&clean[..], None),
    };
    let (int, frac) = match mant.iter().position(|&c| c == b'.') {
        Some(i) => (&mant[..i], &mant[i + 1..]),
        None => (mant, &[][..]),
    };
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(b"+").or_else(|| e.strip_prefix(b"-")).unwrap_or(e);
        !e.is_empty() && e.iter().all(u8::is_ascii_digit)
    });
    if !exp_ok || (int.is_empty() && frac.is_empty()) || !int.iter().chain(frac).all(u8::is_ascii_digit) {
        return None;
    }
    // Leading zeros: a receiver that allows them (Jackson's
    // ALLOW_LEADING_ZEROS_FOR_NUMBERS, JavaScript for a number with an 8 or
    // a 9) reads the digits after them: `04111111111111111` is a card (red
    // team: read as written, the card sat inside a longer run of digits,
    // which is not looked for)
    let zeros = int
        .iter()
        .take_while(|&&c| c == b'0')
        .count()
        .min(int.len().saturating_sub(1));
    let int = &int[zeros..];
    // `0755`: a leading zero makes it octal for JavaScript (sloppy mode)
    // and YAML 1.1; read both ways
    if exp.is_none() && !mant.contains(&b'.') && zeros > 0 && int.iter().all(|c| (b'0'..=b'7').contains(c)) {
        let mut o = b"0o".to_vec();
        o.extend_from_slice(int);
        out.extend_from_slice(int);
        out.push(b' ');
        if neg {
            out.push(b'-');
        }
        out.extend(number_value(&o)?);
        return Some(out);
    }
    let plain_json = !tok.starts_with(b"+")
        && clean.len() == digits.len()
        && !int.is_empty()
        && zeros == 0
        && (!mant.contains(&b'.') || !frac.is_empty());
    if plain_json {
        return None;
    }
    if int.is_empty() {
        out.push(b'0');
    }
    out.extend_from_slice(int);
    if !frac.is_empty() {
        out.push(b'.');
        out.extend_from_slice(frac);
    }
    if let Some(e) = exp {
        out.push(b'e');
        out.extend_from_slice(e);
    }
    Some(out)
}

/// The number tokens of a document that is not JSON but that a JSON5 or
/// JavaScript receiver reads (unquoted keys, single quotes, comments,
/// trailing commas): every number in a value's place (after `:`, `[` or
/// `,`), outside strings and comments, as `(start, end)`. The text
/// reading of such a body reads them as written; the caller reads their
/// values ([`number_value`]).
pub fn number_tokens(body: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut last = 0u8;
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        match c {
            b'"' | b'\'' => {
                i += 1;
                while i < body.len() && body[i] != c {
                    i += if body[i] == b'\\' { 2 } else { 1 };
                }
                last = c;
                i += 1;
                continue;
            }
            b'/' if body.get(i + 1) == Some(&b'/') => {
                i = memchr::memchr(b'\n', &body[i..]).map_or(body.len(), |k| i + k);
                continue;
            }
            b'/' if body.get(i + 1) == Some(&b'*') => {
                i = memchr::memmem::find(&body[i + 2..], b"*/").map_or(body.len(), |k| i + 2 + k + 2);
                continue;
            }
            b' ' | b'\t' | b'\n' | b'\r' => {}
            b'-' | b'+' | b'.' | b'0'..=b'9' | b'I' | b'N' if matches!(last, b':' | b'[' | b',') => {
                let plain = || {
                    let n = body[i..]
                        .iter()
                        .take_while(|c| matches!(c, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'));
                    let end = i + n.count();
                    body[i..end].iter().any(u8::is_ascii_digit).then_some(end)
                };
                if let Some(end) = lenient_number_end(body, i).or_else(plain) {
                    let mut k = end;
                    while body.get(k).is_some_and(|b| b.is_ascii_whitespace()) {
                        k += 1;
                    }
                    // (not a key: `{0x1: 2}`)
                    if !body
                        .get(end)
                        .is_some_and(|&b| b == b'$' || b == b'_' || b.is_ascii_alphanumeric())
                        && body.get(k) != Some(&b':')
                    {
                        out.push((i, end));
                        last = b'0';
                        i = end;
                        continue;
                    }
                }
                last = c;
            }
            _ => last = c,
        }
        i += 1;
    }
    out
}

/// The values that keys classify in a document a lenient receiver reads as
/// JSON but that does not parse as JSON (Gson's default lenient reader,
/// Jackson's `ALLOW_*` features, JSON5: unquoted or single-quoted keys and
/// strings, comments, trailing commas, `=`/`=>` between a key and its
/// value, `;` between members): (start, end, class) of each string's
/// content or bare scalar, as [`crate::xmlfields::field_values`] gives for
/// XML (red team: `{lastName: 'Quispe'}` was read as text, and the key
/// that names the value as a surname was not read). Containers pass their
/// class down; `name` under `product` is no person's. A member named by a
/// sibling's value (`{name: 'surname', value: 'Quispe',}`, either order)
/// takes the class that value gives, as in JSON ([`Pairs`]; a named object
/// or array only after its name). Bounded by the body's length and a
/// nesting depth; what does not tokenise ends the reading.
pub fn lenient_field_values(
    body: &[u8],
    classify: &mut dyn FnMut(&Words) -> Option<FieldClass>,
) -> Vec<(usize, usize, FieldClass)> {
    const MAX_DEPTH: usize = 256;
    let mut out = Vec::new();
    // per open container: the class it passes down, its context, and
    // whether it is an object (whose members have keys)
    let mut stack: Vec<(Option<FieldClass>, Context, bool)> = Vec::new();
    // the class and context of the member whose value comes next
    let mut pending: Option<(Option<FieldClass>, Context)> = None;
    // its role in an entity-attribute-value record; the naming values of
    // the open objects (depth, start, end, weak, a question's text) and
    // their named scalars read before them (depth, start, end, weak, an
    // answer)
    let mut role: Option<Role> = None;
    let mut names: Vec<LenientName> = Vec::new();
    let mut named: Vec<LenientName> = Vec::new();
    let n = body.len();
    let mut i = 0;
    // the end of a token (a quoted string's closing quote + 1, or a bare word)
    let string_end = |i: usize| -> Option<usize> {
        let q = body[i];
        let mut j = i + 1;
        while j < n {
            match body[j] {
                b'\\' => j += 2,
                c if c == q => return Some(j + 1),
                _ => j += 1,
            }
        }
        None
    };
    let bare_end = |i: usize| -> usize {
        let mut j = i;
        while j < n
            && !matches!(
                body[j],
                b',' | b';' | b'}' | b']' | b':' | b'=' | b'\n' | b'\r' | b'/' | b'#'
            )
        {
            j += 1;
        }
        pos_trim_end(body, j).max(i)
    };
    // after a token, the next significant byte (comments skipped)
    let next_sig = |mut j: usize| -> Option<u8> {
        loop {
            while j < n && body[j].is_ascii_whitespace() {
                j += 1;
            }
            if body[j..].starts_with(b"//") || body[j..].starts_with(b"#") {
                j = memchr::memchr(b'\n', &body[j..]).map_or(n, |k| j + k);
            } else if body[j..].starts_with(b"/*") {
                j = memchr::memmem::find(&body[j + 2..], b"*/").map_or(n, |k| j + 2 + k + 2);
            } else {
                return body.get(j).copied();
            }
        }
    };
    while i < n {
        let c = body[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | b',' | b';' | b':' | b'=' | b'>' => i += 1,
            b'/' if body.get(i + 1) == Some(&b'/') => i = memchr::memchr(b'\n', &body[i..]).map_or(n, |k| i + k),
            b'#' => i = memchr::memchr(b'\n', &body[i..]).map_or(n, |k| i + k),
            b'/' if body.get(i + 1) == Some(&b'*') => {
                i = memchr::memmem::find(&body[i + 2..], b"*/").map_or(n, |k| i + 2 + k + 2);
            }
            b'{' | b'[' => {
                let (parent, pctx, _) = stack.last().copied().unwrap_or((None, Context::Neutral, false));
                let (mut class, ctx) = pending.take().unwrap_or((parent, pctx));
                if let Some(r @ (Role::Named(_) | Role::Answer)) = role.take() {
                    let named = (stack.len(), i, i, r == Role::Named(Strength::Weak), r == Role::Answer);
                    class = class.or(suppress(lenient_pair_class(body, &names, named, None, classify), ctx));
                }
                if stack.len() == MAX_DEPTH {
                    break;
                }
                stack.push((class, ctx, c == b'{'));
                i += 1;
            }
            b'}' | b']' => {
                let depth = stack.len();
                while let Some(&m) = named.last() {
                    if m.0 != depth {
                        break;
                    }
                    named.pop();
                    if let Some(c) = lenient_pair_class(body, &names, m, Some(&body[m.1..m.2]), classify) {
                        out.push((m.1, m.2, c));
                    }
                }
                while names.last().is_some_and(|n| n.0 == depth) {
                    names.pop();
                }
                stack.pop();
                pending = None;
                role = None;
                i += 1;
            }
            _ => {
                let quoted = matches!(c, b'"' | b'\'');
                let end = if quoted {
                    match string_end(i) {
                        Some(e) => e,
                        None => break,
                    }
                } else {
                    bare_end(i)
                };
                if end == i {
                    i += 1;
                    continue;
                }
                let (parent, pctx, in_object) = stack.last().copied().unwrap_or((None, Context::Neutral, false));
                let is_key = in_object && pending.is_none() && matches!(next_sig(end), Some(b':' | b'='));
                if is_key {
                    let raw = if quoted { &body[i + 1..end - 1] } else { &body[i..end] };
                    let key = unescape(raw);
                    let words = Words::split(&key);
                    let own = fields::context(&words);
                    let ctx = if own == Context::Neutral { pctx } else { own };
                    pending = Some((suppress(classify(&words).or(parent), ctx), ctx));
                    role = fields::pair_role(&words);
                } else {
                    let (mut class, ctx) = pending.take().unwrap_or((parent, pctx));
                    let (s, e) = if quoted { (i + 1, end - 1) } else { (i, end) };
                    let word = !quoted
                        && matches!(
                            &body[s..e],
                            b"null" | b"true" | b"false" | b"undefined" | b"NaN" | b"Infinity"
                        );
                    let depth = stack.len();
                    match role.take() {
                        Some(Role::Naming(st)) if e > s && !word => {
                            names.push((depth, s, e, st == Strength::Weak, false));
                        }
                        Some(r @ (Role::Named(_) | Role::Answer | Role::Holder))
                            if class.is_none() && e > s && !word =>
                        {
                            let weak = matches!(r, Role::Named(Strength::Weak) | Role::Holder);
                            let m = (depth, s, e, weak, r == Role::Answer);
                            match suppress(lenient_pair_class(body, &names, m, Some(&body[s..e]), classify), ctx) {
                                Some(c) => class = Some(c),
                                None => named.push(m),
                            }
                            if r == Role::Named(Strength::Weak) {
                                names.push((depth, s, e, true, true));
                            }
                        }
                        _ => {}
                    }
                    if let Some(class) = class.filter(|_| e > s && !word) {
                        out.push((s, e, class));
                    }
                }
                i = end;
            }
        }
    }
    out
}

/// A naming value or a named member of a lenient document: its object's
/// depth, its start and end, a weak role, a question's text (naming) or an
/// answer (named).
type LenientName = (usize, usize, usize, bool, bool);

/// The class the naming values `names` give the named member `m` (its
/// value `value` when a scalar) ([`Pairs::class`] for a document a
/// lenient receiver reads).
fn lenient_pair_class(
    body: &[u8],
    names: &[LenientName],
    m: LenientName,
    value: Option<&[u8]>,
    classify: &mut dyn FnMut(&Words) -> Option<FieldClass>,
) -> Option<FieldClass> {
    let (depth, at, _, weak, answer) = m;
    let from = names.iter().rposition(|n| n.0 != depth).map_or(0, |i| i + 1);
    let c = names[from..]
        .iter()
        .filter(|n| n.1 != at && (answer || !n.4))
        .find_map(|&(_, s, e, w, _)| {
            let c = fields::naming_value_class(&unescape(&body[s..e]), &mut *classify)?;
            (c.strength == Strength::Strong || !(weak || w)).then_some(c)
        })?;
    match value {
        Some(v) if fields::is_field_label(&unescape(v), c.kind, classify) => None,
        _ => Some(c),
    }
}

fn pos_trim_end(input: &[u8], mut pos: usize) -> usize {
    while pos > 0 && matches!(input[pos - 1], b' ' | b'\t' | b'\n' | b'\r') {
        pos -= 1;
    }
    pos
}

fn suppress(c: Option<FieldClass>, ctx: Context) -> Option<FieldClass> {
    match c {
        Some(f) if f.strength == Strength::Weak && ctx == Context::NonPerson => None,
        other => other,
    }
}

fn current_field(stack: &[Frame]) -> (Option<FieldClass>, Context) {
    match stack.last() {
        None => (None, Context::Neutral),
        Some(f) if f.is_obj => (f.key_class.or(f.inherited), f.ctx),
        Some(f) => (f.inherited, f.ctx),
    }
}

/// Deletes removed members and the commas that separated them, keeping
/// exactly one comma between consecutive kept members.
fn remove_members(members: &[Member], edits: &mut Edits) {
    let mut seen_kept = false;
    for m in members {
        if m.removed {
            edits.push(m.start, m.end, b"");
            if let Some(c) = m.comma_before {
                edits.push(c, c + 1, b"");
            }
        } else {
            if !seen_kept {
                if let Some(c) = m.comma_before {
                    edits.push(c, c + 1, b"");
                }
            }
            seen_kept = true;
        }
    }
}

/// The distinct keys of one document (keys repeat in every element of an
/// array of objects): each key's id, field class and context, decided once.
/// Keys are found by hash and compared byte for byte, so one key's class is
/// never another's. Bounded: past `MAX_KEYS` distinct keys (or a probe
/// sequence longer than `MAX_PROBES`, as crafted colliding keys would make)
/// a key gets no id and is classified afresh each time it occurs.
struct KeyTable {
    /// open addressing: entry index + 1, 0 = empty
    slots: [u16; KEY_SLOTS],
    entries: Vec<KeyEntry>,
    /// the decoded bytes of every entry's key
    bytes: Vec<u8>,
    /// remember nothing (`Options::reference`)
    off: bool,
    /// The key last read at each (depth, member number) ([`pred_slot`]):
    /// entry index + 1, 0 none. The objects of an array of records have
    /// their keys in the same order: the key expected there is compared
    /// with the document's bytes before any search or hash.
    pred: Vec<u32>,
    /// Members named by a sibling's value ([`Pairs`]): kept here, where
    /// every key is read.
    pairs: Pairs,
}

struct KeyEntry {
    hash: u64,
    at: u32,
    len: u32,
    class: Option<FieldClass>,
    role: Option<Role>,
    ctx: Option<Context>,
    /// the visitor said `Verdict::Clean` for this key
    clean: bool,
    /// the key's bytes hold no `"` and no `\`: written without escapes,
    /// they are the raw bytes of a string token that ends at the next byte
    raw: bool,
}

/// Depths and member numbers whose keys are predicted ([`KeyTable::pred`]).
const PRED_DEPTH: usize = 16;
const PRED_MEMBERS: usize = 32;

/// Where the key expected at `depth` (the stack's height), member
/// `member` of its object, is kept in [`KeyTable::pred`].
#[inline]
fn pred_slot(depth: usize, member: u32) -> Option<usize> {
    let m = member as usize;
    (depth < PRED_DEPTH && m < PRED_MEMBERS).then_some(depth * PRED_MEMBERS + m)
}

const KEY_SLOTS: usize = 512;
const MAX_KEYS: usize = 256;
const MAX_KEY_BYTES: usize = 16 * 1024;
const MAX_PROBES: usize = 8;

impl Default for KeyTable {
    fn default() -> Self {
        KeyTable {
            slots: [0; KEY_SLOTS],
            entries: Vec::new(),
            bytes: Vec::new(),
            off: false,
            pred: Vec::new(),
            pairs: Pairs::default(),
        }
    }
}

/// A key's field class and its role in an entity-attribute-value record.
fn class_and_role(key: &[u8], f: KeyClassifier) -> (Option<FieldClass>, Option<Role>) {
    let w = Words::split(key);
    (f(&w), fields::pair_role(&w))
}

fn fnv(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &c| {
        (h ^ c as u64).wrapping_mul(0x100_0000_01b3)
    })
}

impl KeyTable {
    /// The id, class and role of `key` (decoded bytes), classifying it when new.
    fn classify(&mut self, key: &[u8], f: KeyClassifier) -> (KeyId, Option<FieldClass>, Option<Role>) {
        if self.off {
            let (class, role) = class_and_role(key, f);
            return (None, class, role);
        }
        self.lookup(key, fnv(key), f)
    }

    fn lookup(&mut self, key: &[u8], hash: u64, f: KeyClassifier) -> (KeyId, Option<FieldClass>, Option<Role>) {
        let mut i = hash as usize & (KEY_SLOTS - 1);
        for _ in 0..MAX_PROBES {
            let slot = self.slots[i] as usize;
            if slot == 0 {
                let (class, role) = class_and_role(key, f);
                if self.entries.len() >= MAX_KEYS || self.bytes.len() + key.len() > MAX_KEY_BYTES {
                    return (None, class, role);
                }
                let id = self.entries.len();
                self.entries.push(KeyEntry {
                    hash,
                    at: self.bytes.len() as u32,
                    len: key.len() as u32,
                    class,
                    role,
                    ctx: None,
                    clean: false,
                    raw: memchr::memchr2(b'"', b'\\', key).is_none(),
                });
                self.bytes.extend_from_slice(key);
                self.slots[i] = (id + 1) as u16;
                return (Some(id as u32), class, role);
            }
            let e = &self.entries[slot - 1];
            if e.hash == hash && self.bytes[e.at as usize..(e.at + e.len) as usize] == *key {
                return (Some((slot - 1) as u32), e.class, e.role);
            }
            i = (i + 1) & (KEY_SLOTS - 1);
        }
        let (class, role) = class_and_role(key, f);
        (None, class, role)
    }

    /// The key expected at `slot` when the document has it there: a
    /// string token starting at `ks` (after its quote) whose bytes are the
    /// expected key's, then a quote. Its end (the closing quote's index),
    /// id and class: what [`scan_string`] and [`Self::classify`] give it.
    #[inline]
    fn predicted(
        &self,
        input: &[u8],
        ks: usize,
        slot: Option<usize>,
    ) -> Option<(usize, u32, Option<FieldClass>, Option<Role>)> {
        let id = self.pred.get(slot?)?.checked_sub(1)?;
        let e = self.entries.get(id as usize)?;
        let (at, len) = (e.at as usize, e.len as usize);
        let ke = ks + len;
        (e.raw && input.get(ke) == Some(&b'"') && input.get(ks..ke)? == self.bytes.get(at..at + len)?)
            .then_some((ke, id, e.class, e.role))
    }

    /// Remembers `id` as the key expected at `slot`.
    #[inline]
    fn expect(&mut self, slot: Option<usize>, id: KeyId) {
        let (Some(slot), Some(id)) = (slot, id) else {
            return;
        };
        if self.pred.len() <= slot {
            self.pred.resize((slot / PRED_MEMBERS + 1) * PRED_MEMBERS, 0);
        }
        self.pred[slot] = id + 1;
    }

    #[inline]
    fn is_clean(&self, id: KeyId) -> bool {
        id.and_then(|i| self.entries.get(i as usize)).is_some_and(|e| e.clean)
    }

    fn set_clean(&mut self, id: KeyId) {
        if let Some(e) = id.and_then(|i| self.entries.get_mut(i as usize)) {
            e.clean = true;
        }
    }

    /// The context a key gives the members beneath it.
    fn context<'k>(&mut self, id: KeyId, key: impl FnOnce() -> Cow<'k, [u8]>) -> Context {
        let Some(e) = id.and_then(|i| self.entries.get_mut(i as usize)) else {
            return fields::context(&Words::split(&key()));
        };
        *e.ctx.get_or_insert_with(|| fields::context(&Words::split(&key())))
    }
}

/// Where the next byte that starts an escape of [`crate::textcode::view`]
/// (`&`, `%`; a `\` makes a JSON string `escaped`) is, found by one
/// forward search shared by all the strings of a document.
#[derive(Default)]
struct Marks {
    /// once `searched`: `next` is the first mark at or after `from`
    searched: bool,
    from: usize,
    next: Option<usize>,
    /// say nothing (`Options::reference`)
    off: bool,
}

impl Marks {
    /// No `&` or `%` in `input[start..end]` (strings are visited in order).
    fn none_in(&mut self, input: &[u8], start: usize, end: usize) -> bool {
        if self.off {
            return false;
        }
        if !self.searched || start < self.from || self.next.is_some_and(|m| m < start) {
            self.searched = true;
            self.from = start;
            self.next = memchr::memchr2(b'&', b'%', &input[start..]).map(|i| start + i);
        }
        self.next.is_none_or(|m| m >= end)
    }
}

fn read_key(
    input: &[u8],
    pos: usize,
    stack: &mut [Frame],
    path: &mut Vec<Seg>,
    classify_key: KeyClassifier,
    keys: &mut KeyTable,
) -> Result<usize, JsonError> {
    if input.get(pos) != Some(&b'"') {
        return Err(JsonError::Syntax(pos));
    }
    let depth = stack.len();
    let member = stack.last_mut().map_or(0, |f| {
        let m = f.index;
        f.index = m.saturating_add(1);
        m
    });
    let slot = pred_slot(depth, member);
    let ks = pos + 1;
    let (ke, escaped, id, class, role) = match keys.predicted(input, ks, slot) {
        Some((ke, id, class, role)) => (ke, false, Some(id), class, role),
        None => {
            let (end, escaped) = scan_string(input, pos)?;
            let ke = end - 1;
            let (id, class, role) = keys.classify(&key_bytes(input, ks, ke, escaped), classify_key);
            keys.expect(slot, id);
            (ke, escaped, id, class, role)
        }
    };
    if let Some(f) = stack.last_mut() {
        f.member_start = pos;
        f.key_class = class;
        f.key_ctx = None;
    }
    path.push(Seg::Key {
        start: ks,
        end: ke,
        escaped,
        id,
    });
    let p = skip_ws(input, ke + 1);
    if input.get(p) != Some(&b':') {
        return Err(JsonError::Syntax(p));
    }
    let at = skip_ws(input, p + 1);
    // a member named by a sibling's value, or one naming another's
    if let Some(role) = role {
        if role != Role::DefaultFields(Strength::Weak) || in_full_text_query(input, path) {
            keys.pairs.member(input, at, role, stack, classify_key);
        }
    }
    Ok(at)
}

/// Visits the key that ends `path` (the last segment) unless it was
/// found clean before.
#[inline(always)]
fn visit_key(
    input: &[u8],
    path: &[Seg],
    keys: &mut KeyTable,
    marks: &mut Marks,
    visit: &mut Visitor,
    edits: &mut Edits,
) {
    if let Some(&Seg::Key { id, .. }) = path.last() {
        if keys.is_clean(id) {
            return;
        }
    }
    visit_new_key(input, path, keys, marks, visit, edits)
}

/// [`visit_key`] for a key not found clean before.
fn visit_new_key(
    input: &[u8],
    path: &[Seg],
    keys: &mut KeyTable,
    marks: &mut Marks,
    visit: &mut Visitor,
    edits: &mut Edits,
) {
    let Some(&Seg::Key {
        start,
        end,
        escaped,
        id,
    }) = path.last()
    else {
        return;
    };
    if keys.is_clean(id) {
        return;
    }
    let v = Visit {
        input,
        path,
        field: None,
        plain: !escaped && marks.none_in(input, start, end),
        lenient: false,
        start,
    };
    let mark = edits.buf.len();
    match visit(
        &v,
        Scalar::Key(key_bytes(input, start, end, escaped), id),
        &mut edits.buf,
    ) {
        // the key token, quotes included
        Verdict::Written => edits.list.push(Edit {
            start: start - 1,
            end: end + 1,
            rep: mark..edits.buf.len(),
        }),
        Verdict::Replace(r) => {
            edits.buf.truncate(mark);
            edits.push(start - 1, end + 1, &r);
        }
        Verdict::Clean => {
            edits.buf.truncate(mark);
            keys.set_clean(id)
        }
        Verdict::Keep | Verdict::Remove => edits.buf.truncate(mark),
    }
}

#[inline]
fn skip_ws(input: &[u8], mut pos: usize) -> usize {
    while pos < input.len() && matches!(input[pos], b' ' | b'\t' | b'\n' | b'\r') {
        pos += 1;
    }
    pos
}

/// Bytes of a string looked at a word at a time before a vector search.
const SHORT: usize = 32;

/// The index of the first `"` or `\` byte in the little-endian word `w`.
#[inline]
fn quote_or_backslash(w: u64) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // a zero byte of `x` sets its high bit here; bits above the first zero
    // byte may be wrong (borrows), the lowest set bit is exact
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let m = zero(w ^ (ONES * b'"' as u64)) | zero(w ^ (ONES * b'\\' as u64));
    (m != 0).then(|| (m.trailing_zeros() / 8) as usize)
}

/// Returns (index after the closing quote, had escapes).
fn scan_string(input: &[u8], start: usize) -> Result<(usize, bool), JsonError> {
    let mut pos = start + 1;
    let mut escaped = false;
    // Most keys and values are short: their first bytes are looked at
    // eight at a time in a word, which costs less than a vector search.
    let short = (pos + SHORT).min(input.len());
    while pos + 8 <= short {
        let mut w = [0u8; 8];
        w.copy_from_slice(&input[pos..pos + 8]);
        match quote_or_backslash(u64::from_le_bytes(w)) {
            Some(i) if input[pos + i] == b'"' => return Ok((pos + i + 1, false)),
            Some(i) => {
                pos += i;
                break;
            }
            None => pos += 8,
        }
    }
    loop {
        match memchr::memchr2(b'"', b'\\', &input[pos.min(input.len())..]) {
            None => return Err(JsonError::Syntax(start)),
            Some(i) => {
                let p = pos + i;
                if input[p] == b'"' {
                    return Ok((p + 1, escaped));
                }
                escaped = true;
                pos = p + 2;
                if pos > input.len() {
                    return Err(JsonError::Syntax(start));
                }
            }
        }
    }
}

fn hex4(b: &[u8]) -> Option<u32> {
    if b.len() < 4 {
        return None;
    }
    let mut v = 0u32;
    for &c in &b[..4] {
        v = v * 16 + (c as char).to_digit(16)?;
    }
    Some(v)
}

/// Decodes JSON string escapes (lone surrogates become U+FFFD).
pub fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        if c != b'\\' || i + 1 >= raw.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let e = raw[i + 1];
        i += 2;
        let simple = match e {
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            b'/' => Some(b'/'),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            _ => None,
        };
        if let Some(s) = simple {
            out.push(s);
            continue;
        }
        if e != b'u' {
            out.push(e);
            continue;
        }
        let Some(hi) = hex4(&raw[i..]) else {
            out.extend_from_slice("\u{FFFD}".as_bytes());
            continue;
        };
        i += 4;
        let cp = if (0xD800..0xDC00).contains(&hi) {
            match (raw.get(i..i + 2), hex4(raw.get(i + 2..).unwrap_or(b""))) {
                (Some(b"\\u"), Some(lo)) if (0xDC00..0xE000).contains(&lo) => {
                    i += 6;
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                }
                _ => 0xFFFD,
            }
        } else if (0xDC00..0xE000).contains(&hi) {
            0xFFFD
        } else {
            hi
        };
        let ch = char::from_u32(cp).unwrap_or('\u{FFFD}');
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
    }
    out
}

/// Encodes bytes as a JSON string literal (with quotes). Invalid UTF-8 is
/// replaced so that the output is always valid JSON.
pub fn quote(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    quote_into(s, &mut out);
    out
}

/// [`quote`] appended to `out`.
pub fn quote_into(s: &[u8], out: &mut Vec<u8>) {
    if s.iter().all(|&c| (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\') {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s);
        out.push(b'"');
        return;
    }
    let s = String::from_utf8_lossy(s);
    out.reserve(s.len() + 2);
    out.push(b'"');
    for ch in s.chars() {
        match ch {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 => out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes()),
            c => {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_fields(_: &Words) -> Option<FieldClass> {
        None
    }

    fn run(input: &str, f: &mut dyn FnMut(&Visit, Scalar) -> Verdict) -> Result<Option<String>, JsonError> {
        let opts = Options {
            max_depth: 64,
            track_members: true,
            keys: false,
            reference: false,
        };
        rewrite(input.as_bytes(), &opts, &no_fields, &mut |v, s, _| f(v, s))
            .map(|o| o.map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Replacements written into the shared buffer splice exactly as
    /// `Replace` does; bytes a visitor wrote and then kept, removed or
    /// cleaned are dropped; removed members still take their commas.
    #[test]
    fn written_replacements_splice_like_owned_ones() {
        let doc = r#"{"a":"x","k":{"b":"y","c":[1,"x",{"x":"d"}]},"d":"drop","e":"y","f":2,"g":["drop","y"]}"#;
        let verdict = |s: &Scalar| match s {
            Scalar::Str(c) if &**c == b"x" => Some(quote(b"[X]")),
            Scalar::Str(c) if &**c == b"y" => Some(quote(b"\"y\"")),
            Scalar::Key(k, _) if &**k == b"x" => Some(quote(b"[KEY]")),
            _ => None,
        };
        for keys in [false, true] {
            let opts = Options {
                max_depth: 64,
                track_members: true,
                keys,
                reference: false,
            };
            let mut owned = |_: &Visit, s: Scalar, _: &mut Vec<u8>| match (&s, verdict(&s)) {
                (_, Some(r)) => Verdict::Replace(r),
                (Scalar::Str(c), None) if &**c == b"drop" => Verdict::Remove,
                _ => Verdict::Keep,
            };
            let want = rewrite(doc.as_bytes(), &opts, &no_fields, &mut owned).unwrap().unwrap();
            let mut written = |_: &Visit, s: Scalar, buf: &mut Vec<u8>| {
                let r = verdict(&s);
                match (&s, r) {
                    (_, Some(r)) => {
                        buf.extend_from_slice(&r);
                        Verdict::Written
                    }
                    (Scalar::Str(c), None) if &**c == b"drop" => {
                        buf.extend_from_slice(b"junk");
                        Verdict::Remove
                    }
                    _ => {
                        buf.extend_from_slice(b"junk");
                        Verdict::Keep
                    }
                }
            };
            let got = rewrite(doc.as_bytes(), &opts, &no_fields, &mut written)
                .unwrap()
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&want));
            assert!(!got.windows(4).any(|w| w == b"junk"));
            let v: serde_json::Value = serde_json::from_slice(&got).unwrap();
            assert_eq!(v["a"], "[X]");
            assert_eq!(v["e"], "\"y\"");
            assert!(v.get("d").is_none());
            assert_eq!(v["g"], serde_json::json!(["\"y\""]));
            assert_eq!(keys, v["k"]["c"][2].get("[KEY]").is_some());
        }
    }

    #[test]
    fn visits_paths_and_values() {
        let mut seen = Vec::new();
        let r = run(
            r#"{"a":{"b":[1,"x\u0041",{"c":true}]},"d":"e","d":"f"}"#,
            &mut |v, s| {
                let val = match s {
                    Scalar::Str(c) => String::from_utf8_lossy(&c).into_owned(),
                    Scalar::Num(n) => String::from_utf8_lossy(n).into_owned(),
                    Scalar::Key(k, _) => String::from_utf8_lossy(&k).into_owned(),
                };
                seen.push((v.render_path(false), val));
                Verdict::Keep
            },
        );
        assert_eq!(r, Ok(None));
        let want = [("$.a.b[0]", "1"), ("$.a.b[1]", "xA"), ("$.d", "e"), ("$.d", "f")];
        assert_eq!(seen, want.map(|(a, b)| (a.to_string(), b.to_string())));
    }

    #[test]
    fn replace_and_remove_keep_valid_json() {
        let input = r#"{ "keep": 1, "drop": "x", "arr": ["a", "drop", "b"], "last": "drop" }"#;
        let out = run(input, &mut |_, s| match s {
            Scalar::Str(c) if &*c == b"drop" || &*c == b"x" => Verdict::Remove,
            Scalar::Str(c) if &*c == b"a" => Verdict::Replace(quote(b"A\"")),
            _ => Verdict::Keep,
        });
        let out = match out {
            Ok(Some(o)) => o,
            other => panic!("{other:?}"),
        };
        let v: serde_json::Value = match serde_json::from_str(&out) {
            Ok(v) => v,
            Err(e) => panic!("{e}: {out}"),
        };
        assert_eq!(v, serde_json::json!({"keep":1,"arr":["A\"","b"]}));
    }

    #[test]
    fn remove_every_member() {
        let out = run(r#"{"a":"x","b":"x"}"#, &mut |_, _| Verdict::Remove);
        assert_eq!(out, Ok(Some("{}".to_string())));
        let out = run(r#"["x","x",1]"#, &mut |_, s| {
            if matches!(s, Scalar::Str(_)) {
                Verdict::Remove
            } else {
                Verdict::Keep
            }
        });
        assert_eq!(out, Ok(Some("[1]".to_string())));
    }

    #[test]
    fn depth_limit_and_syntax_errors() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert_eq!(run(&deep, &mut |_, _| Verdict::Keep), Err(JsonError::TooDeep));
        for bad in ["{", "[1,", r#"{"a" 1}"#, r#"{"a":1}x"#, "\"abc", "tru", ""] {
            assert!(
                matches!(run(bad, &mut |_, _| Verdict::Keep), Err(JsonError::Syntax(_))),
                "{bad}"
            );
        }
    }

    /// The word-at-a-time start of `scan_string` finds what a byte-by-byte
    /// search finds, wherever the quote or backslash falls.
    #[test]
    fn scan_string_agrees_with_a_byte_search() {
        fn reference(input: &[u8], start: usize) -> Result<(usize, bool), JsonError> {
            let mut escaped = false;
            let mut p = start + 1;
            while p < input.len() {
                match input[p] {
                    b'"' => return Ok((p + 1, escaped)),
                    b'\\' => {
                        escaped = true;
                        p += 2;
                    }
                    _ => p += 1,
                }
            }
            Err(JsonError::Syntax(start))
        }
        let alphabet = [b'"', b'\\', b'a', 0x80, 0xff, 0x22 ^ 0x80, 0x5c ^ 0x01, 0x00, b'u'];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = 1 + (x % 48) as usize;
            let mut input = vec![b'"'];
            let mut y = x;
            for _ in 0..len {
                y = y.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                // mostly plain bytes, sometimes a quote or a backslash
                let c = if (y >> 60) < 3 {
                    alphabet[(y >> 33) as usize % alphabet.len()]
                } else {
                    b'a' + (y >> 40) as u8 % 26
                };
                input.push(c);
            }
            assert_eq!(scan_string(&input, 0), reference(&input, 0), "{input:?}");
        }
        for i in 0..40 {
            let mut input = vec![b'"'];
            input.extend(std::iter::repeat_n(b'x', i));
            input.extend_from_slice(b"\\\"y\"");
            assert_eq!(scan_string(&input, 0), Ok((input.len(), true)), "{i}");
            assert_eq!(quote_or_backslash(u64::from_le_bytes(*b"ab\"c\\\\de")), Some(2));
        }
    }

    /// One key's class is never another's: with every key hashing alike,
    /// the table still tells keys apart by their bytes.
    #[test]
    fn key_table_compares_bytes_not_hashes() {
        let class = |w: &Words| -> Option<FieldClass> {
            (w.joined() == b"email").then_some(FieldClass {
                kind: crate::fields::FieldKind::Email,
                strength: Strength::Strong,
            })
        };
        let mut t = KeyTable::default();
        let keys: [&[u8]; 6] = [b"id", b"email", b"sku", b"e-mail", b"email", b"id"];
        let mut ids = Vec::new();
        for k in keys {
            // every key in the same slot, with the same hash
            let (id, c, _) = t.lookup(k, 7, &class);
            assert_eq!(c, class(&Words::split(k)), "{}", String::from_utf8_lossy(k));
            ids.push(id);
        }
        assert_eq!(ids[1], ids[4]);
        assert_eq!(ids[0], ids[5]);
        let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), 4, "{ids:?}");
        // "e-mail" reads as the word sequence e, mail: not the "email" entry
        assert_ne!(ids[3], ids[1]);
        // the probe sequence is bounded: more colliding keys get no id, and
        // are still classified
        for i in 0..20 {
            let k = format!("k{i}");
            let (id, c, _) = t.lookup(k.as_bytes(), 7, &class);
            assert_eq!(c, None);
            if i >= MAX_PROBES {
                assert_eq!(id, None);
            }
        }
        assert_eq!(t.lookup(b"email", 7, &class).1, class(&Words::split(b"email")));
    }

    /// The walk with its key table and escape marks visits the same scalars
    /// with the same field classes as the walk that remembers nothing; equal
    /// key ids mean equal keys, and a `plain` scalar has nothing to decode.
    #[test]
    fn remembered_keys_and_marks_agree_with_the_reference_walk() {
        let docs = [
            r#"{"items":[{"name":"a","firstName":"b","product":{"name":"x"}},{"name":"c","firstName":"d","product":{"name":"y"}}]}"#,
            r#"[{"e\u006dail":"a%40b.c","email":"x&#64;y"},{"email":"p","e\u006dail":"q"}]"#,
            r#"{"a":{"name":"n"},"customer":{"name":"n"},"a":{"name":"m"},"customer":{"name":"m"}}"#,
            r#"{"k%":"&","k":"%","k&":"\\","\\":1}"#,
        ];
        let mut all: Vec<String> = docs.iter().map(|d| d.to_string()).collect();
        // more distinct keys than the table holds
        let mut big = String::from("[");
        for i in 0..600 {
            big.push_str(&format!(
                r#"{{"name{}":"v","lastName":"w","k{i}":{{"name":"z"}}}},"#,
                i % 300
            ));
        }
        big.push_str("{}]");
        all.push(big);
        for doc in &all {
            walks_agree(doc.as_bytes());
        }
    }

    /// The walk with its key table, expected keys and escape marks against
    /// the walk that remembers nothing ([`Options::reference`]): the same
    /// result (a syntax error at the same place), the same scalars with the
    /// same paths and field classes; equal key ids mean equal keys, and a
    /// `plain` scalar has nothing to decode.
    fn walks_agree(doc: &[u8]) {
        let classify = |w: &Words| crate::fields::classify(w);
        let walk = |reference: bool| {
            let opts = Options {
                max_depth: 64,
                track_members: false,
                keys: true,
                reference,
            };
            let mut seen = Vec::new();
            let mut ids: Vec<(KeyId, Vec<u8>)> = Vec::new();
            let r = rewrite(doc, &opts, &classify, &mut |v, s, _| {
                let val = match &s {
                    Scalar::Str(c) => c.to_vec(),
                    Scalar::Num(n) => n.to_vec(),
                    Scalar::Key(k, id) => {
                        ids.push((*id, k.to_vec()));
                        k.to_vec()
                    }
                };
                if v.plain {
                    assert!(crate::textcode::view(&val, false).is_none(), "{val:?}");
                }
                seen.push((v.render_path(false), val, v.field, v.start));
                Verdict::Keep
            });
            (r, seen, ids)
        };
        let (r, fast, ids) = walk(false);
        let (ref_r, slow, ref_ids) = walk(true);
        let doc = String::from_utf8_lossy(doc);
        assert_eq!(r, ref_r, "{doc}");
        assert_eq!(fast, slow, "{doc}");
        assert!(ref_ids.iter().all(|(id, _)| id.is_none()));
        for (a, ka) in &ids {
            for (b, kb) in &ids {
                if a.is_some() && a == b {
                    assert_eq!(ka, kb);
                }
                if a.is_some() && b.is_some() && ka == kb {
                    assert_eq!(a, b);
                }
            }
        }
    }

    /// Keys read where a key was expected ([`KeyTable::predicted`]): a key
    /// that starts like the expected one, extends it, is written with
    /// escapes, holds a quote or a backslash (decoded), or is followed by
    /// white space is read as the walk without expectations reads it;
    /// invalid JSON that only an expected key would "close" stays invalid.
    #[test]
    fn expected_keys_agree_with_the_reference_walk() {
        for doc in [
            r#"[{"name":1},{"namex":2},{"nam":3},{"name" :4},{"name":5}]"#,
            r#"[{"a\"b":1},{"a"b":1}]"#,
            r#"[{"a\\":1},{"a\":1}]"#,
            r#"[{"a\\":1},{"a\\":2},{"a\":1}]"#,
            r#"[{"e\u006dail":"x"},{"email":"y"},{"e\u006dail":"z"}]"#,
            r#"[{"k":{"k":{"k":1}}},{"k":{"k":{"j":1}}},{"k":{"k":{"k":"v"}}}]"#,
            r#"[{"a":1,"b":2},{"b":1,"a":2},{"a":1,"a":2,"b":3}]"#,
            r#"[{"name":1},{"name"#,
            r#"[{"name":1},{"name"}]"#,
        ] {
            walks_agree(doc.as_bytes());
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Arrays of records whose keys (from a pool of keys that share
        /// prefixes, need escapes or are written with them, and are not
        /// always valid JSON) repeat, in the same or another order, at
        /// several depths: the same reading as without expected keys.
        #[test]
        fn expected_keys_agree_on_generated_records(
            recs in proptest::collection::vec(proptest::collection::vec((0..14usize, 0..6usize, 0..4usize), 0..7), 1..8)
        ) {
            const KEYS: &[&str] = &[
                "name", "na", "name2", "email", "e\\u006dail", "a\\\"b", "a\"b", "a\\\\", "a\\",
                "firstName", "first\\u004eame", "x y", "", "k",
            ];
            const VALS: &[&str] = &["1", "\"v\"", "\"4111\"", "{\"name\":2,\"k\":\"x\"}", "[{\"na\":1},{\"na\":2}]", "null"];
            const WS: &[&str] = &["", " ", "\n", "\t "];
            let mut doc = String::from("[");
            for (i, rec) in recs.iter().enumerate() {
                if i > 0 {
                    doc.push(',');
                }
                doc.push('{');
                for (j, &(k, v, w)) in rec.iter().enumerate() {
                    if j > 0 {
                        doc.push(',');
                    }
                    doc.push('"');
                    doc.push_str(KEYS[k]);
                    doc.push('"');
                    doc.push_str(WS[w]);
                    doc.push(':');
                    doc.push_str(VALS[v]);
                }
                doc.push('}');
            }
            doc.push(']');
            walks_agree(doc.as_bytes());
        }
    }

    /// Non-JSON number spellings a lenient receiver reads are read as the
    /// value it stores; plain JSON numbers and non-numbers are not.
    #[test]
    fn lenient_numbers_read_as_their_value() {
        let v = |t: &str| number_value(t.as_bytes()).map(|v| String::from_utf8_lossy(&v).into_owned());
        for (t, want) in [
            ("0xe9b08a568f1c7", "4111111111111111"),
            ("0XE9B08A568F1C7", "4111111111111111"),
            ("0x0_e9b0_8a56_8f1c7", "4111111111111111"),
            ("-0xff", "-255"),
            ("0189", "189"),
            ("0004012888888881881", "4012888888881881"),
            ("-00189.5", "-189.5"),
            ("00", "0 0"),
            ("+0x10", "16"),
            ("0o164660424532170707", "4111111111111111"),
            (
                "0b1110100110110000100010100101011010001111000111000111",
                "4111111111111111",
            ),
            ("4111_1111_1111_1111", "4111111111111111"),
            ("+4111111111111111", "4111111111111111"),
            (".5", "0.5"),
            ("-.5", "-0.5"),
            ("5.", "5"),
            ("+4.111111111111111e15", "4.111111111111111e15"),
            ("0164660424532170707", "164660424532170707 4111111111111111"),
            ("04111111111111111", "4111111111111111 145763827225161"),
            ("-0755", "-755 -493"),
            (
                "0xffffffffffffffffffffffffffffffffffffffff",
                "1461501637330902918203684832716283019655932542975",
            ),
        ] {
            assert_eq!(v(t).as_deref(), Some(want), "{t}");
        }
        for t in [
            "0", "12", "-3", "1.5", "1e5", "-2.5E+4", "0.5", "0e5", "Infinity", "NaN", "0x", "0xg1", "0b102", "0o8",
            "1__0", "_1", "1_", "0x_1", "1.2.3", "abc", "1e", "+", ".",
        ] {
            assert_eq!(v(t), None, "{t}");
        }
    }

    /// A body with lenient numbers parses (each is visited as a number);
    /// junk in a value's place is still a syntax error.
    #[test]
    fn lenient_numbers_parse() {
        let mut nums = Vec::new();
        let doc = r#"{"a": 0xe9b08a568f1c7, "b": [+1, .5, 5., 1_000, 0o17, 0B101, Infinity, -Infinity, NaN, -0x1F, 0755, -.5], "c": [2, -0, 0.5, 1e5, -2.5E+4, 10]}"#;
        run(doc, &mut |v, s| {
            if let Scalar::Num(n) = s {
                nums.push((String::from_utf8_lossy(n).into_owned(), v.lenient));
            }
            Verdict::Keep
        })
        .unwrap();
        let (toks, lenient): (Vec<String>, Vec<bool>) = nums.into_iter().unzip();
        assert_eq!(
            toks,
            [
                "0xe9b08a568f1c7",
                "+1",
                ".5",
                "5.",
                "1_000",
                "0o17",
                "0B101",
                "Infinity",
                "-Infinity",
                "NaN",
                "-0x1F",
                "0755",
                "-.5",
                "2",
                "-0",
                "0.5",
                "1e5",
                "-2.5E+4",
                "10"
            ]
        );
        assert_eq!(lenient.iter().filter(|&&l| l).count(), 13, "{lenient:?}");
        assert!(lenient[..13].iter().all(|&l| l));
        for bad in [
            r#"{"a": 0xZZ}"#,
            r#"{"a": Nope}"#,
            r#"{"a": 12abc}"#,
            r#"{"a": 1_}"#,
            r#"{"a": +}"#,
            r#"{"a": Infinityx}"#,
        ] {
            assert!(run(bad, &mut |_, _| Verdict::Keep).is_err(), "{bad}");
        }
    }

    /// The numbers of a JSON5 document are found in values' places only,
    /// never in strings, comments or keys.
    #[test]
    fn number_tokens_of_a_json5_document() {
        let doc = "{ref: 0xe9b08a568f1c7, 'a': [+1, 2, .5], /* x: 0x1 */ b: 'c: 0x2', // d: 0x3\n e: -Infinity, 0x4: 5, f: 1e5,}";
        let toks: Vec<&str> = number_tokens(doc.as_bytes())
            .into_iter()
            .map(|(s, e)| &doc[s..e])
            .collect();
        assert_eq!(toks, ["0xe9b08a568f1c7", "+1", "2", ".5", "-Infinity", "5", "1e5"]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// The parser's `lenient` flag is exact: every number whose value
        /// [`number_value`] reads is flagged (only flagged ones are read).
        #[test]
        fn lenient_flag_covers_every_lenient_number(parts in proptest::collection::vec(0..16usize, 1..8)) {
            const P: &[&str] = &["0", "1", "7", "9", "-", "+", ".", "e", "E", "x", "o", "b", "_", "f", "Infinity", "NaN"];
            let tok: String = parts.iter().map(|&i| P[i]).collect();
            let doc = format!("[{tok}]");
            let mut seen = Vec::new();
            let r = run(&doc, &mut |v, s| {
                if let Scalar::Num(n) = s {
                    seen.push((n.to_vec(), v.lenient));
                }
                Verdict::Keep
            });
            if r.is_ok() {
                for (n, lenient) in seen {
                    proptest::prop_assert!(lenient || number_value(&n).is_none(), "{:?}", tok);
                }
            }
        }
    }

    /// Keys of a document a lenient receiver reads name their values: the
    /// spans are the strings' contents (or bare scalars), containers pass
    /// their class down, `name` under `product` is no person's.
    #[test]
    fn lenient_field_values_by_their_keys() {
        let doc = "// c\n{order: 7, lastName: 'Qui\\'spe', /* x */ \"dob\" = 19700102; product: {name: 'Kettle'},\n billingAddress: {line1: \"Luna 12\", zip: null}, tags: ['a',],}";
        let mut classify = |w: &Words| fields::classify(w);
        let got: Vec<&str> = lenient_field_values(doc.as_bytes(), &mut classify)
            .iter()
            .map(|&(s, e, _)| &doc[s..e])
            .collect();
        assert_eq!(got, ["Qui\\'spe", "19700102", "Luna 12"], "{doc}");
        // unterminated strings and junk end the reading without a panic
        for junk in ["{a: 'x", "{lastName: \"Quispe", "}}]]::==", "{/*", "[{//", "'", ""] {
            let _ = lenient_field_values(junk.as_bytes(), &mut classify);
        }
    }

    #[test]
    fn lenient_records_name_their_values() {
        let mut classify = |w: &Words| fields::classify(w);
        let mut got = |doc: &str| -> Vec<String> {
            let mut v: Vec<(usize, usize)> = lenient_field_values(doc.as_bytes(), &mut classify)
                .iter()
                .map(|&(s, e, _)| (s, e))
                .collect();
            v.sort_unstable();
            v.into_iter().map(|(s, e)| doc[s..e].to_string()).collect()
        };
        assert_eq!(got("{key: 'lastName', value: 'Quispe',}"), ["Quispe"]);
        // the value before its name, a comment between
        assert_eq!(got("{'value': 'Quispe', /* c */ 'property': 'lastname',}"), ["Quispe"]);
        // records in an array; a named array after its name
        assert_eq!(
            got("{f: [{field: 'color', value: 'red'}, {field: 'date_of_birth', value: 19700102},],}"),
            ["19700102"]
        );
        assert_eq!(
            got("{key: 'surname', values: ['Quispe', 'Mamani']}"),
            ["Quispe", "Mamani"]
        );
        // clean records, a label of its own field, a weak class by a weak key
        assert!(got("{key: 'color', value: 'red'}").is_empty());
        assert!(got("{key: 'label.surname', value: 'Surname'}").is_empty());
        assert!(got("{type: 'city', data: 'Lima'}").is_empty());
    }

    #[test]
    fn unescape_surrogates() {
        assert_eq!(unescape(br"\ud83d\ude00 \u00e9 \ud800x"), "😀 é \u{FFFD}x".as_bytes());
        assert_eq!(quote("a\"\\\n\u{1}".as_bytes()), br#""a\"\\\n\u0001""#.to_vec());
    }
}
