"""A refresh stores the study's tables over every report version in the database and those of the database's own
selection (study.store_versions); `faers report` then reads them (none of their SQL runs), writes the same tables as
a report that computes them, and leaves the database's bytes as they were."""

from __future__ import annotations

import hashlib

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from faers import load, pipeline, study
from faers.cli import main
from faers.database import Database
from tests.integration.conftest import refresh_mirror

HEAVY = {"study_case_selected_all_versions", *study.VERSIONS_TABLES} - {"study_reports_other"}


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    root = tmp_path_factory.mktemp("versions")
    settings, _ = refresh_mirror(root, 60, 5)
    return settings


def _stored(settings, schema: str = study.VERSIONS_SCHEMA) -> set[str]:
    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:
        return {name for (name,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = ?",
                                                [schema]).fetchall()}
    finally:
        con.close()


def _assert_same_csvs(read: dict[str, bytes], computed: dict[str, bytes]) -> None:
    assert read.keys() == computed.keys() and len(read) > 5
    for name, content in computed.items():
        if read[name] != content:  # floats summed in parallel differ in the last digits run to run (docs/report.md)
            assert_frame_equal(pl.read_csv(read[name], infer_schema_length=None),
                               pl.read_csv(content, infer_schema_length=None), rel_tol=1e-12, abs_tol=0)


def _report(settings, out) -> dict[str, bytes]:
    before = hashlib.sha256(settings.db_path.read_bytes()).hexdigest()
    assert main(["--home", str(settings.home), "report", "--out", str(out)]) == 0
    assert hashlib.sha256(settings.db_path.read_bytes()).hexdigest() == before
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.csv"))}


def test_a_refresh_stores_them(refreshed):
    assert _stored(refreshed) == set(study.VERSIONS_TABLES)
    with Database(refreshed) as db:
        assert load.setting(db.con, study.VERSIONS_KEY)
    st = study.open_study(refreshed)
    try:
        assert study._versions_stored(st)
    finally:
        st.close()
    with Database(refreshed).writer() as db:  # a refresh with nothing new keeps them: nothing to compute
        assert not pipeline.store_study_versions(refreshed, db)


def test_the_report_reads_them_and_writes_what_computing_them_gives(refreshed, ran, monkeypatch, tmp_path):
    read = _report(refreshed, tmp_path / "stored")
    assert ran and not HEAVY & set(ran), sorted(HEAVY & set(ran))
    ran.clear()
    monkeypatch.setattr(study, "_versions_stored", lambda _st: False)
    computed = _report(refreshed, tmp_path / "computed")
    assert "study_drug_product_versions" in ran
    _assert_same_csvs(read, computed)


def test_a_refresh_stores_the_own_selection_and_the_report_reads_it(refreshed, ran, monkeypatch, tmp_path):
    assert _stored(refreshed, study.OWN_SCHEMA) == set(study.OWN_TABLES)
    with Database(refreshed) as db:
        assert load.setting(db.con, study.OWN_KEY)
    read = _report(refreshed, tmp_path / "stored")
    # the main selection is the database's case_selected over the stored tables: its own dedup step never runs
    assert "study_case_selected_db" in ran and "study_case_selected_own" not in ran, ran
    ran.clear()
    monkeypatch.setattr(study, "_own_stored", lambda _st: False)  # the versions tables still read, the own built
    built = _report(refreshed, tmp_path / "built")
    assert "study_case_selected_own" in ran and "study_case_selected_db" not in ran
    assert "study_drug_product_versions" not in ran
    _assert_same_csvs(read, built)


def test_a_dedup_drops_them_and_a_report_computes_them(refreshed, ran, tmp_path):
    with Database(refreshed).writer() as db:
        db.dedup("none")
    try:
        assert _stored(refreshed) == set() and _stored(refreshed, study.OWN_SCHEMA) == set()
        _report(refreshed, tmp_path / "none")
        assert "study_drug_product_versions" in ran
    finally:
        with Database(refreshed).writer() as db:
            db.dedup("latest_version")
            assert pipeline.store_study_versions(refreshed, db)
        assert _stored(refreshed) == set(study.VERSIONS_TABLES)
        assert _stored(refreshed, study.OWN_SCHEMA) == set(study.OWN_TABLES)
