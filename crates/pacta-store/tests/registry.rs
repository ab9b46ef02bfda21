//! The registry's storage stories, each run on SQLite and on PostgreSQL.

use pacta_core::*;
use pacta_store::testing::TestDb;
use pacta_store::{IncidentFilter, Store};
use std::path::Path;

mod support;
use support::tamper;

fn sample() -> Vec<IncidentRecord> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/eurepoc-1.1-even");
    pacta_import::eurepoc::read_dir(&dir).unwrap().records
}

fn importer() -> PartyId {
    PartyId::parse("actor", "org:secretariat").unwrap()
}

fn state(c: &str) -> StateCode {
    StateCode::parse("state", c).unwrap()
}

/// Runs `story` once per backend, each on a fresh database.
macro_rules! on_both {
    (|$store:ident| $body:block) => {{
        for db in TestDb::both().await {
            let backend = db.store.backend();
            {
                let $store: &Store = &db.store;
                eprintln!("-- on {backend}");
                $body
            }
            db.drop_db().await;
        }
    }};
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importing_the_eurepoc_sample_twice_changes_nothing_the_second_time() {
    on_both!(|store| {
        let first = store.import_records(sample(), &importer(), |_| {}).await.unwrap();
        assert_eq!(first.inserted, 820);
        assert_eq!(first.unchanged, 0);
        assert!(first.attributions > 1000, "{first:?}");
        assert_eq!(first.log_entries, 820, "one log entry per incident record");
        assert_eq!(first.log_size, 820);

        let again = store.import_records(sample(), &importer(), |_| {}).await.unwrap();
        assert_eq!((again.inserted, again.updated, again.unchanged, again.log_entries), (0, 0, 820, 0));
        assert_eq!(store.log_size().await.unwrap(), 820, "an unchanged re-import appends nothing to the log");
        assert_eq!(store.stats(&IncidentFilter::default()).await.unwrap().incidents, 820);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_that_fails_in_its_second_batch_leaves_nothing_of_its_first() {
    on_both!(|store| {
        // A full first batch (the sample, topped up with synthetic incidents), then one
        // record the database refuses: it reuses a claim id of the first batch. Nothing
        // in the record itself is invalid, so only the write can find the clash.
        let mut records = sample();
        let first_batch = pacta_store::write::BATCH as u64;
        records.extend((records.len() as u64..first_batch).map(|n| pacta_import::synthetic::incident(7, n)));
        let mut clash = records.iter().find(|r| !r.attributions.is_empty()).unwrap().clone();
        clash.set_incident_id(IncidentId::new());
        clash.incident.origin = Some(Origin { dataset: Dataset::Eurepoc, record_id: "999999".into() });
        records.push(clash);
        assert!(store.import_records(records, &importer(), |_| {}).await.is_err(), "the clash is refused");
        assert_eq!(store.log_size().await.unwrap(), 0, "no log entry of the first batch survives");
        assert_eq!(store.stats(&IncidentFilter::default()).await.unwrap().incidents, 0, "no incident of the first batch survives");
        // The same import without the clash goes through whole.
        let outcome = store.import_records(sample(), &importer(), |_| {}).await.unwrap();
        assert_eq!((outcome.inserted, outcome.log_size), (820, 820));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_source_row_updates_the_incident_in_place_and_is_logged() {
    on_both!(|store| {
        let records = sample();
        store.import_records(records.clone(), &importer(), |_| {}).await.unwrap();
        let before = store.get_incident("eurepoc:2").await.unwrap().unwrap();

        let mut changed = sample();
        let r = changed.iter_mut().find(|r| r.incident.origin.as_ref().unwrap().record_id == "2").unwrap();
        r.incident.title = "Corrected title".into();
        r.source_hash = Some("a different source row".into());
        let outcome = store.import_records(changed, &importer(), |_| {}).await.unwrap();
        assert_eq!((outcome.inserted, outcome.updated, outcome.unchanged), (0, 1, 819));

        let after = store.get_incident("eurepoc:2").await.unwrap().unwrap();
        assert_eq!(after.record.incident.id, before.record.incident.id, "an update keeps the incident's id");
        assert_eq!(after.record.incident.title, "Corrected title");
        assert_eq!(after.record.attributions.len(), before.record.attributions.len());
        // The read gives every claim a fresh id; the store keeps the ones it holds, so a
        // state's endorsement of an imported claim still answers it after the update.
        let ids = |s: &pacta_store::StoredIncident| s.record.attributions.iter().map(|a| a.id).collect::<Vec<_>>();
        assert_eq!(ids(&after), ids(&before), "an update keeps the ids of the claims the source still makes");
        assert_eq!(after.log_index, 820);
        let entry = &store.log_entries(820, 821).await.unwrap()[0];
        assert_eq!(entry.kind, "incident.updated");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incidents_can_be_found_by_state_sector_type_date_and_text() {
    on_both!(|store| {
        store.import_records(sample(), &importer(), |_| {}).await.unwrap();
        let all = store.count_incidents(&IncidentFilter::default()).await.unwrap();
        assert_eq!(all, 820);

        let ukraine = IncidentFilter { state: Some(state("UA")), ..Default::default() };
        let hits = store.list_incidents(&ukraine, 1000, 0).await.unwrap();
        assert!(!hits.is_empty());
        assert!(hits.iter().all(|h| h.target_states.contains(&state("UA")) || h.alleged_states.contains(&state("UA"))));

        let energy = IncidentFilter { sector: Some(Sector::Energy), ..Default::default() };
        let n_energy = store.count_incidents(&energy).await.unwrap();
        assert!(n_energy > 10 && n_energy < 820, "{n_energy}");

        let ransomware = IncidentFilter { operation_type: Some(OperationType::Ransomware), ..Default::default() };
        for h in store.list_incidents(&ransomware, 1000, 0).await.unwrap() {
            assert!(h.operation_types.contains(&OperationType::Ransomware));
        }

        let from = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let to = chrono::NaiveDate::from_ymd_opt(2020, 12, 31).unwrap();
        let in_2020 = store.list_incidents(&IncidentFilter { from: Some(from), to: Some(to), ..Default::default() }, 1000, 0).await.unwrap();
        assert!(!in_2020.is_empty());
        assert!(in_2020.iter().all(|h| h.start_date.is_some_and(|d| d >= from && d <= to)));
        let stats = store.stats(&IncidentFilter::default()).await.unwrap();
        assert_eq!(in_2020.len() as u64, stats.by_year["2020"]);

        let text = IncidentFilter { text: Some("ARMENIA".into()), ..Default::default() };
        let found = store.list_incidents(&text, 1000, 0).await.unwrap();
        assert!(found.iter().any(|h| h.origin.as_deref() == Some("eurepoc:2")), "text search is case-insensitive");
        let literal = IncidentFilter { text: Some("100%_".into()), ..Default::default() };
        assert_eq!(store.count_incidents(&literal).await.unwrap(), 0, "wildcards in the text are matched literally");

        // Pages do not overlap.
        let p1 = store.list_incidents(&IncidentFilter::default(), 10, 0).await.unwrap();
        let p2 = store.list_incidents(&IncidentFilter::default(), 10, 10).await.unwrap();
        assert!(p1.iter().all(|a| p2.iter().all(|b| a.id != b.id)));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_shows_its_claims_responses_and_the_experts_view_apart_from_the_facts() {
    on_both!(|store| {
        store.import_records(sample(), &importer(), |_| {}).await.unwrap();
        let stats = store.stats(&IncidentFilter::default()).await.unwrap();
        assert!(stats.external_assessments >= 90);
        assert_eq!(stats.by_year.values().sum::<u64>(), 820);

        // Find one with expert coding and check it round-trips whole.
        let records = sample();
        let coded = records.iter().find(|r| r.external.is_some() && !r.attributions.is_empty()).unwrap();
        let key = format!("eurepoc:{}", coded.incident.origin.as_ref().unwrap().record_id);
        let stored = store.get_incident(&key).await.unwrap().unwrap();
        assert_eq!(stored.record.external.as_ref().map(|e| &e.legal_response), coded.external.as_ref().map(|e| &e.legal_response));
        assert_eq!(stored.record.attributions.len(), coded.attributions.len());
        assert_eq!(stored.record.incident.targets, coded.incident.targets);
        let by_id = store.get_incident(&stored.record.incident.id.to_string()).await.unwrap().unwrap();
        assert_eq!(by_id.record.incident, stored.record.incident);
        // EuRepoC's own files write the number as "12.0" too; a reader copying it finds it.
        let record_id = &coded.incident.origin.as_ref().unwrap().record_id;
        for spelling in [format!("eurepoc:{record_id}.0"), format!("eurepoc:0{record_id}"), format!("eurepoc: {record_id}")] {
            let found = store.get_incident(&spelling).await.unwrap().unwrap_or_else(|| panic!("{spelling} not found"));
            assert_eq!(found.record.incident.id, stored.record.incident.id);
        }
        assert!(store.get_incident("eurepoc:999999").await.unwrap().is_none());
        assert!(store.get_incident("not an id").await.is_err());
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_is_a_canonical_log_entry_with_its_kind_actor_and_time() {
    on_both!(|store| {
        let mut incident = Incident::new("Reported by hand", Tlp::Clear);
        incident.targets.push(Target { state: Some(state("EE")), place: None, sector: Sector::Finance, entity: None });
        let actor = PartyId::parse("actor", "state:EE").unwrap();
        let (id, index) = store.report_incident(IncidentRecord::new(incident), &actor).await.unwrap();
        assert_eq!(index, 0);
        let entries = store.log_entries(0, 10).await.unwrap();
        assert_eq!(entries.len(), 1);
        let e = &entries[0];
        let v: serde_json::Value = serde_json::from_slice(&e.entry).unwrap();
        assert_eq!(v["kind"], "incident.reported");
        assert_eq!(v["actor"], "state:EE");
        assert_eq!(v["record"]["incident"]["id"], id.to_string());
        assert!(chrono::DateTime::parse_from_rfc3339(v["time"].as_str().unwrap()).is_ok());
        assert_eq!(serde_json::to_string(&v).unwrap().as_bytes(), &e.entry[..], "entries are canonical JSON");
        assert_eq!(e.leaf_hash, pacta_store::write::leaf_hash(&e.entry));
        assert_eq!(store.log_leaf_hashes(0, 1).await.unwrap(), vec![e.leaf_hash]);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_record_is_refused_by_field_and_nothing_is_written() {
    on_both!(|store| {
        let mut records = sample();
        records.truncate(5);
        records[3].incident.title = "   ".into();
        let err = store.import_records(records, &importer(), |_| {}).await.unwrap_err().to_string();
        assert!(err.contains("title"), "{err}");
        assert_eq!(store.stats(&IncidentFilter::default()).await.unwrap().incidents, 0, "the whole batch was refused");
        assert_eq!(store.log_size().await.unwrap(), 0);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_log_seals_an_amber_change_without_revealing_what_it_was_or_who_made_it() {
    on_both!(|store| {
        let mut incident = Incident::new("Confidential intrusion at the ministry", Tlp::Amber);
        incident.description = "Details only the affected parties may read.".into();
        incident.targets.push(Target { state: Some(state("LT")), place: None, sector: Sector::Government, entity: None });
        let actor = PartyId::parse("actor", "state:LT").unwrap();
        let (id, index) = store.report_incident(IncidentRecord::new(incident), &actor).await.unwrap();
        let entry = &store.log_entries(index, index + 1).await.unwrap()[0];
        let text = String::from_utf8(entry.entry.clone()).unwrap();
        for secret in ["Confidential", "ministry", &id.to_string(), "state:LT", "incident.reported"] {
            assert!(!text.contains(secret), "the public entry shows {secret:?}: {text}");
        }
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["kind"], "sealed");
        assert_eq!(v["record"]["tlp"], "AMBER");
        assert!(v.get("actor").is_none(), "{text}");
        assert_eq!(pacta_store::log::public_kind(&entry.entry), "sealed");
        // The store still knows what the entry is, for its own checks.
        assert_eq!(entry.kind, "incident.reported");
        // The registry checks the entry with the actor, the kind and the salt it keeps;
        // without the salt, guessing the actor and kind of a known record gets nowhere.
        let stored = store.get_incident(&id.to_string()).await.unwrap().unwrap();
        let record_json = pacta_store::write::record_json(&stored.record).unwrap();
        let salt = entry.salt.clone().expect("a sealed entry keeps its salt");
        assert_eq!(salt.len(), 32);
        assert_eq!(v["record"]["sha256"], pacta_store::log::seal("state:LT", "incident.reported", &record_json, &salt));
        assert_eq!(v["record"]["kind_sha256"], pacta_store::log::seal_kind("incident.reported", &salt));
        assert_ne!(v["record"]["sha256"], pacta_store::log::seal("state:LT", "incident.reported", &record_json, ""));
        assert_ne!(v["record"]["sha256"], pacta_store::log::seal("state:LV", "incident.reported", &record_json, &salt));
        // The digest is of the documented form, which a verifier rebuilds without our code.
        let documented = format!("{{\"actor\":\"state:LT\",\"kind\":\"incident.reported\",\"record\":{record_json},\"salt\":\"{salt}\"}}");
        use sha2::Digest;
        assert_eq!(v["record"]["sha256"], hex::encode(sha2::Sha256::digest(documented.as_bytes())));
    });
}

/// Lithuania reports an AMBER intrusion: the public log shows a sealed entry, and the
/// registry keeps what opens it, for Lithuania to show anyone later. A GREEN import keeps
/// none (its records are a data set's rows). An opening edited in the database no longer
/// reproduces its entry, and the registry's check says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealed_report_keeps_its_opening_for_its_reporter_and_an_edited_opening_is_named() {
    for db in TestDb::both().await {
        let store = &db.store;
        let mut incident = Incident::new("Confidential intrusion at the ministry", Tlp::Amber);
        incident.targets.push(Target { state: Some(state("LT")), place: None, sector: Sector::Government, entity: None });
        let actor = PartyId::parse("actor", "state:LT").unwrap();
        let (_, index) = store.report_incident(IncidentRecord::new(incident), &actor).await.unwrap();
        let entry = store.log_entries(index, index + 1).await.unwrap().remove(0);
        let opening = store.opening(index).await.unwrap().expect("a sealed report keeps its opening");
        assert_eq!((opening.actor.as_str(), opening.kind.as_str(), opening.tlp.as_str()), ("state:LT", "incident.reported", "AMBER"));
        assert_eq!(opening.check(&entry.entry), Ok(()));
        // Each part is held to the entry: another actor, kind or record opens nothing.
        for (what, forged) in [
            ("actor", pacta_store::log::Opening { actor: "state:LV".into(), ..opening.clone() }),
            ("kind", pacta_store::log::Opening { kind: "incident.imported".into(), ..opening.clone() }),
            ("record", pacta_store::log::Opening { record: opening.record.replace("ministry", "embassy"), ..opening.clone() }),
            // The marking as the entry writes it, not another spelling a reader would be shown.
            ("marking", pacta_store::log::Opening { tlp: "amber".into(), ..opening.clone() }),
        ] {
            assert!(forged.check(&entry.entry).is_err(), "a forged {what} opened the entry");
        }

        let mut green = Incident::new("Synthetic GREEN row", Tlp::Green);
        green.origin = Some(Origin { dataset: Dataset::Stix, record_id: "1".into() });
        green.targets.push(Target { state: Some(state("LT")), place: None, sector: Sector::Energy, entity: None });
        store.import_records(vec![IncidentRecord::new(green)], &importer(), |_| {}).await.unwrap();
        assert_eq!(store.opening(index + 1).await.unwrap(), None, "an import keeps no opening");
        // A CLEAR change needs none: it names its actor and record itself.
        assert!(store.opening(u64::MAX >> 2).await.unwrap().is_none());
        assert!(store.verify_log_has_every_record().await.unwrap().ok());

        tamper(&db.url, &format!("UPDATE log_openings SET record = REPLACE(record, 'ministry', 'embassy') WHERE idx = {index}")).await;
        let report = store.verify_log_has_every_record().await.unwrap();
        assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
        assert!(report.problems[0].to_string().contains("has an opening that does not reproduce it"), "{}", report.problems[0]);
        db.drop_db().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_and_its_sharing_list_are_written_and_logged_together_or_not_at_all() {
    for db in TestDb::both().await {
        eprintln!("-- on {}", db.store.backend());
        let store = std::sync::Arc::new(Store::open(&db.url).await.unwrap());
        let (sequencer, tasks) = pacta_store::sequencer::Sequencer::start(store.clone(), None);
        let lithuania = PartyId::parse("actor", "state:LT").unwrap();
        let report = |title: &str| {
            let mut incident = Incident::new(title, Tlp::Amber);
            incident.targets.push(Target { state: Some(state("LT")), place: None, sector: Sector::Government, entity: None });
            IncidentRecord::new(incident)
        };

        // Lithuania reports an AMBER intrusion, shared with Latvia and one of its own officers.
        let record = report("Intrusion at the ministry");
        let id = record.incident.id;
        let shared_with = vec!["state:LV".to_string(), "account:lt-officer".to_string(), "state:LT".to_string()];
        let index = sequencer.submit_shared(record, lithuania.clone(), shared_with).await.unwrap();
        // As soon as the report is acknowledged, the audience is the one asked for...
        assert_eq!(store.incident_grants(id).await.unwrap(), vec!["account:lt-officer", "state:LT", "state:LV"]);
        // ...and the log holds the report and, after it, who it was shared with.
        let entries = store.log_entries(index, index + 2).await.unwrap();
        let kinds: Vec<&str> = entries.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["incident.reported", "incident.shared"]);

        // A sharing list naming nobody valid refuses the whole report, by field and value.
        let size = store.log_size().await.unwrap();
        let refused = report("Second intrusion");
        let refused_id = refused.incident.id;
        let err = sequencer.submit_shared(refused, lithuania.clone(), vec!["the whole world".into()]).await.unwrap_err().to_string();
        assert!(err.contains("shared_with") && err.contains("the whole world"), "{err}");
        assert!(store.get_incident(&refused_id.to_string()).await.unwrap().is_none(), "nothing of the report was written");
        assert_eq!(store.log_size().await.unwrap(), size);

        drop(sequencer);
        tasks.sequencer.await.unwrap();
        drop(store);
        db.drop_db().await;
    }
}

/// Many reports arrive at once, some CLEAR and some AMBER. The sequencer commits them in
/// groups, but never an open report with a sealed one: entries of one transaction share a
/// time and sit side by side, and the open entry names its reporter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_and_sealed_reports_arriving_together_are_never_committed_together() {
    for db in TestDb::both().await {
        let store = std::sync::Arc::new(Store::open(&db.url).await.unwrap());
        let (sequencer, tasks) = pacta_store::sequencer::Sequencer::start(store.clone(), None);
        let sequencer = std::sync::Arc::new(sequencer);
        let lithuania = PartyId::parse("actor", "state:LT").unwrap();
        let mut waiting = Vec::new();
        for n in 0..40 {
            let mut incident = Incident::new(format!("Report {n}"), if n % 2 == 0 { Tlp::Clear } else { Tlp::Amber });
            incident.targets.push(Target { state: Some(state("LT")), place: None, sector: Sector::Government, entity: None });
            let (sequencer, actor) = (sequencer.clone(), lithuania.clone());
            waiting.push(tokio::spawn(async move { sequencer.submit(IncidentRecord::new(incident), actor).await.unwrap() }));
        }
        for w in waiting {
            w.await.unwrap();
        }
        let entries = store.log_entries(0, store.log_size().await.unwrap()).await.unwrap();
        let time = |e: &pacta_store::LogEntry| serde_json::from_slice::<serde_json::Value>(&e.entry).unwrap()["time"].as_str().unwrap().to_string();
        let sealed_times: std::collections::HashSet<String> = entries.iter().filter(|e| e.salt.is_some()).map(time).collect();
        let open: Vec<&pacta_store::LogEntry> = entries.iter().filter(|e| e.salt.is_none()).collect();
        assert_eq!((open.len(), entries.len()), (20, 40), "twenty open reports, twenty sealed");
        for e in open {
            assert!(!sealed_times.contains(&time(e)), "open entry {} was committed with sealed ones", e.index);
        }
        drop(sequencer);
        tasks.sequencer.await.unwrap();
        drop(store);
        db.drop_db().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_literal_text_filter_folds_case_beyond_ascii_and_takes_every_character_literally() {
    on_both!(|store| {
        let mut incident = Incident::new("Angriff auf die ÄRZTEKAMMER Nordrhein", Tlp::Clear);
        incident.description = "Ransomware (variant \"Σ.*\") hit the chamber's [member] portal.".into();
        incident.targets.push(Target { state: Some(state("DE")), place: None, sector: Sector::Health, entity: None });
        let actor = PartyId::parse("actor", "state:DE").unwrap();
        store.report_incident(IncidentRecord::new(incident), &actor).await.unwrap();
        let count = |text: &str| {
            let filter = IncidentFilter { text: Some(text.into()), ..Default::default() };
            async move { store.count_incidents(&filter).await.unwrap() }
        };
        assert_eq!(count("ärztekammer").await, 1, "Ä and ä are one letter to a reader");
        assert_eq!(count("σ.*").await, 1, "so are Σ and σ; and the dot and star are characters, not a pattern");
        assert_eq!(count("Σx*").await, 0);
        assert_eq!(count("[member]").await, 1);
        assert_eq!(count("[mem").await, 1, "an unbalanced bracket is a character too, never an error");
        assert_eq!(count("100%_").await, 0);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_in_registry_order_visits_each_matching_incident_once_even_as_incidents_arrive() {
    on_both!(|store| {
        let mut records = sample();
        for (k, r) in records.iter_mut().enumerate() {
            if k % 3 == 0 {
                r.incident.tlp = Tlp::Green;
            }
        }
        store.import_records(records, &importer(), |_| {}).await.unwrap();
        let public = IncidentFilter { access: Some(pacta_store::Access { open: vec![Tlp::Clear], granted: vec![] }), ..Default::default() };
        let ukraine = IncidentFilter { state: Some(state("UA")), ..public.clone() };
        for (whole, filter) in [(true, &public), (false, &ukraine)] {
            // A download's pass, 37 at a time; an incident reported half way through comes
            // at the end, and nothing is visited twice.
            let (mut seen, mut after, mut pages) = (Vec::new(), None, 0);
            loop {
                let page = store.incidents_after(filter, after, 37).await.unwrap();
                assert!(page.windows(2).all(|w| w[0].0 < w[1].0), "in registry order");
                for (_, found) in &page {
                    // Each as `get_incident` reads it, with everything filed with it.
                    assert_eq!(Some(found), store.get_incident(&found.record.incident.id.to_string()).await.unwrap().as_ref());
                }
                seen.extend(page.iter().map(|(_, found)| found.record.incident.id));
                pages += 1;
                if pages == 3 && whole {
                    let late = Incident::new("Reported during the download", Tlp::Clear);
                    store.report_incident(IncidentRecord::new(late), &importer()).await.unwrap();
                }
                match page.last() {
                    Some((seq, _)) if page.len() == 37 => after = Some(*seq),
                    _ => break,
                }
            }
            let total = store.count_incidents(filter).await.unwrap();
            let mut want: Vec<IncidentId> = store.list_incidents(filter, 2000, 0).await.unwrap().iter().map(|s| s.id).collect();
            assert_eq!(seen.len() as u64, total, "{filter:?}");
            let mut got = seen.clone();
            got.sort();
            got.dedup();
            want.sort();
            assert_eq!(got, want, "every matching incident once: {filter:?}");
            assert!(total > 37 * 3 || !whole, "the pass spans several pages");
        }
        let all = store.incidents_after(&public, None, 2000).await.unwrap();
        assert_eq!(all.last().unwrap().1.record.incident.title, "Reported during the download", "a new incident comes last");
    });
}
