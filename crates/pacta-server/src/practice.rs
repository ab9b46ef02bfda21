//! State practice on the dashboard: per norm and per year, how often incidents that engaged
//! a norm were attributed and drew a response, and each state's record (the observed rates
//! of detection and punishment that `pacta sim axelrod --from-registry` calibrates with).
//!
//! | path | what |
//! |---|---|
//! | `/practice` (`?norm=RULE`) | the page: totals, a chart per year, the per-norm and per-state tables |
//! | `/practice/chart.svg` (`?norm=RULE`) | the chart alone, as `image/svg+xml` |
//! | `/api/v1/practice` | the same figures as JSON (`pacta practice --json`'s shape) |
//!
//! Invariant: **practice is computed from TLP:CLEAR incidents only, for every viewer.** The
//! figures are aggregates that a forum publishes; computing them per viewer would let a
//! signed-in party's page differ from the public one in ways nobody could check, and a
//! count over AMBER incidents shown to the public would leak their existence. The page
//! says so. The store reads CLEAR incidents and the claims filed with them (imported
//! claims, which are public), in pages.
//!
//! The tally is a pass over every public incident (pure, in `pacta-practice`): it is cached
//! with the log size it was computed at and recomputed only when the log has grown, as the
//! overview's statistics are.

use crate::error::AppError;
use crate::pages::{PageResult, html};
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use pacta_core::Tlp;
use pacta_practice::{Options, Practice, Rates, Series, Tally};
use std::sync::Arc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/practice", get(page))
        .route("/practice/chart.svg", get(chart))
        .route("/api/v1/practice", get(api))
}

/// The public practice, stamped with the log size it reflects (see [`crate::refresh`]).
pub type PracticeCache = crate::refresh::Refreshed<Practice>;

/// The public practice. When the log has grown since it was computed, a request waits up
/// to `limits.stats_wait` for the recount (one pass over the public incidents: seconds at
/// a million), then answers with the previous practice.
pub async fn public_practice(state: &AppState) -> Result<Arc<Practice>, AppError> {
    let size = state.store.log_size().await?;
    let st = state.clone();
    state.practice.get("public", size, state.limits.stats_wait, async move { Ok((size, count_practice(&st).await?)) }).await
}

async fn count_practice(state: &AppState) -> Result<Practice, AppError> {
    let mut tally = Tally::new(pacta_norms::builtin(), Options::default()).map_err(|e| AppError::Internal(format!("practice: {e}")))?;
    state
        .store
        .for_each_incident_record(Some(Tlp::Clear), |page| {
            for r in &page {
                tally.add(r);
            }
        })
        .await?;
    Ok(tally.finish())
}

/// `norm=RULE` is the only parameter; a rule no public incident engaged is a 404 naming it,
/// so a typo is not shown as an empty chart.
fn norm_param(raw: Option<String>, practice: &Practice) -> Result<Option<String>, AppError> {
    let mut norm = None;
    for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "norm" if v.is_empty() => {}
            "norm" => norm = Some(v.into_owned()),
            other => return Err(AppError::UnknownParameter { param: other.to_string(), accepted: "norm".into() }),
        }
    }
    if let Some(n) = &norm && practice.norm(n).is_none() {
        return Err(AppError::NotFound(format!("norm {n:?}: no public incident engaged this rule (see /practice for the rules that were)")));
    }
    Ok(norm)
}

fn series<'a>(p: &'a Practice, norm: Option<&str>) -> (&'a Series, String) {
    match norm.and_then(|n| p.norm(n)) {
        Some(n) => (&n.series, format!("{} ({})", n.rule, n.cites)),
        None => (&p.any_norm, "incidents engaging any norm".to_string()),
    }
}

fn pct(x: Option<f64>) -> String {
    x.map(|x| format!("{:.0}%", 100.0 * x)).unwrap_or_else(|| "–".into())
}

/// One row of a rates table, as shown.
struct RateRow {
    label: String,
    href: Option<String>,
    incidents: u64,
    attributed: u64,
    detection: String,
    lag: String,
    responded: u64,
    punishment: String,
    reactions: String,
}

fn row(label: String, href: Option<String>, r: &Rates) -> RateRow {
    let x = &r.reactions;
    RateRow {
        label,
        href,
        incidents: r.incidents,
        attributed: r.attributed,
        detection: pct(r.detection),
        lag: r.attribution_lag_median_days.map(|d| format!("{d:.0}")).unwrap_or_else(|| "–".into()),
        responded: r.responded,
        punishment: pct(r.punishment),
        reactions: format!("{} / {} / {} / {}", x.denied, x.acknowledged, x.silent, x.unknown),
    }
}

struct StateRow {
    code: String,
    name: String,
    target: String,
    author: String,
    attributor: String,
    responder: String,
}

#[derive(Template)]
#[template(path = "practice.html")]
struct PracticePage {
    nav: &'static str,
    counted: u64,
    scope_title: String,
    norm: String,
    chart_href: String,
    calibration: Option<(String, String)>,
    scope: Vec<RateRow>,
    norms: Vec<RateRow>,
    years: Vec<RateRow>,
    measures: Vec<(String, u64)>,
    states: Vec<StateRow>,
}

async fn page(State(state): State<AppState>, RawQuery(raw): RawQuery) -> PageResult {
    let p = public_practice(&state).await?;
    let norm = norm_param(raw, &p)?;
    let (s, title) = series(&p, norm.as_deref());
    let mut measures: Vec<(String, u64)> = s.total.measures.iter().map(|(k, v)| (k.clone(), *v)).collect();
    measures.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    measures.truncate(10);
    let enc = |n: &str| form_urlencoded::byte_serialize(n.as_bytes()).collect::<String>();
    html(&PracticePage {
        nav: "practice",
        counted: p.incidents_counted,
        scope_title: title,
        chart_href: match &norm {
            Some(n) => format!("/practice/chart.svg?norm={}", enc(n)),
            None => "/practice/chart.svg".into(),
        },
        norm: norm.clone().unwrap_or_default(),
        calibration: p.calibration().ok().map(|c| (format!("{:.2}", c.seen), format!("{:.2}", c.punish))),
        scope: vec![row("All public incidents".into(), None, &p.all.total), row("Engaging any norm".into(), Some("/practice".into()), &p.any_norm.total)],
        norms: p.norms.iter().map(|n| row(n.rule.clone(), Some(format!("/practice?norm={}", enc(&n.rule))), &n.series.total)).collect(),
        years: s
            .years
            .iter()
            .map(|y| row(y.year.map(|y| y.to_string()).unwrap_or_else(|| "undated".into()), None, &y.rates))
            .collect(),
        measures,
        states: p
            .states
            .iter()
            .take(25)
            .map(|r| StateRow {
                code: r.state.to_string(),
                name: r.name.to_string(),
                target: format!("{} / {} / {}", r.as_target.incidents, r.as_target.attributed, r.as_target.responded),
                author: format!("{} / {} / {}", r.as_alleged_author.rates.incidents, r.as_alleged_author.named_in_claims, r.as_alleged_author.engaged_a_norm),
                attributor: format!("{} / {}", r.as_attributor.claims, r.as_attributor.incidents),
                responder: format!("{} / {}", r.as_responder.responses, r.as_responder.incidents),
            })
            .collect(),
    })
}

async fn chart(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<impl IntoResponse, AppError> {
    let p = public_practice(&state).await?;
    let norm = norm_param(raw, &p)?;
    let (s, title) = series(&p, norm.as_deref());
    let svg = pacta_practice::render_svg(s, &format!("State practice: {title}"));
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "no-cache")], svg))
}

#[utoipa::path(
    get, path = "/api/v1/practice", tag = "statistics",
    responses(
        (status = 200, description = "State practice over the public (TLP:CLEAR) incidents: per norm and year, detection, punishment and reactions; per state its record"),
        (status = 400, description = "A parameter was given; this endpoint takes none", body = crate::error::ErrorBody),
    )
)]
pub(crate) async fn api(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Json<Arc<Practice>>, AppError> {
    crate::params::none(raw.as_deref())?;
    Ok(Json(public_practice(&state).await?))
}
