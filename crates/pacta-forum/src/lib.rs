//! Pacta's forum: the channels states talk through before, during and after an incident,
//! and the procedure that settles what talking did not.
//!
//! - [`contact`]: points of contact (diplomatic and technical, with channels and hours),
//!   communication checks ("ping tests") and each party's measured reachability.
//! - [`consult`]: consultation requests from templates (request for information, for
//!   assistance, to stop activity from the recipient's territory, notification of a
//!   response measure, escalation red flag) with deadlines, reminders, lapses, and the
//!   facts their answers and silences give the norms engine.
//! - [`case`]: dispute cases, consultation → mediation → arbitration (or settlement at any
//!   step), with filing deadlines, extensions, hearings, interim measures, the ruling and
//!   compliance with its remedies ([`ruling`]).
//! - [`panel`]: the roster of neutrals and the conflict-of-interest check.
//! - [`precedent`]: rulings and settlements as searchable precedent, and similar cases.
//!
//! Invariant: no I/O and no clock. Every function that depends on time takes `now` (or the
//! time of the act) as a value, so the same records and the same time give the same
//! answer; the store records the acts, and an overdue state is derived, never stored.
//! Every refusal is a [`pacta_core::Invalid`] that names the rule.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use pacta_core::PartyId;
//! use pacta_forum::consult::{Consultation, Draft, Template};
//! let fr = PartyId::parse("p", "state:FR").unwrap();
//! let ru = PartyId::parse("p", "state:RU").unwrap();
//! let sent = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
//! let mut draft = Draft::new(Template::RequestToStop, fr, ru, "Stop the wiper traffic");
//! draft.incident = Some(pacta_core::IncidentId::new());
//! let c = Consultation::send(draft, sent).unwrap();
//! // Three days later nobody has answered: the request is overdue, and a lapse is due.
//! let later = sent + chrono::Duration::days(4);
//! assert!(c.status(later).is_overdue());
//! assert!(c.sweep(later).iter().any(|s| s.is_lapse()));
//! ```

pub mod case;
pub mod consult;
pub mod contact;
pub mod panel;
pub mod precedent;
pub mod ruling;

/// The forum's secretariat: the one party that keeps the roster of neutrals and
/// appoints them to cases (UNCITRAL Arbitration Rules 2013, art. 6: an appointing
/// authority that is neither party). The CLI acts as it unless told otherwise.
pub const SECRETARIAT: &str = pacta_core::party::SECRETARIAT;


pub use case::{Action, CaseRules, Deadline, DisputeCase, Filing, FilingKind, Stage};
pub use consult::{AnswerKind, Consultation, Draft, Template};
pub use contact::{Contact, ContactRole, PingTest, Reachability};
pub use panel::{Arbitrator, Conflict, Involvement, PanelRole};
pub use precedent::{Outcome, Precedent, Query};
pub use ruling::{Remedy, RemedyKind, Ruling};

use pacta_core::Invalid;

pub(crate) fn refuse(field: &str, value: impl std::fmt::Display, rule: impl Into<String>) -> Invalid {
    Invalid::new(field, value, rule)
}

/// Refuses empty or over-long text.
pub(crate) fn text(field: &str, s: &str, max: usize) -> Result<(), Invalid> {
    if s.trim().is_empty() || s.chars().count() > max {
        return Err(refuse(field, s, format!("must be 1 to {max} characters")));
    }
    // Forum text is printed to the secretariat's terminal and shown on pages: an escape
    // sequence in a case title would rewrite the screen of whoever lists the cases. Line
    // breaks and tabs are text; other control characters are refused, as on incidents.
    pacta_core::check_prose(field, s)
}

/// Refuses the markings no party could read a record between parties under. AMBER+STRICT
/// is read by the organisations it names and RED by the individuals it names; the forum's
/// records are shared with the parties, states, whose accounts are neither. So a case or
/// a request so marked would be read by no one, its own parties included. AMBER keeps it
/// to them.
pub fn readable_by_parties(field: &str, tlp: pacta_core::Tlp, what: &str) -> Result<(), Invalid> {
    use pacta_core::Tlp;
    let named = match tlp {
        Tlp::AmberStrict => "organisations",
        Tlp::Red => "individuals",
        _ => return Ok(()),
    };
    Err(refuse(field, tlp.label(), format!("TLP:{} is read by the {named} it names only, and {what} is shared with its parties, which are states: no one could read it. Mark it AMBER, read by the parties alone", tlp.label())))
}

/// How far ahead a hearing, an extension or an interim measure may be set. A date
/// further out is a slip (a year typed 2999), not a schedule.
pub(crate) const MAX_AHEAD: chrono::Duration = chrono::Duration::days(10 * 366);

/// A time as the log and the pages show it: UTC, RFC 3339, to the second.
pub fn fmt_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
