//! The middleware stack every response passes through.
//!
//! From the outside in: request tracing (one structured log line per request), metrics,
//! security headers, the per-client rate limit (which also authenticates), compression,
//! the error-body fix-up, the timeout and the body limit.
//! The fix-up sits outside the timeout and the body limit so that their refusals (and
//! axum's own 405s and extractor rejections) get the same error body as ours: the
//! `{"error": {...}}` JSON under `/api/`, the HTML error page elsewhere.

use crate::AppState;
use crate::error::json_error;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use tower_http::compression::CompressionLayer;
use axum::extract::{DefaultBodyLimit, State};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

/// Scripts, styles and images from this origin only (htmx and the stylesheet are served
/// from `/assets`); `data:` images for Swagger UI's icons; no framing by anyone.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

pub(crate) fn apply(routes: Router<AppState>, state: AppState) -> Router {
    let header = |name: HeaderName, value: &'static str| SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value));
    routes
        .layer(middleware::from_fn_with_state(state.clone(), body_limit))
        // Our limit below is the only one: axum's default (2 MB, per extractor) would cap
        // evidence uploads whatever the configuration says.
        .layer(DefaultBodyLimit::disable())
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, state.limits.request_timeout))
        .layer(middleware::from_fn(uniform_errors))
        // Outside the fix-up, which reads a rejection's plain text before it is compressed.
        .layer(CompressionLayer::new())
        // Inside the security headers and metrics, so a 429 is counted and carries them.
        .layer(middleware::from_fn_with_state(state.clone(), crate::ratelimit::limit))
        .layer(header(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        // Not `no-referrer`: under it browsers send `Origin: null` with this site's own form
        // posts, and the sign-in form's same-origin check refuses them (the browser test
        // caught it). `same-origin` still sends nothing to other sites.
        .layer(header(header::REFERRER_POLICY, "same-origin"))
        .layer(header(HeaderName::from_static("cross-origin-opener-policy"), "same-origin"))
        .layer(middleware::from_fn_with_state(state.clone(), crate::metrics::track))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// The body limit of the route: evidence uploads get `max_evidence_bytes` (a third more
/// for the JSON twin's base64), everything else `max_body_bytes`. A declared length past
/// it is refused before a byte is read; a body that grows past it while streaming fails
/// the extractor reading it, which answers 413 too.
async fn body_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limits = &state.limits;
    let limit = match evidence_upload(&req) {
        Some(EvidenceUpload::Form) => limits.max_evidence_bytes.saturating_add(64 * 1024),
        Some(EvidenceUpload::Json) => (limits.max_evidence_bytes / 3).saturating_mul(4).saturating_add(64 * 1024),
        None => limits.max_body_bytes,
    };
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return crate::error::error_for(req.uri().path(), StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", format!("the request body is too large: at most {limit} bytes here"));
    }
    let (parts, body) = req.into_parts();
    let body = axum::body::Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, body)).await
}

enum EvidenceUpload {
    Form,
    Json,
}

/// `POST /incidents/{id}/evidence` (the multipart form) or its JSON twin under `/api/v1`.
fn evidence_upload(req: &Request) -> Option<EvidenceUpload> {
    if req.method() != axum::http::Method::POST {
        return None;
    }
    let path = req.uri().path();
    let rest = path.strip_suffix("/evidence")?;
    let (api, id) = match rest.strip_prefix("/api/v1/incidents/") {
        Some(id) => (true, id),
        None => (false, rest.strip_prefix("/incidents/")?),
    };
    if id.is_empty() || id.contains('/') {
        return None;
    }
    Some(if api { EvidenceUpload::Json } else { EvidenceUpload::Form })
}

/// Gives error responses produced outside our handlers (a 405 from the router, a 413
/// from the body limit, a 503 from the timeout, an extractor's plain-text rejection) the
/// body our own errors have: JSON under `/api/`, the HTML error page elsewhere, as the
/// fallback for unknown paths does. Our own errors are JSON or HTML already and pass
/// untouched.
async fn uniform_errors(req: Request, next: Next) -> Response {
    let page = !req.uri().path().starts_with("/api/");
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let ours = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.starts_with("text/html"));
    if ours {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let (code, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "this path does not accept that method".to_string()),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the request body is too large".to_string()),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => {
            ("timeout", "the request took too long and was stopped".to_string())
        }
        s if s.is_client_error() => ("bad_request", match rejection_text(response).await {
            Some(why) => format!("the request could not be read: {why}"),
            None => format!("the request could not be understood ({})", s.canonical_reason().unwrap_or("client error")),
        }),
        _ => ("internal", "the server could not answer this request".to_string()),
    };
    let mut fixed = if page { crate::pages::error_page(status, message) } else { json_error(status, code, message) };
    // Keep headers the router set on purpose (Allow on a 405).
    if let Some(allow) = allow {
        fixed.headers_mut().insert(header::ALLOW, allow);
    }
    fixed
}

/// The plain-text reason axum's extractors give when they refuse a query string, a form
/// or a path ("Failed to deserialize query string: unknown field `q`, expected one of
/// `text`, ..."): it names the field at fault, which a refusal must. Only a short text
/// body is read; anything else gives `None`.
async fn rejection_text(response: Response) -> Option<String> {
    const MAX: usize = 2048;
    let plain = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| ct.starts_with("text/plain"));
    if !plain {
        return None;
    }
    let bytes = axum::body::to_bytes(response.into_body(), MAX).await.ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut out: String = text.chars().take(300).collect();
    if text.chars().count() > 300 {
        out.push_str("...");
    }
    Some(out)
}
