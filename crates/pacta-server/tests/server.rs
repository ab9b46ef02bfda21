//! The server, driven through `app(state).oneshot(request)` on a throwaway SQLite
//! registry holding the bundled EuRepoC sample, one AMBER incident that the public must
//! never see, and one CLEAR incident carrying a private attribution claim.
//!
//! Run: `cargo test -p pacta-server`.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use pacta_core::*;
use pacta_server::{AppState, app};
use pacta_store::testing::TestDb;
use pacta_store::{IncidentFilter, Store};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use tower::ServiceExt;

/// A word that appears only in the restricted incident.
const SECRET: &str = "Quillwort";
/// A word that appears only in the private attribution claim.
const PRIVATE_ACTOR: &str = "Hornbeam Group";

struct Fixture {
    db: TestDb,
    state: AppState,
    amber: IncidentId,
    clear_with_private_claim: IncidentId,
    /// How many incidents the public may see.
    public_total: u64,
}

fn state(code: &str) -> StateCode {
    StateCode::parse("state", code).unwrap()
}

async fn fixture() -> Fixture {
    let db = TestDb::sqlite().await.expect("a SQLite test database");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/eurepoc-1.1-even");
    let records = pacta_import::eurepoc::read_dir(&dir).expect("the bundled sample").records;
    let actor = PartyId::parse("as", "org:test-importer").unwrap();
    db.store.import_records(records, &actor, |_| {}).await.expect("import");

    // The restricted incident: France targeted, Russia alleged, attributed by France.
    let mut amber = Incident::new(format!("{SECRET} intrusion into a grid operator"), Tlp::Amber);
    amber.description = format!("Restricted: {SECRET} only.");
    amber.start_date = Some(incident::parse_date("d", "2023-05-01").unwrap());
    amber.operation_types = vec![OperationType::Disruption];
    amber.targets.push(Target { state: Some(state("FR")), place: None, sector: Sector::Energy, entity: Some(format!("{SECRET} Power")) });
    amber.alleged_actors.push(Actor { name: Some(format!("{SECRET} Bear")), state: Some(state("RU")), category: ActorCategory::State });
    let amber_id = amber.id;
    let mut record = IncidentRecord::new(amber);
    record.parties.push(Party::state(state("FR")));
    record.attributions.push(Attribution {
        id: AttributionId::new(),
        incident: amber_id,
        attributors: vec![PartyId::for_state(state("FR"))],
        attributor_label: None,
        actor_name: Some(format!("{SECRET} Bear")),
        actor_state: Some(state("RU")),
        actor_category: ActorCategory::State,
        basis: AttributionBasis::TechnicalReport,
        confidence: Some(Confidence::Likely),
        visibility: Visibility::Public,
        date: None,
        origin_ref: None,
    });
    let reporter = PartyId::parse("as", "state:FR").unwrap();
    db.store.report_incident(record, &reporter).await.expect("report the AMBER incident");

    // A public incident whose only claim is private (Germany, shared with France).
    let mut clear = Incident::new("Phishing wave against a ministry", Tlp::Clear);
    clear.start_date = Some(incident::parse_date("d", "2023-06-01").unwrap());
    clear.targets.push(Target { state: Some(state("DE")), place: None, sector: Sector::Government, entity: None });
    let clear_id = clear.id;
    let mut record = IncidentRecord::new(clear);
    record.parties.push(Party::state(state("DE")));
    record.parties.push(Party::state(state("FR")));
    record.attributions.push(Attribution {
        id: AttributionId::new(),
        incident: clear_id,
        attributors: vec![PartyId::for_state(state("DE"))],
        attributor_label: None,
        actor_name: Some(PRIVATE_ACTOR.to_string()),
        actor_state: None,
        actor_category: ActorCategory::NonStateGroup,
        basis: AttributionBasis::TechnicalReport,
        confidence: None,
        visibility: Visibility::Private { shared_with: vec![PartyId::for_state(state("FR"))] },
        date: None,
        origin_ref: None,
    });
    db.store.report_incident(record, &PartyId::parse("as", "state:DE").unwrap()).await.expect("report the CLEAR incident");

    let public_total = db.store.count_incidents(&IncidentFilter { max_tlp: Some(Tlp::Clear), ..Default::default() }).await.unwrap();
    let all = db.store.count_incidents(&IncidentFilter::default()).await.unwrap();
    assert_eq!(all, public_total + 1, "exactly one incident is restricted");
    // The app gets its own handle on the same database; the TestDb keeps its own so it
    // can drop the database at the end.
    let store: Arc<Store> = Arc::new(Store::open(&db.url).await.expect("reopen the test database"));
    Fixture { state: AppState::new(store), db, amber: amber_id, clear_with_private_claim: clear_id, public_total }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn content_type(&self) -> &str {
        self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Asserts the stable error body and returns its message.
    fn error(&self, status: StatusCode, code: &str) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        let v = self.json();
        assert_eq!(v["error"]["code"], code, "{}", self.body);
        v["error"]["message"].as_str().expect("a message").to_string()
    }
}

async fn send(f: &Fixture, req: Request<Body>) -> Reply {
    let res = app(f.state.clone()).oneshot(req).await.expect("the router never fails");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.expect("a body").to_bytes();
    Reply { status, headers, body: String::from_utf8(bytes.to_vec()).expect("UTF-8") }
}

async fn get(f: &Fixture, uri: &str) -> Reply {
    send(f, Request::get(uri).body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn the_incident_list_filters_and_paginates() {
    let f = fixture().await;
    let all = get(&f, "/api/v1/incidents").await.json();
    assert_eq!(all["total"], f.public_total);
    assert_eq!((all["offset"].as_u64(), all["limit"].as_u64()), (Some(0), Some(50)));
    assert_eq!(all["incidents"].as_array().unwrap().len(), 50);

    // Pages do not overlap and together cover the list.
    let p1 = get(&f, "/api/v1/incidents?limit=7").await.json();
    let p2 = get(&f, "/api/v1/incidents?limit=7&offset=7").await.json();
    let both = get(&f, "/api/v1/incidents?limit=14").await.json();
    let ids = |v: &Value| v["incidents"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!([ids(&p1), ids(&p2)].concat(), ids(&both));
    let last = get(&f, &format!("/api/v1/incidents?offset={}", f.public_total - 3)).await.json();
    assert_eq!(last["incidents"].as_array().unwrap().len(), 3);
    let abyss = get(&f, "/api/v1/incidents?offset=10000000000").await.json();
    assert_eq!(abyss["incidents"].as_array().unwrap().len(), 0, "a page past the end is empty");
    assert_eq!(abyss["total"], f.public_total);

    let ua = get(&f, "/api/v1/incidents?state=ua&limit=200").await.json();
    assert!(ua["total"].as_u64().unwrap() > 0);
    for i in ua["incidents"].as_array().unwrap() {
        let involved = [&i["target_states"], &i["alleged_states"]].iter().any(|l| l.as_array().unwrap().iter().any(|s| s == "UA"));
        assert!(involved, "{i}");
    }
    let ransomware = get(&f, "/api/v1/incidents?type=ransomware&limit=200").await.json();
    assert!(ransomware["total"].as_u64().unwrap() > 0);
    assert!(ransomware["incidents"].as_array().unwrap().iter().all(|i| i["operation_types"].as_array().unwrap().iter().any(|t| t == "ransomware")));
    let dated = get(&f, "/api/v1/incidents?from=2020-01-01&to=2020-12-31&limit=200").await.json();
    assert!(dated["total"].as_u64().unwrap() > 0);
    assert!(dated["incidents"].as_array().unwrap().iter().all(|i| i["start_date"].as_str().unwrap().starts_with("2020-")));
    let energy = get(&f, "/api/v1/incidents?sector=energy&target=UA&alleged=RU").await.json();
    assert!(energy["total"].as_u64().unwrap() <= ua["total"].as_u64().unwrap());
    // Full-text search: case-insensitive, every word must match, best match first; a
    // phrase matches the words in order only.
    let text = get(&f, "/api/v1/incidents?q=PHISHING%20wave").await.json();
    assert!(text["total"].as_u64().unwrap() >= 1, "{text}");
    assert_eq!(text["incidents"][0]["title"], "Phishing wave against a ministry", "the title match ranks first: {text}");
    let phrase = get(&f, "/api/v1/incidents?q=%22PHISHING%20wave%22").await.json();
    assert_eq!(phrase["total"], 1, "a phrase: {phrase}");
    // An empty value means "any", as an untouched form field sends it.
    assert_eq!(get(&f, "/api/v1/incidents?sector=&q=").await.json()["total"], f.public_total);
    f.db.drop_db().await;
}

#[tokio::test]
async fn an_incident_is_found_by_uuid_and_by_origin() {
    let f = fixture().await;
    let by_origin = get(&f, "/api/v1/incidents/eurepoc:2").await;
    assert_eq!(by_origin.status, StatusCode::OK, "{}", by_origin.body);
    let v = by_origin.json();
    assert_eq!(v["origin"]["dataset"], "eurepoc");
    assert_eq!(v["origin"]["record_id"], "2");
    assert_eq!(v["tlp"], "CLEAR");
    assert!(v["log_index"].is_u64());
    let by_uuid = get(&f, &format!("/api/v1/incidents/{}", v["id"].as_str().unwrap())).await;
    assert_eq!(by_uuid.json(), v);
    f.db.drop_db().await;
}

#[tokio::test]
async fn bad_parameters_are_refused_with_400_naming_them() {
    let f = fixture().await;
    for (uri, param, value) in [
        ("/api/v1/incidents?sector=enrgy", "sector", "enrgy"),
        ("/api/v1/incidents?type=hugging", "type", "hugging"),
        ("/api/v1/incidents?state=XX", "state", "XX"),
        ("/api/v1/incidents?target=France", "target", "France"),
        ("/api/v1/incidents?from=2020-13-01", "from", "2020-13-01"),
        ("/api/v1/incidents?limit=500", "limit", "500"),
        ("/api/v1/incidents?limit=ten", "limit", "ten"),
        ("/api/v1/incidents?offset=-1", "offset", "-1"),
        ("/api/v1/incidents?from=2021-01-01&to=2020-01-01", "to", "2020-01-01"),
        ("/api/v1/states/ZZ", "code", "ZZ"),
        ("/api/v1/incidents/nonsense", "id", "nonsense"),
    ] {
        let message = get(&f, uri).await.error(StatusCode::BAD_REQUEST, "bad_parameter");
        assert!(message.starts_with(param) && message.contains(value), "{uri}: {message}");
    }
    for uri in ["/api/v1/incidents?sectr=energy", "/api/v1/stats?x=1", "/api/v1/incidents/eurepoc:2?full=1", "/api/v1/states/UA?lang=fr"] {
        let message = get(&f, uri).await.error(StatusCode::BAD_REQUEST, "unknown_parameter");
        assert!(message.contains("unknown parameter"), "{uri}: {message}");
    }
    let huge = format!("/api/v1/incidents?q={}", "a".repeat(5000));
    get(&f, &huge).await.error(StatusCode::BAD_REQUEST, "bad_parameter");
    // A method the endpoint does not take gets the same error body, from the router.
    let delete = send(&f, Request::delete("/api/v1/incidents").body(Body::from("{}")).unwrap()).await;
    delete.error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    // A refusal that comes from axum's extractors rather than our parsers still names
    // the field: as JSON under /api/, as the error page on the pages.
    let precedent = get(&f, "/api/v1/precedent?q=sovereignty").await.error(StatusCode::BAD_REQUEST, "bad_request");
    assert!(precedent.contains("`q`") && precedent.contains("`text`"), "{precedent}");
    let page = get(&f, "/precedent?q=sovereignty").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert!(page.body.contains("<html") && page.body.contains("`q`") && page.body.contains("`text`"), "{}", page.body);
    let login = send(&f, Request::post("/login").header("content-type", "application/x-www-form-urlencoded").body(Body::from("user=x")).unwrap()).await;
    assert!(login.status.is_client_error() && login.body.contains("<html") && login.body.contains("`user`"), "{} {}", login.status, login.body);
    f.db.drop_db().await;
}

#[tokio::test]
async fn unknown_incidents_and_paths_are_404() {
    let f = fixture().await;
    for uri in ["/api/v1/incidents/0190a5e2-7c3b-7d40-8000-000000000000", "/api/v1/incidents/eurepoc:999999", "/api/v1/incidents/nosuchset:1", "/api/v1/nothing-here"] {
        get(&f, uri).await.error(StatusCode::NOT_FOUND, "not_found");
    }
    let page = get(&f, "/incidents/eurepoc:999999").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.content_type().starts_with("text/html") && page.body.contains("404"), "{}", page.body);
    let page = get(&f, "/no/such/page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.content_type().starts_with("text/html"));
    f.db.drop_db().await;
}

#[tokio::test]
async fn a_restricted_incident_is_invisible_to_the_public_everywhere() {
    let f = fixture().await;
    // By id: the same 404 as for an incident that does not exist (no 403).
    let amber = get(&f, &format!("/api/v1/incidents/{}", f.amber)).await;
    let message = amber.error(StatusCode::NOT_FOUND, "not_found");
    let missing = get(&f, "/api/v1/incidents/0190a5e2-7c3b-7d40-8000-000000000000").await.error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(message.replace(&f.amber.to_string(), "ID"), missing.replace("0190a5e2-7c3b-7d40-8000-000000000000", "ID"));
    assert_eq!(get(&f, &format!("/incidents/{}", f.amber)).await.status, StatusCode::NOT_FOUND);

    // Not listed, not found by search, not counted.
    assert_eq!(get(&f, &format!("/api/v1/incidents?q={SECRET}")).await.json()["total"], 0);
    let fr = get(&f, "/api/v1/incidents?target=FR&sector=energy&from=2023-05-01&to=2023-05-01").await.json();
    assert_eq!(fr["total"], 0, "{fr}");
    let stats = get(&f, "/api/v1/stats").await.json();
    assert_eq!(stats["incidents"], f.public_total);
    let everything = f.db.store.stats(&pacta_store::IncidentFilter::default()).await.unwrap();
    assert_eq!(everything.incidents, f.public_total + 1);
    let years: u64 = stats["by_year"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(years, f.public_total, "every public incident is counted once by year, and nothing else");
    let fr_count = |v: &Value| v["by_target_state"]["FR"].as_u64().unwrap_or(0);
    assert_eq!(fr_count(&stats) + 1, everything.by_target_state.get("FR").copied().unwrap_or(0), "France's count excludes the AMBER incident");
    assert!(!stats.to_string().contains(SECRET));

    // Not in the state records (as target, as alleged author, as attributor).
    for code in ["FR", "RU"] {
        let record = get(&f, &format!("/api/v1/states/{code}")).await;
        assert_eq!(record.status, StatusCode::OK);
        assert!(!record.body.contains(SECRET) && !record.body.contains(&f.amber.to_string()), "{code}: {}", record.body);
        let page = get(&f, &format!("/states/{code}")).await;
        assert!(!page.body.contains(SECRET), "{code} page");
    }
    let fr_record = get(&f, "/api/v1/states/FR").await.json();
    assert_eq!(fr_record["as_target"]["total"].as_u64(), Some(fr_count(&stats)));

    // Not in the pages nor the downloads.
    let search = get(&f, &format!("/incidents?q={SECRET}")).await;
    assert!(search.body.contains("No incident matches") && !search.body.contains(&f.amber.to_string()));
    for uri in ["/", "/incidents", "/incidents?target=FR&limit=200", "/download", "/download/incidents.csv", "/download/incidents.json"] {
        let r = get(&f, uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert!(!r.body.contains(SECRET) && !r.body.contains(&f.amber.to_string()), "{uri} leaks the AMBER incident");
    }
    f.db.drop_db().await;
}

#[tokio::test]
async fn private_attribution_claims_are_not_shown_to_the_public() {
    let f = fixture().await;
    let detail = get(&f, &format!("/api/v1/incidents/{}", f.clear_with_private_claim)).await;
    assert_eq!(detail.status, StatusCode::OK);
    let v = detail.json();
    assert_eq!(v["attributions"].as_array().unwrap().len(), 0);
    assert!(v["parties"].as_array().unwrap().is_empty(), "a party named only by the private claim is not listed: {v}");
    assert!(!detail.body.contains(PRIVATE_ACTOR));
    for uri in [format!("/incidents/{}", f.clear_with_private_claim), "/api/v1/states/DE".into(), "/states/DE".into(), "/download/incidents.json".into(), "/download/incidents.csv".into()] {
        assert!(!get(&f, &uri).await.body.contains(PRIVATE_ACTOR), "{uri}");
    }
    f.db.drop_db().await;
}

#[tokio::test]
async fn state_records_and_statistics_agree_with_the_lists() {
    let f = fixture().await;
    let ua = get(&f, "/api/v1/states/ua").await.json();
    assert_eq!(ua["state"]["code"], "UA");
    assert_eq!(ua["state"]["name"], StateCode::parse("s", "UA").unwrap().name());
    let target_total = get(&f, "/api/v1/incidents?target=UA").await.json()["total"].clone();
    assert_eq!(ua["as_target"]["total"], target_total);
    assert!(ua["as_target"]["incidents"].as_array().unwrap().len() <= 20);
    let stats = get(&f, "/api/v1/stats").await.json();
    assert_eq!(stats["by_target_state"]["UA"], target_total);
    let ru_alleged = get(&f, "/api/v1/incidents?alleged=RU").await.json()["total"].clone();
    assert_eq!(stats["by_alleged_state"]["RU"], ru_alleged);
    let energy = get(&f, "/api/v1/incidents?sector=energy").await.json()["total"].clone();
    assert_eq!(stats["by_sector"]["energy"], energy);
    // A public claim by a state in the sample appears in that state's record.
    let all = get(&f, "/download/incidents.json").await.json();
    let (code, claim) = all
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["attributions"].as_array().unwrap().iter())
        .find_map(|a| a["attributors"].as_array().unwrap().iter().find_map(|p| p.as_str().unwrap().strip_prefix("state:")).map(|c| (c.to_string(), a["id"].clone())))
        .expect("the sample has a claim by a state");
    let record = get(&f, &format!("/api/v1/states/{code}")).await.json();
    assert!(record["attributions_made"].as_array().unwrap().iter().any(|m| m["attribution"]["id"] == claim), "{code}: {record}");
    // A state the registry knows nothing about has an empty record, not a 404.
    let tv = get(&f, "/api/v1/states/TV").await.json();
    assert_eq!(tv["as_target"]["total"], 0);
    f.db.drop_db().await;
}

#[tokio::test]
async fn the_pages_render_the_registry() {
    let f = fixture().await;
    let overview = get(&f, "/").await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(overview.content_type().starts_with("text/html"));
    for needle in ["Incidents by year of start", "Incidents by targeted sector", "Incidents by operation type", "Incidents by alleged state", "<svg", &format!("{}</span> incidents", f.public_total)] {
        assert!(overview.body.contains(needle), "overview lacks {needle:?}");
    }
    let list = get(&f, "/incidents?sector=energy").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("<form") && list.body.contains(r#"<option value="energy" selected>"#), "the form keeps the filter");
    assert!(list.body.contains("htmx-2.0.11.min.js"));
    // htmx asks for the results only.
    let fragment = send(&f, Request::get("/incidents?sector=government&limit=10&offset=5").header("HX-Request", "true").body(Body::empty()).unwrap()).await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert!(!fragment.body.contains("<html") && fragment.body.contains("<table"), "{}", fragment.body);
    assert!(fragment.body.contains("Showing 6–"), "{}", fragment.body);
    assert!(fragment.body.contains(r#"href="/incidents?sector=government&#38;limit=10&#38;offset=15""#), "pager links keep the filters: {}", fragment.body);
    assert_eq!(fragment.headers.get("vary").map(|v| v.to_str().unwrap()), Some("HX-Request"));
    let bad = get(&f, "/incidents?sector=enrgy").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.content_type().starts_with("text/html") && bad.body.contains("enrgy"));

    let api = get(&f, "/api/v1/incidents/eurepoc:2").await.json();
    let page = get(&f, "/incidents/eurepoc:2").await;
    assert_eq!(page.status, StatusCode::OK);
    let title = api["title"].as_str().unwrap().replace('&', "&amp;").replace('\'', "&#39;").replace('"', "&#34;");
    assert!(page.body.contains(&title) || page.body.contains(api["title"].as_str().unwrap()), "the page shows the title");
    for needle in ["Targets", "Effects", "Alleged actors", "Attribution claims", "Sources", "Log entry #"] {
        assert!(page.body.contains(needle), "incident page lacks {needle:?}");
    }
    if api["external_assessment"].is_object() {
        assert!(page.body.contains("Another coder"), "the external assessment is marked as another coder's view");
    }
    // Our own assessment sits beside the facts, readable by a lawyer: it names the
    // instruments' version and cites the rules it applied.
    assert!(page.body.contains("Legal assessment") && page.body.contains("instruments version"), "the incident page shows the registry's assessment");
    assert!(page.body.contains("A/70/174") || page.body.contains("Tallinn") || page.body.contains("ARSIWA"), "the assessment cites the law it applied");
    let state = get(&f, "/states/UA").await;
    assert_eq!(state.status, StatusCode::OK);
    assert!(state.body.contains("Ukraine") && state.body.contains("Attributions made by"));
    let download = get(&f, "/download").await;
    assert!(download.body.contains("incidents.csv") && download.body.contains("external_state_responsibility"));
    let htmx = get(&f, "/assets/htmx-2.0.11.min.js").await;
    assert_eq!(htmx.status, StatusCode::OK);
    assert!(htmx.content_type().starts_with("text/javascript") && htmx.body.contains("htmx"));
    assert_eq!(get(&f, "/assets/pacta.css").await.status, StatusCode::OK);
    f.db.drop_db().await;
}

/// Splits CSV text into records of fields (RFC 4180 quoting).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field, mut quoted) = (Vec::new(), Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => record.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (c, _) => field.push(c),
        }
    }
    records
}

#[tokio::test]
async fn bulk_downloads_hold_every_public_incident_once() {
    let f = fixture().await;
    let csv = get(&f, "/download/incidents.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type().starts_with("text/csv"));
    assert!(csv.headers.get("content-disposition").unwrap().to_str().unwrap().contains("pacta-incidents.csv"));
    let rows = parse_csv(&csv.body);
    let header: Vec<&str> = pacta_server::download::CSV_COLUMNS.iter().map(|(n, _)| *n).collect();
    assert_eq!(rows[0], header);
    assert_eq!(rows.len() as u64, f.public_total + 1);
    assert!(rows.iter().all(|r| r.len() == header.len()));
    assert!(rows.iter().skip(1).all(|r| r[19] == "CLEAR"));

    let json = get(&f, "/download/incidents.json").await;
    assert_eq!(json.status, StatusCode::OK);
    let all = json.json();
    let all = all.as_array().expect("an array");
    assert_eq!(all.len() as u64, f.public_total);
    let mut ids: Vec<&str> = all.iter().map(|i| i["id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "no incident twice");
    let two = get(&f, "/api/v1/incidents/eurepoc:2").await.json();
    assert!(all.contains(&two), "each item is exactly the API's incident object");
    f.db.drop_db().await;
}

#[tokio::test]
async fn a_researcher_downloads_just_the_incidents_the_list_shows() {
    let f = fixture().await;
    // The list of incidents against Ukraine links to the download of exactly those.
    let list = get(&f, "/incidents?target=ua&limit=5").await;
    assert!(list.body.contains("/download/incidents.csv?target=UA"), "{}", list.body);
    let total = get(&f, "/api/v1/incidents?target=UA&limit=1").await.json()["total"].as_u64().unwrap();
    assert!(total > 0 && total < f.public_total, "a filter that narrows: {total} of {}", f.public_total);

    let csv = get(&f, "/download/incidents.csv?target=UA").await;
    assert_eq!(csv.status, StatusCode::OK);
    let rows = parse_csv(&csv.body);
    assert_eq!(rows.len() as u64, total + 1);
    assert!(rows.iter().skip(1).all(|r| r[6].split(';').any(|s| s == "UA")), "every row targets Ukraine");
    let json = get(&f, "/download/incidents.json?target=UA&type=espionage").await.json();
    let both = get(&f, "/api/v1/incidents?target=UA&type=espionage&limit=1").await.json()["total"].as_u64().unwrap();
    assert_eq!(json.as_array().unwrap().len() as u64, both);

    // What a download cannot reproduce is refused before a byte is sent, naming it.
    let message = get(&f, "/download/incidents.csv?q=wiper").await.error(StatusCode::BAD_REQUEST, "unknown_parameter");
    assert!(message.contains("\"q\"") && message.contains("sector"), "{message}");
    let message = get(&f, "/download/incidents.json?target=Ukraine").await.error(StatusCode::BAD_REQUEST, "bad_parameter");
    assert!(message.starts_with("target"), "{message}");
    // A text search has no download link.
    let search = get(&f, "/incidents?q=wiper&target=UA").await;
    assert_eq!(search.status, StatusCode::OK);
    assert!(!search.body.contains("/download/incidents.csv?"), "{}", search.body);
    f.db.drop_db().await;
}

#[tokio::test]
async fn the_openapi_document_and_offline_docs_are_served() {
    let f = fixture().await;
    let doc = get(&f, "/api/v1/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    let v = doc.json();
    assert!(v["openapi"].as_str().unwrap().starts_with('3'));
    let paths = v["paths"].as_object().unwrap();
    for p in ["/api/v1/incidents", "/api/v1/incidents/{id}", "/api/v1/stats", "/api/v1/states/{code}"] {
        assert!(paths.contains_key(p), "missing {p}");
    }
    let params: Vec<&str> = v["paths"]["/api/v1/incidents"]["get"]["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(params, pacta_server::params::LIST_PARAMS);
    assert!(v["components"]["schemas"]["IncidentDetail"].is_object());

    let docs = get(&f, "/api/docs/").await;
    assert_eq!(docs.status, StatusCode::OK, "{}", docs.body);
    assert!(docs.body.contains("swagger-ui"));
    assert!(!docs.body.contains("src=\"http") && !docs.body.contains("href=\"http"), "nothing is loaded from elsewhere: {}", docs.body);
    for asset in ["/api/docs/swagger-ui.css", "/api/docs/swagger-ui-bundle.js", "/api/docs/swagger-initializer.js"] {
        assert_eq!(get(&f, asset).await.status, StatusCode::OK, "{asset}");
    }
    let init = get(&f, "/api/docs/swagger-initializer.js").await;
    assert!(init.body.contains("/api/v1/openapi.json"), "{}", init.body);
    f.db.drop_db().await;
}

#[tokio::test]
async fn responses_carry_security_headers_and_requests_are_measured() {
    let f = fixture().await;
    for uri in ["/", "/api/v1/stats", "/api/v1/incidents/eurepoc:999999", "/api/docs/"] {
        let r = get(&f, uri).await;
        let h = |name: &str| r.headers.get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let csp = h("content-security-policy");
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        assert_eq!(h("x-content-type-options"), "nosniff", "{uri}");
        assert_eq!(h("referrer-policy"), "same-origin", "{uri}");
        assert_eq!(h("x-frame-options"), "DENY", "{uri}");
    }
    // A body over the limit is refused before any handler runs.
    let big = send(&f, Request::get("/api/v1/stats").header("content-length", "1000000").body(Body::from(vec![b'x'; 1_000_000])).unwrap()).await;
    big.error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");

    get(&f, "/api/v1/incidents/eurepoc:2").await;
    // The metrics count writes to restricted records: an administrator's, not the public's.
    assert_eq!(get(&f, "/metrics").await.status, StatusCode::UNAUTHORIZED);
    f.state.store().create_account(&pacta_core::PartyId::for_organisation("secretariat"), "ops", "administrator", None, None, None).await.unwrap();
    let (token, digest) = pacta_server::auth::new_token();
    f.state.store().add_token("ops", &digest, pacta_store::accounts::TokenScope::Read, "monitoring").await.unwrap();
    let metrics = send(&f, Request::get("/metrics").header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap()).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(metrics.content_type().starts_with("text/plain"));
    // The metrics live in the shared state, so requests through other app() instances count.
    assert!(metrics.body.contains(r#"pacta_http_requests_total{method="GET",route="/api/v1/incidents/{id}",status="200"}"#), "{}", metrics.body);
    assert!(metrics.body.contains(r#"pacta_http_request_duration_seconds_count{method="GET",route="/api/v1/incidents/{id}"}"#));
    assert!(!metrics.body.contains("eurepoc:2"), "routes are labelled by pattern, not by path");
    f.db.drop_db().await;
}

#[tokio::test]
async fn a_stop_waits_for_requests_in_flight_but_not_forever() {
    use std::io::Write;
    use std::time::{Duration, Instant};
    let server = pacta_server::Server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = server.local_addr().unwrap();
    // A request that never finishes, as a download to a client that stopped reading.
    let router = axum::Router::new().route("/forever", axum::routing::get(|| async { std::future::pending::<&'static str>().await }));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let grace = Duration::from_millis(400);
    let run = tokio::spawn(server.run_with_grace(router, async move { let _ = stopped.await; }, grace));
    let mut client = std::net::TcpStream::connect(addr).unwrap();
    client.write_all(b"GET /forever HTTP/1.1\r\nHost: pacta.test\r\n\r\n").unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let asked = Instant::now();
    stop.send(()).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(10), run).await.expect("the stop gave up on the request after its grace");
    ended.unwrap().unwrap();
    assert!(asked.elapsed() >= grace, "it waited {:?} for the request in flight, less than the grace", asked.elapsed());

    // With nothing in flight, a stop does not wait for the grace at all.
    let idle = pacta_server::Server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(idle.run_with_grace(axum::Router::new(), async move { let _ = stopped.await; }, Duration::from_secs(60)));
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), run).await.expect("an idle server stops without its 60 s grace").unwrap().unwrap();
}
