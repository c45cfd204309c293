-- study_event_groups (in the selection's own schema, from study_event_groups_from_versions): the event groups of the
-- reports the selection holds more than once added (study_shared_event_groups of the scratch schema next in the
-- search path).
INSERT INTO study_event_groups BY NAME
SELECT primaryid, event_group FROM study_shared_event_groups;
