//! Attributions are claims, never fields: a party says that an actor (and a state) was
//! behind an incident, on some basis, with some confidence. Several claims about one
//! incident may agree or conflict; the registry keeps them all.

use crate::error::Invalid;
use crate::ids::{AttributionId, IncidentId};
use crate::labelled_enum;
use crate::party::PartyId;
use crate::state::StateCode;
use crate::taxonomy::ActorCategory;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

labelled_enum! {
    /// What the claim rests on.
    pub enum AttributionBasis ("an attribution basis") {
        TechnicalReport = "technical_report",
        PoliticalStatement = "political_statement",
        LegalProceeding = "legal_proceeding",
        SelfAttribution = "self_attribution",
        MediaReport = "media_report",
        /// Officials or insiders the report does not name: an accusation nobody stands
        /// behind in public.
        AnonymousSource = "anonymous_source",
        Other = "other",
    }
}

labelled_enum! {
    /// The likelihood terms of US Intelligence Community Directive 203 (2015), from least
    /// to most likely. Ordered, so an evidence gate is a comparison.
    pub enum Confidence ("an ICD 203 likelihood term") {
        AlmostNoChance = "almost_no_chance",
        VeryUnlikely = "very_unlikely",
        Unlikely = "unlikely",
        RoughlyEvenChance = "roughly_even_chance",
        Likely = "likely",
        VeryLikely = "very_likely",
        AlmostCertain = "almost_certain",
    }
}

impl Confidence {
    /// The probability band ICD 203 gives each term, in percent.
    pub fn band(self) -> (u8, u8) {
        match self {
            Confidence::AlmostNoChance => (1, 5),
            Confidence::VeryUnlikely => (5, 20),
            Confidence::Unlikely => (20, 45),
            Confidence::RoughlyEvenChance => (45, 55),
            Confidence::Likely => (55, 80),
            Confidence::VeryLikely => (80, 95),
            Confidence::AlmostCertain => (95, 99),
        }
    }
}

/// Who may see a claim. A private attribution is shared with named parties only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Visibility {
    Public,
    Private { shared_with: Vec<PartyId> },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    pub id: AttributionId,
    pub incident: IncidentId,
    /// The parties making the claim; more than one for a joint attribution. Empty when the
    /// source names no attributing party (an anonymous media report).
    pub attributors: Vec<PartyId>,
    /// Free description of the attributor when it is not a registered party
    /// (e.g. "IT-security community", a newspaper).
    pub attributor_label: Option<String>,
    pub actor_name: Option<String>,
    pub actor_state: Option<StateCode>,
    pub actor_category: ActorCategory,
    pub basis: AttributionBasis,
    pub confidence: Option<Confidence>,
    pub visibility: Visibility,
    pub date: Option<NaiveDate>,
    pub origin_ref: Option<String>,
}

impl Attribution {
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.actor_name.is_none() && self.actor_state.is_none() && self.actor_category == ActorCategory::Unknown {
            return Err(Invalid::new("actor", "(nothing)", "an attribution names an actor, a state or at least an actor category"));
        }
        if let Visibility::Private { shared_with } = &self.visibility && shared_with.is_empty() {
            return Err(Invalid::new("visibility.shared_with", "[]", "a private attribution is shared with at least one party"));
        }
        if let Some(label) = &self.attributor_label && label.len() > 300 {
            return Err(Invalid::new("attributor_label", label, "must be at most 300 characters"));
        }
        Ok(())
    }
}
