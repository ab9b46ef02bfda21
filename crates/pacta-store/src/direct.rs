//! Direct reads on SQLite: reading one incident and its workflow without sqlx's worker
//! threads.
//!
//! sqlx runs each SQLite connection on a thread of its own, and every statement is a round
//! trip through channels to it. For a point read that SQLite answers in tens of
//! microseconds the hops cost more than the read: under a load of single-incident reads,
//! 57% of the server's time was the kernel switching threads (futex waits and wakes). Here
//! a few read-only connections are used in place, on the calling thread.
//!
//! Invariants:
//! - **Read-only.** Connections open with `SQLITE_OPEN_READ_ONLY` and `query_only`; nothing
//!   here can write, so the one write path per aggregate is untouched.
//! - **One snapshot per read.** The statements of one read run inside one read
//!   transaction, so a read never sees half of a concurrent write (an incident updated
//!   between its row and its claims).
//! - **Short.** A read is a unique-index lookup and the rows filed with one incident (its
//!   claims, responses and external assessment; or its workflow): it holds the calling
//!   thread about as long as a channel round trip would have.
//! - **Same SQL.** The statements are the ones the sqlx path runs (`read`'s constants;
//!   and `workflow`'s; SQLite reads `$1` as a parameter as PostgreSQL does), so the two
//!   cannot drift apart.

use crate::StoreError;
use crate::evidence::evidence_columns;
use crate::read::{FILED_WITH_INCIDENT, Filed, IncidentKey, PartyRow, RawIncident, parties_by_id};
use crate::workflow::{INCIDENT_SEQ, IncidentWorkflow, WORKFLOW_OF_INCIDENT, evidence_of_incident, unknown_incident};
use pacta_core::{IncidentId, PartyId};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// Connections kept open between reads; more are opened under load and closed after.
const IDLE: usize = 8;

pub(crate) struct DirectReader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Direct(e.to_string())
    }
}

impl DirectReader {
    pub(crate) fn new(path: PathBuf) -> DirectReader {
        DirectReader { path, idle: Mutex::new(Vec::new()) }
    }

    /// Closes the idle connections; a read after this opens a fresh one.
    pub(crate) fn close(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
    }

    fn connect(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(&self.path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        // A reader in WAL mode waits only while a crashed writer's WAL is recovered.
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "query_only", true)?;
        Ok(conn)
    }

    fn with<T>(&self, read: impl FnOnce(&Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(c) => c,
            None => self.connect()?,
        };
        let out = read(&conn);
        // A connection left inside a transaction by an error is not reused.
        if conn.is_autocommit()
            && let Ok(mut idle) = self.idle.lock()
            && idle.len() < IDLE
        {
            idle.push(conn);
        }
        out
    }

    /// Runs `read` inside one read transaction (one snapshot), ended whether or not the
    /// read succeeded.
    fn in_snapshot<T>(&self, read: impl FnOnce(&Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.with(|conn| {
            conn.execute_batch("BEGIN")?;
            let out = read(conn);
            conn.execute_batch("COMMIT")?;
            out
        })
    }

    /// The incident `key` names and the rows filed with it, from one snapshot.
    pub(crate) fn incident(&self, key: &IncidentKey) -> Result<Option<RawIncident>, StoreError> {
        self.in_snapshot(|conn| {
            let (sql, params): (&str, Vec<String>) = key.lookup();
            let mut stmt = conn.prepare_cached(sql)?;
            let row = stmt
                .query_row(rusqlite::params_from_iter(params.iter()), |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?, r.get::<_, Option<String>>(4)?)))
                .optional()?;
            let Some((seq, body, log_index, facts_index, source_hash)) = row else { return Ok(None) };
            let mut stmt = conn.prepare_cached(FILED_WITH_INCIDENT)?;
            let filed = stmt.query_map([seq], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(2)?)))?.collect::<Result<Vec<_>, _>>()?;
            let filed = Filed::parse(filed)?;
            let parties = parties(conn, &filed.party_ids())?;
            Ok(Some(RawIncident { seq, body, log_index, facts_index, source_hash, filed, parties }))
        })
    }

    /// What `viewer` may read of `incident`'s workflow, from one snapshot (see `workflow`).
    pub(crate) fn workflow(&self, incident: IncidentId, viewer: Option<&PartyId>) -> Result<IncidentWorkflow, StoreError> {
        self.in_snapshot(|conn| {
            let id = incident.to_string();
            let seq: Option<i64> = conn.prepare_cached(INCIDENT_SEQ)?.query_row([&id], |r| r.get(0)).optional()?;
            let seq = seq.ok_or_else(|| unknown_incident(incident))?;
            let rows = conn
                .prepare_cached(WORKFLOW_OF_INCIDENT)?
                .query_map([seq], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            let mut w = IncidentWorkflow::from_rows(rows, viewer)?;
            w.set_parties(parties(conn, &w.named_party_ids())?)?;
            let evidence = conn.prepare_cached(&evidence_of_incident())?.query_map([&id], |row| Ok(evidence_columns!(row.get)))?.collect::<Result<Vec<_>, _>>()?;
            w.set_evidence(evidence)?;
            Ok(w)
        })
    }
}

/// The parties with these ids, by id.
fn parties(conn: &Connection, ids: &[String]) -> Result<Vec<PartyRow>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare(&parties_by_id(ids.len()))?;
    let rows = stmt.query_map(rusqlite::params_from_iter(ids.iter()), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
