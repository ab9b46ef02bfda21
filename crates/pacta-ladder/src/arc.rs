//! An incident's enforcement arc: fact-finding (claims and stances), condemnation (protest,
//! démarche, public condemnation), measures, and the developments that end them, in the
//! order they were recorded.

use crate::plan::Dossier;
use pacta_core::{ClaimAction, MeasureState, StanceKind};
use serde::Serialize;

pacta_core::labelled_enum! {
    pub enum Phase ("a phase") {
        FactFinding = "fact_finding",
        Condemnation = "condemnation",
        Measures = "measures",
        Compliance = "compliance",
    }
}

/// The rungs that condemn rather than constrain.
pub const CONDEMNING_RUNGS: &[&str] = &["private_protest", "demarche", "public_condemnation"];

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ArcStep {
    pub phase: Phase,
    pub by: String,
    pub what: String,
}

/// The arc of the dossier, phase by phase; within a phase, in recorded order.
pub fn arc(d: &Dossier) -> Vec<ArcStep> {
    let mut out = Vec::new();
    for c in &d.claims {
        let a = &c.attribution;
        let whom = a.actor_state.map(|s| s.to_string()).or(a.actor_name.clone()).unwrap_or_else(|| a.actor_category.to_string());
        let conf = a.confidence.map(|c| format!(" at \"{c}\"")).unwrap_or_default();
        let what = match c.action {
            ClaimAction::Made => format!("attributes to {whom}{conf} (claim {}, {})", a.id, a.basis),
            ClaimAction::Amended => format!("amends claim {} (v{}): {whom}{conf}", a.id, c.version),
            ClaimAction::Withdrawn => format!("withdraws claim {}", a.id),
        };
        out.push(ArcStep { phase: Phase::FactFinding, by: c.recorded_by.to_string(), what });
    }
    for s in &d.stances {
        let verb = match s.kind {
            StanceKind::Endorse => "endorses",
            StanceKind::Contest => "contests",
        };
        let ev = if s.evidence.is_empty() { String::new() } else { format!(" with {} artefact(s) of evidence", s.evidence.len()) };
        out.push(ArcStep { phase: Phase::FactFinding, by: s.party.to_string(), what: format!("{verb} claim {}{ev}", s.claim) });
    }
    for m in &d.measures {
        let phase = if CONDEMNING_RUNGS.contains(&m.rung.as_str()) { Phase::Condemnation } else { Phase::Measures };
        for step in &m.history {
            let verb = match step.state {
                MeasureState::Proposed => "proposes",
                MeasureState::Notified => "notifies",
                MeasureState::Enacted => "enacts",
                MeasureState::Suspended => "suspends",
                MeasureState::Lifted => "lifts",
            };
            out.push(ArcStep { phase, by: step.by.to_string(), what: format!("{verb} {} against {} (measure {})", m.rung, m.against, m.id) });
        }
    }
    for e in &d.compliance {
        out.push(ArcStep { phase: Phase::Compliance, by: e.by.to_string(), what: format!("{} ({})", e.kind, e.responsible) });
    }
    out.sort_by_key(|s| s.phase);
    out
}
