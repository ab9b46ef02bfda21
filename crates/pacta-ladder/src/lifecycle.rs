//! The measures' lifecycle: which moves are allowed, and when a measure must end.
//!
//! ```text
//! proposed ──▶ notified ──▶ enacted ◀──▶ suspended
//!    │            │            │             │
//!    └────────────┴────────────┴──▶ lifted ◀─┘      (lifted is final)
//! ```
//!
//! A proposed measure may be enacted without notification except a countermeasure, which
//! needs the notification with an offer to negotiate unless it is urgent (ILC art. 52(1)(b)
//! and (2)). A countermeasure is never enacted (or resumed) before the injured state has
//! called on the responsible state to comply (art. 52(1)(a)), after the responsible state
//! has complied (art. 53), or while the wrongful act has ceased and the dispute is before a
//! binding tribunal (art. 52(3)). Once a lift condition the law makes binding is met (a
//! countermeasure's, or self-defence's once the attack has ceased) the measure may only be
//! suspended or lifted, and `keep` is refused. A condition that is only this instance's
//! policy may be overridden by a logged step saying why (`keep`).

use crate::ladder::{LegalBasis, Rung};
use pacta_core::{ComplianceEvent, ComplianceKind, Invalid, Measure, MeasureState, MeasureStep, PartnerAct, PartyId, StateCode};
use serde::Serialize;

/// What the record of compliance events says about one injured state and one responsible
/// state. What is not on record is taken as not having happened: these are facts about
/// the record, like the attribution facts of the norms engine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Situation {
    /// The injured state called on the responsible state to comply (art. 52(1)(a)).
    pub called_to_comply: bool,
    pub wrongful_act_ceased: bool,
    pub dispute_before_tribunal: bool,
    pub responsible_state_complied: bool,
    /// The injured state's own declarations for self-defence against the responsible
    /// state (necessity, proportionality, immediacy, the report to the Security Council).
    /// Its word, on record: the engine reads them as shown, and anyone may contest them.
    pub self_defence_necessary: bool,
    pub self_defence_proportionate: bool,
    pub armed_attack_ongoing_or_imminent: bool,
    pub reported_to_security_council: bool,
}

impl Situation {
    /// What the record says for `injured`'s measures against `responsible`. The call to
    /// comply is the injured state's own. The developments that end or suspend its
    /// measures count when the injured state records them, or a party that is no state (the
    /// forum, a tribunal): a third state's word that the responsible state complied would
    /// otherwise force the injured state to lift its measures.
    pub fn of(events: &[ComplianceEvent], injured: &PartyId, responsible: StateCode) -> Situation {
        let mut s = Situation::default();
        for e in events.iter().filter(|e| e.responsible == responsible) {
            // The injured state's own record, or the forum's (its secretariat records what a
            // tribunal confirmed): any other organisation's word that the responsible state
            // ceased or complied would end a state's measures on hearsay.
            let on_record = &e.by == injured || e.by.is_secretariat();
            match e.kind {
                ComplianceKind::CallToComply => s.called_to_comply |= &e.by == injured,
                ComplianceKind::WrongfulActCeased => s.wrongful_act_ceased |= on_record,
                ComplianceKind::DisputeBeforeTribunal => s.dispute_before_tribunal |= on_record,
                ComplianceKind::ResponsibleStateComplied => s.responsible_state_complied |= on_record,
                ComplianceKind::SelfDefenceNecessary => s.self_defence_necessary |= &e.by == injured,
                ComplianceKind::SelfDefenceProportionate => s.self_defence_proportionate |= &e.by == injured,
                ComplianceKind::ArmedAttackOngoingOrImminent => s.armed_attack_ongoing_or_imminent |= &e.by == injured,
                ComplianceKind::ReportedToSecurityCouncil => s.reported_to_security_council |= &e.by == injured,
            }
        }
        s
    }

    pub fn holds(&self, k: ComplianceKind) -> bool {
        match k {
            ComplianceKind::CallToComply => self.called_to_comply,
            ComplianceKind::WrongfulActCeased => self.wrongful_act_ceased,
            ComplianceKind::DisputeBeforeTribunal => self.dispute_before_tribunal,
            ComplianceKind::ResponsibleStateComplied => self.responsible_state_complied,
            ComplianceKind::SelfDefenceNecessary => self.self_defence_necessary,
            ComplianceKind::SelfDefenceProportionate => self.self_defence_proportionate,
            ComplianceKind::ArmedAttackOngoingOrImminent => self.armed_attack_ongoing_or_imminent,
            ComplianceKind::ReportedToSecurityCouncil => self.reported_to_security_council,
        }
    }

    /// The first of `rung`'s lift conditions that holds, in the file's words: the
    /// conditions the law sets for its basis first (they hold whatever an instance's
    /// ladder says), then the ladder's own.
    pub fn met_lift_condition(&self, rung: &Rung) -> Option<String> {
        rung.basis
            .legal_lift_when()
            .iter()
            .map(|all| all.to_vec())
            .chain(rung.lift_when.iter().cloned())
            .find(|all| all.iter().all(|k| self.holds(*k)))
            .map(|all| all.iter().map(|k| k.label()).collect::<Vec<_>>().join(" and "))
    }
}

/// A measure whose lift condition is met.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LiftDue {
    /// The condition met, e.g. `responsible_state_complied`.
    pub condition: String,
    /// Whether the law requires lifting (countermeasures: ILC arts. 52(3), 53), not only
    /// this instance's policy.
    pub binding: bool,
    /// Set when the responding state recorded why it keeps the measure anyway.
    pub kept_because: Option<String>,
    pub cites: &'static str,
    /// What the law asks: `lifted`, or only `suspended` while a binding forum is seized of
    /// a dispute over an act that has ceased (ILC art. 52(3)).
    pub action: &'static str,
}

/// Whether `measure` is due to be lifted: it is in force (notified, enacted or suspended)
/// and one of its rung's lift conditions is met.
pub fn lift_due(measure: &Measure, rung: &Rung, situation: &Situation) -> Option<LiftDue> {
    if matches!(measure.state, MeasureState::Proposed | MeasureState::Lifted) {
        return None;
    }
    let condition = situation.met_lift_condition(rung)?;
    let binding = rung.lift_is_binding();
    let cites = if !binding {
        "this instance's ladder"
    } else if rung.basis == LegalBasis::SelfDefence {
        "UN Charter art. 51 (necessity and immediacy)"
    } else if situation.responsible_state_complied {
        "ILC Articles, art. 53"
    } else {
        "ILC Articles, art. 52(3)"
    };
    // Art. 52(3) suspends a countermeasure while the tribunal sits; compliance ends it.
    let action = if binding && rung.basis == LegalBasis::Countermeasure && !situation.responsible_state_complied { "suspended" } else { "lifted" };
    // Suspended already, it has done what art. 52(3) asks: nothing is due.
    if action == "suspended" && measure.state == MeasureState::Suspended {
        return None;
    }
    Some(LiftDue { condition, binding, kept_because: measure.kept_despite_lift_condition.clone(), cites, action })
}

fn refuse(field: &str, value: impl std::fmt::Display, rule: impl Into<String>) -> Invalid {
    Invalid::new(field, value, rule)
}

/// Checks a move of `measure` to `to` by `actor`, and returns the measure after it.
/// `at` is the time of the move (UTC, RFC 3339).
pub fn transition(measure: &Measure, rung: &Rung, situation: &Situation, actor: &PartyId, to: MeasureState, note: &str, at: &str) -> Result<Measure, Invalid> {
    use MeasureState::*;
    if actor != &measure.by {
        return Err(refuse("--as", actor, format!("only {} moves its own measure", measure.by)));
    }
    if note.chars().count() > 2_000 {
        return Err(refuse("note", note, "must be at most 2,000 characters"));
    }
    let from = measure.state;
    let allowed = matches!(
        (from, to),
        (Proposed, Notified) | (Proposed, Enacted) | (Notified, Enacted) | (Enacted, Suspended) | (Suspended, Enacted) | (Proposed | Notified | Enacted | Suspended, Lifted)
    );
    if !allowed {
        return Err(refuse(
            "state",
            to,
            format!("a {from} measure cannot become {to}: the lifecycle is proposed → notified → enacted ⇄ suspended → lifted, and lifted is final"),
        ));
    }
    // A measure is notified and taken in the name of the states taking it. A state named
    // by the proposer is only invited: it takes part once it has joined by its own act.
    if matches!(to, Notified | Enacted) && let Some(i) = measure.with.iter().position(|p| measure.pending().contains(&p)) {
        return Err(refuse(
            &format!("with[{i}]"),
            &measure.with[i],
            format!("{} has not answered the invitation: a state takes part in a measure by its own act of joining it, not by being named, and the measure is {to} only in the name of states that joined. Wait for it to join or decline, or withdraw the invitation (`pacta respond uninvite`, the move `uninvited`)", measure.with[i]),
        ));
    }
    // Checked here, inside the write, and not only by the planner before it: a partner may
    // leave, or be uninvited, between the two, and a collective measure notified in one
    // state's name alone is a countermeasure under another name (ILC arts. 49(1), 54).
    if matches!(to, Notified | Enacted) && rung.id == "collective_measures" && measure.partners().is_empty() {
        return Err(refuse(
            "with",
            "(none)",
            "no invited state has joined (or all have left): collective_measures are taken together with other states (ILC art. 54); a state acting alone uses countermeasures",
        ));
    }
    let countermeasure = rung.basis == LegalBasis::Countermeasure;
    if rung.lift_is_binding() && matches!(to, Notified | Enacted) && let Some(due) = lift_due(&Measure { state: Enacted, ..measure.clone() }, rung, situation) {
        return Err(refuse("state", to, format!("{}: {} — a {} measure may only be suspended or lifted now", due.cites, due.condition, rung.basis)));
    }
    if countermeasure && to == Enacted {
        if !situation.called_to_comply {
            return Err(refuse(
                "state",
                to,
                format!("ILC art. 52(1)(a): {} must first call on {} to comply (pacta respond event call_to_comply)", measure.by, measure.against),
            ));
        }
        if from == Proposed && !measure.urgent {
            return Err(refuse(
                "state",
                to,
                "ILC art. 52(1)(b): a countermeasure is notified, with an offer to negotiate, before it is enacted, unless it is urgent (art. 52(2))",
            ));
        }
    }
    let mut next = measure.clone();
    next.state = to;
    next.history.push(MeasureStep { state: to, at: at.to_string(), by: actor.clone(), note: note.to_string() });
    Ok(next)
}

/// A partner's or proposer's words on a measure: checked here, so that a refusal names the
/// `note` given rather than the record it would have gone into.
fn check_note(note: &str) -> Result<(), Invalid> {
    if note.chars().count() > 2_000 {
        return Err(refuse("note", note, "must be at most 2,000 characters"));
    }
    pacta_core::check_prose("note", note)
}

fn invited_names(measure: &Measure) -> String {
    if measure.with.is_empty() { "none".to_string() } else { measure.with.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ") }
}

/// `actor`, one of the states the measure was proposed with, joins it: its own act of
/// taking part (for collective measures, ILC art. 54), with its own words. Only while the
/// measure is proposed, since the notification names the states taking it; once; and not
/// after declining.
pub fn join(measure: &Measure, actor: &PartyId, note: &str, at: &str) -> Result<Measure, Invalid> {
    if !measure.with.contains(actor) {
        return Err(refuse("--as", actor, format!("only a state invited by {} joins this measure (invited: {})", measure.by, invited_names(measure))));
    }
    if let Some(w) = measure.withdrawn.iter().find(|w| &w.party == actor) {
        return Err(refuse(
            "--as",
            actor,
            format!("{} withdrew its invitation to {actor} ({}): there is no invitation left to accept; {actor} may propose a measure of its own", measure.by, if w.note.is_empty() { "no reason given" } else { &w.note }),
        ));
    }
    if measure.has_left(actor) {
        return Err(refuse("--as", actor, format!("{actor} declined or left this measure: that is final, and {} may propose a new one", measure.by)));
    }
    if measure.has_joined(actor) {
        return Err(refuse("--as", actor, format!("{actor} has already joined this measure")));
    }
    if measure.state != MeasureState::Proposed {
        return Err(refuse("measure", measure.id, format!("the measure is {}: a state joins a measure while it is proposed, since its notification names the states taking it", measure.state)));
    }
    check_note(note)?;
    let mut next = measure.clone();
    next.joined.push(PartnerAct { party: actor.clone(), at: at.to_string(), note: note.trim().to_string() });
    Ok(next)
}

/// `actor`, one of the states the measure was proposed with, declines the invitation or
/// leaves the measure it joined: each state answers for its own part and ends it itself
/// (ILC arts. 49, 53 and 54). The measure goes on in the name of the others.
pub fn leave(measure: &Measure, actor: &PartyId, note: &str, at: &str) -> Result<Measure, Invalid> {
    if !measure.with.contains(actor) {
        return Err(refuse("--as", actor, format!("only a state invited by {} declines or leaves this measure (invited: {})", measure.by, invited_names(measure))));
    }
    if measure.invitation_withdrawn(actor) {
        return Err(refuse("--as", actor, format!("{} withdrew its invitation to {actor}: there is nothing left to decline", measure.by)));
    }
    if measure.has_left(actor) {
        return Err(refuse("--as", actor, format!("{actor} has already declined or left this measure")));
    }
    if measure.state == MeasureState::Lifted {
        return Err(refuse("measure", measure.id, "the measure is lifted: there is no part left to end"));
    }
    check_note(note)?;
    let mut next = measure.clone();
    next.left.push(PartnerAct { party: actor.clone(), at: at.to_string(), note: note.trim().to_string() });
    Ok(next)
}

/// The responding state withdraws its invitation to `invitee`, which has not answered:
/// the measure no longer waits for it, and it can no longer join. Only while the measure
/// is proposed (a notified measure has no open invitation), and with a reason, since the
/// invited state reads it.
pub fn withdraw_invitation(measure: &Measure, actor: &PartyId, invitee: &PartyId, note: &str, at: &str) -> Result<Measure, Invalid> {
    if actor != &measure.by {
        return Err(refuse("--as", actor, format!("only {}, which invited it, withdraws an invitation to its measure", measure.by)));
    }
    if !measure.with.contains(invitee) {
        return Err(refuse("invitee", invitee, format!("was not invited to this measure (invited: {})", invited_names(measure))));
    }
    if !measure.pending().contains(&invitee) {
        return Err(refuse("invitee", invitee, format!("the invitation to {invitee} is not open (its standing: {}): only an invitation not yet answered is withdrawn", measure.partner_standing(invitee))));
    }
    if measure.state != MeasureState::Proposed {
        return Err(refuse("measure", measure.id, format!("the measure is {}: invitations are open, and withdrawn, only while it is proposed", measure.state)));
    }
    if note.trim().is_empty() {
        return Err(refuse("note", note, "say why the invitation is withdrawn: the invited state reads it (and, if the measure is CLEAR, everyone)"));
    }
    check_note(note)?;
    let mut next = measure.clone();
    next.withdrawn.push(PartnerAct { party: invitee.clone(), at: at.to_string(), note: note.trim().to_string() });
    Ok(next)
}

/// Records why the responding state keeps a measure in force although a lift condition
/// is met. Refused unless the measure is enacted, a condition is met, and a reason given.
pub fn keep(measure: &Measure, rung: &Rung, situation: &Situation, actor: &PartyId, reason: &str) -> Result<Measure, Invalid> {
    if actor != &measure.by {
        return Err(refuse("--as", actor, format!("only {} decides about its own measure", measure.by)));
    }
    if measure.state != MeasureState::Enacted {
        return Err(refuse("state", measure.state, "only an enacted measure is kept in force"));
    }
    match lift_due(measure, rung, situation) {
        None => return Err(refuse("measure", measure.id, "no lift condition is met: there is nothing to override")),
        // Policy may be overridden with a logged reason; the law may not.
        Some(due) if due.binding => {
            return Err(refuse("measure", measure.id, format!("{}: {} — the law, not this instance's policy, ends a {} measure, so it cannot be kept", due.cites, due.condition, rung.basis)));
        }
        Some(_) => {}
    }
    if reason.trim().is_empty() || reason.chars().count() > 2_000 {
        return Err(refuse("reason", reason, "keeping a measure past its lift condition needs a reason of 1 to 2,000 characters"));
    }
    let mut next = measure.clone();
    next.kept_despite_lift_condition = Some(reason.trim().to_string());
    Ok(next)
}
