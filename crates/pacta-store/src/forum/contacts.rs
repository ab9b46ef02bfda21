//! Points of contact and communication checks. See the table in [`super`].

use super::{check_time, parse};
use crate::claims::{refuse, require_party};
use crate::log::LogAppender;
use crate::write::canonical_json;
use crate::{Store, StoreError, on_pool, write_tx};
use chrono::{DateTime, Duration, Utc};
use pacta_core::{PartyId, Tlp};
use pacta_forum::contact::{Contact, PingTest};
use uuid::Uuid;

/// Contact details are for the registry's parties, not for the public log.
const DIRECTORY_TLP: Tlp = Tlp::Green;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StoredContact {
    pub contact: Contact,
    pub active: bool,
    pub log_index: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StoredPing {
    pub test: PingTest,
    pub log_index: u64,
}

impl Store {
    /// Names (or, with the id of an existing contact, updates) one of `actor`'s contacts.
    pub async fn name_contact(&self, actor: &PartyId, contact: Contact) -> Result<StoredContact, StoreError> {
        if &contact.party != actor {
            return Err(refuse("--as", actor, "a party names its own contacts only"));
        }
        contact.validate()?;
        let backend = self.backend();
        let stored = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            require_party!(tx, "party", actor);
            let owner: Option<String> = sqlx::query_scalar("SELECT party FROM contacts WHERE id = $1").bind(contact.id.to_string()).fetch_optional(&mut *tx).await?;
            if owner.as_deref().is_some_and(|o| o != actor.as_str()) {
                return Err(refuse("id", contact.id, "is another party's contact"));
            }
            let json = canonical_json(&contact)?;
            let index = log.push(actor, "contact.named", &json, DIRECTORY_TLP);
            sqlx::query(
                "INSERT INTO contacts (id, party, role, active, body, log_index) VALUES ($1, $2, $3, 1, $4, $5) \
                 ON CONFLICT (id) DO UPDATE SET role = excluded.role, active = 1, body = excluded.body, log_index = excluded.log_index",
            )
            .bind(contact.id.to_string())
            .bind(actor.to_string())
            .bind(contact.role.label())
            .bind(json)
            .bind(index as i64)
            .execute(&mut *tx)
            .await?;
            log.flush(&mut *tx).await?;
            StoredContact { contact, active: true, log_index: index }
        });
        Ok(stored)
    }

    /// Withdraws one of `actor`'s contacts. It stays on record; checks no longer go to it.
    pub async fn withdraw_contact(&self, actor: &PartyId, id: Uuid) -> Result<u64, StoreError> {
        let backend = self.backend();
        let index = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            let row: Option<(String, i64)> = sqlx::query_as("SELECT party, active FROM contacts WHERE id = $1").bind(id.to_string()).fetch_optional(&mut *tx).await?;
            match row {
                None => return Err(refuse("contact", id, "unknown contact: no contact has this id")),
                Some((p, _)) if p != actor.as_str() => return Err(refuse("--as", actor, format!("the contact is {p}'s: a party withdraws its own contacts only"))),
                Some((_, 0)) => return Err(refuse("contact", id, "is already withdrawn")),
                Some(_) => {}
            }
            let record = serde_json::json!({ "contact": id.to_string(), "party": actor.as_str() }).to_string();
            let index = log.push(actor, "contact.withdrawn", &record, DIRECTORY_TLP);
            sqlx::query("UPDATE contacts SET active = 0, log_index = $1 WHERE id = $2").bind(index as i64).bind(id.to_string()).execute(&mut *tx).await?;
            log.flush(&mut *tx).await?;
            index
        });
        Ok(index)
    }

    /// The contacts of `party` (every party's when `None`), active ones only unless `all`.
    pub async fn contacts(&self, party: Option<&PartyId>, all: bool) -> Result<Vec<StoredContact>, StoreError> {
        let rows: Vec<(String, i64, i64)> = on_pool!(self, pool => {
            match party {
                Some(p) => sqlx::query_as("SELECT body, active, log_index FROM contacts WHERE party = $1 ORDER BY party, id").bind(p.to_string()).fetch_all(pool).await?,
                None => sqlx::query_as("SELECT body, active, log_index FROM contacts ORDER BY party, id").fetch_all(pool).await?,
            }
        });
        rows.into_iter()
            .filter(|(_, active, _)| all || *active == 1)
            .map(|(body, active, log_index)| Ok(StoredContact { contact: parse("contact", &body)?, active: active == 1, log_index: log_index as u64 }))
            .collect()
    }

    /// Schedules a communication check of every active contact of `parties` (of every
    /// party when empty), sent at `at`, to be acknowledged within `window`.
    pub async fn schedule_ping(&self, actor: &PartyId, parties: &[PartyId], at: DateTime<Utc>, window: Duration) -> Result<StoredPing, StoreError> {
        // A check counts against the parties that miss it: a state scheduling five-minute
        // checks of another would push that state's reachability down at will.
        if !actor.is_secretariat() {
            return Err(refuse("--as", actor, format!("communication checks are scheduled by the secretariat ({})", pacta_forum::SECRETARIAT)));
        }
        check_time(at)?;
        let backend = self.backend();
        let stored = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            super::register_secretariat!(tx, log, actor);
            require_party!(tx, "--as", actor);
            let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM contacts WHERE active = 1 ORDER BY party, id").fetch_all(&mut *tx).await?;
            let mut contacts = Vec::new();
            for b in bodies {
                let c: Contact = parse("contact", &b)?;
                if parties.is_empty() || parties.contains(&c.party) {
                    contacts.push(c);
                }
            }
            for p in parties {
                if !contacts.iter().any(|c| &c.party == p) {
                    return Err(refuse("party", p, "has named no active contact to check (pacta contact add)"));
                }
            }
            let test = PingTest::schedule(actor.clone(), &contacts, at, window)?;
            let json = canonical_json(&test)?;
            let index = log.push(actor, "ping.scheduled", &json, DIRECTORY_TLP);
            sqlx::query("INSERT INTO ping_tests (id, sent_at, body, log_index) VALUES ($1, $2, $3, $4)")
                .bind(test.id.to_string())
                .bind(pacta_forum::fmt_time(at))
                .bind(json)
                .bind(index as i64)
                .execute(&mut *tx)
                .await?;
            log.flush(&mut *tx).await?;
            StoredPing { test, log_index: index }
        });
        Ok(stored)
    }

    /// `actor` acknowledges check `ping` for its contact `contact`, at `at`. The entry
    /// carries the deadline and whether the acknowledgement was late.
    pub async fn acknowledge_ping(&self, actor: &PartyId, ping: Uuid, contact: Uuid, at: DateTime<Utc>) -> Result<StoredPing, StoreError> {
        check_time(at)?;
        let backend = self.backend();
        let stored = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            let body: Option<String> = sqlx::query_scalar("SELECT body FROM ping_tests WHERE id = $1").bind(ping.to_string()).fetch_optional(&mut *tx).await?;
            let Some(body) = body else { return Err(refuse("ping", ping, "unknown check: no communication check has this id")) };
            let before: PingTest = parse("ping test", &body)?;
            let test = before.acknowledge(actor, contact, at)?;
            let record = serde_json::json!({
                "ping": ping.to_string(),
                "contact": contact.to_string(),
                "party": actor.as_str(),
                "at": pacta_forum::fmt_time(at),
                "due": pacta_forum::fmt_time(test.due),
                "late": test.late(contact) == Some(true),
            });
            let index = log.push(actor, "ping.acknowledged", &canonical_json(&record)?, DIRECTORY_TLP);
            sqlx::query("UPDATE ping_tests SET body = $1, log_index = $2 WHERE id = $3").bind(canonical_json(&test)?).bind(index as i64).bind(ping.to_string()).execute(&mut *tx).await?;
            log.flush(&mut *tx).await?;
            StoredPing { test, log_index: index }
        });
        Ok(stored)
    }

    /// Every communication check, oldest first.
    pub async fn ping_tests(&self) -> Result<Vec<StoredPing>, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(self, pool => sqlx::query_as("SELECT body, log_index FROM ping_tests ORDER BY sent_at, id").fetch_all(pool).await?);
        rows.into_iter().map(|(b, i)| Ok(StoredPing { test: parse("ping test", &b)?, log_index: i as u64 })).collect()
    }
}
