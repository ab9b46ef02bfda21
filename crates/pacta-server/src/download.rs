//! Bulk downloads of every incident the viewer may see, as CSV and as JSON, or of those
//! matching the incident list's filters (`?state=UA&sector=energy`, the same parameters
//! with the same refusals, given before any byte is sent).
//!
//! Both are streamed page by page, so memory use does not grow with the registry. The
//! JSON file is an array of the objects `GET /api/v1/incidents/{id}` returns; the CSV
//! has one row per incident with the columns in [`CSV_COLUMNS`] (documented on the
//! `/download` page). If the database fails mid-stream the connection is cut rather
//! than the file silently ending early, so a truncated download is noticed.

use crate::wire::IncidentDetail;
use crate::error::AppError;
use crate::{AppState, Viewer, params, registry};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::extract::{RawQuery, State};
use pacta_store::IncidentFilter;
use futures_util::stream;

const PAGE: u32 = 200;

/// The CSV columns, in order, with what each holds. Lists are joined with `;`.
pub const CSV_COLUMNS: [(&str, &str); 23] = [
    ("id", "The incident's UUID"),
    ("origin", "DATASET:RECORD_ID for imported incidents (e.g. eurepoc:2), else empty"),
    ("title", "Short title"),
    ("start_date", "First known day of the operation, YYYY-MM-DD, empty if unknown"),
    ("end_date", "Last known day, YYYY-MM-DD, empty if unknown"),
    ("operation_types", "Operation types (espionage, disruption, destruction, hijacking, influence, ransomware, reconnaissance, financial_theft)"),
    ("target_states", "Targeted states, ISO 3166-1 alpha-2"),
    ("target_sectors", "Targeted sectors (energy, health, government, ...)"),
    ("target_entities", "Targeted organisations, as the source names them"),
    ("alleged_states", "States named as alleged authors (an allegation, not an attribution)"),
    ("alleged_actors", "Alleged actors' names"),
    ("attributions", "Number of public attribution claims"),
    ("attributors", "Parties that made those claims (state:FR, org:...) or their labels"),
    ("responses", "Number of recorded responses"),
    ("disruption", "Loss of functionality: none, short_term, long_term; empty if unknown"),
    ("data_theft", "none, non_sensitive, sensitive; empty if unknown"),
    ("hijacking", "none, without_misuse, with_misuse; empty if unknown"),
    ("physical_effects", "none, local, widespread; empty if unknown"),
    ("external_state_responsibility", "Another coder's conclusion (EuRepoC): direct, indirect, none_or_negligent; not the registry's finding"),
    ("tlp", "TLP 2.0 marking (always CLEAR in the public download; a signed-in reader's download also holds what is open or shared to them, each row with its marking)"),
    ("log_index", "Index of the latest transparency-log entry about the incident"),
    ("description", "Free-text description"),
    ("sources", "Source references, one per line"),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/download/incidents.csv", get(csv))
        .route("/download/incidents.json", get(json))
        .route("/download/LICENSE-cfr.txt", get(cfr_licence))
}

/// Quotes a CSV field when it holds a separator, a quote or a line break (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

fn csv_row(d: &IncidentDetail) -> String {
    let join = |v: Vec<String>| v.join(";");
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut attributors: Vec<String> = d.attributions.iter().flat_map(|a| a.attributors.iter().cloned().chain(a.attributor_label.clone())).collect();
    attributors.sort();
    attributors.dedup();
    let mut sectors: Vec<String> = d.targets.iter().map(|t| t.sector.clone()).collect();
    sectors.dedup();
    let cols: [String; 23] = [
        d.id.clone(),
        d.origin.as_ref().map(|o| format!("{}:{}", o.dataset, o.record_id)).unwrap_or_default(),
        d.title.clone(),
        d.start_date.map(|x| x.to_string()).unwrap_or_default(),
        d.end_date.map(|x| x.to_string()).unwrap_or_default(),
        join(d.operation_types.clone()),
        join(d.targets.iter().filter_map(|t| t.state.clone()).collect()),
        join(sectors),
        join(d.targets.iter().filter_map(|t| t.entity.clone()).collect()),
        join(d.alleged_actors.iter().filter_map(|a| a.state.clone()).collect()),
        join(d.alleged_actors.iter().filter_map(|a| a.name.clone()).collect()),
        d.attributions.len().to_string(),
        join(attributors),
        d.responses.len().to_string(),
        opt(&d.effects.disruption),
        opt(&d.effects.data_theft),
        opt(&d.effects.hijacking),
        opt(&d.effects.physical),
        d.external_assessment.as_ref().and_then(|x| x.state_responsibility.clone()).unwrap_or_default(),
        d.tlp.clone(),
        d.log_index.to_string(),
        d.description.clone(),
        d.sources.join("\n"),
    ];
    let mut line = cols.iter().map(|c| field(c)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

/// Streams the visible incidents matching `filter` in registry order, one rendered chunk
/// per page. `render`
/// gets the page's incidents and how many were sent before them (0 for the first chunk
/// too, so `first` says which chunk opens the file).
fn pages(state: AppState, viewer: Viewer, filter: IncidentFilter, render: fn(&[IncidentDetail], bool, u64) -> String) -> Body {
    struct Cursor {
        state: AppState,
        viewer: Viewer,
        filter: IncidentFilter,
        /// Where the next page starts (`None` before the first).
        after: Option<i64>,
        done: bool,
        first: bool,
        sent: u64,
    }
    let start = Cursor { state, viewer, filter, after: None, done: false, first: true, sent: 0 };
    let s = stream::unfold(start, move |mut c| async move {
        if c.done {
            return None;
        }
        // Pages are ranges of the registry's order, not offsets: each costs the same however
        // deep the download is, and a write during it cannot shift a page, so no incident
        // is sent twice or skipped.
        let (page, next) = match registry::visible_page_after(&c.state, &c.viewer, &c.filter, c.after, PAGE).await {
            Ok(p) => p,
            Err(e) => {
                e.log();
                c.done = true;
                return Some((Err(std::io::Error::other("the download was interrupted by a database error")), c));
            }
        };
        c.done = next.is_none();
        c.after = next;
        let details: Vec<IncidentDetail> = page.iter().map(|f| IncidentDetail::new(f, &c.viewer)).collect();
        let chunk = render(&details, c.first, c.sent);
        c.first = false;
        c.sent += details.len() as u64;
        Some((Ok::<_, std::io::Error>(chunk), c))
    });
    Body::from_stream(s)
}

fn attachment(body: Body, content_type: &'static str, filename: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")).unwrap_or(HeaderValue::from_static("attachment")));
    r
}

async fn csv(State(state): State<AppState>, viewer: Viewer, RawQuery(query): RawQuery) -> Result<Response, AppError> {
    let filter = params::parse_download(query.as_deref())?.filter;
    fn render(rows: &[IncidentDetail], first: bool, _sent: u64) -> String {
        let mut out = String::new();
        if first {
            out.push_str(&CSV_COLUMNS.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
        }
        for d in rows {
            out.push_str(&csv_row(d));
        }
        out
    }
    Ok(attachment(pages(state, viewer, filter, render), "text/csv; charset=utf-8", "pacta-incidents.csv"))
}

async fn json(State(state): State<AppState>, viewer: Viewer, RawQuery(query): RawQuery) -> Result<Response, AppError> {
    let filter = params::parse_download(query.as_deref())?.filter;
    // A JSON array written in pieces: "[" before the first page, "," between items, and
    // the closing "]" with the last page, which is always reached: the page after which
    // the registry has nothing more, possibly empty, ends the stream.
    // A separator goes before every item but the very first sent, which need not be in
    // the first chunk: a page whose incidents were all withheld sends nothing.
    fn render(rows: &[IncidentDetail], first: bool, sent: u64) -> String {
        let mut out = String::new();
        if first {
            out.push('[');
        }
        for (k, d) in rows.iter().enumerate() {
            if sent + k as u64 > 0 {
                out.push(',');
            }
            out.push('\n');
            // Serialising our own plain data types cannot fail.
            out.push_str(&serde_json::to_string(d).unwrap_or_default());
        }
        out
    }
    let body = pages(state, viewer, filter, render);
    Ok(attachment(close_array(body), "application/json", "pacta-incidents.json"))
}

/// Appends the closing bracket of the JSON array once the page stream has ended cleanly.
fn close_array(body: Body) -> Body {
    use futures_util::StreamExt;
    let end = stream::once(async { Ok::<_, axum::Error>(axum::body::Bytes::from_static(b"\n]\n")) });
    Body::from_stream(body.into_data_stream().chain(end))
}

/// The CFR compilation's MIT licence: its notice goes with every copy of its records,
/// and the downloads hold them (dataset `cfr`).
const CFR_LICENCE: &str = include_str!("../../../data/cfr-sample/LICENSE");

async fn cfr_licence() -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")], CFR_LICENCE)
}
