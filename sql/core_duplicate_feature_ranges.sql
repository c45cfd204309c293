-- core_duplicate_feature_ranges: the distinct primaryids of case_selected cut into $batches ranges holding about as
-- many reports each (lo, hi inclusive), for building duplicate_features one range at a time. Distinct: a primaryid
-- selected twice (the latest version of two case ids) must fall in one range only, or both ranges would build it.
SELECT min(primaryid) AS lo, max(primaryid) AS hi
FROM (SELECT primaryid, ntile($batches) OVER (ORDER BY primaryid) AS batch
      FROM (SELECT DISTINCT primaryid FROM case_selected))
GROUP BY batch
ORDER BY lo
