-- study_pt_counts: per SPM category x neoplasm PT, the exposed reports of the selection with the term counted and
-- with it excluded (and the exclusion reasons): the appendix spm_pt_counts.csv.
SELECT t.category, t.pt,
       count(DISTINCT t.primaryid) FILTER (WHERE t.decision = 'counted') AS counted_reports,
       count(DISTINCT t.primaryid) FILTER (WHERE t.decision = 'excluded') AS excluded_reports,
       string_agg(DISTINCT t.exclusion_reason, '; ') AS exclusion_reasons
FROM study_spm_terms t
SEMI JOIN study_exposed x USING (primaryid)
SEMI JOIN study_reports r USING (primaryid)
GROUP BY ALL
ORDER BY t.category, counted_reports DESC, t.pt;
