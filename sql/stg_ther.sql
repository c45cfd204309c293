-- stg_ther: the rows of one THER (therapy dates) file, typed, in the column order of ther_all.
-- Reads `fields`: the file's fields under their canonical names, one VARCHAR each, NULL where the file's era has
-- no such column (faers/data/column_maps/ther.csv). The loader builds `fields` from the file's header — the only
-- part that depends on the era — and runs this file over it (load.staging_select, docs/sql.md).
-- Staging only renames and casts: empty -> NULL; numbers trimmed, a non-numeric one -> NULL.
SELECT
    $quarter AS quarter,
    $era AS era,
    TRY_CAST(nullif(trim(primaryid), '') AS BIGINT) AS primaryid,
    TRY_CAST(nullif(trim(caseid), '') AS BIGINT) AS caseid,
    TRY_CAST(nullif(trim(dsg_drug_seq), '') AS BIGINT) AS dsg_drug_seq,
    nullif(start_dt, '') AS start_dt,
    nullif(end_dt, '') AS end_dt,
    nullif(dur, '') AS dur,
    nullif(dur_cod, '') AS dur_cod
FROM fields
