//! Pacta's storage: one API over SQLite (the embedded default) and PostgreSQL (for
//! deployments that outgrow one machine).
//!
//! Invariants this crate keeps:
//! - **One write path per aggregate.** Every change is validated, written and appended to
//!   the transparency log in one transaction ([`write`]); there is no other way to change
//!   data. A crash at any point leaves either the whole batch or none of it.
//! - **Two backends, one code path.** Each query is written once where the SQL is the
//!   same; where the dialects differ, both variants sit side by side in the same function.
//!   Every storage test runs on both ([`testing`]). The one exception is how, not what:
//!   on SQLite the reads of one incident and of its workflow run their statements on a
//!   read-only connection in place (`direct`), the same SQL without sqlx's thread hops.
//! - **Durable before acknowledged.** SQLite runs in WAL mode with `synchronous=FULL`, so
//!   a commit that returned has been fsynced; PostgreSQL's default commit is durable.
//!
//! ```no_run
//! # async fn demo() -> Result<(), pacta_store::StoreError> {
//! let store = pacta_store::Store::open("sqlite://pacta.db").await?;
//! let page = store.list_incidents(&pacta_store::IncidentFilter::default(), 20, 0).await?;
//! println!("{} incidents on the first page", page.len());
//! # Ok(()) }
//! ```

mod dialect;
pub mod accounts;
pub mod assessments;
pub mod evidence;
pub mod forum;
pub mod checkpoint;
pub mod claims;
pub mod log;
pub mod measures;
mod migrate;
pub mod practice;
mod planner;
pub mod sequencer;
mod backfill;
mod direct;
pub mod workflow;
pub mod read;
pub mod testing;
pub mod write;

pub use workflow::IncidentWorkflow;
pub use read::{Access, ChangedIncident, IncidentFilter, IncidentSummary, Stats, StoredIncident};
pub use write::{ImportOutcome, LogEntry};

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

/// Which database a store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {0:?}: expected sqlite://PATH or postgres://USER@HOST/DB")]
    BadUrl(String),
    #[error("cannot open the database at {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// An error from a direct (read-only) SQLite read.
    #[error("database error: {0}")]
    Direct(String),
    #[error("{0}")]
    Invalid(#[from] pacta_core::Invalid),
    #[error("the stored record {what} is corrupt: {detail}")]
    Corrupt { what: String, detail: String },
    #[error("not found: {0}")]
    NotFound(String),
}

pub(crate) enum Pools {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A handle on the registry's database. Cheap to clone (the pools are shared).
pub struct Store {
    pub(crate) pools: Pools,
    url: String,
    /// SQLite only: copies committed WAL frames into the database off the writer's path.
    backfill: Option<backfill::WalBackfill>,
    /// SQLite only: read-only connections for the hottest reads (see `direct`).
    direct: Option<direct::DirectReader>,
}

/// Runs the same code against whichever pool the store has. The body is compiled once per
/// backend, which is what keeps the SQL of the two from drifting apart.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pools {
            $crate::Pools::Sqlite($pool) => $body,
            $crate::Pools::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Runs a write transaction. On SQLite it starts with `BEGIN IMMEDIATE`: taking the write
/// lock up front means two writers never both read and then fail to upgrade (SQLITE_BUSY
/// mid-transaction); on PostgreSQL the log-head row lock serialises writers instead.
/// An early return (`?`) drops the transaction, which rolls it back.
macro_rules! write_tx {
    ($store:expr, $tx:ident => $body:expr) => {
        match &$store.pools {
            $crate::Pools::Sqlite(pool) => {
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let out = $body;
                $tx.commit().await?;
                $store.wal_grew();
                out
            }
            $crate::Pools::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}
pub(crate) use write_tx;

impl Store {
    /// Opens (creating if needed) the database at `url` and brings its schema up to date.
    /// `sqlite://PATH` (or a bare path) or `postgres://…`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open { url: url.to_string(), source };
        let (pools, sqlite) = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url).map_err(|_| StoreError::BadUrl(url.to_string()))?;
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .map_err(open_err)?;
            (Pools::Postgres(pool), None)
        } else {
            let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
            if path.is_empty() || path.contains("://") {
                return Err(StoreError::BadUrl(url.to_string()));
            }
            if path == ":memory:" || path.contains("mode=memory") {
                // Each pooled connection would get its own empty database.
                return Err(StoreError::BadUrl(format!("{url} (in-memory SQLite is not supported: use a file)")));
            }
            let opts = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                // WAL lets readers proceed while one writer commits; synchronous=FULL makes
                // each commit durable (fsync of the WAL) before it returns, which is what
                // lets the log acknowledge an entry once its transaction has committed.
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30))
                .pragma("cache_size", "-65536")
                // A multi-row INSERT keeps a statement journal (to undo just that statement
                // on a constraint error); in memory it is a copy, on disk a write.
                .pragma("temp_store", "MEMORY")
                // For a new database (an existing one keeps its size): an incident's row
                // and its log entry are about 1 KiB each, and with 16 KiB pages a B-tree is
                // shallower and an import writes fewer, fuller pages (the 1M import ran
                // 45,700/s at 8 KiB and 49,100/s at 16 KiB, against 41,000/s at 4 KiB).
                .pragma("page_size", "16384")
                // Checkpoints are the backfill's job (see `backfill`); a writer checkpoints
                // only as a backstop, when the WAL has grown past this many pages.
                .pragma("wal_autocheckpoint", backfill::WRITER_BACKSTOP_PAGES)
                .pragma("journal_size_limit", backfill::WAL_SIZE_LIMIT)
                // SQLite's own lower() and LIKE fold ASCII letters only; the literal text
                // filter matches with a case-insensitive Unicode regex instead (`read.rs`).
                .with_regexp();
            let backfill_opts = opts.clone();
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts)
                .await
                .map_err(open_err)?;
            (Pools::Sqlite(pool), Some((backfill_opts, std::path::PathBuf::from(path))))
        };
        let (backfill, direct) = match sqlite {
            Some((opts, path)) => (Some(backfill::WalBackfill::start(opts).await.map_err(open_err)?), Some(direct::DirectReader::new(path))),
            None => (None, None),
        };
        let store = Store { pools, url: url.to_string(), backfill, direct };
        migrate::run(&store).await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite(_) => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Closes the pools, waiting for connections to be returned.
    pub async fn close(&self) {
        if let Some(b) = &self.backfill {
            b.stop().await;
        }
        if let Some(d) = &self.direct {
            d.close();
        }
        on_pool!(self, pool => pool.close().await)
    }

    /// Tells the backfill that a write transaction committed (SQLite; a no-op otherwise).
    pub(crate) fn wal_grew(&self) {
        if let Some(b) = &self.backfill {
            b.wake();
        }
    }
}
