//! `pacta tabletop run SCENARIO.toml`: a tabletop exercise. A scenario is a sequence of
//! timed injects — incidents and their updates, evidence, attribution claims, responses,
//! requests — replayed into a fresh scratch database through the registry's own write
//! paths. After each inject the command prints how the registry evolved: the new log
//! entries, the incident's assessment, and the practice rates.
//!
//! ```text
//! pacta tabletop run scenarios/hospital-ransomware.toml
//! pacta --db sqlite://exercise.db tabletop run scenarios/hospital-ransomware.toml
//! ```
//!
//! Without `--db` the scratch database is a new file under the temporary directory (its
//! path is printed so it can be explored afterwards with `pacta --db … incidents show`);
//! a `--db` that already holds log entries is refused, so an exercise can never write
//! into a real registry. The whole scenario is read and checked before anything is
//! written: unknown fields, labels, states, parties, incident handles, missing evidence
//! files and injects out of time order are refused with the inject's number and id. It is
//! then rehearsed whole in a throwaway database, so that what only the write paths refuse
//! (an end date before the start, a request to oneself) also stops it before the scratch
//! registry is touched. Evidence goes to the exercise's own vault, `<database>.tabletop-vault`.
//!
//! The format, with `scenarios/hospital-ransomware.toml` as the worked example:
//!
//! ```toml
//! title = "…"
//! description = "…"
//!
//! [[inject]]
//! id = "outage"               # names the inject in messages
//! at = 2026-03-02T06:40:00Z   # a TOML date-time with offset; injects in time order
//! kind = "incident"           # incident | update | evidence | attribution | response | request
//! incident = "hospitals"      # the handle later injects use
//! by = "state:EE"             # the acting party (default: --as)
//! # incident: title, description, start_date, operation_types, targets, effects,
//! #           alleged_actors, alleged_reaction, tlp
//! # update: any of description, end_date, targets (added), effects (merged), alleged_reaction
//! # (dates inside an inject are quoted strings, "2026-03-02": only `at` is a TOML date-time)
//! # evidence: file (relative to the scenario), name, description, tlp
//! # attribution: attributors, actor_name, actor_state, actor_category, basis, confidence, date
//! # response: responder, domain, measure, date, description
//! # request: to, subject, template (pacta consult templates; default request_for_information), body
//! ```
//!
//! Attribution claims and responses are written, for now, as part of the incident's
//! record through the incident write path (`incident.updated`), since the registry has no
//! separate claim write path yet. Evidence goes through the custody write path; each party
//! that submits evidence gets an exercise signing key, registered in the scratch log and
//! discarded afterwards.

use crate::{cmd_practice, output};
use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, NaiveDate, Utc};
use clap::Subcommand;
use pacta_core::*;
use pacta_ledger::note::NoteSigner;
use pacta_norms::{AssessOptions, Status, Tri, extract};
use pacta_store::Store;
use pacta_store::evidence::NewEvidence;
use pacta_vault::Vault;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum TabletopCommand {
    /// Replay a scenario into a fresh scratch database, printing how the registry evolves.
    Run {
        /// The scenario file (TOML); evidence files are found relative to it.
        scenario: PathBuf,
    },
}

/// The `--db` default: it means "no database was chosen", so the exercise gets its own.
const DEFAULT_DB: &str = "sqlite://pacta.db";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    title: String,
    #[serde(default)]
    description: String,
    /// Read as tables first, each then into its kind's struct (`read_inject`): through
    /// serde's tagged enum, an error would lose which field it was about, and where.
    #[serde(rename = "inject", default)]
    injects: Vec<toml::Spanned<toml::Table>>,
}

struct Inject {
    id: String,
    at: toml::value::Datetime,
    by: Option<PartyId>,
    what: What,
}

/// The fields every inject has, whatever its kind.
#[derive(Deserialize)]
struct InjectHead {
    id: String,
    at: toml::value::Datetime,
    by: Option<PartyId>,
    kind: String,
}

/// What an inject does, by its `kind` (`read_inject`).
enum What {
    Incident(IncidentInject),
    Update(UpdateInject),
    Evidence(EvidenceInject),
    Attribution(AttributionInject),
    Response(ResponseInject),
    Request(RequestInject),
}

#[derive(Deserialize)]
struct TargetSpec {
    state: Option<StateCode>,
    place: Option<String>,
    sector: Sector,
    entity: Option<String>,
}

#[derive(Deserialize)]
struct ActorSpec {
    name: Option<String>,
    state: Option<StateCode>,
    category: ActorCategory,
}

#[derive(Deserialize, Default)]
struct EffectsSpec {
    disruption: Option<Disruption>,
    disruption_duration: Option<EffectDuration>,
    data_theft: Option<DataTheft>,
    hijacking: Option<Hijacking>,
    physical: Option<PhysicalEffects>,
    physical_duration: Option<EffectDuration>,
    casualties: Option<u32>,
    economic_loss_eur: Option<u64>,
    #[serde(default)]
    spillover_states: Vec<StateCode>,
    data_leaked: Option<bool>,
}

impl EffectsSpec {
    /// Applies the effects the inject states; the ones it leaves out stay as they were,
    /// so an update can escalate one effect without restating the rest.
    fn merge_into(self, e: &mut Effects) {
        macro_rules! set {
            ($($f:ident),*) => { $( if self.$f.is_some() { e.$f = self.$f; } )* };
        }
        set!(disruption, disruption_duration, data_theft, hijacking, physical, physical_duration, casualties, economic_loss_eur, data_leaked);
        for s in self.spillover_states {
            if !e.spillover_states.contains(&s) {
                e.spillover_states.push(s);
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IncidentInject {
    incident: String,
    title: String,
    #[serde(default)]
    description: String,
    start_date: Option<NaiveDate>,
    #[serde(default)]
    operation_types: Vec<OperationType>,
    #[serde(default)]
    targets: Vec<TargetSpec>,
    #[serde(default)]
    effects: EffectsSpec,
    #[serde(default)]
    alleged_actors: Vec<ActorSpec>,
    alleged_reaction: Option<AllegedReaction>,
    tlp: Option<Tlp>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateInject {
    incident: String,
    description: Option<String>,
    end_date: Option<NaiveDate>,
    #[serde(default)]
    targets: Vec<TargetSpec>,
    #[serde(default)]
    effects: EffectsSpec,
    alleged_reaction: Option<AllegedReaction>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EvidenceInject {
    incident: String,
    file: PathBuf,
    name: Option<String>,
    #[serde(default)]
    description: String,
    tlp: Option<Tlp>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttributionInject {
    incident: String,
    /// The attributing parties (default: the inject's `by`).
    #[serde(default)]
    attributors: Vec<PartyId>,
    actor_name: Option<String>,
    actor_state: Option<StateCode>,
    actor_category: ActorCategory,
    basis: AttributionBasis,
    confidence: Option<Confidence>,
    date: Option<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseInject {
    incident: String,
    /// The responding party (default: the inject's `by`).
    responder: Option<PartyId>,
    domain: ResponseDomain,
    measure: String,
    date: Option<NaiveDate>,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestInject {
    incident: String,
    to: PartyId,
    subject: String,
    /// A consultation template (`pacta consult templates`); by default a request for information.
    #[serde(default = "default_template")]
    template: pacta_forum::Template,
    #[serde(default)]
    body: String,
}

fn default_template() -> pacta_forum::Template {
    pacta_forum::Template::RequestForInformation
}

impl What {
    fn label(&self) -> &'static str {
        match self {
            What::Incident(_) => "incident",
            What::Update(_) => "update",
            What::Evidence(_) => "evidence",
            What::Attribution(_) => "attribution",
            What::Response(_) => "response",
            What::Request(_) => "request",
        }
    }

    fn incident(&self) -> &str {
        match self {
            What::Incident(x) => &x.incident,
            What::Update(x) => &x.incident,
            What::Evidence(x) => &x.incident,
            What::Attribution(x) => &x.incident,
            What::Response(x) => &x.incident,
            What::Request(x) => &x.incident,
        }
    }
}

/// A scenario read and checked, with each inject's time resolved.
/// A scenario with every inject read into its kind.
struct Loaded {
    title: String,
    description: String,
    injects: Vec<Inject>,
}

struct Checked {
    scenario: Loaded,
    times: Vec<DateTime<Utc>>,
    dir: PathBuf,
}

/// `value` read as a `T`, or the refusal naming the field at fault (`effects.casualties`)
/// and the value found there.
fn read_as<T: serde::de::DeserializeOwned>(value: toml::Table) -> Result<T, String> {
    // Deserialising consumes the table; the copy is kept to quote the faulty value.
    let original = value.clone();
    serde_path_to_error::deserialize(toml::Value::Table(value)).map_err(|e| {
        let mut segments = e.path().iter();
        let mut at = match segments.next() {
            Some(serde_path_to_error::Segment::Map { key }) => original.get(key),
            _ => None,
        };
        for seg in segments {
            at = match (seg, at) {
                (serde_path_to_error::Segment::Map { key }, Some(toml::Value::Table(t))) => t.get(key),
                (serde_path_to_error::Segment::Seq { index }, Some(toml::Value::Array(a))) => a.get(*index),
                _ => None,
            };
        }
        match (e.path().to_string().as_str(), at) {
            (".", _) => e.inner().to_string(),
            (path, Some(v)) => format!("{path} = {v}: {}", e.inner()),
            (path, None) => format!("{path}: {}", e.inner()),
        }
    })
}

/// One `[[inject]]` table as an inject: its common fields, then the fields of its kind.
fn read_inject(table: toml::Table) -> Result<Inject, String> {
    let (head_fields, rest): (toml::Table, toml::Table) = table.into_iter().partition(|(k, _)| matches!(k.as_str(), "id" | "at" | "by" | "kind"));
    let head: InjectHead = read_as(head_fields)?;
    let what = match head.kind.as_str() {
        "incident" => What::Incident(read_as(rest)?),
        "update" => What::Update(read_as(rest)?),
        "evidence" => What::Evidence(read_as(rest)?),
        "attribution" => What::Attribution(read_as(rest)?),
        "response" => What::Response(read_as(rest)?),
        "request" => What::Request(read_as(rest)?),
        other => return Err(format!("kind = {other:?}: expected incident, update, evidence, attribution, response or request")),
    };
    Ok(Inject { id: head.id, at: head.at, by: head.by, what })
}

/// Reads and checks the whole scenario before anything is written.
fn load(path: &Path) -> anyhow::Result<Checked> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the scenario {}", path.display()))?;
    let raw: Scenario = toml::from_str(&text).map_err(|e| anyhow!("{} is not a valid scenario: {}", path.display(), e.to_string().trim_end()))?;
    let mut injects = Vec::with_capacity(raw.injects.len());
    for (k, table) in raw.injects.into_iter().enumerate() {
        let line = text[..table.span().start.min(text.len())].matches('\n').count() + 1;
        let inject = read_inject(table.into_inner()).map_err(|why| anyhow!("{}:{line}: inject {} is not valid: {why}", path.display(), k + 1))?;
        injects.push(inject);
    }
    let scenario = Loaded { title: raw.title, description: raw.description, injects };
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    if scenario.injects.is_empty() {
        bail!("{}: the scenario has no [[inject]]", path.display());
    }
    let mut times = Vec::new();
    let mut handles: Vec<&str> = Vec::new();
    let mut ids: Vec<&str> = Vec::new();
    for (k, inj) in scenario.injects.iter().enumerate() {
        let name = format!("{}: inject {} ({:?})", path.display(), k + 1, inj.id);
        if ids.contains(&inj.id.as_str()) {
            bail!("{name}: the id is used twice");
        }
        ids.push(&inj.id);
        let at = DateTime::parse_from_rfc3339(&inj.at.to_string())
            .map_err(|_| anyhow!("{name}: at = {} must be a date-time with an offset, e.g. 2026-03-02T06:40:00Z", inj.at))?
            .with_timezone(&Utc);
        if let Some(prev) = times.last() && at < *prev {
            bail!("{name}: at {at} is before the previous inject ({prev}); injects are replayed in time order");
        }
        times.push(at);
        let handle = inj.what.incident();
        match &inj.what {
            What::Incident(_) if handles.contains(&handle) => bail!("{name}: incident {handle:?} is reported twice"),
            What::Incident(_) => handles.push(handle),
            _ if !handles.contains(&handle) => bail!("{name}: no earlier incident inject has incident = {handle:?}"),
            _ => {}
        }
        if let What::Evidence(e) = &inj.what {
            let file = dir.join(&e.file);
            if !file.is_file() {
                bail!("{name}: evidence file {} not found", file.display());
            }
            // A scenario is shared between forums: it may bring its own files, never reach
            // for the host's (`../../etc/passwd`, an absolute path, a link out).
            let inside = |p: &Path| std::fs::canonicalize(p).ok();
            if !matches!((inside(&file), inside(&dir)), (Some(f), Some(d)) if f.starts_with(&d)) {
                bail!("{name}: evidence file {:?} is outside the scenario's directory {}: a scenario's files sit beside it", e.file.display().to_string(), dir.display());
            }
        }
    }
    Ok(Checked { scenario, times, dir })
}

fn party_record(id: &PartyId) -> Party {
    match id.state() {
        Some(s) => Party::state(s),
        None => {
            let (kind, name) = id.as_str().split_once(':').unwrap_or(("org", id.as_str()));
            Party { id: id.clone(), kind: if kind == "verifier" { PartyKind::Verifier } else { PartyKind::Organisation }, name: name.to_string(), state: None }
        }
    }
}

fn add_party(record: &mut IncidentRecord, id: &PartyId) {
    if !record.parties.iter().any(|p| &p.id == id) {
        record.parties.push(party_record(id));
    }
}

fn target(t: TargetSpec) -> Target {
    Target { state: t.state, place: t.place, sector: t.sector, entity: t.entity }
}

fn origin_ref(handle: &str) -> String {
    format!("registry:tabletop-{handle}")
}

pub async fn run(db: &str, actor: &PartyId, cmd: TabletopCommand) -> anyhow::Result<()> {
    let TabletopCommand::Run { scenario: path } = cmd;
    let checked = load(&path)?;
    let db = if db == DEFAULT_DB {
        let dir = std::env::temp_dir().join(format!("pacta-tabletop-{}-{}", std::process::id(), Utc::now().format("%Y%m%dT%H%M%S%.f")));
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        format!("sqlite://{}", dir.join("scratch.db").display())
    } else {
        db.to_string()
    };
    let store = Store::open(&db).await?;
    let size = store.log_size().await?;
    if size > 0 {
        store.close().await;
        bail!("{db} already holds {size} log entries: a tabletop exercise replays into a fresh scratch database (pass --db with a new file)");
    }
    // Some refusals are only found by the write paths themselves (an end date before the
    // start, a request to oneself, an empty measure). So the exercise is first rehearsed,
    // silently, in a throwaway database: only a scenario that replays whole is replayed
    // into the scratch registry, which is never left half-written.
    let rehearsal = std::env::temp_dir().join(format!("pacta-tabletop-rehearsal-{}-{}", std::process::id(), Utc::now().format("%Y%m%dT%H%M%S%.f")));
    std::fs::create_dir_all(&rehearsal).with_context(|| format!("cannot create {}", rehearsal.display()))?;
    let rehearsal_db = format!("sqlite://{}", rehearsal.join("rehearsal.db").display());
    let rehearsed = async {
        let store = Store::open(&rehearsal_db).await?;
        let out = replay(&store, &rehearsal_db, actor, checked, true).await;
        store.close().await;
        out
    }
    .await;
    let _ = std::fs::remove_dir_all(&rehearsal);
    if let Err(e) = rehearsed {
        store.close().await;
        bail!("{}: {e:#}; nothing was written", path.display());
    }

    let out = replay(&store, &db, actor, load(&path)?, false).await;
    store.close().await;
    out
}

/// Replays `checked` into `store`; `quiet` prints nothing (the rehearsal).
async fn replay(store: &Store, db: &str, default_actor: &PartyId, checked: Checked, quiet: bool) -> anyhow::Result<()> {
    let Checked { scenario, times, dir } = checked;
    let print = |s: &str| if quiet { Ok(()) } else { output::print(s) };
    // The exercise's own vault, named after its database: the default `pacta-vault` beside
    // a database could be a real registry's vault, and an exercise never writes there.
    let vault_dir = match db.strip_prefix("sqlite://") {
        Some(p) => PathBuf::from(format!("{p}.tabletop-vault")),
        None => std::env::temp_dir().join(format!("pacta-tabletop-vault-{}", std::process::id())),
    };
    let mut s = format!("Tabletop exercise: {}\n", scenario.title);
    if !scenario.description.trim().is_empty() {
        s.push_str(&format!("{}\n", scenario.description.trim()));
    }
    s.push_str(&format!("Scratch registry: {db}\nIts evidence vault: {} (PACTA_VAULT={0} to read it)\n{} inject(s).\n", vault_dir.display(), scenario.injects.len()));
    print(&s)?;

    let mut records: HashMap<String, IncidentRecord> = HashMap::new();
    let mut signers: HashMap<PartyId, NoteSigner> = HashMap::new();
    let total = scenario.injects.len();
    for (k, (inj, at)) in scenario.injects.into_iter().zip(times).enumerate() {
        let before = store.log_size().await?;
        let by = inj.by.clone().unwrap_or_else(|| default_actor.clone());
        let handle = inj.what.incident().to_string();
        let mut s = format!("\n[{}/{}] {} — {} {:?} by {by}\n", k + 1, total, at.format("%Y-%m-%d %H:%M UTC"), inj.what.label(), inj.id);
        let context = || format!("inject {} ({:?})", k + 1, inj.id);
        // Time has passed since the last inject: reminders and lapses of consultation
        // requests fall due first, as the secretariat's sweep records them.
        for swept in store.sweep_consultations(default_actor, at).await.with_context(context)? {
            let r = &swept.consultation.request;
            if let Some(step) = swept.consultation.steps.last() {
                s.push_str(&format!("  {} on the request from {} to {} ({})\n", step.kind(), r.from, r.to, r.template));
            }
        }
        match inj.what {
            What::Incident(x) => {
                let mut i = Incident::new(x.title, x.tlp.unwrap_or(Tlp::Clear));
                i.origin = Some(Origin { dataset: Dataset::Registry, record_id: format!("tabletop-{}", x.incident) });
                i.description = x.description;
                i.start_date = x.start_date;
                i.operation_types = x.operation_types;
                i.targets = x.targets.into_iter().map(target).collect();
                x.effects.merge_into(&mut i.effects);
                i.alleged_actors = x.alleged_actors.into_iter().map(|a| Actor { name: a.name, state: a.state, category: a.category }).collect();
                i.alleged_reaction = x.alleged_reaction;
                s.push_str(&format!("  reported: {}\n", i.title));
                let record = IncidentRecord::new(i);
                store.report_incident(record.clone(), &by).await.with_context(context)?;
                records.insert(handle.clone(), record);
            }
            What::Update(x) => {
                let record = records.get_mut(&handle).ok_or_else(|| anyhow!("{}: unknown incident {handle:?}", context()))?;
                let i = &mut record.incident;
                if let Some(d) = x.description {
                    i.description = d;
                }
                if x.end_date.is_some() {
                    i.end_date = x.end_date;
                }
                i.targets.extend(x.targets.into_iter().map(target));
                x.effects.merge_into(&mut i.effects);
                if x.alleged_reaction.is_some() {
                    i.alleged_reaction = x.alleged_reaction;
                }
                s.push_str("  the incident's facts changed\n");
                store.report_incident(record.clone(), &by).await.with_context(context)?;
            }
            What::Attribution(x) => {
                let record = records.get_mut(&handle).ok_or_else(|| anyhow!("{}: unknown incident {handle:?}", context()))?;
                let attributors = if x.attributors.is_empty() { vec![by.clone()] } else { x.attributors };
                for p in &attributors {
                    add_party(record, p);
                }
                let names: Vec<&str> = attributors.iter().map(PartyId::as_str).collect();
                let mut to = [x.actor_name.clone(), x.actor_state.map(|c| c.name().to_string())].into_iter().flatten().collect::<Vec<_>>().join(", ");
                if to.is_empty() {
                    to = format!("an unnamed {} actor", x.actor_category);
                }
                s.push_str(&format!("  {} attribute(s) it to {to} ({}, {})\n", names.join(" and "), x.basis, x.confidence.map_or("confidence not stated".into(), |c| c.to_string())));
                record.attributions.push(Attribution {
                    id: AttributionId::new(),
                    incident: record.incident.id,
                    attributors,
                    attributor_label: None,
                    actor_name: x.actor_name,
                    actor_state: x.actor_state,
                    actor_category: x.actor_category,
                    basis: x.basis,
                    confidence: x.confidence,
                    visibility: Visibility::Public,
                    date: x.date,
                    origin_ref: Some(inj.id.clone()),
                });
                store.report_incident(record.clone(), &by).await.with_context(context)?;
            }
            What::Response(x) => {
                let record = records.get_mut(&handle).ok_or_else(|| anyhow!("{}: unknown incident {handle:?}", context()))?;
                let responder = x.responder.unwrap_or_else(|| by.clone());
                add_party(record, &responder);
                s.push_str(&format!("  {responder} responds: {} ({})\n", x.measure, x.domain));
                record.responses.push(Response {
                    id: ResponseId::new(),
                    incident: record.incident.id,
                    responder: Some(responder),
                    responder_label: None,
                    status: ResponseStatus::Observed,
                    domain: x.domain,
                    measure: x.measure,
                    date: x.date,
                    description: x.description,
                });
                store.report_incident(record.clone(), &by).await.with_context(context)?;
            }
            What::Evidence(x) => {
                let file = dir.join(&x.file);
                if !signers.contains_key(&by) {
                    let signer = NoteSigner::generate(by.as_str()).map_err(|e| anyhow!("{}: an exercise key for {by}: {e}", context()))?;
                    store.register_party_key(&by, &by, &signer.verifier().to_vkey()).await.with_context(context)?;
                    s.push_str(&format!("  an exercise signing key for {by} was registered (kept for this run only)\n"));
                    signers.insert(by.clone(), signer);
                }
                let vault = Vault::open(&vault_dir).with_context(|| format!("cannot open the vault at {}", vault_dir.display()))?;
                // The bytes are durable in the vault before the record that names them.
                let put = vault.put_file(&file).with_context(|| format!("{}: reading {}", context(), file.display()))?;
                let name = x.name.unwrap_or_else(|| x.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "artefact".into()));
                let new = NewEvidence { sha256: put.hash, size: put.size, name, description: x.description, media_type: None, tlp: x.tlp.unwrap_or(Tlp::Clear), incident: Some(origin_ref(&handle)), received_from: None };
                let signer = signers.get(&by).ok_or_else(|| anyhow!("{}: no exercise key for {by}", context()))?;
                let (item, _) = store.add_evidence(&vault, &by, signer, new).await.with_context(context)?;
                s.push_str(&format!("  evidence {} ({} bytes, sha256 {}…) in the custody of {by}\n", item.name, item.size, &item.sha256.to_hex()[..16]));
            }
            What::Request(x) => {
                let record = records.get(&handle).ok_or_else(|| anyhow!("{}: unknown incident {handle:?}", context()))?;
                // Both sides must be registered parties; an exercise key registers the one
                // that is not yet, as for evidence.
                let known: Vec<PartyId> = store.parties().await?.into_iter().map(|p| p.id).collect();
                for p in [&by, &x.to] {
                    if !known.contains(p) && !signers.contains_key(p) {
                        let signer = NoteSigner::generate(p.as_str()).map_err(|e| anyhow!("{}: an exercise key for {p}: {e}", context()))?;
                        store.register_party_key(p, p, &signer.verifier().to_vkey()).await.with_context(context)?;
                        s.push_str(&format!("  an exercise signing key for {p} was registered (kept for this run only)\n"));
                        signers.insert(p.clone(), signer);
                    }
                }
                let mut draft = pacta_forum::Draft::new(x.template, by.clone(), x.to.clone(), &x.subject);
                draft.incident = Some(record.incident.id);
                draft.body = x.body;
                let sent = store.send_consultation(&by, draft, at).await.with_context(context)?;
                let r = &sent.consultation.request;
                s.push_str(&format!(
                    "  {} sent to {}: acknowledge by {}, answer by {}\n",
                    r.template.title(),
                    r.to,
                    r.acknowledge_by.format("%Y-%m-%d %H:%M UTC"),
                    r.answer_by.format("%Y-%m-%d %H:%M UTC")
                ));
            }
        }
        if !quiet {
            s.push_str(&after_inject(store, before, records.get(&handle)).await?);
        }
        print(&s)?;
    }
    let s = format!("\nEnd of exercise: {total} inject(s) replayed, log of {} entries at {db}.\n", store.log_size().await?);
    print(&s)
}

/// What changed: new log entries, the incident's assessment, the practice rates.
async fn after_inject(store: &Store, before: u64, record: Option<&IncidentRecord>) -> anyhow::Result<String> {
    let mut s = String::new();
    let after = store.log_size().await?;
    if after == before {
        s.push_str("  log: no new entry\n");
    }
    for e in store.log_entries(before, after).await? {
        // Entries are canonical JSON {actor, kind, record, time}; say who did what. A sealed
        // entry (above CLEAR) names no actor to the public; the operator knows its kind.
        let actor = serde_json::from_slice::<serde_json::Value>(&e.entry).ok().and_then(|v| v.get("actor").and_then(|a| a.as_str()).map(str::to_string));
        let by = actor.map_or_else(|| "(sealed)".to_string(), |a| format!("by {a}"));
        s.push_str(&format!("  log #{} {} {by} ({} bytes, leaf {}…)\n", e.index, e.kind, e.entry.len(), hex_prefix(&e.leaf_hash)));
    }
    if let Some(r) = record {
        // The facts the incident's consultations established (an unanswered request...).
        let facts = store.assessment_inputs(pacta_store::assessments::Which::One(r.incident.id)).await?.pop().map(|i| i.facts).unwrap_or_default();
        s.push_str(&assessment_summary(r, &facts));
    }
    let p = cmd_practice::compute(store, pacta_practice::Filter::default()).await?;
    let t = &p.any_norm.total;
    s.push_str(&format!(
        "  practice: {} incident(s); {} engaged a norm, {} attributed (detection {}), {} punished (punishment {})\n",
        p.incidents_counted,
        t.incidents,
        t.attributed,
        cmd_practice::pct(t.detection),
        t.punished,
        cmd_practice::pct(t.punishment)
    ));
    Ok(s)
}

fn hex_prefix(h: &[u8; 32]) -> String {
    h[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// The incident's assessment in three lines: what it engages, who is responsible and how
/// serious it is, which responses the law opens to the injured state.
fn assessment_summary(r: &IncidentRecord, facts: &BTreeMap<String, bool>) -> String {
    let Ok(case) = extract::case(&r.incident, &r.attributions, None, facts) else { return String::new() };
    let a = pacta_norms::builtin().assess(&case, AssessOptions { trace: false });
    let by = |st: Status| a.findings.iter().filter(|f| f.status == st).map(|f| f.rule.to_string()).collect::<Vec<_>>();
    let (breached, inconsistent, unknown) = (by(Status::Breached), by(Status::InconsistentWithNorm), by(Status::CannotTell));
    let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    let mut s = format!("  assessment: breached {}; inconsistent with norm {}; cannot tell {}\n", list(&breached), list(&inconsistent), unknown.len());
    let resp = a.responsibility.basis.map_or("cannot tell".to_string(), |b| b.to_string());
    let above = a.threshold.cannot_tell_above.map(|t| format!(" (cannot tell above: up to {t})")).unwrap_or_default();
    s.push_str(&format!("  responsibility: {resp}; threshold reached: {}{above}\n", a.threshold.reached));
    let open: Vec<String> = a.responses.iter().map(|c| format!("{} {}", c.response, match c.available { Tri::Yes => "yes", Tri::No => "no", Tri::Unknown => "cannot tell" })).collect();
    s.push_str(&format!("  lawful responses: {}\n", open.join(", ")));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(text: &str) -> anyhow::Result<Checked> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(&path, text).unwrap();
        load(&path)
    }

    const HEAD: &str = "title = \"t\"\n[[inject]]\nid = \"a\"\nat = 2026-03-02T06:00:00Z\nkind = \"incident\"\nincident = \"h\"\ntitle = \"x\"\n";

    #[test]
    fn a_scenario_is_checked_whole_before_anything_is_written() {
        assert!(scenario(HEAD).is_ok());
        let err = |extra: &str| scenario(&format!("{HEAD}{extra}")).err().map(|e| e.to_string()).unwrap_or_default();
        let e = err("[[inject]]\nid = \"b\"\nat = 2026-03-01T00:00:00Z\nkind = \"update\"\nincident = \"h\"\n");
        assert!(e.contains("inject 2 (\"b\")") && e.contains("time order"), "{e}");
        let e = err("[[inject]]\nid = \"b\"\nat = 2026-03-03T00:00:00Z\nkind = \"update\"\nincident = \"elsewhere\"\n");
        assert!(e.contains("no earlier incident inject has incident = \"elsewhere\""), "{e}");
        let e = err("[[inject]]\nid = \"b\"\nat = 2026-03-03T00:00:00Z\nkind = \"evidence\"\nincident = \"h\"\nfile = \"missing.pcap\"\n");
        assert!(e.contains("evidence file") && e.contains("missing.pcap"), "{e}");
        let e = err("[[inject]]\nid = \"b\"\nat = 2026-03-03T00:00:00Z\nkind = \"attribution\"\nincident = \"h\"\nactor_category = \"state\"\nbasis = \"rumour\"\n");
        assert!(e.contains("basis") || e.contains("rumour"), "{e}");
        let e = err("[[inject]]\nid = \"a\"\nat = 2026-03-03T00:00:00Z\nkind = \"update\"\nincident = \"h\"\n");
        assert!(e.contains("used twice"), "{e}");
    }

    #[test]
    fn a_bad_value_in_an_inject_is_named_by_its_field_its_value_and_the_injects_line() {
        let err = |extra: &str| scenario(&format!("{HEAD}{extra}")).err().map(|e| e.to_string()).unwrap_or_default();
        // HEAD is 7 lines; the second inject opens on line 8.
        let e = err("[[inject]]\nid = \"b\"\nat = 2026-03-03T00:00:00Z\nkind = \"incident\"\nincident = \"g\"\ntitle = \"y\"\nstart_date = \"2021-13-45\"\n");
        assert!(e.contains("s.toml:8: inject 2 is not valid: start_date = \"2021-13-45\""), "{e}");
        let e = err("[[inject]]\nid = \"b\"\nat = 2026-03-03T00:00:00Z\nkind = \"update\"\nincident = \"h\"\neffects = { casualties = -1 }\n");
        assert!(e.contains("effects.casualties = -1"), "{e}");
        let e = err("[[inject]]\nid = \"b\"\nat = 2026-03-03T00:00:00Z\nkind = \"update\"\nincident = \"h\"\ntargets = [{ sector = \"energy\" }, { sector = \"moon\" }]\n");
        assert!(e.contains("targets[1].sector = \"moon\""), "{e}");
        let e = err("[[inject]]\nid = \"b\"\nat = 2026-03-03T00:00:00Z\nkind = \"rumour\"\nincident = \"h\"\n");
        assert!(e.contains("kind = \"rumour\": expected incident, update"), "{e}");
    }

    #[test]
    fn a_scenario_brings_its_own_evidence_files_and_cannot_reach_for_the_hosts() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("exercise")).unwrap();
        std::fs::write(dir.path().join("exercise/capture.pcap"), b"pcap").unwrap();
        std::fs::write(dir.path().join("host-secret.txt"), b"secret").unwrap();
        let with = |file: &str| {
            let path = dir.path().join("exercise/s.toml");
            std::fs::write(&path, format!("{HEAD}[[inject]]\nid = \"b\"\nat = 2026-03-03T00:00:00Z\nkind = \"evidence\"\nincident = \"h\"\nfile = {file:?}\n")).unwrap();
            load(&path).err().map(|e| e.to_string())
        };
        assert_eq!(with("capture.pcap"), None);
        let outside = dir.path().join("host-secret.txt");
        for file in ["../host-secret.txt", outside.to_str().unwrap()] {
            let e = with(file).unwrap_or_default();
            assert!(e.contains("is outside the scenario's directory"), "{file}: {e}");
        }
    }
}
