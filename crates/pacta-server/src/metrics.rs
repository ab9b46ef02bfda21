//! Prometheus metrics: request counts and latencies per route, in the text exposition
//! format at `/metrics`.
//!
//! Hand-rolled: two metric families do not justify a metrics framework. Routes are
//! labelled by their pattern (`/api/v1/incidents/{id}`), never by the raw path, so the
//! number of series stays bounded whatever clients request; unmatched paths share one
//! label.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

/// Upper bounds of the latency histogram buckets, in seconds.
const BUCKETS: [f64; 11] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Default)]
struct Histogram {
    /// Cumulative counts are computed when rendering; these are per-bucket.
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
pub struct Metrics {
    /// (method, route, status) → requests.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// (method, route) → latency histogram.
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        // A poisoned lock only means another request panicked mid-update; the counts are
        // still usable, so keep counting rather than failing every later request.
        let mut req = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *req.entry((method.to_string(), route.to_string(), status)).or_default() += 1;
        drop(req);
        let mut lat = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        let h = lat.entry((method.to_string(), route.to_string())).or_default();
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            h.buckets[i] += 1;
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP pacta_http_requests_total HTTP requests answered, by method, route pattern and status.\n");
        out.push_str("# TYPE pacta_http_requests_total counter\n");
        for ((method, route, status), n) in self.requests.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "pacta_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}", escape(route));
        }
        out.push_str("# HELP pacta_http_request_duration_seconds Time to answer an HTTP request, by method and route pattern.\n");
        out.push_str("# TYPE pacta_http_request_duration_seconds histogram\n");
        for ((method, route), h) in self.latency.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(h.buckets) {
                cumulative += n;
                let _ = writeln!(out, "pacta_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
            }
            let _ = writeln!(out, "pacta_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "pacta_http_request_duration_seconds_sum{{{labels}}} {}", h.sum);
            let _ = writeln!(out, "pacta_http_request_duration_seconds_count{{{labels}}} {}", h.count);
        }
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Middleware: times every request and records it under its route pattern.
pub(crate) async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string()).unwrap_or_else(|| "unmatched".to_string());
    let response = next.run(req).await;
    state.metrics.observe(&method, &route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// For the operator's monitoring, with an administrator's token: the counts by route and
/// status include writes to restricted records (a private claim's 201), which the public
/// must not be able to watch arrive.
async fn metrics(State(state): State<AppState>, viewer: crate::Viewer) -> Response {
    match viewer.account_info() {
        None => return crate::error::AppError::Unauthorized("the metrics are for the operator: send an administrator's token".into()).into_response(),
        Some(a) if a.role != "administrator" => return crate::error::AppError::Forbidden("the metrics are for the operator's administrators".into()).into_response(),
        Some(_) => {}
    }
    let mut r = state.metrics.render().into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative() {
        let m = Metrics::default();
        m.observe("GET", "/api/v1/stats", 200, 0.002);
        m.observe("GET", "/api/v1/stats", 200, 0.2);
        let text = m.render();
        assert!(text.contains("pacta_http_requests_total{method=\"GET\",route=\"/api/v1/stats\",status=\"200\"} 2"), "{text}");
        assert!(text.contains("le=\"0.0025\"} 1"), "{text}");
        assert!(text.contains("le=\"0.25\"} 2"), "{text}");
        assert!(text.contains("le=\"+Inf\"} 2"), "{text}");
    }
}
