-- duplicate_candidates (method exact): the AEOLUS rule (Banda et al., Sci Data 2016;3:160026) — pairs of reports
-- equal on event date, age, sex, reporter country, the suspect ingredient set and the PT set, all six present
-- (duplicates.EXACT_RULE_FIELDS); probability 1, no weight.
CREATE OR REPLACE TEMP TABLE duplicate_candidates AS
WITH keyed AS (
    SELECT primaryid, hash(event_dt, age_years, sex, reporter_country, ingredients, pts) AS k
    FROM duplicate_features
    WHERE event_dt IS NOT NULL AND age_years IS NOT NULL AND sex IS NOT NULL AND reporter_country IS NOT NULL
      AND ingredients IS NOT NULL AND pts IS NOT NULL
)
SELECT l.primaryid AS primaryid_l, r.primaryid AS primaryid_r, 1.0::DOUBLE AS match_probability,
       CAST(NULL AS DOUBLE) AS match_weight
FROM keyed l JOIN keyed r ON l.k = r.k AND l.primaryid < r.primaryid
