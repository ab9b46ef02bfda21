//! The aggregation: one pass over incident records, one [`Tally`] that each record is
//! added to, and a [`Practice`] at the end.
//!
//! A record is looked at once: what it says about attribution, response and reaction is
//! computed into an [`Observation`], and the observation is added to every cell it counts
//! in (all incidents, each norm it engaged, per year and in total, each state involved).

use crate::rates::{Cell, Rates, Reaction, Series, SeriesCell};
use pacta_core::{ActorCategory, AttributionBasis, IncidentRecord, Response, ResponseStatus, StateCode};
use pacta_norms::{AssessOptions, Instruments, Status, extract};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// How a response is grouped in the `measures` counts. Today the key is the measure as the
/// source words it ([`by_measure_text`]); once responses carry ladder rungs, pass a
/// function that returns the rung's label instead, and every count follows.
pub type MeasureKey = fn(&Response) -> String;

/// The measure in the source's own words, trimmed: the grouping until the response ladder
/// gives responses a rung. EuRepoC's lists leave a trailing ";" on some items, which would
/// otherwise split one measure into two keys.
pub fn by_measure_text(r: &Response) -> String {
    r.measure.trim().trim_end_matches(';').trim_end().to_string()
}

/// Which incidents and which norm to count. Every field narrows; `None` means "any".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Count only this rule (its id, e.g. `gge.13f`) in the per-norm series. The
    /// registry-wide and any-norm series still count every incident in range.
    pub norm: Option<String>,
    /// Only incidents this state took part in: as target, alleged author, attributor or
    /// responder; and only its own record in the per-state part.
    pub state: Option<StateCode>,
    /// First and last year (of the incident's start) counted, inclusive. With either
    /// bound set, undated incidents are left out: they cannot be placed in the range.
    pub from: Option<i32>,
    pub to: Option<i32>,
}

/// What to count and how to group measures.
#[derive(Clone, Debug)]
pub struct Options {
    pub filter: Filter,
    pub measure: MeasureKey,
}

impl Default for Options {
    fn default() -> Self {
        Options { filter: Filter::default(), measure: by_measure_text }
    }
}

/// A `--norm` that names no rule of the instruments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownRule(pub String);

impl fmt::Display for UnknownRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no rule {:?} in the instruments (rule ids look like gge.13f or tallinn.r4.sovereignty)", self.0)
    }
}

impl std::error::Error for UnknownRule {}

/// What one incident says, computed once per incident.
pub(crate) struct Observation {
    pub year: Option<i32>,
    /// A credible claim (in the engine's sense, [`extract::credible`]) names a state.
    pub attributed: bool,
    /// Days from the incident's start to the earliest dated such claim, when both dates
    /// are known and the claim is not dated before the start (a coding error).
    pub lag_days: Option<i64>,
    /// At least one observed response (a proposed one has not been taken).
    pub responded: bool,
    /// Distinct measure keys of the observed responses.
    pub measures: Vec<String>,
    pub reaction: Reaction,
}

impl Observation {
    fn of(record: &IncidentRecord, measure: MeasureKey) -> Observation {
        let i = &record.incident;
        let claims: Vec<_> = record.attributions.iter().filter(|a| a.actor_state.is_some() && extract::credible(a)).collect();
        let attributed = !claims.is_empty();
        let lag_days = match (i.start_date, claims.iter().filter_map(|a| a.date).min()) {
            (Some(start), Some(first)) if first >= start => Some((first - start).num_days()),
            _ => None,
        };
        let observed: Vec<&Response> = record.responses.iter().filter(|r| r.status == ResponseStatus::Observed).collect();
        let mut measures: Vec<String> = observed.iter().map(|r| measure(r)).collect();
        measures.sort();
        measures.dedup();
        // No recorded reaction is silence only once someone has pointed at the state: an
        // unattributed incident gave the alleged state nothing to answer.
        let reaction = match i.alleged_reaction {
            Some(r) => Reaction::from(r),
            None if attributed => Reaction::Silent,
            None => Reaction::Unknown,
        };
        Observation { year: i.year(), attributed, lag_days, responded: !observed.is_empty(), measures, reaction }
    }
}

/// One state's record, accumulated.
#[derive(Default)]
struct StateCells {
    as_target: Cell,
    author: AuthorCells,
    attributor: AttributorRecord,
    responder: ResponderRecord,
}

#[derive(Default)]
struct AuthorCells {
    cell: Cell,
    named_in_claims: u64,
    engaged_a_norm: u64,
}

/// A state's record as the author of incidents: alleged by the source or named by a claim.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AuthorRecord {
    /// Incidents in which it is alleged or named by a credible claim; `attributed` counts
    /// those in which a credible claim names some state, `reactions` its answers.
    #[serde(flatten)]
    pub rates: Rates,
    /// Incidents in which a credible claim names this state.
    pub named_in_claims: u64,
    /// Incidents that engaged at least one norm.
    pub engaged_a_norm: u64,
}

/// A state's record as an attributor (a party to attribution claims).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AttributorRecord {
    pub claims: u64,
    pub incidents: u64,
    /// Claims made jointly with other parties.
    pub joint: u64,
    /// Its claims by basis (technical_report, political_statement, ...).
    pub by_basis: BTreeMap<String, u64>,
    /// The states its claims named, by ISO code.
    pub states_named: BTreeMap<String, u64>,
}

/// A state's record as a responder.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ResponderRecord {
    /// Observed responses it took.
    pub responses: u64,
    pub incidents: u64,
    /// Responses by measure key.
    pub measures: BTreeMap<String, u64>,
}

/// One state's part in the registry's practice.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StateRecord {
    pub state: StateCode,
    pub name: &'static str,
    /// Incidents targeting it: how often they were attributed and drew a response.
    pub as_target: Rates,
    pub as_alleged_author: AuthorRecord,
    pub as_attributor: AttributorRecord,
    pub as_responder: ResponderRecord,
}

/// One rule's practice.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NormPractice {
    pub rule: String,
    pub cites: String,
    #[serde(flatten)]
    pub series: Series,
}

/// The state practice the registry shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Practice {
    /// The SHA-256 of the instruments applied ([`Instruments::version`]).
    pub instruments_version: String,
    pub filter: FilterEcho,
    /// Incidents read, and of those counted (within the filter).
    pub incidents_read: u64,
    pub incidents_counted: u64,
    /// Every counted incident, whatever the norms say.
    pub all: Series,
    /// Incidents that engaged at least one rule.
    pub any_norm: Series,
    /// Per rule that at least one incident engaged, most engaged first.
    pub norms: Vec<NormPractice>,
    /// Per state, most involved first.
    pub states: Vec<StateRecord>,
}

/// The filter, as it was applied, for the JSON output.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FilterEcho {
    pub norm: Option<String>,
    pub state: Option<StateCode>,
    pub from: Option<i32>,
    pub to: Option<i32>,
}

/// The running aggregate. Add records with [`Tally::add`] as they are read (pages from the
/// store: nothing needs to be held in memory but the counts), then [`Tally::finish`].
pub struct Tally<'a> {
    law: &'a Instruments,
    opts: Options,
    /// Rule ids and citations in the instruments' file order; cells are indexed alike.
    rules: Vec<(&'a str, &'a str)>,
    rule_index: HashMap<&'a str, usize>,
    norm_only: Option<usize>,
    read: u64,
    counted: u64,
    all: SeriesCell,
    any: SeriesCell,
    norms: Vec<SeriesCell>,
    states: BTreeMap<StateCode, StateCells>,
}

/// The facts set for the counterfactual assessment of an incident whose authorship is
/// open (see [`Tally::engaged`]).
const AS_IF_ATTRIBUTED: &str = "attributed_to_state_organ";

impl<'a> Tally<'a> {
    pub fn new(law: &'a Instruments, opts: Options) -> Result<Tally<'a>, UnknownRule> {
        let rules: Vec<(&str, &str)> = law.rules().collect();
        let rule_index: HashMap<&str, usize> = rules.iter().enumerate().map(|(k, (id, _))| (*id, k)).collect();
        let norm_only = match &opts.filter.norm {
            None => None,
            Some(n) => Some(*rule_index.get(n.trim()).ok_or_else(|| UnknownRule(n.clone()))?),
        };
        let norms = (0..rules.len()).map(|_| SeriesCell::default()).collect();
        Ok(Tally {
            law,
            opts,
            rules,
            rule_index,
            norm_only,
            read: 0,
            counted: 0,
            all: SeriesCell::default(),
            any: SeriesCell::default(),
            norms,
            states: BTreeMap::new(),
        })
    }

    /// Counts one incident with its claims and responses.
    pub fn add(&mut self, record: &IncidentRecord) {
        self.read += 1;
        let f = &self.opts.filter;
        let year = record.incident.year();
        if f.from.is_some() || f.to.is_some() {
            let Some(y) = year else { return };
            if f.from.is_some_and(|from| y < from) || f.to.is_some_and(|to| y > to) {
                return;
            }
        }
        if let Some(s) = f.state
            && !involves(record, s)
        {
            return;
        }
        self.counted += 1;
        let obs = Observation::of(record, self.opts.measure);
        let engaged = self.engaged(record);
        self.all.add(&obs);
        if !engaged.is_empty() {
            self.any.add(&obs);
        }
        for &k in &engaged {
            if self.norm_only.is_none_or(|only| only == k) {
                self.norms[k].add(&obs);
            }
        }
        self.add_states(record, &obs, !engaged.is_empty());
    }

    /// The rules (by index) this incident engaged: those the engine finds breached or
    /// inconsistent with the norm, with traces off.
    ///
    /// Most rules are breached only by conduct attributable to a state, so an incident
    /// nobody has attributed can never be found in breach. Counting only such findings
    /// would make every engaged incident an attributed one and the detection rate 1 by
    /// construction. So an incident whose authorship is open (no credible claim names a
    /// state) is also assessed as if a claim named a foreign state organ: a rule it
    /// breaches then is engaged by its conduct, and the incident counts as an undetected
    /// defection. An incident a credible claim attributes to a criminal group, another
    /// non-state group or an individual, with no state named, is assessed as it stands:
    /// the claim has answered the question of authorship. (A claim naming only a group of
    /// unknown or state-affiliated kind leaves it open.)
    fn engaged(&self, record: &IncidentRecord) -> Vec<usize> {
        let i = &record.incident;
        let none = BTreeMap::new();
        let mut out: Vec<usize> = Vec::new();
        let mut collect = |extra: &BTreeMap<String, bool>| {
            // The only extra facts passed are catalogue names (checked by a test), so
            // `case` cannot refuse them; should it ever, the incident counts as engaging
            // nothing rather than stopping the whole computation.
            let Ok(case) = extract::case(i, &record.attributions, None, extra) else { return };
            let a = self.law.assess(&case, AssessOptions { trace: false });
            for finding in &a.findings {
                if matches!(finding.status, Status::Breached | Status::InconsistentWithNorm)
                    && let Some(&k) = self.rule_index.get(finding.rule.as_str())
                    && !out.contains(&k)
                {
                    out.push(k);
                }
            }
        };
        collect(&none);
        // Open: no credible claim names a state, nor says the actor was not one.
        let open = !record.attributions.iter().any(|a| {
            extract::credible(a) && (a.actor_state.is_some() || matches!(a.actor_category, ActorCategory::NonStateGroup | ActorCategory::Criminal | ActorCategory::Individual))
        });
        if open {
            collect(&counterfactual(record));
        }
        out
    }

    fn add_states(&mut self, record: &IncidentRecord, obs: &Observation, engaged: bool) {
        let i = &record.incident;
        let only = self.opts.filter.state;
        let wanted = |s: &StateCode| only.is_none_or(|o| o == *s);
        for s in i.target_states().into_iter().filter(wanted) {
            self.states.entry(s).or_default().as_target.add(obs);
        }
        let credible: Vec<_> = record.attributions.iter().filter(|a| extract::credible(a)).collect();
        let mut authors = i.alleged_states();
        for s in credible.iter().filter_map(|a| a.actor_state) {
            if !authors.contains(&s) {
                authors.push(s);
            }
        }
        for s in authors.into_iter().filter(wanted) {
            let cells = &mut self.states.entry(s).or_default().author;
            cells.cell.add(obs);
            cells.named_in_claims += credible.iter().any(|a| a.actor_state == Some(s)) as u64;
            cells.engaged_a_norm += engaged as u64;
        }
        let mut attributors: Vec<StateCode> = Vec::new();
        for a in &record.attributions {
            for s in a.attributors.iter().filter_map(|p| p.state()).filter(wanted) {
                let rec = &mut self.states.entry(s).or_default().attributor;
                rec.claims += 1;
                rec.joint += (a.attributors.len() > 1) as u64;
                *rec.by_basis.entry(basis_label(a.basis)).or_default() += 1;
                if let Some(named) = a.actor_state {
                    *rec.states_named.entry(named.to_string()).or_default() += 1;
                }
                if !attributors.contains(&s) {
                    attributors.push(s);
                }
            }
        }
        for s in attributors {
            self.states.entry(s).or_default().attributor.incidents += 1;
        }
        let mut responders: Vec<StateCode> = Vec::new();
        for r in record.responses.iter().filter(|r| r.status == ResponseStatus::Observed) {
            if let Some(s) = r.responder.as_ref().and_then(|p| p.state()).filter(wanted) {
                let rec = &mut self.states.entry(s).or_default().responder;
                rec.responses += 1;
                *rec.measures.entry((self.opts.measure)(r)).or_default() += 1;
                if !responders.contains(&s) {
                    responders.push(s);
                }
            }
        }
        for s in responders {
            self.states.entry(s).or_default().responder.incidents += 1;
        }
    }

    /// The practice counted so far.
    pub fn finish(self) -> Practice {
        let mut norms: Vec<NormPractice> = self
            .norms
            .into_iter()
            .enumerate()
            .filter(|(_, cell)| cell.total.incidents > 0)
            .map(|(k, cell)| NormPractice { rule: self.rules[k].0.to_string(), cites: self.rules[k].1.to_string(), series: cell.finish() })
            .collect();
        norms.sort_by(|a, b| b.series.total.incidents.cmp(&a.series.total.incidents).then_with(|| a.rule.cmp(&b.rule)));
        let mut states: Vec<StateRecord> = self
            .states
            .into_iter()
            .map(|(s, c)| StateRecord {
                state: s,
                name: s.name(),
                as_target: c.as_target.rates(),
                as_alleged_author: AuthorRecord { rates: c.author.cell.rates(), named_in_claims: c.author.named_in_claims, engaged_a_norm: c.author.engaged_a_norm },
                as_attributor: c.attributor,
                as_responder: c.responder,
            })
            .collect();
        let weight = |r: &StateRecord| r.as_target.incidents + r.as_alleged_author.rates.incidents + r.as_attributor.incidents + r.as_responder.incidents;
        states.sort_by(|a, b| weight(b).cmp(&weight(a)).then_with(|| a.state.cmp(&b.state)));
        let f = self.opts.filter;
        Practice {
            instruments_version: self.law.version().to_string(),
            filter: FilterEcho { norm: f.norm, state: f.state, from: f.from, to: f.to },
            incidents_read: self.read,
            incidents_counted: self.counted,
            all: self.all.finish(),
            any_norm: self.any.finish(),
            norms,
            states,
        }
    }
}

/// Extra facts for assessing an unattributed incident as if a foreign state organ had
/// conducted it. "Foreign" means: not one of the states the source alleges, when it
/// alleges any, since an operation a state runs on its own territory engages no rule
/// between states.
fn counterfactual(record: &IncidentRecord) -> BTreeMap<String, bool> {
    let i = &record.incident;
    let mut extra = BTreeMap::from([(AS_IF_ATTRIBUTED.to_string(), true)]);
    let targets = i.target_states();
    if let Some(first) = targets.first() {
        let alleged = i.alleged_states();
        extra.insert("targets_foreign_territory".into(), targets.iter().any(|t| !alleged.contains(t)));
        // The engine takes the first targeted state's view, as `extract::case` does.
        extra.insert("perspective_is_injured_state".into(), !alleged.contains(first));
    }
    extra
}

/// Whether `s` took part in the incident in any role.
fn involves(record: &IncidentRecord, s: StateCode) -> bool {
    let i = &record.incident;
    i.target_states().contains(&s)
        || i.alleged_states().contains(&s)
        || record.attributions.iter().any(|a| a.actor_state == Some(s) || a.attributors.iter().any(|p| p.state() == Some(s)))
        || record.responses.iter().any(|r| r.responder.as_ref().and_then(|p| p.state()) == Some(s))
}

fn basis_label(b: AttributionBasis) -> String {
    b.label().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pacta_norms::extract::case;

    #[test]
    fn counterfactual_facts_are_catalogue_names() {
        let mut i = pacta_core::Incident::new("x", pacta_core::Tlp::Clear);
        i.targets.push(pacta_core::Target { state: StateCode::parse("s", "FR").ok(), place: None, sector: pacta_core::Sector::Health, entity: None });
        let r = IncidentRecord::new(i);
        let extra = counterfactual(&r);
        assert_eq!(extra.len(), 3);
        assert!(case(&r.incident, &[], None, &extra).is_ok());
    }
}
