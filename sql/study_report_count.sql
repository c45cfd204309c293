-- study_report_count: how many reports a selection keeps (after its stratum, if any), with those a sweep selection
-- counts without listing them (study_reports_other).
SELECT (SELECT count(*) FROM study_reports) + (SELECT coalesce(sum(reports), 0) FROM study_reports_other);
