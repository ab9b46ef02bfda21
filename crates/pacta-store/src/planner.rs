//! The query planner's statistics after bulk writes.
//!
//! PostgreSQL chooses a plan from the statistics `ANALYZE` gathers. A table that was
//! loaded in bulk and never analysed has none, and the planner then guesses: at a million
//! synthetic incidents it took `tlp = 'CLEAR'` (60 % of the rows) for a rare value and
//! read each 2,000-incident page of the practice pass with a parallel sequential scan and
//! an on-disk sort, 0.7–0.9 s a page where the primary-key scan takes 3.5 ms. The
//! practice pass took 16 s instead of 5.5 s, and the statistics pass 4.5 s instead of 1.8.
//!
//! Autovacuum would analyse such tables in time, but it may be off (as on the machines
//! this project is tested on) and is in any case late for the first requests after an
//! import. PostgreSQL's own advice for populating a database is to run `ANALYZE`
//! afterwards: [`Store::analyze`] does, and the importers call it. A server calls
//! [`Store::analyze_if_stale`] when it starts, for a registry loaded some other way.
//!
//! SQLite is left as it is: without `sqlite_stat1` its planner picks indexes by rule, and
//! every SQLite figure in BENCHMARKS.md was measured with those plans.

use crate::{Pools, Store, StoreError};

/// Autovacuum's default rule for "this table needs analysing": more rows changed since
/// the last `ANALYZE` than `autovacuum_analyze_threshold` (50) plus
/// `autovacuum_analyze_scale_factor` (0.1) of its live rows.
const STALE: &str = "SELECT relname FROM pg_stat_user_tables \
     WHERE schemaname = current_schema() AND n_mod_since_analyze > 50 + 0.1 * n_live_tup ORDER BY relname";

impl Store {
    /// Refreshes the planner's statistics of every table. On SQLite it does nothing (see
    /// the module's comment).
    ///
    /// Unconditional, because the counts of changed rows it would go by are reported by
    /// each connection some time after its commit (up to seconds later): right after an
    /// import they may not show it yet. `ANALYZE` samples a bounded number of rows per
    /// table (30,000 at the default statistics target), so its cost hardly grows with the
    /// registry: 1.8 s for every table of a million-incident registry. It takes no lock
    /// that blocks reads or writes.
    pub async fn analyze(&self) -> Result<(), StoreError> {
        if let Pools::Postgres(pool) = &self.pools {
            sqlx::query("ANALYZE").execute(pool).await?;
        }
        Ok(())
    }

    /// Refreshes the statistics of the tables whose statistics are stale by autovacuum's
    /// rule, and returns their names: for a server's start, when the writes that made them
    /// stale have long been counted. On SQLite it does nothing.
    pub async fn analyze_if_stale(&self) -> Result<Vec<String>, StoreError> {
        let Pools::Postgres(pool) = &self.pools else { return Ok(Vec::new()) };
        let stale: Vec<String> = sqlx::query_scalar(STALE).fetch_all(pool).await?;
        if !stale.is_empty() {
            // The names come from the catalogue, but are quoted all the same.
            let tables: Vec<String> = stale.iter().map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect();
            sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {}", tables.join(", ")))).execute(pool).await?;
        }
        Ok(stale)
    }
}
