-- study_spm_terms: every neoplasm term of the study's SPM candidate reports with its category and decision, one row
-- per (report, PT): category = the curated list the PT comes from (vocab_event_groups.base_group), decision
-- 'counted' or 'excluded' with the exclusion's reason (report_event_group_terms). The case line listing
-- (study_spm_cases) and the per-category PT appendix read it.
CREATE OR REPLACE TEMP TABLE study_spm_terms AS
WITH terms AS (
    SELECT t.primaryid, t.pt, g.base_group AS category, g.subgroup, t.excluded_reason
    FROM report_event_group_terms t
    JOIN vocab_event_groups g ON g.group_name = t.group_name AND g.pt_key = lower(trim(t.pt))
    WHERE g.group_name = g.base_group
),
final AS (
    SELECT DISTINCT primaryid, pt, category, subgroup,
           CASE WHEN excluded_reason IS NULL THEN 'counted' ELSE 'excluded' END AS decision,
           excluded_reason AS exclusion_reason
    FROM terms
)
SELECT * FROM final;
