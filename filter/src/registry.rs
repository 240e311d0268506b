//! The detector registry: every built-in detector is defined here, once.
//!
//! One line per detector gives its id, its category, the canonical form its
//! values are hashed in, the field kind it reports (field detectors), and its
//! scanner (pattern, priority, keywords, validator) if it has one of its own.
//! Everything else is derived from this table: the [`Builtin`] enum and
//! [`BUILTINS`] (ids and categories, in order), [`CATEGORIES`], the scanner's
//! pattern and keyword tables and its candidate dispatch ([`scanners`]),
//! [`field_detector`] and [`canonical`] (used by `redact`).
//! How to add a detector: `docs/ADDING_A_DETECTOR.md`.

use crate::detect::{self as d, Check};
use crate::fields::FieldKind;
use std::sync::LazyLock;

/// How a value is canonicalised before hashing, so that `4111 1111 ...` and
/// `4111-1111-...` give the same pseudonym.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Canonical {
    /// Letters and digits only, upper case (numbers, codes, IBANs).
    Alnum,
    /// Trimmed, lower case (e-mail addresses).
    Lower,
    /// Trimmed.
    Trim,
}

/// A detector's own scanner: a pattern in the one multi-pattern automaton and
/// the function that validates each candidate it finds.
#[derive(Clone, Copy)]
pub struct Scan {
    /// Lower runs first: at the same start the earlier pattern wins, and a
    /// candidate that fails validation lets the later patterns try that start.
    pub priority: u8,
    pub pattern: &'static str,
    /// Literals that must occur for this pattern to match (token detectors);
    /// they let the cheap prefilter pass text that has too few digits.
    pub keywords: &'static [&'static str],
    pub check: Check,
}

/// One built-in detector.
#[derive(Clone, Copy)]
pub struct Spec {
    pub id: &'static str,
    pub category: &'static str,
    pub canonical: Canonical,
    /// The field kind whose values this detector reports (field detectors).
    pub field: Option<FieldKind>,
    pub scan: Option<Scan>,
}

macro_rules! registry {
    ($($variant:ident => $id:literal, $category:literal, $canonical:ident, $field:expr, $scan:expr;)*) => {
        /// Built-in detectors. The discriminant is the detector's index in
        /// `DetectorSet::info` (and in [`SPECS`]).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u16)]
        pub enum Builtin {
            $($variant),*
        }

        /// (id, category) of every built-in detector, in [`Builtin`] order.
        pub const BUILTINS: &[(&str, &str)] = &[$(($id, $category)),*];

        /// Every built-in detector, in [`Builtin`] order.
        pub const SPECS: &[Spec] = &[$(Spec {
            id: $id,
            category: $category,
            canonical: Canonical::$canonical,
            field: $field,
            scan: $scan,
        }),*];
    };
}

const fn scan(priority: u8, pattern: &'static str, keywords: &'static [&'static str], check: Check) -> Option<Scan> {
    Some(Scan {
        priority,
        pattern,
        keywords,
        check,
    })
}

/// Runs of digit groups: phones, cards, SSNs, BSNs, PESEL, Steuer-ID, NIR and
/// IPv4 are all classified from them by `detect::numeric` (the last pattern).
/// A first group in parentheses may carry the `+` or `00` inside, with a
/// space after it (`(+44) 20 7946 0958`, `(+44)(0)20 …`, `(00 44) 20 …`,
/// `(+ 44) …`), or be a `+` and a country code in square brackets
/// (`[+44] 20 7946 0958`); the `+` may stand apart (`+ 44 20 7946 0958`):
/// how people write a country code.
/// Between groups, the ASCII controls that backends read as white space
/// (VT, FF, FS to US; NUL, which some drop) are spaces
/// ([`crate::normalize::space_control`]).
const NUMERIC: &str = r"(?:\+ ?)?(?:(?:\((?:\+ ?|00 ?)?[0-9]{1,5}\)|\[\+ ?[0-9]{1,3}\])[ .\-]{0,2}(?:\(0\)[ .\-]{0,2})?)?[0-9](?:[ .\-/\t_,\x00\x0B\x0C\x1C-\x1F]{0,3}(?:\((?:0|[0-9]{1,5})\)[ .\-]{0,2})?[0-9]){6,}";

pub(crate) const AWS_PREFIXES: &[&str] = &[
    "AKIA", "ASIA", "ABIA", "ACCA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "APKA",
];

use FieldKind as F;

registry! {
    // value detectors
    // (the domain may be an address literal, RFC 5321 4.1.3:
    // `jane@[192.0.2.1]`, `jane@[IPv6:2001:db8::1]`)
    Email => "email", "email", Lower, None, scan(4,
        r#"(?:"[^"\\\r\n]{1,64}"|[A-Za-z0-9_%+\-\x80-\xFF][A-Za-z0-9_%+\-.\x80-\xFF]{0,63})@(?:(?:[A-Za-z0-9\x80-\xFF](?:[A-Za-z0-9\-\x80-\xFF]*[A-Za-z0-9\x80-\xFF])?\.)+[A-Za-z\x80-\xFF][A-Za-z0-9\-\x80-\xFF]+|\[(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[Ii][Pp][Vv]6:[0-9A-Fa-f:.]{2,45})\])"#,
        &[], d::check_email);
    Phone => "phone", "phone", Alnum, None, scan(u8::MAX, NUMERIC, &[], d::check_numeric);
    PaymentCard => "payment_card", "payment_card", Alnum, None, None;
    Iban => "iban", "bank_account", Alnum, None, scan(5,
        r"\b[A-Za-z]{2}[ ]?[0-9]{2}(?:[ \-._,\t]?[A-Za-z0-9]){11,32}", &[], d::check_iban);
    UsSsn => "us_ssn", "national_id", Alnum, None, None;
    Ipv4 => "ipv4", "ip_address", Trim, None, scan(11, r"\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b", &[], d::check_ipv4);
    Ipv6 => "ipv6", "ip_address", Trim, None, scan(10,
        r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3})?(?:%[0-9A-Za-z]{1,16})?",
        &[], d::check_ipv6);
    UkNino => "uk_nino", "national_id", Alnum, None, scan(6,
        r"\b[A-Za-z]{2}[ \-]?[0-9]{2}[ \-]?[0-9]{2}[ \-]?[0-9]{2}[ \-]?[A-Da-d]\b", &[], d::check_nino);
    DeSteuerId => "de_steuer_id", "national_id", Alnum, None, None;
    FrNir => "fr_nir", "national_id", Alnum, None, scan(9,
        r"\b[1-478][ ]?[0-9]{2}[ ]?[0-9]{2}[ ]?2[ABab][ ]?[0-9]{3}[ ]?[0-9]{3}[ ]?[0-9]{2}\b", &[], d::check_nir_corsica);
    NlBsn => "nl_bsn", "national_id", Alnum, None, None;
    ItCodiceFiscale => "it_codice_fiscale", "national_id", Alnum, None, scan(7,
        // (or a UK driving licence, which `check_codice_fiscale` tells apart
        // by its sixth character, a digit, and reports as an ID document)
        r"\b(?:[A-Za-z]{6}[0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{3}[A-Za-z]|[A-Za-z][A-Za-z9]{4}[0-9]{6}[A-Za-z9]{2}[0-9][A-Za-z]{2})\b",
        &[], d::check_codice_fiscale);
    EsDni => "es_dni", "national_id", Alnum, None, scan(8,
        r"\b(?:[0-9]{7,8}|[XYZKLMxyzklm][ \-]?[0-9]{7})[ \-]?[A-Za-z]\b", &[], d::check_dni);
    PlPesel => "pl_pesel", "national_id", Alnum, None, None;
    Jwt => "jwt", "credential", Trim, None, scan(1,
        r"\beyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*", &["eyJ"], d::check_jwt);
    AuthCredential => "auth_credential", "credential", Trim, None, scan(2,
        r"\b(?i:bearer|basic|token|apikey|api-key|digest)[ \t]+[A-Za-z0-9._~+/=\-]{8,}|(?:^|[ \t])(?:-u|--user)[ =]+[^\s:'\x22]{1,64}:[^\s'\x22]{1,128}",
        &["bearer", "basic", "token", "apikey", "api-key", "digest", "-u ", "--user"], d::check_auth);
    AwsAccessKey => "aws_access_key", "credential", Trim, None, scan(3,
        r"\b(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b", AWS_PREFIXES, d::check_aws);
    PrivateKey => "private_key", "credential", Trim, None, scan(0,
        r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----[^\-]*(?:-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----)?",
        &["-----BEGIN"], d::check_private_key);
    SePersonnummer => "se_personnummer", "national_id", Alnum, None, None;
    FiHetu => "fi_henkilotunnus", "national_id", Alnum, None, scan(12,
        r"\b[0-3][0-9][01][0-9][0-9]{2}[-+A-FU-Ya-fu-y][0-9]{3}[0-9A-Ya-y]\b", &[], d::check_fi_hetu);
    NoFnr => "no_fodselsnummer", "national_id", Alnum, None, None;
    DkCpr => "dk_cpr", "national_id", Alnum, None, None;
    UkNhs => "uk_nhs", "national_id", Alnum, None, None;
    CaSin => "ca_sin", "national_id", Alnum, None, None;
    Imei => "imei", "device_id", Alnum, None, None;
    BeNationalNumber => "be_national_number", "national_id", Alnum, None, None;
    AtSvnr => "at_social_insurance", "national_id", Alnum, None, None;
    PtNif => "pt_nif", "national_id", Alnum, None, None;
    IePps => "ie_pps", "national_id", Alnum, None, scan(13,
        r"\b[0-9]{7}[A-W][ABHW]?\b", &[], d::check_ie_pps);
    ChAhv => "ch_ahv", "national_id", Alnum, None, None;
    UsItin => "us_itin", "national_id", Alnum, None, None;
    MacAddress => "mac_address", "device_id", Alnum, None, scan(14,
        r"\b[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}\b|\b[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\b",
        &[], d::check_mac);
    BtcAddress => "btc_address", "crypto_wallet", Trim, None, scan(15,
        r"\b(?:[13][1-9A-HJ-NP-Za-km-z]{25,34}|(?:bc|tb|BC|TB)1[02-9ac-hj-np-zAC-HJ-NP-Z]{11,87}|0[xX][0-9A-Fa-f]{40})\b",
        &["bc1", "tb1"], d::check_crypto);
    EthAddress => "eth_address", "crypto_wallet", Trim, None, None;
    UrlCredentials => "url_credentials", "credential", Trim, None, scan(16,
        r"\b[A-Za-z][A-Za-z0-9+.\-]{1,15}://[^\s/?#@:'\x22<>]{1,64}:[^\s/?#@'\x22<>]{0,128}@",
        &[], d::check_url_credentials);
    IdDocument => "id_document_number", "national_id", Alnum, None, scan(18,
        r"(?i:passports?|travel document|reisepass|pass-?nr|passnummer|passeport|pasaporte|passaporto|paspoort|paszport|passaporte|driver'?s? licen[cs]e|driving licen[cs]e|f(?:\xC3\xBC|ue|u)hrerschein|permis de conduire|permiso de conducir|carnet de conducir|patente di guida|rijbewijs|prawo jazdy|carta de condu(?:\xC3\xA7|c)(?:\xC3\xA3|a)o|identity card|id card|personalausweis|ausweis|carte d'identit(?:\xC3\xA9|e)|carta d'identit(?:\xC3\xA0|a)|identiteitskaart|dow(?:\xC3\xB3|o)d osobisty)(?:[ \t:#.\-]{1,3}(?i:no|nr|number|num|nummer|numero|n(?:\xC3\xBA|u)mero|num(?:\xC3\xA9|e)ro|n\xC2\xB0|n\xC2\xBA|is|ist|es|est|\xC3\xA8|was)?){1,3}[ \t:#.\-]{0,3}[A-Za-z0-9][A-Za-z0-9\-]{4,15}\b",
        &["passport", "travel document", "reisepass", "pass-nr", "passnr", "passnummer", "passeport", "pasaporte", "passaporto", "paspoort", "paszport", "licence", "license",
          "hrerschein", "permis de conduire", "permiso de conducir", "carnet de conducir", "patente di guida", "rijbewijs",
          "prawo jazdy", "carta de condu", "identity card", "id card", "ausweis", "carte d'identit", "carta d'identit",
          "identiteitskaart", "osobisty"],
        d::check_id_document);
    EuVat => "eu_vat", "tax_id", Alnum, None, scan(17,
        r"\b(?:ATU[0-9]{8}|(?:BE|DE|DK|FI|IT|PL|PT|SE)[ .\-]?[0-9](?:[ .\-]?[0-9]){7,11}|ES[ \-]?[0-9A-Z][0-9]{7}[0-9A-Z]|FR[ \-]?[0-9A-HJ-NP-Z]{2}[ ]?[0-9]{3}[ ]?[0-9]{3}[ ]?[0-9]{3}|NL[ \-]?[0-9]{9}B[0-9]{2})\b",
        &[], d::check_vat);
    // values under a field name that says what they are (`fields::classify`)
    NameField => "name_field", "person_name", Trim, Some(F::PersonName), None;
    AddressField => "address_field", "postal_address", Trim, Some(F::PostalAddress), None;
    BirthDateField => "birth_date_field", "birth_date", Trim, Some(F::BirthDate), None;
    EmailField => "email_field", "email", Lower, Some(F::Email), None;
    PhoneField => "phone_field", "phone", Alnum, Some(F::Phone), None;
    NationalIdField => "national_id_field", "national_id", Alnum, Some(F::NationalId), None;
    BankAccountField => "bank_account_field", "bank_account", Alnum, Some(F::BankAccount), None;
    PaymentCardField => "payment_card_field", "payment_card", Alnum, Some(F::PaymentCard), None;
    CredentialField => "credential_field", "credential", Trim, Some(F::Credential), None;
    IpAddressField => "ip_address_field", "ip_address", Trim, Some(F::IpAddress), None;
    // free text (`prose`, run by `DetectorSet::scan_text`)
    NameText => "name_text", "person_name", Trim, None, None;
    AddressText => "address_text", "postal_address", Trim, None, None;
    BirthDateText => "birth_date_text", "birth_date", Trim, None, None;
}

/// Built-in categories, in first-use order (custom detectors may add more).
pub static CATEGORIES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut v: Vec<&'static str> = Vec::new();
    for s in SPECS {
        if !v.contains(&s.category) {
            v.push(s.category);
        }
    }
    v
});

/// The scanners of all detectors, in priority order.
pub fn scanners() -> Vec<Scan> {
    let mut v: Vec<Scan> = SPECS.iter().filter_map(|s| s.scan).collect();
    crate::sorting::by_key(&mut v, |s| (usize::from(s.priority), 0));
    v
}

/// The detector that reports values under a field of `kind`.
pub fn field_detector(kind: FieldKind, custom_base: usize) -> u16 {
    if let FieldKind::Custom(i) = kind {
        return (custom_base + i as usize) as u16;
    }
    SPECS
        .iter()
        .position(|s| s.field == Some(kind))
        .map_or(Builtin::NameField as u16, |i| i as u16)
}

/// The canonical form hashed for a category.
pub fn canonical(category: &str, value: &[u8]) -> Vec<u8> {
    let how = SPECS
        .iter()
        .find(|s| s.category == category)
        .map_or(Canonical::Trim, |s| s.canonical);
    match how {
        Canonical::Alnum => value
            .iter()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(u8::to_ascii_uppercase)
            .collect(),
        Canonical::Lower => value.trim_ascii().to_ascii_lowercase(),
        Canonical::Trim => value.trim_ascii().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_unique_and_categories_consistent() {
        for (i, a) in SPECS.iter().enumerate() {
            assert!(SPECS[i + 1..].iter().all(|b| b.id != a.id), "{}", a.id);
            // one canonical form per category (redaction hashes by category)
            let first = SPECS.iter().find(|b| b.category == a.category).map(|b| b.canonical);
            assert_eq!(first, Some(a.canonical), "{}", a.id);
        }
        let mut p: Vec<u8> = scanners().iter().map(|s| s.priority).collect();
        p.dedup();
        assert_eq!(p.len(), scanners().len(), "scanner priorities are distinct");
        assert_eq!(scanners().last().map(|s| s.pattern), Some(NUMERIC), "numeric runs last");
        for k in [
            F::PersonName,
            F::PostalAddress,
            F::BirthDate,
            F::Email,
            F::Phone,
            F::NationalId,
            F::BankAccount,
            F::PaymentCard,
            F::Credential,
            F::IpAddress,
        ] {
            assert_eq!(SPECS.iter().filter(|s| s.field == Some(k)).count(), 1, "{k:?}");
        }
    }
}
