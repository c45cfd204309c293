-- duplicate_features (temp): one row per report of the current selection with the fields the cross-report
-- duplicate model compares, normalised, and its blocking keys. Built while case_selected holds the
-- latest_version selection (faers/duplicates.py). Blocking keys are hashes; a key is NULL when the report lacks
-- one of its fields or when more than $max_block reports share it (an uninformative block: "US, female, 60,
-- adalimumab" is not a patient), which caps the candidate pairs at n * max_block / 2 per rule; the broad key
-- key_drug_country (ingredient set and country only) keeps only rare combinations ($max_broad_block).
CREATE OR REPLACE TEMP TABLE duplicate_features AS
WITH selected AS (
    SELECT primaryid, quarter FROM case_selected
),
base AS (
    SELECT
        c.primaryid,
        c.caseid,
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
),
ingredients AS (
    SELECT primaryid, list_sort(list_distinct(list(ingredient))) AS ingredients
    FROM drug_ingredients
    WHERE role_cod IN ('PS', 'SS', 'I') AND ingredient <> ''
    GROUP BY primaryid
),
pts AS (
    SELECT primaryid, list_sort(list_distinct(list(lower(trim(pt))))) AS pts
    FROM reactions
    WHERE nullif(trim(pt), '') IS NOT NULL
    GROUP BY primaryid
),
outcomes AS (
    SELECT primaryid, list_sort(list_distinct(list(outc_cod))) AS outcomes
    FROM (SELECT primaryid, upper(trim(outc_cod)) AS outc_cod FROM outcomes)
    WHERE outc_cod <> ''
    GROUP BY primaryid
),
therapy_starts AS (
    SELECT primaryid, min(start_dt) AS therapy_start
    FROM therapies
    WHERE start_dt_precision = 'day'
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
),
keyed AS (
    SELECT *,
           mfr_num AS key_mfr_num,
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
    FROM joined
),
final AS (
    SELECT primaryid, caseid, quarter, fda_dt, sex, age_years, event_dt, event_precision, event_year,
           reporter_country, occr_country, mfr_num, ingredients, pts, outcomes, wt_kg, therapy_start,
           -- how much the report says, for choosing a group's representative
           (sex IS NOT NULL)::INTEGER + (age_years IS NOT NULL)::INTEGER + (event_dt IS NOT NULL)::INTEGER
               + (event_precision = 'day')::INTEGER + (reporter_country IS NOT NULL)::INTEGER
               + (occr_country IS NOT NULL)::INTEGER + (mfr_num IS NOT NULL)::INTEGER + (wt_kg IS NOT NULL)::INTEGER
               + (therapy_start IS NOT NULL)::INTEGER + (ingredients IS NOT NULL)::INTEGER
               + (pts IS NOT NULL)::INTEGER + (outcomes IS NOT NULL)::INTEGER AS completeness,
           CASE WHEN count(*) OVER (PARTITION BY key_mfr_num) <= $max_block THEN key_mfr_num END AS key_mfr_num,
           CASE WHEN count(*) OVER (PARTITION BY key_event_drug) <= $max_block THEN key_event_drug END AS key_event_drug,
           CASE WHEN count(*) OVER (PARTITION BY key_age_drug) <= $max_block THEN key_age_drug END AS key_age_drug,
           CASE WHEN count(*) OVER (PARTITION BY key_pt_drug) <= $max_block THEN key_pt_drug END AS key_pt_drug,
           CASE WHEN count(*) OVER (PARTITION BY key_event_age) <= $max_block THEN key_event_age END AS key_event_age,
           CASE WHEN count(*) OVER (PARTITION BY key_drug_country) <= $max_broad_block THEN key_drug_country END
               AS key_drug_country
    FROM keyed
)
SELECT * FROM final;
