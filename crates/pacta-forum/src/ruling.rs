//! Rulings: findings, the remedies ordered and their deadlines.
//!
//! The remedies are the legal consequences of an internationally wrongful act in the ILC
//! Articles on State Responsibility (2001): cessation and assurances and guarantees of
//! non-repetition (art. 30), and full reparation (art. 31) in the forms of restitution
//! (art. 35), compensation (art. 36) and satisfaction (art. 37), alone or combined (art. 34).

use crate::{fmt_time, refuse, text};
use chrono::{DateTime, Utc};
use pacta_core::{IncidentId, Invalid, PartyId, labelled_enum};
use serde::{Deserialize, Serialize};

labelled_enum! {
    pub enum RemedyKind ("a remedy") {
        /// Stop the wrongful conduct (ILC art. 30(a)).
        Cessation = "cessation",
        /// Assurances and guarantees of non-repetition (ILC art. 30(b)).
        Assurances = "assurances",
        /// Re-establish the situation before the act (ILC art. 35).
        Restitution = "restitution",
        /// Pay for damage restitution does not make good (ILC art. 36).
        Compensation = "compensation",
        /// Acknowledge the breach, express regret, apologise (ILC art. 37).
        Satisfaction = "satisfaction",
    }
}

impl RemedyKind {
    pub fn cites(self) -> &'static str {
        match self {
            RemedyKind::Cessation => "ILC Articles, art. 30(a)",
            RemedyKind::Assurances => "ILC Articles, art. 30(b)",
            RemedyKind::Restitution => "ILC Articles, arts. 34-35",
            RemedyKind::Compensation => "ILC Articles, arts. 34, 36",
            RemedyKind::Satisfaction => "ILC Articles, arts. 34, 37",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    /// In the currency's minor unit avoided on purpose: whole units, as rulings state them.
    pub value: u64,
    /// ISO 4217 code, e.g. EUR.
    pub currency: String,
}

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.currency, self.value)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remedy {
    pub kind: RemedyKind,
    pub description: String,
    pub amount: Option<Amount>,
    /// When the respondent must have complied.
    pub due: DateTime<Utc>,
}

/// One finding of the panel, on a rule of an instrument when it names one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulingFinding {
    pub incident: Option<IncidentId>,
    /// The instrument's id (`un-gge-2015`, `tallinn-2`...).
    pub instrument: Option<String>,
    /// The rule's id (`tallinn.r6.due-diligence`...).
    pub rule: Option<String>,
    pub breached: bool,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ruling {
    /// The arbitrator who gave the ruling (for a three-member tribunal, who drafted it).
    pub issued_by: PartyId,
    /// The arbitrators of a three-member tribunal who joined it, each with the time it
    /// did: the first made the majority (UNCITRAL art. 33(1)) and issued it; a later one
    /// put its name to the award after. Empty for a sole arbitrator; absent from such a
    /// record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub concurring: Vec<Concurrence>,
    pub at: DateTime<Utc>,
    pub summary: String,
    pub findings: Vec<RulingFinding>,
    pub remedies: Vec<Remedy>,
    /// Rulings are published unless the panel orders otherwise.
    pub published: bool,
}

/// One arbitrator's concurrence in a ruling.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Concurrence {
    pub party: PartyId,
    pub at: DateTime<Utc>,
}

impl Ruling {
    /// How a concurrence names the draft or ruling it joins: its drafter and a digest of
    /// everything it says and orders, as given (`org:arb-a@3f2a…`, 16 hex digits of
    /// SHA-256 over its JSON without the concurrences). Any change to the text, the
    /// remedies, their dates or the publication gives another reference, so a concurrence
    /// cannot land on a text its arbitrator was not shown, however close in time.
    pub fn reference(&self) -> String {
        use sha2::Digest;
        let text = serde_json::to_vec(&Ruling { concurring: Vec::new(), ..self.clone() }).unwrap_or_default();
        let digest = sha2::Sha256::digest(&text);
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("{}@{hex}", self.issued_by)
    }

    /// Whether `p` concurred in the ruling.
    pub fn concurred_by(&self, p: &PartyId) -> bool {
        self.concurring.iter().any(|c| &c.party == p)
    }

    pub fn breach_found(&self) -> bool {
        self.findings.iter().any(|f| f.breached)
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        text("summary", &self.summary, 20_000)?;
        if self.findings.is_empty() {
            return Err(refuse("findings", "[]", "a ruling states its findings"));
        }
        for (i, f) in self.findings.iter().enumerate() {
            text(&format!("findings[{i}].text"), &f.text, 8_000)?;
        }
        if !self.remedies.is_empty() && !self.breach_found() {
            return Err(refuse("remedies", self.remedies.len(), "remedies follow a breach (ILC art. 31): a ruling that finds none orders none"));
        }
        for (i, r) in self.remedies.iter().enumerate() {
            text(&format!("remedies[{i}].description"), &r.description, 4_000)?;
            if r.due <= self.at {
                return Err(refuse(&format!("remedies[{i}].due"), fmt_time(r.due), "a remedy is due after the ruling"));
            }
            if r.due > self.at + crate::MAX_AHEAD {
                return Err(refuse(&format!("remedies[{i}].due"), fmt_time(r.due), "a remedy falls due within ten years of the ruling"));
            }
            match (&r.amount, r.kind) {
                (None, RemedyKind::Compensation) => return Err(refuse(&format!("remedies[{i}].amount"), "(none)", "compensation states an amount (ILC art. 36)")),
                (Some(a), _) if a.currency.len() != 3 || !a.currency.chars().all(|c| c.is_ascii_uppercase()) => {
                    return Err(refuse(&format!("remedies[{i}].amount.currency"), &a.currency, "an ISO 4217 code such as EUR"));
                }
                (Some(a), _) if a.value == 0 => return Err(refuse(&format!("remedies[{i}].amount.value"), 0, "an amount is more than zero")),
                _ => {}
            }
        }
        Ok(())
    }
}
