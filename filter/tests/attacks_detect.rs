//! Session 7: bypasses closed in the detectors (moved here from
//! `attacks_open.rs`; the case table `cases/attacks-session7.json` plays
//! them natively and in Envoy). Each test is the attack; the counter-rows
//! are similar clean text that must stay clean.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::blocked;

#[test]
fn card_groups_across_a_line_break_and_spaces() {
    assert!(
        blocked("text/plain", b"card 4111\n1111\n1111\n1111"),
        "control: LF throughout"
    );
    assert!(
        blocked("text/plain", b"card 4111\r\n1111\r\n1111\r\n1111"),
        "control: CRLF throughout"
    );
    assert!(blocked("text/plain", b"card 4111 1111\n1111 1111"));
    assert!(blocked("text/plain", b"card 4111 1111\r\n1111 1111"));
    assert!(blocked("text/plain", b"pay 4 1 1 1\n1 1 1 1\n1 1 1 1\n1 1 1 1"));
    // counter-rows: grids of numbers, dates and a row inside a longer grid
    for clean in [
        "12 34\n56 78\n90 12\n34 56",
        "2024-01-01 10:00\n2024-01-02 11:00",
        "1234 5678\n4111 1111\n1111 1111",
        "total 1234 5678\nnext 9012 3456",
    ] {
        assert!(!blocked("text/plain", clean.as_bytes()), "{clean:?}");
    }
}

#[test]
fn hex_bytes_each_with_0x() {
    let hex: Vec<String> = b"ref 4111111111111111".iter().map(|c| format!("0x{c:02x}")).collect();
    assert!(blocked("text/plain", format!("dump {}", hex.join(" ")).as_bytes()));
    assert!(blocked(
        "text/plain",
        format!("char b[] = {{{}}};", hex.join(", ")).as_bytes()
    ));
    let esc: String = b"ref 4111111111111111".iter().map(|c| format!("\\x{c:02x}")).collect();
    assert!(blocked("text/plain", format!("dump {esc}").as_bytes()));
    for clean in [
        "regs 0x00 0x01 0x02 0x03 0x04 0x05 0x06 0x07 0x08 0x09",
        "mask 0xff 0xfe 0x80 0x7f 0x3f 0x1f 0x0f 0x07",
        "addr 0x7ffe1234 0x7ffe1238 0x7ffe123c",
    ] {
        assert!(!blocked("text/plain", clean.as_bytes()), "{clean:?}");
    }
}

#[test]
fn e_mail_with_a_comment() {
    assert!(blocked("text/plain", b"mail jane.doe(x)@example.com"));
    assert!(blocked("text/plain", b"mail jane.doe@(x)example.com"));
    assert!(blocked("text/plain", b"mail jane(x).doe@example.com"));
    for clean in ["call f(x).g(y) then fn(a).b", "see (note).@ and x@(y) z", "f(x)@g"] {
        assert!(!blocked("text/plain", clean.as_bytes()), "{clean:?}");
    }
}

#[test]
fn e_mail_spaced_letter_by_letter() {
    assert!(blocked("text/plain", b"mail j a n e . d o e @ e x a m p l e . c o m"));
    assert!(blocked("text/plain", b"mail j\ta\tn\te\t@\te\tx\t.\tc\to\tm"));
    for clean in ["team A @ 5 p m", "meet @ cafe . com", "x y @ z"] {
        assert!(!blocked("text/plain", clean.as_bytes()), "{clean:?}");
    }
}

/// A URL's host written as an IPv4 address in another form (decimal,
/// hex, octal, fewer parts) is the address; a number elsewhere is not.
#[test]
fn ipv4_written_as_an_integer_in_a_url() {
    for host in [
        "3232235786",
        "0xC0A8010A",
        "0300.0250.1.10",
        "192.168.266",
        "0xc0.0xa8.0x01.0x0a",
    ] {
        assert!(
            blocked("text/plain", format!("fetch http://{host}/admin").as_bytes()),
            "{host}"
        );
    }
    for clean in [
        "order 3232235786 shipped",
        "see http://example.com/3232235786?id=0xC0A8010A",
        "http://4294967296/",
    ] {
        assert!(!blocked("text/plain", clean.as_bytes()), "{clean:?}");
    }
}

#[test]
fn digits_spelled_as_words() {
    assert!(blocked(
        "text/plain",
        b"card: four one one one one one one one one one one one one one one one"
    ));
    assert!(blocked(
        "text/plain",
        b"ssn zero seven eight, zero five, one one two zero"
    ));
    for clean in [
        "one two three four five six seven eight",
        "at nine, then ten, then eleven",
        "zero zero zero zero zero zero zero zero zero zero",
    ] {
        assert!(!blocked("text/plain", clean.as_bytes()), "{clean:?}");
    }
}

// Red team, session 8 (closed in session 9): ASCII control characters that
// backends treat as white space (VT and FF: `\s` in Python, JavaScript, Java,
// .NET; FS to US: Python's `str.split`), and NUL, between digit groups or
// single digits; digit groups in Markdown bold or doubled quotes.
#[test]
fn card_split_by_ascii_white_space_controls() {
    assert!(blocked("text/plain", b"card 4111\t1111\t1111\t1111"), "control: tabs");
    assert!(
        blocked("text/plain", "card 4111\u{85}1111\u{85}1111\u{85}1111".as_bytes()),
        "control: NEL"
    );
    for sep in [0x0b_u8, 0x0c, 0x1c, 0x1d, 0x1e, 0x1f, 0x00] {
        let s = sep as char;
        let body = format!("card 4111{s}1111{s}1111{s}1111");
        assert!(blocked("text/plain", body.as_bytes()), "{sep:#04x}");
        let one: String = "4111111111111111".chars().flat_map(|c| [c, s]).collect();
        assert!(
            blocked("text/plain", format!("order 12 for jane, card {one} thanks").as_bytes()),
            "{sep:#04x} per digit"
        );
    }
    for body in [
        "**4111** **1111** **1111** **1111**",
        "\"4111\"\"1111\"\"1111\"\"1111\"",
        "__4111__ __1111__ __1111__ __1111__",
    ] {
        assert!(blocked("text/plain", body.as_bytes()), "{body}");
    }
    // counter-rows: page breaks, controls and bold numbers in ordinary text
    for clean in [
        "page 1\x0cpage 2\x0c 2024\x0b12 items\x1ctotal 1111\x1f1234",
        "**2019** **2020** **2021** **2022**",
        "\"4111\"\"1111\"\"1111\"\"1112\"",
        "a\x00b\x001\x002\x003",
    ] {
        assert!(!blocked("text/plain", clean.as_bytes()), "{clean:?}");
    }
}
