-- study_event_group_versions: (report version, event group) for every report version, study_event_groups over
-- every version (report_event_groups: a non-excluded PT of the group, by the classifier's decisions), each version
-- from its own rows: computed in the classifier's scratch schema under the versions' classify_keys
-- (study._classify), mapped back to (primaryid, quarter). A selection takes its rows by (primaryid, quarter)
-- (study_event_groups_from_versions).
CREATE OR REPLACE TABLE study_event_group_versions AS
SELECT k.primaryid, k.quarter, g.event_group
FROM study_event_groups g
JOIN classify_keys k ON k.classify_key = g.primaryid;
