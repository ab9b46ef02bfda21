//! Agreement of our assessments with EuRepoC's expert legal coding.
//!
//! Run: `cargo run -p pacta-norms --example fidelity -- data/eurepoc-1.1-even [tune|holdout|all] [--cases] [--show ID] [--view FR]`
//!
//! The split: incidents whose EuRepoC ID is divisible by 4 are the tuning half (looked at
//! while improving the law and the fact mapping); the others (ID = 2 mod 4 in the even
//! half of the release) are held out and only reported. The expert coding is read only
//! here, to compare; it never reaches the engine.

use pacta_norms::{builtin, extract, fidelity, AssessOptions};
use std::collections::BTreeMap;
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).map(String::as_str).unwrap_or("data/eurepoc-1.1-even");
    let split = args.get(2).map(String::as_str).unwrap_or("holdout");
    let show_cases = args.iter().any(|a| a == "--cases");
    let show: Option<u64> = args.iter().position(|a| a == "--show").and_then(|i| args.get(i + 1)).and_then(|s| s.parse().ok());
    // `--view FR`: take one state's reading of the law for every incident (a what-if:
    // how far does the experts' coding follow that state's position?).
    let view: Option<pacta_core::StateCode> = args.iter().position(|a| a == "--view").and_then(|i| args.get(i + 1)).map(|s| s.parse().expect("an ISO 3166 code"));
    let read = pacta_import::eurepoc::read_dir(Path::new(dir)).unwrap_or_else(|e| panic!("{e}"));
    let law = builtin();
    let mut assessed = Vec::new();
    for r in &read.records {
        let Some(ext) = &r.external else { continue };
        let id: u64 = r.incident.origin.as_ref().and_then(|o| o.record_id.parse().ok()).unwrap_or(0);
        let keep = match split {
            "tune" => id.is_multiple_of(4),
            "holdout" => !id.is_multiple_of(4),
            _ => true,
        };
        if !keep {
            continue;
        }
        let case = extract::case(&r.incident, &r.attributions, view, &BTreeMap::new()).expect("no extra facts");
        let a = law.assess(&case, AssessOptions { trace: show == Some(id) });
        if show == Some(id) {
            println!("{:#?}\n{:?}\n{:?}\n{}", r.incident.effects, r.incident.operation_types, case.facts, pacta_norms::render::text(&a));
        }
        if show_cases && let Some(expected) = ext.legal_response {
            let got = fidelity::eurepoc_legal_response(&a);
            if got != expected {
                println!(
                    "{id}: expert {} / ours {} | attribution {} breach {} | resp {:?} | expert breach {:?} resp {:?} | {}",
                    expected.label(),
                    got.label(),
                    fidelity::state_attribution(&a),
                    fidelity::breach_of_international_law(&a),
                    a.responsibility.basis,
                    ext.il_breach,
                    ext.state_responsibility,
                    r.incident.title
                );
            }
        }
        assessed.push((a, ext.clone()));
    }
    let pairs: Vec<_> = assessed.iter().map(|(a, e)| (a, e)).collect();
    let (report, lr, sr) = fidelity::compare(&pairs);
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    eprintln!("split {split}: legal response confusion (expert -> ours) {:?}", lr.counts);
    eprintln!("state responsibility confusion (expert -> ours) {:?}", sr.counts);
}
