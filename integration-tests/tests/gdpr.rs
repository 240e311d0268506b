//! GDPR semantics in a real Envoy: purposes and consent, objections, egress
//! transfer rules, plaintext transfers, and the subject's trail read back by
//! the `piiguard trail` command from the access log the test wrote.

use integration_tests::*;
use piiguard::redact::{subject_pseudonym, Hasher};

const KEY: &str = "gdpr-test-key";

fn pseudonym(raw: &str) -> String {
    subject_pseudonym(&Hasher::new(KEY.as_bytes(), None).unwrap_or_else(|| panic!("key")), raw)
}

fn jwt(payload: &str) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let enc = |s: &str| {
        let mut out = String::new();
        for c in s.as_bytes().chunks(3) {
            let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
            for i in 0..=c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out
    };
    format!("Bearer {}.{}.c2ln", enc(r#"{"alg":"HS256"}"#), enc(payload))
}

#[test]
fn consent_objections_egress_plaintext_and_trail() {
    let policy = format!(
        r#"{{"version":1,"audit":{{"mode":"all"}},
      "subject":{{"sources":[{{"header":"x-user-id"}}]}},
      "consent":{{"header":"x-consent-purposes","jwt_claim":"purposes","objections":[{{"subject":"{}","purposes":["marketing"]}}]}},
      "routes":[
        {{"name":"marketing","match":{{"path_prefix":"/echo/marketing"}},"purpose":"marketing","legal_basis":"consent",
          "without_consent":{{"action":"redact","categories":["email","phone","person_name"]}},"request":{{"actions":{{"*":"log"}}}}}},
        {{"name":"newsletter","match":{{"path_prefix":"/echo/newsletter"}},"purpose":"newsletter","legal_basis":"consent","without_consent":{{"action":"block"}}}},
        {{"name":"to-card-processor","match":{{"clusters":["card_processor"]}},"request":{{"actions":{{"payment_card":"allow","*":"log"}}}},"purpose":"billing","legal_basis":"contract","region":"EU"}},
        {{"name":"partner","match":{{"path_prefix":"/echo/partner"}},"require_tls":{{"on":"upstream"}},"region":"US","request":{{"actions":{{"*":"log"}}}}}},
        {{"name":"egress","match":{{"path_prefix":"/echo/"}},"request":{{"actions":{{"payment_card":"block","*":"log"}}}}}}
      ]}}"#,
        pseudonym("u-obj")
    );
    let up = upstream();
    let envoy = Envoy::start_with(
        "gdpr",
        Some(&policy),
        up,
        &[("PIIGUARD_HASH_KEY", KEY), ("PIIGUARD_KEY_ID", "k-gdpr")],
        &|cfg| {
            // a second upstream cluster, the card processor, for /echo/cards
            let mut c = cfg["static_resources"]["clusters"][0].clone();
            c["name"] = "card_processor".into();
            c["load_assignment"]["cluster_name"] = "card_processor".into();
            if let Some(s) = cfg["static_resources"]["clusters"].as_sequence_mut() {
                s.push(c);
            }
            let routes = &mut cfg["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
                ["route_config"]["virtual_hosts"][0]["routes"];
            let r: serde_norway::Value = serde_norway::from_str(
                "name: cards\nmatch: { prefix: /echo/cards }\nroute: { cluster: card_processor }",
            )
            .unwrap_or(serde_norway::Value::Null);
            if let Some(s) = routes.as_sequence_mut() {
                s.insert(0, r);
            }
        },
    );
    let p = envoy.port;
    let body = r#"{"email":"jane.doe@example.com","phone":"+44 20 7946 0958","firstName":"Jane","card":"4111 1111 1111 1111"}"#;
    let post = |path: &str, h: &[(&str, &str)]| {
        let mut hs = vec![("content-type", "application/json")];
        hs.extend_from_slice(h);
        request(p, "POST", path, &hs, Some(body.as_bytes())).unwrap_or_else(|e| panic!("{e}"))
    };
    // 1. marketing without consent: contact data redacted; with consent: passes
    let r = post("/echo/marketing", &[("x-user-id", "u-1")]);
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(
        (v["email"].as_str(), v["phone"].as_str(), v["firstName"].as_str()),
        (Some("[EMAIL]"), Some("[PHONE]"), Some("[PERSON_NAME]"))
    );
    assert_eq!(v["card"], "4111 1111 1111 1111", "only the listed categories");
    let r = post(
        "/echo/marketing",
        &[("x-user-id", "u-1"), ("x-consent-purposes", "analytics, marketing")],
    );
    assert_eq!(r.json()["email"], "jane.doe@example.com");
    let r = post(
        "/echo/marketing",
        &[
            ("x-user-id", "u-1"),
            ("authorization", &jwt(r#"{"sub":"u-1","purposes":["marketing"]}"#)),
        ],
    );
    assert_eq!(r.json()["email"], "jane.doe@example.com", "consent from the JWT claim");
    // 2. an objecting subject is treated as without consent, consent or not
    let r = post(
        "/echo/marketing",
        &[("x-user-id", "u-obj"), ("x-consent-purposes", "marketing")],
    );
    assert_eq!(r.json()["email"], "[EMAIL]");
    // 3. a consent route that blocks without it
    let r = post("/echo/newsletter", &[("x-user-id", "u-1")]);
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"], "consent_required");
    let r = post(
        "/echo/newsletter",
        &[("x-user-id", "u-1"), ("x-consent-purposes", "newsletter")],
    );
    assert_eq!(r.status, 200);
    // 4. egress: the card processor gets the card, anyone else does not
    let r = post("/echo/cards", &[("x-user-id", "u-1")]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["card"], "4111 1111 1111 1111");
    let r = post("/echo/other-partner", &[("x-user-id", "u-1")]);
    assert_eq!(r.status, 403);
    // 5. plaintext transfer of personal data where TLS is required
    let r = post("/echo/partner", &[("x-user-id", "u-1")]);
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"], "plaintext_transfer_blocked");
    let r = request(
        p,
        "POST",
        "/echo/partner",
        &[("content-type", "application/json")],
        Some(br#"{"qty":2}"#),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200, "no personal data, no objection");
    // audit: consent state, region, recipient
    let audit = envoy.audit(10);
    assert_eq!(audit[0]["consent"], "missing");
    assert_eq!(audit[1]["consent"], "given");
    assert_eq!(audit[3]["consent"], "objected");
    assert_eq!(audit[6]["route"], "to-card-processor");
    assert_eq!(audit[6]["recipient"], "card_processor");
    assert_eq!(audit[6]["region"], "EU");
    // 6. the trail command reproduces u-1's flows from the access log
    let cli = repo_root().join("target/debug/piiguard");
    assert!(cli.exists(), "build the CLI first: cargo build -p piiguard-cli");
    let log = envoy.dir.join("audit.jsonl");
    let out = std::process::Command::new(&cli)
        .args([
            "trail",
            "--id",
            "u-1",
            "--key",
            KEY,
            "--json",
            &log.display().to_string(),
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let t: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(t["subject"], pseudonym("u-1").as_str());
    // u-1 made 3 marketing, 2 newsletter, 1 cards, 1 other-partner, 1 partner requests
    assert_eq!(t["requests"], 8);
    let flows = t["flows"].as_array().cloned().unwrap_or_default();
    let reqs = |route: &str, cat: &str| -> u64 {
        flows
            .iter()
            .filter(|f| f["route"] == route && f["category"] == cat && f["direction"] == "request")
            .map(|f| f["requests"].as_u64().unwrap_or(0))
            .sum()
    };
    assert_eq!(reqs("marketing", "email"), 3);
    assert_eq!(
        reqs("newsletter", "email"),
        1,
        "the blocked one never reached inspection"
    );
    assert_eq!(reqs("to-card-processor", "payment_card"), 1);
    assert_eq!(reqs("egress", "payment_card"), 1);
    assert_eq!(reqs("partner", "email"), 1);
    let cards = flows
        .iter()
        .find(|f| f["route"] == "to-card-processor" && f["category"] == "payment_card")
        .cloned()
        .unwrap_or_default();
    assert_eq!(cards["recipient"], "card_processor");
    assert_eq!(cards["purpose"], "billing");
    // breach scoping: who sent cards anywhere but the processor?
    let out = std::process::Command::new(&cli)
        .args(["breach", "--route", "egress", "--json", &log.display().to_string()])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let b: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(b["requests"], 1);
    assert_eq!(b["subjects"][pseudonym("u-1")]["payment_card"], 1);
}
