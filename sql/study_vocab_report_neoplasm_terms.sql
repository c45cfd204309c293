-- study_vocab_report_neoplasm_terms: the SPM decision per (report, neoplasm or look-alike term) of one selection,
-- computed once from the selection's copy of the vocabulary view vocab_report_neoplasm_terms (over the selection's
-- case_selected and its vocabulary rows), then put in the view's place in the selection's schema, so
-- report_neoplasm_terms, report_event_group_terms and the funnel read it, not the classifier again.
CREATE OR REPLACE TABLE study_vocab_report_neoplasm_terms AS
SELECT * FROM vocab_report_neoplasm_terms;
DROP VIEW vocab_report_neoplasm_terms;
ALTER TABLE study_vocab_report_neoplasm_terms RENAME TO vocab_report_neoplasm_terms;
