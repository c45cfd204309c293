-- Every data line of every loaded file is accounted for: read = loaded + repaired + rejected, and the rows
-- each file put in its <table>_all table are still there (a silent loss or a doubled quarter shows here).
-- severity: error
WITH files AS (
    SELECT quarter, table_name, member, rows_read, rows_loaded, rows_repaired, rows_rejected, rows_inserted
    FROM load_files
),
table_rows AS (
    SELECT quarter, 'demo' AS table_name, count(*) AS rows_in_table FROM demo_all GROUP BY ALL
    UNION ALL SELECT quarter, 'drug', count(*) FROM drug_all GROUP BY ALL
    UNION ALL SELECT quarter, 'reac', count(*) FROM reac_all GROUP BY ALL
    UNION ALL SELECT quarter, 'outc', count(*) FROM outc_all GROUP BY ALL
    UNION ALL SELECT quarter, 'rpsr', count(*) FROM rpsr_all GROUP BY ALL
    UNION ALL SELECT quarter, 'ther', count(*) FROM ther_all GROUP BY ALL
    UNION ALL SELECT quarter, 'indi', count(*) FROM indi_all GROUP BY ALL
),
per_table AS (
    SELECT quarter, table_name, sum(rows_inserted) AS rows_inserted FROM files GROUP BY ALL
),
unbalanced AS (
    SELECT quarter, table_name, member, rows_read, rows_loaded, rows_repaired, rows_rejected,
           'lines read <> loaded + repaired + rejected' AS problem
    FROM files
    WHERE rows_read <> rows_loaded + rows_repaired + rows_rejected
),
lost AS (
    SELECT coalesce(p.quarter, t.quarter) AS quarter, coalesce(p.table_name, t.table_name) AS table_name,
           NULL AS member, NULL AS rows_read, NULL AS rows_loaded, NULL AS rows_repaired, NULL AS rows_rejected,
           format('the load inserted {} rows, the table holds {}', coalesce(p.rows_inserted, 0),
                  coalesce(t.rows_in_table, 0)) AS problem
    FROM per_table p
    FULL JOIN table_rows t ON p.quarter = t.quarter AND p.table_name = t.table_name
    WHERE coalesce(p.rows_inserted, 0) <> coalesce(t.rows_in_table, 0)
),
final AS (
    SELECT * FROM unbalanced
    UNION ALL
    SELECT * FROM lost
)
SELECT * FROM final ORDER BY quarter, table_name;
