-- study_event_group_union_reports: exposed reports of the selection with an event in any of $groups (a list of
-- event groups), e.g. the published "solid tumours" = skin + nervous system + respiratory + other solid.
SELECT count(DISTINCT g.primaryid)
FROM study_event_groups g
SEMI JOIN study_exposed x USING (primaryid)
SEMI JOIN study_reports r USING (primaryid)
WHERE list_contains(CAST($groups AS VARCHAR[]), g.event_group);
