//! C2SP tlog-cosignature (c2sp.org/tlog-cosignature), Ed25519 `cosignature/v1`.
//!
//! # Overview
//!
//! A witness (cosigner) that has checked a checkpoint is consistent with
//! everything it saw before adds its own signature line to the checkpoint
//! note. The Ed25519 cosignature differs from a plain note signature in three
//! ways:
//!
//! - the key id uses signature type byte `0x04`:
//!   `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4]`;
//! - the signed message is `cosignature/v1\n`, then `time <T>\n` with `T` the
//!   POSIX timestamp in decimal, then the whole checkpoint note text;
//! - the signature bytes are the 8-byte big-endian timestamp followed by the
//!   64-byte Ed25519 signature.
//!
//! The Ed25519 message does not commit to the cosigner's name, so one key
//! must serve only one cosigner. A [`CosignatureVerifier`] is a
//! [`Verifier`], so cosignatures are checked by [`crate::note::open`] like any
//! other signature; [`CosignatureVerifier::verify_cosignature`] also returns
//! the timestamp.
//!
//! ```
//! use pacta_ledger::checkpoint::Checkpoint;
//! use pacta_ledger::cosignature::CosignatureSigner;
//! use pacta_ledger::hash::EMPTY_ROOT;
//!
//! let text = Checkpoint::new("example.com/log", 0, EMPTY_ROOT).unwrap().to_text();
//! let witness = CosignatureSigner::from_seed("witness.example/w1", [9u8; 32]).unwrap();
//! let line = witness.cosign(&text, 1_700_000_000).unwrap();
//! assert_eq!(witness.verifier().verify_cosignature(&text, &line.signature), Ok(1_700_000_000));
//! ```

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::note::{check_text, format_key, key_id, parse_key, verifying_key, KeyError, KeyId, NoteError, NoteSignature, Verifier};

/// Signature type byte of timestamped Ed25519 cosignatures.
pub const ALG_COSIGNATURE_V1: u8 = 0x04;
/// The header line of the signed message, without its newline.
pub const COSIGNATURE_V1_HEADER: &str = "cosignature/v1";
/// Largest timestamp the specification allows (2^63 - 1).
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// Why a cosignature could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignatureError {
    #[error("timestamp {0} exceeds 2^63 - 1")]
    TimestampTooLarge(u64),
    #[error("cosignature is {found} bytes; expected 72 (8-byte timestamp and 64-byte signature)")]
    WrongLength { found: usize },
    #[error("Ed25519 signature over the cosigned message does not verify")]
    BadSignature,
    #[error("cosigned text is not a checkpoint: {0}")]
    NotACheckpoint(#[from] CheckpointError),
    #[error("cosigned text is not a note text: {0}")]
    Note(#[from] NoteError),
}

/// The message an Ed25519 cosigner signs for `checkpoint_text` at `timestamp`.
pub fn cosigned_message(checkpoint_text: &str, timestamp: u64) -> Vec<u8> {
    format!("{COSIGNATURE_V1_HEADER}\ntime {timestamp}\n{checkpoint_text}").into_bytes()
}

/// A witness's signing key. `Debug` omits the private key.
#[derive(Clone)]
pub struct CosignatureSigner {
    name: String,
    id: KeyId,
    key: SigningKey,
}

impl std::fmt::Debug for CosignatureSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosignatureSigner").field("name", &self.name).field("key_id", &format_args!("{:08x}", self.id)).finish_non_exhaustive()
    }
}

impl CosignatureSigner {
    /// A cosigner named `name` with the given key.
    pub fn new(name: &str, key: SigningKey) -> Result<Self, KeyError> {
        if !crate::note::is_valid_key_name(name) {
            return Err(KeyError::InvalidName(name.to_owned()));
        }
        let id = key_id(name, ALG_COSIGNATURE_V1, key.verifying_key().as_bytes());
        Ok(Self { name: name.to_owned(), id, key })
    }

    /// A cosigner from a 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, KeyError> {
        Self::new(name, SigningKey::from_bytes(&seed))
    }

    /// A cosigner with a fresh key from the operating system's generator.
    pub fn generate(name: &str) -> Result<Self, KeyError> {
        Self::new(name, SigningKey::generate(&mut rand::rng()))
    }

    /// The cosigner's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The matching verifier.
    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier { name: self.name.clone(), id: self.id, key: self.key.verifying_key() }
    }

    /// Cosign a checkpoint note text at `timestamp` (POSIX seconds),
    /// returning the signature line to append to the checkpoint note. The
    /// text must parse as a checkpoint: a cosignature is a statement about a
    /// tree head.
    pub fn cosign(&self, checkpoint_text: &str, timestamp: u64) -> Result<NoteSignature, CosignatureError> {
        if timestamp > MAX_TIMESTAMP {
            return Err(CosignatureError::TimestampTooLarge(timestamp));
        }
        check_text(checkpoint_text)?;
        Checkpoint::parse(checkpoint_text)?;
        let sig = self.key.sign(&cosigned_message(checkpoint_text, timestamp));
        let mut bytes = Vec::with_capacity(72);
        bytes.extend_from_slice(&timestamp.to_be_bytes());
        bytes.extend_from_slice(&sig.to_bytes());
        Ok(NoteSignature { name: self.name.clone(), key_id: self.id, signature: bytes })
    }
}

/// A witness's public key, as a note [`Verifier`] of type 0x04.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignatureVerifier {
    name: String,
    id: KeyId,
    key: VerifyingKey,
}

impl CosignatureVerifier {
    /// A verifier for cosigner `name` with an Ed25519 public key.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, KeyError> {
        if !crate::note::is_valid_key_name(name) {
            return Err(KeyError::InvalidName(name.to_owned()));
        }
        let id = key_id(name, ALG_COSIGNATURE_V1, key.as_bytes());
        Ok(Self { name: name.to_owned(), id, key })
    }

    /// Parse a vkey `name+hexid+base64(0x04 ‖ key)`, checking the key id.
    pub fn parse(vkey: &str) -> Result<Self, KeyError> {
        let (name, stated, key) = parse_key(vkey, ALG_COSIGNATURE_V1, 32)?;
        let v = Self::new(&name, verifying_key(&key)?)?;
        if v.id != stated {
            return Err(KeyError::KeyIdMismatch { name, stated, computed: v.id });
        }
        Ok(v)
    }

    /// The vkey string.
    pub fn to_vkey(&self) -> String {
        format_key(&self.name, self.id, ALG_COSIGNATURE_V1, self.key.as_bytes())
    }

    /// Verify a cosignature (the bytes after the key id) over a checkpoint
    /// note text and return its timestamp.
    pub fn verify_cosignature(&self, checkpoint_text: &str, signature: &[u8]) -> Result<u64, CosignatureError> {
        let bytes: &[u8; 72] = signature.try_into().map_err(|_| CosignatureError::WrongLength { found: signature.len() })?;
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&bytes[..8]);
        let timestamp = u64::from_be_bytes(ts);
        if timestamp > MAX_TIMESTAMP {
            return Err(CosignatureError::TimestampTooLarge(timestamp));
        }
        let mut sig = [0u8; 64];
        sig.copy_from_slice(&bytes[8..]);
        let sig = ed25519_dalek::Signature::from_bytes(&sig);
        self.key
            .verify_strict(&cosigned_message(checkpoint_text, timestamp), &sig)
            .map_err(|_| CosignatureError::BadSignature)?;
        Ok(timestamp)
    }
}

impl std::fmt::Display for CosignatureVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_vkey())
    }
}

impl Verifier for CosignatureVerifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> KeyId {
        self.id
    }
    fn verify(&self, text: &[u8], signature: &[u8]) -> bool {
        std::str::from_utf8(text).is_ok_and(|t| self.verify_cosignature(t, signature).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::{Note, NoteSigner};

    #[test]
    fn cosignature_alongside_log_signature() {
        let log = NoteSigner::from_seed("example.com/log", [1u8; 32]).unwrap();
        let w = CosignatureSigner::from_seed("witness.example/w", [2u8; 32]).unwrap();
        let cp = Checkpoint::new("example.com/log", 0, crate::hash::EMPTY_ROOT).unwrap();
        let mut note = Note::parse(&cp.sign(&log).unwrap()).unwrap();
        note.signatures.push(w.cosign(&note.text, 1234).unwrap());
        let msg = note.to_text();
        let wv = w.verifier();
        let lv = log.verifier();
        let opened = crate::note::open(&msg, &[&lv, &wv]).unwrap();
        assert_eq!(opened.verified.len(), 2);
        // Same name, same key, but the 0x01 key id: a different key, ignored.
        assert_ne!(wv.key_id(), key_id("witness.example/w", 0x01, wv.key.as_bytes()));
        assert_eq!(CosignatureVerifier::parse(&wv.to_vkey()).unwrap(), wv);
        // A cosigner key string is refused as a log key and vice versa.
        assert!(crate::note::NoteVerifier::parse(&wv.to_vkey()).is_err());
        assert!(CosignatureVerifier::parse(&lv.to_vkey()).is_err());
    }
}
