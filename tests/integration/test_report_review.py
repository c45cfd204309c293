"""What a reviewer checks, end to end on the mirror (issue 12): the options' counts against the generator's truth
(pre-existing SPMs, strata, presets at a paper's window), the comparator options against an independent query and
the planted comparator reports, and spm_cases.csv case by case against the truth."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest

from faers import study
from faers.cli import main
from faers.mirror import review
from faers.quarters import Quarter

SUSPECT = ("PS", "SS")


@pytest.fixture(scope="module")
def mirror_db(loaded_mirror):
    return loaded_mirror


@pytest.fixture(scope="module")
def report_dir(mirror_report_dir):
    return mirror_report_dir


def _csv(path) -> list[dict]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _summary(directory) -> dict:
    return {r["metric"]: r["value"] for r in _csv(directory / "summary.csv")}


def test_the_mirror_plants_what_each_option_changes(mirror_db):
    truth = mirror_db[2]
    assert set(truth["review"]["car_t"]) == {"pre_infusion_spm", "study_source_spm", "consumer_spm"}
    assert {p["name"] for p in truth["review"]["background"]} == {
        "cll_before_liso_cel_cll_approval", "cll_after_liso_cel_cll_approval", "imid_with_spm"}
    suspect = truth["final"]["suspect"]
    assert suspect["pre_existing_spm_reports"] >= 1
    strata = suspect["strata"]
    # every stratum leaves something out, and the FDA-announcement split has SPMs on both sides
    assert all(0 < s["car_t_reports"] < suspect["car_t_reports"] for s in strata.values())
    assert strata["received_before_2023-11-28"]["spm_reports"] > 0 < strata["received_from_2023-11-28"]["spm_reports"]
    assert strata["without_study_reports"]["spm_reports"] < suspect["spm_reports"]
    assert strata["health_professional"]["spm_reports"] < suspect["spm_reports"]


def test_pre_existing_spms_are_not_counted_unless_kept(report_dir, mirror_db, tmp_path):
    _, settings, truth = mirror_db
    suspect = truth["final"]["suspect"]
    assert int(_summary(report_dir)["spm_reports"]) == suspect["spm_reports"]
    assert main(["--home", str(settings.home), "report", "--out", str(tmp_path), "--no-sensitivity",
                 "--keep-pre-existing"]) == 0
    kept = _summary(tmp_path / "car_t_spm")
    assert int(kept["spm_reports"]) == suspect["spm_reports"] + suspect["pre_existing_spm_reports"]
    assert int(kept["car_t_reports"]) == suspect["car_t_reports"]
    planted = truth["review"]["car_t"]["pre_infusion_spm"]
    row = next(r for r in _csv(report_dir / "spm_cases.csv") if int(r["caseid"]) == planted)
    assert (row["pre_existing"], row["counted_as_spm"]) == ("true", "false") and int(row["days_from_infusion"]) < 0
    row = next(r for r in _csv(tmp_path / "car_t_spm" / "spm_cases.csv") if int(r["caseid"]) == planted)
    assert (row["pre_existing"], row["counted_as_spm"]) == ("true", "true")


def test_stratified_sensitivity_rows_match_truth(report_dir, mirror_db):
    strata = mirror_db[2]["final"]["suspect"]["strata"]
    rows = [r for r in _csv(report_dir / "sensitivity.csv") if r["variant"].startswith("stratum ")]
    assert {r["variant"] for r in rows} == {f"stratum {s}" for s in study.STRATA}
    for r in rows:
        expected = strata[r["variant"].removeprefix("stratum ")]
        assert (int(r["car_t_reports"]), int(r["spm_reports"])) == (expected["car_t_reports"], expected["spm_reports"]), r


def _date(text: str) -> str:
    return dt.datetime.strptime(text, "%Y%m%d").date().isoformat() if len(text) == 8 else ""


def test_spm_cases_match_truth_case_by_case(report_dir, mirror_db):
    truth = mirror_db[2]
    expected = {c["primaryid"]: c for c in truth["spm_cases"] if any(r in SUSPECT for r in c["roles"].values())}
    rows = {int(r["primaryid"]): r for r in _csv(report_dir / "spm_cases.csv")}
    assert set(rows) == set(expected)
    for primaryid, case in expected.items():
        row = rows[primaryid]
        assert (int(row["caseid"]), int(row["caseversion"]), row["quarter"]) == (
            case["caseid"], case["caseversion"], case["quarter"])
        assert row["car_t_products"] == "; ".join(sorted(f"{p} ({r})" for p, r in case["roles"].items()))
        assert all(pt in row["neoplasm_terms"] for pt in case["spm_pts"]) and "counted" in row["neoplasm_terms"]
        assert row["indications"] == "; ".join(case["indications"])
        assert row["sex"] == (case["sex"] if case["sex"] in ("M", "F", "UNK") else "")
        assert row["occr_country"] == case["occr_country"] and row["occp_cod"] == case["occp_cod"]
        assert row["report_sources"] == "; ".join(case["sources"]) and row["outcomes"] == "; ".join(case["outcomes"])
        assert row["lit_ref"] == case["lit_ref"] and row["rept_cod"] == case["rept_cod"]
        assert row["event_dt"][:7].replace("-", "") == case["event_dt"][:6]
        assert row["first_car_t_start"] == _date(case["therapy_start"])
        assert row["init_fda_dt"] == _date(case["init_fda_dt"]) and row["fda_dt"] == _date(case["fda_dt"])
        if len(case["event_dt"]) == 8 and len(case["therapy_start"]) == 8:
            days = (dt.date.fromisoformat(_date(case["event_dt"])) - dt.date.fromisoformat(_date(case["therapy_start"]))).days
            assert int(row["days_from_infusion"]) == days
        assert row["pre_existing"] == str(case["pre_existing"]).lower()
    planted = truth["review"]["car_t"]
    by_case = {int(r["caseid"]): r for r in rows.values()}
    assert by_case[planted["study_source_spm"]]["report_sources"] == "SDY"
    assert by_case[planted["consumer_spm"]]["occp_cod"] == "CN"


def test_table1_counts_the_same_reports_as_the_summary(report_dir, mirror_db):
    truth = mirror_db[2]["final"]["suspect"]
    rows = _csv(report_dir / "table1.csv")
    total = next(r for r in rows if r["characteristic"] == "all")
    assert (int(total["car_t_reports"]), int(total["spm_reports"])) == (truth["car_t_reports"], truth["spm_reports"])
    products = {r["level"]: int(r["car_t_reports"]) for r in rows if r["characteristic"] == "product"}
    assert products == truth["per_product"]
    for characteristic in ("age band", "sex", "reporter type", "year of initial FDA receipt", "serious outcome (any OUTC code)"):
        part = [r for r in rows if r["characteristic"] == characteristic]
        assert sum(int(r["car_t_reports"]) for r in part) == truth["car_t_reports"], characteristic
        assert sum(int(r["spm_reports"]) for r in part) == truth["spm_reports"], characteristic
    reporter = {r["level"]: int(r["car_t_reports"]) for r in rows if r["characteristic"] == "reporter type"}
    assert reporter["health professional"] == truth["strata"]["health_professional"]["car_t_reports"]
    html = (report_dir / "report.html").read_text()
    assert "Table 1" in html and "SPM case line listing" in html and "PTs per SPM category" in html


# --- comparator options: an independent query, and the planted reports -------------------------------------

INDEPENDENT = """
WITH named AS (SELECT DISTINCT primaryid FROM drug_products WHERE product = $product),
exposed AS (SELECT DISTINCT primaryid FROM drug_products WHERE product = $product AND role_cod IN ('PS', 'SS')),
car_t AS (SELECT DISTINCT primaryid FROM drug_products),
-- a pre-existing SPM (dated before the CAR T start) is no SPM event wherever the report is counted
event AS (SELECT DISTINCT primaryid FROM report_event_groups WHERE group_name = 'spm'
          AND primaryid NOT IN (SELECT primaryid FROM study_pre_existing)),
first_quarters AS (SELECT coalesce(caseid, primaryid) AS caseid, min(quarter) AS q FROM faers_db.main.demo_all GROUP BY 1),
masking AS (SELECT DISTINCT primaryid FROM drug_ingredients
            WHERE upper(ingredient) IN ('LENALIDOMIDE', 'POMALIDOMIDE', 'THALIDOMIDE')),
kept AS (
    SELECT c.primaryid FROM cases c JOIN first_quarters f ON f.caseid = coalesce(c.caseid, c.primaryid)
    WHERE ($from IS NULL OR f.q >= $from) AND NOT ($masking AND c.primaryid IN (SELECT primaryid FROM masking))
),
groups AS (
    SELECT indication_group FROM vocab_product_indications
    WHERE product = $product AND (NOT $approved OR approved <= CAST($approved_by AS DATE))
),
population AS (
    SELECT primaryid FROM kept
    WHERE CASE $comparator
        WHEN 'all' THEN primaryid NOT IN (SELECT primaryid FROM named)
        ELSE primaryid NOT IN (SELECT primaryid FROM car_t) AND primaryid IN (
            SELECT primaryid FROM report_indication_groups WHERE indication_group IN (SELECT indication_group FROM groups))
    END
)
SELECT (SELECT count(*) FROM population WHERE primaryid IN (SELECT primaryid FROM event)),
       (SELECT count(*) FROM population WHERE primaryid NOT IN (SELECT primaryid FROM event))
"""

OPTION_SETS = {
    "defaults": study.StudyOptions(),
    "any approval date": study.StudyOptions(approved_only=False),
    "comparator from 2017Q3": study.StudyOptions(comparator_from="2017Q3"),
    "masking drugs out": study.StudyOptions(exclude_masking=True),
}


@pytest.mark.parametrize("cutoff", ["2023Q4", "2025Q4"])
def test_comparator_options_match_an_independent_query(mirror_db, cutoff):
    _, settings, _ = mirror_db
    st = study.open_study(settings)
    try:
        for name, options in OPTION_SETS.items():
            selection = study.select(st, None, cutoff, options)
            counts = study.signal_counts(study.expose(selection, "suspect"), ("spm",))
            for product in ("axi-cel", "liso-cel", "ide-cel"):
                for comparator in ("indication", "all"):
                    got = counts.filter((counts["product"] == product) & (counts["comparator"] == comparator))
                    want = selection.con.execute(INDEPENDENT, {
                        "product": product, "comparator": comparator, "from": options.comparator_from,
                        "masking": options.exclude_masking, "approved": options.approved_only,
                        "approved_by": str(Quarter.parse(cutoff).end_date())}).fetchall()[0]
                    assert (got["c"][0], got["d"][0]) == want, (name, product, comparator)
    finally:
        st.close()


def _in_comparator(selection, primaryid: int, product: str) -> bool:
    return selection.con.execute(
        "SELECT count(*) FROM study_indication_population p JOIN study_indication_group_bits b "
        "ON p.group_set & b.bit <> 0 WHERE p.primaryid = ? AND b.product = ?", [primaryid, product]).fetchall()[0][0] > 0


def test_planted_comparator_reports_follow_the_options(mirror_db):
    _, settings, truth = mirror_db
    planted = {p["name"]: p["primaryid"] for p in truth["review"]["background"]}
    before, after, imid = (planted["cll_before_liso_cel_cll_approval"], planted["cll_after_liso_cel_cll_approval"],
                           planted["imid_with_spm"])
    st = study.open_study(settings)
    try:
        q4 = study.select(st, None, "2023Q4")  # liso-cel's CLL approval (2024-03-14) is after this cutoff
        assert not _in_comparator(q4, before, "liso-cel") and _in_comparator(q4, imid, "ide-cel")
        assert _in_comparator(study.with_options(q4, study.StudyOptions(approved_only=False)), before, "liso-cel")
        assert not _in_comparator(q4, before, "liso-cel")  # the first selection keeps its options
        later = study.select(st, None, "2025Q4")  # approved by then: both CLL reports count for liso-cel
        assert _in_comparator(later, before, "liso-cel") and _in_comparator(later, after, "liso-cel")
        assert not _in_comparator(later, before, "axi-cel")  # CLL is not an axi-cel indication at all
        masked = study.with_options(later, study.StudyOptions(exclude_masking=True))
        assert not _in_comparator(masked, imid, "ide-cel") and _in_comparator(masked, before, "liso-cel")
        excluded = masked.con.execute("SELECT reason FROM study_comparator_excluded WHERE primaryid = ?", [imid]).fetchall()
        assert excluded == [("names lenalidomide (SPM in its label)",)]
        # the exclusion takes the texts that map to SPM-labelled ingredients, then the rows naming them: the same
        # reports and reasons as every row's ingredients (drug_ingredients) joined to the list
        reference = masked.con.execute(
            "SELECT i.primaryid, min('names ' || lower(m.ingredient) || ' (SPM in its label)') FROM drug_ingredients i "
            "JOIN vocab_masking_drugs m ON m.ingredient_key = upper(trim(i.ingredient)) "
            "SEMI JOIN study_reports r ON r.primaryid = i.primaryid GROUP BY 1 ORDER BY 1").fetchall()
        assert reference and masked.con.execute(
            "SELECT primaryid, reason FROM study_comparator_excluded ORDER BY 1").fetchall() == reference
    finally:
        st.close()


# --- presets: each paper at its own window -----------------------------------------------------------------


def _car_t_reports_at(truth: dict, cutoff: str) -> int:
    """CAR T reports (suspect) surviving dedup at a cutoff, from the truth's case histories."""
    deleted = {int(c): q for c, q in truth["deleted_caseids"].items()}
    n = 0
    for case in truth["car_t_cases"]:
        versions = [v for v in case["versions"] if v["quarter"] <= cutoff]
        if not versions or deleted.get(case["caseid"], "9999Q9") <= cutoff:
            continue
        final = max(versions, key=lambda v: (v["caseversion"], v["quarter"]))
        n += any(r in SUSPECT for r in final["roles"].values())
    return n


def test_presets_and_published_sources_at_their_own_window(report_dir, mirror_db, tmp_path):
    _, settings, truth = mirror_db
    rows = _csv(report_dir / "published_vs_computed.csv")
    through = {r["source"]: r["through"] for r in rows}
    assert through["Storgard et al., JAMA Oncol 2024"] == "2023Q3" and through["Elsallab et al., Blood 2024"] == "2023Q4"
    storgard = {(r["item"], r["metric"]): r for r in rows if r["source"] == "Storgard et al., JAMA Oncol 2024"}
    assert float(storgard[("all CAR T", "car_t_reports")]["computed"]) == _car_t_reports_at(truth, "2023Q3")
    assert "comparator from 2017Q3" in storgard[("all CAR T", "car_t_reports")]["settings"]
    assert storgard[("myeloid_neoplasms", "reports")]["computed"] != ""
    elsallab = next(r for r in rows if r["source"].startswith("Elsallab") and r["metric"] == "car_t_reports")
    assert float(elsallab["computed"]) == _car_t_reports_at(truth, "2023Q4")
    assert main(["--home", str(settings.home), "report", "--out", str(tmp_path), "--no-sensitivity",
                 "--preset", "storgard2024"]) == 0
    out = tmp_path / "car_t_spm"
    assert _summary(out)["through"] == "2023Q3"
    assert int(_summary(out)["car_t_reports"]) == _car_t_reports_at(truth, "2023Q3")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["preset"] == "storgard2024"
    assert manifest["parameters"]["options"]["comparator_from"] == "2017Q3"
    # the comparator option restricts `all`: the database-wide EBGM prior no longer applies to any row
    signals_rows = _csv(out / "signals.csv")
    assert all(r["ebgm"] == "" for r in signals_rows) and all("no EBGM" in r["ebgm_basis"] for r in signals_rows)


def test_unknown_preset_and_stratum_are_clear_errors(mirror_db, tmp_path, capsys):
    _, settings, _ = mirror_db
    assert main(["--home", str(settings.home), "report", "--out", str(tmp_path), "--preset", "nope"]) != 0
    assert "unknown preset 'nope'" in capsys.readouterr().err
    assert main(["--home", str(settings.home), "report", "--out", str(tmp_path), "--stratum", "nope"]) != 0
    assert "unknown stratum 'nope'" in capsys.readouterr().err


def test_review_strata_rules_match_the_sql_definitions():
    # the truth's membership tests spell the same codes as sql/study_report_stratum_bits.sql
    assert set(review.STRATA) == set(study.STRATA)
