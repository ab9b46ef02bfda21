//! The transparency log's persistence: appending entries inside a write transaction.
//!
//! Every aggregate's write path follows the same three steps inside one transaction:
//! 1. [`LogAppender::lock`] takes the log lock and reads the log's size;
//! 2. the write path writes its records and calls [`LogAppender::push`] once per change;
//! 3. [`LogAppender::flush`] inserts the entries and moves the head, just before commit.
//!
//! Invariant: indices are dense and assigned in commit order. On SQLite the transaction
//! began with `BEGIN IMMEDIATE`, so it already holds the only write lock; on PostgreSQL
//! `SELECT … FOR UPDATE` on the single `log_head` row serialises writers. A transaction that
//! rolls back releases its indices with it, so no gap can appear.

use crate::Backend;
use crate::dialect::{MAX_BINDS, lock_log_head};
use crate::write::leaf_hash;
use pacta_ledger::tiles::MAX_ENTRY_LEN;
use pacta_core::{PartyId, Tlp};
use sha2::{Digest, Sha256};
use sqlx::QueryBuilder;

/// One entry to write.
pub struct PendingEntry {
    index: i64,
    bytes: Vec<u8>,
    /// Its true kind (the `kind` column; a sealed entry shows `sealed`).
    kind: String,
    /// For a sealed entry, its salt.
    salt: Option<String>,
    /// For a sealed entry kept openable, its actor and record (`log_openings`).
    opening: Option<(String, String)>,
}

/// Entries gathered during one write transaction.
pub struct LogAppender {
    head: i64,
    next: i64,
    time: String,
    entries: Vec<PendingEntry>,
    keep_openings: bool,
}

/// A database connection the log can be appended through. Implemented for both backends
/// by the same macro body, so the SQL cannot drift between them.
pub trait LogConn {
    fn read_head_locked(&mut self, backend: Backend) -> impl std::future::Future<Output = Result<i64, sqlx::Error>> + Send;
    fn write_entries(&mut self, entries: &[PendingEntry], new_head: Option<i64>) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

macro_rules! impl_log_conn {
    ($conn:ty, $db:ty) => {
        impl LogConn for $conn {
            async fn read_head_locked(&mut self, backend: Backend) -> Result<i64, sqlx::Error> {
                sqlx::query_scalar::<$db, i64>(lock_log_head(backend)).fetch_one(&mut *self).await
            }

            async fn write_entries(&mut self, entries: &[PendingEntry], new_head: Option<i64>) -> Result<(), sqlx::Error> {
                for chunk in entries.chunks(MAX_BINDS / 5) {
                    let mut q = QueryBuilder::<$db>::new("INSERT INTO log_entries (idx, leaf_hash, kind, entry, salt) ");
                    q.push_values(chunk, |mut b, e| {
                        b.push_bind(e.index).push_bind(leaf_hash(&e.bytes).to_vec()).push_bind(e.kind.clone()).push_bind(e.bytes.clone()).push_bind(e.salt.clone());
                    });
                    q.build().execute(&mut *self).await?;
                }
                let openable: Vec<(i64, &String, &String)> = entries.iter().filter_map(|e| e.opening.as_ref().map(|(a, r)| (e.index, a, r))).collect();
                for chunk in openable.chunks(MAX_BINDS / 3) {
                    let mut q = QueryBuilder::<$db>::new("INSERT INTO log_openings (idx, actor, record) ");
                    q.push_values(chunk, |mut b, (idx, actor, record)| {
                        b.push_bind(*idx).push_bind((*actor).clone()).push_bind((*record).clone());
                    });
                    q.build().execute(&mut *self).await?;
                }
                if let Some(head) = new_head {
                    sqlx::query::<$db>("UPDATE log_head SET size = $1 WHERE id = 1").bind(head).execute(&mut *self).await?;
                }
                Ok(())
            }
        }
    };
}
impl_log_conn!(sqlx::SqliteConnection, sqlx::Sqlite);
impl_log_conn!(sqlx::PgConnection, sqlx::Postgres);

impl LogAppender {
    /// Takes the log lock (see the module docs) and returns an appender positioned at the
    /// log's current size. Call first in the transaction, before reading anything the
    /// write depends on.
    pub async fn lock(conn: &mut impl LogConn, backend: Backend) -> Result<LogAppender, sqlx::Error> {
        let head = conn.read_head_locked(backend).await?;
        Ok(LogAppender { head, next: head, time: now_rfc3339(), entries: Vec::new(), keep_openings: true })
    }

    /// Keeps no openings for the sealed entries pushed from now on: for bulk imports,
    /// whose records are the rows of a source data set, not a party's own acts.
    pub fn without_openings(mut self) -> LogAppender {
        self.keep_openings = false;
        self
    }

    /// The index the next pushed entry will get.
    pub fn next_index(&self) -> u64 {
        self.next as u64
    }

    /// Queues an entry (its form is [`entry_json`]'s choice) and returns its index.
    /// `record_json` must itself be canonical JSON.
    pub fn push(&mut self, actor: &PartyId, kind: &str, record_json: &str, tlp: Tlp) -> u64 {
        // 128 random bits per sealed entry, never published (see [`entry_json`]).
        let salt = (tlp != Tlp::Clear).then(|| hex::encode(rand::random::<[u8; 16]>()));
        let entry = entry_json(actor.as_str(), kind, record_json, tlp, &self.time, salt.as_deref().unwrap_or_default());
        let index = self.next;
        // Invariant: an opening is written with its entry, in the same transaction, or not
        // at all; `Store::verify_openings` checks each still reproduces its entry.
        let opening = (salt.is_some() && self.keep_openings).then(|| (actor.to_string(), record_json.to_string()));
        self.entries.push(PendingEntry { index, bytes: entry.into_bytes(), kind: kind.to_string(), salt, opening });
        self.next += 1;
        index as u64
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Writes the queued entries and the new head. Returns the log size after the write.
    /// The caller commits; only after the commit returns is any entry acknowledged.
    pub async fn flush(self, conn: &mut impl LogConn) -> Result<u64, sqlx::Error> {
        let new_head = (self.next != self.head).then_some(self.next);
        conn.write_entries(&self.entries, new_head).await?;
        Ok(self.next as u64)
    }
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The kind a sealed entry shows the public in place of its own.
pub const SEALED_KIND: &str = "sealed";

/// The bytes the public log holds for one change: canonical JSON, keys in RFC 8785 order.
///
/// Invariant: the log is public (tiles, bundles and receipts are served to anyone), so it
/// shows what a change was, and who made it, only for a TLP:CLEAR record:
/// - CLEAR: `{"actor","kind","record","time"}`, the record inlined (or its commitment, see
///   [`logged_record`], when too large for one entry);
/// - GREEN and above: `{"kind":"sealed","record":{"kind_sha256","sha256","tlp"},"time"}`:
///   `sha256` is [`seal`]'s digest of the actor, the kind, the record and `salt` together,
///   `kind_sha256` [`seal_kind`]'s of the kind and `salt`. The log still proves that this
///   exact change existed at this point; but the public learns neither the content nor
///   who did what: who joined a measure before it was notified, which arbitrator drafted a
///   ruling, how often a state consults. Only the time and the marking show.
///
/// Invariant: `salt` is 128 random bits, drawn per entry and kept in the database only
/// (`log_entries.salt`). Without it a digest over a guessable record (a claim published
/// later, a sharing list) could be tested guess by guess, and two identical changes would
/// show as one. With it the registry checks a sealed entry against the record, and its
/// own `kind` column against `kind_sha256` (`Store::verify_log_has_every_record`).
pub fn entry_json(actor: &str, kind: &str, record_json: &str, tlp: Tlp, time: &str, salt: &str) -> String {
    if tlp == Tlp::Clear {
        open_entry_json(actor, kind, record_json, tlp, time)
    } else {
        format!(
            "{{\"kind\":{},\"record\":{{\"kind_sha256\":\"{}\",\"sha256\":\"{}\",\"tlp\":\"{}\"}},\"time\":{}}}",
            quote(SEALED_KIND),
            seal_kind(kind, salt),
            seal(actor, kind, record_json, salt),
            tlp.label(),
            quote(time)
        )
    }
}

/// A sealed entry's digest: hex SHA-256 of the canonical JSON
/// `{"actor":…,"kind":…,"record":…,"salt":…}`, the record as its own canonical JSON.
pub fn seal(actor: &str, kind: &str, record_json: &str, salt: &str) -> String {
    // Hashed in pieces, so the record (on the write path, inside the log lock) is not
    // copied into one string first.
    let mut h = Sha256::new();
    h.update(format!("{{\"actor\":{},\"kind\":{},\"record\":", quote(actor), quote(kind)).as_bytes());
    h.update(record_json.as_bytes());
    h.update(format!(",\"salt\":{}}}", quote(salt)).as_bytes());
    hex::encode(h.finalize())
}

/// A sealed entry's commitment to its kind alone: hex SHA-256 of `{"kind":…,"salt":…}`.
pub fn seal_kind(kind: &str, salt: &str) -> String {
    hex::encode(Sha256::digest(format!("{{\"kind\":{},\"salt\":{}}}", quote(kind), quote(salt)).as_bytes()))
}

/// An entry that names its actor and kind, with [`logged_record`]'s part of the record:
/// every CLEAR change's entry, and, in logs written before entries were sealed, the
/// entries of changes above CLEAR too. A log never changes, so verification still accepts
/// those.
pub fn open_entry_json(actor: &str, kind: &str, record_json: &str, tlp: Tlp, time: &str) -> String {
    format!(
        "{{\"actor\":{},\"kind\":{},\"record\":{},\"time\":{}}}",
        quote(actor),
        quote(kind),
        logged_record(record_json, tlp),
        quote(time)
    )
}

/// What opens a sealed entry: everything it committed to. Handed to the entry's actor
/// (`GET /api/v1/log/openings/{index}`, `pacta log opening`), so that the party can show
/// anyone, with a receipt for the entry and nothing else, that the log holds its change.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Opening {
    pub index: u64,
    pub actor: String,
    pub kind: String,
    /// The record as the entry committed to it: canonical JSON, as text.
    pub record: String,
    pub salt: String,
    pub tlp: String,
    pub time: String,
}

impl Opening {
    /// The opening of `entry` from its kept actor and record.
    pub fn of(entry: &crate::LogEntry, actor: String, record: String) -> Result<Opening, String> {
        let shown: serde_json::Value = serde_json::from_slice(&entry.entry).map_err(|e| format!("is not JSON: {e}"))?;
        let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).unwrap_or_default().to_string();
        Ok(Opening {
            index: entry.index,
            actor,
            kind: entry.kind.clone(),
            record,
            salt: entry.salt.clone().ok_or("has an opening but no salt")?,
            tlp: text(shown.get("record").and_then(|r| r.get("tlp"))),
            time: text(shown.get("time")),
        })
    }

    /// Checks that `entry` (a sealed entry's bytes, as a receipt carries them) is exactly
    /// the entry this opening makes: same time, marking, kind and record, actor and salt.
    pub fn check(&self, entry: &[u8]) -> Result<(), String> {
        let tlp = Tlp::parse("tlp", &self.tlp).map_err(|e| e.to_string())?;
        // Exactly as the entry writes it: a reader is shown the marking as given here.
        if self.tlp != tlp.label() {
            return Err(format!("the marking is written {:?}; the entry writes it {}", self.tlp, tlp.label()));
        }
        if tlp == Tlp::Clear {
            return Err("a CLEAR entry is open: it names its actor, kind and record itself".into());
        }
        let made = entry_json(&self.actor, &self.kind, &self.record, tlp, &self.time, &self.salt);
        if made.as_bytes() == entry {
            return Ok(());
        }
        let shown: serde_json::Value = serde_json::from_slice(entry).map_err(|_| "the entry is not JSON".to_string())?;
        let part = |k: &str| shown.get("record").and_then(|r| r.get(k)).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        Err(if shown.get("kind").and_then(|k| k.as_str()) != Some(SEALED_KIND) {
            "the entry is not sealed".into()
        } else if shown.get("time").and_then(|t| t.as_str()) != Some(self.time.as_str()) {
            format!("the entry was made at {}, not {}", shown["time"], self.time)
        } else if part("tlp") != self.tlp {
            format!("the entry is marked {}, not {}", part("tlp"), self.tlp)
        } else if part("kind_sha256") != seal_kind(&self.kind, &self.salt) {
            format!("the entry is not a {} change (or the salt is not its own)", self.kind)
        } else {
            format!("the entry commits to another actor or record than {} and the record given", self.actor)
        })
    }
}

/// The kind an entry shows the public: its own for a CLEAR record, [`SEALED_KIND`] above.
pub fn public_kind(entry: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(entry)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// What a log entry carries of a record: the record itself, or, when it is marked above
/// CLEAR or too large for one entry (the tiles format caps entries at 65,535 bytes),
/// its commitment `{"sha256": …, "tlp": …}`, so blobs are never inlined either.
pub fn logged_record(record_json: &str, tlp: Tlp) -> String {
    if tlp == Tlp::Clear && record_json.len() + 300 <= MAX_ENTRY_LEN {
        record_json.to_string()
    } else {
        let digest = hex::encode(Sha256::digest(record_json.as_bytes()));
        format!("{{\"sha256\":\"{digest}\",\"tlp\":\"{}\"}}", tlp.label())
    }
}
