//! Stored assessments are a cache keyed by the facts and the law they were computed from;
//! each story runs on SQLite and on PostgreSQL.

use pacta_core::*;
use pacta_store::Store;
use pacta_store::assessments::{NewAssessment, Versions, Which};
use pacta_store::testing::TestDb;
use std::path::Path;

/// Twenty incidents of the bundled EuRepoC sample.
fn sample() -> Vec<IncidentRecord> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/eurepoc-1.1-even");
    pacta_import::eurepoc::read_dir(&dir).unwrap().records.into_iter().take(20).collect()
}

fn importer() -> PartyId {
    PartyId::parse("actor", "org:secretariat").unwrap()
}

const LAW_V1: Versions<'static> = Versions { instruments: "sha256-of-the-rule-files-v1", engine: "engine-1" };
const LAW_V2: Versions<'static> = Versions { instruments: "sha256-of-the-rule-files-v2", engine: "engine-1" };

/// What a caller would store: any JSON the engine gives; here, one naming the inputs.
async fn assess_all(store: &Store, which: Which<'_>, versions: Versions<'_>) -> u64 {
    let inputs = store.assessment_inputs(which).await.unwrap();
    let rows: Vec<NewAssessment> = inputs
        .iter()
        .map(|i| NewAssessment {
            incident: i.incident.id,
            perspective: None,
            log_index: i.log_index,
            body: format!("{{\"title\":{:?},\"claims\":{},\"law\":{:?}}}", i.incident.title, i.attributions.len(), versions.instruments),
        })
        .collect();
    store.store_assessments(versions, &rows).await.unwrap()
}

macro_rules! on_both {
    (|$store:ident| $body:block) => {{
        for db in TestDb::both().await {
            eprintln!("-- on {}", db.store.backend());
            {
                let $store: &Store = &db.store;
                $body
            }
            db.drop_db().await;
        }
    }};
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assessment_is_fresh_until_the_facts_or_the_law_change() {
    on_both!(|store| {
        store.import_records(sample(), &importer(), |_| {}).await.unwrap();
        let log_size = store.log_size().await.unwrap();

        // Nothing is assessed yet: every incident is stale, and its claims come with it.
        let stale = store.assessment_inputs(Which::Stale(LAW_V1)).await.unwrap();
        assert_eq!(stale.len(), 20);
        assert!(stale.iter().any(|i| !i.attributions.is_empty()), "claims are loaded with their incident");
        assert_eq!(store.assessment_freshness(LAW_V1).await.unwrap(), (0, 20));

        assert_eq!(assess_all(store, Which::Stale(LAW_V1), LAW_V1).await, 20);
        assert_eq!(store.assessment_freshness(LAW_V1).await.unwrap(), (20, 0));
        assert!(store.assessment_inputs(Which::Stale(LAW_V1)).await.unwrap().is_empty());
        assert_eq!(store.log_size().await.unwrap(), log_size, "an assessment is derived data, not a log entry");

        // The source corrects one incident: only that one is stale.
        let mut changed = sample();
        changed[3].incident.title = "Corrected title".into();
        changed[3].source_hash = Some("a different source row".into());
        let corrected = changed[3].incident.origin.clone().unwrap();
        store.import_records(changed, &importer(), |_| {}).await.unwrap();
        let stale = store.assessment_inputs(Which::Stale(LAW_V1)).await.unwrap();
        assert_eq!(stale.len(), 1);
        assert_eq!(stale[0].incident.title, "Corrected title");
        let current = store.get_incident(&format!("eurepoc:{}", corrected.record_id)).await.unwrap().unwrap();
        let old = store.stored_assessment(current.record.incident.id, None).await.unwrap().unwrap();
        assert!(!old.is_fresh(LAW_V1, current.log_index), "computed from the facts before the correction");
        assert_eq!(assess_all(store, Which::Stale(LAW_V1), LAW_V1).await, 1);
        let new = store.stored_assessment(current.record.incident.id, None).await.unwrap().unwrap();
        assert!(new.is_fresh(LAW_V1, current.log_index));
        assert!(new.body.contains("Corrected title"), "{}", new.body);

        // The instruments are amended: every assessment is stale until recomputed.
        assert_eq!(store.assessment_freshness(LAW_V2).await.unwrap(), (0, 20));
        assert_eq!(assess_all(store, Which::All, LAW_V2).await, 20);
        assert_eq!(store.assessment_freshness(LAW_V2).await.unwrap(), (20, 0));
        assert_eq!(store.assessment_freshness(LAW_V1).await.unwrap(), (0, 20));
        let under_v2 = store.stored_assessment(current.record.incident.id, None).await.unwrap().unwrap();
        assert_eq!(under_v2.instruments_version, LAW_V2.instruments);
        assert!(under_v2.body.contains("-v2"), "the row was replaced, not duplicated: {}", under_v2.body);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_states_view_is_stored_beside_the_default_one() {
    on_both!(|store| {
        store.import_records(sample(), &importer(), |_| {}).await.unwrap();
        let one = store.assessment_inputs(Which::All).await.unwrap().remove(0);
        let id = one.incident.id;
        let fr = StateCode::parse("perspective", "FR").unwrap();
        let row = |perspective, body: &str| NewAssessment { incident: id, perspective, log_index: one.log_index, body: body.into() };
        store.store_assessments(LAW_V1, &[row(None, "{\"view\":\"default\"}"), row(Some(fr), "{\"view\":\"FR\"}")]).await.unwrap();

        assert_eq!(store.stored_assessment(id, None).await.unwrap().unwrap().body, "{\"view\":\"default\"}");
        assert_eq!(store.stored_assessment(id, Some(fr)).await.unwrap().unwrap().body, "{\"view\":\"FR\"}");
        assert!(store.stored_assessment(id, Some(StateCode::parse("p", "DE").unwrap())).await.unwrap().is_none());
        // Freshness counts the default view only: one incident of twenty is assessed.
        assert_eq!(store.assessment_freshness(LAW_V1).await.unwrap(), (1, 19));
        let only = store.assessment_inputs(Which::One(id)).await.unwrap();
        assert_eq!((only.len(), only[0].incident.id), (1, id));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_made_or_withdrawn_in_the_registry_makes_the_assessment_stale_and_is_assessed() {
    on_both!(|store| {
        store.import_records(sample(), &importer(), |_| {}).await.unwrap();
        assess_all(store, Which::Stale(LAW_V1), LAW_V1).await;
        assert!(store.assessment_inputs(Which::Stale(LAW_V1)).await.unwrap().is_empty(), "everything is fresh");

        // France is registered (as a party named in a report), then attributes the first
        // incident to another state.
        let fr = StateCode::parse("state", "FR").unwrap();
        let mut report = IncidentRecord::new(Incident::new("A report naming France", Tlp::Clear));
        report.parties.push(Party::state(fr));
        store.report_incident(report, &importer()).await.unwrap();
        assess_all(store, Which::Stale(LAW_V1), LAW_V1).await;
        let state = Party::state(fr);
        let input = store.assessment_inputs(Which::All).await.unwrap().remove(0);
        let before = input.attributions.len();
        let target_state = StateCode::parse("state", "RU").unwrap();
        let claim = Attribution {
            id: AttributionId::new(),
            incident: input.incident.id,
            attributors: vec![state.id.clone()],
            attributor_label: None,
            actor_name: Some("A unit of the armed forces".into()),
            actor_state: Some(target_state),
            actor_category: ActorCategory::State,
            basis: AttributionBasis::TechnicalReport,
            confidence: Some(Confidence::VeryLikely),
            visibility: Visibility::Public,
            date: None,
            origin_ref: None,
        };
        let made = store.make_claim(&state.id, claim.clone(), vec![]).await.unwrap();

        // The incident's stored assessment no longer rests on everything known about it...
        let stale = store.assessment_inputs(Which::Stale(LAW_V1)).await.unwrap();
        assert_eq!(stale.len(), 1, "only the incident with the new claim is stale");
        assert_eq!(stale[0].incident.id, input.incident.id);
        assert_eq!(stale[0].log_index, made.log_index, "the claim is the incident's latest entry");
        // ...and the new claim is among what it is recomputed from.
        assert_eq!(stale[0].attributions.len(), before + 1);
        assert!(stale[0].attributions.iter().any(|a| a.id == claim.id && a.confidence == Some(Confidence::VeryLikely)));
        assess_all(store, Which::Stale(LAW_V1), LAW_V1).await;

        // A withdrawn claim no longer counts, and the withdrawal makes the assessment stale again.
        store.withdraw_claim(&state.id, claim.id, "the technical report was retracted").await.unwrap();
        let stale = store.assessment_inputs(Which::Stale(LAW_V1)).await.unwrap();
        assert_eq!(stale.len(), 1);
        assert_eq!(stale[0].attributions.len(), before, "the withdrawn claim is gone from the inputs");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_over_the_registry_reads_it_a_page_at_a_time_each_incident_once() {
    on_both!(|store| {
        store.import_records(sample(), &importer(), |_| {}).await.unwrap();
        let everything: Vec<IncidentId> = store.assessment_inputs(Which::All).await.unwrap().iter().map(|i| i.incident.id).collect();

        // Pages of 7 over 20 incidents: 7, 7, 6, then nothing; in registry order.
        let mut seen = Vec::new();
        let mut sizes = Vec::new();
        let mut after = 0;
        loop {
            let page = store.assessment_inputs(Which::Page { stale: None, after, limit: 7 }).await.unwrap();
            let Some(last) = page.last() else { break };
            after = last.seq;
            sizes.push(page.len());
            seen.extend(page.iter().map(|i| i.incident.id));
        }
        assert_eq!(sizes, [7, 7, 6]);
        assert_eq!(seen, everything);

        // Stale pages skip what is fresh: assess the first page, and the stale pass starts after it.
        let first = store.assessment_inputs(Which::Page { stale: None, after: 0, limit: 7 }).await.unwrap();
        let rows: Vec<NewAssessment> = first.iter().map(|i| NewAssessment { incident: i.incident.id, perspective: None, log_index: i.log_index, body: "{}".into() }).collect();
        store.store_assessments(LAW_V1, &rows).await.unwrap();
        let stale = store.assessment_inputs(Which::Page { stale: Some(LAW_V1), after: 0, limit: 100 }).await.unwrap();
        assert_eq!(stale.iter().map(|i| i.incident.id).collect::<Vec<_>>(), everything[7..]);
        // Claims come with their incident on a page as they do in a whole pass.
        assert!(stale.iter().any(|i| !i.attributions.is_empty()));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_reads_what_was_stored_for_its_incidents_in_one_go_and_nothing_else() {
    on_both!(|store| {
        store.import_records(sample(), &importer(), |_| {}).await.unwrap();
        assess_all(store, Which::All, LAW_V1).await;
        let fr = StateCode::parse("p", "FR").unwrap();
        let second = store.assessment_inputs(Which::Page { stale: None, after: 0, limit: 14 }).await.unwrap().split_off(7);
        let (first, last) = (second[0].seq, second[6].seq);
        // One incident of the page also has France's view stored, and it is not the default one.
        store
            .store_assessments(LAW_V1, &[NewAssessment { incident: second[3].incident.id, perspective: Some(fr), log_index: second[3].log_index, body: "{\"view\":\"FR\"}".into() }])
            .await
            .unwrap();

        let kept = store.stored_assessments_between(first, last, None).await.unwrap();
        // Exactly the page's seven, each the row a lookup of its own gives.
        assert_eq!(kept.len(), 7);
        for input in &second {
            let alone = store.stored_assessment(input.incident.id, None).await.unwrap().unwrap();
            assert_eq!(kept[&input.incident.id], alone);
        }
        let french = store.stored_assessments_between(first, last, Some(fr)).await.unwrap();
        assert_eq!(french.keys().collect::<Vec<_>>(), [&second[3].incident.id]);
        assert_eq!(french[&second[3].incident.id].body, "{\"view\":\"FR\"}");
        // A range past the registry holds nothing.
        assert!(store.stored_assessments_between(last + 1_000_000, last + 2_000_000, None).await.unwrap().is_empty());
    });
}
