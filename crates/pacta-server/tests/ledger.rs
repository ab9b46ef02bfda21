//! The transparency log over HTTP: the checkpoint, hash tiles, entry bundles, receipts
//! and the verifier key, on a registry holding one CLEAR and one AMBER incident.
//!
//! Run: `cargo test -p pacta-server --test ledger`.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use pacta_core::*;
use pacta_ledger::checkpoint::open_checkpoint;
use pacta_ledger::note::NoteSigner;
use pacta_ledger::receipt::Receipt;
use pacta_ledger::tiles::decode_bundle;
use pacta_server::{AppState, app};
use pacta_store::testing::TestDb;
use std::sync::Arc;
use tower::ServiceExt;

const SECRET: &str = "Quillwort";

async fn get(state: &AppState, uri: &str) -> (StatusCode, String, Vec<u8>) {
    let res = app(state.clone()).oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    let cache = res.headers().get("cache-control").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, cache, res.into_body().collect().await.unwrap().to_bytes().to_vec())
}

#[tokio::test]
async fn the_log_is_served_as_tiles_and_receipts_and_leaks_nothing_restricted() {
    let db = TestDb::sqlite().await.unwrap();
    let state = AppState::new(Arc::new(pacta_store::Store::open(&db.url).await.unwrap()));
    let reporter = PartyId::parse("as", "state:FR").unwrap();

    // Before anything is signed there is nothing to serve.
    assert_eq!(get(&state, "/checkpoint").await.0, StatusCode::NOT_FOUND);

    let clear = Incident::new("Defacement of a ministry website", Tlp::Clear);
    db.store.report_incident(IncidentRecord::new(clear), &reporter).await.unwrap();
    let mut amber = Incident::new(format!("{SECRET} intrusion"), Tlp::Amber);
    amber.description = format!("{SECRET} details");
    db.store.report_incident(IncidentRecord::new(amber), &reporter).await.unwrap();
    let signer = NoteSigner::generate("test.localhost/log").unwrap();
    db.store.sign_checkpoint(&signer).await.unwrap();
    let verifier = signer.verifier();

    // The checkpoint verifies with the key the server publishes.
    let (status, cache, key) = get(&state, "/api/v1/log/key").await;
    assert_eq!((status, String::from_utf8(key).unwrap().trim()), (StatusCode::OK, verifier.to_vkey().as_str()));
    assert_eq!(cache, "no-cache");
    let (status, _, note) = get(&state, "/checkpoint").await;
    assert_eq!(status, StatusCode::OK);
    let checkpoint = open_checkpoint(std::str::from_utf8(&note).unwrap(), &[&verifier]).unwrap().checkpoint;
    assert_eq!(checkpoint.size, 2);

    // The bundle holds the CLEAR record inline and only a commitment to the AMBER one.
    let (status, cache, bundle) = get(&state, "/tile/entries/000.p/2").await;
    assert_eq!(status, StatusCode::OK);
    assert!(cache.contains("immutable"), "{cache}");
    let entries = decode_bundle(&bundle).unwrap();
    assert!(String::from_utf8_lossy(&entries[0]).contains("Defacement of a ministry website"));
    let restricted = String::from_utf8_lossy(&entries[1]).into_owned();
    assert!(!restricted.contains(SECRET) && restricted.contains("\"sha256\"") && restricted.contains("AMBER"), "{restricted}");
    // Nor who reported it, nor that it was a report: the entry is sealed.
    assert!(!restricted.contains("state:FR") && !restricted.contains("incident.reported") && restricted.contains("\"kind\":\"sealed\""), "{restricted}");
    let (_, _, page) = get(&state, "/ledger").await;
    let page = String::from_utf8(page).unwrap();
    let row = |i: u64| page.split("<tr>").find(|r| r.starts_with(&format!("<td class=\"num\">{i}</td>"))).unwrap_or_default().to_string();
    assert!(row(0).contains("incident.reported"), "{}", row(0));
    assert!(row(1).contains("sealed") && !row(1).contains("incident.reported"), "the ledger page shows a sealed entry's kind: {}", row(1));

    // The level-0 tile holds the two leaf hashes.
    let (status, _, tile) = get(&state, "/tile/0/000.p/2").await;
    assert_eq!((status, tile.len()), (StatusCode::OK, 64));
    assert_eq!(&tile[32..], &pacta_ledger::hash::leaf_hash(&entries[1]));

    // Nothing beyond the signed size, and no malformed paths.
    for (uri, expected) in [
        ("/tile/entries/000.p/3", StatusCode::NOT_FOUND),
        ("/tile/0/000", StatusCode::NOT_FOUND),
        ("/tile/1/000.p/1", StatusCode::NOT_FOUND),
        ("/tile/0/0", StatusCode::BAD_REQUEST),
        ("/tile/0/000.p/0", StatusCode::BAD_REQUEST),
        ("/tile/99/000", StatusCode::BAD_REQUEST),
        ("/api/v1/log/receipts/2", StatusCode::NOT_FOUND),
        ("/api/v1/log/receipts/-1", StatusCode::BAD_REQUEST),
        ("/checkpoint?x=1", StatusCode::BAD_REQUEST),
    ] {
        assert_eq!(get(&state, uri).await.0, expected, "{uri}");
    }
    // A long path is refused with a short echo of it, not the whole of it.
    let long = format!("/tile/{}", "x".repeat(5000));
    let (status, _, body) = get(&state, &long).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.len() < 1000, "{} bytes", body.len());

    // A receipt proves the entry offline, against nothing but the key.
    let (status, _, text) = get(&state, "/api/v1/log/receipts/1").await;
    assert_eq!(status, StatusCode::OK);
    let receipt = Receipt::parse(std::str::from_utf8(&text).unwrap()).unwrap();
    let entry = receipt.extra.clone().unwrap();
    assert_eq!(entry, entries[1]);
    let verified = receipt.verify_entry(&entry, &verifier, &[], 0).unwrap();
    assert_eq!(verified.checkpoint.size, 2);

    // The tree grows with the log: a third entry is served once it is signed.
    db.store.report_incident(IncidentRecord::new(Incident::new("Third", Tlp::Clear)), &reporter).await.unwrap();
    assert_eq!(get(&state, "/tile/entries/000.p/3").await.0, StatusCode::NOT_FOUND);
    db.store.sign_checkpoint(&signer).await.unwrap();
    assert_eq!(get(&state, "/tile/0/000.p/3").await.0, StatusCode::OK);
    let (_, _, text) = get(&state, "/api/v1/log/receipts/0").await;
    let receipt = Receipt::parse(std::str::from_utf8(&text).unwrap()).unwrap();
    assert_eq!(receipt.verify_entry(&entries[0], &verifier, &[], 0).unwrap().checkpoint.size, 3);
    db.drop_db().await;
}
