-- study_event_groups (in the selection's own schema): the rows study_event_groups computes over the selection's
-- reports, without running the classifier: each report selected once has its version's rows of
-- study_event_group_versions, taken by (primaryid, quarter). The reports selected more than once
-- (study_shared_reports) are left out here: study_event_groups_shared adds them.
CREATE OR REPLACE TABLE study_event_groups AS
SELECT v.primaryid, v.event_group
FROM study_event_group_versions v
SEMI JOIN case_selected s ON s.primaryid = v.primaryid AND s.quarter = v.quarter
ANTI JOIN study_shared_reports x ON x.primaryid = v.primaryid;
