-- stg_reac: the rows of one REAC (reactions, MedDRA PTs) file, typed, in the column order of reac_all.
-- Reads `fields`: the file's fields under their canonical names, one VARCHAR each, NULL where the file's era has
-- no such column (faers/data/column_maps/reac.csv). The loader builds `fields` from the file's header — the only
-- part that depends on the era — and runs this file over it (load.staging_select, docs/sql.md).
-- Staging only renames and casts: empty -> NULL; numbers trimmed, a non-numeric one -> NULL.
SELECT
    $quarter AS quarter,
    $era AS era,
    TRY_CAST(nullif(trim(primaryid), '') AS BIGINT) AS primaryid,
    TRY_CAST(nullif(trim(caseid), '') AS BIGINT) AS caseid,
    nullif(pt, '') AS pt,
    nullif(drug_rec_act, '') AS drug_rec_act
FROM fields
