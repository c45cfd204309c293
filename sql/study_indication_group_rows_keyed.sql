-- indication_group_rows (in a scratch schema of the classifier, study._classify): the vocabulary view's rows of the report
-- versions in classify_keys, taken from study_indication_group_versions (the view over every report version) by
-- (primaryid, quarter), each under its version's classify_key as primaryid, so the classifier's views copied there
-- read them in the view's place.
CREATE OR REPLACE TABLE indication_group_rows AS
SELECT v.* REPLACE (k.classify_key AS primaryid)
FROM study_indication_group_versions v
JOIN classify_keys k ON k.primaryid = v.primaryid AND k.quarter = v.quarter;
