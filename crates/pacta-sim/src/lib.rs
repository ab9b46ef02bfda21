//! Axelrod's Norms and Metanorms games (Axelrod 1986, *An Evolutionary Approach to Norms*,
//! APSR 80(4)), as a pure, seeded and parallel simulation.
//!
//! # Overview
//!
//! Twenty agents each carry a boldness and a vengefulness, three bits each (levels k/7).
//! Every generation each agent has four opportunities to defect; each opportunity has a
//! chance of being seen `S`, drawn uniformly, and the agent defects when `S` is below its
//! boldness. A defection pays the defector `T = 3` and costs every other agent `H = −1`;
//! each other agent sees it with probability `S` and then punishes with probability equal to
//! its vengefulness (`P = −9` to the defector, `E = −2` to the punisher). In the Metanorms
//! game an agent seen not punishing may itself be punished (`P′ = −9`, `E′ = −2`). Agents at
//! or above mean + 1 sd of payoff get two offspring, those at or below mean − 1 sd none, the
//! rest one; the population is refilled to 20 and each bit mutates with probability 1%.
//!
//! Where the paper leaves a choice open, [`Settings`] names it, with the readings of Galán &
//! Izquierdo (2005, JASSS 8(3)) as defaults: population sd, random refill, and "drift" on
//! all-equal payoffs. The model follows the peer implementation in
//! `shared/peers/axelrod_norms_numpy.py` draw for draw in distribution (who observes whom,
//! when metapunishment happens, how `S` is drawn and how refill works).
//!
//! Calibrated scenarios replace the paper's behavioural rules with observed rates
//! ([`Seen::Fixed`], [`Punish::Scaled`], [`Punish::Fixed`]) and the well-mixed population with
//! a graph ([`Network`], after Galán, Łatek & Rizi 2011).
//!
//! [`simulate`] runs many independent runs on rayon's pool. Run `i` draws only from a
//! generator seeded by `(seed, i)` and the per-generation statistics are integer sums, so a
//! [`Summary`] depends on the settings and plan alone, never on the number of threads (except
//! for its timing fields).
//!
//! Invariant: this crate does no I/O and knows nothing of the registry, the CLI or any wire
//! format beyond `serde::Serialize` on its results; the CLI converts flags into [`Settings`].
//!
//! # Example
//!
//! ```
//! use pacta_sim::{simulate, render_table, Game, Plan, Seen, Settings};
//!
//! // The metanorms game as in the paper, 50 runs of 100 generations.
//! let settings = Settings::axelrod(Game::Metanorms);
//! let summary = simulate(&settings, &Plan { runs: 50, generations: 100, seed: 1 })?;
//! assert_eq!(summary.series.mean_boldness.len(), 101);
//! assert!(summary.established > 0.5);
//! println!("{}", render_table(&summary));
//!
//! // A calibrated scenario: defections are seen 30% of the time.
//! let calibrated = Settings { seen: Seen::Fixed(0.3), ..settings };
//! let summary = simulate(&calibrated, &Plan { runs: 10, generations: 50, seed: 1 })?;
//! assert!(summary.mean_boldness <= 1.0);
//! # Ok::<(), pacta_sim::SimError>(())
//! ```

mod error;
mod experiment;
mod model;
mod network;
mod render;
mod rng;
mod settings;

pub use error::SimError;
pub use experiment::{Series, Summary, is_collapsed, is_established, simulate};
pub use model::{Agent, LEVELS, Run, TOP, Tally};
pub use render::{describe_settings, render_svg, render_table};
pub use settings::{
    Deviation, Game, MAX_AGENTS, MAX_CHANCES, MAX_GENERATIONS, MAX_RUNS, Network, OnEqual, Payoffs,
    Plan, Punish, Refill, Seen, Selection, Settings,
};
