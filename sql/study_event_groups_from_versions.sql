-- study_event_groups (in the selection's own schema): the rows study_event_groups computes over the selection's
-- reports, without running the classifier. A report selected once takes its version's rows of
-- study_event_group_versions by (primaryid, quarter); a report selected more than once (classify_keys of the
-- selection's scratch schema) the event groups of its selected versions classified together (study_event_groups of
-- the scratch schema, below this one in the search path: the FROM resolves there).
CREATE OR REPLACE TABLE study_event_groups AS
WITH shared AS (
    SELECT DISTINCT primaryid FROM classify_keys
),
selected AS (
    SELECT v.primaryid, v.event_group
    FROM study_event_group_versions v
    SEMI JOIN case_selected s ON s.primaryid = v.primaryid AND s.quarter = v.quarter
    ANTI JOIN shared x ON x.primaryid = v.primaryid
),
final AS (
    SELECT * FROM selected
    UNION ALL BY NAME
    SELECT primaryid, event_group FROM study_event_groups
)
SELECT * FROM final;
