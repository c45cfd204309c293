-- study_neoplasm_indication_versions: the vocabulary view vocab_neoplasm_indication_rows over every report version
-- (case_selected holds all versions while this runs), once per study run; each selection takes its rows by
-- (primaryid, quarter).
CREATE OR REPLACE TABLE study_neoplasm_indication_versions AS
SELECT * FROM vocab_neoplasm_indication_rows;
