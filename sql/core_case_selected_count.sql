-- core_case_selected_count: how many reports the current selection (case_selected) keeps.
SELECT count(*) AS reports FROM case_selected
