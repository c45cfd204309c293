-- study_comparator_excluded: selected reports the comparator options keep out of the `indication` and `all`
-- comparators (never out of the exposed group): reports whose case first reached FAERS before $comparator_from
-- (a calendar-matched comparator; NULL = no start), and with $exclude_masking reports naming a drug whose own
-- label carries an SPM warning (vocab_masking_drugs, e.g. lenalidomide), whose SPMs would mask a CAR T signal.
CREATE OR REPLACE TABLE study_comparator_excluded AS
WITH before_start AS (
    SELECT primaryid, 'case first reached FAERS before ' || CAST($comparator_from AS VARCHAR) AS reason
    FROM study_reports
    WHERE CAST($comparator_from AS VARCHAR) IS NOT NULL AND first_quarter < CAST($comparator_from AS VARCHAR)
),
masking AS (
    SELECT DISTINCT i.primaryid, 'names ' || lower(m.ingredient) || ' (SPM in its label)' AS reason
    FROM drug_ingredients i
    JOIN vocab_masking_drugs m ON m.ingredient_key = upper(trim(i.ingredient))
    SEMI JOIN study_reports r ON r.primaryid = i.primaryid
    WHERE CAST($exclude_masking AS BOOLEAN)
),
final AS (
    SELECT primaryid, min(reason) AS reason
    FROM (SELECT * FROM before_start UNION ALL SELECT * FROM masking)
    GROUP BY primaryid
)
SELECT * FROM final;
