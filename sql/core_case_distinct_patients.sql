-- case_selected (rule "latest_version+duplicates", second step after core_case_latest): one report per patient.
-- Of each duplicate group (duplicate_groups, by caseid, so a cutoff's older versions are matched too) the
-- best-ranked case present in the selection is kept; reports in no group pass through.
CREATE OR REPLACE TABLE case_selected AS
WITH selected AS (
    SELECT primaryid, quarter, caseid FROM case_selected
),
groups AS (
    SELECT caseid, group_id, representative_rank FROM duplicate_groups
),
ranked AS (
    SELECT s.primaryid, s.quarter, s.caseid, g.group_id, g.representative_rank
    FROM selected s
    LEFT JOIN groups g ON g.caseid = s.caseid
),
final AS (
    SELECT primaryid, quarter, caseid
    FROM ranked
    QUALIFY group_id IS NULL
         OR row_number() OVER (PARTITION BY group_id ORDER BY representative_rank, primaryid DESC) = 1
)
SELECT * FROM final;
