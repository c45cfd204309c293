-- study_meddra_neoplasm_group_size: how many PTs the MedDRA neoplasm SOC group has (0 without a licensed release).
SELECT count(*) FROM vocab_event_groups WHERE group_name = 'meddra_neoplasms';
