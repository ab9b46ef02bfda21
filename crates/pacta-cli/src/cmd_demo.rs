//! `pacta demo`: a fresh SQLite database with the bundled EuRepoC sample, then a guide.

use crate::cmd_import::import_and_report;
use clap::Args;
use pacta_core::PartyId;
use pacta_import::eurepoc::{ReleaseFiles, read_release};
use pacta_store::Store;
use std::path::PathBuf;

/// The bundled sample (EuRepoC release 1.1, even-numbered incidents, CC0; see data/README.md),
/// compiled into the binary so the demo works from any directory.
const GLOBAL: &str = include_str!("../../../data/eurepoc-1.1-even/EuRepoC_Global_Database_1.1.csv");
const ATTRIBUTION: &str = include_str!("../../../data/eurepoc-1.1-even/EuRepoC_Attribution_dataset_1.1.csv");
const RECEIVER: &str = include_str!("../../../data/eurepoc-1.1-even/EuRepoC_Receiver_dataset_1.1.csv");

#[derive(Args)]
pub struct DemoArgs {
    /// Where to create the demo database (replaced if it exists).
    #[arg(long, default_value = "pacta-demo.db")]
    path: PathBuf,
    /// Import and print the guide, but do not start the server.
    #[arg(long)]
    no_serve: bool,
    #[command(flatten)]
    serve: crate::cmd_serve::ServeArgs,
}

pub async fn run(args: DemoArgs, actor: &PartyId, keys: &crate::logkey::LogKeyArgs) -> anyhow::Result<()> {
    // A fresh database: remove the old one with its WAL and shared-memory files.
    for suffix in ["", "-wal", "-shm"] {
        let mut p = args.path.clone().into_os_string();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(anyhow::anyhow!("cannot replace {}: {e}", PathBuf::from(p).display())),
        }
    }
    let files = ReleaseFiles {
        global: "EuRepoC_Global_Database_1.1.csv".into(),
        attribution: "EuRepoC_Attribution_dataset_1.1.csv".into(),
        receiver: "EuRepoC_Receiver_dataset_1.1.csv".into(),
    };
    let read = read_release(&files, &[GLOBAL.to_string(), ATTRIBUTION.to_string(), RECEIVER.to_string()])?;
    let url = format!("sqlite://{}", args.path.display());
    let store = Store::open(&url).await?;
    println!("Pacta demo: a fresh registry at {} with the bundled EuRepoC 1.1 sample (820 incidents, CC0).\n", args.path.display());
    let extra = format!(" ({} attribution rows, {} receiver rows)", read.attribution_rows, read.receiver_rows);
    import_and_report(&store, actor, "EuRepoC", read.records, &read.report, &extra).await?;
    let db = format!("--db {url}");
    println!(
        "\nTry next:
  pacta {db} stats
  pacta {db} incidents list --state UA --sector energy --limit 10
  pacta {db} incidents show eurepoc:2
  pacta {db} assess eurepoc:1876                    # the legal assessment and its trace
  pacta {db} attribute list eurepoc:1876            # the claims and their computed status
  pacta {db} respond plan eurepoc:1876 --by UA      # the response options for the injured state
  pacta {db} practice --norm gge.13f                # observed detection and punishment rates
  pacta {db} sim axelrod --from-registry --norm gge.13f --runs 1000 --generations 200
  pacta {db} log checkpoint                         # the log's latest signed checkpoint
  pacta {db} log prove eurepoc:2 --out r.tlog-proof && pacta verify receipt r.tlog-proof --key \"$(pacta {db} log key)\"
  pacta {db} import eurepoc data/eurepoc-1.1-even   # a re-import changes nothing
(or export PACTA_DB={url} and drop the --db flag)"
    );
    // A demo administrator, so the signed-in views and the write API can be tried at once.
    let admin = store.create_account(actor, "demo-admin", "administrator", None, Some(&PartyId::for_organisation("secretariat")), None).await?;
    let token = crate::cmd_account::issue_token(&store, &admin.name, pacta_store::accounts::TokenScope::ReadWrite, "demo").await?;
    println!(
        "\nDemo administrator: account {} with the API token\n  {token}\nfor example:\n  curl -H 'Authorization: Bearer {token}' http://{}/api/v1/incidents?limit=1",
        admin.name, args.serve.listen
    );
    if args.no_serve {
        store.close().await;
        return Ok(());
    }
    println!("\nStarting the server on the demo registry (Ctrl-C stops it):");
    crate::cmd_serve::serve(store, &args.serve, keys).await
}
