-- stg_demo: the rows of one DEMO (demographics, one row per report) file, typed, in the column order of demo_all.
-- Reads `fields`: the file's fields under their canonical names, one VARCHAR each, NULL where the file's era has
-- no such column (faers/data/column_maps/demo.csv). The loader builds `fields` from the file's header — the only
-- part that depends on the era — and runs this file over it (load.staging_select, docs/sql.md).
-- Staging only renames and casts: empty -> NULL; numbers trimmed, a non-numeric one -> NULL.
SELECT
    $quarter AS quarter,
    $era AS era,
    TRY_CAST(nullif(trim(primaryid), '') AS BIGINT) AS primaryid,
    TRY_CAST(nullif(trim(caseid), '') AS BIGINT) AS caseid,
    TRY_CAST(nullif(trim(caseversion), '') AS INTEGER) AS caseversion,
    nullif(i_f_code, '') AS i_f_code,
    nullif(foll_seq, '') AS foll_seq,
    nullif(image, '') AS image,
    nullif(event_dt, '') AS event_dt,
    nullif(mfr_dt, '') AS mfr_dt,
    nullif(init_fda_dt, '') AS init_fda_dt,
    nullif(fda_dt, '') AS fda_dt,
    nullif(rept_cod, '') AS rept_cod,
    nullif(auth_num, '') AS auth_num,
    nullif(mfr_num, '') AS mfr_num,
    nullif(mfr_sndr, '') AS mfr_sndr,
    nullif(lit_ref, '') AS lit_ref,
    nullif(age, '') AS age,
    nullif(age_cod, '') AS age_cod,
    nullif(age_grp, '') AS age_grp,
    nullif(sex, '') AS sex,
    nullif(e_sub, '') AS e_sub,
    nullif(wt, '') AS wt,
    nullif(wt_cod, '') AS wt_cod,
    nullif(rept_dt, '') AS rept_dt,
    nullif(to_mfr, '') AS to_mfr,
    nullif(occp_cod, '') AS occp_cod,
    nullif(death_dt, '') AS death_dt,
    nullif(confid, '') AS confid,
    nullif(reporter_country, '') AS reporter_country,
    nullif(occr_country, '') AS occr_country
FROM fields
