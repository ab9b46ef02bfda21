//! `pacta serve`: the public dashboard and JSON API over the registry (TLP:CLEAR only).

use clap::Args;
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
    /// Log filter when RUST_LOG is not set (error, warn, info, debug, trace).
    #[arg(long, default_value = "info", value_name = "FILTER")]
    pub log: String,
}

/// Serves `store` until Ctrl-C or SIGTERM, then lets requests in flight finish.
pub async fn serve(store: pacta_store::Store, args: &ServeArgs) -> anyhow::Result<()> {
    pacta_server::init_logging(&args.log);
    let limits = Limits { request_timeout: Duration::from_secs(args.request_timeout), ..Limits::default() };
    let state = AppState::new(Arc::new(store)).with_limits(limits);
    let server = Server::bind(args.listen).await.map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen))?;
    let addr = server.local_addr()?;
    // Statistics take one pass over the registry; start it now rather than on the first
    // visit (a failure is logged by warm_up and retried on first use).
    let warm = state.clone();
    tokio::spawn(async move { warm.warm_up().await });
    println!("Pacta is serving the public registry at http://{addr}/ (API docs at http://{addr}/api/docs/). Ctrl-C stops it.");
    server.run(pacta_server::app(state.clone()), pacta_server::shutdown_signal()).await?;
    state.store().close().await;
    println!("Stopped.");
    Ok(())
}
