-- study_selection_segments (stored): the study's table of the same name computed over every report version (sql/study_selection_segments.sql, in
-- the study's memory schema study_versions), copied by a refresh (study.store_versions) into the database's schema
-- study_versions, which a study then reads instead of computing it again while its fingerprint matches. faers_db is
-- the database file attached writable for this copy only; load.dedup drops the schema.
CREATE OR REPLACE TABLE faers_db.study_versions.study_selection_segments AS
SELECT * FROM memory.study_versions.study_selection_segments;
