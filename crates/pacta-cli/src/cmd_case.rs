//! `pacta case …` and `pacta precedent …`: dispute cases and the precedent they make. See
//! `cmd_forum.rs` for the rest of the forum.

use crate::cmd_attribute::incident_id;
use crate::cmd_forum::{time, uuid};
use crate::output;
use anyhow::Context;
use chrono::Utc;
use clap::Subcommand;
use pacta_core::{PartyId, StateCode, Tlp};
use pacta_forum::case::{Action, DisputeCase, FilingKind, Stage};
use pacta_forum::panel::{Arbitrator, PanelRole};
use pacta_forum::precedent::{self, Outcome, Query};
use pacta_forum::ruling::{Remedy, Ruling, RulingFinding};
use pacta_store::Store;
use pacta_store::forum::cases::NewCase;
use std::collections::BTreeSet;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum CaseCommand {
    /// The roster of neutrals (the secretariat lists them).
    #[command(subcommand)]
    Roster(RosterCommand),
    /// File a case against another state, as the claimant.
    File {
        #[arg(long)]
        against: String,
        #[arg(long)]
        title: String,
        /// An incident the case is about (repeat).
        #[arg(long = "incident", required = true)]
        incidents: Vec<String>,
        /// The statement of claim.
        #[arg(long)]
        claim: String,
        /// An artefact under custody (repeat).
        #[arg(long = "evidence")]
        evidence: Vec<String>,
        #[arg(long, default_value = "AMBER")]
        tlp: String,
    },
    /// File a document: response, memorial, counter_memorial or submission.
    Submit {
        case: String,
        #[arg(long)]
        kind: String,
        #[arg(long)]
        text: String,
        #[arg(long = "evidence")]
        evidence: Vec<String>,
    },
    /// Take the case to the next stage: mediation, then arbitration.
    Escalate {
        case: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        reason: String,
    },
    /// Appoint a neutral from the roster (the secretariat); conflicts are checked.
    Appoint {
        case: String,
        #[arg(long)]
        party: String,
        /// mediator or arbitrator.
        #[arg(long)]
        role: String,
    },
    /// Extend a deadline (the sitting panel).
    Extend {
        case: String,
        #[arg(long)]
        deadline: String,
        /// The new due time (RFC 3339 or YYYY-MM-DD).
        #[arg(long)]
        to: String,
        #[arg(long)]
        reason: String,
    },
    /// Schedule a hearing or meeting (the sitting panel).
    Hearing {
        case: String,
        #[arg(long)]
        when: String,
        #[arg(long)]
        place: String,
    },
    /// Declare that mediation has failed (the mediator).
    Impasse {
        case: String,
        #[arg(long)]
        reason: String,
    },
    /// Order an interim measure (the tribunal).
    Interim {
        case: String,
        #[arg(long = "to")]
        addressed_to: String,
        #[arg(long)]
        text: String,
        #[arg(long)]
        due: Option<String>,
    },
    /// Propose settlement terms (a party).
    Settle {
        case: String,
        #[arg(long)]
        terms: String,
    },
    /// Accept the other party's settlement terms.
    Accept { case: String },
    /// Give the ruling (an arbitrator), from a JSON file: {summary, findings, remedies, published}.
    /// A sole arbitrator's ruling is issued; on a three-member tribunal it is a draft until
    /// a second arbitrator concurs (UNCITRAL art. 33(1)).
    Rule {
        case: String,
        #[arg(long)]
        file: PathBuf,
    },
    /// Concur in the draft ruling of another arbitrator of the tribunal, which issues it
    /// (or put your name to the ruling a majority issued). `--draft` is the reference
    /// `pacta case show` prints for the draft you read: a draft replaced since is refused.
    Concur {
        case: String,
        #[arg(long)]
        draft: String,
    },
    /// Report compliance with remedy N (the respondent).
    Comply {
        case: String,
        #[arg(long)]
        remedy: usize,
        #[arg(long)]
        report: String,
        #[arg(long = "evidence")]
        evidence: Vec<String>,
    },
    /// Confirm compliance with remedy N (the claimant or the tribunal).
    Confirm {
        case: String,
        #[arg(long)]
        remedy: usize,
    },
    /// The cases the acting party may see.
    List {
        #[arg(long)]
        incident: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// One case: stage, deadlines, filings, panel, ruling, compliance.
    Show {
        case: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum RosterCommand {
    /// List a neutral.
    Add {
        #[arg(long)]
        party: String,
        #[arg(long)]
        name: String,
        #[arg(long = "nationality", required = true)]
        nationalities: Vec<String>,
        #[arg(long = "affiliation")]
        affiliations: Vec<String>,
        /// mediator or arbitrator (repeat).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// The roster.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum PrecedentCommand {
    /// Published rulings and settlements, by text, instrument, rule and outcome.
    Search {
        #[arg(default_value = "")]
        text: String,
        #[arg(long)]
        instrument: Option<String>,
        #[arg(long)]
        rule: Option<String>,
        /// settled, breach or no_breach.
        #[arg(long)]
        outcome: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Earlier cases most like an incident.
    Similar {
        incident: String,
        #[arg(long, default_value_t = 5)]
        limit: usize,
    },
}

/// What `pacta case rule --file` reads; the arbitrator and the time are the command's.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RulingFile {
    summary: String,
    findings: Vec<RulingFinding>,
    #[serde(default)]
    remedies: Vec<Remedy>,
    #[serde(default = "yes")]
    published: bool,
}

fn yes() -> bool {
    true
}

fn evidence(list: &[String]) -> anyhow::Result<Vec<uuid::Uuid>> {
    list.iter().map(|e| uuid("--evidence", e)).collect()
}

pub async fn case(store: &Store, actor: &PartyId, cmd: CaseCommand) -> anyhow::Result<()> {
    let now = Utc::now();
    let (id, action) = match cmd {
        CaseCommand::Roster(RosterCommand::Add { party, name, nationalities, affiliations, roles }) => {
            let arb = Arbitrator {
                party: PartyId::parse("--party", &party)?,
                name,
                nationalities: nationalities.iter().map(|n| StateCode::parse("--nationality", n)).collect::<Result<_, _>>()?,
                affiliations: affiliations.iter().map(|a| PartyId::parse("--affiliation", a)).collect::<Result<_, _>>()?,
                roles: roles.iter().map(|r| PanelRole::parse("--role", r)).collect::<Result<_, _>>()?,
            };
            let index = store.list_neutral(actor, arb).await?;
            println!("Listed {party} on the roster; log entry {index}.");
            return Ok(());
        }
        CaseCommand::Roster(RosterCommand::List { json }) => {
            let roster = store.roster().await?;
            if json {
                return output::print_json(&roster);
            }
            let rows: Vec<Vec<String>> = roster
                .iter()
                .map(|a| {
                    let join = |v: Vec<String>| v.join(", ");
                    vec![a.party.to_string(), a.name.clone(), join(a.nationalities.iter().map(|n| n.to_string()).collect()), join(a.affiliations.iter().map(|n| n.to_string()).collect()), join(a.roles.iter().map(|n| n.to_string()).collect())]
                })
                .collect();
            return output::print(&output::table(&["PARTY", "NAME", "NATIONALITY", "AFFILIATIONS", "ROLES"], &rows, 50));
        }
        CaseCommand::File { against, title, incidents, claim, evidence: ev, tlp } => {
            let mut ids = Vec::new();
            for i in &incidents {
                ids.push(incident_id(store, i).await?);
            }
            let new = NewCase { claimant: actor.clone(), respondent: PartyId::parse("--against", &against)?, title, incidents: ids, claim, evidence: evidence(&ev)?, tlp: Tlp::parse("--tlp", &tlp)? };
            let stored = store.file_case(actor, new, now).await?;
            println!("Case {} filed; log entry {}.", stored.case.id, stored.log_index.context("a filing is a log entry")?);
            return output::print(&render(&stored.case));
        }
        CaseCommand::List { incident, json } => {
            let incident = match incident {
                Some(i) => Some(incident_id(store, &i).await?),
                None => None,
            };
            let list = store.cases(incident, Some(actor)).await?;
            if json {
                return output::print_json(&list);
            }
            let rows: Vec<Vec<String>> = list.iter().map(|s| vec![s.case.id.to_string(), s.case.stage.to_string(), s.case.claimant.to_string(), s.case.respondent.to_string(), s.case.title.clone()]).collect();
            return output::print(&output::table(&["ID", "STAGE", "CLAIMANT", "RESPONDENT", "TITLE"], &rows, 60));
        }
        CaseCommand::Show { case, json } => {
            let found = store.get_case(uuid("CASE", &case)?, Some(actor)).await?.with_context(|| format!("unknown case {case}"))?;
            if json {
                return output::print_json(&found);
            }
            return output::print(&render(&found.case));
        }
        CaseCommand::Submit { case, kind, text, evidence: ev } => (case, Action::File { kind: FilingKind::parse("--kind", &kind)?, text, evidence: evidence(&ev)? }),
        CaseCommand::Escalate { case, to, reason } => (case, Action::Escalate { to: Stage::parse("--to", &to)?, reason }),
        CaseCommand::Appoint { case, party, role } => (case, Action::Appoint { party: PartyId::parse("--party", &party)?, role: PanelRole::parse("--role", &role)? }),
        CaseCommand::Extend { case, deadline, to, reason } => (case, Action::Extend { deadline, to: time("--to", &to)?, reason }),
        CaseCommand::Hearing { case, when, place } => (case, Action::ScheduleHearing { when: time("--when", &when)?, place }),
        CaseCommand::Impasse { case, reason } => (case, Action::DeclareImpasse { reason }),
        CaseCommand::Interim { case, addressed_to, text, due } => (case, Action::OrderInterimMeasure { text, addressed_to: PartyId::parse("--to", &addressed_to)?, due: due.map(|d| time("--due", &d)).transpose()? }),
        CaseCommand::Settle { case, terms } => (case, Action::ProposeSettlement { terms }),
        CaseCommand::Accept { case } => (case, Action::AcceptSettlement),
        CaseCommand::Rule { case, file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let f: RulingFile = serde_json::from_str(&text).with_context(|| format!("{} is not a ruling (summary, findings, remedies, published)", file.display()))?;
            let law = pacta_norms::builtin();
            for (i, finding) in f.findings.iter().enumerate() {
                law.check_cited(&format!("findings[{i}]"), finding.rule.as_deref(), finding.instrument.as_deref())?;
            }
            let ruling = Ruling { issued_by: actor.clone(), concurring: vec![], at: now, summary: f.summary, findings: f.findings, remedies: f.remedies, published: f.published };
            (case, Action::Rule { ruling })
        }
        CaseCommand::Comply { case, remedy, report, evidence: ev } => (case, Action::ReportCompliance { remedy, report, evidence: evidence(&ev)? }),
        CaseCommand::Confirm { case, remedy } => (case, Action::ConfirmCompliance { remedy }),
        CaseCommand::Concur { case, draft } => (case, Action::Concur { draft }),
    };
    let stored = store.act_on_case(actor, uuid("CASE", &id)?, action.clone(), now).await?;
    // What the step was is what the log says it was (a ruling may be a draft).
    let index = stored.log_index.context("a step of a case is a log entry")?;
    let kind = store.log_entries(index, index + 1).await?.pop().map(|e| e.kind).unwrap_or_default();
    println!("{kind}: case {} is in {}; log entry {index}.", stored.case.id, stored.case.stage);
    if stored.case.complied() && kind == "remedy.complied" {
        println!("Every remedy is complied with: the responsible state's compliance is recorded on the case's incidents (pacta respond status shows measures due to be lifted).");
    }
    Ok(())
}

fn render(c: &DisputeCase) -> String {
    let t = pacta_forum::fmt_time;
    let mut s = format!("{} — {}\n  {} v. {} ({}), filed {}, TLP:{}\n  incidents: {}\n", c.id, c.title, c.claimant, c.respondent, c.stage, t(c.filed_at), c.tlp, c.incidents.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", "));
    s.push_str("Deadlines\n");
    for d in &c.deadlines {
        let who = d.party.as_ref().map(|p| format!(" ({p})")).unwrap_or_default();
        let met = d.met_at.map(|m| format!(", met {}", t(m))).unwrap_or_default();
        let ext = if d.extensions.is_empty() { String::new() } else { format!(", extended {} time(s)", d.extensions.len()) };
        s.push_str(&format!("  {}{who}: due {}{met}{ext}\n", d.name, t(d.due)));
    }
    for o in c.overdue(Utc::now()) {
        s.push_str(&format!("  OVERDUE: {o}\n"));
    }
    s.push_str("Filings\n");
    for f in &c.filings {
        s.push_str(&format!("  {} {} by {} ({} artefact(s))\n", t(f.at), f.kind, f.by, f.evidence.len()));
    }
    if !c.panel.is_empty() {
        s.push_str("Panel\n");
        for a in &c.panel {
            s.push_str(&format!("  {} {} ({}), appointed {}\n", a.role, a.name, a.party, t(a.at)));
        }
    }
    for h in &c.hearings {
        s.push_str(&format!("Hearing {} at {}\n", t(h.when), h.place));
    }
    for m in &c.interim_measures {
        s.push_str(&format!("Interim measure for {}: {}\n", m.addressed_to, m.text));
    }
    if let Some(st) = &c.settlement {
        s.push_str(&format!("Settlement proposed by {}{}: {}\n", st.proposed_by, if st.accepted_at.is_some() { ", accepted" } else { "" }, st.terms));
    }
    if let Some(d) = &c.draft_ruling {
        s.push_str(&format!("Draft ruling by {} of {}, awaiting a second arbitrator's concurrence: pacta case concur {} --draft {}\n  {}\n", d.issued_by, t(d.at), c.id, d.reference(), d.summary));
        for f in &d.findings {
            s.push_str(&format!("  finding{}: {} — {}\n", f.rule.as_ref().map(|r| format!(" on {r}")).unwrap_or_default(), if f.breached { "breached" } else { "not breached" }, f.text));
        }
        for (i, m) in d.remedies.iter().enumerate() {
            s.push_str(&format!("  remedy {i}: {} ({}){}: {} — due {} (kept the same time after the ruling is issued)\n", m.kind, m.kind.cites(), m.amount.as_ref().map(|a| format!(" {a}")).unwrap_or_default(), m.description, t(m.due)));
        }
        s.push_str(if d.published { "  to be published when issued\n" } else { "  not to be published: it stays with the participants\n" });
    }
    if let Some(r) = &c.ruling {
        let concurring = if r.concurring.is_empty() { String::new() } else { format!(", concurred in by {}", r.concurring.iter().map(|c| format!("{} ({})", c.party, t(c.at))).collect::<Vec<_>>().join(", ")) };
        s.push_str(&format!("Ruling of {} by {}{concurring}{} (reference {})\n  {}\n", t(r.at), r.issued_by, if r.published { "" } else { " (not published)" }, r.reference(), r.summary));
        for f in &r.findings {
            s.push_str(&format!("  finding{}: {} — {}\n", f.rule.as_ref().map(|r| format!(" on {r}")).unwrap_or_default(), if f.breached { "breached" } else { "not breached" }, f.text));
        }
        for (i, (m, cpl)) in r.remedies.iter().zip(&c.compliance).enumerate() {
            let status = if cpl.confirmed_at.is_some() { "complied" } else if cpl.reported_at.is_some() { "reported" } else { "open" };
            s.push_str(&format!("  remedy {i}: {} ({}){} due {} — {status}\n", m.kind, m.kind.cites(), m.amount.as_ref().map(|a| format!(" {a}")).unwrap_or_default(), t(m.due)));
        }
    }
    s
}

pub async fn precedent(store: &Store, cmd: PrecedentCommand) -> anyhow::Result<()> {
    match cmd {
        PrecedentCommand::Search { text, instrument, rule, outcome, json } => {
            let corpus = store.precedents().await?;
            // A misspelt rule or instrument would find nothing, and look like "no precedent".
            let law = pacta_norms::builtin();
            if let Some(r) = &rule
                && !law.rules().any(|(id, _)| id == r.trim())
            {
                return Err(pacta_core::Invalid::new("--rule", r, "is not a rule of the instruments (their ids are in norms/*.md and on the server's /norms pages)").into());
            }
            if let Some(i) = &instrument
                && !law.instruments().iter().any(|x| &*x.id == i.trim())
            {
                return Err(pacta_core::Invalid::new("--instrument", i, format!("is not an instrument: {}", law.instruments().iter().map(|x| x.id.to_string()).collect::<Vec<_>>().join(", "))).into());
            }
            let q = Query { text, instrument, rule, outcome: outcome.map(|o| Outcome::parse("--outcome", &o)).transpose()? };
            let hits = precedent::search(&corpus, &q);
            if json {
                return output::print_json(&hits.iter().map(|(s, p)| serde_json::json!({ "score": s, "precedent": p })).collect::<Vec<_>>());
            }
            let rows: Vec<Vec<String>> = hits.iter().map(|(s, p)| vec![format!("{s:.2}"), p.outcome.to_string(), p.decided.clone(), p.case.to_string(), p.title.clone()]).collect();
            output::print(&output::table(&["SCORE", "OUTCOME", "DECIDED", "CASE", "TITLE"], &rows, 60))?;
        }
        PrecedentCommand::Similar { incident, limit } => {
            let id = incident_id(store, &incident).await?;
            let hits = store.similar_cases(id, &BTreeSet::new(), limit).await?;
            let rows: Vec<Vec<String>> = hits.iter().map(|(s, p)| vec![format!("{s:.2}"), p.outcome.to_string(), p.case.to_string(), p.title.clone()]).collect();
            output::print(&output::table(&["SIMILARITY", "OUTCOME", "CASE", "TITLE"], &rows, 60))?;
        }
    }
    Ok(())
}
