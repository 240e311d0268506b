//! Finding piiguard configurations in files (plain JSON/YAML policies, Envoy
//! configs, Istio manifests), checking them, and pointing at the line of the
//! file the operator edits — the YAML line, not the line of the embedded JSON.

use piiguard::config::ConfigError;
use piiguard::policy::Policy;
use std::io::Read;
use std::path::Path;

/// One input: a file's name and text.
pub struct Input {
    pub name: String,
    pub text: String,
}

/// Reads the inputs: `-` is stdin, a directory is walked for `.json`,
/// `.yaml` and `.yml` files (sorted, hidden entries skipped).
pub fn read_inputs(paths: &[String]) -> Result<Vec<Input>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p == "-" {
            let mut text = String::new();
            std::io::stdin()
                .lock()
                .read_to_string(&mut text)
                .map_err(|e| format!("stdin: {e}"))?;
            out.push(Input {
                name: "<stdin>".into(),
                text,
            });
        } else if Path::new(p).is_dir() {
            let mut files = Vec::new();
            walk(Path::new(p), &mut files)?;
            if files.is_empty() {
                return Err(format!("{p}: no .json, .yaml or .yml files in this directory"));
            }
            for f in files {
                let text = std::fs::read_to_string(&f).map_err(|e| format!("{f}: {e}"))?;
                out.push(Input { name: f, text });
            }
        } else {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}"))?;
            out.push(Input { name: p.clone(), text });
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<String>) -> Result<(), String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for e in entries {
        let name = e.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        if e.is_dir() {
            walk(&e, out)?;
        } else if matches!(e.extension().and_then(|x| x.to_str()), Some("json" | "yaml" | "yml")) {
            out.push(e.display().to_string());
        }
    }
    Ok(())
}

/// How to turn a position in the configuration's JSON back into the file.
enum Locate {
    /// The JSON is the whole file.
    WholeFile,
    /// The JSON is a YAML string (an Envoy `StringValue`): find its lines.
    YamlString {
        first: usize,
        last: usize,
    },
    /// The configuration is YAML itself (a plain YAML policy, or an Istio
    /// `pluginConfig`): walk the keys from `prefix` inside lines first..last.
    YamlTree {
        first: usize,
        last: usize,
        prefix: Vec<Seg>,
    },
    None,
}

/// A plugin configuration found in a file.
pub struct Found {
    /// `file`, or `file[doc N Kind] .spec.pluginConfig`.
    pub origin: String,
    pub json: String,
    /// The document sets PIIGUARD_HASH_KEY for the VM.
    pub sets_key: bool,
    locate: Locate,
}

/// What a file holds.
pub struct Scan {
    pub found: Vec<Found>,
}

fn looks_like_policy(v: &serde_json::Value) -> bool {
    v.get("version").is_some() && v.get("kind").is_none() && v.get("apiVersion").is_none()
}

/// Every piiguard configuration in one input.
pub fn configs_in(input: &Input) -> Result<Scan, String> {
    let (name, text) = (&input.name, &input.text);
    let trimmed = text.trim_start();
    if name.ends_with(".json") || trimmed.starts_with('{') {
        let whole = || Found {
            origin: name.clone(),
            json: text.clone(),
            sets_key: false,
            locate: Locate::WholeFile,
        };
        // Not JSON at all, or a policy: the parser reports with line/column.
        let found = match serde_json::from_str::<serde_json::Value>(text) {
            Err(_) => vec![whole()],
            Ok(v) if looks_like_policy(&v) => vec![whole()],
            Ok(v) => piiguard::config::embedded_configs(&v)
                .into_iter()
                .map(|(at, json)| Found {
                    origin: format!("{name} {at}"),
                    json,
                    sets_key: text.contains("PIIGUARD_HASH_KEY"),
                    locate: Locate::None,
                })
                .collect(),
        };
        return Ok(Scan { found });
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, (first, last)) in yaml_documents(&lines).into_iter().enumerate() {
        let doc = lines[first..last].join("\n");
        let v: serde_norway::Value = match serde_norway::from_str(&doc) {
            Ok(v) => v,
            Err(e) => {
                let at = e
                    .location()
                    .map(|l| format!(":{}:{}", first + l.line(), l.column()))
                    .unwrap_or_default();
                let msg = e.to_string();
                let msg = msg.rsplit_once(" at line ").map(|(m, _)| m.to_string()).unwrap_or(msg);
                return Err(format!("{name}{at}: YAML: {msg}"));
            }
        };
        if v.is_null() {
            continue;
        }
        let json = serde_json::to_value(&v).map_err(|e| format!("{name}: document {i}: {e}"))?;
        let kind = json.get("kind").and_then(|k| k.as_str()).unwrap_or("");
        let label = if kind.is_empty() {
            format!("{name}[doc {i}]")
        } else {
            format!("{name}[doc {i} {kind}]")
        };
        if kind == "CustomResourceDefinition" {
            // its `pluginConfig` is a schema node, not a configuration
            continue;
        }
        let sets_key = doc.contains("PIIGUARD_HASH_KEY");
        if looks_like_policy(&json) {
            found.push(Found {
                origin: if i == 0 { name.clone() } else { label },
                json: serde_json::to_string_pretty(&json).unwrap_or_default(),
                sets_key,
                locate: Locate::YamlTree {
                    first,
                    last,
                    prefix: vec![],
                },
            });
            continue;
        }
        for (at, cfg) in piiguard::config::embedded_configs(&json) {
            let locate = if at.ends_with(".pluginConfig") {
                Locate::YamlTree {
                    first,
                    last,
                    prefix: segments(&at),
                }
            } else {
                Locate::YamlString { first, last }
            };
            found.push(Found {
                origin: format!("{label} {at}"),
                json: cfg,
                sets_key,
                locate,
            });
        }
    }
    Ok(Scan { found })
}

/// Line ranges [first, last) of the YAML documents (split at `---`).
fn yaml_documents(lines: &[&str]) -> Vec<(usize, usize)> {
    let mut docs = Vec::new();
    let mut start = 0;
    for (i, l) in lines.iter().enumerate() {
        if *l == "---" || l.starts_with("--- ") || *l == "..." {
            if i > start {
                docs.push((start, i));
            }
            start = i + 1;
        }
    }
    if start < lines.len() {
        docs.push((start, lines.len()));
    }
    // documents holding only comments and blank lines are no documents
    docs.retain(|&(a, b)| {
        lines[a..b]
            .iter()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
    });
    docs
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// `.spec.pluginConfig`, `$.routes[0].request.actions.email` → segments.
fn segments(path: &str) -> Vec<Seg> {
    let p = path.strip_prefix('$').unwrap_or(path);
    let mut out = Vec::new();
    for part in p.split('.').filter(|s| !s.is_empty()) {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Seg::Key(key.to_string()));
        }
        while let Some(r) = rest.strip_prefix('[') {
            let Some(end) = r.find(']') else { break };
            if let Ok(n) = r[..end].parse() {
                out.push(Seg::Index(n));
            }
            rest = &r[end + 1..];
        }
    }
    out
}

fn indent(l: &str) -> usize {
    l.len() - l.trim_start().len()
}

fn is_content(l: &str) -> bool {
    let t = l.trim();
    !t.is_empty() && !t.starts_with('#')
}

fn key_of(content: &str) -> Option<&str> {
    let (k, _) = content.split_once(':')?;
    Some(k.trim().trim_matches('"').trim_matches('\''))
}

/// Finds the line (0-based) and column (1-based) of `segs` in block-style
/// YAML lines[first..last]; the deepest key found when the rest is not
/// (flow style, or a key the parser invented).
fn find_in_yaml(lines: &[&str], first: usize, last: usize, segs: &[Seg]) -> Option<(usize, usize)> {
    // (indent, content) per line; entering a list item rewrites its dash line
    let mut view: Vec<(usize, String)> = lines[..last]
        .iter()
        .map(|l| (indent(l), l.trim_start().to_string()))
        .collect();
    let (mut lo, mut hi) = (first, last);
    let mut best = None;
    for seg in segs {
        let Some(child) = (lo..hi).find(|&i| is_content(&view[i].1)).map(|i| view[i].0) else {
            break;
        };
        match seg {
            Seg::Key(k) => {
                let Some(at) = (lo..hi).find(|&i| {
                    view[i].0 == child && !view[i].1.starts_with("- ") && key_of(&view[i].1) == Some(k.as_str())
                }) else {
                    break;
                };
                best = Some((at, view[at].0 + 1));
                let end = (at + 1..hi)
                    .find(|&i| is_content(&view[i].1) && view[i].0 <= child)
                    .unwrap_or(hi);
                (lo, hi) = (at + 1, end);
            }
            Seg::Index(n) => {
                let items: Vec<usize> = (lo..hi)
                    .filter(|&i| view[i].0 == child && (view[i].1.starts_with("- ") || view[i].1 == "-"))
                    .collect();
                let Some(&at) = items.get(*n) else { break };
                best = Some((at, view[at].0 + 1));
                let end = items.get(n + 1).copied().unwrap_or_else(|| {
                    (at + 1..hi)
                        .find(|&i| is_content(&view[i].1) && view[i].0 < child)
                        .unwrap_or(hi)
                });
                let rest = view[at].1.get(1..).unwrap_or("").trim_start().to_string();
                let dash_width = view[at].1.len() - rest.len();
                view[at] = (view[at].0 + dash_width, rest);
                (lo, hi) = (at, end);
            }
        }
    }
    best
}

/// Where in the file: (1-based line, 1-based column).
fn position(input: &Input, f: &Found, e: &ConfigError) -> Option<(usize, usize)> {
    let lines: Vec<&str> = input.text.lines().collect();
    match &f.locate {
        Locate::WholeFile => e.line.zip(e.column),
        Locate::None => None,
        Locate::YamlTree { first, last, prefix } => {
            let mut segs = prefix.clone();
            segs.extend(segments(&e.path));
            let start = (*first..*last).find(|&i| is_content(lines[i])).unwrap_or(*first);
            find_in_yaml(&lines, *first, *last, &segs)
                .or(Some((start, 1)))
                .map(|(l, c)| (l + 1, c))
        }
        Locate::YamlString { first, last } => {
            let json: Vec<&str> = f.json.lines().collect();
            let head = json.iter().position(|l| !l.trim().is_empty())?;
            let want = json.len().saturating_sub(head).min(3);
            // a block scalar: the JSON lines appear one by one, indented
            let start = (*first..*last).find(|&i| {
                (0..want).all(|k| lines.get(i + k).map(|l| l.trim()) == json.get(head + k).map(|l| l.trim()))
            });
            if let Some(s) = start {
                let jl = e.line.unwrap_or(head + 1).max(head + 1);
                let yl = s + (jl - 1 - head);
                let pad = lines.get(yl).map(|l| indent(l)).unwrap_or(0);
                let jpad = json.get(jl - 1).map(|l| indent(l)).unwrap_or(0);
                let col = e.column.map(|c| c + pad - jpad.min(c + pad)).unwrap_or(pad + 1);
                return Some((yl + 1, col.max(1)));
            }
            // a one-line quoted string: the line that holds its start
            let probe: String = json[head].trim().chars().take(24).collect();
            let at = (*first..*last).find(|&i| lines[i].contains(&probe))?;
            let off = lines[at].find(&probe).unwrap_or(0);
            Some((at + 1, off + e.column.unwrap_or(1)))
        }
    }
}

/// One configuration's verdict line (and warnings), printed by `check`.
pub struct Verdict {
    pub ok: bool,
    pub line: String,
    pub warnings: Vec<String>,
}

pub fn verdict(input: &Input, f: &Found) -> Verdict {
    match Policy::from_json(f.json.as_bytes()) {
        Ok(p) => {
            let mut warnings = Vec::new();
            let needs = match (p.config.subject.is_some(), p.uses_hash) {
                (true, true) => Some("a subject and the `hash` strategy"),
                (true, false) => Some("a subject"),
                (false, true) => Some("the `hash` strategy"),
                _ => None,
            };
            if let (Some(why), false) = (needs, f.sets_key) {
                warnings.push(format!(
                    "{}: warning: this policy uses {why}: the filter needs the key PIIGUARD_HASH_KEY in its VM \
                     environment (Envoy vm_config.environment_variables, Istio vmConfig.env) and rejects the \
                     policy without it",
                    f.origin
                ));
            }
            Verdict {
                ok: true,
                line: format!(
                    "{}: ok ({} routes{})",
                    f.origin,
                    p.routes.len(),
                    p.version
                        .as_ref()
                        .map(|v| format!(", policy_version {v}"))
                        .unwrap_or_default()
                ),
                warnings,
            }
        }
        Err(err) => Verdict {
            ok: false,
            line: describe(input, f, &err),
            warnings: vec![],
        },
    }
}

/// `origin: error: $.path: message (line L, column C)` with L and C in the
/// file as written.
pub fn describe(input: &Input, f: &Found, e: &ConfigError) -> String {
    match position(input, f, e) {
        Some((l, c)) => format!("{}: error: {}: {} (line {l}, column {c})", f.origin, e.path, e.message),
        None => format!("{}: error: {}: {}", f.origin, e.path, e.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_of_paths() {
        assert_eq!(
            segments("$.routes[1].request.actions"),
            vec![
                Seg::Key("routes".into()),
                Seg::Index(1),
                Seg::Key("request".into()),
                Seg::Key("actions".into())
            ]
        );
        assert_eq!(segments("$"), vec![]);
    }

    #[test]
    fn finds_nested_keys_and_items() {
        let y = "a: 1\nroutes:\n  - name: x\n    request:\n      actions: {}\n  - name: y\n    request:\n      actions:\n        email: blok\n";
        let lines: Vec<&str> = y.lines().collect();
        let segs = segments("$.routes[1].request.actions.email");
        assert_eq!(find_in_yaml(&lines, 0, lines.len(), &segs), Some((8, 9)));
        let segs = segments("$.routes[0].name");
        assert_eq!(find_in_yaml(&lines, 0, lines.len(), &segs), Some((2, 5)));
    }
}
