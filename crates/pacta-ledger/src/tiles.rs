//! C2SP tlog-tiles (c2sp.org/tlog-tiles): the log published as static files.
//!
//! # Overview
//!
//! A tiled log serves its Merkle tree as *hash tiles* and its entries as
//! *entry bundles*, each 256 items wide:
//!
//! - `tile/<L>/<N>` holds 256 consecutive node hashes of tree level `8·L`:
//!   hash `i` is the root of the perfect subtree of `256^L` leaves starting at
//!   leaf `(N·256 + i)·256^L`. Level-0 tiles hold leaf hashes.
//! - `tile/entries/<N>` holds the entries of leaves `N·256 .. N·256+255`, each
//!   prefixed by its length as a big-endian u16.
//! - the rightmost tile of a level may be *partial*: `<path>.p/<W>` with
//!   `1 ≤ W ≤ 255` items. For tree size `s` the partial tile at level `L` has
//!   `floor(s / 256^L) mod 256` items, and none exists when that is 0.
//! - `N` is written as 3-digit groups, all but the last prefixed with `x`:
//!   1234067 becomes `x001/x234/067`.
//!
//! [`tiles_for_size`] lists every tile of a tree, [`hash_tile`] builds one from
//! stored node hashes, [`encode_bundle`] and [`decode_bundle`] handle entry
//! bundles, and [`audit`] re-derives a whole published log from its entries
//! and checks every byte against what is served.
//!
//! ```
//! use pacta_ledger::tiles::{TileId, TileKind};
//! let t = TileId { kind: TileKind::Hash { level: 0 }, index: 1_234_067, width: 256 };
//! assert_eq!(t.path(), "tile/0/x001/x234/067");
//! let p = TileId { kind: TileKind::Entries, index: 0, width: 15 };
//! assert_eq!(p.path(), "tile/entries/000.p/15");
//! ```

use crate::checkpoint::{Checkpoint, CheckpointError, open_checkpoint};
use crate::hash::{leaf_hash, to_hex, Hash};
use crate::note::Verifier;
use crate::tree::MemoryTree;

/// Items in a full tile, and the fan-out between tile levels.
pub const TILE_WIDTH: u64 = 256;
/// Tree levels spanned by one tile level (256 = 2^8).
pub const TILE_HEIGHT: u32 = 8;
/// Largest entry an entry bundle can carry (u16 length prefix).
pub const MAX_ENTRY_LEN: usize = u16::MAX as usize;
/// Largest tile level the path format allows.
pub const MAX_TILE_LEVEL: u8 = 63;

/// Whether a tile holds hashes (at a tile level) or entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TileKind {
    /// A hash tile at tile level `level` (tree level `8·level`).
    Hash { level: u8 },
    /// An entry bundle.
    Entries,
}

/// One tile or entry bundle: its kind, index along its level, and width
/// (256 for a full tile, 1..=255 for a partial one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    pub kind: TileKind,
    pub index: u64,
    pub width: u16,
}

/// Why a tile path, tile or bundle was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    #[error("tile path {path:?} is malformed: {reason}")]
    BadPath { path: String, reason: &'static str },
    #[error("entry {index} is {len} bytes; an entry bundle holds at most {MAX_ENTRY_LEN}")]
    EntryTooLarge { index: usize, len: usize },
    #[error("a bundle holds at most {TILE_WIDTH} entries, got {found}")]
    TooManyEntries { found: usize },
    #[error("entry bundle is truncated at byte {offset}")]
    TruncatedBundle { offset: usize },
    #[error("entry bundle holds {found} entries; its width says {expected}")]
    BundleWidth { expected: u16, found: usize },
    #[error("tile {path} needs node (tree level {level}, index {index}), which the tree does not have")]
    MissingNode { path: String, level: u32, index: u64 },
    #[error("tile width {0} is not between 1 and 256")]
    BadWidth(u16),
}

impl TileId {
    /// The tile's path below the log prefix.
    pub fn path(&self) -> String {
        let mut out = match self.kind {
            TileKind::Hash { level } => format!("tile/{level}/"),
            TileKind::Entries => "tile/entries/".to_owned(),
        };
        out.push_str(&encode_index(self.index));
        if u64::from(self.width) < TILE_WIDTH {
            out.push_str(&format!(".p/{}", self.width));
        }
        out
    }

    /// Whether this is a partial tile.
    pub fn is_partial(&self) -> bool {
        u64::from(self.width) < TILE_WIDTH
    }

    /// The same tile at full width.
    pub fn full(&self) -> TileId {
        TileId { width: TILE_WIDTH as u16, ..*self }
    }

    /// Parse a path written by [`TileId::path`], refusing every other
    /// spelling (leading zeros, missing `x`, widths of 0 or 256...).
    pub fn parse(path: &str) -> Result<TileId, TileError> {
        let bad = |reason| TileError::BadPath { path: path.to_owned(), reason };
        let rest = path.strip_prefix("tile/").ok_or(bad("does not start with tile/"))?;
        let (level_part, rest) = rest.split_once('/').ok_or(bad("no level"))?;
        let kind = if level_part == "entries" {
            TileKind::Entries
        } else {
            let level = crate::checkpoint::parse_decimal(level_part)
                .filter(|l| *l <= u64::from(MAX_TILE_LEVEL))
                .ok_or(bad("level must be a decimal between 0 and 63"))?;
            TileKind::Hash { level: level as u8 }
        };
        let (index_part, width) = match rest.split_once(".p/") {
            Some((i, w)) => {
                let w = crate::checkpoint::parse_decimal(w)
                    .filter(|w| (1..TILE_WIDTH).contains(w))
                    .ok_or(bad("partial width must be between 1 and 255"))?;
                (i, w as u16)
            }
            None => (rest, TILE_WIDTH as u16),
        };
        let groups: Vec<&str> = index_part.split('/').collect();
        let mut index: u64 = 0;
        for (i, g) in groups.iter().enumerate() {
            let last = i + 1 == groups.len();
            let digits = if last { *g } else { g.strip_prefix('x').ok_or(bad("inner index groups need an x"))? };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("index groups are three digits"));
            }
            let d: u64 = digits.parse().map_err(|_| bad("index groups are three digits"))?;
            index = index.checked_mul(1000).and_then(|x| x.checked_add(d)).ok_or(bad("index overflows"))?;
        }
        // One spelling per index: no leading all-zero groups.
        if groups.len() > 1 && groups[0] == "x000" {
            return Err(bad("index has a leading zero group"));
        }
        Ok(TileId { kind, index, width })
    }
}

/// Encode a tile index as `x`-prefixed 3-digit groups.
pub fn encode_index(mut n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

/// `256^level` as the number of leaves under one hash of a tile at `level`,
/// or None past 2^64.
fn leaves_per_hash(level: u8) -> Option<u64> {
    1u64.checked_shl(u32::from(level) * TILE_HEIGHT)
}

/// Every tile (hash tiles at every level, and entry bundles) that a tree of
/// `size` leaves publishes: full tiles plus the partial tile of each level.
pub fn tiles_for_size(size: u64) -> Vec<TileId> {
    let mut out = Vec::new();
    push_level_tiles(&mut out, TileKind::Entries, size);
    for level in 0..=MAX_TILE_LEVEL {
        let Some(per) = leaves_per_hash(level) else { break };
        let hashes = size / per;
        if hashes == 0 {
            break;
        }
        push_level_tiles(&mut out, TileKind::Hash { level }, hashes);
    }
    out
}

fn push_level_tiles(out: &mut Vec<TileId>, kind: TileKind, items: u64) {
    for index in 0..items / TILE_WIDTH {
        out.push(TileId { kind, index, width: TILE_WIDTH as u16 });
    }
    let rem = items % TILE_WIDTH;
    if rem > 0 {
        out.push(TileId { kind, index: items / TILE_WIDTH, width: rem as u16 });
    }
}

/// Tiles that exist at `new_size` but not at `old_size`: what a log must
/// write after growing (full tiles that completed, and the new partial ones).
/// Costs O(tiles added), not O(log size). A log never shrinks, so
/// `new_size <= old_size` gives nothing.
pub fn tiles_added(old_size: u64, new_size: u64) -> Vec<TileId> {
    let mut out = Vec::new();
    if new_size <= old_size {
        return out;
    }
    let mut push = |kind: TileKind, old_items: u64, new_items: u64| {
        // Full tiles completed by the growth.
        for index in old_items / TILE_WIDTH..new_items / TILE_WIDTH {
            out.push(TileId { kind, index, width: TILE_WIDTH as u16 });
        }
        // The new partial tile, unless the old tree had the very same one.
        let rem = new_items % TILE_WIDTH;
        if rem > 0 && new_items != old_items {
            out.push(TileId { kind, index: new_items / TILE_WIDTH, width: rem as u16 });
        }
    };
    push(TileKind::Entries, old_size, new_size);
    for level in 0..=MAX_TILE_LEVEL {
        let Some(per) = leaves_per_hash(level) else { break };
        if new_size / per == 0 {
            break;
        }
        push(TileKind::Hash { level }, old_size / per, new_size / per);
    }
    out
}

/// A store of complete node hashes, indexed by tree level and position.
pub trait NodeHashes {
    /// Hash of the perfect subtree of `2^level` leaves starting at leaf
    /// `index · 2^level`, if known.
    fn node(&self, level: u32, index: u64) -> Option<Hash>;
}

impl NodeHashes for MemoryTree {
    fn node(&self, level: u32, index: u64) -> Option<Hash> {
        MemoryTree::node(self, level, index)
    }
}

/// The bytes of hash tile `tile` (which must be a hash tile).
pub fn hash_tile(nodes: &impl NodeHashes, tile: TileId) -> Result<Vec<u8>, TileError> {
    let TileKind::Hash { level } = tile.kind else {
        return Err(TileError::BadPath { path: tile.path(), reason: "an entry bundle is not a hash tile" });
    };
    if tile.width == 0 || u64::from(tile.width) > TILE_WIDTH {
        return Err(TileError::BadWidth(tile.width));
    }
    let tree_level = u32::from(level) * TILE_HEIGHT;
    let mut out = Vec::with_capacity(32 * usize::from(tile.width));
    for i in 0..u64::from(tile.width) {
        let index = tile.index.checked_mul(TILE_WIDTH).and_then(|x| x.checked_add(i));
        let node = index.and_then(|idx| nodes.node(tree_level, idx));
        let Some(h) = node else {
            return Err(TileError::MissingNode { path: tile.path(), level: tree_level, index: index.unwrap_or(u64::MAX) });
        };
        out.extend_from_slice(&h);
    }
    Ok(out)
}

/// Concatenate entries, each prefixed by its big-endian u16 length.
pub fn encode_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, TileError> {
    if entries.len() > TILE_WIDTH as usize {
        return Err(TileError::TooManyEntries { found: entries.len() });
    }
    let mut out = Vec::new();
    for (index, e) in entries.iter().enumerate() {
        let e = e.as_ref();
        let len = u16::try_from(e.len()).map_err(|_| TileError::EntryTooLarge { index, len: e.len() })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Split an entry bundle into its entries.
pub fn decode_bundle(bytes: &[u8]) -> Result<Vec<Vec<u8>>, TileError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        if out.len() == TILE_WIDTH as usize {
            return Err(TileError::TooManyEntries { found: out.len() + 1 });
        }
        let Some(prefix) = bytes.get(pos..pos + 2) else {
            return Err(TileError::TruncatedBundle { offset: pos });
        };
        let len = usize::from(u16::from_be_bytes([prefix[0], prefix[1]]));
        let Some(entry) = bytes.get(pos + 2..pos + 2 + len) else {
            return Err(TileError::TruncatedBundle { offset: pos });
        };
        out.push(entry.to_vec());
        pos += 2 + len;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Audit
// ---------------------------------------------------------------------------

/// Read access to a published log: `get("checkpoint")`, `get("tile/0/000")`…
/// Returns None when the resource does not exist.
pub trait TileSource {
    fn get(&self, path: &str) -> Option<Vec<u8>>;
}

/// The first discrepancy an audit found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    #[error("no checkpoints to audit")]
    NoCheckpoints,
    #[error("{path} is missing")]
    Missing { path: String },
    #[error("checkpoint {name}: {source}")]
    Checkpoint { name: String, source: CheckpointError },
    #[error("{name} holds a checkpoint of size {size}: a historical checkpoint is published as checkpoint.<its size>, so this one was not the checkpoint it claims to be")]
    Misnamed { name: String, size: u64 },
    #[error("checkpoint {name} has origin {found:?}, expected {expected:?}")]
    WrongOrigin { name: String, expected: String, found: String },
    #[error("{path}: {source}")]
    Tile { path: String, source: TileError },
    #[error("{path} holds {found} entries where {expected} are needed")]
    BundleWidth { path: String, expected: u64, found: usize },
    #[error("{path}: entry {index} hashes to {}, but the log already committed to {} for that index", to_hex(.found), to_hex(.expected))]
    EntryRewritten { path: String, index: u64, expected: Hash, found: Hash },
    #[error("{path} is {found} bytes, expected {expected}")]
    TileLength { path: String, expected: usize, found: usize },
    #[error("{path}: hash {position} (tree level {level}, node {node}) is {} but the entries give {}", to_hex(.found), to_hex(.expected))]
    TileHash { path: String, position: u64, level: u32, node: u64, expected: Hash, found: Hash },
    #[error("checkpoint {name} (size {size}) signs root {} but the entries give {}", to_hex(.signed), to_hex(.computed))]
    RootMismatch { name: String, size: u64, signed: Hash, computed: Hash },
}

/// What a successful audit checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    /// Checkpoints whose signature, root and tiles were verified, by size.
    pub checkpoints: Vec<Checkpoint>,
    /// Entries recomputed (the largest checkpoint's size).
    pub entries: u64,
    /// Distinct entry-bundle files read and compared.
    pub bundles_checked: usize,
    /// Distinct hash-tile files read and compared byte for byte.
    pub tiles_checked: usize,
}

/// Fetch `tile`. A partial tile that is gone is read as the prefix of a wider one
/// of the same index: the full tile (logs may delete partial tiles once the full one
/// exists), or else a wider partial tile of a later checkpoint, `wider` (a log keeps
/// only its latest partial tiles, so an older checkpoint's partial tile may never have
/// been published; an append-only log's wider tile begins with the narrower one, and
/// the audit checks every byte of what it reads against the entries).
fn fetch(source: &dyn TileSource, tile: TileId, item_len: Option<usize>, wider: &[u16]) -> Result<(String, Vec<u8>), AuditError> {
    let path = tile.path();
    if let Some(bytes) = source.get(&path) {
        return Ok((path, bytes));
    }
    if tile.is_partial() {
        let candidates = std::iter::once(tile.full()).chain(wider.iter().map(|&width| TileId { width, ..tile }));
        for candidate in candidates {
            let candidate_path = candidate.path();
            if let Some(mut bytes) = source.get(&candidate_path) {
                if let Some(n) = item_len {
                    bytes.truncate(n * usize::from(tile.width));
                }
                return Ok((candidate_path, bytes));
            }
        }
    }
    Err(AuditError::Missing { path })
}

/// The widths `tile` has at the `later` tree sizes where it is still partial and wider,
/// narrowest first.
fn wider_partials(tile: TileId, later: &[u64]) -> Vec<u16> {
    if !tile.is_partial() {
        return Vec::new();
    }
    let per = match tile.kind {
        TileKind::Entries => Some(1),
        TileKind::Hash { level } => leaves_per_hash(level),
    };
    let Some(per) = per else { return Vec::new() };
    let mut widths: Vec<u16> = later
        .iter()
        .map(|size| size / per)
        .filter(|items| items / TILE_WIDTH == tile.index)
        .map(|items| (items % TILE_WIDTH) as u16)
        .filter(|w| *w > tile.width)
        .collect();
    widths.sort_unstable();
    widths.dedup();
    widths
}

/// Audit a tiled log: verify every named checkpoint's signature with
/// `verifier`, rebuild the tree from the entry bundles, and compare every
/// hash tile byte for byte and every root with its signed checkpoint.
///
/// `checkpoint_paths` name the checkpoints to check (for example
/// `["checkpoint"]`, or every historical copy); they are processed in order
/// of tree size. Entries seen at one size must be unchanged at every later
/// size. The first discrepancy is returned, naming the resource, the index
/// and the expected and found hashes.
pub fn audit(source: &dyn TileSource, verifier: &dyn Verifier, checkpoint_paths: &[&str]) -> Result<AuditReport, AuditError> {
    let mut checkpoints = Vec::new();
    for &name in checkpoint_paths {
        let bytes = source.get(name).ok_or_else(|| AuditError::Missing { path: name.to_owned() })?;
        let text = String::from_utf8(bytes).map_err(|_| AuditError::Checkpoint {
            name: name.to_owned(),
            source: CheckpointError::Note(crate::note::NoteError::NotUtf8),
        })?;
        let signed = open_checkpoint(&text, &[verifier])
            .map_err(|source| AuditError::Checkpoint { name: name.to_owned(), source })?;
        // A copy of checkpoint.8 saved as checkpoint.9 would otherwise be counted as
        // checkpoint 9 verified, when checkpoint 9 was never looked at.
        if let Some(n) = name.strip_prefix("checkpoint.")
            && n != signed.checkpoint.size.to_string()
        {
            return Err(AuditError::Misnamed { name: name.to_owned(), size: signed.checkpoint.size });
        }
        if signed.checkpoint.origin != verifier.name() {
            return Err(AuditError::WrongOrigin {
                name: name.to_owned(),
                expected: verifier.name().to_owned(),
                found: signed.checkpoint.origin,
            });
        }
        checkpoints.push((name, signed.checkpoint));
    }
    if checkpoints.is_empty() {
        return Err(AuditError::NoCheckpoints);
    }
    checkpoints.sort_by_key(|(_, cp)| cp.size);

    let mut tree = MemoryTree::new();
    // Distinct files read, so that the report says what was looked at: a partial tile
    // read as the prefix of a wider one, or for two checkpoints, is one file.
    let mut bundles_read = std::collections::HashSet::new();
    let mut tiles_read = std::collections::HashSet::new();
    // Full tiles never change, so each is compared once.
    let mut seen_full = std::collections::HashSet::new();
    let sizes: Vec<u64> = checkpoints.iter().map(|(_, cp)| cp.size).collect();
    for (k, (name, cp)) in checkpoints.iter().enumerate() {
        let later = &sizes[k + 1..];
        let tiles = tiles_for_size(cp.size);
        for tile in tiles.iter().filter(|t| t.kind == TileKind::Entries) {
            if !tile.is_partial() && seen_full.contains(tile) {
                continue;
            }
            let (path, bytes) = fetch(source, *tile, None, &wider_partials(*tile, later))?;
            let mut entries = decode_bundle(&bytes).map_err(|source| AuditError::Tile { path: path.clone(), source })?;
            if path != tile.path() {
                entries.truncate(usize::from(tile.width));
            }
            if entries.len() != usize::from(tile.width) {
                return Err(AuditError::BundleWidth { path, expected: u64::from(tile.width), found: entries.len() });
            }
            let first = tile.index * TILE_WIDTH;
            for (i, entry) in entries.iter().enumerate() {
                let index = first + i as u64;
                let h = leaf_hash(entry);
                match tree.leaf_hash(index) {
                    Some(existing) if existing != h => {
                        return Err(AuditError::EntryRewritten { path, index, expected: existing, found: h });
                    }
                    Some(_) => {}
                    None => {
                        tree.append(h);
                    }
                }
            }
            bundles_read.insert(path);
            if !tile.is_partial() {
                seen_full.insert(*tile);
            }
        }
        for tile in tiles.iter().filter(|t| t.kind != TileKind::Entries) {
            if !tile.is_partial() && seen_full.contains(tile) {
                continue;
            }
            let expected = hash_tile(&tree, *tile).map_err(|source| AuditError::Tile { path: tile.path(), source })?;
            let (path, found) = fetch(source, *tile, Some(32), &wider_partials(*tile, later))?;
            compare_tile(&path, *tile, &expected, &found)?;
            tiles_read.insert(path);
            if !tile.is_partial() {
                seen_full.insert(*tile);
            }
        }
        // The tiles matched, so this root is what a tile-reading client gets.
        let computed = tree.root_at(cp.size).map_err(|_| AuditError::BundleWidth {
            path: format!("entries up to {}", cp.size),
            expected: cp.size,
            found: tree.size() as usize,
        })?;
        if computed != cp.root {
            return Err(AuditError::RootMismatch { name: (*name).to_owned(), size: cp.size, signed: cp.root, computed });
        }
    }
    let entries = tree.size();
    // `checkpoint` is also published as `checkpoint.<size>`: one checkpoint, not two.
    let mut verified: Vec<Checkpoint> = checkpoints.into_iter().map(|(_, c)| c).collect();
    verified.dedup();
    Ok(AuditReport { checkpoints: verified, entries, bundles_checked: bundles_read.len(), tiles_checked: tiles_read.len() })
}

fn compare_tile(path: &str, tile: TileId, expected: &[u8], found: &[u8]) -> Result<(), AuditError> {
    let level = match tile.kind {
        TileKind::Hash { level } => u32::from(level) * TILE_HEIGHT,
        TileKind::Entries => 0,
    };
    for (position, (e, f)) in expected.chunks_exact(32).zip(found.chunks_exact(32)).enumerate() {
        if e != f {
            let mut expected_h = [0u8; 32];
            expected_h.copy_from_slice(e);
            let mut found_h = [0u8; 32];
            found_h.copy_from_slice(f);
            let position = position as u64;
            return Err(AuditError::TileHash {
                path: path.to_owned(),
                position,
                level,
                node: tile.index * TILE_WIDTH + position,
                expected: expected_h,
                found: found_h,
            });
        }
    }
    if expected.len() != found.len() {
        return Err(AuditError::TileLength { path: path.to_owned(), expected: expected.len(), found: found.len() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_size_70000() {
        let t = tiles_for_size(70_000);
        let hash = |level: u8| t.iter().filter(move |x| x.kind == TileKind::Hash { level }).copied().collect::<Vec<_>>();
        let l0 = hash(0);
        assert_eq!(l0.iter().filter(|x| !x.is_partial()).count(), 273);
        assert_eq!(l0.last().unwrap().width, 112);
        let l1 = hash(1);
        assert_eq!(l1.len(), 2);
        assert_eq!(l1[1].width, 17);
        assert_eq!(hash(2), vec![TileId { kind: TileKind::Hash { level: 2 }, index: 0, width: 1 }]);
        assert!(hash(3).is_empty());
        // Size 256: one full level-0 tile and a level-1 tile of width 1.
        let t = tiles_for_size(256);
        assert!(t.contains(&TileId { kind: TileKind::Hash { level: 1 }, index: 0, width: 1 }));
    }

    #[test]
    fn paths_round_trip_and_reject_other_spellings() {
        for (id, path) in [
            (TileId { kind: TileKind::Hash { level: 0 }, index: 1_234_067, width: 256 }, "tile/0/x001/x234/067"),
            (TileId { kind: TileKind::Hash { level: 3 }, index: 5, width: 7 }, "tile/3/005.p/7"),
            (TileId { kind: TileKind::Entries, index: 1000, width: 256 }, "tile/entries/x001/000"),
        ] {
            assert_eq!(id.path(), path);
            assert_eq!(TileId::parse(path).unwrap(), id);
        }
        for bad in ["tile/0/5", "tile/0/001/002", "tile/0/x000/001", "tile/64/000", "tile/0/000.p/0", "tile/0/000.p/256", "tile/00/000", "tiles/0/000"] {
            assert!(TileId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tiles_added_is_the_set_difference() {
        for (a, b) in [(0u64, 1u64), (0, 256), (255, 256), (256, 257), (1000, 70_000), (65_535, 65_536), (70_000, 70_000)] {
            let old: std::collections::HashSet<TileId> = tiles_for_size(a).into_iter().collect();
            let mut want: Vec<TileId> = tiles_for_size(b).into_iter().filter(|t| !old.contains(t)).collect();
            let mut got = tiles_added(a, b);
            want.sort();
            got.sort();
            assert_eq!(got, want, "{a} -> {b}");
        }
    }

    #[test]
    fn bundles() {
        let entries = vec![b"one".to_vec(), Vec::new(), vec![0u8; 300]];
        let b = encode_bundle(&entries).unwrap();
        assert_eq!(decode_bundle(&b).unwrap(), entries);
        assert!(encode_bundle(&[vec![0u8; 65_536]]).is_err());
        assert!(encode_bundle(&[vec![0u8; 65_535]]).is_ok());
        assert!(decode_bundle(&[0, 5, 1]).is_err());
        assert!(decode_bundle(&[0]).is_err());
    }
}
