//! Pacta's HTTP shell: the public JSON API, the dashboard pages, bulk downloads and metrics.
//!
//! # Overview
//! One [`Router`], built by [`app`] from an [`AppState`], serves everything:
//!
//! | path | what |
//! |---|---|
//! | `/api/v1/incidents`, `/api/v1/incidents/{id}`, `/api/v1/stats`, `/api/v1/states/{code}` | JSON API ([`api`]) |
//! | `/api/v1/openapi.json`, `/api/docs` | the OpenAPI document and a browsable, offline Swagger UI |
//! | `/`, `/incidents`, `/incidents/{id}`, `/states/{code}`, `/download` | server-rendered pages ([`pages`]) |
//! | `/download/incidents.csv`, `/download/incidents.json` | bulk downloads ([`download`]) |
//! | `/metrics` | Prometheus text ([`metrics`]) |
//! | `/checkpoint`, `/tile/...`, `/api/v1/log/key`, `/api/v1/log/receipts/{index}` | the transparency log: C2SP tlog-tiles, tlog-proof receipts ([`ledger`]) |
//! | `/incidents/{id}/evidence`, `/attribute`, `/claims/{claim}/stance`, `/claims/{claim}/withdraw`, `/respond`, `/measures/{m}`, `/compliance` and their `/api/v1` twins | the workflows of a party ([`forms`]) |
//! | `/api/v1/contacts`, `/api/v1/consultations`, `/api/v1/cases`, `/api/v1/precedent`, `/cases`, `/contacts`, `/precedent` | the forum: contacts, consultations, dispute cases, rulings, precedent ([`forum`]) |
//! | `/assets/*` | the vendored stylesheet and htmx, compiled into the binary ([`assets`]) |
//!
//! Handlers are thin: they parse parameters ([`params`]), ask the [`registry`] (the only
//! module that talks to the store, and always on behalf of a [`Viewer`]) and render.
//!
//! # Invariants
//! - **Every read goes through a viewer.** Each [`registry`] function takes a [`Viewer`]
//!   (the anonymous public, or an account signed in by token or session) and applies the
//!   access policies (`policies/registry.cedar`, through `pacta-authz`) to lists, counts,
//!   statistics, exports and single records alike: lists by a database filter derived
//!   from the policies, every record shown by a per-record decision.
//! - **Existence is not confirmed.** A record the viewer may not see is answered with the
//!   same 404 as a record that does not exist.
//! - **Nothing is fetched from the internet,** at build time or at run time: htmx, the
//!   stylesheet and Swagger UI are vendored and served from this process, and the
//!   Content-Security-Policy allows scripts from this origin only.
//! - **Internals are never shown to clients.** Every error is an [`AppError`] with a
//!   stable body `{"error": {"code", "message"}}`; store failures are logged and answered
//!   with a generic 500.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use std::sync::Arc;
//! let store = pacta_store::Store::open("sqlite://pacta.db").await?;
//! let state = pacta_server::AppState::new(Arc::new(store));
//! let server = pacta_server::Server::bind("127.0.0.1:8080".parse()?).await?;
//! println!("serving on http://{}", server.local_addr()?);
//! server.run(pacta_server::app(state), pacta_server::shutdown_signal()).await?;
//! # Ok(()) }
//! ```

pub mod api;
pub mod assessment;
pub mod auth;
pub mod assets;
mod charts;
pub mod download;
pub mod forum;
mod error;
pub mod forms;
mod layers;
pub mod ledger;
pub mod metrics;
pub mod pages;
pub mod norms;
pub mod params;
pub mod practice;
mod refresh;
pub mod ratelimit;
pub mod registry;
pub mod report;
mod viewer;
pub mod wire;

pub use error::AppError;
pub use viewer::Viewer;

use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Limits applied to every request.
#[derive(Clone, Debug)]
pub struct Limits {
    /// A request still running after this long is answered with 503. Bulk downloads of a
    /// large registry may need more than the default.
    pub request_timeout: Duration,
    /// The largest request body accepted, except evidence uploads. The public slice takes
    /// no bodies at all.
    pub max_body_bytes: usize,
    /// The largest artefact an evidence upload may carry (the form streams it into the
    /// vault; the JSON twin's base64 body may be a third larger).
    pub max_evidence_bytes: usize,
    /// Requests per client ([`ratelimit`]); `None` turns the limit off (benchmarks).
    pub rate_limit: Option<ratelimit::RateLimit>,
    /// Take the client's address from the last `X-Forwarded-For` entry (only behind a
    /// reverse proxy that sets it).
    pub trust_forwarded_for: bool,
    /// How long a request waits for the statistics to be recounted after the log grew,
    /// before it is answered with the previous count ([`registry::snapshot`]).
    pub stats_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 64 * 1024,
            max_evidence_bytes: 256 * 1024 * 1024,
            rate_limit: Some(ratelimit::RateLimit::default()),
            trust_forwarded_for: false,
            stats_wait: Duration::from_millis(500),
        }
    }
}

/// What every handler shares. Cheap to clone: everything is behind an `Arc`.
#[derive(Clone)]
pub struct AppState {
    pub(crate) store: Arc<pacta_store::Store>,
    /// Per-viewer statistics, rebuilt when the log has grown (see [`registry::Snapshots`]).
    pub(crate) snapshots: Arc<registry::Snapshots>,
    /// The incident counts of each marking, shared by every audience.
    pub(crate) counts_by_marking: Arc<registry::CountsByMarking>,
    pub(crate) metrics: Arc<metrics::Metrics>,
    pub(crate) limits: Limits,
    /// The log's Merkle tree, grown as the log grows (see [`ledger`]).
    pub(crate) log_tree: Arc<ledger::LogTree>,
    /// The compiled access policies (`policies/registry.cedar`).
    pub(crate) authz: Arc<pacta_authz::Authorizer>,
    /// The anonymous viewer, built once (its scope is derived from the policies).
    pub(crate) public_viewer: Viewer,
    /// The write path for single submissions; `None` serves a read-only registry.
    pub(crate) sequencer: Option<pacta_store::sequencer::Sequencer>,
    /// The public state practice and the log size it was computed at (see [`practice`]).
    pub(crate) practice: Arc<practice::PracticeCache>,
    /// The decided cases that make precedent, read again only when the log has grown
    /// (see [`forum::precedent_corpus`]).
    pub(crate) precedents: Arc<forum::PrecedentCache>,
    /// The evidence vault (blobs); `None` refuses uploads (see [`forms`]).
    pub(crate) vault: Option<Arc<pacta_vault::Vault>>,
    /// The full-text index behind `q=` (derived from the store; see `pacta_search`).
    pub(crate) search: Arc<pacta_search::SearchIndex>,
    /// The per-client buckets, when `limits.rate_limit` is set.
    pub(crate) limiter: Option<Arc<ratelimit::Limiter>>,
}

impl AppState {
    pub fn new(store: Arc<pacta_store::Store>) -> Self {
        let authz = Arc::new(pacta_authz::Authorizer::new());
        let limits = Limits::default();
        AppState {
            limiter: limits.rate_limit.clone().map(|r| Arc::new(ratelimit::Limiter::new(r))),
            public_viewer: Viewer::public(authz.clone()),
            authz,
            store,
            snapshots: registry::Snapshots::new("statistics"),
            counts_by_marking: registry::CountsByMarking::new("incident counts"),
            metrics: Arc::new(metrics::Metrics::default()),
            limits,
            log_tree: Arc::new(ledger::LogTree::default()),
            sequencer: None,
            practice: practice::PracticeCache::new("state practice"),
            precedents: forum::PrecedentCache::new("precedents"),
            vault: None,
            // In memory until the caller gives it a home (`with_search`): built from the
            // store on first use, as for a PostgreSQL registry.
            search: Arc::new(pacta_search::SearchIndex::open(None).expect("an in-memory index needs no I/O")),
        }
    }

    /// Accepts evidence uploads into `vault` (the same vault `pacta evidence` uses).
    pub fn with_vault(mut self, vault: pacta_vault::Vault) -> Self {
        self.vault = Some(Arc::new(vault));
        self
    }

    /// Uses `index` for full-text search (`pacta serve` keeps it beside the database).
    pub fn with_search(mut self, index: pacta_search::SearchIndex) -> Self {
        self.search = Arc::new(index);
        self
    }

    /// Accepts writes through `sequencer` (group commit; see `pacta_store::sequencer`).
    /// Start it with the log's signer so that every acknowledged entry is covered by a
    /// signed checkpoint within about a second.
    pub fn with_sequencer(mut self, sequencer: pacta_store::sequencer::Sequencer) -> Self {
        self.sequencer = Some(sequencer);
        self
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limiter = limits.rate_limit.clone().map(|r| Arc::new(ratelimit::Limiter::new(r)));
        self.limits = limits;
        self
    }

    pub fn store(&self) -> &pacta_store::Store {
        &self.store
    }

    pub fn store_arc(&self) -> Arc<pacta_store::Store> {
        self.store.clone()
    }

    /// Refreshes the planner's statistics where they are stale, brings the search index
    /// up to the log, and computes the statistics (counting every marking, for every
    /// reader) and the state practice ahead of the first request, which would otherwise
    /// wait for them (a pass over the registry each). Servers spawn
    /// this at start-up. A failure is logged and is not fatal: the first request that
    /// needs the figures tries again.
    pub async fn warm_up(&self) {
        // The passes below are planned from the database's statistics: on PostgreSQL a
        // registry loaded in bulk and never analysed makes them three times slower.
        match self.store.analyze_if_stale().await {
            Ok(tables) if !tables.is_empty() => tracing::info!(tables = %tables.join(","), "refreshed the query planner's statistics"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "refreshing the query planner's statistics failed; queries may be planned badly"),
        }
        // Catch the search index up first: after an import it may have a lot to read.
        if let Err(e) = self.search.catch_up(&self.store).await {
            tracing::warn!(error = %e, "bringing the search index up to date failed; searches will try again");
        }
        // The public statistics count every marking in their one pass, and keep the counts
        // for the signed-in readers' statistics, which would otherwise wait for a pass of
        // their own.
        if let Err(e) = registry::snapshot(self, &self.public_viewer).await {
            tracing::warn!(error = %e, "computing the statistics at start-up failed; they will be computed on first use");
            e.log();
        }
        // The state practice is another pass, which the first visit to /practice would wait for.
        if let Err(e) = practice::public_practice(self).await {
            tracing::warn!(error = %e, "computing the state practice at start-up failed; it will be computed on first use");
            e.log();
        }
    }
}

/// The whole application. Tests drive it with `app(state).oneshot(request)`, no socket.
pub fn app(state: AppState) -> Router {
    let routes = Router::new()
        .merge(api::routes())
        .merge(pages::routes())
        .merge(download::routes())
        .merge(assets::routes())
        .merge(metrics::routes())
        .merge(ledger::routes())
        .merge(auth::routes())
        .merge(practice::routes())
        .merge(norms::routes())
        .merge(assessment::routes())
        .merge(forms::routes())
        .merge(forum::routes())
        .fallback(error::not_found_fallback);
    layers::apply(routes, state)
}

/// A bound listener: bind first (so the caller can print the real address, port 0
/// included), then [`Server::run`].
pub struct Server {
    listener: tokio::net::TcpListener,
}

/// How long a stop waits for the requests in flight (see [`Server::run_with_grace`]).
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

impl Server {
    pub async fn bind(addr: SocketAddr) -> std::io::Result<Server> {
        Ok(Server { listener: tokio::net::TcpListener::bind(addr).await? })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then stops accepting and lets requests in
    /// flight finish (graceful shutdown), for at most [`SHUTDOWN_GRACE`].
    pub async fn run(self, router: Router, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        self.run_with_grace(router, shutdown, SHUTDOWN_GRACE).await
    }

    /// [`Server::run`], waiting at most `grace` for the requests in flight once `shutdown`
    /// has completed. A bulk download to a slow client can take hours; a stop that waited
    /// for it would wait until a service manager killed the process, and a kill skips
    /// what the caller does after `run` returns (the sequencer's drain, the last signed
    /// checkpoint). Dropping a request cuts its connection: a download ends unfinished and
    /// is seen to, and a write either committed before it was acknowledged or did not.
    pub async fn run_with_grace(self, router: Router, shutdown: impl Future<Output = ()> + Send + 'static, grace: std::time::Duration) -> std::io::Result<()> {
        let (stopping, mut stopped) = tokio::sync::watch::channel(false);
        let signal = async move {
            shutdown.await;
            let _ = stopping.send(true);
        };
        // The peer address keys the rate limit of anonymous clients.
        let serving = axum::serve(self.listener, router.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(signal);
        let overdue = async move {
            // The sender lives as long as the server; without a signal, never overdue.
            if stopped.wait_for(|s| *s).await.is_err() {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            served = std::future::IntoFuture::into_future(serving) => served,
            () = overdue => {
                tracing::warn!(grace_seconds = grace.as_secs_f64(), "stopping with requests still in flight (a download?): their connections are cut");
                Ok(())
            }
        }
    }
}

/// Completes on Ctrl-C (and on SIGTERM on Unix, which is how service managers stop us).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Installs a `tracing` subscriber that writes one line per event to stderr, filtered by
/// `RUST_LOG` when set, else by `default_filter` (e.g. `"info"`). For binaries only; a
/// second call does nothing.
pub fn init_logging(default_filter: &str) {
    use tracing_subscriber::EnvFilter;
    // tantivy reports every segment commit at info; an operator wants Pacta's own events.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(format!("{default_filter},tantivy=warn")));
    // Colour only for a person at a terminal; a log file or journal gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(ansi).with_writer(std::io::stderr).try_init();
}
