//! `pacta`: the command line. Argument definitions and glue only; the work lives in the
//! library crates. Errors are one line on stderr and a non-zero exit code; a closed pipe
//! (`pacta incidents list | head`) is not an error.

mod cmd_account;
mod cmd_assess;
mod cmd_attribute;
mod cmd_bench;
mod cmd_case;
mod cmd_demo;
mod cmd_eval;
mod cmd_evidence;
mod cmd_forum;
mod cmd_import;
mod cmd_incidents;
mod cmd_log;
mod cmd_practice;
mod cmd_respond;
mod cmd_serve;
mod cmd_sim;
mod cmd_tabletop;
mod logkey;
mod output;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "pacta", version, about = "The registry where the rules of state behaviour in cyberspace are kept and applied.")]
struct Cli {
    /// Database: sqlite://PATH (default: pacta.db in the working directory) or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "PACTA_DB", default_value = "sqlite://pacta.db")]
    db: String,
    /// The party on whose behalf changes are made; recorded in every log entry.
    #[arg(long = "as", global = true, env = "PACTA_ACTOR", default_value = "org:secretariat", value_name = "PARTY")]
    actor: String,
    #[command(flatten)]
    log_key: logkey::LogKeyArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import an incident database (EuRepoC release, CFR tracker export).
    #[command(subcommand)]
    Import(cmd_import::ImportCommand),
    /// List and show incidents.
    #[command(subcommand)]
    Incidents(cmd_incidents::IncidentsCommand),
    /// Counts by year, sector, operation type and alleged state.
    Stats(cmd_incidents::StatsArgs),
    /// Serve the HTTP API, the public dashboard and the log's tiles.
    Serve(cmd_serve::ServeArgs),
    /// Create a fresh SQLite database with the bundled EuRepoC sample, then serve it.
    Demo(cmd_demo::DemoArgs),
    /// Evidence: artefacts in the vault, chain of custody, analyses and re-runs.
    #[command(subcommand)]
    Evidence(cmd_evidence::EvidenceCommand),
    /// Attribution claims: make, amend, withdraw, endorse, contest; the computed status.
    #[command(subcommand)]
    Attribute(cmd_attribute::AttributeCommand),
    /// The response ladder: plan, propose, notify, enact, suspend, lift; the enforcement arc.
    #[command(subcommand)]
    Respond(cmd_respond::RespondCommand),
    /// The transparency log: its key, checkpoints, receipts and a static export.
    #[command(subcommand)]
    Log(cmd_log::LogCommand),
    /// Check receipts and published logs, trusting nothing but the log's public key.
    #[command(subcommand)]
    Verify(cmd_log::VerifyCommand),
    /// Run a simulation of how norms hold or collapse.
    Sim(cmd_sim::SimArgs),
    /// State practice from the registry: per norm and year, detection, attribution and
    /// punishment; each state's record.
    Practice(cmd_practice::PracticeArgs),
    /// Tabletop exercises: replay a scenario of timed injects into a scratch registry.
    #[command(subcommand)]
    Tabletop(cmd_tabletop::TabletopCommand),
    /// Measure the registry's speed (imports), for BENCHMARKS.md.
    #[command(subcommand)]
    Bench(cmd_bench::BenchCommand),
    /// Accounts and API tokens (for the secretariat).
    #[command(subcommand)]
    Account(cmd_account::AccountCommand),
    /// Assess incidents against the instruments: findings, responsibility, threshold,
    /// lawful responses, each with its trace.
    Assess(cmd_assess::AssessArgs),
    /// Compare our assessments with expert coding (EuRepoC); needs no database.
    #[command(subcommand)]
    Eval(cmd_eval::EvalCommand),
    #[command(flatten)]
    Forum(cmd_forum::ForumCommand),
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // The demo creates (and replaces) its own database at `--path`: a `--db` typed on the
    // command line would be ignored, or worse, taken for the file to replace.
    if matches!(cli.command, Command::Demo(_)) && matches.value_source("db") == Some(clap::parser::ValueSource::CommandLine) {
        eprintln!("error: pacta demo creates a fresh SQLite database at --path (default pacta-demo.db), replacing that file; it does not use --db {:?}", cli.db);
        return ExitCode::FAILURE;
    }
    if !matches!(cli.command, Command::Serve(_) | Command::Demo(_)) {
        restore_sigpipe();
    }
    let result = match cli.command {
        // The simulation is pure computation; only a bare --from-registry reads the
        // database, and then it starts its own runtime.
        Command::Sim(ref args) => cmd_sim::run(args, &cli.db),
        // Evaluation reads a release from disk and runs the pure engine.
        Command::Eval(cmd) => cmd_eval::run(cmd),
        // Verification reads files only: it needs neither a database nor a runtime.
        Command::Verify(cmd) => cmd_log::run_verify(cmd),
        _ => run_async(cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the error and its causes, outermost first. No backtrace for user mistakes.
            let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            let mut line = String::new();
            for c in chain {
                if !line.contains(&c) {
                    if !line.is_empty() {
                        line.push_str(": ");
                    }
                    line.push_str(&c);
                }
            }
            eprintln!("error: {line}");
            ExitCode::FAILURE
        }
    }
}

fn run_async(cli: Cli) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let actor = pacta_core::PartyId::parse("--as", &cli.actor)?;
        match cli.command {
            Command::Import(c) => cmd_import::run(&cli.db, &actor, c).await,
            Command::Incidents(c) => {
                require_database(&cli.db)?;
                cmd_incidents::run(&cli.db, c).await
            }
            Command::Stats(a) => {
                require_database(&cli.db)?;
                cmd_incidents::stats(&cli.db, a).await
            }
            Command::Demo(a) => cmd_demo::run(a, &actor, &cli.log_key).await,
            Command::Serve(a) => cmd_serve::serve(pacta_store::Store::open(&cli.db).await?, &a, &cli.log_key).await,
            Command::Bench(c) => cmd_bench::run(&cli.db, &actor, c).await,
            Command::Account(c) => cmd_account::run(&cli.db, &actor, c).await,
            Command::Assess(a) => {
                require_database(&cli.db)?;
                cmd_assess::run(&cli.db, a).await
            }
            Command::Evidence(c) => cmd_evidence::run(&cli.db, &actor, c).await,
            Command::Attribute(c) => cmd_attribute::run(&cli.db, &actor, c).await,
            Command::Respond(c) => cmd_respond::run(&cli.db, &actor, c).await,
            Command::Log(c) => cmd_log::run_log(&cli.db, &cli.log_key, c).await,
            Command::Practice(a) => {
                require_database(&cli.db)?;
                cmd_practice::run(&cli.db, a).await
            }
            Command::Tabletop(c) => cmd_tabletop::run(&cli.db, &actor, c).await,
            Command::Forum(c) => cmd_forum::run(&cli.db, &actor, c).await,
            Command::Sim(_) | Command::Verify(_) | Command::Eval(_) => unreachable!("handled without a runtime"),
        }
    })
}

/// Commands that only read refuse a SQLite database that does not exist, rather than
/// create an empty one and report that a mistyped registry holds nothing.
pub(crate) fn require_database(db: &str) -> anyhow::Result<()> {
    if let Some(path) = db.strip_prefix("sqlite://").or_else(|| db.strip_prefix("sqlite:")) {
        if path.trim().is_empty() {
            anyhow::bail!("--db {db:?} names no file: give sqlite://PATH");
        }
        if !std::path::Path::new(path).exists() {
            anyhow::bail!("no database at {path} (give --db, or import into it first)");
        }
    }
    Ok(())
}

/// Rust ignores SIGPIPE, so printing to a pipe whose reader has gone (`pacta incidents
/// list | head -1`) makes `println!` panic with a backtrace and exit 101. A command line
/// tool should instead stop quietly, as `cat` does: the default action. Not for the
/// server, whose writes to a client that hung up must fail as errors, not end it.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called once at start-up, before any other thread exists, with a valid
    // signal number and the default disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
