-- The search index (pacta-search) catches up on incidents whose latest log entry is at
-- or after the log size it last covered: a keyset scan on (log_index, seq), so a restart
-- re-reads only what changed. Keep side by side with the other backend's copy.
CREATE INDEX IF NOT EXISTS incidents_log_index ON incidents (log_index, seq);
