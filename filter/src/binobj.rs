//! Self-describing binary documents a client can send in place of JSON:
//! MessagePack (`application/msgpack`, `application/x-msgpack`,
//! `application/vnd.msgpack`, `+msgpack`) and CBOR (`application/cbor`,
//! `+cbor`, RFC 8949). Read as bytes, their text strings are found but
//! their integers are not (a card sent as a `uint 64` is eight binary
//! bytes), and a map's key is not next to its value as a JSON key is. So
//! each document is walked as its receiver decodes it: every text string,
//! byte string and integer (and a float with an integral value, and a CBOR
//! bignum) is a value, named by the key of the map it sits in (an array
//! passes its key on to its items); map keys are values too. The keys of
//! the maps around a value name it as enclosing JSON keys do (`surname:
//! {value: X}`, `product: {name: X}`).
//!
//! The walker copies the document byte for byte, except for the values the
//! callback replaces: a replaced value is written as a text string of the
//! replacement's length (an integer becomes a string), so the document
//! stays well formed. Several documents in a row (a MessagePack stream, a
//! CBOR sequence) are read one after the other.

/// The two formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    MsgPack,
    Cbor,
}

impl Kind {
    /// The name used in locations and uninspectable reasons.
    pub fn name(self) -> &'static str {
        match self {
            Kind::MsgPack => "msgpack",
            Kind::Cbor => "cbor",
        }
    }
}

/// The format a media type (lowercased, without parameters) names.
pub fn kind_of(media: &str) -> Option<Kind> {
    match media {
        "application/msgpack" | "application/x-msgpack" | "application/vnd.msgpack" => Some(Kind::MsgPack),
        "application/cbor" | "application/cbor-seq" => Some(Kind::Cbor),
        m if m.ends_with("+msgpack") => Some(Kind::MsgPack),
        m if m.ends_with("+cbor") || m.ends_with("+cbor-seq") => Some(Kind::Cbor),
        _ => None,
    }
}

/// Why a document could not be walked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Not a document of the kind (cut short, a reserved byte, ...): its
    /// receiver refuses it too.
    Invalid,
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// Containers (maps, arrays, CBOR tags) nested deeper than this are not
/// walked (a JSON body has the same kind of bound).
pub const MAX_DEPTH: usize = 64;

/// One value, as its receiver reads it.
pub struct Leaf<'a> {
    /// The text: a string's bytes, an integer in decimal.
    pub text: &'a [u8],
    /// The key of the map the value sits in (through arrays), when that
    /// key is a text string.
    pub key: Option<&'a [u8]>,
    /// Whether the value is itself a map key.
    pub is_key: bool,
    /// The text keys that name the maps around the value, outermost first
    /// (a map's own key, or its array's): they name what is inside as JSON
    /// keys do (`surname: {value: X}`, `product: {name: X}`).
    pub parents: &'a [Vec<u8>],
}

/// Walks `doc` as `kind`; `f` sees every value and returns its replacement.
/// `Ok(None)`: nothing replaced; `Ok(Some(doc))`: the rewritten document.
pub fn rewrite(
    kind: Kind,
    doc: &[u8],
    f: &mut dyn FnMut(&Leaf<'_>) -> Option<Vec<u8>>,
) -> Result<Option<Vec<u8>>, Error> {
    let mut w = Walker {
        kind,
        doc,
        pos: 0,
        out: Vec::new(),
        copied: 0,
        changed: false,
        parents: Vec::new(),
    };
    if doc.is_empty() {
        return Err(Error::Invalid);
    }
    while w.pos < doc.len() {
        w.item(None, false, 0, f)?;
    }
    if !w.changed {
        return Ok(None);
    }
    w.out.extend_from_slice(&doc[w.copied..]);
    Ok(Some(w.out))
}

struct Walker<'a> {
    kind: Kind,
    doc: &'a [u8],
    pos: usize,
    /// The rewritten document up to `copied` of `doc`.
    out: Vec<u8>,
    copied: usize,
    changed: bool,
    /// The keys of the maps being walked ([`Leaf::parents`]).
    parents: Vec<Vec<u8>>,
}

/// What one item's head says.
enum Head {
    /// A value with its text (`Text`: a string's bytes at a range of `doc`).
    Text(usize, usize),
    Number(u64, bool),
    Float(f64),
    /// A definite map of n pairs or array of n items.
    Map(u64),
    Array(u64),
    /// CBOR: an indefinite map or array (ends at a break), a string in
    /// chunks, a tag and its item.
    MapOpen,
    ArrayOpen,
    Chunks(u8),
    Tag(u64),
    /// Anything else (nil, booleans, MessagePack extensions, simple values).
    Other,
}

impl<'a> Walker<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(n).ok_or(Error::Invalid)?;
        let s = self.doc.get(self.pos..end).ok_or(Error::Invalid)?;
        self.pos = end;
        Ok(s)
    }

    fn uint(&mut self, n: usize) -> Result<u64, Error> {
        Ok(self.take(n)?.iter().fold(0u64, |a, &b| a << 8 | u64::from(b)))
    }

    fn len(&mut self, n: usize) -> Result<usize, Error> {
        usize::try_from(self.uint(n)?).map_err(|_| Error::Invalid)
    }

    fn text(&mut self, n: usize) -> Result<Head, Error> {
        let start = self.pos;
        self.take(n)?;
        Ok(Head::Text(start, self.pos))
    }

    fn msgpack_head(&mut self) -> Result<Head, Error> {
        let b = self.take(1)?[0];
        Ok(match b {
            0x00..=0x7f => Head::Number(u64::from(b), false),
            0xe0..=0xff => Head::Number(u64::from(b.wrapping_neg()), true),
            0x80..=0x8f => Head::Map(u64::from(b & 0x0f)),
            0x90..=0x9f => Head::Array(u64::from(b & 0x0f)),
            0xa0..=0xbf => return self.text(usize::from(b & 0x1f)),
            0xc0 | 0xc2 | 0xc3 => Head::Other,
            0xc1 => return Err(Error::Invalid),
            0xc4..=0xc6 => {
                let n = self.len(1 << (b - 0xc4))?;
                return self.text(n);
            }
            0xc7..=0xc9 => {
                let n = self.len(1 << (b - 0xc7))?;
                self.take(1 + n)?;
                Head::Other
            }
            0xca => Head::Float(f64::from(f32::from_bits(self.uint(4)? as u32))),
            0xcb => Head::Float(f64::from_bits(self.uint(8)?)),
            0xcc..=0xcf => Head::Number(self.uint(1 << (b - 0xcc))?, false),
            0xd0..=0xd3 => {
                let n = 1 << (b - 0xd0);
                let raw = self.uint(n)?;
                let v = (raw << (64 - 8 * n)) as i64 >> (64 - 8 * n);
                Head::Number(v.unsigned_abs(), v < 0)
            }
            0xd4..=0xd8 => {
                self.take(1 + (1 << (b - 0xd4)))?;
                Head::Other
            }
            0xd9..=0xdb => {
                let n = self.len(1 << (b - 0xd9))?;
                return self.text(n);
            }
            0xdc | 0xdd => Head::Array(self.uint(2 << (b - 0xdc))?),
            0xde | 0xdf => Head::Map(self.uint(2 << (b - 0xde))?),
        })
    }

    /// A CBOR head's argument (`Ok(None)`: indefinite).
    fn cbor_arg(&mut self, info: u8) -> Result<Option<u64>, Error> {
        Ok(Some(match info {
            0..=23 => u64::from(info),
            24..=27 => self.uint(1 << (info - 24))?,
            31 => return Ok(None),
            _ => return Err(Error::Invalid),
        }))
    }

    fn cbor_head(&mut self) -> Result<Head, Error> {
        let b = self.take(1)?[0];
        let (major, info) = (b >> 5, b & 0x1f);
        if major == 7 {
            return Ok(match info {
                25 => {
                    let h = self.uint(2)? as u16;
                    Head::Float(half(h))
                }
                26 => Head::Float(f64::from(f32::from_bits(self.uint(4)? as u32))),
                27 => Head::Float(f64::from_bits(self.uint(8)?)),
                24 => {
                    self.take(1)?;
                    Head::Other
                }
                0..=23 => Head::Other,
                // a break outside an indefinite item, or reserved
                _ => return Err(Error::Invalid),
            });
        }
        let arg = self.cbor_arg(info)?;
        Ok(match (major, arg) {
            (0, Some(n)) => Head::Number(n, false),
            // -1 - n (the one value past -2^64 is read as -2^64 + 1: no
            // identifier the detectors know is that long)
            (1, Some(n)) => Head::Number(n.saturating_add(1), true),
            (2 | 3, Some(n)) => {
                let n = usize::try_from(n).map_err(|_| Error::Invalid)?;
                return self.text(n);
            }
            (2 | 3, None) => Head::Chunks(major),
            (4, Some(n)) => Head::Array(n),
            (4, None) => Head::ArrayOpen,
            (5, Some(n)) => Head::Map(n),
            (5, None) => Head::MapOpen,
            (6, Some(t)) => Head::Tag(t),
            _ => return Err(Error::Invalid),
        })
    }

    fn head(&mut self) -> Result<Head, Error> {
        match self.kind {
            Kind::MsgPack => self.msgpack_head(),
            Kind::Cbor => self.cbor_head(),
        }
    }

    /// CBOR: whether the next byte is a break (and steps over it).
    fn at_break(&mut self) -> Result<bool, Error> {
        match self.doc.get(self.pos) {
            Some(0xff) => {
                self.pos += 1;
                Ok(true)
            }
            Some(_) => Ok(false),
            None => Err(Error::Invalid),
        }
    }

    /// Walks one item starting at `pos`; returns the text of a text-string
    /// item (a map key names its value with it).
    fn item(
        &mut self,
        key: Option<&[u8]>,
        is_key: bool,
        depth: usize,
        f: &mut dyn FnMut(&Leaf<'_>) -> Option<Vec<u8>>,
    ) -> Result<Option<std::borrow::Cow<'a, [u8]>>, Error> {
        let start = self.pos;
        let head = self.head()?;
        let nest = |d: usize| if d >= MAX_DEPTH { Err(Error::TooDeep) } else { Ok(d + 1) };
        match head {
            Head::Text(a, b) => {
                let text = &self.doc[a..b];
                self.leaf(start, text, key, is_key, f);
                return Ok(Some(std::borrow::Cow::Borrowed(text)));
            }
            Head::Number(n, neg) => {
                let mut s = if neg { String::from("-") } else { String::new() };
                s.push_str(&n.to_string());
                self.leaf(start, s.as_bytes(), key, is_key, f);
            }
            Head::Float(x) => {
                // an integral float is the number a receiver prints
                if x.is_finite() && x.fract() == 0.0 && x.abs() < 9e18 {
                    let s = (x as i64).to_string();
                    self.leaf(start, s.as_bytes(), key, is_key, f);
                }
            }
            Head::Map(n) => {
                let d = nest(depth)?;
                let named = self.enter(key);
                for _ in 0..n {
                    let k = self.item(None, true, d, f)?;
                    self.item(k.as_deref(), false, d, f)?;
                }
                self.leave(named);
            }
            Head::Array(n) => {
                let d = nest(depth)?;
                for _ in 0..n {
                    self.item(key, false, d, f)?;
                }
            }
            Head::MapOpen => {
                let d = nest(depth)?;
                let named = self.enter(key);
                while !self.at_break()? {
                    let k = self.item(None, true, d, f)?;
                    self.item(k.as_deref(), false, d, f)?;
                }
                self.leave(named);
            }
            Head::ArrayOpen => {
                let d = nest(depth)?;
                while !self.at_break()? {
                    self.item(key, false, d, f)?;
                }
            }
            Head::Chunks(major) => {
                // definite chunks of the same major type, then a break
                let mut text = Vec::new();
                while !self.at_break()? {
                    let b = self.take(1)?[0];
                    let n = match self.cbor_arg(b & 0x1f)? {
                        Some(n) if b >> 5 == major => usize::try_from(n).map_err(|_| Error::Invalid)?,
                        _ => return Err(Error::Invalid),
                    };
                    text.extend_from_slice(self.take(n)?);
                }
                self.leaf(start, &text, key, is_key, f);
                // an indefinite-length key names its value as a definite one does
                return Ok(Some(std::borrow::Cow::Owned(text)));
            }
            Head::Tag(t) => {
                let d = nest(depth)?;
                let inner = self.pos;
                // bignums (tags 2 and 3) of up to 8 bytes (longer: the bytes
                // as a byte string): the number they hold
                if matches!(t, 2 | 3) {
                    if let Ok(Head::Text(a, b)) = self.cbor_head() {
                        if b - a <= 8 && self.doc[inner] >> 5 == 2 {
                            let n = self.doc[a..b].iter().fold(0u64, |v, &c| v << 8 | u64::from(c));
                            let mut s = if t == 3 { String::from("-") } else { String::new() };
                            s.push_str(&if t == 3 { n.saturating_add(1) } else { n }.to_string());
                            // the tag and its bytes are one value
                            self.leaf(start, s.as_bytes(), key, is_key, f);
                            return Ok(None);
                        }
                    }
                    self.pos = inner;
                }
                // a tagged key (`55799(…)`, any tag a decoder ignores) is its text
                return self.item(key, is_key, d, f);
            }
            Head::Other => {}
        }
        Ok(None)
    }

    /// A map named by `key` (its own, or its array's) is entered: its
    /// values' parents gain the key.
    fn enter(&mut self, key: Option<&[u8]>) -> bool {
        key.map(|k| self.parents.push(k.to_vec())).is_some()
    }

    fn leave(&mut self, named: bool) {
        if named {
            self.parents.pop();
        }
    }

    /// The value of the item `doc[start..pos]`, replaced where `f` says.
    fn leaf(
        &mut self,
        start: usize,
        text: &[u8],
        key: Option<&[u8]>,
        is_key: bool,
        f: &mut dyn FnMut(&Leaf<'_>) -> Option<Vec<u8>>,
    ) {
        let Some(new) = f(&Leaf {
            text,
            key,
            is_key,
            parents: &self.parents,
        }) else {
            return;
        };
        self.out.extend_from_slice(&self.doc[self.copied..start]);
        string_head(self.kind, new.len(), &mut self.out);
        self.out.extend_from_slice(&new);
        self.copied = self.pos;
        self.changed = true;
    }
}

/// The head of a text string of `n` bytes.
fn string_head(kind: Kind, n: usize, out: &mut Vec<u8>) {
    let n64 = n as u64;
    match kind {
        Kind::MsgPack => match n {
            0..=31 => out.push(0xa0 | n as u8),
            32..=0xff => out.extend_from_slice(&[0xd9, n as u8]),
            0x100..=0xffff => {
                out.push(0xda);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            _ => {
                out.push(0xdb);
                out.extend_from_slice(&(n as u32).to_be_bytes());
            }
        },
        Kind::Cbor => match n64 {
            0..=23 => out.push(0x60 | n as u8),
            24..=0xff => out.extend_from_slice(&[0x78, n as u8]),
            0x100..=0xffff => {
                out.push(0x79);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                out.push(0x7a);
                out.extend_from_slice(&(n as u32).to_be_bytes());
            }
            _ => {
                out.push(0x7b);
                out.extend_from_slice(&n64.to_be_bytes());
            }
        },
    }
}

/// An IEEE 754 half-precision float.
fn half(h: u16) -> f64 {
    let exp = (h >> 10) & 0x1f;
    let mant = f64::from(h & 0x3ff);
    let v = match exp {
        0 => mant * 2f64.powi(-24),
        31 => {
            if mant == 0.0 {
                f64::INFINITY
            } else {
                f64::NAN
            }
        }
        e => (mant + 1024.0) * 2f64.powi(i32::from(e) - 25),
    };
    if h & 0x8000 != 0 {
        -v
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn leaves(kind: Kind, doc: &[u8]) -> Vec<(String, Option<String>, bool)> {
        let mut v = Vec::new();
        rewrite(kind, doc, &mut |l| {
            v.push((
                String::from_utf8_lossy(l.text).into_owned(),
                l.key.map(|k| String::from_utf8_lossy(k).into_owned()),
                l.is_key,
            ));
            None
        })
        .unwrap();
        v
    }

    #[test]
    fn values_know_the_keys_of_the_maps_around_them() {
        // {"a": {"b": [{"c": "x"}], "d": "y"}, "e": "z"} in MessagePack
        let doc = b"\x82\xa1a\x82\xa1b\x91\x81\xa1c\xa1x\xa1d\xa1y\xa1e\xa1z";
        let mut v = Vec::new();
        rewrite(Kind::MsgPack, doc, &mut |l| {
            if !l.is_key {
                let p: Vec<String> = l
                    .parents
                    .iter()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .collect();
                v.push((String::from_utf8_lossy(l.text).into_owned(), p.join("/")));
            }
            None
        })
        .unwrap();
        let want = [("x", "a/b"), ("y", "a"), ("z", "")];
        assert_eq!(v, want.map(|(a, b)| (a.to_string(), b.to_string())));
    }

    #[test]
    fn msgpack_values_with_their_keys() {
        // {"card": 4111111111111111 (uint64), "who": ["jane", -5], "f": 4111111111111111.0}
        let mut d = vec![0x83, 0xa4];
        d.extend_from_slice(b"card");
        d.push(0xcf);
        d.extend_from_slice(&4111111111111111u64.to_be_bytes());
        d.extend_from_slice(&[0xa3, b'w', b'h', b'o', 0x92, 0xa4]);
        d.extend_from_slice(b"jane");
        d.extend_from_slice(&[0xfb, 0xa1, b'f', 0xcb]);
        d.extend_from_slice(&4111111111111111f64.to_bits().to_be_bytes());
        let k = |s: &str| Some(s.to_string());
        assert_eq!(
            leaves(Kind::MsgPack, &d),
            vec![
                ("card".into(), None, true),
                ("4111111111111111".into(), k("card"), false),
                ("who".into(), None, true),
                ("jane".into(), k("who"), false),
                ("-5".into(), k("who"), false),
                ("f".into(), None, true),
                ("4111111111111111".into(), k("f"), false),
            ]
        );
    }

    #[test]
    fn cbor_values_with_their_keys() {
        // {_ "ssn": 123456789, "t": (_ "jane", ".doe"), "b": 2(h'0E9B08A568F1C7')} with a break
        let mut d = vec![0xbf, 0x63];
        d.extend_from_slice(b"ssn");
        d.extend_from_slice(&[0x1a, 0x07, 0x5b, 0xcd, 0x15]);
        d.extend_from_slice(&[0x61, b't', 0x7f, 0x64]);
        d.extend_from_slice(b"jane");
        d.push(0x64);
        d.extend_from_slice(b".doe");
        d.extend_from_slice(&[
            0xff, 0x61, b'b', 0xc2, 0x47, 0x0e, 0x9b, 0x08, 0xa5, 0x68, 0xf1, 0xc7, 0xff,
        ]);
        let k = |s: &str| Some(s.to_string());
        assert_eq!(
            leaves(Kind::Cbor, &d),
            vec![
                ("ssn".into(), None, true),
                ("123456789".into(), k("ssn"), false),
                ("t".into(), None, true),
                ("jane.doe".into(), k("t"), false),
                ("b".into(), None, true),
                ("4111111111111111".into(), k("b"), false),
            ]
        );
    }

    #[test]
    fn replaced_values_are_strings_of_their_new_length() {
        // [uint64 card, "x"] -> [ "[card]", "x" ]
        let mut d = vec![0x92, 0xcf];
        d.extend_from_slice(&4111111111111111u64.to_be_bytes());
        d.extend_from_slice(&[0xa1, b'x']);
        let out = rewrite(Kind::MsgPack, &d, &mut |l| {
            (l.text == b"4111111111111111").then(|| b"[card]".to_vec())
        })
        .unwrap()
        .unwrap();
        assert_eq!(out, [&[0x92, 0xa6][..], b"[card]", &[0xa1, b'x']].concat());
        // CBOR: a 40-byte replacement takes a one-byte length
        let d = [0x81, 0x63, b'a', b'b', b'c'];
        let out = rewrite(Kind::Cbor, &d, &mut |_| Some(vec![b'r'; 40])).unwrap().unwrap();
        assert_eq!(out[..3], [0x81, 0x78, 40]);
        assert_eq!(out.len(), 3 + 40);
        // nothing replaced: no copy
        assert_eq!(rewrite(Kind::Cbor, &d, &mut |_| None), Ok(None));
    }

    #[test]
    fn broken_and_deep_documents() {
        assert_eq!(rewrite(Kind::MsgPack, &[0xc1], &mut |_| None), Err(Error::Invalid));
        assert_eq!(
            rewrite(Kind::MsgPack, &[0xa5, b'a'], &mut |_| None),
            Err(Error::Invalid)
        );
        assert_eq!(
            rewrite(Kind::MsgPack, &[0xdf, 0xff, 0xff, 0xff, 0xff], &mut |_| None),
            Err(Error::Invalid)
        );
        assert_eq!(rewrite(Kind::Cbor, &[0xff], &mut |_| None), Err(Error::Invalid));
        assert_eq!(rewrite(Kind::Cbor, &[0x9f, 0x01], &mut |_| None), Err(Error::Invalid));
        assert_eq!(rewrite(Kind::Cbor, &[0x1c], &mut |_| None), Err(Error::Invalid));
        assert_eq!(rewrite(Kind::Cbor, &[], &mut |_| None), Err(Error::Invalid));
        let deep = [vec![0x91; MAX_DEPTH + 1], vec![0x01]].concat();
        assert_eq!(rewrite(Kind::MsgPack, &deep, &mut |_| None), Err(Error::TooDeep));
        let ok = [vec![0x91; MAX_DEPTH], vec![0x01]].concat();
        assert_eq!(rewrite(Kind::MsgPack, &ok, &mut |_| None), Ok(None));
        // a CBOR sequence: two documents
        assert_eq!(leaves(Kind::Cbor, &[0x01, 0x02]).len(), 2);
    }

    #[test]
    fn half_floats() {
        assert_eq!(half(0x3c00), 1.0);
        assert_eq!(half(0xc000), -2.0);
        assert_eq!(half(0x7bff), 65504.0);
    }

    proptest::proptest! {
        /// Any bytes: no panic; and where they walk, a rewrite that replaces
        /// every value with its own text walks again to the same values.
        #[test]
        fn any_bytes(doc in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64), cbor in proptest::prelude::any::<bool>()) {
            let kind = if cbor { Kind::Cbor } else { Kind::MsgPack };
            let mut first = Vec::new();
            if let Ok(Some(out)) = rewrite(kind, &doc, &mut |l| {
                first.push(l.text.to_vec());
                Some(l.text.to_vec())
            }) {
                let mut again = Vec::new();
                let r = rewrite(kind, &out, &mut |l| {
                    again.push(l.text.to_vec());
                    None
                });
                proptest::prop_assert_eq!(r, Ok(None));
                proptest::prop_assert_eq!(first, again);
            }
        }
    }
}
