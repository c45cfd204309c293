-- vocab_neoplasm_indication_rows (in the selection's own schema): the vocabulary view's rows for the current selection, taken from
-- study_neoplasm_indication_versions by (primaryid, quarter), so report_neoplasm_terms reads them without
-- rescanning the database's indications.
CREATE OR REPLACE TABLE vocab_neoplasm_indication_rows AS
SELECT v.* FROM study_neoplasm_indication_versions v
SEMI JOIN case_selected s ON s.primaryid = v.primaryid AND s.quarter = v.quarter;
