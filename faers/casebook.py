"""Casebook: what a reviewer reads case by case — the SPM case line listing (spm_cases.csv), Table 1 of the CAR T
and SPM reports, and the per-category PT count appendix — for one exposure (study.expose) of a selection."""

from __future__ import annotations

import polars as pl

from faers import study

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


def _spm_terms(exposure: study.Exposure) -> study.Exposure:
    """The exposure, with its selection's neoplasm terms (study_spm_terms) built once."""
    exposure = study.check_value(exposure, study.Exposure, "the casebook")
    if not exposure.scalar("study_relation_exists", {"schema": exposure.selection.schema, "name": "study_spm_terms"}):
        exposure.selection.run("study_spm_terms")
    return exposure


def spm_cases(exposure: study.Exposure) -> pl.DataFrame:
    """One row per SPM report of the exposure (sql/study_spm_cases.sql)."""
    cases = _spm_terms(exposure).query("study_spm_cases")
    return cases.join(duplicate_groups(exposure), on="primaryid", how="left")


def duplicate_groups(exposure: study.Exposure) -> pl.DataFrame:
    """primaryid, duplicate_group_id, duplicate_group_size from `faers duplicates` (table duplicate_groups: reports
    of one patient under different caseids); empty when the database has no such table or it was never filled."""
    schema = {"primaryid": pl.Int64, "duplicate_group_id": pl.Int64, "duplicate_group_size": pl.Int64}
    if not exposure.scalar("study_relation_exists", {"schema": study.DB_ALIAS, "name": "duplicate_groups"}):
        return pl.DataFrame(schema=schema)
    return exposure.query("study_duplicate_groups").cast(schema)


def pt_appendix(exposure: study.Exposure) -> pl.DataFrame:
    """Per category x PT: CAR T reports of the selection with the term counted, and with it excluded (by reason)."""
    return _spm_terms(exposure).query("study_pt_counts")


def table1(exposure: study.Exposure, products: tuple[str, ...]) -> pl.DataFrame:
    """Table 1: CAR T reports and SPM reports by product and by each characteristic of TABLE1_ROWS, with the share
    of the column total (a report naming two products counts under each product, once in every other row)."""
    exposure = study.check_value(exposure, study.Exposure, "table1")
    reports = exposure.query("study_report_characteristics")
    total, spm_total = reports.height, int(reports["spm"].sum()) if reports.height else 0
    exposures = exposure.query("study_exposed_products")
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
