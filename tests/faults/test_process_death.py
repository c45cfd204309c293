"""kill -9 of `faers refresh` at many points (download, extraction, load, dedup, views): afterwards the database
opens, `faers status` shows only fully loaded quarters, and the next refresh equals a clean run."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import duckdb
import pytest

from faers import load, paths
from faers.cli import main
from tests.faults.refresh_process import Refresh
from tests.faults.sites import GENERATED, build_site_files, generated_quarter, serve_site
from tests.faults.snapshot import db_snapshot, quarter_rows

pytestmark = pytest.mark.faults

# Where to aim a kill: wait for a line the refresh prints, then a random 0-250 ms more. None: a random time.
TRIGGERS = [None, "downloading", "loading 2004Q1", "loading 2017Q2", "loading 2018Q2", "loading 2018Q4",
            "applying deleted cases"]
@pytest.fixture(scope="module")
def site_files(tmp_path_factory, real_zips):
    return build_site_files(tmp_path_factory.mktemp("site"), real_zips)


@pytest.fixture()
def site(fault_server, site_files, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # `faers status` in-process: no truncated quarter names
    url = serve_site(fault_server, site_files)
    fault_server.delay = 0.15  # keep downloads in flight long enough to be killed during them
    return url


@pytest.fixture()
def clean(site, tmp_path):
    home = tmp_path / "clean"
    started = time.monotonic()
    run = Refresh(home, site)
    assert run.finish() == 0, "".join(run.lines)
    return db_snapshot(home / "faers.duckdb"), time.monotonic() - started


def test_death_between_a_quarter_commit_and_dedup_is_finished_by_the_next_run(tmp_path, monkeypatch, capsys):
    # Regression: the next run saw every quarter "unchanged" and the views, so it skipped dedup forever and
    # the views silently lacked the last quarter's reports.
    zips = [generated_quarter(tmp_path, q, 200) for q in GENERATED[:2]]
    settings = paths.resolve(home=tmp_path / "clean", environ={})
    load.load(settings, [load.local_zip(z) for z in zips])
    clean_snap = db_snapshot(settings.db_path)

    settings = paths.resolve(home=tmp_path / "killed", environ={})
    load.load(settings, [load.local_zip(zips[0])])

    def die(*args, **kwargs):
        raise SystemExit("killed")  # stands in for SIGKILL right after the quarter's COMMIT

    with monkeypatch.context() as m:
        m.setattr(load, "dedup", die)
        with pytest.raises(SystemExit):
            load.load(settings, [load.local_zip(z) for z in zips])
    monkeypatch.setenv("COLUMNS", "250")
    assert status_quarters(settings.home, capsys) == {"2018Q1", "2018Q2"}
    load.load(settings, [load.local_zip(z) for z in zips])
    assert db_snapshot(settings.db_path) == clean_snap


def status_quarters(home: Path, capsys) -> set[str] | None:
    """Quarters `faers status` lists, or None when it says (without a traceback) there is nothing loaded yet."""
    capsys.readouterr()
    code = main(["--home", str(home), "status"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if code != 0:
        assert re.search(r"no database|not (fully )?built|run `faers refresh`", err), err
        return None
    return set(re.findall(r"│ (\d{4}Q[1-4]) ", out))


def check_after_kill(home: Path, clean_snap: dict, capsys) -> None:
    """The database opens; it and `faers status` hold only quarters identical to the clean run's."""
    db = home / "faers.duckdb"
    shown = status_quarters(home, capsys)
    if not db.exists():
        assert shown is None
        return
    con = duckdb.connect(str(db), read_only=True)
    con.close()
    try:
        loaded = {q for q, _, _ in db_snapshot(db)["loaded_quarters"]}
        snap = db_snapshot(db)
    except duckdb.CatalogException:
        # Killed before the first views existed: only the bookkeeping tables can be checked.
        con = duckdb.connect(str(db), read_only=True)
        try:
            loaded = {r[0] for r in con.execute("SELECT quarter FROM loaded_quarters").fetchall()}
        except duckdb.CatalogException:
            loaded = set()
        con.close()
        snap = None
    assert (shown or set()) == loaded
    if snap is not None:
        for quarter in loaded:
            assert quarter_rows(snap, quarter) == quarter_rows(clean_snap, quarter), quarter


def check_rerun_equals_clean(home: Path, site: str, clean_snap: dict) -> None:
    rerun = Refresh(home, site)
    assert rerun.finish() == 0, "".join(rerun.lines)
    assert db_snapshot(home / "faers.duckdb") == clean_snap
    assert list((home / "downloads").glob("*.part")) == []
    leftovers = [p for p in (home / "tmp").rglob("*") if p.is_file()] if (home / "tmp").exists() else []
    assert leftovers == [], leftovers


def kill_trials(n: int, site, clean, tmp_path, capsys, seed: int) -> dict[str, int]:
    clean_snap, clean_seconds = clean
    rng = random.Random(seed)
    phases: dict[str, int] = {}
    for trial in range(n):
        home = tmp_path / f"k{trial}"
        # Every third trial kills twice in a row before letting a refresh finish (a crash after a crash).
        for _ in range(2 if trial % 3 == 2 else 1):
            run = Refresh(home, site)
            trigger = TRIGGERS[(trial + _) % len(TRIGGERS)]
            if trigger is None:
                time.sleep(rng.uniform(0, clean_seconds))
            else:
                run.wait_for(trigger)
                time.sleep(rng.uniform(0, 0.25))
            if run.proc.poll() is not None:
                phase = "finished before the kill"
                run.finish()
            else:
                phase = run.kill()
            phases[phase] = phases.get(phase, 0) + 1
            check_after_kill(home, clean_snap, capsys)
        check_rerun_equals_clean(home, site, clean_snap)
    return phases


def test_kill_9_at_three_points_then_rerun_equals_clean(site, clean, tmp_path, capsys):
    phases = kill_trials(3, site, clean, tmp_path, capsys, seed=7)
    assert sum(phases.values()) == 4  # the third trial kills twice


@pytest.mark.slow
def test_kill_9_at_twenty_five_points_then_rerun_equals_clean(site, clean, tmp_path, capsys):
    phases = kill_trials(18, site, clean, tmp_path, capsys, seed=2024)  # 18 trials, 6 of them killed twice
    print("kills by phase:", phases)
    killed = sum(n for phase, n in phases.items() if phase != "finished before the kill")
    assert killed >= 20, phases
    assert {"download", "load", "dedup/views"} <= set(phases), phases


def test_death_while_creating_views_is_finished_by_the_next_run(tmp_path, monkeypatch):
    # Regression: the next run checked only that `cases` existed, so later views stayed missing for good.
    zips = [generated_quarter(tmp_path, GENERATED[0], 100)]
    settings = paths.resolve(home=tmp_path / "home", environ={})
    real_run = load.sqlfiles.run

    def die_at_drugs(con, name, *args):
        if name == "out_drugs":  # sql/out_drugs.sql creates the view drugs
            raise SystemExit("killed")
        return real_run(con, name, *args)

    with monkeypatch.context() as m:
        m.setattr(load.sqlfiles, "run", die_at_drugs)
        with pytest.raises(SystemExit):
            load.load(settings, [load.local_zip(z) for z in zips])
    load.load(settings, [load.local_zip(z) for z in zips])
    assert db_snapshot(settings.db_path)["report_sources"] >= 0  # every view exists
