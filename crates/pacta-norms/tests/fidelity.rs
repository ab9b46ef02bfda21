//! The fidelity harness: our assessments against EuRepoC's expert legal coding.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-norms cargo test -p pacta-norms --test fidelity -- --nocapture`
//! (the data-set test reads the bundled data/eurepoc-1.1-even, or the release at
//! `$PACTA_EUREPOC_DIR`).

use pacta_core::*;
use pacta_norms::fidelity::{self, Projection, eurepoc_legal_response, eurepoc_state_responsibility};
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
    let (report, _, _) = fidelity::compare(&[(&Projection::of(&a), &ext)]);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["legal_response"]["n"], 1);
    assert_eq!(json["legal_response"]["accuracy"], 1.0);
    assert_eq!(json["state_responsibility"]["accuracy"], 1.0);
    assert_eq!(json["il_breach"]["sovereignty"]["f1"], 1.0);
    assert_eq!(json["il_breach"]["human_rights"]["n"], 1);
    assert_eq!(json["il_breach"].as_object().unwrap().len(), 6);
}

/// An intrusion into a foreign company's systems by a state organ, with no loss of
/// functionality: not a sovereignty breach on the Tallinn Manual's default (its experts
/// did not agree that mere access suffices), a breach on France's reading (any
/// penetration). The EuRepoC projection counts a breach under at least one reading; our
/// own conclusion stays the default one.
#[test]
fn the_projection_counts_a_breach_under_any_published_reading_but_our_finding_does_not_change() {
    let mut i = Incident::new("Intrusion", Tlp::Clear);
    i.operation_types.push(OperationType::Espionage);
    i.effects.disruption = Some(Disruption::None);
    i.effects.hijacking = Some(Hijacking::WithoutMisuse);
    i.targets.push(Target { state: Some("DE".parse().unwrap()), place: None, sector: Sector::Corporate, entity: None });
    let claims = [claim(&i, ActorCategory::State)];
    let case = extract::case(&i, &claims, None, &BTreeMap::new()).unwrap();
    let ours = builtin().assess(&case, AssessOptions::default());
    assert_eq!(ours.conduct(Category::Sovereignty), Tri::No, "the default reading");
    assert_eq!(eurepoc_legal_response(&ours), LegalResponseIndicator::RetorsionJustified);
    let projected = Projection::across_views(builtin(), &case, &ours);
    // On France's reading the penetration violates sovereignty, and espionage carried out
    // by a method that breaches another rule is unlawful espionage (Tallinn rule 32).
    assert_eq!(projected.il_breach, vec![Category::Sovereignty, Category::CyberEspionage], "France's reading");
    assert_eq!(projected.legal_response, LegalResponseIndicator::CountermeasuresJustified);

    // The same intrusion by the target state's own organs has no foreign element: no
    // reading makes it a violation of sovereignty.
    let mut domestic = claims[0].clone();
    domestic.actor_state = Some("DE".parse().unwrap());
    let case = extract::case(&i, &[domestic], None, &BTreeMap::new()).unwrap();
    let ours = builtin().assess(&case, AssessOptions::default());
    assert!(Projection::across_views(builtin(), &case, &ours).il_breach.is_empty());
}

/// What the sovereignty category reaches on the held-out incidents; a floor, not a target.
const SOVEREIGNTY_F1_FLOOR: f64 = 0.8;

/// A regression guard, not the target: the figures below are what the current law, fact
/// mapping and EuRepoC projection reach on the held-out incidents (EuRepoC ID not
/// divisible by 4, never looked at while tuning); the target (accuracy >= 0.9, kappa >=
/// 0.8) is not reached: see crates/pacta-norms/BENCHMARKS.md for the figures and the cases.
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
        let case = extract::case(&r.incident, &r.attributions, None, &BTreeMap::new()).unwrap();
        let ours = builtin().assess(&case, AssessOptions::default());
        assessed.push((Projection::across_views(builtin(), &case, &ours), ext.clone()));
    }
    let pairs: Vec<_> = assessed.iter().map(|(p, e)| (p, e)).collect();
    let (report, _, _) = fidelity::compare(&pairs);
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    assert!(report.legal_response.n >= 50, "{report:?}");
    assert!(report.legal_response.accuracy >= 0.65, "{report:?}");
    assert!(report.legal_response.kappa >= 0.33, "{report:?}");
    assert!(report.state_responsibility.accuracy >= 0.80, "{report:?}");
    assert!(report.il_breach["sovereignty"].f1 >= SOVEREIGNTY_F1_FLOOR, "{report:?}");
}

/// Accusations against a state are to be substantiated (A/70/174, para. 28(f)): a claim
/// voiced only by unnamed officials is not relied on unless someone states a likelihood.
#[test]
fn a_claim_resting_on_unnamed_sources_is_not_relied_on_until_someone_vouches_for_it() {
    let i = outage(Sector::Energy);
    let mut anonymous = claim(&i, ActorCategory::State);
    anonymous.basis = AttributionBasis::AnonymousSource;
    anonymous.confidence = None;
    let a = case_of(&i, std::slice::from_ref(&anonymous));
    assert_eq!(a.responsibility.basis, Some(ResponsibilityBasis::None));
    assert_eq!(eurepoc_legal_response(&a), LegalResponseIndicator::RetorsionJustified);
    anonymous.confidence = Some(Confidence::Likely);
    assert_eq!(case_of(&i, &[anonymous]).responsibility.basis, Some(ResponsibilityBasis::Organ));
}
