//! The fidelity harness: our assessments against EuRepoC's expert legal coding.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-norms cargo test -p pacta-norms --test fidelity -- --include-ignored`
//! (the data-set test is ignored by default: it needs the EuRepoC release on disk, at
//! `$PACTA_EUREPOC_DIR` or the bundled data/eurepoc-1.1-even).

use pacta_core::*;
use pacta_norms::fidelity::{self, eurepoc_legal_response, eurepoc_state_responsibility};
use pacta_norms::*;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn case_of(i: &Incident, atts: &[Attribution]) -> Assessment {
    let case = extract::case(i, atts, None, &BTreeMap::new()).unwrap();
    builtin().assess(&case, AssessOptions::default())
}

fn outage(sector: Sector) -> Incident {
    let mut i = Incident::new("Outage", Tlp::Clear);
    i.operation_types.push(OperationType::Disruption);
    i.effects.disruption = Some(Disruption::LongTerm);
    i.targets.push(Target { state: Some("PL".parse().unwrap()), place: None, sector, entity: None });
    i
}

fn claim(i: &Incident, category: ActorCategory) -> Attribution {
    Attribution {
        id: AttributionId::new(),
        incident: i.id,
        attributors: vec![],
        attributor_label: None,
        actor_name: None,
        actor_state: Some("BY".parse().unwrap()),
        actor_category: category,
        basis: AttributionBasis::TechnicalReport,
        confidence: Some(Confidence::VeryLikely),
        visibility: Visibility::Public,
        date: None,
        origin_ref: None,
    }
}

#[test]
fn the_legal_response_indicator_follows_eurepocs_two_questions() {
    // Attribution to a state and a breach: countermeasures.
    let i = outage(Sector::Energy);
    let both = case_of(&i, &[claim(&i, ActorCategory::State)]);
    assert_eq!(eurepoc_legal_response(&both), LegalResponseIndicator::CountermeasuresJustified);
    assert_eq!(eurepoc_state_responsibility(&both), StateResponsibilityIndicator::Direct);
    // A breach but nobody attributed: retorsion.
    let breach_only = case_of(&i, &[]);
    assert_eq!(eurepoc_legal_response(&breach_only), LegalResponseIndicator::RetorsionJustified);
    assert_eq!(eurepoc_state_responsibility(&breach_only), StateResponsibilityIndicator::NoneOrNegligent);
    // Attributed to a state-controlled group, but mere scanning: retorsion.
    let mut scan = Incident::new("Scan", Tlp::Clear);
    scan.operation_types.push(OperationType::Reconnaissance);
    scan.effects.disruption = Some(Disruption::None);
    scan.effects.data_theft = Some(DataTheft::None);
    scan.effects.hijacking = Some(Hijacking::None);
    scan.targets.push(Target { state: Some("PL".parse().unwrap()), place: None, sector: Sector::Corporate, entity: None });
    let attributed_only = case_of(&scan, &[claim(&scan, ActorCategory::StateAffiliated)]);
    assert_eq!(eurepoc_legal_response(&attributed_only), LegalResponseIndicator::RetorsionJustified);
    assert_eq!(eurepoc_state_responsibility(&attributed_only), StateResponsibilityIndicator::Indirect);
    // Neither: no response.
    let neither = case_of(&scan, &[]);
    assert_eq!(eurepoc_legal_response(&neither), LegalResponseIndicator::NoResponseJustified);
}

#[test]
fn an_attribution_the_claimant_itself_doubts_is_not_relied_on() {
    let i = outage(Sector::Energy);
    let mut weak = claim(&i, ActorCategory::State);
    weak.confidence = Some(Confidence::Unlikely);
    let a = case_of(&i, &[weak]);
    assert_eq!(a.responsibility.basis, Some(ResponsibilityBasis::None));
    assert_eq!(eurepoc_legal_response(&a), LegalResponseIndicator::RetorsionJustified);
}

#[test]
fn the_report_has_the_agreed_json_shape() {
    let i = outage(Sector::Energy);
    let a = case_of(&i, &[claim(&i, ActorCategory::State)]);
    let ext = ExternalAssessment {
        legal_response: Some(LegalResponseIndicator::CountermeasuresJustified),
        state_responsibility: Some(StateResponsibilityIndicator::Direct),
        il_breach: vec!["Sovereignty".into()],
        ..Default::default()
    };
    let (report, _, _) = fidelity::compare(&[(&a, &ext)]);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["legal_response"]["n"], 1);
    assert_eq!(json["legal_response"]["accuracy"], 1.0);
    assert_eq!(json["state_responsibility"]["accuracy"], 1.0);
    assert_eq!(json["il_breach"]["sovereignty"]["f1"], 1.0);
    assert_eq!(json["il_breach"]["human_rights"]["n"], 1);
    assert_eq!(json["il_breach"].as_object().unwrap().len(), 6);
}

/// A regression guard, not the target: the figures below are what the current law and
/// fact mapping reach on the held-out incidents (EuRepoC ID not divisible by 4); the
/// target (accuracy >= 0.9, kappa >= 0.8) is not reached, see BENCHMARKS.md and the
/// fidelity example for the cases and why.
#[test]
fn held_out_eurepoc_incidents() {
    // The bundled sample (data/eurepoc-1.1-even), or another release via PACTA_EUREPOC_DIR.
    let dir = std::env::var_os("PACTA_EUREPOC_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/eurepoc-1.1-even"));
    let read = pacta_import::eurepoc::read_dir(&dir).unwrap();
    let mut assessed = Vec::new();
    for r in &read.records {
        let Some(ext) = &r.external else { continue };
        let id: u64 = r.incident.origin.as_ref().and_then(|o| o.record_id.parse().ok()).unwrap();
        if id.is_multiple_of(4) {
            continue;
        }
        assessed.push((case_of(&r.incident, &r.attributions), ext.clone()));
    }
    let pairs: Vec<_> = assessed.iter().map(|(a, e)| (a, e)).collect();
    let (report, _, _) = fidelity::compare(&pairs);
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    assert!(report.legal_response.n >= 50, "{report:?}");
    assert!(report.legal_response.accuracy >= 0.45, "{report:?}");
    assert!(report.state_responsibility.accuracy >= 0.75, "{report:?}");
    assert!(report.il_breach["sovereignty"].f1 >= 0.5, "{report:?}");
}
