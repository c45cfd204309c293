-- stg_drug: the rows of one DRUG (drugs) file, typed, in the column order of drug_all.
-- Reads `fields`: the file's fields under their canonical names, one VARCHAR each, NULL where the file's era has
-- no such column (faers/data/column_maps/drug.csv). The loader builds `fields` from the file's header — the only
-- part that depends on the era — and runs this file over it (load.staging_select, docs/sql.md).
-- Staging only renames and casts: empty -> NULL; numbers trimmed, a non-numeric one -> NULL.
SELECT
    $quarter AS quarter,
    $era AS era,
    TRY_CAST(nullif(trim(primaryid), '') AS BIGINT) AS primaryid,
    TRY_CAST(nullif(trim(caseid), '') AS BIGINT) AS caseid,
    TRY_CAST(nullif(trim(drug_seq), '') AS BIGINT) AS drug_seq,
    nullif(role_cod, '') AS role_cod,
    nullif(drugname, '') AS drugname,
    nullif(prod_ai, '') AS prod_ai,
    nullif(val_vbm, '') AS val_vbm,
    nullif(route, '') AS route,
    nullif(dose_vbm, '') AS dose_vbm,
    nullif(cum_dose_chr, '') AS cum_dose_chr,
    nullif(cum_dose_unit, '') AS cum_dose_unit,
    nullif(dechal, '') AS dechal,
    nullif(rechal, '') AS rechal,
    nullif(lot_num, '') AS lot_num,
    nullif(exp_dt, '') AS exp_dt,
    nullif(nda_num, '') AS nda_num,
    nullif(dose_amt, '') AS dose_amt,
    nullif(dose_unit, '') AS dose_unit,
    nullif(dose_form, '') AS dose_form,
    nullif(dose_freq, '') AS dose_freq
FROM fields
