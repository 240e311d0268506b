//! A recording upstream for the case table: answers every request with the
//! response it was told to give (status, headers, body, optionally chunked)
//! and records what it received (method, path, headers, body).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A request as the upstream received it (header names lower-case).
#[derive(Clone, Debug, Default)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The response the upstream gives.
#[derive(Clone, Debug)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send the body chunked, this many bytes a chunk (flushed separately).
    pub chunk: Option<usize>,
}

impl Default for Canned {
    fn default() -> Self {
        Canned {
            status: 200,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: b"ok".to_vec(),
            chunk: None,
        }
    }
}

#[derive(Default)]
struct State {
    response: Canned,
    received: Vec<Received>,
}

/// The upstream; runs for the life of the test process.
#[derive(Clone)]
pub struct Recorder {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl Recorder {
    pub fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind recorder: {e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let state = Arc::new(Mutex::new(State::default()));
        let s = Arc::clone(&state);
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let s = Arc::clone(&s);
                std::thread::spawn(move || {
                    let _ = serve(conn, &s);
                });
            }
        });
        Recorder { port, state }
    }

    /// Sets the response for the next requests.
    pub fn respond_with(&self, c: Canned) {
        if let Ok(mut s) = self.state.lock() {
            s.response = c;
        }
    }

    /// The requests received since the last call.
    pub fn take(&self) -> Vec<Received> {
        self.state
            .lock()
            .map(|mut s| std::mem::take(&mut s.received))
            .unwrap_or_default()
    }
}

fn read_line(r: &mut BufReader<TcpStream>) -> std::io::Result<Option<String>> {
    let mut l = String::new();
    if r.read_line(&mut l)? == 0 {
        return Ok(None);
    }
    Ok(Some(l.trim_end_matches(['\r', '\n']).to_string()))
}

fn read_request(r: &mut BufReader<TcpStream>) -> std::io::Result<Option<Received>> {
    let Some(line) = read_line(r)? else {
        return Ok(None);
    };
    let mut parts = line.split_whitespace();
    let mut req = Received {
        method: parts.next().unwrap_or("").to_string(),
        path: parts.next().unwrap_or("").to_string(),
        ..Received::default()
    };
    loop {
        let Some(h) = read_line(r)? else {
            return Ok(None);
        };
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            req.headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |n: &str| {
        req.headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        loop {
            let size = read_line(r)?.unwrap_or_default();
            let n = usize::from_str_radix(size.split(';').next().unwrap_or("0").trim(), 16).unwrap_or(0);
            if n == 0 {
                while read_line(r)?.is_some_and(|l| !l.is_empty()) {}
                break;
            }
            let mut c = vec![0; n];
            r.read_exact(&mut c)?;
            req.body.extend_from_slice(&c);
            read_line(r)?;
        }
    } else if let Some(n) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        req.body = vec![0; n];
        r.read_exact(&mut req.body)?;
    }
    Ok(Some(req))
}

fn serve(conn: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    conn.set_nodelay(true)?;
    let mut w = conn.try_clone()?;
    let mut r = BufReader::new(conn);
    while let Some(req) = read_request(&mut r)? {
        let resp = match state.lock() {
            Ok(mut s) => {
                s.received.push(req);
                s.response.clone()
            }
            Err(_) => Canned::default(),
        };
        let mut head = format!("HTTP/1.1 {} X\r\n", resp.status);
        for (k, v) in &resp.headers {
            if !k.eq_ignore_ascii_case("content-length") && !k.eq_ignore_ascii_case("transfer-encoding") {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
        }
        match resp.chunk {
            Some(n) if !resp.body.is_empty() => {
                head.push_str("transfer-encoding: chunked\r\n\r\n");
                w.write_all(head.as_bytes())?;
                for c in resp.body.chunks(n.max(1)) {
                    w.write_all(format!("{:x}\r\n", c.len()).as_bytes())?;
                    w.write_all(c)?;
                    w.write_all(b"\r\n")?;
                    w.flush()?;
                    std::thread::sleep(Duration::from_millis(2));
                }
                w.write_all(b"0\r\n\r\n")?;
            }
            _ => {
                head.push_str(&format!("content-length: {}\r\n\r\n", resp.body.len()));
                w.write_all(head.as_bytes())?;
                w.write_all(&resp.body)?;
            }
        }
        w.flush()?;
    }
    Ok(())
}
