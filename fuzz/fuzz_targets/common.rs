use piiguard::engine::Engine;
use piiguard::policy::Policy;

pub fn engine() -> Engine {
    let cfg = br#"{"version":1,"limits":{"max_json_depth":64},
      "detectors":{"custom":[{"id":"emp","category":"employee","pattern":"EMP-[0-9]{4}","fields":["emp"]}]},
      "default":{"request":{"actions":{"*":"redact"},"strategies":{"email":"hash","phone":"mask","person_name":"remove","payment_card":{"partial":{"keep_last":4}}},
      "paths":{"$.a[*].b":"allow","$.x":"redact"}}}}"#;
    match Policy::from_json(cfg) {
        Ok(p) => match Engine::new(p, piiguard::redact::Hasher::new(b"fuzz", None)) {
            Ok(e) => e,
            Err(_) => std::process::abort(),
        },
        Err(_) => std::process::abort(),
    }
}
