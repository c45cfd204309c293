"""Where `faers report` spends its time: every study step and every named SQL file it runs, timed in-process
(wall and CPU, inclusive), on a database of your choice.

Usage: python -m bench.profile_report HOME [--no-sensitivity]   (HOME: the --home of the database)
Prints the SQL files and steps by total wall time; the figures nest (a step includes the SQL files it runs).
"""

from __future__ import annotations

import functools
import sys
import time
from collections import defaultdict
from pathlib import Path

TOTALS: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])


def _timed(label, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            t = TOTALS[label(*args, **kwargs) if callable(label) else label]
            t[0] += time.perf_counter() - wall
            t[1] += time.process_time() - cpu
            t[2] += 1
    return wrapper


def instrument() -> None:
    from faers import casebook, published, signals, stats, study

    study._ddl = _timed(lambda con, name, params=None: f"sql {name}", study._ddl)
    study.Study.query = _timed(lambda self, name, params=None: f"sql {name}", study.Study.query)
    for module, names in ((study, ("select", "_materialise_versions", "_apply_options", "expose", "signal_counts",
                                   "with_expected", "time_to_onset", "sensitivity", "variant_rows", "run_tables",
                                   "funnel", "timeline", "tables_from_counts")),
                          (signals, ("resolve_prior", "database_pair_counts", "database_prior", "signal_table")),
                          (stats, ("disproportionality",)),
                          (casebook, ("spm_cases", "pt_appendix", "table1")),
                          (published, ("published_vs_computed",))):
        for name in names:
            if hasattr(module, name):
                setattr(module, name, _timed(f"{module.__name__.split('.')[-1]}.{name}", getattr(module, name)))


def main(argv: list[str]) -> int:
    from faers import paths, report

    instrument()
    home = Path(argv[0])
    settings = paths.resolve(home=home, environ={})
    out = home / "profile_report"
    wall, cpu = time.perf_counter(), time.process_time()
    report.write_report(settings, out, sensitivity="--no-sensitivity" not in argv)
    print(f"faers report: {time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU (this process)")
    for label, (w, c, n) in sorted(TOTALS.items(), key=lambda kv: -kv[1][0])[:40]:
        print(f"{w:8.1f} s wall {c:8.1f} s CPU {n:5d}x  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
