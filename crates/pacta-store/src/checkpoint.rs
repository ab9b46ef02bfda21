//! Signing checkpoints: the log's signed statement of its size and root.
//!
//! Invariant: the log never signs two checkpoints of one size with different roots, even
//! after a crash or with several server processes on one PostgreSQL. It holds because
//! 1. the tree of size N is a pure function of entries 0..N, which are immutable once
//!    committed (indices are assigned under the log lock, see [`crate::log`]); and
//! 2. the latest checkpoint lives in exactly one row, `log_checkpoint`, which a signer
//!    replaces only by compare-and-swap on the size it started from; the history table
//!    `log_checkpoints` has the size as primary key, in the same transaction.
//!
//! Crash points, and what recovery does:
//! - after signing, before the swap commits: nothing was stored or published; the next
//!   call signs again (Ed25519 signatures are deterministic, so even the bytes match);
//! - after the swap commits: the checkpoint is the latest, with the frontier beside it,
//!   and the next signer resumes from that frontier.
//!
//! Only a checkpoint that has been stored is ever served, so a signature that was lost in a
//! crash was never seen by anyone.

use crate::{Store, StoreError, on_pool};
use pacta_ledger::checkpoint::Checkpoint;
use pacta_ledger::hash::Hash;
use pacta_ledger::note::NoteSigner;
use pacta_ledger::tree::Frontier;
use sqlx::Row;

/// A stored, signed checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub root: Hash,
    /// The signed note, exactly as served.
    pub note: String,
}

fn corrupt(detail: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { what: "log checkpoint".into(), detail: detail.to_string() }
}

fn hash_of(bytes: Vec<u8>) -> Result<Hash, StoreError> {
    bytes.try_into().map_err(|_| corrupt("a root is not 32 bytes"))
}

impl Store {
    /// Ties this log to `signer`'s key on first use; refuses any other key afterwards, so a
    /// misconfigured server cannot start a second, unrelated chain of checkpoints.
    pub async fn bind_log_key(&self, signer: &NoteSigner) -> Result<(), StoreError> {
        let vkey = signer.verifier().to_vkey();
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO log_identity (id, origin, vkey) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING")
                .bind(signer.name().to_string())
                .bind(vkey.clone())
                .execute(pool)
                .await?;
            let bound: String = sqlx::query_scalar("SELECT vkey FROM log_identity WHERE id = 1").fetch_one(pool).await?;
            if bound != vkey {
                return Err(pacta_core::Invalid::new("log key", vkey, format!("this log is signed by {bound}; use that key")).into());
            }
            Ok(())
        })
    }

    /// The verifier key this log is bound to, if it has signed anything.
    pub async fn log_vkey(&self) -> Result<Option<String>, StoreError> {
        on_pool!(self, pool => Ok(sqlx::query_scalar("SELECT vkey FROM log_identity WHERE id = 1").fetch_optional(pool).await?))
    }

    /// The latest signed checkpoint, if any.
    pub async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        on_pool!(self, pool => {
            match sqlx::query("SELECT size, root, note FROM log_checkpoint WHERE id = 1").fetch_optional(pool).await? {
                None => Ok(None),
                Some(row) => Ok(Some(StoredCheckpoint {
                    size: row.try_get::<i64, _>("size")? as u64,
                    root: hash_of(row.try_get("root")?)?,
                    note: row.try_get("note")?,
                })),
            }
        })
    }

    /// Every checkpoint this log has signed, smallest first.
    pub async fn checkpoint_history(&self) -> Result<Vec<StoredCheckpoint>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT size, root, note FROM log_checkpoints ORDER BY size").fetch_all(pool).await?;
            rows.iter()
                .map(|row| Ok(StoredCheckpoint { size: row.try_get::<i64, _>("size")? as u64, root: hash_of(row.try_get("root")?)?, note: row.try_get("note")? }))
                .collect()
        })
    }

    /// Signs a checkpoint covering every committed entry, unless the latest checkpoint
    /// already does. Returns the latest checkpoint after the call (possibly another
    /// process's, if it won the race).
    pub async fn sign_checkpoint(&self, signer: &NoteSigner) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.bind_log_key(signer).await?;
        loop {
            let (old_size, frontier) = on_pool!(self, pool => {
                match sqlx::query("SELECT size, root, frontier FROM log_checkpoint WHERE id = 1").fetch_optional(pool).await? {
                    None => (None, Frontier::new()),
                    Some(row) => {
                        let size = row.try_get::<i64, _>("size")? as u64;
                        let root = hash_of(row.try_get("root")?)?;
                        let f = Frontier::from_bytes(&row.try_get::<Vec<u8>, _>("frontier")?).map_err(corrupt)?;
                        // The frontier must describe exactly the signed tree.
                        if f.size() != size || f.root() != root {
                            return Err(corrupt(format!("the stored frontier (size {}) does not match the checkpoint (size {size})", f.size())));
                        }
                        (Some(size), f)
                    }
                }
            });
            let target = self.log_size().await?;
            let from = old_size.unwrap_or(0);
            if old_size.is_some() && target <= from {
                return self.latest_checkpoint().await;
            }
            let mut frontier = frontier;
            // Read leaf hashes in slices to bound memory on a large catch-up.
            let mut at = from;
            while at < target {
                let end = (at + 100_000).min(target);
                for h in self.log_leaf_hashes(at, end).await? {
                    frontier.append(h).map_err(corrupt)?;
                }
                at = end;
            }
            let root = frontier.root();
            let note = Checkpoint::new(signer.name(), target, root).map_err(corrupt)?.sign(signer).map_err(corrupt)?;
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            let frontier_bytes = frontier.to_bytes();
            let swapped = on_pool!(self, pool => {
                let mut tx = pool.begin().await?;
                let n = match old_size {
                    None => sqlx::query("INSERT INTO log_checkpoint (id, size, root, note, frontier) VALUES (1, $1, $2, $3, $4) ON CONFLICT (id) DO NOTHING")
                        .bind(target as i64).bind(root.to_vec()).bind(note.clone()).bind(frontier_bytes.clone())
                        .execute(&mut *tx).await?.rows_affected(),
                    Some(old) => sqlx::query("UPDATE log_checkpoint SET size = $1, root = $2, note = $3, frontier = $4 WHERE id = 1 AND size = $5")
                        .bind(target as i64).bind(root.to_vec()).bind(note.clone()).bind(frontier_bytes.clone()).bind(old as i64)
                        .execute(&mut *tx).await?.rows_affected(),
                };
                if n == 1 {
                    sqlx::query("INSERT INTO log_checkpoints (size, root, note, signed_at) VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING")
                        .bind(target as i64).bind(root.to_vec()).bind(note.clone()).bind(now.clone())
                        .execute(&mut *tx).await?;
                    tx.commit().await?;
                    true
                } else {
                    // Another signer moved the checkpoint first: ours is discarded unseen.
                    false
                }
            });
            if swapped {
                return Ok(Some(StoredCheckpoint { size: target, root, note }));
            }
        }
    }
}
