//! Check-digit and structure validators. Every function takes ASCII and
//! never panics, whatever the input.

/// Luhn (mod 10) over ASCII digits; non-digits make it fail.
pub fn luhn(digits: &[u8]) -> bool {
    if digits.len() < 2 {
        return false;
    }
    let mut sum = 0u32;
    for (i, &c) in digits.iter().rev().enumerate() {
        if !c.is_ascii_digit() {
            return false;
        }
        let mut d = (c - b'0') as u32;
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

fn prefix_num(d: &[u8], n: usize) -> u32 {
    d.iter()
        .take(n)
        .fold(0u32, |acc, &c| acc * 10 + (c.wrapping_sub(b'0') as u32 % 10))
}

/// Maestro's issuer ranges (IIN prefixes 5018, 5020, 5038, 5893, 6304,
/// 6759, 6761-6763, and Maestro UK's 676770 and 676774; 12 to 19 digits:
/// 12 only here, every other brand starts at 13). Not every number of 12 to 19 digits that
/// starts with 5 or 6: Twitter's 18-digit ids begin 50-59, one in ten
/// passes Luhn, and the broad rule read them as cards.
fn maestro(p4: u32, p6: u32) -> bool {
    matches!(p4, 5018 | 5020 | 5038 | 5893 | 6304 | 6759 | 6761..=6763) || matches!(p6, 676_770 | 676_774)
}

/// Payment card: known issuer ranges (IIN) and lengths, plus Luhn.
pub fn payment_card(d: &[u8]) -> bool {
    let len = d.len();
    if !(12..=19).contains(&len) || !d.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let p1 = prefix_num(d, 1);
    let p2 = prefix_num(d, 2);
    let p3 = prefix_num(d, 3);
    let p4 = prefix_num(d, 4);
    let p6 = prefix_num(d, 6);
    if len == 12 {
        // only Maestro issues 12-digit numbers
        return maestro(p4, p6) && luhn(d) && !d.iter().all(|&c| c == d[0]);
    }
    let brand_ok = match p1 {
        // JCB's 15-digit numbers (IIN 1800 and 2131, before the 35 range)
        1 => p4 == 1800 && len == 15,
        4 => matches!(len, 13 | 16 | 19), // Visa
        5 => {
            (((51..=55).contains(&p2) || p4 == 5019) && len == 16) // Mastercard, Dankort
            || (((506_099..=506_198).contains(&p6) || (507_865..=507_964).contains(&p6)) && matches!(len, 16 | 18 | 19)) // Verve
            || ((508_500..=508_999).contains(&p6) && len == 16) // RuPay
            || maestro(p4, p6)
        }
        2 => ((2221..=2720).contains(&p4) && len == 16) || (p4 == 2131 && len == 15), // Mastercard 2-series, JCB
        3 => {
            ((p2 == 34 || p2 == 37) && len == 15)                       // Amex
                || ((3528..=3589).contains(&p4) && (16..=19).contains(&len)) // JCB
                || (((300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39) && (14..=19).contains(&len))
            // Diners
        }
        6 => {
            (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 || (622126..=622925).contains(&p6) || p2 == 62)
                && (16..=19).contains(&len)                              // Discover, UnionPay
                || (p3 == 636 && (16..=19).contains(&len))              // InterPayment
                || ((637..=639).contains(&p3) && len == 16)             // InstaPayment
                || (((606_985..=607_984).contains(&p6) || (608_001..=608_500).contains(&p6)) && len == 16) // RuPay
                || maestro(p4, p6)
        }
        _ => false,
    };
    brand_ok && luhn(d) && !d.iter().all(|&c| c == d[0])
}

/// Expected IBAN length by country (SEPA and the other registry countries).
pub fn iban_length(cc: &[u8]) -> Option<usize> {
    let n = match cc {
        b"AD" => 24,
        b"AE" => 23,
        b"AL" => 28,
        b"AT" => 20,
        b"AZ" => 28,
        b"BA" => 20,
        b"BE" => 16,
        b"BG" => 22,
        b"BH" => 22,
        b"BR" => 29,
        b"BY" => 28,
        b"CH" => 21,
        b"CR" => 22,
        b"CY" => 28,
        b"CZ" => 24,
        b"DE" => 22,
        b"DK" => 18,
        b"DO" => 28,
        b"EE" => 20,
        b"EG" => 29,
        b"ES" => 24,
        b"FI" => 18,
        b"FO" => 18,
        b"FR" => 27,
        b"GB" => 22,
        b"GE" => 22,
        b"GI" => 23,
        b"GL" => 18,
        b"GR" => 27,
        b"GT" => 28,
        b"HR" => 21,
        b"HU" => 28,
        b"IE" => 22,
        b"IL" => 23,
        b"IQ" => 23,
        b"IS" => 26,
        b"IT" => 27,
        b"JO" => 30,
        b"KW" => 30,
        b"KZ" => 20,
        b"LB" => 28,
        b"LC" => 32,
        b"LI" => 21,
        b"LT" => 20,
        b"LU" => 20,
        b"LV" => 21,
        b"MC" => 27,
        b"MD" => 24,
        b"ME" => 22,
        b"MK" => 19,
        b"MR" => 27,
        b"MT" => 31,
        b"MU" => 30,
        b"NL" => 18,
        b"NO" => 15,
        b"PK" => 24,
        b"PL" => 28,
        b"PS" => 29,
        b"PT" => 25,
        b"QA" => 29,
        b"RO" => 24,
        b"RS" => 22,
        b"SA" => 24,
        b"SC" => 31,
        b"SE" => 24,
        b"SI" => 19,
        b"SK" => 24,
        b"SM" => 27,
        b"ST" => 25,
        b"SV" => 28,
        b"TL" => 23,
        b"TN" => 24,
        b"TR" => 26,
        b"UA" => 29,
        b"VA" => 22,
        b"VG" => 24,
        b"XK" => 20,
        _ => return None,
    };
    Some(n)
}

/// The BBAN structure of a country's IBAN (SWIFT IBAN registry), as
/// (count, kind) runs: `n` digits, `a` upper-case letters, `c` alphanumerics.
/// Countries not listed are checked by length and mod-97 only.
pub(crate) fn bban_format(cc: &[u8]) -> Option<&'static [(u8, u8)]> {
    Some(match cc {
        b"AD" => &[(8, b'n'), (12, b'c')],
        b"AT" => &[(16, b'n')],
        b"BE" => &[(12, b'n')],
        b"BG" => &[(4, b'a'), (6, b'n'), (8, b'c')],
        b"CH" | b"LI" => &[(5, b'n'), (12, b'c')],
        b"CY" => &[(8, b'n'), (16, b'c')],
        b"CZ" | b"SK" | b"ES" | b"SE" => &[(20, b'n')],
        b"DE" => &[(18, b'n')],
        b"DK" | b"FI" | b"FO" | b"GL" => &[(14, b'n')],
        b"EE" | b"LT" => &[(16, b'n')],
        b"FR" | b"MC" => &[(10, b'n'), (11, b'c'), (2, b'n')],
        b"GB" | b"IE" => &[(4, b'a'), (14, b'n')],
        b"GR" => &[(7, b'n'), (16, b'c')],
        b"HR" => &[(17, b'n')],
        b"HU" | b"PL" => &[(24, b'n')],
        b"IS" => &[(22, b'n')],
        b"IT" | b"SM" => &[(1, b'a'), (10, b'n'), (12, b'c')],
        b"LU" => &[(3, b'n'), (13, b'c')],
        b"LV" => &[(4, b'a'), (13, b'c')],
        b"MT" => &[(4, b'a'), (5, b'n'), (18, b'c')],
        b"NL" => &[(4, b'a'), (10, b'n')],
        b"NO" => &[(11, b'n')],
        b"PT" => &[(21, b'n')],
        b"RO" => &[(4, b'a'), (16, b'c')],
        b"SI" => &[(15, b'n')],
        _ => return None,
    })
}

/// The IBAN's BBAN (after the 4 leading characters) has its country's
/// structure, and Belgium's national check digits hold.
pub fn iban_bban(iban: &[u8]) -> bool {
    if iban.len() < 5 {
        return false;
    }
    let (cc, bban) = (&iban[..2], &iban[4..]);
    if let Some(fmt) = bban_format(cc) {
        let mut i = 0;
        for &(n, kind) in fmt {
            let n = n as usize;
            let Some(part) = bban.get(i..i + n) else { return false };
            let ok = match kind {
                b'n' => part.iter().all(u8::is_ascii_digit),
                b'a' => part.iter().all(u8::is_ascii_uppercase),
                _ => part.iter().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()),
            };
            if !ok {
                return false;
            }
            i += n;
        }
        if i != bban.len() {
            return false;
        }
    }
    if bban_format(cc).is_none() {
        return true;
    }
    national_check(cc, bban)
}

/// National check digits inside a BBAN of the right format, for the
/// countries that document them; true for the others.
fn national_check(cc: &[u8], b: &[u8]) -> bool {
    let num = |d: &[u8]| d.iter().fold(0u64, |a, &c| a * 10 + (c - b'0') as u64);
    match cc {
        // account number: the first 10 digits mod 97 give the last 2 (97 for 0)
        b"BE" => {
            let r = num(&b[..10]) % 97;
            num(&b[10..12]) == if r == 0 { 97 } else { r }
        }
        // RIB key: 97 - (89 bank + 15 branch + 3 account) mod 97, letters of
        // the account as digits (A/J=1, B/K/S=2, ...)
        b"FR" | b"MC" => {
            let mut acc = 0u64;
            for &c in &b[10..21] {
                let d = match c {
                    b'0'..=b'9' => c - b'0',
                    b'A'..=b'I' => c - b'A' + 1,
                    b'J'..=b'R' => c - b'J' + 1,
                    b'S'..=b'Z' => c - b'S' + 2,
                    _ => return false,
                };
                acc = acc * 10 + d as u64;
            }
            97 - (89 * num(&b[..5]) + 15 * num(&b[5..10]) + 3 * acc) % 97 == num(&b[21..23])
        }
        // two control digits: bank+branch, then the account (weights 1,2,4,8,5,10,9,7,3,6)
        b"ES" => {
            const W: [u64; 10] = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6];
            let dc = |d: &[u8]| -> u64 {
                let s: u64 = d.iter().zip(W).map(|(&c, w)| (c - b'0') as u64 * w).sum();
                match 11 - s % 11 {
                    11 => 0,
                    10 => 1,
                    k => k,
                }
            };
            let mut first = [b'0'; 10];
            first[2..].copy_from_slice(&b[..8]);
            dc(&first) == (b[8] - b'0') as u64 && dc(&b[10..20]) == (b[9] - b'0') as u64
        }
        // CIN: the check letter of ABI+CAB+account, codice-fiscale style
        b"IT" | b"SM" => {
            const ODD: [u32; 26] = [
                1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
            ];
            let mut sum = 0u32;
            for (i, &c) in b[1..23].iter().enumerate() {
                let v = if c.is_ascii_digit() { c - b'0' } else { c - b'A' } as usize;
                sum += if i % 2 == 0 { ODD[v % 26] } else { v as u32 };
            }
            b[0] == b'A' + (sum % 26) as u8
        }
        // NIB: 98 - (first 19 digits * 100) mod 97
        b"PT" => 98 - (num(&b[..19]) % 97 * 100) % 97 == num(&b[19..21]),
        // account number: weights 5,4,3,2,7,6,5,4,3,2 mod 11
        b"NO" => {
            const W: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
            let s: u32 = b[..10].iter().zip(W).map(|(&c, w)| (c - b'0') as u32 * w).sum();
            match 11 - s % 11 {
                11 => b[10] == b'0',
                10 => false,
                k => (b[10] - b'0') as u32 == k,
            }
        }
        // Finnish account numbers carry a Luhn digit
        b"FI" => luhn(b),
        _ => true,
    }
}

/// ISO 13616 mod-97 check over an IBAN given as uppercase alphanumerics.
pub fn iban_mod97(iban: &[u8]) -> bool {
    if iban.len() < 15 || iban.len() > 34 {
        return false;
    }
    let mut rem: u32 = 0;
    let (head, tail) = iban.split_at(4);
    for &c in tail.iter().chain(head.iter()) {
        if c.is_ascii_digit() {
            rem = (rem * 10 + (c - b'0') as u32) % 97;
        } else if c.is_ascii_uppercase() {
            let v = (c - b'A') as u32 + 10;
            rem = (rem * 100 + v) % 97;
        } else {
            return false;
        }
    }
    rem == 1
}

/// US SSN digits (9): impossible areas (000, 666, 900-999), group 00 and
/// serial 0000 are rejected.
pub fn us_ssn(d: &[u8]) -> bool {
    if d.len() != 9 || !d.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let area = prefix_num(d, 3);
    let group = prefix_num(&d[3..], 2);
    let serial = prefix_num(&d[5..], 4);
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// Dutch BSN: 9 digits, "11-proef".
pub fn nl_bsn(d: &[u8]) -> bool {
    if d.len() != 9 || !d.iter().all(u8::is_ascii_digit) || d.iter().all(|&c| c == b'0') {
        return false;
    }
    let mut sum: i32 = 0;
    for (i, &c) in d.iter().enumerate() {
        let w = if i == 8 { -1 } else { 9 - i as i32 };
        sum += w * (c - b'0') as i32;
    }
    sum % 11 == 0
}

/// German tax identification number (Steuer-ID): 11 digits, first not 0,
/// one digit repeated in the first ten, ISO 7064 MOD 11,10 check digit.
pub fn de_steuer_id(d: &[u8]) -> bool {
    if d.len() != 11 || d[0] == b'0' || !d.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut counts = [0u8; 10];
    for &c in &d[..10] {
        counts[(c - b'0') as usize] += 1;
    }
    let repeated = counts.iter().filter(|&&n| n >= 2).count();
    if repeated != 1 || counts.iter().any(|&n| n > 3) {
        return false;
    }
    steuer_check(d)
}

/// [`de_steuer_id`] without the rule that one digit of the first ten be
/// repeated (numbers written as examples often have none): the check digit,
/// a first digit not 0, no digit more than three times. Only for a number
/// named as a Steuer-ID.
pub fn de_steuer_id_loose(d: &[u8]) -> bool {
    if d.len() != 11 || d[0] == b'0' || !d.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut counts = [0u8; 10];
    for &c in &d[..10] {
        counts[(c - b'0') as usize] += 1;
    }
    if counts.iter().any(|&n| n > 3) {
        return false;
    }
    steuer_check(d)
}

/// The ISO 7064 MOD 11,10 check digit of an 11-digit Steuer-ID.
fn steuer_check(d: &[u8]) -> bool {
    let mut product = 10u32;
    for &c in &d[..10] {
        let mut sum = ((c - b'0') as u32 + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (sum * 2) % 11;
    }
    let mut check = 11 - product;
    if check == 10 {
        check = 0;
    }
    check == (d[10] - b'0') as u32
}

/// Polish PESEL: 11 digits, encoded birth date, weighted check digit.
pub fn pl_pesel(d: &[u8]) -> bool {
    if d.len() != 11 || !d.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let month = prefix_num(&d[2..], 2);
    let day = prefix_num(&d[4..], 2);
    let m = month % 20;
    // months 81-92: 1800s, 01-12: 1900s, 21-32: 2000s, 41-52: 2100s, 61-72: 2200s
    let century = match month / 20 {
        4 => 1800,
        0 => 1900,
        1 => 2000,
        2 => 2100,
        3 => 2200,
        _ => return false,
    };
    let year = century + prefix_num(d, 2);
    if !(1..=12).contains(&m) || day == 0 || day > days_in_month(year, m) {
        return false;
    }
    const W: [u32; 10] = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
    let sum: u32 = d[..10].iter().zip(W).map(|(&c, w)| (c - b'0') as u32 * w).sum();
    (10 - sum % 10) % 10 == (d[10] - b'0') as u32
}

/// Days in `month` (1-12) of `year` (Gregorian).
pub fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        _ => 0,
    }
}

/// French NIR (numéro de sécurité sociale): 13 digits + 2-digit key
/// (97 - n mod 97). Corsican departments 2A/2B are given as 19/18.
pub fn fr_nir(d: &[u8]) -> bool {
    if d.len() != 15 || !d.iter().all(u8::is_ascii_digit) {
        return false;
    }
    if !matches!(d[0], b'1' | b'2' | b'3' | b'4' | b'7' | b'8') {
        return false;
    }
    let month = prefix_num(&d[3..], 2);
    if !((1..=12).contains(&month) || (20..=99).contains(&month)) {
        return false;
    }
    let n = d[..13].iter().fold(0u64, |acc, &c| acc * 10 + (c - b'0') as u64);
    let key = prefix_num(&d[13..], 2) as u64;
    97 - n % 97 == key
}

/// French NIR written with a Corsican department (2A / 2B).
pub fn fr_nir_corsica(s: &[u8]) -> bool {
    if s.len() != 15 {
        return false;
    }
    let mut d = [0u8; 15];
    d.copy_from_slice(s);
    let sub = match (d[5], d[6]) {
        (b'2', b'A') => 1_000_000u64,
        (b'2', b'B') => 2_000_000u64,
        _ => return fr_nir(s),
    };
    d[6] = b'0';
    if !d.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let n = d[..13].iter().fold(0u64, |acc, &c| acc * 10 + (c - b'0') as u64) - sub;
    let key = prefix_num(&d[13..], 2) as u64;
    97 - n % 97 == key
}

/// UK National Insurance number structure (it has no check digit): valid
/// prefix letters, 6 digits, suffix A-D.
pub fn uk_nino(s: &[u8]) -> bool {
    if s.len() != 9 {
        return false;
    }
    let (a, b) = (s[0], s[1]);
    if !a.is_ascii_uppercase() || !b.is_ascii_uppercase() {
        return false;
    }
    if matches!(a, b'D' | b'F' | b'I' | b'Q' | b'U' | b'V')
        || matches!(b, b'D' | b'F' | b'I' | b'O' | b'Q' | b'U' | b'V')
    {
        return false;
    }
    if matches!(&s[..2], b"BG" | b"GB" | b"KN" | b"NK" | b"NT" | b"TN" | b"ZZ") {
        return false;
    }
    s[2..8].iter().all(u8::is_ascii_digit) && matches!(s[8], b'A'..=b'D')
}

/// Spanish DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter).
pub fn es_dni_nie(s: &[u8]) -> bool {
    const LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    // a DNI written without its leading zero
    if s.len() == 8 && s[..7].iter().all(u8::is_ascii_digit) {
        let mut p = [b'0'; 9];
        p[1..].copy_from_slice(s);
        return es_dni_nie(&p);
    }
    if s.len() != 9 {
        return false;
    }
    let first = match s[0] {
        // K (under 14), L (non-resident Spaniards), M (foreigners without NIE) count as 0
        b'X' | b'K' | b'L' | b'M' => 0,
        b'Y' => 1,
        b'Z' => 2,
        c if c.is_ascii_digit() => (c - b'0') as u32,
        _ => return false,
    };
    if !s[1..8].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let n = s[1..8].iter().fold(first, |acc, &c| acc * 10 + (c - b'0') as u32);
    LETTERS[(n % 23) as usize] == s[8]
}

/// Italian codice fiscale (16 characters, omocodia allowed), check letter.
pub fn it_codice_fiscale(s: &[u8]) -> bool {
    const ODD: [u32; 26] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
    ];
    if s.len() != 16 || !s.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    // omocodia: digits of the number may be replaced by L M N P Q R S T U V
    let digit = |c: u8| -> Option<u32> {
        match c.to_ascii_uppercase() {
            c @ b'0'..=b'9' => Some((c - b'0') as u32),
            c => b"LMNPQRSTUV".iter().position(|&x| x == c).map(|p| p as u32),
        }
    };
    // birth month letter and day (1-31, women 41-71) must exist
    let month = match b"ABCDEHLMPRST".iter().position(|&x| x == s[8].to_ascii_uppercase()) {
        Some(m) => m as u32 + 1,
        None => return false,
    };
    let (Some(d1), Some(d2), Some(y1), Some(y2)) = (digit(s[9]), digit(s[10]), digit(s[6]), digit(s[7])) else {
        return false;
    };
    let day = (d1 * 10 + d2) % 40;
    // the century is not encoded: 29 February is possible in any year ending 00/04/...
    if day == 0
        || day > days_in_month(2000 + y1 * 10 + y2, month)
        || d1 * 10 + d2 > 71
        || (32..41).contains(&(d1 * 10 + d2))
    {
        return false;
    }
    let mut sum = 0u32;
    for (i, &c) in s[..15].iter().enumerate() {
        let c = c.to_ascii_uppercase();
        let idx = if c.is_ascii_digit() {
            (c - b'0') as usize
        } else {
            (c - b'A') as usize
        };
        sum += if i % 2 == 0 { ODD[idx] } else { idx as u32 };
    }
    (b'A' + (sum % 26) as u8) == s[15].to_ascii_uppercase()
}

fn digits_ok(d: &[u8], n: usize) -> bool {
    d.len() == n && d.iter().all(u8::is_ascii_digit)
}

/// A day and month that exist (year unknown: 29 February allowed).
fn date_ok(day: u32, month: u32) -> bool {
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(2000, month)
}

/// Swedish personnummer (10 digits YYMMDDNNNN; day + 60 for a
/// samordningsnummer): a real date and the Luhn check.
pub fn se_personnummer(d: &[u8]) -> bool {
    if !digits_ok(d, 10) {
        return false;
    }
    let (m, day) = (prefix_num(&d[2..], 2), prefix_num(&d[4..], 2));
    let day = if day > 60 { day - 60 } else { day };
    date_ok(day, m) && luhn(d)
}

/// Swedish personnummer with the century, YYYYMMDDNNNN: born 1800-2099
/// and [`se_personnummer`] on the last ten digits.
pub fn se_personnummer_century(d: &[u8]) -> bool {
    digits_ok(d, 12) && matches!(&d[..2], b"18" | b"19" | b"20") && se_personnummer(&d[2..])
}

/// Four digits that read as a time of day, hhmm (00:00-23:59).
pub fn hhmm(d: &[u8]) -> bool {
    digits_ok(d, 4) && prefix_num(d, 2) < 24 && prefix_num(&d[2..], 2) < 60
}

/// UK (DVLA) driving licence number, 16 characters: the surname's first
/// five letters (padded with 9s), the birth decade, month (+50 for women),
/// day and year digit, two initials (9 for none), a digit and two check
/// letters. The month and day must exist; letters all upper or all lower.
pub fn uk_driving_licence(s: &[u8]) -> bool {
    if s.len() != 16 {
        return false;
    }
    let letters = s.iter().filter(|c| c.is_ascii_alphabetic());
    let upper = s[0].is_ascii_uppercase();
    if !letters.clone().all(|c| c.is_ascii_uppercase() == upper) {
        return false;
    }
    let letter = |c: u8| c.is_ascii_alphabetic();
    // surname: a letter, then letters, then only padding 9s
    let pad = s[1..5].iter().position(|&c| c == b'9').map_or(5, |p| p + 1);
    if !letter(s[0]) || !s[1..pad].iter().all(|&c| letter(c)) || !s[pad..5].iter().all(|&c| c == b'9') {
        return false;
    }
    if !s[5..11].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let month = prefix_num(&s[6..], 2);
    let month = if month > 50 { month - 50 } else { month };
    if !date_ok(prefix_num(&s[8..], 2), month) {
        return false;
    }
    letter(s[11]) && (letter(s[12]) || s[12] == b'9') && s[13].is_ascii_digit() && letter(s[14]) && letter(s[15])
}

/// Finnish henkilötunnus DDMMYYCNNNK (C the century sign), check character
/// of DDMMYYNNN mod 31.
pub fn fi_hetu(s: &[u8]) -> bool {
    const CHECK: &[u8; 31] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";
    if s.len() != 11 || !s[..6].iter().all(u8::is_ascii_digit) || !s[7..10].iter().all(u8::is_ascii_digit) {
        return false;
    }
    if !matches!(s[6], b'+' | b'-' | b'A'..=b'F' | b'U'..=b'Y') {
        return false;
    }
    if !date_ok(prefix_num(s, 2), prefix_num(&s[2..], 2)) {
        return false;
    }
    let n = s[..6]
        .iter()
        .chain(&s[7..10])
        .fold(0u64, |a, &c| a * 10 + (c - b'0') as u64);
    CHECK[(n % 31) as usize] == s[10]
}

/// Norwegian fødselsnummer: DDMMYY (D-numbers add 40 to the day) and two
/// mod-11 check digits.
pub fn no_fnr(d: &[u8]) -> bool {
    if !digits_ok(d, 11) {
        return false;
    }
    let day = prefix_num(d, 2);
    let day = if day > 40 { day - 40 } else { day };
    if !date_ok(day, prefix_num(&d[2..], 2)) {
        return false;
    }
    let k = |w: &[u32], n: usize| -> Option<u32> {
        let sum: u32 = d[..n].iter().zip(w).map(|(&c, &w)| (c - b'0') as u32 * w).sum();
        match 11 - sum % 11 {
            11 => Some(0),
            10 => None,
            k => Some(k),
        }
    };
    k(&[3, 7, 6, 1, 8, 9, 4, 5, 2], 9) == Some((d[9] - b'0') as u32)
        && k(&[5, 4, 3, 2, 7, 6, 5, 4, 3, 2], 10) == Some((d[10] - b'0') as u32)
}

/// Danish CPR number: DDMMYY-SSSS with a real date (the mod-11 check was
/// dropped in 2007, so the date is all there is: use with context only).
pub fn dk_cpr(d: &[u8]) -> bool {
    digits_ok(d, 10) && date_ok(prefix_num(d, 2), prefix_num(&d[2..], 2))
}

/// UK NHS number: 10 digits, weights 10..2, mod-11 check digit.
pub fn uk_nhs(d: &[u8]) -> bool {
    if !digits_ok(d, 10) {
        return false;
    }
    let sum: u32 = d[..9]
        .iter()
        .zip((2..=10).rev())
        .map(|(&c, w)| (c - b'0') as u32 * w)
        .sum();
    match 11 - sum % 11 {
        11 => d[9] == b'0',
        10 => false,
        k => (d[9] - b'0') as u32 == k,
    }
}

/// Canadian SIN: 9 digits, Luhn, first digit not 0 or 8.
pub fn ca_sin(d: &[u8]) -> bool {
    digits_ok(d, 9) && !matches!(d[0], b'0' | b'8') && luhn(d)
}

/// IPv4 dotted quad; unspecified, loopback and broadcast are not personal.
pub fn ipv4(groups: &[&[u8]]) -> bool {
    if groups.len() != 4 {
        return false;
    }
    let mut o = [0u32; 4];
    for (i, g) in groups.iter().enumerate() {
        if g.is_empty() || g.len() > 3 || (g.len() > 1 && g[0] == b'0') {
            return false;
        }
        o[i] = prefix_num(g, 3);
        if o[i] > 255 {
            return false;
        }
    }
    !(o[0] == 0 || o[0] == 127 || o == [255, 255, 255, 255])
}

/// Belgian national register number (rijksregisternummer / numéro national):
/// YYMMDD SSS CC. The check is 97 minus the first nine digits mod 97, with a
/// `2` prefixed to them for births from 2000 on. The month is 0 for an
/// unknown date and +20/+40 for BIS numbers.
pub fn be_national_number(d: &[u8]) -> bool {
    if !digits_ok(d, 11) {
        return false;
    }
    let (m, day) = (prefix_num(&d[2..], 2), prefix_num(&d[4..], 2));
    let m = if m > 40 {
        m - 40
    } else if m > 20 {
        m - 20
    } else {
        m
    };
    let date = (m == 0 && day <= 31) || (m <= 12 && (day == 0 || date_ok(day, m)));
    if !date || prefix_num(&d[6..], 3) == 0 {
        return false;
    }
    let base = d[..9].iter().fold(0u64, |a, &c| a * 10 + (c - b'0') as u64);
    let check = prefix_num(&d[9..], 2) as u64;
    97 - base % 97 == check || 97 - (2_000_000_000 + base) % 97 == check
}

/// Austrian social insurance number (Sozialversicherungsnummer): NNNC DDMMYY,
/// check digit C = weighted sum mod 11 (10 is never issued). Months 13-14
/// stand for an unknown date.
pub fn at_svnr(d: &[u8]) -> bool {
    if !digits_ok(d, 10) || d[0] == b'0' {
        return false;
    }
    let (day, m) = (prefix_num(&d[4..], 2), prefix_num(&d[6..], 2));
    if !(date_ok(day, m) || ((13..=14).contains(&m) && (1..=31).contains(&day))) {
        return false;
    }
    const W: [u32; 10] = [3, 7, 9, 0, 5, 8, 4, 2, 1, 6];
    let sum: u32 = d.iter().zip(W).map(|(&c, w)| (c - b'0') as u32 * w).sum();
    let k = sum % 11;
    k < 10 && k == (d[3] - b'0') as u32
}

/// Portuguese NIF (número de contribuinte): 9 digits, mod-11 check digit
/// (10 and 11 give 0); the first digit says what kind of taxpayer it is.
pub fn pt_nif(d: &[u8]) -> bool {
    if !digits_ok(d, 9) || matches!(d[0], b'0' | b'4') {
        return false;
    }
    let sum: u32 = d[..8]
        .iter()
        .zip((2..=9).rev())
        .map(|(&c, w)| (c - b'0') as u32 * w)
        .sum();
    let k = 11 - sum % 11;
    let k = if k >= 10 { 0 } else { k };
    k == (d[8] - b'0') as u32
}

/// Irish PPS number: 7 digits, a check letter (weights 8..2 mod 23, `W`
/// for 0) and an optional second letter (`W`, or `A`, `B`, `H`... which
/// counts 9 times its place in the alphabet).
pub fn ie_pps(s: &[u8]) -> bool {
    const CHECK: &[u8; 23] = b"WABCDEFGHIJKLMNOPQRSTUV";
    if !(8..=9).contains(&s.len()) || !s[..7].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut sum: u32 = s[..7]
        .iter()
        .zip((2..=8).rev())
        .map(|(&c, w)| (c - b'0') as u32 * w)
        .sum();
    if let Some(&l) = s.get(8) {
        match l {
            b'W' => {}
            b'A'..=b'I' => sum += 9 * (l - b'A' + 1) as u32,
            _ => return false,
        }
    }
    s[..7].iter().any(|&c| c != b'0') && CHECK[(sum % 23) as usize] == s[7]
}

/// Swiss AHV/AVS number: 13 digits, the country code 756, EAN-13 check digit.
pub fn ch_ahv(d: &[u8]) -> bool {
    digits_ok(d, 13) && d.starts_with(b"756") && ean13(d)
}

/// EAN-13: weights 1,3,1,3... over the first 12 digits.
fn ean13(d: &[u8]) -> bool {
    let sum: u32 = d[..12]
        .iter()
        .enumerate()
        .map(|(i, &c)| (c - b'0') as u32 * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    (10 - sum % 10) % 10 == (d[12] - b'0') as u32
}

/// US ITIN: 9XX-GG-NNNN with the group in 50-65, 70-88, 90-92 or 94-99.
pub fn us_itin(d: &[u8]) -> bool {
    digits_ok(d, 9)
        && d[0] == b'9'
        && matches!(prefix_num(&d[3..], 2), 50..=65 | 70..=88 | 90..=92 | 94..=99)
        && prefix_num(&d[5..], 4) != 0
}

/// MAC-48 address as 12 hex digits: not all zero, not the broadcast
/// address (neither names a device).
pub fn mac_address(hex: &[u8]) -> bool {
    hex.len() == 12
        && hex.iter().all(u8::is_ascii_hexdigit)
        && !hex.iter().all(|&c| c == b'0')
        && !hex.iter().all(|&c| c == b'f' || c == b'F')
}

const BASE58: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Bitcoin P2PKH (`1...`) or P2SH (`3...`) address: base58, 25 bytes
/// (version 0x00 or 0x05, 20-byte hash, 4-byte checksum), checksum = the
/// first four bytes of SHA-256(SHA-256(version + hash)).
pub fn btc_base58(s: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    if !(26..=35).contains(&s.len()) {
        return false;
    }
    let mut out = [0u8; 25];
    for &c in s {
        let Some(v) = BASE58.iter().position(|&b| b == c) else {
            return false;
        };
        let mut carry = v as u32;
        for b in out.iter_mut().rev() {
            carry += *b as u32 * 58;
            *b = (carry & 0xff) as u8;
            carry >>= 8;
        }
        if carry != 0 {
            return false;
        }
    }
    // each leading '1' is one leading zero byte, and only those are
    let ones = s.iter().take_while(|&&c| c == b'1').count();
    let zeros = out.iter().take_while(|&&b| b == 0).count();
    if ones != zeros {
        return false;
    }
    if !matches!((s[0], out[0]), (b'1', 0x00) | (b'3', 0x05)) {
        return false;
    }
    let h = Sha256::digest(Sha256::digest(&out[..21]));
    h[..4] == out[21..]
}

/// Bech32 (BIP 173) / bech32m (BIP 350) segwit address for `bc` or `tb`:
/// one case, the checksum of the right variant for the witness version,
/// and a witness program of a valid length.
pub fn btc_bech32(s: &[u8]) -> bool {
    const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    if !(14..=90).contains(&s.len()) {
        return false;
    }
    let lower = !s.iter().any(u8::is_ascii_uppercase);
    let upper = !s.iter().any(u8::is_ascii_lowercase);
    if !(lower || upper) {
        return false;
    }
    let s: Vec<u8> = s.iter().map(u8::to_ascii_lowercase).collect();
    let Some(sep) = s.iter().rposition(|&c| c == b'1') else {
        return false;
    };
    let (hrp, data) = (&s[..sep], &s[sep + 1..]);
    if !matches!(hrp, b"bc" | b"tb") || data.len() < 7 {
        return false;
    }
    let mut vals = Vec::with_capacity(data.len());
    for &c in data {
        let Some(v) = CHARSET.iter().position(|&b| b == c) else {
            return false;
        };
        vals.push(v as u8);
    }
    fn polymod(v: impl Iterator<Item = u8>) -> u32 {
        const G: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
        let mut chk = 1u32;
        for x in v {
            let b = chk >> 25;
            chk = ((chk & 0x1ff_ffff) << 5) ^ x as u32;
            for (i, g) in G.iter().enumerate() {
                if (b >> i) & 1 == 1 {
                    chk ^= g;
                }
            }
        }
        chk
    }
    let expanded = hrp
        .iter()
        .map(|c| c >> 5)
        .chain(std::iter::once(0))
        .chain(hrp.iter().map(|c| c & 31))
        .chain(vals.iter().copied());
    let version = vals[0];
    let want = if version == 0 { 1 } else { 0x2bc8_30a3 };
    if version > 16 || polymod(expanded) != want {
        return false;
    }
    let bits = (vals.len() - 7) * 5;
    let bytes = bits / 8;
    // padding: at most 4 bits, all zero
    let pad_ok = bits % 8 <= 4 && {
        let last = vals[vals.len() - 7] as u32;
        last & ((1 << (bits % 8)) - 1) == 0
    };
    pad_ok && (2..=40).contains(&bytes) && (version != 0 || bytes == 20 || bytes == 32)
}

/// Keccak-256 (the pre-standard SHA-3 padding Ethereum uses) of a message
/// shorter than one block (136 bytes); `None` for longer ones.
pub fn keccak256_short(msg: &[u8]) -> Option<[u8; 32]> {
    const RATE: usize = 136;
    if msg.len() >= RATE {
        return None;
    }
    let mut block = [0u8; RATE];
    block[..msg.len()].copy_from_slice(msg);
    block[msg.len()] ^= 0x01;
    block[RATE - 1] ^= 0x80;
    let mut a = [0u64; 25];
    for (i, lane) in a.iter_mut().take(RATE / 8).enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(&block[8 * i..8 * i + 8]);
        *lane ^= u64::from_le_bytes(b);
    }
    keccak_f(&mut a);
    let mut out = [0u8; 32];
    for (i, lane) in a.iter().take(4).enumerate() {
        out[8 * i..8 * i + 8].copy_from_slice(&lane.to_le_bytes());
    }
    Some(out)
}

fn keccak_f(a: &mut [u64; 25]) {
    const RC: [u64; 24] = [
        0x0000_0000_0000_0001,
        0x0000_0000_0000_8082,
        0x8000_0000_0000_808A,
        0x8000_0000_8000_8000,
        0x0000_0000_0000_808B,
        0x0000_0000_8000_0001,
        0x8000_0000_8000_8081,
        0x8000_0000_0000_8009,
        0x0000_0000_0000_008A,
        0x0000_0000_0000_0088,
        0x0000_0000_8000_8009,
        0x0000_0000_8000_000A,
        0x0000_0000_8000_808B,
        0x8000_0000_0000_008B,
        0x8000_0000_0000_8089,
        0x8000_0000_0000_8003,
        0x8000_0000_0000_8002,
        0x8000_0000_0000_0080,
        0x0000_0000_0000_800A,
        0x8000_0000_8000_000A,
        0x8000_0000_8000_8081,
        0x8000_0000_0000_8080,
        0x0000_0000_8000_0001,
        0x8000_0000_8000_8008,
    ];
    const RHO: [u32; 24] = [
        1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44,
    ];
    const PI: [usize; 24] = [
        10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1,
    ];
    for rc in RC {
        let mut c = [0u64; 5];
        for (x, cx) in c.iter_mut().enumerate() {
            *cx = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
        }
        for x in 0..5 {
            let d = c[(x + 4) % 5] ^ c[(x + 1) % 5].rotate_left(1);
            for y in 0..5 {
                a[x + 5 * y] ^= d;
            }
        }
        let mut last = a[1];
        for i in 0..24 {
            let t = a[PI[i]];
            a[PI[i]] = last.rotate_left(RHO[i]);
            last = t;
        }
        for y in 0..5 {
            let row = [a[5 * y], a[5 * y + 1], a[5 * y + 2], a[5 * y + 3], a[5 * y + 4]];
            for x in 0..5 {
                a[5 * y + x] = row[x] ^ (!row[(x + 1) % 5] & row[(x + 2) % 5]);
            }
        }
        a[0] ^= rc;
    }
}

/// Ethereum address `0x` + 40 hex digits. Written in one case it carries no
/// check (`Some(false)`: needs context); in mixed case its EIP-55 checksum
/// must hold (`Some(true)`), else `None`.
pub fn eth_address(s: &[u8]) -> Option<bool> {
    let hex = s.strip_prefix(b"0x").or_else(|| s.strip_prefix(b"0X"))?;
    if hex.len() != 40 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    if hex.iter().all(|&c| c == b'0') {
        return None;
    }
    let has_upper = hex.iter().any(u8::is_ascii_uppercase);
    let has_lower = hex.iter().any(u8::is_ascii_lowercase);
    if !(has_upper && has_lower) {
        return Some(false);
    }
    let lower: Vec<u8> = hex.iter().map(u8::to_ascii_lowercase).collect();
    let h = keccak256_short(&lower)?;
    for (i, &c) in hex.iter().enumerate() {
        if c.is_ascii_alphabetic() {
            let nib = (h[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0xf;
            if c.is_ascii_uppercase() != (nib >= 8) {
                return None;
            }
        }
    }
    Some(true)
}

fn digit_sum(n: u32) -> u32 {
    n / 10 + n % 10
}

/// EU VAT identification number, given as uppercase alphanumerics with
/// its country prefix: the country's structure and, where the country
/// publishes one, its check digits (AT, BE, DE, DK, ES, FI, FR, IT, NL,
/// PL, PT, SE). Other countries are not recognised.
pub fn eu_vat(s: &[u8]) -> bool {
    if s.len() < 4 {
        return false;
    }
    let (cc, n) = s.split_at(2);
    let num = |d: &[u8]| d.iter().fold(0u64, |a, &c| a * 10 + (c - b'0') as u64);
    let dig = |i: usize| (n[i] - b'0') as u32;
    match cc {
        b"AT" => {
            if n.len() != 9 || n[0] != b'U' || !digits_ok(&n[1..], 8) {
                return false;
            }
            let n = &n[1..];
            let s: u32 = (0..7)
                .map(|i| digit_sum((n[i] - b'0') as u32 * if i % 2 == 0 { 1 } else { 2 }))
                .sum();
            (10 - (s + 4) % 10) % 10 == (n[7] - b'0') as u32
        }
        b"BE" => digits_ok(n, 10) && matches!(n[0], b'0' | b'1') && 97 - num(&n[..8]) % 97 == num(&n[8..]),
        b"DE" => {
            if !digits_ok(n, 9) || n[0] == b'0' {
                return false;
            }
            let mut p = 10u32;
            for i in 0..8 {
                let mut s = (dig(i) + p) % 10;
                if s == 0 {
                    s = 10;
                }
                p = (2 * s) % 11;
            }
            let k = 11 - p;
            (if k == 10 { 0 } else { k }) == dig(8)
        }
        b"DK" => {
            digits_ok(n, 8)
                && n[0] != b'0'
                && (0..8).map(|i| dig(i) * [2, 7, 6, 5, 4, 3, 2, 1][i]).sum::<u32>() % 11 == 0
        }
        b"FI" => {
            if !digits_ok(n, 8) {
                return false;
            }
            let r = (0..7).map(|i| dig(i) * [7, 9, 10, 5, 8, 4, 2][i]).sum::<u32>() % 11;
            r != 1 && (if r == 0 { 0 } else { 11 - r }) == dig(7)
        }
        b"FR" => {
            if n.len() != 11 || !digits_ok(&n[2..], 9) {
                return false;
            }
            let siren = &n[2..];
            if n[..2].iter().all(u8::is_ascii_digit) {
                (12 + 3 * (num(siren) % 97)) % 97 == num(&n[..2])
            } else {
                // the newer alphanumeric keys: the SIREN's own Luhn digit
                n[..2]
                    .iter()
                    .all(|&c| c.is_ascii_alphanumeric() && c != b'I' && c != b'O')
                    && luhn(siren)
            }
        }
        b"IT" => digits_ok(n, 11) && num(&n[..7]) != 0 && luhn(n),
        b"NL" => {
            if n.len() != 12 || !digits_ok(&n[..9], 9) || n[9] != b'B' || !digits_ok(&n[10..], 2) {
                return false;
            }
            // the former 9-digit (BSN-like) check, or mod 97 over the whole id
            let eleven = (0..8).map(|i| dig(i) * (9 - i as u32)).sum::<u32>() % 11 == dig(8);
            let mut rem = 0u32;
            for &c in s {
                rem = if c.is_ascii_digit() {
                    (rem * 10 + (c - b'0') as u32) % 97
                } else {
                    (rem * 100 + (c - b'A') as u32 + 10) % 97
                };
            }
            eleven || rem == 1
        }
        b"PL" => {
            if !digits_ok(n, 10) {
                return false;
            }
            let k = (0..9).map(|i| dig(i) * [6, 5, 7, 2, 3, 4, 5, 6, 7][i]).sum::<u32>() % 11;
            k != 10 && k == dig(9)
        }
        b"PT" => pt_nif(n),
        b"SE" => digits_ok(n, 12) && n.ends_with(b"01") && luhn(&n[..10]),
        b"ES" => {
            if n.len() != 9 || !digits_ok(&n[1..8], 7) {
                return false;
            }
            match n[0] {
                b'0'..=b'9' | b'X' | b'Y' | b'Z' | b'K' | b'L' | b'M' => es_dni_nie(n),
                b'A'..=b'H' | b'J' | b'N' | b'P'..=b'S' | b'U'..=b'W' => {
                    // CIF: the control digit or letter of the 7 digits
                    let d = |i: usize| (n[1 + i] - b'0') as u32;
                    let even = d(1) + d(3) + d(5);
                    let odd: u32 = [0, 2, 4, 6].iter().map(|&i| digit_sum(2 * d(i))).sum();
                    let c = (10 - (even + odd) % 10) % 10;
                    n[8] == b'0' + c as u8 || n[8] == b"JABCDEFGHI"[c as usize]
                }
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards() {
        for good in [
            "4111111111111111",
            "4012888888881881",
            "5555555555554444",
            "5105105105105100",
            "2223003122003222",
            "2720990000000007",
            "378282246310005",
            "371449635398431",
            "6011111111111117",
            "6011000990139424",
            "3530111333300000",
            "3566002020360505",
            "30569309025904",
            "38520000023237",
            "36227206271667",
            "4222222222222",
            // Maestro, Maestro UK, Dankort, Verve, RuPay, InterPayment, InstaPayment
            "6759649826438453",
            "5018000000000009",
            "5020000000000005",
            "5038000000000000005",
            "5893000000000009",
            "6304000000000000",
            "676300000000000004",
            "6767700000000005",
            "5019000000000008",
            "5060990000000008",
            "5078650000000000004",
            "5085000000000007",
            "6360000000000001",
            "6370000000000009",
            "6069850000000003",
            // Maestro's 12 digits, JCB's 15 (1800, 2131)
            "501800000009",
            "676100000006",
            "180000000000002",
            "213100000000001",
        ] {
            assert!(payment_card(good.as_bytes()), "{good}");
        }
        for bad in [
            "4111111111111112",
            "1234567812345678",
            "5555555555554440",
            "0000000000000000",
            "9111111111111111",
            "2220990000000008",
            "411111111111",
            // 12 digits outside Maestro's ranges, Maestro with a bad check
            "512345678902",
            "401288888886",
            "501800000008",
            // 15 digits from 1 or 2 outside JCB's two IINs
            "180100000000000",
            "122000000000003",
            "213200000000009",
            // Twitter ids (18 digits, 50-59, Luhn): not an issuer range
            "503586151764992000",
            "505354401448349696",
            "505800000000000000",
            "5612000000000009",
            "6904000000000004",
        ] {
            assert!(!payment_card(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn ibans() {
        for good in [
            "DE89370400440532013000",
            "GB82WEST12345698765432",
            "FR1420041010050500013M02606",
            "NL91ABNA0417164300",
            "ES9121000418450200051332",
            "IT60X0542811101000000123456",
            "BE68539007547034",
            "NO9386011117947",
            "MT84MALT011000012345MTLCAST001S",
        ] {
            assert!(iban_mod97(good.as_bytes()), "{good}");
            assert_eq!(iban_length(&good.as_bytes()[..2]), Some(good.len()), "{good}");
        }
        for bad in ["DE89370400440532013001", "GB82WEST12345698765433", "NL91ABNA0417164301"] {
            assert!(!iban_mod97(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn ssn() {
        assert!(us_ssn(b"123456789"));
        assert!(us_ssn(b"536225438"));
        for bad in ["000123456", "666123456", "900123456", "123006789", "123450000"] {
            assert!(!us_ssn(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn national_ids() {
        assert!(nl_bsn(b"111222333"));
        assert!(nl_bsn(b"123456782"));
        assert!(!nl_bsn(b"123456789"));
        assert!(de_steuer_id(b"86095742719"));
        assert!(de_steuer_id(b"65929970489"));
        assert!(!de_steuer_id(b"86095742718"));
        assert!(!de_steuer_id(b"12345678901"));
        assert!(pl_pesel(b"44051401359"));
        assert!(pl_pesel(b"02070803628"));
        assert!(!pl_pesel(b"44051401358"));
        assert!(!pl_pesel(b"44151401359"));
        assert!(fr_nir(b"184127645108946"));
        assert!(fr_nir(b"255081416802538"));
        assert!(!fr_nir(b"184127645108947"));
        // Corsican departments: 2A counts as 19, 2B as 18
        assert!(fr_nir_corsica(b"184052A12345682"));
        assert!(fr_nir_corsica(b"184052B12345612"));
        assert!(!fr_nir_corsica(b"184052A12345683"));
        assert!(!fr_nir_corsica(b"184052C12345682"));
        assert!(uk_nino(b"AB123456C"));
        assert!(uk_nino(b"JG103759A"));
        assert!(!uk_nino(b"BG123456C"));
        assert!(!uk_nino(b"DA123456C"));
        assert!(!uk_nino(b"AB123456E"));
        assert!(es_dni_nie(b"12345678Z"));
        assert!(es_dni_nie(b"X1234567L"));
        assert!(es_dni_nie(b"Y1234567X"));
        assert!(!es_dni_nie(b"12345678A"));
        assert!(it_codice_fiscale(b"RSSMRA85T10A562S"));
        assert!(it_codice_fiscale(b"MRTMTT25D09F205Z"));
        assert!(!it_codice_fiscale(b"RSSMRA85T10A562T"));
    }

    #[test]
    fn keccak_and_wallets() {
        let h = keccak256_short(b"").unwrap_or_default();
        let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
        assert_eq!(eth_address(b"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"), Some(true));
        assert_eq!(eth_address(b"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"), Some(false));
        assert_eq!(eth_address(b"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"), None);
        assert!(btc_base58(b"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"));
        assert!(!btc_base58(b"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"));
        // a valid base58check payload with the wrong leading character count
        assert!(!btc_base58(b"11BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"));
        assert!(btc_bech32(b"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"));
        assert!(!btc_bech32(b"ltc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"));
    }

    #[test]
    fn more_national_ids() {
        assert!(be_national_number(b"85073003328"));
        assert!(be_national_number(b"01020312345"));
        assert!(!be_national_number(b"85073003329"));
        assert!(at_svnr(b"1237010180"));
        assert!(!at_svnr(b"1236010180"));
        assert!(pt_nif(b"123456789"));
        assert!(!pt_nif(b"123456788"));
        assert!(ie_pps(b"1234567T"));
        assert!(ie_pps(b"1234567FA"));
        assert!(!ie_pps(b"1234567FB"));
        assert!(ch_ahv(b"7569217076985"));
        assert!(!ch_ahv(b"7569217076986"));
        assert!(us_itin(b"911701234"));
        assert!(!us_itin(b"911891234"));
        assert!(mac_address(b"001A2B3C4D5E"));
        assert!(!mac_address(b"FFFFFFFFFFFF"));
        assert!(eu_vat(b"DE136695976"));
        assert!(!eu_vat(b"DE136695975"));
    }

    #[test]
    fn recall_validators() {
        // Steuer-ID: the loose form drops only the one-repeated-digit rule
        assert!(de_steuer_id_loose(b"56913087248"));
        assert!(!de_steuer_id(b"56913087248"), "no digit repeated");
        assert!(!de_steuer_id_loose(b"56913087249"), "check digit");
        assert!(!de_steuer_id_loose(b"06913087248"), "leading zero");
        assert!(!de_steuer_id_loose(b"11112345678"), "a digit four times");
        assert!(!de_steuer_id_loose(b"5691308724"), "length");
        // Swedish personnummer with the century
        assert!(se_personnummer_century(b"198511226006"));
        assert!(!se_personnummer_century(b"198511226007"), "Luhn");
        assert!(!se_personnummer_century(b"178511226006"), "century");
        assert!(!se_personnummer_century(b"198513226006"), "month 13");
        assert!(hhmm(b"0001") && hhmm(b"2359"));
        assert!(!hhmm(b"2400") && !hhmm(b"1260") && !hhmm(b"6006"));
        // UK driving licence
        for ok in [
            &b"PATEL802143AB9XY"[..],
            b"ng999509022j99ab",
            b"BROWN758214JT9AB",
            b"SMIT9862310AB1CD",
        ] {
            assert!(uk_driving_licence(ok), "{}", String::from_utf8_lossy(ok));
        }
        for bad in [
            &b"MORGA600054SM9IJ"[..], // month 00
            b"MORGA613054SM9IJ",      // month 13
            b"MORGA650054SM9IJ",      // month 50
            b"MORGA663054SM9IJ",      // month 63
            b"MORGA601004SM9IJ",      // day 00
            b"MORGA601324SM9IJ",      // day 32
            b"MORGA602304SM9IJ",      // 30 February
            b"99999657054SM9IJ",      // no surname
            b"MO9GA607054SM9IJ",      // a letter after the padding
            b"Morga607054sm9ij",      // mixed case
            b"MORGA607054SM91J",      // a digit among the check letters
            b"MORGA65705SM9IJ",       // 15 characters
        ] {
            assert!(!uk_driving_licence(bad), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn ipv4s() {
        let g = |s: &'static str| s.split('.').map(str::as_bytes).collect::<Vec<_>>();
        assert!(ipv4(&g("192.168.1.20")));
        assert!(ipv4(&g("8.8.8.8")));
        assert!(!ipv4(&g("256.1.1.1")));
        assert!(!ipv4(&g("127.0.0.1")));
        assert!(!ipv4(&g("1.2.3")));
        assert!(!ipv4(&g("01.2.3.4")));
    }
}
