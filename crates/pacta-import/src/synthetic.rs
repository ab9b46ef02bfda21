//! Synthetic incidents for load tests and benchmarks: plausible, varied, reproducible
//! from a seed. Never mixed with real data: their origin dataset is `registry` and their
//! titles say "Synthetic".

use pacta_core::*;

/// A small, fast, well-known generator (SplitMix64); reproducible across platforms.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const STATES: &[&str] = &["US", "RU", "CN", "IR", "KP", "UA", "DE", "FR", "GB", "EE", "IL", "IN", "PK", "TR", "JP", "KR", "BR", "NL", "PL", "AU"];

/// The `n`-th synthetic incident for `seed` (a pure function of both).
pub fn incident(seed: u64, n: u64) -> IncidentRecord {
    let mut rng = SplitMix64::new(seed ^ n.wrapping_mul(0x2545_F491_4F6C_DD1D));
    let mut i = Incident::new(format!("Synthetic incident {n}"), Tlp::ALL[(rng.below(100) as usize).min(99) / 60]);
    i.origin = Some(Origin { dataset: Dataset::Registry, record_id: format!("synthetic-{seed}-{n}") });
    i.description = format!("Synthetic operation number {n} against a {} target, generated for load testing.", rng.pick(Sector::ALL).label());
    let day = rng.below(365 * 20) as i64;
    i.start_date = chrono::NaiveDate::from_ymd_opt(2005, 1, 1).map(|d| d + chrono::Duration::days(day));
    i.operation_types = vec![*rng.pick(OperationType::ALL)];
    let target = StateCode::parse("state", rng.pick::<&str>(STATES)).ok();
    i.targets = vec![Target { state: target, place: None, sector: *rng.pick(Sector::ALL), entity: None }];
    let author = StateCode::parse("state", rng.pick::<&str>(STATES)).ok();
    i.alleged_actors = vec![Actor { name: None, state: author, category: *rng.pick(ActorCategory::ALL) }];
    i.effects.disruption = Some(*rng.pick(taxonomy::Disruption::ALL));
    i.effects.data_theft = Some(*rng.pick(taxonomy::DataTheft::ALL));
    let mut r = IncidentRecord::new(i);
    r.source_hash = Some(format!("{seed}-{n}"));
    r
}
