//! `pacta assess INCIDENT`, `pacta assess --all [--norms DIR]`: the norms engine applied
//! to the registry.
//!
//! The engine (`pacta-norms`) is pure; this module is the glue that reads incidents from
//! the store, runs it, and keeps the results as derived data (`pacta_store::assessments`):
//! each stored assessment names the instruments version, the engine version and the
//! incident's log index it was computed from, and is recomputed when any of them moved.

use crate::output;
use anyhow::{Context, bail};
use clap::Args;
use pacta_core::{Attribution, Incident, StateCode};
use pacta_norms::fidelity::Projection;
use pacta_norms::{AssessOptions, Assessment, Instruments, extract, render};
use pacta_store::Store;
use pacta_store::assessments::{AssessmentInput, NewAssessment, StoredAssessment, Versions, Which};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct AssessArgs {
    /// The incident: its id, or DATASET:RECORD_ID (e.g. eurepoc:2).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    incident: Option<String>,
    /// Re-assess every incident in the registry and store the results.
    #[arg(long)]
    all: bool,
    /// With --all: a directory of amended instrument files. Reports which conclusions
    /// change against the built-in instruments; stores nothing (a what-if).
    #[arg(long, requires = "all", value_name = "DIR")]
    norms: Option<PathBuf>,
    /// Take this state's view of the law (ISO 3166-1 alpha-2) instead of the first
    /// targeted state's.
    #[arg(long, value_name = "CC")]
    perspective: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

/// The versions the built-in law and this binary's engine give a stored assessment.
pub fn versions() -> Versions<'static> {
    Versions { instruments: pacta_norms::builtin().version(), engine: pacta_norms::ENGINE_VERSION }
}

/// Applies `law` to an incident, its claims and the facts its consultations established
/// (`facts`, from the store's assessment input). Stored assessments carry their trace:
/// `pacta assess` shows exactly what was stored.
fn assess(law: &Instruments, incident: &Incident, claims: &[Attribution], facts: &BTreeMap<String, bool>, perspective: Option<StateCode>, trace: bool) -> anyhow::Result<Assessment> {
    let case = extract::case(incident, claims, perspective, facts)?;
    Ok(law.assess(&case, AssessOptions { trace }))
}

fn reference(i: &Incident) -> String {
    match &i.origin {
        Some(o) => format!("{}:{}", o.dataset.label(), o.record_id),
        None => i.id.to_string(),
    }
}

/// The row stored for an assessment: its conclusions, without the traces. Traces are most
/// of an assessment's JSON (the bundled sample: 15.4 KB a row with them, 4.4 KB without;
/// at a million incidents the difference is about 11 GB), and assessing the same inputs
/// under the same versions reproduces them exactly, which `one` does, and checks, when it
/// shows a stored assessment.
fn stored_row(input: &AssessmentInput, perspective: Option<StateCode>, a: &Assessment) -> anyhow::Result<NewAssessment> {
    Ok(NewAssessment { incident: input.incident.id, perspective, log_index: input.log_index, body: serde_json::to_string(&a.clone().without_traces())? })
}

/// Assesses, under the built-in law, every incident whose stored assessment is missing or
/// stale (new or changed facts or claims, other instruments or engine), and stores the
/// results. Returns how many were assessed. `pacta import` calls this after each import.
pub async fn refresh_stale(store: &Store) -> anyhow::Result<u64> {
    let v = versions();
    let law = pacta_norms::builtin();
    let mut assessed = 0u64;
    // A page at a time, each stored before the next is read: memory stays bounded however
    // many incidents are stale (all of them, after a bulk load or a change of the law).
    let mut pages = Pages { store, stale: Some(v), after: 0 };
    while let Some(inputs) = pages.next().await? {
        let mut rows = Vec::with_capacity(inputs.len());
        for input in &inputs {
            // Traces off: the stored row keeps the conclusions only (see `stored_row`).
            let a = assess(law, &input.incident, &input.attributions, &input.facts, None, false)?;
            rows.push(stored_row(input, None, &a)?);
        }
        store.store_assessments(v, &rows).await?;
        assessed += rows.len() as u64;
    }
    Ok(assessed)
}

/// Incidents per page when assessing the whole registry.
const PAGE: u32 = 5_000;

/// The registry's assessment inputs a page at a time: every incident, or (with `stale`)
/// those whose stored assessment is missing or stale under those versions.
struct Pages<'a> {
    store: &'a Store,
    stale: Option<Versions<'a>>,
    after: i64,
}

impl Pages<'_> {
    /// The next page, never empty; `None` once the registry is done.
    async fn next(&mut self) -> anyhow::Result<Option<Vec<AssessmentInput>>> {
        let inputs = self.store.assessment_inputs(Which::Page { stale: self.stale, after: self.after, limit: PAGE }).await?;
        match inputs.last() {
            Some(last) => {
                self.after = last.seq;
                Ok(Some(inputs))
            }
            None => Ok(None),
        }
    }
}

pub async fn run(db: &str, args: AssessArgs) -> anyhow::Result<()> {
    let perspective = args.perspective.as_deref().map(|s| StateCode::parse("--perspective", s)).transpose()?;
    // Amended instruments are read and checked before the database is opened: a refused
    // set assesses nothing.
    let amended = match &args.norms {
        Some(dir) => Some(load_dir(dir)?),
        None => None,
    };
    let store = Store::open(db).await?;
    let result = match (&args.incident, amended) {
        (Some(wanted), _) => one(&store, wanted, perspective, args.json).await,
        (None, Some(amended)) => what_if(&store, &amended, perspective, args.json).await,
        (None, None) => all(&store, perspective, args.json).await,
    };
    store.close().await;
    result
}

/// Reads every `.md` file under `dir` (recursively) as an instrument and compiles the set.
/// Errors name the file as the user wrote it, with line and column.
pub fn load_dir(dir: &Path) -> anyhow::Result<Instruments> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else if path.extension().is_some_and(|e| e == "md") && path.file_name().is_some_and(|n| n != "README.md") {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, &mut files).with_context(|| format!("cannot read the instruments directory {}", dir.display()))?;
    if files.is_empty() {
        bail!("{} holds no instrument files (*.md)", dir.display());
    }
    files.sort();
    let mut sources = Vec::with_capacity(files.len());
    for f in files {
        let bytes = std::fs::read(&f).with_context(|| format!("cannot read {}", f.display()))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            // Where the bad byte is, as the other load errors say it: file:line:column.
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = good.iter().filter(|b| **b == b'\n').count() + 1;
            let column = good.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            anyhow::anyhow!("{}:{line}:{column}: not UTF-8 text; instruments are written in UTF-8", f.display())
        })?;
        sources.push((f.display().to_string(), text));
    }
    Instruments::load(&sources).map_err(|errors| {
        let list: Vec<String> = errors.0.iter().map(|e| e.to_string()).collect();
        anyhow::anyhow!("the instruments in {} are refused, nothing was assessed:\n{}", dir.display(), list.join("\n"))
    })
}

async fn one(store: &Store, wanted: &str, perspective: Option<StateCode>, json: bool) -> anyhow::Result<()> {
    let found = store.get_incident(wanted).await?.with_context(|| format!("no incident {wanted}"))?;
    let incident = &found.record.incident;
    let v = versions();
    let stored = store.stored_assessment(incident.id, perspective).await?;
    // The same input a refresh reads: registry claims and consultation facts too.
    let input = store.assessment_inputs(Which::One(incident.id)).await?.pop().with_context(|| format!("no incident {wanted}"))?;
    let a = assess(pacta_norms::builtin(), incident, &input.attributions, &input.facts, perspective, true)?;
    let provenance = match stored {
        Some(s) if s.is_fresh(v, found.facts_index) => {
            // The stored copy holds the conclusions; the trace shown is this assessment's,
            // of the same facts under the same law, so both must conclude alike.
            let kept: Assessment = serde_json::from_str(&s.body).with_context(|| format!("the stored assessment of {wanted} is corrupt"))?;
            let drift = render::diff(&kept, &a);
            if !drift.is_empty() {
                bail!(
                    "the stored assessment of {wanted} differs from the same assessment made now under the same instruments and facts ({}); run `pacta assess --all` to store it again",
                    render::diff_text(&drift).trim().replace('\n', "; ")
                );
            }
            format!("stored {}; its trace reproduced now", s.assessed_at)
        }
        stale => {
            let why = why_stale(stale.as_ref(), v);
            store.store_assessments(v, &[stored_row(&input, perspective, &a)?]).await?;
            format!("computed now and stored ({why})")
        }
    };
    let assessment = a;
    if json {
        return output::print_json(&json!({
            "incident": incident.id,
            "reference": reference(incident),
            "title": incident.title,
            "log_index": found.facts_index,
            "engine_version": v.engine,
            "provenance": provenance,
            "eurepoc_projection": projection(incident, &found.record.attributions, perspective, &assessment)?,
            "assessment": assessment,
        }));
    }
    let mut text = format!("{} — {}\n({provenance}; facts as of log entry {})\n\n", reference(incident), incident.title, found.facts_index);
    text.push_str(&render::text(&assessment));
    let p = projection(incident, &found.record.attributions, perspective, &assessment)?;
    text.push_str(&format!(
        "\nEuRepoC-comparable projection (not our legal conclusion): legal response {}, state responsibility {}\n",
        p["legal_response"].as_str().unwrap_or("?"),
        p["state_responsibility"].as_str().unwrap_or("?")
    ));
    output::print(&text)
}

fn why_stale(stored: Option<&StoredAssessment>, v: Versions<'_>) -> &'static str {
    match stored {
        None => "first assessment",
        Some(s) if s.instruments_version != v.instruments => "the instruments changed",
        Some(s) if s.engine_version != v.engine => "the engine changed",
        Some(_) => "the facts or claims changed",
    }
}

/// Our findings projected onto EuRepoC's three indicators, so that a reader can compare
/// them with the experts' coding (`pacta_norms::fidelity::Projection`: a breach under at
/// least one reading of the law in the built-in instruments). Not our legal conclusion.
fn projection(incident: &Incident, claims: &[Attribution], perspective: Option<StateCode>, a: &Assessment) -> anyhow::Result<serde_json::Value> {
    let case = extract::case(incident, claims, perspective, &BTreeMap::new())?;
    let p = Projection::across_views(pacta_norms::builtin(), &case, a);
    Ok(json!({
        "legal_response": p.legal_response.label(),
        "state_responsibility": p.state_responsibility.label(),
        "il_breach": p.il_breach.iter().map(|c| c.label()).collect::<Vec<_>>(),
    }))
}

/// Re-assesses every incident under the built-in law and stores the results that differ
/// from the stored ones (or are missing); reports how many conclusions moved against what
/// was stored before.
async fn all(store: &Store, perspective: Option<StateCode>, json: bool) -> anyhow::Result<()> {
    let v = versions();
    let law = pacta_norms::builtin();
    let started = std::time::Instant::now();
    let (mut assessed, mut stored, mut changed) = (0usize, 0u64, 0u64);
    let mut by_response: BTreeMap<String, u64> = BTreeMap::new();
    let mut pages = Pages { store, stale: None, after: 0 };
    while let Some(inputs) = pages.next().await? {
        // The page's stored assessments in one read (the page is a range of registry
        // positions), to count what moved.
        let (first, last) = (inputs[0].seq, inputs[inputs.len() - 1].seq);
        let mut kept = store.stored_assessments_between(first, last, perspective).await?;
        let mut rows = Vec::with_capacity(inputs.len());
        for input in &inputs {
            let a = assess(law, &input.incident, &input.attributions, &input.facts, perspective, false)?;
            let p = projection(&input.incident, &input.attributions, perspective, &a)?;
            *by_response.entry(p["legal_response"].as_str().unwrap_or("?").to_string()).or_default() += 1;
            let row = stored_row(input, perspective, &a)?;
            assessed += 1;
            if let Some(before) = kept.remove(&input.incident.id) {
                // A fresh row holding the very text just computed is left as it is: writing
                // it again would change nothing but its timestamp, and after a refresh that
                // is every row (a million rewritten rows is most of a pass's time).
                if before.is_fresh(v, input.log_index) && before.body == row.body {
                    continue;
                }
                let before: Option<Assessment> = serde_json::from_str(&before.body).ok();
                if before.is_none_or(|b| !render::diff(&b, &a).is_empty()) {
                    changed += 1;
                }
            }
            rows.push(row);
        }
        if !rows.is_empty() {
            stored += store.store_assessments(v, &rows).await?;
        }
    }
    let took = started.elapsed();
    if json {
        return output::print_json(&json!({
            "assessed": assessed,
            "stored": stored,
            "changed_since_stored": changed,
            "instruments_version": v.instruments,
            "engine_version": v.engine,
            "eurepoc_legal_response_projection": by_response,
        }));
    }
    let mut text = format!(
        "Assessed {} incident(s) under instruments {} in {:.1} ms (reading and storing included); stored {stored}, the others were stored already as assessed now; {changed} changed against the stored assessments.\n",
        assessed,
        &v.instruments[..12],
        took.as_secs_f64() * 1000.0
    );
    text.push_str(&output::counts("EuRepoC-comparable legal response projection:", &by_response, false));
    output::print(&text)
}

/// Assesses every incident under the built-in and the amended instruments and lists the
/// conclusions that differ. Nothing is stored: amended law is a question, not the law.
///
/// The report is written a page at a time, as the pass goes: an amendment can move every
/// incident (a new instrument in force does), and a million changed incidents held until
/// the end took 1.2 GB. The JSON is still one object; `by_change` and `assessed` come last,
/// when known.
async fn what_if(store: &Store, amended: &Instruments, perspective: Option<StateCode>, json: bool) -> anyhow::Result<()> {
    let builtin = pacta_norms::builtin();
    let (mut assessed, mut changed) = (0usize, 0usize);
    // How many incidents each change touches: at a million incidents the list is for
    // searching, the tally is what a forum reads first.
    let mut tally: BTreeMap<String, u64> = BTreeMap::new();
    let mut out = String::new();
    if json {
        out.push_str(&format!(
            "{{\"builtin_version\": {}, \"amended_version\": {}, \"stored\": false, \"changed\": [",
            json!(builtin.version()),
            json!(amended.version())
        ));
    }
    let mut pages = Pages { store, stale: None, after: 0 };
    while let Some(inputs) = pages.next().await? {
        assessed += inputs.len();
        for input in &inputs {
            let before = assess(builtin, &input.incident, &input.attributions, &input.facts, perspective, false)?;
            let after = assess(amended, &input.incident, &input.attributions, &input.facts, perspective, false)?;
            let changes = render::diff(&before, &after);
            if changes.is_empty() {
                continue;
            }
            for c in &changes {
                *tally.entry(c.to_string()).or_default() += 1;
            }
            let i = &input.incident;
            if json {
                out.push_str(if changed == 0 { "\n  " } else { ",\n  " });
                out.push_str(&serde_json::to_string(&json!({"incident": i.id, "reference": reference(i), "title": i.title, "changes": changes}))?);
            } else {
                out.push_str(&format!("{} — {}\n", reference(i), i.title));
                for line in render::diff_text(&changes).lines() {
                    out.push_str(&format!("  {line}\n"));
                }
            }
            changed += 1;
        }
        output::print(&out)?;
        out.clear();
    }
    // `out` still holds the JSON's opening when the registry is empty.
    if json {
        out.push_str(&format!("{}], \"by_change\": {}, \"assessed\": {assessed}}}\n", if changed == 0 { "" } else { "\n" }, json!(tally)));
    } else {
        if !tally.is_empty() {
            // The count first: a change to the instruments in force is a long line.
            let mut by_count: Vec<(&String, &u64)> = tally.iter().collect();
            by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let width = by_count[0].1.to_string().len();
            out.push_str("Incidents touched, by change:\n");
            for (change, n) in by_count {
                out.push_str(&format!("  {n:>width$}  {change}\n"));
            }
        }
        out.push_str(&format!(
            "{changed} of {assessed} incident(s) would be assessed differently under the amended instruments ({}) than under the built-in ones ({}). Nothing was stored.\n",
            &amended.version()[..12],
            &builtin.version()[..12]
        ));
    }
    output::print(&out)
}
