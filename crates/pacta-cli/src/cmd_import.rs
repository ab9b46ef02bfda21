//! `pacta import eurepoc DIR`, `pacta import cfr FILE`.

use anyhow::Context;
use clap::Subcommand;
use pacta_core::{IncidentRecord, PartyId};
use pacta_import::ReadReport;
use pacta_store::{ImportOutcome, Store};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Subcommand)]
pub enum ImportCommand {
    /// An EuRepoC release 1.1: the directory with its Global Database, Attribution and Receiver CSVs.
    Eurepoc { dir: PathBuf },
    /// A CFR Cyber Operations Tracker CSV export.
    Cfr { file: PathBuf },
}

pub async fn run(db: &str, actor: &PartyId, cmd: ImportCommand) -> anyhow::Result<()> {
    // Read and check the whole input before opening the database: a file that is not the
    // expected format is refused before anything is written.
    let (label, records, report, extra) = match &cmd {
        ImportCommand::Eurepoc { dir } => {
            let read = pacta_import::eurepoc::read_dir(dir)?;
            let extra = format!(" ({} attribution rows, {} receiver rows)", read.attribution_rows, read.receiver_rows);
            ("EuRepoC", read.records, read.report, extra)
        }
        ImportCommand::Cfr { file } => {
            let read = pacta_import::cfr::read_file(file)?;
            ("CFR tracker", read.records, read.report, String::new())
        }
    };
    let store = Store::open(db).await?;
    import_and_report(&store, actor, label, records, &report, &extra).await?;
    store.close().await;
    // The rows read are committed; a script must still learn that some were not.
    if !report.refused.is_empty() {
        anyhow::bail!("{} row(s) were refused (listed above); every other row was imported", report.refused.len());
    }
    Ok(())
}

/// Writes the records and prints what happened: counts, refused rows, and the log size.
pub async fn import_and_report(store: &Store, actor: &PartyId, label: &str, records: Vec<IncidentRecord>, report: &ReadReport, extra: &str) -> anyhow::Result<ImportOutcome> {
    let total = records.len() as u64;
    let mut progress = Progress::new(total);
    let outcome = store.import_records(records, actor, |done| progress.update(done)).await.context("import failed; nothing of it was written (an import is one transaction)")?;
    progress.finish();
    // After a bulk load PostgreSQL's planner needs fresh statistics (see the store's
    // `planner` module); a failure here loses nothing, so it is only reported.
    if let Err(e) = store.analyze().await {
        eprintln!("warning: refreshing the query planner's statistics failed: {e}");
    }
    println!("{label}: read {total} incident(s){extra}.");
    for problem in report.refused.iter().take(50) {
        println!("  refused {problem}");
    }
    if report.refused.len() > 50 {
        println!("  ... and {} more refused rows", report.refused.len() - 50);
    }
    if !report.refused.is_empty() {
        println!("{} row(s) refused; every other row was imported.", report.refused.len());
    }
    if outcome.inserted == 0 && outcome.updated == 0 {
        println!("Nothing new: all {} incident(s) are already in the registry, unchanged. The log stays at {} entries.", outcome.unchanged, outcome.log_size);
    } else {
        println!(
            "Imported {} new incident(s), updated {}, {} unchanged; with {} attribution(s), {} response(s), {} external assessment(s), {} new party(ies).",
            outcome.inserted, outcome.updated, outcome.unchanged, outcome.attributions, outcome.responses, outcome.external_assessments, outcome.parties
        );
        println!("Appended {} log entries; the log now has {}.", outcome.log_entries, outcome.log_size);
    }
    // New and updated incidents (and any assessed under other instruments) are assessed
    // now, so the registry never serves an assessment of facts it no longer holds.
    let assessed = crate::cmd_assess::refresh_stale(store).await.context("the import is committed, but assessing it failed; run `pacta assess --all`")?;
    if assessed > 0 {
        println!("Assessed {assessed} incident(s) against the instruments.");
    }
    Ok(outcome)
}

/// A progress bar that appears only once an import has taken longer than a second.
struct Progress {
    total: u64,
    started: Instant,
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn new(total: u64) -> Self {
        Progress { total, started: Instant::now(), bar: None }
    }

    fn update(&mut self, done: u64) {
        if self.bar.is_none() && self.started.elapsed() > Duration::from_secs(1) {
            let bar = indicatif::ProgressBar::new(self.total);
            if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} importing [{bar:40}] {pos}/{len} incidents, {per_sec}, eta {eta}") {
                bar.set_style(style.progress_chars("=> "));
            }
            self.bar = Some(bar);
        }
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
