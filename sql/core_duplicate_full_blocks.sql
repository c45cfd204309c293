-- duplicate_full_blocks (temp): the blocking keys shared by more than $max_block reports ($max_broad_block for the
-- broad key key_drug_country: ingredient set and country only): uninformative blocks ("US, female, 60,
-- adalimumab" is not a patient), whose key core_duplicate_features drops. That caps the candidate pairs at
-- n * max_block / 2 per rule. Counted over the narrow key columns, not windows over the wide feature rows.
CREATE OR REPLACE TEMP TABLE duplicate_full_blocks AS
WITH keys AS (
    SELECT 'key_mfr_num' AS key_name, key_mfr_num AS k FROM duplicate_features_keyed
    UNION ALL SELECT 'key_event_drug', key_event_drug FROM duplicate_features_keyed
    UNION ALL SELECT 'key_age_drug', key_age_drug FROM duplicate_features_keyed
    UNION ALL SELECT 'key_pt_drug', key_pt_drug FROM duplicate_features_keyed
    UNION ALL SELECT 'key_event_age', key_event_age FROM duplicate_features_keyed
    UNION ALL SELECT 'key_drug_country', key_drug_country FROM duplicate_features_keyed
)
SELECT key_name, k
FROM keys
WHERE k IS NOT NULL
GROUP BY key_name, k
HAVING count(*) > CASE WHEN key_name = 'key_drug_country' THEN $max_broad_block ELSE $max_block END;
