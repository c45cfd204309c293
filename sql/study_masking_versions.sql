-- study_masking_versions: every report version naming a drug whose own label carries an SPM warning
-- (vocab_masking_drugs, e.g. lenalidomide), whose SPMs would mask a CAR T signal, with the reason, computed once per
-- study run (or stored by a refresh) over every report version: case_selected holds all versions while this runs,
-- so drug_ingredient_texts maps the whole database's distinct drug texts. Deliberately: a drug name without prod_ai
-- whose brackets name an ingredient ('REVLIMID (LENALIDOMIDE)') is read by the bracket text when that ingredient
-- is any prod_ai of the database, at every cutoff, as a dictionary of ingredient names (as the view's comment
-- says), not only when a prod_ai of the cutoff's own selection names it; the same text is read the same way at
-- every cutoff (tests/unit/test_study_masking.py). The option exclude_masking takes a selection's rows by (primaryid, quarter)
-- (study_comparator_excluded_masking) instead of joining every drug line of the selection with those texts again
-- (about 40 s a report at full size).
-- A drug row names the ingredients of its prod_ai where it has one, else those of its drug name (as drug_ingredients
-- joins them). The lines are read from drug_all, filtered by those few texts, and only then matched to the versions
-- of case_selected: the same rows as these texts joined with `drugs` (every version's lines), in 26 s instead of 64 s
-- at full size.
CREATE OR REPLACE TABLE study_masking_versions AS
WITH masking_texts AS (
    SELECT t.source, t.text, min('names ' || lower(m.ingredient) || ' (SPM in its label)') AS reason
    FROM drug_ingredient_texts t
    JOIN vocab_masking_drugs m ON m.ingredient_key = upper(trim(t.ingredient))
    GROUP BY ALL
),
drug_rows AS (
    SELECT primaryid, quarter, drugname, prod_ai, coalesce(trim(prod_ai), '') <> '' AS has_prod_ai FROM drug_all
),
masked_rows AS (
    SELECT d.primaryid, d.quarter, t.reason
    FROM drug_rows d JOIN masking_texts t ON t.source = 'prod_ai' AND t.text = d.prod_ai
    UNION ALL
    SELECT d.primaryid, d.quarter, t.reason
    FROM drug_rows d JOIN masking_texts t ON t.source = 'drugname' AND t.text = d.drugname
    WHERE NOT d.has_prod_ai
),
final AS (
    SELECT m.primaryid, m.quarter, min(m.reason) AS reason
    FROM masked_rows m
    SEMI JOIN case_selected s ON s.primaryid = m.primaryid AND s.quarter = m.quarter
    GROUP BY m.primaryid, m.quarter
)
SELECT * FROM final;
