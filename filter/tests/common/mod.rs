//! Helpers shared by the integration test files of `filter/tests`
//! (`mod common;` in a test file). Each file uses only some of them.
#![allow(dead_code, clippy::unwrap_used)]

pub mod corpus;

use piiguard::config::Action;
use piiguard::detect::Scratch;
use piiguard::engine::{Direction, Engine};
use piiguard::policy::Policy;

/// A route that blocks every category in requests.
pub const BLOCK: &str = r#"{"version":1,"default":{"request":{"actions":{"*":"block"}}}}"#;

/// Whether a request body of content type `ct` is blocked on the [`BLOCK`] route.
pub fn blocked(ct: &str, body: &[u8]) -> bool {
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
