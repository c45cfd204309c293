-- case_facts_live: one row per report of `case_selected` as it resolves now, with the derived fields of the user
-- view `cases` (dates, age in years, weight in kg, ISO countries). Materialised as table case_facts at dedup
-- (core_case_facts); read directly by `cases` only where case_selected may be shadowed (see out_cases).
CREATE OR REPLACE VIEW case_facts_live AS
WITH selected AS (
    SELECT primaryid, quarter FROM case_selected
),
demo AS (
    -- The loader keeps one DEMO row per (primaryid, quarter), so this join yields one row per report.
    SELECT d.*
    FROM demo_all d
    SEMI JOIN selected s ON d.primaryid = s.primaryid AND d.quarter = s.quarter
),
countries AS (
    SELECT name, iso2 FROM ref_countries
),
final AS (
    SELECT
        d.primaryid,
        d.caseid,
        coalesce(d.caseversion, 0) AS caseversion,
        d.quarter,
        d.era,
        upper(trim(d.i_f_code)) AS i_f_code,
        faers_date(d.fda_dt) AS fda_dt,
        faers_date(d.init_fda_dt) AS init_fda_dt,
        faers_date(d.event_dt) AS event_dt,
        faers_date_precision(d.event_dt) AS event_dt_precision,
        faers_date(d.mfr_dt) AS mfr_dt,
        faers_date(d.rept_dt) AS rept_dt,
        faers_age_years(d.age, d.age_cod) AS age_years,
        d.age,
        upper(trim(d.age_cod)) AS age_cod,
        upper(trim(d.age_grp)) AS age_grp,
        CASE upper(trim(d.sex)) WHEN 'M' THEN 'M' WHEN 'F' THEN 'F' WHEN 'UNK' THEN 'UNK' WHEN 'NS' THEN 'UNK' END AS sex,
        faers_weight_kg(d.wt, d.wt_cod) AS wt_kg,
        CASE WHEN length(trim(d.reporter_country)) = 2 THEN upper(trim(d.reporter_country)) ELSE rc.iso2 END
            AS reporter_country,
        d.reporter_country AS reporter_country_raw,
        CASE WHEN length(trim(d.occr_country)) = 2 THEN upper(trim(d.occr_country)) ELSE oc.iso2 END
            AS occr_country,
        upper(trim(d.occp_cod)) AS occp_cod,
        upper(trim(d.rept_cod)) AS rept_cod,
        d.mfr_sndr,
        d.mfr_num,
        d.auth_num,
        d.lit_ref,
        d.e_sub,
        d.to_mfr
    FROM demo d
    LEFT JOIN countries rc ON rc.name = upper(trim(d.reporter_country))
    LEFT JOIN countries oc ON oc.name = upper(trim(d.occr_country))
)
SELECT * FROM final;
