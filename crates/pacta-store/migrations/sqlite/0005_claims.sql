-- Attribution claims as versioned records, stances on them, the compliance events of an
-- incident's enforcement arc, and response measures. Keep this file and
-- ../postgres/0005_claims.sql side by side: same tables, same columns, same indexes; only
-- the type names differ.
--
-- Claims imported with their incident stay in `attributions` and are read as version 1;
-- every later version (and every claim made in the registry) is a row here. Rows are never
-- updated: an amendment or withdrawal is a new version.
CREATE TABLE claim_versions (
    claim_id     TEXT NOT NULL,
    version      INTEGER NOT NULL,
    incident_seq INTEGER NOT NULL REFERENCES incidents (seq),
    action       TEXT NOT NULL,
    body         TEXT NOT NULL,
    log_index    INTEGER NOT NULL,
    PRIMARY KEY (claim_id, version)
);
CREATE INDEX claim_versions_incident ON claim_versions (incident_seq, log_index);

-- Endorsements and contests. A party's latest stance on a claim is the one that counts.
CREATE TABLE claim_stances (
    id           TEXT PRIMARY KEY,
    claim_id     TEXT NOT NULL,
    incident_seq INTEGER NOT NULL REFERENCES incidents (seq),
    party        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    body         TEXT NOT NULL,
    log_index    INTEGER NOT NULL
);
CREATE INDEX claim_stances_incident ON claim_stances (incident_seq, log_index);

-- Calls to comply, cessation, disputes before a tribunal, compliance. Never updated.
CREATE TABLE compliance_events (
    id           TEXT PRIMARY KEY,
    incident_seq INTEGER NOT NULL REFERENCES incidents (seq),
    kind         TEXT NOT NULL,
    responsible  TEXT NOT NULL,
    body         TEXT NOT NULL,
    log_index    INTEGER NOT NULL
);
CREATE INDEX compliance_events_incident ON compliance_events (incident_seq, log_index);

-- Measures on the response ladder. body holds the whole measure with its history; each
-- move rewrites it and appends a log entry, whose index is the latest log_index.
CREATE TABLE measures (
    id           TEXT PRIMARY KEY,
    incident_seq INTEGER NOT NULL REFERENCES incidents (seq),
    state        TEXT NOT NULL,
    body         TEXT NOT NULL,
    log_index    INTEGER NOT NULL
);
CREATE INDEX measures_incident ON measures (incident_seq);
