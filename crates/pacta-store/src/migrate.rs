//! Schema migrations, one folder per backend, embedded in the binary so it runs anywhere.
//! Each migration is applied once, in its own transaction, and recorded in `pacta_schema`.

use crate::{Backend, Store, StoreError, on_pool};

const SQLITE: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_registry.sql")),
    (2, include_str!("../migrations/sqlite/0002_checkpoints.sql")),
    (3, include_str!("../migrations/sqlite/0003_evidence.sql")),
    (4, include_str!("../migrations/sqlite/0004_assessments.sql")),
    (5, include_str!("../migrations/sqlite/0005_claims.sql")),
    (6, include_str!("../migrations/sqlite/0006_accounts.sql")),
    (7, include_str!("../migrations/sqlite/0007_forum.sql")),
    (8, include_str!("../migrations/sqlite/0008_search.sql")),
    (9, include_str!("../migrations/sqlite/0009_lean_incidents.sql")),
    (10, include_str!("../migrations/sqlite/0010_facts_index.sql")),
    (11, include_str!("../migrations/sqlite/0011_sealed_entries.sql")),
    (12, include_str!("../migrations/sqlite/0012_openings.sql")),
];
const POSTGRES: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_registry.sql")),
    (2, include_str!("../migrations/postgres/0002_checkpoints.sql")),
    (3, include_str!("../migrations/postgres/0003_evidence.sql")),
    (4, include_str!("../migrations/postgres/0004_assessments.sql")),
    (5, include_str!("../migrations/postgres/0005_claims.sql")),
    (6, include_str!("../migrations/postgres/0006_accounts.sql")),
    (7, include_str!("../migrations/postgres/0007_forum.sql")),
    (8, include_str!("../migrations/postgres/0008_search.sql")),
    (9, include_str!("../migrations/postgres/0009_lean_incidents.sql")),
    (10, include_str!("../migrations/postgres/0010_facts_index.sql")),
    (11, include_str!("../migrations/postgres/0011_sealed_entries.sql")),
    (12, include_str!("../migrations/postgres/0012_openings.sql")),
];

pub async fn run(store: &Store) -> Result<(), StoreError> {
    let migrations = match store.backend() {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    on_pool!(store, pool => {
        sqlx::raw_sql("CREATE TABLE IF NOT EXISTS pacta_schema (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)")
            .execute(pool)
            .await?;
        for (version, sql) in migrations {
            let mut tx = pool.begin().await?;
            // Another process may have applied it meanwhile: the primary key makes the
            // second insert fail and roll back that process's copy of the migration.
            let done: Option<i64> = sqlx::query_scalar("SELECT version FROM pacta_schema WHERE version = $1")
                .bind(*version)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_some() {
                continue;
            }
            sqlx::raw_sql(*sql).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO pacta_schema (version, applied_at) VALUES ($1, $2)")
                .bind(*version)
                .bind(chrono::Utc::now().to_rfc3339())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(())
    })
}
