-- study_reports: every selected report with the quarter its case first reached FAERS (for the timeline).
CREATE OR REPLACE TEMP TABLE study_reports AS
WITH selected AS (
    SELECT primaryid, caseid FROM case_selected
),
versions AS (
    SELECT coalesce(caseid, primaryid) AS caseid, min(quarter) AS first_quarter FROM demo_all GROUP BY 1
),
final AS (
    SELECT s.primaryid, v.first_quarter
    FROM selected s
    JOIN versions v ON v.caseid = coalesce(s.caseid, s.primaryid)
)
SELECT * FROM final;
