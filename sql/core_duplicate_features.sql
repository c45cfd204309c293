-- duplicate_features (temp): one row per report of the current case_selected (faers/duplicates.py shadows it with
-- the latest_version selection) with the fields the cross-report duplicate model compares, normalised, and its
-- blocking keys: duplicate_features_keyed with a key set to NULL where its block is uninformative
-- (duplicate_full_blocks: shared by more than max_block reports).
CREATE OR REPLACE TEMP TABLE duplicate_features AS
SELECT * REPLACE (
    CASE WHEN key_mfr_num NOT IN (SELECT k FROM duplicate_full_blocks WHERE key_name = 'key_mfr_num') THEN key_mfr_num END
        AS key_mfr_num,
    CASE WHEN key_event_drug NOT IN (SELECT k FROM duplicate_full_blocks WHERE key_name = 'key_event_drug')
         THEN key_event_drug END AS key_event_drug,
    CASE WHEN key_age_drug NOT IN (SELECT k FROM duplicate_full_blocks WHERE key_name = 'key_age_drug')
         THEN key_age_drug END AS key_age_drug,
    CASE WHEN key_pt_drug NOT IN (SELECT k FROM duplicate_full_blocks WHERE key_name = 'key_pt_drug')
         THEN key_pt_drug END AS key_pt_drug,
    CASE WHEN key_event_age NOT IN (SELECT k FROM duplicate_full_blocks WHERE key_name = 'key_event_age')
         THEN key_event_age END AS key_event_age,
    CASE WHEN key_drug_country NOT IN (SELECT k FROM duplicate_full_blocks WHERE key_name = 'key_drug_country')
         THEN key_drug_country END AS key_drug_country
)
FROM duplicate_features_keyed;
