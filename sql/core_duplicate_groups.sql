-- duplicate_groups: one row per report that belongs to a group of likely duplicates (two or more reports of the
-- same patient under different caseids); reports in no group are not listed. Groups are the connected
-- components of duplicate_pairs (registered by faers/duplicates.py as `duplicate_components`).
-- Representative (representative_rank = 1; group_id is its primaryid): the most complete report (fields
-- present, see duplicate_features.completeness), then the latest FDA receipt date, then the highest primaryid.
-- The dedup rule latest_version+duplicates keeps, per group, the best-ranked report present in its selection.
CREATE OR REPLACE TABLE duplicate_groups (
    primaryid BIGINT NOT NULL,
    caseid BIGINT,
    group_id BIGINT NOT NULL,  -- the representative's primaryid
    group_size INTEGER NOT NULL,
    representative_rank INTEGER NOT NULL,  -- 1 = the representative
    is_representative BOOLEAN NOT NULL
);
