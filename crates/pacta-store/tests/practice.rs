//! Reading every incident record in pages for state practice, on SQLite and PostgreSQL.

use pacta_core::*;
use pacta_store::Store;
use pacta_store::testing::TestDb;

fn secretariat() -> PartyId {
    PartyId::parse("actor", "org:secretariat").unwrap()
}

/// Five incidents: the n-th has n-1 attribution claims and, when n is even, one response;
/// the fourth is TLP:AMBER.
fn records() -> Vec<IncidentRecord> {
    (1..=5)
        .map(|n| {
            let mut i = Incident::new(format!("Incident {n}"), if n == 4 { Tlp::Amber } else { Tlp::Clear });
            i.origin = Some(Origin { dataset: Dataset::Registry, record_id: format!("practice-{n}") });
            let mut r = IncidentRecord::new(i);
            let fr = Party::state(StateCode::parse("s", "FR").unwrap());
            for k in 1..n {
                r.attributions.push(Attribution {
                    id: AttributionId::new(),
                    incident: r.incident.id,
                    attributors: vec![fr.id.clone()],
                    attributor_label: None,
                    actor_name: Some(format!("group {n}.{k}")),
                    actor_state: StateCode::parse("s", "RU").ok(),
                    actor_category: ActorCategory::State,
                    basis: AttributionBasis::TechnicalReport,
                    confidence: None,
                    visibility: Visibility::Public,
                    date: None,
                    origin_ref: None,
                });
            }
            if n % 2 == 0 {
                r.responses.push(Response {
                    id: ResponseId::new(),
                    incident: r.incident.id,
                    responder: Some(fr.id.clone()),
                    responder_label: None,
                    status: ResponseStatus::Observed,
                    domain: ResponseDomain::Political,
                    measure: format!("protest {n}"),
                    date: None,
                    description: None,
                });
            }
            r.parties.push(fr);
            r
        })
        .collect()
}

/// The title's number, and the claims and responses that came back with it.
fn shape(r: &IncidentRecord) -> (String, usize, Vec<String>) {
    let n = r.incident.title.trim_start_matches("Incident ").to_string();
    assert!(r.attributions.iter().all(|a| a.incident == r.incident.id && a.actor_name.as_deref().unwrap().starts_with(&format!("group {n}."))));
    assert!(r.responses.iter().all(|x| x.incident == r.incident.id));
    (n, r.attributions.len(), r.responses.iter().map(|x| x.measure.clone()).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_comes_back_once_with_its_own_claims_and_responses() {
    for db in TestDb::both().await {
        let store: &Store = &db.store;
        eprintln!("-- on {}", store.backend());
        store.import_records(records(), &secretariat(), |_| {}).await.unwrap();

        // Pages of two: 2 + 2 + 1, the last one says it is the last.
        let mut after = 0;
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let page = store.incident_records_page(after, 2, None).await.unwrap();
            pages += 1;
            seen.extend(page.records.iter().map(shape));
            match page.next {
                Some(n) => after = n,
                None => break,
            }
        }
        assert_eq!(pages, 3);
        let expected: Vec<(String, usize, Vec<String>)> =
            (1..=5).map(|n| (n.to_string(), n - 1, if n % 2 == 0 { vec![format!("protest {n}")] } else { vec![] })).collect();
        assert_eq!(seen, expected);

        // Only TLP:CLEAR: incident 4 and its three claims and response are not read, and
        // the claims of its neighbours are not attached to the wrong incident.
        let mut clear = Vec::new();
        let n = store.for_each_incident_record(Some(Tlp::Clear), |page| clear.extend(page.iter().map(shape))).await.unwrap();
        assert_eq!(n, 4);
        assert_eq!(clear.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(), ["1", "2", "3", "5"]);
        assert_eq!(clear[3], ("5".to_string(), 4, vec![]));

        // The same records feed the practice tally: 4 of 5 attributed, 2 of those punished.
        let mut tally = pacta_practice::Tally::new(pacta_norms::builtin(), pacta_practice::Options::default()).unwrap();
        store.for_each_incident_record(None, |page| page.iter().for_each(|r| tally.add(r))).await.unwrap();
        let p = tally.finish();
        assert_eq!((p.all.total.incidents, p.all.total.attributed, p.all.total.punished), (5, 4, 2));

        // France attributes incident 1 in the registry, publicly, and a private claim on
        // incident 3 stays out: practice counts the public record of the registry too.
        let first = store.incident_records_page(0, 1, None).await.unwrap().records.remove(0);
        let fr = PartyId::parse("as", "state:FR").unwrap();
        let claim = |incident: IncidentId, visibility: Visibility| Attribution {
            id: AttributionId::new(),
            incident,
            attributors: vec![fr.clone()],
            attributor_label: None,
            actor_name: Some("group 1.1".into()),
            actor_state: StateCode::parse("s", "RU").ok(),
            actor_category: ActorCategory::State,
            basis: AttributionBasis::PoliticalStatement,
            confidence: Some(Confidence::VeryLikely),
            visibility,
            date: None,
            origin_ref: None,
        };
        let made = store.make_claim(&fr, claim(first.incident.id, Visibility::Public), vec![]).await.unwrap();
        let third = store.incident_records_page(0, 5, None).await.unwrap().records[2].clone();
        store.make_claim(&fr, claim(third.incident.id, Visibility::Private { shared_with: vec![fr.clone()] }), vec![]).await.unwrap();
        let page = store.incident_records_page(0, 5, None).await.unwrap();
        assert_eq!(page.records[0].attributions.len(), 1, "the registry's public claim is read with its incident");
        assert_eq!(page.records[2].attributions.len(), third.attributions.len(), "a private claim is not practice the public may see");
        let mut tally = pacta_practice::Tally::new(pacta_norms::builtin(), pacta_practice::Options::default()).unwrap();
        store.for_each_incident_record(None, |page| page.iter().for_each(|r| tally.add(r))).await.unwrap();
        assert_eq!(tally.finish().all.total.attributed, 5, "all five are attributed now");
        // Withdrawn, it stops counting.
        store.withdraw_claim(&fr, made.version.claim(), "Retracted.").await.unwrap();
        assert!(store.incident_records_page(0, 1, None).await.unwrap().records[0].attributions.is_empty());
        db.drop_db().await;
    }
}

/// The most common marking among the incidents, as PostgreSQL's planner sees it; `None`
/// while the table has never been analysed.
async fn planner_most_common_marking(url: &str) -> Option<String> {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let mcv: Option<String> = sqlx::query_scalar("SELECT most_common_vals::text FROM pg_stats WHERE tablename = 'incidents' AND attname = 'tlp'")
        .fetch_optional(&pool)
        .await
        .unwrap();
    pool.close().await;
    // `{CLEAR,AMBER}`: the first is the most common.
    mcv.map(|v| v.trim_matches(['{', '}']).split(',').next().unwrap_or_default().to_string())
}

fn amber(n: usize) -> IncidentRecord {
    let mut i = Incident::new(format!("Amber {n}"), Tlp::Amber);
    i.origin = Some(Origin { dataset: Dataset::Registry, record_id: format!("amber-{n}") });
    IncidentRecord::new(i)
}

/// On PostgreSQL a table loaded in bulk and never analysed leaves the planner guessing
/// (at a million incidents, the practice pass ran three times slower). The importer
/// analyses after writing; a server analyses at start-up the tables whose statistics have
/// gone stale. SQLite is left to its rule-based plans.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_loaded_in_bulk_is_analysed_before_it_is_queried() {
    for db in TestDb::both().await {
        let store: &Store = &db.store;
        eprintln!("-- on {}", store.backend());
        store.import_records(records(), &secretariat(), |_| {}).await.unwrap();
        if store.backend() == pacta_store::Backend::Sqlite {
            store.analyze().await.unwrap();
            assert_eq!(store.analyze_if_stale().await.unwrap(), Vec::<String>::new());
            db.drop_db().await;
            continue;
        }
        // Nothing has analysed the new registry yet (autovacuum would take a minute).
        assert_eq!(planner_most_common_marking(&db.url).await, None);
        store.analyze().await.unwrap();
        assert_eq!(planner_most_common_marking(&db.url).await.as_deref(), Some("CLEAR"));

        // A hundred TLP:AMBER incidents later, the statistics are stale (autovacuum's rule:
        // more than 50 rows and 10 % of the table changed). Each connection reports its
        // writes a little after it commits; once they are counted, the start-up check
        // names the table and analyses it.
        store.import_records((1..=100).map(amber).collect(), &secretariat(), |_| {}).await.unwrap();
        let started = std::time::Instant::now();
        loop {
            let analysed = store.analyze_if_stale().await.unwrap();
            if analysed.iter().any(|t| t == "incidents") {
                break;
            }
            assert!(started.elapsed() < std::time::Duration::from_secs(20), "the incidents table was never found stale (analysed {analysed:?})");
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        assert_eq!(planner_most_common_marking(&db.url).await.as_deref(), Some("AMBER"));
        db.drop_db().await;
    }
}
