//! The only module that talks to proxy-wasm: it moves bytes between Envoy
//! and [`crate::flow::Flow`] and applies its decisions. Host calls go
//! through the raw ABI (declared below, encodings in [`crate::hostabi`]):
//! the SDK's wrappers, even those that return `Result`, panic on a host
//! status they do not expect, and a panic takes the VM down (under
//! `FAIL_OPEN` it switches protection off). Only the plugin's start uses
//! the SDK's calls.

use crate::detect::Scratch;
use crate::engine::{Direction, Engine};
use crate::flow::{Flow, Host, HostError, Step};
use crate::policy::Policy;
use crate::redact::Hasher;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, BufferType, ContextType, LogLevel, MapType, MetricType};
use std::cell::RefCell;
use std::rc::Rc;

#[link(wasm_import_module = "env")]
extern "C" {
    fn proxy_send_local_response(
        status_code: u32,
        status_code_details_data: *const u8,
        status_code_details_size: usize,
        body_data: *const u8,
        body_size: usize,
        headers_data: *const u8,
        headers_size: usize,
        grpc_status: i32,
    ) -> u32;
    fn proxy_close_stream(stream_type: u32) -> u32;
    fn proxy_get_header_map_pairs(map_type: u32, return_data: *mut *mut u8, return_size: *mut usize) -> u32;
    fn proxy_set_header_map_pairs(map_type: u32, map_data: *const u8, map_size: usize) -> u32;
    fn proxy_replace_header_map_value(
        map_type: u32,
        key_data: *const u8,
        key_size: usize,
        value_data: *const u8,
        value_size: usize,
    ) -> u32;
    fn proxy_remove_header_map_value(map_type: u32, key_data: *const u8, key_size: usize) -> u32;
    fn proxy_get_buffer_bytes(
        buffer_type: u32,
        start: usize,
        max_size: usize,
        return_data: *mut *mut u8,
        return_size: *mut usize,
    ) -> u32;
    fn proxy_set_buffer_bytes(
        buffer_type: u32,
        start: usize,
        size: usize,
        buffer_data: *const u8,
        buffer_size: usize,
    ) -> u32;
    fn proxy_get_property(
        path_data: *const u8,
        path_size: usize,
        return_data: *mut *mut u8,
        return_size: *mut usize,
    ) -> u32;
    fn proxy_set_property(path_data: *const u8, path_size: usize, value_data: *const u8, value_size: usize) -> u32;
    fn proxy_log(level: u32, message_data: *const u8, message_size: usize) -> u32;
    fn proxy_get_current_time_nanoseconds(return_time: *mut u64) -> u32;
    fn proxy_define_metric(metric_type: u32, name_data: *const u8, name_size: usize, return_id: *mut u32) -> u32;
    fn proxy_increment_metric(metric_id: u32, offset: i64) -> u32;
    fn proxy_set_tick_period_milliseconds(period: u32) -> u32;
}

/// Takes ownership of bytes the host wrote into memory it had the module
/// allocate (`proxy_on_memory_allocate`, the global allocator): `None` for
/// a null pointer.
///
/// # Safety
/// `data`/`size` must come from a host call that just returned them.
unsafe fn host_bytes(data: *mut u8, size: usize) -> Option<Vec<u8>> {
    // SAFETY: the host allocated `size` bytes at `data` through the module's
    // allocator and hands them over; the SDK frees them the same way.
    (!data.is_null()).then(|| unsafe { Vec::from_raw_parts(data, size, size) })
}

/// A host call that answers with bytes: `Ok(None)` when there is nothing
/// (NotFound, or no data).
fn fetch(call: impl FnOnce(*mut *mut u8, *mut usize) -> u32) -> Result<Option<Vec<u8>>, HostError> {
    let (mut data, mut size) = (std::ptr::null_mut::<u8>(), 0usize);
    let status = call(&mut data, &mut size);
    // SAFETY: both were just written by the host call (or left null).
    let bytes = unsafe { host_bytes(data, size) };
    match status {
        1 => Ok(None), // NotFound
        _ => abi_status(status).map(|()| bytes),
    }
}

fn define_counter(name: &str) -> Option<u32> {
    let mut id = 0u32;
    // SAFETY: the name is live for the call; an out-pointer to a local.
    let status = unsafe { proxy_define_metric(MetricType::Counter as u32, name.as_ptr(), name.len(), &mut id) };
    abi_status(status).ok().map(|()| id)
}

fn raw_log(level: LogLevel, message: &str) {
    // SAFETY: the pointer and length describe a live buffer for the call.
    let _ = unsafe { proxy_log(level as u32, message.as_ptr(), message.len()) };
}

/// How often the counts of the requests are added to Envoy's counters
/// ([`flush_counts`]): a counter lags at most this long behind the requests
/// it counts (Prometheus scrapes every 15 s or more). Per request, a count is
/// an addition in the VM; the host call (~1.2 K Envoy instructions) is made
/// once per counter per tick, not once per request.
const FLUSH_MS: u32 = 1000;

thread_local! {
    /// Counters by name (one VM per worker thread): each name is defined
    /// once, then counted here and flushed on the root context's tick.
    static METRICS: RefCell<crate::hostabi::Counters> = RefCell::new(crate::hostabi::Counters::default());
}

/// Adds every pending count to its host counter (the tick, the root
/// context's end, a configuration error).
fn flush_counts() {
    METRICS.with(|m| {
        if let Ok(mut m) = m.try_borrow_mut() {
            m.flush(|id, n| {
                // SAFETY: a plain ABI call without pointers.
                let _ = unsafe { proxy_increment_metric(id, n as i64) };
            });
        }
    });
}

/// Counted and flushed at once: the plugin's own events (configuration
/// errors), seen as they happen.
fn count_now(name: &str, delta: u64) {
    WasmHost.count(name, delta);
    flush_counts();
}

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    std::panic::set_hook(Box::new(|info| {
        // Never the payload: it could hold personal data.
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        raw_log(LogLevel::Critical, &format!("piiguard: panic at {at} (message withheld)"));
    }));
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root { engine: None, scratch: Rc::new(RefCell::new(Scratch::default())) }) });
}}

struct Root {
    engine: Option<Rc<Engine>>,
    scratch: Rc<RefCell<Scratch>>,
}

impl Context for Root {
    fn on_done(&mut self) -> bool {
        // the VM stops: what was counted since the last tick is not lost
        flush_counts();
        true
    }
}

fn env_key(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl RootContext for Root {
    fn on_vm_start(&mut self, _: usize) -> bool {
        log::info!("piiguard {} VM started", env!("CARGO_PKG_VERSION"));
        true
    }

    fn on_tick(&mut self) {
        flush_counts();
    }

    fn on_configure(&mut self, _: usize) -> bool {
        // defined at 0 up front: dashboards and alerts see the series before any error
        count_now("piiguard_config_errors_total", 0);
        // the requests' counts reach Envoy's counters on this tick
        // SAFETY: a plain ABI call without pointers.
        let _ = unsafe { proxy_set_tick_period_milliseconds(FLUSH_MS) };
        let cfg = match get_buffer(BufferType::PluginConfiguration, 0, usize::MAX) {
            Ok(Some(c)) => c,
            _ => {
                raw_log(
                    LogLevel::Critical,
                    "piiguard: no plugin configuration; rejecting the plugin",
                );
                count_now("piiguard_config_errors_total", 1);
                return false;
            }
        };
        let policy = match Policy::from_json(&cfg) {
            Ok(p) => p,
            Err(e) => {
                count_now("piiguard_config_errors_total", 1);
                raw_log(LogLevel::Critical, &format!("piiguard: invalid configuration at {e}"));
                return false;
            }
        };
        let hasher = env_key("PIIGUARD_HASH_KEY").and_then(|k| Hasher::new(k.as_bytes(), env_key("PIIGUARD_KEY_ID")));
        if policy.config.subject.is_some() && hasher.is_none() {
            count_now("piiguard_config_errors_total", 1);
            raw_log(
                LogLevel::Critical,
                "piiguard: invalid configuration: `subject` needs the pseudonymisation key in the VM environment variable PIIGUARD_HASH_KEY",
            );
            return false;
        }
        match Engine::new(policy, hasher) {
            Ok(e) => {
                raw_log(
                    LogLevel::Info,
                    &format!("piiguard: configuration loaded ({} routes)", e.policy.routes.len()),
                );
                self.engine = Some(Rc::new(e));
                // caches belong to the compiled automata: start afresh
                self.scratch = Rc::new(RefCell::new(Scratch::default()));
                true
            }
            Err(e) => {
                count_now("piiguard_config_errors_total", 1);
                raw_log(LogLevel::Critical, &format!("piiguard: invalid configuration: {e}"));
                false
            }
        }
    }

    fn create_http_context(&self, _: u32) -> Option<Box<dyn HttpContext>> {
        let engine = self.engine.as_ref()?;
        Some(Box::new(Http {
            flow: Flow::new(Rc::clone(engine), Rc::clone(&self.scratch)),
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct Http {
    flow: Flow,
}

struct WasmHost;

fn headers_map(d: Direction) -> MapType {
    match d {
        Direction::Request => MapType::HttpRequestHeaders,
        Direction::Response => MapType::HttpResponseHeaders,
    }
}

fn trailers_map(d: Direction) -> MapType {
    match d {
        Direction::Request => MapType::HttpRequestTrailers,
        Direction::Response => MapType::HttpResponseTrailers,
    }
}

fn body_buffer(d: Direction) -> BufferType {
    match d {
        Direction::Request => BufferType::HttpRequestBody,
        Direction::Response => BufferType::HttpResponseBody,
    }
}

/// The raw status of an ABI call made without the SDK.
fn abi_status(code: u32) -> Result<(), HostError> {
    match code {
        0 => Ok(()),
        1 | 7 => Err(HostError::Unavailable), // NotFound, Empty
        2 => Err(HostError::Refused),         // BadArgument
        _ => Err(HostError::Failed),
    }
}

/// A header or trailer map; names and values that are not UTF-8 are read
/// lossily. A map the host cannot give, or gives malformed, is an error.
fn read_map(map: MapType) -> Result<Vec<(String, String)>, HostError> {
    // SAFETY: out-pointers to locals, written by the host.
    let bytes = fetch(|d, n| unsafe { proxy_get_header_map_pairs(map as u32, d, n) })?;
    match bytes {
        None => Ok(Vec::new()),
        Some(b) => crate::hostabi::decode_pairs(&b).ok_or(HostError::Failed),
    }
}

fn write_map(map: MapType, pairs: &[(String, String)]) -> Result<(), HostError> {
    let bytes = crate::hostabi::encode_pairs(pairs);
    // SAFETY: the pointer and length describe a live buffer for the call.
    abi_status(unsafe { proxy_set_header_map_pairs(map as u32, bytes.as_ptr(), bytes.len()) })
}

fn set_map_value(map: MapType, name: &str, value: Option<&str>) -> Result<(), HostError> {
    // SAFETY: pointers and lengths describe live buffers for the call.
    abi_status(unsafe {
        match value {
            Some(v) => proxy_replace_header_map_value(map as u32, name.as_ptr(), name.len(), v.as_ptr(), v.len()),
            None => proxy_remove_header_map_value(map as u32, name.as_ptr(), name.len()),
        }
    })
}

fn get_buffer(buffer: BufferType, start: usize, max: usize) -> Result<Option<Vec<u8>>, HostError> {
    // SAFETY: out-pointers to locals, written by the host.
    fetch(|d, n| unsafe { proxy_get_buffer_bytes(buffer as u32, start, max, d, n) })
}

fn set_property(path: &[&str], value: &[u8]) -> Result<(), HostError> {
    let p = crate::hostabi::property_path(path);
    // SAFETY: pointers and lengths describe live buffers for the call.
    abi_status(unsafe { proxy_set_property(p.as_ptr(), p.len(), value.as_ptr(), value.len()) })
}

impl Host for WasmHost {
    fn headers(&self, d: Direction) -> Result<Vec<(String, String)>, HostError> {
        read_map(headers_map(d))
    }

    fn header_bytes(&self, d: Direction) -> Result<Vec<u8>, HostError> {
        // SAFETY: out-pointers to locals, written by the host.
        let bytes = fetch(|p, n| unsafe { proxy_get_header_map_pairs(headers_map(d) as u32, p, n) })?;
        Ok(bytes.unwrap_or_default())
    }

    fn set_headers(&mut self, d: Direction, headers: &[(String, String)]) -> Result<(), HostError> {
        write_map(headers_map(d), headers)
    }

    fn remove_header(&mut self, d: Direction, name: &str) -> Result<(), HostError> {
        set_map_value(headers_map(d), name, None)
    }

    fn set_header(&mut self, d: Direction, name: &str, value: &str) -> Result<(), HostError> {
        set_map_value(headers_map(d), name, Some(value))
    }

    fn trailers(&self, d: Direction) -> Result<Vec<(String, String)>, HostError> {
        read_map(trailers_map(d))
    }

    fn set_trailers(&mut self, d: Direction, trailers: &[(String, String)]) -> Result<(), HostError> {
        write_map(trailers_map(d), trailers)
    }

    fn count(&mut self, name: &str, delta: u64) {
        // Counted in the VM; [`flush_counts`] adds it to the host counter on
        // the next tick (at most `FLUSH_MS` later).
        METRICS.with(|m| {
            if let Ok(mut m) = m.try_borrow_mut() {
                m.add(name, delta, define_counter);
            }
        });
    }

    fn body(&self, d: Direction, size: usize) -> Result<Vec<u8>, HostError> {
        if size == 0 {
            return Ok(Vec::new());
        }
        // A body that cannot be read whole is not a clean body.
        match get_buffer(body_buffer(d), 0, size)? {
            Some(b) if b.len() == size => Ok(b),
            _ => Err(HostError::Unavailable),
        }
    }

    fn set_body(&mut self, d: Direction, size: usize, body: &[u8]) -> Result<(), HostError> {
        // SAFETY: the pointer and length describe a live buffer for the call.
        abi_status(unsafe { proxy_set_buffer_bytes(body_buffer(d) as u32, 0, size, body.as_ptr(), body.len()) })
    }

    fn send_reply(&mut self, status: u32, headers: &[(&str, &str)], body: &[u8]) -> Result<(), HostError> {
        // The raw ABI call: the SDK's wrapper panics when the host refuses
        // (e.g. response headers already sent), and a panic would take the
        // VM down. Refused, the flow resets the stream.
        let mut map = Vec::new();
        map.extend_from_slice(&(headers.len() as u32).to_le_bytes());
        for (k, v) in headers {
            map.extend_from_slice(&(k.len() as u32).to_le_bytes());
            map.extend_from_slice(&(v.len() as u32).to_le_bytes());
        }
        for (k, v) in headers {
            map.extend_from_slice(k.as_bytes());
            map.push(0);
            map.extend_from_slice(v.as_bytes());
            map.push(0);
        }
        // SAFETY: pointers and lengths describe live buffers for the call's duration.
        let status = unsafe {
            proxy_send_local_response(
                status,
                std::ptr::null(),
                0,
                body.as_ptr(),
                body.len(),
                map.as_ptr(),
                map.len(),
                -1,
            )
        };
        let r = abi_status(status);
        if r.is_err() {
            raw_log(
                LogLevel::Warn,
                "piiguard: local reply refused (headers already sent); resetting",
            );
        }
        r
    }

    fn reset(&mut self) -> Result<(), HostError> {
        // SAFETY: a plain ABI call without pointers.
        abi_status(unsafe { proxy_close_stream(1) }) // StreamType::HttpResponse
    }

    fn property(&self, path: &[&str]) -> Result<Option<Vec<u8>>, HostError> {
        let p = crate::hostabi::property_path(path);
        // SAFETY: the path is live for the call; out-pointers to locals.
        fetch(|d, n| unsafe { proxy_get_property(p.as_ptr(), p.len(), d, n) })
    }

    fn set_audit(&mut self, record: &[u8]) -> Result<(), HostError> {
        set_property(&["piiguard_audit"], record)
    }

    fn set_audit_field(&mut self, key: &str, value: &str) -> Result<(), HostError> {
        set_property(&[key], value.as_bytes())
    }

    fn log_audit(&mut self, record: &[u8]) -> Result<(), HostError> {
        let line = format!("piiguard-audit: {}", String::from_utf8_lossy(record));
        // SAFETY: the pointer and length describe a live buffer for the call.
        abi_status(unsafe { proxy_log(LogLevel::Info as u32, line.as_ptr(), line.len()) })
    }

    fn now_ms(&self) -> Option<u64> {
        let mut ns = 0u64;
        // SAFETY: an out-pointer to a local, written by the host.
        let status = unsafe { proxy_get_current_time_nanoseconds(&mut ns) };
        abi_status(status).ok().map(|()| ns / 1_000_000)
    }
}

fn action(s: Step) -> Action {
    match s {
        Step::Continue => Action::Continue,
        Step::Pause => Action::Pause,
    }
}

impl Context for Http {
    fn on_done(&mut self) -> bool {
        self.flow.on_done(&mut WasmHost);
        true
    }
}

impl HttpContext for Http {
    fn on_http_request_headers(&mut self, _: usize, end_of_stream: bool) -> Action {
        action(self.flow.on_request_headers(&mut WasmHost, end_of_stream))
    }

    fn on_http_request_body(&mut self, size: usize, end_of_stream: bool) -> Action {
        action(
            self.flow
                .on_body(&mut WasmHost, Direction::Request, size, end_of_stream),
        )
    }

    fn on_http_request_trailers(&mut self, _: usize) -> Action {
        action(self.flow.on_trailers(&mut WasmHost, Direction::Request))
    }

    fn on_http_response_headers(&mut self, _: usize, end_of_stream: bool) -> Action {
        action(self.flow.on_response_headers(&mut WasmHost, end_of_stream))
    }

    fn on_http_response_body(&mut self, size: usize, end_of_stream: bool) -> Action {
        action(
            self.flow
                .on_body(&mut WasmHost, Direction::Response, size, end_of_stream),
        )
    }

    fn on_http_response_trailers(&mut self, _: usize) -> Action {
        action(self.flow.on_trailers(&mut WasmHost, Direction::Response))
    }

    fn on_log(&mut self) {
        self.flow.on_done(&mut WasmHost);
    }
}
