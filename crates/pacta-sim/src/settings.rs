//! Everything a run can be told: the paper's fixed values as defaults, every choice the paper
//! leaves open as a named setting, and the calibration hooks for observed practice.

use serde::Serialize;

use crate::error::{SimError, finite, in_range, payoff, probability};

/// Which of Axelrod's two games is played.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Game {
    /// Axelrod (1986), "The Norms Game": defect, be seen, be punished.
    Norms,
    /// Axelrod (1986), "The Metanorms Game": in addition, whoever sees a defection and does
    /// not punish it may be punished for that by anyone who sees the omission.
    Metanorms,
}

/// How the chance of being seen, `S`, is set for each opportunity to defect.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "p")]
pub enum Seen {
    /// Axelrod (1986): `S` is drawn uniformly from `[0, 1)` for every opportunity.
    Uniform,
    /// Calibration: every opportunity has the same `S = p`, for example a detection rate
    /// measured in the registry. Agents still defect iff `S < boldness`.
    Fixed(f64),
}

/// How an observer's probability of punishing (and of metapunishing) is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum Punish {
    /// Axelrod (1986): an observer punishes with probability equal to its vengefulness.
    Vengefulness,
    /// Calibration: vengefulness times a factor, capped at 1 (a factor below 1 models
    /// enforcement that is rarer in practice than the disposition to enforce).
    Scaled(f64),
    /// Calibration: every observer punishes with this probability, whatever its
    /// vengefulness (which then no longer affects behaviour and drifts under mutation).
    Fixed(f64),
}

/// Which standard deviation the selection thresholds use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Deviation {
    /// Divide by `n` (Galán & Izquierdo 2005's reading, and the peer's `np.std`).
    Population,
    /// Divide by `n - 1`.
    Sample,
}

/// How the next generation is chosen from this generation's payoffs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Selection {
    /// Axelrod (1986): two offspring for payoff at or above mean + 1 sd, none at or below
    /// mean − 1 sd, one otherwise; then the population is brought back to its size.
    MeanSd { deviation: Deviation },
    /// Variant (fitness-proportionate): each of the `n` places is filled by a parent drawn
    /// with probability proportional to its payoff minus the lowest payoff; uniformly if
    /// all payoffs are equal.
    Roulette,
}

/// How [`Selection::MeanSd`] brings the offspring count back to the population size,
/// which Axelrod (1986) does not specify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Refill {
    /// Galán & Izquierdo (2005): remove offspring chosen at random while there are too many;
    /// duplicate offspring chosen at random while there are too few.
    Random,
    /// Variant: remove the offspring of the lowest payoffs first and duplicate those of the
    /// highest payoffs first (ties broken by position).
    Fittest,
}

/// What [`Selection::MeanSd`] does when all payoffs are equal (sd = 0, so every agent is at
/// once "at or above mean + sd" and "at or below mean − sd").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnEqual {
    /// Galán & Izquierdo (2005), note 4: every agent gets two offspring, then a random half
    /// is removed — neutral drift.
    Drift,
    /// Every agent gets exactly one offspring.
    Keep,
}

/// Who can see, be hurt by and punish whom.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Network {
    /// Axelrod (1986): everyone sees everyone.
    WellMixed,
    /// Galán, Łatek & Rizi (2011): a ring lattice in which each agent is linked to its
    /// `degree / 2` nearest agents on either side (`degree` even).
    Ring { degree: usize },
    /// Galán, Łatek & Rizi (2011): an Erdős–Rényi graph, each pair linked with probability
    /// `p`, drawn afresh for each run from that run's seed.
    Random { p: f64 },
    /// A given graph, for example alliances taken from the registry: undirected edges
    /// between agent positions `0..agents`. Duplicates are ignored.
    Edges { edges: Vec<(usize, usize)> },
}

/// The payoffs of one game (Axelrod 1986 values by default).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Payoffs {
    /// `T`: the defector's gain per defection (Axelrod: 3).
    pub temptation: f64,
    /// `H`: what each other agent (each neighbour, on a network) suffers per defection (−1).
    pub hurt: f64,
    /// `P`: what a defector suffers per punishment (−9).
    pub punishment: f64,
    /// `E`: what punishing costs the punisher (−2).
    pub enforcement: f64,
    /// `P′`: what a non-punisher suffers per metapunishment (−9).
    pub meta_punishment: f64,
    /// `E′`: what metapunishing costs (−2).
    pub meta_enforcement: f64,
}

impl Default for Payoffs {
    fn default() -> Self {
        // Axelrod (1986), the Norms Game: T = 3, H = -1, P = -9, E = -2; the Metanorms Game
        // uses the same values for meta-punishment and meta-enforcement.
        Payoffs {
            temptation: 3.0,
            hurt: -1.0,
            punishment: -9.0,
            enforcement: -2.0,
            meta_punishment: -9.0,
            meta_enforcement: -2.0,
        }
    }
}

/// A complete description of the model. `Settings::axelrod(game)` is the paper's model with
/// Galán & Izquierdo's readings; change fields for variants and calibrated scenarios.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    pub game: Game,
    /// Population size (Axelrod: 20).
    pub agents: usize,
    /// Opportunities to defect per agent per generation (Axelrod: 4).
    pub chances: u32,
    pub payoffs: Payoffs,
    pub seen: Seen,
    pub punish: Punish,
    /// Probability that each of the six bits flips at reproduction (Axelrod: 0.01).
    pub mutation: f64,
    pub selection: Selection,
    pub refill: Refill,
    pub on_equal: OnEqual,
    pub network: Network,
}

/// Largest population accepted: the metanorms game costs O(agents²) per defection.
pub const MAX_AGENTS: usize = 2_000;
/// Largest number of chances to defect per generation.
pub const MAX_CHANCES: u32 = 1_000;

impl Settings {
    /// Axelrod's (1986) model as read by Galán & Izquierdo (2005).
    pub fn axelrod(game: Game) -> Self {
        Settings {
            game,
            agents: 20,
            chances: 4,
            payoffs: Payoffs::default(),
            seen: Seen::Uniform,
            punish: Punish::Vengefulness,
            mutation: 0.01,
            selection: Selection::MeanSd {
                deviation: Deviation::Population,
            },
            refill: Refill::Random,
            on_equal: OnEqual::Drift,
            network: Network::WellMixed,
        }
    }

    /// Checks every field; the simulation never runs with settings this refuses.
    pub fn validate(&self) -> Result<(), SimError> {
        in_range("agents", self.agents as u64, 2, MAX_AGENTS as u64)?;
        in_range(
            "chances",
            u64::from(self.chances),
            1,
            u64::from(MAX_CHANCES),
        )?;
        let p = &self.payoffs;
        payoff("temptation", p.temptation)?;
        payoff("hurt", p.hurt)?;
        payoff("punishment", p.punishment)?;
        payoff("enforcement", p.enforcement)?;
        payoff("meta_punishment", p.meta_punishment)?;
        payoff("meta_enforcement", p.meta_enforcement)?;
        if let Seen::Fixed(s) = self.seen {
            probability("seen", s)?;
        }
        match self.punish {
            Punish::Vengefulness => {}
            Punish::Scaled(m) => {
                finite("punish", m)?;
                if m < 0.0 {
                    return Err(SimError::Invalid {
                        field: "punish",
                        reason: format!("a punishment multiplier cannot be negative, got {m}"),
                    });
                }
            }
            Punish::Fixed(q) => probability("punish", q)?,
        }
        probability("mutation", self.mutation)?;
        match &self.network {
            Network::WellMixed => {}
            Network::Ring { degree } => {
                let max = (self.agents - 1) as u64;
                in_range("network", *degree as u64, 2, max)?;
                if degree % 2 != 0 {
                    return Err(SimError::Invalid {
                        field: "network",
                        reason: format!("a ring's degree must be even, got {degree}"),
                    });
                }
            }
            Network::Random { p } => probability("network", *p)?,
            Network::Edges { edges } => {
                for &(a, b) in edges {
                    if a >= self.agents || b >= self.agents {
                        return Err(SimError::Invalid {
                            field: "network",
                            reason: format!(
                                "edge ({a}, {b}) names an agent outside 0..{}",
                                self.agents
                            ),
                        });
                    }
                    if a == b {
                        return Err(SimError::Invalid {
                            field: "network",
                            reason: format!("edge ({a}, {b}) links an agent to itself"),
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

/// How much to simulate: `runs` independent runs of `generations` generations each, run `i`
/// seeded from `(seed, i)` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub runs: usize,
    pub generations: usize,
    pub seed: u64,
}

/// Most runs in one plan (the per-run work is independent, this only bounds a typo).
pub const MAX_RUNS: usize = 10_000_000;
/// Most generations in one plan: the per-generation series is kept in memory.
pub const MAX_GENERATIONS: usize = 10_000_000;

impl Plan {
    pub fn validate(&self) -> Result<(), SimError> {
        in_range("runs", self.runs as u64, 1, MAX_RUNS as u64)?;
        in_range(
            "generations",
            self.generations as u64,
            1,
            MAX_GENERATIONS as u64,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        Settings::axelrod(Game::Norms).validate().unwrap();
        Settings::axelrod(Game::Metanorms).validate().unwrap();
    }

    /// A temptation of 1e160 once switched selection off without a word: the variance of
    /// the payoffs overflowed to infinity.
    #[test]
    fn payoffs_too_large_for_selection_are_refused() {
        let mut s = Settings::axelrod(Game::Norms);
        s.payoffs.temptation = 1e160;
        let e = s.validate().unwrap_err();
        assert_eq!(e.field(), "temptation");
        assert!(e.to_string().contains("overflow"), "{e}");
        s.payoffs.temptation = -1e9;
        s.validate().unwrap();
    }

    #[test]
    fn bad_settings_are_refused_with_their_field() {
        let base = Settings::axelrod(Game::Metanorms);
        let cases: Vec<(Settings, &str)> = vec![
            (
                Settings {
                    agents: 1,
                    ..base.clone()
                },
                "agents",
            ),
            (
                Settings {
                    chances: 0,
                    ..base.clone()
                },
                "chances",
            ),
            (
                Settings {
                    seen: Seen::Fixed(1.5),
                    ..base.clone()
                },
                "seen",
            ),
            (
                Settings {
                    seen: Seen::Fixed(f64::NAN),
                    ..base.clone()
                },
                "seen",
            ),
            (
                Settings {
                    punish: Punish::Fixed(-0.1),
                    ..base.clone()
                },
                "punish",
            ),
            (
                Settings {
                    punish: Punish::Scaled(-2.0),
                    ..base.clone()
                },
                "punish",
            ),
            (
                Settings {
                    mutation: 2.0,
                    ..base.clone()
                },
                "mutation",
            ),
            (
                Settings {
                    payoffs: Payoffs {
                        temptation: f64::INFINITY,
                        ..Payoffs::default()
                    },
                    ..base.clone()
                },
                "temptation",
            ),
            (
                Settings {
                    network: Network::Ring { degree: 3 },
                    ..base.clone()
                },
                "network",
            ),
            (
                Settings {
                    network: Network::Ring { degree: 20 },
                    ..base.clone()
                },
                "network",
            ),
            (
                Settings {
                    network: Network::Random { p: -1.0 },
                    ..base.clone()
                },
                "network",
            ),
            (
                Settings {
                    network: Network::Edges {
                        edges: vec![(0, 20)],
                    },
                    ..base.clone()
                },
                "network",
            ),
            (
                Settings {
                    network: Network::Edges {
                        edges: vec![(4, 4)],
                    },
                    ..base.clone()
                },
                "network",
            ),
        ];
        for (settings, field) in cases {
            let err = settings.validate().expect_err(field);
            assert_eq!(err.field(), field, "{err}");
        }
        assert_eq!(
            Plan {
                runs: 0,
                generations: 1,
                seed: 0
            }
            .validate()
            .unwrap_err()
            .field(),
            "runs"
        );
        assert_eq!(
            Plan {
                runs: 1,
                generations: 0,
                seed: 0
            }
            .validate()
            .unwrap_err()
            .field(),
            "generations"
        );
    }
}
