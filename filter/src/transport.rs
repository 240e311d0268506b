//! `require_tls`: whether the hop a route names is encrypted, judged from
//! what Envoy saw on the connection (connection and cluster properties),
//! never from a header the client sends. On a plaintext hop `:scheme` and
//! `x-forwarded-proto` are whatever the client wrote (checked on Envoy 1.40:
//! `x-forwarded-proto: https` over plain HTTP makes `request.scheme` say
//! `https`), so they prove nothing.
//!
//! Properties read (Envoy 1.40, request phase unless said otherwise):
//! - `connection.tls_version`: set when the downstream connection is TLS;
//! - `connection.mtls`: one byte, 1 when the client presented a verified certificate;
//! - `xds.cluster_name`: the cluster the route sends the request to;
//! - `xds.cluster_metadata.filter_metadata.istio.alpn_override`: `"false"` on
//!   clusters Istio originates TLS to (DestinationRule `SIMPLE`/`MUTUAL`);
//! - `xds.cluster_metadata.filter_metadata.piiguard.tls`: `true` where the
//!   operator marked a cluster as TLS;
//! - response phase: `upstream.address` and `upstream.tls_version` of the
//!   connection the request actually went over.

use crate::config::ConfigError;
use crate::config::{RequireTls, TlsHop};

/// A route's compiled `require_tls`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsRequirement {
    Downstream,
    Mesh,
    Upstream { clusters: Vec<String> },
}

/// Property lookups, e.g. `&|p| host.property(p).ok().flatten()` (unreadable counts as absent).
pub type Props<'a> = &'a dyn Fn(&[&str]) -> Option<Vec<u8>>;

pub fn compile(r: &RequireTls, p: &str) -> Result<Option<TlsRequirement>, ConfigError> {
    let on = match r {
        RequireTls::Off => return Ok(None),
        RequireTls::On(on) => on,
    };
    if on.on != TlsHop::Upstream && !on.clusters.is_empty() {
        return Err(ConfigError::at(
            format!("{p}.require_tls.clusters"),
            "only with \"on\": \"upstream\" (the clusters known to use TLS)",
        ));
    }
    for (i, c) in on.clusters.iter().enumerate() {
        if c.is_empty() || c.chars().all(|ch| ch == '*') {
            return Err(ConfigError::at(
                format!("{p}.require_tls.clusters[{i}]"),
                "a cluster name or a glob with some fixed text (a lone `*` would vouch for every cluster)",
            ));
        }
    }
    Ok(Some(match on.on {
        TlsHop::Downstream => TlsRequirement::Downstream,
        TlsHop::Mesh => TlsRequirement::Mesh,
        TlsHop::Upstream => TlsRequirement::Upstream {
            clusters: on.clusters.clone(),
        },
    }))
}

/// `*` matches any run of characters (including none); everything else is literal.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

fn is_true(v: Option<Vec<u8>>) -> bool {
    // Envoy encodes a bool as one byte; metadata strings come as text.
    matches!(v.as_deref(), Some([1]) | Some(b"true"))
}

/// Whether the hop `req` names is encrypted, before the request goes on.
/// Anything unknown (a property missing or unreadable) counts as plaintext.
pub fn encrypted(req: &TlsRequirement, props: Props) -> bool {
    match req {
        TlsRequirement::Downstream => props(&["connection", "tls_version"]).is_some_and(|v| !v.is_empty()),
        TlsRequirement::Mesh => is_true(props(&["connection", "mtls"])),
        TlsRequirement::Upstream { clusters } => {
            let name = props(&["xds", "cluster_name"]).map(|b| String::from_utf8_lossy(&b).into_owned());
            let Some(name) = name.filter(|n| !n.is_empty()) else {
                return false;
            };
            if clusters.iter().any(|c| glob(c, &name)) {
                return true;
            }
            let md = |k: &str, f: &str| props(&["xds", "cluster_metadata", "filter_metadata", k, f]);
            md("istio", "alpn_override").as_deref() == Some(b"false") || is_true(md("piiguard", "tls"))
        }
    }
}

/// Response phase, `upstream` only: the request went over a connection and
/// that connection was not TLS (the cluster was vouched for wrongly).
pub fn upstream_was_plaintext(req: &TlsRequirement, props: Props) -> bool {
    matches!(req, TlsRequirement::Upstream { .. })
        && props(&["upstream", "address"]).is_some_and(|a| !a.is_empty())
        && !matches!(props(&["upstream", "tls_version"]), Some(v) if !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RequireTlsOn;
    use std::collections::HashMap;

    fn props(pairs: &[(&str, &[u8])]) -> HashMap<String, Vec<u8>> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_vec())).collect()
    }

    fn check(req: &TlsRequirement, m: &HashMap<String, Vec<u8>>) -> bool {
        encrypted(req, &|p: &[&str]| m.get(&p.join(".")).cloned())
    }

    #[test]
    fn globs() {
        assert!(glob("inbound-vip|*", "inbound-vip|8080|http|a.b.svc.cluster.local"));
        assert!(glob(
            "outbound|*||*.svc.cluster.local",
            "outbound|80||a.ns.svc.cluster.local"
        ));
        assert!(!glob("outbound|*||*.svc.cluster.local", "outbound|80||api.example.com"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exact2"));
        assert!(!glob("a*a", "a"), "no overlap of prefix and suffix");
        assert!(glob("a*b*c", "aXbYc"));
        assert!(!glob("a*b*c", "aXcYb"));
    }

    #[test]
    fn each_hop_reads_the_connection_not_the_client() {
        let plain = props(&[("xds.cluster_name", b"outbound|80||partner.example")]);
        let tls = props(&[("connection.tls_version", b"TLSv1.3"), ("connection.mtls", &[0])]);
        let mtls = props(&[("connection.tls_version", b"TLSv1.3"), ("connection.mtls", &[1])]);
        assert!(!check(&TlsRequirement::Downstream, &plain));
        assert!(check(&TlsRequirement::Downstream, &tls));
        assert!(!check(&TlsRequirement::Mesh, &tls), "one-way TLS is not mesh mTLS");
        assert!(check(&TlsRequirement::Mesh, &mtls));
        let up = TlsRequirement::Upstream { clusters: vec![] };
        assert!(!check(&up, &plain));
        assert!(!check(&up, &props(&[])), "no cluster: plaintext");
        let listed = TlsRequirement::Upstream {
            clusters: vec!["outbound|*||partner.example".into()],
        };
        assert!(check(&listed, &plain));
        let origination = props(&[
            ("xds.cluster_name", b"outbound|443||api.example"),
            ("xds.cluster_metadata.filter_metadata.istio.alpn_override", b"false"),
        ]);
        assert!(check(&up, &origination));
        let marked = props(&[
            ("xds.cluster_name", b"c"),
            ("xds.cluster_metadata.filter_metadata.piiguard.tls", &[1]),
        ]);
        assert!(check(&up, &marked));
    }

    #[test]
    fn response_phase_catches_a_plaintext_upstream() {
        let up = TlsRequirement::Upstream { clusters: vec![] };
        let m = props(&[("upstream.address", b"10.0.0.1:80")]);
        let f = |p: &[&str]| m.get(&p.join(".")).cloned();
        assert!(upstream_was_plaintext(&up, &f));
        let m2 = props(&[
            ("upstream.address", b"10.0.0.1:443"),
            ("upstream.tls_version", b"TLSv1.3"),
        ]);
        assert!(!upstream_was_plaintext(&up, &|p: &[&str]| m2
            .get(&p.join("."))
            .cloned()));
        assert!(
            !upstream_was_plaintext(&up, &|_: &[&str]| None),
            "no connection (local reply): nothing went out"
        );
        assert!(!upstream_was_plaintext(&TlsRequirement::Downstream, &f));
    }

    #[test]
    fn compile_rules() {
        let on = |hop, clusters: &[&str]| {
            RequireTls::On(RequireTlsOn {
                on: hop,
                clusters: clusters.iter().map(|s| s.to_string()).collect(),
            })
        };
        assert_eq!(compile(&RequireTls::Off, "$.default").unwrap(), None);
        assert_eq!(
            compile(&on(TlsHop::Mesh, &[]), "$.default").unwrap(),
            Some(TlsRequirement::Mesh)
        );
        let e = compile(&on(TlsHop::Mesh, &["x"]), "$.routes[0]").unwrap_err();
        assert_eq!(e.path, "$.routes[0].require_tls.clusters");
        let e = compile(&on(TlsHop::Upstream, &["ok", "**"]), "$.routes[0]").unwrap_err();
        assert_eq!(e.path, "$.routes[0].require_tls.clusters[1]");
    }

    #[test]
    fn config_says_which_hop() {
        let parse = |v: &str| {
            crate::config::parse(format!(r#"{{"version":1,"routes":[{{"name":"r","require_tls":{v}}}]}}"#).as_bytes())
        };
        let e = parse("true").unwrap_err();
        assert_eq!(e.path, "$.routes[0].require_tls");
        assert!(e.message.contains("which hop"), "{}", e.message);
        let e = parse(r#"{"on":"upstream","cluster":["x"]}"#).unwrap_err();
        assert_eq!(e.path, "$.routes[0].require_tls.cluster");
        assert!(e.message.contains("unknown field `cluster`"), "{}", e.message);
        let e = parse(r#"{"on":"edge"}"#).unwrap_err();
        assert_eq!(e.path, "$.routes[0].require_tls.on");
        assert!(parse("false").is_ok());
        let c = parse(r#"{"on":"upstream","clusters":["inbound-vip|*"]}"#).unwrap();
        let back = serde_json::to_value(&c.routes[0].require_tls).unwrap();
        assert_eq!(back, serde_json::json!({"on":"upstream","clusters":["inbound-vip|*"]}));
    }
}
