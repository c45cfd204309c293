-- core_duplicate_group_counts: pairs at the threshold, duplicate groups, and the reports in them.
SELECT (SELECT count(*) FROM duplicate_pairs) AS pairs, count(DISTINCT group_id) AS groups, count(*) AS reports_in_groups
FROM duplicate_groups
