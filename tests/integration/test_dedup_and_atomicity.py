"""Deletions and the dedup rules on known ground truth; idempotent, atomic, re-publishable loads."""

from __future__ import annotations

import shutil

import pytest

from faers import load, paths
from faers.database import Database
from faers.errors import DatabaseBusy, LoadError
from faers.quarters import Quarter
from tests.builders import write_quarter_zip


def _faers(primaryid: int, caseversion: int, **extra) -> dict[str, str]:
    caseid = str(primaryid)[: -len(str(caseversion))]
    return {"primaryid": str(primaryid), "caseid": caseid, "caseversion": str(caseversion), "fda_dt": "20130101",
            "i_f_code": "F", **extra}


def _legacy(isr: int, case: int) -> dict[str, str]:
    return {"isr": str(isr), "case": str(case), "i_f_cod": "I", "fda_dt": "20120401"}


def _reac(key: str, pid: int, pt: str) -> dict[str, str]:
    return {key: str(pid), "pt": pt}


@pytest.fixture()
def history(tmp_path):
    """Five quarters: a legacy case continued in FAERS, a case with 3 versions, a deleted case, the same
    case+version in two quarters, and a later-quarter tie."""
    zips = [
        write_quarter_zip(tmp_path, Quarter(2012, 2), {
            "demo": [_legacy(7000001, 3000001), _legacy(7000002, 3000002)],
            "reac": [_reac("isr", 7000001, "NAUSEA"), _reac("isr", 7000002, "RASH")]}),
        write_quarter_zip(tmp_path, Quarter(2012, 4), {
            "demo": [_faers(30000011, 1), _faers(40000011, 1), _faers(40000021, 1), _faers(40000031, 1)],
            "reac": [_reac("primaryid", 30000011, "Nausea"), _reac("primaryid", 40000031, "Headache")]}),
        write_quarter_zip(tmp_path, Quarter(2013, 1), {
            "demo": [_faers(40000012, 2), _faers(40000031, 1)],
            "reac": [_reac("primaryid", 40000031, "Headache"), _reac("primaryid", 40000031, "Dizziness")]}),
        write_quarter_zip(tmp_path, Quarter(2014, 3), {"demo": [_faers(40000013, 3), _faers(40000041, 1)]}),
        write_quarter_zip(tmp_path, Quarter(2019, 1), {"demo": [_faers(40000041, 1)]}, deleted=[4000002]),
    ]
    return tmp_path, zips


def _selected(con) -> dict[int, str]:
    return dict(con.execute("SELECT primaryid, quarter FROM cases").fetchall())


def test_latest_version_rule_on_known_cases(history):
    tmp_path, zips = history
    settings = paths.resolve(home=tmp_path / "home", environ={})
    load.load(settings, [load.local_zip(z) for z in zips])
    con = Database(settings).con
    assert _selected(con) == {
        30000011: "2012Q4",  # FAERS version of legacy CASE 3000001 beats the legacy report
        7000002: "2012Q2",  # legacy-only case kept
        40000013: "2014Q3",  # max caseversion of 3
        40000031: "2013Q1",  # same case+version in two quarters: the later quarter's copy
        40000041: "2019Q1",  # tie on version -> later quarter
    }  # 4000002 is in 2019Q1's Deleted/ list: gone from every quarter
    # Child rows come only from the selected quarter's copy (no double counting of 40000031).
    assert sorted(con.execute("SELECT pt FROM reactions WHERE primaryid = 40000031").fetchall()) == [
        ("Dizziness",), ("Headache",)]
    assert con.execute("SELECT caseid FROM reactions WHERE primaryid = 30000011").fetchone() == (3000001,)


def test_rule_none_keeps_every_version_but_not_deleted_cases(history):
    tmp_path, zips = history
    settings = paths.resolve(home=tmp_path / "home", environ={})
    load.load(settings, [load.local_zip(z) for z in zips], rule="none")
    con = Database(settings).con
    assert set(_selected(con)) == {7000001, 7000002, 30000011, 40000011, 40000012, 40000013, 40000031, 40000041}
    con.close()
    # switching back needs no reload
    assert [r.status for r in load.load(settings, [load.local_zip(z) for z in zips], rule="latest_version")] == ["unchanged"] * 5
    assert len(_selected(Database(settings).con)) == 5


def test_rerun_does_nothing_and_republished_quarter_reloads_in_place(history):
    tmp_path, zips = history
    settings = paths.resolve(home=tmp_path / "home", environ={})
    load.load(settings, [load.local_zip(z) for z in zips])
    before = load.status(Database(settings).con).to_dicts()
    assert {r.status for r in load.load(settings, [load.local_zip(z) for z in zips])} == {"unchanged"}
    assert load.status(Database(settings).con).to_dicts() == before
    # FDA re-publishes 2014Q3 with one more report: reloaded in place, nothing doubled
    (tmp_path / "new").mkdir()
    republished = write_quarter_zip(tmp_path / "new", Quarter(2014, 3), {
        "demo": [_faers(40000013, 3), _faers(40000041, 1), _faers(50000011, 1)]})
    results = load.load(settings, [load.local_zip(z) for z in zips[:3] + [republished] + zips[4:]])
    assert [r.status for r in results] == ["unchanged", "unchanged", "unchanged", "loaded", "unchanged"]
    con = Database(settings).con
    assert con.execute("SELECT count(*) FROM demo_all WHERE quarter = '2014Q3'").fetchone()[0] == 3
    assert 50000011 in _selected(con)


def test_failed_load_leaves_previous_state(history, monkeypatch):
    tmp_path, zips = history
    settings = paths.resolve(home=tmp_path / "home", environ={})
    load.load(settings, [load.local_zip(z) for z in zips[:2]])
    before = load.status(Database(settings).con).to_dicts()
    real = load._load_file

    def crash_on_ther(con, quarter, prepared, mapping):
        if prepared.table == "ther":
            raise OSError(28, "No space left on device")
        return real(con, quarter, prepared, mapping)

    monkeypatch.setattr(load, "_load_file", crash_on_ther)
    # A full disk is a clear error naming the quarter (issue 7), not a traceback.
    with pytest.raises(LoadError, match="2013Q1.*No space left on device"):
        load.load(settings, [load.local_zip(z) for z in zips])
    monkeypatch.setattr(load, "_load_file", real)
    con = Database(settings).con
    assert load.status(con).to_dicts() == before
    assert con.execute("SELECT count(*) FROM demo_all WHERE quarter = '2013Q1'").fetchone()[0] == 0
    con.close()
    load.load(settings, [load.local_zip(z) for z in zips])  # the rerun finishes the job
    assert len(_selected(Database(settings).con)) == 5
    assert not list((settings.tmp_dir).glob("load-*"))  # no work files left behind


def test_second_writer_refuses_with_clear_message(history):
    tmp_path, zips = history
    settings = paths.resolve(home=tmp_path / "home", environ={})
    with Database(settings).writer(create=True):  # the lock alone: this home has no database yet
        with pytest.raises(DatabaseBusy, match="another faers process"):
            load.load(settings, [load.local_zip(zips[0])])


def test_moved_zip_with_same_hash_is_not_reloaded(history):
    tmp_path, zips = history
    settings = paths.resolve(home=tmp_path / "home", environ={})
    load.load(settings, [load.local_zip(zips[0])])
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.copy(zips[0], moved / zips[0].name)
    assert [r.status for r in load.load(settings, [load.local_zip(moved / zips[0].name)])] == ["unchanged"]
