//! Ledger throughput. Run with
//! `CARGO_TARGET_DIR=/work/target-ledger cargo bench -p pacta-ledger -- --warm-up-time 1 --measurement-time 3`
//!
//! Each iteration is one operation, so criterion's reported time is the cost
//! of one hash, one proof or one verification; its throughput line gives the
//! rate per second on one core.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use pacta_ledger::hash::{leaf_hash, node_hash};
use pacta_ledger::tree::{verify_consistency, verify_inclusion, MemoryTree};
use std::hint::black_box;

const LEAVES: u64 = 1_000_000;

/// A cheap deterministic sequence of indices spread over the tree.
fn spread(i: u64, n: u64) -> u64 {
    i.wrapping_mul(0x9E37_79B9_7F4A_7C15) % n
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("hash");
    g.throughput(Throughput::Elements(1));
    let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
    g.bench_function("node_hash", |bench| bench.iter(|| node_hash(black_box(&a), black_box(&b))));
    g.finish();

    let tree = MemoryTree::from_leaf_hashes((0..LEAVES).map(|i| leaf_hash(&i.to_be_bytes())));
    let root = tree.root();

    let mut g = c.benchmark_group("tree_1m");
    g.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    g.bench_function("inclusion_proof", |bench| {
        bench.iter(|| {
            i += 1;
            tree.inclusion_proof(spread(i, LEAVES), LEAVES).unwrap()
        })
    });
    let mut i = 0u64;
    g.bench_function("inclusion_verify", |bench| {
        bench.iter_batched(
            || {
                i += 1;
                let index = spread(i, LEAVES);
                (index, tree.leaf_hash(index).unwrap(), tree.inclusion_proof(index, LEAVES).unwrap())
            },
            |(index, leaf, proof)| verify_inclusion(&leaf, index, LEAVES, &proof, &root).unwrap(),
            BatchSize::SmallInput,
        )
    });
    let mut i = 0u64;
    g.bench_function("consistency_proof", |bench| {
        bench.iter(|| {
            i += 1;
            tree.consistency_proof(spread(i, LEAVES - 1) + 1, LEAVES).unwrap()
        })
    });
    let mut i = 0u64;
    g.bench_function("consistency_verify", |bench| {
        bench.iter_batched(
            || {
                i += 1;
                let old = spread(i, LEAVES - 1) + 1;
                (old, tree.root_at(old).unwrap(), tree.consistency_proof(old, LEAVES).unwrap())
            },
            |(old, old_root, proof)| verify_consistency(old, LEAVES, &old_root, &root, &proof).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(ledger, benches);
criterion_main!(ledger);
