-- duplicate_features_keyed: the feature rows of the reports with primaryid in [$lo, $hi].
INSERT INTO duplicate_features_keyed
SELECT * FROM duplicate_feature_rows($lo, $hi);
