-- case_selected (rule "latest_version"): one report per case after FDA's deleted-case lists.
-- Per caseid keep max caseversion; ties -> later quarter; then max primaryid. Legacy AERS reports have
-- caseversion 0 and caseid = legacy CASE, so a FAERS version of the same case always wins over legacy.
CREATE OR REPLACE TABLE case_selected AS
WITH deleted AS (
    SELECT DISTINCT caseid FROM deleted_cases
),
reports AS (
    SELECT primaryid,
           coalesce(caseid, primaryid) AS caseid,
           coalesce(caseversion, 0) AS caseversion,
           quarter
    FROM demo_all
    WHERE primaryid IS NOT NULL
),
kept AS (
    SELECT r.* FROM reports r ANTI JOIN deleted d ON r.caseid = d.caseid
),
final AS (
    SELECT primaryid, quarter, caseid
    FROM kept
    QUALIFY row_number() OVER (
        PARTITION BY caseid
        ORDER BY caseversion DESC, faers_quarter_index(quarter) DESC, primaryid DESC
    ) = 1
)
SELECT * FROM final;
