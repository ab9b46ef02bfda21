//! Who is linked to whom, as compact adjacency lists (CSR) built once per run.

use crate::rng::Rng;
use crate::settings::Network;

/// Undirected graph on agent positions `0..n`, stored as sorted neighbour lists.
#[derive(Debug, Clone)]
pub(crate) struct Graph {
    offsets: Vec<u32>,
    targets: Vec<u32>,
}

impl Graph {
    /// Builds the graph a run uses. `Random` graphs consume draws from the run's own
    /// generator, so they too depend on `(seed, run)` only. Assumes validated settings.
    pub(crate) fn build(network: &Network, n: usize, rng: &mut Rng) -> Graph {
        let mut adj: Vec<Vec<u32>> = vec![Vec::new(); n];
        let link = |a: usize, b: usize, adj: &mut Vec<Vec<u32>>| {
            adj[a].push(b as u32);
            adj[b].push(a as u32);
        };
        match network {
            Network::WellMixed => {
                for a in 0..n {
                    for b in a + 1..n {
                        link(a, b, &mut adj);
                    }
                }
            }
            Network::Ring { degree } => {
                for a in 0..n {
                    for step in 1..=degree / 2 {
                        link(a, (a + step) % n, &mut adj);
                    }
                }
            }
            Network::Random { p } => {
                for a in 0..n {
                    for b in a + 1..n {
                        if rng.unit() < *p {
                            link(a, b, &mut adj);
                        }
                    }
                }
            }
            Network::Edges { edges } => {
                for &(a, b) in edges {
                    link(a, b, &mut adj);
                }
            }
        }
        let mut offsets = Vec::with_capacity(n + 1);
        let mut targets = Vec::new();
        offsets.push(0);
        for list in &mut adj {
            list.sort_unstable();
            // A ring whose degree is n - 1 for odd n, or repeated given edges, can link the
            // same pair twice; a pair is one relationship, so keep it once.
            list.dedup();
            targets.extend_from_slice(list);
            offsets.push(targets.len() as u32);
        }
        Graph { offsets, targets }
    }

    #[inline]
    pub(crate) fn neighbours(&self, a: usize) -> &[u32] {
        &self.targets[self.offsets[a] as usize..self.offsets[a + 1] as usize]
    }

    #[cfg(test)]
    pub(crate) fn degree(&self, a: usize) -> usize {
        self.neighbours(a).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_links_nearest_on_both_sides() {
        let mut rng = Rng::for_run(0, 0);
        let g = Graph::build(&Network::Ring { degree: 4 }, 10, &mut rng);
        assert_eq!(g.neighbours(0), &[1, 2, 8, 9]);
        assert!((0..10).all(|a| g.degree(a) == 4));
    }

    #[test]
    fn well_mixed_is_complete_and_random_is_reproducible() {
        let mut rng = Rng::for_run(0, 0);
        let g = Graph::build(&Network::WellMixed, 20, &mut rng);
        assert!((0..20).all(|a| g.degree(a) == 19 && !g.neighbours(a).contains(&(a as u32))));
        let a = Graph::build(&Network::Random { p: 0.3 }, 20, &mut Rng::for_run(5, 1));
        let b = Graph::build(&Network::Random { p: 0.3 }, 20, &mut Rng::for_run(5, 1));
        assert_eq!(a.targets, b.targets);
        let edges = a.targets.len() / 2;
        // 190 pairs at p = 0.3: mean 57, sd 6.3.
        assert!((35..=80).contains(&edges), "{edges} edges");
    }
}
