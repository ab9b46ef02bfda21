//! Property tests: every generated proof verifies, and any single-bit flip in
//! the proof, the root or the leaf makes verification fail.

use pacta_ledger::hash::{leaf_hash, Hash};
use pacta_ledger::tree::{
    verify_consistency, verify_inclusion, verify_subtree_consistency, verify_subtree_inclusion, Frontier, MemoryTree,
};
use proptest::prelude::*;

fn tree(size: u64) -> MemoryTree {
    MemoryTree::from_leaf_hashes((0..size).map(|i| leaf_hash(&i.to_le_bytes())))
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut out = *h;
    out[bit / 8 % 32] ^= 1 << (bit % 8);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn inclusion_proofs_verify_and_bit_flips_fail(size in 1u64..600, index_seed in any::<u64>(), bit in 0usize..256, which in any::<usize>()) {
        let t = tree(size);
        let index = index_seed % size;
        let root = t.root();
        let leaf = t.leaf_hash(index).unwrap();
        let proof = t.inclusion_proof(index, size).unwrap();
        prop_assert!(verify_inclusion(&leaf, index, size, &proof, &root).is_ok());
        prop_assert!(verify_inclusion(&flip(&leaf, bit), index, size, &proof, &root).is_err());
        prop_assert!(verify_inclusion(&leaf, index, size, &proof, &flip(&root, bit)).is_err());
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let i = which % bad.len();
            bad[i] = flip(&bad[i], bit);
            prop_assert!(verify_inclusion(&leaf, index, size, &bad, &root).is_err());
        }
        // Wrong index, shortened and lengthened proofs fail too.
        if size > 1 {
            prop_assert!(verify_inclusion(&leaf, (index + 1) % size, size, &proof, &root).is_err());
        }
        let mut longer = proof.clone();
        longer.push(root);
        prop_assert!(verify_inclusion(&leaf, index, size, &longer, &root).is_err());
    }

    #[test]
    fn consistency_proofs_verify_and_bit_flips_fail(new_size in 1u64..600, old_seed in any::<u64>(), bit in 0usize..256, which in any::<usize>()) {
        let t = tree(new_size);
        let old_size = old_seed % new_size + 1;
        let old_root = t.root_at(old_size).unwrap();
        let new_root = t.root();
        let proof = t.consistency_proof(old_size, new_size).unwrap();
        prop_assert!(verify_consistency(old_size, new_size, &old_root, &new_root, &proof).is_ok());
        prop_assert!(verify_consistency(old_size, new_size, &flip(&old_root, bit), &new_root, &proof).is_err());
        prop_assert!(verify_consistency(old_size, new_size, &old_root, &flip(&new_root, bit), &proof).is_err());
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let i = which % bad.len();
            bad[i] = flip(&bad[i], bit);
            prop_assert!(verify_consistency(old_size, new_size, &old_root, &new_root, &bad).is_err());
        }
    }

    #[test]
    fn subtree_proofs_verify(size in 1u64..300, a in any::<u64>(), b in any::<u64>(), bit in 0usize..256) {
        let t = tree(size);
        // Pick a valid subtree: an aligned block of a power-of-two width,
        // possibly cut short by the tree's end.
        let level = (a % 9) as u32;
        let width = 1u64 << level;
        let start = (b % size.div_ceil(width)) * width;
        let end = (start + width).min(size);
        let end = if end - start > 1 && b % 3 == 0 { start + (end - start).div_ceil(2) } else { end };
        prop_assume!(pacta_ledger::tree::is_valid_subtree(start, end));
        let sub = t.subtree_hash(start, end).unwrap();
        let proof = t.subtree_consistency_proof(start, end, size).unwrap();
        prop_assert!(verify_subtree_consistency(start, end, size, &sub, &t.root(), &proof).is_ok());
        prop_assert!(verify_subtree_consistency(start, end, size, &flip(&sub, bit), &t.root(), &proof).is_err());
        let index = start + a % (end - start);
        let p = t.subtree_inclusion_proof(index, start, end).unwrap();
        prop_assert!(verify_subtree_inclusion(&t.leaf_hash(index).unwrap(), index, start, end, &p, &sub).is_ok());
    }

    #[test]
    fn frontier_survives_a_restart(sizes in proptest::collection::vec(0u64..70, 1..5)) {
        let mut f = Frontier::new();
        let mut leaves = Vec::new();
        for chunk in sizes {
            for _ in 0..chunk {
                let h = leaf_hash(&(leaves.len() as u64).to_be_bytes());
                leaves.push(h);
                f.append(h).unwrap();
            }
            f = Frontier::from_bytes(&f.to_bytes()).unwrap();
            prop_assert_eq!(f.root(), pacta_ledger::tree::root_from_leaf_hashes(&leaves));
        }
    }

    #[test]
    fn garbage_proofs_never_panic(index in any::<u64>(), size in any::<u64>(), n in 0usize..70, seed in any::<u8>()) {
        let proof: Vec<Hash> = (0..n).map(|i| [seed.wrapping_add(i as u8); 32]).collect();
        let h = [seed; 32];
        let _ = verify_inclusion(&h, index, size, &proof, &h);
        let _ = verify_consistency(index, size, &h, &h, &proof);
        let _ = verify_subtree_consistency(index.min(size), size, size, &h, &h, &proof);
        let _ = verify_subtree_inclusion(&h, index, index / 2, size, &proof, &h);
        let _ = Frontier::from_bytes(&proof.concat());
    }
}
