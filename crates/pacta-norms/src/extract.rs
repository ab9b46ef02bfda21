//! From a registry incident and its attribution claims to the engine's facts.
//!
//! Invariant: an [`pacta_core::ExternalAssessment`] is never an input here — this module
//! does not even see one — so another coder's legal conclusions can never leak into ours.
//!
//! Graded effects map to facts only when the source grades them; a field the source leaves
//! empty makes the fact unknown. Attribution facts are facts about the record of claims:
//! "no credible claim names a state organ" is known when there is no such claim.

use crate::assess::Case;
use crate::facts::{Fact, FactSet, Tri};
use pacta_core::{
    ActorCategory, Attribution, AttributionBasis, Confidence, Disruption, EffectDuration, Hijacking, Incident, OperationType,
    PhysicalEffects, Sector, StateCode,
};
use std::collections::BTreeMap;
use std::fmt;

/// An extra fact whose name is not in the catalogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownFact(pub String);

impl fmt::Display for UnknownFact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown fact {:?}; the facts are listed in norms/README.md", self.0)
    }
}

impl std::error::Error for UnknownFact {}

/// The economic loss from which `major_economic_loss` holds.
pub const MAJOR_ECONOMIC_LOSS_EUR: u64 = 10_000_000;

/// Builds a case. `perspective` is the state whose view of the law is taken; by default
/// the first targeted state. `extra` holds facts established by later workflows (an
/// unanswered request to stop, a response's notification...); they override what the
/// incident says.
pub fn case(
    incident: &Incident,
    attributions: &[Attribution],
    perspective: Option<StateCode>,
    extra: &BTreeMap<String, bool>,
) -> Result<Case, UnknownFact> {
    let perspective = perspective.or_else(|| incident.target_states().first().copied());
    let mut facts = incident_facts(incident, attributions, perspective);
    for (name, value) in extra {
        let f = Fact::from_name(name).ok_or_else(|| UnknownFact(name.clone()))?;
        facts.set(f, Tri::from_bool(*value));
    }
    // The states whose own conduct a treaty would judge: those credibly named as acting
    // through an organ or an actor they control (or of no stated kind). A private group
    // based somewhere does not bring that state's treaties into force for the conduct.
    let mut responsible: Vec<StateCode> = attributions
        .iter()
        .filter(|a| a.incident == incident.id && credible(a) && matches!(a.actor_category, ActorCategory::State | ActorCategory::StateAffiliated | ActorCategory::Unknown))
        .filter_map(|a| a.actor_state)
        .collect();
    responsible.sort_unstable();
    responsible.dedup();
    Ok(Case { facts, perspective, date: incident.start_date, responsible })
}

/// Whether a claim is credible enough to rest legal conclusions on: a stated likelihood
/// of at least "likely" (ICD 203), or no stated likelihood and a source that stands behind
/// it. Accusations against a state are to be substantiated (A/70/174, para. 28(f)); an
/// accusation voiced only by unnamed officials substantiates nothing until someone
/// states a likelihood for it.
pub fn credible(a: &Attribution) -> bool {
    match a.confidence {
        Some(c) => c >= Confidence::Likely,
        None => a.basis != AttributionBasis::AnonymousSource,
    }
}

fn incident_facts(i: &Incident, atts: &[Attribution], perspective: Option<StateCode>) -> FactSet {
    use Fact::*;
    let mut f = FactSet::unknown();
    let ops = &i.operation_types;
    let has = |o: OperationType| Tri::from_bool(ops.contains(&o));
    if !ops.is_empty() {
        for (fact, op) in [
            (OpEspionage, OperationType::Espionage),
            (OpDisruption, OperationType::Disruption),
            (OpDestruction, OperationType::Destruction),
            (OpHijacking, OperationType::Hijacking),
            (OpInfluence, OperationType::Influence),
            (OpRansomware, OperationType::Ransomware),
            (OpReconnaissance, OperationType::Reconnaissance),
            (OpFinancialTheft, OperationType::FinancialTheft),
        ] {
            f.set(fact, has(op));
        }
    }
    let e = &i.effects;

    // Intrusion: any operation that needs access to the systems, or effects that do. A
    // disruption alone does not: a denial of service floods a system from outside
    // without entering it, so a disruption with no sign of access leaves intrusion open.
    let intrusive_op = ops.iter().any(|o| !matches!(o, OperationType::Influence | OperationType::Reconnaissance | OperationType::Disruption));
    let access_shown = matches!(e.data_theft, Some(pacta_core::DataTheft::NonSensitive | pacta_core::DataTheft::Sensitive))
        || matches!(e.hijacking, Some(Hijacking::WithoutMisuse | Hijacking::WithMisuse));
    let no_access_effects = e.data_theft == Some(pacta_core::DataTheft::None) && e.hijacking == Some(Hijacking::None);
    f.set(
        Intrusion,
        if intrusive_op || access_shown {
            Tri::Yes
        } else if !ops.is_empty() && no_access_effects {
            // Only disruption, influence or scanning, and the source rules out theft and
            // takeover: nothing says the systems were entered.
            Tri::No
        } else {
            Tri::Unknown
        },
    );

    // A source's physical-effects grade (EuRepoC's `physical_effects_spatial`) says how far
    // the operation's effects reached in the physical world: a siren sounded, a city lost
    // power for hours. That is not damage to objects (Tallinn Manual 2.0, r. 69 commentary:
    // severity is damage, destruction, injury or death). So effects graded none rule
    // physical damage out, effects graded local or widespread show that functions were
    // lost, and whether anything was damaged is left open. Physical damage to an object
    // entails its loss of function: a source that grades the disruption as none has also
    // ruled out physical damage.
    let physical = e.physical.map(|p| p != PhysicalEffects::None).or(if e.disruption == Some(Disruption::None) { Some(false) } else { None });
    let damaged = match physical {
        Some(false) => Some(false),
        _ => None,
    };
    let long_duration = |d: Option<EffectDuration>| d.map(|d| matches!(d, EffectDuration::Days | EffectDuration::Weeks | EffectDuration::Months));
    let disrupted = e.disruption.map(|d| d != Disruption::None);
    // The operation types that consist in disabling systems say that functionality was
    // lost, unless the graded effects say otherwise.
    let disabling_op = ops.iter().any(|o| matches!(o, OperationType::Disruption | OperationType::Destruction | OperationType::Ransomware));
    f.set(
        LossOfFunctionality,
        match (disrupted, physical) {
            (Some(true), _) | (_, Some(true)) => Tri::Yes,
            (Some(false), _) => Tri::No,
            _ if disabling_op => Tri::Yes,
            _ => Tri::Unknown,
        },
    );
    // Destroyed data or systems must be restored or replaced: that loss is not brief.
    f.set(
        LastingLossOfFunctionality,
        match (e.disruption, long_duration(e.disruption_duration), damaged) {
            (Some(Disruption::LongTerm), _, _) | (_, Some(true), _) | (_, _, Some(true)) => Tri::Yes,
            (Some(Disruption::None | Disruption::ShortTerm), _, _) => Tri::No,
            _ if ops.contains(&OperationType::Destruction) => Tri::Yes,
            _ => Tri::Unknown,
        },
    );
    f.set(PhysicalDamage, damaged.map_or(Tri::Unknown, Tri::from_bool));
    // Damage cannot be widespread where effects were not: local effects rule it out.
    f.set(
        WidespreadPhysicalDamage,
        match (e.physical, damaged) {
            (_, Some(false)) | (Some(PhysicalEffects::Local), _) => Tri::No,
            _ => Tri::Unknown,
        },
    );
    // Likewise, an operation that disabled nothing and damaged nothing harmed no one.
    f.set(
        InjuryOrDeath,
        match (e.casualties, disrupted, physical) {
            (Some(n), _, _) => Tri::from_bool(n > 0),
            (None, Some(false), Some(false)) => Tri::No,
            _ => Tri::Unknown,
        },
    );
    f.set(DataTheft, e.data_theft.map_or(Tri::Unknown, |d| Tri::from_bool(d != pacta_core::DataTheft::None)));
    f.set(SensitiveDataTheft, e.data_theft.map_or(Tri::Unknown, |d| Tri::from_bool(d == pacta_core::DataTheft::Sensitive)));
    f.set(DataLeaked, e.data_leaked.map_or(Tri::Unknown, Tri::from_bool));
    f.set(SystemsHijacked, e.hijacking.map_or(Tri::Unknown, |h| Tri::from_bool(h != Hijacking::None)));
    f.set(HijackedWithMisuse, e.hijacking.map_or(Tri::Unknown, |h| Tri::from_bool(h == Hijacking::WithMisuse)));
    f.set(MajorEconomicLoss, e.economic_loss_eur.map_or(Tri::Unknown, |l| Tri::from_bool(l >= MAJOR_ECONOMIC_LOSS_EUR)));
    if !e.spillover_states.is_empty() {
        f.set(SpilloverToThirdStates, Tri::Yes);
    }

    // Targets: yes if one target is of the kind; no only if every target's sector is known.
    let sectors = |pred: &dyn Fn(Sector) -> bool| -> Tri {
        if i.targets.is_empty() {
            Tri::Unknown
        } else if i.targets.iter().any(|t| pred(t.sector)) {
            Tri::Yes
        } else if i.targets.iter().all(|t| t.sector != Sector::Unknown) {
            Tri::No
        } else {
            Tri::Unknown
        }
    };
    f.set(TargetsCriticalInfrastructure, sectors(&|s| s.is_critical_infrastructure()));
    f.set(TargetsGovernmentalFunctions, sectors(&|s| s.is_governmental()));
    f.set(TargetsElections, sectors(&|s| s == Sector::Elections));
    f.set(TargetsHealth, sectors(&|s| s == Sector::Health));
    f.set(TargetsPeople, sectors(&|s| matches!(s, Sector::Individuals | Sector::CivilSociety)));
    f.set(TargetsMedia, sectors(&|s| s == Sector::Media));
    f.set(TargetsInternationalOrganisation, sectors(&|s| s == Sector::InternationalOrganisation));
    let targets = i.target_states();
    // Every system is in some state's territory: a target whose state the source does not
    // name leaves the question open, except that a government's, a parliament's or an
    // army's systems are a state's whichever state it is.
    f.set(
        TargetsAState,
        if !targets.is_empty() || i.targets.iter().any(|t| t.sector.is_governmental()) {
            Tri::Yes
        } else {
            Tri::Unknown
        },
    );

    // Circumstances.
    f.set(InArmedConflict, i.context.armed_conflict.map_or(Tri::Unknown, Tri::from_bool));
    f.set(Consent, i.context.consent.map_or(Tri::Unknown, Tri::from_bool));
    f.set(ZeroDay, i.context.zero_day.map_or(Tri::Unknown, Tri::from_bool));

    // Attribution claims.
    let credible: Vec<&Attribution> = atts.iter().filter(|a| a.incident == i.id && credible(a)).collect();
    let claim = |pred: &dyn Fn(&Attribution) -> bool| Tri::from_bool(credible.iter().any(|a| pred(a)));
    // A claim that names a state but not what kind of actor acted for it leaves both
    // questions open (ILC arts. 4 and 8 cannot be decided on it): unknown, not no.
    let open_kind = credible.iter().any(|a| a.actor_category == ActorCategory::Unknown && a.actor_state.is_some());
    let or_open = |t: Tri| if t == Tri::No && open_kind { Tri::Unknown } else { t };
    f.set(AttributedToStateOrgan, or_open(claim(&|a| a.actor_category == ActorCategory::State && a.actor_state.is_some())));
    f.set(AttributedToStateControlledActor, or_open(claim(&|a| a.actor_category == ActorCategory::StateAffiliated && a.actor_state.is_some())));
    f.set(
        NonStateActorOnTerritory,
        claim(&|a| matches!(a.actor_category, ActorCategory::NonStateGroup | ActorCategory::Criminal | ActorCategory::Individual) && a.actor_state.is_some()),
    );
    // A state's acknowledgement and adoption of conduct as its own (ILC art. 11) is not
    // something an attribution claim records: a group's self-attribution is the group's,
    // whatever its nationality. It is supplied by a workflow as an extra fact; without
    // one, no such acknowledgement is on record.
    f.set(ConductAcknowledgedAndAdopted, Tri::No);
    let responsible: Vec<StateCode> = credible.iter().filter_map(|a| a.actor_state).collect();
    f.set(
        TargetsForeignTerritory,
        if targets.is_empty() || responsible.is_empty() {
            Tri::Unknown
        } else {
            Tri::from_bool(targets.iter().any(|t| !responsible.contains(t)))
        },
    );
    f.set(
        PerspectiveIsInjuredState,
        match perspective {
            // A state is not injured by its own conduct.
            Some(p) => Tri::from_bool(targets.contains(&p) && !responsible.contains(&p)),
            None => Tri::Unknown,
        },
    );
    f
}
