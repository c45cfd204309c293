-- study_indication_groups: (report, indication group) for every selected report, from the vocabulary.
CREATE OR REPLACE TABLE study_indication_groups AS
SELECT DISTINCT primaryid, indication_group FROM report_indication_groups;
