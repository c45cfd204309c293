-- classify_keys (in a scratch schema of the study's versions, study._classify): every report version of the versions
-- schema's case_selected (all of them) under a key of its own, so the classifier run over them (keyed by primaryid)
-- decides each version from that version's rows alone: study_report_neoplasm_term_versions and
-- study_event_group_versions map the keys back to (primaryid, quarter).
CREATE OR REPLACE TABLE classify_keys AS
WITH versions AS (
    SELECT DISTINCT primaryid, quarter FROM case_selected
),
final AS (
    SELECT primaryid, quarter, row_number() OVER () AS classify_key FROM versions
)
SELECT * FROM final;
