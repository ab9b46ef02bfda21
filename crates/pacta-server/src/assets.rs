//! Static assets, compiled into the binary so the server needs no files beside it and
//! fetches nothing from the internet: the stylesheet, htmx and a favicon.

use crate::AppState;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// htmx 2.0.11, unchanged from the npm package (licence: `assets/htmx-2.0.11.LICENSE.txt`).
pub const HTMX_PATH: &str = "/assets/htmx-2.0.11.min.js";
const HTMX: &[u8] = include_bytes!("../assets/htmx-2.0.11.min.js");
const HTMX_LICENSE: &[u8] = include_bytes!("../assets/htmx-2.0.11.LICENSE.txt");

pub const CSS_PATH: &str = "/assets/pacta.css";
const CSS: &[u8] = include_bytes!("../assets/pacta.css");
const FAVICON: &[u8] = include_bytes!("../assets/favicon.svg");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(HTMX_PATH, get(|| async { asset(HTMX, "text/javascript; charset=utf-8", IMMUTABLE) }))
        .route("/assets/htmx-2.0.11.LICENSE.txt", get(|| async { asset(HTMX_LICENSE, "text/plain; charset=utf-8", HOUR) }))
        .route(CSS_PATH, get(|| async { asset(CSS, "text/css; charset=utf-8", HOUR) }))
        .route("/favicon.svg", get(|| async { asset(FAVICON, "image/svg+xml", HOUR) }))
        .route("/favicon.ico", get(|| async { asset(FAVICON, "image/svg+xml", HOUR) }))
}

/// The htmx file name carries its version, so it can be cached for good.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The stylesheet changes with releases under the same name.
const HOUR: &str = "public, max-age=3600";

fn asset(body: &'static [u8], content_type: &'static str, cache: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}
