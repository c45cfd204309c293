-- study_event_groups without the pre-existing neoplasms (study_pre_existing): a CAR T report whose event date is
-- before its first CAR T therapy start keeps counting as a CAR T report, but not as an SPM report (the default;
-- `--keep-pre-existing` skips this step).
DELETE FROM study_event_groups WHERE primaryid IN (SELECT primaryid FROM study_pre_existing);
