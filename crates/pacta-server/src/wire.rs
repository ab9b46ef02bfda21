//! The JSON wire format of the public API, converted by hand from the domain types.
//!
//! Keeping these types here (rather than deriving `Serialize` on `pacta-core`) means a
//! change to the domain model cannot silently change the public contract: it fails to
//! compile here instead, where the API's stability is decided. Enumerations travel as
//! their stable snake_case labels (`"ransomware"`, `"energy"`); TLP as its TLP 2.0 name
//! (`"CLEAR"`); states as ISO 3166-1 alpha-2 codes; dates as `YYYY-MM-DD`.

use crate::Viewer;
use crate::registry::{Snapshot, StateRecord};
use chrono::NaiveDate;
use pacta_core::*;
use pacta_store::{IncidentSummary, StoredIncident};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

fn labels<T: Copy + std::fmt::Display>(v: &[T]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// One line of an incident list.
#[derive(Serialize, ToSchema)]
pub struct IncidentSummaryDto {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    /// `DATASET:RECORD_ID` for imported incidents (`eurepoc:2`).
    pub origin: Option<String>,
    pub title: String,
    pub start_date: Option<NaiveDate>,
    /// TLP 2.0 marking: always `CLEAR` for the public.
    pub tlp: String,
    pub operation_types: Vec<String>,
    pub target_states: Vec<String>,
    pub alleged_states: Vec<String>,
}

impl From<&IncidentSummary> for IncidentSummaryDto {
    fn from(s: &IncidentSummary) -> Self {
        IncidentSummaryDto {
            id: s.id.to_string(),
            origin: s.origin.clone(),
            title: s.title.clone(),
            start_date: s.start_date,
            tlp: s.tlp.to_string(),
            operation_types: labels(&s.operation_types),
            target_states: labels(&s.target_states),
            alleged_states: labels(&s.alleged_states),
        }
    }
}

/// A page of incidents.
#[derive(Serialize, ToSchema)]
pub struct IncidentPage {
    /// How many incidents match the filters (all pages).
    pub total: u64,
    pub offset: u64,
    pub limit: u32,
    pub incidents: Vec<IncidentSummaryDto>,
    /// With `q` only: per facet (`sector`, `operation_type`, `target_state`,
    /// `alleged_state`), how many of all the matching incidents have each value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<BTreeMap<String, BTreeMap<String, u64>>>,
}

#[derive(Serialize, ToSchema)]
pub struct OriginDto {
    /// `eurepoc`, `cfr`, `stix` or `registry`.
    pub dataset: String,
    pub record_id: String,
}

#[derive(Serialize, ToSchema)]
pub struct TargetDto {
    pub state: Option<String>,
    /// A region or organisation when the target is not a state.
    pub place: Option<String>,
    pub sector: String,
    /// Whether the sector is critical infrastructure (UN GGE norm 13(f)).
    pub critical_infrastructure: bool,
    pub entity: Option<String>,
}

/// The graded effects. `null` means the source does not say (never "none").
#[derive(Serialize, ToSchema)]
pub struct EffectsDto {
    pub disruption: Option<String>,
    pub disruption_duration: Option<String>,
    pub data_theft: Option<String>,
    pub data_leaked: Option<bool>,
    pub hijacking: Option<String>,
    pub physical: Option<String>,
    pub physical_duration: Option<String>,
    pub casualties: Option<u32>,
    pub economic_loss_eur: Option<u64>,
    pub spillover_states: Vec<String>,
}

/// An alleged actor as the source names it: an allegation, not an attribution.
#[derive(Serialize, ToSchema)]
pub struct ActorDto {
    pub name: Option<String>,
    pub state: Option<String>,
    pub category: String,
}

#[derive(Serialize, ToSchema)]
pub struct ContextDto {
    pub armed_conflict: Option<bool>,
    /// HIIK scale 1-5.
    pub conflict_intensity: Option<u8>,
    pub consent: Option<bool>,
    pub zero_day: Option<bool>,
}

/// A claim by a party that an actor (and a state) was behind the incident.
#[derive(Serialize, ToSchema)]
pub struct AttributionDto {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    /// Registered parties making the claim (`state:FR`, `org:eu`).
    pub attributors: Vec<String>,
    /// The attributor when it is not a registered party.
    pub attributor_label: Option<String>,
    pub actor_name: Option<String>,
    pub actor_state: Option<String>,
    pub actor_category: String,
    pub basis: String,
    /// ICD 203 likelihood term.
    pub confidence: Option<String>,
    pub date: Option<NaiveDate>,
}

impl From<&Attribution> for AttributionDto {
    fn from(a: &Attribution) -> Self {
        AttributionDto {
            id: a.id.to_string(),
            attributors: a.attributors.iter().map(|p| p.to_string()).collect(),
            attributor_label: a.attributor_label.clone(),
            actor_name: a.actor_name.clone(),
            actor_state: a.actor_state.map(|s| s.to_string()),
            actor_category: a.actor_category.to_string(),
            basis: a.basis.to_string(),
            confidence: a.confidence.map(|c| c.to_string()),
            date: a.date,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ResponseDto {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    pub responder: Option<String>,
    pub responder_label: Option<String>,
    /// `observed` or `proposed`.
    pub status: String,
    /// `political`, `legal`, `technical` or `economic`.
    pub domain: String,
    pub measure: String,
    pub date: Option<NaiveDate>,
    pub description: Option<String>,
}

/// Legal conclusions reached by another coder (EuRepoC's experts). Shown for comparison;
/// never used by the registry as facts.
#[derive(Serialize, ToSchema)]
pub struct ExternalAssessmentDto {
    pub source: Option<String>,
    pub state_responsibility: Option<String>,
    pub il_breach: Vec<String>,
    pub il_breach_subcode: Vec<String>,
    pub evidence_for_sanctions: Option<String>,
    pub legal_attribution_reference: Vec<String>,
    pub legal_attribution_reference_subcode: Vec<String>,
    pub legal_response: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PartyDto {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub state: Option<String>,
}

/// An incident with everything the viewer may see that was filed with it.
#[derive(Serialize, ToSchema)]
pub struct IncidentDetail {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    pub origin: Option<OriginDto>,
    pub title: String,
    pub description: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub operation_types: Vec<String>,
    pub targets: Vec<TargetDto>,
    pub effects: EffectsDto,
    pub alleged_actors: Vec<ActorDto>,
    /// How the alleged state reacted: `denied`, `acknowledged` or `silent`.
    pub alleged_reaction: Option<String>,
    pub context: ContextDto,
    pub sources: Vec<String>,
    pub tlp: String,
    pub attributions: Vec<AttributionDto>,
    pub responses: Vec<ResponseDto>,
    pub external_assessment: Option<ExternalAssessmentDto>,
    /// The parties named by the attributions and responses.
    pub parties: Vec<PartyDto>,
    /// Index of the latest transparency-log entry about this incident.
    pub log_index: u64,
}

fn opt_label<T: std::fmt::Display>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(|x| x.to_string())
}

impl IncidentDetail {
    /// Converts a stored incident, leaving out what the viewer may not see. The caller
    /// has already checked that the viewer may see the incident itself.
    pub fn new(found: &StoredIncident, viewer: &Viewer) -> Self {
        let r = &found.record;
        let i = &r.incident;
        let e = &i.effects;
        IncidentDetail {
            id: i.id.to_string(),
            origin: i.origin.as_ref().map(|o| OriginDto { dataset: o.dataset.to_string(), record_id: o.record_id.clone() }),
            title: i.title.clone(),
            description: i.description.clone(),
            start_date: i.start_date,
            end_date: i.end_date,
            operation_types: labels(&i.operation_types),
            targets: i
                .targets
                .iter()
                .map(|t| TargetDto {
                    state: opt_label(&t.state),
                    place: t.place.clone(),
                    sector: t.sector.to_string(),
                    critical_infrastructure: t.sector.is_critical_infrastructure(),
                    entity: t.entity.clone(),
                })
                .collect(),
            effects: EffectsDto {
                disruption: opt_label(&e.disruption),
                disruption_duration: opt_label(&e.disruption_duration),
                data_theft: opt_label(&e.data_theft),
                data_leaked: e.data_leaked,
                hijacking: opt_label(&e.hijacking),
                physical: opt_label(&e.physical),
                physical_duration: opt_label(&e.physical_duration),
                casualties: e.casualties,
                economic_loss_eur: e.economic_loss_eur,
                spillover_states: labels(&e.spillover_states),
            },
            alleged_actors: i
                .alleged_actors
                .iter()
                .map(|a| ActorDto { name: a.name.clone(), state: opt_label(&a.state), category: a.category.to_string() })
                .collect(),
            alleged_reaction: opt_label(&i.alleged_reaction),
            context: ContextDto {
                armed_conflict: i.context.armed_conflict,
                conflict_intensity: i.context.conflict_intensity,
                consent: i.context.consent,
                zero_day: i.context.zero_day,
            },
            sources: i.sources.clone(),
            tlp: i.tlp.to_string(),
            attributions: r.attributions.iter().filter(|a| viewer.may_see_attribution(a)).map(AttributionDto::from).collect(),
            responses: r
                .responses
                .iter()
                .map(|x| ResponseDto {
                    id: x.id.to_string(),
                    responder: opt_label(&x.responder),
                    responder_label: x.responder_label.clone(),
                    status: x.status.to_string(),
                    domain: x.domain.to_string(),
                    measure: x.measure.clone(),
                    date: x.date,
                    description: x.description.clone(),
                })
                .collect(),
            external_assessment: r.external.as_ref().filter(|x| !x.is_empty()).map(|x| ExternalAssessmentDto {
                source: opt_label(&x.source),
                state_responsibility: opt_label(&x.state_responsibility),
                il_breach: x.il_breach.clone(),
                il_breach_subcode: x.il_breach_subcode.clone(),
                evidence_for_sanctions: x.evidence_for_sanctions.clone(),
                legal_attribution_reference: x.legal_attribution_reference.clone(),
                legal_attribution_reference_subcode: x.legal_attribution_reference_subcode.clone(),
                legal_response: opt_label(&x.legal_response),
            }),
            parties: visible_parties(r, viewer),
            log_index: found.log_index,
        }
    }
}

/// Parties named by the claims and responses the viewer sees (a party named only by a
/// private claim is not listed, or the claim's existence would show through).
fn visible_parties(r: &IncidentRecord, viewer: &Viewer) -> Vec<PartyDto> {
    let named = |p: &PartyId| {
        r.attributions.iter().filter(|a| viewer.may_see_attribution(a)).any(|a| a.attributors.contains(p))
            || r.responses.iter().any(|x| x.responder.as_ref() == Some(p))
    };
    r.parties
        .iter()
        .filter(|p| named(&p.id))
        .map(|p| PartyDto { id: p.id.to_string(), kind: p.kind.to_string(), name: p.name.clone(), state: opt_label(&p.state) })
        .collect()
}

/// Counts over the incidents the viewer may see.
#[derive(Serialize, ToSchema)]
pub struct StatsDto {
    pub incidents: u64,
    /// Public attribution claims on those incidents.
    pub attributions: u64,
    pub responses: u64,
    pub external_assessments: u64,
    /// Incidents by year of start; undated ones under `"undated"`.
    pub by_year: BTreeMap<String, u64>,
    /// Incidents per targeted sector (an incident with several sectors counts in each).
    pub by_sector: BTreeMap<String, u64>,
    pub by_operation_type: BTreeMap<String, u64>,
    pub by_alleged_state: BTreeMap<String, u64>,
    pub by_target_state: BTreeMap<String, u64>,
    /// The transparency log's size when the counts were taken: they reflect every entry
    /// before it. On a very large registry the counts may trail the newest entries by
    /// the time a recount takes.
    pub as_of_log_size: u64,
}

impl From<&Snapshot> for StatsDto {
    fn from(snap: &Snapshot) -> Self {
        let s = &snap.stats;
        let codes = |m: &BTreeMap<StateCode, u64>| m.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let named = |m: &BTreeMap<&'static str, u64>| m.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        StatsDto {
            incidents: s.incidents,
            attributions: s.attributions,
            responses: s.responses,
            external_assessments: s.external_assessments,
            by_year: s.by_year.iter().map(|(k, v)| (k.map(|y| y.to_string()).unwrap_or_else(|| "undated".into()), *v)).collect(),
            by_sector: named(&s.by_sector),
            by_operation_type: named(&s.by_operation_type),
            by_alleged_state: codes(&s.by_alleged_state),
            by_target_state: codes(&s.by_target_state),
            as_of_log_size: snap.log_size,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct StateRef {
    /// ISO 3166-1 alpha-2.
    pub code: String,
    pub name: String,
}

/// An attribution claim made by the state, with the incident it is about.
#[derive(Serialize, ToSchema)]
pub struct AttributionMadeDto {
    pub incident: IncidentSummaryDto,
    pub attribution: AttributionDto,
}

/// Incidents involving a state in one role: the first page and the total.
#[derive(Serialize, ToSchema)]
pub struct RoleIncidents {
    pub total: u64,
    pub incidents: Vec<IncidentSummaryDto>,
}

/// A state's record in the registry.
#[derive(Serialize, ToSchema)]
pub struct StateRecordDto {
    pub state: StateRef,
    /// Incidents in which the state was targeted (newest first; the full list is
    /// `/api/v1/incidents?target=CODE`).
    pub as_target: RoleIncidents,
    /// Incidents in which the state is named as the alleged author
    /// (`/api/v1/incidents?alleged=CODE`).
    pub as_alleged: RoleIncidents,
    /// Public attribution claims the state made, alone or jointly.
    pub attributions_made: Vec<AttributionMadeDto>,
}

impl From<&StateRecord> for StateRecordDto {
    fn from(r: &StateRecord) -> Self {
        StateRecordDto {
            state: StateRef { code: r.state.to_string(), name: r.state.name().to_string() },
            as_target: RoleIncidents { total: r.as_target_total, incidents: r.as_target.iter().map(Into::into).collect() },
            as_alleged: RoleIncidents { total: r.as_alleged_total, incidents: r.as_alleged.iter().map(Into::into).collect() },
            attributions_made: r
                .attributions_made
                .iter()
                .map(|(s, a)| AttributionMadeDto { incident: s.into(), attribution: a.into() })
                .collect(),
        }
    }
}
