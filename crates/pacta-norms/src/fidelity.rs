//! How far our assessments agree with expert coders: agreement statistics, and the mapping
//! from an [`Assessment`] to the three dimensions EuRepoC codes.
//!
//! EuRepoC's legal-response indicator rests on two questions: is the operation attributed
//! to a state, and does it breach international law? Countermeasures are justified when
//! both hold, retorsion when exactly one does, no response when neither does. We answer
//! the same two questions from our own findings: state attribution is responsibility as an
//! organ, through instruction or control, or by acknowledgement and adoption (ILC arts. 4,
//! 8, 11); breach is the conduct element of a rule in one of the categories (ILC art. 2(b)).
//! A conclusion we cannot reach counts as not established.

use crate::assess::{AssessOptions, Assessment, Case};
use crate::instruments::{Instruments, Scope};
use crate::facts::Tri;
use crate::model::{Category, ResponsibilityBasis};
use pacta_core::{ExternalAssessment, LegalResponseIndicator, StateResponsibilityIndicator};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Counts of (expected, predicted) label pairs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    pub counts: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Confusion {
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Confusion {
        let mut c = Confusion::default();
        for (e, p) in pairs {
            *c.counts.entry(e.to_string()).or_default().entry(p.to_string()).or_default() += 1;
        }
        c
    }
    pub fn n(&self) -> u64 {
        self.counts.values().flat_map(|r| r.values()).sum()
    }
    fn labels(&self) -> Vec<&str> {
        let mut l: Vec<&str> = self.counts.keys().map(|s| s.as_str()).collect();
        for row in self.counts.values() {
            l.extend(row.keys().map(|s| s.as_str()));
        }
        l.sort_unstable();
        l.dedup();
        l
    }
    fn get(&self, e: &str, p: &str) -> u64 {
        self.counts.get(e).and_then(|r| r.get(p)).copied().unwrap_or(0)
    }
    pub fn accuracy(&self) -> f64 {
        let n = self.n();
        if n == 0 {
            return 0.0;
        }
        self.labels().iter().map(|l| self.get(l, l)).sum::<u64>() as f64 / n as f64
    }
    /// Cohen's kappa: agreement beyond what the two label distributions give by chance.
    pub fn kappa(&self) -> f64 {
        let n = self.n() as f64;
        if n == 0.0 {
            return 0.0;
        }
        let labels = self.labels();
        let po = self.accuracy();
        let pe: f64 = labels
            .iter()
            .map(|l| {
                let expected: u64 = labels.iter().map(|p| self.get(l, p)).sum();
                let predicted: u64 = labels.iter().map(|e| self.get(e, l)).sum();
                (expected as f64 / n) * (predicted as f64 / n)
            })
            .sum();
        if (1.0 - pe).abs() < f64::EPSILON {
            return if po >= 1.0 { 1.0 } else { 0.0 };
        }
        (po - pe) / (1.0 - pe)
    }
    pub fn agreement(&self) -> Agreement {
        Agreement { n: self.n(), accuracy: self.accuracy(), kappa: self.kappa() }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    pub n: u64,
    pub accuracy: f64,
    pub kappa: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prf {
    pub n: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// Precision, recall and F1 of a yes/no category over (expected, predicted) pairs. With no
/// predicted (or expected) positives, precision (or recall) is 0.
pub fn prf(pairs: impl IntoIterator<Item = (bool, bool)>) -> Prf {
    let (mut tp, mut fp, mut fneg, mut n) = (0u64, 0u64, 0u64, 0u64);
    for (e, p) in pairs {
        n += 1;
        match (e, p) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fneg += 1,
            (false, false) => {}
        }
    }
    let precision = if tp + fp == 0 { 0.0 } else { tp as f64 / (tp + fp) as f64 };
    let recall = if tp + fneg == 0 { 0.0 } else { tp as f64 / (tp + fneg) as f64 };
    let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
    Prf { n, precision, recall, f1 }
}

/// Whether our assessment attributes the conduct to a state (EuRepoC's "state attribution").
pub fn state_attribution(a: &Assessment) -> bool {
    matches!(
        a.responsibility.basis,
        Some(ResponsibilityBasis::Organ | ResponsibilityBasis::InstructedOrControlled | ResponsibilityBasis::AcknowledgedAndAdopted)
    )
}

/// Whether the conduct element of a rule of international law is met (EuRepoC's "breach").
pub fn breach_of_international_law(a: &Assessment) -> bool {
    a.conduct.iter().any(|(_, t)| *t == Tri::Yes)
}

pub fn eurepoc_legal_response(a: &Assessment) -> LegalResponseIndicator {
    Projection::of(a).legal_response
}

/// Direct: a state organ; indirect: instructed, controlled, or adopted non-state actors;
/// none or negligent: no attribution, or only a due-diligence failure.
pub fn eurepoc_state_responsibility(a: &Assessment) -> StateResponsibilityIndicator {
    match a.responsibility.basis {
        Some(ResponsibilityBasis::Organ) => StateResponsibilityIndicator::Direct,
        Some(ResponsibilityBasis::InstructedOrControlled | ResponsibilityBasis::AcknowledgedAndAdopted) => StateResponsibilityIndicator::Indirect,
        _ => StateResponsibilityIndicator::NoneOrNegligent,
    }
}

/// The categories whose conduct element our assessment finds met.
pub fn eurepoc_il_breach(a: &Assessment) -> Vec<Category> {
    a.conduct.iter().filter(|(_, t)| *t == Tri::Yes).map(|(c, _)| *c).collect()
}

/// Our findings projected onto EuRepoC's three indicators. This is a comparison device,
/// not our legal conclusion, and it is kept apart from it.
///
/// EuRepoC's coders ask whether an operation "breaches international law" without
/// choosing between the states' readings of it; where states disagree (above all on
/// whether a mere intrusion violates sovereignty: France says yes, the Tallinn Manual's
/// experts could not agree), a breach under one published reading is coded as a breach.
/// [`Projection::across_views`] does the same: a category counts as breached when its
/// conduct element is met under the default reading or under any national position in
/// the instruments, each applied as that state's reading of the law whatever its date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Projection {
    pub legal_response: LegalResponseIndicator,
    pub state_responsibility: StateResponsibilityIndicator,
    pub il_breach: Vec<Category>,
}

impl Projection {
    /// The projection of one assessment, under the reading of the law it was made with.
    pub fn of(a: &Assessment) -> Projection {
        Projection::from_parts(a, eurepoc_il_breach(a))
    }

    /// The projection of `ours` (the case assessed under its own view) together with the
    /// case assessed under every national position in `law`.
    pub fn across_views(law: &Instruments, case: &Case, ours: &Assessment) -> Projection {
        let mut breached = eurepoc_il_breach(ours);
        for info in law.instruments() {
            if let Scope::National { state } = info.scope {
                let view = Case { facts: case.facts, perspective: Some(state), date: None, responsible: case.responsible.clone() };
                for c in eurepoc_il_breach(&law.assess(&view, AssessOptions::default())) {
                    if !breached.contains(&c) {
                        breached.push(c);
                    }
                }
            }
        }
        breached.sort();
        Projection::from_parts(ours, breached)
    }

    fn from_parts(a: &Assessment, il_breach: Vec<Category>) -> Projection {
        // EuRepoC's two questions: attributed to a state? a breach of international law?
        // Both: countermeasures; one: retorsion; neither: no response.
        let legal_response = indicator(state_attribution(a), !il_breach.is_empty());
        Projection { legal_response, state_responsibility: eurepoc_state_responsibility(a), il_breach }
    }
}

/// EuRepoC's breach label ("Sovereignty", "Cyber espionage", ...) as our category; `None`
/// for the categories we do not codify (telecommunication law, diplomatic law, ...).
pub fn eurepoc_category(label: &str) -> Option<Category> {
    match label.trim().to_ascii_lowercase().as_str() {
        "sovereignty" => Some(Category::Sovereignty),
        "due diligence" => Some(Category::DueDiligence),
        "human rights" => Some(Category::HumanRights),
        "cyber espionage" => Some(Category::CyberEspionage),
        "international peace" => Some(Category::InternationalPeace),
        "prohibition of intervention" | "intervention" => Some(Category::Intervention),
        _ => None,
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FidelityReport {
    pub legal_response: Agreement,
    pub state_responsibility: Agreement,
    pub il_breach: BTreeMap<String, Prf>,
}

/// Compares our projections with the experts' codes. Each dimension counts only the
/// incidents the experts coded on it; breach categories are compared on the incidents
/// whose legal response was coded (an empty or "Not available" breach list reads as no
/// breach in any category).
pub fn compare(pairs: &[(&Projection, &ExternalAssessment)]) -> (FidelityReport, Confusion, Confusion) {
    let lr = Confusion::from_pairs(pairs.iter().filter_map(|(p, e)| e.legal_response.map(|x| (x.label(), p.legal_response.label()))));
    let sr = Confusion::from_pairs(pairs.iter().filter_map(|(p, e)| e.state_responsibility.map(|x| (x.label(), p.state_responsibility.label()))));
    let coded: Vec<&(&Projection, &ExternalAssessment)> = pairs.iter().filter(|(_, e)| e.legal_response.is_some()).collect();
    let mut il = BTreeMap::new();
    for c in Category::ALL {
        let pairs = coded.iter().map(|(p, e)| (experts_found(e, *c), we_found(p, *c)));
        il.insert(c.label().to_string(), prf(pairs));
    }
    (FidelityReport { legal_response: lr.agreement(), state_responsibility: sr.agreement(), il_breach: il }, lr, sr)
}

/// Whether the experts coded a breach in category `c`.
///
/// EuRepoC's categories are not ours one for one: it files the prohibition of intervention
/// and the use of force both under "International peace", and its subcode says which
/// ("International peace" with the subcode "Prohibition of intervention"). So an
/// intervention is that subcode (or the label, should a release use it as a category),
/// and "International peace" is the label, whichever of the two it covers.
fn experts_found(e: &ExternalAssessment, c: Category) -> bool {
    let labelled = e.il_breach.iter().any(|l| eurepoc_category(l) == Some(c));
    match c {
        Category::Intervention => labelled || e.il_breach_subcode.iter().any(|s| s.trim().eq_ignore_ascii_case("prohibition of intervention")),
        _ => labelled,
    }
}

/// Whether we found a breach in what EuRepoC calls category `c`: for "International
/// peace", a use of force or an intervention (see [`experts_found`]).
fn we_found(p: &Projection, c: Category) -> bool {
    match c {
        Category::InternationalPeace => p.il_breach.contains(&Category::InternationalPeace) || p.il_breach.contains(&Category::Intervention),
        _ => p.il_breach.contains(&c),
    }
}

/// The legal-response indicator taken apart into its two questions, each compared on its
/// own, with a measure of how far the indicator can be reproduced at all.
///
/// `experts_self_consistency` applies EuRepoC's own rule (both: countermeasures; one:
/// retorsion; neither: no response) to the experts' own answers to the two questions and
/// compares the result with the indicator they coded. Where the experts' indicator does
/// not follow from their own codes, a reading of the law that answers the two questions
/// as they did cannot agree with it: its accuracy is what perfect agreement on the two
/// questions would give on the indicator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decomposition {
    pub state_attribution: Confusion,
    pub breach: Confusion,
    pub experts_self_consistency: Confusion,
}

/// The experts' answer to "attributed to a state?": responsibility coded direct or indirect.
fn expert_attribution(e: &ExternalAssessment) -> bool {
    matches!(e.state_responsibility, Some(StateResponsibilityIndicator::Direct | StateResponsibilityIndicator::Indirect))
}

/// The experts' answer to "a breach of international law?": any category, including the
/// ones we do not codify (diplomatic law, telecommunication law...), since the indicator
/// rests on any breach.
fn expert_breach(e: &ExternalAssessment) -> bool {
    e.il_breach.iter().any(|l| !l.trim().is_empty() && !l.trim().eq_ignore_ascii_case("not available"))
}

fn indicator(attributed: bool, breach: bool) -> LegalResponseIndicator {
    match (attributed, breach) {
        (true, true) => LegalResponseIndicator::CountermeasuresJustified,
        (true, false) | (false, true) => LegalResponseIndicator::RetorsionJustified,
        (false, false) => LegalResponseIndicator::NoResponseJustified,
    }
}

/// Compares the two questions on the incidents whose legal response was coded.
pub fn decompose(pairs: &[(&Projection, &ExternalAssessment)]) -> Decomposition {
    let coded: Vec<&(&Projection, &ExternalAssessment)> = pairs.iter().filter(|(_, e)| e.legal_response.is_some()).collect();
    let yes_no = |yes: &'static str, no: &'static str| move |b: bool| if b { yes } else { no };
    let attributed = yes_no("attributed", "not attributed");
    let breached = yes_no("breach", "no breach");
    Decomposition {
        state_attribution: Confusion::from_pairs(
            coded.iter().map(|(p, e)| (attributed(expert_attribution(e)), attributed(p.state_responsibility != StateResponsibilityIndicator::NoneOrNegligent))),
        ),
        breach: Confusion::from_pairs(coded.iter().map(|(p, e)| (breached(expert_breach(e)), breached(!p.il_breach.is_empty())))),
        experts_self_consistency: Confusion::from_pairs(coded.iter().filter_map(|(_, e)| {
            e.legal_response.map(|coded| (coded.label(), indicator(expert_attribution(e), expert_breach(e)).label()))
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kappa_is_one_for_perfect_agreement_and_zero_for_chance() {
        let perfect = Confusion::from_pairs([("a", "a"), ("b", "b"), ("a", "a")]);
        assert_eq!(perfect.accuracy(), 1.0);
        assert!((perfect.kappa() - 1.0).abs() < 1e-12);
        // Predicting "a" always: 50 % accuracy, no agreement beyond chance.
        let constant = Confusion::from_pairs([("a", "a"), ("b", "a")]);
        assert_eq!(constant.accuracy(), 0.5);
        assert!(constant.kappa().abs() < 1e-12);
    }

    #[test]
    fn kappa_matches_a_worked_example() {
        // 2x2 table: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no (n = 50).
        let mut v = Vec::new();
        v.extend(std::iter::repeat_n(("yes", "yes"), 20));
        v.extend(std::iter::repeat_n(("yes", "no"), 5));
        v.extend(std::iter::repeat_n(("no", "yes"), 10));
        v.extend(std::iter::repeat_n(("no", "no"), 15));
        let c = Confusion::from_pairs(v);
        // po = 0.7; pe = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = 0.4.
        assert!((c.accuracy() - 0.7).abs() < 1e-12);
        assert!((c.kappa() - 0.4).abs() < 1e-12);
    }

    #[test]
    fn the_experts_own_codes_bound_the_agreement_that_can_be_reached() {
        use LegalResponseIndicator::*;
        // Two incidents the experts coded alike: a state organ, a breach of sovereignty.
        // They gave one "countermeasures" and the other "no response", which their own
        // rule does not give; a third is coded "Not available" for breach.
        let coded = |lr, breach: &str| ExternalAssessment {
            state_responsibility: Some(StateResponsibilityIndicator::Direct),
            il_breach: vec![breach.to_string()],
            legal_response: Some(lr),
            ..Default::default()
        };
        let experts = [coded(CountermeasuresJustified, "Sovereignty"), coded(NoResponseJustified, "Sovereignty"), coded(RetorsionJustified, "Not available")];
        let ours = Projection {
            legal_response: CountermeasuresJustified,
            state_responsibility: StateResponsibilityIndicator::Direct,
            il_breach: vec![Category::Sovereignty],
        };
        let pairs: Vec<_> = experts.iter().map(|e| (&ours, e)).collect();
        let d = decompose(&pairs);
        // We answer both questions as the experts did on the first two...
        assert_eq!(d.state_attribution.accuracy(), 1.0);
        assert_eq!(d.breach.counts["breach"]["breach"], 2);
        assert_eq!(d.breach.counts["no breach"]["breach"], 1);
        // ...yet no answer to them can reach the second incident's indicator.
        assert!((d.experts_self_consistency.accuracy() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(d.experts_self_consistency.counts["no_response_justified"]["countermeasures_justified"], 1);
    }

    #[test]
    fn eurepoc_files_intervention_under_international_peace() {
        use LegalResponseIndicator::*;
        let coded = |breach: &[&str], subcode: &[&str]| ExternalAssessment {
            il_breach: breach.iter().map(|s| s.to_string()).collect(),
            il_breach_subcode: subcode.iter().map(|s| s.to_string()).collect(),
            legal_response: Some(RetorsionJustified),
            ..Default::default()
        };
        let ours = |found: &[Category]| Projection { legal_response: RetorsionJustified, state_responsibility: StateResponsibilityIndicator::NoneOrNegligent, il_breach: found.to_vec() };
        // Election interference the experts coded "International peace: Prohibition of
        // intervention", and which we find an intervention; then a use of force, coded
        // "International peace: Use of force", which we find one too.
        let experts = [coded(&["Human rights", "International peace"], &["Civic / political rights", "Prohibition of intervention"]), coded(&["International peace"], &["Use of force"])];
        let found = [ours(&[Category::Intervention]), ours(&[Category::InternationalPeace])];
        let pairs: Vec<_> = found.iter().zip(&experts).collect();
        let (report, _, _) = compare(&pairs);
        let peace = &report.il_breach["international_peace"];
        assert_eq!((peace.precision, peace.recall), (1.0, 1.0));
        let intervention = &report.il_breach["prohibition_of_intervention"];
        assert_eq!((intervention.precision, intervention.recall), (1.0, 1.0));
        // A use of force is not an intervention, for them or for us.
        assert!(!experts_found(&experts[1], Category::Intervention) && !we_found(&found[1], Category::Intervention));
    }

    #[test]
    fn precision_recall_and_f1() {
        let p = prf([(true, true), (true, false), (false, true), (false, false)]);
        assert_eq!((p.n, p.precision, p.recall, p.f1), (4, 0.5, 0.5, 0.5));
        let none = prf([(false, false)]);
        assert_eq!((none.precision, none.recall, none.f1), (0.0, 0.0, 0.0));
    }
}
