"""Load SQL by name from `sql/` (one table or view per file) and run it with bound parameters."""

from __future__ import annotations

from functools import cache

from faers.paths import sql_dir


@cache
def sql(name: str) -> str:
    """Text of `sql/<name>.sql` (name may include a subfolder, e.g. 'checks/orphans')."""
    path = sql_dir() / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file {path}")
    return path.read_text(encoding="utf-8")


def run(con, name: str, params: dict | list | None = None):
    """Execute a named SQL file on a DuckDB connection; values are bound, never formatted in."""
    return con.execute(sql(name), params) if params is not None else con.execute(sql(name))
