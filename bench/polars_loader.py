"""Baseline (b): the straightforward loader a user would write — polars.read_csv of each table into DuckDB.

Usage: python -m bench.polars_loader QUARTER.zip DATABASE. No repairs, no line accounting, no era mapping:
each '$'-delimited member is read as strings (ragged lines truncated) and written to a table of its own.
"""

from __future__ import annotations

import re
import sys
import zipfile

import duckdb
import polars as pl

_MEMBER_RE = re.compile(r"(?i)(?:^|/)(demo|drug|reac|outc|rpsr|ther|indi)\d\dq[1-4](?:_new)?\.txt$")


def main(zip_path: str, db_path: str) -> None:
    con = duckdb.connect(db_path)
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            m = _MEMBER_RE.search(info.filename)
            if not m:
                continue
            frame = pl.read_csv(zf.read(info), separator="$", quote_char=None, infer_schema=False,
                                truncate_ragged_lines=True, encoding="utf8-lossy")
            con.register("frame", frame)
            con.execute(f"CREATE OR REPLACE TABLE {m.group(1).lower()} AS SELECT * FROM frame")
            con.unregister("frame")
    con.execute("CHECKPOINT")
    con.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
