//! Throwaway databases for tests, on both backends.
//!
//! Every storage test runs against SQLite (a file in a temporary directory) and against
//! PostgreSQL (a fresh database on the server at `PACTA_TEST_PG`, default
//! `postgres://postgres@127.0.0.1:5432`, dropped afterwards). When PostgreSQL cannot be
//! reached: under `CI=true` that is a failure; elsewhere the tests print loudly that the
//! PostgreSQL half was skipped and why.

use crate::{Store, StoreError};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A database that exists for one test.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    PgDatabase { admin_url: String, name: String },
}

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

pub fn pg_admin_url() -> String {
    std::env::var("PACTA_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string())
}

impl TestDb {
    pub async fn sqlite() -> Result<TestDb, StoreError> {
        let dir = std::env::temp_dir().join(unique("pacta_test"));
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::BadUrl(format!("{}: {e}", dir.display())))?;
        let url = format!("sqlite://{}", dir.join("pacta.db").display());
        let store = Store::open(&url).await?;
        Ok(TestDb { store, url, cleanup: Cleanup::Dir(dir) })
    }

    /// A fresh PostgreSQL database, or `Ok(None)` (with a loud message) when the server is
    /// unreachable outside CI.
    pub async fn postgres() -> Result<Option<TestDb>, StoreError> {
        let admin_url = pg_admin_url();
        let admin = match Store::connect_admin(&format!("{admin_url}/postgres")).await {
            Ok(a) => a,
            Err(e) => {
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("CI=true and PostgreSQL at {admin_url} is unreachable: {e}");
                }
                eprintln!("\n!!! PostgreSQL tests SKIPPED: cannot reach {admin_url} ({e}).\n!!! Start PostgreSQL or set PACTA_TEST_PG; under CI=true this is a failure.\n");
                return Ok(None);
            }
        };
        let name = unique("pacta_test");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin).await?;
        admin.close().await;
        let url = format!("{admin_url}/{name}");
        let store = Store::open(&url).await?;
        Ok(Some(TestDb { store, url, cleanup: Cleanup::PgDatabase { admin_url, name } }))
    }

    /// Both backends (PostgreSQL only when reachable, see the module docs).
    pub async fn both() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite().await.expect("a SQLite test database")];
        if let Some(pg) = TestDb::postgres().await.expect("a PostgreSQL test database") {
            dbs.push(pg);
        }
        dbs
    }

    /// Closes the store and removes the database.
    pub async fn drop_db(self) {
        self.store.close().await;
        match self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PgDatabase { admin_url, name } => {
                if let Ok(admin) = Store::connect_admin(&format!("{admin_url}/postgres")).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&admin).await;
                    admin.close().await;
                }
            }
        }
    }
}

impl Store {
    /// A bare PostgreSQL pool for administrative statements (creating test databases).
    pub async fn connect_admin(url: &str) -> Result<sqlx::PgPool, sqlx::Error> {
        sqlx::postgres::PgPoolOptions::new().max_connections(1).acquire_timeout(std::time::Duration::from_secs(5)).connect(url).await
    }
}
