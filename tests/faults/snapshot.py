"""What "the same database" means for the campaigns: per-file load figures, per-quarter rows and view counts."""

from __future__ import annotations

from pathlib import Path

import duckdb

from faers.extract import TABLES
from faers.load import USER_VIEWS


def db_snapshot(db_path: Path) -> dict:
    """Everything a user could notice differing between two loads of the same quarters."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        snap = {
            "load_files": con.execute("SELECT quarter, table_name, rows_read, rows_loaded, rows_repaired, rows_rejected, "
                                      "rows_inserted FROM load_files ORDER BY ALL").fetchall(),
            "loaded_quarters": con.execute("SELECT quarter, sha256, rows_inserted FROM loaded_quarters ORDER BY ALL").fetchall(),
            "rejects": con.execute("SELECT count(*) FROM load_rejects").fetchone()[0],
            "deleted": con.execute("SELECT count(*) FROM deleted_cases").fetchone()[0],
        }
        for table in TABLES:
            snap[f"{table}_all"] = con.execute(f"SELECT quarter, count(*) FROM {table}_all GROUP BY ALL ORDER BY ALL").fetchall()
        for view in USER_VIEWS:
            snap[view] = con.execute(f"SELECT count(*) FROM {view}").fetchone()[0]
        return snap
    finally:
        con.close()


def quarter_rows(snap: dict, quarter: str) -> dict:
    """One quarter's slice of a snapshot: its load figures and its rows in every all-versions table."""
    return {
        "load_files": [r for r in snap["load_files"] if r[0] == quarter],
        **{f"{t}_all": [r for r in snap[f"{t}_all"] if r[0] == quarter] for t in TABLES},
    }
