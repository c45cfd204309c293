-- vocab_report_neoplasm_terms of a lazy selection (the sweep's, the published windows') that holds no report twice
-- (in the selection's own schema), as a view: the rows study_vocab_report_neoplasm_terms_from_versions.sql
-- materialises (each report's version's rows of study_report_neoplasm_term_versions), taken only if something reads
-- them. The sweep's counts never do, and the published windows' tables read them once or twice (the listing tables
-- of a full selection read them more). A selection holding a report twice classifies it with all its versions' rows (study_vocab_report_neoplasm_terms_shared adds
-- them to the table): it takes the table instead, and the view leaves such reports out as the table's body does.
CREATE OR REPLACE VIEW vocab_report_neoplasm_terms AS
SELECT v.* EXCLUDE (quarter)
FROM study_report_neoplasm_term_versions v
SEMI JOIN case_selected s ON s.primaryid = v.primaryid AND s.quarter = v.quarter
ANTI JOIN study_shared_reports x ON x.primaryid = v.primaryid;
