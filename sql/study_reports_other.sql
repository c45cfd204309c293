-- study_reports_other: a counting selection's selected reports outside its rows (cases outside study_universe_cases,
-- counted in study_outside_counts by $unit, the dedup rule's unit: 'case' or 'report') per first quarter, through
-- the cutoff $through; no rows for a full selection ($outside false). The counts that take every report (the `all`
-- comparator's N, the number of reports) add these; no other count can see them.
CREATE OR REPLACE TABLE study_reports_other AS
WITH final AS (
    SELECT o.first_quarter, sum(o.reports) AS reports
    FROM study_outside_counts o
    WHERE CAST($outside AS BOOLEAN) AND o.unit = CAST($unit AS VARCHAR) AND o.seen <= CAST($through AS VARCHAR)
      AND (o.deleted_quarter IS NULL OR o.deleted_quarter > CAST($through AS VARCHAR))
    GROUP BY o.first_quarter
)
SELECT first_quarter, CAST(reports AS BIGINT) AS reports FROM final;
