-- Status per loaded quarter: rows per table and the line accounting (read = loaded + repaired + rejected).
WITH files AS (
    SELECT quarter,
           sum(rows_read)::BIGINT AS rows_read,
           sum(rows_loaded)::BIGINT AS rows_loaded,
           sum(rows_repaired)::BIGINT AS rows_repaired,
           sum(rows_rejected)::BIGINT AS rows_rejected,
           sum(rows_inserted) FILTER (WHERE table_name = 'demo')::BIGINT AS demo,
           sum(rows_inserted) FILTER (WHERE table_name = 'drug')::BIGINT AS drug,
           sum(rows_inserted) FILTER (WHERE table_name = 'reac')::BIGINT AS reac,
           sum(rows_inserted) FILTER (WHERE table_name = 'outc')::BIGINT AS outc,
           sum(rows_inserted) FILTER (WHERE table_name = 'rpsr')::BIGINT AS rpsr,
           sum(rows_inserted) FILTER (WHERE table_name = 'ther')::BIGINT AS ther,
           sum(rows_inserted) FILTER (WHERE table_name = 'indi')::BIGINT AS indi
    FROM load_files
    GROUP BY quarter
),
deleted AS (
    SELECT quarter, count(DISTINCT caseid) AS deleted_caseids FROM deleted_cases GROUP BY quarter
),
kept AS (
    SELECT quarter, count(*) AS reports_kept FROM case_selected GROUP BY quarter
),
final AS (
    SELECT q.quarter, f.demo, f.drug, f.reac, f.outc, f.rpsr, f.ther, f.indi,
           f.rows_read, f.rows_loaded, f.rows_repaired, f.rows_rejected,
           coalesce(d.deleted_caseids, 0) AS deleted_caseids,
           coalesce(k.reports_kept, 0) AS reports_kept,
           left(q.sha256, 12) AS sha256,
           q.loaded_at
    FROM loaded_quarters q
    JOIN files f USING (quarter)
    LEFT JOIN deleted d USING (quarter)
    LEFT JOIN kept k USING (quarter)
    ORDER BY faers_quarter_index(q.quarter)
)
SELECT * FROM final;
