//! The WAL backfill: SQLite's checkpoints run here, beside the writer, not inside its
//! commits.
//!
//! In WAL mode a commit appends the changed pages to the `-wal` file and fsyncs it; a
//! checkpoint later copies those pages into the database file and fsyncs that. By default
//! SQLite runs the checkpoint inside whichever commit takes the WAL past 1,000 pages, so
//! the one writer stops to copy pages it has already made durable: in a large import that
//! was about a quarter of the writer's time. Here a task with its own connection (so its
//! own SQLite thread) runs a `PASSIVE` checkpoint shortly after commits, while the writer
//! goes on with its next transaction; on two cores the copying overlaps the writing.
//!
//! Invariants:
//! - **Durability never depends on the backfill.** A transaction is durable once its
//!   frames are fsynced in the WAL (`synchronous=FULL`), checkpointed or not. A crash in
//!   the middle of a checkpoint is harmless: SQLite recovers the database from the WAL on
//!   the next open, and copying a frame twice writes the same page twice.
//! - **The WAL stays bounded.** A `PASSIVE` checkpoint never blocks the writer or readers,
//!   so a writer that never pauses can outrun it; the writer's own automatic checkpoint,
//!   set to [`WRITER_BACKSTOP_PAGES`], then takes over, and it only copies what the
//!   backfill has not. [`WAL_SIZE_LIMIT`] truncates the file after such a burst.
//! - **It never outlives the store**: [`Store::close`](crate::Store::close) stops it and
//!   waits; dropping the store stops it at its next wake-up.

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// The WAL size, in pages, at which a writer checkpoints by itself (1 GiB of the
/// store's 16 KiB pages, see `Store::open`). The `-wal` file can only start over when a writer begins a transaction with
/// every frame already copied, which a writer that never pauses (a large import) never
/// does; so in such a run this backstop is what resets the file, and the larger it is,
/// the less often the writer stops for it. Each time it copies only what the backfill
/// has not.
pub(crate) const WRITER_BACKSTOP_PAGES: &str = "65536";

/// Bytes the `-wal` file is truncated to after a checkpoint resets it.
pub(crate) const WAL_SIZE_LIMIT: &str = "67108864";

/// How long the backfill waits after a commit before checkpointing, so that the commits
/// of a busy writer share one checkpoint (and one fsync of the database file).
const GATHER: Duration = Duration::from_millis(20);

pub(crate) struct WalBackfill {
    wake: Arc<Notify>,
    stopping: Arc<AtomicBool>,
    task: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl WalBackfill {
    /// Opens the backfill's connection and starts it on the current runtime.
    pub(crate) async fn start(opts: SqliteConnectOptions) -> Result<WalBackfill, sqlx::Error> {
        let mut conn: SqliteConnection = opts.connect().await?;
        let wake = Arc::new(Notify::new());
        let stopping = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn({
            let (wake, stopping) = (wake.clone(), stopping.clone());
            async move {
                loop {
                    wake.notified().await;
                    if stopping.load(Ordering::Acquire) {
                        break;
                    }
                    tokio::time::sleep(GATHER).await;
                    // A failure here costs only WAL size (the writer's backstop still
                    // checkpoints), so it is logged, not raised.
                    if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&mut conn).await {
                        tracing::debug!(error = %e, "WAL backfill checkpoint failed");
                    }
                }
                let _ = conn.close().await;
            }
        });
        Ok(WalBackfill { wake, stopping, task: tokio::sync::Mutex::new(Some(task)) })
    }

    /// A write transaction committed: checkpoint soon.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Stops the task and waits for its connection to close.
    pub(crate) async fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        self.wake.notify_one();
        if let Some(task) = self.task.lock().await.take() {
            let _ = task.await;
        }
    }
}

impl Drop for WalBackfill {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::Release);
        self.wake.notify_one();
    }
}
