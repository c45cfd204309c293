"""`faers report` end to end on the mirror: exact counts against the generator's truth for every --roles,
the comparators' a/b/c/d against an independent query, every file's columns, exit codes, the HTML in chromium."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import polars as pl
import pytest

from faers import paths, published, study
from faers.cli import main
from tests import chromium

# Each file's columns a reader relies on, in their order in the file.
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
    "funnel.csv": ["product", "step_order", "step", "reason", "reports"],
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
        # every listed column, in this order (other columns may stand between and after them)
        assert [c for c in header if c in columns] == columns, (name, header)
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


def test_funnel_matches_truth_and_adds_up(report_dir, mirror_db):
    truth = mirror_db[2]["suspect"]
    rows = _csv(report_dir / "funnel.csv")
    by_product: dict[str, dict] = {}
    for r in rows:
        by_product.setdefault(r["product"], {})[(r["step"], r["reason"])] = int(r["reports"])
    assert list(by_product) == ["all_car_t", *study.PRODUCTS]
    for product, steps in by_product.items():
        removed = sum(n for (step, _), n in steps.items() if step == "removed")
        assert steps[("with_neoplasm_term", "")] == removed + steps[("spm_reports", "")], product
        assert steps[("spm_reports", "")] == (truth["spm_reports"] if product == "all_car_t"
                                              else truth["spm_per_product"][product]), product
    whole = by_product["all_car_t"]
    assert whole[("car_t_reports", "")] == truth["car_t_reports"]
    assert whole[("with_neoplasm_term", "")] == truth["neoplasm_reports"]
    # the planted relapses of the treated lymphoma / myeloma are removed as such
    assert whole[("removed", "treated_disease_progression")] > 0
    published = {r["metric"]: r for r in _csv(report_dir / "published_vs_computed.csv") if r["item"] == "all CAR T"}
    # Elsallab's numbers are computed at the paper's own window (through 2023Q4), not the main run's latest quarter
    row = published["neoplasm_soc_reports"]
    assert row["through"] == "2023Q4" and 0 < float(row["computed"]) <= truth["neoplasm_reports"]
    html = (report_dir / "report.html").read_text()
    assert "Report flow" in html and "removed (no neoplasm term counts)" in html


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
    assert len(grid) == len(rows) == 3 * len(study.DEDUP_RULES) * 4 * 3
    # dedup 'none' keeps every version: never fewer CAR T reports than 'latest_version'
    by = {(r["roles"], r["dedup_rule"], r["cutoff"], r["comparator"]): int(r["car_t_reports"]) for r in rows}
    assert all(by[(ro, "none", c, k)] >= by[(ro, "latest_version", c, k)] for ro, _, c, k in grid)
    assert any(by[(ro, "none", c, k)] > by[(ro, "latest_version", c, k)] for ro, _, c, k in grid)
    # one report per patient: never more than one per case
    assert all(by[(ro, "latest_version+duplicates", c, k)] <= by[(ro, "latest_version", c, k)] for ro, _, c, k in grid)


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


@pytest.mark.skipif(not chromium.available(), reason="chromium not installed (apt-get install chromium)")
def test_html_renders_in_headless_chromium(report_dir, tmp_path):
    shot = chromium.screenshot(report_dir / "report.html", tmp_path / "report.png")
    dom = chromium.dom(report_dir / "report.html")
    assert shot.stat().st_size > 20_000  # a blank page is a few kB
    # The browser parsed the page: the method section, the tables and the inline SVG charts are in its DOM.
    assert "READUS-PV" in dom and dom.count("<svg") >= 4 and "<table" in dom


README = Path(__file__).resolve().parents[2] / "README.md"


def _first_five_minutes() -> str:
    text = README.read_text()
    start = text.index("## First five minutes")
    return text[start: text.index("\n## ", start + 1)]


@pytest.fixture(scope="module")
def demo_like(mirror_db, tmp_path_factory):
    """The mirror database as `make demo` leaves it: `faers refresh` also installs the vocabulary views."""
    import duckdb

    from faers import vocab

    settings = paths.resolve(home=tmp_path_factory.mktemp("demo-like") / "home", environ={})
    settings.db_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(mirror_db[1].db_path, settings.db_path)
    with duckdb.connect(str(settings.db_path)) as con:
        vocab.install(con)
    return settings


def test_readme_queries_answer_what_the_readme_says(report_dir, demo_like):
    """The README's three SQL queries, as printed there, on a mirror database like the demo's."""
    from faers import query, signals, stats

    settings = demo_like
    queries = re.findall(r'faers --home cache/demo/home sql "\n(.*?)"\n```', _first_five_minutes(), re.S)
    assert len(queries) == 3
    per_year, spm_cases, signal = (query.run_query(settings, sql) for sql in queries)
    products = {r["product"]: r for r in _csv(report_dir / "products.csv")}
    summary = {r["metric"]: r["value"] for r in _csv(report_dir / "summary.csv")}
    # reports per product and year add up to the report's CAR T reports per product
    assert set(per_year.columns) == {"product", "year", "reports"} and per_year.height > len(products)
    totals = dict(per_year.group_by("product").agg(pl.col("reports").sum()).iter_rows())
    assert totals == {p: int(r["car_t_reports"]) for p, r in products.items() if int(r["car_t_reports"])}
    # the SPM cases are the rows of spm_cases.csv, product by product; the report counts those not pre-existing
    listing = _csv(report_dir / "spm_cases.csv")
    assert spm_cases["primaryid"].n_unique() == len(listing) > 0
    assert sum(r["counted_as_spm"] == "true" for r in listing) == int(summary["spm_reports"])
    per_product = dict(spm_cases.group_by("product").agg(pl.col("primaryid").n_unique()).iter_rows())
    assert per_product == {p: n for p in products if (n := sum(f"{p} (PS)" in r["car_t_products"] or
                                                              f"{p} (SS)" in r["car_t_products"] for r in listing))}
    assert spm_cases["spm_terms"].null_count() == 0
    # the hand-made 2x2 table and ROR are those of `faers signals`
    expected, _ = signals.drug_event_signals(settings, ["tisa-cel"], event_groups=["spm"], comparator="all",
                                             roles="suspect", prior=signals.parse_prior_choice("0.2,0.1,2,4,0.3"),
                                             # the hand-made query counts every SPM term, pre-existing ones too
                                             options=study.StudyOptions(keep_pre_existing=True))
    got, want = signal.row(0, named=True), expected.row(0, named=True)
    assert [got[k] for k in "abcd"] == [want[k] for k in "abcd"] and got["a"] > 0
    # Woolf's interval as faers.stats computes it (the README rounds z to 1.96)
    woolf = stats.ror(*(got[k] for k in "abcd"), z=1.96)
    assert [got["ror"], got["ror_lower"], got["ror_upper"]] == pytest.approx([float(v) for v in woolf], rel=1e-12)
    if want["ror"] is not None:  # faers signals leaves ROR empty below 3 reports
        assert got["ror"] == pytest.approx(want["ror"], rel=1e-12)


def test_readme_python_runs(demo_like, capsys):
    settings = demo_like
    block = re.search(r"```python\n(.*?)```", _first_five_minutes(), re.S).group(1)
    exec(compile(block.replace("cache/demo/home", str(settings.home)), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "tisa-cel" in out and "eb05" in out
