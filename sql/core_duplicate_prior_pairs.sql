-- core_duplicate_prior_pairs: the blocked pairs the deterministic prior rules find (duplicates.PRIOR_RULES: the same
-- manufacturer number, or the same event date, sex and suspect ingredients with ages within half a year), for
-- lambda.
SELECT count(*) AS pairs FROM duplicate_gammas WHERE key_mfr_num OR (key_event_drug AND g_age = 1)
