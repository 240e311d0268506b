//! The lazy DFAs' caches (regex-automata's hybrid DFA) must hold what
//! ordinary traffic needs with room to spare. When the built-in patterns
//! outgrow the cache, it is cleared and rebuilt again and again while a body
//! is scanned: nothing fails, every body is just several times slower (last
//! time: catalog JSON at 1317 instructions per byte instead of 220). This
//! test turns that silent cliff into a failure, without timing anything.
//! One scratch (as one worker thread keeps it) inspects every body of the
//! benchmark inputs, the request shapes and the case tables; a cache's heap
//! only grows until it is cleared, so it must never shrink between two
//! bodies (no clear), and must stay within three quarters of its capacity
//! (room for traffic more varied than the tests').
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use piiguard::detect::{Scratch, DFA_CACHE_CAPACITY};
use piiguard::engine::{Direction, Engine};
use piiguard::policy::Policy;
use piiguard::testing::{cases_dir, load_cases, shapes};

#[path = "../benches/inputs.rs"]
mod inputs;

#[test]
fn ordinary_bodies_fit_the_dfa_cache_with_room() {
    let e = Engine::new(Policy::from_json(inputs::POLICY).unwrap(), None).unwrap();
    let route = &e.policy.default;
    let mut bodies: Vec<(String, String, Vec<u8>)> = Vec::new();
    for (name, ct, body) in inputs::cases(256 * 1024) {
        bodies.push((name.into(), ct.into(), body));
    }
    for s in shapes::all() {
        bodies.push((format!("{} request", s.name), "application/json".into(), s.req.clone()));
        bodies.push((
            format!("{} response", s.name),
            "application/json".into(),
            s.resp.clone(),
        ));
    }
    for l in load_cases(&cases_dir()).unwrap() {
        let ct = l
            .case
            .request
            .headers
            .pairs()
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map_or_else(|| "application/octet-stream".to_string(), |(_, v)| v);
        bodies.push((l.id(), ct, l.case.request.body().unwrap()));
    }
    assert!(
        bodies.len() > 400,
        "the case tables were read ({} bodies)",
        bodies.len()
    );
    // one scratch for everything, as one worker thread keeps it
    let mut scratch = Scratch::default();
    let mut peak = (0, String::new());
    let mut cleared = Vec::new();
    for (name, ct, body) in &bodies {
        let r = e.inspect_body(route, Direction::Request, Some(ct), body, &mut scratch);
        std::hint::black_box(r);
        let used = scratch.dfa_cache_bytes();
        if used < peak.0 {
            cleared.push(format!("{name}: {} KiB -> {} KiB", peak.0 >> 10, used >> 10));
        }
        if used > peak.0 {
            peak = (used, name.clone());
        }
    }
    eprintln!(
        "fullest DFA cache: {} KiB after {} (capacity {} KiB)",
        peak.0 >> 10,
        peak.1,
        DFA_CACHE_CAPACITY >> 10
    );
    assert!(peak.0 > 0, "the lazy DFA ran");
    assert!(
        cleared.is_empty(),
        "the lazy DFA cache was cleared while ordinary bodies were scanned: {cleared:?}; raise \
         DFA_CACHE_CAPACITY in detect.rs or make the patterns smaller"
    );
    assert!(
        peak.0 <= DFA_CACHE_CAPACITY / 4 * 3,
        "the lazy DFA cache reached {} KiB of {} KiB (after {}): ordinary traffic is close to clearing it \
         on every body; raise DFA_CACHE_CAPACITY in detect.rs or make the patterns smaller",
        peak.0 >> 10,
        DFA_CACHE_CAPACITY >> 10,
        peak.1
    );
}
