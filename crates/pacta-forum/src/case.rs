//! Dispute cases: a claimant party files against a respondent about one or more incidents.
//!
//! ```text
//! consultation ──▶ mediation ──▶ arbitration ──▶ ruled ──▶ closed (every remedy complied)
//!      │               │              │
//!      └───────────────┴──────────────┴──▶ settled (at any step, when both parties agree)
//! ```
//!
//! Every step is an [`Action`] applied by [`DisputeCase::apply`], which checks who may take
//! it, in which stage, and by which deadline, and returns the case after it. Deadlines are
//! set when a stage opens ([`CaseRules`]); a filing that answers a deadline is refused once
//! the deadline has passed, unless the panel extended it first (UNCITRAL Arbitration Rules
//! (2013), art. 25). A party acts only in its own cases; the panel of the current stage
//! (the mediator, then the tribunal) extends deadlines, schedules hearings, orders interim
//! measures (art. 26) and rules; the secretariat (anyone not a party) appoints the panel
//! from the roster, and an appointment with a conflict is refused ([`crate::panel`]).
//!
//! A sole arbitrator's ruling is issued when it is given. A three-member tribunal decides
//! by a majority (art. 33(1)): one arbitrator's ruling is a draft, seen by the tribunal
//! alone, until another concurs in that very draft ([`Action::Concur`] names it by
//! [`Ruling::reference`]); then it is issued, naming both, and the third may concur too,
//! so that a unanimous award reads as one. The remedies keep the time to comply the draft
//! gave them: their due dates move with the date of issue.

use crate::panel::{Arbitrator, CaseSide, Involvement, PanelRole, conflicts};
use crate::ruling::{Concurrence, Ruling};
use crate::{fmt_time, refuse, text};
use chrono::{DateTime, Duration, Utc};
use pacta_core::{IncidentId, Invalid, PartyId, Tlp, labelled_enum};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

labelled_enum! {
    pub enum Stage ("a case stage") {
        Consultation = "consultation",
        Mediation = "mediation",
        Arbitration = "arbitration",
        Settled = "settled",
        Ruled = "ruled",
        /// Ruled, and every remedy complied with (or none was ordered).
        Closed = "closed",
    }
}

impl Stage {
    /// Whether the dispute is still being argued.
    pub fn open(self) -> bool {
        matches!(self, Stage::Consultation | Stage::Mediation | Stage::Arbitration)
    }
}

labelled_enum! {
    pub enum FilingKind ("a filing") {
        /// The claimant's statement of claim, filed with the case.
        Claim = "claim",
        /// The respondent's answer during consultation.
        Response = "response",
        /// The claimant's written case before the tribunal.
        Memorial = "memorial",
        /// The respondent's written answer before the tribunal.
        CounterMemorial = "counter_memorial",
        /// Anything else a party puts before the forum.
        Submission = "submission",
    }
}

/// The periods a stage opens with. An instance may set its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseRules {
    pub response: Duration,
    pub consultation: Duration,
    pub mediation: Duration,
    pub memorial: Duration,
    pub counter_memorial: Duration,
}

impl Default for CaseRules {
    fn default() -> Self {
        CaseRules { response: Duration::days(30), consultation: Duration::days(60), mediation: Duration::days(60), memorial: Duration::days(30), counter_memorial: Duration::days(60) }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub by: PartyId,
    pub at: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// `response`, `consultation_ends`, `mediation_ends`, `memorial`, `counter_memorial`.
    pub name: String,
    /// The party that must file by it; `None` for the end of a period.
    pub party: Option<PartyId>,
    pub filing: Option<FilingKind>,
    pub due: DateTime<Utc>,
    /// When the filing it calls for was made.
    pub met_at: Option<DateTime<Utc>>,
    pub extensions: Vec<Extension>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filing {
    pub id: Uuid,
    pub by: PartyId,
    pub kind: FilingKind,
    pub stage: Stage,
    pub text: String,
    /// Artefacts under custody in the vault (`pacta evidence`).
    pub evidence: Vec<Uuid>,
    pub at: DateTime<Utc>,
    /// The deadline it met, with its due time then.
    pub deadline: Option<(String, DateTime<Utc>)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    pub party: PartyId,
    pub name: String,
    pub role: PanelRole,
    pub by: PartyId,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hearing {
    pub when: DateTime<Utc>,
    pub place: String,
    pub by: PartyId,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterimMeasure {
    pub text: String,
    pub addressed_to: PartyId,
    pub due: Option<DateTime<Utc>>,
    pub by: PartyId,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    pub proposed_by: PartyId,
    pub terms: String,
    pub at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
}

/// Compliance with one remedy of the ruling.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemedyCompliance {
    pub reported_at: Option<DateTime<Utc>>,
    pub report: Option<String>,
    pub evidence: Vec<Uuid>,
    pub confirmed_by: Option<PartyId>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// A dispute case: the aggregate the store keeps as one record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeCase {
    pub id: Uuid,
    pub title: String,
    pub claimant: PartyId,
    pub respondent: PartyId,
    pub incidents: Vec<IncidentId>,
    /// Confidentiality of the proceedings (TLP 2.0). The ruling follows `Ruling::published`.
    pub tlp: Tlp,
    pub stage: Stage,
    pub filed_at: DateTime<Utc>,
    pub filings: Vec<Filing>,
    pub deadlines: Vec<Deadline>,
    pub panel: Vec<Appointment>,
    pub hearings: Vec<Hearing>,
    pub interim_measures: Vec<InterimMeasure>,
    pub impasse: Option<String>,
    pub settlement: Option<Settlement>,
    pub ruling: Option<Ruling>,
    pub compliance: Vec<RemedyCompliance>,
    /// A ruling an arbitrator of a three-member tribunal has put forward and no majority
    /// has yet joined: the tribunal's deliberation, seen by its arbitrators only. Absent
    /// from the record when there is none (so cases recorded before keep their form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft_ruling: Option<Ruling>,
}

/// What the store looks up for an appointment.
#[derive(Default)]
pub struct Roster<'a> {
    pub arbitrator: Option<&'a Arbitrator>,
    pub involvement: &'a [Involvement],
}

/// One step in a case, as a party, the panel or the secretariat asks for it. This is
/// also what the log entry carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    File { kind: FilingKind, text: String, evidence: Vec<Uuid> },
    Escalate { to: Stage, reason: String },
    Appoint { party: PartyId, role: PanelRole },
    Extend { deadline: String, to: DateTime<Utc>, reason: String },
    ScheduleHearing { when: DateTime<Utc>, place: String },
    DeclareImpasse { reason: String },
    OrderInterimMeasure { text: String, addressed_to: PartyId, due: Option<DateTime<Utc>> },
    ProposeSettlement { terms: String },
    AcceptSettlement,
    /// An arbitrator gives a ruling: issued at once by a sole arbitrator, a draft awaiting
    /// a majority on a three-member tribunal (replacing any earlier draft).
    Rule { ruling: Ruling },
    /// Another arbitrator of a three-member tribunal joins the draft ruling named by
    /// `draft` ([`Ruling::reference`]), which makes the majority: the ruling is issued. On
    /// an issued ruling, the remaining arbitrator joins it (a unanimous award).
    Concur { draft: String },
    ReportCompliance { remedy: usize, report: String, evidence: Vec<Uuid> },
    ConfirmCompliance { remedy: usize },
}

impl Action {
    /// The log entry kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::File { .. } => "case.filing",
            Action::Escalate { .. } => "case.escalated",
            Action::Appoint { .. } => "panel.appointed",
            Action::Extend { .. } => "deadline.extended",
            Action::ScheduleHearing { .. } => "hearing.scheduled",
            Action::DeclareImpasse { .. } => "mediation.impasse",
            Action::OrderInterimMeasure { .. } => "case.interim_measure",
            Action::ProposeSettlement { .. } => "settlement.proposed",
            Action::AcceptSettlement => "case.settled",
            Action::Rule { .. } | Action::Concur { .. } => "ruling.issued",
            Action::ReportCompliance { .. } => "remedy.reported",
            Action::ConfirmCompliance { .. } => "remedy.complied",
        }
    }
}

/// The log entry kind of `action`, which took the case from `before` to `after`: a
/// ruling that awaits a majority is a draft, and a concurrence in a ruling already
/// issued adds a name to it.
pub fn entry_kind(action: &Action, before: &DisputeCase, after: &DisputeCase) -> &'static str {
    match action {
        Action::Rule { .. } if after.ruling.is_none() => "ruling.drafted",
        Action::Concur { .. } if before.ruling.is_some() => "ruling.concurred",
        _ => action.kind(),
    }
}

fn deadline(name: &str, party: Option<&PartyId>, filing: Option<FilingKind>, due: DateTime<Utc>) -> Deadline {
    Deadline { name: name.into(), party: party.cloned(), filing, due, met_at: None, extensions: Vec::new() }
}

impl DisputeCase {
    /// The claimant files a case at `at`, with its statement of claim.
    #[allow(clippy::too_many_arguments)]
    pub fn file(claimant: PartyId, respondent: PartyId, title: &str, incidents: Vec<IncidentId>, claim: &str, evidence: Vec<Uuid>, tlp: Tlp, at: DateTime<Utc>, rules: &CaseRules) -> Result<DisputeCase, Invalid> {
        if claimant.state().is_none() {
            return Err(refuse("claimant", &claimant, "a dispute case is between states: the claimant is state:CODE"));
        }
        if respondent.state().is_none() {
            return Err(refuse("respondent", &respondent, "a dispute case is between states: the respondent is state:CODE"));
        }
        if claimant == respondent {
            return Err(refuse("respondent", &respondent, "a state does not file a case against itself"));
        }
        text("title", title, 200)?;
        text("claim", claim, 50_000)?;
        crate::readable_by_parties("tlp", tlp, "a case")?;
        if incidents.is_empty() {
            return Err(refuse("incidents", "[]", "a case is about one or more incidents of the registry"));
        }
        let filing = Filing { id: Uuid::now_v7(), by: claimant.clone(), kind: FilingKind::Claim, stage: Stage::Consultation, text: claim.trim().into(), evidence, at, deadline: None };
        let deadlines = vec![
            deadline("response", Some(&respondent), Some(FilingKind::Response), at + rules.response),
            deadline("consultation_ends", None, None, at + rules.consultation),
        ];
        Ok(DisputeCase {
            id: Uuid::now_v7(),
            title: title.trim().into(),
            claimant,
            respondent,
            incidents,
            tlp,
            stage: Stage::Consultation,
            filed_at: at,
            filings: vec![filing],
            deadlines,
            panel: Vec::new(),
            hearings: Vec::new(),
            interim_measures: Vec::new(),
            impasse: None,
            settlement: None,
            ruling: None,
            compliance: Vec::new(),
            draft_ruling: None,
        })
    }

    pub fn is_party(&self, p: &PartyId) -> bool {
        p == &self.claimant || p == &self.respondent
    }

    /// The other party.
    pub fn other(&self, p: &PartyId) -> &PartyId {
        if p == &self.claimant { &self.respondent } else { &self.claimant }
    }

    /// The panel members of a role.
    pub fn members(&self, role: PanelRole) -> impl Iterator<Item = &Appointment> {
        self.panel.iter().filter(move |a| a.role == role)
    }

    /// Who sits for the current stage: the mediator in mediation, the tribunal after.
    pub fn sitting(&self) -> Vec<&PartyId> {
        let role = if self.stage == Stage::Mediation { PanelRole::Mediator } else { PanelRole::Arbitrator };
        self.members(role).map(|a| &a.party).collect()
    }

    /// Whether `p` takes part: a party, a panel member, or the appointing secretariat.
    pub fn participant(&self, p: &PartyId) -> bool {
        self.is_party(p) || self.panel.iter().any(|a| &a.party == p || &a.by == p)
    }

    pub fn deadline(&self, name: &str) -> Option<&Deadline> {
        self.deadlines.iter().find(|d| d.name == name)
    }

    /// Open deadlines and remedies past due at `now` (derived, never stored).
    pub fn overdue(&self, now: DateTime<Utc>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if self.stage.open() {
            for d in self.deadlines.iter().filter(|d| d.party.is_some() && d.met_at.is_none() && now > d.due) {
                out.push(format!("{} by {} was due {}", d.name, d.party.as_ref().map(|p| p.as_str()).unwrap_or(""), fmt_time(d.due)));
            }
        }
        if let Some(r) = &self.ruling {
            for (i, (rem, c)) in r.remedies.iter().zip(&self.compliance).enumerate() {
                if c.confirmed_at.is_none() && now > rem.due {
                    out.push(format!("remedy {i} ({}) was due {}", rem.kind, fmt_time(rem.due)));
                }
            }
        }
        out
    }

    fn require_party(&self, actor: &PartyId) -> Result<(), Invalid> {
        if !self.is_party(actor) {
            return Err(refuse("--as", actor, format!("a party acts only in cases it is part of: this case is between {} and {}", self.claimant, self.respondent)));
        }
        Ok(())
    }

    fn require_sitting(&self, actor: &PartyId, what: &str) -> Result<(), Invalid> {
        if !self.stage.open() && self.stage != Stage::Ruled {
            return Err(refuse("stage", self.stage, format!("the case is {}: nothing more is {what}", self.stage)));
        }
        if !self.sitting().contains(&actor) {
            let who = if self.stage == Stage::Mediation { "the mediator" } else { "the tribunal" };
            return Err(refuse("--as", actor, format!("only {who} sitting in this case ({}) {what}", self.sitting().iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", "))));
        }
        Ok(())
    }

    fn require_open(&self) -> Result<(), Invalid> {
        if !self.stage.open() {
            return Err(refuse("stage", self.stage, format!("the case is {}: the proceedings are over", self.stage)));
        }
        Ok(())
    }

    /// The time of the case's latest recorded act.
    pub fn latest_act(&self) -> DateTime<Utc> {
        let mut t = self.filed_at;
        let mut see = |x: DateTime<Utc>| t = t.max(x);
        self.filings.iter().for_each(|f| see(f.at));
        self.panel.iter().for_each(|a| see(a.at));
        self.hearings.iter().for_each(|h| see(h.at));
        self.interim_measures.iter().for_each(|m| see(m.at));
        self.deadlines.iter().flat_map(|d| &d.extensions).for_each(|e| see(e.at));
        if let Some(s) = &self.settlement {
            see(s.at);
        }
        if let Some(r) = &self.ruling {
            see(r.at);
            r.concurring.iter().for_each(|c| see(c.at));
        }
        if let Some(d) = &self.draft_ruling {
            see(d.at);
        }
        for c in &self.compliance {
            c.reported_at.into_iter().chain(c.confirmed_at).for_each(&mut see);
        }
        t
    }

    /// Applies `action` by `actor` at `at`; returns the case after it, or the refusal.
    pub fn apply(&self, actor: &PartyId, action: &Action, at: DateTime<Utc>, roster: &Roster<'_>, rules: &CaseRules) -> Result<DisputeCase, Invalid> {
        // Acts are recorded in time order, so a deadline cannot be met by dating a filing
        // before acts already on record.
        if at < self.latest_act() {
            return Err(refuse("at", fmt_time(at), format!("an act in a case is not dated before its latest recorded act ({})", fmt_time(self.latest_act()))));
        }
        let mut next = self.clone();
        match action {
            Action::File { kind, text: body, evidence } => {
                self.require_party(actor)?;
                self.require_open()?;
                text("text", body, 50_000)?;
                let allowed = match kind {
                    FilingKind::Claim => false,
                    FilingKind::Response => self.stage == Stage::Consultation && actor == &self.respondent,
                    FilingKind::Memorial => self.stage == Stage::Arbitration && actor == &self.claimant,
                    FilingKind::CounterMemorial => self.stage == Stage::Arbitration && actor == &self.respondent,
                    FilingKind::Submission => true,
                };
                if !allowed {
                    return Err(refuse("kind", kind, format!("a {kind} is not filed by {actor} in {}: the claimant files the claim and the memorial, the respondent the response (in consultation) and the counter-memorial (in arbitration)", self.stage)));
                }
                let mut met = None;
                if let Some(d) = next.deadlines.iter_mut().find(|d| d.filing == Some(*kind) && d.party.as_ref() == Some(actor)) {
                    if d.met_at.is_some() {
                        return Err(refuse("kind", kind, format!("{actor} has already filed its {kind}")));
                    }
                    if at > d.due {
                        return Err(refuse(
                            "deadline",
                            &d.name,
                            format!("the {kind} was due {} and is filed {}: a filing past its deadline is refused unless the panel extends the deadline first (UNCITRAL Arbitration Rules (2013), art. 25)", fmt_time(d.due), fmt_time(at)),
                        ));
                    }
                    d.met_at = Some(at);
                    met = Some((d.name.clone(), d.due));
                }
                next.filings.push(Filing { id: Uuid::now_v7(), by: actor.clone(), kind: *kind, stage: self.stage, text: body.trim().into(), evidence: evidence.clone(), at, deadline: met });
            }
            Action::Escalate { to, reason } => {
                self.require_party(actor)?;
                text("reason", reason, 4_000)?;
                match (self.stage, to) {
                    (Stage::Consultation, Stage::Mediation) => {
                        let ends = self.deadline("consultation_ends").map(|d| d.due);
                        let response = self.deadline("response");
                        let unanswered = response.is_some_and(|d| d.met_at.is_none() && at > d.due);
                        if !(ends.is_some_and(|e| at >= e) || unanswered) {
                            return Err(refuse(
                                "to",
                                to,
                                format!("consultation runs until {} unless the respondent lets its response deadline pass: mediation opens after that (the parties first seek a solution by negotiation, UN Charter art. 33(1))", ends.map(fmt_time).unwrap_or_default()),
                            ));
                        }
                        next.deadlines.push(deadline("mediation_ends", None, None, at + rules.mediation));
                    }
                    (Stage::Mediation, Stage::Arbitration) => {
                        let ends = self.deadline("mediation_ends").map(|d| d.due);
                        if self.impasse.is_none() && ends.is_none_or(|e| at < e) {
                            return Err(refuse(
                                "to",
                                to,
                                format!("mediation runs until {} unless the mediator declares an impasse: arbitration opens after that", ends.map(fmt_time).unwrap_or_default()),
                            ));
                        }
                        next.deadlines.push(deadline("memorial", Some(&self.claimant), Some(FilingKind::Memorial), at + rules.memorial));
                        next.deadlines.push(deadline("counter_memorial", Some(&self.respondent), Some(FilingKind::CounterMemorial), at + rules.memorial + rules.counter_memorial));
                    }
                    (from, to) => return Err(refuse("to", to, format!("a case moves consultation → mediation → arbitration one step at a time; it is in {from}"))),
                }
                next.stage = *to;
            }
            Action::Appoint { party, role } => {
                if self.is_party(actor) {
                    return Err(refuse("--as", actor, "the parties do not appoint the neutral: the secretariat does, from the roster"));
                }
                let want = match role {
                    PanelRole::Mediator => Stage::Mediation,
                    PanelRole::Arbitrator => Stage::Arbitration,
                };
                if self.stage != want {
                    return Err(refuse("role", role, format!("a {role} is appointed when the case is in {want}; it is in {}", self.stage)));
                }
                let Some(arb) = roster.arbitrator.filter(|a| &a.party == party) else {
                    return Err(refuse("party", party, "is not on the roster of neutrals (pacta case roster add)"));
                };
                if !arb.roles.contains(role) {
                    return Err(refuse("role", role, format!("{} is listed as {} only", arb.name, arb.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", "))));
                }
                if self.members(*role).any(|a| &a.party == party) {
                    return Err(refuse("party", party, format!("already sits as {role} in this case")));
                }
                let max = if *role == PanelRole::Mediator { 1 } else { 3 };
                if self.members(*role).count() >= max {
                    return Err(refuse("role", role, format!("a case has at most {max} {role}(s)")));
                }
                let side = CaseSide { claimant: &self.claimant, respondent: &self.respondent, incidents: &self.incidents, mediators: self.members(PanelRole::Mediator).map(|a| &a.party).collect() };
                let found = conflicts(arb, &side, *role, roster.involvement);
                if !found.is_empty() {
                    let list: Vec<String> = found.iter().map(|c| c.to_string()).collect();
                    return Err(refuse("party", party, format!("a panel member with a conflict of interest cannot be appointed: {}", list.join("; "))));
                }
                next.panel.push(Appointment { party: party.clone(), name: arb.name.clone(), role: *role, by: actor.clone(), at });
            }
            Action::Extend { deadline: name, to, reason } => {
                self.require_sitting(actor, "extends deadlines")?;
                text("reason", reason, 2_000)?;
                let Some(d) = next.deadlines.iter_mut().find(|d| &d.name == name) else {
                    return Err(refuse("deadline", name, format!("no such deadline in this case: {}", self.deadlines.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", "))));
                };
                if d.met_at.is_some() {
                    return Err(refuse("deadline", name, "was met: there is nothing to extend"));
                }
                if *to <= d.due || *to <= at {
                    return Err(refuse("to", fmt_time(*to), format!("an extension moves the deadline later than both its due time ({}) and now", fmt_time(d.due))));
                }
                if *to > at + crate::MAX_AHEAD {
                    return Err(refuse("to", fmt_time(*to), "is more than ten years ahead: a deadline is set within the proceedings' horizon"));
                }
                d.extensions.push(Extension { by: actor.clone(), at, from: d.due, to: *to, reason: reason.trim().into() });
                d.due = *to;
            }
            Action::ScheduleHearing { when, place } => {
                self.require_sitting(actor, "schedules hearings")?;
                text("place", place, 300)?;
                if *when <= at {
                    return Err(refuse("when", fmt_time(*when), "a hearing is scheduled in the future"));
                }
                if *when > at + crate::MAX_AHEAD {
                    return Err(refuse("when", fmt_time(*when), "is more than ten years ahead: a hearing is scheduled within the proceedings' horizon"));
                }
                next.hearings.push(Hearing { when: *when, place: place.trim().into(), by: actor.clone(), at });
            }
            Action::DeclareImpasse { reason } => {
                if self.stage != Stage::Mediation {
                    return Err(refuse("stage", self.stage, "an impasse is declared in mediation"));
                }
                self.require_sitting(actor, "declares an impasse")?;
                text("reason", reason, 4_000)?;
                // Declared once: a second declaration would rewrite the reason the parties
                // relied on when they escalated.
                if let Some(before) = &self.impasse {
                    return Err(refuse("reason", reason, format!("the mediator already declared an impasse ({before})")));
                }
                next.impasse = Some(reason.trim().into());
            }
            Action::OrderInterimMeasure { text: body, addressed_to, due } => {
                if self.stage != Stage::Arbitration {
                    return Err(refuse("stage", self.stage, "interim measures are ordered by the tribunal, in arbitration (UNCITRAL Arbitration Rules (2013), art. 26)"));
                }
                self.require_sitting(actor, "orders interim measures")?;
                text("text", body, 4_000)?;
                if !self.is_party(addressed_to) {
                    return Err(refuse("addressed_to", addressed_to, "an interim measure is addressed to a party"));
                }
                if let Some(due) = due
                    && (*due <= at || *due > at + crate::MAX_AHEAD)
                {
                    return Err(refuse("due", fmt_time(*due), "an interim measure falls due after it is ordered, and within ten years"));
                }
                next.interim_measures.push(InterimMeasure { text: body.trim().into(), addressed_to: addressed_to.clone(), due: *due, by: actor.clone(), at });
            }
            Action::ProposeSettlement { terms } => {
                self.require_party(actor)?;
                self.require_open()?;
                text("terms", terms, 20_000)?;
                next.settlement = Some(Settlement { proposed_by: actor.clone(), terms: terms.trim().into(), at, accepted_at: None });
            }
            Action::AcceptSettlement => {
                self.require_party(actor)?;
                self.require_open()?;
                let Some(s) = &self.settlement else {
                    return Err(refuse("settlement", "(none)", "no settlement has been proposed"));
                };
                if &s.proposed_by == actor {
                    return Err(refuse("--as", actor, "the other party accepts a settlement, not the one that proposed it"));
                }
                next.settlement.as_mut().expect("checked above").accepted_at = Some(at);
                next.stage = Stage::Settled;
                // The dispute is settled: the tribunal has nothing left to decide.
                next.draft_ruling = None;
            }
            Action::Rule { ruling } => {
                if self.stage != Stage::Arbitration {
                    return Err(refuse("stage", self.stage, "a ruling is issued by the tribunal, in arbitration"));
                }
                self.require_sitting(actor, "rules")?;
                let n = self.members(PanelRole::Arbitrator).count();
                if n != 1 && n != 3 {
                    return Err(refuse("panel", n, "the tribunal rules once it is complete: one or three arbitrators"));
                }
                if &ruling.issued_by != actor || ruling.at != at {
                    return Err(refuse("ruling", &ruling.issued_by, "a ruling is issued in the name of the arbitrator issuing it, at the time of issue"));
                }
                ruling.validate()?;
                // A tribunal decides the dispute before it: a finding on an incident the
                // case is not about would be published as the forum's word on it unheard.
                if let Some((i, f)) = ruling.findings.iter().enumerate().find(|(_, f)| f.incident.is_some_and(|x| !self.incidents.contains(&x))) {
                    return Err(refuse(&format!("findings[{i}].incident"), f.incident.map(|x| x.to_string()).unwrap_or_default(), "is not an incident of this case: a ruling makes findings on the incidents the case is about"));
                }
                if let Some(c) = ruling.concurring.first() {
                    return Err(refuse("ruling.concurring", &c.party, "an arbitrator concurs by its own act (action concur), not by being named"));
                }
                if n == 1 {
                    next.issue(ruling.clone());
                } else {
                    // UNCITRAL art. 33(1): a three-member tribunal decides by a majority.
                    // One arbitrator's word is a draft until another joins it.
                    next.draft_ruling = Some(ruling.clone());
                }
            }
            Action::Concur { draft: named } => {
                if let Some(issued) = &self.ruling {
                    // The majority has ruled; the remaining arbitrator may still put its
                    // name to the award, so that a unanimous tribunal does not read as split.
                    if !self.members(PanelRole::Arbitrator).any(|a| &a.party == actor) {
                        return Err(refuse("--as", actor, "only the tribunal's arbitrators concur in its ruling"));
                    }
                    if &issued.reference() != named {
                        return Err(refuse("draft", named, format!("the ruling of this case is {}: a concurrence names the ruling it joins", issued.reference())));
                    }
                    if &issued.issued_by == actor || issued.concurred_by(actor) {
                        return Err(refuse("--as", actor, format!("{actor} is already named in the ruling, issued by a majority (UNCITRAL art. 33(1))")));
                    }
                    next.ruling.as_mut().expect("checked above").concurring.push(Concurrence { party: actor.clone(), at });
                    return Ok(next);
                }
                if self.stage != Stage::Arbitration {
                    return Err(refuse("stage", self.stage, "a ruling is issued by the tribunal, in arbitration"));
                }
                self.require_sitting(actor, "concurs")?;
                let Some(draft) = &self.draft_ruling else {
                    return Err(refuse("draft", named, "no draft ruling awaits a majority: an arbitrator gives one first (action rule)"));
                };
                // A concurrence joins the text its arbitrator read: a draft replaced since
                // (by its drafter or another arbitrator) is not the one it agreed to.
                if &draft.reference() != named {
                    return Err(refuse("draft", named, format!("the draft before the tribunal is now {} (by {}): read it, then concur in it by that reference", draft.reference(), draft.issued_by)));
                }
                if &draft.issued_by == actor {
                    return Err(refuse("--as", actor, "the arbitrator who drafted the ruling does not concur in it: another arbitrator does, making the majority (UNCITRAL art. 33(1))"));
                }
                // The ruling is given when the majority is reached. Each remedy keeps the
                // time to comply the draft gave it, counted from the ruling's issue.
                let mut ruling = draft.clone();
                let waited = at - draft.at;
                for (i, r) in ruling.remedies.iter_mut().enumerate() {
                    r.due = r.due.checked_add_signed(waited).ok_or_else(|| refuse(&format!("remedies[{i}].due"), fmt_time(r.due), "cannot be kept the same time after the ruling: its drafter gives it again"))?;
                }
                ruling.concurring.push(Concurrence { party: actor.clone(), at });
                ruling.at = at;
                ruling.validate()?;
                next.issue(ruling);
            }
            Action::ReportCompliance { remedy, report, evidence } => {
                if actor != &self.respondent {
                    return Err(refuse("--as", actor, format!("the respondent, {}, reports its compliance", self.respondent)));
                }
                let c = self.remedy_slot(&mut next, *remedy)?;
                if c.confirmed_at.is_some() {
                    return Err(refuse("remedy", remedy, "compliance with this remedy is already confirmed"));
                }
                text("report", report, 8_000)?;
                c.reported_at = Some(at);
                c.report = Some(report.trim().into());
                c.evidence = evidence.clone();
            }
            Action::ConfirmCompliance { remedy } => {
                if actor != &self.claimant && !self.members(PanelRole::Arbitrator).any(|a| &a.party == actor) {
                    return Err(refuse("--as", actor, "the claimant or the tribunal confirms compliance"));
                }
                let c = self.remedy_slot(&mut next, *remedy)?;
                if c.reported_at.is_none() {
                    return Err(refuse("remedy", remedy, "the respondent has not reported compliance with this remedy"));
                }
                if c.confirmed_at.is_some() {
                    return Err(refuse("remedy", remedy, "compliance with this remedy is already confirmed"));
                }
                c.confirmed_by = Some(actor.clone());
                c.confirmed_at = Some(at);
                if next.compliance.iter().all(|c| c.confirmed_at.is_some()) {
                    next.stage = Stage::Closed;
                }
            }
        }
        Ok(next)
    }

    /// The ruling is given: the case is closed, or awaits compliance with its remedies.
    fn issue(&mut self, ruling: Ruling) {
        self.compliance = ruling.remedies.iter().map(|_| RemedyCompliance { reported_at: None, report: None, evidence: Vec::new(), confirmed_by: None, confirmed_at: None }).collect();
        self.stage = if ruling.remedies.is_empty() { Stage::Closed } else { Stage::Ruled };
        self.ruling = Some(ruling);
        self.draft_ruling = None;
    }

    /// Whether `viewer` may read the draft ruling: the tribunal's deliberation is its
    /// arbitrators' alone, not the parties' or the secretariat's.
    pub fn draft_visible_to(&self, viewer: Option<&PartyId>) -> bool {
        viewer.is_some_and(|v| self.members(PanelRole::Arbitrator).any(|a| &a.party == v))
    }

    fn remedy_slot<'c>(&self, next: &'c mut DisputeCase, remedy: usize) -> Result<&'c mut RemedyCompliance, Invalid> {
        if self.stage != Stage::Ruled {
            return Err(refuse("stage", self.stage, "compliance is reported on a ruling's remedies, after the ruling"));
        }
        let n = next.compliance.len();
        next.compliance.get_mut(remedy).ok_or_else(|| refuse("remedy", remedy, format!("the ruling orders {n} remedies, numbered from 0")))
    }

    /// Whether compliance with every remedy has just been confirmed: the responsible
    /// state has complied (ILC art. 53), which the response lifecycle reads.
    pub fn complied(&self) -> bool {
        self.stage == Stage::Closed && self.ruling.as_ref().is_some_and(|r| !r.remedies.is_empty())
    }

    /// Whether `viewer` may read the proceedings: anyone when CLEAR; otherwise the
    /// participants. A published ruling is readable by anyone ([`Self::ruling_visible_to`]).
    pub fn visible_to(&self, viewer: Option<&PartyId>) -> bool {
        self.tlp == Tlp::Clear || viewer.is_some_and(|v| self.participant(v))
    }

    /// A ruling ordered unpublished is the participants' alone, even in a CLEAR case.
    pub fn ruling_visible_to(&self, viewer: Option<&PartyId>) -> bool {
        match &self.ruling {
            Some(r) if r.published => true,
            Some(_) => viewer.is_some_and(|v| self.participant(v)),
            None => self.visible_to(viewer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use pacta_core::StateCode;

    fn p(s: &str) -> PartyId {
        PartyId::parse("p", s).unwrap()
    }
    fn t(days: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::days(days)
    }
    fn filed() -> DisputeCase {
        DisputeCase::file(p("state:FR"), p("state:RU"), "FR v. RU", vec![IncidentId::new()], "Claim", vec![], Tlp::Amber, t(0), &CaseRules::default()).unwrap()
    }
    fn apply(c: &DisputeCase, who: &str, a: Action, day: i64) -> Result<DisputeCase, Invalid> {
        c.apply(&p(who), &a, t(day), &Roster::default(), &CaseRules::default())
    }
    fn response() -> Action {
        Action::File { kind: FilingKind::Response, text: "Denied".into(), evidence: vec![] }
    }

    #[test]
    fn a_late_response_is_refused_and_a_settlement_needs_the_other_party() {
        let c = filed();
        assert!(apply(&c, "state:DE", response(), 1).unwrap_err().rule.contains("cases it is part of"));
        assert!(apply(&c, "state:FR", response(), 1).unwrap_err().rule.contains("respondent the response"));
        let late = apply(&c, "state:RU", response(), 31).unwrap_err();
        assert_eq!(late.field, "deadline");
        assert!(late.rule.contains("art. 25"), "{late}");
        let answered = apply(&c, "state:RU", response(), 29).unwrap();
        assert!(apply(&answered, "state:RU", response(), 28).unwrap_err().rule.contains("not dated before"), "no backdating below the latest act");
        let proposed = apply(&answered, "state:RU", Action::ProposeSettlement { terms: "Joint statement".into() }, 30).unwrap();
        assert!(apply(&proposed, "state:RU", Action::AcceptSettlement, 31).unwrap_err().rule.contains("other party"));
        let settled = apply(&proposed, "state:FR", Action::AcceptSettlement, 31).unwrap();
        assert_eq!(settled.stage, Stage::Settled);
        assert!(apply(&settled, "state:FR", Action::File { kind: FilingKind::Submission, text: "x".into(), evidence: vec![] }, 32).unwrap_err().rule.contains("proceedings are over"));
    }

    #[test]
    fn a_ruling_ordered_unpublished_stays_with_the_participants_even_in_a_clear_case() {
        let mut c = filed();
        c.tlp = Tlp::Clear;
        assert!(c.ruling_visible_to(None), "no ruling yet: the open case is open");
        c.ruling = Some(crate::ruling::Ruling { issued_by: p("org:arb-x"), concurring: vec![], at: t(200), summary: "s".into(), findings: vec![], remedies: vec![], published: false });
        assert!(c.visible_to(None), "the proceedings of a CLEAR case are open");
        assert!(!c.ruling_visible_to(None) && !c.ruling_visible_to(Some(&p("state:DE"))), "its unpublished ruling is not");
        assert!(c.ruling_visible_to(Some(&p("state:RU"))), "a party reads it");
        c.ruling.as_mut().unwrap().published = true;
        assert!(c.ruling_visible_to(None));
    }

    #[test]
    fn text_with_escape_sequences_and_dates_out_of_reach_are_refused() {
        let e = DisputeCase::file(p("state:FR"), p("state:RU"), "Evil\u{1b}[2J", vec![IncidentId::new()], "Claim", vec![], Tlp::Amber, t(0), &CaseRules::default()).unwrap_err();
        assert!(e.rule.contains("control characters"), "{e}");
        DisputeCase::file(p("state:FR"), p("state:RU"), "FR v. RU", vec![IncidentId::new()], "Line one.\nLine two.", vec![], Tlp::Amber, t(0), &CaseRules::default()).unwrap();
        let m = apply(&filed(), "state:FR", Action::Escalate { to: Stage::Mediation, reason: "r".into() }, 60).unwrap();
        let mut sitting = m.clone();
        sitting.panel.push(Appointment { party: p("org:med"), name: "M".into(), role: PanelRole::Mediator, by: p("org:secretariat"), at: t(61) });
        let far = Action::ScheduleHearing { when: t(61 + 20 * 365), place: "Geneva".into() };
        assert!(apply(&sitting, "org:med", far, 62).unwrap_err().rule.contains("ten years"));
        apply(&sitting, "org:med", Action::ScheduleHearing { when: t(90), place: "Geneva".into() }, 62).unwrap();
        let stuck = apply(&sitting, "org:med", Action::DeclareImpasse { reason: "No common ground.".into() }, 63).unwrap();
        assert!(apply(&stuck, "org:med", Action::DeclareImpasse { reason: "Another reason.".into() }, 64).unwrap_err().rule.contains("already declared"));
    }

    #[test]
    fn a_case_marked_for_named_organisations_or_individuals_is_refused_since_neither_party_could_read_it() {
        for tlp in [Tlp::AmberStrict, Tlp::Red] {
            let e = DisputeCase::file(p("state:FR"), p("state:RU"), "FR v. RU", vec![IncidentId::new()], "Claim", vec![], tlp, t(0), &CaseRules::default()).unwrap_err();
            assert_eq!((e.field.as_str(), e.value.as_str()), ("tlp", tlp.label()));
            assert!(e.rule.contains("Mark it AMBER"), "{e}");
        }
        DisputeCase::file(p("state:FR"), p("state:RU"), "FR v. RU", vec![IncidentId::new()], "Claim", vec![], Tlp::Amber, t(0), &CaseRules::default()).unwrap();
    }

    #[test]
    fn a_three_member_tribunal_rules_by_a_majority_and_its_draft_is_its_own() {
        let mut c = filed();
        c.stage = Stage::Arbitration;
        for a in ["org:arb-a", "org:arb-b"] {
            c.panel.push(Appointment { party: p(a), name: a.into(), role: PanelRole::Arbitrator, by: p("org:secretariat"), at: t(90) });
        }
        let ruling = |by: &str, day: i64| crate::ruling::Ruling {
            issued_by: p(by),
            concurring: vec![],
            at: t(day),
            summary: "A breach of sovereignty.".into(),
            findings: vec![crate::ruling::RulingFinding { incident: Some(c.incidents[0]), instrument: None, rule: None, breached: true, text: "Breach.".into() }],
            remedies: vec![crate::ruling::Remedy { kind: crate::ruling::RemedyKind::Cessation, description: "Cease.".into(), amount: None, due: t(130) }],
            published: true,
        };
        let rule = |c: &DisputeCase, by: &str, day: i64| apply(c, by, Action::Rule { ruling: ruling(by, day) }, day);
        assert!(rule(&c, "org:arb-a", 100).unwrap_err().rule.contains("one or three arbitrators"), "a tribunal of two is not complete");
        c.panel.push(Appointment { party: p("org:arb-c"), name: "C".into(), role: PanelRole::Arbitrator, by: p("org:secretariat"), at: t(90) });

        // One arbitrator's ruling is a draft: nothing is decided, and only the tribunal reads it.
        let drafted = rule(&c, "org:arb-a", 100).unwrap();
        assert_eq!((drafted.stage, drafted.ruling.is_none()), (Stage::Arbitration, true));
        assert_eq!(entry_kind(&Action::Rule { ruling: ruling("org:arb-a", 100) }, &c, &drafted), "ruling.drafted");
        assert!(drafted.draft_visible_to(Some(&p("org:arb-c"))));
        for outsider in [Some(p("state:FR")), Some(p("org:secretariat")), None] {
            assert!(!drafted.draft_visible_to(outsider.as_ref()), "{outsider:?}");
        }
        // Its drafter cannot make the majority alone, nor name others as concurring.
        let concur = |c: &DisputeCase, who: &str, r: &crate::ruling::Ruling, day: i64| apply(c, who, Action::Concur { draft: r.reference() }, day);
        let draft_a = drafted.draft_ruling.clone().unwrap();
        assert!(concur(&drafted, "org:arb-a", &draft_a, 101).unwrap_err().rule.contains("art. 33(1)"));
        let named = Action::Rule { ruling: crate::ruling::Ruling { concurring: vec![Concurrence { party: p("org:arb-b"), at: t(101) }], ..ruling("org:arb-a", 101) } };
        assert_eq!(apply(&drafted, "org:arb-a", named, 101).unwrap_err().field, "ruling.concurring");
        assert!(concur(&drafted, "state:FR", &draft_a, 101).unwrap_err().rule.contains("only the tribunal"));
        assert!(concur(&drafted, "org:arb-b", &draft_a, 99).unwrap_err().rule.contains("not dated before"), "a concurrence follows the draft");

        // C replaces the draft: B's concurrence in A's draft does not land on C's text.
        let replaced = rule(&drafted, "org:arb-c", 101).unwrap();
        let err = concur(&replaced, "org:arb-b", &draft_a, 102).unwrap_err();
        assert!(err.field == "draft" && err.rule.contains("org:arb-c@"), "{err}");

        // B concurs in A's draft: the ruling is given then, naming both, and the remedy
        // keeps the thirty days the draft gave it.
        let ruled = concur(&drafted, "org:arb-b", &draft_a, 102).unwrap();
        let given = ruled.ruling.as_ref().unwrap();
        assert_eq!((ruled.stage, &given.issued_by, &given.concurring, given.at), (Stage::Ruled, &p("org:arb-a"), &vec![Concurrence { party: p("org:arb-b"), at: t(102) }], t(102)));
        assert_eq!(given.remedies[0].due, t(132));
        assert!(ruled.draft_ruling.is_none());
        assert_eq!(entry_kind(&Action::Concur { draft: draft_a.reference() }, &drafted, &ruled), "ruling.issued");
        let late = concur(&drafted, "org:arb-b", &draft_a, 129).unwrap();
        assert_eq!(late.ruling.unwrap().remedies[0].due, t(159), "a late majority does not shorten the time to comply");

        // C may then put its name to the award too: unanimous, not two to one.
        let issued = given.clone();
        let unanimous = concur(&ruled, "org:arb-c", &issued, 103).unwrap();
        assert_eq!(unanimous.ruling.as_ref().unwrap().concurring.iter().map(|c| (c.party.as_str(), c.at)).collect::<Vec<_>>(), vec![("org:arb-b", t(102)), ("org:arb-c", t(103))]);
        assert!(apply(&unanimous, "state:RU", Action::ProposeSettlement { terms: "x".into() }, 102).unwrap_err().rule.contains("not dated before"), "nothing is dated before the last concurrence");

        // The reference is the text's: a draft given again at the same instant with other
        // remedies is another draft.
        let other = crate::ruling::Ruling { summary: "Another text.".into(), ..ruling("org:arb-a", 100) };
        assert_ne!(other.reference(), ruling("org:arb-a", 100).reference());
        // A remedy years beyond reach is refused when the draft is given, not when B concurs.
        let far = crate::ruling::Ruling { remedies: vec![crate::ruling::Remedy { due: t(100 + 20 * 366), ..ruling("org:arb-a", 100).remedies[0].clone() }], ..ruling("org:arb-a", 100) };
        assert!(apply(&c, "org:arb-a", Action::Rule { ruling: far }, 100).unwrap_err().rule.contains("within ten years"));
        // A settlement ends the deliberation.
        let offered = apply(&drafted, "state:RU", Action::ProposeSettlement { terms: "A joint statement.".into() }, 101).unwrap();
        let settled = apply(&offered, "state:FR", Action::AcceptSettlement, 102).unwrap();
        assert!(settled.draft_ruling.is_none());
        assert_eq!(entry_kind(&Action::Concur { draft: issued.reference() }, &ruled, &unanimous), "ruling.concurred");
        assert!(concur(&unanimous, "org:arb-b", &issued, 104).unwrap_err().rule.contains("already named"));
        assert!(concur(&ruled, "org:arb-c", &draft_a, 103).unwrap_err().field == "draft", "names the ruling issued");
        // A sole arbitrator's ruling is given at once.
        let mut sole = c.clone();
        sole.panel.truncate(1);
        assert_eq!(rule(&sole, "org:arb-a", 100).unwrap().stage, Stage::Ruled);
        assert!(concur(&sole, "org:arb-a", &draft_a, 101).unwrap_err().rule.contains("no draft ruling"));
    }

    #[test]
    fn every_conflict_of_a_neutral_is_named_with_its_rule() {
        let c = apply(&filed(), "state:FR", Action::Escalate { to: Stage::Mediation, reason: "r".into() }, 60).unwrap();
        let biased = Arbitrator { party: p("org:arb-x"), name: "X".into(), nationalities: vec![StateCode::parse("s", "RU").unwrap()], affiliations: vec![p("state:FR")], roles: vec![PanelRole::Mediator] };
        let inv = [Involvement { party: p("state:FR"), incident: c.incidents[0], what: "made an attribution claim".into() }];
        let roster = Roster { arbitrator: Some(&biased), involvement: &inv };
        let e = c.apply(&p("org:secretariat"), &Action::Appoint { party: p("org:arb-x"), role: PanelRole::Mediator }, t(61), &roster, &CaseRules::default()).unwrap_err();
        for rule in ["panel.nationality", "panel.affiliation", "panel.prior_involvement"] {
            assert!(e.rule.contains(rule), "{rule} missing from {e}");
        }
    }
}
