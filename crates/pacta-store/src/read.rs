//! Queries. Nothing here writes.

use crate::write::LogEntry;
use crate::{Store, StoreError, on_pool};
use chrono::NaiveDate;
use pacta_core::*;
use serde::Serialize;
use sqlx::{QueryBuilder, Row};
use std::collections::BTreeMap;

/// Filters for incident lists. Every field narrows; `None` means "any".
#[derive(Clone, Debug, Default)]
pub struct IncidentFilter {
    /// A state involved as target or as alleged author.
    pub state: Option<StateCode>,
    pub target_state: Option<StateCode>,
    pub alleged_state: Option<StateCode>,
    pub sector: Option<Sector>,
    pub operation_type: Option<OperationType>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Case-insensitive substring of the title or description.
    pub text: Option<String>,
    pub dataset: Option<Dataset>,
    /// Only incidents marked at most this restrictively.
    pub max_tlp: Option<Tlp>,
    /// Only incidents a viewer may read (see [`Access`]).
    pub access: Option<Access>,
}

/// A viewer's read access as a filter: incidents marked with a level in `open`, and
/// incidents marked `tlp` that have one of `grantees` in their sharing list
/// (`incident_grants`). Computed by the authorization layer, never by the store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Access {
    pub open: Vec<Tlp>,
    pub granted: Vec<(Tlp, Vec<String>)>,
}

/// One line of an incident list.
#[derive(Clone, Debug, Serialize)]
pub struct IncidentSummary {
    pub id: IncidentId,
    pub origin: Option<String>,
    pub title: String,
    pub start_date: Option<NaiveDate>,
    pub tlp: Tlp,
    pub operation_types: Vec<OperationType>,
    pub target_states: Vec<StateCode>,
    pub alleged_states: Vec<StateCode>,
}

/// An incident read for derived data (the search index), with where it stands in the log.
#[derive(Clone, Debug)]
pub struct ChangedIncident {
    pub seq: i64,
    /// The index of the latest log entry about this incident.
    pub log_index: u64,
    pub incident: Incident,
}

impl ChangedIncident {
    /// Where [`Store::incidents_changed_since`] continues after this row.
    pub fn cursor(&self) -> (u64, i64) {
        (self.log_index, self.seq)
    }
}

/// An incident with everything filed with it.
#[derive(Clone, Debug, Serialize)]
pub struct StoredIncident {
    pub record: IncidentRecord,
    /// The index of the latest log entry about this incident.
    pub log_index: u64,
}

/// Counts for `pacta stats` and the public statistics.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    pub incidents: u64,
    pub attributions: u64,
    pub responses: u64,
    pub external_assessments: u64,
    pub log_entries: u64,
    pub by_year: BTreeMap<String, u64>,
    pub by_sector: BTreeMap<String, u64>,
    pub by_operation_type: BTreeMap<String, u64>,
    pub by_alleged_state: BTreeMap<String, u64>,
    pub by_target_state: BTreeMap<String, u64>,
}

fn corrupt(what: impl Into<String>, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { what: what.into(), detail: e.to_string() }
}

/// Appends the filter's WHERE clause. Facet filters are EXISTS sub-queries on the
/// (facet, value, incident_seq) primary key, so each is an index range scan.
fn push_filter<DB: sqlx::Database>(q: &mut QueryBuilder<DB>, f: &IncidentFilter)
where
    String: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    q.push(" WHERE 1 = 1");
    let facet = |q: &mut QueryBuilder<DB>, name: &str, value: String| {
        q.push(" AND EXISTS (SELECT 1 FROM incident_facets f WHERE f.facet = ");
        q.push_bind(name.to_string());
        q.push(" AND f.value = ");
        q.push_bind(value);
        q.push(" AND f.incident_seq = i.seq)");
    };
    if let Some(s) = f.target_state {
        facet(q, "target_state", s.to_string());
    }
    if let Some(s) = f.alleged_state {
        facet(q, "alleged_state", s.to_string());
    }
    if let Some(s) = f.sector {
        facet(q, "sector", s.label().to_string());
    }
    if let Some(o) = f.operation_type {
        facet(q, "operation_type", o.label().to_string());
    }
    if let Some(s) = f.state {
        q.push(" AND EXISTS (SELECT 1 FROM incident_facets f WHERE f.facet IN ('target_state', 'alleged_state') AND f.value = ");
        q.push_bind(s.to_string());
        q.push(" AND f.incident_seq = i.seq)");
    }
    if let Some(d) = f.from {
        q.push(" AND i.start_date >= ");
        q.push_bind(d.to_string());
    }
    if let Some(d) = f.to {
        q.push(" AND i.start_date <= ");
        q.push_bind(d.to_string());
    }
    if let Some(t) = &f.text {
        // Escape LIKE's wildcards so the user's text is matched literally.
        let escaped = t.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        q.push(" AND i.search_text LIKE ");
        q.push_bind(format!("%{escaped}%"));
        q.push(" ESCAPE '\\'");
    }
    if let Some(d) = f.dataset {
        q.push(" AND i.dataset = ");
        q.push_bind(d.label().to_string());
    }
    if let Some(max) = f.max_tlp {
        let allowed: Vec<&str> = Tlp::ALL.iter().filter(|t| **t <= max).map(|t| t.label()).collect();
        q.push(" AND i.tlp IN (");
        let mut sep = q.separated(", ");
        for a in allowed {
            sep.push_bind(a.to_string());
        }
        q.push(")");
    }
    if let Some(access) = &f.access {
        // FALSE OR ...: an empty access sees nothing.
        q.push(" AND (1 = 0");
        if !access.open.is_empty() {
            q.push(" OR i.tlp IN (");
            let mut sep = q.separated(", ");
            for t in &access.open {
                sep.push_bind(t.label().to_string());
            }
            q.push(")");
        }
        for (tlp, grantees) in access.granted.iter().filter(|(_, g)| !g.is_empty()) {
            q.push(" OR (i.tlp = ");
            q.push_bind(tlp.label().to_string());
            q.push(" AND EXISTS (SELECT 1 FROM incident_grants g WHERE g.incident_seq = i.seq AND g.grantee IN (");
            let mut sep = q.separated(", ");
            for g in grantees {
                sep.push_bind(g.clone());
            }
            q.push(")))");
        }
        q.push(")");
    }
}

impl Store {
    /// Incidents matching `filter`, newest first (undated last), `limit` from `offset`.
    pub async fn list_incidents(&self, filter: &IncidentFilter, limit: u32, offset: u64) -> Result<Vec<IncidentSummary>, StoreError> {
        on_pool!(self, pool => {
            let mut q = QueryBuilder::new("SELECT i.body, i.dataset, i.record_id FROM incidents i");
            push_filter(&mut q, filter);
            q.push(" ORDER BY i.start_date IS NULL, i.start_date DESC, i.seq DESC LIMIT ");
            q.push_bind(i64::from(limit));
            q.push(" OFFSET ");
            q.push_bind(offset as i64);
            let rows = q.build().fetch_all(pool).await?;
            rows.iter().map(summary_from_row).collect()
        })
    }

    /// The summaries of the incidents `ids`, in the order given; ids not in the store are
    /// left out. For the search index, which finds ids and leaves the records to the store.
    pub async fn summaries(&self, ids: &[IncidentId]) -> Result<Vec<IncidentSummary>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut found: Vec<IncidentSummary> = on_pool!(self, pool => {
            let mut q = QueryBuilder::new("SELECT i.body, i.dataset, i.record_id FROM incidents i WHERE i.id IN (");
            let mut sep = q.separated(", ");
            for id in ids {
                sep.push_bind(id.to_string());
            }
            q.push(")");
            let rows = q.build().fetch_all(pool).await?;
            rows.iter().map(summary_from_row).collect::<Result<_, StoreError>>()?
        });
        let rank: std::collections::HashMap<IncidentId, usize> = ids.iter().enumerate().map(|(k, id)| (*id, k)).collect();
        found.sort_by_key(|s| rank.get(&s.id).copied().unwrap_or(usize::MAX));
        Ok(found)
    }

    /// Incidents whose latest log entry is at `cursor.0` or later, in (log index, seq)
    /// order, after the incident `cursor` names; at most `limit`. Start with
    /// `(since, -1)` and continue from the last row's [`ChangedIncident::cursor`].
    ///
    /// This is how derived data catches up: every write path that changes an incident's
    /// facts, marking or claims sets `incidents.log_index` to its log entry in the same
    /// transaction, so the incidents changed since log size `since` are exactly those with
    /// `log_index >= since`. (Sharing lists are not covered: readers take them live.)
    pub async fn incidents_changed_since(&self, cursor: (u64, i64), limit: u32) -> Result<Vec<ChangedIncident>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT seq, log_index, body FROM incidents WHERE (log_index, seq) > ($1, $2) ORDER BY log_index, seq LIMIT $3",
            )
            .bind(cursor.0 as i64)
            .bind(cursor.1)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    let seq: i64 = row.try_get("seq")?;
                    let body: String = row.try_get("body")?;
                    let incident: Incident = serde_json::from_str(&body).map_err(|e| corrupt(format!("incident {seq}"), e))?;
                    Ok(ChangedIncident { seq, log_index: row.try_get::<i64, _>("log_index")? as u64, incident })
                })
                .collect()
        })
    }

    /// The incidents the `granted` part of an access lets a viewer read: marked with one
    /// of the levels and shared with one of the grantees. Read live, never cached, so a
    /// new grant counts from the moment it is committed.
    pub async fn granted_incidents(&self, access: &Access) -> Result<Vec<IncidentId>, StoreError> {
        let granted: Vec<&(Tlp, Vec<String>)> = access.granted.iter().filter(|(_, g)| !g.is_empty()).collect();
        if granted.is_empty() {
            return Ok(Vec::new());
        }
        on_pool!(self, pool => {
            let mut q = QueryBuilder::new("SELECT DISTINCT i.id FROM incidents i JOIN incident_grants g ON g.incident_seq = i.seq WHERE 1 = 0");
            for (tlp, grantees) in granted {
                q.push(" OR (i.tlp = ");
                q.push_bind(tlp.label().to_string());
                q.push(" AND g.grantee IN (");
                let mut sep = q.separated(", ");
                for g in grantees {
                    sep.push_bind(g.clone());
                }
                q.push("))");
            }
            let ids: Vec<String> = q.build_query_scalar().fetch_all(pool).await?;
            ids.iter().map(|id| IncidentId::parse(id).map_err(|e| corrupt("incident id", e))).collect()
        })
    }

    pub async fn count_incidents(&self, filter: &IncidentFilter) -> Result<u64, StoreError> {
        on_pool!(self, pool => {
            let mut q = QueryBuilder::new("SELECT COUNT(*) FROM incidents i");
            push_filter(&mut q, filter);
            let n: i64 = q.build_query_scalar().fetch_one(pool).await?;
            Ok(n as u64)
        })
    }

    /// Finds an incident by its UUID or by its origin, written `DATASET:RECORD_ID`
    /// (`eurepoc:2`).
    pub async fn get_incident(&self, reference: &str) -> Result<Option<StoredIncident>, StoreError> {
        let reference = reference.trim();
        let row = on_pool!(self, pool => {
            let q = if let Ok(id) = IncidentId::parse(reference) {
                sqlx::query("SELECT seq, body, log_index, source_hash FROM incidents WHERE id = $1").bind(id.to_string())
            } else if let Some((dataset, record_id)) = reference.split_once(':') {
                let dataset = Dataset::parse("dataset", dataset)?;
                sqlx::query("SELECT seq, body, log_index, source_hash FROM incidents WHERE dataset = $1 AND record_id = $2").bind(dataset.label().to_string()).bind(record_id.to_string())
            } else {
                return Err(Invalid::new("incident", reference, "expected an incident id (UUID) or DATASET:RECORD_ID such as eurepoc:2").into());
            };
            match q.fetch_optional(pool).await? {
                None => None,
                Some(row) => Some((
                    row.try_get::<i64, _>("seq")?,
                    row.try_get::<String, _>("body")?,
                    row.try_get::<i64, _>("log_index")?,
                    row.try_get::<Option<String>, _>("source_hash")?,
                )),
            }
        });
        let Some((seq, body, log_index, source_hash)) = row else { return Ok(None) };
        let incident: Incident = serde_json::from_str(&body).map_err(|e| corrupt(format!("incident {seq}"), e))?;
        let (attributions, responses, external, parties) = on_pool!(self, pool => {
            // Everything filed with the incident in one round trip (reads of single
            // incidents are the hottest path of the public server).
            let rows = sqlx::query(
                "SELECT 0 AS part, id, body FROM attributions WHERE incident_seq = $1 \
                 UNION ALL SELECT 1, id, body FROM responses WHERE incident_seq = $1 \
                 UNION ALL SELECT 2, '', body FROM external_assessments WHERE incident_seq = $1 \
                 ORDER BY 1, 2",
            )
            .bind(seq)
            .fetch_all(pool)
            .await?;
            let mut attributions = Vec::new();
            let mut responses = Vec::new();
            let mut external = None;
            for row in rows {
                let part: i32 = row.try_get::<i64, _>(0).map(|p| p as i32).or_else(|_| row.try_get::<i32, _>(0))?;
                let b: String = row.try_get("body")?;
                match part {
                    0 => attributions.push(serde_json::from_str::<Attribution>(&b).map_err(|e| corrupt("attribution", e))?),
                    1 => responses.push(serde_json::from_str::<Response>(&b).map_err(|e| corrupt("response", e))?),
                    _ => external = Some(serde_json::from_str::<ExternalAssessment>(&b).map_err(|e| corrupt("external assessment", e))?),
                }
            }
            let mut party_ids: Vec<String> = attributions.iter().flat_map(|a: &Attribution| a.attributors.iter().map(|p| p.to_string())).collect();
            party_ids.extend(responses.iter().filter_map(|r: &Response| r.responder.as_ref().map(|p| p.to_string())));
            party_ids.sort();
            party_ids.dedup();
            let mut parties = Vec::new();
            if !party_ids.is_empty() {
                let mut q = QueryBuilder::new("SELECT id, kind, name, state FROM parties WHERE id IN (");
                let mut sep = q.separated(", ");
                for id in party_ids {
                    sep.push_bind(id);
                }
                q.push(") ORDER BY id");
                for row in q.build().fetch_all(pool).await? {
                    parties.push(party_from_row(&row)?);
                }
            }
            (attributions, responses, external, parties)
        });
        Ok(Some(StoredIncident {
            record: IncidentRecord { incident, attributions, responses, external, parties, source_hash },
            log_index: log_index as u64,
        }))
    }

    pub async fn parties(&self) -> Result<Vec<Party>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT id, kind, name, state FROM parties ORDER BY id").fetch_all(pool).await?;
            rows.iter().map(party_from_row).collect()
        })
    }

    /// Counts over the incidents matching `filter` (its access included), each computed
    /// by one aggregate query: the public statistics use the viewer's filter, `pacta
    /// stats` the empty one. `attributions` counts every claim filed with those incidents,
    /// private ones included: a caller that must hide private claims counts what
    /// [`Store::attributions_of`] returns after its own decision. `external_assessments`
    /// counts those with at least one finding.
    pub async fn stats(&self, filter: &IncidentFilter) -> Result<Stats, StoreError> {
        let mut s = Stats::default();
        on_pool!(self, pool => {
            let mut q = QueryBuilder::new("SELECT i.year, COUNT(*) AS n FROM incidents i");
            push_filter(&mut q, filter);
            q.push(" GROUP BY i.year");
            for row in q.build().fetch_all(pool).await? {
                let year: Option<i64> = row.try_get("year")?;
                let n = row.try_get::<i64, _>("n")? as u64;
                s.incidents += n;
                s.by_year.insert(year.map(|y| y.to_string()).unwrap_or_else(|| "undated".into()), n);
            }
            // One row per (facet, value, incident): counting rows counts incidents.
            let mut q = QueryBuilder::new("SELECT fc.facet, fc.value, COUNT(*) AS n FROM incidents i JOIN incident_facets fc ON fc.incident_seq = i.seq");
            push_filter(&mut q, filter);
            q.push(" GROUP BY fc.facet, fc.value");
            for row in q.build().fetch_all(pool).await? {
                let facet: String = row.try_get("facet")?;
                let value: String = row.try_get("value")?;
                let n = row.try_get::<i64, _>("n")? as u64;
                let map = match facet.as_str() {
                    "sector" => &mut s.by_sector,
                    "operation_type" => &mut s.by_operation_type,
                    "alleged_state" => &mut s.by_alleged_state,
                    "target_state" => &mut s.by_target_state,
                    _ => continue,
                };
                map.insert(value, n);
            }
            for (table, out) in [("attributions", &mut s.attributions), ("responses", &mut s.responses)] {
                let mut q = QueryBuilder::new(format!("SELECT COUNT(*) FROM incidents i JOIN {table} x ON x.incident_seq = i.seq"));
                push_filter(&mut q, filter);
                *out = q.build_query_scalar::<i64>().fetch_one(pool).await? as u64;
            }
            let mut q = QueryBuilder::new("SELECT x.body FROM incidents i JOIN external_assessments x ON x.incident_seq = i.seq");
            push_filter(&mut q, filter);
            for body in q.build_query_scalar::<String>().fetch_all(pool).await? {
                let e: ExternalAssessment = serde_json::from_str(&body).map_err(|e| corrupt("external assessment", e))?;
                s.external_assessments += u64::from(!e.is_empty());
            }
            s.log_entries = sqlx::query_scalar::<_, i64>("SELECT size FROM log_head WHERE id = 1").fetch_one(pool).await? as u64;
        });
        Ok(s)
    }

    /// Every attribution claim filed with the incidents matching `filter`, each with its
    /// incident's summary, in list order (newest incident first, then by claim id): one
    /// query for the index of who attributed what. Private claims are included; the
    /// caller decides which a viewer may see.
    pub async fn attributions_of(&self, filter: &IncidentFilter) -> Result<Vec<(IncidentSummary, Attribution)>, StoreError> {
        on_pool!(self, pool => {
            let mut q = QueryBuilder::new("SELECT i.id, i.body, i.dataset, i.record_id, x.body AS claim FROM incidents i JOIN attributions x ON x.incident_seq = i.seq");
            push_filter(&mut q, filter);
            q.push(" ORDER BY i.start_date IS NULL, i.start_date DESC, i.seq DESC, x.id");
            let rows = q.build().fetch_all(pool).await?;
            let mut out: Vec<(IncidentSummary, Attribution)> = Vec::with_capacity(rows.len());
            for row in &rows {
                // Rows of one incident are adjacent: parse its body once.
                let summary = match out.last() {
                    Some((prev, _)) if row.try_get::<String, _>("id")? == prev.id.to_string() => prev.clone(),
                    _ => summary_from_row(row)?,
                };
                let claim: String = row.try_get("claim")?;
                out.push((summary, serde_json::from_str(&claim).map_err(|e| corrupt("attribution", e))?));
            }
            Ok(out)
        })
    }

    /// The number of entries in the log.
    pub async fn log_size(&self) -> Result<u64, StoreError> {
        on_pool!(self, pool => {
            let n: i64 = sqlx::query_scalar("SELECT size FROM log_head WHERE id = 1").fetch_one(pool).await?;
            Ok(n as u64)
        })
    }

    /// Log entries with `start <= index < end`, in index order.
    pub async fn log_entries(&self, start: u64, end: u64) -> Result<Vec<LogEntry>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT idx, leaf_hash, kind, entry FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx")
                .bind(start as i64)
                .bind(end as i64)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| {
                let idx: i64 = row.try_get("idx")?;
                let hash: Vec<u8> = row.try_get("leaf_hash")?;
                let leaf_hash: [u8; 32] = hash.try_into().map_err(|_| corrupt(format!("log entry {idx}"), "leaf hash is not 32 bytes"))?;
                Ok(LogEntry { index: idx as u64, kind: row.try_get("kind")?, entry: row.try_get("entry")?, leaf_hash })
            }).collect()
        })
    }

    /// The leaf hashes of entries `start..end`, in index order: what the tree is built from.
    pub async fn log_leaf_hashes(&self, start: u64, end: u64) -> Result<Vec<[u8; 32]>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT idx, leaf_hash FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx")
                .bind(start as i64)
                .bind(end as i64)
                .fetch_all(pool)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for (k, row) in rows.iter().enumerate() {
                let idx: i64 = row.try_get("idx")?;
                if idx as u64 != start + k as u64 {
                    return Err(corrupt("log", format!("entry {} is missing", start + k as u64)));
                }
                let hash: Vec<u8> = row.try_get("leaf_hash")?;
                out.push(hash.try_into().map_err(|_| corrupt(format!("log entry {idx}"), "leaf hash is not 32 bytes"))?);
            }
            Ok(out)
        })
    }
}

fn summary_from_row<R: Row>(row: &R) -> Result<IncidentSummary, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let body: String = row.try_get("body")?;
    let i: Incident = serde_json::from_str(&body).map_err(|e| corrupt("incident", e))?;
    let dataset: Option<String> = row.try_get("dataset")?;
    let record_id: Option<String> = row.try_get("record_id")?;
    Ok(IncidentSummary {
        id: i.id,
        origin: dataset.zip(record_id).map(|(d, r)| format!("{d}:{r}")),
        target_states: i.target_states(),
        alleged_states: i.alleged_states(),
        title: i.title,
        start_date: i.start_date,
        tlp: i.tlp,
        operation_types: i.operation_types,
    })
}

fn party_from_row<R: Row>(row: &R) -> Result<Party, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = row.try_get("id")?;
    let kind: String = row.try_get("kind")?;
    let state: Option<String> = row.try_get("state")?;
    Ok(Party {
        id: PartyId::parse("party", &id).map_err(|e| corrupt("party", e))?,
        kind: PartyKind::parse("kind", &kind).map_err(|e| corrupt("party", e))?,
        name: row.try_get("name")?,
        state: state.map(|s| StateCode::parse("state", &s)).transpose().map_err(|e| corrupt("party", e))?,
    })
}
