//! Agreement of our assessments with EuRepoC's expert legal coding.
//!
//! Run: `cargo run -p pacta-norms --example fidelity -- data/eurepoc-1.1-even [tune|holdout|all] [--cases] [--show ID] [--view FR] [--default-reading]`
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
    let dump = args.iter().any(|a| a == "--dump");
    let show: Option<u64> = args.iter().position(|a| a == "--show").and_then(|i| args.get(i + 1)).and_then(|s| s.parse().ok());
    // `--view FR`: take one state's reading of the law for every incident (a what-if:
    // how far does the experts' coding follow that state's position?).
    // `--default-reading`: compare the default reading alone, without the national ones.
    let default_only = args.iter().any(|a| a == "--default-reading");
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
        if dump && let Some(expected) = ext.legal_response {
            // One line per coded incident: the facts we hold, then the experts' codes.
            let claims: Vec<String> = r.attributions.iter().map(|c| format!("{}/{}/{}/{:?}/{}", c.actor_category.label(), c.actor_state.map(|s| s.to_string()).unwrap_or_default(), c.basis.label(), c.confidence.map(|x| x.label()), c.attributors.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("+"))).collect();
            let e = &r.incident.effects;
            println!(
                "{id} | exp {} {:?} {:?} | ours {} | ops {:?} | dis {:?} dt {:?} hj {:?} ph {:?} | sect {:?} | claims {:?}",
                expected.label(), ext.il_breach, ext.state_responsibility.map(|x| x.label()), fidelity::Projection::across_views(law, &case, &a).legal_response.label(),
                r.incident.operation_types.iter().map(|o| o.label()).collect::<Vec<_>>(), e.disruption.map(|x| x.label()), e.data_theft.map(|x| x.label()), e.hijacking.map(|x| x.label()), e.physical.map(|x| x.label()),
                r.incident.targets.iter().map(|t| format!("{}:{}", t.state.map(|s| s.to_string()).unwrap_or_default(), t.sector.label())).collect::<Vec<_>>(), claims
            );
        }
        if show_cases && let Some(expected) = ext.legal_response {
            let got = fidelity::Projection::across_views(law, &case, &a).legal_response;
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
        let proj = if default_only { fidelity::Projection::of(&a) } else { fidelity::Projection::across_views(law, &case, &a) };
        assessed.push((proj, ext.clone()));
    }
    let pairs: Vec<_> = assessed.iter().map(|(a, e)| (a, e)).collect();
    let (report, lr, sr) = fidelity::compare(&pairs);
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    let d = fidelity::decompose(&pairs);
    eprintln!("state attribution {:?} {:?}", d.state_attribution.agreement(), d.state_attribution.counts);
    eprintln!("any breach {:?} {:?}", d.breach.agreement(), d.breach.counts);
    eprintln!("experts' indicator from their own codes {:?}", d.experts_self_consistency.agreement());
    eprintln!("split {split}: legal response confusion (expert -> ours) {:?}", lr.counts);
    eprintln!("state responsibility confusion (expert -> ours) {:?}", sr.counts);
}
