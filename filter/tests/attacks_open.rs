//! Red team (session 5): bypasses found and not fixed in time. Each test is
//! the attack, written to pass once it is fixed; until then it is ignored
//! with the reason, and README's "Not inspected" names the class.
//! (`cargo test -p piiguard --test attacks_open -- --ignored` shows them failing.)
//! Closed ones move to a table or their own file (`attacks_detect.rs`).
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::blocked;

/// Control: the same route blocks the plain value, so each test below can pass.
#[test]
fn the_plain_values_are_blocked() {
    assert!(blocked("text/plain", b"card 4111 1111 1111 1111"));
    assert!(blocked("text/plain", b"mail jane.doe@example.com"));
}

// Found by the lead at the end of session 7 with `piiguard scan` on a block
// route; not fixed in time.

#[test]
#[ignore = "bypass: an RFC 5322 comment with a space before the @ (`jane.doe (work) @example.com`) is not read"]
fn e_mail_with_a_comment_and_a_space() {
    assert!(blocked("text/plain", b"mail jane.doe(work)@example.com"), "control");
    assert!(blocked("text/plain", b"mail jane.doe (work) @example.com"));
}

#[test]
#[ignore = "bypass: a card split over sibling form fields (`a=4111&b=1111&c=1111&d=1111`) is not joined; JSON siblings are"]
fn card_split_over_form_fields() {
    assert!(
        blocked("application/json", br#"{"a":"4111","b":"1111","c":"1111","d":"1111"}"#),
        "control: JSON siblings"
    );
    assert!(blocked(
        "application/x-www-form-urlencoded",
        b"a=4111&b=1111&c=1111&d=1111"
    ));
}
