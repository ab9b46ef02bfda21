//! The incident: what happened, to whom, with what effects, allegedly by whom.
//!
//! An incident records facts and allegations. Who is *responsible* is never a field here:
//! attributions are separate claims ([`crate::attribution`]) and legal conclusions are
//! computed by the norms engine or, when they come from another coder, kept apart as an
//! [`crate::assessment::ExternalAssessment`].

use crate::error::Invalid;
use crate::ids::IncidentId;
use crate::labelled_enum;
use crate::state::StateCode;
use crate::taxonomy::*;
use crate::tlp::Tlp;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

labelled_enum! {
    /// Which data set a record came from. Kept with the record so re-imports are idempotent
    /// and every figure can be traced back to its provenance.
    pub enum Dataset ("a dataset") {
        Eurepoc = "eurepoc",
        Cfr = "cfr",
        Stix = "stix",
        Registry = "registry",
    }
}

impl Dataset {
    /// The one spelling of a record id under which the data set's record is kept.
    /// EuRepoC writes its numbers as "12" in one file and "12.0" in another (pandas'
    /// floats), and "012" is the same number; so an importer and a reader asking for
    /// `eurepoc:12.0` meet at "12". Anything that is not such a number is kept as written.
    pub fn record_key(self, id: &str) -> String {
        let id = id.trim();
        match self {
            Dataset::Eurepoc => {
                let digits = id.strip_suffix(".0").unwrap_or(id);
                match digits.parse::<u64>() {
                    Ok(n) if digits.bytes().all(|b| b.is_ascii_digit()) => n.to_string(),
                    _ => digits.to_string(),
                }
            }
            _ => id.to_string(),
        }
    }
}

/// Where an imported record came from: the data set and the record's id there.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Origin {
    pub dataset: Dataset,
    pub record_id: String,
}

/// One target of an operation. A target may be a region or an organisation rather than a
/// state ("Europe (region)", "United Nations"); then `state` is `None` and `place` says so.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub state: Option<StateCode>,
    pub place: Option<String>,
    pub sector: Sector,
    pub entity: Option<String>,
}

/// The graded effects. `None` in any field means the source does not say.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effects {
    pub disruption: Option<Disruption>,
    pub disruption_duration: Option<EffectDuration>,
    pub data_theft: Option<DataTheft>,
    pub hijacking: Option<Hijacking>,
    pub physical: Option<PhysicalEffects>,
    pub physical_duration: Option<EffectDuration>,
    /// People injured or killed as a consequence.
    pub casualties: Option<u32>,
    /// Economic loss in euro, when estimated.
    pub economic_loss_eur: Option<u64>,
    /// Third states affected beyond the targets (spill-over).
    pub spillover_states: Vec<StateCode>,
    /// Data was leaked or published (doxing, hack-and-leak).
    pub data_leaked: Option<bool>,
}

/// The alleged actor as the source names it: an allegation, not an attribution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub name: Option<String>,
    pub state: Option<StateCode>,
    pub category: ActorCategory,
}

/// The circumstances that change the applicable law.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// Whether the operation happened in the context of an armed conflict (then
    /// international humanitarian law applies alongside peacetime rules).
    pub armed_conflict: Option<bool>,
    /// Intensity of the related offline conflict on the HIIK scale 1–5, if any.
    pub conflict_intensity: Option<u8>,
    /// Whether the target state consented (consent precludes wrongfulness, ILC art. 20).
    pub consent: Option<bool>,
    /// Whether a zero-day vulnerability was used.
    pub zero_day: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub id: IncidentId,
    pub origin: Option<Origin>,
    pub title: String,
    pub description: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub operation_types: Vec<OperationType>,
    pub targets: Vec<Target>,
    pub effects: Effects,
    pub alleged_actors: Vec<Actor>,
    pub context: Context,
    pub sources: Vec<String>,
    /// What the alleged state said when accused, if anything is known.
    pub alleged_reaction: Option<AllegedReaction>,
    pub tlp: Tlp,
}

labelled_enum! {
    /// How the state alleged to be behind an incident reacted to the allegation.
    pub enum AllegedReaction ("a reaction") {
        Denied = "denied",
        Acknowledged = "acknowledged",
        Silent = "silent",
    }
}

pub const MAX_TITLE: usize = 500;
/// The longest name of a target or an actor.
pub const MAX_NAME: usize = 500;
/// The earliest date an incident may carry (see [`Incident::validate`]).
pub const EARLIEST_DATE: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");

/// A name (of a target, an actor): at most [`MAX_NAME`] characters, and prose (a name
/// is printed on pages and terminals alike).
fn check_name(field: &str, name: &str) -> Result<(), Invalid> {
    if name.chars().count() > MAX_NAME {
        return Err(Invalid::new(field, name, format!("must be at most {MAX_NAME} characters")));
    }
    crate::error::check_prose(field, name)
}
pub const MAX_DESCRIPTION: usize = 20_000;
/// An economic loss above this is a typo or an overflow, not a measurement: the world's
/// yearly output is about a tenth of it. The bound also keeps the figure exact in every
/// store (JSON numbers and 64-bit integers alike).
pub const MAX_ECONOMIC_LOSS_EUR: u64 = 1_000_000_000_000_000;

impl Incident {
    /// An incident with only the fields every incident must have; the rest unknown.
    pub fn new(title: impl Into<String>, tlp: Tlp) -> Self {
        Incident {
            id: IncidentId::new(),
            origin: None,
            title: title.into(),
            description: String::new(),
            start_date: None,
            end_date: None,
            operation_types: Vec::new(),
            targets: Vec::new(),
            effects: Effects::default(),
            alleged_actors: Vec::new(),
            context: Context::default(),
            sources: Vec::new(),
            alleged_reaction: None,
            tlp,
        }
    }

    /// Checks the invariants that the types alone cannot carry. Every write path calls this
    /// before anything is written.
    pub fn validate(&self) -> Result<(), Invalid> {
        let title = self.title.trim();
        if title.is_empty() {
            return Err(Invalid::new("title", &self.title, "must not be empty"));
        }
        if self.title.chars().count() > MAX_TITLE {
            return Err(Invalid::new("title", &self.title, format!("must be at most {MAX_TITLE} characters")));
        }
        if self.description.chars().count() > MAX_DESCRIPTION {
            return Err(Invalid::new("description", &self.description, format!("must be at most {MAX_DESCRIPTION} characters")));
        }
        // PostgreSQL's text cannot hold NUL, and no other control character but line breaks
        // and tabs belongs in prose: refusing them here keeps both backends alike.
        for (field, text) in [("title", &self.title), ("description", &self.description)] {
            crate::error::check_prose(field, text)?;
        }
        if let Some(loss) = self.effects.economic_loss_eur && loss > MAX_ECONOMIC_LOSS_EUR {
            return Err(Invalid::new("effects.economic_loss_eur", loss, format!("must be at most {MAX_ECONOMIC_LOSS_EUR} (a thousand trillion euros)")));
        }
        if let (Some(start), Some(end)) = (self.start_date, self.end_date) && end < start {
            return Err(Invalid::new("end_date", end, format!("must not be before start_date {start}")));
        }
        // No cyber operation predates networked computers: a year before 1970 is a slip
        // (0000-01-01), and would lead every list sorted by date and every yearly count.
        for (field, date) in [("start_date", self.start_date), ("end_date", self.end_date)] {
            if let Some(d) = date && d < EARLIEST_DATE {
                return Err(Invalid::new(field, d, format!("must not be before {EARLIEST_DATE}: no cyber operation is older")));
            }
        }
        for (i, t) in self.targets.iter().enumerate() {
            if t.state.is_none() && t.place.as_deref().is_none_or(|p| p.trim().is_empty()) && t.entity.is_none() {
                return Err(Invalid::new(format!("targets[{i}]"), "(empty)", "a target names a state, a place or an entity"));
            }
            for (part, text) in [("place", &t.place), ("entity", &t.entity)] {
                if let Some(text) = text {
                    check_name(&format!("targets[{i}].{part}"), text)?;
                }
            }
        }
        for (i, a) in self.alleged_actors.iter().enumerate() {
            if let Some(name) = &a.name {
                check_name(&format!("alleged_actors[{i}].name"), name)?;
            }
        }
        if let Some(c) = self.context.conflict_intensity && !(1..=5).contains(&c) {
            return Err(Invalid::new("context.conflict_intensity", c, "the HIIK scale runs from 1 to 5"));
        }
        for (i, url) in self.sources.iter().enumerate() {
            validate_source(&format!("sources[{i}]"), url)?;
        }
        Ok(())
    }

    /// The states targeted, without repeats, in order of first mention.
    pub fn target_states(&self) -> Vec<StateCode> {
        let mut out: Vec<StateCode> = Vec::new();
        for s in self.targets.iter().filter_map(|t| t.state) {
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }

    /// The states alleged to be behind the operation, without repeats.
    pub fn alleged_states(&self) -> Vec<StateCode> {
        let mut out: Vec<StateCode> = Vec::new();
        for s in self.alleged_actors.iter().filter_map(|a| a.state) {
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }

    pub fn year(&self) -> Option<i32> {
        use chrono::Datelike;
        self.start_date.map(|d| d.year())
    }
}

/// Sources are web addresses (or, for a registry record, a free reference such as a
/// document symbol). What is refused is what could not be a reference at all.
fn validate_source(field: &str, s: &str) -> Result<(), Invalid> {
    if s.trim().is_empty() || s.len() > 2_000 || s.chars().any(|c| c.is_control()) {
        return Err(Invalid::new(field, s, "a source is a non-empty reference of at most 2,000 characters on one line"));
    }
    Ok(())
}

/// Parses a calendar date in ISO 8601 form (YYYY-MM-DD). The year has four digits: chrono
/// would read "20-01-13" as the year 20, which is never what a source meant.
pub fn parse_date(field: &str, s: &str) -> Result<NaiveDate, Invalid> {
    let t = s.trim();
    let four_digit_year = t.split('-').next().is_some_and(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()));
    if !four_digit_year {
        return Err(Invalid::new(field, s, "expected a date as YYYY-MM-DD, with a four-digit year"));
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| Invalid::new(field, s, "expected a date as YYYY-MM-DD"))
}

/// The latest calendar date anywhere on Earth at the instant `now`: the date in UTC+14
/// (Kiribati's Line Islands). A date is "after today" only when it is after this one, so
/// that an officer in Wellington or Apia recording something done this morning, local
/// time, is not told it is in the future because it is still yesterday in UTC.
pub fn today_anywhere(now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    (now + chrono::Duration::hours(14)).date_naive()
}

/// [`parse_date`] for the date something happened (a claim made, a compliance event):
/// it cannot be after `today`, which the caller reads from its clock.
pub fn parse_past_date(field: &str, s: &str, today: NaiveDate) -> Result<NaiveDate, Invalid> {
    let d = parse_date(field, s)?;
    if d > today {
        return Err(Invalid::new(field, s, format!("is after today ({today}): it records what has happened")));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fr() -> StateCode {
        StateCode::parse("s", "FR").unwrap()
    }

    #[test]
    fn today_is_the_date_somewhere_on_earth() {
        use chrono::TimeZone;
        // 20:00 UTC on 23 November is already 24 November in Auckland and Kiritimati.
        let evening = chrono::Utc.with_ymd_and_hms(2026, 11, 23, 20, 0, 0).unwrap();
        assert_eq!(today_anywhere(evening), NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
        let morning = chrono::Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        assert_eq!(today_anywhere(morning), NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
    }

    #[test]
    fn a_date_of_something_that_happened_is_not_after_today() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(parse_past_date("--date", "2026-11-23", today).unwrap(), today);
        let e = parse_past_date("--date", "2999-01-01", today).unwrap_err();
        assert!(e.field == "--date" && e.rule.contains("after today"), "{e}");
    }

    #[test]
    fn an_incident_needs_a_title_and_coherent_dates() {
        let mut i = Incident::new("Grid outage", Tlp::Clear);
        assert!(i.validate().is_ok());
        i.start_date = Some(parse_date("start_date", "2024-03-02").unwrap());
        i.end_date = Some(parse_date("end_date", "2024-03-01").unwrap());
        let err = i.validate().unwrap_err();
        assert_eq!(err.field, "end_date");
        assert_eq!(err.value, "2024-03-01");
        i.end_date = None;
        i.title = "  ".into();
        assert_eq!(i.validate().unwrap_err().field, "title");
    }

    #[test]
    fn a_target_must_name_something() {
        let mut i = Incident::new("x", Tlp::Green);
        i.targets.push(Target { state: Some(fr()), place: None, sector: Sector::Energy, entity: None });
        i.targets.push(Target { state: None, place: None, sector: Sector::Media, entity: None });
        assert_eq!(i.validate().unwrap_err().field, "targets[1]");
    }

    #[test]
    fn dates_name_the_field_when_they_do_not_parse() {
        let err = parse_date("start_date", "1/20/2022").unwrap_err();
        assert_eq!((err.field.as_str(), err.value.as_str()), ("start_date", "1/20/2022"));
    }
}
