//! `pacta respond …`: the response ladder — plan, propose, move a measure through its
//! lifecycle, record the developments that end it, and show the enforcement arc.
//!
//! The ladder is the built-in `ladder/ladder.md` unless `--ladder FILE` names an
//! instance's own. Gates and lifecycle rules are `pacta-ladder`'s; this module loads the
//! dossier, asks, and writes through the store.

use crate::cmd_attribute::{incident_id, load_dossier};
use crate::output;
use anyhow::Context;
use clap::{Args, Subcommand};
use pacta_core::{ComplianceEvent, ComplianceEventId, ComplianceKind, Measure, MeasureState, MeasureStep, PartyId, ResponseId, StateCode, Tlp};
use pacta_ladder::{Ladder, PlanRequest, Situation};
use pacta_store::Store;
use std::path::PathBuf;

#[derive(Args, Clone)]
pub struct LadderArg {
    /// A ladder file of this instance (default: the built-in ladder/ladder.md).
    #[arg(long, env = "PACTA_LADDER", value_name = "FILE")]
    ladder: Option<PathBuf>,
}

impl LadderArg {
    fn load(&self) -> anyhow::Result<Ladder> {
        match &self.ladder {
            None => Ok(Ladder::builtin().clone()),
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the ladder {}", path.display()))?;
                Ok(Ladder::parse(&path.display().to_string(), &text)?)
            }
        }
    }
}

#[derive(Subcommand)]
pub enum RespondCommand {
    /// The rungs of the ladder, with their legal basis and evidence gate.
    Ladder {
        #[command(flatten)]
        ladder: LadderArg,
        #[arg(long)]
        json: bool,
    },
    /// Propose options for an injured state: what its evidence and the law allow, least severe first.
    Plan {
        incident: String,
        /// The state planning a response (ISO 3166-1 alpha-2).
        #[arg(long)]
        by: String,
        /// The state responded against (default: the best-supported state the claims name).
        #[arg(long)]
        against: Option<String>,
        /// Plan countermeasures as urgent (ILC art. 52(2)).
        #[arg(long)]
        urgent: bool,
        #[command(flatten)]
        ladder: LadderArg,
        #[arg(long)]
        json: bool,
    },
    /// Propose a measure on one rung, as the acting state (--as state:XX).
    Propose {
        incident: String,
        #[arg(long)]
        rung: String,
        #[arg(long)]
        against: String,
        /// Another state invited to take part (`state:DE` or `DE`; repeat). It takes
        /// part once it joins (`pacta respond join MEASURE --as` that state).
        #[arg(long = "with", value_name = "PARTY")]
        with: Vec<String>,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long)]
        urgent: bool,
        /// TLP 2.0 marking of the measure (default AMBER: a plan is not for publication).
        #[arg(long, default_value = "AMBER")]
        tlp: String,
        #[command(flatten)]
        ladder: LadderArg,
    },
    /// Join a proposed measure you were invited to take part in, as that state (--as state:XX).
    Join {
        measure: String,
        /// Your own words, for instance the basis on which you take part.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Decline an invitation to a measure, or leave a measure you joined (--as state:XX).
    Leave {
        measure: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Withdraw your invitation to a state that has not answered it, saying why; your
    /// measure then no longer waits for it (--as the proposing state).
    Uninvite {
        measure: String,
        /// The invited state (`state:PL` or `PL`).
        #[arg(long, value_name = "PARTY")]
        invitee: String,
        /// Why: the invited state reads it (and, if the measure is CLEAR, everyone).
        #[arg(long)]
        note: String,
    },
    /// Notify a proposed measure to the state it is directed against (with an offer to negotiate).
    Notify(MoveArgs),
    /// Put a measure in effect.
    Enact(MoveArgs),
    /// Pause a measure in effect.
    Suspend(MoveArgs),
    /// End a measure for good.
    Lift(MoveArgs),
    /// Keep an enacted measure although a lift condition is met, saying why (logged).
    Keep {
        measure: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        ladder: LadderArg,
    },
    /// Record a development: call_to_comply, wrongful_act_ceased, dispute_before_tribunal, responsible_state_complied.
    Event {
        incident: String,
        kind: String,
        /// The state held responsible.
        #[arg(long)]
        responsible: String,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        date: Option<String>,
    },
    /// The measures on an incident, those due to be lifted, and the enforcement arc.
    Status {
        incident: String,
        #[command(flatten)]
        ladder: LadderArg,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct MoveArgs {
    measure: String,
    #[arg(long, default_value = "")]
    note: String,
    #[command(flatten)]
    ladder: LadderArg,
}

pub async fn run(db: &str, actor: &PartyId, cmd: RespondCommand) -> anyhow::Result<()> {
    if let RespondCommand::Ladder { ladder, json } = &cmd {
        return show_ladder(&ladder.load()?, *json);
    }
    let store = Store::open(db).await?;
    let result = run_with(&store, actor, cmd).await;
    store.close().await;
    result
}

fn show_ladder(ladder: &Ladder, json: bool) -> anyhow::Result<()> {
    if json {
        return output::print_json(ladder);
    }
    let rows: Vec<Vec<String>> = ladder
        .rungs
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.basis.to_string(),
                r.gate.confidence.map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
                r.gate.status.to_string(),
                r.severity.to_string(),
                r.reversibility.to_string(),
                r.civilian_harm.to_string(),
                r.lift_words(),
            ]
        })
        .collect();
    output::print(&output::table(&["RUNG", "BASIS", "CONFIDENCE", "STATUS", "SEV", "REVERSIBLE", "CIVILIAN HARM", "LIFT WHEN"], &rows, 70))
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

async fn move_to(store: &Store, actor: &PartyId, args: MoveArgs, to: MeasureState) -> anyhow::Result<()> {
    let ladder = args.ladder.load()?;
    let id = ResponseId::parse(&args.measure)?;
    let current = store.get_measure(id, Some(actor)).await?.with_context(|| format!("unknown measure {id}"))?;
    let rung = ladder.require("rung", &current.measure.rung)?.clone();
    let d = load_dossier(store, current.measure.incident, actor).await?;
    let situation = Situation::of(&d.compliance, &current.measure.by, current.measure.against);
    if &current.measure.by == actor {
        pacta_ladder::check_move(&ladder, pacta_norms::builtin(), &d, &current.measure, to)?;
    }
    let at = now();
    let moved = store.move_measure(actor, id, |m| pacta_ladder::transition(m, &rung, &situation, actor, to, &args.note, &at)).await?;
    println!("Measure {id} ({}) is now {to}; log entry {}.", moved.measure.rung, moved.log_index.context("a measure's write is a log entry")?);
    if let Some(due) = pacta_ladder::lift_due(&moved.measure, &rung, &situation) {
        // Art. 52(3) asks only that a countermeasure be suspended while a tribunal sits.
        let verb = if due.action == "suspended" { "suspend" } else { "lift" };
        println!("Its lift condition is met ({}; {}): {verb} it.", due.condition, due.cites);
    }
    Ok(())
}

async fn run_with(store: &Store, actor: &PartyId, cmd: RespondCommand) -> anyhow::Result<()> {
    match cmd {
        RespondCommand::Ladder { .. } => unreachable!("handled before the database is opened"),
        RespondCommand::Plan { incident, by, against, urgent, ladder, json } => {
            let ladder = ladder.load()?;
            let incident = incident_id(store, &incident).await?;
            let d = load_dossier(store, incident, actor).await?;
            let req = PlanRequest { by: StateCode::parse("--by", &by)?, against: against.map(|a| StateCode::parse("--against", &a)).transpose()?, urgent };
            let plan = pacta_ladder::plan(&ladder, pacta_norms::builtin(), &d, &req)?;
            if json {
                return output::print_json(&plan);
            }
            output::print(&render_plan(&plan))?;
        }
        RespondCommand::Propose { incident, rung, against, with, description, urgent, tlp, ladder } => {
            let ladder = ladder.load()?;
            let incident = incident_id(store, &incident).await?;
            let measure = Measure {
                id: ResponseId::new(),
                incident,
                by: actor.clone(),
                with: with.iter().map(|p| PartyId::parse_state_or_party("--with", p)).collect::<Result<_, _>>()?,
                against: StateCode::parse("--against", &against)?,
                rung,
                description,
                urgent,
                tlp: Tlp::parse("--tlp", &tlp)?,
                state: MeasureState::Proposed,
                history: vec![MeasureStep { state: MeasureState::Proposed, at: now(), by: actor.clone(), note: String::new() }],
                kept_despite_lift_condition: None,
                joined: vec![],
                left: vec![],
                withdrawn: vec![],
            };
            let d = load_dossier(store, incident, actor).await?;
            let (rung, plan) = pacta_ladder::check_proposal(&ladder, pacta_norms::builtin(), &d, &measure)?;
            let stored = store.propose_measure(actor, measure).await?;
            println!("Proposed measure {} ({}) against {}; log entry {}.", stored.measure.id, rung.name, stored.measure.against, stored.log_index.context("a measure's write is a log entry")?);
            if let Some(o) = plan.option(&rung.id) {
                for duty in &o.open_duties {
                    println!("  duty still open: {} ({}) — {}", duty.rule, duty.cites, duty.status.words());
                }
            }
        }
        RespondCommand::Join { measure, note } => {
            let id = ResponseId::parse(&measure)?;
            let at = now();
            if let Some(current) = store.get_measure(id, Some(actor)).await? {
                let d = load_dossier(store, current.measure.incident, actor).await?;
                pacta_ladder::check_join(Ladder::builtin(), &d, &current.measure, actor)?;
            }
            let joined = store.move_measure(actor, id, |m| pacta_ladder::join(m, actor, &note, &at)).await?;
            let waiting = joined.measure.pending();
            println!("{actor} joined measure {id} ({}) of {}; log entry {}.", joined.measure.rung, joined.measure.by, joined.log_index.context("a measure's write is a log entry")?);
            if !waiting.is_empty() {
                println!("  still invited, not answered: {}", waiting.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", "));
            }
        }
        RespondCommand::Leave { measure, note } => {
            let id = ResponseId::parse(&measure)?;
            let at = now();
            let left = store.move_measure(actor, id, |m| pacta_ladder::leave(m, actor, &note, &at)).await?;
            println!("{actor} {} measure {id} ({}) of {}; log entry {}.", left.measure.partner_standing(actor), left.measure.rung, left.measure.by, left.log_index.context("a measure's write is a log entry")?);
        }
        RespondCommand::Uninvite { measure, invitee, note } => {
            let id = ResponseId::parse(&measure)?;
            let invitee = PartyId::parse_state_or_party("invitee", &invitee)?;
            let at = now();
            let moved = store.move_measure(actor, id, |m| pacta_ladder::withdraw_invitation(m, actor, &invitee, &note, &at)).await?;
            println!("{actor} withdrew its invitation to {invitee} to measure {id} ({}); log entry {}.", moved.measure.rung, moved.log_index.context("a measure's write is a log entry")?);
            let waiting = moved.measure.pending();
            if !waiting.is_empty() {
                println!("  still invited, not answered: {}", waiting.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", "));
            }
        }
        RespondCommand::Notify(a) => move_to(store, actor, a, MeasureState::Notified).await?,
        RespondCommand::Enact(a) => move_to(store, actor, a, MeasureState::Enacted).await?,
        RespondCommand::Suspend(a) => move_to(store, actor, a, MeasureState::Suspended).await?,
        RespondCommand::Lift(a) => move_to(store, actor, a, MeasureState::Lifted).await?,
        RespondCommand::Keep { measure, reason, ladder } => {
            let ladder = ladder.load()?;
            let id = ResponseId::parse(&measure)?;
            let current = store.get_measure(id, Some(actor)).await?.with_context(|| format!("unknown measure {id}"))?;
            let rung = ladder.require("rung", &current.measure.rung)?.clone();
            let d = load_dossier(store, current.measure.incident, actor).await?;
            let situation = Situation::of(&d.compliance, &current.measure.by, current.measure.against);
            let kept = store.move_measure(actor, id, |m| pacta_ladder::keep(m, &rung, &situation, actor, &reason)).await?;
            println!("Measure {id} kept in force despite its lift condition; log entry {}.", kept.log_index.context("a measure's write is a log entry")?);
        }
        RespondCommand::Event { incident, kind, responsible, note, date } => {
            let incident = incident_id(store, &incident).await?;
            let event = ComplianceEvent {
                id: ComplianceEventId::new(),
                incident,
                kind: ComplianceKind::parse("KIND", &kind)?,
                by: actor.clone(),
                responsible: StateCode::parse("--responsible", &responsible)?,
                date: date.map(|d| pacta_core::incident::parse_past_date("--date", &d, pacta_core::incident::today_anywhere(chrono::Utc::now()))).transpose()?,
                note,
            };
            let stored = store.record_compliance(actor, event).await?;
            println!("Recorded {} ({}); log entry {}.", stored.event.kind, stored.event.responsible, stored.log_index);
            let ladder = Ladder::builtin();
            let d = load_dossier(store, incident, actor).await?;
            for m in &d.measures {
                if let Some(rung) = ladder.rung(&m.rung) && let Some(due) = pacta_ladder::lift_due(m, rung, &Situation::of(&d.compliance, &m.by, m.against)) {
                    println!("  measure {} ({}) is due to be {}: {} ({})", m.id, m.rung, due.action, due.condition, due.cites);
                }
            }
        }
        RespondCommand::Status { incident, ladder, json } => {
            let ladder = ladder.load()?;
            let incident = incident_id(store, &incident).await?;
            let d = load_dossier(store, incident, actor).await?;
            let mut measures = Vec::new();
            for m in &d.measures {
                let rung = ladder.rung(&m.rung);
                let due = rung.and_then(|r| pacta_ladder::lift_due(m, r, &Situation::of(&d.compliance, &m.by, m.against)));
                measures.push((m, due));
            }
            let arc = pacta_ladder::arc(&d);
            if json {
                let ms: Vec<_> = measures.iter().map(|(m, due)| serde_json::json!({ "measure": m, "lift_due": due })).collect();
                return output::print_json(&serde_json::json!({ "status": d.status(), "measures": ms, "arc": arc }));
            }
            let mut text = format!("Attribution status: {}\n\nMeasures\n", d.status().status);
            if measures.is_empty() {
                // Measures are read as the acting party may see them (`--as`).
                text.push_str(&format!("  none visible to {actor}\n"));
            }
            for (m, due) in &measures {
                text.push_str(&format!("  {} {} by {} against {}: {}\n", m.id, m.rung, m.by, m.against, m.state));
                if !m.with.is_empty() {
                    let partners: Vec<String> = m.with.iter().map(|p| m.partner_label(p)).collect();
                    text.push_str(&format!("    with {}\n", partners.join(", ")));
                }
                // A measure in force rests on what the record said when it was taken: say
                // so when the record no longer supports it (a claim withdrawn, contested).
                if matches!(m.state, MeasureState::Notified | MeasureState::Enacted)
                    && let Err(e) = pacta_ladder::check_move(&ladder, pacta_norms::builtin(), &d, m, MeasureState::Enacted)
                {
                    text.push_str(&format!("    NO LONGER SUPPORTED — suspend or lift it: {}\n", e.rule));
                }
                if let Some(due) = due {
                    let must = format!("{} be {}", if due.binding { "MUST" } else { "should" }, due.action);
                    let kept = due.kept_because.as_ref().map(|r| format!(" — kept in force: {r}")).unwrap_or_default();
                    text.push_str(&format!("    {must}: {} ({}){kept}\n", due.condition, due.cites));
                }
            }
            text.push_str("\nEnforcement arc\n");
            for s in &arc {
                text.push_str(&format!("  [{}] {} {}\n", s.phase, s.by, s.what));
            }
            output::print(&text)?;
        }
    }
    Ok(())
}

fn render_plan(p: &pacta_ladder::Plan) -> String {
    let mut s = format!(
        "Response options for {} against {}\n  attribution: {}{}\n  injury: severity {} ({})\n  responsibility: {}\n\n",
        p.by,
        p.against.map(|a| a.to_string()).unwrap_or_else(|| "(no state named)".into()),
        p.against.and_then(|a| p.status.standing(a)).map(|st| st.status.to_string()).unwrap_or_else(|| "none".into()),
        p.against
            .and_then(|a| p.status.standing(a))
            .and_then(|st| st.confidence)
            .map(|c| format!(" at \"{c}\""))
            .unwrap_or_default(),
        p.injury.severity,
        p.injury.because.join("; "),
        p.responsibility.map(|r| r.to_string()).unwrap_or_else(|| "cannot tell".into()),
    );
    s.push_str("Available, least severe first\n");
    for o in &p.options {
        s.push_str(&format!("  {} [{}; severity {}{}] — {}\n", o.name, o.basis, o.severity, if o.commensurate { "" } else { ", ABOVE THE INJURY" }, o.cites));
        for d in &o.open_duties {
            s.push_str(&format!("      open duty: {} ({}): {}\n", d.rule, d.cites, d.status.words()));
        }
        s.push_str(&format!("      lift when: {}{}\n", o.lift_when, o.basis.lift_law().map(|l| format!(" (binding: {l})")).unwrap_or_default()));
        for r in &o.risks {
            s.push_str(&format!("      escalation risk ({}): {}\n", r.kind, r.detail));
        }
    }
    s.push_str("\nNot available\n");
    for u in &p.unavailable {
        s.push_str(&format!("  {} [severity {}]\n", u.name, u.severity));
        for r in &u.reasons {
            s.push_str(&format!("      {r}\n"));
        }
    }
    s
}
