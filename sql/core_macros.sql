-- Macros for derived fields (persisted, so the views also work in the plain DuckDB CLI).
-- FAERS dates are YYYYMMDD, YYYYMM or YYYY; re-serialised files may carry a '.0' suffix.
CREATE OR REPLACE MACRO faers_date_text(s) AS regexp_replace(trim(s), '\.0+$', '');
CREATE OR REPLACE MACRO faers_date_precision(s) AS
    CASE length(faers_date_text(s))
        WHEN 8 THEN CASE WHEN try_strptime(faers_date_text(s), '%Y%m%d') IS NOT NULL THEN 'day' END
        WHEN 6 THEN CASE WHEN try_strptime(faers_date_text(s) || '01', '%Y%m%d') IS NOT NULL THEN 'month' END
        WHEN 4 THEN CASE WHEN try_strptime(faers_date_text(s) || '0101', '%Y%m%d') IS NOT NULL THEN 'year' END
    END;
-- Partial dates map to the first day of their month/year; the precision column says how much is known.
-- Years before 1900 or after 2100 are data-entry errors and become NULL.
CREATE OR REPLACE MACRO faers_date(s) AS
    CASE WHEN faers_date_precision(s) IS NOT NULL AND substr(faers_date_text(s), 1, 4)::INTEGER BETWEEN 1900 AND 2100
         THEN CAST(try_strptime(
             CASE faers_date_precision(s)
                 WHEN 'day' THEN faers_date_text(s)
                 WHEN 'month' THEN faers_date_text(s) || '01'
                 ELSE faers_date_text(s) || '0101'
             END, '%Y%m%d') AS DATE)
    END;
CREATE OR REPLACE MACRO faers_age_raw(age, age_cod) AS
    CASE upper(trim(age_cod))
        WHEN 'DEC' THEN TRY_CAST(trim(age) AS DOUBLE) * 10
        WHEN 'YR' THEN TRY_CAST(trim(age) AS DOUBLE)
        WHEN 'MON' THEN TRY_CAST(trim(age) AS DOUBLE) / 12
        WHEN 'WK' THEN TRY_CAST(trim(age) AS DOUBLE) / 52.1775
        WHEN 'DY' THEN TRY_CAST(trim(age) AS DOUBLE) / 365.25
        WHEN 'HR' THEN TRY_CAST(trim(age) AS DOUBLE) / 8766
        WHEN 'MIN' THEN TRY_CAST(trim(age) AS DOUBLE) / 525960
        WHEN 'SEC' THEN TRY_CAST(trim(age) AS DOUBLE) / 31557600
    END;
-- Age in years; implausible values (negative, over 122) become NULL.
CREATE OR REPLACE MACRO faers_age_years(age, age_cod) AS
    CASE WHEN faers_age_raw(age, age_cod) BETWEEN 0 AND 122 THEN round(faers_age_raw(age, age_cod), 3) END;
CREATE OR REPLACE MACRO faers_weight_raw(wt, wt_cod) AS
    CASE upper(trim(wt_cod))
        WHEN 'KG' THEN TRY_CAST(trim(wt) AS DOUBLE)
        WHEN 'LBS' THEN TRY_CAST(trim(wt) AS DOUBLE) * 0.45359237
        WHEN 'GMS' THEN TRY_CAST(trim(wt) AS DOUBLE) / 1000
    END;
-- Weight in kg; implausible values (<= 0, over 650 kg) become NULL.
CREATE OR REPLACE MACRO faers_weight_kg(wt, wt_cod) AS
    CASE WHEN faers_weight_raw(wt, wt_cod) > 0 AND faers_weight_raw(wt, wt_cod) <= 650
         THEN round(faers_weight_raw(wt, wt_cod), 3) END;
-- Quarter label '2023Q4' -> monotone integer, for ordering and comparisons.
CREATE OR REPLACE MACRO faers_quarter_index(q) AS CAST(substr(q, 1, 4) AS INTEGER) * 4 + CAST(substr(q, 6, 1) AS INTEGER) - 1;
-- The latest_version selection (rule "latest_version": sql/core_case_latest.sql; faers/duplicates.py compares it as
-- a temp case_selected): one report per case after FDA's deleted-case lists. Per caseid keep max caseversion; ties
-- -> later quarter; then max primaryid. Legacy AERS reports have caseversion 0 and caseid = legacy CASE, so a
-- FAERS version of the same case always wins over legacy. sql/study_selection_segments.sql restates this order for
-- every cutoff at once (tests/unit/test_study_segments.py holds the two together).
CREATE OR REPLACE MACRO faers_latest_versions() AS TABLE
    WITH deleted AS (
        SELECT DISTINCT caseid FROM deleted_cases
    ),
    reports AS (
        SELECT primaryid, coalesce(caseid, primaryid) AS caseid, coalesce(caseversion, 0) AS caseversion, quarter
        FROM demo_all
        WHERE primaryid IS NOT NULL
    ),
    kept AS (
        SELECT r.* FROM reports r ANTI JOIN deleted d ON r.caseid = d.caseid
    )
    SELECT primaryid, quarter, caseid
    FROM kept
    QUALIFY row_number() OVER (
        PARTITION BY caseid
        ORDER BY caseversion DESC, faers_quarter_index(quarter) DESC, primaryid DESC
    ) = 1;
