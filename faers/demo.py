"""`make demo`: the whole pipeline offline — generate an FDA-format mirror, serve it on 127.0.0.1, run
`faers refresh` against it through the real download path, then `faers report`.

Everything lives under cache/demo/ (override with FAERS_DEMO_DIR); rerunning reuses what is there.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from faers import mirror
from faers.cli import err, main


def run(demo_dir: Path, reports_per_quarter: int = 300, seed: int = 0) -> int:
    started = time.monotonic()
    site, home, reports = demo_dir / "site", demo_dir / "home", demo_dir / "reports"
    err.print(f"[bold]1/3[/] generating an FDA-format mirror ({len(mirror.preset('demo'))} quarters, every era) "
              f"in {site}", highlight=False)
    result = mirror.generate(site, reports_per_quarter=reports_per_quarter, seed=seed)
    with mirror.serve(site) as base:
        index = mirror.index_url(base)
        err.print(f"[bold]2/3[/] faers refresh against {index}", highlight=False)
        code = main(["--home", str(home), "--index-url", index, "refresh"])
    if code != 0:
        err.print(f"demo stopped: refresh exited with {code}")
        return code
    err.print("[bold]3/3[/] faers report", highlight=False)
    code = main(["--home", str(home), "report", "--out", str(reports)])
    if code != 0:
        err.print(f"demo stopped: report exited with {code}")
        return code
    html = reports / "car_t_spm" / "report.html"
    planted = result.truth["final"]["suspect"]
    err.print(
        f"\ndone in {time.monotonic() - started:.0f} s. The mirror planted {planted['car_t_reports']} CAR T reports "
        f"(PS/SS) with {planted['spm_reports']} SPM reports; compare with {reports / 'car_t_spm' / 'summary.csv'}.",
        highlight=False, soft_wrap=True)
    print(f"report: {html}")
    print(f"database: {home / 'faers.duckdb'}  (try: .venv/bin/faers --home {home} sql \"SELECT * FROM cases LIMIT 5\")")
    return 0


if __name__ == "__main__":
    sys.exit(run(Path(os.environ.get("FAERS_DEMO_DIR", "cache/demo")).resolve()))
