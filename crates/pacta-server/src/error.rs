//! The one error type of the server, and its stable wire form.
//!
//! Every failure a client can see is an [`AppError`] rendered as
//! `{"error": {"code": "...", "message": "..."}}` (the pages render the same code and
//! message as HTML). Codes are part of the API contract; messages are for people and
//! name the offending parameter and value. Store failures become a generic
//! `internal` error: the cause is logged, never sent.

use axum::Json;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use pacta_core::Invalid;
use pacta_store::StoreError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A parameter whose value cannot be used.
    #[error("{param}: {value:?} is not valid: {reason}")]
    BadParameter { param: String, value: String, reason: String },
    /// A parameter this endpoint does not take (most likely a typo that would otherwise
    /// silently widen a filter).
    #[error("unknown parameter {param:?}; this endpoint takes: {accepted}")]
    UnknownParameter { param: String, accepted: String },
    #[error("{0}")]
    NotFound(String),
    /// No valid credential, where one is needed (or a presented one is not valid).
    #[error("{0}")]
    Unauthorized(String),
    /// A valid credential that the policies do not allow to do this.
    #[error("{0}")]
    Forbidden(String),
    /// A request body that cannot be used: malformed JSON, unknown or missing fields.
    #[error("{0}")]
    BadBody(String),
    /// The write path is not running (a read-only server) or has stopped.
    #[error("{0}")]
    Unavailable(String),
    /// A body past the route's limit, found while it streamed in.
    #[error("{0}")]
    TooLarge(String),
    /// A store or rendering failure. The detail is logged, not shown.
    #[error("internal error")]
    Internal(String),
}

/// The wire form of an error, documented in the OpenAPI document.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code: `bad_parameter`, `unknown_parameter`, `not_found`,
    /// `unauthorized`, `forbidden`, `bad_body`, `unavailable`,
    /// `method_not_allowed`, `payload_too_large`, `bad_request` (a query string, form or
    /// path that could not be read; the message names the field), `rate_limited` (with `Retry-After`),
    /// `timeout`, `internal`.
    pub code: String,
    /// A readable explanation naming the parameter and value at fault.
    pub message: String,
}

/// User input as a message repeats it: short, for recognition, not for replay.
pub fn echo(value: &str) -> String {
    if value.chars().count() > 80 { value.chars().take(77).collect::<String>() + "..." } else { value.to_string() }
}

impl AppError {
    pub fn bad(param: impl Into<String>, value: impl Into<String>, reason: impl Into<String>) -> Self {
        AppError::BadParameter { param: param.into(), value: echo(&value.into()), reason: reason.into() }
    }

    /// A domain refusal, re-labelled with the parameter name the client used.
    pub fn from_invalid(param: &str, e: Invalid) -> Self {
        AppError::bad(param, e.value, e.rule)
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadParameter { .. } | AppError::UnknownParameter { .. } => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::BadBody(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadParameter { .. } => "bad_parameter",
            AppError::UnknownParameter { .. } => "unknown_parameter",
            AppError::NotFound(_) => "not_found",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::BadBody(_) => "bad_body",
            AppError::Unavailable(_) => "unavailable",
            AppError::TooLarge(_) => "payload_too_large",
            AppError::Internal(_) => "internal",
        }
    }

    /// What the client is told: everything but an internal error's detail.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => "the server could not answer this request; the incident has been logged".to_string(),
            other => other.to_string(),
        }
    }

    pub(crate) fn log(&self) {
        if let AppError::Internal(detail) = self {
            tracing::error!(%detail, "internal error");
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            // The store's refusals name the field it checked (`reason`, `shared_with`,
            // `incident`...); a handler whose parameter has another name maps it itself.
            StoreError::Invalid(inv) => AppError::from_invalid(&inv.field.clone(), inv),
            StoreError::NotFound(what) => AppError::NotFound(format!("not found: {what}")),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        json_error(self.status(), self.code(), self.public_message())
    }
}

pub(crate) fn json_error(status: StatusCode, code: &str, message: String) -> Response {
    let body = ErrorBody { error: ErrorDetail { code: code.to_string(), message } };
    (status, Json(body)).into_response()
}

/// An error answered before any handler runs (a body too large, a client over its rate):
/// JSON under `/api/`, the HTML error page elsewhere, as every handler answers.
pub(crate) fn error_for(path: &str, status: StatusCode, code: &str, message: String) -> Response {
    if path.starts_with("/api/") { json_error(status, code, message) } else { crate::pages::error_page(status, message) }
}

/// Unknown paths: JSON under `/api`, an HTML page elsewhere.
pub(crate) async fn not_found_fallback(uri: Uri) -> Response {
    let err = AppError::NotFound(format!("no page or endpoint at {}", uri.path()));
    if uri.path().starts_with("/api/") {
        err.into_response()
    } else {
        crate::pages::PageError(err).into_response()
    }
}
