-- study_case_first_quarters: the quarter each case first reached FAERS, once per study run over every report
-- version. The same for any cutoff a selected report is seen at: the report itself is a version published by
-- the cutoff, so no later version can be the case's first.
CREATE OR REPLACE TABLE study_case_first_quarters AS
SELECT coalesce(caseid, primaryid) AS caseid, min(quarter) AS first_quarter
FROM faers_db.main.demo_all
GROUP BY 1;
