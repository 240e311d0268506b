//! `Engine::inspect_body` over the inputs of `filter/benches/inputs.rs`,
//! exported for a wasm host (`run.mjs` times `bench_run` in node's V8, the
//! engine Envoy uses) and called the same way natively (`main.rs`), so the
//! module's speed relative to native is measured without Envoy.
//! Exports: `bench_setup(case, size)` builds the engine and the input (body
//! length, 0 when the case does not exist); `bench_run(iters)` inspects it
//! `iters` times (findings of the last run).
use piiguard::detect::Scratch;
use piiguard::engine::{Direction, Engine};
use piiguard::policy::Policy;
use std::cell::RefCell;

#[path = "../../../filter/benches/inputs.rs"]
mod inputs;

/// Names of the cases, in `bench_setup` order.
pub const CASES: [&str; 6] = [
    "json_clean",
    "json_catalog",
    "json_dense",
    "text_clean",
    "text_dense",
    "form_dense",
];

struct State {
    engine: Engine,
    ct: &'static str,
    body: Vec<u8>,
    scratch: Scratch,
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

/// Prepares case number `case` (see [`CASES`]) of `size` bytes; the body's
/// length, or 0 when there is no such case or the engine does not build.
#[no_mangle]
pub extern "C" fn bench_setup(case: u32, size: u32) -> u32 {
    let engine = match Policy::from_json(inputs::POLICY)
        .ok()
        .and_then(|p| Engine::new(p, None).ok())
    {
        Some(e) => e,
        None => return 0,
    };
    let Some((_, ct, body)) = inputs::cases(size as usize).into_iter().nth(case as usize) else {
        return 0;
    };
    let len = body.len() as u32;
    STATE.with(|s| {
        *s.borrow_mut() = Some(State {
            engine,
            ct,
            body,
            scratch: Scratch::default(),
        });
    });
    len
}

/// Inspects the prepared body `iters` times; the number of findings of the
/// last inspection (so the work cannot be optimised away).
#[no_mangle]
pub extern "C" fn bench_run(iters: u32) -> u32 {
    STATE.with(|s| {
        let mut guard = s.borrow_mut();
        let Some(st) = guard.as_mut() else { return 0 };
        let mut found = 0;
        for _ in 0..iters {
            let route = &st.engine.policy.default;
            let r = st
                .engine
                .inspect_body(route, Direction::Request, Some(st.ct), &st.body, &mut st.scratch);
            found = r.inspection.findings.iter().map(|f| f.count).sum::<u32>();
        }
        std::hint::black_box(found)
    })
}
