//! Attribution claims over time. A claim ([`crate::Attribution`]) is never edited: each
//! change is a new [`ClaimVersion`] (made, amended, withdrawn) and the history is kept.
//! Other parties answer a claim with a [`Stance`]: they endorse or contest it, with their
//! own evidence and reasoning. Whether an incident's attribution is single-source,
//! corroborated or contested is computed from these records (`pacta-ladder`), never typed.

use crate::attribution::{Attribution, Confidence, Visibility};
use crate::error::Invalid;
use crate::ids::{AttributionId, IncidentId, StanceId};
use crate::labelled_enum;
use crate::party::PartyId;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

labelled_enum! {
    /// What one version of a claim does.
    pub enum ClaimAction ("a claim action") {
        /// The first version: the claim is made (or was imported with its incident).
        Made = "made",
        /// A later version that changes what is claimed (confidence, actor, evidence...).
        Amended = "amended",
        /// The attributing parties take the claim back; it no longer counts.
        Withdrawn = "withdrawn",
    }
}

labelled_enum! {
    /// How another party answers a claim.
    pub enum StanceKind ("a stance") {
        Endorse = "endorse",
        Contest = "contest",
    }
}

/// One version of an attribution claim. `attribution.id` is the claim's id, the same in
/// every version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimVersion {
    /// 1 for the claim as made; each amendment or withdrawal adds one.
    pub version: u32,
    pub action: ClaimAction,
    /// The claim as it stands in this version.
    pub attribution: Attribution,
    /// The evidence relied on: ids of artefacts held under custody (`pacta evidence`).
    pub evidence: Vec<Uuid>,
    /// The party that recorded this version: an attributor, or whoever imported it.
    pub recorded_by: PartyId,
    /// Why the claim was amended or withdrawn.
    pub reason: Option<String>,
}

impl ClaimVersion {
    pub fn claim(&self) -> AttributionId {
        self.attribution.id
    }

    pub fn incident(&self) -> IncidentId {
        self.attribution.incident
    }

    /// Whether this version, if it is the latest, still counts.
    pub fn stands(&self) -> bool {
        self.action != ClaimAction::Withdrawn
    }

    /// Brings `claims` up to this version, applied in log order: it replaces the claim's
    /// earlier version (imported or made in the registry), and a withdrawn claim leaves.
    pub fn apply_to(self, claims: &mut Vec<crate::Attribution>) {
        claims.retain(|a| a.id != self.attribution.id);
        if self.stands() {
            claims.push(self.attribution);
        }
    }

    /// Whether `party` may read this version: anyone for a public claim; the attributors
    /// and the parties it is shared with for a private one.
    pub fn visible_to(&self, party: Option<&PartyId>) -> bool {
        match &self.attribution.visibility {
            Visibility::Public => true,
            Visibility::Private { shared_with } => {
                party.is_some_and(|p| shared_with.contains(p) || self.attribution.attributors.contains(p))
            }
        }
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        self.attribution.validate().map_err(|e| e.within("attribution"))?;
        match (self.version, self.action) {
            (0, _) => return Err(Invalid::new("version", 0, "versions count from 1")),
            (1, ClaimAction::Made) | (2.., ClaimAction::Amended | ClaimAction::Withdrawn) => {}
            (1, a) => return Err(Invalid::new("action", a, "version 1 of a claim is the claim as made")),
            (_, a) => return Err(Invalid::new("action", a, "a claim is made once; later versions amend or withdraw it")),
        }
        if self.action == ClaimAction::Withdrawn && self.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            return Err(Invalid::new("reason", "(none)", "a withdrawal says why"));
        }
        if let Some(r) = &self.reason && r.chars().count() > 2_000 {
            return Err(Invalid::new("reason", r, "must be at most 2,000 characters"));
        }
        if let Some(r) = &self.reason {
            crate::error::check_prose("reason", r)?;
        }
        let mut seen = self.evidence.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != self.evidence.len() {
            return Err(Invalid::new("evidence", seen.len(), "names each artefact once"));
        }
        Ok(())
    }
}

/// Another party's answer to a claim: it endorses or contests the claim as it stood in
/// `claim_version`, with its own evidence and reasoning. A party's latest stance on a claim
/// is the one that counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stance {
    pub id: StanceId,
    pub claim: AttributionId,
    pub claim_version: u32,
    pub incident: IncidentId,
    pub party: PartyId,
    pub kind: StanceKind,
    /// The party's own likelihood for the claim, when it states one.
    pub confidence: Option<Confidence>,
    /// The party's own evidence: ids of artefacts held under custody.
    pub evidence: Vec<Uuid>,
    pub reasoning: String,
    pub date: Option<NaiveDate>,
}

impl Stance {
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.reasoning.trim().is_empty() || self.reasoning.chars().count() > 4_000 {
            return Err(Invalid::new("reasoning", &self.reasoning, "a stance gives its reasoning, in 1 to 4,000 characters"));
        }
        crate::error::check_prose("reasoning", &self.reasoning)?;
        if self.claim_version == 0 {
            return Err(Invalid::new("claim_version", 0, "versions count from 1"));
        }
        if self.kind == StanceKind::Contest && self.confidence.is_some_and(|c| c >= Confidence::Likely) {
            return Err(Invalid::new(
                "confidence",
                self.confidence.map(|c| c.label()).unwrap_or_default(),
                "a contest states how likely the claim is, and a claim it finds likely or better is not contested",
            ));
        }
        Ok(())
    }
}
