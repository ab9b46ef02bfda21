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

/// The most variables one statement may bind (SQLite's default limit is 32,766;
/// PostgreSQL's is 65,535). Batches are cut to stay under both with room to spare.
pub const MAX_BINDS: usize = 30_000;
