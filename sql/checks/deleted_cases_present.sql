-- No report of a case FDA listed as deleted (any quarter's Deleted/ file) is in the selected reports.
-- severity: error
WITH deleted AS (
    SELECT caseid, min(quarter) AS deleted_in FROM deleted_cases GROUP BY caseid
),
selected AS (
    SELECT primaryid, quarter, caseid FROM case_selected
),
final AS (
    SELECT s.primaryid, s.caseid, s.quarter, d.deleted_in
    FROM selected s JOIN deleted d ON s.caseid = d.caseid
)
SELECT * FROM final ORDER BY caseid, primaryid;
