-- An incident's log_index is public: it is the entry of the incident record itself, shown
-- with the record and linked to its receipt. Claims and consultations used to move it to
-- their own entries, so a private claim on a CLEAR incident showed the public that
-- someone had just said something about it (and the entry's actor said who).
--
-- What an assessment rests on (the record, its claims, its consultations) now has its
-- own index: facts_index, the latest such entry, NULL while that is the record's own
-- entry. It is read only to tell a stored assessment's freshness, never shown.
-- Keep side by side with the other backend's copy.
ALTER TABLE incidents ADD COLUMN facts_index BIGINT;
