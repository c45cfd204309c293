-- vocab_report_neoplasm_terms (in the selection's own schema, in the place of the view, which the selection then
-- does not copy): the SPM decisions of the selection's reports, the rows study_vocab_report_neoplasm_terms computes
-- with the classifier over the selection, without running it. A report selected once takes its version's rows of
-- study_report_neoplasm_term_versions by (primaryid, quarter); a report selected more than once (classify_keys of
-- the selection's scratch schema, study_classify_keys_shared) the classifier's rows over its selected versions
-- together (vocab_report_neoplasm_terms of the scratch schema, below this one in the search path).
CREATE OR REPLACE TABLE study_vocab_report_neoplasm_terms AS
WITH shared AS (
    SELECT DISTINCT primaryid FROM classify_keys
),
selected AS (
    SELECT v.* EXCLUDE (quarter)
    FROM study_report_neoplasm_term_versions v
    SEMI JOIN case_selected s ON s.primaryid = v.primaryid AND s.quarter = v.quarter
    ANTI JOIN shared x ON x.primaryid = v.primaryid
),
final AS (
    SELECT * FROM selected
    UNION ALL BY NAME
    SELECT * FROM vocab_report_neoplasm_terms
)
SELECT * FROM final;
ALTER TABLE study_vocab_report_neoplasm_terms RENAME TO vocab_report_neoplasm_terms;
