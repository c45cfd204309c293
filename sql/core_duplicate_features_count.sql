-- core_duplicate_features_count: how many reports the duplicate search compares.
SELECT count(*) AS reports FROM duplicate_features
