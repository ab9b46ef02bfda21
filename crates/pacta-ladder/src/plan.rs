//! The planner: which rungs an injured state may climb, given the record of claims, the
//! evidence gates and the norms engine's assessment.
//!
//! For each rung, in ladder order, the planner asks:
//! 1. **Law.** Does the engine make the rung's basis available to the state planning
//!    (retorsion always; countermeasures only to the injured state against a state
//!    responsible for a wrongful act; self-defence only against an armed attack)?
//! 2. **Evidence.** Does the attribution to the state the measure is directed against
//!    pass the rung's gate (status and likelihood, see [`crate::status`])?
//! 3. **Lift.** Is one of the rung's lift conditions already met? Then the measure would
//!    have to end as it starts.
//! 4. **Duties.** Does the engine find a duty of the response breached that no later step
//!    of the responding state can mend (proportionality, reversibility, termination)? Then
//!    the rung is closed. A breached duty that a step can still discharge (the call to
//!    comply, the notification with an offer to negotiate) is a duty still to do.
//!
//! The rungs that pass are the options, least severe first; those that fail are listed with
//! every reason. Each option carries the duties the engine still finds open (for a
//! countermeasure: the call to comply and the notification with an offer to negotiate,
//! unless urgent — ILC art. 52), its lift conditions, and its escalation risks: more severe
//! than the injury, directed at a state whose responsibility is not established, harm to
//! civilians or third states.
//!
//! The injury's severity (1 to 10) is read from the threshold the conduct certainly
//! reaches: below threshold 3, sovereignty 6, intervention 7, use of force 8, armed attack
//! 10; one more (at most 10) when people were injured or killed or the economic loss is
//! major. A rung is commensurate when its severity is at most the injury's.

use crate::ladder::{CivilianHarm, Ladder, LegalBasis, Reversibility, Rung};
use crate::lifecycle::Situation;
use crate::status::{self, Standing, StatusReport};
use pacta_core::{Attribution, ClaimVersion, ComplianceEvent, Incident, IncidentId, Invalid, Measure, Party, PartyId, Stance, StateCode};
use pacta_norms::{AssessOptions, Assessment, Fact, Instruments, ResponsibilityBasis, Status, Threshold, Tri};
use serde::Serialize;
use std::collections::BTreeMap;

/// Everything the registry holds about one incident's attribution and response, as one
/// viewer may see it. The store loads the parts; this crate only reads them.
#[derive(Clone, Debug, Default)]
pub struct Dossier {
    pub incident: Option<Incident>,
    /// Every version of every claim the viewer may read, in log order.
    pub claims: Vec<ClaimVersion>,
    /// Stances on those claims, in log order.
    pub stances: Vec<Stance>,
    /// The parties named (their kinds tell verifiers apart).
    pub parties: Vec<Party>,
    pub compliance: Vec<ComplianceEvent>,
    pub measures: Vec<Measure>,
    /// Facts the incident's consultation requests established (an unanswered request to
    /// stop, a refused request for assistance...): the store's `AssessmentInput::facts`.
    /// The planner gives them to the engine as the assessment does; the compliance
    /// record's own facts (the call to comply, cessation...) take precedence.
    pub facts: BTreeMap<String, bool>,
}

impl Dossier {
    pub fn status(&self) -> StatusReport {
        status::compute(&self.claims, &self.stances, &self.parties)
    }

    /// The attributions that stand (latest versions, not withdrawn): what the norms
    /// engine reads.
    pub fn standing_attributions(&self) -> Vec<Attribution> {
        status::standing_claims(&self.claims).into_iter().map(|c| c.attribution.clone()).collect()
    }
}

pacta_core::labelled_enum! {
    /// Why an option may escalate the dispute.
    pub enum RiskKind ("an escalation risk") {
        MoreSevereThanInjury = "more_severe_than_injury",
        ResponsibilityNotEstablished = "responsibility_not_established",
        CivilianHarm = "civilian_harm",
        ThirdStates = "third_states",
        Irreversible = "irreversible",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Risk {
    pub kind: RiskKind,
    pub detail: String,
}

/// A duty the engine finds open for an option: breached as things stand (to do before
/// acting), or cannot tell (to check).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpenDuty {
    pub rule: String,
    pub cites: String,
    pub status: Status,
    pub missing: Vec<String>,
}

/// A rung the state may climb.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlanOption {
    pub rung: String,
    pub name: String,
    pub basis: LegalBasis,
    pub cites: String,
    pub severity: u8,
    pub commensurate: bool,
    pub reversibility: Reversibility,
    pub civilian_harm: CivilianHarm,
    pub open_duties: Vec<OpenDuty>,
    pub lift_when: String,
    pub lift_is_binding: bool,
    pub risks: Vec<Risk>,
}

/// A rung the state may not climb, with every reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unavailable {
    pub rung: String,
    pub name: String,
    pub severity: u8,
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Injury {
    pub threshold: Threshold,
    pub severity: u8,
    pub because: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    pub incident: Option<IncidentId>,
    pub by: StateCode,
    pub against: Option<StateCode>,
    pub status: StatusReport,
    pub injury: Injury,
    pub responsibility: Option<ResponsibilityBasis>,
    pub situation: Situation,
    pub options: Vec<PlanOption>,
    pub unavailable: Vec<Unavailable>,
    pub ladder: String,
    pub instruments_version: String,
}

impl Plan {
    pub fn option(&self, rung: &str) -> Option<&PlanOption> {
        self.options.iter().find(|o| o.rung == rung)
    }

    pub fn refusal(&self, rung: &str) -> Option<&Unavailable> {
        self.unavailable.iter().find(|u| u.rung == rung)
    }
}

/// What the planner is asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanRequest {
    /// The state planning a response.
    pub by: StateCode,
    /// The state the response is directed against; by default the best-supported state
    /// the claims name (other than `by`).
    pub against: Option<StateCode>,
    /// Whether the state declares its countermeasures urgent (ILC art. 52(2)).
    pub urgent: bool,
}

fn injury_of(a: &Assessment, case: &pacta_norms::Case) -> Injury {
    let threshold = a.threshold.reached;
    let mut severity: u8 = match threshold {
        Threshold::BelowThreshold => 3,
        Threshold::Sovereignty => 6,
        Threshold::Intervention => 7,
        Threshold::UseOfForce => 8,
        Threshold::ArmedAttack => 10,
    };
    let mut because = vec![format!("the conduct reaches {threshold}")];
    for (fact, words) in [(Fact::InjuryOrDeath, "people were injured or killed"), (Fact::MajorEconomicLoss, "the economic loss is major")] {
        if case.facts.get(fact) == Tri::Yes && severity < 10 {
            severity += 1;
            because.push(words.to_string());
        }
    }
    Injury { threshold, severity, because }
}

fn extra_facts(situation: &Situation, urgent: bool) -> BTreeMap<String, bool> {
    let mut m = BTreeMap::new();
    m.insert(Fact::PriorCallToComply.name().to_string(), situation.called_to_comply);
    m.insert(Fact::WrongfulActCeased.name().to_string(), situation.wrongful_act_ceased);
    m.insert(Fact::DisputeBeforeTribunal.name().to_string(), situation.dispute_before_tribunal);
    m.insert(Fact::ResponsibleStateComplied.name().to_string(), situation.responsible_state_complied);
    m.insert(Fact::UrgentCountermeasures.name().to_string(), urgent);
    // The self-defence declarations are facts when made; absent, they stay unknown (a
    // state that has not yet declared necessity has not thereby shown it unnecessary).
    for (declared, fact) in [
        (situation.self_defence_necessary, Fact::SelfDefenceNecessary),
        (situation.self_defence_proportionate, Fact::SelfDefenceProportionate),
        (situation.armed_attack_ongoing_or_imminent, Fact::ArmedAttackOngoingOrImminent),
        (situation.reported_to_security_council, Fact::ReportedToSecurityCouncil),
    ] {
        if declared {
            m.insert(fact.name().to_string(), true);
        }
    }
    m
}

/// Plans the response of `req.by` to the incident in `dossier`.
pub fn plan(ladder: &Ladder, law: &Instruments, dossier: &Dossier, req: &PlanRequest) -> Result<Plan, Invalid> {
    let incident = dossier.incident.as_ref().ok_or_else(|| Invalid::new("incident", "(none)", "a plan is made for an incident"))?;
    let status = dossier.status();
    let against = match req.against {
        Some(s) if s == req.by => return Err(Invalid::new("--against", s, "a state does not respond against itself")),
        Some(s) => Some(s),
        None => status.by_state.iter().map(|s| s.state).find(|s| *s != req.by),
    };
    let standing: Option<&Standing> = against.and_then(|s| status.standing(s));
    let by_party = PartyId::for_state(req.by);
    let situation = against.map(|a| Situation::of(&dossier.compliance, &by_party, a)).unwrap_or_default();
    // The engine reads only the claims against the state responded to, so that a claim
    // naming a different state does not make this one responsible.
    let attributions: Vec<Attribution> = dossier.standing_attributions().into_iter().filter(|a| against.is_none() || a.actor_state == against || a.actor_state.is_none()).collect();
    let mut extra = dossier.facts.clone();
    extra.extend(extra_facts(&situation, req.urgent));
    let case = pacta_norms::extract::case(incident, &attributions, Some(req.by), &extra).map_err(|e| Invalid::new("facts", e.0, "is not a fact of the catalogue"))?;
    let base = law.assess(&case, AssessOptions { trace: true });
    let injury = injury_of(&base, &case);
    let responsibility = base.responsibility.basis;
    let established = responsibility.is_some_and(|b| b != ResponsibilityBasis::None);
    let injured = case.facts.get(Fact::PerspectiveIsInjuredState);

    let mut options = Vec::new();
    let mut unavailable = Vec::new();
    for rung in &ladder.rungs {
        let mut reasons = Vec::new();
        // 1. Law.
        let kind = rung.basis.response_kind();
        let assessment = if rung.basis == LegalBasis::Countermeasure {
            // Re-assess with the facts of this measure, so the engine's duties speak of it.
            let mut extra = extra.clone();
            extra.insert(Fact::ResponseProportionate.name().into(), rung.severity <= injury.severity);
            extra.insert(Fact::ResponseReversible.name().into(), rung.reversibility == Reversibility::Reversible);
            // Countermeasure rungs are non-forcible by definition (art. 50(1)(a)); the
            // ladder keeps force to the self-defence rung.
            extra.insert(Fact::ResponseAffectsProtectedObligations.name().into(), false);
            // A planned measure has not been notified yet.
            extra.insert(Fact::NotifiedWithOfferToNegotiate.name().into(), false);
            let case = pacta_norms::extract::case(incident, &attributions, Some(req.by), &extra).map_err(|e| Invalid::new("facts", e.0, "is not a fact of the catalogue"))?;
            law.assess(&case, AssessOptions { trace: true })
        } else {
            base.clone()
        };
        let conclusion = assessment.response(kind);
        if rung.basis == LegalBasis::Countermeasure && injured != Tri::Yes {
            reasons.push(format!(
                "ILC arts. 22 and 49(1): only the injured state may take countermeasures, and {} is not among the states targeted by this incident (or is the one it is attributed to)",
                req.by
            ));
        }
        match conclusion {
            Some(c) if c.available == Tri::Yes => {}
            Some(c) => {
                let missing: Vec<&str> = c.missing.iter().map(|f| f.name()).collect();
                reasons.push(if missing.is_empty() {
                    format!("the law does not make {kind} available: {} does not hold", c.by.as_str())
                } else {
                    format!("the law does not make {kind} available: {} cannot tell without {}", c.by.as_str(), missing.join(", "))
                });
            }
            None => reasons.push(format!("the instruments in force say nothing about {kind}")),
        }
        // 2. Evidence.
        if rung.gate.needs_attribution() {
            match (against, standing) {
                (None, _) => reasons.push(format!("evidence gate: {} needs an attribution to a state, and no standing claim names one", rung.id)),
                (Some(s), None) => reasons.push(format!("evidence gate: no standing claim attributes the conduct to {s}")),
                (Some(s), Some(st)) => {
                    if st.status.strength() < rung.gate.status.strength() {
                        reasons.push(format!("evidence gate: needs an attribution to {s} that is {} or better; it is {}", rung.gate.status, st.status));
                    }
                    if let Some(need) = rung.gate.confidence {
                        match st.confidence {
                            Some(c) if c >= need => {}
                            Some(c) => reasons.push(format!("evidence gate: needs \"{need}\" or higher (ICD 203); the highest stated likelihood is \"{c}\"")),
                            None => reasons.push(format!("evidence gate: needs \"{need}\" or higher (ICD 203); no source states a likelihood")),
                        }
                    }
                }
            }
        }
        // 3. Lift.
        if let Some(cond) = situation.met_lift_condition(rung) {
            reasons.push(format!("lift condition already met ({cond}): the measure would have to end as it starts"));
        }
        // 4. Duties no step can mend.
        for d in conclusion.map(|c| c.duties.as_slice()).unwrap_or_default() {
            if d.status == Status::Breached && !still_to_do(d) {
                let cites = d.trace.as_ref().map(|t| t.cites.to_string()).unwrap_or_default();
                reasons.push(format!("{} ({cites}) is breached: the measure would be unlawful as proposed", d.rule));
            }
        }
        if !reasons.is_empty() {
            unavailable.push(Unavailable { rung: rung.id.clone(), name: rung.name.clone(), severity: rung.severity, reasons });
            continue;
        }
        let open_duties = conclusion
            .map(|c| {
                c.duties
                    .iter()
                    .filter(|d| matches!(d.status, Status::Breached | Status::CannotTell))
                    .map(|d| OpenDuty {
                        rule: d.rule.to_string(),
                        cites: d.trace.as_ref().map(|t| t.cites.to_string()).unwrap_or_default(),
                        status: d.status,
                        missing: d.missing.iter().map(|f| f.name().to_string()).collect(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        options.push(PlanOption {
            rung: rung.id.clone(),
            name: rung.name.clone(),
            basis: rung.basis,
            cites: rung.cites.clone(),
            severity: rung.severity,
            commensurate: rung.severity <= injury.severity,
            reversibility: rung.reversibility,
            civilian_harm: rung.civilian_harm,
            open_duties,
            lift_when: rung.lift_words(),
            lift_is_binding: rung.lift_is_binding(),
            risks: risks(rung, &injury, established, standing, incident),
        });
    }
    // Least severe first; the ladder's order breaks ties.
    options.sort_by_key(|o| o.severity);
    Ok(Plan {
        incident: Some(incident.id),
        by: req.by,
        against,
        status,
        injury,
        responsibility,
        situation,
        options,
        unavailable,
        ladder: ladder.source.clone(),
        instruments_version: law.version().to_string(),
    })
}

fn risks(rung: &Rung, injury: &Injury, established: bool, standing: Option<&Standing>, incident: &Incident) -> Vec<Risk> {
    let mut out = Vec::new();
    if rung.severity > injury.severity {
        out.push(Risk {
            kind: RiskKind::MoreSevereThanInjury,
            detail: format!("severity {} exceeds the injury's {} ({})", rung.severity, injury.severity, injury.because.join("; ")),
        });
    }
    if rung.gate.needs_attribution() && !established {
        out.push(Risk {
            kind: RiskKind::ResponsibilityNotEstablished,
            detail: "directed at a state whose responsibility the norms engine does not establish (no organ, control, adoption or due-diligence failure)".into(),
        });
    }
    if rung.gate.needs_attribution() && standing.is_some_and(|s| !s.contested_by.is_empty()) {
        let s = standing.map(|s| s.contested_by.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")).unwrap_or_default();
        out.push(Risk { kind: RiskKind::ResponsibilityNotEstablished, detail: format!("the attribution is contested by {s}") });
    }
    if rung.civilian_harm >= CivilianHarm::Medium {
        out.push(Risk { kind: RiskKind::CivilianHarm, detail: format!("civilian-harm risk {}", rung.civilian_harm) });
    }
    if !incident.effects.spillover_states.is_empty() && rung.basis != LegalBasis::LawfulAct {
        let states: Vec<String> = incident.effects.spillover_states.iter().map(|s| s.to_string()).collect();
        out.push(Risk { kind: RiskKind::ThirdStates, detail: format!("third states already affected by the incident ({}) may be affected again", states.join(", ")) });
    }
    if rung.id == "collective_measures" || rung.basis == LegalBasis::SelfDefence {
        out.push(Risk { kind: RiskKind::ThirdStates, detail: "involves or may affect states other than the two parties".into() });
    }
    if rung.reversibility == Reversibility::Irreversible {
        out.push(Risk { kind: RiskKind::Irreversible, detail: "cannot be undone".into() });
    }
    out
}

/// Whether a breached duty is one the responding state can still discharge by a step of
/// its own: the call to comply and the notification (ILC art. 52(1)), which the planner
/// assumes not yet made. A duty breached on any other fact (a measure out of proportion,
/// irreversible, or kept after compliance) cannot be mended by doing more.
fn still_to_do(d: &pacta_norms::Finding) -> bool {
    let procedural = [Fact::PriorCallToComply, Fact::NotifiedWithOfferToNegotiate];
    d.trace.as_ref().is_some_and(|t| t.facts.iter().any(|(f, v)| procedural.contains(f) && *v == Tri::No))
}

/// Checks that `measure` may move to `to`: a notification or an enactment (or a
/// resumption) must still pass everything a proposal passes, on the record as it is now.
/// A claim withdrawn since the proposal, or a gate no longer met, stops the measure from
/// going further; suspending and lifting are always open.
pub fn check_move(ladder: &Ladder, law: &Instruments, dossier: &Dossier, measure: &Measure, to: pacta_core::MeasureState) -> Result<(), Invalid> {
    use pacta_core::MeasureState::*;
    if !matches!(to, Notified | Enacted) {
        return Ok(());
    }
    let (rung, plan) = check_proposal(ladder, law, dossier, measure).map_err(|e| Invalid::new(e.field, e.value, format!("the measure no longer passes what a proposal must: {}", e.rule)))?;
    // Force in self-defence is lawful only when it is necessary, proportionate and
    // immediate (UN Charter art. 51; ICJ, Nicaragua, 1986, para. 176; Tallinn Manual 2.0,
    // rules 72-73). A proposal may be made while they are open; force is not used until
    // each is shown. The report to the Security Council follows the act, so it may be open.
    if to == Enacted && rung.basis == LegalBasis::SelfDefence {
        let unshown: Vec<String> = plan
            .option(&rung.id)
            .map(|o| o.open_duties.iter().filter(|d| d.status != Status::NotBreached && d.rule != "charter.art51.report").map(|d| format!("{} ({}; missing: {})", d.rule, d.cites, d.missing.join(", "))).collect())
            .unwrap_or_default();
        if !unshown.is_empty() {
            return Err(Invalid::new(
                "rung",
                &rung.id,
                format!(
                    "self-defence is used only once necessity, proportionality and immediacy are shown, and these are not: {}. The responding state declares each on record (compliance events self_defence_necessary, self_defence_proportionate, armed_attack_ongoing_or_imminent)",
                    unshown.join("; ")
                ),
            ));
        }
    }
    Ok(())
}

/// Checks that `actor` may join `measure` on what it has itself put on record: a state
/// whose latest stance contests the attribution to the state the measure is directed
/// against does not take a countermeasure against it. A state taking countermeasures
/// acts at its own risk if its assessment of responsibility proves wrong (ILC Articles,
/// commentary to art. 49, para. 3); on its own record it holds that state not responsible.
/// Retorsion, being lawful whatever the attribution, is joined freely.
pub fn check_join(ladder: &Ladder, dossier: &Dossier, measure: &Measure, actor: &PartyId) -> Result<(), Invalid> {
    let rung = ladder.require("rung", &measure.rung)?;
    // The law's lift conditions bind each state taking the measure on its own record: one
    // that itself records the responsible state's compliance (art. 53), say, could not
    // take part for a moment.
    let own = crate::lifecycle::Situation::of(&dossier.compliance, actor, measure.against);
    if let Some(due) = crate::lifecycle::lift_due(&Measure { state: pacta_core::MeasureState::Enacted, ..measure.clone() }, rung, &own)
        && due.binding
    {
        return Err(Invalid::new("--as", actor, format!("{}: on {actor}'s own record, {} — a {} measure it took part in would have to end at once", due.cites, due.condition.replace('_', " "), rung.basis)));
    }
    if rung.basis != LegalBasis::Countermeasure {
        return Ok(());
    }
    let contests = dossier.status().by_state.iter().any(|s| s.state == measure.against && s.contested_by.contains(actor));
    if contests {
        return Err(Invalid::new(
            "--as",
            actor,
            format!(
                "{actor} contests the attribution to {}: a state takes countermeasures only against a state it holds responsible, at its own risk (ILC Articles, commentary to art. 49, para. 3); revise its stance first, or decline",
                measure.against
            ),
        ));
    }
    Ok(())
}

/// Checks that `measure` may be proposed: its rung is on the ladder, and the plan for its
/// state against its target lists the rung as an option. The refusal names the failing
/// gate or legal condition.
pub fn check_proposal<'a>(ladder: &'a Ladder, law: &Instruments, dossier: &Dossier, measure: &Measure) -> Result<(&'a Rung, Plan), Invalid> {
    measure.validate()?;
    let rung = ladder.require("rung", &measure.rung)?;
    if !measure.with.is_empty() && rung.basis == LegalBasis::Countermeasure && rung.id != "collective_measures" {
        return Err(Invalid::new(
            "with",
            &measure.with[0],
            "ILC art. 49(1): only the injured state takes countermeasures; states acting together with it use collective_measures (art. 54), with its own gate",
        ));
    }
    if measure.with.iter().all(|p| measure.has_left(p) || measure.invitation_withdrawn(p)) && rung.id == "collective_measures" {
        return Err(Invalid::new(
            "with",
            "(none)",
            if measure.with.is_empty() {
                "collective_measures are taken together with other states (ILC art. 54): invite them; a state acting alone uses countermeasures"
            } else {
                "every state invited has declined or left, or its invitation was withdrawn: collective_measures are taken together with other states (ILC art. 54); a state acting alone uses countermeasures"
            },
        ));
    }
    let by = measure.by.state().ok_or_else(|| Invalid::new("by", &measure.by, "a response measure is taken by a state"))?;
    let plan = plan(ladder, law, dossier, &PlanRequest { by, against: Some(measure.against), urgent: measure.urgent })?;
    if let Some(u) = plan.refusal(&rung.id) {
        return Err(Invalid::new("rung", &rung.id, u.reasons.join("; ")));
    }
    Ok((rung, plan))
}
