-- core_duplicate_candidates_count: how many candidate pairs were scored.
SELECT count(*) AS candidate_pairs FROM duplicate_candidates
