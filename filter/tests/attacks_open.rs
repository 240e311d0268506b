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

// The two found by the lead at the end of session 7 (an RFC 5322 comment
// with white space before the @, a card split over sibling form fields) are
// closed: rows in `cases/attacks-session8.json`.

// Red team, session 8: a `_method` in a JSON body (Laravel) or an untyped
// POST's body (Rack) is closed in session 9: the body is read before the
// route is final (rows in `cases/attacks-redteam-session9.json`).

// The card split by ASCII controls read as white space (VT, FF, FS..US) is
// closed: `attacks_detect.rs` and `cases/attacks-detect-session9.json`.

// Red team, session 12: a value named by the value of a sibling member, not by
// its own key (entity-attribute-value records, `{"name":"surname","value":…}`),
// is closed in session 14: rows in `cases/attacks-eav-session14.json`.
