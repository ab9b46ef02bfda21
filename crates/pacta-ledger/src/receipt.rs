//! C2SP tlog-proof (c2sp.org/tlog-proof): an offline receipt that an entry is
//! in the log.
//!
//! # Overview
//!
//! A receipt bundles what a verifier needs without contacting the log: the
//! entry's index, its inclusion proof, and the signed (optionally cosigned)
//! checkpoint the proof leads to. The text form is
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! extra <base64>          (optional, unauthenticated application data)
//! index <decimal>
//! <base64 proof hash>     (zero or more, leaf's sibling first)
//!
//! <the signed checkpoint note, verbatim>
//! ```
//!
//! Receipts are conventionally stored with the `.tlog-proof` extension.
//! Verification checks, in order: the log's signature (and the witness
//! quorum, if one is required), the checkpoint's origin, the index against
//! the tree size, and the inclusion proof against the signed root; the error
//! names the step that failed.
//!
//! ```
//! use pacta_ledger::hash::leaf_hash;
//! use pacta_ledger::note::NoteSigner;
//! use pacta_ledger::receipt::Receipt;
//! use pacta_ledger::tree::MemoryTree;
//! use pacta_ledger::checkpoint::Checkpoint;
//!
//! let log = NoteSigner::from_seed("example.com/log", [3u8; 32]).unwrap();
//! let mut tree = MemoryTree::new();
//! for e in [&b"a"[..], b"b", b"c"] { tree.append(leaf_hash(e)); }
//! let signed = Checkpoint::new("example.com/log", 3, tree.root()).unwrap().sign(&log).unwrap();
//! let receipt = Receipt::from_tree(&tree, 1, &signed).unwrap();
//! let text = receipt.to_text();
//! let back = Receipt::parse(&text).unwrap();
//! back.verify_entry(b"b", &log.verifier(), &[], 0).unwrap();
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::checkpoint::{parse_decimal, parse_hash_b64, Checkpoint, CheckpointError};
use crate::hash::{leaf_hash, Hash};
use crate::note::{self, Note, NoteError, Verifier};
use crate::tree::{verify_inclusion, MemoryTree, ProofError, TreeError};

/// First line of every receipt.
pub const RECEIPT_HEADER: &str = "c2sp.org/tlog-proof@v1";
/// Most proof hashes a receipt may carry (a tree of 2^64 leaves needs 64).
pub const MAX_PROOF_HASHES: usize = 64;

/// Why a receipt could not be parsed, built or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("receipt line {line}: {reason}")]
    Malformed { line: usize, reason: &'static str },
    #[error("receipt carries {found} proof hashes; at most {MAX_PROOF_HASHES} are possible")]
    TooManyProofHashes { found: usize },
    #[error("receipt checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    #[error("receipt checkpoint is not signed by the log key {name}+{key_id:08x}")]
    MissingLogSignature { name: String, key_id: u32 },
    #[error("receipt checkpoint has {found} valid witness cosignatures; {needed} are required")]
    NotEnoughCosignatures { needed: usize, found: usize },
    #[error("receipt checkpoint has origin {found:?}, expected {expected:?}")]
    WrongOrigin { expected: String, found: String },
    #[error("receipt inclusion proof: {0}")]
    Proof(#[from] ProofError),
    #[error("cannot build the receipt: {0}")]
    Tree(#[from] TreeError),
}

impl From<NoteError> for ReceiptError {
    fn from(e: NoteError) -> Self {
        ReceiptError::Checkpoint(CheckpointError::Note(e))
    }
}

/// A parsed receipt. `checkpoint` is the signed checkpoint note, verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Optional application data; not authenticated by anything.
    pub extra: Option<Vec<u8>>,
    /// Zero-based index of the entry in the log.
    pub index: u64,
    /// Inclusion proof, leaf's sibling first.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note the proof leads to.
    pub checkpoint: String,
}

/// What a verified receipt established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedReceipt {
    /// The checkpoint the entry is included in.
    pub checkpoint: Checkpoint,
    /// Names of the witnesses whose cosignatures verified.
    pub witnesses: Vec<String>,
}

impl Receipt {
    /// A receipt for the entry at `index` with its inclusion proof into the
    /// tree of the signed checkpoint `signed_checkpoint`.
    pub fn new(index: u64, proof: Vec<Hash>, signed_checkpoint: &str) -> Self {
        Self { extra: None, index, proof, checkpoint: signed_checkpoint.to_owned() }
    }

    /// Build a receipt from a memory tree: the proof is generated for the
    /// size stated in `signed_checkpoint` (whose signature is not checked
    /// here; the receiver checks it).
    pub fn from_tree(tree: &MemoryTree, index: u64, signed_checkpoint: &str) -> Result<Self, ReceiptError> {
        let note = Note::parse(signed_checkpoint)?;
        let cp = Checkpoint::parse(&note.text)?;
        let proof = tree.inclusion_proof(index, cp.size)?;
        Ok(Self::new(index, proof, signed_checkpoint))
    }

    /// The receipt's text form.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(64 + 46 * self.proof.len() + self.checkpoint.len());
        out.push_str(RECEIPT_HEADER);
        out.push('\n');
        if let Some(extra) = &self.extra {
            out.push_str("extra ");
            out.push_str(&BASE64.encode(extra));
            out.push('\n');
        }
        out.push_str(&format!("index {}\n", self.index));
        for h in &self.proof {
            out.push_str(&BASE64.encode(h));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint);
        out
    }

    /// Parse a receipt's text form. The embedded checkpoint must be a
    /// well-formed signed checkpoint note; its signatures are checked by
    /// [`Receipt::verify`].
    pub fn parse(text: &str) -> Result<Self, ReceiptError> {
        let bad = |line, reason| ReceiptError::Malformed { line, reason };
        let mut rest = text;
        let mut line_no = 0;
        let mut next_line = |rest: &mut &str| -> Option<(usize, String)> {
            let (line, tail) = rest.split_once('\n')?;
            *rest = tail;
            line_no += 1;
            Some((line_no, line.to_owned()))
        };
        let (n, header) = next_line(&mut rest).ok_or(bad(1, "missing header line"))?;
        if header != RECEIPT_HEADER {
            return Err(bad(n, "first line must be c2sp.org/tlog-proof@v1"));
        }
        let (mut n, mut line) = next_line(&mut rest).ok_or(bad(2, "missing index line"))?;
        let mut extra = None;
        if let Some(b64) = line.strip_prefix("extra ") {
            extra = Some(BASE64.decode(b64).map_err(|_| bad(n, "extra data is not valid base64"))?);
            (n, line) = next_line(&mut rest).ok_or(bad(n + 1, "missing index line"))?;
        }
        let index = line
            .strip_prefix("index ")
            .and_then(parse_decimal)
            .ok_or(bad(n, "expected `index` and a decimal without leading zeros"))?;
        let mut proof = Vec::new();
        loop {
            let (n, line) = next_line(&mut rest).ok_or(bad(n + 1, "missing blank line before the checkpoint"))?;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_HASHES {
                return Err(ReceiptError::TooManyProofHashes { found: proof.len() + 1 });
            }
            proof.push(parse_hash_b64(&line).ok_or(bad(n, "proof line is not the base64 of a 32-byte hash"))?);
        }
        // What remains is the checkpoint note, verbatim.
        let note = Note::parse(rest)?;
        Checkpoint::parse(&note.text)?;
        Ok(Self { extra, index, proof, checkpoint: rest.to_owned() })
    }

    /// Verify the receipt for an entry's leaf hash against the log's key,
    /// requiring at least `witness_quorum` valid cosignatures from
    /// `witnesses`.
    pub fn verify(
        &self,
        leaf: &Hash,
        log: &dyn Verifier,
        witnesses: &[&dyn Verifier],
        witness_quorum: usize,
    ) -> Result<VerifiedReceipt, ReceiptError> {
        let mut verifiers: Vec<&dyn Verifier> = Vec::with_capacity(1 + witnesses.len());
        verifiers.push(log);
        verifiers.extend_from_slice(witnesses);
        let opened = note::open(&self.checkpoint, &verifiers)?;
        let is_log = |s: &note::NoteSignature| s.name == log.name() && s.key_id == log.key_id();
        if !opened.verified.iter().any(is_log) {
            return Err(ReceiptError::MissingLogSignature { name: log.name().to_owned(), key_id: log.key_id() });
        }
        let mut witness_names: Vec<String> =
            opened.verified.iter().filter(|s| !is_log(s)).map(|s| s.name.clone()).collect();
        witness_names.sort();
        witness_names.dedup();
        if witness_names.len() < witness_quorum {
            return Err(ReceiptError::NotEnoughCosignatures { needed: witness_quorum, found: witness_names.len() });
        }
        let checkpoint = Checkpoint::parse(&opened.note.text)?;
        if checkpoint.origin != log.name() {
            return Err(ReceiptError::WrongOrigin { expected: log.name().to_owned(), found: checkpoint.origin });
        }
        verify_inclusion(leaf, self.index, checkpoint.size, &self.proof, &checkpoint.root)?;
        Ok(VerifiedReceipt { checkpoint, witnesses: witness_names })
    }

    /// [`Receipt::verify`] for the entry's bytes.
    pub fn verify_entry(
        &self,
        entry: &[u8],
        log: &dyn Verifier,
        witnesses: &[&dyn Verifier],
        witness_quorum: usize,
    ) -> Result<VerifiedReceipt, ReceiptError> {
        self.verify(&leaf_hash(entry), log, witnesses, witness_quorum)
    }
}
