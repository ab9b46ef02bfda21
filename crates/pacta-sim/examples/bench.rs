//! Throughput of the metanorms game: 1,000 runs × 100 generations on all of rayon's threads,
//! repeated, with the median reported.
//!
//! Run it with:
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-sim cargo run --release -p pacta-sim --example bench -- 7
//! ```
//!
//! The argument is the number of repetitions (default 7). Quote the median: the machine is
//! shared and single timings are noisy.

use pacta_sim::{Game, Plan, Settings, simulate};

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let m = xs.len() / 2;
    if xs.len() % 2 == 1 {
        xs[m]
    } else {
        (xs[m - 1] + xs[m]) / 2.0
    }
}

fn main() {
    let reps: usize = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 7,
        Some(Ok(r)) if r >= 1 => r,
        Some(_) => {
            eprintln!("error: repetitions must be a positive integer");
            std::process::exit(2);
        }
    };
    println!("threads: {}", rayon::current_num_threads());
    for game in [Game::Norms, Game::Metanorms] {
        let settings = Settings::axelrod(game);
        let mut secs = Vec::new();
        let mut rates = Vec::new();
        for rep in 0..reps {
            let plan = Plan {
                runs: 1000,
                generations: 100,
                seed: 1 + rep as u64,
            };
            let summary = simulate(&settings, &plan).expect("the paper's settings are valid");
            secs.push(summary.elapsed_seconds);
            rates.push(summary.generations_per_second);
        }
        println!(
            "{:<9} 1000 runs x 100 generations: median {:.3} s, median {:.0} generations/s (min {:.3} s, max {:.3} s over {reps})",
            format!("{game:?}").to_lowercase(),
            median(secs.clone()),
            median(rates),
            secs.iter().copied().fold(f64::INFINITY, f64::min),
            secs.iter().copied().fold(0.0, f64::max),
        );
    }
}
