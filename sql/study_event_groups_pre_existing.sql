-- study_event_groups without the pre-existing neoplasms (study_pre_existing): a CAR T report whose event date is
-- before its first CAR T therapy start keeps counting as a CAR T report, but not as an SPM report (the default;
-- `--keep-pre-existing` skips this step). In an options schema: its own study_event_groups, from the selection's
-- (the FROM resolves to the schema below it).
CREATE OR REPLACE TABLE study_event_groups AS
SELECT * FROM study_event_groups WHERE primaryid NOT IN (SELECT primaryid FROM study_pre_existing);
