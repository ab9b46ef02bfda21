//! Rulings and settlements as precedent: search by text, instrument, rule and outcome, and
//! the earlier cases most like a new one.
//!
//! Scoring is plain and explainable: filters are exact; text scores by the share of query
//! words found (each word counted once, title words twice); similarity is the Jaccard
//! index of the rules found and the incidents' features (operation types, sectors, target
//! and alleged states). Published rulings only; a settlement counts when its case is CLEAR.

use crate::case::{DisputeCase, Stage};
use pacta_core::{Incident, IncidentId, Tlp, labelled_enum};
use serde::Serialize;
use std::collections::BTreeSet;
use uuid::Uuid;

labelled_enum! {
    pub enum Outcome ("an outcome") {
        /// The parties settled.
        Settled = "settled",
        /// The tribunal found a breach.
        Breach = "breach",
        /// The tribunal found none.
        NoBreach = "no_breach",
    }
}

/// One decided case, as precedent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Precedent {
    pub case: Uuid,
    pub title: String,
    pub outcome: Outcome,
    /// The ruling's summary and findings, or the settlement's terms.
    pub text: String,
    pub instruments: BTreeSet<String>,
    pub rules: BTreeSet<String>,
    pub remedies: BTreeSet<String>,
    /// The incidents' features ([`incident_features`]).
    pub features: BTreeSet<String>,
    pub decided: String,
}

/// What the incidents of a case look like, for similarity.
pub fn incident_features(incidents: &[Incident]) -> BTreeSet<String> {
    let mut f = BTreeSet::new();
    for i in incidents {
        f.extend(i.operation_types.iter().map(|o| format!("op:{}", o.label())));
        f.extend(i.targets.iter().map(|t| format!("sector:{}", t.sector.label())));
        f.extend(i.target_states().iter().map(|s| format!("target:{s}")));
        f.extend(i.alleged_states().iter().map(|s| format!("alleged:{s}")));
    }
    f
}

/// The precedent a case makes, if it makes one: a published ruling, or a settlement of a
/// case marked CLEAR.
pub fn of_case(case: &DisputeCase, incidents: &[Incident]) -> Option<Precedent> {
    let features = incident_features(incidents);
    if let Some(r) = case.ruling.as_ref().filter(|r| r.published) {
        let mut text = r.summary.clone();
        for f in &r.findings {
            text.push('\n');
            text.push_str(&f.text);
        }
        return Some(Precedent {
            case: case.id,
            title: case.title.clone(),
            outcome: if r.breach_found() { Outcome::Breach } else { Outcome::NoBreach },
            text,
            instruments: r.findings.iter().filter_map(|f| f.instrument.clone()).collect(),
            rules: r.findings.iter().filter_map(|f| f.rule.clone()).collect(),
            remedies: r.remedies.iter().map(|m| m.kind.label().to_string()).collect(),
            features,
            decided: crate::fmt_time(r.at),
        });
    }
    match (&case.settlement, case.stage) {
        (Some(s), Stage::Settled) if case.tlp == Tlp::Clear => Some(Precedent {
            case: case.id,
            title: case.title.clone(),
            outcome: Outcome::Settled,
            text: s.terms.clone(),
            instruments: BTreeSet::new(),
            rules: BTreeSet::new(),
            remedies: BTreeSet::new(),
            features,
            decided: crate::fmt_time(s.accepted_at.unwrap_or(s.at)),
        }),
        _ => None,
    }
}

/// A search. Empty fields do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    pub text: String,
    pub instrument: Option<String>,
    pub rule: Option<String>,
    pub outcome: Option<Outcome>,
}

fn words(s: &str) -> BTreeSet<String> {
    s.split(|c: char| !c.is_alphanumeric() && c != '.' && c != '-')
        .map(|w| w.trim_matches(|c| c == '.' || c == '-').to_lowercase())
        .filter(|w| w.chars().count() >= 2)
        .collect()
}

/// The precedents matching `q`, best first, with their scores (1.0 when no text is asked).
pub fn search<'a>(corpus: &'a [Precedent], q: &Query) -> Vec<(f64, &'a Precedent)> {
    let asked = words(&q.text);
    let mut out: Vec<(f64, &Precedent)> = corpus
        .iter()
        .filter(|p| q.instrument.as_ref().is_none_or(|i| p.instruments.contains(i)))
        .filter(|p| q.rule.as_ref().is_none_or(|r| p.rules.contains(r)))
        .filter(|p| q.outcome.is_none_or(|o| p.outcome == o))
        .filter_map(|p| {
            if asked.is_empty() {
                return Some((1.0, p));
            }
            let body = words(&p.text);
            let title = words(&p.title);
            let tags: BTreeSet<String> = p.rules.iter().chain(&p.instruments).chain(&p.remedies).map(|s| s.to_lowercase()).collect();
            let hits: f64 = asked.iter().map(|w| if title.contains(w) { 2.0 } else if body.contains(w) || tags.contains(w) { 1.0 } else { 0.0 }).sum();
            (hits > 0.0).then(|| (hits / (2.0 * asked.len() as f64), p))
        })
        .collect();
    out.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| b.1.decided.cmp(&a.1.decided)));
    out
}

/// The earlier cases most like one with `rules` and `features`, best first; those sharing
/// nothing are left out.
pub fn similar<'a>(corpus: &'a [Precedent], rules: &BTreeSet<String>, features: &BTreeSet<String>, exclude: Option<Uuid>, limit: usize) -> Vec<(f64, &'a Precedent)> {
    let mine: BTreeSet<String> = rules.iter().map(|r| format!("rule:{r}")).chain(features.iter().cloned()).collect();
    let mut out: Vec<(f64, &Precedent)> = corpus
        .iter()
        .filter(|p| Some(p.case) != exclude)
        .filter_map(|p| {
            let theirs: BTreeSet<String> = p.rules.iter().map(|r| format!("rule:{r}")).chain(p.features.iter().cloned()).collect();
            let shared = mine.intersection(&theirs).count();
            let union = mine.union(&theirs).count();
            (shared > 0).then(|| (shared as f64 / union as f64, p))
        })
        .collect();
    out.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| b.1.decided.cmp(&a.1.decided)));
    out.truncate(limit);
    out
}

/// The decided cases that make precedent, each with the incidents its case is about (which
/// stay here: a precedent is public, the incidents of its case need not be).
#[derive(Clone, Debug, Default)]
pub struct Corpus {
    precedents: Vec<Precedent>,
    /// `about[i]`: the incidents of `precedents[i]`'s case.
    about: Vec<BTreeSet<IncidentId>>,
}

impl Corpus {
    /// Adds `case` if it makes precedent ([`of_case`]); `incidents` are the ones it is about.
    pub fn add(&mut self, case: &DisputeCase, incidents: &[Incident]) {
        if let Some(p) = of_case(case, incidents) {
            self.precedents.push(p);
            self.about.push(case.incidents.iter().copied().collect());
        }
    }

    pub fn precedents(&self) -> &[Precedent] {
        &self.precedents
    }

    pub fn into_precedents(self) -> Vec<Precedent> {
        self.precedents
    }

    /// The earlier decided cases most like `incident` (its features, and `rules` the
    /// caller found engaged), leaving out cases about the incident itself.
    pub fn similar_to(&self, incident: &Incident, rules: &BTreeSet<String>, limit: usize) -> Vec<(f64, Precedent)> {
        self.similar_by_features(incident.id, &incident_features(std::slice::from_ref(incident)), rules, limit)
    }

    /// [`Corpus::similar_to`] for an incident known by its id and features.
    pub fn similar_by_features(&self, incident: IncidentId, features: &BTreeSet<String>, rules: &BTreeSet<String>, limit: usize) -> Vec<(f64, Precedent)> {
        let own: BTreeSet<Uuid> = self.precedents.iter().zip(&self.about).filter(|(_, about)| about.contains(&incident)).map(|(p, _)| p.case).collect();
        // The incident's own cases are dropped after ranking: the best `limit` of the
        // rest are among the best `limit + own` of all.
        similar(&self.precedents, rules, features, None, limit + own.len())
            .into_iter()
            .filter(|(_, p)| !own.contains(&p.case))
            .take(limit)
            .map(|(s, p)| (s, p.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(title: &str, outcome: Outcome, text: &str, rules: &[&str], features: &[&str]) -> Precedent {
        Precedent {
            case: Uuid::now_v7(),
            title: title.into(),
            outcome,
            text: text.into(),
            instruments: rules.iter().map(|r| r.split('.').next().unwrap().to_string()).collect(),
            rules: rules.iter().map(|s| s.to_string()).collect(),
            remedies: BTreeSet::new(),
            features: features.iter().map(|s| s.to_string()).collect(),
            decided: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn search_filters_exactly_and_ranks_by_the_words_found() {
        let corpus = vec![
            p("Grid wiper", Outcome::Breach, "due diligence failure after an unanswered request", &["tallinn.r6.due-diligence"], &["op:destruction", "sector:energy"]),
            p("Election leak", Outcome::NoBreach, "no breach of the intervention rule", &["tallinn.r66.intervention"], &["op:influence"]),
            p("Hospital ransomware", Outcome::Settled, "settled with assistance and compensation", &[], &["op:ransomware", "sector:health"]),
        ];
        let hits = search(&corpus, &Query { text: "unanswered request wiper".into(), ..Default::default() });
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].1.title, "Grid wiper");
        assert!(search(&corpus, &Query { outcome: Some(Outcome::Breach), rule: Some("tallinn.r66.intervention".into()), ..Default::default() }).is_empty());
        assert_eq!(search(&corpus, &Query { instrument: Some("tallinn".into()), ..Default::default() }).len(), 2);
        let sim = similar(&corpus, &BTreeSet::new(), &["op:destruction".to_string(), "sector:energy".to_string()].into(), None, 5);
        assert_eq!(sim.len(), 1);
        assert_eq!(sim[0].1.title, "Grid wiper");
    }

    #[test]
    fn a_case_is_not_precedent_for_its_own_incident_even_when_it_ranks_first() {
        let (mine, other) = (IncidentId::new(), IncidentId::new());
        let wiper = ["op:destruction".to_string(), "sector:energy".to_string()];
        let corpus = Corpus {
            precedents: vec![
                p("The incident's own case", Outcome::Breach, "", &[], &["op:destruction", "sector:energy"]),
                p("An earlier grid wiper", Outcome::Breach, "", &[], &["op:destruction", "sector:finance"]),
                p("A ransomware settlement", Outcome::Settled, "", &[], &["op:ransomware"]),
            ],
            about: vec![[mine].into(), [other].into(), [other].into()],
        };
        let titles = |hits: Vec<(f64, Precedent)>| hits.into_iter().map(|(_, p)| p.title).collect::<Vec<_>>();
        // The own case shares both features and would rank first; the best of the rest
        // still fills the one place asked for.
        assert_eq!(titles(corpus.similar_by_features(mine, &wiper.clone().into(), &BTreeSet::new(), 1)), vec!["An earlier grid wiper"]);
        assert_eq!(titles(corpus.similar_by_features(other, &wiper.into(), &BTreeSet::new(), 1)), vec!["The incident's own case"]);
    }
}
