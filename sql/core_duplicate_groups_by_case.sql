-- core_duplicate_groups_by_case: caseid -> its duplicate group, the group's size and whether it is the report the
-- rule latest_version+duplicates keeps; empty before `faers duplicates` has run.
SELECT caseid, group_id AS duplicate_group_id, group_size AS duplicate_group_size,
       is_representative AS duplicate_representative
FROM duplicate_groups
ORDER BY caseid
