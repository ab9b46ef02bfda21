//! Group commit for single submissions (the server's write path), and the checkpointer.
//!
//! One fsync costs milliseconds; hashing an entry costs microseconds. So concurrent
//! submissions are queued and written together: the sequencer takes whatever is waiting
//! (up to [`crate::write::BATCH`]), writes it in one transaction (one fsync), and only then
//! acknowledges each submitter with its entry's index (as Sunlight and Tessera do).
//! The checkpointer signs a checkpoint after each batch, and at least once a second while
//! the log grows, so an acknowledged entry is covered by a signed checkpoint within about
//! a second.

use crate::write::Filing;
use crate::{Store, StoreError};
use pacta_core::{IncidentRecord, PartyId};
use pacta_ledger::note::NoteSigner;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, mpsc, oneshot};

struct Submission {
    filing: Filing,
    ack: oneshot::Sender<Result<u64, String>>,
}

/// A handle for submitting records; cheap to clone.
#[derive(Clone)]
pub struct Sequencer {
    queue: mpsc::Sender<Submission>,
}

/// The background tasks; dropping every [`Sequencer`] handle lets them finish.
pub struct SequencerTasks {
    pub sequencer: tokio::task::JoinHandle<()>,
    pub checkpointer: Option<tokio::task::JoinHandle<()>>,
}

impl Sequencer {
    /// Starts the sequencer (and, with a signer, the checkpointer) on the current runtime.
    pub fn start(store: Arc<Store>, signer: Option<Arc<NoteSigner>>) -> (Sequencer, SequencerTasks) {
        let (queue, mut rx) = mpsc::channel::<Submission>(crate::write::BATCH * 4);
        let batch_done = Arc::new(Notify::new());
        let notify = batch_done.clone();
        let seq_store = store.clone();
        let sequencer = tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < crate::write::BATCH {
                    match rx.try_recv() {
                        Ok(s) => batch.push(s),
                        Err(_) => break,
                    }
                }
                // Invariant: open and sealed reports are never committed together. One
                // transaction's entries share one time and sit side by side, so an open
                // entry, which names its actor, would point at who made the sealed one
                // beside it.
                let (open, sealed): (Vec<Submission>, Vec<Submission>) = batch.into_iter().partition(|s| s.filing.record.incident.tlp == pacta_core::Tlp::Clear);
                for group in [open, sealed].into_iter().filter(|g| !g.is_empty()) {
                    let (records, acks): (Vec<Filing>, Vec<oneshot::Sender<Result<u64, String>>>) = group.into_iter().map(|s| (s.filing, s.ack)).unzip();
                    match seq_store.write_batch(records, "incident.reported").await {
                        // The transaction has committed (durably): now, and only now, acknowledge.
                        Ok((_, indices)) => {
                            for (ack, index) in acks.into_iter().zip(indices) {
                                let _ = ack.send(index.ok_or_else(|| "the record was already in the registry, unchanged".to_string()));
                            }
                            notify.notify_one();
                        }
                        // Nothing of the group was written: every submitter hears so.
                        Err(e) => {
                            let msg = e.to_string();
                            for ack in acks {
                                let _ = ack.send(Err(msg.clone()));
                            }
                        }
                    }
                }
            }
        });
        let checkpointer = signer.map(|signer| {
            tokio::spawn(async move {
                loop {
                    // Sign after each batch, and at least every second while entries wait.
                    let _ = tokio::time::timeout(Duration::from_secs(1), batch_done.notified()).await;
                    if let Err(e) = store.sign_checkpoint(&signer).await {
                        // Not fatal: entries are durable already; the next round retries.
                        tracing::warn!(error = %e, "signing a checkpoint failed");
                    }
                    if Arc::strong_count(&batch_done) == 1 {
                        // The sequencer is gone: sign once more for anything it wrote, then stop.
                        let _ = store.sign_checkpoint(&signer).await;
                        break;
                    }
                }
            })
        });
        (Sequencer { queue }, SequencerTasks { sequencer, checkpointer })
    }

    /// Submits a record and waits until its log entry is durable. Returns the entry's index.
    pub async fn submit(&self, record: IncidentRecord, actor: PartyId) -> Result<u64, StoreError> {
        self.submit_shared(record, actor, Vec::new()).await
    }

    /// Submits a record with who it is shared with (parties, organisations, `account:NAME`),
    /// and waits until both are durable, in one transaction. Returns the record's entry.
    pub async fn submit_shared(&self, record: IncidentRecord, actor: PartyId, shared_with: Vec<String>) -> Result<u64, StoreError> {
        // Refuse invalid input here, so one bad record never fails a whole batch.
        record.validate()?;
        crate::accounts::check_grantees(&shared_with)?;
        let (ack, wait) = oneshot::channel();
        self.queue
            .send(Submission { filing: Filing { record, actor, shared_with }, ack })
            .await
            .map_err(|_| StoreError::NotFound("the sequencer has stopped".into()))?;
        match wait.await {
            Ok(Ok(index)) => Ok(index),
            Ok(Err(msg)) => Err(StoreError::Corrupt { what: "submission".into(), detail: msg }),
            Err(_) => Err(StoreError::NotFound("the sequencer stopped before acknowledging".into())),
        }
    }
}
