//! Statistics by aggregate query equal statistics by reading every incident: the public
//! statistics and state pages used to load each visible incident on its own; now they
//! ask `Store::stats(&filter)` and `Store::attributions_of(&filter)`. This story keeps
//! the old computation here, written out, and checks that both agree for several
//! audiences and filters, on SQLite and PostgreSQL.
//!
//! Run: `CI=true cargo test -p pacta-store --test stats`.

use pacta_core::*;
use pacta_store::testing::TestDb;
use pacta_store::{Access, IncidentFilter, IncidentSummary, Stats, Store};
use std::path::Path;

fn sample() -> Vec<IncidentRecord> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/eurepoc-1.1-even");
    pacta_import::eurepoc::read_dir(&dir).unwrap().records
}

fn france() -> PartyId {
    PartyId::parse("party", "state:FR").unwrap()
}

fn actor() -> PartyId {
    PartyId::parse("actor", "org:secretariat").unwrap()
}

/// The old way: page through the list, load each incident whole, tally in Rust.
async fn by_reading_every_incident(store: &Store, filter: &IncidentFilter) -> (Stats, Vec<(IncidentSummary, Attribution)>) {
    let mut s = Stats::default();
    let mut claims = Vec::new();
    let mut offset = 0;
    loop {
        let page = store.list_incidents(filter, 200, offset).await.unwrap();
        for summary in &page {
            let found = store.get_incident(&summary.id.to_string()).await.unwrap().unwrap();
            let r = &found.record;
            let i = &r.incident;
            s.incidents += 1;
            // The claims that stand: imported ones, as the registry's public versions
            // amend, withdraw or add to them.
            // France made every claim in the registry, so it reads every version; the
            // index of claims holds private ones too (its caller decides per viewer),
            // the counts public ones only.
            let mut standing = r.attributions.clone();
            for c in store.claims_of(i.id, Some(&france())).await.unwrap() {
                if !c.imported {
                    c.version.apply_to(&mut standing);
                }
            }
            for a in &standing {
                claims.push((summary.clone(), a.clone()));
            }
            standing.retain(|a| a.visibility == Visibility::Public);
            s.attributions += standing.len() as u64;
            s.responses += r.responses.len() as u64;
            s.external_assessments += u64::from(r.external.as_ref().is_some_and(|x| !x.is_empty()));
            *s.by_year.entry(i.year().map(|y| y.to_string()).unwrap_or_else(|| "undated".into())).or_default() += 1;
            let mut sectors: Vec<&str> = i.targets.iter().map(|t| t.sector.label()).collect();
            sectors.sort_unstable();
            sectors.dedup();
            for x in sectors {
                *s.by_sector.entry(x.to_string()).or_default() += 1;
            }
            for o in &i.operation_types {
                *s.by_operation_type.entry(o.label().to_string()).or_default() += 1;
            }
            for c in &summary.alleged_states {
                *s.by_alleged_state.entry(c.to_string()).or_default() += 1;
            }
            for c in &summary.target_states {
                *s.by_target_state.entry(c.to_string()).or_default() += 1;
            }
        }
        if page.len() < 200 {
            break;
        }
        offset += 200;
    }
    (s, claims)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregate_statistics_equal_a_pass_over_every_visible_incident() {
    for db in TestDb::both().await {
        let store = &db.store;
        let backend = store.backend();
        let mut records = sample();
        // Re-mark some so that audiences differ: every fifth GREEN, every seventh AMBER.
        for (k, r) in records.iter_mut().enumerate() {
            if k % 5 == 0 {
                r.incident.tlp = Tlp::Green;
            } else if k % 7 == 0 {
                r.incident.tlp = Tlp::Amber;
            }
        }
        store.import_records(records.clone(), &actor(), |_| {}).await.unwrap();
        let amber: Vec<IncidentId> = records.iter().filter(|r| r.incident.tlp == Tlp::Amber).map(|r| r.incident.id).collect();
        for id in amber.iter().step_by(2) {
            store.share_incident(*id, &["state:FR".to_string()], &actor()).await.unwrap();
        }

        // Claims made in the registry count too: France makes a public claim, amends it,
        // makes a second and withdraws it; a private claim counts for no audience.
        let france = france();
        let key = pacta_ledger::note::NoteSigner::from_seed("state:FR", [3; 32]).unwrap();
        store.register_party_key(&france, &france, &key.verifier().to_vkey()).await.unwrap();
        let clear: Vec<IncidentId> = records.iter().filter(|r| r.incident.tlp == Tlp::Clear).map(|r| r.incident.id).collect();
        let claim = |incident: IncidentId, visibility: Visibility| Attribution {
            id: AttributionId::new(),
            incident,
            attributors: vec![france.clone()],
            attributor_label: None,
            actor_name: None,
            actor_state: Some(StateCode::parse("state", "RU").unwrap()),
            actor_category: ActorCategory::State,
            basis: AttributionBasis::TechnicalReport,
            confidence: Some(Confidence::Likely),
            visibility,
            date: None,
            origin_ref: None,
        };
        let made = store.make_claim(&france, claim(clear[0], Visibility::Public), vec![]).await.unwrap();
        let mut firmer = made.version.attribution.clone();
        firmer.confidence = Some(Confidence::VeryLikely);
        store.amend_claim(&france, firmer.id, firmer, vec![], "new telemetry").await.unwrap();
        let second = store.make_claim(&france, claim(clear[1], Visibility::Public), vec![]).await.unwrap();
        store.withdraw_claim(&france, second.version.attribution.id, "mistaken").await.unwrap();
        store.make_claim(&france, claim(clear[2], Visibility::Private { shared_with: vec![PartyId::parse("party", "state:DE").unwrap()] }), vec![]).await.unwrap();

        let public = Access { open: vec![Tlp::Clear], granted: vec![] };
        let france = Access { open: vec![Tlp::Clear, Tlp::Green], granted: vec![(Tlp::Amber, vec!["state:FR".into()])] };
        let germany = Access { open: vec![Tlp::Clear, Tlp::Green], granted: vec![(Tlp::Amber, vec!["state:DE".into()])] };
        let nobody = Access::default();
        let ua = StateCode::parse("state", "UA").unwrap();
        let ru = StateCode::parse("state", "RU").unwrap();
        let filters = [
            IncidentFilter::default(),
            IncidentFilter { access: Some(public.clone()), ..Default::default() },
            IncidentFilter { access: Some(france), ..Default::default() },
            IncidentFilter { access: Some(germany), ..Default::default() },
            IncidentFilter { access: Some(nobody), ..Default::default() },
            IncidentFilter { access: Some(public.clone()), state: Some(ua), ..Default::default() },
            IncidentFilter { access: Some(public), alleged_state: Some(ru), sector: Some(Sector::Government), ..Default::default() },
        ];
        let mut distinct = std::collections::BTreeSet::new();
        for filter in &filters {
            let (old, old_claims) = by_reading_every_incident(store, filter).await;
            let new = store.stats(filter).await.unwrap();
            let what = format!("{backend}, {filter:?}");
            assert_eq!(new.incidents, old.incidents, "{what}");
            assert_eq!(new.attributions, old.attributions, "{what}");
            assert_eq!(new.responses, old.responses, "{what}");
            assert_eq!(new.external_assessments, old.external_assessments, "{what}");
            assert_eq!(new.by_year, old.by_year, "{what}");
            assert_eq!(new.by_sector, old.by_sector, "{what}");
            assert_eq!(new.by_operation_type, old.by_operation_type, "{what}");
            assert_eq!(new.by_alleged_state, old.by_alleged_state, "{what}");
            assert_eq!(new.by_target_state, old.by_target_state, "{what}");
            let claims = store.attributions_of(filter).await.unwrap();
            let key = |v: &[(IncidentSummary, Attribution)]| v.iter().map(|(s, a)| (s.id, s.title.clone(), a.id)).collect::<Vec<_>>();
            assert_eq!(key(&claims), key(&old_claims), "{what}: the same claims in the same order");
            distinct.insert(new.incidents);
        }
        assert!(distinct.len() >= 5, "the audiences and filters really differ: {distinct:?}");
        // The index of who attributed what holds France's claims as they stand.
        let index = store.attributions_of(&filters[0]).await.unwrap();
        let mine: Vec<&Attribution> = index.iter().map(|(_, a)| a).filter(|a| a.attributors.contains(&self::france())).collect();
        assert_eq!(mine.len(), 2, "{backend}: the amended claim and the private one; the withdrawn one is gone");
        assert!(mine.iter().any(|a| a.id == made.version.attribution.id && a.confidence == Some(Confidence::VeryLikely)), "{backend}: at its latest version");
        assert!(!mine.iter().any(|a| a.id == second.version.attribution.id), "{backend}: withdrawn");

        // A reader's counts are the sum of disjoint parts, as the server composes them:
        // each marking it reads outright (shared by every reader of that marking), then
        // the incidents shared with it by name alone.
        for access in filters.iter().filter_map(|f| f.access.clone()) {
            let whole = store.stats(&IncidentFilter { access: Some(access.clone()), ..Default::default() }).await.unwrap();
            let mut parts = Stats::default();
            let by_marking = store.stats_by_marking(&IncidentFilter::default()).await.unwrap();
            for marking in &access.open {
                let only = Access { open: vec![*marking], granted: vec![] };
                let alone = store.stats(&IncidentFilter { access: Some(only), ..Default::default() }).await.unwrap();
                assert_eq!(by_marking.get(marking).map(|s| s.incidents).unwrap_or(0), alone.incidents, "{backend}: one pass counts {marking:?} as a pass over it alone does");
                parts.add(by_marking.get(marking).unwrap_or(&Stats::default()));
            }
            let shared = Access { open: vec![], granted: access.granted.clone() };
            let shared = store.stats(&IncidentFilter { access: Some(shared), ..Default::default() }).await.unwrap();
            parts.add(&shared);
            let what = format!("{backend}, {access:?}");
            assert_eq!((parts.incidents, parts.attributions, parts.responses, parts.external_assessments), (whole.incidents, whole.attributions, whole.responses, whole.external_assessments), "{what}");
            assert_eq!((&parts.by_year, &parts.by_sector, &parts.by_operation_type), (&whole.by_year, &whole.by_sector, &whole.by_operation_type), "{what}");
            assert_eq!((&parts.by_alleged_state, &parts.by_target_state), (&whole.by_alleged_state, &whole.by_target_state), "{what}");
            if access.granted.iter().any(|(_, g)| g.iter().any(|g| g == "state:FR")) {
                assert!(shared.incidents > 0, "France's shared part is not empty: {what}");
            }
        }
        assert!(store.stats(&filters[0]).await.unwrap().attributions > 1000, "the sample has claims to count");
        db.drop_db().await;
    }
}
