//! Counts and the rates derived from them, per cell (a norm, a year, a state's role).

use crate::tally::Observation;
use pacta_core::AllegedReaction;
use serde::Serialize;
use std::collections::BTreeMap;

/// What the alleged state did when accused. `Unknown` is kept apart from `Silent`: an
/// incident nobody attributed gave the state nothing to answer, so its silence says
/// nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reaction {
    Denied,
    Acknowledged,
    Silent,
    Unknown,
}

impl From<AllegedReaction> for Reaction {
    fn from(r: AllegedReaction) -> Self {
        match r {
            AllegedReaction::Denied => Reaction::Denied,
            AllegedReaction::Acknowledged => Reaction::Acknowledged,
            AllegedReaction::Silent => Reaction::Silent,
        }
    }
}

/// How often the alleged states denied, acknowledged, stayed silent, or it is unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Reactions {
    pub denied: u64,
    pub acknowledged: u64,
    pub silent: u64,
    pub unknown: u64,
}

/// The counts of one cell and the rates the simulation and the dashboard read.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Rates {
    pub incidents: u64,
    /// Incidents a credible claim attributes to a state.
    pub attributed: u64,
    /// Incidents that drew at least one observed response.
    pub responded: u64,
    /// Incidents both attributed and responded to: the defections that were punished.
    pub punished: u64,
    /// `attributed / incidents`: the observed chance that a defection is seen.
    pub detection: Option<f64>,
    /// `punished / attributed`: the observed chance that a seen defection is punished.
    pub punishment: Option<f64>,
    /// `responded / incidents`.
    pub response: Option<f64>,
    /// Median days from the incident's start to its first attribution, over the
    /// `attribution_lag_known` incidents where both dates are known.
    pub attribution_lag_median_days: Option<f64>,
    pub attribution_lag_known: u64,
    /// Incidents per measure drawn (an incident counts once per measure).
    pub measures: BTreeMap<String, u64>,
    pub reactions: Reactions,
}

/// Counts accumulated for one cell.
#[derive(Clone, Debug, Default)]
pub(crate) struct Cell {
    pub(crate) incidents: u64,
    attributed: u64,
    responded: u64,
    punished: u64,
    lags: Vec<i64>,
    measures: BTreeMap<String, u64>,
    reactions: Reactions,
}

impl Cell {
    pub(crate) fn add(&mut self, o: &Observation) {
        self.incidents += 1;
        self.attributed += o.attributed as u64;
        self.responded += o.responded as u64;
        self.punished += (o.attributed && o.responded) as u64;
        if let Some(l) = o.lag_days {
            self.lags.push(l);
        }
        for m in &o.measures {
            *self.measures.entry(m.clone()).or_default() += 1;
        }
        let r = &mut self.reactions;
        match o.reaction {
            Reaction::Denied => r.denied += 1,
            Reaction::Acknowledged => r.acknowledged += 1,
            Reaction::Silent => r.silent += 1,
            Reaction::Unknown => r.unknown += 1,
        }
    }

    pub(crate) fn rates(&self) -> Rates {
        let share = |n: u64, d: u64| if d == 0 { None } else { Some(n as f64 / d as f64) };
        Rates {
            incidents: self.incidents,
            attributed: self.attributed,
            responded: self.responded,
            punished: self.punished,
            detection: share(self.attributed, self.incidents),
            punishment: share(self.punished, self.attributed),
            response: share(self.responded, self.incidents),
            attribution_lag_median_days: median(&self.lags),
            attribution_lag_known: self.lags.len() as u64,
            measures: self.measures.clone(),
            reactions: self.reactions,
        }
    }
}

fn median(values: &[i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] as f64 } else { (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0 })
}

/// One year's rates; `year` is `None` for undated incidents.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct YearRates {
    pub year: Option<i32>,
    #[serde(flatten)]
    pub rates: Rates,
}

/// Rates in total and per year (dated years in order, undated last).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Series {
    pub total: Rates,
    pub years: Vec<YearRates>,
}

impl Series {
    /// The rates of one year, if any incident fell in it.
    pub fn year(&self, year: i32) -> Option<&Rates> {
        self.years.iter().find(|y| y.year == Some(year)).map(|y| &y.rates)
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct SeriesCell {
    pub(crate) total: Cell,
    years: BTreeMap<Option<i32>, Cell>,
}

impl SeriesCell {
    pub(crate) fn add(&mut self, o: &Observation) {
        self.total.add(o);
        self.years.entry(o.year).or_default().add(o);
    }

    pub(crate) fn finish(&self) -> Series {
        // BTreeMap puts `None` first; undated incidents read better after the years.
        let mut years: Vec<YearRates> = self.years.iter().filter(|(y, _)| y.is_some()).map(|(y, c)| YearRates { year: *y, rates: c.rates() }).collect();
        if let Some(c) = self.years.get(&None) {
            years.push(YearRates { year: None, rates: c.rates() });
        }
        Series { total: self.total.rates(), years }
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[9, 1, 5]), Some(5.0));
        assert_eq!(median(&[10, 2, 4, 30]), Some(7.0));
    }
}
