//! Queries. Nothing here writes.

use crate::write::LogEntry;
use crate::{Store, StoreError, on_pool};
use chrono::{Datelike, NaiveDate};
use pacta_core::*;
use serde::Serialize;
use sqlx::{QueryBuilder, Row};
use std::collections::{BTreeMap, HashMap};

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
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredIncident {
    pub record: IncidentRecord,
    /// The index of the incident record's latest log entry: public, shown with the record.
    pub log_index: u64,
    /// The latest log entry its assessment rests on: the record's, or a later claim's or
    /// consultation's. For telling a stored assessment's freshness only: it may be the
    /// entry of a claim the viewer may not see, so it is never shown.
    pub facts_index: u64,
}

/// Counts for `pacta stats` and the public statistics.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    pub incidents: u64,
    /// Attribution claims that stand: imported ones and public claims made in the
    /// registry, each at its latest version (a withdrawn one does not count).
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

impl Stats {
    /// Adds the counts over another set of incidents, disjoint from this one's (another
    /// marking, say): every count is a sum. `log_entries` is the log's size, not a count
    /// of incidents, and the larger is kept.
    pub fn add(&mut self, other: &Stats) {
        self.incidents += other.incidents;
        self.attributions += other.attributions;
        self.responses += other.responses;
        self.external_assessments += other.external_assessments;
        self.log_entries = self.log_entries.max(other.log_entries);
        for (mine, theirs) in [
            (&mut self.by_year, &other.by_year),
            (&mut self.by_sector, &other.by_sector),
            (&mut self.by_operation_type, &other.by_operation_type),
            (&mut self.by_alleged_state, &other.by_alleged_state),
            (&mut self.by_target_state, &other.by_target_state),
        ] {
            for (k, n) in theirs {
                *mine.entry(k.clone()).or_default() += n;
            }
        }
    }
}

fn corrupt(what: impl Into<String>, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { what: what.into(), detail: e.to_string() }
}

/// Appends the filter's WHERE clause. Facet filters are EXISTS sub-queries on the
/// (facet, value, incident_seq) primary key, so each is an index range scan.
fn push_filter<DB: sqlx::Database>(q: &mut QueryBuilder<DB>, f: &IncidentFilter)
where
    String: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
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
    // Dates are filtered through the year first: `year` is the start date's year, and its
    // index is cheap to keep (a handful of append points), where an index on the start
    // date itself is written at random places by every import.
    if let Some(d) = f.from {
        q.push(" AND i.year >= ");
        q.push_bind(i64::from(d.year()));
        q.push(" AND i.start_date >= ");
        q.push_bind(d.to_string());
    }
    if let Some(d) = f.to {
        q.push(" AND i.year <= ");
        q.push_bind(i64::from(d.year()));
        q.push(" AND i.start_date <= ");
        q.push_bind(d.to_string());
    }
    if let Some(t) = &f.text {
        // The title and the description, as full-text search indexes them; a literal,
        // case-insensitive scan, for the CLI and for pages deeper than the search index
        // serves. Both backends fold case over all of Unicode, so "ärzte" finds "ÄRZTE":
        // PostgreSQL's lower() follows the database's UTF-8 locale; SQLite's folds ASCII
        // only, so there the text is matched by a case-insensitive regex of the escaped
        // words (the REGEXP function registered when the store opens).
        if DB::NAME == "PostgreSQL" {
            let escaped = t.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            q.push(" AND lower(i.title || chr(10) || coalesce(i.body::json ->> 'description', '')) LIKE ");
            q.push_bind(format!("%{escaped}%"));
            q.push(" ESCAPE '\\'");
        } else {
            q.push(" AND (i.title || char(10) || coalesce(json_extract(i.body, '$.description'), '')) REGEXP ");
            q.push_bind(format!("(?i){}", regex::escape(t)));
        }
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
        // Only shared incidents (the part of a reader's counts that is its own): every one
        // has a grant to one of these grantees. Saying so up front lets the database start
        // from the grants index instead of testing every incident, which at a million
        // incidents took seconds however few were shared.
        let grantees: Vec<&String> = access.granted.iter().flat_map(|(_, g)| g).collect();
        if access.open.is_empty() && !grantees.is_empty() {
            q.push(" AND i.seq IN (SELECT g.incident_seq FROM incident_grants g WHERE g.grantee IN (");
            let mut sep = q.separated(", ");
            for g in grantees {
                sep.push_bind(g.clone());
            }
            q.push("))");
        }
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

/// Which incident a reference names: its id, or its origin (`DATASET:RECORD_ID`).
pub(crate) enum IncidentKey {
    Id(IncidentId),
    Origin(Dataset, String),
}

impl IncidentKey {
    fn parse(reference: &str) -> Result<IncidentKey, StoreError> {
        let reference = reference.trim();
        if let Ok(id) = IncidentId::parse(reference) {
            Ok(IncidentKey::Id(id))
        } else if let Some((dataset, record_id)) = reference.split_once(':') {
            let dataset = Dataset::parse("dataset", dataset)?;
            Ok(IncidentKey::Origin(dataset, dataset.record_key(record_id)))
        } else {
            Err(Invalid::new("incident", reference, "expected an incident id (UUID) or DATASET:RECORD_ID such as eurepoc:2").into())
        }
    }

    /// The statement that finds the incident's row, and its parameters in order.
    pub(crate) fn lookup(&self) -> (&'static str, Vec<String>) {
        match self {
            IncidentKey::Id(id) => ("SELECT seq, body, log_index, COALESCE(facts_index, log_index) AS facts_index, source_hash FROM incidents WHERE id = $1", vec![id.to_string()]),
            IncidentKey::Origin(dataset, record_id) => {
                ("SELECT seq, body, log_index, COALESCE(facts_index, log_index) AS facts_index, source_hash FROM incidents WHERE dataset = $1 AND record_id = $2", vec![dataset.label().to_string(), record_id.clone()])
            }
        }
    }
}

/// Everything filed with one incident, in one statement: `(part, id, body)` where part is
/// 0 for attribution claims, 1 for responses and 2 for the external assessment. The first
/// part is cast to BIGINT so that the column reads as `i64` on both backends (a bare
/// literal is a 32-bit integer on PostgreSQL); [`FILED_WITH_RANGE`] and `workflow`'s
/// statement do the same.
pub(crate) const FILED_WITH_INCIDENT: &str = "SELECT CAST(0 AS BIGINT) AS part, id, body FROM attributions WHERE incident_seq = $1 \
     UNION ALL SELECT 1, id, body FROM responses WHERE incident_seq = $1 \
     UNION ALL SELECT 2, '', body FROM external_assessments WHERE incident_seq = $1 \
     ORDER BY 1, 2";

/// A `parties` row as [`parties_by_id`] selects it: `(id, kind, name, state)`.
pub(crate) type PartyRow = (String, String, String, Option<String>);

/// What is filed with the incidents at positions `$1` to `$2`: `(incident_seq, part, id,
/// body)`, with the parts of [`FILED_WITH_INCIDENT`], in the same order for each incident.
pub(crate) const FILED_WITH_RANGE: &str = "SELECT incident_seq, CAST(0 AS BIGINT) AS part, id, body FROM attributions WHERE incident_seq BETWEEN $1 AND $2 \
     UNION ALL SELECT incident_seq, 1, id, body FROM responses WHERE incident_seq BETWEEN $1 AND $2 \
     UNION ALL SELECT incident_seq, 2, '', body FROM external_assessments WHERE incident_seq BETWEEN $1 AND $2 \
     ORDER BY 1, 2, 3";

/// The parties with `n` given ids (`$1` … `$n`), by id.
pub(crate) fn parties_by_id(n: usize) -> String {
    let ids: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
    format!("SELECT id, kind, name, state FROM parties WHERE id IN ({}) ORDER BY id", ids.join(", "))
}

/// The rows filed with an incident, parsed.
pub(crate) struct Filed {
    attributions: Vec<Attribution>,
    responses: Vec<Response>,
    external: Option<ExternalAssessment>,
}

impl Filed {
    pub(crate) fn parse(rows: Vec<(i64, String)>) -> Result<Filed, StoreError> {
        let mut filed = Filed { attributions: Vec::new(), responses: Vec::new(), external: None };
        for (part, body) in rows {
            match part {
                0 => filed.attributions.push(serde_json::from_str(&body).map_err(|e| corrupt("attribution", e))?),
                1 => filed.responses.push(serde_json::from_str(&body).map_err(|e| corrupt("response", e))?),
                _ => filed.external = Some(serde_json::from_str(&body).map_err(|e| corrupt("external assessment", e))?),
            }
        }
        Ok(filed)
    }

    /// The parties the filed rows name (attributors and responders), sorted, once each.
    pub(crate) fn party_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.attributions.iter().flat_map(|a| a.attributors.iter().map(|p| p.to_string())).collect();
        ids.extend(self.responses.iter().filter_map(|r| r.responder.as_ref().map(|p| p.to_string())));
        ids.sort();
        ids.dedup();
        ids
    }
}

/// An incident as read, before its body and parties are parsed.
pub(crate) struct RawIncident {
    pub(crate) seq: i64,
    pub(crate) body: String,
    pub(crate) log_index: i64,
    pub(crate) facts_index: i64,
    pub(crate) source_hash: Option<String>,
    pub(crate) filed: Filed,
    /// `(id, kind, name, state)` of the parties named in `filed`.
    pub(crate) parties: Vec<PartyRow>,
}

impl RawIncident {
    fn assemble(self) -> Result<StoredIncident, StoreError> {
        let incident: Incident = serde_json::from_str(&self.body).map_err(|e| corrupt(format!("incident {}", self.seq), e))?;
        let parties = self.parties.into_iter().map(|(id, kind, name, state)| party_from_parts(&id, &kind, name, state.as_deref())).collect::<Result<Vec<_>, _>>()?;
        let Filed { attributions, responses, external } = self.filed;
        Ok(StoredIncident {
            record: IncidentRecord { incident, attributions, responses, external, parties, source_hash: self.source_hash },
            log_index: self.log_index as u64,
            facts_index: self.facts_index as u64,
        })
    }
}

impl Store {
    /// Incidents matching `filter`, newest first (undated last), `limit` from `offset`.
    pub async fn list_incidents(&self, filter: &IncidentFilter, limit: u32, offset: u64) -> Result<Vec<IncidentSummary>, StoreError> {
        on_pool!(self, pool => {
            // No index keeps incidents in list order (one on the start date would be
            // written at random places by every import), so a page sorts every match.
            // The sort is over the keys alone and only the page's rows are then read: with
            // the bodies in the sorter, a page 500,000 deep took 10 s and held about 600 MB
            // of sorted bodies in memory; without them, 2 s (1,000,820 incidents).
            let mut q = QueryBuilder::new("SELECT o.body, o.dataset, o.record_id FROM incidents o WHERE o.seq IN (SELECT i.seq FROM incidents i");
            push_filter(&mut q, filter);
            q.push(" ORDER BY i.start_date IS NULL, i.start_date DESC, i.seq DESC LIMIT ");
            q.push_bind(i64::from(limit));
            q.push(" OFFSET ");
            q.push_bind(offset as i64);
            q.push(") ORDER BY o.start_date IS NULL, o.start_date DESC, o.seq DESC");
            let rows = q.build().fetch_all(pool).await?;
            rows.iter().map(summary_from_row).collect()
        })
    }

    /// The incidents matching `filter` in registry order (the order they were recorded),
    /// after the position `after` (`None`: from the start), at most `limit`, each with
    /// everything filed with it, as `(position, incident)`; continue from the last
    /// position returned.
    ///
    /// For passes over everything, such as the bulk downloads. A page is a range of the
    /// primary key, so it costs the same however deep the pass is, where a page of
    /// `list_incidents` sorts every match (a pass over a million incidents by offset never
    /// finished); a write during the pass cannot shift it, since a new incident comes at
    /// the end; and a page is three statements from one snapshot, not three per incident.
    pub async fn incidents_after(&self, filter: &IncidentFilter, after: Option<i64>, limit: u32) -> Result<Vec<(i64, StoredIncident)>, StoreError> {
        let raws: Vec<RawIncident> = on_pool!(self, pool => {
            let mut tx = pool.begin_with(crate::dialect::begin_snapshot(self.backend())).await?;
            let mut q = QueryBuilder::new("SELECT i.seq, i.body, i.log_index, COALESCE(i.facts_index, i.log_index), i.source_hash FROM incidents i");
            push_filter(&mut q, filter);
            q.push(" AND i.seq > ");
            q.push_bind(after.unwrap_or(-1));
            q.push(" ORDER BY i.seq LIMIT ");
            q.push_bind(i64::from(limit));
            let rows: Vec<(i64, String, i64, i64, Option<String>)> = q.build_query_as().fetch_all(&mut *tx).await?;
            let (Some(first), Some(last)) = (rows.first().map(|r| r.0), rows.last().map(|r| r.0)) else {
                tx.commit().await?;
                return Ok(Vec::new());
            };
            // What is filed with the whole range; rows of incidents the filter left out of
            // the page are dropped below.
            let mut filed: std::collections::HashMap<i64, Vec<(i64, String)>> = std::collections::HashMap::new();
            for row in sqlx::query(FILED_WITH_RANGE).bind(first).bind(last).fetch_all(&mut *tx).await? {
                let part: i64 = row.try_get::<i64, _>(1)?;
                filed.entry(row.try_get::<i64, _>(0)?).or_default().push((part, row.try_get::<String, _>("body")?));
            }
            let mut raws = Vec::with_capacity(rows.len());
            let mut named = std::collections::BTreeSet::new();
            for (seq, body, log_index, facts_index, source_hash) in rows {
                let filed = Filed::parse(filed.remove(&seq).unwrap_or_default())?;
                named.extend(filed.party_ids());
                raws.push(RawIncident { seq, body, log_index, facts_index, source_hash, filed, parties: Vec::new() });
            }
            let named: Vec<String> = named.into_iter().collect();
            let mut parties: Vec<PartyRow> = Vec::new();
            for chunk in named.chunks(crate::dialect::MAX_BINDS) {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(parties_by_id(chunk.len())));
                for id in chunk {
                    q = q.bind(id);
                }
                parties.extend(q.fetch_all(&mut *tx).await?);
            }
            tx.commit().await?;
            // Each incident's parties in the order the database gave them, as `get_incident`.
            for raw in &mut raws {
                let own = raw.filed.party_ids();
                raw.parties = parties.iter().filter(|p| own.binary_search(&p.0).is_ok()).cloned().collect();
            }
            raws
        });
        raws.into_iter().map(|r| Ok((r.seq, r.assemble()?))).collect()
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
        let key = IncidentKey::parse(reference)?;
        // The hottest read of the public server: on SQLite it runs in place (see `direct`).
        let raw = match &self.direct {
            Some(direct) => direct.incident(&key)?,
            None => self.incident_pooled(&key).await?,
        };
        raw.map(RawIncident::assemble).transpose()
    }

    async fn incident_pooled(&self, key: &IncidentKey) -> Result<Option<RawIncident>, StoreError> {
        on_pool!(self, pool => {
            // One snapshot for the three statements, as on the direct path: PostgreSQL's
            // default level would let a re-import land between the row and its claims.
            let mut tx = pool.begin_with(crate::dialect::begin_snapshot(self.backend())).await?;
            let (sql, params) = key.lookup();
            let mut q = sqlx::query(sql);
            for p in params {
                q = q.bind(p);
            }
            let Some(row) = q.fetch_optional(&mut *tx).await? else { return Ok(None) };
            let seq: i64 = row.try_get("seq")?;
            let mut filed = Vec::new();
            for row in sqlx::query(FILED_WITH_INCIDENT).bind(seq).fetch_all(&mut *tx).await? {
                let part: i64 = row.try_get::<i64, _>(0)?;
                filed.push((part, row.try_get::<String, _>("body")?));
            }
            let filed = Filed::parse(filed)?;
            let ids = filed.party_ids();
            let mut parties = Vec::new();
            if !ids.is_empty() {
                let sql = parties_by_id(ids.len());
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for id in ids {
                    q = q.bind(id);
                }
                for row in q.fetch_all(&mut *tx).await? {
                    parties.push((row.try_get("id")?, row.try_get("kind")?, row.try_get("name")?, row.try_get("state")?));
                }
            }
            tx.commit().await?;
            Ok(Some(RawIncident { seq, body: row.try_get("body")?, log_index: row.try_get("log_index")?, facts_index: row.try_get("facts_index")?, source_hash: row.try_get("source_hash")?, filed, parties }))
        })
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
        for part in self.stats_by_marking(filter).await?.values() {
            s.add(part);
        }
        if s.log_entries == 0 {
            s.log_entries = on_pool!(self, pool => sqlx::query_scalar::<_, i64>("SELECT size FROM log_head WHERE id = 1").fetch_one(pool).await?) as u64;
        }
        Ok(s)
    }

    /// [`Store::stats`], one part per marking: the same aggregate queries, grouped by
    /// marking too, so one pass over the registry counts every marking at once. A marking
    /// no matching incident has is absent.
    pub async fn stats_by_marking(&self, filter: &IncidentFilter) -> Result<BTreeMap<Tlp, Stats>, StoreError> {
        let mut parts: BTreeMap<Tlp, Stats> = BTreeMap::new();
        let marking = |row_tlp: &str| Tlp::parse("tlp", row_tlp).map_err(|e| corrupt("incident marking", e));
        on_pool!(self, pool => {
            let mut q = QueryBuilder::new("SELECT i.tlp, i.year, COUNT(*) AS n FROM incidents i");
            push_filter(&mut q, filter);
            q.push(" GROUP BY i.tlp, i.year");
            for row in q.build().fetch_all(pool).await? {
                let s = parts.entry(marking(&row.try_get::<String, _>("tlp")?)?).or_default();
                let year: Option<i64> = row.try_get("year")?;
                let n = row.try_get::<i64, _>("n")? as u64;
                s.incidents += n;
                s.by_year.insert(year.map(|y| y.to_string()).unwrap_or_else(|| "undated".into()), n);
            }
            // One row per (facet, value, incident): counting rows counts incidents.
            let mut q = QueryBuilder::new("SELECT i.tlp, fc.facet, fc.value, COUNT(*) AS n FROM incidents i JOIN incident_facets fc ON fc.incident_seq = i.seq");
            push_filter(&mut q, filter);
            q.push(" GROUP BY i.tlp, fc.facet, fc.value");
            for row in q.build().fetch_all(pool).await? {
                let s = parts.entry(marking(&row.try_get::<String, _>("tlp")?)?).or_default();
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
            for table in ["attributions", "responses"] {
                let mut q = QueryBuilder::new(format!("SELECT i.tlp, COUNT(*) AS n FROM incidents i JOIN {table} x ON x.incident_seq = i.seq"));
                push_filter(&mut q, filter);
                q.push(" GROUP BY i.tlp");
                for row in q.build().fetch_all(pool).await? {
                    let s = parts.entry(marking(&row.try_get::<String, _>("tlp")?)?).or_default();
                    let n = row.try_get::<i64, _>("n")? as u64;
                    if table == "attributions" { s.attributions = n } else { s.responses = n }
                }
            }
            // Claims made in the registry count as practice counts them: each claim at its
            // latest version (which may amend or withdraw an imported claim of the same id),
            // public ones only, under its incident's marking. Few incidents have any, so
            // their imported claims are read one incident at a time.
            // Driven by the versions' index, as in `attributions_of`.
            let mut q = QueryBuilder::new("SELECT i.seq, i.tlp, x.body FROM claim_versions x JOIN incidents i ON i.seq = x.incident_seq");
            push_filter(&mut q, filter);
            q.push(" ORDER BY x.incident_seq, x.log_index");
            let mut versions: BTreeMap<i64, (String, Vec<ClaimVersion>)> = BTreeMap::new();
            for row in q.build().fetch_all(pool).await? {
                let seq: i64 = row.try_get("seq")?;
                let v: ClaimVersion = serde_json::from_str(&row.try_get::<String, _>("body")?).map_err(|e| corrupt("claim version", e))?;
                versions.entry(seq).or_insert_with(|| (String::new(), Vec::new())).1.push(v);
                versions.get_mut(&seq).expect("just inserted").0 = row.try_get("tlp")?;
            }
            for (seq, (tlp, vs)) in versions {
                let mut claims: Vec<Attribution> = Vec::new();
                for body in sqlx::query_scalar::<_, String>("SELECT body FROM attributions WHERE incident_seq = $1").bind(seq).fetch_all(pool).await? {
                    claims.push(serde_json::from_str(&body).map_err(|e| corrupt("attribution", e))?);
                }
                let imported = claims.len() as u64;
                for v in vs {
                    v.apply_to(&mut claims);
                }
                let standing = claims.iter().filter(|a| a.visibility == Visibility::Public).count() as u64;
                let s = parts.entry(marking(&tlp)?).or_default();
                s.attributions = (s.attributions + standing).saturating_sub(imported);
            }
            let mut q = QueryBuilder::new("SELECT i.tlp, x.body FROM incidents i JOIN external_assessments x ON x.incident_seq = i.seq");
            push_filter(&mut q, filter);
            for row in q.build().fetch_all(pool).await? {
                let e: ExternalAssessment = serde_json::from_str(&row.try_get::<String, _>("body")?).map_err(|e| corrupt("external assessment", e))?;
                parts.entry(marking(&row.try_get::<String, _>("tlp")?)?).or_default().external_assessments += u64::from(!e.is_empty());
            }
            let size = sqlx::query_scalar::<_, i64>("SELECT size FROM log_head WHERE id = 1").fetch_one(pool).await? as u64;
            for s in parts.values_mut() {
                s.log_entries = size;
            }
        });
        Ok(parts)
    }

    /// Every claim standing on the incidents matching `filter`, each at its latest
    /// version: an imported claim as imported unless a later version in the registry
    /// amends it, a claim made in the registry at its latest version, and a withdrawn
    /// claim not at all. Private claims are included: the caller decides, per viewer,
    /// which it may show. Incidents come in registry order (newest first), their claims
    /// imported first, then in the order they were made.
    pub async fn attributions_of(&self, filter: &IncidentFilter) -> Result<Vec<(IncidentSummary, Attribution)>, StoreError> {
        let mut groups: Vec<(i64, IncidentSummary, Vec<Attribution>)> = Vec::new();
        let mut versions: HashMap<i64, Vec<ClaimVersion>> = HashMap::new();
        on_pool!(self, pool => {
            // Each query is driven by a claim table, so that a registry with few claims is
            // not read whole: the incidents with imported claims, then those whose only
            // claims were made in the registry.
            let mut q = QueryBuilder::new("SELECT i.seq, i.id, i.body, i.dataset, i.record_id, x.body AS claim FROM incidents i JOIN attributions x ON x.incident_seq = i.seq");
            push_filter(&mut q, filter);
            q.push(" ORDER BY i.seq, x.id");
            for row in &q.build().fetch_all(pool).await? {
                let seq: i64 = row.try_get("seq")?;
                // Rows of one incident are adjacent: parse its body once.
                if groups.last().is_none_or(|(prev, _, _)| *prev != seq) {
                    groups.push((seq, summary_from_row(row)?, Vec::new()));
                }
                let claim: String = row.try_get("claim")?;
                groups.last_mut().expect("pushed above").2.push(serde_json::from_str(&claim).map_err(|e| corrupt("attribution", e))?);
            }
            let mut q = QueryBuilder::new("SELECT i.seq, i.id, i.body, i.dataset, i.record_id FROM incidents i");
            push_filter(&mut q, filter);
            q.push(" AND i.seq IN (SELECT incident_seq FROM claim_versions) AND NOT EXISTS (SELECT 1 FROM attributions a WHERE a.incident_seq = i.seq)");
            for row in &q.build().fetch_all(pool).await? {
                groups.push((row.try_get("seq")?, summary_from_row(row)?, Vec::new()));
            }
            // Driven by the claim versions' index, (incident_seq, log_index): ordered by
            // the incident's seq instead, SQLite walked every incident to find the few
            // with versions (0.3 s at a million incidents, for none).
            let mut q = QueryBuilder::new("SELECT i.seq, x.body FROM claim_versions x JOIN incidents i ON i.seq = x.incident_seq");
            push_filter(&mut q, filter);
            q.push(" ORDER BY x.incident_seq, x.log_index");
            for row in q.build().fetch_all(pool).await? {
                let v: ClaimVersion = serde_json::from_str(&row.try_get::<String, _>("body")?).map_err(|e| corrupt("claim version", e))?;
                versions.entry(row.try_get("seq")?).or_default().push(v);
            }
        });
        // Registry order: newest start date first, undated last, then newest entry first.
        groups.sort_by_key(|(seq, summary, _)| (summary.start_date.is_none(), std::cmp::Reverse(summary.start_date), std::cmp::Reverse(*seq)));
        let mut out = Vec::new();
        for (seq, summary, mut claims) in groups {
            // Versions apply in log order, so the latest one decides.
            for v in versions.remove(&seq).unwrap_or_default() {
                v.apply_to(&mut claims);
            }
            out.extend(claims.into_iter().map(|c| (summary.clone(), c)));
        }
        Ok(out)
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
            let rows = sqlx::query("SELECT idx, leaf_hash, kind, entry, salt FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx")
                .bind(start as i64)
                .bind(end as i64)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| {
                let idx: i64 = row.try_get("idx")?;
                let hash: Vec<u8> = row.try_get("leaf_hash")?;
                let leaf_hash: [u8; 32] = hash.try_into().map_err(|_| corrupt(format!("log entry {idx}"), "leaf hash is not 32 bytes"))?;
                Ok(LogEntry { index: idx as u64, kind: row.try_get("kind")?, entry: row.try_get("entry")?, leaf_hash, salt: row.try_get("salt")? })
            }).collect()
        })
    }

    /// The opening of sealed entry `index` ([`crate::log::Opening`]), if the registry keeps
    /// one: every sealed entry but those of bulk imports. The caller decides who may have
    /// it (the server: the entry's actor only).
    pub async fn opening(&self, index: u64) -> Result<Option<crate::log::Opening>, StoreError> {
        let Some((actor, record)) = self.openings_between(index, index + 1).await?.remove(&index) else { return Ok(None) };
        let Some(entry) = self.log_entries(index, index + 1).await?.pop() else {
            return Err(corrupt(format!("log opening {index}"), "its entry is missing"));
        };
        crate::log::Opening::of(&entry, actor, record).map(Some).map_err(|e| corrupt(format!("log entry {index}"), e))
    }

    /// The openings kept for entries `start..end`: index → (actor, record).
    pub(crate) async fn openings_between(&self, start: u64, end: u64) -> Result<std::collections::HashMap<u64, (String, String)>, StoreError> {
        let rows: Vec<(i64, String, String)> = on_pool!(self, pool => sqlx::query_as("SELECT idx, actor, record FROM log_openings WHERE idx >= $1 AND idx < $2").bind(start as i64).bind(end as i64).fetch_all(pool).await?);
        Ok(rows.into_iter().map(|(i, a, r)| (i.max(0) as u64, (a, r))).collect())
    }

    /// The leaf hashes of entries `start..end`, in index order: what the tree is built from.
    pub async fn log_leaf_hashes(&self, start: u64, end: u64) -> Result<Vec<[u8; 32]>, StoreError> {
        use futures_util::TryStreamExt;
        // Streamed, not fetched whole: a million rows held at once as driver rows took
        // about 500 MB, for 32 MB of hashes.
        let capacity = usize::try_from(end.saturating_sub(start)).unwrap_or(0).min(1 << 24);
        let mut out: Vec<[u8; 32]> = Vec::with_capacity(capacity);
        on_pool!(self, pool => {
            let mut rows = sqlx::query("SELECT idx, leaf_hash FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx")
                .bind(start as i64)
                .bind(end as i64)
                .fetch(pool);
            while let Some(row) = rows.try_next().await? {
                let idx: i64 = row.try_get("idx")?;
                let want = start + out.len() as u64;
                if idx as u64 != want {
                    return Err(corrupt("log", format!("entry {want} is missing")));
                }
                let hash: Vec<u8> = row.try_get("leaf_hash")?;
                out.push(hash.try_into().map_err(|_| corrupt(format!("log entry {idx}"), "leaf hash is not 32 bytes"))?);
            }
        });
        Ok(out)
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
    party_from_parts(&id, &kind, row.try_get("name")?, state.as_deref())
}

pub(crate) fn party_from_parts(id: &str, kind: &str, name: String, state: Option<&str>) -> Result<Party, StoreError> {
    Ok(Party {
        id: PartyId::parse("party", id).map_err(|e| corrupt("party", e))?,
        kind: PartyKind::parse("kind", kind).map_err(|e| corrupt("party", e))?,
        name,
        state: state.map(|s| StateCode::parse("state", s)).transpose().map_err(|e| corrupt("party", e))?,
    })
}
