//! State practice, computed from the registry: what states do about the norms, in counts.
//!
//! # Overview
//!
//! Every incident is assessed with the instruments (traces off). A rule whose finding is
//! *breached* or *inconsistent with norm* was **engaged** by the incident; an incident
//! whose authorship is still open is also assessed as if a foreign state organ had done
//! it, so that undetected defections count too (see [`Tally`] for why). For each rule,
//! each year and in total, the crate counts:
//!
//! - **detection**: the share of engaged incidents that a credible claim attributes to a
//!   state, and how fast (median days from the incident's start to the first attribution);
//! - **punishment**: the share of attributed incidents that drew an observed response, and
//!   which measures (keyed by the measure's text until responses carry ladder rungs: see
//!   [`MeasureKey`]);
//! - **reactions**: how often the alleged state denied, acknowledged or stayed silent
//!   (no recorded reaction is *silent* only once the incident is attributed, *unknown*
//!   before).
//!
//! And per state, its record as target, as alleged author, as attributor and as responder.
//! [`Practice::calibration`] turns the rates into the chance of being seen and of being
//! punished that `pacta sim axelrod --from-registry` runs the norms game with, and
//! [`render_svg`] draws a series as a chart.
//!
//! Invariant: this crate does no I/O. Records arrive one by one through [`Tally::add`]
//! (the store reads them in pages); nothing but counts is kept between records.
//!
//! # Example
//!
//! ```
//! use pacta_core::*;
//! use pacta_practice::{Options, Tally};
//!
//! let mut incident = Incident::new("Ransomware at a hospital", Tlp::Clear);
//! incident.start_date = Some(incident::parse_date("start", "2024-03-01").unwrap());
//! incident.operation_types.push(OperationType::Ransomware);
//! incident.targets.push(Target { state: Some(StateCode::parse("s", "FR").unwrap()),
//!     place: None, sector: Sector::Health, entity: None });
//!
//! let mut tally = Tally::new(pacta_norms::builtin(), Options::default()).unwrap();
//! tally.add(&IncidentRecord::new(incident));
//! let practice = tally.finish();
//! // Nobody has attributed it, yet disabling a hospital engages the norm on critical
//! // infrastructure: one undetected defection.
//! let ci = practice.norms.iter().find(|n| n.rule == "gge.13f").unwrap();
//! assert_eq!((ci.series.total.incidents, ci.series.total.attributed), (1, 0));
//! assert_eq!(ci.series.total.detection, Some(0.0));
//! let svg = pacta_practice::render_svg(&ci.series, "gge.13f");
//! assert!(svg.starts_with("<svg"));
//! ```

mod chart;
mod rates;
mod tally;

pub use chart::render_svg;
pub use rates::{Rates, Reactions, Series, YearRates};
pub use tally::{
    AttributorRecord, AuthorRecord, Filter, FilterEcho, MeasureKey, NormPractice, Options, Practice, ResponderRecord, StateRecord, Tally,
    UnknownRule, by_measure_text,
};

use serde::Serialize;
use std::fmt;

/// Rates for the norms game: the chance that a defection is seen (attributed) and that a
/// seen one is punished (drew a response), with the counts they come from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Calibration {
    /// `any norm`, or the rule id.
    pub scope: String,
    pub incidents: u64,
    pub attributed: u64,
    pub punished: u64,
    pub seen: f64,
    pub punish: f64,
}

/// Why the registry cannot calibrate the game.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CalibrationError {
    /// No counted incident engaged the scope.
    NoIncidents { scope: String },
    /// Incidents engaged it but none was attributed: the punishment rate among attributed
    /// incidents is undefined (0/0), and guessing one would hide that.
    NoneAttributed { scope: String, incidents: u64 },
}

impl fmt::Display for CalibrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalibrationError::NoIncidents { scope } => write!(f, "no incident in the registry engaged {scope}: there is no practice to calibrate from"),
            CalibrationError::NoneAttributed { scope, incidents } => write!(
                f,
                "none of the {incidents} incident(s) that engaged {scope} was attributed, so the punishment rate is undefined; pass --from-registry seen=P,punish=Q"
            ),
        }
    }
}

impl std::error::Error for CalibrationError {}

impl Practice {
    /// The observed rates for the rule the filter names, or for incidents that engaged any
    /// rule when it names none.
    pub fn calibration(&self) -> Result<Calibration, CalibrationError> {
        let (scope, total) = match &self.filter.norm {
            Some(rule) => (rule.clone(), self.norms.iter().find(|n| &n.rule == rule).map(|n| &n.series.total)),
            None => ("any norm".to_string(), Some(&self.any_norm.total)),
        };
        let Some(t) = total.filter(|t| t.incidents > 0) else { return Err(CalibrationError::NoIncidents { scope }) };
        match (t.detection, t.punishment) {
            (Some(seen), Some(punish)) => Ok(Calibration { scope, incidents: t.incidents, attributed: t.attributed, punished: t.punished, seen, punish }),
            _ => Err(CalibrationError::NoneAttributed { scope, incidents: t.incidents }),
        }
    }

    /// The practice of one rule, if any counted incident engaged it.
    pub fn norm(&self, rule: &str) -> Option<&NormPractice> {
        self.norms.iter().find(|n| n.rule == rule)
    }
}

#[cfg(test)]
mod tests;
