//! `pacta bench`: the import figures in BENCHMARKS.md. Each run uses a fresh throwaway
//! database on the chosen backend and reports the median of its runs.

use clap::{Subcommand, ValueEnum};
use pacta_core::PartyId;
use pacta_store::testing::TestDb;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Clone, Copy, ValueEnum)]
pub enum BackendArg {
    Sqlite,
    Postgres,
}

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Time reading and importing an EuRepoC release directory into a fresh database.
    Eurepoc {
        dir: PathBuf,
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: BackendArg,
        #[arg(long, default_value_t = 5)]
        runs: u32,
    },
    /// Durable appends through the sequencer: concurrent submitters, group commit, and the
    /// time from submission to a signed checkpoint covering the entry.
    Appends {
        /// Runs against this database instead of a fresh throwaway one (the crash test uses it).
        #[arg(long)]
        db: Option<String>,
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: BackendArg,
        #[arg(long, default_value_t = 256)]
        submitters: usize,
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Print each acknowledged index on standard output as soon as it is acknowledged.
        #[arg(long)]
        print_acks: bool,
    },
    /// Import N synthetic incidents into a fresh database and report incidents per second.
    Synthetic {
        #[arg(long, default_value_t = 1_000_000)]
        count: u64,
        /// Imports into this database and keeps it (one run), e.g. to serve it for the
        /// HTTP benchmarks, instead of a fresh throwaway one.
        #[arg(long, value_name = "URL")]
        into: Option<String>,
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: BackendArg,
        #[arg(long, default_value_t = 1)]
        runs: u32,
    },
    /// Time `pacta practice`'s computation over N synthetic incidents (two in three with a
    /// claim naming their alleged state, one in seven with a response) in a fresh database.
    Practice {
        #[arg(long, default_value_t = 100_000)]
        count: u64,
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: BackendArg,
        #[arg(long, default_value_t = 3)]
        runs: u32,
    },
}

async fn fresh(backend: BackendArg) -> anyhow::Result<TestDb> {
    Ok(match backend {
        BackendArg::Sqlite => TestDb::sqlite().await?,
        BackendArg::Postgres => TestDb::postgres().await?.ok_or_else(|| anyhow::anyhow!("PostgreSQL is not reachable (set PACTA_TEST_PG)"))?,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

pub async fn run(_db: &str, actor: &PartyId, cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Appends { db, backend, submitters, seconds, print_acks } => {
            let (store, scratch) = match db {
                Some(url) => (pacta_store::Store::open(&url).await?, None),
                None => {
                    let t = fresh(backend).await?;
                    (pacta_store::Store::open(&t.url).await?, Some(t))
                }
            };
            appends(store, actor, submitters, seconds, print_acks).await?;
            if let Some(t) = scratch {
                t.drop_db().await;
            }
        }
        BenchCommand::Eurepoc { dir, backend, runs } => {
            let mut times = Vec::new();
            let mut n = 0;
            for _ in 0..runs.max(1) {
                let db = fresh(backend).await?;
                let t = Instant::now();
                let read = pacta_import::eurepoc::read_dir(&dir)?;
                n = read.records.len();
                db.store.import_records(read.records, actor, |_| {}).await?;
                times.push(t.elapsed().as_secs_f64());
                db.drop_db().await;
            }
            let m = median(times.clone());
            println!("eurepoc import of {n} incidents on {}: median {:.3} s over {} runs (runs: {})", db_name(backend), m, times.len(), fmt_times(&times));
        }
        BenchCommand::Synthetic { count, into, backend, runs } => {
            let mut rates = Vec::new();
            let runs = if into.is_some() { 1 } else { runs.max(1) };
            // The database measured: the one given by --into, whatever --backend says.
            let mut measured = db_name(backend).to_string();
            for _ in 0..runs {
                let kept = match &into {
                    Some(url) => Some(pacta_store::Store::open(url).await?),
                    None => None,
                };
                let scratch = match &kept {
                    Some(_) => None,
                    None => Some(fresh(backend).await?),
                };
                let store = match (&kept, &scratch) {
                    (Some(store), _) => {
                        measured = store.backend().to_string();
                        store
                    }
                    (None, Some(db)) => &db.store,
                    (None, None) => unreachable!("one of the two is set"),
                };
                let t = Instant::now();
                // Generate and import in slices so memory stays bounded at any count; the
                // next slice is generated while this one is written, as a reader of a
                // source file would read ahead.
                let slice = 100_000u64;
                let generate = |start: u64| {
                    let end = (start + slice).min(count);
                    tokio::task::spawn_blocking(move || (start..end).map(|n| pacta_import::synthetic::incident(42, n)).collect::<Vec<_>>())
                };
                let mut next = (count > 0).then(|| generate(0));
                let mut start = 0;
                while let Some(pending) = next.take() {
                    let records = pending.await?;
                    start += records.len() as u64;
                    next = (start < count).then(|| generate(start));
                    store.import_records(records, actor, |_| {}).await?;
                }
                let secs = t.elapsed().as_secs_f64();
                rates.push(count as f64 / secs);
                println!("  {count} incidents in {secs:.2} s = {:.0} incidents/s", count as f64 / secs);
                if let Some(store) = &kept {
                    // Kept to be served or measured: leave it as `pacta import` would.
                    store.analyze().await?;
                    store.close().await;
                }
                if let Some(db) = scratch {
                    db.drop_db().await;
                }
            }
            println!("synthetic import on {measured}: median {:.0} incidents/s over {} run(s)", median(rates.clone()), rates.len());
        }
        BenchCommand::Practice { count, backend, runs } => {
            let db = fresh(backend).await?;
            let mut start = 0;
            while start < count {
                let end = (start + 100_000).min(count);
                db.store.import_records((start..end).map(practice_record).collect(), actor, |_| {}).await?;
                start = end;
            }
            db.store.analyze().await?;
            let mut times = Vec::new();
            for _ in 0..runs.max(1) {
                let t = Instant::now();
                let p = crate::cmd_practice::compute(&db.store, pacta_practice::Filter::default()).await?;
                let secs = t.elapsed().as_secs_f64();
                println!("  {} incidents read, {} engaged a norm, in {secs:.2} s = {:.0} incidents/s", p.incidents_read, p.any_norm.total.incidents, p.incidents_read as f64 / secs);
                times.push(secs);
            }
            db.drop_db().await;
            println!("practice over {count} synthetic incidents on {}: median {:.2} s over {} run(s) (runs: {})", db_name(backend), median(times.clone()), times.len(), fmt_times(&times));
        }
    }
    Ok(())
}

/// The `n`-th synthetic incident with claims and responses, so that practice reads and
/// counts all three tables (`synthetic::incident` alone has neither).
fn practice_record(n: u64) -> pacta_core::IncidentRecord {
    use pacta_core::*;
    let mut r = pacta_import::synthetic::incident(42, n);
    let alleged = r.incident.alleged_states().first().copied();
    if !n.is_multiple_of(3) && let Some(state) = alleged {
        let by = r.incident.target_states().first().copied().map(Party::state);
        r.attributions.push(Attribution {
            id: AttributionId::new(),
            incident: r.incident.id,
            attributors: by.iter().map(|p| p.id.clone()).collect(),
            attributor_label: Some("synthetic".into()),
            actor_name: None,
            actor_state: Some(state),
            actor_category: ActorCategory::State,
            basis: AttributionBasis::TechnicalReport,
            confidence: None,
            visibility: Visibility::Public,
            date: r.incident.start_date.map(|d| d + chrono::Duration::days((n % 400) as i64)),
            origin_ref: None,
        });
        r.parties.extend(by);
    }
    if n.is_multiple_of(7) {
        r.responses.push(Response {
            id: ResponseId::new(),
            incident: r.incident.id,
            responder: None,
            responder_label: Some("synthetic".into()),
            status: ResponseStatus::Observed,
            domain: ResponseDomain::Political,
            measure: ["diplomatic protest", "public attribution", "targeted sanctions"][(n % 3) as usize].into(),
            date: None,
            description: None,
        });
    }
    r
}

fn db_name(b: BackendArg) -> &'static str {
    match b {
        BackendArg::Sqlite => "SQLite",
        BackendArg::Postgres => "PostgreSQL",
    }
}

fn fmt_times(t: &[f64]) -> String {
    t.iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>().join(", ")
}

/// Drives the sequencer with `submitters` concurrent tasks for `seconds`, then reports the
/// durable append rate and, per entry, the delay until a signed checkpoint covered it.
async fn appends(store: pacta_store::Store, actor: &PartyId, submitters: usize, seconds: f64, print_acks: bool) -> anyhow::Result<()> {
    use pacta_store::sequencer::Sequencer;
    use std::sync::Arc;
    use std::time::Duration;
    let store = Arc::new(store);
    let signer = Arc::new(pacta_ledger::note::NoteSigner::from_seed("bench.pacta.localhost/log", [7u8; 32])?);
    let (sequencer, tasks) = Sequencer::start(store.clone(), Some(signer));
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    // Watch checkpoints as they are stored: (time since start, size).
    let watch_store = store.clone();
    let watcher = tokio::spawn(async move {
        let mut seen: Vec<(f64, u64)> = Vec::new();
        while Instant::now() < deadline + Duration::from_secs(3) {
            if let Ok(Some(c)) = watch_store.latest_checkpoint().await && seen.last().is_none_or(|(_, s)| *s < c.size) {
                seen.push((started.elapsed().as_secs_f64(), c.size));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        seen
    });
    let mut handles = Vec::new();
    for worker in 0..submitters {
        let sequencer = sequencer.clone();
        let actor = actor.clone();
        handles.push(tokio::spawn(async move {
            let mut acks: Vec<(f64, u64)> = Vec::new();
            let mut n = 0u64;
            while Instant::now() < deadline {
                let mut incident = pacta_core::Incident::new(format!("Append {worker}-{n}"), pacta_core::Tlp::Green);
                incident.description = "A small report, as a state would file one.".into();
                let submitted = started.elapsed().as_secs_f64();
                match sequencer.submit(pacta_core::IncidentRecord::new(incident), actor.clone()).await {
                    Ok(index) => {
                        if print_acks {
                            // Written only after the commit returned: the crash test relies
                            // on every printed index being durable.
                            println!("ack {index}");
                        }
                        acks.push((submitted, index));
                    }
                    Err(e) => return Err(e),
                }
                n += 1;
            }
            Ok(acks)
        }));
    }
    let mut acks = Vec::new();
    for h in handles {
        acks.extend(h.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    drop(sequencer);
    let _ = tasks.sequencer.await;
    if let Some(c) = tasks.checkpointer {
        let _ = c.await;
    }
    let checkpoints = watcher.await?;
    let mut delays: Vec<f64> = acks
        .iter()
        .filter_map(|(t, index)| checkpoints.iter().find(|(_, size)| *size > *index).map(|(ct, _)| (ct - t).max(0.0)))
        .collect();
    delays.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| delays.get(((delays.len() as f64 - 1.0) * p) as usize).copied().unwrap_or(f64::NAN);
    eprintln!(
        "durable appends on {}: {} in {:.2} s = {:.0}/s with {submitters} submitters; submission to signed checkpoint: median {:.0} ms, p99 {:.0} ms, max {:.0} ms ({} of {} entries covered)",
        store.backend(),
        acks.len(),
        elapsed,
        acks.len() as f64 / elapsed,
        pct(0.5) * 1000.0,
        pct(0.99) * 1000.0,
        pct(1.0) * 1000.0,
        delays.len(),
        acks.len()
    );
    Ok(())
}
