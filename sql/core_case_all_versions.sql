-- case_selected (rule "none"): every report version after FDA's deleted-case lists, no case-level dedup.
-- A report (primaryid) published in two quarters is still one report: the later quarter's copy is kept.
-- sql/study_selection_segments.sql restates this rule for every cutoff at once (tests/unit/test_study_segments.py
-- holds the two together).
CREATE OR REPLACE TABLE case_selected AS
WITH deleted AS (
    SELECT DISTINCT caseid FROM deleted_cases
),
reports AS (
    SELECT primaryid, coalesce(caseid, primaryid) AS caseid, quarter
    FROM demo_all
    WHERE primaryid IS NOT NULL
),
kept AS (
    SELECT r.* FROM reports r ANTI JOIN deleted d ON r.caseid = d.caseid
),
final AS (
    SELECT primaryid, quarter, caseid
    FROM kept
    QUALIFY row_number() OVER (PARTITION BY primaryid ORDER BY faers_quarter_index(quarter) DESC) = 1
)
SELECT * FROM final;
