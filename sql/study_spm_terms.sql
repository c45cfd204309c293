-- study_spm_terms: every neoplasm term of the selection's reports with its classifier category and the SPM
-- decision, one row per (report, PT), from report_neoplasm_terms (issue 11): decision 'counted' or 'excluded' with
-- the exclusion reason. Look-alike terms (not neoplasms) are left out. The case line listing (study_spm_cases) and
-- the per-category PT appendix read it.
CREATE OR REPLACE TABLE study_spm_terms AS
WITH final AS (
    SELECT DISTINCT primaryid, pt, category, subgroup, qualifiers, decided_by, decision, exclusion_reason
    FROM report_neoplasm_terms
    WHERE neoplasm
)
SELECT * FROM final;
