//! `pacta serve`: the dashboard, the JSON API and the transparency log's tiles.
//!
//! The server also runs the write path: single submissions go through the store's
//! sequencer (group commit), and its checkpointer signs a checkpoint after each batch and
//! at least once a second while the log grows, with the log's key (see [`crate::logkey`]).

use crate::logkey::{self, LogKeyArgs};
use clap::Args;
use pacta_store::sequencer::Sequencer;
use pacta_server::{AppState, Limits, Server};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

#[derive(Args)]
pub struct ServeArgs {
    /// Address and port to listen on. Use 0.0.0.0:8080 to accept connections from other
    /// machines (put a TLS-terminating proxy in front).
    #[arg(long, env = "PACTA_LISTEN", default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Seconds a request may run before it is answered with 503.
    #[arg(long, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout: u64,
    /// Requests per second each client may sustain (an account when signed in, else its
    /// address). 0 turns the limit off, for load tests.
    #[arg(long, default_value_t = 100.0, value_name = "PER_SECOND")]
    pub rate_limit: f64,
    /// Requests a client may make at once after being idle.
    #[arg(long, default_value_t = 200, value_name = "REQUESTS", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_burst: u32,
    /// Take the client's address from the last X-Forwarded-For entry. Only behind a
    /// reverse proxy that sets that header; otherwise clients could pick their address.
    #[arg(long)]
    pub trust_forwarded_for: bool,
    /// The largest artefact an evidence upload may carry, in MiB. The form streams it into
    /// the vault; other requests stay limited to 64 KiB.
    #[arg(long, default_value_t = 256, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub max_evidence_mib: u64,
    /// Where the search index is kept. By default beside a SQLite file (`PATH.search/`);
    /// for PostgreSQL in memory, rebuilt from the whole registry at each start (about 10 s
    /// for a million incidents) unless a directory is named here. The index is derived
    /// data: it may be deleted at any time, and an index built from another database is
    /// rebuilt, not reused.
    #[arg(long, env = "PACTA_SEARCH_INDEX", value_name = "DIR")]
    pub search_index: Option<std::path::PathBuf>,
    /// Log filter when RUST_LOG is not set (error, warn, info, debug, trace).
    #[arg(long, default_value = "info", value_name = "FILTER")]
    pub log: String,
}

/// Serves `store` until Ctrl-C or SIGTERM, then lets requests in flight finish.
pub async fn serve(store: pacta_store::Store, args: &ServeArgs, keys: &LogKeyArgs) -> anyhow::Result<()> {
    pacta_server::init_logging(&args.log);
    if !(args.rate_limit.is_finite() && args.rate_limit >= 0.0) {
        anyhow::bail!("--rate-limit: {} is not valid: expected requests per second, 0 or more (0 turns the limit off)", args.rate_limit);
    }
    let rate_limit = (args.rate_limit > 0.0).then(|| pacta_server::ratelimit::RateLimit { per_second: args.rate_limit, burst: args.rate_burst, ..Default::default() });
    let limits = Limits { request_timeout: Duration::from_secs(args.request_timeout), rate_limit, trust_forwarded_for: args.trust_forwarded_for,
        max_evidence_bytes: usize::try_from(args.max_evidence_mib.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX),
        ..Limits::default()
    };
    let signer = logkey::load_or_create(store.url(), keys)?;
    let store = Arc::new(store);
    // Binds the key to the log (refusing a different one) and covers entries written
    // while no server ran (imports), before the first client asks for a checkpoint.
    store.sign_checkpoint(&signer).await?;
    let (sequencer, tasks) = Sequencer::start(store.clone(), Some(Arc::new(signer)));
    let mut state = AppState::new(store.clone()).with_limits(limits).with_sequencer(sequencer);
    // The same vault `pacta evidence` uses, so uploads through the forms sit beside the
    // rest. Without one the server still runs; the evidence form then says to use the CLI.
    let vault_dir = crate::cmd_evidence::vault_dir(store.url(), &crate::cmd_evidence::VaultArg::from_env());
    match pacta_vault::Vault::open(&vault_dir) {
        Ok(vault) => state = state.with_vault(vault),
        Err(e) => eprintln!("warning: no evidence uploads: cannot open the vault at {}: {e}", vault_dir.display()),
    }
    // The search index lives where the operator says, else beside a SQLite file (in
    // memory for PostgreSQL); warm_up brings it up to the log.
    let search_dir = args.search_index.clone().or_else(|| pacta_search::default_dir(store.url()));
    state = state.with_search(pacta_search::SearchIndex::open(search_dir.as_deref())?);
    let server = Server::bind(args.listen).await.map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen))?;
    let addr = server.local_addr()?;
    // Statistics take one pass over the registry; start it now rather than on the first
    // visit (a failure is logged by warm_up and retried on first use).
    let warm = state.clone();
    tokio::spawn(async move { warm.warm_up().await });
    println!("Pacta is serving the public registry at http://{addr}/ (API docs at http://{addr}/api/docs/). Ctrl-C stops it.");
    server.run(pacta_server::app(state.clone()), pacta_server::shutdown_signal()).await?;
    // Dropping the last sequencer handle lets the sequencer drain its queue and the
    // checkpointer sign once more for whatever it wrote, then both stop.
    let store = state.store_arc();
    drop(state);
    let _ = tasks.sequencer.await;
    if let Some(c) = tasks.checkpointer {
        let _ = c.await;
    }
    store.close().await;
    println!("Stopped.");
    Ok(())
}
