//! `require_tls` in a real Envoy with TLS listeners and TLS clusters
//! (certificates made by the openssl CLI for each run): each hop is judged
//! from what Envoy saw on the connection, never from `:scheme` or
//! `x-forwarded-proto`, which a plaintext client writes as it likes.
//!
//! One Envoy, four listeners:
//! - `front` (the harness's port, plaintext): piiguard with
//!   `{"on": "upstream"}` on `/echo/out/`; its routes send `/echo/in/*/{mtls,tls,plain}`
//!   to the three inbound listeners over a client-certificate TLS, a plain
//!   TLS and a plaintext cluster, and `/echo/out/*` to clusters that are or
//!   are not TLS (listed by name, Istio TLS-origination metadata, the
//!   `piiguard.tls` marker, a listed name that is in fact plaintext, and an
//!   unlisted plaintext one);
//! - `mtls_in` (TLS, client certificate required), `tls_in` (TLS),
//!   `plain_in` (plaintext): piiguard with `{"on": "mesh"}` on
//!   `/echo/in/mesh/` and `{"on": "downstream"}` on `/echo/in/downstream/`,
//!   then the demo upstream.

use integration_tests::tls::*;
use integration_tests::*;
use serde_norway::Value as Y;
use std::path::Path;

const INBOUND_POLICY: &str = r#"{"version":1,"hold_headers":true,"audit":{"mode":"findings"},
  "routes":[
    {"name":"mesh","match":{"path_prefix":"/echo/in/mesh/"},"require_tls":{"on":"mesh"},"request":{"actions":{"*":"log"}}},
    {"name":"downstream","match":{"path_prefix":"/echo/in/downstream/"},"require_tls":{"on":"downstream"},"request":{"actions":{"*":"log"}}}
  ],
  "default":{"request":{"actions":{"*":"log"}}}}"#;

const FRONT_POLICY: &str = r#"{"version":1,"audit":{"mode":"all"},
  "routes":[
    {"name":"egress","match":{"path_prefix":"/echo/out/"},
     "require_tls":{"on":"upstream","clusters":["outbound|*||listed.example","outbound|*||liar.example"]},
     "request":{"actions":{"*":"log"}}}
  ],
  "default":{"request":{"actions":{"*":"log"}}}}"#;

struct Ports {
    mtls_in: u16,
    tls_in: u16,
    plain_in: u16,
}

fn start(up: u16, certs: &Path) -> (Envoy, Ports) {
    let ports = Ports {
        mtls_in: free_port(),
        tls_in: free_port(),
        plain_in: free_port(),
    };
    let certs = certs.to_path_buf();
    let (mtls_in, tls_in, plain_in) = (ports.mtls_in, ports.tls_in, ports.plain_in);
    let envoy = Envoy::start_with("require-tls", Some(FRONT_POLICY), up, &[], &move |cfg| {
        let front = cfg["static_resources"]["listeners"][0].clone();
        // the inbound listeners: the front's HCM with the inbound policy, straight to the demo upstream
        let mut inbound = front.clone();
        let hcm = &mut inbound["filter_chains"][0]["filters"][0]["typed_config"];
        if let Y::Mapping(m) = hcm {
            m.remove("access_log");
        }
        hcm["http_filters"][0]["typed_config"]["config"]["name"] = "piiguard-inbound".into();
        hcm["http_filters"][0]["typed_config"]["config"]["configuration"]["value"] = INBOUND_POLICY.into();
        let mut listeners = vec![];
        for (name, port, tls) in [
            ("mtls_in", mtls_in, Some(true)),
            ("tls_in", tls_in, Some(false)),
            ("plain_in", plain_in, None),
        ] {
            let mut l = inbound.clone();
            l["name"] = name.into();
            l["address"]["socket_address"]["port_value"] = port.into();
            if let Some(client) = tls {
                l["filter_chains"][0]["transport_socket"] = downstream_tls(&certs, client);
            }
            listeners.push(l);
        }
        // the front's routes: inbound hops and egress clusters
        let routes = &mut cfg["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
            ["route_config"]["virtual_hosts"][0]["routes"];
        let mut r = vec![
            route("^/echo/in/[a-z]+/mtls.*", "to_mtls_in"),
            route("^/echo/in/[a-z]+/tls.*", "to_tls_in"),
            route("^/echo/in/[a-z]+/plain.*", "to_plain_in"),
            route("^/echo/out/listed.*", "outbound|443||listed.example"),
            route("^/echo/out/originated.*", "outbound|443||api.example"),
            route("^/echo/out/marked.*", "marked"),
            route("^/echo/out/liar.*", "outbound|80||liar.example"),
            route("^/echo/out/plain.*", "outbound|80||partner.example"),
        ];
        if let Some(s) = routes.as_sequence() {
            r.extend(s.iter().cloned());
        }
        *routes = Y::Sequence(r);
        if let Some(ls) = cfg["static_resources"]["listeners"].as_sequence_mut() {
            ls.extend(listeners);
        }
        let origination = r#"metadata: {filter_metadata: {istio: {alpn_override: "false"}}}"#;
        let marked = "metadata: {filter_metadata: {piiguard: {tls: true}}}";
        let clusters = [
            tls_cluster("to_mtls_in", mtls_in, &certs, true, ""),
            tls_cluster("to_tls_in", tls_in, &certs, false, ""),
            plain_cluster("to_plain_in", plain_in),
            tls_cluster("outbound|443||listed.example", mtls_in, &certs, true, ""),
            tls_cluster("outbound|443||api.example", tls_in, &certs, false, origination),
            tls_cluster("marked", tls_in, &certs, false, marked),
            plain_cluster("outbound|80||liar.example", plain_in),
            plain_cluster("outbound|80||partner.example", plain_in),
        ];
        if let Some(cs) = cfg["static_resources"]["clusters"].as_sequence_mut() {
            cs.extend(clusters);
        }
    });
    (envoy, ports)
}

const BODY: &[u8] = br#"{"contact":{"email":"jane.doe@example.com"}}"#;

fn post(envoy: &Envoy, path: &str, extra: &[(&str, &str)]) -> Response {
    let mut h = vec![("content-type", "application/json")];
    h.extend_from_slice(extra);
    request(envoy.port, "POST", path, &h, Some(BODY)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn assert_blocked(r: &Response, path: &str, status: u16, error: &str) {
    assert_eq!(r.status, status, "{path}: {}", r.text());
    assert_eq!(r.json()["error"], error, "{path}");
    assert!(!r.text().contains("jane.doe"), "{path}: the reply carries no value");
}

#[test]
fn each_hop_is_judged_from_the_connection() {
    let certs = certs("require-tls");
    let up = upstream();
    let (envoy, ports) = start(up, &certs);
    let _ = (ports.mtls_in, ports.tls_in, ports.plain_in);

    // inbound, mesh: only a connection with a verified client certificate (mTLS)
    let r = post(&envoy, "/echo/in/mesh/mtls", &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["contact"]["email"], "jane.doe@example.com");
    assert_blocked(
        &post(&envoy, "/echo/in/mesh/tls", &[]),
        "mesh over one-way TLS",
        403,
        "plaintext_transfer_blocked",
    );
    assert_blocked(
        &post(&envoy, "/echo/in/mesh/plain", &[]),
        "mesh over plaintext",
        403,
        "plaintext_transfer_blocked",
    );

    // downstream (edge gateway): TLS on the arriving connection, with or without a client certificate
    for p in ["/echo/in/downstream/mtls", "/echo/in/downstream/tls"] {
        let r = post(&envoy, p, &[]);
        assert_eq!(r.status, 200, "{p}: {}", r.text());
    }
    // the attack: a plaintext client claiming https (`x-forwarded-proto`, which
    // Envoy turns into `:scheme: https` on plain HTTP) is still plaintext
    assert_blocked(
        &post(&envoy, "/echo/in/downstream/plain", &[("x-forwarded-proto", "https")]),
        "downstream over plaintext claiming https",
        403,
        "plaintext_transfer_blocked",
    );
    // no personal data: nothing to protect, the plaintext hop is fine
    let r = request(
        envoy.port,
        "POST",
        "/echo/in/mesh/plain",
        &[("content-type", "application/json")],
        Some(br#"{"qty":2}"#),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200, "{}", r.text());

    // outbound, upstream: clusters that use TLS, known before the request leaves
    for p in ["/echo/out/listed", "/echo/out/originated", "/echo/out/marked"] {
        let r = post(&envoy, p, &[]);
        assert_eq!(r.status, 200, "{p}: {}", r.text());
        assert_eq!(r.json()["contact"]["email"], "jane.doe@example.com", "{p}");
    }
    // an unlisted plaintext cluster: blocked before anything leaves
    assert_blocked(
        &post(&envoy, "/echo/out/plain", &[("x-forwarded-proto", "https")]),
        "plaintext egress",
        403,
        "plaintext_transfer_blocked",
    );
    // a cluster listed as TLS that is in fact plaintext: caught on the response
    // (upstream.tls_version), refused, and audited as a plaintext transfer
    assert_blocked(
        &post(&envoy, "/echo/out/liar", &[]),
        "vouched but plaintext",
        502,
        "plaintext_transfer_detected",
    );

    let audit = envoy.audit(12);
    let liar = audit
        .iter()
        .find(|a| a["recipient"] == "outbound|80||liar.example")
        .unwrap_or_else(|| panic!("no audit record for the liar cluster: {audit:?}"));
    assert_eq!(liar["decision"], "blocked", "{liar}");
    assert!(liar.to_string().contains("plaintext_transfer"), "{liar}");
    let plain = audit
        .iter()
        .find(|a| a["recipient"] == "outbound|80||partner.example")
        .unwrap_or_else(|| panic!("no audit record for the plaintext egress: {audit:?}"));
    assert_eq!(plain["request"]["decision"], "blocked", "{plain}");
    assert!(!std::fs::read_to_string(envoy.dir.join("audit.jsonl"))
        .unwrap_or_default()
        .contains("jane.doe"));
}
