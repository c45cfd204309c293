-- vocab_neoplasm_indication_rows of a lazy selection (select(..., lazy=True): the sweep's, the published windows'),
-- in its own schema, as a view:
-- the rows study_vocab_neoplasm_indication_rows.sql materialises for a selection (the versions table's rows of the
-- selected (primaryid, quarter)s), computed only when read. The sweep's counts never read them (the classifier
-- over a selection and the listing tables do).
CREATE OR REPLACE VIEW vocab_neoplasm_indication_rows AS
SELECT v.* FROM study_neoplasm_indication_versions v
SEMI JOIN case_selected s ON s.primaryid = v.primaryid AND s.quarter = v.quarter;
