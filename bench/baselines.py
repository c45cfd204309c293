"""The straightforward loaders a user would write, as same-run baselines for `faers load`.

Usage: python -m bench.baselines duckdb|pandas QUARTER.zip DATABASE
  duckdb: each member copied out of the zip, then DuckDB's read_csv(all_varchar) into a table of its own;
  pandas: each member read by pandas.read_csv(dtype=str) straight from the zip, registered into DuckDB.
No repairs, no line accounting, no era mapping, no typing: the floor of "just get the text into DuckDB".
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import duckdb

_MEMBER_RE = re.compile(r"(?i)(?:^|/)(demo|drug|reac|outc|rpsr|ther|indi)\d\dq[1-4](?:_new)?\.txt$")


def members(zf: zipfile.ZipFile) -> list[tuple[str, zipfile.ZipInfo]]:
    return [(m.group(1).lower(), info) for info in zf.infolist() if (m := _MEMBER_RE.search(info.filename))]


def duckdb_loader(zip_path: str, db_path: str) -> None:
    con = duckdb.connect(db_path)
    with zipfile.ZipFile(zip_path) as zf, tempfile.TemporaryDirectory(dir=Path(db_path).parent) as tmp:
        for table, info in members(zf):
            text = Path(tmp) / f"{table}.txt"
            with zf.open(info) as src, text.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 22)
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_csv(?, delim='$', quote='', "
                        "escape='', header=true, all_varchar=true, null_padding=true, ignore_errors=true)", [str(text)])
            text.unlink()
    con.execute("CHECKPOINT")
    con.close()


def pandas_loader(zip_path: str, db_path: str) -> None:
    import pandas as pd

    con = duckdb.connect(db_path)
    with zipfile.ZipFile(zip_path) as zf:
        for table, info in members(zf):
            with zf.open(info) as src:
                frame = pd.read_csv(src, sep="$", dtype=str, quoting=3, encoding="latin-1", on_bad_lines="skip",
                                    keep_default_na=False)
            con.register("frame", frame)
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM frame")
            con.unregister("frame")
            del frame
    con.execute("CHECKPOINT")
    con.close()


LOADERS = {"duckdb": duckdb_loader, "pandas": pandas_loader}

if __name__ == "__main__":
    LOADERS[sys.argv[1]](*sys.argv[2:4])
