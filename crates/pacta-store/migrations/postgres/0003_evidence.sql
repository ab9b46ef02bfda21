-- The evidence vault's records: keys, artefacts, their chains of custody, analysis runs.
-- Keep this file and ../sqlite/0003_evidence.sql side by side: same tables, same
-- columns, same indexes; only the type names differ. Blob bytes are never stored here:
-- artefacts are named by the SHA-256 of their bytes, which live in the vault directory.

-- A party's Ed25519 verifier keys (C2SP signed-note format). A custody signature counts
-- only if it verifies with a key registered here for the signing party.
CREATE TABLE party_keys (
    vkey      TEXT PRIMARY KEY,
    party     TEXT NOT NULL REFERENCES parties (id),
    log_index BIGINT NOT NULL
);
CREATE INDEX party_keys_party ON party_keys (party);

-- One row per analysis run; body is the canonical JSON the analyst signed.
CREATE TABLE analysis_runs (
    id        TEXT PRIMARY KEY,
    analyst   TEXT NOT NULL REFERENCES parties (id),
    hash      TEXT NOT NULL UNIQUE,
    body      TEXT NOT NULL,
    signature TEXT NOT NULL,
    vkey      TEXT NOT NULL REFERENCES party_keys (vkey),
    log_index BIGINT NOT NULL
);

-- An artefact under custody. The immutable metadata (everything but custodian, released,
-- head_seq and head_hash) is what the evidence.received entry logged. copy_of is set for
-- a working copy, produced_by for the output of an analysis run. custodian, released and
-- the head are the chain's current state, moved only by the custody write path.
CREATE TABLE evidence (
    id          TEXT PRIMARY KEY,
    sha256      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    name        TEXT NOT NULL,
    media_type  TEXT,
    description TEXT NOT NULL,
    tlp         TEXT NOT NULL,
    incident_id TEXT REFERENCES incidents (id),
    copy_of     TEXT REFERENCES evidence (id),
    produced_by TEXT REFERENCES analysis_runs (id),
    meta        TEXT NOT NULL,
    custodian   TEXT NOT NULL REFERENCES parties (id),
    released    BIGINT NOT NULL,
    head_seq    BIGINT NOT NULL,
    head_hash   TEXT NOT NULL,
    log_index   BIGINT NOT NULL
);
CREATE INDEX evidence_sha256 ON evidence (sha256);
CREATE INDEX evidence_incident ON evidence (incident_id);

-- The chain of custody: seq is dense from 0 per artefact; body is the canonical JSON the
-- custodian signed (it names the previous event's hash, so the events form a hash chain);
-- signature is the signed-note signature line; log_index is the event's log entry.
CREATE TABLE custody_events (
    evidence_id TEXT NOT NULL REFERENCES evidence (id),
    seq         BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE,
    body        TEXT NOT NULL,
    signature   TEXT NOT NULL,
    vkey        TEXT NOT NULL REFERENCES party_keys (vkey),
    log_index   BIGINT NOT NULL,
    PRIMARY KEY (evidence_id, seq)
);

-- Which artefacts each run read, for "runs over this artefact".
CREATE TABLE analysis_inputs (
    run_id      TEXT NOT NULL REFERENCES analysis_runs (id),
    position    BIGINT NOT NULL,
    evidence_id TEXT NOT NULL REFERENCES evidence (id),
    PRIMARY KEY (run_id, position)
);
CREATE INDEX analysis_inputs_evidence ON analysis_inputs (evidence_id);
