//! pacta-ledger: the mathematics of Pacta's transparency log.
//!
//! # Overview
//!
//! Every state change in Pacta is an entry in an append-only log, in the form
//! Certificate Transparency converged on. This crate is that log's pure core:
//!
//! | module | what it owns | specification |
//! |---|---|---|
//! | [`hash`] | leaf and node hashing, the empty root | RFC 9162 §2.1 |
//! | [`tree`] | roots, inclusion and consistency proofs, the in-memory tree, the persistent right-edge [`tree::Frontier`] | RFC 9162 §2.1, MTC subtrees |
//! | [`note`] | signed notes, Ed25519 signer and verifier keys | c2sp.org/signed-note |
//! | [`checkpoint`] | the signed tree head | c2sp.org/tlog-checkpoint |
//! | [`tiles`] | tile paths, hash tiles, entry bundles, the full-log [`tiles::audit`] | c2sp.org/tlog-tiles |
//! | [`cosignature`] | witness cosignatures (`cosignature/v1`) | c2sp.org/tlog-cosignature |
//! | [`receipt`] | offline inclusion receipts | c2sp.org/tlog-proof |
//! | [`canonical`] | canonical JSON for log entries | RFC 8785 |
//!
//! Invariant: this crate does no I/O — no files, network, clock or database.
//! Storage reaches it through two small traits: [`tiles::NodeHashes`] (where
//! node hashes come from) and [`tiles::TileSource`] (how published tiles are
//! read). Time enters only as explicit timestamps. The one source of
//! randomness is key generation (`generate`), which asks the operating system.
//!
//! Invariant: no function panics on input it did not produce itself; garbage
//! sizes, indices, proofs, notes and tiles are errors that name what failed.
//!
//! ```
//! use pacta_ledger::{canonical, checkpoint::Checkpoint, hash::leaf_hash, note::NoteSigner, tree::MemoryTree};
//!
//! let signer = NoteSigner::from_seed("registry.example/log", [5u8; 32]).unwrap();
//! let mut tree = MemoryTree::new();
//! let entry = canonical::to_canonical_vec(&serde_json::json!({"kind": "incident.reported", "id": 1})).unwrap();
//! tree.append(leaf_hash(&entry));
//! let signed = Checkpoint::new("registry.example/log", tree.size(), tree.root()).unwrap().sign(&signer).unwrap();
//! assert!(signed.starts_with("registry.example/log\n1\n"));
//! ```

#![forbid(unsafe_code)]

pub mod canonical;
pub mod checkpoint;
pub mod cosignature;
pub mod hash;
pub mod note;
pub mod receipt;
pub mod tiles;
pub mod tree;
