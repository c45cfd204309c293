-- study_report_stratum_bits (stored, own selection): the table of the same name that the database's own selection builds in its
-- schema (study.select over the versions tables, the database's dedup rule through the last quarter), copied by a
-- refresh (study.store_versions, on a cursor that finds the selection's schema first) into the database's schema
-- study_own, which the report's main selection then reads while its fingerprint matches. load.dedup drops the schema.
CREATE OR REPLACE TABLE faers_db.study_own.study_report_stratum_bits AS
SELECT * FROM study_report_stratum_bits;
