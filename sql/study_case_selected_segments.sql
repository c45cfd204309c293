-- case_selected of a sweep selection (in the selection's own schema): the versions of the cases in
-- study_universe_cases that rule $rule ('latest_version' or 'none') selects through the selection's cutoff, taken
-- from study_selection_segments by a filter: the rows the loader's own SQL (core_case_latest.sql,
-- core_case_all_versions.sql) gives over those cases' versions and deleted-case lists through the cutoff, without
-- running it again for each cutoff. Rule latest_version+duplicates runs core_case_distinct_patients.sql over it.
CREATE OR REPLACE TABLE case_selected AS
WITH settings AS (
    SELECT through FROM study_settings
),
final AS (
    SELECT g.primaryid, g.quarter, g.caseid
    FROM study_selection_segments g, settings s
    WHERE g.rule = CAST($rule AS VARCHAR) AND g.valid_from <= s.through
      AND (g.valid_to IS NULL OR s.through < g.valid_to)
)
SELECT * FROM final;
