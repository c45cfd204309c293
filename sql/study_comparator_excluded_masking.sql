-- study_comparator_excluded, option exclude_masking: adds the selected reports naming a drug whose own label carries
-- an SPM warning (vocab_masking_drugs, e.g. lenalidomide), whose SPMs would mask a CAR T signal. A report already
-- excluded (case first reached FAERS before comparator_from) keeps that reason, as the alphabetically first one.
-- Run only when the option is set: drug_ingredients normalises every drug line of the selection.
INSERT INTO study_comparator_excluded
WITH masking AS (
    SELECT i.primaryid, min('names ' || lower(m.ingredient) || ' (SPM in its label)') AS reason
    FROM drug_ingredients i
    JOIN vocab_masking_drugs m ON m.ingredient_key = upper(trim(i.ingredient))
    SEMI JOIN study_reports r ON r.primaryid = i.primaryid
    GROUP BY i.primaryid
),
final AS (
    SELECT m.primaryid, m.reason FROM masking m ANTI JOIN study_comparator_excluded x ON x.primaryid = m.primaryid
)
SELECT * FROM final;
