-- `cases` has one row per report, and one per case (caseid) unless the dedup rule keeps every version (none).
-- severity: error
-- The ids with more than one row are found by counting alone; only theirs are listed with their quarters (a list
-- for every one of the 18.5 M reports at full size took most of the check's 11 s). NULL ids match each other, as
-- GROUP BY groups them.
WITH rule AS (
    SELECT coalesce(max(value), 'latest_version') AS name FROM faers_settings WHERE key = 'dedup_rule'
),
repeated_reports AS (
    SELECT primaryid FROM cases GROUP BY primaryid HAVING count(*) > 1
),
repeated_cases AS (
    SELECT caseid FROM cases WHERE (SELECT name FROM rule) <> 'none' GROUP BY caseid HAVING count(*) > 1
),
by_report AS (
    SELECT 'primaryid' AS key, primaryid AS id, count(*) AS rows_in_cases, list(quarter ORDER BY quarter) AS quarters
    FROM cases c SEMI JOIN repeated_reports r ON c.primaryid IS NOT DISTINCT FROM r.primaryid
    GROUP BY primaryid
),
by_case AS (
    SELECT 'caseid' AS key, caseid AS id, count(*) AS rows_in_cases, list(quarter ORDER BY quarter) AS quarters
    FROM cases c SEMI JOIN repeated_cases r ON c.caseid IS NOT DISTINCT FROM r.caseid
    GROUP BY caseid
),
final AS (
    SELECT * FROM by_report
    UNION ALL
    SELECT * FROM by_case
)
SELECT * FROM final ORDER BY key, id;
