//! The few places where SQLite and PostgreSQL SQL differ, side by side.

use crate::Backend;

/// Reads the log head. On PostgreSQL the row lock is what serialises writers, so that log
/// indices (and incident sequence numbers) are assigned in commit order with no gaps. On
/// SQLite `BEGIN IMMEDIATE` already holds the database's write lock.
pub fn lock_log_head(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "SELECT size FROM log_head WHERE id = 1",
        Backend::Postgres => "SELECT size FROM log_head WHERE id = 1 FOR UPDATE",
    }
}

/// Begins a read transaction whose statements all see one snapshot. PostgreSQL's default
/// level (READ COMMITTED) takes a fresh snapshot for each statement; REPEATABLE READ takes
/// one, at the first. A SQLite read transaction is one snapshot already.
pub fn begin_snapshot(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "BEGIN",
        Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    }
}

/// The most variables one statement may bind (SQLite's default limit is 32,766;
/// PostgreSQL's is 65,535). Batches are cut to stay under both with room to spare.
pub const MAX_BINDS: usize = 30_000;

/// `(seq, id, source_hash, record_id)` of the incidents of `dataset` among `record_ids`.
pub type ExistingRow = (i64, String, Option<String>, String);

/// Finds which records of an import batch are already stored. The dialects differ on
/// purpose: SQLite takes an `IN (…)` list of bound values, while PostgreSQL gets one array
/// parameter (`= ANY($2)`), because with thousands of separate parameters its generic
/// plan falls back to scanning the table — quadratic over a large import.
pub trait ExistingLookup {
    fn existing(&mut self, dataset: &str, record_ids: &[String]) -> impl std::future::Future<Output = Result<Vec<ExistingRow>, sqlx::Error>> + Send;
}

impl ExistingLookup for sqlx::SqliteConnection {
    async fn existing(&mut self, dataset: &str, record_ids: &[String]) -> Result<Vec<ExistingRow>, sqlx::Error> {
        let mut out = Vec::new();
        for chunk in record_ids.chunks(MAX_BINDS / 2) {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new("SELECT seq, id, source_hash, record_id FROM incidents WHERE dataset = ");
            q.push_bind(dataset.to_string()).push(" AND record_id IN (");
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(id.clone());
            }
            q.push(")");
            out.extend(q.build_query_as::<ExistingRow>().fetch_all(&mut *self).await?);
        }
        Ok(out)
    }
}

impl ExistingLookup for sqlx::PgConnection {
    async fn existing(&mut self, dataset: &str, record_ids: &[String]) -> Result<Vec<ExistingRow>, sqlx::Error> {
        sqlx::query_as::<_, ExistingRow>("SELECT seq, id, source_hash, record_id FROM incidents WHERE dataset = $1 AND record_id = ANY($2)")
            .bind(dataset.to_string())
            .bind(record_ids.to_vec())
            .fetch_all(&mut *self)
            .await
    }
}
