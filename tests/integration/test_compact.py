"""`faers compact` rewrites the database file without its free blocks: every schema, table, view, macro and row is
the same, the stored results' fingerprints still match (so a report reads them as before), and a compaction that
fails or is refused leaves the file as it was."""

from __future__ import annotations

import hashlib
import shutil
from collections import namedtuple

import duckdb
import pytest

from faers import connection, paths, pipeline, signals, study
from faers.cli import main
from faers.database import Database
from faers.errors import FaersError
from tests.integration.conftest import refresh_mirror

CATALOG = {
    "tables": "SELECT schema_name, table_name, sql FROM duckdb_tables() ORDER BY ALL",
    "views": "SELECT schema_name, view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY ALL",
    "macros": "SELECT schema_name, function_name, macro_definition FROM duckdb_functions() WHERE NOT internal "
              "ORDER BY ALL",
    "settings": "SELECT * FROM faers_settings ORDER BY ALL",
}


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """A refreshed mirror whose stored tables were dropped and written again (a dedup round trip): free blocks."""
    root = tmp_path_factory.mktemp("compact")
    settings, _ = refresh_mirror(root, 40, 3)
    with Database(settings).writer() as db:
        db.dedup("none")
        db.dedup("latest_version")
        signals.store_database_pair_counts(db.con)
        assert pipeline.store_study_versions(settings, db)
    return settings


@pytest.fixture()
def home(refreshed, tmp_path):
    """A copy of the refreshed database for one test."""
    settings = paths.resolve(home=tmp_path / "home", environ={})
    settings.db_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(refreshed.db_path, settings.db_path)
    return settings


def _catalog(settings) -> dict[str, list]:
    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:
        found = {name: con.execute(sql).fetchall() for name, sql in CATALOG.items()}
        found["rows"] = [(schema, table, con.execute(f'SELECT count(*), sum(hash(COLUMNS(*))) FROM "{schema}"."{table}"')
                          .fetchall()) for schema, table, _ in found["tables"]]
        return found
    finally:
        con.close()


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_compact_keeps_every_object_and_row_and_frees_the_blocks(home, capsys):
    before = _catalog(home)
    with Database(home) as db:
        blocks = db.status().blocks
    assert blocks.free_bytes > 0  # the round trip left free blocks
    size = home.db_path.stat().st_size
    assert main(["--home", str(home.home), "compact"]) == 0
    assert "GB ->" in capsys.readouterr().out
    after = _catalog(home)
    assert len(before["tables"]) > 40 and len(before["views"]) > 10 and before["macros"]
    for part in before:
        assert after[part] == before[part], part
    with Database(home) as db:
        assert db.status().blocks.free_bytes < blocks.free_bytes
    assert home.db_path.stat().st_size < size
    assert not home.db_path.with_name(home.db_path.name + connection.COMPACT_SUFFIX).exists()


def test_the_stored_results_stay_current(home):
    """View text and settings survive the copy, so the fingerprints match: a report reads the stored tables."""
    with Database(home).writer() as db:
        db.compact()
    st = study.open_study(home)
    try:
        assert study._versions_stored(st) and study._own_stored(st)
        assert signals._stored_counts_apply(st, signals.STORED_ROLES)
    finally:
        st.close()
    with Database(home).writer() as db:  # nothing for a refresh to store again
        assert not pipeline.store_study_versions(home, db)
        assert signals.store_database_pair_counts(db.con) is None


def test_status_names_the_free_blocks_and_suggests_compact(home, capsys, monkeypatch):
    from faers import database

    with Database(home) as db:
        share = db.file_blocks().free_share
    assert share > 0
    monkeypatch.setattr(database, "COMPACT_HINT_SHARE", share)  # this file's free share: suggested
    assert main(["--home", str(home.home), "status"]) == 0
    shown = capsys.readouterr().out
    assert f"GB of it free blocks ({share:.0%}); `faers compact`" in shown
    assert main(["--home", str(home.home), "compact"]) == 0
    capsys.readouterr()
    assert main(["--home", str(home.home), "status"]) == 0  # less free after it: not suggested
    shown = capsys.readouterr().out
    assert "free blocks" in shown and "faers compact" not in shown


def test_a_failed_rename_leaves_the_file_and_no_copy(home, monkeypatch):
    sha = _sha(home.db_path)

    def refuse(*_args):
        raise OSError("simulated: no space left on device")

    monkeypatch.setattr(connection.os, "replace", refuse)
    with pytest.raises(FaersError, match="the database file is unchanged"), Database(home).writer() as db:
        db.compact()
    assert _sha(home.db_path) == sha
    assert not list(home.db_path.parent.glob(f"*{connection.COMPACT_SUFFIX}*"))
    with Database(home) as db:  # still opens and reads
        assert db.status().reports > 0


@pytest.mark.parametrize("interrupt", [False, True])
def test_a_failure_or_interrupt_after_the_copy_leaves_the_file_and_no_copy(home, monkeypatch, interrupt):
    sha = _sha(home.db_path)

    def stop(*_args):
        raise KeyboardInterrupt if interrupt else OSError("simulated: permission denied")

    monkeypatch.setattr(shutil, "copymode", stop)
    with pytest.raises(KeyboardInterrupt if interrupt else FaersError), Database(home).writer() as db:
        db.compact()
    assert _sha(home.db_path) == sha
    assert not list(home.db_path.parent.glob(f"*{connection.COMPACT_SUFFIX}*"))


def test_too_little_space_is_refused_before_writing(home, monkeypatch, capsys):
    sha = _sha(home.db_path)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: usage(10**9, 10**9 - 100, 100))
    assert main(["--home", str(home.home), "compact"]) == 1
    assert "needs up to" in capsys.readouterr().err
    assert _sha(home.db_path) == sha


def test_a_leftover_copy_of_a_killed_compaction_is_replaced(home):
    leftover = home.db_path.with_name(home.db_path.name + connection.COMPACT_SUFFIX)
    leftover.write_bytes(b"not a database: a compaction killed before its rename")
    log = leftover.with_name(leftover.name + ".wal")
    log.write_bytes(b"not a log either")
    before = _catalog(home)
    with Database(home).writer() as db:
        db.compact()
    assert _catalog(home) == before and not leftover.exists() and not log.exists()


def test_compact_waits_for_no_writer(home):
    sha = _sha(home.db_path)
    with Database(home).writer():
        assert main(["--home", str(home.home), "compact"]) == 75  # busy: try again later
    assert _sha(home.db_path) == sha


def test_a_symlinked_database_is_compacted_where_it_points(home, tmp_path):
    target = tmp_path / "elsewhere" / "faers.duckdb"
    target.parent.mkdir()
    home.db_path.rename(target)
    home.db_path.symlink_to(target)
    before = _catalog(home)
    assert main(["--home", str(home.home), "compact"]) == 0
    assert home.db_path.is_symlink() and _catalog(home) == before
