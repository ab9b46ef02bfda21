//! Consultation requests between parties, from templates, with deadlines.
//!
//! ```text
//! sent ──▶ acknowledged ──▶ answered
//!   │            │
//!   └────────────┴──▶ overdue (derived from the deadlines and `now`; a lapse is recorded
//!                     by the sweep, and a late answer is still taken, marked late)
//! ```
//!
//! Each template has a legal meaning and default deadlines ([`Template`]). Answers and
//! silences become facts of the norms engine ([`Consultation::facts`], [`incident_facts`]):
//! these are facts about the record, read only from recorded steps — an answer, or a lapse
//! the sweep recorded once a deadline passed — so an assessment computed from the log is
//! reproducible without knowing when it was computed.

use crate::{fmt_time, refuse, text};
use chrono::{DateTime, Duration, Utc};
use pacta_core::{IncidentId, Invalid, PartyId, ResponseId, Tlp, labelled_enum};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

labelled_enum! {
    /// The kinds of request the forum knows.
    pub enum Template ("a consultation template") {
        /// Asks for information about an incident (GGE 2015 norm 13(d); OSCE CBM 3).
        RequestForInformation = "request_for_information",
        /// Asks for help to mitigate an incident (GGE 2015 norm 13(h)).
        RequestForAssistance = "request_for_assistance",
        /// Asks the recipient to stop activity from its territory: the due-diligence
        /// request (GGE 2015 norm 13(c) and (h); Tallinn Manual 2.0 rules 6-7).
        RequestToStop = "request_to_stop",
        /// Notifies a response measure, with or without an offer to negotiate (ILC art. 52(1)(b)).
        ResponseNotification = "response_notification",
        /// Signals imminent escalation and asks for urgent consultations (OSCE CBM 3 and 8).
        RedFlag = "red_flag",
    }
}

impl Template {
    pub fn title(self) -> &'static str {
        match self {
            Template::RequestForInformation => "Request for information",
            Template::RequestForAssistance => "Request for assistance",
            Template::RequestToStop => "Request to stop activity from your territory",
            Template::ResponseNotification => "Notification of a response measure",
            Template::RedFlag => "Escalation red flag",
        }
    }

    /// What sending it means in law, in one paragraph with the citation.
    pub fn meaning(self) -> &'static str {
        match self {
            Template::RequestForInformation => {
                "States should cooperate to exchange information on ICT incidents (UN GGE 2015, A/70/174, para. 13(d)) and provide, through their points of contact, information about incidents that may give rise to tension (OSCE CBM 3). A refusal is recorded as cooperation refused; silence past the deadline as a consultation request unanswered."
            }
            Template::RequestForAssistance => {
                "States should respond to appropriate requests for assistance by another state whose critical infrastructure is subject to malicious ICT acts (A/70/174, para. 13(h)). A refusal is recorded as cooperation refused; silence as a consultation request unanswered."
            }
            Template::RequestToStop => {
                "Puts the recipient on notice that its territory is being used for an operation against the sender, and asks it to take the feasible measures to end it (A/70/174, para. 13(c) and (h); Tallinn Manual 2.0, rules 6-7). Once acknowledged the recipient knows of the activity; left unanswered past the deadline it is the unanswered request to stop the due-diligence rules read. Sending it is also a call to comply (ILC art. 52(1)(a))."
            }
            Template::ResponseNotification => {
                "Notifies the responsible state of a decision to take a response measure. With an offer to negotiate it discharges the injured state's duty under ILC art. 52(1)(b) before countermeasures."
            }
            Template::RedFlag => {
                "Signals that the sender sees a risk of imminent escalation and asks for urgent consultations to reduce the risk of misperception (OSCE CBM 3 and 8, PC.DEC/1106 and 1202). Silence past the deadline is a consultation request unanswered."
            }
        }
    }

    /// The default time to acknowledge and to answer.
    pub fn default_deadlines(self) -> (Duration, Duration) {
        match self {
            Template::RequestForInformation => (Duration::hours(24), Duration::days(7)),
            Template::RequestForAssistance => (Duration::hours(12), Duration::hours(72)),
            Template::RequestToStop => (Duration::hours(24), Duration::hours(72)),
            Template::ResponseNotification => (Duration::hours(48), Duration::days(14)),
            Template::RedFlag => (Duration::hours(2), Duration::hours(24)),
        }
    }

    /// Whether the template is about an incident and must name one.
    pub fn needs_incident(self) -> bool {
        matches!(self, Template::RequestToStop | Template::ResponseNotification)
    }
}

labelled_enum! {
    /// How the recipient answers.
    pub enum AnswerKind ("an answer") {
        /// It does what was asked (gives the information or assistance, stops the
        /// activity, accepts to negotiate).
        Granted = "granted",
        /// It does part of what was asked.
        Partly = "partly",
        /// It declines.
        Refused = "refused",
    }
}

/// A request as the sender writes it; deadlines default to the template's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    pub template: Template,
    pub from: PartyId,
    pub to: PartyId,
    pub incident: Option<IncidentId>,
    /// The contact it is addressed to, from the recipient's directory entries.
    pub contact: Option<Uuid>,
    pub subject: String,
    pub body: String,
    /// For a notification: the measure notified and whether negotiation is offered.
    pub measure: Option<ResponseId>,
    pub offer_to_negotiate: bool,
    pub tlp: Tlp,
    pub acknowledge_within: Option<Duration>,
    pub answer_within: Option<Duration>,
}

impl Draft {
    pub fn new(template: Template, from: PartyId, to: PartyId, subject: &str) -> Draft {
        Draft {
            template,
            from,
            to,
            incident: None,
            contact: None,
            subject: subject.to_string(),
            body: String::new(),
            measure: None,
            offer_to_negotiate: false,
            tlp: Tlp::Amber,
            acknowledge_within: None,
            answer_within: None,
        }
    }
}

/// A sent request; fixed once sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub id: Uuid,
    pub template: Template,
    pub from: PartyId,
    pub to: PartyId,
    pub incident: Option<IncidentId>,
    pub contact: Option<Uuid>,
    pub subject: String,
    pub body: String,
    pub measure: Option<ResponseId>,
    pub offer_to_negotiate: bool,
    pub tlp: Tlp,
    pub sent_at: DateTime<Utc>,
    pub acknowledge_by: DateTime<Utc>,
    pub answer_by: DateTime<Utc>,
}

labelled_enum! {
    /// Which deadline a reminder or lapse is about.
    pub enum Due ("a deadline") {
        Acknowledge = "acknowledge",
        Answer = "answer",
    }
}

/// One recorded step after sending.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    Acknowledged { by: PartyId, at: DateTime<Utc>, late: bool },
    Answered { by: PartyId, at: DateTime<Utc>, answer: AnswerKind, text: String, evidence: Vec<Uuid>, late: bool },
    /// Half of the answer window has passed without an answer.
    Reminded { at: DateTime<Utc>, due: Due, deadline: DateTime<Utc> },
    /// The deadline passed without the act: silence, on record.
    Lapsed { at: DateTime<Utc>, due: Due, deadline: DateTime<Utc> },
}

impl Step {
    pub fn is_lapse(&self) -> bool {
        matches!(self, Step::Lapsed { .. })
    }

    /// The log entry kind for this step.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Acknowledged { .. } => "consultation.acknowledged",
            Step::Answered { .. } => "consultation.answered",
            Step::Reminded { .. } => "consultation.reminded",
            Step::Lapsed { .. } => "consultation.lapsed",
        }
    }

    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Step::Acknowledged { at, .. } | Step::Answered { at, .. } | Step::Reminded { at, .. } | Step::Lapsed { at, .. } => *at,
        }
    }
}

/// Where a request stands at a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    Sent,
    Acknowledged,
    Answered { answer: AnswerKind, late: bool },
    /// A deadline has passed without the act it calls for.
    Overdue { due: Due },
}

impl Status {
    pub fn is_overdue(self) -> bool {
        matches!(self, Status::Overdue { .. })
    }

    pub fn label(self) -> String {
        match self {
            Status::Sent => "sent".into(),
            Status::Acknowledged => "acknowledged".into(),
            Status::Answered { answer, late: false } => format!("answered ({answer})"),
            Status::Answered { answer, late: true } => format!("answered late ({answer})"),
            Status::Overdue { due } => format!("overdue ({due})"),
        }
    }
}

/// The consultation aggregate: the request and every step since.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultation {
    pub request: Request,
    pub steps: Vec<Step>,
}

impl Consultation {
    /// Sends `draft` at `at`. Refuses what a recipient could not act on.
    pub fn send(d: Draft, at: DateTime<Utc>) -> Result<Consultation, Invalid> {
        if d.from == d.to {
            return Err(refuse("to", &d.to, "a party does not send a consultation request to itself"));
        }
        text("subject", &d.subject, 200)?;
        if d.body.chars().count() > 8_000 {
            return Err(refuse("body", &d.body, "must be at most 8,000 characters"));
        }
        pacta_core::check_prose("body", &d.body)?;
        crate::readable_by_parties("tlp", d.tlp, "a consultation request")?;
        if d.template.needs_incident() && d.incident.is_none() {
            return Err(refuse("incident", "(none)", format!("a {} is about an incident: name it", d.template)));
        }
        if d.template != Template::ResponseNotification && (d.measure.is_some() || d.offer_to_negotiate) {
            return Err(refuse("measure", d.template, "only a response notification names a measure and offers negotiation"));
        }
        let (ack, answer) = d.template.default_deadlines();
        let (ack, answer) = (d.acknowledge_within.unwrap_or(ack), d.answer_within.unwrap_or(answer));
        if ack < Duration::minutes(15) || answer > Duration::days(180) || ack > answer {
            return Err(refuse(
                "deadlines",
                format!("acknowledge within {} min, answer within {} min", ack.num_minutes(), answer.num_minutes()),
                "a recipient gets at least 15 minutes to acknowledge, no longer to acknowledge than to answer, and at most 180 days to answer",
            ));
        }
        let request = Request {
            id: Uuid::now_v7(),
            template: d.template,
            from: d.from,
            to: d.to,
            incident: d.incident,
            contact: d.contact,
            subject: d.subject.trim().to_string(),
            body: d.body,
            measure: d.measure,
            offer_to_negotiate: d.offer_to_negotiate,
            tlp: d.tlp,
            sent_at: at,
            acknowledge_by: at + ack,
            answer_by: at + answer,
        };
        Ok(Consultation { request, steps: Vec::new() })
    }

    fn acknowledged(&self) -> bool {
        self.steps.iter().any(|s| matches!(s, Step::Acknowledged { .. } | Step::Answered { .. }))
    }

    pub fn answer(&self) -> Option<(AnswerKind, bool)> {
        self.steps.iter().find_map(|s| match s {
            Step::Answered { answer, late, .. } => Some((*answer, *late)),
            _ => None,
        })
    }

    fn recorded(&self, f: impl Fn(&Step) -> bool) -> bool {
        self.steps.iter().any(f)
    }

    fn lapsed(&self, due: Due) -> bool {
        self.recorded(|s| matches!(s, Step::Lapsed { due: d, .. } if *d == due))
    }

    /// Where the request stands at `now` (derived; nothing is stored).
    pub fn status(&self, now: DateTime<Utc>) -> Status {
        if let Some((answer, late)) = self.answer() {
            return Status::Answered { answer, late };
        }
        if now > self.request.answer_by {
            return Status::Overdue { due: Due::Answer };
        }
        if self.acknowledged() {
            return Status::Acknowledged;
        }
        if now > self.request.acknowledge_by {
            return Status::Overdue { due: Due::Acknowledge };
        }
        Status::Sent
    }

    fn check_actor(&self, actor: &PartyId, at: DateTime<Utc>) -> Result<(), Invalid> {
        if actor != &self.request.to {
            return Err(refuse("--as", actor, format!("only the recipient, {}, acknowledges or answers this request", self.request.to)));
        }
        if at < self.request.sent_at {
            return Err(refuse("at", fmt_time(at), "a reply comes after the request was sent"));
        }
        Ok(())
    }

    /// The recipient acknowledges receipt. Late acknowledgements are taken and marked late.
    pub fn acknowledge(&self, actor: &PartyId, at: DateTime<Utc>) -> Result<Step, Invalid> {
        self.check_actor(actor, at)?;
        if self.acknowledged() {
            return Err(refuse("request", self.request.id, "has already been acknowledged"));
        }
        Ok(Step::Acknowledged { by: actor.clone(), at, late: at > self.request.acknowledge_by })
    }

    /// The recipient answers (which acknowledges too). Once only; a late answer is taken
    /// and marked late: silence ends, the lapse stays on record.
    pub fn reply(&self, actor: &PartyId, at: DateTime<Utc>, answer: AnswerKind, reply: &str, evidence: Vec<Uuid>) -> Result<Step, Invalid> {
        self.check_actor(actor, at)?;
        if self.answer().is_some() {
            return Err(refuse("request", self.request.id, "has already been answered"));
        }
        text("text", reply, 8_000)?;
        Ok(Step::Answered { by: actor.clone(), at, answer, text: reply.trim().to_string(), evidence, late: at > self.request.answer_by })
    }

    /// The steps due at `now` and not yet recorded: a reminder when half the answer window
    /// has passed, a lapse for each deadline passed without its act. Recording them is the
    /// store's sweep; calling this twice without recording gives the same steps.
    pub fn sweep(&self, now: DateTime<Utc>) -> Vec<Step> {
        let r = &self.request;
        let mut out = Vec::new();
        if self.answer().is_some() {
            return out;
        }
        if !self.acknowledged() && now > r.acknowledge_by && !self.lapsed(Due::Acknowledge) {
            out.push(Step::Lapsed { at: now, due: Due::Acknowledge, deadline: r.acknowledge_by });
        }
        let halfway = r.sent_at + (r.answer_by - r.sent_at) / 2;
        if now > halfway && now <= r.answer_by && !self.recorded(|s| matches!(s, Step::Reminded { .. })) {
            out.push(Step::Reminded { at: now, due: Due::Answer, deadline: r.answer_by });
        }
        if now > r.answer_by && !self.lapsed(Due::Answer) {
            out.push(Step::Lapsed { at: now, due: Due::Answer, deadline: r.answer_by });
        }
        out
    }

    /// A copy with `step` appended.
    pub fn with(&self, step: Step) -> Consultation {
        let mut next = self.clone();
        next.steps.push(step);
        next
    }

    /// The facts of the norms engine this request establishes, from recorded steps only.
    pub fn facts(&self) -> Vec<(&'static str, bool)> {
        let r = &self.request;
        let answered = self.answer().map(|(a, _)| a);
        let silent = answered.is_none() && self.lapsed(Due::Answer);
        let mut f = Vec::new();
        match r.template {
            Template::RequestToStop => {
                // Sending it calls on the recipient to cease (ILC arts. 30(a), 52(1)(a)).
                f.push(("prior_call_to_comply", true));
                if self.acknowledged() {
                    f.push(("territorial_state_knew", true));
                }
                if answered.is_some() {
                    f.push(("request_to_stop_unanswered", false));
                } else if silent {
                    f.push(("request_to_stop_unanswered", true));
                }
            }
            Template::RequestForInformation | Template::RequestForAssistance => match answered {
                Some(AnswerKind::Refused) => {
                    f.push(("cooperation_refused", true));
                    f.push(("consultation_request_unanswered", false));
                }
                Some(_) => {
                    f.push(("cooperation_refused", false));
                    f.push(("consultation_request_unanswered", false));
                }
                None if silent => f.push(("consultation_request_unanswered", true)),
                None => {}
            },
            Template::ResponseNotification => f.push(("notified_with_offer_to_negotiate", r.offer_to_negotiate)),
            Template::RedFlag => match answered {
                Some(_) => f.push(("consultation_request_unanswered", false)),
                None if silent => f.push(("consultation_request_unanswered", true)),
                None => {}
            },
        }
        f
    }
}

/// The facts an incident's consultations establish together: a fact is yes when any
/// request makes it yes (one unanswered request is enough), no when some make it no and
/// none yes, and absent (unknown to the engine) otherwise.
pub fn incident_facts<'a>(consultations: impl IntoIterator<Item = &'a Consultation>) -> BTreeMap<String, bool> {
    let mut out: BTreeMap<String, bool> = BTreeMap::new();
    for c in consultations {
        for (name, v) in c.facts() {
            *out.entry(name.to_string()).or_insert(v) |= v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn p(s: &str) -> PartyId {
        PartyId::parse("p", s).unwrap()
    }
    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 1, 12, 0, 0).unwrap()
    }
    fn stop() -> Consultation {
        let mut d = Draft::new(Template::RequestToStop, p("state:FR"), p("state:RU"), "Stop it");
        d.incident = Some(IncidentId::new());
        Consultation::send(d, t0()).unwrap()
    }

    #[test]
    fn an_unanswered_request_to_stop_becomes_a_fact_only_once_its_lapse_is_recorded() {
        let c = stop();
        assert_eq!(c.status(t0() + Duration::hours(1)), Status::Sent);
        let c = c.with(c.acknowledge(&p("state:RU"), t0() + Duration::hours(2)).unwrap());
        assert!(c.facts().contains(&("territorial_state_knew", true)));
        let mid = t0() + Duration::hours(40);
        let due = c.sweep(mid);
        assert!(matches!(due.as_slice(), [Step::Reminded { .. }]), "{due:?}");
        let c = c.with(due[0].clone());
        assert!(c.sweep(mid).is_empty(), "a reminder is recorded once");
        let later = t0() + Duration::hours(73);
        assert_eq!(c.status(later), Status::Overdue { due: Due::Answer });
        assert!(!c.facts().iter().any(|(n, _)| *n == "request_to_stop_unanswered"), "derived overdue is not yet a fact");
        let lapse = c.sweep(later);
        let c = c.with(lapse[0].clone());
        assert!(c.facts().contains(&("request_to_stop_unanswered", true)));
        // A late answer ends the silence; it is marked late.
        let c = c.with(c.reply(&p("state:RU"), later + Duration::hours(1), AnswerKind::Granted, "Stopped", vec![]).unwrap());
        assert!(c.facts().contains(&("request_to_stop_unanswered", false)));
        assert_eq!(c.status(later), Status::Answered { answer: AnswerKind::Granted, late: true });
    }

    #[test]
    fn only_the_recipient_replies_and_templates_keep_their_meaning() {
        let c = stop();
        let e = c.acknowledge(&p("state:DE"), t0()).unwrap_err();
        assert!(e.rule.contains("only the recipient"), "{e}");
        let d = Draft::new(Template::RequestToStop, p("state:FR"), p("state:RU"), "no incident");
        assert_eq!(Consultation::send(d, t0()).unwrap_err().field, "incident");
        let mut n = Draft::new(Template::ResponseNotification, p("state:FR"), p("state:RU"), "Countermeasure");
        n.incident = Some(IncidentId::new());
        n.offer_to_negotiate = true;
        let n = Consultation::send(n, t0()).unwrap();
        assert_eq!(incident_facts([&n, &c]).get("notified_with_offer_to_negotiate"), Some(&true));
        let mut rfi = Draft::new(Template::RequestForInformation, p("state:FR"), p("state:RU"), "Logs?");
        rfi.incident = None;
        let rfi = Consultation::send(rfi, t0()).unwrap();
        let rfi = rfi.with(rfi.reply(&p("state:RU"), t0() + Duration::hours(1), AnswerKind::Refused, "No", vec![]).unwrap());
        assert_eq!(incident_facts([&rfi]).get("cooperation_refused"), Some(&true));
    }

    #[test]
    fn a_request_marked_for_named_organisations_or_individuals_or_with_control_characters_in_its_body_is_refused() {
        let mut d = Draft::new(Template::RequestForInformation, p("state:FR"), p("state:RU"), "Logs?");
        d.tlp = Tlp::Red;
        let e = Consultation::send(d.clone(), t0()).unwrap_err();
        assert!(e.field == "tlp" && e.rule.contains("no one could read it"), "{e}");
        d.tlp = Tlp::AmberStrict;
        assert_eq!(Consultation::send(d.clone(), t0()).unwrap_err().field, "tlp");
        d.tlp = Tlp::Amber;
        d.body = "Please send the logs.\u{1b}[2J".into();
        assert_eq!(Consultation::send(d.clone(), t0()).unwrap_err().field, "body");
        d.body = "Please send the logs.\n\tFrom 1 to 3 March.".into();
        Consultation::send(d, t0()).unwrap();
    }
}
