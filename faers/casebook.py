"""Casebook: what a reviewer reads case by case — the SPM case line listing (spm_cases.csv), Table 1 of the CAR T
and SPM reports, and the per-category PT count appendix — for the study's current selection and roles."""

from __future__ import annotations

import polars as pl

from faers import sqlfiles

# Table 1: (characteristic, column of study_report_characteristics, level order; None = sorted as found)
TABLE1_ROWS = (
    ("age band", "age_band", ("0-17", "18-44", "45-64", "65-74", "75+", "unknown")),
    ("sex", "sex", ("F", "M", "unknown")),
    ("country (occurrence, else reporter)", "country", ("US", "non-US", "unknown")),
    ("reporter type", "reporter_type", ("health professional", "consumer", "other or unknown")),
    ("year of initial FDA receipt", "receipt_year", None),
    ("serious outcome (any OUTC code)", "serious_outcome", ("yes", "no")),
    ("death (OUTC DE)", "death", ("yes", "no")),
)


def _frame(study, name: str, params: dict | None = None) -> pl.DataFrame:
    return study.con.sql(sqlfiles.sql(name), params=params).pl()


def spm_cases(study) -> pl.DataFrame:
    """One row per SPM report of the current selection and roles (sql/study_spm_cases.sql)."""
    study.con.execute(sqlfiles.sql("study_spm_terms")).fetchall()
    cases = _frame(study, "study_spm_cases")
    return cases.join(duplicate_groups(study), on="primaryid", how="left")


def duplicate_groups(study) -> pl.DataFrame:
    """primaryid, duplicate_group_id, duplicate_group_size from `faers duplicates` (table duplicate_groups: reports
    of one patient under different caseids); empty when the database has no such table or it was never filled."""
    schema = {"primaryid": pl.Int64, "duplicate_group_id": pl.Int64, "duplicate_group_size": pl.Int64}
    present = study.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'duplicate_groups'").fetchall()[0][0]
    if not present:
        return pl.DataFrame(schema=schema)
    return study.con.sql("SELECT CAST(primaryid AS BIGINT) AS primaryid, CAST(group_id AS BIGINT) AS duplicate_group_id, "
                         "CAST(group_size AS BIGINT) AS duplicate_group_size FROM duplicate_groups").pl().cast(schema)


def pt_appendix(study) -> pl.DataFrame:
    """Per category x PT: CAR T reports of the selection with the term counted, and with it excluded (by reason)."""
    return study.con.sql(
        "SELECT t.category, t.pt, count(DISTINCT t.primaryid) FILTER (WHERE t.decision = 'counted') AS counted_reports, "
        "count(DISTINCT t.primaryid) FILTER (WHERE t.decision = 'excluded') AS excluded_reports, "
        "string_agg(DISTINCT t.exclusion_reason, '; ') AS exclusion_reasons "
        "FROM study_spm_terms t SEMI JOIN study_exposed x USING (primaryid) SEMI JOIN study_reports r USING (primaryid) "
        "GROUP BY ALL ORDER BY t.category, counted_reports DESC, t.pt").pl()


def table1(study, products: tuple[str, ...]) -> pl.DataFrame:
    """Table 1: CAR T reports and SPM reports by product and by each characteristic of TABLE1_ROWS, with the share
    of the column total (a report naming two products counts under each product, once in every other row)."""
    reports = _frame(study, "study_report_characteristics")
    total, spm_total = reports.height, int(reports["spm"].sum()) if reports.height else 0
    exposures = study.con.sql("SELECT DISTINCT x.primaryid, x.product FROM study_exposed x "
                              "SEMI JOIN study_reports r USING (primaryid)").pl()
    rows = []

    def add(characteristic: str, level: str, part: pl.DataFrame) -> None:
        n, spm = part.height, int(part["spm"].sum()) if part.height else 0
        rows.append({"characteristic": characteristic, "level": level, "car_t_reports": n,
                     "car_t_pct": round(100 * n / total, 1) if total else None, "spm_reports": spm,
                     "spm_pct": round(100 * spm / spm_total, 1) if spm_total else None})

    add("all", "all CAR T reports", reports)
    by_product = exposures.join(reports, on="primaryid")
    for product in products:
        add("product", product, by_product.filter(pl.col("product") == product))
    for characteristic, column, levels in TABLE1_ROWS:
        found = sorted(set(reports[column].to_list())) if reports.height else []
        for level in levels or found:
            add(characteristic, level, reports.filter(pl.col(column) == level))
    return pl.DataFrame(rows, schema={"characteristic": pl.String, "level": pl.String, "car_t_reports": pl.Int64,
                                      "car_t_pct": pl.Float64, "spm_reports": pl.Int64, "spm_pct": pl.Float64})
