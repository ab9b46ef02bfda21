//! Many independent runs in parallel, folded into a [`Summary`].

use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::SimError;
use crate::model::{Run, TOP};
use crate::settings::{Plan, Settings};

/// Per-generation averages over runs. Index 0 is the random initial population, index `g`
/// the population after `g` generations, so every vector has `generations + 1` entries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// Mean boldness (0..=1), averaged over agents and runs.
    pub mean_boldness: Vec<f64>,
    /// Mean vengefulness (0..=1), averaged over agents and runs.
    pub mean_vengefulness: Vec<f64>,
    /// Share of runs in which the norm is established.
    pub established: Vec<f64>,
    /// Share of runs in which the norm has collapsed.
    pub collapsed: Vec<f64>,
}

/// The result of [`simulate`]. Everything but the two timing fields is a function of the
/// settings and the plan alone, whatever the number of threads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub settings: Settings,
    pub plan: Plan,
    /// Share of runs whose last generation has the norm established: mean boldness ≤ 2/7
    /// and mean vengefulness ≥ 5/7 (Galán & Izquierdo 2005's criterion).
    pub established: f64,
    /// Share of runs whose last generation has the norm collapsed: mean boldness ≥ 6/7 and
    /// mean vengefulness ≤ 1/7 (Galán & Izquierdo 2005).
    pub collapsed: f64,
    /// Mean boldness at the last generation, over agents and runs.
    pub mean_boldness: f64,
    /// Mean vengefulness at the last generation, over agents and runs.
    pub mean_vengefulness: f64,
    pub series: Series,
    /// Wall-clock seconds for all runs.
    pub elapsed_seconds: f64,
    /// `runs × generations / elapsed_seconds`, on however many threads rayon had.
    pub generations_per_second: f64,
}

/// Whether a population with these trait sums has the norm established.
/// Integer form of "mean B ≤ 2/7 and mean V ≥ 5/7" so that no rounding decides a run.
pub fn is_established(sum_boldness: u64, sum_vengefulness: u64, agents: usize) -> bool {
    let n = agents as u64;
    sum_boldness <= 2 * n && sum_vengefulness >= 5 * n
}

/// Whether a population with these trait sums has the norm collapsed
/// ("mean B ≥ 6/7 and mean V ≤ 1/7").
pub fn is_collapsed(sum_boldness: u64, sum_vengefulness: u64, agents: usize) -> bool {
    let n = agents as u64;
    sum_boldness >= 6 * n && sum_vengefulness <= n
}

/// Integer tallies per generation; adding them is exact and commutative, which is what
/// makes the parallel reduction independent of how rayon splits the runs.
#[derive(Clone)]
struct Acc {
    sum_b: Vec<u64>,
    sum_v: Vec<u64>,
    established: Vec<u64>,
    collapsed: Vec<u64>,
}

impl Acc {
    fn new(len: usize) -> Acc {
        Acc {
            sum_b: vec![0; len],
            sum_v: vec![0; len],
            established: vec![0; len],
            collapsed: vec![0; len],
        }
    }

    fn record(&mut self, g: usize, run: &Run<'_>, n: usize) {
        let (b, v) = run.trait_sums();
        self.sum_b[g] += b;
        self.sum_v[g] += v;
        self.established[g] += u64::from(is_established(b, v, n));
        self.collapsed[g] += u64::from(is_collapsed(b, v, n));
    }

    fn merge(mut self, other: Acc) -> Acc {
        for (a, b) in [
            (&mut self.sum_b, &other.sum_b),
            (&mut self.sum_v, &other.sum_v),
            (&mut self.established, &other.established),
            (&mut self.collapsed, &other.collapsed),
        ] {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
        self
    }
}

/// Runs `plan.runs` independent runs of `plan.generations` generations on rayon's pool and
/// summarises them. Run `i` uses the generator for `(plan.seed, i)` only.
pub fn simulate(settings: &Settings, plan: &Plan) -> Result<Summary, SimError> {
    settings.validate()?;
    plan.validate()?;
    let n = settings.agents;
    let len = plan.generations + 1;
    let start = Instant::now();
    // One accumulator per thread, not per split rayon happens to make: each holds four
    // series of `generations + 1` counts, so memory is bounded by the thread count
    // (about 32 bytes a generation per thread), whatever the load on the machine.
    let runs = plan.runs as u64;
    let chunks = (rayon::current_num_threads() as u64).clamp(1, runs);
    let acc = (0..chunks)
        .into_par_iter()
        .map(|c| -> Result<Acc, SimError> {
            let mut acc = Acc::new(len);
            // Run i goes to chunk i mod chunks; which chunk runs it does not change its result.
            for i in (c..runs).step_by(chunks as usize) {
                let mut run = Run::new(settings, plan.seed, i)?;
                acc.record(0, &run, n);
                for g in 1..len {
                    run.step();
                    acc.record(g, &run, n);
                }
            }
            Ok(acc)
        })
        .try_reduce_with(|a, b| Ok(a.merge(b)))
        .unwrap_or_else(|| Ok(Acc::new(len)))?;
    let elapsed = start.elapsed().as_secs_f64();

    let runs = plan.runs as f64;
    let per_trait = runs * n as f64 * f64::from(TOP);
    let series = Series {
        mean_boldness: acc.sum_b.iter().map(|&s| s as f64 / per_trait).collect(),
        mean_vengefulness: acc.sum_v.iter().map(|&s| s as f64 / per_trait).collect(),
        established: acc.established.iter().map(|&c| c as f64 / runs).collect(),
        collapsed: acc.collapsed.iter().map(|&c| c as f64 / runs).collect(),
    };
    let last = plan.generations;
    Ok(Summary {
        settings: settings.clone(),
        plan: *plan,
        established: series.established[last],
        collapsed: series.collapsed[last],
        mean_boldness: series.mean_boldness[last],
        mean_vengefulness: series.mean_vengefulness[last],
        series,
        elapsed_seconds: elapsed,
        generations_per_second: if elapsed > 0.0 {
            runs * plan.generations as f64 / elapsed
        } else {
            f64::INFINITY
        },
    })
}
