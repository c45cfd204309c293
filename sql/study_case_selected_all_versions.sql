-- case_selected of the study's versions schema (study_versions): every report version in the database, keyed as the loader keys a
-- selection, so the vocabulary views can be materialised once over all versions (study_*_versions) before the
-- report selections, each a subset of these (primaryid, quarter) rows, are built.
CREATE OR REPLACE TABLE case_selected AS
SELECT DISTINCT primaryid, quarter, coalesce(caseid, primaryid) AS caseid
FROM faers_db.main.demo_all
WHERE primaryid IS NOT NULL;
