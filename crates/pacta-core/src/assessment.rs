//! Legal conclusions reached by someone else (EuRepoC's expert coders), kept apart from
//! the registry's own assessment. Invariant: nothing in this module is ever read as a fact
//! about an incident; it exists to be compared with, never to be reasoned from.

use crate::ids::IncidentId;
use crate::incident::Dataset;
use crate::labelled_enum;
use serde::{Deserialize, Serialize};

labelled_enum! {
    /// EuRepoC's `state_responsibility_indicator`.
    pub enum StateResponsibilityIndicator ("a state-responsibility indicator") {
        Direct = "direct",
        Indirect = "indirect",
        NoneOrNegligent = "none_or_negligent",
    }
}

labelled_enum! {
    /// EuRepoC's `legal_response_indicator`.
    pub enum LegalResponseIndicator ("a legal-response indicator") {
        CountermeasuresJustified = "countermeasures_justified",
        RetorsionJustified = "retorsion_justified",
        NoResponseJustified = "no_response_justified",
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalAssessment {
    pub incident: Option<IncidentId>,
    pub source: Option<Dataset>,
    /// The coder's conclusion, or `None` when the coder recorded nothing or "Not available".
    pub state_responsibility: Option<StateResponsibilityIndicator>,
    /// Breach categories as the coder names them ("Sovereignty", "Due diligence", ...).
    pub il_breach: Vec<String>,
    pub il_breach_subcode: Vec<String>,
    pub evidence_for_sanctions: Option<String>,
    pub legal_attribution_reference: Vec<String>,
    pub legal_attribution_reference_subcode: Vec<String>,
    pub legal_response: Option<LegalResponseIndicator>,
}

impl ExternalAssessment {
    /// Whether the coder concluded anything at all.
    pub fn is_empty(&self) -> bool {
        self.state_responsibility.is_none()
            && self.il_breach.is_empty()
            && self.il_breach_subcode.is_empty()
            && self.evidence_for_sanctions.is_none()
            && self.legal_attribution_reference.is_empty()
            && self.legal_attribution_reference_subcode.is_empty()
            && self.legal_response.is_none()
    }
}
