//! One incident's attribution and response workflow, read in one go: its claims with their
//! versions, the stances on them, its consultations, compliance events, measures and
//! evidence, and the parties the claims and stances name.
//!
//! The incident page and every workflow form need all of these together. Read one method
//! at a time (`claims_of`, `stances_of`, `consultations`, ...) they cost about a dozen
//! statements: each method looked the incident's `seq` up again, `stances_of` read the
//! claims a second time to know which were visible, and the named parties came from a read
//! of the whole `parties` table. Here they are four statements (the incident's `seq`, one
//! `UNION ALL` over the six tables filed by `seq`, the evidence, the named parties).
//!
//! Invariants:
//! - **One snapshot.** The four statements run in one read transaction (on PostgreSQL at
//!   `REPEATABLE READ`, whose snapshot is taken once), so a stance is never read without
//!   the claim version it is about, however the workflow is being written meanwhile.
//! - **The same visibility as the single reads.** Each part is filtered by the rule its own
//!   method applies ([`ClaimVersion::visible_to`], stances on visible claims only,
//!   [`consultation_visible_to`], [`measure_for`](crate::measures::measure_for)); evidence is returned whole, as
//!   `list_evidence` returns it, for the caller's policies to decide. A test holds the two
//!   paths to the same answers on both backends.
//! - **Same SQL on both paths.** On SQLite the read runs on `direct`'s read-only
//!   connections, in place; on PostgreSQL through sqlx. Both run the constants below.

use crate::claims::{StoredClaim, StoredStance, corrupt, imported_version, refuse};
use crate::evidence::{EVIDENCE_COLUMNS, Evidence, EvidenceColumns, evidence_columns};
use crate::forum::consult::{StoredConsultation, consultation_visible_to};
use crate::measures::{StoredCompliance, StoredMeasure};
use crate::read::{PartyRow, party_from_parts, parties_by_id};
use crate::{Store, StoreError, on_pool};
use pacta_core::{AttributionId, ClaimVersion, IncidentId, Party, PartyId};
use sqlx::Row;
use std::collections::BTreeSet;

/// The incident's registry position, which the workflow's tables are filed by.
pub(crate) const INCIDENT_SEQ: &str = "SELECT seq FROM incidents WHERE id = $1";

/// Every workflow row filed with the incident `$1` (its `seq`): `(part, body, log_index)`,
/// in each part's own order (the order its single read returns). The fourth and fifth
/// columns are only sort keys: the log index for parts kept in log order, the id for parts
/// kept in id order. Consultations come in ascending id order and are reversed in
/// [`IncidentWorkflow::from_rows`], as `consultations` lists the newest first.
pub(crate) const WORKFLOW_OF_INCIDENT: &str = "SELECT CAST(0 AS BIGINT) AS part, a.body, i.log_index, 0 AS k, a.id FROM attributions a JOIN incidents i ON i.seq = a.incident_seq WHERE a.incident_seq = $1 \
     UNION ALL SELECT 1, body, log_index, log_index, '' FROM claim_versions WHERE incident_seq = $1 \
     UNION ALL SELECT 2, body, log_index, log_index, '' FROM claim_stances WHERE incident_seq = $1 \
     UNION ALL SELECT 3, body, log_index, 0, id FROM consultations WHERE incident_seq = $1 \
     UNION ALL SELECT 4, body, log_index, log_index, '' FROM compliance_events WHERE incident_seq = $1 \
     UNION ALL SELECT 5, body, log_index, 0, id FROM measures WHERE incident_seq = $1 \
     ORDER BY 1, 4, 5";

/// The artefacts held for the incident `$1` (its id), as `list_evidence` orders them.
pub(crate) fn evidence_of_incident() -> String {
    format!("SELECT {EVIDENCE_COLUMNS} FROM evidence WHERE incident_id = $1 ORDER BY log_index, id")
}

/// What one viewer may read of an incident's workflow (see the module's invariants).
#[derive(Clone, Debug, Default)]
pub struct IncidentWorkflow {
    /// Imported claims first (as version 1), then the registry's versions in log order.
    pub claims: Vec<StoredClaim>,
    /// Stances on the visible claims, in log order.
    pub stances: Vec<StoredStance>,
    /// Newest first.
    pub consultations: Vec<StoredConsultation>,
    /// In log order.
    pub compliance: Vec<StoredCompliance>,
    /// In id order.
    pub measures: Vec<StoredMeasure>,
    /// Every artefact held for the incident, unfiltered, in log order.
    pub evidence: Vec<Evidence>,
    /// The registered parties among the visible claims' attributors and the stances'
    /// parties, by id.
    pub parties: Vec<Party>,
}

impl IncidentWorkflow {
    /// Parses [`WORKFLOW_OF_INCIDENT`]'s rows and keeps what `viewer` may read; parties and
    /// evidence are left for the reader to add.
    pub(crate) fn from_rows(rows: Vec<(i64, String, i64)>, viewer: Option<&PartyId>) -> Result<IncidentWorkflow, StoreError> {
        let mut w = IncidentWorkflow::default();
        for (part, body, log_index) in rows {
            let log_index = log_index as u64;
            match part {
                0 => w.claims.push(StoredClaim { version: imported_version(&body)?, log_index, imported: true }),
                1 => {
                    let version: ClaimVersion = serde_json::from_str(&body).map_err(|e| corrupt("claim version", e))?;
                    w.claims.push(StoredClaim { version, log_index, imported: false });
                }
                2 => w.stances.push(StoredStance { stance: serde_json::from_str(&body).map_err(|e| corrupt("stance", e))?, log_index }),
                3 => w.consultations.push(StoredConsultation { consultation: crate::forum::parse("consultation", &body)?, log_index }),
                4 => w.compliance.push(StoredCompliance { event: serde_json::from_str(&body).map_err(|e| corrupt("compliance event", e))?, log_index }),
                _ => w.measures.push(StoredMeasure { measure: serde_json::from_str(&body).map_err(|e| corrupt("measure", e))?, log_index: Some(log_index) }),
            }
        }
        w.consultations.reverse();
        w.claims.retain(|c| c.version.visible_to(viewer));
        let visible: BTreeSet<AttributionId> = w.claims.iter().map(|c| c.version.claim()).collect();
        w.stances.retain(|s| visible.contains(&s.stance.claim));
        w.consultations.retain(|c| consultation_visible_to(&c.consultation, viewer));
        w.measures = w.measures.into_iter().filter_map(|m| m.for_viewer(viewer)).collect();
        Ok(w)
    }

    /// The ids of the parties named by the visible claims and stances, sorted, once each.
    pub(crate) fn named_party_ids(&self) -> Vec<String> {
        let named: BTreeSet<String> = self
            .claims
            .iter()
            .flat_map(|c| c.version.attribution.attributors.iter())
            .chain(self.stances.iter().map(|s| &s.stance.party))
            .map(|p| p.to_string())
            .collect();
        named.into_iter().collect()
    }

    pub(crate) fn set_parties(&mut self, rows: Vec<PartyRow>) -> Result<(), StoreError> {
        self.parties = rows.into_iter().map(|(id, kind, name, state)| party_from_parts(&id, &kind, name, state.as_deref())).collect::<Result<_, _>>()?;
        Ok(())
    }

    pub(crate) fn set_evidence(&mut self, rows: Vec<EvidenceColumns>) -> Result<(), StoreError> {
        self.evidence = rows.into_iter().map(|r| r.parse().map(|r| r.evidence)).collect::<Result<_, _>>()?;
        Ok(())
    }
}

pub(crate) fn unknown_incident(incident: IncidentId) -> StoreError {
    refuse("incident", incident, "unknown incident: no incident has this id")
}

impl Store {
    /// What `viewer` may read of `incident`'s workflow, from one snapshot (see the module).
    /// An unknown incident is refused.
    pub async fn workflow_of(&self, incident: IncidentId, viewer: Option<&PartyId>) -> Result<IncidentWorkflow, StoreError> {
        // On SQLite the statements run in place (see `direct`): the incident page reads
        // this on every view.
        if let Some(direct) = &self.direct {
            return direct.workflow(incident, viewer);
        }
        on_pool!(self, pool => {
            let mut tx = pool.begin_with(crate::dialect::begin_snapshot(self.backend())).await?;
            let seq: Option<i64> = sqlx::query_scalar(INCIDENT_SEQ).bind(incident.to_string()).fetch_optional(&mut *tx).await?;
            let seq = seq.ok_or_else(|| unknown_incident(incident))?;
            let mut rows = Vec::new();
            for row in sqlx::query(WORKFLOW_OF_INCIDENT).bind(seq).fetch_all(&mut *tx).await? {
                let part: i64 = row.try_get::<i64, _>(0)?;
                rows.push((part, row.try_get::<String, _>(1)?, row.try_get::<i64, _>(2)?));
            }
            let mut w = IncidentWorkflow::from_rows(rows, viewer)?;
            let ids = w.named_party_ids();
            if !ids.is_empty() {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(parties_by_id(ids.len())));
                for id in &ids {
                    q = q.bind(id);
                }
                w.set_parties(q.fetch_all(&mut *tx).await?)?;
            }
            let mut evidence = Vec::new();
            for row in sqlx::query(sqlx::AssertSqlSafe(evidence_of_incident())).bind(incident.to_string()).fetch_all(&mut *tx).await? {
                evidence.push(evidence_columns!(row.try_get));
            }
            w.set_evidence(evidence)?;
            tx.commit().await?;
            Ok(w)
        })
    }
}
