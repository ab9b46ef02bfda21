//! `pacta sim`: run simulations from the command line.
//!
//! Thin glue in two stages (as ripgrep does): clap parses and checks each flag on its own
//! (`parse_*` below, so a bad value is reported with its flag), then [`settings`] builds
//! `pacta_sim::Settings` and the library validates the combination. All the work is in
//! `pacta-sim`; this file only converts flags and prints.
//!
//! ```text
//! pacta sim axelrod --game metanorms --runs 1000 --generations 100 --seed 1
//! pacta sim axelrod --game norms --generations 10000 --runs 100 --chart norms.svg
//! pacta sim axelrod --seen 0.3 --punish-prob 0.5 --network ring:4 --json
//! pacta sim axelrod --from-registry --norm gge.13f      # rates read from the registry (--db)
//! pacta sim axelrod --from-registry seen=0.3,punish=0.5  # rates given
//! ```
//!
//! A bare `--from-registry` is the one case that reads the database: [`calibrate`] computes
//! the rates with `pacta-practice` and hands them to [`settings`] as numbers, so
//! `pacta-sim` stays pure.
//!
//! Needs `pacta-sim`, `pacta-practice` and `pacta-store` (calibration only), `clap` 4 (feature
//! `derive`), `anyhow` 1, `tokio` 1 and `serde_json` 1.

use std::fmt;
use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand, ValueEnum};
use pacta_sim::{
    Deviation, Game, Network, OnEqual, Payoffs, Plan, Punish, Refill, Seen, Selection, Settings,
    SimError, render_svg, render_table, simulate,
};

/// The worked example `pacta sim axelrod --help` ends with; the full walk-through, with
/// the output and its two readings, is in crates/pacta-practice/README.md.
const CALIBRATED_EXAMPLE: &str = "\
Worked example: at today's attribution and response rates, does the norm against attacks
on critical infrastructure (UN GGE 2015, 13(f)) hold?

  $ pacta import eurepoc data/eurepoc-1.1-even
  $ pacta sim axelrod --from-registry --norm gge.13f --runs 1000 --generations 1000
  Calibrated from the registry (sqlite://pacta.db), 820 incident(s) read: 28 engaged
  gge.13f; 16 attributed: seen = 0.571; 4 of those drew a response: punish = 0.250.
  ...
    mean boldness                        0.274

An agent defects when its boldness exceeds the chance of being seen: 0.27 < 0.571, so the
norm holds. But every one of the 19 other agents may punish, so a defection meets a
punisher 95% of the time, where in the registry 4 of the 28 attacks (14%) drew one.
Matching that instead (--from-registry seen=0.571,punish=0.014) gives mean boldness
0.77 > 0.571: the norm erodes. See crates/pacta-practice/README.md.";

/// `pacta sim <MODEL> ...`
#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    #[command(subcommand)]
    pub model: SimModel,
}

#[derive(Debug, Clone, Subcommand)]
pub enum SimModel {
    /// Axelrod's (1986) Norms and Metanorms games, with calibrated variants.
    #[command(after_long_help = CALIBRATED_EXAMPLE)]
    Axelrod(AxelrodArgs),
}

/// Flags of `pacta sim axelrod`. Defaults are the paper's model as read by Galán &
/// Izquierdo (2005).
#[derive(Debug, Clone, Args)]
pub struct AxelrodArgs {
    /// Which game to play.
    #[arg(long, value_enum, default_value_t = GameArg::Metanorms)]
    pub game: GameArg,
    /// Number of independent runs (run i is seeded from --seed and i only).
    #[arg(long, default_value_t = 1000, value_parser = parse_count)]
    pub runs: usize,
    /// Generations per run.
    #[arg(long, default_value_t = 100, value_parser = parse_count)]
    pub generations: usize,
    /// Seed of the whole experiment.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Also write an SVG chart of the per-generation series to this file.
    #[arg(long, value_name = "FILE.svg")]
    pub chart: Option<PathBuf>,
    /// Fix the chance of being seen for every opportunity (default: uniform, as in the paper).
    #[arg(long, value_name = "P", allow_negative_numbers = true, value_parser = parse_probability)]
    pub seen: Option<f64>,
    /// Fix the probability that an observer punishes (default: its vengefulness).
    #[arg(long = "punish-prob", value_name = "P", allow_negative_numbers = true, value_parser = parse_probability, conflicts_with = "punish_scale")]
    pub punish_prob: Option<f64>,
    /// Multiply vengefulness by this factor to get the probability of punishing (capped at 1).
    #[arg(long = "punish-scale", value_name = "M", allow_negative_numbers = true, value_parser = parse_non_negative)]
    pub punish_scale: Option<f64>,
    /// Temptation T: the defector's gain.
    #[arg(long, default_value_t = 3.0, allow_negative_numbers = true, value_parser = parse_finite)]
    pub temptation: f64,
    /// Hurt H: what each other agent suffers per defection.
    #[arg(long, default_value_t = -1.0, allow_negative_numbers = true, value_parser = parse_finite)]
    pub hurt: f64,
    /// Punishment P: what a punished defector suffers.
    #[arg(long, default_value_t = -9.0, allow_negative_numbers = true, value_parser = parse_finite)]
    pub punishment: f64,
    /// Enforcement cost E: what punishing costs.
    #[arg(long, default_value_t = -2.0, allow_negative_numbers = true, value_parser = parse_finite)]
    pub enforcement: f64,
    /// Metapunishment P′: what a punished non-punisher suffers.
    #[arg(long = "meta-punishment", default_value_t = -9.0, allow_negative_numbers = true, value_parser = parse_finite)]
    pub meta_punishment: f64,
    /// Metaenforcement cost E′: what metapunishing costs.
    #[arg(long = "meta-enforcement", default_value_t = -2.0, allow_negative_numbers = true, value_parser = parse_finite)]
    pub meta_enforcement: f64,
    /// Probability that each bit mutates at reproduction.
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true, value_parser = parse_probability)]
    pub mutation: f64,
    /// Selection rule.
    #[arg(long, value_enum, default_value_t = SelectionArg::MeanSd)]
    pub selection: SelectionArg,
    /// How mean±sd selection refills the population to its size.
    #[arg(long, value_enum, default_value_t = RefillArg::Random)]
    pub refill: RefillArg,
    /// What mean±sd selection does when all payoffs are equal.
    #[arg(long = "on-equal", value_enum, default_value_t = OnEqualArg::Drift)]
    pub on_equal: OnEqualArg,
    /// Who sees and punishes whom: well-mixed, ring:K (even degree K) or random:P (each pair
    /// linked with probability P, a new graph per run).
    #[arg(long, value_name = "well-mixed|ring:K|random:P", default_value = "well-mixed", value_parser = parse_network)]
    pub network: NetworkArg,
    /// Population size.
    #[arg(long, default_value_t = 20, value_parser = parse_count)]
    pub agents: usize,
    /// Opportunities to defect per agent per generation.
    #[arg(long, default_value_t = 4)]
    pub chances: u32,
    /// Calibrate from the registry (--db): bare, the chance of being seen is the share of
    /// incidents engaging a norm that were attributed, and the chance of being punished the
    /// share of attributed ones that drew a response (see --norm). Or give the rates:
    /// `seen=P,punish=Q` (either may be omitted). They replace --seen and --punish-prob.
    #[arg(
        long = "from-registry",
        value_name = "seen=P,punish=Q",
        num_args = 0..=1,
        default_missing_value = "",
        value_parser = parse_registry_rates,
        conflicts_with_all = ["seen", "punish_prob", "punish_scale"]
    )]
    pub from_registry: Option<RegistryRates>,
    /// With a bare --from-registry: calibrate from the incidents that engaged this rule
    /// (e.g. gge.13f, the norm against damaging critical infrastructure) instead of those
    /// engaging any norm.
    #[arg(long, value_name = "RULE", requires = "from_registry")]
    pub norm: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GameArg {
    Norms,
    Metanorms,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SelectionArg {
    /// Axelrod: 2 offspring at or above mean + sd, 0 at or below mean − sd (population sd).
    MeanSd,
    /// As mean-sd, with the sample standard deviation.
    MeanSampleSd,
    /// Fitness-proportionate (payoff minus the lowest payoff).
    Roulette,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RefillArg {
    Random,
    Fittest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnEqualArg {
    Drift,
    Keep,
}

/// `--network`, checked for form only; the library checks it against `--agents`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NetworkArg {
    WellMixed,
    Ring(usize),
    Random(f64),
}

impl fmt::Display for NetworkArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetworkArg::WellMixed => write!(f, "well-mixed"),
            NetworkArg::Ring(k) => write!(f, "ring:{k}"),
            NetworkArg::Random(p) => write!(f, "random:{p}"),
        }
    }
}

/// Rates measured in the registry: given on the command line, or (bare --from-registry)
/// computed by [`calibrate`] through `pacta-practice` before [`settings`] applies them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RegistryRates {
    /// Share of defections that were observed: becomes a fixed chance of being seen.
    pub seen: Option<f64>,
    /// Share of observed defections that were punished: becomes a fixed punishment
    /// probability.
    pub punish: Option<f64>,
}

fn parse_probability(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err("expected a probability between 0 and 1".into()),
    }
}

fn parse_finite(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err("expected a finite number".into()),
    }
}

fn parse_non_negative(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err("expected a non-negative number".into()),
    }
}

fn parse_count(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("expected a whole number of at least 1".into()),
    }
}

fn parse_network(s: &str) -> Result<NetworkArg, String> {
    let form = "expected well-mixed, ring:K (K even, 2 <= K < agents) or random:P (0 <= P <= 1)";
    if s == "well-mixed" {
        return Ok(NetworkArg::WellMixed);
    }
    match s.split_once(':') {
        Some(("ring", k)) => match k.parse::<usize>() {
            Ok(k) if k >= 2 && k % 2 == 0 => Ok(NetworkArg::Ring(k)),
            _ => Err(form.into()),
        },
        Some(("random", p)) => parse_probability(p)
            .map(NetworkArg::Random)
            .map_err(|_| form.into()),
        _ => Err(form.into()),
    }
}

fn parse_registry_rates(s: &str) -> Result<RegistryRates, String> {
    let mut rates = RegistryRates::default();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| format!("expected seen=P,punish=Q, got '{part}'"))?;
        let p = parse_probability(value).map_err(|e| format!("{key}: {e}"))?;
        let slot = match key {
            "seen" => &mut rates.seen,
            "punish" => &mut rates.punish,
            _ => return Err(format!("unknown rate '{key}' (expected seen or punish)")),
        };
        if slot.is_some() {
            return Err(format!("{key} is given twice"));
        }
        *slot = Some(p);
    }
    Ok(rates)
}

/// One line naming the flag (and its value) that a library error is about, so that errors
/// read in the user's terms.
fn flag_error(args: &AxelrodArgs, err: &SimError) -> anyhow::Error {
    let opt = |x: Option<f64>| x.map_or_else(|| "-".to_string(), |x| x.to_string());
    let (flag, value) = match err.field() {
        "agents" => ("--agents", args.agents.to_string()),
        "chances" => ("--chances", args.chances.to_string()),
        "runs" => ("--runs", args.runs.to_string()),
        "generations" => ("--generations", args.generations.to_string()),
        "seen" => ("--seen", opt(args.seen)),
        "punish" => (
            "--punish-prob/--punish-scale",
            opt(args.punish_prob.or(args.punish_scale)),
        ),
        "mutation" => ("--mutation", args.mutation.to_string()),
        "network" => ("--network", args.network.to_string()),
        "temptation" => ("--temptation", args.temptation.to_string()),
        "hurt" => ("--hurt", args.hurt.to_string()),
        "punishment" => ("--punishment", args.punishment.to_string()),
        "enforcement" => ("--enforcement", args.enforcement.to_string()),
        "meta_punishment" => ("--meta-punishment", args.meta_punishment.to_string()),
        "meta_enforcement" => ("--meta-enforcement", args.meta_enforcement.to_string()),
        other => return anyhow!("invalid setting {other}: {err}"),
    };
    anyhow!("invalid value '{value}' for {flag}: {err}")
}

/// Builds the model's settings from the flags (the second stage of argument handling).
pub fn settings(args: &AxelrodArgs) -> Result<Settings> {
    // A setting the chosen model never reads would be echoed as if it were in force.
    if matches!(args.game, GameArg::Norms) && (args.meta_punishment != -9.0 || args.meta_enforcement != -2.0) {
        bail!("--meta-punishment and --meta-enforcement apply to the metanorms game only (this is --game norms)");
    }
    if matches!(args.selection, SelectionArg::Roulette) && (!matches!(args.refill, RefillArg::Random) || !matches!(args.on_equal, OnEqualArg::Drift)) {
        bail!("--refill and --on-equal apply to mean±sd selection only (this is --selection roulette)");
    }
    let (seen_rate, punish_rate) = match args.from_registry {
        Some(rates) => {
            if rates.seen.is_none() && rates.punish.is_none() {
                bail!(
                    "--from-registry: no rates given and none computed from the registry; \
                     pass --from-registry seen=P,punish=Q"
                );
            }
            (rates.seen, rates.punish)
        }
        None => (args.seen, args.punish_prob),
    };
    let punish = match (punish_rate, args.punish_scale) {
        (Some(q), _) => Punish::Fixed(q),
        (None, Some(m)) => Punish::Scaled(m),
        (None, None) => Punish::Vengefulness,
    };
    let settings = Settings {
        game: match args.game {
            GameArg::Norms => Game::Norms,
            GameArg::Metanorms => Game::Metanorms,
        },
        agents: args.agents,
        chances: args.chances,
        payoffs: Payoffs {
            temptation: args.temptation,
            hurt: args.hurt,
            punishment: args.punishment,
            enforcement: args.enforcement,
            meta_punishment: args.meta_punishment,
            meta_enforcement: args.meta_enforcement,
        },
        seen: seen_rate.map_or(Seen::Uniform, Seen::Fixed),
        punish,
        mutation: args.mutation,
        selection: match args.selection {
            SelectionArg::MeanSd => Selection::MeanSd {
                deviation: Deviation::Population,
            },
            SelectionArg::MeanSampleSd => Selection::MeanSd {
                deviation: Deviation::Sample,
            },
            SelectionArg::Roulette => Selection::Roulette,
        },
        refill: match args.refill {
            RefillArg::Random => Refill::Random,
            RefillArg::Fittest => Refill::Fittest,
        },
        on_equal: match args.on_equal {
            OnEqualArg::Drift => OnEqual::Drift,
            OnEqualArg::Keep => OnEqual::Keep,
        },
        network: match args.network {
            NetworkArg::WellMixed => Network::WellMixed,
            NetworkArg::Ring(degree) => Network::Ring { degree },
            NetworkArg::Random(p) => Network::Random { p },
        },
    };
    settings.validate().map_err(|e| flag_error(args, &e))?;
    Ok(settings)
}

/// Runs `pacta sim ...`: prints the table, or one JSON object with `--json`, and writes the
/// chart if asked.
pub fn run(args: &SimArgs, db: &str) -> Result<()> {
    match &args.model {
        SimModel::Axelrod(a) => run_axelrod(a, db),
    }
}

/// Reads the registry at `db` and derives the rates; the simulation itself stays pure and
/// receives them as numbers. Says what it derived, and from how many incidents.
fn calibrate(args: &AxelrodArgs, db: &str) -> Result<(RegistryRates, String)> {
    crate::require_database(db).context("--from-registry")?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let filter = pacta_practice::Filter { norm: args.norm.as_deref().map(|n| n.trim().to_string()), ..Default::default() };
    let practice = runtime.block_on(async {
        let store = pacta_store::Store::open(db).await?;
        let p = crate::cmd_practice::compute(&store, filter).await;
        store.close().await;
        p
    })?;
    let c = practice.calibration().map_err(|e| anyhow!("--from-registry: {e}"))?;
    // In the model every other agent sees a defection with chance S and then punishes with
    // chance Q, so with n agents a defection meets at least one punisher with chance
    // 1 - (1 - S·Q)^(n-1): say so, since that is higher than the observed share. On a
    // ring only the K neighbours see it; on a random graph, each other agent with chance P.
    let (others, who) = match args.network {
        NetworkArg::WellMixed => (args.agents.saturating_sub(1) as f64, format!("each of the other {} agents", args.agents.saturating_sub(1))),
        NetworkArg::Ring(k) => (k as f64, format!("each of its {k} neighbours on the ring")),
        NetworkArg::Random(p) => (p * args.agents.saturating_sub(1) as f64, format!("each of its neighbours (about {:.1} on average)", p * args.agents.saturating_sub(1) as f64)),
    };
    let reach = 1.0 - (1.0 - c.seen * c.punish).powf(others);
    let note = format!(
        "Calibrated from the registry ({db}), {} incident(s) read: {} engaged {}; {} attributed: seen = {:.3}; \
         {} of those drew a response: punish = {:.3}.\n\
         In the model {who} sees a defection with chance {:.3} and then punishes with \
         chance {:.3}, so a defection meets at least one punisher with chance {:.3}.\n",
        practice.incidents_read, c.incidents, c.scope, c.attributed, c.seen, c.punished, c.punish, c.seen, c.punish, reach
    );
    Ok((RegistryRates { seen: Some(c.seen), punish: Some(c.punish) }, note))
}

fn run_axelrod(args: &AxelrodArgs, db: &str) -> Result<()> {
    let bare = args.from_registry.is_some_and(|r| r.seen.is_none() && r.punish.is_none());
    if args.norm.is_some() && !bare {
        bail!("--norm: calibrating for one norm needs a bare --from-registry (the rates are then read from the registry)");
    }
    if let Some(path) = &args.chart {
        crate::output::check_new_file(path).context("--chart")?;
    }
    let mut note = String::new();
    let calibrated;
    let args = if bare {
        let (rates, n) = calibrate(args, db)?;
        note = n;
        calibrated = AxelrodArgs { from_registry: Some(rates), ..args.clone() };
        &calibrated
    } else {
        args
    };
    let settings = settings(args)?;
    let plan = Plan {
        runs: args.runs,
        generations: args.generations,
        seed: args.seed,
    };
    let summary = simulate(&settings, &plan).map_err(|e| flag_error(args, &e))?;
    let text = if args.json {
        // The JSON stays the summary alone; what was derived goes to stderr.
        eprint!("{note}");
        let mut s = serde_json::to_string(&summary).context("encoding the summary as JSON")?;
        s.push('\n');
        s
    } else {
        format!("{note}{}", render_table(&summary))
    };
    match io::stdout().lock().write_all(text.as_bytes()) {
        // A closed pipe (`| head`) means the reader has what it wants: not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other.context("writing to standard output")?,
    }
    // The chart comes after the results are out, so a failed write loses nothing.
    if let Some(path) = &args.chart {
        crate::output::write_new_file(path, render_svg(&summary).as_bytes()).context("--chart")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: Cmd,
    }

    #[derive(Subcommand)]
    enum Cmd {
        Sim(SimArgs),
    }

    fn parse(line: &str) -> Result<AxelrodArgs, clap::Error> {
        let argv = std::iter::once("pacta").chain(line.split_whitespace());
        Cli::try_parse_from(argv).map(|cli| match cli.cmd {
            Cmd::Sim(SimArgs {
                model: SimModel::Axelrod(a),
            }) => a,
        })
    }

    #[test]
    fn defaults_are_the_papers_model() {
        let a = parse("sim axelrod").unwrap();
        assert_eq!(settings(&a).unwrap(), Settings::axelrod(Game::Metanorms));
        assert_eq!((a.runs, a.generations, a.seed), (1000, 100, 1));
    }

    #[test]
    fn every_flag_reaches_the_settings() {
        let a = parse(
            "sim axelrod --game norms --runs 5 --generations 7 --seed 9 --seen 0.25 --punish-prob 0.5 \
             --temptation 4 --hurt -2 --punishment -8 --enforcement -1 --mutation 0.02 \
             --selection roulette --network ring:4",
        )
        .unwrap();
        let s = settings(&a).unwrap();
        assert_eq!(s.game, Game::Norms);
        assert_eq!(s.seen, Seen::Fixed(0.25));
        assert_eq!(s.punish, Punish::Fixed(0.5));
        assert_eq!((s.payoffs.temptation, s.payoffs.hurt), (4.0, -2.0));
        assert_eq!((s.payoffs.punishment, s.payoffs.enforcement), (-8.0, -1.0));
        assert_eq!(s.selection, Selection::Roulette);
        assert_eq!(s.network, Network::Ring { degree: 4 });
        let m = settings(&parse("sim axelrod --refill fittest --on-equal keep --meta-punishment -5 --meta-enforcement -1").unwrap()).unwrap();
        assert_eq!((m.refill, m.on_equal), (Refill::Fittest, OnEqual::Keep));
        assert_eq!((m.payoffs.meta_punishment, m.payoffs.meta_enforcement), (-5.0, -1.0));
        let r = parse("sim axelrod --network random:0.3 --punish-scale 0.5").unwrap();
        let s = settings(&r).unwrap();
        assert_eq!(s.network, Network::Random { p: 0.3 });
        assert_eq!(s.punish, Punish::Scaled(0.5));
    }

    /// A setting the chosen model never reads is refused, not echoed as if in force.
    #[test]
    fn settings_the_model_would_not_read_are_refused() {
        let e = settings(&parse("sim axelrod --game norms --meta-punishment -100").unwrap()).unwrap_err().to_string();
        assert!(e.contains("metanorms game only"), "{e}");
        let e = settings(&parse("sim axelrod --selection roulette --refill fittest").unwrap()).unwrap_err().to_string();
        assert!(e.contains("mean±sd selection only"), "{e}");
        let e = parse("sim axelrod --from-registry seen=0.3,seen=0.5").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("seen is given twice"), "{e}");
    }

    #[test]
    fn registry_rates_replace_seen_and_punish() {
        let a = parse("sim axelrod --from-registry seen=0.3,punish=0.6").unwrap();
        let s = settings(&a).unwrap();
        assert_eq!((s.seen, s.punish), (Seen::Fixed(0.3), Punish::Fixed(0.6)));
        let bare = parse("sim axelrod --from-registry").unwrap();
        assert!(
            settings(&bare)
                .unwrap_err()
                .to_string()
                .starts_with("--from-registry")
        );
        assert!(parse("sim axelrod --from-registry seen=2").is_err());
        assert!(parse("sim axelrod --from-registry seen=0.3 --seen 0.2").is_err());
    }

    #[test]
    fn bad_values_name_their_flag_and_value() {
        for (line, flag, value) in [
            ("sim axelrod --game chess", "--game", "chess"),
            ("sim axelrod --runs 0", "--runs", "0"),
            ("sim axelrod --seen 1.5", "--seen", "1.5"),
            ("sim axelrod --punish-prob -0.1", "--punish-prob", "-0.1"),
            ("sim axelrod --mutation x", "--mutation", "x"),
            ("sim axelrod --mutation -1", "--mutation", "-1"),
            ("sim axelrod --punish-scale -2", "--punish-scale", "-2"),
            ("sim axelrod --temptation inf", "--temptation", "inf"),
            ("sim axelrod --network ring:3", "--network", "ring:3"),
            ("sim axelrod --network star", "--network", "star"),
            ("sim axelrod --on-equal maybe", "--on-equal", "maybe"),
        ] {
            let err = parse(line).expect_err(line).to_string();
            let first = err.lines().next().unwrap();
            assert!(
                first.contains(flag) && first.contains(value),
                "{line}: {first}"
            );
        }
        // Valid alone, invalid together: the library's check, reported with the flag.
        let a = parse("sim axelrod --network ring:20").unwrap();
        let err = settings(&a).unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid value 'ring:20' for --network: network must be between 2 and 19, got 20"
        );
    }
}
