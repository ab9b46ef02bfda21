-- Signed checkpoints. Keep side by side with ../postgres/0002_checkpoints.sql.

-- Which key signs this log. Written once, when the log's first checkpoint is signed; a
-- store refuses to sign with any other key afterwards.
CREATE TABLE log_identity (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    origin TEXT NOT NULL,
    vkey   TEXT NOT NULL
);

-- The latest signed checkpoint: exactly one row, changed only by compare-and-swap on
-- size (UPDATE ... WHERE size = <the size the signer started from>). Because the tree
-- of a given size is fixed by the committed entries, and only one signer can win each
-- swap, the log can never sign two checkpoints of one size with different roots.
-- frontier holds the tree's right edge at this size, so the next signer resumes from it.
CREATE TABLE log_checkpoint (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    size     INTEGER NOT NULL,
    root     BLOB NOT NULL,
    note     TEXT NOT NULL,
    frontier BLOB NOT NULL
);

-- Every checkpoint ever signed, for auditors: each must be consistent with the next.
CREATE TABLE log_checkpoints (
    size      INTEGER PRIMARY KEY,
    root      BLOB NOT NULL,
    note      TEXT NOT NULL,
    signed_at TEXT NOT NULL
);
