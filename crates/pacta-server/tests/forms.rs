//! The workflows of a party, through the forms and their JSON twins, driven with
//! `app(state).oneshot(request)` on SQLite and PostgreSQL (`TestDb::both()`).
//!
//! The story: France (a party) was hit by an outage it blames on Russia. It puts its
//! forensic report in the vault, attributes the incident, Germany endorses the claim and a
//! lab contests it, France plans a response, proposes a protest, notifies it and records a
//! call to comply. Around it, every gate: no session, no CSRF token, a role the policies
//! keep out, an incident the party may not see, and a refusal per form that names the
//! field and the rule and keeps what was typed.
//!
//! Run: `CI=true cargo test -p pacta-server --test forms`.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http_body_util::BodyExt;
use pacta_core::*;
use pacta_ledger::note::NoteSigner;
use pacta_server::{AppState, app};
use pacta_store::accounts::TokenScope;
use pacta_store::testing::TestDb;
use sha2::Digest;
use std::sync::Arc;
use tower::ServiceExt;

struct World {
    db: TestDb,
    state: AppState,
    /// The CLEAR incident everyone may see, and the AMBER one shared with France only.
    clear: IncidentId,
    amber: IncidentId,
    vault_dir: std::path::PathBuf,
}

/// A signed-in browser: its session cookie and the session's CSRF token; or an API client.
#[derive(Clone, Default)]
struct Who {
    cookie: Option<String>,
    csrf: String,
    token: Option<String>,
}

fn code(c: &str) -> StateCode {
    StateCode::parse("s", c).unwrap()
}

async fn world(db: TestDb) -> World {
    let store = &db.store;
    let reporter = PartyId::parse("as", "org:secretariat").unwrap();
    let mut i = Incident::new("Harbour control outage", Tlp::Clear);
    i.description = "Port authority systems wiped.".into();
    i.operation_types = vec![OperationType::Disruption];
    i.targets.push(Target { state: Some(code("FR")), place: None, sector: Sector::Energy, entity: None });
    i.alleged_actors.push(Actor { name: None, state: Some(code("RU")), category: ActorCategory::State });
    let mut record = IncidentRecord::new(i);
    for c in ["FR", "DE", "RU"] {
        record.parties.push(Party::state(code(c)));
    }
    let (clear, _) = store.report_incident(record, &reporter).await.unwrap();
    let mut amber = Incident::new("Sealed ministry intrusion", Tlp::Amber);
    amber.targets.push(Target { state: Some(code("FR")), place: None, sector: Sector::Government, entity: None });
    let (amber, _) = store.report_incident(IncidentRecord::new(amber), &reporter).await.unwrap();
    store.share_incident(amber, &["state:FR".to_string()], &reporter).await.unwrap();
    let vault_dir = std::env::temp_dir().join(format!("pacta_forms_vault_{}_{}", std::process::id(), uuid::Uuid::now_v7()));
    let vault = pacta_vault::Vault::open(&vault_dir).unwrap();
    let store = Arc::new(pacta_store::Store::open(&db.url).await.unwrap());
    World { state: AppState::new(store).with_vault(vault), db, clear, amber, vault_dir }
}

/// An account with a session and a read-write token.
async fn account(w: &World, name: &str, role: &str, party: Option<&str>, org: Option<&str>) -> Who {
    let p = party.map(|p| PartyId::parse("p", p).unwrap());
    let o = org.map(|o| PartyId::parse("o", o).unwrap());
    let store = w.state.store();
    let acc = store.create_account(&pacta_core::PartyId::for_organisation("secretariat"), name, role, p.as_ref(), o.as_ref(), None).await.unwrap();
    let session: [u8; 32] = rand_bytes();
    let csrf = URL_SAFE_NO_PAD.encode(&rand_bytes()[..24]);
    let digest: [u8; 32] = sha2::Sha256::digest(session).into();
    store.create_session(&digest, &acc.id, &csrf, chrono::Utc::now() + chrono::Duration::hours(1)).await.unwrap();
    let (token, token_digest) = pacta_server::auth::new_token();
    store.add_token(name, &token_digest, TokenScope::ReadWrite, "test").await.unwrap();
    Who { cookie: Some(format!("pacta_session={}", URL_SAFE_NO_PAD.encode(session))), csrf, token: Some(token) }
}

fn rand_bytes() -> [u8; 32] {
    // Distinct per call; secrecy does not matter in a test.
    let a = uuid::Uuid::now_v7().into_bytes();
    let b = uuid::Uuid::now_v7().into_bytes().map(|x| x.rotate_left(3));
    let mut out = [0u8; 32];
    out[..16].copy_from_slice(&a);
    out[16..].copy_from_slice(&b);
    out
}

struct Reply {
    status: StatusCode,
    location: String,
    body: String,
}

async fn send(w: &World, who: &Who, req: axum::http::request::Builder, body: Body) -> Reply {
    send_to(&w.state, who, req, body).await
}

async fn send_to(state: &AppState, who: &Who, req: axum::http::request::Builder, body: Body) -> Reply {
    let mut req = req;
    if let Some(c) = &who.cookie {
        req = req.header(header::COOKIE, c);
    }
    let res = app(state.clone()).oneshot(req.body(body).unwrap()).await.unwrap();
    let status = res.status();
    let location = res.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    Reply { status, location, body }
}

async fn get(w: &World, who: &Who, uri: &str) -> Reply {
    send(w, who, Request::builder().uri(uri), Body::empty()).await
}

/// A browser's form POST; the session's CSRF token is added unless `csrf` is false.
async fn post_form(w: &World, who: &Who, uri: &str, fields: &[(&str, &str)], csrf: bool) -> Reply {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    if csrf {
        ser.append_pair("csrf", &who.csrf);
    }
    for (k, v) in fields {
        ser.append_pair(k, v);
    }
    let req = Request::builder().method("POST").uri(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    send(w, who, req, Body::from(ser.finish())).await
}

async fn post_multipart(w: &World, who: &Who, uri: &str, fields: &[(&str, &str)], file: Option<(&str, &[u8])>, csrf: bool) -> Reply {
    post_multipart_to(w, &w.state, who, uri, fields, file, csrf, false).await
}

/// A multipart post to `state`'s app; `file_first` sends the file before the other parts.
#[allow(clippy::too_many_arguments)]
async fn post_multipart_to(w: &World, state: &AppState, who: &Who, uri: &str, fields: &[(&str, &str)], file: Option<(&str, &[u8])>, csrf: bool, file_first: bool) -> Reply {
    let boundary = "pacta-test-boundary-7d1f";
    let mut body: Vec<u8> = Vec::new();
    let mut part = |head: String, content: &[u8]| {
        body.extend_from_slice(format!("--{boundary}\r\n{head}\r\n\r\n").as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    };
    let file_part = |part: &mut dyn FnMut(String, &[u8])| {
        if let Some((name, bytes)) = file {
            part(format!("Content-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/plain"), bytes);
        }
    };
    if file_first {
        file_part(&mut part);
    }
    if csrf {
        part("Content-Disposition: form-data; name=\"csrf\"".into(), who.csrf.as_bytes());
    }
    for (k, v) in fields {
        part(format!("Content-Disposition: form-data; name=\"{k}\""), v.as_bytes());
    }
    if !file_first {
        file_part(&mut part);
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let req = Request::builder().method("POST").uri(uri).header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"));
    let _ = w;
    send_to(state, who, req, Body::from(body)).await
}

async fn post_json(w: &World, token: Option<&str>, uri: &str, body: serde_json::Value) -> Reply {
    let mut req = Request::builder().method("POST").uri(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    send(w, &Who::default(), req, Body::from(body.to_string())).await
}

/// Runs `story` on SQLite and on PostgreSQL.
macro_rules! on_both {
    ($story:ident) => {
        for db in TestDb::both().await {
            let w = world(db).await;
            $story(&w).await;
            let dir = w.vault_dir.clone();
            w.db.drop_db().await;
            let _ = std::fs::remove_dir_all(dir);
        }
    };
}

fn assert_refused_on_form(r: &Reply, status: StatusCode, field: &str, rule_words: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert!(r.body.contains("role=\"alert\""), "the form is shown again with the refusal: {}", r.body);
    assert!(r.body.contains(&format!("Field <code>{field}</code>")), "the refusal names {field}: {}", r.body);
    assert!(r.body.contains(rule_words), "the refusal states the rule ({rule_words}): {}", r.body);
}

// ---------------------------------------------------------------- attribute

async fn attribution_story(w: &World) {
    let fr = account(w, "fr-officer", "party", Some("state:FR"), Some("org:fr-anssi")).await;
    let de = account(w, "de-officer", "party", Some("state:DE"), None).await;
    let arb = account(w, "arbitrator", "arbitrator", None, None).await;
    let page = format!("/incidents/{}", w.clear);
    let form = format!("{page}/attribute");
    let good = [("state", "RU"), ("actor_name", "Harbour Bear"), ("confidence", "very_likely"), ("basis", "technical_report"), ("visibility", "public")];

    // The form is there for France, and behind a sign-in for the public.
    let r = get(w, &fr, &form).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("name=\"csrf\"") && r.body.contains(&fr.csrf), "the form carries the session's CSRF token");
    let r = get(w, &Who::default(), &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location.starts_with("/login?next="), "{}", r.location);
    // An id typed with a control character still sends the visitor to sign in: the
    // address it came back to is encoded, not a header that cannot be sent.
    for typed in ["/incidents/%00/attribute", "/incidents/%0A/respond", "/incidents/a%0Db/evidence"] {
        let r = get(w, &Who::default(), typed).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{typed}: {}", r.body);
        assert!(r.location.starts_with("/login?next=%2Fincidents%2F") && !r.location.chars().any(|c| c.is_control()), "{typed}: {}", r.location);
    }

    // Refused: anonymous, without the CSRF token, a role the policies keep out, an incident not shared.
    let r = post_form(w, &Who::default(), &form, &good, false).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let r = post_form(w, &fr, &form, &good, false).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("did not come from this site"), "{}", r.body);
    let r = post_form(w, &arb, &form, &good, true).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("may not attribute an incident: rule &#34;attribute&#34;") && r.body.contains("registry.cedar"), "names the policy: {}", r.body);
    let r = post_form(w, &de, &format!("/incidents/{}/attribute", w.amber), &good, true).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "an incident Germany may not see is not there: {}", r.body);

    // Refused on the form, naming the field and the rule, keeping what was typed.
    let r = post_form(w, &fr, &form, &[("state", "RU"), ("actor_name", "Harbour Bear"), ("confidence", ""), ("basis", "technical_report")], true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "confidence", "ICD 203");
    assert!(r.body.contains("value=\"Harbour Bear\""), "the typed values are kept");
    let r = post_form(w, &fr, &form, &[("state", "XX"), ("confidence", "likely"), ("basis", "technical_report")], true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "state", "ISO 3166");
    // France cannot sign Germany's name to its claim: Germany joins by endorsing it.
    let r = post_form(w, &fr, &form, &[("state", "RU"), ("confidence", "likely"), ("basis", "technical_report"), ("with", "state:DE")], true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "with", "acts for its own party");
    assert!(r.body.contains("state:DE"), "names the party: {}", r.body);
    assert!(!get(w, &fr, &page).await.body.contains("made in the registry"), "nothing was written by a refusal");

    // Recorded: POST-redirect-GET to the incident page, which shows the claim and its status.
    let r = post_form(w, &fr, &form, &good, true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, format!("{page}#workflow"));
    let shown = get(w, &Who::default(), &page).await.body;
    assert!(shown.contains("Harbour Bear") && shown.contains("made in the registry, version 1"), "{shown}");
    assert!(shown.contains("Single source"), "the status is computed from the claim: {shown}");

    // The JSON twin: a private claim by Germany, shared with France only.
    let api = format!("/api/v1/incidents/{}/claims", w.clear);
    let claim = serde_json::json!({ "state": "RU", "actor_name": "Quiet Heron", "confidence": "likely", "basis": "political_statement", "visibility": "private", "shared_with": ["state:FR"] });
    // JSON is `application/json`, not anything that begins so: nothing is written.
    for (media, status) in [("application/jsonx", StatusCode::UNPROCESSABLE_ENTITY), ("text/json", StatusCode::UNPROCESSABLE_ENTITY)] {
        let req = Request::builder().method("POST").uri(&api).header(header::CONTENT_TYPE, media).header(header::AUTHORIZATION, format!("Bearer {}", de.token.as_deref().unwrap()));
        let mut body = claim.clone();
        body["actor_name"] = serde_json::json!(format!("Media check {media}"));
        let r = send(w, &Who::default(), req, Body::from(body.to_string())).await;
        assert_eq!(r.status, status, "{media}: {}", r.body);
    }
    let r = post_json(w, de.token.as_deref(), &api, claim.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let written: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert!(written["log_index"].as_u64().is_some() && written["id"].as_str().is_some());
    assert!(get(w, &fr, &page).await.body.contains("Quiet Heron"), "France is named: it sees the private claim");
    assert!(get(w, &de, &page).await.body.contains("Quiet Heron"), "its maker sees it");
    assert!(!get(w, &Who::default(), &page).await.body.contains("Quiet Heron"), "the public does not");
    assert_eq!(post_json(w, None, &api, claim.clone()).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(post_json(w, arb.token.as_deref(), &api, claim).await.status, StatusCode::FORBIDDEN);
    let r = post_json(w, de.token.as_deref(), &api, serde_json::json!({ "confidence": "likely", "basis": "other", "colour": "red" })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "unknown fields are refused: {}", r.body);
    let doc = get(w, &Who::default(), "/api/v1/openapi.json").await.body;
    for path in ["/api/v1/incidents/{id}/claims", "/api/v1/incidents/{id}/evidence", "/api/v1/incidents/{id}/plan", "/api/v1/incidents/{id}/measures/{measure}/moves"] {
        assert!(doc.contains(path), "the OpenAPI document lists {path}");
    }
    let listed: serde_json::Value = serde_json::from_str(&get(w, &Who::default(), &api).await.body).unwrap();
    assert_eq!(listed["claims"].as_array().unwrap().len(), 1, "the public lists the public claim only: {listed}");
}

#[tokio::test]
async fn a_party_attributes_an_incident_through_the_form_and_every_gate_holds() {
    on_both!(attribution_story);
}

// ---------------------------------------------------------------- endorse, contest

async fn stance_story(w: &World) {
    let fr = account(w, "fr-officer", "party", Some("state:FR"), None).await;
    let de = account(w, "de-officer", "party", Some("state:DE"), None).await;
    let lab = account(w, "lab", "verifier", None, Some("verifier:lab")).await;
    // A lab becomes a registered party when it registers its custody key.
    let lab_party = PartyId::parse("p", "verifier:lab").unwrap();
    w.state.store().register_party_key(&lab_party, &lab_party, &NoteSigner::generate("verifier:lab").unwrap().verifier().to_vkey()).await.unwrap();
    let page = format!("/incidents/{}", w.clear);
    let r = post_form(w, &fr, &format!("{page}/attribute"), &[("state", "RU"), ("confidence", "likely"), ("basis", "technical_report")], true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let claims: serde_json::Value = serde_json::from_str(&get(w, &fr, &format!("/api/v1/incidents/{}/claims", w.clear)).await.body).unwrap();
    let claim = claims["claims"][0]["attribution"]["id"].as_str().unwrap().to_string();
    let form = format!("{page}/claims/{claim}/stance");

    // The page offers Germany to endorse or contest, and not France (its own claim).
    assert!(get(w, &de, &page).await.body.contains(&format!("{form}?kind=endorse")));
    assert!(!get(w, &fr, &page).await.body.contains(&format!("{form}?kind=endorse")));
    let r = get(w, &de, &format!("{form}?kind=contest")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("value=\"contest\" checked"), "the chosen stance is preselected");

    // Refusals.
    let endorse = [("kind", "endorse"), ("reasoning", "Our telemetry matches the loader."), ("confidence", "very_likely")];
    assert_eq!(post_form(w, &Who::default(), &form, &endorse, false).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(post_form(w, &de, &form, &endorse, false).await.status, StatusCode::FORBIDDEN);
    let r = post_form(w, &de, &form, &[("kind", "endorse"), ("reasoning", "  ")], true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "reasoning", "gives its reasoning");
    let r = post_form(w, &fr, &form, &endorse, true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "party", "does not endorse or contest its own claim");
    let r = post_form(w, &de, &form, &[("kind", "contest"), ("reasoning", "x"), ("confidence", "very_likely")], true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "confidence", "not contested");
    let r = post_form(w, &de, &format!("{page}/claims/{}/stance", AttributionId::new()), &endorse, true).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // Germany endorses by the form; the lab contests over JSON.
    let r = post_form(w, &de, &form, &endorse, true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let api = format!("/api/v1/incidents/{}/claims/{claim}/stances", w.clear);
    let r = post_json(w, lab.token.as_deref(), &api, serde_json::json!({ "kind": "contest", "reasoning": "The sample is a public kit.", "confidence": "unlikely" })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let shown = get(w, &Who::default(), &page).await.body;
    assert!(shown.contains("1 endorsed, 1 contested"), "{shown}");
    assert!(shown.contains("state:DE</strong> endorses") && shown.contains("verifier:lab</strong> contests"), "{shown}");
    assert!(shown.contains("Contested"), "the status follows the stances: {shown}");
}

#[tokio::test]
async fn parties_endorse_and_contest_a_claim_and_the_status_follows() {
    on_both!(stance_story);
}

// ---------------------------------------------------------------- withdraw and amend

/// France's officer attributes the CLEAR incident to Russia ("Harbour Bear", likely) by the
/// form; Germany's officer looks on. Returns both, the incident page and the claim's id.
async fn france_claims_harbour_bear(w: &World) -> (Who, Who, String, String) {
    let fr = account(w, "fr-officer", "party", Some("state:FR"), None).await;
    let de = account(w, "de-officer", "party", Some("state:DE"), None).await;
    let page = format!("/incidents/{}", w.clear);
    let r = post_form(w, &fr, &format!("{page}/attribute"), &[("state", "RU"), ("actor_name", "Harbour Bear"), ("confidence", "likely"), ("basis", "technical_report")], true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let claims: serde_json::Value = serde_json::from_str(&get(w, &fr, &format!("/api/v1/incidents/{}/claims", w.clear)).await.body).unwrap();
    let claim = claims["claims"][0]["attribution"]["id"].as_str().unwrap().to_string();
    (fr, de, page, claim)
}

/// The public statistics' claim count, and the claims France's state record lists.
async fn claims_counted(w: &World) -> (u64, usize) {
    let stats: serde_json::Value = serde_json::from_str(&get(w, &Who::default(), "/api/v1/stats").await.body).unwrap();
    let record: serde_json::Value = serde_json::from_str(&get(w, &Who::default(), "/api/v1/states/FR").await.body).unwrap();
    (stats["attributions"].as_u64().unwrap(), record["attributions_made"].as_array().unwrap().len())
}

async fn withdrawal_story(w: &World) {
    let before = claims_counted(w).await;
    let (fr, de, page, claim) = france_claims_harbour_bear(w).await;
    // A claim made in the registry counts in the statistics and on France's record.
    assert_eq!(claims_counted(w).await, (before.0 + 1, before.1 + 1), "the new claim is counted");
    let form = format!("{page}/claims/{claim}/withdraw");

    // Only the claim's maker is offered to withdraw it.
    assert!(get(w, &fr, &page).await.body.contains(&form), "France may withdraw its own claim");
    assert!(!get(w, &de, &page).await.body.contains(&form), "Germany may not");
    assert!(!get(w, &Who::default(), &page).await.body.contains(&form), "nor may the public");
    assert_eq!(get(w, &fr, &form).await.status, StatusCode::OK);

    // Refusals, each naming the field and the rule; none of them changes anything.
    let why = [("reason", "The loader turned out to be sold to criminal groups; our attribution no longer holds.")];
    assert_eq!(post_form(w, &Who::default(), &form, &why, false).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(post_form(w, &fr, &form, &why, false).await.status, StatusCode::FORBIDDEN);
    let r = post_form(w, &fr, &form, &[("reason", "  ")], true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "reason", "a withdrawal says why");
    let r = post_form(w, &de, &form, &why, true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "party", "amend or withdraw it");
    let r = post_form(w, &fr, &format!("{page}/claims/{}/withdraw", AttributionId::new()), &why, true).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert!(get(w, &Who::default(), &page).await.body.contains("Single source"), "the claim still stands");

    // France withdraws it: the claim no longer counts, and the status is computed again.
    let r = post_form(w, &fr, &form, &why, true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, format!("{page}#workflow"));
    let shown = get(w, &Who::default(), &page).await.body;
    assert!(shown.contains("<strong class=\"status\">None</strong>"), "no standing claim is left: {shown}");
    assert!(!shown.contains(&format!("claim-{claim}")), "the withdrawn claim is not listed as standing");
    assert_eq!(claims_counted(w).await, before, "a withdrawn claim is counted nowhere");

    // The JSON twin: Germany makes a claim and withdraws it with its token; a withdrawn
    // claim takes no further versions.
    let api = format!("/api/v1/incidents/{}/claims", w.clear);
    let r = post_json(w, de.token.as_deref(), &api, serde_json::json!({ "state": "RU", "confidence": "unlikely", "basis": "political_statement", "visibility": "public" })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let de_claim = serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["id"].as_str().unwrap().to_string();
    let withdrawal = format!("{api}/{de_claim}/withdrawal");
    let r = post_json(w, de.token.as_deref(), &withdrawal, serde_json::json!({ "reason": "Made in error.", "colour": "red" })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "unknown fields are refused: {}", r.body);
    assert_eq!(post_json(w, fr.token.as_deref(), &withdrawal, serde_json::json!({ "reason": "Not ours." })).await.status, StatusCode::BAD_REQUEST);
    let r = post_json(w, de.token.as_deref(), &withdrawal, serde_json::json!({ "reason": "Made in error." })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = post_json(w, de.token.as_deref(), &withdrawal, serde_json::json!({ "reason": "Again." })).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("was withdrawn"), "{}", r.body);
    assert!(get(w, &Who::default(), "/api/v1/openapi.json").await.body.contains("/api/v1/incidents/{id}/claims/{claim}/withdrawal"));
}

#[tokio::test]
async fn a_party_withdraws_its_own_claim_and_only_its_own() {
    on_both!(withdrawal_story);
}

async fn amendment_story(w: &World) {
    let (fr, de, page, claim) = france_claims_harbour_bear(w).await;
    let form = format!("{page}/claims/{claim}/amend");

    // Only the claim's maker is offered to amend it, and the form starts from the claim as it stands.
    assert!(get(w, &fr, &page).await.body.contains(&form), "France may amend its own claim");
    assert!(!get(w, &de, &page).await.body.contains(&form), "Germany may not");
    let shown = get(w, &fr, &form).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert!(shown.body.contains("value=\"Harbour Bear\"") && shown.body.contains("value=\"likely\" selected"), "{}", shown.body);

    // France's forensic lab has more: the likelihood rises, and the claim names the unit.
    let amended = [("state", "RU"), ("actor_name", "Harbour Bear (GRU unit 74455)"), ("category", "state"), ("confidence", "very_likely"), ("basis", "technical_report"), ("visibility", "public")];
    let why = [amended.as_slice(), &[("reason", "The lab matched the loader to the unit's earlier tooling.")]].concat();
    assert_eq!(post_form(w, &Who::default(), &form, &why, false).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(post_form(w, &fr, &form, &why, false).await.status, StatusCode::FORBIDDEN, "no CSRF token");
    let r = post_form(w, &fr, &form, &amended, true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "reason", "say why the claim is amended");
    let unsure: Vec<(&str, &str)> = why.iter().map(|&(k, v)| if k == "confidence" { (k, "sure") } else { (k, v) }).collect();
    let r = post_form(w, &fr, &form, &unsure, true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "confidence", "sure");
    let r = post_form(w, &de, &form, &why, true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "party", "amend or withdraw it");
    let r = post_form(w, &fr, &format!("{page}/attribute"), &why, true).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "a new claim takes no reason: {}", r.body);

    let r = post_form(w, &fr, &form, &why, true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, format!("{page}#workflow"));
    let shown = get(w, &Who::default(), &page).await.body;
    assert!(shown.contains("GRU unit 74455") && shown.contains("version 2"), "{shown}");
    let history = w.state.store().claim_history(AttributionId::parse(&claim).unwrap(), None).await.unwrap();
    assert_eq!(history.len(), 2, "the first version stays on record");
    assert_eq!(history[1].version.reason.as_deref(), Some("The lab matched the loader to the unit's earlier tooling."));

    // The JSON twin: the whole claim as amended, and why.
    let api = format!("/api/v1/incidents/{}/claims/{claim}/amendment", w.clear);
    let body = serde_json::json!({ "claim": { "state": "RU", "confidence": "almost_certain", "basis": "legal_proceeding" }, "reason": "Indictment unsealed." });
    assert_eq!(post_json(w, de.token.as_deref(), &api, body.clone()).await.status, StatusCode::BAD_REQUEST, "not Germany's claim");
    let r = post_json(w, fr.token.as_deref(), &api, serde_json::json!({ "claim": { "state": "RU", "confidence": "likely", "basis": "technical_report" } })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "the reason is required: {}", r.body);
    let r = post_json(w, fr.token.as_deref(), &api, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let claims: serde_json::Value = serde_json::from_str(&get(w, &fr, &format!("/api/v1/incidents/{}/claims", w.clear)).await.body).unwrap();
    let latest = claims["claims"].as_array().unwrap().last().unwrap();
    assert_eq!((latest["version"].as_u64(), latest["attribution"]["confidence"].as_str()), (Some(3), Some("almost_certain")), "{claims}");
    assert_eq!(claims["status"]["by_state"][0]["confidence"], "almost_certain", "the status is computed from the amended claim");
}

#[tokio::test]
async fn a_party_amends_its_own_claim_and_only_its_own() {
    on_both!(amendment_story);
}

// ---------------------------------------------------------------- evidence

async fn evidence_story(w: &World) {
    let fr = account(w, "fr-officer", "party", Some("state:FR"), None).await;
    let de = account(w, "de-officer", "party", Some("state:DE"), None).await;
    let arb = account(w, "arbitrator", "arbitrator", None, None).await;
    let fr_party = PartyId::parse("p", "state:FR").unwrap();
    let key = NoteSigner::generate("state:FR").unwrap();
    w.state.store().register_party_key(&fr_party, &fr_party, &key.verifier().to_vkey()).await.unwrap();
    let stranger_key = NoteSigner::generate("nobody").unwrap().to_private_key();
    let page = format!("/incidents/{}", w.clear);
    let form = format!("{page}/evidence");
    let report = b"Forensic report: wiper loader hash 4f2a...".as_slice();
    let key_text = key.to_private_key();
    let fields = [("description", "Imaged by the port's CERT on 3 May"), ("tlp", "CLEAR"), ("custody_key", key_text.as_str())];

    let r = get(w, &fr, &form).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("enctype=\"multipart/form-data\"") && r.body.contains("type=\"password\" name=\"custody_key\""));
    assert_eq!(post_multipart(w, &Who::default(), &form, &fields, Some(("report.txt", report)), false).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(post_multipart(w, &fr, &form, &fields, Some(("report.txt", report)), false).await.status, StatusCode::FORBIDDEN);
    let r = post_multipart(w, &arb, &form, &fields, Some(("report.txt", report)), true).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("add-evidence"), "names the rule: {}", r.body);

    // Refused on the form: no file; a key that is not France's; garbage for a key (never echoed).
    let r = post_multipart(w, &fr, &form, &fields, None, true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "file", "choose a file");
    let r = post_multipart(w, &fr, &form, &[("tlp", "CLEAR"), ("custody_key", stranger_key.as_str())], Some(("report.txt", report)), true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "custody_key", "key");
    assert!(!r.body.contains(&stranger_key), "a key is never echoed back");
    let r = post_multipart(w, &fr, &form, &[("tlp", "CLEAR"), ("custody_key", "PRIVATE+KEY+garbage")], Some(("report.txt", report)), true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "custody_key", "not a custody signing key");
    assert!(!r.body.contains("PRIVATE+KEY+garbage"));
    let r = post_multipart(w, &fr, &form, &[("tlp", "PURPLE"), ("custody_key", key_text.as_str())], Some(("report.txt", report)), true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "tlp", "TLP");
    assert!(w.state.store().list_evidence(Some(w.clear)).await.unwrap().is_empty(), "refusals write nothing");

    // Recorded, with its hash, marking and custodian; shown on the incident page.
    let r = post_multipart(w, &fr, &form, &fields, Some(("report.txt", report)), true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, format!("{page}#evidence"));
    let held = w.state.store().list_evidence(Some(w.clear)).await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!((held[0].name.as_str(), held[0].tlp, held[0].custodian.as_str(), held[0].description.as_str()), ("report.txt", Tlp::Clear, "state:FR", "Imaged by the port's CERT on 3 May"));
    assert_eq!(held[0].sha256.to_hex(), hex_sha256(report));
    assert!(get(w, &Who::default(), &page).await.body.contains("report.txt"), "a CLEAR artefact is public");

    // The JSON twin, AMBER this time: France and its custodian's audience see it, Germany not.
    let api = format!("/api/v1/incidents/{}/evidence", w.clear);
    let body = serde_json::json!({ "name": "pcap-excerpt.txt", "description": "From the harbour's tap", "tlp": "AMBER", "content_base64": STANDARD.encode(b"packets"), "custody_key": key_text });
    let r = post_json(w, fr.token.as_deref(), &api, body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(get(w, &fr, &page).await.body.contains("pcap-excerpt.txt"));
    assert!(!get(w, &de, &page).await.body.contains("pcap-excerpt.txt"), "AMBER evidence stays with its custodian's party");
    assert!(!get(w, &Who::default(), &api).await.body.contains("pcap-excerpt.txt"));
    let r = post_json(w, de.token.as_deref(), &api, body).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "Germany cannot sign with France's key: {}", r.body);

    // A disk image excerpt of 3 MiB, far past the 64 KiB that other requests may carry,
    // streams into the vault by the form and travels as base64 over JSON.
    let image: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let r = post_multipart(w, &fr, &form, &fields, Some(("disk-excerpt.bin", &image)), true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let held = w.state.store().list_evidence(Some(w.clear)).await.unwrap();
    let stored = held.iter().find(|e| e.name == "disk-excerpt.bin").expect("the image is recorded");
    assert_eq!((stored.sha256.to_hex(), stored.size), (hex_sha256(&image), image.len() as u64));
    let vault = pacta_vault::Vault::open(&w.vault_dir).unwrap();
    assert_eq!(vault.get(&stored.sha256).unwrap(), image, "the vault holds the bytes sent, whole");
    let mut other = image.clone();
    other[0] ^= 1;
    let body = serde_json::json!({ "name": "disk-excerpt-2.bin", "content_base64": STANDARD.encode(&other), "custody_key": key_text });
    assert_eq!(post_json(w, fr.token.as_deref(), &api, body).await.status, StatusCode::CREATED);

    // An anonymous client is refused before its body is read: a body that never ends
    // (as a slow 300 MB upload would be, for the server's memory) still gets its 401 at once.
    let req = Request::builder().method("POST").uri(&api).header(header::CONTENT_TYPE, "application/json");
    let endless = Body::from_stream(futures_util::stream::pending::<Result<axum::body::Bytes, std::io::Error>>());
    let r = tokio::time::timeout(std::time::Duration::from_secs(10), send(w, &Who::default(), req, endless)).await.expect("answered without reading the body");
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);

    // Past the server's evidence limit: 413, nothing recorded, nothing left in the vault.
    let strict = w.state.clone().with_limits(pacta_server::Limits { max_evidence_bytes: 1024 * 1024, ..Default::default() });
    let mut big = image.clone();
    big[1] ^= 1;
    let before = w.state.store().list_evidence(Some(w.clear)).await.unwrap().len();
    let r = post_multipart_to(w, &strict, &fr, &form, &fields, Some(("too-big.bin", &big)), true, false).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    let body = serde_json::json!({ "name": "too-big.bin", "content_base64": STANDARD.encode(&big), "custody_key": key_text });
    let req = Request::builder().method("POST").uri(&api).header(header::CONTENT_TYPE, "application/json").header(header::AUTHORIZATION, format!("Bearer {}", fr.token.as_deref().unwrap()));
    let r = send_to(&strict, &Who::default(), req, Body::from(body.to_string())).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(r.body.contains("payload_too_large"), "{}", r.body);
    assert_eq!(w.state.store().list_evidence(Some(w.clear)).await.unwrap().len(), before);
    let big_hash = pacta_vault::BlobHash::of(&big);
    assert_eq!(vault.stat(&big_hash).unwrap(), None, "a cut-short upload leaves no blob");

    // TLP:RED names individuals; an artefact is shared with its custodian party. A RED
    // upload would be out of everyone's reach, its uploader's too: refused, nothing kept.
    let mut red = image.clone();
    red[2] ^= 1;
    let body = serde_json::json!({ "name": "red.bin", "content_base64": STANDARD.encode(&red), "custody_key": key_text, "tlp": "RED" });
    let r = post_json(w, fr.token.as_deref(), &api, body).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("tlp") && r.body.contains("AMBER+STRICT"), "{}", r.body);
    assert_eq!(vault.stat(&pacta_vault::BlobHash::of(&red)).unwrap(), None);
    assert!(!get(w, &fr, &form).await.body.contains("value=\"RED\""), "the form does not offer RED");

    // A file sent before the CSRF token is refused before a byte of it is stored.
    let r = post_multipart_to(w, &w.state, &fr, &form, &fields, Some(("early.bin", &big)), true, true).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(vault.stat(&big_hash).unwrap(), None);
}

fn hex_sha256(b: &[u8]) -> String {
    sha2::Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

#[tokio::test]
async fn a_party_puts_evidence_in_the_vault_with_its_signed_custody() {
    on_both!(evidence_story);
}

// ---------------------------------------------------------------- respond

async fn respond_story(w: &World) {
    let fr = account(w, "fr-officer", "party", Some("state:FR"), None).await;
    let de = account(w, "de-officer", "party", Some("state:DE"), None).await;
    let lab = account(w, "lab", "verifier", None, Some("verifier:lab")).await;
    let page = format!("/incidents/{}", w.clear);
    let respond = format!("{page}/respond");
    let r = post_form(w, &fr, &format!("{page}/attribute"), &[("state", "RU"), ("confidence", "likely"), ("basis", "technical_report")], true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // The plan for France: what is open and what is not, and why.
    let r = get(w, &fr, &respond).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Available (") && r.body.contains("Not available ("), "{}", r.body);
    assert!(r.body.contains("Russian Federation (RU)"), "plans against the state the claim names: {}", r.body);
    let plan: serde_json::Value = serde_json::from_str(&get_token(w, fr.token.as_deref(), &format!("/api/v1/incidents/{}/plan?against=RU", w.clear)).await.body).unwrap();
    assert!(plan["options"].as_array().unwrap().iter().any(|o| o["rung"] == "private_protest"), "{plan}");
    let refused_rung = plan["unavailable"].as_array().unwrap().iter().find(|u| u["rung"] == "asset_freezes").expect("countermeasures need more than a single likely claim");
    assert!(!refused_rung["reasons"].as_array().unwrap().is_empty());
    assert_eq!(get(w, &lab, &respond).await.status, StatusCode::FORBIDDEN, "a verifier does not respond");
    assert_eq!(get(w, &Who::default(), &respond).await.status, StatusCode::SEE_OTHER, "the public is sent to sign in");

    // Propose: the ladder refuses a rung the evidence does not open, naming it.
    let r = post_form(w, &fr, &respond, &[("rung", "asset_freezes"), ("against", "RU"), ("tlp", "AMBER")], true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "rung", "asset_freezes");
    assert_eq!(post_form(w, &fr, &respond, &[("rung", "private_protest"), ("against", "RU")], false).await.status, StatusCode::FORBIDDEN);
    assert_eq!(post_form(w, &Who::default(), &respond, &[("rung", "private_protest"), ("against", "RU")], false).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(post_form(w, &lab, &respond, &[("rung", "private_protest"), ("against", "RU")], true).await.status, StatusCode::FORBIDDEN);
    let r = post_form(w, &fr, &respond, &[("rung", "private_protest"), ("against", "RU"), ("description", "Note verbale to the embassy"), ("tlp", "AMBER")], true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, format!("{page}#measures"));
    let measures: serde_json::Value = serde_json::from_str(&get_token(w, fr.token.as_deref(), &format!("/api/v1/incidents/{}/measures", w.clear)).await.body).unwrap();
    let m = measures["measures"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(measures["measures"][0]["state"], "proposed");
    assert!(get(w, &fr, &page).await.body.contains("Note verbale to the embassy"));
    assert!(!get(w, &de, &page).await.body.contains("Note verbale to the embassy"), "an AMBER plan stays with the state making it");

    // Move it: notify (form), then a move the lifecycle refuses, then enact (JSON).
    let move_uri = format!("{page}/measures/{m}");
    assert_eq!(post_form(w, &de, &move_uri, &[("to", "notified")], true).await.status, StatusCode::NOT_FOUND, "Germany cannot move France's measure");
    assert_eq!(post_form(w, &fr, &move_uri, &[("to", "notified")], false).await.status, StatusCode::FORBIDDEN, "no CSRF token");
    assert_eq!(post_form(w, &Who::default(), &move_uri, &[("to", "notified")], false).await.status, StatusCode::UNAUTHORIZED);
    let r = post_form(w, &fr, &move_uri, &[("to", "notified"), ("note", "Handed over on 5 May")], true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = post_form(w, &fr, &move_uri, &[("to", "proposed")], true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "to", "the lifecycle is proposed");
    let r = post_json(w, fr.token.as_deref(), &format!("/api/v1/incidents/{}/measures/{m}/moves", w.clear), serde_json::json!({ "to": "enacted" })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(!get(w, &de, &page).await.body.contains("Note verbale"), "enacted, it is still not Germany's to see (it is directed against Russia)");

    // Compliance: refused kind, then a call to comply.
    let compliance = format!("{page}/compliance");
    let r = post_form(w, &fr, &compliance, &[("kind", "apology"), ("responsible", "RU")], true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "kind", "compliance event");
    assert_eq!(post_form(w, &fr, &compliance, &[("kind", "call_to_comply"), ("responsible", "RU")], false).await.status, StatusCode::FORBIDDEN);
    assert_eq!(post_form(w, &Who::default(), &compliance, &[("kind", "call_to_comply"), ("responsible", "RU")], false).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(post_form(w, &lab, &compliance, &[("kind", "call_to_comply"), ("responsible", "RU")], true).await.status, StatusCode::FORBIDDEN, "a verifier does not record compliance");
    // An organisation holding a party account is not the forum: it cannot end France's
    // measures by saying Russia complied.
    let eu = account(w, "eu-officer", "party", Some("org:eu"), None).await;
    let r = post_form(w, &eu, &compliance, &[("kind", "responsible_state_complied"), ("responsible", "RU")], true).await;
    assert!(r.status == StatusCode::BAD_REQUEST || r.status == StatusCode::FORBIDDEN, "{} {}", r.status, r.body);
    assert!(r.status == StatusCode::FORBIDDEN || r.body.contains("is recorded by a state"), "{}", r.body);
    let r = post_form(w, &fr, &compliance, &[("kind", "call_to_comply"), ("responsible", "RU"), ("note", "Cease and make reparation")], true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let shown = get(w, &fr, &page).await.body;
    assert!(shown.contains("Call to comply") && shown.contains("Cease and make reparation"), "{shown}");
    assert!(shown.contains(">enacted<"), "{shown}");

    // "urgent" is yes or no: anything else is refused, not read as no.
    let r = post_form(w, &fr, &respond, &[("rung", "demarche"), ("against", "RU"), ("urgent", "maybe")], true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "urgent", "maybe");
    assert_eq!(get_token(w, fr.token.as_deref(), &format!("/api/v1/incidents/{}/plan?against=RU&urgent=maybe", w.clear)).await.status, StatusCode::BAD_REQUEST);

    // A démarche rests on France's claim. Delivered, then the claim withdrawn: France's
    // page says the record no longer supports it, and it cannot be enacted. The refusal
    // names the move asked for, and the rung that cannot make it.
    let r = post_form(w, &fr, &respond, &[("rung", "demarche"), ("against", "RU"), ("tlp", "AMBER")], true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let measures: serde_json::Value = serde_json::from_str(&get_token(w, fr.token.as_deref(), &format!("/api/v1/incidents/{}/measures", w.clear)).await.body).unwrap();
    let demarche = measures["measures"].as_array().unwrap().iter().find(|m| m["rung"] == "demarche").expect("proposed")["id"].as_str().unwrap().to_string();
    let r = post_form(w, &fr, &format!("{page}/measures/{demarche}"), &[("to", "notified")], true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!get(w, &fr, &respond).await.body.contains("No longer supported"));
    let claims: serde_json::Value = serde_json::from_str(&get_token(w, fr.token.as_deref(), &format!("/api/v1/incidents/{}/claims", w.clear)).await.body).unwrap();
    let claim = claims["claims"][0]["attribution"]["id"].as_str().unwrap();
    let r = post_json(w, fr.token.as_deref(), &format!("/api/v1/incidents/{}/claims/{claim}/withdrawal", w.clear), serde_json::json!({ "reason": "Our telemetry was misread." })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(get(w, &fr, &respond).await.body.contains("No longer supported by the record"), "France is told its démarche lost its footing");
    let r = post_form(w, &fr, &format!("{page}/measures/{demarche}"), &[("to", "enacted")], true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "to", "enacted");
    assert!(r.body.contains("demarche"), "says which rung: {}", r.body);

    // Russia ceases: the protest's lift condition is met, and the page and the JSON say so.
    let protest_due = |measures: &serde_json::Value| measures["measures"].as_array().unwrap().iter().find(|m| m["rung"] == "private_protest").unwrap()["lift_due"].clone();
    let measures_uri = format!("/api/v1/incidents/{}/measures", w.clear);
    let before: serde_json::Value = serde_json::from_str(&get_token(w, fr.token.as_deref(), &measures_uri).await.body).unwrap();
    assert!(protest_due(&before).is_null(), "{before}");
    let r = post_form(w, &fr, &compliance, &[("kind", "wrongful_act_ceased"), ("responsible", "RU")], true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after: serde_json::Value = serde_json::from_str(&get_token(w, fr.token.as_deref(), &measures_uri).await.body).unwrap();
    assert_eq!(protest_due(&after)["condition"], "wrongful_act_ceased", "{after}");
    assert_eq!(protest_due(&after)["action"], "lifted", "{after}");
    assert!(get(w, &fr, &page).await.body.contains("Due to be lifted under this instance"), "the incident page says so");
}

/// France invites Germany to protest with it. Naming Germany signs nothing in its name:
/// Germany joins by its own act, and only then does the protest go out in both names.
async fn joint_measure_story(w: &World) {
    let fr = account(w, "fr-officer", "party", Some("state:FR"), None).await;
    let de = account(w, "de-officer", "party", Some("state:DE"), None).await;
    let pl = account(w, "pl-officer", "party", Some("state:PL"), None).await;
    let page = format!("/incidents/{}", w.clear);
    let respond = format!("{page}/respond");
    let r = post_form(w, &fr, &format!("{page}/attribute"), &[("state", "RU"), ("confidence", "likely"), ("basis", "technical_report")], true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = post_form(w, &fr, &respond, &[("rung", "private_protest"), ("against", "RU"), ("with", "state:DE"), ("description", "Joint note verbale"), ("tlp", "AMBER")], true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let measures: serde_json::Value = serde_json::from_str(&get_token(w, fr.token.as_deref(), &format!("/api/v1/incidents/{}/measures", w.clear)).await.body).unwrap();
    let m = measures["measures"][0]["id"].as_str().unwrap().to_string();
    let move_uri = format!("{page}/measures/{m}");

    // Not yet in Germany's name: France's page says Germany is invited, and notifying is refused.
    assert!(get(w, &fr, &page).await.body.contains("state:DE (invited, not joined)"));
    let r = post_form(w, &fr, &move_uri, &[("to", "notified")], true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "with[0]", "has not answered the invitation");
    // Germany sees the invitation and joins; Poland, not invited, cannot.
    assert!(get(w, &de, &page).await.body.contains("Joint note verbale"), "Germany reads the AMBER measure it is invited to");
    let shown = get(w, &de, &respond).await.body;
    assert!(shown.contains("Join this measure"), "{shown}");
    assert_eq!(post_form(w, &pl, &move_uri, &[("to", "joined")], true).await.status, StatusCode::NOT_FOUND, "Poland does not even see it");
    let r = post_json(w, fr.token.as_deref(), &format!("/api/v1/incidents/{}/measures/{m}/moves", w.clear), serde_json::json!({ "to": "joined" })).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "France cannot join for Germany: {}", r.body);
    let r = post_form(w, &de, &move_uri, &[("to", "joined")], true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!get(w, &de, &respond).await.body.contains("Join this measure"), "joined once");
    let r = post_form(w, &fr, &move_uri, &[("to", "notified")], true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let shown = get(w, &fr, &page).await.body;
    assert!(shown.contains("state:FR (proposing); state:DE (joined)") && !shown.contains("invited, not joined"), "{shown}");

    // Germany ends its own part, in its own words; France's protest goes on.
    let r = post_json(w, de.token.as_deref(), &format!("/api/v1/incidents/{}/measures/{m}/moves", w.clear), serde_json::json!({ "to": "left", "note": "Our part ends here." })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let listed: serde_json::Value = serde_json::from_str(&get_token(w, fr.token.as_deref(), &format!("/api/v1/incidents/{}/measures", w.clear)).await.body).unwrap();
    let measure = &listed["measures"].as_array().unwrap().iter().find(|x| x["id"] == m.as_str()).unwrap();
    assert_eq!((measure["left"][0]["note"].as_str(), measure["state"].as_str()), (Some("Our part ends here."), Some("notified")), "{listed}");

    // A state that may not read the incident cannot be invited: it could never answer.
    let amber = format!("/incidents/{}/respond", w.amber);
    let r = post_form(w, &fr, &amber, &[("rung", "private_protest"), ("against", "RU"), ("with", "state:PL")], true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "with[0]", "may not read this incident");

    // Nor is a measure notified to a state that may not read the incident: that would notify no one.
    let r = post_form(w, &fr, &format!("/incidents/{}/attribute", w.amber), &[("state", "RU"), ("confidence", "likely"), ("basis", "technical_report")], true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = post_form(w, &fr, &amber, &[("rung", "private_protest"), ("against", "RU"), ("tlp", "AMBER")], true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let listed: serde_json::Value = serde_json::from_str(&get_token(w, fr.token.as_deref(), &format!("/api/v1/incidents/{}/measures", w.amber)).await.body).unwrap();
    let sealed = listed["measures"][0]["id"].as_str().unwrap().to_string();
    let r = post_form(w, &fr, &format!("/incidents/{}/measures/{sealed}", w.amber), &[("to", "notified")], true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "to", "may not read this incident");

    // Poland, invited to a second protest, never answers: France withdraws its invitation,
    // saying why, and the protest no longer waits for it.
    let r = post_form(w, &fr, &respond, &[("rung", "private_protest"), ("against", "RU"), ("with", "PL"), ("description", "Second note"), ("tlp", "AMBER")], true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let listed: serde_json::Value = serde_json::from_str(&get_token(w, fr.token.as_deref(), &format!("/api/v1/incidents/{}/measures", w.clear)).await.body).unwrap();
    let second = listed["measures"].as_array().unwrap().iter().find(|x| x["description"] == "Second note").unwrap()["id"].as_str().unwrap().to_string();
    let second_uri = format!("{page}/measures/{second}");
    let shown = get(w, &fr, &respond).await.body;
    assert!(shown.contains("Withdraw the invitation to state:PL"), "{shown}");
    assert!(!get(w, &pl, &respond).await.body.contains("Withdraw the invitation"), "only the proposer withdraws");
    let r = post_form(w, &pl, &second_uri, &[("to", "uninvited"), ("invitee", "state:PL"), ("note", "I uninvite myself")], true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "party", "only state:FR, which invited it");
    let r = post_form(w, &fr, &second_uri, &[("to", "uninvited"), ("invitee", "state:PL")], true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "note", "say why");
    let r = post_form(w, &fr, &second_uri, &[("to", "notified"), ("invitee", "state:PL")], true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "invitee", "with `to` uninvited only");
    let r = post_form(w, &fr, &second_uri, &[("to", "uninvited"), ("invitee", "PL"), ("note", "No answer in ten days.")], true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let shown = get(w, &fr, &respond).await.body;
    assert!(shown.contains("state:PL (invitation withdrawn ") && shown.contains("No answer in ten days."), "France reads its own reason: {shown}");
    assert!(get(w, &pl, &respond).await.body.contains("No answer in ten days."), "and so does Poland");
    let r = post_form(w, &pl, &second_uri, &[("to", "joined")], true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "party", "withdrew its invitation");
    let r = post_form(w, &fr, &second_uri, &[("to", "notified")], true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "notified in France's name alone: {}", r.body);
}

#[tokio::test]
async fn an_invited_state_joins_a_joint_measure_by_its_own_act() {
    on_both!(joint_measure_story);
}

async fn get_token(w: &World, token: Option<&str>, uri: &str) -> Reply {
    let mut req = Request::builder().uri(uri);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    send(w, &Who::default(), req, Body::empty()).await
}

#[tokio::test]
async fn a_state_plans_a_response_proposes_and_moves_a_measure_and_records_compliance() {
    on_both!(respond_story);
}

// ---------------------------------------------------------------- what was typed survives a refusal

async fn typed_text_story(w: &World) {
    let fr = account(w, "fr-officer", "party", Some("state:FR"), Some("org:fr-anssi")).await;
    let description = "Wiper at the finance ministry; three days of forensic notes follow. ".repeat(40);
    let report = [("title", "Finance ministry wiper"), ("description", description.as_str()), ("start_date", "2024-13-01"), ("target_state", "FR"), ("tlp", "AMBER")];
    let r = post_form(w, &fr, "/report", &report, true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "start_date", "2024-13-01");
    assert!(r.body.contains("value=\"Finance ministry wiper\"") && r.body.contains(description.trim_end()), "the report comes back as typed");
    assert!(r.body.contains("<option value=\"AMBER\" selected>"), "with its marking");

    let claim = "The organs of Germany destroyed data on the systems of the ministry (ILC art. 4). ".repeat(100);
    let incident = w.clear.to_string();
    let case = [("respondent", "DE"), ("title", "France v. Germany"), ("incidents", incident.as_str()), ("claim", claim.as_str()), ("tlp", "GREEN")];
    let r = post_form(w, &fr, "/cases/new", &case, true).await;
    assert_refused_on_form(&r, StatusCode::BAD_REQUEST, "respondent", "DE");
    assert!(r.body.contains(claim.trim_end()) && r.body.contains("value=\"France v. Germany\""), "the statement of claim comes back as typed");
    assert!(r.body.contains("<option value=\"GREEN\" selected>"), "with its marking");
    assert!(!r.body.contains("value=\"RED\"") && !r.body.contains("value=\"AMBER+STRICT\""), "markings no party could read a case under are not offered");
    // Nothing was written.
    assert!(w.state.store().cases(None, Some(&PartyId::parse("p", "state:FR").unwrap())).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_refused_report_or_case_comes_back_with_what_was_typed() {
    on_both!(typed_text_story);
}
