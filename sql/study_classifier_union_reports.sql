-- study_classifier_union_reports: exposed SPM reports of the selection with a counted neoplasm term of any of
-- $pairs ('category/subgroup' of the classifier, e.g. 'leukemia/myeloid'); pre-existing SPM reports, which do not
-- count as SPM reports, are not counted.
SELECT count(DISTINCT t.primaryid)
FROM report_neoplasm_terms t
SEMI JOIN study_exposed x USING (primaryid)
SEMI JOIN study_reports r USING (primaryid)
WHERE t.decision = 'counted'
  AND list_contains(CAST($pairs AS VARCHAR[]), t.category || '/' || t.subgroup)
  AND t.primaryid IN (SELECT primaryid FROM study_event_groups WHERE event_group = 'spm');
