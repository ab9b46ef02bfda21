//! The dashboard: server-rendered pages (askama templates under `templates/`), with htmx
//! for live filtering and paging of the incident list. Every page works without
//! JavaScript; htmx only saves full reloads.
//!
//! Handlers build small view models (strings ready to show) so the templates hold
//! layout only. Templates auto-escape; the only unescaped values are the SVG charts,
//! which [`crate::charts`] escapes itself.

use crate::charts::{self, Bar};
use crate::error::AppError;
use crate::registry::{self, PublicStats, STATE_RECORD_LIST};
use crate::wire::IncidentDetail;
use crate::{AppState, Viewer, params};
use askama::Template;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use pacta_core::StateCode;
use pacta_store::IncidentSummary;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(overview))
        .route("/incidents", get(incidents))
        .route("/incidents/{id}", get(incident))
        .route("/states/{code}", get(state_page))
        .route("/download", get(download_page))
}

/// An error shown as an HTML page (same status, code and message as the JSON form).
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    nav: &'static str,
    status: u16,
    reason: String,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0.log();
        error_page(self.0.status(), self.0.public_message())
    }
}

/// The HTML error page: the status and a message naming what was refused.
pub(crate) fn error_page(status: StatusCode, message: String) -> Response {
    let page = ErrorPage { nav: "", status: status.as_u16(), reason: status.canonical_reason().unwrap_or("Error").to_string(), message };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => AppError::Internal(format!("error page: {e}")).into_response(),
    }
}

pub(crate) type PageResult = Result<Response, PageError>;

pub(crate) fn html(t: &impl Template) -> PageResult {
    Ok(Html(t.render().map_err(AppError::from)?).into_response())
}

/// A label as people read it: `digital_infrastructure` → `Digital infrastructure`.
pub(crate) fn human(label: &str) -> String {
    let s = label.replace('_', " ");
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

fn state_names(codes: &[StateCode]) -> String {
    codes.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")
}

/// The path of an incident's page: by origin when it has one (readable, stable across
/// re-imports), else by UUID.
fn incident_href(s: &IncidentSummary) -> String {
    format!("/incidents/{}", s.origin.clone().unwrap_or_else(|| s.id.to_string()))
}

/// A row of an incident table.
struct Row {
    href: String,
    date: String,
    title: String,
    types: String,
    targets: String,
    alleged: String,
}

impl From<&IncidentSummary> for Row {
    fn from(s: &IncidentSummary) -> Self {
        Row {
            href: incident_href(s),
            date: s.start_date.map(|d| d.to_string()).unwrap_or_else(|| "undated".into()),
            title: s.title.clone(),
            types: s.operation_types.iter().map(|o| human(o.label())).collect::<Vec<_>>().join(", "),
            targets: state_names(&s.target_states),
            alleged: state_names(&s.alleged_states),
        }
    }
}

// ---------------------------------------------------------------- overview

struct Chart {
    title: String,
    svg: String,
    /// (label, count, link) for the table beside the chart.
    rows: Vec<(String, u64, String)>,
}

fn chart(id: &str, title: impl Into<String>, bars: Vec<Bar>, vertical: bool) -> Chart {
    let title = title.into();
    let svg = if vertical { charts::columns(id, &title, &bars) } else { charts::horizontal(id, &title, &bars) };
    Chart { title, svg, rows: bars.into_iter().map(|b| (b.label, b.value, b.href.unwrap_or_default())).collect() }
}

/// The largest `n` entries, largest first (ties by label).
fn top<K: Clone>(m: impl IntoIterator<Item = (K, u64)>, n: usize) -> Vec<(K, u64)> {
    let mut v: Vec<(K, u64)> = m.into_iter().collect();
    v.sort_by_key(|b| std::cmp::Reverse(b.1));
    v.truncate(n);
    v
}

#[derive(Template)]
#[template(path = "overview.html")]
struct Overview {
    nav: &'static str,
    incidents: u64,
    attributions: u64,
    responses: u64,
    target_states: usize,
    alleged_states: usize,
    charts: Vec<Chart>,
}

fn overview_charts(s: &PublicStats) -> Vec<Chart> {
    // Every year from the first to the last, zeros included, so the axis is linear.
    let dated: Vec<i32> = s.by_year.keys().flatten().copied().collect();
    let years: Vec<Bar> = match (dated.first(), dated.last()) {
        (Some(first), Some(last)) => (*first..=*last)
            .map(|y| Bar { label: y.to_string(), value: s.by_year.get(&Some(y)).copied().unwrap_or(0), href: Some(format!("/incidents?from={y}-01-01&to={y}-12-31")) })
            .collect(),
        _ => Vec::new(),
    };
    let undated = s.by_year.get(&None).copied().unwrap_or(0);
    let years_title = if undated > 0 { format!("Incidents by year of start ({undated} undated not shown)") } else { "Incidents by year of start".to_string() };
    let sectors = top(s.by_sector.iter().map(|(k, v)| (*k, *v)), 15)
        .into_iter()
        .map(|(k, v)| Bar { label: human(k), value: v, href: Some(format!("/incidents?sector={k}")) })
        .collect();
    let types = top(s.by_operation_type.iter().map(|(k, v)| (*k, *v)), 15)
        .into_iter()
        .map(|(k, v)| Bar { label: human(k), value: v, href: Some(format!("/incidents?type={k}")) })
        .collect();
    let alleged = top(s.by_alleged_state.iter().map(|(k, v)| (*k, *v)), 15)
        .into_iter()
        .map(|(k, v)| Bar { label: k.name().to_string(), value: v, href: Some(format!("/states/{k}")) })
        .collect();
    let targets = top(s.by_target_state.iter().map(|(k, v)| (*k, *v)), 15)
        .into_iter()
        .map(|(k, v)| Bar { label: k.name().to_string(), value: v, href: Some(format!("/states/{k}")) })
        .collect();
    vec![
        chart("years", years_title, years, true),
        chart("sectors", "Incidents by targeted sector (top 15)", sectors, false),
        chart("types", "Incidents by operation type", types, false),
        chart("alleged", "Incidents by alleged state (top 15)", alleged, false),
        chart("targets", "Incidents by targeted state (top 15)", targets, false),
    ]
}

async fn overview(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let snap = registry::snapshot(&state, &viewer).await?;
    let s = &snap.stats;
    html(&Overview {
        nav: "overview",
        incidents: s.incidents,
        attributions: s.attributions,
        responses: s.responses,
        target_states: s.by_target_state.len(),
        alleged_states: s.by_alleged_state.len(),
        charts: overview_charts(s),
    })
}

// ---------------------------------------------------------------- incident list

/// An `<option>`: value, text, selected.
type Opt = (String, String, bool);

fn options<'a>(items: impl IntoIterator<Item = (&'a str, String)>, selected: &str) -> Vec<Opt> {
    items.into_iter().map(|(value, text)| (value.to_string(), text, value == selected)).collect()
}

fn state_options(codes: impl IntoIterator<Item = StateCode>, selected: &str) -> Vec<Opt> {
    let mut v: Vec<StateCode> = codes.into_iter().collect();
    v.sort_by_key(|c| c.name());
    v.dedup();
    v.into_iter().map(|c| (c.to_string(), c.name().to_string(), c.as_str() == selected)).collect()
}

struct Results {
    rows: Vec<Row>,
    /// Ranked by relevance (a text search) rather than newest first.
    ranked: bool,
    /// For a text search: the matches counted per facet value, each a link narrowing the
    /// search to that value.
    facets: Vec<FacetView>,
    total: u64,
    first: u64,
    last: u64,
    prev: Option<String>,
    next: Option<String>,
    /// The download links' query string for these matches, when a download can give them
    /// (not for a text search).
    download: Option<String>,
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct IncidentsPage {
    nav: &'static str,
    q: String,
    from: String,
    to: String,
    state_opts: Vec<Opt>,
    target_opts: Vec<Opt>,
    alleged_opts: Vec<Opt>,
    sector_opts: Vec<Opt>,
    type_opts: Vec<Opt>,
    results: Results,
}

#[derive(Template)]
#[template(path = "incidents_results.html")]
struct ResultsPartial {
    results: Results,
}

/// Whether htmx asked for the results fragment only (a history restore wants the page).
fn wants_fragment(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request") && !headers.contains_key("hx-history-restore-request")
}

async fn incidents(State(state): State<AppState>, viewer: Viewer, headers: HeaderMap, RawQuery(query): RawQuery) -> PageResult {
    let p = params::parse_list(query.as_deref())?;
    let registry::Listing { rows, total, facets } = registry::listing(&state, &viewer, &p).await?;
    let shown = rows.len() as u64;
    let link = |offset: u64| {
        let q = p.query_at(offset);
        if q.is_empty() { "/incidents".to_string() } else { format!("/incidents?{q}") }
    };
    let results = Results {
        rows: rows.iter().map(Row::from).collect(),
        ranked: facets.is_some(),
        facets: facets.map(|f| facet_views(&p, f)).unwrap_or_default(),
        total,
        first: if shown == 0 { 0 } else { p.offset + 1 },
        last: p.offset + shown,
        prev: (p.offset > 0).then(|| link(p.offset.saturating_sub(u64::from(p.limit)))),
        next: (p.offset + shown < total).then(|| link(p.offset + u64::from(p.limit))),
        download: p.download_query().filter(|_| total > 0).map(|q| if q.is_empty() { q } else { format!("?{q}") }),
    };
    let mut response = if wants_fragment(&headers) {
        html(&ResultsPartial { results })?
    } else {
        let snap = registry::snapshot(&state, &viewer).await?;
        let s = &snap.stats;
        let involved = s.by_target_state.keys().chain(s.by_alleged_state.keys()).copied();
        html(&IncidentsPage {
            nav: "incidents",
            q: p.given("q").to_string(),
            from: p.given("from").to_string(),
            to: p.given("to").to_string(),
            state_opts: state_options(involved, p.given("state")),
            target_opts: state_options(s.by_target_state.keys().copied(), p.given("target")),
            alleged_opts: state_options(s.by_alleged_state.keys().copied(), p.given("alleged")),
            sector_opts: options(pacta_core::Sector::ALL.iter().map(|x| (x.label(), human(x.label()))), p.given("sector")),
            type_opts: options(pacta_core::OperationType::ALL.iter().map(|x| (x.label(), human(x.label()))), p.given("type")),
            results,
        })?
    };
    // The same URL answers with a page or a fragment: caches must keep them apart.
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("HX-Request"));
    Ok(response)
}

/// One facet of a search's matches: its title and (label, count, link) per value.
struct FacetView {
    title: &'static str,
    values: Vec<(String, u64, String)>,
}

/// The facets as links: each narrows the current search to one value (from the first page).
fn facet_views(p: &params::ListParams, facets: std::collections::BTreeMap<&'static str, std::collections::BTreeMap<String, u64>>) -> Vec<FacetView> {
    let mut out = Vec::new();
    for (facet, param, title) in [("sector", "sector", "Sector"), ("operation_type", "type", "Operation"), ("target_state", "target", "Targeted state"), ("alleged_state", "alleged", "Alleged state")] {
        let Some(values) = facets.get(facet) else { continue };
        let label = |v: &str| match facet {
            "target_state" | "alleged_state" => StateCode::parse("state", v).map(|c| c.name().to_string()).unwrap_or_else(|_| v.to_string()),
            _ => human(v),
        };
        let values = top(values.iter().map(|(k, n)| (k.clone(), *n)), 10)
            .into_iter()
            .map(|(v, n)| {
                let mut q = form_urlencoded::Serializer::new(String::new());
                for (k, given) in &p.given {
                    if *k != param && *k != "offset" {
                        q.append_pair(k, given);
                    }
                }
                q.append_pair(param, &v);
                (label(&v), n, format!("/incidents?{}", q.finish()))
            })
            .collect::<Vec<_>>();
        if !values.is_empty() {
            out.push(FacetView { title, values });
        }
    }
    out
}

// ---------------------------------------------------------------- one incident

/// A fact: label and value, shown in a description list.
type Fact = (&'static str, String);

#[derive(Template)]
#[template(path = "incident.html")]
struct IncidentPage {
    nav: &'static str,
    i: IncidentDetail,
    api_href: String,
    dates: String,
    facts: Vec<Fact>,
    effects: Vec<Fact>,
    /// (text, href when it is a web address).
    sources: Vec<(String, Option<String>)>,
    /// Per attribution: (by, actor, basis, confidence, date).
    claims: Vec<[String; 5]>,
    external: Vec<Fact>,
    /// The registry's own assessment with its trace, as the norms engine renders it.
    assessment: String,
    /// The instruments' version that produced it (a SHA-256 over the rule files).
    instruments_version: String,
    /// Who made the external assessment, as people write the name.
    external_source: &'static str,
    targets: Vec<TargetView>,
    actors: Vec<ActorView>,
    /// Attribution, evidence and responses in the registry, with the viewer's actions
    /// ([`crate::forms::incident_panel`], escaped by its own template).
    workflow: String,
    /// Earlier decided cases most like this incident: (case id, title, outcome, score).
    similar: Vec<[String; 4]>,
}

struct TargetView {
    /// The state's code, when the target is a state (for the link).
    state: Option<String>,
    /// The state's name, or the place, or a dash.
    where_: String,
    sector: String,
    critical: bool,
    entity: String,
}

struct ActorView {
    name: String,
    category: String,
    state: Option<String>,
    state_name: String,
}

fn fact(out: &mut Vec<Fact>, label: &'static str, v: Option<String>) {
    if let Some(v) = v {
        out.push((label, v));
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes".into() } else { "no".into() }
}

fn code_name(code: &Option<String>) -> Option<String> {
    code.as_deref().map(|c| StateCode::parse("state", c).map(|s| format!("{} ({c})", s.name())).unwrap_or_else(|_| c.to_string()))
}

async fn incident(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> PageResult {
    let found = registry::incident(&state, &viewer, &id).await?;
    // Our own assessment, computed for this viewer from the standing claims (imported and
    // made in the registry) that this viewer may see (see `crate::assessment` for why),
    // and the workflow section with the viewer's actions.
    let (visible, facts, workflow) = crate::forms::incident_workflow(&state, &viewer, &found).await?;
    let instruments_version = pacta_norms::builtin().version().to_string();
    // The rules it engages also find similar earlier cases (the forum's precedent).
    let mut engaged = std::collections::BTreeSet::new();
    let assessment = match crate::assessment::assess(&found, &visible, &facts, None, true) {
        Ok(a) => {
            engaged.extend(a.findings.iter().filter(|f| matches!(f.status, pacta_norms::Status::Breached | pacta_norms::Status::InconsistentWithNorm)).map(|f| f.rule.to_string()));
            pacta_norms::render::text(&a)
        }
        Err(e) => format!("This incident cannot be assessed: {e}"),
    };
    let similar = crate::forum::similar_cases(&state, &found.record.incident, &engaged)
        .await?
        .into_iter()
        .map(|(score, p)| [p.case.to_string(), p.title, p.outcome.to_string(), format!("{score:.2}")])
        .collect();
    let i = IncidentDetail::new(&found, &viewer);
    let dates = match (i.start_date, i.end_date) {
        (Some(a), Some(b)) if a != b => format!("{a} to {b}"),
        (Some(a), _) => a.to_string(),
        _ => "date unknown".into(),
    };
    let mut facts = Vec::new();
    fact(&mut facts, "Operation", (!i.operation_types.is_empty()).then(|| i.operation_types.iter().map(|o| human(o)).collect::<Vec<_>>().join(", ")));
    fact(&mut facts, "Reaction of the alleged state", i.alleged_reaction.as_deref().map(human));
    fact(&mut facts, "In an armed conflict", i.context.armed_conflict.map(yes_no));
    fact(&mut facts, "Conflict intensity (HIIK 1–5)", i.context.conflict_intensity.map(|c| c.to_string()));
    fact(&mut facts, "Target consented", i.context.consent.map(yes_no));
    fact(&mut facts, "Zero-day used", i.context.zero_day.map(yes_no));
    let e = &i.effects;
    let mut effects = Vec::new();
    fact(&mut effects, "Loss of functionality", e.disruption.as_deref().map(human));
    fact(&mut effects, "… lasting", e.disruption_duration.as_deref().map(human));
    fact(&mut effects, "Data theft", e.data_theft.as_deref().map(human));
    fact(&mut effects, "Data leaked", e.data_leaked.map(yes_no));
    fact(&mut effects, "Hijacking", e.hijacking.as_deref().map(human));
    fact(&mut effects, "Physical effects", e.physical.as_deref().map(human));
    fact(&mut effects, "… lasting", e.physical_duration.as_deref().map(human));
    fact(&mut effects, "Injured or killed", e.casualties.map(|c| c.to_string()));
    fact(&mut effects, "Economic loss (EUR)", e.economic_loss_eur.map(|c| c.to_string()));
    fact(&mut effects, "Spill-over to", (!e.spillover_states.is_empty()).then(|| e.spillover_states.iter().filter_map(|s| code_name(&Some(s.clone()))).collect::<Vec<_>>().join(", ")));
    let sources = i
        .sources
        .iter()
        .map(|s| {
            // Only web addresses become links: a source is free text and must never turn
            // into a `javascript:` link.
            let lower = s.to_ascii_lowercase();
            let href = (lower.starts_with("https://") || lower.starts_with("http://")).then(|| s.clone());
            (s.clone(), href)
        })
        .collect();
    let party_name = |id: &String| i.parties.iter().find(|p| &p.id == id).map(|p| p.name.clone()).unwrap_or_else(|| id.clone());
    let claims = i
        .attributions
        .iter()
        .map(|a| {
            let mut by: Vec<String> = a.attributors.iter().map(party_name).collect();
            by.extend(a.attributor_label.clone());
            let actor = [a.actor_name.clone(), code_name(&a.actor_state)].into_iter().flatten().collect::<Vec<_>>().join(", ");
            [
                if by.is_empty() { "unnamed source".into() } else { by.join("; ") },
                if actor.is_empty() { human(&a.actor_category) } else { format!("{actor} ({})", human(&a.actor_category).to_lowercase()) },
                human(&a.basis),
                a.confidence.as_deref().map(human).unwrap_or_else(|| "not stated".into()),
                a.date.map(|d| d.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    let mut external = Vec::new();
    if let Some(x) = &i.external_assessment {
        fact(&mut external, "State responsibility", x.state_responsibility.as_deref().map(human));
        fact(&mut external, "Breach of international law", (!x.il_breach.is_empty()).then(|| x.il_breach.join("; ")));
        fact(&mut external, "… in detail", (!x.il_breach_subcode.is_empty()).then(|| x.il_breach_subcode.join("; ")));
        fact(&mut external, "Legal basis of attribution", (!x.legal_attribution_reference.is_empty()).then(|| x.legal_attribution_reference.join("; ")));
        fact(&mut external, "… in detail", (!x.legal_attribution_reference_subcode.is_empty()).then(|| x.legal_attribution_reference_subcode.join("; ")));
        fact(&mut external, "Evidence for sanctions", x.evidence_for_sanctions.clone());
        fact(&mut external, "Lawful response", x.legal_response.as_deref().map(human));
    }
    let targets = i
        .targets
        .iter()
        .map(|t| TargetView {
            state: t.state.clone(),
            where_: code_name(&t.state).or_else(|| t.place.clone()).unwrap_or_else(|| "—".into()),
            sector: human(&t.sector),
            critical: t.critical_infrastructure,
            entity: t.entity.clone().unwrap_or_default(),
        })
        .collect();
    let actors = i
        .alleged_actors
        .iter()
        .map(|a| ActorView {
            name: a.name.clone().unwrap_or_else(|| "Unnamed actor".into()),
            category: human(&a.category).to_lowercase(),
            state: a.state.clone(),
            state_name: code_name(&a.state).unwrap_or_default(),
        })
        .collect();
    let external_source = match i.external_assessment.as_ref().and_then(|x| x.source.as_deref()) {
        Some("eurepoc") => "EuRepoC",
        Some("cfr") => "CFR",
        Some("stix") => "The STIX source",
        _ => "Another data set",
    };
    let api_href = format!("/api/v1/incidents/{}", i.id);
    html(&IncidentPage { nav: "incidents", api_href, dates, facts, effects, sources, claims, external, assessment, instruments_version, external_source, targets, actors, workflow, similar, i })
}

// ---------------------------------------------------------------- state record

#[derive(Template)]
#[template(path = "state.html")]
struct StatePage {
    nav: &'static str,
    code: String,
    name: String,
    as_target: Vec<Row>,
    as_target_total: u64,
    as_alleged: Vec<Row>,
    as_alleged_total: u64,
    list_size: u32,
    /// (incident row, attributed actor, basis, confidence)
    claims: Vec<(Row, String, String, String)>,
}

async fn state_page(State(state): State<AppState>, viewer: Viewer, Path(code): Path<String>, RawQuery(query): RawQuery) -> PageResult {
    params::none(query.as_deref())?;
    let code = registry::parse_state(&code)?;
    let r = registry::state_record(&state, &viewer, code).await?;
    html(&StatePage {
        nav: "",
        code: code.to_string(),
        name: code.name().to_string(),
        as_target: r.as_target.iter().map(Row::from).collect(),
        as_target_total: r.as_target_total,
        as_alleged: r.as_alleged.iter().map(Row::from).collect(),
        as_alleged_total: r.as_alleged_total,
        list_size: STATE_RECORD_LIST,
        claims: r
            .attributions_made
            .iter()
            .map(|(s, a)| {
                let actor = [a.actor_name.clone(), a.actor_state.map(|c| c.name().to_string())].into_iter().flatten().collect::<Vec<_>>().join(", ");
                (
                    Row::from(s),
                    if actor.is_empty() { human(a.actor_category.label()) } else { actor },
                    human(a.basis.label()),
                    a.confidence.map(|c| human(c.label())).unwrap_or_else(|| "not stated".into()),
                )
            })
            .collect(),
    })
}

// ---------------------------------------------------------------- downloads

#[derive(Template)]
#[template(path = "download.html")]
struct DownloadPage {
    nav: &'static str,
    incidents: u64,
    /// The viewer may read restricted incidents, so the files hold them too.
    restricted: bool,
    columns: Vec<(&'static str, &'static str)>,
}

async fn download_page(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let snap = registry::snapshot(&state, &viewer).await?;
    html(&DownloadPage { nav: "download", incidents: snap.stats.incidents, restricted: viewer.may_read_restricted(), columns: crate::download::CSV_COLUMNS.to_vec() })
}
