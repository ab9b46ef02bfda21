-- The forum: points of contact, communication checks, consultation requests, the roster of
-- neutrals and dispute cases. Keep this file and ../sqlite/0007_forum.sql side by side:
-- same tables, same columns, same indexes; only the type names differ.
--
-- Each aggregate is one row whose body is the whole record (pacta-forum's types, as JSON);
-- every change rewrites the body and appends a log entry, whose index is log_index. The
-- other columns are copies of body fields, kept for lookups.

-- A party's points of contact. Withdrawn contacts stay (active = 0): requests name them.
CREATE TABLE contacts (
    id        TEXT PRIMARY KEY,
    party     TEXT NOT NULL REFERENCES parties (id),
    role      TEXT NOT NULL,
    active    BIGINT NOT NULL,
    body      TEXT NOT NULL,
    log_index BIGINT NOT NULL
);
CREATE INDEX contacts_party ON contacts (party);

-- Communication checks, with every target contact's acknowledgement in body.
CREATE TABLE ping_tests (
    id        TEXT PRIMARY KEY,
    sent_at   TEXT NOT NULL,
    body      TEXT NOT NULL,
    log_index BIGINT NOT NULL
);

-- Consultation requests and their steps. open = 0 once answered.
CREATE TABLE consultations (
    id           TEXT PRIMARY KEY,
    incident_seq BIGINT REFERENCES incidents (seq),
    from_party   TEXT NOT NULL,
    to_party     TEXT NOT NULL,
    template     TEXT NOT NULL,
    open         BIGINT NOT NULL,
    body         TEXT NOT NULL,
    log_index    BIGINT NOT NULL
);
CREATE INDEX consultations_incident ON consultations (incident_seq);
CREATE INDEX consultations_open ON consultations (open);

-- The roster of mediators and arbitrators.
CREATE TABLE roster (
    party     TEXT PRIMARY KEY REFERENCES parties (id),
    body      TEXT NOT NULL,
    log_index BIGINT NOT NULL
);

-- Dispute cases, and the incidents each is about.
CREATE TABLE dispute_cases (
    id         TEXT PRIMARY KEY,
    claimant   TEXT NOT NULL,
    respondent TEXT NOT NULL,
    stage      TEXT NOT NULL,
    body       TEXT NOT NULL,
    log_index  BIGINT NOT NULL
);
CREATE TABLE case_incidents (
    case_id      TEXT NOT NULL REFERENCES dispute_cases (id),
    incident_seq BIGINT NOT NULL REFERENCES incidents (seq),
    PRIMARY KEY (case_id, incident_seq)
);
CREATE INDEX case_incidents_incident ON case_incidents (incident_seq);
