//! Reporting an incident: `POST /api/v1/incidents` (JSON, API token with write scope) and
//! the `/report` form (signed-in session, CSRF token). Both build the same
//! [`ReportInput`] and call [`submit`], the server's only write of incidents.
//!
//! The record goes through the store's sequencer (group commit), so the answer comes after
//! its log entry is durable, and the checkpointer covers it with a signed checkpoint within
//! about a second. The sharing list travels with the record and is written, and logged, in
//! the same transaction: the reporter's party and organisation always, the parties named
//! for AMBER and AMBER+STRICT, and the reporting account plus the named recipients for RED.
//! So an acknowledged report is readable by exactly the audience asked for, and a crash
//! before the commit leaves neither the incident nor its sharing behind.
//!
//! Extension point: attribution claims and responses (a colleague's work) get their own
//! input types and `submit_*` functions here, with the same shape: parse, authorize by
//! policy, write through the store's write path, answer with the log index.

use crate::error::AppError;
use crate::{AppState, Viewer};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pacta_core::*;
use serde::{Deserialize, Serialize};

/// What a reporter says about an incident. Unknown fields are refused: a misspelt field
/// must not be silently dropped from a record that is logged forever.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    /// Short title (required).
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// First known day, `YYYY-MM-DD`.
    #[serde(default)]
    pub start_date: Option<String>,
    /// Operation types (`espionage`, `disruption`, ...).
    #[serde(default)]
    pub operation_types: Vec<String>,
    #[serde(default)]
    pub targets: Vec<TargetInput>,
    /// States alleged to be behind it (ISO 3166-1 alpha-2): an allegation, not an attribution.
    #[serde(default)]
    pub alleged_states: Vec<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    /// TLP 2.0: CLEAR, GREEN, AMBER, AMBER+STRICT or RED (required).
    pub tlp: String,
    /// Parties and organisations (`state:DE`, `org:de-cert`) an AMBER marking names.
    #[serde(default)]
    pub shared_with: Vec<String>,
    /// Account names a RED record is addressed to.
    #[serde(default)]
    pub recipients: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    pub state: Option<String>,
    pub sector: String,
    #[serde(default)]
    pub entity: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Reported {
    pub id: String,
    /// The index of the incident's entry in the transparency log.
    pub log_index: u64,
    /// Where to read it (as the reporter).
    pub href: String,
}

fn bad(field: &str, e: Invalid) -> AppError {
    AppError::from_invalid(field, e)
}

impl ReportInput {
    fn to_record(&self) -> Result<IncidentRecord, AppError> {
        let tlp = Tlp::parse("tlp", &self.tlp).map_err(|e| bad("tlp", e))?;
        let mut i = Incident::new(self.title.trim(), tlp);
        i.description = self.description.trim().to_string();
        // A report records what happened: its first day is not after today.
        let today = incident::today_anywhere(chrono::Utc::now());
        i.start_date = self.start_date.as_deref().filter(|d| !d.trim().is_empty()).map(|d| incident::parse_past_date("start_date", d.trim(), today)).transpose().map_err(|e| bad("start_date", e))?;
        for o in &self.operation_types {
            i.operation_types.push(OperationType::parse("operation_types", o).map_err(|e| bad("operation_types", e))?);
        }
        for t in &self.targets {
            let state = t.state.as_deref().filter(|s| !s.trim().is_empty()).map(|s| StateCode::parse("targets.state", s)).transpose().map_err(|e| bad("targets.state", e))?;
            let sector = Sector::parse("targets.sector", &t.sector).map_err(|e| bad("targets.sector", e))?;
            i.targets.push(Target { state, place: None, sector, entity: t.entity.clone().filter(|e| !e.trim().is_empty()) });
        }
        for s in &self.alleged_states {
            let state = StateCode::parse("alleged_states", s).map_err(|e| bad("alleged_states", e))?;
            i.alleged_actors.push(Actor { name: None, state: Some(state), category: ActorCategory::Unknown });
        }
        i.sources = self.sources.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        let record = IncidentRecord::new(i);
        record.validate().map_err(|e| AppError::from_invalid(&e.field.clone(), e))?;
        Ok(record)
    }
}

/// The reporting account, if the policies let it report (checked before the body is read,
/// so an anonymous client learns that it needs a token, not what its JSON lacks).
fn may_report(viewer: &Viewer) -> Result<&pacta_store::accounts::Account, AppError> {
    let Some(account) = viewer.account_info() else {
        return Err(AppError::Unauthorized("reporting needs an account: send an API token or sign in".into()));
    };
    if !viewer.may_report() {
        return Err(AppError::Forbidden(format!("account {:?} may not report incidents (role {}, or a read-only token)", account.name, account.role)));
    }
    Ok(account)
}

/// Files an incident on behalf of `viewer`: the one write path of the server.
pub async fn submit(state: &AppState, viewer: &Viewer, input: &ReportInput) -> Result<Reported, AppError> {
    let account = may_report(viewer)?;
    let record = input.to_record()?;
    let tlp = record.incident.tlp;
    // Grants are validated before anything is written, so a bad list refuses the report.
    let mut grants: Vec<String> = Vec::new();
    for p in &input.shared_with {
        grants.push(PartyId::parse("shared_with", p.trim()).map_err(|e| bad("shared_with", e))?.to_string());
    }
    for r in &input.recipients {
        let name = r.trim().trim_start_matches("account:");
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)) {
            return Err(AppError::bad("recipients", r, "expected an account name"));
        }
        grants.push(format!("account:{name}"));
    }
    check_sharing(state, tlp, input).await?;
    grants.extend(account.party.iter().chain(account.organisation.iter()).cloned());
    grants.push(format!("account:{}", account.name));
    grants.sort();
    grants.dedup();
    let actor_id = account.party.clone().or(account.organisation.clone()).unwrap_or_else(|| "org:secretariat".to_string());
    let actor = PartyId::parse("actor", &actor_id).map_err(|e| AppError::Internal(format!("account {}: {e}", account.name)))?;
    let Some(sequencer) = &state.sequencer else {
        return Err(AppError::Unavailable("this server is read-only: it was started without the write path".into()));
    };
    let id = record.incident.id;
    // TLP:CLEAR is open to all: nobody needs to be named.
    let shared_with = if tlp == Tlp::Clear { Vec::new() } else { grants };
    let log_index = sequencer.submit_shared(record, actor, shared_with).await?;
    tracing::info!(incident = %id, log_index, account = %account.name, tlp = %tlp, "incident reported");
    Ok(Reported { id: id.to_string(), log_index, href: format!("/incidents/{id}") })
}

/// Refuses a sharing list the marking would ignore, rather than accept it and leave the
/// named readers out: each marking is read through one kind of grant (`policies/`).
async fn check_sharing(state: &AppState, tlp: Tlp, input: &ReportInput) -> Result<(), AppError> {
    let first = |v: &[String]| v.first().cloned().unwrap_or_default();
    match tlp {
        Tlp::Clear | Tlp::Green if !input.shared_with.is_empty() || !input.recipients.is_empty() => {
            let field = if input.shared_with.is_empty() { "recipients" } else { "shared_with" };
            let whom = if tlp == Tlp::Clear { "everyone" } else { "every registered account" };
            Err(AppError::bad(field, first(if field == "recipients" { &input.recipients } else { &input.shared_with }), format!("TLP:{tlp} is read by {whom}: name no one, or mark it AMBER to share it with the parties named")))
        }
        Tlp::Amber | Tlp::AmberStrict if !input.recipients.is_empty() => {
            Err(AppError::bad("recipients", first(&input.recipients), format!("TLP:{tlp} is shared with parties and organisations (shared_with); recipients name individuals, for TLP:RED")))
        }
        Tlp::AmberStrict => match input.shared_with.iter().find(|p| PartyId::parse("shared_with", p.trim()).is_ok_and(|p| p.state().is_some())) {
            Some(state) => Err(AppError::bad("shared_with", state, "TLP:AMBER+STRICT is read by the organisations it names, not by a whole state: name an organisation (org:…), or mark it AMBER")),
            None => Ok(()),
        },
        Tlp::Red if !input.shared_with.is_empty() => {
            Err(AppError::bad("shared_with", first(&input.shared_with), "TLP:RED is read by the individuals it names: list their accounts in recipients"))
        }
        Tlp::Red => {
            for r in &input.recipients {
                let name = r.trim().trim_start_matches("account:");
                if state.store.account(name).await?.is_none() {
                    return Err(AppError::bad("recipients", r, "is not an account of the registry: a RED record is read by the accounts it names"));
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Parses a JSON body ourselves, so that every refusal names what is wrong (axum's own
/// rejections are terse plain text).
pub fn json_body<T: serde::de::DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, AppError> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    // The media type, before any parameter: `application/json; charset=utf-8` is JSON,
    // `application/jsonx` is not.
    let media = ct.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(AppError::BadBody(format!("expected Content-Type: application/json, got {ct:?}")));
    }
    // The path names the field that does not fit (`targets[0].state`), which serde's own
    // message, a line and a column, leaves the client to work out.
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let at = e.path().to_string();
        let at = if at == "." { String::new() } else { format!("field {at}: ") };
        AppError::BadBody(format!("the body does not fit this endpoint (its schema is in /api/docs/): {at}{}", e.inner()))
    })?;
    de.end().map_err(|e| AppError::BadBody(format!("the body does not fit this endpoint: {e}")))?;
    Ok(value)
}

/// Report an incident. The answer comes once its log entry is durable.
#[utoipa::path(
    post, path = "/api/v1/incidents", tag = "incidents", request_body = ReportInput,
    responses(
        (status = 201, description = "Recorded; covered by a signed checkpoint within about a second", body = Reported),
        (status = 400, description = "A field's value is invalid", body = crate::error::ErrorBody),
        (status = 401, description = "No valid API token", body = crate::error::ErrorBody),
        (status = 403, description = "The account may not report, or the token is read-only", body = crate::error::ErrorBody),
        (status = 413, description = "The body is too large", body = crate::error::ErrorBody),
        (status = 422, description = "The body is not JSON, or has unknown or missing fields", body = crate::error::ErrorBody),
    ),
    security(("token" = []))
)]
pub async fn post_incident(State(state): State<AppState>, viewer: Viewer, headers: HeaderMap, body: Bytes) -> Result<Response, AppError> {
    may_report(&viewer)?;
    let input: ReportInput = json_body(&headers, &body)?;
    let reported = submit(&state, &viewer, &input).await?;
    Ok((StatusCode::CREATED, Json(reported)).into_response())
}

// ---------------------------------------------------------------- the HTML form

#[derive(askama::Template)]
#[template(path = "report.html")]
struct ReportPage {
    nav: &'static str,
    account: String,
    csrf: String,
    operation_types: Vec<(&'static str, String)>,
    sectors: Vec<(&'static str, String)>,
    tlps: Vec<&'static str>,
    /// Empty, or what was typed before a refusal, which comes back with it.
    form: ReportForm,
    error: Option<crate::forms::Refusal>,
}

impl ReportPage {
    fn new(account: &str, csrf: &str, form: ReportForm, error: Option<crate::forms::Refusal>) -> ReportPage {
        ReportPage {
            nav: "report",
            account: account.to_string(),
            csrf: csrf.to_string(),
            operation_types: OperationType::ALL.iter().map(|o| (o.label(), crate::pages::human(o.label()))).collect(),
            sectors: Sector::ALL.iter().map(|s| (s.label(), crate::pages::human(s.label()))).collect(),
            tlps: Tlp::ALL.iter().map(|t| t.label()).collect(),
            form,
            error,
        }
    }
}

/// The form's fields: flat, as a browser sends them.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportForm {
    csrf: String,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    start_date: String,
    #[serde(default)]
    operation_type: String,
    #[serde(default)]
    target_state: String,
    #[serde(default)]
    target_sector: String,
    #[serde(default)]
    alleged_state: String,
    tlp: String,
    #[serde(default)]
    shared_with: String,
    #[serde(default)]
    recipients: String,
}

fn list(s: &str) -> Vec<String> {
    s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect()
}

impl From<&ReportForm> for ReportInput {
    fn from(f: &ReportForm) -> Self {
        let nonempty = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        ReportInput {
            title: f.title.clone(),
            description: f.description.clone(),
            start_date: nonempty(&f.start_date),
            operation_types: nonempty(&f.operation_type).into_iter().collect(),
            targets: nonempty(&f.target_sector)
                .map(|sector| TargetInput { state: nonempty(&f.target_state), sector, entity: None })
                .into_iter()
                .collect(),
            alleged_states: nonempty(&f.alleged_state).into_iter().collect(),
            sources: Vec::new(),
            tlp: f.tlp.clone(),
            shared_with: list(&f.shared_with),
            recipients: list(&f.recipients),
        }
    }
}

/// `GET /report`: the form, for a signed-in account that may report.
pub async fn report_page(viewer: Viewer) -> Result<Response, crate::pages::PageError> {
    use askama::Template;
    let (Some(account), Some(csrf)) = (viewer.account_info(), viewer.csrf()) else {
        return Ok(axum::response::Redirect::to("/login?next=/report").into_response());
    };
    if !viewer.may_report() {
        return Err(AppError::Forbidden(format!("account {:?} may not report incidents", account.name)).into());
    }
    let page = ReportPage::new(&account.name, csrf, ReportForm::default(), None);
    Ok(axum::response::Html(page.render().map_err(AppError::from)?).into_response())
}

/// `POST /report`: files the form's incident and shows it.
pub async fn report_form(State(state): State<AppState>, viewer: Viewer, axum::extract::Form(form): axum::extract::Form<ReportForm>) -> Result<Response, crate::pages::PageError> {
    crate::auth::check_csrf(&viewer, &form.csrf)?;
    match submit(&state, &viewer, &ReportInput::from(&form)).await {
        Ok(reported) => Ok(axum::response::Redirect::to(&reported.href).into_response()),
        // Refused: the form comes back with what was typed, the field named.
        Err(e @ AppError::BadParameter { .. }) => {
            let (Some(account), Some(csrf)) = (viewer.account_info(), viewer.csrf()) else { return Err(e.into()) };
            Ok(crate::forms::refused(e, |r| ReportPage::new(&account.name, csrf, form, Some(r))))
        }
        Err(e) => Err(e.into()),
    }
}
