-- study_duplicate_groups: primaryid, duplicate_group_id, duplicate_group_size from `faers duplicates` (table
-- duplicate_groups: reports of one patient under different caseids), for the case line listing.
SELECT CAST(primaryid AS BIGINT) AS primaryid, CAST(group_id AS BIGINT) AS duplicate_group_id,
       CAST(group_size AS BIGINT) AS duplicate_group_size
FROM duplicate_groups;
