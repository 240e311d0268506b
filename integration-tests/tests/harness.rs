//! The harness itself: a port taken between `free_port` and Envoy's bind
//! (another test process, an outgoing connection) must not fail a test run.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use integration_tests::{free_port, get, upstream, Envoy};
use std::cell::Cell;
use std::net::TcpListener;

#[test]
fn ports_are_never_handed_out_twice() {
    let ports: Vec<u16> = (0..200).map(|_| free_port()).collect();
    let mut sorted = ports.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ports.len());
}

#[test]
fn a_start_whose_port_was_taken_is_retried_on_fresh_ports() {
    let up = upstream();
    // Someone else holds this port when Envoy tries to bind it the first time.
    let squatter = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = squatter.local_addr().unwrap().port();
    let attempts = Cell::new(0);
    let envoy = Envoy::start_with("harness-retry", None, up, &[], &|cfg| {
        attempts.set(attempts.get() + 1);
        if attempts.get() == 1 {
            cfg["static_resources"]["listeners"][0]["address"]["socket_address"]["port_value"] = taken.into();
        }
    });
    assert_eq!(attempts.get(), 2, "the first start fails to bind, the second succeeds");
    assert_ne!(envoy.port, taken);
    let r = get(envoy.port, "/").unwrap();
    assert!(r.status > 0);
    drop(squatter);
}
