//! Stored legal assessments: a cache of what the norms engine concluded about each
//! incident, kept with the versions that produced it.
//!
//! An assessment is derived data, like a search index, and deliberately **not** a log
//! entry: it is a pure function of logged facts (the incident record and its attribution
//! claims, as of the log entry at `log_index`) and of versioned instruments (the
//! `instruments_version` hash over every rule file, and the `engine_version` of the code
//! that maps facts and applies rules). The version hash is what makes it reproducible:
//! anyone holding the log and the same instruments recomputes the same assessment, so
//! logging it would add nothing a verifier could check, and an amendment of the law would
//! have to rewrite "history" that never was history.
//!
//! A stored row is **stale** when either version, or the incident's facts index, differs
//! from the current one. The facts index is the latest log entry the assessment rests on:
//! `incidents.facts_index` when a claim or consultation came after the record's own entry,
//! else the record's `log_index`. Every change to an incident's facts or claims goes
//! through a write path that moves it; so "same facts index" means "same facts". A stale
//! row is recomputed, never shown as current. (The assessment's `log_index` field holds
//! that facts index.)
//!
//! Invariant: this crate does not depend on `pacta-norms`. It stores the assessment as
//! the JSON text the caller gives it, plus the version strings; the CLI runs the engine.
//! Because each row records the `log_index` it was computed from, a race between an
//! assessment and an update of the same incident is harmless: the slower writer may
//! store a row computed from older facts, but that row is then stale and recomputed.

use crate::dialect::MAX_BINDS;
use crate::{Store, StoreError, on_pool, write_tx};
use pacta_core::{Attribution, Incident, IncidentId, StateCode};
use sqlx::{QueryBuilder, Row};
use std::collections::{BTreeMap, HashMap};

/// The versions an assessment is computed under. Both are opaque strings to the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Versions<'a> {
    /// The instruments' version (a SHA-256 over every rule file).
    pub instruments: &'a str,
    /// The engine's version: changes when the fact mapping or the engine's semantics do.
    pub engine: &'a str,
}

/// What the engine needs to assess one incident: its facts and its claims, and the log
/// index they are as of.
#[derive(Clone, Debug)]
pub struct AssessmentInput {
    pub incident: Incident,
    pub attributions: Vec<Attribution>,
    /// Facts established by the forum's consultations (an unanswered request to stop, a
    /// notification with an offer to negotiate...): the engine's `extra` facts. Every
    /// step that changes them is the incident's latest entry (see `forum`).
    pub facts: BTreeMap<String, bool>,
    pub log_index: u64,
    /// The incident's position in the registry: where the next [`Which::Page`] starts.
    pub seq: i64,
}

/// Which incidents to load for assessment.
#[derive(Clone, Copy, Debug)]
pub enum Which<'a> {
    /// Every incident.
    All,
    /// Those whose default-view assessment is missing or stale under these versions.
    Stale(Versions<'a>),
    /// One incident.
    One(IncidentId),
    /// A page of [`Which::All`] (with `stale: None`) or of [`Which::Stale`]: at most `limit`
    /// incidents, those after the registry position `after` (0 to start; then the last
    /// page's last [`AssessmentInput::seq`]). Paging keeps a pass over a million incidents
    /// in bounded memory.
    Page { stale: Option<Versions<'a>>, after: i64, limit: u32 },
}

/// One assessment to store. `body` is the engine's JSON.
#[derive(Clone, Debug)]
pub struct NewAssessment {
    pub incident: IncidentId,
    /// `None` for the default view (the first targeted state).
    pub perspective: Option<StateCode>,
    /// The incident's `log_index` the assessment was computed from.
    pub log_index: u64,
    pub body: String,
}

/// A stored assessment, fresh or stale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAssessment {
    pub incident: IncidentId,
    pub perspective: Option<StateCode>,
    pub instruments_version: String,
    pub engine_version: String,
    pub log_index: u64,
    pub body: String,
    /// When it was computed (RFC 3339, UTC).
    pub assessed_at: String,
}

impl StoredAssessment {
    /// Whether it was computed under `versions` from the incident as of `current_log_index`.
    pub fn is_fresh(&self, versions: Versions<'_>, current_log_index: u64) -> bool {
        self.instruments_version == versions.instruments && self.engine_version == versions.engine && self.log_index == current_log_index
    }
}

fn corrupt(what: impl Into<String>, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { what: what.into(), detail: e.to_string() }
}

/// A row of `assessments` (the columns both reads select) as a [`StoredAssessment`].
fn assessment_from_row<R: Row>(r: &R, incident: IncidentId, perspective: Option<StateCode>) -> Result<StoredAssessment, StoreError>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'q> String: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> i64: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
{
    let log_index: i64 = r.try_get("log_index")?;
    Ok(StoredAssessment {
        incident,
        perspective,
        instruments_version: r.try_get("instruments_version")?,
        engine_version: r.try_get("engine_version")?,
        log_index: log_index as u64,
        body: r.try_get("body")?,
        assessed_at: r.try_get("assessed_at")?,
    })
}

/// The perspective column: '' for the default view, so that it can be part of the key.
fn perspective_key(p: Option<StateCode>) -> String {
    p.map(|s| s.to_string()).unwrap_or_default()
}

impl Store {
    /// Loads incidents with their claims, in registry order, for the engine.
    pub async fn assessment_inputs(&self, which: Which<'_>) -> Result<Vec<AssessmentInput>, StoreError> {
        let rows: Vec<(i64, String, i64)> = on_pool!(self, pool => {
            let q = match which {
                Which::All => sqlx::query("SELECT seq, body, COALESCE(facts_index, log_index) AS log_index FROM incidents ORDER BY seq"),
                Which::One(id) => sqlx::query("SELECT seq, body, COALESCE(facts_index, log_index) AS log_index FROM incidents WHERE id = $1").bind(id.to_string()),
                Which::Stale(v) => sqlx::query(
                    "SELECT i.seq, i.body, COALESCE(i.facts_index, i.log_index) AS log_index FROM incidents i \
                     LEFT JOIN assessments a ON a.incident_seq = i.seq AND a.perspective = '' \
                     WHERE a.incident_seq IS NULL OR a.instruments_version <> $1 OR a.engine_version <> $2 OR a.log_index <> COALESCE(i.facts_index, i.log_index) \
                     ORDER BY i.seq",
                )
                .bind(v.instruments.to_string())
                .bind(v.engine.to_string()),
                Which::Page { stale: None, after, limit } => {
                    sqlx::query("SELECT seq, body, COALESCE(facts_index, log_index) AS log_index FROM incidents WHERE seq > $1 ORDER BY seq LIMIT $2").bind(after).bind(i64::from(limit))
                }
                Which::Page { stale: Some(v), after, limit } => sqlx::query(
                    "SELECT i.seq, i.body, COALESCE(i.facts_index, i.log_index) AS log_index FROM incidents i \
                     LEFT JOIN assessments a ON a.incident_seq = i.seq AND a.perspective = '' \
                     WHERE i.seq > $3 AND (a.incident_seq IS NULL OR a.instruments_version <> $1 OR a.engine_version <> $2 OR a.log_index <> COALESCE(i.facts_index, i.log_index)) \
                     ORDER BY i.seq LIMIT $4",
                )
                .bind(v.instruments.to_string())
                .bind(v.engine.to_string())
                .bind(after)
                .bind(i64::from(limit)),
            };
            let mut out = Vec::new();
            for row in q.fetch_all(pool).await? {
                out.push((row.try_get("seq")?, row.try_get("body")?, row.try_get("log_index")?));
            }
            out
        });
        let mut claims: HashMap<i64, Vec<Attribution>> = HashMap::new();
        let seqs: Vec<i64> = rows.iter().map(|(s, _, _)| *s).collect();
        for (seq, body) in self.bodies_by_incident("attributions", "id", &seqs).await? {
            claims.entry(seq).or_default().push(serde_json::from_str(&body).map_err(|e| corrupt(format!("attribution of incident {seq}"), e))?);
        }
        // Claims made, amended or withdrawn in the registry: the latest version of each
        // claim replaces the imported one of the same id, and a withdrawn claim no longer
        // counts (its history stays in claim_versions and in the log).
        for (seq, body) in self.bodies_by_incident("claim_versions", "log_index", &seqs).await? {
            let version: pacta_core::ClaimVersion = serde_json::from_str(&body).map_err(|e| corrupt(format!("claim of incident {seq}"), e))?;
            version.apply_to(claims.entry(seq).or_default());
        }
        let mut facts = self.consultation_facts(&seqs).await?;
        rows.into_iter()
            .map(|(seq, body, log_index)| {
                let incident: Incident = serde_json::from_str(&body).map_err(|e| corrupt(format!("incident {seq}"), e))?;
                Ok(AssessmentInput { incident, attributions: claims.remove(&seq).unwrap_or_default(), facts: facts.remove(&seq).unwrap_or_default(), log_index: log_index as u64, seq })
            })
            .collect()
    }

    /// `(incident_seq, body)` of every row of `table` that belongs to one of the incidents
    /// `seqs`, ordered by incident and then by `order`: one query per chunk of bound
    /// parameters, whatever the number of incidents. `table` and `order` are our own
    /// identifiers, never user input.
    pub(crate) async fn bodies_by_incident(&self, table: &'static str, order: &'static str, seqs: &[i64]) -> Result<Vec<(i64, String)>, StoreError> {
        let mut out = Vec::new();
        for chunk in seqs.chunks(MAX_BINDS / 2) {
            on_pool!(self, pool => {
                let mut q = QueryBuilder::new(format!("SELECT incident_seq, body FROM {table} WHERE incident_seq IN ("));
                let mut sep = q.separated(", ");
                for s in chunk {
                    sep.push_bind(*s);
                }
                q.push(format!(") ORDER BY incident_seq, {order}"));
                for row in q.build().fetch_all(pool).await? {
                    out.push((row.try_get("incident_seq")?, row.try_get("body")?));
                }
            });
        }
        Ok(out)
    }

    /// The stored assessment of an incident from a perspective (`None`: the default view),
    /// whether fresh or stale: see [`StoredAssessment::is_fresh`].
    pub async fn stored_assessment(&self, incident: IncidentId, perspective: Option<StateCode>) -> Result<Option<StoredAssessment>, StoreError> {
        let row = on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT a.instruments_version, a.engine_version, a.log_index, a.body, a.assessed_at \
                 FROM assessments a JOIN incidents i ON i.seq = a.incident_seq WHERE i.id = $1 AND a.perspective = $2",
            )
            .bind(incident.to_string())
            .bind(perspective_key(perspective))
            .fetch_optional(pool)
            .await?;
            row.map(|r| assessment_from_row(&r, incident, perspective)).transpose()?
        });
        Ok(row)
    }

    /// The stored assessments, from one perspective, of the incidents at registry positions
    /// `from..=through` (a page of [`Which::Page`]: its first and last
    /// [`AssessmentInput::seq`]), keyed by incident. One range read of the assessments'
    /// key instead of a lookup per incident, so a pass that compares a million new
    /// assessments with the stored ones makes 200 reads, not a million.
    pub async fn stored_assessments_between(&self, from: i64, through: i64, perspective: Option<StateCode>) -> Result<HashMap<IncidentId, StoredAssessment>, StoreError> {
        let mut out = HashMap::new();
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT i.id, a.instruments_version, a.engine_version, a.log_index, a.body, a.assessed_at \
                 FROM assessments a JOIN incidents i ON i.seq = a.incident_seq \
                 WHERE a.incident_seq BETWEEN $1 AND $2 AND a.perspective = $3",
            )
            .bind(from)
            .bind(through)
            .bind(perspective_key(perspective))
            .fetch_all(pool)
            .await?;
            for r in rows {
                let id: String = r.try_get("id")?;
                let incident = IncidentId::parse(&id).map_err(|e| corrupt("incident id", e))?;
                out.insert(incident, assessment_from_row(&r, incident, perspective)?);
            }
        });
        Ok(out)
    }

    /// Stores assessments computed under `versions`, replacing any earlier one of the
    /// same incident and perspective, in one transaction. Appends nothing to the log (see
    /// the module docs). Returns how many were stored; an incident that no longer exists
    /// is skipped.
    pub async fn store_assessments(&self, versions: Versions<'_>, rows: &[NewAssessment]) -> Result<u64, StoreError> {
        let now = chrono::Utc::now().to_rfc3339();
        let stored = write_tx!(self, tx => {
            let mut stored = 0u64;
            for r in rows {
                // INSERT … SELECT resolves the incident's internal sequence number; the WHERE
                // clause also lets SQLite parse the ON CONFLICT that follows a SELECT.
                stored += sqlx::query(
                    "INSERT INTO assessments (incident_seq, perspective, instruments_version, engine_version, log_index, body, assessed_at) \
                     SELECT seq, $2, $3, $4, $5, $6, $7 FROM incidents WHERE id = $1 \
                     ON CONFLICT (incident_seq, perspective) DO UPDATE SET instruments_version = excluded.instruments_version, \
                     engine_version = excluded.engine_version, log_index = excluded.log_index, body = excluded.body, assessed_at = excluded.assessed_at",
                )
                .bind(r.incident.to_string())
                .bind(perspective_key(r.perspective))
                .bind(versions.instruments.to_string())
                .bind(versions.engine.to_string())
                .bind(r.log_index as i64)
                .bind(r.body.clone())
                .bind(now.clone())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            stored
        });
        Ok(stored)
    }

    /// How many incidents have a fresh default-view assessment under `versions`, and how
    /// many have none or a stale one.
    pub async fn assessment_freshness(&self, versions: Versions<'_>) -> Result<(u64, u64), StoreError> {
        on_pool!(self, pool => {
            let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incidents").fetch_one(pool).await?;
            let fresh: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM assessments a JOIN incidents i ON i.seq = a.incident_seq \
                 WHERE a.perspective = '' AND a.instruments_version = $1 AND a.engine_version = $2 AND a.log_index = COALESCE(i.facts_index, i.log_index)",
            )
            .bind(versions.instruments.to_string())
            .bind(versions.engine.to_string())
            .fetch_one(pool)
            .await?;
            Ok((fresh as u64, (total - fresh) as u64))
        })
    }
}
