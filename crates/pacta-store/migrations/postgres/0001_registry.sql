-- The registry's records and its transparency log. Keep this file and
-- ../sqlite/0001_registry.sql side by side: same tables, same columns, same indexes;
-- only the type names differ.

CREATE TABLE parties (
    id    TEXT PRIMARY KEY,
    kind  TEXT NOT NULL,
    name  TEXT NOT NULL,
    state TEXT
);

-- seq is assigned by the write path while it holds the log lock, so it is gap-free and
-- in commit order on both backends.
CREATE TABLE incidents (
    seq          BIGINT PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    dataset      TEXT,
    record_id    TEXT,
    source_hash  TEXT,
    title        TEXT NOT NULL,
    search_text  TEXT NOT NULL,
    start_date   TEXT,
    year         BIGINT,
    tlp          TEXT NOT NULL,
    body         TEXT NOT NULL,
    log_index    BIGINT NOT NULL,
    UNIQUE (dataset, record_id)
);
CREATE INDEX incidents_start_date ON incidents (start_date, seq);
CREATE INDEX incidents_year ON incidents (year);

-- One row per (incident, facet value): target_state, alleged_state, sector, operation_type.
CREATE TABLE incident_facets (
    facet        TEXT NOT NULL,
    value        TEXT NOT NULL,
    incident_seq BIGINT NOT NULL REFERENCES incidents (seq),
    PRIMARY KEY (facet, value, incident_seq)
);
CREATE INDEX incident_facets_incident ON incident_facets (incident_seq);

CREATE TABLE attributions (
    id           TEXT PRIMARY KEY,
    incident_seq BIGINT NOT NULL REFERENCES incidents (seq),
    body         TEXT NOT NULL
);
CREATE INDEX attributions_incident ON attributions (incident_seq);

CREATE TABLE responses (
    id           TEXT PRIMARY KEY,
    incident_seq BIGINT NOT NULL REFERENCES incidents (seq),
    body         TEXT NOT NULL
);
CREATE INDEX responses_incident ON responses (incident_seq);

CREATE TABLE external_assessments (
    incident_seq BIGINT PRIMARY KEY REFERENCES incidents (seq),
    body         TEXT NOT NULL
);

-- The transparency log. Entries are immutable once committed; idx is dense from 0.
CREATE TABLE log_entries (
    idx       BIGINT PRIMARY KEY,
    leaf_hash BYTEA NOT NULL,
    kind      TEXT NOT NULL,
    entry     BYTEA NOT NULL
);

-- The single row every writer locks to take the next log index. Holding it for the
-- whole transaction is what makes indices dense and in commit order.
CREATE TABLE log_head (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL
);
INSERT INTO log_head (id, size) VALUES (1, 0);
