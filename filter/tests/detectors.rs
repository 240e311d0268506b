//! Table-driven tests per detector: the formats people write (positives),
//! look-alikes and impossible values (negatives). Issue 14.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use piiguard::detect::{DetectorSet, Scratch};
use piiguard::fields::{classify, FieldKind, Words};

fn set() -> &'static DetectorSet {
    static SET: std::sync::OnceLock<DetectorSet> = std::sync::OnceLock::new();
    SET.get_or_init(|| DetectorSet::new(&[]).unwrap())
}

fn found(text: &str) -> Vec<(String, String)> {
    let s = set();
    let mut out = Vec::new();
    s.scan(text.as_bytes(), &mut Scratch::default(), &mut out);
    out.iter()
        .map(|m| (s.info[m.detector as usize].id.clone(), text[m.start..m.end].to_string()))
        .collect()
}

/// Each (text, detector, value): exactly that finding.
fn positives(cases: &[(&str, &str, &str)]) {
    for (text, id, value) in cases {
        let f = found(text);
        assert!(
            f.iter().any(|(i, v)| i == id && v == value),
            "{text:?}: expected {id} {value:?}, got {f:?}"
        );
    }
}

/// Nothing of `id` is found in any of `texts`.
fn negatives(id: &str, texts: &[&str]) {
    for text in texts {
        let f = found(text);
        assert!(f.iter().all(|(i, _)| i != id), "{text:?}: unexpected {f:?}");
    }
}

#[test]
fn iban() {
    positives(&[
        ("DE89 3704 0044 0532 0130 00", "iban", "DE89 3704 0044 0532 0130 00"),
        (
            "IBAN: DE 89 3704 0044 0532 0130 00.",
            "iban",
            "DE 89 3704 0044 0532 0130 00",
        ),
        ("DE8937 0400 4405 3201 3000", "iban", "DE8937 0400 4405 3201 3000"),
        ("DE89.3704.0044.0532.0130.00", "iban", "DE89.3704.0044.0532.0130.00"),
        ("BE68539007547034", "iban", "BE68539007547034"),
        ("NL91 ABNA 0417 1643 00", "iban", "NL91 ABNA 0417 1643 00"),
        (
            "IT60 X054 2811 1010 0000 0123 456",
            "iban",
            "IT60 X054 2811 1010 0000 0123 456",
        ),
        ("GB82 WEST 1234 5698 7654 32", "iban", "GB82 WEST 1234 5698 7654 32"),
    ]);
    negatives(
        "iban",
        &[
            // mod-97 holds but the BBAN breaks the country's format
            "DE583704004405320130AB",
            "AT461904300234573A01",
            // Belgian national check digits wrong (IBAN check digits recomputed)
            "BE41539007547035",
            "DE89370400440532013001",
            "at 12 noon tomorrow we meet",
        ],
    );
}

#[test]
fn national_ids() {
    positives(&[
        ("NIE K1234567L", "es_dni", "K1234567L"),
        ("DNI 1234567L", "es_dni", "1234567L"),
        ("DNI 12345678Z", "es_dni", "12345678Z"),
        ("123.45.6789", "us_ssn", "123.45.6789"),
        ("PESEL 90021501350", "pl_pesel", "90021501350"),
        ("PESEL 04222901350", "pl_pesel", "04222901350"),
        ("CF RSSMRA85T10A56NH", "it_codice_fiscale", "RSSMRA85T10A56NH"),
        ("CF RSSMRA85T50A562W", "it_codice_fiscale", "RSSMRA85T50A562W"),
    ]);
    // impossible dates, and PESEL split across separators
    negatives(
        "pl_pesel",
        &["44023101353", "02222901356", "440514 01359", "4405-1401-359"],
    );
    negatives("it_codice_fiscale", &["RSSMRA85T35A562G", "RSSMRA85X10A562D"]);
}

#[test]
fn credentials() {
    positives(&[
        (
            "Authorization: Token 9f8e7d6c5b4a39281706abcd",
            "auth_credential",
            "Token 9f8e7d6c5b4a39281706abcd",
        ),
        ("ApiKey 3kdl9d8a7s6d5f4g3h2jQ", "auth_credential", "ApiKey 3kdl9d8a7s6d5f4g3h2jQ"),
        ("curl -u admin:s3cr3tP4ss https://api.example.com", "auth_credential", "-u admin:s3cr3tP4ss"),
        ("curl --user=bob:hunter22 x", "auth_credential", "--user=bob:hunter22"),
        ("AKIA2E0A8F3B244C9986", "aws_access_key", "AKIA2E0A8F3B244C9986"),
        (
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF3zXbEBCADJ7hF2mQz9kL0pR4sT6uV8wX1yZ3aB5cD7eF9g\n=abcd\n-----END PGP PRIVATE KEY BLOCK-----",
            "private_key",
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF3zXbEBCADJ7hF2mQz9kL0pR4sT6uV8wX1yZ3aB5cD7eF9g\n=abcd\n-----END PGP PRIVATE KEY BLOCK-----",
        ),
    ]);
    negatives("aws_access_key", &["AKIAIOSFODNN7EXAMPLE", "key AKIAI44QH8DHBEXAMPLE"]);
    negatives(
        "private_key",
        &[
            "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----",
            "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
        ],
    );
    negatives(
        "auth_credential",
        &[
            "the token expired yesterday",
            "a token verification step",
            "curl -u $USER:$PASS https://x",
            "digest authentication is old",
        ],
    );
}

#[test]
fn emails_phones_and_ips() {
    positives(&[
        ("mail \"john doe\"@example.com now", "email", "\"john doe\"@example.com"),
        ("ruf 015112345678 an", "phone", "015112345678"),
        ("addr 1::8 up", "ipv6", "1::8"),
        ("net 2001:db8:: here", "ipv6", "2001:db8::"),
        (
            "peer fe80::1ff:fe23:4567:890a%eth0 up",
            "ipv6",
            "fe80::1ff:fe23:4567:890a%eth0",
        ),
    ]);
    negatives("phone", &["order 012345678901234", "id 015112345678901"]);
}

#[test]
fn field_names() {
    let kind = |k: &str| classify(&Words::split(k.as_bytes())).map(|c| c.kind);
    for (k, want) in [
        ("taxpayerId", FieldKind::NationalId),
        ("steuerId", FieldKind::NationalId),
        ("SteuerID", FieldKind::NationalId),
        ("steuer_id", FieldKind::NationalId),
        ("account_holder", FieldKind::PersonName),
        ("accountHolder", FieldKind::PersonName),
        ("nameOnCard", FieldKind::PersonName),
        ("aws_access_key_id", FieldKind::Credential),
        ("ipAddress", FieldKind::IpAddress),
        ("ip_address", FieldKind::IpAddress),
        ("client_ip", FieldKind::IpAddress),
        ("ip", FieldKind::IpAddress),
    ] {
        assert_eq!(kind(k), Some(want), "{k}");
    }
    for k in ["server_ip_address", "hostname", "server_ip", "card", "holder"] {
        assert_eq!(kind(k), None, "{k}");
    }
}

#[test]
fn nordic_and_other_national_numbers() {
    positives(&[
        ("personnummer 811218-9876", "se_personnummer", "811218-9876"),
        ("811218-9876", "se_personnummer", "811218-9876"),
        ("19811218-9876", "se_personnummer", "19811218-9876"),
        ("HETU 131052-308T", "fi_henkilotunnus", "131052-308T"),
        ("131052A308T", "fi_henkilotunnus", "131052A308T"),
        ("150385 12363", "no_fodselsnummer", "150385 12363"),
        ("fødselsnummer 15038512363", "no_fodselsnummer", "15038512363"),
        ("CPR 010190-1234", "dk_cpr", "010190-1234"),
        ("CPR-nr. 0101901234", "dk_cpr", "0101901234"),
        ("NHS number 943 476 5919", "uk_nhs", "943 476 5919"),
        ("SIN: 130 692 544", "ca_sin", "130 692 544"),
        ("IMEI 490154203237518", "imei", "490154203237518"),
    ]);
    negatives("se_personnummer", &["811218-9875", "811318-9876", "order 811218 9876"]);
    negatives("fi_henkilotunnus", &["131052-308U", "321052-308T", "131052Q308T"]);
    negatives("no_fodselsnummer", &["15038512364", "150385 12364"]);
    // without their word these are numbers like any other
    negatives("dk_cpr", &["010190-1234", "ref 0101901234"]);
    negatives("uk_nhs", &["943 476 5919", "call 943 476 5918"]);
    negatives("ca_sin", &["130 692 544", "SIN 130 692 545", "SIN 046 454 286"]);
    negatives("imei", &["490154203237518", "IMEI 490154203237519"]);
}

/// Clean traffic (UUIDs, SKUs, prices, timestamps, ids, versions) yields no
/// finding from any detector.
#[test]
fn clean_json_values_stay_clean() {
    let mut n = 0;
    for i in 0..2000u64 {
        let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let values = [
            format!(
                "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                x as u32,
                (x >> 32) as u16,
                i % 4096,
                (i * 7) % 4096,
                x >> 16
            ),
            format!("SKU-{}-{:05}", i % 97, x % 100_000),
            format!("{}.{:02}", x % 100_000, i % 100),
            format!(
                "2026-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                i % 12 + 1,
                i % 28 + 1,
                i % 24,
                i % 60,
                (i * 7) % 60,
                i % 1000
            ),
            format!("{}", 1_700_000_000 + x % 100_000_000),
            format!("{}", 1_700_000_000_000 + x % 100_000_000_000),
            format!("order {}", 100_000 + x % 900_000),
            format!("v{}.{}.{}", i % 10, i % 30, i % 100),
            format!("{:x}", x),
        ];
        for v in &values {
            let f = found(v);
            n += f.len();
            assert!(f.is_empty(), "{v:?}: {f:?}");
        }
    }
    assert_eq!(n, 0);
}
