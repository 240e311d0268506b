//! Digit groups split by separators no pattern reads (red team, issue 12
//! follow-up): cards, IBANs and national ids with check digits are found
//! across `:`, `|`, `*`, `•`, `/`, line breaks and a space after every digit;
//! times, dates, ratios, tables and IPv6 addresses are not.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use piiguard::detect::{DetectorSet, Scratch};

fn set() -> &'static DetectorSet {
    static SET: std::sync::OnceLock<DetectorSet> = std::sync::OnceLock::new();
    SET.get_or_init(|| DetectorSet::new(&[]).unwrap())
}

fn found(text: &str) -> Vec<(String, String)> {
    let s = set();
    let mut out = Vec::new();
    s.scan_text(text.as_bytes(), &mut Scratch::default(), &mut out);
    out.iter()
        .map(|m| (s.info[m.detector as usize].id.clone(), text[m.start..m.end].to_string()))
        .collect()
}

const SEPARATORS: &[&str] = &[
    ":",
    "|",
    " | ",
    "*",
    "\u{2022}",
    " \u{2022} ",
    "\u{b7}",
    "/",
    " / ",
    "\n",
    "\r\n",
    "\\",
    "~",
    "#",
    ";",
];

#[test]
fn cards_split_by_odd_separators_are_found() {
    for card in [
        "4111111111111111",
        "5555555555554444",
        "378282246310005",
        "6011111111111117",
    ] {
        let groups: Vec<&str> = if card.len() == 15 {
            vec![&card[..4], &card[4..10], &card[10..]]
        } else {
            vec![&card[..4], &card[4..8], &card[8..12], &card[12..]]
        };
        for sep in SEPARATORS {
            let v = groups.join(sep);
            let text = format!("paid with {v} today");
            let f = found(&text);
            assert!(f.contains(&("payment_card".into(), v.clone())), "{text:?}: {f:?}");
        }
        // a space (or another separator) after every digit
        for sep in [" ", "|", ":", "\n", " \u{2022} "] {
            let v = card.chars().map(String::from).collect::<Vec<_>>().join(sep);
            let text = format!("card {v} ok");
            let f = found(&text);
            assert!(f.contains(&("payment_card".into(), v.clone())), "{text:?}: {f:?}");
        }
    }
}

#[test]
fn ibans_and_national_ids_split_by_odd_separators_are_found() {
    for (id, groups) in [
        ("iban", vec!["DE89", "3704", "0044", "0532", "0130", "00"]),
        ("iban", vec!["GB82", "WEST", "1234", "5698", "7654", "32"]),
        ("fr_nir", vec!["2", "55", "08", "14", "168", "025", "38"]),
    ] {
        for sep in [":", "|", "*", "\u{2022}", "\n", " / "] {
            let v = groups.join(sep);
            let text = format!("x {v} y");
            let f = found(&text);
            assert!(f.iter().any(|(i, x)| i == id && x == &v), "{text:?}: {f:?}");
        }
    }
}

#[test]
fn joined_findings_keep_their_check_digits() {
    // one digit off: Luhn / mod 97 fail, nothing is found
    for text in [
        "4111:1111:1111:1112",
        "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 2",
        "DE89|3704|0044|0532|0130|01",
        "1234|5678|9012|3456",
    ] {
        let f = found(text);
        assert!(
            f.iter().all(|(i, _)| i != "payment_card" && i != "iban"),
            "{text:?}: {f:?}"
        );
    }
}

#[test]
fn times_dates_ratios_tables_and_addresses_are_not_joined() {
    for text in [
        "12:34:56",
        "2024-01-01 12:34:56.789",
        "2024-01-01T12:34:56Z | 2024-01-02T01:02:03Z",
        "from 10:30:00 to 18:45:00 on 31/12/2024 and 01/01/2025",
        "ratio 16:9, 4:3, 21:9",
        "| 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 |",
        "1|2|3\n4|5|6\n7|8|9",
        "2001:4860:4860:0000:0000:0000:0000:8888",
        "fe80:0000:0000:0000:0202:b3ff:fe1e:8329",
        "v1.2.3 build 2024/06/01 12:00",
        "page 1 of 2 3 4 5 6 7 8 9 10 11 12 13",
        "scores 9 8 7 6 5 4 3 2 1 0 1 2 3 4 5",
    ] {
        let f = found(text);
        assert!(
            f.iter().all(|(i, _)| i != "payment_card" && i != "iban"),
            "{text:?}: {f:?}"
        );
    }
}

/// Random digit groups: joined across `:` or `|`, they are read as cards
/// exactly as often as the same groups written with spaces (the detectors'
/// ordinary form): the joined pass is no looser than the validators.
#[test]
fn false_positive_rate_on_random_groups_is_the_validators() {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let n = 10_000;
    let (mut odd, mut spaced) = (0, 0);
    for k in 0..n {
        let g: Vec<String> = (0..4).map(|_| format!("{:04}", next() % 10_000)).collect();
        let sep = if k % 2 == 0 { ":" } else { "|" };
        let card = |t: String| found(&t).iter().any(|(i, _)| i == "payment_card");
        odd += usize::from(card(format!("id {} end", g.join(sep))));
        spaced += usize::from(card(format!("id {} end", g.join(" "))));
    }
    eprintln!("random 16-digit groups read as cards: {odd} of {n} with odd separators, {spaced} with spaces");
    assert_eq!(odd, spaced);
    assert!(odd > 0 && odd < n / 10, "{odd} of {n}");
}

/// Clean text full of the separators (log lines, pipe tables, paths, times,
/// version strings, phone-like ids): nothing is found by the joined pass
/// that the ordinary scan did not already find on the same text.
#[test]
fn clean_text_with_separators_stays_clean() {
    let mut n = 0;
    for i in 0..3000u64 {
        let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let texts = [
            format!(
                "2026-{:02}-{:02} {:02}:{:02}:{:02} | GET /api/v1/orders/{} | {} | {}ms",
                i % 12 + 1,
                i % 28 + 1,
                i % 24,
                i % 60,
                (i * 7) % 60,
                x % 1_000_000,
                200 + i % 300,
                x % 997
            ),
            format!(
                "| {} | {} | {} | {} |",
                x % 10_000,
                (x >> 8) % 10_000,
                (x >> 16) % 10_000,
                (x >> 24) % 100
            ),
            format!(
                "{}:{}:{}:{}",
                x % 1000,
                (x >> 10) % 1000,
                (x >> 20) % 1000,
                (x >> 30) % 1000
            ),
            format!("{}/{}/{} {}:{}", i % 28 + 1, i % 12 + 1, 2000 + i % 30, i % 24, i % 60),
            format!(
                "build {}.{}.{}*{}",
                i % 10,
                x % 100,
                (x >> 8) % 1000,
                (x >> 16) % 100_000
            ),
        ];
        for t in &texts {
            let f = found(t);
            if f.iter().any(|(i, _)| i == "payment_card" || i == "iban") {
                n += 1;
                eprintln!("{t:?}: {f:?}");
            }
        }
    }
    assert_eq!(n, 0);
}

/// Red team class 3: a card or IBAN glued to letters or digits.
#[test]
fn values_glued_to_letters_are_found_where_the_validator_is_strong() {
    positives_glued(&[
        ("ref4111111111111111x", "payment_card", "4111111111111111"),
        ("card:visa4111111111111111exp1228", "payment_card", "4111111111111111"),
        ("amex378282246310005end", "payment_card", "378282246310005"),
        ("IBANDE89370400440532013000EUR", "iban", "DE89370400440532013000"),
        ("xGB82WEST12345698765432", "iban", "GB82WEST12345698765432"),
        ("FR1420041010050500013M02606paid", "iban", "FR1420041010050500013M02606"),
        ("12DE89370400440532013000", "iban", "DE89370400440532013000"),
    ]);
    // one character off, a hex hash, a different length: nothing
    for text in [
        "ref4111111111111112x",
        "IBANDE89370400440532013001EUR",
        "ref41111111111111111x",
        "ref411111111111x",
    ] {
        let f = found(text);
        assert!(
            f.iter().all(|(i, _)| i != "payment_card" && i != "iban"),
            "{text:?}: {f:?}"
        );
    }
}

fn positives_glued(cases: &[(&str, &str, &str)]) {
    for (text, id, value) in cases {
        let f = found(text);
        assert!(
            f.iter().any(|(i, v)| i == id && v == value),
            "{text:?}: expected {id} {value:?}, got {f:?}"
        );
    }
}

/// Glued ids in clean data: a 16-digit run between letters is read as a
/// card exactly as often as the same digits standing alone (the validators'
/// rate), and IBAN-shaped substrings of random tokens almost never pass.
#[test]
fn glued_false_positives_are_the_validators() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let n = 5_000;
    let (mut glued, mut alone, mut iban) = (0, 0, 0);
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for _ in 0..n {
        let digits = format!("{:016}", next() % 10_000_000_000_000_000);
        let card = |t: String| found(&t).iter().any(|(i, _)| i == "payment_card");
        glued += usize::from(card(format!("ORD{digits}X")));
        alone += usize::from(card(format!("order {digits} x")));
        let token: String = (0..40).map(|_| alphabet[(next() % 36) as usize] as char).collect();
        iban += usize::from(found(&token).iter().any(|(i, _)| i == "iban"));
    }
    eprintln!("glued 16-digit ids read as cards: {glued} of {n} (standing alone: {alone}); random 40-char tokens with an IBAN: {iban} of {n}");
    assert_eq!(glued, alone);
    assert!(iban <= n / 1000, "{iban} of {n}");
}
