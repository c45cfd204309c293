"""Benchmark inputs: the real-shape history (bench/realshape.py), generated once under cache/bench/ and reused.

BENCH_SCALE (default 1.0) scales every table of every quarter (1.0 = FDA's real row counts, 328 M rows in all);
BENCH_QUARTERS: `all` (default, the 90 real quarters 2004Q1-2026Q2), a number N (the last N quarters up to and
including the single-load quarter), or a comma list (2011Q4,2025Q4).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bench import realshape
from faers.quarters import Quarter

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "cache" / "bench"
SINGLE_QUARTER = Quarter(2025, 4)  # the single-quarter load: the 2025Q4 (5.47 M rows)


@dataclass(frozen=True)
class BenchData:
    scale: float
    site: Path  # the real-shape quarters laid out as an FDA-style site (serve it for `faers refresh`)
    zips: dict[Quarter, Path]  # every chosen quarter, oldest first
    rows: dict[Quarter, int]  # data rows per quarter (all seven tables)
    single: Path  # the single-quarter load's zip

    @property
    def zip_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.zips.values())


def scale() -> float:
    return float(os.environ.get("BENCH_SCALE", "1.0"))


def chosen_quarters(spec: str | None = None) -> list[Quarter]:
    spec = (spec if spec is not None else os.environ.get("BENCH_QUARTERS", "all")).strip()
    every = sorted(realshape.quarter_rows())
    if spec == "all":
        return every
    if spec.isdigit():
        n = int(spec)
        if not 1 <= n <= len(every):
            raise SystemExit(f"BENCH_QUARTERS must be between 1 and {len(every)}, 'all' or a list, got {spec}")
        upto = [q for q in every if q <= SINGLE_QUARTER]
        return upto[-n:]
    chosen = sorted({Quarter.parse(q) for q in spec.split(",")})
    if SINGLE_QUARTER not in chosen:
        chosen.append(SINGLE_QUARTER)
    return sorted(chosen)


def prepare(say=print, root: Path | None = None) -> BenchData:
    """Generate (once; cached by quarter) the chosen quarters, plus the single-load quarter."""
    s = scale()
    site = root or CACHE / f"realshape-{s:g}"
    quarters = chosen_quarters()
    if SINGLE_QUARTER not in quarters:
        quarters = sorted([*quarters, SINGLE_QUARTER])
    entries = realshape.generate(site, quarters, scale=s, say=say)
    exports = (site / realshape.EXPORTS_PATH).resolve()  # by name: the manifest may have moved with its folder
    zips = {q: exports / Path(e["zip"]).name for q, e in entries.items()}
    rows = {q: sum(e["rows"].values()) for q, e in entries.items()}
    return BenchData(s, site, zips, rows, zips[SINGLE_QUARTER])
