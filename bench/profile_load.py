"""Where one table's load time goes (bench/notes.md): CPU seconds of each stage on one table of a quarter.

Usage: python -m bench.profile_load QUARTER.zip WORK_DIR [table]. Stages: the copy out of the zip; DuckDB's '$'
field scan alone; + the well-formed filter; + the typed projection; the insert into an in-memory table; into a
database file (+ checkpoint); COPY TO Parquet (zstd).
"""

from __future__ import annotations

import json
import resource
import sys
import time
import zipfile
from pathlib import Path

import duckdb

from faers import load
from faers.extract import canonical_columns, copy_member, find_members, map_header


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def profile(zip_path: Path, work: Path, table: str = "drug") -> dict:
    work.mkdir(parents=True, exist_ok=True)
    quarter = load.local_zip(zip_path).quarter
    out: dict[str, dict] = {}

    def stage(name, fn):
        c0, t0 = _cpu(), time.perf_counter()
        result = fn()
        out[name] = {"cpu_s": round(_cpu() - c0, 3), "wall_s": round(time.perf_counter() - t0, 3)}
        return result

    with zipfile.ZipFile(zip_path) as zf:
        info = find_members(zip_path, zf, quarter).tables[table]
        prepared = stage("copy out of the zip (inflate, clean, write)", lambda: copy_member(zf, info, table, work / "t.txt"))
    mapping = map_header(table, quarter, info.filename, prepared.header)
    scan = load._field_scan(prepared.n_fields)
    where = load._well_formed_columns(table, mapping, prepared)
    staged = load.staging_scan(table, mapping, prepared)  # the loader's query: sql/stg_<table>.sql over the scan
    path = {"path": str(prepared.path)}
    file = {**path, "quarter": str(quarter), "era": quarter.era}
    mem = duckdb.connect()
    stage("field scan: count(*)", lambda: mem.execute(f"SELECT count(*) FROM {scan}", path).fetchall())
    stage("+ well-formed filter", lambda: mem.execute(f"SELECT count(*) FROM {scan} WHERE {where}", path).fetchall())
    stage("+ typed projection (max of every column)", lambda: mem.execute(
        f"SELECT {', '.join(f'max({n})' for n, _ in canonical_columns(table))} FROM ({staged})", file).fetchall())
    stage("insert into an in-memory table", lambda: mem.execute(f"CREATE TABLE t AS {staged}", file))
    disk = duckdb.connect(str(work / "p.duckdb"))
    stage("insert into a database file + checkpoint", lambda: (disk.execute(
        f"CREATE TABLE t AS {staged}", file), disk.execute("CHECKPOINT")))
    stage("COPY TO Parquet zstd", lambda: mem.execute(
        f"COPY ({staged}) TO '{work / 't.parquet'}' (FORMAT parquet, COMPRESSION zstd)", file))
    out["rows"] = prepared.data_lines
    out["bytes"] = prepared.path.stat().st_size
    return out


if __name__ == "__main__":
    print(json.dumps(profile(Path(sys.argv[1]), Path(sys.argv[2]), *(sys.argv[3:4] or ["drug"])), indent=1))
