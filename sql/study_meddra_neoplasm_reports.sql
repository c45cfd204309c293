-- study_meddra_neoplasm_reports: exposed reports with any PT of MedDRA's neoplasm SOC (group meddra_neoplasms, any
-- path), before exclusions: the paper's 2,225 step when a licensed MedDRA release is loaded.
SELECT count(DISTINCT r.primaryid)
FROM event_group_reactions r
SEMI JOIN study_exposed x USING (primaryid)
JOIN vocab_event_groups g ON g.pt_key = r.pt_key
WHERE g.group_name = 'meddra_neoplasms';
