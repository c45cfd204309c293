-- study_report_count: how many reports a selection keeps (after its stratum, if any).
SELECT count(*) FROM study_reports;
