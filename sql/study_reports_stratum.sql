-- study_reports restricted to one stratum ($stratum) of the whole selection, exposed and comparator reports alike:
--   health_professional: reporter occupation MD, PH, HP or OT (FDA: physician, pharmacist, health professional,
--     other health professional); consumers (CN), lawyers (LW) and unknown occupations are dropped
--   us_occurrence: occurrence country US
--   without_study_reports: no report source SDY (study) in RPSR
--   received_before_2023-11-28 / received_from_2023-11-28: the case's initial FDA receipt (init_fda_dt) before /
--     on or after FDA's announcement of its T-cell malignancy investigation; unknown receipt dates are dropped
-- Each report's strata are bits of study_report_stratum_bits (the selection's, computed once; the definitions are
-- there). In an options schema: its own study_reports.
CREATE OR REPLACE TABLE study_reports AS
SELECT * EXCLUDE (strata) FROM study_report_stratum_bits
WHERE strata & CASE CAST($stratum AS VARCHAR)
    WHEN 'health_professional' THEN 1
    WHEN 'us_occurrence' THEN 2
    WHEN 'without_study_reports' THEN 4
    WHEN 'received_before_2023-11-28' THEN 8
    WHEN 'received_from_2023-11-28' THEN 16
    ELSE error('study_reports_stratum: unknown stratum ' || CAST($stratum AS VARCHAR))
END <> 0;
