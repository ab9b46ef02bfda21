//! `pacta eval eurepoc DIR [--predictions FILE]`: how far our assessments agree with
//! EuRepoC's expert legal coding. Reads the release directly; needs no database.
//!
//! The experts' columns are read by the importer into an `ExternalAssessment`, which the
//! engine never sees: `extract::case` takes the incident and its attribution claims only.
//! They are used here to compare, after the assessment is made. What is compared is our
//! EuRepoC-comparable projection (`fidelity::Projection`: a breach under at least one
//! reading of the law in the instruments), not our own legal conclusion.

use crate::output;
use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use pacta_norms::fidelity::{self, Confusion, Decomposition, FidelityReport, Projection};
use pacta_norms::{AssessOptions, extract};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum EvalCommand {
    /// An EuRepoC release 1.1 directory (Global Database, Attribution and Receiver CSVs).
    Eurepoc {
        dir: PathBuf,
        /// Write one JSON line per incident: id, our conclusions, EuRepoC's, our trace.
        #[arg(long, value_name = "FILE")]
        predictions: Option<PathBuf>,
        /// Which incidents: all, the tuning half (EuRepoC ID divisible by 4) or the
        /// held-out rest, on which fidelity figures are reported.
        #[arg(long, value_enum, default_value_t = Split::All)]
        split: Split,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Split {
    All,
    Tune,
    Holdout,
}

pub fn run(cmd: EvalCommand) -> anyhow::Result<()> {
    let EvalCommand::Eurepoc { dir, predictions, split } = cmd;
    let read = pacta_import::eurepoc::read_dir(&dir)?;
    let law = pacta_norms::builtin();
    let mut out = match &predictions {
        Some(path) => Some(std::io::BufWriter::new(std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?)),
        None => None,
    };
    let mut assessed = Vec::new();
    for r in &read.records {
        let Some(expert) = &r.external else { continue };
        let id = r.incident.origin.as_ref().map(|o| o.record_id.clone()).unwrap_or_else(|| r.incident.id.to_string());
        let number: Option<u64> = id.parse().ok();
        let keep = match split {
            Split::All => true,
            Split::Tune => number.is_some_and(|n| n % 4 == 0),
            Split::Holdout => number.is_some_and(|n| n % 4 != 0),
        };
        if !keep {
            continue;
        }
        let case = extract::case(&r.incident, &r.attributions, None, &BTreeMap::new())?;
        let a = law.assess(&case, AssessOptions { trace: out.is_some() });
        let ours = Projection::across_views(law, &case, &a);
        if let Some(w) = out.as_mut() {
            let line = json!({
                "id": format!("eurepoc:{id}"),
                "ours": {
                    "legal_response": ours.legal_response.label(),
                    "state_responsibility": ours.state_responsibility.label(),
                    "il_breach": ours.il_breach.iter().map(|c| c.label()).collect::<Vec<_>>(),
                },
                "eurepoc": {
                    "legal_response": expert.legal_response.map(|x| x.label()),
                    "state_responsibility": expert.state_responsibility.map(|x| x.label()),
                    "il_breach": expert.il_breach,
                },
                "trace": a,
            });
            writeln!(w, "{line}")?;
        }
        assessed.push((ours, expert.clone()));
    }
    if let Some(mut w) = out {
        w.flush()?;
    }
    let pairs: Vec<_> = assessed.iter().map(|(a, e)| (a, e)).collect();
    let (report, lr, sr) = fidelity::compare(&pairs);
    let parts = fidelity::decompose(&pairs);
    output::print(&render(&report, &lr, &sr, &parts, read.records.len(), assessed.len()))?;
    // The last line is for machines: one JSON object, nothing after it.
    output::print(&(serde_json::to_string(&report)? + "\n"))
}

fn confusion_table(title: &str, c: &Confusion) -> String {
    let mut labels: Vec<&str> = c.counts.keys().map(String::as_str).collect();
    for row in c.counts.values() {
        labels.extend(row.keys().map(String::as_str));
    }
    labels.sort_unstable();
    labels.dedup();
    let mut headers = vec!["expert \\ ours"];
    headers.extend(labels.iter());
    let rows: Vec<Vec<String>> = labels
        .iter()
        .map(|e| {
            let mut row = vec![e.to_string()];
            row.extend(labels.iter().map(|p| c.counts.get(*e).and_then(|r| r.get(*p)).copied().unwrap_or(0).to_string()));
            row
        })
        .collect();
    let a = c.agreement();
    format!("{title} (n = {}): accuracy {:.1} %, Cohen's kappa {:.2}\n{}\n", a.n, a.accuracy * 100.0, a.kappa, output::table(&headers, &rows, 30))
}

fn render(report: &FidelityReport, lr: &Confusion, sr: &Confusion, parts: &Decomposition, read: usize, coded: usize) -> String {
    let mut s = format!("Read {read} incident(s); {coded} carry expert legal coding and were assessed (the coding was not read as facts).\n\n");
    s.push_str(&confusion_table("Legal response indicator", lr));
    let c = parts.experts_self_consistency.agreement();
    s.push_str(&format!(
        "The indicator rests on two questions; on each, our answer against the experts':\n\
         \x20 attributed to a state              agreement {:.1} %, kappa {:.2}\n\
         \x20 a breach of international law      agreement {:.1} %, kappa {:.2}\n\
         The experts' own answers to the two questions give the indicator they coded in {:.1} % of the {} incident(s):\n\
         what answering both questions exactly as they did would reach.\n\n",
        parts.state_attribution.accuracy() * 100.0,
        parts.state_attribution.kappa(),
        parts.breach.accuracy() * 100.0,
        parts.breach.kappa(),
        c.accuracy * 100.0,
        c.n,
    ));
    s.push_str(&confusion_table("State responsibility indicator", sr));
    let rows: Vec<Vec<String>> = report
        .il_breach
        .iter()
        .map(|(c, p)| vec![c.clone(), p.n.to_string(), format!("{:.2}", p.precision), format!("{:.2}", p.recall), format!("{:.2}", p.f1)])
        .collect();
    s.push_str("Breach of international law, per category:\n");
    s.push_str(&output::table(&["category", "n", "precision", "recall", "f1"], &rows, 30));
    s.push('\n');
    s
}
