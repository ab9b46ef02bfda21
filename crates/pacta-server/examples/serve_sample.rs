//! Serves the bundled EuRepoC sample on a fresh SQLite registry.
//!
//! Run: `cargo run -p pacta-server --example serve_sample -- [ADDR] [DB_PATH]`
//! (defaults: 127.0.0.1:8080 and a database in the system's temporary directory), then
//! open http://127.0.0.1:8080/. Ctrl-C stops it.

use pacta_core::PartyId;
use pacta_store::Store;
use std::path::Path;
use std::sync::Arc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    pacta_server::init_logging("info");
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".into()).parse()?;
    let db = args.next().unwrap_or_else(|| std::env::temp_dir().join("pacta-serve-sample.db").display().to_string());
    let store = Store::open(&format!("sqlite://{db}")).await?;
    if store.log_size().await? == 0 {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/eurepoc-1.1-even");
        let records = pacta_import::eurepoc::read_dir(&dir)?.records;
        let outcome = store.import_records(records, &PartyId::parse("as", "org:secretariat")?, |_| {}).await?;
        println!("imported {} incidents into {db}", outcome.inserted);
    }
    let server = pacta_server::Server::bind(addr).await?;
    println!("Pacta is serving http://{}/ (Ctrl-C to stop)", server.local_addr()?);
    server.run(pacta_server::app(pacta_server::AppState::new(Arc::new(store))), pacta_server::shutdown_signal()).await?;
    Ok(())
}
