-- study_event_groups: (report, event group) for every selected report, from the vocabulary's mapping, plus
-- the curated subgroups (e.g. melanoma within skin) under their own names.
CREATE OR REPLACE TEMP TABLE study_event_groups AS
WITH groups AS (
    SELECT primaryid, group_name AS event_group FROM report_event_groups
),
subgroups AS (
    SELECT t.primaryid, g.subgroup AS event_group
    FROM report_event_group_terms t
    JOIN vocab_event_groups g ON g.group_name = t.group_name AND g.pt = t.pt
    WHERE t.excluded_reason IS NULL AND g.subgroup IS NOT NULL AND g.group_name = g.base_group
),
final AS (
    SELECT primaryid, event_group FROM groups
    UNION
    SELECT primaryid, event_group FROM subgroups
)
SELECT * FROM final;
