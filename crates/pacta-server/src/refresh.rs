//! Figures computed over the whole registry, kept per audience and refreshed as the log
//! grows, without making readers wait behind every new entry.
//!
//! The dashboard's statistics and the state practice are each one pass over the registry:
//! milliseconds on a registry of thousands, seconds at a million incidents. Each is stamped
//! with the log size it reflects. When the log has grown, a request starts a rebuild (or
//! joins the one under way: at most one runs per key) and waits for it at most `wait`;
//! past that it gets the previous figures, and the rebuild finishes in the background.
//! With no previous figures it waits for the rebuild. Before this, the practice was
//! recomputed under one lock by the first request after any write, and every other reader
//! queued behind it.

use crate::error::AppError;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// How many keys' figures are kept. Each signed-in account is an audience of its own (a
/// private claim is shown only to the parties it names), and each audience's figures hold
/// what it may see of the registry's claims: without a bound, memory grows with every
/// account that ever looked. Past the bound, the audience that looked longest ago makes
/// room; if it looks again it waits for a rebuild, as on its first visit.
pub const MAX_AUDIENCES: usize = 64;

/// Figures of type `T` per key (an audience), each with the log size it reflects.
pub struct Refreshed<T> {
    /// What the figures are, for the log lines ("statistics", "state practice").
    what: &'static str,
    capacity: usize,
    slots: Mutex<Slots<T>>,
}

struct Slots<T> {
    by_key: HashMap<String, Slot<T>>,
    /// Counts requests, to stamp each slot with its last use.
    clock: u64,
}

struct Slot<T> {
    latest: Option<Stamped<T>>,
    rebuilding: Option<watch::Receiver<Outcome<T>>>,
    last_used: u64,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot { latest: None, rebuilding: None, last_used: 0 }
    }
}

impl<T> Slot<T> {
    /// A rebuild is running for this slot: its task will file its figures here.
    fn rebuild_running(&self) -> bool {
        self.rebuilding.as_ref().is_some_and(|rx| rx.has_changed().is_ok())
    }
}

impl<T> Slots<T> {
    /// The slot of `key`, stamped as just used. A new key beyond `capacity` evicts the
    /// least recently used slot that has no rebuild running (so a rebuild always finds
    /// its slot); while rebuilds hold every slot, the map grows, and the next new key brings
    /// it back to the bound.
    fn slot(&mut self, key: &str, capacity: usize) -> &mut Slot<T> {
        self.clock += 1;
        if !self.by_key.contains_key(key) {
            while self.by_key.len() >= capacity {
                let idle = self.by_key.iter().filter(|(_, s)| !s.rebuild_running()).min_by_key(|(_, s)| s.last_used).map(|(k, _)| k.clone());
                let Some(k) = idle else { break };
                self.by_key.remove(&k);
            }
        }
        let slot = self.by_key.entry(key.to_string()).or_default();
        slot.last_used = self.clock;
        slot
    }
}

struct Stamped<T> {
    log_size: u64,
    value: Arc<T>,
}

impl<T> Clone for Stamped<T> {
    fn clone(&self) -> Self {
        Stamped { log_size: self.log_size, value: self.value.clone() }
    }
}

/// A rebuild's outcome, once it has one.
type Outcome<T> = Option<Result<Stamped<T>, String>>;

impl<T: Send + Sync + 'static> Refreshed<T> {
    pub fn new(what: &'static str) -> Arc<Self> {
        Self::with_capacity(what, MAX_AUDIENCES)
    }

    /// Figures for at most `capacity` keys at a time (at least one).
    pub fn with_capacity(what: &'static str, capacity: usize) -> Arc<Self> {
        Arc::new(Refreshed { what, capacity: capacity.max(1), slots: Mutex::new(Slots { by_key: HashMap::new(), clock: 0 }) })
    }

    /// The figures for `key` as of a log of `log_size` entries or later, or the previous
    /// ones if the rebuild takes longer than `wait`. `build` computes them and says the log
    /// size they reflect (at least `log_size`, or less if it used older parts: they are
    /// then rebuilt on a later request); it runs only if the figures are out of date and no
    /// rebuild is under way, in a task of its own, so a client that goes away does not
    /// cancel it.
    pub async fn get<F>(self: &Arc<Self>, key: &str, log_size: u64, wait: Duration, build: F) -> Result<Arc<T>, AppError>
    where
        F: Future<Output = Result<(u64, T), AppError>> + Send + 'static,
    {
        self.get_stamped(key, log_size, Some(wait), build).await.map(|(_, value)| value)
    }

    /// [`Refreshed::get`], with the log size the figures reflect. A `wait` of `None` waits
    /// for the rebuild, however long it takes.
    pub async fn get_stamped<F>(self: &Arc<Self>, key: &str, log_size: u64, wait: Option<Duration>, build: F) -> Result<(u64, Arc<T>), AppError>
    where
        F: Future<Output = Result<(u64, T), AppError>> + Send + 'static,
    {
        let (previous, mut rebuilt) = {
            let mut slots = self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let slot = slots.slot(key, self.capacity);
            if let Some(s) = &slot.latest
                && s.log_size >= log_size
            {
                return Ok((s.log_size, s.value.clone()));
            }
            // A rebuild whose task died (a panic) closed its channel without a word: start anew.
            let rx = match slot.rebuilding.as_ref().filter(|_| slot.rebuild_running()) {
                Some(rx) => rx.clone(),
                None => {
                    let (tx, rx) = watch::channel(None);
                    slot.rebuilding = Some(rx.clone());
                    let (this, key) = (self.clone(), key.to_string());
                    tokio::spawn(async move { this.rebuild(key, log_size, build, tx).await });
                    rx
                }
            };
            (slot.latest.as_ref().map(|s| (s.log_size, s.value.clone())), rx)
        };
        let done = rebuilt.wait_for(Option::is_some);
        let outcome = match &previous {
            // A zero wait does not wait at all (a timer of zero still yields to the runtime).
            Some(_) => match wait {
                Some(wait) if wait.is_zero() => None,
                Some(wait) => tokio::time::timeout(wait, done).await.ok(),
                None => Some(done.await),
            },
            None => Some(done.await),
        };
        match outcome {
            Some(Ok(r)) => match r.as_ref().expect("waited for a value") {
                Ok(s) => Ok((s.log_size, s.value.clone())),
                // A failed rebuild leaves the previous figures standing; the next request retries.
                Err(e) => previous.ok_or_else(|| AppError::Internal(format!("{}: {e}", self.what))),
            },
            // The rebuild task ended without a word (it panicked): the next request retries.
            Some(Err(_)) => previous.ok_or_else(|| AppError::Internal(format!("{}: the rebuild stopped", self.what))),
            // Still rebuilding: answer with what we have.
            None => Ok(previous.expect("the wait is bounded only when previous figures exist")),
        }
    }

    /// Whether figures for `key` have been filed (however old).
    pub fn has(&self, key: &str) -> bool {
        self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).by_key.get(key).is_some_and(|s| s.latest.is_some())
    }

    /// Runs `build`, files its figures unless newer ones were filed meanwhile, and tells
    /// whoever waits. The rebuild slot is cleared in every case, so a failure is retried
    /// by the next request.
    async fn rebuild<F>(self: Arc<Self>, key: String, log_size: u64, build: F, tx: watch::Sender<Outcome<T>>)
    where
        F: Future<Output = Result<(u64, T), AppError>>,
    {
        let started = std::time::Instant::now();
        let built = build.await.map(|(log_size, v)| Stamped { log_size, value: Arc::new(v) });
        {
            let mut slots = self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            // Not `Slots::slot`: filing is not a use, and the slot cannot have been
            // evicted while this rebuild ran (see there).
            let slot = slots.by_key.entry(key.clone()).or_default();
            slot.rebuilding = None;
            if let Ok(s) = &built
                && slot.latest.as_ref().is_none_or(|l| l.log_size < s.log_size)
            {
                slot.latest = Some(s.clone());
            }
        }
        match &built {
            Ok(s) => tracing::info!(what = self.what, key, log_size, reflects = s.log_size, ms = started.elapsed().as_millis() as u64, "figures rebuilt"),
            Err(e) => tracing::warn!(what = self.what, key, error = %e, "rebuilding figures failed"),
        }
        let _ = tx.send(Some(built.map_err(|e| e.to_string())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn readers_get_the_previous_figures_while_a_slow_rebuild_runs_and_start_only_one() {
        let figures: Arc<Refreshed<u64>> = Refreshed::new("test");
        let builds = Arc::new(AtomicU32::new(0));
        let slow = |size: u64, builds: Arc<AtomicU32>| async move {
            builds.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(200)).await;
            Ok((size, size))
        };
        // No figures yet: the first reader waits for them, however long they take.
        assert_eq!(*figures.get("public", 10, Duration::ZERO, slow(10, builds.clone())).await.unwrap(), 10);
        // Up to date: nothing is rebuilt.
        assert_eq!(*figures.get("public", 10, Duration::ZERO, slow(10, builds.clone())).await.unwrap(), 10);
        assert_eq!(builds.load(Ordering::SeqCst), 1);
        // The log grew: readers get the figures as of 10 at once, and one rebuild runs.
        for _ in 0..5 {
            assert_eq!(*figures.get("public", 12, Duration::from_millis(10), slow(12, builds.clone())).await.unwrap(), 10);
        }
        // Once the rebuild has filed its figures, they are served.
        let mut fresh = 0;
        for _ in 0..100 {
            fresh = *figures.get("public", 12, Duration::from_millis(50), slow(12, builds.clone())).await.unwrap();
            if fresh == 12 {
                break;
            }
        }
        assert_eq!(fresh, 12);
        assert_eq!(builds.load(Ordering::SeqCst), 2, "one rebuild for all the readers");
        // Keys are apart: another audience has its own figures.
        assert_eq!(*figures.get("signed-in", 12, Duration::ZERO, async { Ok((12, 99)) }).await.unwrap(), 99);
    }

    #[tokio::test]
    async fn the_audience_that_looked_longest_ago_makes_room_and_waits_for_a_rebuild_when_it_returns() {
        let figures: Arc<Refreshed<u64>> = Refreshed::with_capacity("test", 2);
        let builds = Arc::new(AtomicU32::new(0));
        let counted = |value: u64, builds: Arc<AtomicU32>| async move {
            builds.fetch_add(1, Ordering::SeqCst);
            Ok((1, value))
        };
        assert_eq!(*figures.get("public", 1, Duration::ZERO, counted(1, builds.clone())).await.unwrap(), 1);
        assert_eq!(*figures.get("account:ua-cert", 1, Duration::ZERO, counted(2, builds.clone())).await.unwrap(), 2);
        // The public looks again, so the CERT is the one that looked longest ago.
        assert_eq!(*figures.get("public", 1, Duration::ZERO, counted(1, builds.clone())).await.unwrap(), 1);
        assert_eq!(builds.load(Ordering::SeqCst), 2);
        // A third audience makes room by evicting the CERT's figures, not the public's.
        assert_eq!(*figures.get("account:lab", 1, Duration::ZERO, counted(3, builds.clone())).await.unwrap(), 3);
        assert!(figures.has("public") && figures.has("account:lab"));
        assert!(!figures.has("account:ua-cert"), "at most two audiences are kept");
        assert_eq!(*figures.get("public", 1, Duration::ZERO, counted(1, builds.clone())).await.unwrap(), 1);
        assert_eq!(builds.load(Ordering::SeqCst), 3, "the public's figures were kept");
        // The CERT comes back: its figures are built again, and it gets them.
        assert_eq!(*figures.get("account:ua-cert", 1, Duration::ZERO, counted(2, builds.clone())).await.unwrap(), 2);
        assert_eq!(builds.load(Ordering::SeqCst), 4);
        assert!(!figures.has("account:lab"));
    }

    #[tokio::test]
    async fn a_running_rebuild_is_never_evicted_from_under_its_readers() {
        let figures: Arc<Refreshed<u64>> = Refreshed::with_capacity("test", 1);
        let (release, hold) = tokio::sync::oneshot::channel::<()>();
        let slow = {
            let figures = figures.clone();
            tokio::spawn(async move {
                figures.get("account:slow", 1, Duration::ZERO, async move {
                    let _ = hold.await;
                    Ok((1, 7))
                }).await
            })
        };
        while !figures.slots.lock().unwrap().by_key.get("account:slow").is_some_and(|s| s.rebuild_running()) {
            tokio::task::yield_now().await;
        }
        // Another audience arrives while the only slot's rebuild runs: the map grows for now.
        assert_eq!(*figures.get("public", 1, Duration::ZERO, async { Ok((1, 1)) }).await.unwrap(), 1);
        release.send(()).unwrap();
        assert_eq!(*slow.await.unwrap().unwrap(), 7);
        assert!(figures.has("account:slow"), "the rebuild filed its figures in its own slot");
        // The next new audience brings the map back to its bound.
        assert_eq!(*figures.get("account:lab", 1, Duration::ZERO, async { Ok((1, 3)) }).await.unwrap(), 3);
        assert_eq!(figures.slots.lock().unwrap().by_key.len(), 1, "back to the bound: only the newcomer");
        assert!(figures.has("account:lab"));
    }

    #[tokio::test]
    async fn a_failed_rebuild_leaves_the_previous_figures_and_the_next_reader_retries() {
        let figures: Arc<Refreshed<u64>> = Refreshed::new("test");
        let err = figures.get("public", 1, Duration::ZERO, async { Err(AppError::Internal("disk".into())) }).await.unwrap_err();
        assert!(err.to_string().contains("internal"), "{err:?}");
        assert_eq!(*figures.get("public", 1, Duration::ZERO, async { Ok((1, 1)) }).await.unwrap(), 1);
        // A failure with figures standing answers with them.
        let wait = Duration::from_millis(100);
        assert_eq!(*figures.get("public", 2, wait, async { Err(AppError::Internal("disk".into())) }).await.unwrap(), 1);
        assert_eq!(*figures.get("public", 2, wait, async { Ok((2, 2)) }).await.unwrap(), 2);
        // Figures built from older parts say so, and the next request rebuilds them.
        assert_eq!(figures.get_stamped("public", 3, Some(wait), async { Ok((2, 30)) }).await.unwrap().0, 2);
        assert_eq!(*figures.get("public", 3, wait, async { Ok((3, 3)) }).await.unwrap(), 3);
    }
}
