//! Red team (session 5): bypasses found and not fixed in time. Each test is
//! the attack, written to pass once it is fixed; until then it is ignored
//! with the reason, and README's "Not inspected" names the class.
//! (`cargo test -p piiguard --test attacks_open -- --ignored` shows them failing.)
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use piiguard::config::Action;
use piiguard::detect::Scratch;
use piiguard::engine::{Direction, Engine};
use piiguard::policy::Policy;

const BLOCK: &str = r#"{"version":1,"default":{"request":{"actions":{"*":"block"}}}}"#;

fn blocked(ct: &str, body: &[u8]) -> bool {
    let e = Engine::new(Policy::from_json(BLOCK.as_bytes()).unwrap(), None).unwrap();
    let r = e.inspect_body(
        &e.policy.default,
        Direction::Request,
        Some(ct),
        body,
        &mut Scratch::default(),
    );
    r.inspection.max_action() == Some(Action::Block)
}

/// Control: the same route blocks the plain value, so each test below can pass.
#[test]
fn the_plain_values_are_blocked() {
    assert!(blocked("text/plain", b"card 4111 1111 1111 1111"));
    assert!(blocked("text/plain", b"mail jane.doe@example.com"));
}

#[test]
#[ignore = "bypass: card digit groups with spaces inside a line and a line break between lines (`4111 1111⏎1111 1111`) are not joined; one separator throughout is"]
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
}

#[test]
#[ignore = "bypass: hex bytes each written with its own 0x (`0x34 0x31 ...`) are not joined"]
fn hex_bytes_each_with_0x() {
    let hex: Vec<String> = b"ref 4111111111111111".iter().map(|c| format!("0x{c:02x}")).collect();
    assert!(blocked("text/plain", format!("dump {}", hex.join(" ")).as_bytes()));
}

#[test]
#[ignore = "bypass: an e-mail with an RFC 5322 comment (`jane.doe(x)@example.com`) is not read"]
fn e_mail_with_a_comment() {
    assert!(blocked("text/plain", b"mail jane.doe(x)@example.com"));
}
