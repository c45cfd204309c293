-- study_classifier_neoplasm_reports: exposed reports with any term the neoplasm classifier calls a neoplasm
-- (report_neoplasm_terms), before exclusions: the paper's 2,225 step without a MedDRA release.
SELECT count(DISTINCT t.primaryid)
FROM report_neoplasm_terms t
SEMI JOIN study_exposed x USING (primaryid)
WHERE t.neoplasm;
