//! Rate limits per client: a client that bursts past its bucket gets 429 with
//! `Retry-After` and the stable error body; other clients, and the same address signed
//! in as an account, carry on. Made-up tokens are charged to the address that sent them,
//! and `X-Forwarded-For` is believed only when the operator says a proxy sets it.
//!
//! Run: `cargo test -p pacta-server --test ratelimit`.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use pacta_server::ratelimit::RateLimit;
use pacta_server::{AppState, Limits, app};
use pacta_store::accounts::TokenScope;
use pacta_store::testing::TestDb;
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;

const BURST: u32 = 5;

async fn state(trust_forwarded_for: bool) -> (TestDb, AppState, String) {
    let db = TestDb::sqlite().await.unwrap();
    let store = Arc::new(pacta_store::Store::open(&db.url).await.unwrap());
    store.create_account(&pacta_core::PartyId::for_organisation("secretariat"), "analyst", "verifier", None, None, None).await.unwrap();
    let (token, digest) = pacta_server::auth::new_token();
    store.add_token("analyst", &digest, TokenScope::Read, "test").await.unwrap();
    // A slow refill, so that the test's own pace cannot refill a bucket.
    let limits = Limits { rate_limit: Some(RateLimit { per_second: 0.01, burst: BURST, max_clients: 1000 }), trust_forwarded_for, ..Limits::default() };
    (db, AppState::new(store).with_limits(limits), token)
}

async fn get(state: &AppState, peer: &str, headers: &[(&str, &str)]) -> (StatusCode, Option<String>, String) {
    let mut req = Request::builder().uri("/api/v1/incidents?limit=1");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut req = req.body(Body::empty()).unwrap();
    req.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
    let res = app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let retry = res.headers().get(header::RETRY_AFTER).map(|v| v.to_str().unwrap().to_string());
    (status, retry, String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned())
}

#[tokio::test]
async fn a_burst_over_the_limit_gets_429_and_other_clients_are_unaffected() {
    let (db, state, token) = state(false).await;
    let alice = "198.51.100.7:50000";
    for k in 0..BURST {
        assert_eq!(get(&state, alice, &[]).await.0, StatusCode::OK, "request {k} is within the burst");
    }
    let (status, retry, body) = get(&state, alice, &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let secs: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=100).contains(&secs), "{secs}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    // Another port of the same address is the same client.
    assert_eq!(get(&state, "198.51.100.7:50001", &[]).await.0, StatusCode::TOO_MANY_REQUESTS);
    // A browser on a page gets the page's answer: HTML, with the same status and wait.
    let mut req = Request::builder().uri("/incidents").body(Body::empty()).unwrap();
    req.extensions_mut().insert(ConnectInfo(alice.parse::<SocketAddr>().unwrap()));
    let res = app(state.clone()).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("text/html"));
    assert!(res.headers().get(header::RETRY_AFTER).is_some());

    // Another address has its own bucket.
    assert_eq!(get(&state, "203.0.113.9:40000", &[]).await.0, StatusCode::OK);
    // So does an account, even from the exhausted address.
    let bearer = format!("Bearer {token}");
    for _ in 0..BURST {
        assert_eq!(get(&state, alice, &[("authorization", &bearer)]).await.0, StatusCode::OK);
    }
    assert_eq!(get(&state, alice, &[("authorization", &bearer)]).await.0, StatusCode::TOO_MANY_REQUESTS, "and the account is limited in turn");

    // Made-up tokens are charged to the address: they do not buy fresh buckets.
    let mallory = "192.0.2.66:1234";
    for _ in 0..BURST {
        let (fake, _) = pacta_server::auth::new_token();
        assert_eq!(get(&state, mallory, &[("authorization", &format!("Bearer {fake}"))]).await.0, StatusCode::UNAUTHORIZED);
    }
    let (fake, _) = pacta_server::auth::new_token();
    assert_eq!(get(&state, mallory, &[("authorization", &format!("Bearer {fake}"))]).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(get(&state, mallory, &[]).await.0, StatusCode::TOO_MANY_REQUESTS);

    // X-Forwarded-For is not believed by default: naming other addresses changes nothing.
    assert_eq!(get(&state, alice, &[("x-forwarded-for", "10.9.8.7")]).await.0, StatusCode::TOO_MANY_REQUESTS);
    db.drop_db().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_client_is_the_address_the_proxy_appended() {
    let (db, state, _) = state(true).await;
    let proxy = "127.0.0.1:9000";
    for _ in 0..BURST {
        assert_eq!(get(&state, proxy, &[("x-forwarded-for", "1.1.1.1, 198.51.100.7")]).await.0, StatusCode::OK);
    }
    // The client's own first entry is not trusted: the proxy's last one counts.
    assert_eq!(get(&state, proxy, &[("x-forwarded-for", "2.2.2.2, 198.51.100.7")]).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(get(&state, proxy, &[("x-forwarded-for", "198.51.100.8")]).await.0, StatusCode::OK, "another client behind the proxy");
    db.drop_db().await;
}

#[tokio::test]
async fn the_limit_can_be_turned_off() {
    let (db, state, _) = state(false).await;
    let state = state.with_limits(Limits { rate_limit: None, ..Limits::default() });
    for _ in 0..(BURST * 3) {
        assert_eq!(get(&state, "198.51.100.7:1", &[]).await.0, StatusCode::OK);
    }
    db.drop_db().await;
}
