-- Drug, reaction, outcome, source, therapy and indication rows whose report (primaryid, quarter) has no DEMO
-- row: counted per table and quarter. FDA's own files have a few (and a rejected DEMO line leaves its
-- children behind, see load_rejects), so this warns rather than fails.
-- severity: warning
WITH children AS (
    SELECT 'drug' AS table_name, quarter, primaryid FROM drug_all
    UNION ALL SELECT 'reac', quarter, primaryid FROM reac_all
    UNION ALL SELECT 'outc', quarter, primaryid FROM outc_all
    UNION ALL SELECT 'rpsr', quarter, primaryid FROM rpsr_all
    UNION ALL SELECT 'ther', quarter, primaryid FROM ther_all
    UNION ALL SELECT 'indi', quarter, primaryid FROM indi_all
),
orphans AS (
    SELECT c.* FROM children c
    ANTI JOIN demo_all d ON c.primaryid = d.primaryid AND c.quarter = d.quarter
),
final AS (
    SELECT quarter, table_name, count(*) AS rows_without_report, count(DISTINCT primaryid) AS primaryids,
           min(primaryid) AS first_primaryid
    FROM orphans GROUP BY ALL
)
SELECT * FROM final ORDER BY quarter, table_name;
