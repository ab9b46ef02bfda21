//! The law, told as stories: literal incidents, asserted conclusions.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-norms cargo test -p pacta-norms --test stories`

use pacta_core::*;
use pacta_norms::*;
use std::collections::BTreeMap;

fn st(code: &str) -> StateCode {
    StateCode::parse("state", code).unwrap()
}

fn incident(title: &str, ops: &[OperationType], targets: &[(&str, Sector)]) -> Incident {
    let mut i = Incident::new(title, Tlp::Clear);
    i.operation_types = ops.to_vec();
    i.start_date = Some(chrono::NaiveDate::from_ymd_opt(2023, 5, 1).unwrap());
    for (s, sector) in targets {
        i.targets.push(Target { state: Some(st(s)), place: None, sector: *sector, entity: None });
    }
    i
}

fn claim(i: &Incident, state: &str, category: ActorCategory) -> Attribution {
    Attribution {
        id: AttributionId::new(),
        incident: i.id,
        attributors: vec![],
        attributor_label: Some("a government statement".into()),
        actor_name: None,
        actor_state: Some(st(state)),
        actor_category: category,
        basis: AttributionBasis::PoliticalStatement,
        confidence: None,
        visibility: Visibility::Public,
        date: None,
        origin_ref: None,
    }
}

fn assess_with(i: &Incident, atts: &[Attribution], view: Option<&str>, extra: &[(&str, bool)]) -> Assessment {
    let extra: BTreeMap<String, bool> = extra.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    let case = extract::case(i, atts, view.map(st), &extra).unwrap();
    builtin().assess(&case, AssessOptions { trace: true })
}

fn status(a: &Assessment, rule: &str) -> Status {
    a.finding(rule).unwrap_or_else(|| panic!("no finding for {rule}")).status
}

fn available(a: &Assessment, r: ResponseKind) -> Tri {
    a.response(r).unwrap().available
}

/// A WannaCry-like campaign: ransomware by a state organ (attributed) locking hospitals in
/// France and in the United Kingdom for days.
fn hospital_ransomware() -> (Incident, Vec<Attribution>) {
    let mut i = incident("Ransomware on hospitals", &[OperationType::Ransomware], &[("FR", Sector::Health), ("GB", Sector::Health)]);
    i.effects.disruption = Some(Disruption::LongTerm);
    let a = claim(&i, "KP", ActorCategory::State);
    (i, vec![a])
}

#[test]
fn a_ransomware_attack_by_a_state_organ_on_a_hospital_breaches_sovereignty_under_frances_position_but_not_the_uks() {
    let (i, atts) = hospital_ransomware();
    let fr = assess_with(&i, &atts, Some("FR"), &[]);
    let gb = assess_with(&i, &atts, Some("GB"), &[]);
    assert_eq!(status(&fr, "tallinn.r4.sovereignty"), Status::Breached);
    assert_eq!(status(&gb, "tallinn.r4.sovereignty"), Status::NotBreached);
    // Each finding says whose reading decided it.
    let decided = |a: &Assessment, rule: &str| a.finding(rule).unwrap().trace.as_ref().unwrap().decided_by.map(|d| d.0.to_string());
    assert_eq!(decided(&fr, "tallinn.r4.conduct").as_deref(), Some("fr.sovereignty.any-penetration"));
    assert_eq!(decided(&gb, "tallinn.r4.sovereignty").as_deref(), Some("gb.sovereignty.not-a-standalone-rule"));
    assert!(fr.in_force.iter().any(|i| &**i == "fr-2019") && !fr.in_force.iter().any(|i| &**i == "gb-2018"));
    // The UK's view does not make the conduct lawful: the hospitals are critical
    // infrastructure, so the voluntary norm 13(f) is not honoured under either view.
    assert_eq!(status(&gb, "gge.13f"), Status::InconsistentWithNorm);
    assert_eq!(gb.threshold.reached, Threshold::Sovereignty);
    assert_eq!(gb.responsibility.basis, Some(ResponsibilityBasis::Organ));
}

#[test]
fn a_mere_intrusion_violates_sovereignty_only_on_the_french_reading() {
    // A state organ's espionage in two ministries, with no disruption and nothing leaked.
    let mut i = incident("Ministry intrusion", &[OperationType::Espionage], &[("FR", Sector::Government), ("DE", Sector::Government)]);
    i.effects.disruption = Some(Disruption::None);
    i.effects.data_theft = Some(DataTheft::Sensitive);
    i.effects.hijacking = Some(Hijacking::WithoutMisuse);
    i.effects.data_leaked = Some(false);
    let atts = vec![claim(&i, "CN", ActorCategory::State)];
    let fr = assess_with(&i, &atts, Some("FR"), &[]);
    let de = assess_with(&i, &atts, Some("DE"), &[]);
    assert_eq!(status(&fr, "tallinn.r4.sovereignty"), Status::Breached);
    assert_eq!(status(&de, "tallinn.r4.sovereignty"), Status::NotBreached);
    // Espionage as such is not unlawful (Tallinn rule 32): permitted on the default reading.
    assert_eq!(status(&de, "tallinn.r32.espionage"), Status::Permitted);
    // No wrongful act from Germany's view, so no countermeasures; France may take them.
    assert_eq!(available(&de, ResponseKind::Countermeasures), Tri::No);
    assert_eq!(available(&fr, ResponseKind::Countermeasures), Tri::Yes);
}

#[test]
fn a_ddos_with_no_attribution_leaves_retorsion_only_because_no_wrongful_act_is_attributed() {
    let mut i = incident("DDoS on ministry websites", &[OperationType::Disruption], &[("EE", Sector::Government)]);
    i.effects.disruption = Some(Disruption::ShortTerm);
    let a = assess_with(&i, &[], None, &[]);
    assert_eq!(a.perspective, Some(st("EE")), "the targeted state's view by default");
    assert_eq!(available(&a, ResponseKind::Retorsion), Tri::Yes);
    assert_eq!(available(&a, ResponseKind::Countermeasures), Tri::No);
    assert_eq!(available(&a, ResponseKind::SelfDefence), Tri::No);
    assert_eq!(a.responsibility.basis, Some(ResponsibilityBasis::None));
    assert_eq!(status(&a, "ilc.art2.wrongful-act"), Status::DoesNotHold);
    // The trace of countermeasures shows why: the wrongful act does not hold.
    let trace = a.response(ResponseKind::Countermeasures).unwrap().trace.as_ref().unwrap();
    assert!(trace.cites.contains("49(1)"), "{}", trace.cites);
    assert!(trace.rules.iter().any(|(r, v)| &**r == "ilc.art2.wrongful-act" && *v == Tri::No));
    // The conduct still reaches the sovereignty threshold: it would be wrongful if attributed.
    assert_eq!(a.threshold.reached, Threshold::Sovereignty);
    assert_eq!(a.conduct(Category::Sovereignty), Tri::Yes);
}

#[test]
fn missing_effects_data_makes_use_of_force_cannot_tell_and_names_the_missing_facts() {
    // A state organ attacked a power grid; the source says nothing about effects.
    let i = incident("Grid intrusion", &[OperationType::Disruption], &[("UA", Sector::Energy)]);
    let atts = vec![claim(&i, "RU", ActorCategory::State)];
    let a = assess_with(&i, &atts, None, &[]);
    assert_eq!(status(&a, "charter.art2-4.use-of-force"), Status::CannotTell);
    let missing = &a.finding("charter.art2-4.use-of-force").unwrap().missing;
    for f in [Fact::PhysicalDamage, Fact::InjuryOrDeath] {
        assert!(missing.contains(&f), "{f} should be named among {missing:?}");
    }
    assert!(!missing.contains(&Fact::AttributedToStateOrgan), "known facts are not missing");
    // Nothing is assumed: the threshold says what is certain and what cannot be told.
    assert_eq!(a.threshold.reached, Threshold::BelowThreshold);
    assert_eq!(a.threshold.cannot_tell_above, Some(Threshold::ArmedAttack));
    assert!(a.threshold.missing.contains(&Fact::InjuryOrDeath));
    assert_eq!(available(&a, ResponseKind::SelfDefence), Tri::Unknown);
    assert!(a.response(ResponseKind::SelfDefence).unwrap().missing.contains(&Fact::PhysicalDamage));
    // A disruption operation implies a loss of functionality, but sovereignty (on the
    // Tallinn majority reading) needs a lasting one: the record does not say.
    assert_eq!(status(&a, "tallinn.r4.sovereignty"), Status::CannotTell);
    assert_eq!(a.finding("tallinn.r4.sovereignty").unwrap().missing, vec![Fact::LastingLossOfFunctionality, Fact::PhysicalDamage]);
    // Once the source says the outage lasted weeks, sovereignty is breached.
    let mut known = i.clone();
    known.effects.disruption = Some(Disruption::LongTerm);
    let b = assess_with(&known, &atts, None, &[]);
    assert_eq!(status(&b, "tallinn.r4.sovereignty"), Status::Breached);
    assert_eq!(b.threshold.reached, Threshold::Sovereignty);
}

#[test]
fn a_state_organ_disrupting_a_power_grid_is_inconsistent_with_norm_13f_not_a_breach_of_it() {
    let mut i = incident("Grid outage", &[OperationType::Disruption], &[("UA", Sector::Energy)]);
    i.effects.disruption = Some(Disruption::LongTerm);
    let a = assess_with(&i, &[claim(&i, "RU", ActorCategory::State)], None, &[]);
    assert_eq!(status(&a, "gge.13f"), Status::InconsistentWithNorm);
    let t = a.finding("gge.13f").unwrap().trace.as_ref().unwrap();
    assert_eq!(t.force, Force::Voluntary);
    assert_eq!(&*t.cites, "A/70/174, para. 13(f)");
    assert!(t.facts.contains(&(Fact::TargetsCriticalInfrastructure, Tri::Yes)));
}

#[test]
fn countermeasures_against_a_responsible_state_carry_their_procedural_duties() {
    let mut i = incident("Grid outage", &[OperationType::Disruption], &[("UA", Sector::Energy)]);
    i.effects.disruption = Some(Disruption::LongTerm);
    let atts = vec![claim(&i, "RU", ActorCategory::StateAffiliated)];
    let a = assess_with(&i, &atts, None, &[]);
    assert_eq!(a.responsibility.basis, Some(ResponsibilityBasis::InstructedOrControlled));
    let cm = a.response(ResponseKind::Countermeasures).unwrap();
    assert_eq!(cm.available, Tri::Yes);
    let duty = |a: &Assessment, id: &str| a.finding(id).unwrap().clone();
    assert_eq!(duty(&a, "ilc.art52.call-to-comply").status, Status::CannotTell);
    assert_eq!(duty(&a, "ilc.art52.call-to-comply").missing, vec![Fact::PriorCallToComply]);
    // Notified? unknown; urgent? unknown: cannot tell, naming both.
    assert_eq!(duty(&a, "ilc.art52.notify-and-offer").missing, vec![Fact::NotifiedWithOfferToNegotiate, Fact::UrgentCountermeasures]);

    // An urgent measure need not be notified first (art. 52(2)); the others are met.
    let b = assess_with(
        &i,
        &atts,
        None,
        &[
            ("prior_call_to_comply", true),
            ("notified_with_offer_to_negotiate", false),
            ("urgent_countermeasures", true),
            ("response_proportionate", true),
            ("response_reversible", true),
            ("response_affects_protected_obligations", false),
            ("wrongful_act_ceased", false),
            ("responsible_state_complied", false),
            ("dispute_before_tribunal", false),
        ],
    );
    let duties = &b.response(ResponseKind::Countermeasures).unwrap().duties;
    assert!(duties.iter().all(|d| d.status == Status::NotBreached), "{duties:#?}");
    let notify = duty(&b, "ilc.art52.notify-and-offer");
    assert_eq!(notify.trace.unwrap().decided_by.unwrap().0.as_str(), "ilc.art52.urgent");
    // A measure that is not reversible fails art. 49(3).
    let c = assess_with(&i, &atts, None, &[("response_reversible", false)]);
    assert_eq!(duty(&c, "ilc.art49.reversibility").status, Status::Breached);
}

#[test]
fn a_non_state_group_operating_from_a_states_territory_engages_it_only_once_it_is_on_notice() {
    let mut i = incident("Hospital ransomware", &[OperationType::Ransomware], &[("DE", Sector::Health)]);
    i.effects.disruption = Some(Disruption::LongTerm);
    let atts = vec![claim(&i, "RU", ActorCategory::Criminal)];
    let a = assess_with(&i, &atts, None, &[]);
    // The elements of due diligence are cumulative; knowledge and failure are unknown.
    assert_eq!(status(&a, "tallinn.r6.due-diligence"), Status::CannotTell);
    assert_eq!(a.responsibility.basis, None);
    assert!(a.responsibility.missing.contains(&Fact::TerritorialStateKnew));
    assert!(a.responsibility.missing.contains(&Fact::RequestToStopUnanswered));
    assert_eq!(available(&a, ResponseKind::Countermeasures), Tri::Unknown);
    // Germany asked Russia to stop; the request went unanswered.
    let b = assess_with(&i, &atts, None, &[("request_to_stop_unanswered", true)]);
    assert_eq!(status(&b, "tallinn.r6.due-diligence"), Status::Breached);
    assert_eq!(b.responsibility.basis, Some(ResponsibilityBasis::DueDiligenceFailure));
    assert_eq!(available(&b, ResponseKind::Countermeasures), Tri::Yes);
    assert_eq!(status(&b, "gge.13h"), Status::InconsistentWithNorm);
    // The group's conduct is not the state's own: sovereignty is not breached by Russia.
    assert_eq!(status(&b, "tallinn.r4.sovereignty"), Status::NotBreached);
    // Due diligence is an obligation of conduct: shown to have taken every feasible
    // measure, Russia has not failed it, answer or no answer (Tallinn r. 7).
    let c = assess_with(&i, &atts, None, &[("request_to_stop_unanswered", true), ("feasible_measures_not_taken", false)]);
    assert_eq!(status(&c, "tallinn.r7.failure"), Status::DoesNotHold);
    assert_eq!(status(&c, "tallinn.r6.due-diligence"), Status::NotBreached);
}

#[test]
fn an_attack_that_kills_opens_self_defence_until_the_security_council_acts() {
    let mut i = incident("Dam sabotage", &[OperationType::Destruction], &[("NO", Sector::Water)]);
    i.effects.physical = Some(PhysicalEffects::Widespread);
    i.effects.casualties = Some(3);
    let atts = vec![claim(&i, "RU", ActorCategory::State)];
    let a = assess_with(&i, &atts, None, &[]);
    assert_eq!(a.threshold.reached, Threshold::ArmedAttack);
    assert_eq!(a.threshold.cannot_tell_above, None);
    assert_eq!(status(&a, "charter.art2-4.use-of-force"), Status::Breached);
    let sd = a.response(ResponseKind::SelfDefence).unwrap();
    assert_eq!(sd.available, Tri::Yes);
    assert!(sd.duties.iter().any(|d| &*d.rule == "charter.art51.report" && d.missing == vec![Fact::ReportedToSecurityCouncil]));
    let b = assess_with(&i, &atts, None, &[("security_council_has_acted", true)]);
    assert_eq!(available(&b, ResponseKind::SelfDefence), Tri::No);
    // Below the armed-attack threshold self-defence is never available. Local physical
    // effects and no casualties: whether it was a use of force turns on whether anything
    // was damaged, which a grade of how far effects reached does not say.
    let mut small = i.clone();
    small.effects.physical = Some(PhysicalEffects::Local);
    small.effects.casualties = Some(0);
    let c = assess_with(&small, &atts, None, &[]);
    assert_eq!(c.threshold.reached, Threshold::Sovereignty);
    assert_eq!(c.threshold.cannot_tell_above, Some(Threshold::UseOfForce));
    assert_eq!(available(&c, ResponseKind::SelfDefence), Tri::No);
}

#[test]
fn sirens_set_off_for_an_hour_are_physical_effects_not_damage() {
    // A city's emergency sirens sounded for ninety minutes, effects local and short: no
    // one was hurt and nothing broke. That is no use of force (Tallinn Manual 2.0, r. 69:
    // severity is damage, destruction, injury or death), and no armed attack.
    let mut i = incident("Sirens", &[OperationType::Hijacking], &[("US", Sector::EmergencyServices)]);
    i.effects.physical = Some(PhysicalEffects::Local);
    i.effects.disruption = Some(Disruption::ShortTerm);
    i.effects.casualties = Some(0);
    let atts = vec![claim(&i, "RU", ActorCategory::State)];
    let a = assess_with(&i, &atts, None, &[]);
    assert_ne!(a.threshold.reached, Threshold::UseOfForce);
    assert_ne!(a.threshold.reached, Threshold::ArmedAttack);
    assert_eq!(available(&a, ResponseKind::SelfDefence), Tri::No);
    // A claim that names the state but not the kind of actor leaves responsibility open.
    let mut unknown = claim(&i, "RU", ActorCategory::Unknown);
    unknown.actor_name = None;
    let b = assess_with(&i, &[unknown], None, &[]);
    assert_eq!(status(&b, "ilc.art4.organ"), Status::CannotTell, "not decided on a claim that does not say who acted");
}

#[test]
fn from_germanys_view_an_election_disinformation_campaign_can_be_coercive() {
    let i = incident("Election disinformation", &[OperationType::Influence], &[("DE", Sector::Elections)]);
    let atts = vec![claim(&i, "RU", ActorCategory::State)];
    let de = assess_with(&i, &atts, Some("DE"), &[("intent_to_compel", true)]);
    let fr = assess_with(&i, &atts, Some("FR"), &[("intent_to_compel", true)]);
    assert_eq!(status(&de, "tallinn.r66.coercion"), Status::Holds);
    assert_eq!(status(&de, "tallinn.r66.intervention"), Status::Breached);
    assert_eq!(de.threshold.reached, Threshold::Intervention);
    // On the default reading propaganda is not coercion — but effects are unknown here, so
    // whether the campaign also disabled systems cannot be told.
    assert_eq!(status(&fr, "tallinn.r66.intervention"), Status::CannotTell);
    assert!(fr.finding("tallinn.r66.intervention").unwrap().missing.contains(&Fact::LossOfFunctionality));
}

#[test]
fn instruments_apply_only_from_their_date() {
    let (mut i, atts) = hospital_ransomware();
    i.start_date = Some(chrono::NaiveDate::from_ymd_opt(2014, 6, 1).unwrap());
    let a = assess_with(&i, &atts, Some("FR"), &[]);
    assert!(!a.in_force.iter().any(|x| &**x == "un-gge-2015" || &**x == "fr-2019"), "{:?}", a.in_force);
    assert!(a.finding("gge.13f").is_none());
    // Without the French position the default reading applies (loss of functionality: breach).
    assert_eq!(status(&a, "tallinn.r4.sovereignty"), Status::Breached);
    assert!(a.finding("tallinn.r4.sovereignty").unwrap().trace.as_ref().unwrap().decided_by.is_none());
}

#[test]
fn the_osce_overlay_applies_to_its_participating_states_only() {
    let (i, atts) = hospital_ransomware();
    let fr = assess_with(&i, &atts, Some("FR"), &[("consultation_request_unanswered", true)]);
    assert_eq!(status(&fr, "osce.cbm3.consultations"), Status::InconsistentWithNorm);
    let mut jp = i.clone();
    jp.targets[0].state = Some(st("JP"));
    let jp = assess_with(&jp, &atts, Some("JP"), &[("consultation_request_unanswered", true)]);
    assert!(jp.finding("osce.cbm3.consultations").is_none());
}

#[test]
fn an_unknown_extra_fact_is_refused() {
    let (i, atts) = hospital_ransomware();
    let extra: BTreeMap<String, bool> = [("request_ignored".to_string(), true)].into();
    let e = extract::case(&i, &atts, None, &extra).unwrap_err();
    assert!(e.to_string().contains("request_ignored"));
}

#[test]
fn an_assessment_round_trips_through_json_and_renders_with_its_trace() {
    let (i, atts) = hospital_ransomware();
    let a = assess_with(&i, &atts, Some("FR"), &[]);
    let json = serde_json::to_string(&a).unwrap();
    let back: Assessment = serde_json::from_str(&json).unwrap();
    assert_eq!(back, a);
    assert_eq!(&*a.instruments_version, builtin().version());
    let text = render::text(&a);
    assert!(text.contains("tallinn.r4.sovereignty"), "{text}");
    assert!(text.contains("decided by exception fr.sovereignty.any-penetration — Ministère des Armées"), "{text}");
    assert!(text.contains("State responsibility: organ [ilc.art4.organ]"), "{text}");
    assert!(text.contains("countermeasures   available") || text.contains("countermeasures  available"), "{text}");
}

#[test]
fn what_if_dropping_the_uk_position_changes_only_the_sovereignty_conclusions() {
    let (i, atts) = hospital_ransomware();
    let before = assess_with(&i, &atts, Some("GB"), &[]);
    let amended: Vec<(String, String)> = builtin_sources().into_iter().filter(|(p, _)| !p.ends_with("gb-2018.md")).collect();
    let law = Instruments::load(&amended).unwrap();
    assert_ne!(law.version(), builtin().version(), "the version follows the sources");
    let case = extract::case(&i, &atts, Some(st("GB")), &BTreeMap::new()).unwrap();
    let after = law.assess(&case, AssessOptions::default());
    let changes = render::diff(&before, &after);
    let what: Vec<&str> = changes.iter().map(|c| c.what.as_str()).collect();
    assert!(what.contains(&"rule tallinn.r4.sovereignty"), "{what:?}");
    assert!(what.contains(&"in_force"), "{what:?}");
    let sov = changes.iter().find(|c| c.what == "rule tallinn.r4.sovereignty").unwrap();
    assert_eq!((sov.before.as_str(), sov.after.as_str()), ("not_breached", "breached"));
    assert!(!what.contains(&"threshold"), "{what:?}");
    assert!(render::diff_text(&changes).contains("rule tallinn.r4.sovereignty: not_breached -> breached"));
    assert!(render::diff(&before, &before).is_empty());
}

#[test]
fn a_state_spying_on_its_own_activists_breaches_their_privacy_but_injures_no_other_state() {
    let mut i = incident("Spyware on activists", &[OperationType::Espionage], &[("TH", Sector::CivilSociety)]);
    i.effects.data_theft = Some(DataTheft::Sensitive);
    i.effects.hijacking = Some(Hijacking::WithMisuse);
    let a = assess_with(&i, &[claim(&i, "TH", ActorCategory::State)], None, &[]);
    assert_eq!(status(&a, "iccpr.art17.privacy"), Status::Breached);
    assert_eq!(status(&a, "gge.13e"), Status::InconsistentWithNorm);
    // Its own territory: no sovereignty question, and no injured state to take countermeasures.
    assert_eq!(status(&a, "tallinn.r4.sovereignty"), Status::NotBreached);
    assert_eq!(available(&a, ResponseKind::Countermeasures), Tri::No);
}

#[test]
fn the_covenant_binds_its_parties_only_and_a_late_party_from_the_day_it_is_bound() {
    // The same spyware campaign against activists abroad, told of three states.
    let mut i = incident("Spyware on exiled activists", &[OperationType::Espionage], &[("DE", Sector::CivilSociety)]);
    i.effects.data_theft = Some(DataTheft::Sensitive);
    i.effects.hijacking = Some(Hijacking::WithMisuse);
    let by = |state: &str, i: &Incident| assess_with(i, &[claim(i, state, ActorCategory::State)], None, &[]);
    let in_force = |a: &Assessment| a.in_force.iter().any(|x| &**x == "iccpr");

    // Russia is a party: its organs' interference with privacy breaches article 17.
    let ru = by("RU", &i);
    assert!(in_force(&ru));
    assert_eq!(status(&ru, "iccpr.art17.privacy"), Status::Breached);
    // China signed the Covenant but never ratified it: the Covenant does not bind it.
    let cn = by("CN", &i);
    assert!(!in_force(&cn) && cn.finding("iccpr.art17.privacy").is_none(), "{:?}", cn.in_force);
    // Pakistan ratified in 2010 and is bound from three months after (art. 49(2)).
    assert_eq!(status(&by("PK", &i), "iccpr.art17.privacy"), Status::Breached);
    let mut early = i.clone();
    early.start_date = chrono::NaiveDate::from_ymd_opt(2009, 6, 1);
    assert!(!in_force(&by("PK", &early)));
    // Named together, a party's conduct is still judged under it.
    let both = assess_with(&i, &[claim(&i, "CN", ActorCategory::State), claim(&i, "RU", ActorCategory::State)], None, &[]);
    assert!(in_force(&both));

    // A private group based in a party does not bring the Covenant into force for a
    // non-party's organs.
    let sa = assess_with(&i, &[claim(&i, "SA", ActorCategory::State), claim(&i, "IL", ActorCategory::NonStateGroup)], None, &[]);
    assert!(!in_force(&sa), "{:?}", sa.in_force);
    // What the Covenant's definitions say of the conduct holds whoever is bound: the GGE
    // norm on privacy (13(e)) and the conduct element of a human-rights breach read the
    // same for Saudi Arabia as for Russia.
    let sa = by("SA", &i);
    assert_eq!(status(&sa, "gge.13e"), status(&ru, "gge.13e"));
    assert_eq!(status(&sa, "gge.13e"), Status::InconsistentWithNorm);
    let hr = |a: &Assessment| a.conduct.iter().find(|(c, _)| *c == Category::HumanRights).unwrap().1;
    assert_eq!((hr(&sa), hr(&ru)), (Tri::Yes, Tri::Yes));
}

#[test]
fn a_treaty_scope_is_written_with_its_non_parties_and_late_joiners_only() {
    let bad = |scope: &str| {
        let text = format!("# T\n\n```instrument\nid: t\ntitle: T\ncites: T\n{scope}\n```\n\n```rule\nid: t.r\nkind: definition\nforce: law\ncites: T, art. 1\nholds when: consent\n```\n");
        Instruments::load(&[("t.md".to_string(), text)]).unwrap_err().to_string()
    };
    assert!(bad("scope: treaty\njoined: TR 2003").contains("YYYY-MM-DD"));
    assert!(bad("scope: treaty\nnon-parties: TR\njoined: TR 2003-12-23").contains("both as joining and as not a party"));
    assert!(bad("scope: universal\nnon-parties: CN").contains("belongs to a treaty"));
    assert!(bad("scope: treaty\nnon-parties: XX").contains("t.md:"));
    assert!(bad("scope: treaty\njoined: QA 2018-08-21, QA 2000-01-01").contains("listed twice"));
    assert!(bad("scope: treaty\nnon-parties: CN, CN").contains("listed twice"));
    assert!(bad("scope: treaty\nfrom: 1976-03-23\njoined: QA 1900-01-01").contains("before the treaty itself applies"));
}

#[test]
fn a_trace_names_only_the_exceptions_in_force_for_the_view_taken() {
    let (i, atts) = hospital_ransomware();
    let de = {
        let mut d = i.clone();
        d.targets[0].state = Some(st("DE"));
        assess_with(&d, &atts, Some("DE"), &[])
    };
    let facts: Vec<Fact> = de.finding("tallinn.r4.conduct").unwrap().trace.as_ref().unwrap().facts.iter().map(|(f, _)| *f).collect();
    // France's reading (any intrusion) is not in force from Germany's view.
    assert!(!facts.contains(&Fact::Intrusion), "{facts:?}");
    assert!(facts.contains(&Fact::LastingLossOfFunctionality), "{facts:?}");
    // Rules that do not apply say so, rather than "not breached".
    assert_eq!(status(&de, "gge.13c"), Status::NotApplicable);
}

#[test]
fn a_ddos_that_takes_a_foreign_company_offline_is_an_effect_on_the_territory_on_frances_reading() {
    // Nothing is entered and nothing lasts a day: below the Tallinn Manual's agreed floor,
    // but France counts any effect produced on its territory by digital means.
    let mut i = incident("DDoS on an operator", &[OperationType::Disruption], &[("FR", Sector::Telecommunications)]);
    i.effects.disruption = Some(Disruption::ShortTerm);
    i.effects.data_theft = Some(DataTheft::None);
    i.effects.hijacking = Some(Hijacking::None);
    i.effects.physical = Some(PhysicalEffects::None);
    let atts = vec![claim(&i, "RU", ActorCategory::State)];
    let case = extract::case(&i, &atts, None, &BTreeMap::new()).unwrap();
    assert_eq!(case.facts.get(Fact::Intrusion), Tri::No);
    let fr = assess_with(&i, &atts, Some("FR"), &[]);
    let de = assess_with(&i, &atts, Some("DE"), &[]);
    assert_eq!(status(&fr, "tallinn.r4.sovereignty"), Status::Breached);
    assert_eq!(status(&de, "tallinn.r4.sovereignty"), Status::NotBreached);
}

#[test]
fn knocking_hospitals_offline_interferes_with_the_right_to_health_however_briefly() {
    let mut i = incident("DDoS on hospitals", &[OperationType::Disruption], &[("US", Sector::Health)]);
    i.effects.disruption = Some(Disruption::ShortTerm);
    let a = assess_with(&i, &[], None, &[]);
    assert_eq!(a.conduct(Category::HumanRights), Tri::Yes);
    // Nobody is named: the conduct is described, but no state has breached the Covenant.
    assert_eq!(status(&a, "icescr.art12.health"), Status::NotBreached);
    let a = assess_with(&i, &[claim(&i, "RU", ActorCategory::StateAffiliated)], None, &[]);
    assert_eq!(status(&a, "icescr.art12.health"), Status::Breached);
}

#[test]
fn a_state_seizing_a_news_sites_publishing_system_restricts_freedom_of_expression() {
    let mut i = incident("News site hijacked", &[OperationType::Hijacking], &[("KZ", Sector::Media)]);
    i.effects.hijacking = Some(Hijacking::WithMisuse);
    i.effects.data_theft = Some(DataTheft::None);
    let a = assess_with(&i, &[claim(&i, "KZ", ActorCategory::State)], None, &[]);
    assert_eq!(status(&a, "iccpr.art19.expression"), Status::Breached);
    // An outlet as such has no privacy under article 17.
    assert_eq!(status(&a, "iccpr.art17.privacy"), Status::NotBreached);
}

#[test]
fn a_news_site_down_for_hours_is_not_yet_a_restriction_of_expression_but_down_for_days_is() {
    let mut i = incident("DDoS on a news site", &[OperationType::Disruption], &[("MA", Sector::Media)]);
    i.effects.disruption = Some(Disruption::ShortTerm);
    i.effects.hijacking = Some(Hijacking::None);
    let by_a_state = [claim(&i, "RU", ActorCategory::State)];
    let a = assess_with(&i, &by_a_state, None, &[]);
    assert_eq!(status(&a, "iccpr.art19.expression"), Status::NotBreached);
    i.effects.disruption = Some(Disruption::LongTerm);
    let a = assess_with(&i, &by_a_state, None, &[]);
    assert_eq!(status(&a, "iccpr.art19.expression"), Status::Breached);
    // How long the outage lasted is not on record: the finding says so.
    i.effects.disruption = None;
    let a = assess_with(&i, &by_a_state, None, &[]);
    assert_eq!(status(&a, "iccpr.art19.expression"), Status::CannotTell);
}

#[test]
fn what_if_an_amended_duty_or_category_shows_and_a_renamed_file_does_not() {
    // Espionage with data stolen from a foreign government, by a state organ.
    let mut i = incident("Ministry mailboxes read", &[OperationType::Espionage], &[("DE", Sector::Government)]);
    i.effects.data_theft = Some(DataTheft::Sensitive);
    let atts = vec![claim(&i, "RU", ActorCategory::State)];
    let case = extract::case(&i, &atts, Some(st("DE")), &BTreeMap::new()).unwrap();
    let before = builtin().assess(&case, AssessOptions::default());
    let amend = |file: &str, from: &str, to: &str| -> Instruments {
        let sources: Vec<(String, String)> = builtin_sources()
            .into_iter()
            .map(|(p, t)| if p.ends_with(file) { assert!(t.contains(from), "{from}"); let t = t.replacen(from, to, 1); (p, t) } else { (p, t) })
            .collect();
        Instruments::load(&sources).unwrap()
    };
    let what = |law: &Instruments| -> Vec<String> { render::diff(&before, &law.assess(&case, AssessOptions::default())).into_iter().map(|c| c.what).collect() };

    // A forum makes every countermeasure disproportionate: the duty changes, no finding does.
    let strict = amend("ilc-arsiwa-2001.md", "breached when: not response_proportionate", "breached when: true");
    assert!(what(&strict).contains(&"response countermeasures duty ilc.art51.proportionality".to_string()), "{:?}", what(&strict));

    // Unlawful espionage methods filed under human rights instead: the categories change.
    let moved = amend("tallinn-2.md", "category: cyber_espionage\nholds when: (op_espionage", "category: human_rights\nholds when: (op_espionage");
    assert!(what(&moved).contains(&"conduct cyber_espionage".to_string()), "{:?}", what(&moved));

    // The same files under other names and in another order: nothing changes in law.
    let renamed: Vec<(String, String)> = builtin_sources().into_iter().rev().map(|(p, t)| (p.replace(".md", "-renamed.md"), t)).collect();
    let renamed = Instruments::load(&renamed).unwrap();
    assert!(what(&renamed).is_empty(), "{:?}", what(&renamed));
}

#[test]
fn norms_and_rules_reach_only_as_far_as_their_text() {
    // GGE 13(f) covers damage to infrastructure "contrary to [the state's] obligations under
    // international law": with the territorial state's consent there is no wrongful act,
    // and nothing inconsistent with the norm.
    let mut i = incident("Grid operation with consent", &[OperationType::Disruption], &[("EE", Sector::Energy)]);
    i.effects.disruption = Some(Disruption::LongTerm);
    i.context.consent = Some(true);
    let atts = vec![claim(&i, "US", ActorCategory::State)];
    assert_eq!(status(&assess_with(&i, &atts, None, &[]), "gge.13f"), Status::NotBreached);
    i.context.consent = Some(false);
    assert_eq!(status(&assess_with(&i, &atts, None, &[]), "gge.13f"), Status::InconsistentWithNorm);
    // Rule 32 is peacetime law: in an armed conflict it does not apply.
    let mut spying = incident("Espionage at war", &[OperationType::Espionage], &[("UA", Sector::Government)]);
    spying.context.armed_conflict = Some(true);
    let atts = vec![claim(&spying, "RU", ActorCategory::State)];
    assert_eq!(status(&assess_with(&spying, &atts, None, &[]), "tallinn.r32.espionage"), Status::NotApplicable);
    spying.context.armed_conflict = Some(false);
    assert_ne!(status(&assess_with(&spying, &atts, None, &[]), "tallinn.r32.espionage"), Status::NotApplicable);
}
