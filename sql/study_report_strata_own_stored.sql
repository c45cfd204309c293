-- study_report_strata (stored, own selection): the rows of the view of the same name as the database's own selection
-- has it in its schema (every selected report's stratum for the stratified expected counts), copied as a table by a
-- refresh (study.store_versions, on a cursor that finds the selection's schema first) into the database's schema
-- study_own, which the report's main selection then reads while its fingerprint matches. load.dedup drops the schema.
CREATE OR REPLACE TABLE faers_db.study_own.study_report_strata AS
SELECT * FROM study_report_strata;
