//! What the storage stories share: a scratch directory, running a story on both
//! databases, and parties with registered keys. Each test file takes what it needs.
#![allow(dead_code)]

use pacta_core::*;
use pacta_ladder::Dossier;
use pacta_ledger::note::NoteSigner;
use pacta_store::Store;
use std::path::PathBuf;

/// A scratch directory for one story (a vault, tools, scratch runs), removed at the end.
pub struct Dir(pub PathBuf);

impl Dir {
    pub fn new(tag: &str) -> Dir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let d = std::env::temp_dir().join(format!("pacta-store-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a story once on SQLite and once on PostgreSQL (see `TestDb::both`), each on a
/// fresh database that is dropped afterwards.
#[macro_export]
macro_rules! on_both {
    (|$db:ident| $body:block) => {{
        for $db in pacta_store::testing::TestDb::both().await {
            eprintln!("-- on {}", $db.store.backend());
            $body
            $db.drop_db().await;
        }
    }};
}

pub fn party(s: &str) -> PartyId {
    PartyId::parse("party", s).unwrap()
}

pub fn state(c: &str) -> StateCode {
    StateCode::parse("state", c).unwrap()
}

/// A party with a registered signing key (which registers the party too).
pub async fn register(store: &Store, p: &PartyId, seed: u8) -> NoteSigner {
    let signer = NoteSigner::from_seed(p.as_str(), [seed; 32]).unwrap();
    store.register_party_key(p, p, &signer.verifier().to_vkey()).await.unwrap();
    signer
}

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339()
}

/// What `viewer` knows of `incident`, gathered as the CLI's planner gathers it: the claims,
/// stances and measures it may see, the compliance record, and the facts the forum's
/// consultations it may read established.
pub async fn dossier(store: &Store, incident: IncidentId, viewer: &PartyId) -> Dossier {
    let stored = store.get_incident(&incident.to_string()).await.unwrap().unwrap();
    let w = store.workflow_of(incident, Some(viewer)).await.unwrap();
    let consultations: Vec<_> = w.consultations.into_iter().map(|c| c.consultation).collect();
    Dossier {
        incident: Some(stored.record.incident),
        parties: w.parties,
        claims: w.claims.into_iter().map(|c| c.version).collect(),
        stances: w.stances.into_iter().map(|s| s.stance).collect(),
        compliance: w.compliance.into_iter().map(|c| c.event).collect(),
        measures: w.measures.into_iter().map(|m| m.measure).collect(),
        facts: pacta_forum::consult::incident_facts(&consultations),
    }
}

/// `by`'s proposal of a countermeasure against `against`: suspending a data-sharing
/// arrangement, marked AMBER, not urgent.
pub fn countermeasure(incident: IncidentId, by: &PartyId, against: StateCode) -> Measure {
    Measure {
        id: ResponseId::new(),
        incident,
        by: by.clone(),
        with: vec![],
        against,
        rung: "countermeasures".into(),
        description: "Suspend the bilateral data-sharing arrangement.".into(),
        urgent: false,
        tlp: Tlp::Amber,
        state: MeasureState::Proposed,
        history: vec![MeasureStep { state: MeasureState::Proposed, at: now(), by: by.clone(), note: String::new() }],
        kept_despite_lift_condition: None,
        joined: vec![],
        left: vec![],
        withdrawn: vec![],
    }
}

/// Runs SQL behind the store's back, as an intruder with database access would.
pub async fn tamper(url: &str, sql: &str) {
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
}
