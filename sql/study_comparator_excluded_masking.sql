-- study_comparator_excluded, option exclude_masking: adds the selected reports naming a drug whose own label carries
-- an SPM warning (vocab_masking_drugs, e.g. lenalidomide), whose SPMs would mask a CAR T signal: the selection's
-- versions of study_masking_versions (computed over every version once per data change). A report already
-- excluded (case first reached FAERS before comparator_from) keeps that reason, as the alphabetically first one.
INSERT INTO study_comparator_excluded
WITH masking AS (
    SELECT m.primaryid, min(m.reason) AS reason
    FROM study_masking_versions m
    SEMI JOIN case_selected s ON s.primaryid = m.primaryid AND s.quarter = m.quarter
    SEMI JOIN study_reports r ON r.primaryid = m.primaryid
    GROUP BY m.primaryid
),
final AS (
    SELECT m.primaryid, m.reason FROM masking m ANTI JOIN study_comparator_excluded x ON x.primaryid = m.primaryid
)
SELECT * FROM final;
