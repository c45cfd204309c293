-- study_reports restricted to one stratum ($stratum) of the whole selection, exposed and comparator reports alike:
--   health_professional: reporter occupation MD, PH, HP or OT (FDA: physician, pharmacist, health professional,
--     other health professional); consumers (CN), lawyers (LW) and unknown occupations are dropped
--   us_occurrence: occurrence country US
--   without_study_reports: no report source SDY (study) in RPSR
--   received_before_2023-11-28 / received_from_2023-11-28: the case's initial FDA receipt (init_fda_dt) before /
--     on or after FDA's announcement of its T-cell malignancy investigation; unknown receipt dates are dropped
-- In an options schema: its own study_reports, from the selection's (the FROM resolves to the schema below it).
CREATE OR REPLACE TABLE study_reports AS
SELECT * FROM study_reports
WHERE primaryid IN (
    SELECT c.primaryid
    FROM cases c
    WHERE CASE CAST($stratum AS VARCHAR)
        WHEN 'health_professional' THEN coalesce(c.occp_cod IN ('MD', 'PH', 'HP', 'OT'), false)
        WHEN 'us_occurrence' THEN coalesce(c.occr_country = 'US', false)
        WHEN 'without_study_reports' THEN NOT EXISTS (
            SELECT 1 FROM report_sources s WHERE s.primaryid = c.primaryid AND upper(trim(s.rpsr_cod)) = 'SDY')
        WHEN 'received_before_2023-11-28' THEN coalesce(c.init_fda_dt < DATE '2023-11-28', false)
        WHEN 'received_from_2023-11-28' THEN coalesce(c.init_fda_dt >= DATE '2023-11-28', false)
        ELSE error('study_reports_stratum: unknown stratum ' || CAST($stratum AS VARCHAR))
    END
);
