//! The write path: the only code that changes the registry.
//!
//! Each batch is one transaction that (1) takes the log lock, (2) writes the records and
//! (3) appends one log entry per changed record, then commits. Because the entry and the
//! record commit together, the log never mentions a record the database lost, and the
//! database never holds a record the log does not mention. Because the log index is taken
//! under the lock, indices are dense and in commit order on both backends.

use crate::dialect::{ExistingLookup, MAX_BINDS};
use crate::log::LogAppender;
use crate::{Store, StoreError, write_tx};
use pacta_core::{IncidentId, IncidentRecord, PartyId};
use serde::Serialize;
use sqlx::QueryBuilder;
use std::collections::HashMap;

/// Records per transaction. Large enough that one fsync covers many records (the cost
/// that dominates on SQLite), small enough that a crash loses little work in progress.
pub const BATCH: usize = 2_000;

/// What an import did, in counts a user can check against the source.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportOutcome {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub attributions: u64,
    pub responses: u64,
    pub external_assessments: u64,
    pub parties: u64,
    pub log_entries: u64,
    /// The log's size after the import.
    pub log_size: u64,
}

impl ImportOutcome {
    fn add(&mut self, o: &ImportOutcome) {
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.attributions += o.attributions;
        self.responses += o.responses;
        self.external_assessments += o.external_assessments;
        self.parties += o.parties;
        self.log_entries += o.log_entries;
        self.log_size = o.log_size;
    }
}

/// One committed log entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub index: u64,
    pub kind: String,
    pub entry: Vec<u8>,
    pub leaf_hash: [u8; 32],
}

/// RFC 9162 leaf hash: SHA-256(0x00 ‖ entry).
pub use pacta_ledger::hash::leaf_hash;

/// RFC 8785 canonical JSON of a record. serde_json's `Value` keeps object keys in a
/// `BTreeMap` (this workspace never enables its `preserve_order` feature), so keys come
/// out sorted by their bytes, which for the ASCII field names of our records is the
/// UTF-16 order RFC 8785 asks for; records hold integers only, never floats, so number
/// formatting is the same too; and serde_json escapes strings exactly as RFC 8785 does.
pub fn canonical_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    let v = serde_json::to_value(value).map_err(|e| StoreError::Corrupt { what: "record".into(), detail: e.to_string() })?;
    Ok(v.to_string())
}

/// The rows one record turns into.
struct Prepared {
    record: IncidentRecord,
    incident_json: String,
    record_json: String,
    search_text: String,
    facets: Vec<(&'static str, String)>,
    attribution_rows: Vec<(String, String)>,
    response_rows: Vec<(String, String)>,
    external_json: Option<String>,
}

/// Validates and serialises a batch, before any transaction starts: a refusal writes nothing.
fn prepare_batch(batch: Vec<(IncidentRecord, PartyId)>) -> Result<Vec<(Prepared, PartyId)>, StoreError> {
    batch
        .into_iter()
        .map(|(r, actor)| {
            r.validate().map_err(|e| match &r.incident.origin {
                Some(o) => pacta_core::Invalid::new(format!("{} record {}: {}", o.dataset, o.record_id, e.field), &e.value, &e.rule),
                None => e,
            })?;
            Ok((prepare(r)?, actor))
        })
        .collect()
}

/// The canonical JSON of a whole incident record, exactly as the log commits to it.
pub fn record_json(record: &IncidentRecord) -> Result<String, StoreError> {
    prepare(record.clone()).map(|p| p.record_json)
}

fn prepare(record: IncidentRecord) -> Result<Prepared, StoreError> {
    let incident_json = canonical_json(&record.incident)?;
    let attribution_rows = record.attributions.iter().map(|a| Ok((a.id.to_string(), canonical_json(a)?))).collect::<Result<Vec<_>, StoreError>>()?;
    let response_rows = record.responses.iter().map(|r| Ok((r.id.to_string(), canonical_json(r)?))).collect::<Result<Vec<_>, StoreError>>()?;
    let external_json = record.external.as_ref().map(canonical_json).transpose()?;
    let parties_json = canonical_json(&record.parties)?;
    // Keys in RFC 8785 order: attributions, external, incident, parties, responses, source_hash.
    let record_json = format!(
        "{{\"attributions\":[{}],\"external\":{},\"incident\":{},\"parties\":{},\"responses\":[{}],\"source_hash\":{}}}",
        attribution_rows.iter().map(|(_, j)| j.as_str()).collect::<Vec<_>>().join(","),
        external_json.as_deref().unwrap_or("null"),
        incident_json,
        parties_json,
        response_rows.iter().map(|(_, j)| j.as_str()).collect::<Vec<_>>().join(","),
        canonical_json(&record.source_hash)?,
    );
    let i = &record.incident;
    let mut facets: Vec<(&'static str, String)> = Vec::new();
    let mut push = |facet: &'static str, value: String| {
        if !facets.iter().any(|(f, v)| *f == facet && *v == value) {
            facets.push((facet, value));
        }
    };
    for s in i.target_states() {
        push("target_state", s.to_string());
    }
    for s in i.alleged_states() {
        push("alleged_state", s.to_string());
    }
    for t in &i.targets {
        push("sector", t.sector.label().to_string());
    }
    for o in &i.operation_types {
        push("operation_type", o.label().to_string());
    }
    let search_text = format!("{}\n{}", i.title, i.description).to_lowercase();
    Ok(Prepared { incident_json, record_json, search_text, facets, attribution_rows, response_rows, external_json, record })
}

enum Fate {
    New,
    Update { seq: i64 },
    Unchanged,
}

impl Store {
    /// Imports records: new ones are inserted, ones whose source rows changed are updated
    /// in place (keeping their id), identical ones are left alone. Each batch of [`BATCH`]
    /// records is one transaction with its log entries. `progress` is called with the
    /// number of records handled after each batch commits.
    pub async fn import_records(&self, records: Vec<IncidentRecord>, actor: &PartyId, mut progress: impl FnMut(u64)) -> Result<ImportOutcome, StoreError> {
        let mut total = ImportOutcome::default();
        let mut batches: Vec<Vec<(IncidentRecord, PartyId)>> = Vec::new();
        let mut records = records.into_iter().peekable();
        while records.peek().is_some() {
            batches.push(records.by_ref().take(BATCH).map(|r| (r, actor.clone())).collect());
        }
        // Pipeline: while SQLite's worker thread writes batch k, batch k+1 is validated and
        // serialised on a blocking thread, so the two cores work at once.
        let mut batches = batches.into_iter();
        let mut next = batches.next().map(|b| tokio::task::spawn_blocking(move || prepare_batch(b)));
        let mut done = 0u64;
        while let Some(pending) = next.take() {
            let prepared = pending.await.map_err(|e| StoreError::Corrupt { what: "import".into(), detail: e.to_string() })??;
            next = batches.next().map(|b| tokio::task::spawn_blocking(move || prepare_batch(b)));
            let n = prepared.len() as u64;
            let (outcome, _) = self.write_prepared(prepared, "incident.imported").await?;
            total.add(&outcome);
            done += n;
            progress(done);
        }
        if total.log_size == 0 {
            total.log_size = self.log_size().await?;
        }
        Ok(total)
    }

    /// Reports one incident (with any claims filed with it). Returns its id and the index
    /// of its log entry; the entry is durable when this returns.
    pub async fn report_incident(&self, record: IncidentRecord, actor: &PartyId) -> Result<(IncidentId, u64), StoreError> {
        let id = record.incident.id;
        let (_, indices) = self.write_batch(vec![(record, actor.clone())], "incident.reported").await?;
        let index = indices.first().copied().flatten().ok_or_else(|| StoreError::Corrupt { what: "report".into(), detail: "no log entry was written".into() })?;
        Ok((id, index))
    }

    /// The incident write path. Writes `batch` in one transaction and returns what it did
    /// and, per record, the index of its log entry (`None` when it was unchanged).
    pub(crate) async fn write_batch(&self, batch: Vec<(IncidentRecord, PartyId)>, kind_new: &'static str) -> Result<(ImportOutcome, Vec<Option<u64>>), StoreError> {
        let prepared = prepare_batch(batch)?;
        self.write_prepared(prepared, kind_new).await
    }

    async fn write_prepared(&self, batch: Vec<(Prepared, PartyId)>, kind_new: &'static str) -> Result<(ImportOutcome, Vec<Option<u64>>), StoreError> {
        let backend = self.backend();
        let (outcome, indices) = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            let max_seq: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM incidents").fetch_one(&mut *tx).await?;

            // Which records are already here, and unchanged?
            let mut existing: HashMap<(String, String), (i64, String, Option<String>)> = HashMap::new();
            let mut by_dataset: HashMap<String, Vec<String>> = HashMap::new();
            for (p, _) in &batch {
                if let Some(o) = &p.record.incident.origin {
                    by_dataset.entry(o.dataset.label().to_string()).or_default().push(o.record_id.clone());
                }
            }
            for (dataset, ids) in &by_dataset {
                for (seq, id, hash, record_id) in (*tx).existing(dataset, ids).await? {
                    existing.insert((dataset.clone(), record_id), (seq, id, hash));
                }
            }

            let mut outcome = ImportOutcome::default();
            let mut next_seq = max_seq;
            let mut to_insert: Vec<(i64, i64, Prepared)> = Vec::new();
            let mut to_update: Vec<(i64, i64, Prepared)> = Vec::new();
            let mut seen_in_batch = std::collections::HashSet::new();
            let mut indices: Vec<Option<u64>> = Vec::with_capacity(batch.len());
            for (p, actor) in batch {
                let key = p.record.incident.origin.as_ref().map(|o| (o.dataset.label().to_string(), o.record_id.clone()));
                if let Some(k) = &key {
                    if !seen_in_batch.insert(k.clone()) {
                        return Err(pacta_core::Invalid::new("origin", format!("{}:{}", k.0, k.1), "appears twice in one import").into());
                    }
                }
                let mut p = p;
                let fate = match key.as_ref().and_then(|k| existing.get(k)) {
                    None => Fate::New,
                    Some((_, _, hash)) if hash.is_some() && *hash == p.record.source_hash => Fate::Unchanged,
                    Some((seq, id, _)) => {
                        // An update keeps the stored id, so the record is serialised again
                        // under it (rare: only changed source rows get here).
                        let id = IncidentId::parse(id).map_err(|e| StoreError::Corrupt { what: format!("incident {seq}"), detail: e.to_string() })?;
                        let mut record = p.record;
                        record.set_incident_id(id);
                        p = prepare(record)?;
                        Fate::Update { seq: *seq }
                    }
                };
                let kind = match fate {
                    Fate::Unchanged => {
                        outcome.unchanged += 1;
                        indices.push(None);
                        continue;
                    }
                    Fate::New => kind_new,
                    Fate::Update { .. } => "incident.updated",
                };
                let index = log.push(&actor, kind, &p.record_json, p.record.incident.tlp) as i64;
                indices.push(Some(index as u64));
                outcome.attributions += p.attribution_rows.len() as u64;
                outcome.responses += p.response_rows.len() as u64;
                outcome.external_assessments += p.external_json.is_some() as u64;
                match fate {
                    Fate::New => {
                        next_seq += 1;
                        outcome.inserted += 1;
                        to_insert.push((next_seq, index, p));
                    }
                    Fate::Update { seq } => {
                        outcome.updated += 1;
                        to_update.push((seq, index, p));
                    }
                    Fate::Unchanged => unreachable!("handled above"),
                }
            }

            // Parties first: claims refer to them.
            let mut parties: Vec<&pacta_core::Party> = Vec::new();
            for (_, _, p) in to_insert.iter().chain(to_update.iter()) {
                for party in &p.record.parties {
                    if !parties.iter().any(|q| q.id == party.id) {
                        parties.push(party);
                    }
                }
            }
            for chunk in parties.chunks(MAX_BINDS / 4) {
                let mut q = QueryBuilder::new("INSERT INTO parties (id, kind, name, state) ");
                q.push_values(chunk, |mut b, p| {
                    b.push_bind(p.id.to_string()).push_bind(p.kind.label()).push_bind(p.name.clone()).push_bind(p.state.map(|s| s.to_string()));
                });
                q.push(" ON CONFLICT (id) DO NOTHING");
                outcome.parties += q.build().execute(&mut *tx).await?.rows_affected();
            }

            // Updates: replace the incident row's content and all its dependent rows.
            for (seq, index, p) in &to_update {
                for sql in [
                    "DELETE FROM incident_facets WHERE incident_seq = $1",
                    "DELETE FROM attributions WHERE incident_seq = $1",
                    "DELETE FROM responses WHERE incident_seq = $1",
                    "DELETE FROM external_assessments WHERE incident_seq = $1",
                ] {
                    sqlx::query(sql).bind(*seq).execute(&mut *tx).await?;
                }
                let i = &p.record.incident;
                sqlx::query("UPDATE incidents SET source_hash = $1, title = $2, search_text = $3, start_date = $4, year = $5, tlp = $6, body = $7, log_index = $8 WHERE seq = $9")
                    .bind(p.record.source_hash.clone())
                    .bind(i.title.clone())
                    .bind(p.search_text.clone())
                    .bind(i.start_date.map(|d| d.to_string()))
                    .bind(i.year().map(i64::from))
                    .bind(i.tlp.label())
                    .bind(p.incident_json.clone())
                    .bind(*index)
                    .bind(*seq)
                    .execute(&mut *tx)
                    .await?;
            }

            for chunk in to_insert.chunks(MAX_BINDS / 12) {
                let mut q = QueryBuilder::new("INSERT INTO incidents (seq, id, dataset, record_id, source_hash, title, search_text, start_date, year, tlp, body, log_index) ");
                q.push_values(chunk, |mut b, (seq, index, p)| {
                    let i = &p.record.incident;
                    b.push_bind(*seq)
                        .push_bind(i.id.to_string())
                        .push_bind(i.origin.as_ref().map(|o| o.dataset.label()))
                        .push_bind(i.origin.as_ref().map(|o| o.record_id.clone()))
                        .push_bind(p.record.source_hash.clone())
                        .push_bind(i.title.clone())
                        .push_bind(p.search_text.clone())
                        .push_bind(i.start_date.map(|d| d.to_string()))
                        .push_bind(i.year().map(i64::from))
                        .push_bind(i.tlp.label())
                        .push_bind(p.incident_json.clone())
                        .push_bind(*index);
                });
                q.build().execute(&mut *tx).await?;
            }

            let all: Vec<&(i64, i64, Prepared)> = to_insert.iter().chain(to_update.iter()).collect();
            let facets: Vec<(i64, &str, &str)> = all.iter().flat_map(|(seq, _, p)| p.facets.iter().map(move |(f, v)| (*seq, *f, v.as_str()))).collect();
            for chunk in facets.chunks(MAX_BINDS / 3) {
                let mut q = QueryBuilder::new("INSERT INTO incident_facets (facet, value, incident_seq) ");
                q.push_values(chunk, |mut b, (seq, f, v)| {
                    b.push_bind(f.to_string()).push_bind(v.to_string()).push_bind(*seq);
                });
                q.build().execute(&mut *tx).await?;
            }
            for (table, rows) in [
                ("attributions", all.iter().flat_map(|(seq, _, p)| p.attribution_rows.iter().map(move |(id, j)| (*seq, id, j))).collect::<Vec<_>>()),
                ("responses", all.iter().flat_map(|(seq, _, p)| p.response_rows.iter().map(move |(id, j)| (*seq, id, j))).collect::<Vec<_>>()),
            ] {
                for chunk in rows.chunks(MAX_BINDS / 3) {
                    let mut q = QueryBuilder::new(if table == "attributions" { "INSERT INTO attributions (id, incident_seq, body) " } else { "INSERT INTO responses (id, incident_seq, body) " });
                    q.push_values(chunk, |mut b, (seq, id, j)| {
                        b.push_bind(id.to_string()).push_bind(*seq).push_bind(j.to_string());
                    });
                    q.build().execute(&mut *tx).await?;
                }
            }
            let externals: Vec<(i64, &str)> = all.iter().filter_map(|(seq, _, p)| p.external_json.as_deref().map(|j| (*seq, j))).collect();
            for chunk in externals.chunks(MAX_BINDS / 2) {
                let mut q = QueryBuilder::new("INSERT INTO external_assessments (incident_seq, body) ");
                q.push_values(chunk, |mut b, (seq, j)| {
                    b.push_bind(*seq).push_bind(j.to_string());
                });
                q.build().execute(&mut *tx).await?;
            }

            // The log entries, in the same transaction as the records they describe.
            outcome.log_entries = log.len() as u64;
            outcome.log_size = log.flush(&mut *tx).await?;
            (outcome, indices)
        });
        // Invariant: the commit above has returned, so on SQLite (synchronous=FULL) the
        // WAL is fsynced and on PostgreSQL the commit is durable: only now may the caller
        // acknowledge the entries.
        Ok((outcome, indices))
    }
}
