-- study_selected_report_count: how many reports the selection's dedup rule keeps (case_selected, before a stratum).
SELECT count(*) FROM case_selected;
