//! The configuration read by one schema-driven reader instead of serde's
//! derived `Deserialize` (bench/SIZE.md, session 7).
//!
//! The derive instantiates serde_json's deserializer once per field type
//! (`PhantomData<T>::deserialize`, a struct visitor per type: ~90 KB of the
//! module). Here every type is described by a static [`Kind`] and read by
//! one [`Seed`]/[`V`] pair into a [`Val`] tree, which the functions at the
//! end turn into the typed [`Config`]. The reader makes the calls the
//! derived code makes, in the same order (`deserialize_struct`,
//! `deserialize_option`, `deserialize_seq`, `deserialize_map`,
//! `deserialize_enum`, the same key, variant and primitive reads), and
//! returns serde's own errors (`unknown_field`, `duplicate_field`,
//! `missing_field`, `invalid_length`, `unknown_variant`, `invalid_type`), so
//! serde_json reports the same message at the same position.
//! `tests/config_paths.rs` checks that against the derive (kept as the
//! reference under the `testing` feature) on ~15,000 broken configurations,
//! `tests/config_reader.rs` the values read.
//!
//! The field lists below must follow the declarations in `config.rs` (names,
//! order, which fields have defaults): the schema (schemars, from the
//! declarations) is the single source for users, and
//! `tests/config_reader.rs` reads a document setting every field the schema
//! names through both readers.

use super::*;
use serde::de::{
    DeserializeSeed, Deserializer, EnumAccess, Error as _, Expected, MapAccess, SeqAccess, Unexpected, VariantAccess,
    Visitor,
};
use std::collections::BTreeMap;

/// What a value is, as the derived code would read it.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    Str,
    Bool,
    U16,
    U32,
    Usize,
    Opt(&'static Kind),
    List(&'static Kind),
    /// `BTreeMap<String, _>`
    Map(&'static Kind),
    Struct(&'static StructDesc),
    Enum(&'static EnumDesc),
    /// [`RequireTls`]: `false` or a [`RequireTlsOn`] object
    RequireTls,
    /// [`PathRuleConfig`]: an [`Action`] or a [`PathRule`] object
    PathRule,
    /// a struct's member name
    Field(&'static StructDesc),
    /// an enum's variant name
    Variant(&'static EnumDesc),
}

pub(super) struct StructDesc {
    name: &'static str,
    names: &'static [&'static str],
    /// per member: its kind, and whether it may be missing (a field default
    /// or the struct's default)
    fields: &'static [(Kind, bool)],
}

pub(super) struct EnumDesc {
    name: &'static str,
    variants: &'static [&'static str],
    /// per variant: `None` for a unit variant, else the newtype's content
    payload: &'static [Option<Kind>],
}

/// A value read, before it is typed.
pub(super) enum Val {
    /// `null` where an option is read
    None,
    Str(String),
    Bool(bool),
    Num(u64),
    List(Vec<Val>),
    /// a map's entries in document order (a later duplicate key wins, as
    /// `BTreeMap::insert` does in the derive)
    Map(Vec<(String, Val)>),
    /// a struct's members in declaration order (`None`: not given)
    Fields(Vec<Option<Val>>),
    /// an enum: the variant's index and a newtype variant's content
    Variant(usize, Option<Box<Val>>),
    /// a member's or variant's index
    Key(usize),
}

// ---- the schema (follows the declarations in config.rs) -------------------

const R: bool = false; // required
const D: bool = true; // defaulted

const STR_LIST: Kind = Kind::List(&Kind::Str);
const OPT_STR: Kind = Kind::Opt(&Kind::Str);

pub(super) static CONFIG: StructDesc = StructDesc {
    name: "Config",
    names: &[
        "$schema",
        "version",
        "policy_version",
        "limits",
        "detectors",
        "routes",
        "default",
        "subject",
        "audit",
        "consent",
        "hold_headers",
    ],
    fields: &[
        (OPT_STR, D),
        (Kind::U32, R),
        (OPT_STR, D),
        (Kind::Struct(&LIMITS), D),
        (Kind::Struct(&DETECTORS), D),
        (Kind::List(&ROUTE), D),
        (Kind::Opt(&ROUTE), D),
        (Kind::Opt(&SUBJECT), D),
        (Kind::Struct(&AUDIT), D),
        (Kind::Struct(&CONSENT), D),
        (Kind::Bool, D),
    ],
};

static LIMITS: StructDesc = StructDesc {
    name: "Limits",
    names: &["max_body_bytes", "max_json_depth"],
    fields: &[(Kind::Usize, D), (Kind::Usize, D)],
};

static DETECTORS: StructDesc = StructDesc {
    name: "DetectorsConfig",
    names: &["disabled", "custom"],
    fields: &[(STR_LIST, D), (Kind::List(&CUSTOM), D)],
};

static CUSTOM: Kind = Kind::Struct(&CUSTOM_DESC);
static CUSTOM_DESC: StructDesc = StructDesc {
    name: "CustomDetectorConfig",
    names: &["id", "category", "pattern", "validator", "fields"],
    fields: &[
        (Kind::Str, R),
        (Kind::Str, R),
        (Kind::Str, R),
        (Kind::Enum(&VALIDATOR), D),
        (STR_LIST, D),
    ],
};

static VALIDATOR: EnumDesc = EnumDesc {
    name: "ValidatorName",
    variants: &["none", "luhn", "mod97"],
    payload: &[None, None, None],
};

static ROUTE: Kind = Kind::Struct(&ROUTE_DESC);
static ROUTE_DESC: StructDesc = StructDesc {
    name: "RouteConfig",
    names: &[
        "name",
        "match",
        "shadow",
        "request",
        "response",
        "on_oversize",
        "on_uninspectable",
        "on_stream",
        "block_status",
        "purpose",
        "legal_basis",
        "retention",
        "without_consent",
        "require_tls",
        "region",
    ],
    fields: &[
        (OPT_STR, D),
        (Kind::Opt(&Kind::Struct(&MATCH)), D),
        (Kind::Bool, D),
        (Kind::Struct(&DIRECTION), D),
        (Kind::Struct(&DIRECTION), D),
        (Kind::Opt(&Kind::Enum(&ON_OVERSIZE)), D),
        (Kind::Opt(&Kind::Enum(&ON_UNINSPECTABLE)), D),
        (Kind::Opt(&Kind::Enum(&ON_STREAM)), D),
        (Kind::Opt(&Kind::U16), D),
        (OPT_STR, D),
        (Kind::Opt(&Kind::Enum(&LEGAL_BASIS)), D),
        (OPT_STR, D),
        (Kind::Opt(&Kind::Struct(&WITHOUT_CONSENT)), D),
        (Kind::RequireTls, D),
        (OPT_STR, D),
    ],
};

static REQUIRE_TLS_ON: StructDesc = StructDesc {
    name: "RequireTlsOn",
    names: &["on", "clusters"],
    fields: &[(Kind::Enum(&TLS_HOP), R), (STR_LIST, D)],
};

static TLS_HOP: EnumDesc = EnumDesc {
    name: "TlsHop",
    variants: &["downstream", "mesh", "upstream"],
    payload: &[None, None, None],
};

static WITHOUT_CONSENT: StructDesc = StructDesc {
    name: "WithoutConsent",
    names: &["action", "categories"],
    fields: &[(Kind::Enum(&ACTION), R), (STR_LIST, D)],
};

static CONSENT: StructDesc = StructDesc {
    name: "ConsentConfig",
    names: &["jwt_claim", "header", "objections", "restricted"],
    fields: &[
        (OPT_STR, D),
        (OPT_STR, D),
        (Kind::List(&Kind::Struct(&OBJECTION)), D),
        (STR_LIST, D),
    ],
};

static OBJECTION: StructDesc = StructDesc {
    name: "Objection",
    names: &["subject", "purposes"],
    fields: &[(Kind::Str, R), (STR_LIST, R)],
};

static MATCH: StructDesc = StructDesc {
    name: "MatchConfig",
    names: &[
        "route_name",
        "hosts",
        "path_exact",
        "path_prefix",
        "path_regex",
        "ignore_case",
        "methods",
        "peers",
        "peers_not",
        "clusters",
    ],
    fields: &[
        (OPT_STR, D),
        (STR_LIST, D),
        (OPT_STR, D),
        (OPT_STR, D),
        (OPT_STR, D),
        (Kind::Bool, D),
        (STR_LIST, D),
        (STR_LIST, D),
        (Kind::Bool, D),
        (STR_LIST, D),
    ],
};

static DIRECTION: StructDesc = StructDesc {
    name: "DirectionConfig",
    names: &[
        "actions",
        "strategies",
        "paths",
        "headers",
        "query",
        "body",
        "skip_headers",
    ],
    fields: &[
        (Kind::Map(&Kind::Enum(&ACTION)), D),
        (Kind::Map(&Kind::Enum(&STRATEGY)), D),
        (Kind::Map(&Kind::PathRule), D),
        (Kind::Bool, D),
        (Kind::Bool, D),
        (Kind::Bool, D),
        (STR_LIST, D),
    ],
};

static ACTION: EnumDesc = EnumDesc {
    name: "Action",
    variants: &["allow", "log", "redact", "block"],
    payload: &[None, None, None, None],
};

static STRATEGY: EnumDesc = EnumDesc {
    name: "Strategy",
    variants: &["tag", "mask", "partial", "hash", "remove"],
    payload: &[None, None, Some(Kind::Struct(&PARTIAL_OPTS)), None, None],
};

static PARTIAL_OPTS: StructDesc = StructDesc {
    name: "PartialOpts",
    names: &["keep_last"],
    fields: &[(Kind::Usize, D)],
};

static PATH_RULE: StructDesc = StructDesc {
    name: "PathRule",
    names: &["action", "strategy", "category"],
    fields: &[
        (Kind::Enum(&ACTION), R),
        (Kind::Opt(&Kind::Enum(&STRATEGY)), D),
        (OPT_STR, D),
    ],
};

static ON_OVERSIZE: EnumDesc = EnumDesc {
    name: "OnOversize",
    variants: &["block", "allow"],
    payload: &[None, None],
};

static ON_STREAM: EnumDesc = EnumDesc {
    name: "OnStream",
    variants: &["allow", "block"],
    payload: &[None, None],
};

static ON_UNINSPECTABLE: EnumDesc = EnumDesc {
    name: "OnUninspectable",
    variants: &["block", "log", "allow"],
    payload: &[None, None, None],
};

static LEGAL_BASIS: EnumDesc = EnumDesc {
    name: "LegalBasis",
    variants: &[
        "consent",
        "contract",
        "legal_obligation",
        "vital_interests",
        "public_task",
        "legitimate_interests",
    ],
    payload: &[None, None, None, None, None, None],
};

static SUBJECT: Kind = Kind::Struct(&SUBJECT_DESC);
static SUBJECT_DESC: StructDesc = StructDesc {
    name: "SubjectConfig",
    names: &["sources", "header", "verified_payload_key"],
    fields: &[
        (Kind::List(&Kind::Enum(&SUBJECT_SOURCE)), R),
        (Kind::Str, D),
        (OPT_STR, D),
    ],
};

static SUBJECT_SOURCE: EnumDesc = EnumDesc {
    name: "SubjectSource",
    variants: &[
        "header",
        "jwt_claim",
        "cookie",
        "query",
        "request_body",
        "response_body",
    ],
    payload: &[
        Some(Kind::Str),
        Some(Kind::Str),
        Some(Kind::Str),
        Some(Kind::Str),
        Some(Kind::Str),
        Some(Kind::Str),
    ],
};

static AUDIT: StructDesc = StructDesc {
    name: "AuditConfig",
    names: &["mode", "log", "attributes"],
    fields: &[(Kind::Enum(&AUDIT_MODE), D), (Kind::Bool, D), (Kind::Bool, D)],
};

static AUDIT_MODE: EnumDesc = EnumDesc {
    name: "AuditMode",
    variants: &["findings", "all"],
    payload: &[None, None],
};

// ---- the reader ------------------------------------------------------------

/// Reads one value of its kind (the only seed: serde_json's generic code is
/// instantiated once for it).
#[derive(Clone, Copy)]
pub(super) struct Seed(pub(super) Kind);

impl<'de> DeserializeSeed<'de> for Seed {
    type Value = Val;
    fn deserialize<De: Deserializer<'de>>(self, d: De) -> Result<Val, De::Error> {
        use serde::Deserialize;
        let v = V(self.0);
        match self.0 {
            Kind::Str => String::deserialize(d).map(Val::Str),
            Kind::Bool => bool::deserialize(d).map(Val::Bool),
            Kind::U16 => u16::deserialize(d).map(|n| Val::Num(n.into())),
            Kind::U32 => u32::deserialize(d).map(|n| Val::Num(n.into())),
            Kind::Usize => usize::deserialize(d).map(|n| Val::Num(n as u64)),
            Kind::Opt(_) => d.deserialize_option(v),
            Kind::List(_) => d.deserialize_seq(v),
            Kind::Map(_) => d.deserialize_map(v),
            Kind::Struct(s) => d.deserialize_struct(s.name, s.names, v),
            Kind::Enum(e) => d.deserialize_enum(e.name, e.variants, v),
            Kind::RequireTls | Kind::PathRule => d.deserialize_any(v),
            Kind::Field(_) | Kind::Variant(_) => d.deserialize_identifier(v),
        }
    }
}

/// The visitor of every kind: what the derived visitor of that type accepts,
/// and serde's default error (`invalid type`) for the rest.
struct V(Kind);

/// "struct X with N elements", as the derive says when an array is short.
struct Elements(&'static StructDesc);

impl Expected for Elements {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.0.fields.len() {
            1 => write!(f, "struct {} with 1 element", self.0.name),
            n => write!(f, "struct {} with {n} elements", self.0.name),
        }
    }
}

const REQUIRE_TLS_EXPECTED: &str = r#"false or {"on": "downstream" | "mesh" | "upstream"}"#;
const REQUIRE_TLS_TRUE: &str = r#"`true` does not say which hop must be encrypted: use {"on": "downstream"} (edge gateway), {"on": "mesh"} (inbound mTLS) or {"on": "upstream"} (outbound cluster)"#;

/// A key or variant that the reader itself did not produce: cannot happen
/// (the seed of a key returns `Val::Key`), refused rather than guessed.
const INTERNAL: &str = "internal error while reading the configuration";

impl<'de> Visitor<'de> for V {
    type Value = Val;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.0 {
            Kind::Str => f.write_str("a string"),
            Kind::Bool => f.write_str("a boolean"),
            Kind::U16 => f.write_str("u16"),
            Kind::U32 => f.write_str("u32"),
            Kind::Usize => f.write_str("usize"),
            Kind::Opt(_) => f.write_str("option"),
            Kind::List(_) => f.write_str("a sequence"),
            Kind::Map(_) => f.write_str("a map"),
            Kind::Struct(s) => write!(f, "struct {}", s.name),
            Kind::Enum(e) => write!(f, "enum {}", e.name),
            Kind::RequireTls => f.write_str(REQUIRE_TLS_EXPECTED),
            Kind::PathRule => f.write_str(PATH_RULE_EXPECTED),
            Kind::Field(_) => f.write_str("field identifier"),
            Kind::Variant(_) => f.write_str("variant identifier"),
        }
    }

    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Val, E> {
        match self.0 {
            Kind::RequireTls if b => Err(E::custom(REQUIRE_TLS_TRUE)),
            Kind::RequireTls => Ok(Val::Bool(false)),
            _ => Err(E::invalid_type(Unexpected::Bool(b), &self)),
        }
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Val, E> {
        match self.0 {
            Kind::Field(d) => match d.names.iter().position(|n| *n == s) {
                Some(i) => Ok(Val::Key(i)),
                None => Err(E::unknown_field(s, d.names)),
            },
            Kind::Variant(e) => match e.variants.iter().position(|n| *n == s) {
                Some(i) => Ok(Val::Key(i)),
                None => Err(E::unknown_variant(s, e.variants)),
            },
            // a path rule written as its action alone
            Kind::PathRule => match ACTION.variants.iter().position(|n| *n == s) {
                Some(i) => Ok(Val::Variant(i, None)),
                None => Err(E::unknown_variant(s, ACTION.variants)),
            },
            _ => Err(E::invalid_type(Unexpected::Str(s), &self)),
        }
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Val, E> {
        match self.0 {
            Kind::Opt(_) => Ok(Val::None),
            _ => Err(E::invalid_type(Unexpected::Unit, &self)),
        }
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Val, E> {
        match self.0 {
            Kind::Opt(_) => Ok(Val::None),
            _ => Err(E::invalid_type(Unexpected::Option, &self)),
        }
    }

    fn visit_some<De: Deserializer<'de>>(self, d: De) -> Result<Val, De::Error> {
        match self.0 {
            Kind::Opt(k) => Seed(*k).deserialize(d),
            _ => Err(De::Error::invalid_type(Unexpected::Option, &self)),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val, A::Error> {
        match self.0 {
            Kind::List(k) => {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element_seed(Seed(*k))? {
                    out.push(v);
                }
                Ok(Val::List(out))
            }
            // a struct written as an array of its members in order (the
            // derive accepts it; missing trailing members take their
            // defaults, a required one is an `invalid length`)
            Kind::Struct(d) => {
                let mut out = Vec::with_capacity(d.fields.len());
                for (i, &(kind, may_miss)) in d.fields.iter().enumerate() {
                    match seq.next_element_seed(Seed(kind))? {
                        Some(v) => out.push(Some(v)),
                        None if may_miss => out.push(None),
                        None => return Err(A::Error::invalid_length(i, &Elements(d))),
                    }
                }
                Ok(Val::Fields(out))
            }
            _ => Err(A::Error::invalid_type(Unexpected::Seq, &self)),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Val, A::Error> {
        let d = match self.0 {
            Kind::Map(k) => {
                let mut out = Vec::new();
                while let Some(key) = map.next_key_seed(Seed(Kind::Str))? {
                    let Val::Str(key) = key else {
                        return Err(A::Error::custom(INTERNAL));
                    };
                    out.push((key, map.next_value_seed(Seed(*k))?));
                }
                return Ok(Val::Map(out));
            }
            Kind::Struct(d) => d,
            Kind::RequireTls => &REQUIRE_TLS_ON,
            Kind::PathRule => &PATH_RULE,
            _ => return Err(A::Error::invalid_type(Unexpected::Map, &self)),
        };
        let mut out: Vec<Option<Val>> = d.fields.iter().map(|_| None).collect();
        while let Some(key) = map.next_key_seed(Seed(Kind::Field(d)))? {
            let i = key_index(&key);
            let (Some(&(kind, _)), Some(&name), Some(slot)) = (d.fields.get(i), d.names.get(i), out.get_mut(i)) else {
                return Err(A::Error::custom(INTERNAL));
            };
            if slot.is_some() {
                return Err(A::Error::duplicate_field(name));
            }
            *slot = Some(map.next_value_seed(Seed(kind))?);
        }
        // the first required member missing, in declaration order
        for ((given, &(_, may_miss)), &name) in out.iter().zip(d.fields).zip(d.names) {
            if given.is_none() && !may_miss {
                return Err(A::Error::missing_field(name));
            }
        }
        Ok(Val::Fields(out))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Val, A::Error> {
        let Kind::Enum(e) = self.0 else {
            return Err(A::Error::invalid_type(Unexpected::Enum, &self));
        };
        let (key, variant) = data.variant_seed(Seed(Kind::Variant(e)))?;
        let i = key_index(&key);
        match (&key, e.payload.get(i)) {
            (Val::Key(_), Some(None)) => {
                variant.unit_variant()?;
                Ok(Val::Variant(i, None))
            }
            (Val::Key(_), Some(Some(k))) => variant
                .newtype_variant_seed(Seed(*k))
                .map(|v| Val::Variant(i, Some(Box::new(v)))),
            _ => Err(A::Error::custom(INTERNAL)),
        }
    }
}

fn key_index(v: &Val) -> usize {
    match v {
        Val::Key(i) => *i,
        _ => usize::MAX,
    }
}

// ---- typing the values read --------------------------------------------------
//
// Each function reads the members in declaration order; `None` only if the
// value is not of the kind the schema above gives (cannot happen: the caller
// refuses the configuration rather than guess).

/// A struct's members, taken in order.
struct Members(std::vec::IntoIter<Option<Val>>);

impl Members {
    fn of(v: Val) -> Option<Members> {
        match v {
            Val::Fields(f) => Some(Members(f.into_iter())),
            _ => None,
        }
    }
    /// the next member, `None` when it was not given
    fn next(&mut self) -> Option<Val> {
        self.0.next().flatten()
    }
    fn string(&mut self) -> Option<String> {
        string(self.next()?)
    }
    fn opt_string(&mut self) -> Option<Option<String>> {
        opt(self.next(), string)
    }
    fn strings(&mut self) -> Option<Vec<String>> {
        list(self.next(), string)
    }
    fn bool_or(&mut self, default: bool) -> Option<bool> {
        match self.next() {
            None => Some(default),
            Some(Val::Bool(b)) => Some(b),
            Some(_) => None,
        }
    }
    fn usize_or(&mut self, default: usize) -> Option<usize> {
        match self.next() {
            None => Some(default),
            Some(v) => usize::try_from(num(v)?).ok(),
        }
    }
    /// a member with a default
    fn or<T>(&mut self, conv: fn(Val) -> Option<T>, default: impl FnOnce() -> T) -> Option<T> {
        match self.next() {
            None => Some(default()),
            Some(v) => conv(v),
        }
    }
}

fn string(v: Val) -> Option<String> {
    match v {
        Val::Str(s) => Some(s),
        _ => None,
    }
}

fn num(v: Val) -> Option<u64> {
    match v {
        Val::Num(n) => Some(n),
        _ => None,
    }
}

/// An `Option<T>` member (missing or `null`: `None`).
fn opt<T>(v: Option<Val>, conv: fn(Val) -> Option<T>) -> Option<Option<T>> {
    match v {
        None | Some(Val::None) => Some(None),
        Some(v) => conv(v).map(Some),
    }
}

/// A `Vec<T>` member (missing: empty).
fn list<T>(v: Option<Val>, conv: fn(Val) -> Option<T>) -> Option<Vec<T>> {
    match v {
        None => Some(Vec::new()),
        Some(Val::List(items)) => items.into_iter().map(conv).collect(),
        Some(_) => None,
    }
}

/// A `BTreeMap<String, T>` member (missing: empty; a later duplicate wins).
fn map<T>(v: Option<Val>, conv: fn(Val) -> Option<T>) -> Option<BTreeMap<String, T>> {
    let mut out = BTreeMap::new();
    match v {
        None => {}
        Some(Val::Map(entries)) => {
            for (k, v) in entries {
                out.insert(k, conv(v)?);
            }
        }
        Some(_) => return None,
    }
    Some(out)
}

/// A unit variant's index.
fn unit(v: Val) -> Option<usize> {
    match v {
        Val::Variant(i, None) => Some(i),
        _ => None,
    }
}

fn pick<T: Copy>(v: Val, all: &[T]) -> Option<T> {
    all.get(unit(v)?).copied()
}

fn action(v: Val) -> Option<Action> {
    pick(v, &[Action::Allow, Action::Log, Action::Redact, Action::Block])
}

pub(super) fn config(v: Val) -> Option<Config> {
    let mut m = Members::of(v)?;
    Some(Config {
        schema: m.opt_string()?,
        version: u32::try_from(num(m.next()?)?).ok()?,
        policy_version: m.opt_string()?,
        limits: m.or(limits, Limits::default)?,
        detectors: m.or(detectors, DetectorsConfig::default)?,
        routes: list(m.next(), route)?,
        default: opt(m.next(), route)?,
        subject: opt(m.next(), subject)?,
        audit: m.or(audit, AuditConfig::default)?,
        consent: m.or(consent, ConsentConfig::default)?,
        hold_headers: m.bool_or(false)?,
    })
}

fn limits(v: Val) -> Option<Limits> {
    let d = Limits::default();
    let mut m = Members::of(v)?;
    Some(Limits {
        max_body_bytes: m.usize_or(d.max_body_bytes)?,
        max_json_depth: m.usize_or(d.max_json_depth)?,
    })
}

fn detectors(v: Val) -> Option<DetectorsConfig> {
    let mut m = Members::of(v)?;
    Some(DetectorsConfig {
        disabled: m.strings()?,
        custom: list(m.next(), custom)?,
    })
}

fn custom(v: Val) -> Option<CustomDetectorConfig> {
    let mut m = Members::of(v)?;
    Some(CustomDetectorConfig {
        id: m.string()?,
        category: m.string()?,
        pattern: m.string()?,
        validator: m.or(
            |v| pick(v, &[ValidatorName::None, ValidatorName::Luhn, ValidatorName::Mod97]),
            ValidatorName::default,
        )?,
        fields: m.strings()?,
    })
}

fn route(v: Val) -> Option<RouteConfig> {
    let mut m = Members::of(v)?;
    Some(RouteConfig {
        name: m.opt_string()?,
        matcher: opt(m.next(), matcher)?,
        shadow: m.bool_or(false)?,
        request: m.or(direction, DirectionConfig::default)?,
        response: m.or(direction, DirectionConfig::default)?,
        on_oversize: opt(m.next(), |v| pick(v, &[OnOversize::Block, OnOversize::Allow]))?,
        on_uninspectable: opt(m.next(), |v| {
            pick(
                v,
                &[OnUninspectable::Block, OnUninspectable::Log, OnUninspectable::Allow],
            )
        })?,
        on_stream: opt(m.next(), |v| pick(v, &[OnStream::Allow, OnStream::Block]))?,
        block_status: opt(m.next(), |v| u16::try_from(num(v)?).ok())?,
        purpose: m.opt_string()?,
        legal_basis: opt(m.next(), |v| {
            pick(
                v,
                &[
                    LegalBasis::Consent,
                    LegalBasis::Contract,
                    LegalBasis::LegalObligation,
                    LegalBasis::VitalInterests,
                    LegalBasis::PublicTask,
                    LegalBasis::LegitimateInterests,
                ],
            )
        })?,
        retention: m.opt_string()?,
        without_consent: opt(m.next(), without_consent)?,
        require_tls: m.or(require_tls, RequireTls::default)?,
        region: m.opt_string()?,
    })
}

fn matcher(v: Val) -> Option<MatchConfig> {
    let mut m = Members::of(v)?;
    Some(MatchConfig {
        route_name: m.opt_string()?,
        hosts: m.strings()?,
        path_exact: m.opt_string()?,
        path_prefix: m.opt_string()?,
        path_regex: m.opt_string()?,
        ignore_case: m.bool_or(default_true())?,
        methods: m.strings()?,
        peers: m.strings()?,
        peers_not: m.bool_or(false)?,
        clusters: m.strings()?,
    })
}

fn direction(v: Val) -> Option<DirectionConfig> {
    let d = DirectionConfig::default();
    let mut m = Members::of(v)?;
    Some(DirectionConfig {
        actions: map(m.next(), action)?,
        strategies: map(m.next(), strategy)?,
        paths: map(m.next(), path_rule_config)?,
        headers: m.bool_or(d.headers)?,
        query: m.bool_or(d.query)?,
        body: m.bool_or(d.body)?,
        skip_headers: m.strings()?,
    })
}

fn strategy(v: Val) -> Option<Strategy> {
    match v {
        Val::Variant(0, None) => Some(Strategy::Tag),
        Val::Variant(1, None) => Some(Strategy::Mask),
        Val::Variant(2, Some(opts)) => {
            let mut m = Members::of(*opts)?;
            Some(Strategy::Partial(PartialOpts {
                keep_last: m.usize_or(default_keep())?,
            }))
        }
        Val::Variant(3, None) => Some(Strategy::Hash),
        Val::Variant(4, None) => Some(Strategy::Remove),
        _ => None,
    }
}

fn path_rule_config(v: Val) -> Option<PathRuleConfig> {
    match v {
        Val::Variant(..) => action(v).map(PathRuleConfig::Action),
        v => {
            let mut m = Members::of(v)?;
            Some(PathRuleConfig::Full(PathRule {
                action: action(m.next()?)?,
                strategy: opt(m.next(), strategy)?,
                category: m.opt_string()?,
            }))
        }
    }
}

fn require_tls(v: Val) -> Option<RequireTls> {
    match v {
        Val::Bool(false) => Some(RequireTls::Off),
        v => {
            let mut m = Members::of(v)?;
            Some(RequireTls::On(RequireTlsOn {
                on: pick(m.next()?, &[TlsHop::Downstream, TlsHop::Mesh, TlsHop::Upstream])?,
                clusters: m.strings()?,
            }))
        }
    }
}

fn without_consent(v: Val) -> Option<WithoutConsent> {
    let mut m = Members::of(v)?;
    Some(WithoutConsent {
        action: action(m.next()?)?,
        categories: m.strings()?,
    })
}

fn consent(v: Val) -> Option<ConsentConfig> {
    let mut m = Members::of(v)?;
    Some(ConsentConfig {
        jwt_claim: m.opt_string()?,
        header: m.opt_string()?,
        objections: list(m.next(), |v| {
            let mut m = Members::of(v)?;
            Some(Objection {
                subject: m.string()?,
                purposes: m.strings()?,
            })
        })?,
        restricted: m.strings()?,
    })
}

fn subject(v: Val) -> Option<SubjectConfig> {
    let mut m = Members::of(v)?;
    Some(SubjectConfig {
        sources: list(m.next(), |v| match v {
            Val::Variant(i, Some(s)) => {
                let s = string(*s)?;
                Some(match i {
                    0 => SubjectSource::Header(s),
                    1 => SubjectSource::JwtClaim(s),
                    2 => SubjectSource::Cookie(s),
                    3 => SubjectSource::Query(s),
                    4 => SubjectSource::RequestBody(s),
                    5 => SubjectSource::ResponseBody(s),
                    _ => return None,
                })
            }
            _ => None,
        })?,
        header: m.or(string, default_subject_header)?,
        verified_payload_key: m.opt_string()?,
    })
}

fn audit(v: Val) -> Option<AuditConfig> {
    let d = AuditConfig::default();
    let mut m = Members::of(v)?;
    Some(AuditConfig {
        mode: m.or(|v| pick(v, &[AuditMode::Findings, AuditMode::All]), || d.mode)?,
        log: m.bool_or(d.log)?,
        attributes: m.bool_or(d.attributes)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every member list has a kind per name.
    #[test]
    fn member_lists_have_a_kind_per_name() {
        for d in [
            &CONFIG,
            &LIMITS,
            &DETECTORS,
            &CUSTOM_DESC,
            &ROUTE_DESC,
            &REQUIRE_TLS_ON,
            &WITHOUT_CONSENT,
            &CONSENT,
            &OBJECTION,
            &MATCH,
            &DIRECTION,
            &PARTIAL_OPTS,
            &PATH_RULE,
            &SUBJECT_DESC,
            &AUDIT,
        ] {
            assert_eq!(d.names.len(), d.fields.len(), "{}", d.name);
        }
        for e in [
            &VALIDATOR,
            &TLS_HOP,
            &ACTION,
            &STRATEGY,
            &ON_OVERSIZE,
            &ON_STREAM,
            &ON_UNINSPECTABLE,
            &LEGAL_BASIS,
            &SUBJECT_SOURCE,
            &AUDIT_MODE,
        ] {
            assert_eq!(e.variants.len(), e.payload.len(), "{}", e.name);
        }
    }
}
