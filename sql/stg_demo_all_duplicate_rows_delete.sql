-- stg_demo_all_duplicate_rows_delete: keep the first DEMO row of each report in quarter $quarter (one row per
-- report, so the views join on (primaryid, quarter) without a DISTINCT).
DELETE FROM demo_all
WHERE quarter = $quarter
  AND rowid IN (SELECT rowid FROM (SELECT rowid, row_number() OVER (PARTITION BY primaryid ORDER BY rowid) AS k
                                   FROM demo_all WHERE quarter = $quarter)
                WHERE k > 1)
