"""Storage-layout comparison for one quarter (issue 16, item 3): the loader's own parse (field scan, well-formed
filter, era mapping) written to different sinks, with decompression of the next member overlapped as in
`faers load`; then the same queries on each result.

Usage: python -m bench.layouts VARIANT QUARTER.zip OUT_DIR   (prints one JSON line: seconds per table, bytes)
Variants:
  native          INSERT into DuckDB tables `<t>_all` (today's layout), one transaction, CHECKPOINT
  native_varchar  the same into `<t>_raw`, every column VARCHAR (deferred typing: no TRY_CAST, no id checks at
                  load), with views `<t>_all` that cast the ids when read
  parquet_zstd    COPY (SELECT ...) TO OUT_DIR/quarter=<q>/<t>.parquet (zstd); views over the files
  parquet_snappy  the same with snappy
Only the clean path is timed (the real-shape quarters have no broken lines; repairs cost the same in every layout).
"""

from __future__ import annotations

import json
import sys
import time
import zipfile
from pathlib import Path

import duckdb

from faers import load
from faers.extract import TABLES, canonical_columns, find_members, map_header
from faers.quarters import Quarter

VARIANTS = ("native", "native_varchar", "parquet_zstd", "parquet_snappy")


def _select(table: str, quarter: Quarter, prepared, mapping, typed: bool) -> tuple[str, list]:
    """The loader's SELECT over DuckDB's '$' field scan (see faers.load._load_file), optionally untyped."""
    params = {"quarter": str(quarter), "era": quarter.era, "path": str(prepared.path)}
    if typed:  # the loader's own query: sql/stg_<table>.sql over the field scan
        return load.staging_scan(table, mapping, prepared), params
    cols = ", ".join(f"nullif(c{prepared.header.index(mapping[n]) + 1}, '') AS {n}" if mapping.get(n) else
                     f"CAST(NULL AS VARCHAR) AS {n}" for n, _ in canonical_columns(table))
    n = prepared.n_fields
    where = f"WHERE c{n} IS NOT NULL AND c{n + 1} IS NULL"
    sql = f"SELECT $quarter::VARCHAR AS quarter, $era::VARCHAR AS era, {cols} FROM {load._field_scan(prepared.n_fields)} {where}"
    return sql, params


def run(variant: str, zip_path: Path, out: Path) -> dict:
    quarter = load.local_zip(zip_path).quarter
    out.mkdir(parents=True, exist_ok=True)
    work = out / "work"
    work.mkdir(exist_ok=True)
    parquet = variant.startswith("parquet")
    con = duckdb.connect(str(out / "layout.duckdb"))
    if not parquet:
        for table in TABLES:
            types = canonical_columns(table) if variant == "native" else [(n, "VARCHAR") for n, _ in canonical_columns(table)]
            cols = ", ".join(f"{n} {t}" for n, t in types)
            name = "raw" if variant == "native_varchar" else "all"
            con.execute(f"CREATE TABLE {table}_{name} (quarter VARCHAR NOT NULL, era VARCHAR NOT NULL, {cols})")
        con.execute("BEGIN TRANSACTION")
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with zipfile.ZipFile(zip_path) as zf:
        members = find_members(zip_path, zf, quarter)
        for table, prepared in load._copied_members(zf, members, work):
            t0 = time.perf_counter()
            mapping = map_header(table, quarter, members.tables[table].filename, prepared.header)
            sql, params = _select(table, quarter, prepared, mapping, typed=variant != "native_varchar")
            if parquet:
                folder = out / "parquet" / f"quarter={quarter}"
                folder.mkdir(parents=True, exist_ok=True)
                codec = variant.split("_")[1]
                con.execute(f"COPY ({sql}) TO '{folder / table}.parquet' (FORMAT parquet, COMPRESSION {codec})", params)
            else:
                con.execute(f"INSERT INTO {table}_{'raw' if variant == 'native_varchar' else 'all'} {sql}", params)
            prepared.path.unlink()
            seconds[table] = time.perf_counter() - t0
    if parquet:
        for table in TABLES:  # the database holds only views over the files
            con.execute(f"CREATE VIEW {table}_all AS SELECT * FROM read_parquet('{out / 'parquet'}/*/{table}.parquet', "
                        "hive_partitioning=false)")
    else:
        con.execute("COMMIT")
    if variant == "native_varchar":
        for table in TABLES:
            casts = ", ".join(f"TRY_CAST({n} AS {t}) AS {n}" for n, t in canonical_columns(table) if t != "VARCHAR")
            con.execute(f"CREATE VIEW {table}_all AS SELECT * REPLACE ({casts}) FROM {table}_raw")
    con.execute("CHECKPOINT")
    con.close()
    total = time.perf_counter() - started
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file() and p.suffix in (".duckdb", ".parquet"))
    return {"variant": variant, "seconds": total, "per_table_s": seconds, "bytes": size}


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))))
