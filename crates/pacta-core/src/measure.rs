//! Response measures taken inside the registry, and the developments that decide whether
//! they may be taken or must end.
//!
//! A [`Measure`] climbs one rung of the response ladder (`ladder/ladder.md`, compiled by
//! `pacta-ladder`) and moves through a lifecycle: proposed → notified → enacted →
//! suspended → lifted. Which moves are allowed, and when a measure must be lifted, are
//! rules of `pacta-ladder`; this module holds only the records. [`ComplianceEvent`]s are the
//! facts those rules read: a call to comply, the end of the wrongful conduct, a dispute
//! before a binding tribunal, the responsible state's compliance.

use crate::error::Invalid;
use crate::ids::{ComplianceEventId, IncidentId, ResponseId};
use crate::labelled_enum;
use crate::party::PartyId;
use crate::state::StateCode;
use crate::tlp::Tlp;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

labelled_enum! {
    /// Where a measure stands.
    pub enum MeasureState ("a measure state") {
        /// Put forward by the responding state, not yet announced to anyone.
        Proposed = "proposed",
        /// Notified to the responsible state (with an offer to negotiate, for countermeasures).
        Notified = "notified",
        /// In effect.
        Enacted = "enacted",
        /// Paused, e.g. while the dispute is before a binding tribunal (ILC art. 52(3)).
        Suspended = "suspended",
        /// Ended for good. No move leads out of it.
        Lifted = "lifted",
    }
}

labelled_enum! {
    /// A development in an incident's enforcement arc.
    pub enum ComplianceKind ("a compliance event") {
        /// The injured state called on the responsible state to comply (ILC art. 52(1)(a)).
        CallToComply = "call_to_comply",
        /// The wrongful conduct has stopped.
        WrongfulActCeased = "wrongful_act_ceased",
        /// The dispute is pending before a court or tribunal that can bind the parties.
        DisputeBeforeTribunal = "dispute_before_tribunal",
        /// The responsible state has complied with its obligations (cessation, reparation).
        ResponsibleStateComplied = "responsible_state_complied",
        /// The state acting in self-defence declares, on record, that force is necessary:
        /// no other means would repel the attack (Tallinn Manual 2.0, r. 72).
        SelfDefenceNecessary = "self_defence_necessary",
        /// ... that the force it uses is proportionate to repelling the attack (r. 72).
        SelfDefenceProportionate = "self_defence_proportionate",
        /// ... that the armed attack is ongoing or imminent (r. 73).
        ArmedAttackOngoingOrImminent = "armed_attack_ongoing_or_imminent",
        /// ... that it reported its measures to the Security Council (UN Charter art. 51).
        ReportedToSecurityCouncil = "reported_to_security_council",
    }
}

impl ComplianceKind {
    /// A declaration by the state acting in self-defence about its own use of force, as
    /// opposed to a development in the responsible state's conduct.
    pub fn is_self_defence_declaration(self) -> bool {
        matches!(self, Self::SelfDefenceNecessary | Self::SelfDefenceProportionate | Self::ArmedAttackOngoingOrImminent | Self::ReportedToSecurityCouncil)
    }
}

/// One development, recorded by a party about the state held responsible.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplianceEvent {
    pub id: ComplianceEventId,
    pub incident: IncidentId,
    pub kind: ComplianceKind,
    /// Who records it (for a call to comply: the state making the call).
    pub by: PartyId,
    /// The state held responsible, whom the development concerns.
    pub responsible: StateCode,
    pub date: Option<NaiveDate>,
    pub note: String,
}

impl ComplianceEvent {
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.note.chars().count() > 4_000 {
            return Err(Invalid::new("note", &self.note, "must be at most 4,000 characters"));
        }
        crate::error::check_prose("note", &self.note)?;
        if self.kind == ComplianceKind::CallToComply && self.by.state().is_none() {
            return Err(Invalid::new("by", &self.by, "a call to comply is made by a state (ILC art. 52(1)(a))"));
        }
        if self.kind.is_self_defence_declaration() && self.by.state().is_none() {
            return Err(Invalid::new("by", &self.by, format!("a {} is the declaration of the state using force in self-defence (UN Charter art. 51)", self.kind)));
        }
        // These events end or open other states' measures. The responsible state's own word
        // that it ceased or complied is its position, not the record: the injured state,
        // another state or the forum records the development (ILC arts. 52(1)(a), 53).
        if self.by.state() == Some(self.responsible) && self.kind != ComplianceKind::DisputeBeforeTribunal {
            return Err(Invalid::new("by", &self.by, format!("{} is the responsible state: it does not record a {} about itself; the injured state or the forum does", self.responsible, self.kind)));
        }
        Ok(())
    }
}

/// One move of a measure, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasureStep {
    pub state: MeasureState,
    /// UTC, RFC 3339.
    pub at: String,
    pub by: PartyId,
    pub note: String,
}

/// An invited state's own act on a measure: joining it, or declining or leaving it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerAct {
    pub party: PartyId,
    /// UTC, RFC 3339.
    pub at: String,
    /// The state's own words (for instance the basis on which it takes part).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A response measure on one rung of the ladder, with its history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measure {
    pub id: ResponseId,
    pub incident: IncidentId,
    /// The responding state.
    pub by: PartyId,
    /// Other states the responding state invites to take the measure with it (collective
    /// measures). Naming a state is an invitation, not its consent: see `joined`. Fixed
    /// when the measure is proposed.
    pub with: Vec<PartyId>,
    /// The states of `with` that joined, each by its own act, in the order they joined.
    /// Absent from the record while nobody has (so measures recorded before states joined
    /// by their own act keep their canonical form).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub joined: Vec<PartnerAct>,
    /// The states of `with` that declined the invitation or left the measure, each by its
    /// own act: a measure remains each state's own (ILC art. 54), and a state ends its part.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left: Vec<PartnerAct>,
    /// Invitations the responding state withdrew before they were answered: `party` is
    /// the state whose invitation it was, `note` the responding state's reason. A state
    /// that never answers would otherwise hold the measure for ever, since it is notified
    /// only once every invited state has answered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withdrawn: Vec<PartnerAct>,
    /// The state the measure is directed against.
    pub against: StateCode,
    /// The ladder rung's id (`countermeasures`, `public_condemnation`...).
    pub rung: String,
    pub description: String,
    /// Declared urgent to preserve the injured state's rights (ILC art. 52(2)).
    pub urgent: bool,
    /// A planned measure is usually not for publication: AMBER unless said otherwise.
    pub tlp: Tlp,
    pub state: MeasureState,
    pub history: Vec<MeasureStep>,
    /// Set when the responding state keeps the measure in force although a lift condition
    /// is met, with its reason. Logged like every change.
    pub kept_despite_lift_condition: Option<String>,
}

impl Measure {
    /// Whether `p` joined the measure (and has not left it since).
    pub fn has_joined(&self, p: &PartyId) -> bool {
        self.joined.iter().any(|a| &a.party == p) && !self.has_left(p)
    }

    /// Whether `p` declined the invitation or left the measure.
    pub fn has_left(&self, p: &PartyId) -> bool {
        self.left.iter().any(|a| &a.party == p)
    }

    /// Whether the responding state withdrew `p`'s invitation.
    pub fn invitation_withdrawn(&self, p: &PartyId) -> bool {
        self.withdrawn.iter().any(|a| &a.party == p)
    }

    /// The invited states that have not answered yet: neither joined nor declined, and
    /// still invited.
    pub fn pending(&self) -> Vec<&PartyId> {
        self.with.iter().filter(|p| !self.joined.iter().any(|a| &a.party == *p) && !self.has_left(p) && !self.invitation_withdrawn(p)).collect()
    }

    /// The other states taking the measure now: joined, and not left.
    pub fn partners(&self) -> Vec<&PartyId> {
        self.with.iter().filter(|p| self.has_joined(p)).collect()
    }

    /// Where `p` stands among the states the measure was proposed with, in words.
    pub fn partner_standing(&self, p: &PartyId) -> &'static str {
        if self.invitation_withdrawn(p) {
            return "invitation withdrawn";
        }
        match (self.joined.iter().any(|a| &a.party == p), self.has_left(p)) {
            (true, true) => "left",
            (true, false) => "joined",
            (false, true) => "declined",
            // The measure was given up before the state answered: nothing is open any more.
            (false, false) if self.state == MeasureState::Lifted => "invited, the measure ended first",
            (false, false) => "invited, not joined",
        }
    }

    /// `p` and where it stands, for a reader: a withdrawn invitation with its day and,
    /// where this copy of the record holds it, its reason.
    pub fn partner_label(&self, p: &PartyId) -> String {
        match self.withdrawn.iter().find(|w| &w.party == p) {
            Some(w) => {
                let day = w.at.get(..10).unwrap_or(&w.at);
                if w.note.is_empty() { format!("{p} (invitation withdrawn {day})") } else { format!("{p} (invitation withdrawn {day}: {})", w.note) }
            }
            None => format!("{p} ({})", self.partner_standing(p)),
        }
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        if self.by.state().is_none() {
            return Err(Invalid::new("by", &self.by, "a response measure is taken by a state"));
        }
        if self.by.state() == Some(self.against) {
            return Err(Invalid::new("against", self.against, "a state does not take measures against itself"));
        }
        for (i, p) in self.with.iter().enumerate() {
            if *p == self.by {
                return Err(Invalid::new(format!("with[{i}]"), p, "is the state proposing the measure: `with` invites other states"));
            }
            if p.state().is_none() {
                return Err(Invalid::new(format!("with[{i}]"), p, "invites states only (state:CODE)"));
            }
            if p.state() == Some(self.against) {
                return Err(Invalid::new(format!("with[{i}]"), p, "the state a measure is directed against does not take part in it"));
            }
        }
        for (i, p) in self.with.iter().enumerate() {
            if self.with[..i].contains(p) {
                return Err(Invalid::new(format!("with[{i}]"), p, "names a state already invited"));
            }
        }
        for (list, acts) in [("joined", &self.joined), ("left", &self.left), ("withdrawn", &self.withdrawn)] {
            for (i, a) in acts.iter().enumerate() {
                if !self.with.contains(&a.party) {
                    return Err(Invalid::new(format!("{list}[{i}]"), &a.party, "only a state the measure was proposed with joins or leaves it"));
                }
                if acts[..i].iter().any(|b| b.party == a.party) {
                    return Err(Invalid::new(format!("{list}[{i}]"), &a.party, format!("a state is {list} once")));
                }
                if a.note.chars().count() > 2_000 {
                    return Err(Invalid::new(format!("{list}[{i}].note"), &a.note, "must be at most 2,000 characters"));
                }
                crate::error::check_prose(&format!("{list}[{i}].note"), &a.note)?;
            }
        }
        // A withdrawn invitation was never answered: nobody joins, declines or leaves on
        // an invitation that no longer stands.
        for (i, a) in self.withdrawn.iter().enumerate() {
            if self.joined.iter().chain(&self.left).any(|b| b.party == a.party) {
                return Err(Invalid::new(format!("withdrawn[{i}]"), &a.party, "answered its invitation: only an unanswered invitation is withdrawn"));
            }
        }
        if self.rung.trim().is_empty() || self.rung.len() > 64 {
            return Err(Invalid::new("rung", &self.rung, "names a rung of the ladder"));
        }
        if self.description.chars().count() > 4_000 {
            return Err(Invalid::new("description", &self.description, "must be at most 4,000 characters"));
        }
        crate::error::check_prose("description", &self.description)?;
        for (i, step) in self.history.iter().enumerate() {
            crate::error::check_prose(&format!("history[{i}].note"), &step.note)?;
        }
        if self.history.last().map(|s| s.state) != Some(self.state) {
            return Err(Invalid::new("history", self.state, "the last step of the history is the measure's state"));
        }
        Ok(())
    }
}
