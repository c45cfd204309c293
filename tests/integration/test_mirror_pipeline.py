"""The whole pipeline on a generated FDA-format mirror, checked against the generator's ground truth:
download over 127.0.0.1 → load of every era (with planted broken lines) → deletions → dedup → vocabularies."""

from __future__ import annotations

import pytest

from faers import mirror, paths, pipeline
from faers.database import Database


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    root = tmp_path_factory.mktemp("mirror")
    result = mirror.generate(root / "site", reports_per_quarter=120, seed=7)
    with mirror.serve(root / "site") as base:
        settings = paths.resolve(home=root / "home", index_url=mirror.index_url(base), environ={})
        refreshed = pipeline.refresh(settings)
    assert not refreshed.failed_downloads
    con = Database(settings, read_only=True).con
    yield result.truth, con, refreshed
    con.close()


def test_every_quarter_table_and_line_accounted_for(demo_db):
    truth, con, refreshed = demo_db
    assert {str(r.quarter) for r in refreshed.loads if r.status == "loaded"} == set(truth["quarters"])
    files = {(q, t.upper()): (read, inserted, rejected)
             for q, t, read, inserted, rejected in con.execute(
                 "SELECT quarter, table_name, rows_read, rows_inserted, rows_rejected FROM load_files").fetchall()}
    for quarter, info in truth["quarters"].items():
        for table, counts in info["tables"].items():
            assert files[(quarter, table)] == (counts["lines"], counts["records"], 0), (quarter, table)
    assert con.execute("SELECT count(*) FROM load_rejects").fetchone()[0] == 0
    repaired = con.execute("SELECT sum(rows_repaired) FROM load_files").fetchone()[0]
    assert repaired >= 5  # split records, collapsed lines, '$' in a value, control characters


def test_deletions_and_dedup_match_ground_truth(demo_db):
    truth, con, _ = demo_db
    assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == truth["final"]["total_cases"]
    deleted = [int(c) for c in truth["deleted_caseids"]]
    assert con.execute("SELECT count(*) FROM cases WHERE caseid IN (SELECT unnest(?::BIGINT[]))", [deleted]).fetchone()[0] == 0
    for example in truth["dedup_examples"]:
        rows = con.execute("SELECT primaryid, quarter FROM cases WHERE caseid = ?", [example["caseid"]]).fetchall()
        expected = [] if example["survivor"] is None else [(example["survivor"]["primaryid"], example["survivor"]["quarter"])]
        assert rows == expected, example["kind"]


@pytest.mark.parametrize("roles", ["ps", "suspect", "any"])
def test_car_t_reports_per_product_match_ground_truth(demo_db, roles):
    truth, con, _ = demo_db
    role_codes = truth["role_settings"][roles]
    per_product = dict(con.execute(
        "SELECT product, count(DISTINCT primaryid) FROM drug_products WHERE role_cod IN (SELECT unnest(?::VARCHAR[])) "
        "GROUP BY product", [role_codes]).fetchall())
    expected = {p: n for p, n in truth["final"][roles]["per_product"].items() if n}
    assert per_product == expected
    total = con.execute(
        "SELECT count(DISTINCT primaryid) FROM drug_products WHERE role_cod IN (SELECT unnest(?::VARCHAR[]))",
        [role_codes]).fetchone()[0]
    assert total == truth["final"][roles]["car_t_reports"]
