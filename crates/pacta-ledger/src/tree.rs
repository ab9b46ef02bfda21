//! The Merkle tree of RFC 9162 section 2.1: roots, inclusion proofs and
//! consistency proofs, for a tree held in memory and for a verifier that holds
//! nothing but a proof.
//!
//! # Overview
//!
//! A log of `n` entries is the left-balanced binary tree whose leaves are the
//! entries' leaf hashes: the left child of any node covers the largest power of
//! two strictly smaller than the node's width. Three pieces live here:
//!
//! - [`MemoryTree`] stores every complete node at every level, so it can give
//!   the root at any earlier size and generate inclusion and consistency proofs
//!   (also the *subtree* proofs of the Merkle Tree Certificates draft, which the
//!   transparency-dev test vectors cover).
//! - [`Frontier`] keeps only the right edge of the tree (one hash per set bit of
//!   the size, at most 64): enough to append and to compute the root. It
//!   serialises to bytes so a database can store it beside a checkpoint and
//!   resume after a restart without reading every leaf.
//! - the free functions [`verify_inclusion`], [`verify_consistency`],
//!   [`verify_subtree_inclusion`] and [`verify_subtree_consistency`], which a
//!   client runs against a root it trusts.
//!
//! ```
//! use pacta_ledger::hash::leaf_hash;
//! use pacta_ledger::tree::{verify_consistency, verify_inclusion, MemoryTree};
//!
//! let mut tree = MemoryTree::new();
//! for entry in [&b"one"[..], b"two", b"three", b"four", b"five"] {
//!     tree.append(leaf_hash(entry));
//! }
//! let root = tree.root();
//! let proof = tree.inclusion_proof(2, 5).unwrap();
//! verify_inclusion(&leaf_hash(b"three"), 2, 5, &proof, &root).unwrap();
//!
//! let old_root = tree.root_at(3).unwrap();
//! let proof = tree.consistency_proof(3, 5).unwrap();
//! verify_consistency(3, 5, &old_root, &root, &proof).unwrap();
//! ```
//!
//! Invariant: nothing in this module panics on caller-supplied sizes, indices
//! or proofs; every such problem is a [`ProofError`] or [`TreeError`].

use crate::hash::{node_hash, to_hex, Hash, EMPTY_ROOT};

/// Why a proof did not verify. Each variant names the sizes, indices or
/// hashes involved so that a report can say exactly what failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is not inside a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("the old tree size {old_size} is larger than the new tree size {new_size}")]
    SizesOutOfOrder { old_size: u64, new_size: u64 },
    #[error("a consistency proof from the empty tree proves nothing (new size {new_size})")]
    EmptyOldTree { new_size: u64 },
    #[error("[{start}, {end}) is not a subtree: it must be non-empty and start at a multiple of the next power of two at or above its width")]
    InvalidSubtree { start: u64, end: u64 },
    #[error("the subtree [{start}, {end}) does not fit in a tree of size {size}")]
    SubtreeOutOfRange { start: u64, end: u64, size: u64 },
    #[error("leaf index {index} is not inside the subtree [{start}, {end})")]
    LeafOutsideSubtree { index: u64, start: u64, end: u64 },
    #[error("the empty subtree at {start} must have the empty-tree hash {}, got {}", to_hex(&crate::hash::EMPTY_ROOT), to_hex(.found))]
    EmptySubtreeHash { start: u64, found: Hash },
    #[error("proof has {found} hashes where {expected} are needed")]
    WrongProofLength { expected: usize, found: usize },
    #[error("computed root {} does not match the expected root {} (tree size {size})", to_hex(.computed), to_hex(.expected))]
    RootMismatch { size: u64, expected: Hash, computed: Hash },
    #[error("the proof reconstructs {} for the old tree of size {old_size}, not its root {}", to_hex(.computed), to_hex(.expected))]
    OldRootMismatch { old_size: u64, expected: Hash, computed: Hash },
}

/// Why a tree could not answer a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    #[error("size {requested} is beyond the tree's current size {size}")]
    SizeBeyondTree { requested: u64, size: u64 },
    #[error("leaf index {index} is not inside a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("the old tree size {old_size} is larger than the new tree size {new_size}")]
    SizesOutOfOrder { old_size: u64, new_size: u64 },
    #[error("[{start}, {end}) is not a subtree of a tree of size {size}")]
    InvalidSubtree { start: u64, end: u64, size: u64 },
}

/// Largest power of two strictly smaller than `n`; `n` must be at least 2.
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// A range `[start, end)` is a subtree of the log when it is non-empty and
/// `start` is a multiple of the smallest power of two that is at least its
/// width. Those are exactly the ranges the RFC 9162 recursion visits, so their
/// hashes are well defined without knowing the tree size.
pub fn is_valid_subtree(start: u64, end: u64) -> bool {
    if start >= end {
        return false;
    }
    match (end - start).checked_next_power_of_two() {
        Some(width) => start.is_multiple_of(width),
        // A width above 2^63 only fits if it starts at 0.
        None => start == 0,
    }
}

/// Root of the tree whose leaves are `leaf_hashes`, in order.
pub fn root_from_leaf_hashes(leaf_hashes: &[Hash]) -> Hash {
    let mut frontier = Frontier::new();
    for h in leaf_hashes {
        // A slice holds fewer than 2^64 elements, so the counter cannot overflow.
        let _ = frontier.append(*h);
    }
    frontier.root()
}

// ---------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------

/// Number of hashes in an inclusion proof for `index` in a tree of `size`
/// (requires `index < size`): the levels where the paths to `index` and to the
/// last leaf differ, plus one hash per left sibling above that.
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    // `inner` can be 64 (index and size - 1 differ in the top bit).
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner + border) as usize
}

/// Recompute the root from a leaf hash and its inclusion proof, following
/// RFC 9162 section 2.1.3.2.
pub fn root_from_inclusion_proof(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let expected = inclusion_proof_len(index, size);
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength { expected, found: proof.len() });
    }
    let mut f_n = index;
    let mut s_n = size - 1;
    let mut r = *leaf_hash;
    for p in proof {
        // The length check above guarantees s_n > 0 here.
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            // Skip the levels where this node is the last, lone child: it is
            // promoted unchanged, so no proof hash is consumed for them.
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    Ok(r)
}

/// Check that `leaf_hash` is the leaf at `index` in the tree of `size` leaves
/// whose root is `root`.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let computed = root_from_inclusion_proof(leaf_hash, index, size, proof)?;
    if &computed != root {
        return Err(ProofError::RootMismatch { size, expected: *root, computed });
    }
    Ok(())
}

/// Check that the tree of `old_size` leaves with root `old_root` is a prefix of
/// the tree of `new_size` leaves with root `new_root`.
///
/// Equal sizes need an empty proof and equal roots. A proof from size 0 is
/// refused: every tree extends the empty tree, so it would prove nothing and
/// most likely signals a caller mistake.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::SizesOutOfOrder { old_size, new_size });
    }
    if old_size == 0 {
        return Err(ProofError::EmptyOldTree { new_size });
    }
    // A prefix [0, m) is always a valid subtree, so the general walk applies.
    verify_subtree_consistency(0, old_size, new_size, old_root, new_root, proof)
}

/// Check that `leaf_hash` is the leaf at `index` inside the subtree
/// `[start, end)` whose hash is `subtree_hash`.
pub fn verify_subtree_inclusion(
    leaf_hash: &Hash,
    index: u64,
    start: u64,
    end: u64,
    proof: &[Hash],
    subtree_hash: &Hash,
) -> Result<(), ProofError> {
    if !is_valid_subtree(start, end) {
        return Err(ProofError::InvalidSubtree { start, end });
    }
    if index < start || index >= end {
        return Err(ProofError::LeafOutsideSubtree { index, start, end });
    }
    // A valid subtree is itself a left-balanced tree of width end - start.
    verify_inclusion(leaf_hash, index - start, end - start, proof, subtree_hash)
}

/// One level of the walk from the root down to the subtree being proved.
#[derive(Clone, Copy)]
enum Step {
    /// The subtree lies in the left child; the proof supplies the right child.
    Left,
    /// The subtree lies in the right child; the proof supplies the left child.
    Right,
    /// The subtree is a prefix that covers the whole left child and part of
    /// the right; the proof supplies the left child, which belongs to both the
    /// old and the new hash.
    Straddle,
}

/// The walk shared by consistency proof generation and verification. Returns
/// the steps from the root down, and whether the bottom node must come from
/// the proof (it does once the walk has straddled, because the verifier then
/// no longer knows that node's hash).
fn consistency_walk(start: u64, end: u64, size: u64) -> ([Step; 64], usize, bool) {
    let mut steps = [Step::Left; 64];
    let mut depth = 0;
    let (mut s, mut e, mut width) = (start, end, size);
    let mut known = true;
    // Invariant: 0 <= s < e <= width, and [s, e) is a subtree of the node of
    // `width` leaves. Each step at least halves `width`, so depth <= 64.
    while !(s == 0 && e == width) {
        let k = split_point(width);
        if e <= k {
            steps[depth] = Step::Left;
            width = k;
        } else if s >= k {
            steps[depth] = Step::Right;
            s -= k;
            e -= k;
            width -= k;
        } else {
            // Only a prefix (s == 0) can cross the split of a node.
            steps[depth] = Step::Straddle;
            e -= k;
            width -= k;
            known = false;
        }
        depth += 1;
    }
    (steps, depth, !known)
}

/// Check that the subtree `[start, end)` with hash `subtree_hash` is part of
/// the tree of `size` leaves with root `root` (the subtree consistency proof
/// of the Merkle Tree Certificates draft; an ordinary consistency proof is the
/// case `start == 0`).
///
/// The empty subtree (`start == end`) is consistent with any tree that
/// contains its position, provided its hash is the empty-tree hash and the
/// proof is empty.
pub fn verify_subtree_consistency(
    start: u64,
    end: u64,
    size: u64,
    subtree_hash: &Hash,
    root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if end > size {
        return Err(ProofError::SubtreeOutOfRange { start, end, size });
    }
    if start == end {
        if !proof.is_empty() {
            return Err(ProofError::WrongProofLength { expected: 0, found: proof.len() });
        }
        if subtree_hash != &EMPTY_ROOT {
            return Err(ProofError::EmptySubtreeHash { start, found: *subtree_hash });
        }
        return Ok(());
    }
    if !is_valid_subtree(start, end) {
        return Err(ProofError::InvalidSubtree { start, end });
    }
    let (steps, depth, seed_in_proof) = consistency_walk(start, end, size);
    let expected = depth + usize::from(seed_in_proof);
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength { expected, found: proof.len() });
    }
    let (seed, rest) = if seed_in_proof {
        (proof[0], &proof[1..])
    } else {
        (*subtree_hash, proof)
    };
    let mut old = seed;
    let mut new = seed;
    // The proof runs bottom-up, the walk top-down.
    for (step, p) in steps[..depth].iter().rev().zip(rest) {
        match step {
            Step::Left => new = node_hash(&new, p),
            Step::Right => new = node_hash(p, &new),
            Step::Straddle => {
                old = node_hash(p, &old);
                new = node_hash(p, &new);
            }
        }
    }
    if &old != subtree_hash {
        return Err(ProofError::OldRootMismatch { old_size: end, expected: *subtree_hash, computed: old });
    }
    if &new != root {
        return Err(ProofError::RootMismatch { size, expected: *root, computed: new });
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// In-memory tree
// ---------------------------------------------------------------------------

/// A tree that keeps every complete node: `levels[h][i]` is the hash of the
/// perfect subtree of `2^h` leaves starting at leaf `i * 2^h`.
///
/// Invariant: `levels[0].len()` is the tree size and, for every `h`,
/// `levels[h + 1].len() == levels[h].len() / 2`; the vector for a level exists
/// as soon as it has one node. Memory is about 64 bytes per leaf.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// The empty tree.
    pub fn new() -> Self {
        Self { levels: vec![Vec::new()] }
    }

    /// A tree holding `leaf_hashes`, in order.
    pub fn from_leaf_hashes(leaf_hashes: impl IntoIterator<Item = Hash>) -> Self {
        let mut tree = Self::new();
        for h in leaf_hashes {
            tree.append(h);
        }
        tree
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Append one leaf hash and return its index.
    pub fn append(&mut self, leaf_hash: Hash) -> u64 {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        let index = self.levels[0].len() as u64;
        self.levels[0].push(leaf_hash);
        // Complete every node whose right child was just completed.
        let mut level = 0;
        while self.levels[level].len().is_multiple_of(2) {
            let row = &self.levels[level];
            let n = row.len();
            let parent = node_hash(&row[n - 2], &row[n - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(parent);
            level += 1;
        }
        index
    }

    /// Leaf hash at `index`, if it exists.
    pub fn leaf_hash(&self, index: u64) -> Option<Hash> {
        self.node(0, index)
    }

    /// Hash of the complete node at `level` (a perfect subtree of `2^level`
    /// leaves) with the given index along that level, if it is complete.
    pub fn node(&self, level: u32, index: u64) -> Option<Hash> {
        let row = self.levels.get(level as usize)?;
        row.get(usize::try_from(index).ok()?).copied()
    }

    /// Root of the current tree.
    pub fn root(&self) -> Hash {
        // The whole tree is a subtree of itself, so this cannot fail.
        self.range_hash(0, self.size())
    }

    /// Root the tree had when it held `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, TreeError> {
        self.check_size(size)?;
        Ok(self.range_hash(0, size))
    }

    /// Hash of the subtree `[start, end)` (see [`is_valid_subtree`]).
    pub fn subtree_hash(&self, start: u64, end: u64) -> Result<Hash, TreeError> {
        if !is_valid_subtree(start, end) || end > self.size() {
            return Err(TreeError::InvalidSubtree { start, end, size: self.size() });
        }
        Ok(self.range_hash(start, end))
    }

    fn check_size(&self, size: u64) -> Result<(), TreeError> {
        if size > self.size() {
            return Err(TreeError::SizeBeyondTree { requested: size, size: self.size() });
        }
        Ok(())
    }

    /// Hash of `[start, end)`; callers guarantee it is a subtree (or empty)
    /// within the current size, so every piece below is a stored node.
    fn range_hash(&self, start: u64, end: u64) -> Hash {
        if start >= end {
            return EMPTY_ROOT;
        }
        // Split the range into perfect subtrees, largest first, then fold
        // them together from the right, as the RFC recursion does.
        let mut pieces = [[0u8; 32]; 64];
        let mut count = 0;
        let mut pos = start;
        let mut remaining = end - start;
        while remaining > 0 {
            let level = 63 - remaining.leading_zeros();
            pieces[count] = self.levels[level as usize][(pos >> level) as usize];
            count += 1;
            pos += 1 << level;
            remaining -= 1 << level;
        }
        let mut acc = pieces[count - 1];
        for piece in pieces[..count - 1].iter().rev() {
            acc = node_hash(piece, &acc);
        }
        acc
    }

    /// Inclusion proof for the leaf at `index` in the tree of `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, TreeError> {
        self.check_size(size)?;
        if index >= size {
            return Err(TreeError::IndexOutOfRange { index, size });
        }
        Ok(self.path(index, 0, size))
    }

    /// Inclusion proof for leaf `index` within the subtree `[start, end)`.
    pub fn subtree_inclusion_proof(&self, index: u64, start: u64, end: u64) -> Result<Vec<Hash>, TreeError> {
        if !is_valid_subtree(start, end) || end > self.size() {
            return Err(TreeError::InvalidSubtree { start, end, size: self.size() });
        }
        if index < start || index >= end {
            return Err(TreeError::IndexOutOfRange { index, size: end });
        }
        Ok(self.path(index, start, end))
    }

    /// Sibling hashes from the leaf up to the top of `[lo, hi)`.
    fn path(&self, index: u64, mut lo: u64, hi: u64) -> Vec<Hash> {
        let mut width = hi - lo;
        let mut path = Vec::with_capacity(64);
        while width > 1 {
            let k = split_point(width);
            if index - lo < k {
                path.push(self.range_hash(lo + k, lo + width));
                width = k;
            } else {
                path.push(self.range_hash(lo, lo + k));
                lo += k;
                width -= k;
            }
        }
        path.reverse();
        path
    }

    /// Consistency proof from the tree of `old_size` leaves to the tree of
    /// `new_size` leaves. Equal sizes, and an old size of 0, give an empty
    /// proof (though [`verify_consistency`] refuses the latter).
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, TreeError> {
        self.check_size(new_size)?;
        if old_size > new_size {
            return Err(TreeError::SizesOutOfOrder { old_size, new_size });
        }
        if old_size == 0 {
            return Ok(Vec::new());
        }
        Ok(self.walk_proof(0, old_size, new_size))
    }

    /// Proof that the subtree `[start, end)` is part of the tree of `size`
    /// leaves (empty for an empty subtree).
    pub fn subtree_consistency_proof(&self, start: u64, end: u64, size: u64) -> Result<Vec<Hash>, TreeError> {
        self.check_size(size)?;
        if start == end && end <= size {
            return Ok(Vec::new());
        }
        if !is_valid_subtree(start, end) || end > size {
            return Err(TreeError::InvalidSubtree { start, end, size });
        }
        Ok(self.walk_proof(start, end, size))
    }

    fn walk_proof(&self, start: u64, end: u64, size: u64) -> Vec<Hash> {
        let (steps, depth, seed_in_proof) = consistency_walk(start, end, size);
        let mut proof = Vec::with_capacity(depth + 1);
        // Replay the walk to learn each sibling's range.
        let mut lo = 0u64;
        let mut width = size;
        for step in &steps[..depth] {
            let k = split_point(width);
            match step {
                Step::Left => {
                    proof.push(self.range_hash(lo + k, lo + width));
                    width = k;
                }
                Step::Right | Step::Straddle => {
                    proof.push(self.range_hash(lo, lo + k));
                    lo += k;
                    width -= k;
                }
            }
        }
        if seed_in_proof {
            proof.push(self.range_hash(lo, lo + width));
        }
        proof.reverse();
        proof
    }
}

// ---------------------------------------------------------------------------
// Frontier
// ---------------------------------------------------------------------------

/// The right edge of a tree: the roots of the perfect subtrees that make up
/// its size, largest (leftmost) first — one per set bit of the size.
///
/// It is enough to append leaves and compute the root, so a writer can resume
/// from a stored frontier without reloading the log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    /// Invariant: `hashes.len() == size.count_ones()`, and `hashes[i]` covers
    /// the i-th highest set bit of `size`.
    hashes: Vec<Hash>,
}

/// Why stored frontier bytes could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrontierError {
    #[error("frontier encoding is {found} bytes; expected at least 9")]
    TooShort { found: usize },
    #[error("unknown frontier encoding version {0}")]
    UnknownVersion(u8),
    #[error("a frontier for size {size} needs {expected} bytes, found {found}")]
    WrongLength { size: u64, expected: usize, found: usize },
    #[error("frontier is full: size {0} cannot grow")]
    Full(u64),
}

/// Version byte that starts the frontier encoding.
const FRONTIER_VERSION: u8 = 1;

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The right-edge hashes, largest subtree first.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Append one leaf hash and return its index. The only failure is a
    /// size counter that would overflow (a frontier decoded with size 2^64-1).
    pub fn append(&mut self, leaf_hash: Hash) -> Result<u64, FrontierError> {
        let index = self.size;
        let new_size = self.size.checked_add(1).ok_or(FrontierError::Full(self.size))?;
        self.hashes.push(leaf_hash);
        // Each trailing one bit of the old size is a perfect subtree of the
        // same height as the accumulated right part: merge them.
        let mut carry = index;
        while carry & 1 == 1 {
            let right = self.hashes.pop().unwrap_or(EMPTY_ROOT);
            let left = self.hashes.pop().unwrap_or(EMPTY_ROOT);
            self.hashes.push(node_hash(&left, &right));
            carry >>= 1;
        }
        self.size = new_size;
        Ok(index)
    }

    /// Root of the tree so far.
    pub fn root(&self) -> Hash {
        let mut iter = self.hashes.iter().rev();
        let Some(last) = iter.next() else {
            return EMPTY_ROOT;
        };
        iter.fold(*last, |acc, h| node_hash(h, &acc))
    }

    /// Encoding: version byte `0x01`, the size as a big-endian u64, then the
    /// right-edge hashes, largest subtree first.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(9 + 32 * self.hashes.len());
        out.push(FRONTIER_VERSION);
        out.extend_from_slice(&self.size.to_be_bytes());
        for h in &self.hashes {
            out.extend_from_slice(h);
        }
        out
    }

    /// Read back what [`Frontier::to_bytes`] wrote, checking its length
    /// against the number of hashes the size requires.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FrontierError> {
        if bytes.len() < 9 {
            return Err(FrontierError::TooShort { found: bytes.len() });
        }
        if bytes[0] != FRONTIER_VERSION {
            return Err(FrontierError::UnknownVersion(bytes[0]));
        }
        let mut size_bytes = [0u8; 8];
        size_bytes.copy_from_slice(&bytes[1..9]);
        let size = u64::from_be_bytes(size_bytes);
        let count = size.count_ones() as usize;
        let expected = 9 + 32 * count;
        if bytes.len() != expected {
            return Err(FrontierError::WrongLength { size, expected, found: bytes.len() });
        }
        let hashes = bytes[9..]
            .chunks_exact(32)
            .map(|c| {
                let mut h = [0u8; 32];
                h.copy_from_slice(c);
                h
            })
            .collect();
        Ok(Self { size, hashes })
    }

    /// Build the frontier for the first `size` leaves of a memory tree.
    pub fn from_tree(tree: &MemoryTree, size: u64) -> Result<Self, TreeError> {
        tree.check_size(size)?;
        let mut hashes = Vec::with_capacity(size.count_ones() as usize);
        let mut pos = 0u64;
        let mut remaining = size;
        while remaining > 0 {
            let level = 63 - remaining.leading_zeros();
            hashes.push(tree.levels[level as usize][(pos >> level) as usize]);
            pos += 1 << level;
            remaining -= 1 << level;
        }
        Ok(Self { size, hashes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    /// The RFC's recursive definition, written naively, as a reference.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => EMPTY_ROOT,
            1 => leaves[0],
            n => {
                let k = split_point(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn roots_agree_with_the_recursive_definition() {
        let all = leaves(70);
        let tree = MemoryTree::from_leaf_hashes(all.iter().copied());
        let mut frontier = Frontier::new();
        assert_eq!(frontier.root(), EMPTY_ROOT);
        for n in 0..=70u64 {
            let want = mth(&all[..n as usize]);
            assert_eq!(tree.root_at(n).unwrap(), want, "size {n}");
            assert_eq!(root_from_leaf_hashes(&all[..n as usize]), want);
            assert_eq!(frontier.root(), want, "frontier size {n}");
            let f2 = Frontier::from_bytes(&frontier.to_bytes()).unwrap();
            assert_eq!(f2, frontier);
            assert_eq!(Frontier::from_tree(&tree, n).unwrap(), frontier);
            if n < 70 {
                frontier.append(all[n as usize]).unwrap();
            }
        }
    }

    #[test]
    fn every_small_proof_verifies() {
        let tree = MemoryTree::from_leaf_hashes(leaves(40));
        for size in 1..=40 {
            let root = tree.root_at(size).unwrap();
            for index in 0..size {
                let p = tree.inclusion_proof(index, size).unwrap();
                verify_inclusion(&tree.leaf_hash(index).unwrap(), index, size, &p, &root).unwrap();
            }
            for old in 1..=size {
                let p = tree.consistency_proof(old, size).unwrap();
                verify_consistency(old, size, &tree.root_at(old).unwrap(), &root, &p).unwrap();
            }
        }
    }

    #[test]
    fn rfc_example_consistency_shapes() {
        // The 7-leaf example of the C2SP merkle-tree text: 3 -> 7 has four
        // hashes, 4 -> 7 one, 6 -> 7 three.
        let tree = MemoryTree::from_leaf_hashes(leaves(7));
        assert_eq!(tree.consistency_proof(3, 7).unwrap().len(), 4);
        assert_eq!(tree.consistency_proof(4, 7).unwrap().len(), 1);
        assert_eq!(tree.consistency_proof(6, 7).unwrap().len(), 3);
    }

    #[test]
    fn garbage_never_panics() {
        let h = [7u8; 32];
        for (i, s) in [(0, 0), (5, 3), (u64::MAX, u64::MAX), (0, u64::MAX), (u64::MAX - 1, u64::MAX)] {
            let _ = verify_inclusion(&h, i, s, &[h; 3], &h);
            let _ = verify_consistency(i, s, &h, &h, &[h; 70]);
            let _ = verify_subtree_consistency(i, s, u64::MAX, &h, &h, &[h; 2]);
            let _ = verify_subtree_inclusion(&h, i, i, s, &[], &h);
        }
        assert!(Frontier::from_bytes(&[1, 0, 0, 0, 0, 0, 0, 0, 3]).is_err());
        assert!(Frontier::from_bytes(&[]).is_err());
    }
}
