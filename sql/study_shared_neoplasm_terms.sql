-- study_shared_neoplasm_terms (in a selection's scratch schema): the classifier's decisions for the reports the
-- selection holds more than once (classify_keys from study_shared_reports: the primaryids themselves), under a name
-- the selection's schema does not have, so study_vocab_report_neoplasm_terms_shared can add them there.
CREATE OR REPLACE TABLE study_shared_neoplasm_terms AS
SELECT * FROM vocab_report_neoplasm_terms;
