//! `pacta serve` on PostgreSQL with `--search-index DIR`: the search index is kept where
//! the operator says, so a restart reuses it instead of reading the whole registry again,
//! and a server started on another database rebuilds it rather than answer from it.

use pacta_store::testing::TestDb;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `pacta` on `db` with the test's own key and vault, so nothing lands in the checkout.
fn pacta(db: &str, work: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pacta"));
    c.arg("--db").arg(db).current_dir(repo()).env_remove("PACTA_DB").env_remove("PACTA_SEARCH_INDEX").env_remove("RUST_LOG");
    c.env("PACTA_LOG_KEY", work.join("log.key")).env("PACTA_VAULT", work.join("vault"));
    c
}

/// Starts the server, waits for its word on the search index, and stops it. Returns that line.
fn serve_until_search_is_ready(db: &str, work: &Path, index: &Path) -> String {
    let mut child = pacta(db, work)
        .args(["serve", "--listen", "127.0.0.1:0", "--log", "info", "--search-index"])
        .arg(index)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the pacta binary runs");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("search index") {
                let _ = tx.send(line);
            }
        }
    });
    let line = rx.recv_timeout(Duration::from_secs(120));
    let _ = child.kill();
    let _ = child.wait();
    line.expect("the server says what it did with the search index within two minutes")
}

#[test]
fn a_postgresql_server_keeps_its_search_index_where_the_operator_says() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let Some(db) = runtime.block_on(TestDb::postgres()).unwrap() else { return };
    let Some(other) = runtime.block_on(TestDb::postgres()).unwrap() else { return };
    let work = tempfile::tempdir().unwrap();
    let index = work.path().join("search");
    for url in [&db.url, &other.url] {
        let out = pacta(url, work.path()).args(["import", "eurepoc", "data/eurepoc-1.1-even"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    // The first start builds the index in the named directory.
    let first = serve_until_search_is_ready(&db.url, work.path(), &index);
    assert!(first.contains("caught up") && first.contains("full=true"), "{first}");
    assert!(index.join("meta.json").exists(), "the index is on disk in {}", index.display());

    // A restart finds it covering the whole log and reads nothing.
    let second = serve_until_search_is_ready(&db.url, work.path(), &index);
    assert!(second.contains("reused"), "{second}");

    // The same directory given to a server on another database is not reused.
    let third = serve_until_search_is_ready(&other.url, work.path(), &index);
    assert!(third.contains("caught up") && third.contains("full=true"), "{third}");

    runtime.block_on(async {
        db.drop_db().await;
        other.drop_db().await;
    });
}
