//! The forum's stories, each run on SQLite and on PostgreSQL: a communication check with
//! one party late; a request to stop that goes unanswered and changes the due-diligence
//! assessment; a dispute that goes through mediation to an arbitral ruling with
//! compensation, compliance, and the lifting of the claimant's countermeasure. The store
//! records; `pacta-forum`, `pacta-norms` and `pacta-ladder` decide, composed as the CLI does.

use chrono::{DateTime, Duration, Utc};
use pacta_core::*;
use pacta_forum::case::{Action, FilingKind, Stage};
use pacta_forum::consult::{AnswerKind, Draft, Template};
use pacta_forum::contact::{Channel, ChannelKind, Contact, ContactRole, reachability};
use pacta_forum::panel::{Arbitrator, PanelRole};
use pacta_forum::precedent::{self, Outcome, Query};
use pacta_forum::ruling::{Amount, RemedyKind, Remedy, Ruling, RulingFinding};
use pacta_ladder::{Dossier, Ladder, Situation};
use pacta_ledger::note::NoteSigner;
use pacta_ledger::tree::MemoryTree;
use pacta_norms::{AssessOptions, Status, extract};
use pacta_store::Store;
use pacta_store::assessments::{NewAssessment, Versions, Which};
use pacta_store::evidence::NewEvidence;
use pacta_store::forum::cases::NewCase;
use pacta_store::forum::consult::Reply;
use pacta_vault::Vault;
use std::collections::BTreeSet;
use uuid::Uuid;

mod support;
use support::*;

fn fr() -> PartyId {
    party("state:FR")
}
fn ru() -> PartyId {
    party("state:RU")
}
fn de() -> PartyId {
    party("state:DE")
}
fn secretariat() -> PartyId {
    party("org:secretariat")
}

fn contact(p: &PartyId, role: ContactRole, name: &str) -> Contact {
    Contact {
        id: Uuid::now_v7(),
        party: p.clone(),
        role,
        name: name.into(),
        channels: vec![Channel { kind: ChannelKind::Email, address: format!("{}@poc.example", name.to_lowercase().replace(' ', "-")) }],
        hours: "24/7".into(),
    }
}

/// The refusal's text, which must name the rule.
fn refused<T: std::fmt::Debug>(r: Result<T, pacta_store::StoreError>) -> String {
    r.unwrap_err().to_string()
}

/// Every `(what, index)` is in the log, proved included in the current tree, and has `kind`.
async fn assert_logged(store: &Store, steps: &[(&str, u64, &str)]) {
    let size = store.log_size().await.unwrap();
    let tree = MemoryTree::from_leaf_hashes(store.log_leaf_hashes(0, size).await.unwrap());
    let entries = store.log_entries(0, size).await.unwrap();
    for (what, index, kind) in steps {
        let e = &entries[*index as usize];
        assert_eq!(&e.kind, kind, "{what}");
        let proof = tree.inclusion_proof(*index, size).unwrap();
        pacta_ledger::tree::verify_inclusion(&e.leaf_hash, *index, size, &proof, &tree.root()).unwrap();
    }
}

async fn entry(store: &Store, index: u64) -> String {
    String::from_utf8(store.log_entries(index, index + 1).await.unwrap()[0].entry.clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_communication_check_measures_each_partys_reachability_and_one_party_is_late() {
    on_both!(|db| {
        let store = &db.store;
        // The secretariat is not registered: it is on its first act.
        for (i, p) in [fr(), de(), ru()].iter().enumerate() {
            register(store, p, i as u8 + 1).await;
        }
        let mut steps = Vec::new();
        let fr_dip = store.name_contact(&fr(), contact(&fr(), ContactRole::Diplomatic, "Cyber desk")).await.unwrap();
        let fr_cert = store.name_contact(&fr(), contact(&fr(), ContactRole::Technical, "CERT-FR")).await.unwrap();
        let de_cert = store.name_contact(&de(), contact(&de(), ContactRole::Technical, "CERT-Bund")).await.unwrap();
        let ru_cert = store.name_contact(&ru(), contact(&ru(), ContactRole::Technical, "NCCCI")).await.unwrap();
        steps.push(("contact named", fr_dip.log_index, "contact.named"));
        assert!(refused(store.name_contact(&de(), contact(&fr(), ContactRole::Technical, "Impostor")).await).contains("its own contacts"));

        // The secretariat checks every contact; two hours to acknowledge.
        let t0 = Utc::now() - Duration::days(10);
        // A state does not schedule checks of others: their misses would count against them.
        assert!(refused(store.schedule_ping(&fr(), &[ru()], t0, Duration::minutes(5)).await).contains("scheduled by the secretariat"));
        let ping = store.schedule_ping(&secretariat(), &[], t0, Duration::hours(2)).await.unwrap();
        let registered = entry(store, ping.log_index - 1).await;
        assert!(registered.contains("\"party\":\"org:secretariat\""), "registered with its own entry: {registered}");
        steps.push(("check scheduled", ping.log_index, "ping.scheduled"));
        assert_eq!(ping.test.targets.len(), 4);
        let id = ping.test.id;
        for (p, c, after) in [(fr(), &fr_dip, Duration::minutes(4)), (fr(), &fr_cert, Duration::minutes(9)), (ru(), &ru_cert, Duration::minutes(30)), (de(), &de_cert, Duration::hours(5))] {
            let acked = store.acknowledge_ping(&p, id, c.contact.id, t0 + after).await.unwrap();
            steps.push(("acknowledged", acked.log_index, "ping.acknowledged"));
        }
        // Germany's acknowledgement came three hours after the deadline, and its entry says so.
        let last = steps.last().unwrap().1;
        let e = entry(store, last).await;
        assert!(e.contains("\"tlp\":\"GREEN\"") && !e.contains("CERT-Bund"), "contact details are not for the public log: {e}");
        // Bad input: acknowledging twice, or for another party's contact.
        assert!(refused(store.acknowledge_ping(&de(), id, de_cert.contact.id, t0 + Duration::hours(6)).await).contains("already acknowledged"));
        assert!(refused(store.acknowledge_ping(&de(), id, fr_cert.contact.id, t0).await).contains("only state:FR acknowledges"));
        assert!(refused(store.schedule_ping(&secretariat(), &[], Utc::now() + Duration::days(1), Duration::hours(2)).await).contains("not dated in the future"));

        // A second check a week later: Russia stays silent.
        let t1 = t0 + Duration::days(7);
        let second = store.schedule_ping(&secretariat(), &[fr(), ru()], t1, Duration::hours(2)).await.unwrap();
        assert_eq!(second.test.targets.len(), 3);
        store.acknowledge_ping(&fr(), second.test.id, fr_dip.contact.id, t1 + Duration::minutes(20)).await.unwrap();
        store.acknowledge_ping(&fr(), second.test.id, fr_cert.contact.id, t1 + Duration::minutes(25)).await.unwrap();

        let tests: Vec<_> = store.ping_tests().await.unwrap().into_iter().map(|p| p.test).collect();
        let r = reachability(&tests, Utc::now());
        let of = |p: &str| r.iter().find(|x| x.party == p).unwrap().clone();
        let (f, d, rr) = (of("state:FR"), of("state:DE"), of("state:RU"));
        assert_eq!((f.checks, f.on_time, f.percent_on_time()), (2, 2, Some(100)));
        assert_eq!(f.series.iter().map(|(_, s)| *s).collect::<Vec<_>>(), vec![Some(9 * 60), Some(25 * 60)], "the slowest contact counts");
        assert_eq!((d.checks, d.late, d.median_seconds), (1, 1, Some(5 * 3600)));
        assert_eq!((rr.checks, rr.on_time, rr.missed, rr.percent_on_time()), (2, 1, 1, Some(50)));

        // A withdrawn contact is no longer checked.
        steps.push(("withdrawn", store.withdraw_contact(&fr(), fr_dip.contact.id).await.unwrap(), "contact.withdrawn"));
        assert_eq!(store.contacts(Some(&fr()), false).await.unwrap().len(), 1);
        assert_logged(store, &steps).await;
    });
}

/// Disruption of French energy networks by a group operating from Russian territory.
fn grid_incident() -> Incident {
    let mut i = Incident::new("Disruption of a French grid operator", Tlp::Clear);
    i.operation_types = vec![OperationType::Disruption, OperationType::Hijacking];
    i.targets.push(Target { state: Some(state("FR")), place: None, sector: Sector::Energy, entity: Some("grid operator".into()) });
    i.effects.disruption = Some(Disruption::LongTerm);
    i.context.armed_conflict = Some(false);
    i.context.consent = Some(false);
    i
}

fn claim(incident: IncidentId, by: &PartyId, category: ActorCategory, confidence: Confidence) -> Attribution {
    Attribution {
        id: AttributionId::new(),
        incident,
        attributors: vec![by.clone()],
        attributor_label: None,
        actor_name: Some("GridBreakers".into()),
        actor_state: Some(state("RU")),
        actor_category: category,
        basis: AttributionBasis::TechnicalReport,
        confidence: Some(confidence),
        visibility: Visibility::Public,
        date: None,
        origin_ref: None,
    }
}

/// What `pacta assess` does for stale incidents: assess each with its consultation facts, store.
async fn assess_stale(store: &Store) -> Vec<(IncidentId, pacta_norms::Assessment)> {
    let law = pacta_norms::builtin();
    let v = Versions { instruments: law.version(), engine: pacta_norms::ENGINE_VERSION };
    let mut out = Vec::new();
    let mut rows = Vec::new();
    for input in store.assessment_inputs(Which::Stale(v)).await.unwrap() {
        let case = extract::case(&input.incident, &input.attributions, None, &input.facts).unwrap();
        let a = law.assess(&case, AssessOptions { trace: true });
        rows.push(NewAssessment { incident: input.incident.id, perspective: None, log_index: input.log_index, body: serde_json::to_string(&a).unwrap() });
        out.push((input.incident.id, a));
    }
    store.store_assessments(v, &rows).await.unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_about_an_amber_incident_is_marked_amber_whatever_its_sender_chose() {
    on_both!(|db| {
        let store = &db.store;
        register(store, &fr(), 1).await;
        register(store, &ru(), 2).await;
        let mut amber = grid_incident();
        amber.tlp = Tlp::Amber;
        let (incident, _) = store.report_incident(IncidentRecord::new(amber), &fr()).await.unwrap();
        let mut draft = Draft::new(Template::RequestToStop, fr(), ru(), "Stop it");
        draft.incident = Some(incident);
        draft.tlp = Tlp::Clear;
        let sent = store.send_consultation(&fr(), draft, Utc::now()).await.unwrap();
        assert_eq!(sent.consultation.request.tlp, Tlp::Amber, "raised to the incident's marking");
        assert!(store.consultations(None, None).await.unwrap().is_empty(), "the public does not see a request naming an AMBER incident");
        assert_eq!(store.consultations(None, Some(&ru())).await.unwrap().len(), 1, "its recipient does");
    });
}

/// A RED incident is read by named individuals only, an AMBER+STRICT one by named
/// organisations. A request or a case about it would be raised to its marking and read by
/// neither party's account: both are refused, naming the incident, and nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_or_a_case_about_a_red_incident_is_refused_since_no_party_could_read_it() {
    on_both!(|db| {
        let store = &db.store;
        register(store, &fr(), 1).await;
        register(store, &ru(), 2).await;
        let mut red = grid_incident();
        red.tlp = Tlp::Red;
        let mut strict = grid_incident();
        strict.tlp = Tlp::AmberStrict;
        let (strict, _) = store.report_incident(IncidentRecord::new(strict), &fr()).await.unwrap();
        let (incident, _) = store.report_incident(IncidentRecord::new(red), &fr()).await.unwrap();
        let before = store.log_size().await.unwrap();
        let mut draft = Draft::new(Template::RequestToStop, fr(), ru(), "Stop it");
        draft.incident = Some(incident);
        let e = refused(store.send_consultation(&fr(), draft, Utc::now()).await);
        assert!(e.contains(&incident.to_string()) && e.contains("is TLP:RED"), "{e}");
        let new = NewCase { claimant: fr(), respondent: ru(), title: "France v. Russia".into(), incidents: vec![incident], claim: "Russia's organs did it.".into(), evidence: vec![], tlp: Tlp::Amber };
        let e = refused(store.file_case(&fr(), new.clone(), Utc::now()).await);
        assert!(e.contains(&incident.to_string()) && e.contains("is TLP:RED"), "{e}");
        let e = refused(store.file_case(&fr(), NewCase { incidents: vec![strict], ..new }, Utc::now()).await);
        assert!(e.contains(&strict.to_string()) && e.contains("is TLP:AMBER+STRICT") && e.contains("Mark it AMBER"), "{e}");
        assert_eq!(store.log_size().await.unwrap(), before);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_to_stop_goes_unanswered_and_the_due_diligence_assessment_changes() {
    on_both!(|db| {
        let store = &db.store;
        register(store, &fr(), 1).await;
        register(store, &ru(), 2).await;
        register(store, &de(), 3).await;
        register(store, &secretariat(), 4).await;
        let mut steps = Vec::new();
        let (incident, _) = store.report_incident(IncidentRecord::new(grid_incident()), &fr()).await.unwrap();
        store.make_claim(&fr(), claim(incident, &fr(), ActorCategory::NonStateGroup, Confidence::VeryLikely), vec![]).await.unwrap();
        let ru_cert = store.name_contact(&ru(), contact(&ru(), ContactRole::Technical, "NCCCI")).await.unwrap();

        // Before any request: the due-diligence rule cannot tell, for want of knowledge.
        let first = assess_stale(store).await;
        let (_, a) = first.iter().find(|(i, _)| *i == incident).unwrap();
        let dd = a.finding("tallinn.r6.due-diligence").unwrap();
        assert_eq!(dd.status, Status::CannotTell);
        assert!(dd.missing.iter().any(|f| f.name() == "request_to_stop_unanswered"), "{dd:?}");
        assert!(assess_stale(store).await.is_empty(), "the stored assessment is fresh");
        let plan_for_france = |d: Dossier| pacta_ladder::plan(Ladder::builtin(), pacta_norms::builtin(), &d, &pacta_ladder::PlanRequest { by: state("FR"), against: Some(state("RU")), urgent: false }).unwrap();
        let before = plan_for_france(dossier(store, incident, &fr()).await);
        assert_ne!(before.responsibility, Some(pacta_norms::ResponsibilityBasis::DueDiligenceFailure));

        // France asks Russia, through Russia's CERT, to stop the activity: 72 hours to answer.
        let t0 = Utc::now() - Duration::days(5);
        let mut draft = Draft::new(Template::RequestToStop, fr(), ru(), "Stop the GridBreakers operation from your territory");
        draft.incident = Some(incident);
        draft.contact = Some(ru_cert.contact.id);
        draft.body = "Traffic to the grid operator comes from hosts in your territory.".into();
        let sent = store.send_consultation(&fr(), draft, t0).await.unwrap();
        steps.push(("request sent", sent.log_index, "consultation.sent"));
        let id = sent.consultation.request.id;
        assert_eq!(sent.consultation.request.answer_by, t0 + Duration::hours(72));
        assert!(refused(store.reply_consultation(&de(), id, Reply::Acknowledge, t0 + Duration::hours(1)).await).contains("unknown request"), "a third state does not even see an AMBER request");
        let ack = store.reply_consultation(&ru(), id, Reply::Acknowledge, t0 + Duration::hours(3)).await.unwrap();
        steps.push(("acknowledged", ack.log_index, "consultation.acknowledged"));

        // The sweep half-way reminds; past the deadline it records the silence.
        let reminded = store.sweep_consultations(&secretariat(), t0 + Duration::hours(40)).await.unwrap();
        assert_eq!(reminded.len(), 1);
        steps.push(("reminded", reminded[0].log_index, "consultation.reminded"));
        // Knowing of the activity is not yet failing to stop it.
        let (_, a) = assess_stale(store).await.into_iter().find(|(i, _)| *i == incident).expect("the acknowledgement made the assessment stale");
        assert_eq!(a.finding("tallinn.r6.due-diligence").unwrap().status, Status::CannotTell);
        let now = Utc::now();
        assert!(sent.consultation.status(now).is_overdue());
        let lapsed = store.sweep_consultations(&secretariat(), now).await.unwrap();
        assert_eq!(lapsed.len(), 1);
        steps.push(("lapsed", lapsed[0].log_index, "consultation.lapsed"));
        assert!(store.sweep_consultations(&secretariat(), now).await.unwrap().is_empty(), "a lapse is recorded once");
        let e = entry(store, lapsed[0].log_index).await;
        assert!(e.contains("\"tlp\":\"AMBER\""), "an AMBER request's silence is committed to, not published: {e}");

        // The silence is now a fact: the stored assessment is stale and the rule is breached.
        let second = assess_stale(store).await;
        let (_, a) = second.iter().find(|(i, _)| *i == incident).expect("the lapse made the assessment stale");
        assert_eq!(a.finding("tallinn.r6.due-diligence").unwrap().status, Status::Breached, "{:#?}", a.finding("tallinn.r6.due-diligence"));
        assert_eq!(a.finding("gge.13h").unwrap().status, Status::InconsistentWithNorm);
        assert_eq!(a.responsibility.basis, Some(pacta_norms::ResponsibilityBasis::DueDiligenceFailure), "{:?}", a.responsibility);
        // The response planner reads the same facts: Russia's responsibility now rests on
        // its failure of due diligence.
        let after = plan_for_france(dossier(store, incident, &fr()).await);
        assert_eq!(after.responsibility, Some(pacta_norms::ResponsibilityBasis::DueDiligenceFailure));
        // Germany, a third state, cannot read the AMBER request: its dossier holds no fact
        // drawn from it, which would reveal that the request was made.
        assert_eq!(dossier(store, incident, &fr()).await.facts.get("request_to_stop_unanswered"), Some(&true));
        assert!(dossier(store, incident, &de()).await.facts.is_empty(), "{:?}", dossier(store, incident, &de()).await.facts);
        let input = store.assessment_inputs(Which::One(incident)).await.unwrap().remove(0);
        assert_eq!(input.facts.get("request_to_stop_unanswered"), Some(&true));
        assert_eq!(input.facts.get("territorial_state_knew"), Some(&true));

        // A late answer ends the silence (and is marked late); the lapse stays on record.
        let late = store.reply_consultation(&ru(), id, Reply::Answer { answer: AnswerKind::Granted, text: "Hosting provider ordered to take the servers down.".into(), evidence: vec![] }, now).await.unwrap();
        steps.push(("answered late", late.log_index, "consultation.answered"));
        let e = entry(store, late.log_index).await;
        assert!(e.contains("\"kind\":\"sealed\"") && !e.contains("consultation.answered") && !e.contains("state:RU"), "an AMBER request's answer is sealed: {e}");
        assert_eq!(late.consultation.answer(), Some((AnswerKind::Granted, true)));
        assert!(refused(store.reply_consultation(&ru(), id, Reply::Acknowledge, now).await).contains("already been acknowledged"));
        let input = store.assessment_inputs(Which::One(incident)).await.unwrap().remove(0);
        assert_eq!(input.facts.get("request_to_stop_unanswered"), Some(&false));
        assert_logged(store, &steps).await;
    });
}

/// A wiper attack on the French finance ministry, attributed to a Russian state organ.
fn wiper_incident(title: &str) -> Incident {
    let mut i = Incident::new(title, Tlp::Clear);
    i.operation_types = vec![OperationType::Disruption, OperationType::Destruction];
    i.targets.push(Target { state: Some(state("FR")), place: None, sector: Sector::Government, entity: Some("finance ministry".into()) });
    i.effects.disruption = Some(Disruption::LongTerm);
    i.effects.data_theft = Some(DataTheft::None);
    i.context.armed_conflict = Some(false);
    i.context.consent = Some(false);
    i.alleged_actors.push(Actor { name: Some("Sandworm".into()), state: Some(state("RU")), category: ActorCategory::State });
    i
}


fn neutral(handle: &str, name: &str, nationality: &str, affiliations: &[&str], roles: &[PanelRole]) -> Arbitrator {
    Arbitrator { party: party(handle), name: name.into(), nationalities: vec![state(nationality)], affiliations: affiliations.iter().map(|a| party(a)).collect(), roles: roles.to_vec() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispute_goes_through_mediation_to_an_arbitral_ruling_and_compliance_lifts_the_countermeasure() {
    on_both!(|db| {
        let store = &db.store;
        let dir = Dir::new("case");
        let vault = Vault::open(dir.0.join("vault")).unwrap();
        let fr_key = register(store, &fr(), 1).await;
        let de_key = register(store, &de(), 2).await;
        register(store, &ru(), 3).await;
        register(store, &secretariat(), 4).await;
        let mut steps: Vec<(&str, u64, &str)> = Vec::new();
        let now = || Utc::now().to_rfc3339();

        // The incident, France's claim, Germany's endorsement with its own evidence.
        let (incident, _) = store.report_incident(IncidentRecord::new(wiper_incident("Wiper attack on the French finance ministry")), &fr()).await.unwrap();
        let vault = &vault;
        let held = |key: &NoteSigner, holder: PartyId, bytes: &'static [u8]| {
            let put = vault.put(bytes).unwrap();
            let new = NewEvidence { sha256: put.hash, size: put.size, name: "artefact.bin".into(), description: "collected for the case".into(), media_type: None, tlp: Tlp::Amber, incident: Some(incident.to_string()), received_from: None };
            let key = key.clone();
            async move { store.add_evidence(vault, &holder, &key, new).await.unwrap().0.id.0 }
        };
        let sample = held(&fr_key, fr(), b"wiper sample").await;
        let made = store.make_claim(&fr(), claim(incident, &fr(), ActorCategory::State, Confidence::VeryLikely), vec![sample]).await.unwrap();
        let de_logs = held(&de_key, de(), b"German sensor logs").await;
        let stance = Stance { id: StanceId::new(), claim: made.version.claim(), claim_version: 1, incident, party: de(), kind: StanceKind::Endorse, confidence: Some(Confidence::VeryLikely), evidence: vec![de_logs], reasoning: "Same implant, same infrastructure.".into(), date: None };
        store.take_stance(&de(), stance).await.unwrap();

        // France calls on Russia to comply and takes a countermeasure, notified with an
        // offer to negotiate through the forum.
        let call = ComplianceEvent { id: ComplianceEventId::new(), incident, kind: ComplianceKind::CallToComply, by: fr(), responsible: state("RU"), date: None, note: "Cease and make reparation.".into() };
        store.record_compliance(&fr(), call).await.unwrap();
        let measure = countermeasure(incident, &fr(), state("RU"));
        let d = dossier(store, incident, &fr()).await;
        let (rung, _) = pacta_ladder::check_proposal(Ladder::builtin(), pacta_norms::builtin(), &d, &measure).unwrap();
        let rung = rung.clone();
        let mid = store.propose_measure(&fr(), measure).await.unwrap().measure.id;
        let t0 = Utc::now() - Duration::days(400);
        let at = |days: i64| -> DateTime<Utc> { t0 + Duration::days(days) };
        let mut note = Draft::new(Template::ResponseNotification, fr(), ru(), "Notification of a countermeasure");
        note.incident = Some(incident);
        note.measure = Some(mid);
        note.offer_to_negotiate = true;
        let notified = store.send_consultation(&fr(), note, at(-5)).await.unwrap();
        steps.push(("countermeasure notified", notified.log_index, "consultation.sent"));
        let input = store.assessment_inputs(Which::One(incident)).await.unwrap().remove(0);
        assert_eq!(input.facts.get("notified_with_offer_to_negotiate"), Some(&true), "the notification discharges ILC art. 52(1)(b)");
        let situation = |d: &Dossier| Situation::of(&d.compliance, &fr(), state("RU"));
        let d = dossier(store, incident, &fr()).await;
        store.move_measure(&fr(), mid, |m| pacta_ladder::transition(m, &rung, &situation(&d), &fr(), MeasureState::Notified, "Notified through the forum.", &now())).await.unwrap();
        store.move_measure(&fr(), mid, |m| pacta_ladder::transition(m, &rung, &situation(&d), &fr(), MeasureState::Enacted, "", &now())).await.unwrap();

        // France files a case against Russia (AMBER), with its sample as evidence.
        let filed = store
            .file_case(&fr(), NewCase { claimant: fr(), respondent: ru(), title: "France v. Russia (finance ministry wiper)".into(), incidents: vec![incident], claim: "Russia's organs destroyed data at the finance ministry.".into(), evidence: vec![sample], tlp: Tlp::Amber }, at(0))
            .await
            .unwrap();
        steps.push(("filed", filed.log_index.unwrap(), "case.filed"));
        let case = filed.case.id;
        assert!(entry(store, filed.log_index.unwrap()).await.contains("\"tlp\":\"AMBER\""));
        assert!(store.get_case(case, Some(&de())).await.unwrap().is_none(), "a confidential case is not shown to others");
        let act = |who: PartyId, action: Action, when: DateTime<Utc>| async move { store.act_on_case(&who, case, action, when).await };
        let file = |kind: FilingKind, text: &str, evidence: Vec<Uuid>| Action::File { kind, text: text.into(), evidence };

        // Consultation: Russia answers in time; mediation cannot open before the period ends.
        let r = act(ru(), file(FilingKind::Response, "The operation was not conducted by Russian organs.", vec![]), at(10)).await.unwrap();
        steps.push(("response", r.log_index.unwrap(), "case.filing"));
        assert!(refused(act(ru(), file(FilingKind::Response, "Again.", vec![]), at(11)).await).contains("already filed"));
        let early = refused(act(fr(), Action::Escalate { to: Stage::Mediation, reason: "No progress.".into() }, at(20)).await);
        assert!(early.contains("consultation runs until"), "{early}");
        assert!(refused(act(fr(), Action::Escalate { to: Stage::Arbitration, reason: "Skip.".into() }, at(61)).await).contains("one step at a time"));
        // A party cannot act in a case it is not part of; one that may not read the (AMBER)
        // case is told no more than that it is unknown, not who its parties are.
        let outsider = refused(act(de(), file(FilingKind::Submission, "Germany supports France.", vec![]), at(30)).await);
        assert!(outsider.contains("unknown case") && !outsider.contains("state:RU"), "{outsider}");
        let m = act(fr(), Action::Escalate { to: Stage::Mediation, reason: "Consultation ended without agreement.".into() }, at(61)).await.unwrap();
        steps.push(("to mediation", m.log_index.unwrap(), "case.escalated"));

        // The roster; the secretariat appoints a mediator. France cannot appoint.
        for n in [
            neutral("org:arb-lindqvist", "Anna Lindqvist", "SE", &[], &[PanelRole::Mediator, PanelRole::Arbitrator]),
            neutral("org:arb-okafor", "Chidi Okafor", "NG", &[], &[PanelRole::Arbitrator]),
            neutral("org:arb-petrov", "Ivan Petrov", "RU", &[], &[PanelRole::Arbitrator]),
            neutral("org:arb-mueller", "Jonas Müller", "AT", &["state:DE"], &[PanelRole::Arbitrator]),
        ] {
            steps.push(("listed", store.list_neutral(&secretariat(), n).await.unwrap(), "roster.listed"));
        }
        let lindqvist = party("org:arb-lindqvist");
        let okafor = party("org:arb-okafor");
        assert!(refused(act(fr(), Action::Appoint { party: lindqvist.clone(), role: PanelRole::Mediator }, at(62)).await).contains("appointed by the secretariat"));
        let ap = act(secretariat(), Action::Appoint { party: lindqvist.clone(), role: PanelRole::Mediator }, at(62)).await.unwrap();
        steps.push(("mediator appointed", ap.log_index.unwrap(), "panel.appointed"));
        let h = act(lindqvist.clone(), Action::ScheduleHearing { when: at(80), place: "Geneva, Palais des Nations".into() }, at(63)).await.unwrap();
        steps.push(("meeting scheduled", h.log_index.unwrap(), "hearing.scheduled"));
        assert!(refused(act(fr(), Action::DeclareImpasse { reason: "x".into() }, at(90)).await).contains("only the mediator"));
        let imp = act(lindqvist.clone(), Action::DeclareImpasse { reason: "The parties disagree on attribution itself.".into() }, at(90)).await.unwrap();
        steps.push(("impasse", imp.log_index.unwrap(), "mediation.impasse"));
        let arb = act(fr(), Action::Escalate { to: Stage::Arbitration, reason: "Mediation failed.".into() }, at(91)).await.unwrap();
        steps.push(("to arbitration", arb.log_index.unwrap(), "case.escalated"));
        assert_eq!(arb.case.deadline("counter_memorial").unwrap().due, at(181));

        // Conflicted neutrals are refused, each naming its rule.
        let e = refused(act(secretariat(), Action::Appoint { party: party("org:arb-petrov"), role: PanelRole::Arbitrator }, at(92)).await);
        assert!(e.contains("panel.nationality") && e.contains("art. 6(7)"), "{e}");
        let e = refused(act(secretariat(), Action::Appoint { party: party("org:arb-mueller"), role: PanelRole::Arbitrator }, at(92)).await);
        assert!(e.contains("panel.prior_involvement") && e.contains("state:DE endorsed or contested"), "{e}");
        let e = refused(act(secretariat(), Action::Appoint { party: lindqvist.clone(), role: PanelRole::Arbitrator }, at(92)).await);
        assert!(e.contains("panel.mediator_as_arbitrator"), "{e}");
        // Only the secretariat appoints and keeps the roster: a neutral cannot seat itself
        // (and so read the case), nor list itself.
        let e = refused(act(okafor.clone(), Action::Appoint { party: okafor.clone(), role: PanelRole::Arbitrator }, at(92)).await);
        assert!(e.contains("unknown case") || e.contains("appointed by the secretariat"), "{e}");
        let e = refused(store.list_neutral(&okafor, neutral("org:arb-okafor", "Chidi Okafor", "NG", &[], &[PanelRole::Arbitrator])).await);
        assert!(e.contains("kept by the secretariat"), "{e}");
        let ap = act(secretariat(), Action::Appoint { party: okafor.clone(), role: PanelRole::Arbitrator }, at(92)).await.unwrap();
        steps.push(("arbitrator appointed", ap.log_index.unwrap(), "panel.appointed"));

        // Written pleadings. Russia's counter-memorial is late and refused; the tribunal
        // extends the deadline (logged), and the filing is then accepted.
        let memorial_evidence = held(&fr_key, fr(), b"forensic report for the tribunal").await;
        let mem = act(fr(), file(FilingKind::Memorial, "The wiper is attributable to Russia (ILC art. 4).", vec![memorial_evidence]), at(100)).await.unwrap();
        steps.push(("memorial", mem.log_index.unwrap(), "case.filing"));
        let im = act(okafor.clone(), Action::OrderInterimMeasure { text: "Refrain from further operations against the ministry's networks.".into(), addressed_to: ru(), due: None }, at(101)).await.unwrap();
        steps.push(("interim measure", im.log_index.unwrap(), "case.interim_measure"));
        let late = refused(act(ru(), file(FilingKind::CounterMemorial, "Denied.", vec![]), at(185)).await);
        assert!(late.contains("past its deadline") && late.contains("art. 25"), "{late}");
        assert!(refused(act(ru(), Action::Extend { deadline: "counter_memorial".into(), to: at(200), reason: "Please.".into() }, at(184)).await).contains("only the tribunal"));
        let ext = act(okafor.clone(), Action::Extend { deadline: "counter_memorial".into(), to: at(200), reason: "The respondent's counsel changed.".into() }, at(184)).await.unwrap();
        steps.push(("extended", ext.log_index.unwrap(), "deadline.extended"));
        let ext_entry = entry(store, ext.log_index.unwrap()).await;
        assert!(ext_entry.contains("\"kind\":\"sealed\"") && !ext_entry.contains("deadline.extended"), "who extended what, in a confidential case, is sealed: {ext_entry}");
        let cm = act(ru(), file(FilingKind::CounterMemorial, "The evidence does not meet the standard of proof.", vec![]), at(185)).await.unwrap();
        steps.push(("counter-memorial", cm.log_index.unwrap(), "case.filing"));
        let filing = cm.case.filings.last().unwrap();
        assert_eq!(filing.deadline, Some(("counter_memorial".into(), at(200))), "the filing records the deadline it met");
        let hearing = act(okafor.clone(), Action::ScheduleHearing { when: at(220), place: "The Hague, Peace Palace".into() }, at(190)).await.unwrap();
        steps.push(("hearing", hearing.log_index.unwrap(), "hearing.scheduled"));

        // The ruling: a breach, cessation, assurances and compensation, published.
        let ruling = Ruling {
            issued_by: okafor.clone(),
            concurring: vec![],
            at: at(250),
            summary: "The tribunal finds that the wiper operation against the finance ministry is attributable to Russia and violated French sovereignty.".into(),
            findings: vec![RulingFinding { incident: Some(incident), instrument: Some("tallinn-2".into()), rule: Some("tallinn.r4.sovereignty".into()), breached: true, text: "Destruction of data on government systems is a violation of sovereignty.".into() }],
            remedies: vec![
                Remedy { kind: RemedyKind::Cessation, description: "Cease all operations against French government networks.".into(), amount: None, due: at(280) },
                Remedy { kind: RemedyKind::Assurances, description: "Give written assurances of non-repetition.".into(), amount: None, due: at(280) },
                Remedy { kind: RemedyKind::Compensation, description: "Compensate the cost of restoring the ministry's systems.".into(), amount: Some(Amount { value: 2_000_000, currency: "EUR".into() }), due: at(340) },
            ],
            published: true,
        };
        assert!(refused(act(lindqvist.clone(), Action::Rule { ruling: Ruling { issued_by: lindqvist.clone(), ..ruling.clone() } }, at(250)).await).contains("only the tribunal"));
        let ruled = act(okafor.clone(), Action::Rule { ruling: ruling.clone() }, at(250)).await.unwrap();
        steps.push(("ruling", ruled.log_index.unwrap(), "ruling.issued"));
        assert_eq!(ruled.case.stage, Stage::Ruled);
        let e = entry(store, ruled.log_index.unwrap()).await;
        assert!(e.contains("2000000") && e.contains("tallinn.r4.sovereignty"), "a published ruling is inlined in the public log: {e}");
        // Germany now reads the ruling, not the pleadings.
        let seen = store.get_case(case, Some(&de())).await.unwrap().unwrap();
        assert!(!seen.full && seen.case.ruling.is_some() && seen.case.filings.iter().all(|f| f.text.is_empty()));
        // Not yet complied: the countermeasure stands.
        let d = dossier(store, incident, &fr()).await;
        assert!(pacta_ladder::lift_due(&d.measures[0], &rung, &situation(&d)).is_none());
        assert_eq!(ruled.case.overdue(at(300)), vec![format!("remedy 0 (cessation) was due {}", pacta_forum::fmt_time(at(280))), format!("remedy 1 (assurances) was due {}", pacta_forum::fmt_time(at(280)))]);

        // Russia reports compliance with each remedy; France confirms.
        for (i, when) in [(0usize, 270), (1, 275), (2, 330)] {
            let rep = act(ru(), Action::ReportCompliance { remedy: i, report: format!("Remedy {i} carried out."), evidence: vec![] }, at(when)).await.unwrap();
            steps.push(("reported", rep.log_index.unwrap(), "remedy.reported"));
            // Russia cannot confirm its own compliance; Germany, outside the AMBER case, cannot even see it.
            assert!(refused(act(ru(), Action::ConfirmCompliance { remedy: i }, at(when + 1)).await).contains("the claimant or the tribunal"));
            assert!(refused(act(de(), Action::ConfirmCompliance { remedy: i }, at(when + 1)).await).contains("unknown case"));
            let ok = act(fr(), Action::ConfirmCompliance { remedy: i }, at(when + 1)).await.unwrap();
            steps.push(("confirmed", ok.log_index.unwrap(), "remedy.complied"));
        }
        let closed = store.get_case(case, Some(&fr())).await.unwrap().unwrap();
        assert_eq!(closed.case.stage, Stage::Closed);
        assert!(closed.case.overdue(Utc::now()).is_empty());

        // Compliance reached the response lifecycle: the countermeasure must be lifted.
        let compliance = store.compliance_of(incident).await.unwrap();
        let complied = compliance.iter().find(|c| c.event.kind == ComplianceKind::ResponsibleStateComplied).expect("recorded with the last confirmation");
        assert_eq!(complied.log_index, closed.log_index.unwrap() + 1, "in the same transaction as the confirmation");
        steps.push(("state complied", complied.log_index, "compliance.responsible_state_complied"));
        let d = dossier(store, incident, &fr()).await;
        let due = pacta_ladder::lift_due(&d.measures[0], &rung, &situation(&d)).expect("flagged for lifting");
        assert_eq!((due.condition.as_str(), due.binding, due.cites), ("responsible_state_complied", true, "ILC Articles, art. 53"));
        let lifted = store.move_measure(&fr(), mid, |m| pacta_ladder::transition(m, &rung, &situation(&d), &fr(), MeasureState::Lifted, "Russia complied with the ruling.", &now())).await.unwrap();
        steps.push(("lifted", lifted.log_index.unwrap(), "measure.lifted"));
        assert!(refused(act(ru(), Action::ReportCompliance { remedy: 0, report: "again".into(), evidence: vec![] }, at(400)).await).contains("after the ruling"));

        // Precedent: the ruling is found by text, rule and outcome, and a new wiper
        // incident shows it as a similar earlier case.
        let corpus = store.precedents().await.unwrap();
        let hits = precedent::search(&corpus, &Query { text: "finance ministry sovereignty".into(), rule: Some("tallinn.r4.sovereignty".into()), outcome: Some(Outcome::Breach), ..Default::default() });
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].1.case, case);
        assert!(precedent::search(&corpus, &Query { outcome: Some(Outcome::Settled), ..Default::default() }).is_empty());
        let (next, _) = store.report_incident(IncidentRecord::new(wiper_incident("Second wiper at a French ministry")), &fr()).await.unwrap();
        let similar = store.similar_cases(next, &BTreeSet::new(), 5).await.unwrap();
        assert_eq!(similar.len(), 1);
        assert_eq!(similar[0].1.case, case);
        assert!(store.similar_cases(incident, &BTreeSet::new(), 5).await.unwrap().is_empty(), "a case is not its own precedent");

        assert_logged(store, &steps).await;
    });
}

/// A CLEAR case of France against Russia over a wiper, taken through a failed mediation
/// to a tribunal of arbitrators org:arb-a, org:arb-b and org:arb-c. Returns the incident,
/// the case and the day the case was filed (400 days ago).
async fn clear_case_before_three_arbitrators(store: &Store) -> (IncidentId, Uuid, DateTime<Utc>) {
    register(store, &fr(), 1).await;
    register(store, &ru(), 2).await;
    register(store, &secretariat(), 3).await;
    let (incident, _) = store.report_incident(IncidentRecord::new(wiper_incident("Wiper at the French finance ministry")), &fr()).await.unwrap();
    let t0 = Utc::now() - Duration::days(400);
    let at = |days: i64| -> DateTime<Utc> { t0 + Duration::days(days) };
    let new = NewCase { claimant: fr(), respondent: ru(), title: "France v. Russia".into(), incidents: vec![incident], claim: "Russia's organs destroyed data.".into(), evidence: vec![], tlp: Tlp::Clear };
    let case = store.file_case(&fr(), new, at(0)).await.unwrap().case.id;
    let act = |who: PartyId, action: Action, when: DateTime<Utc>| async move { store.act_on_case(&who, case, action, when).await.unwrap() };
    act(fr(), Action::Escalate { to: Stage::Mediation, reason: "No agreement.".into() }, at(61)).await;
    store.list_neutral(&secretariat(), neutral("org:med", "Mediator", "SE", &[], &[PanelRole::Mediator])).await.unwrap();
    act(secretariat(), Action::Appoint { party: party("org:med"), role: PanelRole::Mediator }, at(62)).await;
    act(party("org:med"), Action::DeclareImpasse { reason: "No common ground.".into() }, at(63)).await;
    act(fr(), Action::Escalate { to: Stage::Arbitration, reason: "Mediation failed.".into() }, at(64)).await;
    for (who, nationality) in [("org:arb-a", "NG"), ("org:arb-b", "BR"), ("org:arb-c", "JP")] {
        store.list_neutral(&secretariat(), neutral(who, who, nationality, &[], &[PanelRole::Arbitrator])).await.unwrap();
        act(secretariat(), Action::Appoint { party: party(who), role: PanelRole::Arbitrator }, at(65)).await;
    }
    (incident, case, t0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_public_case_the_steps_after_a_ruling_kept_private_are_sealed_in_the_log() {
    on_both!(|db| {
        let store = &db.store;
        let (incident, case, t0) = clear_case_before_three_arbitrators(store).await;
        let at = |days: i64| -> DateTime<Utc> { t0 + Duration::days(days) };
        let act = |who: PartyId, action: Action, when: DateTime<Utc>| async move { store.act_on_case(&who, case, action, when).await };
        let (a, b) = (party("org:arb-a"), party("org:arb-b"));
        let ruling = Ruling {
            issued_by: a.clone(),
            concurring: vec![],
            at: at(100),
            summary: "The tribunal orders an apology, kept between the parties.".into(),
            findings: vec![RulingFinding { incident: Some(incident), instrument: Some("tallinn-2".into()), rule: Some("tallinn.r4.sovereignty".into()), breached: true, text: "Destruction of data.".into() }],
            remedies: vec![Remedy { kind: RemedyKind::Satisfaction, description: "A formal apology.".into(), amount: None, due: at(500) }],
            published: false,
        };
        let drafted = act(a.clone(), Action::Rule { ruling }, at(100)).await.unwrap();
        let issued = act(b.clone(), Action::Concur { draft: drafted.case.draft_ruling.as_ref().unwrap().reference() }, at(101)).await.unwrap();
        assert_eq!(issued.case.stage, Stage::Ruled);
        // The case is CLEAR, but its ruling was ordered kept private: the public reads
        // neither the ruling nor how Russia complies, in the case's views or in the log.
        let reported = act(ru(), Action::ReportCompliance { remedy: 0, report: "Apology delivered privately by the ambassador.".into(), evidence: vec![] }, at(102)).await.unwrap();
        let public = entry(store, reported.log_index.unwrap()).await;
        assert!(public.contains("\"kind\":\"sealed\"") && !public.contains("ambassador") && !public.contains("remedy.reported"), "{public}");
        // The tribunal confirms. That closes the case, and the compliance is recorded with
        // the CLEAR incident, in the same write: an open entry beside the sealed step. It
        // names the forum, in whose name the event is recorded, not the arbitrator.
        let confirmed = act(a.clone(), Action::ConfirmCompliance { remedy: 0 }, at(103)).await.unwrap();
        assert!(entry(store, confirmed.log_index.unwrap()).await.contains("\"kind\":\"sealed\""));
        let beside = entry(store, confirmed.log_index.unwrap() + 1).await;
        assert!(beside.contains("compliance.responsible_state_complied") && beside.contains("\"actor\":\"org:secretariat\"") && !beside.contains("arb-a"), "{beside}");
        let seen = store.get_case(case, None).await.unwrap().unwrap();
        assert!(seen.case.ruling.is_none() && seen.case.compliance.is_empty() && seen.log_index.is_none());
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_three_member_tribunals_draft_stays_with_it_until_a_second_arbitrator_concurs() {
    on_both!(|db| {
        let store = &db.store;
        let (incident, case, t0) = clear_case_before_three_arbitrators(store).await;
        let at = |days: i64| -> DateTime<Utc> { t0 + Duration::days(days) };
        let act = |who: PartyId, action: Action, when: DateTime<Utc>| async move { store.act_on_case(&who, case, action, when).await };
        let (a, b, c) = (party("org:arb-a"), party("org:arb-b"), party("org:arb-c"));
        let ruling = Ruling {
            issued_by: a.clone(),
            concurring: vec![],
            at: at(100),
            summary: "The wiper operation violated French sovereignty.".into(),
            findings: vec![RulingFinding { incident: Some(incident), instrument: Some("tallinn-2".into()), rule: Some("tallinn.r4.sovereignty".into()), breached: true, text: "Destruction of data on government systems.".into() }],
            remedies: vec![],
            published: true,
        };

        // Arbitrator A's ruling is a draft: the case is undecided, the log commits to the
        // draft without showing it, and only the tribunal reads it.
        let drafted = act(a.clone(), Action::Rule { ruling: ruling.clone() }, at(100)).await.unwrap();
        assert_eq!((drafted.case.stage, drafted.case.ruling.is_none()), (Stage::Arbitration, true));
        let logged = store.log_entries(drafted.log_index.unwrap(), drafted.log_index.unwrap() + 1).await.unwrap().remove(0);
        assert_eq!(logged.kind, "ruling.drafted");
        assert!(!entry(store, drafted.log_index.unwrap()).await.contains("violated French sovereignty"), "the draft is not in the public log");
        for outsider in [Some(fr()), Some(ru()), Some(secretariat()), None] {
            let seen = store.get_case(case, outsider.as_ref()).await.unwrap().unwrap();
            assert!(seen.case.draft_ruling.is_none(), "{outsider:?} reads the draft");
            // Nor where the log is: the index of the sealed draft would say one was made.
            assert_eq!(seen.log_index, None, "{outsider:?} is shown the draft's log entry");
        }
        assert!(store.get_case(case, Some(&c)).await.unwrap().unwrap().case.draft_ruling.is_some(), "arbitrator C deliberates on it");
        // A party acting meanwhile does not get the draft back with its answer.
        let answer = act(fr(), Action::ProposeSettlement { terms: "A joint statement.".into() }, at(100)).await.unwrap();
        assert!(answer.case.draft_ruling.is_none());
        let draft = Action::Concur { draft: drafted.case.draft_ruling.as_ref().unwrap().reference() };
        assert!(refused(act(a.clone(), draft.clone(), at(101)).await).contains("art. 33(1)"));

        // B concurs: the majority issues the ruling, published in full with both names.
        let issued = act(b.clone(), draft, at(101)).await.unwrap();
        assert_eq!(issued.case.stage, Stage::Closed, "no remedies: the case closes");
        let logged = store.log_entries(issued.log_index.unwrap(), issued.log_index.unwrap() + 1).await.unwrap().remove(0);
        assert_eq!(logged.kind, "ruling.issued");
        let public = entry(store, issued.log_index.unwrap()).await;
        assert!(public.contains("violated French sovereignty") && public.contains("org:arb-b"), "{public}");
        let seen = store.get_case(case, None).await.unwrap().unwrap().case;
        assert_eq!(seen.ruling.as_ref().unwrap().concurring.iter().map(|c| c.party.clone()).collect::<Vec<_>>(), vec![b.clone()]);
        // C joins the published award: unanimous, and as public as the ruling.
        let joined = act(c.clone(), Action::Concur { draft: seen.ruling.as_ref().unwrap().reference() }, at(102)).await.unwrap();
        let logged = store.log_entries(joined.log_index.unwrap(), joined.log_index.unwrap() + 1).await.unwrap().remove(0);
        assert_eq!(logged.kind, "ruling.concurred");
        assert!(entry(store, joined.log_index.unwrap()).await.contains("org:arb-c"));
    });
}
