"""Benchmark inputs: full-size FDA-format quarter zips from the mirror, generated once under cache/bench/ and reused.

BENCH_SCALE (default 1.0) scales the reports per quarter (1.0 = 2025Q4's 385k DEMO rows, ~1.9M DRUG rows);
BENCH_QUARTERS (default 8) is the number of quarters of the history database.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from faers.quarters import Quarter

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "cache" / "bench"
FULL_REPORTS = 385_000  # DEMO rows of 2025Q4
# Mixed eras: legacy (with the known broken lines), FAERS 2012Q4/2013Q1 overlap, version B, ASCII/ + Deleted/.
HISTORY = ("2011Q4", "2012Q3", "2012Q4", "2013Q1", "2014Q3", "2018Q1", "2021Q4", "2025Q3")
NEW_QUARTER = "2025Q4"  # the single-quarter load and the incremental refresh


@dataclass(frozen=True)
class BenchData:
    scale: float
    history: list[Path]  # zips of the history quarters, oldest first
    new: Path  # the 2025Q4 zip


def scale() -> float:
    return float(os.environ.get("BENCH_SCALE", "1.0"))


def n_quarters() -> int:
    n = int(os.environ.get("BENCH_QUARTERS", "8"))
    if not 1 <= n <= len(HISTORY):
        raise SystemExit(f"BENCH_QUARTERS must be between 1 and {len(HISTORY)}, got {n}")
    return n


def prepare(say=print) -> BenchData:
    """Generate (once) the history quarters plus 2025Q4 in one mirror, so case versions continue across them."""
    from faers import mirror

    s, n = scale(), n_quarters()
    reports = max(1000, round(FULL_REPORTS * s))
    history = [Quarter.parse(q) for q in HISTORY[:n]]
    new = Quarter.parse(NEW_QUARTER)
    out = CACHE / f"mirror-{n}q-{reports}"
    done = out / "bench-done.json"
    if not done.exists():
        say(f"generating {n + 1} FDA-format quarters with {reports:,} reports each under {out} (once; cached)")
        result = mirror.generate(out, quarters=[*history, new], reports_per_quarter=reports, seed=8)
        paths = {str(q): str(p) for q, p in result.zip_paths.items()}
        done.write_text(json.dumps(paths, indent=1) + "\n")
    paths = json.loads(done.read_text())
    return BenchData(s, [Path(paths[str(q)]) for q in history], Path(paths[str(new)]))
