"""Connection primitives behind `faers.Database`: open the file, the writer lock, one transaction.

The only module that calls `duckdb.connect`. It imports nothing above the stages, so the loader (a stage)
and the facade (the layer above it) can both use it without an import cycle; use `faers.Database` rather
than these functions outside the stages.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb

from faers import locks
from faers.errors import DatabaseBusy, FaersError

# DuckDB's own memory bound and where it spills past it (docs/schema.md, "Memory and temporary files").
# DuckDB's default limit is 80 % of RAM: on a 24 GB machine a database-wide aggregation (the ingredient x PT
# report counts of `faers signals --all` at 328 M rows) then grew to 6 GB and more. With a limit DuckDB spills
# hash tables and sorts to `temp_directory` instead; the Python side (polars frames, the EBGM fit) comes on top.
ENV_MEMORY_LIMIT = "FAERS_MEMORY_LIMIT"
ENV_TEMP_DIR = "FAERS_TEMP_DIR"
DEFAULT_MEMORY_LIMIT = "2GB"


def memory_settings(db_path: Path | None, environ: dict[str, str] | None = None) -> tuple[str, Path | None]:
    """(memory_limit, temp_directory) for a connection: FAERS_MEMORY_LIMIT (a DuckDB size such as '2GB', default
    2GB) and FAERS_TEMP_DIR (default: `<database>.tmp` beside the file, DuckDB's own default for a file; None for a
    private in-memory database, which then keeps DuckDB's default). Each process spills into its own
    subdirectory (pid), so a study reading the file while a refresh writes it never shares a spill file."""
    env = os.environ if environ is None else environ
    limit = env.get(ENV_MEMORY_LIMIT) or DEFAULT_MEMORY_LIMIT
    base = env.get(ENV_TEMP_DIR)
    if base:
        root: Path | None = Path(base).expanduser()
    elif db_path is not None:
        root = db_path.with_name(db_path.name + ".tmp")
    else:
        root = None
    return limit, (root / f"pid-{os.getpid()}" if root is not None else None)


def _set_memory(con: duckdb.DuckDBPyConnection, db_path: Path | None) -> None:
    limit, temp = memory_settings(db_path)
    try:
        con.execute("SET memory_limit = ?", [limit])
    except duckdb.Error as exc:
        raise FaersError(f"{ENV_MEMORY_LIMIT}={limit!r} is not a DuckDB memory size ({exc}); use e.g. 2GB or 800MB") from exc
    if temp is not None:
        try:  # DuckDB creates the process's own folder when it first spills, not its parents
            temp.parent.mkdir(parents=True, exist_ok=True)
        except OSError:  # e.g. a read-only folder: DuckDB's default place then
            return
        con.execute("SET temp_directory = ?", [str(temp)])


def _busy(path: Path) -> DatabaseBusy:
    return DatabaseBusy(
        f"database busy: {path} is open for writing by another process (a refresh or load is running). "
        "Wait for it to finish and try again"
    )


def _is_lock_error(exc: duckdb.Error) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def _connect(target: str, path: Path | None, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        con = duckdb.connect(target, read_only=read_only)
    except duckdb.Error as exc:
        if path is not None and _is_lock_error(exc):
            raise _busy(path) from exc
        raise
    # A table missing from a half-built database must be an error, not a same-named Python object found by
    # DuckDB's replacement scans (frames are registered explicitly with con.register where needed).
    con.execute("SET python_enable_replacements = false")
    try:
        _set_memory(con, path)
    except BaseException:
        con.close()
        raise
    return con


def open_file(path: Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the database file; a clear DatabaseBusy when another process holds it, FaersError when a
    read-only open finds no file."""
    if read_only and not path.exists():
        raise FaersError(f"no database at {path}: run `faers refresh` (or `faers load`) first")
    path.parent.mkdir(parents=True, exist_ok=True)
    return _connect(str(path), path, read_only)


def open_memory() -> duckdb.DuckDBPyConnection:
    """A private in-memory database (the study's working catalog, tests' scratch databases)."""
    return _connect(":memory:", None, False)


def attach_read_only(con: duckdb.DuckDBPyConnection, path: Path, alias: str) -> None:
    """ATTACH the database file read-only under `alias` (an identifier fixed by the caller, never input)."""
    try:
        con.execute(f"ATTACH ? AS {alias} (READ_ONLY)", [str(path)])
    except duckdb.Error as exc:
        if _is_lock_error(exc):
            raise _busy(path) from exc
        raise
    # the study's scratch catalog spills beside the file it reads, as a file connection does
    _set_memory(con, path)
    # Its temp tables may shadow case_selected: the user views then compute over the selection they see rather
    # than read the rows materialised at dedup for the database's own (sql/out_cases.sql).
    con.execute("SET VARIABLE faers_live_views = true")


def attach_writable(con: duckdb.DuckDBPyConnection, path: Path, alias: str) -> None:
    """ATTACH the database file read-write under `alias` (an identifier fixed by the caller, never input): a refresh's
    copy of what a study computed in its memory catalog into the file (study.store_versions). The caller holds the
    writer lock and has detached any read-only attach of the same file first."""
    try:
        con.execute(f"ATTACH ? AS {alias}", [str(path)])
    except duckdb.Error as exc:
        if _is_lock_error(exc):
            raise _busy(path) from exc
        raise


def detach(con: duckdb.DuckDBPyConnection, alias: str) -> None:
    """DETACH the database attached as `alias` (an identifier fixed by the caller)."""
    con.execute(f"DETACH {alias}")


def lock_path_of(db_path: Path) -> Path:
    """The writer lock beside a database file (paths.Settings.lock_path says the same)."""
    return db_path.with_name(db_path.name + ".lock")


@contextlib.contextmanager
def writer_lock(db_path: Path, lock_path: Path | None = None) -> Iterator[None]:
    """One writer at a time: a second refresh/load refuses at once with a clear message (DatabaseBusy)."""
    busy = f"another faers process ({{holder}}) is writing {db_path}; wait for it to finish, then rerun"
    with locks.exclusive(lock_path or lock_path_of(db_path), busy):
        yield


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN ... COMMIT, or ROLLBACK on any exception (KeyboardInterrupt too) and re-raise it."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


COMPACT_SUFFIX = ".compact"  # the new file beside the database while compact_file writes it


def compact_file(path: Path) -> tuple[int, int]:
    """Rewrite the database file into a new one with DuckDB's `COPY FROM DATABASE` (every schema, table, view and
    macro, no free blocks) and put it in place by rename: (bytes before, bytes after). A database whose stored
    tables were dropped and written again (each dedup, store and pair count of a refresh rewrites some) keeps the
    freed blocks and reads slower (bench/notes.md "ninth pass"); the copy holds only the live rows. Atomic: until the
    rename the old file is untouched, and a failure or an interrupt removes the half-written copy and its log. The
    caller holds the writer lock with no connection open on the file; the copy needs about the file's size free
    beside it. A symlinked database is compacted where the link points."""
    path = path.resolve()
    if not path.exists():
        raise FaersError(f"no database at {path}: run `faers refresh` (or `faers load`) first")
    new = path.with_name(path.name + COMPACT_SUFFIX)
    new_wal = new.with_name(new.name + ".wal")

    def failed(exc: BaseException, doing: str) -> FaersError:
        return FaersError(f"compacting {path} failed while {doing} ({exc}); the database file is unchanged and no "
                          f"partial copy is left: fix the cause and rerun `faers compact`")

    try:
        if path.with_name(path.name + ".wal").exists():  # a writer that ended without its checkpoint: fold it in
            con = open_file(path, read_only=False)
            try:
                con.execute("CHECKPOINT")
            finally:
                con.close()
    except duckdb.InterruptException:
        raise KeyboardInterrupt from None
    except (duckdb.Error, OSError) as exc:
        raise failed(exc, "checkpointing its write-ahead log") from exc
    for leftover in (new, new_wal):  # of a compaction killed before its rename
        leftover.unlink(missing_ok=True)
    before = path.stat().st_size
    free = shutil.disk_usage(path.parent).free
    if free < before:
        raise FaersError(f"compacting {path} needs up to {before / 1e9:.2f} GB free in {path.parent} for the new "
                         f"copy, and {free / 1e9:.2f} GB are free: free some space (or leave the file as it is)")
    con = open_memory()
    try:
        attach_read_only(con, path, "faers_compact_from")
        con.execute("ATTACH ? AS faers_compact_to", [str(new)])
        con.execute("COPY FROM DATABASE faers_compact_from TO faers_compact_to")
        con.execute("CHECKPOINT faers_compact_to")
        con.execute("DETACH faers_compact_to")
        detach(con, "faers_compact_from")
        con.close()
        if new_wal.exists():  # the copy's log not folded into it: renaming would leave committed rows behind
            raise OSError(f"{new_wal.name} is left after the copy's checkpoint")
        shutil.copymode(path, new)
        with open(new, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(new, path)
    except BaseException as exc:
        con.close()
        new.unlink(missing_ok=True)
        new_wal.unlink(missing_ok=True)
        if isinstance(exc, duckdb.InterruptException):
            raise KeyboardInterrupt from None
        if isinstance(exc, duckdb.Error | OSError):
            raise failed(exc, "copying it") from exc
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return before, path.stat().st_size
