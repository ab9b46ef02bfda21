-- Accounts, their credentials, web sessions, and who each restricted incident is shared
-- with. Keep this file and ../sqlite/0006_accounts.sql side by side:
-- same tables and columns; only the type names differ.
--
-- No secret is stored in the clear: passwords as argon2id PHC strings, API tokens and
-- session ids as the SHA-256 of their 32 random bytes.

CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    -- administrator, party, verifier, arbitrator, mediator (see policies/README.md)
    role          TEXT NOT NULL,
    party         TEXT,
    organisation  TEXT,
    password_hash TEXT,
    created_at    TEXT NOT NULL,
    disabled_at   TEXT
);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    token_sha256 BYTEA NOT NULL UNIQUE,
    -- "read" or "read write"
    scope        TEXT NOT NULL,
    label        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

CREATE TABLE sessions (
    id_sha256  BYTEA PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    csrf       TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- The parties and organisations (state:FR, org:fr-cert) an AMBER or AMBER+STRICT
-- incident is shared with, and the accounts (account:NAME) named for a RED one.
CREATE TABLE incident_grants (
    incident_seq BIGINT NOT NULL REFERENCES incidents (seq),
    grantee      TEXT NOT NULL,
    PRIMARY KEY (incident_seq, grantee)
);
CREATE INDEX incident_grants_grantee ON incident_grants (grantee, incident_seq);
