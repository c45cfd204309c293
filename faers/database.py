"""Database: the faers DuckDB file as one object — open it, write it under the lock, dedup, vocabularies, status.

Every command and library entry point above the stages opens the database through this class (sqlite-utils'
`Database` is the model). It doubles as the Python API for notebooks:

    from faers import Database
    db = Database("cache/faers.duckdb")              # read-only; opened on first use
    db.sql("SELECT quarter, count(*) AS reports FROM cases GROUP BY ALL ORDER BY 1").pl()

    with Database("cache/faers.duckdb").writer() as db:   # the writer lock, then a writable connection
        db.dedup("none")
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from faers import checks, connection, load, sqlfiles, vocab
from faers.errors import FaersError
from faers.paths import Settings

# The free share of the file's blocks from which `faers status` and a refresh suggest `faers compact`: a heuristic,
# not a measured break-even (bench/notes.md "ninth pass").
COMPACT_HINT_SHARE = 0.10


@dataclass(frozen=True)
class FileBlocks:
    """The database file's blocks (sql/meta_database_blocks.sql), in bytes: what `faers compact` would free."""

    file_bytes: int = 0
    free_bytes: int = 0  # dropped or rewritten tables' space, until reused or compacted

    @property
    def free_share(self) -> float:
        return self.free_bytes / self.file_bytes if self.file_bytes else 0.0

    @property
    def compact_suggested(self) -> bool:
        """Enough of the file is free blocks that `faers compact` is worth its minutes (COMPACT_HINT_SHARE)."""
        return self.file_bytes > 0 and self.free_share >= COMPACT_HINT_SHARE


@dataclass(frozen=True)
class Status:
    """What `faers status` shows: per-quarter accounting and the state of the report selection."""

    quarters: pl.DataFrame  # sql/out_status.sql: one row per loaded quarter
    dedup_rule: str | None  # the rule case_selected was built with (None before the first dedup)
    reports: int  # reports after deletions and dedup
    # why counts and views are stale until the next dedup (load.mark_dedup_pending): a quarter (re)loaded after the
    # last dedup, new duplicate groups; None when they are current
    dedup_pending_reason: str | None = None
    blocks: FileBlocks = FileBlocks()  # the file's size and free blocks

    @property
    def dedup_pending(self) -> bool:
        return self.dedup_pending_reason is not None

    def summary(self) -> pl.DataFrame:
        """One row of the database's state (what the table view prints under the quarters), for scripts."""
        b = self.blocks
        return pl.DataFrame([{
            "quarters": self.quarters.height, "dedup_rule": self.dedup_rule, "reports": self.reports,
            "dedup_pending": self.dedup_pending_reason, "file_bytes": b.file_bytes, "free_bytes": b.free_bytes,
            "free_share": round(b.free_share, 4), "compact_suggested": b.compact_suggested,
        }], schema_overrides={"dedup_rule": pl.String, "dedup_pending": pl.String})  # typed when None


class Database:
    """One faers database file. `Database(path)` reads; `Database(path).writer()` writes under the lock.

    `path` is the database file or the CLI's Settings (whose --db / FAERS_DB / --home it honours). The
    connection opens on first use and closes with `close()` or at the end of a `with` block.
    """

    def __init__(self, path: str | os.PathLike | Settings, *, read_only: bool = True,
                 lock_path: str | os.PathLike | None = None):
        if isinstance(path, Settings):
            self.path, default_lock = path.db_path, path.lock_path
        else:
            self.path = Path(path).expanduser().resolve()
            default_lock = connection.lock_path_of(self.path)
        self.lock_path = Path(lock_path) if lock_path is not None else default_lock
        self.read_only = read_only
        self._con: duckdb.DuckDBPyConnection | None = None

    def __repr__(self) -> str:
        return f"Database({str(self.path)!r}, read_only={self.read_only})"

    # --- the connection -------------------------------------------------------------------------------

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection (replacement scans off; DatabaseBusy while another process writes)."""
        if self._con is None:
            self._con = connection.open_file(self.path, read_only=self.read_only)
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def sql(self, query: str, params: list | dict | None = None) -> duckdb.DuckDBPyRelation:
        """A DuckDB relation for `query` with bound parameters: `.pl()`, `.fetchall()`, `.write_csv()` ..."""
        return self.con.sql(query, params=params) if params else self.con.sql(query)

    def execute(self, query: str, params: list | dict | None = None) -> duckdb.DuckDBPyConnection:
        return self.con.execute(query, params) if params is not None else self.con.execute(query)

    def table_names(self) -> set[str]:
        """Tables and views of the database (lower case)."""
        rows = sqlfiles.run(self.con, "meta_table_names").fetchall()
        return {name.lower() for (name,) in rows}

    # --- writing --------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def writer(self, *, create: bool = False) -> Iterator[Database]:
        """Hold the writer lock (DatabaseBusy at once if another faers process writes) and yield a writable
        Database on the same file, closed at the end. Without `create`, a missing file is an error rather
        than a new empty database."""
        if not create and not self.path.exists():
            raise FaersError(f"no database at {self.path}: load FAERS data first (faers refresh) or pass --db")
        with connection.writer_lock(self.path, self.lock_path):
            db = Database(self.path, read_only=False, lock_path=self.lock_path)
            try:
                yield db
            finally:
                db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        """All of the block's writes, or none of them."""
        with connection.transaction(self.con):
            yield self

    def _require_writer(self, what: str) -> None:
        if self.read_only:
            raise FaersError(f"{what} writes the database: use `with Database(...).writer() as db:`")

    def dedup(self, rule: str = load.DEFAULT_DEDUP_RULE) -> int:
        """Rebuild the report selection with a dedup rule (load.DEDUP_RULES) and the user views over it;
        returns the number of reports kept."""
        self._require_writer("dedup")
        kept = load.dedup(self.con, rule)
        load.create_views(self.con)
        return kept

    def compact(self) -> tuple[int, int]:
        """Rewrite the file without its free blocks (connection.compact_file): (bytes before, bytes after). The
        same schemas, tables, views and macros, every stored fingerprint still current; this object's connection
        is closed first and opens on the new file at its next use."""
        self._require_writer("compacting")
        self.close()
        return connection.compact_file(self.path)

    def install_vocabularies(self) -> None:
        """(Re)create the vocab_* tables and mapping views from the shipped CSVs (and a loaded MedDRA)."""
        self._require_writer("installing the vocabularies")
        vocab.install(self.con)

    # --- reading --------------------------------------------------------------------------------------

    def loaded_quarters(self) -> dict[str, str]:
        """quarter -> sha256 of the zip it was loaded from; empty for a database the loader has not filled."""
        try:
            return load.loaded_quarters(self.con)
        except duckdb.CatalogException:
            return {}

    def status(self) -> Status:
        """Per-quarter line accounting, deleted cases and reports kept, and the selection's state."""
        con = self.con
        try:
            return Status(quarters=load.status(con), dedup_rule=load.current_dedup_rule(con),
                          reports=sqlfiles.run(con, "core_case_selected_count").fetchall()[0][0],
                          dedup_pending_reason=load.setting(con, "dedup_pending"), blocks=self.file_blocks())
        except duckdb.CatalogException as exc:
            # A first refresh killed before its first dedup leaves bookkeeping tables but no selection yet.
            raise FaersError(f"the database {self.path} is not fully built (a refresh was interrupted: {exc}); "
                             "run `faers refresh` to finish it") from exc

    def file_blocks(self) -> FileBlocks:
        """The file's size and free blocks (one pragma; status() includes it)."""
        block, total, free = sqlfiles.run(self.con, "meta_database_blocks").fetchall()[0]
        return FileBlocks(file_bytes=block * total, free_bytes=block * free)

    def check(self) -> list[checks.CheckResult]:
        """Run the data checks of sql/checks/ (each returns its failing rows)."""
        return checks.run(self.con)

    def attach_in_memory(self, alias: str) -> duckdb.DuckDBPyConnection:
        """A new in-memory connection with this database attached read-only as `alias` and searched after
        the memory catalog: what is built there (the study's selections and fact tables) never touches the
        file, and the file may be read by other processes meanwhile. The caller closes it."""
        if not self.path.exists():
            raise FaersError(f"no database at {self.path}: run `faers refresh` (or `faers load`) first")
        con = connection.open_memory()
        try:
            connection.attach_read_only(con, self.path, alias)
            con.execute("SET search_path = ?", [f"memory.main,{alias}.main"])
        except BaseException:
            con.close()
            raise
        return con
