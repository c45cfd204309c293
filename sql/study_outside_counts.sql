-- study_outside_counts: the reports of the cases outside study_universe_cases, counted so that a sweep selection gets
-- its number of selected reports per first quarter without deduplicating them. unit 'case': one row per case (the
-- latest_version rules keep one report per case; no such case is in a duplicate group); unit 'report': one row per
-- report (primaryid; the none rule keeps each report once). seen: the first quarter the case (report) has a version
-- in, so it is in a selection through any cutoff >= seen; deleted_quarter: the first quarter FDA listed the case as
-- deleted (a selection through any cutoff >= it drops the case); first_quarter: the quarter the case first reached
-- FAERS (study_case_first_quarters, the timeline's as-of key). Once per study run.
CREATE OR REPLACE TABLE study_outside_counts AS
WITH deleted AS (
    SELECT caseid, min(quarter) AS deleted_quarter FROM faers_db.main.deleted_cases GROUP BY caseid
),
reports AS (
    SELECT d.primaryid, coalesce(d.caseid, d.primaryid) AS caseid, min(d.quarter) AS seen
    FROM faers_db.main.demo_all d
    ANTI JOIN study_universe_cases u ON u.caseid = coalesce(d.caseid, d.primaryid)
    WHERE d.primaryid IS NOT NULL
    GROUP BY ALL
),
units AS (
    SELECT 'case' AS unit, caseid, min(seen) AS seen FROM reports GROUP BY caseid
    UNION ALL
    SELECT 'report', caseid, seen FROM reports
),
final AS (
    SELECT u.unit, f.first_quarter, u.seen, x.deleted_quarter, count(*) AS reports
    FROM units u
    JOIN study_case_first_quarters f ON f.caseid = u.caseid
    LEFT JOIN deleted x ON x.caseid = u.caseid
    GROUP BY ALL
)
SELECT * FROM final;
