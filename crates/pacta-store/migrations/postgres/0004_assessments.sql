-- Legal assessments: derived data, like a search index. Keep this file and
-- ../sqlite/0004_assessments.sql side by side: same table, same columns; only the
-- type names differ.
--
-- An assessment is not a log entry. It is a pure function of logged facts (the incident
-- record and its claims, as of the log entry at log_index) and of versioned instruments
-- (instruments_version is the SHA-256 of every rule file; engine_version names the fact
-- mapping and engine that read them). Anyone holding the log and those versions can
-- recompute it and must get the same answer, so logging it would add nothing that can
-- be checked, and would make every amendment of the law rewrite history.
--
-- A row is stale when its versions or its log_index differ from the current ones; it is
-- then recomputed, never trusted. perspective is '' for the default view (the first
-- targeted state) or an ISO 3166-1 code.
CREATE TABLE assessments (
    incident_seq        BIGINT NOT NULL REFERENCES incidents (seq),
    perspective         TEXT NOT NULL,
    instruments_version TEXT NOT NULL,
    engine_version      TEXT NOT NULL,
    log_index           BIGINT NOT NULL,
    body                TEXT NOT NULL,
    assessed_at         TEXT NOT NULL,
    PRIMARY KEY (incident_seq, perspective)
);
