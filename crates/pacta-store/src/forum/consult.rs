//! Consultation requests: sending, replies, and the sweep that records reminders and
//! lapses. See the table in [`super`].

use super::{check_time, parse};
use crate::claims::{corrupt, incident_row, marking, refuse, require_party};
use crate::log::LogAppender;
use crate::write::canonical_json;
use crate::{Store, StoreError, on_pool, write_tx};
use chrono::{DateTime, Utc};
use pacta_core::{IncidentId, PartyId, Tlp};
use pacta_forum::consult::{AnswerKind, Consultation, Draft, Step};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StoredConsultation {
    pub consultation: Consultation,
    /// The entry of its latest step.
    pub log_index: u64,
}

/// What the recipient does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Acknowledge,
    Answer { answer: AnswerKind, text: String, evidence: Vec<Uuid> },
}

/// Whether `viewer` may read `c`: anyone when CLEAR; otherwise its two parties.
pub fn consultation_visible_to(c: &Consultation, viewer: Option<&PartyId>) -> bool {
    c.request.tlp == Tlp::Clear || viewer.is_some_and(|v| v == &c.request.from || v == &c.request.to)
}

/// The entry a step is logged as: the step with the request's parties and deadlines, so the
/// entry alone proves what was due and when.
fn step_record(c: &Consultation, step: &Step) -> serde_json::Value {
    let r = &c.request;
    serde_json::json!({
        "request": r.id.to_string(),
        "template": r.template.label(),
        "from": r.from.as_str(),
        "to": r.to.as_str(),
        "incident": r.incident.map(|i| i.to_string()),
        "acknowledge_by": pacta_forum::fmt_time(r.acknowledge_by),
        "answer_by": pacta_forum::fmt_time(r.answer_by),
        "step": step,
    })
}

/// Inside a write transaction holding `$log`: appends `$step` to `$before`, logs it, writes
/// the row, and makes the entry the incident's latest when the step changes what the
/// incident's consultations establish. Evaluates to the stored consultation.
macro_rules! record_step {
    ($tx:expr, $log:expr, $actor:expr, $before:expr, $step:expr) => {{
        let before: &Consultation = $before;
        let step: Step = $step;
        let after = before.with(step.clone());
        let (seq, tlp) = match before.request.incident {
            Some(id) => {
                let (seq, tlp) = incident_row!($tx, id);
                (Some(seq), tlp)
            }
            None => (None, Tlp::Clear),
        };
        let index = $log.push($actor, step.kind(), &canonical_json(&step_record(&after, &step))?, marking(tlp.max(after.request.tlp), false));
        sqlx::query("UPDATE consultations SET open = $1, body = $2, log_index = $3 WHERE id = $4")
            .bind(i64::from(after.answer().is_none()))
            .bind(canonical_json(&after)?)
            .bind(index as i64)
            .bind(after.request.id.to_string())
            .execute(&mut *$tx)
            .await?;
        if let Some(seq) = seq {
            if before.facts() != after.facts() {
                sqlx::query("UPDATE incidents SET facts_index = $1 WHERE seq = $2").bind(index as i64).bind(seq).execute(&mut *$tx).await?;
            }
        }
        StoredConsultation { consultation: after, log_index: index }
    }};
}

impl Store {
    /// `actor` (the draft's sender) sends a request at `at`.
    pub async fn send_consultation(&self, actor: &PartyId, mut draft: Draft, at: DateTime<Utc>) -> Result<StoredConsultation, StoreError> {
        if &draft.from != actor {
            return Err(refuse("--as", actor, "a party sends requests in its own name only"));
        }
        check_time(at)?;
        let backend = self.backend();
        let stored = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            require_party!(tx, "from", &draft.from);
            require_party!(tx, "to", &draft.to);
            let (seq, tlp) = match draft.incident {
                Some(id) => {
                    let (seq, tlp) = incident_row!(tx, id);
                    (Some(seq), tlp)
                }
                None => (None, Tlp::Clear),
            };
            if let Some(contact) = draft.contact {
                let row: Option<(String, i64)> = sqlx::query_as("SELECT party, active FROM contacts WHERE id = $1").bind(contact.to_string()).fetch_optional(&mut *tx).await?;
                match row {
                    Some((p, 1)) if p == draft.to.as_str() => {}
                    Some((p, 1)) => return Err(refuse("contact", contact, format!("is {p}'s contact, not the recipient's ({})", draft.to))),
                    Some(_) => return Err(refuse("contact", contact, "was withdrawn: address one of the recipient's active contacts")),
                    None => return Err(refuse("contact", contact, "unknown contact: no contact has this id")),
                }
            }
            if let Some(m) = draft.measure {
                // A measure is notified by the state taking it (ILC art. 52(1)(b)): another
                // state naming it would tip off its target, and learn that it exists. Any
                // other sender gets the answer an unknown id gets.
                let row: Option<(i64, String)> = sqlx::query_as("SELECT incident_seq, body FROM measures WHERE id = $1").bind(m.to_string()).fetch_optional(&mut *tx).await?;
                let own = match &row {
                    Some((s, body)) if Some(*s) == seq => serde_json::from_str::<pacta_core::Measure>(body).map_err(|e| corrupt("measure", e))?.by == *actor,
                    _ => false,
                };
                if !own {
                    return Err(refuse("measure", m, "is not a measure of the sender's about this request's incident"));
                }
            }
            // A request to stop and a response notification make facts of state
            // responsibility for the engine (a call to comply, ILC art. 52(1)(a); the
            // territorial state's knowledge and silence, Tallinn rules 6-7; a notification,
            // art. 52(1)(b)). Those are an injured state's acts towards another state: sent
            // by anyone else, they would let any account make the law find against a state.
            if let Some(seq) = seq
                && matches!(draft.template, pacta_forum::consult::Template::RequestToStop | pacta_forum::consult::Template::ResponseNotification)
            {
                let body: String = sqlx::query_scalar("SELECT body FROM incidents WHERE seq = $1").bind(seq).fetch_one(&mut *tx).await?;
                let incident: pacta_core::Incident = parse("incident", &body)?;
                let targets = incident.target_states();
                if !draft.from.state().is_some_and(|s| targets.contains(&s)) {
                    let named: Vec<String> = targets.iter().map(|s| s.to_string()).collect();
                    return Err(refuse(
                        "from",
                        &draft.from,
                        format!("a {} about an incident is sent by a state it injured ({}): it calls on another state to act (ILC art. 52(1))", draft.template, if named.is_empty() { "the incident names no targeted state".to_string() } else { named.join(", ") }),
                    ));
                }
                if draft.to.state().is_none() {
                    return Err(refuse("to", &draft.to, format!("a {} is addressed to a state", draft.template)));
                }
            }
            // A request names its incident, so it is marked at least as the incident is:
            // a CLEAR request about an AMBER incident would show everyone that incident's id.
            // A request is at least as confidential as its incident; marked for named
            // organisations or individuals, it would be read by neither party.
            if let Err(e) = pacta_forum::readable_by_parties("incident", tlp, "a request about it") {
                return Err(refuse("incident", draft.incident.map(|i| i.to_string()).unwrap_or_default(), format!("is TLP:{}: {}", tlp.label(), e.rule)));
            }
            draft.tlp = draft.tlp.max(tlp);
            let c = Consultation::send(draft, at)?;
            let json = canonical_json(&c)?;
            let index = log.push(actor, "consultation.sent", &json, marking(c.request.tlp, false));
            sqlx::query("INSERT INTO consultations (id, incident_seq, from_party, to_party, template, open, body, log_index) VALUES ($1, $2, $3, $4, $5, 1, $6, $7)")
                .bind(c.request.id.to_string())
                .bind(seq)
                .bind(c.request.from.to_string())
                .bind(c.request.to.to_string())
                .bind(c.request.template.label())
                .bind(json)
                .bind(index as i64)
                .execute(&mut *tx)
                .await?;
            if let Some(seq) = seq.filter(|_| !c.facts().is_empty()) {
                sqlx::query("UPDATE incidents SET facts_index = $1 WHERE seq = $2").bind(index as i64).bind(seq).execute(&mut *tx).await?;
            }
            log.flush(&mut *tx).await?;
            StoredConsultation { consultation: c, log_index: index }
        });
        Ok(stored)
    }

    /// The recipient acknowledges or answers request `id` at `at`.
    pub async fn reply_consultation(&self, actor: &PartyId, id: Uuid, reply: Reply, at: DateTime<Utc>) -> Result<StoredConsultation, StoreError> {
        check_time(at)?;
        let backend = self.backend();
        let stored = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            let body: Option<String> = sqlx::query_scalar("SELECT body FROM consultations WHERE id = $1").bind(id.to_string()).fetch_optional(&mut *tx).await?;
            let Some(body) = body else { return Err(refuse("request", id, "unknown request: no consultation request has this id")) };
            let before: Consultation = parse("consultation", &body)?;
            if !consultation_visible_to(&before, Some(actor)) {
                return Err(refuse("request", id, "unknown request: no consultation request has this id"));
            }
            let step = match reply {
                Reply::Acknowledge => before.acknowledge(actor, at)?,
                Reply::Answer { answer, text, evidence } => {
                    for (i, e) in evidence.iter().enumerate() {
                        let held: Option<String> = sqlx::query_scalar("SELECT id FROM evidence WHERE id = $1").bind(e.to_string()).fetch_optional(&mut *tx).await?;
                        if held.is_none() {
                            return Err(refuse(&format!("evidence[{i}]"), e, "unknown evidence: no artefact under custody has this id"));
                        }
                    }
                    before.reply(actor, at, answer, &text, evidence)?
                }
            };
            let stored = record_step!(tx, log, actor, &before, step);
            log.flush(&mut *tx).await?;
            stored
        });
        Ok(stored)
    }

    /// Records every reminder and lapse due at `now` on open requests, in one transaction,
    /// by `actor` (the secretariat, or whoever runs the sweep). Returns what was recorded.
    pub async fn sweep_consultations(&self, actor: &PartyId, now: DateTime<Utc>) -> Result<Vec<StoredConsultation>, StoreError> {
        check_time(now)?;
        let backend = self.backend();
        let out = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM consultations WHERE open = 1 ORDER BY id").fetch_all(&mut *tx).await?;
            let mut out = Vec::new();
            for body in bodies {
                let mut c: Consultation = parse("consultation", &body)?;
                for step in c.sweep(now) {
                    let stored = record_step!(tx, log, actor, &c, step);
                    c = stored.consultation.clone();
                    out.push(stored);
                }
            }
            log.flush(&mut *tx).await?;
            out
        });
        Ok(out)
    }

    /// One request, if `viewer` may read it.
    pub async fn get_consultation(&self, id: Uuid, viewer: Option<&PartyId>) -> Result<Option<StoredConsultation>, StoreError> {
        let row: Option<(String, i64)> = on_pool!(self, pool => sqlx::query_as("SELECT body, log_index FROM consultations WHERE id = $1").bind(id.to_string()).fetch_optional(pool).await?);
        let Some((body, index)) = row else { return Ok(None) };
        let c: Consultation = parse("consultation", &body)?;
        Ok(consultation_visible_to(&c, viewer).then_some(StoredConsultation { consultation: c, log_index: index as u64 }))
    }

    /// The requests `viewer` may read: about `incident` when given, else all, newest first.
    pub async fn consultations(&self, incident: Option<IncidentId>, viewer: Option<&PartyId>) -> Result<Vec<StoredConsultation>, StoreError> {
        Ok(self.all_consultations(incident).await?.into_iter().filter(|c| consultation_visible_to(&c.consultation, viewer)).collect())
    }

    /// Every request, unfiltered: for a shell that decides visibility itself (the server's
    /// policies), which must apply [`consultation_visible_to`]'s rule or a stricter one.
    pub async fn all_consultations(&self, incident: Option<IncidentId>) -> Result<Vec<StoredConsultation>, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(self, pool => {
            match incident {
                Some(id) => sqlx::query_as("SELECT c.body, c.log_index FROM consultations c JOIN incidents i ON i.seq = c.incident_seq WHERE i.id = $1 ORDER BY c.id DESC").bind(id.to_string()).fetch_all(pool).await?,
                None => sqlx::query_as("SELECT body, log_index FROM consultations ORDER BY id DESC").fetch_all(pool).await?,
            }
        });
        rows.into_iter().map(|(body, index)| Ok(StoredConsultation { consultation: parse("consultation", &body)?, log_index: index as u64 })).collect()
    }

    /// The facts the consultations of each incident (by `seq`) establish, for the engine.
    pub(crate) async fn consultation_facts(&self, seqs: &[i64]) -> Result<HashMap<i64, BTreeMap<String, bool>>, StoreError> {
        let mut by_seq: HashMap<i64, Vec<Consultation>> = HashMap::new();
        for (seq, body) in self.bodies_by_incident("consultations", "id", seqs).await? {
            by_seq.entry(seq).or_default().push(parse("consultation", &body)?);
        }
        Ok(by_seq.into_iter().map(|(seq, cs)| (seq, pacta_forum::consult::incident_facts(&cs))).collect())
    }
}
