//! The workflows a party does by hand, as forms and as JSON: add evidence, attribute,
//! endorse or contest a claim, plan a response and move its measures, record compliance.
//!
//! | form (session + CSRF) | JSON (API token with write scope) | store write path |
//! |---|---|---|
//! | `GET/POST /incidents/{id}/evidence` (multipart) | `POST /api/v1/incidents/{id}/evidence` | `Store::add_evidence` |
//! | `GET/POST /incidents/{id}/attribute` | `POST /api/v1/incidents/{id}/claims` | `Store::make_claim` |
//! | `GET/POST /incidents/{id}/claims/{claim}/stance` | `POST /api/v1/incidents/{id}/claims/{claim}/stances` | `Store::take_stance` |
//! | `GET/POST /incidents/{id}/claims/{claim}/withdraw` | `POST /api/v1/incidents/{id}/claims/{claim}/withdrawal` | `Store::withdraw_claim` |
//! | `GET/POST /incidents/{id}/claims/{claim}/amend` | `POST /api/v1/incidents/{id}/claims/{claim}/amendment` | `Store::amend_claim` |
//! | `GET /incidents/{id}/respond` (the plan), `POST` (propose) | `GET …/plan`, `POST …/measures` | `Store::propose_measure` |
//! | `POST /incidents/{id}/measures/{m}` (a move, `joined` / `left` by an invited state, or `uninvited` by the proposer) | `POST /api/v1/incidents/{id}/measures/{m}/moves` | `Store::move_measure` |
//! | `POST /incidents/{id}/compliance` | `POST /api/v1/incidents/{id}/compliance` | `Store::record_compliance` |
//!
//! Each write runs the same three gates, in this order, before anything is parsed:
//! 1. a signed-in account (401 otherwise), whose credential writes;
//! 2. the action allowed by the policies (`policies/registry.cedar`: `add_evidence`,
//!    `attribute`, `take_stance`, `respond`; 403 naming the rule otherwise);
//! 3. the incident readable by the viewer (the same 404 as a missing one).
//!
//! Then the input is parsed into domain values and written through the store's write path,
//! which checks what it holds (parties, evidence, who may amend what). The ladder's gates
//! (`pacta_ladder::check_proposal`, `transition`) run before a measure is written. A
//! refusal re-renders the form with the submitted values and names the field and the rule;
//! a success redirects to the incident page (POST-redirect-GET).
//!
//! Evidence is signed: the custody event of an upload is signed with the acting party's
//! custody key (`pacta evidence keygen`, registered with `pacta evidence register-key`).
//! The form takes the private key for this one signature; it is never stored, logged or
//! echoed back. Uploads are bounded by the server's body limit; larger artefacts go
//! through `pacta evidence add`.
//!
//! What a viewer sees of the workflow on the incident page ([`incident_panel`]) follows
//! the same rules as every other read: claims by [`Viewer::may_see_attribution`], artefacts
//! by the policies over their marking (shared with their custodian), measures by
//! `pacta_store::measures::measure_visible_to`.

use crate::error::AppError;
use crate::pages::{PageError, human};
use crate::{AppState, Viewer, registry};
use askama::Template;
use axum::extract::{Form, Multipart, Path, RawQuery, State};
use std::sync::Arc;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use pacta_authz::Action;
use pacta_core::*;
use pacta_ladder::{Dossier, Ladder, PlanRequest, Situation};
use pacta_ledger::note::NoteSigner;
use pacta_store::evidence::{Evidence, EvidenceId, NewEvidence};
use pacta_store::{StoreError, StoredIncident};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/incidents/{id}/evidence", get(evidence_page).post(evidence_form))
        .route("/incidents/{id}/attribute", get(attribute_page).post(attribute_form))
        .route("/incidents/{id}/claims/{claim}/stance", get(stance_page).post(stance_form))
        .route("/incidents/{id}/claims/{claim}/withdraw", get(withdraw_page).post(withdraw_form))
        .route("/incidents/{id}/claims/{claim}/amend", get(amend_page).post(amend_form))
        .route("/incidents/{id}/respond", get(respond_page).post(propose_form))
        .route("/incidents/{id}/measures/{measure}", post(move_form))
        .route("/incidents/{id}/compliance", post(compliance_form))
        .route("/api/v1/incidents/{id}/evidence", get(api_evidence).post(api_add_evidence))
        .route("/api/v1/incidents/{id}/claims", get(api_claims).post(api_make_claim))
        .route("/api/v1/incidents/{id}/claims/{claim}/stances", post(api_take_stance))
        .route("/api/v1/incidents/{id}/claims/{claim}/withdrawal", post(api_withdraw_claim))
        .route("/api/v1/incidents/{id}/claims/{claim}/amendment", post(api_amend_claim))
        .route("/api/v1/incidents/{id}/plan", get(api_plan))
        .route("/api/v1/incidents/{id}/measures", get(api_measures).post(api_propose))
        .route("/api/v1/incidents/{id}/measures/{measure}/moves", post(api_move))
        .route("/api/v1/incidents/{id}/compliance", post(api_compliance))
}

// ---------------------------------------------------------------- the gates

/// Who writes, about what, in whose name: the result of the three gates.
pub struct Writer {
    pub incident: StoredIncident,
    /// The party the records are made in the name of (the account's state party, or its
    /// organisation for a verifier).
    pub actor: PartyId,
}

/// Where a policy is written, for refusals a person can follow up.
const POLICIES: &str = "policies/registry.cedar";

/// The three gates of every write (see the module docs).
pub async fn writer(state: &AppState, viewer: &Viewer, action: Action, reference: &str) -> Result<Writer, AppError> {
    let Some(account) = viewer.account_info() else {
        return Err(AppError::Unauthorized(format!("to {}, sign in with a party's account (or send an API token)", what(action))));
    };
    if !viewer.may(action) {
        return Err(AppError::Forbidden(format!(
            "account {:?} (role {}) may not {}: rule \"{}\" in {POLICIES} (or the API token is read-only)",
            account.name,
            account.role,
            what(action),
            action.name().replace('_', "-")
        )));
    }
    let incident = registry::incident(state, viewer, reference).await?;
    let Some(actor) = viewer.acting_party() else {
        return Err(AppError::Forbidden(format!("account {:?} acts for no party or organisation, so it cannot make records in one's name", account.name)));
    };
    Ok(Writer { incident, actor })
}

fn what(action: Action) -> &'static str {
    match action {
        Action::Report => "report an incident",
        Action::ManageAccounts => "manage accounts",
        Action::AddEvidence => "add evidence",
        Action::Attribute => "attribute an incident",
        Action::TakeStance => "endorse or contest a claim",
        Action::Respond => "respond to an incident",
    }
}

/// The store's refusals name its own fields; the CLI's `--as` is the signed-in party here.
fn store_error(e: StoreError) -> AppError {
    match e {
        StoreError::Invalid(inv) => invalid(inv),
        other => AppError::from(other),
    }
}

fn invalid(inv: Invalid) -> AppError {
    let field = match inv.field.as_str() {
        "--as" => "party".to_string(),
        f => f.trim_start_matches("--").replace('-', "_"),
    };
    AppError::bad(field, inv.value, inv.rule)
}

fn bad(field: &str, e: Invalid) -> AppError {
    AppError::from_invalid(field, e)
}

fn list(s: &str) -> Vec<String> {
    s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect()
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parties(field: &str, ids: &[String]) -> Result<Vec<PartyId>, AppError> {
    ids.iter().map(|s| PartyId::parse(field, s.trim()).map_err(|e| bad(field, e))).collect()
}

/// The states a measure invites, written `state:DE` or `DE` (as `against` is), each
/// refusal naming its place in the list.
fn invitees(ids: &[String]) -> Result<Vec<PartyId>, AppError> {
    ids.iter().enumerate().map(|(i, s)| { let field = format!("with[{i}]"); PartyId::parse_state_or_party(&field, s).map_err(|e| bad(&field, e)) }).collect()
}

/// The parties an account names as acting with it. An account speaks for its own party
/// only: naming another as a co-author would put words in that party's mouth (and would
/// let it withdraw what it never said). A party joins a claim by endorsing it. (A
/// measure's `with` is different: it invites, and each invited state joins by its own act.)
fn co_actors(field: &str, ids: &[String], actor: &PartyId) -> Result<Vec<PartyId>, AppError> {
    let named = parties(field, ids)?;
    match named.iter().find(|p| *p != actor) {
        Some(other) => Err(AppError::bad(field, other.to_string(), format!("an account acts for its own party ({actor}) only; {other} joins by acting itself (endorsing the claim, or proposing its own measure)"))),
        None => Ok(named),
    }
}

fn evidence_ids(field: &str, ids: &[String]) -> Result<Vec<Uuid>, AppError> {
    ids.iter().map(|s| EvidenceId::parse(s.trim()).map(|e| e.0).map_err(|_| AppError::bad(field, s, "expected an artefact id (a UUID, as `pacta evidence list` shows)"))).collect()
}

fn date(field: &str, s: &Option<String>) -> Result<Option<chrono::NaiveDate>, AppError> {
    // Every form date records something that happened (a claim, a stance, a development).
    nonempty(s).map(|d| incident::parse_past_date(field, d, incident::today_anywhere(chrono::Utc::now()))).transpose().map_err(|e| bad(field, e))
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// What a write answers over JSON.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Written {
    /// The new record's id (claim, stance, artefact, measure or compliance event).
    pub id: String,
    /// The index of its entry in the transparency log.
    pub log_index: u64,
    /// The incident page that shows it.
    pub href: String,
}

fn incident_href(found: &StoredIncident) -> String {
    match &found.record.incident.origin {
        Some(o) => format!("/incidents/{}:{}", o.dataset, o.record_id),
        None => format!("/incidents/{}", found.record.incident.id),
    }
}

// ---------------------------------------------------------------- what the viewer sees

/// Everything about an incident's attribution and response that `viewer` may see.
pub async fn dossier(state: &AppState, viewer: &Viewer, found: &StoredIncident) -> Result<Dossier, AppError> {
    Ok(dossier_with_evidence(state, viewer, found).await?.0)
}

/// The [`dossier`] and the artefacts held for the incident that `viewer` may read, from
/// one read of the incident's workflow (`Store::workflow_of`, one snapshot).
async fn dossier_with_evidence(state: &AppState, viewer: &Viewer, found: &StoredIncident) -> Result<(Dossier, Vec<Evidence>), AppError> {
    let party = viewer.acting_party();
    let w = state.store.workflow_of(found.record.incident.id, party.as_ref()).await?;
    // The store has kept what the acting party may read; the policies may narrow it.
    let claims: Vec<ClaimVersion> = w.claims.into_iter().map(|c| c.version).filter(|v| viewer.may_see_attribution(&v.attribution)).collect();
    let visible: BTreeSet<AttributionId> = claims.iter().map(|c| c.claim()).collect();
    let stances: Vec<Stance> = w.stances.into_iter().map(|s| s.stance).filter(|s| visible.contains(&s.claim)).collect();
    // Facts from the consultations about this incident that the viewer may read (an
    // unanswered request to stop, an offer to negotiate...): a fact drawn from one the
    // viewer may not read would reveal that it took place.
    let consultations: Vec<_> = w.consultations.into_iter().map(|c| c.consultation).collect();
    let evidence = w.evidence.into_iter().filter(|e| may_read_evidence(viewer, e)).collect();
    let dossier = Dossier {
        facts: pacta_forum::consult::incident_facts(&consultations),
        incident: Some(found.record.incident.clone()),
        // Named by the claims and stances the store let through. `status` only looks
        // parties up, so one named only by a claim the policies hid changes nothing.
        parties: w.parties,
        claims,
        stances,
        compliance: w.compliance.into_iter().map(|c| c.event).collect(),
        measures: w.measures.into_iter().map(|m| m.measure).collect(),
    };
    Ok((dossier, evidence))
}

/// What an assessment for `viewer` reads: the claims that stand for the viewer (imported
/// and made in the registry, latest versions, withdrawn ones left out) and the facts of the
/// consultations the viewer may read.
pub async fn assessment_basis(state: &AppState, viewer: &Viewer, found: &StoredIncident) -> Result<(Vec<Attribution>, BTreeMap<String, bool>), AppError> {
    let d = dossier(state, viewer, found).await?;
    Ok((d.standing_attributions(), d.facts))
}

/// What the incident page needs from the workflows, from one read of the workflow: the
/// claims that stand for `viewer` (imported and made in the registry, latest versions,
/// withdrawn ones left out), which the page's assessment reads, and the rendered
/// [`incident_panel`].
pub async fn incident_workflow(state: &AppState, viewer: &Viewer, found: &StoredIncident) -> Result<(Vec<Attribution>, BTreeMap<String, bool>, String), AppError> {
    let (d, evidence) = dossier_with_evidence(state, viewer, found).await?;
    let panel = render_panel(viewer, found, &d, &evidence)?;
    Ok((d.standing_attributions(), d.facts.clone(), panel))
}

/// The log entry a measure's own write made: the store returns it to the writer, so
/// its absence is a fault, not a refusal.
fn measure_entry(index: Option<u64>) -> Result<u64, AppError> {
    index.ok_or_else(|| AppError::Internal("a measure's write returned no log entry".into()))
}

/// Whether `viewer` may read an artefact: the policies decide over its marking, shared
/// with its custodian.
fn may_read_evidence(viewer: &Viewer, e: &Evidence) -> bool {
    viewer.may_read(e.tlp, vec![e.custodian.to_string()])
}

/// The artefacts of an incident that `viewer` may read ([`may_read_evidence`]).
pub async fn visible_evidence(state: &AppState, viewer: &Viewer, incident: IncidentId) -> Result<Vec<Evidence>, AppError> {
    Ok(state.store.list_evidence(Some(incident)).await?.into_iter().filter(|e| may_read_evidence(viewer, e)).collect())
}

struct ClaimRow {
    id: String,
    by: String,
    to: String,
    basis: String,
    confidence: String,
    visibility: String,
    origin: String,
    evidence: usize,
    endorsed: usize,
    contested: usize,
    stance_href: Option<String>,
    /// For the claim's own attributors: where to withdraw it.
    withdraw_href: Option<String>,
    /// For the claim's own attributors: where to amend it.
    amend_href: Option<String>,
}

struct StanceRow {
    party: String,
    kind: String,
    claim: String,
    confidence: String,
    reasoning: String,
}

struct EvidenceRow {
    id: String,
    name: String,
    sha: String,
    size: u64,
    tlp: String,
    custodian: String,
    events: u64,
    log_index: u64,
}

struct MeasureRow {
    id: String,
    rung: String,
    by: String,
    against: String,
    state: String,
    description: String,
    /// (move, label) buttons the viewer may press.
    moves: Vec<(&'static str, &'static str)>,
    /// The invitations still unanswered that the viewer, the proposing state, may
    /// withdraw (one form each, with its reason).
    withdrawable: Vec<String>,
    /// Set when the measure is in force and a lift condition is met: what is due, and on
    /// what authority.
    lift_due: Option<String>,
    /// Set, for the measure's own state, when the record no longer supports it.
    unsupported: Option<String>,
}

#[derive(Template)]
#[template(path = "forms_panel.html")]
struct Panel {
    signed_in: bool,
    login_href: String,
    base: String,
    status: String,
    by_state: Vec<String>,
    claims: Vec<ClaimRow>,
    stances: Vec<StanceRow>,
    evidence: Vec<EvidenceRow>,
    measures: Vec<MeasureRow>,
    compliance: Vec<String>,
    may_attribute: bool,
    may_add_evidence: bool,
    may_respond: bool,
}

fn party_list(ps: &[PartyId]) -> String {
    ps.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
}

fn claim_rows(d: &Dossier, viewer: &Viewer, base: &str) -> Vec<ClaimRow> {
    let me = viewer.acting_party();
    let may_stance = viewer.may(Action::TakeStance);
    let may_attribute = viewer.may(Action::Attribute);
    pacta_ladder::status::latest(&d.claims)
        .into_iter()
        .filter(|c| c.stands())
        .map(|c| {
            let a = &c.attribution;
            let stances = d.stances.iter().filter(|s| s.claim == a.id);
            let (endorsed, contested) = stances.fold((0, 0), |(e, k), s| if s.kind == StanceKind::Endorse { (e + 1, k) } else { (e, k + 1) });
            let actor = [a.actor_name.clone(), a.actor_state.map(|s| format!("{} ({s})", s.name()))].into_iter().flatten().collect::<Vec<_>>().join(", ");
            let own = me.as_ref().is_some_and(|p| a.attributors.contains(p));
            ClaimRow {
                id: a.id.to_string(),
                by: if a.attributors.is_empty() { a.attributor_label.clone().unwrap_or_else(|| "unnamed source".into()) } else { party_list(&a.attributors) },
                to: if actor.is_empty() { human(a.actor_category.label()) } else { format!("{actor} ({})", human(a.actor_category.label()).to_lowercase()) },
                basis: human(a.basis.label()),
                confidence: a.confidence.map(|c| human(c.label())).unwrap_or_else(|| "not stated".into()),
                visibility: match &a.visibility {
                    Visibility::Public => "public".into(),
                    Visibility::Private { shared_with } if shared_with.is_empty() => "private".into(),
                    Visibility::Private { shared_with } => format!("private, shared with {}", party_list(shared_with)),
                },
                origin: if c.recorded_by.as_str() == pacta_store::claims::IMPORTED_BY { "imported".into() } else { format!("made in the registry, version {}", c.version) },
                evidence: c.evidence.len(),
                endorsed,
                contested,
                stance_href: (may_stance && !own).then(|| format!("{base}/claims/{}/stance", a.id)),
                withdraw_href: (may_attribute && own).then(|| format!("{base}/claims/{}/withdraw", a.id)),
                amend_href: (may_attribute && own).then(|| format!("{base}/claims/{}/amend", a.id)),
            }
        })
        .collect()
}

/// The moves the lifecycle could allow from `state` (the ladder decides on submission).
fn moves_from(state: MeasureState) -> Vec<(&'static str, &'static str)> {
    match state {
        MeasureState::Proposed => vec![("notified", "Notify"), ("enacted", "Enact"), ("lifted", "Abandon this measure")],
        MeasureState::Notified => vec![("enacted", "Enact"), ("lifted", "Lift")],
        MeasureState::Enacted => vec![("suspended", "Suspend"), ("lifted", "Lift")],
        MeasureState::Suspended => vec![("enacted", "Resume"), ("lifted", "Lift")],
        MeasureState::Lifted => vec![],
    }
}

fn measure_rows(d: &Dossier, viewer: &Viewer) -> Vec<MeasureRow> {
    let me = viewer.acting_party();
    let may = viewer.may(Action::Respond);
    d.measures
        .iter()
        .map(|m| MeasureRow {
            id: m.id.to_string(),
            rung: Ladder::builtin().rung(&m.rung).map(|r| r.name.clone()).unwrap_or_else(|| m.rung.clone()),
            // States named by the proposer take part once they have joined; until then
            // they are shown as invited, never as taking the measure. Each is labelled.
            by: std::iter::once(if m.with.is_empty() { m.by.to_string() } else { format!("{} (proposing)", m.by) })
                // A withdrawal's reason is in the copy only where the viewer may read it
                // (`measure_for`).
                .chain(m.with.iter().map(|p| m.partner_label(p)))
                .collect::<Vec<_>>()
                .join("; "),
            against: format!("{} ({})", m.against.name(), m.against),
            state: m.state.label().to_string(),
            description: m.description.clone(),
            moves: match me.as_ref() {
                // Notifying or enacting waits for every invited state's answer.
                Some(p) if may && p == &m.by && !m.pending().is_empty() => moves_from(m.state).into_iter().filter(|(to, _)| !["notified", "enacted"].contains(to)).collect(),
                Some(p) if may && p == &m.by => moves_from(m.state),
                Some(p) if may && m.state == MeasureState::Proposed && m.pending().contains(&p) => vec![(JOINED, "Join this measure"), (LEFT, "Decline")],
                Some(p) if may && m.state != MeasureState::Lifted && m.has_joined(p) => vec![(LEFT, "Leave this measure")],
                _ => Vec::new(),
            },
            withdrawable: match me.as_ref() {
                Some(p) if may && p == &m.by && m.state == MeasureState::Proposed => m.pending().into_iter().map(|p| p.to_string()).collect(),
                _ => Vec::new(),
            },
            // A state that joined reads the lift conditions on its own record too: each
            // state taking the measure answers for its own part (ILC arts. 53, 54).
            lift_due: lift_due_of(d, m).map(|due| lift_due_text(m, &due)).or_else(|| {
                let p = me.as_ref().filter(|p| m.has_joined(p))?;
                let rung = Ladder::builtin().rung(&m.rung)?;
                let due = pacta_ladder::lift_due(m, rung, &Situation::of(&d.compliance, p, m.against))?;
                Some(format!("On {p}'s own record, its part is due to be {}: {} ({}); leave the measure.", due.action, human(&due.condition).to_lowercase(), due.cites))
            }),
            // A measure in force rests on what the record said when it was taken. The
            // states taking it (only: the reason may rest on what others may not read)
            // are told when the record no longer supports it, as `pacta respond status`
            // tells them.
            unsupported: (me.as_ref().is_some_and(|p| p == &m.by || m.has_joined(p)) && matches!(m.state, MeasureState::Notified | MeasureState::Enacted))
                .then(|| pacta_ladder::check_move(Ladder::builtin(), pacta_norms::builtin(), d, m, MeasureState::Enacted).err())
                .flatten()
                .map(|e| format!("No longer supported by the record; suspend or lift it: {}", e.rule)),
        })
        .collect()
}

/// Whether `m` is due to be lifted (or suspended), judged on the record of compliance as
/// its own state reads it (`Situation::of`). A measure on a rung the built-in ladder does
/// not have is not judged here: the server proposes only on the built-in ladder.
fn lift_due_of(d: &Dossier, m: &pacta_core::Measure) -> Option<pacta_ladder::LiftDue> {
    let rung = Ladder::builtin().rung(&m.rung)?;
    pacta_ladder::lift_due(m, rung, &Situation::of(&d.compliance, &m.by, m.against))
}

fn lift_due_text(m: &pacta_core::Measure, due: &pacta_ladder::LiftDue) -> String {
    let condition = human(&due.condition).to_lowercase();
    match (&due.kept_because, due.binding) {
        (Some(why), false) => format!("Its lift condition is met ({condition}); {} keeps it in force: {why}", m.by),
        (_, true) => format!("{} requires it to be {} now: {condition}.", due.cites, due.action),
        (None, false) => format!("Due to be {} under this instance's ladder: {condition}.", due.action),
    }
}

/// The incident page's section on attribution, evidence and responses, with the actions
/// the viewer may take. Rendered HTML (escaped by its template).
pub async fn incident_panel(state: &AppState, viewer: &Viewer, found: &StoredIncident) -> Result<String, AppError> {
    let (d, evidence) = dossier_with_evidence(state, viewer, found).await?;
    render_panel(viewer, found, &d, &evidence)
}

fn render_panel(viewer: &Viewer, found: &StoredIncident, d: &Dossier, evidence: &[Evidence]) -> Result<String, AppError> {
    let base = incident_href(found);
    let status = d.status();
    let panel = Panel {
        signed_in: viewer.account_info().is_some(),
        login_href: format!("/login?next={base}"),
        status: human(status.status.label()),
        by_state: status
            .by_state
            .iter()
            .map(|s| {
                format!(
                    "{} ({}): {}{}, {} source(s){}",
                    s.state.name(),
                    s.state,
                    human(s.status.label()).to_lowercase(),
                    s.confidence.map(|c| format!(" at “{}”", human(c.label()).to_lowercase())).unwrap_or_default(),
                    s.sources.len(),
                    if s.contested_by.is_empty() { String::new() } else { format!(", contested by {}", party_list(&s.contested_by)) }
                )
            })
            .collect(),
        claims: claim_rows(d, viewer, &base),
        stances: d
            .stances
            .iter()
            .map(|s| StanceRow {
                party: s.party.to_string(),
                kind: if s.kind == StanceKind::Endorse { "endorses".into() } else { "contests".into() },
                claim: s.claim.to_string()[..8].to_string(),
                confidence: s.confidence.map(|c| human(c.label()).to_lowercase()).unwrap_or_default(),
                reasoning: s.reasoning.clone(),
            })
            .collect(),
        evidence: evidence
            .iter()
            .map(|e| EvidenceRow {
                id: e.id.to_string(),
                name: e.name.clone(),
                sha: e.sha256.to_hex()[..16].to_string(),
                size: e.size,
                tlp: e.tlp.label().to_string(),
                custodian: e.custodian.to_string(),
                events: e.events,
                log_index: e.log_index,
            })
            .collect(),
        measures: measure_rows(d, viewer),
        compliance: d.compliance.iter().map(|c| format!("{}: {} ({}, about {}){}", c.date.map(|d| d.to_string()).unwrap_or_else(|| "undated".into()), human(c.kind.label()), c.by, c.responsible, if c.note.is_empty() { String::new() } else { format!(" — {}", c.note) })).collect(),
        may_attribute: viewer.may(Action::Attribute),
        may_add_evidence: viewer.may(Action::AddEvidence),
        may_respond: viewer.may(Action::Respond),
        base,
    };
    Ok(panel.render()?)
}

// ---------------------------------------------------------------- the writes

/// An attribution claim, made in the signed-in party's name.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimInput {
    /// The state the conduct is attributed to (ISO 3166-1 alpha-2).
    #[serde(default)]
    pub state: Option<String>,
    /// The actor's name (an APT group, a unit).
    #[serde(default)]
    pub actor_name: Option<String>,
    /// `state`, `state_affiliated`, `non_state_group`, … (default: `state` when a state is named, else `unknown`).
    #[serde(default)]
    pub category: Option<String>,
    /// `technical_report`, `political_statement`, `legal_proceeding`, `self_attribution`, …
    pub basis: String,
    /// An ICD 203 likelihood term: `almost_no_chance` … `almost_certain` (required).
    pub confidence: String,
    /// Artefacts relied on (ids from the evidence vault, held for this incident).
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Other parties making the claim jointly.
    #[serde(default)]
    pub with: Vec<String>,
    /// `public` (default) or `private`.
    #[serde(default)]
    pub visibility: Option<String>,
    /// For a private claim: the parties it is shared with.
    #[serde(default)]
    pub shared_with: Vec<String>,
    /// The date of the attribution, `YYYY-MM-DD`.
    #[serde(default)]
    pub date: Option<String>,
}

impl ClaimInput {
    fn to_attribution(&self, incident: IncidentId, actor: &PartyId) -> Result<(Attribution, Vec<Uuid>), AppError> {
        let actor_state = nonempty(&self.state).map(|s| StateCode::parse("state", s)).transpose().map_err(|e| bad("state", e))?;
        let actor_category = match nonempty(&self.category) {
            Some(c) => ActorCategory::parse("category", c).map_err(|e| bad("category", e))?,
            None if actor_state.is_some() => ActorCategory::State,
            None => ActorCategory::Unknown,
        };
        let confidence = match self.confidence.trim() {
            "" => return Err(AppError::bad("confidence", "", "a claim states its likelihood as an ICD 203 term (almost_no_chance … almost_certain)")),
            c => Confidence::parse("confidence", c).map_err(|e| bad("confidence", e))?,
        };
        let mut attributors = vec![actor.clone()];
        attributors.extend(co_actors("with", &self.with, actor)?);
        attributors.dedup();
        let visibility = match nonempty(&self.visibility).unwrap_or("public") {
            "public" => {
                if !self.shared_with.is_empty() {
                    return Err(AppError::bad("shared_with", self.shared_with.join(", "), "a public claim is shared with everyone; choose private to name parties"));
                }
                Visibility::Public
            }
            "private" => Visibility::Private { shared_with: parties("shared_with", &self.shared_with)? },
            other => return Err(AppError::bad("visibility", other, "expected public or private")),
        };
        let a = Attribution {
            id: AttributionId::new(),
            incident,
            attributors,
            attributor_label: None,
            actor_name: nonempty(&self.actor_name).map(str::to_string),
            actor_state,
            actor_category,
            basis: AttributionBasis::parse("basis", self.basis.trim()).map_err(|e| bad("basis", e))?,
            confidence: Some(confidence),
            visibility,
            date: date("date", &self.date)?,
            origin_ref: None,
        };
        Ok((a, evidence_ids("evidence", &self.evidence)?))
    }
}

pub async fn make_claim(state: &AppState, viewer: &Viewer, reference: &str, input: &ClaimInput) -> Result<(Written, StoredIncident), AppError> {
    let w = writer(state, viewer, Action::Attribute, reference).await?;
    let (a, evidence) = input.to_attribution(w.incident.record.incident.id, &w.actor)?;
    let stored = state.store.make_claim(&w.actor, a, evidence).await.map_err(store_error)?;
    tracing::info!(claim = %stored.version.claim(), log_index = stored.log_index, party = %w.actor, "claim made");
    Ok((Written { id: stored.version.claim().to_string(), log_index: stored.log_index, href: incident_href(&w.incident) }, w.incident))
}

/// The claim `claim` names, if it is one the viewer may see about this incident: only such
/// a claim can be answered or withdrawn (any other is "not found", as a missing one is).
async fn visible_claim(state: &AppState, viewer: &Viewer, w: &Writer, claim: &str) -> Result<AttributionId, AppError> {
    let id = AttributionId::parse(claim.trim()).map_err(|_| AppError::bad("claim", claim, "expected a claim id (UUID)"))?;
    let d = dossier(state, viewer, &w.incident).await?;
    if !d.claims.iter().any(|c| c.claim() == id) {
        return Err(AppError::NotFound(format!("no claim {id} on this incident")));
    }
    Ok(id)
}

/// An endorsement or a contest of another party's claim.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StanceInput {
    /// `endorse` or `contest`.
    pub kind: String,
    /// Why, in the party's own words (required).
    pub reasoning: String,
    /// The party's own ICD 203 likelihood for the claim.
    #[serde(default)]
    pub confidence: Option<String>,
    /// The party's own artefacts.
    #[serde(default)]
    pub evidence: Vec<String>,
}

pub async fn take_stance(state: &AppState, viewer: &Viewer, reference: &str, claim: &str, input: &StanceInput) -> Result<Written, AppError> {
    let w = writer(state, viewer, Action::TakeStance, reference).await?;
    let claim = visible_claim(state, viewer, &w, claim).await?;
    let s = Stance {
        id: StanceId::new(),
        claim,
        claim_version: 1,
        incident: w.incident.record.incident.id,
        party: w.actor.clone(),
        kind: StanceKind::parse("kind", input.kind.trim()).map_err(|e| bad("kind", e))?,
        confidence: nonempty(&input.confidence).map(|c| Confidence::parse("confidence", c)).transpose().map_err(|e| bad("confidence", e))?,
        evidence: evidence_ids("evidence", &input.evidence)?,
        reasoning: input.reasoning.trim().to_string(),
        date: Some(chrono::Utc::now().date_naive()),
    };
    let stored = state.store.take_stance(&w.actor, s).await.map_err(store_error)?;
    tracing::info!(claim = %claim, log_index = stored.log_index, party = %w.actor, kind = %stored.stance.kind, "stance taken");
    Ok(Written { id: stored.stance.id.to_string(), log_index: stored.log_index, href: incident_href(&w.incident) })
}

/// Withdrawing one's own claim. The history is kept: the withdrawal is a new version of
/// the claim that says why, and from then on the claim no longer counts toward the
/// incident's attribution status and takes no further versions.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawInput {
    /// Why the claim is withdrawn (required, at most 2,000 characters).
    pub reason: String,
}

pub async fn withdraw_claim(state: &AppState, viewer: &Viewer, reference: &str, claim: &str, input: &WithdrawInput) -> Result<Written, AppError> {
    // Withdrawing is part of attributing: the same policy action, and the store lets only
    // the claim's attributors do it.
    let w = writer(state, viewer, Action::Attribute, reference).await?;
    let claim = visible_claim(state, viewer, &w, claim).await?;
    let stored = state.store.withdraw_claim(&w.actor, claim, &input.reason).await.map_err(store_error)?;
    tracing::info!(claim = %claim, log_index = stored.log_index, party = %w.actor, "claim withdrawn");
    Ok(Written { id: claim.to_string(), log_index: stored.log_index, href: incident_href(&w.incident) })
}

/// Amending one's own claim: the claim as it now stands, in full, and why it changed. The
/// history is kept: the amendment is a new version, and stances taken on an earlier
/// version say which one they answered.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendInput {
    /// The claim as amended (every field, as when it was made).
    pub claim: ClaimInput,
    /// Why the claim changed (required, at most 2,000 characters).
    pub reason: String,
}

pub async fn amend_claim(state: &AppState, viewer: &Viewer, reference: &str, claim: &str, input: &AmendInput) -> Result<Written, AppError> {
    // Amending is part of attributing: the same policy action, and the store lets only the
    // claim's attributors do it.
    let w = writer(state, viewer, Action::Attribute, reference).await?;
    let claim = visible_claim(state, viewer, &w, claim).await?;
    if input.reason.trim().is_empty() {
        return Err(AppError::bad("reason", "", "say why the claim is amended: the reason is part of its history"));
    }
    let (a, evidence) = input.claim.to_attribution(w.incident.record.incident.id, &w.actor)?;
    let stored = state.store.amend_claim(&w.actor, claim, a, evidence, &input.reason).await.map_err(store_error)?;
    tracing::info!(claim = %claim, version = stored.version.version, log_index = stored.log_index, party = %w.actor, "claim amended");
    Ok(Written { id: claim.to_string(), log_index: stored.log_index, href: incident_href(&w.incident) })
}

/// An artefact for the vault. Over JSON the bytes travel as base64.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceInput {
    /// What the artefact is called (its file name, say).
    pub name: String,
    /// The custody note: where it came from, how it was collected.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub media_type: Option<String>,
    /// TLP 2.0 marking of the artefact (default AMBER).
    #[serde(default)]
    pub tlp: Option<String>,
    /// The artefact's bytes, base64 (standard alphabet).
    pub content_base64: String,
    /// The acting party's custody signing key (`PRIVATE+KEY+…`, from `pacta evidence keygen`),
    /// used for this one signature and never stored.
    pub custody_key: String,
}

/// What is checked before an artefact's bytes are stored: the gates, the vault, the key
/// and the marking.
struct EvidenceGate {
    w: Writer,
    vault: Arc<pacta_vault::Vault>,
    signer: NoteSigner,
    tlp: Tlp,
}

/// `w` has passed the gates for [`Action::AddEvidence`] on the incident.
fn evidence_gate(state: &AppState, w: Writer, input: &EvidenceInput) -> Result<EvidenceGate, AppError> {
    let vault = vault_of(state)?;
    if input.custody_key.trim().is_empty() {
        return Err(AppError::bad("custody_key", "", "the custody event is signed with the acting party's key (`pacta evidence keygen`)"));
    }
    // The key is never echoed: the refusal says what it is not, not what it was.
    let signer = NoteSigner::parse_private_key(input.custody_key.trim())
        .map_err(|_| AppError::bad("custody_key", "(not shown)", "is not a custody signing key (PRIVATE+KEY+… as `pacta evidence keygen` writes it)"))?;
    let tlp = match nonempty(&input.tlp) {
        Some(t) => Tlp::parse("tlp", t).map_err(|e| bad("tlp", e))?,
        None => Tlp::Amber,
    };
    // TLP:RED is read by named individuals only, and an artefact's only grant is its
    // custodian party: a RED upload would be readable by no account, its uploader's
    // included. Refused rather than stored out of everyone's reach.
    if tlp == Tlp::Red {
        return Err(AppError::bad(
            "tlp",
            "RED",
            "an artefact is shared with its custodian party, and TLP:RED names individuals: mark it AMBER+STRICT to keep it within your organisation",
        ));
    }
    Ok(EvidenceGate { w, vault, signer, tlp })
}

/// The markings an artefact may take here (see [`evidence_gate`] on RED).
fn evidence_tlps() -> Vec<&'static str> {
    Tlp::ALL.iter().filter(|t| **t != Tlp::Red).map(|t| t.label()).collect()
}

fn vault_of(state: &AppState) -> Result<Arc<pacta_vault::Vault>, AppError> {
    state.vault.clone().ok_or_else(|| AppError::Unavailable("this server holds no evidence vault: add evidence with `pacta evidence add`".into()))
}

fn vault_error(e: pacta_vault::VaultError) -> AppError {
    AppError::Internal(format!("vault: {e}"))
}

/// Records an artefact whose bytes are in the vault already (blob before record: the
/// bytes are durable before the write path names them).
async fn record_evidence(state: &AppState, gate: EvidenceGate, input: &EvidenceInput, put: pacta_vault::Put) -> Result<Written, AppError> {
    if put.size == 0 {
        return Err(AppError::bad("file", "", "choose a file: an artefact has content"));
    }
    let EvidenceGate { w, vault, signer, tlp } = gate;
    let new = NewEvidence {
        sha256: put.hash,
        size: put.size,
        name: input.name.trim().to_string(),
        description: input.description.trim().to_string(),
        media_type: nonempty(&input.media_type).map(str::to_string),
        tlp,
        incident: Some(w.incident.record.incident.id.to_string()),
        received_from: None,
    };
    let (item, event) = state.store.add_evidence(&vault, &w.actor, &signer, new).await.map_err(|e| match e {
        // The store names the CLI's key flag; here the key is the form's field.
        StoreError::Invalid(inv) if inv.field.contains("key") || inv.rule.contains("key") => AppError::bad("custody_key", "(not shown)", inv.rule),
        other => store_error(other),
    })?;
    tracing::info!(evidence = %item.id, log_index = event.log_index, party = %w.actor, size = put.size, "evidence added");
    Ok(Written { id: item.id.to_string(), log_index: event.log_index, href: incident_href(&w.incident) })
}

/// A proposed measure on one rung of the ladder.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeInput {
    /// The rung's id (`private_protest`, `countermeasures`, …; see the plan).
    pub rung: String,
    /// The state the measure is directed against (ISO 3166-1 alpha-2).
    pub against: String,
    /// Other states invited to take part (collective measures); each takes part once it
    /// has joined (move `joined`).
    #[serde(default)]
    pub with: Vec<String>,
    #[serde(default)]
    pub description: String,
    /// Countermeasures declared urgent (ILC art. 52(2)).
    #[serde(default)]
    pub urgent: bool,
    /// TLP 2.0 marking of the measure (default AMBER: a plan is not for publication).
    #[serde(default)]
    pub tlp: Option<String>,
}

pub async fn propose(state: &AppState, viewer: &Viewer, reference: &str, input: &ProposeInput) -> Result<Written, AppError> {
    let w = writer(state, viewer, Action::Respond, reference).await?;
    let measure = Measure {
        id: ResponseId::new(),
        incident: w.incident.record.incident.id,
        by: w.actor.clone(),
        // Invited, not signed up: each named state joins by its own act (`joined`).
        with: invitees(&input.with)?,
        against: StateCode::parse("against", input.against.trim()).map_err(|e| bad("against", e))?,
        rung: input.rung.trim().to_string(),
        description: input.description.trim().to_string(),
        urgent: input.urgent,
        tlp: match nonempty(&input.tlp) {
            Some(t) => Tlp::parse("tlp", t).map_err(|e| bad("tlp", e))?,
            None => Tlp::Amber,
        },
        state: MeasureState::Proposed,
        history: vec![MeasureStep { state: MeasureState::Proposed, at: now(), by: w.actor.clone(), note: String::new() }],
        kept_despite_lift_condition: None,
        joined: vec![],
        left: vec![],
        withdrawn: vec![],
    };
    // An invited state must be able to read the incident, or it could neither see the
    // invitation nor answer it, and the measure could go no further.
    let grants = state.store.incident_grants(w.incident.record.incident.id).await.map_err(AppError::from)?;
    for (i, p) in measure.with.iter().enumerate() {
        if !party_reads_incident(state, &w.incident, &grants, p) {
            return Err(AppError::bad(format!("with[{i}]"), p.to_string(), format!("{p} may not read this incident (TLP:{}): share the incident with it first, so that it can see the invitation and answer it", w.incident.record.incident.tlp)));
        }
    }
    let d = dossier(state, viewer, &w.incident).await?;
    pacta_ladder::check_proposal(Ladder::builtin(), pacta_norms::builtin(), &d, &measure).map_err(invalid)?;
    let stored = state.store.propose_measure(&w.actor, measure).await.map_err(store_error)?;
    let log_index = measure_entry(stored.log_index)?;
    tracing::info!(measure = %stored.measure.id, log_index, party = %w.actor, rung = %stored.measure.rung, "measure proposed");
    Ok(Written { id: stored.measure.id.to_string(), log_index, href: incident_href(&w.incident) })
}

/// The move by which a state the measure was proposed with joins it (`MoveInput::to`).
const JOINED: &str = "joined";
/// The move by which such a state declines the invitation or leaves the measure.
const LEFT: &str = "left";
/// The move by which the proposing state withdraws an unanswered invitation
/// (`MoveInput::invitee`).
const UNINVITED: &str = "uninvited";

/// A move in a measure's lifecycle.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveInput {
    /// `notified`, `enacted`, `suspended` or `lifted` (by the responding state), or, by a
    /// state the measure was proposed with, `joined` (its own act of taking part) or
    /// `left` (declining the invitation, or leaving the measure it joined); or, by the
    /// responding state, `uninvited`: it withdraws its unanswered invitation to `invitee`.
    pub to: String,
    #[serde(default)]
    pub note: String,
    /// For `uninvited`: the invited state (`state:PL` or `PL`).
    #[serde(default)]
    pub invitee: Option<String>,
}

/// Whether an account of party `p` may read `incident` under the policies (its marking
/// and its sharing list, `grants`).
fn party_reads_incident(state: &AppState, incident: &StoredIncident, grants: &[String], p: &PartyId) -> bool {
    let principal = pacta_authz::Principal::account("reader", pacta_authz::Role::Party, Some(p.as_str()), None);
    state.authz.may_read(&principal, &pacta_authz::Marking::from_grants(incident.record.incident.tlp, grants.to_vec()))
}

pub async fn move_measure(state: &AppState, viewer: &Viewer, reference: &str, measure: &str, input: &MoveInput) -> Result<Written, AppError> {
    let w = writer(state, viewer, Action::Respond, reference).await?;
    let id = ResponseId::parse(measure.trim()).map_err(|_| AppError::bad("measure", measure, "expected a measure id (UUID)"))?;
    let partner_act = [JOINED, LEFT, UNINVITED].contains(&input.to.trim());
    let to = if partner_act {
        MeasureState::Proposed
    } else {
        MeasureState::parse("to", input.to.trim()).map_err(|e| bad("to", Invalid { rule: format!("{}; or, by an invited state, {JOINED} or {LEFT}; or, by the responding state, {UNINVITED}", e.rule), ..e }))?
    };
    if input.invitee.as_deref().is_some_and(|i| !i.trim().is_empty()) && input.to.trim() != UNINVITED {
        return Err(AppError::bad("invitee", input.invitee.as_deref().unwrap_or_default(), format!("names the state whose invitation is withdrawn, with `to` {UNINVITED} only")));
    }
    let d = dossier(state, viewer, &w.incident).await?;
    let Some(current) = d.measures.iter().find(|m| m.id == id) else {
        return Err(AppError::NotFound(format!("no measure {id} on this incident")));
    };
    if input.to.trim() == UNINVITED {
        let invitee = match nonempty(&input.invitee) {
            Some(i) => PartyId::parse_state_or_party("invitee", i).map_err(|e| bad("invitee", e))?,
            None => return Err(AppError::bad("invitee", "", "name the invited state whose invitation is withdrawn")),
        };
        let (actor, at) = (w.actor.clone(), now());
        let moved = state.store.move_measure(&w.actor, id, |m| pacta_ladder::withdraw_invitation(m, &actor, &invitee, &input.note, &at)).await.map_err(store_error)?;
        let log_index = measure_entry(moved.log_index)?;
        tracing::info!(measure = %id, log_index, party = %w.actor, invitee = %invitee, "an invitation was withdrawn");
        return Ok(Written { id: id.to_string(), log_index, href: incident_href(&w.incident) });
    }
    if partner_act {
        let (actor, at, joining) = (w.actor.clone(), now(), input.to.trim() == JOINED);
        if joining {
            pacta_ladder::check_join(Ladder::builtin(), &d, current, &actor).map_err(invalid)?;
        }
        let moved = state
            .store
            .move_measure(&w.actor, id, |m| if joining { pacta_ladder::join(m, &actor, &input.note, &at) } else { pacta_ladder::leave(m, &actor, &input.note, &at) })
            .await
            .map_err(store_error)?;
        let log_index = measure_entry(moved.log_index)?;
        tracing::info!(measure = %id, log_index, party = %w.actor, to = input.to.trim(), "an invited state answered");
        return Ok(Written { id: id.to_string(), log_index, href: incident_href(&w.incident) });
    }
    // A notification the target cannot read notifies nothing (ILC art. 52(1)(b)).
    let target = PartyId::for_state(current.against);
    if to == MeasureState::Notified
        && current.by == w.actor
        && !party_reads_incident(state, &w.incident, &state.store.incident_grants(w.incident.record.incident.id).await.map_err(AppError::from)?, &target)
    {
        return Err(AppError::bad("to", to.to_string(), format!("{target}, the state the measure is directed against, may not read this incident (TLP:{}): share the incident with it first, or the notification reaches no one", w.incident.record.incident.tlp)));
    }
    let rung = Ladder::builtin().require("rung", &current.rung).map_err(invalid)?.clone();
    let situation = Situation::of(&d.compliance, &current.by, current.against);
    if current.by == w.actor {
        // Only the owner learns why its own measure cannot go further; anyone else is
        // refused by the lifecycle as not the owner.
        // A refusal about the rung is a refusal of this move: it names the state asked
        // for, and says which rung could not get there.
        pacta_ladder::check_move(Ladder::builtin(), pacta_norms::builtin(), &d, current, to)
            .map_err(|e| invalid(if e.field == "rung" { Invalid::new("to", to, format!("rung `{}`: {}", e.value, e.rule)) } else { e }))?;
    }
    let at = now();
    let actor = w.actor.clone();
    // The lifecycle names the measure's `state`; on the form and in the JSON that is `to`.
    let moved = state
        .store
        .move_measure(&w.actor, id, |m| pacta_ladder::transition(m, &rung, &situation, &actor, to, &input.note, &at).map_err(|e| if e.field == "state" { Invalid { field: "to".into(), ..e } } else { e }))
        .await
        .map_err(store_error)?;
    let log_index = measure_entry(moved.log_index)?;
    tracing::info!(measure = %id, log_index, party = %w.actor, to = %to, "measure moved");
    Ok(Written { id: id.to_string(), log_index, href: incident_href(&w.incident) })
}

/// A development in the incident's enforcement arc.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplianceInput {
    /// `call_to_comply`, `wrongful_act_ceased`, `dispute_before_tribunal` or `responsible_state_complied`.
    pub kind: String,
    /// The state held responsible (ISO 3166-1 alpha-2).
    pub responsible: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub date: Option<String>,
}

pub async fn record_compliance(state: &AppState, viewer: &Viewer, reference: &str, input: &ComplianceInput) -> Result<Written, AppError> {
    let w = writer(state, viewer, Action::Respond, reference).await?;
    let event = ComplianceEvent {
        id: ComplianceEventId::new(),
        incident: w.incident.record.incident.id,
        kind: ComplianceKind::parse("kind", input.kind.trim()).map_err(|e| bad("kind", e))?,
        by: w.actor.clone(),
        responsible: StateCode::parse("responsible", input.responsible.trim()).map_err(|e| bad("responsible", e))?,
        date: date("date", &input.date)?,
        note: input.note.trim().to_string(),
    };
    // A development that ends or suspends measures counts for a state's measures when that
    // state records it, or the forum does (`Situation::of`). Over the web, "the forum" is not
    // any organisation that holds an account: the forum records compliance through a case's
    // ruling (confirming its remedies), and its operator through the CLI.
    if event.kind != ComplianceKind::CallToComply && event.by.state().is_none() {
        return Err(AppError::bad(
            "kind",
            event.kind.label(),
            "is recorded by a state (the injured state, for its own measures); the forum records compliance by confirming a ruling's remedies",
        ));
    }
    let stored = state.store.record_compliance(&w.actor, event).await.map_err(store_error)?;
    tracing::info!(event = %stored.event.id, log_index = stored.log_index, party = %w.actor, "compliance recorded");
    Ok(Written { id: stored.event.id.to_string(), log_index: stored.log_index, href: incident_href(&w.incident) })
}

/// The planner's answer for the signed-in state.
pub async fn plan(state: &AppState, viewer: &Viewer, reference: &str, against: Option<&str>, urgent: bool) -> Result<(pacta_ladder::Plan, Writer), AppError> {
    let w = writer(state, viewer, Action::Respond, reference).await?;
    let Some(by) = viewer.acting_state() else {
        return Err(AppError::Forbidden("a response is planned by a state: this account acts for none".into()));
    };
    let against = against.map(str::trim).filter(|a| !a.is_empty()).map(|a| StateCode::parse("against", a)).transpose().map_err(|e| bad("against", e))?;
    let d = dossier(state, viewer, &w.incident).await?;
    let p = pacta_ladder::plan(Ladder::builtin(), pacta_norms::builtin(), &d, &PlanRequest { by, against, urgent }).map_err(invalid)?;
    Ok((p, w))
}

// ---------------------------------------------------------------- JSON

fn created(w: Written) -> Response {
    (StatusCode::CREATED, Json(w)).into_response()
}

/// Make an attribution claim in the token's party's name.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/claims", tag = "workflows", request_body = ClaimInput,
    params(("id" = String, Path, description = "Incident id or DATASET:RECORD_ID")),
    responses((status = 201, body = Written), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("token" = [])))]
pub async fn api_make_claim(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, headers: HeaderMap, body: axum::body::Bytes) -> Result<Response, AppError> {
    writer(&state, &viewer, Action::Attribute, &id).await?;
    let input: ClaimInput = crate::report::json_body(&headers, &body)?;
    Ok(created(make_claim(&state, &viewer, &id, &input).await?.0))
}

/// Endorse or contest a claim on the incident.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/claims/{claim}/stances", tag = "workflows", request_body = StanceInput,
    params(("id" = String, Path, description = "Incident id or DATASET:RECORD_ID"), ("claim" = String, Path, description = "Claim id")),
    responses((status = 201, body = Written), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("token" = [])))]
pub async fn api_take_stance(State(state): State<AppState>, viewer: Viewer, Path((id, claim)): Path<(String, String)>, headers: HeaderMap, body: axum::body::Bytes) -> Result<Response, AppError> {
    writer(&state, &viewer, Action::TakeStance, &id).await?;
    let input: StanceInput = crate::report::json_body(&headers, &body)?;
    Ok(created(take_stance(&state, &viewer, &id, &claim, &input).await?))
}

/// Withdraw the token's party's own claim on the incident, saying why.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/claims/{claim}/withdrawal", tag = "workflows", request_body = WithdrawInput,
    params(("id" = String, Path, description = "Incident id or DATASET:RECORD_ID"), ("claim" = String, Path, description = "Claim id")),
    responses((status = 201, body = Written), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("token" = [])))]
pub async fn api_withdraw_claim(State(state): State<AppState>, viewer: Viewer, Path((id, claim)): Path<(String, String)>, headers: HeaderMap, body: axum::body::Bytes) -> Result<Response, AppError> {
    writer(&state, &viewer, Action::Attribute, &id).await?;
    let input: WithdrawInput = crate::report::json_body(&headers, &body)?;
    Ok(created(withdraw_claim(&state, &viewer, &id, &claim, &input).await?))
}

/// Amend a claim the token's party made: a new version, with the reason.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/claims/{claim}/amendment", tag = "workflows", request_body = AmendInput,
    params(("id" = String, Path, description = "Incident id or DATASET:RECORD_ID"), ("claim" = String, Path, description = "Claim id")),
    responses((status = 201, body = Written), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("token" = [])))]
pub async fn api_amend_claim(State(state): State<AppState>, viewer: Viewer, Path((id, claim)): Path<(String, String)>, headers: HeaderMap, body: axum::body::Bytes) -> Result<Response, AppError> {
    writer(&state, &viewer, Action::Attribute, &id).await?;
    let input: AmendInput = crate::report::json_body(&headers, &body)?;
    Ok(created(amend_claim(&state, &viewer, &id, &claim, &input).await?))
}

/// Put an artefact in the vault, signed by the token's party.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/evidence", tag = "workflows", request_body = EvidenceInput,
    params(("id" = String, Path, description = "Incident id or DATASET:RECORD_ID")),
    responses((status = 201, body = Written), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody)),
    security(("token" = [])))]
pub async fn api_add_evidence(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, headers: HeaderMap, body: axum::body::Body) -> Result<Response, AppError> {
    // Who may add evidence is settled before the body is read: this route's body limit is
    // the evidence size, and an anonymous client must not make the server buffer that.
    let w = writer(&state, &viewer, Action::AddEvidence, &id).await?;
    let body = axum::body::to_bytes(body, usize::MAX).await.map_err(|e| {
        let text = e.to_string();
        if past_the_limit(e) {
            AppError::TooLarge(format!("the request body is too large: {text}"))
        } else {
            AppError::BadBody(format!("the request body could not be read: {text}"))
        }
    })?;
    let input: EvidenceInput = crate::report::json_body(&headers, &body)?;
    drop(body);
    let gate = evidence_gate(&state, w, &input)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(input.content_base64.trim())
        .map_err(|e| AppError::bad("content_base64", "(not shown)", format!("is not base64: {e}")))?;
    if bytes.is_empty() {
        return Err(AppError::bad("content_base64", "", "an artefact has content"));
    }
    let vault = gate.vault.clone();
    let put = tokio::task::spawn_blocking(move || vault.put(std::io::Cursor::new(bytes))).await.map_err(|e| AppError::Internal(format!("vault task: {e}")))?.map_err(vault_error)?;
    Ok(created(record_evidence(&state, gate, &input, put).await?))
}

/// Whether reading a body failed on the route's body limit (`layers::body_limit`), however
/// many times the body was wrapped on its way here.
fn past_the_limit(e: axum::Error) -> bool {
    let mut inner = e.into_inner();
    loop {
        if inner.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        match inner.downcast::<axum::Error>() {
            Ok(wrapped) => inner = wrapped.into_inner(),
            Err(_) => return false,
        }
    }
}

/// The artefacts of an incident the viewer may read.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/evidence", tag = "workflows",
    params(("id" = String, Path, description = "Incident id or DATASET:RECORD_ID")),
    responses((status = 200, description = "Artefacts with hash, marking, custodian"), (status = 404, body = crate::error::ErrorBody)))]
pub async fn api_evidence(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Result<Response, AppError> {
    let found = registry::incident(&state, &viewer, &id).await?;
    Ok(Json(visible_evidence(&state, &viewer, found.record.incident.id).await?).into_response())
}

/// The claims (every visible version), stances and computed attribution status.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/claims", tag = "workflows",
    params(("id" = String, Path, description = "Incident id or DATASET:RECORD_ID")),
    responses((status = 200, description = "{status, claims, stances}"), (status = 404, body = crate::error::ErrorBody)))]
pub async fn api_claims(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Result<Response, AppError> {
    let found = registry::incident(&state, &viewer, &id).await?;
    let d = dossier(&state, &viewer, &found).await?;
    Ok(Json(serde_json::json!({ "status": d.status(), "claims": d.claims, "stances": d.stances })).into_response())
}

/// The measures on an incident the viewer may read, with the enforcement arc.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/measures", tag = "workflows",
    params(("id" = String, Path, description = "Incident id or DATASET:RECORD_ID")),
    responses((status = 200, description = "{measures, compliance, arc}"), (status = 404, body = crate::error::ErrorBody)))]
pub async fn api_measures(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Result<Response, AppError> {
    let found = registry::incident(&state, &viewer, &id).await?;
    let d = dossier(&state, &viewer, &found).await?;
    // Each measure with `lift_due`: null, or what its lift condition asks (as `pacta
    // respond status --json` gives it).
    let measures: Vec<serde_json::Value> = d
        .measures
        .iter()
        .map(|m| {
            let mut v = serde_json::to_value(m).map_err(|e| AppError::Internal(e.to_string()))?;
            v["lift_due"] = serde_json::to_value(lift_due_of(&d, m)).map_err(|e| AppError::Internal(e.to_string()))?;
            Ok(v)
        })
        .collect::<Result<_, AppError>>()?;
    Ok(Json(serde_json::json!({ "measures": measures, "compliance": d.compliance, "arc": pacta_ladder::arc(&d) })).into_response())
}

/// The response ladder for the token's state: available rungs (least severe first) and
/// unavailable ones with every reason. Query: `against` (ISO code), `urgent` (true/false).
#[utoipa::path(get, path = "/api/v1/incidents/{id}/plan", tag = "workflows",
    params(("id" = String, Path, description = "Incident id or DATASET:RECORD_ID"), ("against" = Option<String>, Query, description = "The state responded against"), ("urgent" = Option<bool>, Query, description = "Countermeasures declared urgent")),
    responses((status = 200, description = "The plan"), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("token" = [])))]
pub async fn api_plan(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, RawQuery(query): RawQuery) -> Result<Response, AppError> {
    let (against, urgent) = plan_query(query.as_deref())?;
    let (p, _) = plan(&state, &viewer, &id, against.as_deref(), urgent).await?;
    Ok(Json(p).into_response())
}

fn plan_query(query: Option<&str>) -> Result<(Option<String>, bool), AppError> {
    let pairs = crate::params::pairs(query, &["against", "urgent"])?;
    let against = pairs.iter().find(|(k, _)| *k == "against").map(|(_, v)| v.clone());
    let urgent = flag("urgent", pairs.iter().find(|(k, _)| *k == "urgent").map(|(_, v)| v.as_str()))?;
    Ok((against, urgent))
}

/// A yes/no field as a query or a checkbox sends it: absent or empty is no. Anything
/// else is refused rather than read as no: "urgent=maybe" is a mistake to report, and
/// countermeasures planned as not urgent when the user meant urgent are a different plan.
fn flag(field: &str, value: Option<&str>) -> Result<bool, AppError> {
    match value {
        None | Some("" | "false" | "0") => Ok(false),
        Some("true" | "1" | "on") => Ok(true),
        Some(other) => Err(AppError::bad(field, other, "expected true or false")),
    }
}

/// Propose a measure on one rung, in the token's state's name.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/measures", tag = "workflows", request_body = ProposeInput,
    params(("id" = String, Path, description = "Incident id or DATASET:RECORD_ID")),
    responses((status = 201, body = Written), (status = 400, description = "Refused by the ladder or a field's value", body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("token" = [])))]
pub async fn api_propose(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, headers: HeaderMap, body: axum::body::Bytes) -> Result<Response, AppError> {
    writer(&state, &viewer, Action::Respond, &id).await?;
    let input: ProposeInput = crate::report::json_body(&headers, &body)?;
    Ok(created(propose(&state, &viewer, &id, &input).await?))
}

/// Notify, enact, suspend or lift a measure.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/measures/{measure}/moves", tag = "workflows", request_body = MoveInput,
    params(("id" = String, Path, description = "Incident id or DATASET:RECORD_ID"), ("measure" = String, Path, description = "Measure id")),
    responses((status = 201, body = Written), (status = 400, description = "Refused by the lifecycle", body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("token" = [])))]
pub async fn api_move(State(state): State<AppState>, viewer: Viewer, Path((id, measure)): Path<(String, String)>, headers: HeaderMap, body: axum::body::Bytes) -> Result<Response, AppError> {
    writer(&state, &viewer, Action::Respond, &id).await?;
    let input: MoveInput = crate::report::json_body(&headers, &body)?;
    Ok(created(move_measure(&state, &viewer, &id, &measure, &input).await?))
}

/// Record a development in the enforcement arc (call to comply, cessation, tribunal, compliance).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/compliance", tag = "workflows", request_body = ComplianceInput,
    params(("id" = String, Path, description = "Incident id or DATASET:RECORD_ID")),
    responses((status = 201, body = Written), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("token" = [])))]
pub async fn api_compliance(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, headers: HeaderMap, body: axum::body::Bytes) -> Result<Response, AppError> {
    writer(&state, &viewer, Action::Respond, &id).await?;
    let input: ComplianceInput = crate::report::json_body(&headers, &body)?;
    Ok(created(record_compliance(&state, &viewer, &id, &input).await?))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api_make_claim, api_take_stance, api_withdraw_claim, api_amend_claim, api_add_evidence, api_evidence, api_claims, api_measures, api_plan, api_propose, api_move, api_compliance),
    components(schemas(Written, ClaimInput, StanceInput, WithdrawInput, EvidenceInput, ProposeInput, MoveInput, ComplianceInput)),
    tags((name = "workflows", description = "What a party does by hand: evidence, attribution, stances, responses"))
)]
pub struct WorkflowsApi;

// ---------------------------------------------------------------- the forms

/// A refusal shown on a form: the field at fault (empty for a rule about the account)
/// and the message.
pub(crate) struct Refusal {
    pub(crate) field: String,
    pub(crate) message: String,
}

impl From<&AppError> for Refusal {
    fn from(e: &AppError) -> Self {
        match e {
            // The field is shown beside the message; the message need not repeat it.
            AppError::BadParameter { param, value, reason } if value.trim().is_empty() => Refusal { field: param.clone(), message: format!("missing: {reason}") },
            AppError::BadParameter { param, value, reason } => Refusal { field: param.clone(), message: format!("{value:?} is not valid: {reason}") },
            AppError::UnknownParameter { param, .. } => Refusal { field: param.clone(), message: e.public_message() },
            _ => Refusal { field: String::new(), message: e.public_message() },
        }
    }
}

/// The common head of every form page.
struct Head {
    account: String,
    csrf: String,
    incident_title: String,
    base: String,
    error: Option<Refusal>,
}

/// The form's page for a signed-in account that passes the gates; anonymous visitors are
/// sent to sign in first.
async fn form_head(state: &AppState, viewer: &Viewer, action: Action, id: &str) -> Result<Result<(Head, Writer), Response>, PageError> {
    let (Some(account), Some(csrf)) = (viewer.account_info(), viewer.csrf()) else {
        // Encoded: the id comes from the path as typed, and a raw control character in a
        // Location header would fail the response.
        let next: String = form_urlencoded::byte_serialize(format!("/incidents/{id}").as_bytes()).collect();
        return Ok(Err(Redirect::to(&format!("/login?next={next}")).into_response()));
    };
    let w = writer(state, viewer, action, id).await?;
    let head = Head { account: account.name.clone(), csrf: csrf.to_string(), incident_title: w.incident.record.incident.title.clone(), base: incident_href(&w.incident), error: None };
    Ok(Ok((head, w)))
}

/// A refused submission: the form again, with the values and the refusal, under the
/// refusal's status. Gate failures (no session, policy, unseen incident) are error pages.
pub(crate) fn refused<T: Template>(e: AppError, page: impl FnOnce(Refusal) -> T) -> Response {
    let status = e.status();
    let refusal = Refusal::from(&e);
    e.log();
    match page(refusal).render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => PageError(AppError::from(err)).into_response(),
    }
}

fn done(href: &str, anchor: &str) -> Response {
    Redirect::to(&format!("{href}#{anchor}")).into_response()
}

fn labels<T: Copy>(all: &[T], label: fn(T) -> &'static str) -> Vec<(&'static str, String)> {
    all.iter().map(|x| (label(*x), human(label(*x)))).collect()
}

/// Parses the CSRF field first: a form without it is refused before anything else.
fn csrf_gate(viewer: &Viewer, submitted: Option<&str>) -> Result<(), PageError> {
    Ok(crate::auth::check_csrf(viewer, submitted.unwrap_or(""))?)
}

// --- attribute

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AttributeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    actor_name: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    basis: String,
    #[serde(default)]
    confidence: String,
    #[serde(default)]
    evidence: String,
    #[serde(default)]
    with: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    shared_with: String,
    #[serde(default)]
    date: String,
    /// Only when amending: why.
    #[serde(default)]
    reason: String,
}

impl From<&AttributeForm> for ClaimInput {
    fn from(f: &AttributeForm) -> Self {
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        ClaimInput {
            state: opt(&f.state),
            actor_name: opt(&f.actor_name),
            category: opt(&f.category),
            basis: f.basis.clone(),
            confidence: f.confidence.clone(),
            evidence: list(&f.evidence),
            with: list(&f.with),
            visibility: opt(&f.visibility),
            shared_with: list(&f.shared_with),
            date: opt(&f.date),
        }
    }
}

#[derive(Template)]
#[template(path = "forms_attribute.html")]
struct AttributePage {
    nav: &'static str,
    head: Head,
    form: AttributeForm,
    /// When amending: the claim's id and its summary as it stands.
    amending: Option<(String, String)>,
    categories: Vec<(&'static str, String)>,
    bases: Vec<(&'static str, String)>,
    confidences: Vec<(&'static str, String)>,
    evidence: Vec<(String, String)>,
}

async fn attribute_view(state: &AppState, viewer: &Viewer, head: Head, w: &Writer, form: AttributeForm) -> Result<AttributePage, AppError> {
    claim_form_view(state, viewer, head, w, form, None).await
}

/// The claim form, for a new claim or (with `amending`) a new version of one.
async fn claim_form_view(state: &AppState, viewer: &Viewer, head: Head, w: &Writer, form: AttributeForm, amending: Option<(String, String)>) -> Result<AttributePage, AppError> {
    let evidence = visible_evidence(state, viewer, w.incident.record.incident.id).await?.into_iter().map(|e| (e.id.to_string(), format!("{} ({} bytes, TLP:{})", e.name, e.size, e.tlp))).collect();
    Ok(AttributePage {
        nav: "incidents",
        head,
        form,
        amending,
        categories: labels(ActorCategory::ALL, ActorCategory::label),
        bases: labels(AttributionBasis::ALL, AttributionBasis::label),
        confidences: labels(Confidence::ALL, Confidence::label),
        evidence,
    })
}

async fn attribute_page(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Result<Response, PageError> {
    let (head, w) = match form_head(&state, &viewer, Action::Attribute, &id).await? {
        Ok(x) => x,
        Err(redirect) => return Ok(redirect),
    };
    let form = AttributeForm { visibility: "public".into(), basis: "technical_report".into(), ..Default::default() };
    Ok(Html(attribute_view(&state, &viewer, head, &w, form).await?.render().map_err(AppError::from)?).into_response())
}

async fn attribute_form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, Form(form): Form<AttributeForm>) -> Result<Response, PageError> {
    csrf_gate(&viewer, Some(&form.csrf))?;
    if !form.reason.trim().is_empty() {
        return Err(AppError::UnknownParameter { param: "reason".into(), accepted: "a new claim has no reason field; amend a claim to give one".into() }.into());
    }
    let (head, w) = match form_head(&state, &viewer, Action::Attribute, &id).await? {
        Ok(x) => x,
        Err(redirect) => return Ok(redirect),
    };
    match make_claim(&state, &viewer, &id, &ClaimInput::from(&form)).await {
        Ok((written, _)) => Ok(done(&written.href, "workflow")),
        Err(e) => {
            let mut page = attribute_view(&state, &viewer, head, &w, form).await?;
            Ok(refused(e, |r| {
                page.head.error = Some(r);
                page
            }))
        }
    }
}

// --- stance

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct StanceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    reasoning: String,
    #[serde(default)]
    confidence: String,
    #[serde(default)]
    evidence: String,
}

#[derive(Template)]
#[template(path = "forms_stance.html")]
struct StancePage {
    nav: &'static str,
    head: Head,
    form: StanceForm,
    claim_id: String,
    claim: String,
    confidences: Vec<(&'static str, String)>,
}

/// The claim a stance or withdrawal page is about, as the viewer may see it: its id and a
/// one-line summary. A claim the viewer may not see is not there.
async fn claim_in_view(state: &AppState, viewer: &Viewer, head: &Head, w: &Writer, claim: &str) -> Result<(String, String), AppError> {
    let d = dossier(state, viewer, &w.incident).await?;
    let rows = claim_rows(&d, viewer, &head.base);
    let Some(c) = rows.iter().find(|c| c.id == claim.trim()) else {
        return Err(AppError::NotFound(format!("no claim {claim:?} on this incident")));
    };
    let summary = format!("{} attributes it to {}, {} ({}); {}", c.by, c.to, c.confidence.to_lowercase(), c.basis.to_lowercase(), c.origin);
    Ok((c.id.clone(), summary))
}

async fn stance_view(state: &AppState, viewer: &Viewer, head: Head, w: &Writer, claim: &str, form: StanceForm) -> Result<StancePage, AppError> {
    let (claim_id, claim) = claim_in_view(state, viewer, &head, w, claim).await?;
    Ok(StancePage { nav: "incidents", head, form, claim_id, claim, confidences: labels(Confidence::ALL, Confidence::label) })
}

async fn stance_page(State(state): State<AppState>, viewer: Viewer, Path((id, claim)): Path<(String, String)>, RawQuery(query): RawQuery) -> Result<Response, PageError> {
    let (head, w) = match form_head(&state, &viewer, Action::TakeStance, &id).await? {
        Ok(x) => x,
        Err(redirect) => return Ok(redirect),
    };
    let kind = crate::params::pairs(query.as_deref(), &["kind"])?.into_iter().find(|(k, _)| *k == "kind").map(|(_, v)| v).unwrap_or_else(|| "endorse".into());
    let form = StanceForm { kind, ..Default::default() };
    Ok(Html(stance_view(&state, &viewer, head, &w, &claim, form).await?.render().map_err(AppError::from)?).into_response())
}

async fn stance_form(State(state): State<AppState>, viewer: Viewer, Path((id, claim)): Path<(String, String)>, Form(form): Form<StanceForm>) -> Result<Response, PageError> {
    csrf_gate(&viewer, Some(&form.csrf))?;
    let (head, w) = match form_head(&state, &viewer, Action::TakeStance, &id).await? {
        Ok(x) => x,
        Err(redirect) => return Ok(redirect),
    };
    let input = StanceInput { kind: form.kind.clone(), reasoning: form.reasoning.clone(), confidence: Some(form.confidence.clone()), evidence: list(&form.evidence) };
    match take_stance(&state, &viewer, &id, &claim, &input).await {
        Ok(written) => Ok(done(&written.href, "workflow")),
        Err(e) => {
            let mut page = stance_view(&state, &viewer, head, &w, &claim, form).await?;
            Ok(refused(e, |r| {
                page.head.error = Some(r);
                page
            }))
        }
    }
}

// --- withdrawal

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct WithdrawForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

#[derive(Template)]
#[template(path = "forms_withdraw.html")]
struct WithdrawPage {
    nav: &'static str,
    head: Head,
    form: WithdrawForm,
    claim_id: String,
    claim: String,
}

async fn withdraw_view(state: &AppState, viewer: &Viewer, head: Head, w: &Writer, claim: &str, form: WithdrawForm) -> Result<WithdrawPage, AppError> {
    let (claim_id, claim) = claim_in_view(state, viewer, &head, w, claim).await?;
    Ok(WithdrawPage { nav: "incidents", head, form, claim_id, claim })
}

async fn withdraw_page(State(state): State<AppState>, viewer: Viewer, Path((id, claim)): Path<(String, String)>) -> Result<Response, PageError> {
    let (head, w) = match form_head(&state, &viewer, Action::Attribute, &id).await? {
        Ok(x) => x,
        Err(redirect) => return Ok(redirect),
    };
    Ok(Html(withdraw_view(&state, &viewer, head, &w, &claim, WithdrawForm::default()).await?.render().map_err(AppError::from)?).into_response())
}

async fn withdraw_form(State(state): State<AppState>, viewer: Viewer, Path((id, claim)): Path<(String, String)>, Form(form): Form<WithdrawForm>) -> Result<Response, PageError> {
    csrf_gate(&viewer, Some(&form.csrf))?;
    let (head, w) = match form_head(&state, &viewer, Action::Attribute, &id).await? {
        Ok(x) => x,
        Err(redirect) => return Ok(redirect),
    };
    match withdraw_claim(&state, &viewer, &id, &claim, &WithdrawInput { reason: form.reason.clone() }).await {
        Ok(written) => Ok(done(&written.href, "workflow")),
        Err(e) => {
            let mut page = withdraw_view(&state, &viewer, head, &w, &claim, form).await?;
            Ok(refused(e, |r| {
                page.head.error = Some(r);
                page
            }))
        }
    }
}

// --- amendment

/// The claim's current version as the form's fields, for the amendment page to start from.
async fn current_claim_form(state: &AppState, viewer: &Viewer, w: &Writer, claim: &str) -> Result<AttributeForm, AppError> {
    let id = visible_claim(state, viewer, w, claim).await?;
    let d = dossier(state, viewer, &w.incident).await?;
    let Some(c) = pacta_ladder::status::latest(&d.claims).into_iter().find(|c| c.claim() == id) else {
        return Err(AppError::NotFound(format!("no claim {id} on this incident")));
    };
    let a = &c.attribution;
    let others: Vec<PartyId> = a.attributors.iter().filter(|p| **p != w.actor).cloned().collect();
    Ok(AttributeForm {
        state: a.actor_state.map(|s| s.to_string()).unwrap_or_default(),
        actor_name: a.actor_name.clone().unwrap_or_default(),
        category: a.actor_category.label().to_string(),
        basis: a.basis.label().to_string(),
        confidence: a.confidence.map(|c| c.label().to_string()).unwrap_or_default(),
        evidence: c.evidence.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", "),
        with: party_list(&others),
        visibility: if matches!(a.visibility, Visibility::Public) { "public".into() } else { "private".into() },
        shared_with: match &a.visibility {
            Visibility::Private { shared_with } => party_list(shared_with),
            Visibility::Public => String::new(),
        },
        date: a.date.map(|d| d.to_string()).unwrap_or_default(),
        ..Default::default()
    })
}

async fn amend_view(state: &AppState, viewer: &Viewer, head: Head, w: &Writer, claim: &str, form: AttributeForm) -> Result<AttributePage, AppError> {
    let amending = claim_in_view(state, viewer, &head, w, claim).await?;
    claim_form_view(state, viewer, head, w, form, Some(amending)).await
}

async fn amend_page(State(state): State<AppState>, viewer: Viewer, Path((id, claim)): Path<(String, String)>) -> Result<Response, PageError> {
    let (head, w) = match form_head(&state, &viewer, Action::Attribute, &id).await? {
        Ok(x) => x,
        Err(redirect) => return Ok(redirect),
    };
    let form = current_claim_form(&state, &viewer, &w, &claim).await?;
    Ok(Html(amend_view(&state, &viewer, head, &w, &claim, form).await?.render().map_err(AppError::from)?).into_response())
}

async fn amend_form(State(state): State<AppState>, viewer: Viewer, Path((id, claim)): Path<(String, String)>, Form(form): Form<AttributeForm>) -> Result<Response, PageError> {
    csrf_gate(&viewer, Some(&form.csrf))?;
    let (head, w) = match form_head(&state, &viewer, Action::Attribute, &id).await? {
        Ok(x) => x,
        Err(redirect) => return Ok(redirect),
    };
    let input = AmendInput { claim: ClaimInput::from(&form), reason: form.reason.clone() };
    match amend_claim(&state, &viewer, &id, &claim, &input).await {
        Ok(written) => Ok(done(&written.href, "workflow")),
        Err(e) => {
            let mut page = amend_view(&state, &viewer, head, &w, &claim, form).await?;
            Ok(refused(e, |r| {
                page.head.error = Some(r);
                page
            }))
        }
    }
}

// --- evidence

#[derive(Default)]
struct EvidenceForm {
    name: String,
    description: String,
    media_type: String,
    tlp: String,
}

#[derive(Template)]
#[template(path = "forms_evidence.html")]
struct EvidencePage {
    nav: &'static str,
    head: Head,
    form: EvidenceForm,
    tlps: Vec<&'static str>,
    max_bytes: usize,
}

async fn evidence_page(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Result<Response, PageError> {
    let (head, _) = match form_head(&state, &viewer, Action::AddEvidence, &id).await? {
        Ok(x) => x,
        Err(redirect) => return Ok(redirect),
    };
    let page = EvidencePage { nav: "incidents", head, form: EvidenceForm { tlp: "AMBER".into(), ..Default::default() }, tlps: evidence_tlps(), max_bytes: state.limits.max_evidence_bytes };
    Ok(Html(page.render().map_err(AppError::from)?).into_response())
}

/// The upload form, read as it streams. The CSRF token must come before the file (the
/// form puts it first), so the session, the token and the policy are checked before a
/// byte of the file is stored; the file then goes straight into the vault, never whole
/// in memory; the other fields may come before or after it. Unknown fields are refused,
/// as in every other form.
///
/// A refusal found after the file is stored (a bad custody key, say) leaves its blob in
/// the vault unreferenced: content-addressed, complete, and found in place if the same
/// file is sent again.
async fn read_upload(state: &AppState, viewer: &Viewer, reference: &str, mut m: Multipart) -> Result<(EvidenceInput, Option<pacta_vault::Put>), PageError> {
    let mut csrf: Option<String> = None;
    let mut input = EvidenceInput::default();
    let mut put = None;
    let mut file_name = String::new();
    while let Some(field) = m.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "file" => {
                if put.is_some() {
                    return Err(AppError::bad("file", field.file_name().unwrap_or(""), "one file per upload").into());
                }
                csrf_gate(viewer, csrf.as_deref())?;
                writer(state, viewer, Action::AddEvidence, reference).await?;
                let vault = vault_of(state)?;
                file_name = field.file_name().unwrap_or("").to_string();
                if input.media_type.is_none() {
                    input.media_type = field.content_type().map(str::to_string).filter(|t| t != "application/octet-stream");
                }
                put = Some(stream_into_vault(vault, field).await?);
            }
            "csrf" | "name" | "description" | "tlp" | "custody_key" | "media_type" => {
                let text = field.text().await.map_err(unreadable)?;
                match name.as_str() {
                    "csrf" => csrf = Some(text),
                    "name" => input.name = text,
                    "description" => input.description = text,
                    "tlp" => input.tlp = Some(text),
                    "custody_key" => input.custody_key = text,
                    _ => input.media_type = Some(text).filter(|t| !t.trim().is_empty()),
                }
            }
            other => return Err(AppError::UnknownParameter { param: other.to_string(), accepted: "csrf, file, name, description, tlp, media_type, custody_key".into() }.into()),
        }
    }
    csrf_gate(viewer, csrf.as_deref())?;
    if input.name.trim().is_empty() {
        input.name = file_name;
    }
    Ok((input, put))
}

fn unreadable(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge(format!("the upload is too large: {e}"))
    } else {
        AppError::BadBody(format!("the upload could not be read: {e}"))
    }
}

/// Feeds the file's chunks, as they arrive, to the vault's writer on a blocking thread.
async fn stream_into_vault(vault: Arc<pacta_vault::Vault>, mut field: axum::extract::multipart::Field<'_>) -> Result<pacta_vault::Put, AppError> {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<axum::body::Bytes>>(8);
    let writing = tokio::task::spawn_blocking(move || vault.put(ChunkReader { rx, chunk: axum::body::Bytes::new() }));
    let mut failed = None;
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                if tx.send(Ok(chunk)).await.is_err() {
                    break; // The writer stopped: its own error says why.
                }
            }
            Ok(None) => break,
            Err(e) => {
                let _ = tx.send(Err(std::io::Error::other("the upload was cut short"))).await;
                failed = Some(unreadable(e));
                break;
            }
        }
    }
    drop(tx);
    let put = writing.await.map_err(|e| AppError::Internal(format!("vault task: {e}")))?;
    match failed {
        // An upload cut short stores nothing under a name (the vault removes its temporary file).
        Some(e) => Err(e),
        None => put.map_err(vault_error),
    }
}

/// A blocking reader over chunks sent from the async side.
struct ChunkReader {
    rx: tokio::sync::mpsc::Receiver<std::io::Result<axum::body::Bytes>>,
    chunk: axum::body::Bytes,
}

impl std::io::Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(next)) => self.chunk = next,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

async fn evidence_form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, multipart: Multipart) -> Result<Response, PageError> {
    // The session is checked before the upload is read at all.
    if viewer.account_info().is_none() {
        return Err(AppError::Unauthorized(format!("to {}, sign in with a party's account", what(Action::AddEvidence))).into());
    }
    let (input, put) = read_upload(&state, &viewer, &id, multipart).await?;
    let (head, w) = match form_head(&state, &viewer, Action::AddEvidence, &id).await? {
        Ok(x) => x,
        Err(redirect) => return Ok(redirect),
    };
    let outcome = match evidence_gate(&state, w, &input) {
        Ok(gate) => match put {
            Some(put) => record_evidence(&state, gate, &input, put).await,
            None => Err(AppError::bad("file", "", "choose a file: an artefact has content")),
        },
        Err(e) => Err(e),
    };
    match outcome {
        Ok(written) => Ok(done(&written.href, "evidence")),
        Err(e) => {
            let form = EvidenceForm { name: input.name, description: input.description, media_type: input.media_type.unwrap_or_default(), tlp: input.tlp.unwrap_or_default() };
            let page = EvidencePage { nav: "incidents", head, form, tlps: evidence_tlps(), max_bytes: state.limits.max_evidence_bytes };
            Ok(refused(e, |r| EvidencePage { head: Head { error: Some(r), ..page.head }, ..page }))
        }
    }
}

// --- respond: the plan, proposals, moves, compliance

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ProposeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rung: String,
    #[serde(default)]
    against: String,
    #[serde(default)]
    with: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    urgent: String,
    #[serde(default)]
    tlp: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ComplianceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    responsible: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    date: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MoveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    invitee: Option<String>,
}

struct OptionView {
    rung: String,
    name: String,
    basis: String,
    cites: String,
    severity: u8,
    commensurate: bool,
    lift_when: String,
    duties: Vec<String>,
    risks: Vec<String>,
}

#[derive(Template)]
#[template(path = "forms_respond.html")]
struct RespondPage {
    nav: &'static str,
    head: Head,
    by: String,
    against: String,
    urgent: bool,
    summary: Vec<(&'static str, String)>,
    options: Vec<OptionView>,
    unavailable: Vec<(String, u8, Vec<String>)>,
    measures: Vec<MeasureRow>,
    compliance: Vec<String>,
    propose: ProposeForm,
    record: ComplianceForm,
    tlps: Vec<&'static str>,
    kinds: Vec<(&'static str, String)>,
    /// Which form the refusal (if any) belongs to: `propose`, `compliance` or `move`.
    error_in: &'static str,
}

async fn respond_view(state: &AppState, viewer: &Viewer, head: Head, id: &str, against: Option<&str>, urgent: bool) -> Result<RespondPage, AppError> {
    let (p, w) = plan(state, viewer, id, against, urgent).await?;
    let d = dossier(state, viewer, &w.incident).await?;
    let against = p.against.map(|a| a.to_string()).unwrap_or_default();
    let standing = p.against.and_then(|a| p.status.standing(a));
    let summary = vec![
        ("Responding state", format!("{} ({})", p.by.name(), p.by)),
        ("Against", p.against.map(|a| format!("{} ({a})", a.name())).unwrap_or_else(|| "no state named by a standing claim".into())),
        (
            "Attribution",
            standing.map(|s| format!("{}{}", human(s.status.label()), s.confidence.map(|c| format!(", at “{}”", human(c.label()).to_lowercase())).unwrap_or_default())).unwrap_or_else(|| "none".into()),
        ),
        ("Injury", format!("severity {} ({})", p.injury.severity, p.injury.because.join("; "))),
        ("State responsibility", p.responsibility.map(|r| human(r.label())).unwrap_or_else(|| "cannot tell".into())),
    ];
    let options = p
        .options
        .iter()
        .map(|o| OptionView {
            rung: o.rung.clone(),
            name: o.name.clone(),
            basis: human(o.basis.label()),
            cites: o.cites.clone(),
            severity: o.severity,
            commensurate: o.commensurate,
            lift_when: format!("{}{}", o.lift_when, o.basis.lift_law().map(|l| format!(" (binding: {l})")).unwrap_or_default()),
            duties: o.open_duties.iter().map(|d| format!("{} ({}): {}", d.rule, d.cites, d.status.words())).collect(),
            risks: o.risks.iter().map(|r| format!("{}: {}", human(r.kind.label()), r.detail)).collect(),
        })
        .collect();
    let propose = ProposeForm { against: against.clone(), tlp: "AMBER".into(), rung: p.options.first().map(|o| o.rung.clone()).unwrap_or_default(), ..Default::default() };
    let record = ComplianceForm { responsible: against.clone(), ..Default::default() };
    Ok(RespondPage {
        nav: "incidents",
        head,
        by: p.by.to_string(),
        against,
        urgent,
        summary,
        options,
        unavailable: p.unavailable.iter().map(|u| (u.name.clone(), u.severity, u.reasons.clone())).collect(),
        measures: measure_rows(&d, viewer),
        compliance: d.compliance.iter().map(|c| format!("{}: {} by {} about {}", c.date.map(|d| d.to_string()).unwrap_or_else(|| "undated".into()), human(c.kind.label()), c.by, c.responsible)).collect(),
        propose,
        record,
        tlps: Tlp::ALL.iter().map(|t| t.label()).collect(),
        kinds: labels(ComplianceKind::ALL, ComplianceKind::label),
        error_in: "",
    })
}

async fn respond_page(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, RawQuery(query): RawQuery) -> Result<Response, PageError> {
    let (against, urgent) = plan_query(query.as_deref())?;
    let (head, _) = match form_head(&state, &viewer, Action::Respond, &id).await? {
        Ok(x) => x,
        Err(redirect) => return Ok(redirect),
    };
    Ok(Html(respond_view(&state, &viewer, head, &id, against.as_deref(), urgent).await?.render().map_err(AppError::from)?).into_response())
}

async fn propose_form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, Form(form): Form<ProposeForm>) -> Result<Response, PageError> {
    csrf_gate(&viewer, Some(&form.csrf))?;
    let (head, _) = match form_head(&state, &viewer, Action::Respond, &id).await? {
        Ok(x) => x,
        Err(redirect) => return Ok(redirect),
    };
    let (urgent, outcome) = match flag("urgent", Some(form.urgent.as_str())) {
        Ok(urgent) => {
            let input = ProposeInput { rung: form.rung.clone(), against: form.against.clone(), with: list(&form.with), description: form.description.clone(), urgent, tlp: Some(form.tlp.clone()) };
            (urgent, propose(&state, &viewer, &id, &input).await)
        }
        Err(e) => (false, Err(e)),
    };
    match outcome {
        Ok(written) => Ok(done(&written.href, "measures")),
        Err(e) => {
            let against = Some(form.against.as_str()).filter(|a| StateCode::parse("against", a.trim()).is_ok());
            let mut page = respond_view(&state, &viewer, head, &id, against, urgent).await?;
            page.propose = form;
            page.error_in = "propose";
            Ok(refused(e, |r| {
                page.head.error = Some(r);
                page
            }))
        }
    }
}

async fn compliance_form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, Form(form): Form<ComplianceForm>) -> Result<Response, PageError> {
    csrf_gate(&viewer, Some(&form.csrf))?;
    let (head, _) = match form_head(&state, &viewer, Action::Respond, &id).await? {
        Ok(x) => x,
        Err(redirect) => return Ok(redirect),
    };
    let input = ComplianceInput { kind: form.kind.clone(), responsible: form.responsible.clone(), note: form.note.clone(), date: Some(form.date.clone()) };
    match record_compliance(&state, &viewer, &id, &input).await {
        Ok(written) => Ok(done(&written.href, "measures")),
        Err(e) => {
            let mut page = respond_view(&state, &viewer, head, &id, None, false).await?;
            page.record = form;
            page.error_in = "compliance";
            Ok(refused(e, |r| {
                page.head.error = Some(r);
                page
            }))
        }
    }
}

async fn move_form(State(state): State<AppState>, viewer: Viewer, Path((id, measure)): Path<(String, String)>, Form(form): Form<MoveForm>) -> Result<Response, PageError> {
    csrf_gate(&viewer, Some(&form.csrf))?;
    let (head, _) = match form_head(&state, &viewer, Action::Respond, &id).await? {
        Ok(x) => x,
        Err(redirect) => return Ok(redirect),
    };
    match move_measure(&state, &viewer, &id, &measure, &MoveInput { to: form.to.clone(), note: form.note.clone(), invitee: form.invitee.clone() }).await {
        Ok(written) => Ok(done(&written.href, "measures")),
        Err(e) => {
            let mut page = respond_view(&state, &viewer, head, &id, None, false).await?;
            page.error_in = "move";
            Ok(refused(e, |r| {
                page.head.error = Some(r);
                page
            }))
        }
    }
}
