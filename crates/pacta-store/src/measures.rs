//! Response measures and the compliance events of an incident's enforcement arc.
//!
//! | change | write path | log entry kind |
//! |---|---|---|
//! | a development is recorded (call to comply, cessation, tribunal, compliance) | [`Store::record_compliance`] | `compliance.call_to_comply`, … |
//! | a state proposes a measure | [`Store::propose_measure`] | `measure.proposed` |
//! | the measure moves (notified, enacted, suspended, lifted) | [`Store::move_measure`] | `measure.notified`, `measure.enacted`, … |
//! | the state keeps it in force past a lift condition | [`Store::move_measure`] | `measure.kept` |
//! | a state it was proposed with joins it | [`Store::move_measure`] | `measure.joined` |
//! | a state it was proposed with declines or leaves it | [`Store::move_measure`] | `measure.left` |
//! | the proposing state withdraws an unanswered invitation | [`Store::move_measure`] | `measure.invitation_withdrawn` |
//!
//! The store does not know the ladder: which rung a state may propose and which moves the
//! lifecycle allows are decided by `pacta-ladder`. [`Store::move_measure`] therefore takes
//! the decision as a function of the stored measure and runs it inside the write
//! transaction, on the measure as it is under the log lock: a refusal writes nothing, and
//! two concurrent moves cannot both start from the same state.
//!
//! Measures are logged under their own marking (AMBER unless the state says otherwise) or
//! the incident's, whichever is more restrictive: a planned countermeasure is not news for
//! the public log, but the log still proves when each step was taken.

use crate::claims::{corrupt, incident_row, marking, refuse, require_party};
use crate::log::LogAppender;
use crate::write::canonical_json;
use crate::{Store, StoreError, on_pool, write_tx};
use pacta_core::{ComplianceEvent, IncidentId, Invalid, Measure, MeasureState, PartyId, ResponseId, Tlp};
use sqlx::Row;

/// Inside a write transaction holding `log`: writes a validated compliance event about
/// its incident and queues its entry; evaluates to the entry's index. The one body of the
/// compliance write path, shared by [`Store::record_compliance`] and by the forum, whose
/// ruling compliance and arbitration record the same facts (`forum::cases`).
macro_rules! insert_compliance {
    ($tx:expr, $log:expr, $actor:expr, $event:expr) => {{
        let (seq, tlp) = crate::claims::incident_row!($tx, $event.incident);
        crate::claims::require_not_before_start!($tx, seq, "date", $event.date);
        let json = crate::write::canonical_json(&$event)?;
        let index = $log.push($actor, &format!("compliance.{}", $event.kind), &json, tlp);
        sqlx::query("INSERT INTO compliance_events (id, incident_seq, kind, responsible, body, log_index) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind($event.id.to_string())
            .bind(seq)
            .bind($event.kind.label())
            .bind($event.responsible.to_string())
            .bind(json)
            .bind(index as i64)
            .execute(&mut *$tx)
            .await?;
        index
    }};
}
pub(crate) use insert_compliance;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StoredCompliance {
    pub event: ComplianceEvent,
    pub log_index: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StoredMeasure {
    pub measure: Measure,
    /// The log entry of its latest change; `None` for a viewer who reads the measure as
    /// it stood at some step ([`measure_for`]), for whom that entry may be a step it may
    /// not learn of: a partner leaving, after the notification, is logged sealed, but
    /// its index and time would still tell the target that something changed.
    pub log_index: Option<u64>,
}

impl StoredMeasure {
    /// This measure as `viewer` may read it, if at all: [`measure_for`], with the log
    /// index kept only for those who read every step.
    pub fn for_viewer(self, viewer: Option<&PartyId>) -> Option<StoredMeasure> {
        let measure = measure_for(&self.measure, viewer)?;
        let log_index = self.log_index.filter(|_| reads_every_step(&self.measure, viewer));
        Some(StoredMeasure { measure, log_index })
    }
}

/// Whether `viewer` reads every step of `m` ([`measure_for`]'s first two cases).
fn reads_every_step(m: &Measure, viewer: Option<&PartyId>) -> bool {
    if m.tlp == Tlp::Clear {
        return true;
    }
    let Some(v) = viewer else { return false };
    v == &m.by || (m.with.contains(v) && (m.joined.iter().any(|a| &a.party == v) || m.pending().contains(&v)))
}

/// Whether `viewer` may read `m`: anyone when it is CLEAR, any signed-in party when GREEN
/// (TLP 2.0: the community); otherwise the states taking it or invited to, and the state
/// it is directed against once it has been notified or enacted.
pub fn measure_visible_to(m: &Measure, viewer: Option<&PartyId>) -> bool {
    if m.tlp == Tlp::Clear {
        return true;
    }
    let Some(v) = viewer else { return false };
    if m.tlp == Tlp::Green {
        return true;
    }
    // The state it is directed against learns of it from its notification (ILC art.
    // 52(1)(b)) or its effect: a plan withdrawn before either is the proposers' own.
    let announced = m.history.iter().any(|s| matches!(s.state, MeasureState::Notified | MeasureState::Enacted));
    v == &m.by || m.with.contains(v) || (v.state() == Some(m.against) && announced)
}

/// `m` as `viewer` may read it, if at all ([`measure_visible_to`]).
///
/// - A CLEAR measure is read whole by everyone: its proposer chose to publish it.
/// - The proposing state, and the states taking part or still invited, read it whole,
///   except the reasons for invitations withdrawn from others: those are between the
///   proposer and the state it uninvited. The others see that the coalition changed.
/// - A state that never took part (it declined, or its invitation was withdrawn) reads
///   the measure as it stood at that moment, with its own answer or withdrawal: what it
///   was shown when invited, nothing the others did after it was out.
/// - Anyone else reading a marked measure (the state it is directed against, once
///   notified) reads it as notified: in the name of the states taking it, without the
///   invitations still open, declined or withdrawn, nor the words of those who left.
pub fn measure_for(m: &Measure, viewer: Option<&PartyId>) -> Option<Measure> {
    if !measure_visible_to(m, viewer) {
        return None;
    }
    if m.tlp == Tlp::Clear {
        return Some(m.clone());
    }
    let v = viewer?;
    let mut seen = m.clone();
    if v != &m.by {
        for w in seen.withdrawn.iter_mut().filter(|w| &w.party != v) {
            w.note.clear();
        }
    }
    if reads_every_step(m, viewer) {
        return Some(seen);
    }
    if m.with.contains(v) {
        // Declined or uninvited: both happen only while the measure is proposed.
        let out = m.left.iter().chain(&m.withdrawn).find(|a| &a.party == v).map(|a| a.at.clone()).unwrap_or_default();
        seen.history.retain(|step| not_after(&step.at, &out));
        if seen.history.is_empty() {
            seen.history = m.history.iter().take(1).cloned().collect();
        }
        seen.state = seen.history.last().map_or(m.state, |step| step.state);
        seen.kept_despite_lift_condition = None;
        for acts in [&mut seen.joined, &mut seen.left, &mut seen.withdrawn] {
            acts.retain(|a| not_after(&a.at, &out));
        }
        return Some(seen);
    }
    seen.with = m.partners().into_iter().cloned().collect();
    seen.joined.retain(|a| seen.with.contains(&a.party));
    seen.left.clear();
    seen.withdrawn.clear();
    Some(seen)
}

/// Whether the time `at` is not after `moment` (both RFC 3339, as the write paths stamp
/// them); two stamps that do not parse are compared as text.
fn not_after(at: &str, moment: &str) -> bool {
    match (chrono::DateTime::parse_from_rfc3339(at), chrono::DateTime::parse_from_rfc3339(moment)) {
        (Ok(a), Ok(b)) => a <= b,
        _ => at <= moment,
    }
}

fn measure_kind(before: &Measure, after: &Measure) -> Option<&'static str> {
    if before.state != after.state {
        return Some(match after.state {
            MeasureState::Proposed => "measure.proposed",
            MeasureState::Notified => "measure.notified",
            MeasureState::Enacted => "measure.enacted",
            MeasureState::Suspended => "measure.suspended",
            MeasureState::Lifted => "measure.lifted",
        });
    }
    if before.joined != after.joined {
        return Some("measure.joined");
    }
    if before.left != after.left {
        return Some("measure.left");
    }
    if before.withdrawn != after.withdrawn {
        return Some("measure.invitation_withdrawn");
    }
    (before.kept_despite_lift_condition != after.kept_despite_lift_condition).then_some("measure.kept")
}

impl Store {
    /// Records a development in the enforcement arc, by `actor` (its `by`).
    pub async fn record_compliance(&self, actor: &PartyId, event: ComplianceEvent) -> Result<StoredCompliance, StoreError> {
        if &event.by != actor {
            return Err(refuse("--as", actor, "a party records developments in its own name only"));
        }
        event.validate()?;
        let backend = self.backend();
        let stored = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            require_party!(tx, "by", actor);
            // Only a state or the forum's secretariat records a development: any other
            // organisation's word would count for nothing (`Situation::of`), and on record it
            // would read as if it did.
            if actor.state().is_none() && !actor.is_secretariat() {
                return Err(refuse("by", actor, format!("a {} is recorded by a state or by the forum's secretariat ({})", event.kind, pacta_core::party::SECRETARIAT)));
            }
            let index = insert_compliance!(tx, log, actor, event);
            log.flush(&mut *tx).await?;
            StoredCompliance { event, log_index: index }
        });
        Ok(stored)
    }

    /// Records a proposed measure. The caller has checked it against the ladder and the
    /// plan (`pacta_ladder::check_proposal`); the store checks what it holds: the incident,
    /// the states taking part, and that the measure starts as proposed by `actor`.
    pub async fn propose_measure(&self, actor: &PartyId, measure: Measure) -> Result<StoredMeasure, StoreError> {
        measure.validate()?;
        if &measure.by != actor {
            return Err(refuse("--as", actor, "a state proposes measures in its own name only"));
        }
        if measure.state != MeasureState::Proposed || measure.history.len() != 1 || measure.kept_despite_lift_condition.is_some() {
            return Err(refuse("state", measure.state, "a measure starts as proposed, with one step of history"));
        }
        if let Some(a) = measure.joined.first().or(measure.left.first()).or(measure.withdrawn.first()) {
            return Err(refuse("joined", &a.party, "a measure is proposed with states invited, not joined: each joins by its own act"));
        }
        let backend = self.backend();
        let stored = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            let (seq, tlp) = incident_row!(tx, measure.incident);
            require_party!(tx, "by", &measure.by);
            for (i, p) in measure.with.iter().enumerate() {
                require_party!(tx, &format!("with[{i}]"), p);
            }
            let json = canonical_json(&measure)?;
            let index = log.push(actor, "measure.proposed", &json, marking(tlp.max(measure.tlp), false));
            sqlx::query("INSERT INTO measures (id, incident_seq, state, body, log_index) VALUES ($1, $2, $3, $4, $5)")
                .bind(measure.id.to_string())
                .bind(seq)
                .bind(measure.state.label())
                .bind(json)
                .bind(index as i64)
                .execute(&mut *tx)
                .await?;
            log.flush(&mut *tx).await?;
            StoredMeasure { measure, log_index: Some(index) }
        });
        Ok(stored)
    }

    /// Changes a measure: `decide` gets the measure as stored (read under the log lock) and
    /// returns it changed, or refuses. Its identity (incident, states, rung) cannot change;
    /// a change that changes nothing is refused.
    pub async fn move_measure(&self, actor: &PartyId, id: ResponseId, decide: impl FnOnce(&Measure) -> Result<Measure, Invalid>) -> Result<StoredMeasure, StoreError> {
        let backend = self.backend();
        let stored = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            let body: Option<String> = sqlx::query_scalar("SELECT body FROM measures WHERE id = $1").bind(id.to_string()).fetch_optional(&mut *tx).await?;
            let before: Measure = match body {
                Some(b) => serde_json::from_str(&b).map_err(|e| corrupt(format!("measure {id}"), e))?,
                None => return Err(refuse("measure", id, "unknown measure: no measure has this id")),
            };
            let after = decide(&before)?;
            after.validate()?;
            if (after.id, after.incident, &after.by, &after.with, after.against, &after.rung) != (before.id, before.incident, &before.by, &before.with, before.against, &before.rung) {
                return Err(refuse("measure", id, "a measure's incident, states and rung are fixed when it is proposed"));
            }
            // Invariant: a state joins, declines or leaves a measure by its own act. However
            // the decision was made, a change to who joined or left adds exactly one act of
            // the acting state to one list, and nothing else changes with it: no party can
            // be signed up, or signed out, by another.
            // Likewise an invitation is withdrawn only by the state that made it, one at a
            // time, and only one not yet answered (`Measure::validate`).
            let partners_changed = (after.joined != before.joined, after.left != before.left, after.withdrawn != before.withdrawn);
            if partners_changed != (false, false, false) {
                let one_more = |b: &[pacta_core::PartnerAct], a: &[pacta_core::PartnerAct]| a.len() == b.len() + 1 && a.starts_with(b);
                let by_itself = |a: &[pacta_core::PartnerAct]| a.last().is_some_and(|x| &x.party == actor);
                let one_act = match partners_changed {
                    (true, false, false) => one_more(&before.joined, &after.joined) && by_itself(&after.joined),
                    (false, true, false) => one_more(&before.left, &after.left) && by_itself(&after.left),
                    (false, false, true) => one_more(&before.withdrawn, &after.withdrawn) && actor == &before.by,
                    _ => false,
                };
                let nothing_else = Measure { joined: after.joined.clone(), left: after.left.clone(), withdrawn: after.withdrawn.clone(), ..before.clone() } == after;
                if !one_act || !nothing_else {
                    let field = if partners_changed.2 { "withdrawn" } else { "joined" };
                    return Err(refuse(field, actor, "a state joins or leaves a measure by its own act, and the proposing state withdraws only its own invitations; that changes nothing else"));
                }
            }
            let Some(kind) = measure_kind(&before, &after) else {
                return Err(refuse("measure", id, "the change changes nothing"));
            };
            let (_, tlp) = incident_row!(tx, after.incident);
            let json = canonical_json(&after)?;
            // Invariant: the entry commits to the measure as its actor reads it. A partner
            // joining or leaving does not read why others were uninvited (`measure_for`),
            // and the entry's opening is handed to it: the log holds those reasons in the
            // proposer's own entries.
            let logged = match measure_for(&after, Some(actor)) {
                Some(seen) if actor != &after.by => canonical_json(&seen)?,
                _ => json.clone(),
            };
            let index = log.push(actor, kind, &logged, marking(tlp.max(after.tlp), false));
            sqlx::query("UPDATE measures SET state = $1, body = $2, log_index = $3 WHERE id = $4")
                .bind(after.state.label())
                .bind(json)
                .bind(index as i64)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            log.flush(&mut *tx).await?;
            StoredMeasure { measure: after, log_index: Some(index) }
        });
        Ok(stored)
    }

    /// The compliance events of `incident`, in log order.
    pub async fn compliance_of(&self, incident: IncidentId) -> Result<Vec<StoredCompliance>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT c.body, c.log_index FROM compliance_events c JOIN incidents i ON i.seq = c.incident_seq WHERE i.id = $1 ORDER BY c.log_index")
                .bind(incident.to_string())
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|row| {
                    let event: ComplianceEvent = serde_json::from_str(&row.try_get::<String, _>("body")?).map_err(|e| corrupt("compliance event", e))?;
                    Ok(StoredCompliance { event, log_index: row.try_get::<i64, _>("log_index")? as u64 })
                })
                .collect()
        })
    }

    /// The measures about `incident` that `viewer` may read ([`measure_visible_to`]).
    pub async fn measures_of(&self, incident: IncidentId, viewer: Option<&PartyId>) -> Result<Vec<StoredMeasure>, StoreError> {
        let all: Vec<StoredMeasure> = on_pool!(self, pool => {
            let rows = sqlx::query("SELECT m.body, m.log_index FROM measures m JOIN incidents i ON i.seq = m.incident_seq WHERE i.id = $1 ORDER BY m.id")
                .bind(incident.to_string())
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|row| {
                    let measure: Measure = serde_json::from_str(&row.try_get::<String, _>("body")?).map_err(|e| corrupt("measure", e))?;
                    Ok(StoredMeasure { measure, log_index: Some(row.try_get::<i64, _>("log_index")? as u64) })
                })
                .collect::<Result<Vec<_>, StoreError>>()?
        });
        Ok(all.into_iter().filter_map(|m| m.for_viewer(viewer)).collect())
    }

    /// One measure, if `viewer` may read it.
    pub async fn get_measure(&self, id: ResponseId, viewer: Option<&PartyId>) -> Result<Option<StoredMeasure>, StoreError> {
        let row = on_pool!(self, pool => {
            sqlx::query("SELECT body, log_index FROM measures WHERE id = $1").bind(id.to_string()).fetch_optional(pool).await?
                .map(|row| -> Result<StoredMeasure, StoreError> {
                    let measure: Measure = serde_json::from_str(&row.try_get::<String, _>("body")?).map_err(|e| corrupt("measure", e))?;
                    Ok(StoredMeasure { measure, log_index: Some(row.try_get::<i64, _>("log_index")? as u64) })
                })
                .transpose()?
        });
        Ok(row.and_then(|m| m.for_viewer(viewer)))
    }
}
