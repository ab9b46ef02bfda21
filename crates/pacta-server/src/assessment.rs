//! The registry's own legal assessment of an incident, as one viewer may see it.
//!
//! `GET /api/v1/incidents/{id}/assessment[?perspective=CC]` answers the engine's
//! conclusions with their traces (rule ids, citations, facts used) as JSON; the incident
//! page renders the same assessment as text.
//!
//! Invariant: **an assessment is computed from what the viewer may see.** A conclusion
//! drawn from a private claim would reveal the claim (that someone attributed the incident,
//! to whom, with what confidence), and one drawn from a restricted consultation would
//! reveal that it took place, so the claims and consultations the viewer may not read are
//! left out before the engine runs. That is why it is computed per request (microseconds) rather than read
//! from the stored copy, which is made over every claim for the registry's own use.

use crate::error::AppError;
use crate::{AppState, Viewer, registry};
use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use pacta_core::{Attribution, StateCode};
use pacta_norms::{AssessOptions, Assessment};
use pacta_store::StoredIncident;
use serde::Serialize;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/incidents/{id}/assessment", get(api))
}

/// The assessment of `found` from the claims `visible` to the viewer and the facts of the
/// consultations the viewer may read (see [`crate::forms::assessment_basis`]), from `perspective` (the first targeted state
/// when `None`). An incident the engine cannot take (a fact it does not know) is an error
/// naming the fact.
pub fn assess(found: &StoredIncident, visible: &[Attribution], facts: &BTreeMap<String, bool>, perspective: Option<StateCode>, trace: bool) -> Result<Assessment, String> {
    let case = pacta_norms::extract::case(&found.record.incident, visible, perspective, facts).map_err(|e| e.to_string())?;
    Ok(pacta_norms::builtin().assess(&case, AssessOptions { trace }))
}

#[derive(Serialize)]
struct AssessmentBody {
    incident: String,
    /// The SHA-256 of the instruments applied; `/api/v1/instruments` lists them.
    instruments_version: String,
    engine_version: &'static str,
    assessment: Assessment,
}

#[utoipa::path(
    get, path = "/api/v1/incidents/{id}/assessment", tag = "incidents",
    params(
        ("id" = String, Path, description = "The incident's UUID, or DATASET:RECORD_ID"),
        ("perspective" = Option<String>, Query, description = "Assess from this state's view (ISO 3166-1 alpha-2), applying its published positions; default: the first targeted state"),
    ),
    responses(
        (status = 200, description = "The engine's conclusions with their traces, from the claims you may see"),
        (status = 400, description = "A parameter is invalid or unknown", body = crate::error::ErrorBody),
        (status = 404, description = "No such incident (or not visible to you)", body = crate::error::ErrorBody),
    )
)]
pub(crate) async fn api(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, RawQuery(raw): RawQuery) -> Result<Json<serde_json::Value>, AppError> {
    let mut perspective = None;
    for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "perspective" if v.is_empty() => {}
            "perspective" => perspective = Some(registry::parse_state(&v).map_err(|_| AppError::bad("perspective", v.as_ref(), "expected an ISO 3166-1 alpha-2 state code such as FR"))?),
            other => return Err(AppError::UnknownParameter { param: other.to_string(), accepted: "perspective".into() }),
        }
    }
    let found = registry::incident(&state, &viewer, &id).await?;
    let (visible, facts) = crate::forms::assessment_basis(&state, &viewer, &found).await?;
    let assessment = assess(&found, &visible, &facts, perspective, true).map_err(|e| AppError::bad("id", &id, format!("this incident cannot be assessed: {e}")))?;
    let body = AssessmentBody {
        incident: found.record.incident.id.to_string(),
        instruments_version: pacta_norms::builtin().version().to_string(),
        engine_version: pacta_norms::ENGINE_VERSION,
        assessment,
    };
    serde_json::to_value(body).map(Json).map_err(|e| AppError::Internal(e.to_string()))
}
