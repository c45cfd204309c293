-- study_report_neoplasm_term_versions: the SPM classifier's decision per (report version, neoplasm or look-alike
-- term), vocab_report_neoplasm_terms over every report version, each version decided from its own rows (its
-- reactions, CAR T products, indication groups and neoplasm indications) and the vocabulary: the classifier run
-- once in a scratch schema over the versions under their classify_keys (study._classify), mapped back to
-- (primaryid, quarter). Computed with study.VERSIONS_COUNT_UNSPECIFIED; a selection with that setting takes its rows
-- by (primaryid, quarter) instead of running the classifier (study_vocab_report_neoplasm_terms_from_versions).
CREATE OR REPLACE TABLE study_report_neoplasm_term_versions AS
SELECT k.primaryid, k.quarter, t.* EXCLUDE (primaryid)
FROM vocab_report_neoplasm_terms t
JOIN classify_keys k ON k.classify_key = t.primaryid;
