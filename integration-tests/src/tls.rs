//! TLS pieces for tests that need encrypted hops: certificates made by the
//! openssl CLI for each run (a CA, a server certificate for localhost and
//! 127.0.0.1, a client certificate with a SPIFFE URI SAN as the mesh would
//! issue), and Envoy config fragments for TLS listeners and clusters.

use serde_norway::Value as Y;
use std::path::{Path, PathBuf};
use std::process::Command;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("openssl CLI needed for the TLS tests (apt-get install openssl): {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Generates the certificates into a fresh directory and returns it
/// (`ca.crt`, `srv.{crt,key}`, `cli.{crt,key}`).
pub fn certs(name: &str) -> PathBuf {
    let dir = crate::repo_root()
        .join("target/integration")
        .join(format!("{}-certs-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    let mut a = vec!["req", "-x509"];
    a.extend(ec);
    a.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=piiguard-test-ca",
    ]);
    openssl(&dir, &a);
    for (name, san) in [
        ("srv", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
        ("cli", "subjectAltName=URI:spiffe://cluster.local/ns/shop/sa/web"),
    ] {
        let (key, csr, crt, ext) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
            format!("{name}.ext"),
        );
        std::fs::write(dir.join(&ext), format!("{san}\n")).unwrap_or_else(|e| panic!("{e}"));
        let mut a = vec!["req"];
        a.extend(ec);
        a.extend(["-keyout", &key, "-out", &csr, "-subj", "/CN=piiguard-test"]);
        openssl(&dir, &a);
        openssl(
            &dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &crt,
                "-days",
                "2",
                "-extfile",
                &ext,
            ],
        );
    }
    dir
}

pub fn y(text: &str) -> Y {
    serde_norway::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// A cluster to 127.0.0.1:`port` over TLS (with the client certificate when
/// `client_cert`: mutual TLS); `metadata` is a YAML line or empty.
pub fn tls_cluster(name: &str, port: u16, certs: &Path, client_cert: bool, metadata: &str) -> Y {
    let c = certs.display();
    let cert = if client_cert {
        format!("tls_certificates: [{{certificate_chain: {{filename: {c}/cli.crt}}, private_key: {{filename: {c}/cli.key}}}}]")
    } else {
        String::new()
    };
    y(&format!(
        r#"
name: "{name}"
connect_timeout: 2s
{metadata}
load_assignment: {{cluster_name: "{name}", endpoints: [{{lb_endpoints: [{{endpoint: {{address: {{socket_address: {{address: 127.0.0.1, port_value: {port}}}}}}}}}]}}]}}
transport_socket:
  name: envoy.transport_sockets.tls
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
    sni: localhost
    common_tls_context:
      {cert}
      validation_context: {{trusted_ca: {{filename: {c}/ca.crt}}}}
"#
    ))
}

/// A plaintext cluster to 127.0.0.1:`port`.
pub fn plain_cluster(name: &str, port: u16) -> Y {
    y(&format!(
        r#"{{name: "{name}", connect_timeout: 2s, load_assignment: {{cluster_name: "{name}", endpoints: [{{lb_endpoints: [{{endpoint: {{address: {{socket_address: {{address: 127.0.0.1, port_value: {port}}}}}}}}}]}}]}}}}"#
    ))
}

/// A listener's TLS transport socket (requiring a client certificate when
/// `require_client`: mutual TLS, as a sidecar's inbound or HBONE).
pub fn downstream_tls(certs: &Path, require_client: bool) -> Y {
    let c = certs.display();
    y(&format!(
        r#"
name: envoy.transport_sockets.tls
typed_config:
  "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
  require_client_certificate: {require_client}
  common_tls_context:
    tls_certificates: [{{certificate_chain: {{filename: {c}/srv.crt}}, private_key: {{filename: {c}/srv.key}}}}]
    validation_context: {{trusted_ca: {{filename: {c}/ca.crt}}}}
"#
    ))
}

/// A route sending paths matching `regex` to `cluster`.
pub fn route(regex: &str, cluster: &str) -> Y {
    y(&format!(
        r#"{{match: {{safe_regex: {{regex: "{regex}"}}}}, route: {{cluster: "{cluster}", timeout: 10s}}}}"#
    ))
}
