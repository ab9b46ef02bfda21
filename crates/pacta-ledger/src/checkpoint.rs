//! C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the signed tree head.
//!
//! # Overview
//!
//! A checkpoint is the text of a signed note with at least three lines: the
//! log's *origin*, the tree *size* in decimal (no leading zeros), and the
//! base64 *root hash*; any further lines are opaque, non-empty *extension*
//! lines. [`Checkpoint::parse`] is strict: anything [`Checkpoint::to_text`]
//! would not have produced is refused, so one tree head has exactly one
//! encoding.
//!
//! ```
//! use pacta_ledger::checkpoint::Checkpoint;
//! use pacta_ledger::hash::EMPTY_ROOT;
//!
//! let cp = Checkpoint::new("example.com/log", 0, EMPTY_ROOT).unwrap();
//! let text = cp.to_text();
//! assert_eq!(Checkpoint::parse(&text).unwrap(), cp);
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::hash::Hash;
use crate::note::{self, NoteError, NoteSigner, Verifier, VerifiedNote};

/// Why a checkpoint text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint text must end with a newline")]
    NotTerminated,
    #[error("checkpoint has {found} lines; at least 3 are required")]
    TooFewLines { found: usize },
    #[error("checkpoint origin line is empty")]
    EmptyOrigin,
    #[error("checkpoint origin {0:?} contains a control character")]
    BadOrigin(String),
    #[error("tree size {0:?} is not a decimal number without leading zeros that fits in 64 bits")]
    BadSize(String),
    #[error("root hash {0:?} is not the standard base64 of 32 bytes")]
    BadRoot(String),
    #[error("extension line {line} is empty or contains a control character")]
    BadExtension { line: usize },
    #[error("signed note: {0}")]
    Note(#[from] NoteError),
}

/// A log's tree head: origin, size, root hash and optional extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, such as `example.com/log42`.
    pub origin: String,
    /// Number of entries in the tree.
    pub size: u64,
    /// RFC 9162 root hash of the tree at `size`.
    pub root: Hash,
    /// Opaque extension lines (without newlines). The spec advises against
    /// using them because monitors cannot audit them.
    pub extensions: Vec<String>,
}

fn is_clean_line(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(char::is_control)
}

/// Parse a decimal u64 with no sign, no leading zeros (except "0" itself).
pub(crate) fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0')) {
        return None;
    }
    s.parse().ok()
}

/// Decode base64 that must be exactly 32 bytes in canonical encoding.
pub(crate) fn parse_hash_b64(s: &str) -> Option<Hash> {
    let bytes = BASE64.decode(s).ok()?;
    let h: Hash = bytes.as_slice().try_into().ok()?;
    // Standard base64 with padding has one encoding per value; refuse others.
    (BASE64.encode(h) == s).then_some(h)
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Self, CheckpointError> {
        if origin.is_empty() {
            return Err(CheckpointError::EmptyOrigin);
        }
        if !is_clean_line(origin) {
            return Err(CheckpointError::BadOrigin(origin.to_owned()));
        }
        Ok(Self { origin: origin.to_owned(), size, root, extensions: Vec::new() })
    }

    /// The note text: origin, size, base64 root, extensions, each ending in
    /// a newline.
    pub fn to_text(&self) -> String {
        let mut out = format!("{}\n{}\n{}\n", self.origin, self.size, BASE64.encode(self.root));
        for e in &self.extensions {
            out.push_str(e);
            out.push('\n');
        }
        out
    }

    /// Strictly parse a checkpoint note text (the part before the signatures).
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text.strip_suffix('\n').ok_or(CheckpointError::NotTerminated)?;
        let lines: Vec<&str> = body.split('\n').collect();
        if lines.len() < 3 {
            return Err(CheckpointError::TooFewLines { found: lines.len() });
        }
        let origin = lines[0];
        if origin.is_empty() {
            return Err(CheckpointError::EmptyOrigin);
        }
        if !is_clean_line(origin) {
            return Err(CheckpointError::BadOrigin(origin.to_owned()));
        }
        let size = parse_decimal(lines[1]).ok_or_else(|| CheckpointError::BadSize(lines[1].to_owned()))?;
        let root = parse_hash_b64(lines[2]).ok_or_else(|| CheckpointError::BadRoot(lines[2].to_owned()))?;
        let mut extensions = Vec::with_capacity(lines.len() - 3);
        for (i, line) in lines[3..].iter().enumerate() {
            if !is_clean_line(line) {
                return Err(CheckpointError::BadExtension { line: i + 4 });
            }
            extensions.push((*line).to_owned());
        }
        Ok(Self { origin: origin.to_owned(), size, root, extensions })
    }

    /// Sign this checkpoint as a note with `signer` (whose name should be the
    /// origin).
    pub fn sign(&self, signer: &NoteSigner) -> Result<String, CheckpointError> {
        Ok(note::sign(&self.to_text(), &[signer])?)
    }
}

/// A checkpoint read from a signed note whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The parsed tree head.
    pub checkpoint: Checkpoint,
    /// The note, with the signatures that verified.
    pub note: VerifiedNote,
}

/// Verify a signed checkpoint note with `verifiers`, then parse its text.
pub fn open_checkpoint(msg: &str, verifiers: &[&dyn Verifier]) -> Result<SignedCheckpoint, CheckpointError> {
    let note = note::open(msg, verifiers)?;
    let checkpoint = Checkpoint::parse(&note.note.text)?;
    Ok(SignedCheckpoint { checkpoint, note })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_parse_refuses_variants() {
        let good = "example.com/log\n3\nWqx3HImawpLnS/Gv4ubjAvi1WIOy0b8Ze0amvqbavKk=\n";
        let cp = Checkpoint::parse(good).unwrap();
        assert_eq!(cp.size, 3);
        assert_eq!(cp.to_text(), good);
        for bad in [
            "example.com/log\n3\nWqx3HImawpLnS/Gv4ubjAvi1WIOy0b8Ze0amvqbavKk=",
            "example.com/log\n03\nWqx3HImawpLnS/Gv4ubjAvi1WIOy0b8Ze0amvqbavKk=\n",
            "example.com/log\n+3\nWqx3HImawpLnS/Gv4ubjAvi1WIOy0b8Ze0amvqbavKk=\n",
            "example.com/log\n18446744073709551616\nWqx3HImawpLnS/Gv4ubjAvi1WIOy0b8Ze0amvqbavKk=\n",
            "example.com/log\n3\nWqx3HImawpLnS/Gv4ubjAvi1WIOy0b8Ze0amvqbavKk\n",
            "example.com/log\n3\n",
            "\n3\nWqx3HImawpLnS/Gv4ubjAvi1WIOy0b8Ze0amvqbavKk=\n",
            "example.com/log\n3\nWqx3HImawpLnS/Gv4ubjAvi1WIOy0b8Ze0amvqbavKk=\n\n",
        ] {
            assert!(Checkpoint::parse(bad).is_err(), "{bad:?}");
        }
        let ext = "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nextension one\n";
        assert_eq!(Checkpoint::parse(ext).unwrap().extensions, vec!["extension one".to_owned()]);
    }
}
