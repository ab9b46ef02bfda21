//! Stories with literal incidents and the rates they must give. Each builds its incidents
//! with the helpers below and checks the figures through [`practice`].

use super::*;
use pacta_core::*;

fn cc(s: &str) -> StateCode {
    StateCode::parse("state", s).unwrap()
}

fn date(s: &str) -> chrono::NaiveDate {
    incident::parse_date("date", s).unwrap()
}

/// A ransomware attack that took a hospital in `target` offline, starting on `start`.
fn hospital(title: &str, start: &str, target: &str) -> IncidentRecord {
    let mut i = Incident::new(title, Tlp::Clear);
    i.start_date = Some(date(start));
    i.operation_types.push(OperationType::Ransomware);
    i.targets.push(Target { state: Some(cc(target)), place: None, sector: Sector::Health, entity: Some("a hospital".into()) });
    i.effects.disruption = Some(Disruption::LongTerm);
    IncidentRecord::new(i)
}

/// `by` (one or more states) attributes the incident to an organ of `to`, on `on`.
fn attribute(r: &mut IncidentRecord, by: &[&str], to: &str, on: Option<&str>) {
    r.attributions.push(Attribution {
        id: AttributionId::new(),
        incident: r.incident.id,
        attributors: by.iter().map(|s| PartyId::for_state(cc(s))).collect(),
        attributor_label: None,
        actor_name: Some("a military intelligence unit".into()),
        actor_state: Some(cc(to)),
        actor_category: ActorCategory::State,
        basis: AttributionBasis::PoliticalStatement,
        confidence: Some(Confidence::VeryLikely),
        visibility: Visibility::Public,
        date: on.map(date),
        origin_ref: None,
    });
}

fn respond(r: &mut IncidentRecord, by: &str, measure: &str, status: ResponseStatus) {
    r.responses.push(Response {
        id: ResponseId::new(),
        incident: r.incident.id,
        responder: Some(PartyId::for_state(cc(by))),
        responder_label: None,
        status,
        domain: ResponseDomain::Economic,
        measure: measure.into(),
        date: None,
        description: None,
    });
}

fn practice(records: &[IncidentRecord], filter: Filter) -> Practice {
    let mut t = Tally::new(pacta_norms::builtin(), Options { filter, ..Options::default() }).unwrap();
    for r in records {
        t.add(r);
    }
    t.finish()
}

/// Three hospitals in France: two attacks attributed to Russia (10 and 30 days after they
/// began), one of those drew sanctions; the third is unattributed.
fn three_hospitals() -> Vec<IncidentRecord> {
    let mut a = hospital("Hospital A", "2023-01-10", "FR");
    attribute(&mut a, &["FR", "GB"], "RU", Some("2023-01-20"));
    respond(&mut a, "FR", "targeted sanctions", ResponseStatus::Observed);
    let mut b = hospital("Hospital B", "2023-02-01", "FR");
    attribute(&mut b, &["FR"], "RU", Some("2023-03-03"));
    let c = hospital("Hospital C", "2023-05-01", "FR");
    vec![a, b, c]
}

#[test]
fn two_of_three_hospital_attacks_attributed_one_punished() {
    let p = practice(&three_hospitals(), Filter::default());
    let ci = &p.norm("gge.13f").expect("the critical-infrastructure norm was engaged").series;
    let t = &ci.total;
    assert_eq!((t.incidents, t.attributed, t.responded, t.punished), (3, 2, 1, 1));
    assert_eq!(t.detection, Some(2.0 / 3.0));
    assert_eq!(t.punishment, Some(0.5));
    assert_eq!((t.attribution_lag_median_days, t.attribution_lag_known), (Some(20.0), 2));
    assert_eq!(t.measures.get("targeted sanctions"), Some(&1));
    assert_eq!(ci.years.len(), 1);
    assert_eq!(ci.year(2023), Some(t));

    let cal = p.calibration().unwrap();
    assert_eq!((cal.scope.as_str(), cal.incidents, cal.attributed, cal.punished), ("any norm", 3, 2, 1));
    assert_eq!((cal.seen, cal.punish), (2.0 / 3.0, 0.5));
}

#[test]
fn silence_is_counted_only_once_the_incident_is_attributed() {
    let mut records = three_hospitals();
    records[1].incident.alleged_reaction = Some(AllegedReaction::Denied);
    let t = practice(&records, Filter::default()).norm("gge.13f").unwrap().series.total.clone();
    // A: attributed, nothing recorded: silent. B: denied. C: unattributed: unknown.
    assert_eq!(t.reactions, Reactions { denied: 1, acknowledged: 0, silent: 1, unknown: 1 });
}

#[test]
fn each_state_has_its_record_in_each_role() {
    let p = practice(&three_hospitals(), Filter::default());
    let state = |c: &str| p.states.iter().find(|s| s.state == cc(c)).unwrap();
    let fr = state("FR");
    assert_eq!((fr.as_target.incidents, fr.as_target.attributed, fr.as_target.punished), (3, 2, 1));
    assert_eq!((fr.as_attributor.claims, fr.as_attributor.incidents, fr.as_attributor.joint), (2, 2, 1));
    assert_eq!(fr.as_attributor.states_named.get("RU"), Some(&2));
    assert_eq!((fr.as_responder.responses, fr.as_responder.measures.get("targeted sanctions")), (1, Some(&1)));
    let ru = state("RU");
    assert_eq!((ru.as_alleged_author.rates.incidents, ru.as_alleged_author.named_in_claims, ru.as_alleged_author.engaged_a_norm), (2, 2, 2));
    assert_eq!(ru.as_target.incidents, 0);
    let gb = state("GB");
    assert_eq!((gb.as_attributor.claims, gb.as_attributor.by_basis.get("political_statement")), (1, Some(&1)));
    // France is involved in all three incidents, so it comes first.
    assert_eq!(p.states[0].state, cc("FR"));
}

#[test]
fn a_proposed_response_is_not_a_punishment() {
    let mut records = three_hospitals();
    respond(&mut records[1], "FR", "expulsion of diplomats", ResponseStatus::Proposed);
    let t = practice(&records, Filter::default()).norm("gge.13f").unwrap().series.total.clone();
    assert_eq!((t.responded, t.punished), (1, 1));
    assert!(!t.measures.contains_key("expulsion of diplomats"));
}

#[test]
fn an_attack_claimed_by_criminals_engages_no_state_norm() {
    // Authorship answered, and no state named: neither detected state conduct nor an
    // undetected defection by a state.
    let mut r = hospital("Criminal ransomware", "2024-04-04", "DE");
    r.attributions.push(Attribution {
        id: AttributionId::new(),
        incident: r.incident.id,
        attributors: vec![],
        attributor_label: Some("a security company".into()),
        actor_name: Some("a ransomware gang".into()),
        actor_state: None,
        actor_category: ActorCategory::Criminal,
        basis: AttributionBasis::TechnicalReport,
        confidence: None,
        visibility: Visibility::Public,
        date: None,
        origin_ref: None,
    });
    let p = practice(&[r], Filter::default());
    assert!(p.norm("gge.13f").is_none());
    assert_eq!(p.all.total.incidents, 1);
    assert_eq!(p.all.total.attributed, 0);
}

#[test]
fn a_claim_below_likely_is_not_an_attribution() {
    let mut records = three_hospitals();
    records[1].attributions[0].confidence = Some(Confidence::RoughlyEvenChance);
    let t = practice(&records, Filter::default()).norm("gge.13f").unwrap().series.total.clone();
    assert_eq!((t.incidents, t.attributed), (3, 1));
}

#[test]
fn an_attribution_dated_before_the_attack_has_no_lag() {
    let mut records = three_hospitals();
    records[1].attributions[0].date = Some(date("2022-12-01"));
    let t = practice(&records, Filter::default()).all.total.clone();
    assert_eq!((t.attribution_lag_median_days, t.attribution_lag_known), (Some(10.0), 1));
}

#[test]
fn filters_narrow_years_states_and_the_norm() {
    let mut records = three_hospitals();
    let mut later = hospital("Hospital in Estonia", "2025-06-01", "EE");
    attribute(&mut later, &["EE"], "RU", None);
    records.push(later);
    let mut undated = hospital("Undated", "2020-01-01", "EE");
    undated.incident.start_date = None;
    records.push(undated);

    let p = practice(&records, Filter { from: Some(2024), to: Some(2025), ..Filter::default() });
    assert_eq!((p.incidents_read, p.incidents_counted), (5, 1));
    assert_eq!(p.norm("gge.13f").unwrap().series.years[0].year, Some(2025));

    let p = practice(&records, Filter { state: Some(cc("EE")), ..Filter::default() });
    assert_eq!(p.incidents_counted, 2);
    assert_eq!(p.states.iter().map(|s| s.state.as_str()).collect::<Vec<_>>(), ["EE"]);
    let years = &p.all.years;
    assert_eq!((years[0].year, years.last().unwrap().year), (Some(2025), None), "undated last");

    let p = practice(&records, Filter { norm: Some("gge.13f".into()), ..Filter::default() });
    assert_eq!(p.norms.iter().map(|n| n.rule.as_str()).collect::<Vec<_>>(), ["gge.13f"]);
    assert_eq!(p.calibration().unwrap().scope, "gge.13f");
}

#[test]
fn calibration_refuses_what_it_cannot_measure() {
    let unknown = Tally::new(pacta_norms::builtin(), Options { filter: Filter { norm: Some("gge.99z".into()), ..Filter::default() }, ..Options::default() });
    assert_eq!(unknown.err(), Some(UnknownRule("gge.99z".into())));

    let empty = practice(&[], Filter::default());
    assert_eq!(empty.calibration(), Err(CalibrationError::NoIncidents { scope: "any norm".into() }));

    let unattributed = practice(&[hospital("Only one", "2023-01-01", "FR")], Filter::default());
    assert_eq!(unattributed.calibration(), Err(CalibrationError::NoneAttributed { scope: "any norm".into(), incidents: 1 }));
}

#[test]
fn measures_can_be_keyed_by_something_else() {
    // What the ladder will do: group responses by rung instead of by text.
    fn rung(r: &Response) -> String {
        if r.measure.contains("sanction") { "targeted_sanctions".into() } else { "other".into() }
    }
    let mut t = Tally::new(pacta_norms::builtin(), Options { measure: rung, ..Options::default() }).unwrap();
    for r in three_hospitals() {
        t.add(&r);
    }
    let p = t.finish();
    assert_eq!(p.all.total.measures.get("targeted_sanctions"), Some(&1));
    assert_eq!(p.states[0].as_responder.measures.get("targeted_sanctions"), Some(&1));
}

#[test]
fn the_chart_has_three_bars_per_dated_year() {
    let mut records = three_hospitals();
    records.push(hospital("Two years on", "2025-02-02", "FR"));
    let p = practice(&records, Filter::default());
    let svg = render_svg(&p.norm("gge.13f").unwrap().series, "gge.13f <critical infrastructure>");
    assert_eq!(svg.matches("<rect x=").count() - 3, 3 * 3, "3 legend swatches, then 3 bars per year, 2024 empty");
    assert!(svg.contains("2023: 3 engaged") && svg.contains("2023: 2 attributed") && svg.contains("2024: 0 engaged"));
    assert!(svg.contains("2025: 1 engaged") && svg.contains("2025: 0 responded"));
    assert!(svg.contains("&lt;critical infrastructure&gt;"));
}
