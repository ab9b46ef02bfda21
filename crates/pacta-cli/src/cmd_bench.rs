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
    /// Import N synthetic incidents into a fresh database and report incidents per second.
    Synthetic {
        #[arg(long, default_value_t = 1_000_000)]
        count: u64,
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: BackendArg,
        #[arg(long, default_value_t = 1)]
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
        BenchCommand::Synthetic { count, backend, runs } => {
            let mut rates = Vec::new();
            for _ in 0..runs.max(1) {
                let db = fresh(backend).await?;
                let t = Instant::now();
                // Generate and import in slices so memory stays bounded at any count.
                let slice = 100_000u64;
                let mut start = 0;
                while start < count {
                    let end = (start + slice).min(count);
                    let records: Vec<_> = (start..end).map(|n| pacta_import::synthetic::incident(42, n)).collect();
                    db.store.import_records(records, actor, |_| {}).await?;
                    start = end;
                }
                let secs = t.elapsed().as_secs_f64();
                rates.push(count as f64 / secs);
                println!("  {count} incidents in {secs:.2} s = {:.0} incidents/s", count as f64 / secs);
                db.drop_db().await;
            }
            println!("synthetic import on {}: median {:.0} incidents/s over {} run(s)", db_name(backend), median(rates.clone()), rates.len());
        }
    }
    Ok(())
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
