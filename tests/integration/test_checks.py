"""The data checks (sql/checks/, `faers check`, the end of `faers refresh`): silent on a clean database, and each
one fires, with the failing rows, on a copy of it broken on purpose in the way the check is about."""

from __future__ import annotations

import io
import json
import shutil

import polars as pl
import pytest

from faers import Database, checks
from faers.cli import main
from tests.integration.conftest import refresh_mirror

CHECKS = ("line_accounting", "cases_one_row_per_caseid", "child_rows_without_report", "deleted_cases_present",
          "quarters_not_deduplicated")


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """A database refreshed from a generated mirror of every era (planted broken lines and deletions included)."""
    root = tmp_path_factory.mktemp("checks")
    settings, refreshed = refresh_mirror(root, 60, 3)
    return settings, refreshed


def test_the_checks_are_the_files():
    assert {c.name for c in checks.all_checks()} == set(CHECKS)
    assert all(c.description and c.severity in ("error", "warning") for c in checks.all_checks())


def test_refresh_runs_the_checks_and_a_clean_database_passes(clean, capsys):
    settings, refreshed = clean
    assert [r.check.name for r in refreshed.checks] == sorted(CHECKS)
    assert [r.check.name for r in refreshed.checks if not r.passed] == []
    assert main(["--db", str(settings.db_path), "check"]) == 0
    out = capsys.readouterr().out
    assert "5 of 5 checks passed" in out and "FAILED" not in out


def _broken(clean, tmp_path, *statements):
    settings, _ = clean
    copy = tmp_path / "broken.duckdb"
    shutil.copy(settings.db_path, copy)
    with Database(copy).writer() as db:
        for statement in statements:
            db.execute(statement)
    return copy


def _failing(path) -> dict[str, int]:
    with Database(path) as db:
        return {r.check.name: r.rows.height for r in db.check() if not r.passed}


BREAKAGES = {
    "line_accounting": [
        "UPDATE load_files SET rows_loaded = rows_loaded - 1 WHERE rowid = (SELECT min(rowid) FROM load_files)",
        "DELETE FROM reac_all WHERE rowid = (SELECT min(rowid) FROM reac_all)",
    ],
    "cases_one_row_per_caseid": [
        # a second report of an existing case, selected beside the first
        "INSERT INTO demo_all (quarter, era, primaryid, caseid, caseversion) "
        "SELECT quarter, era, primaryid + 900000000, caseid, caseversion FROM demo_all "
        "WHERE primaryid = (SELECT min(primaryid) FROM case_selected)",
        "INSERT INTO case_selected SELECT primaryid + 900000000, quarter, caseid FROM case_selected "
        "WHERE primaryid = (SELECT min(primaryid) FROM case_selected)",
        # and in the rows `cases` reads, materialised at dedup
        "INSERT INTO case_facts SELECT * REPLACE (primaryid + 900000000 AS primaryid) FROM case_facts "
        "WHERE primaryid = (SELECT min(primaryid) FROM case_selected)",
    ],
    "child_rows_without_report": [
        "INSERT INTO drug_all (quarter, era, primaryid, caseid, drug_seq, drugname) "
        "SELECT max(quarter), 'faers2014', 987654321, 987654321, 1, 'ORPHAN' FROM loaded_quarters",
    ],
    "deleted_cases_present": [
        "INSERT INTO deleted_cases SELECT caseid, quarter FROM case_selected LIMIT 2",
    ],
    "quarters_not_deduplicated": [
        "INSERT INTO faers_settings VALUES ('dedup_pending', 'a quarter was loaded after the last dedup')",
        "DELETE FROM case_selected WHERE quarter = (SELECT max(quarter) FROM case_selected)",
    ],
}


@pytest.mark.parametrize("name", CHECKS)
def test_each_check_fires_on_a_database_broken_on_purpose(name, clean, tmp_path, capsys):
    broken = _broken(clean, tmp_path, *BREAKAGES[name])
    failing = _failing(broken)
    assert failing.get(name, 0) >= 1, failing
    code = main(["--db", str(broken), "check"])
    out = capsys.readouterr()
    severity = next(c.severity for c in checks.all_checks() if c.name == name)
    if severity == "warning" and set(failing) == {name}:
        assert code == 0 and f"warning  {name}" in out.out
    else:
        assert code == 1, out
        err = " ".join(out.err.split())
        assert "checks passed;" in err and "FAILED: " in err and "Traceback" not in err
    assert name in out.out


def test_line_accounting_names_the_file_and_the_lost_rows(clean, tmp_path):
    broken = _broken(clean, tmp_path, *BREAKAGES["line_accounting"])
    with Database(broken) as db:
        rows = next(r.rows for r in db.check() if r.check.name == "line_accounting")
    problems = sorted(rows["problem"].to_list())
    assert problems[0] == "lines read <> loaded + repaired + rejected"
    assert any(p.startswith("the load inserted") for p in problems)
    assert rows.filter(rows["problem"].str.starts_with("lines read"))["member"].item()


def test_cases_one_row_per_caseid_lists_each_repeated_id_with_its_quarters(clean, tmp_path):
    broken = _broken(clean, tmp_path,
                     # a report in `cases` twice (two quarters), and a second report of another case
                     "INSERT INTO case_facts SELECT * REPLACE ('2099Q1' AS quarter) FROM case_facts "
                     "WHERE primaryid = (SELECT min(primaryid) FROM case_facts)",
                     "INSERT INTO case_facts SELECT * REPLACE (primaryid + 900000000 AS primaryid) FROM case_facts "
                     "WHERE primaryid = (SELECT max(primaryid) FROM case_facts)",
                     # two reports without a caseid: repeated as a NULL case, as GROUP BY groups them
                     "INSERT INTO case_facts SELECT c.* REPLACE (c.primaryid + v.k AS primaryid, NULL AS caseid) "
                     "FROM case_facts c, (VALUES (800000000), (800000001)) v(k) "
                     "WHERE c.primaryid = (SELECT min(primaryid) FROM case_facts WHERE primaryid > "
                     "(SELECT min(primaryid) FROM case_facts))")
    with Database(broken) as db:
        rows = next(r.rows for r in db.check() if r.check.name == "cases_one_row_per_caseid")
        first, last = db.execute("SELECT min(primaryid), max(primaryid) FROM case_facts WHERE primaryid < 800000000").fetchone()
        (first_case, first_quarter), (last_case, last_quarter) = (
            db.execute("SELECT caseid, quarter FROM case_facts WHERE primaryid = ? AND quarter <> '2099Q1'", [p]).fetchone()
            for p in (first, last))
        second_quarter = db.execute("SELECT quarter FROM case_facts WHERE primaryid > ? AND primaryid < 800000000 "
                                    "ORDER BY primaryid LIMIT 1", [first]).fetchone()[0]
    listed = {(r["key"], r["id"]): (r["rows_in_cases"], r["quarters"]) for r in rows.to_dicts()}
    assert listed == {("primaryid", first): (2, [first_quarter, "2099Q1"]),
                      ("caseid", first_case): (2, [first_quarter, "2099Q1"]),
                      ("caseid", last_case): (2, [last_quarter, last_quarter]),
                      ("caseid", None): (2, [second_quarter, second_quarter])}


def test_check_on_a_database_that_is_not_loaded(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "none.duckdb"), "check"]) == 1
    assert "no database" in capsys.readouterr().err
    empty = tmp_path / "empty.duckdb"
    with Database(empty).writer(create=True) as db:
        db.execute("CREATE TABLE x (i INT)")
    assert main(["--db", str(empty), "check"]) == 1
    assert "not a loaded faers database" in capsys.readouterr().err


def test_check_format_json_on_a_clean_database_is_one_parsable_document(clean, capsys):
    settings, _ = clean
    assert main(["--db", str(settings.db_path), "check", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)  # nothing but the document on stdout
    assert sorted(r["check"] for r in rows) == sorted(CHECKS)
    assert {(r["status"], r["failing_rows"], r["row"]) for r in rows} == {("passed", 0, None)}


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_check_format_for_scripts_lists_every_failing_row_and_exits_1(fmt, clean, tmp_path, capsys):
    broken = _broken(clean, tmp_path, *BREAKAGES["deleted_cases_present"])
    code = main(["--db", str(broken), "check", "--format", fmt])
    out = capsys.readouterr()
    assert code == 1 and "FAILED: deleted_cases_present" in " ".join(out.err.split())
    frame = pl.read_csv(io.StringIO(out.out)) if fmt == "csv" else pl.DataFrame(json.loads(out.out))
    failing = frame.filter(pl.col("check") == "deleted_cases_present")
    assert failing["status"].unique().to_list() == ["failed"]
    assert failing.height == failing["failing_rows"][0] == _failing(broken)["deleted_cases_present"] >= 2
    assert all("caseid" in json.loads(row) for row in failing["row"])  # the failing row itself, as JSON
    assert frame.filter(pl.col("check") != "deleted_cases_present")["status"].unique().to_list() == ["passed"]


def test_check_format_markdown_renders_the_failing_rows_and_max_rows_limits_them(clean, tmp_path, capsys):
    broken = _broken(clean, tmp_path, *BREAKAGES["deleted_cases_present"])
    assert main(["--db", str(broken), "check", "--format", "markdown", "--max-rows", "1"]) == 1
    out = capsys.readouterr().out
    table = [line for line in out.splitlines() if line.startswith("|")]
    assert table[0].startswith("| ") and "caseid" in table[0] and table[1].startswith("|---")
    assert len(table) == 3  # header, rule, one row: --max-rows 1
    assert "more rows: --max-rows" in out
