//! `pacta incidents list|show`, `pacta stats`.

use crate::output;
use anyhow::Context;
use clap::{Args, Subcommand};
use pacta_core::*;
use pacta_store::{IncidentFilter, Store};

#[derive(Subcommand)]
pub enum IncidentsCommand {
    /// List incidents, newest first.
    List(ListArgs),
    /// Show one incident: facts, claims, responses, the experts' view, its log entry.
    Show {
        /// The incident's id, or DATASET:RECORD_ID (e.g. eurepoc:2).
        id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct ListArgs {
    /// A state involved as target or alleged author (ISO 3166-1 alpha-2, e.g. UA).
    #[arg(long)]
    state: Option<String>,
    /// A targeted state.
    #[arg(long)]
    target: Option<String>,
    /// An alleged author state.
    #[arg(long)]
    alleged: Option<String>,
    /// A sector (energy, health, government, ...).
    #[arg(long)]
    sector: Option<String>,
    /// An operation type (espionage, disruption, ransomware, ...).
    #[arg(long = "type")]
    operation_type: Option<String>,
    /// Started on or after this date (YYYY-MM-DD).
    #[arg(long)]
    from: Option<String>,
    /// Started on or before this date (YYYY-MM-DD).
    #[arg(long)]
    to: Option<String>,
    /// Words in the title or description (case-insensitive).
    #[arg(long)]
    text: Option<String>,
    /// How many to show, 1 or more.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    limit: u32,
    /// How many to skip first. Bounded so that it fits the database's 64-bit integers.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=(i64::MAX as u64) / 2))]
    offset: u64,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct StatsArgs {
    #[arg(long)]
    json: bool,
}

impl ListArgs {
    fn filter(&self) -> Result<IncidentFilter, Invalid> {
        let state = |flag: &str, v: &Option<String>| v.as_deref().map(|s| StateCode::parse(flag, s)).transpose();
        Ok(IncidentFilter {
            state: state("--state", &self.state)?,
            target_state: state("--target", &self.target)?,
            alleged_state: state("--alleged", &self.alleged)?,
            sector: self.sector.as_deref().map(|s| Sector::parse("--sector", s)).transpose()?,
            operation_type: self.operation_type.as_deref().map(|s| OperationType::parse("--type", s)).transpose()?,
            from: self.from.as_deref().map(|s| incident::parse_date("--from", s)).transpose()?,
            to: self.to.as_deref().map(|s| incident::parse_date("--to", s)).transpose()?,
            text: self.text.clone().filter(|t| !t.trim().is_empty()),
            ..Default::default()
        })
        .and_then(|f| match (f.from, f.to) {
            (Some(from), Some(to)) if to < from => Err(Invalid::new("--to", to, format!("must not be before --from ({from})"))),
            _ => Ok(f),
        })
    }
}

pub async fn run(db: &str, cmd: IncidentsCommand) -> anyhow::Result<()> {
    match cmd {
        IncidentsCommand::List(args) => {
            let filter = args.filter()?;
            let store = Store::open(db).await?;
            let rows = store.list_incidents(&filter, args.limit, args.offset).await?;
            let total = store.count_incidents(&filter).await?;
            if args.json {
                return output::print_json(&serde_json::json!({ "total": total, "offset": args.offset, "incidents": rows }));
            }
            let codes = |v: &[StateCode]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(",");
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.origin.clone().unwrap_or_else(|| r.id.to_string()),
                        r.start_date.map(|d| d.to_string()).unwrap_or_default(),
                        r.operation_types.iter().map(|o| o.label()).collect::<Vec<_>>().join(","),
                        codes(&r.target_states),
                        codes(&r.alleged_states),
                        r.tlp.to_string(),
                        r.title.clone(),
                    ]
                })
                .collect();
            let mut text = output::table(&["ID", "START", "TYPE", "TARGETS", "ALLEGED", "TLP", "TITLE"], &table, 60);
            text.push_str(&format!("{} of {} incident(s) shown (offset {}).\n", rows.len(), total, args.offset));
            output::print(&text)
        }
        IncidentsCommand::Show { id, json } => {
            let store = Store::open(db).await?;
            let found = store.get_incident(&id).await?.with_context(|| format!("no incident {id:?} in the registry"))?;
            if json {
                return output::print_json(&found);
            }
            output::print(&render(&found))
        }
    }
}

fn opt<T: std::fmt::Display>(label: &str, v: &Option<T>) -> String {
    match v {
        Some(v) => format!("  {label}: {v}\n"),
        None => String::new(),
    }
}

fn render(found: &pacta_store::StoredIncident) -> String {
    let r = &found.record;
    let i = &r.incident;
    let mut s = format!("{}\n{}\n", i.title, "=".repeat(i.title.chars().count().min(80)));
    s.push_str(&format!("id {}   TLP:{}   log entry #{}\n", i.id, i.tlp, found.log_index));
    if let Some(o) = &i.origin {
        s.push_str(&format!("source {} record {}\n", o.dataset, o.record_id));
    }
    let dates = match (i.start_date, i.end_date) {
        (Some(a), Some(b)) if a != b => format!("{a} to {b}"),
        (Some(a), _) => a.to_string(),
        _ => "unknown".into(),
    };
    s.push_str(&format!("when {dates}\n"));
    if !i.operation_types.is_empty() {
        s.push_str(&format!("operation {}\n", i.operation_types.iter().map(|o| o.label()).collect::<Vec<_>>().join(", ")));
    }
    if !i.description.is_empty() {
        s.push_str(&format!("\n{}\n", i.description.trim()));
    }
    s.push_str("\nTargets\n");
    for t in &i.targets {
        let place = t.state.map(|c| format!("{} ({c})", c.name())).or_else(|| t.place.clone()).unwrap_or_else(|| "unknown".into());
        let ci = if t.sector.is_critical_infrastructure() { ", critical infrastructure" } else { "" };
        s.push_str(&format!("  {place}: {}{ci}{}\n", t.sector, t.entity.as_ref().map(|e| format!(" — {e}")).unwrap_or_default()));
    }
    s.push_str("\nEffects (unknown ones omitted)\n");
    let e = &i.effects;
    s.push_str(&opt("disruption", &e.disruption));
    s.push_str(&opt("disruption lasted", &e.disruption_duration));
    s.push_str(&opt("data theft", &e.data_theft));
    s.push_str(&opt("data leaked", &e.data_leaked));
    s.push_str(&opt("hijacking", &e.hijacking));
    s.push_str(&opt("physical effects", &e.physical));
    s.push_str(&opt("casualties", &e.casualties));
    s.push_str(&opt("economic loss (EUR)", &e.economic_loss_eur));
    s.push_str("\nAlleged actors (allegations, not attributions)\n");
    for a in &i.alleged_actors {
        s.push_str(&format!(
            "  {} — {}{}\n",
            a.name.as_deref().unwrap_or("unnamed"),
            a.category,
            a.state.map(|c| format!(", {}", c.name())).unwrap_or_default()
        ));
    }
    if i.alleged_actors.is_empty() {
        s.push_str("  none named\n");
    }
    s.push_str(&opt("reaction of the alleged state", &i.alleged_reaction));
    s.push_str(&opt("related conflict intensity (HIIK)", &i.context.conflict_intensity));
    s.push_str(&format!("\nAttribution claims ({})\n", r.attributions.len()));
    for a in &r.attributions {
        let by: Vec<String> = a.attributors.iter().map(|p| p.to_string()).chain(a.attributor_label.clone()).collect();
        let to = [a.actor_name.clone(), a.actor_state.map(|c| c.name().to_string())].into_iter().flatten().collect::<Vec<_>>().join(", ");
        s.push_str(&format!(
            "  {} → {} ({}; {}){}\n",
            if by.is_empty() { "unnamed source".into() } else { by.join("; ") },
            if to.is_empty() { a.actor_category.to_string() } else { to },
            a.basis,
            a.confidence.map(|c| c.to_string()).unwrap_or_else(|| "confidence not stated".into()),
            a.date.map(|d| format!(", {d}")).unwrap_or_default()
        ));
    }
    if !r.responses.is_empty() {
        s.push_str(&format!("\nResponses ({})\n", r.responses.len()));
        for resp in &r.responses {
            let who = resp.responder.as_ref().map(|p| p.to_string()).or_else(|| resp.responder_label.clone()).unwrap_or_default();
            s.push_str(&format!("  {} {} by {who}: {}{}\n", resp.status, resp.domain, resp.measure, resp.date.map(|d| format!(" ({d})")).unwrap_or_default()));
        }
    }
    if let Some(x) = &r.external {
        s.push_str("\nExternal legal assessment (EuRepoC's expert coders; kept apart, never used as facts)\n");
        s.push_str(&opt("state responsibility", &x.state_responsibility));
        if !x.il_breach.is_empty() {
            s.push_str(&format!("  breach of international law: {}\n", x.il_breach.join("; ")));
        }
        s.push_str(&opt("legal response", &x.legal_response));
    }
    if !i.sources.is_empty() {
        s.push_str("\nSources\n");
        for src in &i.sources {
            s.push_str(&format!("  {src}\n"));
        }
    }
    s
}

pub async fn stats(db: &str, args: StatsArgs) -> anyhow::Result<()> {
    let store = Store::open(db).await?;
    let stats = store.stats(&pacta_store::IncidentFilter::default()).await?;
    if args.json {
        return output::print_json(&stats);
    }
    let mut s = format!(
        "{} incidents, {} attribution claims, {} responses, {} external assessments; log of {} entries.\n\n",
        stats.incidents, stats.attributions, stats.responses, stats.external_assessments, stats.log_entries
    );
    s.push_str(&output::counts("By year", &stats.by_year, true));
    s.push('\n');
    s.push_str(&output::counts("By sector", &stats.by_sector, false));
    s.push('\n');
    s.push_str(&output::counts("By operation type", &stats.by_operation_type, false));
    s.push('\n');
    let named: std::collections::BTreeMap<String, u64> = stats.by_alleged_state.iter().map(|(k, v)| (StateCode::parse("s", k).map(|c| format!("{} ({k})", c.name())).unwrap_or(k.clone()), *v)).collect();
    s.push_str(&output::counts("By alleged state", &named, false));
    output::print(&s)
}
