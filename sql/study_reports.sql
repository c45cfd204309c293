-- study_reports: every selected report with the quarter its case first reached FAERS (for the timeline).
CREATE OR REPLACE TABLE study_reports AS
WITH selected AS (
    SELECT primaryid, caseid FROM case_selected
),
final AS (
    SELECT s.primaryid, v.first_quarter
    FROM selected s
    JOIN study_case_first_quarters v ON v.caseid = coalesce(s.caseid, s.primaryid)
)
SELECT * FROM final;
