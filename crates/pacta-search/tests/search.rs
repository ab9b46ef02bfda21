//! The search index as a reader of the registry meets it: ranked words and phrases,
//! filters and facets, the viewer's scope inside the query, and an index that follows
//! the log across writes, re-markings and restarts. Every story runs on SQLite and
//! PostgreSQL.
//!
//! Run: `CI=true cargo test -p pacta-search --test search`.

use pacta_core::*;
use pacta_search::{Hits, SearchError, SearchIndex};
use pacta_store::testing::TestDb;
use pacta_store::{Access, IncidentFilter, Store};

fn actor() -> PartyId {
    PartyId::parse("actor", "org:secretariat").unwrap()
}

fn state(code: &str) -> StateCode {
    StateCode::parse("state", code).unwrap()
}

/// An imported incident (so a re-import can re-mark it), targeting `target`'s `sector`.
fn record(n: u32, title: &str, description: &str, tlp: Tlp, target: &str, sector: Sector, alleged: Option<&str>) -> IncidentRecord {
    let mut i = Incident::new(title, tlp);
    i.origin = Some(Origin { dataset: Dataset::Registry, record_id: format!("search-{n}") });
    i.description = description.to_string();
    i.start_date = chrono::NaiveDate::from_ymd_opt(2020, 1, n);
    i.targets.push(Target { state: Some(state(target)), place: None, sector, entity: None });
    if let Some(a) = alleged {
        i.alleged_actors.push(Actor { name: Some("Sandworm".into()), state: Some(state(a)), category: ActorCategory::StateAffiliated });
    }
    let mut r = IncidentRecord::new(i);
    r.source_hash = Some(format!("{n}-{tlp}"));
    r
}

fn public() -> Access {
    Access { open: vec![Tlp::Clear], granted: vec![] }
}

/// A party that reads CLEAR and GREEN outright, and AMBER when shared with `party`.
fn party(party: &str) -> Access {
    Access { open: vec![Tlp::Clear, Tlp::Green], granted: vec![(Tlp::Amber, vec![party.to_string()])] }
}

/// Where a server keeps the index: beside a SQLite file, or in the directory an operator
/// names with `--search-index` (PostgreSQL).
fn index_dir(db: &TestDb) -> Option<std::path::PathBuf> {
    pacta_search::default_dir(&db.url).or_else(|| {
        let name = db.url.rsplit('/').next().unwrap_or("pacta");
        Some(std::env::temp_dir().join(format!("{name}.search")))
    })
}

/// A copy of a closed database, as a backup restored elsewhere would be.
struct Backup {
    url: String,
    store: Store,
}

impl Backup {
    async fn take(db: &TestDb) -> Backup {
        let url = if let Some(path) = db.url.strip_prefix("sqlite://") {
            let copy = format!("{path}.backup");
            std::fs::copy(path, &copy).unwrap();
            for suffix in ["-wal", "-shm"] {
                if std::path::Path::new(&format!("{path}{suffix}")).exists() {
                    std::fs::copy(format!("{path}{suffix}"), format!("{copy}{suffix}")).unwrap();
                }
            }
            format!("sqlite://{copy}")
        } else {
            let (server, name) = db.url.rsplit_once('/').unwrap();
            let admin = Store::connect_admin(&format!("{server}/postgres")).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}_backup TEMPLATE {name}"))).execute(&admin).await.unwrap();
            admin.close().await;
            format!("{server}/{name}_backup")
        };
        let store = Store::open(&url).await.unwrap();
        Backup { url, store }
    }

    async fn remove(self) {
        self.store.close().await;
        if let Some(path) = self.url.strip_prefix("sqlite://") {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
        } else {
            let (server, name) = self.url.rsplit_once('/').unwrap();
            let admin = Store::connect_admin(&format!("{server}/postgres")).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&admin).await.unwrap();
            admin.close().await;
        }
    }
}

/// A database restored from a backup and written to again parts from the log the index
/// was built from at the entry after the backup, though it starts with the same entry and
/// may be longer: the index kept from before the restore is rebuilt, not caught up, so
/// incidents only the lost log had are not found and the restored log's are.
#[tokio::test]
async fn an_index_kept_across_a_restore_from_backup_is_rebuilt() {
    for db in TestDb::both().await {
        let dir = tempfile::tempdir().unwrap();
        let kestrels: Vec<IncidentRecord> = (1..=3).map(|n| record(n, &format!("Kestrel case {n}"), "Kestrel.", Tlp::Clear, "EE", Sector::Finance, None)).collect();
        db.store.import_records(kestrels, &actor(), |_| {}).await.unwrap();
        db.store.close().await;
        let backup = Backup::take(&db).await;

        // The live registry goes on, and the server's index follows it.
        let live = Store::open(&db.url).await.unwrap();
        for n in 4..=5 {
            live.report_incident(record(n, &format!("Osprey case {n}"), "Osprey.", Tlp::Clear, "EE", Sector::Finance, None), &actor()).await.unwrap();
        }
        let index = SearchIndex::open(Some(dir.path())).unwrap();
        index.catch_up(&live).await.unwrap();
        assert_eq!(search(&index, &live, &public(), "osprey").await.total, 2);
        let covered = index.covered();
        drop(index);
        live.close().await;

        // The live database is lost; the backup is restored and written to, until its log
        // is longer than the index covers.
        for n in 6..=8 {
            backup.store.report_incident(record(n, &format!("Heron case {n}"), "Heron.", Tlp::Clear, "EE", Sector::Finance, None), &actor()).await.unwrap();
        }
        assert!(backup.store.log_size().await.unwrap() > covered);
        let index = SearchIndex::open(Some(dir.path())).unwrap();
        assert_eq!(index.catch_up(&backup.store).await.unwrap(), 6, "every incident of the restored registry is indexed again");
        assert_eq!(search(&index, &backup.store, &public(), "osprey").await.total, 0, "the lost incidents are not found");
        assert_eq!(search(&index, &backup.store, &public(), "heron").await.total, 3);
        assert_eq!(search(&index, &backup.store, &public(), "kestrel").await.total, 3);
        assert_eq!(index.len(), 6);
        drop(index);
        backup.remove().await;
        db.drop_db().await;
    }
}

async fn search(index: &SearchIndex, store: &Store, access: &Access, q: &str) -> Hits {
    index.search(store, access, &IncidentFilter::default(), q, 50, 0).await.unwrap()
}

fn titles(store_records: &[IncidentRecord], hits: &Hits) -> Vec<String> {
    hits.ids.iter().map(|id| store_records.iter().find(|r| r.incident.id == *id).unwrap().incident.title.clone()).collect()
}

#[tokio::test]
async fn words_and_phrases_are_ranked_filtered_and_counted_by_facet() {
    for db in TestDb::both().await {
        let records = vec![
            record(1, "Grid wiper in Kyiv", "A wiper erased the grid operator's control servers.", Tlp::Clear, "UA", Sector::Energy, Some("RU")),
            record(2, "Ministry phishing wave", "Phishing against ministries; one mail mentioned the grid.", Tlp::Clear, "DE", Sector::Government, Some("CN")),
            record(3, "Hospital ransomware", "Ransomware encrypted patient records.", Tlp::Clear, "FR", Sector::Health, None),
            record(4, "Wiper hits water utility", "The grid was not touched; a water utility lost its pumps.", Tlp::Clear, "UA", Sector::Water, Some("RU")),
        ];
        db.store.import_records(records.clone(), &actor(), |_| {}).await.unwrap();
        let index = SearchIndex::open(None).unwrap();
        let store = &db.store;

        // All words must match; the title weighs more than the description.
        let hits = search(&index, store, &public(), "grid").await;
        assert_eq!(hits.total, 3, "{}", db.store.backend());
        assert_eq!(titles(&records, &hits)[0], "Grid wiper in Kyiv", "a title match ranks first");
        assert_eq!(search(&index, store, &public(), "grid wiper").await.total, 2);
        // English stemming: "wipers" finds "wiper".
        assert_eq!(search(&index, store, &public(), "wipers").await.total, 2);
        // A phrase matches the words in that order only.
        let phrase = search(&index, store, &public(), "\"wiper hits\"").await;
        assert_eq!(titles(&records, &phrase), vec!["Wiper hits water utility"]);
        // Actors and targets are searchable text too.
        assert_eq!(search(&index, store, &public(), "sandworm").await.total, 3);
        assert_eq!(search(&index, store, &public(), "ukraine").await.total, 2);

        // Filters narrow the same way as the list's.
        let energy = IncidentFilter { sector: Some(Sector::Energy), ..Default::default() };
        assert_eq!(index.search(store, &public(), &energy, "grid", 50, 0).await.unwrap().total, 1);
        let june = IncidentFilter { from: chrono::NaiveDate::from_ymd_opt(2020, 1, 2), to: chrono::NaiveDate::from_ymd_opt(2020, 1, 3), ..Default::default() };
        assert_eq!(index.search(store, &public(), &june, "grid OR ransomware", 50, 0).await.unwrap().total, 2);
        let by_ru = IncidentFilter { state: Some(state("RU")), ..Default::default() };
        assert_eq!(index.search(store, &public(), &by_ru, "wiper", 50, 0).await.unwrap().total, 2);

        // Facets count the matching incidents per value.
        let hits = search(&index, store, &public(), "grid").await;
        assert_eq!(hits.facets["sector"].get("energy"), Some(&1));
        assert_eq!(hits.facets["sector"].get("health"), None);
        assert_eq!(hits.facets["target_state"].get("UA"), Some(&2));
        assert_eq!(hits.facets["alleged_state"].get("CN"), Some(&1));

        // Paging: the second page starts after the first.
        let page2 = index.search(store, &public(), &IncidentFilter::default(), "grid", 2, 2).await.unwrap();
        assert_eq!((page2.total, page2.ids.len()), (3, 1));
        assert!(!hits.ids[..2].contains(&page2.ids[0]));

        // Malformed queries are refused with a reason, not run.
        for bad in ["\"unclosed phrase", "colour:red", "title:(", &"x".repeat(201)] {
            let err = index.search(store, &public(), &IncidentFilter::default(), bad, 50, 0).await.unwrap_err();
            assert!(matches!(err, SearchError::BadQuery(_)), "{bad:?}: {err}");
        }
        // Parentheses nested deep made the parser's work explode (depth 30 held a core for
        // minutes): refused at once, with the limit; a few levels still work.
        let nested = format!("{}grid{}", "(".repeat(30), ")".repeat(30));
        let started = std::time::Instant::now();
        let err = index.search(store, &public(), &IncidentFilter::default(), &nested, 50, 0).await.unwrap_err();
        assert!(err.to_string().contains("at most 4 deep"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        index.search(store, &public(), &IncidentFilter::default(), "((grid OR power) AND (ukraine OR energy))", 50, 0).await.unwrap();
        let deep = index.search(store, &public(), &IncidentFilter::default(), "grid", 50, 9_990).await.unwrap_err();
        assert!(matches!(deep, SearchError::TooDeep), "{deep}");
        db.drop_db().await;
    }
}

#[tokio::test]
async fn a_search_never_reveals_what_the_viewer_may_not_read_not_even_as_a_count() {
    for db in TestDb::both().await {
        let store = &db.store;
        let records = vec![
            record(1, "Nightjar espionage", "Nightjar exfiltrated mail.", Tlp::Clear, "FR", Sector::Government, Some("RU")),
            record(2, "Nightjar follow-up", "Nightjar returned to the energy ministry.", Tlp::Amber, "FR", Sector::Energy, Some("CN")),
            record(3, "Nightjar source", "Nightjar's operator named by a human source.", Tlp::Red, "FR", Sector::DefenceIndustry, Some("IR")),
        ];
        db.store.import_records(records.clone(), &actor(), |_| {}).await.unwrap();
        store.share_incident(records[1].incident.id, &["state:FR".to_string()], &actor()).await.unwrap();
        store.share_incident(records[2].incident.id, &["account:fr-officer".to_string()], &actor()).await.unwrap();
        let index = SearchIndex::open(None).unwrap();

        // The public: only the CLEAR incident, in the hits, the total and every facet.
        let hits = search(&index, store, &public(), "nightjar").await;
        assert_eq!((hits.total, titles(&records, &hits)), (1, vec!["Nightjar espionage".to_string()]));
        assert_eq!(hits.facets["sector"].keys().collect::<Vec<_>>(), vec!["government"]);
        assert_eq!(hits.facets["alleged_state"].keys().collect::<Vec<_>>(), vec!["RU"]);
        // Words that occur only in restricted incidents find nothing at all.
        for q in ["ministry", "\"human source\"", "operator"] {
            let hits = search(&index, store, &public(), q).await;
            assert_eq!(hits, Hits { total: 0, ids: vec![], facets: hits.facets.clone() }, "{q}");
            assert!(hits.facets.values().all(|m| m.is_empty()), "{q}: {:?}", hits.facets);
        }

        // France, named on the AMBER incident, sees it; an unrelated party does not.
        let fr = search(&index, store, &party("state:FR"), "nightjar").await;
        assert_eq!(fr.total, 2);
        assert_eq!(fr.facets["sector"].get("energy"), Some(&1));
        let de = search(&index, store, &party("state:DE"), "nightjar").await;
        assert_eq!((de.total, de.facets["sector"].get("energy")), (1, None));
        // A viewer who may read nothing gets nothing.
        assert_eq!(search(&index, store, &Access::default(), "nightjar").await.total, 0);

        // A new grant counts at once: sharing lists are read live, not indexed.
        store.share_incident(records[1].incident.id, &["state:DE".to_string()], &actor()).await.unwrap();
        assert_eq!(search(&index, store, &party("state:DE"), "nightjar").await.total, 2);

        // The RED incident is found by its named recipient only.
        let officer = Access { open: vec![Tlp::Clear, Tlp::Green], granted: vec![(Tlp::Red, vec!["account:fr-officer".into()])] };
        assert_eq!(search(&index, store, &officer, "\"human source\"").await.total, 1);
        db.drop_db().await;
    }
}

#[tokio::test]
async fn words_in_restricted_incidents_do_not_move_the_order_of_public_hits() {
    for db in TestDb::both().await {
        let store = &db.store;
        // Two public incidents alike but for one word each and one word of length: with
        // the two words weighed alike, the shorter description ranks first.
        let public_pair = vec![
            record(1, "Zebra intrusion", "Operators found a zebra implant.", Tlp::Clear, "FR", Sector::Government, None),
            record(2, "Okapi intrusion", "Operators found an okapi implant today.", Tlp::Clear, "FR", Sector::Government, None),
        ];
        store.import_records(public_pair.clone(), &actor(), |_| {}).await.unwrap();
        let index = SearchIndex::open(None).unwrap();
        let before = search(&index, store, &public(), "zebra OR okapi").await;
        assert_eq!(titles(&public_pair, &before), vec!["Zebra intrusion", "Okapi intrusion"]);

        // Then many restricted incidents say "zebra". Over the whole index, BM25 would
        // weigh "zebra" less and the okapi incident would overtake: the public would learn
        // that restricted records say "zebra".
        let restricted: Vec<IncidentRecord> = (3..=22).map(|n| record(n, &format!("Zebra case {n}"), "zebra zebra zebra", if n % 2 == 0 { Tlp::Amber } else { Tlp::Red }, "DE", Sector::Energy, None)).collect();
        store.import_records(restricted, &actor(), |_| {}).await.unwrap();
        let after = search(&index, store, &public(), "zebra OR okapi").await;
        assert_eq!(after.total, 2);
        assert_eq!(titles(&public_pair, &after), titles(&public_pair, &before), "{}", store.backend());
        // A party that reads GREEN too sees the same order as the public does.
        assert_eq!(search(&index, store, &party("state:DE"), "zebra OR okapi").await.ids, before.ids);
        db.drop_db().await;
    }
}

#[tokio::test]
async fn the_index_follows_the_log_across_writes_re_markings_and_restarts() {
    for db in TestDb::both().await {
        let store = &db.store;
        let dir = index_dir(&db);
        let mut records: Vec<IncidentRecord> = (1..=5).map(|n| record(n, &format!("Kestrel case {n}"), "Kestrel.", Tlp::Clear, "EE", Sector::Finance, None)).collect();
        store.import_records(records.clone(), &actor(), |_| {}).await.unwrap();
        let index = SearchIndex::open(dir.as_deref()).unwrap();
        assert_eq!(index.catch_up(store).await.unwrap(), 5);
        assert_eq!(search(&index, store, &public(), "kestrel").await.total, 5);

        // A report after the index was built is found by the next search.
        let (_, _) = store.report_incident(record(6, "Kestrel case 6", "Kestrel.", Tlp::Clear, "EE", Sector::Finance, None), &actor()).await.unwrap();
        assert_eq!(search(&index, store, &public(), "kestrel").await.total, 6);

        // Re-marking an incident RED (a changed source re-imported) hides it from the next
        // public search: the index catches up before it answers.
        records[0].incident.tlp = Tlp::Red;
        records[0].source_hash = Some("re-marked".into());
        let outcome = store.import_records(vec![records[0].clone()], &actor(), |_| {}).await.unwrap();
        assert_eq!(outcome.updated, 1);
        let hits = search(&index, store, &public(), "kestrel").await;
        assert_eq!(hits.total, 5);
        assert!(!hits.ids.contains(&records[0].incident.id));
        // Its text changed too: the old words no longer find it, the new ones do.
        records[1].incident.title = "Osprey case".into();
        records[1].incident.description = "Osprey.".into();
        records[1].source_hash = Some("renamed".into());
        store.import_records(vec![records[1].clone()], &actor(), |_| {}).await.unwrap();
        assert_eq!(search(&index, store, &public(), "kestrel").await.total, 4);
        assert_eq!(search(&index, store, &public(), "osprey").await.ids, vec![records[1].incident.id]);
        assert_eq!(index.len(), 6, "an update replaces the document, it does not add one");

        if let Some(dir) = &dir {
            // A restart reads only what changed while the server was down.
            let covered = index.covered();
            drop(index);
            store.report_incident(record(7, "Kestrel case 7", "Kestrel.", Tlp::Clear, "EE", Sector::Finance, None), &actor()).await.unwrap();
            let reopened = SearchIndex::open(Some(dir)).unwrap();
            assert_eq!(reopened.covered(), covered);
            assert_eq!(reopened.catch_up(store).await.unwrap(), 1, "only the new report is indexed");
            assert_eq!(search(&reopened, store, &public(), "kestrel").await.total, 5);
            drop(reopened);

            // An index from another schema version is rebuilt from scratch.
            let meta = dir.join("meta.json");
            let text = std::fs::read_to_string(&meta).unwrap();
            let current = format!("\\\"schema\\\":{}", pacta_search::SCHEMA_VERSION);
            assert!(text.contains(&current), "{text}");
            std::fs::write(&meta, text.replace(&current, "\\\"schema\\\":999")).unwrap();
            let rebuilt = SearchIndex::open(Some(dir)).unwrap();
            assert_eq!(rebuilt.covered(), 0);
            assert_eq!(rebuilt.catch_up(store).await.unwrap(), 7);
            assert_eq!(search(&rebuilt, store, &public(), "kestrel").await.total, 5);
            drop(rebuilt);

            // A missing index is rebuilt too.
            std::fs::remove_dir_all(dir).unwrap();
            let rebuilt = SearchIndex::open(Some(dir)).unwrap();
            assert_eq!(search(&rebuilt, store, &public(), "kestrel").await.total, 5);
            drop(rebuilt);
            std::fs::remove_dir_all(dir).unwrap();
        }
        db.drop_db().await;
    }
}

/// The first pages of the incident list come from the index; they must be the store's
/// pages exactly: the same incidents, in the same order, with the same total, for every
/// audience and filter (the EuRepoC sample has undated incidents and shared dates).
#[tokio::test]
async fn the_index_lists_exactly_what_the_store_lists() {
    for db in TestDb::both().await {
        let store = &db.store;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/eurepoc-1.1-even");
        let mut records = pacta_import::eurepoc::read_dir(&dir).unwrap().records;
        for (k, r) in records.iter_mut().enumerate() {
            if k % 5 == 0 {
                r.incident.tlp = Tlp::Green;
            } else if k % 7 == 0 {
                r.incident.tlp = Tlp::Amber;
            }
        }
        store.import_records(records.clone(), &actor(), |_| {}).await.unwrap();
        for r in records.iter().filter(|r| r.incident.tlp == Tlp::Amber).step_by(3) {
            store.share_incident(r.incident.id, &["state:FR".to_string()], &actor()).await.unwrap();
        }
        let index = SearchIndex::open(None).unwrap();
        let filters = [
            IncidentFilter::default(),
            IncidentFilter { state: Some(state("UA")), ..Default::default() },
            IncidentFilter { alleged_state: Some(state("RU")), sector: Some(Sector::Government), ..Default::default() },
            IncidentFilter { operation_type: Some(OperationType::Ransomware), ..Default::default() },
            IncidentFilter { from: chrono::NaiveDate::from_ymd_opt(2019, 1, 1), to: chrono::NaiveDate::from_ymd_opt(2021, 6, 30), ..Default::default() },
            IncidentFilter { target_state: Some(state("US")), max_tlp: Some(Tlp::Clear), ..Default::default() },
        ];
        for access in [public(), party("state:FR"), party("state:DE"), Access::default()] {
            for filter in &filters {
                let scoped = IncidentFilter { access: Some(access.clone()), ..filter.clone() };
                let want_total = store.count_incidents(&scoped).await.unwrap();
                for (limit, offset) in [(50, 0), (20, 40), (200, 100)] {
                    let want: Vec<IncidentId> = store.list_incidents(&scoped, limit, offset).await.unwrap().iter().map(|s| s.id).collect();
                    let got = index.list(store, &access, filter, limit as usize, offset as usize).await.unwrap();
                    assert_eq!(got.total, want_total, "{access:?} {filter:?}");
                    assert_eq!(got.ids, want, "{} {access:?} {filter:?} limit {limit} offset {offset}", store.backend());
                }
            }
        }
        // A list page may go deeper than a ranked one: past the end, it is empty, with the total.
        let all = IncidentFilter { access: Some(public()), ..Default::default() };
        let deep = index.list(store, &public(), &IncidentFilter::default(), 50, 20_000).await.unwrap();
        assert_eq!((deep.ids.len() as u64, deep.total), (0, store.count_incidents(&all).await.unwrap()));
        // Ten billion deep costs what the last page costs: the heap is never larger than
        // the index (an anonymous request once asked for 320 GB this way).
        let abyss = index.list(store, &public(), &IncidentFilter::default(), 50, 10_000_000_000).await.unwrap();
        assert_eq!((abyss.ids.len() as u64, abyss.total), (0, deep.total));
        let last = index.list(store, &public(), &IncidentFilter::default(), 50, deep.total as usize - 3).await.unwrap();
        let want: Vec<IncidentId> = store.list_incidents(&all, 50, deep.total - 3).await.unwrap().iter().map(|s| s.id).collect();
        assert_eq!((last.ids.len(), &last.ids), (3, &want));
        db.drop_db().await;
    }
}
