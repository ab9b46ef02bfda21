//! `pacta verify log http://…` against a live server: a registry is served on a loopback
//! port, the auditor recomputes the whole log from the served tiles and bundles and accepts
//! it; then the same log is served with one hash tile altered on the way out, and the
//! auditor refuses it, naming the tile and the node that differ.
//!
//! Run: `cargo test -p pacta-cli --test verify_http`.

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use pacta_ledger::note::NoteSigner;
use pacta_store::testing::TestDb;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

/// A registry holding the bundled EuRepoC sample (820 incidents: three full tiles and a
/// partial one at level 0, a partial one at level 1), with a signed checkpoint.
async fn registry() -> (TestDb, NoteSigner) {
    let db = TestDb::sqlite().await.expect("a SQLite test database");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/eurepoc-1.1-even");
    let records = pacta_import::eurepoc::read_dir(&dir).expect("the bundled sample").records;
    let actor = pacta_core::PartyId::parse("as", "org:test-importer").unwrap();
    db.store.import_records(records, &actor, |_| {}).await.expect("import");
    let signer = NoteSigner::generate("test.localhost/log").unwrap();
    db.store.sign_checkpoint(&signer).await.expect("sign").expect("a checkpoint");
    (db, signer)
}

/// Serves `router` on 127.0.0.1 (an ephemeral port) in the background; returns the base URL.
async fn serve(router: axum::Router) -> String {
    let server = pacta_server::Server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run(router, std::future::pending()));
    format!("http://{addr}")
}

/// Flips one byte in the second hash of the first level-0 tile, whatever its width.
async fn tamper_with_a_hash_tile(req: Request, next: Next) -> Response {
    let target = req.uri().path().starts_with("/tile/0/000");
    let response = next.run(req).await;
    if !target {
        return response;
    }
    let (parts, body) = response.into_parts();
    let mut bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap().to_vec();
    bytes[32] ^= 0x01;
    Response::from_parts(parts, Body::from(bytes))
}

fn verify(url: &str, vkey: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pacta")).args(["verify", "log", url, "--key", vkey]).output().expect("run pacta");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_verifies_a_served_log_and_names_a_tampered_tile() {
    let (db, signer) = registry().await;
    let vkey = signer.verifier().to_vkey();
    let store = Arc::new(pacta_store::Store::open(&db.url).await.unwrap());

    let honest = serve(pacta_server::app(pacta_server::AppState::new(store.clone()))).await;
    let (ok, text) = tokio::task::spawn_blocking({
        let (honest, vkey) = (honest.clone(), vkey.clone());
        move || verify(&honest, &vkey)
    })
    .await
    .unwrap();
    assert!(ok, "the honest log must verify:\n{text}");
    assert!(text.starts_with("OK: ") && text.contains("entries recomputed"), "{text}");

    let lying = serve(pacta_server::app(pacta_server::AppState::new(store.clone())).layer(middleware::from_fn(tamper_with_a_hash_tile))).await;
    let (ok, text) = tokio::task::spawn_blocking(move || verify(&lying, &vkey)).await.unwrap();
    assert!(!ok, "a tampered tile must fail the audit:\n{text}");
    assert!(text.contains("tile/0/000") && text.contains("hash 1"), "the refusal names the tile and the hash: {text}");

    let (ok, text) = tokio::task::spawn_blocking(move || verify("http://127.0.0.1:9/", &signer.verifier().to_vkey())).await.unwrap();
    assert!(!ok && text.contains("127.0.0.1:9"), "an unreachable server is named: {text}");
    db.drop_db().await;
}
