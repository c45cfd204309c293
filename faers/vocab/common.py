"""What every vocabulary module shares: where the CSVs live, which relations a database has, a query as a frame.

A leaf module (it imports no other vocabulary module), so tables.py, which installs everything, can import the
modules it installs (neoplasms, meddra) while they use these helpers: no import cycle.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from faers import sqlfiles
from faers.paths import data_dir


def vocab_dir() -> Path:
    return data_dir() / "vocab"


def relations(con) -> set[str]:
    """Tables and views of the connection's database (lower case)."""
    rows = sqlfiles.run(con, "meta_table_names").fetchall()
    return {name.lower() for (name,) in rows}


def query_frame(con, sql: str, params: dict | None = None) -> pl.DataFrame:
    """Run a query and return a polars DataFrame, typed from the rows (an empty result keeps its column names)."""
    cursor = con.execute(sql, params) if params is not None else con.execute(sql)
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    if not rows:
        return pl.DataFrame(schema={name: pl.Utf8 for name in names})
    return pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
