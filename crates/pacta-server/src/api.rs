//! The JSON API under `/api/v1`, its OpenAPI document and the browsable docs page.
//!
//! Handlers are thin: parse ([`crate::params`]), read on behalf of the viewer
//! ([`crate::registry`]), convert ([`crate::wire`]). The OpenAPI document is generated
//! from the handlers' annotations, so it cannot list a path the router does not serve.

use crate::error::{AppError, ErrorBody, ErrorDetail};
use crate::wire::*;
use crate::{AppState, Viewer, params, registry};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";
pub const DOCS_PATH: &str = "/api/docs";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pacta API",
        description = "A Pacta registry of state behaviour in cyberspace: incidents, attribution claims, responses, state \
            records and statistics. Without a token only TLP:CLEAR records exist; with an API token (`Authorization: Bearer …`) \
            the registry's policies decide per record (GREEN for registered accounts, AMBER for the parties named, RED for the \
            named recipients). What a viewer may not see is not listed, not counted, and looking it up by id answers 404. \
            Errors have the body {\"error\": {\"code\", \"message\"}}; unknown query parameters are refused with 400."
    ),
    paths(list_incidents, get_incident, stats, state_record, crate::report::post_incident, crate::norms::api_index, crate::norms::api_instrument, crate::practice::api, crate::assessment::api, crate::ledger::opening),
    components(schemas(ErrorBody, ErrorDetail, crate::report::ReportInput, crate::report::TargetInput, crate::report::Reported)),
    modifiers(&TokenAuth),
    tags(
        (name = "incidents", description = "Reported and imported incidents"),
        (name = "statistics", description = "Counts over the public incidents"),
        (name = "states", description = "What the registry holds about one state"),
        (name = "norms", description = "The instruments and rules the assessment engine applies"),
        (name = "log", description = "The transparency log: openings of sealed entries for the parties that made them"),
    )
)]
pub struct ApiDoc;

/// The whole OpenAPI document: the read API and the workflows ([`crate::forms`]).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut d = ApiDoc::openapi();
    d.merge(crate::forms::WorkflowsApi::openapi());
    d.merge(crate::forum::ForumDoc::openapi());
    d
}

/// Declares the bearer-token scheme that write endpoints require.
struct TokenAuth;

impl utoipa::Modify for TokenAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("token", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("A Pacta API token (`pacta account token NAME`)")).build()));
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/incidents", get(list_incidents).post(crate::report::post_incident))
        .route("/api/v1/incidents/{id}", get(get_incident))
        .route("/api/v1/stats", get(stats))
        .route("/api/v1/states/{code}", get(state_record))
        // Swagger UI is compiled in (utoipa-swagger-ui's `vendored` feature) and served
        // from here, so the docs page works offline and under a self-only CSP.
        .merge(Router::from(SwaggerUi::new(DOCS_PATH).url(OPENAPI_PATH, document())).layer(
            // Swagger UI's bundle sets a few inline styles; allow those on its pages only.
            // Scripts stay self-only.
            SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DOCS_CONTENT_SECURITY_POLICY)),
        ))
}

const DOCS_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
     font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The filters of `GET /api/v1/incidents`. Empty values mean "any".
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documentation only: parsing is done by `params::parse_list`
struct ListQuery {
    /// A state involved as target or as alleged author (ISO 3166-1 alpha-2, e.g. `UA`).
    state: Option<String>,
    /// A targeted state.
    target: Option<String>,
    /// A state named as alleged author.
    alleged: Option<String>,
    /// A targeted sector (`energy`, `health`, `government`, ...).
    sector: Option<String>,
    /// An operation type (`espionage`, `disruption`, `ransomware`, ...).
    #[param(rename = "type")]
    operation_type: Option<String>,
    /// Started on or after this date (`YYYY-MM-DD`).
    from: Option<String>,
    /// Started on or before this date (`YYYY-MM-DD`).
    to: Option<String>,
    /// A full-text search over titles, descriptions, alleged actors, targets and sources
    /// (English stemming): every word must match; `"a phrase"` matches the words in
    /// order; `-word` excludes; `a OR b`; `title:word` searches one field. With `q` the
    /// results are ranked best match first, `facets` counts all matches per value, and
    /// `offset + limit` may reach 10,000. A malformed query is a 400 naming `q`.
    q: Option<String>,
    /// Page size, 1 to 200 (default 50).
    limit: Option<u32>,
    /// How many matching incidents to skip (default 0).
    offset: Option<u64>,
}

/// List incidents, newest first (with `q`, best match first).
#[utoipa::path(
    get, path = "/api/v1/incidents", tag = "incidents", params(ListQuery),
    responses(
        (status = 200, description = "A page of matching incidents", body = IncidentPage),
        (status = 400, description = "A filter value is invalid, or a parameter is unknown", body = ErrorBody),
    )
)]
async fn list_incidents(State(state): State<AppState>, viewer: Viewer, RawQuery(query): RawQuery) -> Result<Json<IncidentPage>, AppError> {
    let p = params::parse_list(query.as_deref())?;
    let l = registry::listing(&state, &viewer, &p).await?;
    let facets = l.facets.map(|f| f.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
    Ok(Json(IncidentPage { total: l.total, offset: p.offset, limit: p.limit, incidents: l.rows.iter().map(Into::into).collect(), facets }))
}

/// One incident with its attribution claims, responses and the external assessment.
#[utoipa::path(
    get, path = "/api/v1/incidents/{id}", tag = "incidents",
    params(("id" = String, Path, description = "The incident's UUID, or DATASET:RECORD_ID such as `eurepoc:2`")),
    responses(
        (status = 200, description = "The incident", body = IncidentDetail),
        (status = 400, description = "The id is neither a UUID nor DATASET:RECORD_ID", body = ErrorBody),
        (status = 404, description = "No such incident (or not visible to you)", body = ErrorBody),
    )
)]
async fn get_incident(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, RawQuery(query): RawQuery) -> Result<Json<IncidentDetail>, AppError> {
    params::none(query.as_deref())?;
    let found = registry::incident(&state, &viewer, &id).await?;
    Ok(Json(IncidentDetail::new(&found, &viewer)))
}

/// Counts over the public incidents: totals, by year, sector, operation type and state.
#[utoipa::path(
    get, path = "/api/v1/stats", tag = "statistics",
    responses((status = 200, description = "Counts", body = StatsDto), (status = 400, description = "A parameter was given", body = ErrorBody))
)]
async fn stats(State(state): State<AppState>, viewer: Viewer, RawQuery(query): RawQuery) -> Result<Json<StatsDto>, AppError> {
    params::none(query.as_deref())?;
    let snap = registry::snapshot(&state, &viewer).await?;
    Ok(Json(StatsDto::from(&*snap)))
}

/// A state's record: incidents against it, incidents alleged against it, attributions it made.
#[utoipa::path(
    get, path = "/api/v1/states/{code}", tag = "states",
    params(("code" = String, Path, description = "ISO 3166-1 alpha-2 code, e.g. `UA`")),
    responses(
        (status = 200, description = "The state's record (empty lists when the registry holds nothing about it)", body = StateRecordDto),
        (status = 400, description = "Not an ISO 3166-1 alpha-2 code", body = ErrorBody),
    )
)]
async fn state_record(State(state): State<AppState>, viewer: Viewer, Path(code): Path<String>, RawQuery(query): RawQuery) -> Result<Json<StateRecordDto>, AppError> {
    params::none(query.as_deref())?;
    let code = registry::parse_state(&code)?;
    let record = registry::state_record(&state, &viewer, code).await?;
    Ok(Json(StateRecordDto::from(&record)))
}
