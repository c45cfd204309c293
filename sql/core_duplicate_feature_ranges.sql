-- core_duplicate_feature_ranges: the reports of case_selected cut into $batches ranges of primaryid holding about
-- as many reports each (lo, hi inclusive), for building duplicate_features one range at a time.
SELECT min(primaryid) AS lo, max(primaryid) AS hi
FROM (SELECT primaryid, ntile($batches) OVER (ORDER BY primaryid) AS batch FROM case_selected)
GROUP BY batch
ORDER BY lo
