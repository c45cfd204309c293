-- study_comparator_excluded, option exclude_masking: adds the selected reports naming a drug whose own label carries
-- an SPM warning (vocab_masking_drugs, e.g. lenalidomide), whose SPMs would mask a CAR T signal. A report already
-- excluded (case first reached FAERS before comparator_from) keeps that reason, as the alphabetically first one.
-- The drug texts that map to those ingredients come from drug_ingredient_texts, then only the drug rows naming them
-- (as drug_ingredients joins them: prod_ai where the row has one, else the drug name), not every row's ingredients.
INSERT INTO study_comparator_excluded
WITH masking_texts AS (
    SELECT t.source, t.text, min('names ' || lower(m.ingredient) || ' (SPM in its label)') AS reason
    FROM drug_ingredient_texts t
    JOIN vocab_masking_drugs m ON m.ingredient_key = upper(trim(t.ingredient))
    GROUP BY ALL
),
drug_rows AS (
    SELECT primaryid, drugname, prod_ai, coalesce(trim(prod_ai), '') <> '' AS has_prod_ai FROM drugs
),
masked_rows AS (
    SELECT d.primaryid, t.reason
    FROM drug_rows d JOIN masking_texts t ON t.source = 'prod_ai' AND t.text = d.prod_ai
    UNION ALL
    SELECT d.primaryid, t.reason
    FROM drug_rows d JOIN masking_texts t ON t.source = 'drugname' AND t.text = d.drugname
    WHERE NOT d.has_prod_ai
),
masking AS (
    SELECT m.primaryid, min(m.reason) AS reason
    FROM masked_rows m
    SEMI JOIN study_reports r ON r.primaryid = m.primaryid
    GROUP BY m.primaryid
),
final AS (
    SELECT m.primaryid, m.reason FROM masking m ANTI JOIN study_comparator_excluded x ON x.primaryid = m.primaryid
)
SELECT * FROM final;
