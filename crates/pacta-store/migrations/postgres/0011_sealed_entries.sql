-- A sealed log entry (a change to a record above TLP:CLEAR) commits to its actor, kind and
-- record together with a random salt, kept here and never published: without it, anyone
-- who could guess a record (a claim made public later, a sharing list) could test guesses
-- against the digest and learn who did what. The salt also lets the registry check its
-- own `kind` column against the entry's commitment to the kind. NULL for entries that
-- name their kind and actor in the clear.
ALTER TABLE log_entries ADD COLUMN salt TEXT;
