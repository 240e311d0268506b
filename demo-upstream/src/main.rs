//! `demo-upstream [--port N]` (or `PORT`; `BIND` for the address, default 127.0.0.1).

use std::net::TcpListener;

fn main() {
    let mut port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8081);
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--port") {
        port = args.get(i + 1).and_then(|p| p.parse().ok()).unwrap_or(port);
    }
    let addr = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1".into());
    let listener = match TcpListener::bind((addr.as_str(), port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("demo-upstream: cannot listen on {addr}:{port}: {e}");
            std::process::exit(1);
        }
    };
    let local = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    println!("demo-upstream listening on {local}");
    demo_upstream::run(listener);
}
