-- study_event_groups: (report, event group) for every selected report, from the vocabulary's mapping (the neoplasm
-- classifier's groups incl. subgroups such as melanoma and myeloid, and MedDRA hierarchy groups when loaded).
CREATE OR REPLACE TABLE study_event_groups AS
SELECT DISTINCT primaryid, group_name AS event_group FROM report_event_groups;
