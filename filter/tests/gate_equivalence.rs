//! The detectors' gate (`DetectorSet::scan`: the byte classes, their counts
//! and facts — digits, letters, colons, dots, weak separators, line breaks,
//! `/`, capitals — deciding which passes run) finds exactly what the scan
//! without it finds (`DetectorSet::scan_unfaceted`: the automaton over every
//! value, the join pass behind its own per-digit gate alone, URL hosts read
//! in every value with a colon, given names looked for in every value), and
//! the join gate told whether a text holds a line break
//! (`normalize::may_join_digit_groups_in`) answers as the one that reads it
//! for itself. On every string of the case tables, the case files, the prose
//! corpora (whole and per line, and with their line breaks made spaces), the
//! benchmark inputs, values shaped near each fact's threshold, and generated
//! strings (proptest).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use piiguard::detect::{DetectorSet, RawMatch, Scratch};
use piiguard::normalize::{may_join_digit_groups, may_join_digit_groups_in};
use proptest::prelude::*;
use std::sync::OnceLock;

mod common;
use common::corpus;

fn set() -> &'static DetectorSet {
    static SET: OnceLock<DetectorSet> = OnceLock::new();
    SET.get_or_init(|| DetectorSet::new(&[]).unwrap())
}

/// Both scans of `t` (as text, with prose, and as a value); the number of
/// matches found.
fn same(t: &[u8], what: &str) -> usize {
    let s = set();
    let mut scratch = Scratch::default();
    let mut found = 0;
    for prose in [true, false] {
        let (mut gated, mut all) = (Vec::new(), Vec::new());
        if prose {
            s.scan_text(t, &mut scratch, &mut gated);
        } else {
            s.scan(t, &mut scratch, &mut gated);
        }
        s.scan_unfaceted(t, &mut scratch, &mut all, prose);
        if gated != all {
            let show = |v: &[RawMatch]| {
                v.iter()
                    .map(|m| {
                        format!(
                            "{} {}..{} {:?}",
                            m.detector,
                            m.start,
                            m.end,
                            String::from_utf8_lossy(&t[m.start..m.end])
                        )
                    })
                    .collect::<Vec<_>>()
            };
            panic!(
                "{what} (prose {prose}): gated {:#?}\nwithout the gate {:#?}\nin {:?}",
                show(&gated),
                show(&all),
                String::from_utf8_lossy(t)
            );
        }
        found += gated.len();
    }
    let lines = t.iter().any(|&c| c == b'\n' || c == b'\r');
    assert_eq!(
        may_join_digit_groups_in(t, lines),
        may_join_digit_groups(t),
        "{what}: join gate told lines={lines} in {:?}",
        String::from_utf8_lossy(t)
    );
    found
}

/// The text, and (when it has line breaks) the text with each made a space.
fn variants(t: &[u8]) -> Vec<Vec<u8>> {
    let mut v = vec![t.to_vec()];
    if t.iter().any(|&c| c == b'\n' || c == b'\r') {
        v.push(
            t.iter()
                .map(|&c| if c == b'\n' || c == b'\r' { b' ' } else { c })
                .collect(),
        );
    }
    v
}

#[test]
fn same_matches_on_the_case_tables() {
    let mut found = 0;
    let mut texts = corpus::case_strings(1);
    texts.extend(corpus::case_files());
    for (name, t) in corpus::unique(texts) {
        for v in variants(&t) {
            found += same(&v, &name);
        }
    }
    assert!(found > 500, "the case tables have values ({found})");
}

#[test]
fn same_matches_on_the_prose_corpora_and_benchmark_inputs() {
    let mut found = 0;
    let mut texts = corpus::prose(true);
    texts.extend(corpus::bench(8192));
    for (name, t) in corpus::unique(texts) {
        for v in variants(&t) {
            found += same(&v, &name);
        }
    }
    assert!(found > 100, "the corpora have values ({found})");
}

/// Values at each fact's edge: a MAC address with its five separators of
/// each kind (and a UUID's four), a codice fiscale and a UK licence (9 and
/// 3 letters) next to timestamps, digits joined by single characters with
/// nine and eight weak separators, digit groups across line breaks and
/// without them, URL hosts, capitals in and out of ASCII.
#[test]
fn same_matches_at_the_edges_of_the_facts() {
    let rows: &[&str] = &[
        "00:1a:2b:3c:4d:5e",
        "00-1A-2B-3C-4D-5E",
        "001a.2b3c.4d5e",
        "00-1A-2B-3C-4D",
        "mac 00-1A-2B-3C-4D-5E here",
        "3f2a9c1e-7b4d-4a1f-a2c3-9d8e7f6a5b4c",
        "e2c56db5-dffb-48d2-b060-d0f5a71096e0",
        "2026-11-05T12:34:56Z",
        "2026-11-05T12:34:56.123+01:00",
        "RSSMRA85T10A562S",
        "rssmra85t10a562s",
        "MORGA657054SM9IJ",
        "T2026110512345Z9",
        "SKU-12345678",
        "4-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1",
        "4.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1",
        "4_1_1_1_1_1_1_1_1_1_1_1_1_1_1_1",
        "4,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1",
        "1-2-3-4-5-6-7-8-9-0",
        "1-2-3-4-5-6-7-8-9",
        "8-5-0-1-0-1-2-3-4-5",
        "4111\n1111\n1111\n1111",
        "4111\r\n1111\r\n1111\r\n1111",
        "4111\r1111\r1111\r1111",
        "card 4111,\n1111,1111,1111",
        "4111 1111 1111 1111",
        "4111:1111:1111:1111",
        "DE89 3704 0044 0532 0130 00",
        "DE89-3704-0044-0532-0130-00",
        "DE89\n3704\n0044\n0532\n0130\n00",
        "85 01 01\n123 45",
        // a token of two digits before a line break and a word: a candidate
        // only through the line break's arm of the join gate
        "12\nab 3456789012",
        "12\r\nab 3456789012",
        "12 ab 3456789012",
        "8501011234\n",
        "850101-1234",
        "http://3232235786/",
        "http://0xC0A8010A/x",
        "see http://0300.0250.1.10/ now",
        "at 12:30 on 2026-11-05",
        "Sigrid Nyström called",
        "Élodie Martin a écrit",
        "Ånsgar Olsen",
        "call Jane Doe on 020 7946 0958",
        "jane doe",
        "born on 12/03/1985",
        "221B Baker Street",
        "ＳＫＵ－１２３４５６７８",
        "４１１１ １１１１ １１１１ １１１１",
        "IBAN: ＤＥ89 3704 0044 0532 0130 00",
        // prose cues ruled in or out by the bytes of the value alone
        // (`Prose::may_cue`): a cue with a byte above 0x7F, a capital, a
        // `.`, a space; values of hex digits and dashes, timestamps, SKUs
        "Señor Ortega, su paquete",
        "Doña Ortega llamó",
        "Jeanne Dupont, née Martin",
        "Mit freundlichen Grüßen\nOrtega",
        "Dr. Ortega",
        "Mr Ortega",
        "M. Ortega",
        "Bd Ortega 12",
        "12 bd Ortega",
        "Cc: Ortega",
        "De: Ortega",
        "born 1985-03-12",
        "DOB: 12.03.1985",
        "e2c56db5-dffb-48d2-b060-d0f5a71096e0",
        "E2C56DB5-DFFB-48D2-B060-D0F5A71096E0",
        "bd-cc-de-da 12",
        // cues in values of few distinct bytes, where the cue's own bytes
        // (above 0x7F, `.`, a capital, a space, `/`) are what lets it in
        "née le 12.3.1985",
        "né le 12/03/1985",
        "NÉ LE 12.03.1985",
        "geb. 12.03.1985",
        "geb. am 12.3.1985",
        "Cc: Ux Xu",
        "c/ Xu 12",
        "APO AE 09012",
        "I'm Ux",
    ];
    let mut found = 0;
    for r in rows {
        for v in variants(r.as_bytes()) {
            found += same(&v, "edge row");
        }
    }
    // a given name with its capital at every offset from an 8-byte word's
    // start (`Prose::find_in` looks for a capital followed by a lower-case
    // letter eight bytes at a time), after digits, dashes or capitals only
    for k in 0..18 {
        for before in ["1", "-", "X", "1-"] {
            for name in ["Katrine", "Katrine Olsen", "Ola", "Åsa Berg", "Jane Doe"] {
                let t = format!("{}{name}", before.repeat(k).get(..k).unwrap_or_default());
                found += same(t.as_bytes(), "name at an offset");
                found += same(format!("{t} 12").as_bytes(), "name at an offset");
            }
        }
    }
    assert!(found > 15, "the rows hold values ({found})");
}

/// Identifiers of clean responses (UUIDs in both cases, timestamps, SKUs,
/// hex) with a personal value written into them at every offset: a card
/// with `:`, `|`, spaces or a digit per character, IBAN heads and whole
/// IBANs (in capitals and small letters, the countries whose letters are
/// hex digits), a DNI, a phone, single digits and separators. The join
/// gate's reading without line breaks (bit masks) and the IBAN shape's
/// BBAN head decide on these.
#[test]
fn same_matches_on_identifiers_with_values_written_in() {
    let hosts = [
        "3f2a9c1e-7b4d-4a1f-a2c3-9d8e7f6a5b4c",
        "3F2A9C1E-7B4D-4A1F-A2C3-9D8E7F6A5B4C",
        "de12a9c1-7b4d-4a1f-a2c3-9d8e7f6a5b4c",
        "2026-11-05T12:34:56Z",
        "2026-11-05T12:34:56.123+01:00",
        "SKU-12345678",
        "9d8e7f6a5b4c3f2a9c1e",
    ];
    let inserts = [
        "4111:1111:1111:1111",
        "4111|1111|1111|1111",
        "4111 1111 1111 1111",
        "4-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1",
        "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
        "4111111111111111",
        "DE89370400440532013000",
        "DE89 3704 0044 0532 0130 00",
        "de89-3704-0044-0532-0130-00",
        "de89370400440532013000",
        "BE68539007547034",
        "be68-5390-0754-7034",
        "ee38-2200-2210-2014-5685",
        "ad12-0001-2030-2003-5910-0100",
        "ae07-0331-2345-6789-0123-456",
        "ba39-1290-0794-0102-8494",
        // valid IBANs whose BBAN has letters right after its leading
        // digits (Andorra 8, Switzerland 5, Cyprus 8): the shape's digit
        // count at its edge (`iban_head_digits`)
        " AD7112345678ABCDEFGH1234 ",
        "-ad71-1234-5678-abcd-efgh-1234-",
        " CH1704835ABCDEF012345 ",
        " CH17 0483 5ABC DEF0 1234 5 ",
        "-ch17-0483-5abc-def0-1234-5-",
        " CY8112345678ABCDEFGH12345678 ",
        "de12",
        "ad1200",
        "12345678Z",
        "X1234567L",
        "+44 20 7946 0958",
        "020 7946 0958",
        "GB82:WEST:1234:5698:7654:32",
        "1",
        "12",
        "1234",
        "AB12",
        ":",
        "-",
        "|",
        " ",
    ];
    let mut found = 0;
    for h in hosts {
        for ins in inserts {
            for at in 0..=h.len() {
                let t = format!("{}{ins}{}", &h[..at], &h[at..]);
                found += same(t.as_bytes(), "identifier with a value");
            }
            // in place of the identifier's bytes from each offset on
            for at in 0..h.len() {
                let end = (at + ins.len()).min(h.len());
                let t = format!("{}{ins}{}", &h[..at], &h[end..]);
                found += same(t.as_bytes(), "identifier overwritten");
            }
        }
    }
    assert!(found > 1000, "the rows hold values ({found})");
}

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,5}",
        "[a-fA-F0-9]{1,4}",
        "[A-Z]{1,3}",
        "[a-z]{1,6}",
        Just("-".to_string()),
        Just(".".to_string()),
        Just(",".to_string()),
        Just("_".to_string()),
        Just(":".to_string()),
        Just("/".to_string()),
        Just("://".to_string()),
        Just(" ".to_string()),
        // session 13: wider gaps between characters spelled out one by one,
        // and marks and fillers the normaliser drops or reads as a space
        Just("  ".to_string()),
        Just("   ".to_string()),
        Just("\u{640}".to_string()),
        Just("\u{651}".to_string()),
        Just("\u{5b0}".to_string()),
        Just("\u{2800}".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("@".to_string()),
        Just("4111".to_string()),
        Just("Jane".to_string()),
        Just("Élodie".to_string()),
        // values whose byte set rules the prose cues out (or nearly):
        // identifiers, timestamps, SKUs, hex and base64, digits with
        // separators, in either case and with non-ASCII letters
        "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
        "[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}",
        "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9](Z|[+-][01][0-9]:00)",
        "(SKU|sku|ORD|Ref)-[0-9]{4,10}",
        "[0-9a-f]{6,40}",
        "[A-Za-z0-9+/]{4,24}={0,2}",
        "[0-9]{1,4}([ .\\-/:][0-9]{1,4}){1,4}",
        "[a-fA-F]{2,3}",
        "[ñßéüÜÉ]{1,2}",
        // the prose cues, and spellings next to them
        prop::sample::select(CUES).prop_map(str::to_string),
    ]
}

/// Prose cues of every kind (titles, salutations, headers, labels, street
/// words before and after a name, dates of birth), in the spellings the
/// cue automaton lists and some it does not.
const CUES: &[&str] = &[
    "Mr",
    "Mrs",
    "Dr",
    "Dr.",
    "M.",
    "Mme",
    "Herr",
    "Frau",
    "Señor",
    "señora",
    "Doña",
    "doña",
    "Sig.ra",
    "Dear",
    "Hi",
    "Hello",
    "Regards",
    "Best regards",
    "Mit freundlichen Grüßen",
    "To:",
    "From:",
    "Cc",
    "Cc:",
    "De",
    "De:",
    "Da",
    "Name:",
    "name",
    "Street",
    "street",
    "Str.",
    "str",
    "Bd",
    " bd",
    "bd",
    "BD",
    "Ave",
    "Rd",
    "Apt",
    "ul.",
    "c/",
    "Rue",
    "rue",
    "via",
    "Via",
    "Weg",
    "né",
    "née",
    "né le",
    "née le",
    "NÉ LE",
    "born",
    "Born",
    "DOB",
    "dob",
    "Date of Birth",
    "Geburtsdatum",
    "geb.",
    "geb. am",
    "APO",
    "Grüße",
    "Gruß",
    "endereço",
    "praça",
    "ich heiße",
    " de ",
    " da ",
    " van ",
    "I'm",
    "i'm",
    "my name is",
    "Avenue",
    "avenue",
    "Calle",
    "Plaza",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]
    /// A cue and what may follow it, alone: values of few distinct bytes,
    /// where the cue's bytes decide whether the cues are looked for.
    #[test]
    fn same_matches_on_short_values_with_a_cue(
        before in prop::sample::select(&["", " ", "Xu ", "12 "][..]),
        cue in prop::sample::select(CUES),
        sep in prop::sample::select(&["", " ", ": ", ". ", "\n"][..]),
        after in prop_oneof![
            "[0-3]?[0-9][./-][01]?[0-9][./-](19|20)[0-9]{2}",
            "[A-Z][a-z]{1,3}( [A-Z][a-z]{1,4})?",
            "[A-Z]{2} [0-9]{5}",
            "[0-9]{1,5}",
        ],
    ) {
        let t = format!("{before}{cue}{sep}{after}");
        same(t.as_bytes(), "cue value");
    }

    #[test]
    fn same_matches_on_generated_values(parts in proptest::collection::vec(piece(), 1..24)) {
        let t = parts.concat();
        same(t.as_bytes(), "generated");
    }
}
