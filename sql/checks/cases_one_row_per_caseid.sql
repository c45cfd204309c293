-- `cases` has one row per report, and one per case (caseid) unless the dedup rule keeps every version (none).
-- severity: error
WITH rule AS (
    SELECT coalesce(max(value), 'latest_version') AS name FROM faers_settings WHERE key = 'dedup_rule'
),
by_report AS (
    SELECT 'primaryid' AS key, primaryid AS id, count(*) AS rows_in_cases, list(quarter ORDER BY quarter) AS quarters
    FROM cases GROUP BY primaryid HAVING count(*) > 1
),
by_case AS (
    SELECT 'caseid' AS key, caseid AS id, count(*) AS rows_in_cases, list(quarter ORDER BY quarter) AS quarters
    FROM cases
    WHERE (SELECT name FROM rule) <> 'none'
    GROUP BY caseid HAVING count(*) > 1
),
final AS (
    SELECT * FROM by_report
    UNION ALL
    SELECT * FROM by_case
)
SELECT * FROM final ORDER BY key, id;
