-- study_comparator_excluded: selected reports the comparator options keep out of the `indication` and `all`
-- comparators (never out of the exposed group): reports whose case first reached FAERS before $comparator_from
-- (a calendar-matched comparator; NULL = no start). With the option exclude_masking, study_comparator_excluded_masking
-- adds the reports naming a drug whose own label carries an SPM warning.
CREATE OR REPLACE TABLE study_comparator_excluded AS
WITH before_start AS (
    SELECT primaryid, 'case first reached FAERS before ' || CAST($comparator_from AS VARCHAR) AS reason
    FROM study_reports
    WHERE CAST($comparator_from AS VARCHAR) IS NOT NULL AND first_quarter < CAST($comparator_from AS VARCHAR)
),
final AS (
    SELECT primaryid, reason FROM before_start
)
SELECT * FROM final;
