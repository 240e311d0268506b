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
        // national check digits that hold
        ("FR1420041010050500013M02606", "iban", "FR1420041010050500013M02606"),
        ("FR7630006000011234567890189", "iban", "FR7630006000011234567890189"),
        ("ES9121000418450200051332", "iban", "ES9121000418450200051332"),
        ("IT60X0542811101000000123456", "iban", "IT60X0542811101000000123456"),
        ("PT50000201231234567890154", "iban", "PT50000201231234567890154"),
        ("NO9386011117947", "iban", "NO9386011117947"),
        ("FI2112345600000785", "iban", "FI2112345600000785"),
    ]);
    negatives(
        "iban",
        &[
            // mod-97 holds but the BBAN breaks the country's format
            "DE583704004405320130AB",
            "AT461904300234573A01",
            // Belgian national check digits wrong (IBAN check digits recomputed)
            "BE41539007547035",
            // national check digits wrong, IBAN check digits recomputed:
            // FR RIB key, ES control digits, IT CIN, PT NIB, NO and FI accounts
            "FR0630006000011234567890188",
            "ES2921000418460200051332",
            "IT64Y0542811101000000123456",
            "PT23000201231234567890155",
            "NO6686011117948",
            "FI9112345600000786",
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
    // a chain of hex pairs longer than an address (a certificate fingerprint)
    negatives("ipv6", &["fp 12:34:56:78:9A:BC:DE:F0:12:34:56:78 ok"]);
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
    // with the words of their countries; the distinctive forms without
    positives(&[
        ("mon NAS: 130 692 544", "ca_sin", "130 692 544"),
        ("Steuer-ID 56913087248", "de_steuer_id", "56913087248"),
        ("Steuer-IdNr.: 56913087248", "de_steuer_id", "56913087248"),
        ("Steueridentifikationsnummer 56913087248", "de_steuer_id", "56913087248"),
        ("NHS 0032000006", "uk_nhs", "0032000006"),
        ("ref 420-007-1088", "uk_nhs", "420-007-1088"),
        ("198511226006", "se_personnummer", "198511226006"),
        ("pnr 8511226006", "se_personnummer", "8511226006"),
        ("PATEL802143AB9XY", "id_document_number", "PATEL802143AB9XY"),
        ("travel document: K48203917", "id_document_number", "K48203917"),
    ]);
    // (an all-distinct Steuer-ID, a compact NHS number, a Sunday timestamp,
    // a licence-shaped code with month 13, a real NANP number)
    negatives(
        "de_steuer_id",
        &["56913087248", "tax 56913087249", "Steuer-ID 56913087249"],
    );
    negatives("uk_nhs", &["0032000006", "4200071088", "120 007 1018", "420-007-1089"]);
    negatives("se_personnummer", &["202611300001", "198511226007", "201913451234"]);
    negatives(
        "id_document_number",
        &["ABCDE613054SM9IJ", "A12803456", "XPATEL802143AB9XY"],
    );
    negatives("it_codice_fiscale", &["PATEL802143AB9XY"]);
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

#[test]
fn more_national_numbers() {
    positives(&[
        // BE rijksregisternummer: born 1985, and born 2001 (the `2` prefix)
        ("85.07.30-033.28", "be_national_number", "85.07.30-033.28"),
        ("rijksregisternummer 85073003328", "be_national_number", "85073003328"),
        ("NN 850730 033 28", "be_national_number", "850730 033 28"),
        ("01.02.03-123.45", "be_national_number", "01.02.03-123.45"),
        // AT SV-Nummer NNNC DDMMYY
        ("SVNR 1237 010180", "at_social_insurance", "1237 010180"),
        ("1237 010180", "at_social_insurance", "1237 010180"),
        (
            "Sozialversicherungsnummer: 1237010180",
            "at_social_insurance",
            "1237010180",
        ),
        // PT NIF: only with its word
        ("NIF 123456789", "pt_nif", "123456789"),
        ("contribuinte n.º 501442600", "pt_nif", "501442600"),
        // IE PPS: 7 digits, check letter, optional second letter
        ("PPS 1234567T", "ie_pps", "1234567T"),
        ("1234567FA", "ie_pps", "1234567FA"),
        ("pps no 1234567TW", "ie_pps", "1234567TW"),
        // CH AHV/AVS 756 + EAN-13
        ("AHV 756.9217.0769.85", "ch_ahv", "756.9217.0769.85"),
        ("7569217076985", "ch_ahv", "7569217076985"),
        // US ITIN 9XX-[50-65,70-88,90-92,94-99]-XXXX
        ("911-70-1234", "us_itin", "911-70-1234"),
        ("911-53-1234", "us_itin", "911-53-1234"),
        ("ITIN 911941234", "us_itin", "911941234"),
    ]);
    negatives(
        "be_national_number",
        &[
            "85.07.30-033.29",
            "85.13.30-033.28",
            "85073003328",
            "order 85073003328",
            "01.02.03-123.46",
        ],
    );
    negatives(
        "at_social_insurance",
        &["1238 010180", "1237 320180", "0237 010180", "ref 1237010180"],
    );
    negatives("pt_nif", &["123456789", "NIF 123456780", "NIF 423456789"]);
    negatives("ie_pps", &["1234567A", "1234567TZ", "1234567t", "PPS 0000000W"]);
    negatives("ch_ahv", &["756.9217.0769.84", "757.9217.0769.85", "7569217076984"]);
    negatives(
        "us_itin",
        &[
            "911-89-1234",
            "911-93-1234",
            "my tax id 911-89-1234",
            "911701234",
            "911-70-0000",
        ],
    );
    // the ITIN range is not an SSN either
    negatives("us_ssn", &["911-70-1234"]);
}

#[test]
fn mac_addresses() {
    positives(&[
        (
            "My MAC address is 00:1A:2B:3C:4D:5E",
            "mac_address",
            "00:1A:2B:3C:4D:5E",
        ),
        ("MAC:00:1A:2B:3C:4D:5E", "mac_address", "00:1A:2B:3C:4D:5E"),
        ("Lowercase MAC: 0a:23:f5:67:89:ac", "mac_address", "0a:23:f5:67:89:ac"),
        ("hw 00-1A-2B-3C-4D-5E up", "mac_address", "00-1A-2B-3C-4D-5E"),
        ("Mixedcase MAC: 0d-B3-4a-6A-d9-cF", "mac_address", "0d-B3-4a-6A-d9-cF"),
        ("Cisco MAC: 0012.3456.789A", "mac_address", "0012.3456.789A"),
        ("aabb.ccdd.eeff", "mac_address", "aabb.ccdd.eeff"),
        ("MACs: 00:11:22:33:44:55 and", "mac_address", "00:11:22:33:44:55"),
    ]);
    negatives(
        "mac_address",
        &[
            "Not a MAC: 00:1A:2B:3C:4D",
            "Invalid: ZZ:ZZ:ZZ:ZZ:ZZ:ZZ",
            "Broadcast: FF:FF:FF:FF:FF:FF",
            "Invalid: 00:00:00:00:00:00",
            "Mixed: 10:2F:33-AC-29-C3",
            // a longer chain of hex pairs: a fingerprint, an IPv6 address
            "sha1 Fingerprint=12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78",
            "fe80:12:34:56:78:9a:bc:de",
            "12-34-56-78-90-12",
            "1234.5678.9012",
            "10:30:00",
        ],
    );
}

#[test]
fn crypto_wallets() {
    positives(&[
        (
            "16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ",
            "btc_address",
            "16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ",
        ),
        (
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            "btc_address",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        ),
        (
            "pay 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 now",
            "btc_address",
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
        ),
        (
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "btc_address",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        ),
        (
            "taproot bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
            "btc_address",
            "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
        ),
        // bech32 is case-insensitive when written in one case
        (
            "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ",
            "btc_address",
            "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ",
        ),
        // EIP-55 test vectors (mixed case: the checksum holds)
        (
            "to 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "eth_address",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        ),
        (
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "eth_address",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        ),
        (
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "eth_address",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        ),
        (
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
            "eth_address",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ),
        // one case: only with a wallet word
        (
            "my ETH wallet: 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
            "eth_address",
            "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
        ),
    ]);
    negatives(
        "btc_address",
        &[
            "16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ2",
            "16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyY",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5MDQ",
            // a bech32 (v0) checksum on a v1 program: bech32m is required
            "bc1pw508d6qejxtdg4c5r6n8nb7sxpc4athpg3h4",
            "8f953371d3e85eddb89b05ed6b9e680791055315c73e1025ab5dba7bb2aee189",
            "11111111111111111111111111111111",
            "31415926535897932384626433832795",
        ],
    );
    negatives(
        "eth_address",
        &[
            // one flipped case: the EIP-55 checksum fails
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
            // one case without a wallet word: a hash, a contract id, anything
            "commit 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
            "0x0000000000000000000000000000000000000000",
        ],
    );
}

#[test]
fn url_credentials() {
    positives(&[
        (
            "db postgres://admin:s3cr3t@db.example.com:5432/app",
            "url_credentials",
            "admin:s3cr3t",
        ),
        (
            "https://jane:Tr0ub4dor@example.org/x",
            "url_credentials",
            "jane:Tr0ub4dor",
        ),
        ("amqp://guest:hunter2@rabbit/", "url_credentials", "guest:hunter2"),
    ]);
    // the host is not reported as an e-mail address
    let f = found("https://jane:Tr0ub4dor@example.org/x");
    assert_eq!(f.len(), 1, "{f:?}");
    negatives(
        "url_credentials",
        &[
            "https://example.org/a:b@c",
            "postgres://user:password@localhost/db",
            "https://user:${PASS}@host/",
            "https://user:***@host/",
            "https://user:@host/",
            "mailto:jane@example.org",
            "https://jane@example.org",
        ],
    );
}

#[test]
fn eu_vat_numbers() {
    positives(&[
        ("DE136695976", "eu_vat", "DE136695976"),
        ("USt-IdNr.: DE 136 695 976", "eu_vat", "DE 136 695 976"),
        ("DE129273398", "eu_vat", "DE129273398"),
        ("ATU10223006", "eu_vat", "ATU10223006"),
        ("DE.136.695.976", "eu_vat", "DE.136.695.976"),
        ("BE0403170701", "eu_vat", "BE0403170701"),
        ("DK13585628", "eu_vat", "DK13585628"),
        ("FI20774740", "eu_vat", "FI20774740"),
        ("FR40303265045", "eu_vat", "FR40303265045"),
        ("IT01333550323", "eu_vat", "IT01333550323"),
        ("NL004495445B01", "eu_vat", "NL004495445B01"),
        ("PL5260250274", "eu_vat", "PL5260250274"),
        ("PT501964843", "eu_vat", "PT501964843"),
        ("SE556188840401", "eu_vat", "SE556188840401"),
        ("ESA28015865", "eu_vat", "ESA28015865"),
        ("ESX1234567L", "eu_vat", "ESX1234567L"),
    ]);
    negatives(
        "eu_vat",
        &[
            "DE123456789",
            "DE136695977",
            "ATU10223007",
            "BE0403170702",
            "DK13585629",
            "FI20774741",
            "FR41303265045",
            "IT01333550324",
            "NL004495446B01",
            "PL5260250275",
            "PT501964844",
            "SE556188840402",
            "ESA28015866",
            "XX136695976",
            "DE1366959761",
        ],
    );
}

#[test]
fn formats() {
    positives(&[
        // CIDR suffixes: the address is found, the prefix length is not part of it
        ("net 10.1.2.3/24 here", "ipv4", "10.1.2.3"),
        ("net 2001:db8::/32 here", "ipv6", "2001:db8::"),
        (
            "net 2001:db8:85a3::8a2e:370:7334/64 here",
            "ipv6",
            "2001:db8:85a3::8a2e:370:7334",
        ),
        // NANP with extensions and dots
        ("call 415-555-2671 x123", "phone", "415-555-2671 x123"),
        ("call 415-555-2671 ext. 123", "phone", "415-555-2671 ext. 123"),
        ("call (415) 555-2671 ext 12 today", "phone", "(415) 555-2671 ext 12"),
        (
            "call 415-555-2671, extension 4411.",
            "phone",
            "415-555-2671, extension 4411",
        ),
        ("call 415.555.2671", "phone", "415.555.2671"),
        ("call 415.555.2671 x55", "phone", "415.555.2671 x55"),
        ("+44 20 7946 0958 ext 7", "phone", "+44 20 7946 0958 ext 7"),
        // codice fiscale written entirely with omocodia letters
        ("CF RSSMRAURTMLARSNL", "it_codice_fiscale", "RSSMRAURTMLARSNL"),
        ("MRTMTTNRDLVFNLRV", "it_codice_fiscale", "MRTMTTNRDLVFNLRV"),
    ]);
    // an extension word that is not followed by its digits is not taken
    positives(&[
        ("call 415-555-2671 extra 12", "phone", "415-555-2671"),
        ("call 415-555-2671 x 12", "phone", "415-555-2671"),
        ("call 415-555-2671 ext", "phone", "415-555-2671"),
    ]);
    negatives("it_codice_fiscale", &["RSSMRAURTMLARSNM", "RSSMRAURTMZARSNL"]);
    // a country code without `+`/`00`: only after a phone word
    positives(&[
        ("tel 49 30 12345678", "phone", "49 30 12345678"),
        ("phone: 44 20 7946 0958", "phone", "44 20 7946 0958"),
        ("Telefon 49 151 23456789", "phone", "49 151 23456789"),
    ]);
    negatives(
        "phone",
        &["49 30 12345678", "order 44 20 7946 0958", "qty 33 12 34 56 78 units"],
    );
}

#[test]
fn identity_documents_with_their_word() {
    positives(&[
        ("passport no. C01X00T47", "id_document_number", "C01X00T47"),
        ("Passport Number: 340020013", "id_document_number", "340020013"),
        ("Reisepass-Nr. C01X00T47", "id_document_number", "C01X00T47"),
        (
            "numéro de passeport? no: passeport n° 12AB34567",
            "id_document_number",
            "12AB34567",
        ),
        (
            "driver's license D1234-5678-9012",
            "id_document_number",
            "D1234-5678-9012",
        ),
        ("Führerschein B072RRE2I55", "id_document_number", "B072RRE2I55"),
        ("rijbewijs 5123456789", "id_document_number", "5123456789"),
        ("Personalausweis: L01X00T47", "id_document_number", "L01X00T47"),
        ("ID card 12AB3456", "id_document_number", "12AB3456"),
        ("my passport number is CD7654321 and", "id_document_number", "CD7654321"),
        ("Pass-Nr.: F12345671", "id_document_number", "F12345671"),
        ("Mi pasaporte es AAA123456", "id_document_number", "AAA123456"),
    ]);
    negatives(
        "id_document_number",
        &[
            "C01X00T47",
            "passport expires 12-05-2026",
            "passport: 12-05-2026",
            "passport photo 2x",
            "driver's license USA",
            "passport 12345",
            "id card AAAAAAAA",
            "the passport is VALID",
            "pass 12345678",
        ],
    );
}

/// Session 13: a country code written in parentheses with its `+` inside
/// (`(+44) 20 7946 0958`), the `(0)` trunk after it too; the whole number
/// is reported. A count in parentheses (`(+5)`, `(+4)`: no country code of
/// one digit but 1 and 7) is not a country code.
#[test]
fn phone_country_code_in_parentheses() {
    positives(&[
        ("call (+44) 20 7946 0958 now", "phone", "(+44) 20 7946 0958"),
        ("call (+44)20 7946 0958", "phone", "(+44)20 7946 0958"),
        ("call (+44)(0)20 7946 0958", "phone", "(+44)(0)20 7946 0958"),
        ("call (+44) (0) 20 7946 0958", "phone", "(+44) (0) 20 7946 0958"),
        ("call (+44)-20-7946-0958", "phone", "(+44)-20-7946-0958"),
        ("call (+49) 30 1234567", "phone", "(+49) 30 1234567"),
        ("call (+33) 6 12 34 56 78", "phone", "(+33) 6 12 34 56 78"),
        ("call (+1) 202 555 0143", "phone", "(+1) 202 555 0143"),
        ("call (+7) 495 123 45 67", "phone", "(+7) 495 123 45 67"),
        ("call (+353) 87 123 4567", "phone", "(+353) 87 123 4567"),
        ("ref(+31) 6 12345678", "phone", "(+31) 6 12345678"),
    ]);
    negatives(
        "phone",
        &[
            "total (+5) 2024 06 20",
            "(+5) 1234 5678 9012",
            "(+12) 3456789",
            "(+44) points in 2024",
            "(+1234) 567 890",
        ],
    );
}

/// Session 13: an address literal as the domain (RFC 5321 4.1.3) is an
/// e-mail address, the whole of it reported; a literal that is no address
/// is not.
#[test]
fn email_with_an_address_literal() {
    positives(&[
        ("to jane@[192.0.2.1] now", "email", "jane@[192.0.2.1]"),
        (
            "to jane.doe@[IPv6:2001:db8::1].",
            "email",
            "jane.doe@[IPv6:2001:db8::1]",
        ),
        ("to j+x@[ipv6:::ffff:192.0.2.1]", "email", "j+x@[ipv6:::ffff:192.0.2.1]"),
        ("ssh user@[10.0.0.1]:22", "email", "user@[10.0.0.1]"),
    ]);
    negatives(
        "email",
        &[
            "x@[999.1.2.3]",
            "y@[IPv6:zz]",
            "ping @[team]",
            "a@[1.2.3]",
            "[IPv6:2001:db8::1]",
        ],
    );
}

/// Session 14: a country code in square brackets (`[+44]`), after a `+` set
/// apart (`+ 44`), or with `00` and a space, or a `+` and a space, in
/// parentheses (`(00 44)`, `(+ 44)`): the whole number is reported. A `+`
/// set apart before no country code (a sum) or a count in brackets is not one.
#[test]
fn phone_country_code_bracketed_or_apart() {
    positives(&[
        ("call [+44] 20 7946 0958 now", "phone", "[+44] 20 7946 0958"),
        ("call [+ 44] 20 7946 0958 now", "phone", "[+ 44] 20 7946 0958"),
        ("call + 44 20 7946 0958 now", "phone", "+ 44 20 7946 0958"),
        ("call + 44 2079460958 now", "phone", "+ 44 2079460958"),
        ("call (00 44) 20 7946 0958 now", "phone", "(00 44) 20 7946 0958"),
        ("call (0044) 20 7946 0958 now", "phone", "(0044) 20 7946 0958"),
        ("call (+ 44) 20 7946 0958 now", "phone", "(+ 44) 20 7946 0958"),
        ("call (00 1) 202 555 0143 now", "phone", "(00 1) 202 555 0143"),
        ("call [+353] 87 123 4567 now", "phone", "[+353] 87 123 4567"),
        ("call + 33 6 12 34 56 78 now", "phone", "+ 33 6 12 34 56 78"),
    ]);
    negatives(
        "phone",
        &[
            "total + 5 1234567 units",
            "x + 12345678 = y",
            "scores [+5] 2024 06 20",
            "refs [12] 345 6789",
            "[+44] points in 2024",
            "(00 12) 345 6789",
        ],
    );
}

/// Session 14: a `+` read as a country code's that gives no number must not
/// hide what follows it: the run is read again without the `+` (found by
/// `scanning::a_value_stays_detected_whatever_surrounds_it`, `+ 123-45-6789`).
#[test]
fn a_failed_country_code_hides_nothing() {
    positives(&[
        ("ref + 123-45-6789 ok", "us_ssn", "123-45-6789"),
        ("ref +123-45-6789 ok", "us_ssn", "123-45-6789"),
    ]);
}
