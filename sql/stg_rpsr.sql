-- stg_rpsr: the rows of one RPSR (report sources) file, typed, in the column order of rpsr_all.
-- Reads `fields`: the file's fields under their canonical names, one VARCHAR each, NULL where the file's era has
-- no such column (faers/data/column_maps/rpsr.csv). The loader builds `fields` from the file's header — the only
-- part that depends on the era — and runs this file over it (load.staging_select, docs/sql.md).
-- Staging only renames and casts: empty -> NULL; numbers trimmed, a non-numeric one -> NULL.
SELECT
    $quarter AS quarter,
    $era AS era,
    TRY_CAST(nullif(trim(primaryid), '') AS BIGINT) AS primaryid,
    TRY_CAST(nullif(trim(caseid), '') AS BIGINT) AS caseid,
    nullif(rpsr_cod, '') AS rpsr_cod
FROM fields
