-- vocab_report_neoplasm_terms (in the selection's own schema, from study_vocab_report_neoplasm_terms_from_versions):
-- the decisions of the reports the selection holds more than once added, their selected versions classified
-- together (study_shared_neoplasm_terms of the scratch schema next in the search path).
INSERT INTO vocab_report_neoplasm_terms BY NAME
SELECT * FROM study_shared_neoplasm_terms;
