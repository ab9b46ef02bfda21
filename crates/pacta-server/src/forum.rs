//! The forum over HTTP: points of contact and reachability, consultation requests, dispute
//! cases with their rulings, and precedent. JSON under `/api/v1`, pages beside the others.
//!
//! | path | what |
//! |---|---|
//! | `GET /api/v1/contacts`, `GET /api/v1/reachability` | the directory and each party's reachability (TLP:GREEN: signed-in accounts) |
//! | `GET, POST /api/v1/consultations`, `GET /api/v1/consultations/{id}`, `POST /api/v1/consultations/{id}/reply` | consultation requests |
//! | `GET, POST /api/v1/cases`, `GET /api/v1/cases/{id}`, `POST /api/v1/cases/{id}/actions` | dispute cases (an action is a [`pacta_forum::Action`] as JSON) |
//! | `GET /api/v1/precedent` | rulings and settlements by `text`, `instrument`, `rule`, `outcome` |
//! | `/cases`, `/cases/new` (`#file-case-form`), `/cases/{id}` (`#ruling`, `#case-filing-form`), `/consultations`, `/contacts`, `/precedent` | pages |
//!
//! Invariants:
//! - **Reads are decided by the policies.** A request or a case is a record marked with its
//!   TLP and shared with its participants (the two parties; for a case also the panel and
//!   the secretariat that appointed it): [`Viewer::may_read`] decides, and a record the
//!   viewer may not see is answered 404, like one that does not exist. A published ruling
//!   is public; the pleadings of its case keep their marking.
//! - **A party acts as itself.** Writes need a signed-in account whose credential writes;
//!   the acting party is the account's party (or organisation, for the secretariat and
//!   neutrals), never a field of the request. The store's write paths then refuse a party
//!   acting in a case it is not part of, naming the rule.

use crate::error::AppError;
use crate::pages::PageError;
use crate::report::json_body;
use crate::{AppState, Viewer};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Form, Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Duration, Utc};
use pacta_core::{Incident, IncidentId, PartyId, ResponseId, Tlp};
use pacta_forum::case::{Action, DisputeCase, FilingKind};
use pacta_forum::panel::PanelRole;
use pacta_forum::consult::{AnswerKind, Consultation, Draft, Template as RequestTemplate};
use pacta_forum::precedent::{self, Outcome, Precedent, Query as PrecedentQuery};
use pacta_store::StoreError;
use pacta_store::forum::cases::{NewCase, StoredCase};
use pacta_store::forum::consult::{Reply, StoredConsultation};
use serde::Deserialize;
use std::collections::BTreeSet;
use uuid::Uuid;

/// The forum's part of the OpenAPI document (merged into `api::ApiDoc`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api_contacts, api_reachability, api_consultations, api_consultation, api_send, api_reply, api_cases, api_case, api_file, api_act, api_precedent),
    components(schemas(SendInput, ReplyInput, FileInput)),
    tags((name = "forum", description = "Points of contact, consultation requests, dispute cases, rulings and precedent"))
)]
pub struct ForumDoc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/contacts", get(api_contacts))
        .route("/api/v1/reachability", get(api_reachability))
        .route("/api/v1/consultations", get(api_consultations).post(api_send))
        .route("/api/v1/consultations/{id}", get(api_consultation))
        .route("/api/v1/consultations/{id}/reply", post(api_reply))
        .route("/api/v1/cases", get(api_cases).post(api_file))
        .route("/api/v1/cases/{id}", get(api_case))
        .route("/api/v1/cases/{id}/actions", post(api_act))
        .route("/api/v1/precedent", get(api_precedent))
        .route("/cases", get(cases_page))
        .route("/cases/new", get(new_case_page).post(new_case_form))
        .route("/cases/{id}", get(case_page))
        .route("/cases/{id}/filings", post(filing_form))
        .route("/cases/{id}/concur", post(concur_form))
        .route("/contacts", get(contacts_page))
        .route("/consultations", get(consultations_page))
        .route("/precedent", get(precedent_page))
}

/// A store refusal keeps the field and the rule it names.
fn refused(e: StoreError) -> AppError {
    match e {
        // The store names the acting party `--as`, as the command line sets it; here it is
        // the account's party.
        StoreError::Invalid(inv) if inv.field == "--as" => AppError::bad("party", inv.value, inv.rule),
        // A case or request named in the path that the account may not read is not there.
        StoreError::Invalid(inv) if matches!(inv.field.as_str(), "case" | "request") && inv.rule.starts_with("unknown") => AppError::NotFound(inv.rule),
        StoreError::Invalid(inv) => AppError::bad(inv.field, inv.value, inv.rule),
        other => other.into(),
    }
}

/// The party an account acts as, if it may write.
fn actor(viewer: &Viewer) -> Result<PartyId, AppError> {
    let Some(account) = viewer.account_info() else {
        return Err(AppError::Unauthorized("acting in the forum needs an account: send an API token or sign in".into()));
    };
    if !viewer.may_write() {
        return Err(AppError::Forbidden(format!("account {:?} holds a read-only credential", account.name)));
    }
    let id = account.party.clone().or(account.organisation.clone()).ok_or_else(|| AppError::Forbidden(format!("account {:?} acts for no party or organisation", account.name)))?;
    PartyId::parse("party", &id).map_err(|e| AppError::Internal(format!("account {}: {e}", account.name)))
}

fn uuid(param: &str, s: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(s.trim()).map_err(|_| AppError::bad(param, s, "expected a UUID"))
}

/// The directory and check results are marked GREEN: for registered accounts.
fn may_read_directory(viewer: &Viewer) -> Result<(), AppError> {
    if viewer.may_read(Tlp::Green, vec![]) { Ok(()) } else { Err(AppError::Unauthorized("the points-of-contact directory is TLP:GREEN: sign in or send an API token".into())) }
}

fn consultation_visible(viewer: &Viewer, c: &Consultation) -> bool {
    let r = &c.request;
    viewer.may_read(r.tlp, vec![r.from.to_string(), r.to.to_string()])
}

fn participants(c: &DisputeCase) -> Vec<String> {
    let mut v: Vec<String> = vec![c.claimant.to_string(), c.respondent.to_string()];
    for a in &c.panel {
        v.push(a.party.to_string());
        v.push(a.by.to_string());
    }
    v.sort();
    v.dedup();
    v
}

/// The case as the viewer may see it: whole when the policies let it read the case's
/// marking shared with the participants, else its published ruling only, else nothing.
fn case_for(viewer: &Viewer, mut stored: StoredCase) -> Option<StoredCase> {
    // A three-member tribunal's draft ruling is its arbitrators' alone.
    if !stored.case.draft_visible_to(viewer.acting_party().as_ref()) {
        stored.case.draft_ruling = None;
    }
    if viewer.may_read(stored.case.tlp, participants(&stored.case)) {
        // A ruling ordered unpublished is the participants' alone, even in a case every
        // viewer may read (a CLEAR one).
        if !stored.case.ruling_visible_to(viewer.acting_party().as_ref()) {
            stored.case.ruling = None;
            stored.case.compliance.clear();
        }
        Some(stored)
    } else {
        pacta_store::Store::public_view(&stored)
    }
}

async fn visible_case(state: &AppState, viewer: &Viewer, id: &str) -> Result<StoredCase, AppError> {
    let id = uuid("id", id)?;
    let all = state.store.all_cases(None).await?;
    all.into_iter().find(|c| c.case.id == id).and_then(|c| case_for(viewer, c)).ok_or_else(|| AppError::NotFound(format!("no case {id} in the registry")))
}

// ---------------------------------------------------------------- JSON

/// The points-of-contact directory (TLP:GREEN).
#[utoipa::path(get, path = "/api/v1/contacts", tag = "forum", responses((status = 200, description = "Active contacts of every party", body = serde_json::Value), (status = 401, description = "No valid credential", body = crate::error::ErrorBody)), security(("token" = [])))]
async fn api_contacts(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    may_read_directory(&viewer)?;
    Ok(Json(state.store.contacts(None, false).await?).into_response())
}

/// Each party's reachability over the communication checks (TLP:GREEN).
#[utoipa::path(get, path = "/api/v1/reachability", tag = "forum", responses((status = 200, description = "Per party: checks, on time, late, missed, median seconds to acknowledge", body = serde_json::Value), (status = 401, description = "No valid credential", body = crate::error::ErrorBody)), security(("token" = [])))]
async fn api_reachability(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    may_read_directory(&viewer)?;
    let tests: Vec<_> = state.store.ping_tests().await?.into_iter().map(|p| p.test).collect();
    Ok(Json(pacta_forum::contact::reachability(&tests, Utc::now())).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IncidentQuery {
    incident: Option<String>,
}

/// The incident a list is filtered to, named `incident` in the refusal (the registry's
/// lookup calls it `id`, as the incident's own path does).
async fn incident_filter(state: &AppState, viewer: &Viewer, incident: Option<&str>) -> Result<Option<IncidentId>, AppError> {
    let Some(i) = incident else { return Ok(None) };
    match crate::registry::incident(state, viewer, i).await {
        Ok(found) => Ok(Some(found.record.incident.id)),
        Err(AppError::BadParameter { param, value, reason }) if param == "id" => Err(AppError::BadParameter { param: "incident".into(), value, reason }),
        Err(e) => Err(e),
    }
}

async fn all_consultations(state: &AppState, viewer: &Viewer, incident: Option<IncidentId>) -> Result<Vec<StoredConsultation>, AppError> {
    Ok(state.store.all_consultations(incident).await?.into_iter().filter(|c| consultation_visible(viewer, &c.consultation)).collect())
}

/// The consultation requests the viewer may read (its own, and CLEAR ones).
#[utoipa::path(get, path = "/api/v1/consultations", tag = "forum", params(("incident" = Option<String>, Query, description = "Only those about this incident")), responses((status = 200, description = "Requests with their steps", body = serde_json::Value)))]
async fn api_consultations(State(state): State<AppState>, viewer: Viewer, Query(q): Query<IncidentQuery>) -> Result<Response, AppError> {
    let incident = incident_filter(&state, &viewer, q.incident.as_deref()).await?;
    Ok(Json(all_consultations(&state, &viewer, incident).await?).into_response())
}

async fn get_visible_consultation(state: &AppState, viewer: &Viewer, id: &str) -> Result<StoredConsultation, AppError> {
    let id = uuid("id", id)?;
    let all = all_consultations(state, viewer, None).await?;
    all.into_iter().find(|c| c.consultation.request.id == id).ok_or_else(|| AppError::NotFound(format!("no consultation request {id} in the registry")))
}

/// One consultation request.
#[utoipa::path(get, path = "/api/v1/consultations/{id}", tag = "forum", params(("id" = String, Path, description = "The request's UUID")), responses((status = 200, description = "The request with its steps", body = serde_json::Value), (status = 404, description = "No such request (or not visible to you)", body = crate::error::ErrorBody)))]
async fn api_consultation(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Result<Response, AppError> {
    Ok(Json(get_visible_consultation(&state, &viewer, &id).await?).into_response())
}

/// `POST /api/v1/consultations`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SendInput {
    template: String,
    to: String,
    subject: String,
    #[serde(default)]
    body: String,
    incident: Option<String>,
    contact: Option<String>,
    measure: Option<String>,
    #[serde(default)]
    offer_to_negotiate: bool,
    #[serde(default = "amber")]
    tlp: String,
    acknowledge_within_hours: Option<i64>,
    answer_within_hours: Option<i64>,
}

fn amber() -> String {
    "AMBER".into()
}

/// Send a consultation request as the account's party.
#[utoipa::path(post, path = "/api/v1/consultations", tag = "forum", request_body = SendInput, responses((status = 201, description = "Sent, with its deadlines", body = serde_json::Value), (status = 400, description = "Refused; the message names the rule", body = crate::error::ErrorBody), (status = 401, description = "No valid credential", body = crate::error::ErrorBody)), security(("token" = [])))]
async fn api_send(State(state): State<AppState>, viewer: Viewer, headers: HeaderMap, body: Bytes) -> Result<Response, AppError> {
    let me = actor(&viewer)?;
    let input: SendInput = json_body(&headers, &body)?;
    let bad = |f: &str, e: pacta_core::Invalid| AppError::from_invalid(f, e);
    let mut d = Draft::new(RequestTemplate::parse("template", &input.template).map_err(|e| bad("template", e))?, me.clone(), PartyId::parse("to", &input.to).map_err(|e| bad("to", e))?, &input.subject);
    d.body = input.body;
    d.incident = match input.incident {
        Some(i) => Some(crate::registry::incident(&state, &viewer, &i).await?.record.incident.id),
        None => None,
    };
    d.contact = input.contact.as_deref().map(|c| uuid("contact", c)).transpose()?;
    d.measure = input.measure.as_deref().map(ResponseId::parse).transpose().map_err(|e| bad("measure", e))?;
    d.offer_to_negotiate = input.offer_to_negotiate;
    d.tlp = Tlp::parse("tlp", &input.tlp).map_err(|e| bad("tlp", e))?;
    let hours = |field: &'static str, h: Option<i64>| -> Result<Option<Duration>, AppError> {
        // A deadline is at most ten years out; beyond that it is a typo, and chrono's
        // durations overflow long before i64 hours do.
        h.map(|h| Duration::try_hours(h).filter(|_| (1..=24 * 366 * 10).contains(&h)).ok_or_else(|| AppError::bad(field, h.to_string(), "expected a whole number of hours from 1 to 87,840 (ten years)"))).transpose()
    };
    d.acknowledge_within = hours("acknowledge_within_hours", input.acknowledge_within_hours)?;
    d.answer_within = hours("answer_within_hours", input.answer_within_hours)?;
    let sent = state.store.send_consultation(&me, d, Utc::now()).await.map_err(refused)?;
    Ok((StatusCode::CREATED, Json(sent)).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReplyInput {
    /// `acknowledge`, or an answer: `granted`, `partly`, `refused`.
    reply: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    evidence: Vec<String>,
}

/// Acknowledge or answer a request, as its recipient.
#[utoipa::path(post, path = "/api/v1/consultations/{id}/reply", tag = "forum", params(("id" = String, Path, description = "The request's UUID")), request_body = ReplyInput, responses((status = 200, description = "Recorded", body = serde_json::Value), (status = 400, description = "Refused; the message names the rule", body = crate::error::ErrorBody), (status = 401, description = "No valid credential", body = crate::error::ErrorBody)), security(("token" = [])))]
async fn api_reply(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Result<Response, AppError> {
    let me = actor(&viewer)?;
    let input: ReplyInput = json_body(&headers, &body)?;
    let reply = if input.reply == "acknowledge" {
        // An acknowledgement records receipt, nothing more: words or evidence sent with it
        // would be dropped, so they are refused, and the answer is where they belong.
        if !input.text.trim().is_empty() || !input.evidence.is_empty() {
            let (field, value) = if input.text.trim().is_empty() { ("evidence", input.evidence.join(", ")) } else { ("text", input.text.clone()) };
            return Err(AppError::bad(field, value, "an acknowledgement records receipt only: send the text or evidence with the answer (granted, partly or refused)"));
        }
        Reply::Acknowledge
    } else {
        let answer = AnswerKind::parse("reply", &input.reply).map_err(|e| AppError::bad("reply", e.value, "expected acknowledge, granted, partly or refused"))?;
        Reply::Answer { answer, text: input.text, evidence: input.evidence.iter().map(|e| uuid("evidence", e)).collect::<Result<_, _>>()? }
    };
    let stored = state.store.reply_consultation(&me, uuid("id", &id)?, reply, Utc::now()).await.map_err(refused)?;
    Ok(Json(stored).into_response())
}

async fn all_cases(state: &AppState, viewer: &Viewer, incident: Option<IncidentId>) -> Result<Vec<StoredCase>, AppError> {
    Ok(state.store.all_cases(incident).await?.into_iter().filter_map(|c| case_for(viewer, c)).collect())
}

/// The dispute cases the viewer may see (published rulings of the others).
#[utoipa::path(get, path = "/api/v1/cases", tag = "forum", params(("incident" = Option<String>, Query, description = "Only those about this incident")), responses((status = 200, description = "Cases; `full` is false where only the published ruling may be read", body = serde_json::Value)))]
async fn api_cases(State(state): State<AppState>, viewer: Viewer, Query(q): Query<IncidentQuery>) -> Result<Response, AppError> {
    let incident = incident_filter(&state, &viewer, q.incident.as_deref()).await?;
    Ok(Json(all_cases(&state, &viewer, incident).await?.iter().map(case_json).collect::<Vec<_>>()).into_response())
}

/// One dispute case.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "forum", params(("id" = String, Path, description = "The case's UUID")), responses((status = 200, description = "The case", body = serde_json::Value), (status = 404, description = "No such case (or not visible to you)", body = crate::error::ErrorBody)))]
async fn api_case(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Result<Response, AppError> {
    Ok(Json(case_json(&visible_case(&state, &viewer, &id).await?)).into_response())
}

/// `POST /api/v1/cases`: the claimant is the account's party.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct FileInput {
    respondent: String,
    title: String,
    incidents: Vec<String>,
    claim: String,
    #[serde(default)]
    evidence: Vec<String>,
    #[serde(default = "amber")]
    tlp: String,
}

async fn file_case(state: &AppState, viewer: &Viewer, input: FileInput) -> Result<StoredCase, AppError> {
    let me = actor(viewer)?;
    let mut incidents = Vec::new();
    for i in &input.incidents {
        incidents.push(crate::registry::incident(state, viewer, i.trim()).await?.record.incident.id);
    }
    let new = NewCase {
        claimant: me.clone(),
        respondent: PartyId::parse("respondent", input.respondent.trim()).map_err(|e| AppError::from_invalid("respondent", e))?,
        title: input.title,
        incidents,
        claim: input.claim,
        evidence: input.evidence.iter().map(|e| uuid("evidence", e)).collect::<Result<_, _>>()?,
        tlp: Tlp::parse("tlp", &input.tlp).map_err(|e| AppError::from_invalid("tlp", e))?,
    };
    state.store.file_case(&me, new, Utc::now()).await.map_err(refused)
}

/// File a case as the claimant (the account's party).
#[utoipa::path(post, path = "/api/v1/cases", tag = "forum", request_body = FileInput, responses((status = 201, description = "Filed, with its deadlines", body = serde_json::Value), (status = 400, description = "Refused; the message names the rule", body = crate::error::ErrorBody), (status = 401, description = "No valid credential", body = crate::error::ErrorBody)), security(("token" = [])))]
async fn api_file(State(state): State<AppState>, viewer: Viewer, headers: HeaderMap, body: Bytes) -> Result<Response, AppError> {
    actor(&viewer)?;
    let input: FileInput = json_body(&headers, &body)?;
    Ok((StatusCode::CREATED, Json(file_case(&state, &viewer, input).await?)).into_response())
}

async fn act(state: &AppState, viewer: &Viewer, id: &str, mut action: Action) -> Result<StoredCase, AppError> {
    let me = actor(viewer)?;
    let now = Utc::now();
    // A ruling is issued by the account's arbitrator, now: not what the body says.
    if let Action::Rule { ruling } = &mut action {
        ruling.issued_by = me.clone();
        ruling.at = now;
        // Findings cite the law as codified, or they would become precedent for rules
        // that do not exist (the CLI checks the same).
        let law = pacta_norms::builtin();
        for (i, f) in ruling.findings.iter().enumerate() {
            law.check_cited(&format!("ruling.findings[{i}]"), f.rule.as_deref(), f.instrument.as_deref()).map_err(|e| AppError::bad(e.field.clone(), e.value.clone(), e.rule))?;
        }
    }
    state.store.act_on_case(&me, uuid("id", id)?, action, now).await.map_err(refused)
}

/// A case as JSON, with the reference a concurrence names (`Ruling::reference`) beside
/// its draft and its ruling, so that a client need not compute it.
fn case_json(stored: &StoredCase) -> serde_json::Value {
    let mut v = serde_json::to_value(stored).unwrap_or_default();
    if let Some(d) = &stored.case.draft_ruling {
        v["case"]["draft_ruling"]["reference"] = d.reference().into();
    }
    if let Some(r) = &stored.case.ruling {
        v["case"]["ruling"]["reference"] = r.reference().into();
    }
    v
}

/// A step in a case: `{"action": "file" | "escalate" | "appoint" | "extend" | "schedule_hearing" | "declare_impasse" | "order_interim_measure" | "propose_settlement" | "accept_settlement" | "rule" | "concur" | "report_compliance" | "confirm_compliance", …}`. On a three-member tribunal `rule` gives a draft, issued when a second arbitrator sends `concur` (UNCITRAL art. 33(1)).
#[utoipa::path(post, path = "/api/v1/cases/{id}/actions", tag = "forum", params(("id" = String, Path, description = "The case's UUID")), request_body = serde_json::Value, responses((status = 200, description = "The case after the step", body = serde_json::Value), (status = 400, description = "Refused: late filing, conflict of interest, not a party…; the message names the rule", body = crate::error::ErrorBody), (status = 401, description = "No valid credential", body = crate::error::ErrorBody)), security(("token" = [])))]
async fn api_act(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Result<Response, AppError> {
    actor(&viewer)?;
    let action: Action = json_body(&headers, &body)?;
    Ok(Json(case_json(&act(&state, &viewer, &id, action).await?)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PrecedentParams {
    #[serde(default)]
    text: String,
    instrument: Option<String>,
    rule: Option<String>,
    outcome: Option<String>,
}

fn precedent_query(p: PrecedentParams) -> Result<PrecedentQuery, AppError> {
    let some = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    Ok(PrecedentQuery {
        text: p.text,
        instrument: some(p.instrument),
        rule: some(p.rule),
        outcome: some(p.outcome).map(|o| Outcome::parse("outcome", &o)).transpose().map_err(|e| AppError::from_invalid("outcome", e))?,
    })
}

/// Published rulings and public settlements.
#[utoipa::path(get, path = "/api/v1/precedent", tag = "forum", params(("text" = Option<String>, Query, description = "Words"), ("instrument" = Option<String>, Query, description = "An instrument id"), ("rule" = Option<String>, Query, description = "A rule id"), ("outcome" = Option<String>, Query, description = "settled, breach or no_breach")), responses((status = 200, description = "Scored precedents, best first", body = serde_json::Value)))]
async fn api_precedent(State(state): State<AppState>, Query(p): Query<PrecedentParams>) -> Result<Response, AppError> {
    let q = precedent_query(p)?;
    let corpus = precedent_corpus(&state).await?;
    let hits: Vec<serde_json::Value> = precedent::search(corpus.precedents(), &q).into_iter().map(|(s, p)| serde_json::json!({ "score": s, "precedent": p })).collect();
    Ok(Json(hits).into_response())
}

/// The precedent corpus, one for every viewer (it holds only what is public).
pub type PrecedentCache = crate::refresh::Refreshed<pacta_forum::precedent::Corpus>;

/// The decided cases that make precedent, as of the log's current size: read from the
/// store once per log size, not on every incident page view, where they were read and
/// parsed whole (every decided case with its incidents) for each view. A reader waits for
/// the re-read (one statement over the decided cases, not over the registry), so a ruling
/// is precedent from the first page view after it; readers at once share one re-read.
pub async fn precedent_corpus(state: &AppState) -> Result<std::sync::Arc<pacta_forum::precedent::Corpus>, AppError> {
    let size = state.store.log_size().await?;
    let st = state.clone();
    let (_, corpus) = state.precedents.get_stamped("every viewer", size, None, async move { Ok((size, st.store.precedent_corpus().await?)) }).await?;
    Ok(corpus)
}

/// The earlier decided cases most like an incident, for its page: published rulings and
/// CLEAR settlements only, so nothing restricted is shown.
pub async fn similar_cases(state: &AppState, incident: &Incident, rules: &BTreeSet<String>) -> Result<Vec<(f64, Precedent)>, AppError> {
    Ok(precedent_corpus(state).await?.similar_to(incident, rules, 5))
}

// ---------------------------------------------------------------- pages

fn html(t: &impl Template) -> Result<Response, PageError> {
    Ok(Html(t.render().map_err(AppError::from)?).into_response())
}

struct CaseRow {
    id: String,
    title: String,
    stage: String,
    parties: String,
}

#[derive(Template)]
#[template(path = "forum_cases.html")]
struct CasesPage {
    nav: &'static str,
    cases: Vec<CaseRow>,
    signed_in: bool,
}

async fn cases_page(State(state): State<AppState>, viewer: Viewer, RawQuery(query): RawQuery) -> Result<Response, PageError> {
    crate::params::none(query.as_deref())?;
    let cases = all_cases(&state, &viewer, None).await?;
    let rows = cases.iter().map(|c| CaseRow { id: c.case.id.to_string(), title: c.case.title.clone(), stage: c.case.stage.to_string(), parties: format!("{} v. {}", c.case.claimant, c.case.respondent) }).collect();
    html(&CasesPage { nav: "cases", cases: rows, signed_in: viewer.account_info().is_some() })
}

#[derive(Template)]
#[template(path = "forum_file_case.html")]
struct FileCasePage {
    nav: &'static str,
    account: String,
    party: String,
    csrf: String,
    form: FileCaseValues,
    tlps: Vec<&'static str>,
    /// Why the last submission was refused; the form comes back with what was typed.
    error: Option<crate::forms::Refusal>,
}

/// What the case form holds: empty but for the incident it was opened from, or what the
/// claimant typed before a refusal (a statement of claim may run to 50,000 characters).
#[derive(Default)]
struct FileCaseValues {
    respondent: String,
    title: String,
    incidents: String,
    claim: String,
    evidence: String,
    tlp: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCaseParams {
    incident: Option<String>,
}

async fn new_case_page(viewer: Viewer, Query(q): Query<NewCaseParams>) -> Result<Response, PageError> {
    let (Some(account), Some(csrf)) = (viewer.account_info(), viewer.csrf()) else {
        return Ok(Redirect::to("/login?next=/cases/new").into_response());
    };
    let party = actor(&viewer)?;
    let form = FileCaseValues { incidents: q.incident.unwrap_or_default(), tlp: "AMBER".into(), ..Default::default() };
    html(&file_case_page(account.name.clone(), &party, csrf, form, None))
}

fn file_case_page(account: String, party: &PartyId, csrf: &str, form: FileCaseValues, error: Option<crate::forms::Refusal>) -> FileCasePage {
    // Only the markings a party's account can read a case under (`readable_by_parties`).
    let tlps = Tlp::ALL.iter().filter(|t| pacta_forum::readable_by_parties("tlp", **t, "a case").is_ok()).map(|t| t.label()).collect();
    FileCasePage { nav: "cases", account, party: party.to_string(), csrf: csrf.to_string(), form, tlps, error }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCaseForm {
    csrf: String,
    respondent: String,
    title: String,
    incidents: String,
    claim: String,
    #[serde(default)]
    evidence: String,
    tlp: String,
}

fn list(s: &str) -> Vec<String> {
    s.split([',', '\n']).map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect()
}

async fn new_case_form(State(state): State<AppState>, viewer: Viewer, Form(f): Form<NewCaseForm>) -> Result<Response, PageError> {
    crate::auth::check_csrf(&viewer, &f.csrf)?;
    let (Some(account), Some(csrf)) = (viewer.account_info(), viewer.csrf()) else {
        return Ok(Redirect::to("/login?next=/cases/new").into_response());
    };
    let party = actor(&viewer)?;
    let input = FileInput { respondent: f.respondent.clone(), title: f.title.clone(), incidents: list(&f.incidents), claim: f.claim.clone(), evidence: list(&f.evidence), tlp: f.tlp.clone() };
    match file_case(&state, &viewer, input).await {
        Ok(filed) => Ok(Redirect::to(&format!("/cases/{}", filed.case.id)).into_response()),
        // Refused: the form comes back with what was typed, the field named.
        Err(e @ (AppError::BadParameter { .. } | AppError::NotFound(_))) => {
            let form = FileCaseValues { respondent: f.respondent, title: f.title, incidents: f.incidents, claim: f.claim, evidence: f.evidence, tlp: f.tlp };
            Ok(crate::forms::refused(e, |r| file_case_page(account.name.clone(), &party, csrf, form, Some(r))))
        }
        Err(e) => Err(e.into()),
    }
}

struct Line {
    when: String,
    what: String,
}

struct RemedyView {
    index: usize,
    kind: String,
    cites: String,
    description: String,
    amount: String,
    due: String,
    status: String,
}

struct FindingView {
    rule: String,
    instrument: String,
    outcome: String,
    text: String,
}

struct RulingView {
    issued_by: String,
    at: String,
    summary: String,
    published: bool,
    findings: Vec<FindingView>,
    remedies: Vec<RemedyView>,
}

#[derive(Template)]
#[template(path = "forum_case.html")]
struct CasePage {
    nav: &'static str,
    id: String,
    title: String,
    claimant: String,
    respondent: String,
    stage: String,
    tlp: String,
    full: bool,
    incidents: Vec<String>,
    deadlines: Vec<Line>,
    overdue: Vec<String>,
    filings: Vec<Line>,
    panel: Vec<Line>,
    hearings: Vec<Line>,
    ruling: Option<RulingView>,
    /// The tribunal's draft, for its arbitrators only (the store's view strips it for
    /// everyone else).
    draft: Option<DraftView>,
    /// Set when the viewer is an arbitrator who may concur in the draft or the ruling: its
    /// CSRF token, and the reference of the text it would join.
    concur: Option<(String, String)>,
    /// Set when the viewer is a party and may file: its CSRF token.
    filing_csrf: Option<String>,
    kinds: Vec<&'static str>,
}

struct DraftView {
    by: String,
    at: String,
    summary: String,
    findings: Vec<String>,
    /// Everything a concurrence issues: the remedies ordered, and whether it is published.
    remedies: Vec<String>,
    published: bool,
}

async fn case_page(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Result<Response, PageError> {
    let stored = visible_case(&state, &viewer, &id).await?;
    let c = &stored.case;
    let t = pacta_forum::fmt_time;
    let me = actor(&viewer).ok();
    let filing_csrf = viewer.csrf().filter(|_| me.as_ref().is_some_and(|p| c.is_party(p)) && c.stage.open()).map(str::to_string);
    let ruling = c.ruling.as_ref().map(|r| RulingView {
        issued_by: if r.concurring.is_empty() {
            r.issued_by.to_string()
        } else {
            format!("{} (drafting), concurred in by {}", r.issued_by, r.concurring.iter().map(|c| format!("{} ({})", c.party, t(c.at))).collect::<Vec<_>>().join(", "))
        },
        at: t(r.at),
        summary: r.summary.clone(),
        published: r.published,
        findings: r
            .findings
            .iter()
            .map(|f| FindingView { rule: f.rule.clone().unwrap_or_default(), instrument: f.instrument.clone().unwrap_or_default(), outcome: if f.breached { "breached".into() } else { "not breached".into() }, text: f.text.clone() })
            .collect(),
        remedies: r
            .remedies
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let cpl = c.compliance.get(i);
                let status = match cpl {
                    Some(x) if x.confirmed_at.is_some() => "complied",
                    Some(x) if x.reported_at.is_some() => "reported, awaiting confirmation",
                    _ => "open",
                };
                RemedyView { index: i, kind: m.kind.to_string(), cites: m.kind.cites().into(), description: m.description.clone(), amount: m.amount.as_ref().map(|a| a.to_string()).unwrap_or_default(), due: t(m.due), status: status.into() }
            })
            .collect(),
    });
    let page = CasePage {
        nav: "cases",
        id: c.id.to_string(),
        title: c.title.clone(),
        claimant: c.claimant.to_string(),
        respondent: c.respondent.to_string(),
        stage: c.stage.to_string(),
        tlp: c.tlp.to_string(),
        full: stored.full,
        incidents: c.incidents.iter().map(|i| i.to_string()).collect(),
        deadlines: c
            .deadlines
            .iter()
            .map(|d| Line {
                when: t(d.due),
                what: format!(
                    "{}{}{}{}",
                    d.name,
                    d.party.as_ref().map(|p| format!(" ({p})")).unwrap_or_default(),
                    d.met_at.map(|m| format!(", met {}", t(m))).unwrap_or_default(),
                    if d.extensions.is_empty() { String::new() } else { format!(", extended {} time(s)", d.extensions.len()) }
                ),
            })
            .collect(),
        overdue: c.overdue(Utc::now()),
        filings: c.filings.iter().map(|f| Line { when: t(f.at), what: format!("{} by {}{}", f.kind, f.by, if f.text.is_empty() { String::new() } else { format!(": {}", f.text) }) }).collect(),
        panel: c.panel.iter().map(|a| Line { when: t(a.at), what: format!("{} {} ({})", a.role, a.name, a.party) }).collect(),
        hearings: c.hearings.iter().map(|h| Line { when: t(h.when), what: h.place.clone() }).collect(),
        ruling,
        draft: c.draft_ruling.as_ref().map(|d| DraftView {
            by: d.issued_by.to_string(),
            at: t(d.at),
            summary: d.summary.clone(),
            findings: d.findings.iter().map(|f| format!("{}: {} — {}", f.rule.as_deref().unwrap_or("finding"), if f.breached { "breached" } else { "not breached" }, f.text)).collect(),
            remedies: d
                .remedies
                .iter()
                .map(|m| format!("{} ({}){}: {} — due {} (the same time after the ruling is issued)", m.kind, m.kind.cites(), m.amount.as_ref().map(|a| format!(" {a}")).unwrap_or_default(), m.description, t(m.due)))
                .collect(),
            published: d.published,
        }),
        concur: me
            .as_ref()
            .filter(|p| c.members(PanelRole::Arbitrator).any(|a| &a.party == *p))
            .and_then(|p| match (&c.draft_ruling, &c.ruling) {
                (Some(d), None) if &d.issued_by != p => Some(d.reference()),
                (None, Some(r)) if &r.issued_by != p && !r.concurred_by(p) && c.members(PanelRole::Arbitrator).count() == 3 => Some(r.reference()),
                _ => None,
            })
            .and_then(|reference| viewer.csrf().map(|csrf| (csrf.to_string(), reference))),
        filing_csrf,
        kinds: [FilingKind::Response, FilingKind::Memorial, FilingKind::CounterMemorial, FilingKind::Submission].iter().map(|k| k.label()).collect(),
    };
    html(&page)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FilingForm {
    csrf: String,
    kind: String,
    text: String,
    #[serde(default)]
    evidence: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConcurForm {
    csrf: String,
    draft: String,
}

/// An arbitrator concurs in the draft it read (or in the ruling issued), from the case page.
async fn concur_form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, Form(f): Form<ConcurForm>) -> Result<Response, PageError> {
    crate::auth::check_csrf(&viewer, &f.csrf)?;
    // The case's own id, not the path as typed, goes back into the Location header: a
    // stray control character there would fail the response after the step was written.
    let case = uuid("id", &id)?;
    act(&state, &viewer, &id, Action::Concur { draft: f.draft }).await?;
    Ok(Redirect::to(&format!("/cases/{case}")).into_response())
}

async fn filing_form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, Form(f): Form<FilingForm>) -> Result<Response, PageError> {
    crate::auth::check_csrf(&viewer, &f.csrf)?;
    let kind = FilingKind::parse("kind", &f.kind).map_err(|e| AppError::from_invalid("kind", e))?;
    let evidence = list(&f.evidence).iter().map(|e| uuid("evidence", e)).collect::<Result<_, _>>()?;
    let case = uuid("id", &id)?;
    act(&state, &viewer, &id, Action::File { kind, text: f.text, evidence }).await?;
    Ok(Redirect::to(&format!("/cases/{case}")).into_response())
}

struct ReachRow {
    party: String,
    checks: u32,
    on_time: u32,
    late: u32,
    missed: u32,
    percent: String,
    median: String,
}

#[derive(Template)]
#[template(path = "forum_contacts.html")]
struct ContactsPage {
    nav: &'static str,
    contacts: Vec<Vec<String>>,
    reach: Vec<ReachRow>,
}

async fn contacts_page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    if viewer.account_info().is_none() {
        return Ok(Redirect::to("/login?next=/contacts").into_response());
    }
    may_read_directory(&viewer)?;
    let contacts = state
        .store
        .contacts(None, false)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|s| {
            let c = s.contact;
            vec![c.party.to_string(), c.role.to_string(), c.name, c.channels.iter().map(|ch| format!("{}: {}", ch.kind, ch.address)).collect::<Vec<_>>().join("; "), c.hours]
        })
        .collect();
    let tests: Vec<_> = state.store.ping_tests().await.map_err(AppError::from)?.into_iter().map(|p| p.test).collect();
    let reach = pacta_forum::contact::reachability(&tests, Utc::now())
        .into_iter()
        .map(|r| ReachRow {
            percent: r.percent_on_time().map(|p| format!("{p}%")).unwrap_or_else(|| "-".into()),
            median: r.median_seconds.map(|s| format!("{} min", s / 60)).unwrap_or_else(|| "-".into()),
            party: r.party,
            checks: r.checks,
            on_time: r.on_time,
            late: r.late,
            missed: r.missed,
        })
        .collect();
    html(&ContactsPage { nav: "contacts", contacts, reach })
}

struct PrecedentRow {
    score: String,
    case: String,
    title: String,
    outcome: String,
    decided: String,
    rules: String,
}

#[derive(Template)]
#[template(path = "forum_precedent.html")]
struct PrecedentPage {
    nav: &'static str,
    text: String,
    instrument: String,
    rule: String,
    outcome: String,
    outcomes: Vec<&'static str>,
    results: Vec<PrecedentRow>,
}

async fn precedent_page(State(state): State<AppState>, Query(p): Query<PrecedentParams>) -> Result<Response, PageError> {
    let (text, instrument, rule, outcome) = (p.text.clone(), p.instrument.clone().unwrap_or_default(), p.rule.clone().unwrap_or_default(), p.outcome.clone().unwrap_or_default());
    let q = precedent_query(p)?;
    let corpus = precedent_corpus(&state).await?;
    let results = precedent::search(corpus.precedents(), &q)
        .into_iter()
        .map(|(s, p)| PrecedentRow { score: format!("{s:.2}"), case: p.case.to_string(), title: p.title.clone(), outcome: p.outcome.to_string(), decided: p.decided.clone(), rules: p.rules.iter().cloned().collect::<Vec<_>>().join(", ") })
        .collect();
    html(&PrecedentPage { nav: "precedent", text, instrument, rule, outcome, outcomes: Outcome::ALL.iter().map(|o| o.label()).collect(), results })
}

struct RequestRow {
    id: String,
    template: String,
    from: String,
    to: String,
    subject: String,
    incident: String,
    status: String,
    acknowledge_by: String,
    answer_by: String,
    facts: String,
}

#[derive(Template)]
#[template(path = "forum_consultations.html")]
struct ConsultationsPage {
    nav: &'static str,
    requests: Vec<RequestRow>,
}

async fn consultations_page(State(state): State<AppState>, viewer: Viewer, RawQuery(query): RawQuery) -> Result<Response, PageError> {
    crate::params::none(query.as_deref())?;
    if viewer.account_info().is_none() {
        return Ok(Redirect::to("/login?next=/consultations").into_response());
    }
    let now = Utc::now();
    let t = pacta_forum::fmt_time;
    let requests = all_consultations(&state, &viewer, None)
        .await?
        .into_iter()
        .map(|s| {
            let c = s.consultation;
            let r = &c.request;
            RequestRow {
                id: r.id.to_string(),
                template: r.template.title().to_string(),
                from: r.from.to_string(),
                to: r.to.to_string(),
                subject: r.subject.clone(),
                incident: r.incident.map(|i| i.to_string()).unwrap_or_default(),
                status: c.status(now).label(),
                acknowledge_by: t(r.acknowledge_by),
                answer_by: t(r.answer_by),
                facts: c.facts().iter().map(|(f, v)| format!("{f} = {}", if *v { "yes" } else { "no" })).collect::<Vec<_>>().join(", "),
            }
        })
        .collect();
    html(&ConsultationsPage { nav: "consultations", requests })
}
