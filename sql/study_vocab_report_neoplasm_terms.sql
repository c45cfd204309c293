-- study_vocab_report_neoplasm_terms: vocab_report_neoplasm_terms (temp shadow): the SPM decision per (report, neoplasm or look-alike term) for the
-- current selection, computed once from the vocabulary view over the selection's shadows (memory.main names the
-- view itself, not this table). report_neoplasm_terms, report_event_group_terms and the funnel read it.
CREATE OR REPLACE TEMP TABLE vocab_report_neoplasm_terms AS
SELECT * FROM memory.main.vocab_report_neoplasm_terms;
