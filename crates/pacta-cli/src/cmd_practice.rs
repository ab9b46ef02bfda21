//! `pacta practice`: state practice computed from the registry — per norm and year, how
//! many incidents engaged it, how many were attributed (and how fast), how many drew a
//! response and which, how the alleged states reacted; and each state's record.
//!
//! ```text
//! pacta practice
//! pacta practice --norm gge.13f --from 2015 --to 2023 --chart gge-13f.svg
//! pacta practice --state RU --json
//! ```
//!
//! The work is in `pacta-practice` (pure); this file reads the registry in pages
//! (`Store::for_each_incident_record`), feeds the tally and prints. Every TLP level is
//! read: the command runs with the database's own access. The public dashboard must pass
//! `Some(Tlp::Clear)` to the same store function instead.

use crate::output;
use anyhow::{Context, bail};
use clap::Args;
use pacta_core::StateCode;
use pacta_practice::{Filter, Options, Practice, Rates, Series, Tally};
use pacta_store::Store;
use std::path::PathBuf;

#[derive(Args)]
pub struct PracticeArgs {
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Only this rule in the per-norm part (a rule id such as gge.13f), with its years.
    #[arg(long, value_name = "RULE")]
    pub norm: Option<String>,
    /// Only incidents this state took part in (ISO 3166-1 alpha-2), and its record in full.
    #[arg(long, value_name = "CC")]
    pub state: Option<String>,
    /// First year counted (of the incident's start).
    #[arg(long, value_name = "YEAR")]
    pub from: Option<i32>,
    /// Last year counted.
    #[arg(long, value_name = "YEAR")]
    pub to: Option<i32>,
    /// Also write an SVG chart, per year, of incidents engaged / attributed / responded
    /// (for --norm's rule, otherwise for incidents engaging any norm).
    #[arg(long, value_name = "FILE.svg")]
    pub chart: Option<PathBuf>,
}

impl PracticeArgs {
    fn filter(&self) -> anyhow::Result<Filter> {
        if let (Some(a), Some(b)) = (self.from, self.to) && a > b {
            bail!("--from {a} is after --to {b}");
        }
        Ok(Filter {
            norm: self.norm.as_deref().map(|n| n.trim().to_string()),
            state: self.state.as_deref().map(|s| StateCode::parse("--state", s)).transpose()?,
            from: self.from,
            to: self.to,
        })
    }
}

/// Reads every incident of the registry and computes its practice with the built-in
/// instruments. Shared by `pacta practice`, `pacta sim axelrod --from-registry` and the
/// tabletop exercise.
pub async fn compute(store: &Store, filter: Filter) -> anyhow::Result<Practice> {
    let opts = Options { filter, ..Options::default() };
    let mut tally = Tally::new(pacta_norms::builtin(), opts).map_err(|e| anyhow::anyhow!("--norm: {e}"))?;
    store
        .for_each_incident_record(None, |page| {
            for r in &page {
                tally.add(r);
            }
        })
        .await
        .context("reading the registry's incidents")?;
    Ok(tally.finish())
}

pub async fn run(db: &str, args: PracticeArgs) -> anyhow::Result<()> {
    let filter = args.filter()?;
    let store = Store::open(db).await?;
    let practice = compute(&store, filter).await?;
    store.close().await;
    if let Some(path) = &args.chart {
        let (series, title) = chart_series(&practice);
        crate::output::write_new_file(path, pacta_practice::render_svg(&series, &title).as_bytes()).context("--chart")?;
    }
    if args.json {
        return output::print_json(&practice);
    }
    output::print(&render(&practice))
}

/// The series a report is about: `--norm`'s rule, even when no incident engaged it (its
/// series is then empty, not the any-norm one), or else every norm.
fn focus(p: &Practice) -> (std::borrow::Cow<'_, Series>, String) {
    use std::borrow::Cow;
    match p.filter.norm.as_deref() {
        Some(rule) => match p.norm(rule) {
            Some(n) => (Cow::Borrowed(&n.series), format!("{} ({})", n.rule, n.cites)),
            None => (Cow::Owned(Series::default()), format!("{rule} (no incident engaged it)")),
        },
        None => (Cow::Borrowed(&p.any_norm), "incidents engaging any norm".to_string()),
    }
}

fn chart_series(p: &Practice) -> (std::borrow::Cow<'_, Series>, String) {
    let span = match (p.filter.from, p.filter.to) {
        (None, None) => String::new(),
        (a, b) => format!(", {}–{}", a.map(|y| y.to_string()).unwrap_or_default(), b.map(|y| y.to_string()).unwrap_or_default()),
    };
    let state = p.filter.state.map(|s| format!(", incidents involving {}", s.name())).unwrap_or_default();
    let (series, title) = focus(p);
    (series, format!("State practice: {title}{state}{span}"))
}

pub fn pct(x: Option<f64>) -> String {
    x.map(|x| format!("{:.1}%", 100.0 * x)).unwrap_or_else(|| "-".into())
}

fn days(x: Option<f64>) -> String {
    x.map(|d| format!("{d:.0}")).unwrap_or_else(|| "-".into())
}

/// The columns every rates table shares.
const RATE_HEADERS: [&str; 8] = ["INCIDENTS", "ATTRIBUTED", "DETECTION", "LAG(d)", "RESPONDED", "PUNISHED", "PUNISHMENT", "DENIED/ACK/SILENT/UNKNOWN"];

fn rate_cells(r: &Rates) -> Vec<String> {
    let x = &r.reactions;
    vec![
        r.incidents.to_string(),
        r.attributed.to_string(),
        pct(r.detection),
        days(r.attribution_lag_median_days),
        r.responded.to_string(),
        r.punished.to_string(),
        pct(r.punishment),
        format!("{}/{}/{}/{}", x.denied, x.acknowledged, x.silent, x.unknown),
    ]
}

fn rates_table(first: &str, rows: Vec<(String, &Rates)>) -> String {
    let mut headers = vec![first];
    headers.extend(RATE_HEADERS);
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(k, r)| {
            let mut row = vec![k];
            row.extend(rate_cells(r));
            row
        })
        .collect();
    output::table(&headers, &rows, 48)
}

fn year_rows(s: &Series) -> Vec<(String, &Rates)> {
    s.years.iter().map(|y| (y.year.map(|y| y.to_string()).unwrap_or_else(|| "undated".into()), &y.rates)).collect()
}

fn top_measures(r: &Rates, n: usize) -> String {
    let mut m: Vec<(&String, &u64)> = r.measures.iter().collect();
    m.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    m.iter().take(n).map(|(k, v)| format!("  {v:>5}  {k}\n")).collect()
}

/// The text report.
pub fn render(p: &Practice) -> String {
    let mut s = format!("State practice from {} incident(s) ({} read)", p.incidents_counted, p.incidents_read);
    let f = &p.filter;
    if let Some(st) = f.state {
        s.push_str(&format!(", those involving {} ({st})", st.name()));
    }
    match (f.from, f.to) {
        (None, None) => {}
        (a, b) => s.push_str(&format!(", {} to {}", a.map_or("the start".into(), |y| y.to_string()), b.map_or("today".into(), |y| y.to_string()))),
    }
    s.push_str(&format!(".\nInstruments {} (built-in).\n", &p.instruments_version[..p.instruments_version.len().min(12)]));
    s.push_str(
        "An incident engages a rule the engine finds breached (or inconsistent with a voluntary norm),\n\
         assessing an unattributed incident as if a foreign state organ had done it. Detection =\n\
         attributed (a credible claim names a state) / incidents; punishment = punished (attributed\n\
         and drew an observed response) / attributed; LAG = median days from start to first attribution.\n\n",
    );
    s.push_str(&rates_table("SCOPE", vec![("all incidents".into(), &p.all.total), ("any norm".into(), &p.any_norm.total)]));

    s.push_str("\nPer norm (most engaged first)\n");
    s.push_str(&rates_table("RULE", p.norms.iter().map(|n| (n.rule.clone(), &n.series.total)).collect()));
    if p.norms.is_empty() {
        s.push_str("  no incident engaged a norm\n");
    }

    let (series, title) = focus(p);
    let series = &*series;
    s.push_str(&format!("\nPer year: {title}\n"));
    s.push_str(&rates_table("YEAR", year_rows(series)));
    let measures = top_measures(&series.total, 10);
    if !measures.is_empty() {
        s.push_str(&format!("\nMeasures drawn ({title}; incidents per measure, top 10)\n{measures}"));
    }

    let shown = if f.state.is_some() { p.states.len() } else { 15 };
    s.push_str(&format!("\nStates (top {} by involvement; --state CC for one in full)\n", shown.min(p.states.len())));
    let rows: Vec<Vec<String>> = p
        .states
        .iter()
        .take(shown)
        .map(|r| {
            let a = &r.as_alleged_author;
            let x = &a.rates.reactions;
            vec![
                format!("{} {}", r.state, r.name),
                format!("{}/{}/{}", r.as_target.incidents, r.as_target.attributed, r.as_target.responded),
                format!("{}/{}/{}", a.rates.incidents, a.named_in_claims, a.engaged_a_norm),
                format!("{}/{}/{}/{}", x.denied, x.acknowledged, x.silent, x.unknown),
                format!("{}/{}", r.as_attributor.claims, r.as_attributor.incidents),
                format!("{}/{}", r.as_responder.responses, r.as_responder.incidents),
            ]
        })
        .collect();
    s.push_str(&output::table(
        &["STATE", "TARGET inc/attr/resp", "AUTHOR alleged/named/engaged", "REACTION d/a/s/u", "ATTRIBUTOR claims/inc", "RESPONDER resp/inc"],
        &rows,
        32,
    ));
    if let Some(st) = f.state && let Some(r) = p.states.iter().find(|r| r.state == st) {
        s.push_str(&format!("\n{} ({st}) as target: detection {}, punishment {}\n", r.name, pct(r.as_target.detection), pct(r.as_target.punishment)));
        let named: Vec<String> = r.as_attributor.states_named.iter().map(|(k, v)| format!("{k} {v}")).collect();
        if !named.is_empty() {
            s.push_str(&format!("as attributor, the states its claims named: {}\n", named.join(", ")));
        }
        let mut m: Vec<(&String, &u64)> = r.as_responder.measures.iter().collect();
        m.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        if !m.is_empty() {
            s.push_str("as responder, its measures:\n");
            for (k, v) in m.iter().take(10) {
                s.push_str(&format!("  {v:>5}  {k}\n"));
            }
        }
    }
    s
}
