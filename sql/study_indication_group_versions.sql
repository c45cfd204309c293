-- study_indication_group_versions: the vocabulary view indication_group_rows over every report version (case_selected holds all
-- versions while this runs), once per study run; each selection takes its rows by (primaryid, quarter).
CREATE OR REPLACE TABLE study_indication_group_versions AS
SELECT * FROM indication_group_rows;
