"""The user views' materialisation (issue 16's lever 1), before/after in one run on one database: every
docs/schema.md example with the views computing over `case_selected` as they did before (the `faers_live_views`
variable, what a study connection sets) against the rows materialised at dedup, interleaved, wall and CPU.

Usage: python -m bench.views DB [runs]
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import duckdb

from bench import queries


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _timed(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), _cpu()
    rows = len(con.execute(sql).fetchall())
    return time.perf_counter() - wall, _cpu() - cpu, rows


def compare(db: Path, runs: int = 2, examples: dict[str, str] | None = None) -> dict[str, dict]:
    """title -> {live_s, live_cpu_s, materialised_s, materialised_cpu_s, ratio (live / materialised wall, best of
    runs), same (identical results)}."""
    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET enable_progress_bar = false")
    out: dict[str, dict] = {}
    try:
        for title, sql in (examples or queries.schema_examples()).items():
            best: dict[str, tuple[float, float]] = {}
            results = {}
            for run in range(runs):
                for mode in ("live", "materialised"):
                    con.execute("SET VARIABLE faers_live_views = ?", [mode == "live"])
                    wall, cpu, _rows = _timed(con, sql)
                    if run == 0:
                        results[mode] = sorted(map(repr, con.execute(sql).fetchall()))
                    if mode not in best or wall < best[mode][0]:
                        best[mode] = (wall, cpu)
            out[title] = {"live_s": best["live"][0], "live_cpu_s": best["live"][1],
                          "materialised_s": best["materialised"][0], "materialised_cpu_s": best["materialised"][1],
                          "ratio": best["live"][0] / max(best["materialised"][0], 1e-9),
                          "same": results["live"] == results["materialised"]}
    finally:
        con.close()
    return out


def main(argv: list[str]) -> int:
    db = Path(argv[0])
    runs = int(argv[1]) if len(argv) > 1 else 2
    for title, r in compare(db, runs).items():
        print(f"{title[:60]:60} live {r['live_s']:6.2f} s ({r['live_cpu_s']:6.2f} CPU)  materialised "
              f"{r['materialised_s']:6.2f} s ({r['materialised_cpu_s']:6.2f} CPU)  {r['ratio']:5.1f}x  same={r['same']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
