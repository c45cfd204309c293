-- vocab_report_neoplasm_terms (in the selection's own schema, in the place of the view, which the selection then
-- does not copy): the SPM decisions of the selection's reports, the rows study_vocab_report_neoplasm_terms computes
-- with the classifier over the selection, without running it: each report selected once has its version's rows of
-- study_report_neoplasm_term_versions, taken by (primaryid, quarter). The reports selected more than once
-- (study_shared_reports) are left out here: study_vocab_report_neoplasm_terms_shared adds them.
CREATE OR REPLACE TABLE vocab_report_neoplasm_terms AS
SELECT v.* EXCLUDE (quarter)
FROM study_report_neoplasm_term_versions v
SEMI JOIN case_selected s ON s.primaryid = v.primaryid AND s.quarter = v.quarter
ANTI JOIN study_shared_reports x ON x.primaryid = v.primaryid;
