//! The write path: the only code that changes the registry.
//!
//! Each write, a whole import included, is one transaction that (1) takes the log lock,
//! (2) writes the records and (3) appends one log entry per changed record, then commits.
//! Because the entry and the
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

/// The kind of an imported incident's first entry.
const IMPORTED: &str = "incident.imported";

/// Records an import prepares and writes at a time, inside its one transaction: small
/// enough that the serialised rows and log entries of a batch fit comfortably in memory,
/// and that preparing the next batch overlaps with writing this one.
pub const BATCH: usize = 10_000;

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
    /// The change's true kind: the registry's own, never served (a sealed entry shows
    /// `sealed`; see `log::public_kind`).
    pub kind: String,
    pub entry: Vec<u8>,
    pub leaf_hash: [u8; 32],
    /// A sealed entry's salt (`log::entry_json`): the registry's own, never served.
    pub salt: Option<String>,
}

/// RFC 9162 leaf hash: SHA-256(0x00 ‖ entry).
pub use pacta_ledger::hash::leaf_hash;

/// The canonical JSON of a record: what the log commits to and what a record's row
/// holds, so the same record must always give the same bytes, whichever binary wrote it.
///
/// Two rules make it canonical:
/// - **Members whose value is null are left out.** In every record type absent and null
///   mean the same thing (an `Option` that is `None`; serde reads a missing member back
///   as `None`). An incident coded from open sources leaves most of its fields unknown,
///   and writing each as `"field":null` made up a third of its bytes, paid twice per
///   incident (row and log entry) in every import. Array elements are kept as they are.
/// - **The text is RFC 8785 (JCS)** as written by [`pacta_ledger::canonical`]: members
///   sorted, no whitespace, JCS number and string forms.
///
/// Invariant: the member order comes from the JCS writer, never from `serde_json`. Cargo
/// unifies features per build, and one dependency (cedar-policy-core) turns on
/// `serde_json/preserve_order`, under which a `Value` keeps struct field order; a build
/// without that dependency sorts keys. Relying on `Value`'s own order made the logged
/// bytes depend on which crates were linked.
pub fn canonical_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt { what: "record".into(), detail };
    let mut v = serde_json::to_value(value).map_err(|e| corrupt(e.to_string()))?;
    drop_null_members(&mut v);
    pacta_ledger::canonical::to_canonical_string(&v).map_err(|e| corrupt(e.to_string()))
}

fn drop_null_members(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(members) => {
            members.retain(|_, m| !m.is_null());
            members.values_mut().for_each(drop_null_members);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_null_members),
        _ => {}
    }
}

/// The rows one record turns into.
struct Prepared {
    record: IncidentRecord,
    incident_json: String,
    record_json: String,
    facets: Vec<(&'static str, String)>,
    attribution_rows: Vec<(String, String)>,
    response_rows: Vec<(String, String)>,
    external_json: Option<String>,
    /// Who the incident is shared with beyond its marking's open audience, when it is
    /// filed with a sharing list (a report); empty for imports.
    shared_with: Vec<String>,
}

/// Serialises a batch of records already [`validate`]d.
fn prepare_batch(batch: Vec<Filing>) -> Result<Vec<(Prepared, PartyId)>, StoreError> {
    batch
        .into_iter()
        .map(|Filing { record: r, actor, shared_with }| {
            let mut p = prepare(r)?;
            p.shared_with = shared_with;
            Ok((p, actor))
        })
        .collect()
}

/// The checks a record passes before any transaction starts (and before it is serialised):
/// a refusal writes nothing.
fn validate(r: &IncidentRecord, shared_with: &[String]) -> Result<(), StoreError> {
    crate::accounts::check_grantees(shared_with)?;
    r.validate().map_err(|e| match &r.incident.origin {
        Some(o) => pacta_core::Invalid::new(format!("{} record {}: {}", o.dataset, o.record_id, e.field), &e.value, &e.rule),
        None => e,
    })?;
    Ok(())
}

/// The batches one write transaction writes, in order: either already prepared, or
/// prepared on a blocking thread while the previous batch is written, so that on SQLite
/// (whose writes run on one worker thread) both cores work at once.
enum Batches {
    Ready(Option<PreparedBatch>),
    Pipelined { pending: Option<tokio::task::JoinHandle<Result<PreparedBatch, StoreError>>>, rest: std::vec::IntoIter<Vec<Filing>> },
}

/// A batch validated and serialised, each record with the party filing it.
type PreparedBatch = Vec<(Prepared, PartyId)>;

impl Batches {
    fn ready(batch: PreparedBatch) -> Batches {
        Batches::Ready(Some(batch))
    }
    fn pipelined(batches: Vec<Vec<Filing>>) -> Batches {
        let mut rest = batches.into_iter();
        let pending = rest.next().map(|b| tokio::task::spawn_blocking(move || prepare_batch(b)));
        Batches::Pipelined { pending, rest }
    }
    async fn next(&mut self) -> Result<Option<PreparedBatch>, StoreError> {
        match self {
            Batches::Ready(b) => Ok(b.take()),
            Batches::Pipelined { pending, rest } => {
                let Some(handle) = pending.take() else { return Ok(None) };
                let prepared = handle.await.map_err(|e| StoreError::Corrupt { what: "import".into(), detail: e.to_string() })??;
                *pending = rest.next().map(|b| tokio::task::spawn_blocking(move || prepare_batch(b)));
                Ok(Some(prepared))
            }
        }
    }
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
    // Assembled from the parts already serialised, in RFC 8785 member order (attributions,
    // external, incident, parties, responses, source_hash), leaving out the null ones as
    // `canonical_json` does.
    let mut record_json = String::with_capacity(incident_json.len() + 64);
    record_json.push_str("{\"attributions\":[");
    record_json.push_str(&attribution_rows.iter().map(|(_, j)| j.as_str()).collect::<Vec<_>>().join(","));
    record_json.push(']');
    if let Some(e) = &external_json {
        record_json.push_str(",\"external\":");
        record_json.push_str(e);
    }
    record_json.push_str(",\"incident\":");
    record_json.push_str(&incident_json);
    record_json.push_str(",\"parties\":");
    record_json.push_str(&parties_json);
    record_json.push_str(",\"responses\":[");
    record_json.push_str(&response_rows.iter().map(|(_, j)| j.as_str()).collect::<Vec<_>>().join(","));
    record_json.push(']');
    if let Some(h) = &record.source_hash {
        record_json.push_str(",\"source_hash\":");
        record_json.push_str(&canonical_json(h)?);
    }
    record_json.push('}');
    let facets = facets_of(&record.incident);
    Ok(Prepared { incident_json, record_json, facets, attribution_rows, response_rows, external_json, record, shared_with: Vec::new() })
}

/// The facet rows of an incident: one per distinct (facet, value). A pure function of the
/// incident, which is what lets an update find the old rows by primary key.
fn facets_of(i: &pacta_core::Incident) -> Vec<(&'static str, String)> {
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
    facets
}

/// A new incident's row, owned so that it moves into the INSERT's arguments.
struct IncidentRow {
    seq: i64,
    id: String,
    dataset: Option<&'static str>,
    record_id: Option<String>,
    source_hash: Option<String>,
    title: String,
    start_date: Option<String>,
    year: Option<i64>,
    tlp: &'static str,
    body: String,
    log_index: i64,
}

/// A batch's rows, table by table: the incident rows of new records, and the facet and
/// filed rows of new and updated ones (an updated incident's own row is updated in place).
struct Rows {
    incidents: Vec<IncidentRow>,
    facets: Vec<(i64, &'static str, String)>,
    attributions: Vec<(i64, String, String)>,
    responses: Vec<(i64, String, String)>,
    externals: Vec<(i64, String)>,
}

impl Rows {
    fn split(new: Vec<(i64, i64, Prepared)>, updated: Vec<(i64, i64, Prepared)>) -> Rows {
        let mut rows = Rows { incidents: Vec::with_capacity(new.len()), facets: Vec::new(), attributions: Vec::new(), responses: Vec::new(), externals: Vec::new() };
        let tagged = new.into_iter().map(|r| (true, r)).chain(updated.into_iter().map(|r| (false, r)));
        for (is_new, (seq, log_index, p)) in tagged {
            rows.facets.extend(p.facets.into_iter().map(|(f, v)| (seq, f, v)));
            rows.attributions.extend(p.attribution_rows.into_iter().map(|(id, j)| (seq, id, j)));
            rows.responses.extend(p.response_rows.into_iter().map(|(id, j)| (seq, id, j)));
            rows.externals.extend(p.external_json.map(|j| (seq, j)));
            if is_new {
                let source_hash = p.record.source_hash;
                let i = p.record.incident;
                rows.incidents.push(IncidentRow {
                    seq,
                    id: i.id.to_string(),
                    dataset: i.origin.as_ref().map(|o| o.dataset.label()),
                    start_date: i.start_date.map(|d| d.to_string()),
                    year: i.year().map(i64::from),
                    tlp: i.tlp.label(),
                    record_id: i.origin.map(|o| o.record_id),
                    source_hash,
                    title: i.title,
                    body: p.incident_json,
                    log_index,
                });
            }
        }
        rows
    }
}

/// One record to write, by whom, and who it is shared with beyond its marking's open
/// audience (empty for imports).
pub(crate) struct Filing {
    pub record: IncidentRecord,
    pub actor: PartyId,
    pub shared_with: Vec<String>,
}

/// A sharing list to write once its incident's row exists.
struct Share {
    seq: i64,
    incident: IncidentId,
    tlp: pacta_core::Tlp,
    actor: PartyId,
    shared_with: Vec<String>,
}

enum Fate {
    New,
    Update { seq: i64 },
    Unchanged,
}

impl Store {
    /// Imports records: new ones are inserted, ones whose source rows changed are updated
    /// in place (keeping their id), identical ones are left alone. `progress` is called
    /// with the number of records handled after each batch of [`BATCH`] is written.
    ///
    /// Invariant: the import is one transaction. Every record is validated before the
    /// transaction starts, and a failure after it started (a constraint, the disk, a
    /// crash) rolls back every batch with it: the registry and its log hold all of the
    /// import or none of it.
    ///
    /// It does not refresh PostgreSQL's planner statistics: a caller loading in slices
    /// would pay for that once per slice. Callers that load in bulk call
    /// [`Store::analyze`] once they are done.
    pub async fn import_records(&self, records: Vec<IncidentRecord>, actor: &PartyId, progress: impl FnMut(u64)) -> Result<ImportOutcome, StoreError> {
        let mut batches: Vec<Vec<Filing>> = Vec::new();
        let mut records = records.into_iter().peekable();
        while records.peek().is_some() {
            batches.push(records.by_ref().take(BATCH).map(|record| Filing { record, actor: actor.clone(), shared_with: Vec::new() }).collect());
        }
        // Validate the whole import first, so that bad data is refused before anything is
        // written; serialising (which does not validate again) is then pipelined with
        // writing (see `Batches`).
        for batch in &batches {
            for f in batch {
                validate(&f.record, &f.shared_with)?;
            }
        }
        let (mut total, _) = self.write_prepared(Batches::pipelined(batches), IMPORTED, progress).await?;
        if total.log_size == 0 {
            total.log_size = self.log_size().await?;
        }
        Ok(total)
    }

    /// Reports one incident (with any claims filed with it). Returns its id and the index
    /// of its log entry; the entry is durable when this returns.
    pub async fn report_incident(&self, record: IncidentRecord, actor: &PartyId) -> Result<(IncidentId, u64), StoreError> {
        let id = record.incident.id;
        let (_, indices) = self.write_batch(vec![Filing { record, actor: actor.clone(), shared_with: Vec::new() }], "incident.reported").await?;
        let index = indices.first().copied().flatten().ok_or_else(|| StoreError::Corrupt { what: "report".into(), detail: "no log entry was written".into() })?;
        Ok((id, index))
    }

    /// The incident write path. Writes `batch` in one transaction and returns what it did
    /// and, per record, the index of its log entry (`None` when it was unchanged).
    pub(crate) async fn write_batch(&self, batch: Vec<Filing>, kind_new: &'static str) -> Result<(ImportOutcome, Vec<Option<u64>>), StoreError> {
        for f in &batch {
            validate(&f.record, &f.shared_with)?;
        }
        let prepared = prepare_batch(batch)?;
        self.write_prepared(Batches::ready(prepared), kind_new, |_| {}).await
    }

    /// Writes `batches` in one transaction and returns what it did and, per record, the
    /// index of its log entry (`None` when it was unchanged). Each batch takes the log
    /// lock again (re-entrant within the transaction) and flushes its own entries, so the
    /// entries of a large import are never all held in memory at once.
    async fn write_prepared(&self, mut batches: Batches, kind_new: &'static str, mut progress: impl FnMut(u64)) -> Result<(ImportOutcome, Vec<Option<u64>>), StoreError> {
        let backend = self.backend();
        let (outcome, indices) = write_tx!(self, tx => {
            let mut total = ImportOutcome::default();
            let mut all_indices: Vec<Option<u64>> = Vec::new();
            let mut done = 0u64;
            while let Some(batch) = batches.next().await? {
                let n = batch.len() as u64;
                let (outcome, indices) = {
                    let mut log = LogAppender::lock(&mut *tx, backend).await?;
                    // An import's records are a data set's rows, not a party's own acts:
                    // its sealed entries keep no openings (a million GREEN rows would be
                    // written twice). A report keeps its opening for its reporter.
                    if kind_new == IMPORTED {
                        log = log.without_openings();
                    }
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
                    let mut shares: Vec<Share> = Vec::new();
                    for (p, actor) in batch {
                        let key = p.record.incident.origin.as_ref().map(|o| (o.dataset.label().to_string(), o.record_id.clone()));
                        if let Some(k) = &key && !seen_in_batch.insert(k.clone()) {
                            return Err(pacta_core::Invalid::new("origin", format!("{}:{}", k.0, k.1), "appears twice in one import").into());
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
                                // Its claims keep their ids too, matched by the source's own
                                // reference: stances, amendments and evidence answer a claim by
                                // id, and a re-import must not cut them loose.
                                let mut kept: HashMap<String, pacta_core::AttributionId> = HashMap::new();
                                for body in sqlx::query_scalar::<_, String>("SELECT body FROM attributions WHERE incident_seq = $1").bind(*seq).fetch_all(&mut *tx).await? {
                                    let old: pacta_core::Attribution = serde_json::from_str(&body).map_err(|e| StoreError::Corrupt { what: format!("claim of incident {seq}"), detail: e.to_string() })?;
                                    if let Some(r) = old.origin_ref {
                                        kept.insert(r, old.id);
                                    }
                                }
                                for a in &mut record.attributions {
                                    if let Some(old) = a.origin_ref.as_ref().and_then(|r| kept.remove(r)) {
                                        a.id = old;
                                    }
                                }
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
                        let shared_with = std::mem::take(&mut p.shared_with);
                        outcome.attributions += p.attribution_rows.len() as u64;
                        outcome.responses += p.response_rows.len() as u64;
                        outcome.external_assessments += p.external_json.is_some() as u64;
                        match fate {
                            Fate::New => {
                                next_seq += 1;
                                outcome.inserted += 1;
                                if !shared_with.is_empty() {
                                    shares.push(Share { seq: next_seq, incident: p.record.incident.id, tlp: p.record.incident.tlp, actor, shared_with });
                                }
                                to_insert.push((next_seq, index, p));
                            }
                            Fate::Update { seq } => {
                                outcome.updated += 1;
                                if !shared_with.is_empty() {
                                    shares.push(Share { seq, incident: p.record.incident.id, tlp: p.record.incident.tlp, actor, shared_with });
                                }
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
                        let old_body: String = sqlx::query_scalar("SELECT body FROM incidents WHERE seq = $1").bind(*seq).fetch_one(&mut *tx).await?;
                        let old: pacta_core::Incident = serde_json::from_str(&old_body).map_err(|e| StoreError::Corrupt { what: format!("incident {seq}"), detail: e.to_string() })?;
                        for (facet, value) in facets_of(&old) {
                            sqlx::query("DELETE FROM incident_facets WHERE facet = $1 AND value = $2 AND incident_seq = $3").bind(facet).bind(value).bind(*seq).execute(&mut *tx).await?;
                        }
                        for sql in [
                            "DELETE FROM attributions WHERE incident_seq = $1",
                            "DELETE FROM responses WHERE incident_seq = $1",
                            "DELETE FROM external_assessments WHERE incident_seq = $1",
                        ] {
                            sqlx::query(sql).bind(*seq).execute(&mut *tx).await?;
                        }
                        let i = &p.record.incident;
                        sqlx::query("UPDATE incidents SET source_hash = $1, title = $2, start_date = $3, year = $4, tlp = $5, body = $6, log_index = $7, facts_index = NULL WHERE seq = $8")
                            .bind(p.record.source_hash.clone())
                            .bind(i.title.clone())
                            .bind(i.start_date.map(|d| d.to_string()))
                            .bind(i.year().map(i64::from))
                            .bind(i.tlp.label())
                            .bind(p.incident_json.clone())
                            .bind(*index)
                            .bind(*seq)
                            .execute(&mut *tx)
                            .await?;
                    }

                    // The rows are moved into the statements, not copied: at a million incidents
                    // the copies alone were a tenth of the import's time on the writing thread.
                    let rows = Rows::split(to_insert, to_update);
                    let mut incidents = rows.incidents;
                    while !incidents.is_empty() {
                        let n = incidents.len().min(MAX_BINDS / 11);
                        let mut q = QueryBuilder::new("INSERT INTO incidents (seq, id, dataset, record_id, source_hash, title, start_date, year, tlp, body, log_index) ");
                        q.push_values(incidents.drain(..n), |mut b, r| {
                            b.push_bind(r.seq)
                                .push_bind(r.id)
                                .push_bind(r.dataset)
                                .push_bind(r.record_id)
                                .push_bind(r.source_hash)
                                .push_bind(r.title)
                                .push_bind(r.start_date)
                                .push_bind(r.year)
                                .push_bind(r.tlp)
                                .push_bind(r.body)
                                .push_bind(r.log_index);
                        });
                        q.build().execute(&mut *tx).await?;
                    }
                    // A sharing list filed with its incident is written with it, and logged after it:
                    // an acknowledged report is never left readable by fewer (or more) than its
                    // reporter asked, and a refused one shares nothing.
                    for share in shares {
                        crate::accounts::share_rows!(tx, log, &share.actor, share.incident, share.seq, share.tlp, share.shared_with);
                    }
                    let mut facets = rows.facets;
                    while !facets.is_empty() {
                        let n = facets.len().min(MAX_BINDS / 3);
                        let mut q = QueryBuilder::new("INSERT INTO incident_facets (facet, value, incident_seq) ");
                        q.push_values(facets.drain(..n), |mut b, (seq, f, v)| {
                            b.push_bind(f).push_bind(v).push_bind(seq);
                        });
                        q.build().execute(&mut *tx).await?;
                    }
                    for (insert, mut filed) in [
                        ("INSERT INTO attributions (id, incident_seq, body) ", rows.attributions),
                        ("INSERT INTO responses (id, incident_seq, body) ", rows.responses),
                    ] {
                        while !filed.is_empty() {
                            let n = filed.len().min(MAX_BINDS / 3);
                            let mut q = QueryBuilder::new(insert);
                            q.push_values(filed.drain(..n), |mut b, (seq, id, j)| {
                                b.push_bind(id).push_bind(seq).push_bind(j);
                            });
                            q.build().execute(&mut *tx).await?;
                        }
                    }
                    let mut externals = rows.externals;
                    while !externals.is_empty() {
                        let n = externals.len().min(MAX_BINDS / 2);
                        let mut q = QueryBuilder::new("INSERT INTO external_assessments (incident_seq, body) ");
                        q.push_values(externals.drain(..n), |mut b, (seq, j)| {
                            b.push_bind(seq).push_bind(j);
                        });
                        q.build().execute(&mut *tx).await?;
                    }

                    // The log entries, in the same transaction as the records they describe.
                    outcome.log_entries = log.len() as u64;
                    outcome.log_size = log.flush(&mut *tx).await?;
                    (outcome, indices)
                };
                total.add(&outcome);
                all_indices.extend(indices);
                done += n;
                progress(done);
            }
            (total, all_indices)
        });
        // Invariant: the commit above has returned, so on SQLite (synchronous=FULL) the
        // WAL is fsynced and on PostgreSQL the commit is durable: only now may the caller
        // acknowledge the entries.
        Ok((outcome, indices))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_logged_in_canonical_form_whatever_features_serde_json_was_built_with() {
        let mut i = pacta_core::Incident::new("Wiper against a grid operator", pacta_core::Tlp::Clear);
        i.description = "Substations went dark.".into();
        let record = IncidentRecord::new(i);
        let json = record_json(&record).unwrap();
        // The incident's members in byte order, not in the struct's field order
        // (id, origin, title, description, …), which a `preserve_order` build would keep.
        let incident = &json[json.find("\"incident\":").unwrap()..];
        let pos = |k: &str| incident.find(&format!("\"{k}\":")).unwrap();
        assert!(pos("alleged_actors") < pos("description"));
        assert!(pos("description") < pos("id"));
        assert!(pos("id") < pos("operation_types"));
        assert!(pos("operation_types") < pos("title"));
        // Unknown fields are left out rather than written as null.
        assert!(!json.contains(":null"), "{json}");
        // And the whole text is its own canonical form, at every depth.
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(pacta_ledger::canonical::to_canonical_string(&parsed).unwrap(), json);
    }
}
