//! Attribution as contested claims, evidence gates and the response ladder: whole stories,
//! each run on SQLite and on PostgreSQL. The store records; `pacta-ladder` decides; the
//! tests compose the two as the CLI does.

use pacta_core::*;
use pacta_ladder::{AttributionStatus, Dossier, Ladder, PlanRequest, Situation};
use pacta_ledger::note::NoteSigner;
use pacta_ledger::tree::MemoryTree;
use pacta_store::Store;
use pacta_store::evidence::NewEvidence;
use pacta_vault::Vault;
use uuid::Uuid;

mod support;
use support::*;

fn france() -> PartyId {
    party("state:FR")
}
fn germany() -> PartyId {
    party("state:DE")
}
fn lab() -> PartyId {
    party("verifier:forensic-lab")
}

/// An artefact received by `holder` for `incident`.
async fn artefact(store: &Store, vault: &Vault, holder: &PartyId, key: &NoteSigner, incident: IncidentId, bytes: &[u8]) -> (Uuid, u64) {
    let put = vault.put(bytes).unwrap();
    let new = NewEvidence {
        sha256: put.hash,
        size: put.size,
        name: "artefact.bin".into(),
        description: "collected for attribution".into(),
        media_type: None,
        tlp: Tlp::Amber,
        incident: Some(incident.to_string()),
        received_from: None,
    };
    let (e, ev) = store.add_evidence(vault, holder, key, new).await.unwrap();
    (e.id.0, ev.log_index)
}

/// A destructive operation against French government systems.
fn wiper_incident() -> Incident {
    let mut i = Incident::new("Wiper attack on the French finance ministry", Tlp::Clear);
    i.operation_types = vec![OperationType::Disruption, OperationType::Destruction];
    i.targets.push(Target { state: Some(state("FR")), place: None, sector: Sector::Government, entity: Some("finance ministry".into()) });
    i.effects.disruption = Some(Disruption::LongTerm);
    i.effects.data_theft = Some(DataTheft::None);
    i.context.armed_conflict = Some(false);
    i.context.consent = Some(false);
    i
}

fn claim_against_russia(incident: IncidentId, by: &PartyId, confidence: Confidence) -> Attribution {
    Attribution {
        id: AttributionId::new(),
        incident,
        attributors: vec![by.clone()],
        attributor_label: None,
        actor_name: Some("Sandworm".into()),
        actor_state: Some(state("RU")),
        actor_category: ActorCategory::State,
        basis: AttributionBasis::TechnicalReport,
        confidence: Some(confidence),
        visibility: Visibility::Public,
        date: None,
    origin_ref: None,
    }
}

fn stance(claim: AttributionId, p: &PartyId, kind: StanceKind, confidence: Option<Confidence>, evidence: Vec<Uuid>, reasoning: &str) -> Stance {
    Stance { id: StanceId::new(), claim, claim_version: 1, incident: IncidentId::new(), party: p.clone(), kind, confidence, evidence, reasoning: reasoning.into(), date: None }
}

/// The response plan `by` gets from the built-in ladder and law over what the dossier holds.
fn plan_for(d: &Dossier, by: &str) -> pacta_ladder::Plan {
    pacta_ladder::plan(Ladder::builtin(), pacta_norms::builtin(), d, &PlanRequest { by: state(by), against: None, urgent: false }).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_likely_attribution_is_contested_then_corroborated_and_a_countermeasure_runs_until_the_responsible_state_complies() {
    on_both!(|db| {
        let store = &db.store;
        let dir = Dir::new("story");
        let vault = Vault::open(dir.0.join("vault")).unwrap();
        let mut steps: Vec<(&str, u64)> = Vec::new();

        // The incident is reported; France, Germany and a forensic lab are registered.
        let (incident, index) = store.report_incident(IncidentRecord::new(wiper_incident()), &france()).await.unwrap();
        steps.push(("reported", index));
        let fr_key = register(store, &france(), 1).await;
        let de_key = register(store, &germany(), 2).await;
        let lab_key = register(store, &lab(), 3).await;
        let (fr_sample, i) = artefact(store, &vault, &france(), &fr_key, incident, b"wiper sample").await;
        steps.push(("french evidence", i));

        // France attributes it to Russia at "likely".
        let made = store.make_claim(&france(), claim_against_russia(incident, &france(), Confidence::Likely), vec![fr_sample]).await.unwrap();
        steps.push(("claim made", made.log_index));
        let claim = made.version.claim();
        let d = dossier(store, incident, &france()).await;
        assert_eq!(d.status().status, AttributionStatus::SingleSource);
        let before = plan_for(&d, "FR");
        assert!(before.option("demarche").is_some(), "{:#?}", before.unavailable);
        let refusal = before.refusal("public_condemnation").unwrap();
        assert!(refusal.reasons.iter().any(|r| r.contains("corroborated")), "{refusal:?}");
        let refusal = before.refusal("countermeasures").unwrap();
        assert!(refusal.reasons.iter().any(|r| r.contains("very_likely")), "{refusal:?}");

        // A verifier contests it with its own analysis: the attribution is contested.
        let (lab_notes, _) = artefact(store, &vault, &lab(), &lab_key, incident, b"infrastructure overlaps with a criminal group").await;
        let contest = store
            .take_stance(&lab(), stance(claim, &lab(), StanceKind::Contest, Some(Confidence::RoughlyEvenChance), vec![lab_notes], "The infrastructure is shared with a criminal group."))
            .await
            .unwrap();
        steps.push(("contested", contest.log_index));
        // Germany cannot make the lab's artefact its own evidence: it never held it.
        let borrowed = store.take_stance(&germany(), stance(claim, &germany(), StanceKind::Endorse, Some(Confidence::Likely), vec![lab_notes], "The lab's notes say so.")).await.unwrap_err().to_string();
        assert!(borrowed.contains("no artefact in this party's custody"), "{borrowed}");
        let d = dossier(store, incident, &france()).await;
        assert_eq!(d.status().status, AttributionStatus::Contested);
        let contested = plan_for(&d, "FR");
        assert!(contested.refusal("demarche").is_some(), "a contested attribution passes only the gates that need none");
        assert!(contested.option("private_protest").is_some());

        // Germany endorses with new evidence of its own, at "very likely": corroborated.
        let (de_logs, _) = artefact(store, &vault, &germany(), &de_key, incident, b"German sensor logs").await;
        let endorse = store
            .take_stance(&germany(), stance(claim, &germany(), StanceKind::Endorse, Some(Confidence::VeryLikely), vec![de_logs], "Our sensors saw the same implant beaconing to GRU infrastructure."))
            .await
            .unwrap();
        steps.push(("endorsed", endorse.log_index));
        let d = dossier(store, incident, &france()).await;
        let status = d.status();
        assert_eq!(status.status, AttributionStatus::Corroborated);
        assert_eq!(status.standing(state("RU")).unwrap().confidence, Some(Confidence::VeryLikely));

        // The planner's options widen.
        let after = plan_for(&d, "FR");
        assert_eq!(after.against, Some(state("RU")));
        for rung in ["public_condemnation", "expulsion_of_diplomats", "countermeasures"] {
            assert!(after.option(rung).is_some(), "{rung} should open: {:#?}", after.refusal(rung));
            assert!(before.option(rung).is_none());
        }
        assert!(after.options.len() > before.options.len());
        assert!(after.options.windows(2).all(|w| w[0].severity <= w[1].severity), "least severe first");
        let cm = after.option("countermeasures").unwrap();
        let open: Vec<&str> = cm.open_duties.iter().map(|d| d.rule.as_str()).collect();
        assert!(open.contains(&"ilc.art52.call-to-comply") && open.contains(&"ilc.art52.notify-and-offer"), "{open:?}");
        let sd = after.refusal("self_defence").unwrap();
        assert!(sd.reasons.iter().any(|r| r.contains("independently_verified")), "{sd:?}");
        assert!(after.option("collective_measures").is_none(), "collective measures need independent verification");

        // France calls on Russia to comply, proposes a countermeasure, notifies and enacts it.
        let call = ComplianceEvent { id: ComplianceEventId::new(), incident, kind: ComplianceKind::CallToComply, by: france(), responsible: state("RU"), date: None, note: "Cease the operation and make reparation.".into() };
        steps.push(("call to comply", store.record_compliance(&france(), call).await.unwrap().log_index));
        let measure = countermeasure(incident, &france(), state("RU"));
        let d = dossier(store, incident, &france()).await;
        let (rung, _) = pacta_ladder::check_proposal(Ladder::builtin(), pacta_norms::builtin(), &d, &measure).unwrap();
        let rung = rung.clone();
        let proposed = store.propose_measure(&france(), measure).await.unwrap();
        steps.push(("proposed", proposed.log_index.unwrap()));
        let id = proposed.measure.id;

        let situation = |d: &Dossier| Situation::of(&d.compliance, &france(), state("RU"));
        let d = dossier(store, incident, &france()).await;
        // Enacting straight from "proposed" skips the notification of art. 52(1)(b).
        let err = store.move_measure(&france(), id, |m| pacta_ladder::transition(m, &rung, &situation(&d), &france(), MeasureState::Enacted, "", &now())).await.unwrap_err().to_string();
        assert!(err.contains("52(1)(b)"), "{err}");
        let notified = store.move_measure(&france(), id, |m| pacta_ladder::transition(m, &rung, &situation(&d), &france(), MeasureState::Notified, "Notified, with an offer to negotiate.", &now())).await.unwrap();
        steps.push(("notified", notified.log_index.unwrap()));
        let enacted = store.move_measure(&france(), id, |m| pacta_ladder::transition(m, &rung, &situation(&d), &france(), MeasureState::Enacted, "", &now())).await.unwrap();
        steps.push(("enacted", enacted.log_index.unwrap()));
        assert!(pacta_ladder::lift_due(&enacted.measure, &rung, &situation(&d)).is_none());

        // Russia complies: the countermeasure is flagged for lifting, and the law binds.
        let complied = ComplianceEvent { id: ComplianceEventId::new(), incident, kind: ComplianceKind::ResponsibleStateComplied, by: france(), responsible: state("RU"), date: None, note: "Reparation received.".into() };
        steps.push(("complied", store.record_compliance(&france(), complied).await.unwrap().log_index));
        let d = dossier(store, incident, &france()).await;
        let m = &d.measures[0];
        assert_eq!(m.state, MeasureState::Enacted);
        let due = pacta_ladder::lift_due(m, &rung, &situation(&d)).expect("flagged for lifting");
        assert_eq!((due.condition.as_str(), due.binding, due.cites), ("responsible_state_complied", true, "ILC Articles, art. 53"));
        // It cannot be suspended and resumed: resuming is refused under art. 53.
        let suspended = store.move_measure(&france(), id, |m| pacta_ladder::transition(m, &rung, &situation(&d), &france(), MeasureState::Suspended, "", &now())).await.unwrap();
        steps.push(("suspended", suspended.log_index.unwrap()));
        let err = store.move_measure(&france(), id, |m| pacta_ladder::transition(m, &rung, &situation(&d), &france(), MeasureState::Enacted, "", &now())).await.unwrap_err().to_string();
        assert!(err.contains("art. 53"), "{err}");
        let lifted = store.move_measure(&france(), id, |m| pacta_ladder::transition(m, &rung, &situation(&d), &france(), MeasureState::Lifted, "Russia complied.", &now())).await.unwrap();
        steps.push(("lifted", lifted.log_index.unwrap()));
        let d = dossier(store, incident, &france()).await;
        let arc = pacta_ladder::arc(&d);
        let phases: Vec<_> = arc.iter().map(|s| s.phase).collect();
        assert!(phases.contains(&pacta_ladder::Phase::FactFinding) && phases.contains(&pacta_ladder::Phase::Measures) && phases.contains(&pacta_ladder::Phase::Compliance));

        // Every step is in the ledger, and the ledger verifies.
        let size = store.log_size().await.unwrap();
        let tree = MemoryTree::from_leaf_hashes(store.log_leaf_hashes(0, size).await.unwrap());
        assert_eq!(tree.size(), size);
        let entries = store.log_entries(0, size).await.unwrap();
        for (what, index) in &steps {
            let e = &entries[*index as usize];
            assert_eq!(tree.leaf_hash(*index), Some(pacta_store::write::leaf_hash(&e.entry)), "{what}");
            let proof = tree.inclusion_proof(*index, size).unwrap();
            pacta_ledger::tree::verify_inclusion(&e.leaf_hash, *index, size, &proof, &tree.root()).unwrap();
        }
        let kinds: Vec<&str> = steps.iter().map(|(_, i)| entries[*i as usize].kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "incident.reported", "evidence.received", "claim.made", "claim.contested", "claim.endorsed", "compliance.call_to_comply",
                "measure.proposed", "measure.notified", "measure.enacted", "compliance.responsible_state_complied", "measure.suspended", "measure.lifted"
            ]
        );
        // The public claim of a CLEAR incident is inlined; the AMBER measure only committed to.
        let claim_entry: serde_json::Value = serde_json::from_slice(&entries[made.log_index as usize].entry).unwrap();
        assert_eq!(claim_entry["record"]["attribution"]["actor_state"], "RU");
        let measure_entry = String::from_utf8(entries[enacted.log_index.unwrap() as usize].entry.clone()).unwrap();
        assert!(!measure_entry.contains("data-sharing") && measure_entry.contains("\"tlp\":\"AMBER\""), "{measure_entry}");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_claims_and_moves_are_refused_by_rule_and_nothing_is_written() {
    on_both!(|db| {
        let store = &db.store;
        let (incident, _) = store.report_incident(IncidentRecord::new(wiper_incident()), &france()).await.unwrap();
        register(store, &france(), 1).await;
        register(store, &germany(), 2).await;
        let size = store.log_size().await.unwrap();
        let refused = |e: pacta_store::StoreError| e.to_string();

        // Unknown incident, unknown party, unknown evidence.
        let err = refused(store.make_claim(&france(), claim_against_russia(IncidentId::new(), &france(), Confidence::Likely), vec![]).await.unwrap_err());
        assert!(err.contains("unknown incident"), "{err}");
        let mut joint = claim_against_russia(incident, &france(), Confidence::Likely);
        joint.attributors.push(party("state:NZ"));
        let err = refused(store.make_claim(&france(), joint, vec![]).await.unwrap_err());
        assert!(err.contains("attributors[1]") && err.contains("unknown party"), "{err}");
        let err = refused(store.make_claim(&france(), claim_against_russia(incident, &france(), Confidence::Likely), vec![Uuid::now_v7()]).await.unwrap_err());
        assert!(err.contains("unknown evidence"), "{err}");
        // A likelihood outside ICD 203 does not even parse; a claim must state one.
        let err = Confidence::parse("confidence", "probable").unwrap_err();
        assert!(err.rule.contains("ICD 203") && err.rule.contains("very_likely"), "{err}");
        let mut unsure = claim_against_russia(incident, &france(), Confidence::Likely);
        unsure.confidence = None;
        assert!(refused(store.make_claim(&france(), unsure, vec![]).await.unwrap_err()).contains("ICD 203"));
        // A party claims only in its own name.
        let err = refused(store.make_claim(&germany(), claim_against_russia(incident, &france(), Confidence::Likely), vec![]).await.unwrap_err());
        assert!(err.contains("own name"), "{err}");
        assert_eq!(store.log_size().await.unwrap(), size, "nothing was written");
        // Nothing done about an incident predates it: a claim, a stance or a call to
        // comply dated before the incident began is a slip, refused naming the date.
        let mut dated = wiper_incident();
        dated.title = "Wiper attack, dated".into();
        dated.start_date = Some(chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap());
        let (dated, _) = store.report_incident(IncidentRecord::new(dated), &france()).await.unwrap();
        let size = store.log_size().await.unwrap();
        let mut early = claim_against_russia(dated, &france(), Confidence::Likely);
        early.date = Some(chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
        let err = refused(store.make_claim(&france(), early.clone(), vec![]).await.unwrap_err());
        assert!(err.contains("date") && err.contains("2024-02-29") && err.contains("before the incident began (2024-03-01)"), "{err}");
        let call = ComplianceEvent { id: ComplianceEventId::new(), incident: dated, kind: ComplianceKind::CallToComply, by: france(), responsible: state("RU"), date: chrono::NaiveDate::from_ymd_opt(0, 1, 1), note: String::new() };
        let err = refused(store.record_compliance(&france(), call.clone()).await.unwrap_err());
        assert!(err.contains("before the incident began"), "{err}");
        assert_eq!(store.log_size().await.unwrap(), size, "nothing was written");
        // On the day it began, both are in order.
        early.date = Some(chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap());
        let on_time = store.make_claim(&france(), early, vec![]).await.unwrap();
        let mut their = stance(on_time.version.claim(), &germany(), StanceKind::Endorse, None, vec![], "Our sensors agree.");
        their.date = Some(chrono::NaiveDate::from_ymd_opt(2023, 12, 31).unwrap());
        let err = refused(store.take_stance(&germany(), their).await.unwrap_err());
        assert!(err.contains("before the incident began"), "{err}");
        store.record_compliance(&france(), ComplianceEvent { date: chrono::NaiveDate::from_ymd_opt(2024, 3, 1), ..call.clone() }).await.unwrap();
        // Russia's foreign ministry, an organisation, does not record that Russia complied:
        // that would end France's countermeasures on the responsible state's word. Only a
        // state or the forum's secretariat records developments.
        let mfa = Party { id: party("org:ru-mfa"), kind: PartyKind::Organisation, name: "Russian foreign ministry".into(), state: Some(state("RU")) };
        let mut named = wiper_incident();
        named.title = "Wiper attack, with a ministry named".into();
        store.report_incident(IncidentRecord { parties: vec![mfa.clone()], ..IncidentRecord::new(named) }, &france()).await.unwrap();
        let size = store.log_size().await.unwrap();
        let own_word = ComplianceEvent { id: ComplianceEventId::new(), by: mfa.id.clone(), kind: ComplianceKind::ResponsibleStateComplied, date: None, ..call };
        let err = refused(store.record_compliance(&mfa.id, own_word).await.unwrap_err());
        assert!(err.contains("org:ru-mfa") && err.contains("recorded by a state or by the forum's secretariat"), "{err}");
        assert_eq!(store.log_size().await.unwrap(), size, "nothing was written");

        // Germany may not take countermeasures: it is not the injured state.
        let made = store.make_claim(&france(), claim_against_russia(incident, &france(), Confidence::AlmostCertain), vec![]).await.unwrap();
        let size = store.log_size().await.unwrap();
        let d = dossier(store, incident, &germany()).await;
        let by_germany = Measure {
            id: ResponseId::new(),
            incident,
            by: germany(),
            with: vec![],
            against: state("RU"),
            rung: "countermeasures".into(),
            description: String::new(),
            urgent: true,
            tlp: Tlp::Amber,
            state: MeasureState::Proposed,
            history: vec![MeasureStep { state: MeasureState::Proposed, at: now(), by: germany(), note: String::new() }],
            kept_despite_lift_condition: None,
            joined: vec![],
            left: vec![],
            withdrawn: vec![],
        };
        let err = pacta_ladder::check_proposal(Ladder::builtin(), pacta_norms::builtin(), &d, &by_germany).unwrap_err().to_string();
        assert!(err.contains("only the injured state"), "{err}");

        // France's protest, lifted, cannot come back: lifted is final.
        let protest = Measure { by: france(), rung: "private_protest".into(), history: vec![MeasureStep { state: MeasureState::Proposed, at: now(), by: france(), note: String::new() }], ..by_germany.clone() };
        let d = dossier(store, incident, &france()).await;
        let (rung, _) = pacta_ladder::check_proposal(Ladder::builtin(), pacta_norms::builtin(), &d, &protest).unwrap();
        let id = store.propose_measure(&france(), protest).await.unwrap().measure.id;
        let none = Situation::default();
        store.move_measure(&france(), id, |m| pacta_ladder::transition(m, rung, &none, &france(), MeasureState::Lifted, "", &now())).await.unwrap();
        let size_after = store.log_size().await.unwrap();
        assert_eq!(size_after, size + 2);
        let err = refused(store.move_measure(&france(), id, |m| pacta_ladder::transition(m, rung, &none, &france(), MeasureState::Enacted, "", &now())).await.unwrap_err());
        assert!(err.contains("lifted is final"), "{err}");
        let err = refused(store.move_measure(&germany(), id, |m| pacta_ladder::transition(m, rung, &none, &germany(), MeasureState::Lifted, "", &now())).await.unwrap_err());
        assert!(err.contains("only state:FR"), "{err}");
        assert_eq!(store.log_size().await.unwrap(), size_after, "refused moves write nothing");

        // Withdrawn claims stop counting, and take no further versions; the history stays.
        store.withdraw_claim(&france(), made.version.claim(), "New evidence points elsewhere.").await.unwrap();
        let history = store.claim_history(made.version.claim(), Some(&france())).await.unwrap();
        assert_eq!(history.iter().map(|c| (c.version.version, c.version.action)).collect::<Vec<_>>(), [(1, ClaimAction::Made), (2, ClaimAction::Withdrawn)]);
        assert_eq!(dossier(store, incident, &france()).await.status().status, AttributionStatus::None);
        let err = refused(store.amend_claim(&france(), made.version.claim(), claim_against_russia(incident, &france(), Confidence::Likely), vec![], "again").await.unwrap_err());
        assert!(err.contains("withdrawn"), "{err}");
    });
}

#[tokio::test]
async fn a_state_named_in_a_collective_measure_takes_part_only_by_joining_it_itself() {
    on_both!(|db| {
        let store = &db.store;
        let (incident, _) = store.report_incident(IncidentRecord::new(wiper_incident()), &france()).await.unwrap();
        register(store, &france(), 1).await;
        register(store, &germany(), 2).await;
        register(store, &party("state:PL"), 3).await;
        let refused = |e: pacta_store::StoreError| e.to_string();
        let proposal = Measure { with: vec![germany()], rung: "collective_measures".into(), ..countermeasure(incident, &france(), state("RU")) };

        // A proposal arrives with its partners invited, never already joined.
        let act = |p: &PartyId| PartnerAct { party: p.clone(), at: now(), note: String::new() };
        let signed_up = Measure { joined: vec![act(&germany())], ..proposal.clone() };
        let err = refused(store.propose_measure(&france(), signed_up).await.unwrap_err());
        assert!(err.contains("joined") && err.contains("by its own act"), "{err}");
        let id = store.propose_measure(&france(), proposal).await.unwrap().measure.id;
        let size = store.log_size().await.unwrap();

        // France cannot sign Germany up, nor sign it out, however the change is put to the store.
        let err = refused(store.move_measure(&france(), id, |m| Ok(Measure { joined: vec![act(&germany())], ..m.clone() })).await.unwrap_err());
        assert!(err.contains("by its own act"), "{err}");
        let err = refused(store.move_measure(&france(), id, |m| Ok(Measure { left: vec![act(&germany())], ..m.clone() })).await.unwrap_err());
        assert!(err.contains("by its own act"), "{err}");
        // Poland was not invited.
        let err = refused(store.move_measure(&party("state:PL"), id, |m| pacta_ladder::join(m, &party("state:PL"), "", &now())).await.unwrap_err());
        assert!(err.contains("only a state invited by state:FR joins this measure"), "{err}");
        assert_eq!(store.log_size().await.unwrap(), size, "refusals write nothing");

        // Germany joins, by its own act and in its own words, on the log.
        let joined = store.move_measure(&germany(), id, |m| pacta_ladder::join(m, &germany(), "Under ILC art. 54.", &now())).await.unwrap();
        assert_eq!(joined.measure.partners(), vec![&germany()]);
        let entry = store.log_entries(joined.log_index.unwrap(), joined.log_index.unwrap() + 1).await.unwrap().remove(0);
        assert_eq!(entry.kind, "measure.joined");
        let public = String::from_utf8_lossy(&entry.entry);
        assert!(public.contains("\"kind\":\"sealed\"") && !public.contains("state:DE"), "who joined an AMBER measure is not for the public log: {public}");
        assert_eq!(store.get_measure(id, Some(&germany())).await.unwrap().unwrap().measure.joined[0].note, "Under ILC art. 54.");
        // ... and leaves it: its own act again.
        let left = store.move_measure(&germany(), id, |m| pacta_ladder::leave(m, &germany(), "", &now())).await.unwrap();
        assert_eq!(store.log_entries(left.log_index.unwrap(), left.log_index.unwrap() + 1).await.unwrap()[0].kind, "measure.left");
        assert!(left.measure.partners().is_empty());

        // Russia, the target, never sees a plan withdrawn before its notification.
        store.move_measure(&france(), id, |m| pacta_ladder::transition(m, Ladder::builtin().rung("collective_measures").unwrap(), &Situation::default(), &france(), MeasureState::Lifted, "withdrawn", &now())).await.unwrap();
        assert!(store.get_measure(id, Some(&party("state:RU"))).await.unwrap().is_none());
    });
}

/// France, Germany, Poland and Russia registered; a wiper incident reported by France; and
/// France's private protest against Russia, Germany and Poland invited.
async fn france_proposes_a_protest_with_germany_and_poland(store: &Store) -> (IncidentId, ResponseId) {
    let (incident, _) = store.report_incident(IncidentRecord::new(wiper_incident()), &france()).await.unwrap();
    for (i, p) in ["state:FR", "state:DE", "state:PL", "state:RU"].iter().enumerate() {
        register(store, &party(p), i as u8 + 1).await;
    }
    let protest = Measure { with: vec![germany(), party("state:PL")], rung: "private_protest".into(), ..countermeasure(incident, &france(), state("RU")) };
    (incident, store.propose_measure(&france(), protest).await.unwrap().measure.id)
}

#[tokio::test]
async fn the_target_reads_a_joint_measure_as_notified_and_only_its_proposer_notifies_it() {
    on_both!(|db| {
        let store = &db.store;
        let (pl, ru) = (party("state:PL"), party("state:RU"));
        let (incident, id) = france_proposes_a_protest_with_germany_and_poland(store).await;
        store.move_measure(&germany(), id, |m| pacta_ladder::join(m, &germany(), "", &now())).await.unwrap();
        store.move_measure(&pl, id, |m| pacta_ladder::leave(m, &pl, "Poland declines: the evidence is thin.", &now())).await.unwrap();

        // Germany, a partner, cannot notify France's measure through the forum, and a
        // state that may not read it is told no more than about an unknown measure.
        for sender in [germany(), party("state:PL")] {
            let mut note = pacta_forum::consult::Draft::new(pacta_forum::consult::Template::ResponseNotification, sender.clone(), ru.clone(), "Notification");
            note.incident = Some(incident);
            note.measure = Some(id);
            note.offer_to_negotiate = true;
            let err = store.send_consultation(&sender, note, chrono::Utc::now()).await.unwrap_err().to_string();
            assert!(err.contains("is not a measure of the sender's"), "{err}");
        }

        let rung = Ladder::builtin().rung("private_protest").unwrap();
        store.move_measure(&france(), id, |m| pacta_ladder::transition(m, rung, &Situation::default(), &france(), MeasureState::Notified, "", &now())).await.unwrap();
        // Russia reads it as notified: in the names of France and Germany, not who declined or why.
        let seen = store.get_measure(id, Some(&ru)).await.unwrap().unwrap().measure;
        assert_eq!((seen.with, seen.left.len()), (vec![germany()], 0));
        let whole = store.get_measure(id, Some(&pl)).await.unwrap().unwrap().measure;
        assert_eq!(whole.left[0].note, "Poland declines: the evidence is thin.", "the states invited read it whole");

        // Germany then leaves. Russia still reads the measure as notified, and is not
        // pointed at the log entry of a step it may not learn of; France is.
        let left = store.move_measure(&germany(), id, |m| pacta_ladder::leave(m, &germany(), "Germany leaves.", &now())).await.unwrap();
        assert_eq!(store.get_measure(id, Some(&ru)).await.unwrap().unwrap().log_index, None);
        assert_eq!(store.measures_of(incident, Some(&ru)).await.unwrap()[0].log_index, None);
        assert_eq!(store.workflow_of(incident, Some(&ru)).await.unwrap().measures[0].log_index, None);
        assert_eq!(store.get_measure(id, Some(&france())).await.unwrap().unwrap().log_index, left.log_index);
        assert!(left.log_index.is_some());
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_the_registry_has_not_yet_seen_can_attribute_as_soon_as_the_secretariat_gives_it_an_account() {
    on_both!(|db| {
        let store = &db.store;
        let (incident, _) = store.report_incident(IncidentRecord::new(wiper_incident()), &france()).await.unwrap();
        let nz = party("state:NZ");
        let mut by_nz = claim_against_russia(incident, &nz, Confidence::Likely);
        let err = store.make_claim(&nz, by_nz.clone(), vec![]).await.unwrap_err().to_string();
        assert!(err.contains("unknown party"), "{err}");

        // The secretariat adds New Zealand's account: New Zealand is registered with it,
        // and that registration is an entry of its own in the log.
        let size = store.log_size().await.unwrap();
        let secretariat = party("org:secretariat");
        store.create_account(&secretariat, "nz-mfat", "party", Some(&nz), None, None).await.unwrap();
        let entries = store.log_entries(size, size + 1).await.unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].kind, "party.registered");
        let body = String::from_utf8(entries[0].entry.clone()).unwrap();
        assert!(body.contains("state:NZ") && body.contains("org:secretariat"), "{body}");
        // A second account for the same state registers nothing again; a taken name is
        // refused before anything is written.
        store.create_account(&secretariat, "nz-ncsc", "party", Some(&nz), None, None).await.unwrap();
        let err = store.create_account(&secretariat, "nz-ncsc", "party", Some(&party("state:AU")), None, None).await.unwrap_err().to_string();
        assert!(err.contains("name") && err.contains("exists"), "{err}");
        assert_eq!(store.log_size().await.unwrap(), size + 1);
        let err = store.make_claim(&party("state:AU"), claim_against_russia(incident, &party("state:AU"), Confidence::Likely), vec![]).await.unwrap_err().to_string();
        assert!(err.contains("unknown party"), "the refused account registered no one: {err}");

        by_nz.id = AttributionId::new();
        let made = store.make_claim(&nz, by_nz, vec![]).await.unwrap();
        assert_eq!(made.version.version, 1);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_claims_are_seen_only_by_their_parties_and_logged_as_commitments() {
    on_both!(|db| {
        let store = &db.store;
        let (incident, _) = store.report_incident(IncidentRecord::new(wiper_incident()), &france()).await.unwrap();
        register(store, &france(), 1).await;
        register(store, &germany(), 2).await;
        register(store, &lab(), 3).await;
        let before = store.get_incident(&incident.to_string()).await.unwrap().unwrap();
        let mut private = claim_against_russia(incident, &france(), Confidence::VeryLikely);
        private.visibility = Visibility::Private { shared_with: vec![germany()] };
        let made = store.make_claim(&france(), private, vec![]).await.unwrap();
        // The incident's public entry is still its record's: the public must not learn that
        // something was just said about it. What its assessment rests on did move.
        let after = store.get_incident(&incident.to_string()).await.unwrap().unwrap();
        assert_eq!(after.log_index, before.log_index, "a private claim does not move the incident's public entry");
        assert_eq!(after.facts_index, made.log_index, "but the assessment's basis moves, so a stored one goes stale");
        assert_eq!(store.claims_of(incident, Some(&germany())).await.unwrap().len(), 1);
        assert!(store.claims_of(incident, Some(&lab())).await.unwrap().is_empty());
        assert!(store.claims_of(incident, None).await.unwrap().is_empty());
        let entry = String::from_utf8(store.log_entries(made.log_index, made.log_index + 1).await.unwrap()[0].entry.clone()).unwrap();
        assert!(!entry.contains("RU") && !entry.contains("Sandworm") && entry.contains("\"tlp\":\"AMBER\""), "{entry}");
        // The lab cannot contest what it cannot see.
        let err = store.take_stance(&lab(), stance(made.version.claim(), &lab(), StanceKind::Contest, None, vec![], "No.")).await.unwrap_err().to_string();
        assert!(err.contains("unknown claim"), "{err}");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_attributions_are_version_one_claims_with_a_computed_status() {
    on_both!(|db| {
        let store = &db.store;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/eurepoc-1.1-even");
        let mut records = pacta_import::eurepoc::read_dir(&dir).unwrap().records;
        records.retain(|r| r.attributions.iter().any(|a| a.actor_state.is_some()));
        records.truncate(20);
        store.import_records(records.clone(), &party("org:secretariat"), |_| {}).await.unwrap();
        let r = &records[0];
        let stored = store.get_incident(&format!("eurepoc:{}", r.incident.origin.as_ref().unwrap().record_id)).await.unwrap().unwrap();
        let claims = store.claims_of(stored.record.incident.id, None).await.unwrap();
        assert!(!claims.is_empty());
        assert!(claims.iter().all(|c| c.imported && c.version.version == 1 && c.log_index == stored.log_index));
        let d = Dossier { incident: Some(stored.record.incident.clone()), claims: claims.into_iter().map(|c| c.version).collect(), ..Default::default() };
        assert_ne!(d.status().status, AttributionStatus::None, "an imported claim naming a state gives a status");

        // An imported claim may be filed under its attributor's country. No state, not even
        // the one it accuses, withdraws or rewrites the source's record; nothing is written.
        let a = &records[0].attributions[0];
        let attributor = a.attributors.iter().find(|p| p.state().is_some()).cloned().unwrap_or_else(|| party("state:RU"));
        register(store, &attributor, 7).await;
        let size = store.log_size().await.unwrap();
        let err = store.withdraw_claim(&attributor, a.id, "we never said so").await.unwrap_err().to_string();
        assert!(err.contains("imported from a data set"), "{err}");
        let err = store.amend_claim(&attributor, a.id, a.clone(), vec![], "rewritten").await.unwrap_err().to_string();
        assert!(err.contains("imported from a data set"), "{err}");
        assert_eq!(store.log_size().await.unwrap(), size, "nothing was written");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incidents_workflow_read_in_one_go_shows_each_viewer_what_the_single_reads_show() {
    on_both!(|db| {
        let store = &db.store;
        let dir = Dir::new("workflow");
        let vault = Vault::open(dir.0.join("vault")).unwrap();
        let russia = party("state:RU");
        let fr_key = register(store, &france(), 1).await;
        register(store, &germany(), 2).await;
        let lab_key = register(store, &lab(), 3).await;
        register(store, &russia, 4).await;

        // A French wiper case with everything the incident page shows: a public claim and a
        // private one shared with Germany, stances on each, two requests to Russia (one
        // AMBER, one CLEAR), a call to comply, an AMBER countermeasure, and artefacts.
        let (incident, _) = store.report_incident(IncidentRecord::new(wiper_incident()), &france()).await.unwrap();
        let (sample, _) = artefact(store, &vault, &france(), &fr_key, incident, b"wiper sample").await;
        artefact(store, &vault, &lab(), &lab_key, incident, b"lab notes").await;
        let public = store.make_claim(&france(), claim_against_russia(incident, &france(), Confidence::Likely), vec![sample]).await.unwrap().version.claim();
        let mut private = claim_against_russia(incident, &france(), Confidence::VeryLikely);
        private.visibility = Visibility::Private { shared_with: vec![germany()] };
        let private = store.make_claim(&france(), private, vec![]).await.unwrap().version.claim();
        store.take_stance(&lab(), stance(public, &lab(), StanceKind::Contest, None, vec![], "Shared infrastructure.")).await.unwrap();
        store.take_stance(&germany(), stance(private, &germany(), StanceKind::Endorse, Some(Confidence::VeryLikely), vec![], "Our sensors agree.")).await.unwrap();
        let at = chrono::Utc::now() - chrono::Duration::hours(1);
        for tlp in [Tlp::Amber, Tlp::Clear] {
            let mut draft = pacta_forum::consult::Draft::new(pacta_forum::consult::Template::RequestToStop, france(), russia.clone(), "Stop the wiper campaign");
            draft.incident = Some(incident);
            draft.tlp = tlp;
            store.send_consultation(&france(), draft, at).await.unwrap();
        }
        let call = ComplianceEvent { id: ComplianceEventId::new(), incident, kind: ComplianceKind::CallToComply, by: france(), responsible: state("RU"), date: None, note: "Cease.".into() };
        store.record_compliance(&france(), call).await.unwrap();
        store.propose_measure(&france(), countermeasure(incident, &france(), state("RU"))).await.unwrap();

        for viewer in [None, Some(france()), Some(germany()), Some(lab()), Some(russia.clone())] {
            let v = viewer.as_ref();
            let w = store.workflow_of(incident, v).await.unwrap();
            let who = format!("{viewer:?}");
            assert_eq!(w.claims, store.claims_of(incident, v).await.unwrap(), "{who}");
            assert_eq!(w.stances, store.stances_of(incident, v).await.unwrap(), "{who}");
            assert_eq!(w.consultations, store.consultations(Some(incident), v).await.unwrap(), "{who}");
            assert_eq!(w.compliance, store.compliance_of(incident).await.unwrap(), "{who}");
            assert_eq!(w.measures, store.measures_of(incident, v).await.unwrap(), "{who}");
            assert_eq!(w.evidence, store.list_evidence(Some(incident)).await.unwrap(), "{who}");
            let mut named: Vec<PartyId> = w.claims.iter().flat_map(|c| c.version.attribution.attributors.clone()).collect();
            named.extend(w.stances.iter().map(|s| s.stance.party.clone()));
            assert_eq!(w.parties, store.parties_named(&named).await.unwrap(), "{who}");
        }
        // What each one sees differs, so the comparison above is not between empty lists.
        let count = |w: &pacta_store::IncidentWorkflow| (w.claims.len(), w.stances.len(), w.consultations.len(), w.measures.len(), w.parties.len());
        assert_eq!(count(&store.workflow_of(incident, Some(&france())).await.unwrap()), (2, 2, 2, 1, 3));
        assert_eq!(count(&store.workflow_of(incident, Some(&germany())).await.unwrap()), (2, 2, 1, 0, 3));
        assert_eq!(count(&store.workflow_of(incident, Some(&lab())).await.unwrap()), (1, 1, 1, 0, 2));
        assert_eq!(count(&store.workflow_of(incident, None).await.unwrap()), (1, 1, 1, 0, 2));
        let w = store.workflow_of(incident, None).await.unwrap();
        assert_eq!((w.compliance.len(), w.evidence.len()), (1, 2), "compliance and evidence are the caller's to filter");

        // An incident the registry does not hold is refused by name.
        let unknown = IncidentId::new();
        let err = store.workflow_of(unknown, None).await.unwrap_err().to_string();
        assert!(err.contains("unknown incident") && err.contains(&unknown.to_string()), "{err}");
    });
}

#[tokio::test]
async fn a_proposer_withdraws_an_unanswered_invitation_itself_and_the_target_never_learns_of_it() {
    on_both!(|db| {
        let store = &db.store;
        let (pl, ru) = (party("state:PL"), party("state:RU"));
        let refused = |e: pacta_store::StoreError| e.to_string();
        let (_, id) = france_proposes_a_protest_with_germany_and_poland(store).await;
        store.move_measure(&germany(), id, |m| pacta_ladder::join(m, &germany(), "", &now())).await.unwrap();
        let size = store.log_size().await.unwrap();

        // Germany may not withdraw Poland's invitation, however the change is put to the store;
        // nor may France withdraw two at once, or rewrite the history with it.
        let act = |p: &PartyId, note: &str| PartnerAct { party: p.clone(), at: now(), note: note.into() };
        let err = refused(store.move_measure(&germany(), id, |m| Ok(Measure { withdrawn: vec![act(&pl, "x")], ..m.clone() })).await.unwrap_err());
        assert!(err.contains("withdrawn") && err.contains("only its own invitations"), "{err}");
        let err = refused(store.move_measure(&france(), id, |m| Ok(Measure { withdrawn: vec![act(&pl, "x")], description: "changed".into(), ..m.clone() })).await.unwrap_err());
        assert!(err.contains("changes nothing else"), "{err}");
        let err = refused(store.move_measure(&france(), id, |m| Ok(Measure { withdrawn: vec![act(&germany(), "x")], ..m.clone() })).await.unwrap_err());
        assert!(err.contains("withdrawn[0]") && err.contains("only an unanswered invitation"), "{err}");
        assert_eq!(store.log_size().await.unwrap(), size, "refusals write nothing");

        // France withdraws Poland's invitation, with its reason, on the log.
        let moved = store.move_measure(&france(), id, |m| pacta_ladder::withdraw_invitation(m, &france(), &pl, "No answer in ten days.", &now())).await.unwrap();
        assert_eq!(store.log_entries(moved.log_index.unwrap(), moved.log_index.unwrap() + 1).await.unwrap()[0].kind, "measure.invitation_withdrawn");
        assert!(moved.measure.pending().is_empty());
        // Poland still reads the measure it was shown, and why it was dropped.
        let seen_by_poland = store.get_measure(id, Some(&pl)).await.unwrap().unwrap().measure;
        assert_eq!(seen_by_poland.withdrawn[0].note, "No answer in ten days.");
        let err = refused(store.move_measure(&pl, id, |m| pacta_ladder::join(m, &pl, "", &now())).await.unwrap_err());
        assert!(err.contains("withdrew its invitation"), "{err}");

        // Notified in the names of France and Germany, Russia reads no trace of Poland.
        let rung = Ladder::builtin().rung("private_protest").unwrap();
        store.move_measure(&france(), id, |m| pacta_ladder::transition(m, rung, &Situation::default(), &france(), MeasureState::Notified, "", &now())).await.unwrap();
        let seen = store.get_measure(id, Some(&ru)).await.unwrap().unwrap().measure;
        assert_eq!((seen.with, seen.withdrawn.len()), (vec![germany()], 0));
        // Germany sees that Poland is no longer invited, but not France's reason.
        let seen = store.get_measure(id, Some(&germany())).await.unwrap().unwrap().measure;
        assert_eq!((seen.withdrawn[0].party.clone(), seen.withdrawn[0].note.as_str(), seen.state), (pl.clone(), "", MeasureState::Notified));
        // Poland, out of it, reads the measure as it stood when it was uninvited: not the
        // notification that followed.
        let seen = store.get_measure(id, Some(&pl)).await.unwrap().unwrap().measure;
        assert_eq!((seen.state, seen.history.len(), seen.withdrawn[0].note.as_str()), (MeasureState::Proposed, 1, "No answer in ten days."));

        // Germany then leaves. Its entry commits to the measure as Germany reads it, and
        // Germany may have that entry's opening: it must not carry France's reason.
        let left = store.move_measure(&germany(), id, |m| pacta_ladder::leave(m, &germany(), "Germany steps back.", &now())).await.unwrap();
        let index = left.log_index.unwrap();
        let opening = store.opening(index).await.unwrap().expect("a sealed step keeps its opening");
        assert_eq!(opening.actor, "state:DE");
        assert!(opening.record.contains("Germany steps back.") && !opening.record.contains("No answer in ten days."), "{}", opening.record);
        let entry = store.log_entries(index, index + 1).await.unwrap().remove(0);
        assert_eq!(opening.check(&entry.entry), Ok(()));
    });
}
