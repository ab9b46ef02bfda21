-- What opens a sealed entry: its actor and its record, as the entry committed to them
-- (with its kind and salt, kept beside the entry). Never published; handed only to the
-- entry's own actor, so that a party can show anyone, offline, that the log holds the
-- change it made (a notification, a filing) at the time it says. Bulk imports keep none:
-- their records are the source data sets' rows. One row per sealed entry, immutable.
CREATE TABLE log_openings (
    idx    BIGINT PRIMARY KEY,
    actor  TEXT NOT NULL,
    record TEXT NOT NULL
);
