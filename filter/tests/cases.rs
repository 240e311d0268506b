//! The case table (`tests/cases/*.json`, format in `tests/cases/README.md`)
//! run natively: each case through `Flow` and the in-memory host. The same
//! table runs in a real Envoy in `integration-tests/tests/cases.rs`.

use piiguard::testing::{check, engine_for, load_cases, run_native, Runner};
use std::collections::BTreeMap;
use std::rc::Rc;

#[test]
fn case_table_natively() {
    let cases = load_cases(&piiguard::testing::cases_dir()).unwrap_or_else(|e| panic!("case table: {e}"));
    assert!(cases.len() >= 20, "the case table shrank to {} cases", cases.len());
    let mut engines = BTreeMap::new();
    let mut failures = Vec::new();
    let mut ran = 0;
    for l in &cases {
        if l.case.only == Some(Runner::Envoy) {
            continue;
        }
        let engine = match engines.get(&l.group) {
            Some(e) => Rc::clone(e),
            None => match engine_for(l) {
                Ok(e) => {
                    let e = Rc::new(e);
                    engines.insert(l.group.clone(), Rc::clone(&e));
                    e
                }
                Err(e) => {
                    failures.push(format!("{}: {e}", l.id()));
                    continue;
                }
            },
        };
        ran += 1;
        match run_native(l, &engine) {
            Err(e) => failures.push(format!("{}: {e}", l.id())),
            Ok((obs, _)) => {
                for e in check(l, &obs) {
                    failures.push(format!("{}: {e}", l.id()));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The checker is honest: a case whose expectation is wrong fails.
#[test]
fn a_wrong_expectation_fails() {
    let mut cases = load_cases(&piiguard::testing::cases_dir()).unwrap_or_else(|e| panic!("{e}"));
    let mut l = cases.remove(0);
    let engine = Rc::new(engine_for(&l).unwrap_or_else(|e| panic!("{e}")));
    l.case.expect.status = if l.case.expect.status == 200 { 403 } else { 200 };
    l.case.canaries.push("piiguard".into()); // every audit record names piiguard
    let (obs, _) = run_native(&l, &engine).unwrap_or_else(|e| panic!("{e}"));
    let errs = check(&l, &obs);
    assert!(errs.iter().any(|e| e.starts_with("status")), "{errs:?}");
    assert!(obs.audit.is_some(), "the first case writes an audit record");
    assert!(
        errs.iter().any(|e| e.starts_with("canary \"piiguard\" reached audit")),
        "{errs:?}"
    );
}
