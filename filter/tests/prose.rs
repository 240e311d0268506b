//! Free-text detection (names, postal addresses, dates of birth in prose),
//! measured on the documents under `tests/data/prose/`: recall per kind on
//! the marked values, precision on everything found, and the share of clean
//! documents with a false positive. The figures are printed
//! (`cargo test -p piiguard --test prose -- --nocapture`) and held to floors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use piiguard::prose::{Kind, Prose};

struct Doc {
    text: String,
    gold: Vec<(Kind, usize, usize)>,
}

/// Splits a data file into documents and strips the `[[kind:value]]` marks.
fn parse(file: &str) -> Vec<Doc> {
    let mut docs = Vec::new();
    let body = file.split_once("\n===\n").map(|x| x.1).unwrap_or(file);
    for raw in body.split("\n===\n") {
        let mut text = String::new();
        let mut gold = Vec::new();
        let mut rest = raw;
        while let Some(i) = rest.find("[[") {
            text.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let j = after.find("]]").expect("unclosed mark");
            let (kind, value) = after[..j].split_once(':').expect("mark without kind");
            let kind = match kind {
                "name" => Kind::Name,
                "addr" => Kind::Address,
                "dob" => Kind::BirthDate,
                k => panic!("unknown kind {k}"),
            };
            gold.push((kind, text.len(), text.len() + value.len()));
            text.push_str(value);
            rest = &after[j + 2..];
        }
        text.push_str(rest);
        docs.push(Doc { text, gold });
    }
    docs
}

#[derive(Default, Clone, Copy)]
struct Count {
    gold: usize,
    hit: usize,
    found: usize,
    correct: usize,
}

fn overlaps(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

fn idx(k: Kind) -> usize {
    match k {
        Kind::Name => 0,
        Kind::Address => 1,
        Kind::BirthDate => 2,
    }
}

/// Recall: a marked value counts as found when a span of the same kind
/// overlaps it. Precision: a span is correct when it overlaps a marked value
/// of its kind.
fn measure(docs: &[Doc], p: &Prose, c: &mut [Count; 3], show: bool) -> usize {
    let mut docs_with_fp = 0;
    for d in docs {
        let mut out = Vec::new();
        p.find(d.text.as_bytes(), &mut out);
        let mut fp = false;
        for &(k, a, b) in &d.gold {
            c[idx(k)].gold += 1;
            if out.iter().any(|&(k2, s, e)| k2 == k && overlaps((a, b), (s, e))) {
                c[idx(k)].hit += 1;
            } else if show {
                println!("  miss {k:?}: {:?}", &d.text[a..b]);
            }
        }
        for &(k, s, e) in &out {
            c[idx(k)].found += 1;
            if d.gold.iter().any(|&(k2, a, b)| k2 == k && overlaps((a, b), (s, e))) {
                c[idx(k)].correct += 1;
            } else {
                fp = true;
                if show {
                    println!("  false {k:?}: {:?}", &d.text[s..e]);
                }
            }
        }
        docs_with_fp += fp as usize;
    }
    docs_with_fp
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

struct Figures {
    recall: f64,
    precision: f64,
    per_kind: [f64; 3],
    clean_flagged: f64,
}

fn report(label: &str, positives: &str, negatives: &str) -> Figures {
    let p = Prose::new().unwrap();
    let pos = parse(positives);
    let neg = parse(negatives);
    assert!(pos.len() >= 40 && neg.len() >= 40, "data files truncated");
    assert!(neg.iter().all(|d| d.gold.is_empty()), "negatives must not be marked");
    let show = std::env::var_os("PROSE_SHOW").is_some();
    let mut c = [Count::default(); 3];
    let _ = measure(&pos, &p, &mut c, show);
    let mut n = [Count::default(); 3];
    let neg_fp = measure(&neg, &p, &mut n, show);
    let names = ["person_name", "postal_address", "birth_date"];
    println!(
        "{label}: {} documents with {} marked values, {} clean documents",
        pos.len(),
        c.iter().map(|x| x.gold).sum::<usize>(),
        neg.len()
    );
    println!("| category | marked | recall | precision (positives + clean) | false spans on clean text |");
    println!("|---|---|---|---|---|");
    let mut total = Count::default();
    let mut per_kind = [0.0; 3];
    for i in 0..3 {
        let found = c[i].found + n[i].found;
        per_kind[i] = pct(c[i].hit, c[i].gold);
        println!(
            "| {} | {} | {:.1} % | {:.1} % | {} |",
            names[i],
            c[i].gold,
            per_kind[i],
            pct(c[i].correct, found),
            n[i].found
        );
        total.gold += c[i].gold;
        total.hit += c[i].hit;
        total.found += found;
        total.correct += c[i].correct;
    }
    let recall = pct(total.hit, total.gold);
    let precision = pct(total.correct, total.found);
    println!(
        "| all | {} | {recall:.1} % | {precision:.1} % | {} |",
        total.gold,
        n.iter().map(|x| x.found).sum::<usize>()
    );
    let clean_flagged = pct(neg_fp, neg.len());
    println!(
        "clean documents with any finding: {neg_fp}/{} ({clean_flagged:.1} %)\n",
        neg.len()
    );
    Figures {
        recall,
        precision,
        per_kind,
        clean_flagged,
    }
}

/// The development set: the rules were written against it, so its figures
/// are optimistic; the floors only catch regressions.
#[test]
fn free_text_development_set() {
    let f = report(
        "development set",
        include_str!("data/prose/positives.txt"),
        include_str!("data/prose/negatives.txt"),
    );
    assert!(f.recall >= 85.0, "recall {:.1} %", f.recall);
    for (i, floor) in [(0, 80.0), (1, 85.0), (2, 85.0)] {
        assert!(
            f.per_kind[i] >= floor,
            "kind {i}: recall {:.1} % < {floor} %",
            f.per_kind[i]
        );
    }
    assert!(f.precision >= 90.0, "precision {:.1} %", f.precision);
    assert!(
        f.clean_flagged <= 8.0,
        "{:.1} % of clean documents flagged",
        f.clean_flagged
    );
}

/// The held-out set: written after the rules and never used to tune them.
/// Floors set before it was first measured: the issue's 60 % recall goal,
/// 80 % precision, at most 15 % of clean documents flagged.
#[test]
fn free_text_held_out_set() {
    let f = report(
        "held-out set",
        include_str!("data/prose/heldout_positives.txt"),
        include_str!("data/prose/heldout_negatives.txt"),
    );
    assert!(f.recall >= 60.0, "recall {:.1} % < 60 %", f.recall);
    assert!(f.precision >= 80.0, "precision {:.1} % < 80 %", f.precision);
    assert!(
        f.clean_flagged <= 15.0,
        "{:.1} % of clean documents flagged",
        f.clean_flagged
    );
}

/// Clean free text (product descriptions, release notes, news-like sentences
/// with cities, companies and brands, logs; eight languages): the share of
/// documents with any finding, printed with the findings. Ceiling set
/// before the first-name list was measured on it: 10 %.
#[test]
fn clean_free_text() {
    let p = Prose::new().unwrap();
    let docs = parse(include_str!("data/prose/clean_text.txt"));
    assert!(docs.len() >= 150, "data file truncated");
    assert!(docs.iter().all(|d| d.gold.is_empty()), "clean text must not be marked");
    let mut flagged = 0;
    let mut spans = 0;
    for d in &docs {
        let mut out = Vec::new();
        p.find(d.text.as_bytes(), &mut out);
        for &(k, s, e) in &out {
            println!("  clean text finding {k:?}: {:?}", &d.text[s..e]);
        }
        spans += out.len();
        flagged += !out.is_empty() as usize;
    }
    let share = pct(flagged, docs.len());
    println!(
        "clean free text: {flagged}/{} documents with a finding ({share:.1} %), {spans} spans",
        docs.len()
    );
    assert!(share <= 10.0, "{share:.1} % of clean documents flagged");
}

/// Table of single cases per cue family: what must be found, exactly.
#[test]
fn cue_table() {
    let p = Prose::new().unwrap();
    let cases: &[(&str, &[(Kind, &str)])] = &[
        ("Dear Mrs. Smith-Jones,", &[(Kind::Name, "Smith-Jones")]),
        ("Herr Prof. Dr. Keller kommt morgen.", &[(Kind::Name, "Keller")]),
        ("Dhr. van der Berg belde.", &[(Kind::Name, "van der Berg")]),
        ("my name is Seán O'Brien", &[(Kind::Name, "Seán O'Brien")]),
        ("Regards,\nJ. R. Hartley", &[(Kind::Name, "J. R. Hartley")]),
        ("DOB: 29/02/1988", &[(Kind::BirthDate, "29/02/1988")]),
        ("DOB: 29/02/1987", &[]),
        ("geboren am 31.04.1980", &[]),
        (
            "born on the 3rd of March 1985",
            &[(Kind::BirthDate, "3rd of March 1985")],
        ),
        (
            "nacido el 5 de marzo de 1990",
            &[(Kind::BirthDate, "5 de marzo de 1990")],
        ),
        // dates of birth: places and weekdays between cue and date, more
        // formats and the Polish and Portuguese month names
        (
            "She was born in London on 4 March 1985.",
            &[(Kind::BirthDate, "4 March 1985")],
        ),
        ("née à Lyon le 12 juin 1979", &[(Kind::BirthDate, "12 juin 1979")]),
        ("born on Monday, 4 March 1985", &[(Kind::BirthDate, "4 March 1985")]),
        ("DOB: 04-Mar-1985", &[(Kind::BirthDate, "04-Mar-1985")]),
        ("DOB Mar-04-1985", &[(Kind::BirthDate, "Mar-04-1985")]),
        ("DOB: 19850304", &[(Kind::BirthDate, "19850304")]),
        ("DOB: 19851304", &[]),
        ("Date of birth: 04 03 1985", &[(Kind::BirthDate, "04 03 1985")]),
        (
            "urodzony w Krakowie dnia 4 marca 1985 r.",
            &[(Kind::BirthDate, "4 marca 1985")],
        ),
        (
            "data de nascimento: 4 de março de 1985",
            &[(Kind::BirthDate, "4 de março de 1985")],
        ),
        ("the birth certificate from 2020-01-01", &[]),
        ("born in 1985 in Ohio", &[]),
        ("Hauptstraße 5", &[(Kind::Address, "Hauptstraße 5")]),
        ("Hauptstraße", &[]),
        (
            "10 Downing St, London SW1A 2AA",
            &[(Kind::Address, "10 Downing St, London SW1A 2AA")],
        ),
        (
            "12 Main Street, Springfield, OR 97477-1234",
            &[(Kind::Address, "12 Main Street, Springfield, OR 97477-1234")],
        ),
        (
            "Kalverstraat 92, 1012 PH",
            &[(Kind::Address, "Kalverstraat 92, 1012 PH")],
        ),
        ("Via Roma 10, 00184 Roma", &[(Kind::Address, "Via Roma 10, 00184 Roma")]),
        ("Calle Mayor nº 5", &[(Kind::Address, "Calle Mayor nº 5")]),
        ("12, rue des Lilas", &[(Kind::Address, "12, rue des Lilas")]),
        ("We ship via Amazon 2 days later", &[]),
        // streets after an address verb, either order of number and name
        ("She lives on Via Tasso 129.", &[(Kind::Address, "Via Tasso 129")]),
        (
            "Please ship to 5366 Pivovarská 276, 11000 Praha",
            &[(Kind::Address, "5366 Pivovarská 276, 11000 Praha")],
        ),
        (
            "He lives on the north side of Hoge Wei 32.",
            &[(Kind::Address, "Hoge Wei 32")],
        ),
        ("Go back and return to Step 3 of the guide.", &[]),
        ("We moved to Version 2 last week.", &[]),
        ("They ship to 3 countries in Europe.", &[]),
        // Polish, Portuguese and Nordic street words
        (
            "Biuro: ul. Chrzanowska 61, 00-950 Warszawa",
            &[(Kind::Address, "ul. Chrzanowska 61, 00-950 Warszawa")],
        ),
        (
            "Morada: Rua Augusta 27, 1100-048 Lisboa",
            &[(Kind::Address, "Rua Augusta 27, 1100-048 Lisboa")],
        ),
        ("Moro na Rua Diadema 1903.", &[(Kind::Address, "Rua Diadema 1903")]),
        (
            "Magasinsgatan 7, 41118 Göteborg",
            &[(Kind::Address, "Magasinsgatan 7, 41118 Göteborg")],
        ),
        ("Sludevej 13", &[(Kind::Address, "Sludevej 13")]),
        // US military post
        (
            "Send it to PSC 0413, Box 8144\nAPO AA 42323 please",
            &[(Kind::Address, "PSC 0413, Box 8144\nAPO AA 42323")],
        ),
        (
            "USNS Bergman\nFPO AP 93757",
            &[(Kind::Address, "USNS Bergman\nFPO AP 93757")],
        ),
        ("The APO AE 12345 code alone", &[]),
        // address blocks over several lines stop at the first other line
        (
            "12 Main Street\nApt. 4\nSpringfield, IL 62704\nMobile: 555 0100",
            &[(Kind::Address, "12 Main Street\nApt. 4\nSpringfield, IL 62704")],
        ),
        (
            "4844 Søndergade 52\n Apt. 656\n Brønderslev\n\n Denmark 35018",
            &[(
                Kind::Address,
                "Søndergade 52\n Apt. 656\n Brønderslev\n\n Denmark 35018",
            )],
        ),
        (
            "Our office: 10 Main Street\nThanks,\nJane Doe",
            &[(Kind::Address, "10 Main Street"), (Kind::Name, "Jane Doe")],
        ),
        ("MS Word crashed", &[]),
        // given names from the list, without a cue
        (
            "I forwarded the invoice to Sabine Krüger yesterday.",
            &[(Kind::Name, "Sabine Krüger")],
        ),
        ("Please ask Giulia about the refund.", &[(Kind::Name, "Giulia")]),
        ("Visit Lake Como or Lake Geneva.", &[]),
        ("Paolo M. Ferri signed the form", &[(Kind::Name, "Paolo M. Ferri")]),
        ("Will Apple ship it in May?", &[]),
        ("Johnson & Johnson and Marks & Spencer report results.", &[]),
        ("Trains leave from Victoria Station and St. Louis.", &[]),
        ("The Jordan River and Lake Geneva", &[]),
        ("Julia 1.10 is out", &[]),
        ("Harley-Davidson and Mercedes-Benz", &[]),
        ("Santa Monica Pier", &[]),
        ("42 Victor Hugo Street", &[(Kind::Address, "42 Victor Hugo Street")]),
        ("Camino de Santiago", &[]),
        ("Zoë", &[]),
        ("Passion selon saint Matthieu, version de concert", &[]),
        ("Hi Team,", &[]),
        ("Thanks, Support Team", &[]),
    ];
    for (text, want) in cases {
        let mut out = Vec::new();
        p.find(text.as_bytes(), &mut out);
        let got: Vec<(Kind, &str)> = out.iter().map(|&(k, a, b)| (k, &text[a..b])).collect();
        assert_eq!(&got[..], *want, "{text:?}");
    }
}

/// Arbitrary bytes never panic and spans stay inside the text.
#[test]
fn arbitrary_bytes() {
    let p = Prose::new().unwrap();
    let seeds: &[&[u8]] = &[
        b"Dear \xff\xfe",
        b"Mr \xc3",
        b"born on 3",
        b"12 rue",
        b"Str.",
        b"\\n\\nRegards,\\n",
    ];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for seed in seeds {
        for n in 0..300 {
            let mut t = seed.to_vec();
            for _ in 0..(n % 40) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let alphabet = b" aZ9.,:-\n\xc3\xa9";
                t.push(alphabet[(x % alphabet.len() as u64) as usize]);
            }
            let mut out = Vec::new();
            p.find(&t, &mut out);
            assert!(out.iter().all(|&(_, a, b)| a < b && b <= t.len()));
        }
    }
}

mod engine_hook {
    use piiguard::detect::Scratch;
    use piiguard::engine::{Direction, Engine};
    use piiguard::policy::Policy;

    fn engine(extra: &str) -> Engine {
        let cfg = format!(r#"{{"version":1,{extra}"default":{{"request":{{"actions":{{"*":"redact"}}}}}}}}"#);
        Engine::new(Policy::from_json(cfg.as_bytes()).unwrap(), None).unwrap()
    }

    /// (rewritten body, detector ids found)
    fn run(e: &Engine, ct: &str, input: &str) -> (String, Vec<String>) {
        let r = e.inspect_body(
            &e.policy.default,
            Direction::Request,
            Some(ct),
            input.as_bytes(),
            &mut Scratch::default(),
        );
        let out = r
            .body
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_else(|| input.to_string());
        (out, r.inspection.findings.iter().map(|f| f.detector.clone()).collect())
    }

    #[test]
    fn json_string_values_are_read_as_prose() {
        let e = engine("");
        let input = r#"{"ticket":42,"body":"Dear Mr. Okafor,\nyour parcel for 221B Baker Street, London NW1 6XE left today.\nRegards,\nTom Becker","dob_note":"born on 12 March 1979"}"#;
        let (out, found) = run(&e, "application/json", input);
        for d in ["name_text", "address_text", "birth_date_text"] {
            assert!(found.iter().any(|f| f == d), "{d} not in {found:?}");
        }
        for v in ["Okafor", "Baker Street", "NW1 6XE", "Tom Becker", "1979"] {
            assert!(!out.contains(v), "{v} left in {out}");
        }
        assert!(serde_json::from_str::<serde_json::Value>(&out).is_ok(), "{out}");
        assert!(out.contains(r#""ticket":42"#));
    }

    #[test]
    fn text_bodies_are_read_as_prose() {
        let e = engine("");
        let (out, found) = run(
            &e,
            "text/plain",
            "Hallo Jonas, die Lieferung an Hauptstraße 12, 10115 Berlin ist unterwegs.",
        );
        assert_eq!(found, vec!["name_text".to_string(), "address_text".to_string()]);
        assert!(!out.contains("Jonas") && !out.contains("Hauptstraße 12"), "{out}");
    }

    #[test]
    fn clean_prose_is_left_alone() {
        let e = engine("");
        let input = r#"{"note":"Hi team, the iPhone 15 Pro ships from Paris on Monday. Thanks, Release Management","tags":["Paris","London"]}"#;
        let (out, found) = run(&e, "application/json", input);
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(out, input);
    }

    #[test]
    fn yaml_names_under_a_thing_are_no_persons() {
        let e = engine("");
        for input in [
            "product:\n  name: Blue Widget\n  price: 3\n",
            "items:\n  - sku: W-1\n    name: Red Widget\n",
            "items:\n- name: Blue Widget\r\n",
            "company:\n  # the brand\n\n  name: Acme Widgets\n",
        ] {
            for ct in ["text/plain", "application/yaml"] {
                let (out, found) = run(&e, ct, input);
                assert!(found.is_empty(), "{ct} {input:?}: {found:?}");
                assert_eq!(out, input);
            }
        }
        // under a person's key, or at the top: still a name
        for input in [
            "customer:\n  name: Jane Doe\n",
            "name: Jane Doe\n",
            "product:\n  x: 1\nname: Jane Doe\n",
        ] {
            let (out, _) = run(&e, "text/plain", input);
            assert!(!out.contains("Jane Doe"), "{input:?}: {out}");
        }
    }

    #[test]
    fn each_text_detector_can_be_disabled() {
        let text = "Dear Jane Doe, you live at 12 Main Street and were born on 03/04/1985.";
        let all = run(&engine(""), "text/plain", text).1;
        assert_eq!(all.len(), 3, "{all:?}");
        for d in ["name_text", "address_text", "birth_date_text"] {
            let e = engine(&format!(r#""detectors":{{"disabled":["{d}"]}},"#));
            let found = run(&e, "text/plain", text).1;
            assert!(!found.iter().any(|f| f == d), "{d} still runs: {found:?}");
            assert_eq!(found.len(), 2, "{d}: {found:?}");
        }
        // disabling the category disables the field detector and the text one
        let e = engine(r#""detectors":{"disabled":["person_name"]},"#);
        assert!(!run(&e, "text/plain", text).1.iter().any(|f| f == "name_text"));
    }

    #[test]
    fn headers_and_numbers_are_not_prose() {
        // a JSON number never goes through the prose pass; a JSON string does
        let e = engine("");
        let (_, found) = run(&e, "application/json", r#"{"a":"Dear Jane Doe,","b":12}"#);
        assert_eq!(found, vec!["name_text".to_string()]);
    }
}
