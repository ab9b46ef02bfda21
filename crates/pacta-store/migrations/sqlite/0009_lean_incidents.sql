-- Leaner incident rows: every imported incident writes its row, its facet rows and its
-- log entry in one transaction, so each byte and each index is paid a million times in
-- a large import. Keep side by side with the other backend's copy.
--
-- The lower-cased copy of title and description served `LIKE` search before full-text
-- search moved to its own index (pacta-search); the remaining literal text filter reads
-- the title and the body's description instead.
ALTER TABLE incidents DROP COLUMN search_text;
-- Only replacing an incident's facet rows used it; that now deletes the old rows by their
-- primary key (facets are a pure function of the stored incident).
DROP INDEX incident_facets_incident;
-- New incidents land at random places in a start-date index (dates are not in import
-- order), so every import batch rewrote most of its pages. Date filters go through the
-- year index instead (year = the start date's year), which grows at a few points only.
DROP INDEX incidents_start_date;
