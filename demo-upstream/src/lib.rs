//! A small HTTP/1.1 demo service (std only) for the local demo and the
//! integration tests:
//! - `/echo...` (any method): the request body and content type, unchanged
//!   (`x-echo-content-encoding: gzip` sets the response's content-encoding);
//! - `GET /customers/{id}`: a customer record full of personal data;
//! - `POST /payments`: 201 with a payment id;
//! - `/headers`: the request headers as a JSON object.
//!

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn header<'a>(r: &'a Request, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("/").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            return Ok(None);
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let mut req = Request {
        method,
        path,
        headers,
        body: Vec::new(),
    };
    if header(&req, "transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
            if n == 0 {
                // trailers until the empty line
                loop {
                    let mut t = String::new();
                    if reader.read_line(&mut t)? == 0 || t.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            let mut chunk = vec![0u8; n];
            reader.read_exact(&mut chunk)?;
            req.body.extend_from_slice(&chunk);
            let mut crlf = [0u8; 2];
            reader.read_exact(&mut crlf)?;
        }
    } else if let Some(len) = header(&req, "content-length").and_then(|v| v.parse::<usize>().ok()) {
        req.body = vec![0u8; len];
        reader.read_exact(&mut req.body)?;
    }
    Ok(Some(req))
}

fn customer(id: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "name": "Jane Doe",
        "email": "jane.doe@example.com",
        "phone": "+44 20 7946 0958",
        "date_of_birth": "1985-04-12",
        "address": {
            "street": "221B Baker Street",
            "city": "London",
            "postcode": "NW1 6XE",
            "country": "GB"
        },
        "payment": {
            "card_number": "4111 1111 1111 1111",
            "iban": "GB82 WEST 1234 5698 7654 32"
        },
        "loyalty_tier": "gold",
        "orders": [{"id": "o-1001", "items": [{"sku": "W-1", "name": "Blue Widget", "qty": 2}]}]
    })
}

fn respond(req: &Request) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let path = req.path.split('?').next().unwrap_or("/");
    let json = |v: serde_json::Value| serde_json::to_vec(&v).unwrap_or_default();
    let ct_json = vec![("content-type".to_string(), "application/json".to_string())];
    if path == "/echo" || path.starts_with("/echo/") {
        let mut h = Vec::new();
        if let Some(ct) = header(req, "content-type") {
            h.push(("content-type".into(), ct.to_string()));
        }
        if let Some(ce) = header(req, "x-echo-content-encoding") {
            h.push(("content-encoding".into(), ce.to_string()));
        }
        return (200, h, req.body.clone());
    }
    if path == "/headers" {
        let mut m = serde_json::Map::new();
        m.insert(":path".into(), serde_json::Value::String(req.path.clone()));
        for (k, v) in &req.headers {
            m.insert(k.clone(), serde_json::Value::String(v.clone()));
        }
        return (200, ct_json, json(serde_json::Value::Object(m)));
    }
    if let Some(id) = path.strip_prefix("/customers/") {
        if req.method == "GET" && !id.is_empty() && !id.contains('/') {
            return (200, ct_json, json(customer(id)));
        }
    }
    if path == "/payments" && req.method == "POST" {
        let n = req.body.len();
        return (
            201,
            ct_json,
            json(serde_json::json!({"status": "accepted", "payment_id": format!("pay_{n:06}")})),
        );
    }
    (404, ct_json, json(serde_json::json!({"error": "not_found"})))
}

fn serve(stream: TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    while let Some(req) = read_request(&mut reader)? {
        let path = req.path.split('?').next().unwrap_or("/").to_string();
        if path == "/ws" && header(&req, "upgrade").is_some() {
            // An upgraded connection that echoes raw bytes (enough to see that
            // the proxy passes the stream through).
            writer
                .write_all(b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n")?;
            writer.flush()?;
            let mut buf = [0u8; 4096];
            loop {
                let n = reader.read(&mut buf)?;
                if n == 0 {
                    return Ok(());
                }
                writer.write_all(&buf[..n])?;
                writer.flush()?;
            }
        }
        if path == "/events" {
            return events(&req, &mut writer);
        }
        if path == "/release" {
            release(&req);
        }
        let (status, headers, body) = respond(&req);
        let reason = match status {
            200 => "OK",
            201 => "Created",
            _ => "Not Found",
        };
        let mut out = format!("HTTP/1.1 {status} {reason}\r\ncontent-length: {}\r\n", body.len());
        for (k, v) in headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        let mut msg = out.into_bytes();
        msg.extend_from_slice(&body);
        writer.write_all(&msg)?;
        writer.flush()?;
        if header(&req, "connection").is_some_and(|v| v.eq_ignore_ascii_case("close")) {
            break;
        }
    }
    Ok(())
}

static RELEASED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
static RELEASE_CV: std::sync::Condvar = std::sync::Condvar::new();

fn query_id(req: &Request) -> String {
    req.path
        .split_once("id=")
        .map(|(_, v)| v.split('&').next().unwrap_or("").to_string())
        .unwrap_or_default()
}

fn release(req: &Request) {
    if let Ok(mut r) = RELEASED.lock() {
        r.push(query_id(req));
        RELEASE_CV.notify_all();
    }
}

/// `GET /events?id=X`: a server-sent-event stream. It sends one event, then
/// waits until `/release?id=X` is called (at most 10 s) before the last one,
/// so a test can prove the proxy streams instead of buffering.
fn events(req: &Request, w: &mut TcpStream) -> std::io::Result<()> {
    let id = query_id(req);
    w.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")?;
    let chunk = |w: &mut TcpStream, s: &str| -> std::io::Result<()> {
        w.write_all(format!("{:x}\r\n{s}\r\n", s.len()).as_bytes())?;
        w.flush()
    };
    chunk(w, "data: {\"event\":\"first\",\"email\":\"jane.doe@example.com\"}\n\n")?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    if let Ok(mut r) = RELEASED.lock() {
        while !r.contains(&id) && std::time::Instant::now() < deadline {
            r = match RELEASE_CV.wait_timeout(r, std::time::Duration::from_millis(100)) {
                Ok((g, _)) => g,
                Err(_) => return Ok(()),
            };
        }
    }
    chunk(w, "data: {\"event\":\"last\"}\n\n")?;
    w.write_all(b"0\r\n\r\n")?;
    w.flush()
}

/// Serves connections from `listener` forever (one thread per connection).
pub fn run(listener: TcpListener) {
    for stream in listener.incoming().flatten() {
        std::thread::spawn(move || {
            let _ = serve(stream);
        });
    }
}
