//! C2SP signed notes (c2sp.org/signed-note): text signed by one or more keys.
//!
//! # Overview
//!
//! A signed note is UTF-8 text ending in a newline, a blank line, then one or
//! more signature lines `— <key name> <base64(key id ‖ signature)>`. The text
//! covered by the signatures includes its final newline but not the blank
//! line. A key is known to a verifier by its *name* and 4-byte *key id*, the
//! first four bytes of `SHA-256(name ‖ 0x0A ‖ type byte ‖ public key)`.
//!
//! Keys travel as strings in the formats of Go's `golang.org/x/mod/sumdb/note`:
//!
//! - verifier key: `<name>+<hex key id>+<base64(0x01 ‖ Ed25519 public key)>`
//! - signer key:   `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 ‖ Ed25519 seed)>`
//!
//! Verification follows the specification's rules: signatures from unknown
//! keys are ignored; a signature from a known key that fails to verify rejects
//! the whole note ([`NoteError::BadSignature`]); a note with no verified
//! signature from a known key is rejected ([`NoteError::NoKnownSignature`]),
//! which keeps "we do not know this signer" apart from "this was forged".
//!
//! Limits: the specification asks verifiers to cap the number of signatures
//! (accepting at least 16). We accept up to [`MAX_SIGNATURES`] (Go's limit)
//! and notes up to [`MAX_NOTE_BYTES`] (our own defensive cap).
//!
//! ```
//! use pacta_ledger::note::{open, sign, NoteSigner, Verifier};
//!
//! let signer = NoteSigner::from_seed("example.com/log", [7u8; 32]).unwrap();
//! let verifier = signer.verifier();
//! let signed = sign("hello\n", &[&signer]).unwrap();
//! let verified = open(&signed, &[&verifier as &dyn Verifier]).unwrap();
//! assert_eq!(verified.note.text, "hello\n");
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};

use crate::hash::sha256;

/// A 4-byte key identifier, big-endian on the wire.
pub type KeyId = u32;

/// Signature type byte for plain Ed25519 note signatures.
pub const ALG_ED25519: u8 = 0x01;
/// Most signature lines accepted in one note (Go's `sumdb/note` uses 100;
/// the specification requires at least 16).
pub const MAX_SIGNATURES: usize = 100;
/// Largest note accepted, in bytes: a defensive bound on work and memory.
pub const MAX_NOTE_BYTES: usize = 1 << 20;

/// The prefix of every signature line: U+2014 EM DASH and a space.
const SIG_PREFIX: &str = "\u{2014} ";
const PRIVATE_KEY_PREFIX: &str = "PRIVATE+KEY+";

/// Why a key string or key material was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key name {0:?} is invalid: it must be non-empty and contain no spaces or '+'")]
    InvalidName(String),
    #[error("key string is malformed: {0}")]
    Malformed(&'static str),
    #[error("key id field {0:?} is not 8 hexadecimal digits")]
    BadKeyId(String),
    #[error("key material is not valid base64")]
    BadBase64,
    #[error("signature type 0x{found:02x} where 0x{expected:02x} was expected")]
    WrongAlgorithm { expected: u8, found: u8 },
    #[error("key material has {found} bytes; expected {expected}")]
    WrongKeyLength { expected: usize, found: usize },
    #[error("not a valid Ed25519 public key")]
    InvalidPublicKey,
    #[error("key {name}: stated key id {stated:08x} but the key hashes to {computed:08x}")]
    KeyIdMismatch { name: String, stated: KeyId, computed: KeyId },
}

/// Why a note could not be parsed, signed or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("note is {size} bytes; the limit is {max}")]
    TooLarge { size: usize, max: usize },
    #[error("note is not valid UTF-8")]
    NotUtf8,
    #[error("note contains control character 0x{byte:02x} at byte {offset}")]
    ControlCharacter { byte: u8, offset: usize },
    #[error("note text must be non-empty and end with a newline")]
    TextNotTerminated,
    #[error("note has no blank line separating text from signatures")]
    MissingSignatures,
    #[error("signature line {line}: {reason}")]
    MalformedSignatureLine { line: usize, reason: &'static str },
    #[error("note has {found} signatures; the limit is {max}")]
    TooManySignatures { found: usize, max: usize },
    #[error("invalid key name: {0}")]
    Key(#[from] KeyError),
    #[error("signature by known key {name}+{key_id:08x} does not verify")]
    BadSignature { name: String, key_id: KeyId },
    #[error("no signature from a known key; note signed by: {}", .signers.join(", "))]
    NoKnownSignature { signers: Vec<String> },
    #[error("signer {name} failed: {reason}")]
    SignerFailed { name: String, reason: String },
}

/// Key id of a key: the first four bytes, big-endian, of
/// `SHA-256(name ‖ 0x0A ‖ alg ‖ public key)`.
pub fn key_id(name: &str, alg: u8, public_key: &[u8]) -> KeyId {
    let mut buf = Vec::with_capacity(name.len() + 2 + public_key.len());
    buf.extend_from_slice(name.as_bytes());
    buf.push(b'\n');
    buf.push(alg);
    buf.extend_from_slice(public_key);
    let h = sha256(&buf);
    u32::from_be_bytes([h[0], h[1], h[2], h[3]])
}

/// Key names must be non-empty and contain no Unicode space and no `+`
/// (which separates the fields of key strings). We also refuse control
/// characters, which the note format forbids anywhere.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c == '+' || c.is_whitespace() || c.is_control())
}

fn check_name(name: &str) -> Result<(), KeyError> {
    if is_valid_key_name(name) {
        Ok(())
    } else {
        Err(KeyError::InvalidName(name.to_owned()))
    }
}

/// Format `name+hexid+base64(alg ‖ key)`.
pub(crate) fn format_key(name: &str, id: KeyId, alg: u8, key: &[u8]) -> String {
    let mut material = Vec::with_capacity(1 + key.len());
    material.push(alg);
    material.extend_from_slice(key);
    format!("{name}+{id:08x}+{}", BASE64.encode(material))
}

/// Split `name+hexid+base64(alg ‖ key)`, checking the type byte and key
/// length but not yet the key id (which needs the public key).
pub(crate) fn parse_key(s: &str, alg: u8, key_len: usize) -> Result<(String, KeyId, Vec<u8>), KeyError> {
    let mut parts = s.splitn(3, '+');
    let (Some(name), Some(id_hex), Some(material)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(KeyError::Malformed("expected name+keyid+key"));
    };
    check_name(name)?;
    if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(KeyError::BadKeyId(id_hex.to_owned()));
    }
    let id = u32::from_str_radix(id_hex, 16).map_err(|_| KeyError::BadKeyId(id_hex.to_owned()))?;
    let bytes = BASE64.decode(material).map_err(|_| KeyError::BadBase64)?;
    let Some((&found, key)) = bytes.split_first() else {
        return Err(KeyError::WrongKeyLength { expected: key_len, found: 0 });
    };
    if found != alg {
        return Err(KeyError::WrongAlgorithm { expected: alg, found });
    }
    if key.len() != key_len {
        return Err(KeyError::WrongKeyLength { expected: key_len, found: key.len() });
    }
    Ok((name.to_owned(), id, key.to_vec()))
}

pub(crate) fn verifying_key(bytes: &[u8]) -> Result<VerifyingKey, KeyError> {
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| KeyError::WrongKeyLength { expected: 32, found: bytes.len() })?;
    VerifyingKey::from_bytes(&arr).map_err(|_| KeyError::InvalidPublicKey)
}

/// Anything that can check one signature line of a note: a log's note key,
/// or a witness's cosignature key.
pub trait Verifier {
    /// The key name the signature line must carry.
    fn name(&self) -> &str;
    /// The key id the signature must start with.
    fn key_id(&self) -> KeyId;
    /// Whether `signature` (the bytes after the key id) is valid over `text`.
    fn verify(&self, text: &[u8], signature: &[u8]) -> bool;
}

/// An Ed25519 note verifier (signature type 0x01).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    id: KeyId,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// A verifier for `name` and an Ed25519 public key.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, KeyError> {
        check_name(name)?;
        let id = key_id(name, ALG_ED25519, key.as_bytes());
        Ok(Self { name: name.to_owned(), id, key })
    }

    /// Parse a verifier key string `name+hexid+base64(0x01 ‖ key)`, checking
    /// that the stated key id matches the key.
    pub fn parse(vkey: &str) -> Result<Self, KeyError> {
        let (name, stated, key) = parse_key(vkey, ALG_ED25519, 32)?;
        let key = verifying_key(&key)?;
        let v = Self::new(&name, key)?;
        if v.id != stated {
            return Err(KeyError::KeyIdMismatch { name, stated, computed: v.id });
        }
        Ok(v)
    }

    /// The verifier key string.
    pub fn to_vkey(&self) -> String {
        format_key(&self.name, self.id, ALG_ED25519, self.key.as_bytes())
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.key
    }
}

impl std::fmt::Display for NoteVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_vkey())
    }
}

impl Verifier for NoteVerifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> KeyId {
        self.id
    }
    fn verify(&self, text: &[u8], signature: &[u8]) -> bool {
        let Ok(sig) = <[u8; 64]>::try_from(signature) else {
            return false;
        };
        let sig = ed25519_dalek::Signature::from_bytes(&sig);
        self.key.verify_strict(text, &sig).is_ok()
    }
}

/// An Ed25519 note signer. Its `Debug` output omits the private key.
#[derive(Clone)]
pub struct NoteSigner {
    name: String,
    id: KeyId,
    key: SigningKey,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoteSigner").field("name", &self.name).field("key_id", &format_args!("{:08x}", self.id)).finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// A signer for `name` with the given Ed25519 key.
    pub fn new(name: &str, key: SigningKey) -> Result<Self, KeyError> {
        check_name(name)?;
        let id = key_id(name, ALG_ED25519, key.verifying_key().as_bytes());
        Ok(Self { name: name.to_owned(), id, key })
    }

    /// A signer from a 32-byte Ed25519 seed (the private key of RFC 8032).
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, KeyError> {
        Self::new(name, SigningKey::from_bytes(&seed))
    }

    /// A signer with a fresh key from the operating system's generator.
    pub fn generate(name: &str) -> Result<Self, KeyError> {
        Self::new(name, SigningKey::generate(&mut rand::rng()))
    }

    /// Parse `PRIVATE+KEY+name+hexid+base64(0x01 ‖ seed)`, checking the key id.
    pub fn parse_private_key(s: &str) -> Result<Self, KeyError> {
        let rest = s
            .strip_prefix(PRIVATE_KEY_PREFIX)
            .ok_or(KeyError::Malformed("signer key must start with PRIVATE+KEY+"))?;
        let (name, stated, seed) = parse_key(rest, ALG_ED25519, 32)?;
        let mut arr = [0u8; 32];
        arr.copy_from_slice(&seed);
        let signer = Self::from_seed(&name, arr)?;
        if signer.id != stated {
            return Err(KeyError::KeyIdMismatch { name, stated, computed: signer.id });
        }
        Ok(signer)
    }

    /// The signer key string. It contains the private key: store it as a secret.
    pub fn to_private_key(&self) -> String {
        format!("{PRIVATE_KEY_PREFIX}{}", format_key(&self.name, self.id, ALG_ED25519, &self.key.to_bytes()))
    }

    /// The matching verifier.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier { name: self.name.clone(), id: self.id, key: self.key.verifying_key() }
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn key_id(&self) -> KeyId {
        self.id
    }

    /// The signature line for `text` (which should be a complete note text).
    pub fn sign_text(&self, text: &str) -> NoteSignature {
        let sig = self.key.sign(text.as_bytes());
        NoteSignature { name: self.name.clone(), key_id: self.id, signature: sig.to_bytes().to_vec() }
    }
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name on the line.
    pub name: String,
    /// Key id: the first four bytes of the decoded signature.
    pub key_id: KeyId,
    /// The remaining bytes: the algorithm-specific signature.
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The line `— name base64(key id ‖ signature)` with its final newline.
    pub fn to_line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.signature.len());
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&self.signature);
        format!("{SIG_PREFIX}{} {}\n", self.name, BASE64.encode(raw))
    }

    fn parse_line(line: &str, number: usize) -> Result<Self, NoteError> {
        let bad = |reason| NoteError::MalformedSignatureLine { line: number, reason };
        let rest = line.strip_prefix(SIG_PREFIX).ok_or(bad("does not start with an em dash and a space"))?;
        let (name, b64) = rest.split_once(' ').ok_or(bad("missing space between key name and signature"))?;
        if !is_valid_key_name(name) {
            return Err(bad("invalid key name"));
        }
        let raw = BASE64.decode(b64).map_err(|_| bad("signature is not valid base64"))?;
        if raw.len() < 5 {
            return Err(bad("signature is shorter than a key id plus one byte"));
        }
        Ok(Self {
            name: name.to_owned(),
            key_id: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
            signature: raw[4..].to_vec(),
        })
    }
}

/// A parsed (not yet verified) signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The signed text, including its final newline.
    pub text: String,
    /// The signature lines, in order.
    pub signatures: Vec<NoteSignature>,
}

/// A note with the signatures that verified against known keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedNote {
    /// The whole note as parsed.
    pub note: Note,
    /// The signatures that verified, in note order.
    pub verified: Vec<NoteSignature>,
}

fn check_bytes(msg: &[u8]) -> Result<(), NoteError> {
    if msg.len() > MAX_NOTE_BYTES {
        return Err(NoteError::TooLarge { size: msg.len(), max: MAX_NOTE_BYTES });
    }
    if let Some(offset) = msg.iter().position(|&b| b < 0x20 && b != b'\n') {
        return Err(NoteError::ControlCharacter { byte: msg[offset], offset });
    }
    Ok(())
}

/// Check that `text` can be the text of a note: non-empty, newline
/// terminated, within the size limit, free of control characters.
pub fn check_text(text: &str) -> Result<(), NoteError> {
    check_bytes(text.as_bytes())?;
    if !text.ends_with('\n') {
        return Err(NoteError::TextNotTerminated);
    }
    Ok(())
}

impl Note {
    /// Parse a signed note without verifying it.
    pub fn parse(msg: &str) -> Result<Self, NoteError> {
        check_bytes(msg.as_bytes())?;
        // The text ends at the last blank line; it keeps its own final newline.
        let split = msg.rfind("\n\n").ok_or(NoteError::MissingSignatures)?;
        let text = &msg[..split + 1];
        let block = &msg[split + 2..];
        if block.is_empty() || !block.ends_with('\n') {
            return Err(NoteError::MissingSignatures);
        }
        let lines: Vec<&str> = block[..block.len() - 1].split('\n').collect();
        if lines.len() > MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures { found: lines.len(), max: MAX_SIGNATURES });
        }
        let signatures = lines
            .iter()
            .enumerate()
            .map(|(i, line)| NoteSignature::parse_line(line, i + 1))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { text: text.to_owned(), signatures })
    }

    /// Parse a signed note given as bytes, which must be UTF-8.
    pub fn parse_bytes(msg: &[u8]) -> Result<Self, NoteError> {
        if msg.len() > MAX_NOTE_BYTES {
            return Err(NoteError::TooLarge { size: msg.len(), max: MAX_NOTE_BYTES });
        }
        Self::parse(std::str::from_utf8(msg).map_err(|_| NoteError::NotUtf8)?)
    }

    /// The note in its wire form.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 1 + 120 * self.signatures.len());
        out.push_str(&self.text);
        out.push('\n');
        for s in &self.signatures {
            out.push_str(&s.to_line());
        }
        out
    }

    /// Verify the signatures against `verifiers` (see the module docs for
    /// the rules) and return the ones that verified.
    pub fn verify(&self, verifiers: &[&dyn Verifier]) -> Result<Vec<NoteSignature>, NoteError> {
        let mut verified = Vec::new();
        for sig in &self.signatures {
            // A known key matches on both name and id; a match on only one of
            // them is a different key and is ignored, as the spec requires.
            let known = verifiers.iter().find(|v| v.name() == sig.name && v.key_id() == sig.key_id);
            if let Some(v) = known {
                if !v.verify(self.text.as_bytes(), &sig.signature) {
                    return Err(NoteError::BadSignature { name: sig.name.clone(), key_id: sig.key_id });
                }
                verified.push(sig.clone());
            }
        }
        if verified.is_empty() {
            let signers = self.signatures.iter().map(|s| format!("{}+{:08x}", s.name, s.key_id)).collect();
            return Err(NoteError::NoKnownSignature { signers });
        }
        Ok(verified)
    }
}

/// Parse a signed note and verify it against `verifiers`.
pub fn open(msg: &str, verifiers: &[&dyn Verifier]) -> Result<VerifiedNote, NoteError> {
    let note = Note::parse(msg)?;
    let verified = note.verify(verifiers)?;
    Ok(VerifiedNote { note, verified })
}

/// Sign `text` with each signer and return the signed note.
pub fn sign(text: &str, signers: &[&NoteSigner]) -> Result<String, NoteError> {
    check_text(text)?;
    if signers.is_empty() {
        return Err(NoteError::MissingSignatures);
    }
    if signers.len() > MAX_SIGNATURES {
        return Err(NoteError::TooManySignatures { found: signers.len(), max: MAX_SIGNATURES });
    }
    let note = Note { text: text.to_owned(), signatures: signers.iter().map(|s| s.sign_text(text)).collect() };
    let out = note.to_text();
    if out.len() > MAX_NOTE_BYTES {
        return Err(NoteError::TooLarge { size: out.len(), max: MAX_NOTE_BYTES });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_sumdb_example_key_ids() {
        // The key id is independent of any signature: recompute the one in
        // the tessera test vector's verifier key from its own material.
        let v = NoteVerifier::parse("example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx").unwrap();
        assert_eq!(v.key_id(), 0x33d7b496);
    }

    #[test]
    fn private_key_round_trip() {
        let s = NoteSigner::from_seed("example.com/a", [1u8; 32]).unwrap();
        let text = s.to_private_key();
        assert!(text.starts_with("PRIVATE+KEY+example.com/a+"));
        let back = NoteSigner::parse_private_key(&text).unwrap();
        assert_eq!(back.verifier(), s.verifier());
        assert!(!format!("{s:?}").contains(&text[30..]));
    }
}
