//! The reading pages a forum publishes beside the incident list: state practice, the norms
//! as the engine applies them, and the ledger with what a visitor needs to verify it.
//!
//! Run: `cargo test -p pacta-server --test pages`.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use pacta_core::*;
use pacta_server::{AppState, app};
use pacta_store::testing::TestDb;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use tower::ServiceExt;

/// A word that appears only in the restricted incident.
const SECRET: &str = "Quillwort";

async fn get(state: &AppState, uri: &str) -> (StatusCode, String, String) {
    let res = app(state.clone()).oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    let ct = res.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, ct, String::from_utf8_lossy(&body).into_owned())
}

/// The bundled sample (all CLEAR) plus one AMBER incident against Lithuania's hospitals,
/// alleged against a state that the sample never names as an author.
async fn registry() -> (TestDb, AppState, u64) {
    let db = TestDb::sqlite().await.expect("a SQLite test database");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/eurepoc-1.1-even");
    let records = pacta_import::eurepoc::read_dir(&dir).expect("the bundled sample").records;
    let public = records.len() as u64;
    let importer = PartyId::parse("as", "org:test-importer").unwrap();
    db.store.import_records(records, &importer, |_| {}).await.expect("import");

    let mut amber = Incident::new(format!("{SECRET} ransomware at hospitals"), Tlp::Amber);
    amber.start_date = Some(incident::parse_date("d", "2024-02-01").unwrap());
    amber.operation_types = vec![OperationType::Ransomware];
    let lt = StateCode::parse("s", "LT").unwrap();
    amber.targets.push(Target { state: Some(lt), place: None, sector: Sector::Health, entity: None });
    amber.alleged_actors.push(Actor { name: None, state: Some(StateCode::parse("s", "TV").unwrap()), category: ActorCategory::State });
    db.store.report_incident(IncidentRecord::new(amber), &PartyId::for_state(lt)).await.expect("report");
    // The app gets its own handle on the same database; the TestDb keeps its own so it
    // can drop the database at the end.
    let state = AppState::new(Arc::new(pacta_store::Store::open(&db.url).await.expect("reopen")));
    (db, state, public)
}

#[tokio::test]
async fn the_practice_page_shows_public_rates_per_norm_and_never_counts_an_amber_incident() {
    let (_db, state, public) = registry().await;

    let (status, ct, json) = get(&state, "/api/v1/practice").await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert!(ct.starts_with("application/json"));
    let p: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(p["incidents_read"], public, "only the CLEAR incidents are read");
    let states: Vec<&str> = p["states"].as_array().unwrap().iter().map(|s| s["state"].as_str().unwrap()).collect();
    assert!(!states.contains(&"TV"), "the state alleged only in the AMBER incident must not appear: {states:?}");
    let first_rule = p["norms"][0]["rule"].as_str().expect("the sample engages at least one norm").to_string();

    let (status, _, html) = get(&state, "/practice").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("State practice") && html.contains(&first_rule), "the page lists the engaged rules");
    assert!(html.contains(&format!("from {public} public incidents")));
    assert!(!html.contains(SECRET) && !html.contains("Tuvalu"));

    // One rule's years, and its chart as an image the page links.
    let (status, _, html) = get(&state, &format!("/practice?norm={first_rule}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("/practice/chart.svg?norm={first_rule}")));
    let (status, ct, svg) = get(&state, &format!("/practice/chart.svg?norm={first_rule}")).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "image/svg+xml"));
    assert!(svg.starts_with("<svg") && svg.contains(&first_rule));

    // Refusals name what was wrong.
    let (status, _, body) = get(&state, "/practice?norm=gge.13zz").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("gge.13zz"), "{body}");
    let (status, _, body) = get(&state, "/practice?year=2020").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("year"), "{body}");
}

#[tokio::test]
async fn the_norms_pages_show_each_instrument_with_every_rule_anchored() {
    let (_db, state, _) = registry().await;
    let (status, _, html) = get(&state, "/norms").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("/norms/tallinn-2") && html.contains("National positions"));
    // A body too large for a page is refused with the page's answer, HTML, as under
    // /api/ it is JSON.
    for (uri, html) in [("/login", true), ("/api/v1/incidents", false)] {
        let req = Request::post(uri).header(header::CONTENT_LENGTH, "100000000").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from("x")).unwrap();
        let res = app(state.clone()).oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
        let ct = res.headers().get(header::CONTENT_TYPE).unwrap().to_str().unwrap().to_string();
        assert_eq!(ct.starts_with("text/html"), html, "{uri}: {ct}");
    }
    // Pages that take no parameters say so, rather than ignore a typo.
    for uri in ["/norms?bogus=1", "/norms/tallinn-2?x=1", "/api/v1/instruments?x=1", "/api/v1/instruments/tallinn-2?x=1", "/states/UA?limit=abc", "/cases?incident=garbage", "/consultations?bogus=1"] {
        let (status, _, body) = get(&state, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
    }

    let (status, _, html) = get(&state, "/norms/tallinn-2").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"tallinn.r4.sovereignty\""), "a trace can link to the rule it cites");
    assert!(html.contains("Tallinn Manual 2.0, rule 4"));

    let (status, _, json) = get(&state, "/api/v1/instruments").await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["version"].as_str().unwrap(), pacta_norms::builtin().version());
    let all_rules: usize = v["instruments"].as_array().unwrap().iter().map(|i| i["rules"].as_array().unwrap().len()).sum();
    assert_eq!(all_rules, pacta_norms::builtin().rules().count(), "every rule belongs to exactly one instrument");

    let (status, _, json) = get(&state, "/api/v1/instruments/tallinn-2").await;
    assert_eq!(status, StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&json).unwrap()["source"].as_str().unwrap().contains("```rule"));
    let (status, _, body) = get(&state, "/norms/no-such-treaty").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("no-such-treaty"));
}

#[tokio::test]
async fn the_ledger_page_gives_the_checkpoint_the_key_and_the_commands_to_verify() {
    let (db, state, public) = registry().await;
    let (status, _, html) = get(&state, "/ledger").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("has not signed a checkpoint yet"));

    let signer = pacta_ledger::note::NoteSigner::generate("test.localhost/log").unwrap();
    db.store.sign_checkpoint(&signer).await.unwrap();
    let vkey = signer.verifier().to_vkey();
    let size = db.store.log_size().await.unwrap();
    assert!(size > public, "every imported incident and the report are logged");
    let (status, _, html) = get(&state, "/ledger").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("{size} (the log holds {size};")), "the checkpoint covers every entry: {}", &html[html.find("Entries covered").unwrap()..][..200]);
    assert!(html.contains(&vkey), "the verifier key is shown: {vkey} in {html}");
    assert!(html.contains("pacta verify log") && html.contains("pacta verify receipt"));
    assert!(html.contains(&format!("/api/v1/log/receipts/{}", size - 1)), "the newest entry links its receipt");
}

#[tokio::test]
async fn the_assessment_api_gives_the_trace_and_leaves_out_claims_the_viewer_may_not_see() {
    let (db, state, _) = registry().await;
    let de = StateCode::parse("s", "DE").unwrap();
    let cn = StateCode::parse("s", "CN").unwrap();
    // Two identical public incidents against a German ministry, both attributed to a
    // state organ by Germany: once publicly, once in a claim shared with France only.
    let mut ids = Vec::new();
    for visibility in [Visibility::Public, Visibility::Private { shared_with: vec![PartyId::for_state(StateCode::parse("s", "FR").unwrap())] }] {
        let mut i = Incident::new("Wiper attack on a ministry", Tlp::Clear);
        i.start_date = Some(incident::parse_date("d", "2023-06-01").unwrap());
        i.operation_types = vec![OperationType::Disruption];
        i.targets.push(Target { state: Some(de), place: None, sector: Sector::Government, entity: None });
        let id = i.id;
        let mut r = IncidentRecord::new(i);
        r.parties.push(Party::state(de));
        r.attributions.push(Attribution {
            id: AttributionId::new(),
            incident: id,
            attributors: vec![PartyId::for_state(de)],
            attributor_label: None,
            actor_name: Some("Unit 000".into()),
            actor_state: Some(cn),
            actor_category: ActorCategory::State,
            basis: AttributionBasis::TechnicalReport,
            confidence: Some(Confidence::Likely),
            visibility,
            date: None,
            origin_ref: None,
        });
        db.store.report_incident(r, &PartyId::for_state(de)).await.expect("report");
        ids.push(id);
    }
    let organ = |v: &Value| -> String {
        let findings = v["assessment"]["findings"].as_array().unwrap();
        let f = findings.iter().find(|f| f["rule"] == "ilc.art4.organ").expect("the trace names the rule");
        f["trace"]["facts"][0][1].as_str().unwrap().to_string()
    };
    let (status, _, public_claim) = get(&state, &format!("/api/v1/incidents/{}/assessment", ids[0])).await;
    assert_eq!(status, StatusCode::OK, "{public_claim}");
    let public_claim: Value = serde_json::from_str(&public_claim).unwrap();
    assert_eq!(public_claim["instruments_version"].as_str().unwrap(), pacta_norms::builtin().version());
    assert_eq!(organ(&public_claim), "yes", "a public claim naming a state organ is a fact the engine uses");

    let (status, _, private_claim) = get(&state, &format!("/api/v1/incidents/{}/assessment", ids[1])).await;
    assert_eq!(status, StatusCode::OK);
    let private_claim: Value = serde_json::from_str(&private_claim).unwrap();
    assert_ne!(organ(&private_claim), "yes", "the public must not learn of the private claim through the assessment");

    // From another state's view, and the refusals.
    let (status, _, _) = get(&state, &format!("/api/v1/incidents/{}/assessment?perspective=FR", ids[0])).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = get(&state, &format!("/api/v1/incidents/{}/assessment?perspective=France", ids[0])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("perspective"), "{body}");
    let (status, _, body) = get(&state, &format!("/api/v1/incidents/{}/assessment?as=FR", ids[0])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("unknown parameter") && body.contains("as"), "{body}");
}

#[tokio::test]
async fn the_download_page_gives_each_sources_licence_and_the_mit_notice_goes_with_the_data() {
    let (_db, state, _) = registry().await;
    let (status, _, html) = get(&state, "/download").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("CC0 1.0") && html.contains("MIT licence") && html.contains("/download/LICENSE-cfr.txt"), "{html}");
    let (status, ct, text) = get(&state, "/download/LICENSE-cfr.txt").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/plain"));
    assert!(text.starts_with("MIT License") && text.contains("Copyright (c)") && text.contains("shall be included in all"), "{text}");
}
