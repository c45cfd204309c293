"""`cases` is materialised at dedup (case_facts) yet keeps its meaning: the same rows and columns as the view
computed over case_selected, rebuilt with the selection in one transaction, and computed over a study's own
selection where a connection shadows case_selected."""

from __future__ import annotations

import pytest

from faers import connection, load, paths, sqlfiles
from faers.database import Database
from faers.quarters import Quarter
from tests.builders import write_quarter_zip


def _demo(primaryid: int, caseversion: int, **extra) -> dict[str, str]:
    return {"primaryid": str(primaryid), "caseid": str(primaryid)[:-1], "caseversion": str(caseversion),
            "fda_dt": "20130101", "i_f_code": "F", "age": "61", "age_cod": "YR", "sex": "F", "wt": "150",
            "wt_cod": "LBS", "reporter_country": "GERMANY", "occr_country": "DE", "event_dt": "201301", **extra}


@pytest.fixture()
def settings(tmp_path):
    zips = [
        write_quarter_zip(tmp_path, Quarter(2013, 1), {"demo": [_demo(40000011, 1), _demo(40000021, 1)]}),
        write_quarter_zip(tmp_path, Quarter(2013, 2), {"demo": [_demo(40000012, 2, age="3", age_cod="MON"),
                                                                _demo(40000031, 1, reporter_country="XX")]}),
    ]
    s = paths.resolve(home=tmp_path / "home", environ={})
    load.load(s, [load.local_zip(z) for z in zips])
    return s


def _rows(con, live: bool) -> list[tuple]:
    con.execute("SET VARIABLE faers_live_views = ?", [live])
    return sorted(con.execute("SELECT * FROM cases").fetchall())


def test_cases_is_the_view_computed_over_the_selection_for_every_rule(settings):
    with Database(settings).writer() as db:
        con = db.con
        assert con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = 'case_facts'"
                           ).fetchone() == ("BASE TABLE",)
        latest = _rows(con, live=False)
        assert latest == _rows(con, live=True)
        assert [r[0] for r in latest] == [40000012, 40000021, 40000031]  # case 4000001's version 2 wins
        cols = [c[0] for c in con.execute("SELECT * FROM cases LIMIT 0").description]
        by_id = {r[0]: dict(zip(cols, r, strict=True)) for r in latest}
        assert by_id[40000012]["age_years"] == pytest.approx(0.25)  # 3 months
        assert by_id[40000021]["wt_kg"] == pytest.approx(68.04, abs=0.01)
        assert by_id[40000021]["reporter_country"] == "DE"  # the name mapped to ISO
        db.dedup("none")
        every = _rows(con, live=False)
        assert every == _rows(con, live=True)
        assert {r[0] for r in every} == {40000011, 40000012, 40000021, 40000031}


def test_dedup_rebuilds_the_selection_and_its_rows_together_or_not_at_all(settings, monkeypatch):
    with Database(settings).writer() as db:
        before = _rows(db.con, live=False)
        selected = sorted(db.con.execute("SELECT * FROM case_selected").fetchall())
        real = sqlfiles.run

        def fail_on_facts(con, name, params=None):
            if name == "core_case_facts":
                raise OSError(28, "No space left on device")
            return real(con, name, params)

        monkeypatch.setattr(sqlfiles, "run", fail_on_facts)
        with pytest.raises(OSError):
            load.dedup(db.con, "none")
        monkeypatch.setattr(sqlfiles, "run", real)
        assert sorted(db.con.execute("SELECT * FROM case_selected").fetchall()) == selected
        assert _rows(db.con, live=False) == before
        assert load.current_dedup_rule(db.con) == "latest_version"


def test_a_study_connection_sees_cases_over_its_own_selection(settings):
    """attach_in_memory (the study's scratch catalog) sets the variable: a temp case_selected shadow decides."""
    con = Database(settings).attach_in_memory("faers_db")
    try:
        assert len(con.execute("SELECT * FROM cases").fetchall()) == 3
        con.execute("CREATE TEMP TABLE case_selected AS SELECT * FROM faers_db.main.case_selected WHERE primaryid = 40000031")
        assert con.execute("SELECT primaryid, reporter_country FROM cases").fetchall() == [(40000031, 'XX')]
    finally:
        con.close()


def test_memory_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(connection.ENV_MEMORY_LIMIT, "700MB")
    monkeypatch.setenv(connection.ENV_TEMP_DIR, str(tmp_path / "spill"))
    con = connection.open_file(tmp_path / "x.duckdb", read_only=False)
    try:
        limit, temp = con.execute("SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
        assert limit.startswith("667") and "MiB" in limit  # 700 MB as DuckDB prints it
        assert temp.startswith(str(tmp_path / "spill"))
    finally:
        con.close()
    monkeypatch.setenv(connection.ENV_MEMORY_LIMIT, "lots")
    with pytest.raises(Exception, match="FAERS_MEMORY_LIMIT"):
        connection.open_file(tmp_path / "y.duckdb", read_only=False)
