//! xoshiro256++ (Blackman & Vigna 2018), seeded through SplitMix64.
//!
//! Written out here rather than taken from a crate so that the stream a seed produces is part
//! of this crate's contract and cannot change under a dependency upgrade: a published result
//! quoted with its seed must stay reproducible.

/// SplitMix64's output function: a bijective mixer with good avalanche, used to turn
/// `(seed, run)` into well-separated xoshiro states.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// A small, fast generator. One per run; never shared between threads.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// The generator for run `run` of an experiment seeded with `seed`.
    ///
    /// It depends on `(seed, run)` only, never on which thread runs it or in which order,
    /// which is what makes results independent of the thread count.
    pub fn for_run(seed: u64, run: u64) -> Self {
        // Mixing the run index before combining keeps runs i and i+1 of one seed from
        // starting on overlapping SplitMix sequences.
        let mut x = mix(seed) ^ mix(run.wrapping_mul(GOLDEN).wrapping_add(0xD1B5_4A32_D192_ED03));
        let mut s = [0u64; 4];
        for w in &mut s {
            x = x.wrapping_add(GOLDEN);
            *w = mix(x);
        }
        // The all-zero state is the one state xoshiro cannot leave; SplitMix outputs are a
        // bijection of distinct inputs, so four zeros cannot occur, but be explicit.
        if s == [0; 4] {
            s[0] = GOLDEN;
        }
        Rng { s }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform on `[0, 1)` with 53 random bits, so `u < p` is exactly false for `p = 0`
    /// and exactly true for `p = 1`.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in `0..n` (`n >= 1`), by Lemire's multiply-shift; the bias is below
    /// 2^-40 for the small `n` used here, far under anything a test could see.
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Number of failures before the first success of a Bernoulli(p) sequence, for
    /// `0 < p < 1`, computed from `ln_q = ln(1 - p)`. Used to skip straight to the next
    /// mutated bit instead of drawing once per bit.
    #[inline]
    pub fn geometric(&mut self, ln_q: f64) -> u64 {
        // 1 - unit() is in (0, 1], so the logarithm is finite.
        let u = 1.0 - self.unit();
        let k = (u.ln() / ln_q).floor();
        if k >= u64::MAX as f64 {
            u64::MAX
        } else {
            k as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_depend_on_seed_and_run_only() {
        let a: Vec<u64> = {
            let mut r = Rng::for_run(7, 3);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::for_run(7, 3);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let c: Vec<u64> = {
            let mut r = Rng::for_run(7, 4);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let d: Vec<u64> = {
            let mut r = Rng::for_run(8, 3);
            (0..4).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn unit_is_uniform_enough() {
        let mut r = Rng::for_run(1, 0);
        let n = 200_000;
        let mean = (0..n).map(|_| r.unit()).sum::<f64>() / n as f64;
        // sd of the mean is sqrt(1/12/n) ~ 0.00065; allow 4 of them.
        assert!((mean - 0.5).abs() < 0.0026, "mean {mean}");
    }

    #[test]
    fn geometric_has_the_right_mean() {
        let mut r = Rng::for_run(2, 0);
        let p: f64 = 0.01;
        let ln_q = (1.0 - p).ln();
        let n = 100_000;
        let mean = (0..n).map(|_| r.geometric(ln_q) as f64).sum::<f64>() / n as f64;
        // Expected (1-p)/p = 99, sd sqrt(1-p)/p ~ 99.5, sd of mean ~ 0.31.
        assert!((mean - 99.0).abs() < 1.3, "mean {mean}");
    }
}
