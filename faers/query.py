"""Query: read-only SQL over the database, and export of the user views to Parquet/CSV for other engines."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import polars as pl

from faers.database import Database
from faers.errors import ConfigError, FaersError
from faers.load import USER_VIEWS
from faers.paths import Settings

# Statement types a read-only analyst query may contain. Everything else (INSERT/UPDATE/DELETE, DDL,
# ATTACH, COPY, INSTALL/LOAD, SET, PRAGMA, transactions ...) is refused before anything runs.
_ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


class QueryRefused(ConfigError):
    """The query is not a read-only SELECT: a usage error."""


def check_read_only(query: str) -> None:
    """Refuse a query unless every statement in it is a SELECT/EXPLAIN (a write can't hide in a batch)."""
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise QueryRefused(query_error_message(exc)) from exc
    if not statements:
        raise QueryRefused("empty query")
    for st in statements:
        if st.type not in _ALLOWED:
            kind = str(st.type).rsplit(".", 1)[-1]
            raise QueryRefused(
                f"refused: `faers sql` is read-only and this query contains a {kind} statement "
                f"({st.query.strip()[:60]!r}). Only SELECT queries are allowed; open a copy of the database "
                "with the DuckDB CLI if you need to change it"
            )


# What to do next, by DuckDB's kind of error; its own text (with the LINE/caret context) says what is wrong.
_QUERY_ADVICE = [
    (duckdb.ParserException, "the query is not valid SQL",
     "check the spelling near the marked place; a reserved word used as a name (case, order) needs double quotes"),
    (duckdb.CatalogException, "the query names something the database does not have",
     f"the views are {', '.join(USER_VIEWS)} (docs/schema.md); `faers sql \"SHOW TABLES\"` lists everything"),
    (duckdb.BinderException, "the query does not fit the columns or types of the database",
     "`faers sql \"DESCRIBE cases\"` lists a view's columns and their types"),
    (duckdb.ConversionException, "a value does not have the type the query compares or casts it to",
     "quote text values ('M'), or use TRY_CAST(... AS type) to get NULL where a value does not convert"),
    (duckdb.PermissionException, "`faers sql` reads the database only: files and extensions are off",
     "for other files open the database in the DuckDB CLI (duckdb -readonly FILE) or Python"),
]


def query_error_message(exc: Exception) -> str:
    """A DuckDB error on the user's query, in our words: what is wrong (DuckDB's detail) and what to do."""
    detail = re.sub(r"^[A-Za-z ]+ Error: ", "", str(exc).strip())
    for kind, what, advice in _QUERY_ADVICE:
        if isinstance(exc, kind):
            return f"{what}: {detail}\n{advice}"
    return f"the query failed: {detail}"


def read_only_connection(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A connection that cannot write the database, read or write other files, or load extensions."""
    con = Database(settings).con
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def run_query(settings: Settings, query: str, params: list | dict | None = None) -> pl.DataFrame:
    """Run a read-only query with bound parameters and return the result."""
    check_read_only(query)
    con = read_only_connection(settings)
    try:
        # DuckDB 2.x connections have no .pl(): bind through a relation instead.
        return con.sql(query, params=params).pl() if params else con.sql(query).pl()
    except duckdb.Error as exc:
        raise FaersError(query_error_message(exc)) from exc
    finally:
        con.close()


def export(settings: Settings, out_dir: Path, fmt: str = "parquet") -> dict[str, Path]:
    """Write every user view to OUT_DIR (Parquet partitioned by quarter, or one CSV per view)."""
    if fmt not in ("parquet", "csv"):
        raise FaersError(f"unknown export format {fmt!r}: use parquet or csv")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    con = Database(settings).con
    written: dict[str, Path] = {}
    try:
        for view in USER_VIEWS:
            rel = con.table(view)
            if fmt == "parquet":
                target = out_dir / view
                tmp = out_dir / f".{view}.tmp"
                shutil.rmtree(tmp, ignore_errors=True)
                rel.write_parquet(str(tmp), partition_by=["quarter"], overwrite=True)
                shutil.rmtree(target, ignore_errors=True)
                tmp.rename(target)
            else:
                target = out_dir / f"{view}.csv"
                tmp = out_dir / f".{view}.csv.tmp"
                rel.write_csv(str(tmp), header=True)
                tmp.replace(target)
            written[view] = target
    finally:
        con.close()
    return written
