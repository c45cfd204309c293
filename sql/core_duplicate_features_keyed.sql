-- duplicate_features_keyed (temp): duplicate_features before uninformative blocks are dropped, filled one primaryid
-- range at a time (core_duplicate_features_keyed_insert); created empty with the columns of duplicate_feature_rows.
CREATE OR REPLACE TEMP TABLE duplicate_features_keyed AS
SELECT * FROM duplicate_feature_rows(0, -1);
