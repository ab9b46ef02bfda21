//! Assessments per second on one core.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-norms cargo bench -p pacta-norms --bench assess`
//!
//! Two workloads, each 1,024 cases from a fixed-seed generator, reported per assessment:
//! - `incidents`: synthetic incidents (one or two operation types, one or two targets in
//!   random sectors and states, each graded effect present or left unknown, zero to two
//!   attribution claims of random categories), turned into facts by `extract::case`
//!   before timing — the registry's workload.
//! - `random_facts`: every fact of the catalogue independently yes, no or unknown — a
//!   stress case where a third of everything is unknown and most findings must name what
//!   they miss.
//!
//! Each is assessed with traces off and on.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pacta_core::*;
use pacta_norms::{builtin, extract, AssessOptions, Case, Fact, FactSet, Tri};
use std::collections::BTreeMap;
use std::hint::black_box;

const STATES: &[&str] = &["FR", "GB", "NL", "DE", "UA", "JP", "US", "RU", "CN", "IR", "KP", "EE"];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
    fn maybe<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        if self.below(4) == 0 { None } else { Some(self.pick(items)) }
    }
}

fn state(rng: &mut Rng) -> StateCode {
    rng.pick(STATES).parse().unwrap()
}

fn incidents(n: usize) -> Vec<Case> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..n)
        .map(|k| {
            let mut i = Incident::new(format!("Synthetic incident {k}"), Tlp::Clear);
            i.start_date = chrono::NaiveDate::from_ymd_opt(2010 + rng.below(15) as i32, 1 + rng.below(12) as u32, 1);
            for _ in 0..1 + rng.below(2) {
                i.operation_types.push(rng.pick(OperationType::ALL));
            }
            for _ in 0..1 + rng.below(2) {
                i.targets.push(Target { state: Some(state(&mut rng)), place: None, sector: rng.pick(Sector::ALL), entity: None });
            }
            let e = &mut i.effects;
            e.disruption = rng.maybe(Disruption::ALL);
            e.data_theft = rng.maybe(DataTheft::ALL);
            e.hijacking = rng.maybe(Hijacking::ALL);
            e.physical = rng.maybe(PhysicalEffects::ALL);
            e.casualties = rng.maybe(&[0, 0, 0, 2]);
            e.data_leaked = rng.maybe(&[true, false]);
            i.context.consent = rng.maybe(&[false, false, false, true]);
            let attributions: Vec<Attribution> = (0..rng.below(3))
                .map(|_| Attribution {
                    id: AttributionId::new(),
                    incident: i.id,
                    attributors: vec![],
                    attributor_label: None,
                    actor_name: None,
                    actor_state: Some(state(&mut rng)),
                    actor_category: rng.pick(ActorCategory::ALL),
                    basis: rng.pick(AttributionBasis::ALL),
                    confidence: None,
                    visibility: Visibility::Public,
                    date: None,
                    origin_ref: None,
                })
                .collect();
            extract::case(&i, &attributions, None, &BTreeMap::new()).unwrap()
        })
        .collect()
}

fn random_facts(n: usize) -> Vec<Case> {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    (0..n)
        .map(|_| {
            let mut facts = FactSet::unknown();
            for f in Fact::ALL {
                facts.set(*f, rng.pick(&[Tri::Yes, Tri::No, Tri::Unknown]));
            }
            let date = chrono::NaiveDate::from_ymd_opt(2010 + rng.below(15) as i32, 1, 1);
            Case { facts, perspective: Some(state(&mut rng)), date, responsible: vec![] }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let law = builtin();
    for (workload, cases) in [("incidents", incidents(1024)), ("random_facts", random_facts(1024))] {
        let mut g = c.benchmark_group(format!("assess/{workload}"));
        g.throughput(Throughput::Elements(cases.len() as u64));
        for (name, trace) in [("traces_off", false), ("traces_on", true)] {
            g.bench_function(name, |b| {
                b.iter(|| {
                    for case in &cases {
                        black_box(law.assess(black_box(case), AssessOptions { trace }));
                    }
                })
            });
        }
        g.finish();
    }
    // Whole releases: the bundled half (820 incidents) and, when it has been generated
    // (`python3 scripts/full-size-eurepoc.py data/eurepoc-1.1-even /tmp/eurepoc-full`), a
    // full-size stand-in; the target is the full release re-assessed in under 50 ms.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for (name, dir) in [("eurepoc_half", root.join("data/eurepoc-1.1-even")), ("eurepoc_full", std::path::PathBuf::from("/tmp/eurepoc-full"))] {
        let Ok(read) = pacta_import::eurepoc::read_dir(&dir) else { continue };
        let cases: Vec<Case> = read.records.iter().map(|r| extract::case(&r.incident, &r.attributions, None, &Default::default()).unwrap()).collect();
        let mut g = c.benchmark_group(format!("release/{name}_{}", cases.len()));
        g.throughput(Throughput::Elements(cases.len() as u64));
        g.bench_function("traces_off", |b| {
            b.iter(|| {
                for case in &cases {
                    black_box(law.assess(black_box(case), AssessOptions { trace: false }));
                }
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
