"""faers — FDA Adverse Event Reporting System: download, load, deduplicate, analyse.

The Python API is `faers.Database` (faers/database.py): `Database("cache/faers.duckdb").sql("...").pl()`.
"""

from faers.version import __version__

__all__ = ["Database", "__version__"]


def __getattr__(name: str):
    # Imported on first use, so `faers --help` and modules importing faers.paths do not load DuckDB/polars.
    if name == "Database":
        from faers.database import Database

        return Database
    raise AttributeError(f"module 'faers' has no attribute {name!r}")
