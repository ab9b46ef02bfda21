//! Bulk reads for computing state practice: every incident with its claims (imported, and
//! the public ones made in the registry) and responses, in pages, four queries per page
//! whatever its size.
//!
//! `list_incidents` + `get_incident` costs five queries per incident (a few hundred
//! microseconds each on SQLite), which at 100,000 incidents is minutes; here a page of
//! incidents is one range scan on the primary key and its attributions and responses are
//! one range scan each on their `incident_seq` indexes.
//!
//! Pages are keyed by `seq` (keyset pagination), not by OFFSET: a page costs the same
//! wherever it starts, and an incident written while the pages are read is either in a
//! later page or not read at all, never read twice or skipped in between.

use crate::{Store, StoreError, on_pool};
use pacta_core::{Attribution, ClaimVersion, Incident, IncidentRecord, Response, Tlp, Visibility};
use sqlx::Row;

/// Incidents per page: large enough that the three queries of a page cost little per
/// incident, small enough that a page of records is a few megabytes.
pub const PAGE: u32 = 2_000;

/// One page of records and where the next one starts.
pub struct RecordPage {
    /// Incidents in `seq` order with their attributions and responses. Parties, the
    /// external assessment and the source hash are not read: practice does not use them.
    pub records: Vec<IncidentRecord>,
    /// Pass as `after` for the next page; `None` when this was the last one.
    pub next: Option<i64>,
}

fn corrupt(what: String, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { what, detail: e.to_string() }
}

impl Store {
    /// The incidents with `seq > after` (start from 0), at most `limit`, with their claims
    /// and responses; only those marked at most `max_tlp` when it is given.
    pub async fn incident_records_page(&self, after: i64, limit: u32, max_tlp: Option<Tlp>) -> Result<RecordPage, StoreError> {
        let limit = limit.max(1);
        let allowed: Vec<String> = Tlp::ALL.iter().filter(|t| max_tlp.is_none_or(|m| **t <= m)).map(|t| t.label().to_string()).collect();
        let (incidents, attributions, responses, versions) = on_pool!(self, pool => {
            let mut q = sqlx::QueryBuilder::new("SELECT seq, body FROM incidents WHERE seq > ");
            q.push_bind(after);
            q.push(" AND tlp IN (");
            let mut sep = q.separated(", ");
            for a in &allowed {
                sep.push_bind(a.clone());
            }
            q.push(") ORDER BY seq LIMIT ");
            q.push_bind(i64::from(limit));
            let rows = q.build().fetch_all(pool).await?;
            let mut incidents: Vec<(i64, String)> = Vec::with_capacity(rows.len());
            for row in rows {
                incidents.push((row.try_get("seq")?, row.try_get("body")?));
            }
            // Claims and responses of exactly this page's range of seq: one range scan
            // each. A TLP-filtered page may skip seqs; their rows are dropped below.
            let (mut a, mut r, mut v) = (Vec::new(), Vec::new(), Vec::new());
            if let (Some((first, _)), Some((last, _))) = (incidents.first(), incidents.last()) {
                for row in sqlx::query("SELECT incident_seq, body FROM attributions WHERE incident_seq >= $1 AND incident_seq <= $2 ORDER BY incident_seq, id").bind(*first).bind(*last).fetch_all(pool).await? {
                    a.push((row.try_get::<i64, _>("incident_seq")?, row.try_get::<String, _>("body")?));
                }
                for row in sqlx::query("SELECT incident_seq, body FROM responses WHERE incident_seq >= $1 AND incident_seq <= $2 ORDER BY incident_seq, id").bind(*first).bind(*last).fetch_all(pool).await? {
                    r.push((row.try_get::<i64, _>("incident_seq")?, row.try_get::<String, _>("body")?));
                }
                for row in sqlx::query("SELECT incident_seq, body FROM claim_versions WHERE incident_seq >= $1 AND incident_seq <= $2 ORDER BY incident_seq, log_index").bind(*first).bind(*last).fetch_all(pool).await? {
                    v.push((row.try_get::<i64, _>("incident_seq")?, row.try_get::<String, _>("body")?));
                }
            }
            (incidents, a, r, v)
        });
        let next = if incidents.len() as u32 == limit { incidents.last().map(|(s, _)| *s) } else { None };
        // The three lists are sorted by seq: walk them together.
        let (mut ai, mut ri, mut vi) = (attributions.into_iter().peekable(), responses.into_iter().peekable(), versions.into_iter().peekable());
        let mut records = Vec::with_capacity(incidents.len());
        for (seq, body) in incidents {
            let incident: Incident = serde_json::from_str(&body).map_err(|e| corrupt(format!("incident {seq}"), e))?;
            let mut record = IncidentRecord::new(incident);
            // Rows of seqs the TLP filter left out sort before this incident's: skipped.
            while let Some((s, b)) = ai.next_if(|(s, _)| *s <= seq) {
                if s == seq {
                    record.attributions.push(serde_json::from_str::<Attribution>(&b).map_err(|e| corrupt(format!("attribution of incident {seq}"), e))?);
                }
            }
            while let Some((s, b)) = ri.next_if(|(s, _)| *s <= seq) {
                if s == seq {
                    record.responses.push(serde_json::from_str::<Response>(&b).map_err(|e| corrupt(format!("response of incident {seq}"), e))?);
                }
            }
            // Claims made in the registry are state practice too. Their versions come in log
            // order, so the latest replaces the imported claim of the same id, a withdrawn one
            // stops counting, and only public claims are read: practice is published.
            while let Some((s, b)) = vi.next_if(|(s, _)| *s <= seq) {
                if s == seq {
                    let version: ClaimVersion = serde_json::from_str(&b).map_err(|e| corrupt(format!("claim of incident {seq}"), e))?;
                    version.apply_to(&mut record.attributions);
                }
            }
            record.attributions.retain(|a| a.visibility == Visibility::Public);
            records.push(record);
        }
        Ok(RecordPage { records, next })
    }

    /// Calls `each` with every page of incident records (see [`Store::incident_records_page`]),
    /// in `seq` order. Returns the number of incidents read.
    pub async fn for_each_incident_record(&self, max_tlp: Option<Tlp>, mut each: impl FnMut(Vec<IncidentRecord>)) -> Result<u64, StoreError> {
        let mut after = 0;
        let mut n = 0u64;
        loop {
            let page = self.incident_records_page(after, PAGE, max_tlp).await?;
            n += page.records.len() as u64;
            each(page.records);
            match page.next {
                Some(next) => after = next,
                None => return Ok(n),
            }
        }
    }
}
