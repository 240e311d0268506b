//! `piiguard`: check a policy, scan a payload, explain each decision —
//! with the same engine the filter runs in Envoy.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::process::ExitCode;

mod check;
mod scan;
mod time;
mod trail;

/// Prints a line on stdout; a closed pipe (`piiguard ... | head`) ends the
/// program quietly instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::emit(format_args!($($arg)*))
    };
}
pub(crate) use outln;

pub(crate) fn emit(args: std::fmt::Arguments) {
    let mut out = std::io::stdout().lock();
    if out.write_fmt(args).and_then(|_| out.write_all(b"\n")).is_err() {
        std::process::exit(0);
    }
}

const EXIT_REDACTED: u8 = 2;
const EXIT_BLOCKED: u8 = 3;
const EXIT_INVALID: u8 = 4;

/// The JSON Schema's stable address (`$id`), also used in the shipped YAML's
/// `yaml-language-server` modelines.
pub const SCHEMA_ID: &str =
    "https://raw.githubusercontent.com/piiguard/piiguard/main/schema/piiguard-config.schema.json";

#[derive(Parser)]
#[command(
    name = "piiguard",
    version,
    about = "GDPR personal-data policy for Envoy and Istio, on the command line",
    long_about = "Check piiguard policies, scan a payload and explain each decision with the same engine the filter \
                  runs in Envoy, and read the audit trail back (a subject's record of processing, breach scoping).",
    after_help = "Exit codes: 0 allowed/logged/shadow (check: all valid), 2 redacted, 3 blocked, 4 invalid policy, \
                  1 usage or I/O error.\nRun `piiguard <command> --help` for each command's options and examples."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate policies: JSON or YAML policies, Envoy configs and Istio manifests
    #[command(after_help = "Examples:
  piiguard check examples/payments.json
  piiguard check istio/                      # every .json/.yaml/.yml below; files without piiguard config are skipped
  piiguard check istio/base/*.yaml envoy-config/envoy.yaml
  kubectl get wasmplugin -A -o yaml | piiguard check -
  piiguard check --allow-none $(git diff --name-only main)   # in a hook: files without config are fine

Errors name the JSON path and the line and column in the file as written (the YAML line for manifests).
A policy that pseudonymises (subject, `hash`) warns when the file does not set PIIGUARD_HASH_KEY.")]
    Check {
        /// Exit 0 even when no input holds a piiguard configuration (hooks over changed files)
        #[arg(long)]
        allow_none: bool,
        /// Files or directories; `-` reads stdin
        #[arg(required = true, value_name = "FILE|DIR|-")]
        inputs: Vec<String>,
    },
    /// Run a payload through a policy: print the body as the upstream would see it
    #[command(after_help = "Examples:
  echo '{\"email\":\"jane@example.com\"}' | piiguard scan --policy envoy-config/envoy.yaml --route echo
  piiguard scan --policy examples/payments.json --path /payments --method POST body.json
  piiguard scan --policy=examples/payments.json --direction=response --json response.json

The payload goes through the filter's own flow (headers, path and query included), as in Envoy.
The findings go to stderr (detector, category, location, count, action; the other direction's
are marked with it); to stdout the body as it leaves the filter, or its block reply.")]
    Scan(ScanArgs),
    /// Like scan, but say which route matched, why, and which rule decided each finding
    #[command(after_help = "Examples:
  piiguard explain --policy examples/payments.json --path /payments --method GET body.json
  echo '{\"card\":\"4111111111111111\"}' | piiguard explain --policy examples/payments.json --path /payments")]
    Explain(ScanArgs),
    /// Print the JSON Schema of the configuration (generated from the parser's types)
    #[command(after_help = "Examples:
  piiguard schema > schema/piiguard-config.schema.json
  # editors (YAML language server): first line of a policy file
  # yaml-language-server: $schema=https://raw.githubusercontent.com/piiguard/piiguard/main/schema/piiguard-config.schema.json")]
    Schema,
    /// One subject's record of processing from the audit trail (GDPR arts. 15, 30)
    #[command(after_help = "Examples:
  piiguard trail --subject 3f9c0a1b2c3d4e5f audit.jsonl
  PIIGUARD_HASH_KEY=... piiguard trail --id jane@example.com --since 2026-11-01 audit.jsonl
  kubectl logs deploy/crm -c istio-proxy | piiguard trail --subject 3f9c0a1b2c3d4e5f --since 72h -

Times: --since/--until take a date (2026-11-01), a date and time (2026-11-01T08:30:00Z, any offset),
a duration back from now (72h, 7d, 90m) or epoch milliseconds. Output times are ISO-8601 UTC.")]
    Trail(TrailArgs),
    /// Which subjects and categories flowed through a route or to a recipient (GDPR arts. 33-34)
    #[command(after_help = "Examples:
  piiguard breach --recipient outbound|443||api.partner.example --since 2026-11-01 --until 2026-11-08 audit.jsonl
  piiguard breach --route payments --since 72h --json audit.jsonl

Times as for `trail`: a date, a date and time, a duration back from now (72h) or epoch milliseconds.")]
    Breach(BreachArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Dir {
    Request,
    Response,
}

/// The downstream connection, as `require_tls` judges it.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Conn {
    Plaintext,
    Tls,
    /// TLS with a client certificate (the mesh)
    Mtls,
}

#[derive(Args)]
struct ScanArgs {
    /// Policy file (JSON or YAML policy, Envoy config, Istio manifest)
    #[arg(long, value_name = "FILE")]
    policy: String,
    /// Use this policy route (else matched from --path/--method/--host/--peer/--envoy-route)
    #[arg(long)]
    route: Option<String>,
    /// Request path (with query)
    #[arg(long, default_value = "/")]
    path: String,
    #[arg(long, default_value = "POST")]
    method: String,
    /// Host/authority
    #[arg(long, default_value = "")]
    host: String,
    /// Envoy route name (`xds.route_name`)
    #[arg(long, value_name = "NAME")]
    envoy_route: Option<String>,
    /// Caller identity (mTLS URI SAN, spiffe://...)
    #[arg(long)]
    peer: Option<String>,
    /// Upstream cluster name (`xds.cluster_name`)
    #[arg(long)]
    cluster: Option<String>,
    #[arg(long, value_enum, default_value = "request")]
    direction: Dir,
    /// The client's connection (for `require_tls`)
    #[arg(long, value_enum, default_value = "tls")]
    connection: Conn,
    /// Content type (default: sniffed)
    #[arg(long)]
    content_type: Option<String>,
    /// Findings as JSON on stdout instead of the body
    #[arg(long)]
    json: bool,
    /// Key for the `hash` strategy and subject pseudonyms
    #[arg(long, env = "PIIGUARD_HASH_KEY", hide_env_values = true)]
    hash_key: Option<String>,
    /// Payload file; `-` or nothing reads stdin
    #[arg(value_name = "INPUT|-")]
    input: Option<String>,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("who").required(true).args(["subject", "id"])))]
struct TrailArgs {
    /// The subject's pseudonym, as in the audit record
    #[arg(long)]
    subject: Option<String>,
    /// The subject's raw identifier (hashed with --key into the pseudonym)
    #[arg(long)]
    id: Option<String>,
    /// Pseudonymisation key for --id
    #[arg(long, env = "PIIGUARD_HASH_KEY", hide_env_values = true)]
    key: Option<String>,
    #[command(flatten)]
    window: Window,
    /// JSON output
    #[arg(long)]
    json: bool,
    /// Audit trail files (JSON lines, or Envoy logs with `piiguard-audit:` lines); `-` reads stdin
    #[arg(required = true, value_name = "AUDIT.jsonl|-")]
    files: Vec<String>,
}

#[derive(Args)]
struct Window {
    /// From: 2026-11-01, 2026-11-01T08:30:00Z, 72h (back from now), or epoch ms
    #[arg(long, value_name = "WHEN")]
    since: Option<String>,
    /// Until (inclusive), same forms as --since
    #[arg(long, value_name = "WHEN")]
    until: Option<String>,
}

impl Window {
    fn bounds(&self) -> Result<(u64, u64), String> {
        let now = time::now_ms();
        let at = |value: &Option<String>, flag: &str, unset: u64| match value {
            Some(s) => time::instant_ms(s, now).map_err(|e| format!("{flag} {e}")),
            None => Ok(unset),
        };
        let since = at(&self.since, "--since", 0)?;
        let until = at(&self.until, "--until", u64::MAX)?;
        if since > until {
            return Err(format!(
                "--since ({}) is after --until ({})",
                time::iso(since),
                time::iso(until)
            ));
        }
        Ok((since, until))
    }
}

#[derive(Args)]
struct BreachArgs {
    /// Policy route name
    #[arg(long)]
    route: Option<String>,
    /// Recipient: the upstream cluster the data went to
    #[arg(long)]
    recipient: Option<String>,
    /// Service (authority)
    #[arg(long)]
    host: Option<String>,
    #[command(flatten)]
    window: Window,
    /// JSON output
    #[arg(long)]
    json: bool,
    /// Audit trail files; `-` reads stdin
    #[arg(required = true, value_name = "AUDIT.jsonl|-")]
    files: Vec<String>,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // help and version go to stdout (a closed pipe is not an error)
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let res = match cli.command {
        Command::Check { inputs, allow_none } => run_check(&inputs, allow_none),
        Command::Scan(a) => scan::scan(&a, false),
        Command::Explain(a) => scan::scan(&a, true),
        Command::Schema => {
            outln!("{}", schema_text());
            Ok(0)
        }
        Command::Trail(a) => trail::trail(&a),
        Command::Breach(a) => trail::breach(&a),
    };
    match res {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("piiguard: {e}");
            ExitCode::from(1)
        }
    }
}

/// The JSON Schema of [`piiguard::config::Config`], with its stable `$id`.
fn schema_text() -> String {
    let mut schema = serde_json::to_value(schemars::schema_for!(piiguard::config::Config)).unwrap_or_default();
    if let Some(o) = schema.as_object_mut() {
        let mut out = serde_json::Map::new();
        for k in ["$schema"] {
            if let Some(v) = o.remove(k) {
                out.insert(k.into(), v);
            }
        }
        out.insert("$id".into(), SCHEMA_ID.into());
        out.insert("title".into(), "piiguard plugin configuration (version 1)".into());
        o.remove("title");
        out.extend(std::mem::take(o));
        schema = serde_json::Value::Object(out);
    }
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

fn run_check(paths: &[String], allow_none: bool) -> Result<u8, String> {
    let inputs = check::read_inputs(paths)?;
    let (mut bad, mut checked) = (0, 0);
    for input in &inputs {
        let scan = match check::configs_in(input) {
            Ok(s) => s,
            Err(e) => {
                outln!("{e}");
                bad += 1;
                continue;
            }
        };
        if scan.found.is_empty() {
            outln!("{}: skipped (no piiguard configuration in it)", input.name);
        }
        for f in &scan.found {
            checked += 1;
            let v = check::verdict(input, f);
            outln!("{}", v.line);
            for w in v.warnings {
                eprintln!("{w}");
            }
            if !v.ok {
                bad += 1;
            }
        }
    }
    if checked == 0 && bad == 0 && !allow_none {
        return Err("no piiguard configuration found in the input(s)".into());
    }
    Ok(if bad > 0 { EXIT_INVALID } else { 0 })
}
