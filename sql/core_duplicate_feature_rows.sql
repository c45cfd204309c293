-- duplicate_feature_rows(lo, hi) (temp macro): the rows of duplicate_features for the reports of case_selected with
-- primaryid between lo and hi — the fields the cross-report duplicate model compares, normalised, with their raw
-- blocking keys (hashes; NULL when the report lacks one of the key's fields). faers/duplicates.py inserts them one
-- primaryid range at a time (core_duplicate_feature_ranges): DuckDB cannot spill the states of list(), so the
-- ingredient, PT and outcome lists of all 18 M reports of full FAERS in one aggregate exceed the memory limit.
CREATE OR REPLACE TEMP MACRO duplicate_feature_rows(lo, hi) AS TABLE
WITH base AS (
    SELECT
        c.primaryid,
        -- the case key of every dedup rule: a report without a caseid is its own case
        coalesce(c.caseid, c.primaryid) AS caseid,
        c.quarter,
        c.fda_dt,
        CASE WHEN c.sex IN ('M', 'F') THEN c.sex END AS sex,
        c.age_years,
        CASE WHEN c.event_dt_precision IN ('day', 'month', 'year') THEN c.event_dt END AS event_dt,
        c.event_dt_precision AS event_precision,
        c.reporter_country,
        c.occr_country,
        nullif(upper(regexp_replace(c.mfr_num, '[^A-Za-z0-9]', '', 'g')), '') AS mfr_num,
        c.wt_kg
    FROM cases c
    WHERE c.primaryid BETWEEN lo AND hi
),
ingredients AS (
    SELECT primaryid, list_sort(list_distinct(list(ingredient))) AS ingredients
    FROM drug_ingredient_lines
    WHERE role_cod IN ('PS', 'SS', 'I') AND ingredient <> '' AND primaryid BETWEEN lo AND hi
    GROUP BY primaryid
),
pts AS (
    SELECT primaryid, list_sort(list_distinct(list(lower(trim(pt))))) AS pts
    FROM reactions
    WHERE nullif(trim(pt), '') IS NOT NULL AND primaryid BETWEEN lo AND hi
    GROUP BY primaryid
),
outcomes AS (
    SELECT primaryid, list_sort(list_distinct(list(outc_cod))) AS outcomes
    FROM (SELECT primaryid, upper(trim(outc_cod)) AS outc_cod FROM outcomes WHERE primaryid BETWEEN lo AND hi)
    WHERE outc_cod <> ''
    GROUP BY primaryid
),
therapy_starts AS (
    SELECT primaryid, min(start_dt) AS therapy_start
    FROM therapies
    WHERE start_dt_precision = 'day' AND primaryid BETWEEN lo AND hi
    GROUP BY primaryid
),
joined AS (
    SELECT b.*, i.ingredients, p.pts, o.outcomes, t.therapy_start,
           CASE WHEN b.event_precision IN ('day', 'month') THEN hash(b.event_dt, b.event_precision) END AS event_key,
           CASE WHEN b.event_dt IS NOT NULL THEN year(b.event_dt) END AS event_year,
           floor(b.age_years)::INTEGER AS age_int,
           CASE WHEN i.ingredients IS NOT NULL THEN hash(i.ingredients) END AS ingredient_key,
           CASE WHEN p.pts IS NOT NULL THEN hash(p.pts) END AS pt_key
    FROM base b
    LEFT JOIN ingredients i USING (primaryid)
    LEFT JOIN pts p USING (primaryid)
    LEFT JOIN outcomes o USING (primaryid)
    LEFT JOIN therapy_starts t USING (primaryid)
)
SELECT primaryid, caseid, quarter, fda_dt, sex, age_years, event_dt, event_precision, event_year,
       reporter_country, occr_country, mfr_num, ingredients, pts, outcomes, wt_kg, therapy_start,
       -- how much the report says, for choosing a group's representative
       (sex IS NOT NULL)::INTEGER + (age_years IS NOT NULL)::INTEGER + (event_dt IS NOT NULL)::INTEGER
           + (event_precision = 'day' IS TRUE)::INTEGER + (reporter_country IS NOT NULL)::INTEGER
           + (occr_country IS NOT NULL)::INTEGER + (mfr_num IS NOT NULL)::INTEGER + (wt_kg IS NOT NULL)::INTEGER
           + (therapy_start IS NOT NULL)::INTEGER + (ingredients IS NOT NULL)::INTEGER
           + (pts IS NOT NULL)::INTEGER + (outcomes IS NOT NULL)::INTEGER AS completeness,
       CASE WHEN mfr_num IS NOT NULL THEN hash(mfr_num) END AS key_mfr_num,
       CASE WHEN event_key IS NOT NULL AND sex IS NOT NULL AND ingredient_key IS NOT NULL
            THEN hash(event_key, sex, ingredient_key) END AS key_event_drug,
       CASE WHEN age_int IS NOT NULL AND sex IS NOT NULL AND occr_country IS NOT NULL AND ingredient_key IS NOT NULL
            THEN hash(age_int, sex, occr_country, ingredient_key) END AS key_age_drug,
       CASE WHEN pt_key IS NOT NULL AND ingredient_key IS NOT NULL
            THEN hash(pt_key, ingredient_key) END AS key_pt_drug,
       CASE WHEN event_key IS NOT NULL AND age_int IS NOT NULL AND sex IS NOT NULL
            THEN hash(event_key, age_int, sex) END AS key_event_age,
       CASE WHEN ingredient_key IS NOT NULL AND occr_country IS NOT NULL
            THEN hash(ingredient_key, occr_country) END AS key_drug_country
FROM joined;
