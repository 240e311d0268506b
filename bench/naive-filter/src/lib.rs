//! A naive Rust proxy-wasm filter, the "what would a quick implementation cost"
//! baseline of `make bench`: two regexes (an e-mail address and a 16-digit card
//! number) run over the whole request and response bodies, which are buffered;
//! every match is replaced by a fixed string. No decoding, no validation, no
//! policy, no audit. Only a benchmark baseline, never a filter to deploy.
#[cfg(target_arch = "wasm32")]
mod filter {
    use proxy_wasm::traits::{Context, HttpContext, RootContext};
    use proxy_wasm::types::{Action, ContextType, LogLevel};
    use regex::bytes::Regex;
    use std::rc::Rc;

    const EMAIL: &str = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}";
    const CARD: &str = r"\b\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}\b";
    const REPLACEMENT: &[u8] = b"[REDACTED]";

    proxy_wasm::main! {{
        proxy_wasm::set_log_level(LogLevel::Warn);
        proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root { res: None }) });
    }}

    struct Root {
        res: Option<Rc<[Regex; 2]>>,
    }

    impl Context for Root {}

    impl RootContext for Root {
        fn on_configure(&mut self, _: usize) -> bool {
            match (Regex::new(EMAIL), Regex::new(CARD)) {
                (Ok(e), Ok(c)) => {
                    self.res = Some(Rc::new([e, c]));
                    true
                }
                _ => false,
            }
        }
        fn create_http_context(&self, _: u32) -> Option<Box<dyn HttpContext>> {
            let res = self.res.clone()?;
            Some(Box::new(Http { res }))
        }
        fn get_type(&self) -> Option<ContextType> {
            Some(ContextType::HttpContext)
        }
    }

    struct Http {
        res: Rc<[Regex; 2]>,
    }

    impl Http {
        /// The body with every match of both regexes replaced, or None when nothing matched.
        fn scrub(&self, body: &[u8]) -> Option<Vec<u8>> {
            let mut out: Option<Vec<u8>> = None;
            for re in self.res.iter() {
                let cur = out.as_deref().unwrap_or(body);
                if let std::borrow::Cow::Owned(v) = re.replace_all(cur, REPLACEMENT) {
                    out = Some(v);
                }
            }
            out
        }
    }

    impl Context for Http {}

    impl HttpContext for Http {
        fn on_http_request_headers(&mut self, _: usize, _: bool) -> Action {
            // The body may change length.
            self.set_http_request_header("content-length", None);
            Action::Continue
        }
        fn on_http_request_body(&mut self, size: usize, end_of_stream: bool) -> Action {
            if !end_of_stream {
                return Action::Pause;
            }
            if let Some(body) = self.get_http_request_body(0, size) {
                if let Some(new) = self.scrub(&body) {
                    self.set_http_request_body(0, size, &new);
                }
            }
            Action::Continue
        }
        fn on_http_response_headers(&mut self, _: usize, _: bool) -> Action {
            self.set_http_response_header("content-length", None);
            Action::Continue
        }
        fn on_http_response_body(&mut self, size: usize, end_of_stream: bool) -> Action {
            if !end_of_stream {
                return Action::Pause;
            }
            if let Some(body) = self.get_http_response_body(0, size) {
                if let Some(new) = self.scrub(&body) {
                    self.set_http_response_body(0, size, &new);
                }
            }
            Action::Continue
        }
    }
}
