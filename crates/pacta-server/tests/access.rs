//! The authorization matrix: every role × every TLP level × every read endpoint (list,
//! search, single record, state record, statistics, CSV and JSON exports, pages,
//! receipts). Each restricted incident carries a unique word; a viewer must find that
//! word exactly where the TLP 2.0 rules say, and nowhere else. The expectation is written
//! here independently of the policies, so the test checks the policies too.
//!
//! Then the write path: who may report, and what a malformed report gets.
//!
//! Every test runs on SQLite and on PostgreSQL (`TestDb::both()`): the list filters are
//! SQL, and each backend's SQL must keep the same secrets.
//!
//! Run: `CI=true cargo test -p pacta-server --test access`.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use pacta_core::*;
use pacta_ledger::note::NoteSigner;
use pacta_server::{AppState, app};
use pacta_store::accounts::TokenScope;
use pacta_store::testing::TestDb;
use std::sync::Arc;
use tower::ServiceExt;

/// One incident per marking: (word in its title, marking, grants).
const INCIDENTS: [(&str, Tlp, &[&str]); 5] = [
    ("Clearwater", Tlp::Clear, &[]),
    ("Greenfinch", Tlp::Green, &[]),
    ("Ambergris", Tlp::Amber, &["state:FR"]),
    ("Strictland", Tlp::AmberStrict, &["org:fr-cert"]),
    ("Redshank", Tlp::Red, &["account:fr-cert-officer"]),
];

/// (account, role, party, organisation); `None` is the anonymous public.
type Viewer = Option<(&'static str, &'static str, Option<&'static str>, Option<&'static str>)>;
const VIEWERS: [Viewer; 8] = [
    None,
    Some(("admin", "administrator", None, Some("org:secretariat"))),
    Some(("fr-official", "party", Some("state:FR"), Some("org:fr-mfa"))),
    Some(("fr-cert-officer", "party", Some("state:FR"), Some("org:fr-cert"))),
    Some(("de-official", "party", Some("state:DE"), Some("org:de-mfa"))),
    Some(("lab", "verifier", None, Some("verifier:lab"))),
    Some(("arbitrator", "arbitrator", None, None)),
    Some(("mediator", "mediator", None, None)),
];

/// TLP 2.0 as FIRST writes it, for this fixture.
fn should_see(viewer: Option<(&str, &str, Option<&str>, Option<&str>)>, tlp: Tlp, grants: &[&str]) -> bool {
    let Some((name, _, party, org)) = viewer else { return tlp == Tlp::Clear };
    let named = |x: Option<&str>| x.is_some_and(|x| grants.contains(&x));
    match tlp {
        Tlp::Clear | Tlp::Green => true,
        Tlp::Amber => named(party) || named(org),
        Tlp::AmberStrict => named(org),
        Tlp::Red => grants.contains(&format!("account:{name}").as_str()),
    }
}

struct World {
    db: TestDb,
    state: AppState,
    ids: Vec<(IncidentId, u64)>,
    tokens: Vec<Option<String>>,
}

/// The same world on each backend.
async fn worlds() -> Vec<World> {
    let mut out = Vec::new();
    for db in TestDb::both().await {
        out.push(world(db).await);
    }
    out
}

async fn world(db: TestDb) -> World {
    let store = Arc::new(pacta_store::Store::open(&db.url).await.unwrap());
    let reporter = PartyId::parse("as", "org:secretariat").unwrap();
    let mut ids = Vec::new();
    for (word, tlp, grants) in INCIDENTS {
        let mut i = Incident::new(format!("{word} operation"), tlp);
        i.description = format!("Only those cleared for {word}.");
        i.targets.push(Target { state: Some(StateCode::parse("s", "FR").unwrap()), place: None, sector: Sector::Energy, entity: None });
        let (id, index) = store.report_incident(IncidentRecord::new(i), &reporter).await.unwrap();
        let grants: Vec<String> = grants.iter().map(|g| g.to_string()).collect();
        store.share_incident(id, &grants, &reporter).await.unwrap();
        ids.push((id, index));
    }
    let mut tokens = Vec::new();
    for v in VIEWERS {
        tokens.push(match v {
            None => None,
            Some((name, role, party, org)) => {
                let p = party.map(|p| PartyId::parse("p", p).unwrap());
                let o = org.map(|p| PartyId::parse("o", p).unwrap());
                store.create_account(&pacta_core::PartyId::for_organisation("secretariat"), name, role, p.as_ref(), o.as_ref(), None).await.unwrap();
                let (token, digest) = pacta_server::auth::new_token();
                store.add_token(name, &digest, TokenScope::ReadWrite, "test").await.unwrap();
                Some(token)
            }
        });
    }
    let signer = NoteSigner::generate("test.localhost/log").unwrap();
    store.sign_checkpoint(&signer).await.unwrap();
    let (sequencer, _tasks) = pacta_store::sequencer::Sequencer::start(store.clone(), Some(Arc::new(signer)));
    World { db, state: AppState::new(store).with_sequencer(sequencer), ids, tokens }
}

async fn call(w: &World, token: Option<&str>, method: &str, uri: &str, body: Option<(&str, String)>) -> (StatusCode, String) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = match body {
        Some((ct, b)) => req.header("content-type", ct).body(Body::from(b)).unwrap(),
        None => req.body(Body::empty()).unwrap(),
    };
    let res = app(w.state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    (status, String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned())
}

#[tokio::test]
async fn every_role_sees_exactly_what_its_markings_allow_on_every_read_endpoint() {
    for w in worlds().await {
        matrix(&w).await;
        w.db.drop_db().await;
    }
}

async fn matrix(w: &World) {
    let backend = w.db.url.split(':').next().unwrap_or("?").to_string();
    for (v, viewer) in VIEWERS.iter().enumerate() {
        let token = w.tokens[v].as_deref();
        let who = format!("{} on {backend}", viewer.map(|x| x.0).unwrap_or("public"));
        let list = call(w, token, "GET", "/api/v1/incidents?limit=200", None).await.1;
        let stats: serde_json::Value = serde_json::from_str(&call(w, token, "GET", "/api/v1/stats", None).await.1).unwrap();
        let state_record = call(w, token, "GET", "/api/v1/states/FR", None).await.1;
        let csv = call(w, token, "GET", "/download/incidents.csv", None).await.1;
        let json = call(w, token, "GET", "/download/incidents.json", None).await.1;
        // The download page says whether the files hold restricted records: exactly when
        // this viewer may read one.
        let download_page = call(w, token, "GET", "/download", None).await.1;
        let reads_restricted = INCIDENTS.iter().any(|(_, tlp, grants)| *tlp != Tlp::Clear && should_see(*viewer, *tlp, grants));
        assert_eq!(download_page.contains("These files may hold restricted records"), reads_restricted, "{who}: the download page");
        assert_eq!(download_page.contains("Restricted records are not included"), !reads_restricted, "{who}: the download page");
        let mut visible = 0;
        for (k, (word, tlp, grants)) in INCIDENTS.iter().enumerate() {
            let expected = should_see(*viewer, *tlp, grants);
            visible += u64::from(expected);
            let (id, log_index) = w.ids[k];
            let search = call(w, token, "GET", &format!("/api/v1/incidents?q={word}"), None).await.1;
            let (status, detail) = call(w, token, "GET", &format!("/api/v1/incidents/{id}"), None).await;
            let (_, page) = call(w, token, "GET", &format!("/incidents/{id}"), None).await;
            let (_, search_page) = call(w, token, "GET", &format!("/incidents?q={word}"), None).await;
            for (what, body) in [("list", &list), ("search", &search), ("detail", &detail), ("page", &page), ("search page", &search_page), ("state record", &state_record), ("csv", &csv), ("json", &json)] {
                // The title, not the bare word: a search page echoes the query in its form.
                assert_eq!(body.contains(&format!("{word} operation")), expected, "{who} {} TLP:{tlp} in the {what}", if expected { "must see" } else { "must not see" });
            }
            assert_eq!(status == StatusCode::OK, expected, "{who}: GET the TLP:{tlp} incident answered {status}");
            // The workflow reads (claims, evidence, measures) answer exactly as the incident does.
            for part in ["claims", "evidence", "measures"] {
                let (status, body) = call(w, token, "GET", &format!("/api/v1/incidents/{id}/{part}"), None).await;
                assert_eq!(status == StatusCode::OK, expected, "{who}: GET the TLP:{tlp} incident's {part} answered {status}: {body}");
            }
            // Receipts are public by construction: a restricted record is only a hash there.
            let (status, receipt) = call(w, token, "GET", &format!("/api/v1/log/receipts/{log_index}"), None).await;
            assert_eq!(status, StatusCode::OK);
            let entry = pacta_ledger::receipt::Receipt::parse(&receipt).unwrap().extra.unwrap();
            assert_eq!(String::from_utf8_lossy(&entry).contains(word), *tlp == Tlp::Clear, "{who}: the receipt of the TLP:{tlp} incident");
        }
        assert_eq!(stats["incidents"].as_u64(), Some(visible), "{who}: statistics count what the viewer sees: {stats}");
    }
}

#[tokio::test]
async fn a_bad_or_revoked_token_is_refused_not_treated_as_public() {
    for w in worlds().await {
        bad_tokens(&w).await;
        w.db.drop_db().await;
    }
}

async fn bad_tokens(w: &World) {
    assert_eq!(call(w, Some("pacta_not-a-token"), "GET", "/api/v1/incidents", None).await.0, StatusCode::UNAUTHORIZED);
    let (token, _) = pacta_server::auth::new_token();
    let (status, body) = call(w, Some(&token), "GET", "/api/v1/incidents", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.contains("\"unauthorized\""), "{body}");
    // The scheme is read case-insensitively; two credentials are refused, not guessed between.
    let fr = w.tokens[2].as_deref().unwrap();
    let send = |headers: Vec<String>| async move {
        let mut req = Request::builder().uri("/api/v1/incidents");
        for h in headers {
            req = req.header("authorization", h);
        }
        app(w.state.clone()).oneshot(req.body(Body::empty()).unwrap()).await.unwrap().status()
    };
    assert_eq!(send(vec![format!("bearer {fr}")]).await, StatusCode::OK);
    assert_eq!(send(vec![format!("Bearer {fr}"), format!("Bearer {token}")]).await, StatusCode::UNAUTHORIZED);
}

fn report(tlp: &str, word: &str, shared_with: &[&str]) -> (&'static str, String) {
    ("application/json", serde_json::json!({ "title": format!("{word} wiper"), "tlp": tlp, "shared_with": shared_with, "targets": [{ "state": "DE", "sector": "health" }] }).to_string())
}

#[tokio::test]
async fn parties_report_through_the_log_and_their_markings_hold() {
    for w in worlds().await {
        reports(&w).await;
        w.db.drop_db().await;
    }
}

async fn reports(w: &World) {
    let (fr, de, lab) = (w.tokens[2].as_deref(), w.tokens[4].as_deref(), w.tokens[5].as_deref());

    // France reports an AMBER incident shared with Germany.
    let (status, body) = call(w, fr, "POST", "/api/v1/incidents", Some(report("AMBER", "Mistletoe", &["state:DE"]))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let reported: serde_json::Value = serde_json::from_str(&body).unwrap();
    let href = format!("/api/v1/incidents/{}", reported["id"].as_str().unwrap());
    assert!(reported["log_index"].as_u64().unwrap() >= 5);
    assert_eq!(call(w, fr, "GET", &href, None).await.0, StatusCode::OK, "the reporter sees its report");
    assert_eq!(call(w, de, "GET", &href, None).await.0, StatusCode::OK, "the party it is shared with sees it");
    assert_eq!(call(w, lab, "GET", &href, None).await.0, StatusCode::NOT_FOUND, "a verifier it is not shared with does not");
    assert_eq!(call(w, None, "GET", &href, None).await.0, StatusCode::NOT_FOUND, "nor does the public");

    // The entry is sealed; France, which made it, may have its opening, and no one else:
    // Germany reads the incident, but is not told who reported it by this route.
    let opening = format!("/api/v1/log/openings/{}", reported["log_index"]);
    let (status, body) = call(w, fr, "GET", &opening, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let o: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((o["actor"].as_str(), o["kind"].as_str(), o["tlp"].as_str()), (Some("state:FR"), Some("incident.reported"), Some("AMBER")));
    assert!(o["record"].as_str().unwrap().contains("Mistletoe") && o["salt"].as_str().unwrap().len() == 32, "{body}");
    let (status, refused) = call(w, de, "GET", &opening, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{refused}");
    let (_, unknown) = call(w, de, "GET", "/api/v1/log/openings/999999", None).await;
    assert_eq!(refused.replace(&reported["log_index"].to_string(), "N"), unknown.replace("999999", "N"), "to anyone else, an opening looks like one that does not exist");
    assert_eq!(call(w, None, "GET", &opening, None).await.0, StatusCode::UNAUTHORIZED);
    // A state's acts are logged in the state's name: an AMBER+STRICT record, read by one
    // organisation, keeps its opening with the operator, or another French organisation
    // would read it through this route.
    let (status, body) = call(w, fr, "POST", "/api/v1/incidents", Some(report("AMBER+STRICT", "Gorse", &["org:fr-mfa"]))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let strict: serde_json::Value = serde_json::from_str(&body).unwrap();
    for who in [fr, w.tokens[3].as_deref()] {
        assert_eq!(call(w, who, "GET", &format!("/api/v1/log/openings/{}", strict["log_index"]), None).await.0, StatusCode::NOT_FOUND);
    }
    // The secretariat's entries open for an administrator only, not for any account that
    // acts for no party (the arbitrator's, here).
    let (admin, arbitrator) = (w.tokens[1].as_deref(), w.tokens[6].as_deref());
    let (status, body) = call(w, admin, "POST", "/api/v1/incidents", Some(report("AMBER", "Heath", &["state:DE"]))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let by_secretariat = format!("/api/v1/log/openings/{}", serde_json::from_str::<serde_json::Value>(&body).unwrap()["log_index"]);
    assert_eq!(call(w, admin, "GET", &by_secretariat, None).await.0, StatusCode::OK);
    assert_eq!(call(w, arbitrator, "GET", &by_secretariat, None).await.0, StatusCode::NOT_FOUND);

    // Who may not write, and what a malformed report gets: never a 500.
    assert_eq!(call(w, None, "POST", "/api/v1/incidents", Some(report("CLEAR", "x", &[]))).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(call(w, lab, "POST", "/api/v1/incidents", Some(report("CLEAR", "x", &[]))).await.0, StatusCode::FORBIDDEN);
    for (body, expected) in [
        (("application/json", "{not json".to_string()), StatusCode::UNPROCESSABLE_ENTITY),
        (("application/json", r#"{"title":"t","tlp":"CLEAR","colour":"red"}"#.to_string()), StatusCode::UNPROCESSABLE_ENTITY),
        (("application/json", r#"{"title":"t"}"#.to_string()), StatusCode::UNPROCESSABLE_ENTITY),
        (("text/plain", "hello".to_string()), StatusCode::UNPROCESSABLE_ENTITY),
        (("application/json", r#"{"title":"t","tlp":"PURPLE"}"#.to_string()), StatusCode::BAD_REQUEST),
        (("application/json", r#"{"title":"","tlp":"CLEAR"}"#.to_string()), StatusCode::BAD_REQUEST),
        (report("AMBER", "x", &["nobody at all"]), StatusCode::BAD_REQUEST),
        // A sharing list the marking would ignore is refused, not dropped: the readers
        // named would be left out without a word.
        (report("CLEAR", "x", &["state:DE"]), StatusCode::BAD_REQUEST),
        (report("AMBER+STRICT", "x", &["state:DE"]), StatusCode::BAD_REQUEST),
        (report("RED", "x", &["state:DE"]), StatusCode::BAD_REQUEST),
        (("application/json", r#"{"title":"t","tlp":"RED","recipients":["nosuchaccount"]}"#.to_string()), StatusCode::BAD_REQUEST),
        (("application/json", r#"{"title":"t","tlp":"AMBER","recipients":["fr-cert-officer"]}"#.to_string()), StatusCode::BAD_REQUEST),
        (("application/json", r#"{"title":"t","tlp":"CLEAR","start_date":"9999-12-31"}"#.to_string()), StatusCode::BAD_REQUEST),
        (("application/json", r#"{"title":"t","tlp":"CLEAR","start_date":"0000-01-01"}"#.to_string()), StatusCode::BAD_REQUEST),
        (("application/json", format!(r#"{{"title":"t","tlp":"CLEAR","targets":[{{"sector":"health","entity":"{}"}}]}}"#, "x".repeat(600))), StatusCode::BAD_REQUEST),
        (("application/json", format!(r#"{{"title":"{}","tlp":"CLEAR"}}"#, "x".repeat(200_000))), StatusCode::PAYLOAD_TOO_LARGE),
    ] {
        let shown = body.1.chars().take(60).collect::<String>();
        let (status, reply) = call(w, fr, "POST", "/api/v1/incidents", Some(body)).await;
        assert_eq!(status, expected, "{shown}: {reply}");
        assert!(reply.contains("\"error\""), "a clear error body for {shown}: {reply}");
    }
    // Shared with an organisation, AMBER+STRICT is taken; a RED report names accounts that exist.
    let (status, reply) = call(w, fr, "POST", "/api/v1/incidents", Some(report("AMBER+STRICT", "Bracken", &["org:fr-cert"]))).await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let body = ("application/json", r#"{"title":"Heather wiper","tlp":"RED","recipients":["fr-cert-officer"]}"#.to_string());
    let (status, reply) = call(w, fr, "POST", "/api/v1/incidents", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
}

/// Full-text search answers from an index, not from the database's filtered list: the
/// viewer's scope must be inside the index's query, for the hits, the total and the
/// facet counts alike. Every fixture incident shares the word "operation" and the target
/// France; each restricted one also has words of its own.
#[tokio::test]
async fn a_search_reveals_no_restricted_incident_nor_its_count_nor_its_facets() {
    for w in worlds().await {
        let (public, fr_official, de_official, fr_cert_officer) = (None, w.tokens[2].as_deref(), w.tokens[4].as_deref(), w.tokens[3].as_deref());
        for (who, token, viewer) in [("public", public, VIEWERS[0]), ("de-official", de_official, VIEWERS[4]), ("fr-official", fr_official, VIEWERS[2]), ("fr-cert-officer", fr_cert_officer, VIEWERS[3])] {
            let expected: Vec<&str> = INCIDENTS.iter().filter(|(_, tlp, grants)| should_see(viewer, *tlp, grants)).map(|(word, ..)| *word).collect();
            let (status, body) = call(&w, token, "GET", "/api/v1/incidents?q=operation", None).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let page: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(page["total"].as_u64(), Some(expected.len() as u64), "{who}: the total counts only what {who} may read: {body}");
            assert_eq!(page["facets"]["sector"]["energy"].as_u64(), Some(expected.len() as u64), "{who}: facet counts too: {body}");
            assert_eq!(page["facets"]["target_state"]["FR"].as_u64(), Some(expected.len() as u64), "{who}: {body}");
            let mut found: Vec<&str> = page["incidents"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap().split(' ').next().unwrap()).collect();
            found.sort();
            let mut want = expected.clone();
            want.sort();
            assert_eq!(found, want, "{who}");
            // A phrase from a restricted description finds nothing for those who may not read it,
            // not even a count, on the page as in the API.
            for (word, tlp, grants) in INCIDENTS {
                let may = should_see(viewer, tlp, grants);
                let q = format!("%22cleared+for+{word}%22");
                let page: serde_json::Value = serde_json::from_str(&call(&w, token, "GET", &format!("/api/v1/incidents?q={q}"), None).await.1).unwrap();
                assert_eq!(page["total"].as_u64(), Some(u64::from(may)), "{who} searching TLP:{tlp}: {page}");
                let html = call(&w, token, "GET", &format!("/incidents?q={q}"), None).await.1;
                assert_eq!(html.contains("No incident matches"), !may, "{who} searching TLP:{tlp} on the page");
            }
        }
        // A malformed query is a 400 that names the parameter, on the API and on the page.
        let (status, body) = call(&w, None, "GET", "/api/v1/incidents?q=%22unclosed", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.contains("\"bad_parameter\"") && body.contains("q: "), "{body}");
        assert_eq!(call(&w, None, "GET", "/incidents?q=title:(", None).await.0, StatusCode::BAD_REQUEST);
        let (status, body) = call(&w, None, "GET", "/api/v1/incidents?q=operation&offset=9990&limit=50", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.contains("offset"), "{body}");
        w.db.drop_db().await;
    }
}

/// A new report shows in the statistics at once on a registry this size; where the recount
/// takes longer than a reader is made to wait (a million incidents), the reader gets the
/// previous counts, marked with the log size they reflect, and the recount lands after.
#[tokio::test]
async fn the_statistics_follow_new_reports_without_holding_readers_behind_a_recount() {
    for w in worlds().await {
        let fr = w.tokens[2].as_deref();
        let stats = |state: AppState| async move {
            let res = app(state).oneshot(Request::get("/api/v1/stats").body(Body::empty()).unwrap()).await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let v: serde_json::Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
            (v["incidents"].as_u64().unwrap(), v["as_of_log_size"].as_u64().unwrap())
        };
        let (before, as_of) = stats(w.state.clone()).await;
        assert_eq!(call(&w, fr, "POST", "/api/v1/incidents", Some(report("CLEAR", "Tidewater", &[]))).await.0, StatusCode::CREATED);
        let (after, as_of_after) = stats(w.state.clone()).await;
        assert_eq!(after, before + 1, "the new public report is counted");
        assert!(as_of_after > as_of);

        // Now a reader that will not wait at all, as on a registry whose recount is slow.
        let impatient = w.state.clone().with_limits(pacta_server::Limits { stats_wait: std::time::Duration::ZERO, rate_limit: None, ..Default::default() });
        assert_eq!(call(&w, fr, "POST", "/api/v1/incidents", Some(report("CLEAR", "Saltmarsh", &[]))).await.0, StatusCode::CREATED);
        assert_eq!(stats(impatient.clone()).await, (after, as_of_after), "the previous counts, saying what they reflect");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let (n, as_of) = stats(impatient.clone()).await;
            if n == after + 1 {
                assert!(as_of > as_of_after);
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the recount never landed");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        w.db.drop_db().await;
    }
}
