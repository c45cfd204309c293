"""`faers report` end to end on the mirror: exact counts against the generator's truth for every --roles,
the comparators' a/b/c/d against an independent query, every file's columns, exit codes, the HTML in chromium."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import polars as pl
import pytest

from faers import published, study
from faers.cli import main

COLUMNS = {
    "summary.csv": ["metric", "value"],
    "products.csv": ["product", "car_t_reports", "spm_reports", "spm_share_pct"],
    "categories.csv": ["category", "reports", "pct_of_spm", "pct_of_car_t"],
    "signals.csv": ["product", "event_group", "comparator", "a", "b", "c", "d", "ror", "ror_lower", "ror_upper", "prr",
                    "chi2_yates", "ic", "ic025", "ebgm", "eb05", "signal", "note"],
    "published_vs_computed.csv": ["source", "item", "metric", "unit", "published", "computed", "difference", "window",
                                  "through", "settings", "note"],
    "sensitivity.csv": ["roles", "dedup_rule", "cutoff", "through", "comparator", "car_t_reports", "spm_reports",
                        "spm_pct", "t_cell_malignancy_reports", "variant", "options", "gap_to_elsallab_counts"],
    "time_to_onset.csv": ["product", "event_group", "reports", "computed", "median_days", "q1_days", "q3_days"],
    "timeline.csv": ["product", "event_group", "comparator", "quarter", "a", "b", "c", "d", "ror", "ror_lower",
                     "ror_upper", "signal", "first_signal_quarter"],
}


@pytest.fixture(scope="module")
def mirror_db(loaded_mirror):
    root, settings, truth = loaded_mirror
    return root, settings, truth["final"]


@pytest.fixture(scope="module")
def report_dir(mirror_report_dir):
    return mirror_report_dir


def _csv(path: Path) -> list[dict]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_file_and_its_columns(report_dir):
    for name, columns in COLUMNS.items():
        with (report_dir / name).open() as fh:
            header = next(csv.reader(fh))
        assert header[: len(columns)] == columns or set(columns) <= set(header), name
    for name in ("report.md", "report.html", "manifest.json"):
        assert (report_dir / name).stat().st_size > 0
    html = (report_dir / "report.html").read_text()
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert html.count("<svg") >= 5


def test_summary_products_categories_match_truth_for_suspect(report_dir, mirror_db):
    truth = mirror_db[2]["suspect"]
    summary = {r["metric"]: r["value"] for r in _csv(report_dir / "summary.csv")}
    assert [r["metric"] for r in _csv(report_dir / "summary.csv")][:6] == [
        "car_t_reports", "spm_reports", "spm_pct", "t_cell_malignancy_reports", "t_cell_nhl_reports", "t_cell_lgl_reports"]
    assert int(summary["car_t_reports"]) == truth["car_t_reports"]
    assert int(summary["spm_reports"]) == truth["spm_reports"]
    assert int(summary["t_cell_malignancy_reports"]) == truth["t_cell_malignancy_reports"]
    products = {r["product"]: r for r in _csv(report_dir / "products.csv")}
    assert list(products) == list(study.PRODUCTS)
    assert {p: int(r["car_t_reports"]) for p, r in products.items()} == truth["per_product"]
    assert {p: int(r["spm_reports"]) for p, r in products.items()} == truth["spm_per_product"]
    categories = {r["category"]: int(r["reports"]) for r in _csv(report_dir / "categories.csv")}
    for category, n in truth["per_category"].items():
        assert categories[category] == n, category


@pytest.mark.parametrize("roles", ["ps", "any"])
def test_other_roles_match_truth(mirror_db, roles, tmp_path):
    _, settings, truth = mirror_db
    code = main(["--home", str(settings.home), "report", "--out", str(tmp_path), "--roles", roles, "--no-sensitivity"])
    assert code == 0
    out = tmp_path / "car_t_spm"
    summary = {r["metric"]: r["value"] for r in _csv(out / "summary.csv")}
    assert (int(summary["car_t_reports"]), int(summary["spm_reports"])) == (truth[roles]["car_t_reports"], truth[roles]["spm_reports"])
    products = {r["product"]: r for r in _csv(out / "products.csv")}
    assert {p: int(r["car_t_reports"]) for p, r in products.items()} == truth[roles]["per_product"]
    assert {p: int(r["spm_reports"]) for p, r in products.items()} == truth[roles]["spm_per_product"]
    categories = {r["category"]: int(r["reports"]) for r in _csv(out / "categories.csv")}
    assert {c: categories[c] for c in truth[roles]["per_category"]} == truth[roles]["per_category"]


INDEPENDENT = """
WITH car_t AS (SELECT DISTINCT primaryid FROM drug_products),
exposed AS (SELECT DISTINCT primaryid FROM drug_products WHERE product = $product AND role_cod IN ('PS', 'SS')),
named AS (SELECT DISTINCT primaryid FROM drug_products WHERE product = $product),
others AS (SELECT DISTINCT primaryid FROM drug_products WHERE product <> $product AND role_cod IN ('PS', 'SS')),
car_t_starts AS (
    SELECT d.primaryid, min(t.start_dt) AS start_dt FROM drug_products d
    JOIN therapies t ON t.primaryid = d.primaryid AND t.dsg_drug_seq = d.drug_seq
    WHERE t.start_dt_precision = 'day' GROUP BY d.primaryid
),
-- an SPM dated before the CAR T start is not counted (pre-existing): both to the day, or the whole month before
pre_existing AS (
    SELECT c.primaryid FROM cases c JOIN car_t_starts s ON s.primaryid = c.primaryid
    WHERE (c.event_dt_precision = 'day' AND c.event_dt < s.start_dt)
       OR (c.event_dt_precision = 'month' AND c.event_dt < date_trunc('month', s.start_dt))
),
event AS (SELECT DISTINCT primaryid FROM report_event_groups WHERE group_name = $grp
          AND primaryid NOT IN (SELECT primaryid FROM pre_existing)),
population AS (
    SELECT primaryid FROM cases
    WHERE CASE $comparator
        WHEN 'all' THEN primaryid NOT IN (SELECT primaryid FROM named)
        WHEN 'class' THEN primaryid IN (SELECT primaryid FROM others) AND primaryid NOT IN (SELECT primaryid FROM named)
        ELSE primaryid NOT IN (SELECT primaryid FROM car_t) AND primaryid IN (
            SELECT i.primaryid FROM report_indication_groups i JOIN vocab_product_indications p
            ON p.indication_group = i.indication_group WHERE p.product = $product)
    END
)
SELECT
    (SELECT count(*) FROM exposed WHERE primaryid IN (SELECT primaryid FROM event)),
    (SELECT count(*) FROM exposed WHERE primaryid NOT IN (SELECT primaryid FROM event)),
    (SELECT count(*) FROM population WHERE primaryid IN (SELECT primaryid FROM event)),
    (SELECT count(*) FROM population WHERE primaryid NOT IN (SELECT primaryid FROM event))
"""


def test_comparator_cells_match_an_independent_query(report_dir, mirror_db):
    _, settings, _ = mirror_db
    rows = _csv(report_dir / "signals.csv")
    st = study.open_study(settings)  # the database's own selection: no temp shadows
    try:
        checked = 0
        for r in rows:
            if r["product"] not in ("axi-cel", "tisa-cel", "ide-cel") or r["event_group"] not in ("spm", "t_cell_malignancy"):
                continue
            got = st.con.execute(INDEPENDENT, {"product": r["product"], "grp": r["event_group"],
                                               "comparator": r["comparator"]}).fetchall()[0]
            assert tuple(int(r[k]) for k in "abcd") == got, r
            checked += 1
        assert checked == 18
    finally:
        st.close()


def test_ror_is_empty_below_three_reports_and_signal_follows_the_criterion(report_dir):
    for r in _csv(report_dir / "signals.csv"):
        if int(r["a"]) < 3:
            assert r["ror"] == "" and "fewer than 3" in r["note"]
            assert r["signal"] == "false"
        elif r["ror_lower"]:
            assert (r["signal"] == "true") == (float(r["ror_lower"]) > 1)


def test_published_vs_computed_lists_every_published_number(report_dir):
    rows = _csv(report_dir / "published_vs_computed.csv")
    assert len(rows) == published.published().height
    values = {(r["source"], r["item"], r["metric"]): float(r["published"]) for r in rows}
    assert values[(published.ELSALLAB, "all CAR T", "car_t_reports")] == 12394
    assert values[(published.ELSALLAB, "all CAR T", "spm_reports")] == 536
    assert values[(published.ELSALLAB, "cilta-cel", "spm_reports")] == 24
    assert values[(published.ELSALLAB, "t_cell_malignancy", "reports")] == 19
    # every number in study.md's tables appears (the product table, the category table, the other sources)
    study_md = (Path(__file__).resolve().parents[3] / "shared" / "docs" / "study.md")
    if study_md.is_file():
        text = study_md.read_text()
        for value in values.values():
            shown = f"{value:,.0f}" if value >= 1000 else (f"{value:g}" if value != int(value) else f"{int(value)}")
            assert shown in text or f"{value:.1f}" in text, value
    computed = {(r["source"], r["item"], r["metric"]): r["computed"] for r in rows}
    assert computed[(published.ELSALLAB, "all CAR T", "spm_reports")] != ""


def test_sensitivity_covers_the_whole_grid(report_dir):
    rows = [r for r in _csv(report_dir / "sensitivity.csv") if r["variant"] == "base"]
    grid = {(r["roles"], r["dedup_rule"], r["cutoff"], r["comparator"]) for r in rows}
    assert len(grid) == len(rows) == 3 * 2 * 4 * 3
    # dedup 'none' keeps every version: never fewer CAR T reports than 'latest_version'
    by = {(r["roles"], r["dedup_rule"], r["cutoff"], r["comparator"]): int(r["car_t_reports"]) for r in rows}
    assert all(by[(ro, "none", c, k)] >= by[(ro, "latest_version", c, k)] for ro, _, c, k in grid)
    assert any(by[(ro, "none", c, k)] > by[(ro, "latest_version", c, k)] for ro, _, c, k in grid)


def test_manifest_has_provenance(report_dir, mirror_db):
    manifest = json.loads((report_dir / "manifest.json").read_text())
    assert manifest["parameters"]["roles"] == "suspect" and manifest["parameters"]["comparator"] == "indication"
    assert manifest["parameters"]["signal_criterion"] == "ror_lower > 1 and a >= 3"
    # the criterion as applied: every flagged row has a >= 3 and a lower ROR bound above 1
    flagged = [r for r in _csv(report_dir / "signals.csv") if r["signal"].lower() == "true"]
    assert flagged and all(int(r["a"]) >= 3 and float(r["ror_lower"]) > 1 for r in flagged)
    assert len(manifest["quarters_loaded"]) == 23 and all(len(q["sha256"]) == 64 for q in manifest["quarters_loaded"])
    assert manifest["vocabulary_versions"] and manifest["ebgm_fit"]
    assert manifest["row_counts"]["signals.csv"] == len(_csv(report_dir / "signals.csv"))


def test_timeline_first_signal_quarter_is_the_first_quarter_meeting_the_criterion(report_dir):
    rows = pl.read_csv(report_dir / "timeline.csv", infer_schema_length=None)
    for (product, group), part in rows.group_by(["product", "event_group"]):
        flagged = part.filter(pl.col("signal"))["quarter"]
        expected = flagged.min() if flagged.len() else None
        assert set(part["first_signal_quarter"].to_list()) == {expected}, (product, group)


def test_missing_database_and_no_car_t_exit_non_zero(tmp_path, capsys):
    assert main(["--home", str(tmp_path / "nowhere"), "report", "--out", str(tmp_path / "r")]) != 0
    assert "no database" in capsys.readouterr().err
    from tests.study_data import QUARTERS, Report, StudyData, build_db

    data = StudyData([Report(900 + i, 1, QUARTERS[0], [("LISINOPRIL", "PS")], ["Nausea"]) for i in range(3)])
    settings, _ = build_db(tmp_path, data)
    code = main(["--home", str(settings.home), "report", "--out", str(tmp_path / "r")])
    assert code == study.StudyError.exit_code != 0
    assert "no CAR T reports" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed (apt-get install chromium)")
def test_html_renders_in_headless_chromium(report_dir, tmp_path):
    shot = tmp_path / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             f"--screenshot={shot}", "--window-size=1280,2000", (report_dir / "report.html").as_uri()],
            check=True, capture_output=True, timeout=120)
        dom = subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             "--dump-dom", (report_dir / "report.html").as_uri()],
            check=True, capture_output=True, timeout=120, text=True).stdout
    assert shot.stat().st_size > 20_000  # a blank page is a few kB
    # The browser parsed the page: the method section, the tables and the inline SVG charts are in its DOM.
    assert "READUS-PV" in dom and dom.count("<svg") >= 4 and "<table" in dom
