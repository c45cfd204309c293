-- Quarters loaded but not deduplicated: a load after the last dedup (dedup_pending), or a loaded quarter with a
-- case (not deleted) none of whose reports is selected. The case test needs a rule that keeps a report of every
-- case, so it runs for latest_version and none only.
-- severity: error
WITH rule AS (
    SELECT coalesce(max(value), 'latest_version') AS name FROM faers_settings WHERE key = 'dedup_rule'
),
pending AS (
    SELECT '(all)' AS quarter, 'a quarter was loaded after the last dedup: ' || value AS problem,
           NULL::BIGINT AS cases_without_report, NULL::BIGINT AS first_caseid
    FROM faers_settings WHERE key = 'dedup_pending'
),
reports AS (
    SELECT quarter, coalesce(caseid, primaryid) AS caseid FROM demo_all WHERE primaryid IS NOT NULL
),
unselected AS (
    SELECT r.quarter, r.caseid FROM reports r
    ANTI JOIN deleted_cases d ON r.caseid = d.caseid
    ANTI JOIN case_selected s ON r.caseid = s.caseid
    WHERE (SELECT name FROM rule) IN ('latest_version', 'none')
),
stale AS (
    SELECT quarter, 'cases of this quarter have no selected report: rerun `faers refresh` or `faers dedup`' AS problem,
           count(DISTINCT caseid) AS cases_without_report, min(caseid) AS first_caseid
    FROM unselected GROUP BY quarter
),
final AS (
    SELECT * FROM pending
    UNION ALL
    SELECT * FROM stale
)
SELECT * FROM final ORDER BY quarter;
