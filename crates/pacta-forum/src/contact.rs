//! Points of contact and communication checks.
//!
//! Each party names contacts ([`Contact`]): diplomatic (a foreign-ministry desk, for
//! consultations at the political level) or technical (a national CERT, for operational
//! requests), each with the channels to reach it and the hours it is staffed. This is the
//! directory the UN points-of-contact directory (A/RES/76/19, welcoming A/76/135, para. 20)
//! and the OSCE's confidence-building measure 8 (PC.DEC/1202, 2016) keep; Pacta keeps it
//! next to the incidents, so a request names the contact it went to.
//!
//! A communication check ([`PingTest`]) is scheduled by the secretariat for a set of
//! contacts with a deadline; every contact must acknowledge. [`reachability`] measures,
//! per party and over time, how many checks it answered in full and on time and how long
//! its slowest contact took: the figure the OSCE's communication checks report.

use crate::{refuse, text};
use chrono::{DateTime, Duration, Utc};
use pacta_core::{Invalid, PartyId, labelled_enum};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

labelled_enum! {
    /// What a contact is for.
    pub enum ContactRole ("a contact role") {
        /// Policy and diplomatic level: consultations, notifications, red flags.
        Diplomatic = "diplomatic",
        /// Operational and technical level: a CERT or CSIRT.
        Technical = "technical",
    }
}

labelled_enum! {
    pub enum ChannelKind ("a channel kind") {
        Email = "email",
        Phone = "phone",
        SecurePortal = "secure_portal",
        Fax = "fax",
        Other = "other",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub kind: ChannelKind,
    pub address: String,
}

/// One point of contact of a party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: Uuid,
    pub party: PartyId,
    pub role: ContactRole,
    /// A desk or office, e.g. "Cyber desk, Ministry for Europe and Foreign Affairs".
    pub name: String,
    pub channels: Vec<Channel>,
    /// When it is staffed, in words ("24/7", "Mon-Fri 08:00-18:00 UTC").
    pub hours: String,
}

impl Contact {
    pub fn validate(&self) -> Result<(), Invalid> {
        text("name", &self.name, 200)?;
        text("hours", &self.hours, 200)?;
        if self.channels.is_empty() {
            return Err(refuse("channels", "[]", "a contact names at least one channel to reach it (kind:address)"));
        }
        for (i, c) in self.channels.iter().enumerate() {
            let field = format!("channels[{i}].address");
            text(&field, &c.address, 300)?;
            // A point of contact is there to be reached in a crisis: an address that
            // cannot be one is refused when it is named, not found out when it is needed.
            let a = c.address.trim();
            match c.kind {
                ChannelKind::Email if !a.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.') && !host.starts_with('.') && !host.ends_with('.') && !a.contains(char::is_whitespace)) => {
                    return Err(refuse(&field, a, "an email address is user@domain"));
                }
                ChannelKind::Phone | ChannelKind::Fax if !(a.chars().filter(char::is_ascii_digit).count() >= 5 && a.chars().all(|ch| ch.is_ascii_digit() || " +-().".contains(ch))) => {
                    return Err(refuse(&field, a, "a number is digits, with +, spaces, dashes or brackets"));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// One contact's part in a check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PingTarget {
    pub contact: Uuid,
    pub party: PartyId,
    /// When it acknowledged, if it has.
    pub acknowledged_at: Option<DateTime<Utc>>,
}

/// A communication check: every target contact must acknowledge by `due`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PingTest {
    pub id: Uuid,
    pub scheduled_by: PartyId,
    /// When the check message goes out.
    pub at: DateTime<Utc>,
    pub due: DateTime<Utc>,
    pub targets: Vec<PingTarget>,
}

impl PingTest {
    /// A check of `contacts`, sent at `at`, to be acknowledged within `window`.
    pub fn schedule(by: PartyId, contacts: &[Contact], at: DateTime<Utc>, window: Duration) -> Result<PingTest, Invalid> {
        if contacts.is_empty() {
            return Err(refuse("contacts", "[]", "a communication check goes to at least one named contact"));
        }
        if window < Duration::minutes(5) || window > Duration::days(14) {
            return Err(refuse("window", format!("{} min", window.num_minutes()), "a check is acknowledged within 5 minutes to 14 days"));
        }
        let targets = contacts.iter().map(|c| PingTarget { contact: c.id, party: c.party.clone(), acknowledged_at: None }).collect();
        Ok(PingTest { id: Uuid::now_v7(), scheduled_by: by, at, due: at + window, targets })
    }

    /// Records `contact`'s acknowledgement at `at`, by `actor` (the contact's party). A late
    /// acknowledgement is recorded too: lateness is what the check measures.
    pub fn acknowledge(&self, actor: &PartyId, contact: Uuid, at: DateTime<Utc>) -> Result<PingTest, Invalid> {
        let Some(i) = self.targets.iter().position(|t| t.contact == contact) else {
            return Err(refuse("contact", contact, "this contact is not among the check's targets"));
        };
        let t = &self.targets[i];
        if &t.party != actor {
            return Err(refuse("--as", actor, format!("only {} acknowledges for its own contact", t.party)));
        }
        if t.acknowledged_at.is_some() {
            return Err(refuse("contact", contact, "has already acknowledged this check"));
        }
        if at < self.at {
            return Err(refuse("at", crate::fmt_time(at), "an acknowledgement comes after the check was sent"));
        }
        let mut next = self.clone();
        next.targets[i].acknowledged_at = Some(at);
        Ok(next)
    }

    /// Whether `contact` acknowledged after the deadline (`None`: not yet / never).
    pub fn late(&self, contact: Uuid) -> Option<bool> {
        let t = self.targets.iter().find(|t| t.contact == contact)?;
        t.acknowledged_at.map(|a| a > self.due)
    }
}

/// One party's record over the checks it took part in, as of `now`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Reachability {
    pub party: String,
    /// Checks whose deadline has passed (still-open checks are not counted).
    pub checks: u32,
    /// Checks where every one of its contacts acknowledged on time.
    pub on_time: u32,
    /// Checks where a contact acknowledged late.
    pub late: u32,
    /// Checks where a contact has not acknowledged at all.
    pub missed: u32,
    /// Per check (by time), seconds until its slowest contact acknowledged; `None` when
    /// one never did.
    pub series: Vec<(DateTime<Utc>, Option<i64>)>,
    /// The median of the acknowledged times, in seconds.
    pub median_seconds: Option<i64>,
}

impl Reachability {
    /// The share of checks answered in full and on time, in percent.
    pub fn percent_on_time(&self) -> Option<u32> {
        (self.checks > 0).then(|| self.on_time * 100 / self.checks)
    }
}

/// Each party's reachability over `tests` as of `now`, ordered by party.
pub fn reachability(tests: &[PingTest], now: DateTime<Utc>) -> Vec<Reachability> {
    let mut by_party: BTreeMap<String, Reachability> = BTreeMap::new();
    let mut sorted: Vec<&PingTest> = tests.iter().collect();
    sorted.sort_by_key(|t| t.at);
    for test in sorted {
        let closed = now > test.due;
        let mut parties: BTreeMap<&str, Vec<&PingTarget>> = BTreeMap::new();
        for t in &test.targets {
            parties.entry(t.party.as_str()).or_default().push(t);
        }
        for (party, targets) in parties {
            let all_acked = targets.iter().all(|t| t.acknowledged_at.is_some());
            if !closed && !all_acked {
                continue;
            }
            let r = by_party.entry(party.to_string()).or_insert_with(|| Reachability { party: party.to_string(), ..Default::default() });
            r.checks += 1;
            let slowest = targets.iter().map(|t| t.acknowledged_at).try_fold(test.at, |m, a| a.map(|a| m.max(a)));
            match slowest {
                None => r.missed += 1,
                Some(a) if a > test.due => r.late += 1,
                Some(_) => r.on_time += 1,
            }
            r.series.push((test.at, slowest.map(|a| (a - test.at).num_seconds())));
        }
    }
    for r in by_party.values_mut() {
        let mut secs: Vec<i64> = r.series.iter().filter_map(|(_, s)| *s).collect();
        secs.sort_unstable();
        r.median_seconds = (!secs.is_empty()).then(|| secs[secs.len() / 2]);
    }
    by_party.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn p(s: &str) -> PartyId {
        PartyId::parse("p", s).unwrap()
    }
    fn contact(party: &str) -> Contact {
        Contact { id: Uuid::now_v7(), party: p(party), role: ContactRole::Technical, name: "CERT".into(), channels: vec![Channel { kind: ChannelKind::Email, address: "cert@example.org".into() }], hours: "24/7".into() }
    }

    #[test]
    fn a_channel_that_cannot_reach_anyone_is_refused_when_it_is_named() {
        let with = |kind, address: &str| Contact { channels: vec![Channel { kind, address: address.into() }], ..contact("state:FR") };
        assert!(with(ChannelKind::Email, "notanemail").validate().unwrap_err().rule.contains("user@domain"));
        assert!(with(ChannelKind::Email, "cert@localhost").validate().is_err());
        assert!(with(ChannelKind::Phone, "call me").validate().unwrap_err().rule.contains("digits"));
        with(ChannelKind::Phone, "+33 (0)1 71 75 84 68").validate().unwrap();
        with(ChannelKind::SecurePortal, "https://portal.example/cert").validate().unwrap();
    }

    #[test]
    fn a_late_party_is_measured_late_and_a_silent_one_missed() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 10, 8, 0, 0).unwrap();
        let (fr, de, it) = (contact("state:FR"), contact("state:DE"), contact("state:IT"));
        let test = PingTest::schedule(p("org:secretariat"), &[fr.clone(), de.clone(), it.clone()], t0, Duration::hours(2)).unwrap();
        let test = test.acknowledge(&p("state:FR"), fr.id, t0 + Duration::minutes(10)).unwrap();
        let test = test.acknowledge(&p("state:DE"), de.id, t0 + Duration::hours(5)).unwrap();
        assert!(test.acknowledge(&p("state:DE"), it.id, t0).is_err(), "a party acknowledges for its own contacts only");
        assert_eq!(test.late(de.id), Some(true));
        // Before the deadline the silent party is not yet counted.
        let early = reachability(std::slice::from_ref(&test), t0 + Duration::hours(1));
        assert!(early.iter().all(|r| r.party != "state:IT"));
        let r = reachability(&[test], t0 + Duration::days(1));
        let get = |s: &str| r.iter().find(|x| x.party == s).unwrap().clone();
        assert_eq!((get("state:FR").on_time, get("state:FR").median_seconds), (1, Some(600)));
        assert_eq!((get("state:DE").late, get("state:DE").median_seconds), (1, Some(5 * 3600)));
        assert_eq!((get("state:IT").missed, get("state:IT").percent_on_time()), (1, Some(0)));
    }
}
