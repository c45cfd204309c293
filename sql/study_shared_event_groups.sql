-- study_shared_event_groups (in a selection's scratch schema): the event groups of the reports the selection holds
-- more than once, their selected versions classified together, under a name the selection's schema does not have,
-- so study_event_groups_shared can add them there.
CREATE OR REPLACE TABLE study_shared_event_groups AS
SELECT primaryid, event_group FROM study_event_groups;
