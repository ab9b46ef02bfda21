//! `pacta attribute …`: attribution claims — make, amend, withdraw, endorse, contest — and
//! the status computed from them (never typed in: see `pacta_ladder::status`).

use crate::output;
use anyhow::Context;
use clap::{Args, Subcommand};
use pacta_core::{
    ActorCategory, Attribution, AttributionBasis, AttributionId, ClaimVersion, Confidence, IncidentId, PartyId, Stance, StanceId, StanceKind, StateCode,
    Visibility,
};
use pacta_ladder::Dossier;
use pacta_store::Store;
use uuid::Uuid;

#[derive(Args)]
pub struct ClaimArgs {
    /// The state the conduct is attributed to (ISO 3166-1 alpha-2).
    #[arg(long)]
    state: Option<String>,
    /// The actor's name (an APT group, a unit).
    #[arg(long = "actor-name")]
    actor_name: Option<String>,
    /// The actor's category: state, state_affiliated, non_state_group, criminal, individual, unknown…
    #[arg(long)]
    category: Option<String>,
    /// technical_report, political_statement, legal_proceeding or self_attribution.
    #[arg(long)]
    basis: Option<String>,
    /// An ICD 203 likelihood term: almost_no_chance … almost_certain.
    #[arg(long)]
    confidence: Option<String>,
    /// Another party making the claim jointly (repeat for several).
    #[arg(long = "with", value_name = "PARTY")]
    with: Vec<String>,
    /// Share the claim only with these parties (repeat): makes it private.
    #[arg(long = "share", value_name = "PARTY")]
    share: Vec<String>,
    /// Make a private claim public again (on amend).
    #[arg(long, conflicts_with = "share")]
    public: bool,
    /// Evidence relied on: an artefact id from `pacta evidence` (repeat).
    #[arg(long = "evidence", value_name = "ID")]
    evidence: Vec<String>,
    /// The date of the attribution (YYYY-MM-DD).
    #[arg(long)]
    date: Option<String>,
}

#[derive(Args)]
pub struct StanceArgs {
    claim: String,
    /// Why, in the party's own words (required).
    #[arg(long)]
    reasoning: String,
    /// The party's own ICD 203 likelihood for the claim.
    #[arg(long)]
    confidence: Option<String>,
    /// The party's own evidence: artefact ids (repeat). An endorsement corroborates only with evidence the claim does not already cite.
    #[arg(long = "evidence", value_name = "ID")]
    evidence: Vec<String>,
    #[arg(long)]
    date: Option<String>,
}

#[derive(Subcommand)]
pub enum AttributeCommand {
    /// Attribute an incident, in the acting party's name (--as), alone or jointly.
    Make {
        /// The incident: its id or DATASET:RECORD_ID.
        incident: String,
        #[command(flatten)]
        claim: ClaimArgs,
    },
    /// Record a new version of a claim; what is not given stays as it was.
    Amend {
        claim: String,
        #[command(flatten)]
        changes: ClaimArgs,
        #[arg(long)]
        reason: String,
    },
    /// Withdraw a claim: it stays on record and stops counting.
    Withdraw {
        claim: String,
        #[arg(long)]
        reason: String,
    },
    /// Endorse another party's claim.
    Endorse(StanceArgs),
    /// Contest another party's claim.
    Contest(StanceArgs),
    /// The claims on an incident (latest versions), their stances and the computed status.
    List {
        incident: String,
        #[arg(long)]
        json: bool,
    },
    /// Every version of one claim.
    History {
        claim: String,
        #[arg(long)]
        json: bool,
    },
}

fn parse_evidence(ids: &[String]) -> anyhow::Result<Vec<Uuid>> {
    ids.iter().map(|s| Ok(pacta_store::evidence::EvidenceId::parse(s)?.0)).collect()
}

fn parse_parties(flag: &str, ids: &[String]) -> anyhow::Result<Vec<PartyId>> {
    ids.iter().map(|s| Ok(PartyId::parse(flag, s)?)).collect()
}

fn parse_confidence(s: Option<&String>) -> anyhow::Result<Option<Confidence>> {
    Ok(s.map(|c| Confidence::parse("--confidence", c)).transpose()?)
}

fn parse_date(s: Option<&String>) -> anyhow::Result<Option<chrono::NaiveDate>> {
    let today = pacta_core::incident::today_anywhere(chrono::Utc::now());
    Ok(s.map(|d| pacta_core::incident::parse_past_date("--date", d, today)).transpose()?)
}

/// Applies the flags given to `a` (a new claim or the current version of one).
fn apply(a: &mut Attribution, args: &ClaimArgs, actor: &PartyId) -> anyhow::Result<()> {
    if let Some(s) = &args.state {
        a.actor_state = Some(StateCode::parse("--state", s)?);
    }
    if let Some(n) = &args.actor_name {
        a.actor_name = Some(n.clone());
    }
    if let Some(c) = &args.category {
        a.actor_category = ActorCategory::parse("--category", c)?;
    }
    if let Some(b) = &args.basis {
        a.basis = AttributionBasis::parse("--basis", b)?;
    }
    if let Some(c) = parse_confidence(args.confidence.as_ref())? {
        a.confidence = Some(c);
    }
    if !args.with.is_empty() {
        a.attributors = vec![actor.clone()];
        a.attributors.extend(parse_parties("--with", &args.with)?);
    }
    if !args.share.is_empty() {
        a.visibility = Visibility::Private { shared_with: parse_parties("--share", &args.share)? };
    } else if args.public {
        a.visibility = Visibility::Public;
    }
    if let Some(d) = parse_date(args.date.as_ref())? {
        a.date = Some(d);
    }
    Ok(())
}

pub async fn incident_id(store: &Store, reference: &str) -> anyhow::Result<IncidentId> {
    Ok(store.get_incident(reference).await?.with_context(|| format!("unknown incident {reference}"))?.record.incident.id)
}

/// Everything `viewer` may see about an incident's attribution and response, from one read
/// of its workflow (`Store::workflow_of`), as the server builds it for its pages.
pub async fn load_dossier(store: &Store, incident: IncidentId, viewer: &PartyId) -> anyhow::Result<Dossier> {
    let stored = store.get_incident(&incident.to_string()).await?.with_context(|| format!("unknown incident {incident}"))?;
    let w = store.workflow_of(incident, Some(viewer)).await?;
    // What the incident's consultations that the viewer may read established (an
    // unanswered request to stop...): a fact drawn from one it may not read would reveal
    // that the consultation took place.
    let consultations: Vec<_> = w.consultations.into_iter().map(|c| c.consultation).collect();
    Ok(Dossier {
        incident: Some(stored.record.incident),
        parties: w.parties,
        claims: w.claims.into_iter().map(|c| c.version).collect(),
        stances: w.stances.into_iter().map(|s| s.stance).collect(),
        compliance: w.compliance.into_iter().map(|c| c.event).collect(),
        measures: w.measures.into_iter().map(|m| m.measure).collect(),
        facts: pacta_forum::consult::incident_facts(&consultations),
    })
}

pub async fn run(db: &str, actor: &PartyId, cmd: AttributeCommand) -> anyhow::Result<()> {
    let store = Store::open(db).await?;
    let result = run_with(&store, actor, cmd).await;
    store.close().await;
    result
}

async fn stance(store: &Store, actor: &PartyId, kind: StanceKind, args: StanceArgs) -> anyhow::Result<()> {
    let claim = AttributionId::parse(&args.claim)?;
    let s = Stance {
        id: StanceId::new(),
        claim,
        claim_version: 1,
        incident: IncidentId::new(),
        party: actor.clone(),
        kind,
        confidence: parse_confidence(args.confidence.as_ref())?,
        evidence: parse_evidence(&args.evidence)?,
        reasoning: args.reasoning,
        date: parse_date(args.date.as_ref())?,
    };
    let stored = store.take_stance(actor, s).await?;
    let d = load_dossier(store, stored.stance.incident, actor).await?;
    println!(
        "{actor} {} claim {claim} (version {}); log entry {}. Attribution status: {}.",
        if kind == StanceKind::Endorse { "endorses" } else { "contests" },
        stored.stance.claim_version,
        stored.log_index,
        d.status().status
    );
    Ok(())
}

async fn run_with(store: &Store, actor: &PartyId, cmd: AttributeCommand) -> anyhow::Result<()> {
    match cmd {
        AttributeCommand::Make { incident, claim } => {
            let incident = incident_id(store, &incident).await?;
            let mut a = Attribution {
                id: AttributionId::new(),
                incident,
                attributors: vec![actor.clone()],
                attributor_label: None,
                actor_name: None,
                actor_state: None,
                actor_category: if claim.state.is_some() { ActorCategory::State } else { ActorCategory::Unknown },
                basis: AttributionBasis::TechnicalReport,
                confidence: None,
                visibility: Visibility::Public,
                date: None,
                origin_ref: None,
            };
            apply(&mut a, &claim, actor)?;
            let stored = store.make_claim(actor, a, parse_evidence(&claim.evidence)?).await?;
            let d = load_dossier(store, incident, actor).await?;
            println!("Claim {} made by {actor}; log entry {}. Attribution status: {}.", stored.version.claim(), stored.log_index, d.status().status);
        }
        AttributeCommand::Amend { claim, changes, reason } => {
            let id = AttributionId::parse(&claim)?;
            let history = store.claim_history(id, Some(actor)).await?;
            let current = history.last().context("the claim has no version")?;
            let mut a = current.version.attribution.clone();
            apply(&mut a, &changes, actor)?;
            let evidence = if changes.evidence.is_empty() { current.version.evidence.clone() } else { parse_evidence(&changes.evidence)? };
            let stored = store.amend_claim(actor, id, a, evidence, &reason).await?;
            println!("Claim {id} amended: version {}; log entry {}.", stored.version.version, stored.log_index);
        }
        AttributeCommand::Withdraw { claim, reason } => {
            let id = AttributionId::parse(&claim)?;
            let stored = store.withdraw_claim(actor, id, &reason).await?;
            println!("Claim {id} withdrawn (version {}); log entry {}.", stored.version.version, stored.log_index);
        }
        AttributeCommand::Endorse(args) => stance(store, actor, StanceKind::Endorse, args).await?,
        AttributeCommand::Contest(args) => stance(store, actor, StanceKind::Contest, args).await?,
        AttributeCommand::List { incident, json } => {
            let incident = incident_id(store, &incident).await?;
            let d = load_dossier(store, incident, actor).await?;
            let status = d.status();
            let latest: Vec<&ClaimVersion> = pacta_ladder::status::latest(&d.claims);
            if json {
                return output::print_json(&serde_json::json!({ "status": status, "claims": latest, "stances": d.stances }));
            }
            let rows: Vec<Vec<String>> = latest
                .iter()
                .map(|c| {
                    let a = &c.attribution;
                    vec![
                        a.id.to_string(),
                        format!("v{} {}", c.version, c.action),
                        a.attributors.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("+"),
                        a.actor_state.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                        a.confidence.map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
                        a.basis.to_string(),
                        match &a.visibility {
                            Visibility::Public => "public".into(),
                            Visibility::Private { .. } => "private".into(),
                        },
                        c.evidence.len().to_string(),
                    ]
                })
                .collect();
            let mut text = output::table(&["CLAIM", "VERSION", "BY", "STATE", "CONFIDENCE", "BASIS", "SEEN BY", "EVIDENCE"], &rows, 60);
            for s in &d.stances {
                text.push_str(&format!("  {} {} claim {} ({} artefact(s)): {}\n", s.party, s.kind, s.claim, s.evidence.len(), s.reasoning));
            }
            text.push_str(&format!("Attribution status: {}\n", status.status));
            for st in &status.by_state {
                text.push_str(&format!(
                    "  {}: {} at {} — {} source(s){}\n",
                    st.state,
                    st.status,
                    st.confidence.map(|c| c.to_string()).unwrap_or_else(|| "no stated likelihood".into()),
                    st.sources.len(),
                    if st.contested_by.is_empty() { String::new() } else { format!(", contested by {}", st.contested_by.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")) }
                ));
            }
            output::print(&text)?;
        }
        AttributeCommand::History { claim, json } => {
            let history = store.claim_history(AttributionId::parse(&claim)?, Some(actor)).await?;
            if json {
                return output::print_json(&history);
            }
            let rows: Vec<Vec<String>> = history
                .iter()
                .map(|c| {
                    let a = &c.version.attribution;
                    vec![
                        format!("v{}", c.version.version),
                        c.version.action.to_string(),
                        c.version.recorded_by.to_string(),
                        a.actor_state.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                        a.confidence.map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
                        c.log_index.to_string(),
                        c.version.reason.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            output::print(&output::table(&["VERSION", "ACTION", "BY", "STATE", "CONFIDENCE", "LOG", "REASON"], &rows, 60))?;
        }
    }
    Ok(())
}
