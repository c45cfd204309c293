-- study_report_stratum_bits: every row of the selection's study_reports with the strata of study_reports_stratum its
-- report is in, as bits: 1 health_professional, 2 us_occurrence, 4 without_study_reports,
-- 8 received_before_2023-11-28, 16 received_from_2023-11-28 (a report selected twice is in a stratum when either
-- selected version is). Computed once per selection, at its first stratum, so that each stratum is a filter of this
-- table, not a join of the selection's reports with `cases` and report_sources (about 4 s a stratum at full size).
CREATE OR REPLACE TABLE study_report_stratum_bits AS
WITH study_sources AS (
    SELECT DISTINCT primaryid FROM report_sources WHERE upper(trim(rpsr_cod)) = 'SDY'
),
row_bits AS (
    SELECT c.primaryid,
           CASE WHEN coalesce(c.occp_cod IN ('MD', 'PH', 'HP', 'OT'), false) THEN 1 ELSE 0 END
           | CASE WHEN coalesce(c.occr_country = 'US', false) THEN 2 ELSE 0 END
           | CASE WHEN s.primaryid IS NULL THEN 4 ELSE 0 END
           | CASE WHEN coalesce(c.init_fda_dt < DATE '2023-11-28', false) THEN 8 ELSE 0 END
           | CASE WHEN coalesce(c.init_fda_dt >= DATE '2023-11-28', false) THEN 16 ELSE 0 END AS strata
    FROM cases c
    LEFT JOIN study_sources s ON s.primaryid = c.primaryid
),
-- a report has more than one row in `cases` only when FDA published its primaryid under two case ids (each rule
-- selects one version per case, and rule none one per primaryid): only those reports' rows are combined, not every
-- report grouped (a hash aggregate of ~18 M groups at full size)
report_bits AS (
    SELECT primaryid, strata FROM row_bits ANTI JOIN study_split_reports x USING (primaryid)
    UNION ALL
    SELECT primaryid, bit_or(strata) FROM row_bits SEMI JOIN study_split_reports x USING (primaryid)
    GROUP BY primaryid
),
final AS (
    SELECT r.*, coalesce(b.strata, 0) AS strata
    FROM study_reports r
    LEFT JOIN report_bits b ON b.primaryid = r.primaryid
)
SELECT * FROM final;
