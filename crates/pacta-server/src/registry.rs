//! Reads on behalf of a viewer: the only module that talks to the store.
//!
//! Every function takes a [`Viewer`] and applies its TLP ceiling before anything leaves
//! this module: lists and counts through [`IncidentFilter::max_tlp`], single records by
//! checking the marking (and answering "not found" exactly as for a missing record),
//! attribution claims by their visibility.
//!
//! Statistics and the index of who attributed what are derived from the incidents the
//! viewer may see: [`pacta_store::Store::stats`] and
//! [`pacta_store::Store::attributions_of`] with the viewer's access as their filter (a
//! public count must not reveal that restricted incidents exist), a handful of aggregate
//! queries whatever the registry's size. They are cached per audience and rebuilt when the
//! transparency log grows (every change to the registry appends to the log). A request
//! waits briefly for a rebuild; on a registry so large that the rebuild takes longer, it
//! gets the previous snapshot, whose `log_size` says what it reflects, while the rebuild
//! finishes in the background ([`snapshot`]).

use crate::error::AppError;
use crate::params::ListParams;
use crate::{AppState, Viewer};
use pacta_core::{Attribution, Dataset, PartyId, StateCode};
use pacta_store::{IncidentFilter, IncidentSummary, StoreError, StoredIncident};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// How many incidents per role a state record lists inline.
pub const STATE_RECORD_LIST: u32 = 20;

/// The viewer's access applied to a client's filter.
pub fn visible(viewer: &Viewer, filter: &IncidentFilter) -> IncidentFilter {
    IncidentFilter { access: Some(viewer.access().clone()), ..filter.clone() }
}

/// The per-record decision: the marking alone for levels the viewer reads outright,
/// else the incident's grants, asked of the policies.
pub async fn may_see(state: &AppState, viewer: &Viewer, found: &StoredIncident) -> Result<bool, AppError> {
    let i = &found.record.incident;
    if viewer.reads_level_outright(i.tlp) {
        return Ok(true);
    }
    if matches!(viewer.principal(), pacta_authz::Principal::Public) {
        return Ok(false);
    }
    let grants = state.store.incident_grants(i.id).await?;
    Ok(viewer.may_read(i.tlp, grants))
}

/// One page of the incidents matching `params`, and how many match in all.
pub async fn list(state: &AppState, viewer: &Viewer, params: &ListParams) -> Result<(Vec<IncidentSummary>, u64), AppError> {
    let l = listing(state, viewer, params).await?;
    Ok((l.rows, l.total))
}

/// A page of an incident list, and for a text search the facet counts of all matches.
pub struct Listing {
    pub rows: Vec<IncidentSummary>,
    pub total: u64,
    /// Per facet (`sector`, `operation_type`, `target_state`, `alleged_state`), value →
    /// matching incidents. Only for searches (`q`).
    pub facets: Option<BTreeMap<&'static str, BTreeMap<String, u64>>>,
}

/// The incidents matching `params`: newest first from the database, or with `q`, best
/// match first from the search index. Both take the viewer's access the same way (a
/// filter derived from the policies, inside the query, so totals and facet counts cover
/// only what the viewer may read) and both re-check each row shown.
pub async fn listing(state: &AppState, viewer: &Viewer, params: &ListParams) -> Result<Listing, AppError> {
    let Some(text) = params.filter.text.as_deref() else {
        // Pages come from the index (a filtered count is milliseconds there, a scan in the
        // database, and a page 500,000 deep is a sort of every match); lists while the
        // index is first built, from the database. Both orders are the same
        // (`pacta_search::SearchIndex::list`).
        let offset = usize::try_from(params.offset).unwrap_or(usize::MAX);
        let filter = IncidentFilter { text: None, access: None, ..params.filter.clone() };
        match state.search.list(&state.store, viewer.access(), &filter, params.limit as usize, offset).await {
            Ok(hits) => {
                let rows = recheck(state, viewer, state.store.summaries(&hits.ids).await?).await?;
                return Ok(Listing { rows, total: hits.total, facets: None });
            }
            Err(pacta_search::SearchError::Building) => {}
            Err(e) => return Err(search_error(e, "", params.offset)),
        }
        let filter = visible(viewer, &params.filter);
        let rows = recheck(state, viewer, state.store.list_incidents(&filter, params.limit, params.offset).await?).await?;
        let total = state.store.count_incidents(&filter).await?;
        return Ok(Listing { rows, total, facets: None });
    };
    let filter = IncidentFilter { text: None, access: None, ..params.filter.clone() };
    let offset = usize::try_from(params.offset).unwrap_or(usize::MAX);
    let hits = state.search.search(&state.store, viewer.access(), &filter, text, params.limit as usize, offset).await.map_err(|e| search_error(e, text, params.offset))?;
    let rows = recheck(state, viewer, state.store.summaries(&hits.ids).await?).await?;
    Ok(Listing { rows, total: hits.total, facets: Some(hits.facets) })
}

fn search_error(e: pacta_search::SearchError, text: &str, offset: u64) -> AppError {
    use pacta_search::SearchError as E;
    match e {
        E::BadQuery(reason) => AppError::bad("q", text, format!("not a search we can run ({reason}); use words, \"a phrase\", -word to exclude, or a OR b")),
        E::TooDeep => AppError::bad("offset", offset.to_string(), e.to_string()),
        E::Building => AppError::Unavailable(e.to_string()),
        E::Store(s) => s.into(),
        other => AppError::Internal(other.to_string()),
    }
}

/// Defence in depth: the database filter is derived from the policies, and every row it
/// returns under a restricted marking is decided again by the policies themselves before
/// it is shown. (Rows the viewer reads outright by their marking need no second look.)
async fn recheck(state: &AppState, viewer: &Viewer, rows: Vec<IncidentSummary>) -> Result<Vec<IncidentSummary>, AppError> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if viewer.reads_level_outright(row.tlp) || viewer.may_read(row.tlp, state.store.incident_grants(row.id).await?) {
            out.push(row);
        } else {
            tracing::error!(incident = %row.id, "the list filter let through an incident the policies refuse; it was withheld");
        }
    }
    Ok(out)
}

/// One incident by UUID or `DATASET:RECORD_ID`, if it exists and the viewer may see it.
/// Both failures give the same answer, so the reply does not confirm that a restricted
/// incident exists.
pub async fn incident(state: &AppState, viewer: &Viewer, reference: &str) -> Result<StoredIncident, AppError> {
    let reference = reference.trim();
    if reference.len() > 200 {
        return Err(AppError::bad("id", reference, "expected an incident id (UUID) or DATASET:RECORD_ID such as eurepoc:2"));
    }
    // A well-formed reference to a data set we do not know is simply not found; only a
    // reference that could never name an incident is a bad request.
    if let Some((dataset, _)) = reference.split_once(':')
        && Dataset::parse("dataset", dataset).is_err() {
            return Err(not_found(reference));
        }
    // The path names the reference `id`; the store calls it `incident`.
    let found = state.store.get_incident(reference).await.map_err(|e| match e {
        StoreError::Invalid(inv) => AppError::from_invalid("id", inv),
        other => AppError::from(other),
    })?;
    match found {
        Some(found) if may_see(state, viewer, &found).await? => Ok(found),
        _ => Err(not_found(reference)),
    }
}

fn not_found(reference: &str) -> AppError {
    AppError::NotFound(format!("no incident {reference:?} in the registry"))
}

/// Counts over the incidents a viewer may see.
#[derive(Clone, Debug, Default)]
pub struct PublicStats {
    pub incidents: u64,
    pub attributions: u64,
    pub responses: u64,
    pub external_assessments: u64,
    /// `None` is "undated".
    pub by_year: BTreeMap<Option<i32>, u64>,
    pub by_sector: BTreeMap<&'static str, u64>,
    pub by_operation_type: BTreeMap<&'static str, u64>,
    pub by_alleged_state: BTreeMap<StateCode, u64>,
    pub by_target_state: BTreeMap<StateCode, u64>,
}

/// What one pass over the visible incidents yields.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The log size when the pass started: the snapshot reflects at least this state.
    pub log_size: u64,
    pub stats: PublicStats,
    /// Visible attribution claims per attributing state, newest incident first.
    pub attributions_by_state: BTreeMap<StateCode, Vec<(IncidentSummary, Attribution)>>,
}

/// The per-audience cache of [`Snapshot`]s.
pub type Snapshots = crate::refresh::Refreshed<Snapshot>;

/// The viewer's snapshot, from the per-audience cache (see [`crate::refresh`]): if the log
/// has grown since it was taken, the request waits up to `limits.stats_wait` (half a second
/// by default) for the rebuild, then answers with the previous snapshot, whose `log_size`
/// says what it reflects.
///
/// A rebuild is a few aggregate queries: milliseconds on a registry of thousands, so the
/// answer is fresh; about half a minute at a million incidents, where a reader gets the
/// previous snapshot rather than waiting behind every new entry.
pub async fn snapshot(state: &AppState, viewer: &Viewer) -> Result<Arc<Snapshot>, AppError> {
    let size = state.store.log_size().await?;
    let (st, v) = (state.clone(), viewer.clone());
    state.snapshots.get(&viewer.audience(), size, state.limits.stats_wait, async move { build_snapshot(&st, &v, size).await.map(|s| (s.log_size, s)) }).await
}

/// The incident counts of every marking, from one pass over the registry (see
/// [`viewer_counts`]).
pub type CountsByMarking = crate::refresh::Refreshed<BTreeMap<pacta_core::Tlp, pacta_store::Stats>>;

/// The viewer's incident counts, as the sum of disjoint parts: the incidents of each
/// marking it reads outright, from the counts of every marking that one pass over the
/// registry gives for all readers at once (so a newly signed-in reader does not wait for a
/// count over the whole registry), and the restricted incidents shared with it by name,
/// counted for it alone. Returns the log size the counts reflect, which may be older than
/// `log_size` (see below); the snapshot is then rebuilt on a later request.
async fn viewer_counts(state: &AppState, viewer: &Viewer, log_size: u64) -> Result<(u64, pacta_store::Stats), AppError> {
    let access = viewer.access();
    // A reader with statistics already is answered from them while this rebuild runs, so
    // the rebuild waits for the markings' recount rather than churning on stale counts. A
    // reader with none takes the markings' latest counts after `stats_wait`.
    let wait = if state.snapshots.has(&viewer.audience()) { None } else { Some(state.limits.stats_wait) };
    let (as_of, by_marking) = marking_counts(state, log_size, wait).await?;
    let mut counts = pacta_store::Stats::default();
    for marking in &access.open {
        if let Some(part) = by_marking.get(marking) {
            counts.add(part);
        }
    }
    // A marking read outright is counted above whatever the grants say.
    let shared: Vec<_> = access.granted.iter().filter(|(marking, _)| !access.open.contains(marking)).cloned().collect();
    if !shared.is_empty() {
        let only = IncidentFilter { access: Some(pacta_store::Access { open: Vec::new(), granted: shared }), ..Default::default() };
        counts.add(&state.store.stats(&only).await?);
    }
    Ok((as_of, counts))
}

/// The counts of the incidents of each marking, shared by every reader, and the log size
/// they reflect.
pub(crate) async fn marking_counts(state: &AppState, log_size: u64, wait: Option<std::time::Duration>) -> Result<(u64, Arc<BTreeMap<pacta_core::Tlp, pacta_store::Stats>>), AppError> {
    let st = state.clone();
    let build = async move { Ok((log_size, st.store.stats_by_marking(&IncidentFilter::default()).await?)) };
    state.counts_by_marking.get_stamped("every marking", log_size, wait, build).await
}

async fn build_snapshot(state: &AppState, viewer: &Viewer, log_size: u64) -> Result<Snapshot, AppError> {
    let filter = visible(viewer, &IncidentFilter::default());
    // The counts are aggregates the database computes, by part of the viewer's filter.
    let (log_size, counts) = viewer_counts(state, viewer, log_size).await?;
    let mut snap = Snapshot { log_size, ..Default::default() };
    let s = &mut snap.stats;
    s.incidents = counts.incidents;
    s.responses = counts.responses;
    s.external_assessments = counts.external_assessments;
    s.by_year = counts.by_year.iter().map(|(y, n)| (y.parse::<i32>().ok(), *n)).collect();
    s.by_sector = labels(&counts.by_sector, |v| pacta_core::Sector::parse("sector", v).map(|x| x.label()).ok());
    s.by_operation_type = labels(&counts.by_operation_type, |v| pacta_core::OperationType::parse("operation_type", v).map(|x| x.label()).ok());
    s.by_alleged_state = counts.by_alleged_state.iter().filter_map(|(k, n)| Some((StateCode::parse("state", k).ok()?, *n))).collect();
    s.by_target_state = counts.by_target_state.iter().filter_map(|(k, n)| Some((StateCode::parse("state", k).ok()?, *n))).collect();
    // Claims need a decision each (a private claim is shown only to the parties it
    // names), so they are read in one query and decided here; the store's count of all
    // claims is not used.
    let mut decided: HashMap<pacta_core::IncidentId, bool> = HashMap::new();
    for (summary, claim) in state.store.attributions_of(&filter).await? {
        let shown = match decided.get(&summary.id) {
            Some(shown) => *shown,
            None => {
                let shown = viewer.reads_level_outright(summary.tlp) || viewer.may_read(summary.tlp, state.store.incident_grants(summary.id).await?);
                decided.insert(summary.id, shown);
                shown
            }
        };
        if !shown || !viewer.may_see_attribution(&claim) {
            continue;
        }
        s.attributions += 1;
        let mut by: Vec<StateCode> = claim.attributors.iter().filter_map(PartyId::state).collect();
        by.dedup();
        for c in by {
            snap.attributions_by_state.entry(c).or_default().push((summary.clone(), claim.clone()));
        }
    }
    Ok(snap)
}

/// Stored labels as the closed vocabulary's static labels; an unknown label (from a newer
/// version) is left out rather than shown raw.
fn labels(m: &BTreeMap<String, u64>, known: impl Fn(&str) -> Option<&'static str>) -> BTreeMap<&'static str, u64> {
    m.iter().filter_map(|(k, n)| Some((known(k)?, *n))).collect()
}

/// Up to `limit` visible incidents in registry order after the position `after`, each with
/// everything filed with it, and the position to continue from (`None` once the pass has
/// reached the end). See `Store::incidents_after`.
pub async fn visible_page_after(state: &AppState, viewer: &Viewer, filter: &IncidentFilter, after: Option<i64>, limit: u32) -> Result<(Vec<StoredIncident>, Option<i64>), AppError> {
    let filter = visible(viewer, filter);
    let page = state.store.incidents_after(&filter, after, limit).await?;
    let next = if page.len() < limit as usize { None } else { page.last().map(|(seq, _)| *seq) };
    let mut out = Vec::with_capacity(page.len());
    for (_, found) in page {
        // The database filter is derived from the policies; each restricted record is
        // decided again by the policies themselves.
        if may_see(state, viewer, &found).await? {
            out.push(found);
        }
    }
    Ok((out, next))
}

/// A state's record: incidents against it, incidents alleged against it, and the
/// attributions it made.
#[derive(Debug)]
pub struct StateRecord {
    pub state: StateCode,
    pub as_target: Vec<IncidentSummary>,
    pub as_target_total: u64,
    pub as_alleged: Vec<IncidentSummary>,
    pub as_alleged_total: u64,
    pub attributions_made: Vec<(IncidentSummary, Attribution)>,
}

pub async fn state_record(state: &AppState, viewer: &Viewer, code: StateCode) -> Result<StateRecord, AppError> {
    // The two lists come the way the incident list does (`listing`): from the search index,
    // where a filtered count is milliseconds, rather than from a count over the database,
    // which at a million incidents took seconds for each list on every view.
    let first_page = |filter: IncidentFilter| ListParams { filter, limit: STATE_RECORD_LIST, offset: 0, given: Vec::new() };
    let as_target = listing(state, viewer, &first_page(IncidentFilter { target_state: Some(code), ..Default::default() })).await?;
    let as_alleged = listing(state, viewer, &first_page(IncidentFilter { alleged_state: Some(code), ..Default::default() })).await?;
    let snap = snapshot(state, viewer).await?;
    Ok(StateRecord {
        state: code,
        as_target: as_target.rows,
        as_target_total: as_target.total,
        as_alleged: as_alleged.rows,
        as_alleged_total: as_alleged.total,
        attributions_made: snap.attributions_by_state.get(&code).cloned().unwrap_or_default(),
    })
}

/// Parses a state code from a path, naming the parameter in the refusal.
pub fn parse_state(code: &str) -> Result<StateCode, AppError> {
    StateCode::parse("code", code).map_err(|e| AppError::from_invalid("code", e))
}
