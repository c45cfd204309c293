-- study_report_characteristics: one row per CAR T report of the current selection and roles (study_exposed, within
-- study_reports) with the descriptive fields of Table 1 and whether it counts as an SPM report.
-- reporter_type: health professional = occp_cod MD, PH, HP, OT; consumer = CN; other/unknown otherwise (LW, blank).
-- country: occurrence country, else reporter country; serious: any OUTC outcome (every FAERS outcome code is a
-- serious outcome: DE, LT, HO, DS, CA, RI, OT); receipt_year: year of the case's initial FDA receipt.
WITH exposed AS (
    SELECT DISTINCT x.primaryid FROM study_exposed x SEMI JOIN study_reports r USING (primaryid)
),
outcome_flags AS (
    SELECT primaryid, count(*) > 0 AS serious, bool_or(upper(trim(outc_cod)) = 'DE') AS died
    FROM outcomes SEMI JOIN exposed USING (primaryid)
    GROUP BY primaryid
),
final AS (
    SELECT
        e.primaryid,
        CASE WHEN c.age_years IS NULL THEN 'unknown' WHEN c.age_years < 18 THEN '0-17' WHEN c.age_years < 45 THEN '18-44'
             WHEN c.age_years < 65 THEN '45-64' WHEN c.age_years < 75 THEN '65-74' ELSE '75+' END AS age_band,
        coalesce(CASE WHEN c.sex IN ('M', 'F') THEN c.sex END, 'unknown') AS sex,
        CASE coalesce(c.occr_country, c.reporter_country) WHEN 'US' THEN 'US' WHEN NULL THEN 'unknown'
             ELSE CASE WHEN coalesce(c.occr_country, c.reporter_country) IS NULL THEN 'unknown' ELSE 'non-US' END END
            AS country,
        CASE WHEN c.occp_cod IN ('MD', 'PH', 'HP', 'OT') THEN 'health professional' WHEN c.occp_cod = 'CN' THEN 'consumer'
             ELSE 'other or unknown' END AS reporter_type,
        coalesce(CAST(year(coalesce(c.init_fda_dt, c.fda_dt)) AS VARCHAR), 'unknown') AS receipt_year,
        CASE WHEN coalesce(o.serious, false) THEN 'yes' ELSE 'no' END AS serious_outcome,
        CASE WHEN coalesce(o.died, false) THEN 'yes' ELSE 'no' END AS death,
        e.primaryid IN (SELECT primaryid FROM study_event_groups WHERE event_group = 'spm') AS spm
    FROM exposed e
    JOIN cases c ON c.primaryid = e.primaryid
    LEFT JOIN outcome_flags o ON o.primaryid = e.primaryid
)
SELECT * FROM final ORDER BY primaryid;
