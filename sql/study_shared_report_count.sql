-- study_shared_report_count: how many versions study_shared_reports holds (0: every selected report is selected
-- once, and the versions tables alone give the selection's classifier rows).
SELECT count(*) FROM study_shared_reports;
