//! Evidence under a chain of custody, and the analyses run over it.
//!
//! # Overview
//!
//! An artefact's bytes live in the vault ([`pacta_vault::Vault`]) under their SHA-256; the
//! registry keeps everything else, and logs all of it:
//!
//! | change | write path | log entry kind |
//! |---|---|---|
//! | a party registers a verifier key | [`Store::register_party_key`] | `party.key_registered` |
//! | an artefact is received | [`Store::add_evidence`] | `evidence.received` |
//! | custody passes to another party | [`Store::transfer_evidence`] | `evidence.transferred` |
//! | a working copy is made | [`Store::copy_evidence`] | `evidence.copied` (on the original) and `evidence.received` (the copy) |
//! | an analysis is recorded | [`Store::record_analysis`] | `analysis.run`, `evidence.analysed` per input, `evidence.received` per output |
//! | the artefact is released | [`Store::release_evidence`] | `evidence.released` |
//!
//! Every custody event is a [`CustodyStatement`]: canonical JSON naming the artefact, its
//! hash, the event, who signs, from and to whom, the time and the hash of the previous
//! event (`prior`), so an artefact's events form a hash chain. The statement is signed, as a
//! C2SP signed note with the header line `pacta.custody/v1`, by the acting party's Ed25519
//! key, which must have been registered first. Analysis runs are signed the same way
//! (`pacta.analysis/v1`). [`Store::verify_evidence`] re-checks all of it: the blob's hash,
//! every signature against the registered keys, the chain, and that each event's log entry
//! holds exactly what the database holds.
//!
//! Invariants:
//! - **Blob before record.** A caller puts the bytes in the vault (durable on return) and
//!   only then records them; the write path refuses a record whose blob is not in place.
//!   A crash in between leaves an orphan blob, never a record without its bytes.
//! - **Originals are never replaced.** A working copy and an analysis output are new
//!   artefacts with their own chains; an original's hash and chain are never rewritten.
//! - **Only the custodian acts.** Transfers, copies, analyses and releases are refused
//!   unless the acting party holds the artefact and signs with its registered key; a
//!   refusal writes nothing.
//! - **Verification never panics.** Garbage in any stored column is reported as a
//!   [`Problem`] naming the event and the rule it breaks.

use crate::log::LogAppender;
use crate::write::canonical_json;
use crate::{Store, StoreError, on_pool, write_tx};
use pacta_core::{IncidentId, Invalid, Party, PartyId, PartyKind, Tlp};
use pacta_ledger::note::{NoteSigner, NoteVerifier, Verifier};
use pacta_vault::run::{Input, RunError};
use pacta_vault::{BlobHash, Vault, VaultError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::fmt;
use std::path::Path;
use uuid::Uuid;

/// The first line of every signed custody statement: a signature over a statement can
/// never be mistaken for a signature over a checkpoint or anything else the key signs.
pub const CUSTODY_HEADER: &str = "pacta.custody/v1";
/// The first line of every signed analysis-run statement.
pub const ANALYSIS_HEADER: &str = "pacta.analysis/v1";

/// Ids of artefacts and runs are domain identifiers, defined with the others in pacta-core.
pub use pacta_core::ids::{EvidenceId, RunId};

/// What happened to an artefact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CustodyKind {
    /// The artefact entered the registry (an original, a copy, or an analysis output).
    Received,
    /// Custody passed from one party to another.
    Transferred,
    /// A working copy was made (the copy is a new artefact; this one is unchanged).
    Copied,
    /// The artefact was the input of an analysis run.
    Analysed,
    /// The artefact left custody; no further event is accepted.
    Released,
}

impl CustodyKind {
    pub fn label(self) -> &'static str {
        match self {
            CustodyKind::Received => "received",
            CustodyKind::Transferred => "transferred",
            CustodyKind::Copied => "copied",
            CustodyKind::Analysed => "analysed",
            CustodyKind::Released => "released",
        }
    }

    /// The kind of the event's log entry.
    pub fn log_kind(self) -> &'static str {
        match self {
            CustodyKind::Received => "evidence.received",
            CustodyKind::Transferred => "evidence.transferred",
            CustodyKind::Copied => "evidence.copied",
            CustodyKind::Analysed => "evidence.analysed",
            CustodyKind::Released => "evidence.released",
        }
    }
}

impl fmt::Display for CustodyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A new artefact, whose bytes are already in the vault.
#[derive(Clone, Debug)]
pub struct NewEvidence {
    pub sha256: BlobHash,
    pub size: u64,
    /// What the artefact is called (its original file name, say).
    pub name: String,
    pub description: String,
    pub media_type: Option<String>,
    pub tlp: Tlp,
    /// An incident id or `DATASET:RECORD_ID`.
    pub incident: Option<String>,
    /// The registered party it was received from, if any.
    pub received_from: Option<PartyId>,
}

/// An artefact as the registry holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub id: EvidenceId,
    #[serde(serialize_with = "ser_hash")]
    pub sha256: BlobHash,
    pub size: u64,
    pub name: String,
    pub description: String,
    pub media_type: Option<String>,
    pub tlp: Tlp,
    pub incident: Option<IncidentId>,
    /// Set on a working copy: the artefact it copies.
    pub copy_of: Option<EvidenceId>,
    /// Set on an analysis output: the run that produced it.
    pub produced_by: Option<RunId>,
    /// Who holds it now (after a release: who it was released to, or the last holder).
    pub custodian: PartyId,
    pub released: bool,
    /// Events so far (the chain's length).
    pub events: u64,
    /// The index of the log entry that registered it.
    pub log_index: u64,
}

fn ser_hash<S: serde::Serializer>(h: &BlobHash, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&h.to_hex())
}

/// The immutable description of an artefact, logged with its `received` event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct EvidenceMeta {
    id: EvidenceId,
    sha256: String,
    size: u64,
    name: String,
    description: String,
    media_type: Option<String>,
    tlp: Tlp,
    incident: Option<IncidentId>,
    copy_of: Option<EvidenceId>,
    produced_by: Option<RunId>,
}

/// What a custodian signs for one custody event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyStatement {
    pub evidence: EvidenceId,
    /// Position in the artefact's chain, from 0.
    pub seq: u64,
    pub kind: CustodyKind,
    /// The artefact's SHA-256: the signer attests to these bytes.
    pub sha256: String,
    /// The acting party, whose key signs.
    pub signer: PartyId,
    pub from: Option<PartyId>,
    pub to: Option<PartyId>,
    /// SHA-256 of the previous event's statement; `None` only at seq 0.
    pub prior: Option<String>,
    /// UTC, RFC 3339.
    pub time: String,
    /// On a copy's `received` event: the artefact copied.
    pub copy_of: Option<EvidenceId>,
    /// On a `copied` event: the new working copy.
    pub copy: Option<EvidenceId>,
    /// On an `analysed` event (the input) or an output's `received` event: the run.
    pub run: Option<RunId>,
    pub note: String,
}

/// A custody event as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustodyEvent {
    pub statement: CustodyStatement,
    /// SHA-256 (hex) of the statement's canonical JSON: what the next event's `prior` names.
    pub hash: String,
    /// The signed-note signature line.
    pub signature: String,
    /// The verifier key it was signed with.
    pub vkey: String,
    pub log_index: u64,
}

/// One input of a recorded run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInput {
    pub evidence: EvidenceId,
    pub sha256: String,
    pub name: String,
}

/// One output of a recorded run, stored as a new artefact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOutput {
    pub name: String,
    pub sha256: String,
    pub size: u64,
    pub evidence: EvidenceId,
}

/// What an analyst signs for one analysis run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisStatement {
    pub run: RunId,
    pub analyst: PartyId,
    pub tool: String,
    pub version: String,
    /// The command as argv, with `{in:N}` and `{out:NAME}` placeholders.
    pub argv: Vec<String>,
    pub inputs: Vec<RunInput>,
    pub outputs: Vec<RunOutput>,
    pub time: String,
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AnalysisRun {
    pub statement: AnalysisStatement,
    pub hash: String,
    pub signature: String,
    pub vkey: String,
    pub log_index: u64,
}

/// An analysis to record: the tool ran over `inputs` and wrote `outputs`, which are
/// already in the vault.
#[derive(Clone, Debug)]
pub struct NewAnalysis {
    pub tool: String,
    pub version: String,
    pub argv: Vec<String>,
    pub inputs: Vec<EvidenceId>,
    /// (name as in `{out:NAME}`, hash, size).
    pub outputs: Vec<(String, BlobHash, u64)>,
    pub note: String,
}

/// What [`Store::register_party_key`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRegistration {
    /// False when the key was already registered to the party (nothing was written).
    pub new: bool,
    pub log_index: Option<u64>,
}

/// One thing verification found wrong. Each names what it is about and the rule broken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The blob's bytes hash to something else.
    BlobTampered {
        expected: BlobHash,
        found: BlobHash,
    },
    BlobMissing {
        hash: BlobHash,
    },
    /// The stored hash is not a hash, or the blob cannot be read.
    Blob {
        detail: String,
    },
    /// Something about one custody event (or the run statement when `seq` is `None`).
    Event {
        seq: Option<u64>,
        rule: String,
    },
    /// The event's log entry is absent or says something else.
    LogEntry {
        seq: Option<u64>,
        index: u64,
        rule: String,
    },
    /// The artefact's own row.
    Record {
        rule: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let which = |seq: &Option<u64>| {
            seq.map(|s| format!("event {s}"))
                .unwrap_or_else(|| "run statement".into())
        };
        match self {
            Problem::BlobTampered { expected, found } => write!(
                f,
                "blob {expected} has been altered: its bytes hash to {found}"
            ),
            Problem::BlobMissing { hash } => write!(f, "blob {hash} is missing from the vault"),
            Problem::Blob { detail } => write!(f, "blob: {detail}"),
            Problem::Event { seq, rule } => write!(f, "{}: {rule}", which(seq)),
            Problem::LogEntry { seq, index, rule } => {
                write!(f, "{}: log entry {index} {rule}", which(seq))
            }
            Problem::Record { rule } => write!(f, "record: {rule}"),
        }
    }
}

/// The outcome of verifying one artefact or one run.
#[derive(Clone, Debug)]
pub struct VerifyReport {
    /// `evidence <id>` or `run <id>`.
    pub subject: String,
    pub events_checked: u64,
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One output compared on a re-run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputCheck {
    pub name: String,
    pub expected: String,
    /// The hash the re-run produced.
    pub found: String,
}

impl OutputCheck {
    pub fn matches(&self) -> bool {
        self.expected == self.found
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RerunError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Run(#[from] RunError),
    #[error("the analysis task failed: {0}")]
    Task(String),
}

impl From<VaultError> for RerunError {
    fn from(e: VaultError) -> Self {
        RerunError::Run(RunError::Vault(e))
    }
}

// ---------------------------------------------------------------------------------------
// Pure helpers: statements, signatures, records.

fn refuse(field: &str, value: impl fmt::Display, rule: impl Into<String>) -> StoreError {
    StoreError::Invalid(Invalid::new(field, value, rule))
}

fn corrupt(what: impl Into<String>, e: impl fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what: what.into(),
        detail: e.to_string(),
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// The text a statement's signature covers: a signed-note text, header line first.
fn signed_text(header: &str, body: &str) -> String {
    format!("{header}\n{body}\n")
}

/// Signs `body` as a note and returns the signature line.
fn sign(signer: &NoteSigner, header: &str, body: &str) -> String {
    signer.sign_text(&signed_text(header, body)).to_line()
}

/// Whether `signature` (a note signature line) is a valid signature by `vkey` over `body`.
/// Never panics: garbage keys and lines are reasons.
fn check_signature(vkey: &str, header: &str, body: &str, signature: &str) -> Result<(), String> {
    let verifier =
        NoteVerifier::parse(vkey).map_err(|e| format!("its key {vkey:?} is unusable: {e}"))?;
    let line = if signature.ends_with('\n') {
        signature.to_string()
    } else {
        format!("{signature}\n")
    };
    let note = format!("{}\n{line}", signed_text(header, body));
    pacta_ledger::note::open(&note, &[&verifier as &dyn Verifier])
        .map(|_| ())
        .map_err(|e| format!("signature does not verify with {vkey}: {e}"))
}

/// Whether `m` is a media type, `type/subtype` with optional `; parameters` (RFC 6838,
/// section 4.2: each name 1 to 127 of its restricted characters).
fn is_media_type(m: &str) -> bool {
    let name = |s: &str| (1..=127).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b));
    let essence = m.split(';').next().unwrap_or_default().trim();
    essence.split_once('/').is_some_and(|(t, sub)| name(t) && name(sub))
}

fn validate_text(field: &str, s: &str, max: usize, required: bool) -> Result<(), StoreError> {
    if required && s.trim().is_empty() {
        return Err(refuse(field, s, "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(refuse(
            field,
            s,
            format!("must be at most {max} characters"),
        ));
    }
    if s.chars().any(|c| c.is_control() && c != '\n') {
        return Err(refuse(field, s, "must not contain control characters"));
    }
    Ok(())
}

/// The log record of a custody event: the statement, its hash, signature and key, and for
/// a `received` event the artefact's metadata.
fn event_record(
    body: &str,
    hash: &str,
    signature: &str,
    vkey: &str,
    meta: Option<&str>,
) -> Result<String, String> {
    let event: Value =
        serde_json::from_str(body).map_err(|e| format!("statement is not JSON: {e}"))?;
    // Keys in sorted order, as every logged record is (RFC 8785): a third party holding the
    // record of an AMBER artefact must be able to reproduce the logged commitment to it.
    // (serde_json keeps insertion order in this build, so the order is written out here.)
    let record = match meta {
        Some(meta) => {
            let evidence: Value = serde_json::from_str(meta).map_err(|e| format!("metadata is not JSON: {e}"))?;
            json!({ "event": event, "evidence": evidence, "hash": hash, "signature": signature, "vkey": vkey })
        }
        None => json!({ "event": event, "hash": hash, "signature": signature, "vkey": vkey }),
    };
    Ok(record.to_string())
}

/// The record of a first custody event as logged before it was written in sorted order
/// (the artefact's metadata last). Entries already in a log keep that form; verification
/// accepts it for them.
fn legacy_received_record(body: &str, hash: &str, signature: &str, vkey: &str, meta: &str) -> Result<String, String> {
    let event: Value = serde_json::from_str(body).map_err(|e| format!("statement is not JSON: {e}"))?;
    let mut record = json!({ "event": event, "hash": hash, "signature": signature, "vkey": vkey });
    record["evidence"] = serde_json::from_str(meta).map_err(|e| format!("metadata is not JSON: {e}"))?;
    Ok(record.to_string())
}

fn run_record(body: &str, hash: &str, signature: &str, vkey: &str) -> Result<String, String> {
    let run: Value =
        serde_json::from_str(body).map_err(|e| format!("statement is not JSON: {e}"))?;
    Ok(json!({ "hash": hash, "run": run, "signature": signature, "vkey": vkey }).to_string())
}

/// A statement signed and ready to insert.
struct Signed {
    body: String,
    hash: String,
    signature: String,
}

fn sign_statement<T: Serialize>(
    signer: &NoteSigner,
    header: &str,
    statement: &T,
) -> Result<Signed, StoreError> {
    let body = canonical_json(statement)?;
    let hash = sha256_hex(&body);
    let signature = sign(signer, header, &body);
    Ok(Signed {
        body,
        hash,
        signature,
    })
}

/// A party row for a handle seen for the first time (a key registration).
pub(crate) fn party_for(id: &PartyId) -> Party {
    if let Some(code) = id.state() {
        return Party::state(code);
    }
    let (kind, name) = id.as_str().split_once(':').unwrap_or(("org", id.as_str()));
    let kind = if kind == "verifier" {
        PartyKind::Verifier
    } else {
        PartyKind::Organisation
    };
    Party {
        id: id.clone(),
        kind,
        name: name.to_string(),
        state: None,
    }
}

// ---------------------------------------------------------------------------------------
// Rows.

/// The columns of `evidence`, as read.
pub(crate) struct EvidenceRow {
    pub(crate) evidence: Evidence,
    meta: String,
    head_hash: String,
}

/// An `evidence` row's columns as stored, before they are checked. Both readers fill it
/// by column name with [`evidence_columns!`]: sqlx here, and the direct reader on SQLite
/// (`direct.rs`), so the two read the same columns the same way.
pub(crate) struct EvidenceColumns {
    pub(crate) id: String,
    pub(crate) sha256: String,
    pub(crate) size: i64,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) media_type: Option<String>,
    pub(crate) tlp: String,
    pub(crate) incident_id: Option<String>,
    pub(crate) copy_of: Option<String>,
    pub(crate) produced_by: Option<String>,
    pub(crate) meta: String,
    pub(crate) custodian: String,
    pub(crate) released: i64,
    pub(crate) head_seq: i64,
    pub(crate) head_hash: String,
    pub(crate) log_index: i64,
}

/// [`EvidenceColumns`] from `$row` by calling `$row.$get(name)?` for each of
/// [`EVIDENCE_COLUMNS`]: `try_get` on a sqlx row, `get` on a rusqlite one.
macro_rules! evidence_columns {
    ($row:ident . $get:ident) => {
        $crate::evidence::EvidenceColumns {
            id: $row.$get("id")?,
            sha256: $row.$get("sha256")?,
            size: $row.$get("size")?,
            name: $row.$get("name")?,
            description: $row.$get("description")?,
            media_type: $row.$get("media_type")?,
            tlp: $row.$get("tlp")?,
            incident_id: $row.$get("incident_id")?,
            copy_of: $row.$get("copy_of")?,
            produced_by: $row.$get("produced_by")?,
            meta: $row.$get("meta")?,
            custodian: $row.$get("custodian")?,
            released: $row.$get("released")?,
            head_seq: $row.$get("head_seq")?,
            head_hash: $row.$get("head_hash")?,
            log_index: $row.$get("log_index")?,
        }
    };
}
pub(crate) use evidence_columns;

impl EvidenceColumns {
    /// Checks the columns: a value that does not parse is a corrupt row, named by its id.
    pub(crate) fn parse(self) -> Result<EvidenceRow, StoreError> {
        let what = format!("evidence {}", self.id);
        let bad = |e: &dyn fmt::Display| corrupt(what.clone(), e);
        let opt_uuid = |s: Option<String>| -> Result<Option<Uuid>, StoreError> {
            s.map(|s| Uuid::parse_str(&s).map_err(|e| bad(&e)))
                .transpose()
        };
        let evidence = Evidence {
            id: EvidenceId::parse(&self.id).map_err(|e| bad(&e))?,
            sha256: BlobHash::parse(&self.sha256).map_err(|e| bad(&e))?,
            size: self.size as u64,
            name: self.name,
            description: self.description,
            media_type: self.media_type,
            tlp: Tlp::parse("tlp", &self.tlp).map_err(|e| bad(&e))?,
            incident: opt_uuid(self.incident_id)?.map(IncidentId),
            copy_of: opt_uuid(self.copy_of)?.map(EvidenceId),
            produced_by: opt_uuid(self.produced_by)?.map(RunId),
            custodian: PartyId::parse("custodian", &self.custodian)
                .map_err(|e| bad(&e))?,
            released: self.released != 0,
            events: self.head_seq as u64 + 1,
            log_index: self.log_index as u64,
        };
        Ok(EvidenceRow {
            evidence,
            meta: self.meta,
            head_hash: self.head_hash,
        })
    }
}

fn evidence_from_row<R: Row>(row: &R) -> Result<EvidenceRow, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    evidence_columns!(row.try_get).parse()
}

pub(crate) const EVIDENCE_COLUMNS: &str = "id, sha256, size, name, description, media_type, tlp, incident_id, copy_of, produced_by, meta, custodian, released, head_seq, head_hash, log_index";

/// A custody event row exactly as stored (verification reads these, not parsed values).
struct RawEvent {
    seq: i64,
    kind: String,
    hash: String,
    body: String,
    signature: String,
    vkey: String,
    log_index: i64,
}

fn raw_event_from_row<R: Row>(row: &R) -> Result<RawEvent, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(RawEvent {
        seq: row.try_get("seq")?,
        kind: row.try_get("kind")?,
        hash: row.try_get("hash")?,
        body: row.try_get("body")?,
        signature: row.try_get("signature")?,
        vkey: row.try_get("vkey")?,
        log_index: row.try_get("log_index")?,
    })
}

/// Inside a write transaction: the artefact's row, or a refusal naming it.
macro_rules! load_evidence {
    ($tx:expr, $id:expr) => {{
        let sql = format!("SELECT {EVIDENCE_COLUMNS} FROM evidence WHERE id = $1");
        match sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind($id.to_string())
            .fetch_optional(&mut *$tx)
            .await?
        {
            Some(row) => evidence_from_row(&row)?,
            None => {
                return Err(refuse(
                    "evidence",
                    $id,
                    "unknown evidence: no artefact has this id",
                ));
            }
        }
    }};
}

/// Inside a write transaction: refuses unless `signer`'s key is registered to `actor`.
macro_rules! check_signer {
    ($tx:expr, $actor:expr, $signer:expr) => {{
        let vkey = $signer.verifier().to_vkey();
        let owner: Option<String> =
            sqlx::query_scalar("SELECT party FROM party_keys WHERE vkey = $1")
                .bind(vkey.clone())
                .fetch_optional(&mut *$tx)
                .await?;
        match owner {
            Some(p) if p == $actor.as_str() => vkey,
            Some(p) => {
                return Err(refuse(
                    "key",
                    &vkey,
                    format!(
                        "is registered to {p}, not to {}: a party signs only with its own key",
                        $actor
                    ),
                ));
            }
            None => {
                return Err(refuse(
                    "key",
                    &vkey,
                    format!(
                        "is not registered to {}: register it first (pacta evidence register-key)",
                        $actor
                    ),
                ));
            }
        }
    }};
}

/// Inside a write transaction: refuses unless `party` has at least one registered key.
macro_rules! check_party_can_sign {
    ($tx:expr, $field:expr, $party:expr) => {{
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM party_keys WHERE party = $1")
            .bind($party.to_string())
            .fetch_one(&mut *$tx)
            .await?;
        if n == 0 {
            return Err(refuse(
                $field,
                $party,
                "unknown party: it has no registered key, so it could not sign for what it holds",
            ));
        }
    }};
}

/// Inside a write transaction: inserts a custody event and pushes its log entry.
macro_rules! insert_event {
    ($tx:expr, $log:expr, $actor:expr, $statement:expr, $signed:expr, $vkey:expr, $meta:expr, $tlp:expr) => {{
        let record = event_record(&$signed.body, &$signed.hash, &$signed.signature, &$vkey, $meta).map_err(|e| corrupt("custody event", e))?;
        let index = $log.push($actor, $statement.kind.log_kind(), &record, $tlp);
        sqlx::query("INSERT INTO custody_events (evidence_id, seq, kind, hash, body, signature, vkey, log_index) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind($statement.evidence.to_string())
            .bind($statement.seq as i64)
            .bind($statement.kind.label())
            .bind($signed.hash.clone())
            .bind($signed.body.clone())
            .bind($signed.signature.clone())
            .bind($vkey.clone())
            .bind(index as i64)
            .execute(&mut *$tx)
            .await?;
        CustodyEvent { statement: $statement.clone(), hash: $signed.hash.clone(), signature: $signed.signature.clone(), vkey: $vkey.clone(), log_index: index }
    }};
}

/// Inside a write transaction: inserts a new artefact row whose chain starts with `genesis`.
macro_rules! insert_evidence {
    ($tx:expr, $meta:expr, $meta_json:expr, $custodian:expr, $genesis_hash:expr, $index:expr) => {{
        sqlx::query("INSERT INTO evidence (id, sha256, size, name, description, media_type, tlp, incident_id, copy_of, produced_by, meta, custodian, released, head_seq, head_hash, log_index) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, 0, $13, $14)")
            .bind($meta.id.to_string())
            .bind($meta.sha256.clone())
            .bind($meta.size as i64)
            .bind($meta.name.clone())
            .bind($meta.description.clone())
            .bind($meta.media_type.clone())
            .bind($meta.tlp.label())
            .bind($meta.incident.map(|i| i.to_string()))
            .bind($meta.copy_of.map(|i| i.to_string()))
            .bind($meta.produced_by.map(|i| i.to_string()))
            .bind($meta_json.clone())
            .bind($custodian.to_string())
            .bind($genesis_hash.clone())
            .bind($index as i64)
            .execute(&mut *$tx)
            .await?;
    }};
}

/// Inside a write transaction: moves an artefact's head after an event.
macro_rules! advance_head {
    ($tx:expr, $id:expr, $event:expr, $custodian:expr, $released:expr) => {{
        sqlx::query("UPDATE evidence SET head_seq = $1, head_hash = $2, custodian = $3, released = $4 WHERE id = $5")
            .bind($event.statement.seq as i64)
            .bind($event.hash.clone())
            .bind($custodian.to_string())
            .bind(i64::from($released))
            .bind($id.to_string())
            .execute(&mut *$tx)
            .await?;
    }};
}

/// Refuses an event on `row` by `actor` unless the actor is the custodian and the artefact
/// has not been released.
fn check_custodian(row: &EvidenceRow, actor: &PartyId, what: &str) -> Result<(), StoreError> {
    let e = &row.evidence;
    if e.released {
        return Err(refuse(
            "evidence",
            e.id,
            format!(
                "was released; a released artefact takes no further custody events (refused: {what})"
            ),
        ));
    }
    if &e.custodian != actor {
        return Err(refuse(
            "--as",
            actor,
            format!(
                "is not the custodian of evidence {} ({} is): only the custodian may {what} it",
                e.id, e.custodian
            ),
        ));
    }
    Ok(())
}

fn next_statement(
    row: &EvidenceRow,
    kind: CustodyKind,
    signer: &PartyId,
    time: &str,
) -> CustodyStatement {
    CustodyStatement {
        evidence: row.evidence.id,
        seq: row.evidence.events,
        kind,
        sha256: row.evidence.sha256.to_hex(),
        signer: signer.clone(),
        from: Some(row.evidence.custodian.clone()),
        to: None,
        prior: Some(row.head_hash.clone()),
        time: time.to_string(),
        copy_of: None,
        copy: None,
        run: None,
        note: String::new(),
    }
}

fn genesis_statement(
    id: EvidenceId,
    sha256: &BlobHash,
    signer: &PartyId,
    from: Option<PartyId>,
    time: &str,
) -> CustodyStatement {
    CustodyStatement {
        evidence: id,
        seq: 0,
        kind: CustodyKind::Received,
        sha256: sha256.to_hex(),
        signer: signer.clone(),
        from,
        to: Some(signer.clone()),
        prior: None,
        time: time.to_string(),
        copy_of: None,
        copy: None,
        run: None,
        note: String::new(),
    }
}

fn check_blob(vault: &Vault, hash: &BlobHash, size: u64) -> Result<(), StoreError> {
    match vault
        .stat(hash)
        .map_err(|e| refuse("sha256", hash, e.to_string()))?
    {
        Some(s) if s == size => Ok(()),
        Some(s) => Err(refuse(
            "size",
            size,
            format!("the blob {hash} in the vault has {s} bytes"),
        )),
        None => Err(refuse(
            "sha256",
            hash,
            "the blob is not in the vault: put the bytes in the vault before recording them",
        )),
    }
}

// ---------------------------------------------------------------------------------------
// Write paths.

impl Store {
    /// Registers `vkey` (a C2SP verifier key, `name+hexid+base64`) as a key of `party`.
    /// Only the party itself may register its keys; a key belongs to one party. The party
    /// is registered too on first sight. Registering the same key again writes nothing.
    pub async fn register_party_key(
        &self,
        actor: &PartyId,
        party: &PartyId,
        vkey: &str,
    ) -> Result<KeyRegistration, StoreError> {
        let verifier = NoteVerifier::parse(vkey.trim())
            .map_err(|e| refuse("vkey", vkey, format!("is not a verifier key: {e}")))?;
        let vkey = verifier.to_vkey();
        if actor != party {
            return Err(refuse(
                "--as",
                actor,
                format!("only {party} may register its own keys"),
            ));
        }
        // A custody signature reads "— NAME KEYHASH": a key named for another party would
        // put that party's name under this party's statements.
        if verifier.name() != party.as_str() {
            return Err(refuse(
                "vkey",
                verifier.name(),
                format!("is the key's name, but it is registered for {party}: a party's key carries its own name (pacta evidence keygen --out FILE {party})"),
            ));
        }
        let backend = self.backend();
        let out = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            let owner: Option<String> = sqlx::query_scalar("SELECT party FROM party_keys WHERE vkey = $1").bind(vkey.clone()).fetch_optional(&mut *tx).await?;
            match owner {
                Some(p) if p == party.as_str() => KeyRegistration { new: false, log_index: None },
                Some(p) => return Err(refuse("vkey", &vkey, format!("is already registered to {p}: a key belongs to one party"))),
                None => {
                    let p = party_for(party);
                    p.validate()?;
                    sqlx::query("INSERT INTO parties (id, kind, name, state) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING")
                        .bind(p.id.to_string()).bind(p.kind.label()).bind(p.name.clone()).bind(p.state.map(|s| s.to_string()))
                        .execute(&mut *tx).await?;
                    let record = json!({ "party": party.as_str(), "vkey": vkey }).to_string();
                    let index = log.push(actor, "party.key_registered", &record, Tlp::Clear);
                    sqlx::query("INSERT INTO party_keys (vkey, party, log_index) VALUES ($1, $2, $3)").bind(vkey.clone()).bind(party.to_string()).bind(index as i64).execute(&mut *tx).await?;
                    log.flush(&mut *tx).await?;
                    KeyRegistration { new: true, log_index: Some(index) }
                }
            }
        });
        Ok(out)
    }

    /// The verifier keys registered to `party`.
    pub async fn party_keys(&self, party: &PartyId) -> Result<Vec<String>, StoreError> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar("SELECT vkey FROM party_keys WHERE party = $1 ORDER BY log_index").bind(party.to_string()).fetch_all(pool).await?)
        })
    }

    /// Records an artefact received by `actor`, whose bytes are already in `vault`. The
    /// first custody event (`received`) is signed by `signer`, a key registered to `actor`.
    pub async fn add_evidence(
        &self,
        vault: &Vault,
        actor: &PartyId,
        signer: &NoteSigner,
        new: NewEvidence,
    ) -> Result<(Evidence, CustodyEvent), StoreError> {
        validate_text("name", &new.name, 200, true)?;
        validate_text("description", &new.description, 4000, false)?;
        if let Some(m) = &new.media_type {
            validate_text("media_type", m, 100, true)?;
            if !is_media_type(m) {
                return Err(refuse("media_type", m, "expected a media type as TYPE/SUBTYPE (RFC 6838), such as application/vnd.tcpdump.pcap or text/plain; charset=utf-8"));
            }
        }
        check_blob(vault, &new.sha256, new.size)?;
        // An artefact filed with an incident is marked at least as the incident is: its log
        // entry names the incident, and a CLEAR entry would show everyone a restricted
        // incident's id, with the artefact's name and description.
        let mut tlp = new.tlp;
        let incident = match &new.incident {
            None => None,
            Some(r) => match self.get_incident(r).await? {
                Some(i) => {
                    tlp = tlp.max(i.record.incident.tlp);
                    Some(i.record.incident.id)
                }
                None => {
                    return Err(refuse(
                        "incident",
                        r,
                        "unknown incident: no incident has this id or DATASET:RECORD_ID",
                    ));
                }
            },
        };
        let id = EvidenceId::new();
        let meta = EvidenceMeta {
            id,
            sha256: new.sha256.to_hex(),
            size: new.size,
            name: new.name.trim().to_string(),
            description: new.description.trim().to_string(),
            media_type: new.media_type.clone(),
            tlp,
            incident,
            copy_of: None,
            produced_by: None,
        };
        let meta_json = canonical_json(&meta)?;
        let backend = self.backend();
        let event = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            let vkey = check_signer!(tx, actor, signer);
            if let Some(from) = &new.received_from {
                let known: Option<String> = sqlx::query_scalar("SELECT id FROM parties WHERE id = $1").bind(from.to_string()).fetch_optional(&mut *tx).await?;
                if known.is_none() {
                    return Err(refuse("from", from, "unknown party: register it (or import an incident naming it) first"));
                }
            }
            let statement = genesis_statement(id, &new.sha256, actor, new.received_from.clone(), &now());
            let signed = sign_statement(signer, CUSTODY_HEADER, &statement)?;
            let index = log.next_index();
            insert_evidence!(tx, meta, meta_json, actor, signed.hash, index);
            let event = insert_event!(tx, log, actor, statement, signed, vkey, Some(meta_json.as_str()), tlp);
            log.flush(&mut *tx).await?;
            event
        });
        let evidence = self
            .get_evidence(id)
            .await?
            .ok_or_else(|| corrupt(format!("evidence {id}"), "not found after its insert"))?;
        Ok((evidence, event))
    }

    /// Passes custody of an artefact from `actor` (its custodian) to `to`, a party with a
    /// registered key.
    pub async fn transfer_evidence(
        &self,
        actor: &PartyId,
        signer: &NoteSigner,
        id: EvidenceId,
        to: &PartyId,
        note: &str,
    ) -> Result<CustodyEvent, StoreError> {
        validate_text("note", note, 2000, false)?;
        if to == actor {
            return Err(refuse(
                "to",
                to,
                "is already the custodian: a transfer goes to another party",
            ));
        }
        let backend = self.backend();
        let event = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            let row = load_evidence!(tx, id);
            check_custodian(&row, actor, "transfer")?;
            let vkey = check_signer!(tx, actor, signer);
            check_party_can_sign!(tx, "to", to);
            let mut statement = next_statement(&row, CustodyKind::Transferred, actor, &now());
            statement.to = Some(to.clone());
            statement.note = note.to_string();
            let signed = sign_statement(signer, CUSTODY_HEADER, &statement)?;
            let event = insert_event!(tx, log, actor, statement, signed, vkey, None, row.evidence.tlp);
            advance_head!(tx, id, event, to, false);
            log.flush(&mut *tx).await?;
            event
        });
        Ok(event)
    }

    /// Makes a working copy of an artefact for `to` (the custodian itself when `None`): a new
    /// artefact with the same bytes and its own chain. The original's bytes, metadata and
    /// custodian are unchanged; its chain records the `copied` event. Returns the copy,
    /// the original's `copied` event and the copy's `received` event.
    pub async fn copy_evidence(
        &self,
        actor: &PartyId,
        signer: &NoteSigner,
        id: EvidenceId,
        to: Option<&PartyId>,
        note: &str,
    ) -> Result<(Evidence, CustodyEvent, CustodyEvent), StoreError> {
        validate_text("note", note, 2000, false)?;
        let to = to.unwrap_or(actor).clone();
        let copy_id = EvidenceId::new();
        let backend = self.backend();
        let (copied, received) = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            let row = load_evidence!(tx, id);
            check_custodian(&row, actor, "copy")?;
            let vkey = check_signer!(tx, actor, signer);
            check_party_can_sign!(tx, "to", &to);
            let time = now();
            let mut statement = next_statement(&row, CustodyKind::Copied, actor, &time);
            statement.to = Some(to.clone());
            statement.copy = Some(copy_id);
            statement.note = note.to_string();
            let signed = sign_statement(signer, CUSTODY_HEADER, &statement)?;
            let copied = insert_event!(tx, log, actor, statement, signed, vkey, None, row.evidence.tlp);
            advance_head!(tx, id, copied, row.evidence.custodian, false);

            let o = &row.evidence;
            let meta = EvidenceMeta {
                id: copy_id,
                sha256: o.sha256.to_hex(),
                size: o.size,
                name: o.name.clone(),
                description: format!("working copy of evidence {}", o.id),
                media_type: o.media_type.clone(),
                tlp: o.tlp,
                incident: o.incident,
                copy_of: Some(o.id),
                produced_by: None,
            };
            let meta_json = canonical_json(&meta)?;
            let mut genesis = genesis_statement(copy_id, &o.sha256, actor, Some(actor.clone()), &time);
            genesis.to = Some(to.clone());
            genesis.copy_of = Some(o.id);
            genesis.note = note.to_string();
            let signed = sign_statement(signer, CUSTODY_HEADER, &genesis)?;
            let index = log.next_index();
            insert_evidence!(tx, meta, meta_json, to, signed.hash, index);
            let received = insert_event!(tx, log, actor, genesis, signed, vkey, Some(meta_json.as_str()), row.evidence.tlp);
            log.flush(&mut *tx).await?;
            (copied, received)
        });
        let copy = self
            .get_evidence(copy_id)
            .await?
            .ok_or_else(|| corrupt(format!("evidence {copy_id}"), "not found after its insert"))?;
        Ok((copy, copied, received))
    }

    /// Releases an artefact from custody (to `to`, or to no one in particular). The chain
    /// is closed: no further event is accepted.
    pub async fn release_evidence(
        &self,
        actor: &PartyId,
        signer: &NoteSigner,
        id: EvidenceId,
        to: Option<&PartyId>,
        note: &str,
    ) -> Result<CustodyEvent, StoreError> {
        validate_text("note", note, 2000, true)?;
        let backend = self.backend();
        let event = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            let row = load_evidence!(tx, id);
            check_custodian(&row, actor, "release")?;
            let vkey = check_signer!(tx, actor, signer);
            if let Some(to) = to {
                let known: Option<String> = sqlx::query_scalar("SELECT id FROM parties WHERE id = $1").bind(to.to_string()).fetch_optional(&mut *tx).await?;
                if known.is_none() {
                    return Err(refuse("to", to, "unknown party"));
                }
            }
            let mut statement = next_statement(&row, CustodyKind::Released, actor, &now());
            statement.to = to.cloned();
            statement.note = note.to_string();
            let signed = sign_statement(signer, CUSTODY_HEADER, &statement)?;
            let event = insert_event!(tx, log, actor, statement, signed, vkey, None, row.evidence.tlp);
            advance_head!(tx, id, event, to.unwrap_or(actor), true);
            log.flush(&mut *tx).await?;
            event
        });
        Ok(event)
    }

    /// Records an analysis run by `actor`, who must hold every input. The outputs, already
    /// in the vault, become new artefacts held by `actor` (marked at the most restrictive
    /// TLP of the inputs); each input's chain records an `analysed` event naming the run.
    pub async fn record_analysis(
        &self,
        vault: &Vault,
        actor: &PartyId,
        signer: &NoteSigner,
        new: NewAnalysis,
    ) -> Result<(AnalysisRun, Vec<Evidence>), StoreError> {
        validate_text("tool", &new.tool, 200, true)?;
        validate_text("version", &new.version, 100, true)?;
        validate_text("note", &new.note, 2000, false)?;
        for (i, a) in new.argv.iter().enumerate() {
            validate_text(&format!("argv[{i}]"), a, 4000, false)?;
        }
        if new.inputs.is_empty() {
            return Err(refuse(
                "inputs",
                "[]",
                "an analysis needs at least one input artefact",
            ));
        }
        let parsed = pacta_vault::run::parse_argv(&new.argv, new.inputs.len())
            .map_err(|e| refuse("argv", new.argv.join(" "), e.to_string()))?;
        let mut declared = parsed.outputs.clone();
        let mut given: Vec<String> = new.outputs.iter().map(|(n, _, _)| n.clone()).collect();
        declared.sort();
        given.sort();
        if declared != given {
            return Err(refuse(
                "outputs",
                given.join(", "),
                format!(
                    "must be exactly the command's {{out:NAME}} placeholders: {}",
                    declared.join(", ")
                ),
            ));
        }
        for (name, hash, size) in &new.outputs {
            check_blob(vault, hash, *size)
                .map_err(|e| refuse(&format!("outputs.{name}"), hash, e.to_string()))?;
        }
        let run_id = RunId::new();
        let backend = self.backend();
        let (run, output_ids) = write_tx!(self, tx => {
            let mut log = LogAppender::lock(&mut *tx, backend).await?;
            let vkey = check_signer!(tx, actor, signer);
            let time = now();
            let mut rows = Vec::with_capacity(new.inputs.len());
            for id in &new.inputs {
                let row = load_evidence!(tx, id);
                check_custodian(&row, actor, "analyse")?;
                if rows.iter().any(|r: &EvidenceRow| r.evidence.id == *id) {
                    return Err(refuse("inputs", id, "appears twice: name each input once and refer to it by {in:N}"));
                }
                rows.push(row);
            }
            let tlp = rows.iter().map(|r| r.evidence.tlp).max().unwrap_or(Tlp::Amber);
            let incident = rows[0].evidence.incident.filter(|i| rows.iter().all(|r| r.evidence.incident == Some(*i)));
            let outputs: Vec<RunOutput> = new.outputs.iter().map(|(name, hash, size)| RunOutput { name: name.clone(), sha256: hash.to_hex(), size: *size, evidence: EvidenceId::new() }).collect();
            let statement = AnalysisStatement {
                run: run_id,
                analyst: actor.clone(),
                tool: new.tool.trim().to_string(),
                version: new.version.trim().to_string(),
                argv: new.argv.clone(),
                inputs: rows.iter().map(|r| RunInput { evidence: r.evidence.id, sha256: r.evidence.sha256.to_hex(), name: r.evidence.name.clone() }).collect(),
                outputs: outputs.clone(),
                time: time.clone(),
                note: new.note.clone(),
            };
            let signed = sign_statement(signer, ANALYSIS_HEADER, &statement)?;
            let record = run_record(&signed.body, &signed.hash, &signed.signature, &vkey).map_err(|e| corrupt("analysis run", e))?;
            let run_index = log.push(actor, "analysis.run", &record, tlp);
            sqlx::query("INSERT INTO analysis_runs (id, analyst, hash, body, signature, vkey, log_index) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(run_id.to_string()).bind(actor.to_string()).bind(signed.hash.clone()).bind(signed.body.clone()).bind(signed.signature.clone()).bind(vkey.clone()).bind(run_index as i64)
                .execute(&mut *tx).await?;
            for (position, row) in rows.iter().enumerate() {
                let mut st = next_statement(row, CustodyKind::Analysed, actor, &time);
                st.to = Some(actor.clone());
                st.run = Some(run_id);
                st.note = format!("input {{in:{position}}} of {} {}", statement.tool, statement.version);
                let s = sign_statement(signer, CUSTODY_HEADER, &st)?;
                // Invariant: logged at the run's marking, not the input's. The event names
                // the run, its tool and its version; and in one write beside the run's
                // sealed entries, an open entry would name who ran it.
                let event = insert_event!(tx, log, actor, st, s, vkey, None, tlp);
                advance_head!(tx, row.evidence.id, event, actor, false);
                sqlx::query("INSERT INTO analysis_inputs (run_id, position, evidence_id) VALUES ($1, $2, $3)")
                    .bind(run_id.to_string()).bind(position as i64).bind(row.evidence.id.to_string())
                    .execute(&mut *tx).await?;
            }
            for out in &outputs {
                let hash = BlobHash::parse(&out.sha256).map_err(|e| corrupt("output", e))?;
                let meta = EvidenceMeta {
                    id: out.evidence,
                    sha256: out.sha256.clone(),
                    size: out.size,
                    name: out.name.clone(),
                    description: format!("output {{out:{}}} of {} {} (run {run_id})", out.name, statement.tool, statement.version),
                    media_type: None,
                    tlp,
                    incident,
                    copy_of: None,
                    produced_by: Some(run_id),
                };
                let meta_json = canonical_json(&meta)?;
                let mut genesis = genesis_statement(out.evidence, &hash, actor, None, &time);
                genesis.run = Some(run_id);
                let s = sign_statement(signer, CUSTODY_HEADER, &genesis)?;
                let index = log.next_index();
                insert_evidence!(tx, meta, meta_json, actor, s.hash, index);
                insert_event!(tx, log, actor, genesis, s, vkey, Some(meta_json.as_str()), tlp);
            }
            log.flush(&mut *tx).await?;
            (AnalysisRun { statement, hash: signed.hash, signature: signed.signature, vkey, log_index: run_index }, outputs.iter().map(|o| o.evidence).collect::<Vec<_>>())
        });
        let mut produced = Vec::with_capacity(output_ids.len());
        for id in output_ids {
            produced.push(
                self.get_evidence(id).await?.ok_or_else(|| {
                    corrupt(format!("evidence {id}"), "not found after its insert")
                })?,
            );
        }
        Ok((run, produced))
    }
}

// ---------------------------------------------------------------------------------------
// Reads.

impl Store {
    pub async fn get_evidence(&self, id: EvidenceId) -> Result<Option<Evidence>, StoreError> {
        Ok(self.evidence_row(id).await?.map(|r| r.evidence))
    }

    async fn evidence_row(&self, id: EvidenceId) -> Result<Option<EvidenceRow>, StoreError> {
        on_pool!(self, pool => {
            let sql = format!("SELECT {EVIDENCE_COLUMNS} FROM evidence WHERE id = $1");
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(pool).await? {
                Some(row) => Ok(Some(evidence_from_row(&row)?)),
                None => Ok(None),
            }
        })
    }

    /// Artefacts, oldest first; only those linked to `incident` when given.
    pub async fn list_evidence(
        &self,
        incident: Option<IncidentId>,
    ) -> Result<Vec<Evidence>, StoreError> {
        on_pool!(self, pool => {
            let rows = match incident {
                Some(i) => sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {EVIDENCE_COLUMNS} FROM evidence WHERE incident_id = $1 ORDER BY log_index, id"))).bind(i.to_string()).fetch_all(pool).await?,
                None => sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {EVIDENCE_COLUMNS} FROM evidence ORDER BY log_index, id"))).fetch_all(pool).await?,
            };
            rows.iter().map(|r| evidence_from_row(r).map(|e| e.evidence)).collect()
        })
    }

    async fn raw_events(&self, id: EvidenceId) -> Result<Vec<RawEvent>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT seq, kind, hash, body, signature, vkey, log_index FROM custody_events WHERE evidence_id = $1 ORDER BY seq").bind(id.to_string()).fetch_all(pool).await?;
            rows.iter().map(raw_event_from_row).collect()
        })
    }

    /// The artefact's chain of custody, oldest first.
    pub async fn custody_chain(&self, id: EvidenceId) -> Result<Vec<CustodyEvent>, StoreError> {
        let mut out = Vec::new();
        for raw in self.raw_events(id).await? {
            let statement: CustodyStatement = serde_json::from_str(&raw.body)
                .map_err(|e| corrupt(format!("custody event {id}/{}", raw.seq), e))?;
            out.push(CustodyEvent {
                statement,
                hash: raw.hash,
                signature: raw.signature,
                vkey: raw.vkey,
                log_index: raw.log_index as u64,
            });
        }
        Ok(out)
    }

    pub async fn get_run(&self, id: RunId) -> Result<Option<AnalysisRun>, StoreError> {
        let row = on_pool!(self, pool => {
            match sqlx::query("SELECT hash, body, signature, vkey, log_index FROM analysis_runs WHERE id = $1").bind(id.to_string()).fetch_optional(pool).await? {
                Some(r) => Some((r.try_get::<String, _>("hash")?, r.try_get::<String, _>("body")?, r.try_get::<String, _>("signature")?, r.try_get::<String, _>("vkey")?, r.try_get::<i64, _>("log_index")?)),
                None => None,
            }
        });
        let Some((hash, body, signature, vkey, log_index)) = row else {
            return Ok(None);
        };
        let statement: AnalysisStatement =
            serde_json::from_str(&body).map_err(|e| corrupt(format!("analysis run {id}"), e))?;
        Ok(Some(AnalysisRun {
            statement,
            hash,
            signature,
            vkey,
            log_index: log_index as u64,
        }))
    }

    /// The runs that read `id`, oldest first.
    pub async fn runs_over(&self, id: EvidenceId) -> Result<Vec<RunId>, StoreError> {
        let ids: Vec<String> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT i.run_id FROM analysis_inputs i JOIN analysis_runs r ON r.id = i.run_id WHERE i.evidence_id = $1 ORDER BY r.log_index").bind(id.to_string()).fetch_all(pool).await?
        });
        ids.iter()
            .map(|s| RunId::parse(s).map_err(|e| corrupt("analysis input", e)))
            .collect()
    }

    pub async fn all_runs(&self) -> Result<Vec<RunId>, StoreError> {
        let ids: Vec<String> = on_pool!(self, pool => sqlx::query_scalar("SELECT id FROM analysis_runs ORDER BY log_index").fetch_all(pool).await?);
        ids.iter()
            .map(|s| RunId::parse(s).map_err(|e| corrupt("analysis run", e)))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// Verification.

impl Store {
    /// The marking a run is logged under: the strictest of its inputs'. `None` for an
    /// unknown run, which the run's own verification reports.
    async fn run_marking(&self, run: RunId) -> Result<Option<Tlp>, StoreError> {
        let labels: Vec<String> = on_pool!(self, pool => sqlx::query_scalar("SELECT e.tlp FROM analysis_inputs i JOIN evidence e ON e.id = i.evidence_id WHERE i.run_id = $1").bind(run.to_string()).fetch_all(pool).await?);
        let mut strictest = None;
        for label in labels {
            let t = Tlp::parse("tlp", &label).map_err(|e| corrupt(format!("evidence of run {run}"), e))?;
            strictest = strictest.max(Some(t));
        }
        Ok(strictest)
    }

    /// The party a registered key belongs to.
    async fn key_owner(&self, vkey: &str) -> Result<Option<String>, StoreError> {
        on_pool!(self, pool => Ok(sqlx::query_scalar("SELECT party FROM party_keys WHERE vkey = $1").bind(vkey.to_string()).fetch_optional(pool).await?))
    }

    /// Checks that log entry `index` exists, is intact, and is exactly what the log holds
    /// for `actor` making a change of `kind` to `record` under the marking `tlp` (see
    /// `crate::log::entry_json`: sealed above CLEAR; the open form older logs hold is
    /// accepted too) under one of `markings`. [`Tlp::ALL`] accepts any: a run is logged
    /// under the strictest marking of its inputs, which the run's own verification does
    /// not reload.
    async fn check_log_entry(
        &self,
        index: i64,
        kind: &str,
        actor: &str,
        record: &str,
        markings: &[Tlp],
    ) -> Result<Option<String>, StoreError> {
        if index < 0 {
            return Ok(Some("is not a valid index".into()));
        }
        let index = index as u64;
        let Some(entry) = self.log_entries(index, index + 1).await?.into_iter().next() else {
            return Ok(Some("is missing from the log".into()));
        };
        if entry.leaf_hash != crate::write::leaf_hash(&entry.entry) {
            return Ok(Some("does not match its own leaf hash".into()));
        }
        let Ok(v) = serde_json::from_slice::<Value>(&entry.entry) else {
            return Ok(Some("is not JSON".into()));
        };
        let shown_kind = v.get("kind").and_then(Value::as_str);
        if entry.kind != kind || (shown_kind != Some(kind) && shown_kind != Some(crate::log::SEALED_KIND)) {
            return Ok(Some(format!("is a {:?} entry, not {kind}", entry.kind)));
        }
        if let Some(named) = v.get("actor").filter(|a| a.as_str() != Some(actor)) {
            return Ok(Some(format!("names actor {named}, not the signer {actor}")));
        }
        let time = v.get("time").and_then(Value::as_str).unwrap_or_default();
        let same = markings.iter().any(|t| {
            entry.entry == crate::log::entry_json(actor, kind, record, *t, time, entry.salt.as_deref().unwrap_or_default()).as_bytes()
                || (*t != Tlp::Clear && entry.entry == crate::log::open_entry_json(actor, kind, record, *t, time).as_bytes())
        });
        if !same {
            return Ok(Some("records something other than what the database holds".into()));
        }
        Ok(None)
    }

    /// Verifies one artefact: its blob hashes to its recorded SHA-256; every custody event
    /// is well formed, signed with a key registered to its signer, links to the previous
    /// event, follows the custody rules, and appears in the log exactly as stored; the
    /// artefact's current state is the chain's outcome. Problems are reported, not raised:
    /// an `Err` means the database could not be read, or the artefact is unknown.
    pub async fn verify_evidence(
        &self,
        vault: &Vault,
        id: EvidenceId,
    ) -> Result<VerifyReport, StoreError> {
        let row = match self.evidence_row(id).await {
            Ok(Some(row)) => row,
            Ok(None) => {
                return Err(refuse(
                    "evidence",
                    id,
                    "unknown evidence: no artefact has this id",
                ));
            }
            Err(StoreError::Corrupt { what, detail }) => {
                return Ok(VerifyReport {
                    subject: format!("evidence {id}"),
                    events_checked: 0,
                    problems: vec![Problem::Record {
                        rule: format!("{what} is unreadable: {detail}"),
                    }],
                });
            }
            Err(e) => return Err(e),
        };
        let e = &row.evidence;
        let mut problems = Vec::new();
        match vault.verify(&e.sha256) {
            Ok(size) if size == e.size => {}
            Ok(size) => problems.push(Problem::Blob {
                detail: format!("{} has {size} bytes; the record says {}", e.sha256, e.size),
            }),
            Err(VaultError::Tampered {
                expected, found, ..
            }) => problems.push(Problem::BlobTampered { expected, found }),
            Err(VaultError::Missing { hash, .. }) => problems.push(Problem::BlobMissing { hash }),
            Err(other) => problems.push(Problem::Blob {
                detail: other.to_string(),
            }),
        }
        match serde_json::from_str::<EvidenceMeta>(&row.meta) {
            Ok(m)
                if m.id == e.id
                    && m.sha256 == e.sha256.to_hex()
                    && m.size == e.size
                    && m.name == e.name
                    && m.description == e.description
                    && m.media_type == e.media_type
                    && m.tlp == e.tlp
                    && m.incident == e.incident
                    && m.copy_of == e.copy_of
                    && m.produced_by == e.produced_by => {}
            Ok(_) => problems.push(Problem::Record {
                rule: "the logged metadata and the artefact's columns disagree".into(),
            }),
            Err(err) => problems.push(Problem::Record {
                rule: format!("the logged metadata is unreadable: {err}"),
            }),
        }

        let events = self.raw_events(id).await?;
        let mut prior: Option<String> = None;
        let mut custodian: Option<PartyId> = None;
        let mut released = false;
        for (k, raw) in events.iter().enumerate() {
            let seq = Some(raw.seq as u64);
            let mut bad = |rule: String| problems.push(Problem::Event { seq, rule });
            if raw.seq != k as i64 {
                bad(format!(
                    "is at position {k} of the chain: events must be numbered from 0 without gaps"
                ));
            }
            let hash = sha256_hex(&raw.body);
            if hash != raw.hash {
                bad(format!(
                    "statement hashes to {hash}, but the stored hash is {}",
                    raw.hash
                ));
            }
            let st: CustodyStatement = match serde_json::from_str(&raw.body) {
                Ok(st) => st,
                Err(err) => {
                    bad(format!("statement is unreadable: {err}"));
                    prior = Some(raw.hash.clone());
                    continue;
                }
            };
            if canonical_json(&st).ok().as_deref() != Some(raw.body.as_str()) {
                bad("statement is not in canonical form".into());
            }
            if st.evidence != id || st.seq != k as u64 || st.kind.label() != raw.kind {
                bad(format!(
                    "statement says evidence {} event {} ({}), but is stored as evidence {id} event {k} ({})",
                    st.evidence, st.seq, st.kind, raw.kind
                ));
            }
            if st.sha256 != e.sha256.to_hex() {
                bad(format!(
                    "attests to bytes {}, but the artefact is {}",
                    st.sha256, e.sha256
                ));
            }
            if st.prior != prior {
                bad(format!(
                    "the chain is broken: prior is {}, but the previous event hashes to {}",
                    st.prior.as_deref().unwrap_or("none"),
                    prior
                        .as_deref()
                        .unwrap_or("none (this should be the first event)")
                ));
            }
            // Custody rules, replayed.
            if released {
                bad("follows a release: a released artefact takes no further events".into());
            }
            match (k, st.kind) {
                (0, CustodyKind::Received) => {
                    if st.to.as_ref() != Some(&st.signer) && st.copy_of.is_none() {
                        bad("the first event must be received by its signer".into());
                    }
                    custodian = st.to.clone();
                }
                (0, kind) => bad(format!("the first event must be received, not {kind}")),
                (_, CustodyKind::Received) => bad("received may only open a chain".into()),
                (_, kind) => {
                    if custodian.as_ref() != Some(&st.signer) {
                        bad(format!(
                            "{kind} is signed by {}, who was not the custodian ({})",
                            st.signer,
                            custodian.as_ref().map(|c| c.as_str()).unwrap_or("none")
                        ));
                    }
                    match kind {
                        CustodyKind::Transferred => custodian = st.to.clone(),
                        CustodyKind::Released => {
                            released = true;
                            if let Some(to) = &st.to {
                                custodian = Some(to.clone());
                            }
                        }
                        _ => {}
                    }
                }
            }
            // The signature, with a key registered to the signer.
            match self.key_owner(&raw.vkey).await? {
                Some(owner) if owner == st.signer.as_str() => {
                    if let Err(reason) =
                        check_signature(&raw.vkey, CUSTODY_HEADER, &raw.body, &raw.signature)
                    {
                        bad(reason);
                    }
                }
                Some(owner) => bad(format!(
                    "is signed with a key registered to {owner}, not to the signer {}",
                    st.signer
                )),
                None => bad(format!(
                    "is signed with a key that is not registered: {}",
                    raw.vkey
                )),
            }
            // The log entry, under the artefact's marking, or, for an input of a run, the
            // run's (see `record_analysis`; a log written before that holds the input's).
            let markings = match (st.kind, st.run) {
                (CustodyKind::Analysed, Some(run)) => match self.run_marking(run).await? {
                    Some(t) if t != row.evidence.tlp => vec![t, row.evidence.tlp],
                    _ => vec![row.evidence.tlp],
                },
                _ => vec![row.evidence.tlp],
            };
            let meta = (k == 0).then_some(row.meta.as_str());
            match event_record(&raw.body, &raw.hash, &raw.signature, &raw.vkey, meta) {
                Ok(record) => {
                    let mut found = self
                        .check_log_entry(raw.log_index, st.kind.log_kind(), st.signer.as_str(), &record, &markings)
                        .await?;
                    if found.is_some()
                        && let Some(meta) = meta
                        && let Ok(legacy) = legacy_received_record(&raw.body, &raw.hash, &raw.signature, &raw.vkey, meta)
                        && self.check_log_entry(raw.log_index, st.kind.log_kind(), st.signer.as_str(), &legacy, &markings).await?.is_none()
                    {
                        found = None;
                    }
                    if let Some(rule) = found {
                        problems.push(Problem::LogEntry {
                            seq,
                            index: raw.log_index.max(0) as u64,
                            rule,
                        });
                    }
                }
                Err(err) => problems.push(Problem::Event { seq, rule: err }),
            }
            prior = Some(raw.hash.clone());
        }
        if events.is_empty() {
            problems.push(Problem::Record {
                rule: "the artefact has no custody events".into(),
            });
        } else {
            if prior.as_deref() != Some(row.head_hash.as_str()) || e.events != events.len() as u64 {
                problems.push(Problem::Record {
                    rule: "the recorded head is not the chain's last event".into(),
                });
            }
            if custodian.as_ref() != Some(&e.custodian) || released != e.released {
                problems.push(Problem::Record { rule: format!("the record says {} holds it (released: {}), but the chain says {} (released: {released})", e.custodian, e.released, custodian.as_ref().map(|c| c.as_str()).unwrap_or("no one")) });
            }
        }
        Ok(VerifyReport {
            subject: format!("evidence {id}"),
            events_checked: events.len() as u64,
            problems,
        })
    }

    /// Verifies one analysis run: its statement's hash and signature (with a key registered
    /// to the analyst), its log entry, each input's `analysed` event naming it, and each
    /// output artefact (its record and its blob).
    pub async fn verify_run(&self, vault: &Vault, id: RunId) -> Result<VerifyReport, StoreError> {
        let row = on_pool!(self, pool => {
            match sqlx::query("SELECT analyst, hash, body, signature, vkey, log_index FROM analysis_runs WHERE id = $1").bind(id.to_string()).fetch_optional(pool).await? {
                Some(r) => (r.try_get::<String, _>("analyst")?, r.try_get::<String, _>("hash")?, r.try_get::<String, _>("body")?, r.try_get::<String, _>("signature")?, r.try_get::<String, _>("vkey")?, r.try_get::<i64, _>("log_index")?),
                None => return Err(refuse("run", id, "unknown analysis run")),
            }
        });
        let (analyst, hash, body, signature, vkey, log_index) = row;
        let mut problems = Vec::new();
        let mut bad = |rule: String| problems.push(Problem::Event { seq: None, rule });
        if sha256_hex(&body) != hash {
            bad(format!(
                "statement hashes to {}, but the stored hash is {hash}",
                sha256_hex(&body)
            ));
        }
        match self.key_owner(&vkey).await? {
            Some(owner) if owner == analyst => {
                if let Err(reason) = check_signature(&vkey, ANALYSIS_HEADER, &body, &signature) {
                    bad(reason);
                }
            }
            Some(owner) => bad(format!(
                "is signed with a key registered to {owner}, not to the analyst {analyst}"
            )),
            None => bad(format!(
                "is signed with a key that is not registered: {vkey}"
            )),
        }
        let statement: Option<AnalysisStatement> = match serde_json::from_str(&body) {
            Ok(s) => Some(s),
            Err(err) => {
                bad(format!("statement is unreadable: {err}"));
                None
            }
        };
        if let Some(st) = &statement
            && (st.run != id || st.analyst.as_str() != analyst)
        {
            bad(format!(
                "statement names run {} by {}, but is stored as run {id} by {analyst}",
                st.run, st.analyst
            ));
        }
        if let Ok(record) = run_record(&body, &hash, &signature, &vkey)
            && let Some(rule) = self
                .check_log_entry(log_index, "analysis.run", &analyst, &record, &Tlp::ALL)
                .await?
        {
            problems.push(Problem::LogEntry {
                seq: None,
                index: log_index.max(0) as u64,
                rule,
            });
        }
        if let Some(st) = statement {
            for (i, input) in st.inputs.iter().enumerate() {
                let chain = self.custody_chain(input.evidence).await;
                let ok = chain.as_ref().is_ok_and(|c| {
                    c.iter().any(|ev| {
                        ev.statement.kind == CustodyKind::Analysed
                            && ev.statement.run == Some(id)
                            && ev.statement.sha256 == input.sha256
                    })
                });
                if !ok {
                    problems.push(Problem::Record { rule: format!("input {{in:{i}}} (evidence {}) has no analysed event for this run over {}", input.evidence, input.sha256) });
                }
            }
            for out in &st.outputs {
                match self.get_evidence(out.evidence).await {
                    Ok(Some(e)) if e.sha256.to_hex() == out.sha256 && e.produced_by == Some(id) => {
                        match vault.verify(&e.sha256) {
                            Ok(_) => {}
                            Err(VaultError::Tampered {
                                expected, found, ..
                            }) => problems.push(Problem::BlobTampered { expected, found }),
                            Err(VaultError::Missing { hash, .. }) => {
                                problems.push(Problem::BlobMissing { hash })
                            }
                            Err(other) => problems.push(Problem::Blob {
                                detail: other.to_string(),
                            }),
                        }
                    }
                    Ok(_) => problems.push(Problem::Record {
                        rule: format!(
                            "output {{out:{}}} is not recorded as evidence {} with hash {}",
                            out.name, out.evidence, out.sha256
                        ),
                    }),
                    Err(err) => problems.push(Problem::Record {
                        rule: format!("output {{out:{}}}: {err}", out.name),
                    }),
                }
            }
        }
        Ok(VerifyReport {
            subject: format!("run {id}"),
            events_checked: 1,
            problems,
        })
    }

    /// Verifies every artefact and every run.
    pub async fn verify_all_evidence(
        &self,
        vault: &Vault,
    ) -> Result<Vec<VerifyReport>, StoreError> {
        let mut out = Vec::new();
        let ids: Vec<String> = on_pool!(self, pool => sqlx::query_scalar("SELECT id FROM evidence ORDER BY log_index, id").fetch_all(pool).await?);
        for id in ids {
            match EvidenceId::parse(&id) {
                Ok(id) => out.push(self.verify_evidence(vault, id).await?),
                Err(err) => out.push(VerifyReport {
                    subject: format!("evidence {id:?}"),
                    events_checked: 0,
                    problems: vec![Problem::Record {
                        rule: err.to_string(),
                    }],
                }),
            }
        }
        for run in self.all_runs().await? {
            out.push(self.verify_run(vault, run).await?);
        }
        out.push(self.verify_log_has_every_record().await?);
        Ok(out)
    }

    /// The other direction: every custody or analysis entry in the log still has its
    /// record. Checking each record against its entry cannot see a record deleted whole
    /// (a custody chain cut back to an earlier head, an artefact removed), since then
    /// nothing is left to check; the log, which cannot lose an entry unnoticed, still
    /// names it.
    pub async fn verify_log_has_every_record(&self) -> Result<VerifyReport, StoreError> {
        const ORPHANS: &str = "SELECT l.idx, l.kind FROM log_entries l \
             WHERE (l.kind LIKE 'evidence.%' AND NOT EXISTS (SELECT 1 FROM custody_events c WHERE c.log_index = l.idx)) \
                OR (l.kind = 'analysis.run' AND NOT EXISTS (SELECT 1 FROM analysis_runs r WHERE r.log_index = l.idx)) \
             ORDER BY l.idx";
        let (orphans, checked) = on_pool!(self, pool => {
            let rows: Vec<(i64, String)> = sqlx::query_as(ORPHANS).fetch_all(pool).await?;
            let checked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_entries WHERE kind LIKE 'evidence.%' OR kind = 'analysis.run'").fetch_one(pool).await?;
            (rows, checked)
        });
        let mut problems: Vec<Problem> = orphans
            .into_iter()
            .map(|(index, kind)| Problem::LogEntry { seq: None, index: index.max(0) as u64, rule: format!("is a {kind} entry whose record is gone from the database") })
            .collect();
        // The search above trusts the `kind` column, which the leaf hash does not cover: a
        // custody entry relabelled there would hide its deleted record. So every entry's
        // column is checked against what the log committed to: the kind an open entry
        // names, or a sealed entry's `kind_sha256` with its salt.
        // And each opening kept for a sealed entry must still reproduce it: one edited in
        // the database would hand the entry's actor a record the log never held.
        let size = self.log_size().await?;
        let mut start = 0;
        while start < size {
            let end = (start + 10_000).min(size);
            let mut openings = self.openings_between(start, end).await?;
            for e in self.log_entries(start, end).await? {
                let opening = openings.remove(&e.index);
                if let Some(rule) = column_disagrees(&e) {
                    // The opening takes its kind from that column: one fault, said once.
                    problems.push(Problem::LogEntry { seq: None, index: e.index, rule });
                } else if let Some((actor, record)) = opening
                    && let Err(why) = crate::log::Opening::of(&e, actor, record).and_then(|o| o.check(&e.entry))
                {
                    problems.push(Problem::LogEntry { seq: None, index: e.index, rule: format!("has an opening that does not reproduce it: {why}") });
                }
            }
            start = end;
        }
        Ok(VerifyReport { subject: "the log's custody and analysis entries".into(), events_checked: checked.max(0) as u64, problems })
    }
}

/// Why the database's `kind` for entry `e` is not the one the log committed to, if it is not.
fn column_disagrees(e: &crate::LogEntry) -> Option<String> {
    let Ok(v) = serde_json::from_slice::<Value>(&e.entry) else {
        return Some("is not JSON".into());
    };
    match v.get("kind").and_then(Value::as_str) {
        Some(crate::log::SEALED_KIND) => {
            let Some(salt) = e.salt.as_deref() else {
                return Some(format!("is sealed, but the database holds no salt to check its kind ({}) with", e.kind));
            };
            let committed = v.get("record").and_then(|r| r.get("kind_sha256")).and_then(Value::as_str);
            (committed != Some(crate::log::seal_kind(&e.kind, salt).as_str()))
                .then(|| format!("is labelled {} in the database, which is not the kind the sealed entry committed to", e.kind))
        }
        Some(shown) if shown == e.kind => None,
        shown => Some(format!("is labelled {} in the database, but the entry says {}", e.kind, shown.unwrap_or("nothing"))),
    }
}

// ---------------------------------------------------------------------------------------
// Running analyses.

/// Runs `argv` over `inputs` (materialised from the vault into a scratch directory under
/// `scratch`), stores the outputs in the vault, and records the run. The outputs are
/// durable in the vault before the transaction that records them.
#[allow(clippy::too_many_arguments)] // each is a distinct fact of the run; a struct would only rename them
pub async fn analyse(
    store: &Store,
    vault: &Vault,
    actor: &PartyId,
    signer: &NoteSigner,
    tool: &str,
    version: &str,
    argv: Vec<String>,
    inputs: Vec<EvidenceId>,
    scratch: &Path,
    note: &str,
) -> Result<(AnalysisRun, Vec<Evidence>), RerunError> {
    // Refuse early (before running anything) if the actor does not hold every input; the
    // write path checks again under the lock.
    let mut run_inputs = Vec::with_capacity(inputs.len());
    for id in &inputs {
        let Some(e) = store.get_evidence(*id).await? else {
            return Err(refuse("inputs", id, "unknown evidence: no artefact has this id").into());
        };
        if &e.custodian != actor || e.released {
            return Err(refuse("--as", actor, format!("is not the custodian of evidence {id} ({} is{}): only the custodian may analyse it", e.custodian, if e.released { ", and it was released" } else { "" })).into());
        }
        run_inputs.push(Input {
            hash: e.sha256,
            name: e.name.clone(),
        });
    }
    let execution = {
        let (vault, argv, scratch) = (vault.clone(), argv.clone(), scratch.to_path_buf());
        tokio::task::spawn_blocking(move || {
            pacta_vault::run::execute(&vault, &argv, &run_inputs, &scratch, true)
        })
        .await
        .map_err(|e| RerunError::Task(e.to_string()))??
    };
    let outputs = execution
        .outputs
        .iter()
        .map(|o| (o.name.clone(), o.hash, o.size))
        .collect();
    let new = NewAnalysis {
        tool: tool.to_string(),
        version: version.to_string(),
        argv,
        inputs,
        outputs,
        note: note.to_string(),
    };
    Ok(store.record_analysis(vault, actor, signer, new).await?)
}

/// Re-runs a recorded analysis: materialises its inputs (by their recorded hashes) from the
/// vault, runs its recorded command, and compares each output's hash with the recorded
/// one. Nothing is written to the vault or the database.
pub async fn rerun(
    store: &Store,
    vault: &Vault,
    id: RunId,
    scratch: &Path,
) -> Result<(AnalysisRun, Vec<OutputCheck>), RerunError> {
    let Some(run) = store.get_run(id).await? else {
        return Err(refuse("run", id, "unknown analysis run").into());
    };
    // Invariant: nothing runs on the verifier's machine unless the analyst signed exactly
    // this command and the log holds that statement. The database is the one thing a
    // verifier does not trust: an edited argv would otherwise run as the verifier's user.
    // Outputs missing from this vault do not stop a re-run; reproducing them is its point.
    let report = store.verify_run(vault, id).await?;
    let untrusted: Vec<String> = report
        .problems
        .iter()
        .filter(|p| matches!(p, Problem::Event { .. } | Problem::LogEntry { .. }))
        .map(|p| p.to_string())
        .collect();
    if !untrusted.is_empty() {
        return Err(refuse("run", id, format!("its statement does not verify, so nothing was run: {}", untrusted.join("; "))).into());
    }
    let mut inputs = Vec::with_capacity(run.statement.inputs.len());
    for i in &run.statement.inputs {
        inputs.push(Input {
            hash: BlobHash::parse(&i.sha256)?,
            name: i.name.clone(),
        });
    }
    let execution = {
        let (vault, argv, scratch) = (
            vault.clone(),
            run.statement.argv.clone(),
            scratch.to_path_buf(),
        );
        tokio::task::spawn_blocking(move || {
            pacta_vault::run::execute(&vault, &argv, &inputs, &scratch, false)
        })
        .await
        .map_err(|e| RerunError::Task(e.to_string()))??
    };
    let checks = run
        .statement
        .outputs
        .iter()
        .map(|o| OutputCheck {
            name: o.name.clone(),
            expected: o.sha256.clone(),
            found: execution
                .outputs
                .iter()
                .find(|x| x.name == o.name)
                .map(|x| x.hash.to_hex())
                .unwrap_or_else(|| "(not written)".into()),
        })
        .collect();
    Ok((run, checks))
}
