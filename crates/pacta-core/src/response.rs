//! Responses: measures a state took (observed, e.g. imported from a research data set) or
//! proposes to take. The graduated ladder and its lifecycle build on this record.

use crate::error::Invalid;
use crate::ids::{IncidentId, ResponseId};
use crate::labelled_enum;
use crate::party::PartyId;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

labelled_enum! {
    pub enum ResponseStatus ("a response status") {
        /// Reported as having happened, by a source outside the registry.
        Observed = "observed",
        /// Put forward inside the registry, not (yet) taken.
        Proposed = "proposed",
    }
}

labelled_enum! {
    /// The broad family of the measure.
    pub enum ResponseDomain ("a response domain") {
        Political = "political",
        Legal = "legal",
        Technical = "technical",
        Economic = "economic",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    pub id: ResponseId,
    pub incident: IncidentId,
    /// The responding party, when it is a registered one; otherwise `responder_label`.
    pub responder: Option<PartyId>,
    pub responder_label: Option<String>,
    pub status: ResponseStatus,
    pub domain: ResponseDomain,
    /// The measure in the source's own vocabulary ("State Actors: Preventive measures").
    pub measure: String,
    pub date: Option<NaiveDate>,
    pub description: Option<String>,
}

impl Response {
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.measure.trim().is_empty() || self.measure.len() > 300 {
            return Err(Invalid::new("measure", &self.measure, "must be 1 to 300 characters"));
        }
        if self.responder.is_none() && self.responder_label.as_deref().is_none_or(|l| l.trim().is_empty()) {
            return Err(Invalid::new("responder", "(none)", "a response names who responded"));
        }
        Ok(())
    }
}
