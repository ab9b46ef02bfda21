//! The forum over HTTP: a state files a case through the API, a third state can neither
//! see nor act in it, the tribunal's ruling is issued through the API and read by the
//! public on the case page (`#ruling`), and it becomes precedent shown on a similar
//! incident's page. Run on SQLite and PostgreSQL.
//!
//! Run: `cargo test -p pacta-server --test forum`.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, Utc};
use http_body_util::BodyExt;
use pacta_core::*;
use pacta_forum::case::{Action, Stage};
use pacta_forum::panel::{Arbitrator, PanelRole};
use pacta_ledger::note::NoteSigner;
use pacta_server::{AppState, app};
use pacta_store::accounts::TokenScope;
use pacta_store::forum::cases::NewCase;
use pacta_store::testing::TestDb;
use std::sync::Arc;
use tower::ServiceExt;

fn party(s: &str) -> PartyId {
    PartyId::parse("p", s).unwrap()
}

async fn call(state: &AppState, token: Option<&str>, method: &str, uri: &str, body: Option<serde_json::Value>) -> (StatusCode, String) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = match body {
        Some(b) => req.header("content-type", "application/json").body(Body::from(b.to_string())).unwrap(),
        None => req.body(Body::empty()).unwrap(),
    };
    let res = app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    (status, String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned())
}

fn wiper(title: &str) -> Incident {
    let mut i = Incident::new(title, Tlp::Clear);
    i.operation_types = vec![OperationType::Destruction];
    i.targets.push(Target { state: Some(StateCode::parse("s", "FR").unwrap()), place: None, sector: Sector::Government, entity: None });
    i.alleged_actors.push(Actor { name: None, state: Some(StateCode::parse("s", "RU").unwrap()), category: ActorCategory::State });
    i
}

/// France's AMBER case against Russia about `incident`, filed at `t0` and taken through
/// consultation and a failed mediation by `mediator` to arbitration (day 71).
async fn case_in_arbitration(store: &pacta_store::Store, incident: IncidentId, title: &str, claim: &str, mediator: &str, t0: chrono::DateTime<Utc>) -> uuid::Uuid {
    let new = NewCase { claimant: party("state:FR"), respondent: party("state:RU"), title: title.into(), incidents: vec![incident], claim: claim.into(), evidence: vec![], tlp: Tlp::Amber };
    let case = store.file_case(&party("state:FR"), new, t0).await.unwrap().case.id;
    for (who, action, day) in [
        ("state:FR", Action::Escalate { to: Stage::Mediation, reason: "No agreement.".into() }, 61),
        ("org:secretariat", Action::Appoint { party: party(mediator), role: PanelRole::Mediator }, 62),
        (mediator, Action::DeclareImpasse { reason: "No common ground.".into() }, 70),
        ("state:FR", Action::Escalate { to: Stage::Arbitration, reason: "Mediation failed.".into() }, 71),
    ] {
        store.act_on_case(&party(who), case, action, t0 + Duration::days(day)).await.unwrap();
    }
    case
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_is_filed_through_the_api_and_its_published_ruling_is_read_by_the_public() {
    for db in TestDb::both().await {
        eprintln!("-- on {}", db.store.backend());
        let store = Arc::new(pacta_store::Store::open(&db.url).await.unwrap());
        for (i, p) in ["state:FR", "state:RU", "state:DE", "org:secretariat"].iter().enumerate() {
            let signer = NoteSigner::from_seed(p, [i as u8 + 1; 32]).unwrap();
            store.register_party_key(&party(p), &party(p), &signer.verifier().to_vkey()).await.unwrap();
        }
        let (incident, _) = store.report_incident(IncidentRecord::new(wiper("Wiper at the French finance ministry")), &party("state:FR")).await.unwrap();
        let (later, _) = store.report_incident(IncidentRecord::new(wiper("Wiper at the French interior ministry")), &party("state:FR")).await.unwrap();
        let arbitrator = Arbitrator { party: party("org:arb-okafor"), name: "Chidi Okafor".into(), nationalities: vec![StateCode::parse("s", "NG").unwrap()], affiliations: vec![], roles: vec![PanelRole::Mediator, PanelRole::Arbitrator] };
        store.list_neutral(&party("org:secretariat"), arbitrator).await.unwrap();
        let mut tokens = std::collections::HashMap::new();
        for (name, role, p, o) in [("fr", "party", Some("state:FR"), None), ("ru", "party", Some("state:RU"), None), ("de", "party", Some("state:DE"), None), ("okafor", "arbitrator", None, Some("org:arb-okafor"))] {
            store.create_account(&pacta_core::PartyId::for_organisation("secretariat"), name, role, p.map(party).as_ref(), o.map(party).as_ref(), None).await.unwrap();
            let (token, digest) = pacta_server::auth::new_token();
            store.add_token(name, &digest, TokenScope::ReadWrite, "test").await.unwrap();
            tokens.insert(name, token);
        }
        let t = |n: &str| Some(tokens[n].clone());
        let state = AppState::new(store.clone());

        // France files through the API; the claimant is its account's party.
        let body = serde_json::json!({ "respondent": "state:RU", "title": "France v. Russia (API)", "incidents": [incident.to_string()], "claim": "Secret pleading about the ministry." });
        assert_eq!(call(&state, None, "POST", "/api/v1/cases", Some(body.clone())).await.0, StatusCode::UNAUTHORIZED);
        // A filter names its own parameter when refused.
        for list in ["/api/v1/cases?incident=abc", "/api/v1/consultations?incident=abc"] {
            let (status, err) = call(&state, t("fr").as_deref(), "GET", list, None).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{list}: {err}");
            assert!(err.contains("\"message\":\"incident: "), "{list}: {err}");
        }
        // A field of the wrong type is named, not left to a line and a column; so is RED,
        // which no party's account could read.
        let mistyped = serde_json::json!({ "respondent": 5, "title": "t", "incidents": [incident.to_string()], "claim": "c" });
        let (status, err) = call(&state, t("fr").as_deref(), "POST", "/api/v1/cases", Some(mistyped)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err.contains("field respondent: invalid type: integer `5`"), "{err}");
        let red = serde_json::json!({ "respondent": "state:RU", "title": "t", "incidents": [incident.to_string()], "claim": "c", "tlp": "RED" });
        let (status, err) = call(&state, t("fr").as_deref(), "POST", "/api/v1/cases", Some(red)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
        assert!(err.contains("tlp") && err.contains("Mark it AMBER"), "{err}");
        let (status, filed) = call(&state, t("fr").as_deref(), "POST", "/api/v1/cases", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{filed}");
        let filed: serde_json::Value = serde_json::from_str(&filed).unwrap();
        let api_case = filed["case"]["id"].as_str().unwrap().to_string();
        assert_eq!(filed["case"]["claimant"], "state:FR");
        // Germany does not see the AMBER case, and cannot act in it: to Germany it does not exist.
        assert_eq!(call(&state, t("de").as_deref(), "GET", &format!("/api/v1/cases/{api_case}"), None).await.0, StatusCode::NOT_FOUND);
        assert_eq!(call(&state, t("ru").as_deref(), "GET", &format!("/api/v1/cases/{api_case}"), None).await.0, StatusCode::OK);
        let submission = serde_json::json!({ "action": "file", "kind": "submission", "text": "Germany supports France.", "evidence": [] });
        let (status, err) = call(&state, t("de").as_deref(), "POST", &format!("/api/v1/cases/{api_case}/actions"), Some(submission)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{err}");
        assert!(err.contains("unknown case") && !err.contains("state:RU"), "{err}");

        // A deadline no calendar holds is refused by name (it once panicked the handler).
        let forever = serde_json::json!({ "template": "request_for_information", "to": "state:RU", "subject": "Logs", "acknowledge_within_hours": i64::MAX });
        let (status, err) = call(&state, t("fr").as_deref(), "POST", "/api/v1/consultations", Some(forever)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
        assert!(err.contains("acknowledge_within_hours") && err.contains("ten years"), "{err}");

        // A request for information, answered through the API; a third state sees nothing.
        let rfi = serde_json::json!({ "template": "request_for_information", "to": "state:RU", "subject": "Logs of the staging servers", "incident": incident.to_string() });
        let (status, sent) = call(&state, t("fr").as_deref(), "POST", "/api/v1/consultations", Some(rfi)).await;
        assert_eq!(status, StatusCode::CREATED, "{sent}");
        let sent: serde_json::Value = serde_json::from_str(&sent).unwrap();
        let request = sent["consultation"]["request"]["id"].as_str().unwrap().to_string();
        let (status, err) = call(&state, t("de").as_deref(), "POST", &format!("/api/v1/consultations/{request}/reply"), Some(serde_json::json!({ "reply": "acknowledge" }))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "a request Germany may not read is not there for it");
        assert!(err.contains("unknown request"), "{err}");
        // Words sent with an acknowledgement would be dropped: they are refused instead.
        let (status, err) = call(&state, t("ru").as_deref(), "POST", &format!("/api/v1/consultations/{request}/reply"), Some(serde_json::json!({ "reply": "acknowledge", "text": "No logs are kept." }))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
        assert!(err.contains("text") && err.contains("receipt only"), "{err}");
        let (status, _) = call(&state, t("ru").as_deref(), "POST", &format!("/api/v1/consultations/{request}/reply"), Some(serde_json::json!({ "reply": "refused", "text": "No logs are kept." }))).await;
        assert_eq!(status, StatusCode::OK);
        let (_, page) = call(&state, t("fr").as_deref(), "GET", "/consultations", None).await;
        assert!(page.contains("Logs of the staging servers") && page.contains("answered (refused)") && page.contains("cooperation_refused = yes"), "{page}");
        let (_, page) = call(&state, t("de").as_deref(), "GET", "/consultations", None).await;
        assert!(!page.contains("Logs of the staging servers"));

        // A case that has been through consultation and mediation (filed months ago):
        // the tribunal rules through the API.
        let t0 = Utc::now() - Duration::days(200);
        let case = case_in_arbitration(&store, incident, "France v. Russia (finance ministry wiper)", "Confidential pleading text.", "org:arb-okafor", t0).await;
        let step = |who: &str, action: Action, days: i64| {
            let store = store.clone();
            let who = party(who);
            async move { store.act_on_case(&who, case, action, t0 + Duration::days(days)).await.unwrap() }
        };
        // The mediator may not arbitrate: the secretariat's attempt is refused by rule.
        let e = store.act_on_case(&party("org:secretariat"), case, Action::Appoint { party: party("org:arb-okafor"), role: PanelRole::Arbitrator }, t0 + Duration::days(72)).await.unwrap_err().to_string();
        assert!(e.contains("panel.mediator_as_arbitrator"), "{e}");
        // Another neutral sits as the tribunal.
        let other = Arbitrator { party: party("org:arb-lindqvist"), name: "Anna Lindqvist".into(), nationalities: vec![StateCode::parse("s", "SE").unwrap()], affiliations: vec![], roles: vec![PanelRole::Arbitrator] };
        store.list_neutral(&party("org:secretariat"), other).await.unwrap();
        step("org:secretariat", Action::Appoint { party: party("org:arb-lindqvist"), role: PanelRole::Arbitrator }, 72).await;
        store.create_account(&party("org:secretariat"), "lindqvist", "arbitrator", None, Some(&party("org:arb-lindqvist")), None).await.unwrap();
        let (token, digest) = pacta_server::auth::new_token();
        store.add_token("lindqvist", &digest, TokenScope::ReadWrite, "test").await.unwrap();
        // Before the ruling, the similar incident's page has no precedent to show (and the
        // server now holds the forum's precedents as of this log size).
        let (_, page) = call(&state, None, "GET", &format!("/incidents/{later}"), None).await;
        assert!(!page.contains(&format!("/cases/{case}")), "{page}");
        let due = (Utc::now() + Duration::days(30)).to_rfc3339();
        let ruling = serde_json::json!({ "action": "rule", "ruling": {
            "issued_by": "state:FR", "at": "2000-01-01T00:00:00Z",
            "summary": "The wiper operation violated French sovereignty.",
            "findings": [{ "incident": incident.to_string(), "instrument": "tallinn-2", "rule": "tallinn.r4.sovereignty", "breached": true, "text": "Data were destroyed on government systems." }],
            "remedies": [{ "kind": "compensation", "description": "Restoration costs.", "amount": { "value": 2000000, "currency": "EUR" }, "due": due }],
            "published": true } });
        assert_eq!(call(&state, t("fr").as_deref(), "POST", &format!("/api/v1/cases/{case}/actions"), Some(ruling.clone())).await.0, StatusCode::BAD_REQUEST, "a party does not rule");
        let (status, ruled) = call(&state, Some(&token), "POST", &format!("/api/v1/cases/{case}/actions"), Some(ruling)).await;
        assert_eq!(status, StatusCode::OK, "{ruled}");
        let ruled: serde_json::Value = serde_json::from_str(&ruled).unwrap();
        assert_eq!(ruled["case"]["ruling"]["issued_by"], "org:arb-lindqvist", "the issuer is the account's, not the body's");

        // The public reads the ruling on the case page, not the pleadings.
        let (status, page) = call(&state, None, "GET", &format!("/cases/{case}"), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains("id=\"ruling\"") && page.contains("violated French sovereignty") && page.contains("EUR 2000000"), "{page}");
        assert!(!page.contains("Confidential pleading text"), "the pleadings keep their marking");
        assert_eq!(call(&state, None, "GET", &format!("/cases/{api_case}"), None).await.0, StatusCode::NOT_FOUND);
        let (_, mine) = call(&state, t("fr").as_deref(), "GET", &format!("/cases/{case}"), None).await;
        assert!(mine.contains("Confidential pleading text"), "a party reads its own case whole");

        // Precedent: found by rule and outcome, and shown on a similar incident's page.
        let (_, hits) = call(&state, None, "GET", "/api/v1/precedent?rule=tallinn.r4.sovereignty&outcome=breach", None).await;
        assert!(hits.contains(&case.to_string()), "{hits}");
        let (_, hits) = call(&state, None, "GET", "/precedent?outcome=settled", None).await;
        assert!(!hits.contains(&case.to_string()));
        let (_, page) = call(&state, None, "GET", &format!("/incidents/{later}"), None).await;
        assert!(page.contains("Similar earlier cases") && page.contains(&format!("/cases/{case}#ruling")), "{page}");
        // A case is not its own precedent: the incident it was about does not list it.
        let (_, page) = call(&state, None, "GET", &format!("/incidents/{incident}"), None).await;
        assert!(!page.contains(&format!("/cases/{case}#ruling")), "{page}");

        // The OpenAPI document describes the forum's endpoints.
        let (_, doc) = call(&state, None, "GET", "/api/v1/openapi.json", None).await;
        for path in ["/api/v1/cases/{id}/actions", "/api/v1/consultations/{id}/reply", "/api/v1/precedent", "/api/v1/reachability"] {
            assert!(doc.contains(path), "{path} missing from the OpenAPI document");
        }

        // The directory is for registered accounts.
        assert_eq!(call(&state, None, "GET", "/api/v1/contacts", None).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(call(&state, t("de").as_deref(), "GET", "/api/v1/reachability", None).await.0, StatusCode::OK);
        store.close().await;
        db.drop_db().await;
    }
}

/// A three-member tribunal deliberates over HTTP: one arbitrator's ruling is a draft that
/// only the tribunal reads (not even a party acting meanwhile gets it back), and a second
/// arbitrator's concurrence in that very draft issues it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_three_member_tribunals_draft_is_read_by_the_tribunal_alone_and_issued_by_a_concurrence() {
    for db in TestDb::both().await {
        eprintln!("-- on {}", db.store.backend());
        let store = Arc::new(pacta_store::Store::open(&db.url).await.unwrap());
        for (i, p) in ["state:FR", "state:RU", "org:secretariat"].iter().enumerate() {
            let signer = NoteSigner::from_seed(p, [i as u8 + 1; 32]).unwrap();
            store.register_party_key(&party(p), &party(p), &signer.verifier().to_vkey()).await.unwrap();
        }
        let (incident, _) = store.report_incident(IncidentRecord::new(wiper("Wiper at the French finance ministry")), &party("state:FR")).await.unwrap();
        let neutrals = [("med", "SE", PanelRole::Mediator), ("arb-a", "NG", PanelRole::Arbitrator), ("arb-b", "BR", PanelRole::Arbitrator), ("arb-c", "JP", PanelRole::Arbitrator)];
        for (handle, nationality, role) in neutrals {
            let n = Arbitrator { party: party(&format!("org:{handle}")), name: handle.into(), nationalities: vec![StateCode::parse("s", nationality).unwrap()], affiliations: vec![], roles: vec![role] };
            store.list_neutral(&party("org:secretariat"), n).await.unwrap();
        }
        let mut tokens = std::collections::HashMap::new();
        for (name, role, p, o) in [("fr", "party", Some("state:FR"), None), ("arb-a", "arbitrator", None, Some("org:arb-a")), ("arb-b", "arbitrator", None, Some("org:arb-b"))] {
            store.create_account(&party("org:secretariat"), name, role, p.map(party).as_ref(), o.map(party).as_ref(), None).await.unwrap();
            let (token, digest) = pacta_server::auth::new_token();
            store.add_token(name, &digest, TokenScope::ReadWrite, "test").await.unwrap();
            tokens.insert(name, token);
        }
        let t = |n: &str| Some(tokens[n].clone());
        let state = AppState::new(store.clone());
        let t0 = Utc::now() - Duration::days(200);
        let case = case_in_arbitration(&store, incident, "France v. Russia", "Pleading.", "org:med", t0).await;
        for a in ["org:arb-a", "org:arb-b", "org:arb-c"] {
            store.act_on_case(&party("org:secretariat"), case, Action::Appoint { party: party(a), role: PanelRole::Arbitrator }, t0 + Duration::days(72)).await.unwrap();
        }
        let actions = format!("/api/v1/cases/{case}/actions");
        let ruling = serde_json::json!({ "action": "rule", "ruling": {
            "issued_by": "org:arb-a", "at": "2000-01-01T00:00:00Z",
            "summary": "Draft: the wiper operation violated French sovereignty.",
            "findings": [{ "incident": incident.to_string(), "instrument": "tallinn-2", "rule": "tallinn.r4.sovereignty", "breached": true, "text": "Data were destroyed." }],
            "remedies": [], "published": true } });
        let (status, drafted) = call(&state, t("arb-a").as_deref(), "POST", &actions, Some(ruling)).await;
        assert_eq!(status, StatusCode::OK, "{drafted}");
        let drafted: serde_json::Value = serde_json::from_str(&drafted).unwrap();
        assert!(drafted["case"]["ruling"].is_null() && drafted["case"]["draft_ruling"]["summary"].is_string(), "{drafted}");
        // The API gives the reference a concurrence names: the drafter and a digest of the text.
        let draft = drafted["case"]["draft_ruling"]["reference"].as_str().unwrap().to_string();
        assert!(draft.starts_with("org:arb-a@"), "{draft}");

        // France, a party, acts meanwhile: its answer does not carry the draft, nor do its reads.
        let (status, answer) = call(&state, t("fr").as_deref(), "POST", &actions, Some(serde_json::json!({ "action": "propose_settlement", "terms": "A joint statement." }))).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert!(!answer.contains("Draft: the wiper"), "{answer}");
        let (_, page) = call(&state, t("fr").as_deref(), "GET", &format!("/cases/{case}"), None).await;
        assert!(!page.contains("Draft: the wiper") && !page.contains("draft-ruling"), "{page}");
        let (_, page) = call(&state, t("arb-b").as_deref(), "GET", &format!("/cases/{case}"), None).await;
        assert!(page.contains("id=\"draft-ruling\"") && page.contains("Draft: the wiper") && page.contains("To be published when issued"), "the tribunal reads its draft, all it would issue: {page}");
        // A finding on a rule that is not codified is refused, as the CLI refuses it.
        let bad = serde_json::json!({ "action": "rule", "ruling": { "issued_by": "org:arb-a", "at": "2000-01-01T00:00:00Z", "summary": "s",
            "findings": [{ "incident": incident.to_string(), "rule": "no.such.rule", "breached": true, "text": "t" }], "remedies": [], "published": true } });
        let (status, err) = call(&state, t("arb-a").as_deref(), "POST", &actions, Some(bad)).await;
        assert!(status == StatusCode::BAD_REQUEST && err.contains("no.such.rule"), "{status} {err}");

        // B concurs in the draft it read: the ruling is issued, naming both.
        let (status, err) = call(&state, t("arb-b").as_deref(), "POST", &actions, Some(serde_json::json!({ "action": "concur", "draft": "org:arb-a@2000-01-01T00:00:00.000000Z" }))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "a concurrence in another text is refused: {err}");
        let (status, issued) = call(&state, t("arb-b").as_deref(), "POST", &actions, Some(serde_json::json!({ "action": "concur", "draft": draft }))).await;
        assert_eq!(status, StatusCode::OK, "{issued}");
        let (_, page) = call(&state, None, "GET", &format!("/cases/{case}"), None).await;
        assert!(page.contains("id=\"ruling\"") && page.contains("by org:arb-a (drafting), concurred in by org:arb-b"), "{page}");
        store.close().await;
        db.drop_db().await;
    }
}
