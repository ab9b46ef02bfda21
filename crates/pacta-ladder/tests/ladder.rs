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
        joined: vec![],
        left: vec![],
        withdrawn: vec![],
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
    // The law ends it: no reason keeps a countermeasure past compliance (art. 53).
    let err = lifecycle::keep(&enacted, rung, &complied, &fr, "We do not trust them.").unwrap_err();
    assert!(err.rule.contains("art. 53") && err.rule.contains("cannot be kept"), "{err}");
    // A lift condition that is only the instance's policy can be overridden, with a reason.
    let protest = Ladder::builtin().rung("private_protest").unwrap();
    let ceased = Situation { wrongful_act_ceased: true, ..called };
    let err = lifecycle::keep(&enacted, protest, &ceased, &fr, " ").unwrap_err();
    assert!(err.rule.contains("reason"));
    let kept = lifecycle::keep(&enacted, protest, &ceased, &fr, "The operation may resume: we keep the protest on record.").unwrap();
    assert!(lifecycle::lift_due(&kept, protest, &ceased).unwrap().kept_because.is_some());
    let ceased_before_tribunal = Situation { wrongful_act_ceased: true, dispute_before_tribunal: true, ..called };
    assert!(lifecycle::lift_due(&enacted, rung, &ceased_before_tribunal).unwrap().cites.contains("52(3)"));
    let lifted = lifecycle::transition(&enacted, rung, &complied, &fr, MeasureState::Lifted, "", "t3").unwrap();
    let err = lifecycle::transition(&lifted, rung, &quiet, &fr, MeasureState::Suspended, "", "t4").unwrap_err();
    assert!(err.rule.contains("lifted is final"), "{err}");
}

#[test]
fn an_amendment_naming_another_state_lets_the_stances_on_the_old_allegation_lapse() {
    let i = IncidentId::new();
    let made = claim(i, &["state:FR"], Confidence::Likely, vec![]);
    let de = stance(&made, "state:DE", StanceKind::Endorse, vec![Uuid::now_v7()]);
    assert_eq!(status_of(std::slice::from_ref(&made), std::slice::from_ref(&de)), AttributionStatus::Corroborated);
    // France now says China did it. Germany's evidence was about Russia.
    let mut amended = made.clone();
    amended.version = 2;
    amended.action = ClaimAction::Amended;
    amended.attribution.actor_state = Some(st("CN"));
    let report = status::compute(&[made.clone(), amended.clone()], std::slice::from_ref(&de), &parties());
    assert_eq!(report.standing(st("CN")).unwrap().status, AttributionStatus::SingleSource, "{report:?}");
    // An amendment that only raises the likelihood keeps the stances taken before it.
    let mut firmer = made.clone();
    firmer.version = 2;
    firmer.action = ClaimAction::Amended;
    firmer.attribution.confidence = Some(Confidence::VeryLikely);
    assert_eq!(status_of(&[made, firmer], &[de]), AttributionStatus::Corroborated);
}

#[test]
fn a_claim_calling_the_state_unlikely_is_no_source_for_it_and_one_imported_attributor_counts_once() {
    let i = IncidentId::new();
    let doubtful = claim(i, &["state:DE"], Confidence::AlmostNoChance, vec![]);
    let firm = claim(i, &["state:FR"], Confidence::VeryLikely, vec![]);
    assert_eq!(status_of(&[doubtful, firm.clone()], &[]), AttributionStatus::SingleSource);
    // An import names no party; the same attributor naming two labels of one state's
    // operators is one source, another attributor a second.
    let imported = |label: &str| {
        let mut c = claim(i, &["state:FR"], Confidence::Likely, vec![]);
        c.attribution.attributors.clear();
        c.attribution.attributor_label = Some(label.into());
        c
    };
    assert_eq!(status_of(&[imported("Ukrainian government"), imported("Ukrainian government")], &[]), AttributionStatus::SingleSource);
    assert_eq!(status_of(&[imported("Ukrainian government"), imported("ESET")], &[]), AttributionStatus::Corroborated);
}

#[test]
fn an_instance_ladder_may_not_relabel_countermeasures_or_self_defence() {
    let evil = pacta_ladder::ladder::BUILTIN.replacen("id: countermeasures\nname: Countermeasures (cyber or not)\nbasis: countermeasure", "id: countermeasures\nname: Countermeasures (cyber or not)\nbasis: retorsion", 1);
    assert_ne!(evil, pacta_ladder::ladder::BUILTIN, "the test edits the countermeasures rung");
    let err = Ladder::parse("evil.md", &evil).unwrap_err();
    assert!(err.field.starts_with("evil.md:") && err.rule.contains("the law fixes the basis of `countermeasures`"), "{err}");
    let evil = pacta_ladder::ladder::BUILTIN.replacen("basis: self_defence", "basis: retorsion", 1);
    assert!(Ladder::parse("evil.md", &evil).unwrap_err().rule.contains("`self_defence`"));
}

#[test]
fn self_defence_ends_with_the_attack_and_cannot_be_kept_or_resumed() {
    let rung = Ladder::builtin().rung("self_defence").unwrap();
    let fr = party("state:FR");
    let m = Measure { rung: "self_defence".into(), ..countermeasure() };
    let quiet = Situation::default();
    let enacted = lifecycle::transition(&m, rung, &quiet, &fr, MeasureState::Enacted, "", "t1").unwrap();
    let suspended = lifecycle::transition(&enacted, rung, &quiet, &fr, MeasureState::Suspended, "", "t2").unwrap();
    let over = Situation { wrongful_act_ceased: true, ..quiet };
    let due = lifecycle::lift_due(&enacted, rung, &over).unwrap();
    assert!(due.binding && due.cites.contains("art. 51"), "{due:?}");
    let err = lifecycle::keep(&enacted, rung, &over, &fr, "deterrence").unwrap_err();
    assert!(err.rule.contains("cannot be kept"), "{err}");
    let err = lifecycle::transition(&suspended, rung, &over, &fr, MeasureState::Enacted, "", "t3").unwrap_err();
    assert!(err.rule.contains("may only be suspended or lifted"), "{err}");
}

/// A French ministry hit by an espionage operation that France attributes to Russia.
fn dossier() -> pacta_ladder::Dossier {
    let mut i = Incident::new("Ministry network breached", Tlp::Clear);
    i.operation_types = vec![OperationType::Espionage];
    i.targets.push(Target { state: Some(st("FR")), place: None, sector: Sector::Government, entity: None });
    i.effects.data_theft = Some(DataTheft::Sensitive);
    let c = claim(i.id, &["state:FR"], Confidence::VeryLikely, vec![]);
    pacta_ladder::Dossier { incident: Some(i), claims: vec![c], parties: parties(), ..Default::default() }
}

#[test]
fn a_countermeasure_out_of_proportion_is_closed_not_a_duty_still_to_do() {
    let law = pacta_norms::builtin();
    let d = dossier();
    let req = pacta_ladder::PlanRequest { by: st("FR"), against: Some(st("RU")), urgent: false };
    let plan = pacta_ladder::plan(Ladder::builtin(), law, &d, &req).unwrap();
    let open = plan.option("countermeasures").expect("proportionate countermeasures are open");
    // The call to comply and the notification are still to do, not reasons to refuse.
    assert!(open.open_duties.iter().any(|o| o.rule == "ilc.art52.call-to-comply"), "{:?}", open.open_duties);
    // The same rung, declared graver than the injury, is out of proportion (art. 51).
    let heavy = Ladder::parse("heavy.md", &pacta_ladder::ladder::BUILTIN.replacen("cites: ILC Articles, arts. 22 and 49-53\ngate confidence: very_likely\ngate status: single_source\nseverity: 6", "cites: ILC Articles, arts. 22 and 49-53\ngate confidence: very_likely\ngate status: single_source\nseverity: 9", 1)).unwrap();
    assert_eq!(heavy.rung("countermeasures").unwrap().severity, 9);
    let plan = pacta_ladder::plan(&heavy, law, &d, &req).unwrap();
    let closed = plan.refusal("countermeasures").expect("closed");
    assert!(closed.reasons.iter().any(|r| r.contains("ilc.art51.proportionality")), "{:?}", closed.reasons);
}

#[test]
fn a_measure_whose_claim_was_withdrawn_after_its_proposal_cannot_be_enacted() {
    let law = pacta_norms::builtin();
    let mut d = dossier();
    let m = Measure { urgent: true, ..countermeasure() };
    pacta_ladder::check_proposal(Ladder::builtin(), law, &d, &m).unwrap();
    pacta_ladder::check_move(Ladder::builtin(), law, &d, &m, MeasureState::Enacted).unwrap();
    let mut withdrawn = d.claims[0].clone();
    withdrawn.version = 2;
    withdrawn.action = ClaimAction::Withdrawn;
    withdrawn.reason = Some("the evidence was planted".into());
    d.claims.push(withdrawn);
    let err = pacta_ladder::check_move(Ladder::builtin(), law, &d, &m, MeasureState::Enacted).unwrap_err();
    assert!(err.rule.contains("no longer passes"), "{err}");
    // Suspending and lifting stay open: a state may always stop.
    pacta_ladder::check_move(Ladder::builtin(), law, &d, &m, MeasureState::Lifted).unwrap();
}

#[test]
fn only_collective_measures_take_partners_and_never_the_target() {
    let law = pacta_norms::builtin();
    let d = dossier();
    let joined = Measure { with: vec![party("state:DE")], urgent: true, ..countermeasure() };
    let err = pacta_ladder::check_proposal(Ladder::builtin(), law, &d, &joined).unwrap_err();
    assert!(err.field == "with" && err.rule.contains("art. 54"), "{err}");
    let target_joins = Measure { with: vec![party("state:RU")], rung: "collective_measures".into(), ..countermeasure() };
    assert!(target_joins.validate().unwrap_err().rule.contains("directed against does not take part"));
    // Collective measures with nobody else are countermeasures under another name.
    let alone = Measure { rung: "collective_measures".into(), urgent: true, ..countermeasure() };
    let err = pacta_ladder::check_proposal(Ladder::builtin(), law, &d, &alone).unwrap_err();
    assert!(err.field == "with" && err.rule.contains("acting alone uses countermeasures"), "{err}");
}

#[test]
fn an_invited_state_takes_part_only_once_it_joins_by_its_own_act() {
    let rung = Ladder::builtin().rung("collective_measures").unwrap();
    let (fr, de, pl) = (party("state:FR"), party("state:DE"), party("state:PL"));
    let called = Situation { called_to_comply: true, ..Situation::default() };
    let m = Measure { with: vec![de.clone(), pl.clone()], rung: "collective_measures".into(), ..countermeasure() };

    // France named Germany and Poland: an invitation, not their consent. Nothing is
    // notified in their name until each has answered.
    let err = pacta_ladder::transition(&m, rung, &called, &fr, MeasureState::Notified, "", "t1").unwrap_err();
    assert!(err.field == "with[0]" && err.value == "state:DE" && err.rule.contains("has not answered"), "{err}");
    assert_eq!(m.pending(), vec![&de, &pl]);

    // Only an invited state joins, for itself, once, and while the measure is proposed.
    let err = pacta_ladder::join(&m, &party("state:IT"), "", "t1").unwrap_err();
    assert!(err.field == "--as" && err.rule.contains("only a state invited by state:FR") && err.rule.contains("invited: state:DE, state:PL"), "{err}");
    assert!(pacta_ladder::join(&m, &fr, "", "t1").is_err(), "the proposer does not join its own measure");
    let m = pacta_ladder::join(&m, &de, "Germany takes part under ILC art. 54.", "t1").unwrap();
    assert_eq!((m.joined[0].party.clone(), m.joined[0].note.as_str()), (de.clone(), "Germany takes part under ILC art. 54."), "the joining state's own words are kept");
    assert!(pacta_ladder::join(&m, &de, "", "t1").unwrap_err().rule.contains("already joined"));
    let err = pacta_ladder::transition(&m, rung, &called, &fr, MeasureState::Notified, "", "t1").unwrap_err();
    assert!(err.field == "with[1]" && err.value == "state:PL", "Poland has still not answered: {err}");

    // Poland declines: final, and the measure goes ahead in the name of France and Germany.
    let m = pacta_ladder::leave(&m, &pl, "Not on this evidence.", "t2").unwrap();
    assert_eq!((m.partner_standing(&pl), m.partners()), ("declined", vec![&de]));
    assert!(pacta_ladder::join(&m, &pl, "", "t3").unwrap_err().rule.contains("final"));
    let notified = pacta_ladder::transition(&m, rung, &called, &fr, MeasureState::Notified, "", "t3").unwrap();
    let late = Measure { with: vec![de.clone(), pl.clone(), party("state:IT")], ..notified.clone() };
    let err = pacta_ladder::join(&late, &party("state:IT"), "", "t4").unwrap_err();
    assert!(err.field == "measure" && err.rule.contains("while it is proposed"), "{err}");

    // Germany ends its own part of the measure; France's goes on, but a collective measure
    // with nobody left is a countermeasure under another name.
    let enacted = pacta_ladder::transition(&notified, rung, &called, &fr, MeasureState::Enacted, "", "t5").unwrap();
    assert!(pacta_ladder::transition(&enacted, rung, &called, &de, MeasureState::Lifted, "", "t6").is_err(), "Germany does not lift France's measure");
    let alone = pacta_ladder::leave(&enacted, &de, "Our part ends.", "t6").unwrap();
    assert_eq!((alone.partner_standing(&de), alone.partners().len(), alone.state), ("left", 0, MeasureState::Enacted));
    let err = pacta_ladder::check_proposal(Ladder::builtin(), pacta_norms::builtin(), &dossier(), &alone).unwrap_err();
    assert!(err.field == "with" && err.rule.contains("every state invited has declined or left"), "{err}");
    assert!(pacta_ladder::leave(&alone, &de, "", "t7").unwrap_err().rule.contains("already declined or left"));

    // Records claiming acts of states never invited, or invitations twice, do not validate.
    let forged = Measure { joined: vec![PartnerAct { party: party("state:IT"), at: "t1".into(), note: String::new() }], ..countermeasure() };
    assert!(forged.validate().unwrap_err().rule.contains("only a state the measure was proposed with"));
    let twice = Measure { with: vec![de.clone(), de.clone()], ..countermeasure() };
    assert_eq!(twice.validate().unwrap_err().field, "with[1]");
    let itself = Measure { with: vec![fr.clone()], ..countermeasure() };
    assert!(itself.validate().unwrap_err().rule.contains("is the state proposing the measure"));
}

#[test]
fn a_silent_invitee_holds_the_measure_until_the_proposer_withdraws_its_invitation() {
    let rung = Ladder::builtin().rung("collective_measures").unwrap();
    let (fr, de, pl) = (party("state:FR"), party("state:DE"), party("state:PL"));
    let called = Situation { called_to_comply: true, ..Situation::default() };
    let m = Measure { with: vec![de.clone(), pl.clone()], rung: "collective_measures".into(), ..countermeasure() };
    let m = pacta_ladder::join(&m, &de, "", "t1").unwrap();

    // Poland never answers: France cannot notify in its name, nor make it answer.
    assert!(pacta_ladder::transition(&m, rung, &called, &fr, MeasureState::Notified, "", "t2").is_err());
    // Only France withdraws its own invitation, with a reason Poland will read, and only
    // an invitation still open.
    let err = pacta_ladder::withdraw_invitation(&m, &de, &pl, "No answer in ten days.", "t2").unwrap_err();
    assert!(err.field == "--as" && err.rule.contains("only state:FR"), "{err}");
    let err = pacta_ladder::withdraw_invitation(&m, &fr, &pl, "  ", "t2").unwrap_err();
    assert_eq!(err.field, "note");
    let err = pacta_ladder::withdraw_invitation(&m, &fr, &de, "Changed our mind.", "t2").unwrap_err();
    assert!(err.field == "invitee" && err.rule.contains("standing: joined"), "a state that joined is not uninvited: {err}");
    let err = pacta_ladder::withdraw_invitation(&m, &fr, &party("state:IT"), "x", "t2").unwrap_err();
    assert!(err.field == "invitee" && err.rule.contains("was not invited"), "{err}");

    let m = pacta_ladder::withdraw_invitation(&m, &fr, &pl, "No answer in ten days.", "t2").unwrap();
    assert_eq!((m.partner_standing(&pl), m.pending().len(), m.partners()), ("invitation withdrawn", 0, vec![&de]));
    assert_eq!(m.withdrawn[0].note, "No answer in ten days.");
    m.validate().unwrap();
    // Poland can no longer accept or decline what is no longer offered...
    assert!(pacta_ladder::join(&m, &pl, "", "t3").unwrap_err().rule.contains("withdrew its invitation"));
    assert!(pacta_ladder::leave(&m, &pl, "", "t3").unwrap_err().rule.contains("withdrew its invitation"));
    assert!(pacta_ladder::withdraw_invitation(&m, &fr, &pl, "again", "t3").is_err(), "withdrawn once");
    // ...and the measure goes ahead in the name of France and Germany.
    pacta_ladder::transition(&m, rung, &called, &fr, MeasureState::Notified, "", "t3").unwrap();
    // Had Germany left in the meantime, the notification itself is refused, not only the
    // planner that ran before it: France alone takes countermeasures, not collective ones.
    let deserted = pacta_ladder::leave(&m, &de, "", "t3").unwrap();
    let err = pacta_ladder::transition(&deserted, rung, &called, &fr, MeasureState::Notified, "", "t4").unwrap_err();
    assert!(err.field == "with" && err.rule.contains("acting alone uses countermeasures"), "{err}");
    // A note with a control character is refused as the note given.
    assert_eq!(pacta_ladder::withdraw_invitation(&Measure { with: vec![pl.clone()], ..countermeasure() }, &fr, &pl, "bell\u{7}", "t2").unwrap_err().field, "note");

    // With every invitation withdrawn, nobody takes a collective measure with France.
    let lone = Measure { with: vec![pl.clone()], rung: "collective_measures".into(), ..countermeasure() };
    let lone = pacta_ladder::withdraw_invitation(&lone, &fr, &pl, "No answer.", "t2").unwrap();
    let err = pacta_ladder::check_proposal(Ladder::builtin(), pacta_norms::builtin(), &dossier(), &lone).unwrap_err();
    assert!(err.field == "with" && err.rule.contains("invitation was withdrawn"), "{err}");
    // A record claiming a withdrawn invitation that was answered does not validate.
    let forged = Measure { withdrawn: vec![PartnerAct { party: de.clone(), at: "t4".into(), note: "x".into() }], ..pacta_ladder::join(&Measure { with: vec![de.clone()], ..countermeasure() }, &de, "", "t1").unwrap() };
    assert_eq!(forged.validate().unwrap_err().field, "withdrawn[0]");
}

#[test]
fn a_state_that_contests_the_attribution_does_not_join_a_countermeasure_on_it() {
    let mut d = dossier();
    let it = party("state:IT");
    d.stances.push(stance(&d.claims[0], "state:IT", StanceKind::Contest, vec![]));
    let collective = Measure { with: vec![it.clone()], rung: "collective_measures".into(), ..countermeasure() };
    let err = pacta_ladder::check_join(Ladder::builtin(), &d, &collective, &it).unwrap_err();
    assert!(err.field == "--as" && err.rule.contains("contests the attribution to RU") && err.rule.contains("art. 49"), "{err}");
    // A protest is lawful whatever the attribution: Italy may join that.
    let protest = Measure { rung: "private_protest".into(), ..collective.clone() };
    pacta_ladder::check_join(Ladder::builtin(), &d, &protest, &it).unwrap();
    // Germany, which contested nothing, joins the countermeasure.
    pacta_ladder::check_join(Ladder::builtin(), &d, &Measure { with: vec![party("state:DE")], ..collective }, &party("state:DE")).unwrap();
}

#[test]
fn the_responsible_state_does_not_record_its_own_compliance() {
    let event = |by: &str, kind| ComplianceEvent { id: ComplianceEventId::new(), incident: IncidentId::new(), kind, by: party(by), responsible: st("RU"), date: None, note: String::new() };
    let err = event("state:RU", ComplianceKind::ResponsibleStateComplied).validate().unwrap_err();
    assert!(err.field == "by" && err.rule.contains("responsible state"), "{err}");
    assert!(event("state:RU", ComplianceKind::CallToComply).validate().is_err());
    assert!(event("state:FR", ComplianceKind::ResponsibleStateComplied).validate().is_ok());
    assert!(event("org:secretariat", ComplianceKind::WrongfulActCeased).validate().is_ok());
}

#[test]
fn an_instance_ladder_keeps_the_shared_rungs_bases_and_the_reach_of_retorsion() {
    let freezes = pacta_ladder::ladder::BUILTIN.replacen("id: asset_freezes\nname: Asset freezes (state assets)\nbasis: countermeasure", "id: asset_freezes\nname: Asset freezes (state assets)\nbasis: retorsion", 1);
    assert_ne!(freezes, pacta_ladder::ladder::BUILTIN, "the test edits the asset_freezes rung");
    let err = Ladder::parse("mine.md", &freezes).unwrap_err();
    assert!(err.rule.contains("`asset_freezes` is countermeasure in the built-in ladder"), "{err}");
    let hack_back = format!(
        "{}\n```rung\nid: hack_back\nname: Hack back\nbasis: retorsion\ncites: none\ngate confidence: none\ngate status: none\nseverity: 9\nreversibility: irreversible\ncivilian harm: high\nlift when: wrongful_act_ceased\n```\n",
        pacta_ladder::ladder::BUILTIN
    );
    let err = Ladder::parse("mine.md", &hack_back).unwrap_err();
    assert!(err.rule.contains("declare it a countermeasure"), "{err}");
    // The same rung declared for what it is loads, and the planner applies arts. 49-53 to it.
    let declared = hack_back.replace("basis: retorsion\ncites: none", "basis: countermeasure\ncites: ILC arts. 49-53");
    assert!(Ladder::parse("mine.md", &declared).is_ok());
}

#[test]
fn the_laws_lift_conditions_hold_whatever_the_ladder_says_and_only_the_injured_state_or_the_forum_records_them() {
    // An instance ladder that would end countermeasures only on three conditions at once.
    let lax = pacta_ladder::ladder::BUILTIN.replace(
        "lift when: responsible_state_complied or wrongful_act_ceased and dispute_before_tribunal",
        "lift when: dispute_before_tribunal and wrongful_act_ceased and responsible_state_complied",
    );
    let ladder = Ladder::parse("lax.md", &lax).unwrap();
    let rung = ladder.rung("countermeasures").unwrap();
    let enacted = Measure { state: MeasureState::Enacted, ..countermeasure() };
    let event = |by: &str, kind| ComplianceEvent { id: ComplianceEventId::new(), incident: enacted.incident, kind, by: party(by), responsible: st("RU"), date: None, note: String::new() };
    // Belarus says Russia complied: that is not the record France's measure answers to.
    let by_a_third_state = Situation::of(&[event("state:BY", ComplianceKind::ResponsibleStateComplied)], &party("state:FR"), st("RU"));
    assert!(lifecycle::lift_due(&enacted, rung, &by_a_third_state).is_none());
    // France (or the forum) records it: art. 53 ends the measure, whatever the file says.
    for by in ["state:FR", "org:secretariat"] {
        let complied = Situation::of(&[event(by, ComplianceKind::ResponsibleStateComplied)], &party("state:FR"), st("RU"));
        let due = lifecycle::lift_due(&enacted, rung, &complied).unwrap_or_else(|| panic!("{by}"));
        assert!(due.binding && due.cites.contains("art. 53") && due.action == "lifted", "{due:?}");
    }
    // Cessation before a binding tribunal suspends it (art. 52(3)); it does not end it.
    let seized = Situation::of(&[event("state:FR", ComplianceKind::WrongfulActCeased), event("org:secretariat", ComplianceKind::DisputeBeforeTribunal)], &party("state:FR"), st("RU"));
    // Another organisation is not the forum: its word that Russia complied counts for nothing.
    let hearsay = Situation::of(&[event("org:kp-friends", ComplianceKind::ResponsibleStateComplied)], &party("state:FR"), st("RU"));
    assert!(!hearsay.responsible_state_complied);
    assert_eq!(lifecycle::lift_due(&enacted, rung, &seized).unwrap().action, "suspended");
    // Once suspended, nothing more is due until the situation changes.
    let suspended = Measure { state: MeasureState::Suspended, ..enacted.clone() };
    assert!(lifecycle::lift_due(&suspended, rung, &seized).is_none());
}

#[test]
fn a_maker_already_counted_adds_no_source_by_naming_others_and_its_stated_likelihood_counts() {
    let i = IncidentId::new();
    let mut bare = claim(i, &["state:FR"], Confidence::Likely, vec![]);
    bare.attribution.confidence = None;
    // France names the lab beside itself on a second claim, without the lab's word.
    let mut with_lab = claim(i, &["state:FR", "verifier:lab"], Confidence::AlmostCertain, vec![]);
    with_lab.recorded_by = party("state:FR");
    let report = status::compute(&[bare, with_lab], &[], &parties());
    let ru = report.standing(st("RU")).unwrap();
    assert_eq!(ru.status, AttributionStatus::SingleSource, "{ru:?}");
    assert_eq!(ru.confidence, Some(Confidence::AlmostCertain), "France's own stated likelihood counts");
    // The lab's own claim is its own act: that is verification.
    let by_lab = claim(i, &["verifier:lab"], Confidence::VeryLikely, vec![]);
    let fr = claim(i, &["state:FR"], Confidence::Likely, vec![]);
    assert_eq!(status_of(&[fr, by_lab], &[]), AttributionStatus::IndependentlyVerified);
}

#[test]
fn self_defence_is_not_used_until_necessity_proportionality_and_immediacy_are_shown() {
    // An armed attack on France, attributed to Russia beyond doubt and verified by a lab:
    // self-defence may be proposed, but force is not used while the record cannot show it
    // necessary, proportionate and immediate (UN Charter art. 51; Nicaragua para. 176).
    let law = pacta_norms::builtin();
    let mut i = Incident::new("Dam sabotage", Tlp::Clear);
    i.operation_types = vec![OperationType::Destruction];
    i.targets.push(Target { state: Some(st("FR")), place: None, sector: Sector::Water, entity: None });
    i.effects.physical = Some(PhysicalEffects::Widespread);
    i.effects.casualties = Some(12);
    let c = claim(i.id, &["state:FR"], Confidence::AlmostCertain, vec![Uuid::now_v7()]);
    let by_lab = stance(&c, "verifier:lab", StanceKind::Endorse, vec![Uuid::now_v7()]);
    let d = pacta_ladder::Dossier { incident: Some(i), claims: vec![c], stances: vec![by_lab], parties: parties(), ..Default::default() };
    let m = Measure { rung: "self_defence".into(), ..countermeasure() };
    let (_, plan) = pacta_ladder::check_proposal(Ladder::builtin(), law, &d, &m).unwrap_or_else(|e| panic!("self-defence may be proposed: {e}"));
    assert!(plan.option("self_defence").is_some());
    let err = pacta_ladder::check_move(Ladder::builtin(), law, &d, &m, MeasureState::Enacted).unwrap_err();
    assert!(err.rule.contains("necessity, proportionality and immediacy") && err.rule.contains("charter.art51.immediacy"), "{err}");
    // Standing down is always open.
    pacta_ladder::check_move(Ladder::builtin(), law, &d, &m, MeasureState::Lifted).unwrap();
    // France declares each condition on record; a third state's declaration is not France's.
    let declare = |by: &str, kind| ComplianceEvent { id: ComplianceEventId::new(), incident: d.incident.as_ref().unwrap().id, kind, by: party(by), responsible: st("RU"), date: None, note: String::new() };
    let conditions = [ComplianceKind::SelfDefenceNecessary, ComplianceKind::SelfDefenceProportionate, ComplianceKind::ArmedAttackOngoingOrImminent];
    let by_others = pacta_ladder::Dossier { compliance: conditions.iter().map(|k| declare("state:DE", *k)).collect(), ..d.clone() };
    assert!(pacta_ladder::check_move(Ladder::builtin(), law, &by_others, &m, MeasureState::Enacted).is_err());
    let declared = pacta_ladder::Dossier { compliance: conditions.iter().map(|k| declare("state:FR", *k)).collect(), ..d.clone() };
    pacta_ladder::check_move(Ladder::builtin(), law, &declared, &m, MeasureState::Enacted).unwrap();
    // The declarations are a state's: an organisation cannot make them.
    assert!(declare("org:secretariat", ComplianceKind::SelfDefenceNecessary).validate().unwrap_err().rule.contains("self-defence"));
}

#[test]
fn a_measure_or_a_development_with_a_control_character_is_refused() {
    let m = Measure { description: "Note verbale\u{7}".into(), ..countermeasure() };
    let err = m.validate().unwrap_err();
    assert!(err.field == "description" && err.rule.contains("U+0007"), "{err}");
    let event = ComplianceEvent { id: ComplianceEventId::new(), incident: m.incident, kind: ComplianceKind::CallToComply, by: party("state:FR"), responsible: st("RU"), date: None, note: "Cease\u{1b}[2J".into() };
    assert!(event.validate().unwrap_err().rule.contains("control characters"));
    Measure { description: "Line one.\nLine two.".into(), ..countermeasure() }.validate().unwrap();
}
