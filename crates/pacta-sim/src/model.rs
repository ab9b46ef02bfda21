//! One run of the Norms or Metanorms game: the agents, one generation's play, selection and
//! mutation. Each step cites the part of Axelrod (1986) or of its re-implementations that it
//! enforces.

use serde::Serialize;

use crate::error::SimError;
use crate::network::Graph;
use crate::rng::Rng;
use crate::settings::{
    Deviation, Game, Network, OnEqual, Payoffs, Punish, Refill, Seen, Selection, Settings,
};

/// Number of levels of each trait. Axelrod (1986): boldness and vengefulness are each coded
/// on three bits, so they take the values k/7 for k = 0..=7.
pub const LEVELS: u8 = 8;
/// The denominator of a trait level (level k means k/7).
pub const TOP: u8 = LEVELS - 1;

/// One agent's strategy: two levels in `0..=7`, read as `level / 7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Agent {
    pub boldness: u8,
    pub vengefulness: u8,
}

impl Agent {
    pub fn new(boldness: u8, vengefulness: u8) -> Result<Agent, SimError> {
        for (field, level) in [("boldness", boldness), ("vengefulness", vengefulness)] {
            if level > TOP {
                return Err(SimError::OutOfRange {
                    field,
                    value: u64::from(level),
                    min: 0,
                    max: u64::from(TOP),
                });
            }
        }
        Ok(Agent {
            boldness,
            vengefulness,
        })
    }
}

/// What happened to one agent in one generation, counted event by event; its payoff is the
/// dot product with [`Payoffs`]. Counting first keeps the payoff exact for integer payoffs
/// and lets tests check the events themselves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Times this agent defected (each earns `T`).
    pub defections: u32,
    /// Defections by others that hurt this agent (each costs `H`).
    pub hurt: u32,
    /// Times this agent was punished for defecting (each costs `P`).
    pub punished: u32,
    /// Times this agent punished a defector (each costs `E`).
    pub punishing: u32,
    /// Times this agent was metapunished for not punishing (each costs `P′`).
    pub meta_punished: u32,
    /// Times this agent metapunished a non-punisher (each costs `E′`).
    pub meta_punishing: u32,
}

impl Tally {
    pub fn payoff(&self, p: &Payoffs) -> f64 {
        f64::from(self.defections) * p.temptation
            + f64::from(self.hurt) * p.hurt
            + f64::from(self.punished) * p.punishment
            + f64::from(self.punishing) * p.enforcement
            + f64::from(self.meta_punished) * p.meta_punishment
            + f64::from(self.meta_punishing) * p.meta_enforcement
    }
}

/// A single run: owns its generator, graph and population; borrows the settings.
#[derive(Debug, Clone)]
pub struct Run<'s> {
    settings: &'s Settings,
    rng: Rng,
    graph: Graph,
    agents: Vec<Agent>,
    tallies: Vec<Tally>,
    payoffs: Vec<f64>,
    generation: usize,
    // Scratch space reused every generation, so a step allocates nothing.
    bold: Vec<f64>,
    punish: Vec<f64>,
    offspring: Vec<u32>,
    next: Vec<Agent>,
    /// ln(1 − mutation), precomputed for geometric skipping between mutated bits.
    ln_keep: f64,
}

impl<'s> Run<'s> {
    /// Run `run` of an experiment seeded with `seed`, starting from a random population
    /// (Axelrod 1986: the initial traits are random).
    pub fn new(settings: &'s Settings, seed: u64, run: u64) -> Result<Run<'s>, SimError> {
        settings.validate()?;
        let mut rng = Rng::for_run(seed, run);
        let graph = Graph::build(&settings.network, settings.agents, &mut rng);
        let agents = (0..settings.agents)
            .map(|_| Agent {
                boldness: rng.below(LEVELS as usize) as u8,
                vengefulness: rng.below(LEVELS as usize) as u8,
            })
            .collect();
        Ok(Self::assemble(settings, rng, graph, agents))
    }

    /// A run that starts from a given population (for worked examples and for scenarios that
    /// start from an observed mix of strategies).
    pub fn with_agents(
        settings: &'s Settings,
        agents: Vec<Agent>,
        seed: u64,
        run: u64,
    ) -> Result<Run<'s>, SimError> {
        settings.validate()?;
        if agents.len() != settings.agents {
            return Err(SimError::Invalid {
                field: "agents",
                reason: format!(
                    "{} agents given for a population of {}",
                    agents.len(),
                    settings.agents
                ),
            });
        }
        for a in &agents {
            Agent::new(a.boldness, a.vengefulness)?;
        }
        let mut rng = Rng::for_run(seed, run);
        let graph = Graph::build(&settings.network, settings.agents, &mut rng);
        Ok(Self::assemble(settings, rng, graph, agents))
    }

    fn assemble(settings: &'s Settings, rng: Rng, graph: Graph, agents: Vec<Agent>) -> Self {
        let n = settings.agents;
        Run {
            settings,
            rng,
            graph,
            agents,
            tallies: vec![Tally::default(); n],
            payoffs: vec![0.0; n],
            generation: 0,
            bold: vec![0.0; n],
            punish: vec![0.0; n],
            offspring: Vec::with_capacity(2 * n),
            next: Vec::with_capacity(n),
            ln_keep: (1.0 - settings.mutation).ln(),
        }
    }

    pub fn agents(&self) -> &[Agent] {
        &self.agents
    }

    /// Generations completed so far.
    pub fn generation(&self) -> usize {
        self.generation
    }

    /// The events of the last [`play`](Self::play), per agent.
    pub fn tallies(&self) -> &[Tally] {
        &self.tallies
    }

    /// Sum of boldness levels and of vengefulness levels over the population; the mean trait
    /// is `sum / (7 n)`. Integers, so that sums over runs do not depend on their order.
    pub fn trait_sums(&self) -> (u64, u64) {
        self.agents.iter().fold((0, 0), |(b, v), a| {
            (b + u64::from(a.boldness), v + u64::from(a.vengefulness))
        })
    }

    /// Plays one generation of the game without evolving: returns each agent's payoff.
    pub fn play(&mut self) -> &[f64] {
        let Run {
            settings,
            rng,
            graph,
            agents,
            tallies,
            payoffs,
            bold,
            punish,
            ..
        } = self;
        let meta = settings.game == Game::Metanorms;
        for (i, a) in agents.iter().enumerate() {
            // Axelrod (1986): boldness and vengefulness are read as probabilities k/7.
            bold[i] = f64::from(a.boldness) / f64::from(TOP);
            let v = f64::from(a.vengefulness) / f64::from(TOP);
            punish[i] = match settings.punish {
                Punish::Vengefulness => v,
                Punish::Scaled(m) => (v * m).min(1.0),
                Punish::Fixed(q) => q,
            };
        }
        tallies.iter_mut().for_each(|t| *t = Tally::default());

        // Axelrod (1986): each agent has `chances` (4) opportunities to defect per
        // generation, each with its own chance of being seen S, drawn uniformly from [0, 1).
        // Payoffs only accumulate within a generation, so the order of opportunities does
        // not matter; this is the peer's order (opportunity, then agent).
        for _ in 0..settings.chances {
            for i in 0..agents.len() {
                let s = match settings.seen {
                    Seen::Uniform => rng.unit(),
                    Seen::Fixed(p) => p,
                };
                // Axelrod (1986): an agent defects when S is below its boldness.
                if s >= bold[i] {
                    continue;
                }
                // Axelrod (1986): the defector gets T ...
                tallies[i].defections += 1;
                for &j in graph.neighbours(i) {
                    let j = j as usize;
                    // ... and every other agent (every neighbour, on a network: Galán,
                    // Łatek & Rizi 2011) gets H.
                    tallies[j].hurt += 1;
                    // Axelrod (1986): each other agent sees the defection with probability
                    // S and, if it does, punishes with probability equal to its
                    // vengefulness. One uniform draw split at S·q and S gives the joint
                    // outcome with the same distribution as two draws.
                    let u = rng.unit();
                    if u >= s {
                        continue;
                    }
                    if u < s * punish[j] {
                        tallies[i].punished += 1;
                        tallies[j].punishing += 1;
                    } else if meta {
                        // Axelrod (1986), Metanorms: an agent that saw a defection and did
                        // not punish it may be seen not punishing, with the same chance S,
                        // by each agent other than the defector and itself (each neighbour
                        // of the non-punisher, on a network), who then metapunishes with
                        // probability equal to its vengefulness.
                        for &k in graph.neighbours(j) {
                            let k = k as usize;
                            if k == i {
                                continue;
                            }
                            if rng.unit() < s * punish[k] {
                                tallies[j].meta_punished += 1;
                                tallies[k].meta_punishing += 1;
                            }
                        }
                    }
                }
            }
        }
        for (p, t) in payoffs.iter_mut().zip(tallies.iter()) {
            *p = t.payoff(&settings.payoffs);
        }
        payoffs
    }

    /// One full generation: play, select, mutate.
    pub fn step(&mut self) {
        self.play();
        self.select();
        self.mutate();
        self.generation += 1;
    }

    fn select(&mut self) {
        let n = self.agents.len();
        let Run {
            settings,
            rng,
            payoffs,
            offspring,
            agents,
            next,
            ..
        } = self;
        offspring.clear();
        match settings.selection {
            Selection::MeanSd { deviation } => {
                let first = payoffs[0];
                if payoffs.iter().all(|&x| x == first) {
                    // Axelrod (1986) is silent on all-equal payoffs, where sd = 0 puts every
                    // agent both at or above mean + sd and at or below mean − sd. Galán &
                    // Izquierdo (2005, note 4): two offspring each, then the random refill
                    // below removes half ("drift"); or one each ("keep").
                    let copies = match settings.on_equal {
                        OnEqual::Drift => 2,
                        OnEqual::Keep => 1,
                    };
                    for i in 0..n {
                        for _ in 0..copies {
                            offspring.push(i as u32);
                        }
                    }
                } else {
                    let mean = payoffs.iter().sum::<f64>() / n as f64;
                    let ss = payoffs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>();
                    // Galán & Izquierdo (2005): the population standard deviation.
                    let sd = match deviation {
                        Deviation::Population => (ss / n as f64).sqrt(),
                        Deviation::Sample => (ss / (n - 1) as f64).sqrt(),
                    };
                    for (i, &x) in payoffs.iter().enumerate() {
                        // Axelrod (1986): two offspring at or above mean + 1 sd, none at or
                        // below mean − 1 sd, one otherwise (Galán & Izquierdo 2005 read the
                        // boundaries as inclusive).
                        let copies = if x >= mean + sd {
                            2
                        } else if x <= mean - sd {
                            0
                        } else {
                            1
                        };
                        for _ in 0..copies {
                            offspring.push(i as u32);
                        }
                    }
                }
                refill(settings.refill, offspring, payoffs, n, rng);
            }
            Selection::Roulette => {
                let min = payoffs.iter().copied().fold(f64::INFINITY, f64::min);
                let total: f64 = payoffs.iter().map(|x| x - min).sum();
                for _ in 0..n {
                    let pick = if total > 0.0 {
                        let mut target = rng.unit() * total;
                        let mut pick = n - 1;
                        for (i, &x) in payoffs.iter().enumerate() {
                            target -= x - min;
                            if target < 0.0 {
                                pick = i;
                                break;
                            }
                        }
                        // Rounding can leave `target` a hair above zero after the loop;
                        // the fallback must be an agent with positive weight.
                        if target >= 0.0 {
                            pick = (0..n).rev().find(|&i| payoffs[i] > min).unwrap_or(pick);
                        }
                        pick
                    } else {
                        rng.below(n)
                    };
                    offspring.push(pick as u32);
                }
            }
        }
        next.clear();
        next.extend(offspring.iter().map(|&i| agents[i as usize]));
        if settings.network != Network::WellMixed {
            // Selection is global (as in Axelrod); offspring then take random places on the
            // graph, so that position carries no inherited advantage. In a well-mixed
            // population places are interchangeable and this would only waste draws.
            for i in (1..n).rev() {
                let j = rng.below(i + 1);
                next.swap(i, j);
            }
        }
        std::mem::swap(agents, next);
    }

    fn mutate(&mut self) {
        let mu = self.settings.mutation;
        if mu == 0.0 {
            return;
        }
        // Axelrod (1986): each of the six bits of each offspring flips with probability
        // `mutation` (1%). Skipping geometrically to the next flipped bit draws the same
        // flips as one Bernoulli trial per bit, with ~2 draws instead of 120.
        let bits = 6 * self.agents.len() as u64;
        let flip = |agents: &mut [Agent], pos: u64| {
            let a = &mut agents[(pos / 6) as usize];
            let bit = (pos % 6) as u8;
            if bit < 3 {
                a.boldness ^= 1 << bit;
            } else {
                a.vengefulness ^= 1 << (bit - 3);
            }
        };
        if mu == 1.0 {
            for pos in 0..bits {
                flip(&mut self.agents, pos);
            }
            return;
        }
        let mut pos = self.rng.geometric(self.ln_keep);
        while pos < bits {
            flip(&mut self.agents, pos);
            pos = pos
                .saturating_add(1)
                .saturating_add(self.rng.geometric(self.ln_keep));
        }
    }
}

/// Brings the offspring list back to `n` entries (Axelrod 1986 keeps the population at 20
/// without saying how).
fn refill(rule: Refill, offspring: &mut Vec<u32>, payoffs: &[f64], n: usize, rng: &mut Rng) {
    match rule {
        Refill::Random => {
            // Galán & Izquierdo (2005) and the peer: remove random offspring while too many;
            // while too few, copy a random member of the list as it grows.
            while offspring.len() > n {
                let k = rng.below(offspring.len());
                offspring.swap_remove(k);
            }
            while offspring.len() < n {
                // Cannot be empty: not every payoff can be at or below mean − sd unless all
                // are equal, and that case gave everyone at least one copy.
                let k = rng.below(offspring.len());
                offspring.push(offspring[k]);
            }
        }
        Refill::Fittest => {
            // Highest payoff first; `sort_by` is stable, so ties keep their positions.
            offspring.sort_by(|&a, &b| payoffs[b as usize].total_cmp(&payoffs[a as usize]));
            offspring.truncate(n);
            let mut k = 0;
            while offspring.len() < n {
                offspring.push(offspring[k]);
                k += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn population(n: usize, b: u8, v: u8) -> Vec<Agent> {
        vec![Agent::new(b, v).unwrap(); n]
    }

    #[test]
    fn nobody_defects_at_boldness_zero() {
        let s = Settings::axelrod(Game::Metanorms);
        let mut run = Run::with_agents(&s, population(20, 0, 7), 1, 0).unwrap();
        assert!(run.play().iter().all(|&x| x == 0.0));
    }

    #[test]
    fn unseen_defection_pays_t_and_hurts_everyone_else() {
        // S fixed at 0: everyone with boldness > 0 defects at every chance and nobody sees.
        let s = Settings {
            seen: Seen::Fixed(0.0),
            ..Settings::axelrod(Game::Norms)
        };
        let mut agents = population(20, 0, 7);
        agents[3] = Agent::new(1, 0).unwrap();
        let mut run = Run::with_agents(&s, agents, 1, 0).unwrap();
        let pay = run.play().to_vec();
        assert_eq!(pay[3], 4.0 * 3.0);
        assert!(pay.iter().enumerate().all(|(i, &x)| i == 3 || x == -4.0));
    }

    #[test]
    fn all_equal_payoffs_drift_or_keep() {
        let base = Settings {
            mutation: 0.0,
            ..Settings::axelrod(Game::Norms)
        };
        let mut agents = population(20, 0, 0);
        for (i, a) in agents.iter_mut().enumerate() {
            a.vengefulness = (i % 8) as u8;
        }
        let keep = Settings {
            on_equal: OnEqual::Keep,
            ..base.clone()
        };
        let mut run = Run::with_agents(&keep, agents.clone(), 3, 0).unwrap();
        run.step();
        assert_eq!(
            run.agents(),
            &agents[..],
            "keep leaves an all-equal population alone"
        );
        // Drift resamples half of the doubled list: over a few generations the mix changes.
        let mut run = Run::with_agents(&base, agents.clone(), 3, 0).unwrap();
        for _ in 0..5 {
            run.step();
        }
        assert_ne!(run.agents(), &agents[..]);
    }

    #[test]
    fn mutation_rate_one_flips_every_bit() {
        let s = Settings {
            mutation: 1.0,
            on_equal: OnEqual::Keep,
            ..Settings::axelrod(Game::Norms)
        };
        let mut run = Run::with_agents(&s, population(20, 0, 5), 0, 0).unwrap();
        run.step();
        assert!(
            run.agents()
                .iter()
                .all(|a| a.boldness == 7 && a.vengefulness == 2)
        );
    }

    #[test]
    fn wrong_population_is_refused() {
        let s = Settings::axelrod(Game::Norms);
        assert_eq!(
            Run::with_agents(&s, population(19, 0, 0), 0, 0)
                .unwrap_err()
                .field(),
            "agents"
        );
        let bad = vec![
            Agent {
                boldness: 8,
                vengefulness: 0
            };
            20
        ];
        assert_eq!(
            Run::with_agents(&s, bad, 0, 0).unwrap_err().field(),
            "boldness"
        );
    }

    #[test]
    fn punishment_counts_match_their_probabilities() {
        // S fixed at 1/2 and boldness 7/7: everyone defects at every chance; each of the 19
        // others sees with probability 1/2 and punishes with probability 4/7.
        let s = Settings {
            seen: Seen::Fixed(0.5),
            ..Settings::axelrod(Game::Norms)
        };
        let mut run = Run::with_agents(&s, population(20, 7, 4), 9, 0).unwrap();
        let mut punished = 0u64;
        let trials = 500;
        for _ in 0..trials {
            run.play();
            punished += run
                .tallies()
                .iter()
                .map(|t| u64::from(t.punished))
                .sum::<u64>();
        }
        let draws = (trials * 20 * 4 * 19) as f64;
        let p = 0.5 * 4.0 / 7.0;
        let se = (draws * p * (1.0 - p)).sqrt();
        assert!(
            (punished as f64 - draws * p).abs() < 3.0 * se,
            "{punished} vs {}",
            draws * p
        );
    }
}
