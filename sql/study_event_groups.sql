-- study_event_groups: (report, event group) for every selected report, from the vocabulary's mapping.
CREATE OR REPLACE TEMP TABLE study_event_groups AS
SELECT DISTINCT primaryid, group_name AS event_group FROM report_event_groups;
