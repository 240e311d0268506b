//! The split base64/hex pass's gated search (`bodies::joined::runs`: only
//! chunk starts from which a capital, a digit or `+/-_` is reachable, and
//! whose first quartet decodes to text) finds exactly the runs of its
//! reference (`runs_reference`: every chunk start), on every string of the
//! case tables, the prose corpora (whole and per line), the benchmark
//! inputs, base64 and hex of corpus text cut at every width and mixed into
//! prose, hex bytes each with its own `0x`, and generated strings (proptest).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine as _;
use piiguard::bodies::joined::{runs, runs_reference, Run};
use proptest::prelude::*;

mod common;
use common::corpus;

/// Both searches on `b`, with no span skipped and with the first half
/// skipped; the number of runs found.
fn same(b: &[u8], what: &str) -> usize {
    let (mut fast, mut slow) = (Vec::new(), Vec::new());
    let mut found = 0;
    for skip in [vec![], vec![(0, b.len() / 2)]] {
        runs(b, &skip, &mut fast);
        runs_reference(b, &skip, &mut slow);
        if fast != slow {
            let show = |v: &[Run]| {
                v.iter()
                    .map(|r| format!("{}..{} {:?}", r.start, r.end, String::from_utf8_lossy(&r.plain)))
                    .collect::<Vec<_>>()
            };
            panic!(
                "{what}: gated {:#?}\nreference {:#?}\nin {:?}",
                show(&fast),
                show(&slow),
                String::from_utf8_lossy(b)
            );
        }
        found += fast.len();
    }
    found
}

/// Every string of the case tables (and the case files raw), the prose
/// corpora, the benchmark inputs.
fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut texts = corpus::case_strings(0);
    texts.extend(corpus::case_files());
    texts.extend(corpus::prose(true));
    texts.extend(corpus::bench(64 * 1024));
    corpus::unique(texts)
}

#[test]
fn same_runs_on_the_corpora() {
    let texts = corpus();
    let mut found = 0;
    for (what, t) in &texts {
        found += same(t, what);
    }
    println!("{} texts, {found} runs compared", texts.len());
    assert!(texts.len() > 2500, "{} distinct texts", texts.len());
    // the case tables hold split base64 and hex on purpose
    assert!(found >= 20, "only {found} runs compared");
}

/// Corpus lines written as base64 or hex, cut into chunks of every width
/// by every separator, inside prose, as a client would hide them.
#[test]
fn same_runs_on_split_encodings_of_corpus_text() {
    let texts = corpus();
    let lines: Vec<&str> = texts
        .iter()
        .filter(|(w, _)| w.contains("prose"))
        .filter_map(|(_, t)| std::str::from_utf8(t).ok())
        .flat_map(str::lines)
        .filter(|l| (12..200).contains(&l.len()))
        .step_by(7)
        .take(300)
        .collect();
    assert!(lines.len() >= 100, "{} lines", lines.len());
    // and text that is not ASCII (two-, three- and four-byte characters)
    let mut lines = lines;
    lines.extend([
        "Zoë Müller, née Ďurová, Straße 12: card 4111 1111 1111 1111",
        "日本語のテキスト、連絡先 jane.doe@example.com まで",
        "Ελληνικά: zoe.papadopoulou@example.org, τηλ. +30 21 0000 0000",
        "emoji 🙂🙂 and more 🙂 text for a run of base64 🙂",
    ]);
    let mut found = 0;
    for (k, line) in lines.iter().enumerate() {
        let b64 = base64::engine::general_purpose::STANDARD.encode(line);
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(line);
        let hex: String = line.bytes().map(|c| format!("{c:02x}")).collect();
        let c_array = line
            .bytes()
            .map(|c| format!("0x{c:02x}"))
            .collect::<Vec<_>>()
            .join([", ", " ", ","][k % 3]);
        found += same(format!("x = {{{c_array}}};").as_bytes(), line);
        let w = 1 + k % 12;
        let sep = [" ", "\n", "\r\n", "\t", "  ", ":", "-", "   "][k % 8];
        for enc in [&b64, &url, &hex] {
            let cut: Vec<&str> = enc
                .as_bytes()
                .chunks(w)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect();
            let joined = cut.join(sep);
            for t in [
                joined.clone(),
                format!("see: {joined} thanks"),
                format!(
                    "{} {joined}. And {}",
                    lines[(k + 1) % lines.len()],
                    lines[(k + 2) % lines.len()]
                ),
                format!("note {joined}, more {joined}"),
                joined.to_lowercase(),
            ] {
                found += same(t.as_bytes(), line);
            }
        }
    }
    println!("{found} runs compared");
    assert!(found > 500, "only {found} runs compared");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// Strings of base64 and hex characters, gaps of every width, breaks.
    #[test]
    fn same_runs_on_generated_text(t in "(([A-Za-z0-9+/_=-]{1,9}|0x[0-9a-fA-F]{1,4})([ \t\n:.,;]{1,3}|\r\n))*[a-zA-Z0-9]{0,5}") {
        same(t.as_bytes(), "generated");
    }

    /// Base64 of text cut at a width, inside words of prose.
    #[test]
    fn same_runs_on_generated_split_base64(
        plain in "[ -~]{10,60}",
        w in 1usize..20,
        sep in "( |\n|\r\n|\t|  |:|-|   )",
        before in "[a-z ]{0,30}",
        after in "[a-zA-Z .]{0,30}",
    ) {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&plain);
        let hex: String = plain.bytes().map(|c| format!("{c:02x}")).collect();
        for enc in [b64, hex] {
            let cut: Vec<&str> = enc.as_bytes().chunks(w).map(|c| std::str::from_utf8(c).unwrap()).collect();
            let t = format!("{before}{}{after}", cut.join(&sep));
            same(t.as_bytes(), "generated");
        }
    }
}
