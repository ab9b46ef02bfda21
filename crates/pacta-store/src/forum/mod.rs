//! The forum's write paths and reads: points of contact and communication checks
//! ([`contacts`]), consultation requests ([`consult`]), the roster of neutrals and dispute
//! cases ([`cases`]). `pacta-forum` decides (validation, state machines, conflicts); these
//! modules load the aggregate under the log lock, ask it, write the result and append the
//! entry, in one transaction.
//!
//! | change | write path | log entry kind |
//! |---|---|---|
//! | a party names or withdraws a contact | [`Store::name_contact`], [`Store::withdraw_contact`] | `contact.named`, `contact.withdrawn` |
//! | the secretariat schedules a check; a contact acknowledges | [`Store::schedule_ping`], [`Store::acknowledge_ping`] | `ping.scheduled`, `ping.acknowledged` |
//! | a party sends a request; the recipient acknowledges or answers | [`Store::send_consultation`], [`Store::reply_consultation`] | `consultation.sent`, `consultation.acknowledged`, `consultation.answered` |
//! | reminders and lapses fall due | [`Store::sweep_consultations`] | `consultation.reminded`, `consultation.lapsed` |
//! | the secretariat lists a neutral | [`Store::list_neutral`] | `roster.listed` |
//! | a state files a case | [`Store::file_case`] | `case.filed` |
//! | every later step of a case | [`Store::act_on_case`] | `case.filing`, `case.escalated`, `panel.appointed`, `deadline.extended`, `hearing.scheduled`, `mediation.impasse`, `case.interim_measure`, `settlement.proposed`, `case.settled`, `ruling.drafted`, `ruling.issued`, `ruling.concurred`, `remedy.reported`, `remedy.complied` |
//!
//! Invariants:
//! - **Deadlines are in the entries.** Each entry carries the deadlines in force after the
//!   step, so a receipt proves that a filing was made on time and that a deadline passed
//!   without an answer (the sweep's `consultation.lapsed`).
//! - **Times are given, not read.** Each write path takes the time of the act; the shells
//!   pass the clock. A time in the future of the store's clock is refused, so an act cannot
//!   be dated after its own log entry.
//! - **Confidentiality follows TLP.** Contacts and checks are logged as commitments
//!   (GREEN); a request or a case under its marking raised to its incidents'; a published
//!   ruling is inlined (CLEAR) whatever the case's marking.
//! - **Only the secretariat appoints, lists neutrals and schedules checks**
//!   ([`pacta_forum::SECRETARIAT`]); a neutral that seated itself would read the case.
//!   The secretariat is registered on its first act, with its `party.registered` entry.
//! - **Only an injured state's requests make facts.** A request to stop or a response
//!   notification about an incident is sent by a state the incident targets, to a state.
//! - **Facts reach the assessment.** A step that changes what an incident's consultations
//!   establish ([`pacta_forum::consult::Consultation::facts`]) becomes the incident's latest
//!   entry, so its stored assessment goes stale and is recomputed with the new facts
//!   (`assessments.rs` merges them into the engine's input).

pub mod cases;
pub mod consult;
pub mod contacts;

use crate::StoreError;
use crate::claims::refuse;
use chrono::{DateTime, Utc};

/// Inside a write transaction holding the log: registers the secretariat on its first
/// act, as an account's party is registered (`accounts.rs`), so that a fresh registry's
/// operator can schedule a check or list a neutral without creating an account first.
macro_rules! register_secretariat {
    ($tx:expr, $log:expr, $actor:expr) => {{
        if $actor.is_secretariat() {
            let known: Option<String> = sqlx::query_scalar("SELECT kind FROM parties WHERE id = $1").bind($actor.to_string()).fetch_optional(&mut *$tx).await?;
            if known.is_none() {
                sqlx::query("INSERT INTO parties (id, kind, name, state) VALUES ($1, 'organisation', 'secretariat', NULL)").bind($actor.to_string()).execute(&mut *$tx).await?;
                let record = crate::write::canonical_json(&serde_json::json!({ "party": $actor.as_str(), "kind": "organisation", "name": "secretariat" }))?;
                $log.push($actor, "party.registered", &record, pacta_core::Tlp::Clear);
            }
        }
    }};
}
pub(crate) use register_secretariat;

/// How far ahead of the store's clock a given time may be (clock skew between machines).
const SKEW: chrono::Duration = chrono::Duration::minutes(5);

/// Refuses an act dated in the future of the store's clock.
pub(crate) fn check_time(at: DateTime<Utc>) -> Result<(), StoreError> {
    if at > Utc::now() + SKEW {
        return Err(refuse("at", pacta_forum::fmt_time(at), "an act is not dated in the future: its log entry is written now"));
    }
    Ok(())
}

pub(crate) fn parse<T: serde::de::DeserializeOwned>(what: &str, body: &str) -> Result<T, StoreError> {
    serde_json::from_str(body).map_err(|e| crate::claims::corrupt(what, e))
}
