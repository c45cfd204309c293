"""Two refreshes at once: the second refuses (exit 75, a clear message) and nothing is corrupted. Readers during
a load see a consistent database or a clear "database busy"."""

from __future__ import annotations

import time

import duckdb
import pytest

from faers.cli import main
from tests.faults.refresh_process import Refresh
from tests.faults.sites import build_site_files, serve_site
from tests.faults.snapshot import db_snapshot

pytestmark = pytest.mark.faults


@pytest.fixture(scope="module")
def site_files(tmp_path_factory, real_zips):
    return build_site_files(tmp_path_factory.mktemp("site"), real_zips, cases=6000)


def second_refresh(home, url, capsys) -> tuple[int, str]:
    # In-process, so it reaches the lock within milliseconds of the first one's progress line.
    capsys.readouterr()
    code = main(["--home", str(home), "--index-url", url, "refresh"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("phase", ["downloading", "loading 2018Q1"])
def test_second_refresh_refuses_with_exit_75_and_the_first_completes(fault_server, site_files, tmp_path, phase,
                                                                     capsys):
    url = serve_site(fault_server, site_files)
    fault_server.delay = 0.4
    clean_home = tmp_path / "clean"
    assert Refresh(clean_home, url).finish() == 0
    first = Refresh(tmp_path / "home", url)
    assert first.wait_for(phase)
    code, err = second_refresh(tmp_path / "home", url, capsys)
    assert code == 75, err
    assert "another faers process (pid" in err and "Traceback" not in err
    assert first.finish() == 0, "".join(first.lines)
    assert db_snapshot(tmp_path / "home" / "faers.duckdb") == db_snapshot(clean_home / "faers.duckdb")


def test_readers_during_a_load_see_a_consistent_state_or_busy(fault_server, site_files, tmp_path, capsys):
    url = serve_site(fault_server, site_files)
    home = tmp_path / "home"
    setup = Refresh(home, url)
    assert setup.finish() == 0, "".join(setup.lines)  # a loaded database the readers can see...
    (home / "downloads" / "faers_ascii_2018q3.zip").unlink()  # ...and one quarter to fetch and load again
    fault_server.delay = 0.0
    writer = Refresh(home, url)
    tally = {"consistent": 0, "busy": 0}
    while writer.proc.poll() is None:
        try:
            con = duckdb.connect(str(home / "faers.duckdb"), read_only=True)
        except duckdb.IOException as exc:
            assert "lock" in str(exc).lower()
            tally["busy"] += 1
        else:
            # Every quarter the database says is loaded has exactly the rows its bookkeeping says.
            bad = con.execute("""
                SELECT f.quarter FROM load_files f
                JOIN (SELECT quarter, 'demo' AS t, count(*) AS n FROM demo_all GROUP BY ALL
                      UNION ALL SELECT quarter, 'drug', count(*) FROM drug_all GROUP BY ALL) a
                  ON a.quarter = f.quarter AND a.t = f.table_name
                WHERE a.n <> f.rows_inserted""").fetchall()
            con.close()
            assert bad == []
            tally["consistent"] += 1
        capsys.readouterr()
        code = main(["--home", str(home), "sql", "SELECT count(*) FROM cases"])
        out, err = capsys.readouterr()
        assert code in (0, 75), err
        if code == 75:
            assert "database busy" in err
        time.sleep(0.02)
    # DuckDB allows one writing process or many reading ones: a writer that starts while a reader has the file
    # open refuses with the same clear "database busy" (exit 75) and a rerun completes.
    code = writer.finish()
    assert code in (0, 75), "".join(writer.lines)
    if code == 75:
        assert "database busy" in "".join(writer.lines)
        assert Refresh(home, url).finish() == 0
    print("reader attempts:", tally, "writer exit:", code)
    assert tally["busy"] + tally["consistent"] >= 1
