//! The ladder's rules with literal facts: the status rule, the built-in gates, the file
//! format's refusals, and the lifecycle.

use pacta_core::*;
use pacta_ladder::{AttributionStatus, Ladder, LegalBasis, Situation, lifecycle, status};
use uuid::Uuid;

fn party(s: &str) -> PartyId {
    PartyId::parse("party", s).unwrap()
}
fn st(c: &str) -> StateCode {
    StateCode::parse("s", c).unwrap()
}
fn parties() -> Vec<Party> {
    let mut lab = Party::organisation("lab");
    lab.id = party("verifier:lab");
    lab.kind = PartyKind::Verifier;
    vec![Party::state(st("FR")), Party::state(st("DE")), Party::state(st("GB")), Party::state(st("RU")), lab]
}

fn claim(incident: IncidentId, by: &[&str], confidence: Confidence, evidence: Vec<Uuid>) -> ClaimVersion {
    ClaimVersion {
        version: 1,
        action: ClaimAction::Made,
        attribution: Attribution {
            id: AttributionId::new(),
            incident,
            attributors: by.iter().map(|p| party(p)).collect(),
            attributor_label: None,
            actor_name: None,
            actor_state: Some(st("RU")),
            actor_category: ActorCategory::State,
            basis: AttributionBasis::TechnicalReport,
            confidence: Some(confidence),
            visibility: Visibility::Public,
            date: None,
            origin_ref: None,
        },
        evidence,
        recorded_by: party(by[0]),
        reason: None,
    }
}

fn stance(c: &ClaimVersion, by: &str, kind: StanceKind, evidence: Vec<Uuid>) -> Stance {
    Stance {
        id: StanceId::new(),
        claim: c.claim(),
        claim_version: c.version,
        incident: c.incident(),
        party: party(by),
        kind,
        confidence: None,
        evidence,
        reasoning: "because".into(),
        date: None,
    }
}

fn status_of(claims: &[ClaimVersion], stances: &[Stance]) -> AttributionStatus {
    status::compute(claims, stances, &parties()).status
}

#[test]
fn a_joint_attribution_is_one_source_and_a_second_state_with_its_own_evidence_corroborates() {
    let i = IncidentId::new();
    let joint = claim(i, &["state:FR", "state:GB"], Confidence::Likely, vec![Uuid::now_v7()]);
    assert_eq!(status_of(std::slice::from_ref(&joint), &[]), AttributionStatus::SingleSource);
    let words_only = stance(&joint, "state:DE", StanceKind::Endorse, joint.evidence.clone());
    assert_eq!(status_of(std::slice::from_ref(&joint), &[words_only]), AttributionStatus::SingleSource, "support without new evidence is not corroboration");
    let with_evidence = stance(&joint, "state:DE", StanceKind::Endorse, vec![Uuid::now_v7()]);
    assert_eq!(status_of(std::slice::from_ref(&joint), &[with_evidence]), AttributionStatus::Corroborated);
    let by_lab = stance(&joint, "verifier:lab", StanceKind::Endorse, vec![Uuid::now_v7()]);
    assert_eq!(status_of(&[joint], &[by_lab]), AttributionStatus::IndependentlyVerified);
}

#[test]
fn contests_weigh_against_sources_but_the_accused_states_denial_does_not() {
    let i = IncidentId::new();
    let c = claim(i, &["state:FR"], Confidence::Likely, vec![]);
    let denial = stance(&c, "state:RU", StanceKind::Contest, vec![]);
    assert_eq!(status_of(std::slice::from_ref(&c), &[denial]), AttributionStatus::SingleSource);
    let lab = stance(&c, "verifier:lab", StanceKind::Contest, vec![]);
    assert_eq!(status_of(std::slice::from_ref(&c), std::slice::from_ref(&lab)), AttributionStatus::Contested);
    let de = stance(&c, "state:DE", StanceKind::Endorse, vec![Uuid::now_v7()]);
    assert_eq!(status_of(std::slice::from_ref(&c), &[lab.clone(), de.clone()]), AttributionStatus::Corroborated);
    // The lab changes its mind: its latest stance counts.
    let lab_again = stance(&c, "verifier:lab", StanceKind::Endorse, vec![]);
    let report = status::compute(&[c], &[lab, de, lab_again], &parties());
    assert!(report.standing(st("RU")).unwrap().contested_by.is_empty());
}

#[test]
fn only_the_latest_version_counts_and_a_withdrawal_ends_the_claim() {
    let i = IncidentId::new();
    let v1 = claim(i, &["state:FR"], Confidence::Likely, vec![]);
    let mut v2 = v1.clone();
    v2.version = 2;
    v2.action = ClaimAction::Amended;
    v2.attribution.confidence = Some(Confidence::VeryLikely);
    let report = status::compute(&[v1.clone(), v2.clone()], &[], &parties());
    assert_eq!(report.standing(st("RU")).unwrap().confidence, Some(Confidence::VeryLikely));
    let mut v3 = v2.clone();
    v3.version = 3;
    v3.action = ClaimAction::Withdrawn;
    v3.reason = Some("wrong".into());
    assert_eq!(status_of(&[v1, v2, v3], &[]), AttributionStatus::None);
}

#[test]
fn the_built_in_ladder_has_every_rung_with_gates_that_rise_with_the_stakes() {
    let l = Ladder::builtin();
    for id in pacta_ladder::ladder::REQUIRED_RUNGS {
        assert!(l.rung(id).is_some(), "{id}");
    }
    let cm = l.rung("countermeasures").unwrap();
    assert_eq!((cm.basis, cm.gate.confidence), (LegalBasis::Countermeasure, Some(Confidence::VeryLikely)));
    let condemn = l.rung("public_condemnation").unwrap();
    assert_eq!((condemn.gate.confidence, condemn.gate.status), (Some(Confidence::Likely), AttributionStatus::Corroborated));
    let sd = l.rung("self_defence").unwrap();
    assert!(l.rungs.iter().all(|r| r.gate.confidence <= sd.gate.confidence && r.gate.status.strength() <= sd.gate.status.strength()), "self-defence needs the highest standard");
}

#[test]
fn a_ladder_file_with_a_typo_is_refused_at_its_line() {
    let text = Ladder::builtin().source.clone();
    assert_eq!(text, "ladder/ladder.md");
    let bad = pacta_ladder::ladder::BUILTIN.replacen("gate confidence: very_likely", "gate confidence: probable", 1);
    let err = Ladder::parse("mine.md", &bad).unwrap_err();
    assert!(err.field.starts_with("mine.md:") && err.rule.contains("ICD 203"), "{err}");
    let bad = pacta_ladder::ladder::BUILTIN.replacen("severity: 6", "severity: 11", 1);
    assert!(Ladder::parse("mine.md", &bad).unwrap_err().rule.contains("1 to 10"));
    let bad = pacta_ladder::ladder::BUILTIN.replacen("id: self_defence", "id: war", 1);
    assert!(Ladder::parse("mine.md", &bad).unwrap_err().rule.contains("self_defence"), "a required rung cannot go missing");
}

fn countermeasure() -> Measure {
    Measure {
        id: ResponseId::new(),
        incident: IncidentId::new(),
        by: party("state:FR"),
        with: vec![],
        against: st("RU"),
        rung: "countermeasures".into(),
        description: String::new(),
        urgent: false,
        tlp: Tlp::Amber,
        state: MeasureState::Proposed,
        history: vec![MeasureStep { state: MeasureState::Proposed, at: "t0".into(), by: party("state:FR"), note: String::new() }],
        kept_despite_lift_condition: None,
    }
}

#[test]
fn a_countermeasure_needs_a_call_to_comply_and_notification_unless_urgent_and_ends_on_compliance() {
    let rung = Ladder::builtin().rung("countermeasures").unwrap();
    let fr = party("state:FR");
    let m = countermeasure();
    let quiet = Situation::default();
    let err = lifecycle::transition(&m, rung, &quiet, &fr, MeasureState::Enacted, "", "t1").unwrap_err();
    assert!(err.rule.contains("52(1)(a)"), "{err}");
    let called = Situation { called_to_comply: true, ..Default::default() };
    let err = lifecycle::transition(&m, rung, &called, &fr, MeasureState::Enacted, "", "t1").unwrap_err();
    assert!(err.rule.contains("52(1)(b)"), "{err}");
    let urgent = Measure { urgent: true, ..m.clone() };
    assert!(lifecycle::transition(&urgent, rung, &called, &fr, MeasureState::Enacted, "", "t1").is_ok(), "art. 52(2)");
    let notified = lifecycle::transition(&m, rung, &called, &fr, MeasureState::Notified, "", "t1").unwrap();
    let enacted = lifecycle::transition(&notified, rung, &called, &fr, MeasureState::Enacted, "", "t2").unwrap();
    assert_eq!(enacted.history.len(), 3);

    let complied = Situation { responsible_state_complied: true, ..called };
    let due = lifecycle::lift_due(&enacted, rung, &complied).unwrap();
    assert!(due.binding && due.cites.contains("art. 53"));
    let err = lifecycle::keep(&enacted, rung, &complied, &fr, " ").unwrap_err();
    assert!(err.rule.contains("reason"));
    let kept = lifecycle::keep(&enacted, rung, &complied, &fr, "Compliance is partial: reparation is still owed.").unwrap();
    assert!(lifecycle::lift_due(&kept, rung, &complied).unwrap().kept_because.is_some());
    let ceased_before_tribunal = Situation { wrongful_act_ceased: true, dispute_before_tribunal: true, ..called };
    assert!(lifecycle::lift_due(&enacted, rung, &ceased_before_tribunal).unwrap().cites.contains("52(3)"));
    let lifted = lifecycle::transition(&enacted, rung, &complied, &fr, MeasureState::Lifted, "", "t3").unwrap();
    let err = lifecycle::transition(&lifted, rung, &quiet, &fr, MeasureState::Suspended, "", "t4").unwrap_err();
    assert!(err.rule.contains("lifted is final"), "{err}");
}
